//! Replicas wired by hand: a FIFO network, a virtual clock for timers, and a toy
//! application whose blocks are valid when their state root is the one the height
//! expects. (Real transactions and the real store run in `handoff-sim`.)

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use handoff_consensus::context::HandoffContext;
use handoff_consensus::wire::{WireVote, WireVoteType};
use handoff_consensus::{
    Action, Config, ConsensusMsg, Input, Misbehavior, Replica, Timeouts, Timer,
};
use handoff_core::block::{BLOCK_VERSION, Block, BlockHeader, Certificate};
use handoff_core::crypto::Keypair;
use handoff_core::types::{Hash32, PublicKey};

const CHAIN: Hash32 = Hash32([9; 32]);

fn key(i: usize) -> Keypair {
    Keypair::from_secret([i as u8 + 1; 32])
}

fn keys() -> Vec<PublicKey> {
    (0..4).map(|i| key(i).public()).collect()
}

/// The blocks without certificates: every replica assembles its own certificate (any
/// 2/3+ of precommits), so agreement is on headers and bodies.
fn headers(blocks: &[Block]) -> Vec<BlockHeader> {
    blocks.iter().map(|b| b.header.clone()).collect()
}

fn good_root(h: u64) -> Hash32 {
    Hash32([h as u8; 32])
}

/// Decides which messages (from, to, message) are lost.
type Loss = Box<dyn Fn(usize, usize, &ConsensusMsg) -> bool>;

struct Net {
    replicas: Vec<Option<Replica>>,
    queue: VecDeque<(usize, usize, Vec<u8>)>,
    timers: BTreeMap<(Duration, u64), (usize, Timer)>,
    now: Duration,
    seq: u64,
    decided: Vec<Vec<Block>>,
    misbehaved: Vec<(usize, PublicKey, Misbehavior)>,
    /// Proposers whose blocks carry a wrong state root.
    bad_proposer: Option<PublicKey>,
    /// Deliver nothing sent by these replicas.
    mute: Vec<usize>,
    /// Messages (from, to, message) this returns true for are lost.
    lose: Option<Loss>,
    /// Each replica's `Action::Persist` records, in order.
    persisted: Vec<Vec<Vec<u8>>>,
    log: Vec<(usize, Vec<u8>)>,
}

impl Net {
    fn new(live: &[usize]) -> Net {
        let replicas = (0..4)
            .map(|i| {
                live.contains(&i).then(|| {
                    Replica::new(
                        Config {
                            chain_id: CHAIN,
                            timeouts: Timeouts::default(),
                        },
                        key(i),
                    )
                })
            })
            .collect();
        Net {
            replicas,
            queue: VecDeque::new(),
            timers: BTreeMap::new(),
            now: Duration::ZERO,
            seq: 0,
            decided: vec![Vec::new(); 4],
            misbehaved: Vec::new(),
            bad_proposer: None,
            mute: Vec::new(),
            lose: None,
            persisted: vec![Vec::new(); 4],
            log: Vec::new(),
        }
    }

    fn start(&mut self) {
        for i in 0..4 {
            self.input(
                i,
                Input::StartHeight {
                    height: 1,
                    validators: keys(),
                },
            );
        }
    }

    fn block(&self, i: usize, height: u64) -> Block {
        let proposer = key(i).public();
        let prev = self.decided[i]
            .last()
            .map(|b| b.header.hash())
            .unwrap_or_default();
        let root = if Some(proposer) == self.bad_proposer {
            Hash32([0xee; 32])
        } else {
            good_root(height)
        };
        Block {
            header: BlockHeader {
                version: BLOCK_VERSION,
                chain_id: CHAIN,
                height,
                prev_hash: prev,
                time_ms: height as i64,
                proposer,
                tx_count: 0,
                tx_root: Hash32::default(),
                state_root: root,
                concerns_root: handoff_core::concerns::Concerns::default().root(),
            },
            certificate: Certificate::default(),
            txs: vec![],
            outcomes: vec![],
            concerns: Default::default(),
        }
    }

