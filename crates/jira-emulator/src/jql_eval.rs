//! Gives a parsed JQL query its meaning against one site's data set and one viewer: resolves
//! values (unknown ones are errors, as in Jira), hides projects the viewer cannot browse, and
//! orders the matches.
//!
//! Over 500 lines on purpose: most of it is `Context`, one arm per JQL field saying which values
//! and operators Jira accepts for it; split by field, the shared value rules would be copied.

use std::cmp::Ordering;

use super::dataset::{
    CATEGORIES, Dataset, ISSUE_TYPES, IssueCore, LABELS, PRIORITIES, PROJECTS, RESOLUTIONS,
    STATUSES, parse_date,
};
use super::directory::UserInfo;
use super::fields::is_known_field;
use super::jql::{Clause, Expr, JqlError, Operand, Operator, Query, Value};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// Who is searching: decides `currentUser()` and which projects exist for the query.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub account_id: String,
    pub hidden_projects: Vec<String>,
}

impl From<&UserInfo> for Viewer {
    fn from(user: &UserInfo) -> Self {
        Self {
            account_id: user.account_id.clone(),
            hidden_projects: user.hidden_projects.clone(),
        }
    }
}

type Predicate = Box<dyn Fn(&IssueCore) -> bool + Send + Sync>;

/// A query ready to run: a predicate tree plus the sort order.
pub(crate) struct CompiledQuery {
    filter: Predicate,
    order: Vec<(SortField, bool)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortField {
    Key,
    Id,
    Created,
    Updated,
}

impl Dataset {
    /// Ground truth for tests: the indices `jql` matches for `viewer`, in result order.
    /// `now_ms` anchors relative dates such as `-7d`.
    pub fn search(&self, jql: &str, viewer: &Viewer, now_ms: i64) -> Result<Vec<usize>, JqlError> {
        let query = Query::parse_bounded(jql)?;
        let compiled = compile(&query, self, viewer, now_ms)?;
        Ok(compiled.run(self))
    }
}

impl CompiledQuery {
    pub(crate) fn matches(&self, core: &IssueCore) -> bool {
        (self.filter)(core)
    }

    /// Every matching index, sorted.
    pub(crate) fn run(&self, dataset: &Dataset) -> Vec<usize> {
        let mut keyed: Vec<([i64; 4], usize)> = (0..dataset.len())
            .filter_map(|index| {
                let core = dataset.core(index);
                self.matches(&core).then(|| (self.sort_key(&core), index))
            })
            .collect();
        keyed.sort_by(|(a, a_index), (b, b_index)| a.cmp(b).then(a_index.cmp(b_index)));
        keyed.into_iter().map(|(_, index)| index).collect()
    }

    /// Counts matches without sorting (for approximate-count).
    pub(crate) fn count(&self, dataset: &Dataset) -> usize {
        (0..dataset.len())
            .filter(|&index| self.matches(&dataset.core(index)))
            .count()
    }

