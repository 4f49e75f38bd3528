//! The SCIM 2.0 resource schemas this project serves and validates against: the core User and
//! Group schemas and the enterprise User extension of RFC 7643 §4 and §8.7.1, as one table that
//! drives attribute-name resolution, `caseExact`, mutability, `returned`, and the `/Schemas`
//! documents of RFC 7644 §4.

use serde_json::{Map, Value, json};

/// The core User schema (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The ListResponse message (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The PatchOp message (RFC 7644 §3.5.2).
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The Schema resource (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// The ResourceType resource (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// The ServiceProviderConfig resource (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// What a resource type is built on: the two of RFC 7643 §4, or one the app declares (Okta's
/// Role and Entitlement types of okta-attributes-entitlements-oauth §2, or any other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Base {
    /// The core User.
    User,
    /// The core Group.
    Group,
    /// A resource type the app declares (read-only to clients: Okta only reads them).
    Custom,
}

/// A resource type (RFC 7643 §6): its name, endpoint, core schema and schema extensions.
#[derive(Debug)]
pub struct ResourceTypeDef {
    /// Its name, e.g. `User`, `Role`, `License`.
    pub name: &'static str,
    /// Its endpoint, e.g. `/Users`.
    pub endpoint: &'static str,
    /// Its description.
    pub description: &'static str,
    /// Its core schema.
    pub schema: &'static SchemaDef,
    /// Its schema extensions.
    pub extensions: &'static [&'static SchemaDef],
    /// What it is built on.
    pub base: Base,
}

static USER_TYPE: ResourceTypeDef = ResourceTypeDef {
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &USER_EXTENSIONS,
    base: Base::User,
};

static GROUP_TYPE: ResourceTypeDef = ResourceTypeDef {
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
    base: Base::Group,
};

/// A resource type, as a cheap handle to its definition. `ResourceKind::User` and
/// `ResourceKind::Group` are the RFC's; an app with custom extensions or resource types makes
/// its own with [`ResourceKind::user_with`] and [`ResourceKind::custom`].
#[derive(Clone, Copy)]
pub struct ResourceKind(&'static ResourceTypeDef);

impl PartialEq for ResourceKind {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0) || self.0.name == other.0.name
    }
}
impl Eq for ResourceKind {}
impl std::hash::Hash for ResourceKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state)
    }
}
impl std::fmt::Debug for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

#[allow(non_upper_case_globals)]
impl ResourceKind {
    /// The core User with the enterprise extension (RFC 7643 §4.1, §4.3).
    pub const User: ResourceKind = ResourceKind(&USER_TYPE);
    /// The core Group (RFC 7643 §4.2).
    pub const Group: ResourceKind = ResourceKind(&GROUP_TYPE);

