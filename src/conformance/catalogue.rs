//! The check catalogue: every check okta-sim makes, declared once, grouped by the Okta operation
//! or SAML flow it belongs to (the model is h2spec's and test262's: an addressable id and a
//! citation a test holds to the reference documents in `docs/reference/`).
//!
//! Plain checks are [`CheckDef`]s. Checks every answer of one kind gets (a ListResponse, a SCIM
//! Error, an accepted PUT…) are declared once as a [`Shape`] and instantiated per [`Subject`]:
//! `credentials.users-probe` is a subject of the ListResponse shape, so its checks are
//! `credentials.users-probe.status-200`, `credentials.users-probe.integers`, …
//! `okta-sim check --list` prints the whole catalogue; `docs/checks.md` is generated from it.

use std::borrow::Cow;

use super::check::{CheckDef, CheckSpec, Cite, Grade, Shape, Subject};
use crate::saml::attacks::AttackDef;
use Cite::*;
use Grade::*;

// ---- Shapes: the checks an answer of one kind gets ------------------------------------------

/// Checks every shape shares.
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod common {
    use super::*;

    pub const ANSWERED: CheckDef = CheckDef {
        id: "answered",
        grade: OktaRequired,
        cite: &[],
        needed: "an HTTP answer within Okta's 60 s",
        why: "Okta marks the task failed when the connection fails or stays silent",
    };
    pub const JSON: CheckDef = CheckDef {
        id: "json",
        grade: OktaRequired,
        cite: &[],
        needed: "a JSON body",
        why: "Okta parses every answer as JSON; anything else surfaces as \"Invalid JSON\" (okta-scim-wire §8.2)",
    };
    pub const CONTENT_TYPE: CheckDef = CheckDef {
        id: "content-type",
        grade: RfcShould,
        cite: &[Rfc(7644, "3.1")],
        needed: "Content-Type: application/scim+json",
        why: "SCIM responses SHOULD use the SCIM media type; Okta itself accepts any JSON",
    };
    pub const STATUS_200: CheckDef = CheckDef {
        id: "status-200",
        grade: OktaRequired,
        cite: &[],
        needed: "200 with the resource",
        why: "",
    };
    pub const SCHEMA_USER: CheckDef = CheckDef {
        id: "schema",
        grade: RfcMust,
        cite: &[Rfc(7643, "4.1")],
        needed: "a body valid against the User schema (fixtures/schemas/user.json)",
        why: "other SCIM clients parse these fields by the RFC",
    };
    pub const SCHEMA_GROUP: CheckDef = CheckDef {
        id: "schema",
        grade: RfcMust,
        cite: &[Rfc(7643, "4.2")],
        needed: "a body valid against the Group schema (fixtures/schemas/group.json)",
        why: "other SCIM clients parse these fields by the RFC",
    };
}

/// A ListResponse (okta-scim-wire §1, §2, quirks 14–17).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod list {
    use super::common::*;
    use super::*;

    pub const STATUS_200: CheckDef = CheckDef {
        id: "status-200",
        grade: OktaRequired,
        cite: &[],
        needed: "200 with a ListResponse",
        why: "Okta reads users and groups only from a 200 ListResponse",
    };
    pub const LIST_RESPONSE: CheckDef = CheckDef {
        id: "list-response",
        grade: OktaRequired,
        cite: &[Wire("1"), Quirk(17)],
        needed: "a complete ListResponse: schemas with the ListResponse URN, totalResults, Resources (also when empty)",
        why: "an empty body, null or a bare [] shows \"No results for users returned\" in Okta",
    };
    pub const RESOURCES_CAPITALISED: CheckDef = CheckDef {
        id: "resources-capitalised",
        grade: OktaTolerated,
        cite: &[Wire("2"), Quirk(16)],
        needed: "the key \"Resources\" (capital R)",
        why: "Okta also reads \"resources\", other clients may not",
    };
    pub const INTEGERS: CheckDef = CheckDef {
        id: "integers",
        grade: OktaRequired,
        cite: &[Wire("2"), Quirk(15)],
        needed: "totalResults, startIndex and itemsPerPage as JSON integers, not strings",
        why: "Okta exchanges paging values as integers; a string \"1\" coincided with silent sync failures",
    };
    pub const ITEMS_PER_PAGE: CheckDef = CheckDef {
        id: "items-per-page",
        grade: OktaRequired,
        cite: &[Wire("2"), Quirk(14)],
        needed: "itemsPerPage equal to the number of Resources returned (not the count asked for)",
        why: "Okta's OIN review rejects servers whose itemsPerPage is the requested count",
    };
    pub const PAGE_SIZE: CheckDef = CheckDef {
        id: "page-size",
        grade: OktaRequired,
        cite: &[Wire("2")],
        needed: "at most `count` Resources per page",
        why: "Okta pages by 100; a server that ignores count breaks paging",
    };
    pub const START_INDEX: CheckDef = CheckDef {
        id: "start-index",
        grade: RfcMust,
        cite: &[Rfc(7644, "3.4.2.4")],
        needed: "startIndex in the answer equal to the startIndex asked for",
        why: "clients use it to tell which page they got",
    };
    pub const SCHEMA: CheckDef = CheckDef {
        id: "schema",
        grade: RfcMust,
        cite: &[Rfc(7644, "3.4.2")],
        needed: "a body valid against the ListResponse schema (fixtures/schemas/list-response.json)",
        why: "other SCIM clients parse these fields by the RFC",
    };
    pub static SHAPE: Shape = Shape {
        name: "list-response",
        about: "a ListResponse, as Okta reads users and groups",
        checks: &[
            &ANSWERED,
            &STATUS_200,
            &JSON,
            &LIST_RESPONSE,
            &RESOURCES_CAPITALISED,
            &INTEGERS,
            &ITEMS_PER_PAGE,
            &PAGE_SIZE,
            &START_INDEX,
            &SCHEMA,
            &CONTENT_TYPE,
        ],
    };
}

/// A SCIM Error with an expected status (okta-scim-wire §9, §10.1).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod error {
    use super::common::*;
    use super::*;

    pub const STATUS_401: CheckDef = CheckDef {
        id: "status-401",
        grade: OktaRequired,
        cite: &[],
        needed: "HTTP 401",
        why: "",
    };
    pub const STATUS_404: CheckDef = CheckDef {
        id: "status-404",
        grade: OktaRequired,
        cite: &[],
        needed: "HTTP 404",
        why: "",
    };
    pub const STATUS_409: CheckDef = CheckDef {
        id: "status-409",
        grade: OktaRequired,
        cite: &[],
        needed: "HTTP 409",
        why: "",
    };
    pub const SCIM_ERROR: CheckDef = CheckDef {
        id: "scim-error",
        grade: OktaRequired,
        cite: &[Wire("9"), Wire("10.1")],
        needed: "a SCIM Error body: schemas with urn:ietf:params:scim:api:messages:2.0:Error",
        why: "Okta's SPEC test requires the Error schema; Okta shows the body's detail to admins",
    };
    pub const DETAIL: CheckDef = CheckDef {
        id: "detail",
        grade: OktaRequired,
        cite: &[Wire("9"), Wire("10.1")],
        needed: "a non-empty detail",
        why: "Okta shows it after \"Errors reported by remote server:\"; the SPEC test requires it",
    };
    pub const STATUS_STRING: CheckDef = CheckDef {
        id: "status-string",
        grade: RfcMust,
        cite: &[Rfc(7644, "3.12")],
        needed: "\"status\" as a string equal to the HTTP status, e.g. \"404\"",
        why: "RFC 7644 defines status as a JSON string; Okta's SPEC test compares it to the string",
    };
    pub const SCHEMA: CheckDef = CheckDef {
        id: "schema",
        grade: RfcMust,
        cite: &[Rfc(7644, "3.12")],
        needed: "a body valid against the Error schema (fixtures/schemas/error.json)",
        why: "other SCIM clients parse these fields by the RFC",
    };
    pub static SHAPE_401: Shape = Shape {
        name: "scim-error-401",
        about: "401 with a SCIM Error",
        checks: &[
            &ANSWERED,
            &STATUS_401,
            &SCIM_ERROR,
            &DETAIL,
            &STATUS_STRING,
            &SCHEMA,
        ],
    };
    pub static SHAPE_404: Shape = Shape {
        name: "scim-error-404",
        about: "404 with a SCIM Error",
        checks: &[
            &ANSWERED,
            &STATUS_404,
            &SCIM_ERROR,
            &DETAIL,
            &STATUS_STRING,
            &SCHEMA,
        ],
    };
    pub static SHAPE_409: Shape = Shape {
        name: "scim-error-409",
        about: "409 with a SCIM Error",
        checks: &[
            &ANSWERED,
            &STATUS_409,
            &SCIM_ERROR,
            &DETAIL,
            &STATUS_STRING,
            &SCHEMA,
        ],
    };
}

