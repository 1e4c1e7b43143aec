//! OData `$filter`: parsed into a small syntax tree, checked against the feed's columns, and
//! evaluated exactly on every streamed row. The tree is also what [`super::jql`] pushes into
//! Jira, but Jira's answer is only ever a superset (minute-precision dates, case-insensitive
//! names), so the exact predicate here is what makes a filtered feed correct.
//! One file (~830 lines) on purpose: lexer, parser, column check and evaluator share one tree and
//! its bounds, so every walk over it stays next to the limits that make it safe.
//!
//! Supported: `eq ne gt ge lt le`, `and or not`, parentheses, `contains`/`startswith`/`endswith`
//! on text columns, and the literals `null true false`, numbers, `'text'` (with `''` for a
//! quote), `2024-01-01` and `2024-01-01T10:00:00Z` (seconds, fraction and offset optional). Any
//! other operator or function is refused as not implemented rather than ignored.
//!
//! The text comes from anyone holding an access token, and one process serves every site, so
//! the parser is bounded ([`MAX_FILTER_CHARS`], [`MAX_FILTER_DEPTH`], [`MAX_FILTER_NODES`]):
//! the length is checked before lexing, depth and size while parsing and before each descent.
//! `and`/`or` chains are n-ary (`a or b or c` is one node with three terms), so a long flat
//! chain is a wide tree, not a deep one; every walk over the tree (columns, compile, evaluation,
//! pushdown, drop) recurses only as deep as the nesting the parser allowed.

use std::cmp::Ordering;
use std::fmt;

use time::{Date, OffsetDateTime};

use super::columns::{CellValue, ColumnSet, EdmType, parse_date, parse_jira_datetime};

/// The longest `$filter` accepted, in characters: room for a list of a few hundred issue keys
/// (`Key eq 'ABC-123' or …`), far beyond what BI tools fold into a URL.
pub const MAX_FILTER_CHARS: usize = 8_192;
/// The deepest nesting of parentheses, `not` and function calls accepted. Each level costs a
/// few stack frames in the parser and one in every walk; 32 is far beyond hand-written or
/// generated filters.
pub const MAX_FILTER_DEPTH: usize = 32;
/// The most conditions plus `and`/`or`/`not` operators in one filter (a chain of 100 keys is
/// 199). It bounds the work per row, which the filter costs on every issue exported.
pub const MAX_FILTER_NODES: usize = 1_000;

/// Why a `$filter` cannot be served. The text is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Not valid `$filter` syntax (400).
    #[error("Invalid $filter: {0}")]
    Syntax(String),
    /// A name that is not a column (400).
    #[error("Invalid $filter: there is no column named '{0}'.")]
    UnknownColumn(String),
    /// A comparison between incompatible types (400).
    #[error("Invalid $filter: {0}")]
    Type(String),
    /// Valid OData that this service does not implement (501).
    #[error("{0}")]
    NotImplemented(String),
    /// Longer, deeper or larger than the parser's limits (400); the text names the limit.
    #[error("Invalid $filter: {0}")]
    TooLarge(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    /// The operator with its operands swapped (`5 lt X` is `X gt 5`).
    fn flipped(self) -> Self {
        match self {
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
            other => other,
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Eq => ordering == Ordering::Equal,
            Self::Ne => ordering != Ordering::Equal,
            Self::Gt => ordering == Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
            Self::Lt => ordering == Ordering::Less,
            Self::Le => ordering != Ordering::Greater,
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFunction {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Text(String),
    Date(Date),
    DateTime(OffsetDateTime),
}

/// A parsed `$filter`, naming columns (not yet checked against a column set).
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// Two or more terms, all of which must hold.
    And(Vec<Expr>),
    /// Two or more terms, one of which must hold.
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        column: String,
        op: CompareOp,
        value: Literal,
    },
    Text {
        function: TextFunction,
        column: String,
        value: String,
    },
}

impl Expr {
    /// Parses the text of a `$filter` option, within the limits above.
    pub fn parse(text: &str) -> Result<Expr, FilterError> {
        let length = text.chars().count();
        if length > MAX_FILTER_CHARS {
            return Err(FilterError::TooLarge(format!(
                "it is {length} characters long; at most {MAX_FILTER_CHARS} are accepted."
            )));
        }
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            at: 0,
            depth: 0,
            nodes: 0,
        };
        let expr = parser.or_expr()?;
        match parser.peek() {
            None => Ok(expr),
            Some(token) => Err(FilterError::Syntax(format!(
                "unexpected {} after the end of the expression.",
                token.describe()
            ))),
        }
    }

    /// Every column the expression reads, in order of first use.
    pub fn columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        self.visit(&mut |name| {
            if !out.contains(&name) {
                out.push(name);
            }
        });
        out
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a str)) {
        match self {
            Self::And(terms) | Self::Or(terms) => {
                for term in terms {
                    term.visit(f);
                }
            }
            Self::Not(inner) => inner.visit(f),
            Self::Compare { column, .. } | Self::Text { column, .. } => f(column),
        }
    }

    /// Checks names and types against `columns` and prepares the row predicate.
    pub fn compile(&self, columns: &impl ColumnTypes) -> Result<Predicate, FilterError> {
        Ok(Predicate {
            node: compile_node(self, columns)?,
        })
    }
}

