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

use cli::{
    CheckArgs, Cli, Command, SamlCommand, SamlIdpArgs, SamlKeyArgs, SamlSignArgs, ServeArgs,
};
use okta_sim::conformance::check::Grade;
use okta_sim::conformance::{self, CheckError, CheckOptions, Target};
use okta_sim::conformance::{DEFAULT_IDP_ORG_URL, SpTarget, default_key_dir};
use okta_sim::okta::ops::{ExistingGroupOnPush, OktaSettings, PasswordSyncBody};
use okta_sim::okta::{AppKind, Auth};
use okta_sim::saml::idp::{SamlApp, SamlUser};
use okta_sim::saml::keys::SigningKey;

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
            Command::Saml(SamlCommand::Metadata(args)) => saml_metadata(args),
            Command::Saml(SamlCommand::Sign(args)) => saml_sign(args).await,
            Command::Saml(SamlCommand::Idp(args)) => saml_idp(args).await,
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
    if !args.acs_path.starts_with('/')
        || args.acs_path.starts_with("/saml/metadata")
        || args.acs_path.starts_with("/saml/login")
        || args.acs_path.starts_with("/saml/whoami")
    {
        return usage(format!(
            "--acs-path {:?}: use a path such as /saml/acs",
            args.acs_path
        ));
    }
    let trust = match &args.idp_metadata {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                okta_sim::saml::idp::trust_from_metadata(&text)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("{} is not usable IdP metadata", path.display()))?,
            )
        }
        // Trust the okta-sim IdP; if its key cannot be read or saved (a read-only home, say),
        // serve SCIM alone rather than not at all.
        None => match signing_key(&None, &None) {
            Ok(key) => {
                let app = SamlApp::new(DEFAULT_IDP_ORG_URL, "", "").with_key_identity(&key);
                Some((app.issuer(), key.cert_der.clone(), app.sso_url()))
            }
            Err(e) => {
                eprintln!(
                    "warning: no SAML SP: {e:#} (give --idp-metadata, or a writable OKTA_SIM_HOME)"
                );
                None
            }
        },
    };
    if let Some((issuer, cert, sso)) = trust {
        let mut sp = okta_sim::app::saml_sp::SpConfig::trusting(&issuer, cert, &sso);
        sp.allow_sha1 = args.allow_sha1;
        sp.acs_path = args.acs_path.clone();
        sp.clock_skew = std::time::Duration::from_secs(args.clock_skew);
        builder = builder.saml_sp(sp);
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
    if let Some(sp) = app.saml_sp() {
        say!("  SAML SP        entity ID {}", sp.entity_id);
        say!(
            "                 ACS {}  (login start {}/saml/login, whoami {}/saml/whoami)",
            sp.acs_url,
            sp.app_url,
            sp.app_url
        );
        say!("                 trusts IdP {}", sp.config.idp_entity_id);
    }
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
    let sp = match sp_target(&args).await {
        Ok(sp) => sp,
        Err(msg) => return usage(msg),
    };
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
        (None, _) => Target::None,
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
    let idp_key = match (&args.idp_key, &args.idp_cert) {
        (Some(k), Some(c)) => match SigningKey::from_files(k, c) {
            Ok(key) => Some(key),
            Err(e) => return usage(e),
        },
        _ => None,
    };
    let embedded = matches!(target, Target::None) && sp.is_none();
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
        sp,
        idp_key,
        label: None,
        sha1_grade: if args.sha1_policy == "fail" {
            Grade::RfcMust
        } else {
            Grade::RfcShould
        },
    };
    let outcome = if embedded {
        okta_sim::embedded::run_embedded(opts).await
    } else {
        conformance::run(opts).await
    };
    match outcome {
        Ok(outcome) => Ok(ExitCode::from(outcome.exit_code())),
        Err(e @ (CheckError::Usage(_) | CheckError::Unreachable(_) | CheckError::Io(_))) => {
            usage(e)
        }
    }
}

