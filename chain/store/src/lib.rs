//! Handoff's durable store on sled: blocks, the authenticated state (a Jellyfish Merkle
//! tree whose nodes and versioned values live in sled), and the indexes queries need
//! (history per item/lot/container, inbox/outbox per org, transactions per org).
//!
//! Crash safety: everything one block changes goes into a single sled batch, which sled
//! applies atomically, followed by a durable flush ([`durable::Durable`]: sled's flush,
//! then fsync of its blob files, log file and folder, since sled's own flush is no
//! durability barrier); `commit` returns only after it, so an acknowledged block survives
//! a power cut and a crash leaves either the whole block or none of it.
//! This is the only crate that depends on sled: the light node's own small database
//! (headers and outbox) is here too, in [`light`].

pub mod durable;
pub mod light;
pub mod stock;

use borsh::{BorshDeserialize, BorshSerialize};
use handoff_core::block::{Block, BlockHeader, Genesis};
use handoff_core::event::{Effects, Event, IndexOp};
use handoff_core::governance::SetChange;
use handoff_core::proof::{RecordProof, StateHasher, key_hash};
use handoff_core::query::HistoryRead;
use handoff_core::state::{ReadError, ReadResult, Record, StateKey, StateRead, ValidatorSetRecord};
use handoff_core::types::{HandoffId, Hash32, PublicKey, TxId};
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, Version};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A bounded two-generation cache: recent entries in `young`; when it fills it becomes
/// `old` and the previous `old` is dropped. Holds only committed, latest values, written
/// through on commit, so a hit is always what sled would return.
struct Cache<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    cap: usize,
}

impl<K: Eq + Hash, V: Clone> Cache<K, V> {
    fn new(cap: usize) -> Self {
        Cache {
            young: HashMap::new(),
            old: HashMap::new(),
            cap,
        }
    }
    fn get(&self, k: &K) -> Option<V> {
        self.young.get(k).or_else(|| self.old.get(k)).cloned()
    }
    fn put(&mut self, k: K, v: V) {
        if self.young.len() >= self.cap {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(k, v);
    }
}

/// How much of the chain a store keeps in memory: each cache is bounded, so a store's
/// memory is set by these figures, never by the length of the chain or of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caches {
    /// sled's page cache (bytes).
    pub sled_bytes: u64,
    /// Latest records kept decoded (entries per generation: at most twice this is held).
    pub records: usize,
    /// State tree nodes read from sled (entries per generation).
    pub nodes: usize,
}

impl Caches {
    /// A node that builds blocks and answers reads for a long time (`node run`, the app):
    /// hot items and tree paths stay in memory.
    pub const SERVING: Caches = Caches {
        sled_bytes: 512 * 1024 * 1024,
        records: 100_000,
        nodes: 100_000,
    };
    /// A command that opens the chain, does one job and exits (an EPCIS import of a
    /// large document): a block's own reads and writes fit, little more is kept, so
    /// the job's memory stops growing after its first blocks.
    pub const ONE_SHOT: Caches = Caches {
        sled_bytes: 32 * 1024 * 1024,
        records: 8_192,
        nodes: 16_384,
    };
}
/// Durable blocks whose tree nodes stay in memory as they were written (a block of 4,096
/// handoff transactions writes about 15,000 nodes).
const RECENT_BLOCKS: usize = 8;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Errors of the store (operational, not ledger rules).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (disk full, permissions, corruption).
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    /// Syncing the store's files to disk failed: what was written may not be durable.
    #[error("cannot sync the store to disk: {0}")]
    Sync(std::io::Error),
    /// The state tree could not be read or updated.
    #[error("state tree error: {0}")]
    Tree(String),
    /// A height the store cannot know about yet.
    #[error("height {height} is beyond the next block ({next})")]
    Beyond {
        /// Asked for.
        height: u64,
        /// The next block's height.
        next: u64,
    },
    /// Stored bytes did not decode.
    #[error("corrupt record in the store: {0}")]
    Corrupt(&'static str),
    /// The folder holds no chain yet.
    #[error("no chain in this folder")]
    NotInitialized,
    /// The folder already holds a chain.
    #[error("this folder already holds a chain")]
    AlreadyInitialized,
    /// A block does not follow the last one.
    #[error("block {got} does not follow height {have}")]
    OutOfOrder {
        /// Current height.
        have: u64,
        /// Offered height.
        got: u64,
    },
    /// The folder was written by a build with another store layout.
    #[error("this chain folder uses store format {found}; this build reads format {expected}")]
    Format {
        /// On disk.
        found: u16,
        /// This build.
        expected: u16,
    },
    /// A state record could not be read or decoded: the operation stops rather than
    /// take the record as absent.
    #[error("{0}")]
    Read(#[from] ReadError),
    /// Re-executing a block gave another result than its header says.
    #[error("block {height} does not replay: {what}")]
    Mismatch {
        /// Height.
        height: u64,
        /// What differed.
        what: String,
    },
}

/// Result alias.
pub type Result<T> = std::result::Result<T, StoreError>;

// Key prefixes in the one sled tree (one tree, so a block is one atomic batch).
const P_BLOCK: u8 = b'B';
const P_SIGNER_TX: u8 = b'S';
const P_VALUE: u8 = b'V';
const P_NODE_GROUP: u8 = b'N';
const P_EVENT: u8 = b'E';
const P_OPEN: u8 = b'I';
const P_ORG_TX: u8 = b'O';
const P_ORG: u8 = b'G';
/// Finance steps per asset: `F` + asset + height + index → tx id.
const P_FIN_STEP: u8 = b'F';
/// Finance assets per party: `A` + org + asset → (nothing).
const P_FIN_ORG: u8 = b'A';
/// Each org's delivery record as sender: `Q` + org → [`Deliveries`].
const P_DELIVERIES: u8 = b'Q';
const META_HEIGHT: &[u8] = b"Mheight";
const META_GENESIS: &[u8] = b"Mgenesis";
const META_FORMAT: &[u8] = b"Mformat";
/// Layout version of the keys below; a store written in another layout is refused on
/// open rather than misread. 3: certificates carry their consensus round; transaction
/// locations per signer and block; open handoffs grouped per proposal block. 4: the
/// validator set is a state record (written at genesis). 5: state values grouped per
/// block and first key hash byte, found through the tree. 6: the stock index. 7: each
/// org's delivery record (how the handoffs it sent closed). 8: warehouse receipts carry
/// lot quantities, and a lot's pledged quantities are a state record. 9: headers carry
/// `concerns_root` and blocks their filter of the orgs and devices they concern.
pub const STORE_FORMAT: u16 = 9;

/// How the handoffs an org sent have closed, counted as blocks apply (what a lender reads
/// as a counterparty's delivery record).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Deliveries {
    /// Accepted by the recipient.
    pub accepted: u64,
    /// Of those, with goods reported missing or damaged.
    pub exceptions: u64,
    /// Rejected by the recipient before the deadline.
    pub rejected: u64,
    /// Withdrawn by the sender before the deadline.
    pub cancelled: u64,
    /// Closed, not accepted, after the deadline.
    pub lapsed: u64,
}

impl Deliveries {
    fn add(&mut self, o: handoff_core::event::HandoffOutcome) {
        use handoff_core::event::HandoffOutcome as O;
        match o {
            O::Accepted { exceptions } => {
                self.accepted += 1;
                self.exceptions += u64::from(exceptions);
            }
            O::Rejected { lapsed: true } | O::Cancelled { lapsed: true } => self.lapsed += 1,
            O::Rejected { lapsed: false } => self.rejected += 1,
            O::Cancelled { lapsed: false } => self.cancelled += 1,
        }
    }

    /// Handoffs decided: accepted, rejected, cancelled or lapsed.
    pub fn closed(&self) -> u64 {
        self.accepted + self.rejected + self.cancelled + self.lapsed
    }
}

fn deliveries_key(org: &PublicKey) -> Vec<u8> {
    [&[P_DELIVERIES][..], &org.0].concat()
}

fn be8(v: u64) -> [u8; 8] {
    v.to_be_bytes()
}

/// State values are stored in groups too: the values of every leaf one block (tree
/// version) wrote, grouped by the first byte of their key hash, share one sled key. A
/// value is found through the tree: the leaf of its key at a version names the version
/// that wrote it, and so its group. When a block moves a leaf it did not change (a new key
/// split the leaf's place in the tree), the leaf is rewritten at the block's version, so
/// its value is copied into that block's group too: every leaf's value is in the group of
/// the leaf's own version.
fn value_group_key(version: Version, first: u8) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[0] = P_VALUE;
    k[1..9].copy_from_slice(&be8(version));
    k[9] = first;
    k
}

/// The values of one group, sorted by key hash: `(key hash, value)` each, borsh-encoded.
type ValueGroup<'a> = Vec<(&'a [u8; 32], &'a [u8])>;

/// Finds one key's value in an encoded [`ValueGroup`] without decoding the others.
fn value_in_group(bytes: &[u8], kh: &KeyHash) -> Option<OwnedValue> {
    fn take<'b>(b: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
        if b.len() < n {
            return None;
        }
        let (head, rest) = b.split_at(n);
        *b = rest;
        Some(head)
    }
    fn len(b: &mut &[u8]) -> Option<usize> {
        let v = take(b, 4)?;
        Some(u32::from_le_bytes(v.try_into().ok()?) as usize)
    }
    let mut b = bytes;
    let count = len(&mut b)?;
    for _ in 0..count {
        let k = take(&mut b, 32)?;
        let n = len(&mut b)?;
        let v = take(&mut b, n)?;
        if k == kh.0 {
            return Some(v.to_vec());
        }
    }
    None
}

