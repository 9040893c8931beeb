//! Transactions: the canonical, versioned binary encoding that is signed, the signed
//! envelope, and decoding of untrusted bytes with every limit checked.

use crate::certify::{CertChange, CertId, CertSubject, Certify, DocLink, Notarize};
use crate::gs1::Gs1Key;
use crate::limits::*;
use crate::rejection::{Code, Rejection};
use crate::types::{HandoffId, Hash32, OrgId, PublicKey, Role, TxId, sha256};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// Version byte of the transaction encoding; a new layout gets a new number.
pub const TX_VERSION: u8 = 1;
/// Domain tag prepended to the body bytes before signing, so a transaction signature can
/// never be replayed as a block or vote signature.
pub const TX_SIGNING_DOMAIN: &[u8] = b"HANDOFF/TX/1\0";

/// One item, container or lot quantity named by a transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Entry {
    /// A serialized item, a container (SSCC) or a lot.
    pub key: Gs1Key,
    /// For lots: how much. Must be absent for serialized items and containers.
    pub quantity: Option<u64>,
}

impl Entry {
    /// A serialized item or container.
    pub fn item(key: Gs1Key) -> Entry {
        Entry {
            key,
            quantity: None,
        }
    }
    /// A quantity of a lot.
    pub fn lot(key: Gs1Key, quantity: u64) -> Entry {
        Entry {
            key,
            quantity: Some(quantity),
        }
    }
}

/// What a handoff transfers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transfer {
    /// Physical custody only (a carrier or warehouse takes the goods).
    Custody,
    /// Ownership only (goods stay where they are).
    Ownership,
    /// Both custody and ownership (a sale with delivery).
    Both,
}

impl Transfer {
    /// Whether custody moves.
    pub fn custody(self) -> bool {
        matches!(self, Transfer::Custody | Transfer::Both)
    }
    /// Whether ownership moves.
    pub fn ownership(self) -> bool {
        matches!(self, Transfer::Ownership | Transfer::Both)
    }
}

/// A business document a handoff refers to (purchase order, despatch advice, invoice).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct DocRef {
    /// e.g. `po`, `despatch_advice`, `invoice`.
    pub kind: String,
    /// The document's number.
    pub id: String,
}

/// A key/value pair: product attributes, sensor readings, corrected fields.
pub type Attr = (String, String);

/// Admit an organization (registrar).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct AdmitOrg {
    /// The new org's key.
    pub org: OrgId,
    /// Display name.
    pub name: String,
    /// GS1 company prefixes (6–12 digits).
    pub prefixes: Vec<String>,
    /// GLNs of its locations (13 digits).
    pub glns: Vec<String>,
    /// Roles.
    pub roles: Vec<Role>,
}

/// Commission new items or lots (brand owner or licensee).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Commission {
    /// Serialized items (no quantity) or lots (with quantity) of one or more products.
    pub entries: Vec<Entry>,
    /// Claim keys (see [`crate::claim`]), one per entry or none; only serialized items
    /// take one. The secrets they come from are never on the chain.
    pub claim_keys: Vec<PublicKey>,
    /// Where (GLN).
    pub at: Option<String>,
    /// The lot the serialized items belong to.
    pub lot: Option<String>,
    /// Expiry date, YYMMDD.
    pub expiry: Option<String>,
    /// Further attributes.
    pub attributes: Vec<Attr>,
}

/// The first commission layout, with claim-PIN hashes. Retired: still decoded, so bytes
/// made before claim keys keep their meaning; applied as a commission without claim keys
/// when it carries no PIN hash, refused (`PIN_RETIRED`) when it carries any.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct PinCommission {
    /// As in [`Commission`].
    pub entries: Vec<Entry>,
    /// Claim-PIN hashes, one per entry or none: `sha256(canonical key ‖ 0 ‖ PIN)`. Any
    /// PIN hash is refused: a PIN shared by a batch and hashed on a public chain is
    /// recovered in milliseconds.
    pub pin_hashes: Vec<Hash32>,
    /// Where (GLN).
    pub at: Option<String>,
    /// The lot the serialized items belong to.
    pub lot: Option<String>,
    /// Expiry date, YYMMDD.
    pub expiry: Option<String>,
    /// Further attributes.
    pub attributes: Vec<Attr>,
}

/// Offer items to another org.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ProposeHandoff {
    /// Recipient.
    pub to: OrgId,
    /// Items, containers and lot quantities offered.
    pub entries: Vec<Entry>,
    /// Custody, ownership or both.
    pub transfer: Transfer,
    /// Ship-from GLN.
    pub ship_from: Option<String>,
    /// Ship-to GLN.
    pub ship_to: Option<String>,
    /// Purchase order, despatch advice…
    pub docs: Vec<DocRef>,
    /// The offer lapses after this block height.
    pub expires_at_height: Option<u64>,
}