    /// The User type with these extensions (the enterprise one first when listed).
    pub fn user_with(extensions: &[&'static SchemaDef]) -> ResourceKind {
        let key = format!(
            "User|{}",
            extensions
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
                .join("|")
        );
        let exts: Vec<&'static SchemaDef> = extensions.to_vec();
        ResourceKind(intern_type(key, move || ResourceTypeDef {
            extensions: Box::leak(exts.into_boxed_slice()),
            ..USER_TYPE
        }))
    }

    /// A resource type the app declares, e.g. `Role` at `/Roles` with Okta's Role schema.
    pub fn custom(
        name: &str,
        endpoint: &str,
        description: &str,
        schema: &'static SchemaDef,
    ) -> ResourceKind {
        let key = format!("{name}|{endpoint}|{description}|{}", schema.id);
        let (name, endpoint, description) = (
            name.to_string(),
            endpoint.to_string(),
            description.to_string(),
        );
        ResourceKind(intern_type(key, move || ResourceTypeDef {
            name: leak(name),
            endpoint: leak(endpoint),
            description: leak(description),
            schema,
            extensions: &[],
            base: Base::Custom,
        }))
    }

    /// The Group type whose `displayName` compares with case (`caseExact: true`): an app whose
    /// group names are case-sensitive, as its `/Schemas` then says.
    pub fn group_case_exact() -> ResourceKind {
        ResourceKind(intern_type("Group|caseExact displayName".into(), || {
            let attrs: Vec<AttrDef> = GROUP
                .attributes
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    if a.name == "displayName" {
                        a.case_exact = true;
                    }
                    a
                })
                .collect();
            let schema: &'static SchemaDef = Box::leak(Box::new(SchemaDef {
                attributes: Box::leak(attrs.into_boxed_slice()),
                ..GROUP
            }));
            ResourceTypeDef {
                schema,
                ..GROUP_TYPE
            }
        }))
    }

    /// What it is built on.
    pub fn base(self) -> Base {
        self.0.base
    }
    /// The resource type's name: `User`, `Group`, `Role`…
    pub fn name(self) -> &'static str {
        self.0.name
    }
    /// The endpoint: `/Users`, `/Groups`, `/Roles`…
    pub fn endpoint(self) -> &'static str {
        self.0.endpoint
    }
    /// The description `/ResourceTypes` shows.
    pub fn description(self) -> &'static str {
        self.0.description
    }
    /// The core schema.
    pub fn core_schema(self) -> &'static SchemaDef {
        self.0.schema
    }
    /// The schema extensions the resource type declares.
    pub fn extensions(self) -> &'static [&'static SchemaDef] {
        self.0.extensions
    }
    /// Every attribute definition of the core schema and the extensions, with its container.
    pub fn all_attributes(self) -> impl Iterator<Item = (Container, &'static AttrDef)> {
        let core = self.0.schema.attributes.iter().map(|a| (Container::Top, a));
        let exts = self.0.extensions.iter().flat_map(|e| {
            e.attributes
                .iter()
                .map(move |a| (Container::Extension(e.id.to_string()), a))
        });
        core.chain(exts)
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Definitions made at run time live as long as the process: each distinct one is made once
/// (keyed by its canonical description), so starting many apps with one configuration costs
/// one copy.
fn intern_type(key: String, make: impl FnOnce() -> ResourceTypeDef) -> &'static ResourceTypeDef {
    static TYPES: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<String, &'static ResourceTypeDef>>,
    > = std::sync::LazyLock::new(Default::default);
    let mut m = TYPES.lock().unwrap_or_else(|e| e.into_inner());
    m.entry(key).or_insert_with(|| Box::leak(Box::new(make())))
}

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `decimal`.
    Decimal,
    /// `integer`.
    Integer,
    /// `dateTime`.
    DateTime,
    /// `reference`.
    Reference,
    /// `binary`.
    Binary,
    /// `complex`.
    Complex,
}

impl AttrType {
    /// The name RFC 7643 §2.3 gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Binary => "binary",
            AttrType::Complex => "complex",
        }
    }
}

/// Whether and how an attribute can be written (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// `readOnly`.
    ReadOnly,
    /// `readWrite`.
    ReadWrite,
    /// `immutable`.
    Immutable,
    /// `writeOnly`.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// `always`.
    Always,
    /// `never`.
    Never,
    /// `default`.
    Default,
    /// `request`.
    Request,
}

static USER_EXTENSIONS: [&SchemaDef; 1] = [&ENTERPRISE_USER];

/// One attribute definition (RFC 7643 §7).
#[derive(Debug, Clone)]
pub struct AttrDef {
    /// The attribute's name.
    pub name: &'static str,
    /// Its type.
    pub ty: AttrType,
    /// Whether it holds a list.
    pub multi_valued: bool,
    /// Whether it must be present.
    pub required: bool,
    /// Whether comparisons are case-sensitive.
    pub case_exact: bool,
    /// Whether and how it can be written.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Its uniqueness: true for `server`.
    pub unique: bool,
    /// The description `/Schemas` shows.
    pub description: &'static str,
    /// The values it may take, when restricted.
    pub canonical_values: &'static [&'static str],
    /// What a reference may point to.
    pub reference_types: &'static [&'static str],
    /// The sub-attributes of a complex attribute.
    pub sub_attributes: &'static [AttrDef],
}

const fn attr(name: &'static str, ty: AttrType, description: &'static str) -> AttrDef {
    AttrDef {
        name,
        ty,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        unique: false,
        description,
        canonical_values: &[],
        reference_types: &[],
        sub_attributes: &[],
    }
}

const fn string(name: &'static str, description: &'static str) -> AttrDef {
    attr(name, AttrType::String, description)
}

