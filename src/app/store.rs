//! The reference app's in-memory store: users and groups in creation order (stable paging),
//! indexes on `id`, `userName`, `externalId` and `displayName` (lookups cost the same for a
//! thousand or a million users), versions and weak ETags, and derived `groups` of a user.
//!
//! Every write takes one lock and validates before it changes anything, so concurrent writers
//! never lose an update nor break userName uniqueness, and a failed request leaves no trace.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use indexmap::IndexSet;
use serde_json::{Map, Value, json};

use crate::scim::error::ScimError;
use crate::scim::filter::FilterTarget;
use crate::scim::list::ListQuery;
use crate::scim::patch::{PatchOp, apply_patch};
use crate::scim::resource::{Projection, has_never_returned, ingest, strip_never_returned};
use crate::scim::schema::{Base, Container, Mutability, ResourceKind};

use super::profile::{AppKinds, AppProfile, FULL_NAME};
use super::table::{Sharded, Stored, Table, insert_vacant};

/// One stored resource. `body` holds the client-owned attributes in schema order.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub version: u64,
    pub created: String,
    pub last_modified: String,
    pub body: Map<String, Value>,
}

impl Record {
    /// The weak ETag of this version (RFC 7644 §3.14).
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

#[derive(Default)]
struct Inner {
    users: Table,
    groups: Table,
    /// The resources of the app's own resource types (Okta's Roles, Entitlements…), by type name.
    custom: HashMap<&'static str, Table>,
    /// lower-cased userName -> id (userName is unique and case-insensitive).
    user_names: Sharded<Box<str>, Arc<str>>,
    user_external_ids: Sharded<Box<str>, Vec<Arc<str>>>,
    /// lower-cased displayName -> ids.
    group_names: Sharded<Box<str>, Vec<Arc<str>>>,
    group_external_ids: Sharded<Box<str>, Vec<Arc<str>>>,
    /// user id -> ids of the groups listing it as a member.
    memberships: HashMap<String, IndexSet<String>>,
    /// The role groups the app publishes, highest first, and the role of a user in none.
    role_groups: Vec<String>,
    default_role: String,
    /// user id -> the privileges its last SAML sign-in applied (roles, groups).
    privileges: HashMap<String, SignedInPrivileges>,
    version: u64,
}

/// What one SAML sign-in applied to a user (Workato's hybrid model, seed 003).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignedInPrivileges {
    /// Each role attribute's value at the sign-in, by the attribute's name.
    pub roles: Vec<(String, String)>,
    /// The groups the sign-in asserted.
    pub groups: Vec<String>,
}

/// A rendered resource plus the ETag that goes in the response header.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub id: String,
    pub etag: String,
    pub body: Map<String, Value>,
}

/// A resource made ready outside the lock by [`Store::create_many`].
struct Prepared {
    id: Arc<str>,
    stored: Stored,
    /// A user's lower-cased userName and externalId, for the indexes.
    user_name: Option<Box<str>>,
    external_id: Option<Box<str>>,
    /// Any other resource's body, validated and indexed under the lock.
    body: Option<Map<String, Value>>,
}

/// The reference app's in-memory store: users and groups with their indexes and versions, behind one lock.
pub struct Store {
    inner: RwLock<Inner>,
    profile: AppProfile,
    kinds: AppKinds,
    /// Whether a SCIM client has authenticated: the workspace is provisioned over SCIM.
    scim_in_use: std::sync::atomic::AtomicBool,
}

fn string_at<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

/// A new resource id: a random (version 4) UUID, its bits from the thread's CSPRNG rather
/// than a system call each (seeding makes a million).
fn new_id() -> String {
    random_uuid().to_string()
}

/// [`new_id`] as the table keeps it, written without an intermediate `String`.
fn fresh_id() -> Arc<str> {
    random_uuid()
        .hyphenated()
        .encode_lower(&mut uuid::Uuid::encode_buffer())
        .into()
}

fn random_uuid() -> uuid::Uuid {
    use rand::Rng;
    uuid::Builder::from_random_bytes(rand::rng().random()).into_uuid()
}

/// `make(i)` for every `i` below `n`, in order, the range shared out among the cores: one list
/// per core, in order (joining them would copy every item once more).
fn on_every_core<T: Send>(n: usize, make: impl Fn(usize) -> T + Sync) -> Vec<Vec<T>> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunk = n.div_ceil(threads).max(1);
    let make = &make;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|from| {
                scope.spawn(move || (from..n.min(from + chunk)).map(make).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    })
}

/// The attribute a stored resource keeps apart as its name: `userName` of a user, else
/// `displayName`.
fn name_attr(kind: ResourceKind) -> &'static str {
    match kind.base() {
        Base::User => "userName",
        _ => "displayName",
    }
}

/// A resource's `meta` (RFC 7643 §3.1), in the order it is answered: serialized into the tree
/// of a read, or straight into the text of a list.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Meta<'a> {
    resource_type: &'a str,
    created: &'a str,
    last_modified: &'a str,
    location: String,
    version: String,
}

impl<'a> Meta<'a> {
    fn of(kind: ResourceKind, id: &str, rec: &'a Stored, base: &str) -> Self {
        Meta {
            resource_type: kind.name(),
            created: &rec.created,
            last_modified: &rec.last_modified,
            location: format!("{base}{}/{id}", kind.endpoint()),
            version: rec.etag(),
        }
    }
}

/// A stored resource, decoded.
fn record_of(id: &str, s: &Stored) -> Record {
    Record {
        id: id.to_string(),
        version: s.version,
        created: s.created.to_string(),
        last_modified: s.last_modified.to_string(),
        body: s.body(),
    }
}

fn member_ids(body: &Map<String, Value>) -> Vec<String> {
    match body.get("members") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|m| m.get("value").and_then(Value::as_str).map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether an `If-Match` header value allows a write to a resource with ETag `etag`.
fn if_match_allows(header: &str, etag: &str) -> bool {
    let strip = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_start_matches("w/")
            .trim_matches('"')
            .to_string()
    };
    let want = strip(etag);
    header
        .split(',')
        .any(|h| h.trim() == "*" || strip(h) == want)
}