/// A `$filter` bound to column positions, evaluated on typed rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    node: Node,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Compare {
        index: usize,
        op: CompareOp,
        value: CellValue,
    },
    Text {
        index: usize,
        function: TextFunction,
        value: String,
    },
}

impl Predicate {
    /// Whether `row` (cells in the order of the column set the predicate was compiled for)
    /// satisfies the filter, with OData's null rules: `null eq null` is true, any other
    /// comparison with null is false except `ne`.
    pub fn matches(&self, row: &[CellValue]) -> bool {
        eval(&self.node, row)
    }
}

fn eval(node: &Node, row: &[CellValue]) -> bool {
    match node {
        Node::And(terms) => terms.iter().all(|term| eval(term, row)),
        Node::Or(terms) => terms.iter().any(|term| eval(term, row)),
        Node::Not(inner) => !eval(inner, row),
        Node::Compare { index, op, value } => {
            let cell = row.get(*index).unwrap_or(&CellValue::Null);
            match (cell.is_null(), value.is_null()) {
                (true, true) => matches!(op, CompareOp::Eq | CompareOp::Le | CompareOp::Ge),
                (true, false) | (false, true) => *op == CompareOp::Ne,
                (false, false) => compare(cell, value).is_some_and(|o| op.holds(o)),
            }
        }
        Node::Text {
            index,
            function,
            value,
        } => match row.get(*index) {
            Some(CellValue::String(text)) => match function {
                TextFunction::Contains => text.contains(value.as_str()),
                TextFunction::StartsWith => text.starts_with(value.as_str()),
                TextFunction::EndsWith => text.ends_with(value.as_str()),
            },
            _ => false,
        },
    }
}

