//! Typed requests and responses between peers, their borsh encoding, and decoders for
//! untrusted bytes.
//!
//! Encoding is plain borsh (derived). Decoding is written out by hand over a bounded
//! cursor: every length prefix is checked against a named limit from [`crate::limits`]
//! *and* against the bytes actually left before anything is allocated, so a 4 GB length
//! prefix costs nothing; trailing bytes are refused, so an accepted frame is canonical
//! (it re-encodes to the same bytes).

use crate::limits::*;
use borsh::{BorshDeserialize, BorshSerialize};
use handoff_core::block::{Block, BlockHeader, Certificate, CommitSig, Outcome};
use handoff_core::concerns::Concerns;
use handoff_core::limits::MAX_BLOCK_CONCERNS;
use handoff_core::proof::RecordProof;
use handoff_core::types::{Hash32, PublicKey};

/// A question one peer asks another.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize)]
pub enum Request {
    /// The peer's chain and tip.
    Status,
    /// Full blocks (with their certificates) from `from`, at most `count` of them
    /// (1..=[`MAX_BLOCKS_PER_REQUEST`]).
    Blocks {
        /// First height.
        from: u64,
        /// How many (1..=[`MAX_BLOCKS_PER_REQUEST`]).
        count: u32,
    },
    /// Headers with their certificates from `from`, for light nodes
    /// (1..=[`MAX_HEADERS_PER_REQUEST`]).
    Headers {
        /// First height.
        from: u64,
        /// How many (1..=[`MAX_HEADERS_PER_REQUEST`]).
        count: u32,
    },
    /// A state record (or its absence) with its Merkle proof at a height.
    Record {
        /// The height whose state root the proof must lead to.
        height: u64,
        /// The state key bytes (at most [`MAX_STATE_KEY_BYTES`]).
        key: Vec<u8>,
    },
    /// Submit an encoded signed transaction (at most [`MAX_SUBMIT_TX_BYTES`]) for
    /// inclusion; a light node submits to a full node.
    SubmitTx {
        /// `SignedTx::encode` bytes; the receiving node decodes and checks them.
        tx: Vec<u8>,
    },
    /// Where the transaction of `signer` with `nonce` was committed, if it was (a light
    /// node then fetches that block and checks it against its certified header).
    TxLocation {
        /// The signer.
        signer: PublicKey,
        /// Its nonce.
        nonce: u64,
    },
    /// Several state records (or their absence) with their proofs at one height (a light
    /// node indexing a block reads a pallet's contents in one request);
    /// 1..=[`MAX_RECORDS_PER_REQUEST`] keys. The answer may hold fewer, in order (a
    /// prefix that fits in one response); the rest are asked again.
    Records {
        /// The height whose state root the proofs must lead to.
        height: u64,
        /// The state key bytes (each at most [`MAX_STATE_KEY_BYTES`]).
        keys: Vec<Vec<u8>>,
    },
    /// The chain's genesis, as its encoding (at most [`MAX_GENESIS_BYTES`]): a node
    /// joining by invitation checks its hash against the one its link carries.
    Genesis,
    /// Redeem an invitation: admit `org` under `name` with the one-time `ticket` the
    /// registrar's node made. `signature` is the new org key's signature over
    /// [`join_message`], so the registrar knows the joiner holds the key and a ticket
    /// seen in transit cannot admit anyone else's.
    Join {
        /// The invitation's ticket (the registrar's node keeps only its SHA-256).
        ticket: [u8; 32],
        /// The name the joiner agrees to be admitted under (at most [`MAX_JOIN_NAME_LEN`]).
        name: String,
        /// The new org key.
        org: PublicKey,
        /// Its signature over [`join_message`].
        signature: [u8; 64],
    },
    /// An item's, container's or lot's history as of `height`: the proof of its state
    /// record there (which holds the head of its event chain, [`HistoryHead`]) and its
    /// encoded events from sequence number `from` on, in order. The answer may stop
    /// short of the record's length (at most [`MAX_HISTORY_EVENTS_PER_RESPONSE`] events
    /// and [`MAX_HISTORY_PAGE_BYTES`]); the rest is asked again from where it stopped.
    ///
    /// [`HistoryHead`]: handoff_core::state::HistoryHead
    History {
        /// The height whose state root the record's proof must lead to.
        height: u64,
        /// The canonical key (`/01/…/21/…`, `/01/…/10/…`, `/00/…`; at most
        /// [`MAX_STATE_KEY_BYTES`], not empty).
        key: String,
        /// The sequence number of the first event wanted (0: from the start).
        from: u32,
    },
}

/// What the new org key signs to redeem an invitation: a domain tag, the chain id, the
/// SHA-256 of the ticket (never the ticket itself), the org key and the name, each name
/// byte counted (`u32` LE length first), so no two joins sign the same bytes.
pub fn join_message(
    chain_id: &Hash32,
    ticket_sha256: &Hash32,
    org: &PublicKey,
    name: &str,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(JOIN_DOMAIN.len() + 32 * 3 + 4 + name.len());
    m.extend_from_slice(JOIN_DOMAIN);
    m.extend_from_slice(&chain_id.0);
    m.extend_from_slice(&ticket_sha256.0);
    m.extend_from_slice(&org.0);
    m.extend_from_slice(&(name.len() as u32).to_le_bytes());
    m.extend_from_slice(name.as_bytes());
    m
}

/// The domain tag of [`join_message`].
pub const JOIN_DOMAIN: &[u8] = b"handoff-join-v1\0";

/// What a registrar's node did with a [`Request::Join`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize)]
pub enum JoinOutcome {
    /// The org is on the chain.
    Admitted {
        /// The `AdmitOrg` transaction id.
        tx: Hash32,
        /// The block it was committed in.
        height: u64,
    },
    /// Not admitted.
    Refused {
        /// A stable code (`UNKNOWN_TICKET`, `TICKET_USED`, `TICKET_EXPIRED`,
        /// `BAD_JOIN_SIGNATURE`, `NOT_REGISTRAR`, a ledger rejection code…).
        code: String,
        /// Why, for people.
        message: String,
    },
}

