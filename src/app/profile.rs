//! Vendor behaviour profiles of the reference app: the choices a real vendor app makes that
//! Okta tolerates either way (okta-scim-wire quirk 19: PATCH answered 200 or 204), and the
//! stricter rules some vendors apply (Atlan: immutable userName and email, seed 002).
//!
//! A profile also says what the app declares beyond RFC 7643's User: its User extensions
//! (okta-attributes-entitlements-oauth §1) and its own resource types, such as the Roles and
//! Entitlements it publishes to Okta Identity Governance (§2), with their values.
//!
//! Profiles are values (`AppProfile::atlan()`); the built-in ones are the integration profiles
//! of `fixtures/profiles/` ([`profiles`]), read for `serve --profile`, the README and the
//! conformance test matrix (tests hold them to it).

use serde_json::{Map, Value, json};

use crate::integration::{AuthMode, IntegrationProfile, NameCase, PatchAnswer};
pub use crate::integration::{JitRule, OAuthSettings, SignInPrivileges};
use crate::scim::declared::{AttributeDecl, SchemaDecl};
use crate::scim::schema::Base;
use crate::scim::schema::{
    AttrType, ENTERPRISE_USER, Mutability, OKTA_ENTITLEMENT, OKTA_ENTITLEMENT_SCHEMA, OKTA_ROLE,
    OKTA_ROLE_SCHEMA, ResourceKind, Returned, SchemaDef,
};

/// The resource types an app serves: its User (with the extensions it declares), Group, and
/// its own resource types.
#[derive(Debug, Clone)]
pub struct AppKinds {
    /// The User type.
    pub user: ResourceKind,
    /// The Group type.
    pub group: ResourceKind,
    /// The app's own resource types.
    pub custom: Vec<ResourceKind>,
}

impl AppKinds {
    /// Every type, User and Group first.
    pub fn all(&self) -> Vec<ResourceKind> {
        let mut v = vec![self.user, self.group];
        v.extend(self.custom.iter().copied());
        v
    }
    /// The app's type of this name (a caller's `ResourceKind::User` becomes the app's User,
    /// with its extensions).
    pub fn own(&self, kind: ResourceKind) -> ResourceKind {
        match kind.base() {
            Base::User => self.user,
            Base::Group => self.group,
            Base::Custom => kind,
        }
    }
}

/// How the reference app answers a successful PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatchResponse {
    /// 200 with the full resource.
    #[default]
    Resource,
    /// 204 with no body.
    NoContent,
}

/// A resource type the app publishes (okta-attributes-entitlements-oauth §2), with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomResourceType {
    /// Its name, e.g. `Role` or `License` (an Entitlement's `type` is this name).
    pub name: String,
    /// Its endpoint, e.g. `/Roles`.
    pub endpoint: String,
    /// Its description.
    pub description: String,
    /// Its schema URN: Okta's Role or Entitlement schema, or one declared in `declared`.
    pub schema: String,
    /// The schema, when it is neither of Okta's.
    pub declared: Option<SchemaDecl>,
    /// The values, each with an `id`.
    pub values: Vec<Value>,
}

impl CustomResourceType {
    fn schema_def(&self) -> Option<&'static SchemaDef> {
        match self.schema.as_str() {
            OKTA_ROLE_SCHEMA => Some(&OKTA_ROLE),
            OKTA_ENTITLEMENT_SCHEMA => Some(&OKTA_ENTITLEMENT),
            _ => self.declared.as_ref().and_then(|d| d.define().ok()),
        }
    }
}

/// The URN of the reference app's own User extension.
pub const REFERENCE_EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User";

