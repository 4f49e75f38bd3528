//! Enveloped XML signatures as Okta writes them (okta-saml §1.2): exclusive C14N for SignedInfo,
//! transforms `enveloped-signature` then `xml-exc-c14n#` (with an InclusiveNamespaces PrefixList
//! of `xs` when attribute values are typed), one Reference to the ID of the signed element,
//! RSA-SHA256 with a SHA-256 digest (RSA-SHA1 and SHA-1 on request), and the certificate in
//! KeyInfo. Verification is strict: one Reference, pointing at the signature's own parent, whose
//! ID is unique in the document; only those two transforms; the key is the configured
//! certificate's, never KeyInfo's.

use base64::Engine;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha1::Sha1;
use sha2::Sha256;

use super::keys::SigningKey;
use super::xml::{Element, NS_DS, NS_EC, Node, XmlError, exc_c14n, parse};

/// Exclusive XML canonicalization without comments.
pub const ALG_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The enveloped-signature transform.
pub const ALG_ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// RSA with SHA-256.
pub const ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// RSA with SHA-1.
pub const ALG_RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
/// The SHA-256 digest.
pub const ALG_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// The SHA-1 digest.
pub const ALG_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// The signature and digest algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigAlg {
    /// RSA-SHA256 with SHA-256 digests (Okta's default).
    RsaSha256,
    /// RSA-SHA1 with SHA-1 digests.
    RsaSha1,
}

impl SigAlg {
    fn signature_uri(self) -> &'static str {
        match self {
            SigAlg::RsaSha256 => ALG_RSA_SHA256,
            SigAlg::RsaSha1 => ALG_RSA_SHA1,
        }
    }
    fn digest_uri(self) -> &'static str {
        match self {
            SigAlg::RsaSha256 => ALG_SHA256,
            SigAlg::RsaSha1 => ALG_SHA1,
        }
    }
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsigError {
    /// The document is not acceptable XML.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The signed element is missing.
    #[error("no element at the signature's position")]
    NoElement,
    /// The signed element has no ID.
    #[error("the signed element has no ID attribute")]
    NoId,
    /// The Signature is not well formed.
    #[error("the signature is malformed: {0}")]
    Malformed(String),
    /// Not exactly one Reference.
    #[error("the signature must have exactly one Reference, it has {0}")]
    References(usize),
    #[error(
        "the Reference URI {0:?} does not point at the element that holds the signature (ID {1:?})"
    )]
    /// The Reference points elsewhere than the signed element.
    WrongReference(String, String),
    /// The referenced ID is not unique in the document.
    #[error("the ID {0:?} occurs {1} times in the document")]
    DuplicateId(String, usize),
    /// An algorithm or transform that is not allowed.
    #[error("unsupported or disallowed algorithm {0}")]
    Algorithm(String),
    /// The digest of the referenced element does not match.
    #[error("the digest does not match: the signed content was changed")]
    DigestMismatch,
    /// The signature value does not verify with the trusted key.
    #[error("the signature value does not verify with the trusted certificate")]
    BadSignature,
}

