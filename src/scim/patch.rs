//! PATCH (RFC 7644 §3.5.2) as Okta and other clients send it (okta-scim-wire §5.1, §6.2, §6.4,
//! quirks 1–6): path-less `replace` with a value object (`{"active":false}`), the group rename
//! with `id` inside `value` (ignored), `remove` with `members[value eq "…"]`, `replace` of
//! `members` with a list or `[]`, `add` of members already present (no duplicate); also Entra's
//! capitalised ops, `"False"` strings and `remove` with a `value` list.
//!
//! Application is all-or-nothing: it works on a copy and returns the new body or an error.

use scim_v2::filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter};
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{Expr, element_matches, resolve_element_filter};
use super::schema::{
    AttrDef, Container, Mutability, PATCH_OP_SCHEMA, ResourceKind, extension_urn, resolve_attr,
};

/// At most this many operations in one PATCH request.
pub const MAX_OPERATIONS: usize = 1000;

/// A PATCH operation's `op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

/// One PATCH operation.
#[derive(Debug, Clone)]
pub struct PatchOp {
    /// What it does.
    pub op: OpKind,
    /// Its `path`, when it has one.
    pub path: Option<String>,
    /// Its `value`, when it has one.
    pub value: Option<Value>,
}

/// Read a PatchOp message (RFC 7644 §3.5.2).
pub fn parse_patch(body: &Value) -> Result<Vec<PatchOp>, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a PATCH body must be a JSON object"))?;
    if let Some(schemas) = get_ci(obj, "schemas") {
        let ok = schemas.as_array().is_some_and(|a| {
            a.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
            })
        });
        if !ok {
            return Err(ScimError::invalid_syntax(format!(
                "a PATCH body's \"schemas\" must contain {PATCH_OP_SCHEMA}"
            )));
        }
    }
    let ops = get_ci(obj, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("a PATCH body needs an \"Operations\" array"))?;
    if ops.is_empty() {
        return Err(ScimError::invalid_syntax("\"Operations\" is empty"));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_syntax(format!(
            "more than {MAX_OPERATIONS} operations in one PATCH"
        )));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let o = op.as_object().ok_or_else(|| {
                ScimError::invalid_syntax(format!("Operations[{i}] must be an object"))
            })?;
            let kind = match get_ci(o, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("add") => OpKind::Add,
                Some("remove") => OpKind::Remove,
                Some("replace") => OpKind::Replace,
                Some(other) => {
                    return Err(ScimError::invalid_syntax(format!(
                        "Operations[{i}].op is {other:?}; it must be add, remove or replace"
                    )));
                }
                None => {
                    return Err(ScimError::invalid_syntax(format!(
                        "Operations[{i}] has no \"op\""
                    )));
                }
            };
            let path = match get_ci(o, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) => Some(s.trim().to_string()),
                Some(_) => {
                    return Err(ScimError::invalid_path(format!(
                        "Operations[{i}].path must be a string"
                    )));
                }
            };
            Ok(PatchOp {
                op: kind,
                path,
                value: get_ci(o, "value").cloned(),
            })
        })
        .collect()
}

fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Where one operation applies.
struct Target {
    container: Container,
    name: String,
    def: Option<&'static AttrDef>,
    sub: Option<String>,
    filter: Option<(Expr, Vec<(String, Value)>)>,
}

/// Apply operations to a stored body; the result still has to pass `resource::ingest`.
pub fn apply_patch(
    kind: ResourceKind,
    doc: &Map<String, Value>,
    ops: &[PatchOp],
) -> Result<Map<String, Value>, ScimError> {
    let mut doc = doc.clone();
    for (i, op) in ops.iter().enumerate() {
        apply_one(kind, &mut doc, op).map_err(|mut e| {
            e.detail = format!("Operations[{i}]: {}", e.detail);
            e
        })?;
    }
    Ok(doc)
}

