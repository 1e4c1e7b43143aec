//! The deterministic issue data set. Nothing per issue is stored: issue `i` is recomputed from
//! `(seed, i)` whenever it is needed, so 500,000 issues cost no more memory than 500, and a test
//! can ask for the ground truth of any issue and compare it with what the app exported.

use serde_json::{Map, Value, json};

use super::config::DatasetConfig;
use super::directory::Person;
use super::fields::{FIELDS, FieldSelection};

/// Ids start here and go up by one per issue (`10000`, `10001`…).
pub const FIRST_ISSUE_ID: u64 = 10_000;

/// Issues are created between this instant (2024-01-01T00:00Z) and two years later.
pub(crate) const START_MS: i64 = 1_704_067_200_000;
const DAY_MS: i64 = 86_400_000;
const SPAN_MS: i64 = 730 * DAY_MS;
/// "Now" inside the data set (end of the two years): decides which sprints and versions are past.
pub(crate) const ANCHOR_NOW_MS: i64 = START_MS + SPAN_MS;

/// The REST version a response is rendered for (descriptions are ADF in v3, text in v2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    V2,
    V3,
}

impl ApiVersion {
    pub(crate) fn number(self) -> u8 {
        match self {
            ApiVersion::V2 => 2,
            ApiVersion::V3 => 3,
        }
    }
}

/// A project of the data set. All sites have the same projects (with different issues).
#[derive(Debug, PartialEq, Eq)]
pub struct ProjectDef {
    pub id: u64,
    pub key: &'static str,
    pub name: &'static str,
    pub project_type: &'static str,
    pub components: &'static [&'static str],
    /// Only scrum projects have sprints.
    pub has_sprints: bool,
}

pub(crate) const PROJECTS: &[ProjectDef] = &[
    ProjectDef {
        id: 10_000,
        key: "ALPHA",
        name: "Alpha Platform",
        project_type: "software",
        components: &["API", "Web", "Auth"],
        has_sprints: true,
    },
    ProjectDef {
        id: 10_001,
        key: "BETA",
        name: "Beta Mobile",
        project_type: "software",
        components: &["iOS", "Android"],
        has_sprints: true,
    },
    ProjectDef {
        id: 10_002,
        key: "OPS",
        name: "Operations",
        project_type: "business",
        components: &["Infrastructure", "Monitoring"],
        has_sprints: false,
    },
    ProjectDef {
        id: 10_003,
        key: "DATA",
        name: "Data & Analytics",
        project_type: "software",
        components: &["ETL", "Reports"],
        has_sprints: true,
    },
];

/// Project of each position in a repeating cycle of ten issues (ALPHA 4, BETA 3, OPS 2, DATA 1),
/// which makes `KEY-n` ⇄ index a constant-time computation.
const CYCLE: [u8; 10] = [0, 1, 0, 2, 0, 3, 1, 0, 2, 1];

pub(crate) struct IssueTypeDef {
    pub id: u64,
    pub name: &'static str,
    pub hierarchy: i32,
    description: &'static str,
    avatar: u64,
}

pub(crate) const EPIC: u8 = 0;
const STORY: u8 = 1;
const TASK: u8 = 2;
const BUG: u8 = 3;
const SUBTASK: u8 = 4;

pub(crate) const ISSUE_TYPES: &[IssueTypeDef] = &[
    IssueTypeDef {
        id: 10_000,
        name: "Epic",
        hierarchy: 1,
        description: "A big user story that needs to be broken down.",
        avatar: 10_307,
    },
    IssueTypeDef {
        id: 10_001,
        name: "Story",
        hierarchy: 0,
        description: "Functionality or a feature expressed as a user goal.",
        avatar: 10_315,
    },
    IssueTypeDef {
        id: 10_002,
        name: "Task",
        hierarchy: 0,
        description: "A small, distinct piece of work.",
        avatar: 10_318,
    },
    IssueTypeDef {
        id: 10_003,
        name: "Bug",
        hierarchy: 0,
        description: "A problem or error.",
        avatar: 10_303,
    },
    IssueTypeDef {
        id: 10_004,
        name: "Sub-task",
        hierarchy: -1,
        description: "A small piece of work that's part of a larger task.",
        avatar: 10_316,
    },
];
const TYPE_WEIGHTS: [u32; 5] = [4, 30, 28, 20, 18];