/// What to sign with.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// The algorithm to sign with.
    pub alg: SigAlg,
    /// The InclusiveNamespaces PrefixList of the exc-c14n transform (Okta: `xs` with attributes).
    pub inclusive_prefixes: Vec<String>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The digest, by OpenSSL (its SHA-256 uses the CPU's SHA extensions where there are some).
fn digest(alg: SigAlg, data: &[u8]) -> Vec<u8> {
    match alg {
        SigAlg::RsaSha256 => openssl::sha::sha256(data).to_vec(),
        SigAlg::RsaSha1 => openssl::sha::sha1(data).to_vec(),
    }
}

/// Whether a value goes into SignedInfo as it is, with no escaping: an XML ID or prefix of
/// letters, digits and `-_.:` (Okta's ids are).
fn plain(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The SignedInfo element: as it stands inside our Signature (`ds` declared there, empty
/// elements closed with `/>`), or in its exclusive canonical form (`ds` declared on it, empty
/// elements as start and end tags), which is what is signed. Only for plain ids and prefixes.
fn signed_info(opts: &SignOptions, id: &str, digest_value: &str, canonical: bool) -> String {
    let empty = |name: &str, attrs: String| {
        if canonical {
            format!("<{name}{attrs}></{name}>")
        } else {
            format!("<{name}{attrs}/>")
        }
    };
    let algorithm = |uri: &str| format!(" Algorithm=\"{uri}\"");
    let inclusive = if opts.inclusive_prefixes.is_empty() {
        String::new()
    } else {
        empty(
            "ec:InclusiveNamespaces",
            format!(
                " xmlns:ec=\"{NS_EC}\" PrefixList=\"{}\"",
                opts.inclusive_prefixes.join(" ")
            ),
        )
    };
    let decl = if canonical {
        format!(" xmlns:ds=\"{NS_DS}\"")
    } else {
        String::new()
    };
    format!(
        "<ds:SignedInfo{decl}>{}{}<ds:Reference URI=\"#{id}\"><ds:Transforms>{}\
         <ds:Transform{}>{inclusive}</ds:Transform></ds:Transforms>{}\
         <ds:DigestValue>{digest_value}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
        empty("ds:CanonicalizationMethod", algorithm(ALG_EXC_C14N)),
        empty("ds:SignatureMethod", algorithm(opts.alg.signature_uri())),
        empty("ds:Transform", algorithm(ALG_ENVELOPED)),
        algorithm(ALG_EXC_C14N),
        empty("ds:DigestMethod", algorithm(opts.alg.digest_uri())),
    )
}

/// `xml` with `signature` inserted right after the root's Issuer (or first in the root), by
/// position in the text rather than by writing the tree out again; None when the text is not
/// simple enough to find that place for certain (then the tree is used).
fn splice_into_root(xml: &str, root: &Element, signature: &str) -> Option<String> {
    let first_element = root.children.iter().find_map(|n| match n {
        Node::Element(e) => Some(e),
        _ => None,
    });
    // Only whitespace before the Issuer, and nothing but text in it.
    for n in &root.children {
        match n {
            Node::Text(t) if t.trim().is_empty() => {}
            Node::Element(_) => break,
            _ => return None,
        }
    }
    let issuer = first_element.filter(|e| e.local == "Issuer");
    if let Some(i) = issuer
        && !i
            .children
            .iter()
            .all(|n| matches!(n, Node::Text(t) if !t.contains('<')))
    {
        return None;
    }
    let open = format!("<{}", root.qname());
    if !xml.starts_with(&open) {
        return None;
    }
    // The end of the root's start tag: the first '>' outside an attribute value.
    let mut quote = None;
    let mut end = None;
    for (i, b) in xml.bytes().enumerate().skip(open.len()) {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => {
                end = Some(i);
                break;
            }
            (None, _) => {}
        }
    }
    let end = end?;
    if xml.as_bytes()[end - 1] == b'/' {
        return None;
    }
    let at = match issuer {
        None => end + 1,
        Some(i) => {
            let close = format!("</{}>", i.qname());
            let from = end + 1 + xml[end + 1..].find("</")?;
            if !xml[from..].starts_with(&close) {
                return None;
            }
            from + close.len()
        }
    };
    let mut out = String::with_capacity(xml.len() + signature.len());
    out.push_str(&xml[..at]);
    out.push_str(signature);
    out.push_str(&xml[at..]);
    Some(out)
}

fn rsa_sign(alg: SigAlg, key: &SigningKey, data: &[u8]) -> Vec<u8> {
    key.sign_pkcs1(alg == SigAlg::RsaSha1, data)
}

/// Verify by OpenSSL (fast); by the pure-Rust `rsa` crate when OpenSSL cannot take the key.
fn rsa_verify(alg: SigAlg, key: &RsaPublicKey, data: &[u8], sig: &[u8]) -> bool {
    use openssl::bn::BigNum;
    use rsa::traits::PublicKeyParts;
    let md = match alg {
        SigAlg::RsaSha256 => openssl::hash::MessageDigest::sha256(),
        SigAlg::RsaSha1 => openssl::hash::MessageDigest::sha1(),
    };
    type Cached = Option<(Vec<u8>, Vec<u8>, openssl::pkey::PKey<openssl::pkey::Public>)>;
    thread_local! {
        // The last key used on this thread, with its Montgomery set-up: an SP verifies with
        // the same IdP key again and again.
        static LAST: std::cell::RefCell<Cached> = const { std::cell::RefCell::new(None) };
    }
    let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
    let verified = LAST.with_borrow_mut(|last| {
        if last.as_ref().is_none_or(|(ln, le, _)| *ln != n || *le != e) {
            // Built from the modulus and exponent: decoding DER goes through OpenSSL's
            // decoder machinery, which costs more than the verification itself.
            *last = BigNum::from_slice(&n)
                .and_then(|bn| Ok((bn, BigNum::from_slice(&e)?)))
                .and_then(|(bn, be)| openssl::rsa::Rsa::from_public_components(bn, be))
                .and_then(openssl::pkey::PKey::from_rsa)
                .ok()
                .map(|pk| (n.clone(), e.clone(), pk));
        }
        let (_, _, pk) = last.as_ref()?;
        let mut v = openssl::sign::Verifier::new(md, pk).ok()?;
        Some(v.verify_oneshot(sig, data).unwrap_or(false))
    });
    if let Some(verified) = verified {
        return verified;
    }
    let Ok(sig) = Signature::try_from(sig) else {
        return false;
    };
    match alg {
        SigAlg::RsaSha256 => VerifyingKey::<Sha256>::new(key.clone())
            .verify(data, &sig)
            .is_ok(),
        SigAlg::RsaSha1 => VerifyingKey::<Sha1>::new(key.clone())
            .verify(data, &sig)
            .is_ok(),
    }
}

/// Sign the element at `path` of `xml`: the `ds:Signature` goes right after its `Issuer` child
/// (or first when there is none), as SAML requires. Returns the new document text.
pub fn sign_element(
    xml: &str,
    path: &[usize],
    key: &SigningKey,
    opts: &SignOptions,
) -> Result<String, DsigError> {
    let mut doc = parse(xml)?;
    let target = doc.at(path).ok_or(DsigError::NoElement)?;
    let id = target.attr("ID").ok_or(DsigError::NoId)?.to_string();
    let canon = exc_c14n(&doc, path, None, &opts.inclusive_prefixes).ok_or(DsigError::NoElement)?;
    let digest_value = b64(&digest(opts.alg, canon.as_bytes()));
    let fast = plain(&id) && opts.inclusive_prefixes.iter().all(|p| plain(p));
    let (si_text, canon_si) = if fast {
        (
            signed_info(opts, &id, &digest_value, false),
            signed_info(opts, &id, &digest_value, true),
        )
    } else {
        let inclusive = if opts.inclusive_prefixes.is_empty() {
            String::new()
        } else {
            format!(
                "<ec:InclusiveNamespaces xmlns:ec=\"{NS_EC}\" PrefixList=\"{}\"/>",
                opts.inclusive_prefixes.join(" ")
            )
        };
        let signed_info = format!(
            "<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{ALG_EXC_C14N}\"/><ds:SignatureMethod Algorithm=\"{}\"/>\
             <ds:Reference URI=\"#{id}\"><ds:Transforms><ds:Transform Algorithm=\"{ALG_ENVELOPED}\"/>\
             <ds:Transform Algorithm=\"{ALG_EXC_C14N}\">{inclusive}</ds:Transform></ds:Transforms>\
             <ds:DigestMethod Algorithm=\"{}\"/><ds:DigestValue>{digest_value}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
            opts.alg.signature_uri(),
            opts.alg.digest_uri()
        );
        let unsigned = format!("<ds:Signature xmlns:ds=\"{NS_DS}\">{signed_info}</ds:Signature>");
        let sig_doc = parse(&unsigned)?;
        let canon = exc_c14n(&sig_doc, &[0], None, &[]).ok_or(DsigError::NoElement)?;
        (signed_info, canon)
    };
    let value = b64(&rsa_sign(opts.alg, key, canon_si.as_bytes()));
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{NS_DS}\">{si_text}<ds:SignatureValue>{value}</ds:SignatureValue>\
         <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
        key.cert_base64()
    );
    if fast
        && path.is_empty()
        && let Some(out) = splice_into_root(xml, &doc, &signature)
    {
        return Ok(out);
    }
    let sig_el = parse(&signature)?;
    let target = doc.at_mut(path).ok_or(DsigError::NoElement)?;
    let after_issuer = target
        .children
        .iter()
        .position(|n| matches!(n, Node::Element(e) if e.local == "Issuer"))
        .map(|i| i + 1)
        .unwrap_or(0);
    target.children.insert(after_issuer, Node::Element(sig_el));
    Ok(doc.to_xml())
}

/// Which algorithms a verifier accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgPolicy {
    /// Accept RSA-SHA1 signatures.
    pub allow_sha1: bool,
}

