//! What a run will do, decided before anything is sent: the feature files (embedded in the
//! binary, plus the user's own), parsed and expanded; the scenarios the tag expression selects;
//! which of them are skipped and why; and every step matched against the step vocabulary, so a
//! step that matches no definition is reported with its text, file and line.
//!
//! A selection that runs no scenario is a usage error, never "0 passed".

use std::path::{Path, PathBuf};

use cucumber::World as _;
use cucumber::feature::Ext as _;
use cucumber::gherkin::{self, GherkinEnv, tagexpr::TagOperation};
use cucumber::tag::Ext as _;

use super::world::OktaWorld;
use crate::okta::wire::AppKind;

/// The embedded feature files, so an installed `okta-sim` works anywhere.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "01_credentials.feature",
        include_str!("../../features/01_credentials.feature"),
    ),
    (
        "02_spec_test.feature",
        include_str!("../../features/02_spec_test.feature"),
    ),
    (
        "03_import.feature",
        include_str!("../../features/03_import.feature"),
    ),
    (
        "04_assign.feature",
        include_str!("../../features/04_assign.feature"),
    ),
    (
        "05_profile.feature",
        include_str!("../../features/05_profile.feature"),
    ),
    (
        "06_lifecycle.feature",
        include_str!("../../features/06_lifecycle.feature"),
    ),
    (
        "07_crud.feature",
        include_str!("../../features/07_crud.feature"),
    ),
    (
        "08_group_push.feature",
        include_str!("../../features/08_group_push.feature"),
    ),
    (
        "09_group_link.feature",
        include_str!("../../features/09_group_link.feature"),
    ),
    (
        "10_sso.feature",
        include_str!("../../features/10_sso.feature"),
    ),
    (
        "11_sso_attacks.feature",
        include_str!("../../features/11_sso_attacks.feature"),
    ),
    (
        "12_attributes.feature",
        include_str!("../../features/12_attributes.feature"),
    ),
    (
        "13_schema_discovery.feature",
        include_str!("../../features/13_schema_discovery.feature"),
    ),
    (
        "14_entitlements.feature",
        include_str!("../../features/14_entitlements.feature"),
    ),
];

/// The vendor features (`features/vendors/NAME.feature`), run with `--profile NAME`.
pub(crate) const VENDOR_FEATURES: &[(&str, &str)] = &[
    (
        "atlan",
        include_str!("../../features/vendors/atlan.feature"),
    ),
    (
        "natoma",
        include_str!("../../features/vendors/natoma.feature"),
    ),
    (
        "attio",
        include_str!("../../features/vendors/attio.feature"),
    ),
    (
        "atomation",
        include_str!("../../features/vendors/atomation.feature"),
    ),
    (
        "workato",
        include_str!("../../features/vendors/workato.feature"),
    ),
];

/// Where the embedded files say they come from, in messages.
const EMBEDDED_DIR: &str = "features (embedded)";

/// Why a run cannot be planned (a usage error: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The tag expression does not parse.
    #[error("invalid --tags expression {expr:?}: {reason}")]
    Tags {
        /// The expression as given.
        expr: String,
        /// Why it does not parse.
        reason: String,
    },
    /// `--features` names no directory, or one without feature files.
    #[error("--features {0}: {1}")]
    FeatureDir(PathBuf, &'static str),
    /// A feature file cannot be read.
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, String),
    /// Feature files do not parse.
    #[error("cannot read the feature files:\n{}", .0.join("\n"))]
    Parse(Vec<String>),
    /// The tag expression selects no scenario.
    #[error("--tags {expr:?} selects no scenario (of {total} in the features)")]
    NothingSelected {
        /// The expression as given.
        expr: String,
        /// How many scenarios the features hold.
        total: usize,
    },
    /// The feature files hold no scenario at all.
    #[error("the feature files hold no scenario")]
    NoScenarios,
    /// Every selected scenario is skipped.
    #[error("the selection runs no scenario: all {count} selected are skipped ({reasons})")]
    AllSkipped {
        /// How many were selected.
        count: usize,
        /// Why they are skipped.
        reasons: String,
    },
}

/// What the run can reach, which decides what is skipped.
#[derive(Debug, Clone)]
pub(crate) struct Reach {
    pub app_kind: AppKind,
    /// Tags of features the integration leaves off, each with why.
    pub features_off: Vec<(&'static str, &'static str)>,
    /// The integration profile's name: its vendor feature runs too, when there is one.
    pub vendor: Option<String>,
    pub scim: bool,
    pub sso: bool,
    pub sp_login: bool,
    pub sp_whoami: bool,
}

