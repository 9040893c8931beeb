//! Seeded deterministic simulation of Handoff consensus, in the manner of TigerBeetle's
//! simulator: four validators run the real [`handoff_consensus::Replica`] in one process,
//! over a simulated network with a virtual clock, message delay, loss, duplication and
//! reordering, partitions that heal, crashes with restart from the durable store, and one
//! byzantine validator (equivocating, proposing blocks with a wrong state root, or
//! sending garbage). Each node executes real signed Handoff transactions with
//! `handoff_core::block::execute` and keeps its state in a real `handoff_store::Store`
//! in a temporary folder.
//!
//! After every run: no two honest nodes committed different blocks at one height, every
//! committed certificate verifies with `handoff-core` alone, all honest nodes end at the
//! same height with the same state root, every transaction of the workload was committed
//! once the network healed, and the run is a pure function of the seed (the hash of the
//! full event trace is returned, and tests compare it across two runs).
//!
//! The simulator owns all time and randomness; it never reads the wall clock and uses no
//! threads, so a failing seed replays exactly: `HANDOFF_SIM_SEED=<seed> cargo test -p
//! handoff-sim --test seeds one_seed -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use handoff_consensus::context::{
    Address, BlockId, BlockValue, HandoffContext, Height, Proposal, Vote,
};
use handoff_consensus::wire::{WireProposal, WireVote};
use handoff_consensus::{
    Action, Config, ConsensusMsg, Input, Replica, Timeouts, Timer, TimerKind,
    certified_block_message,
};
use handoff_core::apply::BlockContext;
use handoff_core::block::{
    BLOCK_VERSION, Block, BlockHeader, Certificate, Genesis, Outcome, execute, tx_root,
};
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::tx::{
    AcceptHandoff, AdmitOrg, Commission, Entry, Payload, ProposeHandoff, SignedTx, TX_VERSION,
    Transfer, TxBody,
};
use handoff_core::types::{Hash32, PublicKey, Role, TxId, sha256};
use handoff_store::{Store, TxMeta, replay_block};
use malachitebft_core_types::{NilOrVal, Round, VoteType};

/// Number of validators.
pub const VALIDATORS: usize = 4;
/// Virtual time with faults; afterwards the network heals and every node is up.
pub const CHAOS_MS: u64 = 8_000;
/// A run that has not converged this long after healing has lost liveness.
pub const HEAL_LIMIT_MS: u64 = 120_000;
/// Transactions one proposed block takes from the mempool.
pub const BLOCK_TXS: usize = 16;
/// Virtual time a proposer takes to build a block (keeps the block rate realistic).
pub const BUILD_MS: u64 = 150;
/// Genesis time of the simulated chain.
pub const GENESIS_MS: i64 = 1_790_000_000_000;

/// A small deterministic PRNG (SplitMix64): the whole run derives from the seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// From a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x005e_ed0f_4a4d_0ff1)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 if n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    /// True with probability `permille`/1000.
    pub fn chance(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }
}

/// How the byzantine validator misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Byzantine {
    /// Sends conflicting votes and proposals to different peers.
    Equivocate,
    /// Proposes blocks whose state root is wrong.
    InvalidBlocks,
    /// Sends garbage, truncated and forged messages besides its normal ones.
    Garbage,
}

/// The faults of one run, drawn from its seed.
#[derive(Clone, Debug)]
pub struct Faults {
    /// Loss per message, permille, during the chaos phase.
    pub loss: u64,
    /// Duplication per message, permille.
    pub dup: u64,
    /// Largest one-way delay, ms (each message draws its own: messages reorder).
    pub max_delay: u64,
    /// Partitions: (start, end, the group cut off from the rest).
    pub partitions: Vec<(u64, u64, Vec<usize>)>,
    /// Crashes: (node, at, restart at).
    pub crashes: Vec<(usize, u64, u64)>,
    /// The byzantine validator and its mode.
    pub byzantine: Option<(usize, Byzantine)>,
}

impl Faults {
    /// The faults seed `seed` stands for.
    pub fn from_seed(seed: u64) -> Faults {
        let mut r = Rng::new(seed.wrapping_mul(31).wrapping_add(7));
        let byz_node = r.below(VALIDATORS as u64) as usize;
        let byzantine = match r.below(4) {
            0 => None,
            1 => Some((byz_node, Byzantine::Equivocate)),
            2 => Some((byz_node, Byzantine::InvalidBlocks)),
            _ => Some((byz_node, Byzantine::Garbage)),
        };
        let mut partitions = Vec::new();
        for _ in 0..r.below(3) {
            let start = r.below(CHAOS_MS - 1000);
            let end = (start + r.range(300, 4000)).min(CHAOS_MS);
            let mut group: Vec<usize> = (0..VALIDATORS).filter(|_| r.chance(500)).collect();
            if group.is_empty() || group.len() == VALIDATORS {
                group = vec![r.below(VALIDATORS as u64) as usize];
            }
            partitions.push((start, end, group));
        }
        let mut crashes = Vec::new();
        let honest: Vec<usize> = (0..VALIDATORS)
            .filter(|i| byzantine.map(|(b, _)| b) != Some(*i))
            .collect();
        for _ in 0..r.below(3) {
            let node = honest[r.below(honest.len() as u64) as usize];
            let at = r.below(CHAOS_MS - 1000);
            let back = (at + r.range(200, 3000)).min(CHAOS_MS);
            if crashes
                .iter()
                .all(|(n, a, b)| *n != node || back < *a || at > *b)
            {
                crashes.push((node, at, back));
            }
        }
        Faults {
            loss: r.below(120),
            dup: r.below(60),
            max_delay: r.range(2, 150),
            partitions,
            crashes,
            byzantine,
        }
    }
}

