//! The HTTP envelope Okta's provisioning engine sends (okta-scim-wire §8): its header set and
//! values, compact JSON in Okta's key order, its query encoding
//! (`filter=userName%20eq%20%22a%40b.com%22&startIndex=1&count=100`), its authorization modes,
//! the 60 s timeout, and the 429 policy of §9. Every exchange is recorded with timestamps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

pub use super::auth::{Auth, mask};
pub use super::exchange::{
    Exchange, HARNESS_USER_AGENT, OKTA_USER_AGENT, SCIM_JSON, SCIM_JSON_UTF8, WireRequest,
    WireResponse, brief, okta_query,
};
pub use super::limits::MAX_RESPONSE_BYTES;
use super::limits::RunLimits;
pub use super::limits::{describe, headers_of, read_body};
pub use super::log::ExchangeLog;
use super::redact::Redactor;
use super::retry::RetryPolicy;

/// Okta closes the socket after 60 s without response data (§8.4).
pub const OKTA_TIMEOUT: Duration = Duration::from_secs(60);

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
    timeout: Duration,
    limits: Arc<RunLimits>,
    log: Arc<ExchangeLog>,
    /// The OAuth connection whose current access token is sent, when the app was authorized
    /// with OAuth (refreshed lazily).
    oauth: Option<Arc<super::oauth::OAuthConnection>>,
    /// The current task's transaction id, recorded on each exchange, and the header that
    /// carries it to the app when there is one (`--correlation-header`).
    transaction: Option<(Option<Arc<str>>, CurrentTransaction)>,
}

/// The transaction id of the task under way, shared by the clients that send its requests.
pub type CurrentTransaction = Arc<std::sync::Mutex<String>>;