fn algorithm_of(el: Option<&Element>) -> Result<String, DsigError> {
    el.and_then(|e| e.attr("Algorithm"))
        .map(String::from)
        .ok_or_else(|| DsigError::Malformed("an algorithm is missing".into()))
}

fn prefix_list(transform: &Element) -> Vec<String> {
    transform
        .child(NS_EC, "InclusiveNamespaces")
        .and_then(|i| i.attr("PrefixList"))
        .map(|p| p.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

fn decode_b64(text: &str) -> Result<Vec<u8>, DsigError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| DsigError::Malformed(format!("bad base64: {e}")))
}

/// Verify the `ds:Signature` at `sig_path` of `doc` with `trusted`. On success, returns the path
/// of the element it signs (always the signature's parent) and the algorithm used.
pub fn verify(
    doc: &Element,
    sig_path: &[usize],
    trusted: &RsaPublicKey,
    policy: AlgPolicy,
) -> Result<(Vec<usize>, SigAlg), DsigError> {
    verify_with(doc, sig_path, trusted, policy, Resolve::Enveloped)
}

/// The signature-wrapping-vulnerable verifier many SPs shipped: the Reference URI is looked up
/// anywhere in the document (the first element with that ID wins), the signed element need not
/// be the signature's parent, and duplicate IDs are not refused. It exists only so the reference
/// SP can be told to make this mistake (`serve --fault sp-read-first-assertion`) and the attack
/// catalogue proven against it. Never use it to decide anything.
pub fn verify_by_id_lookup_unsafe(
    doc: &Element,
    sig_path: &[usize],
    trusted: &RsaPublicKey,
    policy: AlgPolicy,
) -> Result<(Vec<usize>, SigAlg), DsigError> {
    verify_with(doc, sig_path, trusted, policy, Resolve::AnywhereById)
}

