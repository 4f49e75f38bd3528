//! The simulated Okta identity provider (okta-saml §1): per-app settings, metadata shaped like
//! Okta's, Response/Assertion XML as Okta writes it (prefixes `saml2p`/`saml2`, `id` + digits
//! IDs, ±5 minute windows, SessionIndex, PasswordProtectedTransport, `xs:string` values with
//! both namespaces redeclared on each AttributeValue), signed response and/or assertion, and
//! the two ways in: an AuthnRequest over HTTP-Redirect or HTTP-POST (SP-initiated, answered
//! with InResponseTo) or an unsolicited response (IdP-initiated, with the default RelayState).

use std::io::Read;
use std::str::FromStr;

use base64::Engine;
use rand::Rng;
use time::{Duration, OffsetDateTime};

use super::dsig::{SigAlg, SignOptions, sign_element};
use super::keys::SigningKey;
use super::xml::{NS_MD, escape_attr, escape_text};

/// NameID format `unspecified` (Okta's default).
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// NameID format `emailAddress`.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// Attribute NameFormat `unspecified` (Okta's default).
pub const ATTRNAME_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified";
/// The bearer SubjectConfirmation method of Web Browser SSO.
pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// The status of a successful response.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// The AuthnContextClassRef of a password sign-in.
pub const PASSWORD_PROTECTED: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
/// Bound on a decoded AuthnRequest: a DEFLATE bomb stops here.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Why the IdP could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum IdpError {
    /// Not base64.
    #[error("the SAMLRequest is not valid base64")]
    Base64,
    /// The DEFLATE stream is broken.
    #[error("the SAMLRequest is not DEFLATE-compressed data: {0}")]
    Inflate(String),
    /// Larger than the IdP accepts.
    #[error("the SAMLRequest is larger than {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    /// Not an AuthnRequest.
    #[error("the SAMLRequest is not an AuthnRequest: {0}")]
    NotAuthnRequest(String),
    #[error(
        "the AuthnRequest asks for ACS {0:?}, which this app does not allow (configured: {1:?})"
    )]
    /// The AuthnRequest asks for an ACS this app does not have.
    AcsNotAllowed(String, String),
    /// The Redirect-binding signature of the request does not verify.
    #[error("the AuthnRequest's signature does not verify: {0}")]
    BadRequestSignature(String),
    /// Signing failed.
    #[error("cannot sign: {0}")]
    Sign(String),
}

/// How the app's groups claim picks groups (Okta's group attribute statement filter).
#[derive(Debug, Clone)]
pub enum GroupFilter {
    /// Groups whose name starts with this.
    StartsWith(String),
    /// Groups named exactly this.
    Equals(String),
    /// Groups whose name contains this.
    Contains(String),
    /// Groups whose name matches this regular expression.
    Regex(regex::Regex),
}

impl GroupFilter {
    /// Whether a group passes the filter.
    pub fn matches(&self, group: &str) -> bool {
        match self {
            GroupFilter::StartsWith(p) => group.starts_with(p.as_str()),
            GroupFilter::Equals(p) => group == p,
            GroupFilter::Contains(p) => group.contains(p.as_str()),
            GroupFilter::Regex(r) => r.is_match(group),
        }
    }
}

/// An attribute statement: attribute name, NameFormat, and which profile field fills it.
#[derive(Debug, Clone)]
pub struct AttributeStatement {
    /// The attribute's Name.
    pub name: String,
    /// The attribute's NameFormat.
    pub name_format: String,
    /// The profile field it carries.
    pub value: ProfileField,
}

/// A field of the Okta user profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileField {
    /// The email.
    Email,
    /// The first name.
    FirstName,
    /// The last name.
    LastName,
    /// First and last name.
    DisplayName,
    /// The Okta login (username).
    Login,
    /// A fixed value.
    Literal(String),
    /// A custom profile attribute of the user.
    Custom(String),
}

/// Where the simulated Okta IdP says it lives by default (the default of `okta-sim saml idp`).
pub const DEFAULT_IDP_ORG_URL: &str = "http://127.0.0.1:7000";

/// Which parts of a response are signed (Okta signs both by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SignParts {
    /// The Response and the Assertion.
    Both,
    /// The Response only.
    Response,
    /// The Assertion only.
    Assertion,
}

