//! The one Handoff application (`handoff-application`): everything a node does with
//! transactions and blocks apart from ordering them and moving bytes — mempool admission,
//! building a block (from the mempool, or from given transactions), validating a proposed
//! block, committing a final block, and accepting a certified block from a peer (sync).
//!
//! It is sans-IO in the manner of `handoff_consensus::Replica`: plain methods over a
//! [`handoff_store::Store`] with the clock passed in. **It never reads the wall clock,
//! spawns a thread or touches a socket**, so the embedded single validator
//! (`handoff-node`'s `ledger`), the networked node (`handoff node run`) and the seeded
//! simulator (`handoff-sim`) run exactly this code, and a simulator seed tests the rules a
//! node runs. Signatures are checked through a [`Verifier`] the caller picks; every
//! verifier checks the same fixed chunks with `handoff_core::crypto::verify_txs` (the
//! node spreads the chunks over its cores, the simulator checks them in turn).
//!
//! What a block must be to be committed here:
//! - a **proposal** ([`Application::validate`]) follows the tip (height, parent hash),
//!   has a time after its parent's and at most [`MAX_CLOCK_DRIFT_MS`] ahead of the
//!   validator's clock, a proposer in the validator set of its height, at most
//!   `MAX_BLOCK_TXS` transactions and the network's byte budget, transactions that decode
//!   and whose signatures verify, no transaction whose refusal changes nothing, and
//!   exactly the outcomes, transaction root and state root this node computes;
//! - a **certified** block (a decision, or a block a peer serves) carries a certificate
//!   of more than 2/3 of the validators of its height; its time and proposer were judged
//!   by them, and this node re-derives everything its state depends on: the body matches
//!   the certified transaction root, every outcome code and the state root are what it
//!   computes. Outcome messages are not compared there, so a later release that rewords a
//!   rejection message still replays history.

mod mempool;

pub use mempool::Mempool;

use handoff_core::apply::BlockContext;
use handoff_core::block::{
    BLOCK_VERSION, Block, BlockHeader, Certificate, Execution, Outcome, execute_verified, tx_root,
};
use handoff_core::concerns::Concerns;
use handoff_core::crypto::{BATCH_CHUNK, verify_txs};
use handoff_core::event::Effects;
use handoff_core::limits::{MAX_BLOCK_BYTES, MAX_BLOCK_TXS};
use handoff_core::rejection::{Code, Rejection};
use handoff_core::state::{ReadError, StateReadExt};
use handoff_core::tx::SignedTx;
use handoff_core::types::{Hash32, PublicKey, TxId};
use handoff_store::{Prepared, Staged, Store, StoreError, TxMeta};
use std::collections::HashMap;

/// A proposed block whose time is this far ahead of the validator's clock is refused.
pub const MAX_CLOCK_DRIFT_MS: i64 = 5_000;
/// Encoded transaction bytes one proposed block carries, at most: a proposal travels as
/// one consensus gossip message (4 MiB in `handoff-net`), 7/8 of it for transactions.
pub const MAX_PROPOSAL_TX_BYTES: usize = 4 * 1024 * 1024 * 7 / 8;
/// Transactions waiting in the mempool, at most.
pub const MAX_MEMPOOL_TXS: usize = 200_000;
/// Bytes of transactions waiting in the mempool, at most.
pub const MAX_MEMPOOL_BYTES: usize = 256 * 1024 * 1024;

/// Checks the signatures of transactions, one answer each, in order. Every verifier must
/// check the chunks of [`verify_chunked`] (`BATCH_CHUNK` transactions each, from the
/// first) with `handoff_core::crypto::verify_txs`; only where the chunks run may differ.
pub type Verifier = fn(&[&SignedTx]) -> Vec<bool>;

/// The reference [`Verifier`]: fixed chunks checked one after the other on this thread.
pub fn verify_chunked(txs: &[&SignedTx]) -> Vec<bool> {
    txs.chunks(BATCH_CHUNK).flat_map(verify_txs).collect()
}

