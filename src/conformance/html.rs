//! The HTML report of a run (`check --report html=PATH`, `okta-sim report`): one self-contained
//! file (styles and a small script inline, nothing fetched) written from the JSON report's value.
//! First what broke, grouped by grade, each failure one click from its scenario and exchange;
//! then every scenario with its steps and a sequence diagram of its exchanges (Okta → app with
//! method, path and status, time going down), each arrow expanding to the whole request and
//! response, failed checks drawn on the exchange that failed them, SAML responses decoded, the
//! System Log events of each task beside its exchanges; the reference sections cited, at the end.
//! Everything the target sent is escaped: a target cannot put markup or script in the report.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::Value;

/// Characters of a body shown at most; past it the body is cut with a marker saying so.
pub const BODY_CHARS: usize = 2000;
/// In a run with more exchanges than [`MANY_EXCHANGES`], bodies are cut at this instead, so
/// the file stays small enough to open quickly.
pub const BODY_CHARS_MANY: usize = 400;
/// Above this many exchanges, bodies are shown shorter.
pub const MANY_EXCHANGES: usize = 2000;

/// The grades, worst first, as the JSON report names them.
const GRADES: [(&str, &str); 4] = [
    ("okta-required", "Okta's integration breaks"),
    ("rfc-must", "the RFCs say MUST"),
    ("rfc-should", "the RFCs say SHOULD (a warning)"),
    (
        "okta-tolerated",
        "Okta copes, other clients may not (a warning)",
    ),
];

/// The reference documents, for the sections the checks cite.
const REFERENCES: [(&str, &str); 3] = [
    (
        "okta-scim-wire",
        include_str!("../../docs/reference/okta-scim-wire.md"),
    ),
    (
        "okta-saml",
        include_str!("../../docs/reference/okta-saml.md"),
    ),
    (
        "okta-attributes-entitlements-oauth",
        include_str!("../../docs/reference/okta-attributes-entitlements-oauth.md"),
    ),
];

/// Escape text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The HTML report of the JSON report `report`.
pub fn render(report: &Value) -> String {
    Report::new(report).html()
}

/// What an earlier run left, read for rendering: its JSON report (`check --report json=…`) as
/// it is, or its transcript (`check --transcript …`, an array of exchanges) as a report of
/// those exchanges, grouped by the scenario each names, with nothing graded.
pub fn report_input(text: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match v {
        Value::Object(ref o) if o.get("scenarios").is_some_and(Value::is_array) => Ok(v),
        Value::Array(mut exchanges) => {
            if let Some(bad) = exchanges.iter().position(|x| x.get("request").is_none()) {
                return Err(format!(
                    "item {bad} of the array has no \"request\": not a transcript of okta-sim"
                ));
            }
            for (i, x) in exchanges.iter_mut().enumerate() {
                if seq(x) == 0
                    && let Some(o) = x.as_object_mut()
                {
                    o.insert("seq".into(), Value::from(i as u64 + 1));
                }
            }
            let target = exchanges
                .first()
                .map(|x| s(x, "url"))
                .and_then(|u| reqwest::Url::parse(u).ok())
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            Ok(serde_json::json!({
                "tool": "okta-sim",
                "target": target,
                "summary": {},
                "scenarios": [],
                "exchanges": exchanges,
                "events": [],
            }))
        }
        _ => Err("neither a JSON report (an object with \"scenarios\") nor a transcript (an array of exchanges)".into()),
    }
}

struct Report<'a> {
    v: &'a Value,
    scenarios: &'a [Value],
    /// Exchanges by scenario key (`feature/scenario`); the run's own set-up under "".
    by_scenario: HashMap<&'a str, Vec<&'a Value>>,
    /// System Log events by transaction id.
    events: HashMap<&'a str, Vec<&'a Value>>,
    body_chars: usize,
    /// Sections cited, by anchor: (document, section).
    cited: std::cell::RefCell<BTreeMap<String, (String, String)>>,
    /// Each exchange's detail (its checks, events, request and response), written as HTML
    /// (escaped here) and kept apart in an inert JSON block: the page builds one when its arrow
    /// is first opened, so a run of 10,000 exchanges opens without parsing them all.
    details: std::cell::RefCell<Vec<(u64, String)>>,
}

impl<'a> Report<'a> {
    fn new(v: &'a Value) -> Self {
        let exchanges = arr(v, "exchanges");
        let mut by_scenario: HashMap<&str, Vec<&Value>> = HashMap::new();
        for x in exchanges {
            by_scenario.entry(s(x, "scenario")).or_default().push(x);
        }
        let mut events: HashMap<&str, Vec<&Value>> = HashMap::new();
        for e in arr(v, "events") {
            if let Some(t) = e.pointer("/transaction/id").and_then(Value::as_str) {
                events.entry(t).or_default().push(e);
            }
        }
        Report {
            v,
            scenarios: arr(v, "scenarios"),
            by_scenario,
            events,
            body_chars: if exchanges.len() > MANY_EXCHANGES {
                BODY_CHARS_MANY
            } else {
                BODY_CHARS
            },
            cited: Default::default(),
            details: Default::default(),
        }
    }

