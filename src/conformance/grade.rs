//! Grading: what Okta needs from each answer, check by check, with the reference section each
//! check enforces. The functions read the exchanges an operation recorded.

use serde_json::{Value, json};

use super::check::{Checks, Grade, Spec, json_diff};
use super::schemas::Message;
use crate::okta::ops::{Op, resources, total_results};
use crate::okta::wire::Exchange;

const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn spec<'a>(id: &'a str, grade: Grade, source: &'a str, needed: &'a str, why: &'a str) -> Spec<'a> {
    Spec {
        id,
        grade,
        source,
        needed,
        why,
    }
}

/// The query parameter `name` of a request path, decoded.
fn query_param(ex: &Exchange, name: &str) -> Option<String> {
    let q = ex.request.path.split_once('?')?.1;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The answer must have arrived at all: a transport failure fails this one check.
fn answered(c: &mut Checks, id: &str, source: &str, ex: &Exchange) -> bool {
    c.check(
        spec(
            &format!("{id}.answered"),
            Grade::OktaRequired,
            source,
            "an HTTP answer within Okta's 60 s",
            "Okta marks the task failed when the connection fails or stays silent",
        ),
        ex.response.is_some(),
        Some(ex),
    )
}

/// The body must parse as JSON (Okta parses every answer as JSON, whatever its Content-Type).
fn json_body(c: &mut Checks, id: &str, source: &str, ex: &Exchange) -> Option<Value> {
    let v = ex.json();
    c.check(
        spec(&format!("{id}.json"), Grade::OktaRequired, source, "a JSON body",
            "Okta parses every answer as JSON; anything else surfaces as \"Invalid JSON\" (okta-scim-wire §8.2)"),
        v.is_some(),
        Some(ex),
    );
    v
}

fn schema(c: &mut Checks, id: &str, msg: Message, doc: &Value, ex: &Exchange) {
    let errors = msg.validate(doc);
    c.check_with_diff(
        spec(
            &format!("{id}.schema"),
            Grade::RfcMust,
            "RFC 7643/7644",
            &format!("a body valid against {}", msg.file()),
            "other SCIM clients parse these fields by the RFC",
        ),
        errors.is_empty(),
        Some(ex),
        (!errors.is_empty()).then(|| errors.join("\n")),
    );
}

fn content_type(c: &mut Checks, id: &str, ex: &Exchange) {
    let ct = ex
        .response
        .as_ref()
        .and_then(|r| r.header("content-type"))
        .unwrap_or("")
        .to_ascii_lowercase();
    c.check(
        spec(
            &format!("{id}.content-type"),
            Grade::RfcShould,
            "RFC 7644 §3.1",
            "Content-Type: application/scim+json",
            "SCIM responses SHOULD use the SCIM media type; Okta itself accepts any JSON",
        ),
        ct.starts_with("application/scim+json") || ct.starts_with("application/json"),
        Some(ex),
    );
}

/// Grade a ListResponse (okta-scim-wire §1, §2, quirks 14–17). Returns the body when usable.
pub fn list_response(c: &mut Checks, id: &str, source: &str, ex: &Exchange) -> Option<Value> {
    if !answered(c, id, source, ex) {
        return None;
    }
    let ok = c.check(
        spec(
            &format!("{id}.status-200"),
            Grade::OktaRequired,
            source,
            "200 with a ListResponse",
            "Okta reads users and groups only from a 200 ListResponse",
        ),
        ex.status() == Some(200),
        Some(ex),
    );
    if !ok {
        return None;
    }
    let body = json_body(c, id, source, ex)?;
    let items = resources(&body);
    let is_list = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|x| x == LIST_URN))
        && items.is_some()
        && body
            .get("totalResults")
            .or_else(|| body.get("totalresults"))
            .is_some();
    c.check(
        spec(&format!("{id}.list-response"), Grade::OktaRequired, "okta-scim-wire §1, quirk 17",
            "a complete ListResponse: schemas with the ListResponse URN, totalResults, Resources (also when empty)",
            "an empty body, null or a bare [] shows \"No results for users returned\" in Okta"),
        is_list,
        Some(ex),
    );
    c.check(
        spec(
            &format!("{id}.resources-capitalised"),
            Grade::OktaTolerated,
            "okta-scim-wire §2, quirk 16",
            "the key \"Resources\" (capital R)",
            "Okta also reads \"resources\", other clients may not",
        ),
        body.get("Resources").is_some() || items.is_none(),
        Some(ex),
    );
    let ints = ["totalResults", "startIndex", "itemsPerPage"]
        .iter()
        .all(|k| body.get(*k).is_none_or(|v| v.is_u64()));
    c.check(
        spec(&format!("{id}.integers"), Grade::OktaRequired, "okta-scim-wire §2, quirk 15",
            "totalResults, startIndex and itemsPerPage as JSON integers, not strings",
            "Okta exchanges paging values as integers; a string \"1\" coincided with silent sync failures"),
        ints,
        Some(ex),
    );
    if let Some(items) = items {
        let ipp = body.get("itemsPerPage").and_then(Value::as_u64);
        c.check_with_diff(
            spec(
                &format!("{id}.items-per-page"),
                Grade::OktaRequired,
                "okta-scim-wire §2, quirk 14",
                "itemsPerPage equal to the number of Resources returned (not the count asked for)",
                "Okta's OIN review rejects servers whose itemsPerPage is the requested count",
            ),
            ipp.is_none_or(|n| n as usize == items.len()),
            Some(ex),
            ipp.map(|n| format!("itemsPerPage {n}, Resources has {}", items.len())),
        );
        if let Some(count) = query_param(ex, "count").and_then(|s| s.parse::<usize>().ok()) {
            c.check_with_diff(
                spec(
                    &format!("{id}.page-size"),
                    Grade::OktaRequired,
                    "okta-scim-wire §2",
                    "at most `count` Resources per page",
                    "Okta pages by 100; a server that ignores count breaks paging",
                ),
                items.len() <= count,
                Some(ex),
                Some(format!(
                    "asked for count={count}, got {} Resources",
                    items.len()
                )),
            );
        }
        if let Some(start) = query_param(ex, "startIndex").and_then(|s| s.parse::<u64>().ok()) {
            let got = body.get("startIndex").and_then(Value::as_u64);
            c.check_with_diff(
                spec(
                    &format!("{id}.start-index"),
                    Grade::RfcMust,
                    "RFC 7644 §3.4.2.4",
                    "startIndex in the answer equal to the startIndex asked for",
                    "clients use it to tell which page they got",
                ),
                got.is_none_or(|g| g == start),
                Some(ex),
                got.map(|g| format!("asked for startIndex={start}, answer says {g}")),
            );
        }
    }
    schema(c, id, Message::ListResponse, &body, ex);
    content_type(c, id, ex);
    Some(body)
}

