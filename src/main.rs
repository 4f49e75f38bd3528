//! The `okta-sim` binary: parse the command line, convert it into the library's options, call
//! one function per subcommand.

mod cli;

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};
use cli::*;
use okta_sim::conformance::{self, CheckError, Target, catalogue};
use okta_sim::saml::{idp::SamlApp, keys::SigningKey};

/// Print a line to stdout; a closed pipe is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let command = Cli::command().mut_subcommand("serve", |c| c.after_help(cli::serve_after_help()));
    let cli = Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit());
    let level = ["warn", "info", "debug"][usize::from(cli.verbose.min(2))];
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage(format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Check(args) => check(args).await,
            Command::Saml(SamlCommand::Metadata(args)) => saml_metadata(args),
            Command::Saml(SamlCommand::Sign(args)) => saml_sign(args).await,
            Command::Saml(SamlCommand::Idp(args)) => saml_idp(args).await,
            Command::Profiles => Ok(say_ok(cli::profiles_text())),
            Command::Replay(args) => cli::replay(args).await,
            Command::Explain(args) => cli::explain(args).await,
            Command::Load(args) => cli::load::load(args).await,
            Command::Report(args) => cli::report::report(args),
        }
    });
    result.unwrap_or_else(|e| usage(format!("{e:#}")))
}

fn say_ok(text: String) -> ExitCode {
    say!("{text}");
    ExitCode::SUCCESS
}

/// A usage error: said on stderr, exit code 2.
fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let (sp, warning) = match args.sp_config() {
        Ok(c) => c,
        Err(e) => return Ok(usage(e)),
    };
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let mut builder = okta_sim::ReferenceApp::builder()
        .addr(args.addr)
        .base_path(args.base_path())
        .seed_users(args.seed_users)
        .profile(args.app_profile());
    if let Some(t) = args.token.clone().filter(|t| !t.is_empty()) {
        builder = builder.token(t);
    }
    for f in &args.fault {
        builder = builder.fault(f);
    }
    if let Some(sp) = sp {
        builder = builder.saml_sp(sp);
    }
    let app = builder
        .start()
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let stop = shutdown_signal();
    say!("{}", app.banner(args.token.is_none()));
    let _ = std::io::stdout().flush();
    stop.await;
    say!("shutting down");
    app.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// SIGINT or SIGTERM, the handlers installed at once so an early signal is not lost.
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let streams = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    );
    async move {
        if let (Ok(mut int), Ok(mut term)) = streams {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        } else {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        let list = catalogue::all();
        match args.format {
            ListFormat::Text => say!("{}", catalogue::render_text(&list)),
            ListFormat::Json => say!("{}", serde_json::to_string_pretty(&list)?),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = match args.options().await {
        Ok(o) => o,
        Err(e) => return Ok(usage(e)),
    };
    let outcome = if matches!(opts.target, Target::None) && opts.sp.is_none() {
        okta_sim::embedded::run_embedded(opts).await
    } else {
        conformance::run(opts).await
    };
    Ok(match outcome {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e @ (CheckError::Usage(_) | CheckError::Unreachable(_) | CheckError::Io(_))) => {
            usage(e)
        }
    })
}

/// The IdP key: `--key`/`--cert`, else the one saved in `$OKTA_SIM_HOME` (made on first use).
fn signing_key(
    key: &Option<std::path::PathBuf>,
    cert: &Option<std::path::PathBuf>,
) -> anyhow::Result<SigningKey> {
    SigningKey::given_or_saved(key.as_deref(), cert.as_deref())
        .context("cannot use the IdP key (give --key and --cert, or a writable OKTA_SIM_HOME)")
}

fn saml_metadata(args: SamlKeyArgs) -> anyhow::Result<ExitCode> {
    let key = signing_key(&args.key, &args.cert)?;
    let app = SamlApp::new(&args.org_url, "", "").with_key_identity(&key);
    say!("{}", app.metadata(&key));
    Ok(ExitCode::SUCCESS)
}

async fn saml_sign(args: SamlSignArgs) -> anyhow::Result<ExitCode> {
    let key = signing_key(&args.key.key, &args.key.cert)?;
    let b64 = args.signed_response(&key)?;
    if !args.post {
        say!("{b64}");
        return Ok(ExitCode::SUCCESS);
    }
    let relay = args.relay_state.as_deref();
    match okta_sim::saml::idp_http::post_to_acs(&args.acs, &b64, relay).await {
        Ok(answer) => {
            say!("{answer}");
            Ok(ExitCode::from(if answer.accepted() { 0 } else { 1 }))
        }
        Err(e) => Ok(usage(e)),
    }
}

async fn saml_idp(args: SamlIdpArgs) -> anyhow::Result<ExitCode> {
    let key = signing_key(&args.key, &args.cert)?;
    let ready = |s: &okta_sim::saml::idp_http::IdpState| say!("{}", s.banner());
    let (app, user) = (args.app(&key), args.user());
    let served =
        okta_sim::saml::idp_http::serve(args.addr, app, key, user, shutdown_signal(), ready).await;
    Ok(match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage(format!("cannot serve on {}: {e}", args.addr)),
    })
}
