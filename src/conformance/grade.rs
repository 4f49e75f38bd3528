//! Grading: what Okta needs from each answer, operation by operation. The functions read the
//! exchanges an operation recorded, by their typed [`Step`], and record checks of the catalogue
//! (`super::catalogue`), which says what each check needs, why, and where that is written.

use serde_json::{Value, json};

use super::catalogue::{
    assign, common, credentials, error, get_put, group_link, group_patch, group_push,
    import as import_checks, import_paging, list, put, set_active as active, spec,
};
use super::check::{CheckDef, Checks, Subject, json_diff};
use super::schemas::Message;
use crate::okta::ops::{Op, Step};
use crate::okta::wire::Exchange;
use crate::scim::error::ERROR_SCHEMA;
use crate::scim::list::{resources_of, total_results_of};
use crate::scim::schema::LIST_RESPONSE_SCHEMA;

/// The query parameter `name` of a request path, decoded.
fn query_param(ex: &Exchange, name: &str) -> Option<String> {
    let q = ex.request.path.split_once('?')?.1;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The answer must have arrived at all: a transport failure fails this one check.
fn answered(c: &mut Checks, s: &Subject, member: &CheckDef, ex: &Exchange) -> bool {
    c.record_as(s, member, ex.response.is_some(), Some(ex), None)
}

/// The body must parse as JSON (Okta parses every answer as JSON, whatever its Content-Type).
fn json_body(c: &mut Checks, s: &Subject, ex: &Exchange) -> Option<Value> {
    let v = ex.json();
    c.record_as(s, &common::JSON, v.is_some(), Some(ex), None);
    v
}

fn schema(
    c: &mut Checks,
    s: &Subject,
    member: &CheckDef,
    msg: Message,
    doc: &Value,
    ex: &Exchange,
) {
    let errors = msg.validate(doc);
    c.record_as(
        s,
        member,
        errors.is_empty(),
        Some(ex),
        (!errors.is_empty()).then(|| format!("{}:\n{}", msg.file(), errors.join("\n"))),
    );
}

fn content_type(c: &mut Checks, s: &Subject, ex: &Exchange) {
    let ct = ex
        .response
        .as_ref()
        .and_then(|r| r.header("content-type"))
        .unwrap_or("")
        .to_ascii_lowercase();
    c.record_as(
        s,
        &common::CONTENT_TYPE,
        ct.starts_with("application/scim+json") || ct.starts_with("application/json"),
        Some(ex),
        Some(format!("Content-Type: {ct}")),
    );
}

/// Grade a ListResponse (okta-scim-wire §1, §2, quirks 14–17). Returns the body when usable.
pub fn list_response(c: &mut Checks, s: &Subject, ex: &Exchange) -> Option<Value> {
    if !answered(c, s, &common::ANSWERED, ex) {
        return None;
    }
    if !c.record_as(
        s,
        &list::STATUS_200,
        ex.status() == Some(200),
        Some(ex),
        None,
    ) {
        return None;
    }
    let body = json_body(c, s, ex)?;
    let items = resources_of(&body);
    let is_list = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|x| x == LIST_RESPONSE_SCHEMA))
        && items.is_some()
        && body
            .get("totalResults")
            .or_else(|| body.get("totalresults"))
            .is_some();
    c.record_as(s, &list::LIST_RESPONSE, is_list, Some(ex), None);
    c.record_as(
        s,
        &list::RESOURCES_CAPITALISED,
        body.get("Resources").is_some() || items.is_none(),
        Some(ex),
        None,
    );
    let ints = ["totalResults", "startIndex", "itemsPerPage"]
        .iter()
        .all(|k| body.get(*k).is_none_or(|v| v.is_u64()));
    c.record_as(s, &list::INTEGERS, ints, Some(ex), None);
    if let Some(items) = items {
        let ipp = body.get("itemsPerPage").and_then(Value::as_u64);
        c.record_as(
            s,
            &list::ITEMS_PER_PAGE,
            ipp.is_none_or(|n| n as usize == items.len()),
            Some(ex),
            ipp.map(|n| format!("itemsPerPage {n}, Resources has {}", items.len())),
        );
        if let Some(count) = query_param(ex, "count").and_then(|s| s.parse::<usize>().ok()) {
            c.record_as(
                s,
                &list::PAGE_SIZE,
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
            c.record_as(
                s,
                &list::START_INDEX,
                got.is_none_or(|g| g == start),
                Some(ex),
                got.map(|g| format!("asked for startIndex={start}, answer says {g}")),
            );
        }
    }
    schema(c, s, &list::SCHEMA, Message::ListResponse, &body, ex);
    content_type(c, s, ex);
    Some(body)
}

