//! The whole conformance suite against the embedded reference app, as `okta-sim check` runs it
//! with no target: every feature, SCIM and SAML, about 100 scenarios and 1,500 exchanges.
//! The goal is under 2 s per run on the project's 2-core machine.
//!
//! Run: `cargo bench --bench suite`.

use okta_sim::conformance::CheckOptions;
use okta_sim::embedded::run_embedded;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn whole_suite_against_the_embedded_app(b: divan::Bencher) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    b.bench_local(|| {
        let outcome = rt
            .block_on(run_embedded(CheckOptions {
                seed: Some(7),
                print: false,
                ..CheckOptions::default()
            }))
            .expect("the suite runs");
        assert_eq!(
            outcome.exit_code(),
            0,
            "the reference app passes its own suite"
        );
        divan::black_box(outcome.summary.passed)
    });
}
