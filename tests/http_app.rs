//! The reference app over HTTP: every status the SCIM API answers, and that bad input changes
//! nothing.

mod common;

use common::{Client, patch_ops, user};
use okta_sim::ReferenceApp;
use okta_sim::app::{AppProfile, Store};
use okta_sim::scim::schema::ResourceKind;
use serde_json::{Value, json};

async fn app() -> (ReferenceApp, Client) {
    let app = ReferenceApp::start().await.unwrap();
    let c = Client::new(app.base_url(), app.token());
    (app, c)
}

fn fingerprint(store: &Store) -> String {
    let users: Vec<_> = store
        .snapshot(ResourceKind::User)
        .into_iter()
        .map(|r| (r.id, r.version, r.body))
        .collect();
    let groups: Vec<_> = store
        .snapshot(ResourceKind::Group)
        .into_iter()
        .map(|r| (r.id, r.version, r.body))
        .collect();
    format!("{users:?}{groups:?}")
}

fn assert_scim_error(a: &common::Answer, status: u16, scim_type: Option<&str>) {
    assert_eq!(a.status, status, "{}", a.text);
    let body = a.json();
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{}",
        a.text
    );
    assert_eq!(
        body["status"],
        status.to_string(),
        "status must be a string: {}",
        a.text
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{}",
        a.text
    );
    match scim_type {
        Some(t) => assert_eq!(body["scimType"], t, "{}", a.text),
        None => assert!(body.get("scimType").is_none(), "{}", a.text),
    }
    assert!(
        a.header("content-type")
            .unwrap()
            .starts_with("application/scim+json")
    );
}

