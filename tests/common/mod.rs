//! Helpers shared by the integration tests: a small SCIM client over reqwest.
#![allow(dead_code)]

use serde_json::Value;

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub auth: String,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }
}

impl Client {
    pub fn new(base: &str, token: &str) -> Self {
        Client {
            http: reqwest::Client::new(),
            base: base.to_string(),
            auth: format!("Bearer {token}"),
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .http
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
            .header("Authorization", &self.auth)
            .header("Accept", "application/scim+json");
        if let Some(b) = body {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                req = req.header("Content-Type", "application/scim+json; charset=utf-8");
            }
            req = req.body(b.to_string());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send("POST", path, Some(&body.to_string()), &[]).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.send("PUT", path, Some(&body.to_string()), &[]).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.send("PATCH", path, Some(&body.to_string()), &[]).await
    }
    pub async fn delete(&self, path: &str) -> Answer {
        self.send("DELETE", path, None, &[]).await
    }
}

pub fn user(name: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": true, "value": name, "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

pub fn patch_ops(ops: Value) -> Value {
    serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// A running `okta-sim` process (serve, saml idp) and the banner it printed up to
/// "Press Ctrl-C". Dropping it kills the process.
pub struct Running {
    pub child: std::process::Child,
    pub banner: Vec<String>,
}

impl Running {
    /// The first word after `label` on a banner line, e.g. `banner_field("SCIM base URL")`.
    pub fn field(&self, label: &str) -> String {
        self.banner
            .iter()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(label)
                    .map(|r| r.split_whitespace().next().unwrap_or_default().to_string())
            })
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `okta-sim ARGS` to its end (OKTA_SIM_TOKEN removed; OKTA_SIM_HOME a temporary folder).
pub fn okta_sim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .env_remove("OKTA_SIM_TOKEN")
        .env(
            "OKTA_SIM_HOME",
            std::env::temp_dir().join("okta-sim-test-home"),
        )
        .args(args)
        .output()
        .expect("okta-sim runs")
}

/// Start `okta-sim ARGS` with these environment variables (OKTA_SIM_TOKEN removed unless set;
/// OKTA_SIM_HOME a temporary folder unless set) and read its banner.
pub fn spawn_okta_sim(args: &[&str], envs: &[(&str, &std::ffi::OsStr)]) -> Running {
    use std::io::{BufRead, BufReader};
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_okta-sim"));
    cmd.env_remove("OKTA_SIM_TOKEN")
        .env(
            "OKTA_SIM_HOME",
            std::env::temp_dir().join("okta-sim-test-home"),
        )
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("okta-sim starts");
    let mut banner = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
        let line = line.expect("banner line");
        let done = line.starts_with("Press Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    Running { child, banner }
}
