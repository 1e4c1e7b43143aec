//! Property tests: random and adversarial `$filter` text, through the same path a request
//! takes (option parsing, column check, compile, per-row evaluation, JQL pushdown), on a thread
//! with a small stack. Every input must come back as a value or a client error (400, or 501 for
//! OData this service does not implement), never a panic or an overflow; every JQL pushed must
//! stay within the cap and parse in the emulator's independent JQL parser.

use actix_web::http::StatusCode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use time::macros::{date, datetime};

use super::*;
use crate::feed::columns::ColumnSet;
use crate::feed::error::Format;
use crate::feed::jql::MAX_PUSHED_JQL_CHARS;
use crate::feed::query::{Params, encode_component, parse_options, prepare};
use jira_emulator::testing::parse_bounded_jql;

const SOURCE_JQL: &str = "project = OPS ORDER BY created DESC";

/// Columns of every type, a few names that are not columns, and OData's odd words.
const NAMES: &[&str] = &[
    "Key",
    "Status",
    "Summary",
    "Updated",
    "Created",
    "Resolved",
    "DueDate",
    "StoryPoints",
    "TimeSpentSeconds",
    "AssigneeAccountId",
    "Priority",
    "ProjectKey",
    "Nope",
    "$it",
    "Microsoft.X",
    "null",
    "true",
];
const OPS: &[&str] = &["eq", "ne", "gt", "ge", "lt", "le", "has", "in", "add"];
const LITERALS: &[&str] = &[
    "'Done'",
    "''",
    "'it''s'",
    "'a\"b\\c'",
    "'line\nbreak'",
    "'ünï©ødé'",
    "null",
    "true",
    "false",
    "3",
    "-2.5",
    "1e-5",
    "1e400",
    "INF",
    "NaN",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "2024-01-01T10:00:00 02:00",
    "2024-13-01",
    "duration'P1D'",
];
/// Fragments glued together at random for token soup.
const PIECES: &[&str] = &[
    "(",
    ")",
    "((",
    "))",
    " ",
    "not ",
    " and ",
    " or ",
    ",",
    "'",
    "''",
    "-",
    "/",
    ":",
    "$",
    "eq",
    "Status",
    "Key",
    "Updated",
    "'x'",
    "2024-01-01",
    "T10:00Z",
    "contains(",
    "startswith(",
    "tolower(",
    "1",
    ".5",
    "e",
    "null",
    "true",
    "any(",
    "\u{0}",
    "\"",
    "\\",
];

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(options).prop_map(str::to_owned)
}

/// Mostly well-formed filters of random shape and depth (sometimes beyond the limit).
fn structured() -> impl Strategy<Value = String> {
    let condition = prop_oneof![
        (pick(NAMES), pick(OPS), pick(LITERALS)).prop_map(|(n, o, l)| format!("{n} {o} {l}")),
        (pick(LITERALS), pick(OPS), pick(NAMES)).prop_map(|(l, o, n)| format!("{l} {o} {n}")),
        (
            pick(&["contains", "startswith", "endswith", "length"]),
            pick(NAMES),
            pick(LITERALS)
        )
            .prop_map(|(f, n, l)| format!("{f}({n},{l})")),
        pick(NAMES),
    ];
    condition.prop_recursive(40, 400, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..6).prop_map(|t| t.join(" and ")),
            proptest::collection::vec(inner.clone(), 2..6).prop_map(|t| t.join(" or ")),
            inner.clone().prop_map(|t| format!("not {t}")),
            inner.clone().prop_map(|t| format!("({t})")),
            inner.prop_map(|t| format!("({t}) eq false")),
        ]
    })
}

/// Random fragments of filter syntax.
fn token_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(pick(PIECES), 0..300).prop_map(|pieces| pieces.concat())
}

