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
//! - `f` ‖ asset ‖ height ‖ index → a finance step of an asset the org is a party of
//!   (seller, buyer, holder, lender; warehouse, owner, lender): the transaction as its
//!   block carried it (checked against the certified header), with the block's time. The
//!   asset's record is under `R` (`StateKey::Asset`), with the parties' orgs and seal keys
//!   and a receipt's pledge locks beside it, so the org's finance screens answer from disk
//!   and its own terms open with its own key. The steps are those of the blocks that named
//!   the org: an asset it joined later (a lender asked to finance, a new holder) lists
//!   its steps from then on, and the terms sealed to it then say all it needs.
//! - `P` ‖ receipt ‖ height ‖ index ‖ goods → an attempt to move goods a receipt of the
//!   org pledges that the chain refused (outcome `PLEDGED`), from a block the node
//!   fetched (one naming the org: the attempt was its own, or its block named it for
//!   another reason), for the lender's "move refused" alert.
//! - `e` ‖ height ‖ index → a transaction signed by one of the org's keys, as its checked
//!   block carried it, with the block's time and outcome: the org's own EPCIS events
//!   (export and query map them as a full node does). `m/epcis` is that part's layout (an
//!   index made before it is started again from genesis, [`LightStore::index_has_epcis`]).
//! - `m/org` the followed org, `m/indexed` the height every block up to which was looked
//!   at (and the ones naming the org indexed), `m/indexed_at` when that happened,
//!   `m/finance` the layout of its finance part (an index made before the current one,
//!   without finance steps or without the goods and handoffs behind its assets, is
//!   started again from genesis, [`LightStore::index_has_finance`]).
//!
//! One block's index writes are one sled batch, flushed durably, and `m/indexed` moves in
//! the same batch: after a crash the index is as of a whole block, never half of one.

use super::{LightResult, LightStore, LightStoreError, decode, decode_u64, encode, now_ms};
use crate::stock::{self, StockHolder, StockRow};
use borsh::{BorshDeserialize, BorshSerialize};
use handoff_core::concerns::Concerns;
use handoff_core::state::{HandoffRecord, ProductRecord, Record, StateKey};
use handoff_core::types::{Hash32, PublicKey, TxId};

const K_ORG: &[u8] = b"m/org";
const K_FINANCE: &[u8] = b"m/finance";
const K_EPCIS: &[u8] = b"m/epcis";
const P_OWN_TX: u8 = b'e';
/// The own-transactions part's layout: 1 = every transaction the org's keys signed.
const EPCIS_LAYOUT: u8 = 1;
const P_FIN_STEP: u8 = b'f';
const K_INDEXED: &[u8] = b"m/indexed";
const K_INDEXED_AT: &[u8] = b"m/indexed_at";
pub(super) const P_FILTER: u8 = b'F';
const P_RECORD: u8 = b'R';
const P_ACTIVITY: u8 = b'A';
const P_REFUSAL: u8 = b'P';
/// The finance part's layout: 2 = steps, and the goods and handoffs behind each asset
/// (its records under `R`), and refused moves of pledged goods.
const FINANCE_LAYOUT: u8 = 2;

pub(super) fn filter_key(h: u64) -> [u8; 9] {
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

fn own_tx_key(height: u64, index: u32) -> [u8; 13] {
    let mut k = activity_key(height, index);
    k[0] = P_OWN_TX;
    k
}

fn step_key(asset: &Hash32, height: u64, index: u32) -> [u8; 45] {
    let mut k = [0u8; 45];
    k[0] = P_FIN_STEP;
    k[1..33].copy_from_slice(&asset.0);
    k[33..41].copy_from_slice(&height.to_be_bytes());
    k[41..].copy_from_slice(&index.to_be_bytes());
    k
}

fn refusal_key(r: &LightRefusal) -> Vec<u8> {
    [
        &[P_REFUSAL][..],
        &r.receipt.0,
        &r.height.to_be_bytes(),
        &r.index.to_be_bytes(),
        r.item.as_bytes(),
    ]
    .concat()
}

/// An attempt to move, pack or transform goods a receipt pledges that the chain refused
/// (`PLEDGED`), from a block checked against its certified header.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LightRefusal {
    /// The receipt that pledges the goods.
    pub receipt: Hash32,
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// Block time, unix ms.
    pub time_ms: i64,
    /// Who signed the attempt.
    pub signer: PublicKey,
    /// Its step (payload type name).
    pub step: String,
    /// The pledged goods' canonical key.
    pub item: String,
    /// The chain's message.
    pub message: String,
}

