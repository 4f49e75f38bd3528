//! The conformance suite: Gherkin features (embedded, plus the user's own) run with cucumber
//! against a target, every answer graded, results printed one line per scenario and written
//! as JUnit and JSON reports and a transcript of every exchange.
//!
//! The suite talks to targets only over HTTP, and knows nothing of the reference app:
//! `crate::embedded` starts one and hands its URLs here like any other target's.

pub mod check;
pub mod features;
pub mod grade;
pub mod report;
pub mod schemas;
pub mod sso;
pub mod world;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::{World as _, cli, event, parser, writer};

use crate::okta::RetryPolicy;
use crate::okta::ops::OktaSettings;
use crate::okta::wire::{AppKind, Auth, Exchange};
use crate::saml::idp::SamlApp;
use crate::saml::keys::SigningKey;
use check::Grade;
use report::{Outcome, ScenarioResult, Summary};

/// Print a line to stdout; a closed pipe (`okta-sim check | head`) is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use world::{OktaWorld, RunContext};

/// What to run against.
#[derive(Debug, Clone)]
pub enum Target {
    Url {
        base_url: String,
        auth: Auth,
    },
    /// No SCIM target: only the SSO scenarios run (against `CheckOptions::sp`).
    None,
}

/// A service provider to sign in to (`--sp-acs` and friends).
#[derive(Debug, Clone)]
pub struct SpTarget {
    pub acs_url: String,
    /// The SP entity ID, expected in the Audience.
    pub audience: String,
    pub whoami_url: Option<String>,
    pub login_url: Option<String>,
}

/// Where the simulated Okta IdP says it lives (the default of `okta-sim saml idp`).
pub const DEFAULT_IDP_ORG_URL: &str = "http://127.0.0.1:7000";

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
    #[error("{0}")]
    Usage(String),
    #[error("the target is unreachable: {0}")]
    Unreachable(String),
    #[error("{0}")]
    Io(String),
}

