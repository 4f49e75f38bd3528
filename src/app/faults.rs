//! Fault switches: deliberate, documented deviations that turn the reference app into the kind
//! of broken server okta-sim must catch. `okta-sim serve --fault NAME` shows a vendor what each
//! failure looks like; the test suite proves the check meant for each fault fails with the
//! right grade (the mutation-score test in `tests/broken_targets.rs`).
//!
//! Every fault is one entry of [`FAULTS`]: its name, what it does, where real servers were seen
//! doing it, the check that catches it, and its own logic: a hook before the app answers
//! (answer instead, or rewrite the query) and one after (change the answer). They run as one
//! middleware around the SCIM routes, so the well-behaved code paths stay free of them.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::scim_http::{ScimResponse, ScimState, error_response};
use crate::scim::error::ScimError;
use crate::scim::resource::Projection;
use crate::scim::schema::ResourceKind;

/// The request a fault looks at.
pub struct FaultRequest<'a> {
    /// The method.
    pub method: &'a Method,
    /// The resource type and id the path names, if any (`/Users`, `/Groups/{id}`).
    pub target: Option<(ResourceKind, Option<&'a str>)>,
    /// The raw query string.
    pub query: &'a str,
    /// The body as JSON (`null` when it is not JSON).
    pub body: &'a Value,
    /// Whether the request carried an Authorization header.
    pub authorized: bool,
    /// The app the fault belongs to.
    pub state: &'a ScimState,
}

impl FaultRequest<'_> {
    fn operations(&self) -> Vec<&Value> {
        self.body
            .get("Operations")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
    fn is_list(&self) -> bool {
        self.method == Method::GET && matches!(self.target, Some((_, None)))
    }
    fn is_group_patch(&self) -> bool {
        self.method == Method::PATCH && matches!(self.target, Some((ResourceKind::Group, Some(_))))
    }
    /// The body of a 200 answer to a list request, to change.
    fn list_body<'b>(&self, a: &'b mut Answer) -> Option<&'b mut Value> {
        if self.is_list() && a.status == StatusCode::OK {
            a.body.as_mut()
        } else {
            None
        }
    }
    fn requested_count(&self) -> Option<u64> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case("count"))
            .and_then(|(_, v)| v.parse::<u64>().ok())
    }
}

/// What a fault does before the app answers.
pub enum Before {
    /// Let the app answer.
    Pass,
    /// Answer instead of the app.
    Answer(Response),
    /// Let the app answer a request with this query string instead.
    Query(String),
}

/// The app's answer, as a fault may change it.
pub struct Answer {
    /// The status the app answered.
    pub status: StatusCode,
    /// The body as JSON, when it is.
    pub body: Option<Value>,
    /// A whole new response, replacing the app's.
    pub replace: Option<Response>,
}

/// The check a fault is caught by, with its grade, and the scenarios that exercise it (a tag
/// expression): the mutation-score test runs exactly these.
#[derive(Debug, Clone, Copy)]
pub struct Catch {
    /// The id of the check meant to catch the fault.
    pub check: &'static str,
    /// As reports spell grades: `okta-required`, `rfc-must`, `rfc-should`, `okta-tolerated`.
    pub grade: &'static str,
    /// A tag expression selecting the scenarios that exercise it.
    pub tags: &'static str,
}

