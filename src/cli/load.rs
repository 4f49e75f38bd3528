//! `okta-sim load`: the command line of [`okta_sim::okta::load`], the embedded target, the
//! progress bar and the report files.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use okta_sim::ReferenceApp;
use okta_sim::okta::load::{LoadPlan, Progress, run};
use okta_sim::okta::log::ExchangeLog;
use okta_sim::okta::redact::Redactor;
use okta_sim::okta::{Auth, RetryPolicy, WireClient};

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// The SCIM base URL to load; none: the embedded reference app, started for the run.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// Bearer token for the target.
    #[arg(long, env = "OKTA_SIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Assign N users: the userName pre-check, then POST /Users (or GET + PUT to link a user
    /// the app already has), as a group assignment makes Okta do for each member.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub assign: usize,

    /// Push a group of SIZE members: POST /Groups, then membership PATCHes of --member-batch
    /// members each (members are the run's assigned users; more are assigned when needed).
    #[arg(long, value_name = "SIZE", default_value_t = 0)]
    pub push_group: usize,

    /// Members per membership PATCH (Okta's batch size is not documented).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub member_batch: usize,

    /// Import the org: page through every user and group, 100 a page. The embedded app is
    /// seeded with N users and N/1000 groups first; a --target is read as it is.
    #[arg(long, value_name = "N")]
    pub import: Option<usize>,

    /// Push N profile updates (GET + PUT) to the run's assigned users.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub profile_updates: usize,

    /// Deactivate N of the run's assigned users (PATCH active:false).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub deactivate: usize,

    /// Tasks under way at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,

    /// At most this many requests a second (first tries; Okta's retries come on top).
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,

    /// Start no task after this many seconds; the report counts those not started.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,

    /// Scale Okta's 429 waits (1: real time, 0: at once), as `check` does.
    #[arg(long, default_value_t = 1.0)]
    pub retry_time_scale: f64,

    /// Seconds without an answer before a request fails its task (Okta: 60).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub timeout: f64,

    /// Seed of Okta's users (ids, names, passwords): the same seed sends the same load.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Write a report: json=PATH (every figure) or svg=PATH (latency and throughput over
    /// time). Repeatable.
    #[arg(long, value_name = "KIND=PATH")]
    pub report: Vec<String>,
}

fn seconds(name: &str, v: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{name} must be a number of seconds above 0"))
}

enum ReportFile {
    Json(PathBuf),
    Svg(PathBuf),
}

fn report_files(specs: &[String]) -> Result<Vec<ReportFile>, String> {
    specs
        .iter()
        .map(|r| match r.split_once('=') {
            Some(("json", p)) if !p.is_empty() => Ok(ReportFile::Json(p.into())),
            Some(("svg", p)) if !p.is_empty() => Ok(ReportFile::Svg(p.into())),
            _ => Err(format!("--report {r:?}: use json=PATH or svg=PATH")),
        })
        .collect()
}

/// Run `okta-sim load`.
pub async fn load(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let fail = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitCode::from(2))
    };
    let plan = LoadPlan {
        assign: args.assign,
        push_group: args.push_group,
        member_batch: args.member_batch,
        import: args.import.is_some(),
        profile_updates: args.profile_updates,
        deactivate: args.deactivate,
        concurrency: args.concurrency,
        rate: args.rate,
        duration: match args.duration.map(|d| seconds("--duration", d)).transpose() {
            Ok(d) => d,
            Err(e) => return fail(e),
        },
        seed: args.seed,
    };
    if let Err(e) = plan.check() {
        return fail(e);
    }
    let timeout = match seconds("--timeout", args.timeout) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    if !(args.retry_time_scale >= 0.0 && args.retry_time_scale.is_finite()) {
        return fail("--retry-time-scale must be 0 or more".into());
    }
    let files = match report_files(&args.report) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    // The embedded reference app, when there is no target.
    let (embedded, target, token) = match &args.target {
        Some(t) => (None, t.clone(), args.token.clone().unwrap_or_default()),
        None => {
            let n = args.import.unwrap_or(0);
            if n > 10_000_000 {
                return fail("--import: at most 10,000,000 users".into());
            }
            let app = match ReferenceApp::builder().seed_users(n).start().await {
                Ok(a) => a,
                Err(e) => return fail(format!("cannot start the embedded reference app: {e}")),
            };
            let groups = app.store().create_many(
                okta_sim::scim::schema::ResourceKind::Group,
                n / 1000,
                |g| serde_json::json!({"displayName": format!("Imported group {g}")}),
            );
            let (url, token) = (app.base_url().to_string(), app.token().to_string());
            eprintln!(
                "loading the embedded reference app at {url} ({n} users, {groups} groups seeded)"
            );
            (Some(app), url, token)
        }
    };
    let auth = Auth::Bearer(token);
    let log = Arc::new(ExchangeLog::counting(Redactor::for_auth(&auth)));
    let redactor = Redactor::for_auth(&auth);
    let retry = RetryPolicy {
        time_scale: args.retry_time_scale,
        ..RetryPolicy::default()
    };
    let wire = match WireClient::new(&target, auth, timeout, retry, log) {
        Ok(w) => w.with_limits(Arc::new(okta_sim::okta::limits::RunLimits::new(
            okta_sim::okta::limits::MAX_DEADLINE,
            redactor,
        ))),
        Err(e) => return fail(e.to_string()),
    };
    let progress = Arc::new(Progress::default());
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {prefix:>16} [{bar:40}] {pos}/{len} tasks {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let ticker = bar.clone().map(|bar| {
        let p = Arc::clone(&progress);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                bar.set_length(p.planned.load(Ordering::Relaxed) as u64);
                bar.set_position(p.done.load(Ordering::Relaxed) as u64);
                bar.set_prefix(*p.phase.lock().unwrap_or_else(|e| e.into_inner()));
                let reqs = p.requests.load(Ordering::Relaxed);
                bar.set_message(format!(
                    "{} failed, {reqs} requests, {:.0}/s",
                    p.failed.load(Ordering::Relaxed),
                    reqs as f64 / started.elapsed().as_secs_f64().max(0.001)
                ));
            }
        })
    });
    let report = run(wire, plan, Arc::clone(&progress)).await;
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(app) = embedded {
        app.shutdown().await;
    }
    println!("{}", report.to_text());
    if let Some(n) = args.import.filter(|_| args.target.is_some())
        && let Some((users, _)) = report.imported
        && (users as usize) < n
    {
        println!("note: --import {n}: the target holds {users} users; all of them were read");
    }
    for f in files {
        let written = match &f {
            ReportFile::Json(p) => serde_json::to_vec_pretty(&report)
                .map_err(|e| e.to_string())
                .and_then(|b| std::fs::write(p, b).map_err(|e| e.to_string()))
                .map(|()| p),
            ReportFile::Svg(p) => report.write_svg(p).map(|()| p),
        };
        match written {
            Ok(p) => println!("wrote {}", p.display()),
            Err(e) => return fail(e),
        }
    }
    Ok(if report.failed_tasks() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
