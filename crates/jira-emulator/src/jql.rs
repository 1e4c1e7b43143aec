//! A JQL parser for the subset the product pushes down to Jira: field/operator/value clauses,
//! AND/OR/NOT with parentheses, `ORDER BY`. It only builds the syntax tree; `jql_eval` gives it
//! meaning against the data set, so syntax errors and "no such value" errors stay separate, as
//! in Jira.
//!
//! Nesting is limited to [`MAX_NESTING`] levels of parentheses and NOT, checked before each
//! descent, so a hostile query sent to the emulator is a 400, not a stack overflow that takes
//! the test process down; AND/OR chains are flat lists, so their length costs no depth.
//!
//! Over 500 lines on purpose: lexer and recursive-descent parser are one grammar, read top to
//! bottom; split, each half would make sense only next to the other.

use std::fmt;

/// The deepest nesting of parentheses and NOT the emulator parses (the product pushes far
/// less; Jira documents no number, so this is the emulator's own guard).
pub const MAX_NESTING: usize = 100;

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub filter: Option<Expr>,
    pub order_by: Vec<SortKey>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Clause(Clause),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// The field name as written (quotes removed), e.g. `project` or `Story Points`.
    pub field: String,
    pub operator: Operator,
    pub operand: Operand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Eq,
    NotEq,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Is,
    IsNot,
    Contains,
    NotContains,
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operator::Eq => "=",
            Operator::NotEq => "!=",
            Operator::Gt => ">",
            Operator::Ge => ">=",
            Operator::Lt => "<",
            Operator::Le => "<=",
            Operator::In => "in",
            Operator::NotIn => "not in",
            Operator::Is => "is",
            Operator::IsNot => "is not",
            Operator::Contains => "~",
            Operator::NotContains => "!~",
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Single(Value),
    List(Vec<Value>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A bare word, quoted string or number, as text.
    Literal(String),
    /// `name(arg, …)`, e.g. `currentUser()`.
    Function(String, Vec<String>),
    /// `EMPTY` or `NULL`.
    Empty,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub field: String,
    pub descending: bool,
}

/// Why a query was refused. The message is what Jira puts in `errorMessages`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JqlError {
    #[error("Error in the JQL Query: {0}")]
    Syntax(String),
    #[error(
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
    )]
    Unbounded,
    /// Parsed fine but names something that does not exist (field, value, function).
    #[error("{0}")]
    Invalid(String),
}

impl Query {
    /// Parses `jql`; an empty query (or one with only `ORDER BY`) parses to `filter: None`.
    pub fn parse(jql: &str) -> Result<Query, JqlError> {
        let tokens = lex(jql)?;
        let mut parser = Parser {
            tokens,
            position: 0,
            text: jql,
            depth: 0,
        };
        parser.query()
    }

