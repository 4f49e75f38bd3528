//! `okta-sim load`: Okta's bulk operations against the embedded app and against servers that
//! answer 429, too slowly, or wrongly; every answer is checked, and the report says which
//! tasks Okta would fail and why.

mod common;

use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::okta_sim;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `okta-sim serve` on a free port, with the token `load` sends and these further arguments.
fn serve(extra: &[&str]) -> common::Running {
    let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--token", "tok12345678"];
    args.extend(extra);
    common::spawn_okta_sim(&args, &[])
}

/// `okta-sim load ARGS` against a served app.
fn load(app: &common::Running, args: &[&str]) -> Output {
    let url = app.field("SCIM base URL");
    let mut all = vec!["load", "--target", &url, "--token", "tok12345678"];
    all.extend(args);
    okta_sim(&all)
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-sim-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn request<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["per_request"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["request"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

fn task<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

#[test]
fn every_bulk_operation_against_the_embedded_app_completes_with_a_report_and_a_plot() {
    let (json_path, svg_path) = (tmp("all.json"), tmp("all.svg"));
    let out = okta_sim(&[
        "load",
        "--assign",
        "300",
        "--push-group",
        "250",
        "--import",
        "2000",
        "--profile-updates",
        "40",
        "--deactivate",
        "30",
        "--report",
        &format!("json={}", json_path.display()),
        "--report",
        &format!("svg={}", svg_path.display()),
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("verdict: Okta would complete every task"), "{t}");
    assert!(t.contains("p99 ms"), "{t}");
    let r: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(request(&r, "userName pre-check")["count"], 300);
    assert_eq!(request(&r, "POST /Users")["statuses"]["201"], 300);
    // 250 members in batches of 100: three PATCHes, after one POST /Groups.
    assert_eq!(request(&r, "PATCH /Groups members")["count"], 3);
    assert_eq!(request(&r, "POST /Groups")["count"], 1);
    assert_eq!(request(&r, "PUT /Users/{id}")["count"], 40);
    assert_eq!(request(&r, "PATCH deactivate")["count"], 30);
    // 2,000 users and 2 groups seeded: 20 + 1 pages.
    assert_eq!(r["imported"], json!([2000, 2]));
    assert_eq!(request(&r, "import page")["count"], 21);
    assert_eq!(task(&r, "assign user")["ok"], 300);
    assert_eq!(task(&r, "push memberships")["ok"], 3);
    assert_eq!(r["failures"], json!([]));
    let p99 = request(&r, "POST /Users")["p99_ms"].as_f64().unwrap();
    let max = request(&r, "POST /Users")["max_ms"].as_f64().unwrap();
    assert!(p99 > 0.0 && p99 <= max, "{r:#}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
    assert!(svg.contains("requests / s") && svg.contains("latency ms"));
    assert!(svg.contains("<polyline"), "the plot draws its lines");
}

#[test]
fn a_server_that_always_answers_429_fails_every_task_after_oktas_ten_tries() {
    let app = serve(&["--fault", "always-429"]);
    let json_path = tmp("429.json");
    let out = load(
        &app,
        &[
            "--assign",
            "4",
            "--retry-time-scale",
            "0",
            "--report",
            &format!("json={}", json_path.display()),
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("Okta would FAIL 4 task(s)"), "{t}");
    assert!(
        t.contains("userName pre-check still answered 429 after 10 tries"),
        "{t}"
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let pre = request(&r, "userName pre-check");
    // Four pre-checks, each tried ten times: the last answer counted, nine retries apiece.
    assert_eq!(pre["statuses"]["429"], 4, "{pre:#}");
    assert_eq!(pre["retried_429"], 36);
    assert_eq!(task(&r, "assign user")["failed"], 4);
}

#[test]
fn a_server_slower_than_the_timeout_fails_its_tasks_without_hanging_the_run() {
    let app = serve(&["--fault", "slow-answers"]);
    let started = std::time::Instant::now();
    let out = load(&app, &["--assign", "3", "--timeout", "1"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("got no answer in time"), "{t}");
    assert!(t.contains("Okta would FAIL 3 task(s)"), "{t}");
    assert!(started.elapsed().as_secs() < 30, "{t}");
}

#[test]
fn a_wrong_answer_under_load_is_a_failed_task_not_only_a_slow_one() {
    let app = serve(&["--fault", "create-without-id"]);
    let out = load(&app, &["--assign", "50", "--concurrency", "8"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("50 × assign user: Create new user returned empty user."),
        "{t}"
    );
    // The answers were 201s: only checking them shows the failure.
    assert!(t.contains("201 ×50"), "{t}");
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_and_retried_and_the_task_completes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []
        })))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(|req: &wiremock::Request| {
            let sent: Value = serde_json::from_slice(&req.body).unwrap();
            ResponseTemplate::new(201).set_body_json(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": format!("id-{}", sent["externalId"].as_str().unwrap()),
                "userName": sent["userName"],
            }))
        })
        .mount(&server)
        .await;
    let json_path = tmp("retry.json");
    let url = format!("{}/scim/v2", server.uri());
    let out = tokio::task::spawn_blocking(move || {
        okta_sim(&[
            "load",
            "--target",
            &url,
            "--token",
            "t",
            "--assign",
            "3",
            "--concurrency",
            "1",
            "--retry-time-scale",
            "0.01",
            "--report",
            &format!("json={}", json_path.display()),
        ])
    })
    .await
    .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("2 retried after 429"), "{t}");
    let r: Value = serde_json::from_slice(&std::fs::read(tmp("retry.json")).unwrap()).unwrap();
    assert_eq!(request(&r, "userName pre-check")["retried_429"], 2);
    assert_eq!(task(&r, "assign user")["ok"], 3);
}

#[test]
fn duration_stops_starting_tasks_and_the_report_counts_those_not_started() {
    let out = okta_sim(&["load", "--assign", "1000000", "--duration", "0.5"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("tasks not started: --duration ran out"), "{t}");
}

#[test]
fn usage_errors_and_an_unreachable_target_are_reported_clearly() {
    let out = okta_sim(&["load"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("nothing to do"), "{}", text(&out));
    let out = okta_sim(&["load", "--assign", "1", "--report", "html=x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("use json=PATH or svg=PATH"));
    let out = okta_sim(&["load", "--assign", "1", "--concurrency", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = okta_sim(&["load", "--assign", "1", "--rate", "-3"]);
    assert_eq!(out.status.code(), Some(2));
    let out = okta_sim(&["load", "--assign", "1", "--target", "not a url"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Nothing listens on port 9 of loopback: every task fails, none hangs.
    let out = okta_sim(&[
        "load",
        "--assign",
        "2",
        "--target",
        "http://127.0.0.1:9/scim/v2",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("userName pre-check got no answer"), "{t}");
}

/// Each check a load makes of an answer, shown failing on a server that has the bug.
#[test]
fn every_check_of_an_answer_fails_on_a_server_with_that_bug() {
    let cases: [(&str, &[&str], &str); 6] = [
        (
            "empty-list-without-resources",
            &["--assign", "2"],
            "2 × assign user: the pre-check's answer is not a ListResponse",
        ),
        (
            "ignore-filter",
            &["--assign", "2"],
            "2 × assign user: the pre-check returned users with another userName",
        ),
        (
            "ignore-deactivation",
            &["--assign", "3", "--deactivate", "3"],
            "3 × deactivate user: PATCH active:false answered 200 with the user still active",
        ),
        (
            "ignore-paging",
            &["--import", "1"],
            "1 × import: an import page of /Users holds more than the 100 asked for",
        ),
        (
            "patch-500",
            &["--push-group", "150"],
            "2 × push memberships: PATCH /Groups members answered 500",
        ),
        (
            "create-without-id",
            &["--push-group", "1"],
            "1 × push group: POST /Groups answered without an id",
        ),
    ];
    for (fault, args, reason) in cases {
        let app = serve(&["--seed-users", "250", "--fault", fault]);
        let out = load(&app, args);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{fault}: {t}");
        assert!(t.contains(reason), "{fault}: {t}");
    }
}

/// A second run with the same seed finds its users already there: Okta links each with GET
/// then PUT instead of creating it again.
#[test]
fn users_the_app_already_has_are_linked_not_created_again() {
    let app = serve(&[]);
    let run = |report: &std::path::Path| {
        load(
            &app,
            &[
                "--assign",
                "3",
                "--seed",
                "9",
                "--report",
                &format!("json={}", report.display()),
            ],
        )
    };
    let (first, second) = (tmp("first.json"), tmp("second.json"));
    assert_eq!(run(&first).status.code(), Some(0));
    let out = run(&second);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r: Value = serde_json::from_slice(&std::fs::read(&second).unwrap()).unwrap();
    assert_eq!(request(&r, "GET /Users/{id}")["count"], 3);
    assert_eq!(request(&r, "PUT /Users/{id}")["count"], 3);
    assert!(
        r["per_request"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["request"] != "POST /Users"),
        "{r:#}"
    );
}

/// The checks no fault switch of the reference app trips, each shown failing on a mock
/// server whose answer has exactly that bug (the rest of its answers right).
#[tokio::test]
async fn the_checks_no_fault_switch_trips_fail_on_a_mock_with_that_bug() {
    use wiremock::matchers::path_regex;
    let empty_list = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []
    });
    // A 201 echoing the user with an id, or the user under another name.
    let created = |renamed: bool| {
        move |req: &wiremock::Request| {
            let sent: Value = serde_json::from_slice(&req.body).unwrap();
            let name = if renamed {
                json!("someone.else@example.com")
            } else {
                sent["userName"].clone()
            };
            ResponseTemplate::new(201).set_body_json(json!({"id": "u1", "userName": name}))
        }
    };
    struct Case {
        args: &'static [&'static str],
        reason: &'static str,
    }
    let cases = [
        Case {
            args: &["--assign", "1"],
            reason: "1 × assign user: the pre-check's totalResults disagrees with its Resources",
        },
        Case {
            args: &["--assign", "1"],
            reason: "1 × assign user: POST /Users answered with another userName than it was sent",
        },
        Case {
            args: &["--assign", "1", "--profile-updates", "1"],
            reason: "1 × push profile: GET /Users/{id} answered without the user (its id)",
        },
        Case {
            args: &["--assign", "1", "--profile-updates", "1"],
            reason: "1 × push profile: PUT /Users/{id} answered 200 without the pushed profile",
        },
        Case {
            args: &["--import", "1"],
            reason: "1 × import: import of /Users read fewer resources than totalResults",
        },
    ];
    for (n, case) in cases.iter().enumerate() {
        let server = MockServer::start().await;
        let list = match n {
            0 => json!({"totalResults": 3, "Resources": []}),
            // One user where 150 are announced, then nothing.
            4 => json!({"totalResults": 150, "Resources": [{"id": "u1", "userName": "a@b"}]}),
            _ => empty_list.clone(),
        };
        Mock::given(method("GET"))
            .and(path("/scim/v2/Users"))
            .respond_with(ResponseTemplate::new(200).set_body_json(list))
            .up_to_n_times(if n == 4 { 1 } else { u64::MAX })
            .with_priority(1)
            .mount(&server)
            .await;
        // After it, pages hold nothing (still announcing 150 for the import).
        let rest = if n == 4 {
            json!({"totalResults": 150, "Resources": []})
        } else {
            empty_list.clone()
        };
        Mock::given(method("GET"))
            .and(path("/scim/v2/Users"))
            .respond_with(ResponseTemplate::new(200).set_body_json(rest))
            .with_priority(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/scim/v2/Users"))
            .respond_with(created(n == 1))
            .mount(&server)
            .await;
        let read_back = if n == 2 {
            json!({"userName": "x"})
        } else {
            json!({"id": "u1", "userName": "x", "name": {"givenName": "Old"}})
        };
        Mock::given(method("GET"))
            .and(path_regex("^/scim/v2/Users/.+"))
            .respond_with(ResponseTemplate::new(200).set_body_json(read_back.clone()))
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .and(path_regex("^/scim/v2/Users/.+"))
            .respond_with(ResponseTemplate::new(200).set_body_json(read_back))
            .mount(&server)
            .await;
        let url = format!("{}/scim/v2", server.uri());
        let mut args = vec!["load", "--target", url.as_str(), "--token", "t"];
        args.extend(case.args);
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let out = tokio::task::spawn_blocking(move || {
            okta_sim(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await
        .unwrap();
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {t}", case.reason);
        assert!(t.contains(case.reason), "{}: {t}", case.reason);
    }
}
