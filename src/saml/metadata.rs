//! SAML 2.0 metadata read from the other side (okta-saml §1.3): an IdP's (the entity ID, the
//! signing certificate and the SSO URL an SP trusts) and an SP's (its entity ID and HTTP-POST
//! ACS, which `okta-sim check --sp-metadata` signs in to). Parsed with the same hardened XML
//! parser as responses: no DOCTYPE, bounded depth and size.

use super::xml::{NS_DS, NS_MD, parse};

/// Why metadata could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The document is not acceptable XML.
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// Something the metadata must have is missing.
    #[error("the metadata has no {0}")]
    Missing(&'static str),
    /// The certificate cannot be read.
    #[error("the signing certificate is not usable: {0}")]
    Certificate(String),
}

/// What an SP needs to trust an IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    /// The IdP's entity ID (the Issuer of its responses).
    pub entity_id: String,
    /// The DER of the signing certificate.
    pub signing_cert_der: Vec<u8>,
    /// The HTTP-Redirect SingleSignOnService location.
    pub sso_url: String,
}

impl IdpMetadata {
    /// Read IdP metadata (an `EntityDescriptor` with an `IDPSSODescriptor`).
    pub fn parse(xml: &str) -> Result<IdpMetadata, MetadataError> {
        let doc = parse(xml).map_err(|e| MetadataError::Xml(e.to_string()))?;
        let entity_id = doc
            .attr("entityID")
            .ok_or(MetadataError::Missing("entityID"))?
            .to_string();
        let idp = doc
            .child(NS_MD, "IDPSSODescriptor")
            .ok_or(MetadataError::Missing("IDPSSODescriptor"))?;
        let cert = idp
            .elements()
            .filter(|e| e.is(NS_MD, "KeyDescriptor") && e.attr("use") != Some("encryption"))
            .find_map(|k| {
                k.child(NS_DS, "KeyInfo")?
                    .child(NS_DS, "X509Data")?
                    .child(NS_DS, "X509Certificate")
                    .map(|c| c.text())
            })
            .ok_or(MetadataError::Missing("signing certificate"))?;
        let signing_cert_der = super::keys::cert_der_from_text(&cert)
            .map_err(|e| MetadataError::Certificate(e.to_string()))?;
        let sso_url = idp
            .elements()
            .filter(|e| e.is(NS_MD, "SingleSignOnService"))
            .find(|e| {
                e.attr("Binding")
                    .is_some_and(|b| b.ends_with("HTTP-Redirect"))
            })
            .and_then(|e| e.attr("Location"))
            .ok_or(MetadataError::Missing("HTTP-Redirect SingleSignOnService"))?
            .to_string();
        Ok(IdpMetadata {
            entity_id,
            signing_cert_der,
            sso_url,
        })
    }
}

/// What an IdP needs to sign in to an SP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpMetadata {
    /// The SP's entity ID (the Audience it expects).
    pub entity_id: String,
    /// The HTTP-POST AssertionConsumerService location.
    pub acs_url: String,
}

impl SpMetadata {
    /// Read SP metadata (an `EntityDescriptor` with an `SPSSODescriptor`).
    pub fn parse(xml: &str) -> Result<SpMetadata, MetadataError> {
        let doc = parse(xml).map_err(|e| MetadataError::Xml(e.to_string()))?;
        let entity_id = doc
            .attr("entityID")
            .ok_or(MetadataError::Missing("entityID"))?
            .to_string();
        let acs_url = doc
            .elements()
            .filter(|e| e.is(NS_MD, "SPSSODescriptor"))
            .flat_map(|d| d.elements())
            .filter(|e| e.is(NS_MD, "AssertionConsumerService"))
            .find(|e| e.attr("Binding").is_some_and(|b| b.ends_with("HTTP-POST")))
            .and_then(|e| e.attr("Location"))
            .ok_or(MetadataError::Missing("HTTP-POST AssertionConsumerService"))?
            .to_string();
        Ok(SpMetadata { entity_id, acs_url })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sp_metadata_names_its_entity_and_post_acs() {
        let xml = format!(
            r#"<md:EntityDescriptor xmlns:md="{NS_MD}" entityID="https://sp.test/md"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.test/redirect" index="0"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.test/acs" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>"#
        );
        assert_eq!(
            SpMetadata::parse(&xml).unwrap(),
            SpMetadata {
                entity_id: "https://sp.test/md".into(),
                acs_url: "https://sp.test/acs".into()
            }
        );
        assert_eq!(
            SpMetadata::parse("<x/>").unwrap_err(),
            MetadataError::Missing("entityID")
        );
        assert!(matches!(
            SpMetadata::parse("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>"),
            Err(MetadataError::Xml(_))
        ));
    }
}
