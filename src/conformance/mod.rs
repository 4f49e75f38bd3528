//! The conformance suite: Gherkin features (embedded, plus the user's own) run with cucumber
//! against a target, every answer graded, results printed one line per scenario and written
//! as JUnit and JSON reports and a transcript of every exchange.
//!
//! The suite talks to targets only over HTTP, and knows nothing of the reference app:
//! `crate::embedded` starts one and hands its URLs here like any other target's. A run keeps all
//! its state to itself: two runs in one process go on side by side.

pub mod catalogue;
pub mod check;
mod grade;
mod plan;
pub mod report;
mod schemas;
mod sso;
mod world;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cucumber::{World as _, cli, event, parser, writer};
use futures::FutureExt as _;

pub use check::Grade;
pub use plan::EMBEDDED as EMBEDDED_FEATURES;
use plan::{Fate, Plan, Reach, Slot};
pub use report::{Outcome, ScenarioResult, Summary};

use crate::okta::RetryPolicy;
use crate::okta::ops::OktaSettings;
use crate::okta::wire::{AppKind, Auth, Exchange, ExchangeLog, WireClient};
use crate::saml::idp::SamlApp;
use crate::saml::keys::SigningKey;
use world::{OktaWorld, RUN, RunContext};

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
    Url { base_url: String, auth: Auth },
    /// No SCIM target: only the SSO scenarios run (against `CheckOptions::sp`).
    None,
}

/// A service provider to sign in to (`--sp-acs` and friends).
#[derive(Debug, Clone)]
pub struct SpTarget {
    pub acs_url: String,
    /// The SP entity ID, expected in the Audience.
    pub audience: String,
    /// A URL answering JSON that names who the session cookie belongs to.
    pub whoami_url: Option<String>,
    /// The SP-initiated login start (a GET that redirects to the IdP).
    pub login_url: Option<String>,
}

impl SpTarget {
    /// The SP described by its metadata (entity ID and HTTP-POST ACS), fetched from `url`.
    pub async fn from_metadata_url(url: &str) -> Result<SpTarget, CheckError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| CheckError::Io(e.to_string()))?;
        let text = client
            .get(url)
            .send()
            .await
            .map_err(|e| CheckError::Unreachable(format!("cannot fetch --sp-metadata {url}: {e}")))?
            .text()
            .await
            .map_err(|e| {
                CheckError::Unreachable(format!("cannot read --sp-metadata {url}: {e}"))
            })?;
        let md = crate::saml::metadata::SpMetadata::parse(&text)
            .map_err(|e| CheckError::Usage(format!("--sp-metadata {url}: {e}")))?;
        Ok(SpTarget {
            acs_url: md.acs_url,
            audience: md.entity_id,
            whoami_url: None,
            login_url: None,
        })
    }
}

pub use crate::saml::idp::DEFAULT_IDP_ORG_URL;

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub target: Target,
    pub app_kind: AppKind,
    /// A cucumber tag expression, e.g. `@groups and not @slow`.
    pub tags: Option<String>,
    /// More feature files to run besides the embedded ones.
    pub features_dir: Option<PathBuf>,
    /// Run only the feature files of `features_dir`.
    pub only_features_dir: bool,
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub transcript: Option<PathBuf>,
    /// Seed of every generated value; random when absent (and printed).
    pub seed: Option<u64>,
    pub timeout: Duration,
    /// Multiplies Okta's 429 waits (1.0 is Okta's timing).
    pub retry_time_scale: f64,
    pub settings: OktaSettings,
    /// Print one line per scenario and the summary to stdout.
    pub print: bool,
    /// The SP for the `@saml` scenarios, besides the embedded one.
    pub sp: Option<SpTarget>,
    /// The IdP signing key a remote SP trusts (default: the saved okta-sim key).
    pub idp_key: Option<SigningKey>,
    /// The grade of an SP that accepts SHA-1 signatures.
    pub sha1_grade: Grade,
    /// How to name the target in the first line of output (default: its URL).
    pub label: Option<String>,
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
            transcript: None,
            seed: None,
            timeout: crate::okta::wire::OKTA_TIMEOUT,
            retry_time_scale: 1.0,
            settings: OktaSettings::default(),
            print: true,
            sp: None,
            idp_key: None,
            sha1_grade: Grade::RfcShould,
            label: None,
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

