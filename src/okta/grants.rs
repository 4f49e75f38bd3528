//! What Okta knows of an app's grants (okta-attributes-entitlements-oauth §2): the resource types
//! whose schema is Okta's Role or Entitlement, their values as discovered, the OIN Wizard's
//! per-type properties, and how grants travel in a user's `roles` and `entitlements`.

use serde_json::{Map, Value};

use crate::scim::list::resources_of;
use crate::scim::schema::{
    ENTERPRISE_USER_SCHEMA, OKTA_ENTITLEMENT_SCHEMA, OKTA_ROLE_SCHEMA, USER_SCHEMA,
};

/// Whether a grant type holds roles or entitlements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// Okta's Role schema: grants go in the user's `roles`.
    Role,
    /// Okta's Entitlement schema: grants go in the user's `entitlements`, with `type`.
    Entitlement,
}

impl GrantKind {
    /// The kind a resource type's schema URN names, if it is one of Okta's.
    pub fn of_schema(urn: &str) -> Option<GrantKind> {
        if urn.eq_ignore_ascii_case(OKTA_ROLE_SCHEMA) {
            Some(GrantKind::Role)
        } else if urn.eq_ignore_ascii_case(OKTA_ENTITLEMENT_SCHEMA) {
            Some(GrantKind::Entitlement)
        } else {
            None
        }
    }
    /// The core User attribute the grants travel in.
    pub fn user_attribute(self) -> &'static str {
        match self {
            GrantKind::Role => "roles",
            GrantKind::Entitlement => "entitlements",
        }
    }
}

/// The OIN Wizard's "SCIM Entitlement Management properties" of one resource type (§2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementSettings {
    /// The resource type's name.
    pub resource_type: String,
    /// A user cannot be assigned without a grant of this type.
    pub required: bool,
    /// A user may hold more than one grant of this type.
    pub multi_valued: bool,
    /// The field holding a value's id (`id` unless renamed).
    pub id_field: String,
    /// The field holding its display name (`displayName` unless renamed).
    pub display_field: String,
    /// The field holding its description (`description` unless renamed).
    pub description_field: String,
}

impl EntitlementSettings {
    /// The defaults for a resource type: optional, multi-valued, fields not renamed.
    pub fn defaults(resource_type: &str) -> EntitlementSettings {
        EntitlementSettings {
            resource_type: resource_type.into(),
            required: false,
            multi_valued: true,
            id_field: "id".into(),
            display_field: "displayName".into(),
            description_field: "description".into(),
        }
    }
}

/// One value Okta discovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantValue {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub display: String,
}

/// A resource type of grants Okta discovered, with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantType {
    /// The resource type's name (an Entitlement's `type`).
    pub name: String,
    /// Its endpoint.
    pub endpoint: String,
    /// Role or Entitlement.
    pub kind: GrantKind,
    /// The values, in the order the app listed them (each once).
    pub values: Vec<GrantValue>,
    /// How many the app said there are (`totalResults`), when it said.
    pub total: Option<u64>,
    /// Values seen more than once while paging.
    pub repeated: Vec<String>,
    /// Values missing their id or display name in the configured fields.
    pub incomplete: usize,
    /// Entitlements whose `type` is not the resource type's name.
    pub wrong_type: usize,
}

/// The schema URNs Okta knows without asking (§2: "Entitlement, Role, User core and User
/// enterprise are built in").
pub const BUILT_IN_SCHEMAS: [&str; 4] = [
    USER_SCHEMA,
    ENTERPRISE_USER_SCHEMA,
    OKTA_ROLE_SCHEMA,
    OKTA_ENTITLEMENT_SCHEMA,
];

/// The resource types of a `/ResourceTypes` answer (a ListResponse, or a bare array).
pub fn resource_types_of(body: &Value) -> Vec<Value> {
    match body {
        Value::Array(a) => a.clone(),
        _ => resources_of(body).cloned().unwrap_or_default(),
    }
}

/// Set (or, with no values, remove) a user's grants attribute.
pub fn put_grants(m: &mut Map<String, Value>, attr: &str, values: Vec<Value>) {
    if values.is_empty() {
        m.remove(attr);
    } else {
        m.insert(attr.into(), Value::Array(values));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn okta_schemas_name_grant_kinds() {
        assert_eq!(
            GrantKind::of_schema("urn:okta:scim:schemas:core:1.0:Role"),
            Some(GrantKind::Role)
        );
        assert_eq!(
            GrantKind::of_schema("URN:okta:scim:schemas:core:1.0:Entitlement"),
            Some(GrantKind::Entitlement)
        );
        assert_eq!(GrantKind::of_schema(USER_SCHEMA), None);
        assert_eq!(
            resource_types_of(&json!({"Resources": [{"name": "User"}]})).len(),
            1
        );
        assert_eq!(resource_types_of(&json!([{"name": "User"}, {}])).len(), 2);
    }
}
