//! Vendor behaviour profiles of the reference app: the choices a real vendor app makes that
//! Okta tolerates either way (okta-scim-wire quirk 19: PATCH answered 200 or 204), and the
//! stricter rules some vendors apply (Atlan: immutable userName and email, seed 002).

/// How the reference app answers a successful PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatchResponse {
    /// 200 with the full resource.
    #[default]
    Resource,
    /// 204 with no body.
    NoContent,
}

#[derive(Debug, Clone)]
pub struct AppProfile {
    pub name: String,
    pub patch_response: PatchResponse,
    /// User attributes that cannot change once set (400 `mutability` on PUT or PATCH).
    pub immutable_user_attributes: Vec<String>,
    /// Refuse a second group with the same displayName (case-insensitive) with 409.
    pub unique_group_names: bool,
}

impl Default for AppProfile {
    fn default() -> Self {
        AppProfile {
            name: "reference".into(),
            patch_response: PatchResponse::Resource,
            immutable_user_attributes: Vec::new(),
            unique_group_names: true,
        }
    }
}

impl AppProfile {
    /// The built-in profiles, by name.
    pub fn named(name: &str) -> Option<AppProfile> {
        match name {
            "reference" => Some(AppProfile::default()),
            "patch-204" => Some(AppProfile {
                name: "patch-204".into(),
                patch_response: PatchResponse::NoContent,
                ..AppProfile::default()
            }),
            "atlan" => Some(AppProfile {
                name: "atlan".into(),
                immutable_user_attributes: vec!["userName".into(), "emails".into()],
                ..AppProfile::default()
            }),
            _ => None,
        }
    }

    pub const NAMES: &'static [&'static str] = &["reference", "patch-204", "atlan"];
}