/// The `i`th nibble of a key hash.
fn nibble(kh: &KeyHash, i: usize) -> u8 {
    let b = kh.0[i / 2];
    if i.is_multiple_of(2) {
        b >> 4
    } else {
        b & 0x0f
    }
}

/// State tree nodes are stored in groups: every node one block (tree version) writes
/// under the same two-nibble subtree shares one sled key, and the few nodes above that
/// level share another. sled's cost is per key written, so this turns about three keys per
/// transaction into a few hundred per block; a read of one node loads its group (tens of
/// nodes, which go into the node cache together).
fn node_group(nk: &NodeKey) -> u16 {
    let p = nk.nibble_path();
    if p.num_nibbles() < 2 {
        256
    } else {
        u16::from(u8::from(p.get_nibble(0))) * 16 + u16::from(u8::from(p.get_nibble(1)))
    }
}

fn node_group_key(version: Version, group: u16) -> [u8; 11] {
    let mut k = [0u8; 11];
    k[0] = P_NODE_GROUP;
    k[1..9].copy_from_slice(&be8(version));
    k[9..].copy_from_slice(&group.to_be_bytes());
    k
}

fn org_tx_key(org: &PublicKey, height: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(41);
    k.push(P_ORG_TX);
    k.extend_from_slice(&org.0);
    k.extend_from_slice(&be8(height));
    k
}

fn event_key(canonical: &str, seq: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(canonical.len() + 6);
    k.push(P_EVENT);
    k.extend_from_slice(canonical.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Open handoffs are grouped by org, direction and the height they were proposed at: one
/// key lists every still-open handoff an org proposed (or received) in one block, so a
/// block of thousands of handoffs opens two keys, and accepting them rewrites or removes
/// the few groups they came from, instead of two keys per handoff each way.
fn open_group_key(org: &PublicKey, dir: u8, opened_height: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(42);
    k.push(P_OPEN);
    k.extend_from_slice(&org.0);
    k.push(dir);
    k.extend_from_slice(&be8(opened_height));
    k
}

/// A signer's transactions in one block share a key, under the signer and the first nonce
/// of the block; a transaction is found by (signer, nonce), which every submitter knows.
fn signer_tx_key(signer: &PublicKey, first_nonce: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(41);
    k.push(P_SIGNER_TX);
    k.extend_from_slice(&signer.0);
    k.extend_from_slice(&be8(first_nonce));
    k
}

/// What the store indexes of each transaction in a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxMeta {
    /// Transaction id.
    pub id: TxId,
    /// Signer.
    pub signer: PublicKey,
    /// The signer's nonce.
    pub nonce: u64,
}

impl TxMeta {
    /// The metadata of a signed transaction.
    pub fn of(tx: &handoff_core::tx::SignedTx) -> TxMeta {
        TxMeta {
            id: tx.id(),
            signer: tx.body.signer,
            nonce: tx.body.nonce,
        }
    }
}

/// One signer's transactions in one block: (nonce, index in the block), nonce order.
#[derive(BorshSerialize, BorshDeserialize)]
struct SignerTxs {
    height: u64,
    txs: Vec<(u64, u32)>,
}

/// Where a transaction landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TxLocation {
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
}

/// State tree changes computed for a block, ready to be committed with it.
pub struct Prepared {
    /// Height (tree version).
    pub height: u64,
    /// The state root after the block.
    pub root: Hash32,
    batch: TreeUpdateBatch,
    records: Vec<(KeyHash, Record)>,
}

/// A block's writes, built and checked, not yet durable.
pub struct Staged {
    /// Index and block writes; the tree nodes, values and open groups are in `pending`.
    /// Encoded into the sled batch by [`Store::write`], on the writing thread.
    ops: Ops,
    build: std::time::Duration,
    pending: Arc<Pending>,
}

/// Plain sled inserts (key, value).
type Ops = Vec<(Vec<u8>, Vec<u8>)>;

/// Open handoff groups by sled key, with the ids still open in each.
type OpenGroups = BTreeMap<Vec<u8>, Vec<HandoffId>>;

/// What a block in flight makes visible before it is durable.
struct Pending {
    header: BlockHeader,
    open: OpenGroups,
    /// The stock index rows and contributions the block rewrites (`None`: removed).
    stock: stock::StockWrites,
    /// Every tree node the block wrote (all of the nodes of its version).
    nodes: jmt::storage::NodeBatch,
    /// The value of every leaf the block wrote (changed, or moved).
    values: BTreeMap<KeyHash, OwnedValue>,
    records: HashMap<KeyHash, Record>,
}

/// The store of one node.
pub struct Store {
    db: sled::Db,
    durable: durable::Durable,
    tree: sled::Tree,
    /// Imported EPCIS events: `h` + hash id → tx id, `t` + tx id → kept event.
    epcis: sled::Tree,
    /// The node's own notes beside the chain, never part of it: see [`Store::local_put`].
    local: sled::Tree,
    height: AtomicU64,
    records: Mutex<Cache<KeyHash, Record>>,
    nodes: Mutex<Cache<NodeKey, Node>>,
    pending: Mutex<Option<Arc<Pending>>>,
    /// The last durable blocks' layers, oldest first: their tree nodes are read from here.
    recent: Mutex<std::collections::VecDeque<Arc<Pending>>>,
    /// Read faults injected by tests (`HANDOFF_FAULT_READ_*`, or
    /// [`Store::inject_read_faults`]).
    #[cfg(feature = "fault-injection")]
    faults: Mutex<faults::ReadFaults>,
}

