//! The validator set in the store: `validators` / `validators_at` across a change, proofs
//! of the set record, a light node following a change with one proof, and replays of
//! chains with random validator-set changes (many refused) giving the same state roots.

use handoff_core::apply::BlockContext;
use handoff_core::block::{Block, BlockHeader, Certificate, Genesis, Outcome, execute, tx_root};
use handoff_core::crypto::Keypair;
use handoff_core::event::Effects;
use handoff_core::governance::{FollowError, follow_validator_change, sign_approval};
use handoff_core::proof::ProofError;
use handoff_core::state::{Record, StateKey, StateReadExt, ValidatorSetRecord};
use handoff_core::tx::{AdmitOrg, Payload, SignedTx, TX_VERSION, TxBody};
use handoff_core::types::{Hash32, PublicKey, Role};
use handoff_store::{Store, StoreError, TxMeta, replay_block};
use proptest::prelude::*;

const T0: i64 = 1_790_000_000_000;

fn key(i: u8) -> Keypair {
    Keypair::from_secret([i.wrapping_add(1); 32])
}

fn registrar() -> Keypair {
    Keypair::from_secret([200; 32])
}

fn genesis(validators: &[PublicKey]) -> Genesis {
    Genesis {
        name: "governance test".into(),
        time_ms: T0,
        validators: validators.to_vec(),
        orgs: vec![AdmitOrg {
            org: registrar().public(),
            name: "Registry".into(),
            prefixes: vec![],
            glns: vec![],
            roles: vec![Role::Registrar],
        }],
    }
}

fn fresh(g: &Genesis) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    store.init(g, g.validators[0]).expect("init");
    (dir, store)
}

fn sign(store: &Store, k: &Keypair, payload: Payload) -> SignedTx {
    k.sign_tx(TxBody {
        version: TX_VERSION,
        chain_id: store.genesis().expect("genesis").chain_id(),
        signer: k.public(),
        nonce: store.next_nonce(&k.public()).expect("nonce"),
        event_time_ms: T0,
        payload,
    })
    .expect("the body encodes")
}

fn change(store: &Store, set: &[PublicKey], epoch: u64, approvers: &[&Keypair]) -> Payload {
    let chain = store.genesis().expect("genesis").chain_id();
    Payload::SetValidators {
        validators: set.to_vec(),
        epoch,
        approvals: approvers
            .iter()
            .map(|k| sign_approval(k, &chain, epoch, set))
            .collect(),
    }
}

/// Executes `txs` as the next block, certifies it with `signers` and commits it; returns
/// the block and each transaction's rejection code, if any.
fn produce(store: &Store, txs: &[SignedTx], signers: &[&Keypair]) -> (Block, Vec<Option<String>>) {
    let last = store.last_header().expect("head");
    let height = last.height + 1;
    let ctx = BlockContext {
        chain_id: last.chain_id,
        height,
        time_ms: last.time_ms + 1000,
    };
    let refs: Vec<&SignedTx> = txs.iter().collect();
    let exec = execute(&ctx, store, &refs).expect("the store reads");
    let mut wire = Vec::new();
    let mut outcomes = Vec::new();
    let mut metas = Vec::new();
    let mut effects: Vec<Option<&Effects>> = Vec::new();
    let mut codes = Vec::new();
    for (tx, r) in txs.iter().zip(&exec.results) {
        codes.push(r.as_ref().err().map(|e| e.code.as_str().to_string()));
        match r {
            Err(e) if e.code.changes_nothing() => continue,
            Err(e) => {
                outcomes.push(Outcome::rejected(e));
                effects.push(None);
            }
            Ok(eff) => {
                outcomes.push(Outcome::applied());
                effects.push(Some(eff));
            }
        }
        wire.push(tx.encode());
        metas.push(TxMeta::of(tx));
    }
    let leaves: Vec<(Hash32, Outcome)> = metas.iter().map(|m| m.id).zip(outcomes.clone()).collect();
    let prepared = store.prepare(height, &exec.writes).expect("prepare");
    let header = BlockHeader {
        version: handoff_core::block::BLOCK_VERSION,
        chain_id: last.chain_id,
        height,
        prev_hash: last.hash(),
        time_ms: ctx.time_ms,
        proposer: signers[0].public(),
        tx_count: wire.len() as u32,
        tx_root: tx_root(&leaves),
        state_root: prepared.root,
        concerns_root: handoff_core::concerns::Concerns::default().root(),
    };
    let certificate = Certificate {
        round: 0,
        sigs: signers
            .iter()
            .map(|k| Certificate::sign(k, &header, 0))
            .collect(),
    };
    let block = Block {
        header,
        certificate,
        txs: wire,
        outcomes,
        concerns: Default::default(),
    };
    store
        .commit(&block, prepared, &metas, &effects)
        .expect("commit");
    (block, codes)
}

fn set(keys: &[&Keypair]) -> Vec<PublicKey> {
    keys.iter().map(|k| k.public()).collect()
}