/// One deliberate misbehaviour.
pub struct FaultDef {
    /// The name `serve --fault` takes.
    pub name: &'static str,
    /// What the fault does, in a sentence.
    pub describe: &'static str,
    /// Where real servers were seen doing it.
    pub seen: &'static str,
    /// The check that catches it.
    pub caught_by: Catch,
    /// Runs before the app answers: pass, answer instead, or rewrite the query.
    pub before: Option<fn(&FaultRequest<'_>) -> Before>,
    /// Runs after the app answered: may change the answer.
    pub after: Option<fn(&FaultRequest<'_>, &mut Answer)>,
}

impl std::fmt::Debug for FaultDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The fault switches. Adding one is one entry here plus its hook functions; `serve --help`,
/// the README and the mutation-score test follow the table (tests hold them to it).
pub static FAULTS: &[FaultDef] = &[
    FaultDef {
        name: "ignore-paging",
        describe: "lists return every resource whatever startIndex and count say",
        seen: "okta-scim-wire §2: servers that ignore count break Okta's paging",
        caught_by: Catch {
            check: "import.users.page.page-size",
            grade: "okta-required",
            tags: "@import and @users",
        },
        before: Some(|r| {
            if !(r.authorized && r.is_list()) {
                return Before::Pass;
            }
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.extend_pairs(form_urlencoded::parse(r.query.as_bytes()).filter(|(k, _)| {
                !k.eq_ignore_ascii_case("count") && !k.eq_ignore_ascii_case("startIndex")
            }));
            q.append_pair("count", "1000");
            Before::Query(q.finish())
        }),
        after: Some(|r, a| {
            if let Some(b) = r.list_body(a) {
                b["startIndex"] = json!(1);
            }
        }),
    },
    FaultDef {
        name: "items-per-page-is-count",
        describe: "itemsPerPage is the count asked for, not the number returned",
        seen: "okta-scim-wire quirk 14: ory/polis#4054, scimmy#101, django-scim2#208",
        caught_by: Catch {
            check: "credentials.users-probe.items-per-page",
            grade: "okta-required",
            tags: "@credentials",
        },
        before: None,
        after: Some(|r, a| {
            if let Some(b) = r.list_body(a) {
                b["itemsPerPage"] = json!(r.requested_count().unwrap_or(100));
            }
        }),
    },
    FaultDef {
        name: "string-paging",
        describe: "totalResults, startIndex and itemsPerPage are strings",
        seen: "okta-scim-wire quirk 15: a string \"startIndex\" coincided with silent sync failures (S13)",
        caught_by: Catch {
            check: "credentials.users-probe.integers",
            grade: "okta-required",
            tags: "@credentials",
        },
        before: None,
        after: Some(|r, a| {
            if let Some(b) = r.list_body(a) {
                for k in ["totalResults", "startIndex", "itemsPerPage"] {
                    if let Some(n) = b.get(k).cloned() {
                        b[k] = json!(n.to_string());
                    }
                }
            }
        }),
    },
    FaultDef {
        name: "create-without-id",
        describe: "201 answers to POST carry no id",
        seen: "okta-scim-wire §3.2: Okta reports \"Create new user returned empty user.\"",
        caught_by: Catch {
            check: "users.create.id",
            grade: "okta-required",
            tags: "@assign",
        },
        before: None,
        after: Some(|_, a| {
            if a.status == StatusCode::CREATED
                && let Some(Value::Object(o)) = &mut a.body
            {
                o.remove("id");
            }
        }),
    },
    FaultDef {
        name: "no-conflict-on-duplicate",
        describe: "a duplicate userName is answered 201 with the existing user instead of 409",
        seen: "okta-scim-wire §10.1 step 14: the SPEC test's duplicate check",
        caught_by: Catch {
            check: "users.create.duplicate.status-409",
            grade: "okta-required",
            tags: "@assign",
        },
        before: None,
        after: Some(|r, a| {
            if a.status != StatusCode::CONFLICT || r.method != Method::POST {
                return;
            }
            if let Some(name) = r.body.get("userName").and_then(Value::as_str)
                && let Some(u) = r.state.store.find_user_by_name(name)
                && let Ok(existing) = r.state.store.get(
                    ResourceKind::User,
                    &u.id,
                    &r.state.base_url,
                    &Projection::default(),
                )
            {
                a.replace = Some(json_response(
                    StatusCode::CREATED,
                    &Value::Object(existing.body),
                ));
            }
        }),
    },
    FaultDef {
        name: "ignore-deactivation",
        describe: "active:false is answered 200 but not applied",
        seen: "okta-scim-wire quirk 1: servers that only handle path \"active\" silently ignore Okta's path-less replace",
        caught_by: Catch {
            check: "users.active.applied",
            grade: "okta-required",
            tags: "@lifecycle",
        },
        before: Some(|r| {
            let Some((kind, Some(id))) = r.target else {
                return Before::Pass;
            };
            if !r.authorized || !sets_inactive(r) {
                return Before::Pass;
            }
            Before::Answer(
                match r
                    .state
                    .store
                    .get(kind, id, &r.state.base_url, &Projection::default())
                {
                    Ok(res) => json_response(StatusCode::OK, &Value::Object(res.body)),
                    Err(e) => error_response(&e),
                },
            )
        }),
        after: None,
    },
    FaultDef {
        name: "refuse-pathless-patch",
        describe: "PATCH operations without a path are refused with 400",
        seen: "okta-scim-wire quirk 1: Keycloak#95/#97, GitLab MR 25649, sentry#27199",
        caught_by: Catch {
            check: "users.deactivate.pathless-patch",
            grade: "okta-required",
            tags: "@lifecycle",
        },
        before: Some(|r| {
            if r.authorized
                && r.method == Method::PATCH
                && r.operations().iter().any(|o| o.get("path").is_none())
            {
                Before::Answer(scim_error(400, "path is required"))
            } else {
                Before::Pass
            }
        }),
        after: None,
    },
    FaultDef {
        name: "refuse-member-filter",
        describe: "PATCH paths with a [filter] are refused with 400",
        seen: "okta-scim-wire quirk 4: authentik#25686, agent-bom#3533",
        caught_by: Catch {
            check: "groups.members.patch",
            grade: "okta-required",
            tags: "@push",
        },
        before: Some(|r| {
            let filtered = r.operations().iter().any(|o| {
                o.get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.contains('['))
            });
            if r.authorized && r.method == Method::PATCH && filtered {
                Before::Answer(scim_error(400, "filters in paths are not supported"))
            } else {
                Before::Pass
            }
        }),
        after: None,
    },
    FaultDef {
        name: "refuse-rename",
        describe: "group displayName changes by PATCH are refused with 400",
        seen: "okta-scim-wire quirk 3: the rename PATCH carries id inside value, which strict servers refuse",
        caught_by: Catch {
            check: "groups.rename.pathless-patch",
            grade: "okta-required",
            tags: "@push and @rename",
        },
        before: Some(|r| {
            let renames = r.operations().iter().any(|o| {
                o.get("value").and_then(|v| v.get("displayName")).is_some()
                    || o.get("path")
                        .and_then(Value::as_str)
                        .is_some_and(|p| p.eq_ignore_ascii_case("displayName"))
            });
            if r.authorized && r.is_group_patch() && renames {
                Before::Answer(scim_error(400, "displayName cannot be changed"))
            } else {
                Before::Pass
            }
        }),
        after: None,
    },
    FaultDef {
        name: "plain-401",
        describe: "401 answers are text/plain, not a SCIM Error",
        seen: "okta-scim-wire §10.1 step 20: the SPEC test requires the Error schema on 401",
        caught_by: Catch {
            check: "auth.wrong-token.scim-error",
            grade: "okta-required",
            tags: "@auth",
        },
        before: None,
        after: Some(|_, a| {
            if a.status == StatusCode::UNAUTHORIZED {
                let mut r = (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                a.replace = Some(r);
            }
        }),
    },
    FaultDef {
        name: "patch-500",
        describe: "every PATCH fails with 500",
        seen: "okta-scim-wire quirk 20: a 501 on user PATCH is not retried as PUT (PR #1956)",
        caught_by: Catch {
            check: "users.deactivate.pathless-patch",
            grade: "okta-required",
            tags: "@lifecycle",
        },
        before: Some(|r| {
            if r.authorized && r.method == Method::PATCH {
                Before::Answer(scim_error(500, "internal error"))
            } else {
                Before::Pass
            }
        }),
        after: None,
    },
    FaultDef {
        name: "keep-duplicate-members",
        describe: "adding a member already present adds it again",
        seen: "okta-scim-wire quirk 7: Okta adds members a group POST already carried",
        caught_by: Catch {
            check: "groups.members.no-duplicates",
            grade: "rfc-must",
            tags: "@push",
        },
        before: None,
        after: Some(|r, a| {
            if a.status != StatusCode::OK || !r.is_group_patch() {
                return;
            }
            let Some((_, Some(gid))) = r.target else {
                return;
            };
            let dupes: Vec<Value> = r
                .operations()
                .iter()
                .filter(|o| {
                    o.get("op")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case("add"))
                })
                .filter_map(|o| o.get("value").and_then(Value::as_array).cloned())
                .flatten()
                .collect();
            r.state.store.append_members_unchecked(gid, dupes);
        }),
    },
    FaultDef {
        name: "members-null",
        describe: "group PATCH answers have \"members\": null",
        seen: "okta-scim-wire quirk 19: Okta's own docs allow members null in a group PATCH 200",
        caught_by: Catch {
            check: "groups.members.patch.members-null",
            grade: "okta-tolerated",
            tags: "@push",
        },
        before: None,
        after: Some(|r, a| {
            if a.status == StatusCode::OK
                && r.is_group_patch()
                && let Some(b) = &mut a.body
            {
                b["members"] = Value::Null;
            }
        }),
    },
    FaultDef {
        name: "numeric-error-status",
        describe: "SCIM Error bodies carry status as a number",
        seen: "RFC 7644 errata 7898 context: error examples in the wild with numeric status",
        caught_by: Catch {
            check: "auth.wrong-token.status-string",
            grade: "rfc-must",
            tags: "@auth",
        },
        before: None,
        after: Some(|_, a| {
            if (a.status.is_client_error() || a.status.is_server_error())
                && let Some(b) = &mut a.body
            {
                b["status"] = json!(a.status.as_u16());
            }
        }),
    },
];

/// A fault by name.
pub fn fault_named(name: &str) -> Option<&'static FaultDef> {
    FAULTS.iter().find(|f| f.name == name)
}

