//! The emulator's test API for code that checks itself against Jira's data without starting a
//! server (the product's unit tests): a site's users and generated issues, the field catalogue
//! `GET /rest/api/3/field` serves, and the bounded JQL parser `/search/jql` uses; and, on
//! [`Dataset`], the ground truth of change histories and worklogs. Everything else stays
//! private, so the emulator's insides can change without breaking those tests.

use serde_json::Value;

use crate::config::DatasetConfig;
use crate::dataset::{Dataset, STATUS_RENAME, STATUSES};
use crate::directory::{self, SiteInfo};
use crate::jql::{JqlError, Query};

/// One site as the running emulator would play it: who is there and which issues it holds.
/// A viewer's visible issues are [`Dataset::search`] with `Viewer::from(&info.users[i])`.
#[derive(Debug)]
pub struct SiteData {
    pub info: SiteInfo,
    pub dataset: Dataset,
}

/// Site number `site` (0 "alpha", 1 "beta", …) at `base_url`, with `config`'s issues: the same
/// users and issues a started emulator serves for the same values.
pub fn site_data(site: usize, base_url: &str, config: &DatasetConfig) -> SiteData {
    let info = directory::site(site, base_url);
    let people = directory::people(site, &info);
    let dataset = Dataset::new(config, site, &info.base_url, people);
    SiteData { info, dataset }
}

/// The field catalogue, exactly as `GET /rest/api/{2,3}/field` answers it.
pub fn field_catalogue() -> Value {
    crate::fields::catalogue_json()
}

/// Whether `/search/jql` would accept `jql`: it parses, within the nesting limit, and is bounded
/// (has a restriction, not only `ORDER BY`).
pub fn parse_bounded_jql(jql: &str) -> Result<(), JqlError> {
    Query::parse_bounded(jql).map(|_| ())
}

/// A status renamed since histories were written: its id, the name histories written before
/// `renamed_at_ms` carry, and the name `GET /status` and issues show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenamedStatus {
    pub id: String,
    pub old_name: &'static str,
    pub new_name: &'static str,
    pub renamed_at_ms: i64,
}

pub fn renamed_status() -> RenamedStatus {
    let (status, old_name, renamed_at_ms) = STATUS_RENAME;
    let def = &STATUSES[usize::from(status)];
    RenamedStatus {
        id: def.id.to_string(),
        old_name,
        new_name: def.name,
        renamed_at_ms,
    }
}

impl Dataset {
    /// Ground truth: every change history of the issue at `index`, oldest first, as
    /// `GET /rest/api/3/issue/{id}/changelog` lists them (`Changelog` JSON, API v3). Histories
    /// are not permission-restricted: whoever may browse the issue sees them all.
    pub fn change_histories(&self, index: usize) -> Vec<Value> {
        if index >= self.len() {
            return Vec::new();
        }
        let core = self.core(index);
        self.history(&core)
            .iter()
            .map(|change| self.change_json(change, 3, &[]))
            .collect()
    }

    /// Ground truth: the issue's worklogs in creation order (`Worklog` JSON, API v3) as the
    /// site user at `user` gets them (`None`: an all-seeing user, who also gets the worklogs
    /// restricted to a group or role).
    pub fn worklog_list(&self, index: usize, user: Option<usize>) -> Vec<Value> {
        if index >= self.len() {
            return Vec::new();
        }
        let core = self.core(index);
        self.worklogs(&core)
            .iter()
            .filter(|worklog| user.is_none_or(|user| worklog.visible_to(user)))
            .map(|worklog| self.worklog_json(&core, worklog, 3))
            .collect()
    }

    /// Issues (indices) with more than 100 change histories: more than the issue payload's
    /// changelog ever carries.
    pub fn issues_with_over_100_changes(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&index| self.history(&self.core(index)).len() > 100)
            .collect()
    }

    /// Issues (indices) with more than 20 worklogs: more than the issue's `worklog` field carries.
    pub fn issues_with_over_20_worklogs(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&index| self.worklogs(&self.core(index)).len() > 20)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Viewer;

    const EVERY_PROJECT: &str = "project in (ALPHA, BETA, OPS, DATA) order by key";

    #[test]
    fn site_data_matches_what_the_server_plays() {
        let site = site_data(
            0,
            "http://127.0.0.1:9001/",
            &DatasetConfig {
                issues: 30,
                seed: 42,
            },
        );
        assert_eq!(site.info.name, "alpha");
        assert_eq!(site.info.base_url, "http://127.0.0.1:9001");
        assert_eq!(site.dataset.len(), 30);
        let alice = Viewer::from(&site.info.users[0]);
        let bob = Viewer::from(&site.info.users[1]);
        let all = site
            .dataset
            .search(EVERY_PROJECT, &alice, 0)
            .expect("search");
        assert_eq!(all.len(), 30);
        // Bob cannot browse OPS: to him, as in Jira, the project does not exist.
        assert!(site.dataset.search(EVERY_PROJECT, &bob, 0).is_err());
    }

    #[test]
    fn the_catalogue_lists_fields_with_ids_and_names() {
        let catalogue = field_catalogue();
        let fields = catalogue.as_array().expect("an array");
        assert!(fields.iter().any(|field| field["id"] == "summary"));
        assert!(fields.iter().all(|field| field["name"].is_string()));
    }

    #[test]
    fn the_bounded_parser_refuses_what_search_jql_refuses() {
        assert!(parse_bounded_jql("project = ALPHA order by key").is_ok());
        assert!(matches!(
            parse_bounded_jql("order by key"),
            Err(JqlError::Unbounded)
        ));
        assert!(parse_bounded_jql("project = (").is_err());
    }
}
