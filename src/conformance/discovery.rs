//! Steps for Import User Schema and SCIM with entitlements (okta-attributes-entitlements-oauth
//! §1, §2): what a target declares at `/ResourceTypes` and `/Schemas`, graded against RFC 7643
//! §6 and §7 and then against what the target does with every attribute it declares; Okta's
//! discovery of Roles and Entitlements, its Entitlements test, grants and their import.
//!
//! A target that publishes no Role or Entitlement resource type is not an Identity Governance
//! app: the entitlement scenarios are reported skipped for it, not failed.

use cucumber::{given, then, when};
use serde_json::{Value, json};

use super::catalogue::{discovery as dc, entitlements as ec, profile, user_readback};
use super::check::json_diff;
use super::grade;
use super::world::{Discovered, OktaWorld, StepFailure, StepKind};
use crate::okta::Exchange;
use crate::okta::appschema::{AppAttribute, ArrayMode, Expr, PropertyType, Scope};
use crate::okta::grants::GrantKind;
use crate::okta::grants::resource_types_of;
use crate::okta::ops::Step;
use crate::scim::declared::{AttributeDecl, SchemaDecl};
use crate::scim::list::resources_of;
use crate::scim::schema::{AttrType, LIST_RESPONSE_SCHEMA, Mutability, Returned, USER_SCHEMA};

/// At most this many declared attributes are tried one by one (each costs a user and about six
/// requests); the rest are named in the report.
pub const MAX_PROBED: usize = 100;

/// The core User attributes Okta's template sends in every create: other scenarios grade them.
const TEMPLATE: [&str; 9] = [
    "userName",
    "name",
    "emails",
    "displayName",
    "locale",
    "active",
    "password",
    "externalId",
    "groups",
];

fn describe(urn: &str, a: &AttributeDecl) -> String {
    let full = if urn.eq_ignore_ascii_case(USER_SCHEMA) {
        a.name.clone()
    } else {
        format!("{urn}:{}", a.name)
    };
    format!(
        "/Schemas declares {full} ({}{}, {:?}, returned {:?})",
        a.ty.as_str(),
        if a.multi_valued { ", multi-valued" } else { "" },
        a.mutability,
        a.returned
    )
    .replace("ReadWrite", "readWrite")
    .replace("ReadOnly", "readOnly")
    .replace("Immutable", "immutable")
    .replace("WriteOnly", "writeOnly")
    .replace("Default", "default")
    .replace("Always", "always")
    .replace("Never", "never")
    .replace("Request", "request")
}

/// Every attribute the User type declares, with its schema URN, except the template's.
fn declared_attributes(found: &Discovered) -> Vec<(String, AttributeDecl)> {
    let mut declared = Vec::new();
    for urn in &found.user_schemas {
        let Some(s) = found
            .schemas
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
        else {
            continue;
        };
        for a in &s.attributes {
            let core = urn.eq_ignore_ascii_case(USER_SCHEMA);
            if core && TEMPLATE.iter().any(|t| t.eq_ignore_ascii_case(&a.name)) {
                continue;
            }
            declared.push((s.id.clone(), a.clone()));
        }
    }
    declared
}

/// A required attribute as Import User Schema populates it, mapped to a constant.
fn required_mapping(urn: &str, a: &AttributeDecl, v: Value) -> AppAttribute {
    AppAttribute {
        variable: format!("required {urn}:{}", a.name),
        ty: PropertyType::String,
        external_name: a.name.clone(),
        namespace: Some(urn.to_string()),
        scope: Scope::Personal,
        mapping: Some(Expr::Const(v)),
        array_mode: ArrayMode::GroupPriority,
    }
}

/// A value of the declared type: `n` = 1 for the create, 2 for the update.
fn sample(a: &AttributeDecl, n: u8) -> Option<Value> {
    let one = single(a, n)?;
    Some(if a.multi_valued {
        Value::Array(vec![one])
    } else {
        one
    })
}

