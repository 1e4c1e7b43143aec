//! The served descriptor is what Jira installs from: it must satisfy Atlassian's schema.

use crate::support::spawn_app;

fn descriptor_schema() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/connect-descriptor-jira-schema.json"
    );
    let text = std::fs::read_to_string(path).expect("the descriptor schema is in tests/fixtures");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// Atlassian validates descriptors in Java, where format `uri` means `java.net.URI`, which accepts
/// relative references such as `/lifecycle/installed` (the documented form of lifecycle URLs).
/// jsonschema's `uri` wants an absolute URI, so `uri` is checked the way Java parses it.
fn descriptor_validator() -> jsonschema::Validator {
    jsonschema::options()
        .with_format("uri", |value: &str| {
            url::Url::parse(value).is_ok()
                || url::Url::parse("https://base.example")
                    .and_then(|base| base.join(value))
                    .is_ok_and(|_| !value.contains(char::is_whitespace))
        })
        .build(&descriptor_schema())
        .expect("a valid schema")
}

#[tokio::test]
async fn served_descriptor_validates_against_the_jira_descriptor_schema() {
    // Arrange
    let app = spawn_app().await;
    let validator = descriptor_validator();

    // Act
    let response = app
        .client
        .get(app.url("/atlassian-connect.json"))
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(response.status(), 200);
    let descriptor: serde_json::Value = response.json().await.unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&descriptor)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
    assert_eq!(descriptor["baseUrl"], app.address.as_str());
    assert_eq!(descriptor["authentication"]["type"], "jwt");
    assert_eq!(descriptor["apiMigrations"]["signed-install"], true);
    assert_eq!(descriptor["apiMigrations"]["context-qsh"], true);
    assert_eq!(descriptor["apiMigrations"]["gdpr"], true);
    assert_eq!(descriptor["scopes"], serde_json::json!(["READ"]));
    assert_eq!(
        descriptor["modules"]["generalPages"][0]["location"],
        "system.top.navigation.bar"
    );
    // The admin page: Jira shows its link only to administrators (the app re-checks anyway),
    // and it is never cacheable (a cacheable URL would come without the page JWT).
    let admin = &descriptor["modules"]["adminPages"][0];
    assert_eq!(admin["url"], "/pages/admin");
    assert_eq!(admin["conditions"][0]["condition"], "user_is_admin");
    assert!(admin.get("cacheable").is_none());
    // READ is enough for the app's own calls (permissions/check, user/groups, pickers are
    // READ operations in the spec): no scope is added for administration.
    for event in ["installed", "uninstalled", "enabled", "disabled"] {
        assert!(descriptor["lifecycle"][event].is_string(), "{event}");
    }
}

#[tokio::test]
async fn the_schema_check_rejects_a_broken_descriptor() {
    // A sanity check that the validation above can fail.
    let validator = descriptor_validator();
    let broken = serde_json::json!({"key": "has spaces!", "baseUrl": "ftp://x", "authentication": {"type": "jwt"}});
    assert!(!validator.is_valid(&broken));
    let bad_lifecycle = serde_json::json!({"key": "k", "baseUrl": "https://x.example",
        "authentication": {"type": "jwt"}, "lifecycle": {"installed": "not a uri"}});
    assert!(!validator.is_valid(&bad_lifecycle));
}
