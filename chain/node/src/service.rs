//! The networked node behind `handoff node run`: the node's store, the libp2p network
//! (`handoff-net`) and, on a validator, the BFT replica (`handoff-consensus`), driven by
//! one task that owns them all.
//!
//! What it does:
//! - **Transactions** arrive from local commands ([`NodeHandle`], a [`Sequencer`]), from
//!   peers' `SubmitTx` requests and from gossip (`handoff/tx/1`, batches of encoded
//!   transactions). Each is checked before it enters the mempool (chain id, strict
//!   signature, nonce not spent; a resubmission of a committed transaction gets its
//!   committed receipt) and gossiped on in batches; a gossiped batch with a bad signature
//!   is rejected (not forwarded) and its sender scored down.
//! - **Consensus** messages go to the replica after a precheck (undecodable bytes or bad
//!   signatures: rejected, not forwarded, sender scored down). A proposal is forwarded only
//!   once its block validated; an invalid block is rejected and its sender scored down.
//!   Blocks are validated by re-executing them on the committed state; the result is kept,
//!   so the decided block is committed without executing it twice.
//! - **Commit**: a decided block is written durably, then its transactions' waiters get
//!   their receipts, the block is announced (`handoff/block/1`: header and certificate)
//!   and the next height starts.
//! - **Sync**: a node behind a peer (seen in a status answer, an announcement or the
//!   replica's status exchange) pulls certified blocks with `Blocks` requests, at most
//!   one request in flight, and commits them in order after checking each certificate
//!   against the validators; a peer that serves a bad block is scored down.
//! - **Serving**: status, blocks, certified headers and record proofs for peers and
//!   light nodes, bounded by the wire limits.
//!
//! Everything a peer can make the node do is bounded: the mempool by count and bytes,
//! gossip batches by count and size, block requests by count and response size, the
//! replica's own buffers by its limits, and sync to one request at a time.

use crate::ledger::{Ledger, Receipt, Sequencer, now_ms, verify_parallel, verify_parallel_refs};
use crate::wal::Wal;
use anyhow::{Context, Result, anyhow};
use handoff_application::{Admission, AppError, Application, Limits, Refusal};
use handoff_consensus::{Action, Config, Input, Precheck, Replica, Timeouts, Timer, TimerKind};
use handoff_core::block::Block;
use handoff_core::crypto::Keypair;
use handoff_core::limits::MAX_SYNC_BLOCKS;
use handoff_core::rejection::{Code, Rejection};
use handoff_core::state::{ReadError, StateKey};
use handoff_core::tx::SignedTx;
use handoff_core::types::{Hash32, PublicKey, TxId};
use handoff_net::{
    CertifiedHeader, ErrorCode, JoinOutcome, Misbehaviour, Multiaddr, NetConfig, NetEvent,
    NetHandle, Network, PeerId, Request, Response, Status, SubmitOutcome, Topic, Verdict,
};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

pub use handoff_application::{
    MAX_CLOCK_DRIFT_MS, MAX_MEMPOOL_BYTES, MAX_MEMPOOL_TXS, MAX_PROPOSAL_TX_BYTES,
};
// A proposal travels as one consensus gossip message: the application's budget for its
// transactions is 7/8 of the network's limit.
const _: () =
    assert!(MAX_PROPOSAL_TX_BYTES == handoff_net::limits::MAX_CONSENSUS_GOSSIP_BYTES * 7 / 8);
/// With nothing to order, a validator waits this long after a block before it starts the
/// next height (it starts at once when a transaction or a peer's message for that height
/// arrives), so an idle chain adds one empty block a second, not one per round trip.
pub const EMPTY_BLOCK_INTERVAL: Duration = Duration::from_millis(1000);
/// Fault injection for tests of the network's defences (feature `fault-injection`, never
/// in a release build): with this variable set to `1`, a validator proposes blocks whose
/// state root is wrong (as a faulty or malicious validator would). Honest validators must
/// reject them, score the sender down and go on.
#[cfg(feature = "fault-injection")]
pub const FAULT_INVALID_BLOCKS_ENV: &str = "HANDOFF_FAULT_INVALID_BLOCKS";
/// How often batched transaction gossip is sent.
const GOSSIP_FLUSH: Duration = Duration::from_millis(20);
/// Blocks asked for in one sync request.
const SYNC_BATCH: u32 = MAX_SYNC_BLOCKS as u32;

/// How `handoff node run` runs.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// Listen addresses.
    pub listen: Vec<Multiaddr>,
    /// Bootstrap peers.
    pub peers: Vec<Multiaddr>,
    /// Find peers on the LAN.
    pub mdns: bool,
    /// Take part in consensus with the folder's validator key.
    pub validator: bool,
    /// Consensus timeouts.
    pub timeouts: Timeouts,
}

impl NodeOptions {
    /// A node listening on `listen`, dialing `peers`, mDNS on, default timeouts.
    pub fn new(listen: Vec<Multiaddr>, peers: Vec<Multiaddr>, validator: bool) -> NodeOptions {
        NodeOptions {
            listen,
            peers,
            mdns: true,
            validator,
            timeouts: Timeouts {
                propose: Duration::from_millis(2000),
                prevote: Duration::from_millis(600),
                precommit: Duration::from_millis(600),
                delta: Duration::from_millis(300),
                rebroadcast: Duration::from_millis(2000),
                status: Duration::from_millis(1500),
            },
        }
    }
}

/// What a running node reports about itself.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct NodeStatus {
    /// Committed height.
    pub height: u64,
    /// Connected peers.
    pub peers: usize,
    /// Transactions waiting in the mempool.
    pub mempool: usize,
    /// Whether this node votes.
    pub validator: bool,
    /// Blocks taken from peers by sync.
    pub synced_blocks: u64,
    /// Proposals this node found invalid.
    pub invalid_proposals: u64,
    /// Times this node reported a peer's misbehaviour to the network's scoring.
    pub peer_reports: u64,
    /// Proposer of the newest committed block (hex key).
    pub tip_proposer: String,
    /// Times this node's store failed a state read (a block it could not build, validate
    /// or commit, a transaction it could not check): it refused to act on a guess.
    pub store_faults: u64,
    /// The last such failure, for the operator (code `STORE_FAULT`).
    pub last_store_fault: Option<String>,
}

