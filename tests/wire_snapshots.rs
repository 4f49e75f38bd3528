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
