//! Fault switches: deliberate, documented deviations that turn the reference app into the kind
//! of broken server okta-sim must catch. `okta-sim serve --fault NAME` shows a vendor what each
//! failure looks like; the test suite proves the check meant for each fault fails with the
//! right grade (the mutation-score test in `tests/broken_targets.rs`).
//!
//! Every fault is one entry of [`FAULTS`]: its name, what it does, where real servers were seen
//! doing it, the check that catches it, and its own logic: a hook before the app answers
//! (answer instead, rewrite the query or body, or wait) and one after (change the status,
//! headers or body), or a mistake of the reference SP ([`SpFault`]). The SCIM hooks run as one
//! middleware around the SCIM routes, so the well-behaved code paths stay free of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::profile::AppKinds;
use super::profile::REFERENCE_EXTENSION;
pub use super::saml_sp::SpFault;
use super::scim_http::{ScimResponse, ScimState, error_response};
use crate::scim::error::ScimError;
use crate::scim::resource::Projection;
use crate::scim::schema::{Base, ENTERPRISE_USER_SCHEMA, ResourceKind};

/// The request a fault looks at.
pub struct FaultRequest<'a> {
    /// The method.
    pub method: &'a Method,
    /// The resource type and id the path names, if any (`/Users`, `/Groups/{id}`).
    pub target: Option<(ResourceKind, Option<&'a str>)>,
    /// The path below the SCIM base (`/Users/…`, `/Schemas`).
    pub path: &'a str,
    /// The raw query string.
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The body as JSON (`null` when it is not JSON).
    pub body: &'a Value,
    /// Whether the request carried an Authorization header.
    pub authorized: bool,
    /// The app the fault belongs to.
    pub state: &'a ScimState,
    /// What faults remember between requests.
    pub memory: &'a Mutex<HashMap<String, String>>,
}

impl<'a> FaultRequest<'a> {
    /// What the path names, by what its resource type is built on.
    fn target_base(&self) -> Option<(Base, Option<&'a str>)> {
        self.target.map(|(k, id)| (k.base(), id))
    }
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
        self.method == Method::PATCH && matches!(self.target_base(), Some((Base::Group, Some(_))))
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
    /// Let the app answer a request with this body instead.
    Body(Value),
    /// Wait this long, then let the app answer.
    Delay(Duration),
}