pub struct RunOutcome {
    pub results: Vec<ScenarioResult>,
    pub summary: Summary,
    pub seed: u64,
    pub base_url: String,
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

/// Only one run at a time per process: the scenarios share a context.
static RUN_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Run the suite.
pub async fn run(opts: CheckOptions) -> Result<RunOutcome, CheckError> {
    let _guard = RUN_LOCK.lock().await;
    let tags: Option<TagOperation> = match &opts.tags {
        Some(t) => Some(
            t.parse()
                .map_err(|e| CheckError::Usage(format!("invalid --tags expression {t:?}: {e}")))?,
        ),
        None => None,
    };
    let features = FeatureDir::create(opts.features_dir.as_deref(), opts.only_features_dir)?;

    let log: Arc<Mutex<Vec<Exchange>>> = Arc::new(Mutex::new(Vec::new()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(opts.timeout)
        .build()
        .map_err(|e| CheckError::Io(e.to_string()))?;
    let attacker_key = SigningKey::test_fixture_other();
    let mut sso = None;
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
    if let Some(sp) = &opts.sp {
        preflight(&sp.acs_url).await?;
        let key = match &opts.idp_key {
            Some(k) => k.clone(),
            None => SigningKey::load_or_create(&default_key_dir())
                .map_err(|e| CheckError::Io(e.to_string()))?,
        };
        let idp =
            SamlApp::new(DEFAULT_IDP_ORG_URL, &sp.acs_url, &sp.audience).with_key_identity(&key);
        sso = Some(Arc::new(sso::SsoTarget {
            acs_url: sp.acs_url.clone(),
            audience: sp.audience.clone(),
            whoami_url: sp.whoami_url.clone(),
            login_url: sp.login_url.clone(),
            app: idp,
            key,
            attacker_key,
            http,
            log: log.clone(),
        }));
    }

    let seed = opts.seed.unwrap_or_else(rand::random);
    let mut settings = opts.settings.clone();
    settings.app_kind = opts.app_kind;
    let ctx = Arc::new(RunContext {
        base_url: base_url.clone(),
        auth,
        settings,
        timeout: opts.timeout,
        retry: RetryPolicy {
            time_scale: opts.retry_time_scale,
            ..RetryPolicy::default()
        },
        seed,
        log: log.clone(),
        timeouts_in_a_row: Arc::new(std::sync::atomic::AtomicU32::new(0)),
        sso: sso.clone(),
        sha1_grade: opts.sha1_grade,
    });
    let have_sso = sso.is_some();
    let have_login = sso.as_ref().is_some_and(|s| s.login_url.is_some());
    let have_whoami = sso.as_ref().is_some_and(|s| s.whoami_url.is_some());
    world::set_context(Some(ctx));

    if opts.print {
        say!(
            "okta-sim check: {} as an {} app, seed {seed}",
            match (&opts.label, &opts.target) {
                (Some(label), _) => label.clone(),
                (None, Target::Url { .. }) => base_url.clone(),
                (None, Target::None) => "no SCIM target".to_string(),
            },
            opts.app_kind.name().to_uppercase()
        );
        if let (Some(sp), Some(s), None) = (&opts.sp, &sso, &opts.label) {
            say!(
                "  SSO: ACS {} (audience {}), signed by IdP {}",
                sp.acs_url,
                sp.audience,
                s.app.issuer()
            );
        }
    }

    let results: Arc<Mutex<Vec<ScenarioResult>>> = Arc::new(Mutex::new(Vec::new()));
    let parse_errors: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let print = opts.print;
    let kind = opts.app_kind;

    let collected = results.clone();
    let filtered = results.clone();
    let cucumber = OktaWorld::cucumber()
        .max_concurrent_scenarios(1)
        .with_writer(Collect {
            parse_errors: parse_errors.clone(),
        })
        .before(move |feature, _rule, scenario, world| {
            let key = format!("{}/{}", feature.name, scenario.name);
            Box::pin(async move { world.reseed(seed, &key) })
        })
        .after(move |feature, _rule, scenario, finished, world| {
            let collected = collected.clone();
            let result = scenario_result(feature, scenario, finished, world.map(|w| &*w));
            Box::pin(async move {
                if print {
                    say!("{}", result.render());
                    let _ = std::io::stdout().flush();
                }
                collected
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(result);
            })
        })
        .with_cli(cli::Opts::<_, _, _, cli::Empty>::default());

    let previous_hook = std::panic::take_hook();
    // Failed steps end in a panic that cucumber catches and reports; keep them off stderr.
    std::panic::set_hook(Box::new(|_| {}));
    cucumber
        .filter_run(features.path.clone(), move |feature, rule, scenario| {
            let all_tags: Vec<&String> = feature
                .tags
                .iter()
                .chain(rule.iter().flat_map(|r| &r.tags))
                .chain(&scenario.tags)
                .collect();
            if let Some(op) = &tags
                && !op.eval(all_tags.iter().map(|s| s.as_str()))
            {
                return false;
            }
            let other = match kind {
                AppKind::Oin => "aiw",
                AppKind::Aiw => "oin",
            };
            let has = |t: &str| all_tags.iter().any(|x| x.as_str() == t);
            let saml = has("saml");
            let skip = if has(other) {
                Some(format!("@{other} only"))
            } else if saml && !have_sso {
                Some("no SP to sign in to: give --sp-acs and --sp-audience".to_string())
            } else if (!saml || has("jit")) && !scim {
                Some("no SCIM target: give --target".to_string())
            } else if has("sp-initiated") && !have_login {
                Some("needs the SP's login start URL: give --sp-login".to_string())
            } else if has("whoami") && !have_whoami {
                Some("needs the SP's whoami URL: give --sp-whoami".to_string())
            } else {
                None
            };
            if let Some(reason) = skip {
                let r = ScenarioResult {
                    feature: feature.name.clone(),
                    scenario: scenario.name.clone(),
                    tags: all_tags.iter().map(|t| format!("@{t}")).collect(),
                    outcome: Outcome::Skipped { reason },
                    duration_ms: 0.0,
                    checks: Vec::new(),
                    note: None,
                };
                filtered.lock().unwrap_or_else(|e| e.into_inner()).push(r);
                return false;
            }
            true
        })
        .await;
    std::panic::set_hook(previous_hook);
    world::set_context(None);

    let errors = parse_errors
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if !errors.is_empty() {
        return Err(CheckError::Usage(format!(
            "cannot read the feature files:\n{}",
            errors.join("\n")
        )));
    }

    let mut results = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    if print {
        for r in results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Skipped { .. }) && r.checks.is_empty())
        {
            if r.duration_ms == 0.0 {
                say!("{}", r.render());
            }
        }
    }
    // Keep the report in feature order, skipped scenarios included.
    results.sort_by_key(|r| feature_rank(&r.feature));
    let summary = Summary::of(&results);
    let exchanges = log.lock().unwrap_or_else(|e| e.into_inner()).clone();

    if let Some(path) = &opts.junit {
        let xml = report::junit_xml(&results).map_err(CheckError::Io)?;
        std::fs::write(path, xml)
            .map_err(|e| CheckError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &opts.json {
        report::write_json(path, &base_url, kind.name(), seed, &results)
            .map_err(|e| CheckError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &opts.transcript {
        write_transcript(path, &exchanges)?;
    }
    if print {
        if summary.blocking_failures > 0 {
            say!(
                "{} okta-required or rfc-must check(s) failed: Okta would break. Rerun with --seed {seed} to reproduce.",
                summary.blocking_failures
            );
        }
        say!("{}", summary.line());
    }
    Ok(RunOutcome {
        results,
        summary,
        seed,
        base_url,
        exchanges,
    })
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

fn feature_rank(name: &str) -> usize {
    features::EMBEDDED
        .iter()
        .position(|(_, text)| {
            text.lines().any(|l| {
                l.trim_start()
                    .strip_prefix("Feature:")
                    .is_some_and(|n| n.trim() == name)
            })
        })
        .unwrap_or(usize::MAX)
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
    let outcome = match finished {
        event::ScenarioFinished::StepPassed if checks.iter().any(|c| c.is_blocking_failure()) => {
            Outcome::Failed {
                reason: "a check that fails the run failed".into(),
            }
        }
        event::ScenarioFinished::StepPassed => Outcome::Passed,
        event::ScenarioFinished::StepSkipped => Outcome::Failed {
            reason: "a step matches no step definition (see features/README.md for the vocabulary)"
                .into(),
        },
        event::ScenarioFinished::StepFailed(_, _, err) => Outcome::Failed {
            reason: step_error(err),
        },
        event::ScenarioFinished::BeforeHookFailed(info) => Outcome::Failed {
            reason: panic_text(info),
        },
    };
    ScenarioResult {
        feature: feature.name.clone(),
        scenario: scenario.name.clone(),
        tags: feature
            .tags
            .iter()
            .chain(&scenario.tags)
            .map(|t| format!("@{t}"))
            .collect(),
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
        event::StepError::Panic(info) => panic_text(info),
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

/// A writer that prints nothing (results come from the after hook) and keeps parse errors.
struct Collect {
    parse_errors: Arc<Mutex<Vec<String>>>,
}

impl<W: cucumber::World> cucumber::Writer<W> for Collect {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        ev: parser::Result<event::Event<event::Cucumber<W>>>,
        _cli: &Self::Cli,
    ) {
        if let Err(e) = ev {
            self.parse_errors
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(e.to_string());
        }
    }
}

impl writer::Normalized for Collect {}

/// The feature files of a run, written to a temporary directory.
struct FeatureDir {
    path: PathBuf,
}

impl FeatureDir {
    fn create(user_dir: Option<&Path>, only_user: bool) -> Result<FeatureDir, CheckError> {
        let path = std::env::temp_dir().join(format!(
            "okta-sim-features-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let shown = path.display().to_string();
        let io = |e: std::io::Error| {
            CheckError::Io(format!("cannot prepare the feature files in {shown}: {e}"))
        };
        std::fs::create_dir_all(&path).map_err(io)?;
        let dir = FeatureDir { path };
        if !only_user {
            for (name, text) in features::EMBEDDED {
                std::fs::write(dir.path.join(name), text).map_err(io)?;
            }
        }
        if let Some(user) = user_dir {
            if !user.is_dir() {
                return Err(CheckError::Usage(format!(
                    "--features {}: not a directory",
                    user.display()
                )));
            }
            let mut n = 0;
            copy_features(user, &dir.path.join("user"), &mut n).map_err(io)?;
            if n == 0 {
                return Err(CheckError::Usage(format!(
                    "--features {}: no .feature files there",
                    user.display()
                )));
            }
        }
        Ok(dir)
    }
}

fn copy_features(from: &Path, to: &Path, n: &mut usize) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let p = entry.path();
        if p.is_dir() {
            copy_features(&p, &to.join(entry.file_name()), n)?;
        } else if p.extension().is_some_and(|e| e == "feature") {
            std::fs::copy(&p, to.join(entry.file_name()))?;
            *n += 1;
        }
    }
    Ok(())
}

impl Drop for FeatureDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
