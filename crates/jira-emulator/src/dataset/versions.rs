//! Project versions (releases): computed per project from a cadence, like everything else in
//! the data set. ALPHA has more than 50 so that paging `GET /project/{key}/version` matters;
//! every project has released, archived, overdue and undated versions.

use serde_json::{Map, Value, json};

use super::Dataset;
use super::calendar::{DAY_MS, civil_from_days, format_date};
use super::catalogue::{ANCHOR_NOW_MS, PROJECTS, START_MS};
use super::rng::Rng;

/// `(versions, days between releases, minor versions per major)` of each project.
const PLANS: [(usize, i64, usize); 4] = [(64, 11, 10), (14, 52, 4), (5, 240, 4), (9, 80, 4)];
/// Versions get ids `20000 + 1000 × project + sequence`.
const FIRST_VERSION_ID: u64 = 20_000;

/// One version of one project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    pub project: u8,
    /// Position in the project's version order (Jira's `sequence`).
    pub sequence: usize,
}

impl Version {
    /// Every version of `project` (an index into the projects), in sequence order.
    pub fn of_project(project: u8) -> impl Iterator<Item = Version> {
        let count = PLANS.get(usize::from(project)).map_or(0, |plan| plan.0);
        (0..count).map(move |sequence| Version { project, sequence })
    }

    pub fn by_id(id: u64) -> Option<Version> {
        let offset = id.checked_sub(FIRST_VERSION_ID)?;
        let project = u8::try_from(offset / 1000).ok()?;
        let sequence = usize::try_from(offset % 1000).ok()?;
        Version::of_project(project).nth(sequence)
    }

    pub fn id(&self) -> u64 {
        FIRST_VERSION_ID + 1000 * u64::from(self.project) + self.sequence as u64
    }

    fn plan(&self) -> (usize, i64, usize) {
        PLANS[usize::from(self.project)]
    }

    pub fn name(&self) -> String {
        let per_major = self.plan().2;
        format!(
            "{}.{}",
            1 + self.sequence / per_major,
            self.sequence % per_major
        )
    }

    pub fn description(&self) -> String {
        if self.sequence.is_multiple_of(4) {
            String::new()
        } else {
            format!(
                "{} release {}",
                PROJECTS[usize::from(self.project)].name,
                self.name()
            )
        }
    }

    /// The last two versions are planned without dates; the one before is due after "now".
    pub fn release_day(&self) -> Option<i64> {
        let (count, cadence, _) = self.plan();
        let start_day = START_MS / DAY_MS;
        if self.sequence + 2 >= count {
            None
        } else if self.sequence + 3 == count {
            Some(ANCHOR_NOW_MS / DAY_MS + 30)
        } else {
            Some(start_day + 20 + cadence * self.sequence as i64)
        }
    }

    /// Work starts the day after the previous release (none on every fourth version).
    pub fn start_day(&self) -> Option<i64> {
        let release = self.release_day()?;
        (self.sequence % 4 != 3).then(|| release - self.plan().1 + 1)
    }

    /// Released once its date has passed, except every thirteenth (which is then overdue).
    pub fn released(&self) -> bool {
        self.release_day()
            .is_some_and(|day| day <= ANCHOR_NOW_MS / DAY_MS && self.sequence % 13 != 7)
    }

    /// Some versions released more than half a year before "now" are archived.
    pub fn archived(&self) -> bool {
        self.released()
            && self.sequence % 5 == 2
            && self
                .release_day()
                .is_some_and(|day| day < ANCHOR_NOW_MS / DAY_MS - 180)
    }

    pub fn overdue(&self) -> bool {
        !self.released()
            && self
                .release_day()
                .is_some_and(|day| day < ANCHOR_NOW_MS / DAY_MS)
    }

    /// The `Version` of `GET /rest/api/3/project/{key}/version(s)`.
    pub fn json(&self, base_url: &str, api: u8) -> Value {
        let project = &PROJECTS[usize::from(self.project)];
        let mut version = Map::new();
        version.insert(
            "self".into(),
            json!(format!("{base_url}/rest/api/{api}/version/{}", self.id())),
        );
        version.insert("id".into(), json!(self.id().to_string()));
        let description = self.description();
        if !description.is_empty() {
            version.insert("description".into(), json!(description));
        }
        version.insert("name".into(), json!(self.name()));
        version.insert("archived".into(), json!(self.archived()));
        version.insert("released".into(), json!(self.released()));
        if let Some(day) = self.start_day() {
            version.insert("startDate".into(), json!(format_date(day)));
            version.insert("userStartDate".into(), json!(user_date(day)));
        }
        if let Some(day) = self.release_day() {
            version.insert("releaseDate".into(), json!(format_date(day)));
            version.insert("userReleaseDate".into(), json!(user_date(day)));
        }
        version.insert("overdue".into(), json!(self.overdue()));
        version.insert("projectId".into(), json!(project.id));
        Value::Object(version)
    }

