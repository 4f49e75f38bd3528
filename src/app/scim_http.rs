//! The reference app's SCIM HTTP API (RFC 7644 §3): `/Users`, `/Groups` and the discovery
//! endpoints, behind bearer-token authentication, answering only SCIM bodies (errors included:
//! RFC 7644 §3.12, okta-scim-wire §9). Bad input never reaches the store: bodies over 1 MiB
//! (413), non-JSON content types (415), malformed JSON (400 invalidSyntax).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::scim::error::ScimError;
use crate::scim::list::{ListQuery, MAX_COUNT, list_response, list_response_text};
use crate::scim::patch::parse_patch;
use crate::scim::resource::Projection;
use crate::scim::schema::{
    ResourceKind, SERVICE_PROVIDER_CONFIG_SCHEMA, resource_type_json, schemas_of,
};

use super::profile::PatchResponse;
use super::server::BodyError;
use super::store::{Rendered, Store};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub const SCIM_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";

/// What every handler needs.
pub struct ScimState {
    pub store: Arc<Store>,
    pub token: String,
    /// Absolute URL of the SCIM base, e.g. `http://127.0.0.1:8080/scim/v2`.
    pub base_url: String,
    /// How long a request body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// The app's OAuth authorization server, whose access tokens are accepted too.
    pub oauth: Option<Arc<super::oauth::OAuthServer>>,
}

/// A SCIM response: JSON body with the SCIM media type, or an error.
pub enum ScimResponse {
    Json(StatusCode, Value, Vec<(header::HeaderName, String)>),
    /// A JSON body already written (a list answered from the stored text).
    JsonText(StatusCode, String),
    NoContent,
    NotModified(String),
    Error(ScimError),
}

impl From<ScimError> for ScimResponse {
    fn from(e: ScimError) -> Self {
        ScimResponse::Error(e)
    }
}

impl IntoResponse for ScimResponse {
    fn into_response(self) -> Response {
        match self {
            ScimResponse::Json(status, body, headers) => {
                let mut resp = (status, body.to_string()).into_response();
                let h = resp.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(SCIM_CONTENT_TYPE),
                );
                for (name, value) in headers {
                    if let Ok(v) = HeaderValue::from_str(&value) {
                        h.insert(name, v);
                    }
                }
                resp
            }
            ScimResponse::JsonText(status, body) => {
                let mut resp = (status, body).into_response();
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(SCIM_CONTENT_TYPE),
                );
                resp
            }
            ScimResponse::NoContent => StatusCode::NO_CONTENT.into_response(),
            ScimResponse::NotModified(etag) => {
                let mut resp = StatusCode::NOT_MODIFIED.into_response();
                if let Ok(v) = HeaderValue::from_str(&etag) {
                    resp.headers_mut().insert(header::ETAG, v);
                }
                resp
            }
            ScimResponse::Error(e) => error_response(&e),
        }
    }
}

pub fn error_response(e: &ScimError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = (status, e.to_json().to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SCIM_CONTENT_TYPE),
    );
    if e.status == 401 {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"okta-sim\""),
        );
    }
    resp
}

type Result<T> = std::result::Result<T, ScimError>;

