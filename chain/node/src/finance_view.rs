//! What a lender (or any party) reads of its finance assets, computed by the node from the
//! chain: each asset's trade evidence matched line by line, its alerts, the portfolio's
//! exposure, payment ageing, counterparty records and status over time, and files for the
//! lender's records (evidence pack, portfolio CSV).
//!
//! Everything here is read from the store; two node-local notes help:
//! - attempts this node refused because the goods were pledged (the chain has no trace of
//!   a refused transaction, so a lender sees the attempts that reached its own node);
//! - a memo per org and asset of what its sealed terms say and when its status changed:
//!   opening the boxes means decoding every step of the asset, which is the expensive
//!   part of a portfolio. The memo is valid while the asset has no newer step and is
//!   recomputed from the chain otherwise. A portfolio reads the org's memos in one scan
//!   and recomputes its stale ones in batches, reading each block that holds their steps
//!   once per batch and opening the boxes on every core.

use crate::api::R;
use crate::error::CliError;
use crate::finance::{Asset, Known, Step, bad, hash_id, read_asset, status_name};
use crate::identity::Identity;
use crate::ledger::{Ledger, Receipt};
use crate::pdfdoc::{PdfBlock, PdfDoc};
use borsh::{BorshDeserialize, BorshSerialize};
use handoff_api::{
    FinanceAlertView, FinanceAmountView, FinanceBucketView, FinanceCounterpartyView,
    FinanceDocView, FinanceEvidenceLineView, FinanceEvidenceResponse, FinanceExportRequest,
    FinanceExportResponse, FinanceExposureView, FinanceGoodView, FinancePortfolioRequest,
    FinancePortfolioResponse, FinancePortfolioRowView, FinanceStatusCountView,
    FinanceStatusDayView, IndexFreshness,
};
use handoff_core::apply::{pledge_subjects, resolve_custody};
use handoff_core::certify::DocKind;
use handoff_core::crypto::Keypair;
use handoff_core::finance::{self, commit};
use handoff_core::gs1::Gs1Key;
use handoff_core::rejection::Code;
use handoff_core::state::{
    HandoffRecord, HandoffStatus, Holder, ItemRecord, ItemStatus, PledgeLock, ProductRecord,
    ReceiptRecord, ReceiptStatus, ReceivableRecord, ReceivableStatus, Record, StateKey, StateRead,
    StateReadExt,
};
use handoff_core::tx::{Entry, Payload, RecallScope, ReceiptOp, ReceivableOp, SignedTx};
use handoff_core::types::{Hash32, PublicKey};
use handoff_store::Deliveries;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const DAY_MS: i64 = 86_400_000;
/// Node-local notes: refused attempts on pledged goods, `r` + receipt + height + tx + goods.
const LOCAL_REFUSAL: u8 = b'r';
/// Node-local notes: the memo of an asset for an org, `m` + org + asset.
const LOCAL_MEMO: u8 = b'm';
/// The memo's layout; another is recomputed, never misread.
const MEMO_VERSION: u8 = 1;
/// Ageing buckets, in order.
pub const BUCKETS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "90+"];

fn fault(what: String) -> CliError {
    CliError::Other(anyhow::anyhow!(what))
}

// ---------------------------------------------------------------- where views read

/// What the lender's views read beyond the books ([`crate::finance::Books`]: the assets,
/// their records and steps): a full node's store and node-local notes
/// ([`Ledger`]), or a light node's verified index and proven reads
/// (`crate::light::finance::LightBooks`). Evidence, portfolio and export are written once
/// against this.
pub(crate) trait View: crate::finance::Books {
    /// What the chain says now of handoffs, documents, goods, orgs and products: a full
    /// node's store; a light node's records proven at its newest certified header, or its
    /// index as of its last block with no peer. A record that cannot be read or verified
    /// is an error, never absent.
    fn now(&self) -> &dyn StateRead;
    /// The height the assets are read as of.
    fn height(&self) -> R<u64>;
    /// The time of block `height` (`None`: this node does not know it).
    fn block_time(&self, height: u64) -> R<Option<i64>>;
    /// The memos of `assets` for `me`, in their order (see [`compute_memo`]).
    fn memos(&self, me: &Keypair, assets: &[(Hash32, Asset)]) -> R<Vec<Memo>>;
    /// The refused attempts to move the goods `receipt` pledges that this node noted.
    fn refusals(&self, receipt: &Hash32) -> R<Vec<Refusal>>;
    /// How the handoffs `org` sent closed, and which of them are counted (`None`: all).
    fn deliveries(&self, org: &PublicKey) -> R<(Deliveries, Option<String>)>;
    /// The chain a file was read from (chain id, height, block hash, state root, time).
    fn anchor(&self) -> R<serde_json::Value>;
    /// A light node's freshness and the header its proven reads were made at.
    fn light(&self) -> R<(Option<IndexFreshness>, Option<u64>)>;
}

impl View for Ledger {
    fn now(&self) -> &dyn StateRead {
        &self.store
    }
    fn height(&self) -> R<u64> {
        Ok(self.store.height())
    }
    fn block_time(&self, height: u64) -> R<Option<i64>> {
        Ok(Some(
            self.store
                .header(height)?
                .ok_or_else(|| fault(format!("block {height} is missing from the store")))?
                .time_ms,
        ))
    }
    fn memos(&self, me: &Keypair, assets: &[(Hash32, Asset)]) -> R<Vec<Memo>> {
        match assets {
            [(id, asset)] => Ok(vec![memo(self, me, id, asset)?]),
            _ => memos_of(self, me, assets),
        }
    }
    fn refusals(&self, receipt: &Hash32) -> R<Vec<Refusal>> {
        refusals(self, receipt)
    }
    fn deliveries(&self, org: &PublicKey) -> R<(Deliveries, Option<String>)> {
        Ok((self.store.deliveries(org)?, None))
    }
    fn anchor(&self) -> R<serde_json::Value> {
        let head = self.store.tip()?;
        Ok(anchor_of(&self.chain_id(), &head))
    }
    fn light(&self) -> R<(Option<IndexFreshness>, Option<u64>)> {
        Ok((None, None))
    }
}

/// The chain a file was read from: what lets a reader check it against the chain later.
pub(crate) fn anchor_of(
    chain: &Hash32,
    head: &handoff_core::block::BlockHeader,
) -> serde_json::Value {
    serde_json::json!({
        "chain_id": chain.to_hex(),
        "height": head.height,
        "block": head.hash().to_hex(),
        "state_root": head.state_root.to_hex(),
        "time_ms": head.time_ms,
    })
}

/// Evidence, portfolio and export: whether `req` is one of them.
#[cfg(feature = "p2p")]
pub(crate) fn view_op(req: &handoff_api::Request) -> bool {
    use handoff_api::Request as Q;
    matches!(
        req,
        Q::FinanceEvidence(_) | Q::FinancePortfolio(_) | Q::FinanceExport(_)
    )
}

/// Answers a [`view_op`] over `v` as `signer` (for the caller's org only: an
/// unauthenticated caller is refused).
pub(crate) fn run(
    v: &dyn View,
    signer: &dyn Fn() -> R<Identity>,
    authenticated: bool,
    req: handoff_api::Request,
) -> R<handoff_api::Response> {
    use handoff_api::{ApiError, Request as Q, Response as A};
    if !authenticated {
        return Err(ApiError::unauthorized().into());
    }
    let me = &signer()?;
    Ok(match req {
        Q::FinanceEvidence(r) => A::FinanceEvidence(evidence(v, me, &r.id)?),
        Q::FinancePortfolio(r) => A::FinancePortfolio(portfolio(v, me, &r)?),
        Q::FinanceExport(r) => A::FinanceExport(export(v, me, &r)?),
        other => {
            return Err(fault(format!("`{}` is not a finance view", other.op())));
        }
    })
}

// ---------------------------------------------------------------- refused attempts

/// An attempt to move pledged goods that the chain refused.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub(crate) struct Refusal {
    pub(crate) time_ms: i64,
    pub(crate) signer: PublicKey,
    pub(crate) step: String,
    pub(crate) item: String,
    pub(crate) message: String,
}

