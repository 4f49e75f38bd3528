//! Integration profiles: everything one Okta integration is made of, as data both sides read
//! (`fixtures/profiles/NAME.toml`, or a user's own file). The reference app takes from it how the
//! app behaves (`app::profile::AppProfile::from_integration`), the simulated Okta how the admin
//! configured it (`okta::ops::OktaSettings::configure`), and the suite which features run.
//!
//! A setting that comes from a vendor's guide carries the guide's sentence in `[sources]`, keyed
//! by the setting's path (`scim.base_path`); a test holds every quote to the guide it names.
//! Settings the guide leaves out take the defaults of Okta's SCIM 2.0 template and the reference
//! app.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::scim::declared::SchemaDecl;

/// The built-in profiles, as shipped in `fixtures/profiles/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "reference",
        include_str!("../fixtures/profiles/reference.toml"),
    ),
    (
        "patch-204",
        include_str!("../fixtures/profiles/patch-204.toml"),
    ),
    (
        "atomation",
        include_str!("../fixtures/profiles/atomation.toml"),
    ),
    ("natoma", include_str!("../fixtures/profiles/natoma.toml")),
    ("atlan", include_str!("../fixtures/profiles/atlan.toml")),
    ("workato", include_str!("../fixtures/profiles/workato.toml")),
    ("attio", include_str!("../fixtures/profiles/attio.toml")),
];

/// The largest profile file read.
pub const MAX_PROFILE_BYTES: u64 = 1024 * 1024;

/// Why a profile cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// No built-in profile of that name, and no such file.
    #[error("no profile named {name:?} (built in: {known}; or give a path to a .toml file)")]
    Unknown {
        /// What was asked for.
        name: String,
        /// The built-in names.
        known: String,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The TOML is malformed or names a setting that does not exist.
    #[error("{origin}: {reason}")]
    Invalid {
        /// The profile's name or path.
        origin: String,
        /// What is wrong, with the line when TOML knows it.
        reason: String,
    },
}

/// How Okta authenticates to the app's SCIM API (the OIN Wizard's authentication modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// `Authorization: Bearer TOKEN` (OIN "Bearer"; AIW "HTTP Header" with a bearer token).
    #[default]
    Bearer,
    /// The Authorization value verbatim (OIN "Header").
    Header,
    /// HTTP Basic.
    Basic,
    /// OAuth 2.0 authorization code.
    Oauth,
}

/// The app's SCIM connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScimSettings {
    /// The path of the SCIM base URL after the app's host (tenant parts as `{tenant}`).
    pub base_path: String,
    /// How Okta authenticates.
    pub auth: AuthMode,
    /// The unique identifier field for users.
    pub unique_identifier: String,
    /// The app's OAuth 2.0 authorization server, when `auth` is `oauth`.
    pub oauth: Option<OAuthSettings>,
}

impl Default for ScimSettings {
    fn default() -> Self {
        ScimSettings {
            base_path: "/scim/v2".into(),
            auth: AuthMode::Bearer,
            unique_identifier: "userName".into(),
            oauth: None,
        }
    }
}

/// The app's OAuth 2.0 authorization server for the SCIM connection ("Authenticate with …"):
/// Okta runs the authorization-code flow against it and refreshes lazily
/// (okta-attributes-entitlements-oauth §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthSettings {
    /// The authorize endpoint's path on the app's host.
    pub authorize_path: String,
    /// The token endpoint's path on the app's host.
    pub token_path: String,
    /// The client ID Okta's integration is registered with (one for every customer).
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// Scopes Okta asks for (space-separated; empty: none).
    pub scope: String,
    /// How long an access token lives, in seconds (`expires_in`); 0: it does not expire.
    pub access_token_seconds: u64,
    /// Whether the token endpoint issues refresh tokens.
    pub refresh_tokens: bool,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            authorize_path: "/oauth/authorize".into(),
            token_path: "/oauth/token".into(),
            client_id: "okta-sim-client".into(),
            client_secret: "okta-sim-client-secret".into(),
            scope: String::new(),
            access_token_seconds: 3600,
            refresh_tokens: true,
        }
    }
}