enum Cmd {
    Submit {
        txs: Vec<SignedTx>,
        reply: oneshot::Sender<Result<Vec<Receipt>, ReadError>>,
    },
    Block {
        peer: PeerId,
        block: bool,
    },
    Shutdown,
}

/// A running node: its tokio runtime and the task that drives it.
pub struct Node {
    runtime: Option<tokio::runtime::Runtime>,
    cmds: mpsc::Sender<Cmd>,
    listen_shared: Arc<Vec<Multiaddr>>,
    task: Option<tokio::task::JoinHandle<()>>,
    status: Arc<Mutex<NodeStatus>>,
    /// This node's peer id.
    pub peer_id: PeerId,
    /// The addresses it listens on.
    pub listen: Vec<Multiaddr>,
}

/// Submits transactions to a running node and waits for their receipts.
#[derive(Clone)]
pub struct NodeHandle {
    cmds: mpsc::Sender<Cmd>,
    status: Arc<Mutex<NodeStatus>>,
    listen: Arc<Vec<Multiaddr>>,
}

impl NodeHandle {
    /// The node's status now.
    pub fn status(&self) -> NodeStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The addresses the node listens on (as the network reported them at start).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.listen.as_ref().clone()
    }
}

impl NodeHandle {
    /// Blocks (or unblocks) a peer: the operator's decision, until undone.
    pub fn set_blocked(&self, peer: PeerId, block: bool) -> Result<()> {
        self.cmds
            .blocking_send(Cmd::Block { peer, block })
            .map_err(|_| anyhow!("the node has stopped"))
    }
}

impl Sequencer for NodeHandle {
    fn submit(&self, txs: Vec<SignedTx>) -> Result<Vec<Receipt>> {
        let (reply, answer) = oneshot::channel();
        self.cmds
            .blocking_send(Cmd::Submit { txs, reply })
            .map_err(|_| anyhow!("the node has stopped"))?;
        answer
            .blocking_recv()
            .map_err(|_| anyhow!("the node stopped before the transactions were final"))?
            .context("the node could not check the transactions")
    }
}

impl Node {
    /// Starts the node on `ledger` (whose store it drives from now on).
    pub fn start(ledger: Arc<Ledger>, opts: NodeOptions) -> Result<Node> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("handoff-node")
            .enable_all()
            .build()
            .context("cannot start the node's runtime")?;
        let genesis = ledger.store.genesis()?;
        let key = Keypair::from_secret(ledger.node_key().secret());
        let me = key.public();
        let validators = ledger.store.validators()?.validators;
        if opts.validator && !validators.contains(&me) {
            anyhow::bail!(
                "this folder's validator key {} is not one of the chain's {} validators",
                me.short(),
                validators.len()
            );
        }
        let mut cfg = NetConfig::new(Keypair::from_secret(key.secret()));
        cfg.listen = opts.listen.clone();
        cfg.bootstrap = opts.peers.clone();
        cfg.mdns = opts.mdns;
        let (net, events) = runtime
            .block_on(Network::start(cfg))
            .context("cannot start the network")?;
        let listen = runtime.block_on(net.listen_addrs()).unwrap_or_default();
        let status = Arc::new(Mutex::new(NodeStatus {
            height: ledger.store.height(),
            validator: opts.validator,
            ..NodeStatus::default()
        }));
        let (cmds, cmd_rx) = mpsc::channel(1024);
        let (sync_tx, sync_rx) = mpsc::channel(64);
        let (replica, wal) = if opts.validator {
            let mut wal = Wal::open(ledger.data())?;
            let mut r = Replica::new(
                Config {
                    chain_id: genesis.chain_id(),
                    timeouts: opts.timeouts,
                },
                Keypair::from_secret(key.secret()),
            );
            r.restore_signed(&wal.records());
            wal.prune_below(ledger.store.height() + 1)?;
            (Some(r), Some(wal))
        } else {
            (None, None)
        };
        let core = Core {
            chain_id: genesis.chain_id(),
            validators,
            app: Application::new(genesis.chain_id(), Limits::network(), verify_parallel_refs),
            ledger,
            net: net.clone(),
            replica,
            wal,
            actions: VecDeque::new(),
            timers: BTreeMap::new(),
            peers: Vec::new(),
            peer_index: HashMap::new(),
            connected: 0,
            waiters: HashMap::new(),
            validations: Vec::new(),
            gossip_out: Vec::new(),
            gossip_bytes: 0,
            sync: None,
            sync_tx,
            status: status.clone(),
            next_start: None,
            broadcasts: now_ms() as u64 * 1000,
            joins: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        };
        let peer_id = net.local_peer_id();
        let task = runtime.spawn(core.run(events, cmd_rx, sync_rx));
        Ok(Node {
            runtime: Some(runtime),
            cmds,
            listen_shared: Arc::new(listen.clone()),
            task: Some(task),
            status,
            peer_id,
            listen,
        })
    }

    /// A handle that submits to this node.
    pub fn handle(&self) -> NodeHandle {
        NodeHandle {
            cmds: self.cmds.clone(),
            status: self.status.clone(),
            listen: self.listen_shared.clone(),
        }
    }

    /// Blocks until the process is asked to stop (Ctrl-C or SIGTERM).
    pub fn wait_for_stop_signal(&self) {
        let Some(rt) = self.runtime.as_ref() else {
            return;
        };
        rt.block_on(stop_signal());
    }

    /// Stops the node after the block being committed (if any) is durable.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.cmds.try_send(Cmd::Shutdown);
        if let (Some(rt), Some(task)) = (self.runtime.as_ref(), self.task.take()) {
            let _ =
                rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Resolves on Ctrl-C or SIGTERM: how an operator (or a service manager) stops a node.
pub async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
}

enum SyncResult {
    Status(PeerId, Result<Response, String>),
    Blocks(PeerId, u64, Result<Response, String>),
}