/// A finance step of an asset the followed org is a party of, from a block checked
/// against its certified header.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LightStep {
    /// The asset (receivable or warehouse receipt) the step wrote.
    pub asset: Hash32,
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// Block time, unix ms.
    pub time_ms: i64,
    /// The signed transaction as the block carried it (`SignedTx::encode`).
    pub tx: Vec<u8>,
}

/// A transaction signed by one of the followed org's keys, from a block checked against
/// its certified header.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LightOwnTx {
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// Block time, unix ms.
    pub time_ms: i64,
    /// The signed transaction as the block carried it (`SignedTx::encode`).
    pub tx: Vec<u8>,
    /// Rejection code, when a ledger rule refused it.
    pub rejected: Option<String>,
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
    /// Those signed by one of the org's keys, as the block carried them.
    pub own: Vec<LightOwnTx>,
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
        if self.followed()? == Some(*org) && self.index_has_finance()? && self.index_has_epcis()? {
            return Ok(());
        }
        let mut b = sled::Batch::default();
        for p in [
            P_RECORD,
            P_ACTIVITY,
            P_FIN_STEP,
            P_REFUSAL,
            P_OWN_TX,
            stock::P_STOCK,
            stock::P_CONTRIB,
        ] {
            for kv in self.db.scan_prefix([p]) {
                b.remove(kv?.0);
            }
        }
        // Pruned headers are read again from genesis for the new org's index.
        self.resync_headers(&mut b)?;
        b.insert(K_ORG, &org.0[..]);
        b.insert(K_FINANCE, &[FINANCE_LAYOUT][..]);
        b.insert(K_EPCIS, &[EPCIS_LAYOUT][..]);
        b.insert(K_INDEXED, &0u64.to_be_bytes()[..]);
        b.insert(K_INDEXED_AT, &0i64.to_be_bytes()[..]);
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// Whether the index was started with the current finance layout
    /// ([`FINANCE_LAYOUT`]). One started before lacks the steps, or the goods and
    /// handoffs behind the assets, of the blocks it indexed, so
    /// [`LightStore::set_followed`] starts it again from genesis rather than show an
    /// asset without its history or its collateral.
    pub fn index_has_finance(&self) -> LightResult<bool> {
        match self.db.get(K_FINANCE)? {
            None => Ok(false),
            Some(v) if v.as_ref() == [FINANCE_LAYOUT] => Ok(true),
            Some(v) if v.len() == 1 && v[0] < FINANCE_LAYOUT => Ok(false),
            Some(_) => Err(LightStoreError::Corrupt("finance index mark")),
        }
    }

    /// Whether the index keeps the org's own transactions ([`EPCIS_LAYOUT`]). One
    /// started before lacks those of the blocks it indexed, so
    /// [`LightStore::set_followed`] starts it again from genesis rather than export part
    /// of the org's events.
    pub fn index_has_epcis(&self) -> LightResult<bool> {
        match self.db.get(K_EPCIS)? {
            None => Ok(false),
            Some(v) if v.as_ref() == [EPCIS_LAYOUT] => Ok(true),
            Some(_) => Err(LightStoreError::Corrupt("epcis index mark")),
        }
    }

    /// The org's own transactions the index holds (of block `height` only, when given),
    /// in chain order. One whose key does not match its place is `Corrupt`.
    pub fn own_txs(&self, height: Option<u64>) -> LightResult<Vec<LightOwnTx>> {
        let prefix = match height {
            Some(h) => [&[P_OWN_TX][..], &h.to_be_bytes()].concat(),
            None => vec![P_OWN_TX],
        };
        let mut out = Vec::new();
        for kv in self.db.scan_prefix(prefix) {
            let (k, v) = kv?;
            let t: LightOwnTx = decode(&v, "own transaction")?;
            if k.as_ref() != own_tx_key(t.height, t.index) {
                return Err(LightStoreError::Corrupt("own transaction"));
            }
            out.push(t);
        }
        Ok(out)
    }

    /// Every org record in the index (the org's own and those it dealt with), key order.
    pub fn indexed_orgs(&self) -> LightResult<Vec<handoff_core::state::OrgRecord>> {
        self.indexed_of(b'o', "indexed org", |r| match r {
            Record::Org(o) => Some(o),
            _ => None,
        })
    }

    /// Every present record the index holds under state keys of one kind (`tag`: the
    /// first byte of their encoding), key order, each picked by `pick`. A row that does
    /// not decode, or holds a record of another kind, is `Corrupt` (`what`), never
    /// skipped; proven absences are left out.
    fn indexed_of<T>(
        &self,
        tag: u8,
        what: &'static str,
        pick: impl Fn(Record) -> Option<T>,
    ) -> LightResult<Vec<T>> {
        let mut out = Vec::new();
        for kv in self.db.scan_prefix([P_RECORD, tag]) {
            let (_, v) = kv?;
            let i: Indexed = decode(&v, "indexed record")?;
            let Some(bytes) = i.value else { continue };
            let r = Record::decode(&bytes).ok_or(LightStoreError::Corrupt(what))?;
            out.push(pick(r).ok_or(LightStoreError::Corrupt(what))?);
        }
        Ok(out)
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
        self.index_block_with_steps(block, &[])
    }

    /// [`LightStore::index_block`] with the finance steps of the org's assets in the
    /// block, in the same durable batch.
    pub fn index_block_with_steps(
        &self,
        block: &IndexedBlock,
        steps: &[LightStep],
    ) -> LightResult<()> {
        self.index_block_with_finance(block, steps, &[])
    }

    /// [`LightStore::index_block_with_steps`] with the refused moves of goods the org's
    /// receipts pledge, in the same durable batch.
    pub fn index_block_with_finance(
        &self,
        block: &IndexedBlock,
        steps: &[LightStep],
        refusals: &[LightRefusal],
    ) -> LightResult<()> {
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
        for t in &block.own {
            if t.height != block.height {
                return Err(LightStoreError::Corrupt("own transaction of another block"));
            }
            b.insert(
                &own_tx_key(t.height, t.index)[..],
                encode(t, "own transaction")?,
            );
        }
        for st in steps {
            if st.height != block.height {
                return Err(LightStoreError::Corrupt("finance step of another block"));
            }
            b.insert(
                &step_key(&st.asset, st.height, st.index)[..],
                encode(st, "finance step")?,
            );
        }
        for r in refusals {
            if r.height != block.height {
                return Err(LightStoreError::Corrupt("refused move of another block"));
            }
            b.insert(refusal_key(r), encode(r, "refused move")?);
        }
        b.insert(K_INDEXED, &block.height.to_be_bytes()[..]);
        b.insert(K_INDEXED_AT, &now_ms().to_be_bytes()[..]);
        self.db.apply_batch(b)?;
        self.durable.flush(&self.db)?;
        Ok(())
    }

    /// The refused moves of goods `receipt` pledges that the index holds, oldest first.
    pub fn refusals(&self, receipt: &Hash32) -> LightResult<Vec<LightRefusal>> {
        let mut out = Vec::new();
        for kv in self.db.scan_prefix([&[P_REFUSAL][..], &receipt.0].concat()) {
            let (k, v) = kv?;
            let r: LightRefusal = decode(&v, "refused move")?;
            if k.as_ref() != refusal_key(&r).as_slice() {
                return Err(LightStoreError::Corrupt("refused move"));
            }
            out.push(r);
        }
        Ok(out)
    }

    /// The time of block `height` when the index holds a transaction of it (`None`:
    /// it holds none).
    pub fn activity_time(&self, height: u64) -> LightResult<Option<i64>> {
        match self
            .db
            .scan_prefix([&[P_ACTIVITY][..], &height.to_be_bytes()].concat())
            .next()
        {
            Some(kv) => {
                let (_, v) = kv?;
                let a: LightActivity = decode(&v, "activity")?;
                Ok(Some(a.time_ms))
            }
            None => Ok(None),
        }
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
        self.indexed_of(b'h', "indexed handoff", |r| match r {
            Record::Handoff(h) => Some(h),
            _ => None,
        })
    }

    /// Every product record in the index (the org's own and those of goods it handled).
    pub fn indexed_products(&self) -> LightResult<Vec<ProductRecord>> {
        self.indexed_of(b'p', "indexed product", |r| match r {
            Record::Product(p) => Some(p),
            _ => None,
        })
    }

    /// Every finance asset in the index (receivables and warehouse receipts the org is
    /// or was a party of), id order. A record there of another kind, or one that does
    /// not decode, is `Corrupt`, never skipped.
    pub fn indexed_assets(&self) -> LightResult<Vec<Record>> {
        let tag = StateKey::Asset(Hash32([0; 32])).to_bytes()[0];
        self.indexed_of(tag, "indexed finance asset", |r| match r {
            r @ (Record::Receivable(_) | Record::Receipt(_)) => Some(r),
            _ => None,
        })
    }

    /// The finance steps of `asset` the index holds, oldest first.
    pub fn finance_steps(&self, asset: &Hash32) -> LightResult<Vec<LightStep>> {
        let mut out = Vec::new();
        for kv in self.db.scan_prefix([&[P_FIN_STEP][..], &asset.0].concat()) {
            let (k, v) = kv?;
            let st: LightStep = decode(&v, "finance step")?;
            if k.as_ref() != step_key(&st.asset, st.height, st.index) {
                return Err(LightStoreError::Corrupt("finance step"));
            }
            out.push(st);
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

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_core::block::Genesis;
    use handoff_core::crypto::Keypair;
    use handoff_core::state::{ReceiptRecord, ReceiptStatus, SealKeyRecord};

    fn store() -> (tempfile::TempDir, LightStore) {
        let tmp = tempfile::tempdir().expect("tmp");
        let g = Genesis {
            name: "light finance index test".into(),
            time_ms: 1,
            validators: vec![Keypair::from_secret([1; 32]).public()],
            orgs: vec![],
        };
        let s = LightStore::create(tmp.path(), &g).expect("created");
        (tmp, s)
    }

    fn org(i: u8) -> PublicKey {
        Keypair::from_secret([i; 32]).public()
    }

    fn receipt(id: u8, status: ReceiptStatus, height: u64) -> Record {
        Record::Receipt(ReceiptRecord {
            id: Hash32([id; 32]),
            warehouse: org(40),
            owner: org(41),
            lender: Some(org(42)),
            goods: vec![],
            released: vec![],
            status,
            issued_height: 3,
            updated_height: height,
            lots: vec![],
        })
    }

    fn step(asset: u8, height: u64, index: u32) -> LightStep {
        LightStep {
            asset: Hash32([asset; 32]),
            height,
            index,
            time_ms: height as i64 * 1_000,
            tx: vec![asset, height as u8, index as u8],
        }
    }

    fn block(height: u64, records: Vec<(StateKey, Option<Record>)>) -> IndexedBlock {
        IndexedBlock {
            height,
            records,
            ..IndexedBlock::default()
        }
    }

    #[test]
    fn an_assets_record_and_steps_are_kept_per_block_and_read_back_in_chain_order() {
        let (_tmp, s) = store();
        s.set_followed(&org(41)).expect("followed");
        assert!(s.index_has_finance().expect("mark"));
        let a = StateKey::Asset(Hash32([7; 32]));
        let seal = StateKey::SealKey(org(42));
        let sk = Record::SealKey(SealKeyRecord {
            key: [9; 32],
            set_height: 2,
        });
        let b3 = block(
            3,
            vec![
                (a.clone(), Some(receipt(7, ReceiptStatus::Issued, 3))),
                (seal.clone(), Some(sk.clone())),
            ],
        );
        s.index_block_with_steps(&b3, &[step(7, 3, 0)])
            .expect("block 3");
        let b5 = block(
            5,
            vec![(a.clone(), Some(receipt(7, ReceiptStatus::Pledged, 5)))],
        );
        s.index_block_with_steps(&b5, &[step(7, 5, 2), step(7, 5, 1)])
            .expect("block 5");
        // Another asset's step is not this one's.
        let b6 = block(6, vec![]);
        s.index_block_with_steps(&b6, &[step(8, 6, 0)])
            .expect("block 6");
        assert_eq!(
            s.finance_steps(&Hash32([7; 32])).expect("steps"),
            vec![step(7, 3, 0), step(7, 5, 1), step(7, 5, 2)]
        );
        assert_eq!(s.finance_steps(&Hash32([9; 32])).expect("none"), vec![]);
        // The record as of the newest block that read it, beside its party's seal key.
        assert_eq!(
            s.indexed_assets().expect("assets"),
            vec![receipt(7, ReceiptStatus::Pledged, 5)]
        );
        assert_eq!(
            s.indexed(&seal).expect("read").and_then(|i| i.value),
            Some(sk.encode())
        );
        assert_eq!(s.freshness().expect("fresh").height, 6);
    }

    #[test]
    fn a_step_of_another_block_is_refused_and_nothing_of_the_block_is_written() {
        let (_tmp, s) = store();
        s.set_followed(&org(41)).expect("followed");
        let a = StateKey::Asset(Hash32([7; 32]));
        let b = block(
            4,
            vec![(a.clone(), Some(receipt(7, ReceiptStatus::Issued, 4)))],
        );
        assert!(matches!(
            s.index_block_with_steps(&b, &[step(7, 3, 0)]),
            Err(LightStoreError::Corrupt(_))
        ));
        assert!(!s.has_indexed(&a).expect("read"));
        assert_eq!(s.freshness().expect("fresh").height, 0);
    }

    #[test]
    fn damaged_finance_bytes_are_corrupt_never_an_empty_list() {
        let (_tmp, s) = store();
        s.set_followed(&org(41)).expect("followed");
        let a = StateKey::Asset(Hash32([7; 32]));
        let b = block(
            3,
            vec![(a.clone(), Some(receipt(7, ReceiptStatus::Issued, 3)))],
        );
        s.index_block_with_steps(&b, &[step(7, 3, 0)])
            .expect("block");
        // A step whose bytes do not decode.
        s.put_raw(&step_key(&Hash32([7; 32]), 3, 0), b"\xff");
        assert!(matches!(
            s.finance_steps(&Hash32([7; 32])),
            Err(LightStoreError::Corrupt(_))
        ));
        // A step filed under another asset than it names.
        let moved = encode(&step(7, 3, 0), "step").expect("encode");
        s.put_raw(&step_key(&Hash32([7; 32]), 3, 0), &moved);
        s.put_raw(&step_key(&Hash32([6; 32]), 3, 0), &moved);
        assert!(matches!(
            s.finance_steps(&Hash32([6; 32])),
            Err(LightStoreError::Corrupt(_))
        ));
        // Another kind of record under an asset key.
        let other = Indexed {
            height: 3,
            value: Some(
                Record::SealKey(SealKeyRecord {
                    key: [1; 32],
                    set_height: 1,
                })
                .encode(),
            ),
        };
        s.put_raw(&record_key(&a), &encode(&other, "rec").expect("encode"));
        assert!(matches!(
            s.indexed_assets(),
            Err(LightStoreError::Corrupt(_))
        ));
        s.put_raw(&record_key(&a), b"\x01\x02");
        assert!(matches!(
            s.indexed_assets(),
            Err(LightStoreError::Corrupt(_))
        ));
    }

    #[test]
    fn an_index_made_before_finance_steps_or_for_another_org_starts_again() {
        let (_tmp, s) = store();
        s.set_followed(&org(41)).expect("followed");
        let a = StateKey::Asset(Hash32([7; 32]));
        let b = block(
            3,
            vec![(a.clone(), Some(receipt(7, ReceiptStatus::Issued, 3)))],
        );
        s.index_block_with_steps(&b, &[step(7, 3, 0)])
            .expect("block");
        // The same org again: nothing changes.
        s.set_followed(&org(41)).expect("followed");
        assert_eq!(s.finance_steps(&Hash32([7; 32])).expect("steps").len(), 1);
        // An index written before this version has no mark: following its org again
        // starts it from genesis, so no asset is shown without its steps.
        s.db.insert(K_FINANCE, &[1u8][..]).expect("older layout");
        assert!(!s.index_has_finance().expect("mark"));
        s.db.remove(K_FINANCE).expect("remove");
        assert!(!s.index_has_finance().expect("mark"));
        s.set_followed(&org(41)).expect("followed");
        assert!(s.index_has_finance().expect("mark"));
        assert_eq!(s.freshness().expect("fresh").height, 0);
        assert!(s.indexed_assets().expect("assets").is_empty());
        assert!(s.finance_steps(&Hash32([7; 32])).expect("steps").is_empty());
        // Another org's index holds none of the first one's steps.
        s.index_block_with_steps(&b, &[step(7, 3, 0)])
            .expect("block");
        s.set_followed(&org(40)).expect("followed");
        assert!(s.finance_steps(&Hash32([7; 32])).expect("steps").is_empty());
    }

    fn own(height: u64, index: u32) -> LightOwnTx {
        LightOwnTx {
            height,
            index,
            time_ms: height as i64 * 1000,
            tx: vec![height as u8, index as u8],
            rejected: None,
        }
    }

    #[test]
    fn the_orgs_own_transactions_are_kept_with_their_block_and_an_older_index_starts_again() {
        let (_tmp, s) = store();
        s.set_followed(&org(41)).expect("followed");
        assert!(s.index_has_epcis().expect("mark"));
        for (h, txs) in [(3, vec![own(3, 1), own(3, 0)]), (5, vec![own(5, 2)])] {
            let b = IndexedBlock {
                height: h,
                own: txs,
                ..IndexedBlock::default()
            };
            s.index_block(&b).expect("block");
        }
        assert_eq!(
            s.own_txs(None).expect("all"),
            vec![own(3, 0), own(3, 1), own(5, 2)]
        );
        assert_eq!(s.own_txs(Some(5)).expect("block 5"), vec![own(5, 2)]);
        assert_eq!(s.own_txs(Some(4)).expect("block 4"), vec![]);
        // One of another block is refused, and nothing of its block is written.
        let wrong = IndexedBlock {
            height: 6,
            own: vec![own(7, 0)],
            ..IndexedBlock::default()
        };
        assert!(matches!(
            s.index_block(&wrong),
            Err(LightStoreError::Corrupt(_))
        ));
        assert_eq!(s.freshness().expect("fresh").height, 5);
        // Damaged bytes are a fault, never fewer events.
        s.db.insert(own_tx_key(5, 2), &[0xff][..]).expect("damage");
        assert!(s.own_txs(None).is_err());
        // An index made before own transactions were kept has no mark: following its
        // org again starts it from genesis, so no export misses the events before.
        s.db.remove(K_EPCIS).expect("remove");
        assert!(!s.index_has_epcis().expect("mark"));
        s.set_followed(&org(41)).expect("followed");
        assert!(s.index_has_epcis().expect("mark"));
        assert_eq!(s.freshness().expect("fresh").height, 0);
        assert!(s.own_txs(None).expect("none").is_empty());
    }
}
