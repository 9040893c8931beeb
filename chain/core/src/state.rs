//! The ledger state: typed records under typed keys, read through `StateRead` and changed
//! through an `Overlay` that keeps one block's writes and one transaction's tentative
//! writes apart (a rejected transaction's writes are dropped whole).

use crate::certify::{CertId, CertList, CertRecord, DocList, DocumentRecord};
use crate::gs1::Gs1Key;
use crate::tx::{Attr, DocRef, Entry, RecallScope, Transfer};
use crate::types::{HandoffId, Hash32, OrgId, PublicKey, Role, TxId, sha256};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use std::collections::HashMap;

/// A member organization.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct OrgRecord {
    /// Its key.
    pub key: OrgId,
    /// Display name (unique on the chain).
    pub name: String,
    /// GS1 company prefixes.
    pub prefixes: Vec<String>,
    /// Location numbers.
    pub glns: Vec<String>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Suspended orgs can sign nothing.
    pub suspended: bool,
    /// Height it was admitted at (0 = genesis).
    pub admitted_at: u64,
}

impl OrgRecord {
    /// Whether it has a role.
    pub fn has_role(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }
}

/// A device key that signs for an org.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct DeviceRecord {
    /// The device's key.
    pub key: PublicKey,
    /// Its org.
    pub org: OrgId,
    /// Label.
    pub label: String,
    /// Scope bits (`types::scope`).
    pub scopes: u32,
    /// Expiry, unix ms.
    pub expires_at_ms: Option<i64>,
    /// Revoked at this height.
    pub revoked_at: Option<u64>,
}

/// Per-signer replay protection.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct AccountRecord {
    /// The nonce the signer's next transaction must carry.
    pub next_nonce: u64,
}

/// A recall recorded on a product.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct RecallRecord {
    /// What it covers.
    pub scope: RecallScope,
    /// Why.
    pub reason: String,
    /// When (block height).
    pub height: u64,
    /// The recall transaction.
    pub tx: TxId,
}

/// A product (GTIN) and its brand owner.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ProductRecord {
    /// 14 digits.
    pub gtin: String,
    /// Brand owner.
    pub owner: OrgId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Attributes.
    pub attributes: Vec<Attr>,
    /// Image hash.
    pub image_hash: Option<Hash32>,
    /// Orgs licensed to commission it.
    pub licensees: Vec<OrgId>,
    /// Recalls.
    pub recalls: Vec<RecallRecord>,
}

/// The head of an append-only event chain: every record with a history commits to all its
/// events, so a proof of the record proves the history a node serves for it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize,
)]
pub struct HistoryHead {
    /// Number of events.
    pub len: u32,
    /// `sha256(previous head ‖ encoded event)`, zero when empty.
    pub head: Hash32,
}

impl HistoryHead {
    /// Appends an encoded event, returning its sequence number.
    pub fn append(&mut self, event_bytes: &[u8]) -> u32 {
        let seq = self.len;
        self.head = sha256(&[&self.head.0, event_bytes]);
        self.len += 1;
        seq
    }
}

/// Lifecycle of a serialized item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// In the supply chain.
    Active,
    /// Consumed by a transform.
    Consumed,
    /// Sold to a consumer.
    Sold,
    /// Sold and claimed by a consumer.
    Claimed,
    /// Destroyed; the id is never reused.
    Decommissioned,
}

/// An exception flagged on an item when a handoff was accepted without it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ItemException {
    /// `missing` or `damaged`.
    pub kind: String,
    /// The handoff it was excepted from.
    pub handoff: HandoffId,
    /// When.
    pub height: u64,
}

