//! Integration profiles as a user meets them: the built-in ones, quotes held to the guides they
//! come from, `okta-sim profiles`, `--profile FILE.toml` for `serve` and `check`, and a guide's
//! promise colliding with Okta reported as a known collision that quotes both.

mod common;

use okta_sim::integration::{BUILT_IN, IntegrationProfile};

use common::okta_sim;

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_quote_is_in_the_guide_it_names() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/seeds");
    for (name, text) in BUILT_IN {
        let p = IntegrationProfile::parse(text, name).unwrap();
        let Some(guide) = &p.guide else {
            assert!(p.sources.is_empty(), "{name} quotes no guide");
            continue;
        };
        let file = std::fs::read_dir(&seeds)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{guide}_"))
            })
            .unwrap_or_else(|| panic!("{name}: no guide {guide} in docs/seeds"));
        let guide_text = words(&std::fs::read_to_string(file.path()).unwrap());
        assert!(
            !p.sources.is_empty(),
            "{name} names guide {guide} but quotes nothing"
        );
        for (setting, quote) in p.sources.iter().chain(&p.promises) {
            assert!(
                guide_text.contains(&words(quote)),
                "{name}: the quote for {setting} is not in guide {guide}: {quote:?}"
            );
        }
        for (id, c) in &p.collisions {
            assert!(
                p.quote(&c.promise).is_some(),
                "{name}: collision {id} names promise {} without quoting the guide",
                c.promise
            );
        }
    }
}

