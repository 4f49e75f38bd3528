//! `okta-sim serve` as a real process, driven the way Okta drives an app: the Test API
//! Credentials probe (okta-scim-wire §1), Okta's published SPEC test (§10.1) with its exact
//! requests, headers and assertions, and an import paging walk of 250 users (§2).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::Answer;
use serde_json::{Value, json};

struct Served {
    _process: common::Running,
    base: String,
    token: String,
}

fn serve(args: &[&str]) -> Served {
    let mut all = vec!["serve", "--addr", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let process = common::spawn_okta_sim(&all, &[]);
    let (base, token) = (process.field("SCIM base URL"), process.field("token"));
    assert!(base.starts_with("http://127.0.0.1:"), "no base URL printed");
    assert_eq!(token.len(), 40, "a generated token is printed");
    Served {
        _process: process,
        base,
        token,
    }
}

async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    Answer {
        status,
        headers,
        text,
    }
}

fn enc(filter: &str) -> String {
    form_urlencoded::byte_serialize(filter.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn not_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

#[tokio::test]
async fn okta_scim_20_spec_test_passes_against_serve_with_one_seeded_user() {
    let s = serve(&["--seed-users", "1"]);
    let auth = format!("Bearer {}", s.token);
    // The SPEC test's GET headers (okta-scim-wire §10.1).
    let get_headers = [
        ("Accept-Charset", "utf-8"),
        ("Content-Type", "application/scim+json; charset=utf-8"),
        ("Accept", "application/scim+json"),
        ("Authorization", auth.as_str()),
        ("User-Agent", "OKTA SCIM Integration"),
    ];
    // Its POSTs send only these three.
    let post_headers = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
        ("Accept", "application/scim+json; charset=utf-8"),
    ];
    let given = "Runscope123";
    let family = "Abcdefgh456";
    let email = format!("{given}{family}@atko.com");
    let caps = email.to_uppercase();

    // Step 0: Test Users endpoint.
    let a = send(
        "GET",
        &format!("{}/Users?count=1&startIndex=1", s.base),
        &get_headers,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert!(not_empty(&v["Resources"]));
    assert!(v["schemas"].as_array().unwrap().iter().any(|x| x == LIST));
    assert!(
        v["itemsPerPage"].is_number()
            && v["startIndex"].is_number()
            && v["totalResults"].is_number()
    );
    let r0 = &v["Resources"][0];
    for field in [
        &r0["id"],
        &r0["name"]["familyName"],
        &r0["name"]["givenName"],
        &r0["userName"],
        &r0["active"],
        &r0["emails"][0]["value"],
    ] {
        assert!(not_empty(field), "step 0: {r0}");
    }
    let isv_user_id = r0["id"].as_str().unwrap().to_string();

    // Step 2: Get Users/{{id}}.
    let a = send(
        "GET",
        &format!("{}/Users/{isv_user_id}", s.base),
        &get_headers,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["id"], isv_user_id.as_str());
    for field in [
        &v["name"]["familyName"],
        &v["name"]["givenName"],
        &v["userName"],
        &v["active"],
        &v["emails"][0]["value"],
    ] {
        assert!(not_empty(field));
    }

    // Step 4: invalid user by username.
    let a = send(
        "GET",
        &format!(
            "{}/Users?filter={}",
            s.base,
            enc(r#"userName eq "abcdefgh@atko.com""#)
        ),
        &get_headers,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(
        a.json()["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == LIST)
    );
    assert_eq!(a.json()["totalResults"].to_string(), "0");

    // Step 6: invalid user by id.
    let a = send(
        "GET",
        &format!("{}/Users/010101001010101011001010101011", s.base),
        &get_headers,
        None,
    )
    .await;
    assert_eq!(a.status, 404);
    assert!(not_empty(&a.json()["detail"]));
    assert!(
        a.json()["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == ERROR)
    );

    // Step 8: make sure the random user does not exist.
    let a = send(
        "GET",
        &format!(
            "{}/Users?filter={}",
            s.base,
            enc(&format!(r#"userName eq "{email}""#))
        ),
        &get_headers,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["totalResults"], 0);

    // Step 10: create the user with realistic values.
    let create = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":email,
        "name":{"givenName":given,"familyName":family},"emails":[{"primary":true,"value":email,"type":"work"}],
        "displayName":format!("{given} {family}"),"active":true});
    let a = send(
        "POST",
        &format!("{}/Users", s.base),
        &post_headers,
        Some(&create.to_string()),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let v = a.json();
    assert_eq!(v["active"].to_string(), "true");
    assert!(not_empty(&v["id"]));
    assert_eq!(v["name"]["familyName"], family);
    assert_eq!(v["name"]["givenName"], given);
    assert!(
        v["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "urn:ietf:params:scim:schemas:core:2.0:User")
    );
    assert_eq!(v["userName"], email.as_str());
    let id_user_one = v["id"].as_str().unwrap().to_string();

    // Step 12: verify the user was created.
    let a = send(
        "GET",
        &format!("{}/Users/{id_user_one}", s.base),
        &get_headers,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["userName"], email.as_str());
    assert_eq!(a.json()["name"]["familyName"], family);
    assert_eq!(a.json()["name"]["givenName"], given);

    // Step 14: recreating the same user is 409.
    let mut again = create.clone();
    again["emails"][0]["value"] = json!(email);
    let a = send(
        "POST",
        &format!("{}/Users", s.base),
        &post_headers,
        Some(&again.to_string()),
    )
    .await;
    assert_eq!(a.status, 409);

    // Step 16: userName case sensitivity: 200 (we find the user: userName is caseExact false).
    let a = send(
        "GET",
        &format!(
            "{}/Users?filter={}",
            s.base,
            enc(&format!(r#"userName eq "{caps}""#))
        ),
        &get_headers,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["totalResults"], 1);

    // Step 18: Groups endpoint with no paging parameters.
    let a = send("GET", &format!("{}/Groups", s.base), &get_headers, None).await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert!(v["totalResults"] == 0 || v["Resources"].is_array());

    // Step 20: status 401 with "Authorization: non-token".
    let mut bad = get_headers;
    bad[3] = ("Authorization", "non-token");
    let a = send(
        "GET",
        &format!(
            "{}/Users?filter={}",
            s.base,
            enc(&format!(r#"userName eq "{caps}""#))
        ),
        &bad,
        None,
    )
    .await;
    assert_eq!(a.status, 401);
    assert!(not_empty(&a.json()["detail"]));
    assert_eq!(a.json()["status"], "401");
    assert!(
        a.json()["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == ERROR)
    );

    // Step 22: status 404.
    let a = send(
        "GET",
        &format!("{}/Users/00919288221112222", s.base),
        &get_headers,
        None,
    )
    .await;
    assert_eq!(a.status, 404);
    assert!(not_empty(&a.json()["detail"]));
    assert_eq!(a.json()["status"], "404");
    assert!(
        a.json()["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == ERROR)
    );
}

/// Okta's production envelope (okta-scim-wire §8.1) for a GET.
fn okta_get_headers(auth: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Accept", "application/scim+json".into()),
        ("Accept-Charset", "utf-8".into()),
        ("User-Agent", "Okta SCIM Client 1.0.0".into()),
        ("Authorization", auth.into()),
        ("Accept-Encoding", "gzip,deflate".into()),
    ]
}

#[tokio::test]
async fn test_api_credentials_probe_and_a_250_user_import_walk() {
    let s = serve(&["--seed-users", "250", "--base-path", "/api/service/scim"]);
    assert!(s.base.ends_with("/api/service/scim"));
    let auth = format!("Bearer {}", s.token);
    let h = okta_get_headers(&auth);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // Test API Credentials: Users probe with count=2, then Groups probe.
    let a = send(
        "GET",
        &format!("{}/Users?startIndex=1&count=2", s.base),
        &h,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["itemsPerPage"], 2);
    assert_eq!(v["totalResults"], 250);
    let a = send(
        "GET",
        &format!("{}/Groups?startIndex=1&count=100", s.base),
        &h,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.text,
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#
    );

    // Import Users: pages of 100 until startIndex passes totalResults, and one page past it.
    let mut imported = Vec::new();
    let mut start = 1;
    loop {
        let a = send(
            "GET",
            &format!("{}/Users?startIndex={start}&count=100", s.base),
            &h,
            None,
        )
        .await;
        assert_eq!(a.status, 200);
        let v = a.json();
        let got = v["Resources"].as_array().unwrap().len();
        assert_eq!(v["itemsPerPage"], got);
        assert_eq!(v["startIndex"], start);
        imported.extend(
            v["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["userName"].as_str().unwrap().to_string()),
        );
        start += 100;
        if start > v["totalResults"].as_u64().unwrap() as usize {
            break;
        }
    }
    assert_eq!(imported.len(), 250);
    let past = send(
        "GET",
        &format!("{}/Users?startIndex=301&count=100", s.base),
        &h,
        None,
    )
    .await
    .json();
    assert_eq!(past["itemsPerPage"], 0);
    assert_eq!(past["Resources"], json!([]));
    assert_eq!(past["totalResults"], 250);

    // The wrong token is refused the way the credentials test needs to show it.
    let bad: Vec<(&str, &str)> = h
        .iter()
        .map(|(k, v)| {
            if *k == "Authorization" {
                (*k, "Bearer wrong")
            } else {
                (*k, *v)
            }
        })
        .collect();
    assert_eq!(
        send(
            "GET",
            &format!("{}/Users?startIndex=1&count=2", s.base),
            &bad,
            None
        )
        .await
        .status,
        401
    );
}

#[tokio::test]
async fn serve_takes_its_token_from_the_environment() {
    let process = common::spawn_okta_sim(
        &["serve", "--addr", "127.0.0.1:0"],
        &[("OKTA_SIM_TOKEN", std::ffi::OsStr::new("from-env-token"))],
    );
    let base = process.field("SCIM base URL");
    let a = send(
        "GET",
        &format!("{base}/Users"),
        &[("Authorization", "Bearer from-env-token")],
        None,
    )
    .await;
    drop(process);
    assert_eq!(a.status, 200);
}

#[cfg(unix)]
#[test]
fn serve_shuts_down_cleanly_on_sigint() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .env(
            "OKTA_SIM_HOME",
            std::env::temp_dir().join("okta-sim-test-home"),
        )
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().starts_with("Press Ctrl-C") {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not stop on SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
}
