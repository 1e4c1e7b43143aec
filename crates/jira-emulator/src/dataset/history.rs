//! An issue's change history, recomputed from `(seed, index)` on its own random stream, so only
//! the changelog endpoints pay for it. Each field's changes are drawn as a chain of values that
//! ends in the issue's current value, then the chains are merged by time: whatever order they
//! interleave in, every `from` is the value the previous change of that field left.
//!
//! Status moves along the workflow To Do → In Progress ⇄ In Review → Done (Won't Do from
//! anywhere), timed so that the move into the current status category falls on the issue's
//! `statuscategorychangedate` and the move into a done status on `resolutiondate`. The last
//! change falls on `updated`, so JQL `updated` and the history agree. Some issues were moved from
//! another project (`project` and `Key` items; a `status` item too when In Review had to become
//! In Progress). A few percent have more than 100 changes, every 211th several hundred.
//!
//! Change ids are `10000 + (second since 2024-01-01 << 32 | issue index << 12 | position)`:
//! unique per site, increasing with time (hence whole-second times), and below 2⁶³.

use serde_json::{Map, Value, json};

use super::Dataset;
use super::calendar::format_datetime;
use super::catalogue::{
    DONE, EPIC, IN_PROGRESS, IN_REVIEW, LABELS, PRIORITIES, PROJECTS, RESOLUTIONS, START_MS,
    STATUS_RENAME, STATUSES, TO_DO, WONT_DO,
};
use super::generator::{IssueCore, ceil_second};
use super::rng::{Rng, Stream};

/// Most changes one issue gets (the id layout has 12 bits for the position).
const MAX_CHANGES: usize = 4000;
const STORY_POINTS: [f64; 7] = [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0];

/// One changelog entry: who changed what, when.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Change {
    pub id: u64,
    /// Unix milliseconds (whole seconds).
    pub at: i64,
    /// Index into the data set's people.
    pub author: usize,
    pub items: Vec<ChangeItem>,
}

/// One changed field, with Jira's `ChangeDetails` keys (absent values are left out).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChangeItem {
    pub field: &'static str,
    pub fieldtype: &'static str,
    pub field_id: &'static str,
    pub from: Option<String>,
    pub from_string: Option<String>,
    pub to: Option<String>,
    pub to_string: Option<String>,
}

/// A change before ids are given: time, chain order (keeps a chain's steps in order on equal
/// times), author, items.
struct Draft {
    at: i64,
    order: usize,
    author: usize,
    items: Vec<ChangeItem>,
}

impl Dataset {
    /// When the issue last changed status category: creation for To Do, the middle of its life
    /// for In Progress, its resolution for Done. `statuscategorychangedate` and the history agree.
    pub(crate) fn status_category_changed(&self, core: &IssueCore) -> i64 {
        match core.category() {
            0 => core.created,
            1 => ceil_second(core.created + (core.updated - core.created) / 2).min(core.updated),
            _ => core.resolved.unwrap_or(core.updated),
        }
    }

    /// Every change of the issue, oldest first.
    pub(crate) fn history(&self, core: &IssueCore) -> Vec<Change> {
        if core.updated <= core.created {
            return Vec::new();
        }
        let mut rng = Rng::new(self.seed, core.index, Stream::History);
        let low = ceil_second(core.created);
        let high = core.updated;
        let wanted = if core.index % 211 == 17 {
            300 + rng.below(400) as usize
        } else if rng.chance(3) {
            101 + rng.below(150) as usize
        } else {
            rng.weighted(&[10, 14, 16, 14, 12, 10, 8, 6, 4, 3, 2, 1])
        };
        let people = self.people.len().max(1) as u64;
        let mut drafts = Vec::new();
        let loops = wanted.saturating_sub(8) / 2;
        self.status_chain(core, &mut rng, loops, low, &mut drafts);
        self.move_between_projects(core, &mut rng, low, high, &mut drafts);
        let others = wanted.saturating_sub(drafts.len()).max(1);
        self.field_edits(core, &mut rng, others, low, high, &mut drafts);
        for draft in &mut drafts {
            if draft.author == usize::MAX {
                draft.author = rng.below(people) as usize;
            }
        }
        drafts.sort_by_key(|draft| (draft.at, draft.order));
        drafts.truncate(MAX_CHANGES);
        let first_second = (START_MS / 1000) as u64;
        drafts
            .into_iter()
            .enumerate()
            .map(|(position, draft)| Change {
                id: 10_000
                    + (((draft.at / 1000) as u64 - first_second) << 32
                        | (core.index as u64 & 0xF_FFFF) << 12
                        | position as u64),
                at: draft.at,
                author: draft.author,
                items: draft.items,
            })
            .collect()
    }

