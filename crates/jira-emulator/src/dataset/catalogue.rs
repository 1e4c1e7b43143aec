//! What every site's data set is made of: the fixed projects, issue types, statuses, priorities,
//! resolutions, labels, versions and custom-field options, plus the time span issues fall in.
//! Plain tables, so a test (or a reader) can see the whole vocabulary in one place.

use super::calendar::DAY_MS;

/// Ids start here and go up by one per issue (`10000`, `10001`…).
pub const FIRST_ISSUE_ID: u64 = 10_000;

/// Issues are created between this instant (2024-01-01T00:00Z) and two years later.
pub(crate) const START_MS: i64 = 1_704_067_200_000;
pub(super) const SPAN_MS: i64 = 730 * DAY_MS;
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
pub(super) const CYCLE: [u8; 10] = [0, 1, 0, 2, 0, 3, 1, 0, 2, 1];

pub(crate) struct IssueTypeDef {
    pub id: u64,
    pub name: &'static str,
    pub hierarchy: i32,
    pub(super) description: &'static str,
    pub(super) avatar: u64,
}

pub(crate) const EPIC: u8 = 0;
pub(super) const STORY: u8 = 1;
pub(super) const TASK: u8 = 2;
pub(super) const BUG: u8 = 3;
pub(super) const SUBTASK: u8 = 4;

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
pub(super) const TYPE_WEIGHTS: [u32; 5] = [4, 30, 28, 20, 18];

pub(crate) struct CategoryDef {
    pub id: u64,
    pub key: &'static str,
    pub name: &'static str,
    pub(super) color: &'static str,
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

pub(super) const TO_DO: u8 = 0;
pub(super) const IN_PROGRESS: u8 = 1;
pub(super) const IN_REVIEW: u8 = 2;
pub(super) const DONE: u8 = 3;
pub(super) const WONT_DO: u8 = 4;

/// A status renamed since issues started moving through it: `(status index, old name, renamed
/// at)`. Change histories written before the rename carry the old name in `fromString`/`toString`
/// (Jira never rewrites history), while `GET /status` and issues show the new one.
pub(crate) const STATUS_RENAME: (u8, &str, i64) =
    (IN_REVIEW, "Code Review", START_MS + 365 * DAY_MS);

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
pub(super) const PRIORITY_WEIGHTS: [u32; 6] = [5, 15, 48, 20, 8, 4]; // the last one: no priority

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
pub(super) const VERSIONS: &[(&str, &str)] = &[
    ("1.0", "2024-04-30"),
    ("1.1", "2024-09-30"),
    ("2.0", "2025-03-31"),
    ("2.1", "2025-09-30"),
    ("3.0", "2026-03-31"),
];
pub(super) const SEVERITIES: &[&str] =
    &["S1 - Critical", "S2 - Major", "S3 - Minor", "S4 - Trivial"];
pub(super) const PLATFORMS: &[&str] = &["Windows", "macOS", "Linux", "iOS", "Android"];
pub(super) const TEAM_OPTIONS: &[&str] = &["Platform", "Mobile", "Data"];
pub(super) const TEAM_TEXTS: &[&str] = &["Team Rocket", "Blue Team", "Équipe Données"];
pub(super) const TAGS: &[&str] = &["q1-goal", "customer-request", "okr"];
pub(super) const SPRINT_DAYS: i64 = 14;
pub(super) const SPRINTS_PER_PROJECT: i64 = 54;

pub(super) const VERBS: &[&str] = &[
    "Fix",
    "Add",
    "Improve",
    "Remove",
    "Investigate",
    "Refactor",
    "Document",
    "Migrate",
];
pub(super) const OBJECTS: &[&str] = &[
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
pub(super) const AWKWARD_SUMMARIES: &[&str] = &[
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