impl Reach {
    /// Why a scenario with these tags cannot run here, if it cannot.
    fn skip_reason(&self, tags: &[String]) -> Option<String> {
        let has = |t: &str| tags.iter().any(|x| x == t);
        let other = match self.app_kind {
            AppKind::Oin => "aiw",
            AppKind::Aiw => "oin",
        };
        let saml = has("saml");
        if let Some((tag, why)) = self.features_off.iter().find(|(t, _)| has(t)) {
            Some(format!("@{tag}: {why}"))
        } else if has(other) {
            Some(format!("@{other} only"))
        } else if saml && !self.sso {
            Some("no SP to sign in to: give --sp-acs and --sp-audience".to_string())
        } else if (!saml || has("jit")) && !self.scim {
            Some("no SCIM target: give --target".to_string())
        } else if has("sp-initiated") && !self.sp_login {
            Some("needs the SP's login start URL: give --sp-login".to_string())
        } else if has("whoami") && !self.sp_whoami {
            Some("needs the SP's whoami URL: give --sp-whoami".to_string())
        } else {
            None
        }
    }
}

/// What becomes of one selected scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fate {
    Run,
    Skip(String),
    /// It cannot run: a step matches no definition, or more than one.
    Invalid(String),
}

/// One selected scenario, in feature order.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub feature: String,
    pub scenario: String,
    /// Feature, rule and scenario tags, with `@`.
    pub tags: Vec<String>,
    pub fate: Fate,
    /// The steps to run, backgrounds first (empty unless the scenario runs).
    pub steps: Vec<gherkin::Step>,
}

impl Slot {
    /// `feature/scenario`: what names the scenario to its World (its seed, its System Log
    /// events) and to the exchanges it sends.
    pub fn key(&self) -> String {
        format!("{}/{}", self.feature, self.scenario)
    }
}

/// The run, decided.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Every selected scenario, in order.
    pub slots: Vec<Slot>,
}

impl Plan {
    /// Read, select and check the scenarios of a run.
    pub fn prepare(
        tags: Option<&str>,
        user_dir: Option<&Path>,
        only_user: bool,
        reach: Reach,
    ) -> Result<Plan, PlanError> {
        let expr: Option<TagOperation> = match tags {
            Some(t) => Some(t.parse().map_err(|e| PlanError::Tags {
                expr: t.to_string(),
                reason: format!("{e}"),
            })?),
            None => None,
        };
        let features = read_features(user_dir, only_user, reach.vendor.as_deref())?;
        let steps = OktaWorld::collection();
        let mut slots = Vec::new();
        let mut total = 0;
        for feature in &features {
            let path = feature.path.clone().unwrap_or_default();
            let rules = feature.rules.iter().map(Some);
            for rule in std::iter::once(None).chain(rules) {
                let scenarios = rule.map_or(&feature.scenarios, |r| &r.scenarios);
                for s in scenarios {
                    total += 1;
                    let all_tags = feature_tags(&feature.tags, rule, s);
                    if let Some(op) = &expr
                        && !op.eval(all_tags.iter().map(String::as_str))
                    {
                        continue;
                    }
                    let fate = match reach.skip_reason(&all_tags) {
                        Some(reason) => Fate::Skip(reason),
                        None => match unmatched_step(&steps, feature, rule, s, &path) {
                            Some(why) => Fate::Invalid(why),
                            None => Fate::Run,
                        },
                    };
                    let to_run = if fate == Fate::Run {
                        scenario_steps(feature, rule, s).cloned().collect()
                    } else {
                        Vec::new()
                    };
                    slots.push(Slot {
                        feature: feature.name.clone(),
                        scenario: s.name.clone(),
                        tags: all_tags.iter().map(|t| format!("@{t}")).collect(),
                        fate,
                        steps: to_run,
                    });
                }
            }
        }
        let plan = Plan { slots };
        plan.must_run_something(tags, total)?;
        Ok(plan)
    }

    /// A selection that runs nothing is a usage error.
    fn must_run_something(&self, tags: Option<&str>, total: usize) -> Result<(), PlanError> {
        if self.slots.is_empty() {
            return Err(match tags {
                Some(t) => PlanError::NothingSelected {
                    expr: t.to_string(),
                    total,
                },
                None => PlanError::NoScenarios,
            });
        }
        if self.slots.iter().all(|s| matches!(s.fate, Fate::Skip(_))) {
            let mut reasons: Vec<&str> = self
                .slots
                .iter()
                .filter_map(|s| match &s.fate {
                    Fate::Skip(r) => Some(r.as_str()),
                    _ => None,
                })
                .collect();
            reasons.sort_unstable();
            reasons.dedup();
            return Err(PlanError::AllSkipped {
                count: self.slots.len(),
                reasons: reasons.join("; "),
            });
        }
        Ok(())
    }
}

fn feature_tags(
    feature: &[String],
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
) -> Vec<String> {
    feature
        .iter()
        .chain(rule.iter().flat_map(|r| &r.tags))
        .chain(&scenario.tags)
        .cloned()
        .collect()
}

/// A scenario's steps as they run: the feature's background, the rule's, then its own.
fn scenario_steps<'a>(
    feature: &'a gherkin::Feature,
    rule: Option<&'a gherkin::Rule>,
    scenario: &'a gherkin::Scenario,
) -> impl Iterator<Item = &'a gherkin::Step> {
    feature
        .background
        .iter()
        .chain(rule.and_then(|r| r.background.as_ref()))
        .flat_map(|b| &b.steps)
        .chain(&scenario.steps)
}

