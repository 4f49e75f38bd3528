//! Deliberately broken servers: the reference app with a fault switched on, and wiremock or raw
//! sockets answering HTML, garbage, resets or nothing. The right check must fail with the right
//! grade, and the run must end in bounded time without a panic.

#[path = "support/capture.rs"]
mod capture;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use okta_sim::ReferenceApp;
use okta_sim::app::faults::{FAULTS, fault_named};
use okta_sim::conformance::check::Grade;
use okta_sim::conformance::report::Outcome;
use okta_sim::conformance::{CheckError, CheckOptions, RunOutcome, Target, catalogue, run};
use okta_sim::embedded::embed;
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

/// A run of the scenarios `tags` selects against the embedded reference app (its SCIM API and
/// its SP) with one fault switched on.
async fn run_with_fault(fault: &str, tags: &str) -> RunOutcome {
    let builder = ReferenceApp::builder().fault(fault_named(fault).expect("a fault of the table"));
    let (_app, o) = embed(builder, opts("http://unused.invalid", "t", tags))
        .await
        .expect("the app starts");
    run(o).await.expect("the run completes")
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

/// Why the check `id` did not fail with `grade` in the run (None: it did).
fn failed_as_expected(outcome: &RunOutcome, id: &str, grade: Grade) -> Option<String> {
    let failures: Vec<&okta_sim::conformance::check::Check> = outcome
        .results
        .iter()
        .flat_map(|r| &r.checks)
        .filter(|c| !c.passed)
        .collect();
    let found: Vec<_> = failures.iter().filter(|c| c.id == id).collect();
    if found.is_empty() {
        let mut ids: Vec<&str> = failures.iter().map(|c| c.id.as_str()).collect();
        ids.dedup();
        return Some(format!("{id} did not fail; these did: {ids:?}"));
    }
    if let Some(c) = found.iter().find(|c| c.grade != grade) {
        return Some(format!("{id} failed as {:?}, not {grade:?}", c.grade));
    }
    if grade.fails_run() && outcome.exit_code() != 1 {
        return Some(format!(
            "{id} failed but the run's exit code is {}",
            outcome.exit_code()
        ));
    }
    None
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
    let mut missed = Vec::new();
    let mut clean_runs: std::collections::HashMap<&str, (usize, usize)> = Default::default();
    for f in FAULTS {
        assert!(
            catalogue.contains(&f.caught_by.check.to_string()),
            "{}: {} is not a check of the catalogue",
            f.name,
            f.caught_by.check
        );
        let o = run_with_fault(f.name, f.caught_by.tags).await;
        if let Some(why) = failed_as_expected(&o, f.caught_by.check, grade_named(f.caught_by.grade))
        {
            missed.push(format!("{}: {why}", f.name));
            continue;
        }
        // The same scenarios pass against the app without the fault.
        let clean = match clean_runs.get(f.caught_by.tags) {
            Some(c) => *c,
            None => {
                let (_clean, clean_opts) = embed(
                    ReferenceApp::builder(),
                    opts("http://unused.invalid", "t", f.caught_by.tags),
                )
                .await
                .unwrap();
                let ok = run(clean_opts).await.unwrap();
                let c = (ok.summary.failed, ok.summary.warnings);
                clean_runs.insert(f.caught_by.tags, c);
                c
            }
        };
        assert_eq!(
            clean,
            (0, 0),
            "{}: the clean app fails its scenarios",
            f.name
        );
        caught += 1;
    }
    println!("mutation score: {caught}/{} faults caught", FAULTS.len());
    assert!(
        missed.is_empty(),
        "faults not caught as their table entry says:\n{}",
        missed.join("\n")
    );
    assert!(FAULTS.len() >= 40, "only {} fault switches", FAULTS.len());
}

/// Each SP mistake is one real SPs shipped: a vulnerable SP that still signs Okta's users in.
/// Ordinary sign-in passes with every one of them, so only the attack catalogue (or the replay
/// scenario) tells them apart from a correct SP.
#[tokio::test]
async fn every_sp_fault_still_signs_in_okta_users() {
    let sp_faults: Vec<_> = FAULTS.iter().filter(|f| f.sp.is_some()).collect();
    assert!(sp_faults.len() >= 10, "only {} SP faults", sp_faults.len());
    for f in sp_faults {
        let o = run_with_fault(f.name, "@sso and @okta-required").await;
        assert!(o.summary.passed >= 5, "{}: {:?}", f.name, o.summary);
        assert_eq!(
            (o.summary.failed, o.summary.warnings),
            (0, 0),
            "{}: an ordinary sign-in fails, so the fault is not the subtle mistake it models",
            f.name
        );
    }
}

/// The vulnerable verifier of `sp-read-first-assertion` follows a signature's reference to a
/// hidden copy and reads the document's first assertion: the wrapping cases sign in the victim.
#[tokio::test]
async fn a_wrapping_vulnerable_sp_signs_in_the_victim_and_is_caught() {
    let o = run_with_fault("sp-read-first-assertion", "@attack").await;
    let failed: Vec<&str> = o
        .results
        .iter()
        .flat_map(|r| &r.checks)
        .filter(|c| !c.passed && c.id.starts_with("sso.attack.xsw"))
        .map(|c| c.id.as_str())
        .collect();
    for case in ["xsw3", "xsw4", "xsw7"] {
        assert!(
            failed.contains(&format!("sso.attack.{case}").as_str()),
            "{case} not caught; failed: {failed:?}"
        );
    }
    let victim = o
        .results
        .iter()
        .filter(|r| r.scenario.starts_with("xsw4 "))
        .flat_map(|r| &r.checks)
        .any(|c| {
            c.diff
                .as_deref()
                .is_some_and(|d| d.contains("<- the victim"))
        });
    assert!(
        victim,
        "xsw4's report does not say the victim was signed in"
    );
    assert_eq!(o.exit_code(), 1);
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

/// A server answering every request on a connection it never closes, counting connections.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/scim/v2", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let (mut buf, mut have) = (vec![0u8; 16 * 1024], Vec::new());
                while let Ok(n @ 1..) = sock.read(&mut buf).await {
                    have.extend_from_slice(&buf[..n]);
                    while let Some(end) = have.windows(4).position(|w| w == b"\r\n\r\n") {
                        have.drain(..end + 4);
                        let body = br#"{"totalResults":0,"Resources":[]}"#;
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        );
                        if sock.write_all(head.as_bytes()).await.is_err()
                            || sock.write_all(body).await.is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
    });
    (base, accepted)
}

