//! The conformance suite: Gherkin features (embedded, plus the user's own) run with cucumber
//! against a target, every answer graded, results printed one line per scenario and written
//! as JUnit and JSON reports and a transcript of every exchange.
//!
//! The suite talks to targets only over HTTP, and knows nothing of the reference app:
//! `crate::embedded` starts one and hands its URLs here like any other target's. A run keeps all
//! its state to itself: two runs in one process go on side by side.

mod attr_steps;
pub mod catalogue;
pub mod check;
mod discovery;
pub mod explain;
mod grade;
pub mod html;
mod plan;
pub mod report;
pub mod rerun;
mod schemas;
mod sso;
mod vendor_steps;
mod world;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cucumber::World as _;
use futures::FutureExt as _;

pub use check::Grade;
pub use plan::EMBEDDED as EMBEDDED_FEATURES;
use plan::{Fate, Plan, Reach, Slot};
pub use report::{Outcome, ScenarioResult, Summary};

use crate::okta::RetryPolicy;
use crate::okta::limits::{DEFAULT_DEADLINE, RunLimits};
use crate::okta::log::ExchangeLog;
use crate::okta::ops::OktaSettings;
use crate::okta::redact::Redactor;
use crate::okta::wire::{AppKind, Auth, Exchange, WireClient, check_url, shown_url};
use crate::saml::idp::SamlApp;
use crate::saml::keys::SigningKey;
use world::{OktaWorld, RunContext};

/// Print a line to stdout; a closed pipe (`okta-sim check | head`) is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// What to run against.
#[derive(Debug, Clone)]
pub enum Target {
    /// A SCIM base URL and the credential Okta would send.
    /// A SCIM base URL and the credential Okta would send.
    Url {
        /// The SCIM base URL, e.g. `https://app.example.com/scim/v2`.
        base_url: String,
        /// The credential.
        auth: Auth,
    },
    /// No SCIM target: only the SSO scenarios run (against `CheckOptions::sp`).
    None,
}

/// The most okta-sim reads of an SP's metadata (one entity's metadata is a few kilobytes).
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// A service provider to sign in to (`--sp-acs` and friends).
#[derive(Debug, Clone)]
pub struct SpTarget {
    /// The SP's Assertion Consumer Service URL.
    pub acs_url: String,
    /// The SP entity ID, expected in the Audience.
    pub audience: String,
    /// A URL answering JSON that names who the session cookie belongs to.
    pub whoami_url: Option<String>,
    /// The SP-initiated login start (a GET that redirects to the IdP).
    pub login_url: Option<String>,
    /// Where the app runs, when the ACS URL and audience name its public origin
    /// (`https://acme.atomation.io`) but it is served elsewhere: responses are posted to the ACS
    /// path on this origin, still naming the public ACS URL as their Destination.
    pub post_to: Option<String>,
    /// The app's own "Test SAML" start, when it has one.
    pub test_url: Option<String>,
}

impl SpTarget {
    /// The SP a profile describes, served at `served` (an origin): its ACS and entity ID for
    /// `tenant`, its login, whoami and test paths.
    pub fn of_profile(
        p: &crate::integration::IntegrationProfile,
        tenant: Option<&str>,
        served: &str,
    ) -> Result<SpTarget, String> {
        let served = served.trim_end_matches('/');
        let urls = p.sp_urls(tenant)?;
        let (acs_url, audience) = urls.absolute(served);
        Ok(SpTarget {
            acs_url,
            audience,
            whoami_url: Some(format!("{served}{}", p.saml.whoami_path)),
            login_url: p
                .saml
                .sp_initiated
                .then(|| format!("{served}{}", p.saml.login_path)),
            post_to: urls.public_origin.map(|_| served.to_string()),
            test_url: (!p.saml.test_path.is_empty())
                .then(|| format!("{served}{}", p.saml.test_path)),
        })
    }

    /// Where a response is posted: the ACS URL, on `post_to` when the app runs elsewhere.
    pub fn delivery_url(&self) -> String {
        match (&self.post_to, reqwest::Url::parse(&self.acs_url)) {
            (Some(origin), Ok(u)) => format!("{}{}", origin.trim_end_matches('/'), u.path()),
            _ => self.acs_url.clone(),
        }
    }

