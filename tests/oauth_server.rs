//! The reference app's OAuth 2.0 authorization server (an app connected with "Authenticate
//! with {App}", Attio's profile): the code flow, refresh-token rotation, client authentication
//! both ways, every refusal RFC 6749 names, and the SCIM API accepting only live tokens.

mod common;

use base64::Engine;
use okta_sim::ReferenceApp;
use okta_sim::app::AppProfile;
use okta_sim::integration::IntegrationProfile;
use serde_json::Value;

const CALLBACK: &str = "https://system-admin.okta.com/admin/app/cpc/attio/oauth/callback";

async fn attio() -> (ReferenceApp, String, reqwest::Client) {
    let p = IntegrationProfile::load("attio").unwrap();
    let app = ReferenceApp::builder()
        .profile(AppProfile::from_integration(&p))
        .token("static-token-1234")
        .start()
        .await
        .unwrap();
    let origin = format!("http://{}", app.addr());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (app, origin, http)
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

async fn authorize(
    http: &reqwest::Client,
    origin: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    http.get(format!("{origin}/oauth/authorize?{}", query(pairs)))
        .send()
        .await
        .unwrap()
}

async fn token(http: &reqwest::Client, origin: &str, pairs: &[(&str, &str)]) -> (u16, Value) {
    let r = http
        .post(format!("{origin}/oauth/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(query(pairs))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or_default(),
    )
}

fn param(location: &str, key: &str) -> Option<String> {
    let q = location.split_once('?')?.1;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

const ID: &str = "okta-attio-integration";
const SECRET: &str = "attio-client-secret-for-okta-sim";

async fn code(http: &reqwest::Client, origin: &str) -> String {
    let r = authorize(
        http,
        origin,
        &[
            ("response_type", "code"),
            ("client_id", ID),
            ("redirect_uri", CALLBACK),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(CALLBACK), "{loc}");
    assert_eq!(param(&loc, "state").as_deref(), Some("s1"));
    param(&loc, "code").expect("a code")
}

#[tokio::test]
async fn the_code_flow_issues_tokens_the_scim_api_accepts_and_refresh_rotates() {
    let (app, origin, http) = attio().await;
    let c = code(&http, &origin).await;
    // A wrong secret is invalid_client; the code is still good afterwards.
    let (s, b) = token(
        &http,
        &origin,
        &[
            ("grant_type", "authorization_code"),
            ("code", &c),
            ("client_id", ID),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    let (s, b) = token(
        &http,
        &origin,
        &[
            ("grant_type", "authorization_code"),
            ("code", &c),
            ("redirect_uri", CALLBACK),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3600);
    let access = b["access_token"].as_str().unwrap().to_string();
    let refresh = b["refresh_token"].as_str().unwrap().to_string();
    // The code is used once.
    let (s, b) = token(
        &http,
        &origin,
        &[
            ("grant_type", "authorization_code"),
            ("code", &c),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
    // The SCIM API takes the access token, and a made-up one is 401.
    let scim = common::Client::new(app.base_url(), &access);
    assert_eq!(scim.get("/Users").await.status, 200);
    let forged = common::Client::new(app.base_url(), "at_00000000000000000000000000000000");
    assert_eq!(forged.get("/Users").await.status, 401);
    // Refresh with client_secret_basic: a new access token; the refresh token is rotated.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ID}:{SECRET}"));
    let r = http
        .post(format!("{origin}/oauth/token"))
        .header("Authorization", format!("Basic {basic}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(query(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let b: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let fresh = b["access_token"].as_str().unwrap();
    assert_ne!(fresh, access);
    assert_eq!(
        common::Client::new(app.base_url(), fresh)
            .get("/Users")
            .await
            .status,
        200
    );
    let (s, b) = token(
        &http,
        &origin,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
    let (s, b) = token(
        &http,
        &origin,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_and_bad_redirects_without_redirecting() {
    let (_app, origin, http) = attio().await;
    let r = authorize(
        &http,
        &origin,
        &[
            ("response_type", "code"),
            ("client_id", "someone"),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.headers().get("location").is_none());
    let r = authorize(
        &http,
        &origin,
        &[
            ("response_type", "code"),
            ("client_id", ID),
            ("redirect_uri", "javascript:alert(1)"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 400);
    // Another response type goes back to the client with the error.
    let r = authorize(
        &http,
        &origin,
        &[
            ("response_type", "token"),
            ("client_id", ID),
            ("redirect_uri", CALLBACK),
            ("state", "x"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 302);
    let loc = r.headers()["location"].to_str().unwrap();
    assert_eq!(
        param(loc, "error").as_deref(),
        Some("unsupported_response_type")
    );
    // A huge query and a huge token form are refused, not read.
    let long = "x".repeat(20_000);
    let r = authorize(&http, &origin, &[("client_id", &long)]).await;
    assert_eq!(r.status().as_u16(), 400);
    let r = http
        .post(format!("{origin}/oauth/token"))
        .body("a=".to_string() + &"b".repeat(100_000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // A redirect_uri that differs from the authorize request's is invalid_grant.
    let c = code(&http, &origin).await;
    let (s, b) = token(
        &http,
        &origin,
        &[
            ("grant_type", "authorization_code"),
            ("code", &c),
            ("redirect_uri", "https://evil.example/cb"),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn schemas_say_what_the_app_enforces() {
    // Atlan: userName and emails immutable; Atomation: roles computed, readOnly.
    for (name, attr, mutability) in [
        ("atlan", "userName", "immutable"),
        ("atlan", "emails", "immutable"),
        ("atomation", "roles", "readOnly"),
        ("workato", "entitlements", "readOnly"),
    ] {
        let p = IntegrationProfile::load(name).unwrap();
        let app = ReferenceApp::builder()
            .profile(AppProfile::from_integration(&p))
            .token("tok12345678")
            .start()
            .await
            .unwrap();
        let c = common::Client::new(app.base_url(), "tok12345678");
        let doc = c
            .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
            .await
            .json();
        let a = doc["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == attr)
            .unwrap_or_else(|| panic!("{name}: no {attr}"));
        assert_eq!(a["mutability"], mutability, "{name} {attr}");
    }
}
