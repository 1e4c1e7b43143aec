//! The emulator's test API for code that checks itself against Jira's data without starting a
//! server (the product's unit tests): a site's users and generated issues, the field catalogue
//! `GET /rest/api/3/field` serves, and the bounded JQL parser `/search/jql` uses. Everything
//! else stays private, so the emulator's insides can change without breaking those tests.

use serde_json::Value;

use crate::config::DatasetConfig;
use crate::dataset::Dataset;
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