    /// The SP described by its metadata (entity ID and HTTP-POST ACS), fetched from `url`.
    pub async fn from_metadata_url(url: &str) -> Result<SpTarget, CheckError> {
        let shown = shown_url(url);
        check_url(url)
            .map_err(|e| CheckError::Usage(format!("invalid --sp-metadata URL {shown:?}: {e}")))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| CheckError::Io(e.to_string()))?;
        let mut resp = client.get(url).send().await.map_err(|e| {
            CheckError::Unreachable(format!("cannot fetch --sp-metadata {shown}: {e}"))
        })?;
        let bytes = crate::okta::wire::read_body(&mut resp, MAX_METADATA_BYTES)
            .await
            .map_err(|(_, e)| {
                CheckError::Unreachable(format!("cannot read --sp-metadata {shown}: {e}"))
            })?;
        let text = String::from_utf8_lossy(&bytes);
        let md = crate::saml::metadata::SpMetadata::parse(&text)
            .map_err(|e| CheckError::Usage(format!("--sp-metadata {shown}: {e}")))?;
        Ok(SpTarget {
            acs_url: md.acs_url,
            audience: md.entity_id,
            whoami_url: None,
            login_url: None,
            post_to: None,
            test_url: None,
        })
    }
}

pub use crate::saml::idp::DEFAULT_IDP_ORG_URL;

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// What to check.
    pub target: Target,
    /// OIN (PATCH) or AIW (GET then PUT).
    pub app_kind: AppKind,
    /// A cucumber tag expression, e.g. `@groups and not @slow`.
    pub tags: Option<String>,
    /// More feature files to run besides the embedded ones.
    pub features_dir: Option<PathBuf>,
    /// Run only the feature files of `features_dir`.
    pub only_features_dir: bool,
    /// Where to write the JUnit report.
    pub junit: Option<PathBuf>,
    /// Where to write the JSON report.
    pub json: Option<PathBuf>,
    /// Where to write the HTML report.
    pub html: Option<PathBuf>,
    /// Where to stream every exchange (the credential redacted, bodies capped).
    pub transcript: Option<PathBuf>,
    /// Seed of every generated value; random when absent (and printed).
    pub seed: Option<u64>,
    /// How long to wait for an answer (Okta waits 60 s).
    pub timeout: Duration,
    /// How long the whole run may take: no request, 429 wait or scenario outlives it.
    pub deadline: Duration,
    /// Multiplies Okta's 429 waits (1.0 is Okta's timing).
    pub retry_time_scale: f64,
    /// The settings of the simulated Okta app instance.
    pub settings: OktaSettings,
    /// Print one line per scenario and the summary to stdout.
    pub print: bool,
    /// The SP for the `@saml` scenarios, besides the embedded one.
    pub sp: Option<SpTarget>,
    /// The IdP signing key a remote SP trusts (default: the saved okta-sim key).
    pub idp_key: Option<SigningKey>,
    /// The grade of an SP that accepts SHA-1 signatures.
    pub sha1_grade: Grade,
    /// How to name the target in the first line of output (default: its URL). Set when
    /// okta-sim started the target for the run (the embedded app): its URLs then name nothing
    /// a reader could reach again.
    pub label: Option<String>,
    /// The integration profile the simulated Okta is configured as (`--profile`): its
    /// features, mappings and group settings; scenarios of features it leaves off are skipped.
    pub profile: Option<crate::integration::IntegrationProfile>,
    /// The customer's tenant the profile's URLs are filled with (`--tenant`; default: the
    /// profile's example).
    pub tenant: Option<String>,
    /// Where to write the System Log events, one JSON object per line (`--events`).
    pub events: Option<PathBuf>,
    /// A header to carry each task's transaction id to the app (`--correlation-header`).
    pub correlation_header: Option<String>,
    /// Where to write every exchange as HAR 1.2 (`--har`).
    pub har: Option<PathBuf>,
    /// A fixed clock (`--clock`): okta-sim's times start there and advance a millisecond per
    /// reading, so a run made again with the same seed repeats byte for byte.
    pub clock: Option<time::OffsetDateTime>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            target: Target::None,
            app_kind: AppKind::Oin,
            tags: None,
            features_dir: None,
            only_features_dir: false,
            junit: None,
            json: None,
            html: None,
            transcript: None,
            seed: None,
            timeout: crate::okta::wire::OKTA_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            retry_time_scale: 1.0,
            settings: OktaSettings::default(),
            print: true,
            sp: None,
            idp_key: None,
            sha1_grade: Grade::RfcShould,
            label: None,
            profile: None,
            tenant: None,
            events: None,
            correlation_header: None,
            har: None,
            clock: None,
        }
    }
}

