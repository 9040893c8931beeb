//! The embedded single validator: orders submitted transactions into blocks, signs each
//! block's commit certificate with its own key, and commits it durably before answering.
//!
//! Ordering sits behind [`Sequencer`], the seam where the BFT engine plugs in: a client
//! hands transactions to a sequencer and gets one receipt per transaction once its block
//! is final (or its rejection).

use anyhow::{Context, Result, bail};
use handoff_core::apply::BlockContext;
use handoff_core::block::{
    Block, BlockHeader, Certificate, Genesis, Outcome, execute_verified, tx_root,
};
use handoff_core::crypto::{BATCH_CHUNK, Keypair};
use handoff_core::event::Effects;
use handoff_core::limits::MAX_BLOCK_TXS;
use handoff_core::rejection::Rejection;
use handoff_core::state::StateReadExt;
use handoff_core::tx::{Payload, SignedTx, TX_VERSION, TxBody};
use handoff_core::types::{Hash32, PublicKey, TxId};
use handoff_store::{Staged, Store, TxMeta};
use rayon::prelude::*;
use std::path::Path;

/// The current time in unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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

/// Orders transactions into final blocks.
pub trait Sequencer {
    /// Submits transactions in order; returns once each is final or rejected.
    fn submit(&self, txs: Vec<SignedTx>) -> Result<Vec<Receipt>>;
}

/// A chain on this machine with this machine as its only validator.
pub struct Ledger {
    /// The store.
    pub store: Store,
    validator: Keypair,
    chain_id: Hash32,
    data: std::path::PathBuf,
    /// Set while a networked node runs on this ledger: transactions go to consensus.
    network: std::sync::OnceLock<Box<dyn Sequencer + Send + Sync>>,
}

/// Where the store lives in a data folder.
pub fn chain_dir(data: &Path) -> std::path::PathBuf {
    data.join("chain")
}

/// Verifies signatures in the fixed chunks block execution uses, chunks in parallel.
pub fn verify_parallel(txs: &[SignedTx]) -> Vec<bool> {
    let refs: Vec<&SignedTx> = txs.iter().collect();
    refs.par_chunks(BATCH_CHUNK)
        .flat_map_iter(handoff_core::crypto::verify_txs)
        .collect()
}

impl Ledger {
    /// Creates a chain in `data` from a genesis.
    pub fn create(data: &Path, genesis: &Genesis, validator: Keypair) -> Result<Ledger> {
        genesis.check_keys()?;
        let store = Store::open(&chain_dir(data)).context("cannot open the chain store")?;
        // Every node of a chain builds the same genesis block: its proposer is the
        // first validator, whichever node creates it.
        let first = genesis
            .validators
            .first()
            .copied()
            .unwrap_or(validator.public());
        store.init(genesis, first)?;
        Ok(Ledger {
            store,
            validator,
            chain_id: genesis.chain_id(),
            data: data.to_path_buf(),
            network: std::sync::OnceLock::new(),
        })
    }

    /// Opens the chain in `data`. It commits through its embedded single validator when
    /// the chain's only validator is this folder's key; a chain of several validators
    /// commits only through its network (`handoff node run`).
    pub fn open(data: &Path) -> Result<Ledger> {
        Ledger::open_node(data)
    }

    /// Opens the chain in `data` for a networked node (`handoff node run`), which may
    /// be one validator of many or no validator at all.
    pub fn open_node(data: &Path) -> Result<Ledger> {
        if !chain_dir(data).exists() {
            bail!(
                "{} holds no Handoff chain; run `handoff init` first",
                data.display()
            );
        }
        let store = Store::open(&chain_dir(data)).map_err(|e| {
            anyhow::anyhow!(
                "cannot open the chain in {} ({e}); is a `handoff node` already running on it?",
                data.display()
            )
        })?;
        store
            .check_head()
            .context("the chain store failed its integrity check")?;
        let genesis = store.genesis()?;
        let validator = crate::identity::validator(data)?;
        // Whether this key may still certify blocks is checked per block (`build`): the
        // set can change, and a folder whose key left it must still answer queries.
        Ok(Ledger {
            store,
            validator,
            chain_id: genesis.chain_id(),
            data: data.to_path_buf(),
            network: std::sync::OnceLock::new(),
        })
    }

    /// Refuses to commit alone on a chain this folder does not validate alone.
    fn check_solo(&self) -> Result<()> {
        let validators = self.store.validators()?.validators;
        if validators == [self.validator.public()] {
            return Ok(());
        }
        if validators.contains(&self.validator.public()) {
            bail!(
                "this chain has {} validators, so it commits only through its network: start `handoff node run --validator` on this folder and run the command again",
                validators.len()
            );
        }
        bail!(
            "this folder's validator key is not a validator of its chain: start `handoff node run` on it to commit through the network"
        )
    }