fn apply_one(
    kind: ResourceKind,
    doc: &mut Map<String, Value>,
    op: &PatchOp,
) -> Result<(), ScimError> {
    match &op.path {
        Some(path) => {
            if let Some(urn) = extension_urn(kind, path) {
                // The whole extension object: {"op":"replace","path":"urn:…:enterprise:2.0:User","value":{…}}
                return apply_extension_object(kind, doc, op.op, &urn, op.value.as_ref());
            }
            let target = resolve_target(kind, path)?;
            if let Some(def) = target.def
                && def.mutability == Mutability::ReadOnly
            {
                return Err(ScimError::mutability(format!("{} is readOnly", def.name)));
            }
            apply_target(doc, op.op, &target, op.value.as_ref())
        }
        None => {
            if op.op == OpKind::Remove {
                return Err(ScimError::no_target(
                    "remove needs a \"path\" (RFC 7644 §3.5.2.2)",
                ));
            }
            let value = op.value.as_ref().ok_or_else(|| {
                ScimError::invalid_value(format!("{:?} without a path needs a value object", op.op))
            })?;
            let obj = value.as_object().ok_or_else(|| {
                ScimError::invalid_value(
                    "without a \"path\", \"value\" must be an object of attributes",
                )
            })?;
            for (key, v) in obj {
                if key.eq_ignore_ascii_case("schemas") {
                    continue;
                }
                if let Some(urn) = extension_urn(kind, key) {
                    apply_extension_object(kind, doc, op.op, &urn, Some(v))?;
                    continue;
                }
                let target = resolve_target(kind, key)?;
                // Okta's group rename carries `id` in `value` (quirk 3): readOnly keys are ignored here.
                if target
                    .def
                    .is_some_and(|d| d.mutability == Mutability::ReadOnly)
                {
                    continue;
                }
                apply_target(doc, op.op, &target, Some(v))?;
            }
            Ok(())
        }
    }
}

fn apply_extension_object(
    kind: ResourceKind,
    doc: &mut Map<String, Value>,
    op: OpKind,
    urn: &str,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if op == OpKind::Remove {
        doc.remove(urn);
        return Ok(());
    }
    let obj = value.and_then(Value::as_object).ok_or_else(|| {
        ScimError::invalid_value(format!("the value for {urn} must be an object"))
    })?;
    for (k, v) in obj {
        // General SCIM clients send the extension object with its own `schemas` member.
        if k.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let r = resolve_attr(kind, Some(urn), k)
            .ok_or_else(|| ScimError::invalid_path(format!("{urn} has no attribute {k:?}")))?;
        if r.def.is_some_and(|d| d.mutability == Mutability::ReadOnly) {
            continue;
        }
        let t = Target {
            container: r.container,
            name: r.name,
            def: r.def,
            sub: None,
            filter: None,
        };
        apply_target(doc, op, &t, Some(v))?;
    }
    Ok(())
}

fn resolve_target(kind: ResourceKind, path: &str) -> Result<Target, ScimError> {
    let parsed: PatchPath = path
        .parse()
        .map_err(|e| ScimError::invalid_path(format!("cannot parse path {path:?}: {e}")))?;
    let (attr, filter, sub) = match parsed {
        PatchPath::Attr(a) => {
            let sub = a.sub_attr.clone();
            (a, None, sub)
        }
        PatchPath::Value(vp) => (vp.attr, Some(vp.filter), vp.sub_attr),
    };
    if filter.is_some() && attr.sub_attr.is_some() {
        return Err(ScimError::invalid_path(format!(
            "{path:?}: a filter must follow an attribute, not a sub-attribute"
        )));
    }
    let r = resolve_attr(kind, attr.uri.as_deref(), &attr.name).ok_or_else(|| {
        ScimError::invalid_path(format!("{path:?} names no attribute of a {}", kind.name()))
    })?;
    let sub = match (&sub, r.def) {
        (Some(s), Some(d)) => {
            let sd = d.sub_attribute(s).ok_or_else(|| {
                ScimError::invalid_path(format!("{path:?}: {} has no sub-attribute {s:?}", d.name))
            })?;
            if sd.mutability == Mutability::ReadOnly {
                return Err(ScimError::mutability(format!(
                    "{}.{} is readOnly",
                    d.name, sd.name
                )));
            }
            Some(sd.name.to_string())
        }
        (Some(_), None) => sub,
        (None, _) => None,
    };
    let filter = match filter {
        None => None,
        Some(f) => {
            let def = r
                .def
                .filter(|d| d.is_complex() && d.multi_valued)
                .ok_or_else(|| {
                    ScimError::invalid_path(format!(
                        "{path:?}: only multi-valued complex attributes take a [filter]"
                    ))
                })?;
            let expr =
                resolve_element_filter(def, &f).map_err(|e| ScimError::invalid_path(e.detail))?;
            Some((expr, equalities(def, &f)))
        }
    };
    Ok(Target {
        container: r.container,
        name: r.name,
        def: r.def,
        sub,
        filter,
    })
}

