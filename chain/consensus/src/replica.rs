//! The sans-IO replica: Malachite's consensus core driven by `handle(Input) -> Vec<Action>`.
//! No clock, no threads, no sockets: the node (or the simulator) delivers messages and
//! fired timers, answers build/validate requests, and carries out the actions in order.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use handoff_core::block::{Block, Certificate, CommitSig};
use handoff_core::crypto::Keypair;
use handoff_core::limits::{MAX_SYNC_BLOCKS, MAX_VALIDATORS};
use handoff_core::types::{Hash32, PublicKey, sha256};
use malachitebft_core_consensus::{
    self as mcons, Effect, LocallyProposedValue, Params, ProposedValue, Resumable, Resume,
    SignedConsensusMsg, State, ValuePayload,
};
use malachitebft_core_types::{
    self as mc, CertificateError, CommitCertificate, LinearTimeouts, NilOrVal, PolkaCertificate,
    PolkaSignature, Round, RoundCertificate, RoundCertificateType, RoundSignature, SignedMessage,
    ThresholdParams, Timeout, TimeoutKind, Validity, ValueOrigin, VoteExtensionPolicy, VoteType,
};

use crate::context::{
    Address, BlockId, BlockValue, HandoffContext, Height, Proposal, ValidatorSet, Vote,
};
use crate::wire::{
    ConsensusMsg, WalRecord, WirePolka, WireProposal, WireRoundCert, WireRoundVote, WireSig,
    WireVote, WireVoteType,
};

type Ctx = HandoffContext;

/// An opaque handle for a peer, given by the network layer with each message and used
/// to answer that peer.
pub type PeerId = u64;

/// How long each consensus step may wait, growing linearly with the round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Waiting for the round's proposal.
    pub propose: Duration,
    /// Waiting for prevotes after a mixed 2/3.
    pub prevote: Duration,
    /// Waiting for precommits after a mixed 2/3.
    pub precommit: Duration,
    /// Added per round to each of the three above.
    pub delta: Duration,
    /// Re-sending this replica's last vote while a round is stuck.
    pub rebroadcast: Duration,
    /// Between two status messages (how fast a lagging replica notices).
    pub status: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            propose: Duration::from_millis(3000),
            prevote: Duration::from_millis(1000),
            precommit: Duration::from_millis(1000),
            delta: Duration::from_millis(500),
            rebroadcast: Duration::from_millis(5000),
            status: Duration::from_millis(2000),
        }
    }
}

impl Timeouts {
    fn duration(&self, kind: TimerKind, round: u32) -> Duration {
        let grow = self.delta.saturating_mul(round.min(1000));
        let cap = Duration::from_secs(60);
        match kind {
            TimerKind::Propose => self.propose.saturating_add(grow).min(cap),
            TimerKind::Prevote => self.prevote.saturating_add(grow).min(cap),
            TimerKind::Precommit => self.precommit.saturating_add(grow).min(cap),
            TimerKind::Rebroadcast => self.rebroadcast.saturating_add(grow).min(cap),
            TimerKind::Status => self.status,
        }
    }
}

/// Which timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    /// Consensus: waiting for a proposal.
    Propose,
    /// Consensus: waiting for prevotes.
    Prevote,
    /// Consensus: waiting for precommits.
    Precommit,
    /// Consensus: re-send the last vote.
    Rebroadcast,
    /// The replica's own periodic status broadcast (never cancelled by consensus).
    Status,
}

/// A timer the node schedules and hands back through [`Input::TimerFired`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timer {
    /// The height it belongs to (a timer of an earlier height is ignored).
    pub height: u64,
    /// The round.
    pub round: u32,
    /// Which.
    pub kind: TimerKind,
}

/// What the node feeds the replica.
// Inputs live for one call; boxing the block would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Input {
    /// Start deciding `height` (the block after the node's last committed one) with the
    /// validators of that height. Also the answer to [`Action::Decided`] once the node
    /// has committed the decided block.
    StartHeight {
        /// The height to decide.
        height: u64,
        /// Its validators.
        validators: Vec<PublicKey>,
    },
    /// Bytes from a peer (any bytes: they are decoded with limits, garbage is dropped).
    Message {
        /// Who sent them.
        from: PeerId,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A timer scheduled by [`Action::ScheduleTimer`] elapsed.
    TimerFired(Timer),
    /// The answer to [`Action::BuildBlock`]: the block to propose.
    BlockBuilt {
        /// As asked.
        height: u64,
        /// As asked.
        round: u32,
        /// The block (certificate empty).
        block: Block,
    },
    /// The answer to [`Action::ValidateBlock`].
    BlockValidated {
        /// The ticket of the request.
        ticket: u64,
        /// Whether re-executing the block on the node's state gave exactly its header
        /// (tx root, outcomes, state root, parent, height, proposer, time).
        valid: bool,
    },
}

/// The node's first look at consensus bytes from a peer ([`Replica::precheck`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precheck {
    /// The bytes are not a consensus message within its limits.
    Undecodable,
    /// A current validator's vote or proposal with a signature that does not verify.
    BadSignature,
    /// A validly signed proposal (or one of a key outside the current set) of this block.
    Proposal {
        /// Its height.
        height: u64,
        /// Its block's header hash.
        block: Hash32,
    },
    /// Decodes and carries no bad signature the node can see.
    Plausible {
        /// The message's height, if it has one.
        height: Option<u64>,
    },
}

/// Kinds of misbehaviour consensus found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Misbehavior {
    /// Two different votes of one type in one round.
    DoubleVote,
    /// Two different proposals in one round.
    DoubleProposal,
}

