//! The IdP signing key and certificate: RSA-2048 and a self-signed X.509 certificate shaped like
//! Okta's (okta-saml §1.2: subject `C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider,
//! CN=…`, serial the creation time in epoch milliseconds, valid from a minute before creation for
//! ten years, sha256WithRSA). Generated and saved on first use, or loaded from PEM. Pure Rust
//! (RustCrypto `rsa`, `x509-cert`).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use base64::Engine;
use rsa::pkcs1v15::SigningKey as Pkcs1SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{Decode, DecodePem, Encode, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{DecodePublicKey, EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

/// Why a key or certificate cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read.
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, String),
    /// A file could not be written.
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, String),
    /// Not a usable RSA private key.
    #[error("not a usable RSA private key (PKCS#8 or PKCS#1 PEM): {0}")]
    BadKey(String),
    /// Not a usable X.509 certificate.
    #[error("not a usable X.509 certificate (PEM or DER): {0}")]
    BadCert(String),
    /// The certificate holds no RSA key.
    #[error("the certificate does not hold an RSA public key: {0}")]
    NotRsa(String),
    /// The certificate belongs to another key.
    #[error("the certificate does not belong to the private key")]
    Mismatch,
    /// A certificate could not be made.
    #[error("cannot create a certificate: {0}")]
    Build(String),
}

/// An RSA key pair with its certificate.
#[derive(Clone)]
pub struct SigningKey {
    /// The RSA private key.
    pub key: RsaPrivateKey,
    /// The DER of its self-signed certificate.
    pub cert_der: Vec<u8>,
    /// The same key in OpenSSL, which signs: about five times as fast as the pure-Rust `rsa`
    /// crate on RSA-2048 (`cargo bench --bench scale`). OpenSSL is built from source into the
    /// binary (the TLS client needs it anyway), so no system library is involved.
    fast: std::sync::Arc<openssl::pkey::PKey<openssl::pkey::Private>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("cert_bytes", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn new(key: RsaPrivateKey, cert_der: Vec<u8>) -> Result<Self, KeyError> {
        let der = key
            .to_pkcs8_der()
            .map_err(|e| KeyError::BadKey(e.to_string()))?;
        let fast = openssl::pkey::PKey::private_key_from_pkcs8(der.as_bytes())
            .map_err(|e| KeyError::BadKey(e.to_string()))?;
        Ok(SigningKey {
            key,
            cert_der,
            fast: std::sync::Arc::new(fast),
        })
    }

    /// An RSA PKCS#1 v1.5 signature over `data` with SHA-256 (or SHA-1), by OpenSSL. The
    /// signature is deterministic: the same bytes the pure-Rust signer makes.
    pub fn sign_pkcs1(&self, sha1: bool, data: &[u8]) -> Vec<u8> {
        let md = if sha1 {
            openssl::hash::MessageDigest::sha1()
        } else {
            openssl::hash::MessageDigest::sha256()
        };
        let by_openssl = openssl::sign::Signer::new(md, &self.fast)
            .and_then(|mut s| s.sign_oneshot_to_vec(data));
        match by_openssl {
            Ok(sig) => sig,
            // OpenSSL refused (it never has): the pure-Rust signer makes the same signature.
            Err(_) => {
                use rsa::signature::{SignatureEncoding, Signer};
                if sha1 {
                    Pkcs1SigningKey::<sha1::Sha1>::new(self.key.clone())
                        .sign(data)
                        .to_vec()
                } else {
                    Pkcs1SigningKey::<Sha256>::new(self.key.clone())
                        .sign(data)
                        .to_vec()
                }
            }
        }
    }

    /// A new RSA-2048 key and an Okta-shaped self-signed certificate for `org` (the CN).
    pub fn generate(org: &str) -> Result<Self, KeyError> {
        let mut rng = rsa::rand_core::OsRng;
        let key = RsaPrivateKey::new(&mut rng, 2048).map_err(|e| KeyError::Build(e.to_string()))?;
        let cert_der = self_signed(&key, org, SystemTime::now())?;
        Self::new(key, cert_der)
    }

    /// The key a seed makes, the same run after run, its certificate valid from `at` (a run's
    /// fixed clock): a test key, never one to trust.
    pub fn from_seed(org: &str, seed: u64, at: SystemTime) -> Result<Self, KeyError> {
        use rand::SeedableRng;
        let mut rng = SeededRng(rand_chacha::ChaCha20Rng::seed_from_u64(seed));
        let key = RsaPrivateKey::new(&mut rng, 2048).map_err(|e| KeyError::Build(e.to_string()))?;
        let cert_der = self_signed(&key, org, at)?;
        Self::new(key, cert_der)
    }

    /// A key from PEM text (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) and a certificate
    /// (PEM or base64 DER).
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<Self, KeyError> {
        let key = RsaPrivateKey::from_pkcs8_pem(key_pem)
            .or_else(|_| {
                <RsaPrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_pem(key_pem)
            })
            .map_err(|e| KeyError::BadKey(e.to_string()))?;
        let cert_der = cert_der_from_text(cert_pem)?;
        if public_key_of(&cert_der)? != key.to_public_key() {
            return Err(KeyError::Mismatch);
        }
        Self::new(key, cert_der)
    }

    /// The key and certificate of these PEM files.
    pub fn from_files(key: &Path, cert: &Path) -> Result<Self, KeyError> {
        let k =
            std::fs::read_to_string(key).map_err(|e| KeyError::Read(key.into(), e.to_string()))?;
        let c = std::fs::read_to_string(cert)
            .map_err(|e| KeyError::Read(cert.into(), e.to_string()))?;
        Self::from_pem(&k, &c)
    }

    /// The key saved in `dir` (`idp-signing-key.pem`, `idp-signing-cert.pem`), created on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyError> {
        let (kp, cp) = (
            dir.join("idp-signing-key.pem"),
            dir.join("idp-signing-cert.pem"),
        );
        if kp.exists() && cp.exists() {
            return Self::from_files(&kp, &cp);
        }
        let k = Self::generate("okta-sim")?;
        std::fs::create_dir_all(dir).map_err(|e| KeyError::Write(dir.into(), e.to_string()))?;
        let (key_pem, cert_pem) = k.to_pem()?;
        write_private(&kp, &key_pem)?;
        std::fs::write(&cp, cert_pem).map_err(|e| KeyError::Write(cp.clone(), e.to_string()))?;
        Ok(k)
    }

