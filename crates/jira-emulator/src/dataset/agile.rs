//! Boards and sprints (Jira Software). Like issues, nothing is stored: a board is a row of
//! [`BOARDS`], its sprints follow a fixed two-week cadence from the data set's start, and an
//! issue's sprints are drawn from `(seed, index)` on a stream of their own. Because issues are
//! created in index order, the issues of one sprint lie in a narrow index window, which is what
//! lets `GET /sprint/{id}/issue` answer without scanning the whole data set.

use serde_json::{Map, Value, json};

use super::Dataset;
use super::calendar::{DAY_MS, format_sprint_date};
use super::catalogue::{ANCHOR_NOW_MS, EPIC, PROJECTS, SPAN_MS, START_MS};
use super::generator::IssueCore;
use super::rng::{Rng, Stream};

/// A board of the data set. Every site has the same boards.
#[derive(Debug, PartialEq, Eq)]
pub struct BoardDef {
    pub id: u64,
    pub name: &'static str,
    /// `scrum` or `kanban`.
    pub board_type: &'static str,
    /// Index into the projects.
    pub project: u8,
    /// Scrum boards: days after the data set's start their first sprint begins.
    sprint_offset_days: Option<i64>,
    /// Sprint names are `"{prefix} Sprint {n}"`.
    sprint_prefix: &'static str,
}

/// One or two scrum boards per scrum project, a kanban board for the kanban project (OPS).
pub const BOARDS: &[BoardDef] = &[
    BoardDef {
        id: 1,
        name: "ALPHA board",
        board_type: "scrum",
        project: 0,
        sprint_offset_days: Some(0),
        sprint_prefix: "ALPHA",
    },
    BoardDef {
        id: 2,
        name: "BETA board",
        board_type: "scrum",
        project: 1,
        sprint_offset_days: Some(3),
        sprint_prefix: "BETA",
    },
    BoardDef {
        id: 3,
        name: "OPS board",
        board_type: "kanban",
        project: 2,
        sprint_offset_days: None,
        sprint_prefix: "",
    },
    BoardDef {
        id: 4,
        name: "DATA board",
        board_type: "scrum",
        project: 3,
        sprint_offset_days: Some(0),
        sprint_prefix: "DATA",
    },
    BoardDef {
        id: 5,
        name: "Platform team board",
        board_type: "scrum",
        project: 0,
        sprint_offset_days: Some(7),
        sprint_prefix: "Platform",
    },
];

/// Sprints per scrum board: two weeks each, so the last few are active or future at "now".
pub const SPRINTS_PER_BOARD: u64 = 55;
const SPRINT_MS: i64 = 14 * DAY_MS;
/// Sprints start at 09:00 UTC.
const SPRINT_HOUR_MS: i64 = 9 * 3_600_000;
/// An issue stays in at most this many sprints after its first one.
const MAX_CARRY: u64 = 3;
/// Salt of the issue-to-sprint stream, so adding it changed none of the other draws.
const SPRINT_SALT: u64 = 0x5b71_4a11_c0de_0001;

/// The state of a sprint relative to the data set's "now".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SprintState {
    Closed,
    Active,
    Future,
}

impl SprintState {
    pub fn as_str(self) -> &'static str {
        match self {
            SprintState::Closed => "closed",
            SprintState::Active => "active",
            SprintState::Future => "future",
        }
    }

    pub fn parse(text: &str) -> Option<SprintState> {
        match text {
            "closed" => Some(SprintState::Closed),
            "active" => Some(SprintState::Active),
            "future" => Some(SprintState::Future),
            _ => None,
        }
    }
}

/// One sprint: the `k`-th (from 0) of a scrum board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sprint {
    pub board: &'static BoardDef,
    pub sequence: u64,
}

impl BoardDef {
    pub fn is_scrum(&self) -> bool {
        self.sprint_offset_days.is_some()
    }

