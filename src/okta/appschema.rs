//! The simulated Okta's app user schema, as the Profile Editor holds it
//! (okta-attributes-entitlements-oauth §1, §4): each attribute with its type, external name,
//! external namespace, scope (personal or group-assignable) and To-App mapping, an
//! Okta-expression-like language for the mappings, the resolution of a user's app profile from
//! its direct assignment and its groups' assignments by priority, and the placement of that
//! profile in the SCIM body Okta sends.
//!
//! Placement follows §1 "Wire placement": attributes without a namespace are not sent; the core
//! namespace goes top level, with `a.^[k==v].sub` picking one element of a multi-valued
//! attribute; any other namespace is nested under its URN; nulls and empty containers are left
//! out. Whether an extension URN is also listed in `schemas` is UNCONFIRMED, so it is a setting
//! ([`AppUserSchema::list_extension_schemas`]).

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::ids::OktaUser;
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

/// An Okta property type (`propertyType` of §1, the ones the Profile Editor offers for SCIM apps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyType {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `integer`.
    Integer,
    /// `number`.
    Number,
    /// `string array`.
    StringArray,
    /// `integer array`.
    IntegerArray,
    /// `number array`.
    NumberArray,
}

impl PropertyType {
    /// The type by the name feature files use: `string`, `boolean`, `integer`, `number`,
    /// `string array`, `integer array`, `number array`.
    pub fn parse(s: &str) -> Option<PropertyType> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "string" => PropertyType::String,
            "boolean" => PropertyType::Boolean,
            "integer" => PropertyType::Integer,
            "number" => PropertyType::Number,
            "string array" => PropertyType::StringArray,
            "integer array" => PropertyType::IntegerArray,
            "number array" => PropertyType::NumberArray,
            _ => return None,
        })
    }

    /// Whether it holds a list.
    pub fn is_array(self) -> bool {
        matches!(
            self,
            PropertyType::StringArray | PropertyType::IntegerArray | PropertyType::NumberArray
        )
    }

    /// A value of this type from a feature file's text: `true`, `42`, `a, b`, or JSON.
    pub fn value_from_text(self, text: &str) -> Result<Value, String> {
        let t = text.trim();
        if t.is_empty() || t == "null" {
            return Ok(Value::Null);
        }
        if let Ok(v) = serde_json::from_str::<Value>(t)
            && self.accepts(&v)
        {
            return Ok(v);
        }
        let scalar = |s: &str, ty: PropertyType| -> Result<Value, String> {
            let s = s.trim();
            match ty {
                PropertyType::String | PropertyType::StringArray => Ok(json!(s)),
                PropertyType::Boolean => match s {
                    "true" => Ok(json!(true)),
                    "false" => Ok(json!(false)),
                    _ => Err(format!("{s:?} is not a boolean")),
                },
                PropertyType::Integer | PropertyType::IntegerArray => s
                    .parse::<i64>()
                    .map(|n| json!(n))
                    .map_err(|_| format!("{s:?} is not an integer")),
                PropertyType::Number | PropertyType::NumberArray => s
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                    .ok_or_else(|| format!("{s:?} is not a number")),
            }
        };
        if self.is_array() {
            t.split(',')
                .map(|p| scalar(p, self))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        } else {
            scalar(t, self)
        }
    }

    /// Whether a value has this type (null always does).
    pub fn accepts(self, v: &Value) -> bool {
        let scalar = |v: &Value, ty: PropertyType| match ty {
            PropertyType::String | PropertyType::StringArray => v.is_string(),
            PropertyType::Boolean => v.is_boolean(),
            PropertyType::Integer | PropertyType::IntegerArray => v.is_i64() || v.is_u64(),
            PropertyType::Number | PropertyType::NumberArray => v.is_number(),
        };
        match v {
            Value::Null => true,
            Value::Array(items) if self.is_array() => items.iter().all(|i| scalar(i, self)),
            _ if self.is_array() => false,
            _ => scalar(v, self),
        }
    }
}

/// Whether an attribute can be given a value by a group assignment (§4: `scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// "User personal" (`SELF`): set per user only.
    Personal,
    /// Group-assignable (`NONE`).
    Group,
}

