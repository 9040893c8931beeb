//! Evidence: everything the consumer verdict and an item's journey read, with Merkle
//! proofs against one certified header, so that whoever holds the chain's genesis (its
//! id and validator set) recomputes both without trusting the node that served them —
//! the consumer page does it in the browser with this crate compiled to wasm.
//!
//! A node builds evidence by running [`crate::query::verdict`],
//! [`crate::query::journey`] and the certifications that cover the item
//! ([`crate::certify::applicable`]) over [`Recording`] readers, which note every state
//! key and history they touch, then proving each at one height ([`Evidence`]). [`check`]
//! does the reverse: it verifies the header's certificate, every proof and every history
//! against the history head its proven record commits to, and runs the same queries
//! over the proven records only. A read of anything the evidence does not prove is an
//! error, so a node that leaves out a recall or a handoff gets "could not verify", never
//! a clean verdict.

use crate::block::{BlockHeader, Certificate};
use crate::certify::{self, Applied};
use crate::event::Event;
use crate::governance::{SetChange, follow_changes};
use crate::gs1::{Gs1Key, parse_scan};
use crate::limits::{MAX_EVIDENCE_BYTES, MAX_EVIDENCE_EVENTS, MAX_EVIDENCE_RECORDS};
use crate::proof::RecordProof;
use crate::query::{HistoryRead, JourneyEvent, VerdictReport, journey, verdict};
use crate::state::{HistoryHead, ReadError, ReadResult, Record, StateKey, StateRead, StateReadExt};
use crate::types::{Hash32, PublicKey};
use borsh::{BorshDeserialize, BorshSerialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// What a checker trusts: the chain and the validators that certify its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// The chain id (hash of its genesis).
    pub chain_id: Hash32,
    /// The validator set that must certify the header of the evidence.
    pub validators: Vec<PublicKey>,
}

/// A history as served: the canonical key whose history it is and its encoded events,
/// oldest first, up to the evidence's height.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct HistoryProof {
    /// Canonical key.
    pub key: String,
    /// Encoded events ([`Event::encode`]); they must hash to the head in the key's
    /// proven record.
    pub events: Vec<Vec<u8>>,
}

/// The evidence of a verdict and a journey at one certified height.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Evidence {
    /// The certified header every proof is against.
    pub header: BlockHeader,
    /// Its commit certificate.
    pub certificate: Certificate,
    /// Every state record the two queries read, proven (present or absent) at the
    /// header's height.
    pub records: Vec<RecordProof>,
    /// Every history the journey read.
    pub histories: Vec<HistoryProof>,
    /// The validator-set changes since genesis before the header, oldest first, so a
    /// reader anchored at the genesis set reaches the set that certified the header.
    pub set_changes: Vec<SetChange>,
}

/// Why evidence was not taken. Each is "could not verify" for a user, never a verdict.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// Over the size bounds or not an encoding of evidence.
    #[error("the evidence is malformed: {0}")]
    Malformed(String),
    /// The header is of another chain.
    #[error("the evidence is from another chain")]
    OtherChain,
    /// The header's certificate does not verify against the trusted validators (a forged
    /// header, or a validator set changed since the anchor).
    #[error("the block header is not certified by the chain's validators")]
    Certificate,
    /// The validator-set changes from the anchor to the header do not check.
    #[error("{0}")]
    SetChange(String),
    /// A record's proof failed.
    #[error("{key}: {detail}")]
    Proof {
        /// Which record.
        key: String,
        /// Why.
        detail: String,
    },
    /// A history does not match the head its record commits to.
    #[error("the history of {0} does not match its proven record")]
    History(String),
    /// The queries needed something the evidence does not prove.
    #[error("{0}")]
    Incomplete(ReadError),
}