/// Accept an offer, listing what did not arrive or arrived damaged.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct AcceptHandoff {
    /// The proposal.
    pub handoff: HandoffId,
    /// Entries (or lot quantities) that did not arrive; they stay with the sender, flagged.
    pub missing: Vec<Entry>,
    /// Entries that arrived damaged and were refused; they stay with the sender, flagged.
    pub damaged: Vec<Entry>,
}

/// An observation: inspection, storage, sensor reading.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Observe {
    /// What was observed.
    pub entries: Vec<Entry>,
    /// Where (GLN).
    pub at: Option<String>,
    /// e.g. `inspection`, `storage`, `temperature`.
    pub kind: String,
    /// Readings, e.g. `("celsius", "4.5")`.
    pub readings: Vec<Attr>,
}

/// Inputs consumed, outputs commissioned and linked to them.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Transform {
    /// Consumed (serialized items whole; lots by quantity).
    pub inputs: Vec<Entry>,
    /// Created.
    pub outputs: Vec<Entry>,
    /// Where (GLN).
    pub at: Option<String>,
    /// Expiry of the outputs, YYMMDD.
    pub expiry: Option<String>,
    /// Attributes of the outputs (roast profile…).
    pub attributes: Vec<Attr>,
}

/// A transform whose outputs take claim codes, as commissioned items do (appended to the
/// encoding, so a plain [`Transform`]'s bytes are unchanged).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ClaimedTransform {
    /// The transform.
    pub transform: Transform,
    /// One claim key per output, in order: the public key derived from each output
    /// item's own random claim secret (see [`crate::claim`]); serialized outputs only.
    pub claim_keys: Vec<PublicKey>,
}

/// What a recall covers.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecallScope {
    /// Every item of the product.
    Product,
    /// One lot of the product.
    Lot(String),
    /// Named items of the product.
    Items(Vec<Gs1Key>),
}

/// A current validator's consent to a validator-set change: an ed25519 signature over
/// [`crate::governance::approval_message`] for the chain, the new epoch and the new set.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Approval {
    /// The approving validator (a member of the current set).
    pub validator: PublicKey,
    /// Its signature.
    #[serde(serialize_with = "crate::types::serialize_hex64")]
    pub signature: [u8; 64],
}

/// The body of a transaction: what it does.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Payload {
    /// Registrar admits an org.
    AdmitOrg(AdmitOrg),
    /// Registrar suspends an org; its later transactions are rejected.
    SuspendOrg {
        /// Which.
        org: OrgId,
        /// Why.
        reason: String,
    },
    /// Org authorizes a device key to sign for it.
    AuthorizeDevice {
        /// The device's key.
        device: PublicKey,
        /// A label people recognise ("dock scanner 2").
        label: String,
        /// What it may do (see `types::scope`).
        scopes: u32,
        /// Unix milliseconds after which it may no longer sign.
        expires_at_ms: Option<i64>,
    },
    /// Org revokes a device key.
    RevokeDevice {
        /// Which.
        device: PublicKey,
        /// Why.
        reason: String,
    },
    /// Brand owner defines a product under its GS1 company prefix.
    DefineProduct {
        /// 14 digits.
        gtin: String,
        /// Display name.
        name: String,
        /// Description.
        description: String,
        /// Attributes.
        attributes: Vec<Attr>,
        /// Hash of the product image.
        image_hash: Option<Hash32>,
    },
    /// Brand owner lets another org commission items of a product.
    LicenseProduct {
        /// 14 digits.
        gtin: String,
        /// The contract manufacturer.
        licensee: OrgId,
    },
    /// Retired first commission layout (kept at its place in the encoding).
    PinCommission(PinCommission),
    /// Items into a container.
    Pack {
        /// The container (SSCC).
        container: Gs1Key,
        /// What goes in.
        entries: Vec<Entry>,
    },
    /// Items out of a container.
    Unpack {
        /// The container (SSCC).
        container: Gs1Key,
        /// What comes out; empty means everything.
        entries: Vec<Entry>,
    },
    /// Offer items to another org.
    ProposeHandoff(ProposeHandoff),
    /// Take an offer.
    AcceptHandoff(AcceptHandoff),
    /// Refuse an offer.
    RejectHandoff {
        /// The proposal.
        handoff: HandoffId,
        /// Why.
        reason: String,
    },
    /// Withdraw an offer.
    CancelHandoff {
        /// The proposal.
        handoff: HandoffId,
    },
    /// Record an observation.
    Observe(Observe),
    /// Consume inputs into outputs.
    Transform(Transform),
    /// Sold to a consumer.
    Sell {
        /// What was sold.
        entries: Vec<Entry>,
    },
    /// Retired PIN claim (kept at its place in the encoding); always refused
    /// (`PIN_RETIRED`).
    PinClaim {
        /// The item.
        item: Gs1Key,
        /// The PIN, which travelled in clear.
        pin: String,
    },
    /// Brand owner recalls a product, lot or items.
    Recall {
        /// 14 digits.
        gtin: String,
        /// What is recalled.
        scope: RecallScope,
        /// Why.
        reason: String,
    },
    /// Owner or custodian reports items stolen.
    ReportStolen {
        /// What.
        entries: Vec<Entry>,
        /// Details.
        note: String,
    },
    /// Owner or custodian destroys items; their ids are never reused.
    Decommission {
        /// What.
        entries: Vec<Entry>,
        /// Why.
        reason: String,
    },
    /// The original signer's org corrects an earlier event (append-only).
    Correct {
        /// The event being corrected.
        target: TxId,
        /// Why.
        reason: String,
        /// Replacement values.
        fields: Vec<Attr>,
    },
    /// Replace the validator set, approved by more than 2/3 of the current validators;
    /// the new set certifies the blocks after the one this transaction is in.
    SetValidators {
        /// The new set, in the order the chain lists it (the proposer rotation order).
        validators: Vec<PublicKey>,
        /// The new epoch: the current epoch plus one.
        epoch: u64,
        /// Approvals of current validators over (chain, epoch, new set).
        approvals: Vec<Approval>,
    },
    /// An auditor certifies a product, lot, item, org or location.
    Certify(Certify),
    /// The issuing auditor suspends, reinstates or revokes a certification.
    ChangeCertification {
        /// Which.
        id: CertId,
        /// What happens to it.
        change: CertChange,
        /// Why (required to suspend or revoke).
        reason: String,
    },
    /// An org registers a document's hash.
    NotarizeDocument(Notarize),
    /// New items or lots exist, serialized items with their claim keys.
    Commission(Commission),
    /// A consumer proves purchase with the item's claim code.
    Claim(Claim),
    /// An org publishes the X25519 key that finance terms are sealed to (see
    /// [`crate::finance`]); a later one replaces it.
    SetSealKey {
        /// The X25519 public key (a curve point of large order).
        #[serde(serialize_with = "crate::finance::serialize_key32")]
        key: [u8; 32],
    },
    /// A step of a warehouse receipt (see [`crate::finance`]).
    Receipt(ReceiptOp),
    /// A step of a receivable (see [`crate::finance`]).
    Receivable(ReceivableOp),
    /// Consume inputs into outputs that take claim codes.
    ClaimedTransform(ClaimedTransform),
}

