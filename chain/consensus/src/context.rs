//! Handoff's instance of Malachite's `Context`: heights are block heights, validators are
//! ed25519 keys with equal voting power, a value is a proposed block (without its
//! certificate) identified by its header hash, and every vote and proposal is signed over
//! domain-separated bytes that include the chain id.

use std::fmt;
use std::sync::Arc;

use handoff_core::block::{Block, precommit_message};
use handoff_core::crypto::verify;
use handoff_core::types::{Hash32, PublicKey};
use malachitebft_core_types as mc;
use malachitebft_core_types::{NilOrVal, Round, VoteType};

/// Domain tag of prevote signatures.
pub const PREVOTE_SIGNING_DOMAIN: &[u8] = b"HANDOFF/PREVOTE/1\0";
/// Domain tag of proposal signatures.
pub const PROPOSAL_SIGNING_DOMAIN: &[u8] = b"HANDOFF/PROPOSAL/1\0";

/// A block height.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl mc::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: its ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub PublicKey);

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.short())
    }
}

impl mc::Address for Address {}

/// A validator: key and (equal) voting power.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    address: Address,
}

impl Validator {
    /// A validator with voting power 1.
    pub fn new(key: PublicKey) -> Self {
        Validator {
            address: Address(key),
        }
    }
}

impl mc::Validator<HandoffContext> for Validator {
    fn address(&self) -> &Address {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.address.0
    }

    fn voting_power(&self) -> mc::VotingPower {
        1
    }
}

/// The validators of one height, in the order the chain lists them (the proposer of
/// height `h`, round `r` is validator `(h + r) mod n`). Duplicates are dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
}

impl ValidatorSet {
    /// From the chain's list of validator keys (e.g. the genesis validators).
    pub fn new(keys: &[PublicKey]) -> Self {
        let mut seen: Vec<PublicKey> = Vec::new();
        let mut validators = Vec::new();
        for k in keys {
            if !seen.contains(k) {
                seen.push(*k);
                validators.push(Validator::new(*k));
            }
        }
        ValidatorSet { validators }
    }

    /// The keys, in order.
    pub fn keys(&self) -> Vec<PublicKey> {
        self.validators.iter().map(|v| v.address.0).collect()
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.validators.iter().any(|v| &v.address.0 == key)
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }
}

impl mc::ValidatorSet<HandoffContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> mc::VotingPower {
        self.validators.len() as u64
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.validators.iter().find(|v| &v.address == address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A value's id: the proposed block's header hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockId(pub Hash32);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.short())
    }
}

/// A proposed block (its certificate empty), compared by header hash.
#[derive(Clone, Debug)]
pub struct BlockValue {
    id: BlockId,
    block: Arc<Block>,
}

impl BlockValue {
    /// Wraps a block; the certificate is dropped (a proposal has none yet).
    pub fn new(mut block: Block) -> Self {
        block.certificate = Default::default();
        BlockValue {
            id: BlockId(block.header.hash()),
            block: Arc::new(block),
        }
    }

    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// The block, shared.
    pub fn shared(&self) -> Arc<Block> {
        self.block.clone()
    }
}

impl PartialEq for BlockValue {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for BlockValue {}
impl PartialOrd for BlockValue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for BlockValue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

impl mc::Value for BlockValue {
    type Id = BlockId;

    fn id(&self) -> BlockId {
        self.id
    }
}

/// A proposal: the proposer's block for a height and round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block.
    pub value: BlockValue,
    /// The round of the polka this value was locked in, if re-proposed.
    pub pol_round: Round,
    /// The proposer.
    pub proposer: Address,
}

impl mc::Proposal<HandoffContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }
    fn round(&self) -> Round {
        self.round
    }
    fn value(&self) -> &BlockValue {
        &self.value
    }
    fn take_value(self) -> BlockValue {
        self.value
    }
    fn pol_round(&self) -> Round {
        self.pol_round
    }
    fn validator_address(&self) -> &Address {
        &self.proposer
    }
}

/// A prevote or precommit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Prevote or precommit.
    pub vote_type: VoteType,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockId>,
    /// The voter.
    pub validator: Address,
}

impl mc::Vote<HandoffContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }
    fn round(&self) -> Round {
        self.round
    }
    fn value(&self) -> &NilOrVal<BlockId> {
        &self.value
    }
    fn take_value(self) -> NilOrVal<BlockId> {
        self.value
    }
    fn vote_type(&self) -> VoteType {
        self.vote_type
    }
    fn validator_address(&self) -> &Address {
        &self.validator
    }
    fn extension(&self) -> Option<&mc::SignedExtension<HandoffContext>> {
        None
    }
    fn take_extension(&mut self) -> Option<mc::SignedExtension<HandoffContext>> {
        None
    }
    fn extend(self, _extension: mc::SignedExtension<HandoffContext>) -> Self {
        // Handoff does not use vote extensions (the policy is always Disabled).
        self
    }
}

/// Handoff sends the whole block inside the proposal, so there are no proposal parts;
/// Malachite's `Context` still needs a type for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoParts;

impl mc::ProposalPart<HandoffContext> for NoParts {
    fn is_first(&self) -> bool {
        true
    }
    fn is_last(&self) -> bool {
        true
    }
}