struct Core {
    ledger: Arc<Ledger>,
    net: NetHandle,
    chain_id: Hash32,
    /// The validators of the next height (refreshed at every commit).
    validators: Vec<PublicKey>,
    /// Mempool, block build, validation, commit and sync acceptance.
    app: Application,
    replica: Option<Replica>,
    wal: Option<Wal>,
    actions: VecDeque<Action>,
    timers: BTreeMap<Timer, Instant>,
    /// Replica peer numbers: index into `peers`.
    peers: Vec<PeerId>,
    peer_index: HashMap<PeerId, u64>,
    connected: usize,
    waiters: HashMap<TxId, Vec<oneshot::Sender<Receipt>>>,
    /// Validation results while one input is being handled.
    validations: Vec<(Hash32, bool)>,
    gossip_out: Vec<Vec<u8>>,
    gossip_bytes: usize,
    /// The peer being synced from, and the height it has.
    sync: Option<(PeerId, u64)>,
    sync_tx: mpsc::Sender<SyncResult>,
    status: Arc<Mutex<NodeStatus>>,
    /// The next height and when it starts even with an empty mempool.
    next_start: Option<(u64, Instant)>,
    /// Consensus broadcasts sent (their envelope number; starts at the clock so a
    /// restarted node does not repeat its earlier envelopes).
    broadcasts: u64,
    /// Invitations being redeemed now (each waits for its admission's block).
    joins: Arc<std::sync::atomic::AtomicUsize>,
}

/// Invitations redeemed at once, at most; more are answered `Busy`.
const MAX_CONCURRENT_JOINS: usize = 4;

/// Whether an error is a state read that failed (a store fault), not a bad block.
fn read_fault(e: &anyhow::Error) -> Option<&ReadError> {
    e.chain().find_map(|c| c.downcast_ref::<ReadError>())
}