/// What a successful run reports.
#[derive(Clone, Debug)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Hash of every event in order: equal for two runs of one seed.
    pub trace: Hash32,
    /// Events processed.
    pub events: u64,
    /// The height all honest nodes ended at.
    pub height: u64,
    /// Their common state root.
    pub state_root: Hash32,
    /// Virtual time at the end, ms.
    pub end_ms: u64,
    /// Messages dropped by loss or partitions.
    pub dropped: u64,
    /// Crashed nodes restarted from their stores.
    pub restarts: u64,
    /// Misbehaviour reports by honest replicas.
    pub misbehaviour_reports: u64,
    /// The faults of the run.
    pub faults: Faults,
}

/// Why a run failed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// What broke.
    pub what: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {}: {}\n  rerun: HANDOFF_SIM_SEED={} cargo test -p handoff-sim --test seeds one_seed -- --nocapture",
            self.seed, self.what, self.seed
        )
    }
}

fn label_key(label: &str) -> Keypair {
    let h = sha256(&[b"HANDOFF/SIM/KEY\0", label.as_bytes()]);
    Keypair::from_secret(h.0)
}

fn validator_key(i: usize) -> Keypair {
    label_key(&format!("validator {i}"))
}

/// The workload: a farm and a shop admitted by the registrar, a product defined, bags
/// commissioned, each bag offered to the shop and accepted. All signed up front (a
/// handoff is named by its proposal's transaction id).
pub struct Workload {
    /// The chain's genesis.
    pub genesis: Genesis,
    /// The transactions, in the order clients submit them.
    pub txs: Vec<SignedTx>,
}

impl Workload {
    /// The workload with `bags` bags.
    pub fn new(bags: usize) -> Workload {
        let registrar = label_key("registrar");
        let farm = label_key("farm");
        let shop = label_key("shop");
        let genesis = Genesis {
            name: "handoff sim".into(),
            time_ms: GENESIS_MS,
            validators: (0..VALIDATORS).map(|i| validator_key(i).public()).collect(),
            orgs: vec![AdmitOrg {
                org: registrar.public(),
                name: "Registry".into(),
                prefixes: vec![],
                glns: vec![],
                roles: vec![Role::Registrar],
            }],
        };
        let chain_id = genesis.chain_id();
        let mut nonces: BTreeMap<PublicKey, u64> = BTreeMap::new();
        let mut sign = |k: &Keypair, payload: Payload| {
            let n = nonces.entry(k.public()).or_insert(0);
            let tx = k
                .sign_tx(TxBody {
                    version: TX_VERSION,
                    chain_id,
                    signer: k.public(),
                    nonce: *n,
                    event_time_ms: GENESIS_MS,
                    payload,
                })
                // The workload's bodies are a few fixed, short fields: they always encode.
                .expect("a workload body encodes");
            *n += 1;
            tx
        };
        let mut txs = Vec::new();
        for (k, name, prefixes, role) in [
            (&farm, "Farm", vec!["0614141".to_string()], Role::Producer),
            (&shop, "Shop", vec![], Role::Retailer),
        ] {
            txs.push(sign(
                &registrar,
                Payload::AdmitOrg(AdmitOrg {
                    org: k.public(),
                    name: name.into(),
                    prefixes,
                    glns: vec![],
                    roles: vec![role],
                }),
            ));
        }
        let d13 = "0061414100001";
        let gtin = format!("{d13}{}", check_digit(d13).unwrap_or(0));
        txs.push(sign(
            &farm,
            Payload::DefineProduct {
                gtin: gtin.clone(),
                name: "Green coffee".into(),
                description: String::new(),
                attributes: vec![],
                image_hash: None,
            },
        ));
        let bag = |i: usize| Gs1Key::Serial {
            gtin: gtin.clone(),
            serial: format!("BAG{i}"),
        };
        for chunk in (0..bags).collect::<Vec<_>>().chunks(2) {
            txs.push(sign(
                &farm,
                Payload::Commission(Commission {
                    entries: chunk.iter().map(|i| Entry::item(bag(*i))).collect(),
                    pin_hashes: vec![],
                    at: None,
                    lot: None,
                    expiry: None,
                    attributes: vec![],
                }),
            ));
        }
        for i in 0..bags {
            let offer = sign(
                &farm,
                Payload::ProposeHandoff(ProposeHandoff {
                    to: shop.public(),
                    entries: vec![Entry::item(bag(i))],
                    transfer: Transfer::Both,
                    ship_from: None,
                    ship_to: None,
                    docs: vec![],
                    expires_at_height: None,
                }),
            );
            let id = offer.id();
            txs.push(offer);
            txs.push(sign(
                &shop,
                Payload::AcceptHandoff(AcceptHandoff {
                    handoff: id,
                    missing: vec![],
                    damaged: vec![],
                }),
            ));
        }
        Workload { genesis, txs }
    }
}

