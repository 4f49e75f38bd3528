//! `okta-sim check` against targets that attack it: answers padded by megabytes, 429 forever with
//! absurd Retry-After values, the credential echoed back, terminal escapes, a target that times
//! out every other request, credentials in the URL, absurd numbers on the command line. The
//! binary runs as a child process (its memory is its own), against a proxy in front of a
//! reference app that misbehaves on the way back.

#[path = "support/hostile.rs"]
mod hostile;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hostile::{ESCAPES, HostileProxy, Hostility};
use okta_sim::ReferenceApp;

const TOKEN: &str = "s3cr3t-okta-sim-token-0123456789";

fn okta_sim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_okta-sim"));
    c.env(
        "OKTA_SIM_HOME",
        std::env::temp_dir().join("okta-sim-test-home"),
    )
    .env_remove("OKTA_SIM_TOKEN");
    c
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-sim-hostile-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run the child to its end (no test waits forever: it is killed after `limit`).
async fn finish(mut child: Child, limit: Duration) -> (Output, Duration, Option<u64>) {
    let started = Instant::now();
    let pid = child.id();
    let mut peak_kib = None;
    loop {
        if let Some(kib) = peak_rss_kib(pid) {
            peak_kib = Some(kib);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("okta-sim check was still running after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    (out, took, peak_kib)
}

/// The peak resident memory of a process so far (Linux: VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn spawn(args: &[String]) -> Child {
    let mut c = okta_sim();
    c.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("okta-sim starts")
}

fn check_args(target: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["check", "--target", target, "--token", TOKEN, "--seed", "5"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Run the import, SPEC and credentials scenarios against a proxy that pads every answer, with
/// a transcript; the peak memory of `okta-sim check` (KiB) and its output.
async fn padded_run(how: Hostility, name: &str) -> (Output, Option<u64>, usize, PathBuf) {
    let app = ReferenceApp::builder().token(TOKEN).start().await.unwrap();
    let proxy = HostileProxy::start(app.base_url(), how).await;
    let dir = tmp(name);
    let transcript = dir.join("transcript.json");
    let child = spawn(&check_args(
        &proxy.base_url,
        &[
            "--tags",
            "@credentials or @spec or @import",
            "--transcript",
            &transcript.display().to_string(),
        ],
    ));
    let (out, _, peak) = finish(child, Duration::from_secs(600)).await;
    let requests = proxy.requests.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        requests >= 40,
        "only {requests} requests: the run did not do much"
    );
    if let Some(kib) = peak {
        eprintln!(
            "{name}: peak memory of okta-sim check {} MiB over {requests} answers of 4 MiB",
            kib / 1024
        );
    }
    // The transcript is one JSON array, every body cut to its cap.
    let written = std::fs::metadata(&transcript).unwrap().len();
    assert!(written < 300 << 20, "transcript of {written} bytes");
    let all: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&transcript).unwrap()).unwrap();
    assert_eq!(all.as_array().unwrap().len(), requests);
    (out, peak, requests, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_stays_bounded_when_every_answer_is_padded_by_4_mib() {
    // Whitespace padding keeps every answer valid JSON: the run grades them all and passes.
    let (out, peak, _, dir) = padded_run(Hostility::Pad(4 << 20), "pad").await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    if let Some(kib) = peak {
        assert!(
            kib < 200 * 1024,
            "okta-sim check peaked at {} MiB",
            kib / 1024
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    // Padding inside a string cannot be compacted: the operation budget holds memory down, and
    // the run says what it cut.
    let (out, peak, _, dir) = padded_run(Hostility::PadInString(4 << 20), "pad-string").await;
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    if let Some(kib) = peak {
        assert!(
            kib < 200 * 1024,
            "okta-sim check peaked at {} MiB",
            kib / 1024
        );
    }
    let transcript = std::fs::read_to_string(dir.join("transcript.json")).unwrap();
    assert!(
        transcript.contains("bytes in all]"),
        "no body was cut in the transcript"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_always_answers_429_ends_within_the_deadline() {
    let app = ReferenceApp::builder().token(TOKEN).start().await.unwrap();
    for retry_after in [
        "100000",
        "18446744073709551616",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let proxy = HostileProxy::start(app.base_url(), Hostility::Always429(retry_after)).await;
        let child = spawn(&check_args(&proxy.base_url, &["--deadline", "8"]));
        let (out, took, _) = finish(child, Duration::from_secs(120)).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(!all.contains("panicked"), "{all}");
        assert!(
            took < Duration::from_secs(8 + 20),
            "Retry-After {retry_after}: {took:?}"
        );
        assert!(all.contains("would outlast the run's deadline"), "{all}");
    }
    // A time scale that overflows every wait is still bounded by the deadline.
    let proxy = HostileProxy::start(app.base_url(), Hostility::Always429("5")).await;
    let child = spawn(&check_args(
        &proxy.base_url,
        &[
            "--deadline",
            "5",
            "--retry-time-scale",
            "1e300",
            "--tags",
            "@credentials",
        ],
    ));
    let (out, took, _) = finish(child, Duration::from_secs(120)).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(took < Duration::from_secs(5 + 20), "{took:?}");
}

#[test]
fn absurd_numbers_are_usage_errors_not_panics() {
    for (flag, value) in [
        ("--timeout", "1e20"),
        ("--timeout", "-1"),
        ("--timeout", "NaN"),
        ("--deadline", "1e300"),
        ("--deadline", "0"),
        ("--deadline", "inf"),
        ("--retry-time-scale", "-3"),
        ("--retry-time-scale", "inf"),
    ] {
        let out = okta_sim()
            .args(["check", &format!("{flag}={value}")])
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {all}");
        assert!(!all.contains("panicked"), "{flag} {value}: {all}");
        assert!(all.contains(flag), "{flag} {value}: {all}");
    }
}

/// Every file the run wrote, and what it printed.
fn everything_written(out: &Output, dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = vec![
        ("stdout".to_string(), out.stdout.clone()),
        ("stderr".to_string(), out.stderr.clone()),
    ];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        all.push((p.display().to_string(), std::fs::read(&p).unwrap()));
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_echoes_the_credential_never_gets_it_written() {
    use base64::Engine;
    let app = ReferenceApp::builder().token(TOKEN).start().await.unwrap();
    let proxy = HostileProxy::start(app.base_url(), Hostility::EchoCredential).await;
    let dir = tmp("echo");
    let reports = |d: &Path| {
        vec![
            "--report".to_string(),
            format!("junit={}", d.join("junit.xml").display()),
            "--report".to_string(),
            format!("json={}", d.join("report.json").display()),
            "--transcript".to_string(),
            d.join("transcript.json").display().to_string(),
        ]
    };
    let mut args = check_args(&proxy.base_url, &["--tags", "@credentials or @assign"]);
    args.extend(reports(&dir));
    let (out, _, _) = finish(spawn(&args), Duration::from_secs(300)).await;
    let written = everything_written(&out, &dir);
    assert!(
        written
            .iter()
            .any(|(_, b)| contains(b, "[credential redacted]")),
        "the echo never reached anything written: the test proves nothing\n{}",
        text(&out)
    );
    for (name, bytes) in &written {
        assert!(!contains(bytes, TOKEN), "{name} holds the token");
    }
    // Basic credentials: neither the password nor its base64 is written.
    let password = "hunter2-hunter2-hunter2";
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("okta:{password}"));
    let dir = tmp("echo-basic");
    let mut args: Vec<String> = [
        "check",
        "--target",
        &proxy.base_url,
        "--basic",
        &format!("okta:{password}"),
        "--tags",
        "@credentials",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(reports(&dir));
    let (out, _, _) = finish(spawn(&args), Duration::from_secs(300)).await;
    for (name, bytes) in everything_written(&out, &dir) {
        assert!(!contains(&bytes, password), "{name} holds the password");
        assert!(!contains(&bytes, &b64), "{name} holds the Basic credential");
    }
    let _ = std::fs::remove_dir_all(tmp("echo"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_from_a_target_are_escaped_everywhere() {
    let app = ReferenceApp::builder().token(TOKEN).start().await.unwrap();
    let proxy = HostileProxy::start(app.base_url(), Hostility::Escapes).await;
    let dir = tmp("escapes");
    let junit = dir.join("junit.xml");
    let args = check_args(
        &proxy.base_url,
        &[
            "--tags",
            "@credentials",
            "--report",
            &format!("junit={}", junit.display()),
        ],
    );
    let (out, _, _) = finish(spawn(&args), Duration::from_secs(120)).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("\\u{1b}"),
        "the escapes never reached the output:\n{stdout}"
    );
    for bad in ['\u{1b}', '\r', '\u{7}', '\u{202e}'] {
        assert!(!stdout.contains(bad), "stdout holds {bad:?}");
    }
    assert!(
        !stdout.lines().any(|l| l.starts_with("PASS  Forged")),
        "a target forged a result line"
    );
    let xml = std::fs::read(&junit).unwrap();
    assert!(
        !xml.iter()
            .any(|&b| b < 0x20 && b != b'\n' && b != b'\t' && b != b'\r'),
        "the JUnit report holds control characters (XML 1.0 forbids them)"
    );
    assert!(!contains(&xml, "\u{202e}"));
    let _ = ESCAPES;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_times_out_every_other_request_is_given_up() {
    let app = ReferenceApp::builder().token(TOKEN).start().await.unwrap();
    let proxy = HostileProxy::start(app.base_url(), Hostility::TimeoutEveryOther).await;
    let args = check_args(&proxy.base_url, &["--timeout", "1"]);
    let (out, took, _) = finish(spawn(&args), Duration::from_secs(300)).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("given up after 6 timeouts"), "{all}");
    let requests = proxy.requests.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        requests <= 20,
        "{requests} requests reached a target that keeps timing out"
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn credentials_in_a_url_are_a_usage_error_and_never_printed() {
    for args in [
        vec![
            "check",
            "--target",
            "http://okta:pa55w0rd-in-url@127.0.0.1:9/scim/v2",
            "--token",
            "x",
        ],
        vec![
            "check",
            "--sp-acs",
            "http://okta:pa55w0rd-in-url@127.0.0.1:9/acs",
            "--sp-audience",
            "a",
        ],
    ] {
        let out = okta_sim().args(&args).output().unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(all.contains("carries credentials"), "{all}");
        assert!(!all.contains("pa55w0rd"), "{all}");
    }
}
