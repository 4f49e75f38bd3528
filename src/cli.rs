//! Command-line definitions (clap). Only definitions: `main.rs` dispatches.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "okta-sim",
    version,
    about = "Okta simulator and conformance harness for SCIM 2.0 provisioning and SAML 2.0 SSO",
    long_about = "okta-sim replays the requests Okta sends to an app and grades the answers, \
                  and runs a reference app that answers them the way Okta needs."
)]
pub struct Cli {
    /// More log output (-v: info, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the reference app: an in-memory SCIM 2.0 server that behaves as Okta needs.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Bearer token clients must send; a random one is generated and printed when not given.
    #[arg(long, env = "OKTA_SIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Path the SCIM API is served under.
    #[arg(long, default_value = "/scim/v2")]
    pub base_path: String,

    /// Create this many users at start (Okta's SPEC test needs at least one).
    #[arg(long, default_value_t = 0)]
    pub seed_users: usize,

    /// Vendor behaviour profile: reference (PATCH answers 200 with the resource), patch-204
    /// (PATCH answers 204), atlan (userName and emails immutable).
    #[arg(long, default_value = "reference", value_parser = clap::builder::PossibleValuesParser::new(okta_sim::app::AppProfile::NAMES))]
    pub profile: String,
}
