//! Issue links. Each link is drawn once, by the later of its two issues (from its own stream),
//! and points back at most [`MAX_DISTANCE`] issues; the earlier issue finds it by looking that
//! far ahead. So a link has one id and appears on both issues (`outwardIssue` on one side,
//! `inwardIssue` on the other) without anything being stored. Links cross projects, so some
//! point at issues a user cannot browse: Jira leaves those out for that user ([`hide_links`]).

use serde_json::{Map, Value, json};

use super::Dataset;
use super::catalogue::CYCLE;
use super::rng::{Rng, Stream};

/// An issue link type, as `GET /rest/api/3/issueLinkType` lists it.
#[derive(Debug, PartialEq, Eq)]
pub struct LinkTypeDef {
    pub id: u64,
    pub name: &'static str,
    pub inward: &'static str,
    pub outward: &'static str,
}

/// Jira Cloud's default link types.
pub const LINK_TYPES: &[LinkTypeDef] = &[
    LinkTypeDef {
        id: 10_000,
        name: "Blocks",
        inward: "is blocked by",
        outward: "blocks",
    },
    LinkTypeDef {
        id: 10_001,
        name: "Cloners",
        inward: "is cloned by",
        outward: "clones",
    },
    LinkTypeDef {
        id: 10_002,
        name: "Duplicate",
        inward: "is duplicated by",
        outward: "duplicates",
    },
    LinkTypeDef {
        id: 10_003,
        name: "Relates",
        inward: "relates to",
        outward: "relates to",
    },
];
const TYPE_WEIGHTS: [u32; 4] = [30, 8, 12, 50];
const CLONERS: usize = 1;
const DUPLICATE: usize = 2;
/// How far back (in issues) a link may point.
const MAX_DISTANCE: usize = 200;
/// At most this many links drawn per issue (plus those later issues draw towards it).
const SLOTS: usize = 3;
const FIRST_LINK_ID: u64 = 10_000;
const LINK_SALT: u64 = 0x11ce_5a17_0000_0002;

/// One link seen from one of its issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssueLink {
    pub id: u64,
    pub link_type: &'static LinkTypeDef,
    /// The index of the issue at the other end.
    pub other: usize,
    /// Whether the other issue is the `outwardIssue` ("this issue *blocks* other"); otherwise it
    /// is the `inwardIssue` ("this issue *is blocked by* other").
    pub other_is_outward: bool,
}

/// A link as drawn by its later issue.
struct Drawn {
    id: u64,
    link_type: usize,
    target: usize,
    /// Whether the drawing (later) issue is the outward side's source: "later blocks target".
    later_is_source: bool,
}

impl Dataset {
    /// Ground truth: every link of issue `index`, ordered by link id, as a user who can see every
    /// project sees it.
    pub fn issue_links(&self, index: usize) -> Vec<IssueLink> {
        if index >= self.len {
            return Vec::new();
        }
        let mut links: Vec<IssueLink> = Vec::new();
        for drawn in self.drawn_links(index) {
            links.push(IssueLink {
                id: drawn.id,
                link_type: &LINK_TYPES[drawn.link_type],
                other: drawn.target,
                other_is_outward: drawn.later_is_source,
            });
        }
        let last = (index + MAX_DISTANCE).min(self.len - 1);
        for later in index + 1..=last {
            for drawn in self.drawn_links(later) {
                if drawn.target == index {
                    links.push(IssueLink {
                        id: drawn.id,
                        link_type: &LINK_TYPES[drawn.link_type],
                        other: later,
                        other_is_outward: !drawn.later_is_source,
                    });
                }
            }
        }
        links.sort_by_key(|link| link.id);
        links
    }

    /// The links issue `index` draws towards earlier issues (most issues draw none).
    fn drawn_links(&self, index: usize) -> Vec<Drawn> {
        let mut rng = Rng::new(self.seed ^ LINK_SALT, index, Stream::Extra);
        let count = rng.weighted(&[65, 22, 9, 4]).min(SLOTS);
        let mut drawn: Vec<Drawn> = Vec::new();
        for slot in 0..count {
            let link_type = rng.weighted(&TYPE_WEIGHTS);
            // Clones and duplicates stay in the project: issues `CYCLE.len()` apart share one.
            let distance = if matches!(link_type, CLONERS | DUPLICATE) {
                CYCLE.len() * (1 + rng.below(20) as usize)
            } else {
                1 + rng.below(MAX_DISTANCE as u64) as usize
            };
            let later_is_source = rng.chance(50);
            let Some(target) = index.checked_sub(distance) else {
                continue;
            };
            if drawn
                .iter()
                .any(|other| other.target == target && other.link_type == link_type)
            {
                continue;
            }
            drawn.push(Drawn {
                id: FIRST_LINK_ID + (index * SLOTS + slot) as u64,
                link_type,
                target,
                later_is_source,
            });
        }
        drawn
    }

