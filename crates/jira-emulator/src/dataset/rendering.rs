//! An issue (and the users, projects, statuses, versions and sprints it links to) as Jira's REST
//! JSON, for API v2 or v3 and for the fields a request selected. The values come from the
//! generator; this file only decides their shapes.

use serde_json::{Map, Value, json};

use super::Dataset;
use super::calendar::{DAY_MS, format_date, format_datetime, format_sprint_date, parse_date};
use super::catalogue::{
    ANCHOR_NOW_MS, ApiVersion, CATEGORIES, ISSUE_TYPES, LABELS, PLATFORMS, PRIORITIES, PROJECTS,
    RESOLUTIONS, SEVERITIES, SPRINT_DAYS, START_MS, STATUSES, TEAM_OPTIONS, VERSIONS,
};
use super::generator::{IssueCore, IssueExtra};
use crate::fields::{FIELDS, FieldSelection};

impl Dataset {
    /// The `IssueBean` of `core` with the selected fields.
    pub(crate) fn render(
        &self,
        core: &IssueCore,
        selection: &FieldSelection,
        version: ApiVersion,
    ) -> Value {
        let id = core.id().to_string();
        let key = format!(
            "{}-{}",
            PROJECTS[usize::from(core.project)].key,
            core.number
        );
        let mut issue = Map::new();
        if selection.ids_and_keys_only() {
            issue.insert("id".into(), json!(id));
            if selection.includes_key() {
                issue.insert("key".into(), json!(key));
            }
            return Value::Object(issue);
        }
        let extra = self.extra(core);
        let mut fields = Map::new();
        for &field in selection.field_indices() {
            let field_id = FIELDS[field].id;
            if field_id == "issuekey" {
                continue;
            }
            fields.insert(
                field_id.to_owned(),
                self.field_value(core, &extra, field_id, version),
            );
        }
        issue.insert(
            "expand".into(),
            json!(
                "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
            ),
        );
        issue.insert("id".into(), json!(id));
        issue.insert(
            "self".into(),
            json!(format!(
                "{}/rest/api/{}/issue/{id}",
                self.base_url,
                version.number()
            )),
        );
        issue.insert("key".into(), json!(key));
        issue.insert("fields".into(), Value::Object(fields));
        Value::Object(issue)
    }