/// The reference app's own User extension: one attribute of each kind a vendor declares
/// (string, boolean, integer, multi-valued string, an immutable date, a readOnly value, a
/// writeOnly one never returned).
pub fn reference_extension() -> SchemaDecl {
    let attr = |name: &str, ty: AttrType, description: &str| AttributeDecl {
        description: description.into(),
        ..AttributeDecl::new(name, ty)
    };
    SchemaDecl {
        id: REFERENCE_EXTENSION.into(),
        name: "OktaSimUser".into(),
        description: "The reference app's own user attributes".into(),
        attributes: vec![
            attr("role", AttrType::String, "The user's role in the app."),
            attr(
                "isContractor",
                AttrType::Boolean,
                "Whether the user is a contractor.",
            ),
            attr("seniority", AttrType::Integer, "Years at the company."),
            AttributeDecl {
                multi_valued: true,
                ..attr("skills", AttrType::String, "What the user knows.")
            },
            AttributeDecl {
                mutability: Mutability::Immutable,
                ..attr(
                    "startDate",
                    AttrType::DateTime,
                    "When the user started; set once.",
                )
            },
            AttributeDecl {
                mutability: Mutability::ReadOnly,
                ..attr(
                    "badgeId",
                    AttrType::String,
                    "The badge the app issues; clients cannot set it.",
                )
            },
            AttributeDecl {
                mutability: Mutability::WriteOnly,
                returned: Returned::Never,
                ..attr(
                    "pin",
                    AttrType::String,
                    "A door PIN: written, never returned.",
                )
            },
        ],
    }
}

/// The reference app's Roles and Licenses (okta-attributes-entitlements-oauth §2): three roles,
/// and 120 licenses, more than one page of Okta's discovery.
pub fn reference_grants() -> Vec<CustomResourceType> {
    let roles = [
        ("admin", "Administrator", "Manages the workspace"),
        ("member", "Member", "Works in the workspace"),
        ("viewer", "Viewer", "Reads the workspace"),
    ];
    vec![
        CustomResourceType {
            name: "Role".into(),
            endpoint: "/Roles".into(),
            description: "Roles a user can hold in the app".into(),
            schema: OKTA_ROLE_SCHEMA.into(),
            declared: None,
            values: roles
                .iter()
                .map(|(id, name, d)| json!({"id": id, "displayName": name, "description": d}))
                .collect(),
        },
        CustomResourceType {
            name: "License".into(),
            endpoint: "/Licenses".into(),
            description: "Licenses a user can be granted".into(),
            schema: OKTA_ENTITLEMENT_SCHEMA.into(),
            declared: None,
            values: (1..=REFERENCE_LICENSES)
                .map(|i| {
                    json!({"id": format!("lic-{i:03}"), "displayName": format!("License {i:03}"),
                           "type": "License", "description": format!("Seat {i:03} of the app")})
                })
                .collect(),
        },
    ]
}

/// The target of a full-name statement (`name` = first + " " + last): `displayName` and
/// `name.formatted`, and the given and family names when they are not asserted on their own.
pub const FULL_NAME: &str = "fullName";

/// Which SAML attribute statement the reference SP writes where on the user it provisions
/// just in time: a SCIM path (`name.givenName`, `emails`, `urn:…:User:department`), or
/// [`FULL_NAME`]. A multi-valued SCIM attribute takes every value of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlAttributeMap {
    /// The attribute statement's Name.
    pub name: String,
    /// Where its values go.
    pub target: String,
}

/// The reference SP's attribute statements: Okta's usual names and their common variants, a
/// full `name`, the enterprise department, and the reference extension's role and skills.
pub fn reference_saml_attributes() -> Vec<SamlAttributeMap> {
    let m = |name: &str, target: &str| SamlAttributeMap {
        name: name.into(),
        target: target.into(),
    };
    let ext = |a: &str| format!("{REFERENCE_EXTENSION}:{a}");
    vec![
        m("firstName", "name.givenName"),
        m("givenName", "name.givenName"),
        m("first_name", "name.givenName"),
        m("lastName", "name.familyName"),
        m("familyName", "name.familyName"),
        m("surname", "name.familyName"),
        m("last_name", "name.familyName"),
        m("email", "emails"),
        m("mail", "emails"),
        m("emailAddress", "emails"),
        m("name", FULL_NAME),
        m("fullName", FULL_NAME),
        m("displayName", FULL_NAME),
        m(
            "department",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        ),
        m("role", &ext("role")),
        m("skills", &ext("skills")),
    ]
}