    pub fn project_def(&self) -> &'static super::ProjectDef {
        &PROJECTS[usize::from(self.project)]
    }

    /// The board's sprints in backlog order (closed, then active, then future).
    pub fn sprints(&'static self) -> impl Iterator<Item = Sprint> {
        let count = if self.is_scrum() {
            SPRINTS_PER_BOARD
        } else {
            0
        };
        (0..count).map(move |sequence| Sprint {
            board: self,
            sequence,
        })
    }

    fn first_start(&self) -> i64 {
        START_MS + self.sprint_offset_days.unwrap_or(0) * DAY_MS + SPRINT_HOUR_MS
    }

    /// The sprint whose two weeks contain `ms` (the first or last one outside the range).
    fn sequence_at(&self, ms: i64) -> u64 {
        let sequence = (ms - self.first_start()).div_euclid(SPRINT_MS).max(0);
        (sequence as u64).min(SPRINTS_PER_BOARD - 1)
    }
}

impl Sprint {
    /// Board `b`'s sprint `k` has id `100 b + k + 1`.
    pub fn id(&self) -> u64 {
        self.board.id * 100 + self.sequence + 1
    }

    /// The sprint with `id`, if it exists.
    pub fn by_id(id: u64) -> Option<Sprint> {
        let board = BOARDS.iter().find(|board| board.id == id / 100)?;
        let sequence = (id % 100).checked_sub(1)?;
        board.sprints().nth(usize::try_from(sequence).ok()?)
    }

    pub fn name(&self) -> String {
        format!("{} Sprint {}", self.board.sprint_prefix, self.sequence + 1)
    }

    pub fn start_ms(&self) -> i64 {
        self.board.first_start() + self.sequence as i64 * SPRINT_MS
    }

    pub fn end_ms(&self) -> i64 {
        self.start_ms() + SPRINT_MS
    }

    pub fn state(&self) -> SprintState {
        if self.end_ms() <= ANCHOR_NOW_MS {
            SprintState::Closed
        } else if self.start_ms() <= ANCHOR_NOW_MS {
            SprintState::Active
        } else {
            SprintState::Future
        }
    }

    /// Dates are planned for the active sprint and the next one; later future sprints have none
    /// (the spec's example of a future sprint has no dates).
    pub fn has_dates(&self) -> bool {
        self.start_ms() <= ANCHOR_NOW_MS + SPRINT_MS
    }

    /// Closed sprints are completed a few hours after their end.
    pub fn complete_ms(&self) -> Option<i64> {
        (self.state() == SprintState::Closed)
            .then(|| self.end_ms() + (self.sequence % 5) as i64 * 3_600_000)
    }

    /// Created three days before it starts.
    pub fn created_ms(&self) -> i64 {
        self.start_ms() - 3 * DAY_MS
    }

    /// A goal on every third sprint, an empty one on the next, none on the third.
    pub fn goal(&self) -> Option<String> {
        match self.sequence % 3 {
            0 => Some(format!(
                "Ship {} increment {}",
                self.board.sprint_prefix,
                self.sequence + 1
            )),
            1 => Some(String::new()),
            _ => None,
        }
    }

    /// The sprint as the agile API returns it (`GET /rest/agile/1.0/sprint/{id}`, `SprintBean`).
    pub fn agile_json(&self, base_url: &str) -> Value {
        let mut sprint = Map::new();
        sprint.insert("id".into(), json!(self.id()));
        sprint.insert(
            "self".into(),
            json!(format!("{base_url}/rest/agile/1.0/sprint/{}", self.id())),
        );
        sprint.insert("state".into(), json!(self.state().as_str()));
        sprint.insert("name".into(), json!(self.name()));
        if self.has_dates() {
            sprint.insert(
                "startDate".into(),
                json!(format_sprint_date(self.start_ms())),
            );
            sprint.insert("endDate".into(), json!(format_sprint_date(self.end_ms())));
        }
        if let Some(complete) = self.complete_ms() {
            sprint.insert("completeDate".into(), json!(format_sprint_date(complete)));
        }
        sprint.insert(
            "createdDate".into(),
            json!(format_sprint_date(self.created_ms())),
        );
        sprint.insert("originBoardId".into(), json!(self.board.id));
        if let Some(goal) = self.goal() {
            sprint.insert("goal".into(), json!(goal));
        }
        Value::Object(sprint)
    }

