//! AFL++ harness: `okta_sim::fuzz_targets::scim_patch`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        okta_sim::fuzz_targets::scim_patch(data);
    });
}
