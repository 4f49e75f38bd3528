//! Reproducing what a customer saw from Okta's System Log (okta-scim-wire §8.5, §8.6): read an
//! export (the JSON array `/api/v1/logs` returns, or JSON lines), pick the events of one
//! transaction or one event, rebuild the task they record (which operation, for which user or
//! group, with which Okta profile), send it to a target as Okta would, and log what Okta would
//! then log — compared with what the export says Okta logged.
//!
//! Okta logs no request bodies: the values sent are rebuilt from the event's targets (the
//! user's login and display name, the group's name) and, when given, the Okta profile of the
//! user. A user the task expects in the app but the target lacks is created first, as setup.

use serde_json::{Map, Value};

use super::ids::{OktaIds, OktaUser};
use super::ops::{Op, Session};
use super::syslog::{self, AppInstance, EventIds, EventSubject};

/// The largest export read.
pub const MAX_EXPORT_BYTES: usize = 64 * 1024 * 1024;

/// Why a replay cannot happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The export is not a System Log export.
    #[error("the System Log export is not readable: {0}")]
    Export(String),
    /// Nothing in the export matches.
    #[error("{0}")]
    NotFound(String),
    /// The events name a task okta-sim cannot rebuild.
    #[error("{0}")]
    Unsupported(String),
}

/// The events of an export: a JSON array, or one JSON object per line.
pub fn read_export(text: &str) -> Result<Vec<Value>, ReplayError> {
    if text.len() > MAX_EXPORT_BYTES {
        return Err(ReplayError::Export(format!(
            "larger than {} MiB",
            MAX_EXPORT_BYTES / (1024 * 1024)
        )));
    }
    let trimmed = text.trim_start();
    let events: Vec<Value> = if trimmed.starts_with('[') {
        serde_json::from_str(trimmed).map_err(|e| ReplayError::Export(e.to_string()))?
    } else {
        trimmed
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| ReplayError::Export(format!("line {}: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?
    };
    if let Some(bad) = events
        .iter()
        .position(|e| e.get("eventType").and_then(Value::as_str).is_none())
    {
        return Err(ReplayError::Export(format!(
            "event {} has no eventType",
            bad + 1
        )));
    }
    Ok(events)
}

/// The events of the transaction `tx`, or the event `uuid`, or else every failed provisioning
/// event.
pub fn select<'a>(
    events: &'a [Value],
    tx: Option<&str>,
    uuid: Option<&str>,
) -> Result<Vec<&'a Value>, ReplayError> {
    let text = |e: &Value, p: &str| e.pointer(p).and_then(Value::as_str).map(String::from);
    let picked: Vec<&Value> = match (tx, uuid) {
        (Some(t), _) => events
            .iter()
            .filter(|e| text(e, "/transaction/id").as_deref() == Some(t))
            .collect(),
        (None, Some(u)) => events
            .iter()
            .filter(|e| text(e, "/uuid").as_deref() == Some(u))
            .collect(),
        (None, None) => events
            .iter()
            .filter(|e| text(e, "/outcome/result").as_deref() == Some("FAILURE"))
            .collect(),
    };
    let picked: Vec<&Value> = picked
        .into_iter()
        .filter(|e| text(e, "/eventType").is_some_and(|t| t.starts_with("application.provision.")))
        .collect();
    if picked.is_empty() {
        return Err(ReplayError::NotFound(match (tx, uuid) {
            (Some(t), _) => format!("no provisioning event of transaction {t} in the export"),
            (None, Some(u)) => format!("no provisioning event {u} in the export"),
            (None, None) => {
                "no failed provisioning event in the export: name one with --transaction or --uuid"
                    .into()
            }
        }));
    }
    Ok(picked)
}

/// The task one event records.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Its event type.
    pub event_type: String,
    /// The Okta user (from the User target, and the given Okta profile).
    pub user: Option<OktaUser>,
    /// The Okta group id and name (from the UserGroup target).
    pub group: Option<(String, String)>,
    /// The app instance (from the AppInstance target).
    pub app: AppInstance,
    /// What Okta logged: SUCCESS or FAILURE, and the reason.
    pub logged: (String, Option<String>),
    /// The event's transaction id.
    pub transaction: String,
}

fn target<'a>(event: &'a Value, ty: &str) -> Option<&'a Value> {
    event
        .get("target")
        .and_then(Value::as_array)?
        .iter()
        .find(|t| t.get("type").and_then(Value::as_str) == Some(ty))
}