/// Notes each transaction that a pledge refused, under the receipt that pledges its goods,
/// so the lender's view shows the attempt. A refused move is in its block (its outcome
/// says `PLEDGED`), so every full node notes it as it commits that block
/// ([`note_refused_in_block`]), the lender's among them; the node that submitted it also
/// notes it from its receipts. Keys are made of the block, the transaction and the goods,
/// so the same attempt noted twice is one note.
pub(crate) fn note_refused_moves(ledger: &Ledger, txs: &[SignedTx], receipts: &[Receipt]) -> R<()> {
    for rc in receipts {
        let Err(rej) = &rc.result else { continue };
        if rej.code != Code::Pledged {
            continue;
        }
        let Some(tx) = txs.iter().find(|t| t.id() == rc.tx) else {
            continue;
        };
        // When the chain recorded the attempt: its block's time (this machine's clock
        // only for a refusal that no block holds).
        let (height, time_ms) = match rc.height {
            Some(h) => match ledger.store.header(h)? {
                Some(header) => (h, header.time_ms),
                None => {
                    return Err(fault(format!(
                        "block {h} of a refused move is not in this node's store"
                    )));
                }
            },
            None => (u64::MAX, crate::ledger::now_ms()),
        };
        for k in pledge_subjects(&tx.body.payload) {
            let receipts = match ledger.store.read(&StateKey::PledgeLock(k.canonical()))? {
                Some(Record::PledgeLock(PledgeLock {
                    receipt,
                    pledged: true,
                })) => vec![receipt],
                Some(Record::LotPledges(v)) => v.iter().map(|p| p.receipt).collect(),
                _ => continue,
            };
            for receipt in receipts {
                let note = Refusal {
                    time_ms,
                    signer: tx.body.signer,
                    step: tx.body.payload.type_name().to_string(),
                    item: k.canonical(),
                    message: rej.message.clone(),
                };
                let mut key = vec![LOCAL_REFUSAL];
                key.extend_from_slice(&receipt.0);
                key.extend_from_slice(&height.to_be_bytes());
                key.extend_from_slice(&rc.tx.0);
                key.extend_from_slice(k.canonical().as_bytes());
                ledger
                    .store
                    .local_put(&key, &borsh::to_vec(&note).unwrap_or_default())?;
            }
        }
    }
    Ok(())
}

/// Notes the refused moves of pledged goods in a block this node committed (its own,
/// another validator's, or one fetched to catch up), from the block's transactions and
/// their receipts.
#[cfg(feature = "p2p")]
pub(crate) fn note_refused_in_block(
    ledger: &Ledger,
    block: &handoff_core::block::Block,
    receipts: &[Receipt],
) -> R<()> {
    if !receipts
        .iter()
        .any(|r| matches!(&r.result, Err(e) if e.code == Code::Pledged))
    {
        return Ok(());
    }
    let mut txs = Vec::new();
    for bytes in &block.txs {
        let tx = SignedTx::decode(bytes).map_err(|e| {
            fault(format!(
                "a transaction of committed block {} does not decode: {e}",
                block.header.height
            ))
        })?;
        if !pledge_subjects(&tx.body.payload).is_empty() {
            txs.push(tx);
        }
    }
    note_refused_moves(ledger, &txs, receipts)
}

fn refusals(ledger: &Ledger, receipt: &Hash32) -> R<Vec<Refusal>> {
    let mut prefix = vec![LOCAL_REFUSAL];
    prefix.extend_from_slice(&receipt.0);
    ledger
        .store
        .local_scan(&prefix)?
        .into_iter()
        .map(|(_, v)| {
            borsh::from_slice(&v).map_err(|_| {
                fault(format!(
                    "a refusal note of receipt {} is unreadable",
                    receipt.short()
                ))
            })
        })
        .collect()
}

// ---------------------------------------------------------------- the memo

/// What an org's node read of an asset's sealed terms, and its status history.
#[derive(Clone, Debug, Default, BorshSerialize, BorshDeserialize)]
pub(crate) struct Memo {
    version: u8,
    /// The asset's last step when computed.
    updated_height: u64,
    /// Whether any terms were sealed to the org.
    opened: bool,
    invoice: Option<String>,
    face: Option<u64>,
    outstanding: Option<u64>,
    paid: u64,
    diluted: u64,
    consistent: bool,
    /// Status after each step that changed it, with the block time.
    statuses: Vec<(String, i64)>,
}

fn memo_key(org: &PublicKey, asset: &Hash32) -> Vec<u8> {
    [&[LOCAL_MEMO][..], &org.0, &asset.0].concat()
}

/// The status an asset has after `p`, when `p` changes it. `released`/`total` track a
/// receipt's releases (a partial release leaves it pledged).
fn status_after(
    p: &Payload,
    asset: &Hash32,
    released: &mut usize,
    total: usize,
) -> Option<&'static str> {
    match p {
        Payload::Receivable(op) => match op {
            ReceivableOp::Issue { .. } => Some("issued"),
            ReceivableOp::Split { receivable, .. } if receivable != asset => Some("confirmed"),
            ReceivableOp::Confirm { .. } => Some("confirmed"),
            ReceivableOp::RequestFinance { .. } => Some("finance_requested"),
            ReceivableOp::Offer { .. } => Some("offered"),
            ReceivableOp::AcceptOffer { .. } => Some("offer_accepted"),
            ReceivableOp::Fund { .. } => Some("funded"),
            ReceivableOp::MarkOverdue { .. } => Some("overdue"),
            ReceivableOp::Default { .. } => Some("defaulted"),
            ReceivableOp::WriteOff { .. } => Some("written_off"),
            ReceivableOp::Settle { .. } => Some("settled"),
            _ => None,
        },
        Payload::Receipt(op) => match op {
            ReceiptOp::Issue { .. } => Some("issued"),
            ReceiptOp::Pledge { .. } => Some("pledge_offered"),
            ReceiptOp::AcceptPledge { .. } => Some("pledged"),
            ReceiptOp::Release { goods, .. } => {
                *released = if goods.is_empty() {
                    total
                } else {
                    (*released + goods.len()).min(total)
                };
                (*released == total).then_some("released")
            }
            ReceiptOp::Enforce { .. } => Some("enforced"),
        },
        _ => None,
    }
}

pub(crate) fn compute_memo(me: &Keypair, id: &Hash32, asset: &Asset, steps: &[Step]) -> Memo {
    let (updated_height, total) = match asset {
        Asset::Receivable(r) => (r.updated_height, 0),
        Asset::Receipt(r) => (r.updated_height, r.goods.len() + r.lots.len()),
    };
    let mut released = 0;
    let statuses = steps
        .iter()
        .filter_map(|(_, time, tx)| {
            status_after(&tx.body.payload, id, &mut released, total).map(|s| (s.to_string(), *time))
        })
        .collect();
    let mut m = Memo {
        version: MEMO_VERSION,
        updated_height,
        statuses,
        consistent: true,
        ..Memo::default()
    };
    if let Asset::Receivable(r) = asset {
        let k = crate::finance::known(id, me, steps);
        apply_terms(&mut m, r, &k);
    }
    m
}

fn apply_terms(m: &mut Memo, r: &ReceivableRecord, k: &Known) {
    let Some(t) = crate::finance::terms_view(r, k) else {
        return;
    };
    m.opened = true;
    m.invoice = t.invoice;
    m.face = k
        .openings
        .get("face")
        .filter(|o| commit(o).ok() == Some(r.face))
        .map(|o| o.amount);
    m.outstanding = t.outstanding_minor;
    m.paid = k.paid;
    m.diluted = k.diluted;
    m.consistent = t.consistent;
}

/// The memo of `asset` for `me`: the stored one while the asset has no newer step, else
/// computed from the chain and stored.
fn memo(ledger: &Ledger, me: &Keypair, id: &Hash32, asset: &Asset) -> R<Memo> {
    let updated = updated_height(asset);
    let key = memo_key(&me.public(), id);
    if let Some(v) = ledger.store.local_get(&key)?
        && let Ok(m) = Memo::try_from_slice(&v)
        && m.version == MEMO_VERSION
        && m.updated_height == updated
    {
        return Ok(m);
    }
    let steps = crate::finance::steps(ledger, id)?;
    let m = compute_memo(me, id, asset, &steps);
    ledger
        .store
        .local_put(&key, &borsh::to_vec(&m).unwrap_or_default())?;
    Ok(m)
}

/// Stale memos are computed this many assets at a time: the steps of one batch are held
/// in memory while its memos are computed.
const MEMO_BATCH: usize = 2048;