/// A peer's chain and tip.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Status {
    /// The chain id (from genesis).
    pub chain_id: Hash32,
    /// Height of the newest certified block.
    pub height: u64,
    /// Hash of that block's header.
    pub tip_hash: Hash32,
}

/// A header with the certificate that commits it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize)]
pub struct CertifiedHeader {
    /// The header.
    pub header: BlockHeader,
    /// Its commit signatures.
    pub certificate: Certificate,
    /// The block's filter of whom it concerns (it must hash to the header's
    /// `concerns_root`; the light node checks).
    pub concerns: Concerns,
}

/// What a full node did with a submitted transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize)]
pub enum SubmitOutcome {
    /// Taken into the node's queue for a block.
    Accepted,
    /// Refused before ordering.
    Rejected {
        /// A stable code (a ledger rejection code such as `BAD_SIGNATURE`, or `BUSY`).
        code: String,
        /// Why, for people.
        message: String,
    },
}

/// A page of a history: the answer to [`Request::History`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize)]
pub struct HistoryPage {
    /// The proof of the state record under the key at the height asked (or of its
    /// absence): the record's `history` is the length and head the events must hash to.
    pub record: RecordProof,
    /// The sequence number of the first event here (the `from` asked).
    pub from: u32,
    /// Encoded events (`Event::encode`) from `from` on, in order, at most
    /// [`MAX_HISTORY_EVENTS_PER_RESPONSE`] of them and [`MAX_HISTORY_PAGE_BYTES`] in all.
    pub events: Vec<Vec<u8>>,
}

/// Why a request was not answered with data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize)]
pub enum ErrorCode {
    /// The peer does not have what was asked for (height beyond its tip, pruned…).
    Unavailable,
    /// The request made no sense (range out of order…).
    BadRequest,
    /// The peer is overloaded; try another or later.
    Busy,
    /// This kind of node does not serve this request (a light node asked for blocks).
    Unsupported,
}

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize)]
pub enum Response {
    /// Answer to [`Request::Status`].
    Status(Status),
    /// Answer to [`Request::Blocks`], in height order.
    Blocks(Vec<Block>),
    /// Answer to [`Request::Headers`], in height order.
    Headers(Vec<CertifiedHeader>),
    /// Answer to [`Request::Record`].
    Record(RecordProof),
    /// Answer to [`Request::SubmitTx`].
    Submitted(SubmitOutcome),
    /// No data; why.
    Error {
        /// What kind of failure.
        code: ErrorCode,
        /// For people (at most [`MAX_MESSAGE_LEN`] bytes).
        message: String,
    },
    /// Answer to [`Request::TxLocation`]: the block height and index in it, if committed.
    TxLocation(Option<(u64, u32)>),
    /// Answer to [`Request::Records`]: proofs of a prefix of the keys asked, in order.
    Records(Vec<RecordProof>),
    /// Answer to [`Request::Genesis`]: the genesis encoding.
    Genesis(Vec<u8>),
    /// Answer to [`Request::Join`].
    Joined(JoinOutcome),
    /// Answer to [`Request::History`].
    History(HistoryPage),
}

/// Why bytes from a peer were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A frame, field or count over its limit.
    #[error("{what} is {len}; at most {max} allowed")]
    TooLarge {
        /// Which bound.
        what: &'static str,
        /// The size or count given.
        len: u64,
        /// The bound.
        max: u64,
    },
    /// The bytes end before the value does.
    #[error("truncated while reading {0}")]
    Truncated(&'static str),
    /// Bytes left over after a complete value.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
    /// An enum tag or flag byte that means nothing.
    #[error("unknown {what} tag {tag}")]
    UnknownTag {
        /// Which enum.
        what: &'static str,
        /// The byte.
        tag: u8,
    },
    /// A string that is not UTF-8.
    #[error("{0} is not UTF-8")]
    BadUtf8(&'static str),
    /// A value that is well-formed but not allowed (zero count…).
    #[error("{0}")]
    Invalid(&'static str),
}

impl WireError {
    /// Whether the bytes were refused for their size (as opposed to their shape).
    pub fn is_oversized(&self) -> bool {
        matches!(self, WireError::TooLarge { .. })
    }
}

fn too_large(what: &'static str, len: usize, max: usize) -> WireError {
    WireError::TooLarge {
        what,
        len: len as u64,
        max: max as u64,
    }
}

/// A cursor over untrusted bytes; every read is bounds-checked.
struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.buf.len() < n {
            return Err(WireError::Truncated(what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn hash(&mut self, what: &'static str) -> Result<Hash32, WireError> {
        Ok(Hash32(self.array(what)?))
    }
    /// A borsh `u32` length prefix, checked against `max` before anything is allocated.
    fn len(&mut self, what: &'static str, max: usize) -> Result<usize, WireError> {
        let n = self.u32(what)? as usize;
        if n > max {
            return Err(too_large(what, n, max));
        }
        Ok(n)
    }
    /// A count of elements that each take at least `min_elem` bytes: besides `max`, the
    /// count can never exceed what the remaining bytes could hold.
    fn count(
        &mut self,
        what: &'static str,
        max: usize,
        min_elem: usize,
    ) -> Result<usize, WireError> {
        let n = self.len(what, max)?;
        if n.saturating_mul(min_elem.max(1)) > self.buf.len() {
            return Err(WireError::Truncated(what));
        }
        Ok(n)
    }
    fn bytes(&mut self, what: &'static str, max: usize) -> Result<Vec<u8>, WireError> {
        let n = self.len(what, max)?;
        Ok(self.take(n, what)?.to_vec())
    }
    fn string(&mut self, what: &'static str, max: usize) -> Result<String, WireError> {
        let n = self.len(what, max)?;
        let b = self.take(n, what)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| WireError::BadUtf8(what))
    }
    fn option<T>(
        &mut self,
        what: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T, WireError>,
    ) -> Result<Option<T>, WireError> {
        match self.u8(what)? {
            0 => Ok(None),
            1 => f(self).map(Some),
            tag => Err(WireError::UnknownTag { what, tag }),
        }
    }
    /// A fixed-layout borsh value (no length prefixes inside, so nothing to bound).
    fn fixed<T: BorshDeserialize>(&mut self, what: &'static str) -> Result<T, WireError> {
        T::deserialize(&mut self.buf).map_err(|_| WireError::Truncated(what))
    }
    fn finish(self) -> Result<(), WireError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes(self.buf.len()))
        }
    }
}

