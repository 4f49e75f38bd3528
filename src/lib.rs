//! okta-sim: a conformance harness and an Okta simulator for apps that connect to Okta with
//! SCIM 2.0 provisioning and SAML 2.0 single sign-on.

pub mod scim;
