//! Keeping the credential out of everything okta-sim writes. A target may echo the token back
//! (in a body, a header, an id it then sends us to): every answer is redacted as it arrives, and
//! everything written (console, reports, transcript) passes through the same redactor again.

use std::borrow::Cow;

use base64::Engine;

use super::auth::Auth;

/// What replaces a secret.
pub const REDACTED: &str = "[credential redacted]";

/// Secrets shorter than this are not searched for in free text: they cannot be told apart from
/// ordinary words (the whole Authorization value is still masked wherever okta-sim writes it).
pub const MIN_SECRET_LEN: usize = 8;

/// The forms of a credential that must never be written. Clones share their secrets: one
/// learnt later (an OAuth token issued during the run) is redacted by every clone.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: std::sync::Arc<std::sync::RwLock<Vec<String>>>,
}

/// Each form a secret may be written in: as is, JSON-escaped and percent-encoded.
fn forms(s: &str) -> [String; 3] {
    let json = serde_json::to_string(s).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let url: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
    [s.to_string(), json, url]
}

impl Redactor {
    /// A redactor that removes nothing.
    pub fn none() -> Self {
        Redactor::default()
    }

    /// The secrets of `auth`: the header value, the token or password, `user:password` and its
    /// base64, each also as JSON-escaped and percent-encoded text.
    pub fn for_auth(auth: &Auth) -> Self {
        let mut raw = vec![auth.header_value()];
        match auth {
            Auth::Header(v) => {
                raw.push(v.clone());
                if let Some((_, cred)) = v.split_once(' ') {
                    raw.push(cred.trim().to_string());
                }
            }
            Auth::Bearer(t) | Auth::OAuth(t) => raw.push(t.clone()),
            Auth::Basic { user, password } => {
                raw.push(password.clone());
                raw.push(format!("{user}:{password}"));
                raw.push(
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")),
                );
            }
        }
        let r = Redactor::default();
        for s in raw {
            r.add(&s);
        }
        r
    }

    /// Redact `secret` too from now on, in every clone (an access or refresh token issued
    /// during the run, and its `Bearer` header value).
    pub fn add(&self, secret: &str) {
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        for form in forms(secret) {
            if form.chars().count() >= MIN_SECRET_LEN && !secrets.contains(&form) {
                secrets.push(form);
            }
        }
        // Longest first, so a secret inside a longer one (the token inside `Bearer token`)
        // does not leave the rest of the longer one behind.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    fn secrets(&self) -> std::sync::RwLockReadGuard<'_, Vec<String>> {
        self.secrets.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The length in bytes of the longest secret (0 when there is none).
    pub fn longest(&self) -> usize {
        self.secrets().first().map_or(0, String::len)
    }

    /// Whether there is anything to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets().is_empty()
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in self.secrets().iter() {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), REDACTED));
            }
        }
        out
    }

    /// Redact `text` in place.
    pub fn redact_in_place(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.redact(text) {
            *text = clean;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_the_secret_goes() {
        let r = Redactor::for_auth(&Auth::Bearer("s3cr3t-t0ken/+=".into()));
        let text = r#"{"echo":"Bearer s3cr3t-t0ken/+=","q":"s3cr3t-t0ken%2F%2B%3D","raw":"s3cr3t-t0ken/+="}"#;
        let clean = r.redact(text);
        assert!(!clean.contains("s3cr3t"), "{clean}");
        assert_eq!(clean.matches(REDACTED).count(), 3);
    }

    #[test]
    fn basic_credentials_in_every_encoding() {
        let r = Redactor::for_auth(&Auth::Basic {
            user: "okta".into(),
            password: "hunter2hunter2".into(),
        });
        let b64 = base64::engine::general_purpose::STANDARD.encode("okta:hunter2hunter2");
        for text in [
            format!("Authorization: Basic {b64}"),
            "password=hunter2hunter2".to_string(),
            "okta:hunter2hunter2".to_string(),
        ] {
            let clean = r.redact(&text);
            assert!(
                !clean.contains("hunter2") && !clean.contains(&b64),
                "{clean}"
            );
        }
    }

    #[test]
    fn short_tokens_are_not_searched_for() {
        let r = Redactor::for_auth(&Auth::Bearer("t".into()));
        assert_eq!(r.redact("the text stays"), "the text stays");
        // The whole header value is still long enough to find.
        assert_eq!(
            r.redact("got Bearer t back"),
            format!("got {REDACTED} back")
        );
    }
}
