//! The embedded single validator: orders submitted transactions into blocks, signs each
//! block's commit certificate with its own key, and commits it durably before answering.
//!
//! Ordering sits behind [`Sequencer`], the seam where the BFT engine plugs in: a client
//! hands transactions to a sequencer and gets one receipt per transaction once its block
//! is final (or its rejection).

use anyhow::{Context, Result, bail};
use handoff_application::{Application, Limits};
use handoff_core::block::{Certificate, Genesis, Outcome};
use handoff_core::crypto::{BATCH_CHUNK, Keypair};
use handoff_core::limits::{MAX_BLOCK_BYTES, MAX_BLOCK_TXS};
use handoff_core::rejection::Rejection;
use handoff_core::state::StateReadExt;
use handoff_core::tx::{Payload, SignedTx, TX_VERSION, TxBody};
use handoff_core::types::{Hash32, PublicKey};
pub use handoff_store::Caches;
use handoff_store::{Staged, Store, TxMeta};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use handoff_application::Receipt;

/// The current time in unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
    /// Block build and commit, the same application a networked node and the simulator
    /// run; the lock also keeps two submitters from building on one tip.
    app: Mutex<Application>,
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
    verify_parallel_refs(&refs)
}

/// The node's [`handoff_application::Verifier`]: the chunks of
/// `handoff_application::verify_chunked`, spread over the cores.
pub fn verify_parallel_refs(txs: &[&SignedTx]) -> Vec<bool> {
    txs.par_chunks(BATCH_CHUNK)
        .flat_map_iter(handoff_core::crypto::verify_txs)
        .collect()
}

/// The embedded validator's application of a chain.
fn application(chain_id: Hash32) -> Mutex<Application> {
    Mutex::new(Application::new(
        chain_id,
        Limits::embedded(),
        verify_parallel_refs,
    ))
}

/// Splits transactions (with their signature checks) into blocks: at most
/// `MAX_BLOCK_TXS` transactions and `MAX_BLOCK_BYTES` encoded bytes each.
fn block_chunks(txs: Vec<SignedTx>, ok: Vec<bool>) -> Vec<(Vec<SignedTx>, Vec<bool>)> {
    let mut out = Vec::new();
    let mut cur = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for (tx, ok) in txs.into_iter().zip(ok) {
        let len = tx.encode().len();
        if !cur.0.is_empty() && (cur.0.len() >= MAX_BLOCK_TXS || bytes + len > MAX_BLOCK_BYTES) {
            out.push(std::mem::take(&mut cur));
            bytes = 0;
        }
        bytes += len;
        cur.0.push(tx);
        cur.1.push(ok);
    }
    if !cur.0.is_empty() {
        out.push(cur);
    }
    out
}

/// Why a chain folder could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The folder has no chain store.
    #[error("{} holds no Handoff chain; run `handoff init` first", .0.display())]
    NoChain(PathBuf),
    /// The store could not be opened, most often because a running node holds it.
    #[error(
        "cannot open the chain in {} ({source}); is a `handoff node` already running on it?",
        data.display()
    )]
    Unavailable {
        /// The node folder.
        data: PathBuf,
        /// What the store said.
        source: handoff_store::StoreError,
    },
    /// The head or genesis could not be read back whole.
    #[error("the chain store failed its integrity check: {0}")]
    Integrity(handoff_store::StoreError),
    /// The folder's validator key is missing or unreadable.
    #[error("cannot read this folder's validator key: {0}")]
    ValidatorKey(String),
}

