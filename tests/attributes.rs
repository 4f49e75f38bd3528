//! The attribute model end to end against reference apps configured otherwise than the default:
//! a `/Schemas` that promises more than the app stores is named in the failure; required
//! extension attributes are mapped as Import User Schema populates them; renamed grant fields.

use okta_sim::app::profile::{CustomResourceType, reference_grants};
use okta_sim::conformance::{CheckOptions, Target, run};
use okta_sim::okta::Auth;
use okta_sim::scim::declared::{AttributeDecl, SchemaDecl};
use okta_sim::scim::schema::{AttrType, OKTA_ROLE_SCHEMA, ResourceKind};
use okta_sim::{AppProfile, ReferenceApp};
use serde_json::{Value, json};

fn opts(app: &ReferenceApp, tags: &str) -> CheckOptions {
    CheckOptions {
        target: Target::Url {
            base_url: app.base_url().to_string(),
            auth: Auth::Bearer(app.token().to_string()),
        },
        tags: Some(tags.into()),
        seed: Some(3),
        print: false,
        ..CheckOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_that_promises_more_than_the_app_stores_is_named_in_the_failure() {
    let app = ReferenceApp::builder()
        .fault(okta_sim::app::faults::fault_named("declared-attribute-not-stored").unwrap())
        .start()
        .await
        .unwrap();
    let out = run(opts(&app, "@discovery")).await.unwrap();
    assert_eq!(out.exit_code(), 1);
    let failed: Vec<_> = out
        .results
        .iter()
        .flat_map(|r| r.checks.iter())
        .filter(|c| !c.passed)
        .collect();
    let returned = failed
        .iter()
        .find(|c| c.id == "discovery.attribute.returned")
        .expect("the attribute's read-back fails");
    let diff = returned.diff.as_deref().unwrap_or_default();
    assert!(
        diff.contains(
            "/Schemas declares urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division"
        ) && diff.contains("GET /Users/{id} returned nothing for it"),
        "{diff}"
    );
    // Only that attribute: every other declared attribute behaves as declared.
    assert!(
        failed
            .iter()
            .all(|c| c.diff.as_deref().unwrap_or("").contains(":division")),
        "{failed:#?}"
    );
}

/// An app whose own extension declares a required attribute, and whose Roles name their fields
/// `roleKey` and `roleName`.
fn strict_profile() -> AppProfile {
    let ext = SchemaDecl {
        id: "urn:ietf:params:scim:schemas:extension:acme:2.0:User".into(),
        name: "AcmeUser".into(),
        description: String::new(),
        attributes: vec![
            AttributeDecl {
                required: true,
                ..AttributeDecl::new("tenant", AttrType::String)
            },
            AttributeDecl::new("level", AttrType::Integer),
        ],
    };
    let mut grants = reference_grants();
    grants.push(CustomResourceType {
        name: "Team".into(),
        endpoint: "/Teams".into(),
        description: "Teams".into(),
        schema: OKTA_ROLE_SCHEMA.into(),
        declared: None,
        values: vec![
            json!({"id": "t1", "roleKey": "T-1", "roleName": "Core"}),
            json!({"id": "t2", "roleKey": "T-2", "roleName": "Edge"}),
        ],
    });
    AppProfile {
        name: "strict".into(),
        user_extensions: vec![ext],
        resource_types: grants,
        ..AppProfile::reference()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_extension_attributes_are_mapped_as_import_user_schema_populates_them() {
    let app = ReferenceApp::builder()
        .profile(strict_profile())
        .start()
        .await
        .unwrap();
    // The app refuses a user without its required attribute...
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/Users", app.base_url()))
        .bearer_auth(app.token())
        .header("Content-Type", "application/scim+json")
        .body(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@example.com"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("tenant is required"));
    // ...and every probe of Import User Schema carries it, so the run passes.
    let out = run(opts(&app, "@discovery")).await.unwrap();
    let failed: Vec<_> = out
        .results
        .iter()
        .flat_map(|r| r.checks.iter())
        .filter(|c| !c.passed)
        .map(|c| (c.id.clone(), c.diff.clone()))
        .collect();
    assert_eq!(out.exit_code(), 0, "{failed:#?}");
    assert!(out.summary.passed >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renamed_grant_fields_are_read_by_their_configured_names() {
    let app = ReferenceApp::builder()
        .profile(strict_profile())
        .start()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("okta-sim-renamed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("teams.feature"),
        r#"Feature: Teams with renamed fields
  Scenario: Okta reads the renamed fields
    Given the "Team" values name their id "roleKey" and display name "roleName"
    When Okta discovers the app's entitlements
    Then every published value was discovered once

  Scenario: Without the renamed fields the values cannot be read
    When Okta discovers the app's entitlements
"#,
    )
    .unwrap();
    let out = run(CheckOptions {
        features_dir: Some(dir.clone()),
        only_features_dir: true,
        tags: None,
        ..opts(&app, "")
    })
    .await
    .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let by_name = |n: &str| out.results.iter().find(|r| r.scenario.contains(n)).unwrap();
    let renamed = by_name("reads the renamed");
    assert!(
        renamed.checks.iter().all(|c| c.passed),
        "{:#?}",
        renamed.checks
    );
    let plain = by_name("cannot be read");
    let fields = plain
        .checks
        .iter()
        .find(|c| {
            c.id == "entitlements.values.fields"
                && c.diff.as_deref().unwrap_or("").starts_with("Team")
        })
        .expect("the Team values are graded");
    assert!(
        !fields.passed,
        "Team values have no displayName: {fields:#?}"
    );
}

/// A plain SCIM app (no discovery documents, no grants) is not failed by the discovery and
/// entitlement scenarios: Okta reads those only for features the app may leave off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_without_discovery_documents_has_those_scenarios_skipped() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404", "detail": "no such endpoint"})))
        .mount(&server)
        .await;
    let out = run(CheckOptions {
        target: Target::Url {
            base_url: format!("{}/scim/v2", server.uri()),
            auth: Auth::Bearer("0123456789abcdef".into()),
        },
        tags: Some("@discovery or @entitlements".into()),
        seed: Some(3),
        print: false,
        ..CheckOptions::default()
    })
    .await
    .unwrap();
    assert_eq!(
        out.summary.failed,
        0,
        "{:#?}",
        out.results
            .iter()
            .map(|r| (&r.scenario, &r.outcome))
            .collect::<Vec<_>>()
    );
    assert_eq!(out.summary.skipped, out.results.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_users_carry_the_extension_attributes_the_app_requires() {
    let app = ReferenceApp::builder()
        .profile(strict_profile())
        .seed_users(3)
        .start()
        .await
        .unwrap();
    assert_eq!(app.store().count(ResourceKind::User), 3);
    assert!(app.banner(false).contains("users seeded   3"));
    let c = reqwest::Client::new();
    let body: Value = serde_json::from_str(
        &c.get(format!("{}/Users?count=1", app.base_url()))
            .bearer_auth(app.token())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let user = &body["Resources"][0];
    let ext = user
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with("urn:") && k.ends_with(":User") && !k.contains("enterprise"))
        .map(|(_, v)| v.clone())
        .expect("the extension object");
    assert_eq!(ext["tenant"], "seed", "{user}");
}
