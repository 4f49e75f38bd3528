//! Single sign-on against a service provider, as a browser carrying Okta's answers would do it:
//! IdP- and SP-initiated logins, JIT and attribute checks, and the attack catalogue with the
//! identity outcome of every case (who got logged in), not only accept or reject.
//!
//! "Who is logged in" comes from the SP's whoami URL, which must answer JSON naming the identity
//! in one of `nameId`, `userName`, `email`, `sub` or `user` (the reference SP's `/saml/whoami`);
//! without one, from the ACS answer itself when it is such JSON.

use std::time::Instant;

use serde_json::Value;

use super::catalogue::{attack as attack_checks, attack_subject, login};
use super::check::{Checks, Grade, Subject};
use std::sync::Arc;

use crate::okta::limits::RunLimits;
use crate::okta::log::ExchangeLog;
use crate::okta::wire::{Exchange, WireRequest, WireResponse, read_body};
use crate::saml::attacks::{AttackDef, AttackInput};
use crate::saml::idp::{
    ResponseSpec, SamlApp, SamlUser, base64_encode, decode_authn_request, parse_authn_request,
};
use crate::saml::keys::SigningKey;

/// The SP under test and the IdP it trusts.
pub struct SsoTarget {
    /// Where responses are posted (the ACS URL, or its path where the app runs).
    pub post_url: String,
    /// The app's "Test SAML" start, when it has one.
    pub test_url: Option<String>,
    pub whoami_url: Option<String>,
    /// Where an SP-initiated login starts (a GET that redirects to the IdP).
    pub login_url: Option<String>,
    pub app: SamlApp,
    pub key: SigningKey,
    pub attacker_key: SigningKey,
    pub http: reqwest::Client,
    /// How long one request may take (`--timeout`), within the run's deadline.
    pub timeout: std::time::Duration,
    pub log: Arc<ExchangeLog>,
    pub limits: Arc<RunLimits>,
}

/// The most okta-sim reads of an SP's answer (an ACS or whoami answer is a page at most).
pub const MAX_SP_RESPONSE_BYTES: usize = 2 * 1024 * 1024;

/// What came of posting one response to the ACS.
#[derive(Debug, Clone)]
pub struct AcsOutcome {
    pub exchange: Exchange,
    pub accepted: bool,
    /// Who the SP says is logged in (from whoami), when it can tell.
    pub identity: Option<String>,
    pub whoami: Option<Value>,
}

impl AcsOutcome {
    pub fn describe(&self) -> String {
        let status = self
            .exchange
            .status()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "no answer".into());
        match (self.accepted, &self.identity) {
            (true, Some(who)) => format!("accepted ({status}); logged in as {who}"),
            (true, None) => format!(
                "accepted ({status}); who is logged in is unknown: {}",
                self.exchange
                    .response
                    .as_ref()
                    .map(WireResponse::brief)
                    .unwrap_or_default()
            ),
            (false, _) => format!("refused: {}", self.exchange.got()),
        }
    }
}

pub fn identity_of(whoami: &Value) -> Option<String> {
    ["nameId", "userName", "email", "sub", "user"]
        .iter()
        .find_map(|k| whoami.get(*k).and_then(Value::as_str))
        .map(String::from)
}

fn session_cookies(resp: &reqwest::Response) -> String {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ")
}

impl SsoTarget {
    fn record(&self, ex: &mut Exchange) {
        self.log.record(ex);
    }

