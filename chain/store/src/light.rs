//! The light node's own database (`<data>/light`): the trusted genesis, the validator set
//! that certifies the next header, the certified headers it still needs (once its org is
//! known: those of the org's blocks, the tip and the index's own; see
//! [`LightStore::append_headers`]), the account nonces last
//! verified from the chain, the light node's network key, and the **outbox** of
//! transactions signed on this machine.
//!
//! Every write is durable on return (one sled batch where a write changes several keys,
//! then [`Durable::flush`]), so an acknowledged outbox entry or status change survives a
//! power cut (`tests/powerloss`). Reads fail closed: a key that a created store always
//! holds but is missing, or bytes that do not decode, are [`LightStoreError::Corrupt`],
//! never taken as "absent" or as zero.

use crate::StoreError;
use crate::durable::{self, Durable};
use borsh::{BorshDeserialize, BorshSerialize};
use handoff_core::block::{BlockHeader, Certificate, Genesis};
use handoff_core::concerns::Concerns;
use handoff_core::crypto::Keypair;
use handoff_core::light::OutboxStatus;
use handoff_core::rejection::Rejection;
use handoff_core::state::ValidatorSetRecord;
use handoff_core::tx::{Payload, SignedTx, TX_VERSION, TxBody};
use handoff_core::types::{Hash32, PublicKey, TxId};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const K_GENESIS: &[u8] = b"m/genesis";
const K_VALIDATORS: &[u8] = b"m/validators";
const K_TIP: &[u8] = b"m/tip";
const K_NET_KEY: &[u8] = b"m/netkey";
const K_NEXT_SEQ: &[u8] = b"m/nextseq";
const K_FORMAT: &[u8] = b"m/format";
/// Every header and filter below this height was pruned (absent: none was).
const K_PRUNED: &[u8] = b"m/pruned";
/// The tip when the oldest outbox entry still waiting for the chain was queued: its block
/// comes after it, so headers from there on are kept to check that block.
const K_OUTBOX_FROM: &[u8] = b"m/outbox_from";
/// The newest certified header with its certificate and filter. It is rewritten in
/// place as the tip moves: a header the org's keys do not need is never written under
/// its height.
const K_TIP_HEADER: &[u8] = b"m/tiphdr";
/// The header the org's index stands at, once the tip has moved past it and it was not
/// kept under its height (its time is the index's "as of").
const K_ASOF_HEADER: &[u8] = b"m/asofhdr";
/// Outbox entries by status (pending, submitted, committed, rejected): four counters,
/// written in the batch that changes an entry.
const K_OUTBOX_COUNTS: &[u8] = b"m/outbox_counts";
/// Heights pruned in one batch, at most.
const PRUNE_BATCH: u64 = 4096;
/// Layout version of the light folder; one written in another layout is refused on open.
/// 2: headers carry `concerns_root`, each header's filter is kept, and the org's own
/// indexes ([`light_index`](crate::light_index)).
/// 3: the outbox is indexed (its waiting entries, each signer's highest queued nonce, the
/// counts by status), so what runs on every follow step reads the few entries still
/// waiting, not every entry ever queued. A layout-2 folder is brought to 3 on open.
pub const LIGHT_FORMAT: u64 = 3;
/// sled's page cache of a light store.
const LIGHT_CACHE_BYTES: u64 = 2 * 1024 * 1024;
const P_HEADER: u8 = b'h';
const P_OUTBOX: u8 = b'o';
const P_ACCOUNT: u8 = b'a';
/// An outbox entry still waiting for the chain (pending or submitted): `w` + its number,
/// no value. Present exactly while the entry is open.
const P_WAITING: u8 = b'w';
/// The highest nonce a signer queued here: `q` + the signer.
const P_QUEUED: u8 = b'q';

#[path = "light_index.rs"]
mod light_index;
pub use light_index::{
    Freshness, Indexed, IndexedBlock, LightActivity, LightOwnTx, LightRefusal, LightStep,
};

fn header_key(h: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = P_HEADER;
    k[1..].copy_from_slice(&h.to_be_bytes());
    k
}

fn outbox_key(seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = P_OUTBOX;
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn account_key(signer: &PublicKey) -> Vec<u8> {
    [&[P_ACCOUNT][..], &signer.0].concat()
}

fn waiting_key(seq: u64) -> [u8; 9] {
    let mut k = outbox_key(seq);
    k[0] = P_WAITING;
    k
}

fn queued_key(signer: &PublicKey) -> Vec<u8> {
    [&[P_QUEUED][..], &signer.0].concat()
}

/// How many outbox entries stand at each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct OutboxCounts {
    /// Signed here, not yet accepted by a full node.
    pub pending: u64,
    /// Accepted, waiting for a block.
    pub submitted: u64,
    /// In a certified block.
    pub committed: u64,
    /// Refused for good.
    pub rejected: u64,
}

impl OutboxCounts {
    /// The counter of entries at `status`.
    fn of(&mut self, status: &OutboxStatus) -> &mut u64 {
        match status {
            OutboxStatus::Pending => &mut self.pending,
            OutboxStatus::Submitted => &mut self.submitted,
            OutboxStatus::Committed { .. } => &mut self.committed,
            OutboxStatus::Rejected { .. } => &mut self.rejected,
        }
    }

    /// Entries still waiting for the chain.
    pub fn open(&self) -> u64 {
        self.pending + self.submitted
    }
}