#[test]
fn profiles_lists_every_built_in_one() {
    let out = okta_sim(&["profiles"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for (name, _) in BUILT_IN {
        assert!(text.lines().any(|l| l.starts_with(name)), "{text}");
    }
    assert!(text.contains("Atlan (guide 002)"), "{text}");
}

#[test]
fn a_guide_promise_that_collides_with_okta_is_a_known_collision_quoting_both() {
    let out = okta_sim(&[
        "check",
        "--profile",
        "atlan",
        "--seed",
        "4",
        "--tags",
        "@assign or @rename",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("/api/service/scim as an AIW app"), "{text}");
    assert!(
        text.contains("KNOWN [okta-required] users.link.put.status-200"),
        "{text}"
    );
    assert!(
        text.contains("The username and email address of new and existing users cannot be changed once users have been provisioned to Atlan."),
        "{text}"
    );
    assert!(
        text.contains("A customer sees: the assignment fails in Okta"),
        "{text}"
    );
    // The same generic suite against the reference profile has no such collision.
    let plain = okta_sim(&["check", "--seed", "4", "--tags", "@assign"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("KNOWN"));
}

#[test]
fn a_profile_file_of_ones_own_drives_serve_and_check() {
    let dir = std::env::temp_dir().join(format!("okta-sim-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("acme.toml");
    std::fs::write(
        &file,
        r#"name = "acme"
vendor = "Acme"
summary = "Acme's app: SCIM under /acme/scim, no password sync"

[scim]
base_path = "/acme/scim"

[features]
password_sync = false

[[okta.attributes]]
variable = "department"
external_name = "department"
namespace = "enterprise"
mapping = "user.department"
"#,
    )
    .unwrap();
    let path = file.to_string_lossy().to_string();
    // serve takes it: the SCIM base path is the profile's.
    let running = common::spawn_okta_sim(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token",
            "tok12345678",
            "--profile",
            &path,
        ],
        &[],
    );
    let base = running.field("SCIM base URL");
    assert!(base.ends_with("/acme/scim"), "{:?}", running.banner);
    // check takes it: password sync is left off, the rest passes against that server.
    let out = okta_sim(&[
        "check",
        "--target",
        &base,
        "--token",
        "tok12345678",
        "--profile",
        &path,
        "--seed",
        "5",
        "--tags",
        "@lifecycle",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("[@password: the integration does not sync passwords]"),
        "{text}"
    );
    drop(running);
    // A mistake in the file is a usage error naming the file and the line.
    std::fs::write(
        &file,
        "name = \"acme\"\nvendor = \"Acme\"\nsummary = \"s\"\n[scim]\nbase_pth = \"/x\"\n",
    )
    .unwrap();
    let out = okta_sim(&["check", "--profile", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("acme.toml") && err.contains("base_pth") && err.contains("line 5"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_atlan_flows_pass_in_its_profile_and_name_the_broken_promise_elsewhere() {
    // In its own profile (the embedded app started as Atlan), every flow of the guide passes.
    let out = okta_sim(&[
        "check",
        "--profile",
        "atlan",
        "--seed",
        "6",
        "--tags",
        "@vendor",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("6 passed, 0 failed"), "{text}");
    // Against a second process serving the reference app at Atlan's base path, the guide's
    // promise that usernames cannot change is broken, and the failure quotes it.
    let running = common::spawn_okta_sim(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token",
            "tok12345678",
            "--base-path",
            "/api/service/scim",
        ],
        &[],
    );
    let base = running.field("SCIM base URL");
    let out = okta_sim(&[
        "check",
        "--profile",
        "atlan",
        "--target",
        &base,
        "--token",
        "tok12345678",
        "--seed",
        "6",
        "--tags",
        "@vendor",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL [okta-required] vendor.promise.kept"),
        "{text}"
    );
    assert!(
        text.contains("Atlan's guide 002: \"The username and email address of new and existing users cannot be changed once users have been provisioned to Atlan.\"; Okta pushed a new username (and so a new email) and the app answered 200, not 400 mutability"),
        "{text}"
    );
    assert!(text.contains("5 passed, 1 failed"), "{text}");
}

#[test]
fn natoma_signs_in_with_the_guides_two_statements_and_its_flows_pass() {
    let dir = std::env::temp_dir().join(format!("okta-sim-natoma-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let transcript = dir.join("t.json");
    let out = okta_sim(&[
        "check",
        "--profile",
        "natoma",
        "--seed",
        "8",
        "--tags",
        "@vendor",
        "--transcript",
        &transcript.to_string_lossy(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("8 passed, 0 failed"), "{text}");
    // The responses Okta posted carry exactly the guide's statements: email and name.
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&transcript).unwrap()).unwrap();
    let mut seen = 0;
    for e in t.as_array().unwrap() {
        let body = e["request"]["body"].as_str().unwrap_or_default();
        let Some(b64) = body.strip_prefix("SAMLResponse=") else {
            continue;
        };
        let b64 = b64.split('&').next().unwrap();
        let b64: String = form_urlencoded::parse(format!("x={b64}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        use base64::Engine;
        let xml = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap();
        assert!(
            xml.contains("Name=\"email\"") && xml.contains("Name=\"name\""),
            "{xml}"
        );
        assert!(
            !xml.contains("Name=\"firstName\"") && !xml.contains("Name=\"groups\""),
            "{xml}"
        );
        seen += 1;
    }
    assert!(seen >= 2, "no SAMLResponse in the transcript");
    std::fs::remove_dir_all(&dir).ok();
}

/// The vendor feature of `name` passes against the embedded app in its profile and against a
/// second `okta-sim serve --profile NAME` process; against a second process serving the
/// reference app it fails, and the failure quotes each guide sentence in `broken`.
fn vendor_runs(name: &str, scenarios: usize, broken: &[&str]) {
    let seed = "12";
    let out = okta_sim(&[
        "check",
        "--profile",
        name,
        "--seed",
        seed,
        "--tags",
        "@vendor",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{name} embedded:\n{text}");
    assert!(
        text.contains(&format!("{scenarios} passed, 0 failed, 0 skipped")),
        "{name} embedded:\n{text}"
    );
    let own = common::spawn_okta_sim(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token",
            "tok12345678",
            "--profile",
            name,
        ],
        &[],
    );
    let base = own.field("SCIM base URL");
    let out = okta_sim(&[
        "check",
        "--profile",
        name,
        "--target",
        &base,
        "--token",
        "tok12345678",
        "--seed",
        seed,
        "--tags",
        "@vendor",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{name} --target own:\n{text}");
    drop(own);
    let profile = IntegrationProfile::load(name).unwrap();
    let other = common::spawn_okta_sim(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token",
            "tok12345678",
            "--base-path",
            &profile.scim.base_path,
        ],
        &[],
    );
    let base = other.field("SCIM base URL");
    let out = okta_sim(&[
        "check",
        "--profile",
        name,
        "--target",
        &base,
        "--token",
        "tok12345678",
        "--seed",
        seed,
        "--tags",
        "@vendor",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{name} --target reference:\n{text}"
    );
    for quote in broken {
        assert!(
            text.contains(&format!(
                "{}'s guide {}: \"{quote}\"",
                profile.vendor,
                profile.guide.as_deref().unwrap_or_default()
            )),
            "{name} --target reference does not quote {quote:?}:\n{text}"
        );
    }
}

#[test]
fn atomation_flows_pass_in_its_profile_and_name_the_broken_promises_elsewhere() {
    vendor_runs(
        "atomation",
        8,
        &[
            "click Refresh App Groups to import Atomation's published role-groups ( Admin,Viewer, …) so they appear as link targets.",
        ],
    );
}

#[test]
fn natoma_flows_pass_in_its_profile_and_name_the_broken_promises_elsewhere() {
    vendor_runs(
        "natoma",
        8,
        &["Click Test SAML. Once the test passes, click Update."],
    );
}

#[test]
fn atlan_flows_pass_against_a_second_process_in_its_profile() {
    vendor_runs(
        "atlan",
        6,
        &[
            "The username and email address of new and existing users cannot be changed once users have been provisioned to Atlan.",
        ],
    );
}

#[test]
fn workato_flows_pass_in_its_profile_and_name_the_broken_promises_elsewhere() {
    vendor_runs(
        "workato",
        6,
        &[
            "Users provisioned through SCIM exist in Workato immediately, but they don’t receive roles or collaborator group memberships until they log in through SAML.",
            "The user may be re-provisioned from Okta at a later time, and would retain their earlier privileges.",
        ],
    );
}

#[test]
fn workato_suspension_is_reported_as_the_known_collision_it_is() {
    // Okta sends nothing when it suspends a user: the app cannot deprovision, and the run says
    // so, quoting the guide and Okta, without failing.
    let out = okta_sim(&[
        "check",
        "--profile",
        "workato",
        "--seed",
        "3",
        "--tags",
        "@workato",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("KNOWN [okta-required] vendor.deprovisioned"),
        "{text}"
    );
    assert!(
        text.contains("the app shows ws with active true") && text.contains("quirk 21"),
        "{text}"
    );
}

#[test]
fn attio_flows_pass_in_its_profile_and_name_the_broken_promises_elsewhere() {
    vendor_runs(
        "attio",
        9,
        &[
            "Click Authenticate with Attio. You will be redirected to log in to Attio.",
            "The group name in Okta needs to match exactly the team name in Attio (case-sensitive).",
            "Okta does not support removing a user from a group via SCIM. To remove a user from a team in Attio, do so directly in Attio.",
        ],
    );
}

#[test]
fn attio_oauth_tokens_are_refreshed_and_never_written() {
    let dir = std::env::temp_dir().join(format!("okta-sim-attio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let transcript = dir.join("t.json");
    let out = okta_sim(&[
        "check",
        "--profile",
        "attio",
        "--seed",
        "3",
        "--tags",
        "@oauth",
        "--transcript",
        &transcript.to_string_lossy(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let t = std::fs::read_to_string(&transcript).unwrap();
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    let labels: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["label"].as_str())
        .collect();
    for l in ["OAuth authorize", "OAuth token", "OAuth refresh"] {
        assert!(labels.contains(&l), "no {l} exchange: {labels:?}");
    }
    // The callback is Okta's, the code flow's state comes back, and no token or secret is
    // written anywhere.
    assert!(t.contains("system-admin.okta.com%2Fadmin%2Fapp%2Fcpc%2Fattio%2Foauth%2Fcallback"));
    for secret in ["at_", "rt_", "attio-client-secret-for-okta-sim"] {
        assert!(!t.contains(secret), "{secret} in the transcript");
    }
    assert!(t.contains("[credential redacted]"));
    // An authorization server that issues no refresh token fails the refresh check.
    let profile = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/profiles/attio.toml"),
    )
    .unwrap()
    .replace("refresh_tokens = true", "refresh_tokens = false");
    let file = dir.join("attio-no-refresh.toml");
    std::fs::write(&file, profile).unwrap();
    let out = okta_sim(&[
        "check",
        "--profile",
        &file.to_string_lossy(),
        "--seed",
        "3",
        "--tags",
        "@oauth",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL [okta-required] oauth.token.refreshed"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn okta_configured_for_another_tenant_is_refused_by_the_tenants_app() {
    let running = common::spawn_okta_sim(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token",
            "tok12345678",
            "--profile",
            "atomation",
            "--tenant",
            "acme",
        ],
        &[],
    );
    assert!(
        running
            .banner
            .iter()
            .any(|l| l.contains("entity ID https://acme.atomation.io/saml/metadata")),
        "{:?}",
        running.banner
    );
    let base = running.field("SCIM base URL");
    let out = okta_sim(&[
        "check",
        "--profile",
        "atomation",
        "--tenant",
        "globex",
        "--target",
        &base,
        "--token",
        "tok12345678",
        "--seed",
        "4",
        "--tags",
        "@vendor and @saml",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(r#"Destination \"https://globex.atomation.io/auth/saml/acs\" is not this ACS \"https://acme.atomation.io/auth/saml/acs\""#),
        "{text}"
    );
    // The refusal is graded as the guide's promise of the tenant's URLs, quoted.
    assert!(
        text.contains("FAIL [okta-required] vendor.promise.kept")
            && text.contains("Atomation's guide 000: \"https://TENANT-SUBDOMAIN.atomation.io/auth/saml/acs\"; Okta signed for ACS https://globex.atomation.io/auth/saml/acs"),
        "{text}"
    );
    let out = okta_sim(&[
        "check",
        "--profile",
        "atomation",
        "--tenant",
        "acme",
        "--target",
        &base,
        "--token",
        "tok12345678",
        "--seed",
        "4",
        "--tags",
        "@vendor and @saml",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = okta_sim(&["check", "--profile", "atomation", "--tenant", "no/pe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a tenant name"));
}
