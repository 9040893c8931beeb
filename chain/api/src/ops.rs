//! Every operation's request and response. Requests refuse unknown fields; a response is
//! exactly what `handoff --json …` prints for the same operation.

use crate::views::*;
use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

fn default_label_format() -> String {
    "pdf".into()
}
fn default_label_size() -> String {
    "50x30".into()
}
fn default_base() -> String {
    crate::DIGITAL_LINK_BASE.into()
}
fn default_log_limit() -> usize {
    20
}
fn default_activity_limit() -> usize {
    50
}
fn default_device_label() -> String {
    "device".into()
}
fn default_revoke_reason() -> String {
    "revoked".into()
}
fn default_valid_hours() -> u32 {
    72
}

macro_rules! request {
    ($(#[$m:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        pub struct $name { $($body)* }
    };
}

macro_rules! response {
    ($(#[$m:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name { $($body)* }
    };
}

// ---------------------------------------------------------------- queries

request! {
    /// Chain status (`handoff status`).
    pub struct StatusRequest {}
}

response! {
    /// Where the chain stands. The command line prints the first six fields; the app
    /// adds its mode, peers, outbox and identities.
    pub struct StatusResponse {
        /// Chain id, hex.
        pub chain_id: String,
        /// Height of the newest block (light node: of the newest certified header).
        pub height: u64,
        /// Its time, Unix ms.
        pub time_ms: i64,
        /// Its state root, hex (null on a light node that has no header yet).
        pub state_root: Option<String>,
        /// This node's validator key (absent on a light node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub validator: Option<String>,
        /// The store's size on disk (absent on a light node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub disk_bytes: Option<u64>,
        /// The chain's name (light node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub chain_name: Option<String>,
        /// `embedded` or `light` (the app).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mode: Option<String>,
        /// Connected full nodes (the app).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub peers: Option<u64>,
        /// Outbox entries not yet committed or rejected (the app).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub outbox: Option<u64>,
        /// Outbox entries by status (light node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub outbox_counts: Option<OutboxCounts>,
        /// The identity acted as (the app).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub identity: Option<IdentityView>,
        /// The local identities (the app).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub identities: Option<Vec<IdentityView>>,
        /// The data folder (the app).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub data_dir: Option<String>,
        /// A light node: how fresh its verified index of its org is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub index: Option<IndexFreshness>,
        /// A light node: what it refused from peers lately (a header whose filter does
        /// not match its hash, a block that does not match its header), oldest first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub refused: Option<Vec<String>>,
    }
}

request! {
    /// Parses a scan into its GS1 key and canonical form (`handoff id parse`). Needs no
    /// chain.
    pub struct IdParseRequest {
        /// The scanned text.
        pub scan: String,
    }
}

request! {
    /// What a scan is: the parsed identifier, its current record, the verdict and the
    /// open handoff it travels in.
    pub struct LookupRequest {
        /// The scanned text.
        pub scan: String,
    }
}

response! {
    /// Proof that a light node's answer comes from a certified header.
    pub struct VerifiedAt {
        /// Header height.
        pub height: u64,
        /// Its state root, hex.
        pub state_root: String,
        /// Its hash, hex.
        pub header_hash: String,
    }
}

response! {
    /// See [`LookupRequest`].
    pub struct LookupResponse {
        /// The parsed scan.
        pub scan: ScanView,
        /// Its current record.
        pub thing: ItemShowResponse,
        /// Genuine/warning/counterfeit (null for containers, and on a light node).
        pub verdict: Option<VerifyResponse>,
        /// The open offer it travels in (null when none).
        pub handoff: Option<HandoffView>,
        /// The certified header the record was proven against (light node only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub verified: Option<VerifiedAt>,
    }
}

request! {
    /// An item's, container's or lot's current record (`handoff item show`).
    pub struct ItemShowRequest {
        /// The scan.
        pub key: String,
        /// Also prove the record against the newest header's state root.
        #[serde(default, skip_serializing_if = "is_false")]
        pub proof: bool,
    }
}

response! {
    /// A Merkle proof of a record, checked here.
    pub struct ProofView {
        /// The header carries a valid commit certificate.
        pub certified: bool,
        /// Height proven at.
        pub height: u64,
        /// State root, hex.
        pub state_root: String,
        /// Header hash, hex.
        pub header_hash: String,
        /// Size of the proof.
        pub proof_bytes: u64,
        /// The proof verified.
        pub verified: bool,
    }
}

response! {
    /// See [`ItemShowRequest`].
    pub struct ItemShowResponse {
        /// The record (under `item` for lots too).
        pub item: Thing,
        /// With `proof`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub proof: Option<ProofView>,
    }
}

request! {
    /// Full history (`handoff item history`).
    pub struct ItemHistoryRequest {
        /// The scan.
        pub key: String,
    }
}

response! {
    /// See [`ItemHistoryRequest`].
    pub struct ItemHistoryResponse {
        /// The record.
        pub item: Thing,
        /// Its journey, oldest first (containers it travelled in, inputs it was made from).
        pub events: Vec<EventView>,
        /// Light node only: the certified header the journey was verified against. The
        /// record of the item and of every container and input the journey follows is
        /// proven against its state root, and each one's events hash to the history head
        /// that record holds; the journey is the full node's, as of that block.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub verified: Option<VerifiedAt>,
    }
}

request! {
    /// Open handoffs to and from the caller's org (`handoff handoff inbox`).
    pub struct InboxRequest {}
}

response! {
    /// See [`InboxRequest`].
    pub struct InboxResponse {
        /// The org, hex.
        pub org: String,
        /// Offers to it.
        pub incoming: Vec<HandoffView>,
        /// Offers from it.
        pub outgoing: Vec<HandoffView>,
        /// A light node answering from its own verified index: how fresh it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub light: Option<IndexFreshness>,
    }
}

response! {
    /// How fresh a light node's answer from its own index is: it holds what concerns its
    /// org, each record proven against a certified header, and answers from disk when no
    /// peer is reachable ("as of block N, 3 min ago").
    pub struct IndexFreshness {
        /// Every block up to this height was looked at (those naming the org indexed).
        pub height: u64,
        /// That block's time, RFC 3339 UTC.
        pub block_time: String,
        /// When this node last brought its index up to date (RFC 3339 UTC; absent: never).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub checked: Option<String>,
        /// The newest certified header this node holds (the index catches up to it).
        pub tip: u64,
        /// Peers connected now (0: the answer comes from disk alone).
        pub peers: usize,
    }
}

request! {
    /// The caller's open offers to others.
    pub struct OutgoingRequest {}
}

response! {
    /// See [`OutgoingRequest`].
    pub struct OutgoingResponse {
        /// The org, hex.
        pub org: String,
        /// Its open offers.
        pub handoffs: Vec<HandoffView>,
    }
}

request! {
    /// One handoff (`handoff handoff show`).
    pub struct HandoffShowRequest {
        /// Handoff id (hex, or a unique prefix of one of the caller's open handoffs).
        pub id: String,
    }
}

response! {
    /// See [`HandoffShowRequest`].
    pub struct HandoffShowResponse {
        /// The handoff.
        pub handoff: HandoffView,
    }
}

request! {
    /// A product (`handoff product show`).
    pub struct ProductShowRequest {
        /// GTIN (8, 12, 13 or 14 digits).
        pub gtin: String,
    }
}

response! {
    /// See [`ProductShowRequest`].
    pub struct ProductShowResponse {
        /// The product.
        pub product: ProductView,
    }
}

request! {
    /// A product's picture. The ledger holds only its SHA-256 (`image_hash` of the
    /// product's definition); the node answers with the picture of that hash it carries.
    pub struct ProductImageRequest {
        /// GTIN (8, 12, 13 or 14 digits).
        pub gtin: String,
    }
}

response! {
    /// See [`ProductImageRequest`]. `image_hash` is `None` (and there is no data) when the
    /// product's definition names no picture; a hash the node carries no picture for is
    /// the error `IMAGE_UNAVAILABLE`.
    pub struct ProductImageResponse {
        /// GTIN-14.
        pub gtin: String,
        /// SHA-256 of the picture (hex).
        pub image_hash: Option<String>,
        /// Media type of `data_base64`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mime: Option<String>,
        /// The picture, base64.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub data_base64: Option<String>,
    }
}

request! {
    /// Every product defined on the chain.
    pub struct ProductListRequest {}
}

response! {
    /// See [`ProductListRequest`].
    pub struct ProductListResponse {
        /// Products by GTIN.
        pub products: Vec<ProductView>,
    }
}

request! {
    /// Every org (`handoff org list`).
    pub struct OrgListRequest {}
}

response! {
    /// See [`OrgListRequest`].
    pub struct OrgListResponse {
        /// The orgs.
        pub orgs: Vec<OrgView>,
        /// `genesis` when listed from the trusted genesis (a light node keeps no org
        /// index); absent on a full node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source: Option<String>,
    }
}

request! {
    /// The next nonce of the caller's identity (`handoff org nonce`).
    pub struct OrgNonceRequest {}
}

response! {
    /// See [`OrgNonceRequest`].
    pub struct OrgNonceResponse {
        /// Org key, hex.
        pub org: String,
        /// Identity name.
        pub name: String,
        /// What its next transaction must carry.
        pub next_nonce: u64,
    }
}

request! {
    /// An org's transactions, newest first (`handoff org log`).
    pub struct OrgLogRequest {
        /// Org name or key prefix (default: the caller's org).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub org: Option<String>,
        /// At most this many.
        #[serde(default = "default_log_limit")]
        pub limit: usize,
    }
}

response! {
    /// A row of an org's log.
    pub struct LogRow {
        /// Transaction id.
        pub tx: String,
        /// Block.
        pub height: u64,
        /// Payload type.
        #[serde(rename = "type")]
        pub kind: String,
        /// Rejection code (null: applied).
        pub rejected: Option<String>,
    }
}

response! {
    /// See [`OrgLogRequest`].
    pub struct OrgLogResponse {
        /// Org key, hex.
        pub org: String,
        /// Newest first.
        pub transactions: Vec<LogRow>,
    }
}

request! {
    /// What the caller's org holds (`handoff stock`): grouped by product, with lots,
    /// expiry, location, containers and status, plus arrivals expected and shipments in
    /// transit. Only the org's own business: needs an authenticated caller.
    pub struct StockRequest {
        /// Only this product (GTIN: 8, 12, 13 or 14 digits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub product: Option<String>,
        /// Only this lot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lot: Option<String>,
        /// Only at this location (GLN, 13 digits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub at: Option<String>,
        /// Only with this status (`in_stock`, `in_transit`, `recalled`, `missing`,
        /// `damaged`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        /// Only what expires within this many days of the chain's time (expired included).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expiring_days: Option<u32>,
    }
}

response! {
    /// One group of held goods: a product's items or lot quantity with one lot, expiry,
    /// location, status and container.
    pub struct StockLine {
        /// `item` (serialized items, counted) or `lot` (a lot quantity).
        pub kind: String,
        /// Lot (absent when none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lot: Option<String>,
        /// Expiry date, `YYYY-MM-DD` (absent when none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expiry: Option<String>,
        /// Days from the chain's time to the expiry (negative: expired).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expires_in_days: Option<i64>,
        /// GLN where it is (absent when never recorded; for packed goods, the container's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub location: Option<String>,
        /// `in_stock`, `in_transit`, `recalled`, `missing` or `damaged`.
        pub status: String,
        /// The SSCC of the container it is packed in (absent when loose).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub container: Option<String>,
        /// Items, or the lot quantity.
        pub quantity: u64,
    }
}

response! {
    /// Everything held of one product.
    pub struct StockProduct {
        /// GTIN-14.
        pub gtin: String,
        /// Product name (the GTIN when the product is not defined).
        pub name: String,
        /// Serialized items held.
        pub items: u64,
        /// Lot quantity held.
        pub lot_quantity: u64,
        /// The groups, earliest expiry first.
        pub lines: Vec<StockLine>,
    }
}

response! {
    /// What is packed in a held container, by product.
    pub struct StockContent {
        /// GTIN-14.
        pub gtin: String,
        /// Product name.
        pub name: String,
        /// `item` or `lot`.
        pub kind: String,
        /// Lot (absent when none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lot: Option<String>,
        /// Expiry, `YYYY-MM-DD`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expiry: Option<String>,
        /// Items or lot quantity.
        pub quantity: u64,
    }
}

response! {
    /// A held container (SSCC) with its contents.
    pub struct StockContainer {
        /// SSCC, 18 digits.
        pub sscc: String,
        /// GLN where it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub location: Option<String>,
        /// Status.
        pub status: String,
        /// The container it is packed in (absent when outermost).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub inside: Option<String>,
        /// Serialized items in it (not counting inner containers').
        pub items: u64,
        /// Lot quantity in it.
        pub lot_quantity: u64,
        /// Its contents by product and lot.
        pub contents: Vec<StockContent>,
    }
}

response! {
    /// Counts and totals of a stock answer (after filters).
    pub struct StockTotals {
        /// Products with something held.
        pub products: u64,
        /// Serialized items.
        pub items: u64,
        /// Lot quantity.
        pub lot_quantity: u64,
        /// Containers.
        pub containers: u64,
        /// Lines (groups).
        pub lines: u64,
    }
}

response! {
    /// Open handoffs to the org from one sender.
    pub struct ArrivalGroup {
        /// The sender.
        pub from: OrgRef,
        /// Its open offers, oldest first.
        pub handoffs: Vec<HandoffView>,
    }
}

response! {
    /// See [`StockRequest`].
    pub struct StockResponse {
        /// The org.
        pub org: OrgRef,
        /// The block the answer is as of.
        pub height: u64,
        /// That block's time (RFC 3339 UTC): "expiring within N days" counts from it.
        pub as_of: String,
        /// By product, product name order.
        pub products: Vec<StockProduct>,
        /// Containers held (outermost and inner), SSCC order.
        pub containers: Vec<StockContainer>,
        /// Counts and totals.
        pub totals: StockTotals,
        /// Open handoffs to the org, by sender.
        pub arrivals: Vec<ArrivalGroup>,
        /// Open handoffs from the org (shipments not yet accepted).
        pub in_transit: Vec<HandoffView>,
        /// A light node answering from its own verified index: how fresh it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub light: Option<IndexFreshness>,
    }
}

request! {
    /// The caller's org's latest transactions (`handoff activity`), newest first, since a
    /// time the ledger recorded them at.
    pub struct ActivityRequest {
        /// Only since this time: RFC 3339 (`2026-12-01T08:00:00Z`), a date
        /// (`2026-12-01`), unix milliseconds, or an age before the chain's time (`30m`,
        /// `24h`, `7d`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub since: Option<String>,
        /// At most this many.
        #[serde(default = "default_activity_limit")]
        pub limit: usize,
    }
}

response! {
    /// A row of an org's activity.
    pub struct ActivityRow {
        /// Transaction id.
        pub tx: String,
        /// Block.
        pub height: u64,
        /// When the ledger recorded it (block time), RFC 3339 UTC; `since` counts by it.
        pub time: String,
        /// When the signing device says it happened, RFC 3339 UTC.
        pub event_time: String,
        /// Payload type.
        #[serde(rename = "type")]
        pub kind: String,
        /// Rejection code (null: applied).
        pub rejected: Option<String>,
    }
}

response! {
    /// See [`ActivityRequest`].
    pub struct ActivityResponse {
        /// The org.
        pub org: OrgRef,
        /// Since when (RFC 3339 UTC; absent: no bound).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub since: Option<String>,
        /// Newest first.
        pub events: Vec<ActivityRow>,
        /// A light node answering from its own verified index: how fresh it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub light: Option<IndexFreshness>,
    }
}

request! {
    /// Is this item genuine? (`handoff verify`). A scan that does not parse is an answer
    /// (counterfeit, with the reason), not an error.
    pub struct VerifyRequest {
        /// The scan.
        pub scan: String,
    }
}

response! {
    /// See [`VerifyRequest`].
    pub struct VerifyResponse {
        /// `genuine`, `warning` or `counterfeit`.
        pub verdict: String,
        /// Why.
        pub reasons: Vec<ReasonView>,
        /// The canonical key (absent when the scan did not parse).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub item: Option<String>,
    }
}

request! {
    /// The evidence of a scan's verdict and journey: every record they read with its
    /// Merkle proof against one certified header, and the histories, so the consumer
    /// page recomputes both itself (`handoff_core::evidence`). Public.
    pub struct EvidenceRequest {
        /// The scan (a Digital Link URI, element string or canonical key).
        pub scan: String,
    }
}

response! {
    /// See [`EvidenceRequest`].
    pub struct EvidenceResponse {
        /// The height proven at.
        pub height: u64,
        /// The encoded `handoff_core::evidence::Evidence`, hex.
        pub evidence: String,
        /// Its size in bytes.
        pub bytes: u64,
        /// The lookups of a sold item this node counted (absent for anything not sold):
        /// this node's observation, not proven; the page lowers its verdict by it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub scans: Option<ScanCountsView>,
        /// Set when this node could not read its scan log (why): the page then cannot
        /// say "genuine".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub scans_unchecked: Option<String>,
    }
}

request! {
    /// The light node's outbox of signed transactions.
    pub struct OutboxRequest {}
}

response! {
    /// See [`OutboxRequest`]. A full node commits at once and has no outbox: empty.
    pub struct OutboxResponse {
        /// Entries in order: every one still waiting for the chain, and the newest 200
        /// that are final (committed or rejected); `counts` counts them all.
        pub entries: Vec<OutboxRow>,
        /// Newest certified header.
        pub tip: u64,
        /// The signer's account nonce as last proven (null: not read yet).
        pub account_nonce: Option<u64>,
        /// Whether a light node runs.
        pub running: bool,
        /// `light` or `embedded` (the app).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mode: Option<String>,
        /// Entries by status, all of them (a light node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub counts: Option<OutboxCounts>,
    }
}

request! {
    /// An item's record read by a light node (`handoff light show`): proven against the
    /// newest certified header it holds, with the view people read, every record of it
    /// proven against the same header. Only a light node answers it (a full node:
    /// `item show --proof`).
    pub struct LightShowRequest {
        /// The scan.
        pub scan: String,
    }
}

response! {
    /// See [`LightShowRequest`]. Given only when every record of it verified.
    pub struct LightShowResponse {
        /// The item's record as proven: hex of its canonical encoding (what the state
        /// tree commits to), so the caller holds exactly the bytes that verified.
        pub record: String,
        /// The record as people read it (null when it is no item, container or lot).
        pub thing: Option<Thing>,
        /// The open offer it travels in (null when none).
        pub handoff: Option<HandoffView>,
        /// The certified header every record was proven against.
        pub verified: VerifiedAt,
    }
}

request! {
    /// What the running network node reports about itself.
    pub struct NodeInfoRequest {}
}

response! {
    /// See [`NodeInfoRequest`].
    pub struct NodeInfoResponse {
        /// Committed height.
        pub height: u64,
        /// Connected peers.
        pub peers: u64,
        /// Transactions waiting in the mempool.
        pub mempool: u64,
        /// Whether this node votes.
        pub validator: bool,
        /// Blocks taken from peers by sync.
        pub synced_blocks: u64,
        /// Proposals found invalid.
        pub invalid_proposals: u64,
        /// Misbehaviour reports.
        pub peer_reports: u64,
        /// Proposer of the newest block, hex.
        pub tip_proposer: String,
        /// Store read failures.
        pub store_faults: u64,
        /// The last one.
        pub last_store_fault: Option<String>,
    }
}

request! {
    /// The chain's genesis (`handoff genesis`), to start a light node.
    pub struct GenesisRequest {}
}

response! {
    /// See [`GenesisRequest`].
    pub struct GenesisResponse {
        /// Hex of the genesis encoding.
        pub genesis: String,
        /// Chain id, hex.
        pub chain_id: String,
    }
}

request! {
    /// The local identities of the data folder.
    pub struct IdentitiesRequest {}
}

response! {
    /// See [`IdentitiesRequest`].
    pub struct IdentitiesResponse {
        /// Oldest first.
        pub identities: Vec<IdentityView>,
    }
}

request! {
    /// Checks that an identity exists, to act as it from now on (a session setting of
    /// the caller, e.g. the app; the node itself keeps none).
    pub struct IdentitySwitchRequest {
        /// Its name (or key prefix).
        pub name: String,
    }
}

response! {
    /// See [`IdentitySwitchRequest`].
    pub struct IdentitySwitchResponse {
        /// The identity now acted as.
        pub identity: IdentityView,
    }
}

request! {
    /// The app's network settings: saved bootstrap peers and the genesis joined.
    pub struct NetworkShowRequest {}
}

response! {
    /// See [`NetworkShowRequest`].
    pub struct NetworkResponse {
        /// Saved bootstrap peers (multiaddresses).
        pub peers: Vec<String>,
        /// The genesis joined (hex), null when none.
        pub genesis: Option<String>,
        /// `embedded` or `light`.
        pub mode: String,
        /// Chain id (light mode).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub chain_id: Option<String>,
        /// What the node does, for people.
        pub network: String,
        /// The folder just became a light node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub switched: Option<bool>,
        /// What changed, for people.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message: Option<String>,
    }
}

request! {
    /// Saves bootstrap peers and, with a genesis, joins that network as a light node.
    pub struct NetworkSetRequest {
        /// Peers (empty: none).
        #[serde(default)]
        pub peers: Vec<String>,
        /// Hex of the genesis (as `handoff genesis` prints it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub genesis: Option<String>,
        /// An invitation link from a registrar's node (`handoff://join?…`): joins that
        /// network as the organisation it invites, with a key made here; the link carries
        /// the peers and the genesis' hash (nothing else is given with it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub invite: Option<String>,
    }
}

request! {
    /// The chain's validator set: its epoch and keys, the set that certifies the next
    /// block (`handoff validators show`).
    pub struct ValidatorsShowRequest {}
}

response! {
    /// See [`ValidatorsShowRequest`].
    pub struct ValidatorsResponse {
        /// The set's epoch.
        pub epoch: u64,
        /// Its keys, hex, in the chain's order.
        pub validators: Vec<String>,
        /// The first block it certifies from now: the next one.
        pub next_height: u64,
    }
}

// ---------------------------------------------------------------- actions

response! {
    /// A committed transaction (or, on a light node, a queued one).
    pub struct Receipt {
        /// Transaction id (light node: the first queued).
        pub tx: String,
        /// The block it is in (null: not in a block; light node: not yet).
        pub height: Option<u64>,
        /// The transactions a light node signed and queued (absent on a full node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queued: Option<Vec<QueuedTx>>,
    }
}

request! {
    /// New items or lots (`handoff item commission`).
    pub struct CommissionRequest {
        /// Scans of the items, or of the GTIN with `lot`.
        pub scans: Vec<String>,
        /// With a GTIN scan, the lot commissioned; with serials, their lot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lot: Option<String>,
        /// Quantity of a lot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub qty: Option<u64>,
        /// Where (GLN).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub at: Option<String>,
        /// Expiry YYMMDD.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expiry: Option<String>,
        /// Give every serialized item its own claim code: a random secret returned once in
        /// `claim_codes` (for the label printer) and never stored; only its public key
        /// goes on the chain.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pub claim_codes: bool,
        /// Retired: claim PINs are refused (`PIN_RETIRED`); use `claim_codes`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub pin: Option<String>,
    }
}

response! {
    /// One item's claim code, as printed under its scratch-off.
    pub struct ClaimCode {
        /// The item (canonical key).
        pub item: String,
        /// The secret code (32 hex digits in groups of four); the claim QR carries it.
        pub code: String,
    }
}

response! {
    /// See [`CommissionRequest`].
    pub struct CommissionResponse {
        /// Transaction id.
        pub tx: String,
        /// Block.
        pub height: Option<u64>,
        /// Canonical keys commissioned.
        pub items: Vec<String>,
        /// Their lot (absent when none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lot: Option<String>,
        /// Their expiry (absent when none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expiry: Option<String>,
        /// Other AIs of the labels (absent when none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub attributes: Option<Attributes>,
        /// The items' claim codes, when asked for: shown this once, kept nowhere.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub claim_codes: Option<Vec<ClaimCode>>,
        /// Light node: the queued transactions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queued: Option<Vec<QueuedTx>>,
    }
}

/// What a handoff transfers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Custody only.
    #[default]
    Custody,
    /// Ownership only; the goods stay where they are.
    Ownership,
    /// Custody and ownership.
    Both,
}

impl TransferKind {
    fn is_custody(&self) -> bool {
        *self == TransferKind::Custody
    }
}

request! {
    /// Offers items to another org (`handoff handoff propose`).
    pub struct ProposeRequest {
        /// Recipient org (name or key).
        pub to: String,
        /// What (items, containers, lots with a quantity).
        pub scans: Vec<String>,
        /// What is transferred.
        #[serde(default, skip_serializing_if = "TransferKind::is_custody")]
        pub transfer: TransferKind,
        /// Quantity for lot scans that carry none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub qty: Option<u64>,
        /// Ship-from GLN.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ship_from: Option<String>,
        /// Ship-to GLN.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ship_to: Option<String>,
        /// Documents.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub docs: Vec<DocRef>,
        /// The offer lapses after this many blocks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expires_in: Option<u64>,
    }
}

response! {
    /// An answer naming the handoff (propose, accept).
    pub struct HandoffReceipt {
        /// Transaction id.
        pub tx: String,
        /// Block.
        pub height: Option<u64>,
        /// The handoff id, hex.
        pub handoff: String,
        /// Light node: the queued transactions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queued: Option<Vec<QueuedTx>>,
    }
}

request! {
    /// Accepts an offer, naming what is missing or damaged.
    pub struct AcceptRequest {
        /// Handoff id (hex or a unique prefix; a light node needs all 64 digits).
        pub id: String,
        /// Did not arrive.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub missing: Vec<String>,
        /// Arrived damaged.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub damaged: Vec<String>,
    }
}

request! {
    /// Refuses an offer.
    pub struct RejectRequest {
        /// Handoff id.
        pub id: String,
        /// Why.
        pub reason: String,
    }
}

request! {
    /// Withdraws one's own offer.
    pub struct CancelRequest {
        /// Handoff id.
        pub id: String,
    }
}

request! {
    /// Packs items into a container.
    pub struct PackRequest {
        /// The container (SSCC).
        pub into: String,
        /// What goes in.
        pub scans: Vec<String>,
    }
}

request! {
    /// Unpacks a container (everything, or the items named).
    pub struct UnpackRequest {
        /// The container (SSCC).
        pub container: String,
        /// Only these.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub scans: Vec<String>,
    }
}

request! {
    /// Defines a product under the caller's company prefix.
    pub struct ProductDefineRequest {
        /// GTIN (8, 12, 13 or 14 digits).
        pub gtin: String,
        /// Name.
        pub name: String,
        /// Description.
        #[serde(default)]
        pub description: String,
        /// Attributes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub attributes: Vec<Pair>,
    }
}

response! {
    /// See [`ProductDefineRequest`].
    pub struct ProductDefineResponse {
        /// Transaction id.
        pub tx: String,
        /// Block.
        pub height: Option<u64>,
        /// GTIN-14.
        pub gtin: String,
    }
}

request! {
    /// Lets another org commission items of the caller's product.
    pub struct ProductLicenseRequest {
        /// GTIN.
        pub gtin: String,
        /// The licensee org (name or key).
        pub to: String,
    }
}

request! {
    /// Recalls a product, a lot of it, or named items.
    pub struct ProductRecallRequest {
        /// GTIN.
        pub gtin: String,
        /// Only this lot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lot: Option<String>,
        /// Only these items (scans).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub items: Vec<String>,
        /// Why.
        pub reason: String,
    }
}

request! {
    /// Records an observation (inspection, storage, temperature…).
    pub struct ObserveRequest {
        /// What.
        pub scans: Vec<String>,
        /// Kind.
        pub kind: String,
        /// Readings.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub readings: Vec<Pair>,
        /// Where (GLN).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub at: Option<String>,
    }
}

request! {
    /// Consumes inputs into new outputs.
    pub struct TransformRequest {
        /// Inputs.
        pub inputs: Vec<String>,
        /// Outputs.
        pub outputs: Vec<String>,
        /// Where (GLN).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub at: Option<String>,
        /// Give every serialized output its own claim code, as commissioning does: a
        /// random secret returned once in `claim_codes`, only its public key on chain.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pub claim_codes: bool,
    }
}

response! {
    /// See [`TransformRequest`].
    pub struct TransformResponse {
        /// Transaction id.
        pub tx: String,
        /// The block it is in.
        pub height: Option<u64>,
        /// Canonical keys of the outputs.
        pub outputs: Vec<String>,
        /// The outputs' claim codes, when asked for: shown this once, kept nowhere.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub claim_codes: Option<Vec<ClaimCode>>,
    }
}

request! {
    /// Sold to a consumer (retailers).
    pub struct SellRequest {
        /// What.
        pub scans: Vec<String>,
    }
}

request! {
    /// A consumer claims a purchased item with its claim code, signed by the consumer key
    /// kept in the data folder (made on the first claim).
    pub struct ClaimRequest {
        /// The item.
        pub key: String,
        /// The claim code from under the scratch-off (or its QR's text).
        #[serde(default)]
        pub code: String,
        /// Retired: a PIN is refused (`PIN_RETIRED`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub pin: Option<String>,
    }
}

request! {
    /// Reports items stolen.
    pub struct StolenRequest {
        /// What.
        pub scans: Vec<String>,
        /// Details.
        #[serde(default)]
        pub note: String,
    }
}

request! {
    /// Destroys items (their ids are never reused).
    pub struct DecommissionRequest {
        /// What.
        pub scans: Vec<String>,
        /// Why.
        pub reason: String,
    }
}

request! {
    /// Corrects an earlier event of the caller's (append-only).
    pub struct CorrectRequest {
        /// The event's transaction id.
        pub tx: String,
        /// Why.
        pub reason: String,
        /// Replacement fields.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub fields: Vec<Pair>,
    }
}

request! {
    /// Admits a new org with a new local identity, signed by a registrar of the folder.
    pub struct OrgAddRequest {
        /// Display name.
        pub name: String,
        /// GS1 company prefixes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub prefixes: Vec<String>,
        /// Roles (default: every trading role).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub roles: Vec<String>,
        /// Location numbers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub glns: Vec<String>,
    }
}

response! {
    /// See [`OrgAddRequest`].
    pub struct OrgAddResponse {
        /// The new org's key, hex.
        pub org: String,
        /// Its name.
        pub name: String,
        /// Transaction id.
        pub tx: String,
        /// Block.
        pub height: Option<u64>,
    }
}

request! {
    /// Invites an org to join the network (`handoff org invite`): the registrar's node
    /// keeps only the SHA-256 of a one-time ticket and the terms; the invited org joins
    /// with the link (`handoff join LINK`) and its own new key. Only a registrar invites.
    pub struct OrgInviteRequest {
        /// The org's display name.
        pub name: String,
        /// Roles (default: every trading role).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub roles: Vec<String>,
        /// GS1 company prefixes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub prefixes: Vec<String>,
        /// Location numbers.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub glns: Vec<String>,
        /// Hours the invitation stays good (1 to 720; default 72).
        #[serde(default = "default_valid_hours")]
        pub valid_hours: u32,
        /// Addresses of this node that the invited org can dial (multiaddrs; default: the
        /// running node's listen addresses).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub peers: Vec<String>,
    }
}

response! {
    /// See [`OrgInviteRequest`].
    pub struct OrgInviteResponse {
        /// The link to hand to the invited org (`handoff://join?…`): shown once, the node
        /// keeps only its ticket's hash.
        pub link: String,
        /// The link as a QR code (SVG).
        pub qr_svg: String,
        /// When it stops being good (RFC 3339, UTC).
        pub expires: String,
        /// A short name for the invitation (not the ticket).
        pub ticket_id: String,
    }
}

request! {
    /// The invitations this registrar's node made (`handoff org invitations`), newest
    /// first: never a ticket, only a short public id. Only a registrar lists them.
    pub struct OrgInvitationsRequest {}
}

response! {
    /// One invitation a registrar's node made.
    pub struct InvitationView {
        /// Its public id: the first 16 hex digits of the ticket's SHA-256 (never the
        /// ticket).
        pub id: String,
        /// The org's name.
        pub name: String,
        /// Its roles.
        pub roles: Vec<String>,
        /// When it was made (RFC 3339, UTC).
        pub created: String,
        /// When it stops being good (RFC 3339, UTC).
        pub expires: String,
        /// `open`, `used`, `expired` or `revoked`.
        pub status: String,
        /// When it was used or revoked (RFC 3339, UTC).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ended: Option<String>,
        /// The org key it admitted, hex (used ones).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub org: Option<String>,
        /// The admission's block, once known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub height: Option<u64>,
    }
}

response! {
    /// See [`OrgInvitationsRequest`].
    pub struct OrgInvitationsResponse {
        /// Newest first.
        pub invitations: Vec<InvitationView>,
    }
}

request! {
    /// Revokes an open invitation (`handoff org revoke-invitation ID`): a join with its
    /// link is then refused (`TICKET_REVOKED`). Only a registrar revokes.
    pub struct OrgInviteRevokeRequest {
        /// The invitation's public id (from `org_invitations` or `org_invite`).
        pub id: String,
    }
}

response! {
    /// See [`OrgInviteRevokeRequest`].
    pub struct OrgInviteRevokeResponse {
        /// The invitation, now revoked.
        pub invitation: InvitationView,
    }
}

request! {
    /// Authorizes a device key to sign for the caller's org.
    pub struct DeviceAuthorizeRequest {
        /// The device's public key, hex.
        pub key: String,
        /// Label.
        #[serde(default = "default_device_label")]
        pub label: String,
        /// Scopes (commission, handoff, pack, observe, sell, products, report,
        /// transform); none: all.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub scopes: Vec<String>,
    }
}

request! {
    /// Revokes a device key.
    pub struct DeviceRevokeRequest {
        /// The device's public key, hex.
        pub key: String,
        /// Why.
        #[serde(default = "default_revoke_reason")]
        pub reason: String,
    }
}

request! {
    /// Printable labels: QR code (GS1 Digital Link) and human-readable text.
    pub struct LabelRequest {
        /// The codes to print (any accepted scan form).
        pub scans: Vec<String>,
        /// `svg`, `png` (300 dpi) or `pdf`.
        #[serde(default = "default_label_format")]
        pub format: String,
        /// `50x30`, `100x50` (mm, one label) or `a4` (sheet of 3 × 8).
        #[serde(default = "default_label_size")]
        pub size: String,
        /// Product name printed above the code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
        /// Without `title`, print the product's name from the chain.
        #[serde(default, skip_serializing_if = "is_false")]
        pub title_from_chain: bool,
        /// The items' claim codes, one per scan (or none): each printed as a second QR in
        /// a scratch-off box on its item's label.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub claim_codes: Vec<String>,
        /// Digital Link host.
        #[serde(default = "default_base")]
        pub base: String,
    }
}

response! {
    /// See [`LabelRequest`].
    pub struct LabelResponse {
        /// Digital Link URI of the first code.
        pub uri: String,
        /// `application/pdf`, `image/png` or `image/svg+xml`.
        pub mime: String,
        /// The file, base64.
        pub data_base64: String,
        /// Labels on it.
        pub labels: u64,
        /// Bytes of the file.
        pub bytes: u64,
    }
}

// ---------------------------------------------------------------- certifications, documents

response! {
    /// A certification as people read it.
    pub struct CertView {
        /// Id, hex.
        pub id: String,
        /// The issuing auditor's key, hex.
        pub issuer: String,
        /// Its name.
        pub issuer_name: String,
        /// What is certified: `product`, `thing`, `org` or `location`.
        pub subject_kind: String,
        /// Its id (GTIN, canonical key, org key hex, GLN).
        pub subject: String,
        /// The scheme ("EU organic").
        pub scheme: String,
        /// The standard; may be empty.
        pub standard: String,
        /// The certificate number.
        pub number: String,
        /// Valid from, RFC 3339.
        pub valid_from: String,
        /// Valid until (exclusive), RFC 3339.
        pub valid_until: String,
        /// SHA-256 of the certificate document, hex.
        pub document: Option<String>,
        /// `valid`, `not_yet_valid`, `expired`, `suspended` or `revoked`, at the newest
        /// block's time.
        pub status: String,
        /// Why it is suspended, if it is.
        pub suspended: Option<String>,
        /// Why it was revoked, if it was.
        pub revoked: Option<String>,
        /// Block of issue.
        pub issued_height: u64,
        /// Through what it applies when listed for an item (`thing`, `lot`, `product`,
        /// `producer`, `location`); absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub via: Option<String>,
    }
}

request! {
    /// The certifications of an item (with those of its lot, product, producer and the
    /// places it passed), a product, an org or a location (`handoff cert list --for …`);
    /// or those an auditor issued (`--by ORG`; with neither, the caller's own org),
    /// valid ones first, then by expiry.
    pub struct CertListRequest {
        /// A scan, a GTIN, `gln:NUMBER` or `org:NAME|KEY`; empty: see `by`.
        #[serde(rename = "for", default, skip_serializing_if = "String::is_empty")]
        pub for_: String,
        /// The issuing org (name or key); with neither this nor `for`, the caller's org
        /// (a signed-in caller only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub by: Option<String>,
        /// Only those that count now.
        #[serde(default, skip_serializing_if = "is_false")]
        pub valid: bool,
    }
}

response! {
    /// See [`CertListRequest`].
    pub struct CertListResponse {
        /// In issue order, those of the thing itself first.
        pub certifications: Vec<CertView>,
        /// The newest block's time, RFC 3339: what `status` was judged at.
        pub at: String,
    }
}

request! {
    /// An auditor certifies (`handoff cert issue`).
    pub struct CertIssueRequest {
        /// A scan, a GTIN, `gln:NUMBER` or `org:NAME|KEY`.
        #[serde(rename = "for")]
        pub for_: String,
        /// The scheme ("EU organic").
        pub scheme: String,
        /// The standard or programme version.
        #[serde(default)]
        pub standard: String,
        /// The certificate number.
        pub number: String,
        /// First day (YYYY-MM-DD, UTC) or moment (RFC 3339) it is valid.
        pub from: String,
        /// Day (from its start, UTC) or moment it stops being valid.
        pub until: String,
        /// SHA-256 of the certificate document, hex (`--doc FILE` hashes the file).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub document: Option<String>,
    }
}

response! {
    /// See [`CertIssueRequest`].
    pub struct CertIssueResponse {
        /// The certification's id, hex.
        pub id: String,
        /// Transaction id.
        pub tx: String,
        /// Block.
        pub height: Option<u64>,
    }
}

request! {
    /// The issuing auditor suspends, reinstates or revokes a certification
    /// (`handoff cert suspend|reinstate|revoke ID`).
    pub struct CertChangeRequest {
        /// The certification's id (hex).
        pub id: String,
        /// `suspend`, `reinstate` or `revoke`.
        pub change: String,
        /// Why (required to suspend or revoke).
        #[serde(default)]
        pub reason: String,
    }
}

request! {
    /// Registers a document by its SHA-256 (`handoff doc notarize FILE`: the file is
    /// hashed where it is and never sent).
    pub struct DocNotarizeRequest {
        /// SHA-256 of the file, hex.
        pub hash: String,
        /// `po`, `invoice`, `despatch`, `bill_of_lading`, `lab_report`, `photo` or `other`.
        #[serde(rename = "type")]
        pub kind: String,
        /// A short title.
        #[serde(default)]
        pub title: String,
        /// Items, lots (scans) and handoffs (ids) it concerns.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub links: Vec<String>,
    }
}

response! {
    /// See [`DocNotarizeRequest`].
    pub struct DocNotarizeResponse {
        /// The document's hash, hex.
        pub hash: String,
        /// Transaction id.
        pub tx: String,
        /// Block.
        pub height: Option<u64>,
    }
}

response! {
    /// One org's registration of a document.
    pub struct DocRegistrationView {
        /// The org's key, hex.
        pub by: String,
        /// Its name.
        pub by_name: String,
        /// Block.
        pub height: u64,
        /// Block time, RFC 3339.
        pub time: String,
        /// Document type.
        #[serde(rename = "type")]
        pub kind: String,
        /// Title.
        pub title: String,
        /// What it is linked to: canonical keys and `handoff:ID`.
        pub links: Vec<String>,
        /// Transaction id.
        pub tx: String,
    }
}

request! {
    /// Was this document registered? (`handoff doc verify FILE` sends the file's hash).
    pub struct DocVerifyRequest {
        /// SHA-256 of the file, hex.
        pub hash: String,
    }
}

response! {
    /// See [`DocVerifyRequest`]. Not registered is an answer (`registered: false`), with
    /// the proof of absence.
    pub struct DocVerifyResponse {
        /// Whether any org registered exactly these bytes.
        pub registered: bool,
        /// The hash asked about, hex.
        pub hash: String,
        /// The first registration: who.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub by: Option<String>,
        /// Its name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub by_name: Option<String>,
        /// Block of the first registration.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub height: Option<u64>,
        /// Its time, RFC 3339.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub time: Option<String>,
        /// Its type.
        #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
        pub kind: Option<String>,
        /// Its links.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub links: Vec<String>,
        /// Every registration, first first.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub registrations: Vec<DocRegistrationView>,
        /// The record (or its absence) proven against the newest certified header.
        pub proof: ProofView,
    }
}

request! {
    /// Approves a new validator set with the node's validator key (`handoff validators
    /// approve`): what the node signs, not a transaction. Only the node's owner may ask
    /// (a local user, the node's own token), never a token made for one identity.
    pub struct ValidatorsApproveRequest {
        /// The new epoch: the current one plus one.
        pub epoch: u64,
        /// The new set's keys (hex), in the chain's order.
        pub keys: Vec<String>,
    }
}

response! {
    /// See [`ValidatorsApproveRequest`]: `VALIDATOR:SIGNATURE` as its parts.
    pub struct ApprovalResponse {
        /// The approving validator's key, hex.
        pub validator: String,
        /// Its signature over the chain id, epoch and set, hex.
        pub signature: String,
    }
}

request! {
    /// Submits a validator-set change carrying the approvals (`handoff validators set`).
    /// Signed by the node's validator key when the caller names no identity and the node
    /// is a current validator (the owner only), else by the caller's identity.
    pub struct ValidatorsSetRequest {
        /// The new epoch: the current one plus one.
        pub epoch: u64,
        /// The new set's keys (hex), in the same order as approved.
        pub keys: Vec<String>,
        /// Approvals `VALIDATOR:SIGNATURE` (hex), as `validators approve` prints them.
        #[serde(default)]
        pub approvals: Vec<String>,
    }
}

response! {
    /// See [`ValidatorsSetRequest`].
    pub struct ValidatorsSetResponse {
        /// Transaction id.
        pub tx: String,
        /// The block it is in.
        pub height: Option<u64>,
        /// The new set's epoch.
        pub epoch: u64,
    }
}

// ---------------------------------------------------------------- EPCIS 2.0

fn default_epcis_format() -> String {
    "jsonld".into()
}

request! {
    /// Validates an EPCIS 2.0 document (JSON-LD or XML, told from its content) and maps
    /// each event to the transaction the caller's org would sign, writing nothing
    /// (`handoff epcis check FILE`).
    pub struct EpcisCheckRequest {
        /// The document's text.
        pub document: String,
    }
}

response! {
    /// One event of a checked document: what it becomes on the ledger.
    pub struct EpcisEventView {
        /// Its place in the document, from 0.
        pub index: u64,
        /// The transaction it becomes (`commission`, `handoff_proposed`, `pack`…).
        #[serde(rename = "type")]
        pub kind: String,
        /// Its GS1 event hash id (`ni:///sha-256;…?ver=CBV2.0`).
        pub hash: String,
        /// The EPCIS event type (`ObjectEvent`…).
        pub event_type: String,
        /// Whether an event with this hash id is already on the ledger.
        pub already: bool,
    }
}

response! {
    /// See [`EpcisCheckRequest`].
    pub struct EpcisCheckResponse {
        /// Every event, in document order.
        pub events: Vec<EpcisEventView>,
    }
}

request! {
    /// Imports an EPCIS 2.0 document: the whole document is read and every event mapped
    /// first (a malformed document or an event that cannot be mapped: nothing is
    /// submitted); then each event is committed as a transaction signed by the caller's
    /// org, in order (`handoff epcis import FILE`).
    pub struct EpcisImportRequest {
        /// The document's text.
        pub document: String,
    }
}

response! {
    /// What became of one imported event.
    pub struct EpcisImportView {
        /// Its place in the document, from 0.
        pub index: u64,
        /// Its GS1 event hash id.
        pub hash: String,
        /// `committed`, `already` (an event with this hash id is on the ledger: nothing
        /// done), `rejected` (a ledger rule refused it) or, on a light node, `queued`
        /// (signed and in its outbox, sent when a peer is reachable).
        pub status: String,
        /// The rule's code, when rejected.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub code: Option<String>,
        /// The rule's message, when rejected.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message: Option<String>,
        /// The transaction it is (committed or already), hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tx: Option<String>,
        /// Its block.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub height: Option<u64>,
    }
}

response! {
    /// See [`EpcisImportRequest`]. Any `rejected` event makes the command exit 3; the
    /// others stand.
    pub struct EpcisImportResponse {
        /// Every event, in document order.
        pub events: Vec<EpcisImportView>,
        /// On a light node: the transactions signed and queued in its outbox, in order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queued: Option<Vec<QueuedTx>>,
        /// On a light node: its index (as of which "already" was decided).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub light: Option<IndexFreshness>,
    }
}

request! {
    /// The ledger's events as an EPCIS 2.0 document (`handoff epcis export`): one item's
    /// history (`scan`) or every supply-chain event of the chain (`all`).
    pub struct EpcisExportRequest {
        /// An item, lot or container (any scan form).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub scan: Option<String>,
        /// Every event of the chain.
        #[serde(default, skip_serializing_if = "is_false")]
        pub all: bool,
        /// `jsonld` or `xml`.
        #[serde(default = "default_epcis_format")]
        pub format: String,
    }
}

response! {
    /// See [`EpcisExportRequest`].
    pub struct EpcisExportResponse {
        /// `jsonld` or `xml`.
        pub format: String,
        /// Events in it.
        pub events: u64,
        /// The document's text.
        pub document: String,
        /// A light node answering from its own verified index: only its org's own events
        /// (signed by its keys), as of the index's height.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub light: Option<IndexFreshness>,
    }
}

request! {
    /// The EPCIS 2.0 simple event query, as the REST bindings carry it (`GET
    /// /epcis/events?…`): the ledger's supply-chain events that match, one page of them,
    /// as an `EPCISQueryDocument`. Public, like an export.
    pub struct EpcisQueryRequest {
        /// The query string as the bindings write it, without `?`
        /// (`eventType=ObjectEvent&EQ_bizStep=shipping%7Creceiving&perPage=2`).
        #[serde(default)]
        pub query: String,
        /// `jsonld` or `xml`.
        #[serde(default = "default_epcis_format")]
        pub format: String,
    }
}

response! {
    /// Where the inclusion proof of one answered event's transaction is.
    pub struct EpcisProofLink {
        /// The event's `eventID` as the document gives it.
        pub event_id: String,
        /// Its CBV 2.0 hash id.
        pub hash: String,
        /// The transaction it is, hex.
        pub tx: String,
        /// Its block.
        pub height: u64,
        /// Its place in the block.
        pub index: u64,
        /// The proof's path on this node (`/v1/transactions/{tx}/proof?height={height}`).
        pub proof: String,
    }
}

response! {
    /// See [`EpcisQueryRequest`].
    pub struct EpcisQueryResponse {
        /// `jsonld` or `xml`.
        pub format: String,
        /// Events on this page.
        pub events: u64,
        /// The `EPCISQueryDocument`'s text.
        pub document: String,
        /// The token of the next page (none: this is the last).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next_page_token: Option<String>,
        /// Every event's proof link, in the document's order.
        pub proofs: Vec<EpcisProofLink>,
        /// A light node answering from its own verified index: only its org's own events
        /// (signed by its keys), as of the index's height.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub light: Option<IndexFreshness>,
    }
}

request! {
    /// The inclusion proof of a transaction: its block's certified header, the header's
    /// commit certificate, the transaction with its outcome and the Merkle path from them
    /// to the header's `tx_root`, so that a client checks with the chain's validator set
    /// that the transaction is on the ledger (`handoff_core::block::tx_path_root`).
    /// Public.
    pub struct TxProofRequest {
        /// The transaction id, hex.
        pub id: String,
        /// Its block, when the caller knows it (a query answer's proof link says it);
        /// without it the node finds it through what the transaction names.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub height: Option<u64>,
    }
}

response! {
    /// One step of a transaction's Merkle path (`handoff_core::block::TxPathStep`).
    pub struct TxPathStepView {
        /// The sibling is the left child.
        pub left: bool,
        /// The sibling's hash, hex.
        pub sibling: String,
    }
}

response! {
    /// See [`TxProofRequest`]. Encoded fields are the canonical (borsh) encodings, hex.
    pub struct TxProofResponse {
        /// The transaction id, hex.
        pub tx: String,
        /// Its block's height.
        pub height: u64,
        /// Its place in the block.
        pub index: u64,
        /// Its type (`commission`, `handoff_proposed`…).
        #[serde(rename = "type")]
        pub kind: String,
        /// Whether the block applied it (its outcome has no rejection code).
        pub applied: bool,
        /// The signed transaction (`SignedTx`), hex.
        pub transaction: String,
        /// Its outcome in the block (`Outcome`), hex.
        pub outcome: String,
        /// The Merkle path from the transaction's leaf to the header's `tx_root`.
        pub path: Vec<TxPathStepView>,
        /// The block's header (`BlockHeader`), hex.
        pub header: String,
        /// The header's commit certificate (`Certificate`), hex.
        pub certificate: String,
        /// The header's hash, hex.
        pub header_hash: String,
        /// The node checked the certificate against the validator set of that height.
        pub certified: bool,
        /// The node checked the path against the header's `tx_root`.
        pub verified: bool,
    }
}

// ---------------------------------------------------------------- finance

response! {
    /// A party of a finance asset.
    pub struct FinancePartyView {
        /// `seller`, `buyer`, `holder`, `lender`, `warehouse` or `owner`.
        pub role: String,
        /// Org key, hex.
        pub org: String,
        /// Org name.
        pub name: String,
    }
}

response! {
    /// One invoiced handoff line. The amount is there only for a party the terms are
    /// sealed to.
    pub struct FinanceLineView {
        /// The accepted handoff, hex.
        pub handoff: String,
        /// The item, container or lot (canonical).
        pub item: String,
        /// Lot quantity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub quantity: Option<u64>,
        /// Line amount, a decimal in the currency.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub amount: Option<String>,
    }
}

response! {
    /// A private term (`label`: `invoice`, `reference`, `reason`, `advance_percent`…).
    pub struct FinanceTermView {
        /// What it is.
        pub label: String,
        /// Its value.
        pub value: String,
    }
}

response! {
    /// The terms of an asset as this node could open them (amounts as decimals in the
    /// asset's currency). Only the asset's parties and its lender have them.
    pub struct FinanceTermsView {
        /// The invoice number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub invoice: Option<String>,
        /// Face value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub face: Option<String>,
        /// Outstanding balance.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub outstanding: Option<String>,
        /// Outstanding balance in minor units (for sums).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub outstanding_minor: Option<u64>,
        /// Paid so far.
        pub paid: String,
        /// Credited by dilutions so far.
        pub diluted: String,
        /// Recovered after default so far.
        pub recovered: String,
        /// The lender's advance.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub advance: Option<String>,
        /// The lender's fee.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub fee: Option<String>,
        /// Other private terms, in the order they were sealed.
        pub notes: Vec<FinanceTermView>,
        /// Whether what was opened matches the chain's commitments (face and outstanding
        /// balance). `false`: a party sealed terms that do not match; do not rely on them.
        pub consistent: bool,
        /// What did not open or match, in words.
        pub problems: Vec<String>,
    }
}

response! {
    /// A receivable or warehouse receipt as the caller sees it.
    pub struct FinanceAssetView {
        /// Id, hex.
        pub id: String,
        /// `receivable` or `receipt`.
        pub kind: String,
        /// Status (`issued`, `confirmed`, `funded`, `pledged`…).
        pub status: String,
        /// The caller's roles in it (empty: not a party).
        pub roles: Vec<String>,
        /// Its parties.
        pub parties: Vec<FinancePartyView>,
        /// ISO 4217 currency (receivables).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub currency: Option<String>,
        /// Due date, Unix ms (receivables).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub due_ms: Option<i64>,
        /// Invoiced handoff lines (receivables).
        pub lines: Vec<FinanceLineView>,
        /// Goods on the receipt (receipts): items and containers.
        pub goods: Vec<String>,
        /// Lot quantities on the receipt (receipts).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub lots: Vec<FinanceLotView>,
        /// Goods released so far (receipts), lots by their key.
        pub released: Vec<String>,
        /// The receivable it was split from, hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub parent: Option<String>,
        /// Height issued.
        pub issued_height: u64,
        /// Height of its last step.
        pub updated_height: u64,
        /// The terms, when sealed to the caller.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub terms: Option<FinanceTermsView>,
        /// The steps the caller may take now (`confirm`, `request`, `offer`, `repay`…).
        pub next: Vec<String>,
    }
}

response! {
    /// One committed step of an asset.
    pub struct FinanceStepView {
        /// The transaction, hex.
        pub tx: String,
        /// Its block.
        pub height: u64,
        /// The step (`receivable_issued`, `finance_offered`, `receipt_pledged`…).
        pub step: String,
        /// The org that took it, by name.
        pub by: String,
        /// Block time, Unix ms.
        pub time_ms: i64,
    }
}

request! {
    /// The finance assets the caller's org is a party of (`handoff finance list`).
    pub struct FinanceListRequest {
        /// Only where the caller has this role (`seller`, `buyer`, `holder`, `lender`,
        /// `warehouse`, `owner`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub role: Option<String>,
        /// Only with this status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
    }
}

response! {
    /// See [`FinanceListRequest`].
    pub struct FinanceListResponse {
        /// The caller's org, hex.
        pub org: String,
        /// Newest first.
        pub assets: Vec<FinanceAssetView>,
    }
}

request! {
    /// One asset with its steps (`handoff finance show ID`).
    pub struct FinanceShowRequest {
        /// Asset id, hex.
        pub id: String,
    }
}

response! {
    /// See [`FinanceShowRequest`].
    pub struct FinanceShowResponse {
        /// The asset.
        pub asset: FinanceAssetView,
        /// Its steps, oldest first.
        pub steps: Vec<FinanceStepView>,
    }
}

response! {
    /// Something about an asset its lender (or owner) should look at now.
    pub struct FinanceAlertView {
        /// The asset, hex.
        pub asset: String,
        /// `overdue`, `defaulted`, `recalled`, `reported_stolen`, `decommissioned`,
        /// `moved` (pledged goods out of the warehouse's custody), `move_refused` (an
        /// attempt to move pledged goods that this node refused), `org_suspended` (a party
        /// suspended), `exception` (invoiced goods reported missing or damaged at
        /// acceptance), `terms_mismatch` (sealed terms that do not match the chain),
        /// `contents_unchecked` (a container with more inside than the node reads for
        /// alerts). A container's recall or theft alert may come from what is inside it.
        pub kind: String,
        /// What it concerns: an item, lot or container (canonical), or an org name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subject: Option<String>,
        /// What happened, in words.
        pub message: String,
        /// The block that made it so, when one did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub height: Option<u64>,
        /// When, Unix ms (block time, or the node's time for a refused attempt).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub time_ms: Option<i64>,
    }
}

response! {
    /// A trade document behind a handoff line: a reference the handoff carries (a PO or
    /// despatch advice number) and/or a document notarized on the chain for it.
    pub struct FinanceDocView {
        /// `po`, `invoice`, `despatch`, `bill_of_lading`, `lab_report`, `photo`, `other`.
        pub kind: String,
        /// The document's number as the handoff names it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub number: Option<String>,
        /// SHA-256 of the notarized file, hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sha256: Option<String>,
        /// Title it was notarized with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
        /// Who notarized it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub by: Option<String>,
    }
}

response! {
    /// One invoiced line matched against the chain: the handoff that delivered it, its
    /// acceptance and exceptions, and its documents.
    pub struct FinanceEvidenceLineView {
        /// Line number on the invoice, from 1.
        pub line: u32,
        /// The handoff, hex.
        pub handoff: String,
        /// The item, container or lot (canonical).
        pub item: String,
        /// Invoiced lot quantity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub quantity: Option<u64>,
        /// Line amount, when the terms are sealed to the caller.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub amount: Option<String>,
        /// Sender, by name.
        pub from: String,
        /// Recipient, by name.
        pub to: String,
        /// The handoff's status (`accepted`…).
        pub status: String,
        /// When it was proposed (device time), Unix ms.
        pub proposed_ms: i64,
        /// The block that accepted it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub accepted_height: Option<u64>,
        /// That block's time, Unix ms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub accepted_ms: Option<i64>,
        /// Ship-from GLN.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ship_from: Option<String>,
        /// Ship-to GLN.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ship_to: Option<String>,
        /// `missing` or `damaged` when the recipient reported it so at acceptance.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exception: Option<String>,
        /// The documents of the handoff.
        pub documents: Vec<FinanceDocView>,
        /// Whether the line is fully backed: accepted, no exception, and a purchase order
        /// behind it.
        pub matched: bool,
        /// What does not match, in words.
        pub problems: Vec<String>,
    }
}

response! {
    /// One good on a warehouse receipt and where it stands now.
    pub struct FinanceGoodView {
        /// The item, container or lot (canonical).
        pub item: String,
        /// Who holds it now, by name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub custodian: Option<String>,
        /// For a lot: the quantity on the receipt.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub quantity: Option<u64>,
        /// For a lot: how much of it the warehouse holds for the owner now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub held: Option<u64>,
        /// Whether the lender has released it.
        pub released: bool,
        /// What the chain says of it now: `recalled`, `reported_stolen`, `decommissioned`,
        /// `in_transit`, `moved`.
        pub flags: Vec<String>,
    }
}

request! {
    /// The trade evidence of one asset, matched line by line, with its alerts (`handoff
    /// finance evidence ID`).
    pub struct FinanceEvidenceRequest {
        /// Asset id, hex.
        pub id: String,
    }
}

response! {
    /// See [`FinanceEvidenceRequest`].
    pub struct FinanceEvidenceResponse {
        /// The chain height it was read at.
        pub height: u64,
        /// The node's time of the answer, Unix ms.
        pub as_of_ms: i64,
        /// The asset.
        pub asset: FinanceAssetView,
        /// Its steps, oldest first.
        pub steps: Vec<FinanceStepView>,
        /// Receivables: each invoiced line against the chain.
        pub lines: Vec<FinanceEvidenceLineView>,
        /// Receipts: each good and where it stands.
        pub goods: Vec<FinanceGoodView>,
        /// Whether every line (or good) is backed and the terms match the chain.
        pub matched: bool,
        /// What to look at now.
        pub alerts: Vec<FinanceAlertView>,
        /// A light node's answer: how fresh its index is (the asset and its steps are as
        /// of `light.height`); absent on a full node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub light: Option<IndexFreshness>,
        /// A light node's answer: the certified header the handoffs, documents, goods,
        /// orgs and products were read at with proofs from a peer; absent offline, when
        /// they come from its index as of `light.height` (and on a full node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub proven_at: Option<u64>,
    }
}

response! {
    /// An amount in one currency.
    pub struct FinanceAmountView {
        /// ISO 4217 currency.
        pub currency: String,
        /// A decimal in the currency.
        pub amount: String,
        /// In minor units.
        pub minor: u64,
    }
}

response! {
    /// How much is outstanding from or through one counterparty.
    pub struct FinanceExposureView {
        /// Org key, hex.
        pub org: String,
        /// Org name.
        pub name: String,
        /// `buyer` (it owes the money) or `seller` (it sold the claim or goods).
        pub role: String,
        /// Outstanding, per currency.
        pub outstanding: Vec<FinanceAmountView>,
        /// Open assets.
        pub assets: u32,
    }
}

response! {
    /// Outstanding money of one age: `current` (not yet due), `1-30`, `31-60`, `61-90`
    /// or `90+` days past due.
    pub struct FinanceBucketView {
        /// The bucket.
        pub bucket: String,
        /// Outstanding, per currency.
        pub outstanding: Vec<FinanceAmountView>,
        /// Receivables in it.
        pub assets: u32,
    }
}

response! {
    /// A counterparty's record, computed from the whole chain.
    pub struct FinanceCounterpartyView {
        /// Org key, hex.
        pub org: String,
        /// Org name.
        pub name: String,
        /// Handoffs it sent that were decided (accepted, rejected, or cancelled).
        pub deliveries: u64,
        /// Of those, accepted.
        pub accepted: u64,
        /// Accepted before the proposal's deadline (every accepted handoff: a lapsed one
        /// cannot be accepted).
        pub on_time: u64,
        /// Closed after they lapsed, not accepted.
        pub lapsed: u64,
        /// Accepted with goods reported missing or damaged.
        pub exceptions: u64,
        /// Rejected by the recipient before their deadline.
        pub disputes: u64,
        /// On-time share of deliveries that were accepted or lapsed, basis points.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub on_time_bp: Option<u32>,
        /// Exception share of accepted deliveries, basis points.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exception_bp: Option<u32>,
        /// Dispute share of deliveries, basis points.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dispute_bp: Option<u32>,
        /// Credited by dilution as a share of face value, over the receivables it sold
        /// whose terms the caller reads, basis points.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dilution_bp: Option<u32>,
        /// Its unpaid receivables as buyer, by age.
        pub ageing: Vec<FinanceBucketView>,
        /// Which deliveries the counts cover: absent, every handoff it sent (a full
        /// node's index); `indexed` on a light node, the handoffs it sent that the light
        /// node's verified index holds (to the caller's org, and those behind the
        /// caller's finance assets).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub deliveries_scope: Option<String>,
    }
}

response! {
    /// How many assets had a status.
    pub struct FinanceStatusCountView {
        /// The status.
        pub status: String,
        /// Assets.
        pub count: u32,
    }
}

response! {
    /// The caller's assets by status at the end of one day (UTC).
    pub struct FinanceStatusDayView {
        /// `YYYY-MM-DD`.
        pub day: String,
        /// Assets per status that day (statuses with none left out).
        pub counts: Vec<FinanceStatusCountView>,
    }
}

response! {
    /// One asset of a portfolio.
    pub struct FinancePortfolioRowView {
        /// Id, hex.
        pub id: String,
        /// `receivable` or `receipt`.
        pub kind: String,
        /// Status.
        pub status: String,
        /// The caller's roles in it.
        pub roles: Vec<String>,
        /// Receivable: the seller; receipt: the warehouse.
        pub seller: String,
        /// Receivable: the buyer; receipt: the owner.
        pub buyer: String,
        /// The lender, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lender: Option<String>,
        /// Invoice number, when sealed to the caller.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub invoice: Option<String>,
        /// Face value, when sealed to the caller.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub face: Option<FinanceAmountView>,
        /// Outstanding, when sealed to the caller.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub outstanding: Option<FinanceAmountView>,
        /// Due date, Unix ms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub due_ms: Option<i64>,
        /// Whole days past due (open receivables past their due date).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub days_past_due: Option<i64>,
        /// Goods on the receipt, and how many are released.
        pub goods: u32,
        /// Released goods.
        pub released: u32,
        /// Its alerts now.
        pub alerts: u32,
        /// Height of its last step.
        pub updated_height: u64,
    }
}

request! {
    /// The caller's finance portfolio and a lender's analytics, computed by the node from
    /// the chain (`handoff finance portfolio`).
    pub struct FinancePortfolioRequest {
        /// Only assets where the caller has this role (`lender`, `holder`…).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub role: Option<String>,
    }
}

response! {
    /// See [`FinancePortfolioRequest`].
    pub struct FinancePortfolioResponse {
        /// The caller's org, hex.
        pub org: String,
        /// The chain height it was read at.
        pub height: u64,
        /// The node's time of the answer, Unix ms (ageing is counted from it).
        pub as_of_ms: i64,
        /// Assets by status now.
        pub by_status: Vec<FinanceStatusCountView>,
        /// Outstanding where the caller is the lender (or the holder, when it has no
        /// lender), per counterparty, largest first.
        pub exposure: Vec<FinanceExposureView>,
        /// Outstanding of open receivables by age.
        pub ageing: Vec<FinanceBucketView>,
        /// The sellers and buyers of the portfolio and their records.
        pub counterparties: Vec<FinanceCounterpartyView>,
        /// Assets by status at the end of each day with a step, oldest first.
        pub timeline: Vec<FinanceStatusDayView>,
        /// What to look at now, newest first.
        pub alerts: Vec<FinanceAlertView>,
        /// Every asset, newest step first.
        pub rows: Vec<FinancePortfolioRowView>,
        /// A light node's answer: how fresh its index is (the assets and their steps are
        /// as of `light.height`); absent on a full node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub light: Option<IndexFreshness>,
        /// A light node's answer: the certified header the goods, orgs and products
        /// behind the alerts were read at with proofs from a peer; absent offline, when
        /// they come from its index as of `light.height` (and on a full node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub proven_at: Option<u64>,
    }
}

request! {
    /// A file for the lender's records (`handoff finance export`): an asset's evidence
    /// pack (`json` or a printable `pdf`) or the portfolio (`csv` or `json`).
    pub struct FinanceExportRequest {
        /// The asset, hex; absent: the whole portfolio.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// `json`, `pdf` (evidence pack) or `csv` (portfolio).
        pub format: String,
    }
}

response! {
    /// See [`FinanceExportRequest`].
    pub struct FinanceExportResponse {
        /// A file name for it.
        pub name: String,
        /// Media type.
        pub mime: String,
        /// The file, base64.
        pub data_base64: String,
        /// SHA-256 of the file, hex.
        pub sha256: String,
    }
}

request! {
    /// Publishes the caller's seal key, so finance terms can be sealed to it (`handoff
    /// finance enable`). Every finance action does it first when needed.
    pub struct FinanceEnableRequest {}
}

response! {
    /// See [`FinanceEnableRequest`].
    pub struct FinanceEnableResponse {
        /// The org, hex.
        pub org: String,
        /// Its X25519 seal key, hex.
        pub seal_key: String,
        /// Whether it was published now (false: it was already; light node: queued
        /// now, published once its outbox sends it).
        pub published: bool,
        /// The transactions a light node signed and queued (absent on a full node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queued: Option<Vec<QueuedTx>>,
    }
}

response! {
    /// What a finance step did.
    pub struct FinanceActionResponse {
        /// The asset, hex.
        pub id: String,
        /// Its status after the step (`queued` on a light node: the step is signed and
        /// waits in its outbox; the asset's status changes once it is committed).
        pub status: String,
        /// The transaction, hex (light node: the step's, the last queued).
        pub tx: String,
        /// Its block (light node: none yet).
        pub height: Option<u64>,
        /// New assets the step made (a split's parts), hex.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub created: Vec<String>,
        /// The transactions a light node signed and queued (its seal key's, when not yet
        /// published, then the step's); absent on a full node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub queued: Option<Vec<QueuedTx>>,
    }
}

request! {
    /// The seller invoices the buyer for accepted handoffs (`handoff finance receivable
    /// issue`).
    pub struct ReceivableIssueRequest {
        /// The buyer: org name or key.
        pub buyer: String,
        /// The invoice number (sealed: only seller, buyer and later the lender read it).
        pub invoice: String,
        /// ISO 4217 currency.
        pub currency: String,
        /// `HANDOFF=AMOUNT` (every delivered line of the handoff, the amount spread over
        /// them by quantity) or `HANDOFF/SCAN=AMOUNT` (one line); amounts are decimals in
        /// the currency.
        pub lines: Vec<String>,
        /// Due date, `YYYY-MM-DD` (overdue after the end of that day, UTC).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub due: Option<String>,
    }
}

macro_rules! id_step {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        request! {
            $(#[$m])*
            pub struct $name {
                /// The asset, hex.
                pub id: String,
            }
        }
    )*};
}

