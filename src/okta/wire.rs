//! The HTTP envelope Okta's provisioning engine sends (okta-scim-wire §8): its header set and
//! values, compact JSON in Okta's key order, its query encoding
//! (`filter=userName%20eq%20%22a%40b.com%22&startIndex=1&count=100`), its authorization modes,
//! the 60 s timeout, and the 429 policy of §9. Every exchange is recorded with timestamps.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::Value;

use super::retry::RetryPolicy;

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
/// Okta closes the socket after 60 s without response data (§8.4).
pub const OKTA_TIMEOUT: Duration = Duration::from_secs(60);
/// Responses larger than this are cut off and reported as an error.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// After this many timeouts in a row the target is considered gone: later requests fail at once.
pub const TIMEOUTS_BEFORE_GIVING_UP: u32 = 2;

/// Characters Okta leaves unencoded in a query value: letters, digits, `-`, `.`, `_`, `~`.
const OKTA_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The two kinds of app (okta-scim-wire, "Two kinds of app").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AppKind {
    /// OIN and template apps: PATCH for activate, deactivate, password and all group updates.
    Oin,
    /// App Integration Wizard apps: GET then PUT for every update; never PATCH.
    Aiw,
}

impl AppKind {
    /// `oin` or `aiw`.
    pub fn name(self) -> &'static str {
        match self {
            AppKind::Oin => "oin",
            AppKind::Aiw => "aiw",
        }
    }
}

/// How Okta authenticates to the app (§8.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// The OIN "Header" mode and the Header Auth template: the value exactly as typed.
    Header(String),
    /// `Bearer <token>` (OIN "Bearer", AIW "HTTP Header").
    Bearer(String),
    /// `Basic base64(user:pass)` (AIW and the Basic Auth template; not for new OIN apps).
    /// `user:password`.
    Basic {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// An OAuth 2.0 access token, sent as a bearer token.
    OAuth(String),
}

impl Auth {
    /// The Authorization header value this credential sends.
    pub fn header_value(&self) -> String {
        match self {
            Auth::Header(v) => v.clone(),
            Auth::Bearer(t) | Auth::OAuth(t) => format!("Bearer {t}"),
            Auth::Basic { user, password } => {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
                )
            }
        }
    }

    /// A deliberately wrong credential of the same mode (for the 401 checks).
    pub fn wrong(&self) -> Auth {
        match self {
            Auth::Header(_) => Auth::Header("non-token".into()),
            Auth::Bearer(_) => Auth::Bearer("non-token".into()),
            Auth::OAuth(_) => Auth::OAuth("non-token".into()),
            Auth::Basic { user, .. } => Auth::Basic {
                user: user.clone(),
                password: "non-token".into(),
            },
        }
    }
}

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