/// Grade a SCIM Error answer with the expected status (okta-scim-wire §9, SPEC test §10.1).
pub fn scim_error(c: &mut Checks, id: &str, status: u16, source: &str, why: &str, ex: &Exchange) {
    if !answered(c, id, source, ex) {
        return;
    }
    let ok = c.check(
        spec(
            &format!("{id}.status-{status}"),
            Grade::OktaRequired,
            source,
            &format!("HTTP {status}"),
            why,
        ),
        ex.status() == Some(status),
        Some(ex),
    );
    if !ok {
        return;
    }
    let body = ex.json();
    let is_error = body
        .as_ref()
        .and_then(|b| b.get("schemas"))
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|x| x == ERROR_URN));
    c.check(
        spec(
            &format!("{id}.scim-error"),
            Grade::OktaRequired,
            "okta-scim-wire §9, §10.1",
            "a SCIM Error body: schemas with urn:ietf:params:scim:api:messages:2.0:Error",
            "Okta's SPEC test requires the Error schema; Okta shows the body's detail to admins",
        ),
        is_error,
        Some(ex),
    );
    let detail = body
        .as_ref()
        .and_then(|b| b.get("detail"))
        .and_then(Value::as_str)
        .unwrap_or("");
    c.check(
        spec(
            &format!("{id}.detail"),
            Grade::OktaRequired,
            "okta-scim-wire §9, §10.1",
            "a non-empty detail",
            "Okta shows it after \"Errors reported by remote server:\"; the SPEC test requires it",
        ),
        !detail.trim().is_empty(),
        Some(ex),
    );
    if let Some(b) = &body {
        c.check(
            spec(&format!("{id}.status-string"), Grade::RfcMust, "RFC 7644 §3.12",
                &format!("\"status\": \"{status}\" as a string"),
                "RFC 7644 defines status as a JSON string; Okta's SPEC test compares it to the string"),
            b.get("status") == Some(&json!(status.to_string())),
            Some(ex),
        );
        if is_error {
            schema(c, id, Message::Error, b, ex);
        }
    }
}

