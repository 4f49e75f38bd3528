//! Steps for the flows of the seed vendors' guides (`features/vendors/NAME.feature`): each grades
//! `vendor.promise.kept` with the guide's own sentence, quoted from the integration profile's
//! `[sources]`, so a failure names the promise that was broken.

use cucumber::{then, when};
use serde_json::Value;

use super::catalogue::vendor::PROMISE_KEPT;
use super::world::{OktaWorld, StepFailure, StepKind};
use crate::integration::IntegrationProfile;

/// "Atlan's guide 002: "…"" for a setting the guide has a sentence for, else the setting's name.
pub(crate) fn promise_text(profile: &IntegrationProfile, setting: &str) -> String {
    match (profile.sources.get(setting), &profile.guide) {
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
            Err((why, ex)) => (false, ex, format!("{promise}; the test did not start: {why}")),
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

#[then(expr = "the sign-in kept the guide's promise {string}")]
async fn sign_in_kept(w: &mut OktaWorld, setting: String) {
    w.step(StepKind::Assertion, async |w| {
        let (_, promise) = w.promise(&setting)?;
        let o = w
            .last_sso
            .clone()
            .ok_or_else(|| StepFailure("nobody signed in".into()))?;
        let sso = w.sso()?;
        let mark = w.checks.items.len();
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
        w.verdict(mark, None)
    })
    .await
}
