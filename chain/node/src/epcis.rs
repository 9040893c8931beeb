//! EPCIS 2.0 import, check and export over the embedded ledger: the I/O around
//! `handoff_epcis::ledger`'s pure mapping. Import ([`import_stream`]) streams the document
//! twice, one event at a time: it reads and maps every event before it signs anything,
//! then each event becomes one transaction of the caller's org, submitted in batches (one
//! block for thousands of events) in document order, and is kept (hash id and one-event
//! JSON-LD) beside the transaction in the store, so re-importing it finds it ("already")
//! and exporting it writes it back as it came.

use crate::api::R;
use crate::error::CliError;
use crate::identity::Identity;
use crate::ledger::{Ledger, Sequencer};
use handoff_api::{
    EpcisCheckRequest, EpcisCheckResponse, EpcisEventView, EpcisExportRequest, EpcisExportResponse,
    EpcisImportRequest, EpcisImportResponse, EpcisImportView, EpcisProofLink, EpcisQueryRequest,
    EpcisQueryResponse,
};
use handoff_core::block::Outcome;
use handoff_core::gs1::Gs1Key;
use handoff_core::state::{EventMeta, Record, StateKey, StateRead, StateReadExt};
use handoff_core::tx::{Payload, ProposeHandoff, SignedTx};
use handoff_core::types::{HandoffId, OrgId, TxId};
use handoff_epcis::ledger::{self as map, Committed, ExportLookup, Lookup, Mapped};
use handoff_epcis::query::{Query, SortKey};
use handoff_epcis::{Document, DocumentKind, EpcisError, ErrorCode, Event, Namespace};
use std::cell::RefCell;
use std::collections::HashSet;

/// A block as [`Source::block`] gives it: its time and its applied transactions with
/// their places.
pub(crate) type SourceBlock = (i64, Vec<(u32, SignedTx)>);

/// Where EPCIS events are read from: a full node's ledger ([`Reader`], every transaction
/// of the chain) or a light node's verified index of its org
/// ([`crate::light::epcis::LightSource`], the transactions the org's keys signed). Check,
/// export and query are written once against it.
pub(crate) trait Source: Lookup + ExportLookup {
    /// The first read that failed during a mapping, as the operation's error.
    fn fault(&self) -> R<()>;
    /// The event kept when a transaction was imported here: (hash id, one-event JSON-LD).
    fn kept(&self, id: &TxId) -> R<Option<(String, String)>>;
    /// The org a committed transaction is of (its signer's org).
    fn by(&self, tx: &SignedTx) -> R<OrgId>;
    /// The transaction an event with this hash id was imported as before, if any.
    fn imported(&self, hash: &str) -> R<Option<TxId>>;
    /// The kind (payload type name) of a transaction found by [`Source::imported`].
    fn kind(&self, tx: &TxId) -> R<String>;
    /// The height events are read up to.
    fn height(&self) -> R<u64>;
    /// Block `height`'s time and the transactions in it to export, applied ones only,
    /// with their places; `None`: the source does not hold that block.
    fn block(&self, height: u64) -> R<Option<SourceBlock>>;
}

fn undecodable(e: impl std::fmt::Display) -> CliError {
    CliError::failed(
        "STORE_FAULT",
        format!("a stored transaction does not decode: {e}"),
    )
}

impl Source for Reader<'_> {
    fn fault(&self) -> R<()> {
        self.check()
    }

    fn kept(&self, id: &TxId) -> R<Option<(String, String)>> {
        Ok(self.ledger.store.epcis_kept(id)?)
    }

    fn by(&self, tx: &SignedTx) -> R<OrgId> {
        Ok(event_meta(self.ledger, &tx.id())?.map_or(tx.body.signer, |m| m.org))
    }

    fn imported(&self, hash: &str) -> R<Option<TxId>> {
        Ok(self.ledger.store.epcis_tx(hash)?)
    }

    fn kind(&self, tx: &TxId) -> R<String> {
        Ok(event_meta(self.ledger, tx)?.map_or_else(|| "unknown".to_string(), |m| m.kind))
    }

    fn height(&self) -> R<u64> {
        Ok(self.ledger.store.height())
    }

    fn block(&self, height: u64) -> R<Option<SourceBlock>> {
        let Some(block) = self.ledger.store.block(height)? else {
            return Ok(None);
        };
        let mut txs = Vec::new();
        for (i, (bytes, outcome)) in block.txs.iter().zip(&block.outcomes).enumerate() {
            if outcome.code.is_none() {
                txs.push((i as u32, SignedTx::decode(bytes).map_err(undecodable)?));
            }
        }
        Ok(Some((block.header.time_ms, txs)))
    }
}

