//! Snapshots of search results behind opaque `nextPageToken`s. A search runs once, on its first
//! page; later pages slice the snapshot, so every issue appears exactly once however the client
//! pages. Memory is bounded: the oldest snapshots are dropped first.

use std::collections::VecDeque;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const MAX_SNAPSHOTS: usize = 64;
/// About 32 MB of indices in total.
const MAX_INDICES: usize = 8_000_000;

#[derive(Debug, Default)]
pub(crate) struct SearchCache {
    next_id: u64,
    snapshots: VecDeque<Snapshot>,
    indices: usize,
}

#[derive(Debug)]
struct Snapshot {
    id: u64,
    account_id: String,
    jql: String,
    results: Arc<Vec<u32>>,
}

impl SearchCache {
    /// Keeps `results` for later pages and returns the snapshot id.
    pub(crate) fn insert(&mut self, account_id: &str, jql: &str, results: Arc<Vec<u32>>) -> u64 {
        self.next_id += 1;
        self.indices += results.len();
        self.snapshots.push_back(Snapshot {
            id: self.next_id,
            account_id: account_id.to_owned(),
            jql: jql.to_owned(),
            results,
        });
        while self.snapshots.len() > MAX_SNAPSHOTS
            || (self.indices > MAX_INDICES && self.snapshots.len() > 1)
        {
            if let Some(dropped) = self.snapshots.pop_front() {
                self.indices -= dropped.results.len();
            }
        }
        self.next_id
    }

    /// The snapshot `id`, if it still exists and belongs to this user (and this query, when the
    /// client repeats it).
    pub(crate) fn find(
        &self,
        id: u64,
        account_id: &str,
        jql: Option<&str>,
    ) -> Option<Arc<Vec<u32>>> {
        self.snapshots
            .iter()
            .find(|snapshot| {
                snapshot.id == id
                    && snapshot.account_id == account_id
                    && jql.is_none_or(|jql| snapshot.jql == jql)
            })
            .map(|snapshot| Arc::clone(&snapshot.results))
    }
}

/// Where the next page starts: `(snapshot id, offset)`, base64url-encoded so clients treat it as
/// opaque.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageToken {
    pub snapshot: u64,
    pub offset: usize,
}

impl PageToken {
    pub(crate) fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("emu1:{}:{}", self.snapshot, self.offset))
    }

    pub(crate) fn decode(token: &str) -> Option<PageToken> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token.trim()).ok()?).ok()?;
        let mut parts = raw.split(':');
        if parts.next()? != "emu1" {
            return None;
        }
        let snapshot = parts.next()?.parse().ok()?;
        let offset = parts.next()?.parse().ok()?;
        parts
            .next()
            .is_none()
            .then_some(PageToken { snapshot, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_junk() {
        let token = PageToken {
            snapshot: 12,
            offset: 5000,
        };
        assert_eq!(PageToken::decode(&token.encode()), Some(token));
        assert_eq!(PageToken::decode("not a token"), None);
        assert_eq!(PageToken::decode(&URL_SAFE_NO_PAD.encode("emu1:1")), None);
    }

    #[test]
    fn snapshots_are_per_user_and_query_and_bounded() {
        let mut cache = SearchCache::default();
        let id = cache.insert("a", "project = X", Arc::new(vec![1, 2, 3]));
        assert_eq!(
            cache.find(id, "a", Some("project = X")).map(|r| r.len()),
            Some(3)
        );
        assert!(cache.find(id, "b", None).is_none());
        assert!(cache.find(id, "a", Some("project = Y")).is_none());
        for _ in 0..MAX_SNAPSHOTS {
            cache.insert("a", "q", Arc::new(vec![0]));
        }
        assert!(cache.find(id, "a", None).is_none());
        assert_eq!(cache.snapshots.len(), MAX_SNAPSHOTS);
    }
}