impl AttrDef {
    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn read_only(mut self) -> Self {
        self.mutability = Mutability::ReadOnly;
        self
    }
    const fn immutable(mut self) -> Self {
        self.mutability = Mutability::Immutable;
        self
    }
    const fn write_only(mut self) -> Self {
        self.mutability = Mutability::WriteOnly;
        self.returned = Returned::Never;
        self
    }
    const fn always(mut self) -> Self {
        self.returned = Returned::Always;
        self
    }
    const fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }
    const fn refs(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }
    const fn sub(mut self, subs: &'static [AttrDef]) -> Self {
        self.sub_attributes = subs;
        self
    }

    /// A sub-attribute by name, compared case-insensitively (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttrDef> {
        find(self.sub_attributes, name)
    }

    /// Whether it has sub-attributes.
    pub fn is_complex(&self) -> bool {
        self.ty == AttrType::Complex
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.ty.as_str()));
        m.insert("multiValued".into(), json!(self.multi_valued));
        m.insert("description".into(), json!(self.description));
        m.insert("required".into(), json!(self.required));
        if self.ty != AttrType::Complex && self.ty != AttrType::Boolean {
            m.insert("caseExact".into(), json!(self.case_exact));
        }
        if !self.canonical_values.is_empty() {
            m.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if !self.reference_types.is_empty() {
            m.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if !self.sub_attributes.is_empty() {
            m.insert(
                "subAttributes".into(),
                Value::Array(self.sub_attributes.iter().map(AttrDef::to_json).collect()),
            );
        }
        m.insert(
            "mutability".into(),
            json!(match self.mutability {
                Mutability::ReadOnly => "readOnly",
                Mutability::ReadWrite => "readWrite",
                Mutability::Immutable => "immutable",
                Mutability::WriteOnly => "writeOnly",
            }),
        );
        m.insert(
            "returned".into(),
            json!(match self.returned {
                Returned::Always => "always",
                Returned::Never => "never",
                Returned::Default => "default",
                Returned::Request => "request",
            }),
        );
        m.insert(
            "uniqueness".into(),
            json!(if self.unique { "server" } else { "none" }),
        );
        Value::Object(m)
    }
}

/// Find an attribute definition by name, case-insensitively.
pub fn find(attrs: &'static [AttrDef], name: &str) -> Option<&'static AttrDef> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// A schema (RFC 7643 §7).
#[derive(Debug)]
pub struct SchemaDef {
    /// The schema URN.
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its description.
    pub description: &'static str,
    /// Its attributes.
    pub attributes: &'static [AttrDef],
}

impl SchemaDef {
    /// The attribute of this name (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&'static AttrDef> {
        find(self.attributes, name)
    }

    /// The `/Schemas/{id}` document of RFC 7643 §7; `location` is the absolute URL of it.
    pub fn to_json(&self, location: &str) -> Value {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(AttrDef::to_json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": location},
        })
    }
}

/// Attributes common to every resource (RFC 7643 §3.1). They are not listed in the schemas.
pub static COMMON: [AttrDef; 4] = [
    string("schemas", "The schema URNs the resource uses.")
        .multi()
        .case_exact()
        .required()
        .always(),
    string("id", "Unique identifier assigned by the service provider.")
        .case_exact()
        .read_only()
        .always()
        .unique(),
    string(
        "externalId",
        "Identifier assigned by the provisioning client (Okta sends its user id).",
    )
    .case_exact(),
    attr("meta", AttrType::Complex, "Resource metadata.")
        .read_only()
        .sub(&[
            string("resourceType", "The resource type.")
                .case_exact()
                .read_only(),
            attr(
                "created",
                AttrType::DateTime,
                "When the resource was created.",
            )
            .read_only(),
            attr(
                "lastModified",
                AttrType::DateTime,
                "When the resource was last changed.",
            )
            .read_only(),
            attr("location", AttrType::Reference, "The URI of the resource.")
                .case_exact()
                .read_only()
                .refs(&["uri"]),
            string("version", "The weak ETag of the resource.")
                .case_exact()
                .read_only(),
        ]),
];

const TYPE_PRIMARY_VALUE: [AttrDef; 4] = [
    string("value", "The value."),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string("type", "A label indicating the attribute's function."),
    attr(
        "primary",
        AttrType::Boolean,
        "Whether this is the primary value.",
    ),
];