/// `Bearer abcdef…` becomes `Bearer ab…(40 chars)`: enough to tell tokens apart, not to use one.
pub fn mask(value: &str) -> String {
    let (scheme, cred) = match value.split_once(' ') {
        Some((s, c)) => (format!("{s} "), c),
        None => (String::new(), value),
    };
    let shown: String = cred.chars().take(2).collect();
    format!("{scheme}{shown}…({} chars)", cred.chars().count())
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

pub use crate::text::brief;

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
            (Some(r), _) if r.body.is_empty() => format!("{} (empty body)", r.status),
            (Some(r), _) => format!("{} {}", r.status, r.brief()),
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

/// Where exchanges go: every client of a run shares one, for the transcript.
pub type ExchangeLog = Arc<Mutex<Vec<Exchange>>>;

/// An HTTP client that speaks as Okta to one SCIM base URL.
#[derive(Clone)]
pub struct WireClient {
    http: reqwest::Client,
    user_agent: &'static str,
    base_url: String,
    base_path: String,
    host: String,
    /// The credential it sends.
    pub auth: Auth,
    /// How it retries a 429.
    pub retry: RetryPolicy,
    timeouts_in_a_row: Arc<AtomicU32>,
    log: ExchangeLog,
}

/// Errors building a client.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The URL and why it is unusable.
    #[error("invalid target URL {0:?}: {1}")]
    BadUrl(String, String),
    /// Why the client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl WireClient {
    /// A client of the SCIM base URL, sending `auth`, recording every exchange into `log`.
    pub fn new(
        base_url: &str,
        auth: Auth,
        timeout: Duration,
        retry: RetryPolicy,
        log: ExchangeLog,
    ) -> Result<Self, WireError> {
        let base_url = base_url.trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| WireError::BadUrl(base_url.clone(), e.to_string()))?;
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(WireError::BadUrl(
                base_url,
                "the scheme must be http or https".into(),
            ));
        }
        let base_path = parsed.path().trim_end_matches('/').to_string();
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(WireError::BadUrl(base_url, "the URL has no host".into())),
        };
        let http = reqwest::Client::builder()
            .http1_title_case_headers()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| WireError::Client(e.to_string()))?;
        Ok(WireClient {
            http,
            user_agent: OKTA_USER_AGENT,
            base_url,
            base_path,
            host,
            auth,
            retry,
            timeouts_in_a_row: Arc::new(AtomicU32::new(0)),
            log,
        })
    }

    /// The SCIM base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Count timeouts together with other clients of the same target (one run), so a target
    /// that stopped answering is given up once, not once per client.
    pub fn sharing_timeouts(mut self, counter: Arc<AtomicU32>) -> Self {
        self.timeouts_in_a_row = counter;
        self
    }

    /// The path part of the base URL, e.g. `/scim/v2`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Where the exchanges go.
    pub fn log(&self) -> &ExchangeLog {
        &self.log
    }

    /// A copy of this client that sends another credential.
    pub fn with_auth(&self, auth: Auth) -> Self {
        let mut c = self.clone();
        c.auth = auth;
        c
    }

    /// A copy of this client for okta-sim's own requests (setup and read-back): the same
    /// envelope, with [`HARNESS_USER_AGENT`] instead of Okta's.
    pub fn as_harness(&self) -> Self {
        let mut c = self.clone();
        c.user_agent = HARNESS_USER_AGENT;
        c
    }

    /// Whether this client speaks as okta-sim rather than as Okta.
    pub fn is_harness(&self) -> bool {
        self.user_agent == HARNESS_USER_AGENT
    }

    /// A request with Okta's full header set, `Content-Length` and `Host` in Okta's positions
    /// (okta-scim-wire §8.1: after Authorization, before Connection).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> WireRequest {
        let path = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", okta_query(query))
        };
        let mut req = WireRequest::okta(method, path, body, &self.auth);
        if self.user_agent != OKTA_USER_AGENT
            && let Some(ua) = req.headers.iter_mut().find(|(k, _)| k == "User-Agent")
        {
            ua.1 = self.user_agent.to_string();
        }
        let at = req
            .headers
            .iter()
            .position(|(k, _)| k == "Connection")
            .unwrap_or(req.headers.len());
        let mut extra = Vec::new();
        if let Some(b) = &req.body {
            extra.push(("Content-Length".to_string(), b.len().to_string()));
        }
        extra.push(("Host".to_string(), self.host.clone()));
        req.headers.splice(at..at, extra);
        req
    }

    /// Send one request with Okta's 429 policy; every try is logged.
    pub async fn send(&self, label: &str, req: WireRequest) -> Exchange {
        let mut attempt = 1;
        loop {
            let ex = self.send_once(label, &req, attempt).await;
            let retry_after = ex
                .response
                .as_ref()
                .filter(|r| r.status == 429)
                .map(|r| r.header("retry-after").map(String::from));
            self.log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(ex.clone());
            match retry_after {
                Some(ra) if attempt < self.retry.max_attempts => {
                    tokio::time::sleep(self.retry.wait(attempt, ra.as_deref())).await;
                    attempt += 1;
                }
                _ => return ex,
            }
        }
    }

    async fn send_once(&self, label: &str, req: &WireRequest, attempt: u32) -> Exchange {
        let url = format!("{}{}", self.base_url, req.path);
        let started = crate::timestamp::now();
        let t0 = Instant::now();
        let mut ex = Exchange {
            label: label.to_string(),
            started,
            elapsed_ms: 0.0,
            url: url.clone(),
            request: req.clone(),
            response: None,
            error: None,
            attempt,
        };
        let gone = self.timeouts_in_a_row.load(Ordering::Relaxed);
        if gone >= TIMEOUTS_BEFORE_GIVING_UP {
            ex.error = Some(format!(
                "not sent: the target stopped answering ({gone} requests in a row timed out)"
            ));
            return ex;
        }
        match self.exchange(&url, req).await {
            Ok(resp) => {
                self.timeouts_in_a_row.store(0, Ordering::Relaxed);
                ex.response = Some(resp);
            }
            Err((timed_out, e)) => {
                if timed_out {
                    self.timeouts_in_a_row.fetch_add(1, Ordering::Relaxed);
                }
                ex.error = Some(e);
            }
        }
        ex.elapsed_ms = t0.elapsed().as_secs_f64() * 1000.0;
        ex
    }

    async fn exchange(&self, url: &str, req: &WireRequest) -> Result<WireResponse, (bool, String)> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| (false, e.to_string()))?;
        let mut rb = self.http.request(method, url);
        for (k, v) in &req.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if let Some(b) = &req.body {
            rb = rb.body(b.clone());
        }
        let mut resp = rb
            .send()
            .await
            .map_err(|e| (e.is_timeout(), describe(&e)))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err((
                            false,
                            format!("the response body is larger than {MAX_RESPONSE_BYTES} bytes"),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err((
                        e.is_timeout(),
                        format!("reading the response body failed: {}", describe(&e)),
                    ));
                }
            }
        }
        Ok(WireResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_encoding_matches_okta() {
        // okta-scim-wire §3.1, byte for byte.
        assert_eq!(
            okta_query(&[
                ("filter", r#"userName eq "test.user@okta.local""#),
                ("startIndex", "1"),
                ("count", "100")
            ]),
            "filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100"
        );
        assert_eq!(
            okta_query(&[
                ("filter", r#"displayName eq "Test SCIMv2""#),
                ("startIndex", "1"),
                ("count", "100")
            ]),
            "filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100"
        );
        assert_eq!(
            okta_query(&[("filter", "userName eq \"a+b_c-d@x.io\"")]),
            "filter=userName%20eq%20%22a%2Bb_c-d%40x.io%22"
        );
    }

    #[test]
    fn deactivate_body_is_118_bytes_as_in_okta_docs() {
        let body = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]});
        let r = WireRequest::okta(
            "PATCH",
            "/Users/x".into(),
            Some(&body),
            &Auth::Bearer("t".into()),
        );
        assert_eq!(r.body.as_ref().unwrap().len(), 118);
    }

    #[test]
    fn header_sets_follow_okta() {
        let get = WireRequest::okta("GET", "/Users".into(), None, &Auth::Bearer("t".into()));
        let names: Vec<&str> = get.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "Accept",
                "Accept-Charset",
                "User-Agent",
                "Authorization",
                "Connection",
                "Accept-Encoding"
            ]
        );
        let del = WireRequest::okta(
            "DELETE",
            "/Groups/g".into(),
            None,
            &Auth::Bearer("t".into()),
        );
        assert_eq!(del.header("content-type"), Some(SCIM_JSON_UTF8));
        assert!(del.body.is_none());
    }

    #[test]
    fn auth_modes() {
        assert_eq!(
            Auth::Header("Bearer abc".into()).header_value(),
            "Bearer abc"
        );
        assert_eq!(Auth::Header("abc".into()).header_value(), "abc");
        assert_eq!(Auth::Bearer("abc".into()).header_value(), "Bearer abc");
        assert_eq!(Auth::OAuth("tok".into()).header_value(), "Bearer tok");
        assert_eq!(
            Auth::Basic {
                user: "u".into(),
                password: "p".into()
            }
            .header_value(),
            "Basic dTpw"
        );
        assert_eq!(mask("Bearer abcdef"), "Bearer ab…(6 chars)");
    }
}