/// The provisioning features the guide has the admin enable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// Create Users (Push New Users).
    pub create_users: bool,
    /// Update User Attributes (Push Profile Updates).
    pub update_attributes: bool,
    /// Deactivate Users.
    pub deactivate_users: bool,
    /// Import New Users and Profile Updates.
    pub import_users: bool,
    /// Import Groups.
    pub import_groups: bool,
    /// Push Groups.
    pub push_groups: bool,
    /// Sync Password.
    pub password_sync: bool,
    /// Profile sourcing (the app as a source of Okta profiles).
    pub profile_sourcing: bool,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            create_users: true,
            update_attributes: true,
            deactivate_users: true,
            import_users: true,
            import_groups: true,
            push_groups: true,
            password_sync: true,
            profile_sourcing: false,
        }
    }
}

/// Whether the app compares group names for Link Group with or without case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameCase {
    /// `displayName eq` ignores case (RFC 7643 declares displayName caseExact false).
    #[default]
    Insensitive,
    /// The exact, case-sensitive name.
    Sensitive,
}

/// Group semantics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupSettings {
    /// "Rename app groups to match group name in Okta".
    pub rename_app_groups: bool,
    /// How Link Group's name lookup compares.
    pub link_name_case: NameCase,
    /// A second group of the same name is refused with 409.
    pub unique_names: bool,
    /// "Push group memberships immediately" when a group is pushed.
    pub push_memberships_immediately: bool,
    /// The role groups the app publishes for Refresh App Groups, highest role first: a
    /// member of a linked one holds its role (the first in this order when several).
    pub role_groups: Vec<String>,
    /// The role of a user in no role group.
    pub default_role: String,
}

impl Default for GroupSettings {
    fn default() -> Self {
        GroupSettings {
            rename_app_groups: false,
            link_name_case: NameCase::Insensitive,
            unique_names: true,
            push_memberships_immediately: true,
            role_groups: Vec::new(),
            default_role: String::new(),
        }
    }
}

/// How the app answers a successful PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatchAnswer {
    /// 200 with the resource.
    #[default]
    Resource,
    /// 204 with no body (okta-scim-wire quirk 19).
    NoContent,
}

/// The app's own rules.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppRules {
    /// How a successful PATCH is answered.
    pub patch_answer: PatchAnswer,
    /// User attributes that cannot change once provisioned (400 `mutability`).
    pub immutable_user_attributes: Vec<String>,
    /// The User extensions the app declares besides the enterprise one; none given: the
    /// reference app's own.
    pub user_extensions: Option<Vec<SchemaDecl>>,
    /// The resource types the app publishes besides User and Group (Roles, Entitlements…);
    /// none given: the reference app's Roles and Licenses.
    pub resource_types: Option<Vec<ResourceTypeDecl>>,
    /// When the SP provisions a signing-in user it does not know.
    pub jit: JitRule,
    /// A membership removal Okta pushes is acknowledged and ignored (members are removed in
    /// the app only).
    pub keeps_removed_members: bool,
    /// Privileges that take effect at SAML sign-in, not when SCIM writes them.
    pub sign_in_privileges: Option<SignInPrivileges>,
}

/// When the SP provisions a signing-in user it does not know (just in time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JitRule {
    /// Always.
    #[default]
    Always,
    /// Until SCIM provisioning is in use; then a user SCIM has not provisioned cannot sign in.
    BeforeScim,
}

/// Privileges written over SCIM or asserted in SAML that the app applies at each sign-in
/// (Workato's hybrid model): a user SCIM provisioned holds none until it signs in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignInPrivileges {
    /// User attributes (SCIM paths) whose values become the user's roles at sign-in.
    pub role_attributes: Vec<String>,
    /// The SAML attribute whose values become the user's groups at sign-in.
    pub groups_statement: String,
}