/// The `attr eq "x"` terms of a conjunction, from which a missing element can be created
/// (Entra's `emails[type eq "work"].value` on a user without a work email).
fn equalities(parent: &'static AttrDef, f: &ValFilter) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    fn walk(parent: &'static AttrDef, f: &ValFilter, out: &mut Vec<(String, Value)>) -> bool {
        match f {
            ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, v)) => {
                let name = p.sub_attr.as_deref().unwrap_or(&p.name);
                let Some(def) = parent.sub_attribute(name) else {
                    return false;
                };
                let value = match v {
                    CompValue::Str(s) => Value::String(s.clone()),
                    CompValue::True => Value::Bool(true),
                    CompValue::False => Value::Bool(false),
                    CompValue::Number(n) => Value::Number(n.clone()),
                    CompValue::Null => return false,
                };
                out.push((def.name.to_string(), value));
                true
            }
            ValFilter::And(ops) => ops.iter().all(|o| walk(parent, o, out)),
            _ => false,
        }
    }
    if walk(parent, f, &mut out) {
        out
    } else {
        Vec::new()
    }
}

fn container_mut<'a>(
    doc: &'a mut Map<String, Value>,
    c: &Container,
    create: bool,
) -> Option<&'a mut Map<String, Value>> {
    match c {
        Container::Top => Some(doc),
        Container::Extension(urn) => {
            if !doc.contains_key(urn) {
                if !create {
                    return None;
                }
                doc.insert(urn.clone(), Value::Object(Map::new()));
            }
            match doc.get_mut(urn) {
                Some(Value::Object(o)) => Some(o),
                Some(other) if create => {
                    *other = Value::Object(Map::new());
                    other.as_object_mut()
                }
                _ => None,
            }
        }
    }
}

fn need_value(op: OpKind, value: Option<&Value>) -> Result<&Value, ScimError> {
    value.ok_or_else(|| {
        ScimError::invalid_value(format!(
            "{} needs a \"value\"",
            if op == OpKind::Add { "add" } else { "replace" }
        ))
    })
}

