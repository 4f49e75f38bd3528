//! AFL++ harness: `okta_sim::fuzz_targets::saml_response`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        okta_sim::fuzz_targets::saml_response(data);
    });
}
