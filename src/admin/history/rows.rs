//! One line of an admin history, as the page shows it and as the CSV download writes it: who
//! acted, on whose object (names as Jira gives them now, with the recorded account ids), what,
//! when and from where (as recorded). The CSV escapes text a spreadsheet would run as a formula,
//! as the feeds' CSV does.

use std::collections::HashMap;

use crate::audit::AuditAction;
use crate::audit::history::HistoryEntry;
use crate::feed::columns::CellValue;
use crate::feed::csv_format;
use crate::pages::shared::format_unix_utc;

/// The columns of the page and of the CSV, in order.
pub const COLUMNS: [&str; 9] = [
    "Time (UTC)",
    "Event",
    "Name",
    "By",
    "By account id",
    "User",
    "User account id",
    "IP address",
    "Action",
];

/// A history line with every cell as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminHistoryRow {
    pub time: String,
    pub event: String,
    pub name: String,
    /// Who acted: an account id, or "—" when nobody did (an expiry).
    pub by: String,
    /// Their display name, when Jira gave one.
    pub by_name: Option<String>,
    /// Whose token or data source it was.
    pub user: String,
    pub user_name: Option<String>,
    pub ip: String,
    /// The stable stored name (`access_token.revoked`), for machines reading the CSV.
    pub action: String,
}

impl From<HistoryEntry> for AdminHistoryRow {
    fn from(entry: HistoryEntry) -> Self {
        let event = AuditAction::parse(&entry.action)
            .map_or_else(|| entry.action.clone(), |a| a.describe().to_owned());
        Self {
            time: format_unix_utc(entry.at),
            event,
            name: entry.subject,
            by: entry.actor.unwrap_or_else(|| "—".to_owned()),
            by_name: None,
            user: entry.target,
            user_name: None,
            ip: entry.ip.unwrap_or_else(|| "—".to_owned()),
            action: entry.action,
        }
    }
}

impl AdminHistoryRow {
    /// The account ids the row names (not the "—" of nobody).
    pub fn account_ids(&self) -> impl Iterator<Item = &String> {
        [&self.by, &self.user].into_iter().filter(|id| *id != "—")
    }

    /// Takes the display names of its people from `names` (account id → name).
    pub fn name_people(&mut self, names: &HashMap<String, String>) {
        self.by_name = names.get(&self.by).cloned();
        self.user_name = names.get(&self.user).cloned();
    }

    fn cells(&self) -> [&str; 9] {
        let by_name = self
            .by_name
            .as_deref()
            .unwrap_or(if self.by == "—" { "—" } else { "" });
        [
            &self.time,
            &self.event,
            &self.name,
            by_name,
            &self.by,
            self.user_name.as_deref().unwrap_or_default(),
            &self.user,
            &self.ip,
            &self.action,
        ]
    }
}

/// The header line of the CSV, with a BOM so Excel reads the UTF-8 names.
pub fn csv_header(out: &mut Vec<u8>) {
    out.extend_from_slice(csv_format::BOM);
    csv_format::header(&COLUMNS, out);
}

/// Rows appended as CSV records.
pub fn csv_rows(rows: &[AdminHistoryRow], out: &mut Vec<u8>) {
    for row in rows {
        let cells: Vec<CellValue> = row
            .cells()
            .iter()
            .map(|text| match *text {
                "—" => CellValue::Null,
                text => CellValue::String(text.to_owned()),
            })
            .collect();
        csv_format::row(&cells, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, subject: &str, actor: Option<&str>) -> HistoryEntry {
        HistoryEntry {
            action: action.into(),
            subject: subject.into(),
            actor: actor.map(str::to_owned),
            target: "alice".into(),
            ip: Some("192.0.2.1".into()),
            at: 1_764_000_000,
        }
    }

    #[test]
    fn a_row_names_the_actor_and_the_owner() {
        let row = AdminHistoryRow::from(entry("access_token.revoked_by_admin", "BI", Some("adm")));
        assert_eq!(row.event, "Access token revoked by a Jira administrator");
        assert_eq!((row.by.as_str(), row.user.as_str()), ("adm", "alice"));
        assert_eq!(row.time, "2025-11-24 16:00 UTC");
        let expired = AdminHistoryRow::from(entry("access_token.expired", "BI", None));
        assert_eq!(expired.by, "—");
    }

    #[test]
    fn the_csv_quotes_what_needs_it_and_defuses_formulas() {
        let mut out = Vec::new();
        csv_header(&mut out);
        let mut created = AdminHistoryRow::from(entry(
            "access_token.created",
            "=HYPERLINK(\"x\")",
            Some("a"),
        ));
        let names = HashMap::from([("alice".to_owned(), "Alice Anderson".to_owned())]);
        created.name_people(&names);
        let rows = [
            created,
            AdminHistoryRow::from(entry("access_token.expired", "a, b", None)),
        ];
        csv_rows(&rows, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(
            lines[0],
            "Time (UTC),Event,Name,By,By account id,User,User account id,IP address,Action"
        );
        // "a" is unknown to Jira: no name, the id stays.
        assert_eq!(
            lines[1],
            "2025-11-24 16:00 UTC,Access token created,\"'=HYPERLINK(\"\"x\"\")\",,a,Alice Anderson,alice,192.0.2.1,access_token.created"
        );
        assert_eq!(
            lines[2],
            "2025-11-24 16:00 UTC,Access token expired,\"a, b\",,,,alice,192.0.2.1,access_token.expired"
        );
        assert_eq!(lines.len(), 4, "a CRLF after the last row");
    }
}
