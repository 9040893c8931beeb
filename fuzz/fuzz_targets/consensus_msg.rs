//! Consensus messages as a replica receives them from peers. Decoding never panics, a
//! decoded message survives a round trip through its encoding, and a replica that is
//! deciding height 1 takes any bytes without panicking.
#![no_main]
use handoff_consensus::{Config, ConsensusMsg, Input, Replica, Timeouts};
use handoff_core::crypto::Keypair;
use handoff_core::types::Hash32;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ConsensusMsg::decode(data) {
        assert_eq!(ConsensusMsg::decode(&m.encode()).as_ref(), Ok(&m));
    }
    let keys: Vec<_> = (1..=4u8).map(|b| Keypair::from_secret([b; 32]).public()).collect();
    let mut r = Replica::new(
        Config {
            chain_id: Hash32([9; 32]),
            timeouts: Timeouts::default(),
        },
        Keypair::from_secret([1; 32]),
    );
    r.handle(Input::StartHeight {
        height: 1,
        validators: keys,
    });
    r.handle(Input::Message {
        from: 1,
        bytes: data.to_vec(),
    });
});