/// The faults switched on for one app.
pub type Faults = Vec<&'static FaultDef>;

/// What the fault middleware needs.
pub struct FaultState {
    /// The reference app's SCIM state.
    pub scim: Arc<ScimState>,
    /// The faults switched on, in order.
    pub faults: Faults,
}

/// A SCIM JSON answer, as the well-behaved routes write it.
fn json_response(status: StatusCode, body: &Value) -> Response {
    ScimResponse::Json(status, body.clone(), vec![]).into_response()
}

/// A SCIM Error answer, as the well-behaved routes write it.
fn scim_error(status: u16, detail: &str) -> Response {
    error_response(&ScimError::new(status, None, detail))
}

fn kind_of(path: &str) -> Option<(ResourceKind, Option<&str>)> {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let kind = match parts.next()? {
        "Users" => ResourceKind::User,
        "Groups" => ResourceKind::Group,
        _ => return None,
    };
    Some((kind, parts.next()))
}

fn sets_inactive(r: &FaultRequest<'_>) -> bool {
    if r.method == Method::PUT {
        return r.body.get("active") == Some(&json!(false));
    }
    r.method == Method::PATCH
        && r.operations().iter().any(|op| {
            op.get("value").and_then(|v| v.get("active")) == Some(&json!(false))
                || (op
                    .get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.eq_ignore_ascii_case("active"))
                    && op.get("value") == Some(&json!(false)))
        })
}