/// The ledger as the mapping asks it. A failed read is kept and turns the whole operation
/// into an error after the mapping returns (fail closed: never "no such org").
struct Reader<'a> {
    ledger: &'a Ledger,
    orgs: Vec<(OrgId, Vec<String>)>,
    fault: RefCell<Option<String>>,
}

impl<'a> Reader<'a> {
    fn new(ledger: &'a Ledger) -> R<Reader<'a>> {
        let mut orgs = Vec::new();
        for k in ledger.store.org_keys()? {
            if let Some(o) = ledger.store.org(&k)? {
                orgs.push((k, o.glns));
            }
        }
        Ok(Reader {
            ledger,
            orgs,
            fault: RefCell::new(None),
        })
    }

    fn note<T, E: std::fmt::Display>(&self, r: Result<Option<T>, E>) -> Option<T> {
        r.unwrap_or_else(|e| {
            self.fault.borrow_mut().get_or_insert(e.to_string());
            None
        })
    }

    /// The first read that failed, as the operation's error.
    fn check(&self) -> R<()> {
        match self.fault.borrow_mut().take() {
            Some(m) => Err(CliError::failed("STORE_FAULT", m)),
            None => Ok(()),
        }
    }

    /// A committed transaction by its location, with its block time.
    fn tx_at(&self, height: u64, index: u32) -> R<Option<(SignedTx, i64, Outcome)>> {
        let Some(block) = self.ledger.store.block(height)? else {
            return Ok(None);
        };
        let i = index as usize;
        let (Some(bytes), Some(outcome)) = (block.txs.get(i), block.outcomes.get(i)) else {
            return Ok(None);
        };
        let tx = SignedTx::decode(bytes).map_err(|e| {
            CliError::failed(
                "STORE_FAULT",
                format!("a stored transaction does not decode: {e}"),
            )
        })?;
        Ok(Some((tx, block.header.time_ms, outcome.clone())))
    }

    /// A committed transaction by id: found through the history of the first thing it
    /// names.
    fn tx_by_id(&self, id: &TxId) -> R<Option<(SignedTx, i64)>> {
        let Some(meta) = event_meta(self.ledger, id)? else {
            return Ok(None);
        };
        for key in &meta.keys {
            for ev in self.ledger.store.history(&key.canonical())? {
                if ev.tx == *id {
                    return Ok(self
                        .tx_at(ev.height, ev.index)?
                        .map(|(t, time, _)| (t, time)));
                }
            }
        }
        Ok(None)
    }
}

impl Lookup for Reader<'_> {
    fn org_by_gln(&self, gln: &str) -> Option<OrgId> {
        org_of_gln(&self.orgs, gln)
    }

    fn open_handoff(&self, to: &OrgId, keys: &[Gs1Key]) -> Option<HandoffId> {
        let ids = self.note(self.ledger.store.open_handoffs(to, false).map(Some))?;
        ids.into_iter().find(|id| {
            self.note(self.ledger.store.handoff(id))
                .is_some_and(|h| keys.iter().all(|k| h.entries.iter().any(|e| &e.key == k)))
        })
    }

    fn tx_of_event(&self, id: &str) -> Option<TxId> {
        self.note(self.ledger.store.epcis_tx(id))
    }
}

impl ExportLookup for Reader<'_> {
    fn gln_of(&self, org: &OrgId) -> Option<String> {
        gln_of_org(&self.orgs, org)
    }

    fn proposal(&self, id: &HandoffId) -> Option<(OrgId, ProposeHandoff)> {
        self.note(self.ledger.store.handoff(id)).map(proposal_of)
    }

    fn transaction(&self, id: &TxId) -> Option<(Payload, i64, OrgId)> {
        match self.tx_by_id(id) {
            Ok(found) => {
                let (tx, _) = found?;
                let by = self
                    .note(event_meta(self.ledger, id).map_err(|e| e.parts().1))
                    .map_or(tx.body.signer, |m| m.org);
                Some((tx.body.payload, tx.body.event_time_ms, by))
            }
            Err(e) => {
                self.fault.borrow_mut().get_or_insert(e.parts().1);
                None
            }
        }
    }
}

/// What the ledger recorded of a transaction (its org, type and the things it named).
fn event_meta(ledger: &Ledger, id: &TxId) -> R<Option<EventMeta>> {
    Ok(match ledger.store.read(&StateKey::Event(*id))? {
        Some(Record::Event(m)) => Some(m),
        _ => None,
    })
}

fn bad(e: &EpcisError, hashes: &[String]) -> CliError {
    let message = match e.event.and_then(|i| hashes.get(i).map(|h| (i, h))) {
        Some((i, h)) => format!("event {i} ({h}): {}", e.message),
        None => e.to_string(),
    };
    CliError::input(e.code(), message)
}

