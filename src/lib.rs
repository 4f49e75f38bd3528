//! okta-sim: a conformance harness and an Okta simulator for apps that connect to Okta with
//! SCIM 2.0 provisioning and SAML 2.0 single sign-on.
//!
//! The public surface:
//!
//! - [`ReferenceApp`]: the reference app (an in-memory SCIM 2.0 server and SAML SP that behaves
//!   as Okta needs), started on a free port in a test: `ReferenceApp::start().await`, or with
//!   [`ReferenceApp::builder`] for a profile ([`AppProfile`]), fault switches and an SP.
//! - [`conformance::run`] with [`CheckOptions`]: the conformance suite against a [`Target`];
//!   [`embedded::run_embedded`] runs it against a reference app started for the run. The checks
//!   it can make are listed by [`conformance::catalogue::all`].
//! - [`okta`]: the simulated Okta's operations ([`okta::Session`]) over its wire envelope.
//! - [`saml`]: the simulated Okta IdP (keys, metadata, signed responses, the attack catalogue).
//! - [`scim`]: the SCIM 2.0 domain (filters, PATCH, paging), pure functions over JSON.
//! - [`integration`]: integration profiles, the data both sides read.

#![warn(missing_docs)]

pub mod app;
pub mod conformance;
pub mod embedded;
pub mod fuzz_targets;
pub mod integration;
pub mod okta;
pub mod saml;
pub mod scim;
pub(crate) mod text;
pub mod timestamp;

pub use app::{AppProfile, ReferenceApp, ReferenceAppBuilder};
pub use conformance::{CheckError, CheckOptions, Grade, RunOutcome, SpTarget, Target};
