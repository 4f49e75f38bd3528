//! AFL++ harness: `okta_sim::fuzz_targets::okta_expression`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        okta_sim::fuzz_targets::okta_expression(data);
    });
}