fn single(a: &AttributeDecl, n: u8) -> Option<Value> {
    if !a.canonical_values.is_empty() {
        let i = (n as usize - 1) % a.canonical_values.len();
        return Some(json!(a.canonical_values[i]));
    }
    Some(match a.ty {
        AttrType::String => json!(format!("okta-sim {} {n}", a.name)),
        AttrType::Boolean => json!(n == 1),
        AttrType::Integer => json!(40 + n as i64),
        AttrType::Decimal => json!(1.5 + n as f64),
        AttrType::DateTime => json!(format!("2026-0{n}-15T09:30:00Z")),
        AttrType::Reference => json!(format!("https://example.com/okta-sim/{}/{n}", a.name)),
        AttrType::Binary => json!(if n == 1 {
            "b2t0YS1zaW0tMQ=="
        } else {
            "b2t0YS1zaW0tMg=="
        }),
        AttrType::Complex => {
            let mut m = serde_json::Map::new();
            for sub in &a.sub_attributes {
                if sub.mutability == Mutability::ReadOnly
                    || sub.ty == AttrType::Reference
                    || sub.ty == AttrType::Complex
                {
                    continue;
                }
                if let Some(v) = single(sub, n) {
                    m.insert(sub.name.clone(), v);
                }
            }
            if m.is_empty() {
                return None;
            }
            Value::Object(m)
        }
    })
}

/// The value at an attribute's place in a user body (case-insensitive names).
fn value_at<'a>(body: &'a Value, urn: &str, name: &str) -> Option<&'a Value> {
    let obj = body.as_object()?;
    let container = if urn.eq_ignore_ascii_case(USER_SCHEMA) {
        obj
    } else {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(urn))
            .and_then(|(_, v)| v.as_object())?
    };
    container
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None => "nothing for it".into(),
        Some(v) => crate::text::brief(&v.to_string(), 160),
    }
}

/// Whether what came back holds what was sent (servers may add sub-attributes, and compare
/// case-insensitive strings without regard to case).
fn holds(got: Option<&Value>, sent: &Value, case_exact: bool) -> bool {
    let Some(got) = got else { return false };
    match (got, sent) {
        (Value::String(a), Value::String(b)) if !case_exact => a.eq_ignore_ascii_case(b),
        _ => json_diff(got, sent).is_none(),
    }
}

impl OktaWorld {
    /// Read a user back as okta-sim, recording the read-back checks; the body when it read.
    async fn read_back(&mut self, label: &str) -> Result<Option<(Value, Exchange)>, StepFailure> {
        let mark = self.checks.items.len();
        let op = self.session.read_user(label).await;
        let mut out = None;
        if let Some(ex) = op.first(Step::Get) {
            let s = &user_readback::READ;
            if self.checks.record_as(
                s,
                &super::catalogue::common::ANSWERED,
                ex.response.is_some(),
                Some(ex),
                None,
            ) && self.checks.record_as(
                s,
                &super::catalogue::readback::READABLE,
                ex.status() == Some(200),
                Some(ex),
                None,
            ) {
                out = ex.json().map(|b| (b, ex.clone()));
            }
        }
        self.verdict(mark, Some(op))?;
        Ok(out)
    }

