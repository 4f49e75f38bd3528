//! The cucumber World and the step vocabulary. Each step runs one Okta operation (or reads the
//! app back as Okta's tests do), grades the answers, and fails when a check that fails the run
//! (`okta-required`, `rfc-must`) failed, or when Okta itself would have stopped.
//!
//! Steps never panic: a failure is kept in the World and the rest of the scenario is skipped,
//! so no panic hook is needed. A `Then` step that records no check fails (it graded nothing),
//! and so does an operation whose exchanges were not all graded ([`Op::integrity`]).
//! Each World is made by the runner from its run's context, so two runs in one process share
//! nothing.
//!
//! The vocabulary is documented in `features/README.md`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use cucumber::{given, then, when};
use serde_json::{Value, json};

use super::catalogue::{applied, user_readback};
use super::catalogue::{assign, group_push, import as import_checks, lifecycle, profile, sso};
use super::check::{CheckDef, Checks, Grade, Subject};
use super::grade;
use crate::okta::limits::RunLimits;
use crate::okta::log::ExchangeLog;
use crate::okta::ops::{OktaSettings, Op, OpKind, SPEC_TEST_USER, Session, Step};
use crate::okta::{OktaIds, WireClient};
use crate::scim::declared::SchemaDecl;
use crate::scim::list::{resources_of, total_results_of};

/// Everything the scenarios of one run share.
pub(crate) struct RunContext {
    /// The client every scenario clones (one connection pool per run).
    pub wire: WireClient,
    pub settings: OktaSettings,
    pub seed: u64,
    pub log: Arc<ExchangeLog>,
    /// The run's bounds: its deadline, timeouts, the redactor of the credential.
    pub limits: Arc<RunLimits>,
    /// The SP to sign in to, when there is one.
    pub sso: Option<Arc<super::sso::SsoTarget>>,
    /// The grade of an SP accepting SHA-1 (policy).
    pub sha1_grade: Grade,
    /// Failures the run's integration profile expects (its promises colliding with Okta), by
    /// check id, with their text.
    pub known: Option<Arc<std::collections::BTreeMap<String, String>>>,
    /// The integration profile the run is configured as.
    pub profile: Option<Arc<crate::integration::IntegrationProfile>>,
    /// The app's OAuth authorization server, when the profile connects with OAuth.
    pub oauth: Option<Arc<OAuthSetup>>,
    /// Whether there is a SCIM target.
    pub has_scim: bool,
    /// The System Log events of the run.
    pub syslog: Arc<crate::okta::syslog::SystemLog>,
    /// The app instance the events name.
    pub app_instance: crate::okta::syslog::AppInstance,
    /// The header that carries each task's transaction id to the app (`--correlation-header`).
    pub correlation_header: Option<String>,
}

/// Okta's OAuth client of the app, and the connection the run authorized (or why not).
pub(crate) struct OAuthSetup {
    pub client: crate::okta::oauth::OAuthClient,
    pub transport: crate::okta::oauth::OAuthTransport,
    pub connection: Result<Arc<crate::okta::oauth::OAuthConnection>, String>,
}

/// What a target declared, as Import User Schema reads it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Discovered {
    /// Every schema served at `/Schemas` that could be read.
    pub schemas: Vec<SchemaDecl>,
    /// The User resource type's core schema and extension URNs.
    pub user_schemas: Vec<String>,
}

/// What kind of step it is: actions run an operation; assertions must record a check; harness
/// steps check okta-sim's own behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepKind {
    Action,
    Assertion,
    Harness,
}

#[derive(cucumber::World)]
#[world(init = Self::outside_a_run)]
pub struct OktaWorld {
    pub session: Session,
    pub checks: Checks,
    pub started: Instant,
    /// Why the scenario failed, once a step failed; later steps are skipped.
    pub failure: Option<String>,
    /// The first app id each user got, to prove reactivation keeps it.
    first_ids: HashMap<String, String>,
    imported: Option<(usize, usize)>,
    pub(crate) last_op: Option<Op>,
    sso: Option<Arc<super::sso::SsoTarget>>,
    sha1_grade: Grade,
    pub(crate) saml_groups: HashMap<String, Vec<String>>,
    pub(crate) last_sso: Option<super::sso::AcsOutcome>,
    /// A line for the report, e.g. who an attack signed in.
    pub note: Option<String>,
    /// Why the scenario does not apply to this target, once a step found out (it is then
    /// reported skipped, not failed).
    pub skipped: Option<String>,
    /// The known collision that ended the scenario, once one did (it passes, with this note).
    pub collided: Option<String>,
    /// The integration profile the run is configured as.
    pub(crate) profile: Option<Arc<crate::integration::IntegrationProfile>>,
    /// What the target declared at `/ResourceTypes` and `/Schemas`, once read.
    pub(crate) discovered: Option<Discovered>,
    /// The app's OAuth authorization server, when the profile connects with OAuth.
    pub(crate) oauth: Option<Arc<OAuthSetup>>,
    /// Whether there is a SCIM target.
    pub(crate) has_scim: bool,
    /// Users the admin assigned before provisioning was enabled: Okta did not provision them.
    pub(crate) unprovisioned: std::collections::HashSet<String>,
    /// The System Log of the run and the app instance its events name.
    syslog: Arc<crate::okta::syslog::SystemLog>,
    app_instance: crate::okta::syslog::AppInstance,
    /// The generator of event ids (its own, so Okta's other values do not move).
    event_ids: OktaIds,
    /// `feature/scenario`, as events name the scenario that made them.
    scenario: String,
    /// The transaction id of the task the current step runs (shared with the clients that
    /// send it as the correlation header).
    transaction: Arc<std::sync::Mutex<String>>,
}

impl fmt::Debug for OktaWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaWorld")
            .field("checks", &self.checks.items.len())
            .finish()
    }
}

impl OktaWorld {
    /// The runner makes Worlds with [`OktaWorld::for_run`]; cucumber's own runner cannot.
    fn outside_a_run() -> Result<Self, StepFailure> {
        Err(StepFailure(
            "okta-sim's scenarios run only through conformance::run".into(),
        ))
    }

