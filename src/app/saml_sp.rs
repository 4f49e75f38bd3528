//! The reference app's SAML service provider: SP metadata, an SP-initiated login start that
//! redirects to the IdP, the ACS with full validation, just-in-time provisioning into the same
//! store SCIM uses, and a whoami endpoint that tells which identity a session belongs to.
//!
//! Validation (okta-saml §3): no DOCTYPE; exactly one Assertion anywhere in the document, a
//! direct child of the Response; every signature present must verify with the configured IdP
//! certificate only (never KeyInfo), its Reference pointing at its own parent, and the
//! Assertion must be covered by one; Status Success; Destination, Recipient, Audience and Issuer
//! exact; NotBefore / NotOnOrAfter with a configurable skew; InResponseTo matching an
//! outstanding request, each used once; assertion IDs used once (replay cache); SHA-1 refused
//! unless allowed. Only the verified Assertion is read.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use rsa::RsaPublicKey;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::store::Store;
use crate::saml::dsig::{AlgPolicy, DsigError, SigAlg, verify};
use crate::saml::idp::deflate_base64;
use crate::saml::keys::{KeyError, public_key_of};
use crate::saml::xml::{Element, NS_DS, NS_SAML, NS_SAMLP, XmlError, parse};

/// The name of the SP's session cookie.
pub const SESSION_COOKIE: &str = "okta_sim_session";
/// Bounds on what the SP remembers, so a flood of login starts or sign-ins cannot grow it forever.
pub const MAX_OUTSTANDING_REQUESTS: usize = 10_000;
/// Sessions kept at most; the oldest go first.
pub const MAX_SESSIONS: usize = 10_000;
/// Form bodies posted to the ACS larger than this are refused (413). Okta's responses are a few
/// kilobytes; even with hundreds of group names they stay well under this.
pub const MAX_ACS_BODY: usize = 256 * 1024;
/// Responses validated at once (each on a blocking thread, off the async workers); more wait.
pub const MAX_CONCURRENT_VALIDATIONS: usize = 4;
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// A mistake the reference SP can be told to make (`serve --fault sp-…`), each one that real SPs
/// have shipped: the attack catalogue must catch every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpFault {
    /// Verify signatures with the certificate in KeyInfo, not the configured one.
    TrustKeyInfo,
    /// Accept a response nothing signs.
    AcceptUnsigned,
    /// Verify any signature whose reference resolves anywhere in the document, then read the
    /// identity from the first assertion in document order (signature wrapping).
    ReadFirstAssertion,
    /// Read the NameID up to the first comment inside it.
    TruncateNameIdAtComment,
    /// Do not check the Audience.
    NoAudienceCheck,
    /// Accept an assertion when any AudienceRestriction names this SP.
    AnyAudienceRestriction,
    /// Trim whitespace from Audience and Issuer before comparing.
    TrimComparisons,
    /// Do not check NotBefore and NotOnOrAfter.
    NoTimeCheck,
    /// Do not check Destination and Recipient.
    NoDestinationCheck,
    /// Do not check the Issuers.
    NoIssuerCheck,
    /// Compare only the Response's InResponseTo, not the assertion's.
    ResponseInResponseToOnly,
    /// Do not remember used assertions.
    NoReplayCache,
    /// Do not check the Status.
    NoStatusCheck,
    /// Accept an Assertion without an ID (the replay cache then cannot remember it).
    AssertionIdOptional,
}

/// Who the SP trusts and how strict it is.
#[derive(Debug, Clone)]
pub struct SpConfig {
    /// The SP entity ID and expected Audience; `{app URL}/saml/metadata` when not set.
    pub entity_id: Option<String>,
    /// The path of the Assertion Consumer Service, e.g. `/saml/acs`.
    pub acs_path: String,
    /// The path of the entity ID after the app's origin, `/saml/metadata` by default.
    pub entity_id_path: String,
    /// The app's public origin (`https://acme.atomation.io`) when it is not where it is served:
    /// the entity ID and the ACS URL (the Destination it expects) are on it.
    pub public_url: Option<String>,
    /// The entity ID (and Issuer) of the IdP the SP trusts.
    pub idp_entity_id: String,
    /// The DER of the IdP's signing certificate: the only key signatures are checked with.
    pub idp_cert_der: Vec<u8>,
    /// The IdP's SSO URL, where SP-initiated sign-in redirects.
    pub idp_sso_url: String,
    /// Accept RSA-SHA1 signatures (refused by default).
    pub allow_sha1: bool,
    /// The skew allowed on NotBefore and NotOnOrAfter.
    pub clock_skew: std::time::Duration,
    /// Accept unsolicited responses (Okta dashboard sign-in). On by default, as Okta needs.
    pub allow_idp_initiated: bool,
    /// Mistakes the SP is told to make (none in normal use).
    pub faults: Vec<SpFault>,
    /// The SP's clock reads this time plus what has passed since the instant, instead of the
    /// system time: for a run whose IdP signs with a fixed clock (`check --clock`).
    pub clock_origin: Option<(OffsetDateTime, std::time::Instant)>,
}

