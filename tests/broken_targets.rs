//! Deliberately broken servers: the reference app with a fault switched on, and wiremock or raw
//! sockets answering HTML, garbage, resets or nothing. The right check must fail with the right
//! grade, and the run must end in bounded time without a panic.

#[path = "support/capture.rs"]
mod capture;

use std::time::{Duration, Instant};

use okta_sim::ReferenceApp;
use okta_sim::app::faults::{FAULTS, fault_named};
use okta_sim::conformance::check::Grade;
use okta_sim::conformance::report::Outcome;
use okta_sim::conformance::{CheckError, CheckOptions, RunOutcome, Target, catalogue, run};
use okta_sim::okta::{AppKind, Auth};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn opts(base_url: &str, token: &str, tags: &str) -> CheckOptions {
    CheckOptions {
        target: Target::Url {
            base_url: base_url.into(),
            auth: Auth::Bearer(token.into()),
        },
        tags: Some(tags.into()),
        seed: Some(99),
        timeout: Duration::from_secs(2),
        retry_time_scale: 0.0,
        print: false,
        ..CheckOptions::default()
    }
}

async fn run_with_fault(fault: &str, tags: &str) -> RunOutcome {
    let app = ReferenceApp::builder()
        .fault(fault_named(fault).expect("a fault of the table"))
        .start()
        .await
        .unwrap();
    run(opts(app.base_url(), app.token(), tags))
        .await
        .expect("the run completes")
}

fn grade_named(name: &str) -> Grade {
    match name {
        "okta-required" => Grade::OktaRequired,
        "rfc-must" => Grade::RfcMust,
        "rfc-should" => Grade::RfcShould,
        "okta-tolerated" => Grade::OktaTolerated,
        other => panic!("no grade {other}"),
    }
}

/// The check `id` failed somewhere in the run, with `grade`.
fn assert_failed(outcome: &RunOutcome, id: &str, grade: Grade) {
    let found: Vec<_> = outcome
        .results
        .iter()
        .flat_map(|r| &r.checks)
        .filter(|c| c.id == id && !c.passed)
        .collect();
    assert!(
        !found.is_empty(),
        "expected {id} to fail; failures were: {:?}",
        outcome
            .results
            .iter()
            .flat_map(|r| &r.checks)
            .filter(|c| !c.passed)
            .map(|c| &c.id)
            .collect::<Vec<_>>()
    );
    assert!(
        found.iter().all(|c| c.grade == grade),
        "{id}: grade {:?}, expected {grade:?}",
        found[0].grade
    );
    assert!(
        found
            .iter()
            .all(|c| !c.needed.is_empty() && !c.why.is_empty() && c.got.is_some())
    );
    if grade.fails_run() {
        assert_eq!(outcome.exit_code(), 1);
    }
}

/// The mutation score: every fault switch of the table is caught by the check its entry names,
/// with that grade, in the scenarios its entry names; and the same scenarios pass against the
/// app without the fault.
#[tokio::test]
async fn every_fault_is_caught_by_the_check_meant_for_it() {
    let catalogue: Vec<String> = catalogue::all().into_iter().map(|l| l.check.id).collect();
    let mut caught = 0;
    for f in FAULTS {
        assert!(
            catalogue.contains(&f.caught_by.check.to_string()),
            "{}: {} is not a check of the catalogue",
            f.name,
            f.caught_by.check
        );
        let o = run_with_fault(f.name, f.caught_by.tags).await;
        assert_failed(&o, f.caught_by.check, grade_named(f.caught_by.grade));
        let clean = ReferenceApp::start().await.unwrap();
        let ok = run(opts(clean.base_url(), clean.token(), f.caught_by.tags))
            .await
            .unwrap();
        assert_eq!(
            (ok.summary.failed, ok.summary.warnings),
            (0, 0),
            "{}: the clean app fails its scenarios",
            f.name
        );
        caught += 1;
    }
    println!("mutation score: {caught}/{} faults caught", FAULTS.len());
}

#[tokio::test]
async fn a_duplicate_created_without_conflict_fails_the_spec_test_too() {
    let spec = run_with_fault("no-conflict-on-duplicate", "@spec").await;
    assert_failed(&spec, "spec.step-14.duplicate-409", Grade::OktaRequired);
}

#[tokio::test]
async fn ignored_deactivation_is_caught_for_aiw_apps_too() {
    // AIW apps deactivate with GET + PUT.
    let app = ReferenceApp::builder()
        .fault(fault_named("ignore-deactivation").unwrap())
        .start()
        .await
        .unwrap();
    let aiw = run(CheckOptions {
        app_kind: AppKind::Aiw,
        ..opts(app.base_url(), app.token(), "@lifecycle")
    })
    .await
    .unwrap();
    assert_failed(&aiw, "users.active.applied", Grade::OktaRequired);
}

