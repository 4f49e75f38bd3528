//! The reference app: the service-provider side that behaves the way Okta needs a vendor app
//! to behave. `okta-sim serve` runs it; tests start one per test with `ReferenceApp::start()`.

pub mod faults;
pub mod oauth;
pub mod profile;
pub mod saml_sp;
pub(crate) mod scim_http;
pub mod server;
mod store;
mod table;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use rand::Rng;
use serde_json::json;
use tokio::sync::oneshot;

use crate::scim::schema::ResourceKind;
pub use profile::{AppProfile, PatchResponse};
use scim_http::ScimState;
pub use store::Store;

/// How to start a reference app.
#[derive(Debug, Clone)]
pub struct ReferenceAppBuilder {
    addr: SocketAddr,
    token: Option<String>,
    base_path: String,
    seed_users: usize,
    profile: AppProfile,
    faults: faults::Faults,
    saml_sp: Option<saml_sp::SpConfig>,
    limits: server::Limits,
}

impl Default for ReferenceAppBuilder {
    fn default() -> Self {
        ReferenceAppBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            base_path: "/scim/v2".into(),
            seed_users: 0,
            profile: AppProfile::default(),
            faults: faults::Faults::new(),
            saml_sp: None,
            limits: server::Limits::default(),
        }
    }
}

impl ReferenceAppBuilder {
    /// Address to listen on; port 0 picks a free port (the default, on 127.0.0.1).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }
    /// The bearer token clients must present; a random one when not set.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
    /// Where the SCIM API lives, `/scim/v2` by default; `/` serves it at the root.
    pub fn base_path(mut self, path: impl Into<String>) -> Self {
        self.base_path = path.into();
        self
    }
    /// Create this many users before serving (they carry every attribute Okta's SPEC test reads).
    pub fn seed_users(mut self, n: usize) -> Self {
        self.seed_users = n;
        self
    }
    /// The vendor behaviour profile (see [`AppProfile`]).
    pub fn profile(mut self, profile: AppProfile) -> Self {
        self.profile = profile;
        self
    }
    /// Switch on a deliberate fault (see [`faults::FAULTS`]): for testing SCIM clients.
    pub fn fault(mut self, fault: &'static faults::FaultDef) -> Self {
        if !self.faults.iter().any(|f| std::ptr::eq(*f, fault)) {
            self.faults.push(fault);
        }
        self
    }

