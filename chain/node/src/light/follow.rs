//! The light node follows its own org: for every certified header whose filter names the
//! org (or one of the node's signers), it fetches the block, checks it against the header
//! (hash, transaction root, filter), and reads every record the org's transactions in it
//! changed — and what those lead to: a handoff's goods, a pallet's contents, the products
//! and the orgs they name — each with a Merkle proof against that header's state root.
//! The records, the stock rows they make and the org's activity go to the light store's
//! index ([`handoff_store::light`]) in one durable batch per block, so inbox, stock,
//! history and products answer from disk, with no peer, as of the last block indexed.
//!
//! A transaction of a fetched block is the org's when one of the node's keys signed it,
//! its payload names the org (an offer to it, a licence, its admission), or it changes a
//! record the index already holds (an offer it made being accepted, goods it holds being
//! recalled). Blocks whose filter does not name the org are never fetched.
//!
//! **Finance.** A finance step of an asset the org is a party of (the filter names every
//! party of every step) is the org's too: the asset's record is read with its proof, with
//! the parties' org records and published seal keys and a receipt's pledge locks, and the
//! step itself (the transaction as the checked block carried it, whose sealed boxes hold
//! the terms) is kept under the asset, in the same batch as the rest of the block. The
//! goods behind the asset (a receivable's invoiced handoffs and their goods, a receipt's
//! items and lots, with their contents and products) are read with it, so the lender's
//! views answer from disk offline too; and an attempt to move goods a receipt of the org
//! pledges that the block carries refused (`PLEDGED`) is kept under the receipt.

use super::node::LightNode;
use anyhow::{Context, Result, anyhow, bail};
use handoff_core::apply::pledge_subjects;
use handoff_core::block::{BlockHeader, Outcome};
use handoff_core::event::Event;
use handoff_core::gs1::Gs1Key;
use handoff_core::light::{check_block, touched_keys};
use handoff_core::rejection::Code;
use handoff_core::state::{PledgeLock, Record, StateKey};
use handoff_core::tx::{Payload, ReceiptOp, ReceivableOp, SignedTx};
use handoff_core::types::{Hash32, PublicKey};
use handoff_net::{Misbehaviour, PeerId, Request, Response};
use handoff_store::light::{IndexedBlock, LightActivity, LightOwnTx, LightRefusal, LightStep};
use std::collections::BTreeMap;

/// Kept filters looked at in one step (the rest in the next steps).
const FOLLOW_BLOCKS_PER_STEP: usize = 512;
/// Records one block may add to the index (a handoff of pallets of cases of bags).
const MAX_RECORDS_PER_BLOCK: usize = 50_000;

/// Whether a transaction's payload names `org` as its counterparty.
fn names_org(tx: &SignedTx, org: &PublicKey) -> bool {
    match &tx.body.payload {
        Payload::ProposeHandoff(p) => p.to == *org,
        Payload::LicenseProduct { licensee, .. } => licensee == org,
        Payload::AdmitOrg(a) => a.org == *org,
        Payload::SuspendOrg { org: o, .. } => o == org,
        Payload::Receivable(op) => match op {
            ReceivableOp::Issue { buyer, .. } => buyer == org,
            ReceivableOp::RequestFinance { lender, .. } => lender == org,
            ReceivableOp::Transfer { to, .. } => to == org,
            ReceivableOp::Split { parts, .. } => parts.iter().any(|p| p.to == *org),
            _ => false,
        },
        Payload::Receipt(op) => match op {
            ReceiptOp::Issue { owner, .. } => owner == org,
            ReceiptOp::Pledge { lender, .. } => lender == org,
            _ => false,
        },
        _ => false,
    }
}

