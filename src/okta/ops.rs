//! The operation sequences of Okta's provisioning engine, each a named method of [`Session`]
//! that sends exactly what Okta sends (okta-scim-wire §1–§7, §10) and decides what to do next
//! from the answers the way Okta does. They record every exchange under a typed [`Step`];
//! grading is done elsewhere (`conformance`), from those exchanges, looked up by step.
//!
//! An [`Op`] knows which steps its kind of operation makes ([`OpKind::steps`]) and which of
//! its exchanges were read by grading: [`Op::integrity`] reports an exchange nobody graded, or
//! a lookup of a step the operation never makes, so an operation and its grading cannot drift
//! apart silently.

use std::cell::Cell;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::grants::{EntitlementSettings, GrantKind, GrantType};

use super::appschema::{AppProfileValues, AppUserSchema, GroupAssignment};
use super::ids::{OktaIds, OktaUser};
use super::limits::OP_ANSWER_BUDGET;
use super::wire::{AppKind, Exchange, WireClient, WireRequest};
use crate::scim::list::{resources_of, total_results_of};
use crate::scim::schema::{GROUP_SCHEMA, PATCH_OP_SCHEMA, USER_SCHEMA};

/// Import pages are requested until this many pages, at most (a server that never ends paging).
pub const MAX_IMPORT_PAGES: usize = 1000;

/// What Okta does when a Group Push "Create" finds a group of that name (okta-scim-wire §7:
/// UNCONFIRMED, so a choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExistingGroupOnPush {
    /// Link to the existing group and push memberships to it.
    Link,
    /// Stop with an error, as "group already exists".
    Fail,
}

/// The PATCH body of an OIN password sync (okta-scim-wire §4: UNCONFIRMED, so a choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PasswordSyncBody {
    /// `{"op":"replace","value":{"password":"…"}}`, by analogy with deactivation (default).
    #[value(name = "pathless")]
    PathlessValue,
    /// `{"op":"replace","path":"password","value":"…"}`.
    #[value(name = "path")]
    WithPath,
}

/// How a changed app profile is pushed (okta-attributes-entitlements-oauth §1: the PATCH body
/// for "Support PATCH for User" is UNCONFIRMED, so a choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProfilePush {
    /// GET the user, then PUT the whole representation with the app profile written over it
    /// (what Okta is seen to send; okta-scim-wire §4).
    #[default]
    #[value(name = "put")]
    GetPut,
    /// One path-less `{"op":"replace","value":{…}}` PATCH with the whole app profile,
    /// extension objects keyed by URN (inferred from the deactivate PATCH).
    #[value(name = "patch")]
    Patch,
}

/// The settings of the simulated Okta app instance.
#[derive(Debug, Clone)]
pub struct OktaSettings {
    /// OIN (PATCH) or AIW (GET then PUT).
    pub app_kind: AppKind,
    /// Import Groups or Push Groups is on: Test API Credentials also probes `/Groups`.
    pub group_features: bool,
    /// "Rename app groups to match group name in Okta" (okta-scim-wire §6.4).
    pub rename_app_groups: bool,
    /// What a Group Push does when the group exists (UNCONFIRMED: a choice).
    pub existing_group_on_push: ExistingGroupOnPush,
    /// The body of an OIN password-sync PATCH (UNCONFIRMED: a choice).
    pub password_sync_body: PasswordSyncBody,
    /// The app user schema: attributes, namespaces, scopes and To-App mappings.
    pub app_schema: AppUserSchema,
    /// How a changed app profile is pushed (UNCONFIRMED: a choice).
    pub profile_push: ProfilePush,
    /// Whether a change of group assignment (a group assigned, its values or priority changed,
    /// a user leaving a group) pushes every member whose app profile changed at once
    /// (okta-attributes-entitlements-oauth §4: UNCONFIRMED, so a choice; on by default).
    pub push_on_assignment_change: bool,
    /// The OIN Wizard properties of grant resource types (defaults for the ones not listed).
    pub entitlements: Vec<EntitlementSettings>,
    /// The page size of entitlement discovery (the production query is UNCONFIRMED).
    pub grant_page_size: usize,
}

impl Default for OktaSettings {
    fn default() -> Self {
        OktaSettings {
            app_kind: AppKind::Oin,
            group_features: true,
            rename_app_groups: false,
            existing_group_on_push: ExistingGroupOnPush::Link,
            password_sync_body: PasswordSyncBody::PathlessValue,
            app_schema: AppUserSchema::default(),
            profile_push: ProfilePush::GetPut,
            push_on_assignment_change: true,
            entitlements: Vec::new(),
            grant_page_size: 100,
        }
    }
}

impl OktaSettings {
    /// Configure the app instance as an integration profile tells the admin to: the app kind,
    /// the group features and renaming, and the attributes added to Okta's template (the
    /// mapping expressions are checked here; an error names the attribute).
    pub fn configure(&mut self, p: &crate::integration::IntegrationProfile) -> Result<(), String> {
        use super::appschema::{
            AppAttribute, ArrayMode, Expr, PropertyType, Scope, namespace_named,
        };
        self.app_kind = match p.okta.app_kind.as_str() {
            "aiw" => AppKind::Aiw,
            _ => AppKind::Oin,
        };
        self.group_features = p.features.import_groups || p.features.push_groups;
        self.rename_app_groups = p.groups.rename_app_groups;
        for st in p.saml.attributes.iter().flatten() {
            if !st.value.is_empty() {
                Expr::parse(&st.value).map_err(|e| format!("SAML attribute {}: {e}", st.name))?;
            }
        }
        for a in &p.okta.attributes {
            let ty = PropertyType::parse(&a.ty)
                .ok_or_else(|| format!("{}: type {:?} is not an Okta type", a.variable, a.ty))?;
            let scope = match a.scope.as_str() {
                "personal" => Scope::Personal,
                "group" => Scope::Group,
                other => {
                    return Err(format!(
                        "{}: scope {other:?} is not personal or group",
                        a.variable
                    ));
                }
            };
            let array_mode = match a.arrays.as_str() {
                "priority" => ArrayMode::GroupPriority,
                "combine" => ArrayMode::Combine,
                other => {
                    return Err(format!(
                        "{}: arrays {other:?} is not priority or combine",
                        a.variable
                    ));
                }
            };
            let mapping = match a.mapping.trim() {
                "" => None,
                m => Some(Expr::parse(m).map_err(|e| format!("{}: {e}", a.variable))?),
            };
            self.app_schema.upsert(AppAttribute {
                variable: a.variable.clone(),
                ty,
                external_name: if a.external_name.is_empty() {
                    a.variable.clone()
                } else {
                    a.external_name.clone()
                },
                namespace: namespace_named(&a.namespace),
                scope,
                mapping,
                array_mode,
            });
        }
        Ok(())
    }
}

/// An Okta user and what Okta knows of its app user.
#[derive(Debug, Clone)]
pub struct AppUser {
    /// The Okta user.
    pub okta: OktaUser,
    /// The id the app returned (what Okta stores after assignment).
    pub app_id: Option<String>,
    /// Whether the user is assigned to the app directly (scope USER), and with which values.
    pub direct: Option<Map<String, Value>>,
    /// The app profile last pushed, to know when it changed.
    pub pushed: Option<AppProfileValues>,
    /// The user's grants: (resource type name, value id).
    pub grants: Vec<(String, String)>,
}

/// An Okta group and its pushed app group.
#[derive(Debug, Clone)]
pub struct AppGroup {
    /// The Okta group's name.
    pub name: String,
    /// The Okta group id, `00g` + 17 characters.
    pub okta_id: String,
    /// The id the app returned (what Okta stores after the push).
    pub app_id: Option<String>,
    /// Labels of the Okta users in the group.
    pub members: Vec<String>,
}

/// Why an operation stopped early, as Okta would report it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OpError(pub String);

/// One exchange of an operation, by what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// `GET /Users?startIndex=1&count=2` of Test API Credentials.
    UsersProbe,
    /// `GET /Groups?startIndex=1&count=100` of Test API Credentials.
    GroupsProbe,
    /// An import page.
    Page,
    /// The import's request for one page past the end.
    PastTheEnd,
    /// `GET /Users?filter=userName eq "…"` before an assignment.
    UserNamePrecheck,
    /// `GET /Groups?filter=displayName eq "…"` before a push or link.
    DisplayNameLookup,
    /// `GET /Users?filter=userName eq "…"` outside an assignment (Okta's tests).
    Filter,
    /// A POST that creates a user or group.
    Create,
    /// The GET of an existing user that an assignment links to.
    LinkGet,
    /// The PUT that writes Okta's profile onto a linked user.
    LinkPut,
    /// A GET of one resource.
    Get,
    /// A PUT of one resource.
    Put,
    /// A user PATCH (activation, password).
    Patch,
    /// The path-less group rename PATCH with `id` in `value`.
    RenamePatch,
    /// A group membership PATCH: removes with filter paths, then one add.
    MembershipPatch,
    /// Push Now: a replace of all members.
    ReplacePatch,
    /// `DELETE /Groups/{id}`.
    Delete,
    /// A step of Okta's SCIM 2.0 SPEC test (okta-scim-wire §10.1), by its number.
    Spec(u8),
    /// `GET /ResourceTypes`.
    ResourceTypes,
    /// `GET /Schemas`.
    Schemas,
    /// A page of a Role or Entitlement resource type.
    GrantPage,
    /// Okta's Entitlements test: `?count=1&startIndex=1`.
    EntitlementsTest,
}