id_step! {
    /// The buyer confirms an invoice: the payment promise.
    ReceivableConfirmRequest;
    /// The holder accepts the lender's offer.
    ReceivableAcceptOfferRequest;
    /// The lender funds an accepted offer.
    ReceivableFundRequest;
    /// Any org marks an open receivable past its due date overdue.
    ReceivableOverdueRequest;
    /// The creditor declares an overdue receivable in default.
    ReceivableDefaultRequest;
    /// The creditor writes off what is left of a defaulted receivable.
    ReceivableWriteOffRequest;
    /// The holder or lender closes a receivable whose balance is zero.
    ReceivableSettleRequest;
    /// The lender accepts a pledged receipt: the goods are locked.
    ReceiptAcceptPledgeRequest;
    /// The lender takes ownership of the goods still pledged.
    ReceiptEnforceRequest;
}

request! {
    /// The holder asks a lender to finance a confirmed receivable; the invoice and its
    /// amounts are sealed to that lender.
    pub struct ReceivableRequestFinanceRequest {
        /// The receivable, hex.
        pub id: String,
        /// The lender: org name or key.
        pub lender: String,
    }
}

request! {
    /// The lender offers an advance (a percentage of the outstanding balance) and a fee.
    pub struct ReceivableOfferRequest {
        /// The receivable, hex.
        pub id: String,
        /// Advance, percent of the outstanding balance (`80`, `92.5`).
        pub advance: String,
        /// Fee, a decimal in the currency.
        pub fee: String,
    }
}