fn updated_height(asset: &Asset) -> u64 {
    match asset {
        Asset::Receivable(r) => r.updated_height,
        Asset::Receipt(r) => r.updated_height,
    }
}

/// The memos of many of `me`'s assets, in their order: the stored ones still valid, read
/// in one scan of the org's memos; the others computed from the chain (each batch's
/// blocks read once, its boxes opened on every core) and stored. What [`memo`] answers
/// for one asset.
fn memos_of(ledger: &Ledger, me: &Keypair, assets: &[(Hash32, Asset)]) -> R<Vec<Memo>> {
    let org = me.public();
    let prefix = [&[LOCAL_MEMO][..], &org.0].concat();
    let mut stored: HashMap<Hash32, Memo> = HashMap::new();
    for (k, v) in ledger.store.local_scan(&prefix)? {
        let Some(id) = k
            .get(prefix.len()..)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
        else {
            continue;
        };
        if let Ok(m) = Memo::try_from_slice(&v)
            && m.version == MEMO_VERSION
        {
            stored.insert(Hash32(id), m);
        }
    }
    let mut out: Vec<Option<Memo>> = assets
        .iter()
        .map(|(id, a)| {
            stored
                .remove(id)
                .filter(|m| m.updated_height == updated_height(a))
        })
        .collect();
    let stale: Vec<usize> = (0..assets.len()).filter(|i| out[*i].is_none()).collect();
    for batch in stale.chunks(MEMO_BATCH) {
        let ids: Vec<Hash32> = batch.iter().map(|i| assets[*i].0).collect();
        let steps = steps_of_many(ledger, &ids)?;
        let computed: Vec<Memo> = batch
            .par_iter()
            .zip(steps.par_iter())
            .map(|(i, s)| compute_memo(me, &assets[*i].0, &assets[*i].1, s))
            .collect();
        for (i, m) in batch.iter().zip(computed) {
            ledger.store.local_put(
                &memo_key(&org, &assets[*i].0),
                &borsh::to_vec(&m).unwrap_or_default(),
            )?;
            out[*i] = Some(m);
        }
    }
    out.into_iter()
        .zip(assets)
        .map(|(m, (id, _))| {
            m.ok_or_else(|| fault(format!("no memo of {} was computed", id.short())))
        })
        .collect()
}

/// The committed steps of many assets, oldest first for each (what
/// [`crate::finance::steps`] answers for one), reading each block that holds any of them
/// once.
fn steps_of_many(ledger: &Ledger, ids: &[Hash32]) -> R<Vec<Vec<Step>>> {
    // Block height → (index in the block, tx id, asset, step) of every step wanted there.
    let mut wanted: BTreeMap<u64, Vec<(u32, Hash32, usize, usize)>> = BTreeMap::new();
    let mut out: Vec<Vec<Option<Step>>> = Vec::with_capacity(ids.len());
    for (a, id) in ids.iter().enumerate() {
        let locs = ledger.store.finance_steps(id)?;
        for (s, (loc, tx)) in locs.iter().enumerate() {
            wanted
                .entry(loc.height)
                .or_default()
                .push((loc.index, *tx, a, s));
        }
        out.push((0..locs.len()).map(|_| None).collect());
    }
    for (height, txs) in wanted {
        let b = ledger.store.block(height)?.ok_or_else(|| {
            fault(format!(
                "block {height} of a finance step is missing from the store"
            ))
        })?;
        for (index, id, a, s) in txs {
            let tx = b
                .txs
                .get(index as usize)
                .and_then(|w| SignedTx::decode(w).ok())
                .filter(|t| t.id() == id)
                .ok_or_else(|| {
                    fault(format!(
                        "finance step {} of {} does not read back from block {height}",
                        id.short(),
                        ids[a].short()
                    ))
                })?;
            out[a][s] = Some((height, b.header.time_ms, tx));
        }
    }
    out.into_iter()
        .zip(ids)
        .map(|(steps, id)| {
            steps
                .into_iter()
                .collect::<Option<Vec<Step>>>()
                .ok_or_else(|| fault(format!("a finance step of {} was not read", id.short())))
        })
        .collect()
}

// ---------------------------------------------------------------- reading the chain

/// Per-request caches of records many assets share.
#[derive(Default)]
struct Reads {
    names: HashMap<PublicKey, String>,
    suspended: HashMap<PublicKey, bool>,
    products: HashMap<String, Option<ProductRecord>>,
}

impl Reads {
    fn name(&mut self, v: &dyn View, org: &PublicKey) -> R<String> {
        if let Some(n) = self.names.get(org) {
            return Ok(n.clone());
        }
        let n = crate::view::org_name(v.now(), org)?;
        self.names.insert(*org, n.clone());
        Ok(n)
    }
    fn suspended(&mut self, v: &dyn View, org: &PublicKey) -> R<bool> {
        if let Some(s) = self.suspended.get(org) {
            return Ok(*s);
        }
        let s = v.now().org(org)?.is_some_and(|o| o.suspended);
        self.suspended.insert(*org, s);
        Ok(s)
    }
    fn product(&mut self, v: &dyn View, gtin: &str) -> R<Option<ProductRecord>> {
        if let Some(p) = self.products.get(gtin) {
            return Ok(p.clone());
        }
        let p = v.now().product(gtin)?;
        self.products.insert(gtin.to_string(), p.clone());
        Ok(p)
    }
    fn amount(currency: &str, minor: u64) -> FinanceAmountView {
        FinanceAmountView {
            currency: currency.to_string(),
            amount: finance::format_amount(minor, currency),
            minor,
        }
    }
}

/// A recall that covers `key` (by item, lot or product), with its reason.
fn recall_of(
    reads: &mut Reads,
    v: &dyn View,
    key: &Gs1Key,
    item: Option<&ItemRecord>,
) -> R<Option<String>> {
    let Some(gtin) = key.gtin() else {
        return Ok(None);
    };
    let Some(p) = reads.product(v, gtin)? else {
        return Ok(None);
    };
    let lot = match (key, item) {
        (Gs1Key::Lot { lot, .. }, _) => Some(lot.as_str()),
        (_, Some(i)) => i.lot.as_deref(),
        _ => None,
    };
    let by_item = item
        .and_then(|i| i.recalled)
        .and_then(|t| p.recalls.iter().find(|r| r.tx == t));
    let found = by_item.or_else(|| {
        p.recalls.iter().find(|r| match &r.scope {
            RecallScope::Product => true,
            RecallScope::Lot(l) => Some(l.as_str()) == lot,
            RecallScope::Items(_) => false,
        })
    });
    Ok(found.map(|r| r.reason.clone()))
}

/// What the chain says now of a good: its flags, and its custodian (items).
fn good_flags(
    reads: &mut Reads,
    v: &dyn View,
    key: &Gs1Key,
) -> R<(Vec<&'static str>, Option<PublicKey>, Option<String>)> {
    let mut flags = Vec::new();
    match v.now().thing(key)? {
        Some(Record::Item(i)) => {
            let c = resolve_custody(
                &|k| match v.now().thing(k)? {
                    Some(Record::Item(i)) => Ok(Some(i)),
                    _ => Ok(None),
                },
                &i,
            )?;
            let recall = recall_of(reads, v, key, Some(&i))?;
            if recall.is_some() {
                flags.push("recalled");
            }
            if i.stolen {
                flags.push("reported_stolen");
            }
            if i.exception.as_ref().is_some_and(|e| e.kind == "missing") {
                flags.push("missing");
            }
            if i.status == ItemStatus::Decommissioned {
                flags.push("decommissioned");
            }
            if c.handoff.is_some() {
                flags.push("in_transit");
            }
            let mut recall = recall;
            if !i.contents.is_empty() {
                // A pallet is worth what is on it: a recalled or stolen lot inside is
                // the pallet's alert too.
                let inside = inside(reads, v, &i.contents)?;
                if let (None, Some((child, reason))) = (&recall, inside.recall) {
                    recall = Some(format!("{reason} ({child} inside)"));
                    flags.push("recalled");
                }
                if inside.stolen && !i.stolen {
                    flags.push("reported_stolen");
                }
                if inside.unchecked {
                    flags.push("contents_unchecked");
                }
            }
            Ok((flags, Some(c.custodian), recall))
        }
        Some(Record::Lot(l)) => {
            let recall = recall_of(reads, v, key, None)?;
            if recall.is_some() {
                flags.push("recalled");
            }
            if l.stolen > 0 {
                flags.push("reported_stolen");
            }
            Ok((flags, None, recall))
        }
        Some(_) => Err(fault(format!(
            "the record of {} is not an item or lot",
            key.canonical()
        ))),
        None => Err(fault(format!(
            "{} is on a finance asset but has no record",
            key.canonical()
        ))),
    }
}