impl Step {
    /// How transcripts name the step.
    pub fn label(self) -> String {
        match self {
            Step::UsersProbe => "users probe".into(),
            Step::GroupsProbe => "groups probe".into(),
            Step::Page => "page".into(),
            Step::PastTheEnd => "past the end".into(),
            Step::UserNamePrecheck => "userName pre-check".into(),
            Step::DisplayNameLookup => "displayName lookup".into(),
            Step::Filter => "filter".into(),
            Step::Create => "create".into(),
            Step::LinkGet => "link: GET".into(),
            Step::LinkPut => "link: PUT".into(),
            Step::Get => "GET".into(),
            Step::Put => "PUT".into(),
            Step::Patch => "PATCH".into(),
            Step::RenamePatch => "rename PATCH".into(),
            Step::MembershipPatch => "membership PATCH".into(),
            Step::ReplacePatch => "replace PATCH".into(),
            Step::Delete => "DELETE".into(),
            Step::Spec(n) => format!("step {n}"),
            Step::ResourceTypes => "resource types".into(),
            Step::Schemas => "schemas".into(),
            Step::GrantPage => "grant page".into(),
            Step::EntitlementsTest => "entitlements test".into(),
        }
    }
}

/// The operations of the simulated Okta, each with the steps it may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Test API Credentials (okta-scim-wire §1).
    TestCredentials,
    /// Test API Credentials with a wrong credential.
    TestCredentialsWrongToken,
    /// Import Users (§2).
    ImportUsers,
    /// Import Groups, or Refresh App Groups (§2).
    ImportGroups,
    /// Assign a user: pre-check, then create or link (§3).
    AssignUser,
    /// POST a user again without the pre-check (SPEC test step 14).
    CreateUserAgain,
    /// Push a profile change (§4).
    PushProfile,
    /// Deactivate a user (§5).
    DeactivateUser,
    /// Reactivate a user (§5).
    ReactivateUser,
    /// Unassign a user (§5.3).
    UnassignUser,
    /// Reassign a user (§5.3).
    ReassignUser,
    /// Sync a password (§4).
    SyncPassword,

    /// Look a user up by userName.
    FindUser,
    /// Push a group (§6.1, §7).
    PushGroup,
    /// Add members to a pushed group (§6.2).
    AddMembers,
    /// Remove members from a pushed group (§6.2).
    RemoveMembers,
    /// Rename a pushed group (§6.4).
    RenameGroup,
    /// Push Now: replace all members (§6.2).
    PushNow,
    /// Link Group (§7).
    LinkGroup,
    /// Unlink a group and delete the app group (§6.5).
    UnlinkGroupDelete,
    /// Unlink a group and leave the app group (§6.5).
    UnlinkGroupLeave,
    /// Suspend a user in Okta: nothing is sent (okta-scim-wire §5, quirk 21).
    SuspendUser,

    /// Assign a group to the app with values (okta-attributes-entitlements-oauth §4).
    AssignGroupToApp,
    /// A group assignment changed: priority, or a member left (§4).
    ChangeGroupAssignment,

    /// Import User Schema (okta-attributes-entitlements-oauth §1).
    ImportUserSchema,
    /// Discover Roles and Entitlements (okta-attributes-entitlements-oauth §2).
    DiscoverEntitlements,
    /// Okta's Entitlements test (§2).
    EntitlementsTest,
    /// Grant a role or entitlement (§2).
    Grant,

    /// Okta's SCIM 2.0 SPEC test (§10.1).
    SpecTest,
    /// One push that both removes and adds members: one PATCH, removes first (§6.2).
    ChangeMembers,
    /// A user moved from one pushed group to another in one push (§6.2).
    MoveMember,
    /// Push a changed username (the Okta login): GET then PUT (§4).
    ChangeUserName,
    /// Setup, not Okta: users the vendor created before Okta was connected.
    SetupUsers,
    /// Setup, not Okta: a group the vendor's admin made in the app.
    SetupGroup,
    /// Setup, not Okta: the vendor deleted a user in the app (Okta still knows its id).
    SetupDeleteUser,
    /// Read-back, not Okta: a user read to see what the app stored.
    ReadBackUser,
    /// Read-back, not Okta: a user looked up by userName to see what the app stored.
    ReadBackUserByName,
    /// Read-back, not Okta: a group read to see what the app stored.
    ReadBackGroup,
    /// Setup, not Okta: the vendor changed a user in the app itself.
    SetupUserChange,
}

impl OpKind {
    /// How messages and transcripts name the operation.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::TestCredentials => "test API credentials",
            OpKind::TestCredentialsWrongToken => "test API credentials with a wrong token",
            OpKind::ImportUsers => "import users",
            OpKind::ImportGroups => "import groups",
            OpKind::AssignUser => "assign user",
            OpKind::CreateUserAgain => "create user again",
            OpKind::PushProfile => "push profile",
            OpKind::DeactivateUser => "deactivate user",
            OpKind::ReactivateUser => "reactivate user",
            OpKind::UnassignUser => "unassign user",
            OpKind::ReassignUser => "reassign user",
            OpKind::SyncPassword => "sync password",

            OpKind::FindUser => "find user",
            OpKind::PushGroup => "push group",
            OpKind::AddMembers => "push memberships: add",
            OpKind::RemoveMembers => "push memberships: remove",
            OpKind::RenameGroup => "rename group",
            OpKind::PushNow => "push now",
            OpKind::LinkGroup => "link group",
            OpKind::UnlinkGroupDelete => "unlink group (delete)",
            OpKind::UnlinkGroupLeave => "unlink group (leave)",
            OpKind::SuspendUser => "suspend user",

            OpKind::AssignGroupToApp => "assign group to app",
            OpKind::ChangeGroupAssignment => "change group assignment",
            OpKind::ImportUserSchema => "import user schema",
            OpKind::DiscoverEntitlements => "discover entitlements",
            OpKind::EntitlementsTest => "Okta SCIM 2.0 Entitlements test",
            OpKind::Grant => "grant role or entitlement",
            OpKind::SpecTest => "Okta SCIM 2.0 SPEC test",
            OpKind::ChangeMembers => "push memberships: remove and add",
            OpKind::MoveMember => "push memberships: move a user between groups",
            OpKind::ChangeUserName => "push profile: new username",
            OpKind::SetupUsers => "setup: users the app already has",
            OpKind::SetupGroup => "setup: a group the app already has",
            OpKind::SetupDeleteUser => "setup: a user the app deleted",
            OpKind::ReadBackUser => "read-back: user",
            OpKind::ReadBackUserByName => "read-back: user by userName",
            OpKind::ReadBackGroup => "read-back: group",
            OpKind::SetupUserChange => "setup: the app changed a user itself",
        }
    }

    /// Whether the operation is okta-sim's own (setup, read-back) rather than Okta's: its
    /// requests go out with okta-sim's User-Agent.
    pub fn is_harness(self) -> bool {
        matches!(
            self,
            OpKind::SetupUsers
                | OpKind::SetupGroup
                | OpKind::SetupDeleteUser
                | OpKind::ReadBackUser
                | OpKind::ReadBackUserByName
                | OpKind::ReadBackGroup
                | OpKind::SetupUserChange
        )
    }

    /// Every step this operation may make: grading may look up only these.
    pub fn steps(self) -> &'static [Step] {
        use Step::*;
        const GROUP_UPDATE: &[Step] = &[RenamePatch, MembershipPatch, Get, Put];
        match self {
            OpKind::TestCredentials => &[UsersProbe, GroupsProbe],
            OpKind::TestCredentialsWrongToken => &[UsersProbe],
            OpKind::ImportUsers | OpKind::ImportGroups => &[Page, PastTheEnd],
            OpKind::AssignUser => &[UserNamePrecheck, Create, LinkGet, LinkPut],
            OpKind::CreateUserAgain | OpKind::SetupUsers | OpKind::SetupGroup => &[Create],
            OpKind::PushProfile => &[Get, Put, Patch],
            OpKind::ChangeUserName => &[Get, Put],
            OpKind::AssignGroupToApp => {
                &[UserNamePrecheck, Create, LinkGet, LinkPut, Get, Put, Patch]
            }
            OpKind::ChangeGroupAssignment | OpKind::Grant => &[Get, Put, Patch],
            OpKind::ImportUserSchema => &[ResourceTypes, Schemas],
            OpKind::DiscoverEntitlements => &[ResourceTypes, Schemas, GrantPage],
            OpKind::EntitlementsTest => &[EntitlementsTest],
            OpKind::ReadBackUser | OpKind::ReadBackGroup => &[Get],
            OpKind::ReadBackUserByName => &[Filter],
            OpKind::SetupDeleteUser => &[Delete],
            OpKind::SetupUserChange => &[Patch],
            OpKind::DeactivateUser
            | OpKind::ReactivateUser
            | OpKind::UnassignUser
            | OpKind::ReassignUser
            | OpKind::SyncPassword => &[Patch, Get, Put],
            OpKind::FindUser => &[Filter],
            OpKind::PushGroup => &[
                DisplayNameLookup,
                Create,
                RenamePatch,
                MembershipPatch,
                Get,
                Put,
            ],
            OpKind::AddMembers
            | OpKind::RemoveMembers
            | OpKind::RenameGroup
            | OpKind::ChangeMembers
            | OpKind::MoveMember => GROUP_UPDATE,
            OpKind::PushNow => &[ReplacePatch, Get, Put],
            OpKind::LinkGroup => &[DisplayNameLookup, RenamePatch, MembershipPatch, Get, Put],
            OpKind::UnlinkGroupDelete => &[Delete],
            OpKind::UnlinkGroupLeave | OpKind::SuspendUser => &[],
            OpKind::SpecTest => &[
                Spec(0),
                Spec(2),
                Spec(4),
                Spec(6),
                Spec(8),
                Spec(10),
                Spec(12),
                Spec(14),
                Spec(16),
                Spec(18),
                Spec(20),
                Spec(22),
            ],
        }
    }
}