/// How a signature's reference is resolved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resolve {
    /// The signed element is the signature's parent, its ID unique, the URI naming it.
    Enveloped,
    /// The first element anywhere whose ID the URI names (wrapping-vulnerable).
    AnywhereById,
}

fn verify_with(
    doc: &Element,
    sig_path: &[usize],
    trusted: &RsaPublicKey,
    policy: AlgPolicy,
    resolve: Resolve,
) -> Result<(Vec<usize>, SigAlg), DsigError> {
    let sig = doc.at(sig_path).ok_or(DsigError::NoElement)?;
    if !sig.is(NS_DS, "Signature") || sig_path.is_empty() {
        return Err(DsigError::Malformed("not an enveloped ds:Signature".into()));
    }
    let (parent_path, id) = match resolve {
        Resolve::Enveloped => {
            let parent_path = sig_path[..sig_path.len() - 1].to_vec();
            let parent = doc.at(&parent_path).ok_or(DsigError::NoElement)?;
            let id = parent.attr("ID").ok_or(DsigError::NoId)?;
            let uses = doc
                .all_attr_values("ID")
                .iter()
                .filter(|v| v.as_str() == id)
                .count();
            if uses != 1 {
                return Err(DsigError::DuplicateId(id.to_string(), uses));
            }
            (parent_path, id.to_string())
        }
        Resolve::AnywhereById => {
            let uri = sig
                .child(NS_DS, "SignedInfo")
                .and_then(|si| si.child(NS_DS, "Reference"))
                .and_then(|r| r.attr("URI"))
                .unwrap_or("");
            let id = uri.strip_prefix('#').ok_or(DsigError::NoId)?;
            (doc.find_id(id).ok_or(DsigError::NoElement)?, id.to_string())
        }
    };
    let id = id.as_str();
    let signed_info = sig
        .child(NS_DS, "SignedInfo")
        .ok_or_else(|| DsigError::Malformed("no SignedInfo".into()))?;
    if sig.elements().filter(|e| e.is(NS_DS, "SignedInfo")).count() != 1 {
        return Err(DsigError::Malformed("more than one SignedInfo".into()));
    }
    let c14n_el = signed_info.child(NS_DS, "CanonicalizationMethod");
    let c14n_alg = algorithm_of(c14n_el)?;
    if c14n_alg != ALG_EXC_C14N {
        return Err(DsigError::Algorithm(c14n_alg));
    }
    let si_prefixes = c14n_el.map(prefix_list).unwrap_or_default();
    let alg = match algorithm_of(signed_info.child(NS_DS, "SignatureMethod"))?.as_str() {
        ALG_RSA_SHA256 => SigAlg::RsaSha256,
        ALG_RSA_SHA1 if policy.allow_sha1 => SigAlg::RsaSha1,
        other => return Err(DsigError::Algorithm(other.to_string())),
    };
    let refs: Vec<&Element> = signed_info
        .elements()
        .filter(|e| e.is(NS_DS, "Reference"))
        .collect();
    if refs.len() != 1 {
        return Err(DsigError::References(refs.len()));
    }
    let reference = refs[0];
    let uri = reference.attr("URI").unwrap_or("");
    if uri != format!("#{id}") {
        return Err(DsigError::WrongReference(uri.to_string(), id.to_string()));
    }
    let transforms: Vec<&Element> = reference
        .child(NS_DS, "Transforms")
        .map(|t| t.elements().filter(|e| e.is(NS_DS, "Transform")).collect())
        .unwrap_or_default();
    let names: Vec<&str> = transforms
        .iter()
        .filter_map(|t| t.attr("Algorithm"))
        .collect();
    if names != [ALG_ENVELOPED, ALG_EXC_C14N] {
        return Err(DsigError::Algorithm(format!(
            "transforms {names:?} (only enveloped-signature then exc-c14n are accepted)"
        )));
    }
    let prefixes = prefix_list(transforms[1]);
    let digest_alg = match algorithm_of(reference.child(NS_DS, "DigestMethod"))?.as_str() {
        ALG_SHA256 => SigAlg::RsaSha256,
        ALG_SHA1 if policy.allow_sha1 => SigAlg::RsaSha1,
        other => return Err(DsigError::Algorithm(other.to_string())),
    };
    let want = decode_b64(
        &reference
            .child(NS_DS, "DigestValue")
            .map(Element::text)
            .unwrap_or_default(),
    )?;
    let canon =
        exc_c14n(doc, &parent_path, Some(sig_path), &prefixes).ok_or(DsigError::NoElement)?;
    if digest(digest_alg, canon.as_bytes()) != want {
        return Err(DsigError::DigestMismatch);
    }
    let si_index = sig
        .elements()
        .position(|e| e.is(NS_DS, "SignedInfo"))
        .ok_or(DsigError::NoElement)?;
    let mut si_path = sig_path.to_vec();
    si_path.push(si_index);
    let canon_si = exc_c14n(doc, &si_path, None, &si_prefixes).ok_or(DsigError::NoElement)?;
    let value = decode_b64(
        &sig.child(NS_DS, "SignatureValue")
            .map(Element::text)
            .unwrap_or_default(),
    )?;
    if !rsa_verify(alg, trusted, canon_si.as_bytes(), &value) {
        return Err(DsigError::BadSignature);
    }
    Ok((parent_path, alg))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<p:R xmlns:p="urn:p" ID="id1"><s:Issuer xmlns:s="urn:s">me</s:Issuer><s:A xmlns:s="urn:s" ID="id2"><s:Issuer>me</s:Issuer><s:V xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">v</s:V></s:A></p:R>"#;

    fn opts() -> SignOptions {
        SignOptions {
            alg: SigAlg::RsaSha256,
            inclusive_prefixes: vec!["xs".into()],
        }
    }

    #[test]
    fn the_cached_verification_key_is_never_another_keys() {
        let (a, b) = (SigningKey::test_fixture(), SigningKey::test_fixture_other());
        let data = b"<ds:SignedInfo/>";
        let sig_a = rsa_sign(SigAlg::RsaSha256, &a, data);
        // Each call on one thread, turn about: the key kept from the last call must not answer
        // for the next one's.
        for _ in 0..2 {
            assert!(rsa_verify(SigAlg::RsaSha256, &a.public_key(), data, &sig_a));
            assert!(!rsa_verify(
                SigAlg::RsaSha256,
                &b.public_key(),
                data,
                &sig_a
            ));
        }
        let sig_b = rsa_sign(SigAlg::RsaSha1, &b, data);
        assert!(rsa_verify(SigAlg::RsaSha1, &b.public_key(), data, &sig_b));
        assert!(!rsa_verify(
            SigAlg::RsaSha256,
            &b.public_key(),
            data,
            &sig_b
        ));
        assert!(!rsa_verify(SigAlg::RsaSha1, &a.public_key(), data, &sig_b));
    }

    #[test]
    fn the_written_signed_info_is_the_canonical_form_c14n_makes() {
        for (alg, prefixes) in [
            (SigAlg::RsaSha256, vec![]),
            (SigAlg::RsaSha256, vec!["xs".to_string()]),
            (SigAlg::RsaSha1, vec!["xs".to_string(), "xsi".to_string()]),
        ] {
            let opts = SignOptions {
                alg,
                inclusive_prefixes: prefixes,
            };
            let written = signed_info(&opts, "id4711.x-y_z", "abc+/=", false);
            let doc = parse(&format!(
                "<ds:Signature xmlns:ds=\"{NS_DS}\">{written}</ds:Signature>"
            ))
            .unwrap();
            assert_eq!(
                exc_c14n(&doc, &[0], None, &[]).unwrap(),
                signed_info(&opts, "id4711.x-y_z", "abc+/=", true)
            );
        }
    }

    #[test]
    fn the_signature_goes_in_after_the_issuer_as_the_tree_would_put_it() {
        let key = SigningKey::test_fixture();
        let slow = |xml: &str| {
            // The tree's way: the same document with the signature as an element.
            let mut doc = parse(xml).unwrap();
            let signed = parse(&sign_element(xml, &[], &key, &opts()).unwrap()).unwrap();
            let sig = signed
                .children
                .iter()
                .find_map(|n| match n {
                    Node::Element(e) if e.local == "Signature" => Some(e.clone()),
                    _ => None,
                })
                .unwrap();
            let at = doc
                .children
                .iter()
                .position(|n| matches!(n, Node::Element(e) if e.local == "Issuer"))
                .map_or(0, |i| i + 1);
            doc.children.insert(at, Node::Element(sig));
            doc.to_xml()
        };
        for xml in [
            "<r:R xmlns:r=\"urn:r\" ID=\"a1\" V='x>y'><r:Issuer>i&amp;j</r:Issuer><r:B/></r:R>",
            "<r:R xmlns:r=\"urn:r\" ID=\"a1\">  <r:Issuer>i</r:Issuer></r:R>",
            "<r:R xmlns:r=\"urn:r\" ID=\"a1\"><r:B>t</r:B></r:R>",
        ] {
            let fast = sign_element(xml, &[], &key, &opts()).unwrap();
            // The same document; byte for byte when the input is as the tree writes it (the
            // text way keeps an input's own quoting).
            assert_eq!(parse(&fast).unwrap(), parse(&slow(xml)).unwrap(), "{xml}");
            if parse(xml).unwrap().to_xml() == xml {
                assert_eq!(fast, slow(xml), "{xml}");
            }
            let doc = parse(&fast).unwrap();
            let at = doc.elements().position(|e| e.local == "Signature").unwrap();
            verify(
                &doc,
                &[at],
                &key.public_key(),
                AlgPolicy { allow_sha1: false },
            )
            .unwrap();
        }
        // Not simple enough to place by text: a comment before the Issuer. The tree places it.
        let xml = "<r:R xmlns:r=\"urn:r\" ID=\"a1\"><!--c--><r:Issuer>i</r:Issuer></r:R>";
        assert!(splice_into_root(xml, &parse(xml).unwrap(), "<s/>").is_none());
        assert!(sign_element(xml, &[], &key, &opts()).is_ok());
    }

    #[test]
    fn signs_and_verifies_assertion_and_response() {
        let key = SigningKey::test_fixture();
        let once = sign_element(DOC, &[1], &key, &opts()).unwrap();
        let both = sign_element(&once, &[], &key, &opts()).unwrap();
        let doc = parse(&both).unwrap();
        let pk = key.public_key();
        let policy = AlgPolicy { allow_sha1: false };
        // Response signature right after the Response's Issuer, assertion's after its Issuer.
        assert!(doc.elements().nth(1).unwrap().is(NS_DS, "Signature"));
        assert_eq!(
            verify(&doc, &[1], &pk, policy).unwrap().0,
            Vec::<usize>::new()
        );
        assert_eq!(verify(&doc, &[2, 1], &pk, policy).unwrap().0, vec![2]);
        // Another key does not verify.
        let other = SigningKey::test_fixture_other().public_key();
        assert_eq!(
            verify(&doc, &[1], &other, policy),
            Err(DsigError::BadSignature)
        );
    }

    #[test]
    fn tampering_breaks_the_digest() {
        let key = SigningKey::test_fixture();
        let signed = sign_element(DOC, &[1], &key, &opts()).unwrap();
        let tampered = signed.replace(">v<", ">w<");
        let doc = parse(&tampered).unwrap();
        assert_eq!(
            verify(
                &doc,
                &[1, 1],
                &key.public_key(),
                AlgPolicy { allow_sha1: false }
            ),
            Err(DsigError::DigestMismatch)
        );
    }

    #[test]
    fn sha1_only_when_allowed() {
        let key = SigningKey::test_fixture();
        let signed = sign_element(
            DOC,
            &[1],
            &key,
            &SignOptions {
                alg: SigAlg::RsaSha1,
                inclusive_prefixes: vec![],
            },
        )
        .unwrap();
        let doc = parse(&signed).unwrap();
        assert!(matches!(
            verify(
                &doc,
                &[1, 1],
                &key.public_key(),
                AlgPolicy { allow_sha1: false }
            ),
            Err(DsigError::Algorithm(_))
        ));
        assert!(
            verify(
                &doc,
                &[1, 1],
                &key.public_key(),
                AlgPolicy { allow_sha1: true }
            )
            .is_ok()
        );
    }

    #[test]
    fn duplicate_ids_and_foreign_references_are_refused() {
        let key = SigningKey::test_fixture();
        let signed = sign_element(DOC, &[1], &key, &opts()).unwrap();
        let dup = signed.replace(
            "<s:Issuer>me</s:Issuer>",
            "<s:Issuer ID=\"id2\">me</s:Issuer>",
        );
        let doc = parse(&dup).unwrap();
        assert!(matches!(
            verify(
                &doc,
                &[1, 1],
                &key.public_key(),
                AlgPolicy { allow_sha1: false }
            ),
            Err(DsigError::DuplicateId(..))
        ));
        let moved = signed.replace("ID=\"id2\"", "ID=\"id3\"");
        let doc = parse(&moved).unwrap();
        assert!(matches!(
            verify(
                &doc,
                &[1, 1],
                &key.public_key(),
                AlgPolicy { allow_sha1: false }
            ),
            Err(DsigError::WrongReference(..))
        ));
    }
}
