//! The emulated sites and their people. Every identifier (clientKey, accountId, API token) is
//! derived from the site and user names, so it is the same on every run and can be documented.

use crate::crypto::{hex, sha256};

/// One emulated Jira Cloud site as the app sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteInfo {
    /// Short name, e.g. "alpha".
    pub name: String,
    /// `http://127.0.0.1:<port>`: the site's origin, REST base URL and Connect `baseUrl`.
    pub base_url: String,
    /// Stable Connect tenant id sent in lifecycle callbacks and as `iss` of page tokens.
    pub client_key: String,
    /// Sent in the `installed` payload (used by apps that act as users).
    pub oauth_client_id: String,
    /// People who can log in: REST Basic auth and the host page's user switcher.
    pub users: Vec<UserInfo>,
}

/// A person who can use the site (and call its REST API with an email and API token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    /// Atlassian-style account id, e.g. `712020:2f8c…`.
    pub account_id: String,
    pub display_name: String,
    pub email: String,
    /// The API token for HTTP Basic auth (`email:api_token`).
    pub api_token: String,
    /// Keys of projects this user cannot browse (their searches never see those issues).
    pub hidden_projects: Vec<String>,
    /// REST calls with this user's email answer 403 CAPTCHA_CHALLENGE until the lock is cleared
    /// (in a browser at `/login.jsp`, or with `Emulator::set_captcha_locked`).
    pub captcha_locked: bool,
}

/// Someone who appears in issues (assignee, reporter, reviewer); not necessarily able to log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub account_id: String,
    pub display_name: String,
    /// `None` models a user who hides their email (Jira then omits `emailAddress`).
    pub email: Option<String>,
    pub active: bool,
}

struct UserTemplate {
    first: &'static str,
    last: &'static str,
    hidden_projects: &'static [&'static str],
    captcha_locked: bool,
}

struct ExtraTemplate {
    display_name: &'static str,
    email: Option<&'static str>,
    active: bool,
}

struct SiteTemplate {
    name: &'static str,
    users: &'static [UserTemplate],
    extras: &'static [ExtraTemplate],
}

const fn user(first: &'static str, last: &'static str) -> UserTemplate {
    UserTemplate {
        first,
        last,
        hidden_projects: &[],
        captcha_locked: false,
    }
}

const SITES: &[SiteTemplate] = &[
    SiteTemplate {
        name: "alpha",
        users: &[
            user("Alice", "Anderson"),
            UserTemplate {
                hidden_projects: &["OPS"],
                ..user("Bob", "Brown")
            },
            UserTemplate {
                captcha_locked: true,
                ..user("Dave", "Davis")
            },
        ],
        extras: &[
            ExtraTemplate {
                display_name: "Émile Zoë Gauthier",
                email: Some("emile@alpha.example.com"),
                active: true,
            },
            ExtraTemplate {
                display_name: "Grace O'Hara",
                email: None,
                active: true,
            },
            ExtraTemplate {
                display_name: "Former Employee",
                email: Some("former@alpha.example.com"),
                active: false,
            },
        ],
    },
    SiteTemplate {
        name: "beta",
        users: &[user("Carol", "Clark")],
        extras: &[
            ExtraTemplate {
                display_name: "Heidi Hansen",
                email: Some("heidi@beta.example.com"),
                active: true,
            },
            ExtraTemplate {
                display_name: "Ivan Ivanov",
                email: None,
                active: true,
            },
        ],
    },
    SiteTemplate {
        name: "gamma",
        users: &[user("Erin", "Evans")],
        extras: &[ExtraTemplate {
            display_name: "Judy Jones",
            email: Some("judy@gamma.example.com"),
            active: true,
        }],
    },
];

/// The name of site `index`: alpha, beta, gamma, then site4, site5…
pub fn site_name(index: usize) -> String {
    SITES
        .get(index)
        .map_or_else(|| format!("site{}", index + 1), |site| site.name.to_owned())
}

