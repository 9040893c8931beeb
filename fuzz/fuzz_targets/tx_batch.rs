//! Gossiped transaction batches (`handoff/tx/1`) as received from peers. Never panics;
//! nothing over the bounds decodes; an accepted batch re-encodes to the same bytes.
#![no_main]
use handoff_net::limits::{MAX_GOSSIP_BATCH_TXS, MAX_TX_GOSSIP_BYTES};
use handoff_net::wire::{decode_tx_batch, encode_tx_batch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode_tx_batch(data) {
        Ok(txs) => {
            assert!(data.len() <= MAX_TX_GOSSIP_BYTES);
            assert!(!txs.is_empty() && txs.len() <= MAX_GOSSIP_BATCH_TXS);
            let raw: Vec<Vec<u8>> = txs.iter().map(|t| t.encode()).collect();
            assert_eq!(encode_tx_batch(&raw), data);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