/// The task of an event: its user (the User target, its profile from `okta_user` when given),
/// group and app.
pub fn task_of(event: &Value, okta_user: Option<&Map<String, Value>>, seed: u64) -> Task {
    let s = |v: Option<&Value>, k: &str| {
        v.and_then(|t| t.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut ids = OktaIds::new(seed);
    let user = target(event, "User").map(|t| {
        let display = s(Some(t), "displayName");
        let (given, family) = display.split_once(' ').unwrap_or((display.as_str(), ""));
        let mut u = OktaUser {
            id: s(Some(t), "id"),
            given_name: given.to_string(),
            family_name: family.to_string(),
            login: s(Some(t), "alternateId"),
            password: ids.password(),
            profile: indexmap::IndexMap::new(),
        };
        if let Some(p) = okta_user {
            let get = |k: &str| p.get(k).and_then(Value::as_str).map(String::from);
            if let Some(v) = get("firstName") {
                u.given_name = v;
            }
            if let Some(v) = get("lastName") {
                u.family_name = v;
            }
            if let Some(v) = get("login") {
                u.login = v;
            }
            for (k, v) in p {
                if !matches!(k.as_str(), "firstName" | "lastName" | "login") {
                    u.profile.insert(k.clone(), v.clone());
                }
            }
        }
        u
    });
    let app = target(event, "AppInstance");
    Task {
        event_type: event
            .get("eventType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        user,
        group: target(event, "UserGroup").map(|g| (s(Some(g), "id"), s(Some(g), "displayName"))),
        app: AppInstance {
            id: s(app, "id"),
            name: event
                .pointer("/debugContext/debugData/appname")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            label: s(app, "displayName"),
        },
        logged: (
            event
                .pointer("/outcome/result")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            event
                .pointer("/outcome/reason")
                .and_then(Value::as_str)
                .map(String::from),
        ),
        transaction: event
            .pointer("/transaction/id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    }
}

/// What replaying one task did.
#[derive(Debug)]
pub struct Replayed {
    /// The task.
    pub task: Task,
    /// The setup okta-sim needed first (the user created when the target lacked it).
    pub setup: Vec<Op>,
    /// The task as Okta sends it.
    pub op: Op,
    /// The event Okta would log for it now.
    pub event: Value,
    /// The admin-console line, when it failed.
    pub message: Option<String>,
}

impl Replayed {
    /// Whether the replay ended as the export says the task did: the same outcome, and on a
    /// failure the same admin-console line.
    pub fn reproduced(&self) -> bool {
        let now = if self.message.is_some() {
            "FAILURE"
        } else {
            "SUCCESS"
        };
        now == self.task.logged.0 && (self.message.is_none() || self.message == self.task.logged.1)
    }
}

/// Send the task of `event` to the session's target as Okta would.
pub async fn replay(
    session: &mut Session,
    task: Task,
    event_ids: &mut OktaIds,
) -> Result<Replayed, ReplayError> {
    const LABEL: &str = "user";
    const GROUP: &str = "group";
    let unsupported = |t: &str| {
        ReplayError::Unsupported(format!(
            "okta-sim cannot rebuild a {t} task from its event (the members and values it pushed are not in the System Log)"
        ))
    };
    let needs_user = || {
        ReplayError::Unsupported(format!(
            "the {} event names no User target",
            task.event_type
        ))
    };
    if let Some(u) = &task.user {
        session.user(LABEL).okta = u.clone();
    }
    if let Some((id, name)) = &task.group {
        let g = session.group(GROUP);
        g.okta_id = id.clone();
        g.name = name.clone();
    }
    let mut setup = Vec::new();
    let kind = task
        .event_type
        .strip_prefix("application.provision.")
        .unwrap_or(&task.event_type)
        .to_string();
    let op = match kind.as_str() {
        "user.push" | "user.verify_exists" => {
            task.user.as_ref().ok_or_else(needs_user)?;
            session.assign_user(LABEL).await
        }
        "user.push_profile" | "user.deactivate" | "user.reactivate" | "user.push_password"
        | "user.deprovision" | "user.activate" => {
            task.user.as_ref().ok_or_else(needs_user)?;
            // The app user the task expects: found by userName, else created first.
            let found = session.find_user(LABEL, false).await;
            let id = found
                .exchanges()
                .next()
                .and_then(|e| e.json())
                .and_then(|b| b.pointer("/Resources/0/id").cloned())
                .and_then(|v| v.as_str().map(String::from));
            setup.push(found);
            match id {
                Some(id) => session.users[LABEL].app_id = Some(id),
                None => setup.push(session.assign_user(LABEL).await),
            }
            if session.users[LABEL].direct.is_none() {
                session.users[LABEL].direct = Some(Map::new());
            }
            match kind.as_str() {
                "user.push_profile" => session.push_profile(LABEL).await,
                "user.deactivate" | "user.deprovision" => session.deactivate_user(LABEL).await,
                "user.reactivate" | "user.activate" => session.reactivate_user(LABEL).await,
                _ => session.sync_password(LABEL).await,
            }
        }
        "group_push.pushed" => {
            if task.group.is_none() {
                return Err(ReplayError::Unsupported(
                    "the group_push.pushed event names no UserGroup target".into(),
                ));
            }
            session.push_group(GROUP).await
        }
        other => return Err(unsupported(other)),
    };
    let subject = EventSubject {
        user: task
            .user
            .as_ref()
            .map(|u| (u.id.clone(), u.login.clone(), u.display_name())),
        app_user: task.user.as_ref().map(|u| syslog::app_user_id(&u.id)),
        group: task.group.clone(),
    };
    let message = syslog::admin_message(&op, &subject, &task.app);
    let kind = syslog::event_type(&op).unwrap_or(("application.provision.user.sync", ""));
    let ids = EventIds {
        transaction: event_ids.object_id("puj"),
        uuid: event_ids.event_uuid(),
        published: op
            .exchanges()
            .next()
            .map(|e| e.started.clone())
            .unwrap_or_else(crate::timestamp::now),
    };
    let mut debug = Map::new();
    debug.insert("replayOf".into(), Value::String(task.transaction.clone()));
    let event = syslog::event(&ids, kind, &subject, &task.app, message.as_deref(), debug);
    Ok(Replayed {
        task,
        setup,
        op,
        event,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_rebuilt_from_the_targets_and_the_given_okta_profile() {
        let event: Value = serde_json::from_str(
            r#"{"eventType":"application.provision.user.push_profile","transaction":{"type":"JOB","id":"pujX"},
                "outcome":{"result":"FAILURE","reason":"r"},"debugContext":{"debugData":{"appname":"acme_scim"}},
                "target":[{"id":"00uA","type":"User","alternateId":"ana@example.com","displayName":"Ana de Souza"},
                          {"id":"0oaB","type":"AppInstance","alternateId":"Acme","displayName":"Acme"}]}"#,
        )
        .unwrap();
        let t = task_of(&event, None, 1);
        let u = t.user.clone().unwrap();
        assert_eq!(
            (
                u.id.as_str(),
                u.login.as_str(),
                u.given_name.as_str(),
                u.family_name.as_str()
            ),
            ("00uA", "ana@example.com", "Ana", "de Souza")
        );
        assert_eq!(
            (t.app.label.as_str(), t.app.name.as_str()),
            ("Acme", "acme_scim")
        );
        assert_eq!(t.logged, ("FAILURE".to_string(), Some("r".to_string())));
        let profile: Map<String, Value> = serde_json::from_str(
            r#"{"firstName":"Ana Maria","lastName":"Souza","department":"Research"}"#,
        )
        .unwrap();
        let u = task_of(&event, Some(&profile), 1).user.unwrap();
        assert_eq!(
            (u.given_name.as_str(), u.family_name.as_str()),
            ("Ana Maria", "Souza")
        );
        assert_eq!(u.attribute("department"), Value::String("Research".into()));
        assert_eq!(u.login, "ana@example.com", "the login stays the event's");
    }

    #[test]
    fn exports_are_read_as_arrays_or_lines_and_refused_otherwise() {
        let one = r#"{"eventType":"application.provision.user.push","uuid":"u1","transaction":{"type":"JOB","id":"t1"},"outcome":{"result":"FAILURE"}}"#;
        assert_eq!(read_export(&format!("[{one}]")).unwrap().len(), 1);
        assert_eq!(read_export(&format!("{one}\n\n{one}\n")).unwrap().len(), 2);
        assert!(read_export("{").is_err());
        assert!(read_export("[{\"x\":1}]").is_err());
        let events = read_export(&format!("{one}\n")).unwrap();
        assert_eq!(select(&events, Some("t1"), None).unwrap().len(), 1);
        assert_eq!(select(&events, None, Some("u1")).unwrap().len(), 1);
        assert_eq!(select(&events, None, None).unwrap().len(), 1);
        assert!(matches!(
            select(&events, Some("nope"), None),
            Err(ReplayError::NotFound(_))
        ));
    }
}