/// The core User schema.
pub static USER: SchemaDef = SchemaDef {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: &[
        string(
            "userName",
            "Unique identifier for the User, typically the Okta username (an email).",
        )
        .required()
        .unique(),
        attr(
            "name",
            AttrType::Complex,
            "The components of the user's real name.",
        )
        .sub(&[
            string("formatted", "The full name."),
            string("familyName", "The family name."),
            string("givenName", "The given name."),
            string("middleName", "The middle name(s)."),
            string("honorificPrefix", "The honorific prefix(es)."),
            string("honorificSuffix", "The honorific suffix(es)."),
        ]),
        string(
            "displayName",
            "The name of the User, suitable for display to end-users.",
        ),
        string("nickName", "The casual way to address the user."),
        attr(
            "profileUrl",
            AttrType::Reference,
            "A URI of the user's online profile.",
        )
        .refs(&["external"]),
        string("title", "The user's title."),
        string(
            "userType",
            "The relationship between the organization and the user.",
        ),
        string(
            "preferredLanguage",
            "The user's preferred written or spoken language.",
        ),
        string("locale", "The user's default location, e.g. en-US."),
        string("timezone", "The user's time zone in IANA format."),
        attr(
            "active",
            AttrType::Boolean,
            "The user's administrative status.",
        ),
        string("password", "The user's cleartext password; never returned.").write_only(),
        attr("emails", AttrType::Complex, "Email addresses for the user.")
            .multi()
            .sub(&[
                string("value", "Email address."),
                string("display", "A human-readable name."),
                string("type", "work, home or other.").canonical(&["work", "home", "other"]),
                attr(
                    "primary",
                    AttrType::Boolean,
                    "Whether this is the primary email.",
                ),
            ]),
        attr(
            "phoneNumbers",
            AttrType::Complex,
            "Phone numbers for the user.",
        )
        .multi()
        .sub(&[
            string("value", "Phone number."),
            string("display", "A human-readable name."),
            string("type", "work, home, mobile, fax, pager or other.")
                .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
            attr(
                "primary",
                AttrType::Boolean,
                "Whether this is the primary phone number.",
            ),
        ]),
        attr("ims", AttrType::Complex, "Instant messaging addresses.")
            .multi()
            .sub(&TYPE_PRIMARY_VALUE),
        attr("photos", AttrType::Complex, "URLs of photos of the user.")
            .multi()
            .sub(&[
                attr("value", AttrType::Reference, "URL of a photo.").refs(&["external"]),
                string("display", "A human-readable name."),
                string("type", "photo or thumbnail.").canonical(&["photo", "thumbnail"]),
                attr(
                    "primary",
                    AttrType::Boolean,
                    "Whether this is the primary photo.",
                ),
            ]),
        attr(
            "addresses",
            AttrType::Complex,
            "Physical mailing addresses.",
        )
        .multi()
        .sub(&[
            string("formatted", "The full mailing address."),
            string("streetAddress", "The street address."),
            string("locality", "The city or locality."),
            string("region", "The state or region."),
            string("postalCode", "The zip or postal code."),
            string("country", "The country, ISO 3166-1 alpha-2."),
            string("type", "work, home or other.").canonical(&["work", "home", "other"]),
            attr(
                "primary",
                AttrType::Boolean,
                "Whether this is the primary address.",
            ),
        ]),
        attr(
            "groups",
            AttrType::Complex,
            "The groups the user belongs to; derived from group membership.",
        )
        .multi()
        .read_only()
        .sub(&[
            string("value", "The id of the group.").read_only(),
            attr("$ref", AttrType::Reference, "The URI of the group.")
                .read_only()
                .refs(&["Group"]),
            string("display", "The displayName of the group.").read_only(),
            string("type", "direct or indirect.")
                .read_only()
                .canonical(&["direct", "indirect"]),
        ]),
        attr(
            "entitlements",
            AttrType::Complex,
            "Entitlements of the user.",
        )
        .multi()
        .sub(&TYPE_PRIMARY_VALUE),
        attr("roles", AttrType::Complex, "Roles of the user.")
            .multi()
            .sub(&TYPE_PRIMARY_VALUE),
        attr(
            "x509Certificates",
            AttrType::Complex,
            "Certificates of the user.",
        )
        .multi()
        .sub(&[
            attr("value", AttrType::Binary, "The DER certificate, base64."),
            string("display", "A human-readable name."),
            string("type", "A label."),
            attr(
                "primary",
                AttrType::Boolean,
                "Whether this is the primary certificate.",
            ),
        ]),
    ],
};

