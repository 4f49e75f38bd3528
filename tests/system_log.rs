//! The System Log okta-sim keeps for a run (okta-scim-wire §8.5, §8.6): an event per task and
//! per sign-in, shaped as /api/v1/logs returns them, with Okta-format ids that a seed repeats,
//! the admin-console line of a failure built from the app's real answer, the transaction id next
//! to each failed check, and the optional correlation header carrying it to the app.

use std::time::Duration;

use okta_sim::ReferenceApp;
use okta_sim::app::faults::fault_named;
use okta_sim::conformance::{CheckOptions, RunOutcome, Target, run};
use okta_sim::embedded::embed;
use okta_sim::okta::Auth;
use serde_json::Value;

async fn run_with(fault: Option<&str>, tags: &str, correlation: Option<&str>) -> RunOutcome {
    let mut builder = ReferenceApp::builder();
    if let Some(f) = fault {
        builder = builder.fault(fault_named(f).unwrap());
    }
    let opts = CheckOptions {
        target: Target::Url {
            base_url: "http://unused.invalid".into(),
            auth: Auth::Bearer("t".into()),
        },
        tags: Some(tags.into()),
        seed: Some(21),
        timeout: Duration::from_secs(5),
        retry_time_scale: 0.0,
        print: false,
        correlation_header: correlation.map(String::from),
        ..CheckOptions::default()
    };
    let (_app, o) = embed(builder, opts).await.unwrap();
    run(o).await.unwrap()
}