/// Genesis validator A; block 1 changes the set to B, C, D (epoch 1); block 2 is
/// certified by the new set.
fn changed_chain() -> (tempfile::TempDir, Store, [Keypair; 4]) {
    let [a, b, c, d] = [key(0), key(1), key(2), key(3)];
    let (dir, store) = fresh(&genesis(&set(&[&a])));
    let new = set(&[&b, &c, &d]);
    let tx = sign(&store, &a, change(&store, &new, 1, &[&a]));
    let (_, codes) = produce(&store, &[tx], &[&a]);
    assert_eq!(codes, vec![None]);
    produce(&store, &[], &[&b, &c, &d]);
    (dir, store, [a, b, c, d])
}

#[test]
fn validators_follow_a_change_from_the_next_block() {
    let (_dir, store, [a, b, c, d]) = changed_chain();
    let epoch0 = ValidatorSetRecord {
        epoch: 0,
        validators: set(&[&a]),
    };
    let epoch1 = ValidatorSetRecord {
        epoch: 1,
        validators: set(&[&b, &c, &d]),
    };
    assert_eq!(store.validators().expect("set"), epoch1);
    assert_eq!(store.validators_at(0).expect("0"), epoch0);
    // Block 1 (which carries the change) is still certified by the genesis set.
    assert_eq!(store.validators_at(1).expect("1"), epoch0);
    assert_eq!(store.validators_at(2).expect("2"), epoch1);
    assert_eq!(store.validators_at(3).expect("3"), epoch1);
    assert!(matches!(
        store.validators_at(4),
        Err(StoreError::Beyond { height: 4, next: 3 })
    ));
    // Every committed block's certificate verifies against validators_at, and the block
    // after the change does not verify against the old set.
    for h in 1..=2 {
        let b = store.block(h).expect("read").expect("block");
        let vs = store.validators_at(h).expect("set").validators;
        assert!(b.certificate.verify(&b.header, &vs), "height {h}");
    }
    let b2 = store.block(2).expect("read").expect("block");
    assert!(!b2.certificate.verify(&b2.header, &epoch0.validators));
    // The record is the same through the typed state read.
    assert_eq!(store.validator_set(), Ok(Some(epoch1)));
}

#[test]
fn the_set_record_is_provable_at_every_height() {
    let (_dir, store, _) = changed_chain();
    for h in 0..=2 {
        let header = store.header(h).expect("read").expect("header");
        let p = store.prove(&StateKey::Validators, Some(h)).expect("prove");
        p.verify(&header.state_root).expect("verifies");
        let proven = match p.value.as_deref().and_then(Record::decode) {
            Some(Record::Validators(r)) => r,
            other => panic!("not a set: {other:?}"),
        };
        assert_eq!(
            proven,
            store.validators_at(h + 1).expect("set"),
            "height {h}"
        );
    }
}

#[test]
fn a_light_node_follows_the_change_with_one_proof() {
    let (_dir, store, [a, b, _, _]) = changed_chain();
    let h0 = store.header(0).expect("read").expect("h0");
    let h1 = store.header(1).expect("read").expect("h1");
    let b2 = store.block(2).expect("read").expect("b2");
    let trusted = set(&[&a]);
    // The light node trusts genesis' set and header 1 (certified by it).
    let b1 = store.block(1).expect("read").expect("b1");
    assert!(b1.certificate.verify(&h1, &trusted));
    // Header 2 fails with the trusted set…
    assert!(!b2.certificate.verify(&b2.header, &trusted));
    // …and verifies after the proof step.
    let proof = store.prove(&StateKey::Validators, Some(1)).expect("prove");
    let new = follow_validator_change(&trusted, &h1, &b2.header, &b2.certificate, &proof)
        .expect("follows");
    assert_eq!(new.epoch, 1);
    assert!(b2.certificate.verify(&b2.header, &new.validators));

    // A forged record (the proof's value replaced) does not verify.
    let mut forged = proof.clone();
    forged.value = Some(
        Record::Validators(ValidatorSetRecord {
            epoch: 1,
            validators: set(&[&b]),
        })
        .encode(),
    );
    assert_eq!(
        follow_validator_change(&trusted, &h1, &b2.header, &b2.certificate, &forged),
        Err(FollowError::Proof(ProofError::Mismatch))
    );
    // A proof against another root: the genesis-state proof offered for header 1's state.
    let old = store.prove(&StateKey::Validators, Some(0)).expect("prove");
    assert_eq!(
        follow_validator_change(&trusted, &h1, &b2.header, &b2.certificate, &old),
        Err(FollowError::Proof(ProofError::Mismatch))
    );
    // The right proof against a header that is not the previous one.
    assert_eq!(
        follow_validator_change(&trusted, &h0, &b2.header, &b2.certificate, &proof),
        Err(FollowError::NotNext)
    );
    // A proof of another record.
    let other = store
        .prove(&StateKey::Org(registrar().public()), Some(1))
        .expect("prove");
    assert_eq!(
        follow_validator_change(&trusted, &h1, &b2.header, &b2.certificate, &other),
        Err(FollowError::WrongKey)
    );
    // A header certified by nobody in the proven set is still refused.
    let mut uncertified = b2.certificate.clone();
    uncertified.sigs.truncate(1);
    assert_eq!(
        follow_validator_change(&trusted, &h1, &b2.header, &uncertified, &proof),
        Err(FollowError::Certificate)
    );
    // No change at that height: header 1 against genesis' proof gives nothing new.
    let bad = Certificate::default();
    assert_eq!(
        follow_validator_change(&trusted, &h0, &h1, &bad, &old),
        Err(FollowError::Certificate)
    );
}