/// Test API Credentials (okta-scim-wire §1).
pub fn credentials(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first("users probe") {
        list_response(c, "credentials.users-probe", "okta-scim-wire §1", ex);
    }
    if let Some(ex) = op.first("groups probe") {
        list_response(c, "credentials.groups-probe", "okta-scim-wire §1", ex);
    }
}

/// The Users probe with a wrong token must be refused (okta-scim-wire §9, §10.1 step 20).
pub fn wrong_token(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.exchanges.first() {
        scim_error(
            c,
            "auth.wrong-token",
            401,
            "okta-scim-wire §10.1 step 20",
            "a wrong token must be refused, or Okta's Test API Credentials passes with any token",
            ex,
        );
        if ex.status() == Some(401) {
            c.check(
                spec(
                    "auth.wrong-token.www-authenticate",
                    Grade::RfcShould,
                    "RFC 7235 §3.1, RFC 6750 §3",
                    "a WWW-Authenticate header on the 401",
                    "HTTP requires it; Okta does not read it",
                ),
                ex.response
                    .as_ref()
                    .and_then(|r| r.header("www-authenticate"))
                    .is_some(),
                Some(ex),
            );
        }
    }
}

/// Import paging (okta-scim-wire §2). Returns (resources seen, active ones Okta imports).
pub fn import(op: &Op, all: &[Value], what: &str, c: &mut Checks) -> (usize, usize) {
    let id = format!("import.{what}");
    let mut first_total = None;
    for ex in op.labelled("page") {
        if let Some(body) = list_response(c, &format!("{id}.page"), "okta-scim-wire §2", ex) {
            first_total = first_total.or(total_results(&body));
        }
    }
    let ids: Vec<&str> = all
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_str))
        .collect();
    c.check(
        spec(
            &format!("{id}.ids"),
            Grade::RfcMust,
            "RFC 7643 §3.1",
            "every resource with a non-empty id",
            "Okta links imported resources by id",
        ),
        ids.len() == all.len(),
        op.exchanges.first(),
    );
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    if let Some(total) = first_total {
        c.check_with_diff(
            spec(&format!("{id}.complete"), Grade::OktaRequired, "okta-scim-wire §2",
                "every resource exactly once across the pages, totalResults in all",
                "Okta pages by startIndex+100 and needs the same order whatever the page; a resource \
                 skipped or repeated is missed or imported twice"),
            unique.len() == ids.len() && unique.len() as u64 == total,
            op.exchanges.last(),
            Some(format!("totalResults {total}, {} resources seen, {} distinct ids", ids.len(), unique.len())),
        );
    }
    if let Some(ex) = op.first("past the end") {
        let ok = ex.status() == Some(200)
            && ex.json().is_some_and(|b| {
                resources(&b).is_some_and(|r| r.is_empty())
                    && b.get("itemsPerPage").is_none_or(|v| v == &json!(0))
            });
        c.check(
            spec(
                &format!("{id}.past-the-end"),
                Grade::OktaRequired,
                "okta-scim-wire §2, quirk 14",
                "200 with \"itemsPerPage\": 0 and \"Resources\": [] for a page past the end",
                "Okta's OIN review asks for pages past the end (ory/polis#4054)",
            ),
            ok,
            Some(ex),
        );
    }
    let active = all
        .iter()
        .filter(|r| r.get("active") != Some(&json!(false)))
        .count();
    (all.len(), active)
}