fn is_okta_id(id: &str, prefix: &str) -> bool {
    id.len() == 20 && id.starts_with(prefix) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[tokio::test]
async fn every_task_is_an_event_with_okta_shaped_ids() {
    let o = run_with(None, "@lifecycle or @sso", None).await;
    assert!(o.events.len() > 10, "{}", o.events.len());
    let mut types = std::collections::BTreeSet::new();
    for e in &o.events {
        types.insert(e["eventType"].as_str().unwrap().to_string());
        assert_eq!(e["transaction"]["type"], "JOB");
        assert!(
            is_okta_id(e["transaction"]["id"].as_str().unwrap(), "puj"),
            "{e}"
        );
        let uuid = uuid::Uuid::parse_str(e["uuid"].as_str().unwrap()).unwrap();
        assert_eq!(uuid.get_version_num(), 1, "{e}");
        assert!(e["published"].as_str().unwrap().ends_with('Z'));
        let targets = e["target"].as_array().unwrap();
        let app = targets.iter().find(|t| t["type"] == "AppInstance").unwrap();
        assert!(is_okta_id(app["id"].as_str().unwrap(), "0oa"));
        if let Some(u) = targets.iter().find(|t| t["type"] == "User") {
            assert!(is_okta_id(u["id"].as_str().unwrap(), "00u"));
        }
        if let Some(u) = targets.iter().find(|t| t["type"] == "AppUser") {
            assert!(is_okta_id(u["id"].as_str().unwrap(), "0ua"));
        }
        assert_eq!(e["outcome"]["result"], "SUCCESS", "{e}");
    }
    for t in [
        "application.provision.user.push",
        "application.provision.user.deactivate",
        "application.provision.user.reactivate",
        "user.authentication.sso",
    ] {
        assert!(types.contains(t), "no {t}: {types:?}");
    }
    // The same seed gives the same ids, event for event.
    let again = run_with(None, "@lifecycle or @sso", None).await;
    let ids = |o: &RunOutcome| -> Vec<(Value, Value, Value)> {
        o.events
            .iter()
            .map(|e| {
                (
                    e["eventType"].clone(),
                    e["transaction"]["id"].clone(),
                    e["uuid"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(ids(&o), ids(&again));
}

#[tokio::test]
async fn a_failed_task_logs_the_admin_console_line_and_its_checks_name_the_transaction() {
    let o = run_with(
        Some("refuse-pathless-patch"),
        "@lifecycle",
        Some("X-Okta-Sim-Transaction"),
    )
    .await;
    let failed: Vec<&Value> = o
        .events
        .iter()
        .filter(|e| e["outcome"]["result"] == "FAILURE")
        .collect();
    let e = failed
        .iter()
        .find(|e| e["eventType"] == "application.provision.user.deactivate")
        .expect("a failed deactivation");
    let reason = e["outcome"]["reason"].as_str().unwrap();
    let login = e["target"][0]["alternateId"].as_str().unwrap();
    assert_eq!(
        reason,
        format!(
            "Automatic provisioning of user {login} to app okta-sim SCIM app failed: Error while deactivating user {login}: Bad Request. Errors reported by remote server: path is required"
        )
    );
    // The failed check carries the same transaction, event and message.
    let tx = e["transaction"]["id"].as_str().unwrap();
    let check = o
        .results
        .iter()
        .flat_map(|r| &r.checks)
        .find(|c| !c.passed && c.transaction.as_deref() == Some(tx))
        .expect("a failed check naming the transaction");
    assert_eq!(check.event.as_deref(), e["uuid"].as_str());
    assert_eq!(check.admin_message.as_deref(), Some(reason));
    assert!(
        check
            .render()
            .contains(&format!("okta     transaction {tx}"))
    );
    // The correlation header carried it to the app on that task's requests.
    let carried = o.exchanges.iter().any(|x| {
        x.request
            .headers
            .iter()
            .any(|(k, v)| k == "X-Okta-Sim-Transaction" && v == tx)
    });
    assert!(carried, "no request carried {tx}");
}

#[test]
fn the_cli_writes_events_as_json_lines_and_refuses_a_header_okta_sends() {
    let dir = std::env::temp_dir().join(format!("okta-sim-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("events.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .env(
            "OKTA_SIM_HOME",
            std::env::temp_dir().join("okta-sim-test-home"),
        )
        .args(["check", "--seed", "2", "--tags", "@assign", "--events"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().count() > 3);
    for line in text.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        assert!(
            e["eventType"]
                .as_str()
                .unwrap()
                .starts_with("application.provision.")
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .args(["check", "--correlation-header", "Authorization"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a header Okta already sends"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn explain_traces_an_id_to_its_scenario_from_the_files_or_the_seed() {
    let bin = env!("CARGO_BIN_EXE_okta-sim");
    let home = std::env::temp_dir().join("okta-sim-test-home");
    let dir = std::env::temp_dir().join(format!("okta-sim-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (events, transcript) = (dir.join("e.jsonl"), dir.join("t.json"));
    let out = std::process::Command::new(bin)
        .env("OKTA_SIM_HOME", &home)
        .args(["check", "--seed", "9", "--tags", "@lifecycle", "--events"])
        .arg(&events)
        .arg("--transcript")
        .arg(&transcript)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&events)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let tx = first["transaction"]["id"].as_str().unwrap();
    let user = first["target"][0]["id"].as_str().unwrap();
    let explain = |args: &[&str]| {
        std::process::Command::new(bin)
            .env("OKTA_SIM_HOME", &home)
            .arg("explain")
            .args(args)
            .output()
            .unwrap()
    };
    let out = explain(&[
        tx,
        "--events",
        events.to_str().unwrap(),
        "--transcript",
        transcript.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "{tx} is the transaction of application.provision.user.push"
        )),
        "{text}"
    );
    assert!(
        text.contains("of \"Deactivate, reactivate, unassign, reassign and password sync › "),
        "{text}"
    );
    assert!(text.contains("  POST /Users"), "{text}");
    // The same run made again from its seed finds the same Okta user.
    let out = explain(&[user, "--seed", "9", "--tags", "@lifecycle"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "{user} is the Okta user of application.provision.user.push"
        )),
        "{text}"
    );
    let out = explain(&["00uNOTHINGNOTHING123", "--events", events.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(explain(&["x"]).status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}