    /// The sprint as the Sprint field of an issue carries it: `boardId`, not `originBoardId`,
    /// and no `self` or `createdDate`.
    pub fn field_json(&self) -> Value {
        let mut sprint = Map::new();
        sprint.insert("id".into(), json!(self.id()));
        sprint.insert("name".into(), json!(self.name()));
        sprint.insert("state".into(), json!(self.state().as_str()));
        sprint.insert("boardId".into(), json!(self.board.id));
        if let Some(goal) = self.goal() {
            sprint.insert("goal".into(), json!(goal));
        }
        if self.has_dates() {
            sprint.insert(
                "startDate".into(),
                json!(format_sprint_date(self.start_ms())),
            );
            sprint.insert("endDate".into(), json!(format_sprint_date(self.end_ms())));
        }
        if let Some(complete) = self.complete_ms() {
            sprint.insert("completeDate".into(), json!(format_sprint_date(complete)));
        }
        Value::Object(sprint)
    }
}

impl Dataset {
    /// Every sprint issue `core` has been in, oldest first (closed ones included, as Jira lists
    /// them): 70% of the non-epic issues of scrum projects, from the sprint they were created in
    /// to the one they were resolved in (or carried over up to three more when unresolved).
    pub(crate) fn sprints_of(&self, core: &IssueCore) -> Vec<Sprint> {
        let scrum: Vec<&'static BoardDef> = BOARDS
            .iter()
            .filter(|board| board.project == core.project && board.is_scrum())
            .collect();
        if scrum.is_empty() || core.issue_type == EPIC {
            return Vec::new();
        }
        let mut rng = Rng::new(self.seed ^ SPRINT_SALT, core.index, Stream::Extra);
        if !rng.chance(70) {
            return Vec::new();
        }
        let board = match scrum.as_slice() {
            [only] => only,
            [first, second, ..] => {
                if rng.chance(30) {
                    second
                } else {
                    first
                }
            }
            [] => return Vec::new(),
        };
        let first = board.sequence_at(core.created);
        let last = match core.resolved {
            Some(resolved) => board.sequence_at(resolved).min(first + MAX_CARRY),
            None if rng.chance(40) => first + 1 + rng.below(MAX_CARRY),
            None => first,
        }
        .min(SPRINTS_PER_BOARD - 1);
        (first..=last)
            .map(|sequence| Sprint { board, sequence })
            .collect()
    }

    /// Ground truth: every sprint issue `index` has been in, oldest first.
    pub fn issue_sprints(&self, index: usize) -> Vec<Sprint> {
        if index >= self.len {
            return Vec::new();
        }
        self.sprints_of(&self.core(index))
    }

    /// Ground truth: the indices of the issues in `sprint`, in rank (index) order.
    pub fn sprint_issues(&self, sprint: Sprint) -> Vec<usize> {
        self.sprint_issue_indices(sprint)
    }

    /// The indices of the issues in `sprint`, in rank (index) order.
    pub(crate) fn sprint_issue_indices(&self, sprint: Sprint) -> Vec<usize> {
        let (from, to) = self.sprint_window(sprint);
        (from..to)
            .filter(|&index| self.sprints_of(&self.core(index)).contains(&sprint))
            .collect()
    }

