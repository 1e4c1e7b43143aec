//! Drawing an issue from `(seed, index)`: first the cheap [`IssueCore`] JQL filters and sorts on,
//! then, from a separate random stream, the [`IssueExtra`] only rendering needs, so a search over
//! 500,000 issues never pays for summaries and custom fields.

use super::Dataset;
use super::calendar::{DAY_MS, format_date, parse_date};
use super::catalogue::{
    ANCHOR_NOW_MS, AWKWARD_SUMMARIES, BUG, CYCLE, DONE, EPIC, FIRST_ISSUE_ID, IN_PROGRESS,
    IN_REVIEW, LABELS, OBJECTS, PLATFORMS, PRIORITY_WEIGHTS, PROJECTS, SEVERITIES, SPAN_MS,
    SPRINT_DAYS, SPRINTS_PER_PROJECT, START_MS, STATUSES, STORY, SUBTASK, TAGS, TASK, TEAM_OPTIONS,
    TEAM_TEXTS, TO_DO, TYPE_WEIGHTS, VERBS, VERSIONS, WONT_DO,
};
use super::rng::{Rng, Stream};

/// The cheap part of an issue: everything JQL can filter or sort on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct IssueCore {
    pub index: usize,
    pub project: u8,
    pub number: u64,
    pub issue_type: u8,
    pub parent: Option<usize>,
    pub status: u8,
    pub priority: Option<u8>,
    pub resolution: Option<u8>,
    pub assignee: Option<usize>,
    pub reporter: usize,
    pub created: i64,
    pub updated: i64,
    pub resolved: Option<i64>,
    /// Days since 1970-01-01.
    pub due: Option<i64>,
    /// Bit `b` set = `LABELS[b]`.
    pub labels: u16,
}

impl IssueCore {
    pub(crate) fn id(&self) -> u64 {
        FIRST_ISSUE_ID + self.index as u64
    }

    pub(crate) fn category(&self) -> u8 {
        STATUSES[usize::from(self.status)].category
    }
}

/// Everything else, drawn from a separate random stream so JQL never pays for it.
pub(super) struct IssueExtra {
    pub(super) summary: String,
    pub(super) description: Option<String>,
    pub(super) components: Vec<usize>,
    pub(super) fix_versions: Vec<usize>,
    pub(super) sprints: Vec<i64>,
    pub(super) story_points: Option<f64>,
    pub(super) original_estimate: Option<i64>,
    pub(super) time_spent: Option<i64>,
    pub(super) severity: Option<usize>,
    pub(super) platforms: Vec<usize>,
    pub(super) reviewers: Vec<usize>,
    pub(super) customer_reference: Option<String>,
    pub(super) target_date: Option<i64>,
    pub(super) team_option: Option<usize>,
    pub(super) team_text: Option<&'static str>,
    pub(super) tags: Vec<&'static str>,
    pub(super) watchers: u32,
    pub(super) votes: u32,
}