impl Core {
    async fn run(
        mut self,
        mut events: mpsc::Receiver<NetEvent>,
        mut cmds: mpsc::Receiver<Cmd>,
        mut sync_rx: mpsc::Receiver<SyncResult>,
    ) {
        let height = self.ledger.store.height() + 1;
        if self.replica.is_some() {
            self.input(Input::StartHeight {
                height,
                validators: self.validators.clone(),
            });
            self.drain().await;
        }
        let mut flush = tokio::time::interval(GOSSIP_FLUSH);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let next = self
                .timers
                .values()
                .chain(self.next_start.as_ref().map(|(_, at)| at))
                .min()
                .copied()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => self.on_net(ev).await,
                    None => break,
                },
                cmd = cmds.recv() => match cmd {
                    Some(Cmd::Submit { txs, reply }) => self.on_submit(txs, reply),
                    Some(Cmd::Block { peer, block }) => {
                        let _ = self.net.set_blocked(peer, block).await;
                    }
                    Some(Cmd::Shutdown) | None => break,
                },
                r = sync_rx.recv() => if let Some(r) = r { self.on_sync(r).await },
                _ = tokio::time::sleep_until(next.into()) => self.fire_timers(),
                _ = flush.tick() => self.flush_gossip().await,
            }
            self.drain().await;
            self.update_status();
        }
        let _ = self.net.shutdown().await;
    }

    async fn report_peer(
        &self,
        peer: PeerId,
        m: Misbehaviour,
    ) -> Result<(), handoff_net::NetError> {
        if let Ok(mut s) = self.status.lock() {
            s.peer_reports += 1;
        }
        self.net.report(peer, m).await
    }

    fn update_status(&self) {
        if let Ok(mut s) = self.status.lock() {
            s.height = self.ledger.store.height();
            if let Ok(h) = self.ledger.store.last_header() {
                s.tip_proposer = h.proposer.to_hex();
            }
            s.peers = self.connected;
            s.mempool = self.app.mempool().len();
        }
    }

    fn peer_no(&mut self, p: PeerId) -> u64 {
        if let Some(n) = self.peer_index.get(&p) {
            return *n;
        }
        let n = self.peers.len() as u64;
        self.peers.push(p);
        self.peer_index.insert(p, n);
        n
    }

    fn input(&mut self, input: Input) {
        if let Some(r) = self.replica.as_mut() {
            self.actions.extend(r.handle(input));
        }
    }

    /// Starts the next height if it is due.
    fn start_next(&mut self, now: bool) {
        if let Some((height, at)) = self.next_start
            && (now || at <= Instant::now())
        {
            self.next_start = None;
            self.input(Input::StartHeight {
                height,
                validators: self.validators.clone(),
            });
        }
    }

    fn fire_timers(&mut self) {
        self.start_next(false);
        let now = Instant::now();
        let due: Vec<Timer> = self
            .timers
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(t, _)| *t)
            .collect();
        for t in due {
            self.timers.remove(&t);
            self.input(Input::TimerFired(t));
        }
    }

    /// Carries out the replica's actions in order (each may add more).
    async fn drain(&mut self) {
        while let Some(a) = self.actions.pop_front() {
            if let Err(e) = self.act(a).await {
                match read_fault(&e) {
                    // A block this node could not build or commit because its store
                    // failed a read: it proposed and committed nothing on a guess.
                    Some(_) => self.store_fault(&format!("{e:#}")),
                    None => eprintln!("node: {e:#}"),
                }
            }
        }
    }

    /// Records (and logs) a store fault: shown in the node's status as `store_faults` and
    /// `last_store_fault`.
    fn store_fault(&self, what: &str) {
        eprintln!("node: STORE_FAULT: {what}");
        if let Ok(mut s) = self.status.lock() {
            s.store_faults += 1;
            s.last_store_fault = Some(what.to_string());
        }
    }

    async fn act(&mut self, a: Action) -> Result<()> {
        match a {
            Action::Broadcast(bytes) => {
                // Gossip ids are content hashes, so a rebroadcast of the same vote would
                // be dropped as a duplicate; an 8-byte envelope makes every broadcast its
                // own message (replicas rebroadcast while a round is stuck, which is how
                // a message lost before the mesh formed gets through). No peers yet is
                // not an error for the same reason.
                self.broadcasts += 1;
                let mut data = Vec::with_capacity(bytes.len() + 8);
                data.extend_from_slice(&self.broadcasts.to_le_bytes());
                data.extend_from_slice(&bytes);
                let _ = self.net.publish(Topic::Consensus, data).await;
            }
            Action::Send { to, .. } => {
                // The replica answers a peer that is ahead with its own status; here
                // the node pulls the blocks it lacks from that peer instead.
                if let Some(p) = self.peers.get(to as usize).copied() {
                    self.ask_status(p);
                }
            }
            Action::ScheduleTimer { timer, after } => {
                self.timers.insert(timer, Instant::now() + after);
            }
            Action::CancelTimer(t) => {
                self.timers.remove(&t);
            }
            Action::CancelConsensusTimers => self.timers.retain(|t, _| t.kind == TimerKind::Status),
            Action::BuildBlock { height, round } => {
                let proposer = self.ledger.node_key().public();
                let block = tokio::task::block_in_place(|| self.build(height, proposer))?;
                self.input(Input::BlockBuilt {
                    height,
                    round,
                    block,
                });
            }
            Action::ValidateBlock { ticket, block } => {
                let hash = block.header.hash();
                let valid = match tokio::task::block_in_place(|| self.validate(&block)) {
                    Ok(valid) => valid,
                    Err(e) => {
                        // The block could not be executed here: no verdict. The replica
                        // gets no answer, so this validator does not vote for it (it
                        // prevotes nil when the round times out), and the proposer is
                        // not blamed for this node's disk.
                        self.store_fault(&format!(
                            "block {} not validated: {e}",
                            block.header.height
                        ));
                        return Ok(());
                    }
                };
                if !valid && let Ok(mut s) = self.status.lock() {
                    s.invalid_proposals += 1;
                }
                self.validations.push((hash, valid));
                self.input(Input::BlockValidated { ticket, valid });
            }
            Action::Persist { height, record } => {
                if let Some(w) = self.wal.as_mut() {
                    // Durable before any later action: a validator that cannot log its
                    // vote must not send it.
                    if let Err(e) = w.append(height, &record) {
                        eprintln!("node: cannot log consensus record, stopping: {e:#}");
                        std::process::abort();
                    }
                }
            }
            Action::Decided(block) => {
                let h = block.header.height;
                let receipts = tokio::task::block_in_place(|| self.commit(&block))?;
                self.after_commit(&block, receipts).await;
                if let Some(w) = self.wal.as_mut() {
                    w.prune_below(h + 1)?;
                }
                self.next_start = Some((h + 1, Instant::now() + EMPTY_BLOCK_INTERVAL));
                if !self.app.mempool().is_empty() {
                    self.start_next(true);
                }
            }
            Action::ServeBlocks { .. } => {
                // Peers that are behind pull blocks with requests (see `ask_status`).
            }
            Action::Misbehaved {
                validator, kind, ..
            } => {
                eprintln!("node: validator {} misbehaved: {kind:?}", validator.short());
                if let Some(p) = handoff_net::peer_id_of(&validator) {
                    let _ = self.report_peer(p, Misbehaviour::InvalidMessage).await;
                }
            }
        }
        Ok(())
    }

    /// Checks a transaction for the mempool (the application's admission). `Ok(None)`:
    /// admitted (or already waiting); `Ok(Some(receipt))`: already committed; `Err`:
    /// refused by a rule, or not checked because the store failed a read.
    fn admit(&mut self, tx: &SignedTx, verified: bool) -> Result<Option<Receipt>, Refusal> {
        match self.app.admit(&self.ledger.store, tx, verified)? {
            Admission::Committed(r) => Ok(Some(r)),
            Admission::AlreadyQueued => Ok(None),
            Admission::Queued => {
                // Something to order: the next height need not wait.
                self.start_next(true);
                Ok(None)
            }
        }
    }

    fn queue_gossip(&mut self, tx: &SignedTx) {
        let bytes = tx.encode();
        let limit = Topic::Transactions.max_bytes() - 64;
        if self.gossip_bytes + bytes.len() + 4 > limit
            || self.gossip_out.len() >= handoff_net::limits::MAX_GOSSIP_BATCH_TXS
        {
            let batch = std::mem::take(&mut self.gossip_out);
            self.gossip_bytes = 0;
            let net = self.net.clone();
            tokio::spawn(async move {
                let _ = net
                    .publish(
                        Topic::Transactions,
                        handoff_net::wire::encode_tx_batch(&batch),
                    )
                    .await;
            });
        }
        self.gossip_bytes += bytes.len() + 4;
        self.gossip_out.push(bytes);
    }

    async fn flush_gossip(&mut self) {
        if self.gossip_out.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.gossip_out);
        self.gossip_bytes = 0;
        let _ = self
            .net
            .publish(
                Topic::Transactions,
                handoff_net::wire::encode_tx_batch(&batch),
            )
            .await;
    }

    fn on_submit(
        &mut self,
        txs: Vec<SignedTx>,
        reply: oneshot::Sender<Result<Vec<Receipt>, ReadError>>,
    ) {
        let ok = tokio::task::block_in_place(|| verify_parallel(&txs));
        let mut pending: Vec<Result<Receipt, oneshot::Receiver<Receipt>>> = Vec::new();
        for (tx, ok) in txs.iter().zip(ok) {
            let refused = |e: Rejection| Receipt {
                tx: tx.id(),
                height: None,
                result: Err(e),
            };
            if !ok {
                pending.push(Ok(refused(Rejection::new(
                    Code::BadSignature,
                    "the signature does not verify",
                ))));
                continue;
            }
            match self.admit(tx, true) {
                Err(Refusal::Rule(e)) => pending.push(Ok(refused(e))),
                Err(Refusal::Fault(e)) => {
                    // No receipt on a guess: the submitter learns the node's store failed.
                    self.store_fault(&format!("transaction {} not checked: {e}", tx.id()));
                    let _ = reply.send(Err(e));
                    return;
                }
                Ok(Some(done)) => pending.push(Ok(done)),
                Ok(None) => {
                    let (w, r) = oneshot::channel();
                    self.waiters.entry(tx.id()).or_default().push(w);
                    self.queue_gossip(tx);
                    pending.push(Err(r));
                }
            }
        }
        tokio::spawn(async move {
            let mut out = Vec::with_capacity(pending.len());
            for p in pending {
                match p {
                    Ok(r) => out.push(r),
                    Err(rx) => match rx.await {
                        Ok(r) => out.push(r),
                        Err(_) => return,
                    },
                }
            }
            let _ = reply.send(Ok(out));
        });
    }

    /// Tells waiters of a transaction that left the mempool without a block.
    fn refuse(&mut self, id: TxId, e: Rejection) {
        if let Some(ws) = self.waiters.remove(&id) {
            for w in ws {
                let _ = w.send(Receipt {
                    tx: id,
                    height: None,
                    result: Err(e.clone()),
                });
            }
        }
    }

    /// A block at `height` on the committed tip from the mempool.
    fn build(&mut self, height: u64, proposer: PublicKey) -> Result<Block> {
        let built = self
            .app
            .build(&self.ledger.store, height, proposer, now_ms())?;
        for r in built.dropped {
            if let Err(e) = r.result {
                self.refuse(r.tx, e);
            }
        }
        #[cfg_attr(not(feature = "fault-injection"), allow(unused_mut))]
        let mut block = built.block;
        #[cfg(feature = "fault-injection")]
        if std::env::var(FAULT_INVALID_BLOCKS_ENV).is_ok_and(|v| v == "1") {
            block.header.state_root =
                handoff_core::types::sha256(&[b"wrong", &height.to_be_bytes()]);
        }
        Ok(block)
    }

    /// Re-executes a proposed block on the committed tip: valid only if it gives exactly
    /// its header and outcomes. `Err`: a store fault, which is not a verdict on the block:
    /// the caller reports it and does not vote for the block.
    fn validate(&mut self, b: &Block) -> Result<bool, AppError> {
        match self.app.validate(&self.ledger.store, b, now_ms()) {
            Ok(()) => Ok(true),
            Err(AppError::Invalid(_)) => Ok(false),
            Err(e @ AppError::Store(_)) => Err(e),
            Err(e) => {
                eprintln!("node: cannot validate block {}: {e}", b.header.height);
                Ok(false)
            }
        }
    }

    /// Writes a final block durably (from its execution here if it was built or
    /// validated here, else by executing it as a certified block) and returns its
    /// receipts.
    fn commit(&mut self, block: &Block) -> Result<Vec<Receipt>> {
        let receipts = self
            .app
            .commit(&self.ledger.store, block)
            .with_context(|| format!("committing block {}", block.header.height))?;
        // A governance transaction in this block changes who certifies the next one.
        self.validators = self.app.validators(&self.ledger.store)?;
        // Attempts to move pledged goods, for the lenders' alerts on this node.
        crate::finance_view::note_refused_in_block(&self.ledger, block, &receipts).map_err(
            |e| {
                let (code, message) = e.parts();
                anyhow!("noting refused moves of pledged goods: {message} [{code}]")
            },
        )?;
        Ok(receipts)
    }

    /// Receipts, mempool clean-up and the announcement of a committed block.
    async fn after_commit(&mut self, block: &Block, receipts: Vec<Receipt>) {
        for r in receipts {
            if let Some(ws) = self.waiters.remove(&r.tx) {
                for w in ws {
                    let _ = w.send(r.clone());
                }
            }
        }
        let announce = Response::Headers(vec![CertifiedHeader {
            header: block.header.clone(),
            certificate: block.certificate.clone(),
            concerns: block.concerns.clone(),
        }]);
        if let Ok(bytes) = announce.encode() {
            let _ = self.net.publish(Topic::Blocks, bytes).await;
        }
    }

    async fn on_net(&mut self, ev: NetEvent) {
        match ev {
            NetEvent::Gossip {
                peer,
                topic,
                msg_id,
                data,
            } => {
                let verdict = match topic {
                    Topic::Consensus => self.on_consensus_gossip(peer, data).await,
                    Topic::Transactions => self.on_tx_gossip(peer, &data).await,
                    Topic::Blocks => self.on_block_gossip(peer, &data),
                };
                let _ = self.net.report_validation(msg_id, peer, verdict).await;
            }
            NetEvent::Request {
                peer,
                request:
                    Request::Join {
                        ticket,
                        name,
                        org,
                        signature,
                    },
                reply,
            } => self.join(peer, ticket, name, org, signature, reply),
            NetEvent::Request {
                peer,
                request,
                reply,
            } => {
                let response = tokio::task::block_in_place(|| self.serve(request));
                let _ = self.net.respond(reply, response).await;
                let _ = peer;
            }
            NetEvent::PeerConnected(p) => {
                self.connected += 1;
                self.ask_status(p);
            }
            NetEvent::PeerDisconnected(p) => {
                self.connected = self.connected.saturating_sub(1);
                if self.sync.is_some_and(|(s, _)| s == p) {
                    self.sync = None;
                }
            }
            NetEvent::PeerBanned(p) => eprintln!("node: peer {p} banned"),
            NetEvent::Listening(_) => {}
        }
    }

    async fn on_consensus_gossip(&mut self, peer: PeerId, mut data: Vec<u8>) -> Verdict {
        let Some(r) = self.replica.as_ref() else {
            // A full node that does not vote does not relay votes either.
            return Verdict::Ignore;
        };
        if data.len() < 8 {
            let _ = self.report_peer(peer, Misbehaviour::Garbage).await;
            return Verdict::Reject;
        }
        data.drain(..8);
        let check = r.precheck(&data);
        // A peer already at the next height: join it now.
        if let Precheck::Proposal { height, .. }
        | Precheck::Plausible {
            height: Some(height),
        } = check
            && self.next_start.is_some_and(|(h, _)| height >= h)
        {
            self.start_next(true);
            self.drain().await;
        }
        match check {
            Precheck::Undecodable => {
                let _ = self.report_peer(peer, Misbehaviour::Garbage).await;
                Verdict::Reject
            }
            Precheck::BadSignature => {
                let _ = self.report_peer(peer, Misbehaviour::BadSignature).await;
                Verdict::Reject
            }
            Precheck::Proposal { block, .. } => {
                self.validations.clear();
                let from = self.peer_no(peer);
                self.input(Input::Message { from, bytes: data });
                self.drain().await;
                match self.validations.iter().find(|(h, _)| *h == block) {
                    Some((_, true)) => Verdict::Accept,
                    Some((_, false)) => {
                        let _ = self.report_peer(peer, Misbehaviour::InvalidBlock).await;
                        Verdict::Reject
                    }
                    None => Verdict::Ignore,
                }
            }
            Precheck::Plausible { .. } => {
                let from = self.peer_no(peer);
                self.input(Input::Message { from, bytes: data });
                Verdict::Accept
            }
        }
    }

    async fn on_tx_gossip(&mut self, peer: PeerId, data: &[u8]) -> Verdict {
        let Ok(txs) = handoff_net::wire::decode_tx_batch(data) else {
            let _ = self.report_peer(peer, Misbehaviour::Garbage).await;
            return Verdict::Reject;
        };
        let ok = tokio::task::block_in_place(|| verify_parallel(&txs));
        if ok.iter().any(|o| !o) {
            let _ = self.report_peer(peer, Misbehaviour::BadSignature).await;
            return Verdict::Reject;
        }
        for tx in &txs {
            // Refusals here (a spent nonce, a full queue) are not the sender's fault.
            if let Err(Refusal::Fault(e)) = self.admit(tx, true) {
                self.store_fault(&format!(
                    "gossiped transaction {} not checked: {e}",
                    tx.id()
                ));
            }
        }
        Verdict::Accept
    }

    fn on_block_gossip(&mut self, peer: PeerId, data: &[u8]) -> Verdict {
        let Ok(Response::Headers(hs)) = Response::decode(data) else {
            return Verdict::Reject;
        };
        let Some(ch) = hs.first() else {
            return Verdict::Reject;
        };
        if ch.header.chain_id != self.chain_id {
            return Verdict::Reject;
        }
        if !ch.certificate.verify(&ch.header, &self.validators) {
            // Possibly certified by a validator set this node has not reached yet.
            return Verdict::Ignore;
        }
        let tip = self.ledger.store.height();
        if ch.header.height > tip {
            self.want_sync(peer, ch.header.height);
        }
        Verdict::Accept
    }

    fn ask_status(&mut self, peer: PeerId) {
        let net = self.net.clone();
        let tx = self.sync_tx.clone();
        tokio::spawn(async move {
            let r = net
                .request(peer, Request::Status)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(SyncResult::Status(peer, r)).await;
        });
    }

    fn want_sync(&mut self, peer: PeerId, their_height: u64) {
        let tip = self.ledger.store.height();
        if their_height <= tip || self.sync.is_some() {
            return;
        }
        self.sync = Some((peer, their_height));
        let count = SYNC_BATCH.min((their_height - tip).min(u32::MAX as u64) as u32);
        let from = tip + 1;
        let net = self.net.clone();
        let tx = self.sync_tx.clone();
        tokio::spawn(async move {
            let r = net
                .request(peer, Request::Blocks { from, count })
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(SyncResult::Blocks(peer, from, r)).await;
        });
    }

    async fn on_sync(&mut self, r: SyncResult) {
        match r {
            SyncResult::Status(peer, Ok(Response::Status(s))) => {
                if s.chain_id == self.chain_id {
                    self.want_sync(peer, s.height);
                }
            }
            SyncResult::Status(..) => {}
            SyncResult::Blocks(peer, from, result) => {
                let target = self.sync.take().map(|(_, h)| h).unwrap_or(0);
                let blocks = match result {
                    Ok(Response::Blocks(b)) => b,
                    _ => return,
                };
                let mut expect = from;
                for b in blocks {
                    if b.header.height != expect {
                        let _ = self.report_peer(peer, Misbehaviour::BadResponse).await;
                        return;
                    }
                    expect += 1;
                    if !self.take_synced(peer, b).await {
                        return;
                    }
                }
                if let Ok(mut s) = self.status.lock() {
                    s.synced_blocks += expect - from;
                }
                if expect > from {
                    self.want_sync(peer, target);
                }
            }
        }
    }

    /// Commits a block fetched from a peer if its certificate verifies.
    async fn take_synced(&mut self, peer: PeerId, b: Block) -> bool {
        let tip = self.ledger.store.height();
        if b.header.height <= tip {
            return true;
        }
        if self.replica.is_some() {
            // Chain, height and certificate first: the replica is given only a block
            // that is the next one, certified by this height's validators.
            if let Err(e) = self.app.certified(&self.ledger.store, &b) {
                return self.sync_refused(peer, &b, e).await;
            }
            // The replica takes certified blocks as decisions (and asks to commit them);
            // a height waiting for transactions starts now.
            self.start_next(true);
            let from = self.peer_no(peer);
            self.input(Input::Message {
                from,
                bytes: handoff_consensus::certified_block_message(&b),
            });
            self.drain().await;
            return self.ledger.store.height() > tip;
        }
        let store = &self.ledger.store;
        match tokio::task::block_in_place(|| self.app.accept_synced(store, &b)) {
            Ok(receipts) => {
                match self.app.validators(&self.ledger.store) {
                    Ok(v) => self.validators = v,
                    Err(e) => eprintln!("node: cannot read the validator set: {e}"),
                }
                self.after_commit(&b, receipts).await;
                true
            }
            Err(e) => self.sync_refused(peer, &b, e).await,
        }
    }

    /// A block from a peer that was not taken: the peer is scored down when the block
    /// broke a rule (not when this node's store failed).
    async fn sync_refused(&mut self, peer: PeerId, b: &Block, e: AppError) -> bool {
        if e.read_fault().is_some() {
            // This node's store failed: the block is not the peer's fault.
            self.store_fault(&format!(
                "block {} from {peer} not taken: {e}",
                b.header.height
            ));
            return false;
        }
        eprintln!("node: block {} from {peer} not taken: {e}", b.header.height);
        if matches!(e, AppError::Invalid(_)) {
            let _ = self.report_peer(peer, Misbehaviour::InvalidBlock).await;
        }
        false
    }

    /// Redeems an invitation for a peer (`crate::invite::admit`). The admission waits
    /// for its block, which this task itself commits, so it runs on a blocking thread and
    /// answers from there; at most [`MAX_CONCURRENT_JOINS`] at once.
    fn join(
        &mut self,
        peer: PeerId,
        ticket: [u8; 32],
        name: String,
        org: PublicKey,
        signature: [u8; 64],
        reply: handoff_net::Reply,
    ) {
        use std::sync::atomic::Ordering;
        let net = self.net.clone();
        if self.joins.fetch_add(1, Ordering::SeqCst) >= MAX_CONCURRENT_JOINS {
            self.joins.fetch_sub(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = net
                    .respond(
                        reply,
                        Response::error(ErrorCode::Busy, "joins in progress; try again"),
                    )
                    .await;
            });
            return;
        }
        let ledger = self.ledger.clone();
        let joins = self.joins.clone();
        tokio::task::spawn_blocking(move || {
            let data = ledger.data().to_path_buf();
            let outcome = match crate::invite::admit(
                &ledger,
                &data,
                &ticket,
                &name,
                &org,
                &signature,
                now_ms(),
            ) {
                Ok((tx, height)) => {
                    eprintln!(
                        "node: {name} ({}) joined by invitation from {peer}",
                        org.short()
                    );
                    JoinOutcome::Admitted { tx, height }
                }
                Err(r) => JoinOutcome::Refused {
                    code: truncate(r.code, handoff_net::limits::MAX_CODE_LEN),
                    message: truncate(r.message, handoff_net::limits::MAX_MESSAGE_LEN),
                },
            };
            joins.fetch_sub(1, Ordering::SeqCst);
            let handle = tokio::runtime::Handle::current();
            handle.block_on(async move {
                let _ = net.respond(reply, Response::Joined(outcome)).await;
            });
        });
    }

    /// Answers a peer's request from the committed store.
    fn serve(&mut self, request: Request) -> Response {
        let store = &self.ledger.store;
        let tip = store.height();
        let unavailable = |m: &str| Response::error(ErrorCode::Unavailable, m);
        match request {
            Request::Status => match store.last_header() {
                Ok(h) => Response::Status(Status {
                    chain_id: self.chain_id,
                    height: h.height,
                    tip_hash: h.hash(),
                }),
                Err(_) => unavailable("no chain"),
            },
            Request::Blocks { from, count } => {
                if from == 0 || from > tip {
                    return unavailable("beyond this node's tip");
                }
                let mut out = Vec::new();
                let mut size = 0usize;
                let budget = handoff_net::limits::MAX_RESPONSE_BYTES - 64 * 1024;
                for h in from..=tip.min(from + count as u64 - 1) {
                    let Ok(Some(b)) = store.block(h) else { break };
                    let len: usize = b.txs.iter().map(|t| t.len() + 64).sum::<usize>() + 4096;
                    if !out.is_empty() && size + len > budget {
                        break;
                    }
                    size += len;
                    #[cfg(feature = "fault-injection")]
                    let b = forge_block(b);
                    out.push(b);
                }
                Response::Blocks(out)
            }
            Request::Headers { from, count } => {
                if from == 0 || from > tip {
                    return unavailable("beyond this node's tip");
                }
                let mut out = Vec::new();
                let mut size = 0usize;
                let budget = handoff_net::limits::MAX_RESPONSE_BYTES - 64 * 1024;
                for h in from..=tip.min(from + count as u64 - 1) {
                    let Ok(Some(b)) = store.block(h) else { break };
                    // Header, certificate and the block's filter of whom it concerns.
                    let len = 400 + 96 * b.certificate.sigs.len() + 8 * b.concerns.len();
                    if !out.is_empty() && size + len > budget {
                        break;
                    }
                    size += len;
                    #[cfg(feature = "fault-injection")]
                    let b = hide_org(b);
                    out.push(CertifiedHeader {
                        header: b.header,
                        certificate: b.certificate,
                        concerns: b.concerns,
                    });
                }
                Response::Headers(out)
            }
            Request::Record { height, key } => {
                if height == 0 || height > tip {
                    return unavailable("beyond this node's tip");
                }
                match store.prove_raw(&key, height) {
                    #[cfg(feature = "fault-injection")]
                    Ok(p) => Response::Record(forge_proof(p)),
                    #[cfg(not(feature = "fault-injection"))]
                    Ok(p) => Response::Record(p),
                    Err(e) => unavailable(&format!("no proof: {e}")),
                }
            }
            Request::SubmitTx { tx } => {
                let outcome = match SignedTx::decode(&tx) {
                    Err(e) => SubmitOutcome::Rejected {
                        code: "MALFORMED".into(),
                        message: e.to_string(),
                    },
                    Ok(t) => match self.admit(&t, false) {
                        Ok(_) => {
                            self.queue_gossip(&t);
                            SubmitOutcome::Accepted
                        }
                        Err(Refusal::Rule(r)) => SubmitOutcome::Rejected {
                            code: r.code.as_str().into(),
                            message: r.message,
                        },
                        // The submitter may try another node (a light node treats this
                        // code as transient).
                        Err(Refusal::Fault(e)) => {
                            self.store_fault(&format!("submitted transaction not checked: {e}"));
                            SubmitOutcome::Rejected {
                                code: e.code().into(),
                                message: e.to_string(),
                            }
                        }
                    },
                };
                Response::Submitted(outcome)
            }
            Request::Genesis => match store.genesis().map(|g| borsh::to_vec(&g)) {
                Ok(Ok(bytes)) if bytes.len() <= handoff_net::limits::MAX_GENESIS_BYTES => {
                    Response::Genesis(bytes)
                }
                Ok(_) => unavailable("the genesis does not fit in an answer"),
                Err(e) => unavailable(&format!("no genesis: {e}")),
            },
            // Taken before `serve` (it waits for a block); never reached.
            Request::Join { .. } => {
                Response::error(ErrorCode::Unsupported, "joins are served apart")
            }
            Request::TxLocation { signer, nonce } => match store.tx_location(&signer, nonce) {
                Ok(loc) => Response::TxLocation(loc.map(|l| (l.height, l.index))),
                Err(e) => unavailable(&format!("no index: {e}")),
            },
            Request::Records { height, keys } => {
                if height == 0 || height > tip {
                    return unavailable("beyond this node's tip");
                }
                let mut out = Vec::with_capacity(keys.len());
                let mut size = 0usize;
                let budget = handoff_net::limits::MAX_RESPONSE_BYTES - 64 * 1024;
                for key in keys {
                    match store.prove_raw(&key, height) {
                        Ok(p) => {
                            #[cfg(feature = "fault-injection")]
                            let p = forge_proof(p);
                            let len = 64
                                + p.key.len()
                                + p.proof.len()
                                + p.value.as_ref().map_or(0, Vec::len);
                            // A prefix that fits; the light node asks again for the rest.
                            if !out.is_empty() && size + len > budget {
                                break;
                            }
                            size += len;
                            out.push(p);
                        }
                        Err(e) => return unavailable(&format!("no proof: {e}")),
                    }
                }
                Response::Records(out)
            }
            Request::History { height, key, from } => {
                if height == 0 || height > tip {
                    return unavailable("beyond this node's tip");
                }
                history_page(store, height, &key, from)
            }
        }
    }
}

