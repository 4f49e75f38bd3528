//! One graded check: an id, a grade, the reference sections it enforces, and on failure what was
//! sent, what came back, what Okta needs and why, with a JSON diff where one helps
//! (ARCHITECTURE.md, "How a check reads").
//!
//! Checks are declared once, as data, in [`super::catalogue`]: a [`CheckDef`] is one check; a
//! [`Shape`] is a set of checks every answer of one kind gets (a ListResponse, a SCIM Error…),
//! instantiated for each [`Subject`] (an exchange that must answer that way), whose id prefixes
//! the shape's. Grading code records checks only through these definitions.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::okta::wire::{Exchange, brief};

/// How much a failed check matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    /// Okta's integration breaks.
    OktaRequired,
    /// The RFCs say MUST.
    RfcMust,
    /// The RFCs say SHOULD.
    RfcShould,
    /// Okta copes; other clients may not (a warning).
    OktaTolerated,
}

impl Grade {
    /// The grade as reports write it, e.g. `okta-required`.
    pub fn name(self) -> &'static str {
        match self {
            Grade::OktaRequired => "okta-required",
            Grade::RfcMust => "rfc-must",
            Grade::RfcShould => "rfc-should",
            Grade::OktaTolerated => "okta-tolerated",
        }
    }
    /// Whether a failure of this grade fails the run (exit code 1).
    pub fn fails_run(self) -> bool {
        matches!(self, Grade::OktaRequired | Grade::RfcMust)
    }
}