/// What the replica asks the node to do, in order.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Action {
    /// Send to every peer.
    Broadcast(Vec<u8>),
    /// Send to one peer.
    Send {
        /// The peer.
        to: PeerId,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Call back with [`Input::TimerFired`] after `after`.
    ScheduleTimer {
        /// Handed back as is.
        timer: Timer,
        /// Delay.
        after: Duration,
    },
    /// Drop a scheduled timer.
    CancelTimer(Timer),
    /// Drop every scheduled timer except [`TimerKind::Status`].
    CancelConsensusTimers,
    /// This replica proposes: build a block at `height` on the node's committed tip and
    /// answer with [`Input::BlockBuilt`].
    BuildBlock {
        /// Height.
        height: u64,
        /// Round.
        round: u32,
    },
    /// Re-execute a proposed block on the node's state and answer
    /// [`Input::BlockValidated`].
    ValidateBlock {
        /// Hand back with the answer.
        ticket: u64,
        /// The block.
        block: Arc<Block>,
    },
    /// Append this write-ahead-log record (a `WalRecord`: one of the replica's own
    /// signatures, or an input consensus logs) to durable storage **before carrying out
    /// any later action**, and give all records back, in order, with
    /// [`Replica::restore_signed`] after a restart: the replica re-derives the height's
    /// state from them (locks included) and never signs two different votes or
    /// proposals for one height, round and kind.
    Persist {
        /// Height the record belongs to (records below the committed height can go).
        height: u64,
        /// The record.
        record: Vec<u8>,
    },
    /// The block at the current height is final: commit it (re-executing it and checking
    /// its state root), then answer [`Input::StartHeight`] for the next height.
    Decided(Block),
    /// A peer is behind: send it the certified blocks `from..=to` as
    /// `ConsensusMsg::Certified` (see [`certified_block_message`]).
    ServeBlocks {
        /// The peer.
        to: PeerId,
        /// First height.
        from: u64,
        /// Last height.
        to_height: u64,
    },
    /// A validator misbehaved at a height (reported when the height is finalized).
    Misbehaved {
        /// The validator.
        validator: PublicKey,
        /// Height.
        height: u64,
        /// What it did.
        kind: Misbehavior,
    },
}

/// The bytes that carry a committed block (with certificate) to a lagging peer.
pub fn certified_block_message(block: &Block) -> Vec<u8> {
    ConsensusMsg::Certified(block.clone()).encode()
}

/// Replica settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The chain.
    pub chain_id: Hash32,
    /// Timeouts.
    pub timeouts: Timeouts,
}

/// Messages for heights ahead of the current one kept for later.
const MAX_FUTURE_MSGS: usize = 512;
/// How far ahead (in heights) a message is kept.
const FUTURE_HEIGHTS: u64 = 2;
/// Block validations one height may ask for (each is a re-execution).
const MAX_VALIDATIONS_PER_HEIGHT: usize = 64;
/// How far ahead of the current round a proposal is worth validating.
const ROUND_LOOKAHEAD: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SignKind {
    Prevote,
    Precommit,
    Proposal,
}

struct PendingValidation {
    height: u64,
    round: u32,
    pol_round: Round,
    proposer: Address,
    value: BlockValue,
    digest: Hash32,
}

/// Everything but Malachite's state, so effects can be handled while the state is
/// borrowed by the consensus coroutine.
struct Io {
    ctx: Ctx,
    key: Keypair,
    timeouts: Timeouts,
    height: u64,
    validators: ValidatorSet,
    actions: Vec<Action>,
    /// Valid blocks of this height by id (built here or validated), for the decision.
    values: BTreeMap<BlockId, BlockValue>,
    decided: bool,
    /// Our own signatures by (height, round, kind).
    signed: BTreeMap<(u64, u32, SignKind), ConsensusMsg>,
    /// Re-feeding restored records: nothing is persisted again.
    replaying: bool,
}

/// One validator's (or observer's) consensus replica. See the crate docs.
pub struct Replica {
    io: Io,
    state: Option<State<Ctx>>,
    next_ticket: u64,
    pending: BTreeMap<u64, PendingValidation>,
    /// Body digest → validity, this height.
    checked: BTreeMap<Hash32, bool>,
    validations: usize,
    future_msgs: Vec<(u64, PeerId, ConsensusMsg)>,
    future_blocks: BTreeMap<u64, Block>,
    status_started: bool,
    rejected_msgs: u64,
    /// Restored records to re-feed when their height starts.
    wal: BTreeMap<u64, Vec<WalRecord>>,
}

fn wire_type(t: VoteType) -> WireVoteType {
    match t {
        VoteType::Prevote => WireVoteType::Prevote,
        VoteType::Precommit => WireVoteType::Precommit,
    }
}

fn vote_type(t: WireVoteType) -> VoteType {
    match t {
        WireVoteType::Prevote => VoteType::Prevote,
        WireVoteType::Precommit => VoteType::Precommit,
    }
}

fn round_of(r: Round) -> u32 {
    r.as_u32().unwrap_or(0)
}

fn opt_round(r: Option<u32>) -> Round {
    r.map(Round::new).unwrap_or(Round::Nil)
}

fn nil_or(v: Option<Hash32>) -> NilOrVal<BlockId> {
    match v {
        Some(h) => NilOrVal::Val(BlockId(h)),
        None => NilOrVal::Nil,
    }
}

fn val_opt(v: &NilOrVal<BlockId>) -> Option<Hash32> {
    match v {
        NilOrVal::Val(id) => Some(id.0),
        NilOrVal::Nil => None,
    }
}

