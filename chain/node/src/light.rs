//! The light node (`handoff light …`): follows certified headers instead of executing
//! blocks, reads records with Merkle proofs checked against a certified state root, and
//! keeps an **outbox** of transactions signed on this machine (offline if need be) that it
//! submits to full nodes in order once a peer is reachable.
//!
//! **Folder.** A light folder holds `keys/` (the org identity it signs with, copied from a
//! full node's folder by `light init`) and `light/`, its own sled database: the trusted
//! genesis, the validator set that certifies the next header, the certified headers by
//! height, the last account nonces it verified, and the outbox. Headers live on disk, not
//! in memory: the node keeps only the tip in memory, so a day of one-second blocks costs
//! tens of megabytes of disk and nothing more.
//!
//! **Headers.** Header `h + 1` is taken only if it is for this chain, at height `h + 1`,
//! links to the hash of stored header `h` and its certificate verifies against the set the
//! node holds. If the certificate does not verify, the node fetches the validator set
//! record proven against header `h`'s state root and follows the change
//! ([`follow_validator_change`]); otherwise the header is refused and its peer reported.
//! Header 1 is checked against the genesis validators and chain id (the genesis header
//! itself is never served; its chain id is the hash of the trusted genesis).
//!
//! **Outbox.** Entries are numbered in the order they were queued and carry the encoded
//! signed transaction, its id, signer, nonce and status (`pending`, `submitted`,
//! `committed` at a height and index, or `rejected` with a code). Every status change is
//! flushed before the node acts on it, so an acknowledged scan is never lost; after a
//! crash a transaction may be submitted twice, which is harmless: it has the same signer
//! and nonce, and a full node answers a committed one as accepted. Pending entries are
//! submitted strictly in order, one request at a time, the next only after the previous
//! one was accepted; at most `--max-inflight` wait for their block at once. A submitted
//! entry is final only once its block, fetched from a peer, matches the certified header
//! (its hash and its transaction root recomputed from ids and outcomes) and holds this
//! very transaction at the reported index (another one there: `NONCE_REUSED`).
//!
//! **Nonces.** A transaction queued here takes the signer's highest nonce in the outbox
//! plus one; with none in the outbox, the account's next nonce as last verified from the
//! chain (`light init` records it, and the running light node reads it again with a
//! proof for every identity that queues here). An identity the folder has never read is
//! read from a peer before its first transaction is queued; offline it is refused with
//! `NONCE_UNKNOWN` rather than numbered by a guess the chain would refuse later. Sign with
//! one folder per org key (two signers of one key race for nonces).
//!
//! **Running.** `light run` holds the folder; `light commission|propose|outbox|show`
//! then go to it through a local HTTP endpoint (`light.json` in the folder: address,
//! token, pid — like a full node's `node.json`), and open the database directly
//! otherwise.

use crate::cli::{CliError, Output};
use crate::identity;
use crate::ledger::now_ms;
use anyhow::{Context, Result, anyhow, bail};
use borsh::{BorshDeserialize, BorshSerialize};
use clap::{Args, Parser, Subcommand};
use handoff_core::block::{Block, BlockHeader, Certificate, Genesis, tx_root};
use handoff_core::crypto::Keypair;
use handoff_core::governance::follow_validator_change;
use handoff_core::proof::RecordProof;
use handoff_core::rejection::Code;
use handoff_core::state::{
    ReadError, Record, StateKey, StateRead, StateReadExt, ValidatorSetRecord,
};
use handoff_core::tx::{
    AcceptHandoff, Commission, Payload, ProposeHandoff, SignedTx, TX_VERSION, Transfer, TxBody,
};
use handoff_core::types::{Hash32, PublicKey, TxId};
use handoff_net::{
    CertifiedHeader, ErrorCode, Misbehaviour, Multiaddr, NetConfig, NetEvent, NetHandle, Network,
    PeerId, Request, Response, SubmitOutcome, Topic, Verdict,
};
use handoff_store::sled;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

type R<T> = Result<T, CliError>;

/// Headers asked for in one request.
const HEADER_BATCH: u32 = handoff_net::limits::MAX_HEADERS_PER_REQUEST;
/// A submitted entry not found on the chain after this long is submitted again (the full
/// node may have restarted and lost its queue).
const RESUBMIT_AFTER: Duration = Duration::from_secs(15);
/// How often the node looks for work when nothing is announced.
const TICK: Duration = Duration::from_millis(500);
/// Pause between two header requests to one peer while catching up: stays well under
/// the full nodes' per-peer request limit (`MAX_REQUESTS_PER_PEER_PER_SEC`).
const HEADER_REQUEST_GAP: Duration = Duration::from_millis(25);
/// Requests one outbox step makes, at most.
const STEP_REQUESTS: usize = 24;
/// How often the account nonce is read again.
const NONCE_REFRESH: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------
// The light store.

const K_GENESIS: &[u8] = b"m/genesis";
const K_VALIDATORS: &[u8] = b"m/validators";
const K_TIP: &[u8] = b"m/tip";
const K_NET_KEY: &[u8] = b"m/netkey";
const K_NEXT_SEQ: &[u8] = b"m/nextseq";
const P_HEADER: u8 = b'h';
const P_OUTBOX: u8 = b'o';
const P_ACCOUNT: u8 = b'a';

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

/// Where an outbox entry stands.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum OutboxStatus {
    /// Not yet accepted by a full node.
    Pending,
    /// Accepted by a full node; waiting for its block.
    Submitted,
    /// In a certified block, applied.
    Committed {
        /// Block height.
        height: u64,
        /// Index in the block.
        index: u32,
    },
    /// Refused for good: before ordering by a full node, or by a ledger rule in a block
    /// (then with the block's height).
    Rejected {
        /// The rule's code.
        code: String,
        /// Why.
        message: String,
        /// The block that recorded the rejection, if any.
        height: Option<u64>,
    },
}

impl OutboxStatus {
    fn name(&self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Submitted => "submitted",
            OutboxStatus::Committed { .. } => "committed",
            OutboxStatus::Rejected { .. } => "rejected",
        }
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
    /// The JSON row of `light outbox`.
    pub fn json(&self) -> Value {
        let (height, index, code, message) = match &self.status {
            OutboxStatus::Committed { height, index } => (Some(*height), Some(*index), None, None),
            OutboxStatus::Rejected {
                code,
                message,
                height,
            } => (*height, None, Some(code.clone()), Some(message.clone())),
            _ => (None, None, None, None),
        };
        let (kind, items, handoff) = self.what();
        json!({"seq": self.seq, "tx": self.id.to_hex(), "nonce": self.nonce,
               "status": self.status.name(), "height": height, "index": index,
               "code": code, "message": message, "kind": kind, "items": items,
               "handoff": handoff})
    }

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
    /// Makes each flush durable (sled's own is not; see `handoff_store::durable`).
    durable: handoff_store::durable::Durable,
    /// Serialises queueing (nonce choice and append).
    queue: Mutex<()>,
}

/// Where the light database of a folder lives.
pub fn store_dir(data: &Path) -> PathBuf {
    data.join("light")
}

fn decode<T: BorshDeserialize>(v: &[u8], what: &str) -> Result<T> {
    borsh::from_slice(v).map_err(|_| anyhow!("the light store's {what} is corrupt"))
}

impl LightStore {
    /// Creates the light database of `data` trusting `genesis`.
    pub fn create(data: &Path, genesis: &Genesis) -> Result<LightStore> {
        genesis.check_keys()?;
        let dir = store_dir(data);
        if dir.exists() {
            bail!("{} already holds a light node", data.display());
        }
        let s = LightStore::open_dir(&dir)?;
        let set = ValidatorSetRecord {
            epoch: 0,
            validators: genesis.validators.clone(),
        };
        let net = identity::generate()?;
        let mut b = sled::Batch::default();
        b.insert(K_GENESIS, borsh::to_vec(genesis)?);
        b.insert(K_VALIDATORS, borsh::to_vec(&set)?);
        b.insert(K_TIP, &0u64.to_be_bytes()[..]);
        b.insert(K_NET_KEY, &net.secret()[..]);
        b.insert(K_NEXT_SEQ, &1u64.to_be_bytes()[..]);
        s.db.apply_batch(b)?;
        s.durable.flush(&s.db)?;
        Ok(s)
    }

    /// Opens the light database of `data`.
    pub fn open(data: &Path) -> Result<LightStore> {
        let dir = store_dir(data);
        if !dir.exists() {
            bail!(
                "{} is not a light folder; run `handoff light init`",
                data.display()
            );
        }
        let s = LightStore::open_dir(&dir)?;
        s.genesis()?;
        Ok(s)
    }

    fn open_dir(dir: &Path) -> Result<LightStore> {
        let db = handoff_store::durable::config(dir)
            .cache_capacity(16 * 1024 * 1024)
            .open()
            .with_context(|| format!("cannot open the light store {}", dir.display()))?;
        let durable = handoff_store::durable::Durable::open(dir)
            .with_context(|| format!("cannot sync the light store {}", dir.display()))?;
        Ok(LightStore {
            db,
            durable,
            queue: Mutex::new(()),
        })
    }

