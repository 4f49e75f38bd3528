//! AFL++ harness: `okta_sim::fuzz_targets::redirect_inflate`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        okta_sim::fuzz_targets::redirect_inflate(data);
    });
}
