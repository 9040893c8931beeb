//! The wire format's bounds: sizes are checked before parsing, fields after, and
//! nothing decodes with trailing bytes.

use handoff_consensus::wire::{WireVote, WireVoteType};
use handoff_consensus::{ConsensusMsg, DecodeError};
use handoff_core::block::{BLOCK_VERSION, Block, BlockHeader, Certificate, CommitSig};
use handoff_core::limits::{MAX_CONSENSUS_MSG_BYTES, MAX_CONSENSUS_ROUND, MAX_VALIDATORS};
use handoff_core::types::{Hash32, PublicKey};

fn vote(round: u32) -> ConsensusMsg {
    ConsensusMsg::Vote(WireVote {
        vote_type: WireVoteType::Prevote,
        height: 1,
        round,
        value: Some(Hash32([1; 32])),
        validator: PublicKey([2; 32]),
        signature: [3; 64],
    })
}

fn block() -> Block {
    Block {
        header: BlockHeader {
            version: BLOCK_VERSION,
            chain_id: Hash32([9; 32]),
            height: 1,
            prev_hash: Hash32::default(),
            time_ms: 1,
            proposer: PublicKey([2; 32]),
            tx_count: 0,
            tx_root: Hash32::default(),
            state_root: Hash32::default(),
            concerns_root: handoff_core::concerns::Concerns::default().root(),
        },
        certificate: Certificate::default(),
        txs: vec![],
        outcomes: vec![],
        concerns: Default::default(),
    }
}

#[test]
fn messages_round_trip() {
    for m in [
        vote(0),
        vote(MAX_CONSENSUS_ROUND),
        ConsensusMsg::Status { height: 7 },
        ConsensusMsg::Certified(block()),
    ] {
        assert_eq!(ConsensusMsg::decode(&m.encode()), Ok(m));
    }
}

#[test]
fn bounds_are_enforced() {
    assert_eq!(
        ConsensusMsg::decode(&vote(MAX_CONSENSUS_ROUND + 1).encode()),
        Err(DecodeError::OverBound("round"))
    );
    let big = vec![0u8; MAX_CONSENSUS_MSG_BYTES + 1];
    assert_eq!(
        ConsensusMsg::decode(&big),
        Err(DecodeError::TooLarge(MAX_CONSENSUS_MSG_BYTES + 1))
    );
    let mut b = block();
    b.header.tx_count = 1;
    assert_eq!(
        ConsensusMsg::decode(&ConsensusMsg::Certified(b).encode()),
        Err(DecodeError::OverBound("outcomes"))
    );
    let mut b = block();
    b.certificate.sigs = vec![
        CommitSig {
            validator: PublicKey([2; 32]),
            signature: [0; 64],
        };
        MAX_VALIDATORS + 1
    ];
    assert_eq!(
        ConsensusMsg::decode(&ConsensusMsg::Certified(b).encode()),
        Err(DecodeError::OverBound("signatures"))
    );
}

#[test]
fn trailing_bytes_and_unknown_tags_are_malformed() {
    let mut bytes = vote(1).encode();
    bytes.push(0);
    assert_eq!(ConsensusMsg::decode(&bytes), Err(DecodeError::Malformed));
    assert_eq!(ConsensusMsg::decode(&[200]), Err(DecodeError::Malformed));
    assert_eq!(ConsensusMsg::decode(&[]), Err(DecodeError::Malformed));
    // A length prefix claiming four billion transactions, with nothing behind it.
    let mut b = ConsensusMsg::Certified(block()).encode();
    let n = b.len();
    b.truncate(n - 8);
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(ConsensusMsg::decode(&b), Err(DecodeError::Malformed));
}
