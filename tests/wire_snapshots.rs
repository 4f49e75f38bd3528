//! The exact bytes of every operation sequence Okta sends, captured on a raw socket and kept as
//! insta snapshots in `snapshots/`: they are the contract (okta-scim-wire §8).

#[path = "support/capture.rs"]
mod capture;

use std::sync::Arc;
use std::time::Duration;

use capture::{CaptureServer, answer};
use okta_sim::okta::log::ExchangeLog;
use okta_sim::okta::ops::{OktaSettings, Session};
use okta_sim::okta::redact::Redactor;
use okta_sim::okta::{AppKind, Auth, OktaIds, RetryPolicy, WireClient};

fn settings(kind: AppKind) -> OktaSettings {
    OktaSettings {
        app_kind: kind,
        ..OktaSettings::default()
    }
}

async fn session(server: &CaptureServer, kind: AppKind) -> Session {
    let wire = WireClient::new(
        &server.base_url,
        Auth::Bearer("0123456789abcdef".into()),
        Duration::from_secs(5),
        RetryPolicy {
            time_scale: 0.0,
            ..RetryPolicy::default()
        },
        Arc::new(ExchangeLog::new(Redactor::none())),
    )
    .unwrap();
    Session::new(wire, settings(kind), OktaIds::new(1))
}

fn snap(name: &str, text: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

const EMPTY_LIST: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#;
const USER: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"23a35c27-23d3-4c03-b4c5-6443c09e7173","userName":"x","name":{"givenName":"A","familyName":"B","formatted":"kept"},"emails":[{"primary":true,"value":"x","type":"work"}],"active":true,"meta":{"resourceType":"User"}}"#;
const GROUP: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","displayName":"G","members":[],"meta":{"resourceType":"Group"}}"#;

#[tokio::test]
async fn test_api_credentials() {
    let server = CaptureServer::start(vec![answer(200, EMPTY_LIST)]).await;
    session(&server, AppKind::Oin)
        .await
        .test_credentials()
        .await;
    snap("test_api_credentials", server.transcript());
}

#[tokio::test]
async fn assign_user_oin_creates() {
    let server = CaptureServer::start(vec![answer(200, EMPTY_LIST), answer(201, USER)]).await;
    let mut s = session(&server, AppKind::Oin).await;
    let op = s.assign_user("alice").await;
    assert!(op.error.is_none(), "{:?}", op.error);
    snap("assign_user_create", server.transcript());
}

#[tokio::test]
async fn assign_user_links_an_existing_user() {
    let list = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{USER}]}}"#
    );
    let server = CaptureServer::start(vec![
        answer(200, &list),
        answer(200, USER),
        answer(200, USER),
    ])
    .await;
    let mut s = session(&server, AppKind::Oin).await;
    s.assign_user("alice").await;
    snap("assign_user_link", server.transcript());
}

#[tokio::test]
async fn deactivate_reactivate_oin_and_aiw() {
    for kind in [AppKind::Oin, AppKind::Aiw] {
        let server = CaptureServer::start(vec![
            answer(200, EMPTY_LIST),
            answer(201, USER),
            answer(200, USER),
        ])
        .await;
        let mut s = session(&server, kind).await;
        s.assign_user("alice").await;
        server.requests.lock().unwrap().clear();
        s.deactivate_user("alice").await;
        s.reactivate_user("alice").await;
        s.push_profile("alice").await;
        s.sync_password("alice").await;
        snap(
            &format!("user_lifecycle_{}", kind.name()),
            server.transcript(),
        );
    }
}

