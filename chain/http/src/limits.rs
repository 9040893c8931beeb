//! Bounds on what the HTTP server takes from a client and the client from a server, in
//! one place. A request over a bound is refused whole with the error shape (413
//! `TOO_LARGE`, 429 `RATE_LIMITED`, 408 `TIMEOUT`); nothing is cut and read on. The
//! bounds on the fields inside a request (string and list lengths) are the API's own,
//! checked by every request's `validate()`.

use std::time::Duration;

/// The JSON body of a `POST`/`PUT`/`DELETE` request. A scan is at most 1 KiB; this leaves
/// room for long lists of them.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The query string of a `GET` request (path and query parameters of a read are short:
/// a scan, a key, a page size).
pub const MAX_QUERY_BYTES: usize = 8 * 1024;
/// How long one request may take, body, call and answer included. Actions commit
/// through consensus, which a healthy chain does in well under a second; a request still
/// running after this is answered 408 (the action may still commit: the client checks
/// with a read).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Public routes (reads that need no token): requests a second one client address earns.
pub const PUBLIC_REQUESTS_PER_SECOND: u64 = 50;
/// Public routes: how many requests one client address may send at once before the
/// per-second rate applies.
pub const PUBLIC_BURST: u32 = 200;
/// An answer the typed client reads (a long history with its proofs).
pub const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;
/// How long the typed client waits for one answer.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(600);
/// Threads the server's runtime keeps for calls into the node (they block on the store
/// and on consensus).
pub const MAX_BLOCKING_CALLS: usize = 32;
/// Capture jobs (`POST /epcis/capture`) the server keeps for `GET /epcis/capture/{id}`:
/// the oldest go first.
pub const MAX_CAPTURE_JOBS: usize = 100;
/// The bytes the kept capture jobs may take together (each holds one line per event of its
/// document): the oldest go first, the newest is always kept.
pub const MAX_CAPTURE_JOB_BYTES: usize = 16 * 1024 * 1024;
