//! The light node's own indexes: everything the chain says about the org it follows,
//! each record read with a Merkle proof against the certified header of the block that
//! wrote it, kept on disk so the app answers from it with no peer reachable.
//!
//! - `F` ‖ height → the block's filter of whom it concerns, as checked against the
//!   certified header (its hash is the header's `concerns_root`).
//! - `R` ‖ state key bytes → the proven record (`Some`) or proven absence (`None`), as of
//!   the block it was last read at, with that height: items, containers and lots the org
//!   held, sent or received (and what they carry), its handoffs, the products of its
//!   goods, the orgs it dealt with, its devices.
//! - `K…`, `J…` → the stock index of [`crate::stock`], fed with those records.
//! - `A` ‖ height ‖ index → a transaction of the org (signed by it, or touching what it
//!   holds, sends or receives).
//! - `m/org` the followed org, `m/indexed` the height every block up to which was looked
//!   at (and the ones naming the org indexed), `m/indexed_at` when that happened.
//!
//! One block's index writes are one sled batch, flushed durably, and `m/indexed` moves in
//! the same batch: after a crash the index is as of a whole block, never half of one.

use super::{LightResult, LightStore, LightStoreError, decode, decode_u64, encode, now_ms};
use crate::stock::{self, StockHolder, StockRow};
use borsh::{BorshDeserialize, BorshSerialize};
use handoff_core::concerns::Concerns;
use handoff_core::state::{HandoffRecord, ProductRecord, Record, StateKey};
use handoff_core::types::{PublicKey, TxId};

const K_ORG: &[u8] = b"m/org";
const K_INDEXED: &[u8] = b"m/indexed";
const K_INDEXED_AT: &[u8] = b"m/indexed_at";
pub(super) const P_FILTER: u8 = b'F';
const P_RECORD: u8 = b'R';
const P_ACTIVITY: u8 = b'A';

fn filter_key(h: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = P_FILTER;
    k[1..].copy_from_slice(&h.to_be_bytes());
    k
}

fn record_key(key: &StateKey) -> Vec<u8> {
    [&[P_RECORD][..], &key.to_bytes()].concat()
}

fn activity_key(height: u64, index: u32) -> [u8; 13] {
    let mut k = [0u8; 13];
    k[0] = P_ACTIVITY;
    k[1..9].copy_from_slice(&height.to_be_bytes());
    k[9..].copy_from_slice(&index.to_be_bytes());
    k
}

/// A record as the light index keeps it: proven at `height` (`None`: proven absent).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Indexed {
    /// The block whose state root the proof led to.
    pub height: u64,
    /// The record's encoding (`Record::encode`), or none for a proven absence.
    pub value: Option<Vec<u8>>,
}

/// A transaction of the followed org, from a block checked against its certified header.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LightActivity {
    /// Transaction id.
    pub tx: TxId,
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// Block time, unix ms.
    pub time_ms: i64,
    /// Device time, unix ms.
    pub event_time_ms: i64,
    /// Payload type name.
    pub kind: String,
    /// Rejection code, when a ledger rule refused it.
    pub rejected: Option<String>,
    /// Who signed.
    pub signer: PublicKey,
}

/// What one followed block adds to the light index.
#[derive(Clone, Debug, Default)]
pub struct IndexedBlock {
    /// Its height.
    pub height: u64,
    /// Records read with proofs at this height (`None`: proven absent).
    pub records: Vec<(StateKey, Option<Record>)>,
    /// Events for the stock index's locations (canonical key, encoded event).
    pub history: Vec<(String, Vec<u8>)>,
    /// The org's transactions in the block.
    pub activity: Vec<LightActivity>,
}

/// How fresh the light index is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// Every block up to this height was looked at.
    pub height: u64,
    /// When (this machine's clock, unix ms); 0 before the first block.
    pub at_ms: i64,
}