#[tokio::test]
async fn group_push_sequences_oin_and_aiw() {
    for kind in [AppKind::Oin, AppKind::Aiw] {
        let server = CaptureServer::start(vec![
            answer(200, EMPTY_LIST),
            answer(201, USER),
            answer(200, EMPTY_LIST),
            answer(201, USER),
            answer(200, EMPTY_LIST),
            answer(201, GROUP),
            answer(200, GROUP),
        ])
        .await;
        let mut s = session(&server, kind).await;
        s.settings.rename_app_groups = true;
        s.assign_user("alice").await;
        s.assign_user("bob").await;
        s.group("eng").members = vec!["alice".into()];
        server.requests.lock().unwrap().clear();
        s.push_group("eng").await;
        s.add_to_group("eng", &["bob".to_string()]).await;
        s.remove_from_group("eng", &["alice".to_string()]).await;
        s.rename_group("eng", "Engineering Renamed").await;
        s.push_now("eng").await;
        s.remove_from_group("eng", &["bob".to_string()]).await;
        s.push_now("eng").await;
        s.unlink_group("eng", true).await;
        snap(&format!("group_push_{}", kind.name()), server.transcript());
    }
}

/// One push that removes a member and adds another: one PATCH, the removes first, then one add
/// (okta-scim-wire §6.2, the S3 example).
#[tokio::test]
async fn group_push_mixed_patch_oin_and_aiw() {
    let user_b = USER.replace(
        "23a35c27-23d3-4c03-b4c5-6443c09e7173",
        "89bb1940-b905-4575-9e7f-6f887cfb368e",
    );
    for kind in [AppKind::Oin, AppKind::Aiw] {
        let server = CaptureServer::start(vec![
            answer(200, EMPTY_LIST),
            answer(201, USER),
            answer(200, EMPTY_LIST),
            answer(201, &user_b),
            answer(200, EMPTY_LIST),
            answer(201, GROUP),
            answer(200, GROUP),
        ])
        .await;
        let mut s = session(&server, kind).await;
        s.assign_user("alice").await;
        s.assign_user("bob").await;
        s.group("eng").members = vec!["alice".into()];
        s.push_group("eng").await;
        server.requests.lock().unwrap().clear();
        s.change_members("eng", &["bob".to_string()], &["alice".to_string()])
            .await;
        snap(
            &format!("group_push_mixed_patch_{}", kind.name()),
            server.transcript(),
        );
    }
}

#[tokio::test]
async fn import_paging() {
    let page = |start: u32, n: u32| {
        let items: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"id":"u{}","userName":"u{}@x","active":true}}"#,
                    start + i,
                    start + i
                )
            })
            .collect();
        format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":150,"startIndex":{start},"itemsPerPage":{n},"Resources":[{}]}}"#,
            items.join(",")
        )
    };
    let server = CaptureServer::start(vec![
        answer(200, &page(1, 100)),
        answer(200, &page(101, 50)),
        answer(200, &page(201, 0)),
    ])
    .await;
    let s = session(&server, AppKind::Oin).await;
    let (op, all) = s.import(okta_sim::okta::ops::OpKind::ImportUsers).await;
    assert_eq!(all.len(), 150);
    assert!(op.error.is_none());
    let lines: Vec<String> = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.lines().next().unwrap().to_string())
        .collect();
    snap("import_users_request_lines", lines.join("\n"));
}

#[tokio::test]
async fn link_group_and_wrong_token() {
    let found = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{GROUP}]}}"#
    );
    let server = CaptureServer::start(vec![
        answer(200, EMPTY_LIST),
        answer(201, USER),
        answer(200, &found),
        answer(200, GROUP),
        answer(401, "{}"),
    ])
    .await;
    let mut s = session(&server, AppKind::Oin).await;
    s.assign_user("alice").await;
    s.group("admins").members = vec!["alice".into()];
    server.requests.lock().unwrap().clear();
    s.link_group("admins", "Vendor Admins", true).await;
    s.test_credentials_with_wrong_token().await;
    snap("link_group_rename_then_wrong_token", server.transcript());
}

#[tokio::test]
async fn okta_spec_test_requests() {
    let list = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{USER}]}}"#
    );
    let server = CaptureServer::start(vec![
        answer(200, &list),
        answer(200, USER),
        answer(200, EMPTY_LIST),
    ])
    .await;
    let mut s = session(&server, AppKind::Oin).await;
    s.spec_test().await;
    snap("okta_spec_test", server.transcript());
}

