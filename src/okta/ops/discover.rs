//! Discovery, as Okta's provisioning engine does it (okta-attributes-entitlements-oauth §1, §2):
//! Import User Schema (`GET /ResourceTypes`, `GET /Schemas`), SCIM with entitlements (the
//! resource types whose schema is Okta's Role or Entitlement, every value paged), Okta's
//! Entitlements test (`?count=1&startIndex=1`), and grants pushed in the user's `roles` and
//! `entitlements`.

use serde_json::{Map, Value, json};

use super::{MAX_IMPORT_PAGES, Op, OpKind, ProfilePush, Session, Step};
use crate::okta::wire::WireRequest;
use crate::scim::list::{resources_of, total_results_of};
use crate::scim::schema::{
    ENTERPRISE_USER_SCHEMA, OKTA_ENTITLEMENT_SCHEMA, OKTA_ROLE_SCHEMA, PATCH_OP_SCHEMA,
    USER_SCHEMA,
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

impl Session {
    /// Import User Schema (§1): `GET /ResourceTypes`, then `GET /Schemas`.
    pub async fn import_user_schema(&self) -> Op {
        let mut op = Op::new(OpKind::ImportUserSchema);
        self.get(&mut op, Step::ResourceTypes, "/ResourceTypes", &[])
            .await;
        self.get(&mut op, Step::Schemas, "/Schemas", &[]).await;
        op
    }

    /// Entitlement discovery (§2): `GET /ResourceTypes`; `GET /Schemas` only when a resource
    /// type names an extension Okta does not know; then every value of every resource type
    /// whose schema is Okta's Role or Entitlement, paged by `startIndex` and `count` (the
    /// production query is UNCONFIRMED: pages of `settings.grant_page_size`).
    pub async fn discover_entitlements(&mut self) -> Op {
        let mut op = Op::new(OpKind::DiscoverEntitlements);
        let rt = self
            .get(&mut op, Step::ResourceTypes, "/ResourceTypes", &[])
            .await;
        let Some(body) = rt.json().filter(|_| rt.status() == Some(200)) else {
            op.fail(format!("Error while discovering resource types: {}", rt.got()));
            return op;
        };
        let types = resource_types_of(&body);
        let unknown = types.iter().any(|t| {
            t.get("schemaExtensions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| e.get("schema").and_then(Value::as_str))
                .any(|s| !BUILT_IN_SCHEMAS.iter().any(|b| b.eq_ignore_ascii_case(s)))
        });
        if unknown {
            self.get(&mut op, Step::Schemas, "/Schemas", &[]).await;
        }
        let mut found = Vec::new();
        for t in types.iter().take(64) {
            let Some(kind) = t
                .get("schema")
                .and_then(Value::as_str)
                .and_then(GrantKind::of_schema)
            else {
                continue;
            };
            let name = t.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            let Some(endpoint) = t
                .get("endpoint")
                .and_then(Value::as_str)
                .filter(|e| e.starts_with('/') && !e.contains("..") && !e.contains('?'))
            else {
                continue;
            };
            let settings = self.entitlement_settings(&name);
            let mut g = GrantType {
                name,
                endpoint: endpoint.to_string(),
                kind,
                values: Vec::new(),
                total: None,
                repeated: Vec::new(),
                incomplete: 0,
                wrong_type: 0,
            };
            let page = self.settings.grant_page_size.max(1).to_string();
            let mut start: u64 = 1;
            for _ in 0..MAX_IMPORT_PAGES {
                let s = start.to_string();
                let ex = self
                    .get(
                        &mut op,
                        Step::GrantPage,
                        endpoint,
                        &[("startIndex", &s), ("count", &page)],
                    )
                    .await;
                let Some(body) = ex.json().filter(|_| ex.status() == Some(200)) else {
                    op.fail(format!(
                        "Error while discovering {}: {}",
                        g.name,
                        ex.got()
                    ));
                    break;
                };
                let items = resources_of(&body).cloned().unwrap_or_default();
                g.total = total_results_of(&body).or(g.total);
                for item in &items {
                    let field = |f: &str| {
                        item.get(f)
                            .map(|v| match v {
                                Value::String(s) => s.clone(),
                                Value::Null => String::new(),
                                other => other.to_string(),
                            })
                            .unwrap_or_default()
                    };
                    let id = field(&settings.id_field);
                    let display = field(&settings.display_field);
                    if id.is_empty() || display.is_empty() {
                        g.incomplete += 1;
                        continue;
                    }
                    if kind == GrantKind::Entitlement && field("type") != g.name {
                        g.wrong_type += 1;
                    }
                    if g.values.iter().any(|v| v.id == id) {
                        g.repeated.push(id);
                    } else {
                        g.values.push(GrantValue { id, display });
                    }
                }
                start += items.len() as u64;
                match g.total {
                    Some(t) if start > t => break,
                    _ if items.is_empty() => break,
                    _ => {}
                }
            }
            found.push(g);
        }
        self.grant_types = found;
        op
    }

    /// Okta's Entitlements test (§2): `GET {endpoint}?count=1&startIndex=1` with the test
    /// runner's User-Agent.
    pub async fn entitlements_test(&self, endpoint: &str) -> Op {
        let mut op = Op::new(OpKind::EntitlementsTest);
        let mut req: WireRequest =
            self.wire
                .request("GET", &format!("{endpoint}?count=1&startIndex=1"), &[], None);
        for (k, v) in req.headers.iter_mut() {
            if k.eq_ignore_ascii_case("User-Agent") {
                *v = "OKTA SCIM Integration".into();
            }
        }
        self.send(&mut op, Step::EntitlementsTest, req).await;
        op
    }

    /// The OIN Wizard properties of a resource type (the defaults unless set).
    pub fn entitlement_settings(&self, resource_type: &str) -> EntitlementSettings {
        self.settings
            .entitlements
            .iter()
            .find(|e| e.resource_type == resource_type)
            .cloned()
            .unwrap_or_else(|| EntitlementSettings::defaults(resource_type))
    }

    /// Grant an assigned user a discovered value, and push the user's grants: GET + PUT by
    /// default, one path-less PATCH with `--profile-push patch` (§2). A grant of a type that is
    /// not multi-valued replaces the user's other grant of that type.
    pub async fn grant(&mut self, label: &str, type_name: &str, value_id: &str) -> Op {
        let mut op = Op::new(OpKind::Grant);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        let Some(t) = self.grant_types.iter().find(|t| t.name == type_name) else {
            op.fail(format!("Okta discovered no resource type {type_name:?}"));
            return op;
        };
        if !t.values.iter().any(|v| v.id == value_id) {
            op.fail(format!("Okta discovered no {type_name} {value_id:?}"));
            return op;
        }
        let multi = self.entitlement_settings(type_name).multi_valued;
        let grants = &mut self.users[label].grants;
        if !multi {
            grants.retain(|(t, _)| t != type_name);
        }
        if !grants.iter().any(|(t, v)| t == type_name && v == value_id) {
            grants.push((type_name.to_string(), value_id.to_string()));
        }
        let (roles, entitlements) = self.grant_values(label);
        match self.settings.profile_push {
            ProfilePush::GetPut => {
                self.push_profile_to(&mut op, label, &id, Step::Get, Step::Put, |m| {
                    put_grants(m, "roles", roles);
                    put_grants(m, "entitlements", entitlements);
                })
                .await;
            }
            ProfilePush::Patch => {
                let mut value = Map::new();
                put_grants(&mut value, "roles", roles);
                put_grants(&mut value, "entitlements", entitlements);
                let body = json!({"schemas": [PATCH_OP_SCHEMA],
                    "Operations": [{"op": "replace", "value": value}]});
                self.with_body(&mut op, Step::Patch, "PATCH", &format!("/Users/{id}"), &body)
                    .await;
            }
        }
        op
    }

    /// A user's grants as Okta sends them: `roles` `[{value, display}]` and `entitlements`
    /// `[{value, display, type}]` (whether Okta sends `display` and `type` is UNCONFIRMED; the
    /// shape follows D1's user example).
    pub fn grant_values(&self, label: &str) -> (Vec<Value>, Vec<Value>) {
        let mut roles = Vec::new();
        let mut entitlements = Vec::new();
        let Some(u) = self.users.get(label) else {
            return (roles, entitlements);
        };
        for (type_name, value_id) in &u.grants {
            let Some(t) = self.grant_types.iter().find(|t| &t.name == type_name) else {
                continue;
            };
            let display = t
                .values
                .iter()
                .find(|v| &v.id == value_id)
                .map(|v| v.display.clone())
                .unwrap_or_default();
            match t.kind {
                GrantKind::Role => roles.push(json!({"value": value_id, "display": display})),
                GrantKind::Entitlement => entitlements
                    .push(json!({"value": value_id, "display": display, "type": type_name})),
            }
        }
        (roles, entitlements)
    }

    /// Whether a user may be assigned: every required grant type has a grant (§2, "Required":
    /// Okta refuses the assignment in its admin UI, so nothing is sent).
    pub fn missing_required_grant(&self, label: &str) -> Option<String> {
        let u = self.users.get(label)?;
        self.settings
            .entitlements
            .iter()
            .filter(|e| e.required)
            .find(|e| !u.grants.iter().any(|(t, _)| t == &e.resource_type))
            .map(|e| e.resource_type.clone())
    }
}

fn put_grants(m: &mut Map<String, Value>, attr: &str, values: Vec<Value>) {
    if values.is_empty() {
        m.remove(attr);
    } else {
        m.insert(attr.into(), Value::Array(values));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