fn encode_vote(v: &mc::SignedVote<Ctx>) -> ConsensusMsg {
    ConsensusMsg::Vote(WireVote {
        vote_type: wire_type(v.message.vote_type),
        height: v.message.height.0,
        round: round_of(v.message.round),
        value: val_opt(&v.message.value),
        validator: v.message.validator.0,
        signature: v.signature,
    })
}

fn encode_proposal(p: &mc::SignedProposal<Ctx>) -> ConsensusMsg {
    ConsensusMsg::Proposal(WireProposal {
        height: p.message.height.0,
        round: round_of(p.message.round),
        pol_round: p.message.pol_round.as_u32(),
        proposer: p.message.proposer.0,
        block: p.message.value.block().clone(),
        signature: p.signature,
    })
}

fn decode_vote(w: &WireVote) -> mc::SignedVote<Ctx> {
    SignedMessage::new(
        Vote {
            vote_type: vote_type(w.vote_type),
            height: Height(w.height),
            round: Round::new(w.round),
            value: nil_or(w.value),
            validator: Address(w.validator),
        },
        w.signature,
    )
}

fn decode_proposal(w: &WireProposal) -> mc::SignedProposal<Ctx> {
    SignedMessage::new(
        Proposal {
            height: Height(w.height),
            round: Round::new(w.round),
            value: BlockValue::new(w.block.clone()),
            pol_round: opt_round(w.pol_round),
            proposer: Address(w.proposer),
        },
        w.signature,
    )
}

fn encode_polka(c: &PolkaCertificate<Ctx>) -> ConsensusMsg {
    ConsensusMsg::Polka(WirePolka {
        height: c.height.0,
        round: round_of(c.round),
        value: c.value_id.0,
        sigs: c
            .polka_signatures
            .iter()
            .map(|s| WireSig {
                validator: s.address.0,
                signature: s.signature,
            })
            .collect(),
    })
}

fn encode_round_cert(c: &RoundCertificate<Ctx>) -> ConsensusMsg {
    ConsensusMsg::RoundCert(WireRoundCert {
        height: c.height.0,
        round: round_of(c.round),
        skip: matches!(c.cert_type, RoundCertificateType::Skip),
        votes: c
            .round_signatures
            .iter()
            .map(|s| WireRoundVote {
                vote_type: wire_type(s.vote_type),
                value: val_opt(&s.value_id),
                validator: s.address.0,
                signature: s.signature,
            })
            .collect(),
    })
}

fn msg_height(m: &ConsensusMsg) -> Option<u64> {
    match m {
        ConsensusMsg::Proposal(p) => Some(p.height),
        ConsensusMsg::Vote(v) => Some(v.height),
        ConsensusMsg::Polka(c) => Some(c.height),
        ConsensusMsg::RoundCert(c) => Some(c.height),
        ConsensusMsg::Status { .. } | ConsensusMsg::Certified(_) => None,
    }
}

// `CertificateError` is Malachite's type: the verdicts resume its coroutine as they are.
#[allow(clippy::result_large_err)]
impl Io {
    fn timer(&mut self, t: Timeout) -> Option<Timer> {
        let kind = match t.kind {
            TimeoutKind::Propose => TimerKind::Propose,
            TimeoutKind::Prevote => TimerKind::Prevote,
            TimeoutKind::Precommit => TimerKind::Precommit,
            TimeoutKind::Rebroadcast => TimerKind::Rebroadcast,
            // Handoff sets no target time, so consensus never waits to finalize.
            TimeoutKind::FinalizeHeight(_) => return None,
        };
        Some(Timer {
            height: self.height,
            round: round_of(t.round),
            kind,
        })
    }

    fn broadcast(&mut self, m: &ConsensusMsg) {
        self.actions.push(Action::Broadcast(m.encode()));
    }

    fn persist(&mut self, height: u64, key: (u64, u32, SignKind), m: ConsensusMsg) {
        self.actions.push(Action::Persist {
            height,
            record: WalRecord::Signed(m.clone()).encode(),
        });
        self.signed.insert(key, m);
    }

    /// Logs an input consensus asked to keep (Malachite's write-ahead log entries).
    fn log_input(&mut self, height: u64, input: &mcons::Input<Ctx>) {
        if self.replaying {
            return;
        }
        let record = match input {
            mcons::Input::Vote(v) => WalRecord::Received(encode_vote(v)),
            mcons::Input::Proposal(p) => WalRecord::Received(encode_proposal(p)),
            mcons::Input::PolkaCertificate(c) => WalRecord::Received(encode_polka(c)),
            mcons::Input::RoundCertificate(c) => WalRecord::Received(encode_round_cert(c)),
            mcons::Input::ProposedValue(pv, _) => WalRecord::Validity {
                height: pv.height.0,
                round: round_of(pv.round),
                valid_round: pv.valid_round.as_u32(),
                proposer: pv.proposer.0,
                block: pv.value.block().clone(),
                valid: pv.validity.is_valid(),
            },
            mcons::Input::TimeoutElapsed(t) => WalRecord::Timeout {
                height,
                round: round_of(t.round),
                kind: match t.kind {
                    TimeoutKind::Propose => 0,
                    TimeoutKind::Prevote => 1,
                    TimeoutKind::Precommit => 2,
                    _ => return,
                },
            },
            _ => return,
        };
        self.actions.push(Action::Persist {
            height,
            record: record.encode(),
        });
    }

