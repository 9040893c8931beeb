//! Events: what the history of an item, container or lot shows. Each is appended to the
//! record's hash-chained history, so the history a node serves is provable.

use crate::gs1::Gs1Key;
use crate::tx::{Attr, Transfer};
use crate::types::{HandoffId, PublicKey, TxId};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// One entry of a history.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Event {
    /// snake_case type: `commission`, `handoff_proposed`, `handoff_accepted`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The transaction.
    pub tx: TxId,
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// The acting org (or consumer key for claims).
    pub by: PublicKey,
    /// The key that signed (org or device).
    pub signer: PublicKey,
    /// Device time, unix ms.
    #[serde(rename = "time_ms")]
    pub event_time_ms: i64,
    /// Block time, unix ms.
    pub record_time_ms: i64,
    /// The handoff, for handoff events.
    pub handoff: Option<HandoffId>,
    /// The other org of a handoff.
    pub counterparty: Option<PublicKey>,
    /// What a handoff transferred.
    pub transfer: Option<Transfer>,
    /// GLN where it happened.
    pub at: Option<String>,
    /// Lot quantity involved.
    pub quantity: Option<u64>,
    /// Related ids: the container packed into, transform inputs/outputs, contents…
    pub related: Vec<Gs1Key>,
    /// Reason, observation kind, exception kind.
    pub note: Option<String>,
    /// Readings, corrected fields, documents.
    pub data: Vec<Attr>,
}

impl Event {
    /// Canonical bytes (what the history hash chain commits to).
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }
    /// Decodes stored bytes.
    pub fn decode(bytes: &[u8]) -> Option<Event> {
        borsh::from_slice(bytes).ok()
    }
}

/// A change to an index the store keeps beside the state (not part of the state root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexOp {
    /// An org joined (for listing orgs and resolving key prefixes).
    OrgAdmitted {
        /// The org.
        org: PublicKey,
    },
    /// A handoff opened: in the recipient's inbox and the proposer's outbox.
    HandoffOpened {
        /// Proposer.
        from: PublicKey,
        /// Recipient.
        to: PublicKey,
        /// The handoff.
        id: HandoffId,
    },
    /// A handoff closed.
    HandoffClosed {
        /// Proposer.
        from: PublicKey,
        /// Recipient.
        to: PublicKey,
        /// The handoff.
        id: HandoffId,
        /// The height it was proposed at (the store groups open handoffs by it).
        opened_height: u64,
        /// How it closed (the store keeps each sender's delivery record).
        outcome: HandoffOutcome,
    },
    /// A finance step changed an asset (a receivable or warehouse receipt): the store
    /// lists the asset's steps and, per party, its assets, so a party's node finds the
    /// terms sealed to it.
    FinanceStep {
        /// The asset.
        asset: crate::types::Hash32,
        /// Its parties after the step (seller, buyer, holder, lender; warehouse, owner,
        /// lender), sorted, each once.
        parties: Vec<PublicKey>,
    },
}

/// How a handoff closed: what a sender's delivery record counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandoffOutcome {
    /// The recipient took it; `exceptions`: it reported goods missing or damaged.
    Accepted {
        /// Goods were reported missing or damaged.
        exceptions: bool,
    },
    /// The recipient refused it; `lapsed`: after its deadline.
    Rejected {
        /// Closed after the proposal's expiry height.
        lapsed: bool,
    },
    /// The proposer withdrew it (or the recipient closed it after it lapsed).
    Cancelled {
        /// Closed after the proposal's expiry height.
        lapsed: bool,
    },
}

/// An event appended to a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryAppend {
    /// Whose history (canonical key).
    pub key: String,
    /// Its sequence number in that history.
    pub seq: u32,
    /// The encoded event.
    pub event: Vec<u8>,
}

/// What applying a transaction produced besides state writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// History appends, in order.
    pub history: Vec<HistoryAppend>,
    /// Index changes.
    pub index: Vec<IndexOp>,
    /// The org that acted (for the per-org transaction index); None for consumers.
    pub org: Option<PublicKey>,
}