    /// Read `/ResourceTypes` and `/Schemas` as Import User Schema does, and grade them.
    async fn import_user_schema(&mut self) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let op = self.session.import_user_schema().await;
        let mut found = Discovered::default();
        let absent = |s: Step| op.first(s).is_some_and(|e| e.status() == Some(404));
        if absent(Step::ResourceTypes) && absent(Step::Schemas) {
            // Okta reads them only for Import User Schema, which an app may leave off.
            self.skipped = Some(
                "the app serves neither /ResourceTypes nor /Schemas (404): it cannot offer Import User Schema".into(),
            );
            self.discovered = Some(found);
            return self.verdict(mark, Some(op));
        }
        if let Some(ex) = op.first(Step::ResourceTypes) {
            let body = ex.json().filter(|_| ex.status() == Some(200));
            if self
                .checks
                .record(&dc::RESOURCE_TYPES_STATUS, body.is_some(), Some(ex))
                && let Some(body) = body
            {
                let (user, problems) = check_resource_types(&body);
                found.user_schemas = user;
                self.checks.record_detail(
                    &dc::RESOURCE_TYPES_VALID,
                    problems.is_empty(),
                    Some(ex),
                    Some(problems.join("\n")),
                );
            }
        }
        if let Some(ex) = op.first(Step::Schemas) {
            let body = ex.json().filter(|_| ex.status() == Some(200));
            if self
                .checks
                .record(&dc::SCHEMAS_STATUS, body.is_some(), Some(ex))
                && let Some(body) = body
            {
                let mut problems = Vec::new();
                let docs = match &body {
                    Value::Array(a) => a.clone(),
                    _ => resources_of(&body).cloned().unwrap_or_default(),
                };
                for doc in docs.iter().take(256) {
                    match SchemaDecl::parse_served(doc).and_then(|d| d.validate().map(|()| d)) {
                        Ok(d) => found.schemas.push(d),
                        Err(e) => problems.push(format!(
                            "{}: {}",
                            doc.get("id")
                                .and_then(Value::as_str)
                                .unwrap_or("a schema without id"),
                            e.0
                        )),
                    }
                }
                for urn in &found.user_schemas {
                    if !found.schemas.iter().any(|s| s.id.eq_ignore_ascii_case(urn)) {
                        problems.push(format!(
                            "the User resource type names {urn}, but /Schemas does not serve it"
                        ));
                    }
                }
                self.checks.record_detail(
                    &dc::SCHEMAS_VALID,
                    problems.is_empty(),
                    Some(ex),
                    Some(problems.join("\n")),
                );
            }
        }
        // "Only the required attributes defined on your SCIM server are populated" (§1): they
        // join the app user schema, mapped to a constant of their type so that every create
        // carries them (Okta leaves the mapping to the admin; an unmapped required attribute
        // would make every create fail).
        for (urn, a) in declared_attributes(&found) {
            if a.required
                && a.mutability != Mutability::ReadOnly
                && let Some(v) = sample(&a, 1)
            {
                self.session
                    .settings
                    .app_schema
                    .upsert(required_mapping(&urn, &a, v));
            }
        }
        self.discovered = Some(found);
        self.verdict(mark, Some(op))
    }

    /// Try every attribute the User type declares: create with it, read it back, update it,
    /// read it back, as its mutability and `returned` say.
    async fn probe_declared(&mut self) -> Result<(), StepFailure> {
        let Some(found) = self.discovered.clone() else {
            return Err(StepFailure(
                "okta-sim has not read the app's /Schemas: import its user schema first".into(),
            ));
        };
        let declared = declared_attributes(&found);
        let template = self.session.settings.app_schema.clone();
        let total = declared.len();
        for (i, (urn, a)) in declared.into_iter().take(MAX_PROBED).enumerate() {
            let (Some(v1), Some(v2)) = (sample(&a, 1), sample(&a, 2)) else {
                continue;
            };
            let label = format!("declared attribute {i}");
            let mut schema = template.clone();
            let attr = |v: Value| AppAttribute {
                variable: "declared".into(),
                ty: PropertyType::String,
                external_name: a.name.clone(),
                namespace: Some(urn.clone()),
                scope: Scope::Personal,
                mapping: Some(Expr::Const(v)),
                array_mode: ArrayMode::GroupPriority,
            };
            schema.upsert(attr(v1.clone()));
            self.session.settings.app_schema = schema.clone();
            let what = describe(&urn, &a);
            let result = self
                .probe_one(&label, &urn, &a, &what, &v1, &v2, &mut schema)
                .await;
            self.session.settings.app_schema = template.clone();
            result?;
        }
        if total > MAX_PROBED {
            self.note = Some(format!(
                "the app declares {total} user attributes; okta-sim tried the first {MAX_PROBED}"
            ));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn probe_one(
        &mut self,
        label: &str,
        urn: &str,
        a: &AttributeDecl,
        what: &str,
        v1: &Value,
        v2: &Value,
        schema: &mut crate::okta::appschema::AppUserSchema,
    ) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let login = self.session.user(label).okta.login.clone();
        let op = self.session.assign_user(label).await;
        grade::assign(&op, &login, &mut self.checks);
        let created = op.first(Step::Create).cloned();
        let ok = created.as_ref().is_some_and(|e| e.status() == Some(201));
        if let Some(ex) = &created {
            let detail = format!(
                "{what}; POST /Users with {} answered {}",
                shown(Some(v1)),
                ex.got()
            );
            let def = if a.mutability == Mutability::ReadOnly {
                &super::catalogue::attributes::READONLY_IGNORED
            } else {
                &dc::ACCEPTED
            };
            self.checks.record_detail(def, ok, Some(ex), Some(detail));
        }
        // A failed create is graded above; the attribute's other checks need the user.
        let created_failed = !ok;
        self.verdict(mark, Some(op))
            .or_else(|e| if created_failed { Ok(()) } else { Err(e) })?;
        if created_failed {
            return Ok(());
        }
        let Some((body, ex)) = self.read_back(label).await? else {
            return Ok(());
        };
        let got = value_at(&body, urn, &a.name);
        let readback = format!("{what}; GET /Users/{{id}} returned {}", shown(got));
        match (a.mutability, a.returned) {
            (Mutability::ReadOnly, _) => {
                self.checks.record_detail(
                    &super::catalogue::attributes::READONLY_IGNORED,
                    !holds(got, v1, true),
                    Some(&ex),
                    Some(format!("{readback}, the value Okta sent")),
                );
                return Ok(());
            }
            (_, Returned::Never) | (Mutability::WriteOnly, _) => {
                self.checks.record_detail(
                    &dc::NEVER_RETURNED,
                    got.is_none(),
                    Some(&ex),
                    Some(readback),
                );
                return Ok(());
            }
            (_, Returned::Request) => return Ok(()),
            _ => {
                let sent = format!("{readback}, but Okta sent {}", shown(Some(v1)));
                self.checks.record_detail(
                    &dc::RETURNED,
                    holds(got, v1, a.case_exact),
                    Some(&ex),
                    Some(sent),
                );
            }
        }
        // The update.
        schema.upsert(AppAttribute {
            mapping: Some(Expr::Const(v2.clone())),
            ..schema
                .attribute("declared")
                .cloned()
                .ok_or_else(|| StepFailure("lost the probe".into()))?
        });
        self.session.settings.app_schema = schema.clone();
        let mark = self.checks.items.len();
        let op = self.session.push_current_profile(label).await;
        if a.mutability == Mutability::Immutable {
            self.grade_refused_update(&op, &super::catalogue::attributes::IMMUTABLE_REFUSED, |p| {
                format!(
                    "{what}; a {} changing it answered {}",
                    p.request.method,
                    p.got()
                )
            });
            self.verdict(mark, Some(op))?;
            if let Some((body, ex)) = self.read_back(label).await? {
                let got = value_at(&body, urn, &a.name);
                self.checks.record_detail(
                    &super::catalogue::attributes::IMMUTABLE_KEPT,
                    holds(got, v1, a.case_exact),
                    Some(&ex),
                    Some(format!(
                        "{what}; after the refused change GET returned {}",
                        shown(got)
                    )),
                );
            }
            return Ok(());
        }
        grade::get_put(&op, &profile::UPDATE, &mut self.checks);
        grade::profile_patch(&op, &mut self.checks);
        self.verdict(mark, Some(op))?;
        if let Some((body, ex)) = self.read_back(label).await? {
            let got = value_at(&body, urn, &a.name);
            self.checks.record_detail(
                &dc::UPDATED,
                holds(got, v2, a.case_exact),
                Some(&ex),
                Some(format!(
                    "{what}; after Okta's update to {} GET returned {}",
                    shown(Some(v2)),
                    shown(got)
                )),
            );
        }
        Ok(())
    }

    /// Discover the target's Roles and Entitlements; skip the scenario when it has none.
    async fn discover_entitlements(&mut self) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let op = self.session.discover_entitlements().await;
        if op
            .first(Step::ResourceTypes)
            .is_some_and(|e| e.status() == Some(404))
        {
            self.skipped = Some(
                "the app serves no /ResourceTypes (404): it publishes no roles or entitlements"
                    .into(),
            );
            // Okta stops there too; nothing else was sent.
            self.last_op = Some(op);
            return Ok(());
        }
        if let Some(ex) = op.first(Step::ResourceTypes) {
            let ok = ex.status() == Some(200) && ex.json().is_some();
            self.checks.record(&dc::RESOURCE_TYPES_STATUS, ok, Some(ex));
        }
        if let Some(ex) = op.first(Step::Schemas) {
            let ok = ex.status() == Some(200) && ex.json().is_some();
            self.checks.record(&dc::SCHEMAS_STATUS, ok, Some(ex));
        }
        for ex in op.all(Step::GrantPage) {
            let listed = ex.json().is_some_and(|b| resources_of(&b).is_some());
            self.checks.record_detail(
                &ec::PAGE,
                ex.status() == Some(200) && listed,
                Some(ex),
                Some(format!("{} answered {}", ex.request.path, ex.got())),
            );
        }
        let types = self.session.grant_types.clone();
        let last_page = op.all(Step::GrantPage).last().cloned();
        for t in &types {
            let complete =
                t.repeated.is_empty() && t.total.is_none_or(|n| n == t.values.len() as u64);
            let detail = format!(
                "{} at {}: {} values read{}{}",
                t.name,
                t.endpoint,
                t.values.len(),
                t.total
                    .map(|n| format!(", totalResults {n}"))
                    .unwrap_or_default(),
                if t.repeated.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} came again on a later page (first: {})",
                        t.repeated.len(),
                        t.repeated[0]
                    )
                }
            );
            self.checks
                .record_detail(&ec::COMPLETE, complete, last_page.as_ref(), Some(detail));
            let fields = self.session.entitlement_settings(&t.name);
            self.checks.record_detail(
                &ec::FIELDS,
                t.incomplete == 0 && t.wrong_type == 0,
                last_page.as_ref(),
                Some(format!(
                    "{}: {} values without {} or {}; {} entitlements whose type is not {:?}",
                    t.name,
                    t.incomplete,
                    fields.id_field,
                    fields.display_field,
                    t.wrong_type,
                    t.name
                )),
            );
        }
        let resource_types_read = op
            .first(Step::ResourceTypes)
            .is_some_and(|e| e.status() == Some(200));
        self.verdict(mark, Some(op))?;
        if resource_types_read && types.is_empty() {
            self.skipped = Some(
                "the app publishes no resource type with Okta's Role or Entitlement schema (not an Identity Governance app)".into(),
            );
        }
        Ok(())
    }
}

