//! The simulated Okta IdP over HTTP (`okta-sim saml idp`): the metadata URL, the SSO URL for
//! SP-initiated login (HTTP-Redirect and HTTP-POST bindings), and the same SSO URL fetched
//! without a request as the IdP-initiated launch (okta-saml §1.3: a plain GET of the SSO URL
//! starts an IdP-initiated login). Answers are the auto-submitting form a browser would get.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::idp::{
    IdpError, ResponseSpec, SamlApp, SamlUser, base64_encode, decode_authn_request,
    parse_authn_request, post_form, verify_redirect_signature,
};
use super::keys::SigningKey;

/// The IdP a running `okta-sim saml idp` serves.
pub struct IdpState {
    /// The app the IdP serves.
    pub app: SamlApp,
    /// The signing key.
    pub key: SigningKey,
    /// The user who is signed in at the IdP.
    pub user: SamlUser,
}

impl IdpState {
    /// What `okta-sim saml idp` prints when it is ready.
    pub fn banner(&self) -> String {
        format!(
            "okta-sim IdP\n  issuer         {}\n  metadata       {}\n  SSO URL        {}  (SP-initiated: HTTP-Redirect or HTTP-POST)\n  launch URL     {}  (IdP-initiated, a plain GET)\n  ACS            {}\n  signed-in user {}\nPress Ctrl-C to stop.",
            self.app.issuer(),
            self.app.metadata_url(),
            self.app.sso_url(),
            self.app.sso_url(),
            self.app.acs_url,
            self.user.name_id
        )
    }
}

/// What an ACS answered to a posted response.
#[derive(Debug, Clone)]
pub struct AcsAnswer {
    /// The ACS posted to.
    pub acs: String,
    /// The status it answered.
    pub status: u16,
    /// Where it redirected, if it did.
    pub location: Option<String>,
    /// The body it answered.
    pub body: String,
}

impl AcsAnswer {
    /// A 2xx or 3xx answer: the SP took the response.
    pub fn accepted(&self) -> bool {
        (200..400).contains(&self.status)
    }
}

impl std::fmt::Display for AcsAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "POST {} -> {}", self.acs, self.status)?;
        if let Some(l) = &self.location {
            write!(f, "\nLocation: {l}")?;
        }
        if !self.body.is_empty() {
            write!(f, "\n{}", crate::text::brief(&self.body, 2000))?;
        }
        Ok(())
    }
}

/// Why a response could not be posted.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The ACS did not answer.
    /// The ACS did not answer.
    #[error("cannot post to {acs}: {reason}")]
    Unreachable {
        /// The ACS URL.
        acs: String,
        /// What went wrong.
        reason: String,
    },
}

/// Post a base64 `SAMLResponse` (and RelayState) to an ACS as a browser's form would.
pub async fn post_to_acs(
    acs: &str,
    saml_response: &str,
    relay_state: Option<&str>,
) -> Result<AcsAnswer, PostError> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("SAMLResponse", saml_response);
    if let Some(r) = relay_state {
        form.append_pair("RelayState", r);
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| PostError::Client(e.to_string()))?;
    let resp = client
        .post(acs)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.finish())
        .send()
        .await
        .map_err(|e| PostError::Unreachable {
            acs: acs.to_string(),
            reason: e.to_string(),
        })?;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = resp.text().await.unwrap_or_default();
    Ok(AcsAnswer {
        acs: acs.to_string(),
        status,
        location,
        body,
    })
}

fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn error(e: impl std::fmt::Display) -> Response {
    html(
        StatusCode::BAD_REQUEST,
        format!(
            "<!DOCTYPE html><html><body><h1>okta-sim IdP</h1><p>{}</p></body></html>",
            super::xml::escape_text(&e.to_string())
        ),
    )
}

/// The IdP's routes: metadata, SSO (both bindings) and IdP-initiated launch.
pub fn routes(state: Arc<IdpState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app/{exk}/sso/saml/metadata", get(metadata))
        .route("/app/{app}/{exk}/sso/saml", get(sso_get).post(sso_post))
        .with_state(state)
}

/// Serve the IdP on `addr`; `make_app` receives the server's own URL.
pub async fn serve(
    addr: SocketAddr,
    make_app: impl FnOnce(&str) -> SamlApp,
    key: SigningKey,
    user: SamlUser,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(&IdpState),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(listener, make_app, key, user, shutdown, on_ready).await
}

