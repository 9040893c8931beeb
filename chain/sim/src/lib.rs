//! Seeded deterministic simulation of Handoff consensus, in the manner of TigerBeetle's
//! simulator: four or seven validators (a [`Setup`], optionally with validator-set changes
//! by governance transactions during the run) run the real
//! [`handoff_consensus::Replica`] in one process,
//! over a simulated network with a virtual clock, message delay, loss, duplication and
//! reordering, partitions that heal, skewed clocks, crashes with restart from the durable
//! store, and byzantine validators (equivocating, proposing blocks with a wrong state
//! root or a bad header, or sending garbage). Each node runs the node's own application,
//! [`handoff_application::Application`] (mempool admission, block build, validation at
//! the node's clock, commit of decided and caught-up blocks), on real signed Handoff
//! transactions, and keeps its state in a real `handoff_store::Store` in a temporary
//! folder.
//!
//! After every run: no two honest nodes committed different blocks at one height, every
//! committed certificate verifies with `handoff-core` alone against the validator set of
//! its height, all honest nodes end at the same height with the same state root and
//! validator set, every transaction of the workload was committed once the network
//! healed, the committed chain passes what validators assert before voting (proposer in
//! the set, time after the parent's and within the clock drift), and the run is a pure
//! function of the seed (the hash of the full event trace is returned, and tests compare
//! it across two runs).
//!
//! The simulator owns all time and randomness; it never reads the wall clock and uses no
//! threads, so a failing seed replays exactly: `HANDOFF_SIM_SEED=<seed>
//! HANDOFF_SIM_VALIDATORS=<n> HANDOFF_SIM_SET_CHANGES=<0|1> cargo test -p handoff-sim
//! --test seeds one_seed -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use handoff_application::{Application, Limits, verify_chunked};
use handoff_consensus::context::{
    Address, BlockId, BlockValue, HandoffContext, Height, Proposal, Vote,
};
use handoff_consensus::wire::{WireProposal, WireVote};
use handoff_consensus::{
    Action, Config, ConsensusMsg, Input, Replica, Timeouts, Timer, TimerKind,
    certified_block_message,
};
use handoff_core::block::{BLOCK_VERSION, Block, BlockHeader, Certificate, Genesis, tx_root};
use handoff_core::crypto::Keypair;
use handoff_core::governance::sign_approval;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::tx::{
    AcceptHandoff, AdmitOrg, Commission, Entry, Payload, ProposeHandoff, SignedTx, TX_VERSION,
    Transfer, TxBody,
};
use handoff_core::types::{Hash32, PublicKey, Role, sha256};
use handoff_store::{Store, TxMeta};
use malachitebft_core_types::{NilOrVal, Round, VoteType};

/// Validators at genesis in the default setup.
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
/// Largest offset of an honest node's clock from virtual time, ms (either way).
pub const CLOCK_SKEW_MS: u64 = 1_000;
/// How far ahead a byzantine validator with a bad clock proposes, ms: beyond
/// `MAX_CLOCK_DRIFT_MS`, so honest validators must refuse its blocks.
pub const BAD_CLOCK_AHEAD_MS: i64 = 60_000;

/// What is simulated: how many validators, and whether the set changes during the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Validators at genesis (4 or 7 in the tests; at most 2 of 7 byzantine).
    pub validators: usize,
    /// Two validator-set changes by governance transactions in the middle of the
    /// workload: a spare node joins the set (epoch 1), then genesis validator 0 leaves it
    /// (epoch 2). The spare runs from the start, following as an observer; the validator
    /// that leaves keeps running as one.
    pub set_changes: bool,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            validators: VALIDATORS,
            set_changes: false,
        }
    }
}