    fn sign_vote(&mut self, vote: Vote) -> mc::SignedVote<Ctx> {
        let kind = match vote.vote_type {
            VoteType::Prevote => SignKind::Prevote,
            VoteType::Precommit => SignKind::Precommit,
        };
        let key = (vote.height.0, round_of(vote.round), kind);
        if let Some(ConsensusMsg::Vote(w)) = self.signed.get(&key) {
            // Signed before a restart: never sign a second, different vote.
            return decode_vote(w);
        }
        let signature = self.key.sign_raw(&self.ctx.vote_sign_bytes(&vote));
        let signed = SignedMessage::new(vote, signature);
        self.persist(key.0, key, encode_vote(&signed));
        signed
    }

    fn sign_proposal(&mut self, p: Proposal) -> mc::SignedProposal<Ctx> {
        let key = (p.height.0, round_of(p.round), SignKind::Proposal);
        if let Some(ConsensusMsg::Proposal(w)) = self.signed.get(&key) {
            let old = decode_proposal(w);
            self.values
                .insert(mc::Value::id(&old.message.value), old.message.value.clone());
            return old;
        }
        let signature = self.key.sign_raw(&self.ctx.proposal_sign_bytes(&p));
        let signed = SignedMessage::new(p, signature);
        self.persist(key.0, key, encode_proposal(&signed));
        signed
    }

    fn verify_commit(
        &self,
        c: &CommitCertificate<Ctx>,
        vs: &ValidatorSet,
        th: ThresholdParams,
    ) -> Result<(), CertificateError<Ctx>> {
        let votes: Vec<(Vote, [u8; 64])> = c
            .commit_signatures
            .iter()
            .map(|s| {
                (
                    mc::Context::new_precommit(
                        &self.ctx,
                        c.height,
                        c.round,
                        NilOrVal::Val(c.value_id),
                        s.address,
                    ),
                    s.signature,
                )
            })
            .collect();
        self.verify_votes(&votes, vs, th.quorum, |v, sig| {
            CertificateError::InvalidCommitSignature(mc::CommitSignature::new(v.validator, sig))
        })
    }

    fn verify_polka(
        &self,
        c: &PolkaCertificate<Ctx>,
        vs: &ValidatorSet,
        th: ThresholdParams,
    ) -> Result<(), CertificateError<Ctx>> {
        let votes: Vec<(Vote, [u8; 64])> = c
            .polka_signatures
            .iter()
            .map(|s| {
                (
                    mc::Context::new_prevote(
                        &self.ctx,
                        c.height,
                        c.round,
                        NilOrVal::Val(c.value_id),
                        s.address,
                    ),
                    s.signature,
                )
            })
            .collect();
        self.verify_votes(&votes, vs, th.quorum, |v, sig| {
            CertificateError::InvalidPolkaSignature(PolkaSignature::new(v.validator, sig))
        })
    }

    fn verify_round(
        &self,
        c: &RoundCertificate<Ctx>,
        vs: &ValidatorSet,
        th: ThresholdParams,
    ) -> Result<(), CertificateError<Ctx>> {
        let mut votes = Vec::new();
        for s in &c.round_signatures {
            if matches!(c.cert_type, RoundCertificateType::Precommit)
                && s.vote_type != VoteType::Precommit
            {
                return Err(CertificateError::InvalidVoteType(s.address));
            }
            let v = Vote {
                vote_type: s.vote_type,
                height: c.height,
                round: c.round,
                value: s.value_id,
                validator: s.address,
            };
            votes.push((v, s.signature));
        }
        let need = match c.cert_type {
            RoundCertificateType::Precommit => th.quorum,
            RoundCertificateType::Skip => th.honest,
        };
        self.verify_votes(&votes, vs, need, |v, sig| {
            CertificateError::InvalidRoundSignature(RoundSignature::new(
                v.vote_type,
                v.value,
                v.validator,
                sig,
            ))
        })
    }

    fn verify_votes(
        &self,
        votes: &[(Vote, [u8; 64])],
        vs: &ValidatorSet,
        need: mc::ThresholdParam,
        bad: impl Fn(&Vote, [u8; 64]) -> CertificateError<Ctx>,
    ) -> Result<(), CertificateError<Ctx>> {
        let mut seen = BTreeSet::new();
        for (v, sig) in votes {
            if !vs.contains(&v.validator.0) {
                return Err(CertificateError::UnknownValidator(v.validator));
            }
            if !seen.insert(v.validator) {
                return Err(CertificateError::DuplicateVote(v.validator));
            }
            if !self.ctx.verify_vote(v, &v.validator.0, sig) {
                return Err(bad(v, *sig));
            }
        }
        let total = vs.len() as u64;
        let signed = seen.len() as u64;
        if need.is_met(signed, total) {
            Ok(())
        } else {
            Err(CertificateError::NotEnoughVotingPower {
                signed,
                total,
                expected: need.min_expected(total),
            })
        }
    }

    fn decide(&mut self, c: &CommitCertificate<Ctx>) {
        if self.decided {
            return;
        }
        let Some(value) = self.values.get(&c.value_id) else {
            // Decided on precommits for a block this replica never saw whole: ask peers
            // for the certified block.
            let m = ConsensusMsg::Status {
                height: self.height,
            };
            self.broadcast(&m);
            return;
        };
        let mut block = value.block().clone();
        let mut sigs: Vec<CommitSig> = c
            .commit_signatures
            .iter()
            .map(|s| CommitSig {
                validator: s.address.0,
                signature: s.signature,
            })
            .collect();
        sigs.sort_by_key(|s| s.validator);
        block.certificate = Certificate {
            round: round_of(c.round),
            sigs,
        };
        self.decided = true;
        self.actions.push(Action::Decided(block));
    }

