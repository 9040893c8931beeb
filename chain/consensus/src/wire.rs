//! The one wire format of consensus: a borsh `ConsensusMsg`. `decode` checks the size
//! before parsing and every bound after it (`handoff_core::limits`), and never panics.

use borsh::{BorshDeserialize, BorshSerialize};
use handoff_core::block::Block;
use handoff_core::limits::{
    MAX_BLOCK_TXS, MAX_CONSENSUS_MSG_BYTES, MAX_CONSENSUS_ROUND, MAX_TX_BYTES, MAX_VALIDATORS,
};
use handoff_core::types::{Hash32, PublicKey};

/// A signed proposal carrying the whole proposed block (certificate empty).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WireProposal {
    /// Height.
    pub height: u64,
    /// Round.
    pub round: u32,
    /// The polka round of a re-proposed block.
    pub pol_round: Option<u32>,
    /// The proposer.
    pub proposer: PublicKey,
    /// The block.
    pub block: Block,
    /// Signature over the proposal sign bytes.
    pub signature: [u8; 64],
}

/// Prevote or precommit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum WireVoteType {
    /// Prevote.
    Prevote,
    /// Precommit.
    Precommit,
}

/// A signed vote.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WireVote {
    /// Prevote or precommit.
    pub vote_type: WireVoteType,
    /// Height.
    pub height: u64,
    /// Round.
    pub round: u32,
    /// The header hash voted for, or nil.
    pub value: Option<Hash32>,
    /// The voter.
    pub validator: PublicKey,
    /// Signature over the vote sign bytes.
    pub signature: [u8; 64],
}

/// A validator's signature inside a certificate.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WireSig {
    /// The validator.
    pub validator: PublicKey,
    /// Its signature.
    pub signature: [u8; 64],
}

/// More than 2/3 prevotes for one block in one round (sent with re-proposals).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WirePolka {
    /// Height.
    pub height: u64,
    /// Round.
    pub round: u32,
    /// The block.
    pub value: Hash32,
    /// The prevotes' signatures.
    pub sigs: Vec<WireSig>,
}

/// A round certificate: precommits of a round, or votes from a later round that make a
/// lagging replica skip ahead.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WireRoundCert {
    /// Height.
    pub height: u64,
    /// Round.
    pub round: u32,
    /// True: a skip certificate; false: a precommit certificate.
    pub skip: bool,
    /// The votes (without height and round, which are the certificate's).
    pub votes: Vec<WireRoundVote>,
}

/// One vote inside a round certificate.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WireRoundVote {
    /// Prevote or precommit.
    pub vote_type: WireVoteType,
    /// The block, or nil.
    pub value: Option<Hash32>,
    /// The voter.
    pub validator: PublicKey,
    /// Its signature.
    pub signature: [u8; 64],
}

/// Every message consensus replicas exchange.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ConsensusMsg {
    /// A proposer's block for a round.
    Proposal(WireProposal),
    /// A prevote or precommit.
    Vote(WireVote),
    /// A polka certificate.
    Polka(WirePolka),
    /// A round certificate.
    RoundCert(WireRoundCert),
    /// "I am deciding height h": peers ahead answer with certified blocks from h on.
    Status {
        /// The height the sender is deciding.
        height: u64,
    },
    /// A decided block with its commit certificate (catch-up).
    Certified(Block),
}

/// Why bytes are not a consensus message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Over `MAX_CONSENSUS_MSG_BYTES`.
    #[error("message of {0} bytes is over the limit")]
    TooLarge(usize),
    /// Not a borsh `ConsensusMsg`, or trailing bytes.
    #[error("malformed message")]
    Malformed,
    /// A field over its bound.
    #[error("field over its bound: {0}")]
    OverBound(&'static str),
}