/// How many licenses the reference app publishes.
pub const REFERENCE_LICENSES: usize = 120;

/// How the reference app behaves where vendors differ.
#[derive(Debug, Clone, PartialEq)]
pub struct AppProfile {
    /// The profile's name, as `serve --profile` takes it.
    pub name: String,
    /// How a successful PATCH is answered.
    pub patch_response: PatchResponse,
    /// User attributes that cannot change once set (400 `mutability` on PUT or PATCH).
    pub immutable_user_attributes: Vec<String>,
    /// Refuse a second group with the same displayName (case-insensitive) with 409.
    pub unique_group_names: bool,
    /// Group names compare with case (`displayName eq` is exact; `/Schemas` says caseExact).
    pub group_names_case_sensitive: bool,
    /// The User extensions it declares besides the enterprise one (served at `/Schemas`,
    /// validated by type and mutability, filterable).
    pub user_extensions: Vec<SchemaDecl>,
    /// The resource types it publishes besides User and Group, with their values.
    pub resource_types: Vec<CustomResourceType>,
    /// Where the SP writes each SAML attribute statement on the user it provisions.
    pub saml_attributes: Vec<SamlAttributeMap>,
    /// The role groups it publishes, highest role first (a user's `roles` is the first it is a
    /// member of, else `default_role`).
    pub role_groups: Vec<String>,
    /// The role of a user in no role group.
    pub default_role: String,
    /// When the SP provisions a signing-in user it does not know.
    pub jit: JitRule,
    /// Membership removals are acknowledged and ignored.
    pub keeps_removed_members: bool,
    /// Privileges applied at each SAML sign-in.
    pub sign_in_privileges: Option<SignInPrivileges>,
    /// Its OAuth 2.0 authorization server for the SCIM connection, when it has one.
    pub oauth: Option<OAuthSettings>,
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
            group_names_case_sensitive: false,
            user_extensions: vec![reference_extension()],
            resource_types: reference_grants(),
            saml_attributes: reference_saml_attributes(),
            role_groups: Vec::new(),
            default_role: String::new(),
            jit: JitRule::Always,
            keeps_removed_members: false,
            sign_in_privileges: None,
            oauth: None,
        }
    }

    /// The app's behaviour in an integration profile: its rules, its extensions and resource
    /// types (the reference app's when the profile names none), and its SAML statements.
    pub fn from_integration(p: &IntegrationProfile) -> AppProfile {
        let reference = AppProfile::reference();
        AppProfile {
            name: p.name.clone(),
            patch_response: match p.app.patch_answer {
                PatchAnswer::Resource => PatchResponse::Resource,
                PatchAnswer::NoContent => PatchResponse::NoContent,
            },
            immutable_user_attributes: p.app.immutable_user_attributes.clone(),
            unique_group_names: p.groups.unique_names,
            group_names_case_sensitive: p.groups.link_name_case == NameCase::Sensitive,
            user_extensions: p
                .app
                .user_extensions
                .clone()
                .unwrap_or(reference.user_extensions),
            resource_types: match &p.app.resource_types {
                None => reference.resource_types,
                Some(list) => list
                    .iter()
                    .map(|t| CustomResourceType {
                        name: t.name.clone(),
                        endpoint: t.endpoint.clone(),
                        description: t.description.clone(),
                        schema: t.schema.clone(),
                        declared: t.declared.clone(),
                        values: t.values.clone(),
                    })
                    .collect(),
            },
            saml_attributes: match &p.saml.attributes {
                None => reference.saml_attributes,
                Some(list) => list
                    .iter()
                    .map(|a| SamlAttributeMap {
                        name: a.name.clone(),
                        target: a.target.clone(),
                    })
                    .collect(),
            },
            role_groups: p.groups.role_groups.clone(),
            default_role: p.groups.default_role.clone(),
            jit: p.app.jit,
            keeps_removed_members: p.app.keeps_removed_members,
            sign_in_privileges: p.app.sign_in_privileges.clone(),
            oauth: match p.scim.auth {
                AuthMode::Oauth => p.scim.oauth.clone(),
                _ => None,
            },
        }
    }

    /// The resource types the app serves: User with the enterprise extension and the declared
    /// ones, Group, and its own types (a declaration that does not define is left out; the
    /// builder refuses such a profile before it gets here).
    pub fn kinds(&self) -> AppKinds {
        let mut exts: Vec<&'static SchemaDef> = vec![&ENTERPRISE_USER];
        exts.extend(self.user_extensions.iter().filter_map(|d| d.define().ok()));
        AppKinds {
            user: ResourceKind::user_with(&exts),
            group: if self.group_names_case_sensitive {
                ResourceKind::group_case_exact()
            } else {
                ResourceKind::Group
            },
            custom: self
                .resource_types
                .iter()
                .filter_map(|t| {
                    t.schema_def()
                        .map(|def| ResourceKind::custom(&t.name, &t.endpoint, &t.description, def))
                })
                .collect(),
        }
    }

    /// Why the profile cannot be served, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        for d in &self.user_extensions {
            d.define().map_err(|e| e.to_string())?;
        }
        for t in &self.resource_types {
            if t.schema_def().is_none() {
                return Err(format!(
                    "resource type {} uses {}, which is neither Okta's Role or Entitlement schema nor declared",
                    t.name, t.schema
                ));
            }
            if !t.endpoint.starts_with('/') || t.endpoint[1..].contains('/') {
                return Err(format!(
                    "resource type {}: endpoint {:?} must be /Name",
                    t.name, t.endpoint
                ));
            }
            for v in &t.values {
                if v.get("id")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    return Err(format!(
                        "resource type {}: every value needs an \"id\"",
                        t.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// The values of the app's own resource types, as stored bodies, by type.
    pub(crate) fn custom_resources(
        &self,
        kinds: &AppKinds,
    ) -> Vec<(ResourceKind, Vec<Map<String, Value>>)> {
        self.resource_types
            .iter()
            .filter_map(|t| {
                let kind = kinds.custom.iter().find(|k| k.name() == t.name)?;
                let bodies = t
                    .values
                    .iter()
                    .filter_map(|v| {
                        let mut body = Map::new();
                        body.insert("schemas".into(), json!([kind.core_schema().id]));
                        body.extend(v.as_object()?.clone());
                        Some(body)
                    })
                    .collect();
                Some((*kind, bodies))
            })
            .collect()
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

/// A built-in profile, by the name `serve --profile` takes (from `fixtures/profiles/`).
#[derive(Debug, Clone)]
pub struct ProfileDef {
    /// The name `serve --profile` takes.
    pub name: String,
    /// What the profile does, in a sentence.
    pub describe: String,
    /// The reference app's behaviour in this profile.
    pub app: AppProfile,
    /// The checks of the generic suite an app keeping this profile's promises fails, because
    /// the promise collides with what Okta sends (the conformance test matrix holds a run
    /// against the profile to exactly these).
    pub collides_with: Vec<String>,
}

/// The built-in profiles, in the order of [`crate::integration::BUILT_IN`].
pub fn profiles() -> Vec<ProfileDef> {
    IntegrationProfile::built_in()
        .into_iter()
        .map(|p| ProfileDef {
            app: AppProfile::from_integration(&p),
            collides_with: p.collisions.keys().cloned().collect(),
            describe: p.summary,
            name: p.name,
        })
        .collect()
}

/// A built-in profile by name.
pub fn profile_named(name: &str) -> Option<AppProfile> {
    profiles()
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| p.app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_is_named_as_listed() {
        for p in profiles() {
            assert_eq!(p.app.name, p.name);
            assert_eq!(profile_named(&p.name), Some(p.app.clone()));
        }
        assert_eq!(profile_named("reference"), Some(AppProfile::reference()));
        assert_eq!(profile_named("patch-204"), Some(AppProfile::patch_204()));
        assert_eq!(profile_named("atlan"), Some(AppProfile::atlan()));
    }
}