/// The SP of `--sp-acs …` or `--sp-metadata URL`.
async fn sp_target(args: &CheckArgs) -> Result<Option<SpTarget>, String> {
    let (acs, audience) = match (&args.sp_acs, &args.sp_audience, &args.sp_metadata) {
        (Some(acs), Some(aud), _) => (acs.clone(), aud.clone()),
        (None, _, Some(url)) => {
            let text = reqwest::get(url.as_str())
                .await
                .map_err(|e| format!("cannot fetch --sp-metadata {url}: {e}"))?
                .text()
                .await
                .map_err(|e| format!("cannot read --sp-metadata {url}: {e}"))?;
            okta_sim::saml::xml::parse(&text).map_err(|e| format!("--sp-metadata {url}: {e}"))?;
            let md: samael::metadata::EntityDescriptor = text
                .parse()
                .map_err(|e| format!("--sp-metadata {url} is not SAML metadata: {e}"))?;
            let entity = md
                .entity_id
                .clone()
                .ok_or("the SP metadata has no entityID")?;
            let acs = md
                .sp_sso_descriptors
                .iter()
                .flatten()
                .flat_map(|d| d.assertion_consumer_services.iter())
                .find(|e| e.binding.ends_with("HTTP-POST"))
                .map(|e| e.location.clone())
                .ok_or("the SP metadata has no HTTP-POST AssertionConsumerService")?;
            (acs, args.sp_audience.clone().unwrap_or(entity))
        }
        (Some(_), None, _) => return Err("--sp-acs needs --sp-audience".into()),
        (None, _, None) => {
            if args.sp_whoami.is_some() || args.sp_login.is_some() {
                return Err(
                    "--sp-whoami and --sp-login need --sp-acs and --sp-audience (or --sp-metadata)"
                        .into(),
                );
            }
            return Ok(None);
        }
    };
    for u in [Some(&acs), args.sp_whoami.as_ref(), args.sp_login.as_ref()]
        .into_iter()
        .flatten()
    {
        if reqwest::Url::parse(u).is_err() {
            return Err(format!("{u:?} is not a URL"));
        }
    }
    Ok(Some(SpTarget {
        acs_url: acs,
        audience,
        whoami_url: args.sp_whoami.clone(),
        login_url: args.sp_login.clone(),
    }))
}

fn signing_key(
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
    let app = SamlApp::new(&args.org_url, "", "").with_key_identity(&key);
    say!("{}", app.metadata(&key));
    Ok(ExitCode::SUCCESS)
}

async fn saml_sign(args: SamlSignArgs) -> anyhow::Result<ExitCode> {
    let key = signing_key(&args.key.key, &args.key.cert)?;
    let mut app =
        SamlApp::new(&args.key.org_url, &args.acs, &args.audience).with_key_identity(&key);
    app.response_signed = args.sign != "assertion";
    app.assertion_signed = args.sign != "response";
    if args.sha1 {
        app.alg = okta_sim::saml::dsig::SigAlg::RsaSha1;
    }
    app.attributes.clear();
    app.group_attribute = None;
    let mut attributes: Vec<(String, String, Vec<String>)> = Vec::new();
    for a in &args.attrs {
        let Some((name, value)) = a.split_once('=') else {
            return usage(format!("--attr {a:?}: use NAME=VALUE"));
        };
        match attributes.iter_mut().find(|(n, _, _)| n == name) {
            Some(entry) => entry.2.push(value.to_string()),
            None => attributes.push((
                name.to_string(),
                okta_sim::saml::idp::ATTRNAME_UNSPECIFIED.to_string(),
                vec![value.to_string()],
            )),
        }
    }
    let user = SamlUser {
        name_id: args.user.clone(),
        ..SamlUser::default()
    };
    let mut spec =
        okta_sim::saml::idp::ResponseSpec::for_user(&app, &user, args.in_response_to.as_deref());
    spec.attributes = attributes;
    let xml = spec.to_xml(&key)?;
    let b64 = okta_sim::saml::idp::base64_encode(&xml);
    if !args.post {
        say!("{b64}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("SAMLResponse", &b64);
    if let Some(r) = &args.relay_state {
        form.append_pair("RelayState", r);
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let resp = match client
        .post(&args.acs)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.finish())
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return usage(format!("cannot post to {}: {e}", args.acs)),
    };
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = resp.text().await.unwrap_or_default();
    say!("POST {} -> {}", args.acs, status);
    if let Some(l) = location {
        say!("Location: {l}");
    }
    if !body.is_empty() {
        say!("{}", okta_sim::okta::wire::brief(&body, 2000));
    }
    Ok(ExitCode::from(
        if status.is_success() || status.is_redirection() {
            0
        } else {
            1
        },
    ))
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
    let (acs, audience, relay) = (
        args.acs.clone(),
        args.audience.clone(),
        args.default_relay_state.clone(),
    );
    let key_for_app = key.clone();
    let make_app = move |org: &str| {
        let mut app = SamlApp::new(org, &acs, &audience).with_key_identity(&key_for_app);
        app.default_relay_state = relay;
        app
    };
    let result = okta_sim::saml::idp_http::serve(
        args.addr,
        make_app,
        key,
        user,
        wait_for_shutdown_signal(),
        |s| {
            say!("okta-sim IdP");
            say!("  issuer         {}", s.app.issuer());
            say!("  metadata       {}", s.app.metadata_url());
            say!(
                "  SSO URL        {}  (SP-initiated: HTTP-Redirect or HTTP-POST)",
                s.app.sso_url()
            );
            say!(
                "  launch URL     {}  (IdP-initiated, a plain GET)",
                s.app.sso_url()
            );
            say!("  ACS            {}", s.app.acs_url);
            say!("  signed-in user {}", s.user.name_id);
            say!("Press Ctrl-C to stop.");
        },
    )
    .await;
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => usage(format!("cannot serve on {}: {e}", args.addr)),
    }
}
