//! Images a user drops or photographs. Never panics and stays within the decoder's
//! memory limits (run with -rss_limit_mb); found texts are bounded.
#![no_main]
use handoff_node::qr::{MAX_CODES, MAX_QR_TEXT, decode_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(codes) = decode_bytes(data) {
        assert!(codes.len() <= MAX_CODES);
        assert!(codes.iter().all(|c| c.len() <= MAX_QR_TEXT));
    }
});