/// Encoded sizes of fixed-layout parts, for plausibility checks of counts.
const HEADER_BYTES: usize = 1 + 32 + 8 + 32 + 8 + 32 + 4 + 32 + 32 + 32;
const COMMIT_SIG_BYTES: usize = 32 + 64;

fn certificate(c: &mut Cursor<'_>) -> Result<Certificate, WireError> {
    let round = c.fixed::<u32>("certificate round")?;
    if round > handoff_core::limits::MAX_CONSENSUS_ROUND {
        return Err(WireError::Invalid("certificate round out of range"));
    }
    let n = c.count(
        "certificate signatures",
        MAX_CERTIFICATE_SIGS,
        COMMIT_SIG_BYTES,
    )?;
    let mut sigs = Vec::with_capacity(n);
    for _ in 0..n {
        sigs.push(c.fixed::<CommitSig>("commit signature")?);
    }
    Ok(Certificate { round, sigs })
}

fn header(c: &mut Cursor<'_>) -> Result<BlockHeader, WireError> {
    c.fixed::<BlockHeader>("block header")
}

fn outcome(c: &mut Cursor<'_>) -> Result<Outcome, WireError> {
    let code = c.option("outcome code", |c| c.string("outcome code", MAX_CODE_LEN))?;
    let message = c.option("outcome message", |c| {
        c.string("outcome message", MAX_MESSAGE_LEN)
    })?;
    Ok(Outcome { code, message })
}

fn block(c: &mut Cursor<'_>) -> Result<Block, WireError> {
    let header = header(c)?;
    let certificate = certificate(c)?;
    let n = c.count("block transactions", MAX_WIRE_BLOCK_TXS, 4)?;
    let mut txs = Vec::with_capacity(n);
    for _ in 0..n {
        txs.push(c.bytes("block transaction", MAX_SUBMIT_TX_BYTES)?);
    }
    let n = c.count("block outcomes", MAX_WIRE_BLOCK_TXS, 2)?;
    let mut outcomes = Vec::with_capacity(n);
    for _ in 0..n {
        outcomes.push(outcome(c)?);
    }
    let concerns = concerns(c)?;
    Ok(Block {
        header,
        certificate,
        txs,
        outcomes,
        concerns,
    })
}

fn concerns(c: &mut Cursor<'_>) -> Result<Concerns, WireError> {
    let n = c.count("filter tags", MAX_BLOCK_CONCERNS, 8)?;
    let mut tags = Vec::with_capacity(n);
    for _ in 0..n {
        tags.push(c.fixed::<u64>("filter tag")?);
    }
    Ok(Concerns(tags))
}

fn record_proof(c: &mut Cursor<'_>) -> Result<RecordProof, WireError> {
    let height = c.u64("record height")?;
    let key = c.bytes("state key", MAX_STATE_KEY_BYTES)?;
    let value = c.option("record value", |c| {
        c.bytes("record value", MAX_RECORD_BYTES)
    })?;
    let proof = c.bytes("merkle proof", MAX_WIRE_PROOF_BYTES)?;
    Ok(RecordProof {
        height,
        key,
        value,
        proof,
    })
}

fn history_page(c: &mut Cursor<'_>) -> Result<HistoryPage, WireError> {
    let record = record_proof(c)?;
    let from = c.u32("history from")?;
    let n = c.count("history events", MAX_HISTORY_EVENTS_PER_RESPONSE, 4)?;
    if u64::from(from) + n as u64 > u64::from(u32::MAX) {
        return Err(WireError::Invalid(
            "a history page runs past the last sequence number",
        ));
    }
    let mut events = Vec::with_capacity(n);
    let mut total = 0usize;
    for _ in 0..n {
        let e = c.bytes("history event", MAX_HISTORY_EVENT_BYTES)?;
        total += e.len();
        if total > MAX_HISTORY_PAGE_BYTES {
            return Err(too_large("history page", total, MAX_HISTORY_PAGE_BYTES));
        }
        events.push(e);
    }
    Ok(HistoryPage {
        record,
        from,
        events,
    })
}

fn range_count(count: u32, max: u32, what: &'static str) -> Result<u32, WireError> {
    if count == 0 {
        return Err(WireError::Invalid(
            "a range must ask for at least one entry",
        ));
    }
    if count > max {
        return Err(too_large(what, count as usize, max as usize));
    }
    Ok(count)
}

fn encode_bounded<T: BorshSerialize>(
    v: &T,
    what: &'static str,
    max: usize,
) -> Result<Vec<u8>, WireError> {
    let len = borsh::object_length(v).map_err(|_| WireError::Invalid("unencodable value"))?;
    if len > max {
        return Err(too_large(what, len, max));
    }
    borsh::to_vec(v).map_err(|_| WireError::Invalid("unencodable value"))
}