#[tokio::test]
async fn a_server_error_shows_what_came_back() {
    let o = run_with_fault("patch-500", "@lifecycle").await;
    let r = o
        .results
        .iter()
        .find(|r| matches!(r.outcome, Outcome::Failed { .. }))
        .unwrap();
    assert!(r.render().contains("got      500"), "{}", r.render());
}

#[tokio::test]
async fn members_null_is_only_a_warning() {
    let o = run_with_fault("members-null", "@push").await;
    assert_eq!(
        o.summary.failed, 0,
        "members: null must not fail a scenario"
    );
    assert!(o.summary.warnings > 0);
    assert_eq!(o.exit_code(), 0);
}

#[tokio::test]
async fn html_answers_fail_with_a_clear_reason() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html><body>Login</body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    let o = run(opts(
        &format!("{}/scim/v2", server.uri()),
        "t",
        "@credentials or @assign",
    ))
    .await
    .unwrap();
    assert_failed(&o, "credentials.users-probe.json", Grade::OktaRequired);
    assert_eq!(o.summary.passed, 0);
    let text = o.results[0].render();
    assert!(text.contains("<html>"), "the answer is shown: {text}");
}

#[tokio::test]
async fn garbage_answers_fail_without_panicking() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0xff, 0x00, 0xfe, b'{', b'[']))
        .mount(&server)
        .await;
    let o = run(opts(
        &format!("{}/scim/v2", server.uri()),
        "t",
        "not @import",
    ))
    .await
    .unwrap();
    assert_eq!(o.summary.passed, 0);
    assert!(o.summary.failed > 10);
    assert_eq!(o.exit_code(), 1);
}

#[tokio::test]
async fn a_hanging_target_gives_failed_checks_in_bounded_time() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let t0 = Instant::now();
    let o = run(CheckOptions {
        timeout: Duration::from_millis(500),
        ..opts(&format!("{}/scim/v2", server.uri()), "t", "not @import")
    })
    .await
    .unwrap();
    // Two timeouts in a row and the target counts as gone: the rest fails at once.
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
    assert_eq!(o.summary.passed, 0);
    assert_failed(&o, "credentials.users-probe.answered", Grade::OktaRequired);
    let got = o
        .results
        .iter()
        .flat_map(|r| &r.checks)
        .find(|c| c.id.ends_with(".answered"))
        .unwrap()
        .got
        .clone()
        .unwrap();
    assert!(
        got.contains("timed out") || got.contains("stopped answering"),
        "{got}"
    );
}

#[tokio::test]
async fn a_target_that_resets_connections() {
    // Accept, then close without answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            drop(sock);
        }
    });
    let o = run(opts(&format!("http://{addr}/scim/v2"), "t", "@credentials"))
        .await
        .unwrap();
    assert_failed(&o, "credentials.users-probe.answered", Grade::OktaRequired);
    assert_eq!(o.exit_code(), 1);
}

#[tokio::test]
async fn a_target_that_is_down_is_a_usage_level_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    match run(opts(&format!("http://{addr}/scim/v2"), "t", "@credentials")).await {
        Err(CheckError::Unreachable(msg)) => assert!(msg.contains(&addr.to_string()), "{msg}"),
        Err(e) => panic!("expected Unreachable, got {e}"),
        Ok(_) => panic!("expected Unreachable, got a run"),
    }
}

#[tokio::test]
async fn okta_retries_429_by_its_policy() {
    use capture::{CaptureServer, answer};
    let list = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#;
    let server = CaptureServer::start(vec![
        answer(429, "{}"),
        answer(429, "{}"),
        answer(200, list),
    ])
    .await;
    let o = run(CheckOptions {
        settings: okta_sim::okta::OktaSettings {
            group_features: false,
            ..Default::default()
        },
        ..opts(&server.base_url, "t", "@credentials and not @auth")
    })
    .await
    .unwrap();
    assert_eq!(o.summary.failed, 0, "{}", o.results[0].render());
    let probes = o
        .exchanges
        .iter()
        .filter(|e| e.request.path.starts_with("/Users?startIndex=1&count=2"))
        .count();
    assert_eq!(probes, 3, "two 429s, then the answer");
    assert_eq!(o.exchanges.iter().map(|e| e.attempt).max(), Some(3));
}
