//! Resource bodies: how a client's JSON becomes a stored resource (RFC 7643 §2 and §4, RFC 7644
//! §3.3 and §3.5.1) and how a stored resource is returned (`returned`, `attributes`,
//! `excludedAttributes` of RFC 7644 §3.4.2.5 and §3.9).
//!
//! Ingest canonicalises attribute names (they are case-insensitive), checks types, accepts
//! `"True"`/`"False"` strings for booleans (Entra sends them), drops readOnly attributes (`id`,
//! `meta`, `groups`: RFC 7644 §3.5.1 says they are ignored), drops attributes no schema defines,
//! and keeps extension objects. The output is in schema order, so bodies are deterministic.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::schema::{
    AttrDef, AttrType, COMMON, Container, Mutability, ResourceKind, Returned, extension_urn, find,
    resolve_attr, split_urn_path,
};

/// Turn a client's body into a stored body: canonical names, checked types, schema order.
/// `id`, `meta` and other readOnly attributes are dropped.
pub fn ingest(kind: ResourceKind, input: &Value) -> Result<Map<String, Value>, ScimError> {
    let obj = input
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the body must be a JSON object"))?;
    let core = kind.core_schema();
    let mut schemas: Option<Vec<String>> = None;
    let mut top: Map<String, Value> = Map::new();
    let mut exts: Map<String, Value> = Map::new();

    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            let list = value
                .as_array()
                .filter(|a| a.iter().all(Value::is_string))
                .ok_or_else(|| {
                    ScimError::invalid_value("\"schemas\" must be an array of schema URNs")
                })?;
            let list: Vec<String> = list
                .iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect();
            if !list.iter().any(|s| s.eq_ignore_ascii_case(core.id)) {
                return Err(ScimError::invalid_value(format!(
                    "\"schemas\" must contain {} for a {}",
                    core.id,
                    kind.name()
                )));
            }
            schemas = Some(list);
            continue;
        }
        if let Some(urn) = extension_urn(kind, key) {
            if value.is_null() {
                continue;
            }
            let ext_obj = value.as_object().ok_or_else(|| {
                ScimError::invalid_value(format!("the extension {urn} must be an object"))
            })?;
            let target = exts
                .entry(urn.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            for (k, v) in ext_obj {
                match resolve_attr(kind, Some(&urn), k) {
                    Some(r) => put_attr(target_obj(target), r.def, &r.name, v)?,
                    None => continue,
                }
            }
            continue;
        }
        // `urn:...:User:userName` spelled out in full.
        let (uri, name) = split_urn_path(key);
        let Some(r) = resolve_attr(kind, uri, name) else {
            continue;
        };
        match r.container {
            Container::Top => put_attr(&mut top, r.def, &r.name, value)?,
            Container::Extension(urn) => {
                let target = exts.entry(urn).or_insert_with(|| Value::Object(Map::new()));
                put_attr(target_obj(target), r.def, &r.name, value)?
            }
        }
    }

    let mut out = Map::new();
    let mut schema_list = vec![Value::String(core.id.to_string())];
    for urn in exts.keys() {
        schema_list.push(Value::String(urn.clone()));
    }
    if let Some(given) = schemas {
        // Keep extension URNs the client declared even when it sent no data for them.
        for s in given {
            if !schema_list
                .iter()
                .any(|v| v.as_str().is_some_and(|x| x.eq_ignore_ascii_case(&s)))
            {
                schema_list.push(Value::String(s));
            }
        }
    }
    out.insert("schemas".into(), Value::Array(schema_list));
    for def in COMMON.iter().chain(core.attributes.iter()) {
        if let Some(v) = top.remove(def.name) {
            out.insert(def.name.to_string(), v);
        }
    }
    for (urn, v) in exts {
        if v.as_object().is_some_and(|o| !o.is_empty()) {
            out.insert(urn, v);
        }
    }
    Ok(out)
}

fn target_obj(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// Check and store one attribute. Unknown-extension attributes (no definition) are kept verbatim.
fn put_attr(
    target: &mut Map<String, Value>,
    def: Option<&'static AttrDef>,
    name: &str,
    value: &Value,
) -> Result<(), ScimError> {
    let Some(def) = def else {
        if !value.is_null() {
            target.insert(name.to_string(), value.clone());
        }
        return Ok(());
    };
    if def.mutability == Mutability::ReadOnly || value.is_null() {
        return Ok(());
    }
    if let Some(v) = check_value(def, value)? {
        target.insert(def.name.to_string(), v);
    }
    Ok(())
}

/// Check a value against its definition and return it in canonical form (None: unassigned).
pub fn check_value(def: &'static AttrDef, value: &Value) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    if def.multi_valued {
        let items = value.as_array().ok_or_else(|| {
            ScimError::invalid_value(format!(
                "{} is multi-valued: it must be a JSON array",
                def.name
            ))
        })?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = check_single(def, item)? {
                out.push(v);
            }
        }
        return Ok(Some(Value::Array(out)));
    }
    check_single(def, value)
}