/// A resource type the app publishes, with its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceTypeDecl {
    /// Its name (an Entitlement's `type`).
    pub name: String,
    /// Its endpoint, `/Name`.
    pub endpoint: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// Its schema URN: Okta's Role or Entitlement, or the id of `declared`.
    pub schema: String,
    /// The schema, when it is neither of Okta's.
    #[serde(default)]
    pub declared: Option<SchemaDecl>,
    /// The values, each with an `id`.
    #[serde(default)]
    pub values: Vec<Value>,
}

/// One SAML attribute statement: what Okta sends and where the app's SP writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlStatement {
    /// The attribute's Name.
    pub name: String,
    /// Okta's value expression, e.g. `user.firstName + " " + user.lastName`.
    #[serde(default)]
    pub value: String,
    /// Where the SP writes it on the user: a SCIM path, `emails`, or `fullName`.
    pub target: String,
}

/// Where the customer's tenant goes in the app's URLs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenantSettings {
    /// The per-tenant value the admin enters in Okta, as an example (`--tenant` gives another).
    pub example: String,
    /// The app's public origin, `{tenant}` standing for the tenant
    /// (`https://{tenant}.atomation.io`); empty: wherever the app is served.
    pub app_url: String,
}

/// The SAML settings of the integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamlSettings {
    /// Whether the integration signs users in with SAML at all (a SCIM-only guide: false).
    pub enabled: bool,
    /// The ACS path after the app's host (`{tenant}` for the tenant).
    pub acs_path: String,
    /// The SP entity ID path after the app's host (`{tenant}` for the tenant).
    pub entity_id_path: String,
    /// Where the app's SP-initiated sign-in starts (the reference SP's `/saml/login`).
    pub login_path: String,
    /// Where the app tells who is signed in (the reference SP's `/saml/whoami`).
    pub whoami_path: String,
    /// The app's own "Test SAML" start, when it has one (the reference SP's `/saml/test`).
    pub test_path: String,
    /// `unspecified` or `emailAddress`.
    pub name_id_format: String,
    /// SP-initiated sign-in.
    pub sp_initiated: bool,
    /// IdP-initiated sign-in.
    pub idp_initiated: bool,
    /// The attribute statements; none given: the reference SP's.
    pub attributes: Option<Vec<SamlStatement>>,
    /// Okta's group attribute statement, when the integration has one.
    pub group_attribute: Option<GroupStatement>,
}

/// A group attribute statement: the attribute's name and the regex filter of Okta's groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupStatement {
    /// The attribute's Name.
    pub name: String,
    /// Okta's "Matches regex" filter (`.*` for every group).
    #[serde(default = "any_group")]
    pub filter: String,
}

fn any_group() -> String {
    ".*".into()
}

impl Default for SamlSettings {
    fn default() -> Self {
        SamlSettings {
            enabled: true,
            acs_path: "/saml/acs".into(),
            entity_id_path: "/saml/metadata".into(),
            login_path: "/saml/login".into(),
            whoami_path: "/saml/whoami".into(),
            test_path: String::new(),
            name_id_format: "unspecified".into(),
            sp_initiated: true,
            idp_initiated: true,
            attributes: None,
            group_attribute: None,
        }
    }
}

/// One row of the app user schema as the admin sets it up (columns of the attribute table in
/// features/README.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeMapping {
    /// Okta's variable name.
    pub variable: String,
    /// `string`, `boolean`, `integer`, `number`, or one of their arrays.
    #[serde(rename = "type", default = "string_type")]
    pub ty: String,
    /// The external name; the variable when empty.
    #[serde(default)]
    pub external_name: String,
    /// `core`, `enterprise`, a URN, or empty: not sent.
    #[serde(default)]
    pub namespace: String,
    /// `personal` or `group`.
    #[serde(default = "personal")]
    pub scope: String,
    /// The To-App mapping expression; empty: none.
    #[serde(default)]
    pub mapping: String,
    /// `priority` or `combine`.
    #[serde(default = "priority")]
    pub arrays: String,
}

fn string_type() -> String {
    "string".into()
}
fn personal() -> String {
    "personal".into()
}
fn priority() -> String {
    "priority".into()
}