/// Servers close idle keep-alive connections (Node.js's and the reference app's after 5 s); a
/// request sent on one as it closes gets no answer, and a load run counted a failed task for it.
/// The client reuses a connection while it is fresh, and not once it has been idle that long.
#[tokio::test]
async fn a_connection_idle_near_the_servers_keep_alive_is_not_reused() {
    use okta_sim::okta::limits::POOL_IDLE;
    use okta_sim::okta::log::ExchangeLog;
    use okta_sim::okta::redact::Redactor;
    use okta_sim::okta::{RetryPolicy, WireClient};
    let (base, accepted) = counting_server().await;
    let log = Arc::new(ExchangeLog::new(Redactor::none()));
    let wire = WireClient::new(
        &base,
        Auth::Bearer("t".into()),
        Duration::from_secs(5),
        RetryPolicy::default(),
        log,
    )
    .unwrap();
    assert!(POOL_IDLE < Duration::from_secs(5));
    for pause in [
        Duration::ZERO,
        Duration::from_millis(200),
        POOL_IDLE + Duration::from_millis(500),
    ] {
        tokio::time::sleep(pause).await;
        let ex = wire
            .send("list", wire.request("GET", "/Users", &[], None))
            .await;
        assert_eq!(ex.status(), Some(200), "{}", ex.got());
    }
    // The first two share a connection; the third, after the pause, opens its own.
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}