/// A PUT of the app's own representation with Okta's attributes changed (okta-scim-wire §4, quirk 9).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod put {
    use super::common::*;
    use super::*;

    pub const STATUS_200: CheckDef = CheckDef {
        id: "status-200",
        grade: OktaRequired,
        cite: &[],
        needed: "200 with the resource for a PUT of the app's own representation with Okta's attributes changed",
        why: "Okta echoes your GET body back in the PUT (readOnly fields, meta and unknown fields included)",
    };
    pub static USER: Shape = Shape {
        name: "put-user",
        about: "a PUT of a user accepted",
        checks: &[&ANSWERED, &STATUS_200, &SCHEMA_USER],
    };
    pub static GROUP: Shape = Shape {
        name: "put-group",
        about: "a PUT of a group accepted",
        checks: &[&ANSWERED, &STATUS_200, &SCHEMA_GROUP],
    };
}

/// Okta's update of a user: GET, then PUT of what came back with Okta's attributes (okta-scim-wire §4).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod get_put {
    use super::common::*;
    use super::*;

    pub const GET_ANSWERED: CheckDef = CheckDef {
        id: "get.answered",
        ..ANSWERED
    };
    pub const GET_STATUS_200: CheckDef = CheckDef {
        id: "get.status-200",
        grade: OktaRequired,
        cite: &[],
        needed: "200 with the user",
        why: "Okta reads the user before every PUT",
    };
    pub const PUT_ANSWERED: CheckDef = CheckDef {
        id: "put.answered",
        ..ANSWERED
    };
    pub const PUT_STATUS_200: CheckDef = CheckDef {
        id: "put.status-200",
        cite: &[Wire("4"), Quirk(9)],
        ..put::STATUS_200
    };
    pub const PUT_SCHEMA: CheckDef = CheckDef {
        id: "put.schema",
        ..SCHEMA_USER
    };
    pub static SHAPE: Shape = Shape {
        name: "get-put",
        about: "a user update: GET, then PUT",
        checks: &[
            &GET_ANSWERED,
            &GET_STATUS_200,
            &PUT_ANSWERED,
            &PUT_STATUS_200,
            &PUT_SCHEMA,
        ],
    };
}

/// Activation changes: a path-less PATCH (OIN) or GET then PUT (AIW) (okta-scim-wire §5).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod set_active {
    use super::common::*;
    use super::get_put::*;
    use super::*;

    pub const PATHLESS_PATCH: CheckDef = CheckDef {
        id: "pathless-patch",
        grade: OktaRequired,
        cite: &[],
        needed: "200 with the user, or 204, for {\"op\":\"replace\",\"value\":{\"active\":…}} with no path",
        why: "Okta (de)activates users with a path-less replace; it never retries as PUT",
    };
    pub const PATCH_RESPONSE: CheckDef = CheckDef {
        id: "patch-response",
        grade: RfcShould,
        cite: &[Rfc(7644, "3.5.2")],
        needed: "a 200 body showing the new value of \"active\"",
        why: "a 200 answer to PATCH carries the updated resource; Okta does not read it",
    };
    pub static SHAPE: Shape = Shape {
        name: "set-active",
        about: "(de)activation: path-less PATCH (OIN), or GET then PUT (AIW)",
        checks: &[
            &ANSWERED,
            &PATHLESS_PATCH,
            &PATCH_RESPONSE,
            &GET_ANSWERED,
            &GET_STATUS_200,
            &PUT_ANSWERED,
            &PUT_STATUS_200,
            &PUT_SCHEMA,
        ],
    };
}

/// A group update by PATCH (okta-scim-wire §6.2–§6.4).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod group_patch {
    use super::common::*;
    use super::*;

    pub const ACCEPTED: CheckDef = CheckDef {
        id: "",
        grade: OktaRequired,
        cite: &[],
        needed: "",
        why: "Okta updates pushed groups only this way (OIN apps); a refusal fails the push",
    };
    pub const MEMBERS_NULL: CheckDef = CheckDef {
        id: "members-null",
        grade: OktaTolerated,
        cite: &[Wire("6.2"), Quirk(19)],
        needed: "members as an array (or absent) in the 200 body",
        why: "Okta accepts members: null; RFC clients may not",
    };
    pub static SHAPE: Shape = Shape {
        name: "group-patch",
        about: "a group PATCH accepted with 200 or 204",
        checks: &[&ANSWERED, &ACCEPTED, &MEMBERS_NULL],
    };
}

/// A user read back (okta-scim-wire §5, §10.2).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod readback {
    use super::common::*;
    use super::*;

    pub const READABLE: CheckDef = CheckDef {
        id: "readable",
        grade: OktaRequired,
        cite: &[],
        needed: "200 for GET /Users/{id}: the user stays readable, also when inactive",
        why: "Okta never deletes users; its CRUD test reads the user after every change",
    };
    pub static SHAPE: Shape = Shape {
        name: "readback",
        about: "a user read back with GET /Users/{id}",
        checks: &[&ANSWERED, &READABLE],
    };
}

/// An import's paging as a whole (okta-scim-wire §2).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod import_paging {
    use super::*;

    pub const IDS: CheckDef = CheckDef {
        id: "ids",
        grade: RfcMust,
        cite: &[Rfc(7643, "3.1")],
        needed: "every resource with a non-empty id",
        why: "Okta links imported resources by id",
    };
    pub const COMPLETE: CheckDef = CheckDef {
        id: "complete",
        grade: OktaRequired,
        cite: &[Wire("2")],
        needed: "every resource exactly once across the pages, totalResults in all",
        why: "Okta pages by startIndex+100 and needs the same order whatever the page; a resource skipped or repeated is missed or imported twice",
    };
    pub const PAST_THE_END: CheckDef = CheckDef {
        id: "past-the-end",
        grade: OktaRequired,
        cite: &[Wire("2"), Quirk(14)],
        needed: "200 with \"itemsPerPage\": 0 and \"Resources\": [] for a page past the end",
        why: "Okta's OIN review asks for pages past the end (ory/polis#4054)",
    };
    pub static SHAPE: Shape = Shape {
        name: "import",
        about: "an import's pages taken together",
        checks: &[&IDS, &COMPLETE, &PAST_THE_END],
    };
}

/// A sign-in that must succeed (okta-saml §1).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod login {
    use super::*;

    pub const ACCEPTED: CheckDef = CheckDef {
        id: "accepted",
        grade: OktaRequired,
        cite: &[],
        needed: "the ACS to accept a valid Okta response",
        why: "this is what Okta sends; refusing it breaks sign-in for every user",
    };
    pub const IDENTITY: CheckDef = CheckDef {
        id: "identity",
        grade: OktaRequired,
        cite: &[],
        needed: "the session to belong to the NameID the assertion names",
        why: "the SP must sign in the user the assertion names",
    };
    pub static SHAPE: Shape = Shape {
        name: "login",
        about: "a valid sign-in accepted, for the right user",
        checks: &[&ACCEPTED, &IDENTITY],
    };
}

/// One case of the attack catalogue (okta-saml §3): the subjects come from the attack table.
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod attack {
    use super::*;

    pub const REFUSED: CheckDef = CheckDef {
        id: "",
        grade: RfcMust,
        cite: &[],
        needed: "",
        why: "an SP that accepts this lets an attacker sign in as someone else, or with an assertion that is not valid",
    };
    pub const NOT_ACCEPTED_AT_ALL: CheckDef = CheckDef {
        id: "refused",
        grade: RfcShould,
        cite: &[Saml("3.1")],
        needed: "a refusal, not a login bound to the signed assertion",
        why: "the SP read the signed assertion, but a document with wrapped or extra assertions should not be accepted at all",
    };
    pub static SHAPE: Shape = Shape {
        name: "attack",
        about: "a forged or invalid response refused",
        checks: &[&REFUSED, &NOT_ACCEPTED_AT_ALL],
    };
}

