//! Fault switches: deliberate, documented deviations that turn the reference app into the kind
//! of broken server okta-sim must catch. `okta-sim serve --fault NAME` shows a vendor what each
//! failure looks like; the test suite proves the right check fails with the right grade.
//!
//! They are applied as one middleware around the SCIM routes, so the well-behaved code paths
//! stay free of them.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::scim_http::{MAX_BODY_BYTES, ScimResponse, ScimState, error_response};
use crate::scim::error::ScimError;
use crate::scim::resource::Projection;
use crate::scim::schema::ResourceKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    IgnorePaging,
    ItemsPerPageIsCount,
    StringPaging,
    CreateWithoutId,
    NoConflictOnDuplicate,
    IgnoreDeactivation,
    RefusePathlessPatch,
    RefuseMemberFilter,
    RefuseRename,
    Plain401,
    Patch500,
    KeepDuplicateMembers,
    MembersNull,
    NumericErrorStatus,
}

impl Fault {
    pub const ALL: [Fault; 14] = [
        Fault::IgnorePaging,
        Fault::ItemsPerPageIsCount,
        Fault::StringPaging,
        Fault::CreateWithoutId,
        Fault::NoConflictOnDuplicate,
        Fault::IgnoreDeactivation,
        Fault::RefusePathlessPatch,
        Fault::RefuseMemberFilter,
        Fault::RefuseRename,
        Fault::Plain401,
        Fault::Patch500,
        Fault::KeepDuplicateMembers,
        Fault::MembersNull,
        Fault::NumericErrorStatus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::IgnorePaging => "ignore-paging",
            Fault::ItemsPerPageIsCount => "items-per-page-is-count",
            Fault::StringPaging => "string-paging",
            Fault::CreateWithoutId => "create-without-id",
            Fault::NoConflictOnDuplicate => "no-conflict-on-duplicate",
            Fault::IgnoreDeactivation => "ignore-deactivation",
            Fault::RefusePathlessPatch => "refuse-pathless-patch",
            Fault::RefuseMemberFilter => "refuse-member-filter",
            Fault::RefuseRename => "refuse-rename",
            Fault::Plain401 => "plain-401",
            Fault::Patch500 => "patch-500",
            Fault::KeepDuplicateMembers => "keep-duplicate-members",
            Fault::MembersNull => "members-null",
            Fault::NumericErrorStatus => "numeric-error-status",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Fault::IgnorePaging => "lists return every resource whatever startIndex and count say",
            Fault::ItemsPerPageIsCount => {
                "itemsPerPage is the count asked for, not the number returned"
            }
            Fault::StringPaging => "totalResults, startIndex and itemsPerPage are strings",
            Fault::CreateWithoutId => "201 answers to POST carry no id",
            Fault::NoConflictOnDuplicate => {
                "a duplicate userName is answered 201 with the existing user instead of 409"
            }
            Fault::IgnoreDeactivation => "active:false is answered 200 but not applied",
            Fault::RefusePathlessPatch => "PATCH operations without a path are refused with 400",
            Fault::RefuseMemberFilter => "PATCH paths with a [filter] are refused with 400",
            Fault::RefuseRename => "group displayName changes by PATCH are refused with 400",
            Fault::Plain401 => "401 answers are text/plain, not a SCIM Error",
            Fault::Patch500 => "every PATCH fails with 500",
            Fault::KeepDuplicateMembers => "adding a member already present adds it again",
            Fault::MembersNull => "group PATCH answers have \"members\": null",
            Fault::NumericErrorStatus => "SCIM Error bodies carry status as a number",
        }
    }

    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }
}

pub type Faults = HashSet<Fault>;

/// A SCIM JSON answer, as the well-behaved routes write it.
fn json_response(status: StatusCode, body: &Value) -> Response {
    ScimResponse::Json(status, body.clone(), vec![]).into_response()
}

/// A SCIM Error answer, as the well-behaved routes write it.
fn scim_error(status: u16, detail: &str) -> Response {
    error_response(&ScimError::new(status, None, detail))
}

async fn body_json(resp: Response) -> (axum::http::response::Parts, Option<Value>, Bytes) {
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let v = serde_json::from_slice(&bytes).ok();
    (parts, v, bytes)
}

