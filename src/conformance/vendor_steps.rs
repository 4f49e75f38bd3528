//! Steps for the flows of the seed vendors' guides (`features/vendors/NAME.feature`): each grades
//! `vendor.promise.kept` with the guide's own sentence, quoted from the integration profile's
//! `[sources]`, so a failure names the promise that was broken.

use cucumber::{given, then, when};
use serde_json::Value;

use super::catalogue::vendor::PROMISE_KEPT;
use super::world::{OktaWorld, StepFailure, StepKind, values_of};
use crate::integration::IntegrationProfile;

/// "Atlan's guide 002: "…"" for a setting the guide has a sentence for, else the setting's name.
pub(crate) fn promise_text(profile: &IntegrationProfile, setting: &str) -> String {
    match (profile.quote(setting), &profile.guide) {
        (Some(q), Some(g)) => format!("{}'s guide {g}: \"{q}\"", profile.vendor),
        _ => format!("{}'s setting {setting}", profile.vendor),
    }
}

impl OktaWorld {
    /// The run's profile and the promise of `setting`, or why this step cannot run.
    pub(crate) fn promise(
        &self,
        setting: &str,
    ) -> Result<(std::sync::Arc<IntegrationProfile>, String), StepFailure> {
        let profile = self.profile.clone().ok_or_else(|| {
            StepFailure("this step checks an integration's promise: run with --profile".into())
        })?;
        let text = promise_text(&profile, setting);
        Ok((profile, text))
    }
}

// ---- Natoma (001): the tenant in the SAML URLs, "Test SAML" ---------------------------------

#[when(expr = "the admin runs the app's SAML test as {string}")]
async fn saml_test(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let sso = w.sso()?;
        let user = w.saml_user(&label);
        let (_, promise) = w.promise("saml.test_path")?;
        let mark = w.checks.items.len();
        let (passed, ex, detail) = match sso.start_saml_test().await {
            Err((why, ex)) => (
                false,
                ex,
                format!("{promise}; the test did not start: {why}"),
            ),
            Ok((request_id, relay, _)) => {
                let xml = sso
                    .response_for(&user, Some(&request_id))
                    .map_err(StepFailure)?;
                let o = sso.post("Test SAML", &xml, relay.as_deref()).await;
                let body = o
                    .exchange
                    .response
                    .as_ref()
                    .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
                    .unwrap_or_default();
                let passed = o.accepted
                    && body.get("status").and_then(Value::as_str) == Some("test-passed")
                    && body.get("nameId").and_then(Value::as_str) == Some(user.name_id.as_str());
                (
                    passed,
                    Some(o.exchange.clone()),
                    format!(
                        "{promise}; the app's test of Okta's answer to its own request: {}",
                        o.describe()
                    ),
                )
            }
        };
        w.checks
            .record_detail(&PROMISE_KEPT, passed, ex.as_ref(), Some(detail));
        w.verdict(mark, None)
    })
    .await
}

#[when(expr = "{string} signs in from the Okta dashboard, as the guide's promise {string} says")]
async fn sign_in_keeps_promise(w: &mut OktaWorld, label: String, setting: String) {
    w.step(StepKind::Action, async |w| {
        let (_, promise) = w.promise(&setting)?;
        let sso = w.sso()?;
        w.assigned_before_sign_in(&label).await?;
        let mark = w.checks.items.len();
        let o = w
            .post_from_dashboard(&label, "IdP-initiated sign-in")
            .await?;
        w.checks.record_detail(
            &PROMISE_KEPT,
            o.accepted,
            Some(&o.exchange),
            Some(format!(
                "{promise}; Okta signed for ACS {} and audience {}, posted to {}, and the app answered: {}",
                sso.app.acs_url,
                sso.app.audience,
                sso.post_url,
                o.describe()
            )),
        );
        w.sso_event(&label, &o, "IDP_INITIATED");
        w.note = Some(o.describe());
        w.last_sso = Some(o);
        w.verdict(mark, None)
    })
    .await
}

// ---- Attio (004): "Authenticate with Attio", tokens refreshed ------------------------------

#[given("the admin authenticated Okta with the app")]
async fn authenticated_with_app(w: &mut OktaWorld) {
    authenticate_with_app(w).await
}