/// Bounds of what this node builds and keeps waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Transactions in a block this node builds (at most `MAX_BLOCK_TXS`).
    pub block_txs: usize,
    /// Encoded transaction bytes in a block this node builds or validates as a proposal.
    pub block_tx_bytes: usize,
    /// Transactions waiting in the mempool.
    pub mempool_txs: usize,
    /// Encoded bytes waiting in the mempool.
    pub mempool_bytes: usize,
}

impl Limits {
    /// A validator of a network: proposals fit one consensus message.
    pub const fn network() -> Limits {
        Limits {
            block_txs: MAX_BLOCK_TXS,
            block_tx_bytes: MAX_PROPOSAL_TX_BYTES,
            mempool_txs: MAX_MEMPOOL_TXS,
            mempool_bytes: MAX_MEMPOOL_BYTES,
        }
    }
    /// The embedded single validator: its blocks never travel as proposals.
    pub const fn embedded() -> Limits {
        Limits {
            block_txs: MAX_BLOCK_TXS,
            block_tx_bytes: MAX_BLOCK_BYTES,
            mempool_txs: MAX_MEMPOOL_TXS,
            mempool_bytes: MAX_MEMPOOL_BYTES,
        }
    }
}

/// What became of a submitted transaction.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// The transaction.
    pub tx: TxId,
    /// The block it is in (rejections that change nothing are in no block).
    pub height: Option<u64>,
    /// Applied, or the rule that rejected it.
    pub result: Result<(), Rejection>,
}

/// The rejection a stored outcome names, for a receipt. An outcome code this build does
/// not know reads as `MALFORMED` with the stored message.
pub fn rejection_of(o: &Outcome) -> Result<(), Rejection> {
    match &o.code {
        None => Ok(()),
        Some(c) => {
            let code = Code::ALL
                .iter()
                .copied()
                .find(|k| k.as_str() == c)
                .unwrap_or(Code::Malformed);
            Err(Rejection::new(code, o.message.clone().unwrap_or_default()))
        }
    }
}

/// Why a block is refused. Each has a stable code ([`BlockError::code`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The header layout version is not this build's.
    #[error("block version {0} is not {BLOCK_VERSION}")]
    Version(u8),
    /// The block names another chain.
    #[error("the block belongs to another chain")]
    WrongChain,
    /// The block is not the one after this node's tip.
    #[error("block {height} does not follow this node's tip {tip}")]
    NotNext {
        /// The block's height.
        height: u64,
        /// This node's tip.
        tip: u64,
    },
    /// The block's parent hash is not this node's tip.
    #[error("the block's parent is not this node's tip")]
    WrongParent,
    /// A proposal's time is not after its parent's.
    #[error("the block's time {time_ms} is not after its parent's {parent_ms}")]
    TimeNotAfterParent {
        /// The block's time.
        time_ms: i64,
        /// The parent's.
        parent_ms: i64,
    },
    /// A proposal's time is too far ahead of this node's clock.
    #[error(
        "the block's time is {ahead_ms} ms ahead of this node's clock (at most {MAX_CLOCK_DRIFT_MS})"
    )]
    TimeAhead {
        /// How far ahead.
        ahead_ms: i64,
    },
    /// A proposal names a proposer outside the validator set of its height.
    #[error("the proposer {} is not a validator of this height", .0.short())]
    ProposerNotValidator(PublicKey),
    /// The header's transaction count, the transactions and the outcomes disagree.
    #[error(
        "the header counts {header} transactions; the block carries {txs} with {outcomes} outcomes"
    )]
    TxCount {
        /// In the header.
        header: u32,
        /// Carried.
        txs: usize,
        /// Outcomes carried.
        outcomes: usize,
    },
    /// More transactions than any block may hold.
    #[error("{0} transactions; a block holds at most {MAX_BLOCK_TXS}")]
    TooManyTxs(usize),
    /// More transaction bytes than the limit.
    #[error("{bytes} bytes of transactions; at most {limit}")]
    TooLarge {
        /// Carried.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A transaction does not decode.
    #[error("transaction {0} does not decode")]
    UndecodableTx(usize),
    /// A transaction is refused with a rejection that keeps it out of every block (a bad
    /// signature, a spent nonce, an unknown signer, …).
    #[error("transaction {index} is refused ({}), which keeps it out of any block", .code.as_str())]
    Refused {
        /// Its index in the block.
        index: usize,
        /// The rejection.
        code: Code,
    },
    /// A transaction's outcome is not the one this node computes.
    #[error("transaction {index}: the block says {claimed}, this node computes {computed}")]
    Outcome {
        /// Its index in the block.
        index: usize,
        /// The block's outcome code (or "applied").
        claimed: String,
        /// This node's.
        computed: String,
    },
    /// The transaction root does not match the transactions and their outcomes.
    #[error("the transaction root does not match the transactions and their outcomes")]
    TxRoot,
    /// The state root is not the one this node computes.
    #[error("the state root differs from this node's execution of the block")]
    StateRoot,
    /// The filter of whom the block concerns is not the one this node computes, or does
    /// not hash to the header's `concerns_root`.
    #[error("the block's filter of the orgs it concerns differs from this node's execution")]
    Concerns,
    /// The certificate does not carry more than 2/3 of the validators of the height.
    #[error("the certificate is not signed by more than 2/3 of the validators of this height")]
    Certificate,
}

