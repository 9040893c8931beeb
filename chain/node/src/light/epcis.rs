//! EPCIS on a light node: the org's own events. The follow loop keeps every transaction
//! the org's keys signed, as its checked block carried it (see [`super::follow`]);
//! export and query map them with the full node's code ([`crate::epcis`], over
//! [`LightSource`]) and say they are the org's own events as of the index's height, so
//! they answer from disk with no peer. Check and import map a document as the org, with
//! GLNs resolved to the orgs the light node knows for sure (the genesis and the org
//! records its index holds, its own first: an unknown GLN is an error naming it), an
//! event's receiving handoff among the open handoffs of its index, and "already" for an
//! event whose hash id is that of one of the org's own events (indexed, or waiting in its
//! outbox). The new events' transactions are signed and queued in the outbox with their
//! own event times, and sent when a peer is reachable.
//!
//! The light node keeps no original of an imported event (a full node that imported it
//! does, beside the chain): its export is the mapping, as any node of the chain that did
//! not import the event exports it, so it equals the full node's export of those events.

use super::LightSession;
use super::cli::signer_of;
use super::index::followed;
use super::{LightStore, OutboxEntry};
use crate::api::R;
use crate::epcis::{
    Plan, Source, SourceBlock, export_one, gln_of_org, org_of_gln, plan, proposal_of, read,
};
use crate::error::CliError;
use handoff_api::{
    EpcisCheckRequest, EpcisCheckResponse, EpcisExportRequest, EpcisExportResponse,
    EpcisImportRequest, EpcisImportResponse, EpcisImportView, EpcisQueryRequest,
    EpcisQueryResponse,
};
use handoff_core::gs1::Gs1Key;
use handoff_core::state::{HandoffStatus, Record, StateKey};
use handoff_core::tx::{Payload, ProposeHandoff, SignedTx};
use handoff_core::types::{HandoffId, OrgId, TxId};
use handoff_epcis::ledger::{ExportLookup, Lookup};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

/// The org's own events in the light index, as [`crate::epcis`] reads events.
pub struct LightSource<'a> {
    store: &'a LightStore,
    org: OrgId,
    /// Orgs and their GLNs: the org's own first, then those of its index, then the
    /// genesis's.
    orgs: Vec<(OrgId, Vec<String>)>,
    height: u64,
    fault: RefCell<Option<String>>,
    /// Hash id → transaction of the org's own events (indexed and waiting in the outbox).
    own: OnceCell<HashMap<String, TxId>>,
}

fn corrupt(e: impl std::fmt::Display) -> CliError {
    CliError::failed(
        "STORE_FAULT",
        format!("a transaction in the light index does not decode: {e}"),
    )
}

impl<'a> LightSource<'a> {
    /// The source of `l`'s index, as of its height now.
    pub fn new(l: &'a LightSession) -> R<LightSource<'a>> {
        let store = l.store();
        let org = followed(store)?;
        let mut orgs: Vec<(OrgId, Vec<String>)> = Vec::new();
        let mut indexed = store.indexed_orgs()?;
        indexed.sort_by_key(|o| o.key != org);
        for o in indexed {
            orgs.push((o.key, o.glns));
        }
        for o in store.genesis()?.orgs {
            if !orgs.iter().any(|(k, _)| *k == o.org) {
                orgs.push((o.org, o.glns));
            }
        }
        Ok(LightSource {
            store,
            org,
            orgs,
            height: store.freshness()?.height,
            fault: RefCell::new(None),
            own: OnceCell::new(),
        })
    }

    fn note<T, E: std::fmt::Display>(&self, r: Result<Option<T>, E>) -> Option<T> {
        r.unwrap_or_else(|e| {
            self.fault.borrow_mut().get_or_insert(e.to_string());
            None
        })
    }

    /// Every own transaction applied by the chain (with its block time), and those
    /// waiting in the outbox (signed by one of the org's keys, no block yet).
    fn own_txs(&self, open_too: bool) -> R<Vec<(SignedTx, i64)>> {
        let mut out = Vec::new();
        for t in self.store.own_txs(None)? {
            if t.rejected.is_none() {
                out.push((SignedTx::decode(&t.tx).map_err(corrupt)?, t.time_ms));
            }
        }
        if open_too {
            for e in self.store.open_entries()? {
                // No block yet: its device time stands for the record time (which no
                // hash id counts).
                let tx = waiting(&e)?;
                let time = tx.body.event_time_ms;
                out.push((tx, time));
            }
        }
        Ok(out)
    }

    fn own_hashes(&self) -> R<&HashMap<String, TxId>> {
        if let Some(m) = self.own.get() {
            return Ok(m);
        }
        let mut m = HashMap::new();
        for (tx, time) in self.own_txs(true)? {
            if let Some(x) = export_one(self, &tx, time)? {
                m.entry(x.hash).or_insert_with(|| tx.id());
            }
        }
        Ok(self.own.get_or_init(|| m))
    }
}

fn waiting(e: &OutboxEntry) -> R<SignedTx> {
    SignedTx::decode(&e.tx).map_err(|err| {
        CliError::failed(
            "STORE_FAULT",
            format!("outbox entry {} does not decode: {err}", e.seq),
        )
    })
}

impl Lookup for LightSource<'_> {
    fn org_by_gln(&self, gln: &str) -> Option<OrgId> {
        org_of_gln(&self.orgs, gln)
    }