/// The alerts of one good's flags (see [`good_flags`]), with `recall` the recall's
/// reason. A destroyed good is alarming only as `collateral` (pledged under a receipt):
/// invoiced goods are sold, and may be used up.
fn good_alerts(
    out: &mut Vec<FinanceAlertView>,
    id: &Hash32,
    key: &Gs1Key,
    flags: &[&str],
    recall: Option<&str>,
    collateral: bool,
) {
    for f in flags {
        let (kind, msg) = match *f {
            "recalled" => (
                "recalled",
                format!("recalled: {}", recall.unwrap_or_default()),
            ),
            "reported_stolen" => ("reported_stolen", "reported stolen".into()),
            "missing" => ("exception", "reported missing".into()),
            "decommissioned" if collateral => ("decommissioned", "destroyed".into()),
            "contents_unchecked" => ("contents_unchecked", unchecked()),
            _ => continue,
        };
        out.push(alert(id, kind, Some(key.canonical()), msg));
    }
}

/// The message of a `contents_unchecked` alert.
fn unchecked() -> String {
    format!(
        "more than {MAX_CONTENTS_WALK} records inside: not all were checked for recalls and thefts"
    )
}

/// What the chain says of a container's contents at any depth.
#[derive(Default)]
struct Inside {
    /// The first recall found inside: the key it covers and its reason.
    recall: Option<(String, String)>,
    /// Something inside is reported stolen.
    stolen: bool,
    /// More than [`MAX_CONTENTS_WALK`] records inside: the rest were not read.
    unchecked: bool,
}

/// The most records read under one container for its alerts (the ledger allows
/// [`handoff_core::limits::MAX_CONTAINER_CONTENTS`] a level, [`MAX_NESTING`] levels).
///
/// [`MAX_NESTING`]: handoff_core::limits::MAX_NESTING
const MAX_CONTENTS_WALK: usize = 10_000;

/// Walks a container's contents (nested containers too) for recalls and thefts. A
/// content without a record is a fault, never "fine".
fn inside(reads: &mut Reads, v: &dyn View, contents: &[Entry]) -> R<Inside> {
    let mut out = Inside::default();
    let mut todo: Vec<Gs1Key> = contents.iter().map(|e| e.key.clone()).collect();
    let mut read = 0;
    while let Some(k) = todo.pop() {
        if read == MAX_CONTENTS_WALK {
            out.unchecked = true;
            break;
        }
        read += 1;
        match v.now().thing(&k)? {
            Some(Record::Item(c)) => {
                if out.recall.is_none() {
                    out.recall = recall_of(reads, v, &k, Some(&c))?.map(|r| (k.canonical(), r));
                }
                out.stolen |= c.stolen;
                todo.extend(c.contents.iter().map(|e| e.key.clone()));
            }
            Some(Record::Lot(l)) => {
                if out.recall.is_none() {
                    out.recall = recall_of(reads, v, &k, None)?.map(|r| (k.canonical(), r));
                }
                out.stolen |= l.stolen > 0;
            }
            Some(_) => {
                return Err(fault(format!(
                    "{} is packed in a container but is not an item or lot",
                    k.canonical()
                )));
            }
            None => {
                return Err(fault(format!(
                    "{} is packed in a container but has no record",
                    k.canonical()
                )));
            }
        }
    }
    Ok(out)
}

/// Whole days `now` is past `due` (0 when not yet due).
fn days_past(due: i64, now: i64) -> i64 {
    if now <= due {
        0
    } else {
        (now - due - 1) / DAY_MS + 1
    }
}

fn bucket(days: i64) -> usize {
    match days {
        ..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

fn alert(asset: &Hash32, kind: &str, subject: Option<String>, message: String) -> FinanceAlertView {
    FinanceAlertView {
        asset: asset.to_hex(),
        kind: kind.into(),
        subject,
        message,
        height: None,
        time_ms: None,
    }
}

/// The alerts of an asset now.
fn alerts_of(
    reads: &mut Reads,
    v: &dyn View,
    asset: &Asset,
    memo: &Memo,
    now: i64,
) -> R<Vec<FinanceAlertView>> {
    let mut out = Vec::new();
    match asset {
        Asset::Receivable(r) => {
            let id = &r.id;
            if !r.status.is_open() {
                return Ok(out);
            }
            let last = memo.statuses.last().map(|(_, t)| *t);
            match r.status {
                ReceivableStatus::Overdue => {
                    let days = r.due_ms.map(|d| days_past(d, now)).unwrap_or(0);
                    let mut a = alert(
                        id,
                        "overdue",
                        None,
                        format!("overdue: {days} days past due"),
                    );
                    a.height = Some(r.updated_height);
                    a.time_ms = last;
                    out.push(a);
                }
                ReceivableStatus::Defaulted => {
                    let mut a = alert(id, "defaulted", None, "declared in default".into());
                    a.height = Some(r.updated_height);
                    a.time_ms = last;
                    out.push(a);
                }
                _ => {
                    if let Some(d) = r.due_ms.filter(|d| now > *d) {
                        let mut a = alert(
                            id,
                            "overdue",
                            None,
                            format!(
                                "{} days past due, not yet marked overdue",
                                days_past(d, now)
                            ),
                        );
                        a.time_ms = Some(d);
                        out.push(a);
                    }
                }
            }
            if !memo.consistent {
                out.push(alert(
                    id,
                    "terms_mismatch",
                    None,
                    "the terms sealed to you do not match the chain's commitments".into(),
                ));
            }
            for (role, org) in [("buyer", &r.buyer), ("seller", &r.seller)] {
                if reads.suspended(v, org)? {
                    let name = reads.name(v, org)?;
                    out.push(alert(
                        id,
                        "org_suspended",
                        Some(name.clone()),
                        format!("the {role}, {name}, is suspended"),
                    ));
                }
            }
            let mut seen = BTreeSet::new();
            for (_, e) in &r.lines {
                if !seen.insert(e.key.canonical()) {
                    continue;
                }
                let (flags, _, recall) = good_flags(reads, v, &e.key)?;
                good_alerts(&mut out, id, &e.key, &flags, recall.as_deref(), false);
            }
        }
        Asset::Receipt(r) => {
            let id = &r.id;
            if !matches!(
                r.status,
                ReceiptStatus::Pledged | ReceiptStatus::PledgeOffered
            ) {
                return Ok(out);
            }
            if reads.suspended(v, &r.warehouse)? {
                let name = reads.name(v, &r.warehouse)?;
                out.push(alert(
                    id,
                    "org_suspended",
                    Some(name.clone()),
                    format!("the warehouse, {name}, is suspended"),
                ));
            }
            for g in r.goods.iter().filter(|g| !r.released.contains(g)) {
                let (flags, custodian, recall) = good_flags(reads, v, g)?;
                if let Some(c) = custodian.filter(|c| *c != r.warehouse) {
                    let who = reads.name(v, &c)?;
                    out.push(alert(
                        id,
                        "moved",
                        Some(g.canonical()),
                        format!("pledged goods are now held by {who}, not the warehouse"),
                    ));
                }
                good_alerts(&mut out, id, g, &flags, recall.as_deref(), true);
            }
            for e in r.lots.iter().filter(|e| !r.released.contains(&e.key)) {
                let q = e.quantity.unwrap_or(0);
                let (flags, _, recall) = good_flags(reads, v, &e.key)?;
                let held = lot_held(v, &e.key, r)?;
                if held < q {
                    out.push(alert(
                        id,
                        "moved",
                        Some(e.key.canonical()),
                        format!("the warehouse holds {held} of the {q} pledged for the owner"),
                    ));
                }
                good_alerts(&mut out, id, &e.key, &flags, recall.as_deref(), true);
            }
            for n in v.refusals(id)? {
                let who = reads.name(v, &n.signer)?;
                let mut a = alert(
                    id,
                    "move_refused",
                    Some(n.item.clone()),
                    format!(
                        "{who} tried {} of pledged goods; refused: {}",
                        n.step, n.message
                    ),
                );
                a.time_ms = Some(n.time_ms);
                out.push(a);
            }
        }
    }
    Ok(out)
}

fn roles_of(asset: &Asset, me: &PublicKey) -> Vec<String> {
    let mut roles = Vec::new();
    let mut add = |role: &str, org: Option<&PublicKey>| {
        if org == Some(me) {
            roles.push(role.to_string());
        }
    };
    match asset {
        Asset::Receivable(r) => {
            add("seller", Some(&r.seller));
            add("buyer", Some(&r.buyer));
            add("holder", Some(&r.holder));
            add("lender", r.lender.as_ref());
        }
        Asset::Receipt(r) => {
            add("warehouse", Some(&r.warehouse));
            add("owner", Some(&r.owner));
            add("lender", r.lender.as_ref());
        }
    }
    roles
}

// ---------------------------------------------------------------- evidence

fn doc_kind_name(k: DocKind) -> &'static str {
    k.as_str()
}

/// One invoiced line as the receivable holds it: its place, handoff and entry.
struct LineOf<'a> {
    n: usize,
    handoff: &'a Hash32,
    entry: &'a handoff_core::tx::Entry,
}