impl SpConfig {
    /// An SP trusting the simulated Okta IdP that signs with `key` (at its default org URL).
    pub fn trusting_okta_sim(key: &crate::saml::keys::SigningKey) -> Self {
        let idp = crate::saml::idp::SamlApp::new(crate::saml::idp::DEFAULT_IDP_ORG_URL, "", "")
            .with_key_identity(key);
        SpConfig::trusting(&idp.issuer(), key.cert_der.clone(), &idp.sso_url())
    }

    /// An SP trusting the IdP this configuration names.
    pub fn trusting(idp_entity_id: &str, idp_cert_der: Vec<u8>, idp_sso_url: &str) -> Self {
        SpConfig {
            entity_id: None,
            acs_path: "/saml/acs".into(),
            entity_id_path: "/saml/metadata".into(),
            public_url: None,
            idp_entity_id: idp_entity_id.into(),
            idp_cert_der,
            idp_sso_url: idp_sso_url.into(),
            allow_sha1: false,
            clock_skew: std::time::Duration::from_secs(60),
            allow_idp_initiated: true,
            faults: Vec::new(),
            clock_origin: None,
        }
    }
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct SpSession {
    /// The NameID the session belongs to.
    pub name_id: String,
    /// The SCIM id of the user, once provisioned.
    pub user_id: Option<String>,
    /// The attribute statements of the assertion.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The assertion's SessionIndex.
    pub session_index: Option<String>,
    /// When the sign-in happened.
    pub authenticated_at: OffsetDateTime,
}

#[derive(Default)]
struct SpMemory {
    /// AuthnRequest IDs issued and not yet answered, with when they were issued.
    outstanding: HashMap<String, OffsetDateTime>,
    /// The outstanding requests that are the admin's "Test SAML", not a sign-in.
    tests: std::collections::HashSet<String>,
    /// Assertion IDs seen, until they expire.
    seen_assertions: HashMap<String, OffsetDateTime>,
    sessions: HashMap<String, SpSession>,
}

/// A running SP: its configuration, URLs and what it remembers (outstanding requests, sessions, replay cache).
pub struct SpState {
    /// What it was configured with.
    pub config: SpConfig,
    /// Its entity ID (the Audience it expects).
    pub entity_id: String,
    /// The absolute ACS URL.
    pub acs_url: String,
    /// The app's root URL.
    pub app_url: String,
    idp_key: RsaPublicKey,
    store: Arc<Store>,
    scim_base: String,
    memory: Mutex<SpMemory>,
    validations: tokio::sync::Semaphore,
}

/// Why a response was refused: a short code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// A short code, e.g. `audience`.
    pub code: &'static str,
    /// The sentence a person reads.
    pub detail: String,
}

fn reject(code: &'static str, detail: impl Into<String>) -> Rejection {
    Rejection {
        code,
        detail: detail.into(),
    }
}

impl From<XmlError> for Rejection {
    fn from(e: XmlError) -> Self {
        match e {
            XmlError::Doctype => reject("doctype", e.to_string()),
            other => reject("malformed", other.to_string()),
        }
    }
}

impl From<DsigError> for Rejection {
    fn from(e: DsigError) -> Self {
        match e {
            DsigError::Algorithm(a)
                if a == crate::saml::dsig::ALG_RSA_SHA1 || a == crate::saml::dsig::ALG_SHA1 =>
            {
                reject("sha1", format!("SHA-1 signatures are not accepted ({a})"))
            }
            other => reject("signature-invalid", other.to_string()),
        }
    }
}

/// A validated login.
#[derive(Debug, Clone)]
pub struct Login {
    /// The NameID of the verified assertion.
    pub name_id: String,
    /// Its attribute statements.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Its SessionIndex.
    pub session_index: Option<String>,
    /// The AuthnRequest it answers, when SP-initiated.
    pub in_response_to: Option<String>,
}

