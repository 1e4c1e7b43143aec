//! What both admin history tabs show: the filter form (errors next to their fields), one page
//! of events, the pager and the CSV link, each link keeping the filter.

use std::collections::HashMap;

use crate::admin::history::filter::HistoryFilter;
use crate::admin::history::rows::AdminHistoryRow;
use crate::audit::history::HistoryPage;

/// The history part of an admin tab.
pub struct HistorySection {
    /// The tab's path (the form's action, the pager's base).
    pub path: &'static str,
    pub filter: HistoryFilter,
    pub rows: Vec<AdminHistoryRow>,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub previous_path: Option<String>,
    pub next_path: Option<String>,
    pub csv_path: String,
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

impl HistorySection {
    /// Every account id the rows name (for [`crate::pages::people_names::names_of`]).
    pub fn account_ids(&self) -> Vec<String> {
        self.rows
            .iter()
            .flat_map(AdminHistoryRow::account_ids)
            .cloned()
            .collect()
    }

    /// Gives every row the names of its people.
    pub fn name_people(&mut self, names: &HashMap<String, String>) {
        self.rows.iter_mut().for_each(|row| row.name_people(names));
    }

    pub fn new(
        path: &'static str,
        csv_path: &'static str,
        filter: HistoryFilter,
        history: HistoryPage,
    ) -> Self {
        let page_path = |page: i64| with_query(path, &filter.query(page));
        Self {
            previous_path: (history.page > 1).then(|| page_path(history.page - 1)),
            next_path: (history.page < history.pages).then(|| page_path(history.page + 1)),
            csv_path: with_query(csv_path, &filter.query(0)),
            path,
            page: history.page,
            pages: history.pages,
            total: history.total,
            rows: history
                .entries
                .into_iter()
                .map(AdminHistoryRow::from)
                .collect(),
            filter,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_keeps_the_filter() {
        let filter = HistoryFilter::from_query("user=abc&page=2");
        let page = HistoryPage {
            entries: Vec::new(),
            page: 2,
            pages: 3,
            total: 120,
        };
        let section = HistorySection::new("/h", "/h.csv", filter, page);
        assert_eq!(section.previous_path.as_deref(), Some("/h?user=abc&page=1"));
        assert_eq!(section.next_path.as_deref(), Some("/h?user=abc&page=3"));
        assert_eq!(section.csv_path, "/h.csv?user=abc");
        let first = HistoryPage {
            entries: Vec::new(),
            page: 1,
            pages: 1,
            total: 0,
        };
        let plain = HistorySection::new("/h", "/h.csv", HistoryFilter::from_query(""), first);
        assert_eq!((plain.previous_path, plain.next_path), (None, None));
        assert_eq!(plain.csv_path, "/h.csv");
    }
}