pub(crate) struct CategoryDef {
    pub id: u64,
    pub key: &'static str,
    pub name: &'static str,
    color: &'static str,
}

pub(crate) const CATEGORIES: &[CategoryDef] = &[
    CategoryDef {
        id: 2,
        key: "new",
        name: "To Do",
        color: "blue-gray",
    },
    CategoryDef {
        id: 4,
        key: "indeterminate",
        name: "In Progress",
        color: "yellow",
    },
    CategoryDef {
        id: 3,
        key: "done",
        name: "Done",
        color: "green",
    },
];

pub(crate) struct StatusDef {
    pub id: u64,
    pub name: &'static str,
    pub category: u8,
}

const TO_DO: u8 = 0;
const IN_PROGRESS: u8 = 1;
const IN_REVIEW: u8 = 2;
const DONE: u8 = 3;
const WONT_DO: u8 = 4;

pub(crate) const STATUSES: &[StatusDef] = &[
    StatusDef {
        id: 10_000,
        name: "To Do",
        category: 0,
    },
    StatusDef {
        id: 3,
        name: "In Progress",
        category: 1,
    },
    StatusDef {
        id: 10_001,
        name: "In Review",
        category: 1,
    },
    StatusDef {
        id: 10_002,
        name: "Done",
        category: 2,
    },
    StatusDef {
        id: 10_003,
        name: "Won't Do",
        category: 2,
    },
];

/// `(id, name)`, highest first.
pub(crate) const PRIORITIES: &[(u64, &str)] = &[
    (1, "Highest"),
    (2, "High"),
    (3, "Medium"),
    (4, "Low"),
    (5, "Lowest"),
];
const PRIORITY_WEIGHTS: [u32; 6] = [5, 15, 48, 20, 8, 4]; // the last one: no priority

pub(crate) const RESOLUTIONS: &[(u64, &str, &str)] = &[
    (10_000, "Done", "Work has been completed on this issue."),
    (10_001, "Won't Do", "This issue won't be actioned."),
    (
        10_002,
        "Duplicate",
        "The problem is a duplicate of an existing issue.",
    ),
];

pub(crate) const LABELS: &[&str] = &[
    "backend",
    "frontend",
    "customer",
    "regression",
    "tech-debt",
    "ux",
    "security",
    "performance",
    "größe",
    "needs-triage",
];

/// `(name, release date as days since 1970, description)` of every project's versions.
const VERSIONS: &[(&str, &str)] = &[
    ("1.0", "2024-04-30"),
    ("1.1", "2024-09-30"),
    ("2.0", "2025-03-31"),
    ("2.1", "2025-09-30"),
    ("3.0", "2026-03-31"),
];
const SEVERITIES: &[&str] = &["S1 - Critical", "S2 - Major", "S3 - Minor", "S4 - Trivial"];
const PLATFORMS: &[&str] = &["Windows", "macOS", "Linux", "iOS", "Android"];
const TEAM_OPTIONS: &[&str] = &["Platform", "Mobile", "Data"];
const TEAM_TEXTS: &[&str] = &["Team Rocket", "Blue Team", "Équipe Données"];
const TAGS: &[&str] = &["q1-goal", "customer-request", "okr"];
const SPRINT_DAYS: i64 = 14;
const SPRINTS_PER_PROJECT: i64 = 54;

const VERBS: &[&str] = &[
    "Fix",
    "Add",
    "Improve",
    "Remove",
    "Investigate",
    "Refactor",
    "Document",
    "Migrate",
];
const OBJECTS: &[&str] = &[
    "login flow",
    "export job",
    "dashboard widget",
    "API rate limiter",
    "search index",
    "billing report",
    "user settings page",
    "notification emails",
    "audit log",
    "CSV import",
];
/// Summaries that break naive CSV, JSON or spreadsheet handling; every 37th issue gets one.
const AWKWARD_SUMMARIES: &[&str] = &[
    "Comma, separated, summary",
    "Quote \"inside\" and 'single' quotes",
    "Multi-line summary\nsecond line\r\nthird line",
    "Unicode: café – naïve – 日本語 – 🚀",
    "=HYPERLINK(\"http://evil.example\",\"click me\")",
    "+SUM(1,2)",
    "-2+3 starts with a minus",
    "@cmd starts with an at sign",
    "\ttab-led summary",
    "Semicolon; pipe | backslash \\ end",
    "   leading and trailing spaces   ",
];