impl Request {
    /// The canonical encoding; fails if any bound the receiver checks is broken (so what
    /// is sent is always decodable), e.g. over [`MAX_REQUEST_BYTES`].
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let bytes = encode_bounded(self, "request", MAX_REQUEST_BYTES)?;
        // Requests are small; decoding once keeps the sender honest about every bound.
        Request::decode(&bytes)?;
        Ok(bytes)
    }

    /// Decodes untrusted bytes: size first, then the layout with every bound checked.
    pub fn decode(bytes: &[u8]) -> Result<Request, WireError> {
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(too_large("request", bytes.len(), MAX_REQUEST_BYTES));
        }
        let mut c = Cursor { buf: bytes };
        let r = match c.u8("request kind")? {
            0 => Request::Status,
            1 => {
                let from = c.u64("from height")?;
                let count = range_count(
                    c.u32("block count")?,
                    MAX_BLOCKS_PER_REQUEST,
                    "blocks requested",
                )?;
                Request::Blocks { from, count }
            }
            2 => {
                let from = c.u64("from height")?;
                let count = range_count(
                    c.u32("header count")?,
                    MAX_HEADERS_PER_REQUEST,
                    "headers requested",
                )?;
                Request::Headers { from, count }
            }
            3 => {
                let height = c.u64("record height")?;
                let key = c.bytes("state key", MAX_STATE_KEY_BYTES)?;
                Request::Record { height, key }
            }
            4 => Request::SubmitTx {
                tx: c.bytes("submitted transaction", MAX_SUBMIT_TX_BYTES)?,
            },
            5 => Request::TxLocation {
                signer: PublicKey(c.hash("signer")?.0),
                nonce: c.u64("nonce")?,
            },
            6 => {
                let height = c.u64("records height")?;
                let n = c.count("state keys", MAX_RECORDS_PER_REQUEST, 4)?;
                if n == 0 {
                    return Err(WireError::Invalid("no state keys asked"));
                }
                let mut keys = Vec::with_capacity(n);
                for _ in 0..n {
                    keys.push(c.bytes("state key", MAX_STATE_KEY_BYTES)?);
                }
                Request::Records { height, keys }
            }
            7 => Request::Genesis,
            8 => {
                let ticket = c.array::<32>("ticket")?;
                let name = c.string("join name", MAX_JOIN_NAME_LEN)?;
                let org = PublicKey(c.array::<32>("org key")?);
                let signature = c.array::<64>("join signature")?;
                Request::Join {
                    ticket,
                    name,
                    org,
                    signature,
                }
            }
            9 => {
                let height = c.u64("history height")?;
                let key = c.string("history key", MAX_STATE_KEY_BYTES)?;
                if key.is_empty() {
                    return Err(WireError::Invalid("no history key asked"));
                }
                let from = c.u32("history from")?;
                Request::History { height, key, from }
            }
            tag => {
                return Err(WireError::UnknownTag {
                    what: "request",
                    tag,
                });
            }
        };
        c.finish()?;
        Ok(r)
    }
}

impl Response {
    /// The canonical encoding; fails if it would be over [`MAX_RESPONSE_BYTES`] (a node
    /// answering with blocks sends fewer, see [`Response::encoded_len`]).
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        encode_bounded(self, "response", MAX_RESPONSE_BYTES)
    }

    /// The encoded size, computed without encoding.
    pub fn encoded_len(&self) -> usize {
        borsh::object_length(self).unwrap_or(usize::MAX)
    }

    /// A short error answer.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Response {
        let mut message: String = message.into();
        if message.len() > MAX_MESSAGE_LEN {
            let mut cut = MAX_MESSAGE_LEN;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        Response::Error { code, message }
    }

    /// Decodes untrusted bytes: size first, then the layout with every bound checked.
    pub fn decode(bytes: &[u8]) -> Result<Response, WireError> {
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(too_large("response", bytes.len(), MAX_RESPONSE_BYTES));
        }
        let mut c = Cursor { buf: bytes };
        let r = match c.u8("response kind")? {
            0 => Response::Status(Status {
                chain_id: c.hash("chain id")?,
                height: c.u64("tip height")?,
                tip_hash: c.hash("tip hash")?,
            }),
            1 => {
                let n = c.count(
                    "blocks returned",
                    MAX_BLOCKS_PER_REQUEST as usize,
                    HEADER_BYTES,
                )?;
                let mut blocks = Vec::with_capacity(n);
                for _ in 0..n {
                    blocks.push(block(&mut c)?);
                }
                Response::Blocks(blocks)
            }
            2 => {
                let n = c.count(
                    "headers returned",
                    MAX_HEADERS_PER_REQUEST as usize,
                    HEADER_BYTES,
                )?;
                let mut headers = Vec::with_capacity(n);
                for _ in 0..n {
                    let header = header(&mut c)?;
                    let certificate = certificate(&mut c)?;
                    let concerns = concerns(&mut c)?;
                    headers.push(CertifiedHeader {
                        header,
                        certificate,
                        concerns,
                    });
                }
                Response::Headers(headers)
            }
            3 => Response::Record(record_proof(&mut c)?),
            4 => Response::Submitted(match c.u8("submit outcome")? {
                0 => SubmitOutcome::Accepted,
                1 => SubmitOutcome::Rejected {
                    code: c.string("rejection code", MAX_CODE_LEN)?,
                    message: c.string("rejection message", MAX_MESSAGE_LEN)?,
                },
                tag => {
                    return Err(WireError::UnknownTag {
                        what: "submit outcome",
                        tag,
                    });
                }
            }),
            5 => {
                let code = match c.u8("error code")? {
                    0 => ErrorCode::Unavailable,
                    1 => ErrorCode::BadRequest,
                    2 => ErrorCode::Busy,
                    3 => ErrorCode::Unsupported,
                    tag => {
                        return Err(WireError::UnknownTag {
                            what: "error code",
                            tag,
                        });
                    }
                };
                let message = c.string("error message", MAX_MESSAGE_LEN)?;
                Response::Error { code, message }
            }
            6 => Response::TxLocation(match c.u8("location present")? {
                0 => None,
                1 => Some((c.u64("location height")?, c.u32("location index")?)),
                tag => {
                    return Err(WireError::UnknownTag {
                        what: "location",
                        tag,
                    });
                }
            }),
            7 => {
                let n = c.count("records returned", MAX_RECORDS_PER_REQUEST, 8 + 4 + 1 + 4)?;
                let mut proofs = Vec::with_capacity(n);
                for _ in 0..n {
                    proofs.push(record_proof(&mut c)?);
                }
                Response::Records(proofs)
            }
            8 => Response::Genesis(c.bytes("genesis", MAX_GENESIS_BYTES)?),
            9 => Response::Joined(match c.u8("join outcome")? {
                0 => JoinOutcome::Admitted {
                    tx: c.hash("admission transaction")?,
                    height: c.u64("admission height")?,
                },
                1 => JoinOutcome::Refused {
                    code: c.string("join refusal code", MAX_CODE_LEN)?,
                    message: c.string("join refusal message", MAX_MESSAGE_LEN)?,
                },
                tag => {
                    return Err(WireError::UnknownTag {
                        what: "join outcome",
                        tag,
                    });
                }
            }),
            10 => Response::History(history_page(&mut c)?),
            tag => {
                return Err(WireError::UnknownTag {
                    what: "response",
                    tag,
                });
            }
        };
        c.finish()?;
        Ok(r)
    }
}