/// The userName pre-check of an assignment (okta-scim-wire §3.1).
fn precheck(op: &Op, c: &mut Checks) {
    let Some(ex) = op.first("userName pre-check") else {
        return;
    };
    if ex.status() == Some(404) {
        c.check(
            spec(
                "users.precheck.empty-list-not-404",
                Grade::OktaTolerated,
                "okta-scim-wire §3.1, quirk 18",
                "200 with totalResults 0 when no user matches",
                "Okta's product treats 404 as not found, but its SPEC test requires 200",
            ),
            false,
            Some(ex),
        );
        return;
    }
    list_response(c, "users.precheck", "okta-scim-wire §3.1", ex);
}

/// Assignment: pre-check, then create or link (okta-scim-wire §3).
pub fn assign(op: &Op, sent_user_name: &str, c: &mut Checks) {
    precheck(op, c);
    if let Some(ex) = op.first("create") {
        if !answered(c, "users.create", "okta-scim-wire §3.2", ex) {
            return;
        }
        let created = c.check(
            spec(
                "users.create.status-201",
                Grade::OktaRequired,
                "okta-scim-wire §3.2",
                "201 Created with the user",
                "Okta records the assignment as failed otherwise",
            ),
            ex.status() == Some(201),
            Some(ex),
        );
        if created {
            let body = ex.json();
            let id = body
                .as_ref()
                .and_then(|b| b.get("id"))
                .and_then(Value::as_str)
                .unwrap_or("");
            c.check(
                spec("users.create.id", Grade::OktaRequired, "okta-scim-wire §3.2", "the created user with a non-empty id",
                    "Okta stores that id for every later update; an empty body is \"Create new user returned empty user.\""),
                !id.is_empty(),
                Some(ex),
            );
            if let Some(b) = &body {
                schema(c, "users.create", Message::User, b, ex);
                let sent = ex.request.json_body().unwrap_or_default();
                let want =
                    json!({"userName": sent["userName"], "name": sent["name"], "active": true});
                let diff = json_diff(b, &want);
                c.check_with_diff(
                    spec(
                        "users.create.echo",
                        Grade::RfcShould,
                        "RFC 7644 §3.3",
                        "the response to show the userName, name and active Okta sent",
                        "the 201 body is the created resource",
                    ),
                    diff.is_none(),
                    Some(ex),
                    diff,
                );
                let user_name = b.get("userName").and_then(Value::as_str).unwrap_or("");
                c.check(
                    spec(
                        "users.create.user-name-kept",
                        Grade::OktaRequired,
                        "okta-scim-wire §3.1",
                        "the userName stored as sent (case may differ)",
                        "Okta finds the user again by that userName before every reassignment",
                    ),
                    user_name.eq_ignore_ascii_case(sent_user_name),
                    Some(ex),
                );
            }
            c.check(
                spec(
                    "users.create.location",
                    Grade::RfcShould,
                    "RFC 7644 §3.3",
                    "a Location header with the user's URL",
                    "clients use it to address the new resource",
                ),
                ex.response
                    .as_ref()
                    .and_then(|r| r.header("location"))
                    .is_some(),
                Some(ex),
            );
        } else if ex.status() == Some(409) {
            c.check(
                spec("users.create.no-conflict-after-precheck", Grade::OktaRequired, "okta-scim-wire §3.1, §3.4",
                    "the pre-check to find a user whose create would conflict",
                    "if the userName filter misses an existing user, Okta POSTs and the 409 fails the assignment"),
                false,
                Some(ex),
            );
        }
    }
    if let Some(ex) = op.first("link: GET") {
        c.check(
            spec(
                "users.link.get",
                Grade::OktaRequired,
                "okta-scim-wire §3.3",
                "200 with the existing user",
                "Okta links an existing user by reading it, then writing its profile",
            ),
            ex.status() == Some(200),
            Some(ex),
        );
    }
    if let Some(ex) = op.first("link: PUT") {
        put_accepted(c, "users.link.put", "okta-scim-wire §3.3", ex);
    }
    c.check(
        spec(
            "users.assign.no-duplicate-create",
            Grade::OktaRequired,
            "okta-scim-wire §3.3",
            "no second user: an existing user is found by the pre-check and linked",
            "the test plan (C9335) requires a user already in the app to be linked, not duplicated",
        ),
        !(op.first("link: GET").is_some() && op.sent_anything("POST")),
        op.exchanges.last(),
    );
}

