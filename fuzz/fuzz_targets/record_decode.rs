//! State records (read from disk, and later from peers with proofs). Never panics; a
//! decoded record re-encodes to the same bytes.
#![no_main]
use handoff_core::state::Record;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(r) = Record::decode(data) {
        assert_eq!(r.encode(), data);
    }
    let _ = handoff_core::event::Event::decode(data);
});
