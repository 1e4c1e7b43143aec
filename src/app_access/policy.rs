//! The policy's types: what an administrator chose, as stored and as pages show it.

use crate::ids::AccountId;

/// What people left out read, on the pages (403) and on the feeds (401).
pub const DENIED_MESSAGE: &str = "Your Jira administrator has limited BI Connector to some groups \
     and people on this site, and you are not one of them. Ask your Jira administrator for \
     access; your access tokens and data sources are kept and work again once you have it.";

/// Whom a grant names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A person, by Atlassian accountId.
    User,
    /// A Jira group, by its stable groupId (names can be renamed).
    Group,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Self::User),
            "group" => Some(Self::Group),
            _ => None,
        }
    }
}

/// One group or person allowed to use the app. `name` is the display name when it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub kind: PrincipalKind,
    pub id: String,
    pub name: String,
}

/// A site's choice. `restricted == false` means everyone, whatever the grants say (grants can be
/// prepared before restricting).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    pub restricted: bool,
    pub grants: Vec<Grant>,
}

impl AccessPolicy {
    pub fn groups(&self) -> impl Iterator<Item = &Grant> {
        self.grants
            .iter()
            .filter(|g| g.kind == PrincipalKind::Group)
    }

    pub fn users(&self) -> impl Iterator<Item = &Grant> {
        self.grants.iter().filter(|g| g.kind == PrincipalKind::User)
    }

    /// Whether the account is let in without asking Jira: the policy is off, or names it.
    pub fn admits_without_jira(&self, account: &AccountId) -> bool {
        !self.restricted || self.users().any(|g| g.id == account.as_str())
    }

    /// Whether one of `group_ids` (the account's groups, from Jira) is granted.
    pub fn admits_groups(&self, group_ids: &[String]) -> bool {
        self.groups().any(|g| group_ids.contains(&g.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(kind: PrincipalKind, id: &str) -> Grant {
        Grant {
            kind,
            id: id.into(),
            name: id.into(),
        }
    }

    #[test]
    fn off_admits_everyone_and_on_only_the_listed() {
        let bob = AccountId::parse("712020:bob").unwrap();
        let carol = AccountId::parse("712020:carol").unwrap();
        let mut policy = AccessPolicy {
            restricted: false,
            grants: vec![
                grant(PrincipalKind::User, "712020:bob"),
                grant(PrincipalKind::Group, "g-1"),
            ],
        };
        assert!(policy.admits_without_jira(&carol));
        policy.restricted = true;
        assert!(policy.admits_without_jira(&bob));
        assert!(!policy.admits_without_jira(&carol));
        assert!(policy.admits_groups(&["g-0".into(), "g-1".into()]));
        assert!(
            !policy.admits_groups(&["712020:bob".into()]),
            "a user id is not a group"
        );
        assert!(!policy.admits_groups(&[]));
    }

    #[test]
    fn kinds_round_trip_and_unknown_is_none() {
        for kind in [PrincipalKind::User, PrincipalKind::Group] {
            assert_eq!(PrincipalKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(PrincipalKind::parse("role"), None);
    }
}
