//! Requests and responses as received from peers (the bodies of request-response frames).
//! The first byte picks the decoder. Never panics; nothing over the bounds decodes; an
//! accepted frame is canonical (re-encodes to the same bytes).
#![no_main]
use handoff_net::limits::{MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES};
use handoff_net::wire::{Request, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    if which & 1 == 0 {
        match Request::decode(body) {
            Ok(r) => {
                assert!(body.len() <= MAX_REQUEST_BYTES);
                assert_eq!(r.encode().expect("an accepted request re-encodes"), body);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    } else {
        match Response::decode(body) {
            Ok(r) => {
                assert!(body.len() <= MAX_RESPONSE_BYTES);
                assert_eq!(r.encoded_len(), body.len());
                assert_eq!(r.encode().expect("an accepted response re-encodes"), body);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
});
