//! Steps for Okta's attribute model (okta-attributes-entitlements-oauth §1, §4): declaring the
//! app user schema and its mappings, Okta users' profiles, group assignments with values and
//! priorities, and assertions on what the app stored and what Okta sent.
//!
//! Scenarios that need an extension schema only some apps declare start with
//! `Given the app declares the User extension "urn:…"`: against a target that does not, the
//! scenario is reported skipped, not failed.

use cucumber::gherkin::Step as GherkinStep;
use cucumber::{given, then, when};
use serde_json::{Map, Value};

use super::catalogue::attributes as ac;
use super::check::json_diff;
use super::grade;
use super::world::{OktaWorld, StepFailure, StepKind};
use crate::okta::appschema::{
    AppAttribute, ArrayMode, Expr, MAX_PRIORITY, PropertyType, Scope, namespace_named,
};
use crate::okta::ops::Step;

/// The rows of a step's table as maps from the (lower-cased) header to the cell.
fn rows(step: &GherkinStep) -> Result<Vec<Map<String, Value>>, StepFailure> {
    let table = step
        .table
        .as_ref()
        .ok_or_else(|| StepFailure("this step needs a table".into()))?;
    let mut it = table.rows.iter();
    let header: Vec<String> = it
        .next()
        .ok_or_else(|| StepFailure("the table has no header row".into()))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    Ok(it
        .map(|r| {
            header
                .iter()
                .zip(r)
                .map(|(h, c)| (h.clone(), Value::String(c.trim().to_string())))
                .collect()
        })
        .collect())
}

fn cell<'a>(row: &'a Map<String, Value>, name: &str) -> &'a str {
    row.get(name).and_then(Value::as_str).unwrap_or("")
}

/// A value written in a feature file: JSON when it parses, else the text.
fn loose_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn doc_json(step: &GherkinStep) -> Result<Value, StepFailure> {
    let doc = step
        .docstring
        .as_ref()
        .ok_or_else(|| StepFailure("this step needs a JSON doc string".into()))?;
    serde_json::from_str(doc).map_err(|e| StepFailure(format!("the doc string is not JSON: {e}")))
}

impl OktaWorld {
    /// Grade an update the app must refuse: its GET answered 200, and each write (PUT, or PATCH
    /// where the operation makes one) answered 400 with scimType `mutability`, recorded as
    /// `check` with `detail` of that answer.
    pub(crate) fn grade_refused_update(
        &mut self,
        op: &crate::okta::ops::Op,
        check: &super::check::CheckDef,
        detail: impl Fn(&crate::okta::Exchange) -> String,
    ) {
        if let Some(g) = op.first(Step::Get) {
            self.checks.record_as(
                &super::catalogue::profile::UPDATE,
                &super::catalogue::get_put::GET_STATUS_200,
                g.status() == Some(200),
                Some(g),
                None,
            );
        }
        let writes: Vec<&crate::okta::Exchange> = if op.kind.steps().contains(&Step::Patch) {
            op.all(Step::Put).chain(op.all(Step::Patch)).collect()
        } else {
            op.all(Step::Put).collect()
        };
        for ex in writes {
            let scim_type = ex
                .json()
                .and_then(|b| b.get("scimType").and_then(Value::as_str).map(String::from));
            self.checks.record_detail(
                check,
                ex.status() == Some(400) && scim_type.as_deref() == Some("mutability"),
                Some(ex),
                Some(detail(ex)),
            );
        }
    }

    /// Values for group-assignable or direct attributes, typed by the app user schema.
    fn typed_values(&self, step: &GherkinStep) -> Result<Map<String, Value>, StepFailure> {
        let mut out = Map::new();
        for row in rows(step)? {
            let name = cell(&row, "attribute");
            let a = self
                .session
                .settings
                .app_schema
                .attribute(name)
                .ok_or_else(|| StepFailure(format!("the app user schema has no {name:?}")))?;
            let v =
                a.ty.value_from_text(cell(&row, "value"))
                    .map_err(|e| StepFailure(format!("{name}: {e}")))?;
            out.insert(name.to_string(), v);
        }
        Ok(out)
    }