/// The app user schema of a customised app: enterprise attributes (with `manager.value`), the
/// app's own extension with a group-assignable role and array, a boolean and an integer, and an
/// attribute without a namespace (never sent).
fn customised(kind: AppKind) -> OktaSettings {
    use okta_sim::okta::appschema::{AppAttribute, ArrayMode, Expr, PropertyType, Scope};
    let ext = "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User";
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let mut s = settings(kind);
    let attr =
        |v: &str, ty, name: &str, ns: Option<&str>, scope, mapping: Option<&str>| AppAttribute {
            variable: v.into(),
            ty,
            external_name: name.into(),
            namespace: ns.map(String::from),
            scope,
            mapping: mapping.map(|m| Expr::parse(m).unwrap()),
            array_mode: ArrayMode::GroupPriority,
        };
    for a in [
        attr(
            "department",
            PropertyType::String,
            "department",
            Some(ent),
            Scope::Personal,
            Some("user.department"),
        ),
        attr(
            "employeeId",
            PropertyType::String,
            "employeeNumber",
            Some(ent),
            Scope::Personal,
            Some("user.employeeId"),
        ),
        attr(
            "manager",
            PropertyType::String,
            "manager.value",
            Some(ent),
            Scope::Personal,
            Some("user.managerId"),
        ),
        attr(
            "role",
            PropertyType::String,
            "role",
            Some(ext),
            Scope::Group,
            None,
        ),
        attr(
            "skills",
            PropertyType::StringArray,
            "skills",
            Some(ext),
            Scope::Group,
            None,
        ),
        attr(
            "isContractor",
            PropertyType::Boolean,
            "isContractor",
            Some(ext),
            Scope::Personal,
            Some("user.isContractor"),
        ),
        attr(
            "seniority",
            PropertyType::Integer,
            "seniority",
            Some(ext),
            Scope::Personal,
            Some("user.seniority"),
        ),
        attr(
            "nickname",
            PropertyType::String,
            "nickName",
            None,
            Scope::Personal,
            Some("String.toLowerCase(user.firstName)"),
        ),
    ] {
        s.app_schema.upsert(a);
    }
    s
}

fn profile(s: &mut Session, label: &str, values: serde_json::Value) {
    let u = &mut s.user(label).okta;
    for (k, v) in values.as_object().unwrap() {
        u.profile.insert(k.clone(), v.clone());
    }
}

#[tokio::test]
async fn assign_user_with_enterprise_and_custom_attributes() {
    let server = CaptureServer::start(vec![answer(200, EMPTY_LIST), answer(201, USER)]).await;
    let mut s = session(&server, AppKind::Oin).await;
    s.settings = customised(AppKind::Oin);
    profile(
        &mut s,
        "ada",
        serde_json::json!({"department": "Research", "employeeId": "E-1042", "managerId": "m-7",
                           "isContractor": true, "seniority": 12, "title": "unmapped"}),
    );
    let direct = serde_json::json!({"role": "admin", "skills": ["rust", "scim"]});
    let op = s
        .assign_user_with("ada", direct.as_object().unwrap().clone())
        .await;
    assert!(op.error.is_none(), "{:?}", op.error);
    let t = server.transcript();
    assert!(
        !t.contains("nickName"),
        "an attribute without a namespace is not sent"
    );
    snap("assign_user_attributes", t);
}