/// The SCIM routes, relative to the base path.
pub fn scim_routes(state: Arc<ScimState>) -> Router {
    let mut router = Router::new();
    // The app's own resource types (Okta's Roles, Entitlements…): Okta only reads them.
    for kind in state.store.kinds().custom.clone() {
        let endpoint = kind.endpoint();
        router = router
            .route(
                endpoint,
                get(move |State(s): St, RawQuery(q): RawQuery| async move {
                    flatten(list(&s, kind, q).await)
                }),
            )
            .route(
                &format!("{endpoint}/.search"),
                axum::routing::post(move |State(s): St, h: HeaderMap, body: Body| async move {
                    flatten(search(&s, Some(kind), &h, body).await)
                }),
            )
            .route(
                &format!("{endpoint}/{{id}}"),
                get(
                    move |State(s): St,
                          ResourceId(id): ResourceId,
                          RawQuery(q): RawQuery,
                          h: HeaderMap| async move {
                        flatten(get_one(&s, kind, &id, q, &h).await)
                    },
                ),
            );
    }
    router
        .route("/.search", axum::routing::post(search_root))
        .route("/Users/.search", axum::routing::post(search_users))
        .route("/Groups/.search", axum::routing::post(search_groups))
        .route("/Users", get(list_users).post(create_user))
        .route(
            "/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route("/Groups", get(list_groups).post(create_group))
        .route(
            "/Groups/{id}",
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group),
        )
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state)
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ScimResponse {
    ScimError::not_found(format!("no SCIM endpoint at {method} {}", uri.path())).into()
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ScimResponse {
    ScimError::new(
        405,
        None,
        format!("{method} is not supported on {}", uri.path()),
    )
    .into()
}

/// Accepts `Authorization: Bearer <token>` and, as Okta's Header Auth template sends whatever
/// the admin typed (okta-scim-wire §8.3), the bare token. Compared in constant time.
async fn authenticate(State(state): State<Arc<ScimState>>, req: Request, next: Next) -> Response {
    // Kept for the debug line only when it will be written.
    let seen = tracing::enabled!(tracing::Level::DEBUG)
        .then(|| (req.method().clone(), req.uri().path().to_string()));
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    let ok = presented.as_deref().is_some_and(|v| {
        token_matches(v, state.token.as_bytes())
            || state.oauth.as_ref().is_some_and(|o| {
                v.get(..7)
                    .is_some_and(|s| s.eq_ignore_ascii_case(b"bearer "))
                    && std::str::from_utf8(&v[7..]).is_ok_and(|t| o.accepts(t.trim()))
            })
    });
    let resp = if ok {
        // The workspace is provisioned over SCIM from now on (Atomation's JIT rule).
        state.store.mark_scim_in_use();
        next.run(req).await
    } else {
        let detail = if presented.is_none() {
            "authentication required: send Authorization: Bearer <token>"
        } else {
            "the token in the Authorization header is not valid for this app"
        };
        error_response(&ScimError::unauthorized(detail))
    };
    if let Some((method, path)) = seen {
        tracing::debug!(%method, %path, status = resp.status().as_u16(), "scim request");
    }
    resp
}

fn token_matches(presented: &[u8], token: &[u8]) -> bool {
    let credential = match presented.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case(b"bearer ") => {
            presented[7..].trim_ascii_start()
        }
        _ => presented,
    };
    credential.ct_eq(token).into()
}

/// Read a request body of at most [`MAX_BODY_BYTES`]; a larger one is read to its end (up to
/// [`super::server::DRAIN_CAP`]) and answered 413, so the client gets the answer, not a broken pipe.
pub(crate) async fn read_body(body: Body, timeout: std::time::Duration) -> Result<Bytes> {
    super::server::read_body(body, MAX_BODY_BYTES, timeout)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge { .. } => ScimError::payload_too_large(format!(
                "the request body is larger than {MAX_BODY_BYTES} bytes"
            )),
            BodyError::Incomplete => ScimError::new(
                408,
                None,
                "the request body did not arrive in time, or the connection broke",
            ),
        })
}

/// Read a JSON body: content type, size and syntax are checked before anything else happens.
async fn read_json(
    headers: &HeaderMap,
    body: Body,
    body_timeout: std::time::Duration,
) -> Result<Value> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if ct != "application/scim+json" && ct != "application/json" {
            return Err(ScimError::new(
                415,
                None,
                format!(
                    "Content-Type {ct:?} is not supported: send application/scim+json or application/json"
                ),
            ));
        }
    }
    let bytes = read_body(body, body_timeout).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("the request body is empty"));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ScimError::invalid_syntax(format!("the request body is not valid JSON: {e}")))
}

fn if_match(headers: &HeaderMap) -> Result<Option<String>> {
    match headers.get(header::IF_MATCH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.to_string()))
            .map_err(|_| ScimError::invalid_syntax("If-Match is not a valid header value")),
    }
}

fn resource_response(status: StatusCode, r: Rendered, location: bool) -> ScimResponse {
    let mut headers = vec![(header::ETAG, r.etag.clone())];
    if location
        && let Some(loc) = r
            .body
            .get("meta")
            .and_then(|m| m.get("location"))
            .and_then(Value::as_str)
    {
        headers.push((header::LOCATION, loc.to_string()));
    }
    ScimResponse::Json(status, Value::Object(r.body), headers)
}

