//! Merkle proofs as a light node receives them. Never panics; a random proof never
//! verifies against a fixed root.
#![no_main]
use handoff_core::proof::RecordProof;
use handoff_core::types::Hash32;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 33 {
        return;
    }
    let (head, proof) = data.split_at(33);
    let rp = RecordProof {
        height: 1,
        key: head[..16].to_vec(),
        value: (head[16] & 1 == 1).then(|| head[17..].to_vec()),
        proof: proof.to_vec(),
    };
    let root = Hash32([0x5a; 32]);
    assert!(rp.verify(&root).is_err());
});
