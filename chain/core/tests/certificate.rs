//! Commit certificates: what a light node checks with `handoff-core` alone. A certificate
//! holds precommits over `PRECOMMIT domain ‖ chain id ‖ height ‖ round ‖ header hash`; it
//! verifies only with more than 2/3 of distinct validators of the set.

use handoff_core::block::{
    BLOCK_VERSION, BlockHeader, Certificate, CommitSig, PRECOMMIT_SIGNING_DOMAIN, precommit_message,
};
use handoff_core::crypto::Keypair;
use handoff_core::types::Hash32;

fn key(b: u8) -> Keypair {
    Keypair::from_secret([b; 32])
}

fn header() -> BlockHeader {
    BlockHeader {
        version: BLOCK_VERSION,
        chain_id: Hash32([7; 32]),
        height: 9,
        prev_hash: Hash32([1; 32]),
        time_ms: 1_700_000_000_000,
        proposer: key(1).public(),
        tx_count: 0,
        tx_root: Hash32([2; 32]),
        state_root: Hash32([3; 32]),
        concerns_root: handoff_core::concerns::Concerns::default().root(),
    }
}

fn cert(signers: &[u8], round: u32) -> Certificate {
    Certificate {
        round,
        sigs: signers
            .iter()
            .map(|b| Certificate::sign(&key(*b), &header(), round))
            .collect(),
    }
}

fn validators() -> Vec<handoff_core::types::PublicKey> {
    (1..=4).map(|b| key(b).public()).collect()
}

#[test]
fn the_precommit_message_layout_is_fixed() {
    let h = Hash32([0xab; 32]);
    let m = precommit_message(&Hash32([7; 32]), 0x0102, 3, Some(&h));
    let mut want = PRECOMMIT_SIGNING_DOMAIN.to_vec();
    want.extend_from_slice(&[7; 32]);
    want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 2]);
    want.extend_from_slice(&[0, 0, 0, 3]);
    want.extend_from_slice(&[0xab; 32]);
    assert_eq!(m, want);
    let nil = precommit_message(&Hash32([7; 32]), 0x0102, 3, None);
    assert_eq!(nil.len(), want.len() - 32);
}

#[test]
fn three_of_four_verify_and_two_do_not() {
    let vs = validators();
    assert!(cert(&[1, 2, 3], 0).verify(&header(), &vs));
    assert!(cert(&[1, 2, 3, 4], 5).verify(&header(), &vs));
    assert!(
        !cert(&[1, 2], 0).verify(&header(), &vs),
        "2/3 exactly is not enough"
    );
    assert!(!cert(&[], 0).verify(&header(), &vs));
    assert!(
        !cert(&[1], 0).verify(&header(), &[]),
        "an empty set certifies nothing"
    );
}

#[test]
fn repeated_outside_and_forged_signers_count_for_nothing() {
    let vs = validators();
    // One validator three times.
    assert!(!cert(&[1, 1, 1], 0).verify(&header(), &vs));
    // Two members plus a key outside the set.
    assert!(!cert(&[1, 2, 9], 0).verify(&header(), &vs));
    // A forged signature: member 3's key with a flipped bit.
    let mut c = cert(&[1, 2, 3], 0);
    c.sigs[2].signature[10] ^= 1;
    assert!(!c.verify(&header(), &vs));
    // A member's key with someone else's signature.
    let mut c = cert(&[1, 2], 0);
    c.sigs.push(CommitSig {
        validator: key(3).public(),
        signature: c.sigs[0].signature,
    });
    assert!(!c.verify(&header(), &vs));
}

#[test]
fn signatures_are_bound_to_round_height_and_header() {
    let vs = validators();
    let mut c = cert(&[1, 2, 3], 0);
    c.round = 1;
    assert!(!c.verify(&header(), &vs), "another round");
    let c = cert(&[1, 2, 3], 0);
    let mut h = header();
    h.height += 1;
    assert!(!c.verify(&h, &vs), "another height");
    let mut h = header();
    h.state_root = Hash32([4; 32]);
    assert!(!c.verify(&h, &vs), "another state root");
}
