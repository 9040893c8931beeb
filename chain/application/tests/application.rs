//! The application as validators use it: several nodes, each with a real sled store on
//! disk and its own `Application`, real ed25519 keys and signatures. One node builds, the
//! others validate, blocks are certified by the validators' precommit signatures and
//! committed or taken by sync. One test per block refusal code (named after it, checked by
//! `every_block_error_code_has_a_test`), then admission, build, commit and sync.

use handoff_application::{
    Admission, AppError, Application, BlockError, Limits, MAX_CLOCK_DRIFT_MS, Refusal,
    verify_chunked,
};
use handoff_core::block::{Block, Certificate, Genesis, Outcome};
use handoff_core::crypto::Keypair;
use handoff_core::governance::sign_approval;
use handoff_core::limits::MAX_BLOCK_TXS;
use handoff_core::rejection::Code;
use handoff_core::tx::{AdmitOrg, Payload, SignedTx, TX_VERSION, TxBody};
use handoff_core::types::{Hash32, PublicKey, Role, sha256};
use handoff_store::faults::ReadFaults;
use handoff_store::{Store, TxMeta};
use std::collections::BTreeMap;

const T0: i64 = 1_790_000_000_000;
/// The validators' clocks during the tests.
const NOW: i64 = T0 + 60_000;

fn key(label: &str) -> Keypair {
    Keypair::from_secret(sha256(&[b"HANDOFF/TEST/APP\0", label.as_bytes()]).0)
}

struct Node {
    store: Store,
    app: Application,
    _dir: tempfile::TempDir,
}

/// Four validators' nodes on one genesis.
struct Chain {
    chain_id: Hash32,
    validators: Vec<Keypair>,
    registrar: Keypair,
    nonces: BTreeMap<PublicKey, u64>,
    nodes: Vec<Node>,
}

fn chain_with(limits: Limits) -> Chain {
    let validators: Vec<Keypair> = (0..4).map(|i| key(&format!("validator {i}"))).collect();
    let registrar = key("registrar");
    let genesis = Genesis {
        name: "application test".into(),
        time_ms: T0,
        validators: validators.iter().map(Keypair::public).collect(),
        orgs: vec![AdmitOrg {
            org: registrar.public(),
            name: "Registry".into(),
            prefixes: vec![],
            glns: vec![],
            roles: vec![Role::Registrar],
        }],
    };
    let chain_id = genesis.chain_id();
    let nodes = (0..4)
        .map(|_| {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Store::open(dir.path()).expect("store");
            store
                .init(&genesis, validators[0].public())
                .expect("genesis");
            Node {
                store,
                app: Application::new(chain_id, limits, verify_chunked),
                _dir: dir,
            }
        })
        .collect();
    Chain {
        chain_id,
        validators,
        registrar,
        nonces: BTreeMap::new(),
        nodes,
    }
}

fn chain() -> Chain {
    chain_with(Limits::network())
}

