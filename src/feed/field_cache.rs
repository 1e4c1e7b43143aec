//! A short-lived cache of each user's Jira field catalogue (`GET /rest/api/3/field`), which names
//! the custom columns. BI tools fetch `$metadata` and the first page again and again (navigator,
//! preview, refresh are separate evaluations), so without it every one of them would call Jira.
//!
//! Why a cache and not a column set stored with the data source: the names must follow the site
//! (a field renamed in Jira should rename its column on the next refresh, as users expect), and
//! [`super::columns::ColumnSet::build`] is deterministic, so a cached catalogue gives the same
//! columns to `$metadata` and to the rows. Entries live [`TTL`] and are per site *and* user,
//! since field visibility is per user.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

use crate::jira::client::JiraField;

/// How long a catalogue is reused.
pub const TTL: Duration = Duration::minutes(10);
/// Entries kept at most (the oldest go first).
const MAX_ENTRIES: usize = 1_000;

/// (tenant id, account id) → (fetched at, catalogue).
type Entries = HashMap<(i64, String), (OffsetDateTime, Arc<Vec<JiraField>>)>;

#[derive(Debug, Default)]
pub struct FieldCache {
    entries: Mutex<Entries>,
}

impl FieldCache {
    /// The catalogue of (`tenant_id`, `account_id`) if fetched less than [`TTL`] before `now`.
    pub fn get(
        &self,
        tenant_id: i64,
        account_id: &str,
        now: OffsetDateTime,
    ) -> Option<Arc<Vec<JiraField>>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, fields) = entries.get(&(tenant_id, account_id.to_owned()))?;
        (now - *at < TTL && *at <= now).then(|| Arc::clone(fields))
    }

    pub fn put(
        &self,
        tenant_id: i64,
        account_id: &str,
        fields: Arc<Vec<JiraField>>,
        now: OffsetDateTime,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, (at, _)| now - *at < TTL);
        while entries.len() >= MAX_ENTRIES {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(key) => entries.remove(&key),
                None => break,
            };
        }
        entries.insert((tenant_id, account_id.to_owned()), (now, fields));
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn entries_expire_and_are_per_user() {
        let cache = FieldCache::default();
        let t0 = datetime!(2026-01-01 10:00 UTC);
        cache.put(1, "alice", Arc::new(Vec::new()), t0);
        assert!(cache.get(1, "alice", t0 + Duration::minutes(9)).is_some());
        assert!(cache.get(1, "alice", t0 + TTL).is_none());
        assert!(cache.get(1, "bob", t0).is_none());
        assert!(cache.get(2, "alice", t0).is_none());
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = FieldCache::default();
        let t0 = datetime!(2026-01-01 10:00 UTC);
        for i in 0..(MAX_ENTRIES + 10) {
            cache.put(
                1,
                &i.to_string(),
                Arc::new(Vec::new()),
                t0 + Duration::milliseconds(i as i64),
            );
        }
        let size = cache.entries.lock().map_or(0, |e| e.len());
        assert_eq!(size, MAX_ENTRIES);
        assert!(cache.get(1, "0", t0 + Duration::seconds(2)).is_none());
        assert!(
            cache
                .get(1, &(MAX_ENTRIES + 9).to_string(), t0 + Duration::seconds(2))
                .is_some()
        );
    }
}