    fn field_value(
        &self,
        core: &IssueCore,
        extra: &IssueExtra,
        field_id: &str,
        version: ApiVersion,
    ) -> Value {
        let base = &self.base_url;
        let api = version.number();
        match field_id {
            "summary" => json!(extra.summary),
            "description" => match (&extra.description, version) {
                (None, _) => Value::Null,
                (Some(text), ApiVersion::V2) => json!(text),
                (Some(text), ApiVersion::V3) => json!({
                    "type": "doc",
                    "version": 1,
                    "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]
                }),
            },
            "issuetype" => self.issue_type_json(core.issue_type, api),
            "project" => self.project_json(core.project, api),
            "status" => self.status_json(core.status, api),
            "priority" => core
                .priority
                .map_or(Value::Null, |priority| {
                    let (id, name) = PRIORITIES[usize::from(priority)];
                    json!({
                        "self": format!("{base}/rest/api/{api}/priority/{id}"),
                        "iconUrl": format!("{base}/images/icons/priorities/{}.svg", name.to_ascii_lowercase()),
                        "name": name,
                        "id": id.to_string(),
                    })
                }),
            "resolution" => core
                .resolution
                .map_or(Value::Null, |resolution| {
                    let (id, name, description) = RESOLUTIONS[usize::from(resolution)];
                    json!({
                        "self": format!("{base}/rest/api/{api}/resolution/{id}"),
                        "id": id.to_string(),
                        "description": description,
                        "name": name,
                    })
                }),
            "assignee" => core
                .assignee
                .map_or(Value::Null, |person| self.user_json(person, api)),
            "reporter" | "creator" => self.user_json(core.reporter, api),
            "created" => json!(format_datetime(core.created)),
            "updated" => json!(format_datetime(core.updated)),
            "resolutiondate" => core
                .resolved
                .map_or(Value::Null, |ms| json!(format_datetime(ms))),
            "statuscategorychangedate" => {
                json!(format_datetime(self.status_category_changed(core)))
            }
            "worklog" => self.worklog_field(core, None, api),
            "duedate" => core
                .due
                .map_or(Value::Null, |day| json!(format_date(day))),
            "labels" => json!(
                (0..LABELS.len())
                    .filter(|bit| core.labels & (1 << bit) != 0)
                    .map(|bit| LABELS[bit])
                    .collect::<Vec<_>>()
            ),
            "components" => {
                let project = &PROJECTS[usize::from(core.project)];
                Value::Array(
                    extra
                        .components
                        .iter()
                        .map(|&component| {
                            let id = project.id + 10 * u64::from(core.project) + component as u64;
                            json!({
                                "self": format!("{base}/rest/api/{api}/component/{id}"),
                                "id": id.to_string(),
                                "name": project.components[component],
                            })
                        })
                        .collect(),
                )
            }
            "fixVersions" => Value::Array(
                extra
                    .fix_versions
                    .iter()
                    .map(|&version| self.version_json(core.project, version, api))
                    .collect(),
            ),
            "parent" => core
                .parent
                .map_or(Value::Null, |parent| self.parent_json(parent, api)),
            "issuelinks" => json!([]),
            "environment" => Value::Null,
            "timetracking" => {
                let mut tracking = Map::new();
                let remaining = self.remaining_estimate(core, extra);
                if let Some(estimate) = extra.original_estimate {
                    tracking.insert("originalEstimate".into(), json!(format_duration(estimate)));
                }
                if let Some(remaining) = remaining {
                    tracking.insert("remainingEstimate".into(), json!(format_duration(remaining)));
                }
                if let Some(spent) = extra.time_spent {
                    tracking.insert("timeSpent".into(), json!(format_duration(spent)));
                }
                if let Some(estimate) = extra.original_estimate {
                    tracking.insert("originalEstimateSeconds".into(), json!(estimate));
                }
                if let Some(remaining) = remaining {
                    tracking.insert("remainingEstimateSeconds".into(), json!(remaining));
                }
                if let Some(spent) = extra.time_spent {
                    tracking.insert("timeSpentSeconds".into(), json!(spent));
                }
                Value::Object(tracking)
            }
            "timeoriginalestimate" => json!(extra.original_estimate),
            "timeestimate" => json!(self.remaining_estimate(core, extra)),
            "timespent" | "aggregatetimespent" => json!(extra.time_spent),
            "workratio" => match (extra.original_estimate, extra.time_spent) {
                (Some(estimate), spent) if estimate > 0 => {
                    json!(spent.unwrap_or(0) * 100 / estimate)
                }
                _ => json!(-1),
            },
            "votes" => json!({
                "self": format!("{base}/rest/api/{api}/issue/{}-{}/votes", PROJECTS[usize::from(core.project)].key, core.number),
                "votes": extra.votes,
                "hasVoted": false,
            }),
            "watches" => json!({
                "self": format!("{base}/rest/api/{api}/issue/{}-{}/watchers", PROJECTS[usize::from(core.project)].key, core.number),
                "watchCount": extra.watchers,
                "isWatching": false,
            }),
            "customfield_10016" => json!(extra.story_points),
            "customfield_10019" => json!(format!("0|i{:07x}:", core.index)),
            "customfield_10020" => {
                if extra.sprints.is_empty() {
                    Value::Null
                } else {
                    Value::Array(
                        extra
                            .sprints
                            .iter()
                            .map(|&sprint| sprint_json(core.project, sprint))
                            .collect(),
                    )
                }
            }
            "customfield_10030" => extra
                .severity
                .map_or(Value::Null, |option| option_json(base, api, 10_100, option, SEVERITIES)),
            "customfield_10031" => {
                if extra.platforms.is_empty() {
                    Value::Null
                } else {
                    Value::Array(
                        extra
                            .platforms
                            .iter()
                            .map(|&option| option_json(base, api, 10_200, option, PLATFORMS))
                            .collect(),
                    )
                }
            }
            "customfield_10032" => {
                if extra.reviewers.is_empty() {
                    Value::Null
                } else {
                    Value::Array(
                        extra
                            .reviewers
                            .iter()
                            .map(|&person| self.user_json(person, api))
                            .collect(),
                    )
                }
            }
            "customfield_10033" => json!(extra.customer_reference),
            "customfield_10034" => extra
                .target_date
                .map_or(Value::Null, |day| json!(format_date(day))),
            "customfield_10035" => extra
                .team_option
                .map_or(Value::Null, |option| option_json(base, api, 10_300, option, TEAM_OPTIONS)),
            "customfield_10036" => json!(extra.team_text),
            "customfield_10037" => {
                if extra.tags.is_empty() {
                    Value::Null
                } else {
                    json!(extra.tags)
                }
            }
            _ => Value::Null,
        }
    }