    /// A World for one scenario of a run, with its own generator derived from the run's seed
    /// and the scenario's name, so a value does not depend on which other scenarios ran.
    pub(crate) fn for_run(ctx: &Arc<RunContext>, scenario_key: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in scenario_key.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        let transaction = Arc::new(std::sync::Mutex::new(String::new()));
        let wire = ctx
            .wire
            .clone()
            .with_transaction(transaction.clone(), ctx.correlation_header.as_deref());
        OktaWorld {
            session: Session::new(wire, ctx.settings.clone(), OktaIds::new(ctx.seed ^ h)),
            checks: Checks {
                items: Vec::new(),
                known: ctx.known.clone(),
            },
            started: Instant::now(),
            failure: None,
            first_ids: HashMap::new(),
            imported: None,
            last_op: None,
            sso: ctx.sso.clone(),
            sha1_grade: ctx.sha1_grade,
            saml_groups: HashMap::new(),
            last_sso: None,
            note: None,
            skipped: None,
            collided: None,
            profile: ctx.profile.clone(),
            discovered: None,
            oauth: ctx.oauth.clone(),
            has_scim: ctx.has_scim,
            unprovisioned: Default::default(),
            syslog: ctx.syslog.clone(),
            app_instance: ctx.app_instance.clone(),
            event_ids: OktaIds::new(ctx.seed ^ h ^ 0x5379_736c_6f67),
            scenario: scenario_key.to_string(),
            transaction,
        }
    }

    /// Run one step: skipped once the scenario failed; its failure is kept, never panicked.
    pub(crate) async fn step(
        &mut self,
        kind: StepKind,
        body: impl AsyncFnOnce(&mut OktaWorld) -> Result<(), StepFailure>,
    ) {
        if self.failure.is_some() || self.skipped.is_some() || self.collided.is_some() {
            return;
        }
        let mark = self.checks.items.len();
        if kind == StepKind::Action {
            // Each action is one task of Okta's: a transaction of its own.
            let id = self.event_ids.object_id("puj");
            *self.transaction.lock().unwrap_or_else(|e| e.into_inner()) = id;
        }
        let result = body(self).await;
        let result = result.and_then(|()| {
            if kind == StepKind::Assertion && self.checks.items.len() == mark {
                Err(StepFailure(
                    "this step recorded no check: okta-sim could not grade what it reads back"
                        .into(),
                ))
            } else {
                Ok(())
            }
        });
        if let Err(e) = result
            && self.collided.is_none()
        {
            self.failure = Some(e.0);
        }
    }

    /// The System Log event of a sign-in Okta answered (`user.authentication.sso`): the user,
    /// the app, and whether the app took it.
    pub(crate) fn sso_event(&mut self, label: &str, o: &super::sso::AcsOutcome, initiation: &str) {
        use crate::okta::syslog;
        let u = self.session.user(label).okta.clone();
        let subject = syslog::EventSubject {
            user: Some((u.id.clone(), u.login.clone(), u.display_name())),
            app_user: None,
            group: None,
        };
        let ids = syslog::EventIds {
            transaction: self.transaction_id(),
            uuid: self.event_ids.event_uuid(),
            published: o.exchange.started.clone(),
        };
        let failure =
            (!o.accepted).then(|| format!("the app refused the sign-in: {}", o.describe()));
        let mut debug = serde_json::Map::new();
        debug.insert("oktaSimScenario".into(), json!(self.scenario));
        debug.insert("initiationType".into(), json!(initiation));
        let mut event = syslog::event(
            &ids,
            ("user.authentication.sso", "User single sign on to app"),
            &subject,
            &self.app_instance,
            failure.as_deref(),
            debug,
        );
        // Okta logs the sign-in it issued: its outcome is Okta's, the app's answer is detail.
        event["outcome"] = json!({"result": "SUCCESS", "reason": null});
        if let Some(f) = failure {
            event["debugContext"]["debugData"]["oktaSimAppAnswer"] = json!(f);
        }
        self.syslog.record(event);
    }

    /// The current task's transaction id.
    pub(crate) fn transaction_id(&self) -> String {
        self.transaction
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Log the System Log event of an operation Okta logs; its uuid and, on a failure, the
    /// admin-console line.
    fn log_event(&mut self, op: &Op) -> Option<(String, Option<String>)> {
        use crate::okta::syslog;
        let kind = syslog::event_type(op)?;
        if op.is_empty() {
            return None;
        }
        let subject = syslog::subject_of(&self.session, op);
        let failure = syslog::admin_message(op, &subject, &self.app_instance);
        let ids = syslog::EventIds {
            transaction: self.transaction_id(),
            uuid: self.event_ids.event_uuid(),
            published: op
                .exchanges()
                .next()
                .map(|e| e.started.clone())
                .unwrap_or_else(crate::timestamp::now),
        };
        let mut debug = serde_json::Map::new();
        debug.insert("oktaSimScenario".into(), json!(self.scenario));
        debug.insert("oktaSimOperation".into(), json!(op.name()));
        if let Some(ex) = op.exchanges().next() {
            debug.insert(
                "requestUri".into(),
                json!(ex.request.path.split('?').next().unwrap_or_default()),
            );
        }
        let event = syslog::event(
            &ids,
            kind,
            &subject,
            &self.app_instance,
            failure.as_deref(),
            debug,
        );
        self.syslog.record(event);
        Some((ids.uuid, failure))
    }

    /// Fail the step when a blocking check failed since `mark`, when grading missed one of the
    /// operation's exchanges, or when Okta would have stopped.
    pub(crate) fn verdict(&mut self, mark: usize, op: Option<Op>) -> Result<(), StepFailure> {
        let failed: Vec<String> = self.checks.items[mark..]
            .iter()
            .filter(|c| c.is_blocking_failure())
            .map(|c| c.render())
            .collect();
        let integrity = op.as_ref().map(Op::integrity).unwrap_or(Ok(()));
        let op_error = op.as_ref().and_then(|o| o.error.clone());
        let logged = op.as_ref().and_then(|o| self.log_event(o));
        // A failure is quoted with the task it belongs to, and the task's event when it has one.
        let transaction = self.transaction_id();
        for c in self.checks.items[mark..].iter_mut().filter(|c| !c.passed) {
            if !transaction.is_empty() {
                c.transaction = Some(transaction.clone());
            }
            if let Some((uuid, message)) = &logged {
                c.event = Some(uuid.clone());
                if c.admin_message.is_none() {
                    c.admin_message = message.clone();
                }
            }
        }
        self.last_op = op;
        if let Err(e) = integrity {
            return Err(StepFailure(format!("okta-sim internal error: {e}")));
        }
        if !failed.is_empty() {
            return Err(StepFailure(failed.join("\n")));
        }
        // A failure the integration expects ends the scenario: what follows depends on it.
        if let Some(known) = self.checks.items[mark..]
            .iter()
            .find_map(|c| c.collision.clone())
        {
            self.collided = Some(known.clone());
            return Err(StepFailure(known));
        }
        if let Some(e) = op_error {
            return Err(StepFailure(format!("Okta stopped: {e}")));
        }
        Ok(())
    }

    fn login(&mut self, label: &str) -> String {
        self.session.user(label).okta.login.clone()
    }

    pub(crate) fn remember_id(&mut self, label: &str) {
        if let Some(id) = self.session.app_id(label) {
            self.first_ids.entry(label.to_string()).or_insert(id);
        }
    }

    pub(crate) async fn assign(&mut self, label: &str) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let login = self.login(label);
        let op = self.session.assign_user(label).await;
        grade::assign(&op, &login, &mut self.checks);
        self.remember_id(label);
        let created = op.exchanges().any(|e| e.request.method == "POST");
        self.verdict(mark, Some(op))?;
        let u = self.session.user(label).okta.clone();
        if created {
            let want = json!({"userName": u.login, "name": {"givenName": u.given_name, "familyName": u.family_name}, "active": true, "externalId": u.id});
            read_user(self, label, &applied::USER_CREATE, want).await
        } else {
            let want = json!({"userName": u.login, "name": {"givenName": u.given_name, "familyName": u.family_name}});
            read_user(self, label, &applied::USER_LINK, want).await
        }
    }