impl Chain {
    fn sign_nonce(&self, k: &Keypair, nonce: u64, payload: Payload) -> SignedTx {
        k.sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: self.chain_id,
            signer: k.public(),
            nonce,
            event_time_ms: T0,
            payload,
        })
        .expect("the body encodes")
    }

    fn sign(&mut self, k: &Keypair, payload: Payload) -> SignedTx {
        let n = self.nonces.entry(k.public()).or_insert(0);
        let nonce = *n;
        *n += 1;
        self.sign_nonce(k, nonce, payload)
    }

    /// The registrar admits an org named `name` (the org's key is `key(name)`).
    fn admit_org(&mut self, name: &str) -> SignedTx {
        let reg = Keypair::from_secret(self.registrar.secret());
        self.sign(
            &reg,
            Payload::AdmitOrg(AdmitOrg {
                org: key(name).public(),
                name: name.into(),
                prefixes: vec![],
                glns: vec![],
                roles: vec![Role::Retailer],
            }),
        )
    }

    /// Node `n` admits `txs` and builds the next block from its mempool, as validator `v`.
    fn propose(&mut self, n: usize, v: usize, txs: &[SignedTx]) -> Block {
        let node = &mut self.nodes[n];
        for t in txs {
            node.app.admit(&node.store, t, false).expect("admitted");
        }
        let height = node.store.height() + 1;
        node.app
            .build(&node.store, height, self.validators[v].public(), NOW)
            .expect("built")
            .block
    }

    /// `block` with the precommits of validators `by` in round 0.
    fn certify(&self, mut block: Block, by: &[usize]) -> Block {
        block.certificate = Certificate {
            round: 0,
            sigs: by
                .iter()
                .map(|i| Certificate::sign(&self.validators[*i], &block.header, 0))
                .collect(),
        };
        block
    }

    fn validate(&mut self, n: usize, block: &Block) -> Result<(), AppError> {
        let node = &mut self.nodes[n];
        node.app.validate(&node.store, block, NOW)
    }

    fn sync(&mut self, n: usize, block: &Block) -> Result<(), AppError> {
        let node = &mut self.nodes[n];
        node.app.accept_synced(&node.store, block).map(|_| ())
    }

    /// Validated, decided and committed on every node.
    fn decide(&mut self, block: &Block) {
        let certified = self.certify(block.clone(), &[0, 1, 2, 3]);
        for n in 0..self.nodes.len() {
            let node = &mut self.nodes[n];
            node.app
                .commit(&node.store, &certified)
                .unwrap_or_else(|e| panic!("node {n} commits: {e}"));
        }
    }

    fn root(&self, n: usize) -> Hash32 {
        self.nodes[n]
            .store
            .last_header()
            .expect("header")
            .state_root
    }
}

/// The refusal of `r`, which must be an invalid block.
fn refusal(r: Result<(), AppError>) -> BlockError {
    match r {
        Err(AppError::Invalid(e)) => e,
        other => panic!("expected an invalid block, got {other:?}"),
    }
}

/// Node 0 proposes a block admitting one org, as validator 0.
fn proposal(c: &mut Chain) -> Block {
    let t = c.admit_org("Shop");
    c.propose(0, 0, &[t])
}

// ---- One test per block refusal code -------------------------------------------------

#[test]
fn block_version() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.header.version += 1;
    let e = refusal(c.validate(1, &b));
    assert_eq!(e, BlockError::Version(b.header.version));
    assert_eq!(e.code(), "BLOCK_VERSION");
}

#[test]
fn block_wrong_chain() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.header.chain_id = sha256(&[b"another chain"]);
    assert_eq!(refusal(c.validate(1, &b)).code(), "BLOCK_WRONG_CHAIN");
    // A certified block of another chain is not taken by sync either.
    let b = c.certify(b, &[0, 1, 2]);
    assert_eq!(refusal(c.sync(1, &b)).code(), "BLOCK_WRONG_CHAIN");
}

#[test]
fn block_not_next() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.header.height += 1;
    let e = refusal(c.validate(1, &b));
    assert_eq!(e, BlockError::NotNext { height: 2, tip: 0 });
    assert_eq!(e.code(), "BLOCK_NOT_NEXT");
    let b = c.certify(b, &[0, 1, 2]);
    assert_eq!(refusal(c.sync(1, &b)).code(), "BLOCK_NOT_NEXT");
}

#[test]
fn block_wrong_parent() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.header.prev_hash = sha256(&[b"not the tip"]);
    assert_eq!(refusal(c.validate(1, &b)).code(), "BLOCK_WRONG_PARENT");
}

#[test]
fn block_time_not_after_parent() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.header.time_ms = T0;
    let e = refusal(c.validate(1, &b));
    assert_eq!(
        e,
        BlockError::TimeNotAfterParent {
            time_ms: T0,
            parent_ms: T0
        }
    );
    assert_eq!(e.code(), "BLOCK_TIME_NOT_AFTER_PARENT");
}