fn check_single(def: &'static AttrDef, value: &Value) -> Result<Option<Value>, ScimError> {
    let wrong = |what: &str| {
        ScimError::invalid_value(format!(
            "{} must be {what}, got {}",
            def.name,
            describe(value)
        ))
    };
    Ok(Some(match def.ty {
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(_) => value.clone(),
            _ => return Err(wrong("a string")),
        },
        AttrType::DateTime => match value {
            Value::String(s)
                if time::OffsetDateTime::parse(
                    s,
                    &time::format_description::well_known::Rfc3339,
                )
                .is_ok() =>
            {
                value.clone()
            }
            _ => return Err(wrong("an RFC 3339 date-time string")),
        },
        AttrType::Boolean => match value {
            Value::Bool(_) => value.clone(),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(wrong("a boolean")),
        },
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => value.clone(),
            _ => return Err(wrong("an integer")),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => value.clone(),
            _ => return Err(wrong("a number")),
        },
        AttrType::Complex => {
            let obj = value.as_object().ok_or_else(|| wrong("an object"))?;
            let mut out = Map::new();
            for sub in def.sub_attributes {
                // Sub-attribute names are case-insensitive too.
                let found = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(sub.name));
                if let Some((_, v)) = found {
                    if sub.mutability == Mutability::ReadOnly {
                        continue;
                    }
                    if let Some(v) = check_single(sub, v)? {
                        out.insert(sub.name.to_string(), v);
                    }
                }
            }
            if out.is_empty() {
                return Ok(None);
            }
            Value::Object(out)
        }
    }))
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    if s.len() <= 60 {
        format!("{kind} {s}")
    } else {
        kind.to_string()
    }
}

/// The attributes a response carries (RFC 7644 §3.4.2.5): `attributes` keeps only the named
/// ones (plus those returned always), `excludedAttributes` drops the named ones.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    attributes: Vec<ProjPath>,
    excluded: Vec<ProjPath>,
}

#[derive(Debug, Clone)]
struct ProjPath {
    container: Container,
    name: String,
    sub: Option<String>,
}

impl Projection {
    /// The projection `attributes` and `excludedAttributes` ask for.
    pub fn parse(
        kind: ResourceKind,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self, ScimError> {
        let parse_list = |s: Option<&str>| -> Result<Vec<ProjPath>, ScimError> {
            let mut out = Vec::new();
            for raw in s
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                if let Some(urn) = extension_urn(kind, raw) {
                    out.push(ProjPath {
                        container: Container::Top,
                        name: urn,
                        sub: None,
                    });
                    continue;
                }
                let (uri, path) = split_urn_path(raw);
                let (name, sub) = match path.split_once('.') {
                    Some((n, s)) => (n, Some(s)),
                    None => (path, None),
                };
                let r = resolve_attr(kind, uri, name).ok_or_else(|| {
                    ScimError::invalid_value(format!(
                        "unknown attribute {raw:?} in attributes/excludedAttributes"
                    ))
                })?;
                let sub = match (sub, r.def) {
                    (Some(s), Some(d)) => Some(
                        d.sub_attribute(s)
                            .map(|x| x.name.to_string())
                            .ok_or_else(|| {
                                ScimError::invalid_value(format!(
                                    "{} has no sub-attribute {s:?}",
                                    d.name
                                ))
                            })?,
                    ),
                    (s, _) => s.map(String::from),
                };
                out.push(ProjPath {
                    container: r.container,
                    name: r.name,
                    sub,
                });
            }
            Ok(out)
        };
        Ok(Projection {
            attributes: parse_list(attributes)?,
            excluded: parse_list(excluded)?,
        })
    }

    /// Whether it returns everything as stored.
    pub fn is_identity(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Apply to a rendered resource.
    pub fn apply(&self, kind: ResourceKind, resource: &mut Map<String, Value>) {
        if !self.attributes.is_empty() {
            let original = std::mem::take(resource);
            for (k, v) in original {
                if always_returned(kind, &k) {
                    resource.insert(k, v);
                    continue;
                }
                let wanted: Vec<&ProjPath> = self
                    .attributes
                    .iter()
                    .filter(|p| match &p.container {
                        Container::Top => p.name == k,
                        Container::Extension(u) => u == &k,
                    })
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                if wanted
                    .iter()
                    .any(|p| p.sub.is_none() && p.container == Container::Top)
                {
                    resource.insert(k, v);
                    continue;
                }
                // Keep only the named sub-attributes (or the named attributes of an extension).
                let keep: Vec<&str> = wanted
                    .iter()
                    .filter_map(|p| match &p.container {
                        Container::Top => p.sub.as_deref(),
                        Container::Extension(_) => Some(p.name.as_str()),
                    })
                    .collect();
                let pruned = prune(v, |name| keep.contains(&name));
                resource.insert(k, pruned);
            }
        }
        for p in &self.excluded {
            if always_returned(kind, &p.name) && p.container == Container::Top {
                continue;
            }
            match (&p.container, &p.sub) {
                (Container::Top, None) => {
                    resource.remove(&p.name);
                }
                (Container::Top, Some(sub)) => {
                    if let Some(v) = resource.get_mut(&p.name) {
                        let taken = v.take();
                        *v = prune(taken, |name| name != sub);
                    }
                }
                (Container::Extension(u), _) => {
                    if let Some(Value::Object(o)) = resource.get_mut(u) {
                        o.remove(&p.name);
                    }
                }
            }
        }
    }
}

fn prune(v: Value, keep: impl Fn(&str) -> bool + Copy) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.into_iter().filter(|(k, _)| keep(k)).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(|e| prune(e, keep)).collect()),
        other => other,
    }
}