request! {
    /// The buyer pays part or all of the outstanding balance.
    pub struct ReceivableRepayRequest {
        /// The receivable, hex.
        pub id: String,
        /// Amount, a decimal in the currency.
        pub amount: String,
        /// The payment's reference (used once per buyer).
        pub reference: String,
    }
}

request! {
    /// The holder splits part of a confirmed, unfinanced claim to another org.
    pub struct ReceivableSplitRequest {
        /// The receivable, hex.
        pub id: String,
        /// The new part's holder: org name or key.
        pub to: String,
        /// The part, a decimal in the currency.
        pub amount: String,
    }
}

request! {
    /// The holder transfers a confirmed, unfinanced claim whole.
    pub struct ReceivableTransferRequest {
        /// The receivable, hex.
        pub id: String,
        /// The new holder: org name or key.
        pub to: String,
    }
}

request! {
    /// The holder records a return or credit note.
    pub struct ReceivableDiluteRequest {
        /// The receivable, hex.
        pub id: String,
        /// The credit, a decimal in the currency.
        pub amount: String,
        /// Why (sealed).
        pub reason: String,
    }
}

request! {
    /// The creditor records an amount recovered on a defaulted receivable.
    pub struct ReceivableRecoverRequest {
        /// The receivable, hex.
        pub id: String,
        /// The amount, a decimal in the currency.
        pub amount: String,
        /// Its reference (sealed).
        pub reference: String,
    }
}