async fn list(
    state: &ScimState,
    kind: ResourceKind,
    query: Option<String>,
) -> Result<ScimResponse> {
    // The app's own type (its extensions, its case rules) parses the query.
    let kind = state.store.kinds().own(kind);
    let q = ListQuery::parse(kind, query.as_deref())?;
    let (total, page) = state.store.list_json(kind, &q, &state.base_url);
    Ok(ScimResponse::JsonText(
        StatusCode::OK,
        list_response_text(&page, total, q.start_index),
    ))
}

async fn get_one(
    state: &ScimState,
    kind: ResourceKind,
    id: &str,
    query: Option<String>,
    headers: &HeaderMap,
) -> Result<ScimResponse> {
    let kind = state.store.kinds().own(kind);
    let params = crate::scim::filter::decode_query(query.as_deref().unwrap_or(""));
    let get = |n: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let projection = Projection::parse(kind, get("attributes"), get("excludedAttributes"))?;
    let r = state.store.get(kind, id, &state.base_url, &projection)?;
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        && inm
            .split(',')
            .any(|t| t.trim() == r.etag || t.trim() == "*")
    {
        return Ok(ScimResponse::NotModified(r.etag));
    }
    Ok(resource_response(StatusCode::OK, r, false))
}

async fn create(
    state: &ScimState,
    kind: ResourceKind,
    headers: &HeaderMap,
    body: Body,
) -> Result<ScimResponse> {
    let v = read_json(headers, body, state.body_timeout).await?;
    let r = state.store.create(kind, &v, &state.base_url)?;
    Ok(resource_response(StatusCode::CREATED, r, true))
}