// ---- Test API Credentials (okta-scim-wire §1) ----------------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod credentials {
    use super::*;

    pub static USERS_PROBE: Subject = Subject::new(
        "credentials.users-probe",
        &list::SHAPE,
        &[Wire("1")],
        "",
        "",
    );
    pub static GROUPS_PROBE: Subject = Subject::new(
        "credentials.groups-probe",
        &list::SHAPE,
        &[Wire("1")],
        "",
        "",
    );
    pub static WRONG_TOKEN: Subject = Subject::new(
        "auth.wrong-token",
        &error::SHAPE_401,
        &[SpecStep(20)],
        "",
        "a wrong token must be refused, or Okta's Test API Credentials passes with any token",
    );
    pub const WWW_AUTHENTICATE: CheckDef = CheckDef {
        id: "auth.wrong-token.www-authenticate",
        grade: RfcShould,
        cite: &[Rfc(7235, "3.1"), Rfc(6750, "3")],
        needed: "a WWW-Authenticate header on the 401",
        why: "HTTP requires it; Okta does not read it",
    };
}

// ---- Okta's SCIM 2.0 SPEC test (okta-scim-wire §10.1) --------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod spec {
    use super::*;

    pub static STEP_00: Subject =
        Subject::new("spec.step-00", &list::SHAPE, &[SpecStep(0)], "", "");
    pub const STEP_00_FIRST_USER: CheckDef = CheckDef {
        id: "spec.step-00.first-user-complete",
        grade: OktaRequired,
        cite: &[SpecStep(0)],
        needed: "at least one user, the first with id, name.familyName, name.givenName, userName, active and emails[0].value",
        why: "the SPEC test's first required step reads these from Resources[0]; the server needs one user",
    };
    pub const STEP_02: CheckDef = CheckDef {
        id: "spec.step-02.get-user",
        grade: OktaRequired,
        cite: &[SpecStep(2)],
        needed: "200 with the user of step 0",
        why: "required SPEC step 2",
    };
    pub static STEP_04: Subject =
        Subject::new("spec.step-04", &list::SHAPE, &[SpecStep(4)], "", "");
    pub const STEP_04_NO_MATCH: CheckDef = CheckDef {
        id: "spec.step-04.no-match",
        grade: OktaRequired,
        cite: &[SpecStep(4)],
        needed: "200 with totalResults 0 for an unknown userName",
        why: "required SPEC step 4: an empty result is 200, not 404",
    };
    pub static STEP_06: Subject = Subject::new(
        "spec.step-06",
        &error::SHAPE_404,
        &[SpecStep(6)],
        "",
        "required SPEC step 6: an unknown id is 404 with a SCIM Error",
    );
    pub static STEP_08: Subject =
        Subject::new("spec.step-08", &list::SHAPE, &[SpecStep(8)], "", "");
    pub const STEP_08_NO_MATCH: CheckDef = CheckDef {
        id: "spec.step-08.no-match",
        grade: OktaRequired,
        cite: &[SpecStep(8)],
        needed: "200 with totalResults 0 for a userName not created yet",
        why: "required SPEC step 8: an empty result is 200, not 404",
    };
    pub const STEP_10_CREATE: CheckDef = CheckDef {
        id: "spec.step-10.create",
        grade: OktaRequired,
        cite: &[SpecStep(10)],
        needed: "201 with the user, sent with Content-Type: application/json",
        why: "required SPEC step 10; Okta's test sends application/json, not the SCIM media type",
    };
    pub const STEP_10_ECHO: CheckDef = CheckDef {
        id: "spec.step-10.echo",
        grade: OktaRequired,
        cite: &[SpecStep(10)],
        needed: "active true, the userName and name sent, a non-empty id",
        why: "required SPEC step 10 asserts these fields of the 201 body",
    };
    pub const STEP_12: CheckDef = CheckDef {
        id: "spec.step-12.read-created",
        grade: OktaRequired,
        cite: &[SpecStep(12)],
        needed: "200 with the created user",
        why: "required SPEC step 12",
    };
    pub const STEP_14: CheckDef = CheckDef {
        id: "spec.step-14.duplicate-409",
        grade: OktaRequired,
        cite: &[SpecStep(14)],
        needed: "409 for the same user again",
        why: "required SPEC step 14",
    };
    pub const STEP_16_STATUS: CheckDef = CheckDef {
        id: "spec.step-16.case-check",
        grade: OktaRequired,
        cite: &[SpecStep(16)],
        needed: "200 for a userName filter in upper case",
        why: "required SPEC step 16 (0 or 1 result both pass)",
    };
    pub const STEP_16_FOUND: CheckDef = CheckDef {
        id: "spec.step-16.case-insensitive",
        grade: RfcMust,
        cite: &[Rfc(7643, "4.1.1")],
        needed: "the user found whatever the case of the userName in the filter",
        why: "userName is caseExact false; Okta's username may differ in case from the app's",
    };
    pub const STEP_18: CheckDef = CheckDef {
        id: "spec.step-18.groups",
        grade: RfcShould,
        cite: &[SpecStep(18)],
        needed: "200 with a ListResponse for GET /Groups",
        why: "optional SPEC step 18",
    };
    pub static STEP_20: Subject = Subject::new(
        "spec.step-20",
        &error::SHAPE_401,
        &[SpecStep(20)],
        "",
        "required SPEC step 20: a wrong token is 401 with a SCIM Error",
    );
    pub static STEP_22: Subject = Subject::new(
        "spec.step-22",
        &error::SHAPE_404,
        &[SpecStep(22)],
        "",
        "required SPEC step 22: an unknown id is 404 with a SCIM Error",
    );
}

// ---- Import (okta-scim-wire §2) ------------------------------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod import {
    use super::*;

    pub static USERS_PAGE: Subject =
        Subject::new("import.users.page", &list::SHAPE, &[Wire("2")], "", "");
    pub static GROUPS_PAGE: Subject =
        Subject::new("import.groups.page", &list::SHAPE, &[Wire("2")], "", "");
    pub static USERS: Subject =
        Subject::new("import.users", &import_paging::SHAPE, &[Wire("2")], "", "");
    pub static GROUPS: Subject =
        Subject::new("import.groups", &import_paging::SHAPE, &[Wire("2")], "", "");
    pub const INACTIVE_MARKED: CheckDef = CheckDef {
        id: "import.users.inactive-marked",
        grade: OktaRequired,
        cite: &[Wire("2"), Quirk(29)],
        needed: "a deactivated user listed with \"active\": false (or not listed)",
        why: "Okta skips active:false users on import; listed as active, a deactivated user is imported again",
    };
    pub const USERS_COUNT: CheckDef = CheckDef {
        id: "import.users.count",
        grade: OktaRequired,
        cite: &[Wire("2"), TestPlan("C9304")],
        needed: "at least as many users as the app was given",
        why: "Okta imports only what paging hands it; the \"users scanned\" count must match the app",
    };
}

