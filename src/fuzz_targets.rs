//! Entry points for the fuzzers: every parser that reads untrusted input, taking arbitrary
//! bytes. The AFL++ harnesses in `fuzz/` call them (coverage-guided, `fuzz/README.md`), and
//! `tests/fuzz_corpus.rs` replays the kept corpus and a few thousand seeded mutations of it
//! through them on every `cargo test`. Besides "never panics", each checks what must hold
//! whatever the input: our own XML serialization parses back to itself, canonical XML is
//! well-formed and canonicalizes to itself, an inflated request stays within its bound, a
//! PATCH that applies gives a body the ingest either accepts or refuses with a SCIM error.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::app::Store;
use crate::app::profile::AppProfile;
use crate::app::saml_sp::{SpConfig, SpState};
use crate::saml::idp::{MAX_REQUEST_BYTES, decode_authn_request, parse_authn_request};
use crate::saml::keys::SigningKey;
use crate::saml::xml::{exc_c14n, parse};
use crate::scim::filter::{CompiledFilter, decode_query, element_matches};
use crate::scim::patch::{apply_patch, parse_patch};
use crate::scim::resource::{Projection, ingest};
use crate::scim::schema::ResourceKind;

/// A fuzz target: arbitrary bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/` and the corpus folders name them.
pub const TARGETS: &[(&str, Target)] = &[
    ("scim_filter", scim_filter),
    ("scim_patch", scim_patch),
    ("scim_json", scim_json),
    ("saml_xml", saml_xml),
    ("saml_response", saml_response),
    ("redirect_inflate", redirect_inflate),
    ("scim_schema_doc", scim_schema_doc),
    ("okta_expression", okta_expression),
];

/// A `/Schemas` or `/ResourceTypes` answer of a target, as Import User Schema and entitlement
/// discovery read it: parsed leniently and validated (never defined: a definition lives for the
/// process), and the values okta-sim would send for each declared attribute.
pub fn scim_schema_doc(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = crate::okta::grants::resource_types_of(&v);
    let docs = match &v {
        Value::Array(a) => a.clone(),
        _ => crate::scim::list::resources_of(&v)
            .cloned()
            .unwrap_or_else(|| vec![v.clone()]),
    };
    for d in docs.iter().take(64) {
        if let Ok(decl) = crate::scim::declared::SchemaDecl::parse_served(d) {
            let _ = decl.validate();
            // What it serialises to parses back to the same declaration.
            if let Ok(again) = serde_json::to_value(&decl) {
                let back = crate::scim::declared::SchemaDecl::parse_served(&again);
                assert_eq!(
                    back.as_ref().ok(),
                    Some(&decl),
                    "a declaration changed on a round trip"
                );
            }
        }
    }
}

/// A To-App mapping expression (feature files are written by people): parsed, and evaluated
/// for a user; the placement of its value at an external name made from the same bytes.
pub fn okta_expression(data: &[u8]) {
    use crate::okta::appschema::{Expr, ExternalName};
    let s = text(data);
    let mut user = crate::okta::ids::OktaIds::new(1).user();
    user.profile.insert("department".into(), json!("R&D"));
    user.profile.insert("level".into(), json!(3));
    if let Ok(e) = Expr::parse(&s) {
        let _ = e.eval(&user);
    }
    let name = ExternalName::parse(&s);
    let mut body = sample_user();
    name.set(&mut body, json!("x"));
    name.remove(&mut body);
}

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

fn sample_user() -> Map<String, Value> {
    let v = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
        "userName": "ada@example.com",
        "externalId": "00u1",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [
            {"value": "ada@example.com", "type": "work", "primary": true},
            {"value": "ada@home.example", "type": "home"}
        ],
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
    });
    v.as_object().cloned().unwrap_or_default()
}

fn sample_group() -> Map<String, Value> {
    let v = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
        "displayName": "Engineering",
        "members": [{"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "ada@example.com"}]
    });
    v.as_object().cloned().unwrap_or_default()
}

