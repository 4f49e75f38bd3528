//! The library as a Rust user drives it: two runs in one process go on side by side, each
//! against its own target, sharing nothing.

use std::time::Instant;

use okta_sim::conformance::{CheckOptions, Target, run};
use okta_sim::okta::Auth;
use okta_sim::{AppProfile, ReferenceApp};

fn opts(app: &ReferenceApp) -> CheckOptions {
    CheckOptions {
        target: Target::Url {
            base_url: app.base_url().to_string(),
            auth: Auth::Bearer(app.token().to_string()),
        },
        tags: Some("not @saml".into()),
        seed: Some(5),
        print: false,
        ..CheckOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_in_one_process_overlap_in_time_and_keep_to_their_own_targets() {
    let a = ReferenceApp::start().await.unwrap();
    let b = ReferenceApp::builder()
        .profile(AppProfile::patch_204())
        .start()
        .await
        .unwrap();
    let timed = |o: CheckOptions| async move {
        let start = Instant::now();
        let outcome = run(o).await.expect("the run completes");
        (start, Instant::now(), outcome)
    };
    let ((a_start, a_end, a_out), (b_start, b_end, b_out)) =
        tokio::join!(timed(opts(&a)), timed(opts(&b)));
    assert!(
        a_start < b_end && b_start < a_end,
        "the runs did not overlap: a {a_start:?}..{a_end:?}, b {b_start:?}..{b_end:?}"
    );
    // Interleaved on the wire too: b sent requests between a's first and last.
    let a_first = a_out.exchanges.first().unwrap().started.clone();
    let a_last = a_out.exchanges.last().unwrap().started.clone();
    assert!(
        b_out
            .exchanges
            .iter()
            .any(|e| e.started > a_first && e.started < a_last),
        "no request of the second run went out while the first was running"
    );
    for (out, app) in [(&a_out, &a), (&b_out, &b)] {
        assert_eq!(out.exit_code(), 0);
        assert!(out.summary.passed > 30);
        assert!(
            out.exchanges
                .iter()
                .all(|e| e.url.starts_with(app.base_url())),
            "a run's exchanges went to another run's target"
        );
    }
    // Each app saw only its own run: a PATCH 204 profile answers 204, the other 200.
    assert!(
        b_out
            .exchanges
            .iter()
            .any(|e| e.request.method == "PATCH" && e.status() == Some(204))
    );
    assert!(
        !a_out
            .exchanges
            .iter()
            .any(|e| e.request.method == "PATCH" && e.status() == Some(204))
    );
}

#[tokio::test]
async fn okta_sim_own_requests_do_not_pass_as_okta() {
    let app = ReferenceApp::start().await.unwrap();
    let out = run(CheckOptions {
        tags: Some("@assign or @push".into()),
        ..opts(&app)
    })
    .await
    .unwrap();
    let ua = |e: &okta_sim::okta::Exchange| {
        e.request
            .header("user-agent")
            .unwrap_or_default()
            .to_string()
    };
    let (mut own, mut okta) = (0, 0);
    for e in &out.exchanges {
        if e.label.starts_with("setup:") || e.label.starts_with("read-back:") {
            own += 1;
            assert!(ua(e).starts_with("okta-sim/"), "{}: {}", e.label, ua(e));
        } else {
            okta += 1;
            assert_eq!(ua(e), "Okta SCIM Client 1.0.0", "{}", e.label);
        }
    }
    assert!(own > 10 && okta > 10, "{own} own, {okta} Okta's");
}