    fn input(&mut self, i: usize, input: Input) {
        let Some(r) = self.replicas[i].as_mut() else {
            return;
        };
        let actions = r.handle(input);
        for a in actions {
            match a {
                Action::Broadcast(bytes) => {
                    self.log.push((i, bytes.clone()));
                    for j in 0..4 {
                        if j != i {
                            self.queue.push_back((i, j, bytes.clone()));
                        }
                    }
                }
                Action::Send { to, bytes } => self.queue.push_back((i, to as usize, bytes)),
                Action::ScheduleTimer { timer, after } => {
                    self.seq += 1;
                    self.timers.insert((self.now + after, self.seq), (i, timer));
                }
                Action::CancelTimer(t) => self.timers.retain(|_, v| *v != (i, t)),
                Action::CancelConsensusTimers => self
                    .timers
                    .retain(|_, v| v.0 != i || v.1.kind == handoff_consensus::TimerKind::Status),
                Action::BuildBlock { height, round } => {
                    let block = self.block(i, height);
                    self.input(
                        i,
                        Input::BlockBuilt {
                            height,
                            round,
                            block,
                        },
                    );
                }
                Action::ValidateBlock { ticket, block } => {
                    let valid = block.header.state_root == good_root(block.header.height);
                    self.input(i, Input::BlockValidated { ticket, valid });
                }
                Action::Persist { record, .. } => self.persisted[i].push(record),
                Action::Decided(block) => {
                    let h = block.header.height;
                    self.decided[i].push(block);
                    self.input(
                        i,
                        Input::StartHeight {
                            height: h + 1,
                            validators: keys(),
                        },
                    );
                }
                Action::ServeBlocks {
                    to,
                    from,
                    to_height,
                } => {
                    for h in from..=to_height {
                        if let Some(b) = self.decided[i].get(h as usize - 1) {
                            let bytes = handoff_consensus::certified_block_message(b);
                            self.queue.push_back((i, to as usize, bytes));
                        }
                    }
                }
                Action::Misbehaved {
                    validator, kind, ..
                } => self.misbehaved.push((i, validator, kind)),
            }
        }
    }

    /// Runs until every live replica decided `heights` blocks or `limit` of virtual time.
    fn run(&mut self, heights: usize, limit: Duration) {
        while self.now < limit {
            let live_done = (0..4)
                .filter(|i| self.replicas[*i].is_some())
                .all(|i| self.decided[i].len() >= heights);
            if live_done {
                return;
            }
            if let Some((from, to, bytes)) = self.queue.pop_front() {
                if self.mute.contains(&from) {
                    continue;
                }
                if let (Some(lose), Ok(m)) = (&self.lose, ConsensusMsg::decode(&bytes))
                    && lose(from, to, &m)
                {
                    continue;
                }
                self.input(
                    to,
                    Input::Message {
                        from: from as u64,
                        bytes,
                    },
                );
                continue;
            }
            let Some((&(at, seq), _)) = self.timers.iter().next() else {
                return;
            };
            let Some((i, t)) = self.timers.remove(&(at, seq)) else {
                return;
            };
            self.now = at;
            self.input(i, Input::TimerFired(t));
        }
    }
}

#[test]
fn four_replicas_commit_the_same_certified_blocks() {
    let mut net = Net::new(&[0, 1, 2, 3]);
    net.start();
    net.run(3, Duration::from_secs(60));
    for i in 0..4 {
        assert_eq!(net.decided[i].len(), 3, "replica {i} decided");
        assert_eq!(
            headers(&net.decided[i]),
            headers(&net.decided[0]),
            "replica {i} agrees"
        );
    }
    for (h, b) in net.decided[0].iter().enumerate() {
        assert_eq!(b.header.height, h as u64 + 1);
        assert!(
            b.certificate.verify(&b.header, &keys()),
            "the certificate of height {} verifies with handoff-core alone",
            h + 1
        );
        assert!(b.certificate.sigs.len() >= 3);
    }
    // Round-robin proposers: heights 1, 2, 3 by validators 1, 2, 3.
    let proposers: Vec<PublicKey> = net.decided[0].iter().map(|b| b.header.proposer).collect();
    assert_eq!(proposers, vec![keys()[1], keys()[2], keys()[3]]);
}

#[test]
fn three_of_four_decide_without_the_fourth() {
    let mut net = Net::new(&[0, 1, 2]);
    net.start();
    net.run(4, Duration::from_secs(300));
    for i in 0..3 {
        assert_eq!(net.decided[i].len(), 4, "replica {i} decided");
        assert_eq!(headers(&net.decided[i]), headers(&net.decided[0]));
    }
}

