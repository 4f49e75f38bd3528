//! The cucumber World and the step vocabulary. Each step runs one Okta operation (or reads the
//! app back as Okta's tests do), grades the answers, and fails when a check that fails the run
//! (`okta-required`, `rfc-must`) failed, or when Okta itself would have stopped.
//!
//! The vocabulary is documented in `features/README.md`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cucumber::{given, then, when};
use serde_json::{Value, json};

use super::check::{Checks, Grade, Spec};
use super::grade;
use crate::okta::ops::{OktaSettings, Op, Session, resources, total_results};
use crate::okta::wire::ExchangeLog;
use crate::okta::{Auth, OktaIds, RetryPolicy, WireClient};

/// Everything the scenarios of one run share.
pub struct RunContext {
    pub base_url: String,
    pub auth: Auth,
    pub settings: OktaSettings,
    pub timeout: std::time::Duration,
    pub retry: RetryPolicy,
    pub seed: u64,
    pub log: ExchangeLog,
    /// Timeouts in a row against the target, across scenarios.
    pub timeouts_in_a_row: Arc<std::sync::atomic::AtomicU32>,
    /// The SP to sign in to, when there is one.
    pub sso: Option<Arc<super::sso::SsoTarget>>,
    /// The grade of an SP accepting SHA-1 (policy).
    pub sha1_grade: Grade,
}

static CONTEXT: Mutex<Option<Arc<RunContext>>> = Mutex::new(None);

pub(crate) fn set_context(ctx: Option<Arc<RunContext>>) {
    *CONTEXT.lock().unwrap_or_else(|e| e.into_inner()) = ctx;
}

fn context() -> Result<Arc<RunContext>, String> {
    CONTEXT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .ok_or_else(|| "no run context is set".to_string())
}

#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct OktaWorld {
    pub session: Session,
    pub checks: Checks,
    pub started: Instant,
    /// The check-id prefix of the last operation, for the read-backs that follow it.
    prefix: String,
    /// The first app id each user got, to prove reactivation keeps it.
    first_ids: HashMap<String, String>,
    imported: Option<(usize, usize)>,
    last_op: Option<Op>,
    sso: Option<Arc<super::sso::SsoTarget>>,
    sha1_grade: Grade,
    saml_groups: HashMap<String, Vec<String>>,
    last_sso: Option<super::sso::AcsOutcome>,
    /// A line for the report, e.g. who an attack signed in.
    pub note: Option<String>,
}

impl fmt::Debug for OktaWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaWorld")
            .field("checks", &self.checks.items.len())
            .finish()
    }
}

impl OktaWorld {
    fn new() -> Result<Self, StepFailure> {
        let ctx = context().map_err(StepFailure)?;
        let wire = WireClient::new(
            &ctx.base_url,
            ctx.auth.clone(),
            ctx.timeout,
            ctx.retry,
            ctx.log.clone(),
        )
        .map_err(|e| StepFailure(e.to_string()))?
        .sharing_timeouts(ctx.timeouts_in_a_row.clone());
        Ok(OktaWorld {
            session: Session::new(wire, ctx.settings.clone(), OktaIds::new(ctx.seed)),
            checks: Checks::default(),
            started: Instant::now(),
            prefix: String::new(),
            first_ids: HashMap::new(),
            imported: None,
            last_op: None,
            sso: ctx.sso.clone(),
            sha1_grade: ctx.sha1_grade,
            saml_groups: HashMap::new(),
            last_sso: None,
            note: None,
        })
    }

    /// Give the scenario its own generator, derived from the run's seed and the scenario's name,
    /// so a value does not depend on which other scenarios ran.
    pub fn reseed(&mut self, run_seed: u64, scenario_key: &str) {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in scenario_key.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.session.ids = OktaIds::new(run_seed ^ h);
        self.started = Instant::now();
    }

    /// Fail the step when a blocking check failed since `mark`, or when Okta would have stopped.
    fn verdict(&mut self, mark: usize, op: Option<Op>) -> Result<(), StepFailure> {
        let failed: Vec<String> = self.checks.items[mark..]
            .iter()
            .filter(|c| c.is_blocking_failure())
            .map(|c| c.render())
            .collect();
        let op_error = op.as_ref().and_then(|o| o.error.clone());
        self.last_op = op;
        if !failed.is_empty() {
            return Err(StepFailure(failed.join("\n")));
        }
        if let Some(e) = op_error {
            return Err(StepFailure(format!("Okta stopped: {e}")));
        }
        Ok(())
    }

