//! Where the exchanges of a run go. Memory holds a bounded excerpt of each (the full answer is
//! only held while it is graded); the transcript file, when asked for, gets each exchange as it
//! happens, bodies up to a cap, the whole file up to a cap. Every exchange is redacted (the
//! credential, wherever the target echoed it) and its Authorization header masked before it is
//! kept or written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::auth::mask;
use super::exchange::{Exchange, WireRequest, WireResponse};
use super::redact::Redactor;

/// The bytes of a body kept in memory for the run's outcome.
pub const KEPT_BODY_BYTES: usize = 4 * 1024;
/// The bytes of a body written to the transcript.
pub const TRANSCRIPT_BODY_BYTES: usize = 1024 * 1024;
/// Past this size the transcript keeps only excerpts of bodies.
pub const TRANSCRIPT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Exchanges kept in memory at most; later ones are counted, and still written to the transcript.
pub const MAX_KEPT_EXCHANGES: usize = 100_000;

/// The exchanges of a run.
#[derive(Debug)]
pub struct ExchangeLog {
    inner: Mutex<Inner>,
    redactor: Redactor,
    /// Exchanges kept in memory at most.
    keep: usize,
}

#[derive(Debug, Default)]
struct Inner {
    /// Exchanges recorded so far.
    recorded: u64,
    /// The scenario under way (`feature/scenario`), stamped on what is recorded meanwhile.
    scenario: Option<String>,
    kept: Vec<Exchange>,
    not_kept: usize,
    transcript: Option<Transcript>,
    har: Option<Transcript>,
}

/// How a streamed file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// okta-sim's transcript: a JSON array of exchanges.
    Exchanges,
    /// HAR 1.2: `{"log":{…,"entries":[…]}}`.
    Har,
}

#[derive(Debug)]
struct Transcript {
    path: PathBuf,
    out: BufWriter<File>,
    written: u64,
    entries: usize,
    error: Option<String>,
    format: Format,
}

/// The opening of a HAR 1.2 file, up to its entries.
fn har_prelude() -> String {
    format!(
        "{{\"log\":{{\"version\":\"1.2\",\"creator\":{{\"name\":\"okta-sim\",\"version\":\"{}\",\"comment\":\"the requests of a simulated Okta, the credential redacted\"}},\"pages\":[],\"entries\":[",
        env!("CARGO_PKG_VERSION")
    )
}