#[test]
fn a_block_with_a_wrong_state_root_is_never_decided() {
    let mut net = Net::new(&[0, 1, 2, 3]);
    net.bad_proposer = Some(keys()[1]); // the proposer of height 1, round 0
    net.start();
    net.run(2, Duration::from_secs(300));
    let first = &net.decided[0][0];
    assert_eq!(first.header.state_root, good_root(1));
    assert_ne!(first.header.proposer, keys()[1]);
    assert!(first.certificate.round >= 1, "decided in a later round");
    for i in 0..4 {
        assert_eq!(headers(&net.decided[i]), headers(&net.decided[0]));
    }
}

#[test]
fn a_locked_block_is_re_proposed_by_the_next_proposer_and_decided() {
    // Height 1, round 0: validator 1 proposes X; replica 3 never gets the proposal, and
    // the round-0 precommits of validators 1 and 2 for X never arrive, so 0, 1 and 2 lock
    // on X without deciding. In round 1 validator 2 re-proposes X (whose header names
    // validator 1) with its polka; replica 3 must accept it.
    let mut net = Net::new(&[0, 1, 2, 3]);
    net.lose = Some(Box::new(|from, to, m| match m {
        ConsensusMsg::Proposal(p) => p.round == 0 && to == 3,
        ConsensusMsg::Vote(v) => {
            v.round == 0
                && v.vote_type == WireVoteType::Precommit
                && v.value.is_some()
                && (from == 1 || from == 2)
        }
        _ => false,
    }));
    net.start();
    net.run(1, Duration::from_secs(120));
    for i in 0..4 {
        assert!(
            !net.decided[i].is_empty(),
            "replica {i} decided nothing (round {:?}, now {:?})",
            net.replicas[i].as_ref().and_then(|r| r.round()),
            net.now
        );
        let b = &net.decided[i][0];
        assert_eq!(
            b.header.proposer,
            keys()[1],
            "replica {i}: the round-0 block"
        );
        assert_eq!(b.certificate.round, 1, "replica {i}: decided in round 1");
        assert!(b.certificate.verify(&b.header, &keys()));
    }
}

#[test]
fn a_restarted_replica_replays_its_log_and_keeps_its_lock() {
    // As above: 0, 1 and 2 lock on validator 1's block X in round 0 without deciding.
    let mut net = Net::new(&[0, 1, 2, 3]);
    net.lose = Some(Box::new(|from, to, m| match m {
        ConsensusMsg::Proposal(p) => p.round == 0 && to == 3,
        ConsensusMsg::Vote(v) => {
            v.round == 0
                && v.vote_type == WireVoteType::Precommit
                && v.value.is_some()
                && (from == 1 || from == 2)
        }
        _ => false,
    }));
    net.start();
    net.run(1, Duration::from_millis(500));
    let precommit_x = |bytes: &[u8]| match ConsensusMsg::decode(bytes) {
        Ok(ConsensusMsg::Vote(v))
            if v.vote_type == WireVoteType::Precommit && v.round == 0 && v.value.is_some() =>
        {
            Some(v)
        }
        _ => None,
    };
    let before = net
        .log
        .iter()
        .filter(|(from, _)| *from == 0)
        .find_map(|(_, b)| precommit_x(b))
        .expect("replica 0 precommitted X in round 0");
    assert!(net.decided.iter().all(|d| d.is_empty()));
    // Replica 0 crashes: a new one from its persisted records only.
    let records = net.persisted[0].clone();
    let mut fresh = Replica::new(
        Config {
            chain_id: CHAIN,
            timeouts: Timeouts::default(),
        },
        key(0),
    );
    fresh.restore_signed(&records);
    net.timers.retain(|_, v| v.0 != 0);
    net.replicas[0] = Some(fresh);
    net.log.clear();
    net.input(
        0,
        Input::StartHeight {
            height: 1,
            validators: keys(),
        },
    );
    let again = net
        .log
        .iter()
        .filter(|(from, _)| *from == 0)
        .find_map(|(_, b)| precommit_x(b))
        .expect("the restarted replica re-derived its round-0 precommit from its log");
    assert_eq!(again, before, "the same vote, the same signature");
    net.run(1, Duration::from_secs(120));
    for i in 0..4 {
        assert_eq!(net.decided[i].len(), 1, "replica {i}");
        assert_eq!(
            net.decided[i][0].header.hash(),
            before.value.expect("value")
        );
    }
    assert!(
        net.misbehaved.is_empty(),
        "no one saw a double vote: {:?}",
        net.misbehaved
    );
}