/// Errors of the light store.
#[derive(Debug, thiserror::Error)]
pub enum LightStoreError {
    /// sled failed, or a flush could not be made durable.
    #[error("light store: {0}")]
    Store(#[from] StoreError),
    /// The database folder could not be opened or synced.
    #[error("cannot open the light store {dir}: {source}")]
    Open {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: StoreError,
    },
    /// The folder is not a light folder.
    #[error("{0} is not a light folder; run `handoff light init`")]
    NotLight(PathBuf),
    /// The folder already holds a light node.
    #[error("{0} already holds a light node")]
    AlreadyLight(PathBuf),
    /// Stored bytes are missing or do not decode.
    #[error("the light store's {0} is missing or corrupt")]
    Corrupt(&'static str),
    /// The folder was written by a Handoff of another layout.
    #[error(
        "the light folder {dir} has layout {found}, this Handoff reads layout {expected}; \
         make it again with `handoff light init` (its outbox entries are lost with it)"
    )]
    Format {
        /// The folder.
        dir: PathBuf,
        /// Its layout.
        found: u64,
        /// This build's.
        expected: u64,
    },
    /// The genesis names a key no honest key generation makes, or a transaction could
    /// not be signed.
    #[error("{0}")]
    Rejected(#[from] Rejection),
    /// No randomness for the network key.
    #[error("no randomness available: {0}")]
    Randomness(String),
    /// A thread panicked while queueing.
    #[error("the outbox lock is poisoned")]
    Poisoned,
}

/// Result alias of the light store.
pub type LightResult<T> = std::result::Result<T, LightStoreError>;

impl From<sled::Error> for LightStoreError {
    fn from(e: sled::Error) -> Self {
        LightStoreError::Store(StoreError::Sled(e))
    }
}

/// One queued transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct OutboxEntry {
    /// Position in the outbox (1, 2, …).
    pub seq: u64,
    /// `SignedTx::encode` bytes.
    pub tx: Vec<u8>,
    /// Its id.
    pub id: TxId,
    /// Its signer.
    pub signer: PublicKey,
    /// Its nonce.
    pub nonce: u64,
    /// Where it stands.
    pub status: OutboxStatus,
}

impl OutboxEntry {
    /// What the queued transaction does: its event type, the items it names and, for an
    /// answer to an offer, the handoff (none of it when the bytes do not decode).
    pub fn what(&self) -> (Option<&'static str>, Vec<String>, Option<String>) {
        let Ok(tx) = SignedTx::decode(&self.tx) else {
            return (None, vec![], None);
        };
        let p = &tx.body.payload;
        let keys = |es: &[handoff_core::tx::Entry]| -> Vec<String> {
            es.iter().map(|e| e.key.canonical()).collect()
        };
        let (items, handoff) = match p {
            Payload::Commission(c) => (keys(&c.entries), None),
            Payload::ProposeHandoff(h) => (keys(&h.entries), None),
            Payload::AcceptHandoff(a) => (keys(&a.missing), Some(a.handoff.to_hex())),
            _ => (vec![], None),
        };
        (Some(p.type_name()), items, handoff)
    }

    /// Whether the entry still waits for the chain (pending or submitted).
    pub fn is_open(&self) -> bool {
        matches!(self.status, OutboxStatus::Pending | OutboxStatus::Submitted)
    }
}

/// The light node's database (`<data>/light`).
pub struct LightStore {
    db: sled::Db,
    /// Makes each flush durable (sled's own is not; see [`crate::durable`]).
    durable: Durable,
    /// Serialises queueing (nonce choice and append).
    queue: Mutex<()>,
}

/// Where the light database of a folder lives.
pub fn store_dir(data: &Path) -> PathBuf {
    data.join("light")
}

fn decode<T: BorshDeserialize>(v: &[u8], what: &'static str) -> LightResult<T> {
    borsh::from_slice(v).map_err(|_| LightStoreError::Corrupt(what))
}

fn encode<T: BorshSerialize>(v: &T, what: &'static str) -> LightResult<Vec<u8>> {
    borsh::to_vec(v).map_err(|_| LightStoreError::Corrupt(what))
}

