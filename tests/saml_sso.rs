//! Single sign-on end to end: the simulated Okta IdP served over HTTP and the reference SP, with
//! SP- and IdP-initiated logins through real redirects and forms; the reference SP refusing the
//! whole catalogue; and a deliberately naive SP (trusts KeyInfo, reads the first assertion,
//! checks nothing else) caught by the cases aimed at it, with the identity it let in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use okta_sim::ReferenceApp;
use okta_sim::app::saml_sp::SpConfig;
use okta_sim::conformance::check::Grade;
use okta_sim::conformance::{CheckOptions, RunOutcome, SpTarget, Target, run};
use okta_sim::saml::dsig::{AlgPolicy, verify};
use okta_sim::saml::idp::{SamlApp, SamlUser, entity_key_for};
use okta_sim::saml::keys::{SigningKey, cert_der_from_text, public_key_of};
use okta_sim::saml::xml::{NS_DS, NS_SAML, parse};

fn form_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&amp;", "&"),
    )
}

fn form_action(html: &str) -> Option<String> {
    let start = html.find("action=\"")? + 8;
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

async fn post_form(
    http: &reqwest::Client,
    url: String,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let mut f = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    http.post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(f.finish())
        .send()
        .await
        .unwrap()
}

async fn json(resp: reqwest::Response) -> serde_json::Value {
    serde_json::from_str(&resp.text().await.unwrap()).unwrap()
}

fn cookie(resp: &reqwest::Response) -> String {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(String::from))
        .collect::<Vec<_>>()
        .join("; ")
}

struct Setup {
    app: ReferenceApp,
    idp_url: String,
    idp: SamlApp,
    http: reqwest::Client,
}