/// The finance asset a step writes (a split's parts aside, see [`split_parts`]): a
/// receivable's issue makes the id of its seller (the signer: finance steps are signed
/// with the org key), buyer and invoice reference; a receipt's issue has its own
/// transaction's id; every other step names its asset.
fn finance_asset(tx: &SignedTx) -> Option<Hash32> {
    match &tx.body.payload {
        Payload::Receivable(op) => Some(match op {
            ReceivableOp::Issue {
                buyer, invoice_ref, ..
            } => handoff_core::finance::receivable_id(&tx.body.signer, buyer, invoice_ref),
            ReceivableOp::Confirm { receivable }
            | ReceivableOp::RequestFinance { receivable, .. }
            | ReceivableOp::Offer { receivable, .. }
            | ReceivableOp::AcceptOffer { receivable }
            | ReceivableOp::Fund { receivable }
            | ReceivableOp::Repay { receivable, .. }
            | ReceivableOp::Split { receivable, .. }
            | ReceivableOp::Transfer { receivable, .. }
            | ReceivableOp::Dilute { receivable, .. }
            | ReceivableOp::Default { receivable }
            | ReceivableOp::Recover { receivable, .. }
            | ReceivableOp::WriteOff { receivable }
            | ReceivableOp::MarkOverdue { receivable }
            | ReceivableOp::Settle { receivable, .. } => *receivable,
        }),
        Payload::Receipt(op) => Some(match op {
            ReceiptOp::Issue { .. } => tx.id(),
            ReceiptOp::Pledge { receipt, .. }
            | ReceiptOp::AcceptPledge { receipt }
            | ReceiptOp::Release { receipt, .. }
            | ReceiptOp::Enforce { receipt } => *receipt,
        }),
        _ => None,
    }
}

/// The number of parts a split step makes (0 for any other step).
fn split_parts(tx: &SignedTx) -> u32 {
    match &tx.body.payload {
        Payload::Receivable(ReceivableOp::Split { parts, .. }) => {
            u32::try_from(parts.len()).unwrap_or(u32::MAX)
        }
        _ => 0,
    }
}

