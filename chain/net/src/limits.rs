//! Every bound the network puts on what a peer may send, in one place. A frame or message
//! over a bound is refused before it is decoded (and before anything is allocated for
//! it), and the peer that sent it is scored down.

use handoff_core::block::MAX_OUTCOME_MESSAGE;
use handoff_core::limits::{MAX_BLOCK_BYTES, MAX_BLOCK_TXS, MAX_PROOF_BYTES, MAX_TX_BYTES};
use std::time::Duration;

/// A gossiped batch of encoded `SignedTx` (the node bounds the count and each one).
pub const MAX_TX_GOSSIP_BYTES: usize = 512 * 1024;
/// Transactions in one gossiped batch.
pub const MAX_GOSSIP_BATCH_TXS: usize = 4096;
/// A gossiped block announcement: a header and its certificate (the block itself is
/// fetched with a request), generously bounded.
pub const MAX_BLOCK_GOSSIP_BYTES: usize = 256 * 1024;
/// A gossiped consensus message (proposal, vote…), opaque to this crate.
pub const MAX_CONSENSUS_GOSSIP_BYTES: usize = 4 * 1024 * 1024;
/// The largest gossipsub RPC frame: the largest topic limit plus protobuf framing.
pub const MAX_GOSSIP_TRANSMIT_BYTES: usize = MAX_CONSENSUS_GOSSIP_BYTES + 64 * 1024;

/// An encoded request. The largest is a transaction submission.
pub const MAX_REQUEST_BYTES: usize = MAX_TX_BYTES + 1024;
/// An encoded response: one full-size block must fit, with room for its framing.
pub const MAX_RESPONSE_BYTES: usize = MAX_BLOCK_BYTES + 64 * 1024;
/// Blocks asked for (and returned) in one request.
pub const MAX_BLOCKS_PER_REQUEST: u32 = 64;
/// Headers (each with its certificate) asked for (and returned) in one request.
pub const MAX_HEADERS_PER_REQUEST: u32 = 512;
/// Most state keys one [`crate::Request::Records`] asks for.
pub const MAX_RECORDS_PER_REQUEST: usize = 256;
/// Events of one item's history in one [`crate::Response::History`] page. A longer
/// history is asked for again from where the page ended (`from`).
pub const MAX_HISTORY_EVENTS_PER_RESPONSE: usize = 1024;
/// One encoded event in a history page. An event holds what its transaction named (at
/// most a container's whole contents when it is unpacked, each a short GS1 key, and its
/// attributes): far below this.
pub const MAX_HISTORY_EVENT_BYTES: usize = MAX_RECORD_BYTES;
/// The events of one history page together; a full node sends the prefix that fits (at
/// least one event), so a phone on a slow link never waits on one huge answer.
pub const MAX_HISTORY_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Commit signatures in one certificate (validators of one chain).
pub const MAX_CERTIFICATE_SIGS: usize = 256;
/// Transactions in a block received from a peer.
pub const MAX_WIRE_BLOCK_TXS: usize = MAX_BLOCK_TXS;
/// A state key asked for in a record request.
pub const MAX_STATE_KEY_BYTES: usize = 1024;
/// An encoded state record returned with its proof.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// A Merkle proof returned with a record.
pub const MAX_WIRE_PROOF_BYTES: usize = MAX_PROOF_BYTES;
/// A transaction submitted in a request.
pub const MAX_SUBMIT_TX_BYTES: usize = MAX_TX_BYTES;
/// A rejection code or outcome code in a response.
pub const MAX_CODE_LEN: usize = 64;
/// A human-readable message in a response (same bound as a block outcome message).
pub const MAX_MESSAGE_LEN: usize = MAX_OUTCOME_MESSAGE;

/// A genesis encoding sent to a node joining by invitation (the validators, the first
/// orgs and the chain's name: far below this).
pub const MAX_GENESIS_BYTES: usize = 1024 * 1024;
/// The org name in a join request (the ledger's own bound on org names).
pub const MAX_JOIN_NAME_LEN: usize = handoff_core::limits::MAX_NAME_LEN;

/// How long a request may wait for its response.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Inbound and outbound request streams open at once on one connection.
pub const MAX_CONCURRENT_STREAMS: usize = 32;

/// Requests one peer may make per second; more are answered `Busy` and scored.
pub const MAX_REQUESTS_PER_PEER_PER_SEC: u32 = 50;

/// Established connections in total.
pub const MAX_ESTABLISHED: u32 = 128;
/// Established connections to one peer.
pub const MAX_ESTABLISHED_PER_PEER: u32 = 2;
/// Incoming connections still being set up.
pub const MAX_PENDING_INCOMING: u32 = 32;
/// Outgoing connections still being set up.
pub const MAX_PENDING_OUTGOING: u32 = 32;

/// Events buffered for the node before gossip is ignored and requests are dropped.
pub const EVENT_QUEUE: usize = 1024;
/// Commands buffered from handles.
pub const COMMAND_QUEUE: usize = 256;

/// First wait before redialing a bootstrap peer; doubles per failure.
pub const BOOTSTRAP_BACKOFF_MIN: Duration = Duration::from_secs(1);
/// Longest wait between redials of a bootstrap peer.
pub const BOOTSTRAP_BACKOFF_MAX: Duration = Duration::from_secs(60);