fn vote(
    signer: &Keypair,
    vote_type: WireVoteType,
    height: u64,
    round: u32,
    value: Option<Hash32>,
) -> Vec<u8> {
    let ctx = HandoffContext::new(CHAIN);
    let v = handoff_consensus::context::Vote {
        vote_type: match vote_type {
            WireVoteType::Prevote => malachitebft_core_types::VoteType::Prevote,
            WireVoteType::Precommit => malachitebft_core_types::VoteType::Precommit,
        },
        height: handoff_consensus::context::Height(height),
        round: malachitebft_core_types::Round::new(round),
        value: match value {
            Some(h) => {
                malachitebft_core_types::NilOrVal::Val(handoff_consensus::context::BlockId(h))
            }
            None => malachitebft_core_types::NilOrVal::Nil,
        },
        validator: handoff_consensus::context::Address(signer.public()),
    };
    let signature = signer.sign_raw(&ctx.vote_sign_bytes(&v));
    ConsensusMsg::Vote(WireVote {
        vote_type,
        height,
        round,
        value,
        validator: signer.public(),
        signature,
    })
    .encode()
}

#[test]
fn an_equivocating_vote_is_detected_and_changes_nothing() {
    let mut net = Net::new(&[0, 1, 2, 3]);
    net.start();
    // Before anything is delivered, validator 3 also prevotes nil and precommits a
    // made-up block in round 0 of height 1: votes that conflict with the ones it casts.
    for to in 0..3 {
        for bytes in [
            vote(&key(3), WireVoteType::Prevote, 1, 0, None),
            vote(
                &key(3),
                WireVoteType::Precommit,
                1,
                0,
                Some(Hash32([0x42; 32])),
            ),
        ] {
            net.queue.push_back((3, to, bytes));
        }
    }
    net.run(2, Duration::from_secs(300));
    for i in 0..4 {
        assert!(net.decided[i].len() >= 2);
        assert_eq!(headers(&net.decided[i][..2]), headers(&net.decided[0][..2]));
    }
    assert!(
        net.misbehaved
            .iter()
            .any(|(_, v, k)| *v == keys()[3] && *k == Misbehavior::DoubleVote),
        "the double vote was reported: {:?}",
        net.misbehaved
    );
    assert!(
        net.decided[0][0]
            .certificate
            .verify(&net.decided[0][0].header, &keys())
    );
}

#[test]
fn forged_votes_do_not_make_a_quorum() {
    // Two honest replicas and votes "from" validators 2 and 3 signed with other keys.
    let mut net = Net::new(&[0, 1]);
    net.start();
    let forger = Keypair::from_secret([77; 32]);
    for round in 0..3 {
        for who in [2usize, 3] {
            for t in [WireVoteType::Prevote, WireVoteType::Precommit] {
                let mut bytes = vote(&forger, t, 1, round, None);
                // Claim to be `who`: rewrite the validator field with its key.
                if let Ok(ConsensusMsg::Vote(mut v)) = ConsensusMsg::decode(&bytes) {
                    v.validator = keys()[who];
                    bytes = ConsensusMsg::Vote(v).encode();
                }
                for to in 0..2 {
                    net.queue.push_back((who, to, bytes.clone()));
                }
            }
        }
    }
    net.run(1, Duration::from_secs(120));
    assert!(net.decided[0].is_empty() && net.decided[1].is_empty());
    assert_eq!(net.replicas[0].as_ref().map(|r| r.height()), Some(1));
}

