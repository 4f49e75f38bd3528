//! How Okta authenticates to an app (okta-scim-wire §8.3), and how a credential is shown.

use base64::Engine;

/// How Okta authenticates to the app (§8.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// The OIN "Header" mode and the Header Auth template: the value exactly as typed.
    Header(String),
    /// `Bearer <token>` (OIN "Bearer", AIW "HTTP Header").
    Bearer(String),
    /// `Basic base64(user:pass)` (AIW and the Basic Auth template; not for new OIN apps).
    /// `user:password`.
    Basic {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// An OAuth 2.0 access token, sent as a bearer token.
    OAuth(String),
}

impl Auth {
    /// The Authorization header value this credential sends.
    pub fn header_value(&self) -> String {
        match self {
            Auth::Header(v) => v.clone(),
            Auth::Bearer(t) | Auth::OAuth(t) => format!("Bearer {t}"),
            Auth::Basic { user, password } => {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
                )
            }
        }
    }

    /// A deliberately wrong credential of the same mode (for the 401 checks).
    pub fn wrong(&self) -> Auth {
        match self {
            Auth::Header(_) => Auth::Header("non-token".into()),
            Auth::Bearer(_) => Auth::Bearer("non-token".into()),
            Auth::OAuth(_) => Auth::OAuth("non-token".into()),
            Auth::Basic { user, .. } => Auth::Basic {
                user: user.clone(),
                password: "non-token".into(),
            },
        }
    }
}

/// `Bearer abcdef…` becomes `Bearer ab…(40 chars)`: enough to tell tokens apart, not to use one.
pub fn mask(value: &str) -> String {
    let (scheme, cred) = match value.split_once(' ') {
        Some((s, c)) => (format!("{s} "), c),
        None => (String::new(), value),
    };
    let shown: String = cred.chars().take(2).collect();
    format!("{scheme}{shown}…({} chars)", cred.chars().count())
}