impl Store {
    /// Opens (or creates) the store in `path` with the caches of a serving node
    /// ([`Caches::SERVING`]). Recovery is sled's: the last batch that was flushed is there
    /// whole; anything after it is not.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, Caches::SERVING)
    }

    /// Opens (or creates) the store in `path`, keeping in memory what `caches` allows.
    pub fn open_with(path: &Path, caches: Caches) -> Result<Store> {
        let db = durable::open(
            &durable::config(path)
                .cache_capacity(caches.sled_bytes)
                .mode(sled::Mode::HighThroughput),
        )?;
        let durable = durable::Durable::open(path).map_err(StoreError::Sync)?;
        let tree = db.open_tree("chain")?;
        let epcis = db.open_tree("epcis")?;
        let local = db.open_tree("local")?;
        let height = match tree.get(META_HEIGHT)? {
            Some(v) => u64::from_be_bytes(
                v.as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("height"))?,
            ),
            None => 0,
        };
        if tree.contains_key(META_GENESIS)? {
            let found = tree
                .get(META_FORMAT)?
                .and_then(|v| v.as_ref().try_into().ok().map(u16::from_be_bytes))
                .unwrap_or(1);
            if found != STORE_FORMAT {
                return Err(StoreError::Format {
                    found,
                    expected: STORE_FORMAT,
                });
            }
        }
        Ok(Store {
            db,
            durable,
            tree,
            epcis,
            local,
            height: AtomicU64::new(height),
            records: Mutex::new(Cache::new(caches.records)),
            nodes: Mutex::new(Cache::new(caches.nodes)),
            pending: Mutex::new(None),
            recent: Mutex::new(std::collections::VecDeque::new()),
            #[cfg(feature = "fault-injection")]
            faults: Mutex::new(faults::ReadFaults::from_env()),
        })
    }

    /// Makes state reads fail as `faults` says, from now on (replacing earlier faults).
    #[cfg(feature = "fault-injection")]
    pub fn inject_read_faults(&self, faults: faults::ReadFaults) {
        *lock(&self.faults) = faults;
    }

    /// Whether the folder holds a chain.
    pub fn is_initialized(&self) -> bool {
        self.tree.contains_key(META_GENESIS).unwrap_or(false)
    }

    /// Writes the genesis block (height 0) with its state.
    pub fn init(&self, genesis: &Genesis, proposer: PublicKey) -> Result<BlockHeader> {
        if self.is_initialized() {
            return Err(StoreError::AlreadyInitialized);
        }
        let writes = genesis.writes();
        let prepared = self.prepare(0, &writes)?;
        let header = BlockHeader {
            version: handoff_core::block::BLOCK_VERSION,
            chain_id: genesis.chain_id(),
            height: 0,
            prev_hash: Hash32::default(),
            time_ms: genesis.time_ms,
            proposer,
            tx_count: 0,
            tx_root: handoff_core::block::tx_root(&[]),
            state_root: prepared.root,
            concerns_root: handoff_core::concerns::Concerns::default().root(),
        };
        let block = Block {
            header: header.clone(),
            certificate: Default::default(),
            txs: vec![],
            outcomes: vec![],
            concerns: Default::default(),
        };
        let (pending, mut ops) = self.pending_layer(&block, prepared, &[], &[], None)?;
        ops.push((META_FORMAT.to_vec(), STORE_FORMAT.to_be_bytes().to_vec()));
        ops.push((
            META_GENESIS.to_vec(),
            borsh::to_vec(genesis).unwrap_or_default(),
        ));
        for o in &genesis.orgs {
            ops.push(([&[P_ORG][..], &o.org.0].concat(), Vec::new()));
        }
        let (batch, _) = encode_batch(&pending, ops);
        self.tree.apply_batch(batch)?;
        self.durable.flush(&self.db)?;
        self.height.store(0, Ordering::SeqCst);
        Ok(header)
    }

    /// The genesis.
    pub fn genesis(&self) -> Result<Genesis> {
        let v = self
            .tree
            .get(META_GENESIS)?
            .ok_or(StoreError::NotInitialized)?;
        borsh::from_slice(&v).map_err(|_| StoreError::Corrupt("genesis"))
    }

    fn pending(&self) -> Option<Arc<Pending>> {
        lock(&self.pending).clone()
    }

    /// The block in memory (pending, or one of the recent durable ones) at `height`.
    fn layer(&self, height: u64) -> Option<Arc<Pending>> {
        if let Some(p) = lock(&self.pending).as_ref()
            && p.header.height == height
        {
            return Some(p.clone());
        }
        lock(&self.recent)
            .iter()
            .rev()
            .find(|p| p.header.height == height)
            .cloned()
    }

    /// Height of the last durable block.
    pub fn height(&self) -> u64 {
        self.height.load(Ordering::SeqCst)
    }

    /// A committed block.
    pub fn block(&self, height: u64) -> Result<Option<Block>> {
        let mut k = vec![P_BLOCK];
        k.extend_from_slice(&be8(height));
        match self.tree.get(k)? {
            Some(v) => Ok(Some(
                borsh::from_slice(&v).map_err(|_| StoreError::Corrupt("block"))?,
            )),
            None => Ok(None),
        }
    }

    /// A committed header.
    pub fn header(&self, height: u64) -> Result<Option<BlockHeader>> {
        Ok(self.block(height)?.map(|b| b.header))
    }

    /// The last committed header.
    pub fn last_header(&self) -> Result<BlockHeader> {
        self.header(self.height())?
            .ok_or(StoreError::NotInitialized)
    }

    /// Computes the state tree update for a block's writes at `height`.
    pub fn prepare(&self, height: u64, writes: &[(StateKey, Record)]) -> Result<Prepared> {
        let set: Vec<(KeyHash, OwnedValue)> = writes
            .iter()
            .map(|(k, r)| (key_hash(k), r.encode()))
            .collect();
        let (root, batch) =
            update_tree(self, set, height).map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(Prepared {
            height,
            root: Hash32(root.0),
            batch,
            records: writes
                .iter()
                .map(|(k, r)| (key_hash(k), r.clone()))
                .collect(),
        })
    }

    /// The index and block writes of a block (everything but its state tree and open
    /// handoff groups) as plain sled inserts, and the open handoff groups it rewrites (for
    /// the pending layer, so the next block, staged before this one is durable, builds on
    /// them).
    fn index_block(
        &self,
        block: &Block,
        txs: &[TxMeta],
        effects: &[Option<&Effects>],
        earlier: Option<&Pending>,
    ) -> Result<(Ops, OpenGroups)> {
        let height = block.header.height;
        let mut ops: Ops = Vec::new();
        // Transactions per signer: one key per signer and block.
        let mut by_signer: BTreeMap<PublicKey, Vec<(u64, u32)>> = BTreeMap::new();
        for (i, t) in txs.iter().enumerate() {
            by_signer
                .entry(t.signer)
                .or_default()
                .push((t.nonce, i as u32));
        }
        for (signer, mut list) in by_signer {
            list.sort_unstable();
            let first = list.first().map(|x| x.0).unwrap_or(0);
            let v = SignerTxs { height, txs: list };
            ops.push((
                signer_tx_key(&signer, first),
                borsh::to_vec(&v).unwrap_or_default(),
            ));
        }
        // Transactions per org: one key per org and block, listing (index, id).
        let mut by_org: BTreeMap<PublicKey, Vec<(u32, TxId)>> = BTreeMap::new();
        // Open handoff groups this block changes: key -> (group, its ids).
        let mut open: OpenGroups = BTreeMap::new();
        // Handoffs this block closes, per group: removed once per group at the end (a
        // handoff id is never reopened, so this is the same as removing each in turn).
        let mut closed: HashMap<Vec<u8>, HashSet<HandoffId>> = HashMap::new();
        for (i, eff) in effects.iter().enumerate() {
            let Some(eff) = eff else { continue };
            // Effects and transactions are parallel; a step indexed under a zero id would
            // not read back (`finance_steps` readers compare the id), never pass as another.
            let tx = txs.get(i).map(|t| t.id).unwrap_or_default();
            for h in &eff.history {
                ops.push((event_key(&h.key, h.seq), h.event.clone()));
            }
            for op in &eff.index {
                match op {
                    IndexOp::OrgAdmitted { org } => {
                        ops.push(([&[P_ORG][..], &org.0].concat(), Vec::new()));
                    }
                    IndexOp::HandoffOpened { from, to, id } => {
                        for k in [
                            open_group_key(to, b'i', height),
                            open_group_key(from, b'o', height),
                        ] {
                            self.open_group(&mut open, k, earlier)?.push(*id);
                        }
                    }
                    IndexOp::HandoffClosed {
                        from,
                        to,
                        id,
                        opened_height,
                        ..
                    } => {
                        for k in [
                            open_group_key(to, b'i', *opened_height),
                            open_group_key(from, b'o', *opened_height),
                        ] {
                            self.open_group(&mut open, k.clone(), earlier)?;
                            closed.entry(k).or_default().insert(*id);
                        }
                    }
                    IndexOp::FinanceStep { asset, parties } => {
                        let mut k = Vec::with_capacity(45);
                        k.push(P_FIN_STEP);
                        k.extend_from_slice(&asset.0);
                        k.extend_from_slice(&be8(height));
                        k.extend_from_slice(&(i as u32).to_be_bytes());
                        ops.push((k, tx.0.to_vec()));
                        for org in parties {
                            ops.push(([&[P_FIN_ORG][..], &org.0, &asset.0].concat(), Vec::new()));
                        }
                    }
                }
            }
            if let Some(org) = eff.org {
                by_org.entry(org).or_default().push((i as u32, tx));
            }
        }
        for (k, gone) in &closed {
            if let Some(ids) = open.get_mut(k) {
                ids.retain(|x| !gone.contains(x));
            }
        }
        for (org, list) in &by_org {
            ops.push((
                org_tx_key(org, height),
                borsh::to_vec(list).unwrap_or_default(),
            ));
        }
        let mut k = vec![P_BLOCK];
        k.extend_from_slice(&be8(height));
        ops.push((k, borsh::to_vec(block).unwrap_or_default()));
        ops.push((META_HEIGHT.to_vec(), be8(height).to_vec()));
        Ok((ops, open))
    }

    /// The stock index writes of a block (see [`stock`]), reading the index as the block
    /// before it (pending, else durable) left it.
    fn index_stock(
        &self,
        prepared: &Prepared,
        effects: &[Option<&Effects>],
        earlier: Option<&Pending>,
    ) -> Result<stock::StockWrites> {
        let records: Vec<&Record> = prepared
            .records
            .iter()
            .map(|(_, r)| r)
            .filter(|r| matches!(r, Record::Item(_) | Record::Lot(_)))
            .collect();
        if records.is_empty() {
            return Ok(stock::StockWrites::new());
        }
        let history: Vec<(&str, &[u8])> = effects
            .iter()
            .flatten()
            .flat_map(|e| e.history.iter())
            .map(|h| (h.key.as_str(), h.event.as_slice()))
            .collect();
        let read = |k: &[u8]| -> Result<Option<Vec<u8>>> {
            if let Some(v) = earlier.and_then(|p| p.stock.get(k)) {
                return Ok(v.clone());
            }
            Ok(self.tree.get(k)?.map(|v| v.to_vec()))
        };
        stock::index(&records, &history, &read, &|| {
            StoreError::Corrupt("stock index")
        })
    }

    /// Adds the handoffs this block closed to their senders' delivery records, reading
    /// each record as the block before left it (pending, else durable). The rows travel
    /// with the stock rows: same layering, same batch.
    fn index_deliveries(
        &self,
        writes: &mut stock::StockWrites,
        effects: &[Option<&Effects>],
        earlier: Option<&Pending>,
    ) -> Result<()> {
        let mut by_org: BTreeMap<PublicKey, Deliveries> = BTreeMap::new();
        for op in effects.iter().flatten().flat_map(|e| e.index.iter()) {
            if let IndexOp::HandoffClosed { from, outcome, .. } = op {
                let d = match by_org.entry(*from) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        let k = deliveries_key(from);
                        let stored = match earlier.and_then(|p| p.stock.get(&k)) {
                            Some(v) => v.clone(),
                            None => self.tree.get(&k)?.map(|v| v.to_vec()),
                        };
                        e.insert(match stored {
                            Some(v) => borsh::from_slice(&v)
                                .map_err(|_| StoreError::Corrupt("delivery record"))?,
                            None => Deliveries::default(),
                        })
                    }
                };
                d.add(*outcome);
            }
        }
        for (org, d) in by_org {
            writes.insert(
                deliveries_key(&org),
                Some(borsh::to_vec(&d).unwrap_or_default()),
            );
        }
        Ok(())
    }

    /// How the handoffs `org` sent have closed, as of the last durable block.
    pub fn deliveries(&self, org: &PublicKey) -> Result<Deliveries> {
        match self.tree.get(deliveries_key(org))? {
            Some(v) => borsh::from_slice(&v).map_err(|_| StoreError::Corrupt("delivery record")),
            None => Ok(Deliveries::default()),
        }
    }

    /// The ids of an open handoff group as this block sees them: already changed by this
    /// block, else as the block before it (pending) left them, else as stored.
    fn open_group<'a>(
        &self,
        open: &'a mut OpenGroups,
        key: Vec<u8>,
        earlier: Option<&Pending>,
    ) -> Result<&'a mut Vec<HandoffId>> {
        use std::collections::btree_map::Entry;
        match open.entry(key) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(e) => {
                let ids = match earlier.and_then(|p| p.open.get(e.key())) {
                    Some(ids) => ids.clone(),
                    None => match self.tree.get(e.key())? {
                        Some(v) => borsh::from_slice(&v)
                            .map_err(|_| StoreError::Corrupt("open handoff index"))?,
                        None => Vec::new(),
                    },
                };
                Ok(e.insert(ids))
            }
        }
    }

    /// Commits a block durably: state tree changes, the block, and indexes in one atomic
    /// batch, then a flush. `effects[i]` belongs to `block.txs[i]` (None if it was rejected).
    pub fn commit(
        &self,
        block: &Block,
        prepared: Prepared,
        txs: &[TxMeta],
        effects: &[Option<&Effects>],
    ) -> Result<()> {
        let staged = self.stage(block, prepared, txs, effects)?;
        self.publish(&staged)?;
        self.write(staged)
    }

    /// The newest header: the block being written, if any, else the last durable one.
    /// Block production builds on this, so the next block can be executed while the
    /// previous one is still being written.
    pub fn tip(&self) -> Result<BlockHeader> {
        match lock(&self.pending).as_ref() {
            Some(p) => Ok(p.header.clone()),
            None => self.last_header(),
        }
    }

    /// Builds everything a block writes (checks order and root first). Nothing is visible
    /// until [`Store::publish`]; nothing is durable until [`Store::write`] returns.
    pub fn stage(
        &self,
        block: &Block,
        prepared: Prepared,
        txs: &[TxMeta],
        effects: &[Option<&Effects>],
    ) -> Result<Staged> {
        if txs.len() != block.txs.len() {
            return Err(StoreError::Mismatch {
                height: block.header.height,
                what: "transaction index".into(),
            });
        }
        let have = self.tip()?.height;
        if block.header.height != have + 1 || prepared.height != block.header.height {
            return Err(StoreError::OutOfOrder {
                have,
                got: block.header.height,
            });
        }
        if prepared.root != block.header.state_root {
            return Err(StoreError::Mismatch {
                height: block.header.height,
                what: "state root".into(),
            });
        }
        let t0 = std::time::Instant::now();
        let earlier = self.pending();
        let (pending, ops) =
            self.pending_layer(block, prepared, txs, effects, earlier.as_deref())?;
        Ok(Staged {
            ops,
            build: t0.elapsed(),
            pending: Arc::new(pending),
        })
    }

    /// A block's pending layer (what it makes visible) and its index writes.
    fn pending_layer(
        &self,
        block: &Block,
        mut prepared: Prepared,
        txs: &[TxMeta],
        effects: &[Option<&Effects>],
        earlier: Option<&Pending>,
    ) -> Result<(Pending, Ops)> {
        let values = self.leaf_values(&prepared, earlier)?;
        let (ops, open) = self.index_block(block, txs, effects, earlier)?;
        let mut stock = self.index_stock(&prepared, effects, earlier)?;
        self.index_deliveries(&mut stock, effects, earlier)?;
        let pending = Pending {
            header: block.header.clone(),
            open,
            stock,
            nodes: std::mem::take(&mut prepared.batch.node_batch),
            values,
            records: std::mem::take(&mut prepared.records).into_iter().collect(),
        };
        Ok((pending, ops))
    }

    /// Makes a staged block visible to reads (state, tree nodes, the tip) before it is
    /// durable, so the next block can be executed on top of it. At most one block is in
    /// flight: it must directly follow the last durable block.
    pub fn publish(&self, staged: &Staged) -> Result<()> {
        let have = self.height();
        let got = staged.pending.header.height;
        let mut p = lock(&self.pending);
        if got != have + 1 || p.as_ref().is_some_and(|x| x.header.height != got) {
            return Err(StoreError::OutOfOrder { have, got });
        }
        *p = Some(staged.pending.clone());
        Ok(())
    }

    /// Writes a published block durably (one atomic sled batch, then a flush), then moves
    /// it from the pending layer into the caches. On failure the pending layer is dropped,
    /// so nothing that is not durable stays visible.
    pub fn write(&self, staged: Staged) -> Result<()> {
        let Staged {
            ops,
            build,
            pending,
        } = staged;
        let t1 = std::time::Instant::now();
        let (batch, keys) = encode_batch(&pending, ops);
        let encode = t1.elapsed();
        let written = self
            .tree
            .apply_batch(batch)
            .map_err(StoreError::from)
            .and_then(|()| self.durable.flush(&self.db));
        if let Err(e) = written {
            lock(&self.pending).take();
            return Err(e);
        }
        if std::env::var_os("HANDOFF_TRACE").is_some() {
            eprintln!(
                "  commit: {keys} keys, build {build:?} encode {encode:?} apply+flush {:?}",
                t1.elapsed() - encode
            );
        }
        // Durable: now the caches may show the block's state. The record cache and the
        // height change under one lock, so a reader never caches a value older than it.
        // The block's tree nodes stay readable from its layer, now among the recent ones
        // (before it leaves the pending slot, so a reader finds it in one or the other).
        let mut recent = lock(&self.recent);
        recent.push_back(pending.clone());
        while recent.len() > RECENT_BLOCKS {
            recent.pop_front();
        }
        drop(recent);
        let mut rc = lock(&self.records);
        for (k, r) in &pending.records {
            rc.put(*k, r.clone());
        }
        self.height.store(pending.header.height, Ordering::SeqCst);
        let mut p = lock(&self.pending);
        if p.as_ref().is_some_and(|x| Arc::ptr_eq(x, &pending)) {
            p.take();
        }
        drop(p);
        drop(rc);
        Ok(())
    }

    /// Checks that the last block is whole: its header, its state tree root and the
    /// recorded height agree. Run on open; a failure means the folder was damaged outside
    /// Handoff (a crash cannot cause it: every block is one atomic batch).
    pub fn check_head(&self) -> Result<()> {
        if !self.is_initialized() {
            return Ok(());
        }
        let h = self.last_header()?;
        let root = self.tree_root(h.height)?;
        if root != h.state_root {
            return Err(StoreError::Mismatch {
                height: h.height,
                what: "state root of the last block".into(),
            });
        }
        Ok(())
    }

    /// The state root committed at `height` (from the tree itself).
    pub fn tree_root(&self, height: u64) -> Result<Hash32> {
        let tree = JellyfishMerkleTree::<_, StateHasher>::new(self);
        let r = tree
            .get_root_hash(height)
            .map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(Hash32(r.0))
    }

    /// A record with its proof against the state root at `height` (default: latest).
    pub fn prove(&self, key: &StateKey, height: Option<u64>) -> Result<RecordProof> {
        let height = height.unwrap_or_else(|| self.height());
        let tree = JellyfishMerkleTree::<_, StateHasher>::new(self);
        let (value, proof) = tree
            .get_with_proof(key_hash(key), height)
            .map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(RecordProof {
            height,
            key: key.to_bytes(),
            value,
            proof: borsh::to_vec(&proof).unwrap_or_default(),
        })
    }

    /// Like [`Store::prove`], for state key bytes from outside (a peer's record request):
    /// the proof of whatever is stored under them, or of their absence.
    pub fn prove_raw(&self, key: &[u8], height: u64) -> Result<RecordProof> {
        let tree = JellyfishMerkleTree::<_, StateHasher>::new(self);
        let (value, proof) = tree
            .get_with_proof(jmt::KeyHash::with::<StateHasher>(key), height)
            .map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(RecordProof {
            height,
            key: key.to_vec(),
            value,
            proof: borsh::to_vec(&proof).unwrap_or_default(),
        })
    }

    /// The validator set that must certify the next block (`tip().height + 1`): the
    /// record in the newest state.
    pub fn validators(&self) -> Result<ValidatorSetRecord> {
        if !self.is_initialized() {
            return Err(StoreError::NotInitialized);
        }
        match StateRead::read(self, &StateKey::Validators)? {
            Some(Record::Validators(r)) => Ok(r),
            _ => Err(StoreError::Corrupt("validator set")),
        }
    }

    /// The validator set that certifies block `height`: the record in the state after
    /// block `height - 1`, read from the state tree at that version (so it is the value
    /// `prove(&StateKey::Validators, Some(height - 1))` proves). Height 0 (genesis, which
    /// has no certificate) gives the genesis set; `tip().height + 1` gives
    /// [`Store::validators`]; anything later is not known yet.
    pub fn validators_at(&self, height: u64) -> Result<ValidatorSetRecord> {
        if !self.is_initialized() {
            return Err(StoreError::NotInitialized);
        }
        let next = self.tip()?.height + 1;
        if height > next {
            return Err(StoreError::Beyond { height, next });
        }
        let tree = JellyfishMerkleTree::<_, StateHasher>::new(self);
        let value = tree
            .get(key_hash(&StateKey::Validators), height.saturating_sub(1))
            .map_err(|e| StoreError::Tree(e.to_string()))?;
        match value.as_deref().and_then(Record::decode) {
            Some(Record::Validators(r)) => Ok(r),
            _ => Err(StoreError::Corrupt("validator set")),
        }
    }

    /// The validator-set changes before the block at `height`, oldest first: for each, the
    /// block whose `SetValidators` changed the set (certified by the set then governing)
    /// and the new set's record proven against its state root. A reader anchored at the
    /// genesis set follows them to the set of `height` (`governance::follow_changes`).
    /// Each change is found by a binary search over the epochs of `validators_at`.
    pub fn set_changes_before(&self, height: u64) -> Result<Vec<SetChange>> {
        let last = self.validators_at(height)?.epoch;
        let mut epoch = self.validators_at(0)?.epoch;
        let mut out = Vec::new();
        let mut lo = 1;
        while epoch < last {
            // The first height governed by a newer set (one block may hold more than one
            // change: then the newest of them governs, and one proof covers them).
            let mut hi = height;
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.validators_at(mid)?.epoch > epoch {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            let next = self.validators_at(lo)?.epoch;
            if next <= epoch {
                return Err(StoreError::Corrupt("validator set epochs"));
            }
            let at = lo - 1;
            let block = self.block(at)?.ok_or(StoreError::Corrupt(
                "a block that changed the validator set",
            ))?;
            out.push(SetChange {
                header: block.header,
                certificate: block.certificate,
                proof: self.prove(&StateKey::Validators, Some(at))?,
            });
            epoch = next;
            lo += 1;
        }
        Ok(out)
    }

    /// Where a signer's transaction with `nonce` was committed, if it was.
    pub fn tx_location(&self, signer: &PublicKey, nonce: u64) -> Result<Option<TxLocation>> {
        let lo = signer_tx_key(signer, 0);
        let hi = signer_tx_key(signer, nonce);
        let Some(kv) = self.tree.range(lo..=hi).next_back() else {
            return Ok(None);
        };
        let (_, v) = kv?;
        let group: SignerTxs =
            borsh::from_slice(&v).map_err(|_| StoreError::Corrupt("signer index"))?;
        Ok(group
            .txs
            .binary_search_by_key(&nonce, |x| x.0)
            .ok()
            .map(|i| TxLocation {
                height: group.height,
                index: group.txs[i].1,
            }))
    }

    /// Where this very transaction was committed, with its block: found by its signer and
    /// nonce, then confirmed by its id (another transaction may have taken that nonce).
    pub fn find_tx(&self, tx: &TxMeta) -> Result<Option<(TxLocation, Block)>> {
        let Some(loc) = self.tx_location(&tx.signer, tx.nonce)? else {
            return Ok(None);
        };
        let Some(block) = self.block(loc.height)? else {
            return Ok(None);
        };
        let same = block
            .txs
            .get(loc.index as usize)
            .and_then(|w| handoff_core::tx::SignedTx::decode(w).ok())
            .is_some_and(|t| t.id() == tx.id);
        Ok(same.then_some((loc, block)))
    }

    /// Open handoffs addressed to `org` (its inbox) or, with `outgoing`, proposed by it,
    /// oldest first.
    pub fn open_handoffs(&self, org: &PublicKey, outgoing: bool) -> Result<Vec<HandoffId>> {
        let mut prefix = vec![P_OPEN];
        prefix.extend_from_slice(&org.0);
        prefix.push(if outgoing { b'o' } else { b'i' });
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix) {
            let (_, v) = kv?;
            let ids: Vec<HandoffId> =
                borsh::from_slice(&v).map_err(|_| StoreError::Corrupt("open handoff index"))?;
            out.extend(ids);
        }
        Ok(out)
    }

    /// The stock rows `holder` holds directly (an org's loose goods, goods it offered that
    /// are in transit and its containers; or what is packed in a container), with their
    /// quantities, in row order. Reads the durable index; a row that does not decode is
    /// an error.
    pub fn stock_rows(&self, holder: &stock::StockHolder) -> Result<Vec<(stock::StockRow, u64)>> {
        let prefix = holder.prefix();
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push(
                stock::decode_row(prefix.len(), &k, &v)
                    .ok_or(StoreError::Corrupt("stock index"))?,
            );
        }
        Ok(out)
    }

    /// The committed finance steps of an asset (receivable or warehouse receipt), oldest
    /// first: where each transaction is and its id. A step of a split names both the
    /// receivable split and each new part.
    pub fn finance_steps(&self, asset: &Hash32) -> Result<Vec<(TxLocation, TxId)>> {
        let mut prefix = vec![P_FIN_STEP];
        prefix.extend_from_slice(&asset.0);
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let rest = k.get(prefix.len()..).unwrap_or_default();
            let (Some(height), Some(index), Ok(id)) = (
                rest.get(..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes),
                rest.get(8..12)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes),
                <[u8; 32]>::try_from(v.as_ref()),
            ) else {
                return Err(StoreError::Corrupt("finance step index"));
            };
            out.push((TxLocation { height, index }, Hash32(id)));
        }
        Ok(out)
    }

    /// The finance assets `org` has been a party of (it may no longer be: a transferred
    /// claim stays listed for its former holder), in id order.
    pub fn finance_assets(&self, org: &PublicKey) -> Result<Vec<Hash32>> {
        let mut prefix = vec![P_FIN_ORG];
        prefix.extend_from_slice(&org.0);
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix) {
            let (k, _) = kv?;
            let id: [u8; 32] = k
                .get(prefix.len()..)
                .and_then(|b| b.try_into().ok())
                .ok_or(StoreError::Corrupt("finance party index"))?;
            out.push(Hash32(id));
        }
        Ok(out)
    }

    /// Every admitted org's key, in key order.
    pub fn org_keys(&self) -> Result<Vec<PublicKey>> {
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix([P_ORG]) {
            let (k, _) = kv?;
            if k.len() == 33 {
                let mut id = [0u8; 32];
                id.copy_from_slice(&k[1..]);
                out.push(PublicKey(id));
            }
        }
        Ok(out)
    }

    /// Transactions an org made, newest first, at most `limit`, with where each is.
    pub fn org_txs(&self, org: &PublicKey, limit: usize) -> Result<Vec<(TxLocation, TxId)>> {
        let mut prefix = vec![P_ORG_TX];
        prefix.extend_from_slice(&org.0);
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix).rev() {
            let (k, v) = kv?;
            let height = k
                .get(prefix.len()..)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or(StoreError::Corrupt("org index key"))?;
            let list: Vec<(u32, TxId)> =
                borsh::from_slice(&v).map_err(|_| StoreError::Corrupt("org index"))?;
            for (index, id) in list.into_iter().rev() {
                if out.len() == limit {
                    return Ok(out);
                }
                out.push((TxLocation { height, index }, id));
            }
        }
        Ok(out)
    }

    /// Events of a canonical key, oldest first.
    pub fn history(&self, canonical: &str) -> Result<Vec<Event>> {
        let mut prefix = Vec::with_capacity(canonical.len() + 2);
        prefix.push(P_EVENT);
        prefix.extend_from_slice(canonical.as_bytes());
        prefix.push(0);
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix) {
            let (_, v) = kv?;
            out.push(Event::decode(&v).ok_or(StoreError::Corrupt("event"))?);
        }
        Ok(out)
    }

    /// Encoded events of a canonical key with sequence numbers `from..to`, oldest first,
    /// as they were appended (the bytes its history head chains): what a full node
    /// serves a light node a page at a time. Stops before the event that would take the
    /// page over `max_bytes` (the first is always taken). An event missing in the range
    /// is [`StoreError::Corrupt`], never a shorter history.
    pub fn history_encoded(
        &self,
        canonical: &str,
        from: u32,
        to: u32,
        max_bytes: usize,
    ) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        if from >= to {
            return Ok(out);
        }
        let mut size = 0usize;
        let mut want = from;
        for kv in self
            .tree
            .range(event_key(canonical, from)..event_key(canonical, to))
        {
            let (k, v) = kv?;
            let seq = k
                .get(k.len().saturating_sub(4)..)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes);
            if seq != Some(want) {
                return Err(StoreError::Corrupt("history"));
            }
            if !out.is_empty() && size + v.len() > max_bytes {
                return Ok(out);
            }
            size += v.len();
            out.push(v.to_vec());
            want += 1;
        }
        if want != to {
            return Err(StoreError::Corrupt("history"));
        }
        Ok(out)
    }

    /// Writes a consistent copy of the whole store into a new folder `dest` (which must
    /// not exist yet): every tree is exported and imported into a fresh sled database,
    /// then flushed. The caller keeps writers out meanwhile (the node serializes commits).
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(StoreError::AlreadyInitialized);
        }
        self.durable.flush(&self.db)?;
        let copy = durable::open(&durable::config(dest))?;
        let synced = durable::Durable::open(dest).map_err(StoreError::Sync)?;
        copy.import(self.db.export());
        synced.flush(&copy)?;
        Ok(())
    }

    /// Writes a node-local note under `key`: something this node saw or computed that is
    /// not part of the chain (an attempt it refused, a view it derived). Kept until
    /// overwritten; lost notes are recomputed or simply not shown, never read as chain data.
    pub fn local_put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.local.insert(key, value)?;
        Ok(())
    }

    /// A node-local note (see [`Store::local_put`]).
    pub fn local_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.local.get(key)?.map(|v| v.to_vec()))
    }

    /// Replaces the node-local note under `key` by `f` of the old one, atomically (two
    /// writers never lose each other's change); `f` may run more than once. Answers the
    /// new note.
    pub fn local_update(
        &self,
        key: &[u8],
        mut f: impl FnMut(Option<&[u8]>) -> Vec<u8>,
    ) -> Result<Vec<u8>> {
        let new = self
            .local
            .update_and_fetch(key, |old| Some(f(old)))?
            .ok_or(StoreError::Corrupt(
                "a node-local note vanished while written",
            ))?;
        Ok(new.to_vec())
    }

    /// The node-local notes under `prefix`, in key order.
    pub fn local_scan(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        for kv in self.local.scan_prefix(prefix) {
            let (k, v) = kv?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// The transaction an imported EPCIS event (by its hash id) became, if it was
    /// imported here.
    pub fn epcis_tx(&self, hash_id: &str) -> Result<Option<TxId>> {
        let mut k = vec![b'h'];
        k.extend_from_slice(hash_id.as_bytes());
        match self.epcis.get(k)? {
            None => Ok(None),
            Some(v) => {
                let id: [u8; 32] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("EPCIS hash index"))?;
                Ok(Some(Hash32(id)))
            }
        }
    }

    /// The EPCIS event kept with a transaction (its hash id and one-event JSON-LD
    /// document), if the transaction was imported here.
    pub fn epcis_kept(&self, tx: &TxId) -> Result<Option<(String, String)>> {
        let mut k = vec![b't'];
        k.extend_from_slice(&tx.0);
        match self.epcis.get(k)? {
            None => Ok(None),
            Some(v) => borsh::from_slice::<(String, String)>(&v)
                .map(Some)
                .map_err(|_| StoreError::Corrupt("kept EPCIS event")),
        }
    }

    /// Keeps an imported EPCIS event with the transaction it became, durably: both index
    /// entries in one batch, flushed before this returns.
    pub fn keep_epcis(&self, hash_id: &str, tx: &TxId, jsonld: &str) -> Result<()> {
        let mut by_hash = vec![b'h'];
        by_hash.extend_from_slice(hash_id.as_bytes());
        let mut by_tx = vec![b't'];
        by_tx.extend_from_slice(&tx.0);
        let value = borsh::to_vec(&(hash_id.to_string(), jsonld.to_string()))
            .map_err(|_| StoreError::Corrupt("kept EPCIS event"))?;
        let mut batch = sled::Batch::default();
        batch.insert(by_hash, tx.0.to_vec());
        batch.insert(by_tx, value);
        self.epcis.apply_batch(batch)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// Keeps many imported EPCIS events with their transactions (`(hash id, tx, JSON-LD)`),
    /// durably: every index entry in one batch, flushed once before this returns.
    pub fn keep_epcis_many(&self, kept: &[(String, TxId, String)]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (hash_id, tx, jsonld) in kept {
            let mut by_hash = vec![b'h'];
            by_hash.extend_from_slice(hash_id.as_bytes());
            let mut by_tx = vec![b't'];
            by_tx.extend_from_slice(&tx.0);
            let value = borsh::to_vec(&(hash_id.clone(), jsonld.clone()))
                .map_err(|_| StoreError::Corrupt("kept EPCIS event"))?;
            batch.insert(by_hash, tx.0.to_vec());
            batch.insert(by_tx, value);
        }
        self.epcis.apply_batch(batch)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// Flushes everything to disk.
    pub fn flush(&self) -> Result<()> {
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// The value of every leaf node the prepared block writes: the values it changed, and
    /// the unchanged values of leaves it moved (read as of the version before, from the
    /// block before it, the record caches, or the tree). Sorted by key hash.
    fn leaf_values(
        &self,
        prepared: &Prepared,
        earlier: Option<&Pending>,
    ) -> Result<BTreeMap<KeyHash, OwnedValue>> {
        let height = prepared.height;
        let written = prepared.batch.node_batch.values();
        let mut out = BTreeMap::new();
        for (nk, node) in prepared.batch.node_batch.nodes() {
            let Node::Leaf(leaf) = node else { continue };
            if nk.version() != height {
                continue;
            }
            let kh = leaf.key_hash();
            if let Some(v) = written.get(&(height, kh)) {
                out.insert(kh, v.clone().unwrap_or_default());
                continue;
            }
            let moved = height
                .checked_sub(1)
                .map(|before| self.moved_value(leaf, before, earlier))
                .transpose()?
                .flatten()
                .ok_or(StoreError::Corrupt("value of a moved state tree leaf"))?;
            out.insert(kh, moved);
        }
        if let Some(((_, kh), _)) = written.iter().find(|((_, kh), _)| !out.contains_key(kh)) {
            return Err(StoreError::Tree(format!("no leaf for the value of {kh:?}")));
        }
        Ok(out)
    }

    /// The value of a leaf a block moves without changing, as of version `before`. The
    /// newest record of its key usually is in memory; its encoding is taken only if it
    /// hashes to the leaf.
    fn moved_value(
        &self,
        leaf: &LeafNode,
        before: Version,
        earlier: Option<&Pending>,
    ) -> Result<Option<OwnedValue>> {
        let kh = leaf.key_hash();
        let known = match earlier.and_then(|p| p.values.get(&kh)) {
            Some(v) => Some(v.clone()),
            None => earlier
                .and_then(|p| p.records.get(&kh).cloned())
                .or_else(|| lock(&self.records).get(&kh))
                .map(|r| r.encode()),
        };
        if let Some(v) = known
            && LeafNode::new(kh, jmt::ValueHash::with::<StateHasher>(&v)) == *leaf
        {
            return Ok(Some(v));
        }
        self.value_at(&kh, before)
            .map_err(|e| StoreError::Tree(e.to_string()))
    }

    /// The leaf of `kh` in the tree of `version`, if the key is in it.
    fn leaf_of(
        &self,
        kh: &KeyHash,
        version: Version,
    ) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        let mut nk = NodeKey::new(version, std::iter::empty::<u8>().map(Into::into).collect());
        let mut depth = 0;
        loop {
            match self.get_node_option(&nk)? {
                None | Some(Node::Null) => return Ok(None),
                Some(Node::Leaf(leaf)) => {
                    return Ok((leaf.key_hash() == *kh).then_some((nk, leaf)));
                }
                Some(Node::Internal(internal)) => {
                    if depth >= 64 {
                        anyhow::bail!("state tree deeper than a key hash");
                    }
                    let Some(child) = internal.child(nibble(kh, depth).into()) else {
                        return Ok(None);
                    };
                    depth += 1;
                    nk = NodeKey::new(
                        child.version,
                        (0..depth).map(|i| nibble(kh, i).into()).collect(),
                    );
                }
            }
        }
    }

    /// The value of `kh` in the state of `version` (which must exist).
    fn value_at(&self, kh: &KeyHash, version: Version) -> anyhow::Result<Option<OwnedValue>> {
        let Some((nk, _)) = self.leaf_of(kh, version)? else {
            return Ok(None);
        };
        let wrote = nk.version();
        if let Some(layer) = self.layer(wrote) {
            return Ok(layer.values.get(kh).cloned());
        }
        let Some(group) = self.tree.get(value_group_key(wrote, kh.0[0]))? else {
            anyhow::bail!("no value group for a leaf of version {wrote}");
        };
        match value_in_group(&group, kh) {
            Some(v) => Ok(Some(v)),
            None => anyhow::bail!("a leaf of version {wrote} has no value"),
        }
    }

    /// The newest version of the tree: the block being written, else the last durable one.
    fn newest_version(&self) -> Version {
        match self.pending() {
            Some(p) => p.header.height,
            None => self.height(),
        }
    }
}

/// Encodes a staged block into its sled batch: its tree nodes and state values in groups,
/// the open handoff groups it rewrote (an empty group is removed), and `ops`. Returns the
/// batch and its number of keys.
fn encode_batch(pending: &Pending, ops: Ops) -> (sled::Batch, usize) {
    let height = pending.header.height;
    let mut batch = sled::Batch::default();
    let mut n = 0usize;
    let mut groups: BTreeMap<(Version, u16), Vec<(&NodeKey, &Node)>> = BTreeMap::new();
    for (nk, node) in pending.nodes.nodes() {
        groups
            .entry((nk.version(), node_group(nk)))
            .or_default()
            .push((nk, node));
    }
    for ((version, group), nodes) in groups {
        batch.insert(
            &node_group_key(version, group)[..],
            borsh::to_vec(&nodes).unwrap_or_default(),
        );
        n += 1;
    }
    let mut by_first: BTreeMap<u8, ValueGroup<'_>> = BTreeMap::new();
    for (kh, value) in &pending.values {
        by_first
            .entry(kh.0[0])
            .or_default()
            .push((&kh.0, value.as_slice()));
    }
    for (first, group) in by_first {
        batch.insert(
            &value_group_key(height, first)[..],
            borsh::to_vec(&group).unwrap_or_default(),
        );
        n += 1;
    }
    for (k, v) in &pending.stock {
        match v {
            Some(v) => batch.insert(k.as_slice(), v.as_slice()),
            None => batch.remove(k.as_slice()),
        }
        n += 1;
    }
    for (k, ids) in &pending.open {
        if ids.is_empty() {
            batch.remove(k.as_slice());
        } else {
            batch.insert(k.as_slice(), borsh::to_vec(ids).unwrap_or_default());
        }
        n += 1;
    }
    n += ops.len();
    for (k, v) in ops {
        batch.insert(k, v);
    }
    (batch, n)
}

/// The state tree after writing `set` (records inserted or overwritten, no deletions) at
/// `version` on top of version `version - 1`.
///
/// The batch insertion walks the tree once for the whole block and hashes every changed
/// node once, where inserting key by key rehashes the path from the root for every key;
/// both give the same tree (the shape and hashes of a Jellyfish Merkle tree depend only on
/// its keys and values; `tests::batch_update_matches_key_by_key` checks it). The batch
/// needs at least one write; a block without writes still gets its tree version.
fn update_tree<R: TreeReader>(
    reader: &R,
    set: Vec<(KeyHash, OwnedValue)>,
    version: Version,
) -> anyhow::Result<(jmt::RootHash, TreeUpdateBatch)> {
    let tree = JellyfishMerkleTree::<_, StateHasher>::new(reader);
    if set.is_empty() {
        return tree.put_value_set(Vec::<(KeyHash, Option<OwnedValue>)>::new(), version);
    }
    let (roots, batch) = tree.batch_put_value_sets(vec![set], None, version)?;
    let root = roots
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no root for version {version}"))?;
    Ok((root, batch))
}

impl TreeReader for Store {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        // A block in memory holds every node of its version.
        if let Some(layer) = self.layer(node_key.version()) {
            return Ok(layer.nodes.get_node(node_key).cloned());
        }
        if let Some(n) = lock(&self.nodes).get(node_key) {
            return Ok(Some(n));
        }
        let key = node_group_key(node_key.version(), node_group(node_key));
        let Some(v) = self.tree.get(key)? else {
            return Ok(None);
        };
        let group: Vec<(NodeKey, Node)> = borsh::from_slice(&v)?;
        let mut found = None;
        let mut cache = lock(&self.nodes);
        for (k, n) in group {
            if k == *node_key {
                found = Some(n.clone());
            }
            cache.put(k, n);
        }
        Ok(found)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        if let Some(p) = self.pending()
            && p.header.height <= max_version
            && let Some(v) = p.values.get(&key_hash)
        {
            return Ok(Some(v.clone()));
        }
        self.value_at(&key_hash, max_version.min(self.newest_version()))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only used when restoring a tree from chunks, which this store does not do.
        Ok(None)
    }
}

impl StateRead for Store {
    /// Pending layer, then the record cache, then the durable state. A sled error, a
    /// value the tree names but the store lacks, or bytes that are not a record are
    /// errors: taken as "absent", one validator's disk fault would re-commission an item
    /// that exists.
    fn read(&self, key: &StateKey) -> ReadResult<Option<Record>> {
        #[cfg(feature = "fault-injection")]
        lock(&self.faults).check(key)?;
        let kh = key_hash(key);
        if let Some(p) = self.pending()
            && let Some(r) = p.records.get(&kh)
        {
            return Ok(Some(r.clone()));
        }
        if let Some(r) = lock(&self.records).get(&kh) {
            return Ok(Some(r));
        }
        // The durable state only: what is read here may go into the record cache.
        let h0 = self.height();
        let Some(v) = self.value_at(&kh, h0).map_err(|e| ReadError::Store {
            key: key.describe(),
            detail: e.to_string(),
        })?
        else {
            return Ok(None);
        };
        let r = Record::decode(&v).ok_or_else(|| ReadError::Undecodable {
            key: key.describe(),
        })?;
        let mut rc = lock(&self.records);
        if self.height() == h0 {
            rc.put(kh, r.clone());
        }
        Ok(Some(r))
    }
}

impl HistoryRead for Store {
    fn events(&self, canonical: &str) -> ReadResult<Vec<Event>> {
        self.history(canonical).map_err(|e| match e {
            StoreError::Read(r) => r,
            other => ReadError::Store {
                key: format!("the history of {canonical}"),
                detail: other.to_string(),
            },
        })
    }
}

/// Re-executes a committed block on `store` (which must be at `block.height - 1`) and
/// commits it, checking that outcomes and the state root match the header: the replay
/// that recovery tests and (later) full-node sync rely on.
pub fn replay_block(store: &Store, block: &Block) -> Result<()> {
    use handoff_core::apply::BlockContext;
    use handoff_core::block::{Outcome, execute};
    use handoff_core::tx::SignedTx;
    let height = block.header.height;
    let mismatch = |what: &str| StoreError::Mismatch {
        height,
        what: what.to_string(),
    };
    let txs: Vec<SignedTx> = block
        .txs
        .iter()
        .map(|b| SignedTx::decode(b))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| mismatch("undecodable transaction"))?;
    let refs: Vec<&SignedTx> = txs.iter().collect();
    let ctx = BlockContext {
        chain_id: block.header.chain_id,
        height,
        time_ms: block.header.time_ms,
    };
    let exec = execute(&ctx, store, &refs)?;
    let outcomes: Vec<Outcome> = exec
        .results
        .iter()
        .map(|r| match r {
            Ok(_) => Outcome::applied(),
            Err(e) => Outcome::rejected(e),
        })
        .collect();
    if outcomes
        .iter()
        .map(|o| &o.code)
        .ne(block.outcomes.iter().map(|o| &o.code))
    {
        return Err(mismatch("transaction outcomes"));
    }
    let prepared = store.prepare(height, &exec.writes)?;
    if prepared.root != block.header.state_root {
        return Err(mismatch("state root"));
    }
    let metas: Vec<TxMeta> = txs.iter().map(TxMeta::of).collect();
    let effects: Vec<Option<&Effects>> = exec.results.iter().map(|r| r.as_ref().ok()).collect();
    store.commit(block, prepared, &metas, &effects)
}