    /// A window of indices that holds every issue of `sprint`: its issues were created at most
    /// [`MAX_CARRY`] sprints before it starts and before it ends (unless it is the first or last).
    fn sprint_window(&self, sprint: Sprint) -> (usize, usize) {
        let len = self.len;
        if len == 0 {
            return (0, 0);
        }
        let slot = (SPAN_MS / len as i64).max(1);
        let index_at = |ms: i64| ((ms - START_MS).div_euclid(slot)).clamp(0, len as i64) as usize;
        let from = if sprint.sequence <= MAX_CARRY {
            0
        } else {
            let earliest = Sprint {
                board: sprint.board,
                sequence: sprint.sequence - MAX_CARRY,
            };
            index_at(earliest.start_ms()).saturating_sub(1)
        };
        let to = if sprint.sequence + 1 >= SPRINTS_PER_BOARD {
            len
        } else {
            (index_at(sprint.end_ms()) + 2).min(len)
        };
        (from, to.max(from))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::dataset::tests::alpha_dataset;

    #[test]
    fn every_sprint_in_an_issues_field_resolves_and_lists_the_issue() {
        let dataset = alpha_dataset(3_000);
        let mut carried = 0;
        let mut in_sprints = 0;
        for index in 0..dataset.len() {
            let issue = dataset.issue(index).expect("issue");
            let field = &issue["fields"]["customfield_10020"];
            let Some(sprints) = field.as_array() else {
                assert!(field.is_null());
                continue;
            };
            in_sprints += 1;
            carried += usize::from(sprints.len() > 1);
            for entry in sprints {
                let id = entry["id"].as_u64().expect("numeric id");
                let sprint = Sprint::by_id(id).expect("the sprint exists");
                assert_eq!(sprint.id(), id);
                assert_eq!(entry["boardId"], json!(sprint.board.id));
                assert!(entry.get("originBoardId").is_none());
                assert_eq!(entry["state"], json!(sprint.state().as_str()));
                assert_eq!(
                    usize::from(sprint.board.project),
                    usize::from(dataset.core(index).project)
                );
                assert!(
                    dataset.sprint_issues(sprint).contains(&index),
                    "{id} {index}"
                );
            }
        }
        assert!(in_sprints > 1_000, "{in_sprints}");
        assert!(carried > 300, "{carried}");
    }

    #[test]
    fn a_sprints_issue_list_is_exactly_the_issues_naming_it() {
        let dataset = alpha_dataset(2_000);
        for sprint in [
            Sprint::by_id(101),
            Sprint::by_id(130),
            Sprint::by_id(155),
            Sprint::by_id(510),
            Sprint::by_id(453),
        ]
        .into_iter()
        .flatten()
        {
            let expected: Vec<usize> = (0..dataset.len())
                .filter(|&index| dataset.issue_sprints(index).contains(&sprint))
                .collect();
            assert_eq!(dataset.sprint_issues(sprint), expected, "{}", sprint.id());
        }
    }

    #[test]
    fn boards_have_closed_then_active_then_future_sprints() {
        let mut ids = HashSet::new();
        for board in BOARDS.iter().filter(|board| board.is_scrum()) {
            let states: Vec<SprintState> = board.sprints().map(|sprint| sprint.state()).collect();
            assert_eq!(states.len() as u64, SPRINTS_PER_BOARD);
            let active = states
                .iter()
                .filter(|state| **state == SprintState::Active)
                .count();
            assert_eq!(active, 1, "{}", board.name);
            assert!(states.windows(2).all(|pair| pair[0] as u8 <= pair[1] as u8));
            for sprint in board.sprints() {
                assert!(ids.insert(sprint.id()));
                assert_eq!(Sprint::by_id(sprint.id()), Some(sprint));
                let json = sprint.agile_json("http://x");
                assert_eq!(json["originBoardId"], json!(board.id));
                assert_eq!(
                    json.get("completeDate").is_some(),
                    sprint.state() == SprintState::Closed
                );
            }
            // The far future sprints have no dates yet.
            let last = board.sprints().last().expect("sprints");
            assert!(last.agile_json("http://x").get("startDate").is_none());
        }
        let kanban = BOARDS
            .iter()
            .find(|board| !board.is_scrum())
            .expect("kanban");
        assert_eq!(kanban.board_type, "kanban");
        assert_eq!(kanban.sprints().count(), 0);
        assert_eq!(Sprint::by_id(301), None);
        assert_eq!(Sprint::by_id(100), None);
        assert_eq!(Sprint::by_id(156), None);
    }
}
