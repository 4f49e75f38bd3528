//! `--seed` and `--clock`: the whole suite run twice gives the same transcript and the same
//! System Log events, byte for byte, SAML included (the IdP key the seed makes, response ids,
//! issue instants), once the target's own values are set aside: its SCIM ids and times, its
//! port and token, its AuthnRequest ids and session cookies, and the signatures over them.

use std::time::Duration;

use base64::Engine;
use okta_sim::conformance::{CheckOptions, Target};
use okta_sim::embedded::run_embedded;
use okta_sim::okta::Auth;
use serde_json::Value;

fn run_once(dir: &std::path::Path, n: u8) -> (String, String) {
    let transcript = dir.join(format!("t{n}.json"));
    let events = dir.join(format!("e{n}.jsonl"));
    let opts = CheckOptions {
        target: Target::Url {
            base_url: "http://unused.invalid".into(),
            auth: Auth::Bearer("t".into()),
        },
        seed: Some(77),
        clock: Some(okta_sim::timestamp::parse("2026-01-01T00:00:00Z").unwrap()),
        timeout: Duration::from_secs(10),
        print: false,
        transcript: Some(transcript.clone()),
        events: Some(events.clone()),
        ..CheckOptions::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let o = rt.block_on(run_embedded(opts)).unwrap();
    assert_eq!(o.summary.failed, 0, "the suite passes under a fixed clock");
    (
        std::fs::read_to_string(transcript).unwrap(),
        std::fs::read_to_string(events).unwrap(),
    )
}

/// The text with the target's own values replaced, each by a placeholder numbered in order of
/// first appearance (so the same value in two places stays the same placeholder).
fn normalized(transcript: &str, events: &str) -> String {
    let mut t: Value = serde_json::from_str(transcript).unwrap();
    let signatures = regex::Regex::new(r"<ds:(SignatureValue|DigestValue)>[^<]*</ds:").unwrap();
    for e in t.as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("elapsed_ms");
        let body = e["request"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(form) = body.strip_prefix("SAMLResponse=") {
            let b64: String = form_urlencoded::parse(format!("x={form}").as_bytes())
                .next()
                .unwrap()
                .1
                .split('&')
                .next()
                .unwrap()
                .to_string();
            let xml = String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(b64.split('&').next().unwrap())
                    .unwrap(),
            )
            .unwrap();
            // Signatures cover the SP's request id when they answer one: set them aside.
            let xml = signatures.replace_all(&xml, "<ds:$1>…</ds:");
            e["request"]["body"] = Value::String(xml.into_owned());
        }
    }
    let mut text = format!("{}\n{events}", serde_json::to_string_pretty(&t).unwrap());
    for (pattern, constant) in [
        (r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", "<date>"),
        (
            r#"(created|lastModified|authenticatedAt)\\":\\"[^\\]*"#,
            "$1<time>",
        ),
    ] {
        text = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, constant)
            .into_owned();
    }
    let mut seen: Vec<String> = Vec::new();
    let placeholders = regex::Regex::new(concat!(
        r"127\.0\.0\.1:\d+",
        r"|[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        r"|Bearer [A-Za-z0-9_-]{2}(?:…|\\u2026)\(\d+ chars\)",
        r"|_[0-9a-f]{32}",
        r"|okta_sim_session=[0-9a-f]+",
        r"|SAMLRequest=[^&\x22\s]+",
    ))
    .unwrap();
    placeholders
        .replace_all(&text, |c: &regex::Captures<'_>| {
            let v = c[0].to_string();
            let n = seen.iter().position(|s| *s == v).unwrap_or_else(|| {
                seen.push(v);
                seen.len() - 1
            });
            format!("<target {n}>")
        })
        .into_owned()
}

#[test]
fn one_seed_and_clock_give_the_same_run_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("okta-sim-determinism-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (t1, e1) = run_once(&dir, 1);
    let (t2, e2) = run_once(&dir, 2);
    assert!(
        t1.contains("2026-01-01T00:00:00"),
        "the fixed clock dates the exchanges"
    );
    assert!(t1.contains("SAMLResponse="), "sign-ins are part of the run");
    let (a, b) = (normalized(&t1, &e1), normalized(&t2, &e2));
    if a != b {
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let show = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(2))
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "the runs differ at line {first}:\n{}\n---\n{}",
            show(&a),
            show(&b)
        );
    }
    // Without the seed's values set aside, they would differ: the check is not vacuous.
    assert_ne!(t1, t2, "the target's own values do differ between the runs");
    std::fs::remove_dir_all(&dir).ok();
}