    /// The version as an issue's `fixVersions` / `versions` field embeds it.
    pub fn field_json(&self, base_url: &str, api: u8) -> Value {
        let mut version = Map::new();
        version.insert(
            "self".into(),
            json!(format!("{base_url}/rest/api/{api}/version/{}", self.id())),
        );
        version.insert("id".into(), json!(self.id().to_string()));
        let description = self.description();
        if !description.is_empty() {
            version.insert("description".into(), json!(description));
        }
        version.insert("name".into(), json!(self.name()));
        version.insert("archived".into(), json!(self.archived()));
        version.insert("released".into(), json!(self.released()));
        if let Some(day) = self.release_day() {
            version.insert("releaseDate".into(), json!(format_date(day)));
        }
        Value::Object(version)
    }
}

/// Jira's default "Day/Month/Year" display format: `6/Jul/2010`.
fn user_date(day: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (year, month, date) = civil_from_days(day);
    format!("{date}/{}/{year}", MONTHS[(month - 1) as usize])
}

impl Dataset {
    /// Ground truth: the fix versions of issue `index`.
    pub fn fix_versions(&self, index: usize) -> Vec<Version> {
        if index >= self.len {
            return Vec::new();
        }
        self.extra(&self.core(index)).fix_versions
    }

    /// Ground truth: the affects versions (`versions` field) of issue `index`.
    pub fn affected_versions(&self, index: usize) -> Vec<Version> {
        if index >= self.len {
            return Vec::new();
        }
        self.extra(&self.core(index)).affected_versions
    }

    /// Fix versions: resolved issues (and 30% of the others) are fixed in the first version of
    /// their project released on or after they were resolved (or last updated), sometimes also
    /// in the next one; after the last dated release, in the first undated one.
    pub(super) fn draw_fix_versions(
        &self,
        project: u8,
        reference_ms: i64,
        resolved: bool,
        rng: &mut Rng,
    ) -> Vec<Version> {
        if !resolved && !rng.chance(30) {
            return Vec::new();
        }
        let reference_day = reference_ms.div_euclid(DAY_MS);
        let versions: Vec<Version> = Version::of_project(project).collect();
        let Some(position) = versions
            .iter()
            .position(|version| version.release_day().is_none_or(|day| day >= reference_day))
        else {
            return Vec::new();
        };
        let mut chosen = vec![versions[position]];
        if rng.chance(10)
            && let Some(next) = versions.get(position + 1)
        {
            chosen.push(*next);
        }
        chosen
    }

    /// Affects versions: most bugs (and a few other issues) affect the latest version released
    /// before they were created.
    pub(super) fn draw_affected_versions(
        &self,
        project: u8,
        created_ms: i64,
        bug: bool,
        rng: &mut Rng,
    ) -> Vec<Version> {
        if !rng.chance(if bug { 70 } else { 5 }) {
            return Vec::new();
        }
        let created_day = created_ms.div_euclid(DAY_MS);
        Version::of_project(project)
            .filter(|version| {
                version.released() && version.release_day().is_some_and(|day| day < created_day)
            })
            .last()
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::tests::alpha_dataset;

    #[test]
    fn issues_reference_versions_of_their_own_project() {
        let dataset = alpha_dataset(2_000);
        let (mut fixed, mut affected) = (0, 0);
        for index in 0..dataset.len() {
            let project = dataset.core(index).project;
            let issue = dataset.issue(index).expect("issue");
            for (field, versions) in [
                ("fixVersions", dataset.fix_versions(index)),
                ("versions", dataset.affected_versions(index)),
            ] {
                let rendered = issue["fields"][field].as_array().expect("an array");
                assert_eq!(rendered.len(), versions.len());
                for (entry, version) in rendered.iter().zip(&versions) {
                    assert_eq!(version.project, project);
                    assert!(Version::of_project(project).any(|known| known == *version));
                    assert_eq!(entry["id"], json!(version.id().to_string()));
                    assert_eq!(Version::by_id(version.id()), Some(*version));
                }
            }
            fixed += usize::from(!dataset.fix_versions(index).is_empty());
            affected += usize::from(!dataset.affected_versions(index).is_empty());
        }
        assert!(fixed > 500 && affected > 100, "{fixed} {affected}");
    }

    #[test]
    fn projects_have_every_kind_of_version() {
        let alpha: Vec<Version> = Version::of_project(0).collect();
        assert!(alpha.len() > 50);
        for project in 0..PROJECTS.len() as u8 {
            let versions: Vec<Version> = Version::of_project(project).collect();
            assert!(versions.iter().any(Version::released));
            assert!(
                versions
                    .iter()
                    .any(|version| version.release_day().is_none())
            );
            assert!(versions.iter().any(|version| !version.released()));
        }
        assert!(alpha.iter().any(Version::archived));
        assert!(alpha.iter().any(Version::overdue));
        let overdue = alpha.iter().find(|version| version.overdue()).expect("one");
        let json = overdue.json("http://x", 3);
        assert_eq!(json["overdue"], json!(true));
        assert_eq!(json["released"], json!(false));
        assert_eq!(json["projectId"], json!(PROJECTS[0].id));
        assert_eq!(user_date(START_MS / DAY_MS + 5), "6/Jan/2024");
        assert_eq!(Version::by_id(20_064), None);
    }
}