/// Why a run could not happen (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The options or the feature files are wrong.
    #[error("{0}")]
    Usage(String),
    /// Nothing answers at the target's address.
    #[error("the target is unreachable: {0}")]
    Unreachable(String),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

impl From<plan::PlanError> for CheckError {
    fn from(e: plan::PlanError) -> Self {
        match e {
            plan::PlanError::Read(..) => CheckError::Io(e.to_string()),
            _ => CheckError::Usage(e.to_string()),
        }
    }
}

/// What a run found.
pub struct RunOutcome {
    /// Every selected scenario, in feature order, skipped ones included.
    pub results: Vec<ScenarioResult>,
    /// The counts of the results.
    pub summary: Summary,
    /// The seed of the run: the same seed reproduces it.
    pub seed: u64,
    /// The SCIM base URL checked.
    pub base_url: String,
    /// Every request and response of the run, in order, bodies as excerpts (the transcript
    /// has them whole, up to its cap), the credential redacted.
    pub exchanges: Vec<Exchange>,
    /// Whether the run's deadline cut it short.
    pub deadline_passed: bool,
    /// The System Log events of the run, in order.
    pub events: Vec<serde_json::Value>,
}

impl RunOutcome {
    /// 0 when no `okta-required` or `rfc-must` check failed and no scenario failed, else 1.
    pub fn exit_code(&self) -> u8 {
        if self.summary.failed == 0 && self.summary.blocking_failures == 0 {
            0
        } else {
            1
        }
    }
}

/// Run the suite.
pub async fn run(mut opts: CheckOptions) -> Result<RunOutcome, CheckError> {
    if let Some(p) = &opts.profile {
        // The integration decides the app kind.
        opts.app_kind = match p.okta.app_kind.as_str() {
            "aiw" => AppKind::Aiw,
            _ => AppKind::Oin,
        };
    }
    let seed = opts.seed.unwrap_or_else(rand::random);
    let targets = connect(&opts, seed).await?;
    let plan = Plan::prepare(
        opts.tags.as_deref(),
        opts.features_dir.as_deref(),
        opts.only_features_dir,
        targets.reach(
            opts.app_kind,
            opts.profile
                .as_ref()
                .map(|p| p.features_off())
                .unwrap_or_default(),
            opts.profile.as_ref().map(|p| p.name.clone()),
        ),
    )?;
    let ctx = Arc::new(run_context(&opts, &targets, seed)?);
    if opts.print {
        announce(&opts, &targets, seed);
    }
    let results = execute(plan, ctx.clone(), opts.print).await;
    let transcript = ctx.log.finish();
    let events = ctx.syslog.finish();
    let outcome = RunOutcome {
        summary: Summary::of(&results),
        results,
        seed,
        base_url: targets.base_url.clone(),
        exchanges: ctx.log.exchanges(),
        deadline_passed: ctx.limits.expired(),
        events: ctx.syslog.events(),
    };
    transcript.map_err(CheckError::Io)?;
    events.map_err(CheckError::Io)?;
    write_reports(&opts, &outcome)?;
    if opts.print {
        summarize(&outcome);
    }
    Ok(outcome)
}

/// The targets of a run, checked to be reachable.
struct Targets {
    base_url: String,
    auth: Auth,
    scim: bool,
    sso: Option<Arc<sso::SsoTarget>>,
    log: Arc<ExchangeLog>,
    limits: Arc<RunLimits>,
    oauth: Option<Arc<world::OAuthSetup>>,
    syslog: Arc<crate::okta::syslog::SystemLog>,
}

impl Targets {
    fn reach(
        &self,
        app_kind: AppKind,
        features_off: Vec<(&'static str, &'static str)>,
        vendor: Option<String>,
    ) -> Reach {
        Reach {
            app_kind,
            features_off,
            vendor,
            scim: self.scim,
            sso: self.sso.is_some(),
            sp_login: self.sso.as_ref().is_some_and(|s| s.login_url.is_some()),
            sp_whoami: self.sso.as_ref().is_some_and(|s| s.whoami_url.is_some()),
        }
    }
}