/// The application side of one node: builds, validates and commits blocks on its store.
struct App {
    store: Store,
    chain_id: Hash32,
}

fn outcome_of(
    r: &Result<handoff_core::event::Effects, handoff_core::rejection::Rejection>,
) -> Outcome {
    match r {
        Ok(_) => Outcome::applied(),
        Err(e) => Outcome::rejected(e),
    }
}

impl App {
    /// A block on the committed tip from the mempool's uncommitted transactions.
    fn build(
        &self,
        height: u64,
        proposer: PublicKey,
        now_ms: u64,
        mempool: &[SignedTx],
    ) -> Option<Block> {
        let last = self.store.last_header().ok()?;
        if last.height + 1 != height {
            return None;
        }
        let time_ms = (last.time_ms + 1).max(GENESIS_MS + now_ms as i64);
        let ctx = BlockContext {
            chain_id: self.chain_id,
            height,
            time_ms,
        };
        let candidates: Vec<&SignedTx> = mempool
            .iter()
            .filter(|t| {
                matches!(
                    self.store.tx_location(&t.body.signer, t.body.nonce),
                    Ok(None)
                )
            })
            .take(BLOCK_TXS)
            .collect();
        let exec = execute(&ctx, &self.store, &candidates);
        let mut wire = Vec::new();
        let mut leaves = Vec::new();
        let mut outcomes = Vec::new();
        for (tx, r) in candidates.iter().zip(&exec.results) {
            if matches!(r, Err(e) if e.code.changes_nothing()) {
                continue;
            }
            let o = outcome_of(r);
            leaves.push((tx.id(), o.clone()));
            outcomes.push(o);
            wire.push(tx.encode());
        }
        let prepared = self.store.prepare(height, &exec.writes).ok()?;
        Some(Block {
            header: BlockHeader {
                version: BLOCK_VERSION,
                chain_id: self.chain_id,
                height,
                prev_hash: last.hash(),
                time_ms,
                proposer,
                tx_count: wire.len() as u32,
                tx_root: tx_root(&leaves),
                state_root: prepared.root,
            },
            certificate: Certificate::default(),
            txs: wire,
            outcomes,
        })
    }

    /// Re-executes a proposed block on the committed tip: valid only if it gives exactly
    /// its header.
    fn validate(&self, b: &Block) -> bool {
        let Ok(last) = self.store.last_header() else {
            return false;
        };
        let h = &b.header;
        if h.version != BLOCK_VERSION
            || h.chain_id != self.chain_id
            || h.height != last.height + 1
            || h.prev_hash != last.hash()
            || h.time_ms <= last.time_ms
            || h.tx_count as usize != b.txs.len()
            || b.outcomes.len() != b.txs.len()
        {
            return false;
        }
        let Ok(txs) = b
            .txs
            .iter()
            .map(|t| SignedTx::decode(t))
            .collect::<Result<Vec<_>, _>>()
        else {
            return false;
        };
        let refs: Vec<&SignedTx> = txs.iter().collect();
        let ctx = BlockContext {
            chain_id: self.chain_id,
            height: h.height,
            time_ms: h.time_ms,
        };
        let exec = execute(&ctx, &self.store, &refs);
        let mut leaves = Vec::new();
        for ((tx, r), claimed) in txs.iter().zip(&exec.results).zip(&b.outcomes) {
            if matches!(r, Err(e) if e.code.changes_nothing()) {
                return false;
            }
            let o = outcome_of(r);
            if &o != claimed {
                return false;
            }
            leaves.push((tx.id(), o));
        }
        if tx_root(&leaves) != h.tx_root {
            return false;
        }
        matches!(self.store.prepare(h.height, &exec.writes), Ok(p) if p.root == h.state_root)
    }
}

struct Live {
    replica: Replica,
    app: App,
    /// Scheduled timers and the token of their pending event.
    timers: BTreeMap<Timer, u64>,
}

struct Node {
    key_secret: [u8; 32],
    dir: PathBuf,
    live: Option<Live>,
    /// Durable across crashes: the replica's own signatures (`Action::Persist`).
    signed: Vec<(u64, Vec<u8>)>,
    mempool: Vec<SignedTx>,
    byzantine: Option<Byzantine>,
}

#[derive(Clone, Debug)]
enum Event {
    Deliver {
        from: usize,
        to: usize,
        bytes: Vec<u8>,
    },
    Timer {
        node: usize,
        timer: Timer,
        token: u64,
    },
    Build {
        node: usize,
        height: u64,
        round: u32,
        token: u64,
    },
    Submit {
        tx: usize,
    },
    Crash {
        node: usize,
    },
    Restart {
        node: usize,
    },
}