fn compare(cell: &CellValue, value: &CellValue) -> Option<Ordering> {
    match (cell, value) {
        (CellValue::String(a), CellValue::String(b)) => Some(a.as_str().cmp(b.as_str())),
        (CellValue::DateTimeOffset(a), CellValue::DateTimeOffset(b)) => Some(a.cmp(b)),
        (CellValue::Date(a), CellValue::Date(b)) => Some(a.cmp(b)),
        (CellValue::Int64(a), CellValue::Int64(b)) => Some(a.cmp(b)),
        (CellValue::Int64(a), CellValue::Double(b)) => (*a as f64).partial_cmp(b),
        (CellValue::Double(a), CellValue::Double(b)) => a.partial_cmp(b),
        (CellValue::Double(a), CellValue::Int64(b)) => a.partial_cmp(&(*b as f64)),
        (CellValue::Boolean(a), CellValue::Boolean(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// What a filter is compiled against: the position and type of each column of a row.
pub trait ColumnTypes {
    fn column_type(&self, name: &str) -> Option<(usize, EdmType)>;
}

impl ColumnTypes for ColumnSet {
    fn column_type(&self, name: &str) -> Option<(usize, EdmType)> {
        let index = self.index_of(name)?;
        Some((index, self.columns()[index].edm_type()))
    }
}

fn compile_node(expr: &Expr, columns: &impl ColumnTypes) -> Result<Node, FilterError> {
    let column_of = |name: &str| {
        columns
            .column_type(name)
            .ok_or_else(|| FilterError::UnknownColumn(name.to_owned()))
    };
    let all = |terms: &[Expr]| {
        terms
            .iter()
            .map(|term| compile_node(term, columns))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match expr {
        Expr::And(terms) => Node::And(all(terms)?),
        Expr::Or(terms) => Node::Or(all(terms)?),
        Expr::Not(inner) => Node::Not(Box::new(compile_node(inner, columns)?)),
        Expr::Compare { column, op, value } => {
            let (index, edm_type) = column_of(column)?;
            let value = typed_literal(column, edm_type, value)?;
            if edm_type == EdmType::Boolean && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(FilterError::Type(format!(
                    "'{column}' is Boolean and can only be compared with eq or ne."
                )));
            }
            Node::Compare {
                index,
                op: *op,
                value,
            }
        }
        Expr::Text {
            function,
            column,
            value,
        } => {
            let (index, edm_type) = column_of(column)?;
            if edm_type != EdmType::String {
                return Err(FilterError::Type(format!(
                    "'{column}' is {edm_type}; text functions need a String column."
                )));
            }
            Node::Text {
                index,
                function: *function,
                value: value.clone(),
            }
        }
    })
}

/// The literal as a cell of the column's type, or why they do not fit together.
fn typed_literal(
    column: &str,
    edm_type: EdmType,
    value: &Literal,
) -> Result<CellValue, FilterError> {
    let mismatch = || {
        FilterError::Type(format!(
            "'{column}' is {edm_type} and cannot be compared with {}.",
            describe_literal(value)
        ))
    };
    Ok(match (edm_type, value) {
        (_, Literal::Null) => CellValue::Null,
        (EdmType::String, Literal::Text(text)) => CellValue::String(text.clone()),
        (EdmType::DateTimeOffset, Literal::DateTime(at)) => CellValue::DateTimeOffset(*at),
        (EdmType::DateTimeOffset, Literal::Date(date)) => {
            CellValue::DateTimeOffset(date.midnight().assume_utc())
        }
        (EdmType::Date, Literal::Date(date)) => CellValue::Date(*date),
        (EdmType::Double, Literal::Int(n)) => CellValue::Double(*n as f64),
        (EdmType::Double, Literal::Double(n)) => CellValue::Double(*n),
        (EdmType::Int64, Literal::Int(n)) => CellValue::Int64(*n),
        (EdmType::Int64, Literal::Double(n)) => CellValue::Double(*n),
        (EdmType::Boolean, Literal::Bool(flag)) => CellValue::Boolean(*flag),
        _ => return Err(mismatch()),
    })
}

fn describe_literal(value: &Literal) -> &'static str {
    match value {
        Literal::Null => "null",
        Literal::Bool(_) => "a Boolean",
        Literal::Int(_) | Literal::Double(_) => "a number",
        Literal::Text(_) => "a string",
        Literal::Date(_) => "a date",
        Literal::DateTime(_) => "a date and time",
    }
}

// ---- lexer ----

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Literal(Literal),
    Open,
    Close,
    Comma,
    /// Characters OData uses for paths and lambdas (`/`, `:`), `$it` and the like.
    Other(char),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Self::Word(word) => format!("'{word}'"),
            Self::Literal(literal) => describe_literal(literal).to_owned(),
            Self::Open => "'('".to_owned(),
            Self::Close => "')'".to_owned(),
            Self::Comma => "','".to_owned(),
            Self::Other(c) => format!("'{c}'"),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(FilterError::Syntax(
                                "a string literal is not closed with '.".to_owned(),
                            ));
                        }
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            value.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&other) => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Literal(Literal::Text(value)));
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let (literal, next) = lex_number_or_date(&chars, i)?;
                tokens.push(Token::Literal(literal));
                i = next;
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_alphabetic()
                        || chars[i].is_ascii_digit()
                        || matches!(chars[i], '_' | '.'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if chars.get(i) == Some(&'\'') {
                    return Err(FilterError::NotImplemented(format!(
                        "Typed literals such as {word}'…' are not supported in $filter."
                    )));
                }
                tokens.push(Token::Word(word));
            }
            other => {
                tokens.push(Token::Other(other));
                i += 1;
            }
        }
    }
    Ok(tokens)
}