    fn remaining_estimate(&self, core: &IssueCore, extra: &IssueExtra) -> Option<i64> {
        let estimate = extra.original_estimate?;
        if core.category() == 2 {
            return Some(0);
        }
        Some((estimate - extra.time_spent.unwrap_or(0)).max(0))
    }

    pub(crate) fn user_json(&self, person: usize, api: u8) -> Value {
        let Some(person) = self.people.get(person) else {
            return Value::Null;
        };
        let mut user = Map::new();
        user.insert(
            "self".into(),
            json!(format!(
                "{}/rest/api/{api}/user?accountId={}",
                self.base_url, person.account_id
            )),
        );
        user.insert("accountId".into(), json!(person.account_id));
        if let Some(email) = &person.email {
            user.insert("emailAddress".into(), json!(email));
        }
        user.insert(
            "avatarUrls".into(),
            avatar_urls(&format!(
                "{}/secure/useravatar?ownerId={}",
                self.base_url, person.account_id
            )),
        );
        user.insert("displayName".into(), json!(person.display_name));
        user.insert("active".into(), json!(person.active));
        user.insert("timeZone".into(), json!("UTC"));
        user.insert("accountType".into(), json!("atlassian"));
        Value::Object(user)
    }

    /// The project as issues embed it.
    fn project_json(&self, project: u8, api: u8) -> Value {
        let def = &PROJECTS[usize::from(project)];
        json!({
            "self": format!("{}/rest/api/{api}/project/{}", self.base_url, def.id),
            "id": def.id.to_string(),
            "key": def.key,
            "name": def.name,
            "projectTypeKey": def.project_type,
            "simplified": false,
            "avatarUrls": avatar_urls(&format!("{}/secure/projectavatar?pid={}", self.base_url, def.id)),
        })
    }

    /// The project as `GET /rest/api/3/project/search` lists it (`Project` schema).
    pub(crate) fn project_search_json(&self, project: usize) -> Value {
        let def = &PROJECTS[project];
        json!({
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": format!("{}/rest/api/3/project/{}", self.base_url, def.id),
            "id": def.id.to_string(),
            "key": def.key,
            "name": def.name,
            "avatarUrls": avatar_urls(&format!("{}/secure/projectavatar?pid={}", self.base_url, def.id)),
            "projectTypeKey": def.project_type,
            "simplified": false,
            "style": "classic",
            "isPrivate": false,
            "properties": {},
        })
    }

    pub(crate) fn status_json(&self, status: u8, api: u8) -> Value {
        let def = &STATUSES[usize::from(status)];
        let category = &CATEGORIES[usize::from(def.category)];
        json!({
            "self": format!("{}/rest/api/{api}/status/{}", self.base_url, def.id),
            "description": "",
            "iconUrl": format!("{}/images/icons/statuses/generic.png", self.base_url),
            "name": def.name,
            "id": def.id.to_string(),
            "statusCategory": {
                "self": format!("{}/rest/api/{api}/statuscategory/{}", self.base_url, category.id),
                "id": category.id,
                "key": category.key,
                "colorName": category.color,
                "name": category.name,
            },
        })
    }