    /// Read a user back and check it shows `expected` (a subset), as `check`.
    async fn shows(
        &mut self,
        label: &str,
        check: &super::check::CheckDef,
        expected: Value,
    ) -> Result<(), StepFailure> {
        super::world::read_user(self, label, check, expected).await
    }
}

// ---- Given -----------------------------------------------------------------------------------

#[given("the app user schema has the attributes:")]
fn schema_attributes(w: &mut OktaWorld, step: &GherkinStep) {
    let result = (|| -> Result<(), StepFailure> {
        for row in rows(step)? {
            let variable = cell(&row, "variable");
            if variable.is_empty() {
                return Err(StepFailure("every attribute needs a variable name".into()));
            }
            let ty = PropertyType::parse(cell(&row, "type")).ok_or_else(|| {
                StepFailure(format!(
                    "{variable}: type {:?} is not string, boolean, integer, number or one of their arrays",
                    cell(&row, "type")
                ))
            })?;
            let scope = match cell(&row, "scope") {
                "" | "personal" => Scope::Personal,
                "group" => Scope::Group,
                other => {
                    return Err(StepFailure(format!(
                        "{variable}: scope {other:?} is not personal or group"
                    )));
                }
            };
            let mapping = match cell(&row, "mapping") {
                "" | "-" => None,
                m => Some(Expr::parse(m).map_err(|e| StepFailure(format!("{variable}: {e}")))?),
            };
            let array_mode = match cell(&row, "arrays") {
                "" | "priority" => ArrayMode::GroupPriority,
                "combine" => ArrayMode::Combine,
                other => {
                    return Err(StepFailure(format!(
                        "{variable}: arrays {other:?} is not priority or combine"
                    )));
                }
            };
            let external = match cell(&row, "external name") {
                "" => variable,
                e => e,
            };
            w.session.settings.app_schema.upsert(AppAttribute {
                variable: variable.into(),
                ty,
                external_name: external.into(),
                namespace: namespace_named(cell(&row, "namespace")),
                scope,
                mapping,
                array_mode,
            });
        }
        Ok(())
    })();
    if let Err(e) = result {
        w.failure = Some(e.0);
    }
}

#[given("the app user schema lists extension URNs in \"schemas\"")]
fn list_extension_schemas(w: &mut OktaWorld) {
    w.session.settings.app_schema.list_extension_schemas = true;
}

#[given("Okta pushes profile changes with PATCH")]
fn profile_patch(w: &mut OktaWorld) {
    w.session.settings.profile_push = crate::okta::ops::ProfilePush::Patch;
}

#[given(expr = "Okta user {string} has the profile:")]
fn user_profile(w: &mut OktaWorld, label: String, step: &GherkinStep) {
    match rows(step) {
        Ok(rows) => {
            let u = &mut w.session.user(&label).okta;
            for row in rows {
                u.profile.insert(
                    cell(&row, "attribute").to_string(),
                    loose_value(cell(&row, "value")),
                );
            }
        }
        Err(e) => w.failure = Some(e.0),
    }
}

#[given(expr = "the app declares the User extension {string}")]
async fn declares_extension(w: &mut OktaWorld, urn: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.import_user_schema().await;
        let types = op
            .first(Step::ResourceTypes)
            .filter(|e| e.status() == Some(200))
            .and_then(|e| e.json());
        let declared = types.as_ref().is_some_and(|b| {
            crate::okta::grants::resource_types_of(b).iter().any(|t| {
                t.get("schemaExtensions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|e| {
                        e.get("schema")
                            .and_then(Value::as_str)
                            .is_some_and(|s| s.eq_ignore_ascii_case(&urn))
                    })
            })
        });
        // Only /ResourceTypes decides; /Schemas is graded by the discovery scenarios.
        let _ = op.first(Step::Schemas);
        w.verdict(mark, Some(op))?;
        if !declared {
            w.skipped = Some(format!(
                "the app's User resource type does not declare the extension {urn}"
            ));
        }
        Ok(())
    })
    .await
}

