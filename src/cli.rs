//! Command-line definitions (clap), and their conversion into the library's options.
//! `main.rs` dispatches.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use okta_sim::app::faults::{FAULTS, FaultDef};
use okta_sim::app::profile::AppProfile;
use okta_sim::app::saml_sp::SpConfig;
use okta_sim::conformance::{CheckOptions, Grade, SpTarget, Target};
use okta_sim::integration::IntegrationProfile;
use okta_sim::okta::ops::{ExistingGroupOnPush, OktaSettings, PasswordSyncBody, ProfilePush};
use okta_sim::okta::{AppKind, Auth};
use okta_sim::saml::idp::{IdpError, ResponseSpec, SamlApp, SamlUser, SignParts, base64_encode};
use okta_sim::saml::keys::SigningKey;

/// The binary's allocator: mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// List the built-in integration profiles (`--profile` of check and serve).
    Profiles,
    /// Reproduce a task Okta logged: rebuild it from a System Log export and send it to a
    /// target as Okta would; print the exchanges and what Okta would log now.
    ///
    /// Exit code 0: the task ended as the export says (the same outcome and admin-console
    /// line); 1: it did not (fixed, or failing differently); 2: usage error or unreachable target.
    Replay(ReplayArgs),
    /// Say which scenario and task of a run made an id okta-sim made (an Okta user 00u…, a
    /// transaction puj…, an event uuid, an AppUser 0ua…, or any value its exchanges carry).
    ///
    /// From a past run's files (--events, --transcript), or the same run made again from its
    /// seed. Exit code 0: found; 1: not found; 2: usage error.
    Explain(ExplainArgs),

    /// Okta's bulk operations against a SCIM server, at Okta's pace or faster: assign N users,
    /// push a large group, import the org, push profiles, deactivate. Every answer is checked;
    /// prints throughput, latency percentiles, errors by status and the tasks Okta would fail.
    /// With no --target it loads the embedded reference app. Exit code 0: Okta would complete
    /// every task; 1: some task would fail; 2: usage error.
    Load(load::LoadArgs),
    /// Render an earlier run as one HTML page, from its JSON report or its transcript.
    Report(report::ReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The id to explain.
    pub id: String,

    /// The run's --events file.
    #[arg(long, value_name = "PATH")]
    pub events: Option<PathBuf>,

    /// The run's --transcript file.
    #[arg(long, value_name = "PATH")]
    pub transcript: Option<PathBuf>,

    /// Make the run again against the embedded app from its seed (with its --profile and
    /// --tags), instead of reading its files.
    #[arg(long, conflicts_with_all = ["events", "transcript"])]
    pub seed: Option<u64>,

    /// The run's integration profile (with --seed).
    #[arg(long, value_name = "NAME|FILE", value_parser = parse_profile, requires = "seed")]
    pub profile: Option<IntegrationProfile>,

    /// The run's tag expression (with --seed).
    #[arg(long, requires = "seed")]
    pub tags: Option<String>,
}