    fn login(&mut self, label: &str) -> String {
        self.session.user(label).okta.login.clone()
    }

    fn remember_id(&mut self, label: &str) {
        if let Some(id) = self.session.app_id(label) {
            self.first_ids.entry(label.to_string()).or_insert(id);
        }
    }

    async fn assign(&mut self, label: &str) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let login = self.login(label);
        let op = self.session.assign_user(label).await;
        grade::assign(&op, &login, &mut self.checks);
        self.remember_id(label);
        self.prefix = "users.assign".into();
        self.verdict(mark, Some(op))
    }

    async fn push_group(&mut self, label: &str) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let op = self.session.push_group(label).await;
        grade::push_group(&op, &mut self.checks);
        self.prefix = "groups.push".into();
        self.verdict(mark, Some(op))
    }
}

/// A failed step, with the failed checks rendered.
#[derive(Debug)]
pub struct StepFailure(pub String);

impl std::error::Error for StepFailure {}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn labels(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

// ---- Given ---------------------------------------------------------------------------------

#[given("group renaming is on")]
fn renaming_on(w: &mut OktaWorld) {
    w.session.settings.rename_app_groups = true;
}

#[given(expr = "Okta user {string}")]
fn okta_user(w: &mut OktaWorld, label: String) {
    w.session.user(&label);
}

#[given(expr = "{string} is assigned to the app")]
async fn given_assigned(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    w.assign(&label).await
}

#[given(expr = "{string}, {string} and {string} are assigned to the app")]
async fn given_three_assigned(
    w: &mut OktaWorld,
    a: String,
    b: String,
    c: String,
) -> Result<(), StepFailure> {
    for l in [a, b, c] {
        w.assign(&l).await?;
    }
    Ok(())
}

#[given(expr = "the app already has a user for {string}")]
async fn app_has_user(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    existing_user(w, &label, false).await
}

#[given(expr = "the app already has a user for {string} with the userName in upper case")]
async fn app_has_user_upper(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    existing_user(w, &label, true).await
}

/// A user the vendor created before Okta was connected (not through Okta's pre-check).
async fn existing_user(w: &mut OktaWorld, label: &str, upper: bool) -> Result<(), StepFailure> {
    let user = w.session.user(label).okta.clone();
    let mut body = Session::create_body(&user);
    if upper {
        body["userName"] = json!(user.login.to_uppercase());
    }
    body.as_object_mut().map(|o| o.remove("externalId"));
    let req = w.session.wire.request("POST", "/Users", &[], Some(&body));
    let ex = w.session.wire.send("setup: existing user", req).await;
    if ex.status() != Some(201) {
        return Err(StepFailure(format!(
            "could not create the existing user: {}",
            ex.got()
        )));
    }
    Ok(())
}

#[given(expr = "the app has {int} more users")]
async fn more_users(w: &mut OktaWorld, n: usize) -> Result<(), StepFailure> {
    let op = w.session.create_users(n).await;
    match op.error {
        Some(e) => Err(StepFailure(format!("setup failed: {e}"))),
        None => Ok(()),
    }
}

#[given(expr = "Okta group {string} with members {string}")]
fn okta_group(w: &mut OktaWorld, label: String, members: String) {
    w.session.group(&label).members = labels(&members);
}

#[given(expr = "{string} is pushed to the app")]
async fn given_pushed(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    w.push_group(&label).await
}

#[given(expr = "the app has a group {string} with members {string}")]
async fn app_has_group(
    w: &mut OktaWorld,
    name: String,
    members: String,
) -> Result<(), StepFailure> {
    let op = w.session.create_app_group(&name, &labels(&members)).await;
    match op.first("create") {
        Some(ex) if ex.status() == Some(201) => Ok(()),
        Some(ex) => Err(StepFailure(format!(
            "could not create the app group: {}",
            ex.got()
        ))),
        None => Err(StepFailure("could not create the app group".into())),
    }
}

#[given(expr = "{string} is deactivated")]
async fn given_deactivated(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    deactivate(w, label).await
}

// ---- When ----------------------------------------------------------------------------------

#[when("Okta tests the API credentials")]
async fn test_credentials(w: &mut OktaWorld) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.test_credentials().await;
    grade::credentials(&op, &mut w.checks);
    w.verdict(mark, Some(op))
}

#[when("Okta tests the API credentials with a wrong token")]
async fn wrong_token(w: &mut OktaWorld) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.test_credentials_with_wrong_token().await;
    grade::wrong_token(&op, &mut w.checks);
    w.verdict(mark, Some(op))
}

