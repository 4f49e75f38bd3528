//! Discovery, as Okta's provisioning engine does it (okta-attributes-entitlements-oauth §1, §2):
//! Import User Schema (`GET /ResourceTypes`, `GET /Schemas`), SCIM with entitlements (the
//! resource types whose schema is Okta's Role or Entitlement, every value paged), Okta's
//! Entitlements test (`?count=1&startIndex=1`), and grants pushed in the user's `roles` and
//! `entitlements`.

use serde_json::{Map, Value, json};

use super::grants::{
    BUILT_IN_SCHEMAS, EntitlementSettings, GrantKind, GrantType, GrantValue, put_grants,
    resource_types_of,
};
use super::ops::{MAX_IMPORT_PAGES, Op, OpKind, ProfilePush, Session, Step};
use super::wire::WireRequest;
use crate::scim::list::{resources_of, total_results_of};

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
            op.fail(format!(
                "Error while discovering resource types: {}",
                rt.got()
            ));
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
            let name = t
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
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
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
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
                    op.fail(format!("Error while discovering {}: {}", g.name, ex.got()));
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
                    if seen.insert(id.clone()) {
                        g.values.push(GrantValue { id, display });
                    } else if g.repeated.len() < 1000 {
                        g.repeated.push(id);
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
        let mut req: WireRequest = self.wire.request(
            "GET",
            &format!("{endpoint}?count=1&startIndex=1"),
            &[],
            None,
        );
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
                self.patch_user(&mut op, &id, json!({"op": "replace", "value": value}))
                    .await;
            }
        }
        op
    }
}