impl BlockError {
    /// Every code, for tests that prove each has a test.
    pub const CODES: &[&str] = &[
        "BLOCK_VERSION",
        "BLOCK_WRONG_CHAIN",
        "BLOCK_NOT_NEXT",
        "BLOCK_WRONG_PARENT",
        "BLOCK_TIME_NOT_AFTER_PARENT",
        "BLOCK_TIME_AHEAD",
        "BLOCK_PROPOSER_NOT_VALIDATOR",
        "BLOCK_TX_COUNT",
        "BLOCK_TOO_MANY_TXS",
        "BLOCK_TOO_LARGE",
        "BLOCK_UNDECODABLE_TX",
        "BLOCK_REFUSED_TX",
        "BLOCK_OUTCOME",
        "BLOCK_TX_ROOT",
        "BLOCK_STATE_ROOT",
        "BLOCK_CONCERNS",
        "BLOCK_CERTIFICATE",
    ];

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            BlockError::Version(_) => "BLOCK_VERSION",
            BlockError::WrongChain => "BLOCK_WRONG_CHAIN",
            BlockError::NotNext { .. } => "BLOCK_NOT_NEXT",
            BlockError::WrongParent => "BLOCK_WRONG_PARENT",
            BlockError::TimeNotAfterParent { .. } => "BLOCK_TIME_NOT_AFTER_PARENT",
            BlockError::TimeAhead { .. } => "BLOCK_TIME_AHEAD",
            BlockError::ProposerNotValidator(_) => "BLOCK_PROPOSER_NOT_VALIDATOR",
            BlockError::TxCount { .. } => "BLOCK_TX_COUNT",
            BlockError::TooManyTxs(_) => "BLOCK_TOO_MANY_TXS",
            BlockError::TooLarge { .. } => "BLOCK_TOO_LARGE",
            BlockError::UndecodableTx(_) => "BLOCK_UNDECODABLE_TX",
            BlockError::Refused { .. } => "BLOCK_REFUSED_TX",
            BlockError::Outcome { .. } => "BLOCK_OUTCOME",
            BlockError::TxRoot => "BLOCK_TX_ROOT",
            BlockError::Concerns => "BLOCK_CONCERNS",
            BlockError::StateRoot => "BLOCK_STATE_ROOT",
            BlockError::Certificate => "BLOCK_CERTIFICATE",
        }
    }
}

/// Errors of the application: a block that is refused, a store that failed (never taken
/// for "invalid" or "absent": the caller stops), or a request that does not fit the tip.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The block breaks a rule.
    #[error("invalid block: {0}")]
    Invalid(#[from] BlockError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Asked to build a height that is not the one after the tip.
    #[error("asked to build block {height} on tip {tip}")]
    NotNext {
        /// Asked for.
        height: u64,
        /// The tip.
        tip: u64,
    },
    /// Transactions given to [`Application::build_from`] do not fit one block.
    #[error("{txs} transactions of {bytes} bytes do not fit one block")]
    Oversized {
        /// Given.
        txs: usize,
        /// Their encoded bytes.
        bytes: usize,
    },
}