    async fn push_group(&mut self, label: &str) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let op = self.session.push_group(label).await;
        grade::push_group(&op, &mut self.checks);
        self.verdict(mark, Some(op))?;
        let name = self.session.group(label).name.clone();
        self.group_applied(label, &applied::GROUP_CREATE, Some(name), &[])
            .await
    }

    /// Read a group back (as okta-sim) after Okta wrote it: every member Okta has in the group
    /// is there once, none of `removed` is, and the name is `name` when given.
    async fn group_applied(
        &mut self,
        label: &str,
        check: &CheckDef,
        name: Option<String>,
        removed: &[String],
    ) -> Result<(), StepFailure> {
        let mark = self.checks.items.len();
        let want: Vec<String> = self.session.groups[label]
            .members
            .clone()
            .iter()
            .filter_map(|l| self.session.app_id(l))
            .collect();
        let gone: Vec<String> = removed
            .iter()
            .filter_map(|l| self.session.app_id(l))
            .collect();
        let (op, body) = read_group(self, label).await;
        if let Some(body) = body {
            let got: Vec<String> = values_of(&body, "members", None);
            let mut problems = Vec::new();
            let mut repeated = Vec::new();
            for id in &want {
                match got.iter().filter(|g| *g == id).count() {
                    0 => problems.push(format!("{id} is missing")),
                    1 => {}
                    n => repeated.push(format!("{id} is listed {n} times")),
                }
            }
            self.checks.record_detail(
                &group_push::NO_DUPLICATE_MEMBERS,
                repeated.is_empty(),
                op.last(),
                Some(repeated.join("; ")),
            );
            for id in &gone {
                if got.contains(id) {
                    problems.push(format!("{id} was removed but is still listed"));
                }
            }
            let shown = body
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or("");
            if let Some(n) = &name
                && shown != n
            {
                problems.push(format!("the name is {shown:?}, not {n:?}"));
            }
            self.checks.record_detail(
                check,
                problems.is_empty(),
                op.last(),
                Some(format!("{}; members {got:?}", problems.join("; "))),
            );
        }
        self.verdict(mark, Some(op))
    }

    /// A setup operation (not Okta's): it must have created what it was asked to.
    fn setup(&mut self, op: Op, what: &str) -> Result<(), StepFailure> {
        let created = op.all(Step::Create).all(|e| e.status() == Some(201));
        let first_failure = op
            .all(Step::Create)
            .find(|e| e.status() != Some(201))
            .map(|e| e.got());
        if let Some(e) = &op.error {
            return Err(StepFailure(format!("setup failed: {e}")));
        }
        if !created || op.is_empty() {
            return Err(StepFailure(format!(
                "could not create {what}: {}",
                first_failure.unwrap_or_else(|| "nothing was sent".into())
            )));
        }
        op.integrity()
            .map_err(|e| StepFailure(format!("okta-sim internal error: {e}")))
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
async fn given_assigned(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| w.assign(&label).await)
        .await
}

#[given(expr = "{string}, {string} and {string} are assigned to the app")]
async fn given_three_assigned(w: &mut OktaWorld, a: String, b: String, c: String) {
    w.step(StepKind::Action, async |w| {
        for l in [&a, &b, &c] {
            w.assign(l).await?;
        }
        Ok(())
    })
    .await
}

#[given(expr = "the app already has a user for {string}")]
async fn app_has_user(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.create_existing_user(&label, false).await;
        w.setup(op, "the existing user")
    })
    .await
}

#[given(expr = "the app already has a user for {string} with the userName in upper case")]
async fn app_has_user_upper(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.create_existing_user(&label, true).await;
        w.setup(op, "the existing user")
    })
    .await
}

#[given(expr = "the app has {int} more users")]
async fn more_users(w: &mut OktaWorld, n: usize) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.create_users(n).await;
        w.setup(op, "the users")
    })
    .await
}

#[given(expr = "Okta group {string} with members {string}")]
fn okta_group(w: &mut OktaWorld, label: String, members: String) {
    w.session.group(&label).members = labels(&members);
}

#[given(expr = "{string} is pushed to the app")]
async fn given_pushed(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| w.push_group(&label).await)
        .await
}

#[given(expr = "the app has a group {string} with members {string}")]
async fn app_has_group(w: &mut OktaWorld, name: String, members: String) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.create_app_group(&name, &labels(&members)).await;
        w.setup(op, "the app group")
    })
    .await
}

#[given(expr = "{string} is deactivated")]
async fn given_deactivated(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        set_active(w, &label, OpKind::DeactivateUser).await
    })
    .await
}

// ---- When ----------------------------------------------------------------------------------