/// One exchange as a HAR 1.2 entry: okta-sim's label, attempt and transaction id in `comment`;
/// an exchange without an answer has status 0 and the reason in the response's comment.
pub fn har_entry(ex: &Exchange) -> serde_json::Value {
    use serde_json::json;
    let header = |hs: &[(String, String)], name: &str| {
        hs.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let pairs = |hs: &[(String, String)]| {
        hs.iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect::<Vec<_>>()
    };
    let query: Vec<serde_json::Value> = ex
        .url
        .split_once('?')
        .map(|(_, q)| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    let mut request = json!({
        "method": ex.request.method,
        "url": ex.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": pairs(&ex.request.headers),
        "queryString": query,
        "headersSize": -1,
        "bodySize": ex.request.body.as_ref().map_or(0, String::len),
    });
    if let Some(b) = &ex.request.body {
        request["postData"] = json!({
            "mimeType": header(&ex.request.headers, "content-type").unwrap_or_default(),
            "text": b,
        });
    }
    let response = match &ex.response {
        Some(r) => json!({
            "status": r.status,
            "statusText": reqwest::StatusCode::from_u16(r.status).ok().and_then(|s| s.canonical_reason()).unwrap_or(""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": pairs(&r.headers),
            "content": {
                "size": r.as_received.unwrap_or(r.body.len()),
                "mimeType": header(&r.headers, "content-type").unwrap_or_default(),
                "text": r.body,
            },
            "redirectURL": header(&r.headers, "location").unwrap_or_default(),
            "headersSize": -1,
            "bodySize": r.as_received.unwrap_or(r.body.len()),
        }),
        None => json!({
            "status": 0,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "comment": ex.error.clone().unwrap_or_default(),
        }),
    };
    let mut comment = format!("okta-sim: {} (attempt {})", ex.label, ex.attempt);
    if let Some(t) = &ex.transaction {
        comment.push_str(&format!("; transaction {t}"));
    }
    json!({
        "startedDateTime": ex.started,
        "time": ex.elapsed_ms,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": ex.elapsed_ms, "receive": 0},
        "comment": comment,
    })
}

impl Transcript {
    fn write(&mut self, ex: &Exchange, redactor: &Redactor) {
        if self.error.is_some() {
            return;
        }
        let cap = if self.written < TRANSCRIPT_MAX_BYTES {
            TRANSCRIPT_BODY_BYTES
        } else {
            KEPT_BODY_BYTES
        };
        let kept = excerpted(ex, cap, redactor);
        let entry = match self.format {
            Format::Exchanges => serde_json::to_string_pretty(&kept),
            Format::Har => serde_json::to_string(&har_entry(&kept)),
        };
        let entry = match entry {
            Ok(t) => t,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        let sep = match (self.entries, self.format) {
            (0, Format::Exchanges) => "[\n".to_string(),
            (0, Format::Har) => format!("{}\n", har_prelude()),
            _ => ",\n".to_string(),
        };
        let result = self
            .out
            .write_all(sep.as_bytes())
            .and_then(|_| self.out.write_all(entry.as_bytes()));
        match result {
            Ok(()) => {
                self.written += (sep.len() + entry.len()) as u64;
                self.entries += 1;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn finish(&mut self) -> Result<(), String> {
        let end = match (self.entries, self.format) {
            (0, Format::Exchanges) => "[]\n".to_string(),
            (_, Format::Exchanges) => "\n]\n".to_string(),
            (0, Format::Har) => format!("{}]}}}}\n", har_prelude()),
            (_, Format::Har) => "\n]}}\n".to_string(),
        };
        let result = self
            .out
            .write_all(end.as_bytes())
            .and_then(|_| self.out.flush());
        let error = match (self.error.take(), result) {
            (Some(e), _) => e,
            (None, Err(e)) => e.to_string(),
            (None, Ok(())) => return Ok(()),
        };
        Err(format!(
            "cannot write {} {}: {error}",
            match self.format {
                Format::Exchanges => "the transcript",
                Format::Har => "the HAR file",
            },
            self.path.display()
        ))
    }

    fn create(path: &Path, format: Format) -> Result<Transcript, String> {
        let file =
            File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Transcript {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            written: 0,
            entries: 0,
            error: None,
            format,
        })
    }
}

/// At most the first `max` bytes of `text`, on a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` redacted and cut to at most `max` bytes, saying how long it was, in a string of its
/// own (never holding the original's memory). The redaction covers a margin past the cut, so a
/// secret that straddles the cut is redacted too.
pub fn excerpt(text: &str, max: usize, redactor: &Redactor) -> String {
    let head = redactor.redact(prefix(text, max.saturating_add(redactor.longest())));
    if text.len() <= max && head.len() <= max {
        return head.into_owned();
    }
    format!("{}…[cut: {} bytes in all]", prefix(&head, max), text.len())
}

/// A copy of the exchange to keep or write: bodies as excerpts of at most `max` bytes, the
/// credential redacted everywhere, the Authorization header masked.
fn excerpted(ex: &Exchange, max: usize, r: &Redactor) -> Exchange {
    let text = |s: &str| r.redact(s).into_owned();
    Exchange {
        label: ex.label.clone(),
        started: ex.started.clone(),
        elapsed_ms: ex.elapsed_ms,
        url: text(&ex.url),
        request: WireRequest {
            method: ex.request.method.clone(),
            path: text(&ex.request.path),
            headers: ex
                .request
                .headers
                .iter()
                .map(|(k, v)| {
                    let v = if k.eq_ignore_ascii_case("authorization") && !v.contains('…') {
                        mask(v)
                    } else {
                        text(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
            body: ex.request.body.as_deref().map(|b| excerpt(b, max, r)),
        },
        response: ex.response.as_ref().map(|resp| WireResponse {
            status: resp.status,
            headers: resp
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), text(v)))
                .collect(),
            body: excerpt(&resp.body, max, r),
            as_received: resp.as_received,
        }),
        error: ex.error.as_deref().map(text),
        attempt: ex.attempt,
        transaction: ex.transaction.clone(),
        seq: ex.seq,
        scenario: ex.scenario.clone(),
    }
}

impl ExchangeLog {
    /// A log kept in memory only, redacting with `redactor`.
    pub fn new(redactor: Redactor) -> Self {
        ExchangeLog {
            inner: Mutex::new(Inner::default()),
            redactor,
            keep: MAX_KEPT_EXCHANGES,
        }
    }

    /// A log that keeps no exchange in memory, only counts them (a load run's: its figures
    /// are measured apart, and its memory must not grow with its length).
    pub fn counting(redactor: Redactor) -> Self {
        ExchangeLog {
            keep: 0,
            ..ExchangeLog::new(redactor)
        }
    }

    /// A log that also streams every exchange to a transcript file at `path` (created now).
    pub fn with_transcript(redactor: Redactor, path: &Path) -> Result<Self, String> {
        let log = ExchangeLog::new(redactor);
        log.lock().transcript = Some(
            Transcript::create(path, Format::Exchanges)
                .map_err(|e| format!("the transcript: {e}"))?,
        );
        Ok(log)
    }

    /// Also stream every exchange to a HAR 1.2 file at `path` (created now).
    pub fn add_har(&self, path: &Path) -> Result<(), String> {
        self.lock().har =
            Some(Transcript::create(path, Format::Har).map_err(|e| format!("the HAR file: {e}"))?);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The exchange as okta-sim may write it: the credential redacted wherever it appears, the
    /// Authorization header masked, bodies whole.
    pub fn clean(&self, ex: &Exchange) -> Exchange {
        excerpted(ex, usize::MAX, &self.redactor)
    }

    /// The scenario the exchanges recorded from now on belong to (scenarios run one at a
    /// time); `None` between scenarios.
    pub fn set_scenario(&self, scenario: Option<&str>) {
        self.lock().scenario = scenario.map(String::from);
    }

    /// Record one exchange: numbered and given the scenario under way (on `ex` too, so the
    /// checks that judge it can name it), written to the transcript (bodies capped), kept as an
    /// excerpt.
    pub fn record(&self, ex: &mut Exchange) {
        let mut inner = self.lock();
        inner.recorded += 1;
        ex.seq = inner.recorded;
        ex.scenario.clone_from(&inner.scenario);
        if let Some(t) = inner.transcript.as_mut() {
            t.write(ex, &self.redactor);
        }
        if let Some(h) = inner.har.as_mut() {
            h.write(ex, &self.redactor);
        }
        if inner.kept.len() < self.keep {
            inner
                .kept
                .push(excerpted(ex, KEPT_BODY_BYTES, &self.redactor));
        } else {
            inner.not_kept += 1;
        }
    }

    /// The exchanges kept (bodies as excerpts), in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().kept.clone()
    }

    /// How many exchanges there were beyond those kept.
    pub fn not_kept(&self) -> usize {
        self.lock().not_kept
    }

    /// Close the transcript and the HAR file (if any): each ends, each is flushed.
    pub fn finish(&self) -> Result<(), String> {
        let mut inner = self.lock();
        let t = inner.transcript.as_mut().map_or(Ok(()), Transcript::finish);
        let h = inner.har.as_mut().map_or(Ok(()), Transcript::finish);
        t.and(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::auth::Auth;
    use crate::okta::redact::REDACTED;

    fn exchange(body: &str) -> Exchange {
        Exchange {
            label: "x".into(),
            started: String::new(),
            elapsed_ms: 0.0,
            url: "http://t/scim/Users".into(),
            request: WireRequest::okta(
                "GET",
                "/Users".into(),
                None,
                &Auth::Bearer("tok-0123456789".into()),
            ),
            response: Some(WireResponse {
                status: 200,
                headers: vec![("X-Echo".into(), "Bearer tok-0123456789".into())],
                body: body.into(),
                as_received: None,
            }),
            error: None,
            attempt: 1,
            transaction: None,
            seq: 0,
            scenario: None,
        }
    }

    #[test]
    fn kept_exchanges_are_excerpts_without_the_credential() {
        let log = ExchangeLog::new(Redactor::for_auth(&Auth::Bearer("tok-0123456789".into())));
        let big = format!("{{\"echo\":\"tok-0123456789\"}}{}", " ".repeat(1 << 20));
        log.record(&mut exchange(&big));
        let kept = log.exchanges();
        let r = kept[0].response.as_ref().unwrap();
        assert!(r.body.len() < KEPT_BODY_BYTES + 100, "{}", r.body.len());
        assert!(r.body.contains(REDACTED) && !r.body.contains("tok-0123456789"));
        assert!(r.body.contains("bytes in all]"));
        assert!(!r.headers[0].1.contains("tok-0123456789"));
        let auth = kept[0].request.header("authorization").unwrap();
        assert!(!auth.contains("tok-0123456789"), "{auth}");
    }

    #[test]
    fn the_transcript_is_one_json_array_with_capped_bodies() {
        let path = std::env::temp_dir().join(format!("okta-sim-log-{}.json", std::process::id()));
        let log = ExchangeLog::with_transcript(Redactor::none(), &path).unwrap();
        log.record(&mut exchange("{}"));
        log.record(&mut exchange(&"x".repeat(TRANSCRIPT_BODY_BYTES + 10)));
        log.finish().unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(v.as_array().unwrap().len(), 2);
        let body = v[1]["response"]["body"].as_str().unwrap();
        assert!(body.len() < TRANSCRIPT_BODY_BYTES + 100);
    }

    #[test]
    fn excerpts_respect_characters_and_redact_across_the_cut() {
        assert_eq!(
            excerpt("ééé", 3, &Redactor::none()),
            "é…[cut: 6 bytes in all]"
        );
        assert_eq!(excerpt("short", 10, &Redactor::none()), "short");
        let r = Redactor::for_auth(&Auth::Bearer("tok-0123456789".into()));
        // The token starts before the cut and ends after it: no part of it is kept.
        let text = format!("{}tok-0123456789{}", "a".repeat(10), "b".repeat(100));
        let e = excerpt(&text, 15, &r);
        assert!(!e.contains("tok-"), "{e}");
        let kept = excerpt(&"x".repeat(1 << 20), 100, &r);
        assert!(
            kept.capacity() < 1024,
            "an excerpt holds {} bytes",
            kept.capacity()
        );
    }
}