/// A serialized item (`/01/…/21/…`) or a container (`/00/…`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ItemRecord {
    /// Its key.
    pub key: Gs1Key,
    /// Who owns it (when packed, the outermost container's owner is authoritative).
    pub owner: OrgId,
    /// Who holds it (when packed, the outermost container's custodian is authoritative).
    pub custodian: OrgId,
    /// Lifecycle.
    pub status: ItemStatus,
    /// The container it is in.
    pub container: Option<Gs1Key>,
    /// The open handoff it is locked in.
    pub handoff: Option<HandoffId>,
    /// Contents, for containers.
    pub contents: Vec<Entry>,
    /// Who commissioned it (or first packed the container).
    pub commissioned_by: OrgId,
    /// Height of commissioning.
    pub commissioned_height: u64,
    /// GLN of commissioning.
    pub commissioned_at: Option<String>,
    /// Lot it belongs to.
    pub lot: Option<String>,
    /// Expiry, YYMMDD.
    pub expiry: Option<String>,
    /// Attributes at commissioning.
    pub attributes: Vec<Attr>,
    /// Claim key (see `claim`): a claim must carry its signature. Same place and layout
    /// as the retired claim-PIN hash it replaced.
    pub claim_key: Option<PublicKey>,
    /// Reported stolen.
    pub stolen: bool,
    /// Recalled by this transaction (item-level recalls).
    pub recalled: Option<TxId>,
    /// The last exception flagged on it.
    pub exception: Option<ItemException>,
    /// Transform inputs it was made from.
    pub inputs: Vec<Entry>,
    /// Its events.
    pub history: HistoryHead,
}

impl ItemRecord {
    /// Whether this record is a container.
    pub fn is_container(&self) -> bool {
        matches!(self.key, Gs1Key::Sscc { .. })
    }
}

/// Who holds part of a lot.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize, Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    /// Loose at an org.
    Org {
        /// Who holds it.
        custodian: OrgId,
        /// Who owns it.
        owner: OrgId,
    },
    /// Inside a container (its owner and custodian are the container's).
    Container(Gs1Key),
    /// Locked in an open handoff.
    Transit {
        /// The handoff.
        handoff: HandoffId,
        /// Who held it when it was offered.
        custodian: OrgId,
        /// Who owned it when it was offered.
        owner: OrgId,
    },
}

/// A lot of a product (`/01/…/10/…`): a quantity split among holders.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct LotRecord {
    /// Its key.
    pub key: Gs1Key,
    /// Who commissioned it.
    pub commissioned_by: OrgId,
    /// Height of commissioning.
    pub commissioned_height: u64,
    /// GLN of commissioning.
    pub commissioned_at: Option<String>,
    /// Expiry, YYMMDD.
    pub expiry: Option<String>,
    /// Attributes.
    pub attributes: Vec<Attr>,
    /// Everything ever commissioned into the lot.
    pub commissioned: u64,
    /// Consumed by transforms, sold or decommissioned.
    pub retired: u64,
    /// Who holds what, sorted by holder; sums to `commissioned - retired`.
    pub balances: Vec<(Holder, u64)>,
    /// Quantities flagged missing or damaged at handoffs.
    pub excepted: u64,
    /// Reported stolen (quantity).
    pub stolen: u64,
    /// Transform inputs it was made from.
    pub inputs: Vec<Entry>,
    /// Its events.
    pub history: HistoryHead,
}

impl LotRecord {
    /// Quantity held by `h`.
    pub fn balance(&self, h: &Holder) -> u64 {
        self.balances
            .iter()
            .find(|(k, _)| k == h)
            .map_or(0, |(_, q)| *q)
    }
    /// Adds to a holder's balance.
    pub fn credit(&mut self, h: Holder, q: u64) {
        match self.balances.binary_search_by(|(k, _)| k.cmp(&h)) {
            Ok(i) => self.balances[i].1 += q,
            Err(i) => self.balances.insert(i, (h, q)),
        }
    }
    /// Takes from a holder's balance; false (and no change) if it holds less.
    pub fn debit(&mut self, h: &Holder, q: u64) -> bool {
        match self.balances.binary_search_by(|(k, _)| k.cmp(h)) {
            Ok(i) if self.balances[i].1 >= q => {
                self.balances[i].1 -= q;
                if self.balances[i].1 == 0 {
                    self.balances.remove(i);
                }
                true
            }
            _ => false,
        }
    }
    /// Sum of all balances.
    pub fn outstanding(&self) -> u64 {
        self.balances.iter().map(|(_, q)| q).sum()
    }
}