/// Encodes a batch of encoded transactions for the `handoff/tx/1` topic: a count
/// (u32 LE) and each transaction as a length-prefixed byte string.
pub fn encode_tx_batch(txs: &[Vec<u8>]) -> Vec<u8> {
    borsh::to_vec(txs).unwrap_or_default()
}

/// Decodes a gossiped transaction batch from a peer: the size, the count and every
/// length are checked before anything is allocated for them, then each transaction is
/// decoded with its own limits. Signatures are the node's to check.
pub fn decode_tx_batch(bytes: &[u8]) -> Result<Vec<handoff_core::tx::SignedTx>, WireError> {
    if bytes.len() > MAX_TX_GOSSIP_BYTES {
        return Err(too_large(
            "transaction batch",
            bytes.len(),
            MAX_TX_GOSSIP_BYTES,
        ));
    }
    let mut c = Cursor { buf: bytes };
    let n = c.count("batched transactions", MAX_GOSSIP_BATCH_TXS, 4)?;
    if n == 0 {
        return Err(WireError::Invalid("an empty transaction batch"));
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let raw = c.bytes("batched transaction", handoff_core::limits::MAX_TX_BYTES)?;
        let tx = handoff_core::tx::SignedTx::decode(&raw)
            .map_err(|_| WireError::Invalid("a batched transaction does not decode"))?;
        out.push(tx);
    }
    c.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_at(height: u64) -> BlockHeader {
        BlockHeader {
            version: 1,
            chain_id: Hash32([7; 32]),
            height,
            prev_hash: Hash32([height as u8; 32]),
            time_ms: 1_700_000_000_000 + height as i64,
            proposer: PublicKey([9; 32]),
            tx_count: 1,
            tx_root: Hash32([3; 32]),
            state_root: Hash32([4; 32]),
            concerns_root: handoff_core::concerns::Concerns::default().root(),
        }
    }

    fn cert() -> Certificate {
        Certificate {
            round: 2,
            sigs: vec![CommitSig {
                validator: PublicKey([9; 32]),
                signature: [5; 64],
            }],
        }
    }

    pub(crate) fn every_request() -> Vec<Request> {
        vec![
            Request::Status,
            Request::Blocks { from: 1, count: 64 },
            Request::Headers {
                from: 0,
                count: 512,
            },
            Request::Record {
                height: 9,
                key: b"item/01/09506000134352/21/A1".to_vec(),
            },
            Request::SubmitTx { tx: vec![1; 300] },
            Request::Records {
                height: 9,
                keys: vec![b"org/a".to_vec(), b"item/01/09506000134352/21/A1".to_vec()],
            },
            Request::TxLocation {
                signer: PublicKey([6; 32]),
                nonce: 41,
            },
            Request::Genesis,
            Request::Join {
                ticket: [3; 32],
                name: "Harbor Logistics 港口".into(),
                org: PublicKey([4; 32]),
                signature: [5; 64],
            },
            Request::History {
                height: 9,
                key: "/01/09506000134352/21/A1".into(),
                from: 0,
            },
            Request::History {
                height: 12,
                key: "/00/306141410000000068".into(),
                from: 1024,
            },
        ]
    }

    pub(crate) fn every_response() -> Vec<Response> {
        vec![
            Response::Status(Status {
                chain_id: Hash32([1; 32]),
                height: 42,
                tip_hash: Hash32([2; 32]),
            }),
            Response::Blocks(vec![Block {
                header: header_at(5),
                certificate: cert(),
                concerns: Concerns::of(&[PublicKey([7; 32]), PublicKey([8; 32])]),
                txs: vec![vec![1, 2, 3]],
                outcomes: vec![Outcome {
                    code: Some("STALE_HANDOFF".into()),
                    message: Some("already accepted".into()),
                }],
            }]),
            Response::Headers(vec![
                CertifiedHeader {
                    header: header_at(1),
                    certificate: cert(),
                    concerns: Concerns::of(&[PublicKey([7; 32])]),
                },
                CertifiedHeader {
                    header: header_at(2),
                    certificate: Certificate::default(),
                    concerns: Default::default(),
                },
            ]),
            Response::Record(RecordProof {
                height: 3,
                key: b"k".to_vec(),
                value: None,
                proof: vec![0; 40],
            }),
            Response::Submitted(SubmitOutcome::Accepted),
            Response::Submitted(SubmitOutcome::Rejected {
                code: "BAD_SIGNATURE".into(),
                message: "the signature does not verify".into(),
            }),
            Response::error(ErrorCode::Unavailable, "beyond tip"),
            Response::TxLocation(None),
            Response::TxLocation(Some((12, 3))),
            Response::Records(vec![]),
            Response::Records(vec![
                RecordProof {
                    height: 3,
                    key: b"k".to_vec(),
                    value: Some(vec![1; 20]),
                    proof: vec![0; 40],
                },
                RecordProof {
                    height: 3,
                    key: b"l".to_vec(),
                    value: None,
                    proof: vec![0; 8],
                },
            ]),
            Response::Genesis(vec![9; 700]),
            Response::Joined(JoinOutcome::Admitted {
                tx: Hash32([8; 32]),
                height: 12,
            }),
            Response::Joined(JoinOutcome::Refused {
                code: "TICKET_USED".into(),
                message: "this invitation was already used".into(),
            }),
            Response::History(HistoryPage {
                record: RecordProof {
                    height: 9,
                    key: b"i/01/09506000134352/21/A1".to_vec(),
                    value: Some(vec![2; 120]),
                    proof: vec![0; 40],
                },
                from: 0,
                events: vec![vec![1; 180], vec![2; 90], vec![3; 200]],
            }),
            // The last page of a history: nothing after event 3.
            Response::History(HistoryPage {
                record: RecordProof {
                    height: 9,
                    key: b"i/00/306141410000000068".to_vec(),
                    value: None,
                    proof: vec![0; 8],
                },
                from: 3,
                events: vec![],
            }),
        ]
    }

    /// A history page answer over the wire: the encoding of `page` as a response.
    fn history_bytes(page: &HistoryPage) -> Vec<u8> {
        Response::History(page.clone()).encode().expect("encode")
    }

    fn page(events: Vec<Vec<u8>>, from: u32) -> HistoryPage {
        HistoryPage {
            record: RecordProof {
                height: 4,
                key: b"i/01/09506000134352/21/A1".to_vec(),
                value: Some(vec![7; 64]),
                proof: vec![1; 32],
            },
            from,
            events,
        }
    }

    #[test]
    fn history_pages_are_bounded() {
        // Over the count of events one page may carry, before any is read.
        let over = page(vec![vec![0; 4]; MAX_HISTORY_EVENTS_PER_RESPONSE + 1], 0);
        let e = Response::decode(&borsh::to_vec(&Response::History(over)).expect("borsh"))
            .expect_err("refused");
        assert_eq!(
            e,
            WireError::TooLarge {
                what: "history events",
                len: MAX_HISTORY_EVENTS_PER_RESPONSE as u64 + 1,
                max: MAX_HISTORY_EVENTS_PER_RESPONSE as u64,
            }
        );
        // One event over its bound.
        let big = page(vec![vec![0; MAX_HISTORY_EVENT_BYTES + 1]], 0);
        let e = Response::decode(&history_bytes(&big)).expect_err("refused");
        assert!(e.is_oversized(), "{e}");
        // Events each within bound but over the page's bound together.
        let n = MAX_HISTORY_PAGE_BYTES / MAX_HISTORY_EVENT_BYTES + 1;
        let heavy = page(vec![vec![0; MAX_HISTORY_EVENT_BYTES]; n], 0);
        assert_eq!(
            Response::decode(&history_bytes(&heavy)),
            Err(WireError::TooLarge {
                what: "history page",
                len: (n * MAX_HISTORY_EVENT_BYTES) as u64,
                max: MAX_HISTORY_PAGE_BYTES as u64,
            })
        );
        // Exactly at the page's bound is fine.
        let full = page(vec![vec![0; MAX_HISTORY_EVENT_BYTES]; n - 1], 0);
        assert_eq!(
            Response::decode(&history_bytes(&full)),
            Ok(Response::History(full))
        );
        // A page that would run past the last sequence number.
        let late = page(vec![vec![1; 4], vec![2; 4]], u32::MAX);
        assert_eq!(
            Response::decode(&history_bytes(&late)),
            Err(WireError::Invalid(
                "a history page runs past the last sequence number"
            ))
        );
        // A count of events the bytes left could never hold.
        let mut b = history_bytes(&page(vec![], 0));
        let n = b.len();
        b[n - 4..].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(
            Response::decode(&b),
            Err(WireError::Truncated("history events"))
        );
        // Requests: an empty key, a key over its bound, a key that is not UTF-8.
        let req = |key: Vec<u8>| {
            [
                vec![9],
                5u64.to_le_bytes().to_vec(),
                (key.len() as u32).to_le_bytes().to_vec(),
                key,
                0u32.to_le_bytes().to_vec(),
            ]
            .concat()
        };
        assert_eq!(
            Request::decode(&req(vec![])),
            Err(WireError::Invalid("no history key asked"))
        );
        assert!(
            Request::decode(&req(vec![b'a'; MAX_STATE_KEY_BYTES + 1]))
                .expect_err("refused")
                .is_oversized()
        );
        assert_eq!(
            Request::decode(&req(vec![0xff, 0xfe])),
            Err(WireError::BadUtf8("history key"))
        );
        assert_eq!(
            Request::decode(&req(b"/00/306141410000000068".to_vec())),
            Ok(Request::History {
                height: 5,
                key: "/00/306141410000000068".into(),
                from: 0,
            })
        );
        let too_long = Request::History {
            height: 1,
            key: "k".repeat(MAX_STATE_KEY_BYTES + 1),
            from: 0,
        };
        assert!(too_long.encode().expect_err("refused").is_oversized());
    }

    /// A small deterministic generator (xorshift), so the property tests below need no
    /// crate and fail the same way every run.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
        fn bytes(&mut self, max: u64) -> Vec<u8> {
            let n = self.below(max + 1) as usize;
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// Properties of history pages and requests: any page within the bounds encodes to
    /// bytes that decode back to it; no shorter prefix of them decodes; a page with any
    /// byte changed either decodes to another page that re-encodes to exactly those
    /// bytes, or is refused, never a panic.
    #[test]
    fn history_pages_round_trip_and_refuse_damage() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        for round in 0..300 {
            let events = (0..g.below(12)).map(|_| g.bytes(300)).collect::<Vec<_>>();
            let p = HistoryPage {
                record: RecordProof {
                    height: g.next(),
                    key: g.bytes(80),
                    value: (g.below(2) == 0).then(|| g.bytes(400)),
                    proof: g.bytes(200),
                },
                from: g.below(u64::from(u32::MAX) - 16) as u32,
                events,
            };
            let r = Response::History(p);
            let b = r.encode().expect("encode");
            assert_eq!(b.len(), r.encoded_len());
            assert_eq!(Response::decode(&b).as_ref(), Ok(&r), "round {round}");
            for cut in 0..b.len() {
                assert!(
                    Response::decode(&b[..cut]).is_err(),
                    "round {round} cut {cut}"
                );
            }
            let mut damaged = b.clone();
            let at = g.below(b.len() as u64) as usize;
            damaged[at] ^= 1 << g.below(8);
            if let Ok(other) = Response::decode(&damaged) {
                assert_eq!(other.encode().expect("re-encode"), damaged, "round {round}");
            }
            let q = Request::History {
                height: g.next(),
                key: "/01/09506000134352/21/"
                    .chars()
                    .chain((0..g.below(20)).map(|i| char::from(b'A' + (i as u8 % 26))))
                    .collect(),
                from: g.next() as u32,
            };
            let b = q.encode().expect("encode");
            assert_eq!(Request::decode(&b), Ok(q.clone()), "round {round}");
            for cut in 0..b.len() {
                assert!(
                    Request::decode(&b[..cut]).is_err(),
                    "round {round} cut {cut}"
                );
            }
        }
    }

    #[test]
    fn transaction_batches_are_bounded_and_canonical() {
        use handoff_core::crypto::Keypair;
        use handoff_core::tx::{Payload, TX_VERSION, TxBody};
        let k = Keypair::from_secret([3; 32]);
        let tx = k
            .sign_tx(TxBody {
                version: TX_VERSION,
                chain_id: Hash32([1; 32]),
                signer: k.public(),
                nonce: 0,
                event_time_ms: 1,
                payload: Payload::RevokeDevice {
                    device: PublicKey([4; 32]),
                    reason: "lost".into(),
                },
            })
            .expect("the body encodes");
        let one = encode_tx_batch(&[tx.encode(), tx.encode()]);
        let back = decode_tx_batch(&one).expect("decodes");
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].id(), tx.id());
        assert!(
            decode_tx_batch(&encode_tx_batch(&[])).is_err(),
            "empty batch"
        );
        // A count over the bound is refused before anything is read for it.
        let mut big = (MAX_GOSSIP_BATCH_TXS as u32 + 1).to_le_bytes().to_vec();
        big.extend(vec![0; 64]);
        assert!(decode_tx_batch(&big).is_err());
        let mut trailing = one.clone();
        trailing.push(0);
        assert!(decode_tx_batch(&trailing).is_err());
        assert!(decode_tx_batch(&one[..one.len() - 1]).is_err(), "truncated");
        let mut bad = one.clone();
        bad[8] ^= 0xff;
        assert!(decode_tx_batch(&bad).is_err(), "a mangled transaction");
    }

    #[test]
    fn every_kind_round_trips_canonically() {
        for r in every_request() {
            let b = r.encode().expect("encode");
            assert_eq!(Request::decode(&b), Ok(r.clone()));
        }
        for r in every_response() {
            let b = r.encode().expect("encode");
            assert_eq!(b.len(), r.encoded_len());
            assert_eq!(Response::decode(&b), Ok(r.clone()));
        }
    }

    #[test]
    fn a_huge_length_prefix_is_refused_before_allocating() {
        // SubmitTx with a 4 GB length prefix and no body.
        let mut b = vec![4u8];
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        let e = Request::decode(&b).expect_err("refused");
        assert!(e.is_oversized(), "{e}");
        // Blocks response claiming 64 blocks with no bytes behind it.
        let mut b = vec![1u8];
        b.extend_from_slice(&64u32.to_le_bytes());
        assert_eq!(
            Response::decode(&b),
            Err(WireError::Truncated("blocks returned"))
        );
        // A block claiming u32::MAX transactions.
        let mut b = vec![1u8];
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&borsh::to_vec(&header_at(1)).expect("header"));
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(Response::decode(&b).expect_err("refused").is_oversized());
    }

    #[test]
    fn refusals() {
        let cases: Vec<(Vec<u8>, WireError)> = vec![
            (vec![], WireError::Truncated("request kind")),
            (
                vec![10],
                WireError::UnknownTag {
                    what: "request",
                    tag: 10,
                },
            ),
            (vec![0, 0], WireError::TrailingBytes(1)),
            (
                [
                    vec![1],
                    5u64.to_le_bytes().to_vec(),
                    0u32.to_le_bytes().to_vec(),
                ]
                .concat(),
                WireError::Invalid("a range must ask for at least one entry"),
            ),
            (
                [
                    vec![1],
                    5u64.to_le_bytes().to_vec(),
                    65u32.to_le_bytes().to_vec(),
                ]
                .concat(),
                WireError::TooLarge {
                    what: "blocks requested",
                    len: 65,
                    max: 64,
                },
            ),
            (vec![1, 0, 0], WireError::Truncated("from height")),
            (
                [
                    vec![6],
                    5u64.to_le_bytes().to_vec(),
                    0u32.to_le_bytes().to_vec(),
                ]
                .concat(),
                WireError::Invalid("no state keys asked"),
            ),
            (
                [
                    vec![6],
                    5u64.to_le_bytes().to_vec(),
                    (MAX_RECORDS_PER_REQUEST as u32 + 1).to_le_bytes().to_vec(),
                ]
                .concat(),
                WireError::TooLarge {
                    what: "state keys",
                    len: MAX_RECORDS_PER_REQUEST as u64 + 1,
                    max: MAX_RECORDS_PER_REQUEST as u64,
                },
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(Request::decode(&bytes), Err(want), "{bytes:?}");
        }
        let big = vec![4u8; MAX_REQUEST_BYTES + 1];
        assert!(Request::decode(&big).expect_err("refused").is_oversized());
        // Not UTF-8 in an error message.
        let b = [vec![5, 0], 2u32.to_le_bytes().to_vec(), vec![0xff, 0xfe]].concat();
        assert_eq!(
            Response::decode(&b),
            Err(WireError::BadUtf8("error message"))
        );
        // A bad option flag.
        let b = [
            vec![3],
            1u64.to_le_bytes().to_vec(),
            0u32.to_le_bytes().to_vec(),
            vec![2],
        ]
        .concat();
        assert_eq!(
            Response::decode(&b),
            Err(WireError::UnknownTag {
                what: "record value",
                tag: 2
            })
        );
    }

    #[test]
    fn invitation_messages_are_bounded() {
        // A join name over its bound, before any byte of it is read.
        let b = [
            vec![8],
            vec![3; 32],
            (MAX_JOIN_NAME_LEN as u32 + 1).to_le_bytes().to_vec(),
        ]
        .concat();
        assert_eq!(
            Request::decode(&b),
            Err(WireError::TooLarge {
                what: "join name",
                len: MAX_JOIN_NAME_LEN as u64 + 1,
                max: MAX_JOIN_NAME_LEN as u64,
            })
        );
        // A join without its signature.
        let b = [
            vec![8],
            vec![3; 32],
            1u32.to_le_bytes().to_vec(),
            b"H".to_vec(),
            vec![4; 32],
            vec![5; 63],
        ]
        .concat();
        assert_eq!(
            Request::decode(&b),
            Err(WireError::Truncated("join signature"))
        );
        // A name that is not UTF-8.
        let b = [
            vec![8],
            vec![3; 32],
            2u32.to_le_bytes().to_vec(),
            vec![0xff, 0xfe],
            vec![4; 32],
            vec![5; 64],
        ]
        .concat();
        assert_eq!(Request::decode(&b), Err(WireError::BadUtf8("join name")));
        // A genesis request carries nothing.
        assert_eq!(Request::decode(&[7, 0]), Err(WireError::TrailingBytes(1)));
        // A genesis over its bound is refused before it is read.
        let b = [
            vec![8],
            (MAX_GENESIS_BYTES as u32 + 1).to_le_bytes().to_vec(),
        ]
        .concat();
        assert!(Response::decode(&b).expect_err("refused").is_oversized());
        let r = Response::Genesis(vec![0; MAX_GENESIS_BYTES + 1]);
        assert!(Response::decode(&borsh::to_vec(&r).expect("borsh")).is_err());
        // An outcome tag that means nothing.
        assert_eq!(
            Response::decode(&[9, 2]),
            Err(WireError::UnknownTag {
                what: "join outcome",
                tag: 2
            })
        );
        // A refusal code over its bound.
        let b = [vec![9, 1], (MAX_CODE_LEN as u32 + 1).to_le_bytes().to_vec()].concat();
        assert!(Response::decode(&b).expect_err("refused").is_oversized());
    }

    #[test]
    fn the_join_message_binds_chain_ticket_key_and_name() {
        let base = join_message(
            &Hash32([1; 32]),
            &Hash32([2; 32]),
            &PublicKey([3; 32]),
            "Harbor",
        );
        assert!(base.starts_with(JOIN_DOMAIN));
        for other in [
            join_message(
                &Hash32([9; 32]),
                &Hash32([2; 32]),
                &PublicKey([3; 32]),
                "Harbor",
            ),
            join_message(
                &Hash32([1; 32]),
                &Hash32([9; 32]),
                &PublicKey([3; 32]),
                "Harbor",
            ),
            join_message(
                &Hash32([1; 32]),
                &Hash32([2; 32]),
                &PublicKey([9; 32]),
                "Harbor",
            ),
            join_message(
                &Hash32([1; 32]),
                &Hash32([2; 32]),
                &PublicKey([3; 32]),
                "Harbour",
            ),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn too_large_values_are_not_encoded() {
        let r = Request::SubmitTx {
            tx: vec![0; MAX_SUBMIT_TX_BYTES + 1],
        };
        // Over the field bound the receiver checks, and over the frame bound.
        assert!(r.encode().expect_err("refused").is_oversized());
        assert!(Request::decode(&borsh::to_vec(&r).expect("borsh")).is_err());
        let r = Request::Record {
            height: 1,
            key: vec![0; MAX_REQUEST_BYTES],
        };
        assert!(r.encode().expect_err("refused").is_oversized());
    }

    /// Writes the `net_msg` fuzz seeds (selector byte ‖ frame body) when
    /// `HANDOFF_FUZZ_SEEDS` names the seeds folder.
    #[test]
    fn write_fuzz_seeds() {
        let Some(dir) = std::env::var_os("HANDOFF_FUZZ_SEEDS") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir).join("net_msg");
        std::fs::create_dir_all(&dir).expect("seed dir");
        for (i, r) in every_request().iter().enumerate() {
            let b = [vec![0], r.encode().expect("encode")].concat();
            std::fs::write(dir.join(format!("req{i}")), b).expect("seed");
        }
        for (i, r) in every_response().iter().enumerate() {
            let b = [vec![1], r.encode().expect("encode")].concat();
            std::fs::write(dir.join(format!("res{i}")), b).expect("seed");
        }
    }

    #[test]
    fn truncations_of_valid_frames_never_decode() {
        for r in every_response() {
            let b = r.encode().expect("encode");
            for cut in 0..b.len() {
                assert!(Response::decode(&b[..cut]).is_err(), "{r:?} cut at {cut}");
            }
        }
        for r in every_request() {
            let b = r.encode().expect("encode");
            for cut in 0..b.len() {
                assert!(Request::decode(&b[..cut]).is_err(), "{r:?} cut at {cut}");
            }
        }
    }
}