#[when("the admin authenticates Okta with the app")]
async fn authenticate_with_app(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        let (_, promise) = w.promise("scim.auth")?;
        let o = w.oauth.clone().ok_or_else(|| {
            StepFailure("the integration profile does not connect with OAuth".into())
        })?;
        let mark = w.checks.items.len();
        match o.client.authorize(&o.transport).await {
            Ok(tokens) => {
                w.checks.record_detail(
                    &super::catalogue::oauth::AUTHORIZED,
                    true,
                    None,
                    Some(format!(
                        "{promise}; authorized at {}",
                        o.client.authorize_url
                    )),
                );
                let conn = std::sync::Arc::new(crate::okta::oauth::OAuthConnection::new(
                    o.client.clone(),
                    o.transport.clone(),
                    tokens,
                ));
                w.session.wire = w.session.wire.clone().with_oauth(conn);
            }
            Err(f) => {
                w.checks.record_detail(
                    &super::catalogue::oauth::AUTHORIZED,
                    false,
                    f.exchanges.last(),
                    Some(format!("{promise}; {}", f.reason)),
                );
            }
        }
        w.verdict(mark, None)
    })
    .await
}

#[when("Okta's access token expires")]
async fn token_expires(w: &mut OktaWorld) {
    w.step(StepKind::Action, async |w| {
        let conn = w
            .session
            .wire
            .oauth()
            .cloned()
            .ok_or_else(|| StepFailure("Okta is not connected with OAuth".into()))?;
        conn.expire_now().await;
        Ok(())
    })
    .await
}

#[then("Okta refreshed its access token and the app accepted the new one")]
async fn refreshed(w: &mut OktaWorld) {
    w.step(StepKind::Assertion, async |w| {
        let conn = w
            .session
            .wire
            .oauth()
            .cloned()
            .ok_or_else(|| StepFailure("Okta is not connected with OAuth".into()))?;
        let mark = w.checks.items.len();
        let last = w.last_op.as_ref().and_then(|op| op.last().cloned());
        let accepted = last
            .as_ref()
            .and_then(|e| e.status())
            .is_some_and(|s| s != 401);
        w.checks.record_detail(
            &super::catalogue::oauth::REFRESHED,
            conn.refreshes() >= 1 && accepted,
            last.as_ref(),
            Some(format!(
                "{} refresh(es) succeeded; the next SCIM request answered {}",
                conn.refreshes(),
                last.as_ref().map_or("nothing".into(), |e| e.got())
            )),
        );
        w.verdict(mark, None)
    })
    .await
}

// ---- Promises about groups -------------------------------------------------------------------

/// The app groups a `displayName eq` lookup finds, as okta-sim (not graded as Okta's).
async fn groups_named(w: &mut OktaWorld, name: &str) -> (Vec<String>, crate::okta::Exchange) {
    let wire = w.session.wire.as_harness();
    let filter = format!("displayName eq \"{}\"", name.replace('"', "\\\""));
    let req = wire.request("GET", "/Groups", &[("filter", &filter)], None);
    let ex = wire.send("look up group by name", req).await;
    let names = ex
        .json()
        .and_then(|b| b.get("Resources").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|g| {
            g.get("displayName")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .collect();
    (names, ex)
}

/// Link Group finds a team only by its exact name: the exact name finds it, the name in other
/// case finds nothing. Then Okta's link of an Okta group named in other case, which collides
/// with the promise (the profile names that collision).
pub(crate) async fn exact_name_promise(
    w: &mut OktaWorld,
    name: &str,
    promise: &str,
) -> Result<(), StepFailure> {
    let mark = w.checks.items.len();
    let other = if name.to_lowercase() != name {
        name.to_lowercase()
    } else {
        name.to_uppercase()
    };
    let (exact, ex) = groups_named(w, name).await;
    w.checks.record_detail(
        &PROMISE_KEPT,
        exact.iter().any(|n| n == name),
        Some(&ex),
        Some(format!(
            "{promise}; displayName eq {name:?} found {exact:?}"
        )),
    );
    let (found, ex) = groups_named(w, &other).await;
    w.checks.record_detail(
        &PROMISE_KEPT,
        found.is_empty(),
        Some(&ex),
        Some(format!(
            "{promise}; displayName eq {other:?} found {found:?}, where only the exact name {name:?} may match"
        )),
    );
    w.verdict(mark, None)?;
    // What Okta does with an Okta group whose name differs only in case.
    let mark = w.checks.items.len();
    let label = format!("okta group {other}");
    w.session.group(&label).name = other.clone();
    let op = w.session.link_group(&label, &other, false).await;
    super::grade::link_group(&op, &other, &mut w.checks);
    w.verdict(mark, Some(op))
}

#[then(
    expr = "group {string} in the app still lists {string}, as the guide's promise {string} says"
)]
async fn still_lists(w: &mut OktaWorld, group: String, user: String, setting: String) {
    w.step(StepKind::Assertion, async |w| {
        let (_, promise) = w.promise(&setting)?;
        let id = w
            .session
            .app_id(&user)
            .ok_or_else(|| StepFailure(format!("{user} has no app id")))?;
        let mark = w.checks.items.len();
        let op = w.session.read_group(&group).await;
        if let Some(ex) = op.first(crate::okta::ops::Step::Get) {
            let members = values_of(&ex.json().unwrap_or_default(), "members", None);
            w.checks.record_detail(
                &PROMISE_KEPT,
                members.contains(&id),
                Some(ex),
                Some(format!(
                    "{promise}; after Okta pushed the removal of {user} ({id}) the app's group lists {members:?}"
                )),
            );
        }
        w.verdict(mark, Some(op))
    })
    .await
}