impl SpState {
    /// An SP serving under `app_url`, provisioning just in time into `store`.
    pub fn new(
        config: SpConfig,
        app_url: &str,
        store: Arc<Store>,
        scim_base: &str,
    ) -> Result<Self, KeyError> {
        let idp_key = public_key_of(&config.idp_cert_der)?;
        let origin = config
            .public_url
            .clone()
            .unwrap_or_else(|| app_url.to_string());
        let entity_id = config
            .entity_id
            .clone()
            .unwrap_or_else(|| format!("{origin}{}", config.entity_id_path));
        let acs_url = format!("{origin}{}", config.acs_path);
        Ok(SpState {
            config,
            entity_id,
            acs_url,
            app_url: app_url.to_string(),
            idp_key,
            store,
            scim_base: scim_base.to_string(),
            memory: Mutex::new(SpMemory::default()),
            validations: tokio::sync::Semaphore::new(MAX_CONCURRENT_VALIDATIONS),
        })
    }

    /// The time now, by the SP's clock.
    fn now(&self) -> OffsetDateTime {
        match self.config.clock_origin {
            Some((t, since)) => {
                t + time::Duration::try_from(since.elapsed()).unwrap_or(time::Duration::ZERO)
            }
            None => OffsetDateTime::now_utc(),
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, SpMemory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start an SP-initiated login: remember a new request ID and return the AuthnRequest XML.
    pub fn new_authn_request(&self) -> (String, String) {
        use samael::traits::ToXml;
        let id = format!("_{}", uuid::Uuid::new_v4().simple());
        let req = samael::schema::AuthnRequest {
            id: id.clone(),
            version: "2.0".into(),
            issue_instant: chrono::Utc::now(),
            destination: Some(self.config.idp_sso_url.clone()),
            issuer: Some(samael::schema::Issuer {
                value: Some(self.entity_id.clone()),
                ..Default::default()
            }),
            assertion_consumer_service_url: Some(self.acs_url.clone()),
            protocol_binding: Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST".into()),
            ..Default::default()
        };
        let xml = req.to_string().unwrap_or_default();
        let mut m = self.memory();
        let now = OffsetDateTime::now_utc();
        m.outstanding
            .retain(|_, t| now - *t < Duration::minutes(10));
        if m.outstanding.len() >= MAX_OUTSTANDING_REQUESTS
            && let Some(oldest) = m
                .outstanding
                .iter()
                .min_by_key(|(_, t)| **t)
                .map(|(k, _)| k.clone())
        {
            m.outstanding.remove(&oldest);
        }
        m.outstanding.insert(id.clone(), now);
        let SpMemory {
            outstanding, tests, ..
        } = &mut *m;
        tests.retain(|t| outstanding.contains_key(t));
        (id, xml)
    }

    /// Start the admin's "Test SAML": an AuthnRequest whose answer is reported, not signed in.
    pub fn new_test_request(&self) -> (String, String) {
        let (id, xml) = self.new_authn_request();
        self.memory().tests.insert(id.clone());
        (id, xml)
    }

    /// Whether `login` answers a "Test SAML" request (which it then no longer is).
    fn is_test(&self, login: &Login) -> bool {
        login
            .in_response_to
            .as_ref()
            .is_some_and(|id| self.memory().tests.remove(id))
    }

    /// The SP metadata (with samael's metadata types).
    pub fn metadata(&self) -> String {
        use samael::metadata::{EntityDescriptor, IndexedEndpoint, SpSsoDescriptor};
        use samael::traits::ToXml;
        let ed = EntityDescriptor {
            entity_id: Some(self.entity_id.clone()),
            sp_sso_descriptors: Some(vec![SpSsoDescriptor {
                protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
                authn_requests_signed: Some(false),
                want_assertions_signed: Some(true),
                name_id_formats: Some(vec![
                    crate::saml::idp::NAMEID_UNSPECIFIED.into(),
                    crate::saml::idp::NAMEID_EMAIL.into(),
                ]),
                assertion_consumer_services: vec![IndexedEndpoint {
                    binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST".into(),
                    location: self.acs_url.clone(),
                    response_location: None,
                    index: 0,
                    is_default: Some(true),
                }],
                ..Default::default()
            }]),
            ..Default::default()
        };
        ed.to_string().unwrap_or_default()
    }

    fn parse_instant(s: Option<&str>, what: &str) -> Result<OffsetDateTime, Rejection> {
        let s = s.ok_or_else(|| reject("malformed", format!("{what} is missing")))?;
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| reject("malformed", format!("{what} {s:?} is not a date-time")))
    }

    /// Validate a base64 SAMLResponse (everything in the module comment), record it as used.
    pub fn validate(&self, saml_response_b64: &str) -> Result<Login, Rejection> {
        let compact: String = saml_response_b64
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| reject("malformed", "SAMLResponse is not base64"))?;
        let xml =
            String::from_utf8(raw).map_err(|_| reject("malformed", "SAMLResponse is not UTF-8"))?;
        let doc = parse(&xml)?;
        if !doc.is(NS_SAMLP, "Response") {
            return Err(reject(
                "malformed",
                format!("the root element is {}, not samlp:Response", doc.qname()),
            ));
        }
        let all_assertions = doc.find_all(NS_SAML, "Assertion");
        if !doc.find_all(NS_SAML, "EncryptedAssertion").is_empty() {
            return Err(reject(
                "unsupported",
                "encrypted assertions are not supported by the reference SP",
            ));
        }
        let policy = AlgPolicy {
            allow_sha1: self.config.allow_sha1,
        };
        let assertion_path = if self.has(SpFault::ReadFirstAssertion) {
            self.verify_anywhere_unsafe(&doc, policy)?;
            all_assertions
                .first()
                .cloned()
                .ok_or_else(|| reject("subject", "no Assertion"))?
        } else {
            self.verify_enveloped(&doc, &all_assertions, policy)?
        };
        let assertion = doc
            .at(&assertion_path)
            .ok_or_else(|| reject("malformed", "no assertion"))?;
        self.check_response(&doc)?;
        self.check_assertion(&doc, assertion)
    }

