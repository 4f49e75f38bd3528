//! The whole conformance suite against the embedded reference app, as cucumber features
//! (harness = false): SCIM and SSO, for every built-in integration profile as
//! `okta-sim check --profile NAME` runs it (the Okta side configured by the profile, the app
//! started in it), and for the reference app also as an AIW app and with group renaming on.
//! Every scenario must pass (or be skipped with its reason), and a profile whose promises
//! collide with what Okta sends meets exactly the collisions it declares, reported as KNOWN.
//! Every check recorded must be one of the catalogue's.

use std::collections::BTreeSet;

use okta_sim::ReferenceApp;
use okta_sim::app::profile::{AppProfile, profiles};
use okta_sim::conformance::report::Outcome;
use okta_sim::conformance::{CheckOptions, catalogue, run};
use okta_sim::embedded::embed;
use okta_sim::integration::IntegrationProfile;
use okta_sim::okta::AppKind;
use okta_sim::okta::ops::OktaSettings;

struct Case {
    kind: AppKind,
    rename: bool,
    profile: AppProfile,
    /// The integration profile the simulated Okta is configured as (`check --profile`).
    integration: Option<IntegrationProfile>,
    collides_with: Vec<String>,
}

#[tokio::main]
async fn main() {
    // Each built-in profile as `okta-sim check --profile NAME` runs it: the Okta side configured
    // by the profile (its app kind, features, statements), the embedded app started in it.
    let mut cases: Vec<Case> = profiles()
        .into_iter()
        .map(|p| {
            let integration = IntegrationProfile::load(&p.name).expect("built in");
            Case {
                kind: if integration.okta.app_kind == "aiw" {
                    AppKind::Aiw
                } else {
                    AppKind::Oin
                },
                rename: integration.groups.rename_app_groups,
                profile: p.app,
                integration: Some(integration),
                collides_with: p.collides_with,
            }
        })
        .collect();
    for (kind, rename) in [(AppKind::Oin, true), (AppKind::Aiw, false)] {
        cases.push(Case {
            kind,
            rename,
            profile: AppProfile::reference(),
            integration: None,
            collides_with: Vec::new(),
        });
    }
    let catalogue: BTreeSet<String> = catalogue::all().into_iter().map(|l| l.check.id).collect();
    let mut failures = 0;
    let mut scenarios = 0;
    let mut skipped = 0;
    let mut expected_failures = 0;
    for case in cases {
        let label = format!(
            "{} app, renaming {}, {} profile",
            case.kind.name(),
            if case.rename { "on" } else { "off" },
            case.profile.name
        );
        let opts = CheckOptions {
            app_kind: case.kind,
            seed: Some(2026),
            settings: OktaSettings {
                rename_app_groups: case.rename,
                ..OktaSettings::default()
            },
            print: false,
            profile: case.integration.clone(),
            ..CheckOptions::default()
        };
        // The reference app with its SAML SP, reached only over HTTP like any target.
        let builder = ReferenceApp::builder().profile(case.profile.clone());
        let (_app, opts) = embed(builder, opts)
            .await
            .expect("the reference app starts");
        let outcome = run(opts).await.expect("the suite runs");
        let mut failed_checks = BTreeSet::new();
        let mut collided_checks = BTreeSet::new();
        for r in &outcome.results {
            scenarios += 1;
            for c in &r.checks {
                assert!(
                    catalogue.contains(&c.id),
                    "[{label}] {} is not in the catalogue",
                    c.id
                );
                if c.is_blocking_failure() {
                    failed_checks.insert(c.id.as_str());
                }
                if !c.passed && c.collision.is_some() {
                    collided_checks.insert(c.id.as_str());
                }
            }
            let collision = r.checks.iter().any(|c| !c.passed && c.collision.is_some());
            match &r.outcome {
                Outcome::Passed if collision => {
                    expected_failures += 1;
                    println!(
                        "known [{label}] {} › {} (the profile's promise collides with Okta)",
                        r.feature, r.scenario
                    )
                }
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
        }
        // Nothing fails the run; the collisions the profile declares are each met, as KNOWN.
        let expected: BTreeSet<&str> = case.collides_with.iter().map(String::as_str).collect();
        assert_eq!(
            failed_checks,
            BTreeSet::new(),
            "[{label}] the checks that failed"
        );
        assert_eq!(collided_checks, expected, "[{label}] the known collisions");
        assert!(
            outcome.results.len() >= 30,
            "[{label}] only {} scenarios ran",
            outcome.results.len()
        );
        assert_eq!(outcome.exit_code(), 0, "[{label}] exit code");
    }
    println!(
        "conformance suite against the reference app: {} passed, {failures} failed, {expected_failures} passed at a known collision of the profile's promise, {skipped} skipped",
        scenarios - failures - skipped - expected_failures
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
