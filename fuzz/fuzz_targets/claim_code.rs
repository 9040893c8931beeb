//! Claim codes: any text a consumer can type or a camera can read from a claim QR. Never
//! panics; whatever is accepted is within the length bound and prints back to a code that
//! parses to the same secret.
#![no_main]
use handoff_core::claim::ClaimSecret;
use handoff_core::limits::MAX_CLAIM_CODE_LEN;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match ClaimSecret::parse(text) {
        Ok(secret) => {
            assert!(text.len() <= MAX_CLAIM_CODE_LEN);
            assert_eq!(ClaimSecret::parse(&secret.code()).as_ref(), Ok(&secret));
        }
        Err(e) => assert!(!e.0.is_empty()),
    }
});
