//! Transactions a paired phone submits over HTTP (`POST /v1/transactions`): hex text of
//! the wire bytes. Never panics; what decodes is within the size bound and is exactly
//! what the ledger's own decoder reads from the same bytes; a refusal carries a message.
#![no_main]
use handoff_core::limits::MAX_TX_BYTES;
use handoff_core::tx::SignedTx;
use handoff_node::phone::decode_submitted;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match decode_submitted(&text) {
        Ok(tx) => {
            let bytes = tx.encode();
            assert!(bytes.len() <= MAX_TX_BYTES);
            assert_eq!(hex_of(&bytes), text.trim().to_lowercase());
            let again = SignedTx::decode(&bytes).expect("re-decode");
            assert_eq!(again.id(), tx.id());
        }
        Err(r) => assert!(!r.message.is_empty()),
    }
});

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