/// Grade a SCIM Error answer with the status the subject's shape expects (okta-scim-wire §9,
/// SPEC test §10.1).
pub fn scim_error(c: &mut Checks, s: &Subject, ex: &Exchange) {
    if !answered(c, s, &common::ANSWERED, ex) {
        return;
    }
    let (member, status) = if std::ptr::eq(s.shape, &error::SHAPE_401) {
        (&error::STATUS_401, 401)
    } else if std::ptr::eq(s.shape, &error::SHAPE_409) {
        (&error::STATUS_409, 409)
    } else {
        (&error::STATUS_404, 404)
    };
    if !c.record_as(s, member, ex.status() == Some(status), Some(ex), None) {
        return;
    }
    let body = ex.json();
    let is_error = body
        .as_ref()
        .and_then(|b| b.get("schemas"))
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|x| x == ERROR_SCHEMA));
    c.record_as(s, &error::SCIM_ERROR, is_error, Some(ex), None);
    let detail = body
        .as_ref()
        .and_then(|b| b.get("detail"))
        .and_then(Value::as_str)
        .unwrap_or("");
    c.record_as(s, &error::DETAIL, !detail.trim().is_empty(), Some(ex), None);
    if let Some(b) = &body {
        c.record_as(
            s,
            &error::STATUS_STRING,
            b.get("status") == Some(&json!(status.to_string())),
            Some(ex),
            Some(format!(
                "status {}",
                b.get("status").unwrap_or(&Value::Null)
            )),
        );
        if is_error {
            schema(c, s, &error::SCHEMA, Message::Error, b, ex);
        }
    }
}

/// Test API Credentials (okta-scim-wire §1).
pub fn credentials(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first(Step::UsersProbe) {
        list_response(c, &credentials::USERS_PROBE, ex);
    }
    if let Some(ex) = op.first(Step::GroupsProbe) {
        list_response(c, &credentials::GROUPS_PROBE, ex);
    }
}