impl Dataset {
    /// The filterable attributes of issue `index` (which must be `< len`).
    pub(crate) fn core(&self, index: usize) -> IssueCore {
        let (project, number) = project_and_number(index);
        let (issue_type, parent) = self.type_and_parent(index);
        let mut rng = Rng::new(self.seed, index, Stream::Core);
        let slot = SPAN_MS / (self.len.max(1) as i64);
        let created = START_MS + (index as i64) * slot + rng.below(slot.max(1) as u64) as i64;
        let age = 1.0 - index as f64 / self.len.max(1) as f64;
        let roll = rng.below(100) as f64;
        let done_percent = 25.0 + 60.0 * age;
        let status = if roll < done_percent {
            if rng.chance(85) { DONE } else { WONT_DO }
        } else if roll < done_percent + 20.0 {
            if rng.chance(60) {
                IN_PROGRESS
            } else {
                IN_REVIEW
            }
        } else {
            TO_DO
        };
        let priority = match rng.weighted(&PRIORITY_WEIGHTS) {
            5 => None,
            other => Some(other as u8),
        };
        let people = self.people.len().max(1);
        let assignee = (!rng.chance(15)).then(|| rng.below(people as u64) as usize);
        let reporter = rng.below(people as u64) as usize;
        let room = (ANCHOR_NOW_MS - created).clamp(0, 60 * DAY_MS);
        // Whole seconds, like the change histories that end at `updated` (their ids order by
        // the second; see `history.rs`).
        let updated = ceil_second(created + rng.below(room as u64 + 1) as i64);
        let done = STATUSES[usize::from(status)].category == 2;
        let resolved = done.then(|| {
            ceil_second(created + rng.below((updated - created) as u64 + 1) as i64).min(updated)
        });
        let resolution = done.then(|| match status {
            WONT_DO => 1,
            _ if rng.chance(10) => 2,
            _ => 0,
        });
        let due = rng
            .chance(35)
            .then(|| created.div_euclid(DAY_MS) + 7 + rng.below(54) as i64);
        let mut labels = 0u16;
        for _ in 0..rng.weighted(&[40, 35, 18, 7]) {
            labels |= 1 << rng.below(LABELS.len() as u64);
        }
        IssueCore {
            index,
            project,
            number,
            issue_type,
            parent,
            status,
            priority,
            resolution,
            assignee,
            reporter,
            created,
            updated,
            resolved,
            due,
            labels,
        }
    }

    /// Sub-tasks hang under an earlier standard issue of the same project, some standard issues
    /// under an earlier epic. Issues ten apart share a project, so candidates are `index - 10k`.
    fn type_and_parent(&self, index: usize) -> (u8, Option<usize>) {
        let raw = self.raw_type(index);
        let mut rng = Rng::new(self.seed, index, Stream::Parent);
        let wanted: &[u8] = match raw {
            SUBTASK => &[STORY, TASK, BUG],
            STORY | TASK | BUG if rng.chance(35) => &[EPIC],
            _ => return (raw, None),
        };
        let first = 1 + rng.below(3) as usize;
        let parent = (first..first + 40)
            .map_while(|steps| index.checked_sub(steps * CYCLE.len()))
            .find(|&candidate| wanted.contains(&self.raw_type(candidate)));
        match (raw, parent) {
            (SUBTASK, None) => (TASK, None),
            (raw, parent) => (raw, parent),
        }
    }

    fn raw_type(&self, index: usize) -> u8 {
        Rng::new(self.seed, index, Stream::Type).weighted(&TYPE_WEIGHTS) as u8
    }