/// An operation and its grading disagree: a defect of okta-sim, never of the target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    /// Grading looked for a step the operation never makes.
    /// Grading looked for a step the operation never makes.
    #[error("grading looked for a {step:?} exchange, which \"{}\" never makes", op.name())]
    StepNeverMade {
        /// The operation.
        op: OpKind,
        /// The step looked for.
        step: Step,
    },
    /// The operation made exchanges no check read.
    /// The operation made exchanges no check read.
    #[error("\"{}\" made exchanges no check graded: {}", op.name(), exchanges.join(", "))]
    Ungraded {
        /// The operation.
        op: OpKind,
        /// The exchanges, described.
        exchanges: Vec<String>,
    },
}

/// One operation's exchanges, in order, each under its step.
#[derive(Debug, Clone)]
pub struct Op {
    /// What operation it is.
    pub kind: OpKind,
    exchanges: Vec<(Step, Exchange)>,
    /// Which exchanges grading has read.
    graded: Vec<Cell<bool>>,
    /// A lookup of a step this kind of operation never makes (a grading defect).
    misread: Cell<Option<Step>>,
    /// Set when Okta would have stopped (and marked the task failed).
    pub error: Option<OpError>,
    /// The answer bytes held.
    retained: usize,
}

impl Op {
    /// An operation that has sent nothing yet.
    pub fn new(kind: OpKind) -> Self {
        Op {
            kind,
            exchanges: Vec::new(),
            graded: Vec::new(),
            misread: Cell::new(None),
            error: None,
            retained: 0,
        }
    }

    /// How the operation is named in messages.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// Every exchange with its step, in order (not marked graded).
    pub fn by_step(&self) -> impl Iterator<Item = (Step, &Exchange)> + '_ {
        self.exchanges.iter().map(|(s, e)| (*s, e))
    }

    /// Keep an exchange for grading, within [`OP_ANSWER_BUDGET`]: past it, the answer is kept
    /// as an excerpt and the exchange says why.
    fn push(&mut self, step: Step, mut ex: Exchange) {
        if let Some(r) = ex.response.as_mut() {
            if self.retained + r.body.len() > OP_ANSWER_BUDGET {
                let total = r.body.len();
                r.body = crate::okta::log::excerpt(&r.body, 1024, &Default::default());
                ex.error = Some(format!(
                    "okta-sim holds at most {} MiB of answers per operation: this one ({total} bytes) is kept as an excerpt",
                    OP_ANSWER_BUDGET >> 20
                ));
            }
            self.retained += r.body.len();
        }
        self.exchanges.push((step, ex));
        self.graded.push(Cell::new(false));
    }

    pub(crate) fn fail(&mut self, msg: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(OpError(msg.into()));
        }
    }

    fn note_lookup(&self, step: Step) {
        if !self.kind.steps().contains(&step) && self.misread.get().is_none() {
            self.misread.set(Some(step));
        }
    }

    /// The exchanges of this step, marked as graded.
    pub fn all(&self, step: Step) -> impl Iterator<Item = &Exchange> + '_ {
        self.note_lookup(step);
        self.exchanges
            .iter()
            .zip(&self.graded)
            .filter(move |((s, _), _)| *s == step)
            .map(|((_, e), g)| {
                g.set(true);
                e
            })
    }

    /// The first exchange of this step, marked as graded.
    pub fn first(&self, step: Step) -> Option<&Exchange> {
        self.all(step).next()
    }

    /// Every exchange, in order, without marking any as graded.
    pub fn exchanges(&self) -> impl Iterator<Item = &Exchange> + '_ {
        self.exchanges.iter().map(|(_, e)| e)
    }

    /// How many requests the operation sent.
    pub fn len(&self) -> usize {
        self.exchanges.len()
    }

    /// Whether the operation sent nothing.
    pub fn is_empty(&self) -> bool {
        self.exchanges.is_empty()
    }

    /// The last exchange, for checks about the operation as a whole.
    pub fn last(&self) -> Option<&Exchange> {
        self.exchanges.last().map(|(_, e)| e)
    }

    /// Whether any request of this method was sent.
    pub fn sent_anything(&self, method: &str) -> bool {
        self.exchanges
            .iter()
            .any(|(_, e)| e.request.method == method)
    }

    /// Whether grading read every exchange and looked up only steps this operation makes.
    pub fn integrity(&self) -> Result<(), IntegrityError> {
        if let Some(step) = self.misread.get() {
            return Err(IntegrityError::StepNeverMade {
                op: self.kind,
                step,
            });
        }
        let ungraded: Vec<String> = self
            .exchanges
            .iter()
            .zip(&self.graded)
            .filter(|(_, g)| !g.get())
            .map(|((s, e), _)| format!("{:?} ({} {})", s, e.request.method, e.request.path))
            .collect();
        if ungraded.is_empty() {
            Ok(())
        } else {
            Err(IntegrityError::Ungraded {
                op: self.kind,
                exchanges: ungraded,
            })
        }
    }
}

/// The id of the first resource a lookup found: `Ok(None)` for none (an empty list, or a 404,
/// which Okta tolerates as "not found": okta-scim-wire §3.1, quirk 18), `Err` for any other answer.
fn first_found(ex: &Exchange) -> Result<Option<String>, ()> {
    match (ex.status(), ex.json()) {
        (Some(200), Some(body)) => Ok(resources_of(&body)
            .and_then(|r| r.first())
            .and_then(|x| x.get("id"))
            .and_then(Value::as_str)
            .map(String::from)),
        (Some(404), _) => Ok(None),
        _ => Err(()),
    }
}

/// The simulated Okta org for one scenario: its app settings, its users and groups.
pub struct Session {
    /// The HTTP client that speaks as Okta.
    pub wire: WireClient,
    /// The same client for okta-sim's own requests (setup, read-back).
    harness: WireClient,
    /// The app instance's settings.
    pub settings: OktaSettings,
    /// The generator of Okta-side values.
    pub ids: OktaIds,
    /// The Okta users, by label.
    pub users: IndexMap<String, AppUser>,
    /// The Okta groups, by label.
    pub groups: IndexMap<String, AppGroup>,
    /// The groups assigned to the app, with their priority and values (§4).
    pub group_assignments: Vec<GroupAssignment>,
    /// The Role and Entitlement types Okta discovered, with their values.
    pub grant_types: Vec<GrantType>,
}

impl Session {
    /// An org with no users or groups yet.
    pub fn new(wire: WireClient, settings: OktaSettings, ids: OktaIds) -> Self {
        Session {
            harness: wire.as_harness(),
            wire,
            settings,
            ids,
            users: IndexMap::new(),
            groups: IndexMap::new(),
            group_assignments: Vec::new(),
            grant_types: Vec::new(),
        }
    }

    /// The group assignments that apply to a user: those of the groups it is in.
    fn assignments_of(&self, label: &str) -> Vec<&GroupAssignment> {
        self.group_assignments
            .iter()
            .filter(|a| {
                self.groups
                    .get(&a.group)
                    .is_some_and(|g| g.members.iter().any(|m| m == label))
            })
            .collect()
    }

    /// A user's app profile, resolved as Okta does (okta-attributes-entitlements-oauth §4).
    pub fn app_profile(&self, label: &str) -> AppProfileValues {
        let Some(u) = self.users.get(label) else {
            return AppProfileValues::new();
        };
        self.settings
            .app_schema
            .resolve(&u.okta, u.direct.as_ref(), &self.assignments_of(label))
    }

    /// Whether the user is assigned to the app, directly or through a group.
    pub fn is_assigned(&self, label: &str) -> bool {
        self.users.get(label).is_some_and(|u| u.direct.is_some())
            || !self.assignments_of(label).is_empty()
    }

    async fn send_with(&self, wire: &WireClient, op: &mut Op, step: Step, req: WireRequest) {
        let label = format!("{}: {}", op.name(), step.label());
        let ex = wire.send(&label, req).await;
        op.push(step, ex);
    }

    /// The client an operation speaks with: Okta's, or okta-sim's own for setup and read-back.
    fn client(&self, op: &Op) -> &WireClient {
        if op.kind.is_harness() {
            &self.harness
        } else {
            &self.wire
        }
    }

