use actix_web::http::StatusCode;

use super::*;

fn options(query: &str, format: Format) -> Result<FeedOptions, FeedError> {
    parse_options(&Params::parse(query), format)
}

fn status(query: &str, format: Format) -> StatusCode {
    options(query, format)
        .err()
        .map_or(StatusCode::OK, |e| e.status)
}

#[test]
fn supported_options_parse() {
    let parsed = options(
        "$select=Key,%20Summary&$filter=Updated%20ge%202024-01-01&$orderby=Updated desc,Key&$top=10&$skip=5&$count=true&custom=1",
        Format::OData,
    )
    .expect("parses");
    assert_eq!(
        parsed.select,
        Some(vec!["Key".to_owned(), "Summary".to_owned()])
    );
    assert!(parsed.filter.is_some());
    assert_eq!(
        parsed.order_by,
        vec![("Updated".to_owned(), true), ("Key".to_owned(), false)]
    );
    assert_eq!((parsed.top, parsed.skip, parsed.count), (Some(10), 5, true));
    assert_eq!(
        options("$select=*", Format::OData).expect("ok").select,
        None
    );
    assert!(options("$format=json", Format::OData).is_ok());
    assert!(
        options(
            "$format=application/json;odata.metadata=minimal",
            Format::OData
        )
        .is_ok()
    );
}

#[test]
fn unsupported_options_are_501_and_malformed_ones_400() {
    for query in [
        "$expand=Project",
        "$search=foo",
        "$apply=groupby((Status))",
        "$format=xml",
        "$filter=tolower(Status) eq 'x'",
        "$select=Project/Name",
    ] {
        assert_eq!(
            status(query, Format::OData),
            StatusCode::NOT_IMPLEMENTED,
            "{query}"
        );
    }
    for query in [
        "$top=-1",
        "$top=ten",
        "$skip=1.5",
        "$count=yes",
        "$bogus=1",
        "$top=1&$top=2",
        "$filter=",
        "$filter=Status eq",
        "$orderby=Key sideways",
        "$select=Key,,Summary",
    ] {
        assert_eq!(
            status(query, Format::OData),
            StatusCode::BAD_REQUEST,
            "{query}"
        );
    }
    assert_eq!(status("$count=true", Format::Csv), StatusCode::BAD_REQUEST);
    assert_eq!(
        status("$skiptoken=x", Format::Json),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(status("bom=true&cursor=x", Format::Csv), StatusCode::OK);
}

#[test]
fn prepare_checks_columns_and_builds_variants() {
    let columns = ColumnSet::build(&[], &[]);
    let parse = |q: &str| options(q, Format::OData).expect("parses");
    let prepared = prepare(
        "project = A ORDER BY created",
        &columns,
        &parse("$select=Key&$filter=Status eq 'Done' and Updated ge 2024-01-01"),
    )
    .expect("prepared");
    assert_eq!(prepared.output.len(), 1);
    assert_eq!(prepared.computed.len(), 3, "Key + Status + Updated");
    assert_eq!(prepared.variants.len(), 2);
    assert!(prepared.variants[0].jql.contains("status = \"Done\""));
    assert!(!prepared.variants[1].jql.contains("status"));
    assert!(prepared.variants[1].jql.ends_with("ORDER BY created"));

    let err = |q: &str| {
        prepare("project = A", &columns, &parse(q))
            .err()
            .map(|e| e.status)
    };
    assert_eq!(err("$select=Nope"), Some(StatusCode::BAD_REQUEST));
    assert_eq!(err("$filter=Nope eq 1"), Some(StatusCode::BAD_REQUEST));
    assert_eq!(err("$filter=Updated eq 'x'"), Some(StatusCode::BAD_REQUEST));
    assert_eq!(err("$orderby=Nope"), Some(StatusCode::BAD_REQUEST));
    assert_eq!(err("$orderby=Summary"), Some(StatusCode::NOT_IMPLEMENTED));
    assert_eq!(
        err("$orderby=Key,Created,Key"),
        Some(StatusCode::BAD_REQUEST)
    );
    let sorted = prepare("project = A", &columns, &parse("$orderby=Created desc")).expect("ok");
    assert_eq!(sorted.variants[0].jql, "project = A ORDER BY created DESC");
    assert!(sorted.variants[0].exact);
}

#[test]
fn a_filter_whose_pushdown_is_too_long_still_runs_with_the_date_bounds_and_the_exact_filter() {
    let columns = ColumnSet::build(&[], &[]);
    let keys = (0..300)
        .map(|i| format!("Key eq 'OPS-{i}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let filter = format!("Created ge 2024-01-01 and ({keys})");
    let query = format!("$filter={}", encode_component(&filter));
    let options = options(&query, Format::OData).expect("within the filter limits");
    let prepared = prepare("project = A", &columns, &options).expect("prepared");
    assert_eq!(
        prepared
            .variants
            .iter()
            .map(|v| v.jql.as_str())
            .collect::<Vec<_>>(),
        [r#"(project = A) AND (created >= "2023-12-31 10:00") ORDER BY key ASC"#]
    );
    assert!(
        !prepared.variants[0].exact,
        "so the rows are filtered exactly"
    );
    assert!(prepared.filter.is_some());
}

#[test]
fn next_links_keep_the_other_options() {
    let params =
        Params::parse("$filter=Updated%20ge%202024-01-01T00:00:00%2B01:00&$skiptoken=abc&x=1");
    assert_eq!(
        params.encode_without(&["$skiptoken"]),
        "$filter=Updated%20ge%202024-01-01T00:00:00%2B01:00&x=1"
    );
}