    pub(super) fn extra(&self, core: &IssueCore) -> IssueExtra {
        let mut rng = Rng::new(self.seed, core.index, Stream::Extra);
        let project = &PROJECTS[usize::from(core.project)];
        let summary = if core.index % 37 == 5 {
            AWKWARD_SUMMARIES[(core.index / 37) % AWKWARD_SUMMARIES.len()].to_owned()
        } else {
            format!(
                "{} {} in {}",
                VERBS[rng.below(VERBS.len() as u64) as usize],
                OBJECTS[rng.below(OBJECTS.len() as u64) as usize],
                project.name
            )
        };
        let description = rng.chance(60).then(|| {
            format!(
                "Reported by {} on {}. Steps to reproduce: open the page, click \"Save\", wait.",
                self.people
                    .get(core.reporter)
                    .map_or("someone", |person| person.display_name.as_str()),
                format_date(core.created.div_euclid(DAY_MS))
            )
        });
        let mut components = Vec::new();
        for (component, _) in project.components.iter().enumerate() {
            if rng.chance(30) {
                components.push(component);
            }
        }
        let mut fix_versions = Vec::new();
        let reference_day = core.resolved.unwrap_or(core.updated).div_euclid(DAY_MS);
        if (core.resolved.is_some() || rng.chance(30))
            && let Some(version) = VERSIONS
                .iter()
                .position(|(_, date)| parse_date(date).is_some_and(|day| day >= reference_day))
        {
            fix_versions.push(version);
            if rng.chance(10) && version + 1 < VERSIONS.len() {
                fix_versions.push(version + 1);
            }
        }
        let mut sprints = Vec::new();
        if project.has_sprints && core.issue_type != EPIC && rng.chance(70) {
            let first = (core.created - START_MS).div_euclid(SPRINT_DAYS * DAY_MS);
            let carried = if core.resolved.is_none() && rng.chance(30) {
                1 + rng.below(2) as i64
            } else {
                0
            };
            sprints.extend((first..=first + carried).filter(|k| *k < SPRINTS_PER_PROJECT));
        }
        let story_points = (matches!(core.issue_type, STORY | BUG) && rng.chance(70))
            .then(|| [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0][rng.below(7) as usize]);
        let original_estimate = rng
            .chance(50)
            .then(|| [1, 2, 4, 8, 16, 24, 40][rng.below(7) as usize] * 3600);
        let started = core.status != TO_DO;
        // Drawn and dropped, so every later field keeps its values: time spent is now the sum
        // of the issue's worklogs.
        let _drawn_time_spent = match original_estimate {
            Some(estimate) if started && rng.chance(70) => {
                Some(rng.below((estimate as u64 * 3) / 2 / 1800 + 1) as i64 * 1800)
            }
            None if started && rng.chance(30) => Some((1 + rng.below(12) as i64) * 1800),
            _ => None,
        };
        let severity = (core.issue_type == BUG && rng.chance(90))
            .then(|| rng.below(SEVERITIES.len() as u64) as usize);
        let platforms = if rng.chance(40) {
            (0..PLATFORMS.len()).filter(|_| rng.chance(40)).collect()
        } else {
            Vec::new()
        };
        let reviewers = if rng.chance(30) {
            let count = 1 + rng.below(2);
            let mut chosen: Vec<usize> = (0..count)
                .map(|_| rng.below(self.people.len().max(1) as u64) as usize)
                .collect();
            chosen.dedup();
            chosen
        } else {
            Vec::new()
        };
        let customer_reference = rng.chance(25).then(|| {
            if rng.chance(20) {
                "ACME, Inc. \"Gold\"".to_owned()
            } else {
                format!("CUST-{}", 1000 + rng.below(9000))
            }
        });
        let target_date = rng
            .chance(30)
            .then(|| core.created.div_euclid(DAY_MS) + 14 + rng.below(120) as i64);
        let team_option = rng
            .chance(70)
            .then(|| rng.below(TEAM_OPTIONS.len() as u64) as usize);
        let team_text = rng
            .chance(50)
            .then(|| TEAM_TEXTS[rng.below(TEAM_TEXTS.len() as u64) as usize]);
        let tags = if rng.chance(30) {
            TAGS.iter().copied().filter(|_| rng.chance(50)).collect()
        } else {
            Vec::new()
        };
        IssueExtra {
            summary,
            description,
            components,
            fix_versions,
            sprints,
            story_points,
            original_estimate,
            time_spent: self.time_spent(core),
            severity,
            platforms,
            reviewers,
            customer_reference,
            target_date,
            team_option,
            team_text,
            tags,
            watchers: rng.below(5) as u32,
            votes: rng.below(4) as u32,
        }
    }
}

pub(super) fn project_and_number(index: usize) -> (u8, u64) {
    let position = index % CYCLE.len();
    let project = CYCLE[position];
    let per_cycle = CYCLE.iter().filter(|&&p| p == project).count() as u64;
    let rank = CYCLE[..position].iter().filter(|&&p| p == project).count() as u64;
    (project, (index / CYCLE.len()) as u64 * per_cycle + rank + 1)
}

/// `ms` rounded up to a whole second.
pub(super) fn ceil_second(ms: i64) -> i64 {
    ms.div_euclid(1000) * 1000 + if ms.rem_euclid(1000) == 0 { 0 } else { 1000 }
}