// ---- Atomation (000): role groups, sign-in before provisioning -----------------------------

#[then(expr = "the app keeps its guide's promise {string}")]
async fn keeps_app_promise(w: &mut OktaWorld, setting: String) {
    w.step(StepKind::Assertion, async |w| {
        let (profile, promise) = w.promise(&setting)?;
        match setting.as_str() {
            "groups.role_groups" => {
                let mark = w.checks.items.len();
                let (op, groups) = w
                    .session
                    .import(crate::okta::ops::OpKind::ImportGroups)
                    .await;
                super::grade::import(&op, &groups, false, &mut w.checks);
                let names: Vec<String> = groups
                    .iter()
                    .filter_map(|g| g.get("displayName").and_then(Value::as_str).map(String::from))
                    .collect();
                let missing: Vec<&String> = profile
                    .groups
                    .role_groups
                    .iter()
                    .filter(|r| !names.contains(r))
                    .collect();
                w.checks.record_detail(
                    &PROMISE_KEPT,
                    missing.is_empty(),
                    op.last(),
                    Some(format!(
                        "{promise}; Refresh App Groups found {} group(s), without the role-group(s) {missing:?}",
                        names.len()
                    )),
                );
                w.verdict(mark, Some(op))
            }
            other => Err(StepFailure(format!(
                "okta-sim cannot check the promise of {other} without a user"
            ))),
        }
    })
    .await
}

#[then(expr = "{string} holds the role {string} in the app, as the guide's promise {string} says")]
async fn holds_role(w: &mut OktaWorld, label: String, role: String, setting: String) {
    w.step(StepKind::Assertion, async |w| {
        let (_, promise) = w.promise(&setting)?;
        let mark = w.checks.items.len();
        let op = w.session.read_user(&label).await;
        if let Some(ex) = op.first(crate::okta::ops::Step::Get) {
            let roles = values_of(&ex.json().unwrap_or_default(), "roles", None);
            w.checks.record_detail(
                &PROMISE_KEPT,
                roles == [role.clone()],
                Some(ex),
                Some(format!(
                    "{promise}; the app shows {label} with roles {roles:?}, not [{role:?}]"
                )),
            );
        }
        w.verdict(mark, Some(op))
    })
    .await
}

#[given(expr = "{string} was assigned to the app before provisioning was enabled")]
fn assigned_before_provisioning(w: &mut OktaWorld, label: String) {
    // Okta assigned the user for sign-on only: nothing was provisioned.
    w.session.user(&label);
    w.unprovisioned.insert(label);
}

#[when(expr = "{string} signs in from the Okta dashboard before Okta provisioned the user")]
async fn signs_in_unprovisioned(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let o = w
            .post_from_dashboard(&label, "IdP-initiated sign-in before provisioning")
            .await?;
        // "can fail": what happened is reported, not graded.
        w.note = Some(format!(
            "first sign-in before provisioning: {}",
            o.describe()
        ));
        Ok(())
    })
    .await
}

#[when(
    expr = "the admin removes the assignment of {string}, waits for provisioning, and assigns {string} again"
)]
async fn remove_wait_reassign(w: &mut OktaWorld, label: String, again: String) {
    w.step(StepKind::Action, async |w| {
        if label != again {
            return Err(StepFailure(format!(
                "this step removes and re-adds one user, not {label} and {again}"
            )));
        }
        // The removal sends nothing: Okta never provisioned the user. The new assignment is
        // made with provisioning on, so Okta provisions the user.
        w.unprovisioned.remove(&label);
        w.assign(&label).await
    })
    .await
}

// ---- Workato (003): privileges applied at sign-in, deprovisioning ----------------------------

