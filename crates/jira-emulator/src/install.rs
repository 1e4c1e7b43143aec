//! The Connect install flow, done the way Jira Cloud does it (connect-auth.md §3): read the app's
//! descriptor, POST signed lifecycle callbacks, and sign the iframe URL of the app's page.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::crypto::{SecretString, random_token};
use crate::qsh;

use super::error::EmulatorError;
use super::signing::{install_key, sign_install, sign_shared};
use super::state::{Shared, SiteCtx, SiteRuntime};
use super::stats::Event;

/// Lifetime of the tokens the emulator signs (Jira uses three minutes).
const TOKEN_SECONDS: i64 = 180;

/// What the emulator needs from `atlassian-connect.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Descriptor {
    pub key: String,
    pub name: String,
    /// `baseUrl` without a trailing slash.
    pub base_url: String,
    /// The path part of `baseUrl` (usually empty): stripped before computing qsh.
    pub base_path: String,
    /// `lifecycle.*`: event name → path.
    pub lifecycle: BTreeMap<String, String>,
    pub page: Option<PageModule>,
    /// `modules.adminPages[0]`: shown to administrators only (`user_is_admin`).
    pub admin_page: Option<PageModule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PageModule {
    pub key: String,
    pub name: String,
    pub url: String,
}

impl Descriptor {
    pub(crate) fn parse(value: &Value) -> Result<Self, String> {
        let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str);
        let key = text("/key").ok_or("no \"key\"")?.to_owned();
        let base_url = text("/baseUrl")
            .ok_or("no \"baseUrl\"")?
            .trim_end_matches('/')
            .to_owned();
        let parsed = url::Url::parse(&base_url).map_err(|error| format!("baseUrl: {error}"))?;
        let base_path = parsed.path().trim_end_matches('/').to_owned();
        let lifecycle = value
            .get("lifecycle")
            .and_then(Value::as_object)
            .map(|events| {
                events
                    .iter()
                    .filter_map(|(event, path)| Some((event.clone(), path.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let module = |pointer: &str| {
            value.pointer(pointer).and_then(|page| {
                Some(PageModule {
                    key: page.get("key")?.as_str()?.to_owned(),
                    name: page
                        .pointer("/name/value")
                        .and_then(Value::as_str)
                        .unwrap_or("App")
                        .to_owned(),
                    url: page.get("url")?.as_str()?.to_owned(),
                })
            })
        };
        let admin_page = module("/modules/adminPages/0");
        let page = module("/modules/generalPages/0");
        Ok(Self {
            name: text("/name").unwrap_or(&key).to_owned(),
            key,
            base_url,
            base_path,
            lifecycle,
            page,
            admin_page,
        })
    }
}

/// `GET {app_url}/atlassian-connect.json`.
pub(crate) async fn fetch_descriptor(shared: &Shared) -> Result<Descriptor, EmulatorError> {
    let url = format!("{}/atlassian-connect.json", shared.app_url());
    let failed = |reason: String| EmulatorError::Descriptor {
        url: url.clone(),
        reason,
    };
    let response = shared
        .http
        .get(&url)
        .send()
        .await
        .map_err(|error| failed(error.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let value: Value = response
        .json()
        .await
        .map_err(|error| failed(error.to_string()))?;
    Descriptor::parse(&value).map_err(failed)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    Installed,
    Uninstalled,
    Enabled,
    Disabled,
}

impl Lifecycle {
    fn name(self) -> &'static str {
        match self {
            Lifecycle::Installed => "installed",
            Lifecycle::Uninstalled => "uninstalled",
            Lifecycle::Enabled => "enabled",
            Lifecycle::Disabled => "disabled",
        }
    }
}

fn site(shared: &Shared, index: usize) -> Result<&SiteRuntime, EmulatorError> {
    shared
        .sites
        .get(index)
        .ok_or(EmulatorError::NoSuchSite(index))
}

/// Installs (or reinstalls) the app: a fresh shared secret each time, so a reinstall rotates it.
/// Like Jira, `installed` is followed by `enabled`.
pub(crate) async fn install(shared: &Shared, index: usize) -> Result<(), EmulatorError> {
    let site = site(shared, index)?;
    let _serial = site.lifecycle.lock().await;
    let result = async {
        let descriptor = fetch_descriptor(shared).await?;
        let secret = SecretString::new(
            random_token::<32>().map_err(|error| EmulatorError::Signing(error.to_string()))?,
        );
        send(
            shared,
            site,
            &descriptor,
            Lifecycle::Installed,
            Some(&secret),
        )
        .await?;
        {
            let mut state = site.install_state();
            state.installed = true;
            state.enabled = true;
            state.shared_secret = Some(secret.clone());
            state.descriptor = Some(descriptor.clone());
        }
        send(shared, site, &descriptor, Lifecycle::Enabled, Some(&secret)).await
    }
    .await;
    record(site, "install", &result);
    result
}

/// Uninstalls the app. The site forgets the installation even if the app refuses the callback.
pub(crate) async fn uninstall(shared: &Shared, index: usize) -> Result<(), EmulatorError> {
    let site = site(shared, index)?;
    let _serial = site.lifecycle.lock().await;
    let descriptor = installed_descriptor(site, index)?;
    let result = send(shared, site, &descriptor, Lifecycle::Uninstalled, None).await;
    {
        let mut state = site.install_state();
        state.installed = false;
        state.enabled = false;
    }
    record(site, "uninstall", &result);
    result
}

/// Sends `enabled` or `disabled` (HS256 with the shared secret).
pub(crate) async fn set_enabled(
    shared: &Shared,
    index: usize,
    enabled: bool,
) -> Result<(), EmulatorError> {
    let site = site(shared, index)?;
    let _serial = site.lifecycle.lock().await;
    let descriptor = installed_descriptor(site, index)?;
    let secret = site.install_state().shared_secret.clone();
    let event = if enabled {
        Lifecycle::Enabled
    } else {
        Lifecycle::Disabled
    };
    let result = send(shared, site, &descriptor, event, secret.as_ref()).await;
    site.install_state().enabled = enabled;
    record(site, event.name(), &result);
    result
}

fn installed_descriptor(site: &SiteRuntime, index: usize) -> Result<Descriptor, EmulatorError> {
    let state = site.install_state();
    match (&state.descriptor, state.installed) {
        (Some(descriptor), true) => Ok(descriptor.clone()),
        _ => Err(EmulatorError::NotInstalled(index)),
    }
}

fn record(site: &SiteRuntime, action: &str, result: &Result<(), EmulatorError>) {
    let line = match result {
        Ok(()) => {
            tracing::info!(site = %site.info.name, action, "lifecycle callback accepted");
            format!("{action}: OK")
        }
        // An app that is not up yet is routine (the binary retries); other failures are news.
        Err(error @ EmulatorError::Descriptor { .. }) => {
            tracing::debug!(site = %site.info.name, action, error = %error, "app descriptor unavailable");
            format!("{action} failed: {error}")
        }
        Err(error) => {
            tracing::warn!(site = %site.info.name, action, error = %error, "lifecycle callback failed");
            format!("{action} failed: {error}")
        }
    };
    site.install_state().last_event = Some(line);
}

/// POSTs one lifecycle callback, if the descriptor declares it. `installed`/`uninstalled` are
/// RS256 with `kid`; `enabled`/`disabled` HS256 with the shared secret.
async fn send(
    shared: &Shared,
    site: &SiteRuntime,
    descriptor: &Descriptor,
    event: Lifecycle,
    secret: Option<&SecretString>,
) -> Result<(), EmulatorError> {
    let Some(path) = descriptor.lifecycle.get(event.name()) else {
        return Ok(());
    };
    let url = format!("{}{path}", descriptor.base_url);
    let (path_only, query) = path.split_once('?').unwrap_or((path.as_str(), ""));
    let qsh = qsh::hash(
        "POST",
        &format!("{}{path_only}", descriptor.base_path),
        &descriptor.base_path,
        &qsh::parse_query(query),
    );
    let now = shared.clock.now_unix();
    let token = match event {
        Lifecycle::Installed | Lifecycle::Uninstalled => {
            let key = install_key().await?;
            sign_install(
                &key,
                &json!({
                    "iss": site.info.client_key,
                    "sub": "addon_installer",
                    "aud": [descriptor.base_url],
                    "qsh": qsh,
                    "iat": now,
                    "exp": now + TOKEN_SECONDS,
                    "context": {},
                }),
            )?
        }
        Lifecycle::Enabled | Lifecycle::Disabled => {
            let secret = secret.ok_or_else(|| {
                EmulatorError::Signing("no shared secret to sign the callback".to_owned())
            })?;
            sign_shared(
                secret.expose(),
                &json!({
                    "iss": site.info.client_key,
                    "qsh": qsh,
                    "iat": now,
                    "exp": now + TOKEN_SECONDS,
                    "context": {},
                }),
            )?
        }
    };
    let mut body = json!({
        "key": descriptor.key,
        "clientKey": site.info.client_key,
        "baseUrl": site.info.base_url,
        "displayUrl": site.info.base_url,
        "productType": "jira",
        "description": format!("Atlassian JIRA at {}", site.info.base_url),
        "serverVersion": "100290",
        "pluginsVersion": "1001.0.0-SNAPSHOT",
        "eventType": event.name(),
        "oauthClientId": site.info.oauth_client_id,
    });
    if let (Lifecycle::Installed, Some(secret)) = (event, secret) {
        body["sharedSecret"] = json!(secret.expose());
    }
    shared.stats.record(Event::LifecycleCallback);
    let response = shared
        .http
        .post(&url)
        .header("Authorization", format!("JWT {token}"))
        .json(&body)
        .send()
        .await
        .map_err(|error| EmulatorError::LifecycleUnreachable {
            event: event.name(),
            url: url.clone(),
            reason: error.to_string(),
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(EmulatorError::LifecycleRejected {
        event: event.name(),
        status: status.as_u16(),
        body: body.chars().take(300).collect(),
    })
}

/// The signed iframe URL of the app's general page for `user`, as Jira renders it.
pub(crate) fn page_url(
    shared: &Shared,
    index: usize,
    user: usize,
) -> Result<String, EmulatorError> {
    module_url(shared, index, user, false, &[])
}

/// The signed iframe URL of the general page, or with `admin` of the admin page, with `extra`
/// query parameters inside the signature (what a forged but validly signed URL looks like).
pub(crate) fn module_url(
    shared: &Shared,
    index: usize,
    user: usize,
    admin: bool,
    extra: &[(String, String)],
) -> Result<String, EmulatorError> {
    let site = site(shared, index)?;
    let account = site
        .info
        .users
        .get(user)
        .ok_or(EmulatorError::NoSuchUser { site: index, user })?;
    let (descriptor, secret) = {
        let state = site.install_state();
        match (&state.descriptor, &state.shared_secret, state.installed) {
            (Some(descriptor), Some(secret), true) => (descriptor.clone(), secret.clone()),
            _ => return Err(EmulatorError::NotInstalled(index)),
        }
    };
    let page = if admin {
        descriptor.admin_page.as_ref()
    } else {
        descriptor.page.as_ref()
    }
    .ok_or(EmulatorError::NoPageModule)?;
    let (page_path, page_query) = page.url.split_once('?').unwrap_or((page.url.as_str(), ""));
    let mut params = qsh::parse_query(page_query);
    params.extend(extra.iter().cloned());
    for (name, value) in [
        ("xdm_e", site.info.base_url.clone()),
        ("xdm_c", format!("channel-{}__{}", descriptor.key, page.key)),
        ("cp", String::new()),
        (
            "xdm_deprecated_addon_key_do_not_use",
            descriptor.key.clone(),
        ),
        ("lic", "none".to_owned()),
        ("cv", "1001.0.0".to_owned()),
        ("tz", "UTC".to_owned()),
        ("loc", "en-US".to_owned()),
    ] {
        params.push((name.to_owned(), value));
    }
    let qsh = qsh::hash(
        "GET",
        &format!("{}{page_path}", descriptor.base_path),
        &descriptor.base_path,
        &params,
    );
    let now = shared.clock.now_unix();
    let token = sign_shared(
        secret.expose(),
        &json!({
            "iss": site.info.client_key,
            "sub": account.account_id,
            "qsh": qsh,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "context": {"user": {"accountId": account.account_id}},
        }),
    )?;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .append_pair("jwt", &token)
        .finish();
    Ok(format!("{}{page_path}?{query}", descriptor.base_url))
}

/// `GET /connect-install-keys/{kid}`: the PEM public key for the emulator's install tokens.
pub(crate) async fn public_key(ctx: web::Data<SiteCtx>, kid: web::Path<String>) -> HttpResponse {
    ctx.shared.stats.record(Event::InstallKeyRequest);
    match install_key().await {
        Ok(key) if key.kid == *kid => HttpResponse::Ok()
            .content_type("text/plain;charset=UTF-8")
            .body(key.public_pem.clone()),
        Ok(_) => HttpResponse::NotFound()
            .content_type("text/plain;charset=UTF-8")
            .body("Unknown key id"),
        Err(error) => {
            tracing::error!(error = %error, "install key unavailable");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parts_of_the_descriptor_jira_uses() {
        let descriptor = Descriptor::parse(&json!({
            "key": "jira-bi-connector",
            "name": "BI Connector",
            "baseUrl": "http://127.0.0.1:8080/app/",
            "lifecycle": {"installed": "/lifecycle/installed", "enabled": "/lifecycle/enabled"},
            "modules": {"generalPages": [{"key": "bi-connector", "name": {"value": "BI Connector"}, "url": "/pages/main"}]}
        }))
        .expect("valid descriptor");
        assert_eq!(descriptor.base_url, "http://127.0.0.1:8080/app");
        assert_eq!(descriptor.base_path, "/app");
        assert_eq!(descriptor.lifecycle["installed"], "/lifecycle/installed");
        assert_eq!(
            descriptor.page,
            Some(PageModule {
                key: "bi-connector".to_owned(),
                name: "BI Connector".to_owned(),
                url: "/pages/main".to_owned()
            })
        );
        assert!(Descriptor::parse(&json!({"key": "x"})).is_err());
    }
}
