//! Schemas declared at run time: an app's custom User extensions (okta-attributes-entitlements-oauth
//! §1) and the schemas of what it publishes to Okta Identity Governance (§2). A declaration has
//! the shape of an RFC 7643 §7 `/Schemas` document, so the reference app reads the same JSON it
//! serves, and okta-sim reads a target's `/Schemas` with the same types ([`SchemaDecl::parse_served`]).
//!
//! Declarations become ordinary [`SchemaDef`]s that live for the process; each distinct
//! declaration is made once, so apps started again and again with one configuration share it.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema::{AttrDef, AttrType, Mutability, Returned, SchemaDef, is_schema_urn};

/// At most this many attributes (and sub-attributes) in one declaration: a target's `/Schemas`
/// is read with the same types, and a hostile one must not make okta-sim build millions.
pub const MAX_DECLARED_ATTRIBUTES: usize = 1000;

fn string_type() -> AttrType {
    AttrType::String
}
fn read_write() -> Mutability {
    Mutability::ReadWrite
}
fn returned_default() -> Returned {
    Returned::Default
}
fn uniqueness_none() -> String {
    "none".into()
}

/// One attribute, as RFC 7643 §7 describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDecl {
    /// The attribute's name.
    pub name: String,
    /// Its type (`string` when not given).
    #[serde(rename = "type", default = "string_type")]
    pub ty: AttrType,
    /// Whether it holds a list.
    #[serde(default)]
    pub multi_valued: bool,
    /// Whether it must be present.
    #[serde(default)]
    pub required: bool,
    /// Whether comparisons are case-sensitive.
    #[serde(default)]
    pub case_exact: bool,
    /// `readWrite` when not given.
    #[serde(default = "read_write")]
    pub mutability: Mutability,
    /// `default` when not given.
    #[serde(default = "returned_default")]
    pub returned: Returned,
    /// `none` or `server` (or `global`).
    #[serde(default = "uniqueness_none")]
    pub uniqueness: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// The values it may take, when restricted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// The sub-attributes of a complex attribute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<AttributeDecl>,
}

impl AttributeDecl {
    /// A single-valued, read-write attribute of this type.
    pub fn new(name: &str, ty: AttrType) -> AttributeDecl {
        AttributeDecl {
            name: name.into(),
            ty,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: "none".into(),
            description: String::new(),
            canonical_values: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    fn count(&self) -> usize {
        1 + self
            .sub_attributes
            .iter()
            .map(AttributeDecl::count)
            .sum::<usize>()
    }

    fn define(&self) -> AttrDef {
        let subs: Vec<AttrDef> = self.sub_attributes.iter().map(|a| a.define()).collect();
        let canonical: Vec<&'static str> = self
            .canonical_values
            .iter()
            .map(|v| leak(v.clone()))
            .collect();
        AttrDef {
            name: leak(self.name.clone()),
            ty: self.ty,
            multi_valued: self.multi_valued,
            required: self.required,
            case_exact: self.case_exact,
            mutability: self.mutability,
            returned: if self.mutability == Mutability::WriteOnly {
                Returned::Never
            } else {
                self.returned
            },
            unique: self.uniqueness != "none",
            description: leak(self.description.clone()),
            canonical_values: Box::leak(canonical.into_boxed_slice()),
            reference_types: &[],
            sub_attributes: Box::leak(subs.into_boxed_slice()),
        }
    }
}

/// A schema: its URN, name, description and attributes (RFC 7643 §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaDecl {
    /// The schema URN.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// Its attributes.
    #[serde(default)]
    pub attributes: Vec<AttributeDecl>,
}

/// Why a declaration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schema declaration: {0}")]
pub struct DeclError(pub String);

impl SchemaDecl {
    /// Check the declaration: a URN id, named attributes, no duplicate names, sub-attributes
    /// only on complex attributes, and no more than [`MAX_DECLARED_ATTRIBUTES`].
    pub fn validate(&self) -> Result<(), DeclError> {
        if !is_schema_urn(&self.id) {
            return Err(DeclError(format!("{:?} is not a schema URN", self.id)));
        }
        let n: usize = self.attributes.iter().map(AttributeDecl::count).sum();
        if n > MAX_DECLARED_ATTRIBUTES {
            return Err(DeclError(format!(
                "{} declares {n} attributes, more than {MAX_DECLARED_ATTRIBUTES}",
                self.id
            )));
        }
        fn check(list: &[AttributeDecl], at: &str) -> Result<(), DeclError> {
            for (i, a) in list.iter().enumerate() {
                let ok = !a.name.is_empty()
                    && a.name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
                if !ok {
                    return Err(DeclError(format!(
                        "{at}: {:?} is not an attribute name",
                        a.name
                    )));
                }
                if list[..i]
                    .iter()
                    .any(|b| b.name.eq_ignore_ascii_case(&a.name))
                {
                    return Err(DeclError(format!("{at}: {} is declared twice", a.name)));
                }
                if !a.sub_attributes.is_empty() && a.ty != AttrType::Complex {
                    return Err(DeclError(format!(
                        "{at}: {} has sub-attributes but is not complex",
                        a.name
                    )));
                }
                check(&a.sub_attributes, &format!("{at}:{}", a.name))?;
            }
            Ok(())
        }
        check(&self.attributes, &self.id)
    }

