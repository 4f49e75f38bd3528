//! `okta-sim check` as a user runs it: output, exit codes, reports, transcripts, seeds and the
//! user's own feature files.

mod common;

use serde_json::Value;

use common::okta_sim;

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-sim-cli-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn serve(args: &[&str]) -> (common::Running, String) {
    let mut all = vec!["serve", "--addr", "127.0.0.1:0", "--token", "tok"];
    all.extend_from_slice(args);
    let process = common::spawn_okta_sim(&all, &[]);
    let base = process.field("SCIM base URL");
    (process, base)
}

#[test]
fn a_default_run_passes_and_writes_every_report() {
    let dir = tmp("reports");
    let (junit, json, transcript) = (
        dir.join("junit.xml"),
        dir.join("report.json"),
        dir.join("transcript.json"),
    );
    let out = okta_sim(&[
        "check",
        "--seed",
        "7",
        "--report",
        &format!("junit={}", junit.display()),
        "--report",
        &format!("json={}", json.display()),
        "--transcript",
        &transcript.display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap();
    let nums: Vec<usize> = last
        .split(", ")
        .map(|p| p.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        last.ends_with("warnings") && nums[1] == 0 && nums[0] >= 30,
        "{last}"
    );
    let scenario_lines = stdout
        .lines()
        .filter(|l| l.starts_with("PASS  ") || l.starts_with("FAIL  ") || l.starts_with("SKIP  "))
        .count();
    assert_eq!(scenario_lines, nums[0] + nums[1] + nums[2]);

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["summary"]["passed"], nums[0]);
    assert_eq!(report["seed"], 7);
    let scenarios = report["scenarios"].as_array().unwrap();
    assert!(
        scenarios
            .iter()
            .any(|s| s["outcome"]["status"] == "skipped"),
        "the @aiw-only scenario is reported as skipped"
    );
    assert!(
        scenarios
            .iter()
            .filter(|s| s["outcome"]["status"] != "skipped")
            .all(|s| s["checks"].as_array().is_some_and(|c| !c.is_empty()))
    );
    let a_check = &scenarios[0]["checks"][0];
    assert!(
        a_check["id"].is_string() && a_check["grade"].is_string() && a_check["source"].is_string()
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<testsuites name=\"okta-sim\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), scenarios.len());
    // Well-formed XML whose counts CI test views read.
    let doc = okta_sim::saml::xml::parse(&xml).expect("the JUnit report is well-formed XML");
    assert_eq!(doc.local, "testsuites");
    assert_eq!(
        doc.attr("tests").unwrap().parse::<usize>().unwrap(),
        scenarios.len()
    );
    assert_eq!(doc.attr("failures"), Some("0"));
    assert_eq!(xml.matches("<testsuite ").count(), 14, "one per feature");

    let t: Value = serde_json::from_str(&std::fs::read_to_string(&transcript).unwrap()).unwrap();
    let ex = t.as_array().unwrap();
    assert!(ex.len() > 100);
    assert!(
        ex.iter()
            .all(|e| e["started"].is_string() && e["request"]["method"].is_string())
    );
    assert!(ex.iter().any(|e| e["response"]["status"] == 201));
    let auth = ex[0]["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "Authorization")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        auth.contains('…'),
        "tokens are masked in transcripts: {auth}"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// The request bodies Okta generated in a run (POST /Users), in order.
fn generated_bodies(seed: &str) -> Vec<String> {
    let dir = tmp(&format!("seed-{seed}"));
    let path = dir.join("t.json");
    let out = okta_sim(&[
        "check",
        "--seed",
        seed,
        "--tags",
        "@assign",
        "--transcript",
        &path.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let t: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    std::fs::remove_dir_all(dir).ok();
    t.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["request"]["method"] == "POST")
        .map(|e| e["request"]["body"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_same_seed_sends_the_same_values() {
    let a = generated_bodies("11");
    let b = generated_bodies("11");
    let c = generated_bodies("12");
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_ne!(a, c);
    let first: Value = serde_json::from_str(&a[0]).unwrap();
    let external_id = first["externalId"].as_str().unwrap();
    assert!(
        external_id.starts_with("00u") && external_id.len() == 20,
        "{external_id}"
    );
    assert!(first["userName"].as_str().unwrap().ends_with("@atko.com"));
}

#[test]
fn a_broken_target_fails_with_exit_1_and_says_what_to_fix() {
    let s = serve(&["--fault", "refuse-pathless-patch"]);
    let out = okta_sim(&[
        "check",
        "--target",
        &s.1,
        "--token",
        "tok",
        "--tags",
        "@lifecycle",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "FAIL [okta-required] users.deactivate.pathless-patch  (okta-scim-wire §5.1, quirk 1)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("needed   200 with the user, or 204"),
        "{stdout}"
    );
    assert!(stdout.contains("Rerun with --seed"), "{stdout}");
    // The same server passes as an AIW app, which never PATCHes.
    let out = okta_sim(&[
        "check",
        "--target",
        &s.1,
        "--token",
        "tok",
        "--tags",
        "@lifecycle",
        "--app-kind",
        "aiw",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn auth_modes_reach_the_target() {
    let s = serve(&[]);
    for args in [
        vec!["--token", "tok"],
        vec!["--auth-header", "Bearer tok"],
        vec!["--auth-header", "tok"],
        vec!["--oauth-token", "tok"],
    ] {
        let mut a = vec!["check", "--target", s.1.as_str(), "--tags", "@credentials"];
        a.extend(args.iter());
        let out = okta_sim(&a);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let out = okta_sim(&[
        "check",
        "--target",
        &s.1,
        "--token",
        "wrong",
        "--tags",
        "@credentials and not @auth",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("credentials.users-probe.status-200"));
}

#[test]
fn usage_errors_and_unreachable_targets_exit_2() {
    for args in [
        vec![
            "check",
            "--target",
            "http://127.0.0.1:1/scim/v2",
            "--token",
            "x",
        ],
        vec!["check", "--target", "http://127.0.0.1:1/scim/v2"],
        vec!["check", "--target", "ftp://example/scim", "--token", "x"],
        vec!["check", "--target", "not a url", "--token", "x"],
        vec!["check", "--report", "pdf=x"],
        vec!["check", "--tags", "@a and and"],
        vec!["check", "--features", "/nonexistent/okta-sim"],
        vec!["check", "--timeout", "0"],
        vec!["check", "--app-kind", "saml"],
        vec!["check", "--token", "a", "--basic", "u:p"],
    ] {
        let out = okta_sim(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?}: an error message");
    }
}

#[test]
fn users_add_their_own_features_with_the_step_vocabulary() {
    let dir = tmp("features");
    std::fs::write(
        dir.join("mine.feature"),
        "@mine\nFeature: My app's onboarding\n\n  Scenario: A contractor is assigned then removed\n    Given Okta user \"contractor\"\n    When Okta assigns \"contractor\" to the app\n    And Okta unassigns \"contractor\"\n    Then \"contractor\" is inactive in the app\n",
    )
    .unwrap();
    let out = okta_sim(&[
        "check",
        "--features",
        &dir.display().to_string(),
        "--only-features",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("PASS  My app's onboarding › A contractor is assigned then removed"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("1 passed, 0 failed, 0 skipped, 0 warnings\n"),
        "{stdout}"
    );

    std::fs::write(
        dir.join("typo.feature"),
        "Feature: Typo\n\n  Scenario: A step nobody defined\n    When Okta does something new\n",
    )
    .unwrap();
    let out = okta_sim(&[
        "check",
        "--features",
        &dir.display().to_string(),
        "--only-features",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("matches no step definition"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "`When Okta does something new` ({}:4)",
            dir.join("typo.feature").display()
        )),
        "the step is reported with its text, file and line: {stdout}"
    );

    std::fs::write(
        dir.join("broken.feature"),
        "Feature: Broken\n  Scenario without a colon\n    Given\n",
    )
    .unwrap();
    let out = okta_sim(&[
        "check",
        "--features",
        &dir.display().to_string(),
        "--only-features",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_selection_that_runs_no_scenario_is_a_usage_error() {
    let out = okta_sim(&["check", "--tags", "@nonexistent"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--tags \"@nonexistent\" selects no scenario"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing ran: {}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Selected, but every scenario is the other app kind's.
    let out = okta_sim(&["check", "--tags", "@aiw"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("all 1 selected are skipped (@aiw only)"),
        "{stderr}"
    );
}
