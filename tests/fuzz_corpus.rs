//! The fuzzers' kept corpus (`fuzz/corpus/<target>/`) and every input that ever broke a parser
//! (`fuzz/regressions/<target>/`), replayed through the fuzz targets on every `cargo test`,
//! plus a few thousand seeded mutations of the corpus: coverage-guided fuzzing finds the inputs
//! (`fuzz/README.md`), this keeps them from coming back.

use std::path::{Path, PathBuf};

use okta_sim::fuzz_targets::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn inputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.file_name().is_none_or(|n| n != "README.md"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Run one input; the panic message if it panicked.
fn run(f: okta_sim::fuzz_targets::Target, data: &[u8]) -> Result<(), String> {
    std::panic::catch_unwind(|| f(data)).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn every_kept_input_runs_clean() {
    let mut failures = Vec::new();
    for (name, f) in TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(name));
        assert!(
            corpus.len() >= 5,
            "fuzz/corpus/{name} holds {} inputs: the fuzzer has too little to start from",
            corpus.len()
        );
        let regressions = inputs(&fuzz_dir().join("regressions").join(name));
        for (path, data) in corpus.iter().chain(&regressions) {
            if let Err(why) = run(*f, data) {
                failures.push(format!("{name}: {}: {why}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that steer parsers into their corners.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"[",
    b"]",
    b"(",
    b")",
    b" eq ",
    b" and ",
    b" or ",
    b"not ",
    b" pr",
    b"<",
    b">",
    b"</",
    b"/>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"&amp;",
    b"&#x0;",
    b"xmlns:",
    b"xmlns=\"\"",
    b"<!DOCTYPE",
    b"{",
    b"}",
    b"null",
    b"\"value\":",
    b"\"path\":",
    b"\xff",
    b"\xc3",
    b"\0",
    b"urn:ietf:params:scim:schemas:core:2.0:User:",
    b"members[value eq \"",
];

fn mutate(rng: &mut Rng, corpus: &[(PathBuf, Vec<u8>)]) -> Vec<u8> {
    let mut data = corpus[rng.below(corpus.len())].1.clone();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, t.iter().copied());
            }
            3 => {
                let other = &corpus[rng.below(corpus.len())].1;
                let from = rng.below(other.len());
                let len = rng.below(other.len() - from + 1).min(256);
                data.splice(at..at, other[from..from + len].iter().copied());
            }
            4 if !data.is_empty() => {
                let from = rng.below(data.len());
                let len = rng.below(data.len() - from + 1).min(64);
                let chunk: Vec<u8> = data[from..from + len].to_vec();
                for _ in 0..rng.below(8) {
                    data.splice(at..at, chunk.iter().copied());
                }
            }
            _ => data.truncate(at),
        }
    }
    data
}

#[test]
fn seeded_mutations_of_the_corpus_run_clean() {
    let mut failures = Vec::new();
    for (n, (name, f)) in TARGETS.iter().enumerate() {
        let corpus = inputs(&fuzz_dir().join("corpus").join(name));
        if corpus.is_empty() {
            continue;
        }
        let rounds = if *name == "saml_response" { 300 } else { 1500 };
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (n as u64 + 1));
        for i in 0..rounds {
            let data = mutate(&mut rng, &corpus);
            if let Err(why) = run(*f, &data) {
                let keep = std::env::temp_dir().join(format!("okta-sim-fuzz-{name}-{i}"));
                let _ = std::fs::write(&keep, &data);
                failures.push(format!(
                    "{name}: mutation {i} ({} bytes, saved to {}): {why}",
                    data.len(),
                    keep.display()
                ));
                if failures.len() > 10 {
                    break;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Writes the seed inputs that must be made by okta-sim itself (signed SAML responses, the
/// attack catalogue's documents, a DEFLATEd AuthnRequest) into `fuzz/corpus/`. Run it once
/// when the shapes change: `cargo test --test fuzz_corpus -- --ignored write_seeds`.
#[test]
#[ignore]
fn write_seeds() {
    use base64::Engine;
    use okta_sim::saml::attacks::{ATTACKS, AttackInput};
    use okta_sim::saml::idp::{ResponseSpec, SamlApp, SamlUser};
    use okta_sim::saml::keys::SigningKey;

    let app = SamlApp::new(
        okta_sim::saml::idp::DEFAULT_IDP_ORG_URL,
        "http://sp.fuzz.invalid/saml/acs",
        "http://sp.fuzz.invalid/saml/metadata",
    )
    .with_key_identity(&SigningKey::test_fixture());
    let user = |n: &str| SamlUser {
        name_id: n.into(),
        email: n.into(),
        first_name: "Ada".into(),
        last_name: "L".into(),
        groups: vec!["Everyone".into()],
        custom: vec![],
    };
    let key = SigningKey::test_fixture();
    let other = SigningKey::test_fixture_other();
    let (victim, attacker) = (user("victim@example.com"), user("mallory@example.com"));
    let mut docs = vec![(
        "okta-response".to_string(),
        ResponseSpec::for_user(&app, &victim, None)
            .to_xml(&key)
            .unwrap(),
    )];
    for a in ATTACKS {
        let input = AttackInput {
            app: &app,
            key: &key,
            attacker_key: &other,
            victim: &victim,
            attacker: &attacker,
            in_response_to: Some("id-outstanding"),
        };
        docs.push((format!("attack-{}", a.name), (a.craft)(&input).unwrap()));
    }
    for target in ["saml_xml", "saml_response"] {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, xml) in &docs {
            std::fs::write(dir.join(format!("{name}.xml")), xml).unwrap();
        }
    }
    let request = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
        xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_a1b2\" Version=\"2.0\" \
        IssueInstant=\"2026-11-22T10:00:00Z\" Destination=\"https://idp.example/sso\" \
        AssertionConsumerServiceURL=\"http://sp.fuzz.invalid/saml/acs\">\
        <saml:Issuer>http://sp.fuzz.invalid/saml/metadata</saml:Issuer></samlp:AuthnRequest>";
    let dir = fuzz_dir().join("corpus").join("redirect_inflate");
    std::fs::create_dir_all(&dir).unwrap();
    let deflated = {
        use std::io::Write;
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(request.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    std::fs::write(dir.join("authn-request.deflate"), &deflated).unwrap();
    std::fs::write(
        dir.join("authn-request.b64"),
        base64::engine::general_purpose::STANDARD.encode(&deflated),
    )
    .unwrap();
    std::fs::write(dir.join("authn-request.xml"), request).unwrap();
    let mut bomb = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut bomb, &vec![b'<'; 1 << 20]).unwrap();
    std::fs::write(dir.join("deflate-bomb.deflate"), bomb.finish().unwrap()).unwrap();
    std::fs::write(dir.join("empty"), b"").unwrap();
}