/// Why [`Ledger::sign`] gave no transaction: the signer's account could not be read, or
/// the transaction is refused by a rule before it is signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The store could not read the signer's next nonce (`STORE_FAULT`).
    #[error("cannot sign: {0}")]
    Read(#[from] handoff_core::state::ReadError),
    /// A rule refuses the transaction (e.g. `TOO_LARGE`).
    #[error(transparent)]
    Rejected(#[from] Rejection),
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
            app: application(genesis.chain_id()),
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
        Ok(Ledger::open_with(data, Caches::SERVING)?)
    }

    /// Opens the chain in `data` keeping in memory what `caches` allows: a command that
    /// does one large job and exits (`epcis import`) opens it with [`Caches::ONE_SHOT`].
    pub fn open_with(data: &Path, caches: Caches) -> std::result::Result<Ledger, OpenError> {
        if !chain_dir(data).exists() {
            return Err(OpenError::NoChain(data.to_path_buf()));
        }
        let store = Store::open_with(&chain_dir(data), caches).map_err(|source| {
            OpenError::Unavailable {
                data: data.to_path_buf(),
                source,
            }
        })?;
        store.check_head().map_err(OpenError::Integrity)?;
        let genesis = store.genesis().map_err(OpenError::Integrity)?;
        let validator = crate::identity::validator(data)
            .map_err(|e| OpenError::ValidatorKey(format!("{e:#}")))?;
        // Whether this key may still certify blocks is checked per block (`build`): the
        // set can change, and a folder whose key left it must still answer queries.
        Ok(Ledger {
            store,
            validator,
            chain_id: genesis.chain_id(),
            data: data.to_path_buf(),
            app: application(genesis.chain_id()),
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

    /// Time this ledger's application spent computing blocks' filters of whom they
    /// concern (for `bench ledger`).
    pub fn filter_time(&self) -> std::time::Duration {
        self.app.lock().map(|a| a.filter_time()).unwrap_or_default()
    }

    /// A signed transaction from `key` with its next nonce. [`SignError::Read`] when the
    /// account cannot be read (a guessed nonce would be refused, or worse, replay nothing
    /// it should); [`SignError::Rejected`] (`TOO_LARGE`) when the body has no encoding.
    pub fn sign(&self, key: &Keypair, payload: Payload) -> Result<SignedTx, SignError> {
        let nonce = self.store.next_nonce(&key.public())?;
        Ok(self.sign_with_nonce(key, nonce, payload)?)
    }

    /// A signed transaction with the signer's next nonce and the time the event happened
    /// (an imported EPCIS event's `eventTime`), Unix ms.
    pub fn sign_at(
        &self,
        key: &Keypair,
        payload: Payload,
        event_time_ms: i64,
    ) -> Result<SignedTx, SignError> {
        let nonce = self.store.next_nonce(&key.public())?;
        Ok(key.sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: self.chain_id,
            signer: key.public(),
            nonce,
            event_time_ms,
            payload,
        })?)
    }

    /// A signed transaction with an explicit nonce and the time the event happened: one of
    /// a batch signed before any of it is committed (the nonces counted by the caller).
    pub fn sign_at_nonce(
        &self,
        key: &Keypair,
        nonce: u64,
        payload: Payload,
        event_time_ms: i64,
    ) -> Result<SignedTx, Rejection> {
        key.sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: self.chain_id,
            signer: key.public(),
            nonce,
            event_time_ms,
            payload,
        })
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
    fn build(
        &self,
        app: &mut Application,
        txs: &[SignedTx],
        sig_ok: &[bool],
    ) -> Result<(Option<Staged>, Vec<Receipt>)> {
        let height = self.store.tip()?.height + 1;
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
        let t0 = std::time::Instant::now();
        // A state read that fails stops the block here: nothing is certified, staged or
        // acknowledged, and the caller reports the store fault (`STORE_FAULT`).
        let built = match app.build_from(&self.store, me, now_ms(), txs, sig_ok) {
            Ok(b) => b,
            Err(e) if e.read_fault().is_some() => {
                return Err(anyhow::Error::new(e).context(format!(
                    "block {height} not produced: the store could not read the state"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let t_build = t0.elapsed();
        let mut block = built.block;
        if block.txs.is_empty() {
            return Ok((None, built.receipts));
        }
        // The single validator decides every block alone, in round 0.
        block.certificate = Certificate {
            round: 0,
            sigs: vec![Certificate::sign(&self.validator, &block.header, 0)],
        };
        let staged = app.stage(&self.store, &block)?;
        if std::env::var_os("HANDOFF_TRACE").is_some() {
            eprintln!(
                "block {height}: {} txs, execute and prepare {:?}",
                block.txs.len(),
                t_build,
            );
        }
        Ok((Some(staged), built.receipts))
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
        let mut app = self
            .app
            .lock()
            .map_err(|_| anyhow::anyhow!("the block producer failed earlier"))?;
        std::thread::scope(|s| -> Result<()> {
            let mut inflight: Inflight<'_> = None;
            for (txs, oks) in chunks {
                let built = self.build(&mut app, txs.as_ref(), oks.as_ref());
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
            let chunks = rx.into_iter().flat_map(|(b, ok)| block_chunks(b, ok));
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
        self.produce_all(block_chunks(txs, ok).into_iter(), &mut |r| {
            out.extend_from_slice(r)
        })?;
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
