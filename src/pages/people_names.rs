//! Names for the people a history lists: the audit trail records account ids (names change and
//! are Jira's to keep), so each page asks Jira for the current display names of the ids it shows
//! (`user/bulk`, as the app). Names are only for reading: a Jira that cannot answer leaves
//! the ids alone (logged), and nothing is decided on a name.

use std::collections::HashMap;

use crate::connect::tenants::Tenant;
use crate::state::AppState;

/// The display names of `ids` on `tenant`'s site; empty when Jira cannot answer now.
pub async fn names_of(
    state: &AppState,
    tenant: &Tenant,
    ids: Vec<String>,
) -> HashMap<String, String> {
    if ids.is_empty() {
        return HashMap::new();
    }
    match state.jira_app.display_names(tenant, &ids).await {
        Ok(names) => names,
        Err(err) => {
            tracing::warn!(error = %err, "Jira gave no names for a history page; ids shown");
            HashMap::new()
        }
    }
}