impl EvidenceError {
    /// A stable code: `EVIDENCE_MALFORMED`, `EVIDENCE_OTHER_CHAIN`,
    /// `EVIDENCE_NOT_CERTIFIED`, `EVIDENCE_PROOF_INVALID`, `EVIDENCE_HISTORY_INVALID`,
    /// `EVIDENCE_INCOMPLETE`.
    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::Malformed(_) => "EVIDENCE_MALFORMED",
            EvidenceError::OtherChain => "EVIDENCE_OTHER_CHAIN",
            EvidenceError::Certificate => "EVIDENCE_NOT_CERTIFIED",
            EvidenceError::SetChange(_) => "EVIDENCE_SET_CHANGE_INVALID",
            EvidenceError::Proof { .. } => "EVIDENCE_PROOF_INVALID",
            EvidenceError::History(_) => "EVIDENCE_HISTORY_INVALID",
            EvidenceError::Incomplete(_) => "EVIDENCE_INCOMPLETE",
        }
    }
}

/// The verdict and journey recomputed from evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The verdict.
    pub report: VerdictReport,
    /// The journey, oldest first (empty when the scan names nothing with a history).
    pub journey: Vec<JourneyEvent>,
    /// The orgs the journey names (actors and counterparties), with their names, and the
    /// product's name: read from proven records like everything else.
    pub names: BTreeMap<PublicKey, String>,
    /// The product's name, when the scan names a defined product.
    pub product: Option<String>,
    /// The certifications that cover the item or lot the scan names — its own, its lot's,
    /// its product's, its maker's and those of the places in its history
    /// ([`certify::subjects_of`]) — each with its status at the checker's clock (as the
    /// verdict judges them); their issuers are in `names`. Empty for anything else.
    pub certifications: Vec<Applied>,
    /// The height proven at.
    pub height: u64,
    /// The block time of that height, unix ms.
    pub time_ms: i64,
}

impl Evidence {
    /// Canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }

    /// Decodes untrusted bytes within the bounds of [`crate::limits`].
    pub fn decode(bytes: &[u8]) -> Result<Evidence, EvidenceError> {
        if bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(EvidenceError::Malformed(format!(
                "{} bytes, more than the {MAX_EVIDENCE_BYTES} evidence may hold",
                bytes.len()
            )));
        }
        let e: Evidence = borsh::from_slice(bytes)
            .map_err(|e| EvidenceError::Malformed(format!("undecodable: {e}")))?;
        e.check_bounds()?;
        Ok(e)
    }

    fn check_bounds(&self) -> Result<(), EvidenceError> {
        if self.set_changes.len() > crate::limits::MAX_SET_CHANGES {
            return Err(EvidenceError::Malformed(format!(
                "{} validator-set changes, more than {}",
                self.set_changes.len(),
                crate::limits::MAX_SET_CHANGES
            )));
        }
        if self.records.len() > MAX_EVIDENCE_RECORDS {
            return Err(EvidenceError::Malformed(format!(
                "{} records, more than {MAX_EVIDENCE_RECORDS}",
                self.records.len()
            )));
        }
        let events: usize = self.histories.iter().map(|h| h.events.len()).sum();
        if events > MAX_EVIDENCE_EVENTS || self.histories.len() > MAX_EVIDENCE_RECORDS {
            return Err(EvidenceError::Malformed(format!(
                "{events} history events in {} histories, more than {MAX_EVIDENCE_EVENTS}",
                self.histories.len()
            )));
        }
        Ok(())
    }
}

