//! Okta as an OAuth 2.0 client of an app's SCIM API (okta-attributes-entitlements-oauth §3): the
//! admin's "Authenticate with {App}" runs the authorization-code flow (RFC 6749 §4.1) with the
//! callback `https://system-admin.okta.com/admin/app/cpc/{appName}/oauth/callback`; the tokens
//! are then used as bearer tokens and refreshed lazily, "only if a SCIM operation is performed":
//! before a request when the token's `expires_in` has passed, and once after a 401.
//!
//! UNCONFIRMED in Okta's documentation, chosen as the evidence suggests: the authorize
//! parameters (`response_type`, `client_id`, `redirect_uri`, `state`, `scope` when configured),
//! client authentication in the form body (client_secret_post, as Attio's token endpoint
//! takes it), and the trigger of a refresh.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::exchange::{Exchange, WireRequest, WireResponse};
use super::limits::RunLimits;
use super::limits::{headers_of, read_body};
use super::log::ExchangeLog;

/// The most okta-sim reads of an authorization server's answer.
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// Okta's OAuth callback for an app (okta-attributes-entitlements-oauth §3, D4).
pub fn callback_url(app_name: &str) -> String {
    format!("https://system-admin.okta.com/admin/app/cpc/{app_name}/oauth/callback")
}

/// The app's authorization server as Okta's integration is configured with it.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// The authorize endpoint.
    pub authorize_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The integration's client ID.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// The scopes asked for (empty: none).
    pub scope: String,
    /// Okta's callback.
    pub redirect_uri: String,
}

/// The tokens of a connection.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The access token.
    pub access: String,
    /// The refresh token, when the server issued one.
    pub refresh: Option<String>,
    /// When the access token expires, when the server said (`expires_in`).
    pub expires_at: Option<Instant>,
}

/// Why the flow or a refresh failed, with the exchanges it made.
#[derive(Debug, Clone)]
pub struct OAuthFailure {
    /// What went wrong.
    pub reason: String,
    /// The exchanges, in order.
    pub exchanges: Vec<Exchange>,
}

/// How okta-sim sends the flow's requests: bounded, logged, redacted.
#[derive(Clone)]
pub struct OAuthTransport {
    /// The HTTP client (no redirects followed: the callback is read from the 302).
    pub http: reqwest::Client,
    /// Where exchanges go.
    pub log: Arc<ExchangeLog>,
    /// The run's bounds and redactor.
    pub limits: Arc<RunLimits>,
    /// One request's timeout.
    pub timeout: Duration,
}

impl OAuthTransport {
    /// A transport within `limits`, logging to `log`.
    pub fn new(
        log: Arc<ExchangeLog>,
        limits: Arc<RunLimits>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(super::limits::POOL_IDLE)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(OAuthTransport {
            http,
            log,
            limits,
            timeout,
        })
    }

