//! The serde shapes of the app-identity endpoints (`jira-platform-openapi-v3.json`), private to
//! [`super`]. Unknown keys are ignored.

use serde::{Deserialize, Serialize};

pub(super) const PATH_PERMISSIONS_CHECK: &str = "/rest/api/3/permissions/check";
pub(super) const PATH_USER_GROUPS: &str = "/rest/api/3/user/groups";
pub(super) const PATH_GROUPS_PICKER: &str = "/rest/api/3/groups/picker";
pub(super) const PATH_USER_PICKER: &str = "/rest/api/3/user/picker";
pub(super) const PATH_USER: &str = "/rest/api/3/user";
pub(super) const PATH_USER_BULK: &str = "/rest/api/3/user/bulk";

/// `BulkPermissionsRequestBean` (`additionalProperties: false`): only these keys.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PermissionsCheckBody<'a> {
    pub(super) account_id: &'a str,
    pub(super) global_permissions: [&'static str; 1],
}

/// `BulkPermissionGrants`: both arrays are required by the schema.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PermissionGrants {
    pub(super) global_permissions: Vec<String>,
}

/// `GroupName` in `GET /user/groups` (an array of them).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GroupName {
    #[serde(default)]
    pub(super) group_id: Option<String>,
    pub(super) name: String,
}

/// `FoundGroups`.
#[derive(Deserialize)]
pub(super) struct FoundGroups {
    #[serde(default)]
    pub(super) groups: Vec<FoundGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FoundGroup {
    #[serde(default)]
    pub(super) group_id: Option<String>,
    pub(super) name: String,
}

/// `FoundUsers`.
#[derive(Deserialize)]
pub(super) struct FoundUsers {
    #[serde(default)]
    pub(super) users: Vec<PickerUser>,
}

/// `UserPickerUser`, and the part of `User` (`GET /user`) we read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickerUser {
    pub(super) account_id: String,
    #[serde(default)]
    pub(super) display_name: Option<String>,
    #[serde(default)]
    pub(super) account_type: Option<String>,
}

/// `PageBeanUser` (`GET /user/bulk`): a page of `User`s; `isLast` says whether more follow.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserPage {
    #[serde(default)]
    pub(super) values: Vec<PickerUser>,
    #[serde(default)]
    pub(super) is_last: Option<bool>,
}
