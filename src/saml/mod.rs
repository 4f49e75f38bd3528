//! SAML 2.0: the simulated Okta identity provider (okta-saml §1), XML-DSig in pure Rust, and
//! the attack catalogue an SP must withstand (okta-saml §3).

pub mod attacks;
pub mod dsig;
pub mod idp;
pub mod idp_http;
pub mod keys;
pub mod metadata;
pub mod xml;
