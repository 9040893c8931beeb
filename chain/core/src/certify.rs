//! Certifications and notarized documents: what they are on the chain, and which of them
//! count at a given chain time.
//!
//! An org with the `auditor` role certifies a product (GTIN), a lot, an item, an org or a
//! location (GLN): a scheme (e.g. "EU organic"), the standard, a certificate number, a
//! validity window and the hash of the certificate document. It may suspend, reinstate or
//! revoke it; a revocation is final. A certification counts only between its `valid_from`
//! and `valid_until` (chain time) and while neither suspended nor revoked.
//!
//! Any org notarizes a document by its SHA-256, with a type, a title and links to items,
//! lots and handoffs. The file stays with its owner; the chain proves that this org
//! registered exactly these bytes at this block. Each org registers a given hash once;
//! several orgs may register the same document (both parties of an invoice).
//!
//! The rules that change state are in `apply.rs`; this module holds the types and the
//! pure questions asked of them (status at a time, the subject's index key).

use crate::gs1::Gs1Key;
use crate::state::{ReadError, ReadResult, Record, StateKey, StateRead};
use crate::types::{HandoffId, Hash32, OrgId, TxId, sha256};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// A certification's id: `sha256("cert" ‖ issuer ‖ scheme ‖ 0 ‖ number)`, so one auditor
/// cannot issue the same certificate number of a scheme twice.
pub type CertId = Hash32;

/// What a certification is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum CertSubject {
    /// Every item of a product (14-digit GTIN).
    Product(String),
    /// A lot, an item or a container.
    Thing(Gs1Key),
    /// An org (its practices: a facility audit, a fair-trade membership).
    Org(OrgId),
    /// A location (13-digit GLN): a farm, a plant, a warehouse.
    Location(String),
}

impl CertSubject {
    /// The key of the subject's list of certifications (`StateKey::CertsOf`).
    pub fn index_key(&self) -> String {
        match self {
            CertSubject::Product(g) => format!("product:{g}"),
            CertSubject::Thing(k) => format!("thing:{}", k.canonical()),
            CertSubject::Org(o) => format!("org:{}", o.to_hex()),
            CertSubject::Location(g) => format!("location:{g}"),
        }
    }

    /// For messages.
    pub fn describe(&self) -> String {
        match self {
            CertSubject::Product(g) => format!("product {g}"),
            CertSubject::Thing(k) => k.canonical(),
            CertSubject::Org(o) => format!("org {}", o.short()),
            CertSubject::Location(g) => format!("location {g}"),
        }
    }
}

/// The `Certify` payload.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Certify {
    /// What is certified.
    pub subject: CertSubject,
    /// The scheme ("EU organic", "Fairtrade", "halal", "lab test").
    pub scheme: String,
    /// The standard or programme version ("EU 2018/848", "ISO 22000:2018"); may be empty.
    pub standard: String,
    /// The certificate number as printed on the certificate.
    pub number: String,
    /// First moment it is valid, unix ms.
    pub valid_from_ms: i64,
    /// Moment it stops being valid, unix ms (exclusive).
    pub valid_until_ms: i64,
    /// SHA-256 of the certificate document, if one exists.
    pub document: Option<Hash32>,
}

impl Certify {
    /// The id this certification gets when `issuer` issues it.
    pub fn id(&self, issuer: &OrgId) -> CertId {
        cert_id(issuer, &self.scheme, &self.number)
    }
}

/// See [`CertId`].
pub fn cert_id(issuer: &OrgId, scheme: &str, number: &str) -> CertId {
    sha256(&[
        b"cert",
        &issuer.0,
        scheme.as_bytes(),
        &[0],
        number.as_bytes(),
    ])
}

/// A change of a certification's standing, by its issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertChange {
    /// Stops counting until reinstated.
    Suspend,
    /// Counts again after a suspension.
    Reinstate,
    /// Stops counting for good.
    Revoke,
}

impl CertChange {
    /// The verb, for messages.
    pub fn verb(self) -> &'static str {
        match self {
            CertChange::Suspend => "suspend",
            CertChange::Reinstate => "reinstate",
            CertChange::Revoke => "revoke",
        }
    }
}

/// A certification on the chain.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct CertRecord {
    /// Its id.
    pub id: CertId,
    /// The auditor org that issued it.
    pub issuer: OrgId,
    /// What it said at issue.
    pub cert: Certify,
    /// Height and transaction of issue.
    pub issued_height: u64,
    /// The issuing transaction.
    pub issued_tx: TxId,
    /// Suspended now (with the reason), if so.
    pub suspended: Option<String>,
    /// Revoked (with the reason), if so; final.
    pub revoked: Option<String>,
    /// Height of the last suspension, reinstatement or revocation.
    pub changed_height: Option<u64>,
}