/// `okta-sim explain`: find the id in a run's events and exchanges.
pub async fn explain(args: ExplainArgs) -> anyhow::Result<std::process::ExitCode> {
    use serde_json::Value;
    use std::process::ExitCode;
    let fail = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitCode::from(2))
    };
    let (events, exchanges): (Vec<Value>, Vec<Value>) = match args.seed {
        Some(seed) => {
            let opts = CheckOptions {
                seed: Some(seed),
                profile: args.profile.clone(),
                tags: args.tags.clone(),
                print: false,
                ..CheckOptions::default()
            };
            match okta_sim::embedded::run_embedded(opts).await {
                Ok(o) => (
                    o.events,
                    o.exchanges
                        .iter()
                        .filter_map(|x| serde_json::to_value(x).ok())
                        .collect(),
                ),
                Err(e) => return fail(e.to_string()),
            }
        }
        None => {
            if args.events.is_none() && args.transcript.is_none() {
                return fail(
                    "give the run's --events and --transcript files, or its --seed".into(),
                );
            }
            let read = |p: &Option<PathBuf>| match p {
                None => Ok(String::new()),
                Some(p) => read_bounded(p, MAX_RUN_FILE_BYTES),
            };
            let (ev, tr) = match (read(&args.events), read(&args.transcript)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => return fail(e),
            };
            let events = match okta_sim::okta::replay::read_export(&ev) {
                Ok(e) => e,
                Err(e) => return fail(e.to_string()),
            };
            let exchanges = if tr.trim().is_empty() {
                Vec::new()
            } else {
                match serde_json::from_str::<Value>(&tr) {
                    Ok(Value::Array(a)) => a,
                    _ => return fail("the transcript is not a JSON array of exchanges".into()),
                }
            };
            (events, exchanges)
        }
    };
    let lines = okta_sim::conformance::explain::explain(&args.id, &events, &exchanges);
    if lines.is_empty() {
        println!(
            "{} appears in none of the run's {} events and {} exchanges",
            args.id,
            events.len(),
            exchanges.len()
        );
        return Ok(ExitCode::from(1));
    }
    for l in lines {
        println!("{l}");
    }
    Ok(ExitCode::SUCCESS)
}

pub mod load;
pub mod report;

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The System Log export: the JSON array /api/v1/logs returns, or one event per line.
    #[arg(long, value_name = "FILE", required_unless_present = "transcript")]
    pub system_log: Option<PathBuf>,

    /// Instead: a run's --transcript, sent again in order (ids the target assigns remapped);
    /// each exchange whose answer now differs is reported.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["system_log", "transaction", "uuid", "okta_user"])]
    pub transcript: Option<PathBuf>,

    /// Replay the events of this transaction (`transaction.id`, type JOB).
    #[arg(long, value_name = "ID")]
    pub transaction: Option<String>,

    /// Replay this event (`uuid`).
    #[arg(long, value_name = "UUID", conflicts_with = "transaction")]
    pub uuid: Option<String>,

    /// The Okta user's profile (a JSON object: firstName, lastName, login, and any attribute
    /// a mapping reads), when the event's targets are not enough.
    #[arg(long, value_name = "FILE")]
    pub okta_user: Option<PathBuf>,

    /// The SCIM base URL to send the task to.
    #[arg(long, value_name = "URL")]
    pub target: String,

    /// Bearer token for the target.
    #[arg(long, env = "OKTA_SIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// OIN (PATCH) or AIW (GET then PUT).
    #[arg(long, value_enum, default_value_t = AppKind::Oin)]
    pub app_kind: AppKind,

    /// Seed of the values okta-sim makes (the placeholder password, the new event's ids).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The most bytes of a run's transcript or events file `replay` and `explain` read (whole).
const MAX_RUN_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A file read whole, refused (before reading) when larger than `max` bytes.
fn read_bounded(path: &std::path::Path, max: u64) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    if std::fs::metadata(path).map_err(cannot)?.len() > max {
        return Err(format!(
            "{} is larger than {} MiB",
            path.display(),
            max / (1024 * 1024)
        ));
    }
    std::fs::read_to_string(path).map_err(cannot)
}

