//! The whole conformance suite against the embedded reference app, as cucumber features
//! (harness = false): SCIM and SSO, OIN and AIW app kinds, with group renaming on and off, and
//! against an app that answers PATCH with 204. Every scenario must pass (or be skipped as the
//! other app kind's); a failure prints its checks.

use okta_sim::ReferenceApp;
use okta_sim::app::AppProfile;
use okta_sim::conformance::report::Outcome;
use okta_sim::conformance::{CheckOptions, run};
use okta_sim::embedded::embed;
use okta_sim::okta::AppKind;
use okta_sim::okta::ops::OktaSettings;

#[tokio::main]
async fn main() {
    let mut failures = 0;
    let mut scenarios = 0;
    let mut skipped = 0;
    for (kind, rename, profile) in [
        (AppKind::Oin, false, "reference"),
        (AppKind::Oin, true, "reference"),
        (AppKind::Aiw, false, "reference"),
        (AppKind::Oin, false, "patch-204"),
    ] {
        let builder = ReferenceApp::builder().profile(AppProfile::named(profile).unwrap());
        let opts = CheckOptions {
            app_kind: kind,
            seed: Some(2026),
            settings: OktaSettings {
                rename_app_groups: rename,
                ..OktaSettings::default()
            },
            print: false,
            ..CheckOptions::default()
        };
        // The reference app with its SAML SP, reached only over HTTP like any target.
        let (_app, opts) = embed(builder, opts)
            .await
            .expect("the reference app starts");
        let outcome = run(opts).await.expect("the suite runs");
        let label = format!(
            "{} app, renaming {}, {profile} profile",
            kind.name(),
            if rename { "on" } else { "off" }
        );
        for r in &outcome.results {
            scenarios += 1;
            match &r.outcome {
                Outcome::Passed => println!("ok    [{label}] {} › {}", r.feature, r.scenario),
                Outcome::Skipped { reason } => {
                    skipped += 1;
                    println!("skip  [{label}] {} › {} ({reason})", r.feature, r.scenario)
                }
                Outcome::Failed { .. } => {
                    failures += 1;
                    println!("FAIL  [{label}]\n{}", r.render());
                }
            }
            assert!(
                r.checks.iter().all(|c| c.passed || !c.grade.fails_run())
                    || !matches!(r.outcome, Outcome::Passed)
            );
        }
        assert!(
            outcome.results.len() >= 30,
            "[{label}] only {} scenarios ran",
            outcome.results.len()
        );
        assert_eq!(outcome.exit_code(), if failures == 0 { 0 } else { 1 });
    }
    println!(
        "conformance suite against the reference app: {} passed, {failures} failed, {skipped} skipped",
        scenarios - failures - skipped
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
