//! Command-line definitions (clap). Only definitions: `main.rs` dispatches.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "okta-sim",
    version,
    about = "Okta simulator and conformance harness for SCIM 2.0 provisioning and SAML 2.0 SSO",
    long_about = "okta-sim replays the SCIM requests and SAML responses Okta sends to an app and \
                  grades the answers, attacks the app's SAML ACS with a catalogue of forged \
                  responses, and runs a reference app that answers the way Okta needs."
)]
pub struct Cli {
    /// More log output (-v: info, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Replay Okta's request sequences against a SCIM server and grade every answer.
    ///
    /// Without --target it runs against the embedded reference app. Exit code 0: no
    /// okta-required or rfc-must check failed; 1: one did; 2: usage error or unreachable target.
    Check(CheckArgs),
    /// Run the reference app: an in-memory SCIM 2.0 server and SAML SP that behave as Okta needs.
    Serve(ServeArgs),
    /// The simulated Okta SAML IdP: metadata, signed responses, and an IdP server.
    #[command(subcommand)]
    Saml(SamlCommand),
}

#[derive(Debug, Subcommand)]
pub enum SamlCommand {
    /// Print the IdP metadata (entityID http://www.okta.com/exk…, SSO URLs, signing certificate).
    Metadata(SamlKeyArgs),
    /// Print a signed, base64 SAMLResponse as Okta would send it; --post submits it to the ACS.
    Sign(SamlSignArgs),
    /// Serve the IdP: metadata URL, SSO URL (SP-initiated) and IdP-initiated launch URL.
    Idp(SamlIdpArgs),
}

#[derive(Debug, clap::Args)]
pub struct SamlKeyArgs {
    /// The signing key (PEM, PKCS#8 or PKCS#1); default: generated on first use and saved in
    /// $OKTA_SIM_HOME or ~/.okta-sim.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<std::path::PathBuf>,

    /// The certificate (PEM) of --key.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<std::path::PathBuf>,

    /// Where the IdP is served (it appears in the metadata's SSO URLs).
    #[arg(long, default_value = "http://127.0.0.1:7000", value_name = "URL")]
    pub org_url: String,
}

#[derive(Debug, clap::Args)]
pub struct SamlSignArgs {
    /// The SP's ACS URL (Destination and Recipient).
    #[arg(long, value_name = "URL")]
    pub acs: String,

    /// The SP's entity ID (Audience).
    #[arg(long, value_name = "ID")]
    pub audience: String,

    /// The NameID of the user signing in.
    #[arg(long, value_name = "NAMEID")]
    pub user: String,

    /// An attribute statement (repeatable); repeat a name for a multi-valued attribute.
    #[arg(long = "attr", value_name = "NAME=VALUE")]
    pub attrs: Vec<String>,

    /// The AuthnRequest ID this answers (SP-initiated); absent: IdP-initiated.
    #[arg(long, value_name = "ID")]
    pub in_response_to: Option<String>,

    /// Which parts are signed.
    #[arg(long, default_value = "both", value_parser = ["both", "response", "assertion"])]
    pub sign: String,

    /// Sign with RSA-SHA1 and SHA-1 digests instead of SHA-256.
    #[arg(long)]
    pub sha1: bool,

    /// The RelayState sent with --post.
    #[arg(long, value_name = "STATE")]
    pub relay_state: Option<String>,

    /// Submit the response to the ACS as a browser would, and print the outcome.
    #[arg(long)]
    pub post: bool,

    #[command(flatten)]
    pub key: SamlKeyArgs,
}