impl Setup {
    /// Nodes in the run: the validators, and the spare when the set changes.
    pub fn nodes(&self) -> usize {
        self.validators + usize::from(self.set_changes)
    }
    /// Byzantine validators the set tolerates: fewer than a third.
    pub fn tolerated(&self) -> usize {
        self.validators.saturating_sub(1) / 3
    }
    /// The variables that select this setup in `one_seed`.
    pub fn env(&self) -> String {
        format!(
            "HANDOFF_SIM_VALIDATORS={} HANDOFF_SIM_SET_CHANGES={}",
            self.validators,
            u8::from(self.set_changes)
        )
    }
    /// The setup `HANDOFF_SIM_VALIDATORS` and `HANDOFF_SIM_SET_CHANGES` name (default: 4
    /// validators, no changes).
    pub fn from_env() -> Setup {
        let validators = std::env::var("HANDOFF_SIM_VALIDATORS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(VALIDATORS);
        let set_changes = std::env::var("HANDOFF_SIM_SET_CHANGES").is_ok_and(|v| v == "1");
        Setup {
            validators,
            set_changes,
        }
    }
}

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

/// How a byzantine validator misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Byzantine {
    /// Sends conflicting votes and proposals to different peers.
    Equivocate,
    /// Proposes blocks whose state root is wrong.
    InvalidBlocks,
    /// Sends garbage, truncated and forged messages besides its normal ones.
    Garbage,
    /// Proposes well-executed blocks with a header no validator may accept: a time a
    /// minute ahead (its clock is wrong), or a proposer outside the validator set.
    BadHeader,
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
    /// The byzantine validators (at most what the set tolerates) and their modes.
    pub byzantine: Vec<(usize, Byzantine)>,
    /// Each node's clock offset from virtual time, ms.
    pub clock_offsets: Vec<i64>,
}

impl Faults {
    /// The faults seed `seed` stands for in the default setup.
    pub fn from_seed(seed: u64) -> Faults {
        Faults::for_setup(seed, Setup::default())
    }

    /// The faults seed `seed` stands for in `setup`.
    pub fn for_setup(seed: u64, setup: Setup) -> Faults {
        let mut r = Rng::new(seed.wrapping_mul(31).wrapping_add(7));
        let nodes = setup.nodes();
        // Byzantine nodes are genesis validators; with set changes, the set of every
        // epoch has at most as many as it tolerates (the one that leaves may be one).
        let mut byzantine: Vec<(usize, Byzantine)> = Vec::new();
        for _ in 0..setup.tolerated().max(1) {
            let node = r.below(setup.validators as u64) as usize;
            let mode = match r.below(5) {
                0 => continue,
                1 => Byzantine::Equivocate,
                2 => Byzantine::InvalidBlocks,
                3 => Byzantine::Garbage,
                _ => Byzantine::BadHeader,
            };
            if byzantine.iter().all(|(n, _)| *n != node) {
                byzantine.push((node, mode));
            }
        }
        let mut partitions = Vec::new();
        for _ in 0..r.below(3) {
            let start = r.below(CHAOS_MS - 1000);
            let end = (start + r.range(300, 4000)).min(CHAOS_MS);
            let mut group: Vec<usize> = (0..nodes).filter(|_| r.chance(500)).collect();
            if group.is_empty() || group.len() == nodes {
                group = vec![r.below(nodes as u64) as usize];
            }
            partitions.push((start, end, group));
        }
        let mut crashes = Vec::new();
        let honest: Vec<usize> = (0..nodes)
            .filter(|i| byzantine.iter().all(|(b, _)| b != i))
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
        let loss = r.below(120);
        let dup = r.below(60);
        let max_delay = r.range(2, 150);
        let clock_offsets = (0..nodes)
            .map(|_| r.range(0, 2 * CLOCK_SKEW_MS) as i64 - CLOCK_SKEW_MS as i64)
            .collect();
        Faults {
            loss,
            dup,
            max_delay,
            partitions,
            crashes,
            byzantine,
            clock_offsets,
        }
    }

