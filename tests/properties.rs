//! Property tests: no filter string and no PATCH or resource body makes the SCIM domain panic,
//! every refusal is a 4xx SCIM error, and a refused PATCH leaves the store as it was.

use okta_sim::app::{AppProfile, Store};
use okta_sim::scim::filter::CompiledFilter;
use okta_sim::scim::patch::{apply_patch, parse_patch};
use okta_sim::scim::resource::ingest;
use okta_sim::scim::schema::ResourceKind;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const FILTER_TOKENS: &[&str] = &[
    "userName",
    "USERNAME",
    "name.givenName",
    "name",
    "emails",
    "emails.value",
    "emails[",
    "members[",
    "]",
    "(",
    ")",
    "[",
    ".",
    "eq",
    "ne",
    "co",
    "sw",
    "ew",
    "pr",
    "gt",
    "ge",
    "lt",
    "le",
    "and",
    "or",
    "not",
    "not(",
    "\"x\"",
    "\"a@b.c\"",
    "\"\\\"\"",
    "\"\\u0000\"",
    "\"",
    "true",
    "false",
    "null",
    "1.5",
    "-0",
    "1e999",
    "type",
    "value",
    "primary",
    "meta.lastModified",
    "\"2011-05-13T04:42:34Z\"",
    "active",
    "externalId",
    "id",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:x:y",
    "groups.value",
    "displayName",
    "%20",
    "+",
    "\u{1F600}",
    "\t",
];

fn filter_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(FILTER_TOKENS), 0..14).prop_map(|t| t.join(" ")),
        prop::collection::vec(prop::sample::select(FILTER_TOKENS), 0..14).prop_map(|t| t.join("")),
        ".{0,64}",
    ]
}

const KEYS: &[&str] = &[
    "schemas",
    "Operations",
    "op",
    "path",
    "value",
    "userName",
    "active",
    "name",
    "givenName",
    "emails",
    "type",
    "members",
    "displayName",
    "id",
    "meta",
    "groups",
    "externalId",
    "primary",
    "display",
    "password",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "department",
    "manager",
    "name.familyName",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "add",
            "Remove",
            "replace",
            "x",
            "True",
            "False",
            "a@b.c",
            "members[value eq \"u1\"]",
            "emails[type eq \"work\"].value",
            "name.givenName",
            "userName",
            "urn:ietf:params:scim:api:messages:2.0:PatchOp",
            "members",
            "nosuch",
            "emails[",
            "u1"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn patch_body() -> impl Strategy<Value = Value> {
    let op = (
        prop::sample::select(vec!["add", "remove", "replace", "Add", "REPLACE", "bogus"]),
        prop::option::of(prop_oneof![
            prop::sample::select(vec![
                "active",
                "userName",
                "members",
                "members[value eq \"u1\"]",
                "name.givenName",
                "emails[type eq \"work\"].value",
                "emails[type eq \"work\" or value pr]",
                "displayName",
                "groups",
                "id",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "emails[",
                "nosuch"
            ])
            .prop_map(String::from),
            filter_text(),
        ]),
        prop::option::of(json_value()),
    )
        .prop_map(|(op, path, value)| {
            let mut o = Map::new();
            o.insert("op".into(), json!(op));
            if let Some(p) = path {
                o.insert("path".into(), json!(p));
            }
            if let Some(v) = value {
                o.insert("value".into(), v);
            }
            Value::Object(o)
        });
    prop_oneof![
        prop::collection::vec(op, 0..5).prop_map(|ops| json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":ops})),
        json_value(),
    ]
}

fn base_user() -> Value {
    json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u@example.com","name":{"givenName":"U"},
           "emails":[{"value":"u@example.com","type":"work","primary":true}],"active":true})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn filters_parse_or_fail_with_invalid_filter(text in filter_text()) {
        for kind in [ResourceKind::User, ResourceKind::Group] {
            match CompiledFilter::parse(kind, &text) {
                Ok(f) => {
                    let doc = base_user();
                    let _ = f.matches(doc.as_object().unwrap());
                    let _ = f.index_plan(&["userName", "id"]);
                }
                Err(e) => {
                    prop_assert_eq!(e.status, 400);
                    prop_assert_eq!(e.scim_type, Some(okta_sim::scim::ScimType::InvalidFilter));
                }
            }
        }
    }

    #[test]
    fn patch_bodies_apply_or_fail_with_a_4xx(body in patch_body()) {
        for (kind, doc) in [(ResourceKind::User, base_user()),
                            (ResourceKind::Group, json!({"displayName":"G","members":[{"value":"u1"}]}))] {
            let doc = ingest(kind, &doc).unwrap();
            match parse_patch(&body).and_then(|ops| apply_patch(kind, &doc, &ops)) {
                Ok(out) => {
                    if let Err(e) = ingest(kind, &Value::Object(out)) {
                        prop_assert_eq!(e.status, 400);
                    }
                }
                Err(e) => prop_assert!((400..500).contains(&e.status), "{e}"),
            }
        }
    }

    #[test]
    fn resource_bodies_ingest_or_fail_with_400(body in json_value()) {
        for kind in [ResourceKind::User, ResourceKind::Group] {
            if let Err(e) = ingest(kind, &body) {
                prop_assert_eq!(e.status, 400);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_refused_patch_leaves_the_store_unchanged(body in patch_body()) {
        let store = Store::new(AppProfile::default());
        let base = "http://x/scim/v2";
        let u = store.create(ResourceKind::User, &base_user(), base).unwrap();
        let before = store.snapshot(ResourceKind::User);
        if let Ok(ops) = parse_patch(&body)
            && store.patch(ResourceKind::User, &u.id, &ops, None, base).is_err() {
                let after = store.snapshot(ResourceKind::User);
                prop_assert_eq!(before.len(), after.len());
                prop_assert_eq!(&before[0].body, &after[0].body);
                prop_assert_eq!(before[0].version, after[0].version);
            }
    }
}