fn put_accepted(c: &mut Checks, id: &str, source: &str, ex: &Exchange) {
    if !answered(c, id, source, ex) {
        return;
    }
    c.check(
        spec(&format!("{id}.status-200"), Grade::OktaRequired, source,
            "200 with the user for a PUT of the app's own representation with Okta's attributes changed",
            "Okta echoes your GET body back in the PUT (readOnly fields, meta and unknown fields included)"),
        ex.status() == Some(200),
        Some(ex),
    );
    if ex.status() == Some(200)
        && let Some(b) = ex.json()
    {
        let msg = if b.get("displayName").is_some() && b.get("members").is_some() {
            Message::Group
        } else {
            Message::User
        };
        schema(c, id, msg, &b, ex);
    }
}

/// A second POST of the same user must be refused with 409 (okta-scim-wire §3.2, §10.1 step 14).
pub fn duplicate_create(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first("create") {
        scim_error(
            c,
            "users.create.duplicate",
            409,
            "okta-scim-wire §3.2, §10.1 step 14",
            "a duplicate userName must be refused; Okta's SPEC test requires 409",
            ex,
        );
        if ex.status() == Some(409) {
            let scim_type = ex.json().and_then(|b| b.get("scimType").cloned());
            c.check(
                spec(
                    "users.create.duplicate.scim-type",
                    Grade::RfcShould,
                    "RFC 7644 §3.12",
                    "\"scimType\": \"uniqueness\"",
                    "the RFC's error type for a uniqueness conflict",
                ),
                scim_type == Some(json!("uniqueness")),
                Some(ex),
            );
        }
    }
}

/// Profile push: GET then PUT (okta-scim-wire §4).
pub fn push_profile(op: &Op, prefix: &str, c: &mut Checks) {
    if let Some(ex) = op.first("GET")
        && answered(c, &format!("{prefix}.get"), "okta-scim-wire §4", ex)
    {
        c.check(
            spec(
                &format!("{prefix}.get.status-200"),
                Grade::OktaRequired,
                "okta-scim-wire §4",
                "200 with the user",
                "Okta reads the user before every PUT",
            ),
            ex.status() == Some(200),
            Some(ex),
        );
    }
    if let Some(ex) = op.first("PUT") {
        put_accepted(
            c,
            &format!("{prefix}.put"),
            "okta-scim-wire §4, quirk 9",
            ex,
        );
    }
}