/// A page of the history of `canonical` as of `height` (a light node's
/// [`Request::History`]): the proof of its record there, whose history head fixes how
/// many events it had then, and its encoded events from `from` on, as many as one page
/// carries ([`MAX_HISTORY_EVENTS_PER_RESPONSE`], [`MAX_HISTORY_PAGE_BYTES`]). Events are
/// only ever appended, so the first `len` events in the store are those of `height`
/// whatever the tip is now.
///
/// [`MAX_HISTORY_EVENTS_PER_RESPONSE`]: handoff_net::limits::MAX_HISTORY_EVENTS_PER_RESPONSE
/// [`MAX_HISTORY_PAGE_BYTES`]: handoff_net::limits::MAX_HISTORY_PAGE_BYTES
pub(crate) fn history_page(
    store: &handoff_store::Store,
    height: u64,
    canonical: &str,
    from: u32,
) -> Response {
    use handoff_core::state::Record;
    use handoff_net::limits::{
        MAX_HISTORY_EVENT_BYTES, MAX_HISTORY_EVENTS_PER_RESPONSE, MAX_HISTORY_PAGE_BYTES,
    };
    let unavailable = |m: &str| Response::error(ErrorCode::Unavailable, m);
    let key = StateKey::Item(canonical.to_string()).to_bytes();
    let record = match store.prove_raw(&key, height) {
        Ok(p) => p,
        Err(e) => return unavailable(&format!("no proof: {e}")),
    };
    let len = match record.value.as_deref().map(Record::decode) {
        // Never commissioned (as of `height`): proven absent, no events.
        None => 0,
        Some(Some(Record::Item(it))) => it.history.len,
        Some(Some(Record::Lot(l))) => l.history.len,
        Some(_) => return unavailable("the record under that key does not read as a history"),
    };
    if from > len {
        return Response::error(
            ErrorCode::BadRequest,
            format!("{canonical} had {len} events at block {height}: none from {from}"),
        );
    }
    let to = len.min(from.saturating_add(MAX_HISTORY_EVENTS_PER_RESPONSE as u32));
    #[allow(unused_mut)]
    let mut events = match store.history_encoded(canonical, from, to, MAX_HISTORY_PAGE_BYTES) {
        Ok(ev) => ev,
        Err(e) => return unavailable(&format!("the history cannot be read: {e}")),
    };
    if events.iter().any(|e| e.len() > MAX_HISTORY_EVENT_BYTES) {
        return unavailable("an event of this history is larger than a page may carry");
    }
    #[cfg(feature = "fault-injection")]
    let record = forge_proof(record);
    #[cfg(feature = "fault-injection")]
    if std::env::var_os(FAULT_SHORT_HISTORY_ENV).is_some() && from + events.len() as u32 == len {
        events.pop();
    }
    Response::History(handoff_net::HistoryPage {
        record,
        from,
        events,
    })
}