fn evidence_line(
    reads: &mut Reads,
    v: &dyn View,
    r: &ReceivableRecord,
    LineOf { n, handoff, entry }: LineOf<'_>,
    amount: Option<String>,
    invoice: Option<&str>,
) -> R<FinanceEvidenceLineView> {
    let h: HandoffRecord = v.now().handoff(handoff)?.ok_or_else(|| {
        fault(format!(
            "handoff {} of receivable {} has no record",
            handoff.short(),
            r.id.short()
        ))
    })?;
    let mut problems = Vec::new();
    let accepted_ms = match (h.status, h.closed_height) {
        (HandoffStatus::Accepted, Some(height)) => v.block_time(height)?,
        _ => None,
    };
    if h.status != HandoffStatus::Accepted {
        problems.push("the handoff was not accepted".to_string());
    }
    if h.to != r.buyer {
        problems.push("the handoff went to another org than the buyer".to_string());
    }
    let exception = if h.missing.iter().any(|m| m.key == entry.key) {
        Some("missing")
    } else if h.damaged.iter().any(|m| m.key == entry.key) {
        Some("damaged")
    } else {
        None
    };
    if let Some(x) = exception {
        problems.push(format!("reported {x} at acceptance"));
    }
    if let Some(q) = entry.quantity {
        let delivered = h
            .entries
            .iter()
            .filter(|e| e.key == entry.key)
            .filter_map(|e| e.quantity)
            .sum::<u64>();
        let excepted = h
            .missing
            .iter()
            .chain(&h.damaged)
            .filter(|e| e.key == entry.key)
            .filter_map(|e| e.quantity)
            .sum::<u64>();
        if q > delivered.saturating_sub(excepted) {
            problems.push(format!(
                "{q} invoiced, {} delivered in good order",
                delivered.saturating_sub(excepted)
            ));
        }
    }
    let mut documents: Vec<FinanceDocView> = h
        .docs
        .iter()
        .map(|d| FinanceDocView {
            kind: d.kind.clone(),
            number: Some(d.id.clone()),
            sha256: None,
            title: None,
            by: None,
        })
        .collect();
    let link = handoff_core::certify::DocLink::Handoff(*handoff).index_key();
    if let Some(Record::DocList(list)) = v.now().read(&StateKey::DocsOf(link))? {
        for hash in &list.hashes {
            let Some(Record::Document(d)) = v.now().read(&StateKey::Document(*hash))? else {
                return Err(fault(format!("document {} has no record", hash.short())));
            };
            for reg in &d.registrations {
                documents.push(FinanceDocView {
                    kind: doc_kind_name(reg.kind).to_string(),
                    number: None,
                    sha256: Some(hash.to_hex()),
                    title: Some(reg.title.clone()),
                    by: Some(reads.name(v, &reg.by)?),
                });
            }
        }
    }
    if !documents.iter().any(|d| d.kind == "po") {
        problems.push("no purchase order behind the handoff".to_string());
    }
    if let Some(inv) = invoice {
        let invoices: Vec<&FinanceDocView> =
            documents.iter().filter(|d| d.kind == "invoice").collect();
        let names = |d: &&FinanceDocView| {
            d.number.as_deref() == Some(inv) || d.title.as_deref().is_some_and(|t| t.contains(inv))
        };
        if !invoices.is_empty() && !invoices.iter().any(names) {
            problems.push(format!(
                "the invoice documents of the handoff do not name invoice {inv}"
            ));
        }
    }
    let (flags, _, recall) = good_flags(reads, v, &entry.key)?;
    for f in flags {
        match f {
            "recalled" => problems.push(format!(
                "recalled since: {}",
                recall.clone().unwrap_or_default()
            )),
            "reported_stolen" => problems.push("reported stolen since".to_string()),
            _ => {}
        }
    }
    Ok(FinanceEvidenceLineView {
        line: n as u32 + 1,
        handoff: handoff.to_hex(),
        item: entry.key.canonical(),
        quantity: entry.quantity,
        amount,
        from: reads.name(v, &h.from)?,
        to: reads.name(v, &h.to)?,
        status: status_name(&h.status)?.to_lowercase(),
        proposed_ms: h.proposed_time_ms,
        accepted_height: h
            .closed_height
            .filter(|_| h.status == HandoffStatus::Accepted),
        accepted_ms,
        ship_from: h.ship_from.clone(),
        ship_to: h.ship_to.clone(),
        exception: exception.map(String::from),
        documents,
        matched: problems.is_empty(),
        problems,
    })
}

/// How much of a receipt's lot the warehouse holds loose for the receipt's owner now.
fn lot_held(v: &dyn View, key: &Gs1Key, r: &ReceiptRecord) -> R<u64> {
    match v.now().thing(key)? {
        Some(Record::Lot(l)) => Ok(l.balance(&Holder::Org {
            custodian: r.warehouse,
            owner: r.owner,
        })),
        _ => Err(fault(format!(
            "{} is on a receipt but has no lot record",
            key.canonical()
        ))),
    }
}

fn receipt_goods(reads: &mut Reads, v: &dyn View, r: &ReceiptRecord) -> R<Vec<FinanceGoodView>> {
    let lots = r
        .lots
        .iter()
        .map(|e| {
            let q = e.quantity.unwrap_or(0);
            let (flags, _, _) = good_flags(reads, v, &e.key)?;
            let released = r.released.contains(&e.key);
            let held = lot_held(v, &e.key, r)?;
            let mut flags: Vec<String> = flags.into_iter().map(String::from).collect();
            if !released && held < q {
                flags.push("moved".into());
            }
            Ok(FinanceGoodView {
                item: e.key.canonical(),
                custodian: Some(reads.name(v, &r.warehouse)?),
                quantity: Some(q),
                held: Some(held),
                released,
                flags,
            })
        })
        .collect::<R<Vec<_>>>()?;
    let items = r
        .goods
        .iter()
        .map(|g| {
            let (flags, custodian, _) = good_flags(reads, v, g)?;
            let released = r.released.contains(g);
            let mut flags: Vec<String> = flags.into_iter().map(String::from).collect();
            if !released && custodian.is_some_and(|c| c != r.warehouse) {
                flags.push("moved".into());
            }
            Ok(FinanceGoodView {
                item: g.canonical(),
                custodian: match custodian {
                    Some(c) => Some(reads.name(v, &c)?),
                    None => None,
                },
                quantity: None,
                held: None,
                released,
                flags,
            })
        })
        .collect::<R<Vec<_>>>()?;
    Ok(items.into_iter().chain(lots).collect())
}

