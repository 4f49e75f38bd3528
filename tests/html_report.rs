//! The HTML report in a real browser: headless Chromium (Debian's `chromium`) opens reports of
//! runs with failures, a script added to a copy of each acts on the page as a reader would
//! (expand an arrow, filter to failed scenarios) and writes what it found into the DOM, which
//! `--dump-dom` hands back for the assertions. A report of a target answering with markup and
//! script shows that markup as text and runs none of it. Screenshots go to
//! `target/report-screens/`.
//!
//! Without a browser the test says so and passes, unless OKTA_SIM_REQUIRE_BROWSER is set (as
//! `.ci/run` sets it, after installing Chromium).

#[path = "support/chromium.rs"]
mod chromium;
mod common;

use std::path::{Path, PathBuf};

use common::{okta_sim, spawn_okta_sim};
use serde_json::Value;

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("okta-sim-html-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn screens() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/report-screens");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// What the probe script does in the page, as a reader would, and reports as JSON.
const PROBE: &str = r##"(function(){
var r={},q=function(s){return document.querySelector(s)};
r.ready=document.documentElement.dataset.ready||null;
r.scenarios=document.querySelectorAll('main article.scenario[id]').length;
r.failedScenarios=document.querySelectorAll('main article.scenario[data-status=failed]').length;
r.broke=(q('#broke')||{textContent:''}).textContent;
var link=q('#broke a[href^="#x-"]'),ex=link&&document.getElementById(link.getAttribute('href').slice(1));
r.failedExchange=ex?ex.id:null;
if(ex){
 var body=ex.querySelector('.detail');
 r.bodyShownBefore=body.checkVisibility();
 ex.querySelector('summary').click();
 r.openAfterClick=ex.open;
 r.bodyShownAfter=body.checkVisibility();
 r.checkOnExchange=(ex.querySelector('.check')||{textContent:''}).textContent;
 r.requestShown=(ex.querySelector('pre.head')||{textContent:''}).textContent;
 var bodies=ex.querySelectorAll('.msgs pre.body');
 r.responseBody=bodies.length?bodies[bodies.length-1].textContent:'';
}
var cb=q('#f-failed');cb.checked=true;cb.dispatchEvent(new Event('change'));
r.shownWhenFailedOnly=document.querySelectorAll('main article.scenario[id]:not([hidden])').length;
r.count=q('#f-count').textContent;
cb.checked=false;cb.dispatchEvent(new Event('change'));
r.pwned=(typeof window.__pwned==='undefined')?null:window.__pwned;
r.images=document.images.length;
r.scripts=document.querySelectorAll('script:not([type="application/json"])').length;
r.hostileAsText=document.querySelector('main').textContent.indexOf('window.__pwned=1')>=0;
var pre=document.createElement('pre');pre.id='okta-sim-probe';pre.textContent=JSON.stringify(r);
document.body.insertBefore(pre,document.body.firstChild);
})();"##;

/// A copy of the report with the probe script added (allowed by the page's policy through
/// its hash, beside the report's own), opened in Chromium: what the probe found.
fn probe(browser: &Path, report: &Path) -> Value {
    use base64::Engine as _;
    use sha2::Digest as _;
    let html = std::fs::read_to_string(report).unwrap();
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(PROBE));
    let at = html
        .find("script-src 'sha256-")
        .expect("the report has a script policy");
    let mut copy = html.clone();
    copy.insert_str(at + "script-src ".len(), &format!("'sha256-{hash}' "));
    let end = copy.rfind("</body>").unwrap();
    copy.insert_str(end, &format!("<script>{PROBE}</script>"));
    let probed = report.with_extension("probe.html");
    std::fs::write(&probed, copy).unwrap();
    let out = chromium::open(browser, &["--dump-dom"], &probed);
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom
        .find("<pre id=\"okta-sim-probe\">")
        .unwrap_or_else(|| panic!("the probe did not run: {}", &dom[..dom.len().min(2000)]));
    let rest = &dom[start + "<pre id=\"okta-sim-probe\">".len()..];
    let text = &rest[..rest.find("</pre>").unwrap()];
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn screenshot(browser: &Path, page: &Path, name: &str, size: &str) -> PathBuf {
    let shot = screens().join(name);
    let _ = std::fs::remove_file(&shot);
    chromium::open(
        browser,
        &[
            &format!("--screenshot={}", shot.display()),
            &format!("--window-size={size}"),
        ],
        page,
    );
    assert!(
        std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0) > 10_000,
        "no screenshot of {}",
        page.display()
    );
    shot
}

