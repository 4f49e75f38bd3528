//! What goes over the wire and what came of it: Okta's request envelope (its headers, their
//! order, compact JSON, its query encoding) and the record of one exchange.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::Value;

use super::auth::{Auth, mask};
pub use crate::text::brief;

/// The User-Agent of Okta's provisioning engine, unchanged since 2018 (§8.1).
pub const OKTA_USER_AGENT: &str = "Okta SCIM Client 1.0.0";
/// The User-Agent of requests okta-sim makes that Okta would not (setting up what the vendor
/// had before Okta was connected, reading back what Okta wrote): a vendor's logs tell them apart.
pub const HARNESS_USER_AGENT: &str = concat!(
    "okta-sim/",
    env!("CARGO_PKG_VERSION"),
    " (not Okta: setup and read-back)"
);
/// The SCIM media type (RFC 7644 §3.1).
pub const SCIM_JSON: &str = "application/scim+json";
/// The Content-Type Okta sends with a body.
pub const SCIM_JSON_UTF8: &str = "application/scim+json; charset=utf-8";

/// Characters Okta leaves unencoded in a query value: letters, digits, `-`, `.`, `_`, `~`.
const OKTA_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encode query parameters the way Okta does: `%20` for spaces, `%22` for quotes, `%40` for @.
pub fn okta_query(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, OKTA_QUERY),
                utf8_percent_encode(v, OKTA_QUERY)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One request as Okta writes it: method, path (relative to the SCIM base URL, with the query),
/// headers in Okta's order, and the compact body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireRequest {
    /// The method.
    pub method: String,
    /// The path relative to the SCIM base URL, with the query.
    pub path: String,
    /// The headers, in Okta's order.
    pub headers: Vec<(String, String)>,
    /// The body, compact, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl WireRequest {
    /// A request with Okta's headers (§8.1). `Content-Type` only when there is a body, and on
    /// DELETE (S3 shows it there without a body).
    pub fn okta(method: &str, path: String, body: Option<&Value>, auth: &Auth) -> Self {
        let mut headers = vec![
            ("Accept".to_string(), SCIM_JSON.to_string()),
            ("Accept-Charset".to_string(), "utf-8".to_string()),
        ];
        if body.is_some() || method == "DELETE" {
            headers.push(("Content-Type".into(), SCIM_JSON_UTF8.into()));
        }
        headers.push(("User-Agent".into(), OKTA_USER_AGENT.into()));
        headers.push(("Authorization".into(), auth.header_value()));
        headers.push(("Connection".into(), "Keep-Alive".into()));
        headers.push(("Accept-Encoding".into(), "gzip,deflate".into()));
        WireRequest {
            method: method.into(),
            path,
            headers,
            body: body.map(|b| b.to_string()),
        }
    }

    /// The request line, headers and body as text, with the Authorization value masked.
    pub fn to_text(&self, base_path: &str, mask_auth: bool) -> String {
        let mut s = format!("{} {}{} HTTP/1.1\n", self.method, base_path, self.path);
        for (k, v) in &self.headers {
            let v = if mask_auth && k.eq_ignore_ascii_case("authorization") {
                mask(v)
            } else {
                v.clone()
            };
            s.push_str(&format!("{k}: {v}\n"));
        }
        if let Some(b) = &self.body {
            s.push('\n');
            s.push_str(b);
            s.push('\n');
        }
        s
    }

    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, when it is.
    pub fn json_body(&self) -> Option<Value> {
        self.body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
    }
}

/// A response as received.
#[derive(Debug, Clone, Serialize)]
pub struct WireResponse {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (invalid UTF-8 replaced).
    pub body: String,
    /// When the body was JSON padded with whitespace and is kept in its compact form: how many
    /// bytes came in ([`crate::okta::limits::COMPACT_ABOVE`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_received: Option<usize>,
}

impl WireResponse {
    /// The body as JSON, when it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The body shortened for messages.
    pub fn brief(&self) -> String {
        brief(&self.body, 300)
    }
}

/// One request and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// What the request was for, e.g. `assign user: userName pre-check`.
    pub label: String,
    /// When it was sent (RFC 3339, milliseconds).
    pub started: String,
    /// How long the answer took.
    pub elapsed_ms: f64,
    /// The absolute URL.
    pub url: String,
    /// What was sent.
    pub request: WireRequest,
    /// What came back, when anything did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<WireResponse>,
    /// Why nothing came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// 1 for the first try; more when 429s were retried.
    pub attempt: u32,
    /// The transaction id of the Okta task that sent it (System Log, type JOB), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    /// Its number in the run, from 1, given when it is recorded (0: not recorded). A check
    /// names the exchange it judged by this number.
    #[serde(skip_serializing_if = "is_zero")]
    pub seq: u64,
    /// The scenario under way when it was recorded (`feature/scenario`); none for the run's
    /// own set-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Exchange {
    /// The status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }
    /// The body as JSON, when it is.
    pub fn json(&self) -> Option<Value> {
        self.response.as_ref().and_then(WireResponse::json)
    }
    /// `201 {"id":…}` or the transport error, for messages.
    pub fn got(&self) -> String {
        match (&self.response, &self.error) {
            (Some(r), Some(e)) => format!("{} {}  ({e})", r.status, r.brief()),
            (Some(r), None) if r.body.is_empty() => format!("{} (empty body)", r.status),
            (Some(r), None) => format!("{} {}", r.status, r.brief()),
            (None, Some(e)) => format!("no response: {e}"),
            (None, None) => "no response".into(),
        }
    }
    /// `PATCH /Users/…  {…}` for messages.
    pub fn sent(&self) -> String {
        match &self.request.body {
            Some(b) => format!(
                "{} {}  {}",
                self.request.method,
                self.request.path,
                brief(b, 300)
            ),
            None => format!("{} {}", self.request.method, self.request.path),
        }
    }
}
