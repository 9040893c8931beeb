//! How records look in answers: the shapes of `handoff --json` (PRODUCT.md §7), field for
//! field. Keys are canonical GS1 paths, orgs appear with their names beside their keys,
//! times as RFC 3339 UTC. A field marked "absent when…" is left out of the JSON, not null.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name → value attributes (AIs of a label, product attributes, readings).
pub type Attributes = BTreeMap<String, String>;

/// An org as shown beside its key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgRef {
    /// Public key, hex.
    pub key: String,
    /// Display name (the short key for a key that is no org).
    pub name: String,
}

/// One entry of a handoff, pack or lot: a key and, for a lot, a quantity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    /// Canonical key.
    pub key: String,
    /// Quantity of a lot (absent for items and containers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
}

/// The product an item or lot is of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductRef {
    /// GTIN-14.
    pub gtin: String,
    /// Name.
    pub name: String,
    /// The brand owner's name.
    pub brand_owner: String,
}

/// The recall covering an item or lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallView {
    /// `product`, `lot` or `item`.
    pub scope: String,
    /// The recall transaction.
    pub tx: String,
    /// Why.
    pub reason: String,
    /// Block height.
    pub height: u64,
}

/// An exception flagged on an item when a handoff was accepted without it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExceptionView {
    /// `missing` or `damaged`.
    pub kind: String,
    /// The handoff it was excepted from.
    pub handoff: String,
}

/// A serialized item or a container as it stands now (custody resolved through its
/// containers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    /// Canonical key.
    pub key: String,
    /// `item` or `container`.
    pub kind: String,
    /// `active`, `sold`, `decommissioned`… (lower case).
    pub status: String,
    /// Owner (of the outermost container when packed).
    pub owner: OrgRef,
    /// Custodian (of the outermost container when packed).
    pub custodian: OrgRef,
    /// Who commissioned it.
    pub commissioned_by: OrgRef,
    /// Block it was commissioned in.
    pub commissioned_height: u64,
    /// Events in its own history.
    pub events: u64,
    /// Reported stolen.
    pub stolen: bool,
    /// The recall covering it (by name, its lot or its product), null when none.
    pub recalled: Option<String>,
    /// That recall (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall: Option<RecallView>,
    /// Its product (absent when the GTIN is not defined, or for a container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductRef>,
    /// Other AIs of its label (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// The container it is in (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The outermost container (absent when not packed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outermost_container: Option<String>,
    /// The open handoff it travels in (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_handoff: Option<String>,
    /// What a container holds (absent when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<Vec<EntryView>>,
    /// What it was made from (absent when nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<EntryView>>,
    /// Its lot (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// Expiry YYMMDD (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// GLN it was commissioned at (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commissioned_at: Option<String>,
    /// Missing or damaged at a handoff (absent when not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<ExceptionView>,
}

/// Who holds part of a lot: an org (custodian and owner), a container, or an open
/// handoff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolderView {
    /// How much.
    pub quantity: u64,
    /// Custodian (absent when in a container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custodian: Option<OrgRef>,
    /// Owner (absent when in a container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OrgRef>,
    /// The container (absent when held by an org).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The open handoff it is offered in (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_handoff: Option<String>,
}

/// A lot as it stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotView {
    /// Canonical key.
    pub key: String,
    /// `lot`.
    pub kind: String,
    /// `active` or `retired`.
    pub status: String,
    /// Who commissioned it.
    pub commissioned_by: OrgRef,
    /// Block it was commissioned in.
    pub commissioned_height: u64,
    /// Quantity commissioned.
    pub commissioned: u64,
    /// Quantity retired (sold, decommissioned, consumed).
    pub retired: u64,
    /// Quantity excepted at handoffs.
    pub excepted: u64,
    /// Quantity reported stolen.
    pub stolen: u64,
    /// Who holds how much.
    pub balances: Vec<HolderView>,
    /// Events in its history.
    pub events: u64,
    /// The recall covering it (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recalled: Option<String>,
    /// That recall (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall: Option<RecallView>,
    /// Its product (absent when not defined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductRef>,
    /// Expiry YYMMDD (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// Other AIs (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// What it was made from (absent when nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<EntryView>>,
}

/// An item, container or lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Thing {
    /// A serialized item or a container.
    Item(Box<ItemView>),
    /// A lot.
    Lot(Box<LotView>),
}