/// What a record leads to that the index keeps with it.
fn leads_to(r: &Record) -> Vec<StateKey> {
    let item = |k: &Gs1Key| StateKey::Item(k.canonical());
    let product = |k: &Gs1Key| match k {
        Gs1Key::Serial { gtin, .. } | Gs1Key::Lot { gtin, .. } | Gs1Key::Gtin { gtin } => {
            Some(StateKey::Product(gtin.clone()))
        }
        _ => None,
    };
    match r {
        Record::Handoff(h) => h
            .entries
            .iter()
            .chain(&h.missing)
            .chain(&h.damaged)
            .map(|e| item(&e.key))
            .chain([StateKey::Org(h.from), StateKey::Org(h.to)])
            .collect(),
        Record::Item(it) => it
            .contents
            .iter()
            .map(|e| item(&e.key))
            .chain(product(&it.key))
            .chain([StateKey::Org(it.custodian), StateKey::Org(it.owner)])
            .collect(),
        Record::Lot(l) => product(&l.key).into_iter().collect(),
        Record::Product(p) => std::iter::once(p.owner)
            .chain(p.licensees.iter().copied())
            .map(StateKey::Org)
            .collect(),
        Record::Device(d) => vec![StateKey::Org(d.org)],
        // An asset's parties (their names, and the seal keys the org's next step seals
        // its terms to), what backs it (a receivable's handoffs and their goods, a
        // receipt's goods: the lender's views read them) and a receipt's pledge locks.
        Record::Receivable(r) => [r.seller, r.buyer, r.holder]
            .into_iter()
            .chain(r.lender)
            .flat_map(|o| [StateKey::Org(o), StateKey::SealKey(o)])
            .chain(r.lines.iter().flat_map(|(h, e)| {
                [
                    StateKey::Handoff(*h),
                    StateKey::DocsOf(handoff_core::certify::DocLink::Handoff(*h).index_key()),
                    item(&e.key),
                ]
            }))
            .collect(),
        // The documents notarized for a handoff of the org's receivables, and who did.
        Record::DocList(l) => l.hashes.iter().map(|h| StateKey::Document(*h)).collect(),
        Record::Document(d) => d
            .registrations
            .iter()
            .map(|r| StateKey::Org(r.by))
            .collect(),
        Record::Receipt(r) => [r.warehouse, r.owner]
            .into_iter()
            .chain(r.lender)
            .flat_map(|o| [StateKey::Org(o), StateKey::SealKey(o)])
            .chain(r.goods.iter().map(|k| StateKey::PledgeLock(k.canonical())))
            .chain(r.goods.iter().map(item))
            .chain(r.lots.iter().map(|e| item(&e.key)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The location events of a block for the stock index: where an accepted offer arrived,
/// where goods were commissioned or observed (the same places a full node's history
/// records, see `apply`).
fn located(
    tx: &SignedTx,
    org: &PublicKey,
    records: &BTreeMap<StateKey, Option<Record>>,
) -> Vec<(String, Vec<u8>)> {
    let ev = |at: &Option<String>, by: PublicKey| Event {
        kind: "located".into(),
        tx: tx.id(),
        height: 0,
        index: 0,
        by,
        signer: tx.body.signer,
        event_time_ms: tx.body.event_time_ms,
        record_time_ms: 0,
        handoff: None,
        counterparty: None,
        transfer: None,
        at: at.clone(),
        quantity: None,
        related: Vec::new(),
        note: None,
        data: Vec::new(),
    };
    let mut out = Vec::new();
    let mut put = |entries: &[handoff_core::tx::Entry], at: &Option<String>, by: PublicKey| {
        if at.is_some() {
            for e in entries {
                out.push((e.key.canonical(), ev(at, by).encode()));
            }
        }
    };
    match &tx.body.payload {
        Payload::AcceptHandoff(a) => {
            if let Some(Some(Record::Handoff(h))) = records.get(&StateKey::Handoff(a.handoff)) {
                put(&h.entries, &h.ship_to, h.to);
            }
        }
        Payload::Commission(c) => put(&c.entries, &c.at, *org),
        Payload::Observe(o) => put(&o.entries, &o.at, *org),
        _ => {}
    }
    out
}

impl LightNode {
    /// The org the index follows: set, or found from the node's identity (its org
    /// record, or the org of its device record) proven at the tip. `None` while the
    /// identity is not on the chain yet.
    pub(super) async fn followed_org(&self, peer: PeerId) -> Result<Option<PublicKey>> {
        // An index made before it kept finance steps is found again from the identity,
        // which starts it afresh (`set_followed`).
        if let Some(org) = self.store.followed()?
            && self.store.index_has_finance()?
        {
            return Ok(Some(org));
        }
        let Some(me) = self.identity() else {
            return Ok(None);
        };
        if self.store.tip()? == 0 {
            return Ok(None);
        }
        let header = self.tip_header()?;
        let (org, mut found) = match self.proven(peer, &header, &StateKey::Org(me)).await? {
            Some(r @ Record::Org(_)) => (me, vec![(StateKey::Org(me), Some(r))]),
            _ => match self.proven(peer, &header, &StateKey::Device(me)).await? {
                Some(Record::Device(d)) => {
                    let org = d.org;
                    (org, vec![(StateKey::Device(me), Some(Record::Device(d)))])
                }
                _ => return Ok(None),
            },
        };
        if !found.iter().any(|(k, _)| *k == StateKey::Org(org)) {
            let rec = self.proven(peer, &header, &StateKey::Org(org)).await?;
            found.push((StateKey::Org(org), rec));
        }
        self.store.set_followed(&org)?;
        // The org's own record, so its name is known before any block names it (an org
        // of the genesis has no admission block).
        self.store.put_records(header.height, &found)?;
        Ok(Some(org))
    }

    /// Brings the org's index up to the certified tip (at most
    /// [`FOLLOW_BLOCKS_PER_STEP`] blocks a step). A block that does not match its
    /// certified header is refused, its peer reported, and the index stays where it was.
    pub(super) async fn follow(&self, peer: PeerId) -> Result<()> {
        let Some(org) = self.followed_org(peer).await? else {
            return Ok(());
        };
        // Headers and filters the index and the outbox no longer need go, a batch a step.
        self.store.prune()?;
        let mine = self.followed_keys()?;
        let start = self.store.freshness()?.height;
        let tip = self.store.tip()?;
        if tip <= start {
            return Ok(());
        }
        // The filters the store kept: those of blocks naming the org's keys (the rest were
        // looked at as their headers arrived), every one before the org was known.
        let kept = self
            .store
            .kept_filters(start + 1, tip, FOLLOW_BLOCKS_PER_STEP)?;
        let end = match kept.last() {
            Some((h, _)) if kept.len() == FOLLOW_BLOCKS_PER_STEP => *h,
            _ => tip,
        };
        let mut done = start;
        for (h, filter) in kept {
            if !mine.iter().any(|k| filter.names(k)) {
                continue;
            }
            let (header, _) = self
                .store
                .header(h)?
                .ok_or_else(|| anyhow!("header {h} is missing from the light store"))?;
            let (indexed, steps, refusals) = self.index_block(peer, &header, &org, &mine).await?;
            self.store
                .index_block_with_finance(&indexed, &steps, &refusals)?;
            done = h;
            self.changed_now();
        }
        if done < end {
            self.store.advance_indexed(end)?;
        }
        self.changed_now();
        Ok(())
    }

    /// Reads `level` with proofs at `header` into `records`, and what those records lead
    /// to, level by level (a handoff, its pallets, their cases, their bags), each level in
    /// batched requests.
    async fn read_closure(
        &self,
        peer: PeerId,
        header: &BlockHeader,
        records: &mut BTreeMap<StateKey, Option<Record>>,
        mut level: Vec<StateKey>,
    ) -> Result<()> {
        let h = header.height;
        while !level.is_empty() {
            level.sort();
            level.dedup();
            level.retain(|k| !records.contains_key(k));
            if level.is_empty() {
                break;
            }
            if records.len() + level.len() > MAX_RECORDS_PER_BLOCK {
                bail!(
                    "block {h} leads to more than {MAX_RECORDS_PER_BLOCK} records; the light \
                     index stops here rather than keep part of it"
                );
            }
            // A proof that fails or cannot be fetched stops the block: the index is
            // never written with a guess.
            let recs = self.proven_many(peer, header, &level).await?;
            let mut next = Vec::new();
            for (k, rec) in level.into_iter().zip(recs) {
                if let Some(r) = &rec {
                    next.extend(leads_to(r));
                }
                records.insert(k, rec);
            }
            level = next;
        }
        Ok(())
    }

    /// Fetches block `header.height` from `peer`, checks it against the certified header
    /// and reads what the org's transactions in it changed, with the finance steps of
    /// the org's assets in it.
    async fn index_block(
        &self,
        peer: PeerId,
        header: &BlockHeader,
        org: &PublicKey,
        mine: &[PublicKey],
    ) -> Result<(IndexedBlock, Vec<LightStep>, Vec<LightRefusal>)> {
        let h = header.height;
        let r = self
            .request(peer, Request::Blocks { from: h, count: 1 })
            .await
            .with_context(|| format!("block {h} from {peer}"))?;
        let block = match r {
            Response::Blocks(bs) => bs
                .into_iter()
                .next()
                .ok_or_else(|| anyhow!("{peer} sent no block {h}"))?,
            other => bail!("unexpected answer to a block request: {other:?}"),
        };
        let txs = match check_block(header, &block) {
            Ok(txs) => txs,
            Err(e) => {
                let _ = self.report_peer(peer, Misbehaviour::InvalidBlock).await;
                let why = format!("block {h} from {peer} refused: {e}");
                self.refused(why.clone());
                bail!(why);
            }
        };
        let mut records: BTreeMap<StateKey, Option<Record>> = BTreeMap::new();
        let mut out = IndexedBlock {
            height: h,
            ..IndexedBlock::default()
        };
        let mut steps = Vec::new();
        let mut refusals = Vec::new();
        // The parts every applied split of the block made, per receivable: the parts'
        // ids follow the parent's split count, read as of the end of the block.
        let mut split_in_block: BTreeMap<Hash32, u32> = BTreeMap::new();
        for (tx, outcome) in txs.iter().zip(&block.outcomes) {
            if *outcome == Outcome::applied()
                && let (Some(a), n @ 1..) = (finance_asset(tx), split_parts(tx))
            {
                *split_in_block.entry(a).or_default() += n;
            }
        }
        let mut split_seen: BTreeMap<Hash32, u32> = BTreeMap::new();
        for (i, (tx, outcome)) in txs.iter().zip(&block.outcomes).enumerate() {
            let applied = *outcome == Outcome::applied();
            let asset = if applied { finance_asset(tx) } else { None };
            let mut keys = if applied {
                touched_keys(tx)
            } else {
                Vec::new()
            };
            keys.extend(asset.map(StateKey::Asset));
            let mut ours = mine.contains(&tx.body.signer) || names_org(tx, org);
            if !ours {
                for k in &keys {
                    if records.contains_key(k) || self.store.has_indexed(k)? {
                        ours = true;
                        break;
                    }
                }
            }
            if !ours {
                continue;
            }
            out.activity.push(LightActivity {
                tx: tx.id(),
                height: h,
                index: i as u32,
                time_ms: header.time_ms,
                event_time_ms: tx.body.event_time_ms,
                kind: tx.body.payload.type_name().to_string(),
                rejected: outcome.code.clone(),
                signer: tx.body.signer,
            });
            // The org's own events, for EPCIS export, query and "already" on import.
            if mine.contains(&tx.body.signer) {
                out.own.push(LightOwnTx {
                    height: h,
                    index: i as u32,
                    time_ms: header.time_ms,
                    tx: block
                        .txs
                        .get(i)
                        .cloned()
                        .ok_or_else(|| anyhow!("block {h} has no transaction {i}"))?,
                    rejected: outcome.code.clone(),
                });
            }
            let mut level = keys;
            if tx.body.signer == *org {
                level.push(StateKey::Org(*org));
            }
            if applied {
                match &tx.body.payload {
                    // Who took a finance step, for its line in the asset's steps.
                    Payload::Receivable(_) | Payload::Receipt(_) => {
                        level.push(StateKey::Org(tx.body.signer));
                    }
                    Payload::SetSealKey { .. } => level.push(StateKey::SealKey(tx.body.signer)),
                    _ => {}
                }
            }
            self.read_closure(peer, header, &mut records, level).await?;
            if outcome.code.as_deref() == Some(Code::Pledged.as_str()) {
                self.refused_move(peer, header, &mut records, (i, tx, outcome), &mut refusals)
                    .await?;
            }
            if let Some(a) = asset {
                let mut assets = vec![a];
                let n = split_parts(tx);
                if n > 0 {
                    let Some(Some(Record::Receivable(parent))) = records.get(&StateKey::Asset(a))
                    else {
                        bail!(
                            "block {h} splits receivable {} but its record does not read back",
                            a.short()
                        );
                    };
                    let seen = split_seen.entry(a).or_default();
                    let first = parent
                        .splits
                        .checked_sub(split_in_block.get(&a).copied().unwrap_or(0))
                        .map(|b| b + *seen)
                        .ok_or_else(|| {
                            anyhow!(
                                "receivable {} counts fewer splits than block {h} made",
                                a.short()
                            )
                        })?;
                    *seen += n;
                    let parts: Vec<Hash32> = (first..first + n)
                        .map(|k| handoff_core::finance::split_id(&a, k))
                        .collect();
                    self.read_closure(
                        peer,
                        header,
                        &mut records,
                        parts.iter().copied().map(StateKey::Asset).collect(),
                    )
                    .await?;
                    assets.extend(parts);
                }
                for asset in assets {
                    match records.get(&StateKey::Asset(asset)) {
                        Some(Some(Record::Receivable(_) | Record::Receipt(_))) => {
                            steps.push(LightStep {
                                asset,
                                height: h,
                                index: i as u32,
                                time_ms: header.time_ms,
                                tx: block
                                    .txs
                                    .get(i)
                                    .cloned()
                                    .ok_or_else(|| anyhow!("block {h} has no transaction {i}"))?,
                            });
                        }
                        _ => bail!(
                            "finance asset {} written in block {h} does not read back as one",
                            asset.short()
                        ),
                    }
                }
            }
            out.history.extend(located(tx, org, &records));
        }
        out.records = records.into_iter().collect();
        Ok((out, steps, refusals))
    }

    /// An attempt the chain refused because its goods are pledged (transaction `i` of
    /// the block at `header`): each goods' pledge lock is read with its proof at that
    /// block, and the attempt is kept under every receipt of the org's (one the index or
    /// this block holds) that pledges them, for the lender's "move refused" alert.
    async fn refused_move(
        &self,
        peer: PeerId,
        header: &BlockHeader,
        records: &mut BTreeMap<StateKey, Option<Record>>,
        (i, tx, outcome): (usize, &SignedTx, &Outcome),
        out: &mut Vec<LightRefusal>,
    ) -> Result<()> {
        let subjects = pledge_subjects(&tx.body.payload);
        let locks: Vec<StateKey> = subjects
            .iter()
            .map(|k| StateKey::PledgeLock(k.canonical()))
            .collect();
        self.read_closure(peer, header, records, locks).await?;
        for k in subjects {
            let receipts = match records.get(&StateKey::PledgeLock(k.canonical())) {
                Some(Some(Record::PledgeLock(PledgeLock {
                    receipt,
                    pledged: true,
                }))) => vec![*receipt],
                Some(Some(Record::LotPledges(v))) => v.iter().map(|p| p.receipt).collect(),
                _ => Vec::new(),
            };
            for receipt in receipts {
                let key = StateKey::Asset(receipt);
                if !(matches!(records.get(&key), Some(Some(_))) || self.store.has_indexed(&key)?) {
                    continue;
                }
                out.push(LightRefusal {
                    receipt,
                    height: header.height,
                    index: i as u32,
                    time_ms: header.time_ms,
                    signer: tx.body.signer,
                    step: tx.body.payload.type_name().to_string(),
                    item: k.canonical(),
                    message: outcome.message.clone().unwrap_or_default(),
                });
            }
        }
        Ok(())
    }
}
