//! The deterministic issue data set. Nothing per issue is stored: issue `i` is recomputed from
//! `(seed, i)` whenever it is needed, so 500,000 issues cost no more memory than 500, and a test
//! can ask for the ground truth of any issue and compare it with what the app exported.
//!
//! One concern per file: [`catalogue`] (the fixed projects, types, statuses, options every site
//! shares), [`generator`] (drawing an issue's values from the seed), [`rendering`] (an issue as
//! Jira's JSON), [`calendar`] (Jira's date formats), [`rng`] (the reproducible random streams).
//! This file holds the [`Dataset`] itself: its size, people and the index ⇄ id/key mapping.

mod calendar;
mod catalogue;
mod generator;
mod history;
mod rendering;
mod rng;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_history;
mod worklogs;

use serde_json::Value;

use crate::config::DatasetConfig;
use crate::directory::Person;
use crate::fields::FieldSelection;

pub(crate) use calendar::{format_datetime, parse_date};
use catalogue::CYCLE;
pub use catalogue::{ApiVersion, FIRST_ISSUE_ID, ProjectDef};
pub(crate) use catalogue::{
    CATEGORIES, ISSUE_TYPES, LABELS, PRIORITIES, PROJECTS, RESOLUTIONS, STATUS_RENAME, STATUSES,
};
pub(crate) use generator::IssueCore;
use generator::project_and_number;
pub(crate) use history::Change;
use rng::mix;
pub(crate) use worklogs::Worklog;

/// One site's issues.
#[derive(Debug)]
pub struct Dataset {
    seed: u64,
    len: usize,
    base_url: String,
    people: Vec<Person>,
}

impl Dataset {
    /// The issues of site `site_index` (each site gets its own seed), linking to `base_url`.
    pub fn new(
        config: &DatasetConfig,
        site_index: usize,
        base_url: &str,
        people: Vec<Person>,
    ) -> Self {
        Self {
            seed: mix(config.seed ^ mix(site_index as u64 + 0x5eed)),
            len: config.issues,
            base_url: base_url.trim_end_matches('/').to_owned(),
            people,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn people(&self) -> &[Person] {
        &self.people
    }

    pub fn projects(&self) -> &'static [ProjectDef] {
        PROJECTS
    }

    /// The issue id (`"10000"`…) of the issue at `index`.
    pub fn issue_id(&self, index: usize) -> Option<String> {
        (index < self.len).then(|| (FIRST_ISSUE_ID + index as u64).to_string())
    }

    /// The issue key (`"ALPHA-1"`…) of the issue at `index`.
    pub fn issue_key(&self, index: usize) -> Option<String> {
        (index < self.len).then(|| {
            let (project, number) = project_and_number(index);
            format!("{}-{number}", PROJECTS[usize::from(project)].key)
        })
    }

    /// The project key of the issue at `index`.
    pub fn project_key(&self, index: usize) -> Option<&'static str> {
        (index < self.len).then(|| PROJECTS[usize::from(CYCLE[index % CYCLE.len()])].key)
    }

    /// Finds an issue by id (`"10005"`) or key (`"ALPHA-3"`, any case).
    pub fn index_of(&self, id_or_key: &str) -> Option<usize> {
        if let Ok(id) = id_or_key.parse::<u64>() {
            let index = usize::try_from(id.checked_sub(FIRST_ISSUE_ID)?).ok()?;
            return (index < self.len).then_some(index);
        }
        let (project_key, number) = id_or_key.rsplit_once('-')?;
        let project = PROJECTS
            .iter()
            .position(|project| project.key.eq_ignore_ascii_case(project_key))?;
        self.index_of_key(project, number.parse().ok()?)
    }

    pub(crate) fn index_of_key(&self, project: usize, number: u64) -> Option<usize> {
        let per_cycle = CYCLE.iter().filter(|&&p| usize::from(p) == project).count() as u64;
        let zero_based = number.checked_sub(1)?;
        let cycle_number = zero_based / per_cycle;
        let rank = zero_based % per_cycle;
        let position = CYCLE
            .iter()
            .enumerate()
            .filter(|(_, p)| usize::from(**p) == project)
            .nth(usize::try_from(rank).ok()?)?
            .0;
        let index = usize::try_from(cycle_number)
            .ok()?
            .checked_mul(CYCLE.len())?
            .checked_add(position)?;
        (index < self.len).then_some(index)
    }

    /// Ground truth: the issue with every field, as `POST /rest/api/3/issue/bulkfetch` with
    /// `fields: ["*all"]` returns it.
    pub fn issue(&self, index: usize) -> Option<Value> {
        (index < self.len)
            .then(|| self.render(&self.core(index), &FieldSelection::all(), ApiVersion::V3))
    }
}