fn apply_target(
    doc: &mut Map<String, Value>,
    op: OpKind,
    t: &Target,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let multi = t.def.is_some_and(|d| d.multi_valued);
    let complex = t.def.is_some_and(|d| d.is_complex());
    let Some(container) = container_mut(doc, &t.container, op != OpKind::Remove) else {
        return Ok(()); // removing from an extension the resource does not have
    };

    if let Some((expr, eqs)) = &t.filter {
        let items = match container.get_mut(&t.name) {
            Some(Value::Array(a)) => a,
            _ => {
                container.insert(t.name.clone(), Value::Array(Vec::new()));
                match container.get_mut(&t.name) {
                    Some(Value::Array(a)) => a,
                    _ => unreachable!("just inserted an array"),
                }
            }
        };
        let matched: Vec<usize> = (0..items.len())
            .filter(|&i| element_matches(expr, &items[i]))
            .collect();
        match op {
            OpKind::Remove => match &t.sub {
                // Removing what is not there is not an error: Okta removes members one by one.
                None => {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !matched.contains(&i);
                        i += 1;
                        keep
                    });
                }
                Some(sub) => {
                    for &i in &matched {
                        if let Some(o) = items[i].as_object_mut() {
                            o.remove(sub);
                        }
                    }
                }
            },
            OpKind::Add | OpKind::Replace => {
                let v = need_value(op, value)?;
                if matched.is_empty() {
                    if eqs.is_empty() {
                        return Err(ScimError::no_target(format!(
                            "no value of {} matches the filter",
                            t.name
                        )));
                    }
                    let mut element = Map::new();
                    for (k, x) in eqs {
                        element.insert(k.clone(), x.clone());
                    }
                    set_in_element(&mut element, t.sub.as_deref(), v, t.def)?;
                    items.push(Value::Object(element));
                } else {
                    for &i in &matched {
                        if !items[i].is_object() {
                            items[i] = Value::Object(Map::new());
                        }
                        if let Some(o) = items[i].as_object_mut() {
                            set_in_element(o, t.sub.as_deref(), v, t.def)?;
                        }
                    }
                }
            }
        }
        return Ok(());
    }

    if let Some(sub) = &t.sub {
        match container.get_mut(&t.name) {
            Some(Value::Array(items)) if multi => {
                for item in items.iter_mut() {
                    if let Some(o) = item.as_object_mut() {
                        match op {
                            OpKind::Remove => {
                                o.remove(sub);
                            }
                            _ => {
                                o.insert(sub.clone(), need_value(op, value)?.clone());
                            }
                        }
                    }
                }
                if op != OpKind::Remove && items.is_empty() {
                    let mut e = Map::new();
                    e.insert(sub.clone(), need_value(op, value)?.clone());
                    items.push(Value::Object(e));
                }
            }
            Some(Value::Object(o)) => match op {
                OpKind::Remove => {
                    o.remove(sub);
                }
                _ => {
                    o.insert(sub.clone(), need_value(op, value)?.clone());
                }
            },
            _ => {
                if op != OpKind::Remove {
                    let mut o = Map::new();
                    o.insert(sub.clone(), need_value(op, value)?.clone());
                    let v = if multi {
                        Value::Array(vec![Value::Object(o)])
                    } else {
                        Value::Object(o)
                    };
                    container.insert(t.name.clone(), v);
                }
            }
        }
        return Ok(());
    }

    match op {
        OpKind::Remove => {
            match (value, container.get_mut(&t.name)) {
                // Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]}
                (Some(v), Some(Value::Array(items))) if multi && !v.is_null() => {
                    let gone: Vec<Value> = match v {
                        Value::Array(a) => a.clone(),
                        other => vec![other.clone()],
                    };
                    let mut index = Equivalents::default();
                    for (i, g) in gone.iter().enumerate() {
                        index.add(i, g);
                    }
                    items.retain(|item| !index.holds(&gone, item));
                }
                _ => {
                    container.remove(&t.name);
                }
            }
        }
        OpKind::Add | OpKind::Replace => {
            let v = need_value(op, value)?;
            if v.is_null() {
                container.remove(&t.name);
                return Ok(());
            }
            if multi {
                let new_items: Vec<Value> = match v {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                if op == OpKind::Replace {
                    container.insert(t.name.clone(), Value::Array(dedupe(new_items)));
                } else {
                    let mut items = match container.remove(&t.name) {
                        Some(Value::Array(a)) => a,
                        _ => Vec::new(),
                    };
                    append_distinct(&mut items, new_items);
                    container.insert(t.name.clone(), Value::Array(items));
                }
            } else if complex {
                // RFC 7644 §3.5.2.1 and §3.5.2.3: sub-attributes given replace, others stay.
                let incoming = v.as_object().ok_or_else(|| {
                    ScimError::invalid_value(format!(
                        "{} is complex: its value must be an object",
                        t.name
                    ))
                })?;
                let mut current = match container.remove(&t.name) {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                merge_sub_attributes(&mut current, incoming, t.def);
                container.insert(t.name.clone(), Value::Object(current));
            } else {
                container.insert(t.name.clone(), v.clone());
            }
        }
    }
    Ok(())
}

fn set_in_element(
    element: &mut Map<String, Value>,
    sub: Option<&str>,
    v: &Value,
    def: Option<&'static AttrDef>,
) -> Result<(), ScimError> {
    match sub {
        Some(s) => {
            element.insert(s.to_string(), v.clone());
        }
        None => {
            let o = v.as_object().ok_or_else(|| {
                ScimError::invalid_value("the value for a filtered element must be an object")
            })?;
            merge_sub_attributes(element, o, def);
        }
    }
    Ok(())
}

/// Merge sub-attributes, canonicalising their names so a later ingest sees one key per name.
fn merge_sub_attributes(
    current: &mut Map<String, Value>,
    incoming: &Map<String, Value>,
    def: Option<&'static AttrDef>,
) {
    for (k, v) in incoming {
        let name = def
            .and_then(|d| d.sub_attribute(k))
            .map(|s| s.name.to_string())
            .unwrap_or_else(|| k.clone());
        current.retain(|existing, _| !existing.eq_ignore_ascii_case(&name) || existing == &name);
        current.insert(name, v.clone());
    }
}

/// Two values of a multi-valued attribute are the same value when their `value` sub-attributes
/// are equal and their `type`s do not differ (a member added twice is one member).
pub fn equivalent(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => match (get_ci(x, "value"), get_ci(y, "value")) {
            (Some(vx), Some(vy)) => {
                vx == vy
                    && match (get_ci(x, "type"), get_ci(y, "type")) {
                        (Some(tx), Some(ty)) => tx == ty,
                        _ => true,
                    }
            }
            _ => x == y,
        },
        _ => a == b,
    }
}