/// Where a handoff stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffStatus {
    /// Waiting for the recipient.
    Open,
    /// Taken (possibly with exceptions).
    Accepted,
    /// Refused by the recipient.
    Rejected,
    /// Withdrawn by the proposer.
    Cancelled,
}

/// An offer of goods from one org to another.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct HandoffRecord {
    /// Id (= the proposal's transaction id).
    pub id: HandoffId,
    /// Proposer.
    pub from: OrgId,
    /// Recipient.
    pub to: OrgId,
    /// What is offered.
    pub entries: Vec<Entry>,
    /// Custody, ownership or both.
    pub transfer: Transfer,
    /// Ship-from GLN.
    pub ship_from: Option<String>,
    /// Ship-to GLN.
    pub ship_to: Option<String>,
    /// Documents.
    pub docs: Vec<DocRef>,
    /// Status.
    pub status: HandoffStatus,
    /// Height proposed.
    pub proposed_height: u64,
    /// Device time of the proposal.
    pub proposed_time_ms: i64,
    /// Lapses after this height.
    pub expires_at_height: Option<u64>,
    /// Height closed.
    pub closed_height: Option<u64>,
    /// Missing at acceptance.
    pub missing: Vec<Entry>,
    /// Damaged at acceptance.
    pub damaged: Vec<Entry>,
    /// Rejection reason.
    pub reason: Option<String>,
}

/// Who did an event that can be corrected, and what it touched.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct EventMeta {
    /// The org whose signer made it.
    pub org: OrgId,
    /// Its type name.
    pub kind: String,
    /// Keys whose history it is in.
    pub keys: Vec<Gs1Key>,
    /// Corrections so far.
    pub corrections: u32,
}

/// The validator set and its epoch: one record, under [`StateKey::Validators`], written at
/// genesis (epoch 0, the genesis validators) and replaced by each `SetValidators`. The
/// record in the state after block `h` is the set that certifies block `h + 1`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ValidatorSetRecord {
    /// 0 at genesis, one more with each change.
    pub epoch: u64,
    /// The validators, in the chain's order (equal voting power).
    pub validators: Vec<PublicKey>,
}

/// Where a record lives in the state map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateKey {
    /// An org.
    Org(OrgId),
    /// A device.
    Device(PublicKey),
    /// A signer's nonce.
    Account(PublicKey),
    /// A product by GTIN-14.
    Product(String),
    /// An item, container or lot by canonical key.
    Item(String),
    /// A handoff.
    Handoff(HandoffId),
    /// A correctable event.
    Event(TxId),
    /// An org's name, for uniqueness.
    OrgName(String),
    /// A company prefix, for uniqueness.
    Prefix(String),
    /// The validator set (one record for the chain).
    Validators,
    /// A certification.
    Certification(CertId),
    /// The certifications of a subject (`CertSubject::index_key`).
    CertsOf(String),
    /// A notarized document by its SHA-256.
    Document(Hash32),
    /// The documents linked to an item, lot or handoff (`DocLink::index_key`).
    DocsOf(String),
    /// An org's published seal key (finance terms are sealed to it).
    SealKey(OrgId),
    /// A finance asset (warehouse receipt) by id.
    Asset(Hash32),
    /// The pledge lock of an item or container (canonical key): the receipt it is
    /// pledged under. Absent when not pledged, so item records keep their layout.
    PledgeLock(String),
    /// The invoiced quantity of a handoff line (`handoff hex ‖ canonical key`).
    Invoiced(String),
    /// A used payment reference (its hash).
    PaymentRef(Hash32),
}