impl Store {
    /// An empty store behaving as `profile` says.
    pub fn new(profile: AppProfile) -> Self {
        let kinds = profile.kinds();
        let mut inner = Inner::default();
        let ts = crate::timestamp::now();
        for (kind, values) in profile.custom_resources(&kinds) {
            let table = inner.custom.entry(kind.name()).or_default();
            for body in values {
                let id = string_at(&body, "id").unwrap_or_default().to_string();
                let mut body = body;
                body.shift_remove("id");
                table.insert(
                    id.into(),
                    Stored::new(1, &ts, &ts, "displayName", &body, false),
                );
            }
        }
        // The role groups it publishes, present from the start (Refresh App Groups lists them).
        inner.role_groups = profile.role_groups.clone();
        inner.default_role = profile.default_role.clone();
        for name in &profile.role_groups {
            inner.version += 1;
            let rec = Record {
                id: new_id(),
                version: inner.version,
                created: ts.clone(),
                last_modified: ts.clone(),
                body: json!({"schemas": [crate::scim::schema::GROUP_SCHEMA], "displayName": name, "members": []})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            };
            inner.put(kinds.group, rec);
        }
        Store {
            inner: RwLock::new(inner),
            profile,
            kinds,
            scim_in_use: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A group's new body, with the members it had put back when the app keeps removed members
    /// (Attio: "Okta does not support removing a user from a group via SCIM", seed 004).
    fn keeping_members(
        &self,
        kind: ResourceKind,
        old: &Map<String, Value>,
        mut body: Map<String, Value>,
    ) -> Map<String, Value> {
        if kind.base() != Base::Group || !self.profile.keeps_removed_members {
            return body;
        }
        let kept = member_ids(&body);
        let dropped: Vec<Value> = match old.get("members") {
            Some(Value::Array(before)) => before
                .iter()
                .filter(|m| {
                    let id = m.get("value").and_then(Value::as_str).unwrap_or_default();
                    !kept.iter().any(|k| k == id)
                })
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        if dropped.is_empty() {
            return body;
        }
        match body.get_mut("members") {
            Some(Value::Array(m)) => m.extend(dropped),
            _ => {
                body.insert("members".into(), Value::Array(dropped));
            }
        }
        body
    }

    /// A SCIM client authenticated: from now on the workspace is provisioned over SCIM.
    pub fn mark_scim_in_use(&self) {
        // Read first: a write on every request would bounce the line between cores.
        if !self.scim_in_use() {
            self.scim_in_use
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Whether a SCIM client has authenticated since the app started.
    pub fn scim_in_use(&self) -> bool {
        self.scim_in_use.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Apply the privileges of a SAML sign-in to a user (replacing the last sign-in's): the
    /// current values of the profile's role attributes, and the asserted groups.
    pub fn apply_sign_in_privileges(&self, user_id: &str, groups: Vec<String>) {
        let Some(rule) = &self.profile.sign_in_privileges else {
            return;
        };
        let mut inner = self.write();
        let Some(body) = inner.users.get(user_id).map(Stored::body) else {
            return;
        };
        let roles = rule
            .role_attributes
            .iter()
            .filter_map(|path| {
                let v = match path.rsplit_once(':') {
                    Some((urn, attr)) => body.get(urn).and_then(|e| e.get(attr)),
                    None => body.get(path.as_str()),
                };
                let name = path.rsplit(':').next().unwrap_or(path);
                v.and_then(Value::as_str)
                    .filter(|v| !v.is_empty())
                    .map(|v| (name.to_string(), v.to_string()))
            })
            .collect();
        inner
            .privileges
            .insert(user_id.to_string(), SignedInPrivileges { roles, groups });
    }

    /// The resource types the store serves.
    pub fn kinds(&self) -> &AppKinds {
        &self.kinds
    }

    /// The profile the store enforces.
    pub fn profile(&self) -> &AppProfile {
        &self.profile
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// How many resources of this kind it holds.
    pub fn count(&self, kind: ResourceKind) -> usize {
        let kind = self.kinds.own(kind);
        let inner = self.read();
        inner.table(kind).len()
    }

    /// Create a resource from a client's body (POST).
    pub fn create(
        &self,
        kind: ResourceKind,
        body: &Value,
        base: &str,
    ) -> Result<Rendered, ScimError> {
        let kind = self.kinds.own(kind);
        let body = prepare(kind, ingest(kind, body)?)?;
        let mut inner = self.write();
        let body = inner.validate(kind, None, None, body, &self.profile)?;
        let id = new_id();
        inner.version += 1;
        let ts = crate::timestamp::now();
        let rec = Record {
            id: id.clone(),
            version: inner.version,
            created: ts.clone(),
            last_modified: ts,
            body,
        };
        inner.put(kind, rec);
        Ok(inner
            .render(kind, &id, base, &Projection::default())
            .expect("just inserted"))
    }

    /// Create `n` resources at once (seeding), the `i`th from `make(i)`: bodies are made,
    /// ingested, checked and encoded on every core, then stored under one lock, each validated
    /// as a POST would be. Returns how many were created; a refused body is logged and skipped.
    pub fn create_many(
        &self,
        kind: ResourceKind,
        n: usize,
        make: impl Fn(usize) -> Value + Sync,
    ) -> usize {
        let kind = self.kinds.own(kind);
        let ts = crate::timestamp::now();
        let users = kind.base() == Base::User;
        // A user keeps only what the insert needs; any other resource its body, to validate.
        let prepared = on_every_core(n, |i| -> Result<Prepared, ScimError> {
            let body = prepare(kind, ingest(kind, &make(i))?)?;
            let stored = Stored::new(
                0,
                &ts,
                &ts,
                name_attr(kind),
                &body,
                !has_never_returned(kind, &body),
            );
            Ok(Prepared {
                id: fresh_id(),
                user_name: stored.name.as_deref().map(|n| n.to_lowercase().into()),
                external_id: string_at(&body, "externalId").map(Into::into),
                stored,
                body: (!users).then_some(body),
            })
        });
        let mut ready = Vec::with_capacity(n);
        for (i, p) in prepared.into_iter().flatten().enumerate() {
            match p {
                Ok(p) => ready.push((i, p)),
                Err(e) => tracing::warn!("{} {i} not created: {e}", kind.name()),
            }
        }
        let mut inner = self.write();
        if users {
            return inner.insert_new_users(vec![ready]);
        }
        inner.reserve(kind, ready.len());
        let mut created = 0;
        for (i, mut p) in ready {
            let body = p.body.take().unwrap_or_default();
            match inner.validate(kind, None, None, body, &self.profile) {
                Ok(body) => {
                    inner.index(kind, &p.id, &body);
                    inner.version += 1;
                    p.stored.version = inner.version;
                    inner.table_mut(kind).insert(p.id, p.stored);
                    created += 1;
                }
                Err(e) => tracing::warn!("{} {i} not created: {e}", kind.name()),
            }
        }
        created
    }

    /// Create `n` users whose bodies the app itself wrote in their stored form (seeding):
    /// `make(i)` gives the compact JSON, the userName and the externalId. Nothing is ingested:
    /// the caller's bodies are what ingesting would store (a test holds the seed's to that).
    /// Made on every core; stored under one lock with the userName checked free. Returns how
    /// many were created.
    pub(crate) fn create_many_stored(
        &self,
        n: usize,
        make: impl Fn(usize) -> (String, String, Option<String>) + Sync,
    ) -> usize {
        let ts: Arc<str> = crate::timestamp::now().into();
        let prepared = on_every_core(n, |i| {
            let (json, name, external_id) = make(i);
            let p = Prepared {
                id: fresh_id(),
                user_name: Some(name.to_lowercase().into()),
                external_id: external_id.map(Into::into),
                stored: Stored::from_json(0, &ts, Some(&name), json),
                body: None,
            };
            (i, p)
        });
        self.write().insert_new_users(prepared)
    }

    /// One resource, projected as asked.
    pub fn get(
        &self,
        kind: ResourceKind,
        id: &str,
        base: &str,
        projection: &Projection,
    ) -> Result<Rendered, ScimError> {
        let kind = self.kinds.own(kind);
        let inner = self.read();
        inner
            .render(kind, id, base, projection)
            .ok_or_else(|| not_found(kind, id))
    }

    /// Replace a resource (PUT, RFC 7644 §3.5.1).
    pub fn replace(
        &self,
        kind: ResourceKind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        base: &str,
    ) -> Result<Rendered, ScimError> {
        let kind = self.kinds.own(kind);
        let body = prepare(kind, ingest(kind, body)?)?;
        let mut inner = self.write();
        let old = inner.existing(kind, id, if_match)?;
        let body = self.keeping_members(kind, &old.body, body);
        let body = inner.validate(kind, Some(id), Some(&old.body), body, &self.profile)?;
        inner.commit(kind, id, old, body);
        Ok(inner
            .render(kind, id, base, &Projection::default())
            .expect("just replaced"))
    }

    /// Modify a resource (PATCH, RFC 7644 §3.5.2).
    pub fn patch(
        &self,
        kind: ResourceKind,
        id: &str,
        ops: &[PatchOp],
        if_match: Option<&str>,
        base: &str,
    ) -> Result<Rendered, ScimError> {
        let kind = self.kinds.own(kind);
        if kind == ResourceKind::Group {
            check_member_values(ops)?;
        }
        // The patch is applied to a copy outside the lock, and written if nobody changed the
        // resource meanwhile; when somebody did, it is applied again under the lock.
        let old = self.read().existing(kind, id, if_match)?;
        let body = patched_body(kind, &old.body, ops)?;
        let mut inner = self.write();
        let current = inner.existing(kind, id, if_match)?;
        let (old, body) = if current.version == old.version {
            (old, body)
        } else {
            let body = patched_body(kind, &current.body, ops)?;
            (current, body)
        };
        let body = self.keeping_members(kind, &old.body, body);
        let body = inner.validate(kind, Some(id), Some(&old.body), body, &self.profile)?;
        if body != old.body {
            inner.commit(kind, id, old, body);
        }
        Ok(inner
            .render(kind, id, base, &Projection::default())
            .expect("just patched"))
    }

    /// Delete a resource; a deleted user leaves every group.
    pub fn delete(
        &self,
        kind: ResourceKind,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), ScimError> {
        let kind = self.kinds.own(kind);
        let mut inner = self.write();
        let old = inner.existing(kind, id, if_match)?;
        inner.unindex(kind, id, &old.body);
        inner.table_mut(kind).remove(id);
        match kind.base() {
            Base::Custom => {}
            Base::User => {
                inner.privileges.remove(id);
                // A deleted user leaves every group it was in.
                let groups: Vec<String> = inner
                    .memberships
                    .remove(id)
                    .map(|s| s.into_iter().collect())
                    .unwrap_or_default();
                inner.version += 1;
                let v = inner.version;
                let ts = crate::timestamp::now();
                for gid in groups {
                    if let Some(g) = inner.groups.get_mut(&gid) {
                        let mut body = g.body();
                        if let Some(Value::Array(items)) = body.get_mut("members") {
                            items.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
                        }
                        g.set_body("displayName", &body);
                        g.version = v;
                        g.last_modified = ts.as_str().into();
                    }
                }
            }
            Base::Group => {
                for uid in member_ids(&old.body) {
                    if let Some(set) = inner.memberships.get_mut(&uid) {
                        set.shift_remove(id);
                    }
                }
            }
        }
        Ok(())
    }

    /// A page of resources matching a query, and the total number of matches.
    pub fn list(
        &self,
        kind: ResourceKind,
        query: &ListQuery,
        base: &str,
    ) -> (usize, Vec<Map<String, Value>>) {
        self.listed(kind, query, base, |inner, kind, id| {
            inner
                .render(kind, id, base, &query.projection)
                .map(|r| r.body)
        })
    }

    /// [`Store::list`] with each resource as its JSON text, as it is answered: written
    /// straight from the stored text where it can be, without decoding.
    pub fn list_json(
        &self,
        kind: ResourceKind,
        query: &ListQuery,
        base: &str,
    ) -> (usize, Vec<String>) {
        self.listed(kind, query, base, |inner, kind, id| {
            inner.render_json(kind, id, base, &query.projection)
        })
    }

    /// A page of a query, each resource as `render` gives it, and the total number of matches.
    fn listed<T>(
        &self,
        kind: ResourceKind,
        query: &ListQuery,
        base: &str,
        render: impl Fn(&Inner, ResourceKind, &str) -> Option<T>,
    ) -> (usize, Vec<T>) {
        let kind = self.kinds.own(kind);
        let inner = self.read();
        let (total, ids) = inner.page(kind, query, base);
        let page = ids
            .iter()
            .filter_map(|id| render(&inner, kind, id))
            .collect();
        (total, page)
    }

    /// Append members to a group without any check (only for the `keep-duplicate-members` fault).
    pub fn append_members_unchecked(&self, group_id: &str, members: Vec<Value>) {
        let mut inner = self.write();
        if let Some(g) = inner.groups.get_mut(group_id) {
            let mut body = g.body();
            if let Some(Value::Array(items)) = body.get_mut("members") {
                items.extend(members);
                g.set_body("displayName", &body);
            }
        }
    }

    /// Whether a user has this id.
    pub fn has_user(&self, id: &str) -> bool {
        self.read().users.contains_key(id)
    }

    /// The user with this userName (case-insensitive), if any.
    pub fn find_user_by_name(&self, user_name: &str) -> Option<Record> {
        let inner = self.read();
        let id = inner.user_names.get(user_name.to_lowercase().as_str())?;
        inner.users.get(id).map(|s| record_of(id, s))
    }

    /// Just-in-time provisioning from a SAML login: create the user, or update the attributes
    /// the IdP asserts. `asserted` pairs a target (see [`SamlAttributeMap`]) with the values of
    /// its attribute statement. Returns the user's id and whether it was created.
    pub fn jit_upsert(
        &self,
        user_name: &str,
        asserted: &[(String, Vec<String>)],
        base: &str,
    ) -> Result<(String, bool), ScimError> {
        let user = self.kinds.user;
        let (existing, mut body) = match self.find_user_by_name(user_name) {
            Some(rec) => (Some(rec.id), rec.body),
            None => (
                None,
                json!({"schemas": [crate::scim::schema::USER_SCHEMA], "userName": user_name, "active": true})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
        };
        let first = |t: &str| {
            asserted
                .iter()
                .find(|(k, v)| k == t && !v.is_empty())
                .and_then(|(_, v)| v.first().cloned())
        };
        let (mut given, mut family) = (first("name.givenName"), first("name.familyName"));
        if let Some(full) = first(FULL_NAME) {
            // One `name` statement, first + " " + last (Natoma's): split at the first space
            // unless the parts are asserted too.
            let (g, f) = full.split_once(' ').unwrap_or((full.as_str(), ""));
            given = given.or_else(|| Some(g.to_string()));
            family = family.or_else(|| (!f.trim().is_empty()).then(|| f.trim().to_string()));
            body.insert("displayName".into(), json!(full));
            let name = body.entry("name").or_insert_with(|| json!({}));
            if let Value::Object(n) = name {
                n.insert("formatted".into(), json!(full));
            }
        } else if given.is_some() || family.is_some() {
            let display = format!(
                "{} {}",
                given.clone().unwrap_or_default(),
                family.clone().unwrap_or_default()
            )
            .trim()
            .to_string();
            body.insert("displayName".into(), json!(display));
        }
        if given.is_some() || family.is_some() {
            let name = body.entry("name").or_insert_with(|| json!({}));
            if let Value::Object(n) = name {
                if let Some(g) = &given {
                    n.insert("givenName".into(), json!(g));
                }
                if let Some(f) = &family {
                    n.insert("familyName".into(), json!(f));
                }
            }
        }
        for (target, values) in asserted {
            if values.is_empty() || target == FULL_NAME || target.starts_with("name.") {
                continue;
            }
            if target == "emails" {
                body.insert(
                    "emails".into(),
                    json!([{"value": values[0], "type": "work", "primary": true}]),
                );
                continue;
            }
            let (urn, path) = crate::scim::schema::split_urn_path(target);
            let (top, sub) = match path.split_once('.') {
                Some((t, s)) => (t, Some(s)),
                None => (path, None),
            };
            let Some(r) = crate::scim::schema::resolve_attr(user, urn, top) else {
                continue;
            };
            let def = match (r.def, sub) {
                (Some(d), Some(s)) => d.sub_attribute(s),
                (d, _) => d,
            };
            let typed = |v: &str| match def.map(|d| d.ty) {
                Some(crate::scim::schema::AttrType::Integer) => v
                    .trim()
                    .parse::<i64>()
                    .map(|n| json!(n))
                    .unwrap_or(json!(v)),
                Some(crate::scim::schema::AttrType::Decimal) => v
                    .trim()
                    .parse::<f64>()
                    .map(|n| json!(n))
                    .unwrap_or(json!(v)),
                _ => json!(v),
            };
            let multi = def.is_some_and(|d| d.multi_valued);
            let complex_multi = multi && def.is_some_and(|d| d.is_complex());
            let value = if complex_multi {
                Value::Array(values.iter().map(|v| json!({"value": v})).collect())
            } else if multi {
                Value::Array(values.iter().map(|v| typed(v)).collect())
            } else {
                typed(&values[0])
            };
            let container = match &r.container {
                Container::Top => &mut body,
                Container::Extension(u) => {
                    let e = body.entry(u.clone()).or_insert_with(|| json!({}));
                    if !e.is_object() {
                        *e = json!({});
                    }
                    match e {
                        Value::Object(m) => m,
                        _ => continue,
                    }
                }
            };
            match sub {
                None => {
                    container.insert(r.name.clone(), value);
                }
                Some(s) => {
                    let parent = container.entry(r.name.clone()).or_insert_with(|| json!({}));
                    if let Value::Object(p) = parent {
                        p.insert(s.to_string(), value);
                    }
                }
            }
        }
        let body = Value::Object(body);
        match existing {
            Some(id) => self
                .replace(ResourceKind::User, &id, &body, None, base)
                .map(|r| (r.id, false)),
            None => self
                .create(ResourceKind::User, &body, base)
                .map(|r| (r.id, true)),
        }
    }

    /// The raw stored bodies of every resource of a kind, in order (for tests and snapshots).
    pub fn snapshot(&self, kind: ResourceKind) -> Vec<Record> {
        self.read()
            .table(kind)
            .iter()
            .map(|(id, s)| record_of(id, s))
            .collect()
    }
}

fn not_found(kind: ResourceKind, id: &str) -> ScimError {
    ScimError::not_found(format!("{} {id:?} not found", kind.name()))
}

/// A resource body with a PATCH applied, checked as a new body is.
fn patched_body(
    kind: ResourceKind,
    old: &Map<String, Value>,
    ops: &[PatchOp],
) -> Result<Map<String, Value>, ScimError> {
    let patched = settle_primary(kind, old, apply_patch(kind, old, ops)?)?;
    prepare(kind, ingest(kind, &Value::Object(patched))?)
}

/// The checks of a new body that need nothing else from the store, done before it is locked:
/// required attributes, at most one primary value per attribute, canonical group members.
fn prepare(
    kind: ResourceKind,
    mut body: Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    for def in kind.core_schema().attributes.iter().filter(|d| d.required) {
        match body.get(def.name) {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "{} is required",
                    def.name
                )));
            }
        }
    }
    // Attributes an extension declares required must be there once the extension is.
    for ext in kind.extensions() {
        for def in ext.attributes.iter().filter(|d| d.required) {
            let present = body
                .get(ext.id)
                .and_then(|e| e.get(def.name))
                .is_some_and(|v| !v.is_null());
            if !present {
                return Err(ScimError::invalid_value(format!(
                    "{}:{} is required",
                    ext.id, def.name
                )));
            }
        }
    }
    for (name, value) in &body {
        if let Value::Array(items) = value {
            let primaries = items
                .iter()
                .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
                .count();
            if primaries > 1 {
                return Err(ScimError::invalid_value(format!(
                    "{name} has {primaries} values marked primary; at most one may be (RFC 7643 §2.4)"
                )));
            }
        }
    }
    if kind == ResourceKind::Group
        && let Some(Value::Array(items)) = body.remove("members")
    {
        body.insert("members".into(), Value::Array(normalize_members(items)?));
    }
    Ok(body)
}

/// The members a group PATCH adds or sets, checked as a body's are (before the PATCH merges
/// them with members already there, which would hide a wrong `type`).
fn check_member_values(ops: &[PatchOp]) -> Result<(), ScimError> {
    for op in ops {
        let members = match (&op.path, &op.value) {
            (Some(p), Some(v)) if p.to_ascii_lowercase().starts_with("members") => v.clone(),
            (None, Some(Value::Object(o))) => {
                match o.iter().find(|(k, _)| k.eq_ignore_ascii_case("members")) {
                    Some((_, v)) => v.clone(),
                    None => continue,
                }
            }
            _ => continue,
        };
        let items = match members {
            Value::Array(items) => items,
            Value::Object(_) => vec![members],
            _ => continue,
        };
        normalize_members(items)?;
    }
    Ok(())
}

/// A group's members made canonical, in linear time: each needs a `value`; a `type`, when
/// given, must say `User` (this app's groups hold users) and is stored as `User`; one entry per
/// id, the first (members are keyed by id alone, so a later entry with another `display` or
/// `type` spelling is the same member). `display` is not stored: reading a group gives each
/// member's current userName.
fn normalize_members(items: Vec<Value>) -> Result<Vec<Value>, ScimError> {
    let mut seen: std::collections::HashSet<String> =
        std::collections::HashSet::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for m in items {
        let Some(obj) = m.as_object() else {
            return Err(ScimError::invalid_value(
                "every member must be an object with a \"value\"",
            ));
        };
        let Some(uid) = obj
            .get("value")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            return Err(ScimError::invalid_value(
                "every member needs a \"value\" (the user's id)",
            ));
        };
        let mut member = Map::new();
        member.insert("value".into(), Value::String(uid.to_string()));
        match obj.get("type") {
            None | Some(Value::Null) => {}
            Some(Value::String(t)) if t.eq_ignore_ascii_case("user") => {
                member.insert("type".into(), Value::String("User".into()));
            }
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "member {uid:?} has type {other}, but this app's groups hold users (type \"User\")"
                )));
            }
        }
        if seen.insert(uid.to_string()) {
            out.push(Value::Object(member));
        }
    }
    Ok(out)
}