async fn replace(
    state: &ScimState,
    kind: ResourceKind,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<ScimResponse> {
    let im = if_match(headers)?;
    let v = read_json(headers, body, state.body_timeout).await?;
    let r = state
        .store
        .replace(kind, id, &v, im.as_deref(), &state.base_url)?;
    Ok(resource_response(StatusCode::OK, r, false))
}

async fn patch(
    state: &ScimState,
    kind: ResourceKind,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<ScimResponse> {
    let im = if_match(headers)?;
    let v = read_json(headers, body, state.body_timeout).await?;
    let ops = parse_patch(&v)?;
    let r = state
        .store
        .patch(kind, id, &ops, im.as_deref(), &state.base_url)?;
    Ok(match state.store.profile().patch_response {
        PatchResponse::Resource => resource_response(StatusCode::OK, r, false),
        PatchResponse::NoContent => ScimResponse::NoContent,
    })
}

async fn delete(
    state: &ScimState,
    kind: ResourceKind,
    id: &str,
    headers: &HeaderMap,
) -> Result<ScimResponse> {
    let im = if_match(headers)?;
    state.store.delete(kind, id, im.as_deref())?;
    Ok(ScimResponse::NoContent)
}

/// `POST /.search` and `POST {endpoint}/.search` (RFC 7644 §3.4.3): a SearchRequest body with
/// `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`, answered as the same
/// query string would be. On the root, every resource type is searched (users first) and one
/// ListResponse pages over all of them.
async fn search(
    state: &ScimState,
    kind: Option<ResourceKind>,
    headers: &HeaderMap,
    body: Body,
) -> Result<ScimResponse> {
    let v = read_json(headers, body, state.body_timeout).await?;
    let query = crate::scim::list::search_request_query(&v)?;
    match kind {
        Some(k) => list(state, k, Some(query)).await,
        None => {
            // Every type parses the query; a filter naming another type's attribute leaves a
            // type out. Totals first (no resource rendered), then only the asked window.
            let mut parsed = Vec::new();
            for k in state.store.kinds().all() {
                if let Ok(q) = ListQuery::parse(k, Some(&query)) {
                    let counting = ListQuery {
                        count: 0,
                        ..q.clone()
                    };
                    let (n, _) = state.store.list(k, &counting, &state.base_url);
                    parsed.push((k, q, n));
                }
            }
            let Some((_, first, _)) = parsed.first() else {
                // No type could parse it: report the User type's reason.
                ListQuery::parse(ResourceKind::User, Some(&query))?;
                return Err(ScimError::invalid_filter(
                    "the filter names no attribute of any resource type",
                ));
            };
            let total: usize = parsed.iter().map(|(_, _, n)| n).sum();
            let (start, window) = (first.start_index, first.page(total));
            let mut page: Vec<Value> = Vec::new();
            let mut offset = 0;
            for (k, q, n) in parsed {
                let lo = window.start.max(offset);
                let hi = window.end.min(offset + n);
                if lo < hi {
                    let part = ListQuery {
                        start_index: lo - offset + 1,
                        count: hi - lo,
                        ..q
                    };
                    let (_, items) = state.store.list(k, &part, &state.base_url);
                    page.extend(items.into_iter().map(Value::Object));
                }
                offset += n;
            }
            Ok(ScimResponse::Json(
                StatusCode::OK,
                list_response(page, total, start),
                vec![],
            ))
        }
    }
}

async fn search_root(State(s): St, h: HeaderMap, body: Body) -> ScimResponse {
    flatten(search(&s, None, &h, body).await)
}
async fn search_users(State(s): St, h: HeaderMap, body: Body) -> ScimResponse {
    flatten(search(&s, Some(ResourceKind::User), &h, body).await)
}
async fn search_groups(State(s): St, h: HeaderMap, body: Body) -> ScimResponse {
    flatten(search(&s, Some(ResourceKind::Group), &h, body).await)
}

fn flatten(r: Result<ScimResponse>) -> ScimResponse {
    r.unwrap_or_else(ScimResponse::Error)
}

type St = State<Arc<ScimState>>;

async fn list_users(State(s): St, RawQuery(q): RawQuery) -> ScimResponse {
    flatten(list(&s, ResourceKind::User, q).await)
}
async fn list_groups(State(s): St, RawQuery(q): RawQuery) -> ScimResponse {
    flatten(list(&s, ResourceKind::Group, q).await)
}
async fn get_user(
    State(s): St,
    ResourceId(id): ResourceId,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> ScimResponse {
    flatten(get_one(&s, ResourceKind::User, &id, q, &h).await)
}
async fn get_group(
    State(s): St,
    ResourceId(id): ResourceId,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> ScimResponse {
    flatten(get_one(&s, ResourceKind::Group, &id, q, &h).await)
}
async fn create_user(State(s): St, h: HeaderMap, body: Body) -> ScimResponse {
    flatten(create(&s, ResourceKind::User, &h, body).await)
}
async fn create_group(State(s): St, h: HeaderMap, body: Body) -> ScimResponse {
    flatten(create(&s, ResourceKind::Group, &h, body).await)
}
async fn replace_user(
    State(s): St,
    ResourceId(id): ResourceId,
    h: HeaderMap,
    body: Body,
) -> ScimResponse {
    flatten(replace(&s, ResourceKind::User, &id, &h, body).await)
}
async fn replace_group(
    State(s): St,
    ResourceId(id): ResourceId,
    h: HeaderMap,
    body: Body,
) -> ScimResponse {
    flatten(replace(&s, ResourceKind::Group, &id, &h, body).await)
}
async fn patch_user(
    State(s): St,
    ResourceId(id): ResourceId,
    h: HeaderMap,
    body: Body,
) -> ScimResponse {
    flatten(patch(&s, ResourceKind::User, &id, &h, body).await)
}
async fn patch_group(
    State(s): St,
    ResourceId(id): ResourceId,
    h: HeaderMap,
    body: Body,
) -> ScimResponse {
    flatten(patch(&s, ResourceKind::Group, &id, &h, body).await)
}
async fn delete_user(State(s): St, ResourceId(id): ResourceId, h: HeaderMap) -> ScimResponse {
    flatten(delete(&s, ResourceKind::User, &id, &h).await)
}
async fn delete_group(State(s): St, ResourceId(id): ResourceId, h: HeaderMap) -> ScimResponse {
    flatten(delete(&s, ResourceKind::Group, &id, &h).await)
}

async fn service_provider_config(State(s): St) -> ScimResponse {
    let body = json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": true},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the bearer token printed by okta-sim serve",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", s.base_url)}
    });
    ScimResponse::Json(StatusCode::OK, body, vec![])
}

async fn resource_types(State(s): St) -> ScimResponse {
    let items: Vec<Value> = s
        .store
        .kinds()
        .all()
        .iter()
        .map(|k| resource_type_json(*k, &format!("{}/ResourceTypes/{}", s.base_url, k.name())))
        .collect();
    let n = items.len();
    ScimResponse::Json(StatusCode::OK, list_response(items, n, 1), vec![])
}

async fn resource_type(State(s): St, ResourceId(id): ResourceId) -> ScimResponse {
    match s
        .store
        .kinds()
        .all()
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(&id))
    {
        Some(k) => ScimResponse::Json(
            StatusCode::OK,
            resource_type_json(k, &format!("{}/ResourceTypes/{}", s.base_url, k.name())),
            vec![],
        ),
        None => ScimError::not_found(format!("no resource type {id:?}")).into(),
    }
}

/// A schema document as the app enforces it: the core User attributes its profile makes
/// immutable say so, and those it computes (the roles of its role groups, the privileges a
/// sign-in applies) are readOnly.
fn as_enforced(store: &Store, mut doc: Value) -> Value {
    if doc.get("id").and_then(Value::as_str) != Some(crate::scim::schema::USER_SCHEMA) {
        return doc;
    }
    let p = store.profile();
    let mut computed: Vec<&str> = Vec::new();
    if !p.role_groups.is_empty() || p.sign_in_privileges.is_some() {
        computed.push("roles");
    }
    if p.sign_in_privileges.is_some() {
        computed.push("entitlements");
    }
    if let Some(Value::Array(attrs)) = doc.get_mut("attributes") {
        for a in attrs.iter_mut() {
            let name = a.get("name").and_then(Value::as_str).unwrap_or_default();
            let mutability = if computed.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                "readOnly"
            } else if p
                .immutable_user_attributes
                .iter()
                .any(|i| i.eq_ignore_ascii_case(name))
            {
                "immutable"
            } else {
                continue;
            };
            a["mutability"] = json!(mutability);
            if let Some(Value::Array(subs)) = a.get_mut("subAttributes") {
                for sub in subs.iter_mut() {
                    sub["mutability"] = json!(mutability);
                }
            }
        }
    }
    doc
}