    pub(crate) async fn send(&self, op: &mut Op, step: Step, req: WireRequest) -> Exchange {
        self.send_with(self.client(op), op, step, req).await;
        op.exchanges
            .last()
            .map(|(_, e)| e.clone())
            .expect("just pushed")
    }

    pub(crate) async fn get(
        &self,
        op: &mut Op,
        step: Step,
        path: &str,
        query: &[(&str, &str)],
    ) -> Exchange {
        let req = self.client(op).request("GET", path, query, None);
        self.send(op, step, req).await
    }

    /// `GET {endpoint}?filter={attr} eq "{value}"&startIndex=1&count=100`, as Okta looks up.
    async fn lookup(
        &self,
        op: &mut Op,
        step: Step,
        endpoint: &str,
        attr: &str,
        value: &str,
    ) -> Exchange {
        let filter = format!("{attr} eq \"{value}\"");
        self.get(
            op,
            step,
            endpoint,
            &[("filter", &filter), ("startIndex", "1"), ("count", "100")],
        )
        .await
    }

    /// `PATCH /Users/{id}` with one operation.
    pub(crate) async fn patch_user(&self, op: &mut Op, id: &str, operation: Value) -> Exchange {
        let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]});
        self.with_body(op, Step::Patch, "PATCH", &format!("/Users/{id}"), &body)
            .await
    }

    pub(crate) async fn with_body(
        &self,
        op: &mut Op,
        step: Step,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Exchange {
        let req = self.client(op).request(method, path, &[], Some(body));
        self.send(op, step, req).await
    }

    /// An Okta user for a label, generated on first use.
    pub fn user(&mut self, label: &str) -> &mut AppUser {
        if !self.users.contains_key(label) {
            let okta = self.ids.user();
            self.users.insert(
                label.to_string(),
                AppUser {
                    okta,
                    app_id: None,
                    direct: None,
                    pushed: None,
                    grants: Vec::new(),
                },
            );
        }
        self.users.get_mut(label).expect("just inserted")
    }

    /// The app id Okta knows for a user, once assigned.
    pub fn app_id(&self, label: &str) -> Option<String> {
        self.users.get(label).and_then(|u| u.app_id.clone())
    }

    /// An Okta group for a label, generated on first use.
    pub fn group(&mut self, label: &str) -> &mut AppGroup {
        if !self.groups.contains_key(label) {
            let name = self.ids.group_name();
            let okta_id = self.ids.group_id();
            self.groups.insert(
                label.to_string(),
                AppGroup {
                    name,
                    okta_id,
                    app_id: None,
                    members: Vec::new(),
                },
            );
        }
        self.groups.get_mut(label).expect("just inserted")
    }

    // ---- §1 Test API Credentials -------------------------------------------------------------

    /// `GET /Users?startIndex=1&count=2`, then `GET /Groups?startIndex=1&count=100` when group
    /// features are on.
    pub async fn test_credentials(&self) -> Op {
        let mut op = Op::new(OpKind::TestCredentials);
        self.get(
            &mut op,
            Step::UsersProbe,
            "/Users",
            &[("startIndex", "1"), ("count", "2")],
        )
        .await;
        if self.settings.group_features {
            self.get(
                &mut op,
                Step::GroupsProbe,
                "/Groups",
                &[("startIndex", "1"), ("count", "100")],
            )
            .await;
        }
        op
    }

    /// The same Users probe with a wrong credential.
    pub async fn test_credentials_with_wrong_token(&self) -> Op {
        let mut op = Op::new(OpKind::TestCredentialsWrongToken);
        let wrong = self.wire.with_auth(self.wire.auth.wrong());
        let req = wrong.request(
            "GET",
            "/Users",
            &[("startIndex", "1"), ("count", "2")],
            None,
        );
        self.send_with(&wrong, &mut op, Step::UsersProbe, req).await;
        op
    }

    // ---- §2 Import ---------------------------------------------------------------------------

    /// Page through `/Users` or `/Groups` by 100 until `startIndex` passes `totalResults`, then
    /// ask for one page past the end, as Okta's OIN QA does. Returns the op and every resource.
    pub async fn import(&self, kind: OpKind) -> (Op, Vec<Value>) {
        let endpoint = match kind {
            OpKind::ImportGroups => "/Groups",
            _ => "/Users",
        };
        let mut op = Op::new(kind);
        let mut all = Vec::new();
        let mut start: u64 = 1;
        let mut total: Option<u64> = None;
        for _ in 0..MAX_IMPORT_PAGES {
            let s = start.to_string();
            let ex = self
                .get(
                    &mut op,
                    Step::Page,
                    endpoint,
                    &[("startIndex", &s), ("count", "100")],
                )
                .await;
            let Some(body) = ex.json().filter(|_| ex.status() == Some(200)) else {
                op.fail(format!(
                    "import stopped: page at startIndex={start} answered {}",
                    ex.got()
                ));
                return (op, all);
            };
            let Some(items) = resources_of(&body) else {
                op.fail(format!(
                    "import stopped: page at startIndex={start} has no Resources"
                ));
                return (op, all);
            };
            let t = total_results_of(&body);
            total = t.or(total);
            all.extend(items.iter().cloned());
            start += 100;
            match total {
                Some(t) if start > t => break,
                None if items.is_empty() => break,
                _ if items.is_empty() => break,
                _ => {}
            }
        }
        let s = start.to_string();
        self.get(
            &mut op,
            Step::PastTheEnd,
            endpoint,
            &[("startIndex", &s), ("count", "100")],
        )
        .await;
        (op, all)
    }

    // ---- §3 Assign ---------------------------------------------------------------------------

    /// Okta's POST /Users body for an app on Okta's SCIM 2.0 template, in Okta's key order
    /// (okta-scim-wire §3.2, §8.2).
    pub fn create_body(user: &OktaUser) -> Value {
        let schema = AppUserSchema::default();
        Self::create_body_with(&schema, user, &schema.resolve(user, None, &[]))
    }

    /// Okta's POST /Users body with an app user schema and a resolved app profile: `schemas`,
    /// `userName`, the core-namespace attributes, `externalId`, `groups`, `password`, `active`,
    /// then each extension object under its URN (okta-attributes-entitlements-oauth §1).
    pub fn create_body_with(
        schema: &AppUserSchema,
        user: &OktaUser,
        values: &AppProfileValues,
    ) -> Value {
        let (top, exts) = schema.place(values);
        let mut body = Map::new();
        body.insert("schemas".into(), json!([USER_SCHEMA]));
        body.insert("userName".into(), json!(user.login));
        body.extend(top);
        body.insert("externalId".into(), json!(user.id));
        body.insert("groups".into(), json!([]));
        body.insert("password".into(), json!(user.password));
        body.insert("active".into(), json!(true));
        body.extend(exts);
        if schema.list_extension_schemas {
            super::appschema::list_schemas(&mut body);
        }
        Value::Object(body)
    }

    /// The POST body for an assigned user, with its resolved app profile.
    fn create_body_for(&self, label: &str) -> Value {
        let user = &self.users[label].okta;
        let mut body =
            Self::create_body_with(&self.settings.app_schema, user, &self.app_profile(label));
        let (roles, entitlements) = self.grant_values(label);
        if let Some(o) = body.as_object_mut() {
            for (k, v) in [("roles", roles), ("entitlements", entitlements)] {
                if !v.is_empty() {
                    o.insert(k.into(), Value::Array(v));
                }
            }
        }
        body
    }

    /// Assign a user to the app: userName pre-check, then POST, or link an existing user with
    /// GET + PUT (okta-scim-wire §3).
    pub async fn assign_user(&mut self, label: &str) -> Op {
        self.user(label);
        if self.users[label].direct.is_none() {
            self.users[label].direct = Some(Map::new());
        }
        let mut op = Op::new(OpKind::AssignUser);
        self.assign_into(&mut op, label).await;
        op
    }

    /// Assign a user directly with values for its app profile (scope USER, §4).
    pub async fn assign_user_with(&mut self, label: &str, values: Map<String, Value>) -> Op {
        self.user(label);
        self.users[label].direct = Some(values);
        let mut op = Op::new(OpKind::AssignUser);
        self.assign_into(&mut op, label).await;
        op
    }

    /// The pre-check and the POST, or the link, of one assignment, into `op`.
    async fn assign_into(&mut self, op: &mut Op, label: &str) {
        let user = self.user(label).okta.clone();
        if let Some(t) = self.missing_required_grant(label) {
            op.fail(format!(
                "{} cannot be assigned without a {t}: the app requires one (Required)",
                user.login
            ));
            return;
        }
        let pre = self
            .lookup(
                op,
                Step::UserNamePrecheck,
                "/Users",
                "userName",
                &user.login,
            )
            .await;
        let Ok(found) = first_found(&pre) else {
            op.fail(format!(
                "Error while verifying if user {} exists: {}",
                user.login,
                pre.got()
            ));
            return;
        };
        match found {
            Some(id) => {
                self.users[label].app_id = Some(id.clone());
                self.push_profile_to(op, label, &id, Step::LinkGet, Step::LinkPut, |_| {})
                    .await;
                self.users[label].pushed = Some(self.app_profile(label));
            }
            None => {
                let ex = self
                    .with_body(
                        op,
                        Step::Create,
                        "POST",
                        "/Users",
                        &self.create_body_for(label),
                    )
                    .await;
                self.users[label].pushed = Some(self.app_profile(label));
                match (ex.status(), ex.json()) {
                    (Some(201), Some(body)) => match body
                        .get("id")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                    {
                        Some(id) => self.users[label].app_id = Some(id.to_string()),
                        None => op.fail("Create new user returned empty user."),
                    },
                    (Some(201), None) => op.fail("Create new user returned empty user."),
                    _ => op.fail(format!(
                        "Error while creating user {}: {}",
                        user.login,
                        ex.got()
                    )),
                }
            }
        }
    }

    /// POST the user without the pre-check (the duplicate check of Okta's SPEC test, step 14).
    pub async fn create_user_without_precheck(&mut self, label: &str) -> Op {
        let user = self.user(label).okta.clone();
        let mut op = Op::new(OpKind::CreateUserAgain);
        self.with_body(
            &mut op,
            Step::Create,
            "POST",
            "/Users",
            &Self::create_body(&user),
        )
        .await;
        op
    }

    /// Overwrite the attributes Okta maps onto the app's own representation (okta-scim-wire §4,
    /// quirk 9), for an app on Okta's template: everything Okta does not own is echoed back
    /// unchanged.
    pub fn merge_profile(server: &Value, user: &OktaUser) -> Value {
        let schema = AppUserSchema::default();
        Self::merge_profile_with(&schema, server, user, &schema.resolve(user, None, &[]))
    }

    /// [`Session::merge_profile`] with an app user schema and a resolved app profile: the
    /// whole app profile is written ("Okta does not support partial profile push",
    /// okta-attributes-entitlements-oauth §1).
    pub fn merge_profile_with(
        schema: &AppUserSchema,
        server: &Value,
        user: &OktaUser,
        values: &AppProfileValues,
    ) -> Value {
        let mut out = server.as_object().cloned().unwrap_or_default();
        out.insert("userName".into(), json!(user.login));
        schema.overwrite(&mut out, values);
        out.insert("externalId".into(), json!(user.id));
        Value::Object(out)
    }

    pub(crate) async fn push_profile_to(
        &self,
        op: &mut Op,
        label: &str,
        id: &str,
        get_step: Step,
        put_step: Step,
        edit: impl FnOnce(&mut Map<String, Value>),
    ) -> Option<Exchange> {
        let user = self.users[label].okta.clone();
        let path = format!("/Users/{id}");
        let got = self.get(op, get_step, &path, &[]).await;
        let Some(body) = got.json().filter(|_| got.status() == Some(200)) else {
            op.fail(format!(
                "Error while reading user {}: {}",
                user.login,
                got.got()
            ));
            return None;
        };
        let values = self.app_profile(label);
        let mut merged = Self::merge_profile_with(&self.settings.app_schema, &body, &user, &values);
        if let Some(m) = merged.as_object_mut() {
            edit(m);
        }
        Some(self.with_body(op, put_step, "PUT", &path, &merged).await)
    }

    /// Push a profile change (a new given name) with GET then PUT (okta-scim-wire §4).
    pub async fn push_profile(&mut self, label: &str) -> Op {
        let mut op = Op::new(OpKind::PushProfile);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        let u = &mut self.users[label].okta;
        u.given_name = format!("{}update", u.given_name);
        self.push_app_profile(&mut op, label, &id).await;
        op
    }

    /// Push a change of one Okta profile attribute (`department`, a custom one…): the whole
    /// app profile goes out, not the one attribute (okta-attributes-entitlements-oauth §1).
    pub async fn push_attribute(&mut self, label: &str, attribute: &str, value: Value) -> Op {
        let mut op = Op::new(OpKind::PushProfile);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        self.users[label]
            .okta
            .profile
            .insert(attribute.to_string(), value);
        self.push_app_profile(&mut op, label, &id).await;
        op
    }

    /// A user's grants as Okta sends them: `roles` `[{value, display}]` and `entitlements`
    /// `[{value, display, type}]` (whether Okta sends `display` and `type` is UNCONFIRMED; the
    /// shape follows D1's user example).
    pub fn grant_values(&self, label: &str) -> (Vec<Value>, Vec<Value>) {
        let mut roles = Vec::new();
        let mut entitlements = Vec::new();
        let Some(u) = self.users.get(label) else {
            return (roles, entitlements);
        };
        for (type_name, value_id) in &u.grants {
            let Some(t) = self.grant_types.iter().find(|t| &t.name == type_name) else {
                continue;
            };
            let display = t
                .values
                .iter()
                .find(|v| &v.id == value_id)
                .map(|v| v.display.clone())
                .unwrap_or_default();
            match t.kind {
                GrantKind::Role => roles.push(json!({"value": value_id, "display": display})),
                GrantKind::Entitlement => entitlements
                    .push(json!({"value": value_id, "display": display, "type": type_name})),
            }
        }
        (roles, entitlements)
    }

    /// Whether a user may be assigned: every required grant type has a grant (§2, "Required":
    /// Okta refuses the assignment in its admin UI, so nothing is sent).
    pub fn missing_required_grant(&self, label: &str) -> Option<String> {
        let u = self.users.get(label)?;
        self.settings
            .entitlements
            .iter()
            .filter(|e| e.required)
            .find(|e| !u.grants.iter().any(|(t, _)| t == &e.resource_type))
            .map(|e| e.resource_type.clone())
    }

    /// The vendor changes a user in its app (not Okta): `PATCH` replace of one path.
    pub async fn app_changes_user(&mut self, label: &str, path: &str, value: Value) -> Op {
        let mut op = Op::new(OpKind::SetupUserChange);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        let operation = json!({"op": "replace", "path": path, "value": value});
        self.patch_user(&mut op, &id, operation).await;
        op
    }

    /// Push the user's current app profile as a profile update (after a change of mappings).
    pub async fn push_current_profile(&mut self, label: &str) -> Op {
        let mut op = Op::new(OpKind::PushProfile);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        self.push_app_profile(&mut op, label, &id).await;
        op
    }

    /// Push the user's whole app profile: GET + PUT, or one path-less PATCH (settings).
    async fn push_app_profile(&mut self, op: &mut Op, label: &str, id: &str) {
        let values = self.app_profile(label);
        match self.settings.profile_push {
            ProfilePush::GetPut => {
                self.push_profile_to(op, label, id, Step::Get, Step::Put, |_| {})
                    .await;
            }
            ProfilePush::Patch => {
                let user = &self.users[label].okta;
                let (top, exts) = self.settings.app_schema.place(&values);
                let mut value = Map::new();
                value.insert("userName".into(), json!(user.login));
                value.extend(top);
                value.extend(exts);
                self.patch_user(op, id, json!({"op": "replace", "value": value}))
                    .await;
            }
        }
        self.users[label].pushed = Some(values);
    }

    // ---- Group assignments (okta-attributes-entitlements-oauth §4) ------------------------------

    /// Assign a group to the app with a priority (0 is the top, at most 100) and values for
    /// group-assignable attributes. Members not yet assigned are assigned (pre-check, POST or
    /// link); assigned members whose app profile changed are pushed, when the settings say so.
    pub async fn assign_group_to_app(
        &mut self,
        group: &str,
        priority: u8,
        profile: Map<String, Value>,
    ) -> Op {
        let mut op = Op::new(OpKind::AssignGroupToApp);
        if priority > super::appschema::MAX_PRIORITY {
            op.fail(format!("priority {priority} is not in 0–100"));
            return op;
        }
        self.group(group);
        let members = self.groups[group].members.clone();
        for m in &members {
            self.user(m);
        }
        self.group_assignments.retain(|a| a.group != group);
        self.group_assignments.push(GroupAssignment {
            group: group.to_string(),
            priority,
            profile,
        });
        self.make_room(group, priority);
        for m in &members {
            if self.app_id(m).is_none() {
                self.assign_into(&mut op, m).await;
            }
        }
        self.push_changed(&mut op, &members).await;
        op
    }

    /// Give an assigned group a new priority (drag it in the list); members whose app profile
    /// changed are pushed, when the settings say so.
    pub async fn set_group_priority(&mut self, group: &str, priority: u8) -> Op {
        let mut op = Op::new(OpKind::ChangeGroupAssignment);
        if priority > super::appschema::MAX_PRIORITY {
            op.fail(format!("priority {priority} is not in 0–100"));
            return op;
        }
        let Some(a) = self.group_assignments.iter_mut().find(|a| a.group == group) else {
            op.fail(format!("group {group} is not assigned to the app"));
            return op;
        };
        a.priority = priority;
        self.make_room(group, priority);
        // Every member of every assigned group may see another top group now.
        let mut members: Vec<String> = Vec::new();
        for a in &self.group_assignments {
            for m in self
                .groups
                .get(&a.group)
                .map(|g| g.members.clone())
                .unwrap_or_default()
            {
                if !members.contains(&m) {
                    members.push(m);
                }
            }
        }
        self.push_changed(&mut op, &members).await;
        op
    }

    /// Priorities are places in one list (the admin drags a group): a group put at a taken
    /// place moves the groups from there down by one.
    fn make_room(&mut self, group: &str, priority: u8) {
        let taken = self
            .group_assignments
            .iter()
            .any(|a| a.group != group && a.priority == priority);
        if taken {
            for a in self.group_assignments.iter_mut() {
                if a.group != group && a.priority >= priority {
                    a.priority = a
                        .priority
                        .saturating_add(1)
                        .min(super::appschema::MAX_PRIORITY);
                }
            }
        }
    }

    /// A user leaves an Okta group: when it was its only way to the app, the user is
    /// unassigned (deactivated, okta-scim-wire §5.3); otherwise its app profile is resolved
    /// again and pushed when it changed.
    pub async fn leave_group(&mut self, user: &str, group: &str) -> Op {
        let mut op = Op::new(OpKind::ChangeGroupAssignment);
        if let Some(g) = self.groups.get_mut(group) {
            g.members.retain(|m| m != user);
        }
        if !self.is_assigned(user) {
            if let Some(id) = self.app_id(user) {
                let operation = json!({"op": "replace", "value": {"active": false}});
                self.update_user(&mut op, user, &id, operation, |m| {
                    m.insert("active".into(), json!(false));
                })
                .await;
            }
            return op;
        }
        self.push_changed(&mut op, &[user.to_string()]).await;
        op
    }

    /// Push every assigned user among `labels` whose resolved app profile differs from the
    /// one last pushed.
    async fn push_changed(&mut self, op: &mut Op, labels: &[String]) {
        if !self.settings.push_on_assignment_change {
            return;
        }
        for l in labels {
            let Some(id) = self.app_id(l) else { continue };
            let now = self.app_profile(l);
            if self.users[l].pushed.as_ref() != Some(&now) {
                self.push_app_profile(op, l, &id).await;
            }
        }
    }

    // ---- §5 Deactivate / reactivate ----------------------------------------------------------

    /// Set `active` the way the app kind does it: path-less PATCH (OIN) or GET + PUT (AIW).
    async fn set_active(&mut self, label: &str, active: bool, kind: OpKind) -> Op {
        let mut op = Op::new(kind);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        let operation = json!({"op": "replace", "value": {"active": active}});
        self.update_user(&mut op, label, &id, operation, |m| {
            m.insert("active".into(), json!(active));
        })
        .await;
        op
    }

    /// One change to an assigned user: a PATCH with this operation (OIN apps), or GET then PUT
    /// of the user with Okta's profile and `edit` applied (AIW apps).
    async fn update_user(
        &self,
        op: &mut Op,
        label: &str,
        id: &str,
        operation: Value,
        edit: impl FnOnce(&mut Map<String, Value>),
    ) {
        match self.settings.app_kind {
            AppKind::Oin => {
                self.patch_user(op, id, operation).await;
            }
            AppKind::Aiw => {
                self.push_profile_to(op, label, id, Step::Get, Step::Put, edit)
                    .await;
            }
        }
    }

    /// Deactivate a user: path-less PATCH (OIN) or GET then PUT (AIW) (okta-scim-wire §5).
    pub async fn deactivate_user(&mut self, label: &str) -> Op {
        self.set_active(label, false, OpKind::DeactivateUser).await
    }

    /// Suspend a user in Okta: "There's no deprovisioning event sent for users that are
    /// suspended inside Okta" (okta-scim-wire §5, quirk 21), so nothing goes to the app.
    pub fn suspend_user(&mut self, label: &str) -> Op {
        self.user(label);
        Op::new(OpKind::SuspendUser)
    }

    /// Reactivate a user (okta-scim-wire §5).
    pub async fn reactivate_user(&mut self, label: &str) -> Op {
        self.set_active(label, true, OpKind::ReactivateUser).await
    }

    /// Unassigning sends what deactivation sends (okta-scim-wire §5.3); Okta never DELETEs users.
    pub async fn unassign_user(&mut self, label: &str) -> Op {
        self.set_active(label, false, OpKind::UnassignUser).await
    }

    /// Reassign a user: what reactivation sends (okta-scim-wire §5.3).
    pub async fn reassign_user(&mut self, label: &str) -> Op {
        self.set_active(label, true, OpKind::ReassignUser).await
    }

    /// Password sync: PATCH (OIN, body per settings) or GET + PUT with `password` (AIW).
    pub async fn sync_password(&mut self, label: &str) -> Op {
        let mut op = Op::new(OpKind::SyncPassword);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        let password = self.ids.password();
        self.users[label].okta.password = password.clone();
        let operation = match self.settings.password_sync_body {
            PasswordSyncBody::PathlessValue => {
                json!({"op": "replace", "value": {"password": password}})
            }
            PasswordSyncBody::WithPath => {
                json!({"op": "replace", "path": "password", "value": password})
            }
        };
        self.update_user(&mut op, label, &id, operation, |m| {
            m.insert("password".into(), json!(password));
        })
        .await;
        op
    }

    /// Read a user back to see what the app stored (`GET /Users/{id}`, as okta-sim).
    pub async fn read_user(&self, label: &str) -> Op {
        match self.app_id(label) {
            Some(id) => self.read_user_id(&id).await,
            None => {
                let mut op = Op::new(OpKind::ReadBackUser);
                op.fail(format!("{label} has no app id"));
                op
            }
        }
    }

    /// Read the user with this app id (as okta-sim).
    pub async fn read_user_id(&self, id: &str) -> Op {
        let mut op = Op::new(OpKind::ReadBackUser);
        self.get(&mut op, Step::Get, &format!("/Users/{id}"), &[])
            .await;
        op
    }

    /// Look a user up by userName, optionally in another case (okta-scim-wire §10.1 step 16).
    pub async fn find_user(&mut self, label: &str, upper_case: bool) -> Op {
        let login = self.user(label).okta.login.clone();
        let login = if upper_case {
            login.to_uppercase()
        } else {
            login
        };
        let mut op = Op::new(OpKind::FindUser);
        self.lookup(&mut op, Step::Filter, "/Users", "userName", &login)
            .await;
        op
    }

    /// Look a user up by userName to see what the app stored (as okta-sim).
    pub async fn read_user_by_name(&mut self, label: &str) -> Op {
        let login = self.user(label).okta.login.clone();
        let mut op = Op::new(OpKind::ReadBackUserByName);
        self.lookup(&mut op, Step::Filter, "/Users", "userName", &login)
            .await;
        op
    }

    /// Change the Okta login of a user and push it: GET, then PUT with the new userName and
    /// email (okta-scim-wire §4). The app's userName follows; `display` of its group
    /// memberships changes with it when Okta pushes them again.
    pub async fn change_user_name(&mut self, label: &str) -> Op {
        let mut op = Op::new(OpKind::ChangeUserName);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        let u = &mut self.users[label].okta;
        u.login = match u.login.split_once('@') {
            Some((local, domain)) => format!("{local}.renamed@{domain}"),
            None => format!("{}.renamed", u.login),
        };
        self.push_profile_to(&mut op, label, &id, Step::Get, Step::Put, |_| {})
            .await;
        op
    }

    /// The vendor deletes a user in the app; Okta keeps its id (setup, as okta-sim).
    pub async fn delete_app_user(&mut self, label: &str) -> Op {
        let mut op = Op::new(OpKind::SetupDeleteUser);
        let Some(id) = self.app_id(label) else {
            op.fail(format!("{label} is not assigned"));
            return op;
        };
        let req = self
            .harness
            .request("DELETE", &format!("/Users/{id}"), &[], None);
        self.send(&mut op, Step::Delete, req).await;
        op
    }

    /// Create a user as the vendor did before Okta was connected: no pre-check, no externalId,
    /// optionally with the userName in upper case.
    pub async fn create_existing_user(&mut self, label: &str, upper_case: bool) -> Op {
        let user = self.user(label).okta.clone();
        let mut body = Self::create_body(&user);
        if upper_case {
            body["userName"] = json!(user.login.to_uppercase());
        }
        if let Some(o) = body.as_object_mut() {
            o.remove("externalId");
        }
        let mut op = Op::new(OpKind::SetupUsers);
        self.with_body(&mut op, Step::Create, "POST", "/Users", &body)
            .await;
        op
    }

    // ---- §6, §7 Groups -----------------------------------------------------------------------

    fn member_values(&self, labels: &[String]) -> Vec<Value> {
        labels
            .iter()
            .filter_map(|l| self.users.get(l))
            .filter_map(|u| {
                u.app_id
                    .as_ref()
                    .map(|id| json!({"value": id, "display": u.okta.login}))
            })
            .collect()
    }

    /// Push a group: `displayName eq` lookup, then POST with its members; a follow-up
    /// membership push when the 201 does not echo them (okta-scim-wire §6.1, §7).
    pub async fn push_group(&mut self, label: &str) -> Op {
        let group = self.group(label).clone();
        let mut op = Op::new(OpKind::PushGroup);
        let look = self
            .lookup(
                &mut op,
                Step::DisplayNameLookup,
                "/Groups",
                "displayName",
                &group.name,
            )
            .await;
        let Ok(existing) = first_found(&look) else {
            op.fail(format!(
                "Error while looking up group {}: {}",
                group.name,
                look.got()
            ));
            return op;
        };
        let members = self.member_values(&group.members);
        if let Some(id) = existing {
            if self.settings.existing_group_on_push == ExistingGroupOnPush::Fail {
                op.fail(format!(
                    "a group named {} already exists in the app",
                    group.name
                ));
                return op;
            }
            self.groups[label].app_id = Some(id);
            self.send_membership(&mut op, label, &group.members, &[])
                .await;
            return op;
        }
        let body =
            json!({"schemas": [GROUP_SCHEMA], "displayName": group.name, "members": members});
        let ex = self
            .with_body(&mut op, Step::Create, "POST", "/Groups", &body)
            .await;
        let Some(created) = ex.json().filter(|_| ex.status() == Some(201)) else {
            op.fail(format!(
                "Error while creating group {}: {}",
                group.name,
                ex.got()
            ));
            return op;
        };
        let Some(id) = created
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            op.fail("Create new group returned a group without an id.");
            return op;
        };
        self.groups[label].app_id = Some(id.to_string());
        let echoed: Vec<&str> = created
            .get("members")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|x| x.get("value").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let missing = members
            .iter()
            .any(|m| !echoed.contains(&m["value"].as_str().unwrap_or_default()));
        if missing {
            self.send_membership(&mut op, label, &group.members, &[])
                .await;
        }
        op
    }

    /// Membership changes: removes (one operation per user, with a filter path) then one add
    /// (OIN PATCH), or GET + PUT of the whole group (AIW). With renaming on, the rename PATCH
    /// goes first (okta-scim-wire §6.2–§6.4).
    async fn send_membership(&self, op: &mut Op, label: &str, add: &[String], remove: &[String]) {
        self.send_membership_keeping(op, label, add, remove, false)
            .await
    }

    async fn send_membership_keeping(
        &self,
        op: &mut Op,
        label: &str,
        add: &[String],
        remove: &[String],
        keep_app_members: bool,
    ) {
        let group = &self.groups[label];
        let Some(id) = group.app_id.clone() else {
            op.fail(format!("group {label} is not pushed"));
            return;
        };
        let path = format!("/Groups/{id}");
        match self.settings.app_kind {
            AppKind::Oin => {
                if self.settings.rename_app_groups {
                    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "replace", "value": {"id": id, "displayName": group.name}}]});
                    self.with_body(op, Step::RenamePatch, "PATCH", &path, &body)
                        .await;
                }
                let mut ops: Vec<Value> = remove
                    .iter()
                    .filter_map(|l| self.users.get(l).and_then(|u| u.app_id.clone()))
                    .map(|uid| json!({"op": "remove", "path": format!("members[value eq \"{uid}\"]")}))
                    .collect();
                let adds = self.member_values(add);
                if !adds.is_empty() {
                    ops.push(json!({"op": "add", "path": "members", "value": adds}));
                }
                if !ops.is_empty() {
                    let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops});
                    self.with_body(op, Step::MembershipPatch, "PATCH", &path, &body)
                        .await;
                }
            }
            AppKind::Aiw => {
                let members = self.member_values(&group.members);
                let name = self
                    .settings
                    .rename_app_groups
                    .then_some(group.name.as_str());
                self.put_group(op, &path, name, members, keep_app_members)
                    .await;
            }
        }
    }

    /// GET then PUT of the group with Okta's name and members; with `keep_app_members` the
    /// members the app group already had stay (Link Group, test plan C9315).
    /// `name`: the displayName to send; None keeps the app's own (renaming off).
    async fn put_group(
        &self,
        op: &mut Op,
        path: &str,
        name: Option<&str>,
        mut members: Vec<Value>,
        keep_app_members: bool,
    ) {
        let got = self.get(op, Step::Get, path, &[]).await;
        let Some(mut body) = got.json().filter(|_| got.status() == Some(200)) else {
            op.fail(format!("Error while reading group {path}: {}", got.got()));
            return;
        };
        if keep_app_members {
            let existing: Vec<Value> = body
                .get("members")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut merged: Vec<Value> = existing
                .into_iter()
                .filter(|e| !members.iter().any(|m| m.get("value") == e.get("value")))
                .collect();
            merged.append(&mut members);
            members = merged;
        }
        if let Some(m) = body.as_object_mut() {
            if let Some(name) = name {
                m.insert("displayName".into(), json!(name));
            }
            m.insert("members".into(), Value::Array(members));
        }
        self.with_body(op, Step::Put, "PUT", path, &body).await;
    }

    /// Add users to a pushed group (and push the change).
    pub async fn add_to_group(&mut self, label: &str, users: &[String]) -> Op {
        let mut op = Op::new(OpKind::AddMembers);
        self.group(label);
        for u in users {
            if !self.groups[label].members.contains(u) {
                self.groups[label].members.push(u.clone());
            }
        }
        self.send_membership(&mut op, label, users, &[]).await;
        op
    }

    /// Remove users from a pushed group (and push the change).
    pub async fn remove_from_group(&mut self, label: &str, users: &[String]) -> Op {
        let mut op = Op::new(OpKind::RemoveMembers);
        self.group(label).members.retain(|m| !users.contains(m));
        self.send_membership(&mut op, label, &[], users).await;
        op
    }

    /// One push that both removes and adds members: one PATCH with the removes first, then one
    /// add (OIN, okta-scim-wire §6.2, the S3 example), or GET then PUT (AIW).
    pub async fn change_members(&mut self, label: &str, add: &[String], remove: &[String]) -> Op {
        let mut op = Op::new(OpKind::ChangeMembers);
        self.group(label).members.retain(|m| !remove.contains(m));
        for u in add {
            if !self.groups[label].members.contains(u) {
                self.groups[label].members.push(u.clone());
            }
        }
        self.send_membership(&mut op, label, add, remove).await;
        op
    }

    /// A user leaves one pushed group and joins another in one push: Okta updates each group
    /// in its own request, the one it leaves first.
    pub async fn move_member(&mut self, user: &str, from: &str, to: &str) -> Op {
        let mut op = Op::new(OpKind::MoveMember);
        let moved = [user.to_string()];
        self.group(from).members.retain(|m| m != user);
        self.send_membership(&mut op, from, &[], &moved).await;
        if !self.group(to).members.contains(&moved[0]) {
            self.groups[to].members.push(moved[0].clone());
        }
        self.send_membership(&mut op, to, &moved, &[]).await;
        op
    }

    /// Rename the Okta group; the app group follows (OIN: path-less PATCH with `id` in `value`).
    pub async fn rename_group(&mut self, label: &str, new_name: &str) -> Op {
        let mut op = Op::new(OpKind::RenameGroup);
        self.group(label).name = new_name.to_string();
        let group = self.groups[label].clone();
        let Some(id) = group.app_id.clone() else {
            op.fail(format!("group {label} is not pushed"));
            return op;
        };
        let path = format!("/Groups/{id}");
        match self.settings.app_kind {
            AppKind::Oin => {
                let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "replace", "value": {"id": id, "displayName": new_name}}]});
                self.with_body(&mut op, Step::RenamePatch, "PATCH", &path, &body)
                    .await;
            }
            AppKind::Aiw => {
                let members = self.member_values(&group.members);
                self.put_group(&mut op, &path, Some(new_name), members, false)
                    .await;
            }
        }
        op
    }

    /// "Push Now": replace all members (also with an empty list).
    pub async fn push_now(&mut self, label: &str) -> Op {
        let mut op = Op::new(OpKind::PushNow);
        let group = self.group(label).clone();
        let Some(id) = group.app_id.clone() else {
            op.fail(format!("group {label} is not pushed"));
            return op;
        };
        let path = format!("/Groups/{id}");
        let members = self.member_values(&group.members);
        match self.settings.app_kind {
            AppKind::Oin => {
                let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "replace", "path": "members", "value": members}]});
                self.with_body(&mut op, Step::ReplacePatch, "PATCH", &path, &body)
                    .await;
            }
            AppKind::Aiw => {
                let name = self
                    .settings
                    .rename_app_groups
                    .then_some(group.name.as_str());
                self.put_group(&mut op, &path, name, members, false).await
            }
        }
        op
    }

    /// Link an Okta group to an app group found by exact name, optionally renaming it, then
    /// push the Okta members (existing app members stay).
    pub async fn link_group(&mut self, label: &str, app_group_name: &str, rename: bool) -> Op {
        let mut op = Op::new(OpKind::LinkGroup);
        let look = self
            .lookup(
                &mut op,
                Step::DisplayNameLookup,
                "/Groups",
                "displayName",
                app_group_name,
            )
            .await;
        let Ok(Some(id)) = first_found(&look) else {
            op.fail(format!(
                "no app group named {app_group_name}: {}",
                look.got()
            ));
            return op;
        };
        self.group(label).app_id = Some(id.clone());
        let saved = self.settings.rename_app_groups;
        self.settings.rename_app_groups = rename;
        let members = self.groups[label].members.clone();
        self.send_membership_keeping(&mut op, label, &members, &[], true)
            .await;
        self.settings.rename_app_groups = saved;
        op
    }

    /// Unlink a pushed group: "delete" sends DELETE, "leave" sends nothing (okta-scim-wire §6.5).
    pub async fn unlink_group(&mut self, label: &str, delete: bool) -> Op {
        let mut op = Op::new(if delete {
            OpKind::UnlinkGroupDelete
        } else {
            OpKind::UnlinkGroupLeave
        });
        let Some(id) = self.group(label).app_id.clone() else {
            op.fail(format!("group {label} is not pushed"));
            return op;
        };
        if delete {
            let req = self
                .wire
                .request("DELETE", &format!("/Groups/{id}"), &[], None);
            self.send(&mut op, Step::Delete, req).await;
        }
        op
    }

    /// Read a group back to see what the app stored (as okta-sim).
    pub async fn read_group(&mut self, label: &str) -> Op {
        let mut op = Op::new(OpKind::ReadBackGroup);
        match self.group(label).app_id.clone() {
            Some(id) => {
                self.get(&mut op, Step::Get, &format!("/Groups/{id}"), &[])
                    .await;
            }
            None => op.fail(format!("group {label} has no app id")),
        }
        op
    }

    /// Create an app group directly (as if the vendor's admin had made it), for Link Group.
    pub async fn create_app_group(&mut self, name: &str, member_labels: &[String]) -> Op {
        let mut op = Op::new(OpKind::SetupGroup);
        let members = self.member_values(member_labels);
        let body = json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members});
        self.with_body(&mut op, Step::Create, "POST", "/Groups", &body)
            .await;
        op
    }

    // ---- §10.1 Okta's SPEC test --------------------------------------------------------------

    /// Okta's "SCIM 2.0 SPEC Test" (okta-scim-wire §10.1): its requests, with its headers
    /// (`User-Agent: OKTA SCIM Integration`; POSTs with `Content-Type: application/json`).
    pub async fn spec_test(&mut self) -> Op {
        let mut op = Op::new(OpKind::SpecTest);
        let auth = self.wire.auth.header_value();
        let get_headers = |auth: &str| -> Vec<(String, String)> {
            vec![
                ("Accept-Charset".into(), "utf-8".into()),
                (
                    "Content-Type".into(),
                    "application/scim+json; charset=utf-8".into(),
                ),
                ("Accept".into(), "application/scim+json".into()),
                ("Authorization".into(), auth.into()),
                ("User-Agent".into(), "OKTA SCIM Integration".into()),
            ]
        };
        let post_headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("Authorization".to_string(), auth.clone()),
            (
                "Accept".to_string(),
                "application/scim+json; charset=utf-8".to_string(),
            ),
        ];
        let get = |path: String, headers: Vec<(String, String)>| WireRequest {
            method: "GET".into(),
            path,
            headers,
            body: None,
        };
        let q = |f: &str| super::wire::okta_query(&[("filter", f)]);

        let user = self.ids.user();
        let caps = user.login.to_uppercase();

        let s0 = self
            .send(
                &mut op,
                Step::Spec(0),
                get("/Users?count=1&startIndex=1".into(), get_headers(&auth)),
            )
            .await;
        let isv_id = s0
            .json()
            .and_then(|b| resources_of(&b).and_then(|r| r.first().cloned()))
            .and_then(|u| u.get("id").and_then(Value::as_str).map(String::from))
            .unwrap_or_else(|| "missing-id-from-step-0".into());
        self.send(
            &mut op,
            Step::Spec(2),
            get(format!("/Users/{isv_id}"), get_headers(&auth)),
        )
        .await;
        self.send(
            &mut op,
            Step::Spec(4),
            get(
                format!("/Users?{}", q("userName eq \"abcdefgh@atko.com\"")),
                get_headers(&auth),
            ),
        )
        .await;
        self.send(
            &mut op,
            Step::Spec(6),
            get(
                "/Users/010101001010101011001010101011".into(),
                get_headers(&auth),
            ),
        )
        .await;
        self.send(
            &mut op,
            Step::Spec(8),
            get(
                format!("/Users?{}", q(&format!("userName eq \"{}\"", user.login))),
                get_headers(&auth),
            ),
        )
        .await;
        let body = json!({"schemas":[USER_SCHEMA],"userName":user.login,"name":{"givenName":user.given_name,"familyName":user.family_name},
            "emails":[{"primary":true,"value":user.login,"type":"work"}],"displayName":user.display_name(),"active":true});
        let post = |body: &Value| WireRequest {
            method: "POST".into(),
            path: "/Users".into(),
            headers: post_headers.clone(),
            body: Some(body.to_string()),
        };
        let s10 = self.send(&mut op, Step::Spec(10), post(&body)).await;
        let id_one = s10
            .json()
            .and_then(|b| b.get("id").and_then(Value::as_str).map(String::from))
            .unwrap_or_else(|| "missing-id-from-step-10".into());
        self.send(
            &mut op,
            Step::Spec(12),
            get(format!("/Users/{id_one}"), get_headers(&auth)),
        )
        .await;
        self.send(&mut op, Step::Spec(14), post(&body)).await;
        self.send(
            &mut op,
            Step::Spec(16),
            get(
                format!("/Users?{}", q(&format!("userName eq \"{caps}\""))),
                get_headers(&auth),
            ),
        )
        .await;
        self.send(
            &mut op,
            Step::Spec(18),
            get("/Groups".into(), get_headers(&auth)),
        )
        .await;
        self.send(
            &mut op,
            Step::Spec(20),
            get(
                format!("/Users?{}", q(&format!("userName eq \"{caps}\""))),
                get_headers("non-token"),
            ),
        )
        .await;
        self.send(
            &mut op,
            Step::Spec(22),
            get("/Users/00919288221112222".into(), get_headers(&auth)),
        )
        .await;
        self.users.insert(
            SPEC_TEST_USER.into(),
            AppUser {
                okta: user,
                app_id: Some(id_one),
                direct: Some(Map::new()),
                pushed: None,
                grants: Vec::new(),
            },
        );
        op
    }

    /// Create users directly (not as Okta: the vendor's own users), for paging tests.
    pub async fn create_users(&mut self, n: usize) -> Op {
        let mut op = Op::new(OpKind::SetupUsers);
        for i in 0..n {
            let u = self.ids.user();
            let label = format!("bulk user {i}");
            let ex = self
                .with_body(
                    &mut op,
                    Step::Create,
                    "POST",
                    "/Users",
                    &Self::create_body(&u),
                )
                .await;
            let id = ex
                .json()
                .and_then(|b| b.get("id").and_then(Value::as_str).map(String::from));
            if ex.status() != Some(201) {
                op.fail(format!("could not create user {i}: {}", ex.got()));
                break;
            }
            self.users.insert(
                label,
                AppUser {
                    okta: u,
                    app_id: id,
                    direct: None,
                    pushed: None,
                    grants: Vec::new(),
                },
            );
        }
        op
    }
}