/// `okta-sim replay --transcript`: the run's SCIM exchanges sent again; those that now differ.
async fn resend_transcript(
    wire: &okta_sim::okta::WireClient,
    path: &std::path::Path,
) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    let text = match read_bounded(path, MAX_RUN_FILE_BYTES) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let Ok(serde_json::Value::Array(exchanges)) = serde_json::from_str(&text) else {
        eprintln!(
            "error: {} is not a transcript (a JSON array of exchanges)",
            path.display()
        );
        return Ok(ExitCode::from(2));
    };
    let resent = match okta_sim::conformance::rerun::resend(wire, &exchanges).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if resent.iter().all(|r| r.status.1.is_none()) {
        eprintln!("error: the target did not answer");
        return Ok(ExitCode::from(2));
    }
    let differing: Vec<_> = resent.iter().filter(|r| r.difference.is_some()).collect();
    for r in &differing {
        println!("#{} {}  ({})", r.index, r.request, r.label);
        for line in r.difference.as_deref().unwrap_or_default().lines() {
            println!("    {line}");
        }
    }
    println!(
        "{} exchanges sent again, {} answered differently",
        resent.len(),
        differing.len()
    );
    Ok(if differing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `okta-sim replay`: rebuild each selected task, send it, print what happened and whether it
/// ended as the export says.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<std::process::ExitCode> {
    use okta_sim::okta::replay::{read_export, replay, select, task_of};
    use std::process::ExitCode;
    let fail = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitCode::from(2))
    };
    let read = |p: &PathBuf| read_bounded(p, okta_sim::okta::replay::MAX_EXPORT_BYTES as u64);
    let auth = Auth::Bearer(args.token.clone().unwrap_or_default());
    let log = std::sync::Arc::new(okta_sim::okta::log::ExchangeLog::new(
        okta_sim::okta::redact::Redactor::for_auth(&auth),
    ));
    let wire = match okta_sim::okta::WireClient::new(
        &args.target,
        auth,
        okta_sim::okta::wire::OKTA_TIMEOUT,
        okta_sim::okta::RetryPolicy::default(),
        log,
    ) {
        Ok(w) => w,
        Err(e) => return fail(e.to_string()),
    };
    if let Some(t) = &args.transcript {
        return resend_transcript(&wire, t).await;
    }
    let Some(system_log) = &args.system_log else {
        return fail("give --system-log FILE or --transcript FILE".into());
    };
    let text = match read(system_log) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let okta_user = match &args.okta_user {
        None => None,
        Some(p) => match read(p).map(|t| serde_json::from_str::<serde_json::Value>(&t)) {
            Ok(Ok(serde_json::Value::Object(m))) => Some(m),
            Ok(_) => return fail(format!("{} is not a JSON object", p.display())),
            Err(e) => return fail(e),
        },
    };
    let events = match read_export(&text) {
        Ok(e) => e,
        Err(e) => return fail(e.to_string()),
    };
    let picked = match select(&events, args.transaction.as_deref(), args.uuid.as_deref()) {
        Ok(p) => p,
        Err(e) => return fail(e.to_string()),
    };
    let settings = OktaSettings {
        app_kind: args.app_kind,
        ..OktaSettings::default()
    };
    let mut all = true;
    let mut event_ids = okta_sim::okta::OktaIds::new(args.seed ^ 0x5265_706c);
    for event in picked {
        let task = task_of(event, okta_user.as_ref(), args.seed);
        let mut session = okta_sim::okta::Session::new(
            wire.clone(),
            settings.clone(),
            okta_sim::okta::OktaIds::new(args.seed),
        );
        println!(
            "replaying {} of transaction {} ({}){}",
            task.event_type,
            task.transaction,
            task.logged.0,
            task.user
                .as_ref()
                .map(|u| format!(" for {}", u.login))
                .unwrap_or_default()
        );
        let r = match replay(&mut session, task, &mut event_ids).await {
            Ok(r) => r,
            Err(e) => return fail(e.to_string()),
        };
        let first = r
            .setup
            .iter()
            .chain([&r.op])
            .flat_map(|o| o.exchanges())
            .next();
        if let Some(ex) = first.filter(|e| e.response.is_none()) {
            return fail(format!("the target did not answer: {}", ex.got()));
        }
        for (what, op) in r
            .setup
            .iter()
            .map(|o| ("setup", o))
            .chain([("task", &r.op)])
        {
            for ex in op.exchanges() {
                println!("  {what:5} {}", ex.sent());
                println!("        → {}", ex.got());
            }
        }
        println!("  Okta would log: {}", r.event);
        println!(
            "  admin console now: {}",
            r.message.as_deref().unwrap_or("(no failure)")
        );
        println!(
            "  the export says:   {}",
            r.task.logged.1.as_deref().unwrap_or("(no failure)")
        );
        if r.reproduced() {
            println!("  reproduced: the same outcome and message");
        } else {
            println!("  NOT reproduced: the task ends differently now");
            all = false;
        }
    }
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `okta-sim profiles`: one line per built-in integration profile.
pub fn profiles_text() -> String {
    let mut s = String::new();
    for p in IntegrationProfile::built_in() {
        let guide = p
            .guide
            .as_deref()
            .map(|g| format!(" (guide {g})"))
            .unwrap_or_default();
        s.push_str(&format!(
            "{:12} {}{guide}: {}\n",
            p.name, p.vendor, p.summary
        ));
    }
    s.push_str("\nOr --profile FILE.toml: the format is described in the README (\"Integration profiles\").");
    s
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
    pub key: Option<PathBuf>,

    /// The certificate (PEM) of --key.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,

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
    #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attr)]
    pub attrs: Vec<(String, String)>,

    /// The AuthnRequest ID this answers (SP-initiated); absent: IdP-initiated.
    #[arg(long, value_name = "ID")]
    pub in_response_to: Option<String>,

    /// Which parts are signed.
    #[arg(long, value_enum, default_value_t = SignParts::Both)]
    pub sign: SignParts,

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

fn parse_attr(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?}: use NAME=VALUE"))
}