    fn has(&self, fault: SpFault) -> bool {
        self.config.faults.contains(&fault)
    }

    /// The key a signature is checked with: the configured certificate's, or (fault
    /// `sp-trust-keyinfo`) the one the signature itself carries.
    fn key_for(&self, sig: Option<&Element>) -> Result<RsaPublicKey, Rejection> {
        let carried = sig
            .and_then(|s| s.child(NS_DS, "KeyInfo"))
            .and_then(|k| k.child(NS_DS, "X509Data"))
            .and_then(|d| d.child(NS_DS, "X509Certificate"))
            .map(Element::text);
        match carried {
            Some(b64) if self.has(SpFault::TrustKeyInfo) => {
                let compact: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|_| reject("signature-invalid", "KeyInfo holds no certificate"))?;
                public_key_of(&der)
                    .map_err(|e| reject("signature-invalid", format!("KeyInfo certificate: {e}")))
            }
            _ => Ok(self.idp_key.clone()),
        }
    }

    /// The correct verification: exactly one Assertion, a direct child of the Response; every
    /// signature present verifies, enveloped in what it signs, and one covers the Assertion.
    /// Returns the Assertion's path.
    fn verify_enveloped(
        &self,
        doc: &Element,
        all_assertions: &[Vec<usize>],
        policy: AlgPolicy,
    ) -> Result<Vec<usize>, Rejection> {
        if all_assertions.len() != 1 {
            return Err(reject(
                "assertion-count",
                format!(
                    "the document holds {} Assertions; exactly one is accepted",
                    all_assertions.len()
                ),
            ));
        }
        let assertion_path = all_assertions[0].clone();
        if assertion_path.len() != 1 {
            return Err(reject(
                "assertion-count",
                "the Assertion is not a direct child of the Response",
            ));
        }
        let mut signatures: Vec<Vec<usize>> = doc
            .elements()
            .enumerate()
            .filter(|(_, c)| c.is(NS_DS, "Signature"))
            .map(|(i, _)| vec![i])
            .collect();
        let assertion = doc
            .at(&assertion_path)
            .ok_or_else(|| reject("malformed", "no assertion"))?;
        signatures.extend(
            assertion
                .elements()
                .enumerate()
                .filter(|(_, c)| c.is(NS_DS, "Signature"))
                .map(|(i, _)| vec![assertion_path[0], i]),
        );
        for path in &signatures {
            let key = self.key_for(doc.at(path))?;
            let (_, alg) = verify(doc, path, &key, policy)?;
            if alg == SigAlg::RsaSha1 && !self.config.allow_sha1 {
                return Err(reject("sha1", "SHA-1 signatures are not accepted"));
            }
        }
        if signatures.is_empty() && !self.has(SpFault::AcceptUnsigned) {
            return Err(reject(
                "signature-missing",
                "neither the Response nor the Assertion is signed",
            ));
        }
        Ok(assertion_path)
    }

    /// Fault `sp-read-first-assertion`: the wrapping-vulnerable verification. Some signature
    /// anywhere must verify, its reference looked up by ID anywhere; which element it signs is
    /// never related to the assertion read afterwards.
    fn verify_anywhere_unsafe(&self, doc: &Element, policy: AlgPolicy) -> Result<(), Rejection> {
        let mut last = reject("signature-missing", "nothing in the document is signed");
        for path in doc.find_all(NS_DS, "Signature") {
            let key = self.key_for(doc.at(&path))?;
            match crate::saml::dsig::verify_by_id_lookup_unsafe(doc, &path, &key, policy) {
                Ok(_) => return Ok(()),
                Err(e) => last = e.into(),
            }
        }
        if self.has(SpFault::AcceptUnsigned) {
            return Ok(());
        }
        Err(last)
    }

    fn check_response(&self, doc: &Element) -> Result<(), Rejection> {
        let status = doc
            .child(NS_SAMLP, "Status")
            .and_then(|s| s.child(NS_SAMLP, "StatusCode"))
            .and_then(|c| c.attr("Value"))
            .unwrap_or("");
        if status != STATUS_SUCCESS && !self.has(SpFault::NoStatusCheck) {
            return Err(reject(
                "status",
                format!("Status is {status:?}, not Success"),
            ));
        }
        if !self.has(SpFault::NoDestinationCheck) {
            match doc.attr("Destination") {
                Some(d) if self.same(d, &self.acs_url) => {}
                Some(d) => {
                    return Err(reject(
                        "destination",
                        format!("Destination {d:?} is not this ACS {:?}", self.acs_url),
                    ));
                }
                None => return Err(reject("destination", "the Response has no Destination")),
            }
        }
        if let Some(issuer) = doc.child(NS_SAML, "Issuer")
            && !self.same(&issuer.text(), &self.config.idp_entity_id)
            && !self.has(SpFault::NoIssuerCheck)
        {
            return Err(reject(
                "issuer",
                format!("Response Issuer {:?} is not the trusted IdP", issuer.text()),
            ));
        }
        Ok(())
    }

    /// Exact comparison (fault `sp-trim-comparisons`: after trimming whitespace).
    fn same(&self, got: &str, want: &str) -> bool {
        if self.has(SpFault::TrimComparisons) {
            got.trim() == want.trim()
        } else {
            got == want
        }
    }

    /// The NameID's value: its text (fault `sp-truncate-name-id-at-comment`: the text before
    /// the first comment, as DOM libraries that read only the first text node do).
    fn name_id_of(&self, name_id: &Element) -> String {
        if !self.has(SpFault::TruncateNameIdAtComment) {
            return name_id.text();
        }
        let mut s = String::new();
        for n in &name_id.children {
            match n {
                crate::saml::xml::Node::Text(t) => s.push_str(t),
                crate::saml::xml::Node::Comment(_) => break,
                _ => {}
            }
        }
        s
    }

    fn check_assertion(&self, doc: &Element, a: &Element) -> Result<Login, Rejection> {
        let now = self.now();
        let skew = Duration::try_from(self.config.clock_skew).unwrap_or(Duration::minutes(1));
        let issuer = a
            .child(NS_SAML, "Issuer")
            .map(Element::text)
            .unwrap_or_default();
        if !self.same(&issuer, &self.config.idp_entity_id) && !self.has(SpFault::NoIssuerCheck) {
            return Err(reject(
                "issuer",
                format!(
                    "Assertion Issuer {issuer:?} is not the trusted IdP {:?}",
                    self.config.idp_entity_id
                ),
            ));
        }
        let assertion_id = match a.attr("ID").filter(|id| !id.is_empty()) {
            Some(id) => id.to_string(),
            None if self.has(SpFault::AssertionIdOptional) => String::new(),
            None => return Err(reject("malformed", "the Assertion has no ID")),
        };
        let subject = a
            .child(NS_SAML, "Subject")
            .ok_or_else(|| reject("subject", "no Subject"))?;
        let mut name_id = subject
            .child(NS_SAML, "NameID")
            .map(|n| self.name_id_of(n))
            .unwrap_or_default();
        if self.has(SpFault::TrimComparisons) {
            name_id = name_id.trim().to_string();
        }
        if name_id.is_empty() {
            return Err(reject("subject", "no NameID"));
        }
        let confirmation = subject
            .elements()
            .find(|e| e.is(NS_SAML, "SubjectConfirmation") && e.attr("Method") == Some(BEARER))
            .ok_or_else(|| reject("subject", "no bearer SubjectConfirmation"))?;
        let data = confirmation
            .child(NS_SAML, "SubjectConfirmationData")
            .ok_or_else(|| reject("subject", "no SubjectConfirmationData"))?;
        if !data
            .attr("Recipient")
            .is_some_and(|r| self.same(r, &self.acs_url))
            && !self.has(SpFault::NoDestinationCheck)
        {
            return Err(reject(
                "recipient",
                format!(
                    "Recipient {:?} is not this ACS",
                    data.attr("Recipient").unwrap_or("")
                ),
            ));
        }
        let scd_noa = Self::parse_instant(
            data.attr("NotOnOrAfter"),
            "SubjectConfirmationData NotOnOrAfter",
        )?;
        let timed = !self.has(SpFault::NoTimeCheck);
        if timed && now >= scd_noa + skew {
            return Err(reject(
                "expired",
                "SubjectConfirmationData NotOnOrAfter has passed",
            ));
        }
        if let Some(nb) = data.attr("NotBefore")
            && timed
            && now + skew < Self::parse_instant(Some(nb), "SubjectConfirmationData NotBefore")?
        {
            return Err(reject(
                "not-yet-valid",
                "SubjectConfirmationData NotBefore is in the future",
            ));
        }
        let conditions = a
            .child(NS_SAML, "Conditions")
            .ok_or_else(|| reject("audience", "no Conditions"))?;
        if let Some(nb) = conditions.attr("NotBefore")
            && timed
            && now + skew < Self::parse_instant(Some(nb), "NotBefore")?
        {
            return Err(reject(
                "not-yet-valid",
                "Conditions NotBefore is in the future",
            ));
        }
        let noa = Self::parse_instant(conditions.attr("NotOnOrAfter"), "Conditions NotOnOrAfter")?;
        if timed && now >= noa + skew {
            return Err(reject("expired", "Conditions NotOnOrAfter has passed"));
        }
        // Every AudienceRestriction must name this SP (SAML core §2.5.1.4: each is a condition
        // of its own), compared exactly.
        let restrictions: Vec<Vec<String>> = conditions
            .elements()
            .filter(|e| e.is(NS_SAML, "AudienceRestriction"))
            .map(|r| {
                r.elements()
                    .filter(|e| e.is(NS_SAML, "Audience"))
                    .map(Element::text)
                    .collect()
            })
            .collect();
        let names_us = |r: &Vec<String>| r.iter().any(|x| self.same(x, &self.entity_id));
        let refused = if self.has(SpFault::NoAudienceCheck) {
            None
        } else if self.has(SpFault::AnyAudienceRestriction) {
            (!restrictions.iter().any(names_us)).then(|| restrictions.concat())
        } else {
            restrictions.iter().find(|r| !names_us(r)).cloned()
        };
        if restrictions.is_empty() && !self.has(SpFault::NoAudienceCheck) {
            return Err(reject(
                "audience",
                format!("Audience [] does not name this SP {:?}", self.entity_id),
            ));
        }
        if let Some(r) = refused {
            return Err(reject(
                "audience",
                format!("Audience {r:?} does not name this SP {:?}", self.entity_id),
            ));
        }
        let authn = a
            .child(NS_SAML, "AuthnStatement")
            .ok_or_else(|| reject("subject", "no AuthnStatement"))?;
        // The Response and the bearer SubjectConfirmationData name the same request, or neither
        // names one (SAML profiles §4.1.4.2); only the latter is signed with the assertion.
        let in_response_to = match (doc.attr("InResponseTo"), data.attr("InResponseTo")) {
            (None, None) => None,
            (r, _) if self.has(SpFault::ResponseInResponseToOnly) => r.map(String::from),
            (Some(r), Some(d)) if r == d => Some(d.to_string()),
            (r, d) => {
                return Err(reject(
                    "in-response-to",
                    format!(
                        "the Response answers {:?} but the assertion's SubjectConfirmationData answers {:?}",
                        r.unwrap_or("no request"),
                        d.unwrap_or("no request")
                    ),
                ));
            }
        };
        let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if let Some(stmt) = a.child(NS_SAML, "AttributeStatement") {
            for attr in stmt.elements().filter(|e| e.is(NS_SAML, "Attribute")) {
                let name = attr.attr("Name").unwrap_or_default().to_string();
                let values: Vec<String> = attr
                    .elements()
                    .filter(|e| e.is(NS_SAML, "AttributeValue"))
                    .map(Element::text)
                    .collect();
                attributes.entry(name).or_default().extend(values);
            }
        }
        // One-time use: InResponseTo and the assertion ID (checked and recorded together).
        let mut m = self.memory();
        m.seen_assertions.retain(|_, exp| *exp > now);
        let remember = !assertion_id.is_empty() && !self.has(SpFault::NoReplayCache);
        if remember && m.seen_assertions.contains_key(&assertion_id) {
            return Err(reject(
                "replay",
                format!("assertion {assertion_id} was already used"),
            ));
        }
        let answered = match &in_response_to {
            Some(id) => m.outstanding.remove(id).is_some(),
            None => self.config.allow_idp_initiated,
        };
        if !answered {
            return Err(reject(
                "in-response-to",
                match &in_response_to {
                    Some(id) => format!(
                        "InResponseTo {id:?} answers no outstanding request of this SP (unknown or already used)"
                    ),
                    None => "unsolicited responses are not accepted".to_string(),
                },
            ));
        }
        if remember {
            m.seen_assertions
                .insert(assertion_id, noa.max(scd_noa) + skew);
        }
        Ok(Login {
            name_id,
            attributes,
            session_index: authn.attr("SessionIndex").map(String::from),
            in_response_to,
        })
    }

    /// Provision the user and open a session; returns the session id.
    fn sign_in(&self, login: &Login) -> Result<(String, SpSession), Rejection> {
        // Each statement the profile maps, the first of several names for one target winning.
        let mut asserted: Vec<(String, Vec<String>)> = Vec::new();
        for m in &self.store.profile().saml_attributes {
            if asserted.iter().any(|(t, _)| t == &m.target) {
                continue;
            }
            if let Some(v) = login.attributes.get(&m.name).filter(|v| !v.is_empty()) {
                asserted.push((m.target.clone(), v.clone()));
            }
        }
        if let Some(existing) = self.store.find_user_by_name(&login.name_id)
            && existing.body.get("active") == Some(&json!(false))
        {
            return Err(reject(
                "inactive",
                format!("user {} is deactivated", login.name_id),
            ));
        }
        // A workspace provisioned over SCIM does not create accounts at sign-in any more
        // (Atomation: "If a user is assigned before Okta provisions them, their first sign-in
        // can fail").
        if self.store.profile().jit == super::profile::JitRule::BeforeScim
            && self.store.scim_in_use()
            && self.store.find_user_by_name(&login.name_id).is_none()
        {
            return Err(reject(
                "not-provisioned",
                format!(
                    "user {} has no account: this workspace is provisioned over SCIM, and Okta has not provisioned the user yet",
                    login.name_id
                ),
            ));
        }
        let user_id = self
            .store
            .jit_upsert(&login.name_id, &asserted, &self.scim_base)
            .map(|(id, _)| id)
            .map_err(|e| {
                reject(
                    "jit",
                    format!("just-in-time provisioning failed: {}", e.detail),
                )
            })?;
        // Privileges the app applies at each sign-in (Workato's hybrid model): the role
        // attributes SCIM wrote, the groups this assertion carries.
        if let Some(rule) = &self.store.profile().sign_in_privileges {
            let groups = login
                .attributes
                .get(&rule.groups_statement)
                .cloned()
                .unwrap_or_default();
            self.store.apply_sign_in_privileges(&user_id, groups);
        }
        let session = SpSession {
            name_id: login.name_id.clone(),
            user_id: Some(user_id),
            attributes: login.attributes.clone(),
            session_index: login.session_index.clone(),
            authenticated_at: OffsetDateTime::now_utc(),
        };
        let sid = uuid::Uuid::new_v4().simple().to_string();
        let mut m = self.memory();
        if m.sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = m
                .sessions
                .iter()
                .min_by_key(|(_, s)| s.authenticated_at)
                .map(|(k, _)| k.clone())
        {
            m.sessions.remove(&oldest);
        }
        m.sessions.insert(sid.clone(), session.clone());
        drop(m);
        Ok((sid, session))
    }

    fn session_json(&self, s: &SpSession) -> Value {
        let first = |k: &str| s.attributes.get(k).and_then(|v| v.first()).cloned();
        let name = match (first("firstName"), first("lastName")) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(f), None) => Some(f),
            (None, Some(l)) => Some(l),
            _ => first("name")
                .or_else(|| first("fullName"))
                .or_else(|| first("displayName")),
        };
        json!({
            "nameId": s.name_id,
            "userId": s.user_id,
            "email": first("email"),
            "name": name,
            "groups": s
                .attributes
                .get("groups")
                .or_else(|| {
                    let rule = self.store.profile().sign_in_privileges.as_ref()?;
                    s.attributes.get(&rule.groups_statement)
                })
                .cloned()
                .unwrap_or_default(),
            "attributes": s.attributes,
            "sessionIndex": s.session_index,
            "authenticatedAt": crate::timestamp::format(s.authenticated_at),
        })
    }
}

