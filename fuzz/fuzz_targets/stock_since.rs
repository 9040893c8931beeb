//! `handoff activity --since` and `GET /v1/activity?since=`: any text a user or an HTTP
//! client sends. Never panics; a refusal is `BAD_TIME` with a message, and an age is
//! never in the future of the chain's time.
#![no_main]
use handoff_node::stock::parse_since;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<8>() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    // Chain times from 1970 to the year 2500.
    let now = (i64::from_le_bytes(*head)).rem_euclid(16_725_225_600_000);
    match parse_since(text, now) {
        Ok(ms) => {
            let t = text.trim();
            if t.ends_with(['m', 'h', 'd']) {
                assert!(ms <= now, "{t}: {ms} after {now}");
            }
        }
        Err(e) => {
            let (code, message) = e.parts();
            assert_eq!(code, "BAD_TIME");
            assert!(!message.is_empty());
        }
    }
});
