//! The `okta-sim` binary: parse the command line, run one subcommand.

mod cli;

/// Print a line to stdout; a closed pipe is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use okta_sim::app::{AppProfile, ReferenceApp};

use cli::{CheckArgs, Cli, Command, ServeArgs};
use okta_sim::conformance::{self, CheckError, CheckOptions, Target};
use okta_sim::okta::ops::{ExistingGroupOnPush, OktaSettings, PasswordSyncBody};
use okta_sim::okta::{AppKind, Auth};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Check(args) => check(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let profile = AppProfile::named(&args.profile).context("unknown profile")?;
    let generated = args.token.is_none();
    let mut builder = ReferenceApp::builder()
        .addr(args.addr)
        .base_path(args.base_path.clone())
        .seed_users(args.seed_users)
        .profile(profile);
    if let Some(t) = args.token.filter(|t| !t.is_empty()) {
        builder = builder.token(t);
    }
    for name in &args.fault {
        if let Some(f) = okta_sim::app::faults::Fault::from_name(name) {
            builder = builder.fault(f);
        }
    }
    let app = builder
        .start()
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    say!("okta-sim reference app");
    say!("  SCIM base URL  {}", app.base_url());
    say!(
        "  token          {}{}",
        app.token(),
        if generated {
            "  (generated; set --token or OKTA_SIM_TOKEN to choose)"
        } else {
            ""
        }
    );
    say!("  users seeded   {}", args.seed_users);
    for name in &args.fault {
        if let Some(f) = okta_sim::app::faults::Fault::from_name(name) {
            say!("  FAULT          {name}: {}", f.describe());
        }
    }
    say!(
        "  Okta setting   Authorization header: Bearer {}",
        app.token()
    );
    say!("Press Ctrl-C to stop.");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    wait_for_shutdown_signal().await;
    say!("shutting down");
    app.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn usage(msg: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("error: {msg}");
    Ok(ExitCode::from(2))
}

async fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let auth = if let Some(v) = args.auth_header {
        Some(Auth::Header(v))
    } else if let Some(b) = args.basic {
        match b.split_once(':') {
            Some((u, p)) => Some(Auth::Basic {
                user: u.into(),
                password: p.into(),
            }),
            None => return usage("--basic takes USER:PASS"),
        }
    } else if let Some(t) = args.oauth_token {
        Some(Auth::OAuth(t))
    } else {
        args.token.map(Auth::Bearer)
    };
    let target = match (args.target, auth) {
        (None, _) => Target::Embedded,
        (Some(url), Some(auth)) => Target::Url {
            base_url: url,
            auth,
        },
        (Some(_), None) => {
            return usage(
                "--target needs credentials: --token, --auth-header, --basic or --oauth-token (or OKTA_SIM_TOKEN)",
            );
        }
    };
    let mut junit = None;
    let mut json = None;
    for r in &args.report {
        match r.split_once('=') {
            Some(("junit", p)) if !p.is_empty() => junit = Some(p.into()),
            Some(("json", p)) if !p.is_empty() => json = Some(p.into()),
            _ => return usage(format!("--report {r:?}: use junit=PATH or json=PATH")),
        }
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return usage("--timeout must be a positive number of seconds");
    }
    if !(args.retry_time_scale >= 0.0 && args.retry_time_scale.is_finite()) {
        return usage("--retry-time-scale must be 0 or more");
    }
    let opts = CheckOptions {
        target,
        app_kind: if args.app_kind == "aiw" {
            AppKind::Aiw
        } else {
            AppKind::Oin
        },
        tags: args.tags,
        features_dir: args.features,
        only_features_dir: args.only_features,
        junit,
        json,
        transcript: args.transcript,
        seed: args.seed,
        timeout: std::time::Duration::from_secs_f64(args.timeout),
        retry_time_scale: args.retry_time_scale,
        settings: OktaSettings {
            group_features: !args.no_group_features,
            rename_app_groups: args.rename_groups,
            existing_group_on_push: if args.existing_group == "fail" {
                ExistingGroupOnPush::Fail
            } else {
                ExistingGroupOnPush::Link
            },
            password_sync_body: if args.password_body == "path" {
                PasswordSyncBody::WithPath
            } else {
                PasswordSyncBody::PathlessValue
            },
            ..OktaSettings::default()
        },
        print: true,
    };
    match conformance::run(opts).await {
        Ok(outcome) => Ok(ExitCode::from(outcome.exit_code())),
        Err(e @ (CheckError::Usage(_) | CheckError::Unreachable(_) | CheckError::Io(_))) => {
            usage(e)
        }
    }
}