/// A number, a date (`2024-01-01`) or a date-time (`2024-01-01T10:00:00Z`) starting at `start`.
/// A `+` in an offset often arrives as a space (form decoding), so ` 01:00` is read as `+01:00`.
fn lex_number_or_date(chars: &[char], start: usize) -> Result<(Literal, usize), FilterError> {
    let take = |from: usize, pred: &dyn Fn(char) -> bool| {
        let mut end = from;
        while end < chars.len() && pred(chars[end]) {
            end += 1;
        }
        end
    };
    let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    let digits_end = take(start, &|c| c.is_ascii_digit());
    // A date: four digits, '-', …
    if digits_end - start == 4 && chars.get(digits_end) == Some(&'-') {
        let date_end = take(start, &|c| c.is_ascii_digit() || c == '-');
        let date_text = text(start, date_end);
        let date = parse_date(&date_text)
            .ok_or_else(|| FilterError::Syntax(format!("'{date_text}' is not a valid date.")))?;
        if chars.get(date_end) != Some(&'T') {
            return Ok((Literal::Date(date), date_end));
        }
        let mut end = take(date_end + 1, &|c| {
            c.is_ascii_digit() || c == ':' || c == '.'
        });
        match chars.get(end) {
            Some('Z' | 'z') => end += 1,
            Some('+' | '-') => end = take(end + 1, &|c| c.is_ascii_digit() || c == ':'),
            Some(' ') => {
                let offset_end = take(end + 1, &|c| c.is_ascii_digit() || c == ':');
                let offset = text(end + 1, offset_end);
                if offset.len() == 5 && offset.as_bytes()[2] == b':' {
                    let mut raw = text(start, end);
                    raw.push('+');
                    raw.push_str(&offset);
                    return parse_datetime_literal(&raw)
                        .map(|at| (Literal::DateTime(at), offset_end));
                }
            }
            _ => {}
        }
        let raw = text(start, end);
        return parse_datetime_literal(&raw).map(|at| (Literal::DateTime(at), end));
    }
    let end = take(start + 1, &|c| {
        c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E')
    });
    // An exponent sign: 1e-5.
    let end = if matches!(chars.get(end.wrapping_sub(1)), Some('e' | 'E'))
        && matches!(chars.get(end), Some('+' | '-'))
    {
        take(end + 1, &|c| c.is_ascii_digit())
    } else {
        end
    };
    let raw = text(start, end);
    if let Ok(n) = raw.parse::<i64>() {
        return Ok((Literal::Int(n), end));
    }
    match raw.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((Literal::Double(n), end)),
        _ => Err(FilterError::Syntax(format!(
            "'{raw}' is not a valid number."
        ))),
    }
}

