//! The `okta-sim` binary: parse the command line, run one subcommand.

mod cli;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use okta_sim::app::{AppProfile, ReferenceApp};

use cli::{Cli, Command, ServeArgs};

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
    let app = builder
        .start()
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    println!("okta-sim reference app");
    println!("  SCIM base URL  {}", app.base_url());
    println!(
        "  token          {}{}",
        app.token(),
        if generated {
            "  (generated; set --token or OKTA_SIM_TOKEN to choose)"
        } else {
            ""
        }
    );
    println!("  users seeded   {}", args.seed_users);
    println!(
        "  Okta setting   Authorization header: Bearer {}",
        app.token()
    );
    println!("Press Ctrl-C to stop.");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    wait_for_shutdown_signal().await;
    println!("shutting down");
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
