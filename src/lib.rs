//! okta-sim: a conformance harness and an Okta simulator for apps that connect to Okta with
//! SCIM 2.0 provisioning and SAML 2.0 single sign-on.
//!
//! - [`scim`]: the SCIM 2.0 domain (filters, PATCH, paging), pure functions over JSON.
//! - [`app`]: the reference app, an in-memory SCIM server that behaves as Okta needs.

pub mod app;
pub mod conformance;
pub mod embedded;
pub mod okta;
pub mod saml;
pub mod scim;
pub mod timestamp;

pub use app::{ReferenceApp, ReferenceAppBuilder};