/// Activation changes: a path-less PATCH (OIN) or GET + PUT (AIW) (okta-scim-wire §5).
pub fn set_active(op: &Op, prefix: &str, active: bool, c: &mut Checks) {
    if let Some(ex) = op.first("PATCH") {
        if !answered(c, prefix, "okta-scim-wire §5.1", ex) {
            return;
        }
        let id = format!("{prefix}.pathless-patch");
        c.check(
            spec(&id, Grade::OktaRequired, "okta-scim-wire §5.1",
                &format!("200 with the user, or 204, for {{\"op\":\"replace\",\"value\":{{\"active\":{active}}}}} with no path"),
                "Okta (de)activates users with a path-less replace; it never retries as PUT"),
            matches!(ex.status(), Some(200) | Some(204)),
            Some(ex),
        );
        if ex.status() == Some(200) {
            let body = ex.json();
            let shown = body.as_ref().and_then(|b| b.get("active")).cloned();
            c.check(
                spec(
                    &format!("{prefix}.patch-response"),
                    Grade::RfcShould,
                    "RFC 7644 §3.5.2",
                    &format!("a 200 body showing \"active\": {active}"),
                    "a 200 answer to PATCH carries the updated resource; Okta does not read it",
                ),
                shown == Some(json!(active)),
                Some(ex),
            );
        }
    }
    if op.first("GET").is_some() || op.first("PUT").is_some() {
        push_profile(op, prefix, c);
    }
}

/// Read a user back and compare with what Okta expects (okta-scim-wire §10.2 CRUD steps).
pub fn readback_user(
    op: &Op,
    id: &str,
    source: &str,
    why: &str,
    expected: &Value,
    c: &mut Checks,
) -> Option<Value> {
    let ex = op.first("GET")?;
    if !answered(c, id, source, ex) {
        return None;
    }
    let ok = c.check(
        spec(
            &format!("{id}.readable"),
            Grade::OktaRequired,
            source,
            "200 for GET /Users/{id}: the user stays readable, also when inactive",
            "Okta never deletes users; its CRUD test reads the user after every change",
        ),
        ex.status() == Some(200),
        Some(ex),
    );
    if !ok {
        return None;
    }
    let body = ex.json()?;
    let diff = json_diff(&body, expected);
    c.check_with_diff(
        spec(
            id,
            Grade::OktaRequired,
            source,
            &format!("the user to show {expected}"),
            why,
        ),
        diff.is_none(),
        Some(ex),
        diff,
    );
    Some(body)
}

/// Group push: lookup, create, optional membership follow-up (okta-scim-wire §6.1, §7).
pub fn push_group(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first("displayName lookup") {
        if ex.status() == Some(404) {
            c.check(
                spec(
                    "groups.lookup.empty-list-not-404",
                    Grade::OktaTolerated,
                    "okta-scim-wire §7",
                    "200 with totalResults 0 when no group has that name",
                    "a 404 on a filter is tolerated, 200 is what the docs show",
                ),
                false,
                Some(ex),
            );
        } else {
            list_response(c, "groups.lookup", "okta-scim-wire §7", ex);
        }
    }
    if let Some(ex) = op.first("create") {
        if !answered(c, "groups.create", "okta-scim-wire §6.1", ex) {
            return;
        }
        let ok = c.check(
            spec(
                "groups.create.status-201",
                Grade::OktaRequired,
                "okta-scim-wire §6.1",
                "201 with the group",
                "Okta marks the push failed otherwise",
            ),
            ex.status() == Some(201),
            Some(ex),
        );
        if ok {
            let body = ex.json().unwrap_or_default();
            c.check(
                spec(
                    "groups.create.id",
                    Grade::OktaRequired,
                    "okta-scim-wire §6.1",
                    "the created group with a non-empty id",
                    "Okta stores that id for every membership update",
                ),
                body.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                Some(ex),
            );
            schema(c, "groups.create", Message::Group, &body, ex);
        }
    }
    membership(op, c);
}