/// One SAML app instance in the simulated Okta org.
#[derive(Debug, Clone)]
pub struct SamlApp {
    /// Where the IdP is served, e.g. `http://127.0.0.1:7000` (the metadata and SSO URLs hang off it).
    pub org_url: String,
    /// Okta's app instance name, e.g. `oktasim_app_1`.
    pub app_name: String,
    /// `exk` + 17 characters; the issuer is `http://www.okta.com/{entity_key}`.
    pub entity_key: String,
    /// The SP's ACS URL.
    pub acs_url: String,
    /// Defaults to the ACS URL, as in Okta.
    pub recipient: Option<String>,
    /// Defaults to the ACS URL, as in Okta.
    pub destination: Option<String>,
    /// The SP's entity ID, sent as Audience.
    pub audience: String,
    /// The NameID format.
    pub name_id_format: String,
    /// Which profile field becomes the NameID (Okta's username template, `${user.userName}` by default).
    pub name_id_source: ProfileField,
    /// Sign the Response.
    pub response_signed: bool,
    /// Sign the Assertion.
    pub assertion_signed: bool,
    /// The signature algorithm.
    pub alg: SigAlg,
    /// The AuthnContextClassRef.
    pub authn_context_class_ref: String,
    /// The RelayState of IdP-initiated sign-ins.
    pub default_relay_state: Option<String>,
    /// The attribute statements.
    pub attributes: Vec<AttributeStatement>,
    /// The group attribute statement: name and filter.
    pub group_attribute: Option<(String, GroupFilter)>,
    /// Validity window around the issue instant (Okta: 5 minutes).
    pub validity: Duration,
    /// When set, signed AuthnRequests (Redirect binding) must verify with this SP certificate.
    pub sp_request_cert: Option<Vec<u8>>,
    /// Where response ids and times come from when a run must repeat (its seed and clock);
    /// none: random ids and real time.
    pub source: Option<std::sync::Arc<IdSource>>,
}

/// The ids and times of the responses of a run that must repeat: ids from the run's seed,
/// times from its fixed clock (one millisecond per reading) or real time.
#[derive(Debug)]
pub struct IdSource {
    inner: std::sync::Mutex<(rand_chacha::ChaCha8Rng, Option<(OffsetDateTime, i64)>)>,
}

impl IdSource {
    /// A source from `seed`, with a fixed clock starting at `clock` when given.
    pub fn new(seed: u64, clock: Option<OffsetDateTime>) -> Self {
        use rand::SeedableRng;
        IdSource {
            inner: std::sync::Mutex::new((
                rand_chacha::ChaCha8Rng::seed_from_u64(seed),
                clock.map(|c| (c, 0)),
            )),
        }
    }

    fn draw<T>(
        &self,
        f: impl FnOnce(&mut rand_chacha::ChaCha8Rng, Option<&mut (OffsetDateTime, i64)>) -> T,
    ) -> T {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (rng, clock) = &mut *g;
        f(rng, clock.as_mut())
    }

    fn now(&self) -> OffsetDateTime {
        self.draw(|_, clock| match clock {
            Some((start, n)) => {
                *n += 1;
                *start + Duration::milliseconds(*n)
            }
            None => OffsetDateTime::now_utc(),
        })
    }

    fn okta_id(&self) -> String {
        self.draw(|rng, _| okta_id_from(rng))
    }

    fn number(&self) -> u32 {
        self.draw(|rng, _| rng.random_range(100_000_000..999_999_999u32))
    }
}

impl SamlApp {
    /// An app with Okta's defaults: both response and assertion signed with RSA-SHA256, NameID
    /// unspecified, attributes `email`, `firstName`, `lastName`, and `groups` (all groups).
    pub fn new(org_url: &str, acs_url: &str, audience: &str) -> Self {
        SamlApp {
            org_url: org_url.trim_end_matches('/').to_string(),
            app_name: "oktasim_app_1".into(),
            entity_key: format!("exk{}", random_chars(17)),
            acs_url: acs_url.to_string(),
            recipient: None,
            destination: None,
            audience: audience.to_string(),
            name_id_format: NAMEID_UNSPECIFIED.into(),
            name_id_source: ProfileField::Login,
            response_signed: true,
            assertion_signed: true,
            alg: SigAlg::RsaSha256,
            authn_context_class_ref: PASSWORD_PROTECTED.into(),
            default_relay_state: None,
            attributes: vec![
                AttributeStatement {
                    name: "email".into(),
                    name_format: ATTRNAME_UNSPECIFIED.into(),
                    value: ProfileField::Email,
                },
                AttributeStatement {
                    name: "firstName".into(),
                    name_format: ATTRNAME_UNSPECIFIED.into(),
                    value: ProfileField::FirstName,
                },
                AttributeStatement {
                    name: "lastName".into(),
                    name_format: ATTRNAME_UNSPECIFIED.into(),
                    value: ProfileField::LastName,
                },
            ],
            group_attribute: Some((
                "groups".into(),
                GroupFilter::Regex(regex::Regex::new(".*").expect("valid regex")),
            )),
            validity: Duration::minutes(5),
            sp_request_cert: None,
            source: None,
        }
    }

