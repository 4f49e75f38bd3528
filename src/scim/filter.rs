//! SCIM filters (RFC 7644 §3.4.2.2): parse with the `scim_v2` crate's grammar, resolve every
//! attribute path against our schemas (case-insensitive names, URN prefixes, `caseExact`),
//! and evaluate against resources. Also the query-string decoding Okta relies on
//! (okta-scim-wire §3.1: both `%20` and `+` for spaces).

use std::borrow::Cow;
use std::cmp::Ordering;

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};
use serde_json::{Map, Value};

use super::error::ScimError;
use super::schema::{AttrDef, AttrType, Container, ResourceKind, Returned, resolve_attr};

/// Filters longer than this are refused before parsing (a hostile query string costs nothing).
pub const MAX_FILTER_LEN: usize = 8 * 1024;

/// Anything a filter can be evaluated against: gives the value of a top-level attribute
/// (or of an attribute inside an extension object).
pub trait FilterTarget {
    /// The value of an attribute of the resource, if it has one.
    fn attribute(&self, container: &Container, name: &str) -> Option<Cow<'_, Value>>;
}

impl FilterTarget for Map<String, Value> {
    fn attribute(&self, container: &Container, name: &str) -> Option<Cow<'_, Value>> {
        match container {
            Container::Top => self.get(name).map(Cow::Borrowed),
            Container::Extension(urn) => self.get(urn.as_str())?.get(name).map(Cow::Borrowed),
        }
    }
}

/// A resolved attribute path: where to find the value and how to compare it.
#[derive(Debug, Clone)]
pub struct Path {
    /// Where the attribute lives: the core schema, or an extension.
    pub container: Container,
    /// The attribute's name as the schema spells it.
    pub name: String,
    /// The sub-attribute, for `name.givenName`.
    pub sub: Option<String>,
    /// Definition of the attribute the comparison finally applies to (the sub-attribute when
    /// there is one; `value` for a multi-valued complex attribute without one).
    leaf: Option<&'static AttrDef>,
}

/// A filter whose paths are all resolved.
#[derive(Debug, Clone)]
pub enum Expr {
    /// All of these.
    And(Vec<Expr>),
    /// Any of these.
    Or(Vec<Expr>),
    /// Not this.
    Not(Box<Expr>),
    /// `pr`: the attribute has a value.
    Present(Path),
    /// A comparison.
    Compare(Path, CompareOp, CompValue),
    /// `attr[filter]`: true when some element of `attr` matches the element filter.
    ValuePath(Path, Box<Expr>),
}

/// A parsed, resolved filter for one resource kind.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    /// The expression.
    pub expr: Expr,
}

impl CompiledFilter {
    /// Parse and resolve a filter string (already URL-decoded).
    pub fn parse(kind: ResourceKind, text: &str) -> Result<Self, ScimError> {
        if text.len() > MAX_FILTER_LEN {
            return Err(ScimError::invalid_filter(format!(
                "filter is {} bytes long; the limit is {MAX_FILTER_LEN}",
                text.len()
            )));
        }
        if let Some((name, value)) = okta_equality(text) {
            let path = resolve_path(
                kind,
                &AttrPath {
                    uri: None,
                    name: name.to_string(),
                    sub_attr: None,
                },
            )?;
            let value = CompValue::Str(value.to_string());
            check_comparison(&path, &CompareOp::Eq, &value)?;
            return Ok(CompiledFilter {
                expr: Expr::Compare(path, CompareOp::Eq, value),
            });
        }
        let text = space_after_not(text.trim());
        let filter: Filter = text
            .parse()
            .map_err(|e| ScimError::invalid_filter(format!("cannot parse filter {text:?}: {e}")))?;
        Ok(CompiledFilter {
            expr: resolve_filter(kind, &filter)?,
        })
    }

    /// Whether a resource matches the filter.
    pub fn matches(&self, target: &dyn FilterTarget) -> bool {
        eval(&self.expr, target)
    }

