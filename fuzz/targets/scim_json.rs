//! AFL++ harness: `okta_sim::fuzz_targets::scim_json`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        okta_sim::fuzz_targets::scim_json(data);
    });
}