impl StateKey {
    /// The bytes under which the record is stored and proven (its hash is the tree key).
    pub fn to_bytes(&self) -> Vec<u8> {
        let (tag, body): (u8, &[u8]) = match self {
            StateKey::Org(k) => (b'o', &k.0),
            StateKey::Device(k) => (b'd', &k.0),
            StateKey::Account(k) => (b'a', &k.0),
            StateKey::Product(g) => (b'p', g.as_bytes()),
            StateKey::Item(c) => (b'i', c.as_bytes()),
            StateKey::Handoff(h) => (b'h', &h.0),
            StateKey::Event(t) => (b'e', &t.0),
            StateKey::OrgName(n) => (b'n', n.as_bytes()),
            StateKey::Prefix(p) => (b'x', p.as_bytes()),
            StateKey::Validators => (b'v', &[]),
            StateKey::Certification(c) => (b'c', &c.0),
            StateKey::CertsOf(s) => (b'C', s.as_bytes()),
            StateKey::Document(h) => (b'D', &h.0),
            StateKey::DocsOf(s) => (b'L', s.as_bytes()),
            StateKey::SealKey(o) => (b'K', &o.0),
            StateKey::Asset(a) => (b'F', &a.0),
            StateKey::PledgeLock(c) => (b'P', c.as_bytes()),
            StateKey::Invoiced(c) => (b'I', c.as_bytes()),
            StateKey::PaymentRef(h) => (b'R', &h.0),
        };
        let mut v = Vec::with_capacity(1 + body.len());
        v.push(tag);
        v.extend_from_slice(body);
        v
    }

    /// A short description for messages (`item /01/…/21/…`, `org 1a2b3c4d`).
    pub fn describe(&self) -> String {
        match self {
            StateKey::Org(k) => format!("org {}", k.short()),
            StateKey::Device(k) => format!("device {}", k.short()),
            StateKey::Account(k) => format!("the account of {}", k.short()),
            StateKey::Product(g) => format!("product {g}"),
            StateKey::Item(c) => format!("item {c}"),
            StateKey::Handoff(h) => format!("handoff {}", h.short()),
            StateKey::Event(t) => format!("event {}", t.short()),
            StateKey::OrgName(n) => format!("org name '{n}'"),
            StateKey::Prefix(p) => format!("company prefix {p}"),
            StateKey::Validators => "the validator set".to_string(),
            StateKey::Certification(c) => format!("certification {}", c.short()),
            StateKey::CertsOf(s) => format!("the certifications of {s}"),
            StateKey::Document(h) => format!("document {}", h.short()),
            StateKey::DocsOf(s) => format!("the documents of {s}"),
            StateKey::SealKey(o) => format!("the seal key of org {}", o.short()),
            StateKey::Asset(a) => format!("finance asset {}", a.short()),
            StateKey::PledgeLock(c) => format!("the pledge lock of {c}"),
            StateKey::Invoiced(c) => format!("the invoiced quantity of handoff line {c}"),
            StateKey::PaymentRef(h) => format!("payment reference {}", h.short()),
        }
    }

    /// The state key of an item, container or lot.
    pub fn item(key: &Gs1Key) -> StateKey {
        StateKey::Item(key.canonical())
    }
}

/// Any record.
// Records are decoded one at a time and moved into caches whole; boxing the item
// variant would add an allocation per read for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// An org.
    Org(OrgRecord),
    /// A device.
    Device(DeviceRecord),
    /// A nonce.
    Account(AccountRecord),
    /// A product.
    Product(ProductRecord),
    /// A serialized item or container.
    Item(ItemRecord),
    /// A lot.
    Lot(LotRecord),
    /// A handoff.
    Handoff(HandoffRecord),
    /// A correctable event.
    Event(EventMeta),
    /// A name or prefix claimed by an org.
    Claimed(OrgId),
    /// The validator set.
    Validators(ValidatorSetRecord),
    /// A certification.
    Certification(CertRecord),
    /// The certifications of a subject.
    CertList(CertList),
    /// A notarized document.
    Document(DocumentRecord),
    /// The documents linked to something.
    DocList(DocList),
    /// An org's published seal key.
    SealKey(SealKeyRecord),
    /// A warehouse receipt.
    Receipt(ReceiptRecord),
    /// The pledge lock of an item or container.
    PledgeLock(PledgeLock),
    /// A receivable.
    Receivable(ReceivableRecord),
    /// How much of a handoff line is invoiced, and by which receivable last.
    Invoiced(InvoicedLine),
    /// The receivable a payment reference was used for.
    PaymentRef(Hash32),
    /// The quantities of a lot pledged now, under the lot's [`StateKey::PledgeLock`].
    LotPledges(Vec<LotPledge>),
}

