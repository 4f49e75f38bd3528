//! The layout holds: dependencies between the top-level modules point one way (ARCHITECTURE.md:
//! `scim` depends on nothing of ours; `app` and `okta` use `scim`; `saml` stands alone;
//! `conformance` uses `okta` and `saml` and never reaches into `app`), no two modules import each
//! other (directly or round a cycle), and `main.rs` stays a thin dispatcher.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

type Module = Vec<String>;

/// Every module of the library with its source (test modules removed), by path.
fn modules() -> BTreeMap<Module, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = p.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Module = rel
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts == ["main"] || parts == ["cli"] {
                continue;
            }
            if parts == ["lib"] {
                parts.clear();
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            out.insert(parts, text);
        }
    }
    out
}

/// Which module each module uses: `crate::…` and `super::…` paths, and its own children by name.
fn edges(mods: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let comment = Regex::new(r"//[^\n]*").unwrap();
    let inline_mod = Regex::new(r"(?s)\npub mod \w+ \{.*?\n\}").unwrap();
    let inner_super = Regex::new(r"use super::[^;]*;").unwrap();
    let krate = Regex::new(r"crate::((?:\w+::)*\w+)").unwrap();
    let sup = Regex::new(r"super::((?:\w+::)*\w+)").unwrap();
    let sup_group = Regex::new(r"use super::\{([^}]*)\}").unwrap();
    let word = Regex::new(r"\w+").unwrap();
    let resolve = |path: Vec<String>| -> Option<Module> {
        (0..=path.len())
            .rev()
            .map(|k| path[..k].to_vec())
            .find(|p| mods.contains_key(p))
    };
    let mut out = BTreeMap::new();
    for (m, text) in mods {
        let mut s = comment.replace_all(text, "").into_owned();
        // Inline modules (the catalogue's groups) reach their own file through `super`.
        for blk in inline_mod
            .find_iter(&s.clone())
            .map(|b| b.as_str().to_string())
        {
            s = s.replace(&blk, &inner_super.replace_all(&blk, ""));
        }
        let mut to = BTreeSet::new();
        let parent: Vec<String> = m.iter().take(m.len().saturating_sub(1)).cloned().collect();
        for c in krate.captures_iter(&s) {
            to.extend(resolve(c[1].split("::").map(String::from).collect()));
        }
        for c in sup.captures_iter(&s) {
            let mut p = parent.clone();
            p.extend(c[1].split("::").map(String::from));
            to.extend(resolve(p));
        }
        for c in sup_group.captures_iter(&s) {
            for w in word.find_iter(&c[1]) {
                let mut p = parent.clone();
                p.push(w.as_str().to_string());
                to.extend(resolve(p));
            }
        }
        for child in mods
            .keys()
            .filter(|c| c.len() == m.len() + 1 && c.starts_with(m))
        {
            let name = child.last().unwrap();
            if Regex::new(&format!(r"(?:^|[^\w:]){name}::"))
                .unwrap()
                .is_match(&s)
            {
                to.insert(child.clone());
            }
        }
        to.remove(m);
        to.remove(&Vec::new());
        out.insert(m.clone(), to);
    }
    out
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_two_modules_import_each_other() {
    let mods = modules();
    let graph = edges(&mods);
    // A cycle exists when a module reaches itself.
    let mut cycles = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(Module, Vec<Module>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((m, path)) = stack.pop() {
            for next in &graph[&m] {
                if next == start {
                    let mut p: Vec<String> = path.iter().map(name).collect();
                    p.push(name(start));
                    cycles.push(p.join(" -> "));
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
    assert!(graph.len() > 30, "only {} modules found", graph.len());
}

#[test]
fn dependencies_between_the_top_level_modules_point_one_way() {
    let graph = edges(&modules());
    let allowed: &[(&str, &[&str])] = &[
        ("scim", &[]),
        ("integration", &["scim"]),
        ("saml", &["text", "timestamp"]),
        ("okta", &["integration", "scim", "text", "timestamp"]),
        ("app", &["integration", "scim", "saml", "text", "timestamp"]),
        (
            "conformance",
            &["integration", "okta", "saml", "scim", "text", "timestamp"],
        ),
        ("fuzz_targets", &["app", "okta", "saml", "scim"]),
    ];
    for (top, may) in allowed {
        for (m, to) in &graph {
            if m.first().map(String::as_str) != Some(*top) {
                continue;
            }
            for t in to {
                let t_top = t.first().map(String::as_str).unwrap_or("crate");
                assert!(
                    t_top == *top || may.contains(&t_top),
                    "{} uses {}: `{top}` may use only {may:?}",
                    name(m),
                    name(t)
                );
            }
        }
    }
}

#[test]
fn main_rs_is_a_thin_dispatcher() {
    let main =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs")).unwrap();
    let lines = main.lines().count();
    assert!(lines < 200, "src/main.rs has {lines} lines");
}