    /// The same app, with an entity key derived from the signing certificate, so that an IdP
    /// whose key is saved keeps its issuer from one run to the next.
    pub fn with_key_identity(mut self, key: &SigningKey) -> Self {
        self.entity_key = entity_key_for(&key.cert_der);
        self
    }

    /// The same app, signing these parts, with RSA-SHA1 when `sha1`.
    pub fn signing(mut self, parts: SignParts, sha1: bool) -> Self {
        self.response_signed = parts != SignParts::Assertion;
        self.assertion_signed = parts != SignParts::Response;
        if sha1 {
            self.alg = SigAlg::RsaSha1;
        }
        self
    }

    /// The same app with no attribute statements (the caller gives its own).
    pub fn without_default_attributes(mut self) -> Self {
        self.attributes.clear();
        self.group_attribute = None;
        self
    }

    /// A new `id` + 26 digits: from the run's seed when the app has a source.
    pub fn fresh_id(&self) -> String {
        self.source.as_ref().map_or_else(okta_id, |s| s.okta_id())
    }

    /// `http://www.okta.com/exk…`: the IdP entity ID and Issuer.
    pub fn issuer(&self) -> String {
        format!("http://www.okta.com/{}", self.entity_key)
    }

    /// The SSO URL (both bindings, SP- and IdP-initiated): `{org}/app/{app}/{exk}/sso/saml`.
    pub fn sso_url(&self) -> String {
        format!(
            "{}/app/{}/{}/sso/saml",
            self.org_url, self.app_name, self.entity_key
        )
    }

    /// The metadata URL, as Okta serves it.
    pub fn metadata_url(&self) -> String {
        format!("{}/app/{}/sso/saml/metadata", self.org_url, self.entity_key)
    }

    /// The IdP metadata, shaped like Okta's (okta-saml §1.3).
    pub fn metadata(&self, key: &SigningKey) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><md:EntityDescriptor xmlns:md=\"{NS_MD}\" entityID=\"{}\">\
             <md:IDPSSODescriptor WantAuthnRequestsSigned=\"{}\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
             <md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data>\
             <ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
             <md:NameIDFormat>{NAMEID_UNSPECIFIED}</md:NameIDFormat><md:NameIDFormat>{NAMEID_EMAIL}</md:NameIDFormat>\
             <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{}\"/>\
             <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{}\"/>\
             </md:IDPSSODescriptor></md:EntityDescriptor>",
            escape_attr(&self.issuer()),
            self.sp_request_cert.is_some(),
            key.cert_base64(),
            escape_attr(&self.sso_url()),
            escape_attr(&self.sso_url()),
        )
    }
}

/// The Okta user signing in: NameID and profile.
#[derive(Debug, Clone, Default)]
pub struct SamlUser {
    /// The NameID (Okta's username by default).
    pub name_id: String,
    /// The email.
    pub email: String,
    /// The first name.
    pub first_name: String,
    /// The last name.
    pub last_name: String,
    /// The groups, for the groups attribute.
    pub groups: Vec<String>,
    /// Custom profile attributes, by name.
    pub custom: Vec<(String, String)>,
}

impl SamlUser {
    fn field(&self, f: &ProfileField) -> Option<String> {
        Some(match f {
            ProfileField::Email => self.email.clone(),
            ProfileField::FirstName => self.first_name.clone(),
            ProfileField::LastName => self.last_name.clone(),
            ProfileField::DisplayName => format!("{} {}", self.first_name, self.last_name),
            ProfileField::Login => self.name_id.clone(),
            ProfileField::Literal(v) => v.clone(),
            ProfileField::Custom(name) => self.custom.iter().find(|(k, _)| k == name)?.1.clone(),
        })
    }
}