/// The cheap part of an issue: everything JQL can filter or sort on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct IssueCore {
    pub index: usize,
    pub project: u8,
    pub number: u64,
    pub issue_type: u8,
    pub parent: Option<usize>,
    pub status: u8,
    pub priority: Option<u8>,
    pub resolution: Option<u8>,
    pub assignee: Option<usize>,
    pub reporter: usize,
    pub created: i64,
    pub updated: i64,
    pub resolved: Option<i64>,
    /// Days since 1970-01-01.
    pub due: Option<i64>,
    /// Bit `b` set = `LABELS[b]`.
    pub labels: u16,
}

impl IssueCore {
    pub(crate) fn id(&self) -> u64 {
        FIRST_ISSUE_ID + self.index as u64
    }

    pub(crate) fn category(&self) -> u8 {
        STATUSES[usize::from(self.status)].category
    }
}

/// Everything else, drawn from a separate random stream so JQL never pays for it.
struct IssueExtra {
    summary: String,
    description: Option<String>,
    components: Vec<usize>,
    fix_versions: Vec<usize>,
    sprints: Vec<i64>,
    story_points: Option<f64>,
    original_estimate: Option<i64>,
    time_spent: Option<i64>,
    severity: Option<usize>,
    platforms: Vec<usize>,
    reviewers: Vec<usize>,
    customer_reference: Option<String>,
    target_date: Option<i64>,
    team_option: Option<usize>,
    team_text: Option<&'static str>,
    tags: Vec<&'static str>,
    watchers: u32,
    votes: u32,
}

/// One site's issues.
#[derive(Debug)]
pub struct Dataset {
    seed: u64,
    len: usize,
    base_url: String,
    people: Vec<Person>,
}

impl Dataset {
    /// The issues of site `site_index` (each site gets its own seed), linking to `base_url`.
    pub fn new(
        config: &DatasetConfig,
        site_index: usize,
        base_url: &str,
        people: Vec<Person>,
    ) -> Self {
        Self {
            seed: mix(config.seed ^ mix(site_index as u64 + 0x5eed)),
            len: config.issues,
            base_url: base_url.trim_end_matches('/').to_owned(),
            people,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn people(&self) -> &[Person] {
        &self.people
    }

    pub fn projects(&self) -> &'static [ProjectDef] {
        PROJECTS
    }

    /// The issue id (`"10000"`…) of the issue at `index`.
    pub fn issue_id(&self, index: usize) -> Option<String> {
        (index < self.len).then(|| (FIRST_ISSUE_ID + index as u64).to_string())
    }

    /// The issue key (`"ALPHA-1"`…) of the issue at `index`.
    pub fn issue_key(&self, index: usize) -> Option<String> {
        (index < self.len).then(|| {
            let (project, number) = project_and_number(index);
            format!("{}-{number}", PROJECTS[usize::from(project)].key)
        })
    }

    /// The project key of the issue at `index`.
    pub fn project_key(&self, index: usize) -> Option<&'static str> {
        (index < self.len).then(|| PROJECTS[usize::from(CYCLE[index % CYCLE.len()])].key)
    }

    /// Finds an issue by id (`"10005"`) or key (`"ALPHA-3"`, any case).
    pub fn index_of(&self, id_or_key: &str) -> Option<usize> {
        if let Ok(id) = id_or_key.parse::<u64>() {
            let index = usize::try_from(id.checked_sub(FIRST_ISSUE_ID)?).ok()?;
            return (index < self.len).then_some(index);
        }
        let (project_key, number) = id_or_key.rsplit_once('-')?;
        let project = PROJECTS
            .iter()
            .position(|project| project.key.eq_ignore_ascii_case(project_key))?;
        self.index_of_key(project, number.parse().ok()?)
    }

    pub(crate) fn index_of_key(&self, project: usize, number: u64) -> Option<usize> {
        let per_cycle = CYCLE.iter().filter(|&&p| usize::from(p) == project).count() as u64;
        let zero_based = number.checked_sub(1)?;
        let cycle_number = zero_based / per_cycle;
        let rank = zero_based % per_cycle;
        let position = CYCLE
            .iter()
            .enumerate()
            .filter(|(_, p)| usize::from(**p) == project)
            .nth(usize::try_from(rank).ok()?)?
            .0;
        let index = usize::try_from(cycle_number)
            .ok()?
            .checked_mul(CYCLE.len())?
            .checked_add(position)?;
        (index < self.len).then_some(index)
    }

