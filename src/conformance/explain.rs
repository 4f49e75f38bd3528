//! `okta-sim explain ID`: which scenario and task of a run made an id, from the run's System
//! Log events and exchanges (a past run's `--events` and `--transcript` files, or the same run
//! made again from its seed: every id okta-sim makes comes from the seed).

use serde_json::Value;

/// Where `id` appears in a run, as lines a person reads: the events that name it (as their
/// uuid, transaction or a target), the scenario each belongs to, and the exchanges of those
/// tasks; else the exchanges that carry it.
pub fn explain(id: &str, events: &[Value], exchanges: &[Value]) -> Vec<String> {
    let text = |v: &Value, p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut out = Vec::new();
    let mut transactions: Vec<String> = Vec::new();
    for e in events {
        let as_what = if text(e, "/uuid") == id {
            "the event"
        } else if text(e, "/transaction/id") == id {
            "the transaction"
        } else if let Some(t) = e.get("target").and_then(Value::as_array).and_then(|ts| {
            ts.iter()
                .find(|t| t.get("id").and_then(Value::as_str) == Some(id))
        }) {
            match t.get("type").and_then(Value::as_str) {
                Some("User") => "the Okta user",
                Some("AppUser") => "the app user",
                Some("AppInstance") => "the app instance",
                Some("UserGroup") => "the Okta group",
                _ => "a target",
            }
        } else {
            continue;
        };
        let scenario = text(e, "/debugContext/debugData/oktaSimScenario").replacen('/', " › ", 1);
        out.push(format!(
            "{id} is {as_what} of {} ({}) in transaction {}, event {}, of \"{scenario}\"{}",
            text(e, "/eventType"),
            text(e, "/outcome/result"),
            text(e, "/transaction/id"),
            text(e, "/uuid"),
            e.pointer("/outcome/reason")
                .and_then(Value::as_str)
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
        let tx = text(e, "/transaction/id");
        if !transactions.contains(&tx) {
            transactions.push(tx);
        }
    }
    let shown = |x: &Value| {
        let status = x
            .pointer("/response/status")
            .map(|s| s.to_string())
            .unwrap_or_else(|| format!("no answer ({})", text(x, "/error")));
        let body = text(x, "/request/body");
        format!(
            "  {} {}{}\n    → {status} {}",
            text(x, "/request/method"),
            text(x, "/request/path"),
            if body.is_empty() {
                String::new()
            } else {
                format!("  {}", crate::text::brief(&body, 300))
            },
            crate::text::brief(&text(x, "/response/body"), 300)
        )
    };
    for tx in &transactions {
        let of_task: Vec<&Value> = exchanges
            .iter()
            .filter(|x| x.get("transaction").and_then(Value::as_str) == Some(tx))
            .collect();
        if !of_task.is_empty() {
            out.push(format!("the exchanges of transaction {tx}:"));
            out.extend(of_task.into_iter().map(shown));
        }
    }
    if transactions.is_empty() {
        let carrying: Vec<&Value> = exchanges
            .iter()
            .filter(|x| x.to_string().contains(id) || saml_response_of(x).contains(id))
            .collect();
        if let Some(first) = carrying.first() {
            out.push(format!(
                "{id} is in {} exchange(s), first in transaction {} ({}):",
                carrying.len(),
                text(first, "/transaction"),
                text(first, "/label")
            ));
            out.extend(carrying.into_iter().take(5).map(shown));
        }
    }
    out
}

/// The SAML response an exchange posted, decoded (its ids are inside the base64), or "".
fn saml_response_of(x: &Value) -> String {
    use base64::Engine;
    let body = x
        .pointer("/request/body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !body.starts_with("SAMLResponse=") {
        return String::new();
    }
    form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "SAMLResponse")
        .and_then(|(_, v)| {
            base64::engine::general_purpose::STANDARD
                .decode(v.as_bytes())
                .ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_id_is_traced_to_its_scenario_and_exchanges() {
        let events = vec![json!({
            "eventType": "application.provision.user.push", "uuid": "u-1",
            "transaction": {"type": "JOB", "id": "pujA"}, "outcome": {"result": "SUCCESS"},
            "debugContext": {"debugData": {"oktaSimScenario": "Assign/A user is created"}},
            "target": [{"id": "00uX", "type": "User"}],
        })];
        let exchanges = vec![
            json!({"transaction": "pujA", "label": "assign user: create", "request": {"method": "POST", "path": "/Users", "body": "{}"}, "response": {"status": 201, "body": "{\"id\":\"scim-7\"}"}}),
            json!({"transaction": "pujB", "label": "x", "request": {"method": "GET", "path": "/Users/scim-7"}, "response": {"status": 200, "body": "{}"}}),
        ];
        let lines = explain("00uX", &events, &exchanges).join("\n");
        assert!(
            lines.contains("is the Okta user of application.provision.user.push"),
            "{lines}"
        );
        assert!(lines.contains("\"Assign › A user is created\""), "{lines}");
        assert!(lines.contains("POST /Users"), "{lines}");
        assert!(!lines.contains("GET /Users/scim-7"), "{lines}");
        let lines = explain("scim-7", &events, &exchanges).join("\n");
        assert!(lines.contains("in 2 exchange(s)"), "{lines}");
        assert!(explain("nothing", &events, &exchanges).is_empty());
        // A SAML response id is found inside the posted form.
        use base64::Engine;
        let xml = r#"<samlp:Response ID="id123456789">…</samlp:Response>"#;
        let form = format!(
            "SAMLResponse={}",
            form_urlencoded::byte_serialize(
                base64::engine::general_purpose::STANDARD
                    .encode(xml)
                    .as_bytes()
            )
            .collect::<String>()
        );
        let posted = vec![
            json!({"transaction": null, "label": "IdP-initiated sign-in", "request": {"method": "POST", "path": "/saml/acs", "body": form}, "response": {"status": 200, "body": "{}"}}),
        ];
        let lines = explain("id123456789", &[], &posted).join("\n");
        assert!(
            lines.contains("in 1 exchange(s)") && lines.contains("IdP-initiated sign-in"),
            "{lines}"
        );
    }
}