    /// The key of `--key`/`--cert` when both are given, else the one saved in
    /// [`default_key_dir`] (created on first use).
    pub fn given_or_saved(key: Option<&Path>, cert: Option<&Path>) -> Result<Self, KeyError> {
        match (key, cert) {
            (Some(k), Some(c)) => Self::from_files(k, c),
            _ => Self::load_or_create(&default_key_dir()),
        }
    }

    /// The key (PKCS#8) and the certificate, as PEM.
    pub fn to_pem(&self) -> Result<(String, String), KeyError> {
        let key_pem = self
            .key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Build(e.to_string()))?
            .to_string();
        let cert =
            Certificate::from_der(&self.cert_der).map_err(|e| KeyError::BadCert(e.to_string()))?;
        let cert_pem = cert
            .to_pem(LineEnding::LF)
            .map_err(|e| KeyError::Build(e.to_string()))?;
        Ok((key_pem, cert_pem))
    }

    /// The certificate as one line of base64, as Okta writes it in metadata and KeyInfo.
    pub fn cert_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.cert_der)
    }

    /// The public key.
    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
    }

    /// The test-only key of `fixtures/keys/` (never for anything but tests and examples).
    pub fn test_fixture() -> Self {
        Self::from_pem(
            include_str!("../../fixtures/keys/test-idp-key.pem"),
            include_str!("../../fixtures/keys/test-idp-cert.pem"),
        )
        .expect("the fixture key is valid")
    }

    /// A second test-only key, for "wrong certificate" cases.
    pub fn test_fixture_other() -> Self {
        Self::from_pem(
            include_str!("../../fixtures/keys/test-attacker-key.pem"),
            include_str!("../../fixtures/keys/test-attacker-cert.pem"),
        )
        .expect("the fixture key is valid")
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<(), KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| KeyError::Write(path.into(), e.to_string()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| KeyError::Write(path.into(), e.to_string()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<(), KeyError> {
    std::fs::write(path, text).map_err(|e| KeyError::Write(path.into(), e.to_string()))
}

/// Certificate DER from PEM text or bare base64 (as in metadata).
pub fn cert_der_from_text(text: &str) -> Result<Vec<u8>, KeyError> {
    if text.contains("-----BEGIN") {
        let cert =
            Certificate::from_pem(text.trim()).map_err(|e| KeyError::BadCert(e.to_string()))?;
        return cert.to_der().map_err(|e| KeyError::BadCert(e.to_string()));
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| KeyError::BadCert(e.to_string()))?;
    Certificate::from_der(&der).map_err(|e| KeyError::BadCert(e.to_string()))?;
    Ok(der)
}

/// The RSA public key of a DER certificate.
pub fn public_key_of(cert_der: &[u8]) -> Result<RsaPublicKey, KeyError> {
    let cert = Certificate::from_der(cert_der).map_err(|e| KeyError::BadCert(e.to_string()))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| KeyError::BadCert(e.to_string()))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|e| KeyError::NotRsa(e.to_string()))
}

/// A seeded generator for the RSA crate's random-number interface.
struct SeededRng(rand_chacha::ChaCha20Rng);

impl rsa::rand_core::RngCore for SeededRng {
    fn next_u32(&mut self) -> u32 {
        rand::RngCore::next_u32(&mut self.0)
    }
    fn next_u64(&mut self) -> u64 {
        rand::RngCore::next_u64(&mut self.0)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand::RngCore::fill_bytes(&mut self.0, dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        rand::RngCore::fill_bytes(&mut self.0, dest);
        Ok(())
    }
}

impl rsa::rand_core::CryptoRng for SeededRng {}

fn self_signed(key: &RsaPrivateKey, org: &str, now: SystemTime) -> Result<Vec<u8>, KeyError> {
    let b = |e: &dyn std::fmt::Display| KeyError::Build(e.to_string());
    let millis = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|e| b(&e))?
        .as_millis() as u64;
    let serial = SerialNumber::new(&millis.to_be_bytes()).map_err(|e| b(&e))?;
    let not_before = Time::try_from(now - Duration::from_secs(60)).map_err(|e| b(&e))?;
    let not_after =
        Time::try_from(now + Duration::from_secs(10 * 365 * 24 * 3600)).map_err(|e| b(&e))?;
    let cn: String = org
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    let subject = Name::from_str(&format!(
        "CN={},OU=SSOProvider,O=Okta,L=San Francisco,ST=California,C=US",
        if cn.is_empty() { "okta-sim" } else { &cn }
    ))
    .map_err(|e| b(&e))?;
    let spki_der = key.to_public_key().to_public_key_der().map_err(|e| b(&e))?;
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).map_err(|e| b(&e))?;
    let signer = Pkcs1SigningKey::<Sha256>::new(key.clone());
    let builder = CertificateBuilder::new(
        Profile::Root,
        serial,
        Validity {
            not_before,
            not_after,
        },
        subject,
        spki,
        &signer,
    )
    .map_err(|e| b(&e))?;
    let cert = builder
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| b(&e))?;
    cert.to_der().map_err(|e| b(&e))
}