/// The middleware that applies the switched-on faults.
pub async fn apply(State(fs): State<Arc<FaultState>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let authorized = req.headers().contains_key(header::AUTHORIZATION);

    // Read the request body once; faults may look at it.
    let (mut parts, body) = req.into_parts();
    let bytes = match super::scim_http::read_body(body, fs.scim.body_timeout).await {
        Ok(b) => b,
        Err(e) => return error_response(&e),
    };
    let req_json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let query = parts.uri.query().unwrap_or("").to_string();
    let fr = FaultRequest {
        method: &method,
        target: kind_of(&path),
        query: &query,
        body: &req_json,
        authorized,
        state: &fs.scim,
    };
    for f in &fs.faults {
        match f.before.map_or(Before::Pass, |hook| hook(&fr)) {
            Before::Pass => {}
            Before::Answer(resp) => return resp,
            Before::Query(q) => {
                if let Ok(u) = format!("{}?{q}", parts.uri.path()).parse() {
                    parts.uri = u;
                }
            }
        }
    }
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    if fs.faults.iter().all(|f| f.after.is_none()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let original: Option<Value> = serde_json::from_slice(&bytes).ok();
    let mut answer = Answer {
        status: parts.status,
        body: original.clone(),
        replace: None,
    };
    for f in &fs.faults {
        if let Some(hook) = f.after {
            hook(&fr, &mut answer);
            if let Some(r) = answer.replace.take() {
                return r;
            }
        }
    }
    match answer.body {
        Some(b) if Some(&b) != original.as_ref() => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(b.to_string()))
        }
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_every_fault_says_where_it_was_seen_and_what_catches_it() {
        let mut names = HashSet::new();
        for f in FAULTS {
            assert!(names.insert(f.name), "duplicate fault {}", f.name);
            assert!(!f.describe.is_empty() && !f.seen.is_empty(), "{}", f.name);
            assert!(
                f.before.is_some() || f.after.is_some(),
                "{} does nothing",
                f.name
            );
            assert!(
                ["okta-required", "rfc-must", "rfc-should", "okta-tolerated"]
                    .contains(&f.caught_by.grade),
                "{}",
                f.name
            );
            assert_eq!(fault_named(f.name).map(|d| d.name), Some(f.name));
        }
    }
}
