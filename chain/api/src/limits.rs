//! Bounds every transport applies to a request before it reaches the node, through
//! [`crate::Validate`]: the same oversized input is refused with the same code
//! ([`REQUEST_TOO_LARGE`]) whether it came from the command line, the app or HTTP. They
//! sit above the ledger's own bounds (`handoff_core::limits`) so that input within them
//! still meets the ledger's precise rule and code (a 1,001-entry handoff is the ledger's
//! `TOO_LARGE`, a 1,025-byte scan is `SCAN_TOO_LONG`); these only stop what no rule
//! could ever accept.

/// Longest string field, in bytes (a scan, a name, a reason, a genesis in hex).
pub const MAX_STRING_BYTES: usize = 64 * 1024;
/// A document field (an EPCIS file to check or import): the size of the largest EPCIS
/// document the node reads (`handoff_epcis::limits::MAX_DOCUMENT_BYTES`).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// A signed transaction in hex (`tx_submit`): twice the ledger's largest transaction
/// (`handoff_core::limits::MAX_TX_BYTES`, 64 KiB; the node checks the two agree).
pub const MAX_SIGNED_TX_HEX: usize = 2 * 64 * 1024;
/// Longest list field (scans of one request, attributes, peers).
pub const MAX_LIST_LEN: usize = 10_000;
/// The code of a request over one of these bounds.
pub const REQUEST_TOO_LARGE: &str = "REQUEST_TOO_LARGE";