/// The enterprise User extension.
pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        string("employeeNumber", "Identifier assigned by the organization."),
        string("costCenter", "Cost center."),
        string("organization", "Organization."),
        string("division", "Division."),
        string("department", "Department."),
        attr("manager", AttrType::Complex, "The user's manager.").sub(&[
            string("value", "The id of the manager."),
            attr("$ref", AttrType::Reference, "The URI of the manager.").refs(&["User"]),
            string("displayName", "The manager's display name.").read_only(),
        ]),
    ],
};

/// The core Group schema.
pub static GROUP: SchemaDef = SchemaDef {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: &[
        string("displayName", "A human-readable name for the group.").required(),
        attr("members", AttrType::Complex, "The members of the group.")
            .multi()
            .sub(&[
                string("value", "The id of the member.")
                    .case_exact()
                    .immutable(),
                attr("$ref", AttrType::Reference, "The URI of the member.")
                    .immutable()
                    .refs(&["User", "Group"]),
                string(
                    "display",
                    "A human-readable name of the member (Okta sends the app userName).",
                ),
                string("type", "User or Group.")
                    .immutable()
                    .canonical(&["User", "Group"]),
            ]),
    ],
};

/// Okta's Role schema (okta-attributes-entitlements-oauth §2).
pub const OKTA_ROLE_SCHEMA: &str = "urn:okta:scim:schemas:core:1.0:Role";
/// Okta's Entitlement schema (okta-attributes-entitlements-oauth §2).
pub const OKTA_ENTITLEMENT_SCHEMA: &str = "urn:okta:scim:schemas:core:1.0:Entitlement";

/// Okta's Role: `id`, `displayName`, `description` (okta-attributes-entitlements-oauth §2).
pub static OKTA_ROLE: SchemaDef = SchemaDef {
    id: OKTA_ROLE_SCHEMA,
    name: "Role",
    description: "A role Okta Identity Governance can grant",
    attributes: &[
        string("displayName", "The role's name.").required(),
        string("description", "What the role allows."),
    ],
};

/// Okta's Entitlement: `id`, `displayName`, `type` (the resource type's name), `description`
/// (okta-attributes-entitlements-oauth §2).
pub static OKTA_ENTITLEMENT: SchemaDef = SchemaDef {
    id: OKTA_ENTITLEMENT_SCHEMA,
    name: "Entitlement",
    description: "An entitlement Okta Identity Governance can grant",
    attributes: &[
        string("displayName", "The entitlement's name.").required(),
        string("type", "The entitlement's type: the resource type's name.").required(),
        string(
            "description",
            "What the entitlement allows (at most 1000 characters).",
        ),
    ],
};

/// The schemas of the RFC's User (with the enterprise extension) and Group.
pub fn all_schemas() -> [&'static SchemaDef; 3] {
    [&USER, &GROUP, &ENTERPRISE_USER]
}

/// Where an attribute lives in a resource: top level, or inside an extension object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Container {
    /// The top level of the resource (the core schema).
    Top,
    /// A known or unknown extension schema URN; the attribute lives under that key.
    Extension(String),
}

/// A resolved attribute reference: container, canonical name and definition (None for
/// attributes of extension schemas this server does not describe).
#[derive(Debug, Clone)]
pub struct ResolvedAttr {
    /// Where it lives.
    pub container: Container,
    /// Its canonical name.
    pub name: String,
    /// Its definition, when the server describes it.
    pub def: Option<&'static AttrDef>,
}

/// Resolve `[uri ":"] name` against a resource kind (RFC 7644 §3.10). Names are matched
/// case-insensitively and returned in their canonical spelling.
pub fn resolve_attr(kind: ResourceKind, uri: Option<&str>, name: &str) -> Option<ResolvedAttr> {
    let core = kind.core_schema();
    match uri {
        None => {
            if let Some(d) = find(&COMMON, name).or_else(|| core.attribute(name)) {
                return Some(ResolvedAttr {
                    container: Container::Top,
                    name: d.name.into(),
                    def: Some(d),
                });
            }
            None
        }
        Some(u) if u.eq_ignore_ascii_case(core.id) => {
            let d = core.attribute(name).or_else(|| find(&COMMON, name))?;
            Some(ResolvedAttr {
                container: Container::Top,
                name: d.name.into(),
                def: Some(d),
            })
        }
        Some(u) => {
            if let Some(ext) = kind
                .extensions()
                .iter()
                .find(|e| e.id.eq_ignore_ascii_case(u))
            {
                let d = ext.attribute(name)?;
                return Some(ResolvedAttr {
                    container: Container::Extension(ext.id.into()),
                    name: d.name.into(),
                    def: Some(d),
                });
            }
            if is_schema_urn(u) {
                // An extension this server does not describe: kept verbatim.
                return Some(ResolvedAttr {
                    container: Container::Extension(u.into()),
                    name: name.into(),
                    def: None,
                });
            }
            None
        }
    }
}

