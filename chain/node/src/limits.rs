//! Bounds on what the node's local HTTP endpoints take from a client, in one place (the
//! ledger's bounds are in `handoff_core::limits`, the network's in `handoff_net::limits`).
//! A request body over its bound is answered 413 with `{error: {code: "TOO_LARGE", …}}`;
//! nothing is truncated and read on.

/// The body of `POST /v1/peers/block`: `{"peer": PEER_ID, "block": bool}`.
pub const MAX_PEER_BLOCK_BODY_BYTES: u64 = 4 * 1024;
