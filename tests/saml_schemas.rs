//! Every document of the attack catalogue is valid against the SAML 2.0 XML Schemas (all but
//! `no-assertion-id`, whose point is what the schemas forbid; the test holds it to that mark)
//! (`fixtures/schemas/saml/`, OASIS saml-schema-protocol-2.0 and its imports): an SP that
//! validates the schema before anything else still meets each case, so a refusal proves the SP
//! defends against the case itself, not merely against a malformed document.
//!
//! The validator is libxml2's `xmllint` (Debian's libxml2-utils, which `.ci/run` installs). Where
//! it is missing the test says so and passes, except under CI, where it must be there.

use std::path::PathBuf;
use std::process::Command;

use okta_sim::saml::attacks::{ATTACKS, AttackInput};
use okta_sim::saml::idp::{ResponseSpec, SamlApp, SamlUser};
use okta_sim::saml::keys::SigningKey;

fn user(name: &str) -> SamlUser {
    SamlUser {
        name_id: name.into(),
        email: name.into(),
        first_name: "Vic".into(),
        last_name: "Tim".into(),
        groups: vec!["Admins".into()],
        custom: vec![],
    }
}

fn xmllint() -> Option<PathBuf> {
    let ok = Command::new("xmllint").arg("--version").output().is_ok();
    if ok {
        Some(PathBuf::from("xmllint"))
    } else if std::env::var_os("CI").is_some() {
        panic!("xmllint is needed to validate against the SAML schemas: install libxml2-utils");
    } else {
        eprintln!("skipped: xmllint is not installed (Debian: libxml2-utils)");
        None
    }
}

/// Validate one document; Err with xmllint's complaint.
fn validate(xmllint: &PathBuf, xml: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("okta-sim-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.xml", rand_name()));
    std::fs::write(&file, xml).unwrap();
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/schemas/saml/saml-schema-protocol-2.0.xsd");
    let out = Command::new(xmllint)
        .args(["--noout", "--nonet", "--noent", "--schema"])
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn rand_name() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("doc{}", N.fetch_add(1, Ordering::Relaxed))
}

#[test]
fn an_okta_shaped_response_is_schema_valid() {
    let Some(lint) = xmllint() else { return };
    let app = SamlApp::new(
        "http://idp.test",
        "https://sp.test/acs",
        "https://sp.test/md",
    );
    let xml = ResponseSpec::for_user(&app, &user("a@example.com"), Some("id-req"))
        .to_xml(&SigningKey::test_fixture())
        .unwrap();
    validate(&lint, &xml).unwrap();
    // The validator refuses what the schemas forbid: Extensions after Status.
    let bad = xml.replacen(
        "</saml2p:Status>",
        "</saml2p:Status><saml2p:Extensions><x:y xmlns:x=\"urn:x\"/></saml2p:Extensions>",
        1,
    );
    assert!(
        validate(&lint, &bad).is_err(),
        "the validator accepts anything"
    );
}

#[test]
fn every_case_of_the_attack_catalogue_is_schema_valid() {
    let Some(lint) = xmllint() else { return };
    let app = SamlApp::new(
        "http://idp.test",
        "https://sp.test/acs",
        "https://sp.test/md",
    );
    let (key, other) = (SigningKey::test_fixture(), SigningKey::test_fixture_other());
    let (victim, attacker) = (user("victim@example.com"), user("mallory@example.com"));
    let mut invalid = Vec::new();
    for a in ATTACKS {
        let input = AttackInput {
            app: &app,
            key: &key,
            attacker_key: &other,
            victim: &victim,
            attacker: &attacker,
            in_response_to: Some("id-outstanding-request"),
        };
        let xml = (a.craft)(&input).unwrap_or_else(|e| panic!("{}: {e}", a.name));
        match validate(&lint, &xml) {
            Err(e) if a.schema_valid => invalid.push(format!(
                "{}: {}",
                a.name,
                e.lines().take(3).collect::<Vec<_>>().join(" | ")
            )),
            Ok(()) if !a.schema_valid => {
                invalid.push(format!("{}: marked schema-invalid, but validates", a.name))
            }
            _ => {}
        }
    }
    assert!(
        invalid.is_empty(),
        "cases not as marked:\n{}",
        invalid.join("\n")
    );
    let exempt: Vec<&str> = ATTACKS
        .iter()
        .filter(|a| !a.schema_valid)
        .map(|a| a.name)
        .collect();
    assert_eq!(
        exempt,
        ["no-assertion-id"],
        "only the case about a missing ID may break the schema"
    );
}