/// RFC 7644 §3.5.2: a PATCH that makes a value primary makes the attribute's other values not
/// primary. Values that were primary before give way to the one the PATCH set; a PATCH that
/// itself sets two is refused by `prepare`.
fn settle_primary(
    kind: ResourceKind,
    old: &Map<String, Value>,
    mut new: Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    if kind != ResourceKind::User {
        return Ok(new);
    }
    let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
    for (name, value) in new.iter_mut() {
        let Value::Array(items) = value else { continue };
        if items.iter().filter(|v| is_primary(v)).count() < 2 {
            continue;
        }
        let before: Vec<&Value> = match old.get(name) {
            Some(Value::Array(o)) => o.iter().filter(|v| is_primary(v)).collect(),
            _ => Vec::new(),
        };
        for item in items.iter_mut() {
            let was = before
                .iter()
                .any(|b| b.get("value") == item.get("value") && b.get("type") == item.get("type"));
            if was
                && is_primary(item)
                && let Some(o) = item.as_object_mut()
            {
                o.insert("primary".into(), Value::Bool(false));
            }
        }
    }
    Ok(new)
}

/// The view of a record a filter sees: its body plus `id`, `meta` and the derived `groups`.
struct RecordView<'a> {
    kind: ResourceKind,
    id: &'a str,
    stored: &'a Stored,
    body: Map<String, Value>,
    inner: &'a Inner,
    base: &'a str,
}