    /// Read an answer's body within the bounds; a failure is kept in the exchange.
    async fn body_of(&self, ex: &mut Exchange, resp: &mut reqwest::Response) -> String {
        match read_body(resp, MAX_SP_RESPONSE_BYTES).await {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if let Some(r) = ex.response.as_mut() {
                    r.body = text.clone();
                }
                text
            }
            Err((timed_out, why)) => {
                if timed_out {
                    self.limits.timed_out();
                }
                ex.error = Some(why);
                String::new()
            }
        }
    }

    async fn send(
        &self,
        label: &str,
        method: &str,
        url: &str,
        headers: Vec<(String, String)>,
        body: Option<String>,
    ) -> (Exchange, Option<reqwest::Response>) {
        let started = self.limits.clock.now();
        let t0 = Instant::now();
        let request = WireRequest {
            method: method.into(),
            path: url.into(),
            headers: headers.clone(),
            body: body.clone(),
        };
        let mut rb = self
            .http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET),
                url,
            )
            .timeout(self.limits.request_timeout(self.timeout));
        for (k, v) in &headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if let Some(b) = body {
            rb = rb.body(b);
        }
        let mut ex = Exchange {
            label: label.into(),
            started,
            elapsed_ms: 0.0,
            url: url.into(),
            request,
            response: None,
            error: None,
            attempt: 1,
            transaction: None,
            seq: 0,
            scenario: None,
        };
        if let Some(why) = self.limits.refusal() {
            ex.error = Some(why);
            return (ex, None);
        }
        let result = rb.send().await;
        let resp = match result {
            Ok(r) => {
                let status = r.status().as_u16();
                let headers = crate::okta::wire::headers_of(&r);
                ex.response = Some(WireResponse {
                    status,
                    headers,
                    body: String::new(),
                    as_received: None,
                });
                Some(r)
            }
            Err(e) => {
                if e.is_timeout() {
                    self.limits.timed_out();
                }
                ex.error = Some(e.to_string());
                None
            }
        };
        if resp.is_some() {
            self.limits.answered();
        }
        ex.elapsed_ms = self.limits.elapsed_ms(t0);
        (ex, resp)
    }

    /// POST a response to the ACS as a browser would, then ask whoami who is logged in.
    pub async fn post(&self, label: &str, xml: &str, relay_state: Option<&str>) -> AcsOutcome {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("SAMLResponse", &base64_encode(xml));
        if let Some(r) = relay_state {
            form.append_pair("RelayState", r);
        }
        let headers = vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        let (mut ex, resp) = self
            .send(label, "POST", &self.post_url, headers, Some(form.finish()))
            .await;
        let Some(mut resp) = resp else {
            self.record(&mut ex);
            return AcsOutcome {
                exchange: ex,
                accepted: false,
                identity: None,
                whoami: None,
            };
        };
        let cookies = session_cookies(&resp);
        let status = resp.status().as_u16();
        self.body_of(&mut ex, &mut resp).await;
        self.record(&mut ex);
        let accepted = (200..400).contains(&status);
        let mut whoami = None;
        if accepted && let Some(url) = &self.whoami_url {
            let mut h = Vec::new();
            if !cookies.is_empty() {
                h.push(("Cookie".to_string(), cookies));
            }
            let (mut wex, wresp) = self
                .send(&format!("{label}: whoami"), "GET", url, h, None)
                .await;
            if let Some(mut r) = wresp {
                let ok = r.status().is_success();
                let body = self.body_of(&mut wex, &mut r).await;
                if ok {
                    whoami = serde_json::from_str::<Value>(&body).ok();
                }
            }
            self.record(&mut wex);
        }
        // Without a whoami URL, an ACS that answers JSON naming the identity still tells.
        if accepted && whoami.is_none() && self.whoami_url.is_none() {
            whoami = ex
                .response
                .as_ref()
                .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
                .filter(|v| identity_of(v).is_some());
        }
        let identity = whoami.as_ref().and_then(identity_of);
        AcsOutcome {
            exchange: ex,
            accepted,
            identity,
            whoami,
        }
    }

    /// Start an SP-initiated login: GET the login URL, read the AuthnRequest from the redirect.
    pub async fn start_sp_login(
        &self,
    ) -> Result<(String, Option<String>, Exchange), (String, Option<Exchange>)> {
        let Some(url) = &self.login_url else {
            return Err(("no SP login URL is known (give --sp-login)".into(), None));
        };
        self.start_at(url, "SP-initiated login start").await
    }

    /// Start the app's own "Test SAML": GET its test URL, read the AuthnRequest it redirects with.
    pub async fn start_saml_test(
        &self,
    ) -> Result<(String, Option<String>, Exchange), (String, Option<Exchange>)> {
        let Some(url) = &self.test_url else {
            return Err((
                "the app has no SAML test URL (a profile's saml.test_path)".into(),
                None,
            ));
        };
        self.start_at(url, "Test SAML start").await
    }

    async fn start_at(
        &self,
        url: &str,
        label: &str,
    ) -> Result<(String, Option<String>, Exchange), (String, Option<Exchange>)> {
        let (mut ex, resp) = self.send(label, "GET", url, vec![], None).await;
        self.record(&mut ex);
        let Some(resp) = resp else {
            return Err((ex.got(), Some(ex)));
        };
        let Some(location) = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
        else {
            return Err((
                format!(
                    "the login start answered {} without a redirect to the IdP",
                    resp.status().as_u16()
                ),
                Some(ex),
            ));
        };
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
        let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let request = get("SAMLRequest").ok_or_else(|| {
            (
                format!("the redirect {location:?} carries no SAMLRequest"),
                Some(ex.clone()),
            )
        })?;
        let xml =
            decode_authn_request(&request, true).map_err(|e| (e.to_string(), Some(ex.clone())))?;
        let info = parse_authn_request(&xml).map_err(|e| (e.to_string(), Some(ex.clone())))?;
        Ok((info.id, get("RelayState"), ex))
    }

    pub fn response_for(
        &self,
        user: &SamlUser,
        in_response_to: Option<&str>,
    ) -> Result<String, String> {
        ResponseSpec::for_user(&self.app, user, in_response_to)
            .to_xml(&self.key)
            .map_err(|e| e.to_string())
    }

    pub fn attack(
        &self,
        attack: &AttackDef,
        victim: &SamlUser,
        attacker: &SamlUser,
        in_response_to: Option<&str>,
    ) -> Result<String, String> {
        let input = AttackInput {
            app: &self.app,
            key: &self.key,
            attacker_key: &self.attacker_key,
            victim,
            attacker,
            in_response_to,
        };
        (attack.craft)(&input).map_err(|e| e.to_string())
    }
}