fn set_bearer(req: &mut WireRequest, token: &str) {
    if let Some(h) = req
        .headers
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        h.1 = format!("Bearer {token}");
    }
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
    /// A client of the SCIM base URL, sending `auth`, recording every exchange into `log`,
    /// within the default bounds ([`RunLimits::default`], redacting `auth`) until
    /// [`WireClient::with_limits`] gives the run's.
    pub fn new(
        base_url: &str,
        auth: Auth,
        timeout: Duration,
        retry: RetryPolicy,
        log: Arc<ExchangeLog>,
    ) -> Result<Self, WireError> {
        let base_url = base_url.trim_end_matches('/').to_string();
        let parsed =
            check_url(&base_url).map_err(|e| WireError::BadUrl(shown_url(&base_url), e))?;
        let base_path = parsed.path().trim_end_matches('/').to_string();
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => {
                return Err(WireError::BadUrl(
                    shown_url(&base_url),
                    "the URL has no host".into(),
                ));
            }
        };
        let http = reqwest::Client::builder()
            .http1_title_case_headers()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // Servers close idle keep-alive connections, Node.js's and the reference app's
            // after 5 s: a request sent on one just as it closes gets no answer, and Okta's
            // task would be counted failed for the client's race. Idle connections go first.
            .pool_idle_timeout(super::limits::POOL_IDLE)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| WireError::Client(e.to_string()))?;
        let limits = Arc::new(RunLimits::new(
            super::limits::DEFAULT_DEADLINE,
            Redactor::for_auth(&auth),
        ));
        Ok(WireClient {
            http,
            user_agent: OKTA_USER_AGENT,
            base_url,
            base_path,
            host,
            auth,
            retry,
            timeout,
            limits,
            log,
            oauth: None,
            transaction: None,
        })
    }

    /// Record the transaction id `current` holds on each exchange, and send it in the header
    /// `header` when one is given (Okta sends no such header: okta-scim-wire quirk 26).
    pub fn with_transaction(mut self, current: CurrentTransaction, header: Option<&str>) -> Self {
        self.transaction = Some((header.map(Arc::from), current));
        self
    }

    /// Send the current access token of an OAuth connection (refreshed lazily) instead.
    pub fn with_oauth(mut self, conn: Arc<super::oauth::OAuthConnection>) -> Self {
        self.oauth = Some(conn);
        self
    }

    /// The OAuth connection, when the app was authorized with OAuth.
    pub fn oauth(&self) -> Option<&Arc<super::oauth::OAuthConnection>> {
        self.oauth.as_ref()
    }

    /// Send within the bounds of this run (deadline, timeouts, redaction), shared with every
    /// other client of it.
    pub fn with_limits(mut self, limits: Arc<RunLimits>) -> Self {
        self.limits = limits;
        self
    }

    /// The SCIM base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The path part of the base URL, e.g. `/scim/v2`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Where the exchanges go.
    pub fn log(&self) -> &Arc<ExchangeLog> {
        &self.log
    }

    /// A copy of this client that sends another credential.
    pub fn with_auth(&self, auth: Auth) -> Self {
        let mut c = self.clone();
        c.auth = auth;
        c.oauth = None;
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
        if let Some((Some(name), current)) = &self.transaction {
            let id = current.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if !id.is_empty() {
                extra.push((name.to_string(), id));
            }
        }
        req.headers.splice(at..at, extra);
        req
    }

    /// Send one request with Okta's 429 policy; every try is logged. A wait that would outlast
    /// the run's deadline is not waited: the 429 is the answer.
    pub async fn send(&self, label: &str, mut req: WireRequest) -> Exchange {
        let mut token = None;
        // A request carrying another credential on purpose (the 401 tests) is left as it is.
        let own = self.auth.header_value();
        let carries_own = req
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("authorization") && *v == own);
        if let Some(conn) = self.oauth.as_ref().filter(|_| carries_own) {
            let t = conn.current().await;
            set_bearer(&mut req, &t);
            token = Some(t);
        }
        let mut attempt = 1;
        loop {
            let mut ex = self.send_once(label, &req, attempt).await;
            // A 401 on an OAuth connection: refresh once and send again (in the log, the 401
            // comes before the refresh it caused).
            if let (Some(conn), Some(sent)) = (self.oauth.as_ref(), token.take())
                && ex.status() == Some(401)
            {
                self.log.record(&mut ex);
                match conn.after_unauthorized(&sent).await {
                    Some(fresh) => {
                        set_bearer(&mut req, &fresh);
                        attempt += 1;
                        continue;
                    }
                    None => return ex,
                }
            }
            let retry_after = ex
                .response
                .as_ref()
                .filter(|r| r.status == 429)
                .map(|r| r.header("retry-after").map(String::from));
            let wait = match retry_after {
                Some(ra) if attempt < self.retry.max_attempts => {
                    let wait = self.retry.wait(attempt, ra.as_deref());
                    if self.limits.wait_allowed(wait) {
                        Some(wait)
                    } else {
                        ex.error = Some(format!(
                            "not retried: the wait for this 429 ({} s) would outlast the run's deadline",
                            wait.as_secs()
                        ));
                        None
                    }
                }
                _ => None,
            };
            self.log.record(&mut ex);
            match wait {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return ex,
            }
        }
    }

    async fn send_once(&self, label: &str, req: &WireRequest, attempt: u32) -> Exchange {
        let url = format!("{}{}", self.base_url, req.path);
        let started = self.limits.clock.now();
        let t0 = Instant::now();
        // The exchange okta-sim keeps shows the credential masked; the request sent carries it.
        let mut shown = req.clone();
        for (k, v) in shown.headers.iter_mut() {
            if k.eq_ignore_ascii_case("authorization") {
                *v = mask(v);
            }
        }
        let mut ex = Exchange {
            label: label.to_string(),
            started,
            elapsed_ms: 0.0,
            url: url.clone(),
            request: shown,
            response: None,
            error: None,
            attempt,
            transaction: self.transaction.as_ref().and_then(|(_, t)| {
                let id = t.lock().unwrap_or_else(|e| e.into_inner()).clone();
                (!id.is_empty()).then_some(id)
            }),
            seq: 0,
            scenario: None,
        };
        if let Some(why) = self.limits.refusal() {
            ex.error = Some(why);
            return ex;
        }
        match self.exchange(&url, req).await {
            Ok(mut resp) => {
                self.limits.answered();
                let r = &self.limits.redactor;
                r.redact_in_place(&mut resp.body);
                for (_, v) in resp.headers.iter_mut() {
                    r.redact_in_place(v);
                }
                ex.response = Some(resp);
            }
            Err((timed_out, e)) => {
                if timed_out {
                    self.limits.timed_out();
                }
                ex.error = Some(e);
            }
        }
        ex.elapsed_ms = self.limits.elapsed_ms(t0);
        ex
    }

    async fn exchange(&self, url: &str, req: &WireRequest) -> Result<WireResponse, (bool, String)> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| (false, e.to_string()))?;
        let mut rb = self
            .http
            .request(method, url)
            .timeout(self.limits.request_timeout(self.timeout));
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
        let headers = headers_of(&resp);
        let bytes = read_body(&mut resp, MAX_RESPONSE_BYTES).await?;
        let (body, as_received) =
            super::limits::compact_json(String::from_utf8_lossy(&bytes).into_owned());
        Ok(WireResponse {
            status,
            headers,
            body,
            as_received,
        })
    }
}

/// `url` as okta-sim may print it: any user and password in it left out.
pub fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(_) => url.to_string(),
        // Unparsable: cut anything that looks like user information.
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
            _ => url.to_string(),
        },
    }
}

/// A URL okta-sim may send to: http or https, with a host, and no credentials in it (they would
/// be sent as a second Authorization header and printed wherever the URL is).
pub fn check_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err("the scheme must be http or https".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "the URL carries credentials: give them with --basic, --token or --auth-header instead"
                .into(),
        );
    }
    if parsed.host_str().is_none() {
        return Err("the URL has no host".into());
    }
    Ok(parsed)
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