request! {
    /// The warehouse issues a receipt for goods in its custody (`handoff finance receipt
    /// issue`).
    pub struct ReceiptIssueRequest {
        /// The goods' owner: org name or key.
        pub owner: String,
        /// Scans of the items, containers and lots; a lot's scan carries its quantity
        /// (AI 30, e.g. `(01)…(10)L7(30)40`).
        pub goods: Vec<String>,
    }
}

response! {
    /// A lot quantity on a warehouse receipt.
    pub struct FinanceLotView {
        /// The lot (canonical).
        pub lot: String,
        /// How much of it.
        pub quantity: u64,
    }
}

request! {
    /// The owner offers a receipt as collateral to a lender.
    pub struct ReceiptPledgeRequest {
        /// The receipt, hex.
        pub id: String,
        /// The lender: org name or key.
        pub lender: String,
    }
}

request! {
    /// The lender releases goods (none listed: all still pledged).
    pub struct ReceiptReleaseRequest {
        /// The receipt, hex.
        pub id: String,
        /// Scans of the goods released.
        #[serde(default)]
        pub goods: Vec<String>,
    }
}

// ---------------------------------------------------------------- phones

fn default_phone_label() -> String {
    "phone".into()
}

request! {
    /// A one-time pairing ticket for a phone of the caller's org: the phone that opens
    /// its link (the desktop shows it as a QR code) generates a device key in its browser
    /// and redeems the ticket with `pair_redeem`, and the node authorizes that key for the
    /// org (`AuthorizeDevice`). A ticket is good once, for a few minutes.
    pub struct PairTicketRequest {
        /// The address phones reach this node's HTTP server at (`http://HOST:PORT`); the
        /// ticket's link and QR code point there. None: the answer has no link.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub base: Option<String>,
        /// The label the phone's device key gets on chain.
        #[serde(default = "default_phone_label")]
        pub label: String,
    }
}