/// The label under which the SPEC test keeps the user it created.
pub const SPEC_TEST_USER: &str = "spec-test user";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_is_in_okta_key_order() {
        let user = OktaUser {
            id: "00ujl29u0le5T6Aj10h7".into(),
            given_name: "Test".into(),
            family_name: "User".into(),
            login: "test.user@okta.local".into(),
            password: "1mz050nq".into(),
            profile: Default::default(),
        };
        // okta-scim-wire §3.2, byte for byte.
        assert_eq!(
            Session::create_body(&user).to_string(),
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}"#
        );
    }

    #[test]
    fn an_exchange_nobody_graded_or_a_step_the_op_never_makes_is_reported() {
        let ex = |path: &str| Exchange {
            label: String::new(),
            started: String::new(),
            elapsed_ms: 0.0,
            url: String::new(),
            request: WireRequest {
                method: "GET".into(),
                path: path.into(),
                headers: vec![],
                body: None,
            },
            response: None,
            error: None,
            attempt: 1,
            transaction: None,
            seq: 0,
            scenario: None,
        };
        let mut op = Op::new(OpKind::AssignUser);
        op.push(Step::UserNamePrecheck, ex("/Users?filter=x"));
        op.push(Step::LinkGet, ex("/Users/1"));
        assert!(op.first(Step::UserNamePrecheck).is_some());
        let e = op.integrity().unwrap_err().to_string();
        assert!(e.contains("LinkGet (GET /Users/1)"), "{e}");
        assert!(op.first(Step::LinkGet).is_some());
        assert!(op.integrity().is_ok());
        assert!(op.first(Step::Delete).is_none());
        let e = op.integrity().unwrap_err().to_string();
        assert!(e.contains("Delete"), "{e}");
    }

    #[test]
    fn merge_profile_echoes_what_okta_does_not_own() {
        let server = json!({"schemas":["s"],"id":"1","userName":"old","name":{"formatted":"Mona","givenName":"A"},
            "emails":[{"primary":true,"value":"old","type":"work","display":"x"}],"meta":{"version":"W/\"1\""}});
        let user = OktaUser {
            id: "00u1".into(),
            given_name: "Jane".into(),
            family_name: "Smith".into(),
            login: "jane@test.com".into(),
            password: "p".into(),
            profile: Default::default(),
        };
        let merged = Session::merge_profile(&server, &user);
        assert_eq!(merged["meta"]["version"], "W/\"1\"");
        assert_eq!(merged["name"]["formatted"], "Mona");
        assert_eq!(merged["name"]["givenName"], "Jane");
        assert_eq!(merged["emails"][0]["display"], "x");
        assert_eq!(merged["emails"][0]["value"], "jane@test.com");
        assert!(merged.get("password").is_none());
    }
}
