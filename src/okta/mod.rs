//! The simulated Okta (identity-provider side): the wire envelope, the named operation
//! sequences, Okta-format identifiers and the 429 policy.

pub mod ids;
pub mod ops;
pub mod retry;
pub mod wire;

pub use ids::{OktaIds, OktaUser};
pub use ops::{OktaSettings, Op, Session};
pub use retry::RetryPolicy;
pub use wire::{AppKind, Auth, Exchange, WireClient};