    /// The byzantine mode of `node`, if it is byzantine.
    pub fn mode_of(&self, node: usize) -> Option<Byzantine> {
        self.byzantine
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, m)| *m)
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
    /// The setup.
    pub setup: Setup,
    /// The validator-set epoch all honest nodes ended at.
    pub epoch: u64,
    /// Blocks proposed by validators that joined during the run.
    pub joined_proposals: u64,
    /// Certificates signed by validators that joined during the run.
    pub joined_signatures: u64,
    /// The faults of the run.
    pub faults: Faults,
}

/// Why a run failed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// The setup.
    pub setup: Setup,
    /// What broke.
    pub what: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} ({:?}): {}\n  rerun: HANDOFF_SIM_SEED={} {} cargo test -p handoff-sim --test seeds one_seed -- --nocapture",
            self.seed,
            self.setup,
            self.what,
            self.seed,
            self.setup.env()
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
/// handoff is named by its proposal's transaction id). With set changes, two
/// `SetValidators` transactions sit in the middle, approved by every member of the set
/// they replace (gathered off-chain, as `handoff validators approve` does) and submitted
/// by validator 1 with consecutive nonces, so the second follows the first.
pub struct Workload {
    /// The chain's genesis.
    pub genesis: Genesis,
    /// The transactions, in the order clients submit them.
    pub txs: Vec<SignedTx>,
    /// The validator set once every transaction is committed.
    pub final_set: Vec<PublicKey>,
    /// Its epoch.
    pub final_epoch: u64,
    /// Validators that join during the run.
    pub joining: Vec<PublicKey>,
}

impl Workload {
    /// The workload with `bags` bags, four validators, no set change.
    pub fn new(bags: usize) -> Workload {
        Workload::for_setup(bags, Setup::default())
    }

    /// The workload with `bags` bags for `setup`.
    pub fn for_setup(bags: usize, setup: Setup) -> Workload {
        let registrar = label_key("registrar");
        let farm = label_key("farm");
        let shop = label_key("shop");
        let genesis = Genesis {
            name: "handoff sim".into(),
            time_ms: GENESIS_MS,
            validators: (0..setup.validators)
                .map(|i| validator_key(i).public())
                .collect(),
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
                    claim_keys: vec![],
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
        let mut final_set = genesis.validators.clone();
        let mut final_epoch = 0;
        let mut joining = Vec::new();
        if setup.set_changes {
            let spare = validator_key(setup.validators).public();
            let submitter = validator_key(1);
            let mut changes = Vec::new();
            // Epoch 1: the spare joins. Epoch 2: genesis validator 0 leaves.
            let set1: Vec<PublicKey> = final_set.iter().copied().chain([spare]).collect();
            let set2: Vec<PublicKey> = set1[1..].to_vec();
            // Every member of the set being replaced approves (node i holds key i).
            for (epoch, members, set) in [
                (1, setup.validators, &set1),
                (2, setup.validators + 1, &set2),
            ] {
                let approvals = (0..members)
                    .map(|i| sign_approval(&validator_key(i), &chain_id, epoch, set))
                    .collect();
                changes.push(sign(
                    &submitter,
                    Payload::SetValidators {
                        validators: set.clone(),
                        epoch,
                        approvals,
                    },
                ));
            }
            let middle = txs.len() / 2;
            txs.splice(middle..middle, changes);
            final_set = set2;
            final_epoch = 2;
            joining.push(spare);
        }
        Workload {
            genesis,
            txs,
            final_set,
            final_epoch,
            joining,
        }
    }
}

struct Live {
    replica: Replica,
    /// The node's application (mempool included): the one the node runs.
    app: Application,
    store: Store,
    /// Scheduled timers and the token of their pending event.
    timers: BTreeMap<Timer, u64>,
}

struct Node {
    key_secret: [u8; 32],
    dir: PathBuf,
    live: Option<Live>,
    /// Durable across crashes: the replica's own signatures (`Action::Persist`).
    signed: Vec<(u64, Vec<u8>)>,
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
    setup: Setup,
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
    /// Height → virtual time of its first honest commit.
    committed_at: BTreeMap<u64, u64>,
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
        Sim::with_setup(seed, Setup::default())
    }