    /// Like [`Query::parse`], but refuses unbounded queries as `/search/jql` does.
    pub fn parse_bounded(jql: &str) -> Result<Query, JqlError> {
        let query = Self::parse(jql)?;
        if query.filter.is_none() {
            return Err(JqlError::Unbounded);
        }
        Ok(query)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Word(String),
    Quoted(String),
    LeftParen,
    RightParen,
    Comma,
    Op(&'static str),
    Bang,
    AndSymbol,
    OrSymbol,
}

#[derive(Clone, Debug)]
struct Token {
    kind: TokenKind,
    /// 1-based character position, for error messages.
    column: usize,
}

fn lex(text: &str) -> Result<Vec<Token>, JqlError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let push = |tokens: &mut Vec<Token>, kind| tokens.push(Token { kind, column });
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                push(&mut tokens, TokenKind::LeftParen);
                i += 1;
            }
            ')' => {
                push(&mut tokens, TokenKind::RightParen);
                i += 1;
            }
            ',' => {
                push(&mut tokens, TokenKind::Comma);
                i += 1;
            }
            '=' => {
                push(&mut tokens, TokenKind::Op("="));
                i += 1;
            }
            '~' => {
                push(&mut tokens, TokenKind::Op("~"));
                i += 1;
            }
            '!' => match chars.get(i + 1) {
                Some('=') => {
                    push(&mut tokens, TokenKind::Op("!="));
                    i += 2;
                }
                Some('~') => {
                    push(&mut tokens, TokenKind::Op("!~"));
                    i += 2;
                }
                _ => {
                    push(&mut tokens, TokenKind::Bang);
                    i += 1;
                }
            },
            '<' | '>' => {
                let with_equals = chars.get(i + 1) == Some(&'=');
                let op = match (c, with_equals) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    ('>', true) => ">=",
                    _ => ">",
                };
                push(&mut tokens, TokenKind::Op(op));
                i += if with_equals { 2 } else { 1 };
            }
            '&' => {
                push(&mut tokens, TokenKind::AndSymbol);
                i += if chars.get(i + 1) == Some(&'&') { 2 } else { 1 };
            }
            '|' => {
                push(&mut tokens, TokenKind::OrSymbol);
                i += if chars.get(i + 1) == Some(&'|') { 2 } else { 1 };
            }
            '"' | '\'' => {
                let quote = c;
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(JqlError::Syntax(format!(
                                "The quoted string starting at character {column} is not closed. (line 1, character {column})"
                            )));
                        }
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some('n') => value.push('\n'),
                                Some('t') => value.push('\t'),
                                Some('r') => value.push('\r'),
                                Some(&other) => value.push(other),
                                None => {}
                            }
                            i += 2;
                        }
                        Some(&other) if other == quote => {
                            i += 1;
                            break;
                        }
                        Some(&other) => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                push(&mut tokens, TokenKind::Quoted(value));
            }
            _ => {
                let start = i;
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                if i == start {
                    return Err(JqlError::Syntax(format!(
                        "The character '{c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u{:04x}' instead. (line 1, character {column})",
                        u32::from(c)
                    )));
                }
                let word: String = chars[start..i].iter().collect();
                push(&mut tokens, TokenKind::Word(word));
            }
        }
    }
    Ok(tokens)
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '(' | ')'
                | ','
                | '='
                | '!'
                | '<'
                | '>'
                | '~'
                | '"'
                | '\''
                | '&'
                | '|'
                | '{'
                | '}'
                | '^'
                | '%'
                | '?'
                | ';'
        )
}

