//! The `okta-sim saml` commands and `okta-sim check --sp-…` against `okta-sim serve`, as a user
//! runs them, with the IdP key kept in a temporary OKTA_SIM_HOME.

mod common;

use std::process::{Command, Output};

use base64::Engine;

fn home(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-sim-home-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn okta_sim(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .args(args)
        .env("OKTA_SIM_HOME", home)
        .output()
        .unwrap()
}

fn spawn(home: &std::path::Path, args: &[&str]) -> common::Running {
    common::spawn_okta_sim(args, &[("OKTA_SIM_HOME", home.as_os_str())])
}

#[test]
fn metadata_is_stable_and_sign_output_verifies_with_it() {
    let h = home("meta");
    let a = okta_sim(&h, &["saml", "metadata"]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let b = okta_sim(&h, &["saml", "metadata"]);
    assert_eq!(a.stdout, b.stdout, "the saved key gives the same metadata");
    let md = String::from_utf8(a.stdout).unwrap();
    let md = okta_sim::saml::metadata::IdpMetadata::parse(&md).unwrap();
    assert!(md.entity_id.starts_with("http://www.okta.com/exk"));
    assert!(md.sso_url.starts_with("http://127.0.0.1:7000/app/"));

    let out = okta_sim(
        &h,
        &[
            "saml",
            "sign",
            "--acs",
            "https://sp.test/acs",
            "--audience",
            "https://sp.test/md",
            "--user",
            "u@example.com",
            "--attr",
            "email=u@example.com",
            "--attr",
            "groups=A",
            "--attr",
            "groups=B",
        ],
    );
    assert!(out.status.success());
    let b64 = String::from_utf8(out.stdout).unwrap();
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap(),
    )
    .unwrap();
    let doc = okta_sim::saml::xml::parse(&xml).unwrap();
    let key = okta_sim::saml::keys::public_key_of(&md.signing_cert_der).unwrap();
    let policy = okta_sim::saml::dsig::AlgPolicy { allow_sha1: false };
    assert!(
        okta_sim::saml::dsig::verify(&doc, &[1], &key, policy).is_ok(),
        "the response signature verifies with the metadata's certificate"
    );
    assert!(xml.contains(">A</saml2:AttributeValue>") && xml.contains(">B</saml2:AttributeValue>"));
    assert!(xml.contains(&md.entity_id));
    std::fs::remove_dir_all(h).ok();
}

#[test]
fn sign_post_and_check_against_the_serve_sp() {
    let h = home("serve");
    let s = spawn(&h, &["serve", "--addr", "127.0.0.1:0", "--token", "tok"]);
    let entity = s.field("SAML SP        entity ID");
    let acs = s
        .banner
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix("ACS ")
                .map(|r| r.split_whitespace().next().unwrap().to_string())
        })
        .unwrap();
    let app = acs.trim_end_matches("/saml/acs").to_string();
    assert!(entity.ends_with("/saml/metadata"), "{:?}", s.banner);

    let out = okta_sim(
        &h,
        &[
            "saml",
            "sign",
            "--acs",
            &acs,
            "--audience",
            &entity,
            "--user",
            "grace@example.com",
            "--attr",
            "firstName=Grace",
            "--attr",
            "lastName=Hopper",
            "--post",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("200") && stdout.contains("\"status\":\"accepted\""),
        "{stdout}"
    );

    // A response for another audience is refused, and --post says so with exit 1.
    let out = okta_sim(
        &h,
        &[
            "saml",
            "sign",
            "--acs",
            &acs,
            "--audience",
            "https://other.example",
            "--user",
            "grace@example.com",
            "--post",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("audience"));

    // The SSO catalogue against that SP (no SCIM target: SCIM scenarios are skipped).
    let out = okta_sim(
        &h,
        &[
            "check",
            "--sp-acs",
            &acs,
            "--sp-audience",
            &entity,
            "--sp-whoami",
            &format!("{app}/saml/whoami"),
            "--sp-login",
            &format!("{app}/saml/login"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("PASS  The SP attack catalogue › xsw4 does not sign in the victim"),
        "{stdout}"
    );
    assert!(stdout.contains("SKIP  Test API Credentials"), "{stdout}");

    // The same with the SP's metadata URL.
    let out = okta_sim(
        &h,
        &[
            "check",
            "--sp-metadata",
            &format!("{app}/saml/metadata"),
            "--tags",
            "@attack",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // SCIM and SSO together, JIT included.
    let out = okta_sim(
        &h,
        &[
            "check",
            "--target",
            &format!("{app}/scim/v2"),
            "--token",
            "tok",
            "--sp-acs",
            &acs,
            "--sp-audience",
            &entity,
            "--sp-whoami",
            &format!("{app}/saml/whoami"),
            "--tags",
            "@jit",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("2 passed"), "{stdout}");
    std::fs::remove_dir_all(h).ok();
}

#[test]
fn the_idp_server_serves_metadata_and_launch_pages() {
    let h = home("idp");
    let s = spawn(
        &h,
        &[
            "saml",
            "idp",
            "--addr",
            "127.0.0.1:0",
            "--user",
            "ada@example.com",
        ],
    );
    let metadata = s.field("metadata");
    let launch = s.field("launch URL");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let md = reqwest::get(&metadata).await.unwrap().text().await.unwrap();
        assert!(md.contains("IDPSSODescriptor"), "{md}");
        let page = reqwest::get(&launch).await.unwrap().text().await.unwrap();
        assert!(page.contains("name=\"SAMLResponse\""), "{page}");
    });
    let _ = s;
    std::fs::remove_dir_all(h).ok();
}

#[test]
fn saml_usage_errors_exit_2() {
    let h = home("usage");
    for args in [
        vec![
            "saml",
            "sign",
            "--acs",
            "x",
            "--audience",
            "y",
            "--user",
            "u",
            "--attr",
            "novalue",
        ],
        vec![
            "saml",
            "metadata",
            "--key",
            "/nonexistent.pem",
            "--cert",
            "/nonexistent.pem",
        ],
        vec!["check", "--sp-acs", "http://127.0.0.1:1/acs"],
        vec!["check", "--sp-whoami", "http://127.0.0.1:1/w"],
        vec![
            "check",
            "--sp-acs",
            "http://127.0.0.1:1/acs",
            "--sp-audience",
            "a",
        ],
    ] {
        let out = okta_sim(&h, &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::remove_dir_all(h).ok();
}