/// Checks `evidence` against `anchor` and recomputes the verdict for `scan` (as of
/// `now_ms`, the checker's clock) and its journey from the proven records alone.
pub fn check(
    evidence: &Evidence,
    anchor: &Anchor,
    scan: &str,
    now_ms: i64,
) -> Result<Checked, EvidenceError> {
    evidence.check_bounds()?;
    let header = &evidence.header;
    if header.chain_id != anchor.chain_id {
        return Err(EvidenceError::OtherChain);
    }
    // The anchor is the genesis set (epoch 0); the evidence's set changes lead from it to
    // the set that certified the header.
    let validators = follow_changes(
        &anchor.chain_id,
        &anchor.validators,
        0,
        &evidence.set_changes,
        header.height,
    )
    .map_err(|e| EvidenceError::SetChange(e.to_string()))?;
    if !evidence.certificate.verify(header, &validators) {
        return Err(EvidenceError::Certificate);
    }
    let mut records: BTreeMap<Vec<u8>, Option<Record>> = BTreeMap::new();
    for p in &evidence.records {
        let name = key_name(&p.key);
        let fail = |detail: String| EvidenceError::Proof {
            key: name.clone(),
            detail,
        };
        if p.height != header.height {
            return Err(fail(format!(
                "proven at height {}, the header is {}",
                p.height, header.height
            )));
        }
        p.verify(&header.state_root)
            .map_err(|e| fail(e.to_string()))?;
        let rec = match &p.value {
            None => None,
            Some(v) => Some(Record::decode(v).ok_or_else(|| fail("not a record".into()))?),
        };
        records.insert(p.key.clone(), rec);
    }
    let mut histories: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for h in &evidence.histories {
        let head = match records.get(&StateKey::Item(h.key.clone()).to_bytes()) {
            Some(Some(Record::Item(it))) => it.history,
            Some(Some(Record::Lot(l))) => l.history,
            Some(None) => HistoryHead::default(),
            _ => return Err(EvidenceError::History(h.key.clone())),
        };
        let mut chained = HistoryHead::default();
        let mut events = Vec::with_capacity(h.events.len());
        for bytes in &h.events {
            chained.append(bytes);
            events.push(Event::decode(bytes).ok_or_else(|| EvidenceError::History(h.key.clone()))?);
        }
        if chained != head {
            return Err(EvidenceError::History(h.key.clone()));
        }
        histories.insert(h.key.clone(), events);
    }
    let proven = Proven { records, histories };
    let (report, journey, names, product, certifications) =
        queries(&proven, scan, now_ms).map_err(EvidenceError::Incomplete)?;
    Ok(Checked {
        report,
        journey,
        names,
        product,
        certifications,
        height: header.height,
        time_ms: header.time_ms,
    })
}

type Answers = (
    VerdictReport,
    Vec<JourneyEvent>,
    BTreeMap<PublicKey, String>,
    Option<String>,
    Vec<Applied>,
);

/// What the evidence answers, read the same way by the node that builds it and the page
/// that checks it: the verdict, the journey (for a scan naming an item, lot or
/// container), the certifications covering an item or lot, the names of the orgs in
/// them and the product's name.
fn queries<R: StateRead + HistoryRead>(r: &R, scan: &str, now_ms: i64) -> ReadResult<Answers> {
    let parsed = parse_scan(scan);
    let report = verdict(r, &parsed, now_ms)?;
    let mut names = BTreeMap::new();
    let mut product = None;
    let mut trail = Vec::new();
    let mut certifications = Vec::new();
    if let Ok(s) = &parsed {
        if let Some(g) = s.key.gtin() {
            product = r.product(g)?.map(|p| p.name);
        }
        let has = !matches!(s.key, Gs1Key::Gtin { .. } | Gs1Key::Gln { .. })
            && matches!(
                r.read(&StateKey::item(&s.key))?,
                Some(Record::Item(_) | Record::Lot(_))
            );
        if has {
            trail = journey(r, r, &s.key)?;
            certifications = covering(r, &s.key, now_ms)?;
        }
        let actors = trail
            .iter()
            .flat_map(|e| std::iter::once(e.event.by).chain(e.event.counterparty));
        let issuers = certifications.iter().map(|a| a.record.issuer);
        for org in actors.chain(issuers) {
            if let std::collections::btree_map::Entry::Vacant(v) = names.entry(org)
                && let Some(o) = r.org(&org)?
            {
                v.insert(o.name);
            }
        }
    }
    Ok((report, trail, names, product, certifications))
}