/// Whether a certification counts at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    /// Within its window, not suspended or revoked: it counts.
    Valid,
    /// Its window has not begun.
    NotYetValid,
    /// Its window has ended.
    Expired,
    /// Suspended by its issuer.
    Suspended,
    /// Revoked by its issuer.
    Revoked,
}

impl CertStatus {
    /// Its name, as serialized (`valid`, `not_yet_valid`, `expired`, `suspended`,
    /// `revoked`).
    pub fn as_str(self) -> &'static str {
        match self {
            CertStatus::Valid => "valid",
            CertStatus::NotYetValid => "not_yet_valid",
            CertStatus::Expired => "expired",
            CertStatus::Suspended => "suspended",
            CertStatus::Revoked => "revoked",
        }
    }

    /// Whether a certification with this status counts.
    pub fn counts(self) -> bool {
        self == CertStatus::Valid
    }
}

impl CertRecord {
    /// Its status at `time_ms` (chain time): revoked, then suspended, then the window.
    pub fn status(&self, time_ms: i64) -> CertStatus {
        if self.revoked.is_some() {
            CertStatus::Revoked
        } else if self.suspended.is_some() {
            CertStatus::Suspended
        } else if time_ms < self.cert.valid_from_ms {
            CertStatus::NotYetValid
        } else if time_ms >= self.cert.valid_until_ms {
            CertStatus::Expired
        } else {
            CertStatus::Valid
        }
    }
}

/// The certifications of one subject (ids, in issue order).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct CertList {
    /// Ids.
    pub ids: Vec<CertId>,
}

/// What kind of document was notarized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// Purchase order.
    PurchaseOrder,
    /// Invoice.
    Invoice,
    /// Despatch advice (advance ship notice).
    DespatchAdvice,
    /// Bill of lading.
    BillOfLading,
    /// A laboratory's report.
    LabReport,
    /// A photo.
    Photo,
    /// Anything else.
    Other,
}

impl DocKind {
    /// Every kind, in the order of the command line's names.
    pub const ALL: [DocKind; 7] = [
        DocKind::PurchaseOrder,
        DocKind::Invoice,
        DocKind::DespatchAdvice,
        DocKind::BillOfLading,
        DocKind::LabReport,
        DocKind::Photo,
        DocKind::Other,
    ];

    /// The command line's name (`po`, `invoice`, `despatch`, `bill_of_lading`,
    /// `lab_report`, `photo`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::PurchaseOrder => "po",
            DocKind::Invoice => "invoice",
            DocKind::DespatchAdvice => "despatch",
            DocKind::BillOfLading => "bill_of_lading",
            DocKind::LabReport => "lab_report",
            DocKind::Photo => "photo",
            DocKind::Other => "other",
        }
    }

    /// From the command line's name.
    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a notarized document is linked to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum DocLink {
    /// An item, a container or a lot.
    Thing(Gs1Key),
    /// A handoff.
    Handoff(HandoffId),
}

impl DocLink {
    /// The key of the linked thing's list of documents (`StateKey::DocsOf`).
    pub fn index_key(&self) -> String {
        match self {
            DocLink::Thing(k) => format!("thing:{}", k.canonical()),
            DocLink::Handoff(h) => format!("handoff:{}", h.to_hex()),
        }
    }
}

/// The `NotarizeDocument` payload.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Notarize {
    /// SHA-256 of the file's bytes.
    pub hash: Hash32,
    /// Its type.
    pub kind: DocKind,
    /// A short title ("PO 4711", "Bill of lading MSKU 123").
    pub title: String,
    /// What it concerns.
    pub links: Vec<DocLink>,
}

/// One org's registration of a document.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Registration {
    /// The registering org.
    pub by: OrgId,
    /// Type, title and links as registered.
    pub kind: DocKind,
    /// Title.
    pub title: String,
    /// Links.
    pub links: Vec<DocLink>,
    /// Block height.
    pub height: u64,
    /// Block time, unix ms.
    pub time_ms: i64,
    /// The registering transaction.
    pub tx: TxId,
}

/// A document hash and every registration of it, first first.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct DocumentRecord {
    /// SHA-256 of the file.
    pub hash: Hash32,
    /// Registrations, in chain order.
    pub registrations: Vec<Registration>,
}

/// The documents linked to one item, lot or handoff (hashes, in registration order).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct DocList {
    /// Hashes.
    pub hashes: Vec<Hash32>,
}