/// The app's attribute statements as the integration profile configures them: each carries the
/// value of its Okta expression for the signing-in user (`SamlUser::custom`, filled by the
/// World); no group statement unless the profile names one. Without a profile: Okta's defaults.
fn profile_statements(
    mut app: SamlApp,
    profile: Option<&crate::integration::IntegrationProfile>,
) -> SamlApp {
    let Some(statements) = profile.and_then(|p| p.saml.attributes.as_ref()) else {
        return app;
    };
    app.attributes = statements
        .iter()
        .filter(|s| !s.value.is_empty())
        .map(|s| crate::saml::idp::AttributeStatement {
            name: s.name.clone(),
            name_format: crate::saml::idp::ATTRNAME_UNSPECIFIED.into(),
            value: crate::saml::idp::ProfileField::Custom(s.name.clone()),
        })
        .collect();
    app.group_attribute = profile
        .and_then(|p| p.saml.group_attribute.as_ref())
        .and_then(|g| {
            let re = regex::Regex::new(&g.filter).ok()?;
            Some((g.name.clone(), crate::saml::idp::GroupFilter::Regex(re)))
        });
    app
}

/// Check the target and the SP answer at all (exit 2 when not), and set up the SSO side.
async fn connect(opts: &CheckOptions, seed: u64) -> Result<Targets, CheckError> {
    let (base_url, auth, scim) = match &opts.target {
        Target::Url { base_url, auth } => {
            check_url(base_url).map_err(|e| {
                CheckError::Usage(format!("invalid target URL {:?}: {e}", shown_url(base_url)))
            })?;
            (base_url.clone(), auth.clone(), true)
        }
        Target::None => (
            "http://scim-target.invalid".to_string(),
            Auth::Bearer(String::new()),
            false,
        ),
    };
    if let Some(sp) = &opts.sp {
        for (what, url) in [
            ("--sp-acs", Some(&sp.acs_url)),
            ("--sp-whoami", sp.whoami_url.as_ref()),
            ("--sp-login", sp.login_url.as_ref()),
        ] {
            if let Some(url) = url {
                check_url(url).map_err(|e| {
                    CheckError::Usage(format!("invalid {what} URL {:?}: {e}", shown_url(url)))
                })?;
            }
        }
    }
    let redactor = match &opts.target {
        Target::Url { auth, .. } => Redactor::for_auth(auth),
        Target::None => Redactor::none(),
    };
    let limits = Arc::new(RunLimits::new(opts.deadline, redactor.clone()).with_clock(
        match opts.clock {
            Some(t) => crate::timestamp::RunClock::fixed(t),
            None => crate::timestamp::RunClock::real(),
        },
    ));
    let log = Arc::new(match &opts.transcript {
        Some(path) => {
            ExchangeLog::with_transcript(redactor.clone(), path).map_err(CheckError::Io)?
        }
        None => ExchangeLog::new(redactor.clone()),
    });
    if let Some(path) = &opts.har {
        log.add_har(path).map_err(CheckError::Io)?;
    }
    if scim {
        preflight(&base_url).await?;
    }
    let oauth = match &opts.profile {
        Some(p) if scim && p.scim.auth == crate::integration::AuthMode::Oauth => Some(Arc::new(
            authorize(p, &base_url, &log, &limits, opts.timeout).await?,
        )),
        _ => None,
    };
    let sso = match &opts.sp {
        Some(sp) => {
            preflight(&sp.delivery_url()).await?;
            let key = match &opts.idp_key {
                Some(k) => k.clone(),
                None => SigningKey::load_or_create(&default_key_dir())
                    .map_err(|e| CheckError::Io(e.to_string()))?,
            };
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
                .pool_idle_timeout(crate::okta::limits::POOL_IDLE)
                .build()
                .map_err(|e| CheckError::Io(e.to_string()))?;
            Some(Arc::new(sso::SsoTarget {
                post_url: sp.delivery_url(),
                test_url: sp.test_url.clone(),
                whoami_url: sp.whoami_url.clone(),
                login_url: sp.login_url.clone(),
                app: SamlApp {
                    // Response ids from the run's seed, times from its clock.
                    source: Some(Arc::new(crate::saml::idp::IdSource::new(
                        seed ^ 0x5341_4d4c,
                        opts.clock,
                    ))),
                    ..profile_statements(
                        SamlApp::new(DEFAULT_IDP_ORG_URL, &sp.acs_url, &sp.audience)
                            .with_key_identity(&key),
                        opts.profile.as_ref(),
                    )
                },
                key,
                attacker_key: SigningKey::test_fixture_other(),
                http,
                timeout: opts.timeout,
                log: log.clone(),
                limits: limits.clone(),
            }))
        }
        None => None,
    };
    let syslog = Arc::new(match &opts.events {
        Some(path) => crate::okta::syslog::SystemLog::with_file(redactor.clone(), path)
            .map_err(CheckError::Io)?,
        None => crate::okta::syslog::SystemLog::new(redactor.clone()),
    });
    Ok(Targets {
        base_url,
        auth,
        scim,
        sso,
        log,
        limits,
        oauth,
        syslog,
    })
}