/// What a run found.
pub struct RunOutcome {
    /// Every selected scenario, in feature order, skipped ones included.
    pub results: Vec<ScenarioResult>,
    pub summary: Summary,
    pub seed: u64,
    pub base_url: String,
    /// Every request and response of the run, in order.
    pub exchanges: Vec<Exchange>,
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
pub async fn run(opts: CheckOptions) -> Result<RunOutcome, CheckError> {
    let targets = connect(&opts).await?;
    let plan = Plan::prepare(
        opts.tags.as_deref(),
        opts.features_dir.as_deref(),
        opts.only_features_dir,
        targets.reach(opts.app_kind),
    )?;
    let seed = opts.seed.unwrap_or_else(rand::random);
    let ctx = Arc::new(run_context(&opts, &targets, seed)?);
    if opts.print {
        announce(&opts, &targets, seed);
    }
    let results = execute(plan, ctx.clone(), opts.print).await;
    let outcome = RunOutcome {
        summary: Summary::of(&results),
        results,
        seed,
        base_url: targets.base_url.clone(),
        exchanges: ctx.log.lock().unwrap_or_else(|e| e.into_inner()).clone(),
    };
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
    log: ExchangeLog,
}

impl Targets {
    fn reach(&self, app_kind: AppKind) -> Reach {
        Reach {
            app_kind,
            scim: self.scim,
            sso: self.sso.is_some(),
            sp_login: self.sso.as_ref().is_some_and(|s| s.login_url.is_some()),
            sp_whoami: self.sso.as_ref().is_some_and(|s| s.whoami_url.is_some()),
        }
    }
}

/// Check the target and the SP answer at all (exit 2 when not), and set up the SSO side.
async fn connect(opts: &CheckOptions) -> Result<Targets, CheckError> {
    let log: ExchangeLog = Arc::new(Mutex::new(Vec::new()));
    let (base_url, auth, scim) = match &opts.target {
        Target::Url { base_url, auth } => {
            preflight(base_url).await?;
            (base_url.clone(), auth.clone(), true)
        }
        Target::None => (
            "http://scim-target.invalid".to_string(),
            Auth::Bearer(String::new()),
            false,
        ),
    };
    let sso = match &opts.sp {
        Some(sp) => {
            preflight(&sp.acs_url).await?;
            let key = match &opts.idp_key {
                Some(k) => k.clone(),
                None => SigningKey::load_or_create(&default_key_dir())
                    .map_err(|e| CheckError::Io(e.to_string()))?,
            };
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(opts.timeout)
                .build()
                .map_err(|e| CheckError::Io(e.to_string()))?;
            Some(Arc::new(sso::SsoTarget {
                acs_url: sp.acs_url.clone(),
                audience: sp.audience.clone(),
                whoami_url: sp.whoami_url.clone(),
                login_url: sp.login_url.clone(),
                app: SamlApp::new(DEFAULT_IDP_ORG_URL, &sp.acs_url, &sp.audience)
                    .with_key_identity(&key),
                key,
                attacker_key: SigningKey::test_fixture_other(),
                http,
                log: log.clone(),
            }))
        }
        None => None,
    };
    Ok(Targets {
        base_url,
        auth,
        scim,
        sso,
        log,
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
    .map_err(|e| CheckError::Usage(e.to_string()))?;
    let mut settings = opts.settings.clone();
    settings.app_kind = opts.app_kind;
    Ok(RunContext {
        wire,
        settings,
        seed,
        log: t.log.clone(),
        sso: t.sso.clone(),
        sha1_grade: opts.sha1_grade,
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
}

/// Results printed in feature order as scenarios finish, skipped ones in their place.
struct Printer {
    print: bool,
    slots: Vec<Slot>,
    results: Vec<Option<ScenarioResult>>,
    printed: usize,
}

impl Printer {
    fn new(slots: Vec<Slot>, print: bool) -> Self {
        let results = slots
            .iter()
            .map(|s| match &s.fate {
                Fate::Run => None,
                Fate::Skip(reason) => Some(not_run(
                    s,
                    Outcome::Skipped {
                        reason: reason.clone(),
                    },
                )),
                Fate::Invalid(reason) => Some(not_run(
                    s,
                    Outcome::Failed {
                        reason: reason.clone(),
                    },
                )),
            })
            .collect();
        Printer {
            print,
            slots,
            results,
            printed: 0,
        }
    }

    fn finish(&mut self, key: &(PathBuf, usize), result: ScenarioResult) {
        if let Some(i) = self.slots.iter().position(|s| &s.key == key) {
            self.results[i] = Some(result);
        }
        self.flush();
    }

    /// Print every result up to the first scenario still running.
    fn flush(&mut self) {
        while let Some(Some(r)) = self.results.get(self.printed) {
            if self.print {
                say!("{}", r.render());
                let _ = std::io::stdout().flush();
            }
            self.printed += 1;
        }
    }

    fn into_results(mut self) -> Vec<ScenarioResult> {
        // A scenario cucumber did not report (it should not happen) is a failure, not a pass.
        for (slot, r) in self.slots.iter().zip(self.results.iter_mut()) {
            if r.is_none() {
                *r = Some(not_run(
                    slot,
                    Outcome::Failed {
                        reason: "the scenario did not finish".into(),
                    },
                ));
            }
        }
        self.flush();
        self.results.into_iter().flatten().collect()
    }
}

fn not_run(slot: &Slot, outcome: Outcome) -> ScenarioResult {
    ScenarioResult {
        feature: slot.feature.clone(),
        scenario: slot.scenario.clone(),
        tags: slot.tags.clone(),
        outcome,
        duration_ms: 0.0,
        checks: Vec::new(),
        note: None,
    }
}

/// Run the planned scenarios with cucumber, one at a time, in this run's own context.
async fn execute(plan: Plan, ctx: Arc<RunContext>, print: bool) -> Vec<ScenarioResult> {
    let seed = ctx.seed;
    let printer = Arc::new(Mutex::new(Printer::new(plan.slots, print)));
    let finished = printer.clone();
    let cucumber = cucumber::Cucumber::<OktaWorld, _, PathBuf, _, _>::new()
        .steps(OktaWorld::collection())
        .with_parser(Parsed)
        .with_writer(Quiet)
        .max_concurrent_scenarios(1)
        .before(move |feature, _rule, scenario, world| {
            let key = format!("{}/{}", feature.name, scenario.name);
            Box::pin(async move { world.reseed(seed, &key) })
        })
        .after(move |feature, _rule, scenario, event, world| {
            let key = (
                feature.path.clone().unwrap_or_default(),
                scenario.position.line,
            );
            let result = scenario_result(feature, scenario, event, world.map(|w| &*w));
            finished
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .finish(&key, result);
            Box::pin(async {})
        })
        .with_cli(cli::Opts::<_, _, _, cli::Empty>::default());
    RUN.scope(ctx, cucumber.run(plan.features).map(|_| ()))
        .await;
    let printer = Arc::try_unwrap(printer)
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .unwrap_or_else(|shared| {
            let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *guard, Printer::new(Vec::new(), false))
        });
    printer.into_results()
}

/// Write the JUnit and JSON reports and the transcript the options ask for.
fn write_reports(opts: &CheckOptions, o: &RunOutcome) -> Result<(), CheckError> {
    if let Some(path) = &opts.junit {
        let xml = report::junit_xml(&o.results).map_err(CheckError::Io)?;
        std::fs::write(path, xml)
            .map_err(|e| CheckError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &opts.json {
        report::write_json(path, &o.base_url, opts.app_kind.name(), o.seed, &o.results)
            .map_err(|e| CheckError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &opts.transcript {
        write_transcript(path, &o.exchanges)?;
    }
    Ok(())
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
    say!("{}", o.summary.line());
}

/// Where okta-sim keeps its IdP key: `$OKTA_SIM_HOME`, else `~/.okta-sim`.
pub fn default_key_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("OKTA_SIM_HOME") {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".okta-sim")
}

fn write_transcript(path: &Path, exchanges: &[Exchange]) -> Result<(), CheckError> {
    let masked: Vec<Exchange> = exchanges
        .iter()
        .cloned()
        .map(|mut e| {
            for (k, v) in e.request.headers.iter_mut() {
                if k.eq_ignore_ascii_case("authorization") {
                    *v = crate::okta::wire::mask(v);
                }
            }
            e
        })
        .collect();
    let text = serde_json::to_string_pretty(&masked).map_err(|e| CheckError::Io(e.to_string()))?;
    std::fs::write(path, text)
        .map_err(|e| CheckError::Io(format!("cannot write {}: {e}", path.display())))
}

/// Can anything be reached at the target's host and port? (exit 2 when not)
async fn preflight(base_url: &str) -> Result<(), CheckError> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| CheckError::Usage(format!("invalid target URL {base_url:?}: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(CheckError::Usage(format!(
            "invalid target URL {base_url:?}: the scheme must be http or https"
        )));
    }
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

fn scenario_result(
    feature: &cucumber::gherkin::Feature,
    scenario: &cucumber::gherkin::Scenario,
    finished: &event::ScenarioFinished,
    world: Option<&OktaWorld>,
) -> ScenarioResult {
    let checks = world.map(|w| w.checks.items.clone()).unwrap_or_default();
    let failure = world.and_then(|w| w.failure.clone());
    let outcome = match (finished, failure) {
        (event::ScenarioFinished::StepPassed, Some(reason)) => Outcome::Failed { reason },
        (event::ScenarioFinished::StepPassed, None)
            if checks.iter().any(|c| c.is_blocking_failure()) =>
        {
            Outcome::Failed {
                reason: "a check that fails the run failed".into(),
            }
        }
        (event::ScenarioFinished::StepPassed, None) => Outcome::Passed,
        (event::ScenarioFinished::StepSkipped, _) => Outcome::Failed {
            reason: "a step matches no step definition (see features/README.md for the vocabulary)"
                .into(),
        },
        (event::ScenarioFinished::StepFailed(_, _, err), _) => Outcome::Failed {
            reason: step_error(err),
        },
        (event::ScenarioFinished::BeforeHookFailed(info), _) => Outcome::Failed {
            reason: format!("okta-sim panicked: {}", panic_text(info)),
        },
    };
    let tags = {
        let mut seen: HashMap<&str, ()> = HashMap::new();
        feature
            .tags
            .iter()
            .chain(&scenario.tags)
            .filter(|t| seen.insert(t.as_str(), ()).is_none())
            .map(|t| format!("@{t}"))
            .collect()
    };
    ScenarioResult {
        feature: feature.name.clone(),
        scenario: scenario.name.clone(),
        tags,
        outcome,
        duration_ms: world
            .map(|w| w.started.elapsed().as_secs_f64() * 1000.0)
            .unwrap_or_default(),
        checks,
        note: world.and_then(|w| w.note.clone()),
    }
}

fn step_error(err: &event::StepError) -> String {
    match err {
        event::StepError::NotFound => "a step matches no step definition".into(),
        event::StepError::AmbiguousMatch(e) => {
            format!("a step matches more than one definition: {e}")
        }
        event::StepError::Panic(info) => format!("okta-sim panicked: {}", panic_text(info)),
    }
}

fn panic_text(info: &event::Info) -> String {
    if let Some(s) = info.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = info.downcast_ref::<&str>() {
        s.to_string()
    } else {
        "the step failed".into()
    }
}

/// Hands cucumber the features the plan decided on.
struct Parsed;

impl cucumber::Parser<Vec<cucumber::gherkin::Feature>> for Parsed {
    type Cli = cli::Empty;
    type Output =
        futures::stream::Iter<std::vec::IntoIter<parser::Result<cucumber::gherkin::Feature>>>;

    fn parse(self, input: Vec<cucumber::gherkin::Feature>, _cli: cli::Empty) -> Self::Output {
        let items: Vec<_> = input.into_iter().map(Ok).collect();
        futures::stream::iter(items)
    }
}

/// A writer that prints nothing: results come from the after hook.
struct Quiet;

impl<W: cucumber::World> cucumber::Writer<W> for Quiet {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        _ev: parser::Result<event::Event<event::Cucumber<W>>>,
        _cli: &Self::Cli,
    ) {
    }
}

impl writer::Normalized for Quiet {}