/// A certification that applies to something, with why and how it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The certification.
    pub record: CertRecord,
    /// Its status at the time asked.
    pub status: CertStatus,
    /// Through what it applies (the item itself, its lot, its product, its producer, a
    /// place it passed).
    pub via: CertSubject,
}

/// The subjects whose certifications apply to a thing: the thing itself, its lot, its
/// product, the org that made it, and the places it was made at or passed (`places`,
/// GLNs from its journey), without repeats, in that order.
pub fn subjects_of(
    key: &Gs1Key,
    lot: Option<&str>,
    producer: Option<OrgId>,
    places: impl IntoIterator<Item = String>,
) -> Vec<CertSubject> {
    let mut out = vec![CertSubject::Thing(key.clone())];
    if let (Some(gtin), Some(lot)) = (key.gtin(), lot) {
        let lot_key = Gs1Key::Lot {
            gtin: gtin.to_string(),
            lot: lot.to_string(),
        };
        if lot_key != *key {
            out.push(CertSubject::Thing(lot_key));
        }
    }
    if let Some(gtin) = key.gtin() {
        out.push(CertSubject::Product(gtin.to_string()));
    }
    if let Some(org) = producer {
        out.push(CertSubject::Org(org));
    }
    for gln in places {
        let s = CertSubject::Location(gln);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Every certification of `subjects` with its status at `time_ms`. A list or record
/// that cannot be read fails the query (a missing certification would look like none),
/// and a list naming a certification that is not there is reported as unreadable.
pub fn applicable(
    state: &dyn StateRead,
    subjects: &[CertSubject],
    time_ms: i64,
) -> ReadResult<Vec<Applied>> {
    let mut out: Vec<Applied> = Vec::new();
    for subject in subjects {
        let ids = match state.read(&StateKey::CertsOf(subject.index_key()))? {
            Some(Record::CertList(l)) => l.ids,
            None => continue,
            Some(_) => {
                return Err(ReadError::Undecodable {
                    key: StateKey::CertsOf(subject.index_key()).describe(),
                });
            }
        };
        for id in ids {
            match state.read(&StateKey::Certification(id))? {
                Some(Record::Certification(record)) => {
                    if out.iter().any(|a| a.record.id == id) {
                        continue;
                    }
                    out.push(Applied {
                        status: record.status(time_ms),
                        record,
                        via: subject.clone(),
                    });
                }
                _ => {
                    return Err(ReadError::Store {
                        key: StateKey::Certification(id).describe(),
                        detail: format!("listed for {} but not stored", subject.describe()),
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(from: i64, until: i64) -> CertRecord {
        CertRecord {
            id: Hash32([1; 32]),
            issuer: crate::types::PublicKey([2; 32]),
            cert: Certify {
                subject: CertSubject::Product("00614141000012".into()),
                scheme: "EU organic".into(),
                standard: String::new(),
                number: "DE-ÖKO-001-4711".into(),
                valid_from_ms: from,
                valid_until_ms: until,
                document: None,
            },
            issued_height: 1,
            issued_tx: Hash32([3; 32]),
            suspended: None,
            revoked: None,
            changed_height: None,
        }
    }

    #[test]
    fn a_certification_counts_only_inside_its_window_and_while_in_good_standing() {
        let mut r = record(1_000, 2_000);
        assert_eq!(r.status(999), CertStatus::NotYetValid);
        assert_eq!(r.status(1_000), CertStatus::Valid);
        assert_eq!(r.status(1_999), CertStatus::Valid);
        assert_eq!(r.status(2_000), CertStatus::Expired);
        r.suspended = Some("audit pending".into());
        assert_eq!(r.status(1_500), CertStatus::Suspended);
        r.revoked = Some("fraud".into());
        assert_eq!(r.status(1_500), CertStatus::Revoked);
        assert!(!r.status(1_500).counts());
    }

    #[test]
    fn ids_differ_by_issuer_scheme_and_number_and_cannot_be_confused_by_concatenation() {
        let a = crate::types::PublicKey([1; 32]);
        let b = crate::types::PublicKey([2; 32]);
        assert_ne!(cert_id(&a, "organic", "1"), cert_id(&b, "organic", "1"));
        assert_ne!(cert_id(&a, "organic", "1"), cert_id(&a, "organic", "2"));
        assert_ne!(cert_id(&a, "organic1", ""), cert_id(&a, "organic", "1"));
    }

    #[test]
    fn document_kinds_round_trip_through_their_names() {
        for k in DocKind::ALL {
            assert_eq!(DocKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocKind::parse("receipt"), None);
    }
}