    fn open_handoff(&self, to: &OrgId, keys: &[Gs1Key]) -> Option<HandoffId> {
        let hs = self.note(self.store.indexed_handoffs().map(Some))?;
        hs.into_iter()
            .find(|h| {
                h.status == HandoffStatus::Open
                    && h.to == *to
                    && keys.iter().all(|k| h.entries.iter().any(|e| &e.key == k))
            })
            .map(|h| h.id)
    }

    fn tx_of_event(&self, id: &str) -> Option<TxId> {
        match self.own_hashes() {
            Ok(m) => m.get(id).copied(),
            Err(e) => {
                self.fault.borrow_mut().get_or_insert(e.parts().1);
                None
            }
        }
    }
}

impl ExportLookup for LightSource<'_> {
    fn gln_of(&self, org: &OrgId) -> Option<String> {
        gln_of_org(&self.orgs, org)
    }

    fn proposal(&self, id: &HandoffId) -> Option<(OrgId, ProposeHandoff)> {
        // The handoff's own row of the index (a proven absence, or a row that is not a
        // handoff, is no offer; a row that does not decode is a fault).
        let row = self.note(self.store.indexed(&StateKey::Handoff(*id)))?;
        let bytes = row.value?;
        match Record::decode(&bytes) {
            Some(Record::Handoff(h)) => Some(proposal_of(h)),
            _ => {
                self.fault.borrow_mut().get_or_insert(format!(
                    "the indexed handoff {} does not decode",
                    id.to_hex()
                ));
                None
            }
        }
    }

    fn transaction(&self, id: &TxId) -> Option<(Payload, i64, OrgId)> {
        match self.own_txs(false) {
            Ok(txs) => txs
                .into_iter()
                .find(|(t, _)| t.id() == *id)
                .map(|(t, _)| (t.body.payload, t.body.event_time_ms, self.org)),
            Err(e) => {
                self.fault.borrow_mut().get_or_insert(e.parts().1);
                None
            }
        }
    }
}

impl Source for LightSource<'_> {
    fn fault(&self) -> R<()> {
        match self.fault.borrow_mut().take() {
            Some(m) => Err(CliError::failed("STORE_FAULT", m)),
            None => Ok(()),
        }
    }

    /// A light node keeps no original of an imported event: its export is the mapping.
    fn kept(&self, _id: &TxId) -> R<Option<(String, String)>> {
        Ok(None)
    }

    /// Signed by one of the org's keys: the org's.
    fn by(&self, _tx: &SignedTx) -> R<OrgId> {
        Ok(self.org)
    }

    fn imported(&self, hash: &str) -> R<Option<TxId>> {
        Ok(self.own_hashes()?.get(hash).copied())
    }

    fn kind(&self, tx: &TxId) -> R<String> {
        Ok(self
            .own_txs(true)?
            .into_iter()
            .find(|(t, _)| t.id() == *tx)
            .map_or_else(
                || "unknown".into(),
                |(t, _)| t.body.payload.type_name().into(),
            ))
    }

    fn height(&self) -> R<u64> {
        Ok(self.height)
    }

    /// The org's own applied transactions of the block; none when it has none there.
    fn block(&self, height: u64) -> R<Option<SourceBlock>> {
        let mut time = 0;
        let mut txs = Vec::new();
        for t in self.store.own_txs(Some(height))? {
            time = t.time_ms;
            if t.rejected.is_none() {
                txs.push((t.index, SignedTx::decode(&t.tx).map_err(corrupt)?));
            }
        }
        Ok(Some((time, txs)))
    }
}

/// A mapping refusal said for a light node. One that rests on the chain's state as its
/// index has it (an open handoff to receive, an earlier event to correct) while the index
/// is behind the certified tip is no answer yet (`NOT_INDEXED_YET`), never "there is
/// none"; a GLN no org it knows holds is said with where it looked.
fn light_refusal(src: &LightSource<'_>, e: CliError) -> CliError {
    use handoff_epcis::ErrorCode;
    let (code, message) = e.parts();
    let from_index = [ErrorCode::NoOpenHandoff, ErrorCode::UnknownTarget]
        .iter()
        .any(|c| c.as_str() == code);
    let tip = match src.store.tip() {
        Ok(t) => t,
        Err(err) => return err.into(),
    };
    if from_index && src.height < tip {
        return handoff_api::ApiError::unavailable(
            "NOT_INDEXED_YET",
            format!(
                "{message}: this light node's index is as of block {}, the chain's certified                  tip is {tip}; try again once it has caught up",
                src.height
            ),
        )
        .into();
    }
    if code == ErrorCode::UnknownParty.as_str() {
        return CliError::input(
            &code,
            format!(
                "{message} (this light node resolves the GLNs of its own org, of the orgs of \
                 the genesis and of the orgs its index holds; it does not guess another)"
            ),
        );
    }
    e
}

