//! The JQL parser: what parses, where syntax errors point, and the nesting limit.

use super::*;

fn clause(field: &str, operator: Operator, operand: Operand) -> Expr {
    Expr::Clause(Clause {
        field: field.to_owned(),
        operator,
        operand,
    })
}

fn literal(text: &str) -> Value {
    Value::Literal(text.to_owned())
}

#[test]
fn deep_nesting_is_a_syntax_error_and_long_chains_parse_flat() {
    let deep = |depth: usize| format!("{}project = A{}", "(".repeat(depth), ")".repeat(depth));
    let outcome = std::thread::Builder::new()
        // Half a worker thread's stack: the accepted depth fits with room to spare.
        .stack_size(1024 * 1024)
        .spawn(move || {
            (
                Query::parse(&deep(MAX_NESTING)).is_ok(),
                Query::parse(&deep(50_000)),
                Query::parse(&format!("{}project = A", "NOT ".repeat(50_000))),
                Query::parse(&vec!["key = A-1"; 20_000].join(" OR ")),
            )
        })
        .expect("a thread")
        .join()
        .expect("parsing returns");
    assert!(outcome.0);
    assert!(matches!(outcome.1, Err(JqlError::Syntax(m)) if m.contains("100 levels")));
    assert!(matches!(outcome.2, Err(JqlError::Syntax(_))));
    assert!(matches!(
        outcome.3,
        Ok(Query { filter: Some(Expr::Or(terms)), .. }) if terms.len() == 20_000
    ));
}

#[test]
fn parses_a_simple_clause() {
    let query = Query::parse("project = ALPHA").expect("parses");
    assert_eq!(
        query.filter,
        Some(clause(
            "project",
            Operator::Eq,
            Operand::Single(literal("ALPHA"))
        ))
    );
    assert!(query.order_by.is_empty());
}

#[test]
fn and_binds_tighter_than_or_and_keywords_ignore_case() {
    let query = Query::parse("a = 1 or b = 2 AnD c = 3").expect("parses");
    assert_eq!(
        query.filter,
        Some(Expr::Or(vec![
            clause("a", Operator::Eq, Operand::Single(literal("1"))),
            Expr::And(vec![
                clause("b", Operator::Eq, Operand::Single(literal("2"))),
                clause("c", Operator::Eq, Operand::Single(literal("3"))),
            ]),
        ]))
    );
}

#[test]
fn parentheses_not_and_symbols() {
    let query = Query::parse("NOT (a = 1 || b = 2) && !c = x").expect("parses");
    assert_eq!(
        query.filter,
        Some(Expr::And(vec![
            Expr::Not(Box::new(Expr::Or(vec![
                clause("a", Operator::Eq, Operand::Single(literal("1"))),
                clause("b", Operator::Eq, Operand::Single(literal("2"))),
            ]))),
            Expr::Not(Box::new(clause(
                "c",
                Operator::Eq,
                Operand::Single(literal("x"))
            ))),
        ]))
    );
}

#[test]
fn all_operators_parse() {
    for (text, operator) in [
        ("=", Operator::Eq),
        ("!=", Operator::NotEq),
        (">", Operator::Gt),
        (">=", Operator::Ge),
        ("<", Operator::Lt),
        ("<=", Operator::Le),
        ("~", Operator::Contains),
        ("!~", Operator::NotContains),
    ] {
        let query = Query::parse(&format!("created {text} \"2024-01-01 10:00\"")).expect("parses");
        assert_eq!(
            query.filter,
            Some(clause(
                "created",
                operator,
                Operand::Single(literal("2024-01-01 10:00"))
            ))
        );
    }
    let query =
        Query::parse("status in (\"To Do\", Done, EMPTY) and key not in (A-1)").expect("parses");
    assert_eq!(
        query.filter,
        Some(Expr::And(vec![
            clause(
                "status",
                Operator::In,
                Operand::List(vec![literal("To Do"), literal("Done"), Value::Empty])
            ),
            clause("key", Operator::NotIn, Operand::List(vec![literal("A-1")])),
        ]))
    );
    let query = Query::parse("assignee is not empty or duedate IS NULL").expect("parses");
    assert_eq!(
        query.filter,
        Some(Expr::Or(vec![
            clause("assignee", Operator::IsNot, Operand::Single(Value::Empty)),
            clause("duedate", Operator::Is, Operand::Single(Value::Empty)),
        ]))
    );
}

#[test]
fn functions_quoted_fields_and_escapes() {
    let query =
        Query::parse("assignee = currentUser() and \"Story Points\" > 3 and summary ~ 'it\\'s'")
            .expect("parses");
    assert_eq!(
        query.filter,
        Some(Expr::And(vec![
            clause(
                "assignee",
                Operator::Eq,
                Operand::Single(Value::Function("currentUser".to_owned(), vec![]))
            ),
            clause("Story Points", Operator::Gt, Operand::Single(literal("3"))),
            clause(
                "summary",
                Operator::Contains,
                Operand::Single(literal("it's"))
            ),
        ]))
    );
}

#[test]
fn order_by_with_directions() {
    let query = Query::parse("project = A order BY created DESC, key asc, id").expect("parses");
    assert_eq!(
        query.order_by,
        vec![
            SortKey {
                field: "created".to_owned(),
                descending: true
            },
            SortKey {
                field: "key".to_owned(),
                descending: false
            },
            SortKey {
                field: "id".to_owned(),
                descending: false
            },
        ]
    );
}

#[test]
fn unbounded_queries_are_refused_only_when_asked() {
    assert_eq!(Query::parse("").expect("parses").filter, None);
    assert_eq!(Query::parse_bounded("   "), Err(JqlError::Unbounded));
    assert_eq!(
        Query::parse_bounded("ORDER BY key"),
        Err(JqlError::Unbounded)
    );
    assert_eq!(
        JqlError::Unbounded.to_string(),
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
    );
}

#[test]
fn syntax_errors_say_where() {
    let error = Query::parse("project = ALPHA foo").expect_err("junk after clause");
    assert_eq!(
        error.to_string(),
        "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'foo'. (line 1, character 17)"
    );
    for bad in [
        "project =",
        "project ALPHA",
        "(project = A",
        "project in A",
        "status = \"open",
        "project is A",
        "= A",
        "a = 1 and",
        "a = 1 order by",
        "a = b ;",
    ] {
        let error = Query::parse(bad).expect_err(bad);
        assert!(matches!(error, JqlError::Syntax(_)), "{bad}: {error:?}");
        assert!(
            error.to_string().starts_with("Error in the JQL Query: "),
            "{bad}"
        );
    }
}