#[derive(Debug, clap::Args)]
pub struct SamlIdpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7000")]
    pub addr: SocketAddr,

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
    pub key: Option<PathBuf>,

    /// The certificate (PEM) of --key.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
}

/// What an SP accepting SHA-1 signatures gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Sha1Policy {
    /// A warning (rfc-should).
    Warn,
    /// A failure (rfc-must).
    Fail,
}

/// How `check --list` prints the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Print every check okta-sim makes (id, grade, citation, what it needs) and exit.
    #[arg(long)]
    pub list: bool,

    /// The format of --list.
    #[arg(long, value_enum, default_value_t = ListFormat::Text, requires = "list")]
    pub format: ListFormat,

    /// SCIM base URL of the app to check, e.g. https://app.example.com/scim/v2 (default: the
    /// embedded reference app).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// Configure the simulated Okta as an integration profile tells the admin to (app kind,
    /// features, group settings, attribute mappings; scenarios of features it leaves off are
    /// skipped); without --target, the embedded app runs in that profile. A built-in name
    /// (`okta-sim profiles`) or a .toml file.
    #[arg(long, value_name = "NAME|FILE", value_parser = parse_profile)]
    pub profile: Option<IntegrationProfile>,

    /// The customer's tenant, where the profile's URLs have one (the Audience and ACS URL Okta
    /// signs for) [default: the profile's example].
    #[arg(long, value_name = "NAME", requires = "profile")]
    pub tenant: Option<String>,

    /// Write the System Log events Okta would log for the run, one JSON object per line (the
    /// shape of /api/v1/logs): each task's transaction id, event uuid, targets, outcome and, on
    /// a failure, the admin-console message.
    #[arg(long, value_name = "PATH")]
    pub events: Option<PathBuf>,

    /// Fix okta-sim's clock at this RFC 3339 time (it advances a millisecond per reading): with
    /// --seed, a run made again repeats byte for byte, SAML included.
    #[arg(long, value_name = "RFC3339", value_parser = okta_sim::timestamp::parse)]
    pub clock: Option<time::OffsetDateTime>,

    /// Write every exchange of the run as HAR 1.2 (the credential redacted; okta-sim's label,
    /// attempt and transaction id in each entry's comment).
    #[arg(long, value_name = "PATH")]
    pub har: Option<PathBuf>,

    /// Send each task's transaction id to the app in this header (Okta sends none), to find
    /// okta-sim's requests in the app's own logs.
    #[arg(long, value_name = "NAME", value_parser = parse_header_name)]
    pub correlation_header: Option<String>,

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
    #[arg(long, value_enum, default_value_t = AppKind::Oin)]
    pub app_kind: AppKind,

    /// Run only scenarios matching this tag expression, e.g. "@groups and not @rename".
    #[arg(long, value_name = "EXPR")]
    pub tags: Option<String>,

    /// Also run the .feature files of this directory (with the step vocabulary of features/README.md).
    #[arg(long, value_name = "DIR")]
    pub features: Option<PathBuf>,

    /// Run only the feature files of --features, not the embedded ones.
    #[arg(long, requires = "features")]
    pub only_features: bool,

    /// Write a report: junit=PATH (JUnit XML), json=PATH, or html=PATH (one self-contained
    /// page: what broke, then each scenario's exchanges as a sequence diagram). Repeatable.
    #[arg(long, value_name = "KIND=PATH")]
    pub report: Vec<String>,

    /// Seed of every generated value (ids, names, emails, passwords); the same seed gives the same run.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Write every request and response, with timestamps, to this JSON file as the run goes
    /// (the credential masked and redacted; bodies up to 1 MiB).
    #[arg(long, value_name = "PATH")]
    pub transcript: Option<PathBuf>,

    /// Seconds to wait for an answer (Okta waits 60).
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    pub timeout: f64,

    /// Seconds the whole run may take: no request, 429 wait or scenario outlives it; scenarios
    /// left at the deadline fail without running (at most 86400).
    #[arg(long, default_value_t = 600.0, value_name = "SECS")]
    pub deadline: f64,

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
    #[arg(long, value_enum, default_value_t = ExistingGroupOnPush::Link)]
    pub existing_group: ExistingGroupOnPush,

    /// Body of an OIN password-sync PATCH (UNCONFIRMED): pathless {"value":{"password":…}} or path "password".
    #[arg(long, value_enum, default_value_t = PasswordSyncBody::PathlessValue)]
    pub password_body: PasswordSyncBody,

    /// List each extension URN a user body carries in its `schemas` too (UNCONFIRMED for SCIM
    /// 2.0; off by default: Okta's documented create example lists only the core URN).
    #[arg(long)]
    pub extension_urns_in_schemas: bool,

    /// How a changed app profile (and a grant) is pushed (UNCONFIRMED): GET + whole-user PUT, or
    /// one path-less PATCH replace with the whole app profile.
    #[arg(long, value_enum, default_value_t = ProfilePush::GetPut)]
    pub profile_push: ProfilePush,

    /// Do not push members' changed app profiles when a group assignment changes (a group
    /// assigned, its priority changed, a member leaving); UNCONFIRMED whether Okta pushes at once.
    #[arg(long)]
    pub no_push_on_assignment_change: bool,

    /// Page size of entitlement discovery (the production query is UNCONFIRMED).
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub grant_page_size: u16,

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
    pub idp_key: Option<PathBuf>,

    /// The certificate (PEM) of --idp-key.
    #[arg(long, value_name = "PEM", requires = "idp_key")]
    pub idp_cert: Option<PathBuf>,

    /// What an SP accepting SHA-1 signatures gets: warn (rfc-should) or fail (rfc-must).
    #[arg(long, value_enum, default_value_t = Sha1Policy::Warn)]
    pub sha1_policy: Sha1Policy,
}