/// Read faults for tests (feature `fault-injection`, never in a release build): state
/// reads of chosen keys, or every state read after a number of them, fail as a disk
/// fault would, so tests can check that nodes stop instead of executing on a guess.
#[cfg(feature = "fault-injection")]
pub mod faults {
    use handoff_core::state::{ReadError, StateKey};

    /// Hex prefixes of state key bytes whose reads fail, comma-separated (an item's key
    /// bytes are `i` followed by its canonical form).
    pub const FAULT_READ_KEYS_ENV: &str = "HANDOFF_FAULT_READ_KEYS";
    /// Every state read after this many fails.
    pub const FAULT_READ_AFTER_ENV: &str = "HANDOFF_FAULT_READ_AFTER";

    /// Which state reads fail.
    #[derive(Clone, Debug, Default)]
    pub struct ReadFaults {
        /// Reads of keys whose bytes start with one of these fail.
        pub keys: Vec<Vec<u8>>,
        /// Reads after this many (counted from when the faults were set) fail.
        pub after: Option<u64>,
        reads: u64,
    }

    impl ReadFaults {
        /// Reads of keys starting with any of `prefixes` fail.
        pub fn keys(prefixes: Vec<Vec<u8>>) -> ReadFaults {
            ReadFaults {
                keys: prefixes,
                ..ReadFaults::default()
            }
        }