// ---- Assignment (okta-scim-wire §3) --------------------------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod assign {
    use super::*;

    pub static PRECHECK: Subject =
        Subject::new("users.precheck", &list::SHAPE, &[Wire("3.1")], "", "");
    pub const PRECHECK_404: CheckDef = CheckDef {
        id: "users.precheck.empty-list-not-404",
        grade: OktaTolerated,
        cite: &[Wire("3.1"), Quirk(18)],
        needed: "200 with totalResults 0 when no user matches",
        why: "Okta's product treats 404 as not found, but its SPEC test requires 200",
    };
    pub const CREATE_ANSWERED: CheckDef = CheckDef {
        id: "users.create.answered",
        cite: &[Wire("3.2")],
        ..common::ANSWERED
    };
    pub const CREATE_STATUS: CheckDef = CheckDef {
        id: "users.create.status-201",
        grade: OktaRequired,
        cite: &[Wire("3.2")],
        needed: "201 Created with the user",
        why: "Okta records the assignment as failed otherwise",
    };
    pub const CREATE_ID: CheckDef = CheckDef {
        id: "users.create.id",
        grade: OktaRequired,
        cite: &[Wire("3.2")],
        needed: "the created user with a non-empty id",
        why: "Okta stores that id for every later update; an empty body is \"Create new user returned empty user.\"",
    };
    pub const CREATE_SCHEMA: CheckDef = CheckDef {
        id: "users.create.schema",
        ..common::SCHEMA_USER
    };
    pub const CREATE_ECHO: CheckDef = CheckDef {
        id: "users.create.echo",
        grade: RfcShould,
        cite: &[Rfc(7644, "3.3")],
        needed: "the response to show the userName, name and active Okta sent",
        why: "the 201 body is the created resource",
    };
    pub const CREATE_USER_NAME_KEPT: CheckDef = CheckDef {
        id: "users.create.user-name-kept",
        grade: OktaRequired,
        cite: &[Wire("3.1")],
        needed: "the userName stored as sent (case may differ)",
        why: "Okta finds the user again by that userName before every reassignment",
    };
    pub const CREATE_LOCATION: CheckDef = CheckDef {
        id: "users.create.location",
        grade: RfcShould,
        cite: &[Rfc(7644, "3.3")],
        needed: "a Location header with the user's URL",
        why: "clients use it to address the new resource",
    };
    pub const CREATE_CONFLICT: CheckDef = CheckDef {
        id: "users.create.no-conflict-after-precheck",
        grade: OktaRequired,
        cite: &[Wire("3.1"), Wire("3.4")],
        needed: "the pre-check to find a user whose create would conflict",
        why: "if the userName filter misses an existing user, Okta POSTs and the 409 fails the assignment",
    };
    pub const LINK_GET: CheckDef = CheckDef {
        id: "users.link.get",
        grade: OktaRequired,
        cite: &[Wire("3.3")],
        needed: "200 with the existing user",
        why: "Okta links an existing user by reading it, then writing its profile",
    };
    pub static LINK_PUT: Subject =
        Subject::new("users.link.put", &put::USER, &[Wire("3.3")], "", "");
    pub const NO_DUPLICATE_CREATE: CheckDef = CheckDef {
        id: "users.assign.no-duplicate-create",
        grade: OktaRequired,
        cite: &[Wire("3.3"), TestPlan("C9335")],
        needed: "no second user: an existing user is found by the pre-check and linked",
        why: "the test plan (C9335) requires a user already in the app to be linked, not duplicated",
    };
    pub static DUPLICATE: Subject = Subject::new(
        "users.create.duplicate",
        &error::SHAPE_409,
        &[Wire("3.2"), SpecStep(14)],
        "",
        "a duplicate userName must be refused; Okta's SPEC test requires 409",
    );
    pub const DUPLICATE_SCIM_TYPE: CheckDef = CheckDef {
        id: "users.create.duplicate.scim-type",
        grade: RfcShould,
        cite: &[Rfc(7644, "3.12")],
        needed: "\"scimType\": \"uniqueness\"",
        why: "the RFC's error type for a uniqueness conflict",
    };
    pub static LOOKUP_CASE: Subject =
        Subject::new("users.lookup-case", &list::SHAPE, &[Wire("3.1")], "", "");
    pub const LOOKUP_CASE_FOUND: CheckDef = CheckDef {
        id: "users.lookup-case.found",
        grade: RfcMust,
        cite: &[Rfc(7643, "4.1.1"), Wire("3.1")],
        needed: "the user found by a userName filter that differs only in case",
        why: "userName is caseExact false; an Okta username may differ in case from the app's, and a pre-check that misses the user makes Okta POST a duplicate",
    };
    pub static UNIQUE_LOOKUP: Subject =
        Subject::new("users.unique.lookup", &list::SHAPE, &[Wire("3.1")], "", "");
    pub const EXACTLY_ONE: CheckDef = CheckDef {
        id: "users.assign.exactly-one",
        grade: OktaRequired,
        cite: &[Wire("3.3"), TestPlan("C9335")],
        needed: "one user with this userName after assignment",
        why: "a user already in the app must be linked, not duplicated",
    };
}

// ---- Profile push and password sync (okta-scim-wire §4) ------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod profile {
    use super::*;

    pub static UPDATE: Subject = Subject::new(
        "users.update",
        &get_put::SHAPE,
        &[Wire("4")],
        "",
        "Okta pushes profile changes as a GET then a PUT of the whole user",
    );
    pub static PASSWORD: Subject = Subject::new(
        "users.password",
        &get_put::SHAPE,
        &[Wire("4")],
        "",
        "AIW apps receive password sync as a GET then a PUT with password",
    );
    pub const PASSWORD_PATCH: CheckDef = CheckDef {
        id: "users.password.patch",
        grade: OktaRequired,
        cite: &[Wire("4")],
        needed: "200 or 204 for a PATCH replacing the password",
        why: "OIN apps receive password sync as a PATCH (its exact body is UNCONFIRMED: --password-body)",
    };
    pub const PASSWORD_NOT_RETURNED: CheckDef = CheckDef {
        id: "users.password.not-returned",
        grade: RfcMust,
        cite: &[Rfc(7643, "4.1.1")],
        needed: "no password in the answer",
        why: "password is returned: never",
    };
}

// ---- Deactivate, reactivate, unassign, reassign (okta-scim-wire §5) -------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod lifecycle {
    use super::*;

    pub static DEACTIVATE: Subject = Subject::new(
        "users.deactivate",
        &set_active::SHAPE,
        &[Wire("5.1"), Quirk(1)],
        "",
        "Okta deactivates users this way and never deletes them",
    );
    pub static REACTIVATE: Subject = Subject::new(
        "users.reactivate",
        &set_active::SHAPE,
        &[Wire("5.1")],
        "",
        "Okta reactivates users this way",
    );
    pub static UNASSIGN: Subject = Subject::new(
        "users.unassign",
        &set_active::SHAPE,
        &[Wire("5.3")],
        "",
        "unassignment sends what deactivation sends; Okta never DELETEs users",
    );
    pub static REASSIGN: Subject = Subject::new(
        "users.reassign",
        &set_active::SHAPE,
        &[Wire("5.3")],
        "",
        "reassignment reactivates the same user",
    );
}

// ---- Users read back (okta-scim-wire §5, §10.2) --------------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod user_readback {
    use super::*;

    pub static READ: Subject = Subject::new(
        "users.readback",
        &readback::SHAPE,
        &[Wire("5"), Wire("10.2")],
        "",
        "",
    );
    pub const INACTIVE: CheckDef = CheckDef {
        id: "users.readback.inactive",
        grade: OktaRequired,
        cite: &[Wire("5"), Quirk(22)],
        needed: "the user shows \"active\": false",
        why: "Okta deactivates instead of deleting; the user must stay readable with active false",
    };
    pub const ACTIVE: CheckDef = CheckDef {
        id: "users.readback.active",
        grade: OktaRequired,
        cite: &[Wire("5"), Wire("10.2")],
        needed: "the user shows \"active\": true",
        why: "assignment and reactivation must leave the user active",
    };
    pub const SAME_ID: CheckDef = CheckDef {
        id: "users.readback.same-id",
        grade: OktaRequired,
        cite: &[Quirk(22), TestPlan("C9293")],
        needed: "the user keeps the id it got at its first assignment",
        why: "reactivation reuses the same SCIM id (test plan C9293, CRUD step 14)",
    };
    pub const PROFILE: CheckDef = CheckDef {
        id: "users.readback.profile",
        grade: OktaRequired,
        cite: &[Wire("4"), Wire("10.2")],
        needed: "the user shows the userName, givenName and familyName Okta pushed",
        why: "Okta's CRUD test reads the new givenName back after the update",
    };
}

// ---- Attributes, discovery, entitlements (okta-attributes-entitlements-oauth) -------------

/// Custom and extension attributes, group-assigned values (okta-attributes-entitlements-oauth
/// §1, §4).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod attributes {
    use super::*;

    pub const STORED: CheckDef = CheckDef {
        id: "attributes.readback.stored",
        grade: OktaRequired,
        cite: &[Attributes("1"), Attributes("4")],
        needed: "reading the user back shows every attribute Okta pushed, where Okta put it: core ones top level, extension ones under their URN",
        why: "Okta keeps the app profile in sync and never reads it back: an attribute the app drops or misplaces is lost without a trace",
    };
    pub const ECHO_KEPT: CheckDef = CheckDef {
        id: "attributes.put.echo-kept",
        grade: RfcMust,
        cite: &[Wire("4"), Quirk(9), Rfc(7644, "3.5.1")],
        needed: "after Okta's PUT, the values Okta does not own (echoed from the app's own GET) are still there",
        why: "Okta's PUT replaces the whole user with the app's own representation plus Okta's attributes; extension data Okta does not own comes back unchanged and must stay",
    };
    pub const READONLY_IGNORED: CheckDef = CheckDef {
        id: "attributes.readonly.ignored",
        grade: RfcMust,
        cite: &[Rfc(7644, "3.5.1")],
        needed: "a value for a readOnly attribute in Okta's body is ignored: the request succeeds and the value is not stored",
        why: "RFC 7644 §3.5.1: readOnly values a client sends SHALL be ignored; Okta sends every mapped attribute, whatever the app declares",
    };
    pub const IMMUTABLE_REFUSED: CheckDef = CheckDef {
        id: "attributes.immutable.refused",
        grade: RfcMust,
        cite: &[Rfc(7644, "3.5.1"), Rfc(7644, "3.12")],
        needed: "400 with scimType \"mutability\" for a change of an immutable attribute",
        why: "Okta shows the app's SCIM error to the admin (okta-scim-wire §8.6): a clear mutability error says which value cannot change",
    };
    pub const IMMUTABLE_KEPT: CheckDef = CheckDef {
        id: "attributes.immutable.kept",
        grade: RfcMust,
        cite: &[Rfc(7643, "7")],
        needed: "an immutable attribute keeps the value it was created with",
        why: "immutable: \"the attribute MAY be defined at resource creation … but SHALL NOT be updated\"",
    };
    pub const PATCH_STATUS: CheckDef = CheckDef {
        id: "attributes.patch.status",
        grade: OktaRequired,
        cite: &[Attributes("1")],
        needed: "200 with the user, or 204, for a path-less replace carrying the whole app profile (extension objects keyed by URN)",
        why: "with --profile-push patch, Okta sends profile updates this way (its exact body is UNCONFIRMED)",
    };
}