/// One invoiced handoff line: an item (or container) or a lot quantity of an accepted
/// handoff from the seller to the buyer, with its committed amount.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct InvoiceLine {
    /// The accepted handoff.
    pub handoff: HandoffId,
    /// What of it is invoiced.
    pub entry: Entry,
    /// The line amount, committed and range-proven.
    pub amount: crate::finance::ProvenAmount,
}

/// One part of a split: a new receivable held by `to`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct SplitPart {
    /// The new holder.
    pub to: OrgId,
    /// The part's amount.
    pub amount: crate::finance::ProvenAmount,
    /// Its opening, sealed to the new holder and the buyer (bound to the new
    /// receivable's id, [`crate::finance::split_id`]).
    pub sealed: Vec<crate::finance::SealedBox>,
}

/// The steps of a receivable (see [`crate::finance`]).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ReceivableOp {
    /// The seller issues an invoice over accepted handoffs to the buyer.
    Issue {
        /// The buyer (obligor).
        buyer: OrgId,
        /// [`crate::finance::invoice_ref`] of the invoice number (salted; the number
        /// and salt are sealed).
        invoice_ref: Hash32,
        /// ISO 4217 code.
        currency: String,
        /// Due date, unix ms (chain time).
        due_ms: Option<i64>,
        /// The lines.
        lines: Vec<InvoiceLine>,
        /// The openings and terms, sealed to seller and buyer.
        sealed: Vec<crate::finance::SealedBox>,
    },
    /// The buyer confirms the payment promise.
    Confirm {
        /// The receivable.
        receivable: Hash32,
    },
    /// The holder asks a lender to finance it.
    RequestFinance {
        /// The receivable.
        receivable: Hash32,
        /// The lender.
        lender: OrgId,
        /// What the lender needs to weigh and later settle the claim (the invoice
        /// number, the face value's, lines' and outstanding balance's openings), sealed to
        /// the lender alone.
        sealed: Vec<crate::finance::SealedBox>,
    },
    /// The named lender offers terms (sealed), with the advance and fee committed.
    Offer {
        /// The receivable.
        receivable: Hash32,
        /// The advance.
        advance: crate::finance::ProvenAmount,
        /// The fee.
        fee: crate::finance::ProvenAmount,
        /// Openings and terms (rate, due), sealed to holder, buyer and lender.
        sealed: Vec<crate::finance::SealedBox>,
    },
    /// The holder accepts the offer.
    AcceptOffer {
        /// The receivable.
        receivable: Hash32,
    },
    /// The lender funds (only after the holder accepted).
    Fund {
        /// The receivable.
        receivable: Hash32,
    },
    /// The buyer pays part or all of the outstanding balance.
    Repay {
        /// The receivable.
        receivable: Hash32,
        /// The payment.
        payment: crate::finance::ProvenAmount,
        /// The new outstanding balance (= before − payment).
        outstanding: crate::finance::ProvenAmount,
        /// [`crate::finance::payment_ref_hash`] of the payment reference (used once).
        reference: Hash32,
        /// Openings, sealed to every party.
        sealed: Vec<crate::finance::SealedBox>,
    },
    /// The holder splits part of a confirmed, unfinanced claim to other orgs (e.g.
    /// upstream suppliers): `outstanding = kept + Σ parts`.
    Split {
        /// The receivable.
        receivable: Hash32,
        /// What the holder keeps.
        kept: crate::finance::ProvenAmount,
        /// The parts.
        parts: Vec<SplitPart>,
        /// The kept balance's opening, sealed to holder and buyer.
        sealed: Vec<crate::finance::SealedBox>,
    },
    /// The holder transfers a confirmed, unfinanced claim whole.
    Transfer {
        /// The receivable.
        receivable: Hash32,
        /// The new holder.
        to: OrgId,
        /// The claim's terms and outstanding balance's opening, sealed to the new holder
        /// alone (it needs them to prove its next steps).
        sealed: Vec<crate::finance::SealedBox>,
    },
    /// The holder records a return or credit note: `after = before − credit`.
    Dilute {
        /// The receivable.
        receivable: Hash32,
        /// The credit.
        credit: crate::finance::ProvenAmount,
        /// The new outstanding balance.
        outstanding: crate::finance::ProvenAmount,
        /// Openings and the reason, sealed to every party.
        sealed: Vec<crate::finance::SealedBox>,
    },
    /// The creditor (the lender once financed, else the holder) declares an overdue
    /// receivable in default.
    Default {
        /// The receivable.
        receivable: Hash32,
    },
    /// The creditor records an amount recovered on a defaulted receivable:
    /// `after = before − recovered`.
    Recover {
        /// The receivable.
        receivable: Hash32,
        /// What was recovered.
        recovered: crate::finance::ProvenAmount,
        /// The new outstanding balance.
        outstanding: crate::finance::ProvenAmount,
        /// Openings, sealed to every party.
        sealed: Vec<crate::finance::SealedBox>,
    },
    /// The creditor writes off what is left of a defaulted receivable (final).
    WriteOff {
        /// The receivable.
        receivable: Hash32,
    },
    /// Any org marks a receivable overdue once the block time is past its due date.
    MarkOverdue {
        /// The receivable.
        receivable: Hash32,
    },
    /// The holder (or lender) closes a receivable whose balance is zero, shown by the
    /// balance's blinding.
    Settle {
        /// The receivable.
        receivable: Hash32,
        /// The blinding of the zero outstanding balance.
        blinding: crate::finance::Blinding,
    },
}

