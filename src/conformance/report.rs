//! Results of a run and the reports written from them: one line per scenario on the terminal,
//! a JUnit XML file for CI test views, a JSON file with every check.

use std::path::Path;

use serde::Serialize;

use super::check::Check;
use crate::okta::exchange::Exchange;
use crate::okta::redact::Redactor;
use crate::text::escape_controls;

/// How a scenario ended.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    /// Every check that fails the run passed.
    Passed,
    /// A check that fails the run failed, or a step could not run.
    Failed {
        /// Why, for people.
        reason: String,
    },
    /// The scenario does not apply to this run (the other app kind's, no SP…).
    Skipped {
        /// Why, for people.
        reason: String,
    },
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The feature's name.
    pub feature: String,
    /// The scenario's name.
    pub scenario: String,
    /// Its tags, with `@`.
    pub tags: Vec<String>,
    /// Its steps as written (`Given …`), backgrounds first; empty when it did not run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took.
    pub duration_ms: f64,
    /// Every check it made, in order.
    pub checks: Vec<Check>,
    /// What the scenario observed, e.g. the identity outcome of an attack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ScenarioResult {
    /// Make what the target sent safe to keep and print: the credential redacted wherever the
    /// target echoed it, control characters (terminal escapes, carriage returns, bidi
    /// overrides) written out; newlines only where okta-sim puts them (reasons and diffs).
    pub fn sanitize(&mut self, redactor: &Redactor) {
        fn clean(text: &mut String, redactor: &Redactor, keep_newlines: bool) {
            redactor.redact_in_place(text);
            if let std::borrow::Cow::Owned(safe) = escape_controls(text, keep_newlines) {
                *text = safe;
            }
        }
        match &mut self.outcome {
            Outcome::Failed { reason } | Outcome::Skipped { reason } => {
                clean(reason, redactor, true)
            }
            Outcome::Passed => {}
        }
        if let Some(n) = self.note.as_mut() {
            clean(n, redactor, false);
        }
        for c in &mut self.checks {
            for field in [c.sent.as_mut(), c.got.as_mut()].into_iter().flatten() {
                clean(field, redactor, false);
            }
            if let Some(d) = c.diff.as_mut() {
                clean(d, redactor, true);
            }
        }
    }

    /// How many checks failed without failing the run.
    pub fn warnings(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| !c.passed && !c.grade.fails_run())
            .count()
    }

    /// How many checks failed that fail the run.
    pub fn blocking(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.is_blocking_failure())
            .count()
    }

    /// One line, plus the failed checks (and warnings, shortly) below it.
    pub fn render(&self) -> String {
        let (word, extra) = match &self.outcome {
            Outcome::Passed => ("PASS", String::new()),
            Outcome::Failed { .. } => ("FAIL", String::new()),
            Outcome::Skipped { reason } => ("SKIP", format!("  [{reason}]")),
        };
        if let Outcome::Skipped { .. } = self.outcome {
            return format!("{word}  {} › {}{extra}", self.feature, self.scenario);
        }
        let passed = self.checks.iter().filter(|c| c.passed).count();
        let note = self
            .note
            .as_ref()
            .map(|n| format!("  → {n}"))
            .unwrap_or_default();
        let mut s = format!(
            "{word}  {} › {}  ({passed}/{} checks{}){extra}{note}",
            self.feature,
            self.scenario,
            self.checks.len(),
            match self.warnings() {
                0 => String::new(),
                n => format!(", {n} warning{}", if n == 1 { "" } else { "s" }),
            }
        );
        for c in self
            .checks
            .iter()
            .filter(|c| c.is_blocking_failure() || (!c.passed && c.collision.is_some()))
        {
            for line in c.render().lines() {
                s.push_str("\n    ");
                s.push_str(line);
            }
        }
        if let Outcome::Failed { reason } = &self.outcome
            && self.blocking() == 0
        {
            for line in reason.lines() {
                s.push_str("\n    ");
                s.push_str(line);
            }
        }
        for c in self
            .checks
            .iter()
            .filter(|c| !c.passed && !c.grade.fails_run())
        {
            s.push_str(&format!(
                "\n    WARN [{}] {}  ({}): {}",
                c.grade.name(),
                c.id,
                c.source,
                c.needed
            ));
        }
        s
    }
}

/// The counts of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Scenarios passed.
    pub passed: usize,
    /// Scenarios failed.
    pub failed: usize,
    /// Scenarios skipped.
    pub skipped: usize,
    /// Checks that failed without failing the run.
    pub warnings: usize,
    /// Whether an `okta-required` or `rfc-must` check failed.
    pub blocking_failures: usize,
}

impl Summary {
    /// The counts of these results.
    pub fn of(results: &[ScenarioResult]) -> Summary {
        let mut s = Summary::default();
        for r in results {
            match r.outcome {
                Outcome::Passed => s.passed += 1,
                Outcome::Failed { .. } => s.failed += 1,
                Outcome::Skipped { .. } => s.skipped += 1,
            }
            s.warnings += r.warnings();
            s.blocking_failures += r.blocking();
        }
        s
    }