/// The simulator of one seed.
pub struct Sim {
    seed: u64,
    rng: Rng,
    now: u64,
    seq: u64,
    queue: BTreeMap<(u64, u64), Event>,
    nodes: Vec<Node>,
    faults: Faults,
    workload: Workload,
    released: usize,
    trace: Hash32,
    events: u64,
    dropped: u64,
    restarts: u64,
    misbehaviour_reports: u64,
    /// Height → header hash of the first honest commit: the fork check.
    committed: BTreeMap<u64, Hash32>,
    failure: Option<String>,
    /// A block was committed since convergence was last checked.
    dirty: bool,
    /// `HANDOFF_SIM_VERBOSE`: print every event.
    verbose: bool,
    /// Honest nodes re-execute proposals (false only to check that the checks bite).
    validate: bool,
    timeouts: Timeouts,
    _tmp: tempfile::TempDir,
}

impl Sim {
    /// Sets up the run of `seed` (stores in a fresh temporary folder).
    pub fn new(seed: u64) -> Result<Sim, Failure> {
        let fail = |what: String| Failure { seed, what };
        let tmp = tempfile::Builder::new()
            .prefix("handoff-sim-")
            .tempdir_in(sim_tmp_root())
            .map_err(|e| fail(format!("temp dir: {e}")))?;
        let faults = Faults::from_seed(seed);
        let workload = Workload::new(6);
        let mut nodes = Vec::new();
        for i in 0..VALIDATORS {
            let dir = tmp.path().join(format!("node{i}"));
            let store = Store::open(&dir).map_err(|e| fail(format!("open: {e}")))?;
            store
                .init(&workload.genesis, workload.genesis.validators[0])
                .map_err(|e| fail(format!("init: {e}")))?;
            drop(store);
            nodes.push(Node {
                key_secret: validator_key(i).secret(),
                dir,
                live: None,
                signed: Vec::new(),
                mempool: Vec::new(),
                byzantine: faults.byzantine.filter(|(b, _)| *b == i).map(|(_, m)| m),
            });
        }
        let timeouts = Timeouts {
            propose: Duration::from_millis(1000),
            prevote: Duration::from_millis(400),
            precommit: Duration::from_millis(400),
            delta: Duration::from_millis(200),
            rebroadcast: Duration::from_millis(1500),
            status: Duration::from_millis(700),
        };
        let mut sim = Sim {
            seed,
            rng: Rng::new(seed),
            now: 0,
            seq: 0,
            queue: BTreeMap::new(),
            nodes,
            faults,
            workload,
            released: 0,
            trace: Hash32::default(),
            events: 0,
            dropped: 0,
            restarts: 0,
            misbehaviour_reports: 0,
            committed: BTreeMap::new(),
            failure: None,
            dirty: false,
            verbose: std::env::var_os("HANDOFF_SIM_VERBOSE").is_some(),
            validate: true,
            timeouts,
            _tmp: tmp,
        };
        for i in 0..VALIDATORS {
            sim.boot(i);
        }
        let n = sim.workload.txs.len() as u64;
        for t in 0..n {
            // Clients submit through the chaos phase.
            let at = 50 + t * (CHAOS_MS - 1000) / n.max(1);
            sim.push(at, Event::Submit { tx: t as usize });
        }
        for (node, at, back) in sim.faults.crashes.clone() {
            sim.push(at, Event::Crash { node });
            sim.push(back, Event::Restart { node });
        }
        Ok(sim)
    }

    fn push(&mut self, at: u64, e: Event) {
        self.seq += 1;
        self.queue.insert((at, self.seq), e);
    }

    fn note(&mut self, parts: &[&[u8]]) {
        let mut all: Vec<&[u8]> = vec![&self.trace.0];
        all.extend_from_slice(parts);
        self.trace = sha256(&all);
    }

    fn honest(&self) -> Vec<usize> {
        (0..VALIDATORS)
            .filter(|i| self.nodes[*i].byzantine.is_none())
            .collect()
    }

    /// Opens a node's store and starts its replica at the height after its tip.
    fn boot(&mut self, i: usize) {
        let store = match open_store(&self.nodes[i].dir) {
            Ok(s) => s,
            Err(e) => {
                self.failure = Some(format!("node {i} cannot reopen its store: {e}"));
                return;
            }
        };
        let mut replica = Replica::new(
            Config {
                chain_id: self.workload.genesis.chain_id(),
                timeouts: self.timeouts,
            },
            Keypair::from_secret(self.nodes[i].key_secret),
        );
        let records: Vec<Vec<u8>> = self.nodes[i]
            .signed
            .iter()
            .map(|(_, r)| r.clone())
            .collect();
        replica.restore_signed(&records);
        let height = store.height() + 1;
        let validators = match store.validators() {
            Ok(set) => set.validators,
            Err(e) => {
                self.failure = Some(format!("node {i} cannot read its validator set: {e}"));
                return;
            }
        };
        self.nodes[i].live = Some(Live {
            replica,
            app: App {
                store,
                chain_id: self.workload.genesis.chain_id(),
            },
            timers: BTreeMap::new(),
        });
        // Clients resubmit what they sent before (a restarted node's mempool is empty).
        self.nodes[i].mempool = self.workload.txs[..self.released].to_vec();
        self.input(i, Input::StartHeight { height, validators });
    }