#[test]
fn a_store_opened_again_keeps_the_set() {
    let (dir, store, [_, b, c, d]) = changed_chain();
    drop(store);
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(
        store.validators().expect("set"),
        ValidatorSetRecord {
            epoch: 1,
            validators: set(&[&b, &c, &d])
        }
    );
}

/// One block of the random chain: a validator-set change (to a subset of the key pool,
/// sometimes empty or with a repeat), approved by the current validators less a few
/// (sometimes plus an outsider), at an epoch that may be wrong, signed by the registrar
/// or by a current validator.
#[derive(Clone, Debug)]
struct Step {
    members: u8,
    repeat: bool,
    missing: u8,
    outsider: bool,
    epoch_offset: u8,
    by_validator: bool,
}

const POOL: u8 = 5;

fn step() -> impl Strategy<Value = Step> {
    (
        0..(1u8 << POOL),
        prop::bool::weighted(0.1),
        prop_oneof![4 => Just(0u8), 1 => 1..3u8],
        prop::bool::weighted(0.1),
        prop_oneof![6 => Just(1u8), 1 => Just(0u8), 1 => Just(2u8)],
        any::<bool>(),
    )
        .prop_map(
            |(members, repeat, missing, outsider, epoch_offset, by_validator)| Step {
                members,
                repeat,
                missing,
                outsider,
                epoch_offset,
                by_validator,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn chains_with_set_changes_replay_to_the_same_roots(steps in proptest::collection::vec(step(), 1..8)) {
        let pool: Vec<Keypair> = (0..POOL).map(key).collect();
        let by_key = |k: &PublicKey| pool.iter().find(|p| p.public() == *k).expect("pool key");
        let g = genesis(&set(&[&pool[0], &pool[1], &pool[2]]));
        let (_d1, store) = fresh(&g);
        let reg = registrar();
        let mut applied = 0;
        for s in &steps {
            let current = store.validators().expect("set");
            let mut members: Vec<PublicKey> = (0..POOL)
                .filter(|i| s.members & (1 << i) != 0)
                .map(|i| pool[i as usize].public())
                .collect();
            if s.repeat && !members.is_empty() {
                members.push(members[0]);
            }
            let keep = current.validators.len().saturating_sub(usize::from(s.missing));
            let mut approvers: Vec<&Keypair> = current.validators[..keep].iter().map(by_key).collect();
            if s.outsider && let Some(o) = pool.iter().find(|k| !current.validators.contains(&k.public())) {
                approvers.push(o);
            }
            let epoch = current.epoch + u64::from(s.epoch_offset);
            let payload = change(&store, &members, epoch, &approvers);
            let signer = if s.by_validator { by_key(&current.validators[0]) } else { &reg };
            let tx = sign(&store, signer, payload);
            let certifiers: Vec<&Keypair> = current.validators.iter().map(by_key).collect();
            let (_, codes) = produce(&store, &[tx], &certifiers);
            if codes[0].is_none() {
                applied += 1;
                prop_assert_eq!(store.validators().expect("set").epoch, current.epoch + 1);
            } else {
                prop_assert_eq!(store.validators().expect("set"), current);
            }
        }
        prop_assert_eq!(store.validators().expect("set").epoch, applied);

        // Replay every block into a fresh store: same roots, same sets at every height.
        let (_d2, copy) = fresh(&g);
        let head = store.last_header().expect("head");
        for h in 1..=head.height {
            let b = store.block(h).expect("read").expect("block");
            replay_block(&copy, &b).expect("replays");
            prop_assert_eq!(copy.tree_root(h).expect("root"), b.header.state_root);
            prop_assert_eq!(copy.validators_at(h).expect("set"), store.validators_at(h).expect("set"));
        }
        prop_assert_eq!(copy.last_header().expect("head").hash(), head.hash());

        // A light node starting from genesis' set follows every change with proofs alone.
        let mut trusted = g.validators.clone();
        let mut prev = store.header(0).expect("read").expect("genesis");
        for h in 1..=head.height {
            let b = store.block(h).expect("read").expect("block");
            if !b.certificate.verify(&b.header, &trusted) {
                let proof = store.prove(&StateKey::Validators, Some(h - 1)).expect("prove");
                let new = follow_validator_change(&trusted, &prev, &b.header, &b.certificate, &proof)
                    .map_err(|e| TestCaseError::fail(format!("height {h}: {e}")))?;
                trusted = new.validators;
            }
            prev = b.header;
        }
    }
}