/// Import User Schema: what a target declares in `/ResourceTypes` and `/Schemas`, and whether it
/// behaves as declared (okta-attributes-entitlements-oauth §1, §2; RFC 7643 §6, §7).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod discovery {
    use super::*;

    pub const RESOURCE_TYPES_STATUS: CheckDef = CheckDef {
        id: "discovery.resource-types.status-200",
        grade: OktaRequired,
        cite: &[Attributes("1"), Attributes("2"), Rfc(7644, "4")],
        needed: "200 with a ListResponse of resource types for GET /ResourceTypes",
        why: "Import User Schema takes extension attributes from the User resource type's schemaExtensions; entitlement discovery starts here",
    };
    pub const RESOURCE_TYPES_VALID: CheckDef = CheckDef {
        id: "discovery.resource-types.valid",
        grade: RfcMust,
        cite: &[Rfc(7643, "6")],
        needed: "every resource type with name, endpoint and schema; a User type at /Users",
        why: "clients find endpoints and schemas only through these documents",
    };
    pub const SCHEMAS_STATUS: CheckDef = CheckDef {
        id: "discovery.schemas.status-200",
        grade: OktaRequired,
        cite: &[Attributes("1"), Rfc(7644, "4")],
        needed: "200 with a ListResponse of schemas for GET /Schemas",
        why: "Import User Schema takes the core attributes from the core User schema in /Schemas",
    };
    pub const SCHEMAS_VALID: CheckDef = CheckDef {
        id: "discovery.schemas.valid",
        grade: RfcMust,
        cite: &[Rfc(7643, "7")],
        needed: "every schema with an id and attributes that name a valid type, mutability and returned; every schema a resource type names is served",
        why: "a schema that cannot be read gives Okta no attributes to map",
    };
    pub const ACCEPTED: CheckDef = CheckDef {
        id: "discovery.attribute.accepted",
        grade: RfcMust,
        cite: &[Rfc(7643, "7"), Attributes("1")],
        needed: "a create carrying a value of the declared type for a declared writable attribute succeeds",
        why: "Okta maps discovered attributes and sends them in every create: a declared attribute the app refuses breaks every assignment",
    };
    pub const RETURNED: CheckDef = CheckDef {
        id: "discovery.attribute.returned",
        grade: RfcMust,
        cite: &[Rfc(7643, "7")],
        needed: "an attribute declared returned \"default\" or \"always\" is returned with the value it was given",
        why: "/Schemas promises it is stored and returned; a behaviour that differs from the document misleads every client that trusts it",
    };
    pub const UPDATED: CheckDef = CheckDef {
        id: "discovery.attribute.updated",
        grade: RfcMust,
        cite: &[Rfc(7643, "7"), Attributes("1")],
        needed: "a PUT with a new value for a declared readWrite attribute stores it",
        why: "Okta pushes profile changes of mapped attributes with a PUT of the whole user",
    };
    pub const NEVER_RETURNED: CheckDef = CheckDef {
        id: "discovery.attribute.never-returned",
        grade: RfcMust,
        cite: &[Rfc(7643, "7")],
        needed: "an attribute declared returned \"never\" is not returned",
        why: "returned never: the attribute SHALL NOT be returned (passwords and secrets)",
    };
}

/// SCIM with entitlements: discovery of Roles and Entitlements, Okta's Entitlements test, grants
/// (okta-attributes-entitlements-oauth §2).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod entitlements {
    use super::*;

    pub const PAGE: CheckDef = CheckDef {
        id: "entitlements.values.page",
        grade: OktaRequired,
        cite: &[Attributes("2")],
        needed: "200 with a JSON body listing the values in Resources, for every page",
        why: "Okta reads every Role and Entitlement value, paged; it tolerates an itemsPerPage or ListResponse schemas that differ (B1), not a page it cannot read",
    };
    pub const COMPLETE: CheckDef = CheckDef {
        id: "entitlements.values.complete",
        grade: OktaRequired,
        cite: &[Attributes("2"), Rfc(7644, "3.4.2.4")],
        needed: "paging by startIndex and count yields every value exactly once, as many as totalResults says",
        why: "\"Okta retrieves all values\": a page that repeats or skips values leaves grants Okta cannot offer",
    };
    pub const FIELDS: CheckDef = CheckDef {
        id: "entitlements.values.fields",
        grade: OktaRequired,
        cite: &[Attributes("2")],
        needed: "every value with its id and display name (in the configured field names); an Entitlement's type equal to its resource type's name",
        why: "Okta stores a grant by its id and shows its display name; an Entitlement's type is its category",
    };
    pub const TEST_PAGE: CheckDef = CheckDef {
        id: "entitlements.test.one-per-page",
        grade: OktaRequired,
        cite: &[Attributes("2")],
        needed: "for ?count=1&startIndex=1: a ListResponse with itemsPerPage 1 and one resource",
        why: "Okta's Entitlements test (Okta-SCIM-20-Entitlements-Test) asserts exactly this",
    };
    pub const GRANTED: CheckDef = CheckDef {
        id: "entitlements.grant.stored",
        grade: OktaRequired,
        cite: &[Attributes("2")],
        needed: "after Okta's PUT carrying roles and entitlements, the user reads back with those grants",
        why: "grants travel in the core User roles and entitlements; an app that drops them never grants access",
    };
    pub const IMPORTED: CheckDef = CheckDef {
        id: "entitlements.import.matched",
        grade: OktaRequired,
        cite: &[Attributes("2")],
        needed: "imported users' roles and entitlements name values the app publishes",
        why: "Okta matches users' existing grants to discovered values on import",
    };
}

/// An integration's own promises, as its guide states them (integration profiles).
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod vendor {
    use super::*;

    pub const PROMISE_KEPT: CheckDef = CheckDef {
        id: "vendor.promise.kept",
        grade: OktaRequired,
        cite: &[
            Seed("000"),
            Seed("001"),
            Seed("002"),
            Seed("003"),
            Seed("004"),
        ],
        needed: "the app behaves as its guide promises for the setting named in the detail (the guide's sentence is quoted there)",
        why: "the integration profile configures Okta as the guide tells the admin to; an app that breaks the guide's promise breaks the integration its customers set up",
    };
    pub const DEPROVISIONED: CheckDef = CheckDef {
        id: "vendor.deprovisioned",
        grade: OktaRequired,
        cite: &[Wire("5"), Quirk(21), Seed("003")],
        needed: "the app user inactive after the Okta event the guide says deprovisions it",
        why: "a guide that promises deprovisioning on an event Okta sends nothing for (suspension) leaves the user active in the app",
    };
}

// ---- OAuth 2.0 for the SCIM connection (okta-attributes-entitlements-oauth §3) -------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod oauth {
    use super::*;

    pub const AUTHORIZED: CheckDef = CheckDef {
        id: "oauth.code-flow.authorized",
        grade: OktaRequired,
        cite: &[Attributes("3"), Rfc(6749, "4.1.2"), Rfc(6749, "5.1")],
        needed: "the authorize endpoint redirects to Okta's callback with a code and Okta's state; the token endpoint trades the code for a Bearer access_token",
        why: "\"Authenticate with {App}\" is an authorization-code flow; the SCIM connection has no credential until it completes",
    };
    pub const REFRESHED: CheckDef = CheckDef {
        id: "oauth.token.refreshed",
        grade: OktaRequired,
        cite: &[Attributes("3"), Rfc(6749, "6")],
        needed: "a refresh_token grant answered with a new access token, which the SCIM API accepts",
        why: "Okta refreshes an expired token when a SCIM operation needs it; a refresh that fails breaks the connection until the admin authenticates again",
    };
}