/// The User resource type's schemas, and what is wrong with the resource types.
fn check_resource_types(body: &Value) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut user = Vec::new();
    let types = resource_types_of(body);
    if types.is_empty() {
        problems.push("no resource types listed".into());
    }
    for t in types.iter().take(256) {
        let field = |f: &str| t.get(f).and_then(Value::as_str).filter(|s| !s.is_empty());
        let name = field("name").unwrap_or("a resource type without a name");
        for f in ["name", "endpoint", "schema"] {
            if field(f).is_none() {
                problems.push(format!("{name}: no {f}"));
            }
        }
        if field("endpoint").is_some_and(|e| e.eq_ignore_ascii_case("/Users")) {
            if let Some(s) = field("schema") {
                user.push(s.to_string());
            }
            for e in t
                .get("schemaExtensions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match e.get("schema").and_then(Value::as_str) {
                    Some(s) => user.push(s.to_string()),
                    None => problems.push(format!("{name}: a schemaExtension without schema")),
                }
            }
        }
    }
    if user.is_empty() {
        problems.push("no resource type at /Users".into());
    }
    (user, problems)
}

// ---- Steps -----------------------------------------------------------------------------------

#[when("Okta imports the app's user schema")]
async fn import_user_schema(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| w.import_user_schema().await)
        .await
}