    /// The folder's node key (its validator key when it is a validator).
    pub fn node_key(&self) -> &Keypair {
        &self.validator
    }

    /// The data folder.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// From now on, transactions submitted to this ledger go to `network` (a running
    /// networked node) instead of the embedded single validator.
    pub fn attach_network(&self, network: Box<dyn Sequencer + Send + Sync>) -> Result<()> {
        self.network
            .set(network)
            .map_err(|_| anyhow::anyhow!("a network is already attached to this ledger"))
    }

    /// The chain id.
    pub fn chain_id(&self) -> Hash32 {
        self.chain_id
    }

    /// A signed transaction from `key` with its next nonce (`TOO_LARGE` when the body has
    /// no encoding).
    pub fn sign(&self, key: &Keypair, payload: Payload) -> Result<SignedTx, Rejection> {
        self.sign_with_nonce(key, self.store.next_nonce(&key.public()), payload)
    }

    /// A signed transaction with an explicit nonce.
    pub fn sign_with_nonce(
        &self,
        key: &Keypair,
        nonce: u64,
        payload: Payload,
    ) -> Result<SignedTx, Rejection> {
        key.sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: self.chain_id,
            signer: key.public(),
            nonce,
            event_time_ms: now_ms(),
            payload,
        })
    }

    /// Builds and certifies one block from `txs` (signatures already checked into
    /// `sig_ok`) on top of the tip, and stages its writes; `None` when every transaction
    /// was refused without a trace. Transactions whose rejection changes nothing stay out.
    fn build(&self, txs: &[SignedTx], sig_ok: &[bool]) -> Result<(Option<Staged>, Vec<Receipt>)> {
        let last = self.store.tip()?;
        let height = last.height + 1;
        // This validator certifies alone, which is a valid certificate only while it is
        // the whole validator set (of the state after the tip, which governs `height`).
        let set = self.store.validators()?;
        let me = self.validator.public();
        if set.validators.is_empty() || set.validators.iter().any(|v| *v != me) {
            bail!(
                "this folder's validator key alone cannot certify block {height}: the validator set of epoch {} is {} key(s){}",
                set.epoch,
                set.validators.len(),
                if set.validators.contains(&me) {
                    ""
                } else {
                    " without it"
                }
            );
        }
        let ctx = BlockContext {
            chain_id: self.chain_id,
            height,
            time_ms: now_ms().max(last.time_ms),
        };
        let refs: Vec<&SignedTx> = txs.iter().collect();
        let t0 = std::time::Instant::now();
        let exec = execute_verified(&ctx, &self.store, &refs, sig_ok);
        let t_exec = t0.elapsed();
        let mut receipts = Vec::with_capacity(txs.len());
        let mut wire = Vec::new();
        let mut outcomes = Vec::new();
        let mut ids = Vec::new();
        let mut metas = Vec::new();
        let mut effects: Vec<Option<&Effects>> = Vec::new();
        for (tx, r) in txs.iter().zip(&exec.results) {
            match r {
                Err(e) if e.code.changes_nothing() => {
                    receipts.push(Receipt {
                        tx: tx.id(),
                        height: None,
                        result: Err(e.clone()),
                    });
                    continue;
                }
                Err(e) => {
                    outcomes.push(Outcome::rejected(e));
                    effects.push(None);
                }
                Ok(eff) => {
                    outcomes.push(Outcome::applied());
                    effects.push(Some(eff));
                }
            }
            receipts.push(Receipt {
                tx: tx.id(),
                height: Some(height),
                result: r.clone().map(|_| ()),
            });
            wire.push(tx.encode());
            ids.push(tx.id());
            metas.push(TxMeta::of(tx));
        }
        if wire.is_empty() {
            return Ok((None, receipts));
        }
        let leaves: Vec<(Hash32, Outcome)> =
            ids.iter().copied().zip(outcomes.iter().cloned()).collect();
        let t1 = std::time::Instant::now();
        let prepared = self.store.prepare(height, &exec.writes)?;
        let t_prep = t1.elapsed();
        let header = BlockHeader {
            version: handoff_core::block::BLOCK_VERSION,
            chain_id: self.chain_id,
            height,
            prev_hash: last.hash(),
            time_ms: ctx.time_ms,
            proposer: self.validator.public(),
            tx_count: wire.len() as u32,
            tx_root: tx_root(&leaves),
            state_root: prepared.root,
        };
        // The single validator decides every block alone, in round 0.
        let certificate = Certificate {
            round: 0,
            sigs: vec![Certificate::sign(&self.validator, &header, 0)],
        };
        let block = Block {
            header,
            certificate,
            txs: wire,
            outcomes,
        };
        let staged = self.store.stage(&block, prepared, &metas, &effects)?;
        if std::env::var_os("HANDOFF_TRACE").is_some() {
            eprintln!(
                "block {height}: {} txs {} writes exec {:?} prepare {:?}",
                ids.len(),
                exec.writes.len(),
                t_exec,
                t_prep,
            );
        }
        Ok((Some(staged), receipts))
    }

    /// Produces blocks from verified chunks, pipelined: while block N is being written
    /// (on its own thread), block N+1 is executed on top of N's published state. Block N+1
    /// is published only once N is durable, and `on_block` gets each block's receipts only
    /// after that block is durable.
    fn produce_all<T: AsRef<[SignedTx]>, B: AsRef<[bool]>>(
        &self,
        chunks: impl Iterator<Item = (T, B)>,
        on_block: &mut dyn FnMut(&[Receipt]),
    ) -> Result<()> {
        std::thread::scope(|s| -> Result<()> {
            let mut inflight: Inflight<'_> = None;
            for (txs, oks) in chunks {
                let built = self.build(txs.as_ref(), oks.as_ref());
                finish(&mut inflight, on_block)?;
                let (staged, receipts) = built?;
                match staged {
                    Some(staged) => {
                        self.store.publish(&staged)?;
                        let store = &self.store;
                        inflight = Some((s.spawn(move || store.write(staged)), receipts));
                    }
                    None => on_block(&receipts),
                }
            }
            finish(&mut inflight, on_block)
        })
    }

    /// Submits a stream of transaction batches with verification of the next batch running
    /// on the thread pool while the current one is applied and committed.
    pub fn submit_pipelined(
        &self,
        batches: impl Iterator<Item = Vec<SignedTx>> + Send,
        mut on_block: impl FnMut(&[Receipt]),
    ) -> Result<()> {
        self.check_solo()?;
        let (tx, rx) = crossbeam_channel::bounded::<(Vec<SignedTx>, Vec<bool>)>(2);
        std::thread::scope(|s| -> Result<()> {
            s.spawn(move || {
                for b in batches {
                    let ok = verify_parallel(&b);
                    if tx.send((b, ok)).is_err() {
                        break;
                    }
                }
            });
            // One pipeline across all batches: a block is executed while the previous
            // one (possibly from the previous batch) is being written.
            let chunks = rx.into_iter().flat_map(|(b, ok)| {
                let mut out = Vec::new();
                let (mut b, mut ok) = (b, ok);
                while b.len() > MAX_BLOCK_TXS {
                    let (rest_b, rest_ok) =
                        (b.split_off(MAX_BLOCK_TXS), ok.split_off(MAX_BLOCK_TXS));
                    out.push((
                        std::mem::replace(&mut b, rest_b),
                        std::mem::replace(&mut ok, rest_ok),
                    ));
                }
                out.push((b, ok));
                out
            });
            self.produce_all(chunks, &mut on_block)
        })
    }

    /// The validator's public key.
    pub fn validator(&self) -> PublicKey {
        self.validator.public()
    }
}