/// A document read whole, with every event's hash id (`epcis_check`).
pub(crate) fn read(text: &str) -> R<(Document, Vec<String>)> {
    let doc = handoff_epcis::parse(text).map_err(|e| bad(&e, &[]))?;
    let hashes = handoff_epcis::hash_ids(&doc);
    Ok((doc, hashes))
}

/// What one event of a document becomes: already on the ledger, or its transaction and
/// kept form.
#[allow(clippy::large_enum_variant)] // one a document event, moved once
pub(crate) enum Plan {
    Already(TxId),
    Submit(Mapped),
}

/// The org whose location numbers include `gln`, among `orgs` (key, GLNs).
pub(crate) fn org_of_gln(orgs: &[(OrgId, Vec<String>)], gln: &str) -> Option<OrgId> {
    orgs.iter()
        .find(|(_, glns)| glns.iter().any(|g| g == gln))
        .map(|(k, _)| *k)
}

/// An org's first location number, among `orgs` (key, GLNs).
pub(crate) fn gln_of_org(orgs: &[(OrgId, Vec<String>)], org: &OrgId) -> Option<String> {
    orgs.iter()
        .find(|(k, _)| k == org)
        .and_then(|(_, g)| g.first().cloned())
}

/// A handoff record as the offer that opened it (who offered, and what), for the mapping
/// of a receiving event.
pub(crate) fn proposal_of(h: handoff_core::state::HandoffRecord) -> (OrgId, ProposeHandoff) {
    (
        h.from,
        ProposeHandoff {
            to: h.to,
            entries: h.entries,
            transfer: h.transfer,
            ship_from: h.ship_from,
            ship_to: h.ship_to,
            docs: h.docs,
            expires_at_height: h.expires_at_height,
        },
    )
}

/// Maps every event (refusing the document at the first that cannot be mapped).
pub(crate) fn plan<S: Source>(
    reader: &S,
    doc: &Document,
    hashes: &[String],
    me: &OrgId,
) -> R<Vec<Plan>> {
    let mut out = Vec::with_capacity(doc.events.len());
    for (i, hash) in hashes.iter().enumerate() {
        if let Some(tx) = reader.imported(hash)? {
            out.push(Plan::Already(tx));
            continue;
        }
        let mapped = map::to_payload(doc, i, me, reader);
        reader.fault()?;
        let mapped = mapped.map_err(|e| bad(&e, hashes))?;
        // An event too large to be kept would be refused by the import.
        map::keep(doc, i).map_err(|e| bad(&e, hashes))?;
        out.push(Plan::Submit(mapped));
    }
    Ok(out)
}

/// `epcis_check`: the document validated and mapped as `signer`'s org; nothing written.
pub(crate) fn check(
    ledger: &Ledger,
    signer: &Identity,
    r: EpcisCheckRequest,
) -> R<EpcisCheckResponse> {
    let reader = Reader::new(ledger)?;
    check_with(&reader, &signer.key.public(), r)
}

/// [`check`] over any [`Source`], as the org `me`.
pub(crate) fn check_with<S: Source>(
    reader: &S,
    me: &OrgId,
    r: EpcisCheckRequest,
) -> R<EpcisCheckResponse> {
    let (doc, hashes) = read(&r.document)?;
    let plans = plan(reader, &doc, &hashes, me)?;
    let mut events = Vec::with_capacity(plans.len());
    for (i, p) in plans.iter().enumerate() {
        let kind = match p {
            Plan::Already(tx) => reader.kind(tx)?,
            Plan::Submit(m) => m.payload.type_name().to_string(),
        };
        events.push(EpcisEventView {
            index: i as u64,
            kind,
            hash: hashes[i].clone(),
            event_type: doc.events[i].event_type.as_str().to_string(),
            already: matches!(p, Plan::Already(_)),
        });
    }
    Ok(EpcisCheckResponse { events })
}

/// `epcis_import`: a document sent whole (over HTTP, at most
/// `handoff_epcis::limits::MAX_DOCUMENT_BYTES` and `MAX_EVENTS`), imported as
/// [`import_stream`] imports a file.
pub(crate) fn import(
    ledger: &Ledger,
    signer: &Identity,
    r: EpcisImportRequest,
) -> R<EpcisImportResponse> {
    let text = r.document.as_bytes();
    if text.len() > handoff_epcis::limits::MAX_DOCUMENT_BYTES {
        return Err(CliError::input(
            handoff_epcis::ErrorCode::TooLarge.as_str(),
            format!(
                "the document has {} bytes (at most {} in one request)",
                text.len(),
                handoff_epcis::limits::MAX_DOCUMENT_BYTES
            ),
        ));
    }
    let mut events = Vec::new();
    import_stream(
        ledger,
        signer,
        || Ok(text),
        handoff_epcis::limits::MAX_EVENTS,
        &mut |v| {
            events.push(v);
            Ok(())
        },
    )?;
    Ok(EpcisImportResponse {
        events,
        queued: None,
        light: None,
    })
}