#[test]
fn block_time_ahead() {
    let mut c = chain();
    let b = proposal(&mut c);
    // The proposer's clock was NOW: a validator whose clock is the drift limit behind
    // still takes it; one further behind refuses it.
    let behind = b.header.time_ms - MAX_CLOCK_DRIFT_MS;
    let node = &mut c.nodes[1];
    node.app
        .validate(&node.store, &b, behind)
        .expect("within the drift");
    let node = &mut c.nodes[2];
    let e = match node.app.validate(&node.store, &b, behind - 1) {
        Err(AppError::Invalid(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        e,
        BlockError::TimeAhead {
            ahead_ms: MAX_CLOCK_DRIFT_MS + 1
        }
    );
    assert_eq!(e.code(), "BLOCK_TIME_AHEAD");
}

#[test]
fn block_proposer_not_validator() {
    let mut c = chain();
    let t = c.admit_org("Shop");
    let node = &mut c.nodes[0];
    node.app.admit(&node.store, &t, false).expect("admitted");
    let outsider = key("not a validator").public();
    let b = node
        .app
        .build(&node.store, 1, outsider, NOW)
        .expect("built")
        .block;
    let e = refusal(c.validate(1, &b));
    assert_eq!(e, BlockError::ProposerNotValidator(outsider));
    assert_eq!(e.code(), "BLOCK_PROPOSER_NOT_VALIDATOR");
}

#[test]
fn block_tx_count() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.header.tx_count += 1;
    assert_eq!(refusal(c.validate(1, &b)).code(), "BLOCK_TX_COUNT");
    // A peer that drops a transaction from a certified block's body is caught too.
    let b = proposal(&mut c);
    let mut b = c.certify(b, &[0, 1, 2]);
    b.txs.pop();
    b.outcomes.pop();
    assert_eq!(refusal(c.sync(1, &b)).code(), "BLOCK_TX_COUNT");
}

#[test]
fn block_too_many_txs() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    let n = MAX_BLOCK_TXS + 1;
    b.txs = vec![vec![0]; n];
    b.outcomes = vec![Outcome::applied(); n];
    b.header.tx_count = n as u32;
    assert_eq!(refusal(c.validate(1, &b)), BlockError::TooManyTxs(n));
    assert_eq!(BlockError::TooManyTxs(n).code(), "BLOCK_TOO_MANY_TXS");
}

#[test]
fn block_too_large() {
    // Validators whose network carries at most 100 bytes of transactions per proposal
    // refuse a proposal of one transaction larger than that.
    let mut c = chain_with(Limits {
        block_tx_bytes: 100,
        ..Limits::network()
    });
    let t = c.admit_org("Shop");
    let len = t.encode().len();
    assert!(len > 100);
    let node = &mut c.nodes[0];
    let b = node
        .app
        .build_from(&node.store, c.validators[0].public(), NOW, &[], &[])
        .expect("empty block")
        .block;
    let mut big = b.clone();
    big.txs = vec![t.encode()];
    big.outcomes = vec![Outcome::applied()];
    big.header.tx_count = 1;
    let e = refusal(c.validate(1, &big));
    assert_eq!(
        e,
        BlockError::TooLarge {
            bytes: len,
            limit: 100
        }
    );
    assert_eq!(e.code(), "BLOCK_TOO_LARGE");
    // Nor does such a node build one: the transaction waits.
    let node = &mut c.nodes[2];
    node.app.admit(&node.store, &t, false).expect("admitted");
    let built = node
        .app
        .build(&node.store, 1, c.validators[2].public(), NOW)
        .expect("built");
    assert!(built.block.txs.is_empty());
    assert_eq!(node.app.mempool().len(), 1);
}

#[test]
fn block_undecodable_tx() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.txs[0] = vec![0xff; 40];
    let e = refusal(c.validate(1, &b));
    assert_eq!(e, BlockError::UndecodableTx(0));
    assert_eq!(e.code(), "BLOCK_UNDECODABLE_TX");
}

#[test]
fn block_refused_tx() {
    // The proposer puts in a transaction whose signature is forged (it claims to have
    // checked it); a validator that never saw it verifies it and refuses the block.
    let mut c = chain();
    let genuine = c.admit_org("Shop");
    let forged = SignedTx::new(genuine.body.clone(), [7; 64]).expect("the body encodes");
    let node = &mut c.nodes[0];
    let b = node
        .app
        .build_from(
            &node.store,
            c.validators[0].public(),
            NOW,
            &[forged],
            &[true],
        )
        .expect("built")
        .block;
    assert_eq!(b.txs.len(), 1);
    let e = refusal(c.validate(1, &b));
    assert_eq!(
        e,
        BlockError::Refused {
            index: 0,
            code: Code::BadSignature
        }
    );
    assert_eq!(e.code(), "BLOCK_REFUSED_TX");
}