/// The user's roles (`roles[].value`) and groups (`entitlements[type=group].value`) as the app
/// shows them, sorted; the exchange that read them.
async fn privileges_of(
    w: &mut OktaWorld,
    label: &str,
) -> Result<(Vec<String>, Vec<String>, crate::okta::Op), StepFailure> {
    let op = w.session.read_user(label).await;
    let body = op
        .first(crate::okta::ops::Step::Get)
        .and_then(|e| e.json())
        .unwrap_or_default();
    let sorted = |attr: &str, of_type: Option<&str>| {
        let mut v = values_of(&body, attr, of_type);
        v.sort();
        v
    };
    Ok((
        sorted("roles", None),
        sorted("entitlements", Some("group")),
        op,
    ))
}

fn list(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect();
    v.sort();
    v
}

#[then(expr = "{string} has no role or group in the app yet, as the guide's promise {string} says")]
async fn no_privileges_yet(w: &mut OktaWorld, label: String, setting: String) {
    w.step(StepKind::Assertion, async |w| {
        let (_, promise) = w.promise(&setting)?;
        let mark = w.checks.items.len();
        let (roles, groups, op) = privileges_of(w, &label).await?;
        w.checks.record_detail(
            &PROMISE_KEPT,
            roles.is_empty() && groups.is_empty(),
            op.first(crate::okta::ops::Step::Get),
            Some(format!(
                "{promise}; before any sign-in the app shows {label} with roles {roles:?} and groups {groups:?}"
            )),
        );
        w.verdict(mark, Some(op))
    })
    .await
}

#[then(
    expr = "{string} holds the roles {string} and the groups {string} in the app, as the guide's promise {string} says"
)]
async fn holds_privileges(
    w: &mut OktaWorld,
    label: String,
    roles_want: String,
    groups_want: String,
    setting: String,
) {
    w.step(StepKind::Assertion, async |w| {
        let (_, promise) = w.promise(&setting)?;
        let mark = w.checks.items.len();
        let (roles, groups, op) = privileges_of(w, &label).await?;
        let (rw, gw) = (list(&roles_want), list(&groups_want));
        w.checks.record_detail(
            &PROMISE_KEPT,
            roles == rw && groups == gw,
            op.first(crate::okta::ops::Step::Get),
            Some(format!(
                "{promise}; the app shows {label} with roles {roles:?} and groups {groups:?}, not {rw:?} and {gw:?}"
            )),
        );
        w.verdict(mark, Some(op))
    })
    .await
}

#[when(expr = "{string} moves to the Okta groups {string}")]
fn moves_to_groups(w: &mut OktaWorld, label: String, groups: String) {
    w.saml_groups.insert(label, list(&groups));
}

#[when(expr = "Okta suspends {string}")]
async fn suspends(w: &mut OktaWorld, label: String) {
    w.step(StepKind::Action, async |w| {
        let op = w.session.suspend_user(&label);
        w.last_op = Some(op);
        Ok(())
    })
    .await
}

#[then(expr = "the app deprovisioned {string}, as the guide's promise {string} says")]
async fn deprovisioned(w: &mut OktaWorld, label: String, setting: String) {
    w.step(StepKind::Assertion, async |w| {
        let (_, promise) = w.promise(&setting)?;
        let mark = w.checks.items.len();
        let op = w.session.read_user(&label).await;
        if let Some(ex) = op.first(crate::okta::ops::Step::Get) {
            let active = ex.json().and_then(|b| b.get("active").cloned());
            w.checks.record_detail(
                &super::catalogue::vendor::DEPROVISIONED,
                active == Some(Value::Bool(false)),
                Some(ex),
                Some(format!(
                    "{promise}; the app shows {label} with active {}",
                    active.map_or("missing".into(), |a| a.to_string())
                )),
            );
        }
        w.verdict(mark, Some(op))
    })
    .await
}

#[then(expr = "{string} cannot sign in to the app, as the guide's promise {string} says")]
async fn cannot_sign_in(w: &mut OktaWorld, label: String, setting: String) {
    w.step(StepKind::Assertion, async |w| {
        let (_, promise) = w.promise(&setting)?;
        let o = w
            .post_from_dashboard(&label, "IdP-initiated sign-in of a deprovisioned user")
            .await?;
        let mark = w.checks.items.len();
        w.checks.record_detail(
            &PROMISE_KEPT,
            !o.accepted,
            Some(&o.exchange),
            Some(format!(
                "{promise}; a valid Okta assertion for {label} was {}",
                o.describe()
            )),
        );
        w.verdict(mark, None)
    })
    .await
}