    /// The status steps from To Do to the current status, with `loops` extra In Progress ⇄ In
    /// Review visits (fewer when the current status leaves no room for them).
    fn status_chain(
        &self,
        core: &IssueCore,
        rng: &mut Rng,
        loops: usize,
        low: i64,
        drafts: &mut Vec<Draft>,
    ) {
        let changed = self.status_category_changed(core);
        // (status before, status after) in order, then their times.
        let mut steps: Vec<(u8, u8)> = Vec::new();
        let (start, end) = match core.status {
            TO_DO => return,
            IN_PROGRESS | IN_REVIEW => {
                steps.push((TO_DO, IN_PROGRESS));
                let mut current = IN_PROGRESS;
                // An odd number of visits ends in In Progress, an even one in In Review.
                let mut visits = 1 + loops + rng.below(4) as usize;
                if visits.is_multiple_of(2) == (core.status == IN_PROGRESS) {
                    visits += 1;
                }
                for _ in 1..visits {
                    let next = if current == IN_PROGRESS {
                        IN_REVIEW
                    } else {
                        IN_PROGRESS
                    };
                    steps.push((current, next));
                    current = next;
                }
                (changed, core.updated)
            }
            _ => {
                if core.status == WONT_DO && rng.chance(50) {
                    steps.push((TO_DO, WONT_DO));
                } else {
                    steps.push((TO_DO, IN_PROGRESS));
                    let mut current = IN_PROGRESS;
                    let visits = 1 + loops + rng.below(3) as usize;
                    for _ in 1..visits {
                        let next = if current == IN_PROGRESS {
                            IN_REVIEW
                        } else {
                            IN_PROGRESS
                        };
                        steps.push((current, next));
                        current = next;
                    }
                    if core.status == DONE && current == IN_PROGRESS {
                        steps.push((IN_PROGRESS, IN_REVIEW));
                        current = IN_REVIEW;
                    }
                    steps.push((current, core.status));
                }
                (low, changed)
            }
        };
        // The first step of In Progress issues and the last of done ones sit on their anchor;
        // the others fall in between.
        let count = steps.len();
        let mut times: Vec<i64> = (0..count).map(|_| between(rng, start, end)).collect();
        times.sort_unstable();
        if core.category() == 1 {
            times[0] = start;
        } else {
            times[count - 1] = end;
        }
        for (order, ((from, to), at)) in steps.into_iter().zip(times).enumerate() {
            let mut items = vec![status_item(from, to, at)];
            if STATUSES[usize::from(to)].category == 2 {
                let (id, name, _) = RESOLUTIONS[usize::from(core.resolution.unwrap_or(0))];
                items.insert(
                    0,
                    item(
                        "resolution",
                        "jira",
                        "resolution",
                        (None, None),
                        (Some(id.to_string()), Some(name.to_owned())),
                    ),
                );
            }
            drafts.push(Draft {
                at,
                order,
                author: core.assignee.unwrap_or(usize::MAX),
                items,
            });
        }
    }

    /// About 3% of standard issues came from another project: the move turns an In Review step
    /// back to In Progress (that project's workflow has no review), or happens on its own.
    fn move_between_projects(
        &self,
        core: &IssueCore,
        rng: &mut Rng,
        low: i64,
        high: i64,
        drafts: &mut Vec<Draft>,
    ) {
        if core.parent.is_some() || core.issue_type == EPIC || !rng.chance(3) {
            return;
        }
        let old = (usize::from(core.project) + 1 + rng.below(PROJECTS.len() as u64 - 1) as usize)
            % PROJECTS.len();
        let (old_def, new_def) = (&PROJECTS[old], &PROJECTS[usize::from(core.project)]);
        let moved = [
            item(
                "project",
                "jira",
                "project",
                (Some(old_def.id.to_string()), Some(old_def.name.to_owned())),
                (Some(new_def.id.to_string()), Some(new_def.name.to_owned())),
            ),
            item(
                "Key",
                "jira",
                "issuekey",
                (None, Some(self.key_before_move(core.index, old))),
                (None, Some(format!("{}-{}", new_def.key, core.number))),
            ),
        ];
        let review_back = drafts.iter_mut().find(|draft| {
            draft.items.iter().any(|item| {
                item.field_id == "status"
                    && item.from.as_deref()
                        == Some(&STATUSES[usize::from(IN_REVIEW)].id.to_string())
                    && item.to.as_deref()
                        == Some(&STATUSES[usize::from(IN_PROGRESS)].id.to_string())
            })
        });
        match review_back {
            Some(draft) => {
                let position = draft.items.len() - 1;
                draft.items.splice(position..position, moved);
            }
            None => drafts.push(Draft {
                at: between(rng, low, high),
                order: usize::MAX,
                author: usize::MAX,
                items: moved.to_vec(),
            }),
        }
    }