/// Membership, rename and Push Now PATCHes, or the AIW GET + PUT (okta-scim-wire §6.2–§6.4).
pub fn membership(op: &Op, c: &mut Checks) {
    for (label, id, what, source) in [
        (
            "rename PATCH",
            "groups.rename.pathless-patch",
            "a path-less replace with id and displayName in value",
            "okta-scim-wire §6.4, quirk 3",
        ),
        (
            "membership PATCH",
            "groups.members.patch",
            "removes with members[value eq \"…\"] paths, then one add",
            "okta-scim-wire §6.2, quirk 4",
        ),
        (
            "replace PATCH",
            "groups.push-now.replace",
            "a replace of members with the full list (also [])",
            "okta-scim-wire §6.2, quirk 6",
        ),
    ] {
        for ex in op.labelled(label) {
            if !answered(c, id, source, ex) {
                continue;
            }
            c.check(
                spec(
                    id,
                    Grade::OktaRequired,
                    source,
                    &format!("200 or 204 for {what}"),
                    "Okta updates pushed groups only this way (OIN apps); a refusal fails the push",
                ),
                matches!(ex.status(), Some(200) | Some(204)),
                Some(ex),
            );
            if ex.status() == Some(200) {
                let body = ex.json();
                c.check(
                    spec(
                        &format!("{id}.members-null"),
                        Grade::OktaTolerated,
                        "okta-scim-wire §6.2, quirk 19",
                        "members as an array (or absent) in the 200 body",
                        "Okta accepts members: null; RFC clients may not",
                    ),
                    body.as_ref()
                        .and_then(|b| b.get("members"))
                        .is_none_or(|m| !m.is_null()),
                    Some(ex),
                );
            }
        }
    }
    if op.first("PUT").is_some() {
        if let Some(ex) = op.first("GET") {
            c.check(
                spec(
                    "groups.get.status-200",
                    Grade::OktaRequired,
                    "okta-scim-wire §6.3",
                    "200 with the group",
                    "AIW apps read the group before every PUT",
                ),
                ex.status() == Some(200),
                Some(ex),
            );
        }
        for ex in op.labelled("PUT") {
            put_accepted(c, "groups.put", "okta-scim-wire §6.3", ex);
        }
    }
}

/// Unlink with delete: DELETE /Groups/{id} answered 204 (okta-scim-wire §6.5).
pub fn delete_group(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first("DELETE")
        && answered(c, "groups.delete", "okta-scim-wire §6.5", ex)
    {
        c.check(
                spec("groups.delete.status-204", Grade::OktaRequired, "okta-scim-wire §6.5", "204 No Content (200 is accepted too)",
                    "Okta deletes the app group when an admin unlinks with \"Delete the group in the target app\""),
                matches!(ex.status(), Some(204) | Some(200)),
                Some(ex),
            );
    }
}