    /// Sets up the run of `seed` in `setup`.
    pub fn with_setup(seed: u64, setup: Setup) -> Result<Sim, Failure> {
        let fail = |what: String| Failure { seed, setup, what };
        let tmp = tempfile::Builder::new()
            .prefix("handoff-sim-")
            .tempdir_in(sim_tmp_root())
            .map_err(|e| fail(format!("temp dir: {e}")))?;
        let faults = Faults::for_setup(seed, setup);
        let workload = Workload::for_setup(6, setup);
        let mut nodes = Vec::new();
        for i in 0..setup.nodes() {
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
                byzantine: faults.mode_of(i),
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
            setup,
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
            committed_at: BTreeMap::new(),
            failure: None,
            dirty: false,
            verbose: std::env::var_os("HANDOFF_SIM_VERBOSE").is_some(),
            validate: true,
            timeouts,
            _tmp: tmp,
        };
        for i in 0..setup.nodes() {
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
        (0..self.nodes.len())
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
        let mut app = Application::new(
            self.workload.genesis.chain_id(),
            Limits {
                block_txs: BLOCK_TXS,
                ..Limits::network()
            },
            verify_chunked,
        );
        // Clients resubmit what they sent before (a restarted node's mempool is empty);
        // what is committed already is answered with its receipt and not queued.
        for t in &self.workload.txs[..self.released] {
            if let Err(e) = app.admit(&store, t, false) {
                self.failure = Some(format!("node {i} refuses workload transaction: {e}"));
                return;
            }
        }
        self.nodes[i].live = Some(Live {
            replica,
            app,
            store,
            timers: BTreeMap::new(),
        });
        self.input(i, Input::StartHeight { height, validators });
    }

    /// Node `i`'s clock, unix ms: the simulated chain's genesis time plus virtual time,
    /// off by the node's own offset.
    fn clock(&self, i: usize) -> i64 {
        GENESIS_MS + self.now as i64 + self.faults.clock_offsets.get(i).copied().unwrap_or(0)
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
                for to in 0..self.nodes.len() {
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
                for to in 0..self.nodes.len() {
                    match &other {
                        Some(o) if self.rng.chance(500) => self.send(from, to, o.clone()),
                        _ => self.send(from, to, bytes.clone()),
                    }
                }
            }
            Byzantine::InvalidBlocks | Byzantine::BadHeader => {
                for to in 0..self.nodes.len() {
                    self.send(from, to, bytes.clone());
                }
            }
            Byzantine::Garbage => {
                for to in 0..self.nodes.len() {
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
                    && to < self.nodes.len()
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
                let now_ms = self.clock(i);
                let check = self.validate;
                let valid = self.nodes[i]
                    .live
                    .as_mut()
                    .is_some_and(|l| !check || l.app.validate(&l.store, &block, now_ms).is_ok());
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
                if to >= self.nodes.len() {
                    return;
                }
                for h in from..=to_height {
                    let b = self.nodes[i]
                        .live
                        .as_ref()
                        .and_then(|l| l.store.block(h).ok().flatten());
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
        let Some(live) = self.nodes[i].live.as_mut() else {
            return;
        };
        if honest {
            // The set that governs this height: the one in the state after h - 1.
            let set = match live.app.validators(&live.store) {
                Ok(set) => set,
                Err(e) => {
                    self.failure = Some(format!("node {i} cannot read its validator set: {e}"));
                    return;
                }
            };
            if !block.certificate.verify(&block.header, &set) {
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
                    self.committed_at.insert(h, self.now);
                }
            }
        }
        if let Err(e) = live.app.commit(&live.store, &block) {
            if honest {
                self.failure = Some(format!("node {i} cannot apply decided block {h}: {e}"));
            }
            return;
        }
        // The set that certifies the next block, from the state after this one.
        let validators = match live.app.validators(&live.store) {
            Ok(set) => set,
            Err(e) => {
                self.failure = Some(format!("node {i} cannot read its validator set: {e}"));
                return;
            }
        };
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
                let mut proposer = validator_key(node).public();
                let mut now_ms = self.clock(node);
                if self.nodes[node].byzantine == Some(Byzantine::BadHeader) {
                    // A clock a minute ahead, or a proposer the set does not hold: the
                    // block executes correctly, but no validator may accept its header.
                    if self.rng.chance(500) {
                        now_ms += BAD_CLOCK_AHEAD_MS;
                    } else {
                        proposer = label_key("impostor").public();
                    }
                }
                let built = self.nodes[node]
                    .live
                    .as_mut()
                    .and_then(|l| l.app.build(&l.store, height, proposer, now_ms).ok());
                let Some(mut block) = built.map(|b| b.block) else {
                    return;
                };
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
                for (i, n) in self.nodes.iter_mut().enumerate() {
                    if let Some(l) = n.live.as_mut()
                        && let Err(e) = l.app.admit(&l.store, &t, false)
                    {
                        self.failure = Some(format!("node {i} refuses workload transaction: {e}"));
                        return;
                    }
                }
            }
            Event::Crash { node } => {
                self.note(&[b"crash", &[node as u8]]);
                // Everything not durable is lost: replica, caches, timers, mempool.
                self.nodes[node].live = None;
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
            heights.insert(l.store.height());
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
                    .all(|t| matches!(l.store.find_tx(&TxMeta::of(t)), Ok(Some(_))))
            })
        })
    }

    /// Runs to convergence (or failure).
    pub fn run(mut self) -> Result<Report, Failure> {
        let seed = self.seed;
        let setup = self.setup;
        let fail = |what: String| Failure { seed, setup, what };
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
                    l.store.height(),
                    l.replica.height(),
                    l.replica.round(),
                    l.replica.is_decided(),
                    l.app.mempool().len(),
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
                    .map(|l| l.store.height())
                    .unwrap_or(0)
            })
            .collect()
    }

    fn finish(self, height: u64) -> Result<Report, Failure> {
        let seed = self.seed;
        let setup = self.setup;
        let fail = |what: String| Failure { seed, setup, what };
        let mut root: Option<(Hash32, Hash32)> = None;
        for i in self.honest() {
            let Some(l) = self.nodes[i].live.as_ref() else {
                return Err(fail(format!("node {i} is down at the end")));
            };
            let head = l
                .store
                .last_header()
                .map_err(|e| fail(format!("node {i}: {e}")))?;
            l.store.check_head().map_err(|e| {
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
            // The set changes took effect on every honest node.
            let set = l
                .store
                .validators()
                .map_err(|e| fail(format!("node {i}: validator set: {e}")))?;
            if set.validators != self.workload.final_set || set.epoch != self.workload.final_epoch {
                return Err(fail(format!(
                    "node {i} ended with the validator set of epoch {} ({} keys), not epoch {}",
                    set.epoch,
                    set.validators.len(),
                    self.workload.final_epoch
                )));
            }
        }
        let (joined_proposals, joined_signatures) = self.audit_chain(height).map_err(fail)?;
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
            setup,
            epoch: self.workload.final_epoch,
            joined_proposals,
            joined_signatures,
            faults: self.faults.clone(),
        })
    }

    /// Checks the committed chain (one honest node's; the others have the same blocks)
    /// against what every validator asserts of a block before voting for it: each block
    /// is certified by the validator set of its height, its proposer is in that set, its
    /// time is after its parent's and at most `MAX_CLOCK_DRIFT_MS` ahead of the clock of
    /// an honest validator when it was decided. Returns how many blocks validators that
    /// joined during the run proposed, and how many certificates they signed.
    fn audit_chain(&self, height: u64) -> Result<(u64, u64), String> {
        let Some(store) = self
            .honest()
            .into_iter()
            .find_map(|i| self.nodes[i].live.as_ref().map(|l| &l.store))
        else {
            return Err("no honest node is up".into());
        };
        let mut parent = store
            .header(0)
            .map_err(|e| e.to_string())?
            .ok_or("no genesis header")?;
        let (mut proposals, mut signatures) = (0, 0);
        for h in 1..=height {
            let block = store
                .block(h)
                .map_err(|e| e.to_string())?
                .ok_or(format!("block {h} missing"))?;
            let head = &block.header;
            let set = store
                .validators_at(h)
                .map_err(|e| format!("validator set of {h}: {e}"))?
                .validators;
            if !block.certificate.verify(head, &set) {
                return Err(format!(
                    "block {h} is not certified by the validator set of its height"
                ));
            }
            if !set.contains(&head.proposer) {
                return Err(format!(
                    "block {h} was proposed by {}, not a validator of its height",
                    head.proposer.short()
                ));
            }
            if head.time_ms <= parent.time_ms {
                return Err(format!("block {h}'s time is not after its parent's"));
            }
            let decided = self.committed_at.get(&h).copied().unwrap_or(self.now);
            let latest = GENESIS_MS
                + decided as i64
                + CLOCK_SKEW_MS as i64
                + handoff_application::MAX_CLOCK_DRIFT_MS;
            if head.time_ms > latest {
                return Err(format!(
                    "block {h}'s time is {} ms ahead of every honest clock when it was decided",
                    head.time_ms - (GENESIS_MS + decided as i64)
                ));
            }
            if self.workload.joining.contains(&head.proposer) {
                proposals += 1;
            }
            signatures += block
                .certificate
                .sigs
                .iter()
                .filter(|s| self.workload.joining.contains(&s.validator))
                .count() as u64;
            parent = block.header;
        }
        // A reader that trusts only the genesis set (the consumer page) reaches the set
        // of the last block through the store's set changes, and finds it certified.
        if height > 0 {
            let genesis = store.validators_at(0).map_err(|e| e.to_string())?;
            let changes = store
                .set_changes_before(height)
                .map_err(|e| format!("set changes: {e}"))?;
            let governing = store.validators_at(height).map_err(|e| e.to_string())?;
            if changes.len() as u64 > governing.epoch
                || (governing.epoch > genesis.epoch && changes.is_empty())
            {
                return Err(format!(
                    "{} set changes found before block {height}, governed by epoch {}",
                    changes.len(),
                    governing.epoch
                ));
            }
            let last = store
                .block(height)
                .map_err(|e| e.to_string())?
                .ok_or(format!("block {height} missing"))?;
            let set = handoff_core::governance::follow_changes(
                &last.header.chain_id,
                &genesis.validators,
                genesis.epoch,
                &changes,
                height,
            )
            .map_err(|e| format!("following the set changes from genesis: {e}"))?;
            if set != governing.validators {
                return Err(format!(
                    "the set reached from genesis is not the set of block {height}"
                ));
            }
            if !last.certificate.verify(&last.header, &set) {
                return Err(format!(
                    "block {height} is not certified by the set reached from genesis"
                ));
            }
        }
        Ok((proposals, signatures))
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
                concerns_root: handoff_core::concerns::Concerns::default().root(),
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
                concerns: Default::default(),
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

/// Runs one seed (four validators, no set change).
pub fn run(seed: u64) -> Result<Report, Failure> {
    Sim::new(seed)?.run()
}

/// Runs one seed in `setup`.
pub fn run_setup(seed: u64, setup: Setup) -> Result<Report, Failure> {
    Sim::with_setup(seed, setup)?.run()
}

/// Runs one seed with honest nodes that accept every proposed block unchecked: a broken
/// application the simulator must catch (used by its own tests).
pub fn run_without_validation(seed: u64) -> Result<Report, Failure> {
    let mut sim = Sim::new(seed)?;
    sim.validate = false;
    sim.run()
}