    /// The key a moved issue had in project `old`: a number past every issue of the data set,
    /// so it never names another issue.
    pub(crate) fn key_before_move(&self, index: usize, old: usize) -> String {
        format!("{}-{}", PROJECTS[old].key, self.len + index + 1)
    }

    /// `count` edits of assignee, priority, labels, summary and story points, the last at `high`.
    fn field_edits(
        &self,
        core: &IssueCore,
        rng: &mut Rng,
        count: usize,
        low: i64,
        high: i64,
        drafts: &mut Vec<Draft>,
    ) {
        let extra = self.extra(core);
        let has_points = extra.story_points.is_some();
        let weights = [30, 15, 25, 15, if has_points { 15 } else { 0 }];
        let mut per_field = [0usize; 5];
        let forced = rng.weighted(&weights);
        per_field[forced] += 1;
        for _ in 1..count {
            per_field[rng.weighted(&weights)] += 1;
        }
        let people = self.people.len().max(1) as u64;
        for (field, &edits) in per_field.iter().enumerate() {
            if edits == 0 {
                continue;
            }
            let mut times: Vec<i64> = (0..edits).map(|_| between(rng, low, high)).collect();
            times.sort_unstable();
            if field == forced {
                times[edits - 1] = high;
            }
            // Values from the newest back: value[edits] is today's, value[0] the first.
            let items: Vec<ChangeItem> = match field {
                0 => {
                    let chain = chain_back(edits, core.assignee, |_| {
                        (!rng.chance(10)).then(|| rng.below(people) as usize)
                    });
                    pairs(&chain)
                        .map(|(from, to)| {
                            let user = |person: Option<usize>| {
                                let person = person.and_then(|p| self.people.get(p));
                                (
                                    person.map(|p| p.account_id.clone()),
                                    person.map(|p| p.display_name.clone()),
                                )
                            };
                            item("assignee", "jira", "assignee", user(from), user(to))
                        })
                        .collect()
                }
                1 => {
                    let chain = chain_back(edits, core.priority, |_| {
                        Some(rng.below(PRIORITIES.len() as u64) as u8)
                    });
                    pairs(&chain)
                        .map(|(from, to)| {
                            let priority = |value: Option<u8>| {
                                let def = value.map(|p| PRIORITIES[usize::from(p)]);
                                (
                                    def.map(|(id, _)| id.to_string()),
                                    def.map(|(_, name)| name.to_owned()),
                                )
                            };
                            item("priority", "jira", "priority", priority(from), priority(to))
                        })
                        .collect()
                }
                2 => {
                    let chain = chain_back(edits, core.labels, |next| {
                        next ^ (1 << rng.below(LABELS.len() as u64))
                    });
                    pairs(&chain)
                        .map(|(from, to)| {
                            item(
                                "labels",
                                "jira",
                                "labels",
                                (None, label_text(from)),
                                (None, label_text(to)),
                            )
                        })
                        .collect()
                }
                3 => {
                    let chain = chain_back(edits, 0usize, |next| next + 1);
                    pairs(&chain)
                        .map(|(from, to)| {
                            let text = |drafts_back: usize| {
                                if drafts_back == 0 {
                                    extra.summary.clone()
                                } else {
                                    format!("{} (draft {drafts_back})", extra.summary)
                                }
                            };
                            item(
                                "summary",
                                "jira",
                                "summary",
                                (None, Some(text(from))),
                                (None, Some(text(to))),
                            )
                        })
                        .collect()
                }
                _ => {
                    let chain = chain_back(edits, extra.story_points, |next| {
                        let mut value = STORY_POINTS[rng.below(7) as usize];
                        if Some(value) == *next {
                            value = if value > 1.0 { value / 2.0 } else { 21.0 };
                        }
                        (!rng.chance(10)).then_some(value)
                    });
                    pairs(&chain)
                        .map(|(from, to)| {
                            let points = |value: Option<f64>| value.map(|v| v.to_string());
                            item(
                                "Story Points",
                                "custom",
                                "customfield_10016",
                                (None, points(from)),
                                (None, points(to)),
                            )
                        })
                        .collect()
                }
            };
            // A chain can come out shorter than asked; it keeps the latest times (and `high`).
            let skip = times.len().saturating_sub(items.len());
            for (step, (item, at)) in items.into_iter().zip(times.split_off(skip)).enumerate() {
                drafts.push(Draft {
                    at,
                    order: 1_000_000 + field * 10_000 + step,
                    author: usize::MAX,
                    items: vec![item],
                });
            }
        }
    }