/// The steps of a warehouse receipt: issued by the warehouse holding the goods, pledged
/// by their owner to a lender, accepted by the lender (the goods are then locked), and
/// released (whole or in part) or enforced by the lender.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ReceiptOp {
    /// The warehouse issues a receipt for loose items, containers or lot quantities in
    /// its custody, naming their owner. The receipt's id is this transaction's id.
    Issue {
        /// The goods' owner (who may pledge the receipt).
        owner: OrgId,
        /// Serialized items or containers (SSCC), each loose in the warehouse.
        goods: Vec<Gs1Key>,
        /// Lot quantities (each a lot key with its quantity), loose in the warehouse and
        /// owned by `owner`.
        lots: Vec<Entry>,
    },
    /// The owner offers the receipt as collateral to a lender.
    Pledge {
        /// The receipt.
        receipt: Hash32,
        /// The lender.
        lender: OrgId,
    },
    /// The named lender accepts: the goods are locked until released.
    AcceptPledge {
        /// The receipt.
        receipt: Hash32,
    },
    /// The lender releases goods (empty: all that are still pledged).
    Release {
        /// The receipt.
        receipt: Hash32,
        /// What is released.
        goods: Vec<Gs1Key>,
    },
    /// The lender enforces the pledge: it becomes the owner of the goods still pledged.
    Enforce {
        /// The receipt.
        receipt: Hash32,
    },
}

/// A consumer's claim of a sold item (signed by the consumer's own key).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Claim {
    /// The item.
    pub item: Gs1Key,
    /// The item's claim key's signature over [`crate::claim::claim_message`] for this
    /// chain, this item and the transaction's signer.
    #[serde(serialize_with = "crate::types::serialize_hex64")]
    pub claim_signature: [u8; 64],
}