#[then("every attribute the app declares behaves as declared")]
async fn declared_behave(w: &mut OktaWorld) {
    w.step(StepKind::Assertion, async |w| w.probe_declared().await)
        .await
}

#[when("Okta discovers the app's entitlements")]
async fn discover(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| w.discover_entitlements().await)
        .await
}

#[given("Okta discovered the app's entitlements")]
async fn given_discovered(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| w.discover_entitlements().await)
        .await
}

#[given(expr = "the {string} values name their id {string} and display name {string}")]
fn renamed_fields(w: &mut OktaWorld, type_name: String, id: String, display: String) {
    let mut e = w.session.entitlement_settings(&type_name);
    e.id_field = id;
    e.display_field = display;
    w.session
        .settings
        .entitlements
        .retain(|x| x.resource_type != type_name);
    w.session.settings.entitlements.push(e);
}

#[given("every discovered type is required and single-valued")]
fn required_grants(w: &mut OktaWorld) {
    let names: Vec<String> = w
        .session
        .grant_types
        .iter()
        .map(|t| t.name.clone())
        .collect();
    for type_name in names {
        let mut e = w.session.entitlement_settings(&type_name);
        e.required = true;
        e.multi_valued = false;
        w.session
            .settings
            .entitlements
            .retain(|x| x.resource_type != type_name);
        w.session.settings.entitlements.push(e);
    }
}

