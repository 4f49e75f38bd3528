//! `okta-sim replay --transcript`: send a recorded run's SCIM requests again, in order, to a
//! target (a fixed server, say), remapping the ids the first server assigned to the ones the
//! new one assigns, and report each exchange whose answer now differs: its status, and its body
//! once ids and server-kept metadata (`meta` times, versions, locations) are set aside.

use std::collections::HashMap;

use serde_json::Value;

use super::check::json_diff;
use crate::okta::WireClient;
use crate::okta::exchange::WireRequest;

/// One recorded exchange sent again.
#[derive(Debug, Clone)]
pub struct Resent {
    /// Its position in the transcript (from 1).
    pub index: usize,
    /// okta-sim's label of it.
    pub label: String,
    /// `METHOD path`, the path with the new ids.
    pub request: String,
    /// The status recorded, and the one now (None: no answer).
    pub status: (Option<u64>, Option<u16>),
    /// How the answer differs, when it does.
    pub difference: Option<String>,
}

/// The SCIM base URL most exchanges were sent to: their URL without their path.
fn recorded_base(exchanges: &[Value]) -> Option<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for x in exchanges {
        let (Some(url), Some(path)) = (
            x.get("url").and_then(Value::as_str),
            x.pointer("/request/path").and_then(Value::as_str),
        ) else {
            continue;
        };
        if let Some(base) = url.strip_suffix(path) {
            *counts.entry(base.to_string()).or_default() += 1;
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(b, _)| b)
}

/// Every `id` the recorded answer has where the new one has another, as old → new.
fn learn_ids(old: &Value, new: &Value, map: &mut HashMap<String, String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let Some(vb) = b.get(k) else { continue };
                match (k.as_str(), va, vb) {
                    ("id" | "value", Value::String(x), Value::String(y)) if x != y => {
                        map.entry(x.clone()).or_insert_with(|| y.clone());
                    }
                    _ => learn_ids(va, vb, map),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (va, vb) in a.iter().zip(b) {
                learn_ids(va, vb, map);
            }
        }
        _ => {}
    }
}

fn remap(text: &str, map: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for (old, new) in map {
        if out.contains(old.as_str()) {
            out = out.replace(old.as_str(), new);
        }
    }
    out
}

/// The answer with what a server keeps for itself set aside: `meta`'s times, version and
/// location, and ids written back to the recorded ones.
fn comparable(body: &str, back: &HashMap<String, String>) -> Option<Value> {
    let mut v: Value = serde_json::from_str(&remap(body, back)).ok()?;
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(meta)) = m.get_mut("meta") {
                    for k in ["created", "lastModified", "version", "location"] {
                        meta.remove(k);
                    }
                }
                for (_, x) in m.iter_mut() {
                    strip(x);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    Some(v)
}

/// Send the transcript's SCIM exchanges again through `wire`, in order.
pub async fn resend(wire: &WireClient, exchanges: &[Value]) -> Result<Vec<Resent>, String> {
    let base = recorded_base(exchanges).ok_or("the transcript has no SCIM exchanges")?;
    let auth = wire.auth.header_value();
    let host = reqwest::Url::parse(wire.base_url())
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_string(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_default();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for (i, x) in exchanges.iter().enumerate() {
        let text = |p: &str| x.pointer(p).and_then(Value::as_str).unwrap_or("");
        let path = text("/request/path");
        if !text("/url").starts_with(&base) || text("/url") != format!("{base}{path}") {
            continue; // a sign-in or an OAuth exchange, not SCIM
        }
        let body = x
            .pointer("/request/body")
            .and_then(Value::as_str)
            .map(|b| remap(b, &ids));
        let headers: Vec<(String, String)> = x
            .pointer("/request/headers")
            .and_then(Value::as_array)
            .map(|hs| {
                hs.iter()
                    .filter_map(|h| {
                        let k = h.get(0)?.as_str()?.to_string();
                        let v = h.get(1)?.as_str()?.to_string();
                        Some(match k.to_ascii_lowercase().as_str() {
                            "authorization" => (k, auth.clone()),
                            "host" => (k, host.clone()),
                            "content-length" => {
                                (k, body.as_ref().map_or(0, String::len).to_string())
                            }
                            _ => (k, v),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let req = WireRequest {
            method: text("/request/method").to_string(),
            path: remap(path, &ids),
            headers,
            body,
        };
        let shown = format!("{} {}", req.method, req.path);
        let ex = wire.send(text("/label"), req).await;
        let recorded_status = x.pointer("/response/status").and_then(Value::as_u64);
        let now_status = ex.status();
        let recorded_body = text("/response/body");
        let now_body = ex
            .response
            .as_ref()
            .map(|r| r.body.clone())
            .unwrap_or_default();
        if let (Ok(old), Ok(new)) = (
            serde_json::from_str::<Value>(recorded_body),
            serde_json::from_str::<Value>(&now_body),
        ) {
            learn_ids(&old, &new, &mut ids);
        }
        let back: HashMap<String, String> =
            ids.iter().map(|(a, b)| (b.clone(), a.clone())).collect();
        let difference = if recorded_status != now_status.map(u64::from) {
            Some(format!(
                "then {}, now {}",
                recorded_status.map_or("no answer".into(), |s| s.to_string()),
                ex.got()
            ))
        } else if recorded_body.contains("…[cut:") {
            None // only an excerpt was recorded
        } else {
            match (
                comparable(&now_body, &back),
                comparable(recorded_body, &HashMap::new()),
            ) {
                (Some(now), Some(then)) => json_diff(&now, &then)
                    .or_else(|| json_diff(&then, &now))
                    .map(|d| format!("the body differs:\n{d}")),
                (None, Some(_)) => Some(format!("the body is no longer JSON: {}", ex.got())),
                _ => None,
            }
        };
        out.push(Resent {
            index: i + 1,
            label: text("/label").to_string(),
            request: shown,
            status: (recorded_status, now_status),
            difference,
        });
    }
    Ok(out)
}