#[when("Okta tests the API credentials")]
async fn test_credentials(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.test_credentials().await;
        grade::credentials(&op, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

#[when("Okta tests the API credentials with a wrong token")]
async fn wrong_token(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.test_credentials_with_wrong_token().await;
        grade::wrong_token(&op, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

async fn import(w: &mut OktaWorld, kind: OpKind) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let (op, all) = w.session.import(kind).await;
    w.imported = Some(grade::import(
        &op,
        &all,
        kind == OpKind::ImportUsers,
        &mut w.checks,
    ));
    w.verdict(mark, Some(op))
}

#[when("Okta imports users")]
async fn import_users(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        import(w, OpKind::ImportUsers).await
    })
    .await
}

#[when("Okta imports groups")]
async fn import_groups(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        import(w, OpKind::ImportGroups).await
    })
    .await
}

#[when("Okta refreshes the app groups")]
async fn refresh_app_groups(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        import(w, OpKind::ImportGroups).await
    })
    .await
}

#[when(expr = "Okta assigns {string} to the app")]
async fn assign(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| w.assign(&label).await)
        .await
}

#[when(expr = "Okta creates {string} again without looking it up first")]
async fn create_again(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.create_user_without_precheck(&label).await;
        grade::duplicate_create(&op, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

#[when(expr = "Okta pushes a profile update for {string}")]
async fn push_profile(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.push_profile(&label).await;
        grade::get_put(&op, &profile::UPDATE, &mut w.checks);
        w.verdict(mark, Some(op))?;
        let u = w.session.user(&label).okta.clone();
        let want = json!({"userName": u.login, "name": {"givenName": u.given_name, "familyName": u.family_name}});
        read_user(w, &label, &applied::USER_UPDATE, want).await
    })
    .await
}

#[when(expr = "Okta changes the username of {string}")]
async fn change_user_name(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.change_user_name(&label).await;
        grade::get_put(&op, &applied::USER_RENAME, &mut w.checks);
        w.verdict(mark, Some(op))?;
        let login = w.session.user(&label).okta.login.clone();
        read_user(
            w,
            &label,
            &applied::USER_RENAME_APPLIED,
            json!({ "userName": login }),
        )
        .await
    })
    .await
}

/// The subject a lifecycle operation is graded as, and the value of `active` it sets.
fn lifecycle_subject(kind: OpKind) -> (&'static Subject, bool) {
    match kind {
        OpKind::DeactivateUser => (&lifecycle::DEACTIVATE, false),
        OpKind::ReactivateUser => (&lifecycle::REACTIVATE, true),
        OpKind::UnassignUser => (&lifecycle::UNASSIGN, false),
        _ => (&lifecycle::REASSIGN, true),
    }
}

async fn set_active(w: &mut OktaWorld, label: &str, kind: OpKind) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = match kind {
        OpKind::DeactivateUser => w.session.deactivate_user(label).await,
        OpKind::ReactivateUser => w.session.reactivate_user(label).await,
        OpKind::UnassignUser => w.session.unassign_user(label).await,
        _ => w.session.reassign_user(label).await,
    };
    let (subject, active) = lifecycle_subject(kind);
    grade::set_active(&op, subject, active, &mut w.checks);
    w.verdict(mark, Some(op))?;
    read_user(w, label, &applied::USER_ACTIVE, json!({ "active": active })).await
}

#[when(expr = "Okta deactivates {string}")]
async fn deactivate(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        set_active(w, &label, OpKind::DeactivateUser).await
    })
    .await
}

#[when(expr = "Okta reactivates {string}")]
async fn reactivate(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        set_active(w, &label, OpKind::ReactivateUser).await
    })
    .await
}

#[when(expr = "Okta unassigns {string}")]
async fn unassign(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        set_active(w, &label, OpKind::UnassignUser).await
    })
    .await
}

#[when(expr = "Okta reassigns {string}")]
async fn reassign(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        set_active(w, &label, OpKind::ReassignUser).await
    })
    .await
}

#[when(expr = "Okta syncs the password of {string}")]
async fn sync_password(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.sync_password(&label).await;
        if let Some(ex) = op.first(Step::Patch) {
            w.checks.record(
                &profile::PASSWORD_PATCH,
                matches!(ex.status(), Some(200) | Some(204)),
                Some(ex),
            );
            if let Some(b) = ex.json() {
                w.checks.record(
                    &profile::PASSWORD_NOT_RETURNED,
                    b.get("password").is_none(),
                    Some(ex),
                );
            }
        }
        grade::get_put(&op, &profile::PASSWORD, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

/// How a user is looked up by userName: as Okta does (maybe in upper case), or as okta-sim
/// reading back what the app stored.
enum Lookup {
    Okta { upper_case: bool },
    ReadBack,
}

/// Look a user up by userName and grade the ListResponse; then `then` grades what it found.
async fn lookup_user(
    w: &mut OktaWorld,
    label: &str,
    how: Lookup,
    subject: &'static Subject,
    then: impl FnOnce(&mut Checks, &Value, &crate::okta::Exchange),
) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = match how {
        Lookup::Okta { upper_case } => w.session.find_user(label, upper_case).await,
        Lookup::ReadBack => w.session.read_user_by_name(label).await,
    };
    if let Some(ex) = op.first(Step::Filter)
        && let Some(b) = grade::list_response(&mut w.checks, subject, ex)
    {
        then(&mut w.checks, &b, ex);
    }
    w.verdict(mark, Some(op))
}

#[when(expr = "Okta looks up {string} by userName in upper case")]
async fn lookup_upper(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        lookup_user(
            w,
            &label,
            Lookup::Okta { upper_case: true },
            &assign::LOOKUP_CASE,
            |c, b, ex| {
                c.record_detail(
                    &assign::LOOKUP_CASE_FOUND,
                    total_results_of(b) == Some(1),
                    Some(ex),
                    Some(format!("totalResults {:?}", total_results_of(b))),
                );
            },
        )
        .await
    })
    .await
}

#[when(expr = "Okta pushes group {string}")]
async fn push_group(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| w.push_group(&label).await)
        .await
}

/// A group operation graded as membership changes, then the groups read back.
async fn group_update(
    w: &mut OktaWorld,
    op: Op,
    groups: &[&str],
    removed: &[String],
) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    grade::membership(&op, &mut w.checks);
    w.verdict(mark, Some(op))?;
    for g in groups {
        w.group_applied(g, &applied::GROUP_MEMBERS, None, removed)
            .await?;
    }
    Ok(())
}

#[when(expr = "Okta adds {string} to group {string}")]
async fn add_members(w: &mut OktaWorld, users: String, group: String) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.add_to_group(&group, &labels(&users)).await;
        group_update(w, op, &[&group], &[]).await
    })
    .await
}