/// `2024-01-01T10:00Z`, `…T10:00:00.1234567+01:00`; an offset is required, as OData's
/// `DateTimeOffset` literal demands.
fn parse_datetime_literal(raw: &str) -> Result<OffsetDateTime, FilterError> {
    let invalid = || {
        FilterError::Syntax(format!(
            "'{raw}' is not a valid date and time with an offset (e.g. 2024-01-01T10:00:00Z)."
        ))
    };
    let has_offset = raw.ends_with(['Z', 'z'])
        || raw.get(raw.len().saturating_sub(6)..).is_some_and(|tail| {
            tail.starts_with(['+', '-']) && tail.as_bytes().get(3) == Some(&b':')
        });
    if !has_offset {
        return Err(invalid());
    }
    parse_jira_datetime(raw).ok_or_else(invalid)
}

// ---- parser ----

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// Parentheses and `not`s open at the current token.
    depth: usize,
    /// Conditions and operators parsed so far.
    nodes: usize,
}

const NOT_IMPLEMENTED_OPERATORS: &[&str] =
    &["has", "in", "add", "sub", "mul", "div", "divby", "mod"];

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == word)
    }

    /// Counts one more condition or operator.
    fn count_node(&mut self) -> Result<(), FilterError> {
        self.nodes += 1;
        if self.nodes > MAX_FILTER_NODES {
            return Err(FilterError::TooLarge(format!(
                "it has more than {MAX_FILTER_NODES} conditions and operators."
            )));
        }
        Ok(())
    }

    /// Enters one more level of nesting, before descending into it.
    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(FilterError::TooLarge(format!(
                "parentheses, 'not' and function calls are nested more than {MAX_FILTER_DEPTH} deep."
            )));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Expr, FilterError> {
        let mut terms = vec![self.and_expr()?];
        while self.peek_word("or") {
            self.at += 1;
            self.count_node()?;
            terms.push(self.and_expr()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, FilterError> {
        let mut terms = vec![self.unary()?];
        while self.peek_word("and") {
            self.at += 1;
            self.count_node()?;
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.peek_word("not") {
            self.at += 1;
            self.count_node()?;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            self.enter()?;
            let inner = self.or_expr()?;
            self.depth -= 1;
            return match self.next() {
                Some(Token::Close) => self.maybe_boolean_comparison(inner),
                _ => Err(FilterError::Syntax("a '(' is not closed.".to_owned())),
            };
        }
        self.count_node()?;
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Token::Word(word)) => match CompareOp::parse(word) {
                Some(op) => {
                    self.at += 1;
                    Some(op)
                }
                None if NOT_IMPLEMENTED_OPERATORS.contains(&word.as_str()) => {
                    return Err(FilterError::NotImplemented(format!(
                        "The operator '{word}' is not supported in $filter."
                    )));
                }
                None => None,
            },
            _ => None,
        };
        match (left, op) {
            (Operand::Bool(expr), None) => Ok(expr),
            (Operand::Column(column), None) => Ok(Expr::Compare {
                column,
                op: CompareOp::Eq,
                value: Literal::Bool(true),
            }),
            (Operand::Literal(literal), None) => Err(FilterError::Syntax(format!(
                "{} on its own is not a condition.",
                describe_literal(&literal)
            ))),
            (left, Some(op)) => {
                let right = self.operand()?;
                comparison(left, op, right)
            }
        }
    }

    /// `(…) eq true` / `(…) ne false` around a Boolean sub-expression.
    fn maybe_boolean_comparison(&mut self, inner: Expr) -> Result<Expr, FilterError> {
        let Some(Token::Word(word)) = self.peek() else {
            return Ok(inner);
        };
        let Some(op) = CompareOp::parse(word) else {
            return Ok(inner);
        };
        self.at += 1;
        let right = self.operand()?;
        comparison(Operand::Bool(inner), op, right)
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        match self.next() {
            Some(Token::Literal(literal)) => Ok(Operand::Literal(literal)),
            Some(Token::Word(word)) => match word.as_str() {
                "null" => Ok(Operand::Literal(Literal::Null)),
                "true" => Ok(Operand::Literal(Literal::Bool(true))),
                "false" => Ok(Operand::Literal(Literal::Bool(false))),
                "INF" | "NaN" => Ok(Operand::Literal(Literal::Double(if word == "NaN" {
                    f64::NAN
                } else {
                    f64::INFINITY
                }))),
                _ if self.peek() == Some(&Token::Open) => self.function(word),
                _ if word.starts_with('$') => Err(FilterError::NotImplemented(format!(
                    "'{word}' is not supported in $filter."
                ))),
                _ if word.contains('.') => Err(FilterError::NotImplemented(format!(
                    "'{word}' is not supported in $filter."
                ))),
                _ if matches!(self.peek(), Some(Token::Other('/'))) => {
                    Err(FilterError::NotImplemented(
                        "Paths, lambda operators and navigation are not supported in $filter (the model is flat)."
                            .to_owned(),
                    ))
                }
                _ => Ok(Operand::Column(word)),
            },
            Some(Token::Other('-')) => Err(FilterError::NotImplemented(
                "Negation ('-') is not supported in $filter.".to_owned(),
            )),
            Some(token) => Err(FilterError::Syntax(format!(
                "expected a column or a value but found {}.",
                token.describe()
            ))),
            None => Err(FilterError::Syntax(
                "the expression ends where a column or a value was expected.".to_owned(),
            )),
        }
    }

    fn function(&mut self, name: String) -> Result<Operand, FilterError> {
        let function = match name.as_str() {
            "contains" => TextFunction::Contains,
            "startswith" => TextFunction::StartsWith,
            "endswith" => TextFunction::EndsWith,
            _ => {
                return Err(FilterError::NotImplemented(format!(
                    "The function '{name}' is not supported in $filter (supported: contains, startswith, endswith)."
                )));
            }
        };
        self.at += 1; // '('
        // An argument can be another call (`contains(contains(…`): a level like a '('.
        self.enter()?;
        let first = self.operand()?;
        if self.next() != Some(Token::Comma) {
            return Err(FilterError::Syntax(format!("{name} takes two arguments.")));
        }
        let second = self.operand()?;
        if self.next() != Some(Token::Close) {
            return Err(FilterError::Syntax(format!("{name} takes two arguments.")));
        }
        self.depth -= 1;
        match (first, second) {
            (Operand::Column(column), Operand::Literal(Literal::Text(value))) => {
                Ok(Operand::Bool(Expr::Text {
                    function,
                    column,
                    value,
                }))
            }
            _ => Err(FilterError::NotImplemented(format!(
                "{name} is supported with a column and a string, e.g. {name}(Summary,'text')."
            ))),
        }
    }
}

enum Operand {
    Column(String),
    Literal(Literal),
    /// A Boolean sub-expression (a text function, or a parenthesised condition).
    Bool(Expr),
}

fn comparison(left: Operand, op: CompareOp, right: Operand) -> Result<Expr, FilterError> {
    match (left, right) {
        (Operand::Column(column), Operand::Literal(value)) => {
            Ok(Expr::Compare { column, op, value })
        }
        (Operand::Literal(value), Operand::Column(column)) => Ok(Expr::Compare {
            column,
            op: op.flipped(),
            value,
        }),
        (Operand::Bool(expr), Operand::Literal(Literal::Bool(flag)))
        | (Operand::Literal(Literal::Bool(flag)), Operand::Bool(expr))
            if matches!(op, CompareOp::Eq | CompareOp::Ne) =>
        {
            let positive = (op == CompareOp::Eq) == flag;
            Ok(if positive {
                expr
            } else {
                Expr::Not(Box::new(expr))
            })
        }
        (Operand::Column(_), Operand::Column(_)) => Err(FilterError::NotImplemented(
            "Comparing two columns is not supported in $filter.".to_owned(),
        )),
        _ => Err(FilterError::Syntax(
            "a comparison needs a column on one side and a value on the other.".to_owned(),
        )),
    }
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