/// How the admin configured the Okta side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OktaSide {
    /// `oin` (PATCH) or `aiw` (GET then PUT).
    pub app_kind: String,
    /// Attributes added to Okta's SCIM 2.0 template.
    pub attributes: Vec<AttributeMapping>,
}

impl Default for OktaSide {
    fn default() -> Self {
        OktaSide {
            app_kind: "oin".into(),
            attributes: Vec::new(),
        }
    }
}

/// Where the app's promise meets what Okta does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collision {
    /// The setting whose promise it is (its guide sentence is quoted from `[sources]`).
    pub promise: String,
    /// What Okta does, with its reference section.
    pub okta: String,
    /// What the app's customers then see.
    pub customer_sees: String,
}

/// Everything one Okta integration is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationProfile {
    /// The name `--profile` takes.
    pub name: String,
    /// The vendor, or what the profile is for.
    pub vendor: String,
    /// The seed guide it comes from (`002`), when it does.
    #[serde(default)]
    pub guide: Option<String>,
    /// What it is, in a sentence.
    pub summary: String,
    /// Where the tenant goes.
    #[serde(default)]
    pub tenant: TenantSettings,
    /// The SCIM connection.
    #[serde(default)]
    pub scim: ScimSettings,
    /// The provisioning features.
    #[serde(default)]
    pub features: Features,
    /// Group semantics.
    #[serde(default)]
    pub groups: GroupSettings,
    /// SAML settings.
    #[serde(default)]
    pub saml: SamlSettings,
    /// The app's own rules.
    #[serde(default)]
    pub app: AppRules,
    /// The Okta side's configuration.
    #[serde(default)]
    pub okta: OktaSide,
    /// Checks of the generic suite an app keeping this profile's promises fails, because the
    /// promise collides with what Okta sends, by check id.
    #[serde(default)]
    pub collisions: BTreeMap<String, Collision>,
    /// The guide's sentence for each setting that comes from it, by the setting's path.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Promises of the guide that are behaviour rather than a setting (`re_provision_keeps
    /// privileges`), each with the guide's sentence; vendor features check them by name.
    #[serde(default)]
    pub promises: BTreeMap<String, String>,
}

