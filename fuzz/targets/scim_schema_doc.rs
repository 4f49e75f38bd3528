//! AFL++ harness: `okta_sim::fuzz_targets::scim_schema_doc`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        okta_sim::fuzz_targets::scim_schema_doc(data);
    });
}