// ---- When ------------------------------------------------------------------------------------

#[when(expr = "{string} is assigned to the app with:")]
async fn assign_with(w: &mut OktaWorld, label: String, step: &GherkinStep) {
    w.step(StepKind::Action, async |w| {
        let values = w.typed_values(step)?;
        let mark = w.checks.items.len();
        let login = w.session.user(&label).okta.login.clone();
        let op = w.session.assign_user_with(&label, values).await;
        grade::assign(&op, &login, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

/// Skip the scenario when assignment changes are not pushed (`--no-push-on-assignment-change`):
/// what it expects of the app depends on Okta pushing them.
fn needs_assignment_push(w: &mut OktaWorld) -> bool {
    if w.session.settings.push_on_assignment_change {
        return true;
    }
    w.skipped = Some(
        "assignment changes are not pushed in this run (--no-push-on-assignment-change)".into(),
    );
    false
}

async fn assign_group(
    w: &mut OktaWorld,
    group: &str,
    priority: usize,
    values: Map<String, Value>,
) -> Result<(), StepFailure> {
    let members = w.session.group(group).members.clone();
    if members.iter().any(|m| w.session.app_id(m).is_some()) && !needs_assignment_push(w) {
        return Ok(());
    }
    let priority = u8::try_from(priority)
        .ok()
        .filter(|p| *p <= MAX_PRIORITY)
        .ok_or_else(|| StepFailure(format!("priority {priority} is not in 0–100")))?;
    let mark = w.checks.items.len();
    let op = w.session.assign_group_to_app(group, priority, values).await;
    grade::assignment_change(&op, &mut w.checks);
    for member in w.session.group(group).members.clone() {
        w.remember_id(&member);
    }
    w.verdict(mark, Some(op))
}

#[given(expr = "{string} is assigned to the app with:")]
async fn given_assign_with(w: &mut OktaWorld, label: String, step: &GherkinStep) {
    assign_with(w, label, step).await
}

#[when(expr = "group {string} is assigned to the app with priority {int} and:")]
async fn group_assigned_with(
    w: &mut OktaWorld,
    group: String,
    priority: usize,
    step: &GherkinStep,
) {
    w.step(StepKind::Action, async |w| {
        let values = w.typed_values(step)?;
        assign_group(w, &group, priority, values).await
    })
    .await
}

#[given(expr = "group {string} is assigned to the app with priority {int} and:")]
async fn given_group_assigned_with(
    w: &mut OktaWorld,
    group: String,
    priority: usize,
    step: &GherkinStep,
) {
    group_assigned_with(w, group, priority, step).await
}

#[when(expr = "group {string} gets priority {int}")]
async fn group_priority(w: &mut OktaWorld, group: String, priority: usize) {
    w.step(StepKind::Action, async |w| {
        if !needs_assignment_push(w) {
            return Ok(());
        }
        let p = u8::try_from(priority)
            .ok()
            .filter(|p| *p <= MAX_PRIORITY)
            .ok_or_else(|| StepFailure(format!("priority {priority} is not in 0–100")))?;
        let mark = w.checks.items.len();
        let op = w.session.set_group_priority(&group, p).await;
        grade::assignment_change(&op, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

#[when(expr = "{string} leaves group {string} in Okta")]
async fn leave_group(w: &mut OktaWorld, user: String, group: String) {
    w.step(StepKind::Action, async |w| {
        if !needs_assignment_push(w) {
            return Ok(());
        }
        let mark = w.checks.items.len();
        let op = w.session.leave_group(&user, &group).await;
        if w.session.is_assigned(&user) {
            grade::assignment_change(&op, &mut w.checks);
        } else {
            // Its last way to the app gone, the user is unassigned: what deactivation sends.
            grade::set_active(
                &op,
                &super::catalogue::lifecycle::UNASSIGN,
                false,
                &mut w.checks,
            );
        }
        w.verdict(mark, Some(op))
    })
    .await
}

#[when(expr = "Okta pushes a profile update for {string} that sets {string} to {string}")]
async fn push_attribute(w: &mut OktaWorld, label: String, attribute: String, value: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w
            .session
            .push_attribute(&label, &attribute, loose_value(&value))
            .await;
        grade::get_put(&op, &super::catalogue::profile::UPDATE, &mut w.checks);
        grade::profile_patch(&op, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

#[when(
    expr = "Okta pushes a change of {string} for {string} to {string}, which the app must refuse"
)]
async fn push_refused(w: &mut OktaWorld, attribute: String, label: String, value: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w
            .session
            .push_attribute(&label, &attribute, loose_value(&value))
            .await;
        w.grade_refused_update(&op, &ac::IMMUTABLE_REFUSED, |ex| {
            format!("a change of {attribute} answered {}", ex.got())
        });
        w.verdict(mark, Some(op))
    })
    .await
}

#[when(expr = "the app itself sets {string} of {string} to {string}")]
async fn app_sets(w: &mut OktaWorld, path: String, label: String, value: String) {
    w.step(StepKind::Action, async |w| {
        let op = w
            .session
            .app_changes_user(&label, &path, loose_value(&value))
            .await;
        let ok = op
            .first(Step::Patch)
            .is_some_and(|e| matches!(e.status(), Some(200 | 204)));
        let got = op.first(Step::Patch).map(|e| e.got()).unwrap_or_default();
        w.last_op = Some(op);
        if ok {
            Ok(())
        } else {
            Err(StepFailure(format!(
                "setup: the app did not take a PATCH of {path} (as the vendor's own change): {got}"
            )))
        }
    })
    .await
}

// ---- Then ------------------------------------------------------------------------------------

#[then(expr = "the app shows {string} with:")]
async fn shows_with(w: &mut OktaWorld, label: String, step: &GherkinStep) {
    w.step(StepKind::Assertion, async |w| {
        let expected = doc_json(step)?;
        w.shows(&label, &ac::STORED, expected).await
    })
    .await
}

#[then(expr = "the app still shows {string} with:")]
async fn still_shows_with(w: &mut OktaWorld, label: String, step: &GherkinStep) {
    w.step(StepKind::Assertion, async |w| {
        let expected = doc_json(step)?;
        w.shows(&label, &ac::ECHO_KEPT, expected).await
    })
    .await
}

#[then(expr = "the immutable value of {string} is unchanged:")]
async fn immutable_kept(w: &mut OktaWorld, label: String, step: &GherkinStep) {
    w.step(StepKind::Assertion, async |w| {
        let expected = doc_json(step)?;
        w.shows(&label, &ac::IMMUTABLE_KEPT, expected).await
    })
    .await
}

#[then(expr = "the app did not store the readOnly {string} Okta sent for {string}")]
async fn readonly_ignored(w: &mut OktaWorld, path: String, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let (urn, name) = crate::scim::schema::split_urn_path(&path);
        let sent = w
            .last_sent_body()
            .and_then(|b| match urn {
                Some(u) => b.get(u).and_then(|e| e.get(name)).cloned(),
                None => b.get(name).cloned(),
            })
            .ok_or_else(|| StepFailure(format!("Okta sent no {path}: map it first")))?;
        let mark = w.checks.items.len();
        let op = w.session.read_user(&label).await;
        if let Some(ex) = op.first(Step::Get) {
            let body = ex.json().unwrap_or_default();
            let got = match urn {
                Some(u) => body.get(u).and_then(|e| e.get(name)).cloned(),
                None => body.get(name).cloned(),
            };
            w.checks.record_detail(
                &ac::READONLY_IGNORED,
                ex.status() == Some(200) && got.as_ref() != Some(&sent),
                Some(ex),
                Some(format!(
                    "Okta sent {path} {sent}; the app stored {}",
                    got.unwrap_or_default()
                )),
            );
        }
        w.verdict(mark, Some(op))
    })
    .await
}

#[then(expr = "Okta's last request carried:")]
async fn last_request_carried(w: &mut OktaWorld, step: &GherkinStep) {
    w.step(StepKind::Harness, async |w| {
        let expected = doc_json(step)?;
        let body = w
            .last_sent_body()
            .ok_or_else(|| StepFailure("Okta sent no body in its last operation".into()))?;
        match json_diff(&body, &expected) {
            None => Ok(()),
            Some(d) => Err(StepFailure(format!(
                "okta-sim sent a body other than the scenario expects:\n{d}"
            ))),
        }
    })
    .await
}

#[then(expr = "Okta's last request did not carry {string}")]
async fn last_request_lacks(w: &mut OktaWorld, key: String) {
    w.step(StepKind::Harness, async |w| {
        let body = w
            .last_sent_body()
            .ok_or_else(|| StepFailure("Okta sent no body in its last operation".into()))?;
        let (urn, name) = crate::scim::schema::split_urn_path(&key);
        let present = match urn {
            Some(u) => body.get(u).and_then(|e| e.get(name)).is_some(),
            None => body.get(&key).is_some(),
        };
        if present {
            Err(StepFailure(format!("okta-sim sent {key}: {body}")))
        } else {
            Ok(())
        }
    })
    .await
}

impl OktaWorld {
    /// The JSON body of the last request with one that the last operation sent.
    fn last_sent_body(&self) -> Option<Value> {
        let op = self.last_op.as_ref()?;
        let ex = op.exchanges().filter(|e| e.request.body.is_some()).last()?;
        let body = ex.request.json_body()?;
        // A PATCH carries the profile in its one operation's value.
        match body.get("Operations").and_then(Value::as_array) {
            Some(ops) => ops.first().and_then(|o| o.get("value")).cloned(),
            None => Some(body),
        }
    }
}

// ---- An integration's promises -----------------------------------------------------------------

#[then(expr = "the app keeps its guide's promise {string} for {string}")]
async fn keeps_promise(w: &mut OktaWorld, setting: String, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let (_, promise) = w.promise(&setting)?;
        match setting.as_str() {
            "app.immutable_user_attributes" => immutable_promise(w, &label, &promise).await,
            "groups.link_name_case" => {
                super::vendor_steps::exact_name_promise(w, &label, &promise).await
            }
            other => Err(StepFailure(format!(
                "okta-sim cannot check the promise of {other} yet"
            ))),
        }
    })
    .await
}

/// The username (and with it the primary email, which Okta's template maps from the same
/// login) must not change once provisioned: Okta's push of a new username is refused with
/// 400 `mutability`, and the user keeps its userName.
async fn immutable_promise(
    w: &mut OktaWorld,
    label: &str,
    promise: &str,
) -> Result<(), StepFailure> {
    let before = w.session.user(label).okta.login.clone();
    let mark = w.checks.items.len();
    let op = w.session.change_user_name(label).await;
    w.grade_refused_update(&op, &super::catalogue::vendor::PROMISE_KEPT, |p| {
        format!(
            "{promise}; Okta pushed a new username (and so a new email) and the app answered {}, not 400 mutability",
            p.status().map_or("nothing".to_string(), |s| s.to_string())
        )
    });
    w.verdict(mark, Some(op))?;
    let mark = w.checks.items.len();
    let op = w.session.read_user(label).await;
    if let Some(ex) = op.first(Step::Get) {
        let got = ex
            .json()
            .and_then(|b| b.get("userName").and_then(Value::as_str).map(String::from));
        w.checks.record_detail(
            &super::catalogue::vendor::PROMISE_KEPT,
            got.as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case(&before)),
            Some(ex),
            Some(format!(
                "{promise}; after Okta's push the app shows userName {:?}, not {before:?}",
                got.unwrap_or_default()
            )),
        );
    }
    w.verdict(mark, Some(op))
}
