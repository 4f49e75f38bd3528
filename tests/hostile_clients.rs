//! The reference app and SP under attack, from outside, as a hostile client would: each case
//! reproduces a defect found by adversarial testing of `okta-sim serve`, and holds its fix.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine;
use okta_sim::ReferenceApp;
use okta_sim::app::saml_sp::SpConfig;
use okta_sim::app::server::Limits;
use okta_sim::saml::idp::{ResponseSpec, SamlApp, SamlUser};
use okta_sim::saml::keys::SigningKey;
use okta_sim::saml::xml::parse;
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

struct Sp {
    app: ReferenceApp,
    idp: SamlApp,
    key: SigningKey,
    http: reqwest::Client,
}

/// A reference app whose SP trusts the test IdP key.
async fn sp() -> Sp {
    let key = SigningKey::test_fixture();
    let app = ReferenceApp::builder()
        .saml_sp(SpConfig::trusting_okta_sim(&key))
        .start()
        .await
        .unwrap();
    let (acs, aud) = {
        let s = app.saml_sp().unwrap();
        (s.acs_url.clone(), s.entity_id.clone())
    };
    let idp =
        SamlApp::new(okta_sim::saml::idp::DEFAULT_IDP_ORG_URL, &acs, &aud).with_key_identity(&key);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Sp {
        app,
        idp,
        key,
        http,
    }
}

fn user(name: &str) -> SamlUser {
    SamlUser {
        name_id: name.into(),
        email: name.into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        groups: vec![],
        custom: vec![],
    }
}

impl Sp {
    fn acs(&self) -> String {
        self.app.saml_sp().unwrap().acs_url.clone()
    }

    async fn post_raw(&self, form_body: String) -> (u16, Value, Duration) {
        let t = Instant::now();
        let r = self
            .http
            .post(self.acs())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null);
        (status, body, t.elapsed())
    }

    async fn post_xml(&self, xml: &str) -> (u16, Value, Duration) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
        let mut f = form_urlencoded::Serializer::new(String::new());
        f.append_pair("SAMLResponse", &b64);
        self.post_raw(f.finish()).await
    }

    fn spec(&self, name: &str) -> ResponseSpec {
        ResponseSpec::for_user(&self.idp, &user(name), None)
    }

    /// The ID of a fresh AuthnRequest the SP is waiting for an answer to.
    async fn outstanding_request(&self) -> String {
        let r = self
            .http
            .get(format!(
                "{}/saml/login",
                self.app.saml_sp().unwrap().app_url
            ))
            .send()
            .await
            .unwrap();
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let q = loc.split_once('?').unwrap().1;
        let req = form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "SAMLRequest")
            .unwrap()
            .1
            .into_owned();
        let xml = okta_sim::saml::idp::decode_authn_request(&req, true).unwrap();
        okta_sim::saml::idp::parse_authn_request(&xml).unwrap().id
    }
}