/// Whether a key names an extension schema of `kind` (known or not), and its canonical spelling.
pub fn extension_urn(kind: ResourceKind, key: &str) -> Option<String> {
    if let Some(ext) = kind
        .extensions()
        .iter()
        .find(|e| e.id.eq_ignore_ascii_case(key))
    {
        return Some(ext.id.to_string());
    }
    let attr_of_known = |id: &str| {
        key.get(..id.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(id))
            && key.as_bytes().get(id.len()) == Some(&b':')
    };
    if is_schema_urn(key)
        && !key.eq_ignore_ascii_case(kind.core_schema().id)
        && !attr_of_known(kind.core_schema().id)
        && !kind.extensions().iter().any(|e| attr_of_known(e.id))
    {
        return Some(key.to_string());
    }
    None
}

/// A schema URN as RFC 7643 §10.2 defines their namespace (`urn:...`).
pub fn is_schema_urn(s: &str) -> bool {
    s.len() > 4 && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// Split `urn:...:Schema:attr.sub` into (Some(urn), "attr.sub"); a plain path gives (None, path).
/// The attribute name is the part after the last colon.
pub fn split_urn_path(path: &str) -> (Option<&str>, &str) {
    if is_schema_urn(path)
        && let Some(i) = path.rfind(':')
    {
        return (Some(&path[..i]), &path[i + 1..]);
    }
    (None, path)
}

/// The `/ResourceTypes/{name}` document (RFC 7643 §6).
pub fn resource_type_json(kind: ResourceKind, location: &str) -> Value {
    let mut v = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": kind.name(),
        "name": kind.name(),
        "endpoint": kind.endpoint(),
        "description": kind.description(),
        "schema": kind.core_schema().id,
    });
    let exts: Vec<Value> = kind
        .extensions()
        .iter()
        .map(|e| json!({"schema": e.id, "required": false}))
        .collect();
    if !exts.is_empty() {
        v["schemaExtensions"] = Value::Array(exts);
    }
    v["meta"] = json!({"resourceType": "ResourceType", "location": location});
    v
}

/// Every schema the resource types use, each once, in order of first use.
pub fn schemas_of(kinds: &[ResourceKind]) -> Vec<&'static SchemaDef> {
    let mut out: Vec<&'static SchemaDef> = Vec::new();
    for k in kinds {
        for s in std::iter::once(k.core_schema()).chain(k.extensions().iter().copied()) {
            if !out.iter().any(|o| o.id == s.id) {
                out.push(s);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_case_insensitively_to_canonical_spelling() {
        let r = resolve_attr(ResourceKind::User, None, "USERNAME").unwrap();
        assert_eq!(r.name, "userName");
        assert_eq!(r.container, Container::Top);
        let r = resolve_attr(ResourceKind::User, Some(USER_SCHEMA), "emails").unwrap();
        assert_eq!(r.name, "emails");
        let r = resolve_attr(
            ResourceKind::User,
            Some("URN:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
            "DEPARTMENT",
        )
        .unwrap();
        assert_eq!(
            r.container,
            Container::Extension(ENTERPRISE_USER_SCHEMA.into())
        );
        assert_eq!(r.name, "department");
        assert!(resolve_attr(ResourceKind::User, None, "nosuch").is_none());
        assert!(resolve_attr(ResourceKind::Group, None, "userName").is_none());
    }

    #[test]
    fn splits_urn_qualified_paths() {
        assert_eq!(
            split_urn_path(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
            ),
            (Some(ENTERPRISE_USER_SCHEMA), "manager.value")
        );
        assert_eq!(split_urn_path("name.givenName"), (None, "name.givenName"));
    }

    #[test]
    fn schema_documents_describe_user_name_as_case_insensitive_and_unique() {
        let doc = USER.to_json("http://x/Schemas/u");
        let user_name = &doc["attributes"][0];
        assert_eq!(user_name["name"], "userName");
        assert_eq!(user_name["caseExact"], false);
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["required"], true);
    }
}