/// Where a rule comes from. Every variant names something a test finds in `docs/reference/`
/// (the reference documents, the seed guides, and the sections of the standards they cite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cite {
    /// A numbered section of okta-scim-wire, e.g. `Wire("5.1")`.
    Wire(&'static str),
    /// A numbered item of okta-scim-wire's quirk list.
    Quirk(u8),
    /// A step of Okta's SCIM 2.0 SPEC test (okta-scim-wire §10.1).
    SpecStep(u8),
    /// A case of Okta's manual OIN test plan (okta-scim-wire §10.6), e.g. `TestPlan("C9335")`.
    TestPlan(&'static str),
    /// A numbered section of okta-saml.
    Saml(&'static str),
    /// A numbered section of okta-attributes-entitlements-oauth.
    Attributes(&'static str),
    /// A seed vendor guide by its number, e.g. `Seed("002")`.
    Seed(&'static str),
    /// A section of an RFC, e.g. `Rfc(7644, "3.12")`.
    Rfc(u16, &'static str),
    /// A section of SAML 2.0 core (saml-core-2.0-os).
    SamlCore(&'static str),
    /// A section of the SAML 2.0 bindings (saml-bindings-2.0-os).
    SamlBindings(&'static str),
    /// A section of the SAML 2.0 profiles (saml-profiles-2.0-os).
    SamlProfiles(&'static str),
}

impl Cite {
    /// The document the citation points into, as citations name it.
    pub fn document(self) -> Cow<'static, str> {
        match self {
            Cite::Wire(_) | Cite::Quirk(_) | Cite::SpecStep(_) | Cite::TestPlan(_) => {
                "okta-scim-wire".into()
            }
            Cite::Saml(_) => "okta-saml".into(),
            Cite::Attributes(_) => "okta-attributes-entitlements-oauth".into(),
            Cite::Seed(_) => "seed".into(),
            Cite::Rfc(n, _) => format!("RFC {n}").into(),
            Cite::SamlCore(_) => "SAML core".into(),
            Cite::SamlBindings(_) => "SAML bindings".into(),
            Cite::SamlProfiles(_) => "SAML profiles".into(),
        }
    }

    /// The part after the document's name: `§5.1`, `quirk 14`, `§10.1 step 20`, `002`.
    pub fn locator(self) -> String {
        match self {
            Cite::Wire(s)
            | Cite::Saml(s)
            | Cite::Attributes(s)
            | Cite::Rfc(_, s)
            | Cite::SamlCore(s)
            | Cite::SamlBindings(s)
            | Cite::SamlProfiles(s) => format!("§{s}"),
            Cite::Quirk(n) => format!("quirk {n}"),
            Cite::SpecStep(n) => format!("§10.1 step {n}"),
            Cite::TestPlan(c) => format!("test plan {c}"),
            Cite::Seed(n) => n.to_string(),
        }
    }
}

/// Citations as one line, naming each document once: `okta-scim-wire §2, quirk 14, RFC 7644 §3.12`.
pub fn render_cites(cites: &[Cite]) -> String {
    let mut out = String::new();
    let mut last_doc: Option<Cow<'static, str>> = None;
    for c in cites {
        let doc = c.document();
        if !out.is_empty() {
            out.push_str(", ");
        }
        // A test-plan case reads on its own ("test plan C9335"); other locators follow their document.
        let standalone = matches!(c, Cite::TestPlan(_));
        if last_doc.as_ref() != Some(&doc) && !standalone {
            out.push_str(&doc);
            out.push(' ');
        }
        out.push_str(&c.locator());
        last_doc = Some(doc);
    }
    out
}

/// One check, declared once in the catalogue.
///
/// In a [`Shape`], `id` is the suffix after the subject's id (empty: the subject's own id), and
/// an empty `cite`, `needed` or `why` is the subject's.
#[derive(Debug)]
pub struct CheckDef {
    /// The id (in a shape: the suffix after the subject's id).
    pub id: &'static str,
    /// How much a failure matters.
    pub grade: Grade,
    /// Where the rule is written.
    pub cite: &'static [Cite],
    /// What the app must do, said so a vendor can act on it.
    pub needed: &'static str,
    /// Why Okta (or the RFC) needs it.
    pub why: &'static str,
}

/// The checks every answer of one kind gets (a ListResponse, a SCIM Error, an accepted PUT…).
#[derive(Debug)]
pub struct Shape {
    /// The shape's name.
    pub name: &'static str,
    /// What answers of this shape are.
    pub about: &'static str,
    /// The checks every such answer gets.
    pub checks: &'static [&'static CheckDef],
}

/// An exchange graded with a [`Shape`]: its checks are named `{id}.{suffix}`.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The id its checks are named under.
    pub id: Cow<'static, str>,
    /// The checks it gets.
    pub shape: &'static Shape,
    /// Where the rule is written, for the shape's checks that leave it open.
    pub cite: Cow<'static, [Cite]>,
    /// What the shape's main check (the one with an empty id) needs, when the shape leaves it open.
    pub needed: Cow<'static, str>,
    /// Why, for the shape's checks that leave it open.
    pub why: Cow<'static, str>,
    /// Replaces the grade of the shape's main check (a policy, e.g. `--sha1-policy`).
    pub grade: Option<Grade>,
}

impl Subject {
    /// A subject declared in the catalogue.
    pub const fn new(
        id: &'static str,
        shape: &'static Shape,
        cite: &'static [Cite],
        needed: &'static str,
        why: &'static str,
    ) -> Subject {
        Subject {
            id: Cow::Borrowed(id),
            shape,
            cite: Cow::Borrowed(cite),
            needed: Cow::Borrowed(needed),
            why: Cow::Borrowed(why),
            grade: None,
        }
    }

    /// The full check of one of the shape's members for this subject.
    pub fn spec(&self, member: &CheckDef) -> CheckSpec {
        let id = if member.id.is_empty() {
            self.id.to_string()
        } else {
            format!("{}.{}", self.id, member.id)
        };
        let pick = |own: &'static str, subject: &Cow<'static, str>| {
            if own.is_empty() {
                subject.to_string()
            } else {
                own.to_string()
            }
        };
        CheckSpec {
            id,
            grade: match (member.id.is_empty(), self.grade) {
                (true, Some(g)) => g,
                _ => member.grade,
            },
            cite: if member.cite.is_empty() {
                self.cite.to_vec()
            } else {
                member.cite.to_vec()
            },
            needed: pick(member.needed, &self.needed),
            why: pick(member.why, &self.why),
        }
    }

    /// Every check of the subject, as the catalogue lists them.
    pub fn specs(&self) -> Vec<CheckSpec> {
        self.shape.checks.iter().map(|m| self.spec(m)).collect()
    }
}

/// A check with everything filled in: what is recorded and what `check --list` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckSpec {
    /// The full id.
    pub id: String,
    /// How much a failure matters.
    pub grade: Grade,
    /// Where the rule is written.
    #[serde(serialize_with = "serialize_cites")]
    pub cite: Vec<Cite>,
    /// What the app must do.
    pub needed: String,
    /// Why Okta (or the RFC) needs it.
    pub why: String,
}

fn serialize_cites<S: serde::Serializer>(cites: &[Cite], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&render_cites(cites))
}

impl From<&CheckDef> for CheckSpec {
    fn from(d: &CheckDef) -> Self {
        CheckSpec {
            id: d.id.to_string(),
            grade: d.grade,
            cite: d.cite.to_vec(),
            needed: d.needed.to_string(),
            why: d.why.to_string(),
        }
    }
}

/// A check as recorded in a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The full id.
    pub id: String,
    /// How much a failure matters.
    pub grade: Grade,
    /// The reference sections, e.g. `okta-scim-wire §5.1`.
    pub source: String,
    /// Whether the app did what was needed.
    pub passed: bool,
    /// The request it is about, shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// What came back, shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    /// What the app must do.
    pub needed: String,
    /// Why Okta (or the RFC) needs it.
    pub why: String,
    /// What differed (a JSON diff, or the values compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// For a failure the integration profile expects (its promise collides with what Okta
    /// does): the promise, Okta's behaviour and what the customer sees. It does not fail the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collision: Option<String>,
    /// The transaction id of the task whose answer failed it (System Log, type JOB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    /// The uuid of that task's System Log event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// What Okta's admin console would show for that task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_message: Option<String>,
    /// The number in the run of the exchange it judged (the exchange's `seq`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<u64>,
}

impl Check {
    /// A failure that fails the run.
    pub fn is_blocking_failure(&self) -> bool {
        !self.passed && self.grade.fails_run() && self.collision.is_none()
    }

    /// The text block of ARCHITECTURE.md for a failed check (one line for a passed one).
    pub fn render(&self) -> String {
        let verdict = if self.passed {
            "PASS"
        } else if self.collision.is_some() {
            "KNOWN"
        } else if self.grade.fails_run() {
            "FAIL"
        } else {
            "WARN"
        };
        let mut s = format!(
            "{verdict} [{}] {}  ({})",
            self.grade.name(),
            self.id,
            self.source
        );
        if self.passed {
            return s;
        }
        if let Some(sent) = &self.sent {
            s.push_str(&format!("\n  sent     {sent}"));
        }
        if let Some(got) = &self.got {
            s.push_str(&format!("\n  got      {got}"));
        }
        s.push_str(&format!("\n  needed   {}", self.needed));
        s.push_str(&format!("\n  why      {}", self.why));
        if let Some(c) = &self.collision {
            s.push_str(&format!("\n  known    {c}"));
        }
        match (&self.transaction, &self.event) {
            (Some(t), Some(e)) => s.push_str(&format!("\n  okta     transaction {t}, event {e}")),
            (Some(t), None) => s.push_str(&format!("\n  okta     transaction {t}")),
            _ => {}
        }
        if let Some(m) = &self.admin_message {
            s.push_str(&format!("\n  console  {m}"));
        }
        if let Some(diff) = &self.diff {
            for (i, line) in diff.lines().enumerate() {
                s.push_str(&format!(
                    "\n  {}{line}",
                    if i == 0 { "diff     " } else { "         " }
                ));
            }
        }
        s
    }
}

/// Collects the checks of one scenario.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Checks {
    /// The checks, in the order they were made.
    pub items: Vec<Check>,
    /// Failures the run's integration profile expects, by check id, with their text.
    #[serde(skip)]
    pub known: Option<std::sync::Arc<std::collections::BTreeMap<String, String>>>,
}

impl Checks {
    /// Record a check of the catalogue about one exchange.
    pub fn record(&mut self, def: &CheckDef, passed: bool, ex: Option<&Exchange>) -> bool {
        self.push(CheckSpec::from(def), passed, ex, None)
    }

    /// Record a check, with what differed (shown only when it failed).
    pub fn record_detail(
        &mut self,
        def: &CheckDef,
        passed: bool,
        ex: Option<&Exchange>,
        detail: Option<String>,
    ) -> bool {
        self.push(CheckSpec::from(def), passed, ex, detail)
    }

    /// Record one check of a subject's shape.
    pub fn record_as(
        &mut self,
        subject: &Subject,
        member: &CheckDef,
        passed: bool,
        ex: Option<&Exchange>,
        detail: Option<String>,
    ) -> bool {
        self.push(subject.spec(member), passed, ex, detail)
    }

    fn push(
        &mut self,
        spec: CheckSpec,
        passed: bool,
        ex: Option<&Exchange>,
        detail: Option<String>,
    ) -> bool {
        self.items.push(Check {
            source: render_cites(&spec.cite),
            id: spec.id,
            grade: spec.grade,
            passed,
            sent: ex.map(Exchange::sent),
            got: ex.map(Exchange::got),
            needed: spec.needed,
            why: spec.why,
            diff: if passed { None } else { detail },
            collision: None,
            transaction: None,
            event: None,
            admin_message: None,
            exchange: ex.map(|e| e.seq).filter(|s| *s > 0),
        });
        if !passed
            && let Some(known) = &self.known
            && let Some(last) = self.items.last_mut()
        {
            last.collision = known.get(&last.id).cloned();
        }
        passed
    }

    /// The failed checks that fail the run.
    pub fn blocking_failures(&self) -> impl Iterator<Item = &Check> {
        self.items.iter().filter(|c| c.is_blocking_failure())
    }

    /// The failed checks that do not fail the run.
    pub fn warnings(&self) -> impl Iterator<Item = &Check> {
        self.items
            .iter()
            .filter(|c| !c.passed && !c.grade.fails_run())
    }
}

/// A readable diff of `expected` (a subset) against `actual`, from assert-json-diff.
pub fn json_diff(actual: &Value, expected: &Value) -> Option<String> {
    let config = assert_json_diff::Config::new(assert_json_diff::CompareMode::Inclusive);
    assert_json_diff::assert_json_matches_no_panic(actual, expected, config)
        .err()
        .map(|d| brief_lines(&d, 12))
}

fn brief_lines(s: &str, max_lines: usize) -> String {
    let lines: Vec<String> = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| brief(l, 200))
        .collect();
    if lines.len() <= max_lines {
        lines.join("\n")
    } else {
        format!(
            "{}\n… ({} more lines)",
            lines[..max_lines].join("\n"),
            lines.len() - max_lines
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const READBACK: CheckDef = CheckDef {
        id: "users.readback.inactive",
        grade: Grade::OktaRequired,
        cite: &[Cite::Wire("5.1")],
        needed: "GET shows \"active\": false",
        why: "Okta deactivates users with a path-less replace",
    };

    #[test]
    fn a_failed_check_reads_like_the_architecture_example() {
        let mut c = Checks::default();
        c.record_detail(
            &READBACK,
            false,
            None,
            json_diff(
                &json!({"active": true, "userName": "a"}),
                &json!({"active": false}),
            ),
        );
        let text = c.items[0].render();
        assert!(
            text.starts_with("FAIL [okta-required] users.readback.inactive  (okta-scim-wire §5.1)"),
            "{text}"
        );
        assert!(text.contains("needed   GET shows"), "{text}");
        assert!(text.contains("diff     "), "{text}");
        assert!(text.contains("active"), "{text}");
        assert_eq!(c.blocking_failures().count(), 1);
    }

    #[test]
    fn tolerated_failures_are_warnings() {
        let mut c = Checks::default();
        c.record(
            &CheckDef {
                grade: Grade::OktaTolerated,
                ..READBACK
            },
            false,
            None,
        );
        assert!(c.items[0].render().starts_with("WARN"));
        assert_eq!(c.blocking_failures().count(), 0);
        assert_eq!(c.warnings().count(), 1);
    }

    #[test]
    fn citations_name_each_document_once() {
        use Cite::*;
        assert_eq!(
            render_cites(&[Wire("2"), Quirk(14)]),
            "okta-scim-wire §2, quirk 14"
        );
        assert_eq!(
            render_cites(&[Wire("3.2"), SpecStep(14)]),
            "okta-scim-wire §3.2, §10.1 step 14"
        );
        assert_eq!(
            render_cites(&[Rfc(7643, "4.1.1"), Wire("3.1")]),
            "RFC 7643 §4.1.1, okta-scim-wire §3.1"
        );
        assert_eq!(
            render_cites(&[Wire("6.4"), TestPlan("C9315"), TestPlan("C9330")]),
            "okta-scim-wire §6.4, test plan C9315, test plan C9330"
        );
        assert_eq!(render_cites(&[Seed("000"), Seed("001")]), "seed 000, 001");
    }

    #[test]
    fn a_subject_fills_in_what_its_shape_leaves_open() {
        const MAIN: CheckDef = CheckDef {
            id: "",
            grade: Grade::OktaRequired,
            cite: &[],
            needed: "",
            why: "own why",
        };
        const SUB: CheckDef = CheckDef {
            id: "answered",
            grade: Grade::OktaRequired,
            cite: &[Cite::Wire("8.4")],
            needed: "an answer",
            why: "",
        };
        static SHAPE: Shape = Shape {
            name: "t",
            about: "t",
            checks: &[&MAIN, &SUB],
        };
        let mut s = Subject::new(
            "groups.members.patch",
            &SHAPE,
            &[Cite::Wire("6.2")],
            "200 or 204",
            "subject why",
        );
        s.grade = Some(Grade::RfcShould);
        let specs = s.specs();
        assert_eq!(specs[0].id, "groups.members.patch");
        assert_eq!(specs[0].needed, "200 or 204");
        assert_eq!(specs[0].why, "own why");
        assert_eq!(specs[0].grade, Grade::RfcShould);
        assert_eq!(specs[0].cite, vec![Cite::Wire("6.2")]);
        assert_eq!(specs[1].id, "groups.members.patch.answered");
        assert_eq!(specs[1].why, "subject why");
        assert_eq!(specs[1].grade, Grade::OktaRequired);
        assert_eq!(specs[1].cite, vec![Cite::Wire("8.4")]);
    }
}
