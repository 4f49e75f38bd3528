//! The catalogues and their other appearances, held together: every citation of the check
//! catalogue names a section that exists in the reference documents (`docs/reference/`, kept
//! identical to the project's shared reference), check ids are unique, `docs/checks.md` is the
//! catalogue as generated, and the attack, fault and profile tables agree with the feature
//! file, `serve --help` and the README.

use std::collections::BTreeSet;
use std::path::PathBuf;

use okta_sim::app::faults::FAULTS;
use okta_sim::app::profile::profiles;
use okta_sim::conformance::catalogue;
use okta_sim::conformance::check::Cite;
use okta_sim::saml::attacks::ATTACKS;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The lines of a Markdown document, with the heading each one is under.
struct Doc {
    lines: Vec<String>,
}

impl Doc {
    fn load(rel: &str) -> Doc {
        Doc {
            lines: read(rel).lines().map(String::from).collect(),
        }
    }

    /// A heading `## 5.1 …` or `## 5. …` (or `## 8 (read first)…`) for section `s`.
    fn heading(&self, s: &str) -> Option<usize> {
        self.lines.iter().position(|l| {
            let t = l.trim_start_matches('#');
            l.starts_with('#')
                && t.starts_with(' ')
                && t.trim_start()
                    .strip_prefix(s)
                    .is_some_and(|rest| rest.starts_with([' ', '.', '(']))
        })
    }

    /// The lines of section `s`: from its heading to the next heading of the same or a higher level.
    fn section(&self, s: &str) -> Option<&[String]> {
        let start = self.heading(s)?;
        let level = self.lines[start].chars().take_while(|c| *c == '#').count();
        let end = self.lines[start + 1..]
            .iter()
            .position(|l| {
                let n = l.chars().take_while(|c| *c == '#').count();
                n > 0 && n <= level
            })
            .map_or(self.lines.len(), |i| start + 1 + i);
        Some(&self.lines[start..end])
    }

    /// The lines under the heading whose text starts with `title`.
    fn section_titled(&self, title: &str) -> Option<&[String]> {
        let start = self.lines.iter().position(|l| {
            l.starts_with('#') && l.trim_start_matches('#').trim().starts_with(title)
        })?;
        let end = self.lines[start + 1..]
            .iter()
            .position(|l| l.starts_with("## ") || l.starts_with("# "))
            .map_or(self.lines.len(), |i| start + 1 + i);
        Some(&self.lines[start..end])
    }
}

/// Why a citation names nothing, or None when it names something that exists.
fn missing(c: Cite, wire: &Doc, saml: &Doc, attrs: &Doc, standards: &Doc) -> Option<String> {
    let ok = match c {
        Cite::Wire(s) => wire.heading(s).is_some(),
        Cite::Saml(s) => saml.heading(s).is_some(),
        Cite::Attributes(s) => attrs.heading(s).is_some(),
        Cite::Quirk(n) => wire
            .section_titled("Quirks")
            .is_some_and(|ls| ls.iter().any(|l| l.starts_with(&format!("{n}. ")))),
        Cite::SpecStep(n) => wire
            .section("10.1")
            .is_some_and(|ls| ls.iter().any(|l| l.starts_with(&format!("| {n} |")))),
        Cite::TestPlan(case) => wire.section("10.6").is_some_and(|ls| {
            ls.iter().any(|l| {
                l.split(|ch: char| !ch.is_ascii_alphanumeric())
                    .any(|w| w == case)
            })
        }),
        Cite::Seed(n) => std::fs::read_dir(root().join("docs/seeds"))
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{n}_"))
            }),
        Cite::Rfc(n, s) => in_standard(standards, &format!("RFC {n}:"), s),
        Cite::SamlCore(s) => in_standard(standards, "SAML core:", s),
        Cite::SamlBindings(s) => in_standard(standards, "SAML bindings:", s),
        Cite::SamlProfiles(s) => in_standard(standards, "SAML profiles:", s),
    };
    (!ok).then(|| format!("{} {}", c.document(), c.locator()))
}

fn in_standard(standards: &Doc, title: &str, section: &str) -> bool {
    standards
        .section_titled(title)
        .is_some_and(|ls| ls.iter().any(|l| l.starts_with(&format!("- {section} "))))
}