/// Where a receivable stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceivableStatus {
    /// Issued by the seller.
    Issued,
    /// Confirmed by the buyer.
    Confirmed,
    /// The holder asked a lender.
    FinanceRequested,
    /// The lender offered terms.
    Offered,
    /// The holder accepted them.
    OfferAccepted,
    /// The lender funded it.
    Funded,
    /// Paid in full.
    Settled,
    /// Past its due date, not settled.
    Overdue,
    /// Declared in default by the creditor.
    Defaulted,
    /// Written off (final).
    WrittenOff,
}

impl ReceivableStatus {
    /// Confirmed and not yet closed (settled or written off): payments, dilutions and
    /// settlement apply.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            ReceivableStatus::Issued | ReceivableStatus::Settled | ReceivableStatus::WrittenOff
        )
    }
}

/// A receivable, under [`StateKey::Asset`]. Amounts are commitments only.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ReceivableRecord {
    /// Id ([`crate::finance::receivable_id`]).
    pub id: Hash32,
    /// Seller.
    pub seller: OrgId,
    /// Buyer (obligor).
    pub buyer: OrgId,
    /// Who holds the claim.
    pub holder: OrgId,
    /// The lender, once named.
    pub lender: Option<OrgId>,
    /// ISO 4217.
    pub currency: String,
    /// Due date, unix ms.
    pub due_ms: Option<i64>,
    /// Covered handoff lines (public already).
    pub lines: Vec<(HandoffId, Entry)>,
    /// Face value (sum of the line commitments).
    pub face: crate::finance::Commitment,
    /// Outstanding balance.
    pub outstanding: crate::finance::Commitment,
    /// Status.
    pub status: ReceivableStatus,
    /// Height issued.
    pub issued_height: u64,
    /// Height of the last step.
    pub updated_height: u64,
    /// Splits made from it so far (numbers the next part's id).
    pub splits: u32,
    /// The receivable it was split from.
    pub parent: Option<Hash32>,
}

/// The invoiced quantity of a handoff line, under [`StateKey::Invoiced`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct InvoicedLine {
    /// The receivable that invoiced it last.
    pub receivable: Hash32,
    /// Quantity invoiced so far (1 for an item or container).
    pub quantity: u64,
}

/// The pledge lock of an item or container, under [`StateKey::PledgeLock`]. The state
/// map keeps no deletions, so a release leaves the lock with `pledged: false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct PledgeLock {
    /// The receipt it was last pledged under.
    pub receipt: Hash32,
    /// Whether it is pledged now.
    pub pledged: bool,
}

/// A quantity of a lot pledged under a receipt: held loose by `warehouse` for `owner`.
/// Handoffs, packing, transforms, sales and decommissioning may take only what the
/// position holds beyond its pledged quantities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct LotPledge {
    /// The receipt.
    pub receipt: Hash32,
    /// Who holds the quantity.
    pub warehouse: OrgId,
    /// Whose it is.
    pub owner: OrgId,
    /// How much.
    pub quantity: u64,
}

/// Where a warehouse receipt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// Issued; the goods are not locked.
    Issued,
    /// Offered to a lender, who has not accepted yet.
    PledgeOffered,
    /// Accepted by the lender: the goods still pledged are locked.
    Pledged,
    /// Every good released.
    Released,
    /// The lender took ownership of the goods still pledged.
    Enforced,
}

/// A warehouse receipt, under [`StateKey::Asset`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ReceiptRecord {
    /// Id (= the issuing transaction's id).
    pub id: Hash32,
    /// The warehouse that holds the goods.
    pub warehouse: OrgId,
    /// The goods' owner.
    pub owner: OrgId,
    /// The lender, once named.
    pub lender: Option<OrgId>,
    /// The goods on the receipt.
    pub goods: Vec<Gs1Key>,
    /// Goods released so far.
    pub released: Vec<Gs1Key>,
    /// Status.
    pub status: ReceiptStatus,
    /// Height issued.
    pub issued_height: u64,
    /// Height of the last step.
    pub updated_height: u64,
    /// Lot quantities on the receipt (released ones are listed by lot key in
    /// `released`).
    pub lots: Vec<Entry>,
}