/// How an array attribute takes values from several assigned groups (§4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArrayMode {
    /// "Use Group Priority": only the top group's values.
    #[default]
    GroupPriority,
    /// "Combine values across groups": the union, in priority order.
    Combine,
}

/// One attribute of the app user schema.
#[derive(Debug, Clone, PartialEq)]
pub struct AppAttribute {
    /// The Okta variable name (Okta-internal, never sent).
    pub variable: String,
    /// Its type.
    pub ty: PropertyType,
    /// The external name: `name.givenName`, `emails.^[primary==true].value`, `department`…
    pub external_name: String,
    /// The external namespace; an attribute without one is not sent (§1).
    pub namespace: Option<String>,
    /// Personal or group-assignable.
    pub scope: Scope,
    /// The To-App mapping; it overrides assignment values (§4).
    pub mapping: Option<Expr>,
    /// How an array takes values from several groups.
    pub array_mode: ArrayMode,
}

impl AppAttribute {
    /// A personal attribute in the core namespace mapped by `expr`.
    pub fn core(variable: &str, external_name: &str, expr: &str) -> AppAttribute {
        AppAttribute {
            variable: variable.into(),
            ty: PropertyType::String,
            external_name: external_name.into(),
            namespace: Some(USER_SCHEMA.into()),
            scope: Scope::Personal,
            mapping: Some(Expr::parse(expr).expect("built-in mapping parses")),
            array_mode: ArrayMode::GroupPriority,
        }
    }
}

/// The app user schema of the simulated app instance.
#[derive(Debug, Clone, PartialEq)]
pub struct AppUserSchema {
    /// The attributes, in the Profile Editor's order (the order they are sent in).
    pub attributes: Vec<AppAttribute>,
    /// List each extension URN a body carries in `schemas` too (UNCONFIRMED for SCIM 2.0;
    /// off by default: Okta's documented create example with custom attributes lists only the
    /// core URN, okta-attributes-entitlements-oauth §1, D7).
    pub list_extension_schemas: bool,
}

impl Default for AppUserSchema {
    /// Okta's SCIM 2.0 template (okta-scim-wire §3.2; the default attributes of §1): the body
    /// Okta sends for an app nobody customised.
    fn default() -> Self {
        AppUserSchema {
            attributes: vec![
                AppAttribute::core("givenName", "name.givenName", "user.firstName"),
                AppAttribute::core("familyName", "name.familyName", "user.lastName"),
                AppAttribute::core("email", "emails.^[primary==true].value", "user.email"),
                AppAttribute::core("emailType", "emails.^[primary==true].type", "\"work\""),
                AppAttribute::core(
                    "displayName",
                    "displayName",
                    "user.firstName + \" \" + user.lastName",
                ),
                AppAttribute::core("locale", "locale", "user.locale"),
            ],
            list_extension_schemas: false,
        }
    }
}

/// A user's resolved app profile: variable name to value, in schema order.
pub type AppProfileValues = IndexMap<String, Value>;

/// One group assignment of the app (§4): a group, its priority (0 is the top) and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAssignment {
    /// The group's label.
    pub group: String,
    /// 0 (highest) to 100.
    pub priority: u8,
    /// Values for group-assignable attributes, by variable name.
    pub profile: Map<String, Value>,
}

/// The highest priority a group assignment may have (§4: 0–100).
pub const MAX_PRIORITY: u8 = 100;

impl AppUserSchema {
    /// The attribute with this variable name.
    pub fn attribute(&self, variable: &str) -> Option<&AppAttribute> {
        self.attributes.iter().find(|a| a.variable == variable)
    }

    /// Add an attribute, or replace the one with its variable name.
    pub fn upsert(&mut self, attr: AppAttribute) {
        match self
            .attributes
            .iter_mut()
            .find(|a| a.variable == attr.variable)
        {
            Some(a) => *a = attr,
            None => self.attributes.push(attr),
        }
    }