    fn html(&self) -> String {
        let mut o = String::with_capacity(64 * 1024);
        let title = format!("okta-sim report: {}", s(self.v, "target"));
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; script-src 'sha256-{}'; img-src data:\">\
             <title>{}</title><style>{CSS}</style></head><body>",
            script_hash(),
            esc(&title)
        );
        // The scenarios are written first, as they gather the exchanges' details; the details
        // go before them in the page: parsed while the page is still small, they cost a
        // fraction of what they cost after 10,000 rows (measured in `benches/report.rs`).
        let mut main = String::with_capacity(64 * 1024);
        self.features(&mut main);
        self.setup(&mut main);
        self.detail_data(&mut o);
        self.header(&mut o);
        self.broke(&mut o);
        self.filters(&mut o);
        o.push_str("<main>");
        o.push_str(&main);
        o.push_str("</main>");
        self.references(&mut o);
        let _ = writeln!(o, "<script>{SCRIPT}</script></body></html>");
        o
    }

    fn header(&self, o: &mut String) {
        let sum = &self.v["summary"];
        let n = |k: &str| sum.get(k).and_then(Value::as_u64).unwrap_or(0);
        let blocking = n("blocking_failures");
        let verdict = if blocking > 0 || n("failed") > 0 {
            format!(
                "<p class=\"verdict bad\">Okta would break: {blocking} check(s) graded okta-required or rfc-must failed, in {} scenario(s).</p>",
                n("failed")
            )
        } else if self.scenarios.is_empty() {
            "<p class=\"verdict\">No scenario in this report (rendered from a transcript: its exchanges are shown, not graded).</p>".into()
        } else {
            "<p class=\"verdict good\">Okta would work with this app: no check that fails the run failed.</p>".into()
        };
        let _ = write!(
            o,
            "<header class=\"run\"><h1>okta-sim report</h1>{verdict}\
             <p class=\"counts\"><span class=\"c passed\">{} passed</span> \
             <span class=\"c failed\">{} failed</span> <span class=\"c skipped\">{} skipped</span> \
             <span class=\"c warn\">{} warnings</span></p><dl>",
            n("passed"),
            n("failed"),
            n("skipped"),
            n("warnings")
        );
        for (label, value) in [
            ("target", s(self.v, "target").to_string()),
            ("app kind", s(self.v, "app_kind").to_uppercase()),
            ("profile", s(self.v, "profile").to_string()),
            (
                "seed",
                self.v
                    .get("seed")
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
            ),
            ("okta-sim", s(self.v, "version").to_string()),
        ] {
            if !value.is_empty() && value != "null" {
                let _ = write!(o, "<dt>{label}</dt><dd>{}</dd>", esc(&value));
            }
        }
        let cmd = s(self.v, "command");
        if !cmd.is_empty() {
            let _ = write!(
                o,
                "<dt>reproduce</dt><dd><code class=\"cmd\">{}</code></dd>",
                esc(cmd)
            );
        }
        o.push_str("</dl></header>");
    }

    /// Failures grouped by grade, each linking to its scenario and exchange.
    fn broke(&self, o: &mut String) {
        let mut any = false;
        let mut body = String::new();
        for (grade, meaning) in GRADES {
            let mut items = String::new();
            let mut count = 0;
            for (i, sc) in self.scenarios.iter().enumerate() {
                for c in arr(sc, "checks") {
                    if c.get("passed") == Some(&Value::Bool(false)) && s(c, "grade") == grade {
                        count += 1;
                        let at = match c.get("exchange").and_then(Value::as_u64) {
                            Some(x) => format!(" at <a href=\"#x-{x}\">exchange {x}</a>"),
                            None => String::new(),
                        };
                        let _ = write!(
                            items,
                            "<li><a href=\"#s-{i}\"><code>{}</code></a> in {} › {}{at}: needed {}</li>",
                            esc(s(c, "id")),
                            esc(s(sc, "feature")),
                            esc(s(sc, "scenario")),
                            esc(s(c, "needed"))
                        );
                    }
                }
            }
            if count > 0 {
                any = true;
                let _ = write!(
                    body,
                    "<h3 class=\"g {grade}\">{grade}: {count} <small>({meaning})</small></h3><ul>{items}</ul>"
                );
            }
        }
        // Scenarios that failed without a failed check (a step could not run).
        let mut other = String::new();
        for (i, sc) in self.scenarios.iter().enumerate() {
            let failed = sc.pointer("/outcome/status").and_then(Value::as_str) == Some("failed");
            let has_check = arr(sc, "checks")
                .iter()
                .any(|c| c.get("passed") == Some(&Value::Bool(false)));
            if failed && !has_check {
                let _ = write!(
                    other,
                    "<li><a href=\"#s-{i}\">{} › {}</a>: {}</li>",
                    esc(s(sc, "feature")),
                    esc(s(sc, "scenario")),
                    esc(first_line(
                        sc.pointer("/outcome/reason")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                    ))
                );
            }
        }
        if !other.is_empty() {
            any = true;
            let _ = write!(
                body,
                "<h3 class=\"g okta-required\">scenarios that could not finish</h3><ul>{other}</ul>"
            );
        }
        if any {
            let _ = write!(
                o,
                "<section id=\"broke\"><h2>What broke</h2>{body}</section>"
            );
        }
    }

    fn filters(&self, o: &mut String) {
        let mut tags: Vec<&str> = self
            .scenarios
            .iter()
            .flat_map(|sc| arr(sc, "tags").iter().filter_map(Value::as_str))
            .collect();
        tags.sort_unstable();
        tags.dedup();
        o.push_str(
            "<nav class=\"filters\"><label><input type=\"checkbox\" id=\"f-failed\"> failed only</label> \
             <select id=\"f-grade\" aria-label=\"grade\"><option value=\"\">any grade</option>",
        );
        for (g, _) in GRADES {
            let _ = write!(o, "<option value=\"{g}\">failed {g}</option>");
        }
        o.push_str(
            "</select> <select id=\"f-tag\" aria-label=\"tag\"><option value=\"\">any tag</option>",
        );
        for t in tags {
            let _ = write!(o, "<option value=\"{0}\">{0}</option>", esc(t));
        }
        o.push_str(
            "</select> <input type=\"search\" id=\"f-text\" placeholder=\"search scenarios and checks\"> \
             <span id=\"f-count\"></span></nav>",
        );
    }

    fn features(&self, o: &mut String) {
        let mut i = 0;
        while i < self.scenarios.len() {
            let feature = s(&self.scenarios[i], "feature");
            let _ = write!(o, "<section class=\"feature\"><h2>{}</h2>", esc(feature));
            while i < self.scenarios.len() && s(&self.scenarios[i], "feature") == feature {
                self.scenario(o, i);
                i += 1;
            }
            o.push_str("</section>");
        }
    }

    fn scenario(&self, o: &mut String, i: usize) {
        let sc = &self.scenarios[i];
        let status = sc
            .pointer("/outcome/status")
            .and_then(Value::as_str)
            .unwrap_or("passed");
        let checks = arr(sc, "checks");
        let failed: Vec<&Value> = checks
            .iter()
            .filter(|c| c.get("passed") == Some(&Value::Bool(false)))
            .collect();
        let mut grades: Vec<&str> = failed.iter().map(|c| s(c, "grade")).collect();
        grades.dedup();
        let tags: Vec<&str> = arr(sc, "tags").iter().filter_map(Value::as_str).collect();
        let mut text = format!("{} {}", s(sc, "feature"), s(sc, "scenario"));
        for c in checks {
            text.push(' ');
            text.push_str(s(c, "id"));
        }
        let _ = write!(
            o,
            "<article class=\"scenario st-{status}\" id=\"s-{i}\" data-status=\"{status}\" \
             data-grades=\"{}\" data-tags=\"{}\" data-text=\"{}\"><header>\
             <a class=\"perma\" href=\"#s-{i}\" title=\"link to this scenario\">#</a> \
             <span class=\"badge {status}\">{}</span> <h3>{}</h3> <span class=\"tags\">{}</span> \
             <span class=\"dur\">{:.0} ms</span></header>",
            esc(&grades.join(" ")),
            esc(&tags.join(" ")),
            esc(&text.to_lowercase()),
            status.to_uppercase(),
            esc(s(sc, "scenario")),
            esc(&tags.join(" ")),
            sc.get("duration_ms").and_then(Value::as_f64).unwrap_or(0.0)
        );
        if let Some(reason) = sc.pointer("/outcome/reason").and_then(Value::as_str) {
            let _ = write!(o, "<pre class=\"reason\">{}</pre>", esc(reason));
        }
        if let Some(note) = sc.get("note").and_then(Value::as_str) {
            let _ = write!(o, "<p class=\"note\"><b>Observed:</b> {}</p>", esc(note));
        }
        let steps = arr(sc, "steps");
        if !steps.is_empty() {
            let _ = write!(
                o,
                "<details class=\"steps\"><summary>{} steps</summary><ol>",
                steps.len()
            );
            for st in steps {
                let _ = write!(o, "<li>{}</li>", esc(st.as_str().unwrap_or("")));
            }
            o.push_str("</ol></details>");
        }
        // Checks: the failed ones whole, the passed ones counted and listed.
        let passed = checks.len() - failed.len();
        if !checks.is_empty() {
            let _ = write!(
                o,
                "<p class=\"checks\">{passed} of {} checks passed.</p>",
                checks.len()
            );
        }
        for c in &failed {
            self.check(o, c);
        }
        if passed > 0 {
            let _ = write!(
                o,
                "<details class=\"passed-checks\"><summary>{passed} passed checks</summary><ul>"
            );
            for c in checks
                .iter()
                .filter(|c| c.get("passed") == Some(&Value::Bool(true)))
            {
                let _ = write!(
                    o,
                    "<li>✓ <code>{}</code> ({})</li>",
                    esc(s(c, "id")),
                    self.cites(s(c, "source"))
                );
            }
            o.push_str("</ul></details>");
        }
        if let Some(xs) = self.by_scenario.get(scenario_key(sc).as_str()) {
            self.diagram(o, xs, checks);
        }
        o.push_str("</article>");
    }

    /// A failed check: sent / got / needed / why / diff, the citation linked.
    fn check(&self, o: &mut String, c: &Value) {
        let grade = s(c, "grade");
        let warn = matches!(grade, "rfc-should" | "okta-tolerated");
        let _ = write!(
            o,
            "<div class=\"check {}\"><p><b>{} [{}]</b> <code>{}</code> ({})",
            if warn { "warn" } else { "fail" },
            if warn { "WARN" } else { "FAIL" },
            esc(grade),
            esc(s(c, "id")),
            self.cites(s(c, "source"))
        );
        if let Some(x) = c.get("exchange").and_then(Value::as_u64) {
            let _ = write!(o, " · <a href=\"#x-{x}\">exchange {x}</a>");
        }
        o.push_str("</p><dl>");
        for (label, key) in [
            ("sent", "sent"),
            ("got", "got"),
            ("needed", "needed"),
            ("why", "why"),
            ("collides", "collision"),
            ("admin sees", "admin_message"),
            ("transaction", "transaction"),
        ] {
            let v = s(c, key);
            if !v.is_empty() {
                let _ = write!(o, "<dt>{label}</dt><dd>{}</dd>", esc(v));
            }
        }
        o.push_str("</dl>");
        if let Some(d) = c.get("diff").and_then(Value::as_str) {
            let _ = write!(o, "<pre class=\"diff\">{}</pre>", esc(d));
        }
        o.push_str("</div>");
    }

    /// The sequence diagram of a scenario's exchanges: Okta on the left, the app on the right,
    /// time going down (the gap between two exchanges shown as space, the offset beside each).
    fn diagram(&self, o: &mut String, xs: &[&Value], checks: &[Value]) {
        let mut fails: HashMap<u64, Vec<&Value>> = HashMap::new();
        for c in checks {
            if c.get("passed") == Some(&Value::Bool(false))
                && let Some(x) = c.get("exchange").and_then(Value::as_u64)
            {
                fails.entry(x).or_default().push(c);
            }
        }
        let t0 = xs.first().and_then(|x| started_ms(s(x, "started")));
        let saml = xs.iter().any(|x| is_saml(x));
        let _ = write!(
            o,
            "<div class=\"seq\"><div class=\"row head\"><span class=\"t\"></span><span class=\"names\">\
             <span>Okta (okta-sim)</span><span>{}</span></span><span class=\"marks\"></span></div>",
            if saml {
                "the app (SP)"
            } else {
                "the app (SCIM)"
            }
        );
        let mut last_end: Option<f64> = None;
        for x in xs {
            let start = started_ms(s(x, "started"));
            let elapsed = x.get("elapsed_ms").and_then(Value::as_f64).unwrap_or(0.0);
            // Idle time before the exchange, as space above it.
            let gap = match (last_end, start) {
                (Some(end), Some(st)) if st - end >= 1.0 => {
                    ((1.0 + (st - end)).log2() * 3.0).min(48.0)
                }
                _ => 0.0,
            };
            last_end = start.map(|st| st + elapsed);
            let offset = match (t0, start) {
                (Some(a), Some(b)) => format!("+{}", duration(b - a)),
                _ => String::new(),
            };
            self.exchange(o, x, &offset, gap, fails.get(&seq(x)).map(Vec::as_slice));
        }
        o.push_str("</div>");
    }

    fn exchange(
        &self,
        o: &mut String,
        x: &Value,
        offset: &str,
        gap: f64,
        fails: Option<&[&Value]>,
    ) {
        let n = seq(x);
        let req = &x["request"];
        let resp = x.get("response").filter(|r| !r.is_null());
        let status = resp.and_then(|r| r.get("status")).and_then(Value::as_u64);
        let class = match status {
            Some(200..=299) => "ok",
            Some(300..=399) => "redirect",
            Some(429) => "throttled",
            Some(_) => "error",
            None => "none",
        };
        let answer = match status {
            Some(st) => format!(
                "{st} {} · {}",
                reason_phrase(st),
                duration(x.get("elapsed_ms").and_then(Value::as_f64).unwrap_or(0.0))
            ),
            None => format!("no answer: {}", first_line(s(x, "error"))),
        };
        let failed_ids: Vec<String> = fails
            .unwrap_or(&[])
            .iter()
            .map(|c| format!("✗ {}", s(c, "id")))
            .collect();
        let _ = write!(
            o,
            "<details class=\"ex{}\" id=\"x-{n}\"{}><summary><span class=\"t\">{}</span>\
             <span class=\"lanes\"><span class=\"msg req\"><span class=\"lbl\">{} {}</span></span>\
             <span class=\"msg resp {class}\"><span class=\"lbl\">{}</span></span></span>{}\
             </summary><div class=\"detail\"></div></details>",
            if fails.is_some() { " has-fail" } else { "" },
            if gap >= 1.0 {
                format!(" style=\"--g:{gap:.0}px\"")
            } else {
                String::new()
            },
            esc(offset),
            esc(s(req, "method")),
            esc(&shorten(s(req, "path"), 90)),
            esc(&answer),
            if failed_ids.is_empty() {
                String::new()
            } else {
                format!(
                    "<span class=\"marks\">{}</span>",
                    esc(&failed_ids.join(" "))
                )
            }
        );
        let o = &mut String::new();
        let _ = write!(
            o,
            "<p class=\"meta\">exchange {n}: {} (attempt {}) · {} · {}",
            esc(s(x, "label")),
            x.get("attempt").and_then(Value::as_u64).unwrap_or(1),
            esc(s(x, "started")),
            esc(s(x, "url"))
        );
        let tx = s(x, "transaction");
        if !tx.is_empty() {
            let _ = write!(o, " · transaction <code>{}</code>", esc(tx));
        }
        o.push_str("</p>");
        for c in fails.unwrap_or(&[]) {
            self.check(o, c);
        }
        if let Some(evs) = self.events.get(tx).filter(|_| !tx.is_empty()) {
            o.push_str("<div class=\"events\"><b>System Log</b><ul>");
            for e in evs {
                let _ = write!(
                    o,
                    "<li><code>{}</code> {} — {} <small>(event {})</small></li>",
                    esc(s(e, "eventType")),
                    esc(e
                        .pointer("/outcome/result")
                        .and_then(Value::as_str)
                        .unwrap_or("")),
                    esc(s(e, "displayMessage")),
                    esc(s(e, "uuid"))
                );
            }
            o.push_str("</ul></div>");
        }
        let _ = write!(
            o,
            "<div class=\"msgs\"><div><h4>Request</h4><pre class=\"head\">{} {}\n{}</pre>",
            esc(s(req, "method")),
            esc(s(req, "path")),
            esc(&headers(req))
        );
        if let Some(b) = req.get("body").and_then(Value::as_str) {
            let _ = write!(o, "<pre class=\"body\">{}</pre>", esc(&self.body(b)));
            if let Some(xml) = saml_response(b) {
                let _ = write!(
                    o,
                    "<h4>SAMLResponse, decoded</h4><pre class=\"body xml\">{}</pre>",
                    esc(&self.cut(&xml))
                );
            }
        }
        o.push_str("</div><div><h4>Response</h4>");
        match resp {
            Some(r) => {
                let _ = write!(
                    o,
                    "<pre class=\"head\">{} {}\n{}</pre>",
                    status.unwrap_or(0),
                    reason_phrase(status.unwrap_or(0)),
                    esc(&headers(r))
                );
                let b = s(r, "body");
                if !b.is_empty() {
                    let _ = write!(o, "<pre class=\"body\">{}</pre>", esc(&self.body(b)));
                }
            }
            None => {
                let _ = write!(o, "<p class=\"none\">{}</p>", esc(s(x, "error")));
            }
        }
        o.push_str("</div></div>");
        self.details.borrow_mut().push((n, std::mem::take(o)));
    }

    /// The exchanges' details as one JSON object (seq → HTML) in an inert script element;
    /// `<` is written `\u003c`, so no text in it can end the element.
    fn detail_data(&self, o: &mut String) {
        let map: serde_json::Map<String, Value> = self
            .details
            .take()
            .into_iter()
            .map(|(n, html)| (n.to_string(), Value::String(html)))
            .collect();
        let json = Value::Object(map).to_string().replace('<', "\\u003c");
        let _ = write!(
            o,
            "<script type=\"application/json\" id=\"okta-sim-details\">{json}</script>"
        );
    }

    /// Exchanges of no scenario in the report, grouped as recorded: the run's set-up
    /// (connection checks, OAuth authorization), or, from a transcript, each scenario named.
    fn setup(&self, o: &mut String) {
        let shown: std::collections::HashSet<String> =
            self.scenarios.iter().map(scenario_key).collect();
        let mut groups: Vec<(&str, &Vec<&Value>)> = self
            .by_scenario
            .iter()
            .filter(|(k, _)| !shown.contains(**k))
            .map(|(k, xs)| (*k, xs))
            .collect();
        if groups.is_empty() {
            return;
        }
        // In the order of the run: by each group's first exchange.
        groups.sort_by_key(|(_, xs)| xs.first().map_or(0, |x| seq(x)));
        o.push_str("<section class=\"feature setup\"><h2>Exchanges outside the scenarios</h2>");
        for (k, xs) in groups {
            let _ = write!(
                o,
                "<article class=\"scenario st-none\" data-status=\"none\" data-grades=\"\" data-tags=\"\" data-text=\"{}\"><header><h3>{}</h3></header>",
                esc(&k.to_lowercase()),
                if k.is_empty() {
                    "the run's set-up".to_string()
                } else {
                    esc(&k.replacen('/', " › ", 1))
                }
            );
            self.diagram(o, xs, &[]);
            o.push_str("</article>");
        }
        o.push_str("</section>");
    }

    /// The reference sections cited, so a citation can be read without leaving the report.
    fn references(&self, o: &mut String) {
        let cited = self.cited.borrow();
        if cited.is_empty() {
            return;
        }
        o.push_str("<section id=\"references\"><h2>Reference sections cited</h2>");
        for (anchor, (doc, section)) in cited.iter() {
            let text = REFERENCES
                .iter()
                .find(|(name, _)| name == doc)
                .and_then(|(_, body)| section_text(body, section))
                .unwrap_or_default();
            let _ = write!(
                o,
                "<details class=\"ref\" id=\"{anchor}\"><summary>{} §{}</summary><pre>{}</pre></details>",
                esc(doc),
                esc(section),
                esc(&text)
            );
        }
        o.push_str("</section>");
    }

    /// A citation string (`okta-scim-wire §5.1, §3.2, quirk 11`, `RFC 7644 §3.5.2`) with each
    /// locator linked: to its section at the end of the report, or to the RFC's text.
    fn cites(&self, source: &str) -> String {
        let mut out = Vec::new();
        let mut doc = String::new();
        for part in source.split(", ") {
            let (d, loc) = match part.find('§') {
                Some(0) => (doc.clone(), part),
                Some(at) => (part[..at].trim().to_string(), &part[at..]),
                None if part.starts_with("quirk ") => ("okta-scim-wire".to_string(), part),
                None => (String::new(), part),
            };
            if !d.is_empty() {
                doc = d.clone();
            }
            let section = loc.trim_start_matches('§');
            let section = section.split(' ').next().unwrap_or(section);
            let shown = esc(part);
            let link = if REFERENCES.iter().any(|(n, _)| *n == d) && loc.starts_with('§') {
                let anchor = format!("ref-{d}-{section}");
                self.cited
                    .borrow_mut()
                    .entry(anchor.clone())
                    .or_insert_with(|| (d.clone(), section.to_string()));
                Some(format!("#{anchor}"))
            } else if loc.starts_with("quirk ") {
                let anchor = "ref-okta-scim-wire-Quirks".to_string();
                self.cited
                    .borrow_mut()
                    .entry(anchor.clone())
                    .or_insert_with(|| ("okta-scim-wire".into(), "Quirks".into()));
                Some(format!("#{anchor}"))
            } else {
                d.strip_prefix("RFC ").map(|n| {
                    format!(
                        "https://www.rfc-editor.org/rfc/rfc{}#section-{}",
                        esc(n),
                        esc(section)
                    )
                })
            };
            out.push(match link {
                Some(href) => format!("<a class=\"cite\" href=\"{href}\">{shown}</a>"),
                None => shown,
            });
        }
        out.join(", ")
    }

    /// A body for showing: JSON pretty-printed, cut past the limit with a marker.
    fn body(&self, b: &str) -> String {
        let pretty = serde_json::from_str::<Value>(b)
            .ok()
            .filter(|v| v.is_object() || v.is_array())
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| b.to_string());
        self.cut(&pretty)
    }

    fn cut(&self, text: &str) -> String {
        let total = text.chars().count();
        if total <= self.body_chars {
            return text.to_string();
        }
        let kept: String = text.chars().take(self.body_chars).collect();
        format!(
            "{kept}\n… [cut: the first {} of {total} characters are shown; a transcript (--transcript) keeps bodies whole]",
            self.body_chars
        )
    }
}

