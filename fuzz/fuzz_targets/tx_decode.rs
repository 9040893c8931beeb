//! Transactions as received from clients and peers. Never panics; an accepted encoding
//! is canonical (re-encodes to the same bytes) and its id is stable.
#![no_main]
use handoff_core::limits::MAX_TX_BYTES;
use handoff_core::tx::SignedTx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match SignedTx::decode(data) {
        Ok(tx) => {
            assert!(data.len() <= MAX_TX_BYTES);
            assert_eq!(tx.encode(), data);
            let again = SignedTx::decode(&tx.encode()).expect("re-decode");
            assert_eq!(again.id(), tx.id());
            // Verification of arbitrary signatures must not panic either.
            let _ = handoff_core::crypto::verify_tx(&tx);
        }
        Err(r) => assert!(!r.message.is_empty()),
    }
});