fn need_browser() -> Option<PathBuf> {
    let b = chromium::find();
    if b.is_none() {
        assert!(
            std::env::var_os("OKTA_SIM_REQUIRE_BROWSER").is_none(),
            "OKTA_SIM_REQUIRE_BROWSER is set but no chromium is on PATH"
        );
        eprintln!(
            "SKIPPED: no chromium, chromium-browser or google-chrome on PATH \
             (apt-get install chromium); the HTML report was not opened in a browser"
        );
    }
    b
}

#[test]
fn a_report_of_a_faulty_app_shows_what_broke_and_where_in_a_browser() {
    let Some(browser) = need_browser() else {
        return;
    };
    let app = spawn_okta_sim(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token",
            "tok12345678",
            "--fault",
            "ignore-deactivation",
        ],
        &[],
    );
    let url = app.field("SCIM base URL");
    let d = dir();
    let (html, json) = (d.join("faulty.html"), d.join("faulty.json"));
    let out = okta_sim(&[
        "check",
        "--target",
        &url,
        "--token",
        "tok12345678",
        "--seed",
        "5",
        "--report",
        &format!("html={}", html.display()),
        "--report",
        &format!("json={}", json.display()),
    ]);
    assert_eq!(out.status.code(), Some(1), "the faulty app fails the run");
    drop(app);
    let report: Value = read_json(&json);
    let ran = report["scenarios"].as_array().unwrap().len();

    let r = probe(&browser, &html);
    assert!(r["ready"].is_string(), "the report's script ran: {r}");
    assert_eq!(r["scenarios"], ran, "{r}");
    assert_eq!(r["failedScenarios"], report["summary"]["failed"], "{r}");
    // The first screen names the failed check and links where it happened.
    let broke = r["broke"].as_str().unwrap();
    assert!(broke.contains("users.active.applied"), "{broke}");
    assert!(broke.contains("okta-required"), "{broke}");
    // Expanding the failed exchange shows its check and its request.
    assert_eq!(r["bodyShownBefore"], false, "{r}");
    assert_eq!(r["openAfterClick"], true, "{r}");
    assert_eq!(r["bodyShownAfter"], true, "{r}");
    assert!(
        r["checkOnExchange"]
            .as_str()
            .unwrap()
            .contains("users.active.applied"),
        "{r}"
    );
    assert!(
        r["requestShown"]
            .as_str()
            .unwrap()
            .starts_with("GET /Users/"),
        "{r}"
    );
    // The answer's body, pretty-printed: the user still active after Okta deactivated it.
    assert!(
        r["responseBody"]
            .as_str()
            .unwrap()
            .contains("\"active\": true"),
        "{r}"
    );
    // "failed only" leaves the failed scenarios.
    assert_eq!(r["shownWhenFailedOnly"], report["summary"]["failed"], "{r}");
    assert!(
        r["count"]
            .as_str()
            .unwrap()
            .ends_with(&format!("of {ran} scenarios"))
    );

    // `okta-sim report` renders the same page from the JSON report.
    let again = d.join("again.html");
    let out = okta_sim(&[
        "report",
        json.to_str().unwrap(),
        "--html",
        again.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&again).unwrap(),
        std::fs::read_to_string(&html).unwrap()
    );

    // The first screen, and the failing exchange opened (the page trimmed to its scenario,
    // as a headless screenshot shows the top of the page only).
    screenshot(&browser, &html, "report-first-screen.png", "1400,1000");
    let failed = r["failedExchange"].as_str().unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    let id = format!("id=\"{failed}\"");
    let at = page.find(&id).unwrap();
    let article_start = page[..at].rfind("<article").unwrap();
    let article_end = at + page[at..].find("</article>").unwrap() + "</article>".len();
    // Up to the run's header: the head, and the exchanges' details the page builds from.
    let head_end = page.find("<header class=\"run\">").unwrap();
    let script_at = page.rfind("<script>").unwrap();
    let mut article = page[article_start..article_end].to_string();
    article = article.replacen(
        &format!("<details class=\"ex has-fail\" {id}>"),
        &format!("<details class=\"ex has-fail\" {id} open>"),
        1,
    );
    let trimmed = format!(
        "{}<main>{article}</main>{}",
        &page[..head_end],
        &page[script_at..]
    );
    let one = d.join("one-scenario.html");
    std::fs::write(&one, trimmed).unwrap();
    screenshot(&browser, &one, "report-failed-exchange.png", "1400,1900");
}

