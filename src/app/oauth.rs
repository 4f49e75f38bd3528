//! The reference app's OAuth 2.0 authorization server for its SCIM API (RFC 6749 §4.1, §6), as
//! an app that offers "Authenticate with {App}" in Okta has one: an authorize endpoint (the
//! admin is taken to be signed in at the app and to consent: it redirects back at once with a
//! code), a token endpoint for the code and for refresh tokens (client_secret_post or
//! client_secret_basic), and access tokens the SCIM API accepts until they expire.
//!
//! Everything it remembers is bounded: codes live a minute and are used once; at most
//! [`MAX_TOKENS`] access and refresh tokens are kept, the oldest dropped first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::profile::OAuthSettings;

/// The most codes, access tokens and refresh tokens kept, each.
pub const MAX_TOKENS: usize = 10_000;
/// How long a code may wait to be exchanged.
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// The largest token request read.
const MAX_TOKEN_FORM: usize = 16 * 1024;

struct Code {
    redirect_uri: String,
    issued: Instant,
}

#[derive(Default)]
struct Memory {
    codes: HashMap<String, Code>,
    /// access token -> when it expires (None: never).
    access: HashMap<String, (Instant, Option<Instant>)>,
    /// refresh token -> when it was issued.
    refresh: HashMap<String, Instant>,
}

/// A running authorization server.
pub struct OAuthServer {
    /// What it was configured with.
    pub settings: OAuthSettings,
    memory: Mutex<Memory>,
}

fn new_token(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Keep at most `MAX_TOKENS - 1` entries, dropping the oldest.
fn make_room<V>(map: &mut HashMap<String, V>, issued: impl Fn(&V) -> Instant) {
    while map.len() >= MAX_TOKENS {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| issued(v))
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        map.remove(&oldest);
    }
}

impl OAuthServer {
    /// A server with no codes or tokens yet.
    pub fn new(settings: OAuthSettings) -> Self {
        OAuthServer {
            settings,
            memory: Mutex::new(Memory::default()),
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `token` is an access token it issued that has not expired.
    pub fn accepts(&self, token: &str) -> bool {
        let now = Instant::now();
        self.memory()
            .access
            .get(token)
            .is_some_and(|(_, exp)| exp.is_none_or(|e| e > now))
    }

    fn issue(&self, m: &mut Memory) -> serde_json::Value {
        let now = Instant::now();
        let access = new_token("at");
        let secs = self.settings.access_token_seconds;
        make_room(&mut m.access, |(issued, _)| *issued);
        m.access.insert(
            access.clone(),
            (now, (secs > 0).then(|| now + Duration::from_secs(secs))),
        );
        let mut body = json!({"access_token": access, "token_type": "Bearer"});
        if secs > 0 {
            body["expires_in"] = json!(secs);
        }
        if self.settings.refresh_tokens {
            let refresh = new_token("rt");
            make_room(&mut m.refresh, |issued| *issued);
            m.refresh.insert(refresh.clone(), now);
            body["refresh_token"] = json!(refresh);
        }
        body
    }
}

/// The authorize and token endpoints, at the app's root.
pub fn routes(server: Arc<OAuthServer>) -> Router {
    let (a, t) = (
        server.settings.authorize_path.clone(),
        server.settings.token_path.clone(),
    );
    Router::new()
        .route(&a, get(authorize))
        .route(&t, post(token))
        .with_state(server)
}

fn json_answer(status: StatusCode, v: serde_json::Value) -> Response {
    let mut r = (status, v.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", q.finish())
}

/// RFC 6749 §4.1.1–4.1.2: errors about the client or the redirect URI are shown (400), never
/// redirected; the others go back to the redirect URI with `error`.
async fn authorize(State(s): State<Arc<OAuthServer>>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    if q.len() > 8 * 1024 {
        return json_answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_request", "error_description": "the query is too long"}),
        );
    }
    let params: HashMap<String, String> =
        form_urlencoded::parse(q.as_bytes()).into_owned().collect();
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != s.settings.client_id {
        return json_answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "unauthorized_client", "error_description": "unknown client_id"}),
        );
    }
    let redirect_uri = get("redirect_uri");
    if reqwest::Url::parse(redirect_uri)
        .ok()
        .is_none_or(|u| !matches!(u.scheme(), "https" | "http"))
    {
        return json_answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_request", "error_description": "redirect_uri must be an absolute http(s) URL"}),
        );
    }
    let state = get("state");
    if get("response_type") != "code" {
        return redirect(&with_params(
            redirect_uri,
            &[("error", "unsupported_response_type"), ("state", state)],
        ));
    }
    let code = new_token("code");
    {
        let mut m = s.memory();
        let now = Instant::now();
        m.codes
            .retain(|_, c| now.duration_since(c.issued) < CODE_LIFETIME);
        make_room(&mut m.codes, |c| c.issued);
        m.codes.insert(
            code.clone(),
            Code {
                redirect_uri: redirect_uri.to_string(),
                issued: now,
            },
        );
    }
    let mut back = vec![("code", code.as_str())];
    if !state.is_empty() {
        back.push(("state", state));
    }
    redirect(&with_params(redirect_uri, &back))
}

/// RFC 6749 §4.1.3 and §6: the code (once, within a minute, for the same redirect URI) or a
/// refresh token, from the registered client.
async fn token(State(s): State<Arc<OAuthServer>>, headers: HeaderMap, body: Body) -> Response {
    let bytes = match super::server::read_body(body, MAX_TOKEN_FORM, Duration::from_secs(30)).await
    {
        Ok(b) => b,
        Err(_) => {
            return json_answer(
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_description": "the form is too large or incomplete"}),
            );
        }
    };
    let form: HashMap<String, String> = form_urlencoded::parse(&bytes).into_owned().collect();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    // client_secret_basic, else client_secret_post.
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        });
    let (id, secret) = basic.unwrap_or((
        get("client_id").to_string(),
        get("client_secret").to_string(),
    ));
    let id_ok: bool = id.as_bytes().ct_eq(s.settings.client_id.as_bytes()).into();
    let secret_ok: bool = secret
        .as_bytes()
        .ct_eq(s.settings.client_secret.as_bytes())
        .into();
    if !(id_ok && secret_ok) {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"}),
        );
    }
    let invalid_grant = |why: &str| {
        json_answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": why}),
        )
    };
    let mut m = s.memory();
    match get("grant_type") {
        "authorization_code" => {
            let Some(code) = m.codes.remove(get("code")) else {
                return invalid_grant("unknown or already used code");
            };
            if code.issued.elapsed() >= CODE_LIFETIME {
                return invalid_grant("the code expired");
            }
            if !get("redirect_uri").is_empty() && get("redirect_uri") != code.redirect_uri {
                return invalid_grant("redirect_uri differs from the authorize request's");
            }
            let body = s.issue(&mut m);
            json_answer(StatusCode::OK, body)
        }
        "refresh_token" if s.settings.refresh_tokens => {
            // Rotated: the refresh token is used once.
            if m.refresh.remove(get("refresh_token")).is_none() {
                return invalid_grant("unknown or already used refresh token");
            }
            let body = s.issue(&mut m);
            json_answer(StatusCode::OK, body)
        }
        other => json_answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type", "error_description": format!("grant_type {other:?} is not supported")}),
        ),
    }
}