/// The admin's "Authenticate with {App}": Okta's OAuth client of the app (its authorization
/// server on the target's host) and the connection the flow authorized, or why it did not.
async fn authorize(
    p: &crate::integration::IntegrationProfile,
    base_url: &str,
    log: &Arc<ExchangeLog>,
    limits: &Arc<RunLimits>,
    timeout: Duration,
) -> Result<world::OAuthSetup, CheckError> {
    use crate::okta::oauth::{OAuthClient, OAuthConnection, OAuthTransport, callback_url};
    let o = p.scim.oauth.clone().unwrap_or_default();
    let origin = reqwest::Url::parse(base_url)
        .map(|u| u.origin().ascii_serialization())
        .map_err(|e| CheckError::Usage(e.to_string()))?;
    let client = OAuthClient {
        authorize_url: format!("{origin}{}", o.authorize_path),
        token_url: format!("{origin}{}", o.token_path),
        client_id: o.client_id,
        client_secret: o.client_secret,
        scope: o.scope,
        redirect_uri: callback_url(&p.name),
    };
    let transport =
        OAuthTransport::new(log.clone(), limits.clone(), timeout).map_err(CheckError::Io)?;
    let connection = match client.authorize(&transport).await {
        Ok(tokens) => Ok(Arc::new(OAuthConnection::new(
            client.clone(),
            transport.clone(),
            tokens,
        ))),
        Err(f) => Err(f.reason),
    };
    Ok(world::OAuthSetup {
        client,
        transport,
        connection,
    })
}

/// What every scenario of the run shares.
fn run_context(opts: &CheckOptions, t: &Targets, seed: u64) -> Result<RunContext, CheckError> {
    let retry = RetryPolicy {
        time_scale: opts.retry_time_scale,
        ..RetryPolicy::default()
    };
    let wire = WireClient::new(
        &t.base_url,
        t.auth.clone(),
        opts.timeout,
        retry,
        t.log.clone(),
    )
    .map_err(|e| CheckError::Usage(e.to_string()))?
    .with_limits(t.limits.clone());
    // Authorized with OAuth: the connection's token, refreshed lazily.
    let wire = match t.oauth.as_ref().map(|o| &o.connection) {
        Some(Ok(conn)) => wire.with_oauth(conn.clone()),
        _ => wire,
    };
    let mut settings = opts.settings.clone();
    settings.app_kind = opts.app_kind;
    if let Some(p) = &opts.profile {
        settings
            .configure(p)
            .map_err(|e| CheckError::Usage(format!("profile {}: {e}", p.name)))?;
    }
    Ok(RunContext {
        wire,
        settings,
        seed,
        log: t.log.clone(),
        limits: t.limits.clone(),
        sso: t.sso.clone(),
        sha1_grade: opts.sha1_grade,
        profile: opts.profile.clone().map(Arc::new),
        oauth: t.oauth.clone(),
        has_scim: t.scim,
        syslog: t.syslog.clone(),
        app_instance: crate::okta::syslog::AppInstance {
            id: crate::okta::OktaIds::new(seed ^ 0x0a55).object_id("0oa"),
            name: opts
                .profile
                .as_ref()
                .map_or("oktasim_scim".to_string(), |p| {
                    format!("{}_scim", p.name.replace('-', "_"))
                }),
            label: opts
                .profile
                .as_ref()
                .map_or("okta-sim SCIM app".to_string(), |p| p.vendor.clone()),
        },
        correlation_header: opts.correlation_header.clone(),
        known: opts.profile.as_ref().map(|p| {
            Arc::new(
                p.collisions
                    .keys()
                    .filter_map(|id| p.collision_text(id).map(|t| (id.clone(), t)))
                    .collect(),
            )
        }),
    })
}