    /// A `Changelog` (`changeHistories` / `values` entry) as Jira writes it.
    pub(crate) fn change_json(&self, change: &Change, api: u8, field_ids: &[String]) -> Value {
        let items: Vec<Value> = change
            .items
            .iter()
            .filter(|item| field_ids.is_empty() || field_ids.iter().any(|id| id == item.field_id))
            .map(ChangeItem::to_json)
            .collect();
        json!({
            "id": change.id.to_string(),
            "author": self.user_json(change.author, api),
            "created": format_datetime(change.at),
            "items": items,
        })
    }
}

impl ChangeItem {
    fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("field".into(), json!(self.field));
        map.insert("fieldtype".into(), json!(self.fieldtype));
        map.insert("fieldId".into(), json!(self.field_id));
        for (key, value) in [
            ("from", &self.from),
            ("fromString", &self.from_string),
            ("to", &self.to),
            ("toString", &self.to_string),
        ] {
            if let Some(value) = value {
                map.insert(key.into(), json!(value));
            }
        }
        Value::Object(map)
    }
}

type Pair = (Option<String>, Option<String>);

fn item(
    field: &'static str,
    fieldtype: &'static str,
    field_id: &'static str,
    (from, from_string): Pair,
    (to, to_string): Pair,
) -> ChangeItem {
    ChangeItem {
        field,
        fieldtype,
        field_id,
        from,
        from_string,
        to,
        to_string,
    }
}

/// A status item; before the rename, the renamed status carries its old name.
fn status_item(from: u8, to: u8, at: i64) -> ChangeItem {
    let name = |status: u8| {
        let (renamed, old_name, renamed_at) = STATUS_RENAME;
        if status == renamed && at < renamed_at {
            old_name.to_owned()
        } else {
            STATUSES[usize::from(status)].name.to_owned()
        }
    };
    let id = |status: u8| STATUSES[usize::from(status)].id.to_string();
    item(
        "status",
        "jira",
        "status",
        (Some(id(from)), Some(name(from))),
        (Some(id(to)), Some(name(to))),
    )
}

/// `edits + 1` values ending in `current`, each drawn by `earlier(next)` and different from the
/// value after it; returned oldest first.
fn chain_back<T: PartialEq + Clone>(
    edits: usize,
    current: T,
    mut earlier: impl FnMut(&T) -> T,
) -> Vec<T> {
    let mut chain = vec![current];
    for _ in 0..edits {
        let next = chain.last().cloned().unwrap_or_else(|| unreachable!());
        let mut value = earlier(&next);
        let mut tries = 0;
        while value == next && tries < 8 {
            value = earlier(&next);
            tries += 1;
        }
        if value == next {
            break;
        }
        chain.push(value);
    }
    chain.reverse();
    chain
}

fn pairs<T: Clone>(chain: &[T]) -> impl Iterator<Item = (T, T)> + '_ {
    chain
        .windows(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
}

/// Labels as a changelog writes them: space-separated, in label order; `None` for none.
fn label_text(mask: u16) -> Option<String> {
    let labels: Vec<&str> = (0..LABELS.len())
        .filter(|bit| mask & (1 << bit) != 0)
        .map(|bit| LABELS[bit])
        .collect();
    (!labels.is_empty()).then(|| labels.join(" "))
}

/// A whole second in `[low, high]` (`high` when the range is empty).
fn between(rng: &mut Rng, low: i64, high: i64) -> i64 {
    if high <= low {
        return high;
    }
    let seconds = (high - low) / 1000;
    (low + rng.below(seconds as u64 + 1) as i64 * 1000).min(high)
}