/// The site at `index`, reachable at `base_url`, with its users.
pub fn site(index: usize, base_url: &str) -> SiteInfo {
    let name = site_name(index);
    let users = match SITES.get(index) {
        Some(template) => template
            .users
            .iter()
            .map(|user| login_user(&name, user))
            .collect(),
        None => vec![login_user(&name, &user("Frank", "Fischer"))],
    };
    SiteInfo {
        client_key: uuid_like(&format!("client-key:{name}")),
        oauth_client_id: hex(&sha256(format!("oauth-client:{name}").as_bytes()))[..32].to_owned(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        name,
        users,
    }
}

/// Everyone who appears in the site's issues: its users first, then people who never log in.
pub fn people(index: usize, site: &SiteInfo) -> Vec<Person> {
    let mut people: Vec<Person> = site
        .users
        .iter()
        .map(|user| Person {
            account_id: user.account_id.clone(),
            display_name: user.display_name.clone(),
            email: Some(user.email.clone()),
            active: true,
        })
        .collect();
    if let Some(template) = SITES.get(index) {
        people.extend(template.extras.iter().map(|extra| Person {
            account_id: account_id(&site.name, extra.display_name),
            display_name: extra.display_name.to_owned(),
            email: extra.email.map(str::to_owned),
            active: extra.active,
        }));
    }
    people
}

fn login_user(site: &str, template: &UserTemplate) -> UserInfo {
    let display_name = format!("{} {}", template.first, template.last);
    let lower = template.first.to_ascii_lowercase();
    UserInfo {
        account_id: account_id(site, &display_name),
        email: format!("{lower}@{site}.example.com"),
        api_token: api_token(site, &lower),
        display_name,
        hidden_projects: template
            .hidden_projects
            .iter()
            .map(|key| (*key).to_owned())
            .collect(),
        captcha_locked: template.captcha_locked,
    }
}

fn account_id(site: &str, display_name: &str) -> String {
    format!(
        "712020:{}",
        uuid_like(&format!("account:{site}:{display_name}"))
    )
}

/// Shaped like Atlassian's API tokens (`ATATT3xFfGF0…=<checksum>`), stable per site and user.
fn api_token(site: &str, user: &str) -> String {
    let body = hex(&sha256(format!("api-token:{site}:{user}").as_bytes()));
    let check = hex(&sha256(body.as_bytes()))[..8].to_ascii_uppercase();
    format!("ATATT3xFfGF0{}={check}", &body[..48])
}

pub(crate) fn uuid_like(seed: &str) -> String {
    let h = hex(&sha256(seed.as_bytes()));
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_stable_and_distinct() {
        let alpha = site(0, "http://127.0.0.1:9001/");
        let again = site(0, "http://127.0.0.1:1234");
        let beta = site(1, "http://127.0.0.1:9002");
        assert_eq!(alpha.client_key, again.client_key);
        assert_eq!(alpha.users, again.users);
        assert_ne!(alpha.client_key, beta.client_key);
        assert_eq!(alpha.base_url, "http://127.0.0.1:9001");
        assert_eq!(alpha.users[0].display_name, "Alice Anderson");
        assert_eq!(alpha.users[0].email, "alice@alpha.example.com");
        assert!(alpha.users[0].account_id.starts_with("712020:"));
        assert_eq!(alpha.users[1].hidden_projects, vec!["OPS".to_owned()]);
        assert!(alpha.users[2].captcha_locked);
        assert_eq!(beta.users[0].display_name, "Carol Clark");
        assert!(alpha.users[0].api_token.starts_with("ATATT3xFfGF0"));
    }

    #[test]
    fn sites_beyond_the_templates_get_a_generic_user() {
        let fifth = site(4, "http://127.0.0.1:9005");
        assert_eq!(fifth.name, "site5");
        assert_eq!(fifth.users.len(), 1);
    }

    #[test]
    fn people_include_users_and_extras() {
        let alpha = site(0, "http://127.0.0.1:9001");
        let people = people(0, &alpha);
        assert_eq!(people.len(), 6);
        assert!(people.iter().any(|person| person.email.is_none()));
        assert!(people.iter().any(|person| !person.active));
    }
}