#[when(expr = "Okta removes {string} from group {string}")]
async fn remove_members(w: &mut OktaWorld, users: String, group: String) {
    w.step(StepKind::Action, async |w| {
        let removed = labels(&users);
        let op = w.session.remove_from_group(&group, &removed).await;
        group_update(w, op, &[&group], &removed).await
    })
    .await
}

#[when(expr = "Okta renames group {string} to {string}")]
async fn rename_group(w: &mut OktaWorld, group: String, name: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.rename_group(&group, &name).await;
        grade::membership(&op, &mut w.checks);
        w.verdict(mark, Some(op))?;
        w.group_applied(&group, &applied::GROUP_RENAME, Some(name.clone()), &[])
            .await
    })
    .await
}

#[when(expr = "Okta pushes group {string} now")]
async fn push_now(w: &mut OktaWorld, group: String) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.push_now(&group).await;
        group_update(w, op, &[&group], &[]).await
    })
    .await
}

async fn link(
    w: &mut OktaWorld,
    group: &str,
    app_group: &str,
    rename: bool,
) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.link_group(group, app_group, rename).await;
    grade::link_group(&op, app_group, &mut w.checks);
    w.verdict(mark, Some(op))?;
    w.group_applied(group, &applied::GROUP_MEMBERS, None, &[])
        .await
}

#[when(expr = "Okta changes the members of group {string}: removes {string} and adds {string}")]
async fn change_members(w: &mut OktaWorld, group: String, removed: String, added: String) {
    w.step(StepKind::Action, async |w| {
        let (removed, added) = (labels(&removed), labels(&added));
        let op = w.session.change_members(&group, &added, &removed).await;
        group_update(w, op, &[&group], &removed).await
    })
    .await
}

#[when(expr = "Okta moves {string} from group {string} to group {string}")]
async fn move_member(w: &mut OktaWorld, user: String, from: String, to: String) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.move_member(&user, &from, &to).await;
        group_update(w, op, &[&to], &[]).await?;
        w.group_applied(
            &from,
            &applied::GROUP_MEMBERS,
            None,
            std::slice::from_ref(&user),
        )
        .await
    })
    .await
}

#[given(expr = "the app deleted its user for {string}")]
async fn app_deleted_user(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.delete_app_user(&label).await;
        let deleted = op
            .first(Step::Delete)
            .is_some_and(|e| matches!(e.status(), Some(204) | Some(200)));
        if !deleted {
            return Err(StepFailure(format!(
                "could not delete the app's user for {label}: {}",
                op.last().map(|e| e.got()).unwrap_or_default()
            )));
        }
        op.integrity()
            .map_err(|e| StepFailure(format!("okta-sim internal error: {e}")))
    })
    .await
}

#[when(expr = "Okta adds {string}, whom the app deleted, to group {string}")]
async fn add_unknown_member(w: &mut OktaWorld, user: String, group: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w
            .session
            .add_to_group(&group, std::slice::from_ref(&user))
            .await;
        grade::unknown_member_add(&op, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

#[then(expr = "group {string} in the app lists only users the app has")]
async fn members_known(w: &mut OktaWorld, group: String) {
    w.step(StepKind::Assertion, async |w| {
        let mark = w.checks.items.len();
        let (op, body) = read_group(w, &group).await;
        let Some(body) = body else {
            return w.verdict(mark, Some(op));
        };
        let mut unknown = Vec::new();
        for id in values_of(&body, "members", None)
            .iter()
            .take(MAX_MEMBERS_READ)
        {
            let read = w.session.read_user_id(id).await;
            if let Some(ex) = read.first(Step::Get)
                && ex.status() != Some(200)
            {
                unknown.push(format!("{id} ({})", ex.got()));
            }
        }
        w.checks.record_detail(
            &group_push::MEMBERS_KNOWN,
            unknown.is_empty(),
            op.last(),
            Some(format!("members naming no user: {}", unknown.join(", "))),
        );
        w.verdict(mark, Some(op))
    })
    .await
}

/// Members read one by one at most, when checking they all name users.
const MAX_MEMBERS_READ: usize = 200;

/// The `value` of each element of a multi-valued attribute (`members`, `roles`…) of a body,
/// only of the elements whose `type` is `of_type` when one is given.
pub(crate) fn values_of(body: &Value, attr: &str, of_type: Option<&str>) -> Vec<String> {
    body.get(attr)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| of_type.is_none_or(|t| x.get("type").and_then(Value::as_str) == Some(t)))
        .filter_map(|x| x.get("value").and_then(Value::as_str).map(String::from))
        .collect()
}

#[when(expr = "Okta links group {string} to the app group {string}")]
async fn link_group(w: &mut OktaWorld, group: String, app_group: String) {
    w.step(StepKind::Action, async |w| {
        link(w, &group, &app_group, false).await
    })
    .await
}

#[when(expr = "Okta links group {string} to the app group {string} and renames it")]
async fn link_group_rename(w: &mut OktaWorld, group: String, app_group: String) {
    w.step(StepKind::Action, async |w| {
        link(w, &group, &app_group, true).await
    })
    .await
}

#[when(expr = "Okta unlinks group {string} and deletes the app group")]
async fn unlink_delete(w: &mut OktaWorld, group: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.unlink_group(&group, true).await;
        grade::delete_group(&op, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

#[when(expr = "Okta unlinks group {string} and leaves the app group")]
async fn unlink_leave(w: &mut OktaWorld, group: String) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.unlink_group(&group, false).await;
        w.verdict(mark, Some(op))
    })
    .await
}

#[when("Okta runs its SCIM 2.0 SPEC test")]
async fn spec_test(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.spec_test().await;
        let user = w
            .session
            .users
            .get(SPEC_TEST_USER)
            .map(|u| u.okta.login.clone())
            .unwrap_or_default();
        grade::spec_test(&op, &user, &mut w.checks);
        w.verdict(mark, Some(op))
    })
    .await
}

// ---- Then ----------------------------------------------------------------------------------