/// An org's X25519 seal key, under [`StateKey::SealKey`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct SealKeyRecord {
    /// The X25519 public key.
    #[serde(serialize_with = "crate::finance::serialize_key32")]
    pub key: [u8; 32],
    /// Height it was published at.
    pub set_height: u64,
}

impl Record {
    /// Canonical bytes (what the state tree commits to).
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }
    /// Decodes stored bytes.
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        borsh::from_slice(bytes).ok()
    }
}

/// Why a state read could not answer. Never the same as "absent": a reader that gets
/// this must stop what it is doing (a block is not executed, a query is not answered, a
/// light node does not say "verified"), because anything decided on a guess could
/// re-commission an existing item or hide a recall.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The store failed to read (I/O, or data the state tree names is missing).
    #[error("the store could not read {key}: {detail}")]
    Store {
        /// What was being read (see [`StateKey::describe`]).
        key: String,
        /// What failed.
        detail: String,
    },
    /// Bytes were found under the key but they are not a record.
    #[error("the record stored for {key} does not decode")]
    Undecodable {
        /// What was being read.
        key: String,
    },
    /// A record's proof was missing, malformed or did not match the certified state root.
    #[error("{key} could not be verified: {detail}")]
    Proof {
        /// What was being read.
        key: String,
        /// Why the proof failed.
        detail: String,
    },
    /// No peer answered with a proof (a light node read).
    #[error("{key} could not be verified: {detail}")]
    Unavailable {
        /// What was being read.
        key: String,
        /// Why no proof came.
        detail: String,
    },
}

impl ReadError {
    /// The stable code shown to users and programs: `STORE_FAULT` (this node's store
    /// failed), `PROOF_INVALID` (a peer's proof failed) or `PROOF_UNAVAILABLE` (no proof
    /// could be fetched).
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Store { .. } | ReadError::Undecodable { .. } => "STORE_FAULT",
            ReadError::Proof { .. } => "PROOF_INVALID",
            ReadError::Unavailable { .. } => "PROOF_UNAVAILABLE",
        }
    }
}

/// What a state read answers: the record, its proven or stored absence, or why it could
/// not tell.
pub type ReadResult<T> = Result<T, ReadError>;

/// Read access to committed state. An implementation returns `Ok(None)` only when it
/// knows the key is absent; any failure to read or decode is an `Err`.
pub trait StateRead {
    /// The record under a key, if any.
    fn read(&self, key: &StateKey) -> ReadResult<Option<Record>>;
}

impl StateRead for HashMap<StateKey, Record> {
    fn read(&self, key: &StateKey) -> ReadResult<Option<Record>> {
        Ok(self.get(key).cloned())
    }
}

/// Writes of one block on top of committed state, with one transaction's tentative
/// writes on top of those.
pub struct Overlay<'a> {
    base: &'a dyn StateRead,
    block: HashMap<StateKey, Record>,
    tx: HashMap<StateKey, Record>,
}