impl CheckArgs {
    /// The options of the run these arguments ask for (`Err`: a usage error).
    pub async fn options(self) -> Result<CheckOptions, String> {
        let sp = self.sp_target().await?;
        let auth = match (self.auth_header, self.basic, self.oauth_token, self.token) {
            (Some(v), ..) => Some(Auth::Header(v)),
            (_, Some(b), ..) => match b.split_once(':') {
                Some((u, p)) => Some(Auth::Basic {
                    user: u.into(),
                    password: p.into(),
                }),
                None => return Err("--basic takes USER:PASS".into()),
            },
            (_, _, Some(t), _) => Some(Auth::OAuth(t)),
            (.., Some(t)) => Some(Auth::Bearer(t)),
            _ => None,
        };
        // A profile that connects with OAuth gets its token from the app's authorization server.
        let oauth = self
            .profile
            .as_ref()
            .is_some_and(|p| p.scim.auth == okta_sim::integration::AuthMode::Oauth);
        let target = match (self.target, auth) {
            (None, _) => Target::None,
            (Some(base_url), Some(auth)) => Target::Url { base_url, auth },
            (Some(base_url), None) if oauth => Target::Url {
                base_url,
                auth: Auth::Bearer(String::new()),
            },
            (Some(_), None) => {
                return Err(
                    "--target needs credentials: --token, --auth-header, --basic or \
                            --oauth-token (or OKTA_SIM_TOKEN)"
                        .into(),
                );
            }
        };
        let (mut junit, mut json, mut html) = (None, None, None);
        for r in &self.report {
            match r.split_once('=') {
                Some(("junit", p)) if !p.is_empty() => junit = Some(p.into()),
                Some(("json", p)) if !p.is_empty() => json = Some(p.into()),
                Some(("html", p)) if !p.is_empty() => html = Some(p.into()),
                _ => {
                    return Err(format!(
                        "--report {r:?}: use junit=PATH, json=PATH or html=PATH"
                    ));
                }
            }
        }
        let timeout = Duration::try_from_secs_f64(self.timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or("--timeout must be a positive number of seconds")?;
        let deadline = Duration::try_from_secs_f64(self.deadline)
            .ok()
            .filter(|d| !d.is_zero() && *d <= okta_sim::okta::limits::MAX_DEADLINE)
            .ok_or("--deadline must be a number of seconds above 0 and at most 86400")?;
        if !(self.retry_time_scale >= 0.0 && self.retry_time_scale.is_finite()) {
            return Err("--retry-time-scale must be 0 or more".into());
        }
        let idp_key = match (&self.idp_key, &self.idp_cert) {
            (Some(k), Some(c)) => Some(SigningKey::from_files(k, c).map_err(|e| e.to_string())?),
            _ => None,
        };
        Ok(CheckOptions {
            target,
            app_kind: self.app_kind,
            tags: self.tags,
            features_dir: self.features,
            only_features_dir: self.only_features,
            junit,
            json,
            html,
            transcript: self.transcript,
            seed: self.seed,
            timeout,
            deadline,
            retry_time_scale: self.retry_time_scale,
            settings: OktaSettings {
                group_features: !self.no_group_features,
                rename_app_groups: self.rename_groups,
                existing_group_on_push: self.existing_group,
                password_sync_body: self.password_body,
                profile_push: self.profile_push,
                push_on_assignment_change: !self.no_push_on_assignment_change,
                grant_page_size: usize::from(self.grant_page_size),
                app_schema: okta_sim::okta::appschema::AppUserSchema {
                    list_extension_schemas: self.extension_urns_in_schemas,
                    ..Default::default()
                },
                ..OktaSettings::default()
            },
            print: true,
            sp,
            idp_key,
            label: None,
            profile: self.profile,
            tenant: self.tenant,
            events: self.events,
            correlation_header: self.correlation_header,
            har: self.har,
            clock: self.clock,
            sha1_grade: match self.sha1_policy {
                Sha1Policy::Warn => Grade::RfcShould,
                Sha1Policy::Fail => Grade::RfcMust,
            },
        })
    }

    /// The SP of `--sp-acs …` or `--sp-metadata URL`.
    async fn sp_target(&self) -> Result<Option<SpTarget>, String> {
        let mut sp = match (&self.sp_acs, &self.sp_audience, &self.sp_metadata) {
            (Some(acs), Some(aud), _) => SpTarget {
                acs_url: acs.clone(),
                audience: aud.clone(),
                whoami_url: None,
                login_url: None,
                post_to: None,
                test_url: None,
            },
            (None, _, Some(url)) => {
                let mut sp = SpTarget::from_metadata_url(url)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some(aud) = &self.sp_audience {
                    sp.audience = aud.clone();
                }
                sp
            }
            (Some(_), None, _) => return Err("--sp-acs needs --sp-audience".into()),
            (None, _, None) => {
                if self.sp_whoami.is_some() || self.sp_login.is_some() {
                    return Err(
                        "--sp-whoami and --sp-login need --sp-acs and --sp-audience \
                                (or --sp-metadata)"
                            .into(),
                    );
                }
                // A profile says where its app's SAML URLs are: on the target's host.
                return match (&self.profile, &self.target) {
                    (Some(p), Some(t)) if p.saml.enabled => {
                        let u = reqwest::Url::parse(t)
                            .map_err(|e| format!("invalid target URL {t:?}: {e}"))?;
                        let origin = u.origin().ascii_serialization();
                        SpTarget::of_profile(p, self.tenant.as_deref(), &origin).map(Some)
                    }
                    _ => Ok(None),
                };
            }
        };
        sp.whoami_url = self.sp_whoami.clone();
        sp.login_url = self.sp_login.clone();
        for u in [
            Some(&sp.acs_url),
            sp.whoami_url.as_ref(),
            sp.login_url.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if reqwest::Url::parse(u).is_err() {
                return Err(format!("{u:?} is not a URL"));
            }
        }
        Ok(Some(sp))
    }
}

/// `--correlation-header NAME`: an HTTP header name that is not one Okta already sends.
fn parse_header_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let taken = [
        "authorization",
        "host",
        "content-type",
        "content-length",
        "accept",
        "accept-charset",
        "user-agent",
        "connection",
        "accept-encoding",
    ];
    if !ok {
        return Err(format!(
            "{name:?} is not a header name (letters, digits, '-', '_')"
        ));
    }
    if taken.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!("{name} is a header Okta already sends"));
    }
    Ok(name.to_string())
}