/// Okta's SCIM 2.0 SPEC test, step by step (okta-scim-wire §10.1).
pub fn spec_test(op: &Op, sent_user: &str, c: &mut Checks) {
    let src = "okta-scim-wire §10.1";
    if let Some(ex) = op.first("step 0")
        && let Some(b) = list_response(c, "spec.step-00", src, ex)
    {
        let r0 = resources(&b)
            .and_then(|r| r.first())
            .cloned()
            .unwrap_or_default();
        let filled = [
            "/id",
            "/name/familyName",
            "/name/givenName",
            "/userName",
            "/active",
            "/emails/0/value",
        ]
        .iter()
        .all(|p| {
            r0.pointer(p)
                .is_some_and(|v| !v.is_null() && v != "" && v != &json!([]))
        });
        c.check(
                spec("spec.step-00.first-user-complete", Grade::OktaRequired, src,
                    "at least one user, the first with id, name.familyName, name.givenName, userName, active and emails[0].value",
                    "the SPEC test's first required step reads these from Resources[0]; the server needs one user"),
                filled,
                Some(ex),
            );
    }
    if let Some(ex) = op.first("step 2") {
        c.check(
            spec(
                "spec.step-02.get-user",
                Grade::OktaRequired,
                src,
                "200 with the user of step 0",
                "required SPEC step 2",
            ),
            ex.status() == Some(200),
            Some(ex),
        );
    }
    for (label, id) in [("step 4", "spec.step-04"), ("step 8", "spec.step-08")] {
        if let Some(ex) = op.first(label)
            && let Some(b) = list_response(c, id, src, ex)
        {
            c.check(
                spec(
                    &format!("{id}.no-match"),
                    Grade::OktaRequired,
                    src,
                    "200 with totalResults 0 for an unknown userName",
                    "required SPEC steps 4 and 8: an empty result is 200, not 404",
                ),
                total_results(&b) == Some(0),
                Some(ex),
            );
        }
    }
    if let Some(ex) = op.first("step 6") {
        scim_error(
            c,
            "spec.step-06",
            404,
            src,
            "required SPEC step 6: an unknown id is 404 with a SCIM Error",
            ex,
        );
    }
    if let Some(ex) = op.first("step 10") {
        let ok = c.check(
            spec("spec.step-10.create", Grade::OktaRequired, src, "201 with the user, sent with Content-Type: application/json",
                "required SPEC step 10; Okta's test sends application/json, not the SCIM media type"),
            ex.status() == Some(201),
            Some(ex),
        );
        if ok {
            let b = ex.json().unwrap_or_default();
            let sent = ex.request.json_body().unwrap_or_default();
            let want = json!({"active": true, "userName": sent_user, "name": sent["name"]});
            let diff = json_diff(&b, &want);
            c.check_with_diff(
                spec(
                    "spec.step-10.echo",
                    Grade::OktaRequired,
                    src,
                    "active true, the userName and name sent, a non-empty id",
                    "required SPEC step 10 asserts these fields of the 201 body",
                ),
                diff.is_none()
                    && b.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty()),
                Some(ex),
                diff,
            );
        }
    }
    if let Some(ex) = op.first("step 12") {
        c.check(
            spec(
                "spec.step-12.read-created",
                Grade::OktaRequired,
                src,
                "200 with the created user",
                "required SPEC step 12",
            ),
            ex.status() == Some(200)
                && ex
                    .json()
                    .is_some_and(|b| b.get("userName") == Some(&json!(sent_user))),
            Some(ex),
        );
    }
    if let Some(ex) = op.first("step 14") {
        c.check(
            spec(
                "spec.step-14.duplicate-409",
                Grade::OktaRequired,
                src,
                "409 for the same user again",
                "required SPEC step 14",
            ),
            ex.status() == Some(409),
            Some(ex),
        );
    }
    if let Some(ex) = op.first("step 16") {
        c.check(
            spec(
                "spec.step-16.case-check",
                Grade::OktaRequired,
                src,
                "200 for a userName filter in upper case",
                "required SPEC step 16 (0 or 1 result both pass)",
            ),
            ex.status() == Some(200),
            Some(ex),
        );
        let found = ex.json().and_then(|b| total_results(&b));
        c.check(
            spec(
                "spec.step-16.case-insensitive",
                Grade::RfcMust,
                "RFC 7643 §4.1.1",
                "the user found whatever the case of the userName in the filter",
                "userName is caseExact false; Okta's username may differ in case from the app's",
            ),
            found == Some(1),
            Some(ex),
        );
    }
    if let Some(ex) = op.first("step 18") {
        let ok = ex.status() == Some(200)
            && ex
                .json()
                .is_some_and(|b| total_results(&b) == Some(0) || resources(&b).is_some());
        c.check(
            spec(
                "spec.step-18.groups",
                Grade::RfcShould,
                src,
                "200 with a ListResponse for GET /Groups",
                "optional SPEC step 18",
            ),
            ok,
            Some(ex),
        );
    }
    if let Some(ex) = op.first("step 20") {
        scim_error(
            c,
            "spec.step-20",
            401,
            src,
            "required SPEC step 20: a wrong token is 401 with a SCIM Error",
            ex,
        );
    }
    if let Some(ex) = op.first("step 22") {
        scim_error(
            c,
            "spec.step-22",
            404,
            src,
            "required SPEC step 22: an unknown id is 404 with a SCIM Error",
            ex,
        );
    }
}
