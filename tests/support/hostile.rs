//! A hostile target: a proxy in front of a reference app that answers what the app answers, but
//! misbehaves on the way back (pads every body, echoes the credential, sends terminal escapes,
//! answers 429 forever, or never answers every other request).
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// How the proxy misbehaves.
#[derive(Clone, Debug)]
pub enum Hostility {
    /// Every body gets this many bytes of JSON whitespace after it (still valid JSON).
    Pad(usize),
    /// Every JSON object answered gets a `padding` string of this many bytes (still valid JSON,
    /// and nothing can compact it away).
    PadInString(usize),
    /// Every answer carries the Authorization value it got: in a header, in the JSON body
    /// (`echo`), and the bare token inside `detail`.
    EchoCredential,
    /// Every body is followed by raw terminal escapes, a carriage return, a forged result line
    /// and a bidi override.
    Escapes,
    /// Every request is answered 429 with this Retry-After.
    Always429(&'static str),
    /// Every other request is never answered.
    TimeoutEveryOther,
}

pub struct HostileProxy {
    pub base_url: String,
    pub requests: Arc<AtomicUsize>,
}

struct Proxy {
    upstream: String,
    how: Hostility,
    http: reqwest::Client,
    requests: Arc<AtomicUsize>,
}

/// The raw bytes `Escapes` appends.
pub const ESCAPES: &[u8] =
    b"\x1b]0;pwned\x07\x1b[2J\x1b[31m\r\nPASS  Forged \xe2\x80\xae result line\x1b[0m";

impl HostileProxy {
    /// A proxy at a free port in front of `upstream` (a SCIM base URL).
    pub async fn start(upstream: &str, how: Hostility) -> HostileProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let state = Arc::new(Proxy {
            upstream: upstream.trim_end_matches('/').to_string(),
            how,
            http: reqwest::Client::new(),
            requests: requests.clone(),
        });
        let app = axum::Router::new().fallback(forward).with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        HostileProxy {
            base_url: format!("http://{addr}/scim/v2"),
            requests,
        }
    }
}

async fn forward(State(p): State<Arc<Proxy>>, req: Request) -> Response {
    let n = p.requests.fetch_add(1, Ordering::SeqCst);
    match &p.how {
        Hostility::Always429(retry_after) => {
            let mut h = HeaderMap::new();
            h.insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
            return (StatusCode::TOO_MANY_REQUESTS, h, "slow down").into_response();
        }
        Hostility::TimeoutEveryOther if n % 2 == 1 => {
            std::future::pending::<()>().await;
        }
        _ => {}
    }
    let (parts, body) = req.into_parts();
    let auth = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let rest = path.strip_prefix("/scim/v2").unwrap_or(&path);
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let mut rb = p
        .http
        .request(parts.method.clone(), format!("{}{rest}", p.upstream));
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT] {
        if let Some(v) = parts.headers.get(&name) {
            rb = rb.header(name, v);
        }
    }
    let Ok(resp) = rb.body(bytes).send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let mut headers = HeaderMap::new();
    for name in [
        header::CONTENT_TYPE,
        header::LOCATION,
        header::ETAG,
        header::WWW_AUTHENTICATE,
    ] {
        if let Some(v) = resp.headers().get(name.as_str())
            && let Ok(v) = HeaderValue::from_bytes(v.as_bytes())
        {
            headers.insert(name, v);
        }
    }
    let mut body = resp.bytes().await.unwrap_or_default().to_vec();
    match &p.how {
        Hostility::Pad(n) => body.extend(std::iter::repeat_n(b' ', *n)),
        Hostility::PadInString(n) => {
            if let Ok(serde_json::Value::Object(mut o)) = serde_json::from_slice(&body) {
                o.insert("padding".into(), "x".repeat(*n).into());
                body = serde_json::to_vec(&o).unwrap();
            }
        }
        Hostility::EchoCredential => {
            let token = auth
                .split_once(' ')
                .map(|(_, t)| t)
                .unwrap_or(&auth)
                .to_string();
            if let Ok(v) = HeaderValue::from_str(&auth) {
                headers.insert("x-echo", v);
            }
            if let Ok(serde_json::Value::Object(mut o)) = serde_json::from_slice(&body) {
                o.insert("echo".into(), auth.clone().into());
                o.insert(
                    "detail".into(),
                    format!("your token {token} is fine").into(),
                );
                body = serde_json::to_vec(&o).unwrap();
            } else {
                body.extend(format!(" echo: {auth}").bytes());
            }
        }
        Hostility::Escapes => body.extend_from_slice(ESCAPES),
        _ => {}
    }
    let mut r = Response::new(Body::from(Bytes::from(body)));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}