fn json_response(status: StatusCode, v: Value) -> Response {
    let mut r = (status, v.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The SP routes, at the root of the app.
pub fn routes(state: Arc<SpState>) -> Router {
    let acs_path = state.config.acs_path.clone();
    Router::new()
        .route("/saml/metadata", get(metadata))
        .route("/saml/login", get(login_start))
        .route("/saml/test", get(test_start))
        .route("/saml/whoami", get(whoami))
        .route(&acs_path, post(acs))
        .with_state(state)
}

async fn metadata(State(s): State<Arc<SpState>>) -> Response {
    let mut r = s.metadata().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/samlmetadata+xml"),
    );
    r
}

/// The admin's "Test SAML" in the app: an SP-initiated round trip whose outcome the ACS reports
/// (the assertion's NameID and attributes) without signing anyone in or provisioning anyone.
async fn test_start(State(s): State<Arc<SpState>>) -> Response {
    let (_, xml) = s.new_test_request();
    redirect_to_idp(&s, &xml, None)
}

async fn login_start(State(s): State<Arc<SpState>>, RawQuery(q): RawQuery) -> Response {
    let relay = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "RelayState")
        .map(|(_, v)| v.into_owned());
    let (_, xml) = s.new_authn_request();
    redirect_to_idp(&s, &xml, relay)
}

