use time::macros::{date, datetime};

use super::*;

fn columns() -> ColumnSet {
    ColumnSet::build(&[], &[])
}

fn compare(column: &str, op: CompareOp, value: Literal) -> Expr {
    Expr::Compare {
        column: column.to_owned(),
        op,
        value,
    }
}

fn parse(text: &str) -> Expr {
    Expr::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[test]
fn comparisons_and_literals_parse() {
    assert_eq!(
        parse("Status eq 'Done'"),
        compare("Status", CompareOp::Eq, Literal::Text("Done".into()))
    );
    assert_eq!(
        parse("Summary eq 'It''s'"),
        compare("Summary", CompareOp::Eq, Literal::Text("It's".into()))
    );
    assert_eq!(
        parse("Updated ge 2024-01-01"),
        compare(
            "Updated",
            CompareOp::Ge,
            Literal::Date(date!(2024 - 01 - 01))
        )
    );
    assert_eq!(
        parse("Updated lt 2024-01-01T10:00:00Z"),
        compare(
            "Updated",
            CompareOp::Lt,
            Literal::DateTime(datetime!(2024-01-01 10:00 UTC))
        )
    );
    assert_eq!(
        parse("Updated lt 2024-01-01T10:00:00.1234567+02:00"),
        compare(
            "Updated",
            CompareOp::Lt,
            Literal::DateTime(datetime!(2024-01-01 08:00:00.1234567 UTC))
        )
    );
    // A '+' that form decoding turned into a space.
    assert_eq!(
        parse("Updated lt 2024-01-01T10:00:00 02:00"),
        parse("Updated lt 2024-01-01T08:00:00Z")
    );
    assert_eq!(
        parse("StoryPoints gt 2.5"),
        compare("StoryPoints", CompareOp::Gt, Literal::Double(2.5))
    );
    assert_eq!(
        parse("TimeSpentSeconds le -3"),
        compare("TimeSpentSeconds", CompareOp::Le, Literal::Int(-3))
    );
    assert_eq!(
        parse("Resolved eq null"),
        compare("Resolved", CompareOp::Eq, Literal::Null)
    );
    assert_eq!(
        parse("2024-01-01 le Created"),
        compare(
            "Created",
            CompareOp::Ge,
            Literal::Date(date!(2024 - 01 - 01))
        )
    );
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let a = || compare("Status", CompareOp::Eq, Literal::Text("A".into()));
    let b = || compare("Status", CompareOp::Eq, Literal::Text("B".into()));
    let c = || compare("Status", CompareOp::Eq, Literal::Text("C".into()));
    assert_eq!(
        parse("Status eq 'A' or Status eq 'B' and Status eq 'C'"),
        Expr::Or(vec![a(), Expr::And(vec![b(), c()])])
    );
    assert_eq!(
        parse("(Status eq 'A' or Status eq 'B') and not (Status eq 'C')"),
        Expr::And(vec![Expr::Or(vec![a(), b()]), Expr::Not(Box::new(c()))])
    );
    assert_eq!(
        parse("Status eq 'A' or Status eq 'B' or Status eq 'C'"),
        Expr::Or(vec![a(), b(), c()]),
        "a chain is one node, not a nested one"
    );
    assert_eq!(
        parse("contains(Summary,'x') eq false"),
        Expr::Not(Box::new(Expr::Text {
            function: TextFunction::Contains,
            column: "Summary".into(),
            value: "x".into()
        }))
    );
}

#[test]
fn malformed_filters_are_syntax_errors() {
    for bad in [
        "",
        "Status eq",
        "Status eq 'Done",
        "(Status eq 'A'",
        "Status eq 'A')",
        "Status 'A'",
        "Updated ge 2024-13-01",
        "Updated ge 2024-01-01T10:00:00",
        "'x'",
        "Status eq 'A' and",
        "eq 'A'",
        "1.2.3 eq Status",
    ] {
        assert!(
            matches!(Expr::parse(bad), Err(FilterError::Syntax(_))),
            "{bad:?}: {:?}",
            Expr::parse(bad)
        );
    }
}

#[test]
fn unsupported_odata_is_not_implemented_not_ignored() {
    for unsupported in [
        "tolower(Status) eq 'done'",
        "length(Summary) gt 3",
        "Labels has 'x'",
        "Status in ('A','B')",
        "TimeSpentSeconds add 5 gt 3",
        "Tags/any(t: t eq 'x')",
        "Created eq duration'P1D'",
        "Status eq Resolution",
        "$it eq 1",
        "contains('x',Summary)",
        "Microsoft.Foo(Summary)",
    ] {
        assert!(
            matches!(
                Expr::parse(unsupported),
                Err(FilterError::NotImplemented(_))
            ),
            "{unsupported:?}: {:?}",
            Expr::parse(unsupported)
        );
    }
}

#[test]
fn compile_checks_columns_and_types() {
    let set = columns();
    let compile = |text: &str| parse(text).compile(&set);
    assert!(compile("Updated ge 2024-01-01 and DueDate lt 2024-02-01").is_ok());
    assert!(compile("StoryPoints ge 3 and TimeSpentSeconds gt 3.5").is_ok());
    assert_eq!(
        compile("Nope eq 1"),
        Err(FilterError::UnknownColumn("Nope".into()))
    );
    assert!(matches!(
        compile("Updated eq 'yesterday'"),
        Err(FilterError::Type(_))
    ));
    assert!(matches!(
        compile("DueDate ge 2024-01-01T00:00:00Z"),
        Err(FilterError::Type(_))
    ));
    assert!(matches!(
        compile("contains(Created,'2024')"),
        Err(FilterError::Type(_))
    ));
    assert!(matches!(compile("Status eq 3"), Err(FilterError::Type(_))));
    assert_eq!(
        parse("Updated ge 2024-01-01 and Status eq 'x' or Updated lt 2025-01-01").columns(),
        ["Updated", "Status"]
    );
}

#[test]
fn evaluation_follows_odata_null_rules() {
    let set = columns();
    let status = set.index_of("Status").expect("Status");
    let resolved = set.index_of("Resolved").expect("Resolved");
    let summary = set.index_of("Summary").expect("Summary");
    let mut row = vec![CellValue::Null; set.len()];
    row[status] = CellValue::String("Done".into());
    row[summary] = CellValue::String("Fix the login flow".into());
    let check = |text: &str, row: &[CellValue]| {
        parse(text)
            .compile(&set)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .matches(row)
    };
    assert!(check("Status eq 'Done'", &row));
    assert!(!check("Status eq 'done'", &row), "eq is case-sensitive");
    assert!(check("Status ne 'To Do'", &row));
    assert!(check("Resolved eq null", &row));
    assert!(!check("Resolved ne null", &row));
    assert!(!check("Resolved gt 2024-01-01", &row));
    assert!(!check("Resolved lt 2024-01-01", &row));
    assert!(
        check("Resolved ne 2024-01-01T00:00:00Z", &row),
        "null ne value is true"
    );
    assert!(check("not (Resolved gt 2024-01-01)", &row));
    assert!(check(
        "contains(Summary,'login') and startswith(Summary,'Fix')",
        &row
    ));
    assert!(check("endswith(Summary,'flow')", &row));
    assert!(
        !check("contains(Assignee,'a')", &row),
        "null contains nothing"
    );
    assert!(check("Status gt 'Cancelled' and Status lt 'Open'", &row));

    row[resolved] = CellValue::DateTimeOffset(datetime!(2024-03-05 10:15:30.250 UTC));
    assert!(check("Resolved gt 2024-03-05T10:15:30Z", &row));
    assert!(check("Resolved lt 2024-03-05T10:15:30.251Z", &row));
    assert!(check("Resolved eq 2024-03-05T11:15:30.25+01:00", &row));
    assert!(check("Resolved ge 2024-03-05", &row));
    assert!(!check("Resolved lt 2024-03-05", &row));
}

/// Runs `work` on a thread whose stack is smaller than a worker thread's (2 MiB), so a walk
/// whose depth follows the input shows up as an overflow here rather than in production.
fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(work)
        .expect("a thread")
        .join()
        .expect("the work returns")
}