    /// What a client may take of the server (connections, header and body read time).
    pub fn limits(mut self, limits: server::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Serve a SAML service provider too (`/saml/metadata`, `/saml/login`, the ACS,
    /// `/saml/whoami`), trusting the IdP this configuration names.
    pub fn saml_sp(mut self, config: saml_sp::SpConfig) -> Self {
        self.saml_sp = Some(config);
        self
    }

    /// Bind, seed and serve in the background.
    pub async fn start(self) -> std::io::Result<ReferenceApp> {
        self.profile
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let base_path = normalize_base_path(&self.base_path);
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let token = self.token.unwrap_or_else(generate_token);
        let store = Arc::new(Store::new(self.profile));
        let base_url = format!("http://{addr}{base_path}");
        let seeded = seed(&store, self.seed_users);
        let oauth = store
            .profile()
            .oauth
            .clone()
            .map(|o| Arc::new(oauth::OAuthServer::new(o)));
        let state = Arc::new(ScimState {
            store: store.clone(),
            token: token.clone(),
            base_url: base_url.clone(),
            body_timeout: self.limits.body_read_timeout,
            oauth: oauth.clone(),
        });
        let mut scim = scim_http::scim_routes(state.clone());
        if !self.faults.is_empty() {
            scim = scim.layer(axum::middleware::from_fn_with_state(
                Arc::new(faults::FaultState {
                    scim: state,
                    faults: self.faults.clone(),
                    memory: std::sync::Mutex::new(Default::default()),
                }),
                faults::apply,
            ));
        }
        let mut router = if base_path.is_empty() {
            scim
        } else {
            Router::new().nest(&base_path, scim)
        };
        let app_url = format!("http://{addr}");
        if let Some(o) = &oauth {
            router = oauth::routes(o.clone()).merge(router);
        }
        let sp = match self.saml_sp {
            Some(mut cfg) => {
                cfg.faults.extend(self.faults.iter().filter_map(|f| f.sp));
                let sp = Arc::new(
                    saml_sp::SpState::new(cfg, &app_url, store.clone(), &base_url).map_err(
                        |e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()),
                    )?,
                );
                router = saml_sp::routes(sp.clone()).merge(router);
                Some(sp)
            }
            None => None,
        };
        let (tx, rx) = oneshot::channel::<()>();
        let limits = self.limits;
        let task = tokio::spawn(server::serve(listener, router, limits, async {
            let _ = rx.await;
        }));
        Ok(ReferenceApp {
            oauth,
            app_url,
            sp,
            faults: self.faults,
            seeded,
            addr,
            base_url,
            token,
            store,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

fn normalize_base_path(p: &str) -> String {
    let trimmed = p.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    }
}

/// A running reference app. Dropping it stops the server.
pub struct ReferenceApp {
    oauth: Option<Arc<oauth::OAuthServer>>,
    app_url: String,
    sp: Option<Arc<saml_sp::SpState>>,
    faults: faults::Faults,
    seeded: usize,
    addr: SocketAddr,
    base_url: String,
    token: String,
    store: Arc<Store>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ReferenceApp {
    /// A reference app on a free port of 127.0.0.1, with a random token and no users.
    pub async fn start() -> std::io::Result<ReferenceApp> {
        Self::builder().start().await
    }

    /// A builder for a reference app with options.
    pub fn builder() -> ReferenceAppBuilder {
        ReferenceAppBuilder::default()
    }

    /// The SCIM base URL, e.g. `http://127.0.0.1:41234/scim/v2`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bearer token clients must send.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The address the app listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The SAML service provider, when one was configured.
    pub fn saml_sp(&self) -> Option<&saml_sp::SpState> {
        self.sp.as_deref()
    }

    /// What `okta-sim serve` prints: the URLs, the token, the SP, the faults switched on.
    pub fn banner(&self, token_generated: bool) -> String {
        let mut lines = vec![
            "okta-sim reference app".to_string(),
            format!("  SCIM base URL  {}", self.base_url),
            format!(
                "  token          {}{}",
                self.token,
                if token_generated {
                    "  (generated; set --token or OKTA_SIM_TOKEN to choose)"
                } else {
                    ""
                }
            ),
            format!("  users seeded   {}", self.seeded),
        ];
        if let Some(sp) = &self.sp {
            lines.push(format!("  SAML SP        entity ID {}", sp.entity_id));
            lines.push(format!(
                "                 ACS {}  (login start {}/saml/login, whoami {}/saml/whoami)",
                sp.acs_url, sp.app_url, sp.app_url
            ));
            lines.push(format!(
                "                 trusts IdP {}",
                sp.config.idp_entity_id
            ));
        }
        if let Some(o) = &self.oauth {
            let s = &o.settings;
            lines.push(format!(
                "  OAuth 2.0      authorize {}{}, token {}{}",
                self.app_url, s.authorize_path, self.app_url, s.token_path
            ));
            lines.push(format!(
                "                 client ID {}, secret {}",
                s.client_id, s.client_secret
            ));
        }
        for f in &self.faults {
            lines.push(format!("  FAULT          {}: {}", f.name, f.describe));
        }
        lines.push(format!(
            "  Okta setting   Authorization header: Bearer {}",
            self.token
        ));
        lines.push("Press Ctrl-C to stop.".to_string());
        lines.join("\n")
    }

    /// Direct access to the store, for assertions in tests.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stop accepting connections, finish the requests in flight, and wait for the server.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ReferenceApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A random 40-character token.
pub fn generate_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

const GIVEN_NAMES: &[&str] = &[
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim",
];
const FAMILY_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
];

/// The values of the `i`-th seed user.
struct SeedUser {
    given: &'static str,
    family: &'static str,
    /// Also its userName.
    email: String,
    external_id: String,
}

fn seed_user(i: usize) -> SeedUser {
    let given = GIVEN_NAMES[i % GIVEN_NAMES.len()];
    let family = FAMILY_NAMES[(i / GIVEN_NAMES.len()) % FAMILY_NAMES.len()];
    // Written piece by piece (no `format!`): a million of them are made while seeding.
    let n = (i + 1).to_string();
    let mut email = String::with_capacity(given.len() + family.len() + n.len() + 13);
    for part in [given, ".", family] {
        email.extend(part.chars().map(|c| c.to_ascii_lowercase()));
    }
    email.push_str(&n);
    email.push_str("@example.com");
    let mut external_id = String::with_capacity(20);
    external_id.push_str("seed");
    external_id.extend(std::iter::repeat_n('0', 16usize.saturating_sub(n.len())));
    external_id.push_str(&n);
    SeedUser {
        given,
        family,
        email,
        external_id,
    }
}

/// The body of the `i`-th seed user: every attribute Okta's SPEC test reads (okta-scim-wire
/// §10.1 step 0: userName, name.givenName, name.familyName, `emails[0].value`, active).
pub fn seed_user_body(i: usize) -> serde_json::Value {
    let SeedUser {
        given,
        family,
        email,
        external_id,
    } = seed_user(i);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": email, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": external_id,
        "active": true
    })
}

/// Seed user `i` as the store keeps it: the compact JSON that ingesting [`seed_user_body`]
/// gives (attributes in schema order), its userName and externalId. Written directly, as
/// seeding a million users must be quick; `tests` hold it to the ingested form.
fn seed_user_stored(i: usize) -> (String, String, Option<String>) {
    let SeedUser {
        given,
        family,
        email,
        external_id,
    } = seed_user(i);
    // Joined at its exact length, so keeping it as a boxed str copies nothing.
    let json = [
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"externalId\":\"",
        &external_id,
        "\",\"userName\":\"",
        &email,
        "\",\"name\":{\"familyName\":\"",
        family,
        "\",\"givenName\":\"",
        given,
        "\"},\"displayName\":\"",
        given,
        " ",
        family,
        "\",\"locale\":\"en-US\",\"active\":true,\"emails\":[{\"value\":\"",
        &email,
        "\",\"type\":\"work\",\"primary\":true}]}",
    ]
    .concat();
    (json, email, Some(external_id))
}

/// Create `n` users; how many were created. Each carries a value for every attribute the
/// profile's own User extensions require, so the app's rules accept it.
fn seed(store: &Store, n: usize) -> usize {
    let required = required_extension_values(&store.profile().user_extensions);
    if required.is_empty() {
        return store.create_many_stored(n, seed_user_stored);
    }
    store.create_many(ResourceKind::User, n, |i| {
        let mut body = seed_user_body(i);
        if let Some(o) = body.as_object_mut() {
            for (urn, values) in &required {
                o.insert(urn.clone(), values.clone());
            }
        }
        body
    })
}

/// For each declared User extension with required attributes, an object giving each one a
/// value of its type (the first canonical value when it has some).
fn required_extension_values(
    exts: &[crate::scim::declared::SchemaDecl],
) -> Vec<(String, serde_json::Value)> {
    use crate::scim::schema::AttrType;
    exts.iter()
        .filter_map(|d| {
            let values: serde_json::Map<String, serde_json::Value> = d
                .attributes
                .iter()
                .filter(|a| a.required)
                .filter_map(|a| {
                    let one = match a.canonical_values.first() {
                        Some(c) => json!(c),
                        None => match a.ty {
                            AttrType::String | AttrType::Reference | AttrType::Binary => {
                                json!("seed")
                            }
                            AttrType::Boolean => json!(false),
                            AttrType::Integer => json!(0),
                            AttrType::Decimal => json!(0.0),
                            AttrType::DateTime => json!("2026-01-01T00:00:00Z"),
                            AttrType::Complex => return None,
                        },
                    };
                    Some((
                        a.name.clone(),
                        if a.multi_valued { json!([one]) } else { one },
                    ))
                })
                .collect();
            (!values.is_empty()).then(|| (d.id.clone(), serde_json::Value::Object(values)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_user_is_stored_exactly_as_ingesting_its_body_would_store_it() {
        let by_post = Store::new(AppProfile::default());
        let direct = Store::new(AppProfile::default());
        // Past every pairing of given and family names.
        let n = GIVEN_NAMES.len() * FAMILY_NAMES.len() + 7;
        assert_eq!(
            by_post.create_many(ResourceKind::User, n, seed_user_body),
            n
        );
        assert_eq!(direct.create_many_stored(n, seed_user_stored), n);
        let (a, b) = (
            by_post.snapshot(ResourceKind::User),
            direct.snapshot(ResourceKind::User),
        );
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                serde_json::to_string(&x.body).unwrap(),
                serde_json::to_string(&y.body).unwrap()
            );
        }
        // Found by the indexes as a POSTed user is, and a second seed of a name is refused.
        assert!(
            direct
                .find_user_by_name("ADA.LOVELACE1@example.com")
                .is_some()
        );
        let by_external = crate::scim::list::ListQuery::parse(
            ResourceKind::User,
            Some("filter=externalId%20eq%20%22seed0000000000000005%22"),
        )
        .unwrap();
        let (total, page) = direct.list(ResourceKind::User, &by_external, "http://x");
        assert_eq!(
            (total, page[0]["userName"].as_str()),
            (1, Some("barbara.lovelace5@example.com"))
        );
        assert_eq!(direct.create_many_stored(1, seed_user_stored), 0);
        assert_eq!(direct.count(ResourceKind::User), n);
    }
}
