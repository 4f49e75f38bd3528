//! Vendor behaviour profiles of the reference app: the choices a real vendor app makes that
//! Okta tolerates either way (okta-scim-wire quirk 19: PATCH answered 200 or 204), and the
//! stricter rules some vendors apply (Atlan: immutable userName and email, seed 002).
//!
//! Profiles are values (`AppProfile::atlan()`); [`PROFILES`] lists the built-in ones by name for
//! `serve --profile`, the README and the conformance test matrix (tests hold them to it).

/// How the reference app answers a successful PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatchResponse {
    /// 200 with the full resource.
    #[default]
    Resource,
    /// 204 with no body.
    NoContent,
}

/// How the reference app behaves where vendors differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppProfile {
    /// The profile's name, as `serve --profile` takes it.
    pub name: String,
    /// How a successful PATCH is answered.
    pub patch_response: PatchResponse,
    /// User attributes that cannot change once set (400 `mutability` on PUT or PATCH).
    pub immutable_user_attributes: Vec<String>,
    /// Refuse a second group with the same displayName (case-insensitive) with 409.
    pub unique_group_names: bool,
}

impl Default for AppProfile {
    fn default() -> Self {
        AppProfile::reference()
    }
}

impl AppProfile {
    /// PATCH answers 200 with the resource; group names unique.
    pub fn reference() -> AppProfile {
        AppProfile {
            name: "reference".into(),
            patch_response: PatchResponse::Resource,
            immutable_user_attributes: Vec::new(),
            unique_group_names: true,
        }
    }

    /// PATCH answers 204 with no body (okta-scim-wire quirk 19).
    pub fn patch_204() -> AppProfile {
        AppProfile {
            name: "patch-204".into(),
            patch_response: PatchResponse::NoContent,
            ..AppProfile::reference()
        }
    }

    /// Atlan (seed 002): userName and emails cannot change once provisioned.
    pub fn atlan() -> AppProfile {
        AppProfile {
            name: "atlan".into(),
            immutable_user_attributes: vec!["userName".into(), "emails".into()],
            ..AppProfile::reference()
        }
    }
}

/// A built-in profile, by the name `serve --profile` takes.
pub struct ProfileDef {
    /// The name `serve --profile` takes.
    pub name: &'static str,
    /// What the profile does, in a sentence.
    pub describe: &'static str,
    /// Makes the profile.
    pub make: fn() -> AppProfile,
    /// The checks of the generic suite an app keeping this profile's promises fails, because
    /// the promise collides with what Okta sends (the conformance test matrix holds a run
    /// against the profile to exactly these).
    pub collides_with: &'static [&'static str],
}

/// The built-in profiles.
pub static PROFILES: &[ProfileDef] = &[
    ProfileDef {
        name: "reference",
        describe: "PATCH answers 200 with the resource",
        make: AppProfile::reference,
        collides_with: &[],
    },
    ProfileDef {
        name: "patch-204",
        describe: "PATCH answers 204 with no body",
        make: AppProfile::patch_204,
        collides_with: &[],
    },
    ProfileDef {
        name: "atlan",
        describe: "userName and emails immutable once provisioned (seed 002)",
        make: AppProfile::atlan,
        // Okta links a user whose userName differs only in case, then PUTs its own userName;
        // Okta pushes a changed username: the immutable userName refuses both.
        collides_with: &["users.link.put.status-200", "users.rename.put.status-200"],
    },
];

/// A built-in profile by name.
pub fn profile_named(name: &str) -> Option<AppProfile> {
    PROFILES.iter().find(|p| p.name == name).map(|p| (p.make)())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_is_named_as_listed() {
        for p in PROFILES {
            assert_eq!((p.make)().name, p.name);
            assert_eq!(profile_named(p.name), Some((p.make)()));
        }
    }
}