/// Every value of a response, before it is written and signed. The attack catalogue changes
/// fields here so that only the field under test is wrong while the signature is valid.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    /// The Response ID (`id` + 26 digits).
    pub response_id: String,
    /// The Assertion ID (empty: the Assertion has none, and can then be signed only as part
    /// of the Response).
    pub assertion_id: String,
    /// When it was issued.
    pub issue_instant: OffsetDateTime,
    /// The Destination (the ACS URL).
    pub destination: Option<String>,
    /// The AuthnRequest the Response answers, when SP-initiated.
    pub in_response_to: Option<String>,
    /// The AuthnRequest the assertion's SubjectConfirmationData answers (Okta: the same).
    pub subject_in_response_to: Option<String>,
    /// The Response Issuer.
    pub response_issuer: String,
    /// The Assertion Issuer.
    pub assertion_issuer: String,
    /// The StatusCode value.
    pub status: String,
    /// The NameID.
    pub name_id: String,
    /// The NameID format.
    pub name_id_format: String,
    /// The SubjectConfirmationData Recipient (empty: none).
    pub recipient: String,
    /// The SubjectConfirmation Method (Okta: bearer).
    pub confirmation_method: String,
    /// A SubjectConfirmationData NotBefore (Okta sends none: bearer confirmations must not).
    pub subject_not_before: Option<OffsetDateTime>,
    /// The SubjectConfirmationData NotOnOrAfter.
    pub subject_not_on_or_after: OffsetDateTime,
    /// The Conditions NotBefore.
    pub not_before: OffsetDateTime,
    /// The Conditions NotOnOrAfter.
    pub not_on_or_after: OffsetDateTime,
    /// The Audience; none leaves out the AudienceRestriction.
    pub audience: Option<String>,
    /// More AudienceRestriction elements after the first, one Audience each (Okta sends none).
    pub more_audience_restrictions: Vec<String>,
    /// The AuthnStatement SessionIndex.
    pub session_index: String,
    /// Whether the assertion has an AuthnStatement (Okta's always does).
    pub authn_statement: bool,
    /// The AuthnContextClassRef.
    pub authn_context_class_ref: String,
    /// (name, NameFormat, values)
    pub attributes: Vec<(String, String, Vec<String>)>,
    /// Sign the Response.
    pub response_signed: bool,
    /// Sign the Assertion.
    pub assertion_signed: bool,
    /// The signature algorithm.
    pub alg: SigAlg,
}

/// `id` + 26 digits, like Okta's IDs.
pub fn okta_id() -> String {
    okta_id_from(&mut rand::rng())
}

fn okta_id_from(rng: &mut impl Rng) -> String {
    let digits: String = (0..26)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect();
    format!("id{digits}")
}

/// `exk` + 17 characters derived from a certificate.
pub fn entity_key_for(cert_der: &[u8]) -> String {
    use sha2::Digest;
    const A: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let hash = sha2::Sha256::digest(cert_der);
    format!(
        "exk{}",
        hash.iter()
            .take(17)
            .map(|b| A[*b as usize % A.len()] as char)
            .collect::<String>()
    )
}

fn random_chars(n: usize) -> String {
    const A: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| A[rng.random_range(0..A.len())] as char)
        .collect()
}

impl ResponseSpec {
    /// The response Okta would send now for `user` signing in to `app`.
    pub fn for_user(app: &SamlApp, user: &SamlUser, in_response_to: Option<&str>) -> Self {
        let now = app
            .source
            .as_ref()
            .map_or_else(OffsetDateTime::now_utc, |s| s.now());
        let id = || app.source.as_ref().map_or_else(okta_id, |s| s.okta_id());
        let mut attributes: Vec<(String, String, Vec<String>)> = app
            .attributes
            .iter()
            .filter_map(|a| {
                user.field(&a.value)
                    .map(|v| (a.name.clone(), a.name_format.clone(), vec![v]))
            })
            .collect();
        if let Some((name, filter)) = &app.group_attribute {
            let groups: Vec<String> = user
                .groups
                .iter()
                .filter(|g| filter.matches(g))
                .cloned()
                .collect();
            if !groups.is_empty() {
                attributes.push((name.clone(), ATTRNAME_UNSPECIFIED.into(), groups));
            }
        }
        let session_index = match in_response_to {
            Some(id) => id.to_string(),
            None => format!(
                "id{}.{}",
                now.unix_timestamp() * 1000,
                app.source.as_ref().map_or_else(
                    || rand::rng().random_range(100_000_000..999_999_999u32),
                    |s| s.number()
                )
            ),
        };
        ResponseSpec {
            response_id: id(),
            assertion_id: id(),
            issue_instant: now,
            destination: Some(
                app.destination
                    .clone()
                    .unwrap_or_else(|| app.acs_url.clone()),
            ),
            in_response_to: in_response_to.map(String::from),
            subject_in_response_to: in_response_to.map(String::from),
            response_issuer: app.issuer(),
            assertion_issuer: app.issuer(),
            status: STATUS_SUCCESS.into(),
            name_id: user
                .field(&app.name_id_source)
                .unwrap_or_else(|| user.name_id.clone()),
            name_id_format: app.name_id_format.clone(),
            recipient: app.recipient.clone().unwrap_or_else(|| app.acs_url.clone()),
            confirmation_method: BEARER.into(),
            subject_not_before: None,
            subject_not_on_or_after: now + app.validity,
            not_before: now - app.validity,
            not_on_or_after: now + app.validity,
            audience: Some(app.audience.clone()),
            more_audience_restrictions: Vec::new(),
            session_index,
            authn_statement: true,
            authn_context_class_ref: app.authn_context_class_ref.clone(),
            attributes,
            response_signed: app.response_signed,
            assertion_signed: app.assertion_signed,
            alg: app.alg,
        }
    }