/// Cuts a text to at most `max` bytes on a character boundary (wire bounds).
fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Fault injection for tests of light nodes (feature `fault-injection`, never in a
/// release build): hex prefixes of state keys, comma-separated, whose record proofs this
/// node serves forged, claiming the record is absent while keeping the real proof (a
/// lying peer hiding a recall or a pallet). A light node must answer `PROOF_INVALID`.
#[cfg(feature = "fault-injection")]
pub const FAULT_FORGE_PROOFS_ENV: &str = "HANDOFF_FAULT_FORGE_PROOFS";

/// Fault injection (feature `fault-injection`, never in a release build): with this
/// variable set to an org key (hex), the node serves headers whose filter leaves that org
/// out (a peer hiding blocks from a light node). The light node must refuse them: the
/// filter no longer hashes to the certified header's `concerns_root`.
#[cfg(feature = "fault-injection")]
pub const FAULT_HIDE_ORG_ENV: &str = "HANDOFF_FAULT_HIDE_ORG";

/// Fault injection (feature `fault-injection`): with this variable set, the node serves
/// every item's history one event short (a page that reaches the end leaves the last
/// event out), as a peer hiding the newest event (a recall, a theft) would. A light node
/// must refuse it: the events no longer hash to the head its proven record holds.
#[cfg(feature = "fault-injection")]
pub const FAULT_SHORT_HISTORY_ENV: &str = "HANDOFF_FAULT_SHORT_HISTORY";

/// Fault injection: with this variable set to `1`, the node serves blocks whose first
/// transaction's outcome is changed (a peer lying about what a block did). A light node
/// must refuse them: they no longer match the certified header's transaction root.
#[cfg(feature = "fault-injection")]
pub const FAULT_BAD_BLOCKS_ENV: &str = "HANDOFF_FAULT_BAD_BLOCKS";

#[cfg(feature = "fault-injection")]
fn hide_org(mut b: Block) -> Block {
    if let Ok(v) = std::env::var(FAULT_HIDE_ORG_ENV)
        && let Some(org) = handoff_core::types::PublicKey::from_hex(v.trim())
    {
        let tag = handoff_core::concerns::tag(&org);
        b.concerns.0.retain(|t| *t != tag);
    }
    b
}

#[cfg(feature = "fault-injection")]
fn forge_block(mut b: Block) -> Block {
    if std::env::var(FAULT_BAD_BLOCKS_ENV).as_deref() == Ok("1")
        && let Some(o) = b.outcomes.first_mut()
    {
        *o = match o.code {
            None => handoff_core::block::Outcome {
                code: Some("FORGED".into()),
                message: Some("a lying peer's outcome".into()),
            },
            Some(_) => handoff_core::block::Outcome::applied(),
        };
    }
    b
}

#[cfg(feature = "fault-injection")]
fn forge_proof(mut p: handoff_core::proof::RecordProof) -> handoff_core::proof::RecordProof {
    let Ok(v) = std::env::var(FAULT_FORGE_PROOFS_ENV) else {
        return p;
    };
    let forged = v
        .split(',')
        .filter_map(|x| hex::decode(x.trim()).ok())
        .any(|prefix| !prefix.is_empty() && p.key.starts_with(&prefix));
    if forged {
        p.value = None;
    }
    p
}

/// The state key of an item record, for record requests.
pub fn item_key(canonical: &str) -> Vec<u8> {
    StateKey::Item(canonical.to_string()).to_bytes()
}
