//! `okta-sim replay`: from a customer's System Log export (fixtures/system-log/, in the shapes
//! of okta-scim-wire §8.5) to the failing request sent again to a local server, and the same
//! admin-console line — or, once the server is fixed, a different ending.

mod common;

use common::okta_sim;

fn serve(fault: Option<&str>) -> common::Running {
    let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--token", "tok12345678"];
    if let Some(f) = fault {
        args.extend(["--fault", f]);
    }
    common::spawn_okta_sim(&args, &[])
}

const PUSH: &str = "fixtures/system-log/failed-push.json";
const PUSH_TX: &str = "pujI4Ckeokve8O9ylRTw";
const PUSH_MESSAGE: &str = "Automatic provisioning of user Runscope286Ncbuusbll252@atko.com to app Acme SCIM failed: Error while creating Runscope286Ncbuusbll252@atko.com: Unsupported Media Type. Errors reported by remote server: send application/json";

fn path(rel: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_failed_push_from_the_export_fails_the_same_way_against_the_faulty_server() {
    let faulty = serve(Some("refuse-scim-content-type"));
    let base = faulty.field("SCIM base URL");
    let out = okta_sim(&[
        "replay",
        "--system-log",
        &path(PUSH),
        "--transaction",
        PUSH_TX,
        "--target",
        &base,
        "--token",
        "tok12345678",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("admin console now: {PUSH_MESSAGE}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("the export says:   {PUSH_MESSAGE}")),
        "{text}"
    );
    assert!(text.contains("task  POST /Users"), "{text}");
    assert!(
        text.contains("reproduced: the same outcome and message"),
        "{text}"
    );
    // The event Okta would log now names the transaction it replays.
    assert!(
        text.contains(&format!("\"replayOf\":\"{PUSH_TX}\"")),
        "{text}"
    );
    // Against a server without the fault, the same task succeeds: not reproduced, exit 1.
    let fixed = serve(None);
    let out = okta_sim(&[
        "replay",
        "--system-log",
        &path(PUSH),
        "--transaction",
        PUSH_TX,
        "--target",
        &fixed.field("SCIM base URL"),
        "--token",
        "tok12345678",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("admin console now: (no failure)"), "{text}");
    assert!(text.contains("NOT reproduced"), "{text}");
}

#[test]
fn a_failed_deactivation_from_json_lines_creates_the_missing_user_then_fails_the_same_way() {
    let faulty = serve(Some("refuse-pathless-patch"));
    let base = faulty.field("SCIM base URL");
    let out = okta_sim(&[
        "replay",
        "--system-log",
        &path("fixtures/system-log/failed-deactivate.jsonl"),
        "--uuid",
        "de40a9db-9214-1cff-b384-c42c054f96d5",
        "--target",
        &base,
        "--token",
        "tok12345678",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("setup POST /Users"),
        "the user is created first: {text}"
    );
    assert!(text.contains("task  PATCH /Users/"), "{text}");
    assert!(text.contains("Error while deactivating user Runscope574Llbgztssm732@atko.com: Bad Request. Errors reported by remote server: path is required"), "{text}");
    assert!(text.contains("reproduced"), "{text}");
}

#[test]
fn unusable_exports_and_unknown_ids_are_usage_errors() {
    let dir = std::env::temp_dir().join(format!("okta-sim-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "<html>not a log</html>").unwrap();
    for (args, word) in [
        (
            vec![
                "replay",
                "--system-log",
                &path(PUSH),
                "--transaction",
                "pujNOPE",
                "--target",
                "http://127.0.0.1:9/scim/v2",
            ],
            "no provisioning event of transaction pujNOPE",
        ),
        (
            vec![
                "replay",
                "--system-log",
                garbage.to_str().unwrap(),
                "--target",
                "http://127.0.0.1:9/scim/v2",
            ],
            "not readable",
        ),
        (
            vec![
                "replay",
                "--system-log",
                "/nonexistent/x.json",
                "--target",
                "http://127.0.0.1:9/scim/v2",
            ],
            "cannot read",
        ),
        (
            vec![
                "replay",
                "--system-log",
                &path(PUSH),
                "--transaction",
                PUSH_TX,
                "--target",
                "http://127.0.0.1:9/scim/v2",
            ],
            "the target did not answer",
        ),
    ] {
        let out = okta_sim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(word), "{word}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_transcript_sent_again_reports_only_the_answers_that_changed() {
    let dir = std::env::temp_dir().join(format!("okta-sim-rerun-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let transcript = dir.join("t.json");
    let first = serve(Some("refuse-pathless-patch"));
    let out = okta_sim(&[
        "check",
        "--target",
        &first.field("SCIM base URL"),
        "--token",
        "tok12345678",
        "--seed",
        "5",
        "--tags",
        "@lifecycle",
        "--transcript",
        transcript.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    // The same bug on a fresh server: every answer is the same once ids are remapped.
    let same = serve(Some("refuse-pathless-patch"));
    let out = okta_sim(&[
        "replay",
        "--transcript",
        transcript.to_str().unwrap(),
        "--target",
        &same.field("SCIM base URL"),
        "--token",
        "tok12345678",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("exchanges sent again, 0 answered differently"),
        "{text}"
    );
    // Fixed: the refused PATCHes are now accepted, and only they are reported.
    let fixed = serve(None);
    let out = okta_sim(&[
        "replay",
        "--transcript",
        transcript.to_str().unwrap(),
        "--target",
        &fixed.field("SCIM base URL"),
        "--token",
        "tok12345678",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let reported: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert!(!reported.is_empty(), "{text}");
    assert!(
        reported.iter().all(|l| l.contains(" PATCH /Users/")),
        "{text}"
    );
    assert!(text.contains("then 400, now 200"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}