/// The filter parser (a query's `filter`, and a PATCH path's value filter) and its evaluation,
/// for users and groups; the query decoder; `attributes` projections.
pub fn scim_filter(data: &[u8]) {
    let s = text(data);
    for (kind, sample) in [
        (ResourceKind::User, sample_user()),
        (ResourceKind::Group, sample_group()),
    ] {
        if let Ok(f) = CompiledFilter::parse(kind, &s) {
            let _ = f.matches(&sample);
            let _ = f.index_plan(&["userName", "externalId", "id", "displayName"]);
            if let Some(emails) = sample.get("emails").and_then(Value::as_array) {
                for e in emails {
                    let _ = element_matches(&f.expr, e);
                }
            }
        }
        let _ = Projection::parse(kind, Some(&s), None);
        let _ = Projection::parse(kind, None, Some(&s));
    }
    let _ = decode_query(&s);
}

/// PATCH: the body parsed as a PatchOp, applied to a user and to a group; what applies goes
/// through the ingest that every stored body passes.
pub fn scim_patch(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(ops) = parse_patch(&body) else {
        return;
    };
    for (kind, doc) in [
        (ResourceKind::User, sample_user()),
        (ResourceKind::Group, sample_group()),
    ] {
        if let Ok(patched) = apply_patch(kind, &doc, &ops) {
            let _ = ingest(kind, &Value::Object(patched));
        }
    }
}

/// The SCIM JSON decoders: a POST or PUT body ingested as a user and as a group.
pub fn scim_json(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for kind in [ResourceKind::User, ResourceKind::Group] {
        if let Ok(stored) = ingest(kind, &body) {
            // What the ingest accepted, it accepts again (a stored body can be PUT back).
            assert!(
                ingest(kind, &Value::Object(stored)).is_ok(),
                "an ingested body is refused on its second ingest"
            );
        }
    }
}

/// The SAML XML parser and exclusive C14N: what parses serializes to XML that parses back to
/// the same serialization; the canonical form of the document and of its first elements is
/// well-formed and canonicalizes to itself.
pub fn saml_xml(data: &[u8]) {
    let s = text(data);
    let Ok(doc) = parse(&s) else {
        return;
    };
    let out = doc.to_xml();
    let again = parse(&out).unwrap_or_else(|e| panic!("our own XML does not parse: {e}\n{out}"));
    assert_eq!(again.to_xml(), out, "serialization is not stable");
    let mut paths = vec![Vec::new()];
    paths.extend((0..doc.elements().count().min(8)).map(|i| vec![i]));
    for path in paths {
        let Some(canon) = exc_c14n(&doc, &path, None, &[]) else {
            continue;
        };
        let reparsed =
            parse(&canon).unwrap_or_else(|e| panic!("canonical XML does not parse: {e}\n{canon}"));
        let twice = exc_c14n(&reparsed, &[], None, &[]).expect("the root canonicalizes");
        assert_eq!(twice, canon, "canonicalization is not idempotent");
    }
}

fn sp() -> &'static SpState {
    static SP: OnceLock<SpState> = OnceLock::new();
    SP.get_or_init(|| {
        let key = SigningKey::test_fixture();
        SpState::new(
            SpConfig::trusting_okta_sim(&key),
            "http://sp.fuzz.invalid",
            Arc::new(Store::new(AppProfile::reference())),
            "/scim/v2",
        )
        .expect("the fixture certificate is valid")
    })
}

/// The SP's whole ACS validation of a posted SAMLResponse (the bytes are the decoded XML), and
/// of the bytes as the base64 field itself.
pub fn saml_response(data: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let _ = sp().validate(&b64);
    let _ = sp().validate(&text(data));
}

/// The HTTP-Redirect binding's inflater (the bytes as raw DEFLATE, and as the query value
/// itself) and the AuthnRequest parser behind it.
pub fn redirect_inflate(data: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    for (input, deflated) in [
        (b64.as_str(), true),
        (&*text(data), true),
        (b64.as_str(), false),
    ] {
        if let Ok(xml) = decode_authn_request(input, deflated) {
            assert!(xml.len() <= MAX_REQUEST_BYTES, "inflated past the bound");
            let _ = parse_authn_request(&xml);
        }
    }
}