// ---- Group Push (okta-scim-wire §6, §7) ----------------------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod group_push {
    use super::*;

    pub static LOOKUP: Subject = Subject::new("groups.lookup", &list::SHAPE, &[Wire("7")], "", "");
    pub const LOOKUP_404: CheckDef = CheckDef {
        id: "groups.lookup.empty-list-not-404",
        grade: OktaTolerated,
        cite: &[Wire("7"), Quirk(18)],
        needed: "200 with totalResults 0 when no group has that name",
        why: "a 404 on a filter is tolerated, 200 is what the docs show",
    };
    pub const CREATE_ANSWERED: CheckDef = CheckDef {
        id: "groups.create.answered",
        cite: &[Wire("6.1")],
        ..common::ANSWERED
    };
    pub const CREATE_STATUS: CheckDef = CheckDef {
        id: "groups.create.status-201",
        grade: OktaRequired,
        cite: &[Wire("6.1")],
        needed: "201 with the group",
        why: "Okta marks the push failed otherwise",
    };
    pub const CREATE_ID: CheckDef = CheckDef {
        id: "groups.create.id",
        grade: OktaRequired,
        cite: &[Wire("6.1")],
        needed: "the created group with a non-empty id",
        why: "Okta stores that id for every membership update",
    };
    pub const CREATE_SCHEMA: CheckDef = CheckDef {
        id: "groups.create.schema",
        ..common::SCHEMA_GROUP
    };
    pub static RENAME: Subject = Subject::new(
        "groups.rename.pathless-patch",
        &group_patch::SHAPE,
        &[Wire("6.4"), Quirk(3)],
        "200 or 204 for a path-less replace with id and displayName in value",
        "",
    );
    pub static MEMBERS: Subject = Subject::new(
        "groups.members.patch",
        &group_patch::SHAPE,
        &[Wire("6.2"), Quirk(4)],
        "200 or 204 for removes with members[value eq \"…\"] paths, then one add",
        "",
    );
    pub static PUSH_NOW: Subject = Subject::new(
        "groups.push-now.replace",
        &group_patch::SHAPE,
        &[Wire("6.2"), Quirk(6)],
        "200 or 204 for a replace of members with the full list (also [])",
        "",
    );
    pub const GET: CheckDef = CheckDef {
        id: "groups.get.status-200",
        grade: OktaRequired,
        cite: &[Wire("6.3")],
        needed: "200 with the group",
        why: "AIW apps read the group before every PUT",
    };
    pub static PUT: Subject = Subject::new("groups.put", &put::GROUP, &[Wire("6.3")], "", "");
    pub const DELETE_ANSWERED: CheckDef = CheckDef {
        id: "groups.delete.answered",
        cite: &[Wire("6.5")],
        ..common::ANSWERED
    };
    pub const DELETE: CheckDef = CheckDef {
        id: "groups.delete.status-204",
        grade: OktaRequired,
        cite: &[Wire("6.5")],
        needed: "204 No Content (200 is accepted too)",
        why: "Okta deletes the app group when an admin unlinks with \"Delete the group in the target app\"",
    };
    pub static GONE: Subject = Subject::new(
        "groups.delete.gone",
        &error::SHAPE_404,
        &[Wire("6.5"), Rfc(7644, "3.6")],
        "",
        "a deleted group must answer 404",
    );
    pub const READBACK: CheckDef = CheckDef {
        id: "groups.readback.status-200",
        grade: OktaRequired,
        cite: &[Wire("6")],
        needed: "200 for GET /Groups/{id}",
        why: "a pushed group must stay readable",
    };
    pub const NO_DUPLICATE_MEMBERS: CheckDef = CheckDef {
        id: "groups.members.no-duplicates",
        grade: RfcMust,
        cite: &[Rfc(7643, "2.4"), Wire("6.2")],
        needed: "each member once",
        why: "Okta sends an add of members already present (e.g. after a POST with members); they must not repeat",
    };
    pub const READBACK_MEMBERS: CheckDef = CheckDef {
        id: "groups.readback.members",
        grade: OktaRequired,
        cite: &[Wire("6.2")],
        needed: "the group's members to be exactly the users Okta pushed",
        why: "Group Push keeps app group membership equal to the Okta group",
    };
    pub const UNKNOWN_MEMBER: CheckDef = CheckDef {
        id: "groups.members.unknown-id",
        grade: OktaRequired,
        cite: &[Wire("6.2"), Rfc(7643, "4.2")],
        needed: "200 or 204 (the unknown id left out), or 400 with a SCIM Error, for an add of a member whose user the app deleted",
        why: "Okta still holds the id of a user deleted in the app and pushes it; a server error fails every later push of the group",
    };
    pub const MEMBERS_KNOWN: CheckDef = CheckDef {
        id: "groups.members.known",
        grade: RfcMust,
        cite: &[Rfc(7643, "4.2")],
        needed: "every member's value to be the id of a user the app has (GET /Users/{value} answers 200)",
        why: "a member id that names no user is a dangling reference: clients that follow it fail, and the group's real membership is unknown",
    };
    pub const READBACK_NAME: CheckDef = CheckDef {
        id: "groups.readback.name",
        grade: OktaRequired,
        cite: &[Wire("6.4"), TestPlan("C9315"), TestPlan("C9330")],
        needed: "the displayName Okta set: the Okta name when renaming is on, the app's own when it is off",
        why: "with renaming on the app group follows the Okta name; with it off it keeps its own",
    };
}

// ---- Writes read back ----------------------------------------------------------------------

/// After every write Okta relies on, okta-sim reads the resource back (with its own
/// User-Agent): an app that answers 200 but does not apply the change fails here.
#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod applied {
    use super::*;

    const WHY: &str = "Okta trusts a 2xx answer and never looks again: a change the app acknowledged but did not store is lost without a trace";

    pub const USER_CREATE: CheckDef = CheckDef {
        id: "users.create.applied",
        grade: OktaRequired,
        cite: &[Wire("3.2")],
        needed: "the created user to read back with the userName, name, active and externalId Okta sent",
        why: WHY,
    };
    pub const USER_LINK: CheckDef = CheckDef {
        id: "users.link.applied",
        grade: OktaRequired,
        cite: &[Wire("3.3")],
        needed: "the linked user to read back with Okta's userName and name",
        why: WHY,
    };
    pub const USER_UPDATE: CheckDef = CheckDef {
        id: "users.update.applied",
        grade: OktaRequired,
        cite: &[Wire("4")],
        needed: "the user to read back with the profile Okta pushed",
        why: WHY,
    };
    pub static USER_RENAME: Subject = Subject::new(
        "users.rename",
        &get_put::SHAPE,
        &[Wire("4")],
        "",
        "Okta pushes a changed username as a GET then a PUT of the whole user",
    );
    pub const USER_RENAME_APPLIED: CheckDef = CheckDef {
        id: "users.rename.applied",
        grade: OktaRequired,
        cite: &[Wire("4")],
        needed: "the user to read back with the new userName and email",
        why: WHY,
    };
    pub const USER_ACTIVE: CheckDef = CheckDef {
        id: "users.active.applied",
        grade: OktaRequired,
        cite: &[Wire("5"), Quirk(1)],
        needed: "the user to read back with the active value Okta set",
        why: WHY,
    };
    pub const GROUP_CREATE: CheckDef = CheckDef {
        id: "groups.create.applied",
        grade: OktaRequired,
        cite: &[Wire("6.1")],
        needed: "the pushed group to read back with its name and every member Okta pushed",
        why: WHY,
    };
    pub const GROUP_MEMBERS: CheckDef = CheckDef {
        id: "groups.members.applied",
        grade: OktaRequired,
        cite: &[Wire("6.2"), Quirk(4)],
        needed: "the group to read back with every member Okta added and none it removed",
        why: WHY,
    };
    pub const GROUP_RENAME: CheckDef = CheckDef {
        id: "groups.rename.applied",
        grade: OktaRequired,
        cite: &[Wire("6.4")],
        needed: "the group to read back with the name Okta set",
        why: WHY,
    };
}

// ---- Link Group (okta-scim-wire §7) --------------------------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod group_link {
    use super::*;

    pub static LOOKUP: Subject =
        Subject::new("groups.link.lookup", &list::SHAPE, &[Wire("7")], "", "");
    pub const FOUND_BY_NAME: CheckDef = CheckDef {
        id: "groups.link.found-by-name",
        grade: OktaRequired,
        cite: &[Wire("7")],
        needed: "the app group found by displayName eq its exact name",
        why: "Okta finds groups by name when it has no id (Link Group, Import Groups off)",
    };
}