struct Parser<'a> {
    tokens: Vec<Token>,
    position: usize,
    text: &'a str,
    /// Parentheses and NOTs open at the current token.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&TokenKind> {
        self.tokens.get(self.position).map(|token| &token.kind)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(TokenKind::Word(word)) if word.eq_ignore_ascii_case(keyword))
    }

    fn peek_keyword_at(&self, offset: usize, keyword: &str) -> bool {
        matches!(
            self.tokens.get(self.position + offset).map(|token| &token.kind),
            Some(TokenKind::Word(word)) if word.eq_ignore_ascii_case(keyword)
        )
    }

    fn advance(&mut self) -> Option<TokenKind> {
        let token = self
            .tokens
            .get(self.position)
            .map(|token| token.kind.clone());
        self.position += 1;
        token
    }

    fn error(&self, expecting: &str) -> JqlError {
        match self.tokens.get(self.position) {
            Some(token) => JqlError::Syntax(format!(
                "Expecting {expecting} but got '{}'. (line 1, character {})",
                describe(&token.kind),
                token.column
            )),
            None => JqlError::Syntax(format!(
                "Expecting {expecting} but reached the end of the query. (line 1, character {})",
                self.text.chars().count() + 1
            )),
        }
    }

    fn query(&mut self) -> Result<Query, JqlError> {
        let filter = if self.peek().is_none() || self.at_order_by() {
            None
        } else {
            Some(self.or_expr()?)
        };
        let mut order_by = Vec::new();
        if self.at_order_by() {
            self.position += 2;
            loop {
                let field = self.field_name("a field name to order by")?;
                let descending = if self.peek_keyword("desc") {
                    self.position += 1;
                    true
                } else {
                    if self.peek_keyword("asc") {
                        self.position += 1;
                    }
                    false
                };
                order_by.push(SortKey { field, descending });
                if self.peek() == Some(&TokenKind::Comma) {
                    self.position += 1;
                } else {
                    break;
                }
            }
        }
        if self.peek().is_some() {
            return Err(if filter.is_some() && order_by.is_empty() {
                self.error("either 'OR' or 'AND'")
            } else {
                self.error("the end of the query")
            });
        }
        Ok(Query { filter, order_by })
    }

    fn at_order_by(&self) -> bool {
        self.peek_keyword("order") && self.peek_keyword_at(1, "by")
    }

    fn or_expr(&mut self) -> Result<Expr, JqlError> {
        let mut terms = vec![self.and_expr()?];
        while self.peek_keyword("or") || self.peek() == Some(&TokenKind::OrSymbol) {
            self.position += 1;
            terms.push(self.and_expr()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, JqlError> {
        let mut terms = vec![self.not_expr()?];
        while self.peek_keyword("and") || self.peek() == Some(&TokenKind::AndSymbol) {
            self.position += 1;
            terms.push(self.not_expr()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    /// One more level of nesting, refused past [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), JqlError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(JqlError::Syntax(format!(
                "The query is nested more than {MAX_NESTING} levels deep. (line 1, character {})",
                self.tokens
                    .get(self.position)
                    .map_or(0, |token| token.column)
            )));
        }
        Ok(())
    }

    fn not_expr(&mut self) -> Result<Expr, JqlError> {
        if self.peek_keyword("not") || self.peek() == Some(&TokenKind::Bang) {
            self.position += 1;
            self.enter()?;
            let inner = self.not_expr()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek() == Some(&TokenKind::LeftParen) {
            self.position += 1;
            self.enter()?;
            let inner = self.or_expr()?;
            self.depth -= 1;
            if self.peek() != Some(&TokenKind::RightParen) {
                return Err(self.error("')'"));
            }
            self.position += 1;
            return Ok(inner);
        }
        self.clause().map(Expr::Clause)
    }

    fn field_name(&mut self, expecting: &str) -> Result<String, JqlError> {
        match self.peek() {
            Some(TokenKind::Word(word)) if !is_reserved(word) => {
                let word = word.clone();
                self.position += 1;
                Ok(word)
            }
            Some(TokenKind::Quoted(text)) => {
                let text = text.clone();
                self.position += 1;
                Ok(text)
            }
            _ => Err(self.error(expecting)),
        }
    }

    fn clause(&mut self) -> Result<Clause, JqlError> {
        let field = self.field_name("a field name")?;
        let operator = self.operator()?;
        let operand = match operator {
            Operator::Is | Operator::IsNot => {
                if self.peek_keyword("empty") || self.peek_keyword("null") {
                    self.position += 1;
                    Operand::Single(Value::Empty)
                } else {
                    return Err(self.error("'EMPTY' or 'NULL'"));
                }
            }
            Operator::In | Operator::NotIn => Operand::List(self.list()?),
            _ => Operand::Single(self.value()?),
        };
        Ok(Clause {
            field,
            operator,
            operand,
        })
    }

    fn operator(&mut self) -> Result<Operator, JqlError> {
        let operator = match self.peek() {
            Some(TokenKind::Op(op)) => match *op {
                "=" => Operator::Eq,
                "!=" => Operator::NotEq,
                ">" => Operator::Gt,
                ">=" => Operator::Ge,
                "<" => Operator::Lt,
                "<=" => Operator::Le,
                "~" => Operator::Contains,
                _ => Operator::NotContains,
            },
            Some(TokenKind::Word(word)) if word.eq_ignore_ascii_case("in") => Operator::In,
            Some(TokenKind::Word(word)) if word.eq_ignore_ascii_case("is") => {
                if self.peek_keyword_at(1, "not") {
                    self.position += 1;
                    Operator::IsNot
                } else {
                    Operator::Is
                }
            }
            Some(TokenKind::Word(word))
                if word.eq_ignore_ascii_case("not") && self.peek_keyword_at(1, "in") =>
            {
                self.position += 1;
                Operator::NotIn
            }
            Some(TokenKind::Word(word))
                if ["was", "changed"]
                    .iter()
                    .any(|op| word.eq_ignore_ascii_case(op)) =>
            {
                return Err(JqlError::Invalid(format!(
                    "The operator '{}' is not supported by the Jira emulator.",
                    word.to_ascii_uppercase()
                )));
            }
            _ => {
                return Err(
                    self.error("operator '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' or 'IS NOT'")
                );
            }
        };
        self.position += 1;
        Ok(operator)
    }

    fn list(&mut self) -> Result<Vec<Value>, JqlError> {
        if self.peek() != Some(&TokenKind::LeftParen) {
            // `project in currentUser()`-style single function operands are allowed by Jira.
            return match self.value()? {
                function @ Value::Function(..) => Ok(vec![function]),
                _ => Err(JqlError::Syntax(
                    "Expecting '(' after 'IN' or 'NOT IN'.".to_owned(),
                )),
            };
        }
        self.position += 1;
        let mut values = vec![self.value()?];
        while self.peek() == Some(&TokenKind::Comma) {
            self.position += 1;
            values.push(self.value()?);
        }
        if self.peek() != Some(&TokenKind::RightParen) {
            return Err(self.error("')' or ','"));
        }
        self.position += 1;
        Ok(values)
    }

    fn value(&mut self) -> Result<Value, JqlError> {
        match self.peek().cloned() {
            Some(TokenKind::Quoted(text)) => {
                self.position += 1;
                Ok(Value::Literal(text))
            }
            Some(TokenKind::Word(word)) => {
                if word.eq_ignore_ascii_case("empty") || word.eq_ignore_ascii_case("null") {
                    self.position += 1;
                    return Ok(Value::Empty);
                }
                if is_reserved(&word) {
                    return Err(self.error("a value"));
                }
                self.position += 1;
                if self.peek() == Some(&TokenKind::LeftParen) {
                    self.position += 1;
                    let mut arguments = Vec::new();
                    while self.peek() != Some(&TokenKind::RightParen) {
                        match self.advance() {
                            Some(TokenKind::Word(argument) | TokenKind::Quoted(argument)) => {
                                arguments.push(argument);
                            }
                            Some(TokenKind::Comma) => {}
                            _ => {
                                self.position -= 1;
                                return Err(self.error("')'"));
                            }
                        }
                    }
                    self.position += 1;
                    return Ok(Value::Function(word, arguments));
                }
                Ok(Value::Literal(word))
            }
            _ => Err(self.error("a value")),
        }
    }
}

fn is_reserved(word: &str) -> bool {
    [
        "and", "or", "not", "in", "is", "order", "by", "empty", "null", "asc", "desc",
    ]
    .iter()
    .any(|reserved| word.eq_ignore_ascii_case(reserved))
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Word(word) => word.clone(),
        TokenKind::Quoted(text) => text.clone(),
        TokenKind::LeftParen => "(".to_owned(),
        TokenKind::RightParen => ")".to_owned(),
        TokenKind::Comma => ",".to_owned(),
        TokenKind::Op(op) => (*op).to_owned(),
        TokenKind::Bang => "!".to_owned(),
        TokenKind::AndSymbol => "&".to_owned(),
        TokenKind::OrSymbol => "|".to_owned(),
    }
}

#[cfg(test)]
mod tests;