    /// The Assertion element, unsigned.
    pub fn assertion_xml(&self) -> String {
        let irt = self
            .subject_in_response_to
            .as_ref()
            .map(|i| format!(" InResponseTo=\"{}\"", escape_attr(i)))
            .unwrap_or_default();
        let snb = self
            .subject_not_before
            .map(|t| format!(" NotBefore=\"{}\"", crate::timestamp::format(t)))
            .unwrap_or_default();
        let recipient = if self.recipient.is_empty() {
            String::new()
        } else {
            format!(" Recipient=\"{}\"", escape_attr(&self.recipient))
        };
        let id = if self.assertion_id.is_empty() {
            String::new()
        } else {
            format!(" ID=\"{}\"", escape_attr(&self.assertion_id))
        };
        let mut s = format!(
            "<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\"{id} IssueInstant=\"{}\" Version=\"2.0\">\
             <saml2:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{}</saml2:Issuer>\
             <saml2:Subject><saml2:NameID Format=\"{}\">{}</saml2:NameID>\
             <saml2:SubjectConfirmation Method=\"{}\">\
             <saml2:SubjectConfirmationData{irt}{snb} NotOnOrAfter=\"{}\"{recipient}/></saml2:SubjectConfirmation></saml2:Subject>\
             <saml2:Conditions NotBefore=\"{}\" NotOnOrAfter=\"{}\">",
            crate::timestamp::format(self.issue_instant),
            escape_text(&self.assertion_issuer),
            escape_attr(&self.name_id_format),
            escape_text(&self.name_id),
            escape_attr(&self.confirmation_method),
            crate::timestamp::format(self.subject_not_on_or_after),
            crate::timestamp::format(self.not_before),
            crate::timestamp::format(self.not_on_or_after),
        );
        for aud in self.audience.iter().chain(&self.more_audience_restrictions) {
            s.push_str(&format!("<saml2:AudienceRestriction><saml2:Audience>{}</saml2:Audience></saml2:AudienceRestriction>", escape_text(aud)));
        }
        s.push_str("</saml2:Conditions>");
        if self.authn_statement {
            s.push_str(&format!(
                "<saml2:AuthnStatement AuthnInstant=\"{}\" SessionIndex=\"{}\"><saml2:AuthnContext>\
                 <saml2:AuthnContextClassRef>{}</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>",
                crate::timestamp::format(self.issue_instant),
                escape_attr(&self.session_index),
                escape_text(&self.authn_context_class_ref),
            ));
        }
        if !self.attributes.is_empty() {
            s.push_str("<saml2:AttributeStatement>");
            for (name, format, values) in &self.attributes {
                s.push_str(&format!(
                    "<saml2:Attribute Name=\"{}\" NameFormat=\"{}\">",
                    escape_attr(name),
                    escape_attr(format)
                ));
                for v in values {
                    s.push_str(&format!(
                        "<saml2:AttributeValue xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" \
                         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"xs:string\">{}</saml2:AttributeValue>",
                        escape_text(v)
                    ));
                }
                s.push_str("</saml2:Attribute>");
            }
            s.push_str("</saml2:AttributeStatement>");
        }
        s.push_str("</saml2:Assertion>");
        s
    }

    fn sign_options(&self) -> SignOptions {
        SignOptions {
            alg: self.alg,
            inclusive_prefixes: if self.attributes.is_empty() {
                vec![]
            } else {
                vec!["xs".into()]
            },
        }
    }