/// The Users probe with a wrong token must be refused (okta-scim-wire §9, §10.1 step 20).
pub fn wrong_token(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first(Step::UsersProbe) {
        scim_error(c, &credentials::WRONG_TOKEN, ex);
        if ex.status() == Some(401) {
            c.record(
                &credentials::WWW_AUTHENTICATE,
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
pub fn import(op: &Op, all: &[Value], users: bool, c: &mut Checks) -> (usize, usize) {
    let (page, whole) = if users {
        (&import_checks::USERS_PAGE, &import_checks::USERS)
    } else {
        (&import_checks::GROUPS_PAGE, &import_checks::GROUPS)
    };
    let mut first_total = None;
    for ex in op.all(Step::Page) {
        if let Some(body) = list_response(c, page, ex) {
            first_total = first_total.or(total_results_of(&body));
        }
    }
    let ids: Vec<&str> = all
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_str))
        .collect();
    c.record_as(
        whole,
        &import_paging::IDS,
        ids.len() == all.len(),
        op.exchanges().next(),
        Some(format!("{} resources, {} with an id", all.len(), ids.len())),
    );
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    if let Some(total) = first_total {
        c.record_as(
            whole,
            &import_paging::COMPLETE,
            unique.len() == ids.len() && unique.len() as u64 == total,
            op.last(),
            Some(format!(
                "totalResults {total}, {} resources seen, {} distinct ids",
                ids.len(),
                unique.len()
            )),
        );
    }
    if let Some(ex) = op.first(Step::PastTheEnd) {
        let ok = ex.status() == Some(200)
            && ex.json().is_some_and(|b| {
                resources_of(&b).is_some_and(|r| r.is_empty())
                    && b.get("itemsPerPage").is_none_or(|v| v == &json!(0))
            });
        c.record_as(whole, &import_paging::PAST_THE_END, ok, Some(ex), None);
    }
    let active = all
        .iter()
        .filter(|r| r.get("active") != Some(&json!(false)))
        .count();
    (all.len(), active)
}

/// The userName pre-check of an assignment (okta-scim-wire §3.1).
fn precheck(op: &Op, c: &mut Checks) {
    let Some(ex) = op.first(Step::UserNamePrecheck) else {
        return;
    };
    if ex.status() == Some(404) {
        c.record(&assign::PRECHECK_404, false, Some(ex));
        return;
    }
    list_response(c, &assign::PRECHECK, ex);
}

/// Assignment: pre-check, then create or link (okta-scim-wire §3).
pub fn assign(op: &Op, sent_user_name: &str, c: &mut Checks) {
    precheck(op, c);
    if let Some(ex) = op.first(Step::Create) {
        if !c.record(&assign::CREATE_ANSWERED, ex.response.is_some(), Some(ex)) {
            return;
        }
        if c.record(&assign::CREATE_STATUS, ex.status() == Some(201), Some(ex)) {
            let body = ex.json();
            let id = body
                .as_ref()
                .and_then(|b| b.get("id"))
                .and_then(Value::as_str)
                .unwrap_or("");
            c.record(&assign::CREATE_ID, !id.is_empty(), Some(ex));
            if let Some(b) = &body {
                let errors = Message::User.validate(b);
                c.record_detail(
                    &assign::CREATE_SCHEMA,
                    errors.is_empty(),
                    Some(ex),
                    Some(errors.join("\n")),
                );
                let sent = ex.request.json_body().unwrap_or_default();
                let want =
                    json!({"userName": sent["userName"], "name": sent["name"], "active": true});
                let diff = json_diff(b, &want);
                c.record_detail(&assign::CREATE_ECHO, diff.is_none(), Some(ex), diff);
                let user_name = b.get("userName").and_then(Value::as_str).unwrap_or("");
                c.record_detail(
                    &assign::CREATE_USER_NAME_KEPT,
                    user_name.eq_ignore_ascii_case(sent_user_name),
                    Some(ex),
                    Some(format!("sent {sent_user_name:?}, stored {user_name:?}")),
                );
            }
            c.record(
                &assign::CREATE_LOCATION,
                ex.response
                    .as_ref()
                    .and_then(|r| r.header("location"))
                    .is_some(),
                Some(ex),
            );
        } else if ex.status() == Some(409) {
            c.record(&assign::CREATE_CONFLICT, false, Some(ex));
        }
    }
    let linked = op.first(Step::LinkGet);
    if let Some(ex) = linked {
        c.record(&assign::LINK_GET, ex.status() == Some(200), Some(ex));
    }
    if let Some(ex) = op.first(Step::LinkPut) {
        put_accepted(c, &assign::LINK_PUT, ex);
    }
    c.record(
        &assign::NO_DUPLICATE_CREATE,
        !(linked.is_some() && op.sent_anything("POST")),
        op.last(),
    );
}

/// A PUT Okta relies on was accepted (okta-scim-wire §4, quirk 9).
fn put_accepted(c: &mut Checks, s: &Subject, ex: &Exchange) {
    if !answered(c, s, &common::ANSWERED, ex) {
        return;
    }
    c.record_as(
        s,
        &put::STATUS_200,
        ex.status() == Some(200),
        Some(ex),
        None,
    );
    if ex.status() == Some(200)
        && let Some(b) = ex.json()
    {
        let (member, msg) = if std::ptr::eq(s.shape, &put::GROUP) {
            (&common::SCHEMA_GROUP, Message::Group)
        } else {
            (&common::SCHEMA_USER, Message::User)
        };
        schema(c, s, member, msg, &b, ex);
    }
}

/// A second POST of the same user must be refused with 409 (okta-scim-wire §3.2, §10.1 step 14).
pub fn duplicate_create(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first(Step::Create) {
        scim_error(c, &assign::DUPLICATE, ex);
        if ex.status() == Some(409) {
            let scim_type = ex.json().and_then(|b| b.get("scimType").cloned());
            c.record(
                &assign::DUPLICATE_SCIM_TYPE,
                scim_type == Some(json!("uniqueness")),
                Some(ex),
            );
        }
    }
}

/// A user update: GET then PUT (okta-scim-wire §4).
pub fn get_put(op: &Op, s: &Subject, c: &mut Checks) {
    if let Some(ex) = op.first(Step::Get)
        && answered(c, s, &get_put::GET_ANSWERED, ex)
    {
        c.record_as(
            s,
            &get_put::GET_STATUS_200,
            ex.status() == Some(200),
            Some(ex),
            None,
        );
    }
    if let Some(ex) = op.first(Step::Put)
        && answered(c, s, &get_put::PUT_ANSWERED, ex)
    {
        c.record_as(
            s,
            &get_put::PUT_STATUS_200,
            ex.status() == Some(200),
            Some(ex),
            None,
        );
        if ex.status() == Some(200)
            && let Some(b) = ex.json()
        {
            schema(c, s, &get_put::PUT_SCHEMA, Message::User, &b, ex);
        }
    }
}

/// A profile pushed as one path-less PATCH (`--profile-push patch`).
pub fn profile_patch(op: &Op, c: &mut Checks) {
    for ex in op.all(Step::Patch) {
        c.record(
            &super::catalogue::attributes::PATCH_STATUS,
            matches!(ex.status(), Some(200 | 204)),
            Some(ex),
        );
    }
}

/// A change of assignments (a group assigned with values, a priority changed, a member
/// leaving): every pre-check, create, GET, PUT and PATCH it made
/// (okta-attributes-entitlements-oauth §4).
pub fn assignment_change(op: &Op, c: &mut Checks) {
    let makes = |s: Step| op.kind.steps().contains(&s);
    let none: Vec<&crate::okta::Exchange> = Vec::new();
    let all = |s: Step| {
        if makes(s) {
            op.all(s).collect()
        } else {
            none.clone()
        }
    };
    for ex in all(Step::UserNamePrecheck) {
        list_response(c, &assign::PRECHECK, ex);
    }
    for ex in all(Step::Create) {
        if c.record(&assign::CREATE_ANSWERED, ex.response.is_some(), Some(ex)) {
            c.record(&assign::CREATE_STATUS, ex.status() == Some(201), Some(ex));
        }
    }
    for step in [Step::LinkGet, Step::Get] {
        for ex in all(step) {
            if answered(
                c,
                &super::catalogue::profile::UPDATE,
                &get_put::GET_ANSWERED,
                ex,
            ) {
                c.record_as(
                    &super::catalogue::profile::UPDATE,
                    &get_put::GET_STATUS_200,
                    ex.status() == Some(200),
                    Some(ex),
                    None,
                );
            }
        }
    }
    for step in [Step::LinkPut, Step::Put] {
        for ex in all(step) {
            if answered(
                c,
                &super::catalogue::profile::UPDATE,
                &get_put::PUT_ANSWERED,
                ex,
            ) {
                c.record_as(
                    &super::catalogue::profile::UPDATE,
                    &get_put::PUT_STATUS_200,
                    ex.status() == Some(200),
                    Some(ex),
                    None,
                );
            }
        }
    }
    profile_patch(op, c);
}

/// Activation changes: a path-less PATCH (OIN) or GET + PUT (AIW) (okta-scim-wire §5).
pub fn set_active(op: &Op, s: &Subject, active: bool, c: &mut Checks) {
    if let Some(ex) = op.first(Step::Patch) {
        if !answered(c, s, &common::ANSWERED, ex) {
            return;
        }
        c.record_as(
            s,
            &active::PATHLESS_PATCH,
            matches!(ex.status(), Some(200) | Some(204)),
            Some(ex),
            None,
        );
        if ex.status() == Some(200) {
            let shown = ex.json().and_then(|b| b.get("active").cloned());
            c.record_as(
                s,
                &active::PATCH_RESPONSE,
                shown == Some(json!(active)),
                Some(ex),
                Some(format!(
                    "sent active {active}, the 200 body shows {}",
                    shown.unwrap_or(Value::Null)
                )),
            );
        }
    }
    get_put(op, s, c);
}

/// Group push: lookup, create, optional membership follow-up (okta-scim-wire §6.1, §7).
pub fn push_group(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first(Step::DisplayNameLookup) {
        if ex.status() == Some(404) {
            c.record(&group_push::LOOKUP_404, false, Some(ex));
        } else {
            list_response(c, &group_push::LOOKUP, ex);
        }
    }
    if let Some(ex) = op.first(Step::Create) {
        if !c.record(
            &group_push::CREATE_ANSWERED,
            ex.response.is_some(),
            Some(ex),
        ) {
            return;
        }
        if c.record(
            &group_push::CREATE_STATUS,
            ex.status() == Some(201),
            Some(ex),
        ) {
            let body = ex.json().unwrap_or_default();
            c.record(
                &group_push::CREATE_ID,
                body.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                Some(ex),
            );
            let errors = Message::Group.validate(&body);
            c.record_detail(
                &group_push::CREATE_SCHEMA,
                errors.is_empty(),
                Some(ex),
                Some(errors.join("\n")),
            );
        }
    }
    membership(op, c);
}

/// Membership, rename and Push Now PATCHes, or the AIW GET + PUT (okta-scim-wire §6.2–§6.4).
pub fn membership(op: &Op, c: &mut Checks) {
    group_patches(
        op,
        &[Step::RenamePatch, Step::MembershipPatch, Step::ReplacePatch],
        c,
    );
    for ex in op.all(Step::Get) {
        c.record(&group_push::GET, ex.status() == Some(200), Some(ex));
    }
    for ex in op.all(Step::Put) {
        put_accepted(c, &group_push::PUT, ex);
    }
}

/// The group PATCHes of these steps, each accepted with 200 or 204.
fn group_patches(op: &Op, steps: &[Step], c: &mut Checks) {
    for (step, subject) in [
        (Step::RenamePatch, &group_push::RENAME),
        (Step::MembershipPatch, &group_push::MEMBERS),
        (Step::ReplacePatch, &group_push::PUSH_NOW),
    ] {
        if !steps.contains(&step) || !op.kind.steps().contains(&step) {
            continue;
        }
        for ex in op.all(step) {
            if !answered(c, subject, &common::ANSWERED, ex) {
                continue;
            }
            c.record_as(
                subject,
                &group_patch::ACCEPTED,
                matches!(ex.status(), Some(200) | Some(204)),
                Some(ex),
                None,
            );
            if ex.status() == Some(200) {
                let body = ex.json();
                c.record_as(
                    subject,
                    &group_patch::MEMBERS_NULL,
                    body.as_ref()
                        .and_then(|b| b.get("members"))
                        .is_none_or(|m| !m.is_null()),
                    Some(ex),
                    None,
                );
            }
        }
    }
}

/// Link Group: the lookup by exact name, then the membership push (okta-scim-wire §7).
pub fn link_group(op: &Op, app_group: &str, c: &mut Checks) {
    if let Some(ex) = op.first(Step::DisplayNameLookup)
        && let Some(b) = list_response(c, &group_link::LOOKUP, ex)
    {
        let found = resources_of(&b)
            .and_then(|r| r.first())
            .and_then(|g| g.get("displayName"))
            .and_then(Value::as_str)
            .map(String::from);
        c.record_detail(
            &group_link::FOUND_BY_NAME,
            found.as_deref() == Some(app_group),
            Some(ex),
            Some(format!("looked for {app_group:?}, found {found:?}")),
        );
    }
    membership(op, c);
}

/// Unlink with delete: DELETE /Groups/{id} answered 204 (okta-scim-wire §6.5).
pub fn delete_group(op: &Op, c: &mut Checks) {
    if let Some(ex) = op.first(Step::Delete)
        && c.record(
            &group_push::DELETE_ANSWERED,
            ex.response.is_some(),
            Some(ex),
        )
    {
        c.record(
            &group_push::DELETE,
            matches!(ex.status(), Some(204) | Some(200)),
            Some(ex),
        );
    }
}

/// Okta's SCIM 2.0 SPEC test, step by step (okta-scim-wire §10.1).
pub fn spec_test(op: &Op, sent_user: &str, c: &mut Checks) {
    if let Some(ex) = op.first(Step::Spec(0))
        && let Some(b) = list_response(c, &spec::STEP_00, ex)
    {
        let r0 = resources_of(&b)
            .and_then(|r| r.first())
            .cloned()
            .unwrap_or_default();
        let missing: Vec<&str> = [
            "/id",
            "/name/familyName",
            "/name/givenName",
            "/userName",
            "/active",
            "/emails/0/value",
        ]
        .into_iter()
        .filter(|p| {
            !r0.pointer(p)
                .is_some_and(|v| !v.is_null() && v != "" && v != &json!([]))
        })
        .collect();
        c.record_detail(
            &spec::STEP_00_FIRST_USER,
            missing.is_empty(),
            Some(ex),
            Some(format!("Resources[0] lacks {}", missing.join(", "))),
        );
    }
    if let Some(ex) = op.first(Step::Spec(2)) {
        c.record(&spec::STEP_02, ex.status() == Some(200), Some(ex));
    }
    for (step, subject, no_match) in [
        (Step::Spec(4), &spec::STEP_04, &spec::STEP_04_NO_MATCH),
        (Step::Spec(8), &spec::STEP_08, &spec::STEP_08_NO_MATCH),
    ] {
        if let Some(ex) = op.first(step)
            && let Some(b) = list_response(c, subject, ex)
        {
            c.record(no_match, total_results_of(&b) == Some(0), Some(ex));
        }
    }
    if let Some(ex) = op.first(Step::Spec(6)) {
        scim_error(c, &spec::STEP_06, ex);
    }
    if let Some(ex) = op.first(Step::Spec(10))
        && c.record(&spec::STEP_10_CREATE, ex.status() == Some(201), Some(ex))
    {
        let b = ex.json().unwrap_or_default();
        let sent = ex.request.json_body().unwrap_or_default();
        let want = json!({"active": true, "userName": sent_user, "name": sent["name"]});
        let diff = json_diff(&b, &want);
        c.record_detail(
            &spec::STEP_10_ECHO,
            diff.is_none()
                && b.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
            Some(ex),
            diff,
        );
    }
    if let Some(ex) = op.first(Step::Spec(12)) {
        c.record(
            &spec::STEP_12,
            ex.status() == Some(200)
                && ex
                    .json()
                    .is_some_and(|b| b.get("userName") == Some(&json!(sent_user))),
            Some(ex),
        );
    }
    if let Some(ex) = op.first(Step::Spec(14)) {
        c.record(&spec::STEP_14, ex.status() == Some(409), Some(ex));
    }
    if let Some(ex) = op.first(Step::Spec(16)) {
        c.record(&spec::STEP_16_STATUS, ex.status() == Some(200), Some(ex));
        let found = ex.json().and_then(|b| total_results_of(&b));
        c.record_detail(
            &spec::STEP_16_FOUND,
            found == Some(1),
            Some(ex),
            Some(format!("totalResults {found:?}")),
        );
    }
    if let Some(ex) = op.first(Step::Spec(18)) {
        let ok = ex.status() == Some(200)
            && ex
                .json()
                .is_some_and(|b| total_results_of(&b) == Some(0) || resources_of(&b).is_some());
        c.record(&spec::STEP_18, ok, Some(ex));
    }
    if let Some(ex) = op.first(Step::Spec(20)) {
        scim_error(c, &spec::STEP_20, ex);
    }
    if let Some(ex) = op.first(Step::Spec(22)) {
        scim_error(c, &spec::STEP_22, ex);
    }
}

/// Okta adds a member whose user the app deleted: the app must not fail the push with a server
/// error, and must not keep the unknown id (that is checked by reading the group back).
pub fn unknown_member_add(op: &Op, c: &mut Checks) {
    group_patches(op, &[Step::RenamePatch], c);
    for ex in op.all(Step::MembershipPatch).chain(op.all(Step::Put)) {
        let ok = match ex.status() {
            Some(200) | Some(204) => true,
            Some(400) => ex.json().is_some_and(|b| {
                b.get("schemas")
                    .and_then(Value::as_array)
                    .is_some_and(|s| s.iter().any(|x| x == ERROR_SCHEMA))
            }),
            _ => false,
        };
        c.record(&group_push::UNKNOWN_MEMBER, ok, Some(ex));
    }
    for ex in op.all(Step::Get) {
        c.record(&group_push::GET, ex.status() == Some(200), Some(ex));
    }
}