impl Thing {
    /// Canonical key.
    pub fn key(&self) -> &str {
        match self {
            Thing::Item(i) => &i.key,
            Thing::Lot(l) => &l.key,
        }
    }
    /// The open handoff it travels in (items and containers).
    pub fn open_handoff(&self) -> Option<&str> {
        match self {
            Thing::Item(i) => i.open_handoff.as_deref(),
            Thing::Lot(_) => None,
        }
    }
}

/// One GS1 AI of a scan with its title.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiElement {
    /// AI digits.
    pub ai: String,
    /// GS1 data title.
    pub title: String,
    /// Value.
    pub value: String,
}

/// A parsed scan (`handoff id parse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanView {
    /// `gtin`, `serial`, `lot`, `sscc` or `gln`.
    pub key: String,
    /// Canonical path.
    pub canonical: String,
    /// Digital Link URI.
    pub uri: String,
    /// `digital_link`, `parenthesised`, `element_string` or `gtin`.
    pub form: String,
    /// GTIN-14 (absent for SSCC and GLN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// Serial (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Lot (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// SSCC (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sscc: Option<String>,
    /// GLN (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gln: Option<String>,
    /// GLN extension (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// Consumer product variant (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpv: Option<String>,
    /// Count (AI 30/37, absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
    /// Expiry YYMMDD (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// Every other AI (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// The same AIs in scan order with their titles (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements: Option<Vec<AiElement>>,
}

/// An event of a journey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    /// Event type (`commissioned`, `handoff_accepted`…).
    #[serde(rename = "type")]
    pub kind: String,
    /// The org (hex key).
    pub by: String,
    /// Its name.
    pub by_name: String,
    /// The signing key (hex).
    pub signer: String,
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Event time, RFC 3339.
    pub time: String,
    /// Event time, Unix ms.
    pub time_ms: i64,
    /// Record time, RFC 3339.
    pub record_time: String,
    /// Transaction id.
    pub tx: String,
    /// Whose history it is from (canonical key).
    pub subject: String,
    /// `self`, `container` or `input`.
    pub via: String,
    /// The handoff (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<String>,
    /// Counterparty key (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    /// Counterparty name (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty_name: Option<String>,
    /// `custody`, `ownership` or `both` (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<String>,
    /// GLN (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Quantity (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
    /// Related keys (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<String>>,
    /// Note (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Readings and other data (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Attributes>,
}

/// A document referenced by a handoff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocView {
    /// Kind (`po`, `invoice`…).
    pub kind: String,
    /// Its number.
    pub id: String,
}

/// A handoff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoffView {
    /// Id (hex).
    pub id: String,
    /// Proposer.
    pub from: OrgRef,
    /// Recipient.
    pub to: OrgRef,
    /// `open`, `accepted`, `rejected`, `cancelled`, `expired`.
    pub status: String,
    /// `custody`, `ownership` or `both`.
    pub transfer: String,
    /// What is offered.
    pub entries: Vec<EntryView>,
    /// Ship-from GLN.
    pub ship_from: Option<String>,
    /// Ship-to GLN.
    pub ship_to: Option<String>,
    /// Documents.
    pub docs: Vec<DocView>,
    /// Height proposed.
    pub proposed_height: u64,
    /// Time proposed, RFC 3339.
    pub proposed_time: String,
    /// Lapses after this height.
    pub expires_at_height: Option<u64>,
    /// Height closed.
    pub closed_height: Option<u64>,
    /// Missing at acceptance.
    pub missing: Vec<EntryView>,
    /// Damaged at acceptance.
    pub damaged: Vec<EntryView>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Everything the handoff carries, line by line: each entry and, under a container,
    /// what is packed in it now (depth first, a container before its contents), with
    /// product names. Absent where the node did not walk the goods (a light node's
    /// answer): the entries' keys are then all there is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goods: Vec<GoodsLine>,
    /// `goods` stops at the node's bound (10,000 lines) and lists less than the handoff
    /// carries (absent when it lists everything).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub goods_cut: bool,
}

/// One line of what a handoff carries: a serialized item, a container or a lot quantity,
/// named for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoodsLine {
    /// Canonical key.
    pub key: String,
    /// `item`, `container` or `lot`.
    pub kind: String,
    /// GTIN-14 (absent for a container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// Product name (absent for a container, or when the GTIN is not defined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Serial (items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// SSCC (containers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sscc: Option<String>,
    /// Lot (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// Expiry YYMMDD (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// 1 for an item or a container, the quantity for a lot.
    pub quantity: u64,
    /// The SSCC of the container it is packed in (absent for the handoff's own entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