/// The first step of the scenario (its backgrounds first) that matches no step definition, or
/// more than one, described with its text, file and line.
fn unmatched_step(
    steps: &cucumber::step::Collection<OktaWorld>,
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
    path: &Path,
) -> Option<String> {
    for step in scenario_steps(feature, rule, scenario) {
        let at = format!(
            "`{}{}` ({}:{})",
            step.keyword,
            step.value,
            path.display(),
            step.position.line
        );
        match steps.find(step) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Some(format!(
                    "the step {at} matches no step definition (see the vocabulary in features/README.md)"
                ));
            }
            Err(e) => {
                return Some(format!(
                    "the step {at} matches more than one definition: {e}"
                ));
            }
        }
    }
    None
}

/// Parse the embedded features and the user's, in that order (each set sorted by path).
fn read_features(
    user_dir: Option<&Path>,
    only_user: bool,
    vendor: Option<&str>,
) -> Result<Vec<gherkin::Feature>, PlanError> {
    let mut sources: Vec<(PathBuf, String)> = Vec::new();
    if !only_user {
        for (name, text) in EMBEDDED {
            sources.push((Path::new(EMBEDDED_DIR).join(name), text.to_string()));
        }
        if let Some((name, text)) = VENDOR_FEATURES.iter().find(|(n, _)| Some(*n) == vendor) {
            sources.push((
                Path::new(EMBEDDED_DIR).join(format!("vendors/{name}.feature")),
                text.to_string(),
            ));
        }
    }
    if let Some(dir) = user_dir {
        if !dir.is_dir() {
            return Err(PlanError::FeatureDir(dir.into(), "not a directory"));
        }
        let mut files = Vec::new();
        find_feature_files(dir, &mut files)
            .map_err(|e| PlanError::Read(dir.into(), e.to_string()))?;
        if files.is_empty() {
            return Err(PlanError::FeatureDir(dir.into(), "no .feature files there"));
        }
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| PlanError::Read(f.clone(), e.to_string()))?;
            sources.push((f, text));
        }
    }
    let mut errors = Vec::new();
    let mut features = Vec::new();
    for (path, text) in sources {
        match gherkin::Feature::parse(&text, GherkinEnv::default()) {
            Ok(mut f) => {
                f.path = Some(path.clone());
                match f.expand_examples() {
                    Ok(f) => features.push(f),
                    Err(e) => errors.push(format!("{}: {e}", path.display())),
                }
            }
            Err(e) => errors.push(format!("{}: {e}", path.display())),
        }
    }
    if !errors.is_empty() {
        return Err(PlanError::Parse(errors));
    }
    Ok(features)
}

fn find_feature_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            find_feature_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "feature") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERYTHING: Reach = Reach {
        app_kind: AppKind::Oin,
        features_off: Vec::new(),
        vendor: None,
        scim: true,
        sso: true,
        sp_login: true,
        sp_whoami: true,
    };

    #[test]
    fn every_embedded_step_matches_exactly_one_definition() {
        let plan = Plan::prepare(None, None, false, EVERYTHING.clone()).unwrap();
        let invalid: Vec<&Slot> = plan
            .slots
            .iter()
            .filter(|s| matches!(s.fate, Fate::Invalid(_)))
            .collect();
        assert!(invalid.is_empty(), "{invalid:?}");
        assert!(plan.slots.len() >= 60);
    }

    #[test]
    fn a_tag_expression_that_selects_nothing_is_a_usage_error() {
        let e = Plan::prepare(Some("@nonexistent"), None, false, EVERYTHING.clone()).unwrap_err();
        assert!(matches!(&e, PlanError::NothingSelected { .. }), "{e}");
        assert!(e.to_string().contains("selects no scenario"), "{e}");
    }

    #[test]
    fn a_selection_whose_scenarios_are_all_skipped_is_a_usage_error() {
        let e = Plan::prepare(Some("@aiw"), None, false, EVERYTHING.clone()).unwrap_err();
        assert!(matches!(&e, PlanError::AllSkipped { .. }), "{e}");
        assert!(e.to_string().contains("@aiw only"), "{e}");
    }

    #[test]
    fn an_unknown_step_is_reported_with_its_text_file_and_line() {
        let dir = std::env::temp_dir().join(format!("okta-sim-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("typo.feature"),
            "Feature: typo\n  Scenario: one\n    Given Okta user \"a\"\n    When Okta frobnicates \"a\"\n",
        )
        .unwrap();
        let plan = Plan::prepare(None, Some(&dir), true, EVERYTHING.clone()).unwrap();
        let Fate::Invalid(why) = &plan.slots[0].fate else {
            panic!("{:?}", plan.slots[0]);
        };
        assert!(why.contains("`When Okta frobnicates \"a\"`"), "{why}");
        assert!(why.contains("typo.feature:4"), "{why}");
        assert!(plan.slots[0].steps.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