fn redirect_to_idp(s: &SpState, xml: &str, relay: Option<String>) -> Response {
    let mut url = format!(
        "{}{}SAMLRequest={}",
        s.config.idp_sso_url,
        if s.config.idp_sso_url.contains('?') {
            "&"
        } else {
            "?"
        },
        form_urlencoded::byte_serialize(deflate_base64(xml).as_bytes()).collect::<String>()
    );
    if let Some(r) = relay.filter(|r| r.len() <= 80) {
        url.push_str(&format!(
            "&RelayState={}",
            form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
        ));
    }
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == SESSION_COOKIE).then(|| v.to_string())
        })
}

async fn whoami(State(s): State<Arc<SpState>>, headers: HeaderMap) -> Response {
    let session = session_id(&headers).and_then(|id| s.memory().sessions.get(&id).cloned());
    match session {
        Some(sess) => json_response(StatusCode::OK, s.session_json(&sess)),
        None => json_response(StatusCode::UNAUTHORIZED, json!({"error": "not signed in"})),
    }
}

async fn acs(State(s): State<Arc<SpState>>, body: Body) -> Response {
    let bytes = match super::server::read_body(
        body,
        MAX_ACS_BODY,
        std::time::Duration::from_secs(30),
    )
    .await
    {
        Ok(b) => b,
        Err(super::server::BodyError::TooLarge { .. }) => {
            return json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"status": "rejected", "reason": "too-large", "detail": format!("the form is larger than {MAX_ACS_BODY} bytes")}),
            );
        }
        Err(super::server::BodyError::Incomplete) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"status": "rejected", "reason": "malformed", "detail": "the form did not arrive in time"}),
            );
        }
    };
    let form: HashMap<String, String> = form_urlencoded::parse(&bytes).into_owned().collect();
    let Some(resp) = form.get("SAMLResponse").cloned() else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"status": "rejected", "reason": "malformed", "detail": "no SAMLResponse field"}),
        );
    };
    // Parsing and signature checks are CPU work: on a blocking thread, a few at a time, so a
    // flood of hostile posts cannot stall the async workers that serve SCIM.
    let Ok(_permit) = s.validations.acquire().await else {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "rejected", "reason": "shutting-down"}),
        );
    };
    let sp = s.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        sp.validate(&resp).and_then(|login| {
            if sp.is_test(&login) {
                Ok(Err(login))
            } else {
                sp.sign_in(&login).map(Ok)
            }
        })
    })
    .await
    .unwrap_or_else(|_| Err(reject("internal", "the validation did not finish")));
    match outcome {
        Ok(Err(test)) => json_response(
            StatusCode::OK,
            json!({
                "status": "test-passed",
                "nameId": test.name_id,
                "attributes": test.attributes,
                "detail": "the IdP's answer to the test request is valid; nobody was signed in",
            }),
        ),
        Ok(Ok((sid, session))) => {
            let mut body = s.session_json(&session);
            body["status"] = json!("accepted");
            body["relayState"] = json!(form.get("RelayState"));
            let mut r = json_response(StatusCode::OK, body);
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"
            )) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(rej) => {
            tracing::info!(reason = rej.code, "SAML response refused: {}", rej.detail);
            // A post that is not a SAML response at all is a bad request; one that is, refused.
            let status = if rej.code == "malformed" {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::FORBIDDEN
            };
            json_response(
                status,
                json!({"status": "rejected", "reason": rej.code, "detail": rej.detail}),
            )
        }
    }
}
