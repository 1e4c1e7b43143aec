//! An issue's worklogs, recomputed from `(seed, index)` on their own random stream: most issues
//! have none to five, some dozens, every 199th hundreds. Every time lies between the issue's
//! creation and its `updated`, and the issue's `timespent` is their sum.
//!
//! About one in ten is visible only to a group or a project role; in the emulator the first user
//! of every site (its administrator: Alice on alpha) belongs to both, nobody else does, so other
//! users are not given those worklogs, as the spec's permission text says.
//!
//! Worklog ids are `10000 + issue index × 4096 + position`: unique per site, in creation order
//! within an issue.

use serde_json::{Map, Value, json};

use super::Dataset;
use super::calendar::format_datetime;
use super::generator::{IssueCore, ceil_second};
use super::rendering::format_duration;
use super::rng::{Rng, Stream};

const MAX_WORKLOGS: usize = 4000;
/// How many worklogs an issue's `worklog` field carries, like Jira.
pub(crate) const WORKLOG_FIELD_MAX: usize = 20;
const COMMENTS: &[&str] = &[
    "Investigated the logs.",
    "Pairing session with the team.",
    "Implemented the change and its tests.",
    "Code review feedback addressed.",
    "Customer call: reproduced the problem, notes in the description.",
    "Deployed to staging; smoke tests pass.",
];

/// Who may see a restricted worklog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restriction {
    Group,
    Role,
}

/// One worklog (times in Unix milliseconds; people are indices into the data set's people).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Worklog {
    pub id: u64,
    pub author: usize,
    pub update_author: usize,
    pub started: i64,
    pub seconds: i64,
    pub created: i64,
    pub updated: i64,
    pub comment: Option<usize>,
    pub restriction: Option<Restriction>,
}

impl Worklog {
    /// Whether the user at `user` (index into the site's users, = people) may see it.
    pub(crate) fn visible_to(&self, user: usize) -> bool {
        self.restriction.is_none() || user == 0
    }
}

/// What worklogs are drawn from: small and `'static`, so a JQL predicate can carry it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WorklogSource {
    seed: u64,
    people: usize,
}

impl WorklogSource {
    /// The issue's worklogs in creation order.
    pub(crate) fn worklogs(&self, core: &IssueCore) -> Vec<Worklog> {
        let mut rng = Rng::new(self.seed, core.index, Stream::Worklogs);
        let count = if core.index % 199 == 11 {
            200 + rng.below(400) as usize
        } else if rng.chance(4) {
            21 + rng.below(60) as usize
        } else {
            rng.weighted(&[45, 20, 14, 10, 7, 4])
        };
        let people = self.people.max(1) as u64;
        let low = ceil_second(core.created);
        let high = core.updated.max(low);
        let span = ((high - low) / 60_000).max(0) as u64;
        let minute = |rng: &mut Rng, from: i64| {
            let left = ((high - from) / 60_000).max(0) as u64;
            (from + rng.below(left + 1) as i64 * 60_000).min(high)
        };
        let mut worklogs: Vec<Worklog> = (0..count.min(MAX_WORKLOGS))
            .map(|_| {
                let started = (low + rng.below(span + 1) as i64 * 60_000).min(high);
                let seconds = (1 + rng.below(32) as i64) * 900;
                let created = minute(&mut rng, started);
                let updated = if rng.chance(20) {
                    minute(&mut rng, created)
                } else {
                    created
                };
                let author = rng.below(people) as usize;
                let update_author = if updated > created && rng.chance(30) {
                    rng.below(people) as usize
                } else {
                    author
                };
                let comment = (!rng.chance(30)).then(|| rng.below(COMMENTS.len() as u64) as usize);
                let restriction = match rng.below(20) {
                    0 => Some(Restriction::Group),
                    1 => Some(Restriction::Role),
                    _ => None,
                };
                Worklog {
                    id: 0,
                    author,
                    update_author,
                    started,
                    seconds,
                    created,
                    updated,
                    comment,
                    restriction,
                }
            })
            .collect();
        worklogs.sort_by_key(|worklog| (worklog.created, worklog.started));
        for (position, worklog) in worklogs.iter_mut().enumerate() {
            worklog.id = 10_000 + core.index as u64 * 4096 + position as u64;
        }
        worklogs
    }
}