    /// Resolve a user's app profile as Okta does (§4): a To-App mapping wins over everything;
    /// otherwise a direct (USER) assignment's value; otherwise, for a group-assignable attribute,
    /// the top-priority group's value (arrays: the top group's, or all groups' combined).
    /// `groups` are the assignments of the groups the user is in.
    pub fn resolve(
        &self,
        user: &OktaUser,
        direct: Option<&Map<String, Value>>,
        groups: &[&GroupAssignment],
    ) -> AppProfileValues {
        let mut ordered: Vec<&GroupAssignment> = groups.to_vec();
        ordered.sort_by_key(|g| g.priority);
        let mut out = IndexMap::new();
        for a in &self.attributes {
            let v = if let Some(m) = &a.mapping {
                m.eval(user)
            } else if let Some(v) = direct
                .and_then(|d| d.get(&a.variable))
                .filter(|v| !v.is_null())
            {
                v.clone()
            } else if a.scope == Scope::Group {
                match (a.ty.is_array(), a.array_mode) {
                    (true, ArrayMode::Combine) => {
                        let mut all: Vec<Value> = Vec::new();
                        for g in &ordered {
                            if let Some(Value::Array(items)) = g.profile.get(&a.variable) {
                                for i in items {
                                    if !all.contains(i) {
                                        all.push(i.clone());
                                    }
                                }
                            }
                        }
                        if all.is_empty() {
                            Value::Null
                        } else {
                            Value::Array(all)
                        }
                    }
                    _ => ordered
                        .first()
                        .and_then(|g| g.profile.get(&a.variable))
                        .cloned()
                        .unwrap_or(Value::Null),
                }
            } else {
                Value::Null
            };
            out.insert(a.variable.clone(), v);
        }
        out
    }

    /// The SCIM attributes of a resolved profile, placed as Okta places them: the core
    /// namespace top level, other namespaces under their URN; nulls and empty containers left
    /// out. Returns the top-level attributes and the extension objects by URN.
    pub fn place(
        &self,
        values: &AppProfileValues,
    ) -> (Map<String, Value>, IndexMap<String, Value>) {
        let mut top = Map::new();
        let mut exts: IndexMap<String, Value> = IndexMap::new();
        for a in &self.attributes {
            let Some(ns) = &a.namespace else { continue };
            let v = values.get(&a.variable).cloned().unwrap_or(Value::Null);
            if is_empty(&v) {
                continue;
            }
            let path = ExternalName::parse(&a.external_name);
            if ns.eq_ignore_ascii_case(USER_SCHEMA) {
                path.set(&mut top, v);
            } else {
                let e = exts.entry(ns.clone()).or_insert_with(|| json!({}));
                if let Value::Object(m) = e {
                    path.set(m, v);
                }
            }
        }
        (top, exts)
    }

    /// Write a resolved profile over the app's own representation of the user (the PUT of an
    /// update, okta-scim-wire §4, quirk 9): every attribute Okta sends is overwritten (removed
    /// when it resolved to nothing), everything else is echoed unchanged.
    pub fn overwrite(&self, body: &mut Map<String, Value>, values: &AppProfileValues) {
        for a in &self.attributes {
            let Some(ns) = &a.namespace else { continue };
            let v = values.get(&a.variable).cloned().unwrap_or(Value::Null);
            let path = ExternalName::parse(&a.external_name);
            if ns.eq_ignore_ascii_case(USER_SCHEMA) {
                if is_empty(&v) {
                    path.remove(body);
                } else {
                    path.set(body, v);
                }
            } else {
                let key = body
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(ns))
                    .cloned()
                    .unwrap_or_else(|| ns.clone());
                if is_empty(&v) {
                    if let Some(Value::Object(m)) = body.get_mut(&key) {
                        path.remove(m);
                        if m.is_empty() {
                            body.remove(&key);
                        }
                    }
                    continue;
                }
                let e = body.entry(key).or_insert_with(|| json!({}));
                if !e.is_object() {
                    *e = json!({});
                }
                if let Value::Object(m) = e {
                    path.set(m, v);
                }
            }
        }
        if self.list_extension_schemas {
            list_schemas(body);
        }
    }

    /// The URNs of the extensions this schema sends attributes in.
    pub fn extension_namespaces(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for a in &self.attributes {
            if let Some(ns) = a.namespace.as_deref()
                && !ns.eq_ignore_ascii_case(USER_SCHEMA)
                && !out.contains(&ns)
            {
                out.push(ns);
            }
        }
        out
    }
}