/// Read a user back (`users.readback`) and check it shows `expected`.
pub(crate) async fn read_user(
    w: &mut OktaWorld,
    label: &str,
    check: &CheckDef,
    expected: Value,
) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let op = w.session.read_user(label).await;
    if let Some(ex) = op.first(Step::Get) {
        let s = &user_readback::READ;
        if w.checks.record_as(
            s,
            &super::catalogue::common::ANSWERED,
            ex.response.is_some(),
            Some(ex),
            None,
        ) && w.checks.record_as(
            s,
            &super::catalogue::readback::READABLE,
            ex.status() == Some(200),
            Some(ex),
            None,
        ) {
            let body = ex.json().unwrap_or_default();
            let diff = super::check::json_diff(&body, &expected);
            w.checks
                .record_detail(check, diff.is_none(), Some(ex), diff);
        }
    }
    w.verdict(mark, Some(op))
}

#[then(expr = "{string} is inactive in the app")]
async fn is_inactive(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        read_user(
            w,
            &label,
            &user_readback::INACTIVE,
            json!({"active": false}),
        )
        .await
    })
    .await
}

#[then(expr = "{string} is active in the app")]
async fn is_active(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        read_user(w, &label, &user_readback::ACTIVE, json!({"active": true})).await
    })
    .await
}

#[then(expr = "{string} keeps the same app id")]
async fn same_id(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let first = w.first_ids.get(&label).cloned().unwrap_or_default();
        read_user(w, &label, &user_readback::SAME_ID, json!({ "id": first })).await
    })
    .await
}

#[then(expr = "the app shows the profile update of {string}")]
async fn shows_update(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let user = w.session.user(&label).okta.clone();
        let expected = json!({"name": {"givenName": user.given_name, "familyName": user.family_name}, "userName": user.login});
        read_user(w, &label, &user_readback::PROFILE, expected).await
    })
    .await
}

#[then(expr = "the app has exactly one user for {string}")]
async fn exactly_one(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        lookup_user(
            w,
            &label,
            Lookup::ReadBack,
            &assign::UNIQUE_LOOKUP,
            |c, b, ex| {
                c.record_detail(
                    &assign::EXACTLY_ONE,
                    total_results_of(b) == Some(1),
                    Some(ex),
                    Some(format!("totalResults {:?}", total_results_of(b))),
                );
            },
        )
        .await
    })
    .await
}

#[then(expr = "the import found {string} inactive")]
async fn import_skips_inactive(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let id = w.session.app_id(&label).unwrap_or_default();
        let Some(op) = w.last_op.take() else {
            return Err(StepFailure("no import ran before this step".into()));
        };
        let pages: Vec<&crate::okta::Exchange> = op.all(Step::Page).collect();
        let listed: Option<Value> = pages
            .iter()
            .filter_map(|e| e.json())
            .flat_map(|b| resources_of(&b).cloned().unwrap_or_default())
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()));
        w.checks.record_detail(
            &import_checks::INACTIVE_MARKED,
            listed
                .as_ref()
                .is_none_or(|r| r.get("active") == Some(&json!(false))),
            pages.first().copied(),
            listed.map(|r| format!("listed as {r}")),
        );
        w.last_op = Some(op);
        Ok(())
    })
    .await
}

#[then(expr = "Okta imported at least {int} users")]
async fn imported_at_least(w: &mut OktaWorld, n: usize) {
    w.step(StepKind::Assertion, async |w| {
        let Some((seen, _)) = w.imported else {
            return Err(StepFailure("no import ran before this step".into()));
        };
        let last = w.last_op.as_ref().and_then(|o| o.last().cloned());
        w.checks.record_detail(
            &import_checks::USERS_COUNT,
            seen >= n,
            last.as_ref(),
            Some(format!(
                "the import saw {seen} users, the app was given at least {n}"
            )),
        );
        Ok(())
    })
    .await
}

/// Read a group back: the operation, and the body when it answered 200.
async fn read_group(w: &mut OktaWorld, label: &str) -> (Op, Option<Value>) {
    let op = w.session.read_group(label).await;
    let body = match op.first(Step::Get) {
        Some(ex) => {
            let ok = w
                .checks
                .record(&group_push::READBACK, ex.status() == Some(200), Some(ex));
            if ok { ex.json() } else { None }
        }
        None => None,
    };
    (op, body)
}

#[then(expr = "group {string} in the app has members {string}")]
async fn group_members(w: &mut OktaWorld, group: String, members: String) {
    w.step(StepKind::Assertion, async |w| {
        group_has_members(w, &group, &members).await
    })
    .await
}

async fn group_has_members(
    w: &mut OktaWorld,
    group: &str,
    members: &str,
) -> Result<(), StepFailure> {
    let want: Vec<String> = labels(members)
        .iter()
        .filter_map(|l| w.session.app_id(l))
        .collect();
    let mark = w.checks.items.len();
    let (op, Some(body)) = read_group(w, group).await else {
        return w.verdict(mark, None);
    };
    let mut got: Vec<String> = values_of(&body, "members", None);
    let mut distinct = got.clone();
    distinct.sort();
    distinct.dedup();
    let ex = op.last().cloned();
    w.checks.record_detail(
        &group_push::NO_DUPLICATE_MEMBERS,
        distinct.len() == got.len(),
        ex.as_ref(),
        Some(format!("members {got:?}")),
    );
    got.sort();
    got.dedup();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    w.checks.record_detail(
        &group_push::READBACK_MEMBERS,
        got == want_sorted,
        ex.as_ref(),
        Some(format!(
            "expected members {want_sorted:?}\n     got members {got:?}"
        )),
    );
    w.verdict(mark, Some(op))
}

#[then(expr = "group {string} in the app has no members")]
async fn group_empty(w: &mut OktaWorld, group: String) {
    w.step(StepKind::Assertion, async |w| {
        group_has_members(w, &group, "").await
    })
    .await
}

async fn group_is_named(w: &mut OktaWorld, group: &str, name: &str) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let (op, Some(body)) = read_group(w, group).await else {
        return w.verdict(mark, None);
    };
    let got = body.get("displayName").cloned().unwrap_or(Value::Null);
    w.checks.record_detail(
        &group_push::READBACK_NAME,
        got == json!(name),
        op.last(),
        Some(format!("expected displayName {name:?}, got {got}")),
    );
    w.verdict(mark, Some(op))
}

#[then(expr = "group {string} in the app is named {string}")]
async fn group_named(w: &mut OktaWorld, group: String, name: String) {
    w.step(StepKind::Assertion, async |w| {
        group_is_named(w, &group, &name).await
    })
    .await
}

#[then(expr = "group {string} in the app has the Okta group's name")]
async fn group_has_okta_name(w: &mut OktaWorld, group: String) {
    w.step(StepKind::Assertion, async |w| {
        let name = w.session.group(&group).name.clone();
        group_is_named(w, &group, &name).await
    })
    .await
}