impl Sequencer for Ledger {
    fn submit(&self, txs: Vec<SignedTx>) -> Result<Vec<Receipt>> {
        if let Some(n) = self.network.get() {
            return n.submit(txs);
        }
        self.check_solo()?;
        let ok = verify_parallel(&txs);
        let mut out = Vec::with_capacity(txs.len());
        self.produce_all(
            txs.chunks(MAX_BLOCK_TXS).zip(ok.chunks(MAX_BLOCK_TXS)),
            &mut |r| out.extend_from_slice(r),
        )?;
        Ok(out)
    }
}

/// The block being written on its own thread, with the receipts it will release.
type Inflight<'s> = Option<(
    std::thread::ScopedJoinHandle<'s, handoff_store::Result<()>>,
    Vec<Receipt>,
)>;

/// Waits for the block in flight to be durable, then releases its receipts.
fn finish(inflight: &mut Inflight<'_>, on_block: &mut dyn FnMut(&[Receipt])) -> Result<()> {
    if let Some((h, receipts)) = inflight.take() {
        h.join()
            .map_err(|_| anyhow::anyhow!("the block writer panicked"))?
            .context("writing a block")?;
        on_block(&receipts);
    }
    Ok(())
}

/// The first rejection among receipts, if any.
pub fn first_rejection(receipts: &[Receipt]) -> Option<&Rejection> {
    receipts.iter().find_map(|r| r.result.as_ref().err())
}

/// Reads the committed outcome of a transaction: `None` if it is in no block.
pub fn committed_outcome(store: &Store, tx: &TxMeta) -> Result<Option<(u64, Outcome)>> {
    let Some((loc, block)) = store.find_tx(tx)? else {
        return Ok(None);
    };
    Ok(block
        .outcomes
        .get(loc.index as usize)
        .cloned()
        .map(|o| (loc.height, o)))
}