response! {
    /// See [`PairTicketRequest`].
    pub struct PairTicketResponse {
        /// The ticket (shown once; the node keeps only its SHA-256).
        pub ticket: String,
        /// The org the phone will sign for, key hex.
        pub org: String,
        /// Its identity name.
        pub name: String,
        /// The device label.
        pub label: String,
        /// When the ticket expires, Unix ms.
        pub expires_ms: i64,
        /// The link a phone opens: `BASE/#pair=TICKET` (absent without a base).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        /// The link as a QR code, SVG (absent without a base).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub qr_svg: Option<String>,
    }
}

request! {
    /// A phone redeems a pairing ticket for the device key it generated. Needs no bearer
    /// token: the ticket is the authority, and the signature shows the phone holds the key.
    pub struct PairRedeemRequest {
        /// The ticket from the pairing link.
        pub ticket: String,
        /// The device's ed25519 public key, hex.
        pub device: String,
        /// The device key's signature, hex, over `handoff pairing v1 ‖ chain id ‖ ticket`
        /// (the chain id as 32 bytes, the ticket as its text).
        pub signature: String,
    }
}

response! {
    /// An org the phone may name as a recipient (its name and key).
    pub struct PairOrg {
        /// Name.
        pub name: String,
        /// Key, hex.
        pub key: String,
    }
}