    fn issue_type_json(&self, issue_type: u8, api: u8) -> Value {
        let def = &ISSUE_TYPES[usize::from(issue_type)];
        json!({
            "self": format!("{}/rest/api/{api}/issuetype/{}", self.base_url, def.id),
            "id": def.id.to_string(),
            "description": def.description,
            "iconUrl": format!("{}/rest/api/2/universal_avatar/view/type/issuetype/avatar/{}?size=medium", self.base_url, def.avatar),
            "name": def.name,
            "subtask": def.hierarchy < 0,
            "avatarId": def.avatar,
            "hierarchyLevel": def.hierarchy,
        })
    }

    fn version_json(&self, project: u8, version: usize, api: u8) -> Value {
        let (name, date) = VERSIONS[version];
        let id = PROJECTS[usize::from(project)].id + 10 * u64::from(project) + 100 + version as u64;
        let released = parse_date(date).is_some_and(|day| day * DAY_MS <= ANCHOR_NOW_MS);
        json!({
            "self": format!("{}/rest/api/{api}/version/{id}", self.base_url),
            "id": id.to_string(),
            "description": "",
            "name": name,
            "archived": false,
            "released": released,
            "releaseDate": date,
        })
    }

    fn parent_json(&self, parent: usize, api: u8) -> Value {
        let core = self.core(parent);
        let extra = self.extra(&core);
        let mut fields = Map::new();
        fields.insert("summary".into(), json!(extra.summary));
        fields.insert("status".into(), self.status_json(core.status, api));
        fields.insert(
            "priority".into(),
            self.field_value(&core, &extra, "priority", ApiVersion::V3),
        );
        fields.insert(
            "issuetype".into(),
            self.issue_type_json(core.issue_type, api),
        );
        json!({
            "id": core.id().to_string(),
            "key": format!("{}-{}", PROJECTS[usize::from(core.project)].key, core.number),
            "self": format!("{}/rest/api/{api}/issue/{}", self.base_url, core.id()),
            "fields": fields,
        })
    }
}

fn sprint_json(project: u8, sprint: i64) -> Value {
    let start = START_MS + sprint * SPRINT_DAYS * DAY_MS + 9 * 3_600_000;
    let end = start + SPRINT_DAYS * DAY_MS;
    let state = if end <= ANCHOR_NOW_MS {
        "closed"
    } else if start <= ANCHOR_NOW_MS {
        "active"
    } else {
        "future"
    };
    let key = PROJECTS[usize::from(project)].key;
    let mut value = json!({
        "id": 1 + i64::from(project) * 100 + sprint,
        "name": format!("{key} Sprint {}", sprint + 1),
        "state": state,
        "boardId": 1 + i64::from(project),
        "goal": if sprint % 3 == 0 { format!("Ship {key} increment {}", sprint + 1) } else { String::new() },
        "startDate": format_sprint_date(start),
        "endDate": format_sprint_date(end),
    });
    if state == "closed" {
        value["completeDate"] = json!(format_sprint_date(end));
    }
    value
}

fn option_json(base: &str, api: u8, first_id: u64, option: usize, values: &[&str]) -> Value {
    let id = first_id + option as u64;
    json!({
        "self": format!("{base}/rest/api/{api}/customFieldOption/{id}"),
        "value": values[option],
        "id": id.to_string(),
    })
}

fn avatar_urls(prefix: &str) -> Value {
    json!({
        "48x48": format!("{prefix}&size=large"),
        "24x24": format!("{prefix}&size=small"),
        "16x16": format!("{prefix}&size=xsmall"),
        "32x32": format!("{prefix}&size=medium"),
    })
}

/// Jira's duration text: 1w = 5d, 1d = 8h; e.g. `1w 2d 3h 30m`.
pub(super) fn format_duration(seconds: i64) -> String {
    let mut minutes = seconds / 60;
    let mut parts = Vec::new();
    for (unit, size) in [("w", 5 * 8 * 60), ("d", 8 * 60), ("h", 60), ("m", 1)] {
        if minutes >= size {
            parts.push(format!("{}{unit}", minutes / size));
            minutes %= size;
        }
    }
    if parts.is_empty() {
        "0m".to_owned()
    } else {
        parts.join(" ")
    }
}