fn decode_u64(v: &[u8], what: &'static str) -> LightResult<u64> {
    let a: [u8; 8] = v.try_into().map_err(|_| LightStoreError::Corrupt(what))?;
    Ok(u64::from_be_bytes(a))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl LightStore {
    /// Creates the light database of `data` trusting `genesis`.
    pub fn create(data: &Path, genesis: &Genesis) -> LightResult<LightStore> {
        genesis.check_keys()?;
        let dir = store_dir(data);
        if dir.exists() {
            return Err(LightStoreError::AlreadyLight(data.to_path_buf()));
        }
        let s = LightStore::open_dir(&dir)?;
        let set = ValidatorSetRecord {
            epoch: 0,
            validators: genesis.validators.clone(),
        };
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| LightStoreError::Randomness(e.to_string()))?;
        let mut b = sled::Batch::default();
        b.insert(K_GENESIS, encode(genesis, "genesis")?);
        b.insert(K_VALIDATORS, encode(&set, "validator set")?);
        b.insert(K_TIP, &0u64.to_be_bytes()[..]);
        b.insert(K_NET_KEY, &seed[..]);
        b.insert(K_NEXT_SEQ, &1u64.to_be_bytes()[..]);
        b.insert(
            K_OUTBOX_COUNTS,
            encode(&OutboxCounts::default(), "outbox counts")?,
        );
        b.insert(K_FORMAT, &LIGHT_FORMAT.to_be_bytes()[..]);
        s.db.apply_batch(b)?;
        s.durable.flush(&s.db)?;
        Ok(s)
    }

    /// Opens the light database of `data`.
    pub fn open(data: &Path) -> LightResult<LightStore> {
        let dir = store_dir(data);
        if !dir.exists() {
            return Err(LightStoreError::NotLight(data.to_path_buf()));
        }
        let s = LightStore::open_dir(&dir)?;
        let found = match s.db.get(K_FORMAT)? {
            Some(v) => decode_u64(&v, "layout version")?,
            None => 1,
        };
        if found == 2 {
            s.index_outbox()?;
        } else if found != LIGHT_FORMAT {
            return Err(LightStoreError::Format {
                dir,
                found,
                expected: LIGHT_FORMAT,
            });
        }
        s.genesis()?;
        Ok(s)
    }

    fn open_dir(dir: &Path) -> LightResult<LightStore> {
        let open_err = |source: StoreError| LightStoreError::Open {
            dir: dir.to_path_buf(),
            source,
        };
        // A light store is small and read little (its tip, the index a screen asks for):
        // 2 MiB of page cache. 16 MiB cost about 10 MB more RSS after a day of headers and
        // no speed (`bench light`, BENCHMARKS.md).
        let db = durable::open(&durable::config(dir).cache_capacity(LIGHT_CACHE_BYTES))
            .map_err(|e| open_err(StoreError::Sled(e)))?;
        let durable = Durable::open(dir).map_err(|e| open_err(StoreError::Sync(e)))?;
        Ok(LightStore {
            db,
            durable,
            queue: Mutex::new(()),
        })
    }

    /// Brings a layout-2 folder to 3: the outbox's index, written from its entries in the
    /// batch that sets the new layout (a crash before it leaves layout 2, done again).
    fn index_outbox(&self) -> LightResult<()> {
        let mut b = sled::Batch::default();
        let mut counts = OutboxCounts::default();
        let mut queued: std::collections::BTreeMap<[u8; 32], u64> = Default::default();
        for e in self.entries()? {
            *counts.of(&e.status) += 1;
            if e.is_open() {
                b.insert(&waiting_key(e.seq)[..], &[][..]);
            }
            let q = queued.entry(e.signer.0).or_insert(e.nonce);
            *q = (*q).max(e.nonce);
        }
        for (signer, nonce) in queued {
            b.insert(queued_key(&PublicKey(signer)), &nonce.to_be_bytes()[..]);
        }
        b.insert(K_OUTBOX_COUNTS, encode(&counts, "outbox counts")?);
        b.insert(K_FORMAT, &LIGHT_FORMAT.to_be_bytes()[..]);
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// The value a created store always holds under `key`.
    fn required(&self, key: &[u8], what: &'static str) -> LightResult<sled::IVec> {
        self.db.get(key)?.ok_or(LightStoreError::Corrupt(what))
    }

    /// The trusted genesis.
    pub fn genesis(&self) -> LightResult<Genesis> {
        decode(&self.required(K_GENESIS, "genesis")?, "genesis")
    }

    /// The chain id.
    pub fn chain_id(&self) -> LightResult<Hash32> {
        Ok(self.genesis()?.chain_id())
    }

    /// The validator set that certifies the header after the tip.
    pub fn validators(&self) -> LightResult<ValidatorSetRecord> {
        decode(
            &self.required(K_VALIDATORS, "validator set")?,
            "validator set",
        )
    }

    /// Height of the newest certified header held (0: only genesis).
    pub fn tip(&self) -> LightResult<u64> {
        decode_u64(&self.required(K_TIP, "tip")?, "tip")
    }

    /// The certified header at `h`: kept under its height, or the tip, or the header the
    /// index stands at ([`LightStore::append_headers`] says which are kept).
    pub fn header(&self, h: u64) -> LightResult<Option<(BlockHeader, Certificate)>> {
        if let Some(v) = self.db.get(header_key(h))? {
            return Ok(Some(decode(&v, "header")?));
        }
        for k in [K_TIP_HEADER, K_ASOF_HEADER] {
            if let Some(v) = self.db.get(k)? {
                let (header, cert, _): (BlockHeader, Certificate, Concerns) = decode(&v, "header")?;
                if header.height == h {
                    return Ok(Some((header, cert)));
                }
            }
        }
        Ok(None)
    }

    /// The tip's header, certificate and filter, if it is not kept under its height.
    fn tip_entry(&self) -> LightResult<Option<(BlockHeader, Certificate, Concerns)>> {
        match self.db.get(K_TIP_HEADER)? {
            Some(v) => Ok(Some(decode(&v, "tip header")?)),
            None => Ok(None),
        }
    }

    /// Appends verified headers (consecutive from tip + 1) with their blocks' filters
    /// (each checked against its header) and, when they changed it, the validator set that
    /// certifies the next one; durable on return.
    ///
    /// Once an org is followed, a header and its filter are kept under their height only
    /// when the filter names one of `keep` (the org and the node's signers: the blocks the
    /// index fetches and the outbox checks). The others were looked at here, as they
    /// arrived, and are not needed again: the newest is held as the tip (the next header
    /// links to it), and the one the index stands at keeps its time. So a day of blocks
    /// costs the store the org's blocks, not every block. Before an org is followed every
    /// header and filter is kept: the index, once it knows its org, starts from genesis.
    pub fn append_headers(
        &self,
        headers: &[(BlockHeader, Certificate, Concerns)],
        set: Option<&ValidatorSetRecord>,
        keep: &[PublicKey],
    ) -> LightResult<()> {
        let Some(last) = headers.last() else {
            return Ok(());
        };
        let followed = self.followed()?.is_some();
        let mut b = sled::Batch::default();
        let mut filters = Vec::with_capacity(headers.len());
        for (h, c, f) in headers {
            if !followed || keep.iter().any(|k| f.names(k)) {
                b.insert(&header_key(h.height)[..], encode(&(h, c), "header")?);
                filters.push((h.height, f));
            }
        }
        LightStore::filter_writes(&mut b, &filters)?;
        // The header the index stands at keeps its time when the tip moves past it.
        let old_tip = self.tip()?;
        if old_tip == self.freshness()?.height
            && let Some(entry) = self.tip_entry()?
            && entry.0.height == old_tip
            && self.db.get(header_key(old_tip))?.is_none()
        {
            b.insert(K_ASOF_HEADER, encode(&entry, "header")?);
        }
        b.insert(
            K_TIP_HEADER,
            encode(&(&last.0, &last.1, &last.2), "tip header")?,
        );
        b.insert(K_TIP, &last.0.height.to_be_bytes()[..]);
        if let Some(s) = set {
            b.insert(K_VALIDATORS, encode(s, "validator set")?);
        }
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// How many certified headers the store holds: those kept under their height, and the
    /// tip and the index's header when they are not among them.
    pub fn kept_headers(&self) -> LightResult<u64> {
        let mut n = 0u64;
        for kv in self.db.scan_prefix([P_HEADER]) {
            kv?;
            n += 1;
        }
        for k in [K_TIP_HEADER, K_ASOF_HEADER] {
            if let Some(v) = self.db.get(k)? {
                let (h, _, _): (BlockHeader, Certificate, Concerns) = decode(&v, "header")?;
                if self.db.get(header_key(h.height))?.is_none() {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// The filters of the blocks from `from` to `to` that the store kept (see
    /// [`LightStore::append_headers`]), at most `limit`, in height order; the tip's is
    /// among them when it is in range. A height in range with no filter here was looked
    /// at as its header arrived and names none of the org's keys.
    pub fn kept_filters(
        &self,
        from: u64,
        to: u64,
        limit: usize,
    ) -> LightResult<Vec<(u64, Concerns)>> {
        let mut out = Vec::new();
        if from > to || limit == 0 {
            return Ok(out);
        }
        for kv in self
            .db
            .range(light_index::filter_key(from)..=light_index::filter_key(to))
        {
            let (k, v) = kv?;
            let h = decode_u64(&k[1..], "filter height")?;
            out.push((h, decode(&v, "block filter")?));
            if out.len() == limit {
                return Ok(out);
            }
        }
        if let Some((h, _, f)) = self.tip_entry()?
            && (from..=to).contains(&h.height)
            && out.last().is_none_or(|(last, _)| *last < h.height)
        {
            out.push((h.height, f));
        }
        Ok(out)
    }

    /// The libp2p key of this light node (not the org key: the peer id says nothing about
    /// who signs).
    pub fn net_key(&self) -> LightResult<Keypair> {
        let v = self.required(K_NET_KEY, "network key")?;
        let a: [u8; 32] = v
            .as_ref()
            .try_into()
            .map_err(|_| LightStoreError::Corrupt("network key"))?;
        Ok(Keypair::from_secret(a))
    }

    /// The account's next nonce as last verified from the chain (None: never read).
    pub fn known_nonce(&self, signer: &PublicKey) -> LightResult<Option<u64>> {
        match self.db.get(account_key(signer))? {
            Some(v) => Ok(Some(decode_u64(&v, "account nonce")?)),
            None => Ok(None),
        }
    }

    /// Stores a verified account nonce.
    pub fn set_known_nonce(&self, signer: &PublicKey, next: u64) -> LightResult<()> {
        if self.known_nonce(signer)? == Some(next) {
            return Ok(());
        }
        self.db
            .insert(account_key(signer), &next.to_be_bytes()[..])?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// Every outbox entry, in order.
    pub fn entries(&self) -> LightResult<Vec<OutboxEntry>> {
        self.db
            .scan_prefix([P_OUTBOX])
            .map(|kv| {
                let (_, v) = kv?;
                decode(&v, "outbox entry")
            })
            .collect()
    }

    /// The entries still waiting for the chain (pending or submitted), in order: read
    /// through the outbox's index, so their cost does not grow with the entries that are
    /// final.
    pub fn open_entries(&self) -> LightResult<Vec<OutboxEntry>> {
        self.db
            .scan_prefix([P_WAITING])
            .map(|kv| {
                let (k, _) = kv?;
                let seq = decode_u64(&k[1..], "outbox index")?;
                self.entry(seq)
            })
            .collect()
    }

    /// Whether any entry still waits for the chain.
    pub fn any_open(&self) -> LightResult<bool> {
        Ok(self
            .db
            .scan_prefix([P_WAITING])
            .next()
            .transpose()?
            .is_some())
    }

    /// The entries still waiting, and the newest `final_limit` of those that are final
    /// (committed or rejected), in order: what a listing shows ([`LightStore::outbox_counts`]
    /// counts them all).
    pub fn recent_entries(&self, final_limit: usize) -> LightResult<Vec<OutboxEntry>> {
        let mut out = Vec::new();
        let mut finals = 0usize;
        for kv in self.db.scan_prefix([P_OUTBOX]).rev() {
            if finals == final_limit {
                break;
            }
            let (_, v) = kv?;
            let e: OutboxEntry = decode(&v, "outbox entry")?;
            if !e.is_open() {
                finals += 1;
                out.push(e);
            }
        }
        out.extend(self.open_entries()?);
        out.sort_unstable_by_key(|e| e.seq);
        Ok(out)
    }

    /// The entry numbered `seq`; one the index names that is not there is damage.
    fn entry(&self, seq: u64) -> LightResult<OutboxEntry> {
        decode(
            &self.required(&outbox_key(seq), "outbox entry")?,
            "outbox entry",
        )
    }

    /// How many entries stand at each status.
    pub fn outbox_counts(&self) -> LightResult<OutboxCounts> {
        decode(
            &self.required(K_OUTBOX_COUNTS, "outbox counts")?,
            "outbox counts",
        )
    }

    /// Writes an entry's new status, with the outbox's index and counts in the same
    /// batch; durable on return.
    pub fn put_entry(&self, e: &OutboxEntry) -> LightResult<()> {
        let _g = self.queue.lock().map_err(|_| LightStoreError::Poisoned)?;
        let old = self.entry(e.seq)?;
        let mut b = sled::Batch::default();
        b.insert(&outbox_key(e.seq)[..], encode(e, "outbox entry")?);
        if std::mem::discriminant(&old.status) != std::mem::discriminant(&e.status) {
            let mut counts = self.outbox_counts()?;
            let n = counts.of(&old.status);
            *n = n
                .checked_sub(1)
                .ok_or(LightStoreError::Corrupt("outbox counts"))?;
            *counts.of(&e.status) += 1;
            b.insert(K_OUTBOX_COUNTS, encode(&counts, "outbox counts")?);
        }
        if e.is_open() {
            b.insert(&waiting_key(e.seq)[..], &[][..]);
        } else {
            b.remove(&waiting_key(e.seq)[..]);
        }
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// The highest nonce `signer` queued here (None: it never queued here).
    fn queued_nonce(&self, signer: &PublicKey) -> LightResult<Option<u64>> {
        match self.db.get(queued_key(signer))? {
            Some(v) => Ok(Some(decode_u64(&v, "queued nonce")?)),
            None => Ok(None),
        }
    }

    /// Whether the signer's next nonce is known: it has queued here, or its account was
    /// read with a proof.
    pub fn nonce_known(&self, signer: &PublicKey) -> LightResult<bool> {
        Ok(self.known_nonce(signer)?.is_some() || self.queued_nonce(signer)?.is_some())
    }

    /// The nonce the next transaction of `signer` takes: its highest nonce in the outbox
    /// plus one, else its account's next nonce as last verified, else 0.
    pub fn next_nonce(&self, signer: &PublicKey) -> LightResult<u64> {
        Ok(match self.queued_nonce(signer)? {
            Some(n) => n + 1,
            None => self.known_nonce(signer)?.unwrap_or(0),
        })
    }

    /// Signs one transaction per payload with consecutive nonces and appends them to the
    /// outbox; durable on return.
    pub fn queue(&self, key: &Keypair, payloads: Vec<Payload>) -> LightResult<Vec<OutboxEntry>> {
        let now = now_ms();
        self.queue_timed(key, payloads.into_iter().map(|p| (p, now)).collect())
    }

    /// [`LightStore::queue`] with each transaction's device time given (an imported
    /// EPCIS event keeps its `eventTime`).
    pub fn queue_timed(
        &self,
        key: &Keypair,
        payloads: Vec<(Payload, i64)>,
    ) -> LightResult<Vec<OutboxEntry>> {
        let _g = self.queue.lock().map_err(|_| LightStoreError::Poisoned)?;
        let chain_id = self.chain_id()?;
        let nonce = self.next_nonce(&key.public())?;
        let mut seq = decode_u64(
            &self.required(K_NEXT_SEQ, "outbox number")?,
            "outbox number",
        )?;
        let mut out = Vec::new();
        let mut b = sled::Batch::default();
        for (nonce, (payload, event_time_ms)) in (nonce..).zip(payloads) {
            let tx = key.sign_tx(TxBody {
                version: TX_VERSION,
                chain_id,
                signer: key.public(),
                nonce,
                event_time_ms,
                payload,
            })?;
            let e = OutboxEntry {
                seq,
                tx: tx.encode(),
                id: tx.id(),
                signer: key.public(),
                nonce,
                status: OutboxStatus::Pending,
            };
            b.insert(&outbox_key(seq)[..], encode(&e, "outbox entry")?);
            b.insert(&waiting_key(seq)[..], &[][..]);
            out.push(e);
            seq += 1;
        }
        if let Some(last) = out.last() {
            b.insert(queued_key(&key.public()), &last.nonce.to_be_bytes()[..]);
            let mut counts = self.outbox_counts()?;
            counts.pending += out.len() as u64;
            b.insert(K_OUTBOX_COUNTS, encode(&counts, "outbox counts")?);
        }
        b.insert(K_NEXT_SEQ, &seq.to_be_bytes()[..]);
        if self.db.get(K_OUTBOX_FROM)?.is_none() {
            b.insert(K_OUTBOX_FROM, &self.tip()?.to_be_bytes()[..]);
        }
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(out)
    }

    /// The lowest height whose header and filter this store may hold: those below were
    /// pruned (1 when none was).
    pub fn pruned_below(&self) -> LightResult<u64> {
        match self.db.get(K_PRUNED)? {
            Some(v) => decode_u64(&v, "pruned height"),
            None => Ok(1),
        }
    }

    /// Deletes headers and filters the node no longer needs, at most [`PRUNE_BATCH`]
    /// heights a call: those below the height the org's index has reached (that header
    /// stays: its time is the index's "as of") and below the tip at which the oldest
    /// outbox entry still waiting for the chain was queued (its block is checked against
    /// its header). Nothing is pruned before an org is followed: its index is built from
    /// genesis. Returns how many heights went; durable on return.
    pub fn prune(&self) -> LightResult<u64> {
        if self.followed()?.is_none() {
            return Ok(0);
        }
        // Not while an entry is being queued (it sets the outbox mark).
        let _g = self.queue.lock().map_err(|_| LightStoreError::Poisoned)?;
        let start = self.pruned_below()?;
        let mut low = self.freshness()?.height;
        let waiting = self.any_open()?;
        let mark = match self.db.get(K_OUTBOX_FROM)? {
            Some(v) => Some(decode_u64(&v, "outbox mark")?),
            None => None,
        };
        let mut b = sled::Batch::default();
        match (waiting, mark) {
            (true, Some(m)) => low = low.min(m),
            // Entries queued before the store kept the mark: nothing more goes until they
            // are final.
            (true, None) => {
                low = start;
                b.insert(K_OUTBOX_FROM, &start.to_be_bytes()[..]);
            }
            (false, Some(_)) => b.remove(K_OUTBOX_FROM),
            (false, None) => {}
        }
        let end = low.min(start.saturating_add(PRUNE_BATCH)).max(start);
        if end > start {
            // Only the keys: what was kept below `end` goes, nothing is decoded.
            for range in [
                header_key(start)..header_key(end),
                light_index::filter_key(start)..light_index::filter_key(end),
            ] {
                for kv in self.db.range(range) {
                    b.remove(kv?.0);
                }
            }
        }
        if end > start {
            b.insert(K_PRUNED, &end.to_be_bytes()[..]);
        }
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(end - start)
    }

    /// After pruning, another org's index needs the headers from genesis again: they are
    /// dropped, and the node syncs them anew (tip 0, the genesis validators).
    fn resync_headers(&self, b: &mut sled::Batch) -> LightResult<()> {
        if self.pruned_below()? <= 1 {
            return Ok(());
        }
        for p in [P_HEADER, light_index::P_FILTER] {
            for kv in self.db.scan_prefix([p]) {
                b.remove(kv?.0);
            }
        }
        let set = ValidatorSetRecord {
            epoch: 0,
            validators: self.genesis()?.validators,
        };
        b.insert(K_VALIDATORS, encode(&set, "validator set")?);
        b.insert(K_TIP, &0u64.to_be_bytes()[..]);
        b.remove(K_TIP_HEADER);
        b.remove(K_ASOF_HEADER);
        b.remove(K_PRUNED);
        Ok(())
    }

    /// Test support: overwrites the raw value under `key` (to damage the store the way a
    /// bad disk would).
    #[cfg(test)]
    fn put_raw(&self, key: &[u8], value: &[u8]) {
        self.db.insert(key, value).expect("sled writes");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genesis() -> Genesis {
        Genesis {
            name: "light store test".into(),
            time_ms: 1,
            validators: (1..=4u8)
                .map(|i| Keypair::from_secret([i; 32]).public())
                .collect(),
            orgs: vec![],
        }
    }

    fn sell() -> Payload {
        Payload::Sell { entries: vec![] }
    }

    /// A light folder opened while this process still holds it (sled lets go of the lock
    /// from its own threads a moment after the last handle is dropped) opens once the lock
    /// is free, within the wait; held past the wait, the open fails with the lock error,
    /// never hangs. The app opened its light node right after making the folder, and under
    /// load that open failed as "the folder is in use".
    #[test]
    fn an_open_waits_for_a_lock_this_process_is_letting_go_of() {
        let dir = tempfile::tempdir().expect("tmp");
        let held = LightStore::create(dir.path(), &genesis()).expect("create");
        let letting_go = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(held);
        });
        let s = LightStore::open(dir.path()).expect("opens once the first handle is gone");
        assert_eq!(s.genesis().expect("genesis"), genesis());
        letting_go.join().expect("thread");

        let t = std::time::Instant::now();
        let e = LightStore::open(dir.path())
            .err()
            .expect("held past the wait");
        assert!(e.to_string().contains("could not acquire lock"), "{e}");
        assert!(
            t.elapsed() >= std::time::Duration::from_secs(2),
            "waited first"
        );
        assert!(
            t.elapsed() < std::time::Duration::from_secs(10),
            "then gave up"
        );
    }

    /// Headers `from..=to` (the store takes them as the node verified them).
    fn headers(from: u64, to: u64) -> Vec<(BlockHeader, Certificate, Concerns)> {
        (from..=to)
            .map(|h| {
                let header = BlockHeader {
                    version: 1,
                    chain_id: genesis().chain_id(),
                    height: h,
                    prev_hash: Hash32([0; 32]),
                    time_ms: h as i64,
                    proposer: Keypair::from_secret([1; 32]).public(),
                    tx_count: 0,
                    tx_root: Hash32([0; 32]),
                    state_root: Hash32([0; 32]),
                    concerns_root: Hash32([0; 32]),
                };
                (header, Certificate::default(), Concerns(vec![h]))
            })
            .collect()
    }

    #[test]
    fn headers_are_pruned_below_the_index_and_the_oldest_waiting_entry_and_read_again_for_another_org()
     {
        let tmp = tempfile::tempdir().expect("tmp");
        let s = LightStore::create(tmp.path(), &genesis()).expect("created");
        let org = Keypair::from_secret([30; 32]).public();
        s.append_headers(&headers(1, 100), None, &[])
            .expect("headers");
        // No org followed yet: its index will need every header from genesis.
        assert_eq!(s.prune().expect("prune"), 0);
        s.set_followed(&org).expect("followed");
        s.advance_indexed(40).expect("indexed");
        // An entry queued at tip 100 waits for its block (after 100): it does not hold
        // back pruning below the index.
        let key = Keypair::from_secret([21; 32]);
        s.set_known_nonce(&key.public(), 0).expect("nonce");
        s.queue(&key, vec![sell()]).expect("queued");
        assert_eq!(s.prune().expect("prune"), 39);
        assert_eq!(s.pruned_below().expect("pruned"), 40);
        assert!(s.header(39).expect("read").is_none() && s.filter(39).expect("read").is_none());
        // The index's own header (its "as of" time) and all above it stay.
        assert!(s.header(40).expect("read").is_some() && s.filter(41).expect("read").is_some());
        // The index moves past the entry's mark: headers from the mark on stay while the
        // entry waits for its block.
        s.append_headers(&headers(101, 300), None, &[])
            .expect("headers");
        s.advance_indexed(250).expect("indexed");
        assert_eq!(s.prune().expect("prune"), 60);
        assert_eq!(s.pruned_below().expect("pruned"), 100);
        assert!(s.header(100).expect("read").is_some());
        // Once final, the mark goes and the rest is pruned up to the index.
        let mut e = s.entries().expect("entries").remove(0);
        e.status = OutboxStatus::Committed {
            height: 120,
            index: 0,
        };
        s.put_entry(&e).expect("final");
        assert_eq!(s.prune().expect("prune"), 150);
        assert_eq!(s.pruned_below().expect("pruned"), 250);
        assert_eq!(s.prune().expect("prune"), 0);
        // Another org's index starts at genesis: the headers are dropped and read again.
        s.set_followed(&Keypair::from_secret([31; 32]).public())
            .expect("another org");
        assert_eq!(
            (s.pruned_below().expect("pruned"), s.tip().expect("tip")),
            (1, 0)
        );
        assert!(s.header(260).expect("read").is_none());
        assert_eq!(
            s.validators().expect("set").validators,
            genesis().validators
        );
    }

    #[test]
    fn once_an_org_is_followed_only_headers_naming_its_keys_the_tip_and_the_index_header_are_kept()
    {
        let tmp = tempfile::tempdir().expect("tmp");
        let s = LightStore::create(tmp.path(), &genesis()).expect("created");
        let org = Keypair::from_secret([30; 32]).public();
        let device = Keypair::from_secret([32; 32]).public();
        let keep = [org, device];
        // Before an org is followed, every header is kept: its index starts at genesis.
        s.append_headers(&headers(1, 10), None, &keep)
            .expect("headers");
        assert!((1..=10).all(|h| s.header(h).expect("read").is_some()));
        s.set_followed(&org).expect("followed");
        s.advance_indexed(10).expect("indexed");
        // From then on a header is kept under its height only when its filter names one
        // of the keys; the newest is the tip.
        let mut day = headers(11, 20);
        day[4].2 = Concerns::of([&device]);
        s.append_headers(&day, None, &keep).expect("headers");
        assert_eq!(s.tip().expect("tip"), 20);
        assert!(s.header(15).expect("read").is_some());
        assert!(s.header(12).expect("read").is_none() && s.header(19).expect("read").is_none());
        assert_eq!(s.header(20).expect("read").map(|(h, _)| h.height), Some(20));
        let kept: Vec<u64> = s
            .kept_filters(11, 20, 512)
            .expect("filters")
            .into_iter()
            .map(|(h, _)| h)
            .collect();
        assert_eq!(kept, vec![15, 20]);
        assert_eq!(s.kept_filters(11, 20, 1).expect("filters").len(), 1);
        // Ten from before the org was known, the one naming its device, and the tip.
        assert_eq!(s.kept_headers().expect("count"), 12);
        // The index reaches the tip; the tip moves past it: that header keeps its time
        // (the index's "as of"), and survives a restart.
        s.advance_indexed(20).expect("indexed");
        s.append_headers(&headers(21, 22), None, &keep)
            .expect("headers");
        drop(s);
        let s = LightStore::open(tmp.path()).expect("reopened");
        assert_eq!(
            s.header(20).expect("read").map(|(h, _)| h.time_ms),
            Some(20)
        );
        assert!(s.header(21).expect("read").is_none());
        assert_eq!(s.header(22).expect("read").map(|(h, _)| h.height), Some(22));
        // Pruning below the index takes the kept ones too; the tip stays.
        assert_eq!(s.prune().expect("prune"), 19);
        assert!(s.header(15).expect("read").is_none());
        assert!(s.kept_filters(1, 19, 512).expect("filters").is_empty());
        assert!(s.header(20).expect("read").is_some() && s.header(22).expect("read").is_some());
        // A damaged tip entry is an error, never "no header".
        s.put_raw(K_TIP_HEADER, b"not a header");
        assert!(matches!(s.header(22), Err(LightStoreError::Corrupt(_))));
    }

    #[test]
    fn a_light_folder_is_created_once_and_reopens_with_its_outbox() {
        let tmp = tempfile::tempdir().expect("tmp");
        let key = Keypair::from_secret([21; 32]);
        {
            let s = LightStore::create(tmp.path(), &genesis()).expect("created");
            assert_eq!(s.tip().expect("tip"), 0);
            assert_eq!(s.known_nonce(&key.public()).expect("nonce"), None);
            s.set_known_nonce(&key.public(), 7).expect("nonce stored");
            let q = s.queue(&key, vec![sell(), sell()]).expect("queued");
            assert_eq!(
                q.iter().map(|e| (e.seq, e.nonce)).collect::<Vec<_>>(),
                vec![(1, 7), (2, 8)]
            );
        }
        assert!(matches!(
            LightStore::create(tmp.path(), &genesis()),
            Err(LightStoreError::AlreadyLight(_))
        ));
        let s = LightStore::open(tmp.path()).expect("reopens");
        assert_eq!(s.chain_id().expect("chain"), genesis().chain_id());
        let es = s.entries().expect("entries");
        assert_eq!(es.len(), 2);
        assert!(es.iter().all(|e| e.status == OutboxStatus::Pending));
        // Numbering and nonces go on from what was queued.
        let q = s.queue(&key, vec![sell()]).expect("queued");
        assert_eq!((q[0].seq, q[0].nonce), (3, 9));
        let other = tempfile::tempdir().expect("tmp");
        assert!(matches!(
            LightStore::open(other.path()),
            Err(LightStoreError::NotLight(_))
        ));
    }

    #[test]
    fn the_outbox_index_follows_every_status_change_and_a_layout_2_folder_gets_it_on_open() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (
            Keypair::from_secret([21; 32]),
            Keypair::from_secret([22; 32]),
        );
        let seqs = |es: Vec<OutboxEntry>| es.iter().map(|e| e.seq).collect::<Vec<_>>();
        let s = LightStore::create(tmp.path(), &genesis()).expect("created");
        s.set_known_nonce(&a.public(), 5).expect("nonce");
        s.queue(&a, vec![sell(), sell(), sell()]).expect("queued");
        s.queue(&b, vec![sell()]).expect("queued");
        assert_eq!(s.outbox_counts().expect("counts").pending, 4);
        assert_eq!(seqs(s.open_entries().expect("open")), vec![1, 2, 3, 4]);
        let mut es = s.entries().expect("entries");
        es[0].status = OutboxStatus::Submitted;
        es[1].status = OutboxStatus::Committed {
            height: 9,
            index: 0,
        };
        es[2].status = OutboxStatus::Rejected {
            code: "WRONG_ROLE".into(),
            message: "no".into(),
            height: Some(9),
        };
        for e in &es[..3] {
            s.put_entry(e).expect("status written");
        }
        // Writing the same status again counts nothing twice.
        s.put_entry(&es[1]).expect("status written");
        let counts = OutboxCounts {
            pending: 1,
            submitted: 1,
            committed: 1,
            rejected: 1,
        };
        assert_eq!(s.outbox_counts().expect("counts"), counts);
        assert_eq!(seqs(s.open_entries().expect("open")), vec![1, 4]);
        // The newest final entry, and every open one.
        assert_eq!(seqs(s.recent_entries(1).expect("recent")), vec![1, 3, 4]);
        assert_eq!(seqs(s.recent_entries(0).expect("recent")), vec![1, 4]);
        assert_eq!(s.next_nonce(&a.public()).expect("nonce"), 8);
        assert_eq!(s.next_nonce(&b.public()).expect("nonce"), 1);
        // An entry the outbox does not hold is not written.
        let mut ghost = es[3].clone();
        ghost.seq = 99;
        assert!(matches!(
            s.put_entry(&ghost),
            Err(LightStoreError::Corrupt("outbox entry"))
        ));
        // The folder as a layout-2 Handoff left it: entries, no index.
        for p in [P_WAITING, P_QUEUED] {
            for kv in s.db.scan_prefix([p]) {
                s.db.remove(kv.expect("read").0).expect("removed");
            }
        }
        s.db.remove(K_OUTBOX_COUNTS).expect("removed");
        s.put_raw(K_FORMAT, &2u64.to_be_bytes());
        assert!(matches!(
            s.outbox_counts(),
            Err(LightStoreError::Corrupt("outbox counts"))
        ));
        drop(s);
        let s = LightStore::open(tmp.path()).expect("a layout-2 folder opens");
        assert_eq!(s.outbox_counts().expect("counts"), counts);
        assert_eq!(seqs(s.open_entries().expect("open")), vec![1, 4]);
        assert_eq!(s.next_nonce(&a.public()).expect("nonce"), 8);
        assert_eq!(s.next_nonce(&b.public()).expect("nonce"), 1);
        assert!(s.nonce_known(&b.public()).expect("known"));
        drop(s);
        // Another layout is still refused.
        let s = LightStore::open(tmp.path()).expect("opens");
        s.put_raw(K_FORMAT, &9u64.to_be_bytes());
        drop(s);
        assert!(matches!(
            LightStore::open(tmp.path()),
            Err(LightStoreError::Format { found: 9, .. })
        ));
    }

    #[test]
    fn damaged_bytes_are_an_error_never_absent_or_zero() {
        let tmp = tempfile::tempdir().expect("tmp");
        let key = Keypair::from_secret([21; 32]);
        let s = LightStore::create(tmp.path(), &genesis()).expect("created");
        s.queue(&key, vec![sell()]).expect("queued");
        s.put_raw(K_TIP, b"bad");
        assert!(matches!(s.tip(), Err(LightStoreError::Corrupt("tip"))));
        s.put_raw(&account_key(&key.public()), b"bad");
        assert!(matches!(
            s.known_nonce(&key.public()),
            Err(LightStoreError::Corrupt("account nonce"))
        ));
        s.put_raw(K_NEXT_SEQ, b"");
        assert!(matches!(
            s.queue(&key, vec![sell()]),
            Err(LightStoreError::Corrupt(_))
        ));
        s.put_raw(&outbox_key(1), b"\xff");
        assert!(matches!(
            s.entries(),
            Err(LightStoreError::Corrupt("outbox entry"))
        ));
        assert!(matches!(
            s.open_entries(),
            Err(LightStoreError::Corrupt("outbox entry"))
        ));
        s.put_raw(K_OUTBOX_COUNTS, b"bad");
        assert!(matches!(
            s.outbox_counts(),
            Err(LightStoreError::Corrupt("outbox counts"))
        ));
        s.put_raw(K_GENESIS, b"\x01");
        drop(s);
        assert!(matches!(
            LightStore::open(tmp.path()),
            Err(LightStoreError::Corrupt("genesis"))
        ));
    }
}