/// `schemas` and `id` are always returned (RFC 7643 §3.1, §7).
pub fn always_returned(kind: ResourceKind, name: &str) -> bool {
    name == "schemas"
        || find(&COMMON, name).is_some_and(|d| d.returned == Returned::Always)
        || kind
            .core_schema()
            .attribute(name)
            .is_some_and(|d| d.returned == Returned::Always)
}

/// Whether a resource holds anything [`strip_never_returned`] would take out.
pub fn has_never_returned(kind: ResourceKind, resource: &Map<String, Value>) -> bool {
    kind.core_schema()
        .attributes
        .iter()
        .any(|d| d.returned == Returned::Never && resource.contains_key(d.name))
        || kind.extensions().iter().any(|ext| {
            ext.attributes.iter().any(|d| {
                d.returned == Returned::Never
                    && resource
                        .get(ext.id)
                        .and_then(Value::as_object)
                        .is_some_and(|o| o.contains_key(d.name))
            })
        })
}

/// Remove attributes that are never returned (`password`).
pub fn strip_never_returned(kind: ResourceKind, resource: &mut Map<String, Value>) {
    for def in kind.core_schema().attributes {
        if def.returned == Returned::Never {
            resource.remove(def.name);
        }
    }
    for ext in kind.extensions() {
        for def in ext
            .attributes
            .iter()
            .filter(|d| d.returned == Returned::Never)
        {
            if let Some(Value::Object(o)) = resource.get_mut(ext.id) {
                o.remove(def.name);
                if o.is_empty() {
                    resource.remove(ext.id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ingest_canonicalises_names_and_orders_by_schema() {
        let body = json!({
            "ACTIVE": "False",
            "USERNAME": "a@b.c",
            "Name": {"GivenName": "A", "familyname": "B"},
            "id": "client-chosen",
            "meta": {"version": "x"},
            "groups": [{"value": "g"}],
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "favouriteColour": "blue",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"Department": "Ops"},
            "urn:example:params:scim:schemas:extension:acme:2.0:User": {"badge": 7}
        });
        let out = ingest(ResourceKind::User, &body).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                            "urn:example:params:scim:schemas:extension:acme:2.0:User"],
                "userName": "a@b.c",
                "name": {"familyName": "B", "givenName": "A"},
                "active": false,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"},
                "urn:example:params:scim:schemas:extension:acme:2.0:User": {"badge": 7}
            })
        );
    }

    #[test]
    fn ingest_rejects_wrong_types_with_invalid_value() {
        for bad in [
            json!({"userName": 5}),
            json!({"userName": "a", "active": "yes"}),
            json!({"userName": "a", "emails": {"value": "a@b.c"}}),
            json!({"userName": "a", "emails": ["a@b.c"]}),
            json!({"userName": "a", "name": "A B"}),
            json!({"userName": "a", "schemas": "urn:ietf:params:scim:schemas:core:2.0:User"}),
            json!({"userName": "a", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}),
        ] {
            let e = ingest(ResourceKind::User, &bad).expect_err(&bad.to_string());
            assert_eq!(e.status, 400);
            assert_eq!(
                e.scim_type,
                Some(crate::scim::ScimType::InvalidValue),
                "{bad}"
            );
        }
        let e = ingest(ResourceKind::User, &json!([1, 2])).unwrap_err();
        assert_eq!(e.scim_type, Some(crate::scim::ScimType::InvalidSyntax));
    }

    #[test]
    fn projection_keeps_always_returned_and_named_attributes() {
        let mut r = json!({"schemas": ["s"], "id": "1", "userName": "u", "name": {"givenName": "g", "familyName": "f"},
                           "emails": [{"value": "e", "type": "work"}], "meta": {"version": "v"}})
            .as_object().unwrap().clone();
        Projection::parse(
            ResourceKind::User,
            Some("USERNAME,name.givenName,emails.value"),
            None,
        )
        .unwrap()
        .apply(ResourceKind::User, &mut r);
        assert_eq!(
            Value::Object(r.clone()),
            json!({"schemas": ["s"], "id": "1", "userName": "u",
            "name": {"givenName": "g"}, "emails": [{"value": "e"}]})
        );
        Projection::parse(ResourceKind::User, None, Some("emails,id"))
            .unwrap()
            .apply(ResourceKind::User, &mut r);
        assert_eq!(
            Value::Object(r),
            json!({"schemas": ["s"], "id": "1", "userName": "u", "name": {"givenName": "g"}})
        );
        assert!(Projection::parse(ResourceKind::User, Some("bogus"), None).is_err());
    }
}