    /// The trusted genesis.
    pub fn genesis(&self) -> Result<Genesis> {
        let v = self
            .db
            .get(K_GENESIS)?
            .ok_or_else(|| anyhow!("the light store has no genesis"))?;
        decode(&v, "genesis")
    }

    /// The chain id.
    pub fn chain_id(&self) -> Result<Hash32> {
        Ok(self.genesis()?.chain_id())
    }

    /// The validator set that certifies the header after the tip.
    pub fn validators(&self) -> Result<ValidatorSetRecord> {
        let v = self
            .db
            .get(K_VALIDATORS)?
            .ok_or_else(|| anyhow!("the light store has no validator set"))?;
        decode(&v, "validator set")
    }

    /// Height of the newest certified header held (0: only genesis).
    pub fn tip(&self) -> Result<u64> {
        let v = self.db.get(K_TIP)?.unwrap_or_default();
        let a: [u8; 8] = v.as_ref().try_into().unwrap_or([0; 8]);
        Ok(u64::from_be_bytes(a))
    }

    /// The certified header at `h`.
    pub fn header(&self, h: u64) -> Result<Option<(BlockHeader, Certificate)>> {
        match self.db.get(header_key(h))? {
            Some(v) => Ok(Some(decode(&v, "header")?)),
            None => Ok(None),
        }
    }