/// Add each extension URN the body carries to its `schemas`.
pub fn list_schemas(body: &mut Map<String, Value>) {
    let urns: Vec<String> = body
        .keys()
        .filter(|k| k.starts_with("urn:") && body.get(*k).is_some_and(Value::is_object))
        .cloned()
        .collect();
    if let Some(Value::Array(s)) = body.get_mut("schemas") {
        for u in urns {
            if !s.iter().any(|x| x.as_str() == Some(&u)) {
                s.push(Value::String(u));
            }
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// A parsed external name: keys, and `^[key==value]` selectors of one element of a list.
#[derive(Debug, Clone, PartialEq)]
enum PathStep {
    Key(String),
    Select(String, Value),
}

/// The most steps an external name keeps.
pub const MAX_NAME_STEPS: usize = 8;

/// An external name such as `emails.^[primary==true].value` (okta-attributes-entitlements-oauth
/// §1: the `.^[sub==val].sub` syntax picks one element of a multi-valued attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalName(Vec<PathStep>);

impl ExternalName {
    /// Parse one; a malformed selector is kept as a plain key (as a name it still round-trips).
    /// At most [`MAX_NAME_STEPS`] steps are kept (SCIM nests two levels; the rest is ignored).
    pub fn parse(name: &str) -> ExternalName {
        let mut steps = Vec::new();
        let mut rest = name;
        while !rest.is_empty() && steps.len() < MAX_NAME_STEPS {
            if let Some(after) = rest.strip_prefix("^[")
                && let Some(end) = after.find(']')
                && let Some((k, v)) = after[..end].split_once("==")
            {
                let v = v.trim();
                let value = if let Some(s) = v
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| v.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                {
                    Value::String(s.to_string())
                } else {
                    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()))
                };
                steps.push(PathStep::Select(k.trim().to_string(), value));
                rest = after[end + 1..].trim_start_matches('.');
                continue;
            }
            let end = rest.find('.').unwrap_or(rest.len());
            steps.push(PathStep::Key(rest[..end].to_string()));
            rest = rest.get(end + 1..).unwrap_or("");
        }
        ExternalName(steps)
    }

    /// Set the value at this path, creating objects, lists and selected elements as needed.
    pub fn set(&self, root: &mut Map<String, Value>, value: Value) {
        set_in(root, &self.0, value);
    }

    /// Remove the value at this path (a selected element left with only its selector goes too).
    pub fn remove(&self, root: &mut Map<String, Value>) {
        remove_in(root, &self.0);
    }
}

fn set_in(obj: &mut Map<String, Value>, steps: &[PathStep], value: Value) {
    let Some(PathStep::Key(k)) = steps.first() else {
        return;
    };
    let key = obj
        .keys()
        .find(|x| x.eq_ignore_ascii_case(k))
        .cloned()
        .unwrap_or_else(|| k.clone());
    match steps.get(1) {
        None => {
            obj.insert(key, value);
        }
        Some(PathStep::Select(sk, sv)) => {
            let list = obj.entry(key).or_insert_with(|| json!([]));
            if !list.is_array() {
                *list = json!([]);
            }
            let Value::Array(items) = list else { return };
            // With no element marked primary, Okta's template writes over the work one.
            let pos = items
                .iter()
                .position(|i| i.get(sk.as_str()) == Some(sv))
                .or_else(|| {
                    (sk == "primary" && sv == &Value::Bool(true))
                        .then(|| {
                            items
                                .iter()
                                .position(|i| i.get("type") == Some(&json!("work")))
                        })
                        .flatten()
                })
                .unwrap_or_else(|| {
                    let mut e = Map::new();
                    e.insert(sk.clone(), sv.clone());
                    // The primary element goes first, as Okta sends it.
                    if sv == &Value::Bool(true) {
                        items.insert(0, Value::Object(e));
                        0
                    } else {
                        items.push(Value::Object(e));
                        items.len() - 1
                    }
                });
            if let Value::Object(e) = &mut items[pos] {
                if steps.len() > 2 {
                    set_in(e, &steps[2..], value);
                } else if let Value::Object(v) = value {
                    e.extend(v);
                }
            }
        }
        Some(PathStep::Key(_)) => {
            let child = obj.entry(key).or_insert_with(|| json!({}));
            if !child.is_object() {
                *child = json!({});
            }
            if let Value::Object(c) = child {
                set_in(c, &steps[1..], value);
            }
        }
    }
}

fn remove_in(obj: &mut Map<String, Value>, steps: &[PathStep]) {
    let Some(PathStep::Key(k)) = steps.first() else {
        return;
    };
    let Some(key) = obj.keys().find(|x| x.eq_ignore_ascii_case(k)).cloned() else {
        return;
    };
    match steps.get(1) {
        None => {
            obj.remove(&key);
        }
        Some(PathStep::Select(sk, sv)) => {
            if let Some(Value::Array(items)) = obj.get_mut(&key) {
                if let Some(pos) = items.iter().position(|i| i.get(sk.as_str()) == Some(sv))
                    && let Value::Object(e) = &mut items[pos]
                {
                    remove_in(e, &steps[2..]);
                    if e.len() <= 1 {
                        items.remove(pos);
                    }
                }
                if items.is_empty() {
                    obj.remove(&key);
                }
            }
        }
        Some(PathStep::Key(_)) => {
            if let Some(Value::Object(c)) = obj.get_mut(&key) {
                remove_in(c, &steps[1..]);
                if c.is_empty() {
                    obj.remove(&key);
                }
            }
        }
    }
}

/// A To-App mapping in a subset of Okta's expression language: `user.attr`, string, number and
/// boolean constants, `null`, `+` (concatenation; numbers add), parentheses, and the functions
/// `String.toLowerCase`, `String.toUpperCase`, `String.trim`, `String.substringBefore`,
/// `String.substringAfter`, `String.len` and `String.join(separator, …)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant.
    Const(Value),
    /// `user.name`.
    User(String),
    /// `a + b`.
    Plus(Box<Expr>, Box<Expr>),
    /// `String.f(args)`.
    Call(StringFn, Vec<Expr>),
}