#[derive(Debug, clap::Args)]
pub struct SamlIdpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7000")]
    pub addr: std::net::SocketAddr,

    /// The SP's ACS URL.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:8080/saml/acs"
    )]
    pub acs: String,

    /// The SP's entity ID (Audience).
    #[arg(
        long,
        value_name = "ID",
        default_value = "http://127.0.0.1:8080/saml/metadata"
    )]
    pub audience: String,

    /// The NameID of the signed-in user (an SP-initiated request may pass login_hint instead).
    #[arg(
        long,
        value_name = "NAMEID",
        default_value = "ada.lovelace@example.com"
    )]
    pub user: String,

    /// The user's first and last name and groups, for the attribute statements.
    #[arg(long, default_value = "Ada")]
    pub first_name: String,
    #[arg(long, default_value = "Lovelace")]
    pub last_name: String,
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,

    /// The RelayState of IdP-initiated sign-ins.
    #[arg(long, value_name = "STATE")]
    pub default_relay_state: Option<String>,

    /// The signing key (PEM); default: the saved okta-sim key.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<std::path::PathBuf>,

    /// The certificate (PEM) of --key.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// SCIM base URL of the app to check, e.g. https://app.example.com/scim/v2 (default: the
    /// embedded reference app).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// Bearer token: sent as "Authorization: Bearer TOKEN" (OIN "Bearer", AIW "HTTP Header").
    #[arg(long, env = "OKTA_SIM_TOKEN", hide_env_values = true, group = "auth")]
    pub token: Option<String>,

    /// The whole Authorization header value, sent verbatim (OIN "Header" mode, Header Auth template).
    #[arg(long, value_name = "VALUE", group = "auth")]
    pub auth_header: Option<String>,

    /// Basic authentication (AIW apps and the Basic Auth template).
    #[arg(long, value_name = "USER:PASS", group = "auth")]
    pub basic: Option<String>,

    /// An OAuth 2.0 access token, sent as a bearer token.
    #[arg(long, value_name = "TOKEN", group = "auth")]
    pub oauth_token: Option<String>,

    /// oin: PATCH for activation and groups; aiw: GET then PUT for every update.
    #[arg(long, default_value = "oin", value_parser = ["oin", "aiw"])]
    pub app_kind: String,

    /// Run only scenarios matching this tag expression, e.g. "@groups and not @rename".
    #[arg(long, value_name = "EXPR")]
    pub tags: Option<String>,

    /// Also run the .feature files of this directory (with the step vocabulary of features/README.md).
    #[arg(long, value_name = "DIR")]
    pub features: Option<std::path::PathBuf>,

    /// Run only the feature files of --features, not the embedded ones.
    #[arg(long, requires = "features")]
    pub only_features: bool,

    /// Write a report: junit=PATH (JUnit XML) or json=PATH. Repeatable.
    #[arg(long, value_name = "KIND=PATH")]
    pub report: Vec<String>,

    /// Seed of every generated value (ids, names, emails, passwords); the same seed gives the same run.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Write every request and response, with timestamps, to this JSON file (tokens masked).
    #[arg(long, value_name = "PATH")]
    pub transcript: Option<std::path::PathBuf>,

    /// Seconds to wait for an answer (Okta waits 60).
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    pub timeout: f64,

    /// Multiply Okta's 429 waits (Retry-After, else 5 min doubling); 0 retries at once.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub retry_time_scale: f64,

    /// Turn on "Rename app groups to match group name in Okta" for every scenario.
    #[arg(long)]
    pub rename_groups: bool,

    /// Group features off: Test API Credentials does not probe /Groups.
    #[arg(long)]
    pub no_group_features: bool,

    /// What a Group Push does when the app already has a group of that name (UNCONFIRMED in Okta's docs).
    #[arg(long, default_value = "link", value_parser = ["link", "fail"])]
    pub existing_group: String,

    /// Body of an OIN password-sync PATCH (UNCONFIRMED): pathless {"value":{"password":…}} or path "password".
    #[arg(long, default_value = "pathless", value_parser = ["pathless", "path"])]
    pub password_body: String,

    /// The SP's Assertion Consumer Service URL: runs the @saml scenarios against that SP.
    #[arg(long, value_name = "URL", requires = "sp_audience")]
    pub sp_acs: Option<String>,

    /// The SP's entity ID (Okta's "Audience URI").
    #[arg(long, value_name = "ID")]
    pub sp_audience: Option<String>,

    /// A URL of the SP that answers JSON naming who the session cookie belongs to
    /// (nameId, userName, email, sub or user): lets okta-sim report who got logged in.
    #[arg(long, value_name = "URL")]
    pub sp_whoami: Option<String>,

    /// The SP's SP-initiated login start (a GET that redirects to the IdP with an AuthnRequest).
    #[arg(long, value_name = "URL")]
    pub sp_login: Option<String>,

    /// Read the SP's entity ID and ACS URL from its metadata instead.
    #[arg(long, value_name = "URL", conflicts_with = "sp_acs")]
    pub sp_metadata: Option<String>,

    /// The IdP signing key (PEM) the SP trusts; default: the key okta-sim saved on first use
    /// (print its metadata with `okta-sim saml metadata`).
    #[arg(long, value_name = "PEM", requires = "idp_cert")]
    pub idp_key: Option<std::path::PathBuf>,

    /// The certificate (PEM) of --idp-key.
    #[arg(long, value_name = "PEM", requires = "idp_key")]
    pub idp_cert: Option<std::path::PathBuf>,

    /// What an SP accepting SHA-1 signatures gets: warn (rfc-should) or fail (rfc-must).
    #[arg(long, default_value = "warn", value_parser = ["warn", "fail"])]
    pub sha1_policy: String,
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

    /// Switch on a deliberate fault, to see what okta-sim check reports for it (repeatable):
    /// ignore-paging, items-per-page-is-count, string-paging, create-without-id,
    /// no-conflict-on-duplicate, ignore-deactivation, refuse-pathless-patch, refuse-member-filter,
    /// refuse-rename, plain-401, patch-500, keep-duplicate-members, members-null,
    /// numeric-error-status.
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(okta_sim::app::faults::Fault::ALL.map(|f| f.name())))]
    pub fault: Vec<String>,

    /// The IdP the SAML SP trusts, from its metadata file (entityID, certificate, SSO URL);
    /// default: the okta-sim IdP (`okta-sim saml idp`) with its saved key.
    #[arg(long, value_name = "PATH")]
    pub idp_metadata: Option<std::path::PathBuf>,

    /// Let the SP accept SHA-1 signatures.
    #[arg(long)]
    pub allow_sha1: bool,

    /// Path of the SAML SP's Assertion Consumer Service.
    #[arg(long, default_value = "/saml/acs")]
    pub acs_path: String,

    /// Clock skew the SP allows on NotBefore / NotOnOrAfter, in seconds.
    #[arg(long, default_value_t = 60)]
    pub clock_skew: u64,
}