    /// Appends verified headers (consecutive from tip + 1) and, when they changed it, the
    /// validator set that certifies the next one; durable on return.
    pub fn append_headers(
        &self,
        headers: &[(BlockHeader, Certificate)],
        set: Option<&ValidatorSetRecord>,
    ) -> Result<()> {
        let Some(last) = headers.last() else {
            return Ok(());
        };
        let mut b = sled::Batch::default();
        for h in headers {
            b.insert(&header_key(h.0.height)[..], borsh::to_vec(h)?);
        }
        b.insert(K_TIP, &last.0.height.to_be_bytes()[..]);
        if let Some(s) = set {
            b.insert(K_VALIDATORS, borsh::to_vec(s)?);
        }
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// The libp2p key of this light node (not the org key: the peer id says nothing about
    /// who signs).
    pub fn net_key(&self) -> Result<Keypair> {
        let v = self
            .db
            .get(K_NET_KEY)?
            .ok_or_else(|| anyhow!("the light store has no network key"))?;
        let a: [u8; 32] = v
            .as_ref()
            .try_into()
            .map_err(|_| anyhow!("the light store's network key is corrupt"))?;
        Ok(Keypair::from_secret(a))
    }

    /// The account's next nonce as last verified from the chain.
    pub fn known_nonce(&self, signer: &PublicKey) -> Result<Option<u64>> {
        Ok(self
            .db
            .get(account_key(signer))?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
    }

    /// Stores a verified account nonce.
    pub fn set_known_nonce(&self, signer: &PublicKey, next: u64) -> Result<()> {
        if self.known_nonce(signer)? == Some(next) {
            return Ok(());
        }
        self.db
            .insert(account_key(signer), &next.to_be_bytes()[..])?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// Every outbox entry, in order.
    pub fn entries(&self) -> Result<Vec<OutboxEntry>> {
        self.db
            .scan_prefix([P_OUTBOX])
            .map(|kv| {
                let (_, v) = kv?;
                decode(&v, "outbox entry")
            })
            .collect()
    }

    /// Writes an entry's new status; durable on return.
    pub fn put_entry(&self, e: &OutboxEntry) -> Result<()> {
        self.db.insert(&outbox_key(e.seq)[..], borsh::to_vec(e)?)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// Whether the signer's next nonce is known: it has queued here, or its account was
    /// read with a proof.
    pub fn nonce_known(&self, signer: &PublicKey) -> Result<bool> {
        Ok(self.known_nonce(signer)?.is_some()
            || self.entries()?.iter().any(|e| e.signer == *signer))
    }

    /// The nonce the next transaction of `signer` takes (see the module docs).
    pub fn next_nonce(&self, signer: &PublicKey) -> Result<u64> {
        let mut best: Option<u64> = None;
        for e in self.entries()? {
            if e.signer == *signer {
                best = Some(best.map_or(e.nonce, |b| b.max(e.nonce)));
            }
        }
        Ok(match best {
            Some(n) => n + 1,
            None => self.known_nonce(signer)?.unwrap_or(0),
        })
    }

    /// Signs one transaction per payload with consecutive nonces and appends them to the
    /// outbox; durable on return.
    pub fn queue(&self, key: &Keypair, payloads: Vec<Payload>) -> Result<Vec<OutboxEntry>> {
        let _g = self
            .queue
            .lock()
            .map_err(|_| anyhow!("outbox lock poisoned"))?;
        let chain_id = self.chain_id()?;
        let nonce = self.next_nonce(&key.public())?;
        let seq_bytes = self.db.get(K_NEXT_SEQ)?.unwrap_or_default();
        let mut seq = u64::from_be_bytes(
            seq_bytes
                .as_ref()
                .try_into()
                .unwrap_or([0, 0, 0, 0, 0, 0, 0, 1]),
        );
        let mut out = Vec::new();
        let mut b = sled::Batch::default();
        for (nonce, payload) in (nonce..).zip(payloads) {
            let tx = key.sign_tx(TxBody {
                version: TX_VERSION,
                chain_id,
                signer: key.public(),
                nonce,
                event_time_ms: now_ms(),
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
            b.insert(&outbox_key(seq)[..], borsh::to_vec(&e)?);
            out.push(e);
            seq += 1;
        }
        b.insert(K_NEXT_SEQ, &seq.to_be_bytes()[..]);
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// Checks (pure).

/// Why a header was not taken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Another chain, height or parent: not the next header.
    #[error("the header is not the next one of this chain")]
    NotNext,
    /// The certificate does not verify against the held set (maybe a set change).
    #[error("the certificate does not verify against the validator set")]
    Certificate,
}

/// Checks that `ch` is the next header after `tip` (none: genesis) on `chain_id` and that
/// its certificate verifies against `validators`.
pub fn check_next(
    chain_id: &Hash32,
    tip_height: u64,
    tip: Option<&BlockHeader>,
    validators: &[PublicKey],
    ch: &CertifiedHeader,
) -> Result<(), HeaderError> {
    let h = &ch.header;
    if h.chain_id != *chain_id || h.height != tip_height + 1 {
        return Err(HeaderError::NotNext);
    }
    if let Some(t) = tip
        && h.prev_hash != t.hash()
    {
        return Err(HeaderError::NotNext);
    }
    if !ch.certificate.verify(h, validators) {
        return Err(HeaderError::Certificate);
    }
    Ok(())
}

/// Checks a record proof for `key` against a certified header's state root; the record
/// (or its proven absence) on success.
pub fn verify_record(header: &BlockHeader, key: &[u8], p: &RecordProof) -> Result<Option<Record>> {
    if p.height != header.height || p.key != key {
        bail!("the proof is for another height or key");
    }
    p.verify(&header.state_root)
        .map_err(|e| anyhow!("the record does not verify: {e}"))?;
    match &p.value {
        None => Ok(None),
        Some(v) => Record::decode(v)
            .map(Some)
            .ok_or_else(|| anyhow!("the proven value is not a record")),
    }
}

/// What a fetched block says about an outbox entry located at `index`: the block must
/// match the certified `header` (hash and transaction root recomputed from the
/// transactions' ids and outcomes).
pub fn entry_outcome(
    header: &BlockHeader,
    block: &Block,
    index: u32,
    entry: &OutboxEntry,
) -> Result<OutboxStatus> {
    if block.header != *header || block.header.hash() != header.hash() {
        bail!("the block does not match the certified header");
    }
    if block.txs.len() != block.outcomes.len() || block.txs.len() != header.tx_count as usize {
        bail!("the block's transactions do not match its header");
    }
    let mut leaves = Vec::with_capacity(block.txs.len());
    let mut ids = Vec::with_capacity(block.txs.len());
    for (wire, o) in block.txs.iter().zip(&block.outcomes) {
        let tx = SignedTx::decode(wire).map_err(|e| anyhow!("undecodable transaction: {e}"))?;
        ids.push(tx.id());
        leaves.push((tx.id(), o.clone()));
    }
    if tx_root(&leaves) != header.tx_root {
        bail!("the block's transaction root does not match the certified header");
    }
    let i = index as usize;
    let Some(id) = ids.get(i) else {
        bail!("no transaction at index {index}");
    };
    if *id != entry.id {
        return Ok(OutboxStatus::Rejected {
            code: Code::NonceReused.as_str().to_string(),
            message: format!(
                "nonce {} was taken by another transaction ({})",
                entry.nonce,
                id.short()
            ),
            height: Some(header.height),
        });
    }
    let o = &block.outcomes[i];
    Ok(match &o.code {
        None => OutboxStatus::Committed {
            height: header.height,
            index,
        },
        Some(c) => OutboxStatus::Rejected {
            code: c.clone(),
            message: o.message.clone().unwrap_or_default(),
            height: Some(header.height),
        },
    })
}

/// Whether a full node's refusal of a submission is worth trying again later.
fn transient(code: &str, message: &str) -> bool {
    // STORE_FAULT: that node's store failed to check it, which says nothing about the
    // transaction; another node (or the same one, repaired) may take it.
    code == "BUSY"
        || code == "STORE_FAULT"
        || (code == Code::TooLarge.as_str() && message.contains("full"))
}

// ---------------------------------------------------------------------------------------
// The running light node.

/// A light node on the network.
pub struct LightNode {
    store: Arc<LightStore>,
    net: NetHandle,
    /// The identities whose account nonces the node keeps read (the folder's identity at
    /// start, and every identity that queues a transaction here).
    signers: Mutex<Vec<PublicKey>>,
    peers: Arc<Mutex<Vec<PeerId>>>,
    max_inflight: usize,
    pump: bool,
    submitted_at: Mutex<HashMap<u64, Instant>>,
    changed: Arc<dyn Fn() + Send + Sync>,
    rr: Mutex<usize>,
    /// When each watched signer's account was last read.
    nonce_read: Mutex<HashMap<PublicKey, Instant>>,
}

/// Where a submitted entry stands after a look at the chain.
enum Confirm {
    /// Committed or rejected, recorded.
    Final,
    /// Not on the chain (yet).
    Unknown,
    /// No answer now; try again later.
    Later,
}

fn request_err(r: Result<Response, handoff_net::NetError>) -> Result<Response> {
    r.map_err(|e| anyhow!("{e}"))
}

impl LightNode {
    /// A peer to ask (round robin over the connected ones).
    fn peer(&self) -> Option<PeerId> {
        let peers = self.peers.lock().ok()?;
        if peers.is_empty() {
            return None;
        }
        let mut rr = self.rr.lock().ok()?;
        *rr = rr.wrapping_add(1);
        Some(peers[*rr % peers.len()])
    }

    /// Takes headers from `peer` until this node is at its tip.
    async fn sync_headers(&self, peer: PeerId) -> Result<()> {
        loop {
            let tip = self.store.tip()?;
            let r = request_err(
                self.net
                    .request(
                        peer,
                        Request::Headers {
                            from: tip + 1,
                            count: HEADER_BATCH,
                        },
                    )
                    .await,
            )?;
            let hs = match r {
                Response::Headers(hs) => hs,
                Response::Error {
                    code: ErrorCode::Unavailable,
                    ..
                } => return Ok(()),
                other => bail!("unexpected answer to a header request: {other:?}"),
            };
            if hs.is_empty() {
                return Ok(());
            }
            let n = hs.len();
            self.take_headers(peer, hs).await?;
            self.changed();
            if n < HEADER_BATCH as usize {
                return Ok(());
            }
            // Full nodes answer a bounded number of requests per peer and second.
            tokio::time::sleep(HEADER_REQUEST_GAP).await;
        }
    }

    /// Verifies consecutive headers from `peer` and stores those that verify.
    async fn take_headers(&self, peer: PeerId, hs: Vec<CertifiedHeader>) -> Result<()> {
        let chain_id = self.store.chain_id()?;
        let mut tip = self.store.tip()?;
        let mut tip_header = self.store.header(tip)?.map(|(h, _)| h);
        let mut set = self.store.validators()?;
        let mut good = Vec::new();
        let mut new_set = false;
        for ch in hs {
            if ch.header.height <= tip && good.is_empty() {
                continue;
            }
            match check_next(&chain_id, tip, tip_header.as_ref(), &set.validators, &ch) {
                Ok(()) => {}
                Err(HeaderError::Certificate) if tip_header.is_some() => {
                    // Possibly a new validator set: the one proven against the tip's state.
                    // Store what verified so far, so the proof is asked at a stored tip.
                    let prev = tip_header.clone().ok_or_else(|| anyhow!("no tip"))?;
                    let r = request_err(
                        self.net
                            .request(
                                peer,
                                Request::Record {
                                    height: prev.height,
                                    key: StateKey::Validators.to_bytes(),
                                },
                            )
                            .await,
                    )?;
                    let followed = match r {
                        Response::Record(p) => follow_validator_change(
                            &set.validators,
                            &prev,
                            &ch.header,
                            &ch.certificate,
                            &p,
                        )
                        .ok(),
                        _ => None,
                    };
                    match followed {
                        Some(s) => {
                            set = s;
                            new_set = true;
                        }
                        None => {
                            self.store.append_headers(&good, new_set.then_some(&set))?;
                            let _ = self.net.report(peer, Misbehaviour::InvalidBlock).await;
                            bail!(
                                "header {} from {peer} is not certified by its validators",
                                ch.header.height
                            );
                        }
                    }
                }
                Err(e) => {
                    self.store.append_headers(&good, new_set.then_some(&set))?;
                    let _ = self.net.report(peer, Misbehaviour::InvalidBlock).await;
                    bail!("header {} from {peer}: {e}", ch.header.height);
                }
            }
            tip = ch.header.height;
            tip_header = Some(ch.header.clone());
            good.push((ch.header, ch.certificate));
        }
        self.store.append_headers(&good, new_set.then_some(&set))
    }

    /// A record read at the light tip with its proof verified against the certified
    /// header there.
    pub async fn record(&self, key: &StateKey) -> Result<(Option<Record>, u64)> {
        let peer = self.peer().ok_or_else(|| anyhow!("no peer is connected"))?;
        let _ = self.sync_headers(peer).await;
        self.record_at(peer, key).await
    }

    /// [`LightNode::record`] from `peer` at the current light tip, without syncing first.
    async fn record_at(&self, peer: PeerId, key: &StateKey) -> Result<(Option<Record>, u64)> {
        let header = self.tip_header()?;
        let rec = self.proven(peer, &header, key).await?;
        Ok((rec, header.height))
    }

    /// The certified header at the light tip (an error before the first one).
    fn tip_header(&self) -> Result<BlockHeader> {
        let tip = self.store.tip()?;
        if tip == 0 {
            bail!("no certified header yet");
        }
        let (header, _) = self
            .store
            .header(tip)?
            .ok_or_else(|| anyhow!("header {tip} is missing"))?;
        Ok(header)
    }

    /// A record from `peer` at `header`'s height, its proof verified against that
    /// certified header's state root. `Ok(None)` only for a proven absence; a proof that
    /// is missing, malformed, forged or for another key or height is
    /// [`ReadError::Proof`] (`PROOF_INVALID`, and the peer is reported), no answer at all
    /// is [`ReadError::Unavailable`].
    async fn proven(
        &self,
        peer: PeerId,
        header: &BlockHeader,
        key: &StateKey,
    ) -> Result<Option<Record>, ReadError> {
        let kb = key.to_bytes();
        let unavailable = |detail: String| ReadError::Unavailable {
            key: key.describe(),
            detail,
        };
        let r = self
            .net
            .request(
                peer,
                Request::Record {
                    height: header.height,
                    key: kb.clone(),
                },
            )
            .await
            .map_err(|e| unavailable(format!("the peer did not answer: {e}")))?;
        let p = match r {
            Response::Record(p) => p,
            Response::Error { code, message } => {
                return Err(unavailable(format!(
                    "the peer has no proof ({code:?}: {message})"
                )));
            }
            _ => {
                let _ = self.net.report(peer, Misbehaviour::BadResponse).await;
                return Err(ReadError::Proof {
                    key: key.describe(),
                    detail: "the peer answered without a proof".into(),
                });
            }
        };
        match verify_record(header, &kb, &p) {
            Ok(rec) => Ok(rec),
            Err(e) => {
                let _ = self.net.report(peer, Misbehaviour::BadResponse).await;
                Err(ReadError::Proof {
                    key: key.describe(),
                    detail: format!("{e:#} (block {})", header.height),
                })
            }
        }
    }

    fn changed(&self) {
        (self.changed)();
    }

    /// Brings outbox entries one step further with `peer`, with at most
    /// [`STEP_REQUESTS`] requests (a full node answers more than a few dozen a second
    /// from one peer with `Busy` and scores it down).
    async fn pump(&self, peer: PeerId) -> Result<()> {
        let entries = self.store.entries()?;
        let mut budget = STEP_REQUESTS;
        let mut inflight = 0usize;
        // One signer's transactions commit in nonce order: once one is not on the chain
        // yet, the later ones are not either.
        let mut waiting = false;
        let mut blocks: HashMap<u64, Block> = HashMap::new();
        for mut e in entries {
            if budget == 0 {
                return Ok(());
            }
            match e.status {
                OutboxStatus::Committed { .. } | OutboxStatus::Rejected { .. } => continue,
                OutboxStatus::Submitted => {
                    inflight += 1;
                    if waiting {
                        if self.stale(e.seq) {
                            budget -= 1;
                            self.submit(peer, &mut e).await?;
                        }
                        continue;
                    }
                    match self.confirm(peer, &mut e, &mut blocks, &mut budget).await? {
                        Confirm::Final => inflight -= 1,
                        Confirm::Unknown => waiting = true,
                        Confirm::Later => return Ok(()),
                    }
                }
                OutboxStatus::Pending => {
                    if inflight >= self.max_inflight {
                        return Ok(());
                    }
                    budget -= 1;
                    if !self.submit(peer, &mut e).await? {
                        // Strict order: nothing after a refused or unanswered entry.
                        return Ok(());
                    }
                    inflight += 1;
                }
            }
        }
        Ok(())
    }

    /// Whether a submitted entry has waited long enough (or since before a restart) to
    /// be submitted again.
    fn stale(&self, seq: u64) -> bool {
        self.submitted_at
            .lock()
            .ok()
            .and_then(|m| m.get(&seq).copied())
            .is_none_or(|t| t.elapsed() > RESUBMIT_AFTER)
    }

    /// Submits a pending entry; whether it was accepted (or refused for good).
    async fn submit(&self, peer: PeerId, e: &mut OutboxEntry) -> Result<bool> {
        let r = self
            .net
            .request(peer, Request::SubmitTx { tx: e.tx.clone() })
            .await;
        match r {
            Ok(Response::Submitted(SubmitOutcome::Accepted)) => {
                if e.status != OutboxStatus::Submitted {
                    e.status = OutboxStatus::Submitted;
                    self.store.put_entry(e)?;
                    self.changed();
                }
                if let Ok(mut m) = self.submitted_at.lock() {
                    m.insert(e.seq, Instant::now());
                }
                Ok(true)
            }
            Ok(Response::Submitted(SubmitOutcome::Rejected { code, message }))
                if !transient(&code, &message) =>
            {
                e.status = OutboxStatus::Rejected {
                    code,
                    message,
                    height: None,
                };
                self.store.put_entry(e)?;
                self.changed();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Looks for a submitted entry's block and, found, makes it final.
    async fn confirm(
        &self,
        peer: PeerId,
        e: &mut OutboxEntry,
        blocks: &mut HashMap<u64, Block>,
        budget: &mut usize,
    ) -> Result<Confirm> {
        *budget = budget.saturating_sub(1);
        let r = self
            .net
            .request(
                peer,
                Request::TxLocation {
                    signer: e.signer,
                    nonce: e.nonce,
                },
            )
            .await;
        let (height, index) = match r {
            Ok(Response::TxLocation(Some(loc))) => loc,
            Ok(Response::TxLocation(None)) => {
                if self.stale(e.seq) {
                    // Unknown to the chain a while after it was accepted (or since a
                    // restart of this node): submit it again; harmless if queued.
                    *budget = budget.saturating_sub(1);
                    self.submit(peer, e).await?;
                }
                return Ok(Confirm::Unknown);
            }
            _ => return Ok(Confirm::Later),
        };
        if height > self.store.tip()? {
            *budget = budget.saturating_sub(1);
            self.sync_headers(peer).await?;
        }
        let Some((header, _)) = self.store.header(height)? else {
            return Ok(Confirm::Later);
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = blocks.entry(height) {
            *budget = budget.saturating_sub(1);
            let r = request_err(
                self.net
                    .request(
                        peer,
                        Request::Blocks {
                            from: height,
                            count: 1,
                        },
                    )
                    .await,
            )?;
            let Response::Blocks(bs) = r else {
                return Ok(Confirm::Later);
            };
            let Some(b) = bs.into_iter().next() else {
                return Ok(Confirm::Later);
            };
            slot.insert(b);
        }
        let Some(block) = blocks.get(&height) else {
            return Ok(Confirm::Later);
        };
        match entry_outcome(&header, block, index, e) {
            Ok(status) => {
                e.status = status;
                self.store.put_entry(e)?;
                if let Ok(mut m) = self.submitted_at.lock() {
                    m.remove(&e.seq);
                }
                self.changed();
                Ok(Confirm::Final)
            }
            Err(err) => {
                blocks.remove(&height);
                let _ = self.net.report(peer, Misbehaviour::InvalidBlock).await;
                Err(err)
            }
        }
    }

    /// Keeps `signer`'s account nonce read from now on (idempotent).
    pub fn watch(&self, signer: PublicKey) {
        if let Ok(mut s) = self.signers.lock()
            && !s.contains(&signer)
        {
            s.push(signer);
        }
    }

    /// Reads and stores each watched signer's account nonce with a proof (each at most
    /// once per `NONCE_REFRESH`).
    async fn refresh_nonce(&self, peer: PeerId) -> Result<()> {
        let signers = self.signers.lock().map(|s| s.clone()).unwrap_or_default();
        for signer in signers {
            let fresh = self
                .nonce_read
                .lock()
                .ok()
                .and_then(|t| t.get(&signer).copied())
                .is_some_and(|t| t.elapsed() < NONCE_REFRESH);
            if !fresh {
                self.read_nonce(peer, signer).await?;
            }
        }
        Ok(())
    }

    /// Reads `signer`'s account nonce at the tip with a proof and stores it.
    pub async fn read_nonce(&self, peer: PeerId, signer: PublicKey) -> Result<u64> {
        let (rec, _) = self.record_at(peer, &StateKey::Account(signer)).await?;
        if let Ok(mut t) = self.nonce_read.lock() {
            t.insert(signer, Instant::now());
        }
        let next = match rec {
            Some(Record::Account(a)) => a.next_nonce,
            None => 0,
            Some(_) => bail!("the account record is not an account"),
        };
        self.store.set_known_nonce(&signer, next)?;
        self.changed();
        Ok(next)
    }

    /// One round of work with one peer.
    async fn step(&self) {
        let Some(peer) = self.peer() else {
            return;
        };
        if let Err(e) = self.sync_headers(peer).await {
            eprintln!("light: header sync with {peer}: {e:#}");
            return;
        }
        if let Err(e) = self.refresh_nonce(peer).await {
            eprintln!("light: account nonce: {e:#}");
        }
        if self.pump
            && let Err(e) = self.pump(peer).await
        {
            eprintln!("light: outbox: {e:#}");
        }
    }
}

/// Answers gossip (block announcements are checked and passed on; nothing else is
/// relayed) and refuses requests (a light node serves nothing).
async fn net_loop(
    store: Arc<LightStore>,
    net: NetHandle,
    peers: Arc<Mutex<Vec<PeerId>>>,
    mut events: mpsc::Receiver<NetEvent>,
    announced: mpsc::Sender<()>,
) {
    while let Some(ev) = events.recv().await {
        match ev {
            NetEvent::Gossip {
                peer,
                topic,
                msg_id,
                data,
            } => {
                let verdict = match topic {
                    Topic::Blocks => match Response::decode(&data) {
                        Ok(Response::Headers(hs)) if hs.len() == 1 => {
                            let ch = &hs[0];
                            let ok = store.chain_id().is_ok_and(|c| c == ch.header.chain_id)
                                && store.validators().is_ok_and(|s| {
                                    ch.certificate.verify(&ch.header, &s.validators)
                                });
                            if ok {
                                if store.tip().is_ok_and(|t| ch.header.height > t) {
                                    let _ = announced.try_send(());
                                }
                                Verdict::Accept
                            } else {
                                Verdict::Ignore
                            }
                        }
                        _ => Verdict::Reject,
                    },
                    _ => Verdict::Ignore,
                };
                let _ = net.report_validation(msg_id, peer, verdict).await;
            }
            NetEvent::Request { reply, .. } => {
                let _ = net
                    .respond(
                        reply,
                        Response::error(ErrorCode::Unsupported, "a light node serves nothing"),
                    )
                    .await;
            }
            NetEvent::PeerConnected(p) => {
                if let Ok(mut v) = peers.lock()
                    && !v.contains(&p)
                {
                    v.push(p);
                }
                let _ = announced.try_send(());
            }
            NetEvent::PeerDisconnected(p) | NetEvent::PeerBanned(p) => {
                if let Ok(mut v) = peers.lock() {
                    v.retain(|x| *x != p);
                }
            }
            NetEvent::Listening(_) => {}
        }
    }
}

/// How `light run` runs.
#[derive(Clone, Debug)]
pub struct LightOptions {
    /// Peers to dial and keep dialing.
    pub peers: Vec<Multiaddr>,
    /// Find peers on the LAN.
    pub mdns: bool,
    /// Submitted entries waiting for their block at once, at most.
    pub max_inflight: usize,
    /// Submit the outbox (off for a one-shot read).
    pub pump: bool,
}

/// A light node running on its own tokio runtime.
pub struct Running {
    runtime: tokio::runtime::Runtime,
    node: Arc<LightNode>,
    stop: watch::Sender<bool>,
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Starts the network and the worker on `store`.
    pub fn start(
        store: Arc<LightStore>,
        signer: Option<PublicKey>,
        opts: LightOptions,
        changed: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Running> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("handoff-light")
            .enable_all()
            .build()
            .context("cannot start the light node's runtime")?;
        let mut cfg = NetConfig::new(store.net_key()?);
        cfg.bootstrap = opts.peers.clone();
        cfg.mdns = opts.mdns;
        let (net, events) = runtime
            .block_on(Network::start(cfg))
            .context("cannot start the network")?;
        let peers = Arc::new(Mutex::new(Vec::new()));
        let node = Arc::new(LightNode {
            store: store.clone(),
            net: net.clone(),
            signers: Mutex::new(signer.into_iter().collect()),
            peers: peers.clone(),
            max_inflight: opts.max_inflight.max(1),
            pump: opts.pump,
            submitted_at: Mutex::new(HashMap::new()),
            changed,
            rr: Mutex::new(0),
            nonce_read: Mutex::new(HashMap::new()),
        });
        let (ann_tx, mut ann_rx) = mpsc::channel(16);
        runtime.spawn(net_loop(store, net, peers, events, ann_tx));
        let (stop, mut stop_rx) = watch::channel(false);
        let n = node.clone();
        let worker = runtime.spawn(async move {
            loop {
                n.step().await;
                tokio::select! {
                    _ = stop_rx.changed() => break,
                    _ = ann_rx.recv() => {}
                    _ = tokio::time::sleep(TICK) => {}
                }
                if *stop_rx.borrow() {
                    break;
                }
            }
        });
        Ok(Running {
            runtime,
            node,
            stop,
            worker: Some(worker),
        })
    }

    /// Runs `f` on the node's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// The node.
    pub fn node(&self) -> &Arc<LightNode> {
        &self.node
    }

    /// Waits until a peer is connected and the headers are synced with it, up to `limit`.
    pub fn wait_synced(&self, limit: Duration) -> Result<()> {
        let t = Instant::now();
        loop {
            if let Some(p) = self.node.peer()
                && self.block_on(self.node.sync_headers(p)).is_ok()
                && self.node.store.tip()? > 0
            {
                return Ok(());
            }
            if t.elapsed() > limit {
                bail!("no peer answered within {} s", limit.as_secs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Blocks until Ctrl-C or SIGTERM.
    pub fn wait_for_stop_signal(&self) {
        self.runtime.block_on(crate::service::stop_signal());
    }

    /// Stops the worker after its current step and the network.
    pub fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(w) = self.worker.take() {
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), w).await });
        }
        let _ = self.runtime.block_on(self.node.net.shutdown());
        self.runtime.shutdown_timeout(Duration::from_secs(2));
    }
}

// ---------------------------------------------------------------------------------------
// Command line.

/// `handoff light …`
#[derive(Subcommand, Debug)]
pub enum LightCmd {
    /// New light folder trusting a genesis (from `handoff genesis` on a full node), with
    /// an org identity copied from a full node's folder.
    Init {
        /// The genesis, hex of its encoding.
        #[arg(long)]
        genesis: String,
        /// A full node's data folder whose `keys/` holds the identity.
        #[arg(long = "org-key-from", value_name = "DIR")]
        org_key_from: PathBuf,
    },
    /// Commission items: signed now, queued in the outbox (works offline).
    Commission {
        /// Item scans (one item each).
        #[arg(required = true)]
        scans: Vec<String>,
    },
    /// Offer items to another org (custody): signed now, queued in the outbox.
    Propose {
        /// The recipient org's public key (hex).
        #[arg(long)]
        to: String,
        /// Transfer ownership with custody.
        #[arg(long)]
        ownership: bool,
        /// What.
        #[arg(required = true)]
        scans: Vec<String>,
    },
    /// Accept an offer, naming what is missing or damaged: signed now, queued in the
    /// outbox (works offline).
    Accept {
        /// The handoff id (64 hex digits: a light node has no index to resolve a prefix).
        id: String,
        /// Did not arrive (repeatable).
        #[arg(long = "missing")]
        missing: Vec<String>,
        /// Arrived damaged (repeatable).
        #[arg(long = "damaged")]
        damaged: Vec<String>,
    },
    /// Run the light node until stopped: follows headers, submits the outbox. Prints one
    /// JSON line once it is up.
    Run(LightRunArgs),
    /// The outbox, in order, with each entry's status.
    Outbox,
    /// An item's record, read with a Merkle proof verified against a certified header
    /// (through the running light node, or a one-shot session with `--peer`).
    Show {
        /// The scan.
        scan: String,
        /// A peer for a one-shot session when no light node runs on the folder.
        #[arg(long)]
        peer: Vec<String>,
    },
}

/// `handoff light run` options.
#[derive(Args, Debug)]
pub struct LightRunArgs {
    /// A full node to dial and keep dialing (repeatable).
    #[arg(long)]
    pub peer: Vec<String>,
    /// Do not look for peers on the local network (mDNS).
    #[arg(long)]
    pub no_mdns: bool,
    /// Submitted entries waiting for their block at once, at most.
    #[arg(long, default_value_t = 256)]
    pub max_inflight: usize,
}

/// The same global options as `handoff`, for parsing a forwarded light command.
#[derive(Parser, Debug)]
#[command(name = "handoff")]
struct Forwarded {
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[arg(long = "as", global = true)]
    as_: Option<String>,
    #[arg(long, global = true)]
    json: bool,
    #[arg(long, global = true)]
    node: Option<String>,
    #[arg(long, global = true)]
    token: Option<String>,
    #[command(subcommand)]
    cmd: ForwardedCmd,
}

#[derive(Subcommand, Debug)]
enum ForwardedCmd {
    #[command(subcommand)]
    Light(LightCmd),
}

/// What `light run` writes into its folder for the other light commands.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DaemonFile {
    /// Local endpoint, `host:port`.
    pub http: String,
    /// The bearer token commands must present.
    pub token: String,
    /// Its process id.
    pub pid: u32,
}

/// Where the daemon file lives.
pub fn daemon_file(data: &Path) -> PathBuf {
    data.join("light.json")
}

fn out(json: Value, text: impl Into<String>) -> R<Output> {
    Ok(Output {
        json,
        text: text.into(),
    })
}

fn signer_of(data: &Path, me: Option<&str>) -> R<identity::Identity> {
    identity::select(data, me).map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))
}

fn parse_addrs(list: &[String]) -> R<Vec<Multiaddr>> {
    list.iter()
        .map(|a| {
            a.parse::<Multiaddr>().map_err(|e| {
                CliError::input("BAD_ADDRESS", format!("peer '{a}' is not a multiaddr: {e}"))
            })
        })
        .collect()
}

/// Runs `handoff light …` (`args`: the whole command line, for forwarding to a running
/// light node).
pub fn run(data: &Path, me: Option<&str>, cmd: LightCmd, args: &[String]) -> R<Output> {
    match cmd {
        LightCmd::Init {
            genesis,
            org_key_from,
        } => init(data, me, &genesis, &org_key_from),
        LightCmd::Run(a) => run_daemon(data, me, a),
        cmd => {
            if let Some(done) = forward_to_daemon(data, args) {
                return done;
            }
            if let LightCmd::Show { scan, peer } = &cmd
                && !peer.is_empty()
            {
                return show_oneshot(data, scan, peer);
            }
            let store = LightStore::open(data)?;
            local(&store, data, me, None, cmd)
        }
    }
}

fn forward_to_daemon(data: &Path, args: &[String]) -> Option<R<Output>> {
    let bytes = std::fs::read(daemon_file(data)).ok()?;
    let f: DaemonFile = serde_json::from_slice(&bytes).ok()?;
    // A file left by a light node that was killed names an address nobody serves.
    std::net::TcpStream::connect_timeout(&f.http.parse().ok()?, Duration::from_millis(500)).ok()?;
    Some(
        match crate::gateway::forward(&format!("http://{}", f.http), &f.token, args) {
            Ok(r) => r,
            Err(e) => Err(CliError::Other(e)),
        },
    )
}

/// Decodes a genesis as `handoff genesis` prints it (hex of its encoding).
pub fn parse_genesis(genesis_hex: &str) -> R<Genesis> {
    let bytes = hex::decode(genesis_hex.trim())
        .map_err(|_| CliError::input("BAD_GENESIS", "the genesis is not hex"))?;
    borsh::from_slice(&bytes)
        .map_err(|_| CliError::input("BAD_GENESIS", "the genesis does not decode"))
}

fn init(data: &Path, me: Option<&str>, genesis_hex: &str, from: &Path) -> R<Output> {
    let genesis = parse_genesis(genesis_hex)?;
    if store_dir(data).exists() {
        return Err(CliError::input(
            "ALREADY_INITIALIZED",
            format!("{} already holds a light node", data.display()),
        ));
    }
    let id = identity::select(from, me)
        .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))?;
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    if identity::select(data, Some(&id.name)).is_err() {
        identity::save(data, &id.name, &id.key, now_ms())?;
    }
    let store = LightStore::create(data, &genesis)?;
    let chain_id = store.chain_id()?;
    // The identity may have signed already: its next nonce comes from the folder it was
    // copied from (through its running node, or its store), so scans queued offline
    // right after this carry the right nonces.
    let args: Vec<String> = ["--as", id.name.as_str(), "org", "nonce"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let learned = match crate::gateway::forward_local(from, &args) {
        Some(r) => r.ok().and_then(|o| o.json["next_nonce"].as_u64()),
        None => crate::ledger::Ledger::open(from)
            .ok()
            // Unreadable: left unknown (read with a proof later), never taken as 0.
            .and_then(|l| {
                handoff_core::state::StateReadExt::next_nonce(&l.store, &id.key.public()).ok()
            }),
    };
    if let Some(n) = learned {
        store.set_known_nonce(&id.key.public(), n)?;
    }
    out(
        json!({"data": data.display().to_string(), "chain_id": chain_id.to_hex(),
               "org": id.key.public().to_hex(), "name": id.name}),
        format!(
            "light folder {} for chain {} signing as {}",
            data.display(),
            chain_id.short(),
            id.name
        ),
    )
}

/// Runs a light command on an open store (`running`: the light node, for reads).
fn local(
    store: &LightStore,
    data: &Path,
    me: Option<&str>,
    running: Option<&Running>,
    cmd: LightCmd,
) -> R<Output> {
    match cmd {
        LightCmd::Commission { scans } => {
            let signer = signer_of(data, me)?;
            let mut payloads = Vec::new();
            for s in &scans {
                let e = crate::cli::entry(s, None)?;
                // The label's lot, expiry and other AIs stay with the item.
                let f = crate::cli::scan_fields(&crate::cli::scan(s)?);
                payloads.push(Payload::Commission(Commission {
                    entries: vec![e],
                    pin_hashes: vec![],
                    at: None,
                    lot: f.lot,
                    expiry: f.expiry,
                    attributes: f.attributes,
                }));
            }
            queued(store, running, &signer, payloads)
        }
        LightCmd::Propose {
            to,
            ownership,
            scans,
        } => {
            let signer = signer_of(data, me)?;
            let to = PublicKey::from_hex(to.trim())
                .ok_or_else(|| CliError::input("BAD_KEY", "--to is an org key, 64 hex digits"))?;
            let entries = scans
                .iter()
                .map(|s| crate::cli::entry(s, None))
                .collect::<R<Vec<_>>>()?;
            let payload = Payload::ProposeHandoff(ProposeHandoff {
                to,
                entries,
                transfer: if ownership {
                    Transfer::Both
                } else {
                    Transfer::Custody
                },
                ship_from: None,
                ship_to: None,
                docs: vec![],
                expires_at_height: None,
            });
            queued(store, running, &signer, vec![payload])
        }
        LightCmd::Accept {
            id,
            missing,
            damaged,
        } => {
            let signer = signer_of(data, me)?;
            let handoff = Hash32::from_hex(&id.to_lowercase()).ok_or_else(|| {
                CliError::input(
                    "BAD_HANDOFF_ID",
                    format!(
                        "'{}' is not a handoff id: a light node needs all 64 hex digits \
                         (it keeps no index of open handoffs to resolve a prefix)",
                        id.trim()
                    ),
                )
            })?;
            let payload = Payload::AcceptHandoff(AcceptHandoff {
                handoff,
                missing: crate::cli::entries(&missing, None)?,
                damaged: crate::cli::entries(&damaged, None)?,
            });
            queued(store, running, &signer, vec![payload])
        }
        LightCmd::Outbox => {
            let entries = store.entries()?;
            let rows: Vec<Value> = entries.iter().map(OutboxEntry::json).collect();
            let signer = signer_of(data, me).ok().map(|i| i.key.public());
            let known = match &signer {
                Some(s) => store.known_nonce(s)?,
                None => None,
            };
            let text = entries
                .iter()
                .map(|e| {
                    let why = match &e.status {
                        OutboxStatus::Rejected { code, message, .. } => {
                            format!(": {message} [{code}]")
                        }
                        OutboxStatus::Committed { height, .. } => format!(" in block {height}"),
                        _ => String::new(),
                    };
                    format!(
                        "{:>6}  {}  nonce {}  {}{why}",
                        e.seq,
                        e.id.short(),
                        e.nonce,
                        e.status.name()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            out(
                json!({"entries": rows, "tip": store.tip()?, "account_nonce": known,
                       "running": running.is_some()}),
                text,
            )
        }
        LightCmd::Show { scan, peer } => {
            let key = crate::cli::scan(&scan)?.key;
            let skey = StateKey::item(&key);
            let read = |r: &Running| -> R<Output> {
                let node = r.node();
                let peer = node.peer().ok_or_else(|| anyhow!("no peer is connected"))?;
                let _ = r.block_on(node.sync_headers(peer));
                let header = node.tip_header()?;
                let height = header.height;
                let rec = r.block_on(node.proven(peer, &header, &skey))?;
                let Some(rec) = rec else {
                    return Err(CliError::input(
                        "UNKNOWN_ITEM",
                        format!(
                            "{} was never commissioned (proven absent at block {height})",
                            key.canonical()
                        ),
                    ));
                };
                // The view people read (names, custody through containers, product),
                // every record of it proven against the same certified header.
                let state = ProvenState::new(r, peer, header.clone());
                state.seed(&skey, Some(rec.clone()));
                // Any record of the view that does not verify fails the whole answer
                // (PROOF_INVALID): nothing below is shown as "verified" unless all is.
                let thing = crate::view::thing_json(&state, &key)?;
                // The offer it travels in (to or from whom, what else it holds), so the
                // receiver can accept from a scan: a light node has no inbox index.
                let open = thing
                    .as_ref()
                    .and_then(|t| t["open_handoff"].as_str())
                    .and_then(Hash32::from_hex);
                let handoff = match open {
                    Some(id) => match state.handoff(&id)? {
                        Some(h) => Some(crate::view::handoff_json(&state, &h)?),
                        None => None,
                    },
                    None => None,
                };
                out(
                    json!({"item": rec, "thing": thing, "handoff": handoff, "height": height,
                           "verified": true, "state_root": header.state_root.to_hex(),
                           "header_hash": header.hash().to_hex()}),
                    format!(
                        "{}: verified against the state root of block {height}",
                        key.canonical()
                    ),
                )
            };
            match running {
                Some(r) => read(r),
                None => {
                    let _ = peer;
                    Err(CliError::input(
                        "NOT_RUNNING",
                        "no light node runs on this folder: start `handoff light run` or give --peer",
                    ))
                }
            }
        }
        LightCmd::Init { .. } | LightCmd::Run(_) => Err(CliError::input(
            "USAGE",
            "a light node is already running on this folder",
        )),
    }
}

/// Signs and queues `payloads` as `signer`. Their nonces follow the signer's last queued
/// entry, else its account nonce as last read with a proof; an identity this folder has
/// never read (another identity of the folder, first used here) is read from a peer
/// first, and cannot queue while offline (`NONCE_UNKNOWN`): a guessed nonce would be
/// refused by the chain after the fact.
fn queued(
    store: &LightStore,
    running: Option<&Running>,
    signer: &identity::Identity,
    payloads: Vec<Payload>,
) -> R<Output> {
    let pk = signer.key.public();
    let mut known = store.nonce_known(&pk)?;
    if let Some(r) = running {
        let node = r.node();
        node.watch(pk);
        if !known && let Some(peer) = node.peer() {
            match r.block_on(node.read_nonce(peer, pk)) {
                Ok(_) => known = true,
                Err(e) => eprintln!("light: account nonce of {}: {e:#}", signer.name),
            }
        }
    }
    if !known {
        return Err(CliError::input(
            "NONCE_UNKNOWN",
            format!(
                "this light node has not yet read the account of {} from the chain, so it \
                 cannot number its transactions: connect to a full node once, then try again",
                signer.name
            ),
        ));
    }
    let entries = store.queue(&signer.key, payloads)?;
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| json!({"seq": e.seq, "tx": e.id.to_hex(), "nonce": e.nonce}))
        .collect();
    out(
        json!({"queued": rows}),
        format!("queued {} transaction(s)", entries.len()),
    )
}

fn run_daemon(data: &Path, me: Option<&str>, a: LightRunArgs) -> R<Output> {
    let store = Arc::new(LightStore::open(data)?);
    let signer = signer_of(data, me).ok().map(|i| i.key.public());
    let peers = parse_addrs(&a.peer)?;
    let running = Arc::new(Running::start(
        store.clone(),
        signer,
        LightOptions {
            peers,
            mdns: !a.no_mdns,
            max_inflight: a.max_inflight,
            pump: true,
        },
        Arc::new(|| {}),
    )?);
    let server = Arc::new(
        tiny_http::Server::http("127.0.0.1:0").map_err(|e| anyhow!("cannot serve HTTP: {e}"))?,
    );
    let addr = server
        .server_addr()
        .to_ip()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow!("no randomness: {e}"))?;
    let token = hex::encode(secret);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (server, store, running, token, data) = (
                server.clone(),
                store.clone(),
                running.clone(),
                token.clone(),
                data.to_path_buf(),
            );
            std::thread::spawn(move || {
                while let Ok(rq) = server.recv() {
                    serve(&store, &running, &data, &token, rq);
                }
            })
        })
        .collect();
    let file = DaemonFile {
        http: addr.clone(),
        token,
        pid: std::process::id(),
    };
    let path = daemon_file(data);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(&file).map_err(anyhow::Error::from)?,
    )
    .with_context(|| format!("cannot write {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
            .map_err(anyhow::Error::from)?;
    }
    std::fs::rename(&tmp, &path).map_err(anyhow::Error::from)?;
    let ready = json!({
        "ready": true,
        "light": true,
        "http": addr,
        "chain_id": store.chain_id()?.to_hex(),
        "tip": store.tip()?,
    });
    {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{ready}");
        let _ = o.flush();
    }
    running.wait_for_stop_signal();
    let _ = std::fs::remove_file(&path);
    for _ in &threads {
        server.unblock();
    }
    for t in threads {
        let _ = t.join();
    }
    let tip = store.tip()?;
    if let Ok(r) = Arc::try_unwrap(running) {
        r.shutdown();
    }
    eprintln!("light: stopped at header {tip}");
    // Nothing more on stdout once the ready line is out.
    std::process::exit(0)
}

fn serve(
    store: &LightStore,
    running: &Running,
    data: &Path,
    token: &str,
    mut rq: tiny_http::Request,
) {
    let reply = |rq: tiny_http::Request, status: u16, body: &Value| {
        let _ =
            rq.respond(tiny_http::Response::from_string(body.to_string()).with_status_code(status));
    };
    let authorized = crate::gateway::authorized(&rq, token);
    if rq.url() != "/v1/cli" || !authorized {
        return reply(
            rq,
            401,
            &json!({"error": {"code": "UNAUTHORIZED", "message": "a valid token is needed"}}),
        );
    }
    let limit = crate::limits::MAX_CLI_BODY_BYTES;
    let body = match crate::gateway::read_body(&mut rq, limit) {
        Ok(b) => b,
        Err(e) => {
            let (status, body) = e.answer(limit);
            return reply(rq, status, &body);
        }
    };
    #[derive(Deserialize)]
    struct Cmd {
        args: Vec<String>,
    }
    let answer = match serde_json::from_slice::<Cmd>(&body) {
        Err(_) => {
            json!({"exit": 2, "error": {"code": "USAGE", "message": "the body must be {\"args\": […]}"}})
        }
        Ok(c) => {
            let result = run_forwarded(store, Some(running), data, c.args);
            match result {
                Ok(o) => json!({"exit": 0, "json": o.json, "text": o.text}),
                Err(e) => {
                    let (code, message) = e.parts();
                    json!({"exit": e.exit_code(), "error": {"code": code, "message": message}})
                }
            }
        }
    };
    reply(rq, 200, &answer)
}

/// Parses a forwarded `light …` command line (the arguments after the program name, with
/// the global options) and runs it on the open store.
fn run_forwarded(
    store: &LightStore,
    running: Option<&Running>,
    data: &Path,
    args: Vec<String>,
) -> R<Output> {
    let full = std::iter::once("handoff".to_string()).chain(args);
    match Forwarded::try_parse_from(full) {
        Err(e) => Err(CliError::input("USAGE", e.to_string().trim().to_string())),
        Ok(f) => {
            let ForwardedCmd::Light(cmd) = f.cmd;
            let _ = (f.data, f.json, f.node, f.token);
            local(store, data, f.as_.as_deref(), running, cmd)
        }
    }
}

/// State read from a peer, each record's proof verified against one certified header;
/// verified reads are cached. A read whose proof fails or cannot be fetched is an error,
/// so the view fails with "could not verify" instead of showing a record as absent (a
/// hidden recall, a pallet left out) under "verified against block N".
struct ProvenState<'a> {
    running: &'a Running,
    peer: PeerId,
    header: BlockHeader,
    cache: RefCell<HashMap<Vec<u8>, Option<Record>>>,
}

impl<'a> ProvenState<'a> {
    fn new(running: &'a Running, peer: PeerId, header: BlockHeader) -> ProvenState<'a> {
        ProvenState {
            running,
            peer,
            header,
            cache: RefCell::new(HashMap::new()),
        }
    }

    fn seed(&self, key: &StateKey, rec: Option<Record>) {
        self.cache.borrow_mut().insert(key.to_bytes(), rec);
    }
}

impl StateRead for ProvenState<'_> {
    fn read(&self, key: &StateKey) -> Result<Option<Record>, ReadError> {
        let kb = key.to_bytes();
        if let Some(r) = self.cache.borrow().get(&kb) {
            return Ok(r.clone());
        }
        let node = self.running.node();
        let r = self
            .running
            .block_on(node.proven(self.peer, &self.header, key))?;
        self.cache.borrow_mut().insert(kb, r.clone());
        Ok(r)
    }
}

/// A light node held by a long-running host (the desktop app): the open store, the
/// running node and the folder. Commands are the `handoff light …` commands, parsed and
/// run by the same code as the command line and `light run`'s endpoint.
pub struct LightSession {
    store: Arc<LightStore>,
    running: Running,
    data: PathBuf,
}

impl LightSession {
    /// Opens the light folder `data` and starts its node: dials `peers` (and finds peers
    /// on the LAN with `mdns`), follows headers and pumps the outbox. `signer_name`: the
    /// identity whose account nonce the node keeps verified (None: the folder's first).
    pub fn open(
        data: &Path,
        signer_name: Option<&str>,
        peers: &[String],
        mdns: bool,
    ) -> R<LightSession> {
        let store = Arc::new(LightStore::open(data)?);
        LightSession::start(store, data, signer_name, peers, mdns)
    }

    /// Makes `data` a light folder trusting `genesis` (its identities stay) and starts
    /// the node as [`LightSession::open`] does.
    pub fn create(
        data: &Path,
        genesis: &Genesis,
        signer_name: Option<&str>,
        peers: &[String],
        mdns: bool,
    ) -> R<LightSession> {
        if store_dir(data).exists() {
            return Err(CliError::input(
                "ALREADY_INITIALIZED",
                format!("{} already holds a light node", data.display()),
            ));
        }
        // Check the addresses before the folder changes.
        parse_addrs(peers)?;
        let store = Arc::new(LightStore::create(data, genesis)?);
        LightSession::start(store, data, signer_name, peers, mdns)
    }

    fn start(
        store: Arc<LightStore>,
        data: &Path,
        signer_name: Option<&str>,
        peers: &[String],
        mdns: bool,
    ) -> R<LightSession> {
        let peers = parse_addrs(peers)?;
        let signer = signer_of(data, signer_name).ok().map(|i| i.key.public());
        let running = Running::start(
            store.clone(),
            signer,
            LightOptions {
                peers,
                mdns,
                max_inflight: 256,
                pump: true,
            },
            Arc::new(|| {}),
        )?;
        Ok(LightSession {
            store,
            running,
            data: data.to_path_buf(),
        })
    }

    /// Runs one `light …` command (`args`: what follows `handoff light`, e.g.
    /// `["outbox"]` or `["commission", "--", SCAN]`) as `me` (None: the folder's first
    /// identity) on the running node.
    pub fn call(&self, me: Option<&str>, args: &[&str]) -> R<Output> {
        let mut full: Vec<String> = Vec::new();
        if let Some(me) = me {
            full.extend(["--as".to_string(), me.to_string()]);
        }
        full.push("light".to_string());
        full.extend(args.iter().map(|a| a.to_string()));
        run_forwarded(&self.store, Some(&self.running), &self.data, full)
    }

    /// Runs one light command as `me` (None: the folder's first identity) on the running
    /// node: the typed API's way in ([`crate::api`]).
    pub fn run(&self, me: Option<&str>, cmd: LightCmd) -> R<Output> {
        local(&self.store, &self.data, me, Some(&self.running), cmd)
    }

    /// The store.
    pub fn store(&self) -> &LightStore {
        &self.store
    }

    /// The data folder.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// Full nodes connected now.
    pub fn peer_count(&self) -> usize {
        self.running
            .node()
            .peers
            .lock()
            .map(|p| p.len())
            .unwrap_or(0)
    }

    /// Where the node stands: `{chain_id, height (certified header tip), time_ms (of
    /// that header, else of the genesis), state_root, peers, outbox (entries not yet
    /// committed or rejected), outbox_counts {pending, submitted, committed, rejected}}`.
    pub fn status(&self) -> R<Value> {
        let genesis = self.store.genesis()?;
        let tip = self.store.tip()?;
        let header = self.store.header(tip)?.map(|(h, _)| h);
        let mut counts: [u64; 4] = [0; 4];
        for e in self.store.entries()? {
            let i = match e.status {
                OutboxStatus::Pending => 0,
                OutboxStatus::Submitted => 1,
                OutboxStatus::Committed { .. } => 2,
                OutboxStatus::Rejected { .. } => 3,
            };
            counts[i] += 1;
        }
        Ok(json!({
            "chain_id": genesis.chain_id().to_hex(),
            "chain_name": genesis.name,
            "height": tip,
            "time_ms": header.as_ref().map_or(genesis.time_ms, |h| h.time_ms),
            "state_root": header.as_ref().map(|h| h.state_root.to_hex()),
            "peers": self.peer_count(),
            "outbox": counts[0] + counts[1],
            "outbox_counts": {"pending": counts[0], "submitted": counts[1],
                              "committed": counts[2], "rejected": counts[3]},
        }))
    }

    /// Stops the node (after its current step) and its network.
    pub fn shutdown(self) {
        self.running.shutdown();
    }
}

/// `light show SCAN --peer …` with no light node running: a one-shot session.
pub fn show_oneshot(data: &Path, scan: &str, peers: &[String]) -> R<Output> {
    let store = Arc::new(LightStore::open(data)?);
    let peers = parse_addrs(peers)?;
    let r = Running::start(
        store.clone(),
        None,
        LightOptions {
            peers,
            mdns: false,
            max_inflight: 1,
            pump: false,
        },
        Arc::new(|| {}),
    )?;
    r.wait_synced(Duration::from_secs(30))?;
    let res = local(
        &store,
        data,
        None,
        Some(&r),
        LightCmd::Show {
            scan: scan.to_string(),
            peer: vec![],
        },
    );
    r.shutdown();
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_core::block::Outcome;

    fn keys(n: u8) -> Vec<Keypair> {
        (0..n).map(|i| Keypair::from_secret([i + 1; 32])).collect()
    }

    fn genesis(validators: &[Keypair]) -> Genesis {
        Genesis {
            name: "light test".into(),
            time_ms: 1,
            validators: validators.iter().map(|k| k.public()).collect(),
            orgs: vec![],
        }
    }

    fn header(chain_id: Hash32, height: u64, prev: Hash32) -> BlockHeader {
        BlockHeader {
            version: handoff_core::block::BLOCK_VERSION,
            chain_id,
            height,
            prev_hash: prev,
            time_ms: 1000 + height as i64,
            proposer: PublicKey([9; 32]),
            tx_count: 0,
            tx_root: tx_root(&[]),
            state_root: Hash32([7; 32]),
        }
    }

    fn certify(h: &BlockHeader, by: &[Keypair]) -> CertifiedHeader {
        CertifiedHeader {
            header: h.clone(),
            certificate: Certificate {
                round: 0,
                sigs: by.iter().map(|k| Certificate::sign(k, h, 0)).collect(),
            },
        }
    }

    #[test]
    fn a_forged_header_is_refused() {
        let vs = keys(4);
        let set: Vec<PublicKey> = vs.iter().map(|k| k.public()).collect();
        let chain = genesis(&vs).chain_id();
        let h1 = header(chain, 1, Hash32::default());
        let good = certify(&h1, &vs[..3]);
        assert_eq!(check_next(&chain, 0, None, &set, &good), Ok(()));
        // Two of four is not more than 2/3.
        let weak = certify(&h1, &vs[..2]);
        assert_eq!(
            check_next(&chain, 0, None, &set, &weak),
            Err(HeaderError::Certificate)
        );
        // Signed by keys that are not the validators.
        let forged = certify(&h1, &keys(8)[4..]);
        assert_eq!(
            check_next(&chain, 0, None, &set, &forged),
            Err(HeaderError::Certificate)
        );
        // A valid certificate over another header does not carry over.
        let mut changed = good.clone();
        changed.header.state_root = Hash32([8; 32]);
        assert_eq!(
            check_next(&chain, 0, None, &set, &changed),
            Err(HeaderError::Certificate)
        );
        // Wrong parent, height or chain.
        let h2 = header(chain, 2, Hash32([1; 32]));
        assert_eq!(
            check_next(&chain, 1, Some(&h1), &set, &certify(&h2, &vs)),
            Err(HeaderError::NotNext)
        );
        let h2 = header(chain, 2, h1.hash());
        assert_eq!(
            check_next(&chain, 1, Some(&h1), &set, &certify(&h2, &vs)),
            Ok(())
        );
        assert_eq!(
            check_next(&chain, 2, Some(&h1), &set, &certify(&h2, &vs)),
            Err(HeaderError::NotNext)
        );
        let other = header(Hash32([3; 32]), 1, Hash32::default());
        assert_eq!(
            check_next(&chain, 0, None, &set, &certify(&other, &vs)),
            Err(HeaderError::NotNext)
        );
    }

    #[test]
    fn a_bad_proof_is_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let vs = keys(4);
        let store = handoff_store::Store::open(tmp.path()).expect("store");
        let h0 = store.init(&genesis(&vs), vs[0].public()).expect("init");
        let key = StateKey::Validators;
        let p = store.prove(&key, Some(0)).expect("proof");
        let rec = verify_record(&h0, &key.to_bytes(), &p).expect("verifies");
        assert!(matches!(rec, Some(Record::Validators(_))));
        // A changed value, another key, another root, a garbled proof: all refused.
        let mut forged = p.clone();
        forged.value = Some(
            Record::Validators(ValidatorSetRecord {
                epoch: 0,
                validators: vec![PublicKey([1; 32])],
            })
            .encode(),
        );
        assert!(verify_record(&h0, &key.to_bytes(), &forged).is_err());
        let mut absent = p.clone();
        absent.value = None;
        assert!(verify_record(&h0, &key.to_bytes(), &absent).is_err());
        let acct = StateKey::Account(PublicKey([5; 32])).to_bytes();
        assert!(verify_record(&h0, &acct, &p).is_err());
        let mut other_root = h0.clone();
        other_root.state_root = Hash32([1; 32]);
        assert!(verify_record(&other_root, &key.to_bytes(), &p).is_err());
        let mut garbled = p.clone();
        garbled.proof.truncate(garbled.proof.len() / 2);
        assert!(verify_record(&h0, &key.to_bytes(), &garbled).is_err());
        // Proven absence of a key that is not there is an answer, not an error.
        let none = store
            .prove(&StateKey::Account(PublicKey([5; 32])), Some(0))
            .expect("proof");
        assert_eq!(verify_record(&h0, &acct, &none).expect("absent"), None);
    }

    #[test]
    fn a_block_must_match_its_header_and_hold_the_entry() {
        let k = Keypair::from_secret([3; 32]);
        let tx = |nonce| {
            k.sign_tx(TxBody {
                version: TX_VERSION,
                chain_id: Hash32([1; 32]),
                signer: k.public(),
                nonce,
                event_time_ms: 0,
                payload: Payload::Sell { entries: vec![] },
            })
            .expect("the body encodes")
        };
        let mine = tx(0);
        let other = {
            let mut b = mine.body.clone();
            b.event_time_ms = 5;
            k.sign_tx(b).expect("the body encodes")
        };
        let entry = OutboxEntry {
            seq: 1,
            tx: mine.encode(),
            id: mine.id(),
            signer: k.public(),
            nonce: 0,
            status: OutboxStatus::Submitted,
        };
        let block_of = |t: &SignedTx, o: Outcome| {
            let mut h = header(Hash32([1; 32]), 5, Hash32::default());
            h.tx_count = 1;
            h.tx_root = tx_root(&[(t.id(), o.clone())]);
            Block {
                header: h,
                certificate: Certificate::default(),
                txs: vec![t.encode()],
                outcomes: vec![o],
            }
        };
        let b = block_of(&mine, Outcome::applied());
        assert_eq!(
            entry_outcome(&b.header, &b, 0, &entry).expect("ok"),
            OutboxStatus::Committed {
                height: 5,
                index: 0
            }
        );
        // Outcomes changed after certification: the tx root no longer matches.
        let mut lying = b.clone();
        lying.outcomes[0] = Outcome {
            code: Some("X".into()),
            message: None,
        };
        assert!(entry_outcome(&b.header, &lying, 0, &entry).is_err());
        // Another header.
        let mut h = b.header.clone();
        h.time_ms += 1;
        assert!(entry_outcome(&h, &b, 0, &entry).is_err());
        // Another transaction took the nonce.
        let b2 = block_of(&other, Outcome::applied());
        assert!(matches!(
            entry_outcome(&b2.header, &b2, 0, &entry).expect("ok"),
            OutboxStatus::Rejected { code, .. } if code == "NONCE_REUSED"
        ));
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_warehouse_accepts_offline_naming_what_is_missing() {
        let tmp = tempfile::tempdir().expect("tmp");
        let data = tmp.path();
        let warehouse = Keypair::from_secret([21; 32]);
        identity::save(data, "Warehouse", &warehouse, 0).expect("identity");
        let store = LightStore::create(data, &genesis(&keys(4))).expect("light store");
        store
            .set_known_nonce(&warehouse.public(), 0)
            .expect("known nonce");
        let offer = Hash32([0xab; 32]);
        let lost = "(01)00614141025015(21)E261000300";
        let cmd = args(&[
            "--as",
            "Warehouse",
            "light",
            "accept",
            &format!("--missing={lost}"),
            "--",
            &offer.to_hex(),
        ]);
        let o = run_forwarded(&store, None, data, cmd).expect("queued");
        assert_eq!(o.json["queued"][0]["seq"], 1);
        let entries = store.entries().expect("entries");
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(
            (e.nonce, &e.status, e.signer),
            (0, &OutboxStatus::Pending, warehouse.public())
        );
        let tx = SignedTx::decode(&e.tx).expect("decodes");
        assert_eq!(tx.body.chain_id, store.chain_id().expect("chain"));
        let Payload::AcceptHandoff(a) = &tx.body.payload else {
            panic!("not an accept: {:?}", tx.body.payload);
        };
        assert_eq!(a.handoff, offer);
        let missing: Vec<String> = a.missing.iter().map(|m| m.key.canonical()).collect();
        assert_eq!(missing, vec!["/01/00614141025015/21/E261000300"]);
        assert!(a.damaged.is_empty());
        // The outbox row says what it is.
        let row = e.json();
        assert_eq!(
            (&row["kind"], &row["handoff"], &row["status"]),
            (
                &json!("handoff_accepted"),
                &json!(offer.to_hex()),
                &json!("pending")
            )
        );
        // The next one takes the next nonce; a prefix of an id is not enough offline.
        let again = args(&["light", "accept", "--", &offer.to_hex()]);
        run_forwarded(&store, None, data, again).expect("queued");
        assert_eq!(store.entries().expect("entries")[1].nonce, 1);
        let short = args(&["light", "accept", "--", &offer.to_hex()[..8]]);
        let err = run_forwarded(&store, None, data, short).expect_err("prefix");
        assert_eq!(err.parts().0, "BAD_HANDOFF_ID");
        let bad = args(&[
            "light",
            "accept",
            "--missing=(01)123",
            "--",
            &offer.to_hex(),
        ]);
        let err = run_forwarded(&store, None, data, bad).expect_err("bad scan");
        assert!(err.parts().0.starts_with("SCAN_"), "{:?}", err.parts());
        assert_eq!(store.entries().expect("entries").len(), 2);
    }
}
