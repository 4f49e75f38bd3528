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

#[cfg(test)]
mod tests {
    #[test]
    fn utc_with_milliseconds() {
        let t = time::macros::datetime!(2016-03-15 00:21:40.409 +02:00);
        assert_eq!(super::format(t), "2016-03-14T22:21:40.409Z");
        assert!(super::now().ends_with('Z') && super::now().len() == 24);
    }
}