fn rebuild(mut parts: axum::http::response::Parts, v: &Value) -> Response {
    let text = v.to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

fn kind_of(path: &str) -> Option<(ResourceKind, Option<String>)> {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let kind = match parts.next()? {
        "Users" => ResourceKind::User,
        "Groups" => ResourceKind::Group,
        _ => return None,
    };
    Some((kind, parts.next().map(String::from)))
}

fn operations(body: &Value) -> Vec<Value> {
    body.get("Operations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn sets_inactive(method: &Method, body: &Value) -> bool {
    if method == Method::PUT {
        return body.get("active") == Some(&json!(false));
    }
    operations(body).iter().any(|op| {
        op.get("value").and_then(|v| v.get("active")) == Some(&json!(false))
            || (op
                .get("path")
                .and_then(Value::as_str)
                .is_some_and(|p| p.eq_ignore_ascii_case("active"))
                && op.get("value") == Some(&json!(false)))
    })
}

/// The middleware that applies the switched-on faults.
pub async fn apply(State(state): State<Arc<ScimState>>, req: Request, next: Next) -> Response {
    let faults = &state.faults;
    if faults.is_empty() {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let target = kind_of(&path);
    let authorized = req.headers().contains_key(header::AUTHORIZATION);

    // Read the request body once; faults may look at it.
    let (mut parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return scim_error(413, "the request body is too large"),
    };
    let req_json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let requested_count = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("count"))
        .and_then(|(_, v)| v.parse::<u64>().ok());

    if authorized {
        if method == Method::PATCH && faults.contains(&Fault::Patch500) {
            return scim_error(500, "internal error");
        }
        if method == Method::PATCH {
            let ops = operations(&req_json);
            if faults.contains(&Fault::RefusePathlessPatch)
                && ops.iter().any(|o| o.get("path").is_none())
            {
                return scim_error(400, "path is required");
            }
            if faults.contains(&Fault::RefuseMemberFilter)
                && ops.iter().any(|o| {
                    o.get("path")
                        .and_then(Value::as_str)
                        .is_some_and(|p| p.contains('['))
                })
            {
                return scim_error(400, "filters in paths are not supported");
            }
            if faults.contains(&Fault::RefuseRename)
                && matches!(target, Some((ResourceKind::Group, Some(_))))
                && ops.iter().any(|o| {
                    o.get("value").and_then(|v| v.get("displayName")).is_some()
                        || o.get("path")
                            .and_then(Value::as_str)
                            .is_some_and(|p| p.eq_ignore_ascii_case("displayName"))
                })
            {
                return scim_error(400, "displayName cannot be changed");
            }
        }
        if faults.contains(&Fault::IgnoreDeactivation)
            && (method == Method::PATCH || method == Method::PUT)
            && sets_inactive(&method, &req_json)
            && let Some((kind, Some(id))) = &target
        {
            return match state
                .store
                .get(*kind, id, &state.base_url, &Projection::default())
            {
                Ok(r) => json_response(StatusCode::OK, &Value::Object(r.body)),
                Err(e) => super::scim_http::error_response(&e),
            };
        }
        if faults.contains(&Fault::IgnorePaging)
            && method == Method::GET
            && matches!(target, Some((_, None)))
        {
            let others: Vec<(String, String)> =
                form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                    .filter(|(k, _)| {
                        !k.eq_ignore_ascii_case("count") && !k.eq_ignore_ascii_case("startIndex")
                    })
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.extend_pairs(others);
            q.append_pair("count", "1000");
            let new_uri = format!("{}?{}", parts.uri.path(), q.finish());
            if let Ok(u) = new_uri.parse() {
                parts.uri = u;
            }
        }
    }

    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    let status = resp.status();

    if status == StatusCode::UNAUTHORIZED && faults.contains(&Fault::Plain401) {
        let mut r = (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        return r;
    }
    if status == StatusCode::CONFLICT
        && method == Method::POST
        && faults.contains(&Fault::NoConflictOnDuplicate)
        && let Some(name) = req_json.get("userName").and_then(Value::as_str)
    {
        let q = crate::scim::list::ListQuery::parse(
            ResourceKind::User,
            Some(&format!(
                "filter={}",
                form_urlencoded::byte_serialize(format!("userName eq \"{name}\"").as_bytes())
                    .collect::<String>()
            )),
        );
        if let Ok(q) = q {
            let (_, found) = state.store.list(ResourceKind::User, &q, &state.base_url);
            if let Some(u) = found.into_iter().next() {
                return json_response(StatusCode::CREATED, &Value::Object(u));
            }
        }
    }
    if (status.is_client_error() || status.is_server_error())
        && faults.contains(&Fault::NumericErrorStatus)
    {
        let (parts, v, bytes) = body_json(resp).await;
        return match v {
            Some(mut b) => {
                b["status"] = json!(status.as_u16());
                rebuild(parts, &b)
            }
            None => Response::from_parts(parts, Body::from(bytes)),
        };
    }
    if status == StatusCode::CREATED && faults.contains(&Fault::CreateWithoutId) {
        let (parts, v, bytes) = body_json(resp).await;
        return match v {
            Some(mut b) => {
                if let Some(o) = b.as_object_mut() {
                    o.remove("id");
                }
                rebuild(parts, &b)
            }
            None => Response::from_parts(parts, Body::from(bytes)),
        };
    }
    if status == StatusCode::OK
        && method == Method::PATCH
        && matches!(target, Some((ResourceKind::Group, Some(_))))
    {
        if faults.contains(&Fault::KeepDuplicateMembers)
            && let Some((_, Some(gid))) = &target
        {
            let dupes: Vec<Value> = operations(&req_json)
                .iter()
                .filter(|o| {
                    o.get("op")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case("add"))
                })
                .filter_map(|o| o.get("value").and_then(Value::as_array).cloned())
                .flatten()
                .collect();
            state.store.append_members_unchecked(gid, dupes);
        }
        if faults.contains(&Fault::MembersNull) {
            let (parts, v, bytes) = body_json(resp).await;
            return match v {
                Some(mut b) => {
                    b["members"] = Value::Null;
                    rebuild(parts, &b)
                }
                None => Response::from_parts(parts, Body::from(bytes)),
            };
        }
    }
    if status == StatusCode::OK
        && method == Method::GET
        && matches!(target, Some((_, None)))
        && (faults.contains(&Fault::ItemsPerPageIsCount)
            || faults.contains(&Fault::StringPaging)
            || faults.contains(&Fault::IgnorePaging))
    {
        let (parts, v, bytes) = body_json(resp).await;
        let Some(mut b) = v else {
            return Response::from_parts(parts, Body::from(bytes));
        };
        if faults.contains(&Fault::IgnorePaging) {
            b["startIndex"] = json!(1);
        }
        if faults.contains(&Fault::ItemsPerPageIsCount) {
            b["itemsPerPage"] = json!(requested_count.unwrap_or(100));
        }
        if faults.contains(&Fault::StringPaging) {
            for k in ["totalResults", "startIndex", "itemsPerPage"] {
                if let Some(n) = b.get(k).cloned() {
                    b[k] = json!(n.to_string());
                }
            }
        }
        return rebuild(parts, &b);
    }
    resp
}