    /// Equality tests that every match must satisfy one of, over the given indexed
    /// top-level attributes: `Some(vec![("userName", "a@b")])` for `userName eq "a@b" and …`.
    /// `None` when the filter cannot be answered from those indexes alone.
    pub fn index_plan(&self, indexed: &[&str]) -> Option<Vec<(&'static str, String)>> {
        plan(&self.expr, indexed)
    }

    /// When the filter is a single `eq` on a top-level string attribute: that attribute's name
    /// and whether it compares case exactly. Its matches are then exactly the resources whose
    /// value equals the filter's, compared that way (both sides lower-cased when not exact).
    pub fn single_equality(&self) -> Option<(&'static str, bool)> {
        match &self.expr {
            Expr::Compare(path, CompareOp::Eq, CompValue::Str(_))
                if path.container == Container::Top && path.sub.is_none() =>
            {
                let leaf = path.leaf?;
                (leaf.ty == AttrType::String || leaf.ty == AttrType::Reference)
                    .then_some((leaf.name, leaf.case_exact))
            }
            _ => None,
        }
    }

    /// Text a resource's compact JSON must contain, ignoring ASCII case, for the filter to
    /// match it: a cheap test before the resource is decoded. Only a comparison that can match
    /// nothing but a string holding its value counts (`eq`, `co`, `sw`, `ew` with a non-empty
    /// ASCII string, not on a dateTime), on an attribute `in_body` says is read from the body
    /// as stored; in an `and`, each of them. Each is the value JSON-escaped, in lower case.
    /// Valid for bodies that are ASCII (a non-ASCII letter can lower-case to an ASCII one).
    pub fn required_text(&self, in_body: &dyn Fn(&Container, &str) -> bool) -> Vec<String> {
        let mut out = Vec::new();
        required(&self.expr, in_body, &mut out);
        out
    }
}

/// Parse and resolve the filter inside a PATCH value path, relative to its parent attribute.
pub fn resolve_element_filter(
    parent: &'static AttrDef,
    filter: &ValFilter,
) -> Result<Expr, ScimError> {
    resolve_val_filter(parent, filter)
}

/// Whether one element of a multi-valued complex attribute matches an element filter.
pub fn element_matches(expr: &Expr, element: &Value) -> bool {
    match element.as_object() {
        Some(obj) => eval(expr, obj),
        None => {
            // A multi-valued attribute of simple values: `value` is the element itself.
            let mut m = Map::new();
            m.insert("value".into(), element.clone());
            eval(expr, &m)
        }
    }
}

