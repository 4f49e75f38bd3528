//! Wiring: the embedded reference app as the default target of `okta-sim check`. It starts a
//! reference app whose SAML SP trusts an IdP key made for this run, and hands the conformance
//! suite its URLs, as it would any other target's (the suite never reaches into `app`).

use crate::app::saml_sp::SpConfig;
use crate::app::{ReferenceApp, ReferenceAppBuilder};
use crate::conformance::{CheckError, CheckOptions, RunOutcome, SpTarget, Target, run};
use crate::okta::Auth;
use crate::saml::keys::SigningKey;

/// Start the reference app `builder` describes, with a SAML SP, and point `opts` at it. Keep the
/// returned app alive for the run.
pub async fn embed(
    builder: ReferenceAppBuilder,
    mut opts: CheckOptions,
) -> Result<(ReferenceApp, CheckOptions), CheckError> {
    // A run with a seed signs with the key that seed makes (its certificate dated by the run's
    // clock), so the run repeats byte for byte.
    let key = match opts.seed {
        Some(seed) => SigningKey::from_seed(
            "okta-sim",
            seed,
            opts.clock
                .map_or_else(std::time::SystemTime::now, std::time::SystemTime::from),
        ),
        None => SigningKey::generate("okta-sim"),
    }
    .map_err(|e| CheckError::Io(e.to_string()))?;
    // The embedded app behaves as the integration profile the run is configured as.
    let builder = match &opts.profile {
        Some(p) => builder
            .profile(crate::app::AppProfile::from_integration(p))
            .base_path(p.scim.base_path.clone()),
        None => builder,
    };
    // Its SP is at the profile's URLs, for the tenant Okta is configured with.
    let mut sp_config = SpConfig::trusting_okta_sim(&key);
    sp_config.clock_origin = opts.clock.map(|t| (t, std::time::Instant::now()));
    if let Some(p) = &opts.profile {
        let urls = p
            .sp_urls(opts.tenant.as_deref())
            .map_err(CheckError::Usage)?;
        sp_config.acs_path = urls.acs_path;
        sp_config.entity_id_path = urls.entity_id_path;
        sp_config.public_url = urls.public_origin;
    }
    let app = builder
        .saml_sp(sp_config)
        .start()
        .await
        .map_err(|e| CheckError::Io(format!("cannot start the reference app: {e}")))?;
    let sp = app
        .saml_sp()
        .ok_or_else(|| CheckError::Io("the reference SP did not start".into()))?;
    opts.sp = Some(match &opts.profile {
        Some(p) => {
            // The reference SP's own paths, whatever an external app's profile names.
            let mut t = SpTarget::of_profile(p, opts.tenant.as_deref(), &sp.app_url)
                .map_err(CheckError::Usage)?;
            t.whoami_url = Some(format!("{}/saml/whoami", sp.app_url));
            t.login_url = t.login_url.map(|_| format!("{}/saml/login", sp.app_url));
            t.test_url = t.test_url.map(|_| format!("{}/saml/test", sp.app_url));
            t
        }
        None => SpTarget {
            acs_url: sp.acs_url.clone(),
            audience: sp.entity_id.clone(),
            whoami_url: Some(format!("{}/saml/whoami", sp.app_url)),
            login_url: Some(format!("{}/saml/login", sp.app_url)),
            post_to: None,
            test_url: Some(format!("{}/saml/test", sp.app_url)),
        },
    });
    // A SCIM-only integration signs nobody in.
    if opts.profile.as_ref().is_some_and(|p| !p.saml.enabled) {
        opts.sp = None;
    }
    opts.idp_key = Some(key);
    opts.target = Target::Url {
        base_url: app.base_url().to_string(),
        auth: Auth::Bearer(app.token().to_string()),
    };
    opts.label = Some(format!("embedded reference app at {}", app.base_url()));
    Ok((app, opts))
}

/// Run the suite against a reference app started for the run.
pub async fn run_embedded(opts: CheckOptions) -> Result<RunOutcome, CheckError> {
    let (_app, opts) = embed(ReferenceApp::builder(), opts).await?;
    run(opts).await
}