/// The `String.*` functions [`Expr`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringFn {
    /// `String.toLowerCase(s)`.
    ToLowerCase,
    /// `String.toUpperCase(s)`.
    ToUpperCase,
    /// `String.trim(s)`.
    Trim,
    /// `String.substringBefore(s, sep)`.
    SubstringBefore,
    /// `String.substringAfter(s, sep)`.
    SubstringAfter,
    /// `String.len(s)`.
    Len,
    /// `String.join(sep, a, b, …)`.
    Join,
}

/// The longest mapping expression accepted (they are typed by people).
pub const MAX_EXPR_LEN: usize = 1024;

impl Expr {
    /// Parse a mapping; the error says where and what was expected.
    pub fn parse(src: &str) -> Result<Expr, String> {
        if src.len() > MAX_EXPR_LEN {
            return Err(format!("a mapping is at most {MAX_EXPR_LEN} characters"));
        }
        let mut p = ExprParser {
            s: src.as_bytes(),
            i: 0,
            depth: 0,
        };
        let e = p.sum()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!(
                "unexpected {:?} at {} in {src:?}",
                &src[p.i..],
                p.i
            ));
        }
        Ok(e)
    }

    /// The value for this Okta user. `user.firstName`, `lastName`, `email`, `login`,
    /// `displayName`, `locale` come from the generated user; any other attribute from its
    /// extra profile (null when it has none).
    pub fn eval(&self, user: &OktaUser) -> Value {
        match self {
            Expr::Const(v) => v.clone(),
            Expr::User(name) => user.attribute(name),
            Expr::Plus(a, b) => match (a.eval(user), b.eval(user)) {
                (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
                    (Some(x), Some(y)) => json!(x.saturating_add(y)),
                    _ => json!(x.as_f64().unwrap_or(0.0) + y.as_f64().unwrap_or(0.0)),
                },
                (Value::Null, Value::Null) => Value::Null,
                (x, y) => Value::String(format!("{}{}", text(&x), text(&y))),
            },
            Expr::Call(f, args) => {
                let vals: Vec<Value> = args.iter().map(|a| a.eval(user)).collect();
                let s = |i: usize| vals.get(i).map(text).unwrap_or_default();
                if vals.first().is_none_or(Value::is_null) && *f != StringFn::Join {
                    return Value::Null;
                }
                match f {
                    StringFn::ToLowerCase => json!(s(0).to_lowercase()),
                    StringFn::ToUpperCase => json!(s(0).to_uppercase()),
                    StringFn::Trim => json!(s(0).trim()),
                    StringFn::SubstringBefore => {
                        let (a, b) = (s(0), s(1));
                        json!(a.split_once(b.as_str()).map_or(a.as_str(), |(x, _)| x))
                    }
                    StringFn::SubstringAfter => {
                        let (a, b) = (s(0), s(1));
                        json!(a.split_once(b.as_str()).map_or("", |(_, y)| y))
                    }
                    StringFn::Len => json!(s(0).chars().count()),
                    StringFn::Join => {
                        let parts: Vec<String> = vals
                            .iter()
                            .skip(1)
                            .filter(|v| !v.is_null())
                            .map(text)
                            .collect();
                        json!(parts.join(&s(0)))
                    }
                }
            }
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct ExprParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl ExprParser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    fn sum(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > 32 {
            return Err("the mapping nests too deeply".into());
        }
        let mut e = self.term()?;
        while self.eat(b'+') {
            e = Expr::Plus(Box::new(e), Box::new(self.term()?));
        }
        self.depth -= 1;
        Ok(e)
    }
    fn term(&mut self) -> Result<Expr, String> {
        self.ws();
        match self.s.get(self.i) {
            None => Err("the mapping ends where a value was expected".into()),
            Some(b'(') => {
                self.i += 1;
                let e = self.sum()?;
                if !self.eat(b')') {
                    return Err(format!("a ')' is missing at {}", self.i));
                }
                Ok(e)
            }
            Some(q @ (b'"' | b'\'')) => {
                let q = *q;
                self.i += 1;
                let start = self.i;
                while self.s.get(self.i).is_some_and(|c| *c != q) {
                    self.i += 1;
                }
                if self.i >= self.s.len() {
                    return Err("a string constant is not closed".into());
                }
                let v = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.i += 1;
                Ok(Expr::Const(Value::String(v)))
            }
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.i;
                self.i += 1;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'.')
                {
                    self.i += 1;
                }
                let t = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                serde_json::from_str::<Value>(&t)
                    .ok()
                    .filter(Value::is_number)
                    .map(Expr::Const)
                    .ok_or_else(|| format!("{t:?} is not a number"))
            }
            Some(_) => {
                let at = self.i;
                let id = self.ident();
                match id.as_str() {
                    "true" => return Ok(Expr::Const(json!(true))),
                    "false" => return Ok(Expr::Const(json!(false))),
                    "null" => return Ok(Expr::Const(Value::Null)),
                    _ => {}
                }
                if let Some(attr) = id.strip_prefix("user.")
                    && !attr.is_empty()
                    && !attr.contains('.')
                {
                    return Ok(Expr::User(attr.to_string()));
                }
                let f = match id.as_str() {
                    "String.toLowerCase" => StringFn::ToLowerCase,
                    "String.toUpperCase" => StringFn::ToUpperCase,
                    "String.trim" => StringFn::Trim,
                    "String.substringBefore" => StringFn::SubstringBefore,
                    "String.substringAfter" => StringFn::SubstringAfter,
                    "String.len" => StringFn::Len,
                    "String.join" => StringFn::Join,
                    "" => return Err(format!("unexpected character at {at}")),
                    other => {
                        return Err(format!(
                            "{other:?} is not known: use user.<attribute>, a constant, + or a String function"
                        ));
                    }
                };
                if !self.eat(b'(') {
                    return Err(format!("{id} needs its arguments in parentheses"));
                }
                let mut args = Vec::new();
                if !self.eat(b')') {
                    loop {
                        args.push(self.sum()?);
                        if self.eat(b')') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(format!("a ',' or ')' is missing at {}", self.i));
                        }
                        if args.len() > 16 {
                            return Err(format!("{id} takes at most 16 arguments"));
                        }
                    }
                }
                let arity_ok = match f {
                    StringFn::ToLowerCase
                    | StringFn::ToUpperCase
                    | StringFn::Trim
                    | StringFn::Len => args.len() == 1,
                    StringFn::SubstringBefore | StringFn::SubstringAfter => args.len() == 2,
                    StringFn::Join => !args.is_empty(),
                };
                if !arity_ok {
                    return Err(format!("{id} got {} arguments", args.len()));
                }
                Ok(Expr::Call(f, args))
            }
        }
    }
}