/// Long repetitions of the shapes that break recursive parsers, at sizes around the limits.
fn adversarial() -> impl Strategy<Value = String> {
    (0..8usize, 0..6_000usize, pick(LITERALS)).prop_map(|(shape, n, literal)| {
        let condition = format!("Key eq {literal}");
        match shape {
            0 => "(".repeat(n),
            1 => format!("{}{condition}{}", "(".repeat(n), ")".repeat(n)),
            2 => format!("{}{condition}", "not ".repeat(n)),
            3 => format!("{}{condition}", "not (".repeat(n)),
            4 => vec![condition; n.max(1)].join(" or "),
            5 => vec!["Key eq 'A' and Updated ge 2024-01-01"; n.max(1)].join(" or "),
            6 => "contains(".repeat(n),
            _ => vec!["A"; n.max(1)].join(" and "),
        }
    })
}

/// One row with every cell null and one with a value of each column's type.
fn rows(columns: &ColumnSet) -> [Vec<CellValue>; 2] {
    let full = columns
        .columns()
        .iter()
        .map(|column| match column.edm_type() {
            EdmType::String => CellValue::String("Done".to_owned()),
            EdmType::DateTimeOffset => CellValue::DateTimeOffset(datetime!(2024-01-01 10:00 UTC)),
            EdmType::Date => CellValue::Date(date!(2024 - 01 - 01)),
            EdmType::Double => CellValue::Double(2.5),
            EdmType::Int64 => CellValue::Int64(3),
            EdmType::Boolean => CellValue::Boolean(true),
        })
        .collect();
    [vec![CellValue::Null; columns.len()], full]
}

/// What a request with `$filter=text` goes through; `Err` describes a broken property.
fn serve(text: &str) -> Result<(), String> {
    let columns = ColumnSet::build(&[], &[]);
    let client_error = |status: StatusCode| {
        if status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_IMPLEMENTED {
            Ok(())
        } else {
            Err(format!("{text:?} answered {status}"))
        }
    };
    let params = Params::parse(&format!("$filter={}", encode_component(text)));
    let options = match parse_options(&params, Format::OData) {
        Ok(options) => options,
        Err(err) => return client_error(err.status),
    };
    let prepared = match prepare(SOURCE_JQL, &columns, &options) {
        Ok(prepared) => prepared,
        Err(err) => return client_error(err.status),
    };
    if let Some(predicate) = &prepared.filter {
        for row in rows(&prepared.computed) {
            predicate.matches(&row);
        }
    }
    let bound = SOURCE_JQL.len() + MAX_PUSHED_JQL_CHARS + 100;
    for variant in &prepared.variants {
        if variant.jql.chars().count() > bound {
            return Err(format!("{text:?} pushed {} characters", variant.jql.len()));
        }
        parse_bounded_jql(&variant.jql)
            .map_err(|err| format!("{text:?} pushed invalid JQL {:?}: {err}", variant.jql))?;
    }
    Ok(())
}

/// Runs `cases` inputs of the strategy `make` builds (on the small-stack thread itself: some
/// strategies are not `Send`).
fn check<S: Strategy<Value = String> + 'static>(make: fn() -> S, cases: u32) {
    let outcome = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let strategy = make();
            let mut runner = TestRunner::new(Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            });
            runner
                .run(&strategy, |text| {
                    serve(&text).map_err(proptest::test_runner::TestCaseError::fail)
                })
                .map_err(|err| err.to_string())
        })
        .expect("a thread")
        .join()
        .expect("the runner returns");
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[test]
fn random_well_formed_filters_are_served_or_refused_as_client_errors() {
    check(structured, 300);
}

#[test]
fn random_fragments_of_filter_syntax_are_served_or_refused_as_client_errors() {
    check(token_soup, 300);
}

#[test]
fn random_unicode_text_is_served_or_refused_as_client_errors() {
    check(any::<String>, 300);
}

#[test]
fn deep_and_long_repetitions_are_served_or_refused_as_client_errors() {
    check(adversarial, 200);
}