    /// Ground truth: the issue with every field, as `POST /rest/api/3/issue/bulkfetch` with
    /// `fields: ["*all"]` returns it.
    pub fn issue(&self, index: usize) -> Option<Value> {
        (index < self.len)
            .then(|| self.render(&self.core(index), &FieldSelection::all(), ApiVersion::V3))
    }

    /// The filterable attributes of issue `index` (which must be `< len`).
    pub(crate) fn core(&self, index: usize) -> IssueCore {
        let (project, number) = project_and_number(index);
        let (issue_type, parent) = self.type_and_parent(index);
        let mut rng = Rng::new(self.seed, index, Stream::Core);
        let slot = SPAN_MS / (self.len.max(1) as i64);
        let created = START_MS + (index as i64) * slot + rng.below(slot.max(1) as u64) as i64;
        let age = 1.0 - index as f64 / self.len.max(1) as f64;
        let roll = rng.below(100) as f64;
        let done_percent = 25.0 + 60.0 * age;
        let status = if roll < done_percent {
            if rng.chance(85) { DONE } else { WONT_DO }
        } else if roll < done_percent + 20.0 {
            if rng.chance(60) {
                IN_PROGRESS
            } else {
                IN_REVIEW
            }
        } else {
            TO_DO
        };
        let priority = match rng.weighted(&PRIORITY_WEIGHTS) {
            5 => None,
            other => Some(other as u8),
        };
        let people = self.people.len().max(1);
        let assignee = (!rng.chance(15)).then(|| rng.below(people as u64) as usize);
        let reporter = rng.below(people as u64) as usize;
        let room = (ANCHOR_NOW_MS - created).clamp(0, 60 * DAY_MS);
        let updated = created + rng.below(room as u64 + 1) as i64;
        let done = STATUSES[usize::from(status)].category == 2;
        let resolved = done.then(|| created + rng.below((updated - created) as u64 + 1) as i64);
        let resolution = done.then(|| match status {
            WONT_DO => 1,
            _ if rng.chance(10) => 2,
            _ => 0,
        });
        let due = rng
            .chance(35)
            .then(|| created.div_euclid(DAY_MS) + 7 + rng.below(54) as i64);
        let mut labels = 0u16;
        for _ in 0..rng.weighted(&[40, 35, 18, 7]) {
            labels |= 1 << rng.below(LABELS.len() as u64);
        }
        IssueCore {
            index,
            project,
            number,
            issue_type,
            parent,
            status,
            priority,
            resolution,
            assignee,
            reporter,
            created,
            updated,
            resolved,
            due,
            labels,
        }
    }

    /// Sub-tasks hang under an earlier standard issue of the same project, some standard issues
    /// under an earlier epic. Issues ten apart share a project, so candidates are `index - 10k`.
    fn type_and_parent(&self, index: usize) -> (u8, Option<usize>) {
        let raw = self.raw_type(index);
        let mut rng = Rng::new(self.seed, index, Stream::Parent);
        let wanted: &[u8] = match raw {
            SUBTASK => &[STORY, TASK, BUG],
            STORY | TASK | BUG if rng.chance(35) => &[EPIC],
            _ => return (raw, None),
        };
        let first = 1 + rng.below(3) as usize;
        let parent = (first..first + 40)
            .map_while(|steps| index.checked_sub(steps * CYCLE.len()))
            .find(|&candidate| wanted.contains(&self.raw_type(candidate)));
        match (raw, parent) {
            (SUBTASK, None) => (TASK, None),
            (raw, parent) => (raw, parent),
        }
    }

    fn raw_type(&self, index: usize) -> u8 {
        Rng::new(self.seed, index, Stream::Type).weighted(&TYPE_WEIGHTS) as u8
    }