/// The reference app's SP trusting the okta-sim IdP served on its own port.
async fn setup() -> Setup {
    let key = SigningKey::test_fixture();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let idp_url = format!("http://{}", listener.local_addr().unwrap());
    let template = SamlApp::new(&idp_url, "", "").with_key_identity(&key);
    let app = ReferenceApp::builder()
        .saml_sp(SpConfig::trusting(
            &template.issuer(),
            key.cert_der.clone(),
            &template.sso_url(),
        ))
        .start()
        .await
        .unwrap();
    let sp = app.saml_sp().unwrap();
    let (acs, audience) = (sp.acs_url.clone(), sp.entity_id.clone());
    let user = SamlUser {
        name_id: "ada.lovelace@example.com".into(),
        email: "ada.lovelace@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        groups: vec!["Engineering".into(), "Everyone".into()],
        custom: vec![],
    };
    let key2 = key.clone();
    let idp = SamlApp::new(&idp_url, &acs, &audience).with_key_identity(&key);
    tokio::spawn(async move {
        let make = move |org: &str| {
            let mut a = SamlApp::new(org, &acs, &audience).with_key_identity(&key2);
            a.default_relay_state = Some("/dashboard".into());
            a
        };
        let _ = okta_sim::saml::idp_http::serve_on(
            listener,
            make,
            key,
            user,
            std::future::pending(),
            |_| {},
        )
        .await;
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Setup {
        app,
        idp_url,
        idp,
        http,
    }
}

#[tokio::test]
async fn sp_initiated_login_through_real_redirects_and_forms() {
    let s = setup().await;
    let app_url = s.app.saml_sp().unwrap().app_url.clone();
    // The SP starts: 302 to the IdP with a DEFLATEd AuthnRequest.
    let start = s
        .http
        .get(format!("{app_url}/saml/login?RelayState=%2Freports"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    let location = start.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&s.idp.sso_url()), "{location}");
    assert!(location.contains("SAMLRequest=") && location.contains("RelayState=%2Freports"));
    // The IdP answers with the auto-posting form.
    let page = s.http.get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(
        form_action(&html).unwrap(),
        s.app.saml_sp().unwrap().acs_url
    );
    assert_eq!(form_field(&html, "RelayState").as_deref(), Some("/reports"));
    let response_b64 = form_field(&html, "SAMLResponse").unwrap();
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&response_b64)
            .unwrap(),
    )
    .unwrap();
    assert!(
        xml.contains("InResponseTo=\"_"),
        "SP-initiated responses carry InResponseTo"
    );
    // The browser posts it; the SP signs the user in.
    let acs = post_form(
        &s.http,
        form_action(&html).unwrap(),
        &[
            ("SAMLResponse", response_b64.as_str()),
            ("RelayState", "/reports"),
        ],
    )
    .await;
    assert_eq!(acs.status(), 200);
    let c = cookie(&acs);
    let who = json(
        s.http
            .get(format!("{app_url}/saml/whoami"))
            .header("cookie", c)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(who["nameId"], "ada.lovelace@example.com");
    assert_eq!(who["name"], "Ada Lovelace");
    assert_eq!(
        who["groups"],
        serde_json::json!(["Engineering", "Everyone"])
    );
    // JIT put the user in the store SCIM serves.
    let user = s
        .app
        .store()
        .find_user_by_name("ADA.LOVELACE@example.com")
        .unwrap();
    assert_eq!(user.body["name"]["givenName"], "Ada");
    assert_eq!(who["userId"], user.id.as_str());
    // The same AuthnRequest cannot be answered twice: replaying the page's form is refused.
    let again = post_form(
        &s.http,
        s.app.saml_sp().unwrap().acs_url.clone(),
        &[("SAMLResponse", response_b64.as_str())],
    )
    .await;
    assert_eq!(again.status(), 403);
    // Without a session, whoami says so.
    assert_eq!(
        s.http
            .get(format!("{app_url}/saml/whoami"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn idp_initiated_launch_and_metadata() {
    let s = setup().await;
    let md = s
        .http
        .get(s.idp.metadata_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let md = okta_sim::saml::metadata::IdpMetadata::parse(&md).unwrap();
    assert_eq!(md.entity_id, s.idp.issuer());
    assert_eq!(md.signing_cert_der, SigningKey::test_fixture().cert_der);
    assert_eq!(md.sso_url, s.idp.sso_url());
    assert!(
        s.idp
            .issuer()
            .ends_with(&entity_key_for(&md.signing_cert_der))
    );
    let html = s
        .http
        .get(s.idp.sso_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        form_field(&html, "RelayState").as_deref(),
        Some("/dashboard")
    );
    let b64 = form_field(&html, "SAMLResponse").unwrap();
    let acs = post_form(
        &s.http,
        form_action(&html).unwrap(),
        &[("SAMLResponse", b64.as_str())],
    )
    .await;
    assert_eq!(acs.status(), 200);
    let body = json(acs).await;
    assert_eq!(body["status"], "accepted");
    // The SP's own metadata names its ACS.
    let sp_md = s
        .http
        .get(format!(
            "{}/saml/metadata",
            s.app.saml_sp().unwrap().app_url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sp_md.contains(&s.app.saml_sp().unwrap().acs_url), "{sp_md}");
    // A request for another ACS is refused by the IdP, as Okta refuses ACS URLs it was not given.
    let req = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" AssertionConsumerServiceURL="https://evil.example/acs"/>"#;
    let url = format!(
        "{}?SAMLRequest={}",
        s.idp.sso_url(),
        form_urlencoded::byte_serialize(okta_sim::saml::idp::deflate_base64(req).as_bytes())
            .collect::<String>()
    );
    let refused = s.http.get(url).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("does not allow"));
    // The HTTP-POST binding: a plain base64 AuthnRequest in a form.
    let ok_req = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_post1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" AssertionConsumerServiceURL="{}"/>"#,
        s.app.saml_sp().unwrap().acs_url
    );
    let posted = post_form(
        &s.http,
        s.idp.sso_url(),
        &[
            ("SAMLRequest", &okta_sim::saml::idp::base64_encode(&ok_req)),
            ("RelayState", "/p"),
        ],
    )
    .await;
    assert_eq!(posted.status(), 200);
    let html = posted.text().await.unwrap();
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(form_field(&html, "SAMLResponse").unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(xml.contains("InResponseTo=\"_post1\""), "{xml}");
    assert_eq!(form_field(&html, "RelayState").as_deref(), Some("/p"));
    // Garbage requests are refused with 400, not a crash.
    let garbage = s
        .http
        .get(format!("{}?SAMLRequest=%%%%", s.idp.sso_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    assert!(s.idp_url.starts_with("http://127.0.0.1:"));
}

#[tokio::test]
async fn the_acs_never_fails_with_5xx_on_garbage() {
    let s = setup().await;
    let acs = s.app.saml_sp().unwrap().acs_url.clone();
    for body in [
        "".to_string(),
        "SAMLResponse=%%%".to_string(),
        "SAMLResponse=bm90IHhtbA==".to_string(),
        format!(
            "SAMLResponse={}",
            base64::engine::general_purpose::STANDARD.encode("<a><b></a>")
        ),
        format!(
            "SAMLResponse={}",
            base64::engine::general_purpose::STANDARD
                .encode("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>")
        ),
        format!(
            "SAMLResponse={}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}{}",
                "<x>".repeat(200),
                "</x>".repeat(200)
            ))
        ),
        "SAMLResponse=".to_string() + &"A".repeat(3 * 1024 * 1024),
    ] {
        let r = s
            .http
            .post(&acs)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
}

/// A deliberately naive SP: verifies the first signature it finds with the certificate in its
/// KeyInfo, then signs in the first Assertion's NameID. No time, audience or replay checks.
async fn naive_sp() -> (String, String) {
    type Sessions = Arc<Mutex<HashMap<String, String>>>;
    async fn acs(State(sessions): State<Sessions>, body: Body) -> Response {
        let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
            .await
            .unwrap_or_default();
        let form: HashMap<String, String> = form_urlencoded::parse(&bytes).into_owned().collect();
        let Some(b64) = form.get("SAMLResponse") else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        let Ok(doc) = parse(&String::from_utf8_lossy(&raw)) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        if let Some(sig_path) = doc.find_all(NS_DS, "Signature").into_iter().next() {
            let sig = doc.at(&sig_path).unwrap();
            let Some(cert) = sig
                .child(NS_DS, "KeyInfo")
                .and_then(|k| k.child(NS_DS, "X509Data"))
                .and_then(|x| x.child(NS_DS, "X509Certificate"))
            else {
                return StatusCode::FORBIDDEN.into_response();
            };
            let key = public_key_of(&cert_der_from_text(&cert.text()).unwrap()).unwrap();
            if verify(&doc, &sig_path, &key, AlgPolicy { allow_sha1: true }).is_err() {
                return StatusCode::FORBIDDEN.into_response();
            }
        }
        let Some(first) = doc.find_all(NS_SAML, "Assertion").into_iter().next() else {
            return StatusCode::FORBIDDEN.into_response();
        };
        let name = doc
            .at(&first)
            .and_then(|a| a.child(NS_SAML, "Subject"))
            .and_then(|s| s.child(NS_SAML, "NameID"))
            .map(|n| n.text())
            .unwrap_or_default();
        let sid = uuid::Uuid::new_v4().to_string();
        sessions.lock().unwrap().insert(sid.clone(), name);
        (
            [(header::SET_COOKIE, format!("naive={sid}; Path=/"))],
            "welcome",
        )
            .into_response()
    }
    async fn whoami(State(sessions): State<Sessions>, headers: HeaderMap) -> Response {
        let sid = headers
            .get("cookie")
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.strip_prefix("naive="))
            .unwrap_or_default()
            .to_string();
        match sessions.lock().unwrap().get(&sid) {
            Some(name) => (
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({"user": name}).to_string(),
            )
                .into_response(),
            None => StatusCode::UNAUTHORIZED.into_response(),
        }
    }
    let sessions: Sessions = Arc::default();
    let router = Router::new()
        .route("/acs", post(acs))
        .route("/whoami", get(whoami))
        .with_state(sessions);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("{base}/acs"), format!("{base}/whoami"))
}

async fn run_against(acs: &str, whoami: &str, tags: &str) -> RunOutcome {
    run(CheckOptions {
        target: Target::None,
        sp: Some(SpTarget {
            acs_url: acs.into(),
            audience: "https://naive.example/sp".into(),
            whoami_url: Some(whoami.into()),
            login_url: None,
            post_to: None,
            test_url: None,
        }),
        idp_key: Some(SigningKey::test_fixture()),
        tags: Some(tags.into()),
        seed: Some(5),
        print: false,
        ..CheckOptions::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_naive_sp_is_caught_by_the_cases_aimed_at_it_with_the_identity_it_let_in() {
    let (acs, whoami) = naive_sp().await;
    let o = run_against(&acs, &whoami, "@saml").await;
    let failed: HashMap<String, (Grade, String)> = o
        .results
        .iter()
        .flat_map(|r| &r.checks)
        .filter(|c| !c.passed)
        .map(|c| (c.id.clone(), (c.grade, c.diff.clone().unwrap_or_default())))
        .collect();
    for id in [
        "sso.attack.wrong-certificate",
        "sso.attack.xsw3",
        "sso.attack.xsw7",
        "sso.attack.two-assertions",
        "sso.attack.expired",
        "sso.attack.not-yet-valid",
        "sso.attack.wrong-audience",
        "sso.attack.wrong-destination",
        "sso.attack.wrong-recipient",
        "sso.attack.wrong-issuer",
        "sso.attack.non-success-status",
        "sso.attack.in-response-to-mismatch",
        "sso.replay.refused",
    ] {
        let (grade, diff) = failed.get(id).unwrap_or_else(|| {
            panic!(
                "{id} should fail against the naive SP; failures: {:?}",
                failed.keys()
            )
        });
        assert_eq!(*grade, Grade::RfcMust, "{id}");
        assert!(
            diff.contains("accepted") && diff.contains("logged in as"),
            "{id}: {diff}"
        );
    }
    // The identity outcome names the victim for the wrapping attacks.
    assert!(
        failed["sso.attack.xsw3"].1.contains("<- the victim"),
        "{}",
        failed["sso.attack.xsw3"].1
    );
    // SHA-1 acceptance is a warning by default.
    assert_eq!(failed["sso.attack.sha1"].0, Grade::RfcShould);
    // Its valid logins still pass.
    assert!(
        o.results
            .iter()
            .any(|r| r.scenario == "Signing in from the Okta dashboard"
                && matches!(r.outcome, okta_sim::conformance::report::Outcome::Passed))
    );
    assert_eq!(o.exit_code(), 1);
    // Scenarios that need a SCIM target or an SP login URL are skipped, with the reason.
    let skipped: Vec<&str> = o
        .results
        .iter()
        .filter_map(|r| match &r.outcome {
            okta_sim::conformance::report::Outcome::Skipped { reason } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        skipped.iter().any(|r| r.contains("--target"))
            && skipped.iter().any(|r| r.contains("--sp-login")),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn the_reference_sp_refuses_every_case_and_accepts_every_valid_login() {
    let o = okta_sim::embedded::run_embedded(CheckOptions {
        tags: Some("@saml".into()),
        seed: Some(6),
        print: false,
        ..CheckOptions::default()
    })
    .await
    .unwrap();
    assert_eq!(
        o.summary.failed,
        0,
        "{}",
        o.results
            .iter()
            .map(|r| r.render())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(o.summary.warnings, 0);
    assert!(o.summary.passed >= 32);
    // Every attack has a recorded identity outcome.
    for r in o
        .results
        .iter()
        .filter(|r| r.feature == "The SP attack catalogue")
    {
        let note = r.note.as_deref().unwrap_or_default();
        assert!(
            note.starts_with("refused") || note.contains("logged in as"),
            "{}: {note}",
            r.scenario
        );
    }
}

/// The SP maps the attribute statements its profile names onto the user it provisions: a
/// single `name` (first + " " + last), an enterprise attribute, and the reference extension's
/// role and multi-valued skills; SSO and SCIM then agree on one user.
#[tokio::test]
async fn attribute_statements_map_onto_the_scim_user() {
    let s = setup().await;
    let user = SamlUser {
        name_id: "nat.oma@example.com".into(),
        email: "nat.oma@example.com".into(),
        first_name: String::new(),
        last_name: String::new(),
        groups: vec![],
        custom: vec![],
    };
    let mut spec = okta_sim::saml::idp::ResponseSpec::for_user(&s.idp, &user, None);
    let fmt = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic".to_string();
    let attr = |n: &str, v: &[&str]| {
        (
            n.to_string(),
            fmt.clone(),
            v.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        )
    };
    spec.attributes = vec![
        attr("name", &["Nat Oma"]),
        attr("email", &["nat.oma@example.com"]),
        attr("department", &["Research"]),
        attr("role", &["admin"]),
        attr("skills", &["rust", "saml"]),
        attr("unmapped", &["ignored"]),
    ];
    let key = SigningKey::test_fixture();
    let assertion = spec.signed_assertion(&key).unwrap();
    let xml = spec.response_around(&assertion, &key).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
    let acs = s.app.saml_sp().unwrap().acs_url.clone();
    let resp = post_form(&s.http, acs, &[("SAMLResponse", b64.as_str())]).await;
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    assert_eq!(body["status"], "accepted", "{body}");
    let rec = s
        .app
        .store()
        .find_user_by_name("nat.oma@example.com")
        .unwrap();
    let u = serde_json::Value::Object(rec.body);
    assert_eq!(u["displayName"], "Nat Oma");
    assert_eq!(u["name"]["givenName"], "Nat");
    assert_eq!(u["name"]["familyName"], "Oma");
    assert_eq!(u["name"]["formatted"], "Nat Oma");
    assert_eq!(u["emails"][0]["value"], "nat.oma@example.com");
    assert_eq!(
        u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Research"
    );
    let ext = &u["urn:ietf:params:scim:schemas:extension:oktasim:2.0:User"];
    assert_eq!(ext["role"], "admin");
    assert_eq!(ext["skills"], serde_json::json!(["rust", "saml"]));
    assert!(!u.to_string().contains("ignored"));
}
