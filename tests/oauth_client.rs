//! The simulated Okta's OAuth connection against a server it cannot trust to behave: a token
//! that the app stops accepting is refreshed once after the 401 and the request sent again; a
//! refresh the token endpoint refuses leaves the 401 as the answer, with no loop.

use std::sync::Arc;
use std::time::Duration;

use okta_sim::okta::log::ExchangeLog;
use okta_sim::okta::oauth::{OAuthClient, OAuthConnection, OAuthTransport, Tokens};
use okta_sim::okta::redact::Redactor;
use okta_sim::okta::{Auth, RetryPolicy, WireClient};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn connection(server: &MockServer) -> (WireClient, Arc<OAuthConnection>, Arc<ExchangeLog>) {
    let log = Arc::new(ExchangeLog::new(Redactor::none()));
    let limits = Arc::new(okta_sim::okta::limits::RunLimits::new(
        Duration::from_secs(30),
        Redactor::none(),
    ));
    let transport =
        OAuthTransport::new(log.clone(), limits.clone(), Duration::from_secs(5)).unwrap();
    let client = OAuthClient {
        authorize_url: format!("{}/oauth/authorize", server.uri()),
        token_url: format!("{}/oauth/token", server.uri()),
        client_id: "cid".into(),
        client_secret: "secret-for-the-test".into(),
        scope: String::new(),
        redirect_uri: okta_sim::okta::oauth::callback_url("acme"),
    };
    let conn = Arc::new(OAuthConnection::new(
        client,
        transport,
        Tokens {
            access: "at-one".into(),
            refresh: Some("rt-one".into()),
            expires_at: None,
        },
    ));
    let wire = WireClient::new(
        &format!("{}/scim/v2", server.uri()),
        Auth::Bearer(String::new()),
        Duration::from_secs(5),
        RetryPolicy::default(),
        log.clone(),
    )
    .unwrap()
    .with_limits(limits)
    .with_oauth(conn.clone());
    (wire, conn, log)
}

#[tokio::test]
async fn a_401_is_answered_by_one_refresh_and_one_retry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(header("Authorization", "Bearer at-one"))
        .respond_with(ResponseTemplate::new(401).set_body_string("{}"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(header("Authorization", "Bearer at-two"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"Resources":[]}"#))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=rt-one"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"access_token":"at-two","token_type":"Bearer","refresh_token":"rt-two"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (wire, conn, log) = connection(&server).await;
    let ex = wire
        .send("import", wire.request("GET", "/Users", &[], None))
        .await;
    assert_eq!(ex.status(), Some(200), "{}", ex.got());
    assert_eq!(conn.refreshes(), 1);
    let labels: Vec<String> = log.exchanges().iter().map(|e| e.label.clone()).collect();
    assert_eq!(labels, ["import", "OAuth refresh", "import"], "{labels:?}");
}

#[tokio::test]
async fn a_refused_refresh_leaves_the_401_without_a_loop() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(401).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"error":"invalid_grant"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let (wire, conn, _) = connection(&server).await;
    let ex = wire
        .send("import", wire.request("GET", "/Users", &[], None))
        .await;
    assert_eq!(ex.status(), Some(401));
    assert_eq!(conn.refreshes(), 0);
}