/// The hash the Content-Security-Policy allows the report's own script by, so no other script
/// (an injected one included) could run even if escaping failed.
fn script_hash() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(SCRIPT.as_bytes()))
}

/// A scenario's key as its exchanges name it (`Slot::key`): `feature/scenario`.
fn scenario_key(sc: &Value) -> String {
    format!("{}/{}", s(sc, "feature"), s(sc, "scenario"))
}

fn seq(x: &Value) -> u64 {
    x.get("seq").and_then(Value::as_u64).unwrap_or(0)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}

fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// Milliseconds since the epoch of an RFC 3339 time.
fn started_ms(t: &str) -> Option<f64> {
    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp_nanos() as f64 / 1e6)
}

fn headers(m: &Value) -> String {
    arr(m, "headers")
        .iter()
        .filter_map(|h| {
            let pair = h.as_array()?;
            let (k, v) = (pair.first()?.as_str()?, pair.get(1)?.as_str()?);
            Some(format!("{k}: {v}"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_saml(x: &Value) -> bool {
    x.pointer("/request/body")
        .and_then(Value::as_str)
        .is_some_and(|b| b.starts_with("SAMLResponse=") || b.contains("&SAMLResponse="))
}

/// The XML of a form body's SAMLResponse, decoded and broken into lines between elements. A
/// body kept as an excerpt (cut at 4 KiB, with a marker) gives the XML up to the cut, marked.
fn saml_response(body: &str) -> Option<String> {
    use base64::Engine as _;
    if !body.contains("SAMLResponse=") {
        return None;
    }
    let (kept, cut) = match body.find("…[cut") {
        Some(at) => (&body[..at], true),
        None => (body, false),
    };
    let (_, value) = form_urlencoded::parse(kept.as_bytes()).find(|(k, _)| k == "SAMLResponse")?;
    let mut b64: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    if cut {
        b64.truncate(b64.len() - b64.len() % 4);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .ok()?;
    let mut xml = String::from_utf8_lossy(&bytes).replace("><", ">\n<");
    if cut {
        xml.push_str(
            "\n… [cut: the report keeps the first 4 KiB of each body; a transcript keeps it whole]",
        );
    }
    Some(xml)
}

/// The lines of `section` in a Markdown document: from its heading to the next heading of the
/// same or a higher level. `Quirks` is found by its title.
fn section_text(doc: &str, section: &str) -> Option<String> {
    let lines: Vec<&str> = doc.lines().collect();
    let start = lines.iter().position(|l| {
        let t = l.trim_start_matches('#');
        l.starts_with('#')
            && t.starts_with(' ')
            && t.trim_start()
                .strip_prefix(section)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '.', '(', ':']))
    })?;
    let level = lines[start].chars().take_while(|c| *c == '#').count();
    let end = lines[start + 1..]
        .iter()
        .position(|l| {
            let n = l.chars().take_while(|c| *c == '#').count();
            n > 0 && n <= level
        })
        .map_or(lines.len(), |i| start + 1 + i);
    Some(lines[start..end].join("\n"))
}

fn reason_phrase(status: u64) -> &'static str {
    u16::try_from(status)
        .ok()
        .and_then(|s| reqwest::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

const CSS: &str = r#"
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--mut:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328}
header.run,#broke,main,#references,nav.filters{padding:0 24px}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;margin:20px 0 8px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0;display:inline}h4{margin:6px 0 2px;font-size:13px;color:var(--mut)}
.verdict{font-size:16px;font-weight:600;margin:4px 0}.verdict.bad{color:var(--bad)}.verdict.good{color:var(--ok)}
.counts .c{display:inline-block;padding:1px 8px;border-radius:10px;background:var(--bg);margin-right:4px}
.c.failed{color:var(--bad)}.c.passed{color:var(--ok)}.c.warn{color:var(--warn)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}dt{color:var(--mut)}dd{margin:0}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}pre{white-space:pre-wrap;word-break:break-all;margin:2px 0}
.cmd{background:var(--bg);padding:2px 6px;border-radius:4px}
#broke{background:#fff8f8;border-bottom:1px solid var(--line);padding-bottom:8px}#broke ul{margin:4px 0 8px}
.g.okta-required,.g.rfc-must{color:var(--bad)}.g.rfc-should,.g.okta-tolerated{color:var(--warn)}
nav.filters{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding-top:6px;padding-bottom:6px;z-index:2}
#f-count{color:var(--mut);margin-left:8px}
article.scenario{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:8px 12px;content-visibility:auto;contain-intrinsic-size:auto 400px}
article.st-failed{border-left:4px solid var(--bad)}article.st-passed{border-left:4px solid var(--ok)}article.st-skipped{border-left:4px solid var(--line)}
.badge{font-size:11px;font-weight:700;padding:1px 6px;border-radius:4px;color:#fff;background:var(--mut)}
.badge.passed{background:var(--ok)}.badge.failed{background:var(--bad)}
.perma{color:var(--mut);text-decoration:none}.tags,.dur,.checks{color:var(--mut);font-size:12px}
.reason{color:var(--bad)}.note{background:#fff8c5;padding:2px 6px}
.check{border:1px solid var(--line);border-left:4px solid var(--bad);background:#fff8f8;padding:4px 8px;margin:6px 0}
.check.warn{border-left-color:var(--warn);background:#fffbe6}.check p{margin:0}.diff{background:#fff;border:1px solid var(--line);padding:4px}
.seq{margin-top:8px;border-top:1px dashed var(--line)}
.row{display:flex}.row.head{padding:4px 0;font-weight:600;color:var(--mut);font-size:12px}
.names{flex:1;display:flex;justify-content:space-between}
details.ex>summary{list-style:none;display:grid;grid-template-columns:86px 1fr 220px;cursor:pointer}
details.ex>summary>*{padding-top:var(--g,0)}
details.ex>summary::-webkit-details-marker{display:none}
.t{font-size:11px;color:var(--mut);margin-top:4px}
.lanes{flex:1;border-left:2px solid #8c959f;border-right:2px solid #8c959f;padding:0 2px}
.msg{display:block;position:relative;height:22px}
.msg::before{content:"";position:absolute;left:0;right:0;top:15px;border-top:2px solid #24292f}
.msg.resp::before{border-top-style:dashed}
.msg.req::after{content:"";position:absolute;right:-2px;top:10px;border:6px solid transparent;border-left:9px solid #24292f;border-right:0}
.msg.resp::after{content:"";position:absolute;left:-2px;top:10px;border:6px solid transparent;border-right:9px solid #24292f;border-left:0}
.lbl{position:relative;z-index:1;display:block;text-align:center;font:12px ui-monospace,monospace;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:0 14px;line-height:14px}
.resp.ok .lbl{color:var(--ok)}.resp.error .lbl,.resp.none .lbl{color:var(--bad)}.resp.throttled .lbl,.resp.redirect .lbl{color:var(--warn)}
.resp.error::before,.resp.none::before{border-top-color:var(--bad)}.resp.error::after,.resp.none::after{border-right-color:var(--bad)}
.marks{color:var(--bad);font-size:12px;margin:4px 0 0 8px;overflow:hidden}
.row.head .t,.row.head .marks{width:86px;flex:none}.row.head .marks{width:220px}
details.ex.has-fail>summary .lanes{background:#ffebe9}
details.ex>summary:hover .lanes{background:#eaeef2}
details.ex[open]>summary .lanes{background:#ddf4ff}
.detail{margin:4px 0 10px 86px;border:1px solid var(--line);padding:6px 10px;background:#fff}.detail:empty{display:none}
.detail .meta{color:var(--mut);font-size:12px;margin:0 0 4px}
.msgs{display:grid;grid-template-columns:1fr 1fr;gap:12px}.msgs>div{min-width:0}
.head{background:var(--bg);padding:4px}.body{background:#fff;border:1px solid var(--line);padding:4px;max-height:480px;overflow:auto}
.events{font-size:12px;background:var(--bg);padding:4px 8px;margin:4px 0}.events ul{margin:2px 0}
#references pre{background:var(--bg);padding:6px}
"#;

/// Filters (failed only, grade, tag, text), and opening whatever a permalink points at.
const SCRIPT: &str = r#"(function(){
var q=function(s){return document.querySelector(s)};
var all=Array.prototype.slice.call(document.querySelectorAll('main article.scenario[id]'));
function apply(){
 var failed=q('#f-failed').checked,grade=q('#f-grade').value,tag=q('#f-tag').value,text=q('#f-text').value.trim().toLowerCase(),n=0;
 all.forEach(function(a){
  var d=a.dataset,show=(!failed||d.status==='failed')&&(!grade||d.grades.split(' ').indexOf(grade)>=0)&&(!tag||d.tags.split(' ').indexOf(tag)>=0)&&(!text||d.text.indexOf(text)>=0);
  a.hidden=!show;if(show)n++;});
 Array.prototype.forEach.call(document.querySelectorAll('main section.feature'),function(f){f.hidden=!f.querySelector('article.scenario:not([hidden])');});
 q('#f-count').textContent=n+' of '+all.length+' scenarios';
}
var data=null;
function fill(ex){
 var d=ex.querySelector('.detail');if(!d||d.firstChild)return;
 if(!data){var el=document.getElementById('okta-sim-details');data=el?JSON.parse(el.textContent):{};}
 var html=data[ex.id.slice(2)];if(html)d.innerHTML=html;
}
document.addEventListener('click',function(e){var s=e.target.closest&&e.target.closest('details.ex>summary');if(s)fill(s.parentElement);},true);
document.addEventListener('toggle',function(e){if(e.target.matches&&e.target.matches('details.ex')&&e.target.open)fill(e.target);},true);
function reveal(){
 var id=decodeURIComponent(location.hash.slice(1)),el=id&&document.getElementById(id);if(!el)return;
 for(var p=el;p;p=p.parentElement){if(p.tagName==='DETAILS'){p.open=true;if(p.matches('details.ex'))fill(p);}if(p.hidden)p.hidden=false;}
 el.scrollIntoView();
}
['#f-failed','#f-grade','#f-tag','#f-text'].forEach(function(s){q(s).addEventListener('input',apply);q(s).addEventListener('change',apply);});
window.addEventListener('hashchange',reveal);
Array.prototype.forEach.call(document.querySelectorAll('details.ex[open]'),fill);
apply();reveal();
document.documentElement.dataset.ready=String(Math.round(performance.now()));
})();"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(body: &str) -> Value {
        json!({
            "tool": "okta-sim", "version": "0", "target": "http://t/scim/v2", "app_kind": "oin",
            "seed": 7, "command": "okta-sim check --seed 7",
            "summary": {"passed": 0, "failed": 1, "skipped": 0, "warnings": 0, "blocking_failures": 1},
            "scenarios": [{
                "feature": "Deactivate", "scenario": "A <b>user</b>", "tags": ["@users"],
                "steps": ["Given a user"], "outcome": {"status": "failed", "reason": "a check failed"},
                "duration_ms": 3.0,
                "checks": [{"id": "users.deactivate.status", "grade": "okta-required",
                            "source": "okta-scim-wire §5.1, quirk 3, RFC 7644 §3.5.2", "passed": false,
                            "sent": "PATCH /Users/1", "got": "500", "needed": "200", "why": "Okta says so",
                            "exchange": 1}]
            }],
            "exchanges": [{
                "label": "deactivate", "started": "2026-01-01T00:00:00.000Z", "elapsed_ms": 2.0,
                "url": "http://t/scim/v2/Users/1", "attempt": 1, "seq": 1,
                "scenario": "Deactivate/A <b>user</b>",
                "request": {"method": "PATCH", "path": "/Users/1", "headers": [["Authorization", "Bearer ab…(20 chars)"]], "body": "{}"},
                "response": {"status": 500, "headers": [], "body": body}
            }],
            "events": []
        })
    }

    #[test]
    fn what_the_target_sent_is_escaped_everywhere() {
        let hostile = "</pre><script>alert(1)</script><img src=x onerror=alert(2)>\"'";
        let html = render(&report(hostile));
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // Only the report's own script, allowed by its hash.
        assert_eq!(html.matches("<script>").count(), 1);
        assert!(html.contains(&format!("script-src 'sha256-{}'", script_hash())));
        assert!(html.contains("A &lt;b&gt;user&lt;/b&gt;"));
    }

    #[test]
    fn a_failed_check_links_its_exchange_and_its_cited_sections() {
        let html = render(&report("{\"detail\":\"boom\"}"));
        assert!(html.contains("href=\"#x-1\""));
        assert!(html.contains("id=\"x-1\""));
        assert!(html.contains("class=\"ex has-fail\""));
        assert!(html.contains("href=\"#ref-okta-scim-wire-5.1\""));
        assert!(html.contains("id=\"ref-okta-scim-wire-5.1\""));
        assert!(html.contains("### 5.1 OIN and template apps: PATCH"));
        assert!(html.contains("id=\"ref-okta-scim-wire-Quirks\""));
        assert!(html.contains("https://www.rfc-editor.org/rfc/rfc7644#section-3.5.2"));
        // The body is pretty-printed.
        assert!(html.contains("&quot;detail&quot;: &quot;boom&quot;"));
    }

    #[test]
    fn long_bodies_are_cut_with_a_marker() {
        let html = render(&report(&"x".repeat(BODY_CHARS + 10)));
        assert!(html.contains(&format!(
            "the first {BODY_CHARS} of {} characters are shown",
            BODY_CHARS + 10
        )));
        assert!(!html.contains(&"x".repeat(BODY_CHARS + 1)));
    }

    #[test]
    fn a_saml_response_is_decoded() {
        use base64::Engine as _;
        let xml = "<samlp:Response><saml:Assertion>a</saml:Assertion></samlp:Response>";
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("SAMLResponse", &b64)
            .finish();
        assert_eq!(
            saml_response(&body).as_deref(),
            Some("<samlp:Response>\n<saml:Assertion>a</saml:Assertion>\n</samlp:Response>")
        );
        assert!(saml_response("a=b").is_none());
        // An excerpt: the XML up to the cut, marked.
        let long = base64::engine::general_purpose::STANDARD.encode(xml.repeat(20));
        let excerpt = format!("SAMLResponse={}…[cut: 9999 bytes in all]", &long[..301]);
        let shown = saml_response(&excerpt).unwrap();
        assert!(
            shown.starts_with("<samlp:Response>\n<saml:Assertion>"),
            "{shown}"
        );
        assert!(shown.ends_with("a transcript keeps it whole]"), "{shown}");
    }
}
