//! The one timestamp form okta-sim writes: UTC with milliseconds, `2026-11-22T12:00:00.123Z`.
//! Okta writes SAML instants this way (okta-saml §1.2); SCIM `meta` and transcripts use it too.

use time::OffsetDateTime;

/// `t` in UTC with milliseconds.
pub fn format(t: OffsetDateTime) -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// The current time in that form.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// The clock of a run: real time, or (`--clock`) a fixed start that advances one millisecond
/// each time it is read, so a run made again reads the same times in the same order.
#[derive(Debug, Default)]
pub struct RunClock {
    fixed: Option<(OffsetDateTime, std::sync::atomic::AtomicU64)>,
}

impl RunClock {
    /// Real time.
    pub fn real() -> Self {
        RunClock { fixed: None }
    }

    /// A clock starting at `start`, one millisecond per reading.
    pub fn fixed(start: OffsetDateTime) -> Self {
        RunClock {
            fixed: Some((start, std::sync::atomic::AtomicU64::new(0))),
        }
    }

    /// Whether it is a fixed clock.
    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }

    /// The time now.
    pub fn now_time(&self) -> OffsetDateTime {
        match &self.fixed {
            None => OffsetDateTime::now_utc(),
            Some((start, ticks)) => {
                let n = ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                *start + time::Duration::milliseconds(n as i64)
            }
        }
    }

    /// The time now, RFC 3339 with milliseconds.
    pub fn now(&self) -> String {
        format(self.now_time())
    }
}

/// An RFC 3339 time (`--clock`).
pub fn parse(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-01-01T00:00:00Z: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_with_milliseconds() {
        let t = time::macros::datetime!(2016-03-15 00:21:40.409 +02:00);
        assert_eq!(super::format(t), "2016-03-14T22:21:40.409Z");
        assert!(super::now().ends_with('Z') && super::now().len() == 24);
    }
}