/// Serve the IdP on a listener already bound (so its URL is known before it serves).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    make_app: impl FnOnce(&str) -> SamlApp,
    key: SigningKey,
    user: SamlUser,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(&IdpState),
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let app = make_app(&format!("http://{local}"));
    let state = Arc::new(IdpState { app, key, user });
    on_ready(&state);
    axum::serve(listener, routes(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn index(State(s): State<Arc<IdpState>>) -> Response {
    let a = &s.app;
    html(
        StatusCode::OK,
        format!(
            "<!DOCTYPE html><html><body><h1>okta-sim IdP</h1><ul>\
             <li>Issuer / entity ID: <code>{}</code></li><li><a href=\"{}\">Metadata</a></li>\
             <li>SSO URL: <code>{}</code></li><li><a href=\"{}\">Sign in to the app as {}</a> (IdP-initiated)</li></ul></body></html>",
            super::xml::escape_text(&a.issuer()),
            super::xml::escape_attr(&a.metadata_url()),
            super::xml::escape_text(&a.sso_url()),
            super::xml::escape_attr(&a.sso_url()),
            super::xml::escape_text(&s.user.name_id),
        ),
    )
}

async fn metadata(State(s): State<Arc<IdpState>>, Path(exk): Path<String>) -> Response {
    if exk != s.app.entity_key {
        return (StatusCode::NOT_FOUND, "no such app").into_response();
    }
    let mut r = s.app.metadata(&s.key).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    r
}

fn user_for(s: &IdpState, params: &HashMap<String, String>) -> SamlUser {
    let mut u = s.user.clone();
    if let Some(hint) = params.get("login_hint").filter(|h| !h.is_empty()) {
        u.name_id = hint.clone();
        u.email = hint.clone();
    }
    u
}

fn respond(
    s: &IdpState,
    user: &SamlUser,
    in_response_to: Option<&str>,
    relay_state: Option<String>,
) -> Response {
    let spec = ResponseSpec::for_user(&s.app, user, in_response_to);
    match spec.to_xml(&s.key) {
        Ok(xml) => html(
            StatusCode::OK,
            post_form(&s.app.acs_url, &base64_encode(&xml), relay_state.as_deref()),
        ),
        Err(e) => error(e),
    }
}

fn sp_initiated(
    s: &IdpState,
    params: &HashMap<String, String>,
    request: &str,
    deflated: bool,
) -> Result<Response, IdpError> {
    let xml = decode_authn_request(request, deflated)?;
    let info = parse_authn_request(&xml)?;
    if let Some(acs) = &info.acs_url
        && acs != &s.app.acs_url
    {
        return Err(IdpError::AcsNotAllowed(acs.clone(), s.app.acs_url.clone()));
    }
    Ok(respond(
        s,
        &user_for(s, params),
        Some(&info.id),
        params.get("RelayState").cloned(),
    ))
}

async fn sso_get(
    State(s): State<Arc<IdpState>>,
    Path((_app, exk)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    if exk != s.app.entity_key {
        return (StatusCode::NOT_FOUND, "no such app").into_response();
    }
    let raw = q.unwrap_or_default();
    let params: HashMap<String, String> = form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    match params.get("SAMLRequest") {
        Some(req) => {
            if let Some(cert) = &s.app.sp_request_cert
                && let Err(e) = verify_redirect_signature(&raw, cert)
            {
                return error(e);
            }
            sp_initiated(&s, &params, req, true).unwrap_or_else(error)
        }
        // IdP-initiated: an unsolicited response with the app's default RelayState.
        None => respond(
            &s,
            &user_for(&s, &params),
            None,
            s.app.default_relay_state.clone(),
        ),
    }
}

async fn sso_post(
    State(s): State<Arc<IdpState>>,
    Path((_app, exk)): Path<(String, String)>,
    body: Body,
) -> Response {
    if exk != s.app.entity_key {
        return (StatusCode::NOT_FOUND, "no such app").into_response();
    }
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return error("the form is too large");
    };
    let params: HashMap<String, String> = form_urlencoded::parse(&bytes).into_owned().collect();
    match params.get("SAMLRequest") {
        Some(req) => sp_initiated(&s, &params, req, false).unwrap_or_else(error),
        None => error("no SAMLRequest in the form"),
    }
}
