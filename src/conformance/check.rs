//! One graded check: an id, a grade, the reference section it enforces, and on failure what was
//! sent, what came back, what Okta needs and why, with a JSON diff where one helps
//! (ARCHITECTURE.md, "How a check reads").

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

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: String,
    pub grade: Grade,
    /// The reference section, e.g. `okta-scim-wire §5.1`.
    pub source: String,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    pub needed: String,
    pub why: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl Check {
    /// A failure that fails the run.
    pub fn is_blocking_failure(&self) -> bool {
        !self.passed && self.grade.fails_run()
    }

    /// The text block of ARCHITECTURE.md for a failed check (one line for a passed one).
    pub fn render(&self) -> String {
        let verdict = if self.passed {
            "PASS"
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

/// The facts a check needs besides pass/fail.
pub struct Spec<'a> {
    pub id: &'a str,
    pub grade: Grade,
    pub source: &'a str,
    pub needed: &'a str,
    pub why: &'a str,
}

/// Collects the checks of one scenario.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Checks {
    pub items: Vec<Check>,
}

impl Checks {
    /// Record a check about one exchange.
    pub fn check(&mut self, spec: Spec<'_>, passed: bool, ex: Option<&Exchange>) -> bool {
        self.push(spec, passed, ex, None);
        passed
    }

    /// Record a check, with a diff of what was expected against what came back.
    pub fn check_with_diff(
        &mut self,
        spec: Spec<'_>,
        passed: bool,
        ex: Option<&Exchange>,
        diff: Option<String>,
    ) -> bool {
        self.push(spec, passed, ex, diff);
        passed
    }

    fn push(&mut self, spec: Spec<'_>, passed: bool, ex: Option<&Exchange>, diff: Option<String>) {
        self.items.push(Check {
            id: spec.id.to_string(),
            grade: spec.grade,
            source: spec.source.to_string(),
            passed,
            sent: ex.map(Exchange::sent),
            got: ex.map(Exchange::got),
            needed: spec.needed.to_string(),
            why: spec.why.to_string(),
            diff: if passed { None } else { diff },
        });
    }

    pub fn blocking_failures(&self) -> impl Iterator<Item = &Check> {
        self.items.iter().filter(|c| c.is_blocking_failure())
    }

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

    #[test]
    fn a_failed_check_reads_like_the_architecture_example() {
        let mut c = Checks::default();
        c.check_with_diff(
            Spec {
                id: "users.deactivate.readback",
                grade: Grade::OktaRequired,
                source: "okta-scim-wire §5.1",
                needed: "GET shows \"active\": false",
                why: "Okta deactivates users with a path-less replace",
            },
            false,
            None,
            json_diff(
                &json!({"active": true, "userName": "a"}),
                &json!({"active": false}),
            ),
        );
        let text = c.items[0].render();
        assert!(
            text.starts_with(
                "FAIL [okta-required] users.deactivate.readback  (okta-scim-wire §5.1)"
            ),
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
        c.check(
            Spec {
                id: "x",
                grade: Grade::OktaTolerated,
                source: "s",
                needed: "n",
                why: "w",
            },
            false,
            None,
        );
        assert!(c.items[0].render().starts_with("WARN"));
        assert_eq!(c.blocking_failures().count(), 0);
        assert_eq!(c.warnings().count(), 1);
    }
}
