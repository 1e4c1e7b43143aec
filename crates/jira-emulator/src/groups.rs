//! Jira groups, their members and who holds the *Administer Jira* global permission, per site.
//! Jira grants global permissions to groups; the emulator does too (`jira-administrators` holds
//! ADMINISTER), so making someone an administrator is adding them to that group. Group ids are
//! derived from site and name like every other identifier, so they are stable across runs.
//!
//! Defaults: every site has `jira-administrators` (its first user) and `jira-users` (all its
//! users); alpha also has `bi-viewers` (Bob) and `data-team` (Alice and Bob).

use std::collections::BTreeSet;

use super::directory::uuid_like;

/// Jira's key of the "Administer Jira" global permission.
pub(crate) const ADMINISTER: &str = "ADMINISTER";
/// The global permission keys the emulator knows (`GET /rest/api/3/permissions` lists more).
pub(crate) const GLOBAL_PERMISSIONS: &[&str] = &[
    "ADMINISTER",
    "SYSTEM_ADMIN",
    "USER_PICKER",
    "CREATE_SHARED_OBJECTS",
    "MANAGE_GROUP_FILTER_SUBSCRIPTIONS",
    "BULK_CHANGE",
    "CREATE_PROJECT",
];
pub(crate) const ADMINS_GROUP: &str = "jira-administrators";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    pub id: String,
    pub name: String,
    /// Indexes into the site's login users.
    pub members: BTreeSet<usize>,
    /// Whether the group holds ADMINISTER.
    pub administer: bool,
}

pub(crate) fn group_id(site: &str, name: &str) -> String {
    uuid_like(&format!("group:{site}:{name}"))
}

/// The site's groups at start.
pub(crate) fn default_groups(site: &str, users: usize) -> Vec<Group> {
    let group = |name: &str, members: &[usize], administer: bool| Group {
        id: group_id(site, name),
        name: name.to_owned(),
        members: members.iter().copied().filter(|m| *m < users).collect(),
        administer,
    };
    let everyone: Vec<usize> = (0..users).collect();
    let mut groups = vec![
        group(ADMINS_GROUP, &[0], true),
        group("jira-users", &everyone, false),
    ];
    if site == "alpha" {
        groups.push(group("bi-viewers", &[1], false));
        groups.push(group("data-team", &[0, 1], false));
    }
    groups
}

/// Whether `user` holds ADMINISTER through one of `groups`.
pub(crate) fn is_admin(groups: &[Group], user: usize) -> bool {
    groups
        .iter()
        .any(|g| g.administer && g.members.contains(&user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_has_alice_as_admin_and_bob_in_bi_viewers() {
        let groups = default_groups("alpha", 3);
        assert!(is_admin(&groups, 0));
        assert!(!is_admin(&groups, 1));
        let bi = groups.iter().find(|g| g.name == "bi-viewers").unwrap();
        assert_eq!(bi.members, BTreeSet::from([1]));
        assert_eq!(bi.id, group_id("alpha", "bi-viewers"));
        assert_ne!(
            group_id("alpha", "bi-viewers"),
            group_id("beta", "bi-viewers")
        );
    }
}