/// The certifications covering an item or lot (`key` names one on the chain), as the
/// node's certification list gives them: its own, its lot's, its product's, its maker's
/// and those of the places its history names.
fn covering<R: StateRead + HistoryRead>(
    r: &R,
    key: &Gs1Key,
    now_ms: i64,
) -> ReadResult<Vec<Applied>> {
    let (lot, producer) = match r.read(&StateKey::item(key))? {
        Some(Record::Item(it)) => (it.lot, it.commissioned_by),
        Some(Record::Lot(l)) => (None, l.commissioned_by),
        _ => return Ok(Vec::new()),
    };
    let mut places: Vec<String> = Vec::new();
    for e in r.events(&key.canonical())? {
        if let Some(g) = e.at
            && !places.contains(&g)
        {
            places.push(g);
        }
    }
    let subjects = certify::subjects_of(key, lot.as_deref(), Some(producer), places);
    certify::applicable(r, &subjects, now_ms)
}

/// A proven key's name for messages: printable keys as they are (`i/01/…/21/…`), others
/// as the first bytes in hex.
fn key_name(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) if s.chars().all(|c| c.is_ascii_graphic()) => format!("record {s}"),
        _ => format!("record {}", hex::encode(&key[..key.len().min(9)])),
    }
}

/// Proven records and histories; anything else is unavailable.
struct Proven {
    records: BTreeMap<Vec<u8>, Option<Record>>,
    histories: BTreeMap<String, Vec<Event>>,
}

impl StateRead for Proven {
    fn read(&self, key: &StateKey) -> ReadResult<Option<Record>> {
        match self.records.get(&key.to_bytes()) {
            Some(r) => Ok(r.clone()),
            None => Err(ReadError::Unavailable {
                key: key.describe(),
                detail: "the evidence does not prove it".into(),
            }),
        }
    }
}

impl HistoryRead for Proven {
    fn events(&self, canonical: &str) -> ReadResult<Vec<Event>> {
        self.histories
            .get(canonical)
            .cloned()
            .ok_or_else(|| ReadError::Unavailable {
                key: format!("the history of {canonical}"),
                detail: "the evidence does not prove it".into(),
            })
    }
}

/// A reader that notes what the queries read (a node uses it to know what to prove).
pub struct Recording<'a, S: ?Sized, H: ?Sized> {
    state: &'a S,
    hist: &'a H,
    keys: RefCell<BTreeSet<StateKey>>,
    histories: RefCell<BTreeSet<String>>,
}

impl<'a, S: StateRead + ?Sized, H: HistoryRead + ?Sized> Recording<'a, S, H> {
    /// Wraps a node's state and histories.
    pub fn new(state: &'a S, hist: &'a H) -> Self {
        Recording {
            state,
            hist,
            keys: RefCell::new(BTreeSet::new()),
            histories: RefCell::new(BTreeSet::new()),
        }
    }

    /// Runs the verdict and the journey for `scan` as [`check`] will, noting what they
    /// read.
    pub fn run(&self, scan: &str, now_ms: i64) -> ReadResult<()> {
        queries(self, scan, now_ms).map(|_| ())
    }

    /// The state keys read (each history's own record included), and the histories.
    pub fn into_reads(self) -> (BTreeSet<StateKey>, BTreeSet<String>) {
        let mut keys = self.keys.into_inner();
        let histories = self.histories.into_inner();
        for h in &histories {
            keys.insert(StateKey::Item(h.clone()));
        }
        (keys, histories)
    }
}

impl<S: StateRead + ?Sized, H: HistoryRead + ?Sized> StateRead for Recording<'_, S, H> {
    fn read(&self, key: &StateKey) -> ReadResult<Option<Record>> {
        self.keys.borrow_mut().insert(key.clone());
        self.state.read(key)
    }
}

impl<S: StateRead + ?Sized, H: HistoryRead + ?Sized> HistoryRead for Recording<'_, S, H> {
    fn events(&self, canonical: &str) -> ReadResult<Vec<Event>> {
        self.histories.borrow_mut().insert(canonical.to_string());
        self.hist.events(canonical)
    }
}
