//! Our pure-Rust signatures, verified by an independent implementation: libxmlsec1 through
//! samael (`--features xmlsec`), both its raw signature verification and its whole service
//! provider, given only our certificate. `.ci/run` installs libxmlsec1 and runs this.
#![cfg(feature = "xmlsec")]

use base64::Engine;
use okta_sim::saml::dsig::SigAlg;
use okta_sim::saml::idp::{ResponseSpec, SamlApp, SamlUser};
use okta_sim::saml::keys::SigningKey;
use samael_xmlsec::crypto::{CertificateDer, Crypto, CryptoProvider, ReduceMode};

fn app() -> SamlApp {
    SamlApp::new(
        "http://127.0.0.1:7000",
        "https://sp.test/saml/acs",
        "https://sp.test/saml/metadata",
    )
}

fn user() -> SamlUser {
    SamlUser {
        name_id: "ada@example.com".into(),
        email: "ada@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        groups: vec!["Engineering".into(), "R&D <core>".into()],
        custom: vec![],
    }
}

fn cert(key: &SigningKey) -> CertificateDer {
    CertificateDer::from(key.cert_der.clone())
}

#[test]
fn libxmlsec1_verifies_every_signature_we_make() {
    let key = SigningKey::test_fixture();
    for (resp, assertion, alg) in [
        (true, true, SigAlg::RsaSha256),
        (false, true, SigAlg::RsaSha256),
        (true, false, SigAlg::RsaSha256),
        (true, true, SigAlg::RsaSha1),
    ] {
        let mut spec = ResponseSpec::for_user(&app(), &user(), Some("id-req"));
        spec.response_signed = resp;
        spec.assertion_signed = assertion;
        spec.alg = alg;
        let xml = spec.to_xml(&key).unwrap();
        let reduced = Crypto::reduce_xml_to_signed(
            &xml,
            &[cert(&key)],
            ReduceMode::ValidateAndMarkNoAncestors,
        );
        assert!(
            reduced.is_ok(),
            "response {resp}, assertion {assertion}, {alg:?}: {reduced:?}\n{xml}"
        );
        // With a different certificate libxmlsec1 refuses.
        let other = SigningKey::test_fixture_other();
        assert!(
            Crypto::reduce_xml_to_signed(
                &xml,
                &[cert(&other)],
                ReduceMode::ValidateAndMarkNoAncestors
            )
            .is_err()
        );
        // Tampering is caught.
        let tampered = xml.replace(
            ">ada@example.com</saml2:NameID>",
            ">eve@example.com</saml2:NameID>",
        );
        assert!(
            Crypto::reduce_xml_to_signed(
                &tampered,
                &[cert(&key)],
                ReduceMode::ValidateAndMarkNoAncestors
            )
            .is_err()
        );
    }
}

#[test]
fn samaels_service_provider_accepts_our_response_given_only_our_certificate() {
    let key = SigningKey::test_fixture();
    let a = app();
    let metadata = a.metadata(&key);
    let idp: samael_xmlsec::metadata::EntityDescriptor = metadata.parse().unwrap();
    let sp = samael_xmlsec::service_provider::ServiceProviderBuilder::default()
        .entity_id("https://sp.test/saml/metadata".to_string())
        .acs_url("https://sp.test/saml/acs".to_string())
        .idp_metadata(idp)
        .allow_idp_initiated(true)
        .build()
        .unwrap();
    let xml = ResponseSpec::for_user(&a, &user(), None)
        .to_xml(&key)
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
    let assertion = sp
        .parse_base64_response(&b64, None)
        .expect("samael's SP accepts the response");
    let name_id = assertion
        .subject
        .and_then(|s| s.name_id)
        .map(|n| n.value)
        .unwrap();
    assert_eq!(name_id, "ada@example.com");
}