#[tokio::test]
async fn extension_urns_listed_in_schemas_when_asked() {
    let server = CaptureServer::start(vec![answer(200, EMPTY_LIST), answer(201, USER)]).await;
    let mut s = session(&server, AppKind::Oin).await;
    s.settings = customised(AppKind::Oin);
    s.settings.app_schema.list_extension_schemas = true;
    profile(&mut s, "ada", serde_json::json!({"department": "Research"}));
    s.assign_user("ada").await;
    let t = server.transcript();
    assert!(
        t.contains(r#""schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]"#),
        "{t}"
    );
}

#[tokio::test]
async fn group_assignment_by_priority_pushes_the_top_group_role() {
    let server = CaptureServer::start(vec![
        answer(200, EMPTY_LIST),
        answer(201, USER),
        answer(200, USER),
        answer(200, USER),
        answer(200, USER),
        answer(200, USER),
    ])
    .await;
    let mut s = session(&server, AppKind::Aiw).await;
    s.settings = customised(AppKind::Aiw);
    s.group("sales").members = vec!["gus".into()];
    s.group("eng").members = vec!["gus".into()];
    let v = |j: serde_json::Value| j.as_object().unwrap().clone();
    // sales first: gus is created with sales' role; eng above it: one GET + PUT with admin;
    // sales dragged to the top: one GET + PUT with viewer.
    s.assign_group_to_app("sales", 1, v(serde_json::json!({"role": "viewer"})))
        .await;
    s.assign_group_to_app(
        "eng",
        0,
        v(serde_json::json!({"role": "admin", "skills": ["rust"]})),
    )
    .await;
    let op = s.set_group_priority("sales", 0).await;
    assert!(op.error.is_none(), "{:?}", op.error);
    snap("group_assignment_priority", server.transcript());
}

#[tokio::test]
async fn entitlement_discovery_test_and_grant() {
    let types = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"startIndex":1,"itemsPerPage":3,"Resources":[
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],"id":"User","name":"User","endpoint":"/Users","schema":"urn:ietf:params:scim:schemas:core:2.0:User","schemaExtensions":[{"schema":"urn:acme:User","required":false}]},
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],"id":"Role","name":"Role","endpoint":"/Roles","schema":"urn:okta:scim:schemas:core:1.0:Role"},
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],"id":"License","name":"License","endpoint":"/Licenses","schema":"urn:okta:scim:schemas:core:1.0:Entitlement"}]}"#;
    let roles = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"admin","displayName":"Administrator"}]}"#;
    let licenses = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"lic-1","displayName":"License 1","type":"License"}]}"#;
    let server = CaptureServer::start(vec![
        answer(200, types),
        answer(200, EMPTY_LIST),
        answer(200, roles),
        answer(200, licenses),
        answer(200, licenses),
        answer(200, EMPTY_LIST),
        answer(201, USER),
        answer(200, USER),
        answer(200, USER),
        answer(200, USER),
        answer(200, USER),
    ])
    .await;
    let mut s = session(&server, AppKind::Oin).await;
    let op = s.discover_entitlements().await;
    assert!(op.error.is_none(), "{:?}", op.error);
    assert_eq!(s.grant_types.len(), 2);
    s.entitlements_test("/Licenses").await;
    s.assign_user("lea").await;
    s.grant("lea", "Role", "admin").await;
    let op = s.grant("lea", "License", "lic-1").await;
    assert!(op.error.is_none(), "{:?}", op.error);
    snap("entitlements_discovery_test_grant", server.transcript());
}

/// What `okta-sim check` sends the embedded reference app when it assigns a user with
/// enterprise and custom attributes (features/12_attributes.feature, its first scenario): the
/// same seed gives the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_against_the_embedded_app_sends_attributes_in_okta_wire_shape() {
    let outcome = okta_sim::embedded::run_embedded(okta_sim::conformance::CheckOptions {
        tags: Some("@attributes".into()),
        seed: Some(11),
        print: false,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(outcome.exit_code(), 0);
    let post = outcome
        .exchanges
        .iter()
        .find(|e| {
            e.request.method == "POST"
                && e.request
                    .body
                    .as_deref()
                    .is_some_and(|b| b.contains("E-1042"))
        })
        .expect("the assignment of ada");
    let body: serde_json::Value =
        serde_json::from_str(post.request.body.as_deref().unwrap()).unwrap();
    snap(
        "check_assign_with_attributes",
        format!(
            "{} {}\n{}",
            post.request.method,
            post.request.path,
            serde_json::to_string_pretty(&body).unwrap()
        ),
    );
}