        /// Every read after the first `n` fails.
        pub fn after(n: u64) -> ReadFaults {
            ReadFaults {
                after: Some(n),
                ..ReadFaults::default()
            }
        }

        /// The faults the environment asks for (none when unset; a malformed prefix is
        /// ignored with a warning).
        pub fn from_env() -> ReadFaults {
            let mut f = ReadFaults::default();
            if let Ok(v) = std::env::var(FAULT_READ_KEYS_ENV) {
                for p in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match hex::decode(p) {
                        Ok(b) => f.keys.push(b),
                        Err(_) => eprintln!("store: {FAULT_READ_KEYS_ENV}: '{p}' is not hex"),
                    }
                }
            }
            if let Ok(v) = std::env::var(FAULT_READ_AFTER_ENV) {
                f.after = v.trim().parse().ok();
            }
            if !f.keys.is_empty() || f.after.is_some() {
                eprintln!("store: injecting read faults: {f:?}");
            }
            f
        }

        /// Counts a read of `key`; an error if it must fail.
        pub(crate) fn check(&mut self, key: &StateKey) -> Result<(), ReadError> {
            self.reads += 1;
            let bytes = key.to_bytes();
            let chosen = self.keys.iter().any(|p| bytes.starts_with(p));
            let late = self.after.is_some_and(|n| self.reads > n);
            if chosen || late {
                return Err(ReadError::Store {
                    key: key.describe(),
                    detail: "injected read fault".into(),
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jmt::storage::TreeWriter;
    use proptest::prelude::*;
    use std::sync::RwLock;

    /// A state tree kept in memory.
    #[derive(Default)]
    struct MemTree {
        nodes: RwLock<HashMap<NodeKey, Node>>,
        values: RwLock<BTreeMap<(KeyHash, Version), Option<OwnedValue>>>,
    }

    impl TreeReader for MemTree {
        fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
            Ok(self
                .nodes
                .read()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .get(node_key)
                .cloned())
        }
        fn get_value_option(
            &self,
            max_version: Version,
            key_hash: KeyHash,
        ) -> anyhow::Result<Option<OwnedValue>> {
            let values = self
                .values
                .read()
                .map_err(|_| anyhow::anyhow!("poisoned"))?;
            Ok(values
                .range((key_hash, 0)..=(key_hash, max_version))
                .next_back()
                .and_then(|(_, v)| v.clone()))
        }
        fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
            Ok(None)
        }
    }

    impl TreeWriter for MemTree {
        fn write_node_batch(&self, batch: &jmt::storage::NodeBatch) -> anyhow::Result<()> {
            let mut nodes = self
                .nodes
                .write()
                .map_err(|_| anyhow::anyhow!("poisoned"))?;
            for (k, n) in batch.nodes() {
                nodes.insert(k.clone(), n.clone());
            }
            let mut values = self
                .values
                .write()
                .map_err(|_| anyhow::anyhow!("poisoned"))?;
            for ((version, kh), v) in batch.values() {
                values.insert((*kh, *version), v.clone());
            }
            Ok(())
        }
    }

    fn kh(k: u16) -> KeyHash {
        KeyHash::with::<StateHasher>(k.to_be_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Over several versions of random inserts and overwrites (including empty
        /// versions), the batch update gives the same root as inserting key by key, and
        /// every key proves against it.
        #[test]
        fn batch_update_matches_key_by_key(
            versions in proptest::collection::vec(
                proptest::collection::btree_map(0u16..600, proptest::collection::vec(any::<u8>(), 0..40), 0..120),
                1..8,
            )
        ) {
            let batched = MemTree::default();
            let reference = MemTree::default();
            let mut latest: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
            for (version, set) in versions.iter().enumerate() {
                let version = version as Version;
                let mut sorted: Vec<(KeyHash, OwnedValue)> =
                    set.iter().map(|(k, v)| (kh(*k), v.clone())).collect();
                sorted.sort_by_key(|x| x.0);
                let (root, batch) = update_tree(&batched, sorted, version).expect("batch");
                batched.write_node_batch(&batch.node_batch).expect("write");
                let tree = JellyfishMerkleTree::<_, StateHasher>::new(&reference);
                let (want, batch) = tree
                    .put_value_set(set.iter().map(|(k, v)| (kh(*k), Some(v.clone()))), version)
                    .expect("key by key");
                reference.write_node_batch(&batch.node_batch).expect("write");
                prop_assert_eq!(root, want);
                latest.extend(set.iter().map(|(k, v)| (*k, v.clone())));
                let tree = JellyfishMerkleTree::<_, StateHasher>::new(&batched);
                for k in (0u16..600).step_by(7) {
                    let (value, proof) = tree.get_with_proof(kh(k), version).expect("proof");
                    prop_assert_eq!(value.as_ref(), latest.get(&k));
                    prop_assert!(proof.verify(root, kh(k), value.as_deref()).is_ok());
                }
            }
        }
    }

    /// Blocks of random account records written through the store: every record reads
    /// back (also after reopening, with cold caches) and proves against every height's
    /// root with its value at that height, including leaves that later blocks moved.
    #[test]
    fn grouped_values_read_and_prove_at_every_height() {
        use handoff_core::state::AccountRecord;
        let dir = tempfile::tempdir().expect("tempdir");
        let genesis = Genesis {
            name: "values".into(),
            time_ms: 1,
            validators: vec![PublicKey([9; 32])],
            orgs: vec![],
        };
        // Per height, the nonce of each of the 300 accounts (0: not written yet).
        let mut model: Vec<Vec<u64>> = vec![vec![0; 300]];
        let mut seed = 7u64;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let key = |i: usize| {
            StateKey::Account(PublicKey([
                (i % 256) as u8,
                (i / 256) as u8,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                9,
                10,
                11,
                12,
                13,
                14,
                15,
                16,
                17,
                18,
                19,
                20,
                21,
                22,
                23,
                24,
                25,
                26,
                27,
                28,
                29,
                30,
            ]))
        };
        {
            let store = Store::open(dir.path()).expect("open");
            let mut last = store.init(&genesis, PublicKey([9; 32])).expect("init");
            for height in 1..=12u64 {
                let mut now = model.last().cloned().unwrap_or_default();
                let mut writes = BTreeMap::new();
                // Early blocks add many new keys (splitting leaves); later ones few.
                let count = if height < 4 { 60 } else { 15 };
                for _ in 0..count {
                    let i = (rand() % 300) as usize;
                    now[i] = height * 1000 + (rand() % 100);
                    writes.insert(
                        key(i),
                        Record::Account(AccountRecord { next_nonce: now[i] }),
                    );
                }
                let writes: Vec<(StateKey, Record)> = writes.into_iter().collect();
                let prepared = store.prepare(height, &writes).expect("prepare");
                let header = BlockHeader {
                    height,
                    prev_hash: last.hash(),
                    state_root: prepared.root,
                    ..last.clone()
                };
                let block = Block {
                    header: header.clone(),
                    certificate: Default::default(),
                    txs: vec![],
                    outcomes: vec![],
                    concerns: Default::default(),
                };
                store.commit(&block, prepared, &[], &[]).expect("commit");
                last = header;
                model.push(now);
            }
        }
        let store = Store::open(dir.path()).expect("reopen");
        store.check_head().expect("head");
        for (i, nonce) in model.last().expect("model").iter().enumerate() {
            let got = StateRead::read(&store, &key(i)).expect("read");
            match nonce {
                0 => assert!(got.is_none(), "account {i}"),
                n => assert_eq!(
                    got,
                    Some(Record::Account(AccountRecord { next_nonce: *n })),
                    "account {i}"
                ),
            }
        }
        for (height, nonces) in model.iter().enumerate() {
            let root = store
                .header(height as u64)
                .expect("read")
                .expect("header")
                .state_root;
            for (i, nonce) in nonces.iter().enumerate().step_by(3) {
                let proof = store.prove(&key(i), Some(height as u64)).expect("prove");
                assert!(proof.verify(&root).is_ok(), "account {i} at {height}");
                let want = (*nonce != 0)
                    .then(|| Record::Account(AccountRecord { next_nonce: *nonce }).encode());
                assert_eq!(proof.value, want, "account {i} at {height}");
            }
        }
    }

    /// Bytes on disk that are not a record (a damaged value group) are a read error for
    /// every reader: the state read, the typed reads, and block execution, which stops
    /// instead of treating the org as unknown.
    #[test]
    fn an_undecodable_record_on_disk_is_an_error_not_an_absence() {
        use handoff_core::apply::BlockContext;
        use handoff_core::block::execute;
        use handoff_core::crypto::Keypair;
        use handoff_core::state::{ReadError, StateReadExt};
        use handoff_core::tx::{AdmitOrg, Payload, TX_VERSION, TxBody};
        use handoff_core::types::Role;
        let dir = tempfile::tempdir().expect("tempdir");
        let farm = Keypair::from_secret([7; 32]);
        let genesis = Genesis {
            name: "undecodable".into(),
            time_ms: 1,
            validators: vec![farm.public()],
            orgs: vec![AdmitOrg {
                org: farm.public(),
                name: "Farm".into(),
                prefixes: vec!["0614141".into()],
                glns: vec![],
                roles: vec![Role::Registrar],
            }],
        };
        let org_key = StateKey::Org(farm.public());
        {
            let store = Store::open(dir.path()).expect("open");
            store.init(&genesis, farm.public()).expect("init");
            assert!(matches!(
                StateRead::read(&store, &org_key),
                Ok(Some(Record::Org(_)))
            ));
            // Damage the org's value in its group on disk (genesis wrote it at version 0).
            let kh = key_hash(&org_key);
            let gk = value_group_key(0, kh.0[0]);
            let bytes = store.tree.get(gk).expect("sled").expect("value group");
            let mut group: Vec<([u8; 32], Vec<u8>)> =
                borsh::from_slice(&bytes).expect("a value group");
            let mut damaged = 0;
            for (k, v) in &mut group {
                if *k == kh.0 {
                    *v = vec![0xff; 3];
                    damaged += 1;
                }
            }
            assert_eq!(damaged, 1);
            store
                .tree
                .insert(gk, borsh::to_vec(&group).expect("encode"))
                .expect("sled");
            store.flush().expect("flush");
        }
        // Reopened (cold caches), the store reads the damaged bytes.
        let store = Store::open(dir.path()).expect("reopen");
        let err = StateRead::read(&store, &org_key).expect_err("undecodable");
        assert!(matches!(err, ReadError::Undecodable { .. }), "{err:?}");
        assert_eq!(err.code(), "STORE_FAULT");
        assert!(store.org(&farm.public()).is_err());
        let tx = farm
            .sign_tx(TxBody {
                version: TX_VERSION,
                chain_id: genesis.chain_id(),
                signer: farm.public(),
                nonce: 0,
                event_time_ms: 1,
                payload: Payload::SuspendOrg {
                    org: farm.public(),
                    reason: "test".into(),
                },
            })
            .expect("the body encodes");
        let ctx = BlockContext {
            chain_id: genesis.chain_id(),
            height: 1,
            time_ms: 1000,
        };
        match execute(&ctx, &store, &[&tx]) {
            Err(e) => assert_eq!(e, err),
            Ok(exec) => panic!(
                "executed with an undecodable org record: {:?}",
                exec.results[0].as_ref().err()
            ),
        }
    }
}