impl ConsensusMsg {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }

    /// Decodes and bound-checks a message from a peer.
    pub fn decode(bytes: &[u8]) -> Result<ConsensusMsg, DecodeError> {
        if bytes.len() > MAX_CONSENSUS_MSG_BYTES {
            return Err(DecodeError::TooLarge(bytes.len()));
        }
        let msg = ConsensusMsg::try_from_slice(bytes).map_err(|_| DecodeError::Malformed)?;
        msg.check_bounds()?;
        Ok(msg)
    }

    fn check_bounds(&self) -> Result<(), DecodeError> {
        let round = |r: u32| {
            if r > MAX_CONSENSUS_ROUND {
                Err(DecodeError::OverBound("round"))
            } else {
                Ok(())
            }
        };
        match self {
            ConsensusMsg::Proposal(p) => {
                round(p.round)?;
                if let Some(r) = p.pol_round {
                    round(r)?;
                }
                check_block(&p.block)
            }
            ConsensusMsg::Vote(v) => round(v.round),
            ConsensusMsg::Polka(c) => {
                round(c.round)?;
                if c.sigs.len() > MAX_VALIDATORS {
                    return Err(DecodeError::OverBound("signatures"));
                }
                Ok(())
            }
            ConsensusMsg::RoundCert(c) => {
                round(c.round)?;
                if c.votes.len() > MAX_VALIDATORS {
                    return Err(DecodeError::OverBound("signatures"));
                }
                Ok(())
            }
            ConsensusMsg::Status { .. } => Ok(()),
            ConsensusMsg::Certified(b) => {
                round(b.certificate.round)?;
                check_block(b)
            }
        }
    }
}

fn check_block(b: &Block) -> Result<(), DecodeError> {
    if b.txs.len() > MAX_BLOCK_TXS {
        return Err(DecodeError::OverBound("transactions"));
    }
    if b.outcomes.len() != b.txs.len() || b.header.tx_count as usize != b.txs.len() {
        return Err(DecodeError::OverBound("outcomes"));
    }
    if b.txs.iter().any(|t| t.len() > MAX_TX_BYTES) {
        return Err(DecodeError::OverBound("transaction size"));
    }
    if b.certificate.sigs.len() > MAX_VALIDATORS {
        return Err(DecodeError::OverBound("signatures"));
    }
    if b.concerns.len() > handoff_core::limits::MAX_BLOCK_CONCERNS {
        return Err(DecodeError::OverBound("filter tags"));
    }
    Ok(())
}

/// One durable record of a replica (see `Action::Persist`): its own signatures, and
/// every input consensus asked to log, so that a restarted replica re-derives the
/// height's state (locks included) before it signs anything new.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum WalRecord {
    /// A vote or proposal this replica signed.
    Signed(ConsensusMsg),
    /// A vote, proposal, polka or round certificate consensus accepted.
    Received(ConsensusMsg),
    /// The application's verdict on a proposed block.
    Validity {
        /// Height.
        height: u64,
        /// Round of the proposal.
        round: u32,
        /// Its polka round, if re-proposed.
        valid_round: Option<u32>,
        /// Its proposer.
        proposer: PublicKey,
        /// The block.
        block: Block,
        /// The verdict.
        valid: bool,
    },
    /// A consensus timeout elapsed.
    Timeout {
        /// Height.
        height: u64,
        /// Round.
        round: u32,
        /// 0 propose, 1 prevote, 2 precommit.
        kind: u8,
    },
}

impl WalRecord {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }

    /// Decodes a record read back from the node's own storage (bounded like a message).
    pub fn decode(bytes: &[u8]) -> Result<WalRecord, DecodeError> {
        if bytes.len() > MAX_CONSENSUS_MSG_BYTES {
            return Err(DecodeError::TooLarge(bytes.len()));
        }
        let r = WalRecord::try_from_slice(bytes).map_err(|_| DecodeError::Malformed)?;
        match &r {
            WalRecord::Signed(m) | WalRecord::Received(m) => m.check_bounds()?,
            WalRecord::Validity { block, .. } => check_block(block)?,
            WalRecord::Timeout { .. } => {}
        }
        Ok(r)
    }
}