/// Grade a login that must succeed (okta-saml §1): accepted, and the right person signed in.
pub fn grade_login(
    c: &mut Checks,
    s: &Subject,
    outcome: &AcsOutcome,
    user: &SamlUser,
    have_whoami: bool,
) {
    c.record_as(
        s,
        &login::ACCEPTED,
        outcome.accepted,
        Some(&outcome.exchange),
        Some(outcome.describe()),
    );
    if outcome.accepted && have_whoami {
        c.record_as(
            s,
            &login::IDENTITY,
            outcome
                .identity
                .as_deref()
                .is_some_and(|i| i.eq_ignore_ascii_case(&user.name_id)),
            Some(&outcome.exchange),
            Some(format!(
                "expected {:?}; {}",
                user.name_id,
                outcome.describe()
            )),
        );
    }
}

/// Grade one attack case from what the SP did and who it logged in.
pub fn grade_attack(
    c: &mut Checks,
    attack: &'static AttackDef,
    sha1: Grade,
    outcome: &AcsOutcome,
    victim: &SamlUser,
) {
    let subject = attack_subject(attack, sha1);
    let victim_in = outcome
        .identity
        .as_deref()
        .is_some_and(|i| i.eq_ignore_ascii_case(&victim.name_id));
    let passed = if !outcome.accepted {
        true
    } else if attack.class.tolerates_signed_identity() {
        // Accepting is only tolerable when the identity is the signed one, never the victim.
        outcome.identity.is_some() && !victim_in
    } else {
        false
    };
    c.record_as(
        &subject,
        &attack_checks::REFUSED,
        passed,
        Some(&outcome.exchange),
        Some(format!(
            "{}{}",
            outcome.describe(),
            if victim_in { "  <- the victim" } else { "" }
        )),
    );
    if attack.class.binds_to_signed() && outcome.accepted && passed {
        c.record_as(
            &subject,
            &attack_checks::NOT_ACCEPTED_AT_ALL,
            false,
            Some(&outcome.exchange),
            Some(outcome.describe()),
        );
    }
}