#[then(expr = "group {string} is gone from the app")]
async fn group_gone(w: &mut OktaWorld, group: String) {
    w.step(StepKind::Assertion, async |w| {
        let mark = w.checks.items.len();
        let op = w.session.read_group(&group).await;
        if let Some(ex) = op.first(Step::Get) {
            grade::scim_error(&mut w.checks, &group_push::GONE, ex);
        }
        w.verdict(mark, Some(op))
    })
    .await
}

#[then(expr = "group {string} is still in the app")]
async fn group_still_there(w: &mut OktaWorld, group: String) {
    w.step(StepKind::Assertion, async |w| {
        let mark = w.checks.items.len();
        let (op, _) = read_group(w, &group).await;
        w.verdict(mark, Some(op))
    })
    .await
}

#[then("Okta sent nothing")]
async fn sent_nothing(w: &mut OktaWorld) {
    w.step(StepKind::Harness, async |w| match &w.last_op {
        Some(op) if !op.is_empty() => Err(StepFailure(format!(
            "{} sent {} requests",
            op.name(),
            op.len()
        ))),
        _ => Ok(()),
    })
    .await
}

// ---- Single sign-on (okta-saml) ------------------------------------------------------------

impl OktaWorld {
    pub(crate) fn sso(&self) -> Result<Arc<super::sso::SsoTarget>, StepFailure> {
        self.sso.clone().ok_or_else(|| {
            StepFailure("no SP to sign in to: give --sp-acs and --sp-audience".into())
        })
    }

    /// A guide that has the admin assign users only once SCIM is on (its app provisions just
    /// in time only until then, Atomation's) gets each signing-in user assigned first, as its
    /// admin does: Okta provisions the user, then the user signs in. Not one the scenario says
    /// was assigned before provisioning was enabled.
    pub(crate) async fn assigned_before_sign_in(&mut self, label: &str) -> Result<(), StepFailure> {
        let assign_first = self.profile.as_ref().is_some_and(|p| {
            p.app.jit == crate::integration::JitRule::BeforeScim && p.features.create_users
        }) && self.has_scim
            && !self.session.is_assigned(label)
            && !self.unprovisioned.contains(label);
        if assign_first {
            self.assign(label).await?;
        }
        Ok(())
    }

    /// Whether the integration's attribute statements carry the user's name (Okta's default
    /// ones do; a profile's own may not, Workato's).
    pub(crate) fn sends_name(&self) -> bool {
        let Some(statements) = self
            .profile
            .as_ref()
            .and_then(|p| p.saml.attributes.as_ref())
        else {
            return true;
        };
        statements
            .iter()
            .any(|s| s.target == "fullName" || s.target.starts_with("name."))
    }

    pub(crate) fn saml_user(&mut self, label: &str) -> crate::saml::idp::SamlUser {
        let groups = self.saml_groups.get(label).cloned().unwrap_or_default();
        let u = self.session.user(label).okta.clone();
        // The profile's statements, each the value of its Okta expression for this user.
        let custom = self
            .profile
            .as_ref()
            .and_then(|p| p.saml.attributes.as_ref())
            .map(|statements| {
                statements
                    .iter()
                    .filter_map(|s| {
                        let e = crate::okta::appschema::Expr::parse(&s.value).ok()?;
                        match e.eval(&u) {
                            Value::Null => None,
                            Value::String(v) => Some((s.name.clone(), v)),
                            other => Some((s.name.clone(), other.to_string())),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        crate::saml::idp::SamlUser {
            name_id: u.login.clone(),
            email: u.login.clone(),
            first_name: u.given_name.clone(),
            last_name: u.family_name.clone(),
            groups,
            custom,
        }
    }

    /// Post Okta's response for `label` to the ACS as a dashboard sign-in does (no request
    /// answered, the app's default RelayState), ungraded.
    pub(crate) async fn post_from_dashboard(
        &mut self,
        label: &str,
        what: &str,
    ) -> Result<super::sso::AcsOutcome, StepFailure> {
        let sso = self.sso()?;
        let user = self.saml_user(label);
        let xml = sso.response_for(&user, None).map_err(StepFailure)?;
        Ok(sso
            .post(what, &xml, sso.app.default_relay_state.as_deref())
            .await)
    }

    async fn idp_initiated(
        &mut self,
        label: &str,
        subject: &Subject,
    ) -> Result<super::sso::AcsOutcome, StepFailure> {
        let sso = self.sso()?;
        self.assigned_before_sign_in(label).await?;
        let user = self.saml_user(label);
        let outcome = self
            .post_from_dashboard(label, "IdP-initiated sign-in")
            .await?;
        super::sso::grade_login(
            &mut self.checks,
            subject,
            &outcome,
            &user,
            sso.whoami_url.is_some(),
        );
        self.sso_event(label, &outcome, "IDP_INITIATED");
        Ok(outcome)
    }
}

#[given(expr = "Okta user {string} in groups {string}")]
fn saml_user_in_groups(w: &mut OktaWorld, label: String, groups: String) {
    w.session.user(&label);
    w.saml_groups.insert(label, labels(&groups));
}

async fn sign_in_from_dashboard(w: &mut OktaWorld, label: &str) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let o = w.idp_initiated(label, &sso::IDP_INITIATED).await?;
    w.note = Some(o.describe());
    w.last_sso = Some(o);
    w.verdict(mark, None)
}

#[when(expr = "{string} signs in from the Okta dashboard")]
async fn idp_initiated(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        sign_in_from_dashboard(w, &label).await
    })
    .await
}

#[given(expr = "{string} signed in from the Okta dashboard")]
async fn given_signed_in(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        sign_in_from_dashboard(w, &label).await
    })
    .await
}

#[when(expr = "{string} signs in again with a new last name")]
async fn sign_in_again(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let u = &mut w.session.user(&label).okta;
        u.family_name = format!("{}-Renamed", u.family_name);
        let mark = w.checks.items.len();
        let o = w.idp_initiated(&label, &sso::JIT_UPDATE).await?;
        w.last_sso = Some(o);
        w.verdict(mark, None)
    })
    .await
}