    /// The assertion, signed when the spec says so (as a standalone element).
    pub fn signed_assertion(&self, key: &SigningKey) -> Result<String, IdpError> {
        let a = self.assertion_xml();
        if self.assertion_signed {
            sign_element(&a, &[], key, &self.sign_options())
                .map_err(|e| IdpError::Sign(e.to_string()))
        } else {
            Ok(a)
        }
    }

    /// The whole Response around the given (already signed or not) assertion XML.
    pub fn response_around(&self, assertion: &str, key: &SigningKey) -> Result<String, IdpError> {
        let dest = self
            .destination
            .as_ref()
            .map(|d| format!(" Destination=\"{}\"", escape_attr(d)))
            .unwrap_or_default();
        let irt = self
            .in_response_to
            .as_ref()
            .map(|i| format!(" InResponseTo=\"{}\"", escape_attr(i)))
            .unwrap_or_default();
        let xml = format!(
            "<saml2p:Response xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\"{dest} ID=\"{}\"{irt} IssueInstant=\"{}\" Version=\"2.0\">\
             <saml2:Issuer xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{}</saml2:Issuer>\
             <saml2p:Status xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\"><saml2p:StatusCode Value=\"{}\"/></saml2p:Status>{assertion}</saml2p:Response>",
            escape_attr(&self.response_id),
            crate::timestamp::format(self.issue_instant),
            escape_text(&self.response_issuer),
            escape_attr(&self.status),
        );
        if self.response_signed {
            sign_element(&xml, &[], key, &self.sign_options())
                .map_err(|e| IdpError::Sign(e.to_string()))
        } else {
            Ok(xml)
        }
    }

    /// Attribute statements from `NAME=VALUE` pairs; a repeated name is one multi-valued attribute.
    pub fn attributes_from_pairs(pairs: &[(String, String)]) -> Vec<(String, String, Vec<String>)> {
        let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
        for (name, value) in pairs {
            match out.iter_mut().find(|(n, _, _)| n == name) {
                Some(entry) => entry.2.push(value.clone()),
                None => out.push((
                    name.clone(),
                    ATTRNAME_UNSPECIFIED.to_string(),
                    vec![value.clone()],
                )),
            }
        }
        out
    }

    /// The signed response, as XML.
    pub fn to_xml(&self, key: &SigningKey) -> Result<String, IdpError> {
        let assertion = self.signed_assertion(key)?;
        self.response_around(&assertion, key)
    }
}

/// Base64 of the XML, as the HTTP-POST binding sends it.
pub fn base64_encode(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml.as_bytes())
}

/// The HTML page an IdP answers with: a form that a browser posts to the ACS at once.
pub fn post_form(acs: &str, saml_response_b64: &str, relay_state: Option<&str>) -> String {
    let relay = relay_state
        .map(|r| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\"/>",
                escape_attr(r)
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>okta-sim</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">\
         <input type=\"hidden\" name=\"SAMLResponse\" value=\"{}\"/>{relay}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        escape_attr(acs),
        escape_attr(saml_response_b64)
    )
}

/// Decode an AuthnRequest from the HTTP-Redirect binding (base64 of raw DEFLATE) or the
/// HTTP-POST binding (plain base64), bounded in size.
pub fn decode_authn_request(saml_request: &str, deflated: bool) -> Result<String, IdpError> {
    let compact: String = saml_request
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| IdpError::Base64)?;
    let bytes = if deflated {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&raw[..])
            .take(MAX_REQUEST_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| IdpError::Inflate(e.to_string()))?;
        out
    } else {
        raw
    };
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(IdpError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|e| IdpError::NotAuthnRequest(e.to_string()))
}

/// The facts of an AuthnRequest the IdP needs.
#[derive(Debug, Clone)]
pub struct AuthnRequestInfo {
    /// The request's ID.
    pub id: String,
    /// The ACS URL it asks for, if any.
    pub acs_url: Option<String>,
    /// Its Issuer, if any.
    pub issuer: Option<String>,
}

/// Parse an AuthnRequest (DOCTYPEs refused first), with samael's types.
pub fn parse_authn_request(xml: &str) -> Result<AuthnRequestInfo, IdpError> {
    super::xml::parse(xml).map_err(|e| IdpError::NotAuthnRequest(e.to_string()))?;
    let req = samael::schema::AuthnRequest::from_str(xml)
        .map_err(|e| IdpError::NotAuthnRequest(e.to_string()))?;
    if req.id.is_empty() {
        return Err(IdpError::NotAuthnRequest("it has no ID".into()));
    }
    Ok(AuthnRequestInfo {
        id: req.id,
        acs_url: req.assertion_consumer_service_url,
        issuer: req.issuer.and_then(|i| i.value),
    })
}