/// `handoff finance evidence ID`: an asset's trade evidence, matched line by line.
pub(crate) fn evidence(v: &dyn View, me: &Identity, id: &str) -> R<FinanceEvidenceResponse> {
    let height = v.height()?;
    let now = crate::ledger::now_ms();
    let show = crate::finance::show(v, me, id)?;
    let id = hash_id(id)?;
    if show.asset.roles.is_empty() {
        return Err(bad(
            "NOT_A_PARTY",
            format!(
                "your org is not a party of {}: its evidence is for its parties and lender",
                id.short()
            ),
        ));
    }
    let one = [(id, read_asset(v, &id)?)];
    let memo = v
        .memos(&me.key, &one)?
        .pop()
        .ok_or_else(|| fault(format!("no memo of {} was computed", id.short())))?;
    let asset = &one[0].1;
    let mut reads = Reads::default();
    let mut lines = Vec::new();
    let mut goods = Vec::new();
    match asset {
        Asset::Receivable(r) => {
            for (n, (h, e)) in r.lines.iter().enumerate() {
                let amount = show.asset.lines.get(n).and_then(|l| l.amount.clone());
                lines.push(evidence_line(
                    &mut reads,
                    v,
                    r,
                    LineOf {
                        n,
                        handoff: h,
                        entry: e,
                    },
                    amount,
                    memo.invoice.as_deref(),
                )?);
            }
        }
        Asset::Receipt(r) => goods = receipt_goods(&mut reads, v, r)?,
    }
    let alerts = alerts_of(&mut reads, v, asset, &memo, now)?;
    let matched = memo.consistent
        && lines.iter().all(|l| l.matched)
        && goods.iter().all(|g| g.flags.is_empty() || g.released);
    let (light, proven_at) = v.light()?;
    Ok(FinanceEvidenceResponse {
        light,
        proven_at,
        height,
        as_of_ms: now,
        asset: show.asset,
        steps: show.steps,
        lines,
        goods,
        matched,
        alerts,
    })
}

// ---------------------------------------------------------------- portfolio

/// One open receivable's money, for exposure and ageing.
struct Money {
    buyer: PublicKey,
    seller: PublicKey,
    currency: String,
    outstanding: u64,
    days: Option<i64>,
    exposure: bool,
}

#[derive(Default)]
struct Sums(BTreeMap<String, u64>);

impl Sums {
    fn add(&mut self, currency: &str, v: u64) {
        let e = self.0.entry(currency.to_string()).or_default();
        *e = e.saturating_add(v);
    }
    fn view(&self) -> Vec<FinanceAmountView> {
        self.0.iter().map(|(c, v)| Reads::amount(c, *v)).collect()
    }
    fn total(&self) -> u64 {
        self.0.values().fold(0u64, |a, v| a.saturating_add(*v))
    }
}

fn ageing(money: &[&Money]) -> Vec<FinanceBucketView> {
    let mut sums: [Sums; 5] = Default::default();
    let mut counts = [0u32; 5];
    for m in money {
        let b = bucket(m.days.unwrap_or(0));
        sums[b].add(&m.currency, m.outstanding);
        counts[b] += 1;
    }
    BUCKETS
        .iter()
        .enumerate()
        .map(|(i, b)| FinanceBucketView {
            bucket: (*b).into(),
            outstanding: sums[i].view(),
            assets: counts[i],
        })
        .collect()
}

fn share_bp(part: u64, whole: u64) -> Option<u32> {
    (whole > 0).then(|| ((u128::from(part) * 10_000 / u128::from(whole)) as u32).min(10_000))
}