/// Where okta-sim keeps its IdP key: `$OKTA_SIM_HOME`, else `~/.okta-sim`.
pub fn default_key_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("OKTA_SIM_HOME") {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".okta-sim")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_keys_load_and_match_their_certificates() {
        let k = SigningKey::test_fixture();
        assert_eq!(public_key_of(&k.cert_der).unwrap(), k.public_key());
        let other = SigningKey::test_fixture_other();
        assert_ne!(other.public_key(), k.public_key());
        let (key_pem, cert_pem) = k.to_pem().unwrap();
        assert!(SigningKey::from_pem(&key_pem, &cert_pem).is_ok());
        assert!(matches!(
            SigningKey::from_pem(&key_pem, &other.to_pem().unwrap().1),
            Err(KeyError::Mismatch)
        ));
        assert!(SigningKey::from_pem("nope", &cert_pem).is_err());
        assert_eq!(cert_der_from_text(&k.cert_base64()).unwrap(), k.cert_der);
    }

    #[test]
    fn generated_certificates_are_okta_shaped_and_saved_once() {
        let dir = std::env::temp_dir().join(format!("okta-sim-keys-{}", std::process::id()));
        let a = SigningKey::load_or_create(&dir).unwrap();
        let b = SigningKey::load_or_create(&dir).unwrap();
        assert_eq!(a.cert_der, b.cert_der, "the saved key is reused");
        let cert = Certificate::from_der(&a.cert_der).unwrap();
        let subject = cert.tbs_certificate.subject.to_string();
        assert!(
            subject.contains("O=Okta")
                && subject.contains("OU=SSOProvider")
                && subject.contains("CN=okta-sim"),
            "{subject}"
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