response! {
    /// See [`PairRedeemRequest`]: the device key is authorized for the org.
    pub struct PairRedeemResponse {
        /// The org key, hex.
        pub org: String,
        /// The org's name.
        pub name: String,
        /// The device key, hex.
        pub device: String,
        /// Its label on chain.
        pub label: String,
        /// The chain the device signs for, hex.
        pub chain_id: String,
        /// The `AuthorizeDevice` transaction, hex.
        pub tx: String,
        /// Its block.
        pub height: Option<u64>,
        /// The device's next nonce.
        pub next_nonce: u64,
        /// The chain's orgs, so the phone can name a recipient while offline.
        pub orgs: Vec<PairOrg>,
    }
}

request! {
    /// Submits a transaction signed elsewhere (a paired phone's device key): the wire
    /// encoding of the signed transaction in hex. Needs no bearer token; the node checks
    /// the signature and the nonce as for any transaction and commits it, or refuses it
    /// with the ledger's code.
    pub struct TxSubmitRequest {
        /// The signed transaction (`u32 LE body length ‖ body ‖ signature`), hex.
        pub signed_tx: String,
    }
}

response! {
    /// See [`TxSubmitRequest`].
    pub struct TxSubmitResponse {
        /// Transaction id, hex.
        pub tx: String,
        /// The block it is in.
        pub height: u64,
        /// Its signer, hex.
        pub signer: String,
        /// Its nonce.
        pub nonce: u64,
        /// It was in a block already (a resubmission answers the first commit).
        #[serde(default, skip_serializing_if = "is_false")]
        pub already: bool,
    }
}

request! {
    /// A signer's standing and next nonce (what its next transaction must carry).
    pub struct SignerNonceRequest {
        /// The signer's public key, hex.
        pub key: String,
    }
}

response! {
    /// See [`SignerNonceRequest`].
    pub struct SignerNonceResponse {
        /// The key, hex.
        pub key: String,
        /// What its next transaction must carry.
        pub next_nonce: u64,
        /// `org`, `device`, `revoked_device` or `unknown` (a consumer key, or a key the
        /// chain has never seen).
        pub standing: String,
        /// The org a device key signs for, hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub org: Option<String>,
        /// A device key's label.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub label: Option<String>,
    }
}