/// The first lines of output: what is checked, as what, with which seed.
fn announce(opts: &CheckOptions, t: &Targets, seed: u64) {
    say!(
        "okta-sim check: {} as an {} app, seed {seed}",
        match (&opts.label, &opts.target) {
            (Some(label), _) => label.clone(),
            (None, Target::Url { .. }) => t.base_url.clone(),
            (None, Target::None) => "no SCIM target".to_string(),
        },
        opts.app_kind.name().to_uppercase()
    );
    if let (Some(sp), Some(s), None) = (&opts.sp, &t.sso, &opts.label) {
        say!(
            "  SSO: ACS {} (audience {}), signed by IdP {}",
            sp.acs_url,
            sp.audience,
            s.app.issuer()
        );
    }
    if let Some(o) = &t.oauth {
        match &o.connection {
            Ok(_) => say!(
                "  OAuth: authorized at {} (code flow, callback {}); tokens refreshed lazily",
                o.client.authorize_url,
                o.client.redirect_uri
            ),
            Err(why) => say!(
                "  OAuth: the code flow at {} failed: {why}; requests carry the configured credential",
                o.client.authorize_url
            ),
        }
    }
}

/// A scenario that did not run: skipped, or unable to run.
fn not_run(slot: &Slot, outcome: Outcome) -> ScenarioResult {
    ScenarioResult {
        feature: slot.feature.clone(),
        scenario: slot.scenario.clone(),
        tags: slot.tags.clone(),
        steps: Vec::new(),
        outcome,
        duration_ms: 0.0,
        checks: Vec::new(),
        note: None,
    }
}

/// How long past the deadline a scenario may take to wind up (its requests are already bounded
/// by the deadline; this is the backstop for anything that is not).
const DEADLINE_GRACE: Duration = Duration::from_secs(5);

/// Run the planned scenarios one at a time, in feature order, printing each as it ends. Past
/// the run's deadline, the scenarios left fail without running.
async fn execute(plan: Plan, ctx: Arc<RunContext>, print: bool) -> Vec<ScenarioResult> {
    let steps = OktaWorld::collection();
    let mut results = Vec::with_capacity(plan.slots.len());
    let out_of_time = |ctx: &RunContext| Outcome::Failed {
        reason: format!(
            "not run: the run's deadline ({} s, --deadline) passed",
            ctx.limits.budget().as_secs()
        ),
    };
    for slot in &plan.slots {
        let mut result = match &slot.fate {
            Fate::Run if ctx.limits.expired() => not_run(slot, out_of_time(&ctx)),
            Fate::Run => {
                let until = tokio::time::Instant::from_std(ctx.limits.deadline() + DEADLINE_GRACE);
                ctx.log.set_scenario(Some(&slot.key()));
                let ran = tokio::time::timeout_at(until, run_scenario(&steps, slot, &ctx)).await;
                ctx.log.set_scenario(None);
                match ran {
                    Ok(r) => r,
                    Err(_) => not_run(
                        slot,
                        Outcome::Failed {
                            reason: format!(
                                "cut off: the run's deadline ({} s, --deadline) passed while it ran",
                                ctx.limits.budget().as_secs()
                            ),
                        },
                    ),
                }
            }
            Fate::Skip(reason) => not_run(
                slot,
                Outcome::Skipped {
                    reason: reason.clone(),
                },
            ),
            Fate::Invalid(reason) => not_run(
                slot,
                Outcome::Failed {
                    reason: reason.clone(),
                },
            ),
        };
        result.sanitize(&ctx.limits.redactor);
        if print {
            say!("{}", crate::text::escape_controls(&result.render(), true));
            let _ = std::io::stdout().flush();
        }
        results.push(result);
    }
    results
}