#[test]
fn every_citation_names_a_section_the_reference_documents_have() {
    let wire = Doc::load("docs/reference/okta-scim-wire.md");
    let saml = Doc::load("docs/reference/okta-saml.md");
    let attrs = Doc::load("docs/reference/okta-attributes-entitlements-oauth.md");
    let standards = Doc::load("docs/reference/standards.md");
    let mut bad = BTreeSet::new();
    let mut cited = 0;
    for l in catalogue::all() {
        for c in &l.check.cite {
            cited += 1;
            if let Some(m) = missing(*c, &wire, &saml, &attrs, &standards) {
                bad.insert(format!("{}: {m}", l.check.id));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "citations of nothing:\n{}",
        bad.into_iter().collect::<Vec<_>>().join("\n")
    );
    assert!(cited > 100);
}

#[test]
fn the_citation_check_refuses_sections_that_do_not_exist() {
    let wire = Doc::load("docs/reference/okta-scim-wire.md");
    let saml = Doc::load("docs/reference/okta-saml.md");
    let attrs = Doc::load("docs/reference/okta-attributes-entitlements-oauth.md");
    let standards = Doc::load("docs/reference/standards.md");
    for c in [
        Cite::Wire("5.9"),
        Cite::Wire("11"),
        Cite::Quirk(99),
        Cite::SpecStep(3),
        Cite::TestPlan("C0000"),
        Cite::Saml("7"),
        Cite::Seed("009"),
        Cite::Rfc(7644, "3.99"),
        Cite::SamlCore("9.9"),
    ] {
        assert!(
            missing(c, &wire, &saml, &attrs, &standards).is_some(),
            "{c:?} passed"
        );
    }
    for c in [
        Cite::Wire("8"),
        Cite::Wire("10.1"),
        Cite::Quirk(30),
        Cite::SpecStep(22),
        Cite::TestPlan("C9335"),
    ] {
        assert!(
            missing(c, &wire, &saml, &attrs, &standards).is_none(),
            "{c:?} failed"
        );
    }
}

#[test]
fn check_ids_are_unique() {
    let mut seen = BTreeSet::new();
    for l in catalogue::all() {
        assert!(seen.insert(l.check.id.clone()), "{} twice", l.check.id);
    }
}

#[test]
fn the_reference_documents_are_the_shared_ones() {
    // The project's shared reference lives beside the checkout during development; CI may not
    // have it, and then the committed copies are what the citations are held to.
    let shared = root().join("../shared/reference");
    if !shared.is_dir() {
        eprintln!("skipped: no {} to compare with", shared.display());
        return;
    }
    for name in [
        "okta-scim-wire.md",
        "okta-saml.md",
        "okta-attributes-entitlements-oauth.md",
    ] {
        let ours = read(&format!("docs/reference/{name}"));
        let theirs = std::fs::read_to_string(shared.join(name)).unwrap();
        assert!(
            ours == theirs,
            "docs/reference/{name} differs from the shared reference: copy it again"
        );
    }
}

#[test]
fn docs_checks_md_is_the_catalogue() {
    let generated = catalogue::render_markdown(&catalogue::all());
    let path = root().join("docs/checks.md");
    if std::env::var_os("OKTA_SIM_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/checks.md is not the catalogue: run `OKTA_SIM_BLESS=1 cargo test --test catalogue`"
    );
}

#[test]
fn docs_faults_md_is_the_table() {
    let generated = okta_sim::app::faults::render_markdown();
    let path = root().join("docs/faults.md");
    if std::env::var_os("OKTA_SIM_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/faults.md is not the table: run `OKTA_SIM_BLESS=1 cargo test --test catalogue`"
    );
}

/// The rows of the Examples tables of a feature's Scenario Outlines, first column, in order
/// (each table's header row left out).
fn example_rows(feature: &str) -> Vec<String> {
    let text = read(feature);
    let mut rows = Vec::new();
    let mut header_next = false;
    let mut in_examples = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("Examples:") {
            (in_examples, header_next) = (true, true);
            continue;
        }
        if !line.starts_with('|') {
            if !line.is_empty() && !line.starts_with('#') {
                in_examples = false;
            }
            continue;
        }
        if in_examples && !std::mem::take(&mut header_next) {
            rows.push(
                line.trim_matches('|')
                    .split('|')
                    .next()
                    .unwrap()
                    .trim()
                    .to_string(),
            );
        }
    }
    rows
}

#[test]
fn the_attack_feature_runs_every_case_of_the_table_in_order() {
    let names: Vec<String> = ATTACKS.iter().map(|a| a.name.to_string()).collect();
    assert_eq!(example_rows("features/11_sso_attacks.feature"), names);
}

#[test]
fn the_readmes_name_every_attack() {
    let vocabulary = read("features/README.md");
    let readme = read("README.md");
    for a in ATTACKS {
        assert!(
            vocabulary.contains(&format!("`{}`", a.name)),
            "features/README.md lacks {}",
            a.name
        );
        assert!(
            readme.contains(&format!("`{}`", a.name)),
            "README.md lacks {}",
            a.name
        );
    }
    assert!(readme.contains(&format!("catalogue of {} SAML attacks", ATTACKS.len())));
}

#[test]
fn the_readme_lists_every_fault_and_profile() {
    let readme = read("README.md");
    let faults = readme
        .lines()
        .find(|l| l.starts_with("| `--fault NAME` |"))
        .expect("the --fault row of the serve table");
    let listed: Vec<&str> = faults.split('`').skip(3).step_by(2).collect();
    let table: Vec<&str> = FAULTS.iter().map(|f| f.name).collect();
    assert_eq!(listed, table, "README's --fault row");
    assert!(readme.contains(&format!("any of {} typical mistakes", FAULTS.len())));
    let profile_row = readme
        .lines()
        .find(|l| l.starts_with("| `--profile` |"))
        .expect("the --profile row of the serve table");
    for p in profiles() {
        assert!(
            profile_row.contains(&format!("`{}`", p.name)),
            "README's --profile row lacks {}",
            p.name
        );
    }
}

#[test]
fn serve_help_lists_every_fault_and_profile() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    // Help text wraps at the terminal's width: compare with whitespace collapsed.
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = words(&String::from_utf8_lossy(&out.stdout));
    for f in FAULTS {
        assert!(
            help.contains(&words(&format!("{} {}", f.name, f.describe))),
            "serve --help lacks {}",
            f.name
        );
    }
    for p in profiles() {
        assert!(
            help.contains(&words(&format!("{} {}", p.name, p.describe))),
            "serve --help lacks {}",
            p.name
        );
    }
}

#[test]
fn check_list_prints_the_catalogue() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_okta-sim"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(&["check", "--list"]);
    let all = catalogue::all();
    for l in &all {
        assert!(text.contains(&l.check.id), "--list lacks {}", l.check.id);
    }
    assert!(text.contains("users.deactivate.pathless-patch"));
    assert!(text.contains("okta-scim-wire §5.1, quirk 1"));
    let json: serde_json::Value =
        serde_json::from_str(&run(&["check", "--list", "--format", "json"])).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), all.len());
    let first = &items[0];
    for k in ["group", "id", "grade", "cite", "needed", "why"] {
        assert!(first.get(k).is_some(), "{k} missing from {first}");
    }
}