impl Payload {
    /// The event type name (snake_case) the history shows for this transaction.
    pub fn type_name(&self) -> &'static str {
        match self {
            Payload::AdmitOrg(_) => "admit_org",
            Payload::SuspendOrg { .. } => "suspend_org",
            Payload::AuthorizeDevice { .. } => "authorize_device",
            Payload::RevokeDevice { .. } => "revoke_device",
            Payload::DefineProduct { .. } => "define_product",
            Payload::LicenseProduct { .. } => "license_product",
            Payload::Commission(_) | Payload::PinCommission(_) => "commission",
            Payload::Pack { .. } => "pack",
            Payload::Unpack { .. } => "unpack",
            Payload::ProposeHandoff(_) => "handoff_proposed",
            Payload::AcceptHandoff(_) => "handoff_accepted",
            Payload::RejectHandoff { .. } => "handoff_rejected",
            Payload::CancelHandoff { .. } => "handoff_cancelled",
            Payload::Observe(_) => "observe",
            Payload::Transform(_) | Payload::ClaimedTransform(_) => "transform",
            Payload::Sell { .. } => "sell",
            Payload::Claim(_) | Payload::PinClaim { .. } => "claim",
            Payload::Recall { .. } => "recall",
            Payload::ReportStolen { .. } => "report_stolen",
            Payload::Decommission { .. } => "decommission",
            Payload::Correct { .. } => "correct",
            Payload::SetValidators { .. } => "set_validators",
            Payload::Certify(_) => "certify",
            Payload::ChangeCertification { change, .. } => match change {
                CertChange::Suspend => "certification_suspended",
                CertChange::Reinstate => "certification_reinstated",
                CertChange::Revoke => "certification_revoked",
            },
            Payload::NotarizeDocument(_) => "notarize_document",
            Payload::SetSealKey { .. } => "set_seal_key",
            Payload::Receipt(op) => match op {
                ReceiptOp::Issue { .. } => "receipt_issued",
                ReceiptOp::Pledge { .. } => "receipt_pledged",
                ReceiptOp::AcceptPledge { .. } => "pledge_accepted",
                ReceiptOp::Release { .. } => "pledge_released",
                ReceiptOp::Enforce { .. } => "pledge_enforced",
            },
            Payload::Receivable(op) => match op {
                ReceivableOp::Issue { .. } => "receivable_issued",
                ReceivableOp::Confirm { .. } => "receivable_confirmed",
                ReceivableOp::RequestFinance { .. } => "finance_requested",
                ReceivableOp::Offer { .. } => "finance_offered",
                ReceivableOp::AcceptOffer { .. } => "offer_accepted",
                ReceivableOp::Fund { .. } => "receivable_funded",
                ReceivableOp::Repay { .. } => "receivable_repaid",
                ReceivableOp::Settle { .. } => "receivable_settled",
                ReceivableOp::Split { .. } => "receivable_split",
                ReceivableOp::Transfer { .. } => "receivable_transferred",
                ReceivableOp::Dilute { .. } => "receivable_diluted",
                ReceivableOp::MarkOverdue { .. } => "receivable_overdue",
                ReceivableOp::Default { .. } => "receivable_defaulted",
                ReceivableOp::Recover { .. } => "receivable_recovered",
                ReceivableOp::WriteOff { .. } => "receivable_written_off",
            },
        }
    }
}

/// What is signed: version, chain, signer, nonce, device time and the payload.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct TxBody {
    /// Always `TX_VERSION` for now.
    pub version: u8,
    /// The chain this transaction is for (hash of its genesis).
    pub chain_id: Hash32,
    /// Who signs: an org key, a device key, or a consumer key.
    pub signer: PublicKey,
    /// The signer's next nonce (0, 1, 2, …): replay protection and ordering.
    pub nonce: u64,
    /// When it happened on the device, unix milliseconds (EPCIS eventTime).
    pub event_time_ms: i64,
    /// What it does.
    pub payload: Payload,
}

/// A transaction with its signature, and the canonical bytes it was decoded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
    /// The decoded body.
    pub body: TxBody,
    /// ed25519 signature over `TX_SIGNING_DOMAIN ‖ body_bytes`.
    pub signature: [u8; 64],
    /// Canonical encoding of `body` (what is hashed and signed).
    body_bytes: Vec<u8>,
    /// SHA-256 of `body_bytes`.
    id: TxId,
}

impl SignedTx {
    /// Builds a transaction from a body and a signature over it; refused (`TOO_LARGE`)
    /// when the body has no encoding.
    pub fn new(body: TxBody, signature: [u8; 64]) -> Result<SignedTx, Rejection> {
        let body_bytes = encode_body(&body)?;
        Ok(SignedTx::from_encoded(body, body_bytes, signature))
    }

    /// From a body and its encoding (`body_bytes` must be `encode_body(&body)`), so the
    /// bytes kept, hashed and sent are the very bytes that were signed.
    pub(crate) fn from_encoded(body: TxBody, body_bytes: Vec<u8>, signature: [u8; 64]) -> SignedTx {
        let id = sha256(&[&body_bytes]);
        SignedTx {
            body,
            signature,
            body_bytes,
            id,
        }
    }