/// What an import did, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Events in the document.
    pub events: u64,
    /// Committed as new transactions.
    pub committed: u64,
    /// Already on the ledger (imported before, or twice in the document).
    pub already: u64,
    /// Refused (a ledger rule, or a mapping that needs the ledger's state).
    pub rejected: u64,
    /// Blocks made.
    pub blocks: u64,
}

/// Imports the EPCIS document `open` gives (called three or four times: the file is read
/// again rather than held) as `signer`'s transactions, handing each event's outcome to
/// `report` in document order as soon as its block is durable.
///
/// Pass 1 reads every event (syntax, bounds, at most `max_events`) and maps it as far as
/// the ledger's state before the import allows: a document with an event that does not
/// read or map is refused (exit 2) before anything is signed. Pass 2 reads it again, maps
/// each event against the ledger (which now includes the document's earlier events) and
/// submits them in batches of up to [`IMPORT_BATCH`] transactions, one block each when
/// they fit: commission → pack → ship in one batch apply in order within the block. An
/// event whose mapping reads state that the pending batch may change (a receipt's open
/// handoff, an error declaration's target) is mapped after the batch is committed. What
/// a rule refuses, or a mapping that the ledger's state refuses in pass 2 (an error
/// declaration of an event that is nowhere, a receipt whose handoff an earlier event
/// accepted), is reported `rejected` with its code; the others stand.
pub fn import_stream<Rd: std::io::Read>(
    ledger: &Ledger,
    signer: &Identity,
    mut open: impl FnMut() -> std::io::Result<Rd>,
    max_events: usize,
    report: &mut dyn FnMut(EpcisImportView) -> R<()>,
) -> R<ImportSummary> {
    let reader = Reader::new(ledger)?;
    let me = signer.key.public();
    // Pass 1: everything that needs no state the import itself changes.
    let validate = Tracked::new(&reader, true);
    streamed(handoff_epcis::stream(
        &mut open,
        |i, head, event| -> R<()> {
            if i >= max_events {
                return Err(CliError::input(
                    handoff_epcis::ErrorCode::TooLarge.as_str(),
                    format!("more than {max_events} events"),
                ));
            }
            let (one, hash) = one_event(head, event);
            if ledger.store.epcis_tx(&hash)?.is_some() {
                // Imported before: it will be reported "already", not mapped again.
                return Ok(());
            }
            let mapped = map::to_payload(&one, 0, &me, &validate);
            reader.check()?;
            mapped.map_err(|e| bad_at(e, i, &hash))?;
            map::keep(&one, 0).map_err(|e| bad_at(e, i, &hash))?;
            Ok(())
        },
    ))?;
    // Pass 2: map against the ledger and submit in batches.
    let height = ledger.store.height();
    let mut batch = Batch::new(ledger, signer)?;
    let mut sum = ImportSummary::default();
    let lookup = Tracked::new(&reader, false);
    streamed(handoff_epcis::stream(
        &mut open,
        |i, head, event| -> R<()> {
            let (one, hash) = one_event(head, event);
            sum.events += 1;
            // The same event twice in one document: the second finds the first.
            if batch.hashes.contains(&hash) {
                batch.flush(report, &mut sum)?;
            }
            if let Some(tx) = ledger.store.epcis_tx(&hash)? {
                batch.items.push(Item::Already { index: i, hash, tx });
                return Ok(());
            }
            lookup.stateful.set(false);
            let mut mapped = map::to_payload(&one, 0, &me, &lookup);
            reader.check()?;
            if lookup.stateful.get() && batch.pending() {
                batch.flush(report, &mut sum)?;
                mapped = map::to_payload(&one, 0, &me, &lookup);
                reader.check()?;
            }
            match mapped {
                Ok(m) => {
                    let kept = map::keep(&one, 0).map_err(|e| bad_at(e, i, &hash))?;
                    batch.add(i, hash, m, kept.jsonld)?;
                }
                Err(e) => batch.items.push(Item::Refused {
                    index: i,
                    hash,
                    code: e.code().to_string(),
                    message: e.message,
                }),
            }
            if batch.txs.len() >= IMPORT_BATCH {
                batch.flush(report, &mut sum)?;
            }
            Ok(())
        },
    ))?;
    batch.flush(report, &mut sum)?;
    sum.blocks = ledger.store.height().saturating_sub(height);
    Ok(sum)
}