impl Dataset {
    pub(crate) fn worklog_source(&self) -> WorklogSource {
        WorklogSource {
            seed: self.seed,
            people: self.people.len(),
        }
    }

    /// The issue's worklogs in creation order (all of them, whoever may see them).
    pub(crate) fn worklogs(&self, core: &IssueCore) -> Vec<Worklog> {
        self.worklog_source().worklogs(core)
    }

    /// `timespent`: the sum of every worklog, `None` when nothing was logged.
    pub(crate) fn time_spent(&self, core: &IssueCore) -> Option<i64> {
        let total: i64 = self.worklogs(core).iter().map(|w| w.seconds).sum();
        (total > 0).then_some(total)
    }

    /// A `Worklog` as Jira writes it.
    pub(crate) fn worklog_json(&self, core: &IssueCore, worklog: &Worklog, api: u8) -> Value {
        let issue_id = core.id();
        let mut map = Map::new();
        map.insert(
            "self".into(),
            json!(format!(
                "{}/rest/api/{api}/issue/{issue_id}/worklog/{}",
                self.base_url, worklog.id
            )),
        );
        map.insert("author".into(), self.user_json(worklog.author, api));
        map.insert(
            "updateAuthor".into(),
            self.user_json(worklog.update_author, api),
        );
        if let Some(comment) = worklog.comment {
            let text = COMMENTS[comment];
            let value = if api == 2 {
                json!(text)
            } else {
                json!({
                    "type": "doc",
                    "version": 1,
                    "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]
                })
            };
            map.insert("comment".into(), value);
        }
        map.insert("created".into(), json!(format_datetime(worklog.created)));
        map.insert("updated".into(), json!(format_datetime(worklog.updated)));
        match worklog.restriction {
            Some(Restriction::Group) => {
                map.insert(
                    "visibility".into(),
                    json!({
                        "type": "group",
                        "value": "jira-administrators",
                        "identifier": "5f8a6e2c-1d3b-4c7a-9e0f-2b6d8c4a1e97",
                    }),
                );
            }
            Some(Restriction::Role) => {
                map.insert(
                    "visibility".into(),
                    json!({"type": "role", "value": "Administrators", "identifier": "10002"}),
                );
            }
            None => {}
        }
        map.insert("started".into(), json!(format_datetime(worklog.started)));
        map.insert("timeSpent".into(), json!(format_duration(worklog.seconds)));
        map.insert("timeSpentSeconds".into(), json!(worklog.seconds));
        map.insert("id".into(), json!(worklog.id.to_string()));
        map.insert("issueId".into(), json!(issue_id.to_string()));
        Value::Object(map)
    }

    /// The issue's `worklog` field for the user at `user` (`None`: an all-seeing user): the
    /// first [`WORKLOG_FIELD_MAX`] worklogs they may see, and `total`, the number they may see.
    pub(crate) fn worklog_field(&self, core: &IssueCore, user: Option<usize>, api: u8) -> Value {
        let visible: Vec<Worklog> = self
            .worklogs(core)
            .into_iter()
            .filter(|worklog| user.is_none_or(|user| worklog.visible_to(user)))
            .collect();
        json!({
            "startAt": 0,
            "maxResults": WORKLOG_FIELD_MAX,
            "total": visible.len(),
            "worklogs": visible
                .iter()
                .take(WORKLOG_FIELD_MAX)
                .map(|worklog| self.worklog_json(core, worklog, api))
                .collect::<Vec<_>>(),
        })
    }

    /// Re-renders a rendered issue's `worklog` field (if it has one) for the user at `user`.
    pub(crate) fn restrict_worklog_field(
        &self,
        issue: &mut Value,
        core: &IssueCore,
        user: usize,
        api: u8,
    ) {
        if let Some(field) = issue
            .get_mut("fields")
            .and_then(|fields| fields.get_mut("worklog"))
        {
            *field = self.worklog_field(core, Some(user), api);
        }
    }
}
