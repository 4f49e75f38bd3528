//! AFL++ harness: `okta_sim::fuzz_targets::scim_filter`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        okta_sim::fuzz_targets::scim_filter(data);
    });
}