    async fn send(&self, label: &str, method: &str, url: &str, form: Option<String>) -> Exchange {
        let started = self.limits.clock.now();
        let t0 = Instant::now();
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if form.is_some() {
            headers.push((
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ));
        }
        let mut ex = Exchange {
            label: label.to_string(),
            started,
            elapsed_ms: 0.0,
            url: url.to_string(),
            request: WireRequest {
                method: method.to_string(),
                path: reqwest::Url::parse(url)
                    .map(|u| u.path().to_string())
                    .unwrap_or_default(),
                headers: headers.clone(),
                body: form.clone(),
            },
            response: None,
            error: None,
            attempt: 1,
            transaction: None,
            seq: 0,
            scenario: None,
        };
        if let Some(why) = self.limits.refusal() {
            ex.error = Some(why);
            return ex;
        }
        let m = if method == "POST" {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let mut rb = self
            .http
            .request(m, url)
            .timeout(self.limits.request_timeout(self.timeout));
        for (k, v) in &headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if let Some(f) = form {
            rb = rb.body(f);
        }
        match rb.send().await {
            Ok(mut r) => {
                self.limits.answered();
                let status = r.status().as_u16();
                let headers = headers_of(&r);
                let body = match read_body(&mut r, MAX_TOKEN_RESPONSE_BYTES).await {
                    Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                    Err((_, e)) => {
                        ex.error = Some(e);
                        String::new()
                    }
                };
                ex.response = Some(WireResponse {
                    status,
                    headers,
                    body,
                    as_received: None,
                });
            }
            Err(e) => {
                if e.is_timeout() {
                    self.limits.timed_out();
                }
                ex.error = Some(e.to_string());
            }
        }
        ex.elapsed_ms = self.limits.elapsed_ms(t0);
        ex
    }

    /// Record an exchange, every secret it carries redacted.
    fn record(&self, mut ex: Exchange) -> Exchange {
        let r = &self.limits.redactor;
        if let Some(b) = ex.request.body.as_mut() {
            r.redact_in_place(b);
        }
        if let Some(resp) = ex.response.as_mut() {
            r.redact_in_place(&mut resp.body);
            for (_, v) in resp.headers.iter_mut() {
                r.redact_in_place(v);
            }
        }
        self.log.record(&mut ex);
        ex
    }
}

impl OAuthClient {
    /// The admin's "Authenticate with {App}": the authorize request (the admin signs in at the
    /// app and consents; the app redirects to Okta's callback with a code), then the code
    /// exchanged at the token endpoint.
    pub async fn authorize(&self, t: &OAuthTransport) -> Result<Tokens, OAuthFailure> {
        t.limits.redactor.add(&self.client_secret);
        let state = format!("okta-sim-{}", uuid::Uuid::new_v4().simple());
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("state", &state);
        if !self.scope.is_empty() {
            q.append_pair("scope", &self.scope);
        }
        let sep = if self.authorize_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!("{}{sep}{}", self.authorize_url, q.finish());
        let ex = t.record(t.send("OAuth authorize", "GET", &url, None).await);
        let mut exchanges = vec![ex.clone()];
        let fail = |reason: String, exchanges: Vec<Exchange>| OAuthFailure { reason, exchanges };
        let location = ex
            .response
            .as_ref()
            .filter(|r| (300..400).contains(&r.status))
            .and_then(|r| r.header("location").map(String::from));
        let Some(location) = location else {
            return Err(fail(
                format!(
                    "the authorize endpoint answered {} instead of redirecting to Okta's callback",
                    ex.got()
                ),
                exchanges,
            ));
        };
        if !location.starts_with(&self.redirect_uri) {
            return Err(fail(
                format!(
                    "the authorize endpoint redirected to {location:?}, not Okta's callback {}",
                    self.redirect_uri
                ),
                exchanges,
            ));
        }
        let params: Vec<(String, String)> = location
            .split_once('?')
            .map(|(_, q)| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if let Some(e) = get("error") {
            return Err(fail(
                format!("the authorize endpoint refused: error={e}"),
                exchanges,
            ));
        }
        if get("state").as_deref() != Some(state.as_str()) {
            return Err(fail(
                "the callback's state is not the one Okta sent (RFC 6749 §4.1.2)".into(),
                exchanges,
            ));
        }
        let Some(code) = get("code") else {
            return Err(fail("the callback carries no code".into(), exchanges));
        };
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "authorization_code")
            .append_pair("code", &code)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", &self.client_secret);
        let (tokens, ex) = self.token_request(t, "OAuth token", form.finish()).await;
        exchanges.push(ex);
        tokens.map_err(|reason| fail(reason, exchanges))
    }

    /// Exchange the refresh token for a new access token (and refresh token, when the server
    /// rotates it; else the old one is kept).
    pub async fn refresh(
        &self,
        t: &OAuthTransport,
        refresh: &str,
    ) -> (Result<Tokens, String>, Exchange) {
        // Finished before the await: the serializer is not Send.
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", refresh)
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", &self.client_secret)
            .finish();
        let (tokens, ex) = self.token_request(t, "OAuth refresh", form).await;
        let tokens = tokens.map(|mut tk| {
            tk.refresh = tk.refresh.or_else(|| Some(refresh.to_string()));
            tk
        });
        (tokens, ex)
    }

