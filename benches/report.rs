//! How fast the HTML report opens in a browser, and how large it is: the report of a whole run
//! against the embedded app, and one of 10,000 exchanges, each opened in headless Chromium
//! (Debian's `chromium`). "ready" is `performance.now()` when the report's script has run (the
//! page parsed, its filters applied); "wall" is a whole Chromium process that loads the page
//! and paints its first screen, start-up included, beside an empty page's for the start-up
//! alone. `cargo bench --bench report`.

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

#[path = "../tests/support/chromium.rs"]
mod chromium;

/// Chromium's wall time opening `page`, and what it printed.
fn timed(browser: &Path, extra: &[&str], page: &Path) -> (std::process::Output, f64) {
    let t = Instant::now();
    let out = chromium::open(browser, extra, page);
    (out, t.elapsed().as_secs_f64() * 1e3)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Milliseconds until the report's script ran (read from the DOM), and the wall time of a
/// Chromium process that loads the page and paints its first screen (a screenshot); the
/// median of five openings each.
fn open(browser: &Path, page: &Path) -> (f64, f64) {
    let ready = median(
        (0..5)
            .map(|_| {
                let (out, _) = timed(browser, &["--dump-dom"], page);
                let dom = String::from_utf8_lossy(&out.stdout);
                dom.split_once("data-ready=\"")
                    .and_then(|(_, r)| r.split('"').next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN)
            })
            .collect(),
    );
    let shot = std::env::temp_dir().join("okta-sim-bench-shot.png");
    let wall = median(
        (0..5)
            .map(|_| {
                timed(
                    browser,
                    &[
                        &format!("--screenshot={}", shot.display()),
                        "--window-size=1400,1000",
                    ],
                    page,
                )
                .1
            })
            .collect(),
    );
    (ready, wall)
}

/// A report of `n` exchanges: 100 scenarios, each with its share of user reads and one failed
/// check on its last exchange.
fn synthetic(n: usize) -> Value {
    let per = n / 100;
    let mut scenarios = Vec::new();
    let mut exchanges = Vec::new();
    for s in 0..100 {
        let name = format!("Scenario {s}");
        for i in 0..per {
            let seq = s * per + i + 1;
            let user = okta_sim::app::seed_user_body(seq);
            exchanges.push(json!({
                "label": "read-back: user: GET", "started": format!("2026-01-01T00:00:{:02}.{:03}Z", (seq / 1000) % 60, seq % 1000),
                "elapsed_ms": 2.0, "url": format!("http://127.0.0.1:8080/scim/v2/Users/{seq}"), "attempt": 1,
                "seq": seq, "scenario": format!("Feature {}/{name}", s / 10),
                "request": {"method": "GET", "path": format!("/Users/{seq}"),
                            "headers": [["Accept", "application/scim+json"], ["Authorization", "Bearer to…(11 chars)"]]},
                "response": {"status": 200, "headers": [["content-type", "application/scim+json"]], "body": user.to_string()}
            }));
        }
        scenarios.push(json!({
            "feature": format!("Feature {}", s / 10), "scenario": name, "tags": ["@users"],
            "steps": ["Given a user", "When Okta reads it", "Then it is there"],
            "outcome": {"status": "failed", "reason": "a check that fails the run failed"},
            "duration_ms": 12.0,
            "checks": [{"id": "users.read.status", "grade": "okta-required", "source": "okta-scim-wire §3.1",
                        "passed": false, "sent": "GET /Users/1", "got": "200", "needed": "200", "why": "bench",
                        "exchange": s * per + per}]
        }));
    }
    json!({"tool": "okta-sim", "target": "synthetic", "app_kind": "oin", "seed": 1,
           "summary": {"passed": 0, "failed": 100, "skipped": 0, "warnings": 0, "blocking_failures": 100},
           "scenarios": scenarios, "exchanges": exchanges, "events": []})
}

fn main() {
    let Some(browser) = chromium::find() else {
        println!("no chromium on PATH (apt-get install chromium): nothing measured");
        return;
    };
    let dir = std::env::temp_dir().join("okta-sim-report-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let full = dir.join("full-run.html");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcome = rt
        .block_on(okta_sim::embedded::run_embedded(okta_sim::CheckOptions {
            seed: Some(7),
            print: false,
            html: Some(full.clone()),
            ..Default::default()
        }))
        .unwrap();
    let big = dir.join("10k-exchanges.html");
    std::fs::write(
        &big,
        okta_sim::conformance::html::render(&synthetic(10_000)),
    )
    .unwrap();
    let empty = dir.join("empty.html");
    std::fs::write(&empty, "<!DOCTYPE html><title>empty</title>").unwrap();
    let (_, startup) = open(&browser, &empty);
    println!(
        "\n| report | exchanges | size | ready in the page | Chromium wall, less its start-up ({startup:.0} ms) | goal | met |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, page, n) in [
        ("whole suite, embedded app", &full, outcome.exchanges.len()),
        ("synthetic, 100 scenarios", &big, 10_000),
    ] {
        let size = std::fs::metadata(page).unwrap().len() as f64 / 1e6;
        let (ready, wall) = open(&browser, page);
        // Opening a report in a browser already running: the page's own time, and the
        // process's time to load and paint it once Chromium itself has started.
        let opened = wall - startup;
        println!(
            "| {name} | {n} | {size:.1} MB | {ready:.0} ms | {opened:.0} ms | open in < 2 s | {} |",
            if ready < 2000.0 && opened < 2000.0 {
                "yes"
            } else {
                "NO"
            }
        );
    }
}
