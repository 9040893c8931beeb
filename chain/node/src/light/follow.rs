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

use super::node::LightNode;
use anyhow::{Context, Result, anyhow, bail};
use handoff_core::block::{BlockHeader, Outcome};
use handoff_core::event::Event;
use handoff_core::gs1::Gs1Key;
use handoff_core::light::{check_block, touched_keys};
use handoff_core::state::{Record, StateKey};
use handoff_core::tx::{Payload, SignedTx};
use handoff_core::types::PublicKey;
use handoff_net::{Misbehaviour, PeerId, Request, Response};
use handoff_store::light::{IndexedBlock, LightActivity};
use std::collections::BTreeMap;

/// Blocks looked at in one step (the rest in the next steps).
const FOLLOW_BLOCKS_PER_STEP: u64 = 512;
/// Records one block may add to the index (a handoff of pallets of cases of bags).
const MAX_RECORDS_PER_BLOCK: usize = 50_000;

/// Whether a transaction's payload names `org` as its counterparty.
fn names_org(tx: &SignedTx, org: &PublicKey) -> bool {
    match &tx.body.payload {
        Payload::ProposeHandoff(p) => p.to == *org,
        Payload::LicenseProduct { licensee, .. } => licensee == org,
        Payload::AdmitOrg(a) => a.org == *org,
        Payload::SuspendOrg { org: o, .. } => o == org,
        _ => false,
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
    async fn followed_org(&self, peer: PeerId) -> Result<Option<PublicKey>> {
        if let Some(org) = self.store.followed()? {
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
        let mut mine = self.signer_keys();
        mine.push(org);
        let start = self.store.freshness()?.height;
        let end = self.store.tip()?.min(start + FOLLOW_BLOCKS_PER_STEP);
        if end <= start {
            return Ok(());
        }
        let mut done = start;
        for h in start + 1..=end {
            let filter = self.store.filter(h)?.ok_or_else(|| {
                anyhow!("the filter of block {h} is missing from the light store")
            })?;
            if !mine.iter().any(|k| filter.names(k)) {
                continue;
            }
            let (header, _) = self
                .store
                .header(h)?
                .ok_or_else(|| anyhow!("header {h} is missing from the light store"))?;
            let indexed = self.index_block(peer, &header, &org, &mine).await?;
            self.store.index_block(&indexed)?;
            done = h;
            self.changed_now();
        }
        if done < end {
            self.store.advance_indexed(end)?;
        }
        self.changed_now();
        Ok(())
    }

    /// Fetches block `header.height` from `peer`, checks it against the certified header
    /// and reads what the org's transactions in it changed.
    async fn index_block(
        &self,
        peer: PeerId,
        header: &BlockHeader,
        org: &PublicKey,
        mine: &[PublicKey],
    ) -> Result<IndexedBlock> {
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
        for (i, (tx, outcome)) in txs.iter().zip(&block.outcomes).enumerate() {
            let applied = *outcome == Outcome::applied();
            let keys = if applied {
                touched_keys(tx)
            } else {
                Vec::new()
            };
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
            let mut level = keys;
            if tx.body.signer == *org {
                level.push(StateKey::Org(*org));
            }
            // Level by level (a handoff, its pallets, their cases, their bags), each level
            // in batched requests.
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
            out.history.extend(located(tx, org, &records));
        }
        out.records = records.into_iter().collect();
        Ok(out)
    }
}
