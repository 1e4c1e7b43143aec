//! The field catalogue (`GET /rest/api/3/field`) and the `fields` request parameter
//! (`*all`, `*navigable`, `-x`, `id`, `key`). One table drives both, so the fields an issue can
//! carry and the fields the catalogue lists never disagree.

use serde_json::{Map, Value, json};

/// How a field's schema is declared: `system` for built-in fields, `custom` for custom ones.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    System,
    Custom {
        plugin: &'static str,
        custom_id: u64,
    },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldDef {
    pub id: &'static str,
    pub name: &'static str,
    pub navigable: bool,
    pub orderable: bool,
    pub searchable: bool,
    pub clause_names: &'static [&'static str],
    /// `(type, items)` of the JSON schema; `None` for fields Jira lists without a schema.
    pub schema: Option<(&'static str, Option<&'static str>)>,
    pub origin: Origin,
}

const fn system(
    id: &'static str,
    name: &'static str,
    clause_names: &'static [&'static str],
    schema: Option<(&'static str, Option<&'static str>)>,
) -> FieldDef {
    FieldDef {
        id,
        name,
        navigable: true,
        orderable: true,
        searchable: true,
        clause_names,
        schema,
        origin: Origin::System,
    }
}

const fn custom(
    id: &'static str,
    name: &'static str,
    clause_names: &'static [&'static str],
    schema: (&'static str, Option<&'static str>),
    plugin: &'static str,
    custom_id: u64,
) -> FieldDef {
    FieldDef {
        id,
        name,
        navigable: true,
        orderable: true,
        searchable: true,
        clause_names,
        schema: Some(schema),
        origin: Origin::Custom { plugin, custom_id },
    }
}

const SELECT: &str = "com.atlassian.jira.plugin.system.customfieldtypes:select";
const TEXT: &str = "com.atlassian.jira.plugin.system.customfieldtypes:textfield";