/// Drop later duplicates (by `equivalent`), keeping order.
pub fn dedupe(items: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::with_capacity(items.len());
    append_distinct(&mut out, items);
    out
}

/// Append each of `new` that is not `equivalent` to an item already in `items` (or appended
/// before it). Linear in both: adding members to a group of thousands compares each new one
/// with the few that share its key, not with every member.
pub fn append_distinct(items: &mut Vec<Value>, new: Vec<Value>) {
    if new.is_empty() {
        return;
    }
    let mut index = Equivalents::default();
    for (i, item) in items.iter().enumerate() {
        index.add(i, item);
    }
    for item in new {
        if !index.holds(items, &item) {
            index.add(items.len(), &item);
            items.push(item);
        }
    }
}

/// Positions in a list of values, grouped by a key that `equivalent` values always share: the
/// `value` sub-attribute of an object that has one, else the whole value written with its
/// object keys sorted (objects compare equal in any key order). Only values sharing a key are
/// compared.
#[derive(Default)]
struct Equivalents {
    by_key: HashMap<String, Vec<usize>>,
}

impl Equivalents {
    fn key(v: &Value) -> String {
        let mut k = String::new();
        match v {
            Value::Object(o) => match get_ci(o, "value") {
                Some(inner) => {
                    k.push_str("v:");
                    canonical_text(inner, &mut k);
                }
                None => {
                    k.push_str("o:");
                    canonical_text(v, &mut k);
                }
            },
            other => {
                k.push_str("s:");
                canonical_text(other, &mut k);
            }
        }
        k
    }

    /// Record that `v` is at position `i`.
    fn add(&mut self, i: usize, v: &Value) {
        self.by_key.entry(Self::key(v)).or_default().push(i);
    }

    /// Whether a value of `pool` recorded here is `equivalent` to `v`.
    fn holds(&self, pool: &[Value], v: &Value) -> bool {
        self.by_key
            .get(&Self::key(v))
            .is_some_and(|at| at.iter().any(|&i| equivalent(&pool[i], v)))
    }
}

