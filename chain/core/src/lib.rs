//! Handoff's pure ledger. Everything here is deterministic: no I/O, no clock, no threads,
//! so the same rules run in validators, light nodes and the browser (wasm32).
//!
//! - [`gs1`]: identifiers as scanned (Digital Link, element strings) and their canonical keys.
//! - [`tx`]: the signed, versioned transaction encoding and its limits.
//! - [`claim`]: claim codes: per-item secrets, the claim keys on chain, claim signatures.
//! - [`apply`]: the state transition function and its invariants.
//! - [`block`]: headers, certificates, genesis, block execution.
//! - [`proof`]: Merkle proofs of records against a header's state root.
//! - [`governance`]: validator-set approvals and how a light node follows a change.
//! - [`light`]: what a light node checks: the next certified header, record proofs, the
//!   block holding its own transaction.
//! - [`query`]: provenance (an item's journey) and the consumer verdict.
//! - [`evidence`]: a verdict and journey with every read proven, checkable anywhere.
//! - [`finance`]: private terms of supply-chain finance: Pedersen commitments, range
//!   proofs, conservation checks and sealed boxes.

pub mod apply;
pub mod block;
pub mod certify;
pub mod claim;
pub mod concerns;
#[cfg(feature = "crafted-signatures")]
pub mod crafted;
pub mod crypto;
pub mod event;
pub mod evidence;
pub mod finance;
pub mod governance;
pub mod gs1;
pub mod light;
pub mod limits;
pub mod proof;
pub mod query;
pub mod rejection;
pub mod scans;
pub mod state;
pub mod tx;
pub mod types;

pub use apply::{BlockContext, apply, apply_verified};
pub use rejection::{Code, Rejection};