#[tokio::test]
async fn post_user_answers_201_with_location_etag_and_the_full_user() {
    let (app, c) = app().await;
    let a = c.post("/Users", &user("test.user@okta.local")).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let u = a.json();
    let id = u["id"].as_str().unwrap();
    assert!(!id.is_empty());
    assert_eq!(
        a.header("location").unwrap(),
        format!("{}/Users/{id}", app.base_url())
    );
    assert_eq!(
        a.header("etag").unwrap(),
        u["meta"]["version"].as_str().unwrap()
    );
    assert_eq!(u["userName"], "test.user@okta.local");
    assert_eq!(u["name"]["givenName"], "Test");
    assert_eq!(u["emails"][0]["value"], "test.user@okta.local");
    assert_eq!(u["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(u["active"], true);
    assert_eq!(u["groups"], json!([]));
    assert!(u.get("password").is_none(), "password is never returned");
    assert_eq!(u["meta"]["resourceType"], "User");
    assert_eq!(
        u["meta"]["location"],
        a.header("location").unwrap().as_str()
    );
    assert!(u["meta"]["created"].as_str().unwrap().ends_with('Z'));
    let g = c.get(&format!("/Users/{id}")).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.json(), u);
}

#[tokio::test]
async fn duplicate_user_name_is_409_uniqueness_whatever_the_case() {
    let (app, c) = app().await;
    assert_eq!(c.post("/Users", &user("dup@example.com")).await.status, 201);
    let before = fingerprint(app.store());
    let a = c.post("/Users", &user("DUP@Example.COM")).await;
    assert_scim_error(&a, 409, Some("uniqueness"));
    assert_eq!(before, fingerprint(app.store()));
    // Renaming another user onto it is refused too.
    let other = c.post("/Users", &user("other@example.com")).await.json();
    let a = c
        .put(
            &format!("/Users/{}", other["id"].as_str().unwrap()),
            &user("dup@EXAMPLE.com"),
        )
        .await;
    assert_scim_error(&a, 409, Some("uniqueness"));
}

#[tokio::test]
async fn unknown_ids_and_endpoints_are_404_with_scim_bodies() {
    let (_app, c) = app().await;
    assert_scim_error(
        &c.get("/Users/010101001010101011001010101011").await,
        404,
        None,
    );
    assert_scim_error(&c.get("/Groups/00919288221112222").await, 404, None);
    assert_scim_error(
        &c.patch(
            "/Users/nope",
            &patch_ops(json!([{"op":"replace","value":{"active":false}}])),
        )
        .await,
        404,
        None,
    );
    assert_scim_error(&c.delete("/Groups/nope").await, 404, None);
    assert_scim_error(&c.get("/Bulk").await, 404, None);
    assert_scim_error(&c.get("/Schemas/urn:nope").await, 404, None);
    assert_scim_error(
        &c.send("POST", "/ServiceProviderConfig", Some("{}"), &[])
            .await,
        405,
        None,
    );
}

#[tokio::test]
async fn wrong_or_missing_token_is_401_with_scim_body_and_www_authenticate() {
    let (app, c) = app().await;
    let mut wrong = Client::new(app.base_url(), "not-the-token");
    for a in [wrong.get("/Users").await, {
        wrong.auth = "non-token".into();
        wrong.get("/Users?filter=userName%20eq%20%22X%22").await
    }] {
        assert_scim_error(&a, 401, None);
        assert!(a.header("www-authenticate").unwrap().starts_with("Bearer"));
    }
    let none = reqwest::get(format!("{}/Users", app.base_url()))
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    // The bare token works too (Okta's Header Auth template sends the field verbatim).
    let mut bare = Client::new(app.base_url(), "");
    bare.auth = app.token().to_string();
    assert_eq!(bare.get("/Users").await.status, 200);
    // Nothing was created by the refused request.
    let a = wrong.post("/Users", &user("x@example.com")).await;
    assert_eq!(a.status, 401);
    assert_eq!(c.get("/Users").await.json()["totalResults"], 0);
}

#[tokio::test]
async fn malformed_requests_are_400_and_change_nothing() {
    let (app, c) = app().await;
    let u = c.post("/Users", &user("keep@example.com")).await.json();
    let id = u["id"].as_str().unwrap().to_string();
    let g = c.post("/Groups", &json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value": id}]})).await;
    assert_eq!(g.status, 201, "{}", g.text);
    let gid = g.json()["id"].as_str().unwrap().to_string();
    let before = fingerprint(app.store());
    let user_path = format!("/Users/{id}");
    let group_path = format!("/Groups/{gid}");
    type Case<'a> = (&'a str, String, Option<String>, u16, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("POST", "/Users".into(), Some("{not json".into()), 400, Some("invalidSyntax")),
        ("POST", "/Users".into(), Some("".into()), 400, Some("invalidSyntax")),
        ("POST", "/Users".into(), Some("[1,2]".into()), 400, Some("invalidSyntax")),
        ("POST", "/Users".into(), Some(r#"{"userName": 7}"#.into()), 400, Some("invalidValue")),
        ("POST", "/Users".into(), Some(r#"{"name": {"givenName": "no userName"}}"#.into()), 400, Some("invalidValue")),
        ("POST", "/Users".into(), Some(r#"{"userName": "a@b.c", "active": "sometimes"}"#.into()), 400, Some("invalidValue")),
        ("POST", "/Groups".into(), Some(r#"{"displayName": "H", "members": [{"value": "ghost"}]}"#.into()), 400, Some("invalidValue")),
        ("POST", "/Groups".into(), Some(r#"{"members": []}"#.into()), 400, Some("invalidValue")),
        ("PUT", user_path.clone(), Some(r#"{"userName": ["a"]}"#.into()), 400, Some("invalidValue")),
        ("PUT", user_path.clone(), Some("{\"userName\":".into()), 400, Some("invalidSyntax")),
        ("PATCH", user_path.clone(), Some(r#"{"Operations":[{"op":"replace","path":"nosuch","value":1}]}"#.into()), 400, Some("invalidPath")),
        ("PATCH", user_path.clone(), Some(r#"{"Operations":[{"op":"replace","path":"emails[","value":1}]}"#.into()), 400, Some("invalidPath")),
        ("PATCH", user_path.clone(), Some(r#"{"Operations":[{"op":"remove"}]}"#.into()), 400, Some("noTarget")),
        ("PATCH", user_path.clone(), Some(r#"{"Operations":[{"op":"replace","path":"id","value":"x"}]}"#.into()), 400, Some("mutability")),
        ("PATCH", user_path.clone(), Some(r#"{"Operations":[{"op":"replace","value":{"active":false}},{"op":"replace","path":"userName","value":5}]}"#.into()), 400, Some("invalidValue")),
        ("PATCH", user_path.clone(), Some(r#"{"Operations":[{"op":"remove","path":"userName"}]}"#.into()), 400, Some("invalidValue")),
        ("PATCH", user_path.clone(), Some(r#"{"Operations":[]}"#.into()), 400, Some("invalidSyntax")),
        ("PATCH", user_path.clone(), Some(r#"{"Operations":[{"op":"frobnicate"}]}"#.into()), 400, Some("invalidSyntax")),
        ("PATCH", group_path.clone(), Some(r#"{"Operations":[{"op":"add","path":"members","value":[{"value":"ghost"}]}]}"#.into()), 400, Some("invalidValue")),
        ("PATCH", group_path.clone(), Some(r#"{"Operations":[{"op":"add","path":"members","value":[{"display":"no value"}]}]}"#.into()), 400, Some("invalidValue")),
        ("GET", "/Users?filter=userName%20eq".into(), None, 400, Some("invalidFilter")),
        ("GET", "/Users?filter=nosuch%20eq%20%22x%22".into(), None, 400, Some("invalidFilter")),
        ("GET", "/Users?filter=%ZZ%00((((".into(), None, 400, Some("invalidFilter")),
        ("GET", "/Users?startIndex=abc".into(), None, 400, Some("invalidValue")),
        ("GET", "/Users?count=1e3".into(), None, 400, Some("invalidValue")),
        ("GET", "/Users?attributes=nosuch".into(), None, 400, Some("invalidValue")),
        ("GET", format!("/Users?filter={}", "(".repeat(5000)), None, 400, Some("invalidFilter")),
    ];
    for (method, path, body, status, scim_type) in cases {
        let a = c.send(method, &path, body.as_deref(), &[]).await;
        assert_scim_error(&a, status, scim_type);
    }
    assert_eq!(
        before,
        fingerprint(app.store()),
        "a refused request changed the store"
    );
}

#[tokio::test]
async fn oversized_bodies_are_413_and_unknown_content_types_415() {
    let (app, c) = app().await;
    let mut big = user("big@example.com");
    big["title"] = Value::String("x".repeat(1024 * 1024 + 10));
    let a = c.post("/Users", &big).await;
    assert_scim_error(&a, 413, None);
    let a = c
        .send(
            "POST",
            "/Users",
            Some(&user("t@example.com").to_string()),
            &[("Content-Type", "text/plain")],
        )
        .await;
    assert_scim_error(&a, 415, None);
    assert_eq!(app.store().count(ResourceKind::User), 0);
    // Both JSON media types, with or without a charset.
    for (i, ct) in [
        "application/json",
        "application/json; charset=utf-8",
        "application/scim+json",
        "Application/SCIM+JSON;charset=UTF-8",
    ]
    .iter()
    .enumerate()
    {
        let a = c
            .send(
                "POST",
                "/Users",
                Some(&user(&format!("ct{i}@example.com")).to_string()),
                &[("Content-Type", ct)],
            )
            .await;
        assert_eq!(a.status, 201, "{ct}: {}", a.text);
    }
}

#[tokio::test]
async fn deactivation_never_deletes_and_reactivation_keeps_the_id() {
    let (_app, c) = app().await;
    let id = c.post("/Users", &user("life@example.com")).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/Users/{id}");
    // okta-scim-wire §5.1 byte for byte.
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#;
    let a = c.send("PATCH", &path, Some(body), &[]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["active"], false);
    let g = c.get(&path).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.json()["active"], false);
    let a = c
        .patch(
            &path,
            &patch_ops(json!([{"op":"replace","value":{"active":true}}])),
        )
        .await;
    assert_eq!(a.json()["id"], id.as_str());
    assert_eq!(a.json()["active"], true);
    // The userName pre-check still finds the user after a deactivate/reactivate cycle.
    let f = c
        .get("/Users?filter=userName%20eq%20%22LIFE%40example.com%22&startIndex=1&count=100")
        .await
        .json();
    assert_eq!(f["totalResults"], 1);
    assert_eq!(f["Resources"][0]["id"], id.as_str());
}

#[tokio::test]
async fn patch_can_answer_204_as_a_profile_option() {
    let app = ReferenceApp::builder()
        .profile(AppProfile::patch_204())
        .start()
        .await
        .unwrap();
    let c = Client::new(app.base_url(), app.token());
    let id = c.post("/Users", &user("p204@example.com")).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = c
        .patch(
            &format!("/Users/{id}"),
            &patch_ops(json!([{"op":"replace","value":{"active":false}}])),
        )
        .await;
    assert_eq!(a.status, 204);
    assert!(a.text.is_empty());
    assert_eq!(c.get(&format!("/Users/{id}")).await.json()["active"], false);
}

#[tokio::test]
async fn immutable_attributes_of_a_profile_are_enforced() {
    let app = ReferenceApp::builder()
        .profile(AppProfile::atlan())
        .start()
        .await
        .unwrap();
    let c = Client::new(app.base_url(), app.token());
    let u = c.post("/Users", &user("imm@example.com")).await.json();
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    let a = c.put(&path, &user("renamed@example.com")).await;
    assert_scim_error(&a, 400, Some("mutability"));
    let a = c
        .patch(
            &path,
            &patch_ops(json!([{"op":"replace","path":"userName","value":"renamed@example.com"}])),
        )
        .await;
    assert_scim_error(&a, 400, Some("mutability"));
    let mut same = user("imm@example.com");
    same["name"]["givenName"] = json!("Changed");
    let a = c.put(&path, &same).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn put_is_a_full_replace_that_ignores_read_only_attributes() {
    let (_app, c) = app().await;
    let u = c.post("/Users", &user("put@example.com")).await.json();
    let id = u["id"].as_str().unwrap();
    let path = format!("/Users/{id}");
    // Okta echoes the GET body with its attributes overwritten (okta-scim-wire §4).
    let mut echoed = c.get(&path).await.json();
    echoed["name"] = json!({"givenName": "Another", "middleName": "Excited", "familyName": "User"});
    echoed["id"] = json!("client-tries-to-change-this");
    echoed["meta"]["created"] = json!("1999-01-01T00:00:00Z");
    echoed["groups"] = json!([{"value": "made-up"}]);
    echoed.as_object_mut().unwrap().remove("displayName");
    let a = c.put(&path, &echoed).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let out = a.json();
    assert_eq!(out["id"], id);
    assert_eq!(out["name"]["middleName"], "Excited");
    assert!(
        out.get("displayName").is_none(),
        "PUT replaces: what is left out is removed"
    );
    assert_eq!(out["meta"]["created"], u["meta"]["created"]);
    assert_eq!(out["groups"], json!([]));
    assert_ne!(out["meta"]["version"], u["meta"]["version"]);
}

#[tokio::test]
async fn etags_and_if_match() {
    let (app, c) = app().await;
    let a = c.post("/Users", &user("etag@example.com")).await;
    let etag = a.header("etag").unwrap();
    assert!(etag.starts_with("W/\""));
    let path = format!("/Users/{}", a.json()["id"].as_str().unwrap());
    let stale = "W/\"999999\"";
    let body = patch_ops(json!([{"op":"replace","value":{"active":false}}])).to_string();
    let before = fingerprint(app.store());
    let r = c
        .send("PATCH", &path, Some(&body), &[("If-Match", stale)])
        .await;
    assert_scim_error(&r, 412, None);
    assert_scim_error(
        &c.send("DELETE", &path, None, &[("If-Match", stale)]).await,
        412,
        None,
    );
    assert_eq!(before, fingerprint(app.store()));
    let r = c
        .send("PATCH", &path, Some(&body), &[("If-Match", &etag)])
        .await;
    assert_eq!(r.status, 200);
    let new_etag = r.header("etag").unwrap();
    assert_ne!(new_etag, etag);
    let r = c
        .send("GET", &path, None, &[("If-None-Match", &new_etag)])
        .await;
    assert_eq!(r.status, 304);
}

#[tokio::test]
async fn groups_reference_existing_users_never_duplicate_and_derive_user_groups() {
    let (_app, c) = app().await;
    let a = c.post("/Users", &user("a@example.com")).await.json();
    let b = c.post("/Users", &user("b@example.com")).await.json();
    let (aid, bid) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    // okta-scim-wire §6.1: Okta may POST with members already; then PATCH add the same again.
    let g = c.post("/Groups", &json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Droids",
        "members":[{"value": aid, "display":"a@example.com"},{"value": aid}]})).await;
    assert_eq!(g.status, 201, "{}", g.text);
    assert!(g.header("location").is_some());
    let gid = g.json()["id"].as_str().unwrap().to_string();
    assert_eq!(g.json()["members"].as_array().unwrap().len(), 1);
    let gpath = format!("/Groups/{gid}");
    let r = c.patch(&gpath, &patch_ops(json!([{"op":"add","path":"members","value":[{"value":aid,"display":"a@example.com"},{"value":bid,"display":"b@example.com"}]}]))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["members"].as_array().unwrap().len(), 2);
    // The user's groups are derived from membership and read-only.
    let ua = c.get(&format!("/Users/{aid}")).await.json();
    assert_eq!(
        ua["groups"],
        json!([{"value": gid, "$ref": format!("{}/Groups/{gid}", c.base), "display": "Droids", "type": "direct"}])
    );
    let f = c
        .get(&format!("/Users?filter=groups.value%20eq%20%22{gid}%22"))
        .await
        .json();
    assert_eq!(f["totalResults"], 2);
    // Okta's membership update: remove by filter, then add; rename with id in value.
    let r = c
        .patch(
            &gpath,
            &patch_ops(json!([
                {"op":"remove","path":format!("members[value eq \"{aid}\"]")},
                {"op":"replace","value":{"id": gid, "displayName":"Droids Renamed"}}
            ])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["members"],
        json!([{"value": bid, "display": "b@example.com"}])
    );
    assert_eq!(r.json()["displayName"], "Droids Renamed");
    assert_eq!(
        c.get(&format!("/Users/{aid}")).await.json()["groups"],
        json!([])
    );
    // Push Now on an empty group.
    let r = c
        .patch(
            &gpath,
            &patch_ops(json!([{"op":"replace","path":"members","value":[]}])),
        )
        .await;
    assert_eq!(r.json()["members"], json!([]));
    // Link Group lookup by displayName, case-insensitively, and a duplicate name is 409.
    let l = c
        .get("/Groups?filter=displayName%20eq%20%22droids%20renamed%22&startIndex=1&count=100")
        .await
        .json();
    assert_eq!(l["totalResults"], 1);
    let dup = c
        .post("/Groups", &json!({"displayName":"DROIDS RENAMED"}))
        .await;
    assert_scim_error(&dup, 409, Some("uniqueness"));
    // Deleting a user removes it from groups; deleting a group is 204 then 404.
    c.patch(
        &gpath,
        &patch_ops(json!([{"op":"add","path":"members","value":[{"value":aid}]}])),
    )
    .await;
    assert_eq!(c.delete(&format!("/Users/{aid}")).await.status, 204);
    assert_eq!(c.get(&gpath).await.json()["members"], json!([]));
    assert_eq!(c.delete(&gpath).await.status, 204);
    assert_eq!(c.get(&gpath).await.status, 404);
    assert_eq!(
        c.get(&format!("/Users/{bid}")).await.json()["groups"],
        json!([])
    );
}

#[tokio::test]
async fn paging_walk_of_250_users_is_stable_and_counts_integers() {
    let app = ReferenceApp::builder()
        .seed_users(250)
        .start()
        .await
        .unwrap();
    let c = Client::new(app.base_url(), app.token());
    let mut seen = Vec::new();
    for (start, want) in [(1, 100), (101, 100), (201, 50), (301, 0)] {
        let a = c.get(&format!("/Users?startIndex={start}&count=100")).await;
        assert_eq!(a.status, 200);
        let v = a.json();
        assert!(
            v["totalResults"].is_u64() && v["startIndex"].is_u64() && v["itemsPerPage"].is_u64(),
            "{v}"
        );
        assert_eq!(v["totalResults"], 250);
        assert_eq!(v["startIndex"], start);
        assert_eq!(v["itemsPerPage"], want);
        assert_eq!(v["Resources"].as_array().unwrap().len(), want);
        seen.extend(
            v["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 250);
    // The same order whatever the page size.
    let mut small = Vec::new();
    let mut start = 1;
    while start <= 250 {
        let v = c
            .get(&format!("/Users?startIndex={start}&count=7"))
            .await
            .json();
        small.extend(
            v["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
        start += 7;
    }
    assert_eq!(seen, small);
}

#[tokio::test]
async fn attributes_and_excluded_attributes() {
    let (_app, c) = app().await;
    let id = c.post("/Users", &user("proj@example.com")).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = c
        .get(&format!("/Users/{id}?attributes=userName,name.givenName"))
        .await
        .json();
    assert_eq!(
        v,
        json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":id,"userName":"proj@example.com","name":{"givenName":"Test"}})
    );
    let v = c
        .get("/Users?excludedAttributes=emails,meta,groups")
        .await
        .json();
    let r = &v["Resources"][0];
    assert!(r.get("emails").is_none() && r.get("meta").is_none() && r.get("groups").is_none());
    assert_eq!(r["userName"], "proj@example.com");
}

#[tokio::test]
async fn discovery_endpoints() {
    let (_app, c) = app().await;
    let spc = c.get("/ServiceProviderConfig").await.json();
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["supported"], true);
    assert_eq!(spc["etag"]["supported"], true);
    let rt = c.get("/ResourceTypes").await.json();
    // User, Group, and the reference app's Roles and Licenses (okta-attributes-entitlements-oauth §2).
    assert_eq!(rt["totalResults"], 4);
    assert_eq!(rt["Resources"][0]["endpoint"], "/Users");
    assert_eq!(
        rt["Resources"][0]["schemaExtensions"],
        json!([
            {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false},
            {"schema": "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User", "required": false}
        ])
    );
    assert_eq!(
        c.get("/ResourceTypes/Group").await.json()["schema"],
        "urn:ietf:params:scim:schemas:core:2.0:Group"
    );
    assert_eq!(
        c.get("/ResourceTypes/License").await.json()["schema"],
        "urn:okta:scim:schemas:core:1.0:Entitlement"
    );
    let s = c.get("/Schemas").await.json();
    // User, enterprise, the app's own extension, Group, Okta's Role and Entitlement.
    assert_eq!(s["totalResults"], 6);
    let ext = c
        .get("/Schemas/urn:ietf:params:scim:schemas:extension:oktasim:2.0:User")
        .await
        .json();
    let by_name = |n: &str| {
        ext["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_name("startDate")["mutability"], "immutable");
    assert_eq!(by_name("badgeId")["mutability"], "readOnly");
    assert_eq!(by_name("skills")["multiValued"], true);
    let u = c
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        .await
        .json();
    assert_eq!(u["attributes"][0]["name"], "userName");
}

#[tokio::test]
async fn custom_extension_attributes_are_typed_stored_filtered_and_guarded() {
    let (_app, c) = app().await;
    let ext = "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User";
    let mut body = user("ext@example.com");
    body[ext] = json!({"role": "admin", "isContractor": "True", "seniority": 4, "skills": ["a", "b"],
                       "startDate": "2024-01-01T00:00:00Z", "badgeId": "forged"});
    let created = c.post("/Users", &body).await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let u = created.json();
    let id = u["id"].as_str().unwrap().to_string();
    assert_eq!(
        u[ext]["isContractor"], true,
        "Entra-style string booleans are taken"
    );
    assert!(
        u[ext].get("badgeId").is_none(),
        "readOnly values a client sends are ignored"
    );
    // Wrong types are 400 invalidValue naming the attribute.
    let mut bad = user("bad@example.com");
    bad[ext] = json!({"seniority": "four"});
    let a = c.post("/Users", &bad).await;
    assert_scim_error(&a, 400, Some("invalidValue"));
    assert!(a.json()["detail"].as_str().unwrap().contains("seniority"));
    // Filters reach into the extension.
    let f = c
        .get(&format!(
            "/Users?filter={}",
            form_urlencoded::byte_serialize(format!("{ext}:role eq \"admin\"").as_bytes())
                .collect::<String>()
        ))
        .await
        .json();
    assert_eq!(f["totalResults"], 1);
    // An immutable extension attribute cannot change; PATCH with the URN as path and the whole
    // object as value (with its own schemas member) works for the others.
    let patch = c
        .patch(
            &format!("/Users/{id}"),
            &patch_ops(json!([{"op": "replace", "path": ext, "value": {"schemas": [ext], "role": "viewer"}}])),
        )
        .await;
    assert_eq!(patch.status, 200, "{:?}", patch.json());
    assert_eq!(patch.json()[ext]["role"], "viewer");
    assert_eq!(
        patch.json()[ext]["skills"],
        json!(["a", "b"]),
        "a replace of the object merges"
    );
    let change = c
        .patch(
            &format!("/Users/{id}"),
            &patch_ops(json!([{"op": "replace", "path": format!("{ext}:startDate"), "value": "2025-01-01T00:00:00Z"}])),
        )
        .await;
    assert_scim_error(&change, 400, Some("mutability"));
}

#[tokio::test]
async fn roles_and_entitlements_are_read_only_lists_that_page() {
    let (_app, c) = app().await;
    let p1 = c.get("/Licenses?startIndex=1&count=100").await.json();
    assert_eq!(p1["totalResults"], 120);
    assert_eq!(p1["itemsPerPage"], 100);
    let p2 = c.get("/Licenses?startIndex=101&count=100").await.json();
    assert_eq!(p2["itemsPerPage"], 20);
    assert_eq!(p2["Resources"][0]["id"], "lic-101");
    assert_eq!(p2["Resources"][0]["type"], "License");
    let one = c.get("/Roles/admin").await.json();
    assert_eq!(one["displayName"], "Administrator");
    assert_eq!(
        one["schemas"],
        json!(["urn:okta:scim:schemas:core:1.0:Role"])
    );
    let by_name = c
        .get("/Roles?filter=displayName%20eq%20%22Viewer%22")
        .await
        .json();
    assert_eq!(by_name["Resources"][0]["id"], "viewer");
    // Okta only reads them: writes are 405 with a SCIM body.
    assert_scim_error(
        &c.post("/Roles", &json!({"displayName": "x"})).await,
        405,
        None,
    );
    assert_scim_error(&c.get("/Roles/nosuch").await, 404, None);
}

#[tokio::test]
async fn search_with_post_on_the_root_and_on_each_endpoint() {
    let (_app, c) = app().await;
    for n in ["s1@example.com", "s2@example.com", "s3@example.com"] {
        assert_eq!(c.post("/Users", &user(n)).await.status, 201);
    }
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName sw \"s\"", "startIndex": 2, "count": 1, "attributes": ["userName"]});
    let r = c.post("/Users/.search", &body).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let v = r.json();
    assert_eq!(v["totalResults"], 3);
    assert_eq!(v["itemsPerPage"], 1);
    assert_eq!(v["Resources"][0]["userName"], "s2@example.com");
    assert!(v["Resources"][0].get("emails").is_none());
    // The root searches every resource type: users, groups, roles, licenses.
    let all = c.post("/.search", &json!({"count": 0})).await.json();
    assert_eq!(
        all["totalResults"],
        3 + 3 + 120,
        "3 users, no group, 3 roles, 120 licenses"
    );
    let page = c
        .post("/.search", &json!({"startIndex": 3, "count": 2}))
        .await
        .json();
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(page["Resources"][0]["userName"], "s3@example.com");
    assert_eq!(
        page["Resources"][1]["id"], "admin",
        "after the users come the roles"
    );
    let roles = c
        .post("/Roles/.search", &json!({"filter": "id eq \"member\""}))
        .await
        .json();
    assert_eq!(roles["totalResults"], 1);
    // Bad search bodies are 400 with a SCIM error.
    assert_scim_error(
        &c.post("/Users/.search", &json!({"count": "ten"})).await,
        400,
        Some("invalidValue"),
    );
    assert_scim_error(
        &c.post("/Users/.search", &json!({"filter": "userName xx 1"}))
            .await,
        400,
        Some("invalidFilter"),
    );
    assert_scim_error(
        &c.post("/Users/.search", &json!([1])).await,
        400,
        Some("invalidSyntax"),
    );
}

#[tokio::test]
async fn case_sensitive_group_names_are_exact_in_filters_uniqueness_and_schemas() {
    let app = ReferenceApp::builder()
        .profile(AppProfile {
            group_names_case_sensitive: true,
            ..AppProfile::reference()
        })
        .token("t")
        .start()
        .await
        .unwrap();
    let c = Client::new(app.base_url(), "t");
    let group = |n: &str| json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": n});
    assert_eq!(c.post("/Groups", &group("Sales Team")).await.status, 201);
    // Another case is another group; the same name is still a conflict.
    assert_eq!(c.post("/Groups", &group("sales team")).await.status, 201);
    assert_scim_error(
        &c.post("/Groups", &group("Sales Team")).await,
        409,
        Some("uniqueness"),
    );
    let by = |n: &str| {
        format!(
            "/Groups?filter=displayName%20eq%20%22{}%22",
            n.replace(' ', "%20")
        )
    };
    let exact = c.get(&by("Sales Team")).await.json();
    assert_eq!(exact["totalResults"], 1);
    assert_eq!(exact["Resources"][0]["displayName"], "Sales Team");
    assert_eq!(c.get(&by("SALES TEAM")).await.json()["totalResults"], 0);
    let schema = c
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
        .await
        .json();
    assert_eq!(schema["attributes"][0]["name"], "displayName");
    assert_eq!(schema["attributes"][0]["caseExact"], true);
    // The default app compares without case, as RFC 7643 declares.
    let (_plain, p) = app_default().await;
    assert_eq!(p.post("/Groups", &group("Sales Team")).await.status, 201);
    assert_eq!(p.get(&by("SALES TEAM")).await.json()["totalResults"], 1);
}

async fn app_default() -> (ReferenceApp, Client) {
    app().await
}

#[tokio::test]
async fn base_path_can_be_the_root() {
    let app = ReferenceApp::builder()
        .base_path("/")
        .token("t")
        .start()
        .await
        .unwrap();
    assert!(!app.base_url().ends_with('/'));
    let c = Client::new(app.base_url(), "t");
    assert_eq!(c.get("/Users").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_nothing_and_keep_user_names_unique() {
    let (app, c) = app().await;
    let c = std::sync::Arc::new(c);
    // 64 tasks race to create the same userName (in different cases): exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..64 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let name = if i % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.com"
            };
            c.post("/Users", &user(name)).await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        63,
        "{statuses:?}"
    );
    // 100 users created concurrently, then added to one group by 100 concurrent PATCHes.
    let mut tasks = Vec::new();
    for i in 0..100 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.post("/Users", &user(&format!("member{i}@example.com")))
                .await
                .json()["id"]
                .as_str()
                .unwrap()
                .to_string()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    let gid = c
        .post("/Groups", &json!({"displayName":"Everyone","members":[]}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut tasks = Vec::new();
    for id in ids.clone() {
        let c = c.clone();
        let gid = gid.clone();
        tasks.push(tokio::spawn(async move {
            c.patch(
                &format!("/Groups/{gid}"),
                &patch_ops(json!([{"op":"add","path":"members","value":[{"value":id}]}])),
            )
            .await
            .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let g = c.get(&format!("/Groups/{gid}")).await.json();
    assert_eq!(g["members"].as_array().unwrap().len(), 100);
    assert_eq!(app.store().count(ResourceKind::User), 101);
}
