//! The SCIM 2.0 domain (RFC 7643, RFC 7644): pure functions over JSON, no I/O.

pub mod declared;
pub mod error;
pub mod filter;
pub mod list;
pub mod patch;
pub mod resource;
pub mod schema;

pub use error::{ScimError, ScimType};