#[tokio::test]
async fn a_hostile_target_cannot_put_markup_or_script_in_the_report() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let Some(browser) = need_browser() else {
        return;
    };
    let server = MockServer::start().await;
    let hostile = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"userName":"</pre></details><script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">"}],"detail":"<iframe src=javascript:window.__pwned=3></iframe>"}"#;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", "application/scim+json")
                .insert_header("X-Note", "<script>window.__pwned=4</script>")
                .set_body_string(hostile),
        )
        .mount(&server)
        .await;
    let d = dir();
    let html = d.join("hostile.html");
    let target = format!("{}/scim/v2", server.uri());
    let html_arg = format!("html={}", html.display());
    let out = tokio::task::spawn_blocking(move || {
        okta_sim(&[
            "check",
            "--target",
            &target,
            "--token",
            "tok12345678",
            "--tags",
            "@credentials",
            "--seed",
            "1",
            "--report",
            &html_arg,
        ])
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let r = tokio::task::spawn_blocking(move || probe(&browser, &html))
        .await
        .unwrap();
    assert!(r["ready"].is_string(), "the report's script ran: {r}");
    assert_eq!(r["pwned"], Value::Null, "the target's script ran: {r}");
    assert_eq!(r["images"], 0, "{r}");
    // The report's script and the probe, nothing else (the exchanges' details are inert data
    // until opened; the probe opened one, and its markup stayed text).
    assert_eq!(r["scripts"], 2, "{r}");
    assert_eq!(r["hostileAsText"], true, "{r}");
}

#[test]
fn a_transcript_renders_as_a_report_and_bad_input_is_refused() {
    let d = dir();
    let (transcript, html) = (d.join("t.json"), d.join("from-transcript.html"));
    let json = d.join("embedded.json");
    let out = okta_sim(&[
        "check",
        "--tags",
        "@credentials or @saml",
        "--seed",
        "1",
        "--transcript",
        transcript.to_str().unwrap(),
        "--report",
        &format!("json={}", json.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // The embedded app (its SCIM base and its SP) is started again by the command, not named.
    let report: Value = read_json(&json);
    assert_eq!(
        report["command"],
        "okta-sim check --tags '@credentials or @saml' --seed 1"
    );
    let out = okta_sim(&[
        "report",
        transcript.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    let exchanges: Vec<Value> = read_json(&transcript);
    assert!(!exchanges.is_empty());
    // Every exchange is drawn, under the scenario it names.
    for x in &exchanges {
        assert!(
            page.contains(&format!("id=\"x-{}\"", x["seq"])),
            "{}",
            x["seq"]
        );
    }
    assert!(page.contains("Test API Credentials › "), "scenarios named");
    assert!(page.contains("its exchanges are shown, not graded"));

    let garbage = d.join("garbage.json");
    std::fs::write(&garbage, "{not json").unwrap();
    let other = d.join("other.json");
    std::fs::write(&other, "[{\"a\": 1}]").unwrap();
    for (input, says) in [
        (d.join("missing.json"), "cannot read"),
        (garbage, "not JSON"),
        (other, "not a transcript"),
    ] {
        let out = okta_sim(&["report", input.to_str().unwrap(), "--html", "/tmp/x.html"]);
        assert_eq!(out.status.code(), Some(2), "{input:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{input:?}: {err}");
    }
}