/// `v` as JSON text with every object's keys sorted: equal values give equal texts.
fn canonical_text(v: &Value, out: &mut String) {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (n, k) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_text(&o[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (n, x) in a.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                canonical_text(x, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::resource::ingest;
    use serde_json::json;

    #[test]
    fn appending_and_removing_keep_what_comparing_every_pair_keeps() {
        // Values that are, and are not, `equivalent` in every way the rule allows: the same
        // value with and without a type, another type, another case of the key, objects
        // without a value in another key order, scalars, nested objects.
        let values = [
            json!({"value": "a"}),
            json!({"value": "a", "type": "work"}),
            json!({"value": "a", "type": "home"}),
            json!({"Value": "a", "display": "A"}),
            json!({"value": "b", "display": "B"}),
            json!({"value": {"x": 1, "y": [1, 2]}}),
            json!({"value": {"y": [1, 2], "x": 1}}),
            json!({"value": {"x": 1, "y": [2, 1]}}),
            json!({"display": "no value", "primary": true}),
            json!({"primary": true, "display": "no value"}),
            json!({"display": "no value"}),
            json!("a"),
            json!(1),
            json!(1.0),
            json!(null),
        ];
        let naive_append = |items: &mut Vec<Value>, new: Vec<Value>| {
            for item in new {
                if !items.iter().any(|x| equivalent(x, &item)) {
                    items.push(item);
                }
            }
        };
        // Every ordered pair of prefixes and suffixes of the list, as what is there and what
        // comes, and the list against its own reverse.
        let mut reversed = values.to_vec();
        reversed.reverse();
        for lists in [&values[..], &reversed[..]] {
            for cut in 0..=lists.len() {
                let (there, new) = lists.split_at(cut);
                for new in [new.to_vec(), [new, new].concat(), values.to_vec()] {
                    let (mut fast, mut slow) = (there.to_vec(), there.to_vec());
                    append_distinct(&mut fast, new.clone());
                    naive_append(&mut slow, new.clone());
                    assert_eq!(fast, slow, "{there:?} + {new:?}");
                    let mut index = Equivalents::default();
                    for (i, g) in new.iter().enumerate() {
                        index.add(i, g);
                    }
                    let kept: Vec<&Value> =
                        there.iter().filter(|x| !index.holds(&new, x)).collect();
                    let naive: Vec<&Value> = there
                        .iter()
                        .filter(|x| !new.iter().any(|g| equivalent(x, g)))
                        .collect();
                    assert_eq!(kept, naive, "{there:?} - {new:?}");
                }
            }
        }
        assert_eq!(dedupe([&values[..], &values[..]].concat()), {
            let mut once = Vec::new();
            naive_append(&mut once, values.to_vec());
            once
        });
    }

    fn patch(kind: ResourceKind, doc: Value, body: Value) -> Result<Value, ScimError> {
        let ops = parse_patch(&body)?;
        let out = apply_patch(kind, doc.as_object().unwrap(), &ops)?;
        Ok(Value::Object(ingest(kind, &Value::Object(out))?))
    }

    fn ops(list: Value) -> Value {
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": list})
    }

    fn user() -> Value {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen@example.com",
               "name": {"givenName": "Barbara", "familyName": "Jensen"}, "active": true,
               "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                          {"value": "babs@jensen.org", "type": "home"}]})
    }

    fn group() -> Value {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Tour Guides",
               "members": [{"value": "2819c223", "display": "bjensen@example.com"},
                           {"value": "902c246b", "display": "jsmith@example.com"}]})
    }

    #[test]
    fn okta_deactivate_and_reactivate_are_pathless_replace() {
        // okta-scim-wire §5.1, byte for byte.
        let body: Value = serde_json::from_str(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#).unwrap();
        let out = patch(ResourceKind::User, user(), body).unwrap();
        assert_eq!(out["active"], false);
        let out = patch(
            ResourceKind::User,
            out,
            ops(json!([{"op":"replace","value":{"active":true}}])),
        )
        .unwrap();
        assert_eq!(out["active"], true);
        assert_eq!(out["userName"], "bjensen@example.com");
    }

    #[test]
    fn entra_capitalised_ops_and_string_booleans() {
        let out = patch(
            ResourceKind::User,
            user(),
            ops(json!([{"op":"Replace","path":"active","value":"False"}])),
        )
        .unwrap();
        assert_eq!(out["active"], false);
        let out = patch(ResourceKind::User, out, ops(json!([{"op":"Add","path":"emails[type eq \"work\"].value","value":"new@example.com"}]))).unwrap();
        assert_eq!(out["emails"][0]["value"], "new@example.com");
        let out = patch(
            ResourceKind::User,
            out,
            ops(json!([{"op":"Replace","value":{"name.givenName":"Babs","ACTIVE":"True"}}])),
        )
        .unwrap();
        assert_eq!(out["name"]["givenName"], "Babs");
        assert_eq!(out["active"], true);
    }

    #[test]
    fn okta_group_rename_ignores_id_in_value() {
        // okta-scim-wire §6.4
        let out = patch(
            ResourceKind::Group,
            group(),
            ops(json!([{"op":"replace","value":{"id":"abf4dd94","displayName":"Test SCIMv2"}}])),
        )
        .unwrap();
        assert_eq!(out["displayName"], "Test SCIMv2");
        assert!(out.get("id").is_none());
        assert_eq!(out["members"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn okta_membership_update_removes_by_filter_then_adds() {
        // okta-scim-wire §6.2: one remove per user with a filter path, then one add.
        let body: Value = serde_json::from_str(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"2819c223\"]"},{"op":"add","path":"members","value":[{"value":"23a35c27","display":"test.user@okta.local"}]}]}"#).unwrap();
        let out = patch(ResourceKind::Group, group(), body).unwrap();
        assert_eq!(
            out["members"],
            json!([{"value":"902c246b","display":"jsmith@example.com"},{"value":"23a35c27","display":"test.user@okta.local"}])
        );
    }

    #[test]
    fn adding_a_member_already_present_does_not_duplicate_it() {
        let out = patch(ResourceKind::Group, group(), ops(json!([{"op":"add","path":"members","value":[{"value":"2819c223","display":"bjensen@example.com"},{"value":"2819c223"}]}]))).unwrap();
        assert_eq!(out["members"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn push_now_replaces_members_also_with_empty_list() {
        let out = patch(ResourceKind::Group, group(), ops(json!([{"op":"replace","path":"members","value":[{"value":"aaa","display":"a@x"}]}]))).unwrap();
        assert_eq!(out["members"], json!([{"value":"aaa","display":"a@x"}]));
        let out = patch(
            ResourceKind::Group,
            out,
            ops(json!([{"op":"replace","path":"members","value":[]}])),
        )
        .unwrap();
        assert_eq!(out["members"], json!([]));
    }

    #[test]
    fn entra_remove_members_with_value_list() {
        let out = patch(
            ResourceKind::Group,
            group(),
            ops(json!([{"op":"Remove","path":"members","value":[{"value":"902c246b"}]}])),
        )
        .unwrap();
        assert_eq!(
            out["members"],
            json!([{"value":"2819c223","display":"bjensen@example.com"}])
        );
    }

    #[test]
    fn rfc7644_examples() {
        // §3.5.2.1 add a member; §3.5.2.2 remove all members, remove one, remove a sub-attribute
        // by filter; §3.5.2.3 replace all members, replace the work address sub-attribute.
        let out = patch(ResourceKind::Group, group(), ops(json!([{"op":"add","path":"members","value":[{"display":"Babs Jensen","$ref":"https://example.com/v2/Users/2819c223","value":"2819c223"}]}]))).unwrap();
        assert_eq!(out["members"].as_array().unwrap().len(), 2);
        let out = patch(
            ResourceKind::Group,
            group(),
            ops(json!([{"op":"remove","path":"members"}])),
        )
        .unwrap();
        assert!(out.get("members").is_none());
        let out = patch(
            ResourceKind::User,
            user(),
            ops(json!([{"op":"remove","path":"emails[type eq \"home\"]"}])),
        )
        .unwrap();
        assert_eq!(out["emails"].as_array().unwrap().len(), 1);
        let out = patch(ResourceKind::User, user(), ops(json!([{"op":"remove","path":"emails[type eq \"work\" and value ew \"example.com\"].primary"}]))).unwrap();
        assert!(out["emails"][0].get("primary").is_none());
        let mut u = user();
        u["addresses"] = json!([{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood"}]);
        let out = patch(ResourceKind::User, u, ops(json!([{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"1010 Broadway Ave"}]))).unwrap();
        assert_eq!(out["addresses"][0]["streetAddress"], "1010 Broadway Ave");
        assert_eq!(out["addresses"][0]["locality"], "Hollywood");
        let out = patch(ResourceKind::User, user(), ops(json!([{"op":"replace","value":{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],"nickName":"Babs"}}]))).unwrap();
        assert_eq!(out["nickName"], "Babs");
        assert_eq!(out["emails"].as_array().unwrap().len(), 1);
        let out = patch(ResourceKind::User, user(), ops(json!([{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"}],"nickName":"Babs"}}]))).unwrap();
        assert_eq!(
            out["emails"].as_array().unwrap().len(),
            2,
            "an equal email is not added twice"
        );
    }

    #[test]
    fn replace_of_complex_merges_sub_attributes() {
        let out = patch(
            ResourceKind::User,
            user(),
            ops(json!([{"op":"replace","path":"name","value":{"GIVENNAME":"Babs"}}])),
        )
        .unwrap();
        assert_eq!(
            out["name"],
            json!({"familyName":"Jensen","givenName":"Babs"})
        );
        let out = patch(
            ResourceKind::User,
            user(),
            ops(json!([{"op":"replace","path":"name.familyName","value":"J"}])),
        )
        .unwrap();
        assert_eq!(out["name"]["familyName"], "J");
    }

    #[test]
    fn enterprise_extension_paths() {
        let out = patch(ResourceKind::User, user(), ops(json!([
            {"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Ops"},
            {"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value":"m1"}},
            {"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"42"}}}
        ]))).unwrap();
        let ext = &out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
        assert_eq!(
            ext,
            &json!({"costCenter":"42","department":"Ops","manager":{"value":"m1"}})
        );
        assert!(
            out["schemas"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
    }

    #[test]
    fn extension_urn_path_with_the_whole_object_tolerates_its_schemas_member() {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let out = patch(ResourceKind::User, user(), ops(json!([
            {"op":"add","path":urn,"value":{"schemas":[urn],"department":"Ops","employeeNumber":"7"}},
            {"op":"replace","path":urn,"value":{"schemas":[urn],"department":"Sales"}}
        ]))).unwrap();
        assert_eq!(out[urn], json!({"employeeNumber":"7","department":"Sales"}));
    }

    #[test]
    fn errors_have_the_rfc_scim_types() {
        use crate::scim::ScimType::*;
        let cases = [
            (ops(json!([{"op":"remove"}])), NoTarget),
            (
                ops(
                    json!([{"op":"replace","path":"emails[type eq \"x\" or value eq \"q\"].value","value":"x"}]),
                ),
                NoTarget,
            ),
            (
                ops(json!([{"op":"replace","path":"nosuch","value":"x"}])),
                InvalidPath,
            ),
            (
                ops(json!([{"op":"replace","path":"name.nosuch","value":"x"}])),
                InvalidPath,
            ),
            (
                ops(json!([{"op":"replace","path":"emails[","value":"x"}])),
                InvalidPath,
            ),
            (
                ops(json!([{"op":"replace","path":"id","value":"x"}])),
                Mutability,
            ),
            (
                ops(json!([{"op":"replace","path":"groups","value":[]}])),
                Mutability,
            ),
            (
                ops(json!([{"op":"move","path":"userName","value":"x"}])),
                InvalidSyntax,
            ),
            (
                ops(json!([{"op":"replace","path":"active","value":"maybe"}])),
                InvalidValue,
            ),
            (
                ops(json!([{"op":"replace","path":"userName","value":42}])),
                InvalidValue,
            ),
            (
                ops(json!([{"op":"replace","value":"not an object"}])),
                InvalidValue,
            ),
            (
                ops(json!([{"op":"replace","path":"userName"}])),
                InvalidValue,
            ),
            (ops(json!([])), InvalidSyntax),
            (
                json!({"schemas":["urn:wrong"],"Operations":[{"op":"add","path":"title","value":"x"}]}),
                InvalidSyntax,
            ),
            (json!({"Operations": "nope"}), InvalidSyntax),
        ];
        for (body, want) in cases {
            let e = patch(ResourceKind::User, user(), body.clone()).expect_err(&body.to_string());
            assert_eq!(e.scim_type, Some(want), "{body}: {e}");
            assert_eq!(e.status, 400);
        }
    }

    #[test]
    fn replace_with_filter_and_no_match_is_no_target_unless_it_can_be_created() {
        let e = patch(
            ResourceKind::User,
            user(),
            ops(json!([{"op":"replace","path":"emails[value co \"zzz\"].type","value":"x"}])),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(crate::scim::ScimType::NoTarget));
        let out = patch(
            ResourceKind::User,
            user(),
            ops(json!([{"op":"replace","path":"emails[type eq \"other\"].value","value":"o@x"}])),
        )
        .unwrap();
        assert_eq!(out["emails"][2], json!({"value":"o@x","type":"other"}));
    }

    #[test]
    fn removing_an_absent_member_is_not_an_error() {
        let out = patch(
            ResourceKind::Group,
            group(),
            ops(json!([{"op":"remove","path":"members[value eq \"nobody\"]"}])),
        )
        .unwrap();
        assert_eq!(out["members"].as_array().unwrap().len(), 2);
    }
}