/// The app's answer, as a fault may change it.
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
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
    /// Runs before the app answers a SCIM request.
    pub before: Option<fn(&FaultRequest<'_>) -> Before>,
    /// Runs after the app answered a SCIM request: may change the answer.
    pub after: Option<fn(&FaultRequest<'_>, &mut Answer)>,
    /// A mistake of the reference SP instead.
    pub sp: Option<SpFault>,
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
            if !r.authorized || !sets_active(r, false) {
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
        sp: None,
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
        sp: None,
    },
    // ---- Paging ----------------------------------------------------------------------------
    FaultDef {
        name: "zero-based-start-index",
        describe: "startIndex is taken as a 0-based offset: every page starts one resource late",
        seen: "RFC 7644 §3.4.2.4 pages from 1; servers built on SQL OFFSET often pass startIndex through unchanged",
        caught_by: Catch {
            check: "import.users.complete",
            grade: "okta-required",
            tags: "@import and @users",
        },
        before: Some(|r| match list_params(r) {
            Some((start, _)) if r.authorized => {
                Before::Query(with_param(r.query, "startIndex", start + 1))
            }
            _ => Before::Pass,
        }),
        after: Some(|r, a| {
            if let (Some((start, _)), Some(b)) = (list_params(r), r.list_body(a)) {
                b["startIndex"] = json!(start);
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "empty-list-without-resources",
        describe: "a list with no results leaves out Resources",
        seen: "okta-scim-wire quirk 17: Okta then shows \"No results for users returned\" (S13)",
        caught_by: Catch {
            check: "credentials.users-probe.list-response",
            grade: "okta-required",
            tags: "@credentials and not @auth",
        },
        before: None,
        after: Some(|r, a| {
            if let Some(Value::Object(b)) = r.list_body(a)
                && b.get("Resources")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty)
            {
                b.remove("Resources");
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "lowercase-resources",
        describe: "lists name their items \"resources\", not \"Resources\"",
        seen: "okta-scim-wire quirk 16: Okta reads it (S3, S9); other SCIM clients do not",
        caught_by: Catch {
            check: "credentials.users-probe.resources-capitalised",
            grade: "okta-tolerated",
            tags: "@credentials and not @auth",
        },
        before: None,
        after: Some(|r, a| {
            if let Some(Value::Object(b)) = r.list_body(a)
                && let Some(items) = b.remove("Resources")
            {
                b.insert("resources".into(), items);
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "total-results-is-page-size",
        describe: "totalResults is the number of resources on the page, not in all",
        seen: "okta-scim-wire §2 and quirk 14: Okta stops paging when startIndex passes totalResults, and the page past the end is not empty",
        caught_by: Catch {
            check: "import.users.past-the-end",
            grade: "okta-required",
            tags: "@import and @users",
        },
        before: None,
        after: Some(|r, a| {
            if let Some(b) = r.list_body(a) {
                let n = b
                    .get("Resources")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                b["totalResults"] = json!(n);
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "past-the-end-404",
        describe: "a page past the end is answered 404",
        seen: "okta-scim-wire quirk 14: Okta's OIN review asks for a page past the end (ory/polis#4054)",
        caught_by: Catch {
            check: "import.users.past-the-end",
            grade: "okta-required",
            tags: "@import and @users",
        },
        before: Some(|r| match list_params(r) {
            Some((start, _)) if r.authorized && r.query.contains("startIndex") => {
                let total = r.target.map_or(0, |(k, _)| r.state.store.count(k));
                if start > total.max(1) {
                    Before::Answer(scim_error(404, "no resources at this startIndex"))
                } else {
                    Before::Pass
                }
            }
            _ => Before::Pass,
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "unstable-order",
        describe: "pages after the first are served from the list in reverse order",
        seen: "okta-scim-wire §2: Okta pages by startIndex and needs one order whatever the page; servers that page a query without ORDER BY do not keep one",
        caught_by: Catch {
            check: "import.users.complete",
            grade: "okta-required",
            tags: "@import and @users",
        },
        before: Some(|r| match list_params(r) {
            Some((start, count)) if r.authorized && start > 1 && !r.query.contains("filter") => {
                let total = r.target.map_or(0, |(k, _)| r.state.store.count(k));
                // The same slice counted from the other end.
                let end = total.saturating_sub(start - 1);
                let first = end.saturating_sub(count) + 1;
                let q = with_param(r.query, "startIndex", first);
                Before::Query(with_param(&q, "count", end + 1 - first.min(end + 1)))
            }
            _ => Before::Pass,
        }),
        after: Some(|r, a| {
            if let (Some((start, _)), Some(b)) = (list_params(r), r.list_body(a))
                && start > 1
            {
                if let Some(Value::Array(items)) = b.get_mut("Resources") {
                    items.reverse();
                }
                b["startIndex"] = json!(start);
            }
        }),
        sp: None,
    },
    // ---- Ids and uniqueness --------------------------------------------------------------
    FaultDef {
        name: "case-sensitive-username",
        describe: "the userName filter compares case-sensitively",
        seen: "okta-scim-wire quirk 11 and SPEC test step 16: Okta's username may differ in case from the app's (RFC 7643 §4.1.1: caseExact false)",
        caught_by: Catch {
            check: "users.lookup-case.found",
            grade: "rfc-must",
            tags: "@assign",
        },
        before: None,
        after: Some(|r, a| {
            let Some(wanted) = user_name_filter(r) else {
                return;
            };
            if let Some(b) = r.list_body(a) {
                if let Some(Value::Array(items)) = b.get_mut("Resources") {
                    items.retain(|u| {
                        u.get("userName").and_then(Value::as_str) == Some(wanted.as_str())
                    });
                }
                let n = b
                    .get("Resources")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                b["totalResults"] = json!(n);
                b["itemsPerPage"] = json!(n);
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "conflict-is-400",
        describe: "a duplicate userName is refused with 400, not 409",
        seen: "okta-scim-wire §3.2 and SPEC test step 14: servers that map every validation failure to 400",
        caught_by: Catch {
            check: "users.create.duplicate.status-409",
            grade: "okta-required",
            tags: "@assign",
        },
        before: None,
        after: Some(|_, a| {
            if a.status == StatusCode::CONFLICT {
                a.status = StatusCode::BAD_REQUEST;
                if let Some(b) = &mut a.body {
                    b["status"] = json!("400");
                    b["scimType"] = json!("invalidValue");
                }
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "new-id-on-reactivate",
        describe: "reactivating a user re-creates it under a new id",
        seen: "test plan C9293 and okta-scim-wire quirk 22: reactivation must keep \"the same ID and same attributes\"",
        caught_by: Catch {
            check: "users.readback.readable",
            grade: "okta-required",
            tags: "@lifecycle",
        },
        before: Some(|r| {
            let Some((Base::User, Some(id))) = r.target_base() else {
                return Before::Pass;
            };
            if !r.authorized || !sets_active(r, true) {
                return Before::Pass;
            }
            let store = &r.state.store;
            let Ok(old) = store.get(
                ResourceKind::User,
                id,
                &r.state.base_url,
                &Projection::default(),
            ) else {
                return Before::Pass;
            };
            let mut body = Value::Object(old.body);
            body["active"] = json!(true);
            if store.delete(ResourceKind::User, id, None).is_err() {
                return Before::Pass;
            }
            match store.create(ResourceKind::User, &body, &r.state.base_url) {
                Ok(new) => Before::Answer(json_response(StatusCode::OK, &Value::Object(new.body))),
                Err(e) => Before::Answer(error_response(&e)),
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "delete-on-deactivate",
        describe: "deactivating a user deletes it",
        seen: "okta-scim-wire quirk 22: Okta never deletes users; they must stay readable with active false (S1, S5)",
        caught_by: Catch {
            check: "users.readback.readable",
            grade: "okta-required",
            tags: "@lifecycle",
        },
        before: Some(|r| match r.target_base() {
            Some((Base::User, Some(id))) if r.authorized && sets_active(r, false) => {
                let _ = r.state.store.delete(ResourceKind::User, id, None);
                Before::Answer(StatusCode::NO_CONTENT.into_response())
            }
            _ => Before::Pass,
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "create-not-stored",
        describe: "201 for a POST of a user that is not stored",
        seen: "okta-scim-wire §3.2: servers that queue provisioning and answer before it succeeds",
        caught_by: Catch {
            check: "users.readback.readable",
            grade: "okta-required",
            tags: "@assign",
        },
        before: None,
        after: Some(|r, a| {
            if a.status == StatusCode::CREATED
                && matches!(r.target_base(), Some((Base::User, None)))
                && let Some(id) = a
                    .body
                    .as_ref()
                    .and_then(|b| b.get("id"))
                    .and_then(Value::as_str)
            {
                let _ = r.state.store.delete(ResourceKind::User, id, None);
            }
        }),
        sp: None,
    },
    // ---- Filters -------------------------------------------------------------------------
    FaultDef {
        name: "filter-404",
        describe: "a filter that matches nothing is answered 404",
        seen: "okta-scim-wire quirk 18: Okta's product tolerates it, its SPEC test does not",
        caught_by: Catch {
            check: "users.precheck.empty-list-not-404",
            grade: "okta-tolerated",
            tags: "@assign",
        },
        before: None,
        after: Some(|r, a| {
            if r.query.contains("filter")
                && let Some(b) = r.list_body(a)
                && b.get("totalResults") == Some(&json!(0))
            {
                a.replace = Some(scim_error(404, "no resource matches the filter"));
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "ignore-filter",
        describe: "the filter parameter is ignored: every resource is listed",
        seen: "SPEC test steps 4 and 8 (okta-scim-wire §10.1): servers that skip query parameters they do not parse",
        caught_by: Catch {
            check: "spec.step-04.no-match",
            grade: "okta-required",
            tags: "@spec",
        },
        before: Some(|r| {
            if r.authorized && r.method == Method::GET && r.query.contains("filter") {
                Before::Query(without_param(r.query, "filter"))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "no-displayname-filter",
        describe: "a displayName filter on /Groups is refused as invalidFilter",
        seen: "okta-scim-wire §7: \"You must also implement filtering results with the eq operator\" for group names",
        caught_by: Catch {
            check: "groups.lookup.status-200",
            grade: "okta-required",
            tags: "@push",
        },
        before: Some(|r| {
            if r.authorized
                && matches!(r.target_base(), Some((Base::Group, None)))
                && r.query.to_ascii_lowercase().contains("displayname")
            {
                Before::Answer(error_response(&ScimError::invalid_filter(
                    "filtering on displayName is not supported",
                )))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    // ---- PATCH forms ---------------------------------------------------------------------
    FaultDef {
        name: "remove-all-on-member-filter",
        describe: "a remove with members[value eq \"…\"] removes every member",
        seen: "okta-scim-wire quirk 4: servers that mis-apply the filter path (authentik#25686)",
        caught_by: Catch {
            check: "groups.members.applied",
            grade: "okta-required",
            tags: "@push",
        },
        before: Some(|r| {
            if !(r.authorized && r.is_group_patch()) {
                return Before::Pass;
            }
            let mut body = r.body.clone();
            let mut changed = false;
            if let Some(Value::Array(ops)) = body.get_mut("Operations") {
                for op in ops {
                    if op
                        .get("path")
                        .and_then(Value::as_str)
                        .is_some_and(|p| p.starts_with("members["))
                    {
                        op["path"] = json!("members");
                        changed = true;
                    }
                }
            }
            if changed {
                Before::Body(body)
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "ignore-member-remove",
        describe: "a remove with members[value eq \"…\"] is answered 200 and not applied",
        seen: "okta-scim-wire quirk 4: servers that drop filtered removes (agent-bom#3533)",
        caught_by: Catch {
            check: "groups.members.applied",
            grade: "okta-required",
            tags: "@push",
        },
        before: Some(|r| {
            if !(r.authorized && r.is_group_patch()) {
                return Before::Pass;
            }
            let mut body = r.body.clone();
            if let Some(Value::Array(ops)) = body.get_mut("Operations") {
                let before = ops.len();
                ops.retain(|op| {
                    !op.get("path")
                        .and_then(Value::as_str)
                        .is_some_and(|p| p.starts_with("members["))
                });
                if ops.len() != before {
                    return Before::Body(body);
                }
            }
            Before::Pass
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "first-operation-only",
        describe: "a PATCH with several operations applies only the first",
        seen: "okta-scim-wire §6.2: Okta removes and adds in one PATCH (the S3 example has two removes and one add)",
        caught_by: Catch {
            check: "groups.members.applied",
            grade: "okta-required",
            tags: "@push",
        },
        before: Some(|r| {
            if !(r.authorized && r.method == Method::PATCH) {
                return Before::Pass;
            }
            let mut body = r.body.clone();
            if let Some(Value::Array(ops)) = body.get_mut("Operations")
                && ops.len() > 1
            {
                ops.truncate(1);
                return Before::Body(body);
            }
            Before::Pass
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "refuse-empty-replace",
        describe: "a replace of members with [] is refused with 400",
        seen: "okta-scim-wire quirk 6: Push Now on an empty group sends \"value\": [] (SCIM-SDK#757)",
        caught_by: Catch {
            check: "groups.push-now.replace",
            grade: "okta-required",
            tags: "@push",
        },
        before: Some(|r| {
            let empty = r.operations().iter().any(|o| {
                o.get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.eq_ignore_ascii_case("members"))
                    && o.get("value") == Some(&json!([]))
            });
            if r.authorized && r.is_group_patch() && empty {
                Before::Answer(scim_error(400, "members cannot be empty"))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "refuse-id-in-value",
        describe: "a path-less replace whose value holds \"id\" is refused as mutability",
        seen: "okta-scim-wire quirk 3: Okta's rename PATCH carries the group's id inside value (S1, S3)",
        caught_by: Catch {
            check: "groups.rename.pathless-patch",
            grade: "okta-required",
            tags: "@push and @rename",
        },
        before: Some(|r| {
            let id_in_value = r.operations().iter().any(|o| {
                o.get("path").is_none() && o.get("value").and_then(|v| v.get("id")).is_some()
            });
            if r.authorized && r.method == Method::PATCH && id_in_value {
                Before::Answer(error_response(&ScimError::mutability("id is readOnly")))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "ignore-rename",
        describe: "a path-less rename of a group is answered 200 and not applied",
        seen: "okta-scim-wire quirk 3: servers that handle only path \"displayName\"",
        caught_by: Catch {
            check: "groups.rename.applied",
            grade: "okta-required",
            tags: "@push and @rename",
        },
        before: Some(|r| {
            if !(r.authorized && r.is_group_patch()) {
                return Before::Pass;
            }
            let mut body = r.body.clone();
            if let Some(Value::Array(ops)) = body.get_mut("Operations") {
                let before = ops.len();
                ops.retain(|o| {
                    !(o.get("path").is_none()
                        && o.get("value").and_then(|v| v.get("displayName")).is_some())
                });
                if ops.len() != before {
                    return if ops.is_empty() {
                        match r.target {
                            Some((kind, Some(id))) => Before::Answer(
                                match r.state.store.get(
                                    kind,
                                    id,
                                    &r.state.base_url,
                                    &Projection::default(),
                                ) {
                                    Ok(g) => json_response(StatusCode::OK, &Value::Object(g.body)),
                                    Err(e) => error_response(&e),
                                },
                            ),
                            _ => Before::Pass,
                        }
                    } else {
                        Before::Body(body)
                    };
                }
            }
            Before::Pass
        }),
        after: None,
        sp: None,
    },
    // ---- Group membership ----------------------------------------------------------------
    FaultDef {
        name: "duplicate-by-display",
        describe: "a member added again with another display is kept twice",
        seen: "a widely used Python SCIM server: Okta pushes membership again after a username change, with the new userName as display",
        caught_by: Catch {
            check: "groups.members.no-duplicates",
            grade: "rfc-must",
            tags: "@push",
        },
        before: None,
        after: Some(|r, a| {
            if !matches!(
                a.status,
                StatusCode::OK | StatusCode::CREATED | StatusCode::NO_CONTENT
            ) {
                return;
            }
            let Some(gid) = group_id(r, a) else { return };
            let mut memory = r.memory.lock().unwrap_or_else(|e| e.into_inner());
            let mut again = Vec::new();
            for m in added_members(r) {
                let (Some(v), Some(d)) = (
                    m.get("value").and_then(Value::as_str),
                    m.get("display").and_then(Value::as_str),
                ) else {
                    continue;
                };
                match memory.insert(format!("{gid}/{v}"), d.to_string()) {
                    Some(old) if old != d => again.push(m.clone()),
                    _ => {}
                }
            }
            drop(memory);
            if !again.is_empty() {
                r.state.store.append_members_unchecked(&gid, again);
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "accept-unknown-members",
        describe: "member ids that name no user are stored",
        seen: "a widely used Python SCIM server: Okta still adds the id of a user the app deleted",
        caught_by: Catch {
            check: "groups.members.known",
            grade: "rfc-must",
            tags: "@push",
        },
        before: Some(|r| {
            if !r.authorized || unknown_members(r).is_empty() {
                return Before::Pass;
            }
            // The app is handed the request without them; they are stored after it answers.
            let mut body = r.body.clone();
            let known = |m: &Value| {
                m.get("value")
                    .and_then(Value::as_str)
                    .is_some_and(|id| r.state.store.has_user(id))
            };
            if let Some(Value::Array(ops)) = body.get_mut("Operations") {
                for op in ops {
                    if let Some(Value::Array(items)) = op.get_mut("value") {
                        items.retain(known);
                    }
                }
            }
            if let Some(Value::Array(items)) = body.get_mut("members") {
                items.retain(known);
            }
            Before::Body(body)
        }),
        after: Some(|r, a| {
            if matches!(
                a.status,
                StatusCode::OK | StatusCode::CREATED | StatusCode::NO_CONTENT
            ) && let Some(gid) = group_id(r, a)
            {
                let unknown = unknown_members(r);
                if !unknown.is_empty() {
                    r.state.store.append_members_unchecked(&gid, unknown);
                }
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "echo-unstored-members",
        describe: "a group POST echoes the members it was sent but stores none",
        seen: "okta-scim-wire quirk 7: Okta skips the membership PATCH when the 201 shows the members (S10)",
        caught_by: Catch {
            check: "groups.create.applied",
            grade: "okta-required",
            tags: "@push",
        },
        before: Some(|r| {
            if r.authorized
                && r.method == Method::POST
                && matches!(r.target_base(), Some((Base::Group, None)))
            {
                let mut body = r.body.clone();
                if body.get("members").is_some() {
                    body["members"] = json!([]);
                    return Before::Body(body);
                }
            }
            Before::Pass
        }),
        after: Some(|r, a| {
            if a.status == StatusCode::CREATED
                && let (Some(sent), Some(b)) = (r.body.get("members"), &mut a.body)
                && matches!(r.target_base(), Some((Base::Group, None)))
            {
                b["members"] = sent.clone();
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "group-delete-ignored",
        describe: "DELETE of a group is answered 204 and the group stays",
        seen: "okta-scim-wire §6.5: \"Delete the group in the target app\"; servers that soft-delete and keep serving the group",
        caught_by: Catch {
            check: "groups.delete.gone.status-404",
            grade: "okta-required",
            tags: "@push",
        },
        before: Some(|r| {
            if r.authorized
                && r.method == Method::DELETE
                && matches!(r.target_base(), Some((Base::Group, Some(_))))
            {
                Before::Answer(StatusCode::NO_CONTENT.into_response())
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    // ---- Deactivation and profile --------------------------------------------------------
    FaultDef {
        name: "inactive-listed-active",
        describe: "lists show deactivated users as active",
        seen: "okta-scim-wire quirk 29: Okta skips active:false users on import (S4, S12, C9303)",
        caught_by: Catch {
            check: "import.users.inactive-marked",
            grade: "okta-required",
            tags: "@import and @users",
        },
        before: None,
        after: Some(|r, a| {
            if let Some(b) = r.list_body(a)
                && let Some(Value::Array(items)) = b.get_mut("Resources")
            {
                for u in items {
                    if u.get("active") == Some(&json!(false)) {
                        u["active"] = json!(true);
                    }
                }
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "ignore-profile-update",
        describe: "a PUT of a user is answered 200 with the change, and the name is not stored",
        seen: "okta-scim-wire quirk 9: Okta pushes profiles as a PUT of the whole user; servers that update only some attributes",
        caught_by: Catch {
            check: "users.update.applied",
            grade: "okta-required",
            tags: "@profile",
        },
        before: Some(|r| {
            let Some((Base::User, Some(id))) = r.target_base() else {
                return Before::Pass;
            };
            if !(r.authorized && r.method == Method::PUT) {
                return Before::Pass;
            }
            match r.state.store.get(
                ResourceKind::User,
                id,
                &r.state.base_url,
                &Projection::default(),
            ) {
                Ok(old) => {
                    let mut body = r.body.clone();
                    if let Some(n) = old.body.get("name") {
                        body["name"] = n.clone();
                    }
                    Before::Body(body)
                }
                Err(_) => Before::Pass,
            }
        }),
        after: Some(|r, a| {
            if a.status == StatusCode::OK
                && r.method == Method::PUT
                && matches!(r.target_base(), Some((Base::User, Some(_))))
                && let (Some(n), Some(b)) = (r.body.get("name"), &mut a.body)
            {
                b["name"] = n.clone();
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "password-returned",
        describe: "user answers carry the password",
        seen: "RFC 7643 §4.1.1: password is returned never; servers that serialise the whole row",
        caught_by: Catch {
            check: "users.password.not-returned",
            grade: "rfc-must",
            tags: "@password",
        },
        before: None,
        after: Some(|r, a| {
            if matches!(r.target_base(), Some((Base::User, Some(_))))
                && a.status == StatusCode::OK
                && let Some(b) = &mut a.body
            {
                b["password"] = json!("stored-in-clear");
            }
        }),
        sp: None,
    },
    // ---- Errors, content types, auth -----------------------------------------------------
    FaultDef {
        name: "error-without-detail",
        describe: "SCIM Error bodies have no detail",
        seen: "SPEC test steps 6, 20 and 22 (okta-scim-wire §10.1) require detail; Okta shows it to admins (§8.6)",
        caught_by: Catch {
            check: "auth.wrong-token.detail",
            grade: "okta-required",
            tags: "@auth",
        },
        before: None,
        after: Some(|_, a| {
            if (a.status.is_client_error() || a.status.is_server_error())
                && let Some(Value::Object(b)) = &mut a.body
            {
                b.remove("detail");
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "error-without-schemas",
        describe: "SCIM Error bodies have no schemas",
        seen: "SPEC test steps 6, 20 and 22 (okta-scim-wire §10.1) require the Error schema",
        caught_by: Catch {
            check: "auth.wrong-token.scim-error",
            grade: "okta-required",
            tags: "@auth",
        },
        before: None,
        after: Some(|_, a| {
            if (a.status.is_client_error() || a.status.is_server_error())
                && let Some(Value::Object(b)) = &mut a.body
            {
                b.remove("schemas");
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "html-content-type",
        describe: "JSON answers are labelled Content-Type: text/html",
        seen: "RFC 7644 §3.1: frameworks that default to text/html for every answer",
        caught_by: Catch {
            check: "credentials.users-probe.content-type",
            grade: "rfc-should",
            tags: "@credentials and not @auth",
        },
        before: None,
        after: Some(|_, a| {
            a.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
        }),
        sp: None,
    },
    FaultDef {
        name: "refuse-scim-content-type",
        describe: "bodies sent as application/scim+json are refused with 415",
        seen: "okta-scim-wire quirk 12: Flask's get_json() and Express's express.json() ignore it unless forced (S3, S12)",
        caught_by: Catch {
            check: "users.create.status-201",
            grade: "okta-required",
            tags: "@assign",
        },
        before: Some(|r| {
            let scim = r
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/scim+json"));
            if r.authorized && scim {
                Before::Answer(scim_error(415, "send application/json"))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "refuse-scim-accept",
        describe: "requests that accept only application/scim+json are refused with 406",
        seen: "okta-scim-wire quirk 12: servers answering 406 to Okta's Accept header fail silently (S13)",
        caught_by: Catch {
            check: "credentials.users-probe.status-200",
            grade: "okta-required",
            tags: "@credentials and not @auth",
        },
        before: Some(|r| {
            let scim_only = r
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim() == "application/scim+json");
            if r.authorized && scim_only {
                Before::Answer(scim_error(406, "only application/json is served"))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "no-location-header",
        describe: "201 answers carry no Location header",
        seen: "RFC 7644 §3.3: the Location of the new resource",
        caught_by: Catch {
            check: "users.create.location",
            grade: "rfc-should",
            tags: "@assign",
        },
        before: None,
        after: Some(|_, a| {
            a.headers.remove(header::LOCATION);
        }),
        sp: None,
    },
    FaultDef {
        name: "any-token-accepted",
        describe: "any bearer token is accepted",
        seen: "SPEC test step 20 (okta-scim-wire §10.1): otherwise Test API Credentials passes with any token",
        caught_by: Catch {
            check: "auth.wrong-token.status-401",
            grade: "okta-required",
            tags: "@auth",
        },
        before: None,
        after: Some(|r, a| {
            if a.status == StatusCode::UNAUTHORIZED && r.authorized {
                a.replace = Some(json_response(
                    StatusCode::OK,
                    &crate::scim::list::list_response(Vec::new(), 0, 1),
                ));
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "no-www-authenticate",
        describe: "401 answers carry no WWW-Authenticate header",
        seen: "RFC 7235 §3.1 and RFC 6750 §3: a 401 names its scheme",
        caught_by: Catch {
            check: "auth.wrong-token.www-authenticate",
            grade: "rfc-should",
            tags: "@auth",
        },
        before: None,
        after: Some(|_, a| {
            a.headers.remove(header::WWW_AUTHENTICATE);
        }),
        sp: None,
    },
    // ---- Time and rate limits ------------------------------------------------------------
    FaultDef {
        name: "slow-answers",
        describe: "every answer takes 61 s (Okta gives up after 60 s)",
        seen: "okta-scim-wire §8.4: Okta closes the socket after 60 s without response data",
        caught_by: Catch {
            check: "credentials.users-probe.answered",
            grade: "okta-required",
            tags: "@credentials and not @auth",
        },
        before: Some(|r| {
            if r.authorized {
                Before::Delay(Duration::from_secs(61))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "always-429",
        describe: "every request is answered 429 Too Many Requests with Retry-After: 1",
        seen: "okta-scim-wire §9 and quirk 27: Okta retries at most 10 times, then the task fails (S4)",
        caught_by: Catch {
            check: "credentials.users-probe.status-200",
            grade: "okta-required",
            tags: "@credentials and not @auth",
        },
        before: Some(|r| {
            if r.authorized {
                let mut resp = scim_error(429, "too many requests");
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                Before::Answer(resp)
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "sp-trust-keyinfo",
        describe: "the SP verifies signatures with the certificate the response carries in KeyInfo",
        seen: "okta-saml §3.2: CVE-2015-5372 (nevisAuth); xml-crypto's getCertFromKeyInfo default",
        caught_by: Catch {
            check: "sso.attack.wrong-certificate",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::TrustKeyInfo),
    },
    FaultDef {
        name: "sp-accept-unsigned",
        describe: "the SP accepts a response in which nothing is signed",
        seen: "okta-saml §3.2: CVE-2020-12676 (FusionAuth), signature exclusion",
        caught_by: Catch {
            check: "sso.attack.signature-stripped",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::AcceptUnsigned),
    },
    FaultDef {
        name: "sp-read-first-assertion",
        describe: "the SP verifies any signature whose reference it finds anywhere, then reads the first Assertion in the document (signature wrapping)",
        seen: "okta-saml §3.1: Somorovsky et al., USENIX Security 2012 (XSW)",
        caught_by: Catch {
            check: "sso.attack.xsw4",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::ReadFirstAssertion),
    },
    FaultDef {
        name: "sp-truncate-name-id-at-comment",
        describe: "the SP reads the NameID only up to the first comment in it",
        seen: "okta-saml §3.3: CVE-2017-11427 to -11430, CVE-2018-0489, CVE-2018-7340",
        caught_by: Catch {
            check: "sso.attack.comment-injection",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::TruncateNameIdAtComment),
    },
    FaultDef {
        name: "sp-no-audience-check",
        describe: "the SP does not check the Audience",
        seen: "okta-saml §3.3: missing AudienceRestriction (many libraries accept)",
        caught_by: Catch {
            check: "sso.attack.wrong-audience",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::NoAudienceCheck),
    },
    FaultDef {
        name: "sp-any-audience-restriction",
        describe: "the SP accepts an assertion when any one AudienceRestriction names it",
        seen: "SAML core §2.5.1.4: each AudienceRestriction is a condition of its own",
        caught_by: Catch {
            check: "sso.attack.second-audience-restriction",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::AnyAudienceRestriction),
    },
    FaultDef {
        name: "sp-trim-comparisons",
        describe: "the SP trims whitespace from NameID, Issuer, Audience, Destination and Recipient before using them",
        seen: "okta-saml §3.3: the comment-injection family, where the SP's reading differs from what was signed",
        caught_by: Catch {
            check: "sso.attack.name-id-whitespace",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::TrimComparisons),
    },
    FaultDef {
        name: "sp-no-time-check",
        describe: "the SP does not check NotBefore and NotOnOrAfter",
        seen: "okta-saml §3.3: invalid_not_after_failed.xml, expired_response.xml",
        caught_by: Catch {
            check: "sso.attack.expired",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::NoTimeCheck),
    },
    FaultDef {
        name: "sp-no-destination-check",
        describe: "the SP does not check Destination and Recipient",
        seen: "okta-saml §3.3: invalid_empty_destination.xml, invalid_invalid_subjectconfirmation_recipient.xml",
        caught_by: Catch {
            check: "sso.attack.wrong-destination",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::NoDestinationCheck),
    },
    FaultDef {
        name: "sp-no-issuer-check",
        describe: "the SP does not check the Issuers",
        seen: "okta-saml §3.3: invalid_invalid_issuer_message.xml, invalid_invalid_issuer_assertion.xml",
        caught_by: Catch {
            check: "sso.attack.wrong-issuer",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::NoIssuerCheck),
    },
    FaultDef {
        name: "sp-response-in-response-to-only",
        describe: "the SP matches only the Response's InResponseTo, which nothing signs, and ignores the assertion's",
        seen: "SAML profiles §4.1.4.2; okta-saml §3.3: InResponseTo mismatch",
        caught_by: Catch {
            check: "sso.attack.in-response-to-unsigned-only",
            grade: "rfc-must",
            tags: "@attack and @sp-initiated",
        },
        before: None,
        after: None,
        sp: Some(SpFault::ResponseInResponseToOnly),
    },
    FaultDef {
        name: "sp-no-replay-cache",
        describe: "the SP does not remember the assertions it accepted",
        seen: "okta-saml §3.3: assertion replay; samael has no replay cache",
        caught_by: Catch {
            check: "sso.replay.refused",
            grade: "rfc-must",
            tags: "@sso and not @attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::NoReplayCache),
    },
    FaultDef {
        name: "sp-no-status-check",
        describe: "the SP does not check the Status",
        seen: "okta-saml §3.3: invalid_status_code_responder.xml",
        caught_by: Catch {
            check: "sso.attack.non-success-status",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::NoStatusCheck),
    },
    FaultDef {
        name: "sp-assertion-id-optional",
        describe: "the SP accepts an Assertion without an ID",
        seen: "okta-saml §3.3: assertion replay (the replay cache keys on the ID); SAML core §2.3.3",
        caught_by: Catch {
            check: "sso.attack.no-assertion-id",
            grade: "rfc-must",
            tags: "@attack",
        },
        before: None,
        after: None,
        sp: Some(SpFault::AssertionIdOptional),
    },
    FaultDef {
        name: "declared-attribute-not-stored",
        describe: "/Schemas declares the enterprise division, but the app drops it on every write",
        seen: "okta-attributes-entitlements-oauth §1: Import User Schema trusts /Schemas; servers that serve the RFC's whole schema but store a subset",
        caught_by: Catch {
            check: "discovery.attribute.returned",
            grade: "rfc-must",
            tags: "@discovery",
        },
        before: Some(|r| strip_user_attribute(r, ENTERPRISE_USER_SCHEMA, "division")),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "custom-extension-not-stored",
        describe: "the app answers writes carrying its own User extension with 2xx but stores none of it",
        seen: "okta-attributes-entitlements-oauth §1: extension attributes travel under their URN; servers that read only top-level attributes",
        caught_by: Catch {
            check: "attributes.readback.stored",
            grade: "okta-required",
            tags: "@attributes",
        },
        before: Some(|r| strip_user_attribute(r, REFERENCE_EXTENSION, "")),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "immutable-change-ignored",
        describe: "a change of the immutable startDate is answered 200 and silently not applied",
        seen: "RFC 7644 §3.5.1: servers that keep the old value instead of answering 400 mutability",
        caught_by: Catch {
            check: "attributes.immutable.refused",
            grade: "rfc-must",
            tags: "@attributes",
        },
        before: Some(|r| {
            let Some((Base::User, Some(id))) = r.target_base() else {
                return Before::Pass;
            };
            if r.method != Method::PUT || !r.authorized {
                return Before::Pass;
            }
            let Ok(stored) = r.state.store.get(
                ResourceKind::User,
                id,
                &r.state.base_url,
                &Projection::default(),
            ) else {
                return Before::Pass;
            };
            let Some(old) = stored
                .body
                .get(REFERENCE_EXTENSION)
                .and_then(|e| e.get("startDate"))
                .cloned()
            else {
                return Before::Pass;
            };
            let mut body = r.body.clone();
            if let Some(Value::Object(e)) = body.get_mut(REFERENCE_EXTENSION) {
                e.insert("startDate".into(), old);
            }
            Before::Body(body)
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "readonly-attribute-stored",
        describe: "the app stores the badgeId a client sends, although it declares it readOnly",
        seen: "RFC 7644 §3.5.1: readOnly values a client sends SHALL be ignored; servers that store whatever comes",
        caught_by: Catch {
            check: "attributes.readonly.ignored",
            grade: "rfc-must",
            tags: "@attributes",
        },
        before: None,
        after: Some(|r, a| {
            if !a.status.is_success() {
                return;
            }
            let key = |id: &str| format!("badge/{id}");
            let sent = r
                .body
                .get(REFERENCE_EXTENSION)
                .and_then(|e| e.get("badgeId"))
                .cloned();
            let id = match r.target_base() {
                Some((Base::User, Some(id))) => Some(id.to_string()),
                Some((Base::User, None)) if r.method == Method::POST => a
                    .body
                    .as_ref()
                    .and_then(|b| b.get("id"))
                    .and_then(Value::as_str)
                    .map(String::from),
                _ => None,
            };
            let Some(id) = id else { return };
            let mut memory = r.memory.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(Value::String(b)) = sent {
                memory.insert(key(&id), b);
            }
            if let (Some(badge), Some(body)) = (memory.get(&key(&id)).cloned(), a.body.as_mut())
                && let Some(o) = body.as_object_mut()
            {
                let e = o.entry(REFERENCE_EXTENSION).or_insert_with(|| json!({}));
                if let Value::Object(e) = e {
                    e.insert("badgeId".into(), json!(badge));
                }
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "entitlements-ignore-start-index",
        describe: "the app's Roles and Entitlements lists always start at the first value",
        seen: "okta-attributes-entitlements-oauth §2: \"Okta retrieves all values\", paged; list endpoints written for one page",
        caught_by: Catch {
            check: "entitlements.values.complete",
            grade: "okta-required",
            tags: "@entitlements",
        },
        before: Some(|r| {
            if !(r.authorized && r.is_list() && matches!(r.target_base(), Some((Base::Custom, _))))
            {
                return Before::Pass;
            }
            Before::Query(without_param(r.query, "startIndex"))
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "entitlements-ignore-count",
        describe: "the app's Roles and Entitlements lists return every value whatever count says",
        seen: "okta-attributes-entitlements-oauth §2: B1's server ignored count (Okta's own discovery tolerated it; its Entitlements test does not)",
        caught_by: Catch {
            check: "entitlements.test.one-per-page",
            grade: "okta-required",
            tags: "@entitlements",
        },
        before: Some(|r| {
            if !(r.authorized && r.is_list() && matches!(r.target_base(), Some((Base::Custom, _))))
            {
                return Before::Pass;
            }
            Before::Query(with_param(r.query, "count", 1000))
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "grants-not-stored",
        describe: "the app drops the roles and entitlements of a user write",
        seen: "okta-attributes-entitlements-oauth §2: grants travel in the core User roles and entitlements, which many servers never store",
        caught_by: Catch {
            check: "entitlements.grant.stored",
            grade: "okta-required",
            tags: "@entitlements",
        },
        before: Some(|r| {
            let Some((Base::User, _)) = r.target_base() else {
                return Before::Pass;
            };
            if !(r.method == Method::PUT || r.method == Method::POST) {
                return Before::Pass;
            }
            let mut body = r.body.clone();
            match body.as_object_mut() {
                Some(o) if o.contains_key("roles") || o.contains_key("entitlements") => {
                    o.remove("roles");
                    o.remove("entitlements");
                    Before::Body(body)
                }
                _ => Before::Pass,
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "put-drops-extension-data",
        describe: "a PUT of a user loses its enterprise extension, also what Okta echoed unchanged",
        seen: "okta-scim-wire §4, quirk 9: PUT handlers that rebuild the user from the fields they map and drop the rest",
        caught_by: Catch {
            check: "attributes.put.echo-kept",
            grade: "rfc-must",
            tags: "@attributes",
        },
        before: Some(|r| {
            if r.method == Method::PUT {
                strip_user_attribute(r, ENTERPRISE_USER_SCHEMA, "")
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "immutable-changed-despite-400",
        describe: "a change of the immutable startDate is refused with 400 mutability, yet applied",
        seen: "RFC 7643 §7: servers that write before they validate, then answer the validation error",
        caught_by: Catch {
            check: "attributes.immutable.kept",
            grade: "rfc-must",
            tags: "@attributes",
        },
        before: None,
        after: Some(|r, a| {
            let Some((Base::User, Some(id))) = r.target_base() else {
                return;
            };
            let key = format!("startDate/{id}");
            let mut memory = r.memory.lock().unwrap_or_else(|e| e.into_inner());
            if r.method == Method::PUT
                && a.status == StatusCode::BAD_REQUEST
                && let Some(v) = r
                    .body
                    .get(REFERENCE_EXTENSION)
                    .and_then(|e| e.get("startDate"))
                    .and_then(Value::as_str)
            {
                memory.insert(key.clone(), v.to_string());
            }
            if let (Some(v), Some(Value::Object(b))) = (memory.get(&key).cloned(), a.body.as_mut())
                && a.status == StatusCode::OK
                && let Some(Value::Object(e)) = b.get_mut(REFERENCE_EXTENSION)
            {
                e.insert("startDate".into(), json!(v));
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "refuse-pathless-profile-patch",
        describe: "a path-less PATCH carrying an extension object is refused with 400",
        seen: "okta-attributes-entitlements-oauth §1: PATCH handlers written for Okta's {\"active\":false} alone",
        caught_by: Catch {
            check: "attributes.patch.status",
            grade: "okta-required",
            tags: "@attributes",
        },
        before: Some(|r| {
            let extension_in_value = r.operations().iter().any(|op| {
                op.get("path").is_none()
                    && op
                        .get("value")
                        .and_then(Value::as_object)
                        .is_some_and(|v| v.keys().any(|k| k.starts_with("urn:")))
            });
            if r.authorized && r.method == Method::PATCH && extension_in_value {
                Before::Answer(scim_error(400, "unsupported PATCH value"))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "resource-types-500",
        describe: "/ResourceTypes fails with 500",
        seen: "okta-attributes-entitlements-oauth §1, §2: discovery endpoints nobody but Okta's Import User Schema calls",
        caught_by: Catch {
            check: "discovery.resource-types.status-200",
            grade: "okta-required",
            tags: "@discovery",
        },
        before: Some(|r| discovery_500(r, "/ResourceTypes")),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "schemas-500",
        describe: "/Schemas fails with 500",
        seen: "okta-attributes-entitlements-oauth §1: discovery endpoints nobody but Okta's Import User Schema calls",
        caught_by: Catch {
            check: "discovery.schemas.status-200",
            grade: "okta-required",
            tags: "@discovery",
        },
        before: Some(|r| discovery_500(r, "/Schemas")),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "resource-types-without-endpoint",
        describe: "/ResourceTypes lists its types without their endpoint",
        seen: "RFC 7643 §6: hand-written discovery documents that miss a required member",
        caught_by: Catch {
            check: "discovery.resource-types.valid",
            grade: "rfc-must",
            tags: "@discovery",
        },
        before: None,
        after: Some(|r, a| {
            if r.path.trim_end_matches('/') == "/ResourceTypes"
                && let Some(Value::Array(items)) =
                    a.body.as_mut().and_then(|b| b.get_mut("Resources"))
            {
                for t in items.iter_mut().filter_map(Value::as_object_mut) {
                    t.remove("endpoint");
                }
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "schemas-missing-extension",
        describe: "/Schemas does not serve the User extension /ResourceTypes names",
        seen: "okta-attributes-entitlements-oauth §1: Import User Schema takes extension attributes from the schemas the User type names",
        caught_by: Catch {
            check: "discovery.schemas.valid",
            grade: "rfc-must",
            tags: "@discovery",
        },
        before: None,
        after: Some(|r, a| {
            if r.path.trim_end_matches('/') == "/Schemas"
                && let Some(Value::Array(items)) =
                    a.body.as_mut().and_then(|b| b.get_mut("Resources"))
            {
                items.retain(|s| s.get("id").and_then(Value::as_str) != Some(REFERENCE_EXTENSION));
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "refuse-declared-attribute",
        describe: "a user carrying the enterprise organization /Schemas declares is refused with 400",
        seen: "okta-attributes-entitlements-oauth §1: servers that serve the RFC's whole schema but accept a subset",
        caught_by: Catch {
            check: "discovery.attribute.accepted",
            grade: "rfc-must",
            tags: "@discovery",
        },
        before: Some(|r| {
            let carries = r
                .body
                .get(ENTERPRISE_USER_SCHEMA)
                .and_then(|e| e.get("organization"))
                .is_some();
            if r.authorized
                && r.method == Method::POST
                && matches!(r.target_base(), Some((Base::User, None)))
                && carries
            {
                Before::Answer(scim_error(400, "organization is not supported"))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "declared-attribute-update-ignored",
        describe: "a PUT changing the enterprise organization keeps the old value",
        seen: "okta-attributes-entitlements-oauth §1: servers that set extension attributes on create only",
        caught_by: Catch {
            check: "discovery.attribute.updated",
            grade: "rfc-must",
            tags: "@discovery",
        },
        before: Some(|r| {
            let Some((Base::User, Some(id))) = r.target_base() else {
                return Before::Pass;
            };
            if r.method != Method::PUT || !r.authorized {
                return Before::Pass;
            }
            let Ok(stored) = r.state.store.get(
                ResourceKind::User,
                id,
                &r.state.base_url,
                &Projection::default(),
            ) else {
                return Before::Pass;
            };
            let old = stored
                .body
                .get(ENTERPRISE_USER_SCHEMA)
                .and_then(|e| e.get("organization"))
                .cloned();
            let mut body = r.body.clone();
            if let (Some(old), Some(Value::Object(e))) = (old, body.get_mut(ENTERPRISE_USER_SCHEMA))
            {
                e.insert("organization".into(), old);
                return Before::Body(body);
            }
            Before::Pass
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "never-returned-attribute-returned",
        describe: "the reference extension's pin (returned never) comes back in every user read",
        seen: "RFC 7643 §7: returned \"never\" attributes (secrets) echoed by serializers that print every stored field",
        caught_by: Catch {
            check: "discovery.attribute.never-returned",
            grade: "rfc-must",
            tags: "@discovery",
        },
        before: None,
        after: Some(|r, a| {
            let Some((Base::User, Some(id))) = r.target_base() else {
                return;
            };
            let pin = r
                .state
                .store
                .snapshot(ResourceKind::User)
                .into_iter()
                .find(|u| u.id == id)
                .and_then(|u| {
                    u.body
                        .get(REFERENCE_EXTENSION)
                        .and_then(|e| e.get("pin"))
                        .cloned()
                });
            if let (Some(pin), Some(Value::Object(b))) = (pin, a.body.as_mut())
                && let Value::Object(e) = b.entry(REFERENCE_EXTENSION).or_insert_with(|| json!({}))
            {
                e.insert("pin".into(), pin);
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "entitlements-page-500",
        describe: "every page of the Roles and Entitlements lists after the first fails with 500",
        seen: "okta-attributes-entitlements-oauth §2: \"Okta retrieves all values\"; paging code that breaks past page one",
        caught_by: Catch {
            check: "entitlements.values.page",
            grade: "okta-required",
            tags: "@entitlements",
        },
        before: Some(|r| {
            let later = list_params(r).is_some_and(|(start, _)| start > 1);
            if r.authorized
                && r.is_list()
                && matches!(r.target_base(), Some((Base::Custom, _)))
                && later
            {
                Before::Answer(scim_error(500, "internal error"))
            } else {
                Before::Pass
            }
        }),
        after: None,
        sp: None,
    },
    FaultDef {
        name: "entitlements-without-display-name",
        describe: "Roles and Entitlements are listed without their displayName",
        seen: "okta-attributes-entitlements-oauth §2: displayName is required; Okta shows it to admins",
        caught_by: Catch {
            check: "entitlements.values.fields",
            grade: "okta-required",
            tags: "@entitlements",
        },
        before: None,
        after: Some(|r, a| {
            if matches!(r.target_base(), Some((Base::Custom, None)))
                && let Some(Value::Array(items)) =
                    r.list_body(a).and_then(|b| b.get_mut("Resources"))
            {
                for v in items.iter_mut().filter_map(Value::as_object_mut) {
                    v.remove("displayName");
                }
            }
        }),
        sp: None,
    },
    FaultDef {
        name: "imported-grants-dropped",
        describe: "user lists leave out the users' roles and entitlements",
        seen: "okta-attributes-entitlements-oauth §2: Okta matches users' existing grants on import; list serializers that skip multi-valued attributes",
        caught_by: Catch {
            check: "entitlements.import.matched",
            grade: "okta-required",
            tags: "@entitlements",
        },
        before: None,
        after: Some(|r, a| {
            if matches!(r.target_base(), Some((Base::User, None)))
                && let Some(Value::Array(items)) =
                    r.list_body(a).and_then(|b| b.get_mut("Resources"))
            {
                for u in items.iter_mut().filter_map(Value::as_object_mut) {
                    u.remove("roles");
                    u.remove("entitlements");
                }
            }
        }),
        sp: None,
    },
];

/// The table as Markdown (`docs/faults.md`, held to the table by a test): each fault, what it
/// does, where real servers were seen doing it, and the check that catches it.
pub fn render_markdown() -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = String::from(
        "# Fault switches\n\n\
         Generated from the table `FAULTS` in `src/app/faults.rs` (`OKTA_SIM_BLESS=1 cargo test \
         --test catalogue docs_faults` rewrites it). `okta-sim serve --fault NAME` switches one \
         on; `tests/broken_targets.rs` proves each is caught by the check named here, with that \
         grade, in the scenarios the tag expression selects, and that the same scenarios pass \
         without it.\n\n\
         | fault | what it does | seen | caught by | grade | scenarios |\n\
         |---|---|---|---|---|---|\n",
    );
    for f in FAULTS {
        out.push_str(&format!(
            "| `{}` | {}{} | {} | `{}` | {} | `{}` |\n",
            f.name,
            cell(f.describe),
            if f.sp.is_some() {
                " (reference SP)"
            } else {
                ""
            },
            cell(f.seen),
            f.caught_by.check,
            f.caught_by.grade,
            f.caught_by.tags
        ));
    }
    out
}

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
    /// What faults remember between requests.
    pub memory: Mutex<HashMap<String, String>>,
}

/// A SCIM JSON answer, as the well-behaved routes write it.
fn json_response(status: StatusCode, body: &Value) -> Response {
    ScimResponse::Json(status, body.clone(), vec![]).into_response()
}

/// A SCIM Error answer, as the well-behaved routes write it.
fn scim_error(status: u16, detail: &str) -> Response {
    error_response(&ScimError::new(status, None, detail))
}

fn kind_of<'p>(path: &'p str, kinds: &AppKinds) -> Option<(ResourceKind, Option<&'p str>)> {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let first = parts.next()?;
    let kind = kinds
        .all()
        .into_iter()
        .find(|k| k.endpoint().trim_start_matches('/') == first)?;
    Some((kind, parts.next()))
}

/// The middleware that applies the switched-on faults.
pub async fn apply(State(fs): State<Arc<FaultState>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let authorized = req.headers().contains_key(header::AUTHORIZATION);

    // Read the request body once; faults may look at it.
    let (mut parts, body) = req.into_parts();
    let mut bytes = match super::scim_http::read_body(body, fs.scim.body_timeout).await {
        Ok(b) => b,
        Err(e) => return error_response(&e),
    };
    let req_json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let query = parts.uri.query().unwrap_or("").to_string();
    let headers = parts.headers.clone();
    let fr = FaultRequest {
        method: &method,
        target: kind_of(&path, fs.scim.store.kinds()),
        path: &path,
        query: &query,
        headers: &headers,
        body: &req_json,
        authorized,
        state: &fs.scim,
        memory: &fs.memory,
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
            Before::Body(v) => {
                bytes = Bytes::from(v.to_string());
                parts.headers.remove(header::CONTENT_LENGTH);
            }
            Before::Delay(d) => tokio::time::sleep(d).await,
        }
    }
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
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
        headers: parts.headers.clone(),
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
    parts.status = answer.status;
    parts.headers = answer.headers;
    match answer.body {
        Some(b) if Some(&b) != original.as_ref() => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(b.to_string()))
        }
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// `startIndex` and `count` of a list request (1 and 100 when not given).
fn list_params(r: &FaultRequest<'_>) -> Option<(usize, usize)> {
    if !r.is_list() {
        return None;
    }
    let get = |name: &str| {
        form_urlencoded::parse(r.query.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    Some((
        get("startIndex").unwrap_or(1).max(1),
        get("count").unwrap_or(100),
    ))
}

/// The query with one parameter set.
fn with_param(query: &str, name: &str, value: usize) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.extend_pairs(
        form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| !k.eq_ignore_ascii_case(name)),
    );
    q.append_pair(name, &value.to_string());
    q.finish()
}

/// The query without one parameter.
fn without_param(query: &str, name: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.extend_pairs(
        form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| !k.eq_ignore_ascii_case(name)),
    );
    q.finish()
}

/// The userName a `userName eq "…"` filter asks for.
fn user_name_filter(r: &FaultRequest<'_>) -> Option<String> {
    let filter = form_urlencoded::parse(r.query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("filter"))?
        .1
        .into_owned();
    let rest = filter.trim().strip_prefix("userName eq ")?;
    Some(rest.trim().trim_matches('"').to_string())
}

/// Whether a PUT or PATCH of a user sets `active` to `value`.
fn sets_active(r: &FaultRequest<'_>, value: bool) -> bool {
    if r.method == Method::PUT {
        return r.body.get("active") == Some(&json!(value));
    }
    r.method == Method::PATCH
        && r.operations().iter().any(|op| {
            op.get("value").and_then(|v| v.get("active")) == Some(&json!(value))
                || (op
                    .get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.eq_ignore_ascii_case("active"))
                    && op.get("value") == Some(&json!(value)))
        })
}

/// The members a group request adds or sets: PATCH add values, or the members of a POST or PUT.
fn added_members(r: &FaultRequest<'_>) -> Vec<Value> {
    if !matches!(r.target_base(), Some((Base::Group, _))) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for op in r.operations() {
        let adds = op
            .get("op")
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("add") || s.eq_ignore_ascii_case("replace"));
        if adds && let Some(Value::Array(items)) = op.get("value") {
            out.extend(items.iter().cloned());
        }
    }
    if let Some(Value::Array(items)) = r.body.get("members") {
        out.extend(items.iter().cloned());
    }
    out
}

/// The added members whose value names no user of the app.
fn unknown_members(r: &FaultRequest<'_>) -> Vec<Value> {
    added_members(r)
        .into_iter()
        .filter(|m| {
            m.get("value")
                .and_then(Value::as_str)
                .is_some_and(|id| !r.state.store.has_user(id))
        })
        .collect()
}

/// A discovery endpoint answering 500.
fn discovery_500(r: &FaultRequest<'_>, endpoint: &str) -> Before {
    if r.authorized && r.method == Method::GET && r.path.trim_end_matches('/') == endpoint {
        Before::Answer(scim_error(500, "internal error"))
    } else {
        Before::Pass
    }
}

/// Drop one attribute of an extension (or, with an empty name, the whole extension object) from
/// a user write: POST and PUT bodies, and PATCH operations (by path or inside a value).
fn strip_user_attribute(r: &FaultRequest<'_>, urn: &str, name: &str) -> Before {
    if !matches!(r.target_base(), Some((Base::User, _))) || !r.authorized {
        return Before::Pass;
    }
    let strip = |container: &mut serde_json::Map<String, Value>| -> bool {
        let Some(key) = container
            .keys()
            .find(|k| k.eq_ignore_ascii_case(urn))
            .cloned()
        else {
            return false;
        };
        if name.is_empty() {
            container.remove(&key);
            return true;
        }
        match container.get_mut(&key) {
            Some(Value::Object(e)) => {
                let before = e.len();
                e.retain(|k, _| !k.eq_ignore_ascii_case(name));
                e.len() != before
            }
            _ => false,
        }
    };
    let mut body = r.body.clone();
    let changed = match r.method {
        &Method::POST | &Method::PUT => body.as_object_mut().is_some_and(strip),
        &Method::PATCH => {
            let mut changed = false;
            if let Some(Value::Array(ops)) = body.get_mut("Operations") {
                let full = if name.is_empty() {
                    urn.to_string()
                } else {
                    format!("{urn}:{name}")
                };
                let before = ops.len();
                ops.retain(|op| {
                    !op.get("path").and_then(Value::as_str).is_some_and(|p| {
                        p.to_ascii_lowercase()
                            .starts_with(&full.to_ascii_lowercase())
                    })
                });
                changed = ops.len() != before;
                for op in ops.iter_mut() {
                    if let Some(Value::Object(v)) = op.get_mut("value") {
                        changed |= strip(v);
                    }
                }
            }
            changed
        }
        _ => false,
    };
    if changed {
        Before::Body(body)
    } else {
        Before::Pass
    }
}

/// The id of the group a request wrote: from the path, or from the 201 body.
fn group_id(r: &FaultRequest<'_>, a: &Answer) -> Option<String> {
    match r.target_base() {
        Some((Base::Group, Some(id))) => Some(id.to_string()),
        Some((Base::Group, None)) => a
            .body
            .as_ref()
            .and_then(|b| b.get("id"))
            .and_then(Value::as_str)
            .map(String::from),
        _ => None,
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
                f.before.is_some() || f.after.is_some() || f.sp.is_some(),
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