#[test]
fn thousands_of_parentheses_or_nots_are_refused_without_overflowing_the_stack() {
    let status = "Status eq 'A'";
    for hostile in [
        "(".repeat(5_000),
        format!("{}{status}{}", "(".repeat(3_000), ")".repeat(3_000)),
        format!("{}{status}", "not ".repeat(3_000)),
        format!("{}{status}", "not (".repeat(1_000)),
        "contains(".repeat(5_000),
        format!(
            "{}Summary,'x'){}",
            "startswith(".repeat(600),
            ",'y')".repeat(600)
        ),
    ] {
        let outcome = on_small_stack(move || {
            Expr::parse(&hostile).map(|expr| expr.compile(&columns()).map(|_| ()))
        });
        assert!(outcome.is_err(), "{outcome:?}");
    }
}

#[test]
fn a_flat_chain_of_five_thousand_or_terms_is_refused_naming_the_limit() {
    let chain = (0..5_000)
        .map(|i| format!("Key eq 'K-{i}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let outcome = on_small_stack(move || Expr::parse(&chain).map(|_| ()));
    assert!(
        matches!(&outcome, Err(FilterError::TooLarge(m)) if m.contains("8192")),
        "{outcome:?}"
    );
}

#[test]
fn a_short_filter_with_too_many_terms_is_refused_naming_the_limit() {
    let chain = vec!["A"; 1_500].join(" or ");
    assert!(chain.chars().count() <= MAX_FILTER_CHARS);
    let outcome = Expr::parse(&chain);
    assert!(
        matches!(&outcome, Err(FilterError::TooLarge(m)) if m.contains("1000")),
        "{outcome:?}"
    );
}

#[test]
fn nesting_up_to_the_depth_limit_parses_and_one_more_level_is_refused() {
    let nested = |depth: usize| format!("{}Status eq 'A'{}", "(".repeat(depth), ")".repeat(depth));
    assert!(Expr::parse(&nested(MAX_FILTER_DEPTH)).is_ok());
    assert!(matches!(
        Expr::parse(&nested(MAX_FILTER_DEPTH + 1)),
        Err(FilterError::TooLarge(m)) if m.contains("32")
    ));
    let nots = |depth: usize| format!("{}Status eq 'A'", "not ".repeat(depth));
    assert!(Expr::parse(&nots(MAX_FILTER_DEPTH)).is_ok());
    assert!(matches!(
        Expr::parse(&nots(MAX_FILTER_DEPTH + 1)),
        Err(FilterError::TooLarge(_))
    ));
}

#[test]
fn a_chain_of_a_hundred_keys_parses_compiles_and_matches_on_a_small_stack() {
    let set = columns();
    let key = set.index_of("Key").expect("Key");
    let chain = (0..100)
        .map(|i| format!("Key eq 'OPS-{i}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let (hit, miss) = on_small_stack(move || {
        let predicate = parse(&chain).compile(&set).expect("compiles");
        let mut row = vec![CellValue::Null; set.len()];
        row[key] = CellValue::String("OPS-99".into());
        let hit = predicate.matches(&row);
        row[key] = CellValue::String("OPS-100".into());
        (hit, predicate.matches(&row))
    });
    assert!(hit && !miss);
}