    /// The transaction id: SHA-256 of the canonical body encoding.
    pub fn id(&self) -> TxId {
        self.id
    }

    /// The canonical body bytes.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body_bytes
    }

    /// The exact message the signature covers.
    pub fn signing_message(&self) -> Vec<u8> {
        signing_message(&self.body_bytes)
    }

    /// Wire form: `u32 LE body length ‖ body ‖ signature`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.body_bytes.len() + 64);
        out.extend_from_slice(&(self.body_bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.body_bytes);
        out.extend_from_slice(&self.signature);
        out
    }

    /// Decodes untrusted bytes: size limits first, then the layout, then canonicity (the
    /// bytes must be exactly what encoding the decoded value gives), then field limits.
    pub fn decode(bytes: &[u8]) -> Result<SignedTx, Rejection> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(Rejection::new(
                Code::TooLarge,
                format!(
                    "transaction is {} bytes; at most {MAX_TX_BYTES} allowed",
                    bytes.len()
                ),
            ));
        }
        let malformed = |why: &str| Rejection::new(Code::Malformed, why.to_string());
        let (len, rest) = bytes
            .split_first_chunk::<4>()
            .ok_or_else(|| malformed("truncated"))?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() != len.saturating_add(64) {
            return Err(malformed(
                "length prefix does not match the transaction size",
            ));
        }
        let (body_bytes, sig) = rest.split_at(len);
        let body: TxBody = borsh::from_slice(body_bytes)
            .map_err(|e| Rejection::new(Code::Malformed, format!("undecodable body: {e}")))?;
        // borsh is canonical for our types (no maps, no floats), so a successful decode that
        // consumed every byte means these are the canonical bytes; check anyway, cheaply.
        if body.version != TX_VERSION {
            return Err(Rejection::new(
                Code::UnsupportedVersion,
                format!(
                    "transaction version {} is not supported (expected {TX_VERSION})",
                    body.version
                ),
            ));
        }
        check_limits(&body.payload)?;
        let mut signature = [0u8; 64];
        signature.copy_from_slice(sig);
        let id = sha256(&[body_bytes]);
        Ok(SignedTx {
            body,
            signature,
            body_bytes: body_bytes.to_vec(),
            id,
        })
    }
}

/// The canonical encoding of a body. Encoding into memory fails only when a string or
/// list is longer than borsh's `u32` length prefix can say; such a body is refused as
/// too large rather than encoded as something else (e.g. no bytes at all).
pub fn encode_body(body: &TxBody) -> Result<Vec<u8>, Rejection> {
    borsh::to_vec(body).map_err(|e| {
        Rejection::new(
            Code::TooLarge,
            format!("the transaction body cannot be encoded: {e}"),
        )
    })
}

/// `TX_SIGNING_DOMAIN ‖ body_bytes`.
pub fn signing_message(body_bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(TX_SIGNING_DOMAIN.len() + body_bytes.len());
    m.extend_from_slice(TX_SIGNING_DOMAIN);
    m.extend_from_slice(body_bytes);
    m
}

fn too_large(what: &str, n: usize, max: usize) -> Rejection {
    Rejection::new(
        Code::TooLarge,
        format!("{what}: {n} given; at most {max} allowed"),
    )
}

fn check_len(what: &str, s: &str, max: usize) -> Result<(), Rejection> {
    if s.len() > max {
        return Err(too_large(what, s.len(), max));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Rejection::new(
            Code::BadField,
            format!("{what} contains a control character"),
        ));
    }
    Ok(())
}

fn check_count<T>(what: &str, v: &[T], max: usize) -> Result<(), Rejection> {
    if v.len() > max {
        return Err(too_large(what, v.len(), max));
    }
    Ok(())
}

fn check_attrs(what: &str, attrs: &[Attr]) -> Result<(), Rejection> {
    check_count(what, attrs, MAX_ATTRS)?;
    for (k, v) in attrs {
        check_len("attribute name", k, MAX_ATTR_KEY_LEN)?;
        check_len("attribute value", v, MAX_ATTR_VALUE_LEN)?;
    }
    Ok(())
}

fn check_transform(t: &Transform) -> Result<(), Rejection> {
    check_entries("inputs", &t.inputs)?;
    check_entries("outputs", &t.outputs)?;
    check_opt("GLN", &t.at, 13)?;
    check_opt("expiry", &t.expiry, 6)?;
    check_attrs("attributes", &t.attributes)
}

fn check_entries(what: &str, entries: &[Entry]) -> Result<(), Rejection> {
    check_count(what, entries, MAX_ENTRIES)?;
    for e in entries {
        e.key
            .validate()
            .map_err(|err| Rejection::new(Code::BadId, format!("{what}: {err}")))?;
        if let Some(q) = e.quantity
            && (q == 0 || q > MAX_QUANTITY)
        {
            return Err(Rejection::new(
                Code::BadQuantity,
                format!("{what}: quantity {q} must be between 1 and {MAX_QUANTITY}"),
            ));
        }
    }
    Ok(())
}

