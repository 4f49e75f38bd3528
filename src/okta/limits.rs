//! The bounds of a run, shared by every client of it: a deadline no wait outlives, the number
//! of timeouts after which a target is given up, the largest answer read, and the redactor of
//! the credential. Whatever a target does (answer slowly, never, hugely, or always 429), a run
//! ends by its deadline with everything it sent and received accounted for.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::redact::Redactor;

/// How long the simulated Okta's clients keep an idle connection for the next request: under
/// the 5 s after which Node.js's HTTP server (and the reference app) close one.
pub const POOL_IDLE: Duration = Duration::from_secs(4);
/// The deadline of a run when none is given: long enough for any real server's whole suite
/// (the embedded app's takes about a second), short enough for a CI job.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);
/// The longest deadline accepted.
pub const MAX_DEADLINE: Duration = Duration::from_secs(24 * 3600);
/// After this many timeouts in a row the target is considered gone.
pub const TIMEOUTS_IN_A_ROW: u32 = 2;
/// After this many timeouts in all the target is given up, even if it answers in between.
pub const TIMEOUTS_IN_ALL: u32 = 6;
/// Answers larger than this are cut off and reported as an error (a SCIM page of 1,000 full
/// users is a few megabytes).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Answers larger than this that are JSON are kept in their compact form when that is smaller
/// (whitespace padding costs no memory; what the JSON says is unchanged, key order included).
pub const COMPACT_ABOVE: usize = 64 * 1024;
/// The most answer bytes one operation holds until it is graded (an import's pages, say):
/// past it, an answer is kept as an excerpt, which fails the checks that read it, and the
/// operation says why. Forty-eight megabytes is some fifty thousand users of import.
pub const OP_ANSWER_BUDGET: usize = 48 * 1024 * 1024;

/// A JSON body larger than [`COMPACT_ABOVE`] in its compact form, with its size as received;
/// anything else unchanged.
pub fn compact_json(body: String) -> (String, Option<usize>) {
    if body.len() <= COMPACT_ABOVE {
        return (body, None);
    }
    match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(v) => match serde_json::to_string(&v) {
            Ok(c) if c.len() < body.len() => {
                let received = body.len();
                (c, Some(received))
            }
            _ => (body, None),
        },
        Err(_) => (body, None),
    }
}

/// The shared bounds of one run.
#[derive(Debug)]
pub struct RunLimits {
    deadline: Instant,
    budget: Duration,
    in_a_row: AtomicU32,
    in_all: AtomicU32,
    /// Removes the credential from whatever is kept or written.
    pub redactor: Redactor,
    /// The run's clock (`--clock` fixes it).
    pub clock: crate::timestamp::RunClock,
}

impl RunLimits {
    /// Bounds for a run that starts now and must end within `budget` (at most [`MAX_DEADLINE`]).
    pub fn new(budget: Duration, redactor: Redactor) -> Self {
        let budget = budget.min(MAX_DEADLINE);
        RunLimits {
            deadline: Instant::now() + budget,
            budget,
            in_a_row: AtomicU32::new(0),
            in_all: AtomicU32::new(0),
            redactor,
            clock: crate::timestamp::RunClock::real(),
        }
    }

    /// The same bounds, reading time from `clock`.
    pub fn with_clock(mut self, clock: crate::timestamp::RunClock) -> Self {
        self.clock = clock;
        self
    }

    /// When an exchange started, and how long it took (0 under a fixed clock, whose times are
    /// not measurements).
    pub fn elapsed_ms(&self, since: Instant) -> f64 {
        if self.clock.is_fixed() {
            0.0
        } else {
            since.elapsed().as_secs_f64() * 1000.0
        }
    }

    /// When the run must be over.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The run's whole budget, for messages.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The time left.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// Why nothing more may be sent to the target, if so.
    pub fn refusal(&self) -> Option<String> {
        if self.expired() {
            return Some(format!(
                "not sent: the run's deadline ({} s, --deadline) has passed",
                self.budget.as_secs()
            ));
        }
        let (row, all) = (
            self.in_a_row.load(Ordering::Relaxed),
            self.in_all.load(Ordering::Relaxed),
        );
        if row >= TIMEOUTS_IN_A_ROW {
            return Some(format!(
                "not sent: the target stopped answering ({row} requests in a row timed out)"
            ));
        }
        if all >= TIMEOUTS_IN_ALL {
            return Some(format!(
                "not sent: the target was given up after {all} timeouts in this run"
            ));
        }
        None
    }