#[when(expr = "{string} signs in from the app")]
async fn sp_initiated(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let sso = w.sso()?;
        w.assigned_before_sign_in(&label).await?;
        let mark = w.checks.items.len();
        let user = w.saml_user(&label);
        match sso.start_sp_login().await {
            Err((why, ex)) => {
                w.checks
                    .record_detail(&sso::SP_INITIATED_REDIRECT, false, ex.as_ref(), Some(why));
            }
            Ok((request_id, relay, ex)) => {
                w.checks
                    .record(&sso::SP_INITIATED_REDIRECT, true, Some(&ex));
                let xml = sso
                    .response_for(&user, Some(&request_id))
                    .map_err(StepFailure)?;
                let o = sso
                    .post("SP-initiated sign-in", &xml, relay.as_deref())
                    .await;
                super::sso::grade_login(
                    &mut w.checks,
                    &sso::SP_INITIATED,
                    &o,
                    &user,
                    sso.whoami_url.is_some(),
                );
                w.sso_event(&label, &o, "SP_INITIATED");
                w.last_sso = Some(o);
            }
        }
        w.verdict(mark, None)
    })
    .await
}

#[then(expr = "the app knows {string} by email, full name and groups")]
async fn knows_attributes(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let user = w.saml_user(&label);
        let mark = w.checks.items.len();
        let Some(o) = w.last_sso.clone() else {
            return Err(StepFailure("nobody signed in".into()));
        };
        let who = o.whoami.clone().unwrap_or_default();
        let text = |k: &str| who.get(k).and_then(Value::as_str).map(String::from);
        let mut groups: Vec<String> = who
            .get("groups")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        groups.sort();
        // Without a group statement (an integration that sends none), no groups are expected.
        let sends_groups = w.sso()?.app.group_attribute.is_some();
        let mut want_groups = if sends_groups {
            user.groups.clone()
        } else {
            Vec::new()
        };
        want_groups.sort();
        let full = format!("{} {}", user.first_name, user.last_name);
        let sends_name = w.sends_name();
        for (check, ok, expected) in [
            (
                &sso::ATTRIBUTE_EMAIL,
                text("email").as_deref() == Some(user.email.as_str()),
                format!("email {:?}", user.email),
            ),
            (
                &sso::ATTRIBUTE_NAME,
                text("name").as_deref() == Some(full.as_str()),
                format!("name {full:?}"),
            ),
            (
                &sso::ATTRIBUTE_GROUPS,
                groups == want_groups,
                format!("groups {:?}", user.groups),
            ),
        ]
        .into_iter()
        // An integration whose statements carry no name is not expected to give one.
        .filter(|(check, ..)| sends_name || check.id != sso::ATTRIBUTE_NAME.id)
        {
            w.checks.record_detail(
                check,
                ok,
                Some(&o.exchange),
                Some(format!("expected {expected}; whoami said {who}")),
            );
        }
        w.verdict(mark, None)
    })
    .await
}

#[then(expr = "the app has a user for {string} with the name from Okta")]
async fn jit_user(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Assertion, async |w| {
        let user = w.saml_user(&label);
        let sends_name = w.sends_name();
        lookup_user(w, &label, Lookup::ReadBack, &sso::JIT_LOOKUP, |c, b, ex| {
            let found = resources_of(b)
                .and_then(|r| r.first())
                .cloned()
                .unwrap_or_default();
            let want = if sends_name {
                json!({"userName": user.name_id, "name": {"givenName": user.first_name, "familyName": user.last_name}})
            } else {
                json!({"userName": user.name_id})
            };
            let diff = super::check::json_diff(&found, &want);
            c.record_detail(
                &sso::JIT_USER,
                diff.is_none() && total_results_of(b) == Some(1),
                Some(ex),
                diff.or_else(|| Some(format!("totalResults {:?}", total_results_of(b)))),
            );
        })
        .await
    })
    .await
}

#[when(expr = "the attacker tries {string} to become {string}")]
async fn attack(w: &mut OktaWorld, case: String, victim: String) {
    w.step(StepKind::Action, async |w| {
        let sso = w.sso()?;
        let attack = crate::saml::attacks::attack_named(&case)
            .ok_or_else(|| StepFailure(format!("no attack named {case:?}")))?;
        let victim_user = w.saml_user(&victim);
        let attacker = w.saml_user("mallory");
        // A case that answers a request needs one the SP really has outstanding.
        let (request, relay) = if attack.needs_request {
            let (id, relay, _) = sso.start_sp_login().await.map_err(|(why, _)| {
                StepFailure(format!("{case} answers an AuthnRequest, but {why}"))
            })?;
            (Some(id), relay)
        } else {
            (None, None)
        };
        let xml = sso
            .attack(attack, &victim_user, &attacker, request.as_deref())
            .map_err(StepFailure)?;
        let mark = w.checks.items.len();
        let o = sso
            .post(&format!("attack {case}"), &xml, relay.as_deref())
            .await;
        super::sso::grade_attack(&mut w.checks, attack, w.sha1_grade, &o, &victim_user);
        w.note = Some(o.describe());
        w.verdict(mark, None)
    })
    .await
}

#[when(expr = "{string}'s response is posted twice")]
async fn replay(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let sso = w.sso()?;
        w.assigned_before_sign_in(&label).await?;
        let user = w.saml_user(&label);
        let xml = sso.response_for(&user, None).map_err(StepFailure)?;
        let mark = w.checks.items.len();
        let first = sso.post("replay: first post", &xml, None).await;
        super::sso::grade_login(
            &mut w.checks,
            &sso::REPLAY_FIRST,
            &first,
            &user,
            sso.whoami_url.is_some(),
        );
        let second = sso.post("replay: second post", &xml, None).await;
        w.checks.record_detail(
            &sso::REPLAY_REFUSED,
            !second.accepted,
            Some(&second.exchange),
            Some(second.describe()),
        );
        w.verdict(mark, None)
    })
    .await
}

#[when(expr = "{string} answers one sign-in request twice")]
async fn in_response_to_reuse(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let sso = w.sso()?;
        w.assigned_before_sign_in(&label).await?;
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
            &sso::IN_RESPONSE_TO_FIRST,
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
        w.checks.record_detail(
            &sso::IN_RESPONSE_TO_REUSE,
            !second.accepted,
            Some(&second.exchange),
            Some(second.describe()),
        );
        w.verdict(mark, None)
    })
    .await
}

/// A step that panics, for the test that a panic fails its scenario only.
#[cfg(test)]
#[when(expr = "okta-sim panics with {string}")]
fn panics_on_purpose(_w: &mut OktaWorld, message: String) {
    panic!("{message}");
}