impl From<ReadError> for AppError {
    /// A state read that failed is a store fault: no proposal, no vote, no commit.
    fn from(e: ReadError) -> Self {
        AppError::Store(StoreError::Read(e))
    }
}

impl AppError {
    /// The state read that failed, if this is one (a store fault, not a bad block).
    pub fn read_fault(&self) -> Option<&ReadError> {
        match self {
            AppError::Store(StoreError::Read(e)) => Some(e),
            _ => None,
        }
    }
}

/// Why a transaction was not admitted to the mempool.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A rule refused it (its code goes back to the submitter).
    #[error(transparent)]
    Rule(#[from] Rejection),
    /// This node's store could not check it (code `STORE_FAULT`): not the transaction's
    /// fault, and not a verdict on it.
    #[error(transparent)]
    Fault(#[from] ReadError),
}

impl Refusal {
    /// The rule that refused the transaction, if a rule did.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Refusal::Rule(r) => Some(r),
            Refusal::Fault(_) => None,
        }
    }
}

/// What admission did with a transaction.
#[derive(Clone, Debug)]
pub enum Admission {
    /// It entered the mempool.
    Queued,
    /// It was already waiting there.
    AlreadyQueued,
    /// It is committed already: its committed receipt (a resubmission is idempotent).
    Committed(Receipt),
}

/// A block built on the tip, certificate empty.
#[derive(Debug)]
pub struct Built {
    /// The block.
    pub block: Block,
    /// One per transaction executed for it, in order: in the block (`height` set, applied
    /// or the rule that rejected it) or left out by a rejection that changes nothing.
    pub receipts: Vec<Receipt>,
    /// Transactions this build removed from the mempool for good (a spent nonce, or a
    /// refusal that changes nothing other than a nonce gap, which a later transaction may
    /// fill), with the answer their submitters get.
    pub dropped: Vec<Receipt>,
}

/// A block executed on the tip (built here or validated), ready to stage.
struct Checked {
    exec: Execution,
    /// Which of `exec`'s transactions are in the block, in order.
    included: Vec<usize>,
    metas: Vec<TxMeta>,
    prepared: Prepared,
}

/// How a block is checked.
#[derive(Clone, Copy)]
enum Check {
    /// A proposal, judged at this node's time.
    Proposal { now_ms: i64 },
    /// A certified block: its header was accepted by the validators.
    Certified,
}

/// The application of one node. See the crate docs.
pub struct Application {
    chain_id: Hash32,
    limits: Limits,
    verify: Verifier,
    mempool: Mempool,
    /// Blocks of the next height executed here, by header hash, so the decided one is
    /// committed without a second execution. Cleared at every commit.
    checked: HashMap<Hash32, Checked>,
    /// Time spent computing blocks' filters of whom they concern, in nanoseconds (what
    /// `bench ledger` reports as the filters' share of block production).
    filter_ns: std::sync::atomic::AtomicU64,
}