/// Namespace declarations spread over nested wrappers, and many elements below them: the
/// shape that made the SP's XML parser quadratic.
fn hostile_xml(levels: usize, per_level: usize, elements: usize) -> String {
    let mut s =
        String::from("<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">");
    for l in 0..levels {
        s.push_str(&format!("<w{l}"));
        for i in 0..per_level {
            s.push_str(&format!(" xmlns:p{l}x{i}=\"u:{l}:{i}\""));
        }
        s.push('>');
    }
    for _ in 0..elements {
        s.push_str("<p0x0:e/>");
    }
    for l in (0..levels).rev() {
        s.push_str(&format!("</w{l}>"));
    }
    s.push_str("</samlp:Response>");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_megabyte_of_hostile_xml_is_answered_in_well_under_a_second() {
    let sp = sp().await;
    let big = hostile_xml(40, 250, 60_000);
    assert!(big.len() > 1024 * 1024 / 2, "{}", big.len());
    let (status, _, took) = sp.post_xml(&big).await;
    assert_eq!(status, 413);
    assert!(took < Duration::from_millis(900), "took {took:?}");
    // Just under the ACS limit: parsed (linearly) and refused as malformed.
    let small = hostile_xml(20, 240, 9_000);
    let (status, body, took) = sp.post_xml(&small).await;
    assert!(status == 400 || status == 403, "{status} {body}");
    assert!(took < Duration::from_millis(900), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_posts_in_parallel_do_not_stall_scim() {
    let sp = sp().await;
    let doc = hostile_xml(20, 240, 9_000);
    let posts: Vec<_> = (0..6).map(|_| sp.post_xml(&doc)).collect();
    let scim = async {
        let t = Instant::now();
        let r = sp
            .http
            .get(format!("{}/Users?startIndex=1&count=2", sp.app.base_url()))
            .bearer_auth(sp.app.token())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), t.elapsed())
    };
    let (results, (status, took)) = tokio::join!(futures::future::join_all(posts), scim);
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "SCIM waited {took:?}");
    assert!(results.iter().all(|(s, _, _)| *s == 400 || *s == 403));
}

#[tokio::test]
async fn in_response_to_is_compared_on_both_elements() {
    let sp = sp().await;
    let outstanding = sp.outstanding_request().await;
    // The signed assertion answers a request this SP never sent; the unsigned Response claims
    // the outstanding one.
    let mut s = sp.spec("ada@example.com");
    s.response_signed = false;
    s.in_response_to = Some(outstanding.clone());
    s.subject_in_response_to = Some("id-never-sent".into());
    let (status, body, _) = sp.post_xml(&s.to_xml(&sp.key).unwrap()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["reason"], "in-response-to");
    // Both naming the outstanding request: accepted.
    let mut s = sp.spec("ada@example.com");
    s.in_response_to = Some(outstanding.clone());
    s.subject_in_response_to = Some(outstanding);
    let (status, body, _) = sp.post_xml(&s.to_xml(&sp.key).unwrap()).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn every_audience_restriction_must_name_the_sp() {
    let sp = sp().await;
    let mut s = sp.spec("ada@example.com");
    s.more_audience_restrictions = vec!["https://other.example/sp".into()];
    let (status, body, _) = sp.post_xml(&s.to_xml(&sp.key).unwrap()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["reason"], "audience");
}

#[tokio::test]
async fn audience_and_issuer_are_compared_exactly() {
    let sp = sp().await;
    let mut s = sp.spec("a@example.com");
    s.audience = s.audience.map(|a| format!(" {a} "));
    let (status, body, _) = sp.post_xml(&s.to_xml(&sp.key).unwrap()).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("audience")),
        "{body}"
    );
    let mut s = sp.spec("b@example.com");
    s.assertion_issuer = format!("\n{}\n", s.assertion_issuer);
    let (status, body, _) = sp.post_xml(&s.to_xml(&sp.key).unwrap()).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("issuer")),
        "{body}"
    );
    let mut s = sp.spec("c@example.com");
    s.response_issuer = format!(" {}", s.response_issuer);
    let (status, body, _) = sp.post_xml(&s.to_xml(&sp.key).unwrap()).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("issuer")),
        "{body}"
    );
}

#[tokio::test]
async fn an_assertion_without_an_id_is_refused() {
    let sp = sp().await;
    let mut s = sp.spec("ada@example.com");
    s.assertion_id = String::new();
    s.assertion_signed = false;
    s.response_signed = true;
    let xml = s.to_xml(&sp.key).unwrap();
    assert!(!xml.contains("Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID="));
    let (status, body, _) = sp.post_xml(&xml).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_post_that_is_no_saml_response_is_a_bad_request() {
    let sp = sp().await;
    for form in [
        "SAMLResponse=%%%not-base64".to_string(),
        format!(
            "SAMLResponse={}",
            form_urlencoded::byte_serialize(
                base64::engine::general_purpose::STANDARD
                    .encode("not xml")
                    .as_bytes()
            )
            .collect::<String>()
        ),
        format!(
            "SAMLResponse={}",
            form_urlencoded::byte_serialize(
                base64::engine::general_purpose::STANDARD
                    .encode("<x/>")
                    .as_bytes()
            )
            .collect::<String>()
        ),
        "RelayState=x".to_string(),
    ] {
        let (status, body, _) = sp.post_raw(form.clone()).await;
        assert_eq!(status, 400, "{form}: {body}");
    }
}

async fn scim(app: &ReferenceApp, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let c = reqwest::Client::new();
    let mut rb = c
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", app.base_url()),
        )
        .bearer_auth(app.token());
    if let Some(b) = body {
        rb = rb
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn password_cannot_be_filtered() {
    let app = ReferenceApp::builder().seed_users(3).start().await.unwrap();
    let (status, body) = scim(&app, "GET", "/Users?filter=password%20sw%20%22a%22", None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidFilter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_member_list_is_handled_in_linear_time_without_blocking_others() {
    let app = ReferenceApp::builder().seed_users(1).start().await.unwrap();
    let (_, g) = scim(
        &app,
        "POST",
        "/Groups",
        Some(
            json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Big"}),
        ),
    )
    .await;
    let gid = g["id"].as_str().unwrap().to_string();
    let members: Vec<Value> = (0..50_000)
        .map(|i| json!({ "value": i.to_string() }))
        .collect();
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Big","members": members});
    assert!(body.to_string().len() < 1024 * 1024);
    let put = async {
        let t = Instant::now();
        let r = scim(&app, "PUT", &format!("/Groups/{gid}"), Some(body)).await;
        (r, t.elapsed())
    };
    let other = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let t = Instant::now();
        let r = scim(&app, "GET", "/Users?startIndex=1&count=1", None).await;
        (r.0, t.elapsed())
    };
    let (((status, err), took), (other_status, other_took)) = tokio::join!(put, other);
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["scimType"], "invalidValue");
    assert!(took < Duration::from_secs(3), "the PUT took {took:?}");
    assert_eq!(other_status, 200);
    assert!(
        other_took < Duration::from_secs(1),
        "a GET waited {other_took:?}"
    );
}

#[tokio::test]
async fn members_are_keyed_by_id_and_their_type_is_checked() {
    let app = ReferenceApp::builder().seed_users(2).start().await.unwrap();
    let (_, users) = scim(&app, "GET", "/Users", None).await;
    let a = users["Resources"][0]["id"].as_str().unwrap().to_string();
    let a_name = users["Resources"][0]["userName"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, g) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value": a, "display": "old name"}]})),
    )
    .await;
    let path = format!("/Groups/{}", g["id"].as_str().unwrap());
    // Okta re-pushes membership after the user's userName changed: another display, and
    // another spelling of the type, for the same id.
    let add = |m: Value| json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[m]}]});
    let (status, _) = scim(
        &app,
        "PATCH",
        &path,
        Some(add(json!({"value": a, "display": "new name"}))),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = scim(
        &app,
        "PATCH",
        &path,
        Some(add(json!({"value": a, "type": "user"}))),
    )
    .await;
    assert_eq!(status, 200);
    let (_, g) = scim(&app, "GET", &path, None).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 1, "{g}");
    assert_eq!(
        g["members"][0]["display"],
        json!(a_name),
        "display is the current userName"
    );
    let (status, body) = scim(
        &app,
        "PATCH",
        &path,
        Some(add(json!({"value": a, "type": "Group"}))),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidValue");
}