/// `--profile NAME|FILE.toml`: a built-in integration profile, or one from a file.
fn parse_profile(name: &str) -> Result<IntegrationProfile, String> {
    IntegrationProfile::load(name).map_err(|e| e.to_string())
}

/// `--fault NAME`: one of the fault switches.
fn parse_fault(name: &str) -> Result<&'static FaultDef, String> {
    okta_sim::app::faults::fault_named(name).ok_or_else(|| {
        format!(
            "no fault named {name:?} (see okta-sim serve --help for the {} switches)",
            FAULTS.len()
        )
    })
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Bearer token clients must send; a random one is generated and printed when not given.
    #[arg(long, env = "OKTA_SIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Path the SCIM API is served under [default: the profile's, /scim/v2 for the reference].
    #[arg(long)]
    pub base_path: Option<String>,

    /// Create this many users at start (Okta's SPEC test needs at least one).
    #[arg(long, default_value_t = 0)]
    pub seed_users: usize,

    /// Integration profile: a built-in name (see the list below, or `okta-sim profiles`) or a
    /// .toml file of your own.
    #[arg(long, default_value = "reference", value_name = "NAME|FILE", value_parser = parse_profile)]
    pub profile: IntegrationProfile,

    /// Switch on a deliberate fault, to see what okta-sim check reports for it (repeatable;
    /// see the list below).
    #[arg(long, value_name = "NAME", value_parser = parse_fault)]
    pub fault: Vec<&'static FaultDef>,

    /// The IdP the SAML SP trusts, from its metadata file (entityID, certificate, SSO URL);
    /// default: the okta-sim IdP (`okta-sim saml idp`) with its saved key.
    #[arg(long, value_name = "PATH")]
    pub idp_metadata: Option<PathBuf>,

    /// Let the SP accept SHA-1 signatures.
    #[arg(long)]
    pub allow_sha1: bool,

    /// Path of the SAML SP's Assertion Consumer Service [default: the profile's, /saml/acs for
    /// the reference].
    #[arg(long)]
    pub acs_path: Option<String>,

    /// The customer's tenant, where the profile's URLs have one (Atomation's subdomain, Natoma's
    /// tenant id) [default: the profile's example].
    #[arg(long, value_name = "NAME")]
    pub tenant: Option<String>,

    /// Clock skew the SP allows on NotBefore / NotOnOrAfter, in seconds.
    #[arg(long, default_value_t = 60)]
    pub clock_skew: u64,
}