impl Application {
    /// The application of a node of `chain_id`.
    pub fn new(chain_id: Hash32, limits: Limits, verify: Verifier) -> Application {
        Application {
            chain_id,
            limits,
            verify,
            mempool: Mempool::default(),
            checked: HashMap::new(),
            filter_ns: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Time spent so far computing blocks' filters of whom they concern.
    pub fn filter_time(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.filter_ns.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn concerns_of(&self, txs: &[&SignedTx], exec: &Execution, included: &[usize]) -> Concerns {
        let t = std::time::Instant::now();
        let c = handoff_core::concerns::of_block(txs, exec, included);
        self.filter_ns.fetch_add(
            t.elapsed().as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        c
    }

    /// The chain.
    pub fn chain_id(&self) -> Hash32 {
        self.chain_id
    }

    /// The bounds it works with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The transactions waiting for a block.
    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }

    /// The validator set of the next height: the one in the state after the tip.
    pub fn validators(&self, store: &Store) -> Result<Vec<PublicKey>, AppError> {
        Ok(store.validators()?.validators)
    }

    /// Checks a transaction for the mempool: chain, spent nonce (a committed transaction
    /// gets its committed receipt, so retries are idempotent), the signature unless
    /// `verified` (the caller checked it already, e.g. a batch on all cores), and room.
    /// A nonce this node's store cannot read is [`Refusal::Fault`], never a verdict.
    pub fn admit(
        &mut self,
        store: &Store,
        tx: &SignedTx,
        verified: bool,
    ) -> Result<Admission, Refusal> {
        if tx.body.chain_id != self.chain_id {
            return Err(Rejection::new(
                Code::WrongChain,
                "the transaction is signed for another chain",
            )
            .into());
        }
        if self.mempool.contains(&tx.id()) {
            return Ok(Admission::AlreadyQueued);
        }
        if tx.body.nonce < store.next_nonce(&tx.body.signer)? {
            if let Ok(Some((loc, block))) = store.find_tx(&TxMeta::of(tx)) {
                let result = block
                    .outcomes
                    .get(loc.index as usize)
                    .map(rejection_of)
                    .unwrap_or(Ok(()));
                return Ok(Admission::Committed(Receipt {
                    tx: tx.id(),
                    height: Some(loc.height),
                    result,
                }));
            }
            return Err(Rejection::new(
                Code::NonceReused,
                format!(
                    "nonce {} of this signer is already used by another transaction",
                    tx.body.nonce
                ),
            )
            .into());
        }
        if !verified && !(self.verify)(&[tx]).first().copied().unwrap_or(false) {
            return Err(Rejection::new(Code::BadSignature, "the signature does not verify").into());
        }
        let len = tx.encode().len();
        if self.mempool.len() >= self.limits.mempool_txs
            || self.mempool.bytes() + len > self.limits.mempool_bytes
        {
            return Err(Rejection::new(
                Code::TooLarge,
                "the node's queue is full; submit again later",
            )
            .into());
        }
        self.mempool.insert(tx.clone(), len);
        Ok(Admission::Queued)
    }

    /// Builds block `height` on the tip from the mempool, in arrival order, within the
    /// limits, at `now_ms` (or just after the parent's time). Transactions whose nonce is
    /// spent, and those refused by a rule that changes nothing (but a nonce gap), leave
    /// the mempool ([`Built::dropped`]).
    pub fn build(
        &mut self,
        store: &Store,
        height: u64,
        proposer: PublicKey,
        now_ms: i64,
    ) -> Result<Built, AppError> {
        let tip = store.tip()?;
        if tip.height + 1 != height {
            return Err(AppError::NotNext {
                height,
                tip: tip.height,
            });
        }
        let mut candidates: Vec<SignedTx> = Vec::new();
        let mut stale = Vec::new();
        let mut bytes = 0;
        let mut next_nonce: HashMap<PublicKey, u64> = HashMap::new();
        for (tx, len) in self.mempool.iter() {
            if candidates.len() >= self.limits.block_txs || bytes + len > self.limits.block_tx_bytes
            {
                break;
            }
            // A nonce that cannot be read: no block is built on a guess.
            let n = match next_nonce.get(&tx.body.signer) {
                Some(n) => *n,
                None => {
                    let n = store.next_nonce(&tx.body.signer)?;
                    next_nonce.insert(tx.body.signer, n);
                    n
                }
            };
            if tx.body.nonce < n {
                stale.push(tx.id());
                continue;
            }
            bytes += len;
            candidates.push(tx.clone());
        }
        let mut dropped = Vec::new();
        for id in stale {
            self.mempool.remove(&id);
            dropped.push(Receipt {
                tx: id,
                height: None,
                result: Err(Rejection::new(
                    Code::NonceReused,
                    "another transaction used this nonce",
                )),
            });
        }
        // Admitted transactions have verified signatures.
        let sig_ok = vec![true; candidates.len()];
        let (block, receipts) =
            self.assemble(store, &tip, proposer, now_ms, &candidates, &sig_ok)?;
        for r in &receipts {
            if let (None, Err(e)) = (r.height, &r.result)
                && e.code != Code::NonceGap
            {
                self.mempool.remove(&r.tx);
                dropped.push(r.clone());
            }
        }
        Ok(Built {
            block,
            receipts,
            dropped,
        })
    }

    /// Builds the block after the tip from exactly `txs` (the embedded validator's
    /// batches), whose signatures were checked into `sig_ok`; the mempool is not used.
    pub fn build_from(
        &mut self,
        store: &Store,
        proposer: PublicKey,
        now_ms: i64,
        txs: &[SignedTx],
        sig_ok: &[bool],
    ) -> Result<Built, AppError> {
        let bytes: usize = txs.iter().map(|t| t.encode().len()).sum();
        if txs.len() > self.limits.block_txs || bytes > self.limits.block_tx_bytes {
            return Err(AppError::Oversized {
                txs: txs.len(),
                bytes,
            });
        }
        let tip = store.tip()?;
        let (block, receipts) = self.assemble(store, &tip, proposer, now_ms, txs, sig_ok)?;
        Ok(Built {
            block,
            receipts,
            dropped: Vec::new(),
        })
    }

    /// Executes `txs` on the tip and makes the block of those that leave a trace; keeps
    /// the execution for the commit.
    fn assemble(
        &mut self,
        store: &Store,
        tip: &BlockHeader,
        proposer: PublicKey,
        now_ms: i64,
        txs: &[SignedTx],
        sig_ok: &[bool],
    ) -> Result<(Block, Vec<Receipt>), AppError> {
        let height = tip.height + 1;
        let time_ms = (tip.time_ms + 1).max(now_ms);
        let ctx = BlockContext {
            chain_id: self.chain_id,
            height,
            time_ms,
        };
        let refs: Vec<&SignedTx> = txs.iter().collect();
        // A failed state read abandons the block: a store fault, nothing proposed.
        let exec = execute_verified(&ctx, store, &refs, sig_ok)?;
        let mut included = Vec::new();
        let mut leaves = Vec::new();
        let mut outcomes = Vec::new();
        let mut wire = Vec::new();
        let mut metas = Vec::new();
        let mut receipts = Vec::with_capacity(txs.len());
        for (i, (tx, r)) in txs.iter().zip(&exec.results).enumerate() {
            if let Err(e) = r
                && e.code.changes_nothing()
            {
                receipts.push(Receipt {
                    tx: tx.id(),
                    height: None,
                    result: Err(e.clone()),
                });
                continue;
            }
            let o = match r {
                Ok(_) => Outcome::applied(),
                Err(e) => Outcome::rejected(e),
            };
            receipts.push(Receipt {
                tx: tx.id(),
                height: Some(height),
                result: r.as_ref().map(|_| ()).map_err(Clone::clone),
            });
            leaves.push((tx.id(), o.clone()));
            outcomes.push(o);
            wire.push(tx.encode());
            metas.push(TxMeta::of(tx));
            included.push(i);
        }
        let prepared = store.prepare(height, &exec.writes)?;
        let concerns = self.concerns_of(&refs, &exec, &included);
        let header = BlockHeader {
            version: BLOCK_VERSION,
            chain_id: self.chain_id,
            height,
            prev_hash: tip.hash(),
            time_ms,
            proposer,
            tx_count: wire.len() as u32,
            tx_root: tx_root(&leaves),
            state_root: prepared.root,
            concerns_root: concerns.root(),
        };
        let block = Block {
            header,
            certificate: Certificate::default(),
            txs: wire,
            outcomes,
            concerns,
        };
        self.checked.insert(
            block.header.hash(),
            Checked {
                exec,
                included,
                metas,
                prepared,
            },
        );
        Ok((block, receipts))
    }

    /// Validates a proposed block at this node's time `now_ms` by re-executing it on the
    /// tip: `Ok` only if it gives exactly its header and outcomes. The execution is kept,
    /// so the block is committed without a second one if it is decided.
    pub fn validate(&mut self, store: &Store, block: &Block, now_ms: i64) -> Result<(), AppError> {
        let checked = self.check(store, block, Check::Proposal { now_ms })?;
        self.checked.insert(block.header.hash(), checked);
        Ok(())
    }

    /// Checks that a certified block from a peer is the next one for this node: the chain,
    /// the height after the tip, and a certificate of the validators of that height.
    pub fn certified(&self, store: &Store, block: &Block) -> Result<(), AppError> {
        let h = &block.header;
        if h.chain_id != self.chain_id {
            return Err(BlockError::WrongChain.into());
        }
        let tip = store.tip()?;
        if h.height != tip.height + 1 {
            return Err(BlockError::NotNext {
                height: h.height,
                tip: tip.height,
            }
            .into());
        }
        if !block.certificate.verify(h, &self.validators(store)?) {
            return Err(BlockError::Certificate.into());
        }
        Ok(())
    }

    /// Takes a certified block from a peer (sync): [`Application::certified`], then
    /// [`Application::commit`]. Returns its receipts.
    pub fn accept_synced(
        &mut self,
        store: &Store,
        block: &Block,
    ) -> Result<Vec<Receipt>, AppError> {
        self.certified(store, block)?;
        self.commit(store, block)
    }

    /// Stages a final block: its certificate must verify against the validators of its
    /// height; its execution is the one kept from building or validating it here, else it
    /// is executed now and checked as a certified block. Nothing is visible or durable
    /// until the caller publishes and writes the result (the embedded validator pipelines
    /// that); [`Application::commit`] does all three.
    pub fn stage(&mut self, store: &Store, block: &Block) -> Result<Staged, AppError> {
        if !block
            .certificate
            .verify(&block.header, &self.validators(store)?)
        {
            return Err(BlockError::Certificate.into());
        }
        let c = match self.checked.remove(&block.header.hash()) {
            Some(c) => c,
            None => self.check(store, block, Check::Certified)?,
        };
        // Other blocks of this height can no longer be decided.
        self.checked.clear();
        let effects: Vec<Option<&Effects>> = c
            .included
            .iter()
            .map(|i| c.exec.results.get(*i).and_then(|r| r.as_ref().ok()))
            .collect();
        Ok(store.stage(block, c.prepared, &c.metas, &effects)?)
    }

    /// Commits a final block durably ([`Application::stage`], publish, write and flush)
    /// and answers [`Application::committed`].
    pub fn commit(&mut self, store: &Store, block: &Block) -> Result<Vec<Receipt>, AppError> {
        let staged = self.stage(store, block)?;
        store.publish(&staged)?;
        store.write(staged)?;
        Ok(self.committed(block))
    }

    /// After a block is durable: its transactions leave the mempool; their receipts.
    pub fn committed(&mut self, block: &Block) -> Vec<Receipt> {
        let height = block.header.height;
        let mut out = Vec::with_capacity(block.txs.len());
        for (wire, outcome) in block.txs.iter().zip(&block.outcomes) {
            let Ok(tx) = SignedTx::decode(wire) else {
                continue;
            };
            let id = tx.id();
            self.mempool.remove(&id);
            out.push(Receipt {
                tx: id,
                height: Some(height),
                result: rejection_of(outcome),
            });
        }
        out
    }

    /// Re-executes a block on the tip and checks it as `how` says.
    fn check(&self, store: &Store, block: &Block, how: Check) -> Result<Checked, AppError> {
        let tip = store.tip()?;
        let h = &block.header;
        if h.version != BLOCK_VERSION {
            return Err(BlockError::Version(h.version).into());
        }
        if h.chain_id != self.chain_id {
            return Err(BlockError::WrongChain.into());
        }
        if h.height != tip.height + 1 {
            return Err(BlockError::NotNext {
                height: h.height,
                tip: tip.height,
            }
            .into());
        }
        if h.prev_hash != tip.hash() {
            return Err(BlockError::WrongParent.into());
        }
        if h.tx_count as usize != block.txs.len() || block.outcomes.len() != block.txs.len() {
            return Err(BlockError::TxCount {
                header: h.tx_count,
                txs: block.txs.len(),
                outcomes: block.outcomes.len(),
            }
            .into());
        }
        if block.txs.len() > MAX_BLOCK_TXS {
            return Err(BlockError::TooManyTxs(block.txs.len()).into());
        }
        let bytes: usize = block.txs.iter().map(Vec::len).sum();
        let byte_limit = match how {
            Check::Proposal { .. } => self.limits.block_tx_bytes.min(MAX_BLOCK_BYTES),
            Check::Certified => MAX_BLOCK_BYTES,
        };
        if bytes > byte_limit {
            return Err(BlockError::TooLarge {
                bytes,
                limit: byte_limit,
            }
            .into());
        }
        if let Check::Proposal { now_ms } = how {
            if h.time_ms <= tip.time_ms {
                return Err(BlockError::TimeNotAfterParent {
                    time_ms: h.time_ms,
                    parent_ms: tip.time_ms,
                }
                .into());
            }
            if h.time_ms > now_ms.saturating_add(MAX_CLOCK_DRIFT_MS) {
                return Err(BlockError::TimeAhead {
                    ahead_ms: h.time_ms.saturating_sub(now_ms),
                }
                .into());
            }
            if !self.validators(store)?.contains(&h.proposer) {
                return Err(BlockError::ProposerNotValidator(h.proposer).into());
            }
        }
        let mut txs = Vec::with_capacity(block.txs.len());
        for (i, t) in block.txs.iter().enumerate() {
            txs.push(SignedTx::decode(t).map_err(|_| BlockError::UndecodableTx(i))?);
        }
        // Signatures admitted to the mempool are verified already; the rest now.
        let unknown: Vec<&SignedTx> = txs
            .iter()
            .filter(|t| !self.mempool.has_verified(t))
            .collect();
        let mut fresh = (self.verify)(&unknown).into_iter();
        let sig_ok: Vec<bool> = txs
            .iter()
            .map(|t| self.mempool.has_verified(t) || fresh.next().unwrap_or(false))
            .collect();
        let refs: Vec<&SignedTx> = txs.iter().collect();
        let ctx = BlockContext {
            chain_id: self.chain_id,
            height: h.height,
            time_ms: h.time_ms,
        };
        // A failed state read is no verdict on the block: a store fault, no vote.
        let exec = execute_verified(&ctx, store, &refs, &sig_ok)?;
        let mut leaves = Vec::with_capacity(txs.len());
        for (index, ((tx, r), claimed)) in txs
            .iter()
            .zip(&exec.results)
            .zip(&block.outcomes)
            .enumerate()
        {
            if let Err(e) = r
                && e.code.changes_nothing()
            {
                return Err(BlockError::Refused {
                    index,
                    code: e.code,
                }
                .into());
            }
            let o = match r {
                Ok(_) => Outcome::applied(),
                Err(e) => Outcome::rejected(e),
            };
            // A proposal must carry exactly this node's outcomes (they are in the
            // transaction root it votes for); a certified block its outcome codes, with
            // the root checked over the outcomes it carries.
            let same = match how {
                Check::Proposal { .. } => &o == claimed,
                Check::Certified => o.code == claimed.code,
            };
            if !same {
                let name = |o: &Outcome| o.code.clone().unwrap_or_else(|| "applied".into());
                return Err(BlockError::Outcome {
                    index,
                    claimed: name(claimed),
                    computed: name(&o),
                }
                .into());
            }
            leaves.push((tx.id(), claimed.clone()));
        }
        if tx_root(&leaves) != h.tx_root {
            return Err(BlockError::TxRoot.into());
        }
        let prepared = store.prepare(h.height, &exec.writes)?;
        if prepared.root != h.state_root {
            return Err(BlockError::StateRoot.into());
        }
        let all: Vec<usize> = (0..txs.len()).collect();
        let concerns = self.concerns_of(&refs, &exec, &all);
        if concerns != block.concerns || concerns.root() != h.concerns_root {
            return Err(BlockError::Concerns.into());
        }
        Ok(Checked {
            included: (0..txs.len()).collect(),
            metas: txs.iter().map(TxMeta::of).collect(),
            exec,
            prepared,
        })
    }
}
