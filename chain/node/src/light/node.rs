//! The light node on the network: header sync, proven reads, the outbox pump, and the
//! tokio runtime it runs on ([`Running`]).

use super::{LightStore, OutboxEntry, OutboxStatus, check_next, entry_outcome, verify_record};
use anyhow::{Context, Result, anyhow, bail};
use handoff_core::block::{Block, BlockHeader};
use handoff_core::governance::follow_validator_change;
use handoff_core::light::HeaderError;
use handoff_core::light::check_filter;
use handoff_core::rejection::Code;
use handoff_core::state::{ReadError, Record, StateKey, StateRead};
use handoff_core::types::PublicKey;
use handoff_net::{
    CertifiedHeader, ErrorCode, Misbehaviour, Multiaddr, NetConfig, NetEvent, NetHandle, Network,
    PeerId, Request, Response, SubmitOutcome, Topic, Verdict,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

use handoff_net::limits::MAX_RECORDS_PER_REQUEST;

/// Headers asked for in one request.
const HEADER_BATCH: u32 = handoff_net::limits::MAX_HEADERS_PER_REQUEST;
/// A submitted entry not found on the chain after this long is submitted again (the full
/// node may have restarted and lost its queue).
const RESUBMIT_AFTER: Duration = Duration::from_secs(15);
/// How often the node looks for work when nothing is announced.
const TICK: Duration = Duration::from_millis(500);
/// Requests this node sends in any one second, at most: under the full nodes' per-peer
/// limit (`MAX_REQUESTS_PER_PEER_PER_SEC`), which scores a peer over it and bans one that
/// stays over it. Catching up on a day of the org's blocks is a burst of block and record
/// requests; without this the node was banned by the peer it depends on.
const REQUESTS_PER_SECOND: usize = 40;
/// Requests one outbox step makes, at most.
const STEP_REQUESTS: usize = 24;
/// How often the account nonce is read again.
const NONCE_REFRESH: Duration = Duration::from_secs(5);
/// Pauses before asking again when a full node answers `Busy` (its per-peer request
/// window is one second): a read waits out a busy moment instead of failing.
const BUSY_BACKOFF: [Duration; 4] = [
    Duration::from_millis(150),
    Duration::from_millis(300),
    Duration::from_millis(600),
    Duration::from_millis(1000),
];

/// Whether a full node's refusal of a submission is worth trying again later.
fn transient(code: &str, message: &str) -> bool {
    // STORE_FAULT: that node's store failed to check it, which says nothing about the
    // transaction; another node (or the same one, repaired) may take it.
    code == "BUSY"
        || code == "STORE_FAULT"
        || (code == Code::TooLarge.as_str() && message.contains("full"))
}

/// A light node on the network.
pub struct LightNode {
    pub(super) store: Arc<LightStore>,
    net: NetHandle,
    /// The identities whose account nonces the node keeps read (the folder's identity at
    /// start, and every identity that queues a transaction here).
    signers: Mutex<Vec<PublicKey>>,
    pub(super) peers: Arc<Mutex<Vec<PeerId>>>,
    max_inflight: usize,
    pump: bool,
    submitted_at: Mutex<HashMap<u64, Instant>>,
    changed: Arc<dyn Fn() + Send + Sync>,
    rr: Mutex<usize>,
    /// When the requests of the last second were (or will be) sent (see [`LightNode::send`]).
    sent: Mutex<std::collections::VecDeque<Instant>>,
    /// When each watched signer's account was last read.
    nonce_read: Mutex<HashMap<PublicKey, Instant>>,
    /// What this node refused from peers lately (headers whose filter does not match,
    /// blocks that do not match their header), newest last.
    refusals: Mutex<std::collections::VecDeque<String>>,
    /// What it downloaded.
    traffic: Mutex<Traffic>,
    /// Peers this node reported for data that does not verify (some may be banned now).
    reported: Mutex<std::collections::HashSet<PeerId>>,
}

/// What a light node downloaded since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Requests answered.
    pub requests: u64,
    /// Encoded bytes of every answer.
    pub bytes: u64,
    /// Of those, answers with headers (and their blocks' filters).
    pub header_bytes: u64,
    /// Blocks fetched (to index the org's, or to confirm an outbox entry).
    pub blocks: u64,
}