    fn effect(&mut self, effect: Effect<Ctx>) -> Result<Resume<Ctx>, Infallible> {
        Ok(match effect {
            Effect::CancelAllTimeouts(r) => {
                self.actions.push(Action::CancelConsensusTimers);
                r.resume_with(())
            }
            Effect::CancelTimeout(t, r) => {
                if let Some(timer) = self.timer(t) {
                    self.actions.push(Action::CancelTimer(timer));
                }
                r.resume_with(())
            }
            Effect::ScheduleTimeout(t, r) => {
                if let Some(timer) = self.timer(t) {
                    let after = self.timeouts.duration(timer.kind, timer.round);
                    self.actions.push(Action::ScheduleTimer { timer, after });
                }
                r.resume_with(())
            }
            Effect::StartRound(_, _, _, _, r) => r.resume_with(()),
            Effect::PublishConsensusMsg(m, r) => {
                let m = match &m {
                    SignedConsensusMsg::Vote(v) => encode_vote(v),
                    SignedConsensusMsg::Proposal(p) => encode_proposal(p),
                };
                self.broadcast(&m);
                r.resume_with(())
            }
            Effect::PublishLivenessMsg(m, r) => {
                let m = match &m {
                    mcons::LivenessMsg::Vote(v) => encode_vote(v),
                    mcons::LivenessMsg::PolkaCertificate(c) => encode_polka(c),
                    mcons::LivenessMsg::SkipRoundCertificate(c) => encode_round_cert(c),
                };
                self.broadcast(&m);
                r.resume_with(())
            }
            Effect::RepublishVote(v, r) => {
                self.broadcast(&encode_vote(&v));
                r.resume_with(())
            }
            Effect::RepublishRoundCertificate(c, r) => {
                self.broadcast(&encode_round_cert(&c));
                r.resume_with(())
            }
            Effect::GetValue(h, round, _, r) => {
                self.actions.push(Action::BuildBlock {
                    height: h.0,
                    round: round_of(round),
                });
                r.resume_with(())
            }
            // The proposal carries the whole block and is published again by consensus
            // itself, so there is nothing else to stream.
            Effect::RestreamProposal(.., r) => r.resume_with(()),
            // Catch-up bypasses Malachite's sync (see `Replica::on_certified`).
            Effect::CertVerifiedSyncValue(_, _, r) => r.resume_with(()),
            Effect::CertRejectedSyncValue(_, _, _, r) => r.resume_with(()),
            Effect::Decide(c, _, r) => {
                self.decide(&c);
                r.resume_with(())
            }
            Effect::SignVote(v, r) => {
                let s = self.sign_vote(v);
                r.resume_with(s)
            }
            Effect::SignProposal(p, r) => {
                let s = self.sign_proposal(p);
                r.resume_with(s)
            }
            Effect::VerifySignature(m, key, r) => {
                let ok = match &m.message {
                    mcons::ConsensusMsg::Vote(v) => self.ctx.verify_vote(v, &key, &m.signature),
                    mcons::ConsensusMsg::Proposal(p) => {
                        self.ctx.verify_proposal(p, &key, &m.signature)
                    }
                };
                r.resume_with(ok)
            }
            Effect::VerifyCommitCertificate(c, vs, th, r) => {
                let res = self.verify_commit(&c, &vs, th);
                r.resume_with(res)
            }
            Effect::VerifyExtendedCommitCertificate(c, vs, th, _, r) => {
                let res = self.verify_commit(&c.trim_vote_extensions(), &vs, th);
                r.resume_with(res)
            }
            Effect::VerifyPolkaCertificate(c, vs, th, r) => {
                let res = self.verify_polka(&c, &vs, th);
                r.resume_with(res)
            }
            Effect::VerifyRoundCertificate(c, vs, th, r) => {
                let res = self.verify_round(&c, &vs, th);
                r.resume_with(res)
            }
            // Malachite's write-ahead log is the node's storage of `Action::Persist`.
            Effect::WalAppend(h, input, r) => {
                self.log_input(h.0, &input);
                r.resume_with(())
            }
            Effect::ExtendVote(.., r) => r.resume_with(None),
            Effect::VerifyVoteExtension(.., r) => r.resume_with(Ok(())),
            Effect::Finalize(_, _, evidence, r) => {
                for v in self.validators.keys() {
                    let a = Address(v);
                    if evidence.votes.get(&a).is_some_and(|e| !e.is_empty()) {
                        self.actions.push(Action::Misbehaved {
                            validator: v,
                            height: self.height,
                            kind: Misbehavior::DoubleVote,
                        });
                    }
                    if evidence.proposals.get(&a).is_some_and(|e| !e.is_empty()) {
                        self.actions.push(Action::Misbehaved {
                            validator: v,
                            height: self.height,
                            kind: Misbehavior::DoubleProposal,
                        });
                    }
                }
                r.resume_with(())
            }
        })
    }
}

impl Replica {
    /// A replica signing with `key`. It does nothing until [`Input::StartHeight`].
    pub fn new(config: Config, key: Keypair) -> Replica {
        Replica {
            io: Io {
                ctx: HandoffContext::new(config.chain_id),
                key,
                timeouts: config.timeouts,
                height: 0,
                validators: ValidatorSet::new(&[]),
                actions: Vec::new(),
                values: BTreeMap::new(),
                decided: false,
                signed: BTreeMap::new(),
                replaying: false,
            },
            state: None,
            next_ticket: 0,
            pending: BTreeMap::new(),
            checked: BTreeMap::new(),
            validations: 0,
            future_msgs: Vec::new(),
            future_blocks: BTreeMap::new(),
            status_started: false,
            rejected_msgs: 0,
            wal: BTreeMap::new(),
        }
    }