fn check_opt(what: &str, s: &Option<String>, max: usize) -> Result<(), Rejection> {
    s.as_deref().map_or(Ok(()), |s| check_len(what, s, max))
}

/// Checks every size bound of a payload (the cheap, stateless part of validation).
pub fn check_limits(p: &Payload) -> Result<(), Rejection> {
    match p {
        Payload::AdmitOrg(a) => {
            check_len("org name", &a.name, MAX_NAME_LEN)?;
            check_count("company prefixes", &a.prefixes, MAX_PREFIXES)?;
            check_count("GLNs", &a.glns, MAX_GLNS)?;
            check_count("roles", &a.roles, Role::ALL.len())?;
            for s in a.prefixes.iter().chain(&a.glns) {
                check_len("GS1 number", s, 13)?;
            }
        }
        Payload::SuspendOrg { reason, .. }
        | Payload::RevokeDevice { reason, .. }
        | Payload::RejectHandoff { reason, .. } => check_len("reason", reason, MAX_TEXT_LEN)?,
        Payload::AuthorizeDevice { label, .. } => check_len("device label", label, MAX_NAME_LEN)?,
        Payload::DefineProduct {
            gtin,
            name,
            description,
            attributes,
            ..
        } => {
            check_len("GTIN", gtin, 14)?;
            check_len("product name", name, MAX_NAME_LEN)?;
            check_len("description", description, MAX_TEXT_LEN)?;
            check_attrs("product attributes", attributes)?;
        }
        Payload::LicenseProduct { gtin, .. } => check_len("GTIN", gtin, 14)?,
        Payload::Commission(c) => {
            check_entries("commissioned entries", &c.entries)?;
            check_count("claim keys", &c.claim_keys, MAX_ENTRIES)?;
            check_opt("GLN", &c.at, 13)?;
            check_opt("lot", &c.lot, 20)?;
            check_opt("expiry", &c.expiry, 6)?;
            check_attrs("attributes", &c.attributes)?;
        }
        Payload::PinCommission(c) => {
            check_entries("commissioned entries", &c.entries)?;
            check_count("claim PIN hashes", &c.pin_hashes, MAX_ENTRIES)?;
            check_opt("GLN", &c.at, 13)?;
            check_opt("lot", &c.lot, 20)?;
            check_opt("expiry", &c.expiry, 6)?;
            check_attrs("attributes", &c.attributes)?;
        }
        Payload::Pack { container, entries } | Payload::Unpack { container, entries } => {
            container
                .validate()
                .map_err(|e| Rejection::new(Code::BadId, format!("container: {e}")))?;
            check_entries("entries", entries)?;
        }
        Payload::ProposeHandoff(h) => {
            check_entries("offered entries", &h.entries)?;
            check_opt("ship-from GLN", &h.ship_from, 13)?;
            check_opt("ship-to GLN", &h.ship_to, 13)?;
            check_count("documents", &h.docs, MAX_DOCS)?;
            for d in &h.docs {
                check_len("document kind", &d.kind, MAX_ATTR_KEY_LEN)?;
                check_len("document id", &d.id, MAX_ATTR_VALUE_LEN)?;
            }
        }
        Payload::AcceptHandoff(a) => {
            check_entries("missing entries", &a.missing)?;
            check_entries("damaged entries", &a.damaged)?;
        }
        Payload::CancelHandoff { .. } | Payload::SetSealKey { .. } => {}
        Payload::Receipt(ReceiptOp::Issue { goods, lots, .. }) => {
            check_count("receipt goods", goods, MAX_RECEIPT_GOODS)?;
            check_count("receipt lots", lots, MAX_RECEIPT_GOODS - goods.len())?;
            for k in goods {
                k.validate()
                    .map_err(|e| Rejection::new(Code::BadId, format!("receipt goods: {e}")))?;
            }
            check_entries("receipt lots", lots)?;
        }
        Payload::Receipt(ReceiptOp::Release { goods, .. }) => {
            check_count("receipt goods", goods, MAX_RECEIPT_GOODS)?;
            for k in goods {
                k.validate()
                    .map_err(|e| Rejection::new(Code::BadId, format!("receipt goods: {e}")))?;
            }
        }
        Payload::Receipt(_) => {}
        Payload::Receivable(op) => {
            let sealed = match op {
                ReceivableOp::Issue {
                    currency,
                    lines,
                    sealed,
                    ..
                } => {
                    check_len("currency", currency, 3)?;
                    check_count("invoice lines", lines, crate::finance::MAX_PARTS)?;
                    check_entries(
                        "invoice lines",
                        &lines.iter().map(|l| l.entry.clone()).collect::<Vec<_>>(),
                    )?;
                    sealed.as_slice()
                }
                ReceivableOp::Split { parts, sealed, .. } => {
                    check_count("split parts", parts, crate::finance::MAX_PARTS)?;
                    for p in parts {
                        check_count("sealed boxes", &p.sealed, MAX_SEALED_BOXES)?;
                        for b in &p.sealed {
                            check_count(
                                "sealed box",
                                &b.ciphertext,
                                crate::finance::MAX_SEALED_PLAINTEXT + 16,
                            )?;
                        }
                    }
                    sealed.as_slice()
                }
                ReceivableOp::Offer { sealed, .. }
                | ReceivableOp::Repay { sealed, .. }
                | ReceivableOp::Dilute { sealed, .. }
                | ReceivableOp::Recover { sealed, .. } => sealed.as_slice(),
                _ => &[],
            };
            check_count("sealed boxes", sealed, MAX_SEALED_BOXES)?;
            for b in sealed {
                check_count(
                    "sealed box",
                    &b.ciphertext,
                    crate::finance::MAX_SEALED_PLAINTEXT + 16,
                )?;
            }
        }
        Payload::Observe(o) => {
            check_entries("observed entries", &o.entries)?;
            check_opt("GLN", &o.at, 13)?;
            check_len("observation kind", &o.kind, MAX_ATTR_KEY_LEN)?;
            check_attrs("readings", &o.readings)?;
        }
        Payload::Transform(t) => check_transform(t)?,
        Payload::ClaimedTransform(c) => {
            check_transform(&c.transform)?;
            check_count("claim keys", &c.claim_keys, MAX_ENTRIES)?;
        }
        Payload::Sell { entries } => check_entries("sold entries", entries)?,
        Payload::Claim(c) => c
            .item
            .validate()
            .map_err(|e| Rejection::new(Code::BadId, format!("item: {e}")))?,
        Payload::PinClaim { item, pin } => {
            item.validate()
                .map_err(|e| Rejection::new(Code::BadId, format!("item: {e}")))?;
            check_len("PIN", pin, MAX_PIN_LEN)?;
        }
        Payload::Recall {
            gtin,
            scope,
            reason,
        } => {
            check_len("GTIN", gtin, 14)?;
            check_len("reason", reason, MAX_TEXT_LEN)?;
            match scope {
                RecallScope::Product => {}
                RecallScope::Lot(l) => check_len("lot", l, 20)?,
                RecallScope::Items(keys) => {
                    check_count("recalled items", keys, MAX_ENTRIES)?;
                    for k in keys {
                        k.validate().map_err(|e| {
                            Rejection::new(Code::BadId, format!("recalled item: {e}"))
                        })?;
                    }
                }
            }
        }
        Payload::ReportStolen {
            entries,
            note: text,
        }
        | Payload::Decommission {
            entries,
            reason: text,
        } => {
            check_entries("entries", entries)?;
            check_len("note", text, MAX_TEXT_LEN)?;
        }
        Payload::Correct { reason, fields, .. } => {
            check_len("reason", reason, MAX_TEXT_LEN)?;
            check_attrs("corrected fields", fields)?;
        }
        Payload::SetValidators {
            validators,
            approvals,
            ..
        } => {
            check_count("validators", validators, MAX_VALIDATORS)?;
            check_count("approvals", approvals, MAX_APPROVALS)?;
        }
        Payload::Certify(c) => {
            match &c.subject {
                CertSubject::Product(g) => check_len("GTIN", g, 14)?,
                CertSubject::Location(g) => check_len("GLN", g, 13)?,
                CertSubject::Thing(k) => k
                    .validate()
                    .map_err(|e| Rejection::new(Code::BadId, format!("certified thing: {e}")))?,
                CertSubject::Org(_) => {}
            }
            check_len("scheme", &c.scheme, MAX_NAME_LEN)?;
            check_len("standard", &c.standard, MAX_NAME_LEN)?;
            check_len("certificate number", &c.number, MAX_CERT_NUMBER_LEN)?;
        }
        Payload::ChangeCertification { reason, .. } => check_len("reason", reason, MAX_TEXT_LEN)?,
        Payload::NotarizeDocument(n) => {
            check_len("document title", &n.title, MAX_NAME_LEN)?;
            check_count("document links", &n.links, MAX_DOC_LINKS)?;
            for l in &n.links {
                if let DocLink::Thing(k) = l {
                    k.validate()
                        .map_err(|e| Rejection::new(Code::BadId, format!("linked item: {e}")))?;
                }
            }
        }
    }
    Ok(())
}

/// Hash of a claim PIN as the retired [`PinCommission`] stored it:
/// `sha256(canonical ‖ 0 ‖ pin)`. Kept to write tests of the refusal.
pub fn pin_hash(key: &Gs1Key, pin: &str) -> Hash32 {
    sha256(&[key.canonical().as_bytes(), &[0], pin.as_bytes()])
}
