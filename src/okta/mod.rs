//! The simulated Okta (identity-provider side): the wire envelope, the named operation
//! sequences, Okta-format identifiers, the 429 policy, and the bounds of a run (deadline,
//! timeouts, answer sizes, the credential kept out of everything written).

pub mod appschema;
pub mod auth;
pub mod discover;
pub mod exchange;
pub mod grants;
pub mod ids;
pub mod limits;
pub mod load;
pub mod log;
pub mod oauth;
pub mod ops;
pub mod redact;
pub mod replay;
pub mod retry;
pub mod syslog;
pub mod wire;

pub use ids::{OktaIds, OktaUser};
pub use ops::{OktaSettings, Op, Session};
pub use retry::RetryPolicy;
pub use wire::{AppKind, Auth, Exchange, WireClient};
