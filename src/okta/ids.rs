//! Okta-format generated values from a seed (okta-scim-wire §8.5, §10.1): user ids `00u` + 17
//! characters (sent as `externalId`), group ids `00g` + 17, names and emails in the style of
//! Okta's test scripts (`Runscope` + 3 digits, a capitalised 8-letter family name + 3 digits,
//! `@atko.com`), Okta's 8-character placeholder passwords, and group names. The same seed
//! gives the same values run after run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ID_ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PASSWORD_ALPHABET: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789^&*!";
const GROUP_WORDS: &[&str] = &[
    "Engineering",
    "Sales",
    "Support",
    "Finance",
    "Marketing",
    "Design",
    "Legal",
    "Operations",
    "Research",
    "Security",
];

/// A generated Okta user profile.
#[derive(Debug, Clone, PartialEq)]
pub struct OktaUser {
    /// The Okta user id, e.g. `00ujl29u0le5T6Aj10h7`; Okta sends it as `externalId`.
    pub id: String,
    /// The first name.
    pub given_name: String,
    /// The last name.
    pub family_name: String,
    /// The Okta login, also the app username and the primary email.
    pub login: String,
    /// Okta's 8-character placeholder password, sent in every POST /Users.
    pub password: String,
    /// Further attributes of the Okta user profile (`department`, `title`, custom ones), by
    /// name, as mappings read them (`user.department`).
    pub profile: indexmap::IndexMap<String, serde_json::Value>,
}

impl OktaUser {
    /// `given family`, as Okta sends displayName.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }

    /// An attribute of the Okta user profile, as a mapping reads `user.name`: the generated
    /// `firstName`, `lastName`, `email`, `login`, `displayName`, `locale` (`en-US`), or one of
    /// [`OktaUser::profile`]; null when the user has none.
    pub fn attribute(&self, name: &str) -> serde_json::Value {
        use serde_json::Value;
        match name {
            "firstName" => Value::String(self.given_name.clone()),
            "lastName" => Value::String(self.family_name.clone()),
            "email" | "login" => Value::String(self.login.clone()),
            "displayName" => Value::String(self.display_name()),
            _ => match self.profile.get(name) {
                Some(v) => v.clone(),
                None if name == "locale" => Value::String("en-US".into()),
                None => Value::Null,
            },
        }
    }
}

/// Deterministic generator of Okta-side values.
#[derive(Debug, Clone)]
pub struct OktaIds {
    rng: ChaCha8Rng,
}

impl OktaIds {
    /// A generator from this seed.
    pub fn new(seed: u64) -> Self {
        OktaIds {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.rng.random_range(0..alphabet.len())] as char)
            .collect()
    }

    fn digits(&mut self, n: usize) -> String {
        self.chars(b"0123456789", n)
    }

    /// `00u` + 17 characters.
    pub fn user_id(&mut self) -> String {
        format!("00u{}", self.chars(ID_ALPHABET, 17))
    }

    /// `00g` + 17 characters.
    pub fn group_id(&mut self) -> String {
        format!("00g{}", self.chars(ID_ALPHABET, 17))
    }

    /// An Okta object id: `prefix` + characters up to 20 (`0oa…` an app instance, `0ua…` an
    /// app user, `puj…` a provisioning task's transaction).
    pub fn object_id(&mut self, prefix: &str) -> String {
        let n = 20usize.saturating_sub(prefix.len());
        format!("{prefix}{}", self.chars(ID_ALPHABET, n))
    }

    /// A System Log event's id: a UUID of version 1 (time-based), its bits from the seed.
    pub fn event_uuid(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.random();
        uuid::Builder::from_bytes(bytes)
            .with_variant(uuid::Variant::RFC4122)
            .with_version(uuid::Version::Mac)
            .into_uuid()
            .to_string()
    }

    /// An 8-character placeholder password like `gl^m&qWZ` (okta-scim-wire §3.2).
    pub fn password(&mut self) -> String {
        self.chars(PASSWORD_ALPHABET, 8)
    }

    /// A new Okta user: id, names, login and password.
    pub fn user(&mut self) -> OktaUser {
        let given_name = format!("Runscope{}", self.digits(3));
        let upper = self.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1);
        let lower = self.chars(b"abcdefghijklmnopqrstuvwxyz", 8);
        let family_name = format!("{upper}{lower}{}", self.digits(3));
        let login = format!("{given_name}{family_name}@atko.com");
        OktaUser {
            id: self.user_id(),
            given_name,
            family_name,
            login,
            password: self.password(),
            profile: indexmap::IndexMap::new(),
        }
    }

    /// A group name such as `okta-sim Engineering 042`.
    pub fn group_name(&mut self) -> String {
        let word = GROUP_WORDS[self.rng.random_range(0..GROUP_WORDS.len())];
        format!("okta-sim {word} {}", self.digits(3))
    }

    /// A seed for a nested generator (one per scenario), derived from this one.
    pub fn fork(&mut self) -> OktaIds {
        OktaIds::new(self.rng.random())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_okta_shapes() {
        let mut ids = OktaIds::new(7);
        let u = ids.user();
        assert_eq!(u.id.len(), 20);
        assert!(u.id.starts_with("00u"));
        assert!(u.id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(u.given_name.starts_with("Runscope") && u.given_name.len() == 11);
        assert_eq!(u.family_name.len(), 12);
        assert!(u.family_name.chars().next().unwrap().is_ascii_uppercase());
        assert_eq!(
            u.login,
            format!("{}{}@atko.com", u.given_name, u.family_name)
        );
        assert_eq!(u.password.len(), 8);
        assert!(ids.group_id().starts_with("00g"));
        assert!(ids.group_name().starts_with("okta-sim "));
    }

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let a: Vec<OktaUser> = {
            let mut g = OktaIds::new(42);
            (0..5).map(|_| g.user()).collect()
        };
        let b: Vec<OktaUser> = {
            let mut g = OktaIds::new(42);
            (0..5).map(|_| g.user()).collect()
        };
        let c: Vec<OktaUser> = {
            let mut g = OktaIds::new(43);
            (0..5).map(|_| g.user()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