    /// Gives back the records of [`Action::Persist`] after a restart, in the order they
    /// were persisted (before the first `StartHeight`). When the height they belong to
    /// starts, they are fed to consensus again, so the replica re-derives its locks and
    /// re-sends exactly the votes it signed before; it never signs a second, different
    /// vote or proposal for a height, round and kind. Records that do not decode, and
    /// signatures that are not this replica's, are skipped.
    pub fn restore_signed(&mut self, records: &[Vec<u8>]) {
        let me = self.io.key.public();
        for r in records {
            let Ok(rec) = WalRecord::decode(r) else {
                continue;
            };
            match rec {
                WalRecord::Signed(ConsensusMsg::Vote(w)) if w.validator == me => {
                    let kind = match w.vote_type {
                        WireVoteType::Prevote => SignKind::Prevote,
                        WireVoteType::Precommit => SignKind::Precommit,
                    };
                    self.io
                        .signed
                        .insert((w.height, w.round, kind), ConsensusMsg::Vote(w));
                }
                WalRecord::Signed(ConsensusMsg::Proposal(w)) if w.proposer == me => {
                    self.io.signed.insert(
                        (w.height, w.round, SignKind::Proposal),
                        ConsensusMsg::Proposal(w),
                    );
                }
                WalRecord::Signed(_) => {}
                WalRecord::Received(ref m) => {
                    if let Some(h) = msg_height(m) {
                        self.wal.entry(h).or_default().push(rec);
                    }
                }
                WalRecord::Validity { height, .. } | WalRecord::Timeout { height, .. } => {
                    self.wal.entry(height).or_default().push(rec);
                }
            }
        }
    }

    fn replay(&mut self, height: u64) {
        let Some(records) = self.wal.remove(&height) else {
            return;
        };
        self.wal.retain(|h, _| *h > height);
        self.io.replaying = true;
        for rec in records {
            match rec {
                WalRecord::Received(ConsensusMsg::Vote(v)) => {
                    self.run(mcons::Input::Vote(decode_vote(&v)))
                }
                WalRecord::Received(ConsensusMsg::Proposal(p)) => {
                    self.run(mcons::Input::Proposal(decode_proposal(&p)))
                }
                WalRecord::Received(m @ (ConsensusMsg::Polka(_) | ConsensusMsg::RoundCert(_))) => {
                    self.on_message(u64::MAX, m)
                }
                WalRecord::Received(_) | WalRecord::Signed(_) => {}
                WalRecord::Validity {
                    height,
                    round,
                    valid_round,
                    proposer,
                    block,
                    valid,
                } => {
                    let value = BlockValue::new(block);
                    self.checked.insert(
                        sha256(&[&borsh::to_vec(value.block()).unwrap_or_default()]),
                        valid,
                    );
                    self.feed_value(
                        height,
                        round,
                        opt_round(valid_round),
                        Address(proposer),
                        value,
                        valid,
                    );
                }
                WalRecord::Timeout { round, kind, .. } => {
                    let kind = match kind {
                        0 => TimeoutKind::Propose,
                        1 => TimeoutKind::Prevote,
                        _ => TimeoutKind::Precommit,
                    };
                    self.run(mcons::Input::TimeoutElapsed(Timeout::new(
                        Round::new(round),
                        kind,
                    )));
                }
            }
            if self.io.decided {
                break;
            }
        }
        self.io.replaying = false;
    }

    /// What the node can tell about consensus bytes from a peer before handing them
    /// over, to judge gossip before it is forwarded: undecodable bytes, and votes or
    /// proposals of a current validator whose signature does not verify, are the
    /// sender's fault; anything else is plausible (the replica decides the rest).
    pub fn precheck(&self, bytes: &[u8]) -> Precheck {
        let Ok(m) = ConsensusMsg::decode(bytes) else {
            return Precheck::Undecodable;
        };
        let vs = &self.io.validators;
        let signed_ok = match &m {
            ConsensusMsg::Vote(v) if vs.contains(&v.validator) => {
                let sv = decode_vote(v);
                self.io
                    .ctx
                    .verify_vote(&sv.message, &v.validator, &v.signature)
            }
            ConsensusMsg::Proposal(p) if vs.contains(&p.proposer) => {
                let sp = decode_proposal(p);
                self.io
                    .ctx
                    .verify_proposal(&sp.message, &p.proposer, &p.signature)
            }
            _ => true,
        };
        if !signed_ok {
            return Precheck::BadSignature;
        }
        match m {
            ConsensusMsg::Proposal(p) => Precheck::Proposal {
                height: p.height,
                block: p.block.header.hash(),
            },
            other => Precheck::Plausible {
                height: msg_height(&other),
            },
        }
    }

    /// This replica's validator key.
    pub fn public_key(&self) -> PublicKey {
        self.io.key.public()
    }

    /// The height being decided (0 before the first `StartHeight`).
    pub fn height(&self) -> u64 {
        self.io.height
    }

    /// The current round, if a height is running.
    pub fn round(&self) -> Option<u32> {
        self.state.as_ref().and_then(|s| s.round().as_u32())
    }

    /// Whether the current height is decided (waiting for the next `StartHeight`).
    pub fn is_decided(&self) -> bool {
        self.io.decided
    }

    /// Messages from peers that were dropped as undecodable or invalid.
    pub fn rejected_messages(&self) -> u64 {
        self.rejected_msgs
    }