    /// The timeout of one request: `wanted`, or less when the deadline is nearer.
    pub fn request_timeout(&self, wanted: Duration) -> Duration {
        wanted.min(self.remaining()).max(Duration::from_millis(1))
    }

    /// A wait the target asked for, if it ends before the deadline.
    pub fn wait_allowed(&self, wait: Duration) -> bool {
        wait < self.remaining()
    }

    /// The target answered.
    pub fn answered(&self) {
        self.in_a_row.store(0, Ordering::Relaxed);
    }

    /// A request to the target timed out.
    pub fn timed_out(&self) {
        self.in_a_row.fetch_add(1, Ordering::Relaxed);
        self.in_all.fetch_add(1, Ordering::Relaxed);
    }
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits::new(DEFAULT_DEADLINE, Redactor::none())
    }
}

/// A response's headers as okta-sim keeps them: names and values in order, bytes that are not
/// UTF-8 replaced.
pub fn headers_of(resp: &reqwest::Response) -> Vec<(String, String)> {
    resp.headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Read an answer's body, at most `max` bytes (a longer one is an error, and the rest is never
/// read). `Err((timed_out, why))`.
pub async fn read_body(
    resp: &mut reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, (bool, String)> {
    if let Some(len) = resp.content_length()
        && len > max as u64
    {
        return Err((
            false,
            format!("the response body is {len} bytes, more than the {max} okta-sim reads"),
        ));
    }
    let mut bytes = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > max {
                    return Err((
                        false,
                        format!("the response body is larger than the {max} bytes okta-sim reads"),
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(e) => {
                return Err((
                    e.is_timeout(),
                    format!("reading the response body failed: {}", describe(&e)),
                ));
            }
        }
    }
}

/// A transport error in words, with every cause.
pub fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_in_a_row_and_in_all_give_the_target_up() {
        let l = RunLimits::default();
        l.timed_out();
        l.answered();
        assert!(l.refusal().is_none());
        l.timed_out();
        l.timed_out();
        assert!(l.refusal().unwrap().contains("in a row"));
        // A target that answers every other request still runs out.
        let l = RunLimits::default();
        for _ in 0..TIMEOUTS_IN_ALL {
            assert!(l.refusal().is_none());
            l.timed_out();
            l.answered();
        }
        assert!(l.refusal().unwrap().contains("given up"));
    }

    #[test]
    fn padded_json_is_kept_compact_and_other_bodies_unchanged() {
        let padded = format!(
            "{{\"a\": [1, 2],\n \"b\": \"x y\"}}{}",
            " ".repeat(COMPACT_ABOVE)
        );
        let (c, received) = compact_json(padded.clone());
        assert_eq!(c, r#"{"a":[1,2],"b":"x y"}"#);
        assert_eq!(received, Some(padded.len()));
        let html = format!("<html>{}</html>", " ".repeat(COMPACT_ABOVE));
        assert_eq!(compact_json(html.clone()), (html, None));
        assert_eq!(compact_json("{ }".into()), ("{ }".to_string(), None));
    }

    #[test]
    fn the_deadline_bounds_timeouts_and_waits() {
        let l = RunLimits::new(Duration::from_secs(5), Redactor::none());
        assert!(l.request_timeout(Duration::from_secs(60)) <= Duration::from_secs(5));
        assert!(!l.wait_allowed(Duration::from_secs(100_000)));
        assert!(l.wait_allowed(Duration::from_secs(1)));
        let over = RunLimits::new(Duration::ZERO, Redactor::none());
        assert!(over.refusal().unwrap().contains("deadline"));
        assert_eq!(
            RunLimits::new(Duration::MAX, Redactor::none()).budget(),
            MAX_DEADLINE
        );
    }
}