/// The text after `serve --help`'s options: the profiles and the fault switches, from their tables.
pub fn serve_after_help() -> String {
    let mut s = String::from("Profiles (--profile):\n");
    for p in IntegrationProfile::built_in() {
        s.push_str(&format!("  {:26} {}\n", p.name, p.summary));
    }
    s.push_str("\nFault switches (--fault):\n");
    for f in FAULTS {
        s.push_str(&format!("  {:26} {}\n", f.name, f.describe));
    }
    s
}

impl ServeArgs {
    /// The reference app's behaviour in the chosen profile.
    pub fn app_profile(&self) -> AppProfile {
        AppProfile::from_integration(&self.profile)
    }

    /// `--base-path`, else the profile's SCIM base path.
    pub fn base_path(&self) -> String {
        self.base_path
            .clone()
            .unwrap_or_else(|| self.profile.scim.base_path.clone())
    }

    /// The SP configuration: trusting `--idp-metadata`, or the okta-sim IdP's saved key. `Err`
    /// is a usage error; `Ok(None)` with a warning means SCIM alone.
    pub fn sp_config(&self) -> Result<(Option<SpConfig>, Option<String>), String> {
        let urls = self.profile.sp_urls(self.tenant.as_deref())?;
        let acs_path = self.acs_path.clone().unwrap_or(urls.acs_path.clone());
        let reserved = [
            "/saml/metadata",
            "/saml/login",
            "/saml/whoami",
            "/saml/test",
        ];
        if !acs_path.starts_with('/') || reserved.iter().any(|r| acs_path.starts_with(r)) {
            return Err(format!(
                "--acs-path {acs_path:?}: use a path such as /saml/acs"
            ));
        }
        let trusted = match &self.idp_metadata {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let md = okta_sim::saml::metadata::IdpMetadata::parse(&text)
                    .map_err(|e| format!("{} is not usable IdP metadata: {e}", path.display()))?;
                SpConfig::trusting(&md.entity_id, md.signing_cert_der, &md.sso_url)
            }
            None => match SigningKey::given_or_saved(None, None) {
                Ok(key) => SpConfig::trusting_okta_sim(&key),
                Err(e) => {
                    return Ok((
                        None,
                        Some(format!(
                            "no SAML SP: {e:#} (give --idp-metadata, or a writable OKTA_SIM_HOME)"
                        )),
                    ));
                }
            },
        };
        Ok((
            Some(SpConfig {
                allow_sha1: self.allow_sha1,
                acs_path,
                entity_id_path: urls.entity_id_path,
                public_url: urls.public_origin,
                clock_skew: Duration::from_secs(self.clock_skew),
                ..trusted
            }),
            None,
        ))
    }
}