impl FilterTarget for RecordView<'_> {
    fn attribute(&self, container: &Container, name: &str) -> Option<Cow<'_, Value>> {
        if *container == Container::Top {
            match name {
                "id" => return Some(Cow::Owned(Value::String(self.id.to_string()))),
                "meta" => {
                    return Some(Cow::Owned(self.inner.meta(
                        self.kind,
                        self.id,
                        self.stored,
                        self.base,
                    )));
                }
                "groups" if self.kind == ResourceKind::User => {
                    return Some(Cow::Owned(self.inner.user_groups(self.id, self.base)));
                }
                "members" if self.kind == ResourceKind::Group => {
                    return self
                        .body
                        .get("members")
                        .map(|m| Cow::Owned(self.inner.members_with_display(m)));
                }
                _ => {}
            }
        }
        self.body.attribute(container, name)
    }
}

impl Inner {
    fn table(&self, kind: ResourceKind) -> &Table {
        static EMPTY: std::sync::LazyLock<Table> = std::sync::LazyLock::new(Table::default);
        match kind.base() {
            Base::User => &self.users,
            Base::Group => &self.groups,
            Base::Custom => self.custom.get(kind.name()).unwrap_or(&EMPTY),
        }
    }

    fn table_mut(&mut self, kind: ResourceKind) -> &mut Table {
        match kind.base() {
            Base::User => &mut self.users,
            Base::Group => &mut self.groups,
            Base::Custom => self.custom.entry(kind.name()).or_default(),
        }
    }