#[then("every published value was discovered once")]
async fn discovered_once(w: &mut OktaWorld) {
    w.step(StepKind::Assertion, async |w| {
        // Graded as the discovery read them: a check per resource type, recorded again here so
        // that this step states what it asserts.
        let types = w.session.grant_types.clone();
        if types.is_empty() {
            return Err(StepFailure("Okta discovered no grants".into()));
        }
        for t in types {
            let complete =
                t.repeated.is_empty() && t.total.is_none_or(|n| n == t.values.len() as u64);
            w.checks.record_detail(
                &ec::COMPLETE,
                complete,
                None,
                Some(format!(
                    "{}: {} values, totalResults {:?}",
                    t.name,
                    t.values.len(),
                    t.total
                )),
            );
        }
        Ok(())
    })
    .await
}

#[when("Okta runs its Entitlements test")]
async fn entitlements_test(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        let types = w.session.grant_types.clone();
        for t in types {
            let mark = w.checks.items.len();
            let op = w.session.entitlements_test(&t.endpoint).await;
            if let Some(ex) = op.first(Step::EntitlementsTest) {
                let body = ex.json().unwrap_or_default();
                let per_page = body.get("itemsPerPage").and_then(Value::as_u64);
                let n = resources_of(&body).map(Vec::len);
                let listed = body
                    .get("schemas")
                    .and_then(Value::as_array)
                    .is_some_and(|s| s.iter().any(|x| x == LIST_RESPONSE_SCHEMA));
                w.checks.record_detail(
                    &ec::TEST_PAGE,
                    ex.status() == Some(200) && per_page == Some(1) && n == Some(1) && listed,
                    Some(ex),
                    Some(format!(
                        "{}: status {:?}, itemsPerPage {per_page:?}, {} Resources, ListResponse schema {}",
                        t.endpoint,
                        ex.status(),
                        n.map_or("no".to_string(), |n| n.to_string()),
                        if listed { "present" } else { "missing" }
                    )),
                );
            }
            w.verdict(mark, Some(op))?;
        }
        Ok(())
    })
    .await
}

#[when(expr = "Okta grants {string} the {string} {string}")]
async fn grant(w: &mut OktaWorld, label: String, type_name: String, value: String) {
    w.step(StepKind::Action, async |w| {
        w.grant_one(&label, &type_name, &value).await
    })
    .await
}

#[when(expr = "Okta grants {string} a value of every discovered type")]
async fn grant_each(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let picks: Vec<(String, String)> = w
            .session
            .grant_types
            .iter()
            .filter_map(|t| {
                // The second value when there is one: the first is what a lazy app returns
                // for everything.
                let v = t.values.get(1).or_else(|| t.values.first())?;
                Some((t.name.clone(), v.id.clone()))
            })
            .collect();
        for (t, v) in picks {
            w.grant_one(&label, &t, &v).await?;
        }
        Ok(())
    })
    .await
}