impl SamlIdpArgs {
    /// The user signed in at the IdP.
    pub fn user(&self) -> SamlUser {
        SamlUser {
            name_id: self.user.clone(),
            email: self.user.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            groups: self.groups.clone(),
            custom: vec![],
        }
    }

    /// The app the IdP serves, once it knows its own URL.
    pub fn app(&self, key: &SigningKey) -> impl FnOnce(&str) -> SamlApp + use<> {
        let (acs, audience) = (self.acs.clone(), self.audience.clone());
        let (relay, key) = (self.default_relay_state.clone(), key.clone());
        move |org: &str| SamlApp {
            default_relay_state: relay,
            ..SamlApp::new(org, &acs, &audience).with_key_identity(&key)
        }
    }
}

impl SamlSignArgs {
    /// The signed response these arguments describe, as the base64 a form would post.
    pub fn signed_response(&self, key: &SigningKey) -> Result<String, IdpError> {
        let app = SamlApp::new(&self.key.org_url, &self.acs, &self.audience)
            .with_key_identity(key)
            .signing(self.sign, self.sha1)
            .without_default_attributes();
        let user = SamlUser {
            name_id: self.user.clone(),
            ..SamlUser::default()
        };
        let mut spec = ResponseSpec::for_user(&app, &user, self.in_response_to.as_deref());
        spec.attributes = ResponseSpec::attributes_from_pairs(&self.attrs);
        Ok(base64_encode(&spec.to_xml(key)?))
    }
}
