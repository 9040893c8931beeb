//! Every bound on untrusted input, in one place. Decoders and `apply` check these; a value
//! over a bound is rejected with `TOO_LARGE`/`BAD_FIELD`, never truncated.

/// A signed transaction's encoded size.
pub const MAX_TX_BYTES: usize = 64 * 1024;
/// Items, lots or containers named in one transaction.
pub const MAX_ENTRIES: usize = 1000;
/// Names: org, product, device label.
pub const MAX_NAME_LEN: usize = 128;
/// Free text: descriptions, reasons, notes.
pub const MAX_TEXT_LEN: usize = 1024;
/// Key/value attributes or readings on one record or event.
pub const MAX_ATTRS: usize = 32;
/// Length of an attribute key.
pub const MAX_ATTR_KEY_LEN: usize = 64;
/// Length of an attribute value.
pub const MAX_ATTR_VALUE_LEN: usize = 256;
/// GS1 company prefixes of one org.
pub const MAX_PREFIXES: usize = 16;
/// GLNs of one org.
pub const MAX_GLNS: usize = 64;
/// Document references on a handoff.
pub const MAX_DOCS: usize = 16;
/// A certificate number.
pub const MAX_CERT_NUMBER_LEN: usize = 64;
/// Certifications recorded for one subject (product, lot, item, org or location).
pub const MAX_CERTS_PER_SUBJECT: usize = 64;
/// Longest validity a certification may claim (ten years).
pub const MAX_CERT_VALIDITY_MS: i64 = 10 * 366 * 24 * 60 * 60 * 1000;
/// Items, lots and handoffs one notarized document links to.
pub const MAX_DOC_LINKS: usize = 64;
/// Orgs that may register the same document.
pub const MAX_DOC_REGISTRATIONS: usize = 16;
/// Documents linked to one item, lot or handoff.
pub const MAX_DOCS_PER_LINK: usize = 256;
/// Licensees of one product.
pub const MAX_LICENSEES: usize = 64;
/// Recalls recorded on one product.
pub const MAX_RECALLS: usize = 256;
/// Entries directly inside one container.
pub const MAX_CONTAINER_CONTENTS: usize = 2000;
/// Containers inside containers (case in pallet in trailer…).
pub const MAX_NESTING: usize = 4;
/// Distinct holders of one lot's quantity.
pub const MAX_LOT_HOLDERS: usize = 512;
/// Largest quantity in one entry.
pub const MAX_QUANTITY: u64 = 1_000_000_000_000;
/// A claim PIN's length (retired PIN claims are still decoded, then refused).
pub const MAX_PIN_LEN: usize = 64;
/// A claim code as typed or read from its QR: 32 hex digits plus separators.
pub const MAX_CLAIM_CODE_LEN: usize = 64;
/// How far an event's device time may be ahead of the block time.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Items or containers on one warehouse receipt.
pub const MAX_RECEIPT_GOODS: usize = 1000;
/// Sealed boxes on one finance step (one per party).
pub const MAX_SEALED_BOXES: usize = 4;
/// Transactions in one block.
pub const MAX_BLOCK_TXS: usize = 8192;
/// Encoded size of one block.
pub const MAX_BLOCK_BYTES: usize = 32 * 1024 * 1024;
/// Most tags a block's filter of whom it concerns may hold ([`crate::concerns`]): far
/// more than the orgs a block of [`MAX_BLOCK_TXS`] transactions can name (a handful per
/// transaction), 512 KiB at 8 bytes a tag.
pub const MAX_BLOCK_CONCERNS: usize = 65_536;
/// A Merkle proof's encoded size.
pub const MAX_PROOF_BYTES: usize = 16 * 1024;
/// Encoded size of the evidence of one verdict and journey (`evidence`): a consumer's
/// phone downloads it.
pub const MAX_EVIDENCE_BYTES: usize = 8 * 1024 * 1024;
/// Record proofs in one evidence (and histories in it).
pub const MAX_EVIDENCE_RECORDS: usize = 4096;
/// History events in one evidence, over all its histories.
pub const MAX_EVIDENCE_EVENTS: usize = 20_000;
/// Validator-set changes one evidence carries from the genesis set to its header's set
/// (a chain changing its set monthly reaches this in 20 years).
pub const MAX_SET_CHANGES: usize = 256;
/// Validators in one set (and so signatures in one certificate).
pub const MAX_VALIDATORS: usize = 256;
/// Approvals carried by one validator-set change (at most one per current validator).
pub const MAX_APPROVALS: usize = MAX_VALIDATORS;
/// Highest consensus round a peer's message may name; rounds grow by one per failed
/// round, so an honest network never gets near it.
pub const MAX_CONSENSUS_ROUND: u32 = 1 << 20;
/// Encoded size of one consensus message: a block plus its signatures and envelope.
pub const MAX_CONSENSUS_MSG_BYTES: usize = MAX_BLOCK_BYTES + 64 * 1024;
/// Certified blocks one peer is asked to send in one catch-up answer.
pub const MAX_SYNC_BLOCKS: u64 = 16;