    /// Feeds one input; returns what to do, in order.
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        match input {
            Input::StartHeight { height, validators } => self.start_height(height, &validators),
            Input::Message { from, bytes } => match ConsensusMsg::decode(&bytes) {
                Ok(m) => self.on_message(from, m),
                Err(_) => self.rejected_msgs += 1,
            },
            Input::TimerFired(t) => self.on_timer(t),
            Input::BlockBuilt {
                height,
                round,
                block,
            } => self.on_built(height, round, block),
            Input::BlockValidated { ticket, valid } => self.on_validated(ticket, valid),
        }
        std::mem::take(&mut self.io.actions)
    }

    fn run(&mut self, input: mcons::Input<Ctx>) {
        let Some(state) = self.state.as_mut() else {
            return;
        };
        let io = &mut self.io;
        let result: Result<(), mcons::Error<Ctx>> = mcons::process!(input: input, state: state, metrics: &(), with: effect => io.effect(effect));
        if result.is_err() {
            // An input consensus refused (e.g. a proposal it cannot store); it changed
            // nothing that matters for safety.
            self.rejected_msgs += 1;
        }
    }

    fn start_height(&mut self, height: u64, validators: &[PublicKey]) {
        let vs = ValidatorSet::new(validators);
        if vs.is_empty() || vs.len() > MAX_VALIDATORS || height == 0 {
            return;
        }
        // Heights only go up: a start for the running or an earlier height is ignored.
        if self.state.is_some() && height <= self.io.height {
            return;
        }
        self.io.height = height;
        self.io.validators = vs.clone();
        self.io.values.clear();
        self.io.decided = false;
        self.io.signed.retain(|k, _| k.0 >= height);
        self.pending.clear();
        self.checked.clear();
        self.validations = 0;
        if self.state.is_none() {
            let params = Params {
                address: Address(self.io.key.public()),
                threshold_params: ThresholdParams::default(),
                // The proposal carries the block, but its validity comes from the
                // application (`Input::BlockValidated`), which is how Malachite's
                // "proposal and parts" mode takes values; no parts are ever sent.
                value_payload: ValuePayload::ProposalAndParts,
                enabled: true,
            };
            self.state = Some(State::new(
                self.io.ctx.clone(),
                Height(height),
                vs.clone(),
                params,
                MAX_FUTURE_MSGS,
                MAX_FUTURE_MSGS,
            ));
        }
        self.run(mcons::Input::StartHeight(
            Height(height),
            vs,
            false,
            None,
            VoteExtensionPolicy::Disabled,
        ));
        self.replay(height);
        if !self.status_started {
            self.status_started = true;
            self.schedule_status();
        }
        // A certified block already here decides the height at once.
        self.future_blocks.retain(|h, _| *h >= height);
        if let Some(b) = self.future_blocks.remove(&height) {
            self.on_certified(b);
        }
        let msgs = std::mem::take(&mut self.future_msgs);
        let (now, later): (Vec<_>, Vec<_>) = msgs.into_iter().partition(|(h, _, _)| *h == height);
        self.future_msgs = later.into_iter().filter(|(h, _, _)| *h > height).collect();
        for (_, from, m) in now {
            self.on_message(from, m);
        }
    }

    fn schedule_status(&mut self) {
        let timer = Timer {
            height: 0,
            round: 0,
            kind: TimerKind::Status,
        };
        let after = self.io.timeouts.duration(TimerKind::Status, 0);
        self.io.actions.push(Action::ScheduleTimer { timer, after });
    }

    fn on_timer(&mut self, t: Timer) {
        if t.kind == TimerKind::Status {
            if self.state.is_some() {
                let m = ConsensusMsg::Status {
                    height: self.io.height,
                };
                self.io.broadcast(&m);
            }
            self.schedule_status();
            return;
        }
        if t.height != self.io.height || self.io.decided {
            return;
        }
        let kind = match t.kind {
            TimerKind::Propose => TimeoutKind::Propose,
            TimerKind::Prevote => TimeoutKind::Prevote,
            TimerKind::Precommit => TimeoutKind::Precommit,
            TimerKind::Rebroadcast => TimeoutKind::Rebroadcast,
            TimerKind::Status => return,
        };
        self.run(mcons::Input::TimeoutElapsed(Timeout::new(
            Round::new(t.round),
            kind,
        )));
    }

    fn on_message(&mut self, from: PeerId, m: ConsensusMsg) {
        if let Some(h) = msg_height(&m) {
            if self.state.is_none() || h > self.io.height {
                if h <= self.io.height + FUTURE_HEIGHTS && self.future_msgs.len() < MAX_FUTURE_MSGS
                {
                    self.future_msgs.push((h, from, m));
                }
                return;
            }
            if h < self.io.height || self.io.decided {
                return;
            }
        }
        match m {
            ConsensusMsg::Proposal(p) => self.on_proposal(p),
            ConsensusMsg::Vote(v) => self.run(mcons::Input::Vote(decode_vote(&v))),
            ConsensusMsg::Polka(c) => {
                let cert = PolkaCertificate {
                    height: Height(c.height),
                    round: Round::new(c.round),
                    value_id: BlockId(c.value),
                    polka_signatures: c
                        .sigs
                        .iter()
                        .map(|s| PolkaSignature::new(Address(s.validator), s.signature))
                        .collect(),
                };
                self.run(mcons::Input::PolkaCertificate(cert));
            }
            ConsensusMsg::RoundCert(c) => {
                let cert = RoundCertificate {
                    height: Height(c.height),
                    round: Round::new(c.round),
                    cert_type: if c.skip {
                        RoundCertificateType::Skip
                    } else {
                        RoundCertificateType::Precommit
                    },
                    round_signatures: c
                        .votes
                        .iter()
                        .map(|v| {
                            RoundSignature::new(
                                vote_type(v.vote_type),
                                nil_or(v.value),
                                Address(v.validator),
                                v.signature,
                            )
                        })
                        .collect(),
                };
                self.run(mcons::Input::RoundCertificate(cert));
            }
            ConsensusMsg::Status { height } => self.on_status(from, height),
            ConsensusMsg::Certified(b) => self.on_certified(b),
        }
    }

    fn on_status(&mut self, from: PeerId, peer_height: u64) {
        if self.state.is_none() {
            return;
        }
        let ours = self.io.height;
        if peer_height < ours && peer_height > 0 {
            // We committed peer_height..ours-1 (ours-1 at least; ours too if decided it
            // is only being committed, so stop below it).
            let last = (ours - 1).min(peer_height + MAX_SYNC_BLOCKS - 1);
            self.io.actions.push(Action::ServeBlocks {
                to: from,
                from: peer_height,
                to_height: last,
            });
        } else if peer_height > ours {
            let m = ConsensusMsg::Status { height: ours };
            self.io.actions.push(Action::Send {
                to: from,
                bytes: m.encode(),
            });
        }
    }

    /// A certified block from a peer: a block whose certificate verifies against the
    /// height's validators is final, whoever sent it (the node still re-executes it).
    fn on_certified(&mut self, b: Block) {
        if self.state.is_none() {
            return;
        }
        let h = b.header.height;
        if b.header.chain_id != self.io.ctx.chain_id {
            self.rejected_msgs += 1;
            return;
        }
        let keys = self.io.validators.keys();
        if !b.certificate.verify(&b.header, &keys) {
            self.rejected_msgs += 1;
            return;
        }
        if h == self.io.height {
            if !self.io.decided {
                self.io.decided = true;
                self.io.actions.push(Action::Decided(b));
            }
        } else if h > self.io.height && h < self.io.height + 2 * MAX_SYNC_BLOCKS {
            // Checked again, against that height's validators, when it is reached.
            self.future_blocks.entry(h).or_insert(b);
        }
    }

    fn on_proposal(&mut self, w: WireProposal) {
        let Some(state) = self.state.as_ref() else {
            return;
        };
        let round = Round::new(w.round);
        let current = state.round().as_u32().unwrap_or(0);
        if w.round > current.saturating_add(ROUND_LOOKAHEAD) {
            return;
        }
        let expected = *state.get_proposer(Height(w.height), round);
        let signed = decode_proposal(&w);
        // Cheap checks before anything is re-executed: the round's proposer signed it and
        // the block claims this height. (The header names the validator that built the
        // block, which differs from the round's proposer when a locked block is
        // re-proposed in a later round.)
        if expected.0 != w.proposer
            || w.block.header.height != w.height
            || !self
                .io
                .ctx
                .verify_proposal(&signed.message, &w.proposer, &w.signature)
        {
            self.rejected_msgs += 1;
            return;
        }
        let value = signed.message.value.clone();
        let pol_round = signed.message.pol_round;
        self.run(mcons::Input::Proposal(signed));
        let digest = sha256(&[&borsh::to_vec(value.block()).unwrap_or_default()]);
        if let Some(valid) = self.checked.get(&digest).copied() {
            self.feed_value(
                w.height,
                w.round,
                pol_round,
                Address(w.proposer),
                value,
                valid,
            );
            return;
        }
        if self.pending.values().any(|p| p.digest == digest)
            || self.validations >= MAX_VALIDATIONS_PER_HEIGHT
        {
            return;
        }
        self.validations += 1;
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.io.actions.push(Action::ValidateBlock {
            ticket,
            block: value.shared(),
        });
        self.pending.insert(
            ticket,
            PendingValidation {
                height: w.height,
                round: w.round,
                pol_round,
                proposer: Address(w.proposer),
                value,
                digest,
            },
        );
    }

    fn feed_value(
        &mut self,
        height: u64,
        round: u32,
        pol_round: Round,
        proposer: Address,
        value: BlockValue,
        valid: bool,
    ) {
        if valid {
            self.io.values.insert(mc::Value::id(&value), value.clone());
        }
        let pv = ProposedValue {
            height: Height(height),
            round: Round::new(round),
            valid_round: pol_round,
            proposer,
            value,
            validity: Validity::from_bool(valid),
        };
        self.run(mcons::Input::ProposedValue(pv, ValueOrigin::Consensus));
    }

    fn on_validated(&mut self, ticket: u64, valid: bool) {
        let Some(p) = self.pending.remove(&ticket) else {
            return;
        };
        if p.height != self.io.height {
            return;
        }
        self.checked.insert(p.digest, valid);
        if self.io.decided {
            return;
        }
        self.feed_value(p.height, p.round, p.pol_round, p.proposer, p.value, valid);
    }

    fn on_built(&mut self, height: u64, round: u32, block: Block) {
        if height != self.io.height || self.io.decided || block.header.height != height {
            return;
        }
        let value = BlockValue::new(block);
        self.io.values.insert(mc::Value::id(&value), value.clone());
        self.run(mcons::Input::Propose(LocallyProposedValue::new(
            Height(height),
            Round::new(round),
            value,
        )));
    }
}

// Keep the linear timeouts type in the public surface honest: Handoff computes its own
// durations (`Timeouts`), Malachite's `LinearTimeouts` is only named by the context.
#[allow(dead_code)]
fn _linear(_: LinearTimeouts) {}