/// Verify the signature of an HTTP-Redirect request (SAML bindings §3.4.4.1): over
/// `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as they appeared in the query string.
pub fn verify_redirect_signature(raw_query: &str, cert_der: &[u8]) -> Result<(), IdpError> {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    let bad = |m: &str| IdpError::BadRequestSignature(m.to_string());
    let parts: Vec<(&str, &str)> = raw_query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .collect();
    let get = |k: &str| parts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let mut signed = format!(
        "SAMLRequest={}",
        get("SAMLRequest").ok_or_else(|| bad("no SAMLRequest"))?
    );
    if let Some(r) = get("RelayState") {
        signed.push_str(&format!("&RelayState={r}"));
    }
    let sig_alg_raw = get("SigAlg").ok_or_else(|| bad("no SigAlg"))?;
    signed.push_str(&format!("&SigAlg={sig_alg_raw}"));
    let sig_alg: String = form_urlencoded::parse(format!("a={sig_alg_raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let sig_b64: String = form_urlencoded::parse(
        format!("a={}", get("Signature").ok_or_else(|| bad("no Signature"))?).as_bytes(),
    )
    .next()
    .map(|(_, v)| v.into_owned())
    .unwrap_or_default();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig_b64.trim())
        .map_err(|_| bad("Signature is not base64"))?;
    let key = super::keys::public_key_of(cert_der).map_err(|e| bad(&e.to_string()))?;
    let sig = Signature::try_from(sig.as_slice()).map_err(|_| bad("malformed signature"))?;
    let ok = match sig_alg.as_str() {
        super::dsig::ALG_RSA_SHA256 => VerifyingKey::<sha2::Sha256>::new(key)
            .verify(signed.as_bytes(), &sig)
            .is_ok(),
        other => return Err(bad(&format!("unsupported SigAlg {other}"))),
    };
    if ok {
        Ok(())
    } else {
        Err(bad("wrong signature"))
    }
}