#[test]
fn block_outcome() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.outcomes[0] = Outcome {
        code: Some(Code::WrongRole.as_str().into()),
        message: Some("claimed".into()),
    };
    let e = refusal(c.validate(1, &b));
    assert_eq!(
        e,
        BlockError::Outcome {
            index: 0,
            claimed: Code::WrongRole.as_str().into(),
            computed: "applied".into()
        }
    );
    assert_eq!(e.code(), "BLOCK_OUTCOME");
}

#[test]
fn block_tx_root() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.header.tx_root = sha256(&[b"another root"]);
    assert_eq!(refusal(c.validate(1, &b)).code(), "BLOCK_TX_ROOT");
}

#[test]
fn block_state_root() {
    let mut c = chain();
    let mut b = proposal(&mut c);
    b.header.state_root = sha256(&[b"another root"]);
    assert_eq!(refusal(c.validate(1, &b)).code(), "BLOCK_STATE_ROOT");
}

#[test]
fn block_concerns() {
    let mut c = chain();
    let b = proposal(&mut c);
    // The admission concerns the registrar (its signer) and the new org.
    assert_eq!(b.concerns.len(), 2);
    assert_eq!(b.header.concerns_root, b.concerns.root());
    // A filter that leaves an org out, with the header's root made to match it: the
    // validators' own execution names the org, so no vote.
    let mut hidden = b.clone();
    hidden.concerns.0.remove(0);
    hidden.header.concerns_root = hidden.concerns.root();
    assert_eq!(refusal(c.validate(1, &hidden)).code(), "BLOCK_CONCERNS");
    // The filter alone changed, the header kept: it does not hash to the header's root.
    let mut swapped = b.clone();
    swapped.concerns.0[0] ^= 1;
    assert_eq!(refusal(c.validate(1, &swapped)).code(), "BLOCK_CONCERNS");
    c.validate(1, &b).expect("the honest block is valid");
}