/// The most transactions submitted together by an import (one block each). Well below a
/// block's limit (`handoff_core::limits::MAX_BLOCK_TXS`) because the store keeps the last
/// few blocks' state layers in memory: with blocks of 512 events an import's memory
/// stays flat whatever the document's length, and 100,000 events still make only 196
/// blocks.
pub const IMPORT_BATCH: usize = 512;

/// A streamed read's outcome as the command line's error.
fn streamed<T>(r: Result<T, handoff_epcis::StreamError<CliError>>) -> R<T> {
    use handoff_epcis::StreamError;
    r.map_err(|e| match e {
        StreamError::Bad(e) => bad(&e, &[]),
        StreamError::Io(e) => CliError::input("FILE_UNREADABLE", e.to_string()),
        StreamError::Stopped(e) => e,
    })
}

/// A one-event document of `event` with `head`'s header, and the event's hash id.
fn one_event(head: &Document, event: Event) -> (Document, String) {
    let mut one = head.clone();
    one.events = vec![event];
    let hash = handoff_epcis::hash_ids(&one).pop().unwrap_or_default();
    (one, hash)
}

fn bad_at(mut e: EpcisError, index: usize, hash: &str) -> CliError {
    e.event = Some(index);
    CliError::input(e.code(), format!("event {index} ({hash}): {}", e.message))
}

/// The mapping's questions to the ledger, noting those whose answer a pending batch may
/// change. Validating, an error declaration's target may be an earlier event of the same
/// document, not yet imported: it is taken as found, and looked up for real in pass 2.
struct Tracked<'r, 'a> {
    reader: &'r Reader<'a>,
    validating: bool,
    stateful: std::cell::Cell<bool>,
}

impl<'r, 'a> Tracked<'r, 'a> {
    fn new(reader: &'r Reader<'a>, validating: bool) -> Self {
        Tracked {
            reader,
            validating,
            stateful: std::cell::Cell::new(false),
        }
    }
}

impl Lookup for Tracked<'_, '_> {
    fn org_by_gln(&self, gln: &str) -> Option<OrgId> {
        self.reader.org_by_gln(gln)
    }

    fn open_handoff(&self, to: &OrgId, keys: &[Gs1Key]) -> Option<HandoffId> {
        self.stateful.set(true);
        self.reader.open_handoff(to, keys)
    }

    fn tx_of_event(&self, id: &str) -> Option<TxId> {
        self.stateful.set(true);
        self.reader.tx_of_event(id).or_else(|| {
            self.validating
                .then_some(handoff_core::types::Hash32([0; 32]))
        })
    }
}

/// One event of a pending batch, reported in document order once the batch is durable.
enum Item {
    Already {
        index: usize,
        hash: String,
        tx: TxId,
    },
    Submit {
        index: usize,
        hash: String,
        /// Its position among the batch's transactions.
        at: usize,
        jsonld: String,
    },
    Refused {
        index: usize,
        hash: String,
        code: String,
        message: String,
    },
}

/// Transactions signed and waiting to be submitted together, with the nonces they take.
struct Batch<'l> {
    ledger: &'l Ledger,
    signer: &'l Identity,
    items: Vec<Item>,
    /// Each transaction's payload and event time (to sign it again if a refusal that
    /// consumes no nonce left a gap before it).
    txs: Vec<(Payload, i64)>,
    hashes: HashSet<String>,
    nonce: u64,
}

