//! `okta-sim check --har PATH`: every exchange of a run as HAR 1.2, validated by software nobody
//! here wrote. The HAR 1.2 JSON Schema check is npm's `har-validator` (on `har-schema`), the
//! reader PyPI's `haralyzer`; `.ci/run` installs both (OKTA_SIM_HAR_TOOLS names the npm
//! prefix). Where they are missing the test says so and passes, except under CI.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn tools() -> Option<PathBuf> {
    let prefix = std::env::var_os("OKTA_SIM_HAR_TOOLS").map(PathBuf::from);
    let node_modules = prefix.map(|p| p.join("node_modules"));
    let validator = node_modules
        .as_ref()
        .is_some_and(|m| m.join("har-validator").is_dir());
    let reader = Command::new("python3")
        .args(["-c", "import haralyzer"])
        .output()
        .is_ok_and(|o| o.status.success());
    if validator && reader {
        node_modules
    } else if std::env::var_os("CI").is_some() {
        panic!(
            "the HAR checks need npm's har-validator (OKTA_SIM_HAR_TOOLS) and PyPI's haralyzer: .ci/run installs them"
        );
    } else {
        eprintln!("skipped: har-validator or haralyzer is not installed (see .ci/run)");
        None
    }
}

#[test]
fn the_har_file_validates_loads_in_a_har_reader_and_holds_every_exchange() {
    let Some(node_modules) = tools() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("okta-sim-har-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (har, transcript) = (dir.join("run.har"), dir.join("t.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .env(
            "OKTA_SIM_HOME",
            std::env::temp_dir().join("okta-sim-test-home"),
        )
        .args([
            "check",
            "--seed",
            "3",
            "--tags",
            "@lifecycle or @sso or @credentials",
            "--correlation-header",
            "X-Okta-Sim-Transaction",
        ])
        .arg("--har")
        .arg(&har)
        .arg("--transcript")
        .arg(&transcript)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // HAR 1.2's JSON Schema, as npm's har-validator holds it.
    let script = format!(
        "const v=require('har-validator');const h=JSON.parse(require('fs').readFileSync({:?},'utf8'));\
         v.har(h).then(()=>console.log('valid '+h.log.entries.length)).catch(e=>{{console.log(JSON.stringify(e.errors||e.message));process.exit(1)}})",
        har.to_string_lossy()
    );
    let v = Command::new("node")
        .env("NODE_PATH", &node_modules)
        .args(["-e", &script])
        .output()
        .expect("node runs");
    assert!(
        v.status.success(),
        "har-validator: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    // haralyzer reads it back, request for request, as the transcript has them.
    let read = Command::new("python3")
        .args([
            "-c",
            "import json,sys\nfrom haralyzer import HarParser, HarEntry\n\
             p=HarParser(json.load(open(sys.argv[1])))\n\
             print(json.dumps([[e.request.method, e.request.url, e.response.status] for e in (HarEntry(x) for x in p.har_data['entries'])]))",
        ])
        .arg(&har)
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let entries: Vec<(String, String, u16)> = serde_json::from_slice(&read.stdout).unwrap();
    let t: Value = serde_json::from_str(&std::fs::read_to_string(&transcript).unwrap()).unwrap();
    let exchanges: Vec<(String, String, u16)> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["request"]["method"].as_str().unwrap().to_string(),
                e["url"].as_str().unwrap().to_string(),
                e["response"]["status"].as_u64().unwrap_or(0) as u16,
            )
        })
        .collect();
    assert!(exchanges.len() > 30, "{}", exchanges.len());
    assert_eq!(entries, exchanges);
    // okta-sim's ids ride in the comments; the credential is nowhere.
    let text = std::fs::read_to_string(&har).unwrap();
    let h: Value = serde_json::from_str(&text).unwrap();
    let commented = h["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["comment"]
                .as_str()
                .is_some_and(|c| c.contains("transaction puj"))
        })
        .count();
    assert!(commented > 10, "{commented}");
    for e in h["log"]["entries"].as_array().unwrap() {
        for hd in e["request"]["headers"].as_array().unwrap() {
            if hd["name"] == "Authorization" {
                let v = hd["value"].as_str().unwrap();
                assert!(v.contains("…(") && v.ends_with(" chars)"), "unmasked: {v}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