/// A signature that could not be decoded.
#[derive(Debug)]
pub struct BadEncoding;

impl fmt::Display for BadEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a 32-byte key or 64-byte signature")
    }
}

/// ed25519 as used by `handoff_core::crypto` (its one rule, ZIP-215).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519;

impl mc::SigningScheme for Ed25519 {
    type DecodingError = BadEncoding;
    type Signature = [u8; 64];
    type PublicKey = PublicKey;
    /// The 32 secret bytes.
    type PrivateKey = [u8; 32];

    fn decode_signature(bytes: &[u8]) -> Result<[u8; 64], BadEncoding> {
        bytes.try_into().map_err(|_| BadEncoding)
    }
    fn encode_signature(signature: &[u8; 64]) -> Vec<u8> {
        signature.to_vec()
    }
    fn decode_public_key(bytes: &[u8]) -> Result<PublicKey, BadEncoding> {
        bytes.try_into().map(PublicKey).map_err(|_| BadEncoding)
    }
    fn encode_public_key(public_key: &PublicKey) -> Vec<u8> {
        public_key.0.to_vec()
    }
}

/// Handoff's consensus context: one chain.
#[derive(Clone, Debug)]
pub struct HandoffContext {
    /// The chain every signature is bound to.
    pub chain_id: Hash32,
}

fn round_u32(r: Round) -> u32 {
    // Votes and proposals are only made for defined rounds; a nil round signs as
    // u32::MAX, which no honest node ever reaches.
    r.as_u32().unwrap_or(u32::MAX)
}

impl HandoffContext {
    /// A context for the chain `chain_id`.
    pub fn new(chain_id: Hash32) -> Self {
        HandoffContext { chain_id }
    }

    /// The bytes a vote is signed over. Prevotes:
    /// `PREVOTE domain ‖ chain id ‖ height ‖ round ‖ [block id]`; precommits: exactly
    /// [`handoff_core::block::precommit_message`], so the precommits for a decided block
    /// are its commit certificate.
    pub fn vote_sign_bytes(&self, vote: &Vote) -> Vec<u8> {
        let value = match &vote.value {
            NilOrVal::Nil => None,
            NilOrVal::Val(id) => Some(&id.0),
        };
        match vote.vote_type {
            VoteType::Precommit => {
                precommit_message(&self.chain_id, vote.height.0, round_u32(vote.round), value)
            }
            VoteType::Prevote => {
                let mut m = PREVOTE_SIGNING_DOMAIN.to_vec();
                m.extend_from_slice(&self.chain_id.0);
                m.extend_from_slice(&vote.height.0.to_be_bytes());
                m.extend_from_slice(&round_u32(vote.round).to_be_bytes());
                if let Some(h) = value {
                    m.extend_from_slice(&h.0);
                }
                m
            }
        }
    }

    /// The bytes a proposal is signed over:
    /// `PROPOSAL domain ‖ chain id ‖ height ‖ round ‖ pol round (i64, -1 for none) ‖
    /// block id`. The block's body is bound through the header (tx root, state root).
    pub fn proposal_sign_bytes(&self, p: &Proposal) -> Vec<u8> {
        let mut m = PROPOSAL_SIGNING_DOMAIN.to_vec();
        m.extend_from_slice(&self.chain_id.0);
        m.extend_from_slice(&p.height.0.to_be_bytes());
        m.extend_from_slice(&round_u32(p.round).to_be_bytes());
        m.extend_from_slice(&p.pol_round.as_i64().to_be_bytes());
        m.extend_from_slice(&p.value.id.0.0);
        m
    }

    /// Whether `sig` by `key` is valid for `vote`.
    pub fn verify_vote(&self, vote: &Vote, key: &PublicKey, sig: &[u8; 64]) -> bool {
        vote.validator.0 == *key && verify(key, &self.vote_sign_bytes(vote), sig)
    }

    /// Whether `sig` by `key` is valid for `proposal`.
    pub fn verify_proposal(&self, p: &Proposal, key: &PublicKey, sig: &[u8; 64]) -> bool {
        p.proposer.0 == *key && verify(key, &self.proposal_sign_bytes(p), sig)
    }
}

impl mc::Context for HandoffContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = NoParts;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = mc::LinearTimeouts;
    type Value = BlockValue;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = Ed25519;

    fn select_proposer<'a>(
        &self,
        validator_set: &'a ValidatorSet,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        // The replica never starts a height with an empty set (`Replica` refuses it), so
        // the index is always in range; round-robin over height + round.
        let n = validator_set.validators.len().max(1) as u64;
        let r = round.as_u32().unwrap_or(0) as u64;
        let i = (height.0.wrapping_add(r) % n) as usize;
        &validator_set.validators[i.min(validator_set.validators.len().saturating_sub(1))]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockValue,
        pol_round: Round,
        address: Address,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            proposer: address,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockId>,
        address: Address,
    ) -> Vote {
        Vote {
            vote_type: VoteType::Prevote,
            height,
            round,
            value: value_id,
            validator: address,
        }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockId>,
        address: Address,
    ) -> Vote {
        Vote {
            vote_type: VoteType::Precommit,
            height,
            round,
            value: value_id,
            validator: address,
        }
    }
}