/// Encode an AuthnRequest for the HTTP-Redirect binding: base64 of raw DEFLATE.
pub fn deflate_base64(xml: &str) -> String {
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(xml.as_bytes());
    let bytes = enc.finish().unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::dsig::{AlgPolicy, verify};
    use crate::saml::xml::{NS_DS, NS_SAML, parse};

    fn app() -> SamlApp {
        SamlApp::new(
            "http://idp.test",
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
            groups: vec!["Engineering".into(), "Everyone".into()],
            custom: vec![],
        }
    }

    #[test]
    fn responses_are_okta_shaped_and_both_signatures_verify() {
        let key = SigningKey::test_fixture();
        let app = app();
        let spec = ResponseSpec::for_user(&app, &user(), Some("id-req-1"));
        let xml = spec.to_xml(&key).unwrap();
        assert!(xml.starts_with("<saml2p:Response xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\" Destination=\"https://sp.test/saml/acs\" ID=\"id"));
        let doc = parse(&xml).unwrap();
        // Issuer, Signature, Status, Assertion (Issuer, Signature, Subject, Conditions, AuthnStatement, AttributeStatement)
        let names: Vec<&str> = doc.elements().map(|e| e.local.as_str()).collect();
        assert_eq!(names, ["Issuer", "Signature", "Status", "Assertion"]);
        let a = doc.child(NS_SAML, "Assertion").unwrap();
        let names: Vec<&str> = a.elements().map(|e| e.local.as_str()).collect();
        assert_eq!(
            names,
            [
                "Issuer",
                "Signature",
                "Subject",
                "Conditions",
                "AuthnStatement",
                "AttributeStatement"
            ]
        );
        assert!(a.attr("ID").unwrap().starts_with("id") && a.attr("ID").unwrap().len() == 28);
        assert_eq!(a.child(NS_SAML, "Issuer").unwrap().text(), app.issuer());
        let groups = a
            .child(NS_SAML, "AttributeStatement")
            .unwrap()
            .elements()
            .find(|e| e.attr("Name") == Some("groups"))
            .unwrap();
        assert_eq!(groups.elements().count(), 2);
        let pk = key.public_key();
        let policy = AlgPolicy { allow_sha1: false };
        assert!(verify(&doc, &[1], &pk, policy).is_ok());
        assert!(verify(&doc, &[3, 1], &pk, policy).is_ok());
        assert!(doc.at(&[3, 1]).unwrap().is(NS_DS, "Signature"));
        assert!(xml.contains("PrefixList=\"xs\""));
        assert!(xml.contains(&"SessionIndex=\"id-req-1\"".to_string()));
    }

    #[test]
    fn the_name_id_follows_the_app_template() {
        let mut a = app();
        let mut u = user();
        u.email = "ada.work@example.com".into();
        assert_eq!(
            ResponseSpec::for_user(&a, &u, None).name_id,
            "ada@example.com"
        );
        a.name_id_source = ProfileField::Email;
        a.name_id_format = NAMEID_EMAIL.into();
        let spec = ResponseSpec::for_user(&a, &u, None);
        assert_eq!(spec.name_id, "ada.work@example.com");
        assert!(spec.assertion_xml().contains("Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">ada.work@example.com<"));
    }

    #[test]
    fn signed_redirect_requests_verify_and_tampering_is_caught() {
        use rsa::pkcs1v15::SigningKey as Signer;
        use rsa::signature::{SignatureEncoding, Signer as _};
        let sp = SigningKey::from_pem(
            include_str!("../../fixtures/keys/test-sp-key.pem"),
            include_str!("../../fixtures/keys/test-sp-cert.pem"),
        )
        .unwrap();
        let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let signed = format!(
            "SAMLRequest={}&RelayState={}&SigAlg={}",
            enc("abc+/="),
            enc("/home"),
            enc(super::super::dsig::ALG_RSA_SHA256)
        );
        let sig = Signer::<sha2::Sha256>::new(sp.key.clone())
            .sign(signed.as_bytes())
            .to_vec();
        let query = format!(
            "{signed}&Signature={}",
            enc(&base64::engine::general_purpose::STANDARD.encode(sig))
        );
        assert!(verify_redirect_signature(&query, &sp.cert_der).is_ok());
        let tampered = query.replace("%2Fhome", "%2Fevil");
        assert!(verify_redirect_signature(&tampered, &sp.cert_der).is_err());
        assert!(verify_redirect_signature(&query, &SigningKey::test_fixture().cert_der).is_err());
        assert!(verify_redirect_signature("SAMLRequest=x", &sp.cert_der).is_err());
    }

    #[test]
    fn group_filters_pick_groups() {
        let mut a = app();
        a.group_attribute = Some(("groups".into(), GroupFilter::StartsWith("Eng".into())));
        let spec = ResponseSpec::for_user(&a, &user(), None);
        let g = spec
            .attributes
            .iter()
            .find(|(n, _, _)| n == "groups")
            .unwrap();
        assert_eq!(g.2, ["Engineering"]);
        assert!(GroupFilter::Contains("very".into()).matches("Everyone"));
        assert!(GroupFilter::Equals("Everyone".into()).matches("Everyone"));
    }

    #[test]
    fn metadata_is_okta_shaped() {
        let key = SigningKey::test_fixture();
        let a = app();
        let md = a.metadata(&key);
        let doc = parse(&md).unwrap();
        assert_eq!(doc.attr("entityID").unwrap(), a.issuer());
        assert!(a.issuer().starts_with("http://www.okta.com/exk") && a.entity_key.len() == 20);
        let idp = doc.child(NS_MD, "IDPSSODescriptor").unwrap();
        assert_eq!(
            idp.elements()
                .filter(|e| e.local == "SingleSignOnService")
                .count(),
            2
        );
        assert!(md.contains(&key.cert_base64()));
    }

    #[test]
    fn authn_requests_decode_from_both_bindings_and_bombs_stop() {
        let req = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_abc123" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" AssertionConsumerServiceURL="https://sp.test/saml/acs"><saml:Issuer>https://sp.test/saml/metadata</saml:Issuer></samlp:AuthnRequest>"#;
        let redirect = decode_authn_request(&deflate_base64(req), true).unwrap();
        let info = parse_authn_request(&redirect).unwrap();
        assert_eq!(info.id, "_abc123");
        assert_eq!(info.acs_url.as_deref(), Some("https://sp.test/saml/acs"));
        assert_eq!(
            info.issuer.as_deref(),
            Some("https://sp.test/saml/metadata")
        );
        assert!(
            parse_authn_request(&decode_authn_request(&base64_encode(req), false).unwrap()).is_ok()
        );
        let bomb = deflate_base64(&"a".repeat(10 * 1024 * 1024));
        assert!(matches!(
            decode_authn_request(&bomb, true),
            Err(IdpError::TooLarge)
        ));
        assert!(matches!(
            decode_authn_request("!!!", true),
            Err(IdpError::Base64)
        ));
        assert!(parse_authn_request("<!DOCTYPE x><x/>").is_err());
    }
}
