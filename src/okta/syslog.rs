//! Okta's System Log for the simulated operations (okta-scim-wire §8.5, §8.6): one event per
//! provisioning task and per sign-in, shaped as `/api/v1/logs` returns them, with the ids a
//! customer quotes (the event's `uuid`, the task's `transaction.id` of type JOB), its targets
//! (the Okta user `00u…`, the AppUser `0ua…`, the app instance `0oa…`, the Okta group `00g…`),
//! its outcome and, on a failure, the line Okta's admin console shows, built from the target's
//! real answer.
//!
//! Okta sends none of these ids to the app (only the Okta user id, as `externalId`); okta-sim
//! can (`--correlation-header`). The exact texts of the phases other than the two §8.6 quotes
//! ("verifying if user … exists", "creating …") are UNCONFIRMED, modelled on them.

use std::io::Write;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use super::ops::{Op, OpKind, Step};
use super::redact::Redactor;

/// The most events a run keeps in memory (the file has them all).
pub const MAX_KEPT_EVENTS: usize = 100_000;

/// The app instance the events name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInstance {
    /// `0oa` + 17 characters.
    pub id: String,
    /// The app's internal name (`debugContext.debugData.appname`).
    pub name: String,
    /// What the admin console calls it.
    pub label: String,
}

/// Who an event is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSubject {
    /// The Okta user id, login and display name.
    pub user: Option<(String, String, String)>,
    /// The AppUser id (`0ua…`), once the user is an app user.
    pub app_user: Option<String>,
    /// The Okta group id and name.
    pub group: Option<(String, String)>,
}

/// The ids of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventIds {
    /// The task's id, `transaction.id` (type JOB).
    pub transaction: String,
    /// The event's UUIDv1.
    pub uuid: String,
    /// When it was published (RFC 3339, milliseconds).
    pub published: String,
}

/// What an operation is logged as: its event type, display message and phase.
pub fn event_type(op: &Op) -> Option<(&'static str, &'static str)> {
    use OpKind::*;
    let posted = op.sent_anything("POST");
    Some(match op.kind {
        AssignUser if posted => (
            "application.provision.user.push",
            "Push new user to external application",
        ),
        AssignUser => (
            "application.provision.user.verify_exists",
            "Verify user exists in external application",
        ),
        PushProfile | ChangeUserName | Grant => (
            "application.provision.user.push_profile",
            "Push user profile to external application",
        ),
        DeactivateUser | UnassignUser => (
            "application.provision.user.deactivate",
            "Deactivate user in external application",
        ),
        ReactivateUser | ReassignUser => (
            "application.provision.user.reactivate",
            "Reactivate user in external application",
        ),
        SyncPassword => (
            "application.provision.user.push_password",
            "Push user password to external application",
        ),
        ImportUsers => (
            "application.provision.user.import",
            "Import users from external application",
        ),
        ImportGroups => (
            "application.provision.group_membership.import",
            "Import groups from external application",
        ),
        PushGroup | LinkGroup => (
            "application.provision.group_push.pushed",
            "Push group to external application",
        ),
        AddMembers | RemoveMembers | ChangeMembers | MoveMember | PushNow => (
            "application.provision.group_push.push_memberships",
            "Push group memberships to external application",
        ),
        RenameGroup => (
            "application.provision.group_push.updated",
            "Update pushed group in external application",
        ),
        UnlinkGroupDelete => (
            "application.provision.group_push.delete_appgroup",
            "Delete pushed group in external application",
        ),
        AssignGroupToApp | ChangeGroupAssignment => (
            "application.provision.group_membership.update",
            "Update group assignment profiles in external application",
        ),
        _ => return None,
    })
}

/// The phase an admin reads after "Error while" (§8.6), from the step that failed.
fn phase(kind: OpKind, step: Step, who: &str, group: &str) -> String {
    let lifecycle = match kind {
        OpKind::DeactivateUser | OpKind::UnassignUser => Some("deactivating"),
        OpKind::ReactivateUser | OpKind::ReassignUser => Some("activating"),
        OpKind::SyncPassword => Some("pushing the password of"),
        _ => None,
    };
    if let Some(verb) = lifecycle
        && !matches!(step, Step::UserNamePrecheck)
    {
        return format!("{verb} user {who}");
    }
    match step {
        Step::UserNamePrecheck => format!("verifying if user {who} exists"),
        Step::Create => {
            if group.is_empty() {
                format!("creating {who}")
            } else {
                format!("creating group {group}")
            }
        }
        Step::DisplayNameLookup => format!("looking up group {group}"),
        Step::Get | Step::LinkGet => {
            if group.is_empty() {
                format!("reading user {who}")
            } else {
                format!("reading group {group}")
            }
        }
        Step::Delete => format!("deleting group {group}"),
        _ if !group.is_empty() => format!("updating group {group}"),
        _ => format!("updating user {who}"),
    }
}