/// `epcis_check` on a light node: mapped as its org, nothing queued.
pub fn check(l: &LightSession, me: Option<&str>, r: EpcisCheckRequest) -> R<EpcisCheckResponse> {
    let signer = signer_of(l.data(), me)?;
    let src = LightSource::new(l)?;
    crate::epcis::check_with(&src, &signer.key.public(), r).map_err(|e| light_refusal(&src, e))
}

/// `epcis_import` on a light node: the whole document mapped first (an event that does
/// not map: nothing is queued), then the new events signed and queued in the outbox in
/// document order; events already among the org's own (or twice in the document) are
/// `already`.
pub fn import(l: &LightSession, me: Option<&str>, r: EpcisImportRequest) -> R<EpcisImportResponse> {
    if r.document.len() > handoff_epcis::limits::MAX_DOCUMENT_BYTES {
        return Err(CliError::input(
            handoff_epcis::ErrorCode::TooLarge.as_str(),
            format!(
                "the document has {} bytes (at most {} in one request)",
                r.document.len(),
                handoff_epcis::limits::MAX_DOCUMENT_BYTES
            ),
        ));
    }
    let signer = signer_of(l.data(), me)?;
    let src = LightSource::new(l)?;
    let (doc, hashes) = read(&r.document)?;
    let plans =
        plan(&src, &doc, &hashes, &signer.key.public()).map_err(|e| light_refusal(&src, e))?;
    // The first time each new event's hash appears in the document: its place among the
    // queued transactions.
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut payloads = Vec::new();
    let mut slots = Vec::with_capacity(plans.len());
    for (p, hash) in plans.into_iter().zip(&hashes) {
        slots.push(match p {
            Plan::Already(tx) => Slot::Already(tx),
            Plan::Submit(m) => match first.get(hash.as_str()) {
                Some(&at) => Slot::Twice(at),
                None => {
                    first.insert(hash, payloads.len());
                    payloads.push((m.payload, m.event_time_ms));
                    Slot::Queued(payloads.len() - 1)
                }
            },
        });
    }
    let queued = if payloads.is_empty() {
        Vec::new()
    } else {
        crate::api::light_queued(l.queue_timed(me, payloads)?)?.1
    };
    let view = |index: usize, status: &str, tx: Option<String>| EpcisImportView {
        index: index as u64,
        hash: hashes[index].clone(),
        status: status.to_string(),
        code: None,
        message: None,
        tx,
        height: None,
    };
    let mut events = Vec::with_capacity(slots.len());
    for (i, s) in slots.into_iter().enumerate() {
        let queued_tx = |at: usize| {
            queued.get(at).map(|q| q.tx.clone()).ok_or_else(|| {
                CliError::Other(anyhow::anyhow!(
                    "the outbox answered {} transactions for more events",
                    queued.len()
                ))
            })
        };
        events.push(match s {
            Slot::Already(tx) => view(i, "already", Some(tx.to_hex())),
            Slot::Twice(at) => view(i, "already", Some(queued_tx(at)?)),
            Slot::Queued(at) => view(i, "queued", Some(queued_tx(at)?)),
        });
    }
    Ok(EpcisImportResponse {
        events,
        queued: Some(queued),
        light: Some(super::index::freshness(l)?),
    })
}

/// What one event of an imported document became on a light node.
enum Slot {
    Already(TxId),
    /// The same event earlier in the document: the transaction queued for it.
    Twice(usize),
    Queued(usize),
}

/// `epcis_export` on a light node: every event of its org's own (`all`), as of its
/// index's height. One item's journey is other orgs' events too: a full node's.
pub fn export(l: &LightSession, r: EpcisExportRequest) -> R<EpcisExportResponse> {
    let xml = crate::epcis::is_xml(&r.format)?;
    if r.scan.is_some() || !r.all {
        return Err(crate::api::light_node_error(
            "An item's EPCIS journey (it holds other orgs' events; export all of your org's own \
             events instead)",
        )
        .into());
    }
    let src = LightSource::new(l)?;
    let mut out = crate::epcis::export_all(&src, xml)?;
    out.light = Some(freshness_at(l, src.height)?);
    Ok(out)
}

/// `epcis_query` on a light node: over its org's own events, as of its index's height.
pub fn query(l: &LightSession, r: EpcisQueryRequest) -> R<EpcisQueryResponse> {
    let src = LightSource::new(l)?;
    let mut out = crate::epcis::query_with(&src, r)?;
    out.light = Some(freshness_at(l, src.height)?);
    Ok(out)
}

/// The index's freshness, which must still be the height the answer was read at (one
/// answer is as of one height).
fn freshness_at(l: &LightSession, height: u64) -> R<handoff_api::IndexFreshness> {
    let mut f = super::index::freshness(l)?;
    if f.height != height {
        // The index moved while the answer was read: it is as of the height it read.
        f.height = height;
        f.block_time = match l.store().header(height)? {
            Some((h, _)) => crate::view::rfc3339(h.time_ms),
            None => f.block_time,
        };
    }
    Ok(f)
}