/// The RFC 7644 grammar allows `not(` with no space; the parser we use wants one.
fn space_after_not(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut in_string = false;
    let mut escaped = false;
    let mut last = 0;
    for i in 0..bytes.len() {
        let b = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if b == b'"' {
            in_string = true;
            continue;
        }
        if i + 4 <= bytes.len()
            && bytes[i..i + 3].eq_ignore_ascii_case(b"not")
            && bytes[i + 3] == b'('
            && (i == 0 || matches!(bytes[i - 1], b' ' | b'(' | b'['))
        {
            let o = out.get_or_insert_with(String::new);
            o.push_str(&text[last..i + 3]);
            o.push(' ');
            last = i + 3;
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[last..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

fn resolve_path(kind: ResourceKind, p: &AttrPath) -> Result<Path, ScimError> {
    let r = resolve_attr(kind, p.uri.as_deref(), &p.name).ok_or_else(|| {
        ScimError::invalid_filter(format!("unknown attribute {:?} in filter", display_path(p)))
    })?;
    let Some(def) = r.def else {
        return Ok(Path {
            container: r.container,
            name: r.name,
            sub: p.sub_attr.clone(),
            leaf: None,
        });
    };
    // An attribute that is never returned must not be filterable either: a filter such as
    // `password sw "a"` would tell a client, one guess at a time, what it cannot read.
    if def.returned == Returned::Never {
        return Err(ScimError::invalid_filter(format!(
            "{} cannot be used in a filter (it is never returned)",
            def.name
        )));
    }
    let (sub, leaf) = match &p.sub_attr {
        Some(s) => {
            let sd = def.sub_attribute(s).ok_or_else(|| {
                ScimError::invalid_filter(format!("{} has no sub-attribute {s:?}", def.name))
            })?;
            (Some(sd.name.to_string()), Some(sd))
        }
        None if def.is_complex() => (None, def.sub_attribute("value")),
        None => (None, Some(def)),
    };
    Ok(Path {
        container: r.container,
        name: r.name,
        sub,
        leaf,
    })
}

fn display_path(p: &AttrPath) -> String {
    let mut s = String::new();
    if let Some(u) = &p.uri {
        s.push_str(u);
        s.push(':');
    }
    s.push_str(&p.name);
    if let Some(sub) = &p.sub_attr {
        s.push('.');
        s.push_str(sub);
    }
    s
}

fn check_comparison(path: &Path, op: &CompareOp, value: &CompValue) -> Result<(), ScimError> {
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    if let Some(leaf) = path.leaf
        && ordering
        && matches!(
            leaf.ty,
            AttrType::Boolean | AttrType::Binary | AttrType::Complex
        )
    {
        return Err(ScimError::invalid_filter(format!(
            "{:?} cannot be ordered: {} is a {:?} attribute (RFC 7644 §3.4.2.2)",
            op, leaf.name, leaf.ty
        )));
    }
    if ordering && matches!(value, CompValue::True | CompValue::False | CompValue::Null) {
        return Err(ScimError::invalid_filter(
            "gt, ge, lt and le need a string or number to compare with",
        ));
    }
    Ok(())
}

fn resolve_filter(kind: ResourceKind, f: &Filter) -> Result<Expr, ScimError> {
    Ok(match f {
        Filter::Attr(AttrExp::Present(p)) => Expr::Present(resolve_path(kind, p)?),
        Filter::Attr(AttrExp::Comparison(p, op, v)) => {
            let path = resolve_path(kind, p)?;
            check_comparison(&path, op, v)?;
            Expr::Compare(path, op.clone(), v.clone())
        }
        Filter::ValuePath(vp) => {
            let path = resolve_path(kind, &vp.attr)?;
            let parent = match resolve_attr(kind, vp.attr.uri.as_deref(), &vp.attr.name)
                .and_then(|r| r.def)
            {
                Some(d) if d.is_complex() && vp.attr.sub_attr.is_none() => d,
                _ => {
                    return Err(ScimError::invalid_filter(format!(
                        "{} is not a complex attribute: it cannot take a [filter]",
                        display_path(&vp.attr)
                    )));
                }
            };
            Expr::ValuePath(path, Box::new(resolve_val_filter(parent, &vp.filter)?))
        }
        Filter::Not(inner) => Expr::Not(Box::new(resolve_filter(kind, inner)?)),
        Filter::And(ops) => Expr::And(
            ops.iter()
                .map(|o| resolve_filter(kind, o))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(ops) => Expr::Or(
            ops.iter()
                .map(|o| resolve_filter(kind, o))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn resolve_sub_path(parent: &'static AttrDef, p: &AttrPath) -> Result<Path, ScimError> {
    // Inside brackets, paths name sub-attributes of the parent: `type`, `value`, also written
    // fully as `emails.type` by some clients.
    let name = match &p.sub_attr {
        Some(s) if p.name.eq_ignore_ascii_case(parent.name) => s.as_str(),
        Some(_) => {
            return Err(ScimError::invalid_filter(format!(
                "{} inside {}[...] is not a sub-attribute of {}",
                display_path(p),
                parent.name,
                parent.name
            )));
        }
        None => p.name.as_str(),
    };
    let def = parent.sub_attribute(name).ok_or_else(|| {
        ScimError::invalid_filter(format!("{} has no sub-attribute {name:?}", parent.name))
    })?;
    Ok(Path {
        container: Container::Top,
        name: def.name.to_string(),
        sub: None,
        leaf: Some(def),
    })
}

fn resolve_val_filter(parent: &'static AttrDef, f: &ValFilter) -> Result<Expr, ScimError> {
    Ok(match f {
        ValFilter::Attr(AttrExp::Present(p)) => Expr::Present(resolve_sub_path(parent, p)?),
        ValFilter::Attr(AttrExp::Comparison(p, op, v)) => {
            let path = resolve_sub_path(parent, p)?;
            check_comparison(&path, op, v)?;
            Expr::Compare(path, op.clone(), v.clone())
        }
        ValFilter::Not(inner) => Expr::Not(Box::new(resolve_val_filter(parent, inner)?)),
        ValFilter::And(ops) => Expr::And(
            ops.iter()
                .map(|o| resolve_val_filter(parent, o))
                .collect::<Result<_, _>>()?,
        ),
        ValFilter::Or(ops) => Expr::Or(
            ops.iter()
                .map(|o| resolve_val_filter(parent, o))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The values a path points at: for multi-valued attributes every element (or every element's
/// sub-attribute), for a multi-valued complex attribute without a sub-attribute every `value`.
fn values_at<'a>(path: &Path, target: &'a dyn FilterTarget) -> Vec<Cow<'a, Value>> {
    let Some(top) = target.attribute(&path.container, &path.name) else {
        return Vec::new();
    };
    let sub = path.sub.as_deref().or(match top.as_ref() {
        Value::Array(items) if items.iter().any(Value::is_object) => Some("value"),
        _ => None,
    });
    let pick = |v: &Value| -> Option<Value> {
        match sub {
            Some(s) => match v {
                Value::Object(o) => o.get(s).cloned(),
                _ if s == "value" => Some(v.clone()),
                _ => None,
            },
            None => Some(v.clone()),
        }
    };
    match top.as_ref() {
        Value::Array(items) => items
            .iter()
            .filter_map(pick)
            .filter(|v| !v.is_null())
            .map(Cow::Owned)
            .collect(),
        Value::Null => Vec::new(),
        v => pick(v)
            .filter(|x| !x.is_null())
            .map(Cow::Owned)
            .into_iter()
            .collect(),
    }
}

fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn eval(expr: &Expr, target: &dyn FilterTarget) -> bool {
    match expr {
        Expr::And(ops) => ops.iter().all(|o| eval(o, target)),
        Expr::Or(ops) => ops.iter().any(|o| eval(o, target)),
        Expr::Not(inner) => !eval(inner, target),
        Expr::Present(path) => match target.attribute(&path.container, &path.name) {
            None => false,
            Some(v) if path.sub.is_none() => is_present(&v),
            Some(_) => values_at(path, target).iter().any(|v| is_present(v)),
        },
        Expr::Compare(path, CompareOp::Ne, value) => !values_at(path, target)
            .iter()
            .any(|v| compare(path, CompareOp::Eq, v, value)),
        Expr::Compare(path, op, value) => values_at(path, target)
            .iter()
            .any(|v| compare(path, op.clone(), v, value)),
        Expr::ValuePath(path, inner) => match target.attribute(&path.container, &path.name) {
            Some(v) => match v.as_ref() {
                Value::Array(items) => items.iter().any(|e| element_matches(inner, e)),
                other @ Value::Object(_) => element_matches(inner, other),
                _ => false,
            },
            None => false,
        },
    }
}

fn compare(path: &Path, op: CompareOp, actual: &Value, wanted: &CompValue) -> bool {
    let case_exact = path.leaf.map(|d| d.case_exact).unwrap_or(false);
    let is_date = path
        .leaf
        .map(|d| d.ty == AttrType::DateTime)
        .unwrap_or(false);
    match (actual, wanted) {
        (Value::String(a), CompValue::Str(w)) => {
            if is_date && let (Some(a), Some(w)) = (parse_date(a), parse_date(w)) {
                return ordered(op, a.cmp(&w));
            }
            let (a, w): (Cow<str>, Cow<str>) = if case_exact {
                (Cow::Borrowed(a), Cow::Borrowed(w))
            } else {
                (Cow::Owned(a.to_lowercase()), Cow::Owned(w.to_lowercase()))
            };
            match op {
                CompareOp::Eq => a == w,
                CompareOp::Ne => a != w,
                CompareOp::Co => a.contains(w.as_ref()),
                CompareOp::Sw => a.starts_with(w.as_ref()),
                CompareOp::Ew => a.ends_with(w.as_ref()),
                _ => ordered(op, a.cmp(&w)),
            }
        }
        (Value::Bool(a), CompValue::True) => matches!(op, CompareOp::Eq) == *a,
        (Value::Bool(a), CompValue::False) => matches!(op, CompareOp::Eq) != *a,
        // Entra and some apps store booleans as "True"/"False" strings.
        (Value::String(a), CompValue::True | CompValue::False) => {
            let want = matches!(wanted, CompValue::True);
            match a.to_ascii_lowercase().as_str() {
                "true" => matches!(op, CompareOp::Eq) == want,
                "false" => matches!(op, CompareOp::Eq) != want,
                _ => false,
            }
        }
        (Value::Number(a), CompValue::Number(w)) => match (a.as_f64(), w.as_f64()) {
            (Some(a), Some(w)) => match op {
                CompareOp::Eq => a == w,
                CompareOp::Ne => a != w,
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
                _ => a.partial_cmp(&w).map(|o| ordered(op, o)).unwrap_or(false),
            },
            _ => false,
        },
        (_, CompValue::Null) => matches!(op, CompareOp::Ne),
        _ => false,
    }
}

fn ordered(op: CompareOp, o: Ordering) -> bool {
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn parse_date(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// The filters Okta sends for its lookups (`userName eq "…"`, `externalId eq`, `displayName eq`,
/// `id eq`, with a string that needs no unescaping), split without the general parser: the
/// attribute name and the value. Anything else is None, and the grammar reads it.
fn okta_equality(text: &str) -> Option<(&str, &str)> {
    let text = text.trim();
    let (name, rest) = text.split_once(|c: char| c.is_ascii_whitespace())?;
    if !["userName", "externalId", "displayName", "id"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
    {
        return None;
    }
    let rest = rest.trim_start();
    let (op, rest) = rest.split_once(|c: char| c.is_ascii_whitespace())?;
    if !op.eq_ignore_ascii_case("eq") {
        return None;
    }
    let value = rest.trim_start().strip_prefix('"')?.strip_suffix('"')?;
    (!value.contains(['"', '\\'])).then_some((name, value))
}

fn required(expr: &Expr, in_body: &dyn Fn(&Container, &str) -> bool, out: &mut Vec<String>) {
    match expr {
        Expr::Compare(
            path,
            CompareOp::Eq | CompareOp::Co | CompareOp::Sw | CompareOp::Ew,
            CompValue::Str(w),
        ) if !w.is_empty()
            && w.is_ascii()
            && path.leaf.is_none_or(|d| d.ty != AttrType::DateTime)
            && in_body(&path.container, &path.name) =>
        {
            let quoted = serde_json::to_string(w).unwrap_or_default();
            let inner = &quoted[1..quoted.len().saturating_sub(1).max(1)];
            out.push(inner.to_ascii_lowercase());
        }
        Expr::And(ops) => ops.iter().for_each(|o| required(o, in_body, out)),
        _ => {}
    }
}

fn plan(expr: &Expr, indexed: &[&str]) -> Option<Vec<(&'static str, String)>> {
    match expr {
        Expr::Compare(path, CompareOp::Eq, CompValue::Str(v))
            if path.container == Container::Top && path.sub.is_none() =>
        {
            let name = indexed.iter().find(|n| **n == path.name)?;
            let name: &'static str = path.leaf.map(|d| d.name).filter(|d| d == name)?;
            Some(vec![(name, v.clone())])
        }
        Expr::And(ops) => ops.iter().find_map(|o| plan(o, indexed)),
        Expr::Or(ops) => {
            let mut all = Vec::new();
            for o in ops {
                all.extend(plan(o, indexed)?);
            }
            Some(all)
        }
        _ => None,
    }
}

/// Decode one `application/x-www-form-urlencoded` query string into (name, value) pairs:
/// `+` and `%20` both become a space (okta-scim-wire §3.1, quirk 11).
pub fn decode_query(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Map<String, Value> {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "userName": "Bjensen@Example.com",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "title": "Tour Guide",
            "userType": "Employee",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}},
            "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
                     "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3694e05e9dff590\""}
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn m(filter: &str) -> bool {
        CompiledFilter::parse(ResourceKind::User, filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(&user())
    }

    #[test]
    fn rfc7644_section_3_4_2_2_examples() {
        // Every example filter of RFC 7644 §3.4.2.2 that applies to this user.
        assert!(m(r#"userName Eq "bjensen@example.com""#));
        assert!(m(r#"name.familyName co "ens""#));
        assert!(m(r#"userName sw "B""#));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B""#
        ));
        assert!(m("title pr"));
        assert!(!m(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#));
        assert!(m(r#"meta.lastModified ge "2011-05-13T04:42:34Z""#));
        assert!(m(r#"meta.lastModified lt "2011-05-13T04:42:35Z""#));
        assert!(m(r#"meta.lastModified le "2011-05-13T04:42:34.000Z""#));
        assert!(m(r#"title pr and userType eq "Employee""#));
        assert!(m(r#"title pr or userType eq "Intern""#));
        assert!(m(
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#
        ));
        assert!(m(
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#
        ));
        assert!(!m(
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#
        ));
        assert!(m(r#"userType eq "Employee" and (emails.type eq "work")"#));
        assert!(m(
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#
        ));
        assert!(m(
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#
        ));
    }

    #[test]
    fn attribute_names_and_operators_are_case_insensitive() {
        assert!(m(r#"USERNAME EQ "bjensen@example.com""#));
        assert!(m(r#"Name.FamilyName Co "ENS""#));
        assert!(m(r#"EMAILS[TYPE eq "work"]"#));
        assert!(m(r#"title PR AND active EQ true"#));
    }

    #[test]
    fn case_exact_is_honoured_per_schema() {
        // userName is caseExact false (RFC 7643 §4.1.1); externalId and id are caseExact true.
        assert!(m(r#"userName eq "BJENSEN@EXAMPLE.COM""#));
        assert!(m(r#"externalId eq "00ujl29u0le5T6Aj10h7""#));
        assert!(!m(r#"externalId eq "00UJL29U0LE5T6AJ10H7""#));
        assert!(!m(r#"id eq "2819C223-7F76-453A-919D-413861904646""#));
    }

    #[test]
    fn extension_attributes_with_urn_prefix() {
        assert!(m(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#
        ));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#
        ));
    }

    #[test]
    fn booleans_numbers_null_and_not() {
        assert!(m("active eq true"));
        assert!(!m("active eq false"));
        assert!(m("active ne false"));
        assert!(m(r#"not (userName eq "nobody")"#));
        assert!(m(r#"not(userName eq "nobody")"#));
        assert!(!m("nickName eq null"));
        assert!(!m("nickName pr"));
        assert!(m(r#"emails[not(type eq "other")]"#));
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        assert!(m(r#"userName eq "x" and title pr or active eq true"#));
        assert!(!m(r#"userName eq "x" and (title pr or active eq true)"#));
    }

    #[test]
    fn bad_filters_are_invalid_filter_errors() {
        for bad in [
            "",
            "userName",
            r#"userName eq"#,
            r#"userName zz "x""#,
            r#"userName eq "unterminated"#,
            r#"(userName eq "x""#,
            r#"nosuch eq "x""#,
            r#"name.nosuch eq "x""#,
            r#"emails[nosuch eq "x"]"#,
            r#"active gt true"#,
            r#"userName[value eq "x"]"#,
            "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((title pr))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
        ] {
            let e = CompiledFilter::parse(ResourceKind::User, bad).expect_err(bad);
            assert_eq!(e.status, 400, "{bad}");
            assert_eq!(
                e.scim_type,
                Some(super::super::error::ScimType::InvalidFilter),
                "{bad}"
            );
        }
        let long = format!(r#"userName eq "{}""#, "a".repeat(MAX_FILTER_LEN));
        assert!(CompiledFilter::parse(ResourceKind::User, &long).is_err());
    }

    #[test]
    fn query_strings_decode_both_space_encodings() {
        // okta-scim-wire §3.1: the current form and the 2018 form.
        for raw in [
            "filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
            "filter=userName+eq+%22test.user%40okta.local%22&startIndex=1&count=100",
        ] {
            let q = decode_query(raw);
            assert_eq!(
                q[0],
                (
                    "filter".into(),
                    r#"userName eq "test.user@okta.local""#.into()
                )
            );
            assert_eq!(q[1], ("startIndex".into(), "1".into()));
            let f = CompiledFilter::parse(ResourceKind::User, &q[0].1).unwrap();
            let mut u = user();
            u.insert("userName".into(), json!("Test.User@okta.local"));
            assert!(f.matches(&u));
        }
        assert_eq!(
            decode_query("filter=userName%20eq%20%22a%2Bb%40x.io%22")[0].1,
            r#"userName eq "a+b@x.io""#
        );
    }

    #[test]
    fn oktas_lookups_skip_the_grammar_and_resolve_as_it_would() {
        for kind in [ResourceKind::User, ResourceKind::Group] {
            for f in [
                r#"userName eq "ada@example.com""#,
                r#"USERNAME  EQ  "Ada@Example.com" "#,
                r#"externalId eq "00u1""#,
                r#"displayName eq "Sales Team""#,
                r#"id eq "2819c223-7f76""#,
                r#"userName eq """#,
            ] {
                let fast = CompiledFilter::parse(kind, f).map(|c| format!("{:?}", c.expr));
                assert!(okta_equality(f).is_some(), "{f}");
                let text = space_after_not(f.trim());
                let slow = text
                    .parse::<Filter>()
                    .map_err(|e| e.to_string())
                    .and_then(|g| resolve_filter(kind, &g).map_err(|e| e.to_string()))
                    .map(|e| format!("{e:?}"));
                assert_eq!(fast.is_ok(), slow.is_ok(), "{kind:?} {f}");
                if let (Ok(a), Ok(b)) = (fast, slow) {
                    assert_eq!(a, b, "{kind:?} {f}");
                }
            }
        }
        // Not Okta's shape: the grammar reads them.
        for f in [
            r#"userName eq "a\"b""#,
            r#"userName eq "a" and active eq true"#,
            r#"userName sw "a""#,
            r#"emails.value eq "a""#,
            "userName eq 3",
        ] {
            assert!(okta_equality(f).is_none(), "{f}");
        }
    }

    #[test]
    fn index_plan_finds_equalities_on_indexed_attributes() {
        let idx = ["userName", "externalId", "id"];
        let p = |f: &str| {
            CompiledFilter::parse(ResourceKind::User, f)
                .unwrap()
                .index_plan(&idx)
        };
        assert_eq!(
            p(r#"USERNAME eq "A@b.c""#),
            Some(vec![("userName", "A@b.c".to_string())])
        );
        assert_eq!(
            p(r#"active eq true and externalId eq "00u1""#),
            Some(vec![("externalId", "00u1".into())])
        );
        assert_eq!(
            p(r#"userName eq "a" or userName eq "b""#),
            Some(vec![("userName", "a".into()), ("userName", "b".into())])
        );
        assert_eq!(p(r#"userName eq "a" or title pr"#), None);
        assert_eq!(p(r#"userName co "a""#), None);
        assert_eq!(p(r#"not (userName eq "a")"#), None);
    }

    #[test]
    fn element_filters_for_patch_paths() {
        let members = crate::scim::schema::GROUP.attribute("members").unwrap();
        let f: scim_v2::filter::PatchPath = r#"members[value eq "abc"]"#.parse().unwrap();
        let scim_v2::filter::PatchPath::Value(vp) = f else {
            panic!()
        };
        let e = resolve_element_filter(members, &vp.filter).unwrap();
        assert!(element_matches(
            &e,
            &json!({"value": "abc", "display": "x"})
        ));
        // members.value is caseExact: ids are compared exactly.
        assert!(!element_matches(&e, &json!({"value": "ABC"})));
    }
}
