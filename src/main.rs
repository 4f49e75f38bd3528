//! The `okta-sim` binary: parse the command line, convert it into the library's options, call
//! one function per subcommand.

mod cli;

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};
use cli::{
    CheckArgs, Cli, Command, ListFormat, SamlCommand, SamlIdpArgs, SamlKeyArgs, SamlSignArgs,
    ServeArgs,
};
use okta_sim::conformance::{self, CheckError, Target, catalogue, default_key_dir};
use okta_sim::saml::idp::{ResponseSpec, SamlApp, SamlUser, base64_encode};
use okta_sim::saml::keys::SigningKey;

/// Print a line to stdout; a closed pipe is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let command = Cli::command().mut_subcommand("serve", |c| c.after_help(cli::serve_after_help()));
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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
            Command::Saml(SamlCommand::Metadata(args)) => saml_metadata(args),
            Command::Saml(SamlCommand::Sign(args)) => saml_sign(args).await,
            Command::Saml(SamlCommand::Idp(args)) => saml_idp(args).await,
        }
    });
    result.unwrap_or_else(|e| usage(format!("{e:#}")))
}

fn init_logging(verbose: u8) {
    let default = ["warn", "info", "debug"][usize::from(verbose.min(2))];
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
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
        .base_path(args.base_path.clone())
        .seed_users(args.seed_users)
        .profile(args.profile.clone());
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
    say!("{}", app.banner(args.token.is_none()));
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
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
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
pub(crate) fn signing_key(
    key: &Option<std::path::PathBuf>,
    cert: &Option<std::path::PathBuf>,
) -> anyhow::Result<SigningKey> {
    match (key, cert) {
        (Some(k), Some(c)) => Ok(SigningKey::from_files(k, c)?),
        _ => {
            let dir = default_key_dir();
            SigningKey::load_or_create(&dir)
                .with_context(|| format!("cannot use the IdP key in {}", dir.display()))
        }
    }
}

fn saml_metadata(args: SamlKeyArgs) -> anyhow::Result<ExitCode> {
    let key = signing_key(&args.key, &args.cert)?;
    say!(
        "{}",
        SamlApp::new(&args.org_url, "", "")
            .with_key_identity(&key)
            .metadata(&key)
    );
    Ok(ExitCode::SUCCESS)
}

async fn saml_sign(args: SamlSignArgs) -> anyhow::Result<ExitCode> {
    let key = signing_key(&args.key.key, &args.key.cert)?;
    let app = SamlApp::new(&args.key.org_url, &args.acs, &args.audience)
        .with_key_identity(&key)
        .signing(args.sign, args.sha1)
        .without_default_attributes();
    let user = SamlUser {
        name_id: args.user.clone(),
        ..SamlUser::default()
    };
    let mut spec = ResponseSpec::for_user(&app, &user, args.in_response_to.as_deref());
    spec.attributes = ResponseSpec::attributes_from_pairs(&args.attrs);
    let b64 = base64_encode(&spec.to_xml(&key)?);
    if !args.post {
        say!("{b64}");
        return Ok(ExitCode::SUCCESS);
    }
    let answer =
        match okta_sim::saml::idp_http::post_to_acs(&args.acs, &b64, args.relay_state.as_deref())
            .await
        {
            Ok(a) => a,
            Err(e) => return Ok(usage(e)),
        };
    say!("{answer}");
    Ok(ExitCode::from(if answer.accepted() { 0 } else { 1 }))
}

async fn saml_idp(args: SamlIdpArgs) -> anyhow::Result<ExitCode> {
    let key = signing_key(&args.key, &args.cert)?;
    let user = SamlUser {
        name_id: args.user.clone(),
        email: args.user.clone(),
        first_name: args.first_name.clone(),
        last_name: args.last_name.clone(),
        groups: args.groups.clone(),
        custom: vec![],
    };
    let (acs, audience, relay, key_for_app) = (
        args.acs.clone(),
        args.audience.clone(),
        args.default_relay_state.clone(),
        key.clone(),
    );
    let make_app = move |org: &str| {
        let mut app = SamlApp::new(org, &acs, &audience).with_key_identity(&key_for_app);
        app.default_relay_state = relay;
        app
    };
    let ready = |s: &okta_sim::saml::idp_http::IdpState| say!("{}", s.banner());
    let result = okta_sim::saml::idp_http::serve(
        args.addr,
        make_app,
        key,
        user,
        wait_for_shutdown_signal(),
        ready,
    )
    .await;
    Ok(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage(format!("cannot serve on {}: {e}", args.addr)),
    })
}