    fn partitioned(&self, a: usize, b: usize) -> bool {
        self.faults
            .partitions
            .iter()
            .any(|(s, e, g)| self.now >= *s && self.now < *e && (g.contains(&a) != g.contains(&b)))
    }

    fn send(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        if from == to {
            return;
        }
        let chaos = self.now < CHAOS_MS;
        if self.partitioned(from, to) || (chaos && self.rng.chance(self.faults.loss)) {
            self.dropped += 1;
            return;
        }
        let copies = if chaos && self.rng.chance(self.faults.dup) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self.rng.range(1, self.faults.max_delay);
            self.push(
                self.now + delay,
                Event::Deliver {
                    from,
                    to,
                    bytes: bytes.clone(),
                },
            );
        }
    }

    fn broadcast(&mut self, from: usize, bytes: Vec<u8>) {
        match self.nodes[from].byzantine {
            Some(mode) => self.byzantine_broadcast(from, mode, bytes),
            None => {
                for to in 0..VALIDATORS {
                    self.send(from, to, bytes.clone());
                }
            }
        }
    }

    fn byzantine_broadcast(&mut self, from: usize, mode: Byzantine, bytes: Vec<u8>) {
        let key = Keypair::from_secret(self.nodes[from].key_secret);
        let ctx = HandoffContext::new(self.workload.genesis.chain_id());
        match mode {
            Byzantine::Equivocate => {
                let other = match ConsensusMsg::decode(&bytes) {
                    Ok(ConsensusMsg::Vote(v)) => {
                        Some(conflicting_vote(&ctx, &key, &v, &mut self.rng))
                    }
                    Ok(ConsensusMsg::Proposal(p)) => Some(conflicting_proposal(&ctx, &key, &p)),
                    _ => None,
                };
                for to in 0..VALIDATORS {
                    match &other {
                        Some(o) if self.rng.chance(500) => self.send(from, to, o.clone()),
                        _ => self.send(from, to, bytes.clone()),
                    }
                }
            }
            Byzantine::InvalidBlocks => {
                for to in 0..VALIDATORS {
                    self.send(from, to, bytes.clone());
                }
            }
            Byzantine::Garbage => {
                for to in 0..VALIDATORS {
                    self.send(from, to, bytes.clone());
                    let junk = garbage(&bytes, &key, &ctx, &mut self.rng);
                    self.send(from, to, junk);
                }
            }
        }
    }

    fn input(&mut self, i: usize, input: Input) {
        let Some(live) = self.nodes[i].live.as_mut() else {
            return;
        };
        let actions = live.replica.handle(input);
        for a in actions {
            self.act(i, a);
            if self.failure.is_some() {
                return;
            }
        }
    }

    fn act(&mut self, i: usize, a: Action) {
        match a {
            Action::Broadcast(bytes) => self.broadcast(i, bytes),
            Action::Send { to, bytes } => {
                if let Ok(to) = usize::try_from(to)
                    && to < VALIDATORS
                {
                    self.send(i, to, bytes);
                }
            }
            Action::ScheduleTimer { timer, after } => {
                self.seq += 1;
                let token = self.seq;
                if let Some(live) = self.nodes[i].live.as_mut() {
                    live.timers.insert(timer, token);
                }
                let at = self.now + after.as_millis() as u64;
                self.push(
                    at,
                    Event::Timer {
                        node: i,
                        timer,
                        token,
                    },
                );
            }
            Action::CancelTimer(t) => {
                if let Some(live) = self.nodes[i].live.as_mut() {
                    live.timers.remove(&t);
                }
            }
            Action::CancelConsensusTimers => {
                if let Some(live) = self.nodes[i].live.as_mut() {
                    live.timers.retain(|t, _| t.kind == TimerKind::Status);
                }
            }
            Action::BuildBlock { height, round } => {
                self.seq += 1;
                let token = self.seq;
                self.push(
                    self.now + BUILD_MS,
                    Event::Build {
                        node: i,
                        height,
                        round,
                        token,
                    },
                );
            }
            Action::ValidateBlock { ticket, block } => {
                let valid = self.nodes[i]
                    .live
                    .as_ref()
                    .is_some_and(|l| !self.validate || l.app.validate(&block));
                self.note(&[b"validate", &[i as u8, valid as u8], &block.header.hash().0]);
                self.input(i, Input::BlockValidated { ticket, valid });
            }
            Action::Persist { height, record } => {
                let n = &mut self.nodes[i];
                n.signed.push((height, record));
            }
            Action::Decided(block) => self.commit(i, block),
            Action::ServeBlocks {
                to,
                from,
                to_height,
            } => {
                let Ok(to) = usize::try_from(to) else { return };
                if to >= VALIDATORS {
                    return;
                }
                for h in from..=to_height {
                    let b = self.nodes[i]
                        .live
                        .as_ref()
                        .and_then(|l| l.app.store.block(h).ok().flatten());
                    if let Some(b) = b {
                        let bytes = certified_block_message(&b);
                        self.send(i, to, bytes);
                    }
                }
            }
            Action::Misbehaved { validator, .. } => {
                if self.nodes[i].byzantine.is_none() {
                    self.misbehaviour_reports += 1;
                    let honest_key = self
                        .honest()
                        .into_iter()
                        .any(|h| validator_key(h).public() == validator);
                    if honest_key {
                        self.failure = Some(format!(
                            "node {i} reported honest validator {validator:?} as misbehaving"
                        ));
                    }
                }
            }
        }
    }

    fn commit(&mut self, i: usize, block: Block) {
        let h = block.header.height;
        let hash = block.header.hash();
        let honest = self.nodes[i].byzantine.is_none();
        self.note(&[b"commit", &[i as u8], &h.to_be_bytes(), &hash.0]);
        if honest {
            if !block
                .certificate
                .verify(&block.header, &self.workload.genesis.validators)
            {
                self.failure = Some(format!(
                    "node {i} decided height {h} without a valid certificate"
                ));
                return;
            }
            match self.committed.get(&h) {
                Some(first) if *first != hash => {
                    self.failure = Some(format!(
                        "fork at height {h}: node {i} committed {} but another honest node committed {}",
                        hash.short(),
                        first.short()
                    ));
                    return;
                }
                Some(_) => {}
                None => {
                    self.committed.insert(h, hash);
                }
            }
        }
        let Some(live) = self.nodes[i].live.as_mut() else {
            return;
        };
        if let Err(e) = replay_block(&live.app.store, &block) {
            if honest {
                self.failure = Some(format!("node {i} cannot apply decided block {h}: {e}"));
            }
            return;
        }
        // The set that certifies the next block, from the state after this one.
        let validators = match live.app.store.validators() {
            Ok(set) => set.validators,
            Err(e) => {
                self.failure = Some(format!("node {i} cannot read its validator set: {e}"));
                return;
            }
        };
        let ids: BTreeSet<TxId> = block
            .txs
            .iter()
            .filter_map(|t| SignedTx::decode(t).ok())
            .map(|t| t.id())
            .collect();
        self.nodes[i].mempool.retain(|t| !ids.contains(&t.id()));
        self.dirty = true;
        self.nodes[i].signed.retain(|(hh, _)| *hh > h);
        self.input(
            i,
            Input::StartHeight {
                height: h + 1,
                validators,
            },
        );
    }

    fn step(&mut self, e: Event) {
        self.events += 1;
        if self.verbose {
            let what = match &e {
                Event::Deliver { from, to, bytes } => {
                    format!("deliver {from}->{to} {}", describe_msg(bytes))
                }
                other => format!("{other:?}"),
            };
            eprintln!("{:>7} {what}", self.now);
        }
        match e {
            Event::Deliver { from, to, bytes } => {
                self.note(&[b"deliver", &[from as u8, to as u8], &sha256(&[&bytes]).0]);
                self.input(
                    to,
                    Input::Message {
                        from: from as u64,
                        bytes,
                    },
                );
            }
            Event::Timer { node, timer, token } => {
                let live_token = self.nodes[node]
                    .live
                    .as_ref()
                    .and_then(|l| l.timers.get(&timer).copied());
                if live_token != Some(token) {
                    return;
                }
                if let Some(l) = self.nodes[node].live.as_mut() {
                    l.timers.remove(&timer);
                }
                self.note(&[
                    b"timer",
                    &[node as u8],
                    &timer.height.to_be_bytes(),
                    &timer.round.to_be_bytes(),
                ]);
                self.input(node, Input::TimerFired(timer));
            }
            Event::Build {
                node,
                height,
                round,
                token,
            } => {
                let _ = token;
                let proposer = validator_key(node).public();
                let built = self.nodes[node].live.as_ref().and_then(|l| {
                    l.app
                        .build(height, proposer, self.now, &self.nodes[node].mempool)
                });
                let Some(mut block) = built else { return };
                if self.nodes[node].byzantine == Some(Byzantine::InvalidBlocks) {
                    block.header.state_root = Hash32(
                        self.rng
                            .next_u64()
                            .to_be_bytes()
                            .repeat(4)
                            .try_into()
                            .unwrap_or([1; 32]),
                    );
                }
                self.note(&[b"build", &[node as u8], &block.header.hash().0]);
                self.input(
                    node,
                    Input::BlockBuilt {
                        height,
                        round,
                        block,
                    },
                );
            }
            Event::Submit { tx } => {
                self.released = self.released.max(tx + 1);
                let t = self.workload.txs[tx].clone();
                self.note(&[b"submit", &t.id().0]);
                for n in &mut self.nodes {
                    if n.live.is_some() {
                        n.mempool.push(t.clone());
                    }
                }
            }
            Event::Crash { node } => {
                self.note(&[b"crash", &[node as u8]]);
                // Everything not durable is lost: replica, caches, timers, mempool.
                self.nodes[node].live = None;
                self.nodes[node].mempool.clear();
            }
            Event::Restart { node } => {
                self.note(&[b"restart", &[node as u8]]);
                self.restarts += 1;
                self.boot(node);
            }
        }
    }

    fn converged(&self) -> bool {
        let honest = self.honest();
        let mut heights = BTreeSet::new();
        for i in &honest {
            let Some(l) = self.nodes[*i].live.as_ref() else {
                return false;
            };
            heights.insert(l.app.store.height());
        }
        let Some(h) = heights.iter().next().copied() else {
            return false;
        };
        if heights.len() != 1 || h < 2 {
            return false;
        }
        // Every transaction of the workload is in a block on every honest node.
        honest.iter().all(|i| {
            self.nodes[*i].live.as_ref().is_some_and(|l| {
                self.workload
                    .txs
                    .iter()
                    .all(|t| matches!(l.app.store.find_tx(&TxMeta::of(t)), Ok(Some(_))))
            })
        })
    }

    /// Runs to convergence (or failure).
    pub fn run(mut self) -> Result<Report, Failure> {
        let seed = self.seed;
        let fail = |what: String| Failure { seed, what };
        let mut heal_height: Option<u64> = None;
        loop {
            if let Some(f) = self.failure.take() {
                return Err(fail(f));
            }
            let Some((&(at, seq), _)) = self.queue.iter().next() else {
                return Err(fail("no events left: every timer stopped".into()));
            };
            let Some(e) = self.queue.remove(&(at, seq)) else {
                return Err(fail("event queue".into()));
            };
            self.now = at;
            if self.now >= CHAOS_MS && heal_height.is_none() {
                heal_height = Some(self.committed.keys().next_back().copied().unwrap_or(0));
            }
            if self.now > CHAOS_MS + HEAL_LIMIT_MS {
                return Err(fail(format!(
                    "no convergence {HEAL_LIMIT_MS} ms after the network healed (heights {:?}; {})",
                    self.heights(),
                    self.describe()
                )));
            }
            self.step(e);
            if let Some(hh) = heal_height
                && self.failure.is_none()
                && std::mem::take(&mut self.dirty)
                && self.converged()
            {
                let h = self.heights().first().copied().unwrap_or(0);
                if h <= hh {
                    continue;
                }
                return self.finish(h);
            }
        }
    }

    /// Each node's replica: height, round, decided, mempool size.
    fn describe(&self) -> String {
        let mut out = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            match &n.live {
                Some(l) => out.push(format!(
                    "node {i}{}: store {} replica h{} r{:?} decided {} mempool {} rejected {}",
                    if n.byzantine.is_some() {
                        " (byzantine)"
                    } else {
                        ""
                    },
                    l.app.store.height(),
                    l.replica.height(),
                    l.replica.round(),
                    l.replica.is_decided(),
                    n.mempool.len(),
                    l.replica.rejected_messages()
                )),
                None => out.push(format!("node {i}: down")),
            }
        }
        out.join("; ")
    }

    fn heights(&self) -> Vec<u64> {
        self.honest()
            .iter()
            .map(|i| {
                self.nodes[*i]
                    .live
                    .as_ref()
                    .map(|l| l.app.store.height())
                    .unwrap_or(0)
            })
            .collect()
    }

    fn finish(self, height: u64) -> Result<Report, Failure> {
        let seed = self.seed;
        let fail = |what: String| Failure { seed, what };
        let mut root: Option<(Hash32, Hash32)> = None;
        for i in self.honest() {
            let Some(l) = self.nodes[i].live.as_ref() else {
                return Err(fail(format!("node {i} is down at the end")));
            };
            let head = l
                .app
                .store
                .last_header()
                .map_err(|e| fail(format!("node {i}: {e}")))?;
            l.app.store.check_head().map_err(|e| {
                fail(format!(
                    "node {i}: the tree root disagrees with its header: {e}"
                ))
            })?;
            let here = (head.state_root, head.hash());
            match root {
                None => root = Some(here),
                Some(r) if r != here => {
                    return Err(fail(format!(
                        "node {i} ended on state root {} but another honest node on {}",
                        head.state_root.short(),
                        r.0.short()
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(Report {
            seed,
            trace: self.trace,
            events: self.events,
            height,
            state_root: root.map(|r| r.0).unwrap_or_default(),
            end_ms: self.now,
            dropped: self.dropped,
            restarts: self.restarts,
            misbehaviour_reports: self.misbehaviour_reports,
            faults: self.faults.clone(),
        })
    }
}

/// Opens a store, waiting while a just-dropped handle's background flusher still holds
/// sled's folder lock (a crashed node is dropped and reopened in the same process; a
/// real restart is a new process). Waiting takes wall time only: nothing the run
/// computes depends on it.
fn open_store(dir: &Path) -> Result<Store, handoff_store::StoreError> {
    let mut tries = 0;
    loop {
        match Store::open(dir) {
            Err(e) if tries < 500 && e.to_string().contains("lock") => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Where the simulator puts its stores: `HANDOFF_SIM_TMP`, else `/dev/shm` when it
/// exists (sled flushes are then memory copies), else the system temp folder.
fn sim_tmp_root() -> PathBuf {
    if let Some(p) = std::env::var_os("HANDOFF_SIM_TMP") {
        return PathBuf::from(p);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

fn conflicting_vote(ctx: &HandoffContext, key: &Keypair, v: &WireVote, rng: &mut Rng) -> Vec<u8> {
    let value = match v.value {
        Some(_) => None,
        None => Some(Hash32(
            rng.next_u64()
                .to_be_bytes()
                .repeat(4)
                .try_into()
                .unwrap_or([2; 32]),
        )),
    };
    let vote = Vote {
        vote_type: match v.vote_type {
            handoff_consensus::wire::WireVoteType::Prevote => VoteType::Prevote,
            handoff_consensus::wire::WireVoteType::Precommit => VoteType::Precommit,
        },
        height: Height(v.height),
        round: Round::new(v.round),
        value: match value {
            Some(h) => NilOrVal::Val(BlockId(h)),
            None => NilOrVal::Nil,
        },
        validator: Address(key.public()),
    };
    let signature = key.sign_raw(&ctx.vote_sign_bytes(&vote));
    ConsensusMsg::Vote(WireVote {
        value,
        signature,
        ..v.clone()
    })
    .encode()
}

fn conflicting_proposal(ctx: &HandoffContext, key: &Keypair, p: &WireProposal) -> Vec<u8> {
    let mut block = p.block.clone();
    block.header.time_ms += 7;
    let proposal = Proposal {
        height: Height(p.height),
        round: Round::new(p.round),
        value: BlockValue::new(block.clone()),
        pol_round: p.pol_round.map(Round::new).unwrap_or(Round::Nil),
        proposer: Address(key.public()),
    };
    let signature = key.sign_raw(&ctx.proposal_sign_bytes(&proposal));
    ConsensusMsg::Proposal(WireProposal {
        block,
        signature,
        ..p.clone()
    })
    .encode()
}

fn garbage(bytes: &[u8], key: &Keypair, ctx: &HandoffContext, rng: &mut Rng) -> Vec<u8> {
    match rng.below(6) {
        0 => (0..rng.below(300)).map(|_| rng.next_u64() as u8).collect(),
        1 => bytes[..rng.below(bytes.len() as u64) as usize].to_vec(),
        2 => {
            let mut b = bytes.to_vec();
            if !b.is_empty() {
                let i = rng.below(b.len() as u64) as usize;
                b[i] ^= 1 << rng.below(8);
            }
            b
        }
        3 => {
            // A well-formed vote for a far-away round.
            let v = WireVote {
                vote_type: handoff_consensus::wire::WireVoteType::Prevote,
                height: 1 + rng.below(50),
                round: rng.below(u32::MAX as u64) as u32,
                value: None,
                validator: key.public(),
                signature: [0; 64],
            };
            conflicting_vote(ctx, key, &v, rng)
        }
        4 => ConsensusMsg::Status {
            height: rng.next_u64(),
        }
        .encode(),
        _ => {
            // A "certified" block with a certificate of one signature.
            let header = BlockHeader {
                version: BLOCK_VERSION,
                chain_id: ctx.chain_id,
                height: 1 + rng.below(40),
                prev_hash: Hash32::default(),
                time_ms: GENESIS_MS + 1,
                proposer: key.public(),
                tx_count: 0,
                tx_root: tx_root(&[]),
                state_root: Hash32([3; 32]),
            };
            let certificate = Certificate {
                round: 0,
                sigs: vec![Certificate::sign(key, &header, 0)],
            };
            certified_block_message(&Block {
                header,
                certificate,
                txs: vec![],
                outcomes: vec![],
            })
        }
    }
}

fn describe_msg(bytes: &[u8]) -> String {
    match ConsensusMsg::decode(bytes) {
        Ok(ConsensusMsg::Proposal(p)) => format!(
            "proposal h{} r{} pol{:?} {} root {}",
            p.height,
            p.round,
            p.pol_round,
            p.block.header.hash().short(),
            p.block.header.state_root.short()
        ),
        Ok(ConsensusMsg::Vote(v)) => format!(
            "{:?} h{} r{} {:?}",
            v.vote_type,
            v.height,
            v.round,
            v.value.map(|h| h.short())
        ),
        Ok(ConsensusMsg::Polka(c)) => format!("polka h{} r{}", c.height, c.round),
        Ok(ConsensusMsg::RoundCert(c)) => {
            format!("round cert h{} r{} skip {}", c.height, c.round, c.skip)
        }
        Ok(ConsensusMsg::Status { height }) => format!("status h{height}"),
        Ok(ConsensusMsg::Certified(b)) => format!("certified h{}", b.header.height),
        Err(e) => format!("undecodable ({e})"),
    }
}

/// Runs one seed.
pub fn run(seed: u64) -> Result<Report, Failure> {
    Sim::new(seed)?.run()
}

/// Runs one seed with honest nodes that accept every proposed block unchecked: a broken
/// application the simulator must catch (used by its own tests).
pub fn run_without_validation(seed: u64) -> Result<Report, Failure> {
    let mut sim = Sim::new(seed)?;
    sim.validate = false;
    sim.run()
}