    async fn token_request(
        &self,
        t: &OAuthTransport,
        label: &str,
        form: String,
    ) -> (Result<Tokens, String>, Exchange) {
        let ex = t.send(label, "POST", &self.token_url, Some(form)).await;
        let parsed = parse_tokens(&ex);
        // The tokens are secrets before anything is written.
        if let Ok(tk) = &parsed {
            t.limits.redactor.add(&tk.access);
            t.limits.redactor.add(&format!("Bearer {}", tk.access));
            if let Some(r) = &tk.refresh {
                t.limits.redactor.add(r);
            }
        }
        let ex = t.record(ex);
        (parsed, ex)
    }
}

/// The tokens of a token endpoint's answer (RFC 6749 §5.1), or why it is not one.
fn parse_tokens(ex: &Exchange) -> Result<Tokens, String> {
    let r = ex
        .response
        .as_ref()
        .ok_or_else(|| format!("the token endpoint did not answer: {}", ex.got()))?;
    let v: Value = serde_json::from_str(&r.body).map_err(|_| {
        format!(
            "the token endpoint answered {} without a JSON body",
            r.status
        )
    })?;
    if r.status != 200 {
        return Err(format!(
            "the token endpoint answered {}: {}",
            r.status,
            v.get("error").and_then(Value::as_str).unwrap_or("no error")
        ));
    }
    let access = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .ok_or("the token response has no access_token")?;
    let ty = v.get("token_type").and_then(Value::as_str).unwrap_or("");
    if !ty.eq_ignore_ascii_case("bearer") {
        return Err(format!(
            "the token response's token_type is {ty:?}, not Bearer"
        ));
    }
    Ok(Tokens {
        access: access.to_string(),
        refresh: v
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(String::from),
        expires_at: v
            .get("expires_in")
            .and_then(Value::as_u64)
            .map(|s| Instant::now() + Duration::from_secs(s.min(10 * 365 * 86_400))),
    })
}

/// A connection authorized with OAuth: its tokens, refreshed lazily.
pub struct OAuthConnection {
    client: OAuthClient,
    transport: OAuthTransport,
    tokens: tokio::sync::Mutex<Tokens>,
    refreshes: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for OAuthConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConnection")
            .field("token_url", &self.client.token_url)
            .finish()
    }
}

impl OAuthConnection {
    /// A connection holding the tokens the flow issued.
    pub fn new(client: OAuthClient, transport: OAuthTransport, tokens: Tokens) -> Self {
        OAuthConnection {
            client,
            transport,
            tokens: tokio::sync::Mutex::new(tokens),
            refreshes: Default::default(),
        }
    }

    /// The access token to send now: refreshed first when it has expired and a refresh token
    /// is held.
    pub async fn current(&self) -> String {
        let mut tk = self.tokens.lock().await;
        let expired = tk.expires_at.is_some_and(|at| at <= Instant::now());
        if expired {
            self.refresh_locked(&mut tk).await;
        }
        tk.access.clone()
    }

    /// After a 401 with `sent`: refresh once (unless another request already did), and say
    /// whether there is a new token to retry with.
    pub async fn after_unauthorized(&self, sent: &str) -> Option<String> {
        let mut tk = self.tokens.lock().await;
        if tk.access != sent {
            return Some(tk.access.clone());
        }
        self.refresh_locked(&mut tk)
            .await
            .then(|| tk.access.clone())
    }

    async fn refresh_locked(&self, tk: &mut Tokens) -> bool {
        let Some(refresh) = tk.refresh.clone() else {
            return false;
        };
        let (got, _) = self.client.refresh(&self.transport, &refresh).await;
        match got {
            Ok(new) => {
                *tk = new;
                self.refreshes
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    /// As if the access token's lifetime had passed (the next request refreshes first).
    pub async fn expire_now(&self) {
        self.tokens.lock().await.expires_at = Some(Instant::now());
    }

    /// How many refreshes succeeded.
    pub fn refreshes(&self) -> usize {
        self.refreshes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Exchange {
        Exchange {
            label: "t".into(),
            started: String::new(),
            elapsed_ms: 0.0,
            url: "http://x/token".into(),
            request: WireRequest {
                method: "POST".into(),
                path: "/token".into(),
                headers: vec![],
                body: None,
            },
            response: Some(WireResponse {
                status,
                headers: vec![],
                body: body.into(),
                as_received: None,
            }),
            error: None,
            attempt: 1,
            transaction: None,
            seq: 0,
            scenario: None,
        }
    }

    #[test]
    fn token_answers_are_read_strictly() {
        let ok = parse_tokens(&answer(
            200,
            r#"{"access_token":"a1","token_type":"bearer","expires_in":60,"refresh_token":"r1"}"#,
        ))
        .unwrap();
        assert_eq!(
            (ok.access.as_str(), ok.refresh.as_deref()),
            ("a1", Some("r1"))
        );
        assert!(ok.expires_at.is_some());
        // Attio's shape: no expiry, no refresh token — a token that does not expire.
        let plain = parse_tokens(&answer(
            200,
            r#"{"access_token":"a2","token_type":"Bearer"}"#,
        ))
        .unwrap();
        assert!(plain.expires_at.is_none() && plain.refresh.is_none());
        for (status, body, word) in [
            (200, "<html>", "JSON"),
            (200, r#"{"token_type":"Bearer"}"#, "access_token"),
            (200, r#"{"access_token":"a","token_type":"mac"}"#, "Bearer"),
            (400, r#"{"error":"invalid_grant"}"#, "invalid_grant"),
        ] {
            let e = parse_tokens(&answer(status, body)).unwrap_err();
            assert!(e.contains(word), "{body}: {e}");
        }
    }
}