/// The enterprise extension's URN, for feature files that say `enterprise`.
pub fn namespace_named(name: &str) -> Option<String> {
    match name.trim() {
        "" | "none" | "-" => None,
        "core" => Some(USER_SCHEMA.into()),
        "enterprise" => Some(ENTERPRISE_USER_SCHEMA.into()),
        urn => Some(urn.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::ids::OktaIds;

    fn user() -> OktaUser {
        let mut u = OktaIds::new(1).user();
        u.profile.insert("department".into(), json!("Research"));
        u.profile.insert("level".into(), json!(3));
        u
    }

    #[test]
    fn expressions_cover_the_subset() {
        let u = user();
        let e = |s: &str| Expr::parse(s).unwrap().eval(&u);
        assert_eq!(e("user.firstName"), json!(u.given_name));
        assert_eq!(
            e("String.toLowerCase(user.email)"),
            json!(u.login.to_lowercase())
        );
        assert_eq!(
            e("user.firstName + \" \" + user.lastName"),
            json!(u.display_name())
        );
        assert_eq!(
            e("'eng-' + String.toUpperCase(user.department)"),
            json!("eng-RESEARCH")
        );
        assert_eq!(e("user.level + 2"), json!(5));
        assert_eq!(
            e("String.substringBefore(user.email, \"@\")"),
            json!(u.login.split('@').next().unwrap())
        );
        assert_eq!(
            e("String.join(\",\", user.department, user.nosuch, 'x')"),
            json!("Research,x")
        );
        assert_eq!(e("user.nosuch"), Value::Null);
        assert_eq!(e("true"), json!(true));
        for bad in [
            "user.",
            "String.nope(1)",
            "(1",
            "'open",
            "String.trim(1, 2)",
            "1 +",
            "user.a.b",
        ] {
            assert!(Expr::parse(bad).is_err(), "{bad}");
        }
        let deep = "(".repeat(100) + "1" + &")".repeat(100);
        assert!(Expr::parse(&deep).is_err());
    }

    #[test]
    fn default_template_places_as_okta_sends() {
        let schema = AppUserSchema::default();
        let u = user();
        let (top, exts) = schema.place(&schema.resolve(&u, None, &[]));
        assert_eq!(
            Value::Object(top),
            json!({"name": {"givenName": u.given_name, "familyName": u.family_name},
                   "emails": [{"primary": true, "value": u.login, "type": "work"}],
                   "displayName": u.display_name(), "locale": "en-US"})
        );
        assert!(exts.is_empty());
    }

    #[test]
    fn namespaces_nulls_and_selectors() {
        let mut schema = AppUserSchema::default();
        let attr = |v: &str, ext: &str, ns: Option<&str>, ty, expr: Option<&str>| AppAttribute {
            variable: v.into(),
            ty,
            external_name: ext.into(),
            namespace: ns.map(String::from),
            scope: Scope::Personal,
            mapping: expr.map(|e| Expr::parse(e).unwrap()),
            array_mode: ArrayMode::GroupPriority,
        };
        schema.upsert(attr(
            "department",
            "department",
            Some(ENTERPRISE_USER_SCHEMA),
            PropertyType::String,
            Some("user.department"),
        ));
        schema.upsert(attr(
            "manager",
            "manager.value",
            Some(ENTERPRISE_USER_SCHEMA),
            PropertyType::String,
            Some("user.managerId"),
        ));
        schema.upsert(attr(
            "internal",
            "internal",
            None,
            PropertyType::String,
            Some("'never sent'"),
        ));
        schema.upsert(attr(
            "role",
            "roles.^[type=='base'].value",
            Some(USER_SCHEMA),
            PropertyType::String,
            Some("'admin'"),
        ));
        let u = user();
        let (top, exts) = schema.place(&schema.resolve(&u, None, &[]));
        assert_eq!(
            exts[ENTERPRISE_USER_SCHEMA],
            json!({"department": "Research"}),
            "a null manager is left out"
        );
        assert_eq!(top["roles"], json!([{"type": "base", "value": "admin"}]));
        assert!(!top.contains_key("internal"));

        // Overwrite keeps what Okta does not own and removes what resolved to nothing.
        let mut body = json!({"userName": "x", "title": "Boss", "emails": [{"value": "old@x", "primary": true, "type": "work"}, {"value": "home@x", "type": "home"}],
            ENTERPRISE_USER_SCHEMA: {"department": "Old", "costCenter": "42", "manager": {"value": "m1", "displayName": "M"}}})
            .as_object().cloned().unwrap();
        schema.overwrite(&mut body, &schema.resolve(&u, None, &[]));
        assert_eq!(body["title"], "Boss");
        assert_eq!(body["emails"][1]["value"], "home@x");
        assert_eq!(body["emails"][0]["value"], json!(u.login));
        assert_eq!(
            body[ENTERPRISE_USER_SCHEMA],
            json!({"department": "Research", "costCenter": "42", "manager": {"displayName": "M"}})
        );
    }

    #[test]
    fn group_values_resolve_by_priority_and_combine() {
        let mut schema = AppUserSchema::default();
        let group_attr = |v: &str, ty, mode| AppAttribute {
            variable: v.into(),
            ty,
            external_name: v.into(),
            namespace: Some("urn:x:ext".into()),
            scope: Scope::Group,
            mapping: None,
            array_mode: mode,
        };
        schema.upsert(group_attr(
            "role",
            PropertyType::String,
            ArrayMode::GroupPriority,
        ));
        schema.upsert(group_attr(
            "licenses",
            PropertyType::StringArray,
            ArrayMode::Combine,
        ));
        schema.upsert(group_attr(
            "tags",
            PropertyType::StringArray,
            ArrayMode::GroupPriority,
        ));
        let g = |name: &str, p: u8, role: &str, lic: &[&str]| GroupAssignment {
            group: name.into(),
            priority: p,
            profile: json!({"role": role, "licenses": lic, "tags": lic})
                .as_object()
                .cloned()
                .unwrap(),
        };
        let eng = g("eng", 0, "admin", &["a", "b"]);
        let sales = g("sales", 1, "viewer", &["b", "c"]);
        let u = user();
        let r = schema.resolve(&u, None, &[&sales, &eng]);
        assert_eq!(r["role"], "admin");
        assert_eq!(r["licenses"], json!(["a", "b", "c"]));
        assert_eq!(r["tags"], json!(["a", "b"]));
        let direct = json!({"role": "owner"}).as_object().cloned().unwrap();
        assert_eq!(schema.resolve(&u, Some(&direct), &[&eng])["role"], "owner");
        // A mapping overrides all.
        schema
            .attributes
            .iter_mut()
            .find(|a| a.variable == "role")
            .unwrap()
            .mapping = Some(Expr::parse("'mapped'").unwrap());
        assert_eq!(schema.resolve(&u, Some(&direct), &[&eng])["role"], "mapped");
    }

    #[test]
    fn feature_file_values_by_type() {
        assert_eq!(PropertyType::Integer.value_from_text("42"), Ok(json!(42)));
        assert_eq!(
            PropertyType::Boolean.value_from_text("true"),
            Ok(json!(true))
        );
        assert_eq!(
            PropertyType::StringArray.value_from_text("a, b"),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            PropertyType::IntegerArray.value_from_text("[1,2]"),
            Ok(json!([1, 2]))
        );
        assert!(PropertyType::Integer.value_from_text("x").is_err());
        assert_eq!(PropertyType::String.value_from_text(""), Ok(Value::Null));
    }
}