impl LightStore {
    /// The org the index follows (set once, by the node's identity).
    pub fn followed(&self) -> LightResult<Option<PublicKey>> {
        match self.db.get(K_ORG)? {
            None => Ok(None),
            Some(v) => {
                let a: [u8; 32] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| LightStoreError::Corrupt("followed org"))?;
                Ok(Some(PublicKey(a)))
            }
        }
    }

    /// Sets the followed org. Another org than the one set before starts the index
    /// afresh (its rows are about the other org); durable on return.
    pub fn set_followed(&self, org: &PublicKey) -> LightResult<()> {
        if self.followed()? == Some(*org) {
            return Ok(());
        }
        let mut b = sled::Batch::default();
        for p in [P_RECORD, P_ACTIVITY, stock::P_STOCK, stock::P_CONTRIB] {
            for kv in self.db.scan_prefix([p]) {
                b.remove(kv?.0);
            }
        }
        // Pruned headers are read again from genesis for the new org's index.
        self.resync_headers(&mut b)?;
        b.insert(K_ORG, &org.0[..]);
        b.insert(K_INDEXED, &0u64.to_be_bytes()[..]);
        b.insert(K_INDEXED_AT, &0i64.to_be_bytes()[..]);
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// How far the index is.
    pub fn freshness(&self) -> LightResult<Freshness> {
        let height = match self.db.get(K_INDEXED)? {
            Some(v) => decode_u64(&v, "indexed height")?,
            None => 0,
        };
        let at_ms = match self.db.get(K_INDEXED_AT)? {
            Some(v) => decode_u64(&v, "indexed time")? as i64,
            None => 0,
        };
        Ok(Freshness { height, at_ms })
    }

    /// The filter stored with header `h` (checked against it when the header was taken).
    pub fn filter(&self, h: u64) -> LightResult<Option<Concerns>> {
        match self.db.get(filter_key(h))? {
            Some(v) => Ok(Some(decode(&v, "block filter")?)),
            None => Ok(None),
        }
    }

    pub(super) fn filter_writes(
        b: &mut sled::Batch,
        filters: &[(u64, &Concerns)],
    ) -> LightResult<()> {
        for (h, c) in filters {
            b.insert(&filter_key(*h)[..], encode(*c, "block filter")?);
        }
        Ok(())
    }

    pub(super) fn filter_remove(b: &mut sled::Batch, h: u64) {
        b.remove(&filter_key(h)[..]);
    }

    /// Every block up to `height` was looked at and none of those not indexed names the
    /// org; durable on return.
    pub fn advance_indexed(&self, height: u64) -> LightResult<()> {
        let mut b = sled::Batch::default();
        b.insert(K_INDEXED, &height.to_be_bytes()[..]);
        b.insert(K_INDEXED_AT, &now_ms().to_be_bytes()[..]);
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// Adds a followed block: its proven records (and the stock rows they make), its
    /// activity, and `m/indexed` = its height, in one durable batch.
    pub fn index_block(&self, block: &IndexedBlock) -> LightResult<()> {
        let mut b = sled::Batch::default();
        for (key, rec) in &block.records {
            let v = Indexed {
                height: block.height,
                value: rec.as_ref().map(Record::encode),
            };
            b.insert(record_key(key), encode(&v, "indexed record")?);
        }
        let records: Vec<&Record> = block
            .records
            .iter()
            .filter_map(|(_, r)| r.as_ref())
            .filter(|r| matches!(r, Record::Item(_) | Record::Lot(_)))
            .collect();
        if !records.is_empty() {
            let history: Vec<(&str, &[u8])> = block
                .history
                .iter()
                .map(|(k, e)| (k.as_str(), e.as_slice()))
                .collect();
            let read = |k: &[u8]| -> LightResult<Option<Vec<u8>>> {
                Ok(self.db.get(k)?.map(|v| v.to_vec()))
            };
            let writes = stock::index(&records, &history, &read, &|| {
                LightStoreError::Corrupt("stock index")
            })?;
            for (k, v) in writes {
                match v {
                    Some(v) => b.insert(k, v),
                    None => b.remove(k),
                }
            }
        }
        for a in &block.activity {
            b.insert(&activity_key(a.height, a.index)[..], encode(a, "activity")?);
        }
        b.insert(K_INDEXED, &block.height.to_be_bytes()[..]);
        b.insert(K_INDEXED_AT, &now_ms().to_be_bytes()[..]);
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// Adds proven records (the followed org's own record, found when the node first
    /// looked for its org) without moving `m/indexed`; durable on return.
    pub fn put_records(
        &self,
        height: u64,
        records: &[(StateKey, Option<Record>)],
    ) -> LightResult<()> {
        let mut b = sled::Batch::default();
        for (key, rec) in records {
            let v = Indexed {
                height,
                value: rec.as_ref().map(Record::encode),
            };
            b.insert(record_key(key), encode(&v, "indexed record")?);
        }
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// A record of the index: `Ok(None)` when the index holds nothing under the key,
    /// `Ok(Some(Indexed { value: None, .. }))` for a proven absence.
    pub fn indexed(&self, key: &StateKey) -> LightResult<Option<Indexed>> {
        match self.db.get(record_key(key))? {
            Some(v) => Ok(Some(decode(&v, "indexed record")?)),
            None => Ok(None),
        }
    }

    /// Whether the index holds a record (present or proven absent) under the key.
    pub fn has_indexed(&self, key: &StateKey) -> LightResult<bool> {
        Ok(self.db.contains_key(record_key(key))?)
    }

    /// Every handoff in the index (the org's, sent or received), id order.
    pub fn indexed_handoffs(&self) -> LightResult<Vec<HandoffRecord>> {
        let mut out = Vec::new();
        for kv in self.db.scan_prefix([P_RECORD, b'h']) {
            let (_, v) = kv?;
            let i: Indexed = decode(&v, "indexed record")?;
            let Some(bytes) = i.value else { continue };
            match Record::decode(&bytes) {
                Some(Record::Handoff(h)) => out.push(h),
                _ => return Err(LightStoreError::Corrupt("indexed handoff")),
            }
        }
        Ok(out)
    }

    /// Every product record in the index (the org's own and those of goods it handled).
    pub fn indexed_products(&self) -> LightResult<Vec<ProductRecord>> {
        let mut out = Vec::new();
        for kv in self.db.scan_prefix([P_RECORD, b'p']) {
            let (_, v) = kv?;
            let i: Indexed = decode(&v, "indexed record")?;
            let Some(bytes) = i.value else { continue };
            match Record::decode(&bytes) {
                Some(Record::Product(p)) => out.push(p),
                _ => return Err(LightStoreError::Corrupt("indexed product")),
            }
        }
        Ok(out)
    }

    /// The org's transactions, newest first, at most `limit`.
    pub fn activity(&self, limit: usize) -> LightResult<Vec<LightActivity>> {
        let mut out = Vec::new();
        for kv in self.db.scan_prefix([P_ACTIVITY]).rev() {
            if out.len() >= limit {
                break;
            }
            let (_, v) = kv?;
            out.push(decode(&v, "activity")?);
        }
        Ok(out)
    }

    /// The stock rows `holder` holds directly, as the index has them (see
    /// [`crate::Store::stock_rows`]).
    pub fn stock_rows(&self, holder: &StockHolder) -> LightResult<Vec<(StockRow, u64)>> {
        let prefix = holder.prefix();
        let mut out = Vec::new();
        for kv in self.db.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push(
                stock::decode_row(prefix.len(), &k, &v)
                    .ok_or(LightStoreError::Corrupt("stock index"))?,
            );
        }
        Ok(out)
    }
}
