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
    let key = SigningKey::generate("okta-sim").map_err(|e| CheckError::Io(e.to_string()))?;
    // The embedded app behaves as the integration profile the run is configured as.
    let builder = match &opts.profile {
        Some(p) => builder
            .profile(crate::app::AppProfile::from_integration(p))
            .base_path(p.scim.base_path.clone()),
        None => builder,
    };
    let app = builder
        .saml_sp(SpConfig::trusting_okta_sim(&key))
        .start()
        .await
        .map_err(|e| CheckError::Io(format!("cannot start the reference app: {e}")))?;
    let sp = app
        .saml_sp()
        .ok_or_else(|| CheckError::Io("the reference SP did not start".into()))?;
    opts.sp = Some(SpTarget {
        acs_url: sp.acs_url.clone(),
        audience: sp.entity_id.clone(),
        whoami_url: Some(format!("{}/saml/whoami", sp.app_url)),
        login_url: Some(format!("{}/saml/login", sp.app_url)),
    });
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