impl IntegrationProfile {
    /// Parse a profile from TOML; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<IntegrationProfile, ProfileError> {
        let p: IntegrationProfile = toml::from_str(text).map_err(|e| ProfileError::Invalid {
            origin: origin.into(),
            reason: e.to_string().trim().to_string(),
        })?;
        p.validate().map_err(|reason| ProfileError::Invalid {
            origin: origin.into(),
            reason,
        })?;
        Ok(p)
    }

    /// A built-in profile by name, or a profile file by path (`…/x.toml`).
    pub fn load(name_or_path: &str) -> Result<IntegrationProfile, ProfileError> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(text, name_or_path);
        }
        let looks_like_path = name_or_path.ends_with(".toml") || name_or_path.contains('/');
        if !looks_like_path {
            return Err(ProfileError::Unknown {
                name: name_or_path.into(),
                known: BUILT_IN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let read_err = |e: std::io::Error| ProfileError::Read {
            path: name_or_path.into(),
            reason: e.to_string(),
        };
        let meta = std::fs::metadata(name_or_path).map_err(read_err)?;
        if meta.len() > MAX_PROFILE_BYTES {
            return Err(ProfileError::Read {
                path: name_or_path.into(),
                reason: format!("larger than {} KiB", MAX_PROFILE_BYTES / 1024),
            });
        }
        let text = std::fs::read_to_string(name_or_path).map_err(read_err)?;
        Self::parse(&text, name_or_path)
    }

    /// Every built-in profile, parsed.
    pub fn built_in() -> Vec<IntegrationProfile> {
        BUILT_IN
            .iter()
            .filter_map(|(n, t)| Self::parse(t, n).ok())
            .collect()
    }

    /// What is wrong with the profile beyond its syntax, if anything.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "name {:?} must be letters, digits, '-' or '_'",
                self.name
            ));
        }
        let path_ok = |p: &str| p.starts_with('/') && !p.contains("..") && !p.contains('?');
        for (what, p) in [
            ("scim.base_path", &self.scim.base_path),
            ("saml.acs_path", &self.saml.acs_path),
            ("saml.entity_id_path", &self.saml.entity_id_path),
            ("saml.login_path", &self.saml.login_path),
            ("saml.whoami_path", &self.saml.whoami_path),
        ] {
            if !path_ok(p) {
                return Err(format!("{what} {p:?} must be a path starting with '/'"));
            }
        }
        if !self.saml.test_path.is_empty() && !path_ok(&self.saml.test_path) {
            return Err(format!(
                "saml.test_path {:?} must be a path starting with '/'",
                self.saml.test_path
            ));
        }
        let uses_tenant = [
            &self.tenant.app_url,
            &self.saml.acs_path,
            &self.saml.entity_id_path,
        ]
        .iter()
        .any(|s| s.contains("{tenant}"));
        if uses_tenant {
            check_tenant(&self.tenant.example).map_err(|e| format!("tenant.example: {e}"))?;
        }
        let url = &self.tenant.app_url;
        if !url.is_empty()
            && !((url.starts_with("https://") || url.starts_with("http://"))
                && !url.trim_end_matches('/').contains(['?', '#'])
                && url.split('/').count() == 3)
        {
            return Err(format!(
                "tenant.app_url {url:?} must be an origin such as https://{{tenant}}.example.com"
            ));
        }
        if !matches!(self.okta.app_kind.as_str(), "oin" | "aiw") {
            return Err(format!(
                "okta.app_kind {:?} is not oin or aiw",
                self.okta.app_kind
            ));
        }
        if !matches!(
            self.saml.name_id_format.as_str(),
            "unspecified" | "emailAddress"
        ) {
            return Err(format!(
                "saml.name_id_format {:?} is not unspecified or emailAddress",
                self.saml.name_id_format
            ));
        }
        if self.scim.auth == AuthMode::Oauth {
            let o = self
                .scim
                .oauth
                .as_ref()
                .ok_or("scim.auth \"oauth\" needs a [scim.oauth] section")?;
            for (what, p) in [
                ("scim.oauth.authorize_path", &o.authorize_path),
                ("scim.oauth.token_path", &o.token_path),
            ] {
                if !path_ok(p) {
                    return Err(format!("{what} {p:?} must be a path starting with '/'"));
                }
            }
            if o.client_id.is_empty() || o.client_secret.is_empty() {
                return Err("scim.oauth needs a client_id and a client_secret".into());
            }
        }
        if let Some(g) = &self.saml.group_attribute {
            regex::Regex::new(&g.filter)
                .map_err(|e| format!("saml.group_attribute.filter: {e}"))?;
        }
        if !self.groups.role_groups.is_empty() && self.groups.default_role.is_empty() {
            return Err("groups.role_groups needs groups.default_role".into());
        }
        for d in self.app.user_extensions.iter().flatten() {
            d.validate().map_err(|e| e.to_string())?;
        }
        for (id, c) in &self.collisions {
            if !self.has_setting(&c.promise) && !self.promises.contains_key(&c.promise) {
                return Err(format!(
                    "collision {id}: promise {:?} is no setting",
                    c.promise
                ));
            }
        }
        for key in self.sources.keys() {
            if !self.has_setting(key) {
                return Err(format!("[sources] names {key:?}, which is no setting"));
            }
        }
        if (!self.sources.is_empty() || !self.promises.is_empty()) && self.guide.is_none() {
            return Err("[sources] or [promises] quotes a guide, but `guide` names none".into());
        }
        if let Some(k) = self.promises.keys().find(|k| self.has_setting(k)) {
            return Err(format!(
                "[promises] names {k:?}, which is a setting: quote it in [sources]"
            ));
        }
        Ok(())
    }

    /// Whether `path` (`scim.base_path`, `features.push_groups`…) names a setting of the format.
    pub fn has_setting(&self, path: &str) -> bool {
        let Ok(Value::Object(root)) = serde_json::to_value(self) else {
            return false;
        };
        // Settings the profile leaves out still exist: compare with a full default one.
        let full = serde_json::to_value(IntegrationProfile::parse_defaults()).unwrap_or_default();
        let mut parts = path.split('.');
        let Some(first) = parts.next() else {
            return false;
        };
        let mut at = root.get(first).or_else(|| full.get(first));
        for p in parts {
            at = at.and_then(|v| v.get(p));
        }
        at.is_some()
    }

    fn parse_defaults() -> IntegrationProfile {
        IntegrationProfile {
            name: "defaults".into(),
            vendor: String::new(),
            guide: None,
            summary: String::new(),
            tenant: TenantSettings::default(),
            features: Features::default(),
            groups: GroupSettings::default(),
            scim: ScimSettings {
                oauth: Some(OAuthSettings::default()),
                ..ScimSettings::default()
            },
            saml: SamlSettings {
                attributes: Some(Vec::new()),
                group_attribute: Some(GroupStatement {
                    name: String::new(),
                    filter: any_group(),
                }),
                ..SamlSettings::default()
            },
            app: AppRules {
                user_extensions: Some(Vec::new()),
                resource_types: Some(Vec::new()),
                sign_in_privileges: Some(SignInPrivileges::default()),
                ..AppRules::default()
            },
            okta: OktaSide::default(),
            collisions: BTreeMap::new(),
            sources: BTreeMap::new(),
            promises: BTreeMap::new(),
        }
    }

    /// The text of a known collision for a check that failed: the promise (with the guide's
    /// sentence when there is one), what Okta does, what the customer sees.
    pub fn collision_text(&self, check_id: &str) -> Option<String> {
        let c = self.collisions.get(check_id)?;
        let quote = match (self.quote(&c.promise), &self.guide) {
            (Some(q), Some(g)) => format!(" (guide {g}: \"{q}\")"),
            _ => String::new(),
        };
        Some(format!(
            "known collision of {}'s promise {}{quote} with Okta: {}. A customer sees: {}.",
            self.vendor, c.promise, c.okta, c.customer_sees
        ))
    }

    /// The guide's sentence for a setting or a promise.
    pub fn quote(&self, key: &str) -> Option<&String> {
        self.sources.get(key).or_else(|| self.promises.get(key))
    }

    /// The app's SAML URLs for `tenant` (the profile's example when `None`).
    pub fn sp_urls(&self, tenant: Option<&str>) -> Result<SpUrls, String> {
        let t = tenant.unwrap_or(&self.tenant.example);
        if tenant.is_some() {
            check_tenant(t).map_err(|e| format!("--tenant: {e}"))?;
        }
        let fill = |s: &str| s.replace("{tenant}", t);
        Ok(SpUrls {
            public_origin: (!self.tenant.app_url.is_empty())
                .then(|| fill(self.tenant.app_url.trim_end_matches('/'))),
            acs_path: fill(&self.saml.acs_path),
            entity_id_path: fill(&self.saml.entity_id_path),
        })
    }

    /// The tags of the scenarios the profile's features leave out, each with why.
    pub fn features_off(&self) -> Vec<(&'static str, &'static str)> {
        let f = &self.features;
        let mut out = Vec::new();
        if !self.saml.enabled {
            out.push(("saml", "the integration does not sign users in with SAML"));
        }
        if !f.password_sync {
            out.push(("password", "the integration does not sync passwords"));
        }
        if !f.push_groups {
            out.push(("push", "the integration does not push groups"));
            out.push(("link", "the integration does not push groups"));
            out.push(("rename", "the integration does not push groups"));
        }
        if !f.import_users {
            out.push(("import", "the integration does not import users"));
        }
        if !f.deactivate_users {
            out.push(("lifecycle", "the integration does not deactivate users"));
        }
        if !f.update_attributes {
            out.push(("profile", "the integration does not push profile updates"));
        }
        out
    }
}