    /// The `issuelinks` field of issue `index` (every link; see [`hide_links`]).
    pub(super) fn issue_links_json(&self, index: usize, api: u8) -> Value {
        Value::Array(
            self.issue_links(index)
                .iter()
                .map(|link| {
                    let mut linked = self.parent_json(link.other, api);
                    // `LinkedIssue.fields.priority` is not nullable: an issue without one has none.
                    if let Some(fields) = linked.get_mut("fields").and_then(Value::as_object_mut)
                        && fields.get("priority").is_some_and(Value::is_null)
                    {
                        fields.remove("priority");
                    }
                    let mut entry = Map::new();
                    entry.insert("id".into(), json!(link.id.to_string()));
                    entry.insert(
                        "self".into(),
                        json!(format!(
                            "{}/rest/api/{api}/issueLink/{}",
                            self.base_url, link.id
                        )),
                    );
                    entry.insert(
                        "type".into(),
                        link_type_json(link.link_type, &self.base_url, api),
                    );
                    let side = if link.other_is_outward {
                        "outwardIssue"
                    } else {
                        "inwardIssue"
                    };
                    entry.insert(side.into(), linked);
                    Value::Object(entry)
                })
                .collect(),
        )
    }
}

/// An `IssueLinkType`.
pub fn link_type_json(link_type: &LinkTypeDef, base_url: &str, api: u8) -> Value {
    json!({
        "id": link_type.id.to_string(),
        "name": link_type.name,
        "inward": link_type.inward,
        "outward": link_type.outward,
        "self": format!("{base_url}/rest/api/{api}/issueLinkType/{}", link_type.id),
    })
}

/// Removes from a rendered issue the links whose other issue is in a project the caller cannot
/// browse, as Jira does (the fault knob `leak_hidden_links` skips this).
pub(crate) fn hide_links(issue: &mut Value, hidden_projects: &[String]) {
    if hidden_projects.is_empty() {
        return;
    }
    let Some(links) = issue
        .get_mut("fields")
        .and_then(|fields| fields.get_mut("issuelinks"))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    links.retain(|link| {
        let other = link.get("outwardIssue").or_else(|| link.get("inwardIssue"));
        let project = other
            .and_then(|issue| issue.get("key"))
            .and_then(Value::as_str)
            .and_then(|key| key.rsplit_once('-'))
            .map(|(project, _)| project);
        !project.is_some_and(|project| {
            hidden_projects
                .iter()
                .any(|hidden| hidden.eq_ignore_ascii_case(project))
        })
    });
}

/// Whether `link` (seen from any issue) is visible to someone who cannot browse `hidden`.
pub(crate) fn link_visible(
    dataset: &Dataset,
    link: &IssueLink,
    hidden_projects: &[String],
) -> bool {
    let project = dataset.project_key(link.other).unwrap_or_default();
    !hidden_projects
        .iter()
        .any(|hidden| hidden.eq_ignore_ascii_case(project))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::dataset::tests::alpha_dataset;

    #[test]
    fn links_are_symmetric_with_one_id_on_both_issues() {
        let dataset = alpha_dataset(2_000);
        let mut seen: HashMap<u64, Vec<(usize, IssueLink)>> = HashMap::new();
        for index in 0..dataset.len() {
            for link in dataset.issue_links(index) {
                assert_ne!(link.other, index);
                seen.entry(link.id).or_default().push((index, link));
            }
        }
        assert!(seen.len() > 500, "{} links", seen.len());
        let mut types = HashMap::new();
        let mut cross_project = 0;
        for (id, sides) in &seen {
            let [(a, from_a), (b, from_b)] = sides.as_slice() else {
                panic!("link {id} is on {} issues", sides.len());
            };
            assert_eq!(from_a.other, *b);
            assert_eq!(from_b.other, *a);
            assert_eq!(from_a.link_type, from_b.link_type);
            assert_ne!(from_a.other_is_outward, from_b.other_is_outward);
            *types.entry(from_a.link_type.name).or_insert(0) += 1;
            cross_project += usize::from(dataset.project_key(*a) != dataset.project_key(*b));
            if matches!(from_a.link_type.name, "Cloners" | "Duplicate") {
                assert_eq!(dataset.project_key(*a), dataset.project_key(*b));
            }
        }
        assert_eq!(types.len(), LINK_TYPES.len());
        assert!(cross_project > 100);
    }

    #[test]
    fn the_issuelinks_field_names_each_side_and_hiding_drops_hidden_projects() {
        let dataset = alpha_dataset(500);
        let index = (0..500)
            .find(|&index| {
                let links = dataset.issue_links(index);
                links.iter().any(|link| link.other_is_outward)
                    && links.iter().any(|link| !link.other_is_outward)
                    && links
                        .iter()
                        .any(|link| dataset.project_key(link.other) == Some("OPS"))
            })
            .expect("an issue with both kinds of link, one to OPS");
        let mut issue = dataset.issue(index).expect("issue");
        let field = issue["fields"]["issuelinks"]
            .as_array()
            .expect("links")
            .clone();
        assert_eq!(field.len(), dataset.issue_links(index).len());
        for (entry, link) in field.iter().zip(dataset.issue_links(index)) {
            assert_eq!(entry["id"], json!(link.id.to_string()));
            let side = if link.other_is_outward {
                "outwardIssue"
            } else {
                "inwardIssue"
            };
            assert_eq!(entry[side]["key"], json!(dataset.issue_key(link.other)));
            assert!(entry[side]["fields"]["status"]["name"].is_string());
        }
        hide_links(&mut issue, &["OPS".to_owned()]);
        let kept = issue["fields"]["issuelinks"].as_array().expect("links");
        let expected = dataset
            .issue_links(index)
            .iter()
            .filter(|link| link_visible(&dataset, link, &["OPS".to_owned()]))
            .count();
        assert_eq!(kept.len(), expected);
        assert!(kept.len() < field.len());
    }
}