#[test]
fn block_certificate() {
    let mut c = chain();
    let b = proposal(&mut c);
    c.validate(1, &b).expect("valid");
    // Two of four validators are not more than 2/3: not committed, not taken by sync.
    let half = c.certify(b.clone(), &[0, 1]);
    let node = &mut c.nodes[1];
    match node.app.commit(&node.store, &half) {
        Err(AppError::Invalid(BlockError::Certificate)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(node.store.height(), 0);
    let e = refusal(c.sync(2, &half));
    assert_eq!(e.code(), "BLOCK_CERTIFICATE");
    // A signature repeated does not count twice; a stranger's does not count at all.
    let mut padded = c.certify(b.clone(), &[0, 1]);
    padded
        .certificate
        .sigs
        .push(padded.certificate.sigs[0].clone());
    padded
        .certificate
        .sigs
        .push(Certificate::sign(&key("stranger"), &b.header, 0));
    assert_eq!(refusal(c.sync(2, &padded)).code(), "BLOCK_CERTIFICATE");
    c.sync(2, &c.certify(b, &[0, 1, 3])).expect("three of four");
}

#[test]
fn every_block_error_code_has_a_test() {
    let src = include_str!("application.rs");
    for code in BlockError::CODES {
        let test_name = format!("fn {}()", code.to_lowercase());
        assert!(src.contains(&test_name), "no test named {test_name}");
        assert!(
            src.contains(&format!("\"{code}\"")),
            "no test checks the code {code}"
        );
    }
}

// ---- Admission -----------------------------------------------------------------------

#[test]
fn admission_refuses_another_chain_a_bad_signature_and_a_spent_nonce() {
    let mut c = chain();
    let t = c.admit_org("Shop");
    let node = &mut c.nodes[0];
    let mut other = t.body.clone();
    other.chain_id = sha256(&[b"elsewhere"]);
    let elsewhere = c.registrar.sign_tx(other).expect("the body encodes");
    let code = |r: Result<Admission, Refusal>| match r {
        Err(Refusal::Rule(e)) => e.code,
        Err(Refusal::Fault(e)) => panic!("store fault: {e}"),
        Ok(a) => panic!("admitted: {a:?}"),
    };
    assert_eq!(
        code(node.app.admit(&node.store, &elsewhere, false)),
        Code::WrongChain
    );
    let forged = SignedTx::new(t.body.clone(), [9; 64]).expect("the body encodes");
    assert_eq!(
        code(node.app.admit(&node.store, &forged, false)),
        Code::BadSignature
    );
    assert!(node.app.mempool().is_empty());
    assert!(matches!(
        node.app.admit(&node.store, &t, false),
        Ok(Admission::Queued)
    ));
    assert!(matches!(
        node.app.admit(&node.store, &t, false),
        Ok(Admission::AlreadyQueued)
    ));
    let b = c.propose(0, 0, &[]);
    c.decide(&b);
    // The same transaction again: its committed receipt. Another one with its nonce:
    // refused.
    let node = &mut c.nodes[0];
    match node.app.admit(&node.store, &t, false) {
        Ok(Admission::Committed(r)) => {
            assert_eq!((r.tx, r.height), (t.id(), Some(1)));
            assert!(r.result.is_ok());
        }
        other => panic!("{other:?}"),
    }
    let reg = Keypair::from_secret(c.registrar.secret());
    let reuse = c.sign_nonce(&reg, 0, Payload::Sell { entries: vec![] });
    let node = &mut c.nodes[0];
    assert_eq!(
        code(node.app.admit(&node.store, &reuse, false)),
        Code::NonceReused
    );
}

#[test]
fn a_full_mempool_refuses_until_a_block_makes_room() {
    let mut c = chain_with(Limits {
        mempool_txs: 2,
        ..Limits::network()
    });
    let txs: Vec<SignedTx> = ["A", "B", "C"].iter().map(|n| c.admit_org(n)).collect();
    let node = &mut c.nodes[0];
    node.app.admit(&node.store, &txs[0], false).expect("first");
    node.app.admit(&node.store, &txs[1], false).expect("second");
    match node.app.admit(&node.store, &txs[2], false) {
        Err(Refusal::Rule(e)) => assert_eq!(e.code, Code::TooLarge),
        other => panic!("{other:?}"),
    }
    let b = c.propose(0, 0, &[]);
    assert_eq!(b.txs.len(), 2);
    c.decide(&b);
    let node = &mut c.nodes[0];
    assert!(node.app.mempool().is_empty());
    node.app
        .admit(&node.store, &txs[2], false)
        .expect("room now");
}

#[test]
fn a_forged_copy_of_an_admitted_transaction_is_verified_again() {
    // A validator admitted the genuine transaction. A proposal carries the same body
    // (same id) with another signature: the admitted signature does not vouch for it.
    let mut c = chain();
    let genuine = c.admit_org("Shop");
    let node = &mut c.nodes[1];
    node.app
        .admit(&node.store, &genuine, false)
        .expect("admitted");
    let forged = SignedTx::new(genuine.body.clone(), [7; 64]).expect("the body encodes");
    assert_eq!(forged.id(), genuine.id());
    let node = &mut c.nodes[0];
    let b = node
        .app
        .build_from(
            &node.store,
            c.validators[0].public(),
            NOW,
            &[forged],
            &[true],
        )
        .expect("built")
        .block;
    assert_eq!(
        refusal(c.validate(1, &b)),
        BlockError::Refused {
            index: 0,
            code: Code::BadSignature
        }
    );
    // The genuine one in the same place is valid.
    let b = c.propose(0, 0, &[genuine]);
    c.validate(1, &b).expect("valid");
}

// ---- Build -----------------------------------------------------------------------------

#[test]
fn two_nodes_with_the_same_mempool_build_the_same_block() {
    let mut c = chain();
    let txs: Vec<SignedTx> = ["A", "B", "C"].iter().map(|n| c.admit_org(n)).collect();
    let a = c.propose(0, 2, &txs);
    let b = c.propose(1, 2, &txs);
    assert_eq!(a.header.hash(), b.header.hash());
    assert_eq!(a.txs.len(), 3);
    assert_eq!(a.header.time_ms, NOW);
    for n in 2..4 {
        c.validate(n, &a).expect("valid");
    }
}

#[test]
fn build_keeps_a_nonce_gap_waiting_and_drops_a_spent_nonce() {
    let mut c = chain();
    let reg = Keypair::from_secret(c.registrar.secret());
    let first = c.admit_org("A");
    let gap = c.sign_nonce(
        &reg,
        5,
        Payload::AdmitOrg(AdmitOrg {
            org: key("later").public(),
            name: "Later".into(),
            prefixes: vec![],
            glns: vec![],
            roles: vec![Role::Retailer],
        }),
    );
    // Node 1 holds another transaction with nonce 0 than the one node 0 commits.
    let rival = c.sign_nonce(&reg, 0, Payload::Sell { entries: vec![] });
    let node = &mut c.nodes[1];
    node.app
        .admit(&node.store, &rival, false)
        .expect("admitted");
    let b = c.propose(0, 0, &[first.clone(), gap.clone()]);
    assert_eq!(b.txs, vec![first.encode()], "the gap waits");
    assert!(c.nodes[0].app.mempool().contains(&gap.id()));
    c.decide(&b);
    let node = &mut c.nodes[1];
    let built = node
        .app
        .build(&node.store, 2, c.validators[1].public(), NOW)
        .expect("built");
    assert!(built.block.txs.is_empty());
    assert_eq!(built.dropped.len(), 1);
    assert_eq!(built.dropped[0].tx, rival.id());
    assert_eq!(
        built.dropped[0].result.as_ref().map_err(|e| e.code),
        Err(Code::NonceReused)
    );
    assert!(node.app.mempool().is_empty());
}

#[test]
fn build_takes_at_most_the_block_limit_in_arrival_order() {
    let mut c = chain_with(Limits {
        block_txs: 2,
        ..Limits::network()
    });
    let txs: Vec<SignedTx> = ["A", "B", "C"].iter().map(|n| c.admit_org(n)).collect();
    let b = c.propose(0, 0, &txs);
    assert_eq!(b.txs, vec![txs[0].encode(), txs[1].encode()]);
    c.decide(&b);
    let b = c.propose(0, 1, &[]);
    assert_eq!(b.txs, vec![txs[2].encode()]);
}

#[test]
fn a_block_is_timed_after_its_parent_even_when_the_clock_is_behind() {
    let mut c = chain();
    let node = &mut c.nodes[0];
    let b = node
        .app
        .build(&node.store, 1, c.validators[0].public(), T0 - 10_000)
        .expect("built")
        .block;
    assert_eq!(b.header.time_ms, T0 + 1);
    c.validate(1, &b).expect("valid");
}

// ---- Commit and sync -------------------------------------------------------------------

#[test]
fn a_decided_block_commits_with_receipts_on_every_node_and_one_state_root() {
    let mut c = chain();
    let ok = c.admit_org("Shop");
    // Admitting "Shop" twice: the second is applied-or-rejected by a rule, in the block.
    let again = c.admit_org("Shop");
    let b = c.propose(0, 0, &[ok.clone(), again.clone()]);
    for n in 1..4 {
        c.validate(n, &b).expect("valid");
    }
    let certified = c.certify(b, &[0, 1, 2]);
    let node = &mut c.nodes[0];
    let receipts = node.app.commit(&node.store, &certified).expect("commit");
    assert_eq!(receipts.len(), 2);
    assert_eq!(receipts[0].tx, ok.id());
    assert!(receipts[0].result.is_ok());
    assert_eq!(receipts[1].height, Some(1));
    assert!(receipts[1].result.is_err(), "a second org named Shop");
    assert!(node.app.mempool().is_empty());
    for n in 1..4 {
        let node = &mut c.nodes[n];
        node.app.commit(&node.store, &certified).expect("commit");
    }
    for n in 1..4 {
        assert_eq!(c.root(n), c.root(0));
    }
    assert!(matches!(
        c.nodes[3].store.find_tx(&TxMeta::of(&again)),
        Ok(Some(_))
    ));
}

#[test]
fn sync_takes_certified_blocks_and_refuses_a_body_that_is_not_the_certified_one() {
    let mut c = chain();
    let t = c.admit_org("Shop");
    let again = c.admit_org("Shop");
    let b = c.propose(0, 0, &[t, again]);
    let certified = c.certify(b, &[1, 2, 3]);
    // A peer serves the certified header with the second outcome's message changed: the
    // codes and the state are the same, the body is not the one the validators signed.
    let mut tampered = certified.clone();
    tampered.outcomes[1].message = Some("something else".into());
    assert_eq!(refusal(c.sync(1, &tampered)), BlockError::TxRoot);
    assert_eq!(c.nodes[1].store.height(), 0);
    c.sync(1, &certified).expect("the certified block");
    let node = &mut c.nodes[0];
    node.app.commit(&node.store, &certified).expect("commit");
    assert_eq!(c.root(1), c.root(0));
    assert_eq!(
        c.nodes[1].store.block(1).expect("read"),
        Some(certified),
        "the stored block is the certified one"
    );
}

#[test]
fn a_validator_set_change_moves_who_certifies_and_who_proposes() {
    let mut c = chain();
    let newcomer = key("validator 4");
    // Validator 3 leaves, validator 4 joins: approved by three of the four.
    let set: Vec<PublicKey> = [0, 1, 2]
        .iter()
        .map(|i| c.validators[*i].public())
        .chain([newcomer.public()])
        .collect();
    let approvals = [0, 1, 3]
        .iter()
        .map(|i| sign_approval(&c.validators[*i], &c.chain_id, 1, &set))
        .collect();
    let reg = Keypair::from_secret(c.registrar.secret());
    let change = c.sign(
        &reg,
        Payload::SetValidators {
            validators: set.clone(),
            epoch: 1,
            approvals,
        },
    );
    let b = c.propose(0, 0, &[change]);
    c.decide(&b);
    let node = &c.nodes[1];
    assert_eq!(node.app.validators(&node.store).expect("set"), set);
    c.validators.push(newcomer);
    // Block 2: the old set's certificate (0, 1, 3) is two of the new four: refused; the
    // new set's (0, 1, 4) is taken.
    let t = c.admit_org("Shop");
    let b2 = c.propose(0, 4, &[t]);
    let old = c.certify(b2.clone(), &[0, 1, 3]);
    assert_eq!(refusal(c.sync(1, &old)), BlockError::Certificate);
    c.sync(1, &c.certify(b2.clone(), &[0, 1, 4]))
        .expect("certified by the new set");
    // The validator that left can no longer propose.
    let node = &mut c.nodes[2];
    let gone = c.validators[3].public();
    let from_gone = node
        .app
        .build(&node.store, 2, gone, NOW)
        .expect("built")
        .block;
    assert_eq!(
        refusal(c.validate(3, &from_gone)),
        BlockError::ProposerNotValidator(gone)
    );
}

#[test]
fn a_store_that_fails_reads_builds_votes_and_commits_nothing() {
    // Node 1's store fails every read of the registrar's account: that is a store fault
    // (`AppError::Store`), never an invalid block or a refused transaction.
    let mut c = chain();
    let t = c.admit_org("Shop");
    let b = c.propose(0, 0, std::slice::from_ref(&t));
    let account = handoff_core::state::StateKey::Account(c.registrar.public()).to_bytes();
    c.nodes[1]
        .store
        .inject_read_faults(ReadFaults::keys(vec![account]));
    let fault = |e: &AppError| e.read_fault().map(|r| r.code());
    let e = c.validate(1, &b).expect_err("no verdict");
    assert_eq!(fault(&e), Some("STORE_FAULT"), "{e}");
    let node = &mut c.nodes[1];
    match node.app.admit(&node.store, &t, false) {
        Err(Refusal::Fault(e)) => assert_eq!(e.code(), "STORE_FAULT"),
        other => panic!("{other:?}"),
    }
    let h = node.store.height();
    let certified = c.certify(b.clone(), &[0, 1, 2, 3]);
    let e = c.sync(1, &certified).expect_err("not committed");
    assert_eq!(fault(&e), Some("STORE_FAULT"), "{e}");
    assert_eq!(c.nodes[1].store.height(), h, "nothing committed");
    // Once the store reads again, the same block validates and commits.
    c.nodes[1].store.inject_read_faults(ReadFaults::default());
    c.validate(1, &b).expect("valid");
    c.sync(1, &certified).expect("committed");
    assert_eq!(c.nodes[1].store.height(), h + 1);
}