async fn import(w: &mut OktaWorld, endpoint: &str, what: &str) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let (op, all) = w.session.import(endpoint).await;
    w.imported = Some(grade::import(&op, &all, what, &mut w.checks));
    w.prefix = format!("import.{what}");
    w.verdict(mark, Some(op))
}

#[when("Okta imports users")]
async fn import_users(w: &mut OktaWorld) -> Result<(), StepFailure> {
    import(w, "/Users", "users").await
}

#[when("Okta imports groups")]
async fn import_groups(w: &mut OktaWorld) -> Result<(), StepFailure> {
    import(w, "/Groups", "groups").await
}

#[when("Okta refreshes the app groups")]
async fn refresh_app_groups(w: &mut OktaWorld) -> Result<(), StepFailure> {
    import(w, "/Groups", "groups").await
}

#[when(expr = "Okta assigns {string} to the app")]
async fn assign(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    w.assign(&label).await
}

#[when(expr = "Okta creates {string} again without looking it up first")]
async fn create_again(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.create_user_without_precheck(&label).await;
    grade::duplicate_create(&op, &mut w.checks);
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta pushes a profile update for {string}")]
async fn push_profile(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.push_profile(&label).await;
    grade::push_profile(&op, "users.update", &mut w.checks);
    w.prefix = "users.update".into();
    w.verdict(mark, Some(op))
}

async fn set_active(
    w: &mut OktaWorld,
    label: String,
    active: bool,
    name: &str,
) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = match name {
        "deactivate" => w.session.deactivate_user(&label).await,
        "reactivate" => w.session.reactivate_user(&label).await,
        "unassign" => w.session.unassign_user(&label).await,
        _ => w.session.reassign_user(&label).await,
    };
    let prefix = format!("users.{name}");
    grade::set_active(&op, &prefix, active, &mut w.checks);
    w.prefix = prefix;
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta deactivates {string}")]
async fn deactivate(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    set_active(w, label, false, "deactivate").await
}

#[when(expr = "Okta reactivates {string}")]
async fn reactivate(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    set_active(w, label, true, "reactivate").await
}

#[when(expr = "Okta unassigns {string}")]
async fn unassign(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    set_active(w, label, false, "unassign").await
}

#[when(expr = "Okta reassigns {string}")]
async fn reassign(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    set_active(w, label, true, "reassign").await
}

#[when(expr = "Okta syncs the password of {string}")]
async fn sync_password(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.sync_password(&label).await;
    if let Some(ex) = op.first("PATCH") {
        w.checks.check(
            Spec {
                id: "users.password.patch",
                grade: Grade::OktaRequired,
                source: "okta-scim-wire §4 (body UNCONFIRMED)",
                needed: "200 or 204 for a PATCH replacing the password",
                why: "OIN apps receive password sync as a PATCH",
            },
            matches!(ex.status(), Some(200) | Some(204)),
            Some(ex),
        );
        if let Some(b) = ex.json() {
            w.checks.check(
                Spec {
                    id: "users.password.not-returned",
                    grade: Grade::RfcMust,
                    source: "RFC 7643 §4.1.1",
                    needed: "no password in the answer",
                    why: "password is returned: never",
                },
                b.get("password").is_none(),
                Some(ex),
            );
        }
    }
    grade::push_profile(&op, "users.password", &mut w.checks);
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta looks up {string} by userName in upper case")]
async fn lookup_upper(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.find_user(&label, true).await;
    if let Some(ex) = op.first("filter")
        && let Some(b) = grade::list_response(
            &mut w.checks,
            "users.lookup-case",
            "okta-scim-wire §3.1",
            ex,
        )
    {
        w.checks.check(
                Spec {
                    id: "users.lookup-case.found",
                    grade: Grade::RfcMust,
                    source: "RFC 7643 §4.1.1, okta-scim-wire §3.1",
                    needed: "the user found by a userName filter that differs only in case",
                    why: "userName is caseExact false; an Okta username may differ in case from the app's, \
                          and a pre-check that misses the user makes Okta POST a duplicate",
                },
                total_results(&b) == Some(1),
                Some(ex),
            );
    }
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta pushes group {string}")]
async fn push_group(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    w.push_group(&label).await
}

#[when(expr = "Okta adds {string} to group {string}")]
async fn add_members(w: &mut OktaWorld, users: String, group: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.add_to_group(&group, &labels(&users)).await;
    grade::membership(&op, &mut w.checks);
    w.prefix = "groups.members".into();
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta removes {string} from group {string}")]
async fn remove_members(
    w: &mut OktaWorld,
    users: String,
    group: String,
) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.remove_from_group(&group, &labels(&users)).await;
    grade::membership(&op, &mut w.checks);
    w.prefix = "groups.members".into();
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta renames group {string} to {string}")]
async fn rename_group(w: &mut OktaWorld, group: String, name: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.rename_group(&group, &name).await;
    grade::membership(&op, &mut w.checks);
    w.prefix = "groups.rename".into();
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta pushes group {string} now")]
async fn push_now(w: &mut OktaWorld, group: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.push_now(&group).await;
    grade::membership(&op, &mut w.checks);
    w.prefix = "groups.push-now".into();
    w.verdict(mark, Some(op))
}

async fn link(
    w: &mut OktaWorld,
    group: String,
    app_group: String,
    rename: bool,
) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.link_group(&group, &app_group, rename).await;
    if let Some(ex) = op.first("displayName lookup")
        && let Some(b) =
            grade::list_response(&mut w.checks, "groups.link.lookup", "okta-scim-wire §7", ex)
    {
        let exact = resources(&b)
            .and_then(|r| r.first())
            .and_then(|g| g.get("displayName"))
            .and_then(Value::as_str)
            == Some(app_group.as_str());
        w.checks.check(
            Spec {
                id: "groups.link.found-by-name",
                grade: Grade::OktaRequired,
                source: "okta-scim-wire §7",
                needed: "the app group found by displayName eq its exact name",
                why: "Okta finds groups by name when it has no id (Link Group, Import Groups off)",
            },
            exact,
            Some(ex),
        );
    }
    grade::membership(&op, &mut w.checks);
    w.prefix = "groups.link".into();
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta links group {string} to the app group {string}")]
async fn link_group(
    w: &mut OktaWorld,
    group: String,
    app_group: String,
) -> Result<(), StepFailure> {
    link(w, group, app_group, false).await
}

#[when(expr = "Okta links group {string} to the app group {string} and renames it")]
async fn link_group_rename(
    w: &mut OktaWorld,
    group: String,
    app_group: String,
) -> Result<(), StepFailure> {
    link(w, group, app_group, true).await
}

#[when(expr = "Okta unlinks group {string} and deletes the app group")]
async fn unlink_delete(w: &mut OktaWorld, group: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.unlink_group(&group, true).await;
    grade::delete_group(&op, &mut w.checks);
    w.prefix = "groups.delete".into();
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta unlinks group {string} and leaves the app group")]
async fn unlink_leave(w: &mut OktaWorld, group: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.unlink_group(&group, false).await;
    w.prefix = "groups.unlink".into();
    w.verdict(mark, Some(op))
}

#[when("Okta runs its SCIM 2.0 SPEC test")]
async fn spec_test(w: &mut OktaWorld) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.spec_test().await;
    let user = w
        .session
        .users
        .get("spec-test user")
        .map(|u| u.okta.login.clone())
        .unwrap_or_default();
    grade::spec_test(&op, &user, &mut w.checks);
    w.verdict(mark, Some(op))
}

// ---- Then ----------------------------------------------------------------------------------

async fn read_user(
    w: &mut OktaWorld,
    label: &str,
    expected: Value,
    what: &str,
    why: &str,
) -> Result<Option<Value>, StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.read_user(label).await;
    let id = format!("{}.{what}", w.prefix);
    let body = grade::readback_user(
        &op,
        &id,
        "okta-scim-wire §5, §10.2",
        why,
        &expected,
        &mut w.checks,
    );
    w.verdict(mark, Some(op))?;
    Ok(body)
}

#[then(expr = "{string} is inactive in the app")]
async fn is_inactive(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    read_user(
        w,
        &label,
        json!({"active": false}),
        "readback-inactive",
        "Okta deactivates instead of deleting; the user must stay readable with active false",
    )
    .await
    .map(|_| ())
}

#[then(expr = "{string} is active in the app")]
async fn is_active(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    read_user(
        w,
        &label,
        json!({"active": true}),
        "readback-active",
        "reactivation must set active back to true",
    )
    .await
    .map(|_| ())
}

#[then(expr = "{string} keeps the same app id")]
async fn same_id(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let first = w.first_ids.get(&label).cloned().unwrap_or_default();
    read_user(
        w,
        &label,
        json!({"id": first}),
        "same-id",
        "reactivation reuses the same SCIM id (test plan C9293, CRUD step 14)",
    )
    .await
    .map(|_| ())
}

#[then(expr = "the app shows the profile update of {string}")]
async fn shows_update(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let user = w.session.user(&label).okta.clone();
    read_user(w, &label, json!({"name": {"givenName": user.given_name, "familyName": user.family_name}, "userName": user.login}),
        "readback-profile", "Okta's CRUD test reads the new givenName back after the update").await.map(|_| ())
}

#[then(expr = "the app has exactly one user for {string}")]
async fn exactly_one(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.find_user(&label, false).await;
    if let Some(ex) = op.first("filter")
        && let Some(b) = grade::list_response(
            &mut w.checks,
            "users.unique.lookup",
            "okta-scim-wire §3.1",
            ex,
        )
    {
        w.checks.check(
            Spec {
                id: "users.assign.exactly-one",
                grade: Grade::OktaRequired,
                source: "okta-scim-wire §3.3, test plan C9335",
                needed: "one user with this userName after assignment",
                why: "a user already in the app must be linked, not duplicated",
            },
            total_results(&b) == Some(1),
            Some(ex),
        );
    }
    w.verdict(mark, Some(op))
}

#[then(expr = "the import found {string} inactive")]
async fn import_skips_inactive(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let id = w.session.app_id(&label).unwrap_or_default();
    let mark = w.checks.items.len();
    let ex = w
        .last_op
        .as_ref()
        .and_then(|o| o.exchanges.iter().find(|e| e.label == "page"))
        .cloned();
    let listed: Option<Value> = w.last_op.as_ref().and_then(|o| {
        o.labelled("page")
            .filter_map(|e| e.json())
            .flat_map(|b| resources(&b).cloned().unwrap_or_default())
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
    });
    w.checks.check(
        Spec {
            id: "import.users.inactive-marked",
            grade: Grade::OktaRequired,
            source: "okta-scim-wire §2, quirk 29",
            needed: "a deactivated user listed with \"active\": false (or not listed)",
            why: "Okta skips active:false users on import; listed as active, a deactivated user is imported again",
        },
        listed.is_none_or(|r| r.get("active") == Some(&json!(false))),
        ex.as_ref(),
    );
    w.verdict(mark, None)
}

#[then(expr = "Okta imported at least {int} users")]
async fn imported_at_least(w: &mut OktaWorld, n: usize) -> Result<(), StepFailure> {
    let (seen, _) = w.imported.unwrap_or_default();
    if seen < n {
        return Err(StepFailure(format!(
            "the import saw {seen} users, expected at least {n}"
        )));
    }
    Ok(())
}

async fn read_group(w: &mut OktaWorld, label: &str) -> Result<Option<Value>, StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.read_group(label).await;
    let body = match op.first("GET") {
        Some(ex) => {
            let ok = w.checks.check(
                Spec {
                    id: "groups.readback.status-200",
                    grade: Grade::OktaRequired,
                    source: "okta-scim-wire §6",
                    needed: "200 for GET /Groups/{id}",
                    why: "a pushed group must stay readable",
                },
                ex.status() == Some(200),
                Some(ex),
            );
            if ok { ex.json() } else { None }
        }
        None => None,
    };
    w.verdict(mark, Some(op))?;
    Ok(body)
}

#[then(expr = "group {string} in the app has members {string}")]
async fn group_members(
    w: &mut OktaWorld,
    group: String,
    members: String,
) -> Result<(), StepFailure> {
    let want: Vec<String> = labels(&members)
        .iter()
        .filter_map(|l| w.session.app_id(l))
        .collect();
    let Some(body) = read_group(w, &group).await? else {
        return Ok(());
    };
    let mut got: Vec<String> = body
        .get("members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|x| x.get("value").and_then(Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let dupes = {
        let mut s = got.clone();
        s.sort();
        s.dedup();
        s.len() != got.len()
    };
    let mark = w.checks.items.len();
    let ex = w
        .session
        .wire
        .log()
        .lock()
        .map(|l| l.last().cloned())
        .unwrap_or(None);
    w.checks.check(
        Spec {
            id: "groups.members.no-duplicates",
            grade: Grade::RfcMust,
            source: "RFC 7643 §2.4, okta-scim-wire §6.2",
            needed: "each member once",
            why: "Okta sends an add of members already present (e.g. after a POST with members); they must not repeat",
        },
        !dupes,
        ex.as_ref(),
    );
    got.sort();
    got.dedup();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    let prefix = w.prefix.clone();
    w.checks.check_with_diff(
        Spec {
            id: &format!("{prefix}.readback-members"),
            grade: Grade::OktaRequired,
            source: "okta-scim-wire §6.2",
            needed: "the group's members to be exactly the users Okta pushed",
            why: "Group Push keeps app group membership equal to the Okta group",
        },
        got == want_sorted,
        ex.as_ref(),
        Some(format!(
            "expected members {want_sorted:?}\n     got members {got:?}"
        )),
    );
    w.verdict(mark, None)
}

#[then(expr = "group {string} in the app has no members")]
async fn group_empty(w: &mut OktaWorld, group: String) -> Result<(), StepFailure> {
    group_members(w, group, String::new()).await
}

#[then(expr = "group {string} in the app is named {string}")]
async fn group_named(w: &mut OktaWorld, group: String, name: String) -> Result<(), StepFailure> {
    let Some(body) = read_group(w, &group).await? else {
        return Ok(());
    };
    let mark = w.checks.items.len();
    let ex = w
        .session
        .wire
        .log()
        .lock()
        .map(|l| l.last().cloned())
        .unwrap_or(None);
    let prefix = w.prefix.clone();
    w.checks.check(
        Spec {
            id: &format!("{prefix}.readback-name"),
            grade: Grade::OktaRequired,
            source: "okta-scim-wire §6.4, test plan C9315/C9330",
            needed: &format!("displayName {name:?}"),
            why: "with renaming on the app group follows the Okta name; with it off it keeps its own",
        },
        body.get("displayName") == Some(&json!(name)),
        ex.as_ref(),
    );
    w.verdict(mark, None)
}

#[then(expr = "group {string} in the app has the Okta group's name")]
async fn group_has_okta_name(w: &mut OktaWorld, group: String) -> Result<(), StepFailure> {
    let name = w.session.group(&group).name.clone();
    group_named(w, group, name).await
}

#[then(expr = "group {string} is gone from the app")]
async fn group_gone(w: &mut OktaWorld, group: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.read_group(&group).await;
    if let Some(ex) = op.first("GET") {
        grade::scim_error(
            &mut w.checks,
            "groups.delete.gone",
            404,
            "okta-scim-wire §6.5, RFC 7644 §3.6",
            "a deleted group must answer 404",
            ex,
        );
    }
    w.verdict(mark, Some(op))
}

#[then(expr = "group {string} is still in the app")]
async fn group_still_there(w: &mut OktaWorld, group: String) -> Result<(), StepFailure> {
    read_group(w, &group).await.map(|_| ())
}

#[then("Okta sent nothing")]
fn sent_nothing(w: &mut OktaWorld) -> Result<(), StepFailure> {
    match &w.last_op {
        Some(op) if !op.exchanges.is_empty() => Err(StepFailure(format!(
            "{} sent {} requests",
            op.name,
            op.exchanges.len()
        ))),
        _ => Ok(()),
    }
}

// ---- Single sign-on (okta-saml) ------------------------------------------------------------

impl OktaWorld {
    fn sso(&self) -> Result<Arc<super::sso::SsoTarget>, StepFailure> {
        self.sso.clone().ok_or_else(|| {
            StepFailure("no SP to sign in to: give --sp-acs and --sp-audience".into())
        })
    }

    fn saml_user(&mut self, label: &str) -> crate::saml::idp::SamlUser {
        let groups = self.saml_groups.get(label).cloned().unwrap_or_default();
        let u = &self.session.user(label).okta;
        crate::saml::idp::SamlUser {
            name_id: u.login.clone(),
            email: u.login.clone(),
            first_name: u.given_name.clone(),
            last_name: u.family_name.clone(),
            groups,
            custom: vec![],
        }
    }

    async fn idp_initiated(
        &mut self,
        label: &str,
        id: &str,
    ) -> Result<super::sso::AcsOutcome, StepFailure> {
        let sso = self.sso()?;
        let user = self.saml_user(label);
        let xml = sso.response_for(&user, None).map_err(StepFailure)?;
        let outcome = sso
            .post(
                "IdP-initiated sign-in",
                &xml,
                sso.app.default_relay_state.as_deref(),
            )
            .await;
        super::sso::grade_login(
            &mut self.checks,
            id,
            "okta-saml §1.2, §1.3",
            &outcome,
            &user,
            sso.whoami_url.is_some(),
        );
        Ok(outcome)
    }
}

#[given(expr = "Okta user {string} in groups {string}")]
fn saml_user_in_groups(w: &mut OktaWorld, label: String, groups: String) {
    w.session.user(&label);
    w.saml_groups.insert(label, labels(&groups));
}

#[when(expr = "{string} signs in from the Okta dashboard")]
async fn idp_initiated(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let o = w.idp_initiated(&label, "sso.idp-initiated").await?;
    w.note = Some(o.describe());
    w.last_sso = Some(o);
    w.verdict(mark, None)
}

#[given(expr = "{string} signed in from the Okta dashboard")]
async fn given_signed_in(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    idp_initiated(w, label).await
}

#[when(expr = "{string} signs in again with a new last name")]
async fn sign_in_again(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let u = &mut w.session.user(&label).okta;
    u.family_name = format!("{}-Renamed", u.family_name);
    let mark = w.checks.items.len();
    let o = w.idp_initiated(&label, "sso.jit-update").await?;
    w.last_sso = Some(o);
    w.verdict(mark, None)
}

#[when(expr = "{string} signs in from the app")]
async fn sp_initiated(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let sso = w.sso()?;
    let mark = w.checks.items.len();
    let user = w.saml_user(&label);
    match sso.start_sp_login().await {
        Err((why, ex)) => {
            w.checks.check_with_diff(
                Spec {
                    id: "sso.sp-initiated.redirect",
                    grade: Grade::OktaRequired,
                    source: "okta-saml §1.3, SAML bindings §3.4",
                    needed: "a redirect to the IdP's SSO URL carrying a DEFLATE+base64 SAMLRequest with an ID",
                    why: "SP-initiated sign-in starts with an AuthnRequest over HTTP-Redirect",
                },
                false,
                ex.as_ref(),
                Some(why),
            );
        }
        Ok((request_id, relay, ex)) => {
            w.checks.check(
                Spec {
                    id: "sso.sp-initiated.redirect",
                    grade: Grade::OktaRequired,
                    source: "okta-saml §1.3, SAML bindings §3.4",
                    needed: "a redirect to the IdP's SSO URL carrying a DEFLATE+base64 SAMLRequest with an ID",
                    why: "SP-initiated sign-in starts with an AuthnRequest over HTTP-Redirect",
                },
                true,
                Some(&ex),
            );
            let xml = sso
                .response_for(&user, Some(&request_id))
                .map_err(StepFailure)?;
            let o = sso
                .post("SP-initiated sign-in", &xml, relay.as_deref())
                .await;
            super::sso::grade_login(
                &mut w.checks,
                "sso.sp-initiated",
                "okta-saml §1.2 (InResponseTo)",
                &o,
                &user,
                sso.whoami_url.is_some(),
            );
            w.last_sso = Some(o);
        }
    }
    w.verdict(mark, None)
}

#[then(expr = "the app knows {string} by email, full name and groups")]
async fn knows_attributes(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let user = w.saml_user(&label);
    let mark = w.checks.items.len();
    let Some(o) = w.last_sso.clone() else {
        return Err(StepFailure("nobody signed in".into()));
    };
    let who = o.whoami.clone().unwrap_or_default();
    let text = |k: &str| who.get(k).and_then(Value::as_str).map(String::from);
    let groups: Vec<String> = who
        .get("groups")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|g| g.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let full = format!("{} {}", user.first_name, user.last_name);
    for (id, ok, needed) in [
        (
            "sso.attributes.email",
            text("email").as_deref() == Some(user.email.as_str()),
            format!("email {:?} from the email attribute", user.email),
        ),
        (
            "sso.attributes.name",
            text("name").as_deref() == Some(full.as_str()),
            format!("name {full:?} from firstName + \" \" + lastName"),
        ),
        (
            "sso.attributes.groups",
            {
                let mut a = groups.clone();
                a.sort();
                let mut b = user.groups.clone();
                b.sort();
                a == b
            },
            format!("groups {:?}, one AttributeValue each", user.groups),
        ),
    ] {
        w.checks.check_with_diff(
            Spec {
                id,
                grade: Grade::OktaRequired,
                source: "okta-saml §1.2 (AttributeStatement), seeds 000, 001, 003",
                needed: &needed,
                why: "the vendor guides map Okta's attribute statements onto the app's profile",
            },
            ok,
            Some(&o.exchange),
            Some(format!("whoami said {who}")),
        );
    }
    w.verdict(mark, None)
}

#[then(expr = "the app has a user for {string} with the name from Okta")]
async fn jit_user(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let user = w.saml_user(&label);
    let mark = w.checks.items.len();
    let op = w.session.find_user(&label, false).await;
    if let Some(ex) = op.first("filter")
        && let Some(b) = grade::list_response(
            &mut w.checks,
            "sso.jit.lookup",
            "okta-saml §1, seed 000 (JIT)",
            ex,
        )
    {
        let found = resources(&b)
            .and_then(|r| r.first())
            .cloned()
            .unwrap_or_default();
        let want = json!({"userName": user.name_id, "name": {"givenName": user.first_name, "familyName": user.last_name}});
        let diff = super::check::json_diff(&found, &want);
        w.checks.check_with_diff(
                Spec { id: "sso.jit.user", grade: Grade::OktaRequired, source: "okta-saml §1, seeds 000, 001 (JIT provisioning)",
                       needed: "the signed-in user provisioned just in time, with Okta's first and last name",
                       why: "with JIT on, the first sign-in creates the user and later ones update it" },
                diff.is_none() && total_results(&b) == Some(1),
                Some(ex),
                diff,
            );
    }
    w.verdict(mark, Some(op))
}

#[when(expr = "the attacker tries {string} to become {string}")]
async fn attack(w: &mut OktaWorld, case: String, victim: String) -> Result<(), StepFailure> {
    let sso = w.sso()?;
    let attack = crate::saml::attacks::Attack::from_name(&case)
        .ok_or_else(|| StepFailure(format!("no attack named {case:?}")))?;
    let victim_user = w.saml_user(&victim);
    let attacker = w.saml_user("mallory");
    let xml = sso
        .attack(attack, &victim_user, &attacker, None)
        .map_err(StepFailure)?;
    let mark = w.checks.items.len();
    let o = sso.post(&format!("attack {case}"), &xml, None).await;
    super::sso::grade_attack(&mut w.checks, attack, w.sha1_grade, &o, &victim_user);
    w.note = Some(o.describe());
    w.verdict(mark, None)
}

#[when(expr = "{string}'s response is posted twice")]
async fn replay(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let sso = w.sso()?;
    let user = w.saml_user(&label);
    let xml = sso.response_for(&user, None).map_err(StepFailure)?;
    let mark = w.checks.items.len();
    let first = sso.post("replay: first post", &xml, None).await;
    super::sso::grade_login(
        &mut w.checks,
        "sso.replay.first",
        "okta-saml §1",
        &first,
        &user,
        sso.whoami_url.is_some(),
    );
    let second = sso.post("replay: second post", &xml, None).await;
    w.checks.check_with_diff(
        Spec { id: "sso.replay.refused", grade: Grade::RfcMust, source: "okta-saml §3.3 (assertion replay), SAML profiles §4.1.4.5",
               needed: "the second post of the same assertion refused", why: "bearer assertions are one-time use; a captured response must not sign anyone in again" },
        !second.accepted,
        Some(&second.exchange),
        Some(second.describe()),
    );
    w.verdict(mark, None)
}

#[when(expr = "{string} answers one sign-in request twice")]
async fn in_response_to_reuse(w: &mut OktaWorld, label: String) -> Result<(), StepFailure> {
    let sso = w.sso()?;
    let user = w.saml_user(&label);
    let mark = w.checks.items.len();
    let (request_id, _, _) = sso
        .start_sp_login()
        .await
        .map_err(|(why, _)| StepFailure(why))?;
    let first = sso
        .post(
            "InResponseTo: first answer",
            &sso.response_for(&user, Some(&request_id))
                .map_err(StepFailure)?,
            None,
        )
        .await;
    super::sso::grade_login(
        &mut w.checks,
        "sso.in-response-to.first",
        "okta-saml §1",
        &first,
        &user,
        sso.whoami_url.is_some(),
    );
    let second = sso
        .post(
            "InResponseTo: second answer",
            &sso.response_for(&user, Some(&request_id))
                .map_err(StepFailure)?,
            None,
        )
        .await;
    w.checks.check_with_diff(
        Spec {
            id: "sso.in-response-to.reuse-refused",
            grade: Grade::RfcMust,
            source: "okta-saml §3.3 (InResponseTo replay)",
            needed: "a second response to the same AuthnRequest refused",
            why: "each AuthnRequest is answered once; a second answer is a replay",
        },
        !second.accepted,
        Some(&second.exchange),
        Some(second.describe()),
    );
    w.verdict(mark, None)
}