/// Every field an emulated issue can have, in catalogue order.
pub(crate) const FIELDS: &[FieldDef] = &[
    FieldDef {
        orderable: false,
        ..system("issuekey", "Key", &["id", "issue", "issuekey", "key"], None)
    },
    system("summary", "Summary", &["summary"], Some(("string", None))),
    system(
        "description",
        "Description",
        &["description"],
        Some(("string", None)),
    ),
    system(
        "issuetype",
        "Issue Type",
        &["issuetype", "type"],
        Some(("issuetype", None)),
    ),
    FieldDef {
        orderable: false,
        ..system("project", "Project", &["project"], Some(("project", None)))
    },
    FieldDef {
        orderable: false,
        ..system("status", "Status", &["status"], Some(("status", None)))
    },
    system(
        "priority",
        "Priority",
        &["priority"],
        Some(("priority", None)),
    ),
    system(
        "resolution",
        "Resolution",
        &["resolution"],
        Some(("resolution", None)),
    ),
    system("assignee", "Assignee", &["assignee"], Some(("user", None))),
    system("reporter", "Reporter", &["reporter"], Some(("user", None))),
    FieldDef {
        orderable: false,
        ..system("creator", "Creator", &["creator"], Some(("user", None)))
    },
    FieldDef {
        orderable: false,
        ..system(
            "created",
            "Created",
            &["created", "createdDate"],
            Some(("datetime", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system(
            "updated",
            "Updated",
            &["updated", "updatedDate"],
            Some(("datetime", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system(
            "resolutiondate",
            "Resolved",
            &["resolutiondate", "resolved"],
            Some(("datetime", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system(
            "statuscategorychangedate",
            "Status Category Changed",
            &["statusCategoryChangedDate"],
            Some(("datetime", None)),
        )
    },
    system(
        "duedate",
        "Due date",
        &["due", "duedate"],
        Some(("date", None)),
    ),
    system(
        "labels",
        "Labels",
        &["labels"],
        Some(("array", Some("string"))),
    ),
    system(
        "components",
        "Components",
        &["component"],
        Some(("array", Some("component"))),
    ),
    system(
        "fixVersions",
        "Fix versions",
        &["fixVersion"],
        Some(("array", Some("version"))),
    ),
    FieldDef {
        orderable: false,
        ..system("parent", "Parent", &["parent"], None)
    },
    FieldDef {
        orderable: false,
        ..system(
            "issuelinks",
            "Linked Issues",
            &["issueLink"],
            Some(("array", Some("issuelinks"))),
        )
    },
    system(
        "environment",
        "Environment",
        &["environment"],
        Some(("string", None)),
    ),
    FieldDef {
        navigable: false,
        ..system(
            "worklog",
            "Log Work",
            &["worklogComment", "worklogDate"],
            Some(("array", Some("worklog"))),
        )
    },
    FieldDef {
        navigable: false,
        ..system(
            "timetracking",
            "Time tracking",
            &[],
            Some(("timetracking", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system(
            "timeoriginalestimate",
            "Original estimate",
            &["originalEstimate", "timeoriginalestimate"],
            Some(("number", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system(
            "timeestimate",
            "Remaining Estimate",
            &["remainingEstimate", "timeestimate"],
            Some(("number", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system(
            "timespent",
            "Time Spent",
            &["timespent"],
            Some(("number", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system(
            "aggregatetimespent",
            "Σ Time Spent",
            &[],
            Some(("number", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system(
            "workratio",
            "Work Ratio",
            &["workratio"],
            Some(("number", None)),
        )
    },
    FieldDef {
        orderable: false,
        ..system("votes", "Votes", &["votes"], Some(("votes", None)))
    },
    FieldDef {
        orderable: false,
        ..system(
            "watches",
            "Watchers",
            &["watchers"],
            Some(("watches", None)),
        )
    },
    custom(
        "customfield_10016",
        "Story Points",
        &["cf[10016]", "Story Points"],
        ("number", None),
        "com.atlassian.jira.plugin.system.customfieldtypes:float",
        10016,
    ),
    FieldDef {
        orderable: false,
        ..custom(
            "customfield_10019",
            "Rank",
            &["cf[10019]", "Rank"],
            ("any", None),
            "com.pyxis.greenhopper.jira:gh-lexo-rank",
            10019,
        )
    },
    custom(
        "customfield_10020",
        "Sprint",
        &["cf[10020]", "Sprint"],
        ("array", Some("json")),
        "com.pyxis.greenhopper.jira:gh-sprint",
        10020,
    ),
    custom(
        "customfield_10030",
        "Severity",
        &["cf[10030]", "Severity"],
        ("option", None),
        SELECT,
        10030,
    ),
    custom(
        "customfield_10031",
        "Platforms",
        &["cf[10031]", "Platforms"],
        ("array", Some("option")),
        "com.atlassian.jira.plugin.system.customfieldtypes:multiselect",
        10031,
    ),
    custom(
        "customfield_10032",
        "Reviewers",
        &["cf[10032]", "Reviewers"],
        ("array", Some("user")),
        "com.atlassian.jira.plugin.system.customfieldtypes:multiuserpicker",
        10032,
    ),
    custom(
        "customfield_10033",
        "Customer Reference",
        &["cf[10033]", "Customer Reference"],
        ("string", None),
        TEXT,
        10033,
    ),
    custom(
        "customfield_10034",
        "Target Date",
        &["cf[10034]", "Target Date"],
        ("date", None),
        "com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
        10034,
    ),
    custom(
        "customfield_10035",
        "Team",
        &["cf[10035]", "Team[Dropdown]"],
        ("option", None),
        SELECT,
        10035,
    ),
    custom(
        "customfield_10036",
        "Team",
        &["cf[10036]", "Team[Short text]"],
        ("string", None),
        TEXT,
        10036,
    ),
    custom(
        "customfield_10037",
        "Tags",
        &["cf[10037]", "Tags"],
        ("array", Some("string")),
        "com.atlassian.jira.plugin.system.customfieldtypes:labels",
        10037,
    ),
];

/// Index of a field in [`FIELDS`] by id (`summary`, `customfield_10020`…), case-sensitive like Jira.
pub(crate) fn field_index(id: &str) -> Option<usize> {
    FIELDS.iter().position(|field| field.id == id)
}

/// Whether `name` is a field id, name or JQL clause name of the catalogue (any case).
pub(crate) fn is_known_field(name: &str) -> bool {
    FIELDS.iter().any(|field| {
        field.id.eq_ignore_ascii_case(name)
            || field.name.eq_ignore_ascii_case(name)
            || field
                .clause_names
                .iter()
                .any(|clause| clause.eq_ignore_ascii_case(name))
    })
}

impl FieldDef {
    pub(crate) fn schema_json(&self) -> Option<Value> {
        let (kind, items) = self.schema?;
        let mut schema = Map::new();
        schema.insert("type".into(), json!(kind));
        if let Some(items) = items {
            schema.insert("items".into(), json!(items));
        }
        match self.origin {
            Origin::System => {
                schema.insert("system".into(), json!(self.id));
            }
            Origin::Custom { plugin, custom_id } => {
                schema.insert("custom".into(), json!(plugin));
                schema.insert("customId".into(), json!(custom_id));
            }
        }
        Some(Value::Object(schema))
    }

    /// The `FieldDetails` object of the catalogue.
    pub(crate) fn details_json(&self) -> Value {
        let mut details = Map::new();
        details.insert("id".into(), json!(self.id));
        details.insert("key".into(), json!(self.id));
        details.insert("name".into(), json!(self.name));
        details.insert(
            "custom".into(),
            json!(matches!(self.origin, Origin::Custom { .. })),
        );
        details.insert("orderable".into(), json!(self.orderable));
        details.insert("navigable".into(), json!(self.navigable));
        details.insert("searchable".into(), json!(self.searchable));
        details.insert("clauseNames".into(), json!(self.clause_names));
        if let Some(schema) = self.schema_json() {
            details.insert("schema".into(), schema);
        }
        Value::Object(details)
    }
}

/// The whole catalogue as `GET /rest/api/3/field` returns it.
pub(crate) fn catalogue_json() -> Value {
    Value::Array(FIELDS.iter().map(FieldDef::details_json).collect())
}

/// Which parts of an issue a request asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSelection {
    /// Indices into the field table, in table order.
    fields: Vec<usize>,
    /// `key` was asked for (or implied by any real field).
    key: bool,
}

/// What an absent `fields` parameter means: search returns ids only, bulkfetch navigable fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultFields {
    IdOnly,
    Navigable,
}

impl FieldSelection {
    /// Parses the `fields` values (each may be comma-separated). Unknown names are ignored,
    /// as Jira does; `-name` removes a field; only exclusions start from `*navigable`.
    pub fn parse<S: AsRef<str>>(values: &[S], default: DefaultFields) -> Self {
        let tokens: Vec<&str> = values
            .iter()
            .flat_map(|value| value.as_ref().split(','))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .collect();
        let mut included = vec![false; FIELDS.len()];
        let mut excluded = vec![false; FIELDS.len()];
        let mut key = false;
        let mut any_include = false;
        for token in &tokens {
            if let Some(name) = token.strip_prefix('-') {
                if let Some(index) = field_index(name) {
                    excluded[index] = true;
                }
                continue;
            }
            any_include = true;
            match *token {
                "*all" => included.iter_mut().for_each(|slot| *slot = true),
                "*navigable" => mark_navigable(&mut included),
                "id" => {}
                "key" => key = true,
                name => {
                    if let Some(index) = field_index(name) {
                        included[index] = true;
                    }
                }
            }
        }
        if !any_include && (default == DefaultFields::Navigable || !tokens.is_empty()) {
            mark_navigable(&mut included);
        }
        let fields: Vec<usize> = (0..FIELDS.len())
            .filter(|&index| included[index] && !excluded[index])
            .collect();
        Self {
            key: key || !fields.is_empty(),
            fields,
        }
    }

    /// Only ids (and maybe keys) were asked for: Jira then allows pages of up to 5000.
    pub fn ids_and_keys_only(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn includes_key(&self) -> bool {
        self.key
    }

    pub(crate) fn field_indices(&self) -> &[usize] {
        &self.fields
    }

    /// Every field (the ground-truth view).
    pub fn all() -> Self {
        Self {
            fields: (0..FIELDS.len()).collect(),
            key: true,
        }
    }
}

fn mark_navigable(included: &mut [bool]) {
    for (slot, field) in included.iter_mut().zip(FIELDS) {
        if field.navigable {
            *slot = true;
        }
    }
}

#[cfg(test)]
mod tests;