impl<'l> Batch<'l> {
    fn new(ledger: &'l Ledger, signer: &'l Identity) -> R<Batch<'l>> {
        Ok(Batch {
            ledger,
            signer,
            items: Vec::new(),
            txs: Vec::new(),
            hashes: HashSet::new(),
            nonce: ledger.store.next_nonce(&signer.key.public())?,
        })
    }

    fn pending(&self) -> bool {
        !self.txs.is_empty()
    }

    fn add(&mut self, index: usize, hash: String, m: Mapped, jsonld: String) -> R<()> {
        self.hashes.insert(hash.clone());
        self.items.push(Item::Submit {
            index,
            hash,
            at: self.txs.len(),
            jsonld,
        });
        self.txs.push((m.payload, m.event_time_ms));
        Ok(())
    }

    /// Signs `txs` from the next nonce on.
    fn sign(&mut self, txs: &[&(Payload, i64)]) -> R<Vec<SignedTx>> {
        let mut out = Vec::with_capacity(txs.len());
        for (payload, time) in txs {
            let tx = self
                .ledger
                .sign_at_nonce(&self.signer.key, self.nonce, payload.clone(), *time)
                .map_err(CliError::Rejected)?;
            self.nonce += 1;
            out.push(tx);
        }
        Ok(out)
    }

    /// Submits the pending transactions (as few blocks as the ledger's limits allow),
    /// keeps the committed events with their transactions, and reports every pending
    /// event in document order.
    fn flush(
        &mut self,
        report: &mut dyn FnMut(EpcisImportView) -> R<()>,
        sum: &mut ImportSummary,
    ) -> R<()> {
        use handoff_core::rejection::Code;
        let txs = std::mem::take(&mut self.txs);
        let mut receipts: Vec<Option<handoff_application::Receipt>> = vec![None; txs.len()];
        // Transactions still to submit: at first all; then those a refusal that takes no
        // nonce (and so leaves a gap) kept out, signed again with the nonces that follow.
        let mut todo: Vec<usize> = (0..txs.len()).collect();
        let mut rounds = 0;
        while !todo.is_empty() {
            rounds += 1;
            let refs: Vec<&(Payload, i64)> = todo.iter().map(|&i| &txs[i]).collect();
            let signed = self.sign(&refs)?;
            let got = self.ledger.submit(signed)?;
            if got.len() != todo.len() {
                return Err(CliError::Other(anyhow::anyhow!(
                    "{} receipts for {} transactions",
                    got.len(),
                    todo.len()
                )));
            }
            let mut again = Vec::new();
            for (&i, r) in todo.iter().zip(got) {
                let gap = matches!(&r.result, Err(e) if e.code == Code::NonceGap);
                if gap && rounds < 16 {
                    again.push(i);
                } else {
                    receipts[i] = Some(r);
                }
            }
            todo = again;
            self.nonce = self.ledger.store.next_nonce(&self.signer.key.public())?;
        }
        let mut keep = Vec::new();
        for item in &self.items {
            if let Item::Submit {
                hash, at, jsonld, ..
            } = item
                && let Some(r) = &receipts[*at]
                && r.result.is_ok()
            {
                keep.push((hash.clone(), r.tx, jsonld.clone()));
            }
        }
        if !keep.is_empty() {
            self.ledger.store.keep_epcis_many(&keep)?;
        }
        for item in std::mem::take(&mut self.items) {
            let view = |index: usize, hash: String, status: &str| EpcisImportView {
                index: index as u64,
                hash,
                status: status.to_string(),
                code: None,
                message: None,
                tx: None,
                height: None,
            };
            let v = match item {
                Item::Already { index, hash, tx } => {
                    sum.already += 1;
                    EpcisImportView {
                        tx: Some(tx.to_hex()),
                        ..view(index, hash, "already")
                    }
                }
                Item::Refused {
                    index,
                    hash,
                    code,
                    message,
                } => {
                    sum.rejected += 1;
                    EpcisImportView {
                        code: Some(code),
                        message: Some(message),
                        ..view(index, hash, "rejected")
                    }
                }
                Item::Submit {
                    index, hash, at, ..
                } => {
                    let Some(r) = receipts[at].take() else {
                        return Err(CliError::Other(anyhow::anyhow!("no receipt")));
                    };
                    match r.result {
                        Ok(()) => {
                            sum.committed += 1;
                            EpcisImportView {
                                tx: Some(r.tx.to_hex()),
                                height: r.height,
                                ..view(index, hash, "committed")
                            }
                        }
                        Err(rej) => {
                            sum.rejected += 1;
                            EpcisImportView {
                                code: Some(rej.code.as_str().to_string()),
                                message: Some(rej.message),
                                tx: Some(r.tx.to_hex()),
                                height: r.height,
                                ..view(index, hash, "rejected")
                            }
                        }
                    }
                }
            };
            report(v)?;
        }
        self.hashes.clear();
        Ok(())
    }
}

/// One committed transaction as an EPCIS event: the namespaces of the document it came
/// in (none for a mapped one), the event, and its CBV 2.0 hash id.
pub(crate) struct Exported {
    namespaces: Vec<Namespace>,
    event: Event,
    /// Its hash id.
    pub(crate) hash: String,
}

/// The EPCIS event of one committed transaction: the kept original when it was imported
/// here, else its mapping; `None` for a transaction that is no supply-chain event.
pub(crate) fn export_one<S: Source>(
    reader: &S,
    tx: &SignedTx,
    record_time_ms: i64,
) -> R<Option<Exported>> {
    let id = tx.id();
    if let Some((hash, jsonld)) = reader.kept(&id)? {
        let d = map::restore(&jsonld).map_err(|e| {
            CliError::failed(
                "STORE_FAULT",
                format!("a kept EPCIS event does not read: {e}"),
            )
        })?;
        let event = d.events.into_iter().next();
        return Ok(event.map(|event| Exported {
            namespaces: d.namespaces,
            event,
            hash,
        }));
    }
    let by = reader.by(tx)?;
    let c = Committed {
        payload: &tx.body.payload,
        event_time_ms: tx.body.event_time_ms,
        record_time_ms,
        by,
        tx: id,
    };
    let e = map::from_payload(&c, reader);
    reader.fault()?;
    // A mapped event has no extensions: no namespace declaration changes its hash.
    Ok(e.map(|event| Exported {
        hash: handoff_epcis::hash_id(&Document::new("", Vec::new()), &event),
        namespaces: Vec::new(),
        event,
    }))
}