/// The app's SAML URLs for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpUrls {
    /// The app's public origin (`https://acme.atomation.io`), when the profile names one.
    pub public_origin: Option<String>,
    /// The ACS path, tenant filled in.
    pub acs_path: String,
    /// The entity ID path, tenant filled in.
    pub entity_id_path: String,
}

impl SpUrls {
    /// The ACS URL and entity ID, on the public origin or else on `served` (where the app runs).
    pub fn absolute(&self, served: &str) -> (String, String) {
        let origin = self
            .public_origin
            .as_deref()
            .unwrap_or(served)
            .trim_end_matches('/');
        (
            format!("{origin}{}", self.acs_path),
            format!("{origin}{}", self.entity_id_path),
        )
    }
}

/// A tenant value: a DNS label (letters, digits, '-'), at most 63 characters.
pub fn check_tenant(t: &str) -> Result<(), String> {
    if t.is_empty()
        || t.len() > 63
        || t.starts_with('-')
        || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "{t:?} is not a tenant name (letters, digits and '-', at most 63)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_urls_are_filled_and_checked() {
        let p = IntegrationProfile::load("atomation").unwrap();
        let u = p.sp_urls(Some("globex")).unwrap();
        assert_eq!(
            u.absolute("http://127.0.0.1:1"),
            (
                "https://globex.atomation.io/auth/saml/acs".to_string(),
                "https://globex.atomation.io/saml/metadata".to_string()
            )
        );
        assert!(p.sp_urls(Some("../evil")).is_err());
        assert!(p.sp_urls(Some("")).is_err());
        let n = IntegrationProfile::load("natoma").unwrap();
        let u = n.sp_urls(None).unwrap();
        assert_eq!(u.public_origin, None);
        assert_eq!(
            u.absolute("http://127.0.0.1:1").0,
            "http://127.0.0.1:1/saml/acme/acs"
        );
    }

    #[test]
    fn built_in_profiles_parse_and_name_themselves() {
        for (name, text) in BUILT_IN {
            let p = IntegrationProfile::parse(text, name).unwrap();
            assert_eq!(&p.name, name);
        }
    }

    #[test]
    fn mistakes_are_refused_with_where_and_what() {
        let bad = [
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[scim]\nbase_pth = \"/x\"\n",
                "base_pth",
            ),
            ("name = \"x y\"\nvendor = \"v\"\nsummary = \"s\"\n", "name"),
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[scim]\nbase_path = \"scim\"\n",
                "scim.base_path",
            ),
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[okta]\napp_kind = \"x\"\n",
                "app_kind",
            ),
            (
                "name = \"x\"\nvendor = \"v\"\nguide = \"002\"\nsummary = \"s\"\n[sources]\n\"scim.nope\" = \"q\"\n",
                "scim.nope",
            ),
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[sources]\n\"scim.base_path\" = \"q\"\n",
                "guide",
            ),
            ("name = [", "line 1"),
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[saml]\nacs_path = \"/{tenant}/acs\"\n",
                "tenant.example",
            ),
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[tenant]\nexample = \"a\"\napp_url = \"https://{tenant}.x.io/path\"\n",
                "tenant.app_url",
            ),
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[scim]\nauth = \"oauth\"\n",
                "[scim.oauth]",
            ),
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[groups]\nrole_groups = [\"Admin\"]\n",
                "default_role",
            ),
            (
                "name = \"x\"\nvendor = \"v\"\nsummary = \"s\"\n[saml.group_attribute]\nname = \"g\"\nfilter = \"(\"\n",
                "filter",
            ),
            (
                "name = \"x\"\nvendor = \"v\"\nguide = \"1\"\nsummary = \"s\"\n[promises]\n\"scim.auth\" = \"q\"\n",
                "is a setting",
            ),
        ];
        for (text, word) in bad {
            let e = IntegrationProfile::parse(text, "t.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains(word) && e.starts_with("t.toml"), "{word}: {e}");
        }
        assert!(matches!(
            IntegrationProfile::load("nosuch"),
            Err(ProfileError::Unknown { .. })
        ));
        assert!(matches!(
            IntegrationProfile::load("/nonexistent/x.toml"),
            Err(ProfileError::Read { .. })
        ));
    }
}