    fn extra(&self, core: &IssueCore) -> IssueExtra {
        let mut rng = Rng::new(self.seed, core.index, Stream::Extra);
        let project = &PROJECTS[usize::from(core.project)];
        let summary = if core.index % 37 == 5 {
            AWKWARD_SUMMARIES[(core.index / 37) % AWKWARD_SUMMARIES.len()].to_owned()
        } else {
            format!(
                "{} {} in {}",
                VERBS[rng.below(VERBS.len() as u64) as usize],
                OBJECTS[rng.below(OBJECTS.len() as u64) as usize],
                project.name
            )
        };
        let description = rng.chance(60).then(|| {
            format!(
                "Reported by {} on {}. Steps to reproduce: open the page, click \"Save\", wait.",
                self.people
                    .get(core.reporter)
                    .map(|person| person.display_name.as_str())
                    .unwrap_or("someone"),
                format_date(core.created.div_euclid(DAY_MS))
            )
        });
        let mut components = Vec::new();
        for (component, _) in project.components.iter().enumerate() {
            if rng.chance(30) {
                components.push(component);
            }
        }
        let mut fix_versions = Vec::new();
        let reference_day = core.resolved.unwrap_or(core.updated).div_euclid(DAY_MS);
        if (core.resolved.is_some() || rng.chance(30))
            && let Some(version) = VERSIONS
                .iter()
                .position(|(_, date)| parse_date(date).is_some_and(|day| day >= reference_day))
        {
            fix_versions.push(version);
            if rng.chance(10) && version + 1 < VERSIONS.len() {
                fix_versions.push(version + 1);
            }
        }
        let mut sprints = Vec::new();
        if project.has_sprints && core.issue_type != EPIC && rng.chance(70) {
            let first = (core.created - START_MS).div_euclid(SPRINT_DAYS * DAY_MS);
            let carried = if core.resolved.is_none() && rng.chance(30) {
                1 + rng.below(2) as i64
            } else {
                0
            };
            sprints.extend((first..=first + carried).filter(|k| *k < SPRINTS_PER_PROJECT));
        }
        let story_points = (matches!(core.issue_type, STORY | BUG) && rng.chance(70))
            .then(|| [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0][rng.below(7) as usize]);
        let original_estimate = rng
            .chance(50)
            .then(|| [1, 2, 4, 8, 16, 24, 40][rng.below(7) as usize] * 3600);
        let started = core.status != TO_DO;
        let time_spent = match original_estimate {
            Some(estimate) if started && rng.chance(70) => {
                Some(rng.below((estimate as u64 * 3) / 2 / 1800 + 1) as i64 * 1800)
            }
            None if started && rng.chance(30) => Some((1 + rng.below(12) as i64) * 1800),
            _ => None,
        };
        let severity = (core.issue_type == BUG && rng.chance(90))
            .then(|| rng.below(SEVERITIES.len() as u64) as usize);
        let platforms = if rng.chance(40) {
            (0..PLATFORMS.len()).filter(|_| rng.chance(40)).collect()
        } else {
            Vec::new()
        };
        let reviewers = if rng.chance(30) {
            let count = 1 + rng.below(2);
            let mut chosen: Vec<usize> = (0..count)
                .map(|_| rng.below(self.people.len().max(1) as u64) as usize)
                .collect();
            chosen.dedup();
            chosen
        } else {
            Vec::new()
        };
        let customer_reference = rng.chance(25).then(|| {
            if rng.chance(20) {
                "ACME, Inc. \"Gold\"".to_owned()
            } else {
                format!("CUST-{}", 1000 + rng.below(9000))
            }
        });
        let target_date = rng
            .chance(30)
            .then(|| core.created.div_euclid(DAY_MS) + 14 + rng.below(120) as i64);
        let team_option = rng
            .chance(70)
            .then(|| rng.below(TEAM_OPTIONS.len() as u64) as usize);
        let team_text = rng
            .chance(50)
            .then(|| TEAM_TEXTS[rng.below(TEAM_TEXTS.len() as u64) as usize]);
        let tags = if rng.chance(30) {
            TAGS.iter().copied().filter(|_| rng.chance(50)).collect()
        } else {
            Vec::new()
        };
        IssueExtra {
            summary,
            description,
            components,
            fix_versions,
            sprints,
            story_points,
            original_estimate,
            time_spent,
            severity,
            platforms,
            reviewers,
            customer_reference,
            target_date,
            team_option,
            team_text,
            tags,
            watchers: rng.below(5) as u32,
            votes: rng.below(4) as u32,
        }
    }

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
                .map(|priority| {
                    let (id, name) = PRIORITIES[usize::from(priority)];
                    json!({
                        "self": format!("{base}/rest/api/{api}/priority/{id}"),
                        "iconUrl": format!("{base}/images/icons/priorities/{}.svg", name.to_ascii_lowercase()),
                        "name": name,
                        "id": id.to_string(),
                    })
                })
                .unwrap_or(Value::Null),
            "resolution" => core
                .resolution
                .map(|resolution| {
                    let (id, name, description) = RESOLUTIONS[usize::from(resolution)];
                    json!({
                        "self": format!("{base}/rest/api/{api}/resolution/{id}"),
                        "id": id.to_string(),
                        "description": description,
                        "name": name,
                    })
                })
                .unwrap_or(Value::Null),
            "assignee" => core
                .assignee
                .map(|person| self.user_json(person, api))
                .unwrap_or(Value::Null),
            "reporter" | "creator" => self.user_json(core.reporter, api),
            "created" => json!(format_datetime(core.created)),
            "updated" => json!(format_datetime(core.updated)),
            "resolutiondate" => core
                .resolved
                .map(|ms| json!(format_datetime(ms)))
                .unwrap_or(Value::Null),
            "statuscategorychangedate" => {
                let changed = match core.category() {
                    0 => core.created,
                    1 => core.created + (core.updated - core.created) / 2,
                    _ => core.resolved.unwrap_or(core.updated),
                };
                json!(format_datetime(changed))
            }
            "duedate" => core
                .due
                .map(|day| json!(format_date(day)))
                .unwrap_or(Value::Null),
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
                .map(|parent| self.parent_json(parent, api))
                .unwrap_or(Value::Null),
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
                .map(|option| option_json(base, api, 10_100, option, SEVERITIES))
                .unwrap_or(Value::Null),
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
                .map(|day| json!(format_date(day)))
                .unwrap_or(Value::Null),
            "customfield_10035" => extra
                .team_option
                .map(|option| option_json(base, api, 10_300, option, TEAM_OPTIONS))
                .unwrap_or(Value::Null),
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