#[tokio::test]
async fn at_most_one_value_is_primary() {
    let app = ReferenceApp::start().await.unwrap();
    let (status, body) = scim(
        &app,
        "POST",
        "/Users",
        Some(
            json!({"schemas":[USER],"userName":"p@example.com","emails":[
            {"value":"p@example.com","primary":true},{"value":"q@example.com","primary":true}]}),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidValue");
    let (_, u) = scim(
        &app,
        "POST",
        "/Users",
        Some(json!({"schemas":[USER],"userName":"p@example.com","emails":[{"value":"p@example.com","primary":true}]})),
    )
    .await;
    // RFC 7644 §3.5.2: a PATCH that makes a value primary makes the others not primary.
    let (status, u) = scim(
        &app,
        "PATCH",
        &format!("/Users/{}", u["id"].as_str().unwrap()),
        Some(
            json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
            {"op":"add","path":"emails","value":[{"value":"new@example.com","primary":true}]}]}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{u}");
    let primaries: Vec<&Value> = u["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == json!(true))
        .collect();
    assert_eq!(primaries.len(), 1, "{u}");
    assert_eq!(primaries[0]["value"], "new@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_do_not_starve_normal_ones() {
    let app = ReferenceApp::builder()
        .limits(Limits {
            max_connections: 200,
            header_read_timeout: Duration::from_secs(1),
            ..Limits::default()
        })
        .start()
        .await
        .unwrap();
    let addr = app.addr();
    // Far more half-sent requests than the server serves at once.
    let mut idle = Vec::new();
    for _ in 0..1500 {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        idle.push(s);
    }
    let t = Instant::now();
    let (status, _) = scim(&app, "GET", "/Users", None).await;
    assert_eq!(status, 200);
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "took {:?}",
        t.elapsed()
    );
    drop(idle);
}

#[test]
fn an_oversized_body_gets_its_413_not_a_broken_pipe() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(ReferenceApp::start()).unwrap();
    let body = vec![b' '; 2 * 1024 * 1024];
    for _ in 0..10 {
        let mut s = TcpStream::connect(app.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
            app.token(),
            body.len()
        )
        .unwrap();
        s.write_all(&body).expect("the whole body is taken in");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(
            answer.contains("urn:ietf:params:scim:api:messages:2.0:Error"),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn an_id_that_is_not_utf8_is_a_scim_404() {
    let app = ReferenceApp::start().await.unwrap();
    let r = reqwest::Client::new()
        .get(format!("{}/Users/%FF%FE", app.base_url()))
        .bearer_auth(app.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json")
    );
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], "404");
    assert!(parse("<ok/>").is_ok());
}