/// Whether an export or query answer is asked for as XML (`xml`) or JSON-LD (`jsonld`,
/// `json`); any other format is `BAD_FORMAT`.
pub(crate) fn is_xml(format: &str) -> R<bool> {
    match format {
        "jsonld" | "json" => Ok(false),
        "xml" => Ok(true),
        other => Err(CliError::input(
            "BAD_FORMAT",
            format!("the format is jsonld or xml, not '{other}'"),
        )),
    }
}

/// `epcis_export`: one item's journey or every supply-chain event, as a document.
pub(crate) fn export(ledger: &Ledger, r: EpcisExportRequest) -> R<EpcisExportResponse> {
    let xml = is_xml(&r.format)?;
    let reader = Reader::new(ledger)?;
    let mut parts = Vec::new();
    match (&r.scan, r.all) {
        (Some(s), false) => {
            let key = crate::api::scan(s)?.key;
            let journey = handoff_core::query::journey(&ledger.store, &ledger.store, &key)?;
            if journey.is_empty() && ledger.store.thing(&key)?.is_none() {
                return Err(CliError::input(
                    "UNKNOWN_ITEM",
                    format!("{} was never commissioned", key.canonical()),
                ));
            }
            let mut seen = HashSet::new();
            for ev in journey.iter().map(|j| &j.event) {
                if !seen.insert(ev.tx) {
                    continue;
                }
                if let Some((tx, time, _)) = reader.tx_at(ev.height, ev.index)?
                    && let Some(x) = export_one(&reader, &tx, time)?
                {
                    parts.push((x.namespaces, x.event));
                }
            }
        }
        (None, true) => return export_all(&reader, xml),
        _ => {
            return Err(CliError::input(
                "BAD_ARGUMENTS",
                "export one item (a scan) or everything (all), not both or neither",
            ));
        }
    }
    write_export(parts, xml)
}

/// Every event `reader` holds (a full node's: the chain's; a light node's: its org's
/// own), as a document.
pub(crate) fn export_all<S: Source>(reader: &S, xml: bool) -> R<EpcisExportResponse> {
    let mut parts = Vec::new();
    for height in 1..=reader.height()? {
        let Some((time, txs)) = reader.block(height)? else {
            continue;
        };
        for (_, tx) in txs {
            if let Some(x) = export_one(reader, &tx, time)? {
                parts.push((x.namespaces, x.event));
            }
        }
    }
    write_export(parts, xml)
}

fn write_export(parts: Vec<(Vec<Namespace>, Event)>, xml: bool) -> R<EpcisExportResponse> {
    let now = handoff_epcis::time::format_ms(crate::ledger::now_ms());
    let doc = map::merge(&now, parts);
    let document = if xml {
        // An extension name with no XML form (JSON-LD allows keys XML does not) cannot be
        // written as XML; the JSON-LD export has it.
        handoff_epcis::write_xml(&doc).map_err(|e| CliError::input(e.code(), e.to_string()))?
    } else {
        handoff_epcis::write_jsonld(&doc)
    };
    Ok(EpcisExportResponse {
        format: if xml { "xml" } else { "jsonld" }.into(),
        events: doc.events.len() as u64,
        document,
        light: None,
    })
}

/// The key the query document's proof links are under: an absolute IRI, so no prefix is
/// declared in the document's context (a declared prefix would expand a kept event's
/// values that use it, and change its hash id).
pub const PROOFS_KEY: &str = "urn:handoff:proofs";

/// One event of a query's answer, with where it is on the ledger.
struct Hit {
    key: SortKey,
    x: Exported,
    tx: TxId,
    height: u64,
    index: u32,
}

/// The events of block `height` that `q` matches and that come after its page token, in
/// block order. Each carries the block's time as its `recordTime` and, when it has none
/// of its own, its hash id as its `eventID` (neither counts in the hash id).
fn block_hits<S: Source>(reader: &S, q: &Query, height: u64) -> R<Vec<Hit>> {
    let Some((time, txs)) = reader.block(height)? else {
        return Err(CliError::failed(
            "STORE_FAULT",
            format!("block {height} is missing from the store"),
        ));
    };
    let mut out = Vec::new();
    for (index, tx) in txs {
        let Some(mut x) = export_one(reader, &tx, time)? else {
            continue;
        };
        x.event.record_time = Some(handoff_epcis::time::format_ms(time));
        if x.event.event_id.is_none() {
            x.event.event_id = Some(x.hash.clone());
        }
        let key = q.sort_key(&x.event, height, index);
        if q.after_page(&key) && q.matches(&x.event, &x.hash) {
            out.push(Hit {
                key,
                x,
                tx: tx.id(),
                height,
                index,
            });
        }
    }
    Ok(out)
}