/// The first exchange that failed the operation: an error, or an answer of 400 and above.
fn failing(op: &Op) -> Option<(Step, &super::Exchange)> {
    op.by_step()
        .find(|(_, ex)| ex.error.is_some() || ex.status().is_some_and(|s| s >= 400))
}

/// The admin-console line of a failed operation (§8.6), from the target's answer; `None` when
/// the operation succeeded.
pub fn admin_message(op: &Op, subject: &EventSubject, app: &AppInstance) -> Option<String> {
    let (login, group) = (
        subject
            .user
            .as_ref()
            .map(|u| u.1.clone())
            .unwrap_or_default(),
        subject
            .group
            .as_ref()
            .map(|g| g.1.clone())
            .unwrap_or_default(),
    );
    let what = if group.is_empty() {
        format!(
            "Automatic provisioning of user {login} to app {}",
            app.label
        )
    } else {
        format!("Automatic push of group {group} to app {}", app.label)
    };
    if let Some((step, ex)) = failing(op) {
        let phase = phase(op.kind, step, &login, &group);
        let Some(r) = &ex.response else {
            return Some(format!(
                "{what} failed: Error while {phase}: {}",
                ex.error.as_deref().unwrap_or("no answer")
            ));
        };
        let reason = reqwest::StatusCode::from_u16(r.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let detail = serde_json::from_str::<Value>(&r.body)
            .ok()
            .and_then(|b| b.get("detail").and_then(Value::as_str).map(String::from));
        return Some(match detail {
            Some(d) => format!(
                "{what} failed: Error while {phase}: {reason}. Errors reported by remote server: {d}"
            ),
            None => format!("{what} failed: Error while {phase}: {reason}."),
        });
    }
    // A create answered 2xx without a user (§3.2).
    if let Some(ex) = op.first(Step::Create)
        && ex.status().is_some_and(|s| (200..300).contains(&s))
        && ex
            .json()
            .and_then(|b| b.get("id").cloned())
            .is_none_or(|id| id.as_str().is_none_or(str::is_empty))
    {
        return Some(if group.is_empty() {
            "Create new user returned empty user.".into()
        } else {
            "Create new group returned empty group.".into()
        });
    }
    op.error.as_ref().map(|e| format!("{what} failed: {}", e.0))
}

/// One event, shaped as `/api/v1/logs` returns it.
pub fn event(
    ids: &EventIds,
    (event_type, display): (&str, &str),
    subject: &EventSubject,
    app: &AppInstance,
    failure: Option<&str>,
    debug: Map<String, Value>,
) -> Value {
    let mut targets = Vec::new();
    if let Some((id, login, name)) = &subject.user {
        targets.push(json!({"id": id, "type": "User", "alternateId": login, "displayName": name, "detailEntry": null}));
    }
    if let Some(id) = &subject.app_user {
        let login = subject.user.as_ref().map(|u| u.1.clone());
        targets.push(json!({"id": id, "type": "AppUser", "alternateId": login, "displayName": login, "detailEntry": null}));
    }
    if let Some((id, name)) = &subject.group {
        targets.push(json!({"id": id, "type": "UserGroup", "alternateId": "unknown", "displayName": name, "detailEntry": null}));
    }
    targets.push(json!({"id": app.id, "type": "AppInstance", "alternateId": app.label, "displayName": app.label, "detailEntry": null}));
    let mut debug_data = Map::new();
    debug_data.insert("appname".into(), json!(app.name));
    debug_data.extend(debug);
    json!({
        "actor": {"id": "system@okta.com", "type": "SystemPrincipal", "alternateId": "system@okta.com", "displayName": "Okta System", "detailEntry": null},
        "client": null,
        "authenticationContext": {"authenticationProvider": null, "credentialProvider": null, "credentialType": null, "issuer": null, "interface": null, "authenticationStep": 0, "externalSessionId": format!("trs{}", &ids.transaction[3..])},
        "displayMessage": display,
        "eventType": event_type,
        "outcome": {"result": if failure.is_some() { "FAILURE" } else { "SUCCESS" }, "reason": failure},
        "published": ids.published,
        "securityContext": {"asNumber": null, "asOrg": null, "isp": null, "domain": null, "isProxy": null},
        "severity": if failure.is_some() { "WARN" } else { "INFO" },
        "debugContext": {"debugData": debug_data},
        "legacyEventType": null,
        "transaction": {"type": "JOB", "id": ids.transaction, "detail": {}},
        "uuid": ids.uuid,
        "version": "0",
        "request": {"ipChain": []},
        "target": targets,
    })
}

struct Inner {
    file: Option<std::io::BufWriter<std::fs::File>>,
    kept: Vec<Value>,
    error: Option<String>,
}

/// The events of a run: kept in memory (bounded) and written to `--events` as JSON lines, each
/// redacted like everything else okta-sim writes.
pub struct SystemLog {
    inner: Mutex<Inner>,
    redactor: Redactor,
}

impl SystemLog {
    /// A log kept in memory only.
    pub fn new(redactor: Redactor) -> Self {
        SystemLog {
            inner: Mutex::new(Inner {
                file: None,
                kept: Vec::new(),
                error: None,
            }),
            redactor,
        }
    }

    /// A log also written to `path`, one event per line.
    pub fn with_file(redactor: Redactor, path: &std::path::Path) -> Result<Self, String> {
        let f = std::fs::File::create(path)
            .map_err(|e| format!("cannot write the events to {}: {e}", path.display()))?;
        let log = SystemLog::new(redactor);
        log.lock().file = Some(std::io::BufWriter::new(f));
        Ok(log)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record an event.
    pub fn record(&self, event: Value) {
        let line = self.redactor.redact(&event.to_string()).into_owned();
        let event = serde_json::from_str(&line).unwrap_or(event);
        let mut inner = self.lock();
        if let Some(f) = inner.file.as_mut()
            && let Err(e) = writeln!(f, "{line}")
        {
            inner.error.get_or_insert(e.to_string());
            inner.file = None;
        }
        if inner.kept.len() < MAX_KEPT_EVENTS {
            inner.kept.push(event);
        }
    }

    /// The events recorded (up to [`MAX_KEPT_EVENTS`]).
    pub fn events(&self) -> Vec<Value> {
        self.lock().kept.clone()
    }

    /// Flush the file; the first write error, if any.
    pub fn finish(&self) -> Result<(), String> {
        let mut inner = self.lock();
        if let Some(f) = inner.file.as_mut()
            && let Err(e) = f.flush()
        {
            inner.error.get_or_insert(e.to_string());
        }
        match inner.error.clone() {
            Some(e) => Err(format!("writing the events failed: {e}")),
            None => Ok(()),
        }
    }
}

/// Who an operation was about, read from what it sent: the user whose login, Okta id or app id
/// its requests carry, or for a group operation the group whose name or app id they carry.
pub fn subject_of(session: &super::ops::Session, op: &Op) -> EventSubject {
    use OpKind::*;
    let texts: Vec<String> = op
        .by_step()
        .map(|(_, ex)| {
            let path = percent_encoding::percent_decode_str(&ex.request.path)
                .decode_utf8_lossy()
                .into_owned();
            format!("{path} {}", ex.request.body.as_deref().unwrap_or_default())
        })
        .collect();
    let carries = |needle: &str| !needle.is_empty() && texts.iter().any(|t| t.contains(needle));
    let about_group = matches!(
        op.kind,
        PushGroup
            | AddMembers
            | RemoveMembers
            | ChangeMembers
            | MoveMember
            | RenameGroup
            | PushNow
            | LinkGroup
            | UnlinkGroupDelete
    );
    let mut subject = EventSubject::default();
    if about_group {
        subject.group = session
            .groups
            .values()
            .find(|g| carries(&g.name) || g.app_id.as_deref().is_some_and(carries))
            .map(|g| (g.okta_id.clone(), g.name.clone()));
    } else if !matches!(op.kind, ImportUsers | ImportGroups)
        && let Some(u) = session.users.values().find(|u| {
            carries(&u.okta.id)
                || carries(&u.okta.login)
                || u.app_id.as_deref().is_some_and(carries)
        })
    {
        subject.user = Some((
            u.okta.id.clone(),
            u.okta.login.clone(),
            u.okta.display_name(),
        ));
        subject.app_user = Some(app_user_id(&u.okta.id));
    }
    subject
}

/// The AppUser id of an Okta user's app assignment (`0ua…`), the same for the same user.
pub fn app_user_id(okta_user_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in okta_user_id.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    super::ids::OktaIds::new(h).object_id("0ua")
}