/// Refusals kept for the status answer.
const MAX_REFUSALS: usize = 32;
/// Reported peers remembered (to say why none is connected); a light node dials a few.
const MAX_REPORTED: usize = 256;

/// Where a submitted entry stands after a look at the chain.
enum Confirm {
    /// Committed or rejected, recorded.
    Final,
    /// Not on the chain (yet).
    Unknown,
    /// No answer now; try again later.
    Later,
}

fn request_err(r: Result<Response, handoff_net::NetError>) -> Result<Response> {
    r.map_err(|e| anyhow!("{e}"))
}

impl LightNode {
    /// The identity the folder signs with (the first watched signer).
    pub(super) fn identity(&self) -> Option<PublicKey> {
        self.signers.lock().ok().and_then(|s| s.first().copied())
    }

    /// Every key that signs on this node.
    pub(super) fn signer_keys(&self) -> Vec<PublicKey> {
        self.signers.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The keys whose blocks this node follows: the followed org's (once it is known),
    /// every key that signs here, and the signers of outbox entries still waiting for
    /// the chain (queued before this run watched them). A header whose filter names one
    /// of them is kept for its block; the others are looked at once, as they arrive.
    pub(super) fn followed_keys(&self) -> Result<Vec<PublicKey>> {
        let mut keys = self.signer_keys();
        keys.extend(self.store.followed()?);
        for e in self.store.open_entries()? {
            keys.push(e.signer);
        }
        keys.sort_unstable_by_key(|k| k.0);
        keys.dedup();
        Ok(keys)
    }

    /// Notes a refusal of a peer's data (kept for the status answer and logged).
    pub(super) fn refused(&self, why: String) {
        eprintln!("light: {why}");
        if let Ok(mut r) = self.refusals.lock() {
            if r.len() >= MAX_REFUSALS {
                r.pop_front();
            }
            r.push_back(why);
        }
    }

    /// What this node refused from peers lately, oldest first.
    pub fn refusals(&self) -> Vec<String> {
        self.refusals
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// What the node downloaded since it started.
    pub fn traffic(&self) -> Traffic {
        self.traffic.lock().map(|t| *t).unwrap_or_default()
    }

    fn count(&self, r: &Response) {
        if let Ok(mut t) = self.traffic.lock() {
            let n = r.encoded_len() as u64;
            t.requests += 1;
            t.bytes += n;
            match r {
                Response::Headers(_) => t.header_bytes += n,
                Response::Blocks(bs) => t.blocks += bs.len() as u64,
                _ => {}
            }
        }
    }

    /// Tells the host that what the node shows changed.
    pub(super) fn changed_now(&self) {
        self.changed();
    }

    /// One request to `peer` (answered `Busy`, asked again after a pause).
    pub(super) async fn request(&self, peer: PeerId, request: Request) -> Result<Response> {
        Ok(self.ask(peer, request).await.map_err(|e| anyhow!("{e}"))?.1)
    }

    /// Reports a peer that sent data that does not verify (every report of this node goes
    /// through here): the network scores it, and bans it at the threshold.
    pub(super) async fn report_peer(&self, peer: PeerId, m: Misbehaviour) -> Result<()> {
        {
            let mut reported = self.reported.lock().unwrap_or_else(|p| p.into_inner());
            if reported.len() < MAX_REPORTED {
                reported.insert(peer);
            }
        }
        self.net.report(peer, m).await.map_err(|e| anyhow!("{e}"))
    }

    /// How many of the peers this node reported are banned now: with no peer connected,
    /// the reason a read cannot be proven may be that the only ones known lied.
    pub(super) async fn banned_peers(&self) -> usize {
        let reported: Vec<PeerId> = self
            .reported
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect();
        let mut banned = 0;
        for p in reported {
            if matches!(self.net.score(p).await, Ok((_, true))) {
                banned += 1;
            }
        }
        banned
    }

    /// A peer to ask (round robin over the connected ones).
    pub(super) fn peer(&self) -> Option<PeerId> {
        let peers = self.peers.lock().ok()?;
        if peers.is_empty() {
            return None;
        }
        let mut rr = self.rr.lock().ok()?;
        *rr = rr.wrapping_add(1);
        Some(peers[*rr % peers.len()])
    }

    /// Sends one request, paced to at most [`REQUESTS_PER_SECOND`] in any second: every
    /// request of this node to a peer goes through here.
    async fn send(
        &self,
        peer: PeerId,
        request: Request,
    ) -> Result<Response, handoff_net::NetError> {
        let wait = {
            let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let second = Duration::from_secs(1);
            while sent
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= second)
            {
                sent.pop_front();
            }
            // The slot of this request: now, or a second after the oldest of the last
            // `REQUESTS_PER_SECOND` (reserved, so concurrent callers queue behind it).
            let at = match sent.front() {
                Some(first) if sent.len() >= REQUESTS_PER_SECOND => {
                    let at = *first + second;
                    sent.pop_front();
                    at
                }
                _ => now,
            };
            sent.push_back(at);
            at.saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        self.net.request(peer, request).await
    }

    /// A request to `peer`; answered `Busy`, it is asked again after a pause (of
    /// [`BUSY_BACKOFF`]), of the next connected peer when there is one. Answers the
    /// peer that answered (the one to hold to its answer) and its answer; any answer
    /// other than `Busy`, and the last `Busy`, is the caller's to judge.
    pub(super) async fn ask(
        &self,
        peer: PeerId,
        request: Request,
    ) -> Result<(PeerId, Response), handoff_net::NetError> {
        let mut to = peer;
        for pause in BUSY_BACKOFF {
            match self.send(to, request.clone()).await? {
                Response::Error {
                    code: ErrorCode::Busy,
                    ..
                } => {
                    tokio::time::sleep(pause).await;
                    to = self.peer().unwrap_or(peer);
                }
                answer => {
                    self.count(&answer);
                    return Ok((to, answer));
                }
            }
        }
        let answer = self.send(to, request).await?;
        self.count(&answer);
        Ok((to, answer))
    }

    /// Takes headers from `peer` until this node is at its tip.
    pub(super) async fn sync_headers(&self, peer: PeerId) -> Result<()> {
        loop {
            let tip = self.store.tip()?;
            let (from, r) = self
                .ask(
                    peer,
                    Request::Headers {
                        from: tip + 1,
                        count: HEADER_BATCH,
                    },
                )
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let hs = match r {
                Response::Headers(hs) => hs,
                Response::Error {
                    code: ErrorCode::Unavailable,
                    ..
                } => return Ok(()),
                other => bail!("unexpected answer to a header request: {other:?}"),
            };
            if hs.is_empty() {
                return Ok(());
            }
            let n = hs.len();
            self.take_headers(from, hs).await?;
            self.changed();
            // The org is known as soon as the chain holds it: from then on only the
            // headers of its blocks are kept (`LightStore::append_headers`).
            // Until then every header is kept, so a failed read here only costs disk.
            if self.store.followed()?.is_none()
                && let Err(e) = self.followed_org(from).await
            {
                eprintln!("light: the org of this node's identity: {e:#}");
            }
            if n < HEADER_BATCH as usize {
                return Ok(());
            }
        }
    }

    /// Verifies consecutive headers from `peer` and stores those that verify.
    async fn take_headers(&self, peer: PeerId, hs: Vec<CertifiedHeader>) -> Result<()> {
        let chain_id = self.store.chain_id()?;
        let mut tip = self.store.tip()?;
        let mut tip_header = self.store.header(tip)?.map(|(h, _)| h);
        let mut set = self.store.validators()?;
        let mut good = Vec::new();
        let mut new_set = false;
        let keep = self.followed_keys()?;
        for ch in hs {
            if ch.header.height <= tip && good.is_empty() {
                continue;
            }
            match check_next(
                &chain_id,
                tip,
                tip_header.as_ref(),
                &set.validators,
                &ch.header,
                &ch.certificate,
            ) {
                Ok(()) => {}
                Err(HeaderError::Certificate) if tip_header.is_some() => {
                    // Possibly a new validator set: the one proven against the tip's state.
                    // Store what verified so far, so the proof is asked at a stored tip.
                    let prev = tip_header.clone().ok_or_else(|| anyhow!("no tip"))?;
                    // Asked of the peer that sent the headers: it answers for both.
                    let r = request_err(
                        self.send(
                            peer,
                            Request::Record {
                                height: prev.height,
                                key: StateKey::Validators.to_bytes(),
                            },
                        )
                        .await,
                    )?;
                    let followed = match r {
                        Response::Record(p) => follow_validator_change(
                            &set.validators,
                            &prev,
                            &ch.header,
                            &ch.certificate,
                            &p,
                        )
                        .ok(),
                        _ => None,
                    };
                    match followed {
                        Some(s) => {
                            set = s;
                            new_set = true;
                        }
                        None => {
                            self.store
                                .append_headers(&good, new_set.then_some(&set), &keep)?;
                            let _ = self.report_peer(peer, Misbehaviour::InvalidBlock).await;
                            bail!(
                                "header {} from {peer} is not certified by its validators",
                                ch.header.height
                            );
                        }
                    }
                }
                Err(e) => {
                    self.store
                        .append_headers(&good, new_set.then_some(&set), &keep)?;
                    let _ = self.report_peer(peer, Misbehaviour::InvalidBlock).await;
                    self.refused(format!("header {} from {peer}: {e}", ch.header.height));
                    bail!("header {} from {peer}: {e}", ch.header.height);
                }
            }
            // The filter must be the one the certified header commits to: a peer that
            // leaves the org out of it (to hide a block) is refused and reported.
            if let Err(e) = check_filter(&ch.header, &ch.concerns) {
                self.store
                    .append_headers(&good, new_set.then_some(&set), &keep)?;
                let _ = self.report_peer(peer, Misbehaviour::InvalidBlock).await;
                self.refused(format!("header {} from {peer}: {e}", ch.header.height));
                bail!("header {} from {peer}: {e}", ch.header.height);
            }
            tip = ch.header.height;
            tip_header = Some(ch.header.clone());
            good.push((ch.header, ch.certificate, ch.concerns));
        }
        Ok(self
            .store
            .append_headers(&good, new_set.then_some(&set), &keep)?)
    }

    /// A record read at the light tip with its proof verified against the certified
    /// header there.
    pub async fn record(&self, key: &StateKey) -> Result<(Option<Record>, u64)> {
        let peer = self.peer().ok_or_else(|| anyhow!("no peer is connected"))?;
        let _ = self.sync_headers(peer).await;
        self.record_at(peer, key).await
    }

    /// [`LightNode::record`] from `peer` at the current light tip, without syncing first.
    async fn record_at(&self, peer: PeerId, key: &StateKey) -> Result<(Option<Record>, u64)> {
        let header = self.tip_header()?;
        let rec = self.proven(peer, &header, key).await?;
        Ok((rec, header.height))
    }

    /// The certified header at the light tip (an error before the first one).
    pub(super) fn tip_header(&self) -> Result<BlockHeader> {
        let tip = self.store.tip()?;
        if tip == 0 {
            bail!("no certified header yet");
        }
        let (header, _) = self
            .store
            .header(tip)?
            .ok_or_else(|| anyhow!("header {tip} is missing"))?;
        Ok(header)
    }

    /// A record from `peer` at `header`'s height, its proof verified against that
    /// certified header's state root. `Ok(None)` only for a proven absence; a proof that
    /// is missing, malformed, forged or for another key or height is
    /// [`ReadError::Proof`] (`PROOF_INVALID`, and the peer is reported), no answer at all
    /// is [`ReadError::Unavailable`].
    pub(super) async fn proven(
        &self,
        peer: PeerId,
        header: &BlockHeader,
        key: &StateKey,
    ) -> Result<Option<Record>, ReadError> {
        Ok(self.proven_sized(peer, header, key).await?.0)
    }

    /// [`LightNode::proven`], with the size of the Merkle proof that was checked.
    pub(super) async fn proven_sized(
        &self,
        peer: PeerId,
        header: &BlockHeader,
        key: &StateKey,
    ) -> Result<(Option<Record>, u64), ReadError> {
        let kb = key.to_bytes();
        let unavailable = |detail: String| ReadError::Unavailable {
            key: key.describe(),
            detail,
        };
        let (peer, r) = self
            .ask(
                peer,
                Request::Record {
                    height: header.height,
                    key: kb.clone(),
                },
            )
            .await
            .map_err(|e| unavailable(format!("the peer did not answer: {e}")))?;
        let p = match r {
            Response::Record(p) => p,
            Response::Error { code, message } => {
                return Err(unavailable(format!(
                    "the peer has no proof ({code:?}: {message})"
                )));
            }
            _ => {
                let _ = self.report_peer(peer, Misbehaviour::BadResponse).await;
                return Err(ReadError::Proof {
                    key: key.describe(),
                    detail: "the peer answered without a proof".into(),
                });
            }
        };
        match verify_record(header, &kb, &p) {
            Ok(rec) => Ok((rec, p.proof.len() as u64)),
            Err(e) => {
                let _ = self.report_peer(peer, Misbehaviour::BadResponse).await;
                Err(ReadError::Proof {
                    key: key.describe(),
                    detail: format!("{e:#} (block {})", header.height),
                })
            }
        }
    }

    /// Records from `peer` at `header`'s height, each proof verified against that
    /// certified header's state root, asked [`MAX_RECORDS_PER_REQUEST`] at a time (a
    /// pallet's contents in one request). Same verdicts as [`LightNode::proven`].
    pub(super) async fn proven_many(
        &self,
        peer: PeerId,
        header: &BlockHeader,
        keys: &[StateKey],
    ) -> Result<Vec<Option<Record>>, ReadError> {
        let mut out = Vec::with_capacity(keys.len());
        while out.len() < keys.len() {
            let rest = &keys[out.len()..];
            let chunk = &rest[..rest.len().min(MAX_RECORDS_PER_REQUEST)];
            let first = chunk[0].describe();
            let unavailable = |detail: String| ReadError::Unavailable {
                key: first.clone(),
                detail,
            };
            let (peer, r) = self
                .ask(
                    peer,
                    Request::Records {
                        height: header.height,
                        keys: chunk.iter().map(StateKey::to_bytes).collect(),
                    },
                )
                .await
                .map_err(|e| unavailable(format!("the peer did not answer: {e}")))?;
            let proofs = match r {
                Response::Records(ps) if !ps.is_empty() && ps.len() <= chunk.len() => ps,
                Response::Error { code, message } => {
                    return Err(unavailable(format!(
                        "the peer has no proof ({code:?}: {message})"
                    )));
                }
                _ => {
                    let _ = self.report_peer(peer, Misbehaviour::BadResponse).await;
                    return Err(ReadError::Proof {
                        key: first,
                        detail: "the peer answered without the proofs asked".into(),
                    });
                }
            };
            for (key, p) in chunk.iter().zip(&proofs) {
                match verify_record(header, &key.to_bytes(), p) {
                    Ok(rec) => out.push(rec),
                    Err(e) => {
                        let _ = self.report_peer(peer, Misbehaviour::BadResponse).await;
                        return Err(ReadError::Proof {
                            key: key.describe(),
                            detail: format!("{e:#} (block {})", header.height),
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    fn changed(&self) {
        (self.changed)();
    }

    /// Brings outbox entries one step further with `peer`, with at most
    /// [`STEP_REQUESTS`] requests (a full node answers more than a few dozen a second
    /// from one peer with `Busy` and scores it down).
    async fn pump(&self, peer: PeerId) -> Result<()> {
        let entries = self.store.open_entries()?;
        let mut budget = STEP_REQUESTS;
        let mut inflight = 0usize;
        // One signer's transactions commit in nonce order: once one is not on the chain
        // yet, the later ones are not either.
        let mut waiting = false;
        let mut blocks: HashMap<u64, Block> = HashMap::new();
        for mut e in entries {
            if budget == 0 {
                return Ok(());
            }
            match e.status {
                OutboxStatus::Committed { .. } | OutboxStatus::Rejected { .. } => continue,
                OutboxStatus::Submitted => {
                    inflight += 1;
                    if waiting {
                        if self.stale(e.seq) {
                            budget -= 1;
                            self.submit(peer, &mut e).await?;
                        }
                        continue;
                    }
                    match self.confirm(peer, &mut e, &mut blocks, &mut budget).await? {
                        Confirm::Final => inflight -= 1,
                        Confirm::Unknown => waiting = true,
                        Confirm::Later => return Ok(()),
                    }
                }
                OutboxStatus::Pending => {
                    if inflight >= self.max_inflight {
                        return Ok(());
                    }
                    budget -= 1;
                    if !self.submit(peer, &mut e).await? {
                        // Strict order: nothing after a refused or unanswered entry.
                        return Ok(());
                    }
                    inflight += 1;
                }
            }
        }
        Ok(())
    }

    /// Whether a submitted entry has waited long enough (or since before a restart) to
    /// be submitted again.
    fn stale(&self, seq: u64) -> bool {
        self.submitted_at
            .lock()
            .ok()
            .and_then(|m| m.get(&seq).copied())
            .is_none_or(|t| t.elapsed() > RESUBMIT_AFTER)
    }

    /// Submits a pending entry; whether it was accepted (or refused for good).
    async fn submit(&self, peer: PeerId, e: &mut OutboxEntry) -> Result<bool> {
        let r = self
            .send(peer, Request::SubmitTx { tx: e.tx.clone() })
            .await;
        match r {
            Ok(Response::Submitted(SubmitOutcome::Accepted)) => {
                if e.status != OutboxStatus::Submitted {
                    e.status = OutboxStatus::Submitted;
                    self.store.put_entry(e)?;
                    self.changed();
                }
                if let Ok(mut m) = self.submitted_at.lock() {
                    m.insert(e.seq, Instant::now());
                }
                Ok(true)
            }
            Ok(Response::Submitted(SubmitOutcome::Rejected { code, message }))
                if !transient(&code, &message) =>
            {
                e.status = OutboxStatus::Rejected {
                    code,
                    message,
                    height: None,
                };
                self.store.put_entry(e)?;
                self.changed();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Looks for a submitted entry's block and, found, makes it final.
    async fn confirm(
        &self,
        peer: PeerId,
        e: &mut OutboxEntry,
        blocks: &mut HashMap<u64, Block>,
        budget: &mut usize,
    ) -> Result<Confirm> {
        *budget = budget.saturating_sub(1);
        let r = self
            .send(
                peer,
                Request::TxLocation {
                    signer: e.signer,
                    nonce: e.nonce,
                },
            )
            .await;
        let (height, index) = match r {
            Ok(Response::TxLocation(Some(loc))) => loc,
            Ok(Response::TxLocation(None)) => {
                if self.stale(e.seq) {
                    // Unknown to the chain a while after it was accepted (or since a
                    // restart of this node): submit it again; harmless if queued.
                    *budget = budget.saturating_sub(1);
                    self.submit(peer, e).await?;
                }
                return Ok(Confirm::Unknown);
            }
            _ => return Ok(Confirm::Later),
        };
        if height > self.store.tip()? {
            *budget = budget.saturating_sub(1);
            self.sync_headers(peer).await?;
        }
        let Some((header, _)) = self.store.header(height)? else {
            return Ok(Confirm::Later);
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = blocks.entry(height) {
            *budget = budget.saturating_sub(1);
            let r = request_err(
                self.send(
                    peer,
                    Request::Blocks {
                        from: height,
                        count: 1,
                    },
                )
                .await,
            )?;
            let Response::Blocks(bs) = r else {
                return Ok(Confirm::Later);
            };
            let Some(b) = bs.into_iter().next() else {
                return Ok(Confirm::Later);
            };
            slot.insert(b);
        }
        let Some(block) = blocks.get(&height) else {
            return Ok(Confirm::Later);
        };
        match entry_outcome(&header, block, index, &e.id, e.nonce) {
            Ok(status) => {
                e.status = status;
                self.store.put_entry(e)?;
                if let Ok(mut m) = self.submitted_at.lock() {
                    m.remove(&e.seq);
                }
                self.changed();
                Ok(Confirm::Final)
            }
            Err(err) => {
                blocks.remove(&height);
                let _ = self.report_peer(peer, Misbehaviour::InvalidBlock).await;
                Err(err.into())
            }
        }
    }

    /// Keeps `signer`'s account nonce read from now on (idempotent).
    pub fn watch(&self, signer: PublicKey) {
        if let Ok(mut s) = self.signers.lock()
            && !s.contains(&signer)
        {
            s.push(signer);
        }
    }

    /// Reads and stores each watched signer's account nonce with a proof (each at most
    /// once per `NONCE_REFRESH`).
    async fn refresh_nonce(&self, peer: PeerId) -> Result<()> {
        let signers = self.signers.lock().map(|s| s.clone()).unwrap_or_default();
        for signer in signers {
            let fresh = self
                .nonce_read
                .lock()
                .ok()
                .and_then(|t| t.get(&signer).copied())
                .is_some_and(|t| t.elapsed() < NONCE_REFRESH);
            if !fresh {
                self.read_nonce(peer, signer).await?;
            }
        }
        Ok(())
    }

    /// Reads `signer`'s account nonce at the tip with a proof and stores it.
    pub async fn read_nonce(&self, peer: PeerId, signer: PublicKey) -> Result<u64> {
        let (rec, _) = self.record_at(peer, &StateKey::Account(signer)).await?;
        if let Ok(mut t) = self.nonce_read.lock() {
            t.insert(signer, Instant::now());
        }
        let next = match rec {
            Some(Record::Account(a)) => a.next_nonce,
            None => 0,
            Some(_) => bail!("the account record is not an account"),
        };
        self.store.set_known_nonce(&signer, next)?;
        self.changed();
        Ok(next)
    }

    /// One round of work with one peer.
    async fn step(&self) {
        let Some(peer) = self.peer() else {
            return;
        };
        if let Err(e) = self.sync_headers(peer).await {
            eprintln!("light: header sync with {peer}: {e:#}");
            return;
        }
        if let Err(e) = self.refresh_nonce(peer).await {
            eprintln!("light: account nonce: {e:#}");
        }
        if let Err(e) = self.follow(peer).await {
            eprintln!("light: following the org: {e:#}");
        }
        if self.pump
            && let Err(e) = self.pump(peer).await
        {
            eprintln!("light: outbox: {e:#}");
        }
    }
}

/// Answers gossip (block announcements are checked and passed on; nothing else is
/// relayed) and refuses requests (a light node serves nothing).
async fn net_loop(
    store: Arc<LightStore>,
    net: NetHandle,
    peers: Arc<Mutex<Vec<PeerId>>>,
    mut events: mpsc::Receiver<NetEvent>,
    announced: mpsc::Sender<()>,
) {
    while let Some(ev) = events.recv().await {
        match ev {
            NetEvent::Gossip {
                peer,
                topic,
                msg_id,
                data,
            } => {
                let verdict = match topic {
                    Topic::Blocks => match Response::decode(&data) {
                        Ok(Response::Headers(hs)) if hs.len() == 1 => {
                            let ch = &hs[0];
                            let ok = store.chain_id().is_ok_and(|c| c == ch.header.chain_id)
                                && store.validators().is_ok_and(|s| {
                                    ch.certificate.verify(&ch.header, &s.validators)
                                });
                            if ok {
                                if store.tip().is_ok_and(|t| ch.header.height > t) {
                                    let _ = announced.try_send(());
                                }
                                Verdict::Accept
                            } else {
                                Verdict::Ignore
                            }
                        }
                        _ => Verdict::Reject,
                    },
                    _ => Verdict::Ignore,
                };
                let _ = net.report_validation(msg_id, peer, verdict).await;
            }
            NetEvent::Request { reply, .. } => {
                let _ = net
                    .respond(
                        reply,
                        Response::error(ErrorCode::Unsupported, "a light node serves nothing"),
                    )
                    .await;
            }
            NetEvent::PeerConnected(p) => {
                if let Ok(mut v) = peers.lock()
                    && !v.contains(&p)
                {
                    v.push(p);
                }
                let _ = announced.try_send(());
            }
            NetEvent::PeerDisconnected(p) | NetEvent::PeerBanned(p) => {
                if let Ok(mut v) = peers.lock() {
                    v.retain(|x| *x != p);
                }
            }
            NetEvent::Listening(_) => {}
        }
    }
}

/// How `light run` runs.
#[derive(Clone, Debug)]
pub struct LightOptions {
    /// Peers to dial and keep dialing.
    pub peers: Vec<Multiaddr>,
    /// Find peers on the LAN.
    pub mdns: bool,
    /// Submitted entries waiting for their block at once, at most.
    pub max_inflight: usize,
    /// Submit the outbox (off for a one-shot read).
    pub pump: bool,
}

/// A light node running on its own tokio runtime.
pub struct Running {
    runtime: tokio::runtime::Runtime,
    node: Arc<LightNode>,
    stop: watch::Sender<bool>,
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Starts the network and the worker on `store`.
    pub fn start(
        store: Arc<LightStore>,
        signer: Option<PublicKey>,
        opts: LightOptions,
        changed: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Running> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("handoff-light")
            .enable_all()
            .build()
            .context("cannot start the light node's runtime")?;
        let mut cfg = NetConfig::new(store.net_key()?);
        cfg.bootstrap = opts.peers.clone();
        cfg.mdns = opts.mdns;
        let (net, events) = runtime
            .block_on(Network::start(cfg))
            .context("cannot start the network")?;
        let peers = Arc::new(Mutex::new(Vec::new()));
        let node = Arc::new(LightNode {
            store: store.clone(),
            net: net.clone(),
            signers: Mutex::new(signer.into_iter().collect()),
            peers: peers.clone(),
            max_inflight: opts.max_inflight.max(1),
            pump: opts.pump,
            submitted_at: Mutex::new(HashMap::new()),
            changed,
            rr: Mutex::new(0),
            sent: Mutex::new(std::collections::VecDeque::new()),
            nonce_read: Mutex::new(HashMap::new()),
            refusals: Mutex::new(std::collections::VecDeque::new()),
            reported: Mutex::new(std::collections::HashSet::new()),
            traffic: Mutex::new(Traffic::default()),
        });
        let (ann_tx, mut ann_rx) = mpsc::channel(16);
        runtime.spawn(net_loop(store, net, peers, events, ann_tx));
        let (stop, mut stop_rx) = watch::channel(false);
        let n = node.clone();
        let worker = runtime.spawn(async move {
            loop {
                n.step().await;
                tokio::select! {
                    _ = stop_rx.changed() => break,
                    _ = ann_rx.recv() => {}
                    _ = tokio::time::sleep(TICK) => {}
                }
                if *stop_rx.borrow() {
                    break;
                }
            }
        });
        Ok(Running {
            runtime,
            node,
            stop,
            worker: Some(worker),
        })
    }

    /// Runs `f` on the node's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// The node.
    pub fn node(&self) -> &Arc<LightNode> {
        &self.node
    }

    /// Waits until a peer is connected and the headers are synced with it, up to `limit`.
    pub fn wait_synced(&self, limit: Duration) -> Result<()> {
        let t = Instant::now();
        loop {
            if let Some(p) = self.node.peer()
                && self.block_on(self.node.sync_headers(p)).is_ok()
                && self.node.store.tip()? > 0
            {
                return Ok(());
            }
            if t.elapsed() > limit {
                bail!("no peer answered within {} s", limit.as_secs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Blocks until Ctrl-C or SIGTERM.
    pub fn wait_for_stop_signal(&self) {
        self.runtime.block_on(crate::service::stop_signal());
    }

    /// Stops the worker after its current step and the network.
    pub fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(w) = self.worker.take() {
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), w).await });
        }
        let _ = self.runtime.block_on(self.node.net.shutdown());
        self.runtime.shutdown_timeout(Duration::from_secs(2));
    }
}

/// State read from a peer, each record's proof verified against one certified header;
/// verified reads are cached. A read whose proof fails or cannot be fetched is an error,
/// so the view fails with "could not verify" instead of showing a record as absent (a
/// hidden recall, a pallet left out) under "verified against block N".
pub(super) struct ProvenState<'a> {
    running: &'a Running,
    peer: PeerId,
    header: BlockHeader,
    cache: RefCell<HashMap<Vec<u8>, Option<Record>>>,
}

impl<'a> ProvenState<'a> {
    pub(super) fn new(running: &'a Running, peer: PeerId, header: BlockHeader) -> ProvenState<'a> {
        ProvenState {
            running,
            peer,
            header,
            cache: RefCell::new(HashMap::new()),
        }
    }

    pub(super) fn seed(&self, key: &StateKey, rec: Option<Record>) {
        self.cache.borrow_mut().insert(key.to_bytes(), rec);
    }
}

impl StateRead for ProvenState<'_> {
    fn read(&self, key: &StateKey) -> Result<Option<Record>, ReadError> {
        let kb = key.to_bytes();
        if let Some(r) = self.cache.borrow().get(&kb) {
            return Ok(r.clone());
        }
        let node = self.running.node();
        let r = self
            .running
            .block_on(node.proven(self.peer, &self.header, key))?;
        self.cache.borrow_mut().insert(kb, r.clone());
        Ok(r)
    }
}