// ---- Single sign-on (okta-saml §1) ---------------------------------------------------------

#[allow(missing_docs)] // each check documents itself: id, needed, why
pub mod sso {
    use super::*;

    pub static IDP_INITIATED: Subject = Subject::new(
        "sso.idp-initiated",
        &login::SHAPE,
        &[Saml("1.2"), Saml("1.3")],
        "",
        "",
    );
    pub static JIT_UPDATE: Subject = Subject::new(
        "sso.jit-update",
        &login::SHAPE,
        &[Saml("1.2"), Saml("1.3")],
        "",
        "",
    );
    pub static SP_INITIATED: Subject = Subject::new(
        "sso.sp-initiated",
        &login::SHAPE,
        &[Saml("1.2"), SamlProfiles("4.1.4.3")],
        "",
        "",
    );
    pub const SP_INITIATED_REDIRECT: CheckDef = CheckDef {
        id: "sso.sp-initiated.redirect",
        grade: OktaRequired,
        cite: &[Saml("1.3"), SamlBindings("3.4")],
        needed: "a redirect to the IdP's SSO URL carrying a DEFLATE+base64 SAMLRequest with an ID",
        why: "SP-initiated sign-in starts with an AuthnRequest over HTTP-Redirect",
    };
    pub const ATTRIBUTE_EMAIL: CheckDef = CheckDef {
        id: "sso.attributes.email",
        grade: OktaRequired,
        cite: &[Saml("1.2"), Seed("000"), Seed("001"), Seed("003")],
        needed: "the email from the email attribute",
        why: "the vendor guides map Okta's attribute statements onto the app's profile",
    };
    pub const ATTRIBUTE_NAME: CheckDef = CheckDef {
        id: "sso.attributes.name",
        needed: "the name from firstName + \" \" + lastName",
        ..ATTRIBUTE_EMAIL
    };
    pub const ATTRIBUTE_GROUPS: CheckDef = CheckDef {
        id: "sso.attributes.groups",
        needed: "every group of the groups attribute, one AttributeValue each",
        ..ATTRIBUTE_EMAIL
    };
    pub static JIT_LOOKUP: Subject = Subject::new(
        "sso.jit.lookup",
        &list::SHAPE,
        &[Saml("1"), Seed("000")],
        "",
        "",
    );
    pub const JIT_USER: CheckDef = CheckDef {
        id: "sso.jit.user",
        grade: OktaRequired,
        cite: &[Saml("1"), Seed("000"), Seed("001")],
        needed: "the signed-in user provisioned just in time, with Okta's first and last name",
        why: "with JIT on, the first sign-in creates the user and later ones update it",
    };
    pub static REPLAY_FIRST: Subject =
        Subject::new("sso.replay.first", &login::SHAPE, &[Saml("1")], "", "");
    pub const REPLAY_REFUSED: CheckDef = CheckDef {
        id: "sso.replay.refused",
        grade: RfcMust,
        cite: &[Saml("3.3"), SamlProfiles("4.1.4.5")],
        needed: "the second post of the same assertion refused",
        why: "bearer assertions are one-time use; a captured response must not sign anyone in again",
    };
    pub static IN_RESPONSE_TO_FIRST: Subject = Subject::new(
        "sso.in-response-to.first",
        &login::SHAPE,
        &[Saml("1")],
        "",
        "",
    );
    pub const IN_RESPONSE_TO_REUSE: CheckDef = CheckDef {
        id: "sso.in-response-to.reuse-refused",
        grade: RfcMust,
        cite: &[Saml("3.3")],
        needed: "a second response to the same AuthnRequest refused",
        why: "each AuthnRequest is answered once; a second answer is a replay",
    };
}

// ---- The catalogue as a whole --------------------------------------------------------------