/// `YYYY-MM-DD` (UTC) of Unix ms.
fn day_of(ms: i64) -> String {
    let (y, m, d) = handoff_core::query::civil_date(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Assets by status at the end of each day with a step.
fn timeline(memos: &[&Memo]) -> Vec<FinanceStatusDayView> {
    let mut events: Vec<(i64, usize, &str)> = memos
        .iter()
        .enumerate()
        .flat_map(|(i, m)| m.statuses.iter().map(move |(s, t)| (*t, i, s.as_str())))
        .collect();
    events.sort();
    let mut now: Vec<Option<&str>> = vec![None; memos.len()];
    let mut out: Vec<FinanceStatusDayView> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        // Days compared as numbers (UTC, as `day_of` names them), named once each.
        let n = events[i].0.div_euclid(DAY_MS);
        let day = day_of(n * DAY_MS);
        while i < events.len() && events[i].0.div_euclid(DAY_MS) == n {
            now[events[i].1] = Some(events[i].2);
            i += 1;
        }
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for s in now.iter().flatten() {
            *counts.entry(s).or_default() += 1;
        }
        out.push(FinanceStatusDayView {
            day,
            counts: counts
                .into_iter()
                .map(|(s, c)| FinanceStatusCountView {
                    status: s.into(),
                    count: c,
                })
                .collect(),
        });
    }
    out
}

/// `handoff finance portfolio`: the caller's assets with a lender's analytics.
pub(crate) fn portfolio(
    v: &dyn View,
    me: &Identity,
    req: &FinancePortfolioRequest,
) -> R<FinancePortfolioResponse> {
    let height = v.height()?;
    let now = crate::ledger::now_ms();
    let who = me.key.public();
    let mut reads = Reads::default();
    let mut rows = Vec::new();
    let mut alerts = Vec::new();
    let mut memos = Vec::new();
    let mut money: Vec<Money> = Vec::new();
    let mut by_status: BTreeMap<String, u32> = BTreeMap::new();
    // Counterparties: org → (receivables it sold with readable terms: dilution shares).
    let mut parties: BTreeMap<PublicKey, Vec<u32>> = BTreeMap::new();
    let mut assets = Vec::new();
    for id in v.assets(&who)? {
        let asset = read_asset(v, &id)?;
        let roles = roles_of(&asset, &who);
        if req.role.as_ref().is_some_and(|r| !roles.contains(r)) {
            continue;
        }
        assets.push((id, asset));
    }
    let all_memos = v.memos(&me.key, &assets)?;
    for ((id, asset), m) in assets.into_iter().zip(all_memos) {
        let roles = roles_of(&asset, &who);
        let mut a = alerts_of(&mut reads, v, &asset, &m, now)?;
        let status = asset.status()?;
        *by_status.entry(status.clone()).or_default() += 1;
        let row = match &asset {
            Asset::Receivable(r) => {
                for org in [r.seller, r.buyer] {
                    parties.entry(org).or_default();
                }
                if let (Some(face), true) = (m.face, m.opened)
                    && let Some(shares) = parties.get_mut(&r.seller)
                    && let Some(bp) = share_bp(m.diluted, face)
                {
                    shares.push(bp);
                }
                let days = r.due_ms.map(|d| days_past(d, now));
                if r.status.is_open()
                    && let Some(o) = m.outstanding.filter(|o| *o > 0)
                {
                    money.push(Money {
                        buyer: r.buyer,
                        seller: r.seller,
                        currency: r.currency.clone(),
                        outstanding: o,
                        days,
                        exposure: r.lender.unwrap_or(r.holder) == who,
                    });
                }
                FinancePortfolioRowView {
                    id: id.to_hex(),
                    kind: "receivable".into(),
                    status,
                    roles,
                    seller: reads.name(v, &r.seller)?,
                    buyer: reads.name(v, &r.buyer)?,
                    lender: match &r.lender {
                        Some(l) => Some(reads.name(v, l)?),
                        None => None,
                    },
                    invoice: m.invoice.clone(),
                    face: m.face.map(|v| Reads::amount(&r.currency, v)),
                    outstanding: m.outstanding.map(|v| Reads::amount(&r.currency, v)),
                    due_ms: r.due_ms,
                    days_past_due: days.filter(|d| *d > 0 && r.status.is_open()),
                    goods: 0,
                    released: 0,
                    alerts: a.len() as u32,
                    updated_height: r.updated_height,
                }
            }
            Asset::Receipt(r) => {
                for org in [r.warehouse, r.owner] {
                    parties.entry(org).or_default();
                }
                FinancePortfolioRowView {
                    id: id.to_hex(),
                    kind: "receipt".into(),
                    status,
                    roles,
                    seller: reads.name(v, &r.warehouse)?,
                    buyer: reads.name(v, &r.owner)?,
                    lender: match &r.lender {
                        Some(l) => Some(reads.name(v, l)?),
                        None => None,
                    },
                    invoice: None,
                    face: None,
                    outstanding: None,
                    due_ms: None,
                    days_past_due: None,
                    goods: (r.goods.len() + r.lots.len()) as u32,
                    released: r.released.len() as u32,
                    alerts: a.len() as u32,
                    updated_height: r.updated_height,
                }
            }
        };
        rows.push(row);
        alerts.append(&mut a);
        memos.push(m);
    }
    rows.sort_by(|a, b| {
        b.updated_height
            .cmp(&a.updated_height)
            .then_with(|| a.id.cmp(&b.id))
    });
    alerts.sort_by(|a, b| {
        b.time_ms
            .cmp(&a.time_ms)
            .then_with(|| b.height.cmp(&a.height))
            .then_with(|| a.asset.cmp(&b.asset))
    });
    // Exposure where the caller carries the risk: per buyer and per seller.
    let mut exposure = Vec::new();
    for role in ["buyer", "seller"] {
        let mut per: BTreeMap<PublicKey, (Sums, u32)> = BTreeMap::new();
        for m in money.iter().filter(|m| m.exposure) {
            let org = if role == "buyer" { m.buyer } else { m.seller };
            let e = per.entry(org).or_default();
            e.0.add(&m.currency, m.outstanding);
            e.1 += 1;
        }
        for (org, (sums, n)) in per {
            exposure.push((
                sums.total(),
                FinanceExposureView {
                    org: org.to_hex(),
                    name: reads.name(v, &org)?,
                    role: role.into(),
                    outstanding: sums.view(),
                    assets: n,
                },
            ));
        }
    }
    exposure.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    let all: Vec<&Money> = money.iter().collect();
    let mut counterparties = Vec::new();
    for (org, shares) in &parties {
        if *org == who {
            continue;
        }
        let (d, deliveries_scope) = v.deliveries(org)?;
        let owed: Vec<&Money> = money.iter().filter(|m| m.buyer == *org).collect();
        let dilution_bp = (!shares.is_empty()).then(|| {
            (shares.iter().map(|s| u64::from(*s)).sum::<u64>() / shares.len() as u64) as u32
        });
        counterparties.push(FinanceCounterpartyView {
            org: org.to_hex(),
            name: reads.name(v, org)?,
            deliveries: d.closed(),
            accepted: d.accepted,
            on_time: d.accepted,
            lapsed: d.lapsed,
            exceptions: d.exceptions,
            disputes: d.rejected,
            on_time_bp: share_bp(d.accepted, d.accepted + d.lapsed),
            exception_bp: share_bp(d.exceptions, d.accepted),
            dispute_bp: share_bp(d.rejected, d.closed()),
            dilution_bp,
            ageing: ageing(&owed),
            deliveries_scope,
        });
    }
    counterparties.sort_by(|a, b| a.name.cmp(&b.name));
    let memo_refs: Vec<&Memo> = memos.iter().collect();
    let (light, proven_at) = v.light()?;
    Ok(FinancePortfolioResponse {
        light,
        proven_at,
        org: who.to_hex(),
        height,
        as_of_ms: now,
        by_status: by_status
            .into_iter()
            .map(|(status, count)| FinanceStatusCountView { status, count })
            .collect(),
        exposure: exposure.into_iter().map(|(_, e)| e).collect(),
        ageing: ageing(&all),
        counterparties,
        timeline: timeline(&memo_refs),
        alerts,
        rows,
    })
}

// ---------------------------------------------------------------- export

fn file(name: String, mime: &str, data: Vec<u8>) -> FinanceExportResponse {
    use base64::Engine as _;
    FinanceExportResponse {
        name,
        mime: mime.into(),
        sha256: handoff_core::types::sha256(&[&data]).to_hex(),
        data_base64: base64::engine::general_purpose::STANDARD.encode(&data),
    }
}

fn portfolio_csv(p: &FinancePortfolioResponse) -> R<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = [
        "id",
        "kind",
        "status",
        "roles",
        "seller_or_warehouse",
        "buyer_or_owner",
        "lender",
        "invoice",
        "currency",
        "face",
        "outstanding",
        "due",
        "days_past_due",
        "goods",
        "released",
        "alerts",
        "updated_height",
    ];
    let err = |e: csv::Error| fault(format!("writing the portfolio CSV: {e}"));
    w.write_record(head).map_err(err)?;
    for r in &p.rows {
        let currency = r
            .outstanding
            .as_ref()
            .or(r.face.as_ref())
            .map(|a| a.currency.clone())
            .unwrap_or_default();
        w.write_record([
            r.id.clone(),
            r.kind.clone(),
            r.status.clone(),
            r.roles.join(" "),
            r.seller.clone(),
            r.buyer.clone(),
            r.lender.clone().unwrap_or_default(),
            r.invoice.clone().unwrap_or_default(),
            currency,
            r.face
                .as_ref()
                .map(|a| a.amount.clone())
                .unwrap_or_default(),
            r.outstanding
                .as_ref()
                .map(|a| a.amount.clone())
                .unwrap_or_default(),
            r.due_ms.map(day_of).unwrap_or_default(),
            r.days_past_due.map(|d| d.to_string()).unwrap_or_default(),
            r.goods.to_string(),
            r.released.to_string(),
            r.alerts.to_string(),
            r.updated_height.to_string(),
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| fault(format!("writing the portfolio CSV: {e}")))
}

/// `YYYY-MM-DD HH:MM UTC` of Unix ms.
fn when(ms: i64) -> String {
    let mins = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!("{} {:02}:{:02} UTC", day_of(ms), mins / 60, mins % 60)
}

/// The printable evidence pack: what the JSON pack holds, laid out for a credit file.
fn evidence_pdf(e: &FinanceEvidenceResponse, chain: &serde_json::Value, me: &Identity) -> PdfDoc {
    let a = &e.asset;
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let receivable = a.kind == "receivable";
    let mut blocks = Vec::new();
    blocks.push(PdfBlock::Flag {
        ok: e.matched,
        text: if e.matched {
            if receivable {
                "Every invoiced line is an accepted handoff with no exception and a purchase order behind it."
            } else {
                "Every good on the receipt is in the warehouse's custody with nothing reported against it."
            }
            .into()
        } else {
            "Not everything matches: see the lines and alerts below.".into()
        },
    });
    let mut facts = vec![
        ("Asset".to_string(), a.id.clone()),
        (
            "Kind".into(),
            if receivable {
                "receivable"
            } else {
                "warehouse receipt"
            }
            .into(),
        ),
        ("Status".into(), a.status.clone()),
    ];
    for p in &a.parties {
        let mut role = p.role.clone();
        if let Some(first) = role.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        facts.push((role, p.name.clone()));
    }
    if let Some(due) = a.due_ms {
        facts.push(("Due".into(), day_of(due)));
    }
    if let Some(parent) = &a.parent {
        facts.push(("Split from".into(), parent.clone()));
    }
    if let Some(t) = &a.terms {
        let cur = a.currency.clone().unwrap_or_default();
        let money = |v: &str| format!("{v} {cur}");
        if let Some(i) = &t.invoice {
            facts.push(("Invoice".into(), i.clone()));
        }
        if let Some(f) = &t.face {
            facts.push(("Face value".into(), money(f)));
        }
        if let Some(o) = &t.outstanding {
            facts.push(("Outstanding".into(), money(o)));
        }
        facts.push(("Paid".into(), money(&t.paid)));
        facts.push(("Diluted".into(), money(&t.diluted)));
        if let Some(v) = &t.advance {
            facts.push(("Advance".into(), money(v)));
        }
    } else {
        facts.push((
            "Terms".into(),
            "not sealed to this node's org: amounts are not shown".into(),
        ));
    }
    facts.push(("Issued at block".into(), a.issued_height.to_string()));
    facts.push(("Last step at block".into(), a.updated_height.to_string()));
    blocks.push(PdfBlock::Heading("Asset".into()));
    blocks.push(PdfBlock::KeyValues(facts));

    if !e.alerts.is_empty() {
        blocks.push(PdfBlock::Heading("Alerts".into()));
        for al in &e.alerts {
            let at = al
                .time_ms
                .map(|t| format!(" ({})", when(t)))
                .unwrap_or_default();
            blocks.push(PdfBlock::Flag {
                ok: false,
                text: format!("{}: {}{at}", al.kind, al.message),
            });
        }
    }

    if receivable {
        blocks.push(PdfBlock::Heading("Invoiced lines against the chain".into()));
        let rows = e
            .lines
            .iter()
            .map(|l| {
                vec![
                    l.line.to_string(),
                    l.item.clone(),
                    l.quantity.map(|q| q.to_string()).unwrap_or_default(),
                    l.amount.clone().unwrap_or_default(),
                    format!("{} → {}", l.from, l.to),
                    match (l.accepted_height, l.accepted_ms) {
                        (Some(h), Some(t)) => format!("{} at block {h}, {}", l.status, when(t)),
                        _ => l.status.clone(),
                    },
                    if l.matched { "✓" } else { "✗" }.into(),
                ]
            })
            .collect();
        blocks.push(PdfBlock::Table {
            head: [
                "#",
                "Item",
                "Qty",
                "Amount",
                "From → to",
                "Handoff",
                "Match",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            widths: vec![0.5, 3.2, 0.8, 1.3, 2.6, 2.6, 0.8],
        });
        for l in &e.lines {
            blocks.push(PdfBlock::Paragraph(format!("Line {}: handoff", l.line)));
            let mut kv = vec![("Handoff".to_string(), l.handoff.clone())];
            if let Some(x) = &l.exception {
                kv.push(("Exception".into(), x.clone()));
            }
            if let Some(g) = &l.ship_from {
                kv.push(("Ship from".into(), g.clone()));
            }
            if let Some(g) = &l.ship_to {
                kv.push(("Ship to".into(), g.clone()));
            }
            for d in &l.documents {
                let mut v = d.number.clone().unwrap_or_default();
                if let Some(t) = &d.title {
                    v = format!("{v} {t}").trim().to_string();
                }
                if let Some(h) = &d.sha256 {
                    v = format!("{v} sha256 {h}").trim().to_string();
                }
                if let Some(b) = &d.by {
                    v = format!("{v} (notarized by {b})");
                }
                let kind = match d.kind.as_str() {
                    "po" => "purchase order".to_string(),
                    k => k.replace('_', " "),
                };
                kv.push((format!("Document: {kind}"), v));
            }
            blocks.push(PdfBlock::KeyValues(kv));
            for p in &l.problems {
                blocks.push(PdfBlock::Flag {
                    ok: false,
                    text: p.clone(),
                });
            }
        }
    } else {
        blocks.push(PdfBlock::Heading("Goods on the receipt".into()));
        let rows = e
            .goods
            .iter()
            .map(|g| {
                vec![
                    match (g.quantity, g.held) {
                        (Some(q), Some(h)) => format!("{} × {q} ({h} held)", g.item),
                        _ => g.item.clone(),
                    },
                    g.custodian.clone().unwrap_or_default(),
                    if g.released { "released" } else { "pledged" }.into(),
                    g.flags.join(", "),
                    if g.flags.is_empty() { "✓" } else { "✗" }.into(),
                ]
            })
            .collect();
        blocks.push(PdfBlock::Table {
            head: ["Item", "Custodian", "State", "Flags", "OK"]
                .map(String::from)
                .to_vec(),
            rows,
            widths: vec![3.5, 2.2, 1.2, 2.2, 0.7],
        });
    }

    blocks.push(PdfBlock::Heading("Steps on the chain".into()));
    blocks.push(PdfBlock::Table {
        head: ["Block", "Step", "By", "Time", "Transaction"]
            .map(String::from)
            .to_vec(),
        rows: e
            .steps
            .iter()
            .map(|st| {
                vec![
                    st.height.to_string(),
                    st.step.clone(),
                    st.by.clone(),
                    when(st.time_ms),
                    st.tx.clone(),
                ]
            })
            .collect(),
        widths: vec![0.8, 2.0, 1.6, 1.8, 3.4],
    });

    blocks.push(PdfBlock::Heading("Chain anchor".into()));
    blocks.push(PdfBlock::Paragraph(
        "Each line above can be checked against the chain at this block: the block hash \
         and state root commit to every record the pack cites."
            .into(),
    ));
    blocks.push(PdfBlock::KeyValues(vec![
        ("Chain".into(), s(&chain["chain_id"])),
        ("Height".into(), s(&chain["height"])),
        ("Block".into(), s(&chain["block"])),
        ("State root".into(), s(&chain["state_root"])),
        (
            "Block time".into(),
            chain["time_ms"].as_i64().map(when).unwrap_or_default(),
        ),
    ]));
    PdfDoc {
        title: format!(
            "Evidence pack: {} {}",
            if receivable {
                "receivable"
            } else {
                "warehouse receipt"
            },
            &a.id[..12.min(a.id.len())]
        ),
        subtitle: format!(
            "Exported by {} at {}, chain height {}",
            me.name,
            when(e.as_of_ms),
            e.height
        ),
        footer: format!("Handoff evidence pack {}", &a.id[..12.min(a.id.len())]),
        blocks,
    }
}

/// `handoff finance export`: an asset's evidence pack or the portfolio, as a file.
pub(crate) fn export(
    v: &dyn View,
    me: &Identity,
    req: &FinanceExportRequest,
) -> R<FinanceExportResponse> {
    let day = day_of(crate::ledger::now_ms());
    let json = |v: &serde_json::Value| {
        serde_json::to_vec_pretty(v).map_err(|e| fault(format!("writing JSON: {e}")))
    };
    match (&req.id, req.format.as_str()) {
        (Some(id), "json") => {
            let e = evidence(v, me, id)?;
            let pack = serde_json::json!({
                "format": "handoff-evidence-pack/1",
                "chain": v.anchor()?,
                "evidence": e,
            });
            Ok(file(
                format!("evidence-{}-{day}.json", &e.asset.id[..12]),
                "application/json",
                json(&pack)?,
            ))
        }
        (Some(id), "pdf") => {
            let e = evidence(v, me, id)?;
            let doc = evidence_pdf(&e, &v.anchor()?, me);
            let pdf = crate::pdfdoc::render(&doc, crate::label::fonts())
                .map_err(|e| fault(format!("printing the evidence pack: {e}")))?;
            Ok(file(
                format!("evidence-{}-{day}.pdf", &e.asset.id[..12]),
                "application/pdf",
                pdf,
            ))
        }
        (None, "csv") => {
            let p = portfolio(v, me, &FinancePortfolioRequest { role: None })?;
            Ok(file(
                format!("portfolio-{day}.csv"),
                "text/csv",
                portfolio_csv(&p)?,
            ))
        }
        (None, "json") => {
            let p = portfolio(v, me, &FinancePortfolioRequest { role: None })?;
            let doc = serde_json::json!({
                "format": "handoff-portfolio/1",
                "chain": v.anchor()?,
                "portfolio": p,
            });
            Ok(file(
                format!("portfolio-{day}.json"),
                "application/json",
                json(&doc)?,
            ))
        }
        (Some(_), f) => Err(bad(
            "BAD_FORMAT",
            format!("an evidence pack is json or pdf, not '{f}'"),
        )),
        (None, f) => Err(bad(
            "BAD_FORMAT",
            format!("a portfolio is csv or json, not '{f}'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_past_due_count_whole_started_days() {
        assert_eq!(days_past(1000, 1000), 0);
        assert_eq!(days_past(1000, 999), 0);
        assert_eq!(days_past(1000, 1001), 1);
        assert_eq!(days_past(0, DAY_MS), 1);
        assert_eq!(days_past(0, DAY_MS + 1), 2);
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(30), 1);
        assert_eq!(bucket(31), 2);
        assert_eq!(bucket(90), 3);
        assert_eq!(bucket(91), 4);
    }

    #[test]
    fn a_partial_release_leaves_a_receipt_pledged() {
        let id = Hash32([7; 32]);
        let key = |s: &str| Gs1Key::Serial {
            gtin: "09506000134352".into(),
            serial: s.into(),
        };
        let mut released = 0;
        let part = Payload::Receipt(ReceiptOp::Release {
            receipt: id,
            goods: vec![key("1")],
        });
        assert_eq!(status_after(&part, &id, &mut released, 2), None);
        let rest = Payload::Receipt(ReceiptOp::Release {
            receipt: id,
            goods: vec![],
        });
        assert_eq!(status_after(&rest, &id, &mut released, 2), Some("released"));
    }

    #[test]
    fn the_timeline_counts_each_asset_once_per_day() {
        let m1 = Memo {
            statuses: vec![
                ("issued".into(), 0),
                ("confirmed".into(), 1000),
                ("funded".into(), DAY_MS + 5),
            ],
            ..Memo::default()
        };
        let m2 = Memo {
            statuses: vec![("issued".into(), DAY_MS + 1)],
            ..Memo::default()
        };
        let t = timeline(&[&m1, &m2]);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].day, "1970-01-01");
        assert_eq!(
            t[0].counts,
            vec![FinanceStatusCountView {
                status: "confirmed".into(),
                count: 1
            }]
        );
        assert_eq!(t[1].counts.len(), 2);
        assert!(t[1].counts.iter().all(|c| c.count == 1));
    }
}
