//! `GET /atlassian-connect.json`: the repo's descriptor, served unchanged except for `baseUrl`,
//! which comes from `BASE_URL` (frameworks that rewrite more than that have caused accidental
//! Marketplace versions).

use actix_web::{HttpResponse, get, web};

use crate::error::AppError;
use crate::state::AppState;

const DESCRIPTOR: &str = include_str!("../../atlassian-connect.json");

/// The descriptor with `baseUrl` set.
pub fn render(base_url: &str) -> Result<serde_json::Value, AppError> {
    let mut descriptor: serde_json::Value = serde_json::from_str(DESCRIPTOR)
        .map_err(|e| AppError::internal(format!("atlassian-connect.json: {e}")))?;
    let object = descriptor
        .as_object_mut()
        .ok_or_else(|| AppError::internal("atlassian-connect.json is not an object"))?;
    object.insert(
        "baseUrl".into(),
        serde_json::Value::String(base_url.to_owned()),
    );
    Ok(descriptor)
}

/// Our app key (`key` in the descriptor): the `iss` of the JWTs the app signs as itself and the
/// audience Jira's install tokens name.
pub fn app_key() -> String {
    serde_json::from_str::<serde_json::Value>(DESCRIPTOR)
        .ok()
        .and_then(|d| d["key"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The `url` of the general page, so page authentication knows which path a page JWT signs.
pub fn general_page_paths() -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(DESCRIPTOR)
        .ok()
        .and_then(|d| d["modules"]["generalPages"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|page| page["url"].as_str())
        .map(|url| url.split('?').next().unwrap_or(url).to_owned())
        .collect()
}

#[get("/atlassian-connect.json")]
pub async fn serve_descriptor(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let body = render(&state.settings.base_url_str())?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_replaced_and_nothing_else_changes() {
        let rendered = render("https://bi.example.com").unwrap();
        let original: serde_json::Value = serde_json::from_str(DESCRIPTOR).unwrap();
        assert_eq!(rendered["baseUrl"], "https://bi.example.com");
        let mut without = rendered.clone();
        without["baseUrl"] = original["baseUrl"].clone();
        assert_eq!(without, original);
    }

    #[test]
    fn the_general_page_is_declared_for_page_authentication() {
        assert_eq!(general_page_paths(), vec!["/pages/main".to_owned()]);
        assert_eq!(app_key(), crate::connect::app_jwt::APP_KEY);
    }
}