/// Run one scenario's steps in a fresh World. A step that fails keeps its failure in the World
/// and the rest are skipped; a step that panics fails this scenario only (the panic goes to the
/// process's own hook, which the run leaves alone).
async fn run_scenario(
    steps: &cucumber::step::Collection<OktaWorld>,
    slot: &Slot,
    ctx: &Arc<RunContext>,
) -> ScenarioResult {
    let mut world = OktaWorld::for_run(ctx, &slot.key());
    for step in &slot.steps {
        if world.failure.is_some() || world.skipped.is_some() || world.collided.is_some() {
            break;
        }
        let found = match steps.find(step) {
            Ok(Some((step_fn, _, _, context))) => Ok((*step_fn, context)),
            Ok(None) => Err("a step matches no step definition".to_string()),
            Err(e) => Err(format!("a step matches more than one definition: {e}")),
        };
        let (step_fn, context) = match found {
            Ok(f) => f,
            Err(e) => {
                world.failure = Some(e);
                break;
            }
        };
        let outcome = std::panic::AssertUnwindSafe(step_fn(&mut world, context))
            .catch_unwind()
            .await;
        if let Err(payload) = outcome {
            world.failure = Some(format!(
                "okta-sim panicked in `{}{}`: {}",
                step.keyword,
                step.value,
                panic_text(payload.as_ref())
            ));
        }
    }
    let outcome = match world.failure.clone() {
        Some(reason) => Outcome::Failed { reason },
        None if world.skipped.is_some()
            && !world.checks.items.iter().any(|c| c.is_blocking_failure()) =>
        {
            Outcome::Skipped {
                reason: world.skipped.clone().unwrap_or_default(),
            }
        }
        None if world.checks.items.iter().any(|c| c.is_blocking_failure()) => Outcome::Failed {
            reason: "a check that fails the run failed".into(),
        },
        None => Outcome::Passed,
    };
    if let (Outcome::Passed, Some(_)) = (&outcome, &world.collided) {
        let ids: Vec<&str> = world
            .checks
            .items
            .iter()
            .filter(|c| !c.passed && c.collision.is_some())
            .map(|c| c.id.as_str())
            .collect();
        let c = format!(
            "ended at a known collision of the profile's promise with Okta ({})",
            ids.join(", ")
        );
        world.note = Some(match world.note.take() {
            Some(n) => format!("{n}; {c}"),
            None => c,
        });
    }
    ScenarioResult {
        feature: slot.feature.clone(),
        scenario: slot.scenario.clone(),
        tags: slot.tags.clone(),
        steps: slot
            .steps
            .iter()
            .map(|s| format!("{}{}", s.keyword, s.value))
            .collect(),
        outcome,
        duration_ms: world.started.elapsed().as_secs_f64() * 1000.0,
        checks: std::mem::take(&mut world.checks.items),
        note: world.note.take(),
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else {
        "a panic without a message".into()
    }
}

/// Write the JUnit and JSON reports and the transcript the options ask for.
fn write_reports(opts: &CheckOptions, o: &RunOutcome) -> Result<(), CheckError> {
    if let Some(path) = &opts.junit {
        let xml = report::junit_xml(&o.results)
            .map_err(|e| CheckError::Io(format!("cannot write the JUnit report: {e}")))?;
        std::fs::write(path, xml)
            .map_err(|e| CheckError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    if opts.json.is_none() && opts.html.is_none() {
        return Ok(());
    }
    let meta = report::RunMeta {
        target: opts.label.clone().unwrap_or_else(|| o.base_url.clone()),
        app_kind: opts.app_kind.name().to_string(),
        profile: opts.profile.as_ref().map(|p| p.name.clone()),
        seed: o.seed,
        command: reproduce(opts, o),
    };
    let value = report::report_value(&meta, &o.results, &o.exchanges, &o.events);
    let io = |path: &std::path::Path, e: std::io::Error| {
        CheckError::Io(format!("cannot write {}: {e}", path.display()))
    };
    if let Some(path) = &opts.json {
        report::write_json(path, &value).map_err(|e| io(path, e))?;
    }
    if let Some(path) = &opts.html {
        std::fs::write(path, html::render(&value)).map_err(|e| io(path, e))?;
    }
    Ok(())
}

/// The command line that runs the same scenarios with the same seed against the same target;
/// the credential is left to `OKTA_SIM_TOKEN` (or named as a placeholder). A target okta-sim
/// started for the run (a label is set) is started again by the command: no URL is given.
fn reproduce(opts: &CheckOptions, o: &RunOutcome) -> String {
    let embedded = opts.label.is_some();
    let mut cmd = vec!["okta-sim check".to_string()];
    match &opts.target {
        Target::Url { base_url, auth } if !embedded => {
            cmd.push(format!("--target {}", shell_quote(base_url)));
            cmd.push(
                match auth {
                    Auth::Bearer(_) => "--token \"$OKTA_SIM_TOKEN\"",
                    Auth::Header(_) => "--auth-header \"$OKTA_SIM_AUTH_HEADER\"",
                    Auth::Basic { .. } => "--basic \"$USER:$PASSWORD\"",
                    Auth::OAuth(_) => "--oauth-token \"$OKTA_SIM_OAUTH_TOKEN\"",
                }
                .to_string(),
            );
        }
        _ => {}
    }
    if let Some(p) = &opts.profile {
        cmd.push(format!("--profile {}", shell_quote(&p.name)));
    } else if opts.app_kind != AppKind::Oin {
        cmd.push(format!("--app-kind {}", opts.app_kind.name()));
    }
    if let Some(t) = &opts.tags {
        cmd.push(format!("--tags {}", shell_quote(t)));
    }
    if let Some(sp) = opts.sp.as_ref().filter(|_| !embedded) {
        cmd.push(format!(
            "--sp-acs {} --sp-audience {}",
            shell_quote(&sp.acs_url),
            shell_quote(&sp.audience)
        ));
    }
    cmd.push(format!("--seed {}", o.seed));
    cmd.join(" ")
}

/// `s` as one word for a POSIX shell.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The last lines of output.
fn summarize(o: &RunOutcome) {
    if o.summary.blocking_failures > 0 {
        say!(
            "{} okta-required or rfc-must check(s) failed: Okta would break. Rerun with --seed {} to reproduce.",
            o.summary.blocking_failures,
            o.seed
        );
    }
    if o.deadline_passed {
        say!("The run's deadline passed: scenarios after it did not run (raise --deadline).");
    }
    say!("{}", o.summary.line());
}

pub use crate::saml::keys::default_key_dir;

/// Can anything be reached at the target's host and port? (exit 2 when not)
async fn preflight(base_url: &str) -> Result<(), CheckError> {
    let url = check_url(base_url).map_err(|e| {
        CheckError::Usage(format!("invalid target URL {:?}: {e}", shown_url(base_url)))
    })?;
    let host = url
        .host_str()
        .ok_or_else(|| CheckError::Usage(format!("invalid target URL {base_url:?}: no host")))?;
    let port = url.port_or_known_default().unwrap_or(80);
    let addr = format!(
        "{}:{port}",
        host.trim_start_matches('[').trim_end_matches(']')
    );
    match tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(CheckError::Unreachable(format!("{addr}: {e}"))),
        Err(_) => Err(CheckError::Unreachable(format!(
            "{addr}: no connection within 10 s"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const TOKEN: &str = "okta-sim-panic-isolation-token";

    #[tokio::test]
    async fn a_panic_in_a_step_fails_its_scenario_only_and_reaches_the_process_hook() {
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.to_string().contains(TOKEN) {
                SEEN.fetch_add(1, Ordering::SeqCst);
            } else {
                previous(info);
            }
        }));
        let dir = std::env::temp_dir().join(format!("okta-sim-panic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("panic.feature"),
            format!(
                "Feature: panics\n\n  Scenario: this one panics\n    Given Okta user \"a\"\n    When okta-sim panics with \"{TOKEN}\"\n\n  Scenario: this one runs on\n    Given Okta user \"b\"\n"
            ),
        )
        .unwrap();
        // The scenarios send nothing: a listener that never answers is target enough.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let outcome = run(CheckOptions {
            target: Target::Url {
                base_url: format!("http://{}/scim/v2", listener.local_addr().unwrap()),
                auth: Auth::Bearer("t".into()),
            },
            features_dir: Some(dir.clone()),
            only_features_dir: true,
            print: false,
            ..CheckOptions::default()
        })
        .await
        .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(outcome.results.len(), 2);
        match &outcome.results[0].outcome {
            Outcome::Failed { reason } => {
                assert!(
                    reason.contains("okta-sim panicked") && reason.contains(TOKEN),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(outcome.results[1].outcome, Outcome::Passed);
        assert_eq!(
            SEEN.load(Ordering::SeqCst),
            1,
            "the panic reached the process's own hook, which the run left in place"
        );
        assert_eq!(outcome.exit_code(), 1);
    }
}
