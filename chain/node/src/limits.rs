//! Bounds on what the node's local HTTP endpoints take from a client, in one place (the
//! ledger's bounds are in `handoff_core::limits`, the network's in `handoff_net::limits`).
//! A request body over its bound is answered 413 with `{error: {code: "TOO_LARGE", …}}`;
//! nothing is truncated and read on.

/// The body of a command line sent to the light node's local daemon (`light/daemon.rs`,
/// still on tiny_http): `{"args": […]}`. A scan is at most 1 KiB; this leaves room for
/// long lists of them. The full node's HTTP API takes typed requests only (bounded by
/// `handoff_http::limits`).
pub const MAX_CLI_BODY_BYTES: u64 = 1024 * 1024;
/// The body of `POST /v1/peers/block`: `{"peer": PEER_ID, "block": bool}`.
pub const MAX_PEER_BLOCK_BODY_BYTES: u64 = 4 * 1024;
/// An answer of the light daemon read by the command line (a command's JSON output).
pub const MAX_GATEWAY_ANSWER_BYTES: u64 = 64 * 1024 * 1024;