fn query_error(e: &EpcisError) -> CliError {
    CliError::input(e.code(), e.message.clone())
}

/// `epcis_query`: one page of the ledger's supply-chain events that match a simple event
/// query, as an `EPCISQueryDocument`. In ledger order (the default, and `recordTime`)
/// blocks are read from the page token on and the scan stops once the page is full (and
/// one more event shows there is a next page); ordered by `eventTime`, or with
/// `maxEventCount`, every block is read and the matches sorted.
pub(crate) fn query(ledger: &Ledger, r: EpcisQueryRequest) -> R<EpcisQueryResponse> {
    query_with(&Reader::new(ledger)?, r)
}

/// [`query`] over any [`Source`].
pub(crate) fn query_with<S: Source>(reader: &S, r: EpcisQueryRequest) -> R<EpcisQueryResponse> {
    let xml = is_xml(&r.format)?;
    let q = Query::from_query_string(&r.query).map_err(|e| query_error(&e))?;
    let (want, _) = q.page_len();
    let tip = reader.height()?;
    let mut hits: Vec<Hit> = Vec::new();
    if want == 0 {
        // eventCountLimit reached by the pages before: nothing more.
    } else if q.streams() {
        if q.descending {
            let start = q.page.map_or(tip, |t| t.after.height.min(tip));
            for height in (1..=start).rev() {
                let mut found = block_hits(reader, &q, height)?;
                found.reverse();
                hits.extend(found);
                if hits.len() > want {
                    break;
                }
            }
        } else {
            let start = q.page.map_or(1, |t| t.after.height.max(1));
            for height in start..=tip {
                hits.extend(block_hits(reader, &q, height)?);
                if hits.len() > want {
                    break;
                }
            }
        }
    } else {
        let mut all = Vec::new();
        for height in 1..=tip {
            all.extend(block_hits(reader, &q, height)?);
        }
        if let Some(max) = q.max_event_count {
            // Counted on the first page only: later pages are of a query already allowed.
            if q.page.is_none() && all.len() as u64 > max {
                return Err(CliError::input(
                    ErrorCode::QueryTooLarge.as_str(),
                    format!(
                        "the query matches {} events, more than its maxEventCount {max}",
                        all.len()
                    ),
                ));
            }
        }
        all.sort_by_key(|h| h.key);
        if q.descending {
            all.reverse();
        }
        hits = all;
    }
    let more = hits.len() > want;
    hits.truncate(want);
    let next_page_token = match hits.last() {
        Some(last) if more => q.next_token(last.key, hits.len()).map(|t| t.encode()),
        _ => None,
    };
    let proofs: Vec<EpcisProofLink> = hits
        .iter()
        .map(|h| {
            let tx = h.tx.to_hex();
            EpcisProofLink {
                event_id: h
                    .x
                    .event
                    .event_id
                    .clone()
                    .unwrap_or_else(|| h.x.hash.clone()),
                hash: h.x.hash.clone(),
                proof: format!("/v1/transactions/{tx}/proof?height={}", h.height),
                tx,
                height: h.height,
                index: u64::from(h.index),
            }
        })
        .collect();
    let now = handoff_epcis::time::format_ms(crate::ledger::now_ms());
    let mut doc = map::merge(
        &now,
        hits.into_iter()
            .map(|h| (h.x.namespaces, h.x.event))
            .collect(),
    );
    doc.kind = DocumentKind::Query;
    doc.query_name = Some("SimpleEventQuery".into());
    let document = if xml {
        handoff_epcis::write_xml(&doc).map_err(|e| CliError::input(e.code(), e.to_string()))?
    } else {
        // The proof links are a member of the document, not of each event: an event's
        // own extension would change its hash id when a client recomputes it.
        let mut text = handoff_epcis::write_jsonld(&doc);
        let links = serde_json::to_string(&proofs).map_err(anyhow::Error::from)?;
        if text.ends_with('}') {
            text.pop();
            text.push_str(&format!(",\"{PROOFS_KEY}\":{links}}}"));
        }
        text
    };
    Ok(EpcisQueryResponse {
        format: if xml { "xml" } else { "jsonld" }.into(),
        events: doc.events.len() as u64,
        document,
        next_page_token,
        proofs,
        light: None,
    })
}