    /// `12 passed, 0 failed, 3 skipped, 2 warnings`
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped, {} warnings",
            self.passed, self.failed, self.skipped, self.warnings
        )
    }
}

/// What a report says of the run itself.
#[derive(Debug, Clone, Serialize)]
pub struct RunMeta {
    /// The target, as the first line of output names it.
    pub target: String,
    /// `oin` or `aiw`.
    pub app_kind: String,
    /// The integration profile the simulated Okta was configured as, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The seed: the same seed reproduces the run.
    pub seed: u64,
    /// The command that runs it again (the credential as an environment variable).
    pub command: String,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    tool: &'static str,
    version: &'static str,
    #[serde(flatten)]
    meta: &'a RunMeta,
    summary: &'a Summary,
    scenarios: &'a [ScenarioResult],
    /// Every exchange, bodies as excerpts, the credential redacted; checks name them by `seq`.
    exchanges: &'a [Exchange],
    /// The run's System Log events.
    events: &'a [serde_json::Value],
}

/// The JSON report as a value: the run (target, app kind, profile, seed, the command that
/// reproduces it), the counts, every scenario with its steps and checks, every exchange (bodies
/// as excerpts) and System Log event. The HTML report is written from the same value.
pub fn report_value(
    meta: &RunMeta,
    results: &[ScenarioResult],
    exchanges: &[Exchange],
    events: &[serde_json::Value],
) -> serde_json::Value {
    let summary = Summary::of(results);
    serde_json::to_value(JsonReport {
        tool: "okta-sim",
        version: env!("CARGO_PKG_VERSION"),
        meta,
        summary: &summary,
        scenarios: results,
        exchanges,
        events,
    })
    .unwrap_or_default()
}

/// Write the JSON report ([`report_value`]).
pub fn write_json(path: &Path, report: &serde_json::Value) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}

/// JUnit XML: one test suite per feature, one test case per scenario.
pub fn junit_xml(results: &[ScenarioResult]) -> Result<String, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("okta-sim");
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in results {
        let idx = match suites.iter().position(|s| s.name.as_str() == r.feature) {
            Some(i) => i,
            None => {
                suites.push(TestSuite::new(r.feature.clone()));
                suites.len() - 1
            }
        };
        let status = match &r.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed { reason } => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let first = r
                    .checks
                    .iter()
                    .find(|c| c.is_blocking_failure())
                    .map(|c| format!("{} [{}]", c.id, c.grade.name()));
                st.set_message(
                    first.unwrap_or_else(|| reason.lines().next().unwrap_or("failed").to_string()),
                );
                st.set_type("okta-sim check");
                let mut text: Vec<String> = r
                    .checks
                    .iter()
                    .filter(|c| c.is_blocking_failure())
                    .map(|c| c.render())
                    .collect();
                if text.is_empty() {
                    text.push(reason.clone());
                }
                st.set_description(text.join("\n\n"));
                st
            }
            Outcome::Skipped { reason } => {
                let mut st = TestCaseStatus::skipped();
                st.set_message(reason.clone());
                st
            }
        };
        let mut case = TestCase::new(r.scenario.clone(), status);
        case.set_classname(format!("okta-sim.{}", r.feature));
        case.set_time(std::time::Duration::from_secs_f64(r.duration_ms / 1000.0));
        let out: Vec<String> = r.checks.iter().map(|c| c.render()).collect();
        case.set_system_out(out.join("\n"));
        suites[idx].add_test_case(case);
    }
    report.add_test_suites(suites);
    report.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::catalogue::assign::CREATE_STATUS;
    use crate::conformance::check::Checks;

    fn result(outcome: Outcome, passed: bool) -> ScenarioResult {
        let mut c = Checks::default();
        c.record(&CREATE_STATUS, passed, None);
        ScenarioResult {
            feature: "assign".into(),
            scenario: "A new user".into(),
            tags: vec![],
            steps: vec![],
            outcome,
            duration_ms: 3.0,
            checks: c.items,
            note: None,
        }
    }

    #[test]
    fn summary_line_counts_outcomes() {
        let rs = vec![
            result(Outcome::Passed, true),
            result(Outcome::Failed { reason: "x".into() }, false),
            result(
                Outcome::Skipped {
                    reason: "aiw only".into(),
                },
                true,
            ),
        ];
        let s = Summary::of(&rs);
        assert_eq!(s.line(), "1 passed, 1 failed, 1 skipped, 0 warnings");
        assert_eq!(s.blocking_failures, 1);
        assert!(
            rs[1]
                .render()
                .contains("FAIL [okta-required] users.create.status-201")
        );
    }

    #[test]
    fn junit_has_a_failure_per_failed_scenario() {
        let rs = vec![
            result(Outcome::Passed, true),
            result(Outcome::Failed { reason: "x".into() }, false),
        ];
        let xml = junit_xml(&rs).unwrap();
        assert!(
            xml.contains("<testsuite name=\"assign\" tests=\"2\""),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"users.create.status-201 [okta-required]\""),
            "{xml}"
        );
    }
}