impl OktaWorld {
    async fn grant_one(
        &mut self,
        label: &str,
        type_name: &str,
        value: &str,
    ) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let op = self.session.grant(label, type_name, value).await;
        grade::get_put(&op, &profile::UPDATE, &mut self.checks);
        grade::profile_patch(&op, &mut self.checks);
        self.verdict(mark, Some(op))
    }
}

#[then(expr = "the app shows the grants of {string}")]
async fn shows_grants(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let (roles, entitlements) = w.session.grant_values(&label);
        let Some((body, ex)) = w.read_back(&label).await? else {
            return Ok(());
        };
        let ids = |attr: &str| super::world::values_of(&body, attr, None);
        let mut missing = Vec::new();
        for (attr, sent) in [("roles", &roles), ("entitlements", &entitlements)] {
            let have = ids(attr);
            for v in sent {
                let id = v["value"].as_str().unwrap_or_default();
                if !have.iter().any(|h| h == id) {
                    missing.push(format!("{attr} {id}"));
                }
            }
        }
        w.checks.record_detail(
            &ec::GRANTED,
            missing.is_empty(),
            Some(&ex),
            Some(format!("not stored: {}", missing.join(", "))),
        );
        Ok(())
    })
    .await
}

#[then(expr = "importing users brings back the grants of {string}")]
async fn imported_grants(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let mark = w.checks.items.len();
        let (op, all) = w
            .session
            .import(crate::okta::ops::OpKind::ImportUsers)
            .await;
        for ex in op.all(Step::Page) {
            grade::list_response(&mut w.checks, &super::catalogue::import::USERS_PAGE, ex);
        }
        for ex in op.all(Step::PastTheEnd) {
            grade::list_response(&mut w.checks, &super::catalogue::import::USERS_PAGE, ex);
        }
        let id = w.session.app_id(&label).unwrap_or_default();
        let me = all
            .iter()
            .find(|u| u.get("id").and_then(Value::as_str) == Some(&id));
        let known = |kind: GrantKind, v: &str| {
            w.session
                .grant_types
                .iter()
                .filter(|t| t.kind == kind)
                .any(|t| t.values.iter().any(|x| x.id == v))
        };
        let mut problems = Vec::new();
        match me {
            None => problems.push(format!("the import did not list {label}")),
            Some(u) => {
                for kind in [GrantKind::Role, GrantKind::Entitlement] {
                    let attr = kind.user_attribute();
                    for v in u
                        .get(attr)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.get("value").and_then(Value::as_str))
                    {
                        if !known(kind, v) {
                            problems.push(format!("{attr} {v} is no value the app publishes"));
                        }
                    }
                }
                let (roles, ents) = w.session.grant_values(&label);
                for (attr, sent) in [("roles", roles), ("entitlements", ents)] {
                    for s in sent {
                        let id = s["value"].as_str().unwrap_or_default();
                        let listed = u
                            .get(attr)
                            .and_then(Value::as_array)
                            .is_some_and(|a| a.iter().any(|x| x["value"] == id));
                        if !listed {
                            problems.push(format!("the import shows no {attr} {id}"));
                        }
                    }
                }
            }
        }
        let last = op.all(Step::Page).last().cloned();
        w.checks.record_detail(
            &ec::IMPORTED,
            problems.is_empty(),
            last.as_ref(),
            Some(problems.join("\n")),
        );
        w.verdict(mark, Some(op))
    })
    .await
}

#[then(expr = "{string} cannot be assigned without a grant")]
async fn cannot_assign(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Harness, async |w| {
        let op = w.session.assign_user(&label).await;
        let type_name = "(Required)";
        let refused = op.is_empty() && op.error.as_ref().is_some_and(|e| e.0.contains(type_name));
        w.last_op = Some(op);
        if refused {
            Ok(())
        } else {
            Err(StepFailure(format!(
                "okta-sim assigned {label} although {type_name} is required"
            )))
        }
    })
    .await
}