/// A GS1 key as the ledger records it (named by its kind).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyRecord {
    /// A product class.
    Gtin {
        /// GTIN-14.
        gtin: String,
    },
    /// A serialized item.
    Serial {
        /// GTIN-14.
        gtin: String,
        /// Serial.
        serial: String,
    },
    /// A lot.
    Lot {
        /// GTIN-14.
        gtin: String,
        /// Lot.
        lot: String,
    },
    /// A logistics unit.
    Sscc {
        /// SSCC.
        sscc: String,
    },
    /// A location.
    Gln {
        /// GLN.
        gln: String,
        /// Extension.
        extension: Option<String>,
    },
}

/// What a recall covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecallScopeView {
    /// Every item of the product.
    Product,
    /// One lot.
    Lot(String),
    /// Named items.
    Items(Vec<KeyRecord>),
}

/// A recall as recorded on its product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallRecordView {
    /// What it covers.
    pub scope: RecallScopeView,
    /// Why.
    pub reason: String,
    /// Block height.
    pub height: u64,
    /// The recall transaction.
    pub tx: String,
}

/// A product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductView {
    /// GTIN-14.
    pub gtin: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Brand owner.
    pub owner: OrgRef,
    /// Attributes.
    pub attributes: Attributes,
    /// Orgs licensed to commission it.
    pub licensees: Vec<OrgRef>,
    /// Recalls.
    pub recalls: Vec<RecallRecordView>,
    /// SHA-256 of the product's picture (hex), or null: the picture itself is not on the
    /// ledger.
    pub image_hash: Option<String>,
}

/// A member organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgView {
    /// Public key, hex.
    pub key: String,
    /// Display name.
    pub name: String,
    /// GS1 company prefixes.
    pub prefixes: Vec<String>,
    /// Location numbers.
    pub glns: Vec<String>,
    /// Roles.
    pub roles: Vec<String>,
    /// Suspended orgs can sign nothing.
    pub suspended: bool,
    /// Height admitted at (0: genesis).
    pub admitted_at: u64,
}

/// One reason of a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonView {
    /// Stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

/// How many distinct networks looked a sold item up, per window, as the node that
/// answered counted them (clone detection). Not chain data: it can only lower a verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanCountsView {
    /// Within the last hour.
    pub networks_hour: u32,
    /// Within the last day.
    pub networks_day: u32,
    /// Within the last 30 days.
    pub networks_30d: u32,
}

/// A pair of a name and a value (an attribute, a reading, a corrected field). Order
/// and repeats are kept as given: the ledger records the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A document reference given with an offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocRef {
    /// Kind (`po`, `invoice`…).
    pub kind: String,
    /// Its number.
    pub id: String,
}

/// A transaction a light node signed and queued in its outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedTx {
    /// Outbox sequence number.
    pub seq: u64,
    /// Transaction id.
    pub tx: String,
    /// Its nonce.
    pub nonce: u64,
}

/// A row of the light node's outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxRow {
    /// Sequence number.
    pub seq: u64,
    /// Transaction id.
    pub tx: String,
    /// Nonce.
    pub nonce: u64,
    /// `pending`, `submitted`, `committed` or `rejected`.
    pub status: String,
    /// Block (committed, or rejected in a block).
    pub height: Option<u64>,
    /// Index in the block (committed).
    pub index: Option<u32>,
    /// Rejection code.
    pub code: Option<String>,
    /// Rejection message.
    pub message: Option<String>,
    /// Event type of the transaction.
    pub kind: Option<String>,
    /// Keys it names.
    pub items: Vec<String>,
    /// The offer it answers.
    pub handoff: Option<String>,
}

/// Counts of outbox entries by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxCounts {
    /// Signed, not yet sent.
    pub pending: u64,
    /// Sent, waiting for a block.
    pub submitted: u64,
    /// In a block.
    pub committed: u64,
    /// Refused by a ledger rule.
    pub rejected: u64,
}

impl OutboxCounts {
    /// Every entry, whatever its status.
    pub fn total(&self) -> u64 {
        self.pending + self.submitted + self.committed + self.rejected
    }
}

/// A local identity (a key in the data folder's `keys/`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityView {
    /// Its name.
    pub name: String,
    /// Its org key, hex.
    pub org: String,
    /// The org's name (the identity's name).
    pub org_name: String,
}