    fn status_json(&self, status: u8, api: u8) -> Value {
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

fn project_and_number(index: usize) -> (u8, u64) {
    let position = index % CYCLE.len();
    let project = CYCLE[position];
    let per_cycle = CYCLE.iter().filter(|&&p| p == project).count() as u64;
    let rank = CYCLE[..position].iter().filter(|&&p| p == project).count() as u64;
    (project, (index / CYCLE.len()) as u64 * per_cycle + rank + 1)
}

/// Jira's timestamp format: `2024-03-05T10:15:30.000+0000` (UTC).
pub(crate) fn format_datetime(ms: i64) -> String {
    let day = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS);
    let (year, month, date) = civil_from_days(day);
    format!(
        "{year:04}-{month:02}-{date:02}T{:02}:{:02}:{:02}.{:03}+0000",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

fn format_sprint_date(ms: i64) -> String {
    let day = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS);
    let (year, month, date) = civil_from_days(day);
    format!(
        "{year:04}-{month:02}-{date:02}T{:02}:{:02}:{:02}.000Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
    )
}

/// `yyyy-MM-dd` of a day number.
pub(crate) fn format_date(day: i64) -> String {
    let (year, month, date) = civil_from_days(day);
    format!("{year:04}-{month:02}-{date:02}")
}

/// Day number of `yyyy-MM-dd` (or `yyyy/MM/dd`), checking the calendar.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split(['-', '/']);
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// Jira's duration text: 1w = 5d, 1d = 8h; e.g. `1w 2d 3h 30m`.
fn format_duration(seconds: i64) -> String {
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

// Howard Hinnant's civil-calendar algorithms (proleptic Gregorian, day 0 = 1970-01-01).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[derive(Clone, Copy)]
enum Stream {
    Type = 1,
    Parent = 2,
    Core = 3,
    Extra = 4,
}

/// SplitMix64: tiny, fast and good enough to make data look random while staying reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, index: usize, stream: Stream) -> Self {
        Self(mix(seed ^ mix((index as u64) << 3 | stream as u64)))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 { 0 } else { self.next() % bound }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&weight| u64::from(weight)).sum();
        let mut roll = self.below(total);
        for (index, &weight) in weights.iter().enumerate() {
            if roll < u64::from(weight) {
                return index;
            }
            roll -= u64::from(weight);
        }
        weights.len().saturating_sub(1)
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::directory;

    pub(crate) fn alpha_dataset(issues: usize) -> Dataset {
        let site = directory::site(0, "http://127.0.0.1:9001");
        let people = directory::people(0, &site);
        Dataset::new(
            &DatasetConfig { issues, seed: 7 },
            0,
            &site.base_url,
            people,
        )
    }

    #[test]
    fn the_same_seed_gives_the_same_issues() {
        let first = alpha_dataset(200);
        let second = alpha_dataset(200);
        for index in [0, 1, 57, 199] {
            assert_eq!(first.issue(index), second.issue(index));
        }
        let other_site = Dataset::new(
            &DatasetConfig {
                issues: 200,
                seed: 7,
            },
            1,
            "http://127.0.0.1:9001",
            first.people().to_vec(),
        );
        assert_ne!(first.issue(3), other_site.issue(3));
        assert!(first.issue(200).is_none());
    }

    #[test]
    fn ids_and_keys_round_trip() {
        let dataset = alpha_dataset(1000);
        assert_eq!(dataset.issue_id(0).as_deref(), Some("10000"));
        assert_eq!(dataset.issue_key(0).as_deref(), Some("ALPHA-1"));
        assert_eq!(dataset.issue_key(1).as_deref(), Some("BETA-1"));
        assert_eq!(dataset.issue_key(2).as_deref(), Some("ALPHA-2"));
        assert_eq!(dataset.issue_key(12).as_deref(), Some("ALPHA-6"));
        for index in 0..1000 {
            let key = dataset.issue_key(index).expect("key");
            let id = dataset.issue_id(index).expect("id");
            assert_eq!(dataset.index_of(&key), Some(index), "{key}");
            assert_eq!(dataset.index_of(&id), Some(index));
        }
        assert_eq!(dataset.index_of("alpha-1"), Some(0));
        assert_eq!(dataset.index_of("ALPHA-0"), None);
        assert_eq!(dataset.index_of("ALPHA-100000"), None);
        assert_eq!(dataset.index_of("NOPE-1"), None);
        assert_eq!(dataset.index_of("9999"), None);
    }

    #[test]
    fn issues_are_plausible() {
        let dataset = alpha_dataset(2000);
        let mut awkward = 0;
        let mut subtasks = 0;
        let mut unassigned = 0;
        for index in 0..dataset.len() {
            let core = dataset.core(index);
            assert!(core.updated >= core.created);
            if let Some(resolved) = core.resolved {
                assert!(resolved >= core.created && resolved <= core.updated);
                assert_eq!(core.category(), 2);
            }
            if let Some(parent) = core.parent {
                assert!(parent < index);
                assert_eq!(dataset.core(parent).project, core.project);
            }
            if core.issue_type == SUBTASK {
                subtasks += 1;
                assert!(core.parent.is_some());
            }
            unassigned += usize::from(core.assignee.is_none());
            let issue = dataset.issue(index).expect("issue exists");
            let summary = issue["fields"]["summary"].as_str().expect("summary");
            awkward += usize::from(AWKWARD_SUMMARIES.contains(&summary));
        }
        assert!(awkward > 40);
        assert!(subtasks > 100);
        assert!(unassigned > 100);
    }

    #[test]
    fn timestamps_use_jiras_format() {
        assert_eq!(format_datetime(START_MS), "2024-01-01T00:00:00.000+0000");
        assert_eq!(
            format_datetime(START_MS + 65 * DAY_MS + 37_230_123),
            "2024-03-06T10:20:30.123+0000"
        );
        assert_eq!(parse_date("2024-02-29"), Some(START_MS / DAY_MS + 59));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(format_duration(3600 * 8 * 5 + 3600 * 3 + 1800), "1w 3h 30m");
    }

    #[test]
    fn a_large_dataset_costs_no_memory_up_front() {
        let dataset = alpha_dataset(500_000);
        assert_eq!(dataset.len(), 500_000);
        let last = dataset.issue(499_999).expect("last issue");
        assert_eq!(last["id"], "509999");
        assert!(
            last["fields"]["created"]
                .as_str()
                .expect("created")
                .starts_with("2025-12")
        );
    }
}