async fn schemas(State(s): St) -> ScimResponse {
    let items: Vec<Value> = schemas_of(&s.store.kinds().all())
        .iter()
        .map(|d| {
            as_enforced(
                &s.store,
                d.to_json(&format!("{}/Schemas/{}", s.base_url, d.id)),
            )
        })
        .collect();
    let n = items.len();
    ScimResponse::Json(StatusCode::OK, list_response(items, n, 1), vec![])
}

async fn schema(State(s): St, ResourceId(id): ResourceId) -> ScimResponse {
    match schemas_of(&s.store.kinds().all())
        .into_iter()
        .find(|d| d.id.eq_ignore_ascii_case(&id))
    {
        Some(d) => ScimResponse::Json(
            StatusCode::OK,
            as_enforced(
                &s.store,
                d.to_json(&format!("{}/Schemas/{}", s.base_url, d.id)),
            ),
            vec![],
        ),
        None => ScimError::not_found(format!("no schema {id:?}")).into(),
    }
}

/// A resource id from the path. An id that is not valid UTF-8 names no resource: 404 with a
/// SCIM Error, like any other unknown id (axum's own rejection would be plain text).
pub(crate) struct ResourceId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ResourceId {
    type Rejection = ScimResponse;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| ResourceId(id))
            .map_err(|e| {
                ScimError::not_found(format!(
                    "no resource has the id in {}: {e}",
                    parts.uri.path()
                ))
                .into()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_matching_accepts_bearer_any_case_and_bare_token() {
        assert!(token_matches(b"Bearer s3cret", b"s3cret"));
        assert!(token_matches(b"bearer   s3cret", b"s3cret"));
        assert!(token_matches(b"s3cret", b"s3cret"));
        assert!(!token_matches(b"Bearer s3cre", b"s3cret"));
        assert!(!token_matches(b"Basic s3cret", b"s3cret"));
        assert!(!token_matches(b"", b"s3cret"));
    }
}