/// One entry of a group: a plain check, or a subject with its shape's checks.
pub enum Entry {
    /// A plain check.
    Check(&'static CheckDef),
    /// A subject, with every check of its shape.
    Subject(&'static Subject),
}

/// The checks of one Okta operation or SAML flow.
pub struct Group {
    /// The group's short name, e.g. `group-push`.
    pub name: &'static str,
    /// The title lists and documents show.
    pub title: &'static str,
    /// Its checks and subjects.
    pub entries: &'static [Entry],
}

use Entry::{Check as C, Subject as S};

/// Every group, in the order of the features.
pub static GROUPS: &[Group] = &[
    Group {
        name: "credentials",
        title: "Test API Credentials (okta-scim-wire §1)",
        entries: &[
            S(&credentials::USERS_PROBE),
            S(&credentials::GROUPS_PROBE),
            S(&credentials::WRONG_TOKEN),
            C(&credentials::WWW_AUTHENTICATE),
        ],
    },
    Group {
        name: "spec",
        title: "Okta's SCIM 2.0 SPEC test (okta-scim-wire §10.1)",
        entries: &[
            S(&spec::STEP_00),
            C(&spec::STEP_00_FIRST_USER),
            C(&spec::STEP_02),
            S(&spec::STEP_04),
            C(&spec::STEP_04_NO_MATCH),
            S(&spec::STEP_06),
            S(&spec::STEP_08),
            C(&spec::STEP_08_NO_MATCH),
            C(&spec::STEP_10_CREATE),
            C(&spec::STEP_10_ECHO),
            C(&spec::STEP_12),
            C(&spec::STEP_14),
            C(&spec::STEP_16_STATUS),
            C(&spec::STEP_16_FOUND),
            C(&spec::STEP_18),
            S(&spec::STEP_20),
            S(&spec::STEP_22),
        ],
    },
    Group {
        name: "import",
        title: "Import users and groups (okta-scim-wire §2)",
        entries: &[
            S(&import::USERS_PAGE),
            S(&import::USERS),
            C(&import::INACTIVE_MARKED),
            C(&import::USERS_COUNT),
            S(&import::GROUPS_PAGE),
            S(&import::GROUPS),
        ],
    },
    Group {
        name: "assign",
        title: "Assignment: userName pre-check, create or link (okta-scim-wire §3)",
        entries: &[
            S(&assign::PRECHECK),
            C(&assign::PRECHECK_404),
            C(&assign::CREATE_ANSWERED),
            C(&assign::CREATE_STATUS),
            C(&assign::CREATE_ID),
            C(&assign::CREATE_SCHEMA),
            C(&assign::CREATE_ECHO),
            C(&assign::CREATE_USER_NAME_KEPT),
            C(&assign::CREATE_LOCATION),
            C(&assign::CREATE_CONFLICT),
            C(&assign::LINK_GET),
            S(&assign::LINK_PUT),
            C(&assign::NO_DUPLICATE_CREATE),
            S(&assign::DUPLICATE),
            C(&assign::DUPLICATE_SCIM_TYPE),
            S(&assign::LOOKUP_CASE),
            C(&assign::LOOKUP_CASE_FOUND),
            S(&assign::UNIQUE_LOOKUP),
            C(&assign::EXACTLY_ONE),
        ],
    },
    Group {
        name: "profile",
        title: "Profile push and password sync (okta-scim-wire §4)",
        entries: &[
            S(&profile::UPDATE),
            C(&profile::PASSWORD_PATCH),
            C(&profile::PASSWORD_NOT_RETURNED),
            S(&profile::PASSWORD),
        ],
    },
    Group {
        name: "vendor",
        title: "An integration's own promises, quoted from its guide (integration profiles)",
        entries: &[C(&vendor::PROMISE_KEPT), C(&vendor::DEPROVISIONED)],
    },
    Group {
        name: "attributes",
        title: "Custom and extension attributes, group-assigned values (okta-attributes-entitlements-oauth §1, §4)",
        entries: &[
            C(&attributes::STORED),
            C(&attributes::ECHO_KEPT),
            C(&attributes::READONLY_IGNORED),
            C(&attributes::IMMUTABLE_REFUSED),
            C(&attributes::IMMUTABLE_KEPT),
            C(&attributes::PATCH_STATUS),
        ],
    },
    Group {
        name: "discovery",
        title: "Import User Schema: /ResourceTypes, /Schemas and what the app does with them (okta-attributes-entitlements-oauth §1)",
        entries: &[
            C(&discovery::RESOURCE_TYPES_STATUS),
            C(&discovery::RESOURCE_TYPES_VALID),
            C(&discovery::SCHEMAS_STATUS),
            C(&discovery::SCHEMAS_VALID),
            C(&discovery::ACCEPTED),
            C(&discovery::RETURNED),
            C(&discovery::UPDATED),
            C(&discovery::NEVER_RETURNED),
        ],
    },
    Group {
        name: "entitlements",
        title: "SCIM with entitlements: discovery, Okta's Entitlements test, grants (okta-attributes-entitlements-oauth §2)",
        entries: &[
            C(&entitlements::PAGE),
            C(&entitlements::COMPLETE),
            C(&entitlements::FIELDS),
            C(&entitlements::TEST_PAGE),
            C(&entitlements::GRANTED),
            C(&entitlements::IMPORTED),
        ],
    },
    Group {
        name: "oauth",
        title: "OAuth 2.0 for the SCIM connection (okta-attributes-entitlements-oauth §3)",
        entries: &[C(&oauth::AUTHORIZED), C(&oauth::REFRESHED)],
    },
    Group {
        name: "lifecycle",
        title: "Deactivate, reactivate, unassign, reassign (okta-scim-wire §5)",
        entries: &[
            S(&lifecycle::DEACTIVATE),
            S(&lifecycle::REACTIVATE),
            S(&lifecycle::UNASSIGN),
            S(&lifecycle::REASSIGN),
        ],
    },
    Group {
        name: "user-readback",
        title: "Users read back as Okta's tests do (okta-scim-wire §5, §10.2)",
        entries: &[
            S(&user_readback::READ),
            C(&user_readback::INACTIVE),
            C(&user_readback::ACTIVE),
            C(&user_readback::SAME_ID),
            C(&user_readback::PROFILE),
        ],
    },
    Group {
        name: "group-push",
        title: "Group Push (okta-scim-wire §6)",
        entries: &[
            S(&group_push::LOOKUP),
            C(&group_push::LOOKUP_404),
            C(&group_push::CREATE_ANSWERED),
            C(&group_push::CREATE_STATUS),
            C(&group_push::CREATE_ID),
            C(&group_push::CREATE_SCHEMA),
            S(&group_push::RENAME),
            S(&group_push::MEMBERS),
            S(&group_push::PUSH_NOW),
            C(&group_push::GET),
            S(&group_push::PUT),
            C(&group_push::DELETE_ANSWERED),
            C(&group_push::DELETE),
            S(&group_push::GONE),
            C(&group_push::READBACK),
            C(&group_push::NO_DUPLICATE_MEMBERS),
            C(&group_push::READBACK_MEMBERS),
            C(&group_push::READBACK_NAME),
            C(&group_push::UNKNOWN_MEMBER),
            C(&group_push::MEMBERS_KNOWN),
        ],
    },
    Group {
        name: "applied",
        title: "Writes read back: what Okta wrote is what the app stored",
        entries: &[
            C(&applied::USER_CREATE),
            C(&applied::USER_LINK),
            C(&applied::USER_UPDATE),
            S(&applied::USER_RENAME),
            C(&applied::USER_RENAME_APPLIED),
            C(&applied::USER_ACTIVE),
            C(&applied::GROUP_CREATE),
            C(&applied::GROUP_MEMBERS),
            C(&applied::GROUP_RENAME),
        ],
    },
    Group {
        name: "group-link",
        title: "Link Group (okta-scim-wire §7)",
        entries: &[S(&group_link::LOOKUP), C(&group_link::FOUND_BY_NAME)],
    },
    Group {
        name: "sso",
        title: "Single sign-on (okta-saml §1)",
        entries: &[
            S(&sso::IDP_INITIATED),
            C(&sso::SP_INITIATED_REDIRECT),
            S(&sso::SP_INITIATED),
            S(&sso::JIT_UPDATE),
            C(&sso::ATTRIBUTE_EMAIL),
            C(&sso::ATTRIBUTE_NAME),
            C(&sso::ATTRIBUTE_GROUPS),
            S(&sso::JIT_LOOKUP),
            C(&sso::JIT_USER),
            S(&sso::REPLAY_FIRST),
            C(&sso::REPLAY_REFUSED),
            S(&sso::IN_RESPONSE_TO_FIRST),
            C(&sso::IN_RESPONSE_TO_REUSE),
        ],
    },
];

/// The checks of one attack case: `sso.attack.{name}`, graded `rfc-must` (SHA-1 by policy).
pub fn attack_subject(attack: &'static AttackDef, sha1: Grade) -> Subject {
    Subject {
        id: Cow::Owned(format!("sso.attack.{}", attack.name)),
        shape: &attack::SHAPE,
        cite: Cow::Borrowed(&[Cite::Saml("3")]),
        needed: Cow::Owned(format!("the ACS to refuse it ({})", attack.describe)),
        why: Cow::Borrowed(""),
        grade: attack.sha1_policy.then_some(sha1),
    }
}

/// A check as the catalogue lists it, with its group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    /// The group the check belongs to.
    pub group: &'static str,
    /// The check.
    #[serde(flatten)]
    pub check: CheckSpec,
}

/// Every check okta-sim can record, in catalogue order: the groups above, then one subject per
/// case of the SAML attack catalogue.
pub fn all() -> Vec<Listed> {
    let mut out = Vec::new();
    for g in GROUPS {
        for e in g.entries {
            let specs = match e {
                Entry::Check(d) => vec![CheckSpec::from(*d)],
                Entry::Subject(s) => s.specs(),
            };
            out.extend(specs.into_iter().map(|check| Listed {
                group: g.name,
                check,
            }));
        }
    }
    for a in crate::saml::attacks::ATTACKS {
        for check in attack_subject(a, Grade::RfcShould).specs() {
            // Only wrapping cases can be accepted "bound to the signed assertion".
            if check.id.ends_with(".refused") && !a.class.binds_to_signed() {
                continue;
            }
            out.push(Listed {
                group: "saml-attacks",
                check,
            });
        }
    }
    out
}

/// The catalogue as text, one check a line: id, grade, citation, what it needs.
pub fn render_text(list: &[Listed]) -> String {
    let width = list.iter().map(|l| l.check.id.len()).max().unwrap_or(0);
    let mut s = String::new();
    let mut group = "";
    for l in list {
        if l.group != group {
            if !group.is_empty() {
                s.push('\n');
            }
            group = l.group;
            s.push_str(&format!("{}\n", group_title(group)));
        }
        s.push_str(&format!(
            "  {:width$}  {:14}  {}\n      needs: {}\n",
            l.check.id,
            l.check.grade.name(),
            super::check::render_cites(&l.check.cite),
            l.check.needed,
        ));
    }
    s.push_str(&format!("\n{} checks\n", list.len()));
    s
}

/// The catalogue as a Markdown document (`docs/checks.md`).
pub fn render_markdown(list: &[Listed]) -> String {
    let mut s = String::from(
        "# The check catalogue\n\n\
         Every check `okta-sim check` can record, generated from the catalogue in\n\
         `src/conformance/catalogue.rs` (`okta-sim check --list` prints the same; `--list --format json`\n\
         for tools). Grades: `okta-required` and `rfc-must` fail the run, `rfc-should` and\n\
         `okta-tolerated` are warnings. Citations point into [`docs/reference/`](reference/).\n",
    );
    let mut group = "";
    for l in list {
        if l.group != group {
            group = l.group;
            s.push_str(&format!(
                "\n## {}\n\n| check | grade | citation | needs |\n|---|---|---|---|\n",
                group_title(group)
            ));
        }
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            l.check.id,
            l.check.grade.name(),
            super::check::render_cites(&l.check.cite),
            l.check.needed.replace('|', "\\|"),
        ));
    }
    s.push_str(&format!("\n{} checks in all.\n", list.len()));
    s
}

fn group_title(name: &str) -> &'static str {
    GROUPS
        .iter()
        .find(|g| g.name == name)
        .map(|g| g.title)
        .unwrap_or("The SP attack catalogue (okta-saml §3)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique() {
        let mut seen = HashSet::new();
        for l in all() {
            assert!(
                seen.insert(l.check.id.clone()),
                "duplicate id {}",
                l.check.id
            );
        }
        assert!(seen.len() >= 70, "only {} checks", seen.len());
    }

    #[test]
    fn every_check_says_what_is_needed_and_why_and_cites_something() {
        for l in all() {
            let c = &l.check;
            assert!(!c.needed.trim().is_empty(), "{}: no needed", c.id);
            assert!(!c.why.trim().is_empty(), "{}: no why", c.id);
            assert!(!c.cite.is_empty(), "{}: no citation", c.id);
        }
    }
}