#[test]
fn a_certified_block_decides_a_lagging_replica_only_with_more_than_two_thirds() {
    // Produce two certified blocks with four replicas.
    let mut net = Net::new(&[0, 1, 2, 3]);
    net.start();
    net.run(2, Duration::from_secs(60));
    let b1 = net.decided[0][0].clone();
    let mut lagging = Replica::new(
        Config {
            chain_id: CHAIN,
            timeouts: Timeouts::default(),
        },
        Keypair::from_secret([50; 32]),
    );
    lagging.handle(Input::StartHeight {
        height: 1,
        validators: keys(),
    });
    let decided = |acts: &[Action]| acts.iter().any(|a| matches!(a, Action::Decided(_)));
    // Two of four signatures: refused.
    let mut weak = b1.clone();
    weak.certificate.sigs.truncate(2);
    let acts = lagging.handle(Input::Message {
        from: 0,
        bytes: handoff_consensus::certified_block_message(&weak),
    });
    assert!(!decided(&acts));
    // A forged signature in a three-signature certificate: refused.
    let mut forged = b1.clone();
    forged.certificate.sigs.truncate(3);
    forged.certificate.sigs[0].signature[0] ^= 1;
    let acts = lagging.handle(Input::Message {
        from: 0,
        bytes: handoff_consensus::certified_block_message(&forged),
    });
    assert!(!decided(&acts));
    // A real certificate with a different block under it: refused.
    let mut swapped = b1.clone();
    swapped.header.state_root = Hash32([0xaa; 32]);
    let acts = lagging.handle(Input::Message {
        from: 0,
        bytes: handoff_consensus::certified_block_message(&swapped),
    });
    assert!(!decided(&acts));
    assert!(lagging.rejected_messages() >= 3);
    // The real one: decided.
    let acts = lagging.handle(Input::Message {
        from: 0,
        bytes: handoff_consensus::certified_block_message(&b1),
    });
    assert!(
        acts.iter()
            .any(|a| matches!(a, Action::Decided(b) if *b == b1))
    );
}

#[test]
fn garbage_and_mutated_messages_never_panic() {
    let mut net = Net::new(&[0, 1, 2, 3]);
    net.start();
    net.run(1, Duration::from_secs(60));
    let samples: Vec<Vec<u8>> = net.log.iter().map(|(_, b)| b.clone()).take(40).collect();
    assert!(!samples.is_empty());
    let mut r = Replica::new(
        Config {
            chain_id: CHAIN,
            timeouts: Timeouts::default(),
        },
        key(0),
    );
    r.handle(Input::StartHeight {
        height: 1,
        validators: keys(),
    });
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for n in 0..4000 {
        let mut b = samples[n % samples.len()].clone();
        match next() % 4 {
            0 => {
                let i = (next() as usize) % b.len();
                b[i] ^= 1 << (next() % 8);
            }
            1 => b.truncate((next() as usize) % b.len()),
            2 => b.extend((0..(next() % 64)).map(|_| next() as u8)),
            _ => b = (0..(next() % 200)).map(|_| next() as u8).collect(),
        }
        let _ = ConsensusMsg::decode(&b);
        let _ = r.handle(Input::Message { from: 9, bytes: b });
    }
    assert!(r.rejected_messages() > 0);
}

/// `HANDOFF_FUZZ_SEEDS=fuzz/seeds cargo test -p handoff-consensus --test replicas` writes
/// real proposals, votes, status and certified-block messages as fuzz seeds.
#[test]
fn write_fuzz_seeds() {
    let Some(dir) = std::env::var_os("HANDOFF_FUZZ_SEEDS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir).join("consensus_msg");
    std::fs::create_dir_all(&dir).expect("seed dir");
    let mut net = Net::new(&[0, 1, 2, 3]);
    net.start();
    net.run(1, Duration::from_secs(60));
    let mut kinds = BTreeMap::new();
    for (_, b) in &net.log {
        let kind = match ConsensusMsg::decode(b) {
            Ok(ConsensusMsg::Proposal(_)) => "proposal",
            Ok(ConsensusMsg::Vote(v)) if v.value.is_some() => "vote",
            Ok(ConsensusMsg::Vote(_)) => "nil_vote",
            Ok(ConsensusMsg::Status { .. }) => "status",
            _ => "other",
        };
        kinds.entry(kind).or_insert_with(|| b.clone());
    }
    kinds.insert(
        "certified",
        handoff_consensus::certified_block_message(&net.decided[0][0]),
    );
    for (k, b) in kinds {
        std::fs::write(dir.join(k), b).expect("seed file");
    }
}