    fn view<'a>(
        &'a self,
        kind: ResourceKind,
        id: &'a str,
        stored: &'a Stored,
        base: &'a str,
    ) -> RecordView<'a> {
        RecordView {
            kind,
            id,
            stored,
            body: stored.body(),
            inner: self,
            base,
        }
    }

    /// The ids of a page of resources matching a query, and the total number of matches.
    fn page(&self, kind: ResourceKind, query: &ListQuery, base: &str) -> (usize, Vec<Arc<str>>) {
        let table = self.table(kind);
        let Some(filter) = &query.filter else {
            let range = query.page(table.len());
            let page = range
                .filter_map(|i| table.get_index(i).map(|(id, _)| Arc::clone(id)))
                .collect();
            return (table.len(), page);
        };
        let plan = filter.index_plan(match kind.base() {
            Base::User => &["id", "userName", "externalId"],
            Base::Group => &["id", "displayName", "externalId"],
            Base::Custom => &["id"],
        });
        // An index answers a lone equality exactly when it compares as the filter does: the
        // name indexes in lower case, the externalId and id ones exactly.
        let exact = filter
            .single_equality()
            .is_some_and(|(attr, case_exact)| match attr {
                "userName" | "displayName" => !case_exact,
                "externalId" | "id" => case_exact,
                _ => false,
            });
        let matches: Vec<Arc<str>> = match plan {
            Some(eqs) => {
                let mut found: Vec<(u64, Arc<str>)> = eqs
                    .iter()
                    .flat_map(|(attr, value)| self.lookup(kind, attr, value))
                    .filter_map(|id| table.seq_of(&id).map(|seq| (seq, id)))
                    .collect();
                found.sort_unstable_by_key(|(seq, _)| *seq);
                found.dedup_by_key(|(seq, _)| *seq);
                found
                    .into_iter()
                    .filter(|(_, id)| {
                        exact
                            || table
                                .get(id)
                                .is_some_and(|s| filter.matches(&self.view(kind, id, s, base)))
                    })
                    .map(|(_, id)| id)
                    .collect()
            }
            None => {
                // What the body must contain for the filter to match it: a resource without
                // it is passed over undecoded.
                let in_body = |c: &Container, name: &str| {
                    *c != Container::Top
                        || !matches!(
                            (kind.base(), name),
                            (_, "id" | "meta") | (Base::User, "groups") | (Base::Group, "members")
                        )
                };
                let needles: Vec<_> = filter
                    .required_text(&in_body)
                    .iter()
                    .map(|n| memchr::memmem::Finder::new(n).into_owned())
                    .collect();
                let mut buf = Vec::new();
                let mut found = table.select(|id, s| {
                    s.may_hold(&needles, &mut buf) && filter.matches(&self.view(kind, id, s, base))
                });
                found.sort_unstable_by_key(|(seq, _)| *seq);
                found.into_iter().map(|(_, id)| id).collect()
            }
        };
        let range = query.page(matches.len());
        let page = matches[range].to_vec();
        (matches.len(), page)
    }

    /// A resource's JSON text as it is answered: [`Inner::render`]'s body, written. A user read
    /// as stored, with nothing computed for it, is written straight from its stored text.
    fn render_json(
        &self,
        kind: ResourceKind,
        id: &str,
        base: &str,
        projection: &Projection,
    ) -> Option<String> {
        let rec = self.table(kind).get(id)?;
        let straight = kind == ResourceKind::User
            && projection.is_identity()
            && self.role_groups.is_empty()
            && !self.privileges.contains_key(id);
        match rec.as_read().filter(|_| straight) {
            Some((schemas, rest)) => {
                let mut out = String::with_capacity(schemas.len() + rest.len() + 320);
                out.push_str(schemas);
                out.push_str(",\"id\":");
                out.push_str(&serde_json::to_string(id).unwrap_or_default());
                out.push_str(rest);
                out.push_str(",\"groups\":");
                match self.memberships.get(id).filter(|s| !s.is_empty()) {
                    None => out.push_str("[]"),
                    Some(_) => out.push_str(&self.user_groups(id, base).to_string()),
                }
                out.push_str(",\"meta\":");
                out.push_str(
                    &serde_json::to_string(&Meta::of(kind, id, rec, base)).unwrap_or_default(),
                );
                out.push('}');
                Some(out)
            }
            None => self
                .render(kind, id, base, projection)
                .map(|r| Value::Object(r.body).to_string()),
        }
    }

    /// Store users made ready outside the lock (each with its place in the batch, for the
    /// log): the first of a userName wins (names are unique without case) and the others are
    /// logged and skipped. The name, externalId and id maps are filled shard by shard on every
    /// core. Returns how many were stored.
    fn insert_new_users(&mut self, chunks: Vec<Vec<(usize, Prepared)>>) -> usize {
        let n = chunks.iter().map(Vec::len).sum();
        self.reserve(ResourceKind::User, n);
        // Each index is given its items as they are taken, and each chunk is freed once it is
        // read: at a million users, copies of the whole list cost more than the inserts.
        let mut chunks = chunks;
        let mut names = self.user_names.buckets(n);
        for (_, p) in chunks.iter_mut().flatten() {
            names.push(p.user_name.take().unwrap_or_default(), Arc::clone(&p.id));
        }
        let fresh = self.user_names.apply(names, insert_vacant);
        let mut external = self.user_external_ids.buckets(n);
        let mut created = 0;
        let version = &mut self.version;
        let rows = chunks
            .into_iter()
            .flatten()
            .zip(fresh)
            .filter_map(|((i, mut p), fresh)| {
                if !fresh {
                    tracing::warn!(
                        "user {i} not created: userName {:?} is already taken",
                        p.stored.name.as_deref().unwrap_or_default()
                    );
                    return None;
                }
                *version += 1;
                p.stored.version = *version;
                if let Some(e) = p.external_id.take() {
                    external.push(e, Arc::clone(&p.id));
                }
                created += 1;
                Some((p.id, p.stored))
            });
        self.users.insert_many_new(n, rows);
        self.user_external_ids.apply(external, |m, e, id| {
            m.entry(e).or_default().push(id);
            true
        });
        created
    }

    /// Store a new resource and index it.
    fn put(&mut self, kind: ResourceKind, rec: Record) {
        let id: Arc<str> = rec.id.as_str().into();
        self.index(kind, &id, &rec.body);
        let stored = Stored::new(
            rec.version,
            &rec.created,
            &rec.last_modified,
            name_attr(kind),
            &rec.body,
            !has_never_returned(kind, &rec.body),
        );
        self.table_mut(kind).insert(id, stored);
    }

    fn lookup(&self, kind: ResourceKind, attr: &str, value: &str) -> Vec<Arc<str>> {
        match (kind.base(), attr) {
            (_, "id") => self
                .table(kind)
                .get_key_value(value)
                .map(|(id, _)| vec![Arc::clone(id)])
                .unwrap_or_default(),
            (Base::User, "userName") => self
                .user_names
                .get(value.to_lowercase().as_str())
                .cloned()
                .into_iter()
                .collect(),
            (Base::User, "externalId") => self
                .user_external_ids
                .get(value)
                .cloned()
                .unwrap_or_default(),
            (Base::Group, "displayName") => self
                .group_names
                .get(value.to_lowercase().as_str())
                .cloned()
                .unwrap_or_default(),
            (Base::Group, "externalId") => self
                .group_external_ids
                .get(value)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn existing(
        &self,
        kind: ResourceKind,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Record, ScimError> {
        let rec = self
            .table(kind)
            .get(id)
            .ok_or_else(|| not_found(kind, id))?;
        if let Some(h) = if_match
            && !if_match_allows(h, &rec.etag())
        {
            return Err(ScimError::precondition_failed(format!(
                "If-Match {h} does not match the current version {}",
                rec.etag()
            )));
        }
        Ok(record_of(id, rec))
    }

    /// Check a new body against everything else in the store; returns it ready to store.
    fn validate(
        &self,
        kind: ResourceKind,
        id: Option<&str>,
        old: Option<&Map<String, Value>>,
        body: Map<String, Value>,
        profile: &AppProfile,
    ) -> Result<Map<String, Value>, ScimError> {
        if let Some(old) = old {
            let declared = kind
                .all_attributes()
                .filter(|(_, d)| d.mutability == Mutability::Immutable)
                .map(|(c, d)| (c, d.name.to_string()));
            let promised = match kind.base() {
                Base::User => profile.immutable_user_attributes.clone(),
                _ => Vec::new(),
            };
            let immutable = declared.chain(promised.into_iter().map(|n| (Container::Top, n)));
            for (container, name) in immutable {
                let at = |b: &Map<String, Value>| match &container {
                    Container::Top => b.get(&name).cloned(),
                    Container::Extension(urn) => b.get(urn).and_then(|e| e.get(&name)).cloned(),
                };
                if let Some(before) = at(old)
                    && at(&body).as_ref() != Some(&before)
                {
                    let full = match &container {
                        Container::Top => name.clone(),
                        Container::Extension(urn) => format!("{urn}:{name}"),
                    };
                    return Err(ScimError::mutability(format!(
                        "{full} is immutable: it cannot change once set"
                    )));
                }
            }
        }
        match kind.base() {
            Base::Custom => {}
            Base::User => {
                let name = string_at(&body, "userName").unwrap_or_default();
                if let Some(other) = self.user_names.get(name.to_lowercase().as_str())
                    && Some(&**other) != id
                {
                    return Err(ScimError::uniqueness(format!(
                        "userName {name:?} is already taken"
                    )));
                }
            }
            Base::Group => {
                let name = string_at(&body, "displayName").unwrap_or_default();
                // Names clash as the app compares them: without case, or exactly.
                let same_name = |o: &str| {
                    !profile.group_names_case_sensitive
                        || self.groups.get(o).and_then(|g| g.name.as_deref()) == Some(name)
                };
                if profile.unique_group_names
                    && let Some(others) = self.group_names.get(name.to_lowercase().as_str())
                    && others.iter().any(|o| Some(&**o) != id && same_name(o))
                {
                    return Err(ScimError::uniqueness(format!(
                        "a group named {name:?} already exists"
                    )));
                }
                // Members were made canonical by `prepare`; here they must name users.
                if let Some(Value::Array(items)) = body.get("members") {
                    for m in items {
                        let uid = m.get("value").and_then(Value::as_str).unwrap_or_default();
                        if !self.users.contains_key(uid) {
                            return Err(ScimError::invalid_value(format!(
                                "member {uid:?} is not a user of this app"
                            )));
                        }
                    }
                }
            }
        }
        Ok(body)
    }

    fn commit(&mut self, kind: ResourceKind, id: &str, old: Record, body: Map<String, Value>) {
        self.unindex(kind, id, &old.body);
        self.version += 1;
        let key: Arc<str> = match self.table(kind).get_key_value(id) {
            Some((k, _)) => Arc::clone(k),
            None => id.into(),
        };
        self.index(kind, &key, &body);
        let stored = Stored::new(
            self.version,
            &old.created,
            &crate::timestamp::now(),
            name_attr(kind),
            &body,
            !has_never_returned(kind, &body),
        );
        self.table_mut(kind).insert(key, stored);
    }

    /// Room for `n` more resources of a kind, so a bulk insert rehashes nothing.
    fn reserve(&mut self, kind: ResourceKind, n: usize) {
        self.table_mut(kind).reserve(n);
        match kind.base() {
            Base::User => {
                self.user_names.reserve(n);
                self.user_external_ids.reserve(n);
            }
            Base::Group => {
                self.group_names.reserve(n);
                self.group_external_ids.reserve(n);
            }
            Base::Custom => {}
        }
    }

    fn index(&mut self, kind: ResourceKind, id: &Arc<str>, body: &Map<String, Value>) {
        let ext = string_at(body, "externalId");
        match kind.base() {
            Base::Custom => {}
            Base::User => {
                if let Some(n) = string_at(body, "userName") {
                    self.user_names
                        .insert(n.to_lowercase().into(), Arc::clone(id));
                }
                if let Some(e) = ext {
                    self.user_external_ids
                        .entry_or_insert_with(e.into(), Vec::new)
                        .push(Arc::clone(id));
                }
            }
            Base::Group => {
                if let Some(n) = string_at(body, "displayName") {
                    self.group_names
                        .entry_or_insert_with(n.to_lowercase().into(), Vec::new)
                        .push(Arc::clone(id));
                }
                if let Some(e) = ext {
                    self.group_external_ids
                        .entry_or_insert_with(e.into(), Vec::new)
                        .push(Arc::clone(id));
                }
                for uid in member_ids(body) {
                    self.memberships
                        .entry(uid)
                        .or_default()
                        .insert(id.to_string());
                }
            }
        }
    }

    fn unindex(&mut self, kind: ResourceKind, id: &str, body: &Map<String, Value>) {
        fn drop_from(map: &mut Sharded<Box<str>, Vec<Arc<str>>>, key: &str, id: &str) {
            if let Some(v) = map.get_mut(key) {
                v.retain(|x| &**x != id);
                if v.is_empty() {
                    map.remove(key);
                }
            }
        }
        let ext = string_at(body, "externalId");
        match kind.base() {
            Base::Custom => {}
            Base::User => {
                if let Some(n) = string_at(body, "userName") {
                    self.user_names.remove(n.to_lowercase().as_str());
                }
                if let Some(e) = ext {
                    drop_from(&mut self.user_external_ids, e, id);
                }
            }
            Base::Group => {
                if let Some(n) = string_at(body, "displayName") {
                    drop_from(&mut self.group_names, &n.to_lowercase(), id);
                }
                if let Some(e) = ext {
                    drop_from(&mut self.group_external_ids, e, id);
                }
                for uid in member_ids(body) {
                    if let Some(set) = self.memberships.get_mut(&uid) {
                        set.shift_remove(id);
                    }
                }
            }
        }
    }

    fn meta(&self, kind: ResourceKind, id: &str, rec: &Stored, base: &str) -> Value {
        serde_json::to_value(Meta::of(kind, id, rec, base)).unwrap_or_default()
    }

    fn user_groups(&self, user_id: &str, base: &str) -> Value {
        let groups = self
            .memberships
            .get(user_id)
            .map(|s| s.iter().collect::<Vec<_>>())
            .unwrap_or_default();
        Value::Array(
            groups
                .into_iter()
                .filter_map(|gid| self.groups.get(gid).map(|g| (gid, g)))
                .map(|(gid, g)| {
                    json!({
                        "value": gid,
                        "$ref": format!("{base}/Groups/{gid}"),
                        "display": g.name.as_deref().unwrap_or_default(),
                        "type": "direct",
                    })
                })
                .collect(),
        )
    }

    /// The privileges the app computes, not the client: the role of its role groups (`roles`,
    /// Atomation's), or what the last sign-in applied (`roles` with each attribute's name as
    /// `type`, the groups as `entitlements` of type `group`; Workato's). Nothing before then.
    fn computed_privileges(&self, user_id: &str, out: &mut Map<String, Value>) {
        if !self.role_groups.is_empty() {
            let member_of: Vec<String> = self
                .memberships
                .get(user_id)
                .into_iter()
                .flatten()
                .filter_map(|gid| self.groups.get(gid))
                .filter_map(|g| g.name.as_deref().map(str::to_lowercase))
                .collect();
            let role = self
                .role_groups
                .iter()
                .find(|r| member_of.contains(&r.to_lowercase()))
                .unwrap_or(&self.default_role);
            out.insert(
                "roles".into(),
                json!([{"value": role, "display": role, "primary": true}]),
            );
        }
        if let Some(p) = self.privileges.get(user_id) {
            out.insert(
                "roles".into(),
                Value::Array(
                    p.roles
                        .iter()
                        .map(|(t, v)| json!({"value": v, "type": t}))
                        .collect(),
                ),
            );
            out.insert(
                "entitlements".into(),
                Value::Array(
                    p.groups
                        .iter()
                        .map(|g| json!({"value": g, "type": "group"}))
                        .collect(),
                ),
            );
        }
    }

    /// Group members as read: each with `display`, the member's current userName.
    fn members_with_display(&self, members: &Value) -> Value {
        let Value::Array(items) = members else {
            return members.clone();
        };
        Value::Array(
            items
                .iter()
                .map(|m| {
                    let mut m = m.clone();
                    let name = m
                        .get("value")
                        .and_then(Value::as_str)
                        .and_then(|id| self.users.get(id))
                        .and_then(|u| u.name.as_deref());
                    if let (Some(o), Some(n)) = (m.as_object_mut(), name) {
                        o.insert("display".into(), Value::String(n.to_string()));
                    }
                    m
                })
                .collect(),
        )
    }

    fn render(
        &self,
        kind: ResourceKind,
        id: &str,
        base: &str,
        projection: &Projection,
    ) -> Option<Rendered> {
        let rec = self.table(kind).get(id)?;
        let mut out = Map::new();
        let mut body = rec.body();
        strip_never_returned(kind, &mut body);
        if let Some(s) = body.shift_remove("schemas") {
            out.insert("schemas".into(), s);
        }
        out.insert("id".into(), Value::String(id.to_string()));
        out.extend(body);
        if kind == ResourceKind::Group
            && let Some(members) = out.get_mut("members")
        {
            *members = self.members_with_display(members);
        }
        if kind == ResourceKind::User {
            out.insert("groups".into(), self.user_groups(id, base));
            self.computed_privileges(id, &mut out);
        }
        out.insert("meta".into(), self.meta(kind, id, rec, base));
        if !projection.is_identity() {
            projection.apply(kind, &mut out);
        }
        Some(Rendered {
            id: id.to_string(),
            etag: rec.etag(),
            body: out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_weakly_and_accepts_star_and_lists() {
        assert!(if_match_allows("W/\"3\"", "W/\"3\""));
        assert!(if_match_allows("\"3\"", "W/\"3\""));
        assert!(if_match_allows("W/\"1\", W/\"3\"", "W/\"3\""));
        assert!(if_match_allows("*", "W/\"3\""));
        assert!(!if_match_allows("W/\"2\"", "W/\"3\""));
    }

    #[test]
    fn a_scan_or_an_index_finds_what_the_filter_finds_on_every_decoded_body() {
        let store = Store::new(AppProfile::default());
        let names = [
            ("ada@example.com", "Ada", "Work \"HQ\""),
            ("ADA.B@Example.COM", "ada", "work"),
            ("kate@example.com", "\u{212A}ate", "Zürich"),
            ("bob@example.com", "Bob", "tab\there"),
            ("ça@example.com", "Ça", "back\\slash"),
        ];
        for (user, given, title) in names {
            store
                .create(
                    ResourceKind::User,
                    &json!({"userName": user, "externalId": given, "name": {"givenName": given}, "title": title,
                            "emails": [{"value": user.to_uppercase(), "type": "work"}]}),
                    "http://x",
                )
                .unwrap();
        }
        let records = store.snapshot(ResourceKind::User);
        for f in [
            r#"emails.value eq "ada@example.com""#,
            r#"emails.value co "EXAMPLE""#,
            r#"name.givenName eq "ada""#,
            r#"name.givenName eq "kate""#,
            r#"name.givenName sw "ç""#,
            r#"title eq "work \"hq\"""#,
            r#"title co "\t""#,
            r#"title ew "slash""#,
            r#"title co "zÜ""#,
            r#"title eq "work" and name.givenName eq "ADA""#,
            r#"title eq "nothing" or name.givenName eq "bob""#,
            r#"meta.resourceType eq "User""#,
            r#"id co "-""#,
            // Answered from the indexes.
            r#"userName eq "ADA@example.com""#,
            r#"userName eq "KATE@EXAMPLE.COM""#,
            r#"userName eq "nobody@example.com""#,
            r#"externalId eq "ada""#,
            r#"externalId eq "ADA""#,
            r#"externalId eq "Kate""#,
            r#"userName eq "bob@example.com" and title eq "nothing""#,
            r#"userName eq "bob@example.com" or externalId eq "Ada""#,
        ] {
            let q = ListQuery::parse(
                ResourceKind::User,
                Some(&format!(
                    "filter={}",
                    form_urlencoded::byte_serialize(f.as_bytes()).collect::<String>()
                )),
            )
            .unwrap();
            let compiled = q.filter.clone().unwrap();
            let (total, _) = store.list(ResourceKind::User, &q, "http://x");
            // The filter on each resource as read (id and meta included), decoded.
            let want = records
                .iter()
                .filter(|r| {
                    let read = store
                        .get(
                            ResourceKind::User,
                            &r.id,
                            "http://x",
                            &Projection::default(),
                        )
                        .unwrap();
                    compiled.matches(&read.body)
                })
                .count();
            assert_eq!(total, want, "{f}");
        }
    }

    #[test]
    fn a_seeded_batch_refuses_a_taken_name_and_indexes_only_what_it_stored() {
        let store = Store::new(AppProfile::default());
        // Users 3 and 7 repeat users 2 and 0 (in another letter case): refused, wherever the
        // cores' shares of the batch split it; the others stored in order, each indexed.
        let name = |i: usize| match i {
            3 => "U2@example.com".to_string(),
            7 => "u0@EXAMPLE.com".to_string(),
            i => format!("u{i}@example.com"),
        };
        let made = store.create_many_stored(9, |i| {
            let json = format!(
                "{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"externalId\":\"x{i}\",\"userName\":\"{}\"}}",
                name(i)
            );
            (json, name(i), Some(format!("x{i}")))
        });
        assert_eq!(made, 7);
        let stored = store.snapshot(ResourceKind::User);
        let external: Vec<&str> = stored
            .iter()
            .map(|r| r.body["externalId"].as_str().unwrap())
            .collect();
        assert_eq!(external, ["x0", "x1", "x2", "x4", "x5", "x6", "x8"]);
        assert!(stored.windows(2).all(|w| w[0].version < w[1].version));
        for (i, want) in [(2, 1), (3, 0), (7, 0), (8, 1)] {
            let q = crate::scim::list::ListQuery::parse(
                ResourceKind::User,
                Some(&format!("filter=externalId%20eq%20%22x{i}%22")),
            )
            .unwrap();
            assert_eq!(
                store.list(ResourceKind::User, &q, "http://x").0,
                want,
                "x{i}"
            );
        }
        let first = store.find_user_by_name("U0@example.com").unwrap();
        assert_eq!(first.body["externalId"], "x0");
    }

    #[test]
    fn a_list_written_from_the_stored_text_is_the_list_written_from_the_tree() {
        let store = Store::new(AppProfile::default());
        let base = "http://x/scim/v2";
        store.create_many_stored(3, crate::app::seed_user_stored);
        let with_password = store
            .create(
                ResourceKind::User,
                &json!({"userName": "p@example.com", "password": "s3cret!!", "title": "T\"q"}),
                base,
            )
            .unwrap();
        let plain = store
            .create(
                ResourceKind::User,
                &json!({"userName": "Ünï@example.com", "name": {"givenName": "Ü"},
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}}),
                base,
            )
            .unwrap();
        let group = store
            .create(
                ResourceKind::Group,
                &json!({"displayName": "G", "members": [{"value": plain.id}]}),
                base,
            )
            .unwrap();
        store
            .patch(
                ResourceKind::User,
                &with_password.id,
                &crate::scim::patch::parse_patch(
                    &json!({"Operations": [{"op": "replace", "value": {"title": "changed"}}]}),
                )
                .unwrap(),
                None,
                base,
            )
            .unwrap();
        for (kind, raw) in [
            (ResourceKind::User, "startIndex=1&count=100"),
            (ResourceKind::User, "count=2&startIndex=2"),
            (
                ResourceKind::User,
                "filter=userName%20eq%20%22p%40example.com%22",
            ),
            (ResourceKind::User, "attributes=userName"),
            (ResourceKind::User, "excludedAttributes=groups"),
            (ResourceKind::Group, "startIndex=1"),
        ] {
            let q = ListQuery::parse(kind, Some(raw)).unwrap();
            let (t1, tree) = store.list(kind, &q, base);
            let (t2, text) = store.list_json(kind, &q, base);
            assert_eq!(t1, t2, "{raw}");
            let tree: Vec<String> = tree
                .into_iter()
                .map(|m| Value::Object(m).to_string())
                .collect();
            assert_eq!(tree, text, "{raw}");
        }
        // The plain and seeded users were written straight from their text; the one with a
        // password, which is never read back, through the tree.
        let inner = store.read();
        assert!(inner.users.get(&plain.id).unwrap().as_read().is_some());
        assert!(
            inner
                .users
                .get(&with_password.id)
                .unwrap()
                .as_read()
                .is_none()
        );
        drop(inner);
        // The member's groups are answered from the text too.
        let q = ListQuery::parse(
            ResourceKind::User,
            Some(
                "filter=id%20eq%20%22ID%22"
                    .replace("ID", &plain.id)
                    .as_str(),
            ),
        )
        .unwrap();
        let (_, text) = store.list_json(ResourceKind::User, &q, base);
        assert!(text[0].contains(&group.id), "{}", text[0]);
    }
}
