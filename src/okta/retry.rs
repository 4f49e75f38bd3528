//! Okta's 429 policy (okta-scim-wire §9, quirk 27): wait the integer `Retry-After` seconds when
//! the server gives one, otherwise 5 minutes, doubling on every further 429, at most 10 tries in
//! all; an HTTP-date or any other non-integer `Retry-After` counts as absent. Other errors are
//! not retried (§9: the task fails until an admin retries it). A time scale lets tests run the
//! policy without waiting.

use std::time::Duration;

/// How Okta retries a 429.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// The wait when the server gives no usable `Retry-After`.
    pub default_wait: Duration,
    /// Multiplies every wait: 1.0 is Okta's real timing, 0.0 retries at once.
    pub time_scale: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            default_wait: Duration::from_secs(300),
            time_scale: 1.0,
        }
    }
}

impl RetryPolicy {
    /// The wait before try number `attempt + 1`, after `attempt` tries (1-based) ended in 429.
    /// Any `Retry-After` and any time scale give a wait (saturating at [`Duration::MAX`]): the
    /// run's deadline decides whether it is waited.
    pub fn wait(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        let base = match retry_after
            .map(str::trim)
            .and_then(|s| s.parse::<u64>().ok())
        {
            Some(secs) => Duration::from_secs(secs),
            None => self
                .default_wait
                .saturating_mul(1u32 << attempt.saturating_sub(1).min(20)),
        };
        scale(base, self.time_scale)
    }
}

/// `d` times `factor`, saturating; a negative or NaN factor is 0.
fn scale(d: Duration, factor: f64) -> Duration {
    if factor.is_nan() || factor <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_retry_after_is_honoured() {
        let p = RetryPolicy::default();
        assert_eq!(p.wait(1, Some("7")), Duration::from_secs(7));
        assert_eq!(p.wait(3, Some(" 120 ")), Duration::from_secs(120));
    }

    #[test]
    fn otherwise_five_minutes_doubling() {
        let p = RetryPolicy::default();
        assert_eq!(p.wait(1, None), Duration::from_secs(300));
        assert_eq!(p.wait(2, None), Duration::from_secs(600));
        assert_eq!(
            p.wait(3, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            Duration::from_secs(1200)
        );
        assert_eq!(p.wait(2, Some("1.5")), Duration::from_secs(600));
    }

    #[test]
    fn time_scale_shrinks_waits() {
        let p = RetryPolicy {
            time_scale: 0.001,
            ..RetryPolicy::default()
        };
        assert_eq!(p.wait(1, None), Duration::from_millis(300));
        let p = RetryPolicy {
            time_scale: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.wait(9, None), Duration::ZERO);
    }

    #[test]
    fn huge_numbers_saturate_instead_of_panicking() {
        let p = RetryPolicy::default();
        assert!(p.wait(1, Some("18446744073709551615")) >= Duration::from_secs(u64::MAX));
        let p = RetryPolicy {
            time_scale: 1e300,
            ..RetryPolicy::default()
        };
        assert_eq!(p.wait(1, Some("100000")), Duration::MAX);
        assert_eq!(p.wait(u32::MAX, None), Duration::MAX);
        let p = RetryPolicy {
            time_scale: f64::NAN,
            ..RetryPolicy::default()
        };
        assert_eq!(p.wait(1, Some("5")), Duration::ZERO);
    }
}