impl<'a> Overlay<'a> {
    /// An empty overlay over `base`.
    pub fn new(base: &'a dyn StateRead) -> Overlay<'a> {
        Overlay {
            base,
            block: HashMap::new(),
            tx: HashMap::new(),
        }
    }
    /// An empty overlay over `base`, with room for about `writes` block writes.
    pub fn with_capacity(base: &'a dyn StateRead, writes: usize) -> Overlay<'a> {
        Overlay {
            base,
            block: HashMap::with_capacity(writes),
            tx: HashMap::new(),
        }
    }
    /// The current value (tentative, then block, then committed).
    pub fn get(&self, key: &StateKey) -> ReadResult<Option<Record>> {
        if let Some(r) = self.tx.get(key) {
            return Ok(Some(r.clone()));
        }
        if let Some(r) = self.block.get(key) {
            return Ok(Some(r.clone()));
        }
        self.base.read(key)
    }
    /// Sets a value tentatively.
    pub fn put(&mut self, key: StateKey, rec: Record) {
        self.tx.insert(key, rec);
    }
    /// Keeps the current transaction's writes.
    pub fn commit_tx(&mut self) {
        self.block.extend(self.tx.drain());
    }
    /// Drops the current transaction's writes.
    pub fn abort_tx(&mut self) {
        self.tx.clear();
    }
    /// The block's writes, sorted by key bytes (deterministic order for the store).
    pub fn into_writes(mut self) -> Vec<(StateKey, Record)> {
        self.commit_tx();
        let mut v: Vec<_> = self.block.into_iter().collect();
        // Keys are unique, so an unstable sort gives the one order.
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v
    }
    /// Number of keys written so far in this block.
    pub fn block_writes(&self) -> usize {
        self.block.len()
    }
}

macro_rules! typed_get {
    ($name:ident, $variant:ident, $t:ty) => {
        /// Typed read (a record of another kind under the key reads as none).
        pub fn $name(&self, key: &StateKey) -> ReadResult<Option<$t>> {
            Ok(match self.get(key)? {
                Some(Record::$variant(r)) => Some(r),
                _ => None,
            })
        }
    };
}

impl Overlay<'_> {
    typed_get!(org, Org, OrgRecord);
    typed_get!(device, Device, DeviceRecord);
    typed_get!(product, Product, ProductRecord);
    typed_get!(item, Item, ItemRecord);
    typed_get!(lot, Lot, LotRecord);
    typed_get!(handoff, Handoff, HandoffRecord);
    typed_get!(event, Event, EventMeta);
    typed_get!(validator_set, Validators, ValidatorSetRecord);
    typed_get!(certification, Certification, CertRecord);
    typed_get!(cert_list, CertList, CertList);
    typed_get!(document, Document, DocumentRecord);
    typed_get!(doc_list, DocList, DocList);
    typed_get!(seal_key, SealKey, SealKeyRecord);
    typed_get!(receipt, Receipt, ReceiptRecord);
    typed_get!(receivable, Receivable, ReceivableRecord);
}

/// Typed reads straight from committed state (for queries). A record of another kind
/// under the key reads as none; a failed read is an error.
pub trait StateReadExt: StateRead {
    /// An org.
    fn org(&self, id: &OrgId) -> ReadResult<Option<OrgRecord>> {
        Ok(match self.read(&StateKey::Org(*id))? {
            Some(Record::Org(r)) => Some(r),
            _ => None,
        })
    }
    /// A product.
    fn product(&self, gtin: &str) -> ReadResult<Option<ProductRecord>> {
        Ok(match self.read(&StateKey::Product(gtin.to_string()))? {
            Some(Record::Product(r)) => Some(r),
            _ => None,
        })
    }
    /// An item/container or lot record.
    fn thing(&self, key: &Gs1Key) -> ReadResult<Option<Record>> {
        self.read(&StateKey::item(key))
    }
    /// A handoff.
    fn handoff(&self, id: &HandoffId) -> ReadResult<Option<HandoffRecord>> {
        Ok(match self.read(&StateKey::Handoff(*id))? {
            Some(Record::Handoff(r)) => Some(r),
            _ => None,
        })
    }
    /// A device.
    fn device(&self, key: &PublicKey) -> ReadResult<Option<DeviceRecord>> {
        Ok(match self.read(&StateKey::Device(*key))? {
            Some(Record::Device(r)) => Some(r),
            _ => None,
        })
    }
    /// The current validator set and epoch.
    fn validator_set(&self) -> ReadResult<Option<ValidatorSetRecord>> {
        Ok(match self.read(&StateKey::Validators)? {
            Some(Record::Validators(r)) => Some(r),
            _ => None,
        })
    }
    /// A signer's next nonce (0 for a signer never seen).
    fn next_nonce(&self, key: &PublicKey) -> ReadResult<u64> {
        Ok(match self.read(&StateKey::Account(*key))? {
            Some(Record::Account(a)) => a.next_nonce,
            _ => 0,
        })
    }
}
impl<T: StateRead + ?Sized> StateReadExt for T {}