    fn sort_key(&self, core: &IssueCore) -> [i64; 4] {
        let mut key = [0i64; 4];
        for (slot, (field, descending)) in key.iter_mut().zip(&self.order) {
            let value = match field {
                SortField::Key => key_rank(core.project) * (1 << 40) + core.number as i64,
                SortField::Id => core.id() as i64,
                SortField::Created => core.created,
                SortField::Updated => core.updated,
            };
            *slot = if *descending { -value } else { value };
        }
        key
    }
}

/// Position of a project key in alphabetical order (Jira sorts keys by project key, then number).
fn key_rank(project: u8) -> i64 {
    let key = PROJECTS[usize::from(project)].key;
    PROJECTS.iter().filter(|other| other.key < key).count() as i64
}

pub(crate) fn compile(
    query: &Query,
    dataset: &Dataset,
    viewer: &Viewer,
    now_ms: i64,
) -> Result<CompiledQuery, JqlError> {
    let context = Context {
        dataset,
        viewer,
        now_ms,
        hidden: PROJECTS
            .iter()
            .enumerate()
            .filter(|(_, project)| {
                viewer
                    .hidden_projects
                    .iter()
                    .any(|hidden| hidden.eq_ignore_ascii_case(project.key))
            })
            .map(|(index, _)| index as u8)
            .collect(),
    };
    let inner = match &query.filter {
        Some(expr) => context.expr(expr)?,
        None => Box::new(|_: &IssueCore| true),
    };
    let hidden = context.hidden.clone();
    let filter: Predicate = Box::new(move |core| !hidden.contains(&core.project) && inner(core));
    let mut order = Vec::new();
    for key in &query.order_by {
        let field = match key.field.to_ascii_lowercase().as_str() {
            "key" | "issuekey" | "issue" => SortField::Key,
            "id" => SortField::Id,
            "created" | "createddate" => SortField::Created,
            "updated" | "updateddate" => SortField::Updated,
            _ if is_known_field(&key.field) => {
                return Err(JqlError::Invalid(format!(
                    "Not able to sort using field '{}'.",
                    key.field
                )));
            }
            _ => return Err(unknown_field(&key.field)),
        };
        if !order.iter().any(|(existing, _)| *existing == field) {
            order.push((field, key.descending));
        }
    }
    if order.is_empty() {
        order.push((SortField::Created, true));
    }
    order.truncate(4);
    Ok(CompiledQuery { filter, order })
}

fn unknown_field(field: &str) -> JqlError {
    JqlError::Invalid(format!(
        "Field '{field}' does not exist or you do not have permission to view it."
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldKind {
    Project,
    Status,
    Category,
    IssueType,
    Priority,
    Resolution,
    Assignee,
    Reporter,
    Labels,
    Issue,
    Created,
    Updated,
    Resolved,
    Due,
    WorklogDate,
}

impl FieldKind {
    fn of(field: &str) -> Option<FieldKind> {
        Some(match field.to_ascii_lowercase().as_str() {
            "project" => FieldKind::Project,
            "status" => FieldKind::Status,
            "statuscategory" | "category" => FieldKind::Category,
            "issuetype" | "type" => FieldKind::IssueType,
            "priority" => FieldKind::Priority,
            "resolution" => FieldKind::Resolution,
            "assignee" => FieldKind::Assignee,
            "reporter" => FieldKind::Reporter,
            "labels" | "label" => FieldKind::Labels,
            "key" | "id" | "issue" | "issuekey" => FieldKind::Issue,
            "created" | "createddate" => FieldKind::Created,
            "updated" | "updateddate" => FieldKind::Updated,
            "resolved" | "resolutiondate" => FieldKind::Resolved,
            "duedate" | "due" => FieldKind::Due,
            "worklogdate" => FieldKind::WorklogDate,
            _ => return None,
        })
    }
}

struct Context<'a> {
    dataset: &'a Dataset,
    viewer: &'a Viewer,
    now_ms: i64,
    hidden: Vec<u8>,
}

impl Context<'_> {
    fn expr(&self, expr: &Expr) -> Result<Predicate, JqlError> {
        Ok(match expr {
            Expr::And(terms) => {
                let terms = terms
                    .iter()
                    .map(|term| self.expr(term))
                    .collect::<Result<Vec<_>, _>>()?;
                Box::new(move |core| terms.iter().all(|term| term(core)))
            }
            Expr::Or(terms) => {
                let terms = terms
                    .iter()
                    .map(|term| self.expr(term))
                    .collect::<Result<Vec<_>, _>>()?;
                Box::new(move |core| terms.iter().any(|term| term(core)))
            }
            Expr::Not(inner) => {
                let inner = self.expr(inner)?;
                Box::new(move |core| !inner(core))
            }
            Expr::Clause(clause) => self.clause(clause)?,
        })
    }

    fn clause(&self, clause: &Clause) -> Result<Predicate, JqlError> {
        let kind = match FieldKind::of(&clause.field) {
            Some(kind) => kind,
            None if is_known_field(&clause.field) => {
                return Err(JqlError::Invalid(format!(
                    "The Jira emulator cannot search on the field '{}'.",
                    clause.field
                )));
            }
            None => return Err(unknown_field(&clause.field)),
        };
        let (operator, values) = normalise(clause);
        match kind {
            FieldKind::Labels => self.labels(clause, operator, &values),
            FieldKind::Issue => self.issue(clause, operator, &values),
            FieldKind::Created | FieldKind::Updated | FieldKind::Resolved | FieldKind::Due => {
                self.time(kind, clause, operator, &values)
            }
            FieldKind::WorklogDate => self.worklog_date(clause, operator, &values),
            _ => self.choice(kind, clause, operator, &values),
        }
    }

    /// Single-valued fields whose values come from a fixed list (or the user directory).
    fn choice(
        &self,
        kind: FieldKind,
        clause: &Clause,
        operator: Operator,
        values: &[Value],
    ) -> Result<Predicate, JqlError> {
        let positive = match operator {
            Operator::Eq | Operator::In | Operator::Is => true,
            Operator::NotEq | Operator::NotIn | Operator::IsNot => false,
            _ => return Err(unsupported_operator(operator, &clause.field)),
        };
        let mut accepted: Vec<usize> = Vec::new();
        let mut empty = false;
        for value in values {
            match value {
                Value::Empty => empty = true,
                Value::Function(name, _) => {
                    let is_user_field = matches!(kind, FieldKind::Assignee | FieldKind::Reporter);
                    if !name.eq_ignore_ascii_case("currentUser") {
                        return Err(unknown_function(name));
                    }
                    if !is_user_field {
                        return Err(JqlError::Invalid(format!(
                            "Function 'currentUser' is not supported for the field '{}'.",
                            clause.field
                        )));
                    }
                    match self.person_by_account(&self.viewer.account_id) {
                        Some(person) => accepted.push(person),
                        None => accepted.push(usize::MAX),
                    }
                }
                Value::Literal(text) => {
                    if kind == FieldKind::Resolution && text.eq_ignore_ascii_case("unresolved") {
                        empty = true;
                        continue;
                    }
                    let found = self.resolve(kind, text);
                    if found.is_empty() {
                        return Err(JqlError::Invalid(format!(
                            "The value '{text}' does not exist for the field '{}'.",
                            clause.field
                        )));
                    }
                    accepted.extend(found);
                }
            }
        }
        let get: fn(&IssueCore) -> Option<usize> = match kind {
            FieldKind::Project => |core| Some(usize::from(core.project)),
            FieldKind::Status => |core| Some(usize::from(core.status)),
            FieldKind::Category => |core| Some(usize::from(core.category())),
            FieldKind::IssueType => |core| Some(usize::from(core.issue_type)),
            FieldKind::Priority => |core| core.priority.map(usize::from),
            FieldKind::Resolution => |core| core.resolution.map(usize::from),
            FieldKind::Assignee => |core| core.assignee,
            _ => |core| Some(core.reporter),
        };
        Ok(if positive {
            Box::new(move |core| match get(core) {
                Some(value) => accepted.contains(&value),
                None => empty,
            })
        } else {
            // Jira's negative operators never match issues where the field is empty.
            Box::new(move |core| match get(core) {
                Some(value) => !accepted.contains(&value),
                None => false,
            })
        })
    }

    fn resolve(&self, kind: FieldKind, text: &str) -> Vec<usize> {
        let same = |candidate: &str| candidate.eq_ignore_ascii_case(text);
        let id_is = |id: u64| text.parse::<u64>().ok() == Some(id);
        let positions = |matches: &mut dyn Iterator<Item = bool>| -> Vec<usize> {
            matches
                .enumerate()
                .filter(|(_, hit)| *hit)
                .map(|(index, _)| index)
                .collect()
        };
        match kind {
            FieldKind::Project => positions(&mut PROJECTS.iter().enumerate().map(|(index, p)| {
                !self.hidden.contains(&(index as u8))
                    && (same(p.key) || same(p.name) || id_is(p.id))
            })),
            FieldKind::Status => {
                positions(&mut STATUSES.iter().map(|s| same(s.name) || id_is(s.id)))
            }
            FieldKind::Category => positions(
                &mut CATEGORIES
                    .iter()
                    .map(|c| same(c.name) || same(c.key) || id_is(c.id)),
            ),
            FieldKind::IssueType => {
                positions(&mut ISSUE_TYPES.iter().map(|t| same(t.name) || id_is(t.id)))
            }
            FieldKind::Priority => {
                positions(&mut PRIORITIES.iter().map(|(id, name)| same(name) || id_is(*id)))
            }
            FieldKind::Resolution => positions(
                &mut RESOLUTIONS
                    .iter()
                    .map(|(id, name, _)| same(name) || id_is(*id)),
            ),
            _ => positions(&mut self.dataset.people().iter().map(|person| {
                person.account_id == text
                    || person.email.as_deref().is_some_and(same)
                    || same(&person.display_name)
            })),
        }
    }

    fn person_by_account(&self, account_id: &str) -> Option<usize> {
        self.dataset
            .people()
            .iter()
            .position(|person| person.account_id == account_id)
    }

    fn labels(
        &self,
        clause: &Clause,
        operator: Operator,
        values: &[Value],
    ) -> Result<Predicate, JqlError> {
        let positive = match operator {
            Operator::Eq | Operator::In | Operator::Is => true,
            Operator::NotEq | Operator::NotIn | Operator::IsNot => false,
            _ => return Err(unsupported_operator(operator, &clause.field)),
        };
        let mut mask = 0u16;
        let mut empty = false;
        for value in values {
            match value {
                Value::Empty => empty = true,
                Value::Function(name, _) => return Err(unknown_function(name)),
                Value::Literal(text) => {
                    if let Some(bit) = LABELS.iter().position(|label| label == text) {
                        mask |= 1 << bit;
                    }
                }
            }
        }
        Ok(if positive {
            Box::new(move |core| core.labels & mask != 0 || (empty && core.labels == 0))
        } else {
            Box::new(move |core| core.labels != 0 && core.labels & mask == 0)
        })
    }

    fn issue(
        &self,
        clause: &Clause,
        operator: Operator,
        values: &[Value],
    ) -> Result<Predicate, JqlError> {
        let does_not_exist = |text: &str| {
            JqlError::Invalid(format!(
                "An issue with key '{text}' does not exist for field '{}'.",
                clause.field
            ))
        };
        let visible = |index: usize| {
            let project = self.dataset.project_key(index);
            !self
                .viewer
                .hidden_projects
                .iter()
                .any(|hidden| Some(hidden.as_str()) == project)
        };
        match operator {
            Operator::Eq | Operator::NotEq | Operator::In | Operator::NotIn => {
                let mut indices = Vec::new();
                for value in values {
                    match value {
                        Value::Literal(text) => match self.dataset.index_of(text) {
                            Some(index) if visible(index) => indices.push(index),
                            _ => return Err(does_not_exist(text)),
                        },
                        Value::Empty => {}
                        Value::Function(name, _) => return Err(unknown_function(name)),
                    }
                }
                let positive = matches!(operator, Operator::Eq | Operator::In);
                Ok(Box::new(move |core| {
                    indices.contains(&core.index) == positive
                }))
            }
            Operator::Is => Ok(Box::new(|_| false)),
            Operator::IsNot => Ok(Box::new(|_| true)),
            Operator::Gt | Operator::Ge | Operator::Lt | Operator::Le => {
                let Some(Value::Literal(text)) = values.first() else {
                    return Err(unsupported_operator(operator, &clause.field));
                };
                if let Ok(id) = text.parse::<u64>() {
                    return Ok(Box::new(move |core| compare(operator, core.id().cmp(&id))));
                }
                let (project_key, number) = text
                    .rsplit_once('-')
                    .and_then(|(key, number)| Some((key, number.parse::<u64>().ok()?)))
                    .ok_or_else(|| {
                        JqlError::Invalid(format!(
                            "The issue key '{text}' for field '{}' is invalid.",
                            clause.field
                        ))
                    })?;
                let project = PROJECTS
                    .iter()
                    .enumerate()
                    .position(|(index, project)| {
                        project.key.eq_ignore_ascii_case(project_key)
                            && !self.hidden.contains(&(index as u8))
                    })
                    .ok_or_else(|| does_not_exist(text))?;
                Ok(Box::new(move |core| {
                    usize::from(core.project) == project
                        && compare(operator, core.number.cmp(&number))
                }))
            }
            _ => Err(unsupported_operator(operator, &clause.field)),
        }
    }

    fn time(
        &self,
        kind: FieldKind,
        clause: &Clause,
        operator: Operator,
        values: &[Value],
    ) -> Result<Predicate, JqlError> {
        let is_due = kind == FieldKind::Due;
        let (instants, empty) = self.instants(clause, values)?;
        let get: fn(&IssueCore) -> Option<i64> = match kind {
            FieldKind::Created => |core| Some(core.created),
            FieldKind::Updated => |core| Some(core.updated),
            FieldKind::Resolved => |core| core.resolved,
            _ => |core| core.due,
        };
        // Due dates are whole days: compare day numbers.
        let instants: Vec<i64> = if is_due {
            instants
                .into_iter()
                .map(|ms| ms.div_euclid(DAY_MS))
                .collect()
        } else {
            instants
        };
        Ok(match operator {
            Operator::Eq | Operator::In | Operator::Is => Box::new(move |core| match get(core) {
                Some(value) => instants.contains(&value),
                None => empty,
            }),
            Operator::NotEq | Operator::NotIn | Operator::IsNot => {
                Box::new(move |core| get(core).is_some_and(|value| !instants.contains(&value)))
            }
            Operator::Gt | Operator::Ge | Operator::Lt | Operator::Le => {
                let Some(&bound) = instants.first() else {
                    return Err(unsupported_operator(operator, &clause.field));
                };
                Box::new(move |core| {
                    get(core).is_some_and(|value| compare(operator, value.cmp(&bound)))
                })
            }
            _ => return Err(unsupported_operator(operator, &clause.field)),
        })
    }

    /// The instants a date clause compares with, and whether it names `EMPTY`.
    fn instants(&self, clause: &Clause, values: &[Value]) -> Result<(Vec<i64>, bool), JqlError> {
        let mut instants = Vec::new();
        let mut empty = false;
        for value in values {
            match value {
                Value::Empty => empty = true,
                Value::Function(name, _) if name.eq_ignore_ascii_case("now") => {
                    instants.push(self.now_ms);
                }
                Value::Function(name, _) => return Err(unknown_function(name)),
                Value::Literal(text) => {
                    let instant = parse_instant(text, self.now_ms).ok_or_else(|| {
                        JqlError::Invalid(format!(
                            "Date value '{text}' for field '{}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
                            clause.field
                        ))
                    })?;
                    instants.push(instant);
                }
            }
        }
        Ok((instants, empty))
    }

    /// `worklogDate`: issues with a worklog the viewer may see that started in the range (the
    /// site's first user, its administrator, sees restricted worklogs too).
    fn worklog_date(
        &self,
        clause: &Clause,
        operator: Operator,
        values: &[Value],
    ) -> Result<Predicate, JqlError> {
        let (instants, _) = self.instants(clause, values)?;
        let bound = match (operator, instants.first()) {
            (Operator::Gt | Operator::Ge | Operator::Lt | Operator::Le, Some(&bound)) => bound,
            _ => return Err(unsupported_operator(operator, &clause.field)),
        };
        let source = self.dataset.worklog_source();
        let admin = self
            .dataset
            .people()
            .first()
            .is_some_and(|person| person.account_id == self.viewer.account_id);
        Ok(Box::new(move |core| {
            source.worklogs(core).iter().any(|worklog| {
                (admin || worklog.restriction.is_none())
                    && compare(operator, worklog.started.cmp(&bound))
            })
        }))
    }
}

/// `field = EMPTY` means `field is EMPTY`; single values become one-element lists.
fn normalise(clause: &Clause) -> (Operator, Vec<Value>) {
    match &clause.operand {
        Operand::List(values) => (clause.operator, values.clone()),
        Operand::Single(Value::Empty) if clause.operator == Operator::Eq => {
            (Operator::Is, vec![Value::Empty])
        }
        Operand::Single(Value::Empty) if clause.operator == Operator::NotEq => {
            (Operator::IsNot, vec![Value::Empty])
        }
        Operand::Single(value) => (clause.operator, vec![value.clone()]),
    }
}

fn compare(operator: Operator, ordering: Ordering) -> bool {
    match operator {
        Operator::Gt => ordering == Ordering::Greater,
        Operator::Ge => ordering != Ordering::Less,
        Operator::Lt => ordering == Ordering::Less,
        Operator::Le => ordering != Ordering::Greater,
        _ => false,
    }
}

fn unsupported_operator(operator: Operator, field: &str) -> JqlError {
    JqlError::Invalid(format!(
        "The operator '{operator}' is not supported by the '{field}' field."
    ))
}

fn unknown_function(name: &str) -> JqlError {
    JqlError::Invalid(format!("Unable to find JQL function '{name}()'."))
}

/// `yyyy-MM-dd`, `yyyy/MM/dd`, either with ` HH:mm` (UTC), or a period like `-5d` / `4w 2d`
/// relative to `now_ms` (w = 7 days here, as in JQL).
fn parse_instant(text: &str, now_ms: i64) -> Option<i64> {
    let text = text.trim();
    let (date, time) = match text.split_once(' ') {
        Some((date, time)) if date.contains(['-', '/']) && date.len() >= 8 => (date, Some(time)),
        _ => (text, None),
    };
    if let Some(day) = parse_date(date) {
        let minutes = match time {
            None => 0,
            Some(time) => {
                let (hours, minutes) = time.trim().split_once(':')?;
                let hours: i64 = hours.parse().ok()?;
                let minutes: i64 = minutes.parse().ok()?;
                if !(0..24).contains(&hours) || !(0..60).contains(&minutes) {
                    return None;
                }
                hours * 60 + minutes
            }
        };
        return Some(day * DAY_MS + minutes * MINUTE_MS);
    }
    parse_period(text).map(|offset| now_ms + offset)
}

fn parse_period(text: &str) -> Option<i64> {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let mut total = 0i64;
    let mut any = false;
    for part in rest.split_whitespace() {
        let unit = part.chars().last()?;
        let amount: i64 = part[..part.len() - unit.len_utf8()].parse().ok()?;
        let size = match unit {
            'w' => 7 * DAY_MS,
            'd' => DAY_MS,
            'h' => 60 * MINUTE_MS,
            'm' => MINUTE_MS,
            _ => return None,
        };
        total += amount * size;
        any = true;
    }
    any.then_some(sign * total)
}

#[cfg(test)]
mod tests;