    /// The schema definition, made once per distinct declaration.
    pub fn define(&self) -> Result<&'static SchemaDef, DeclError> {
        self.validate()?;
        static SCHEMAS: LazyLock<Mutex<HashMap<String, &'static SchemaDef>>> =
            LazyLock::new(Default::default);
        let key = serde_json::to_string(self).map_err(|e| DeclError(e.to_string()))?;
        let mut m = SCHEMAS.lock().unwrap_or_else(|e| e.into_inner());
        Ok(m.entry(key).or_insert_with(|| {
            let attrs: Vec<AttrDef> = self.attributes.iter().map(|a| a.define()).collect();
            Box::leak(Box::new(SchemaDef {
                id: leak(self.id.clone()),
                name: leak(self.name.clone()),
                description: leak(self.description.clone()),
                attributes: Box::leak(attrs.into_boxed_slice()),
            }))
        }))
    }

    /// Read a schema as a server serves it at `/Schemas`, leniently: unknown members are
    /// ignored, and an attribute whose type or mutability is not one of RFC 7643's is an error
    /// naming it (the caller reports it as a finding about the document).
    pub fn parse_served(doc: &Value) -> Result<SchemaDecl, DeclError> {
        serde_json::from_value::<SchemaDecl>(doc.clone())
            .map_err(|e| DeclError(format!("not an RFC 7643 §7 schema: {e}")))
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_declaration_is_a_schemas_document_and_round_trips() {
        let doc = json!({
            "id": "urn:ietf:params:scim:schemas:extension:acme:2.0:User",
            "name": "AcmeUser",
            "attributes": [
                {"name": "role", "type": "string"},
                {"name": "level", "type": "integer", "mutability": "immutable"},
                {"name": "skills", "multiValued": true},
                {"name": "badge", "mutability": "readOnly", "returned": "always"},
            ]
        });
        let decl = SchemaDecl::parse_served(&doc).unwrap();
        let def = decl.define().unwrap();
        assert_eq!(def.attributes.len(), 4);
        assert_eq!(
            def.attribute("LEVEL").unwrap().mutability,
            Mutability::Immutable
        );
        assert!(def.attribute("skills").unwrap().multi_valued);
        let served = def.to_json("http://x/Schemas/acme");
        let again = SchemaDecl::parse_served(&served).unwrap();
        assert_eq!(again.attributes[1].ty, AttrType::Integer);
        assert!(std::ptr::eq(def, decl.define().unwrap()), "made once");
    }

    #[test]
    fn bad_declarations_are_refused_with_a_reason() {
        let bad = [
            json!({"id": "acme", "attributes": []}),
            json!({"id": "urn:x:y", "attributes": [{"name": "a b"}]}),
            json!({"id": "urn:x:y", "attributes": [{"name": "a"}, {"name": "A"}]}),
            json!({"id": "urn:x:y", "attributes": [{"name": "a", "subAttributes": [{"name": "b"}]}]}),
        ];
        for b in bad {
            let d = SchemaDecl::parse_served(&b).unwrap();
            assert!(d.define().is_err(), "{b}");
        }
        let wrong_type = json!({"id": "urn:x:y", "attributes": [{"name": "a", "type": "text"}]});
        assert!(SchemaDecl::parse_served(&wrong_type).is_err());
        let many: Vec<Value> = (0..1001)
            .map(|i| json!({"name": format!("a{i}")}))
            .collect();
        let d = SchemaDecl::parse_served(&json!({"id": "urn:x:y", "attributes": many})).unwrap();
        assert!(d.define().unwrap_err().0.contains("more than"));
    }
}
