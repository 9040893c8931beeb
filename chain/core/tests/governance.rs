//! Validator-set changes: who may submit one, how approvals count, that the new set takes
//! over (and approves the next change), and the limits on the transaction.

mod common;

use common::*;
use handoff_core::apply::BlockContext;
use handoff_core::block::execute;
use handoff_core::crypto::Keypair;
use handoff_core::governance::{approval_message, approval_verifies, sign_approval};
use handoff_core::limits::{MAX_APPROVALS, MAX_VALIDATORS};
use handoff_core::rejection::Code;
use handoff_core::state::{Record, StateKey, StateReadExt};
use handoff_core::tx::*;
use handoff_core::types::{PublicKey, Role, scope};

const VALS: [&str; 4] = ["val a", "val b", "val c", "val d"];

fn world() -> (World, [Keypair; 4]) {
    (World::with_validators(&VALS), VALS.map(key))
}

fn keys(v: &[&Keypair]) -> Vec<PublicKey> {
    v.iter().map(|k| k.public()).collect()
}

#[test]
fn genesis_writes_the_set_at_epoch_zero() {
    let (w, v) = world();
    let rec = w.validator_set();
    assert_eq!(rec.epoch, 0);
    assert_eq!(rec.validators, keys(&[&v[0], &v[1], &v[2], &v[3]]));
    assert_eq!(w.state.validator_set(), Ok(Some(rec)));
}

#[test]
fn three_of_four_replace_the_set_and_the_new_set_governs_the_next_change() {
    let (mut w, [a, b, c, d]) = world();
    let e = key("val e");
    let set1 = keys(&[&e, &b, &c, &d]);
    // A current validator's own key submits it; three of four approve.
    let p = w.set_validators_payload(&set1, 1, &[&a, &c, &d]);
    w.ok(&a, p);
    let rec = w.validator_set();
    assert_eq!((rec.epoch, rec.validators.clone()), (1, set1.clone()));
    assert_eq!(w.state.next_nonce(&a.public()), Ok(1));

    // The removed validator can neither approve nor submit the next change.
    let set2 = keys(&[&e, &b, &c]);
    let p = w.set_validators_payload(&set2, 2, &[&a, &b, &c]);
    w.refused(&b, p, Code::NotValidator);
    let p = w.set_validators_payload(&set2, 2, &[&e, &b, &c]);
    let r = w.run(&a, p).expect_err("a former validator submits");
    assert_eq!(r.code, Code::UnknownSigner);
    // The new member approves with the others.
    let p = w.set_validators_payload(&set2, 2, &[&e, &b, &c]);
    w.ok(&e, p);
    assert_eq!(w.validator_set().epoch, 2);
    assert_eq!(w.validator_set().validators, set2);
}

#[test]
fn an_org_key_may_submit_but_a_device_may_not() {
    let (mut w, [a, b, c, _]) = world();
    let farm = w.org("Farm", &["0614141"], &[Role::Producer]);
    let set = keys(&[&a, &b, &c]);
    let dev = key("scanner");
    w.ok(
        &farm,
        Payload::AuthorizeDevice {
            device: dev.public(),
            label: "scanner".into(),
            scopes: scope::ALL,
            expires_at_ms: None,
        },
    );
    let p = w.set_validators_payload(&set, 1, &[&a, &b, &c]);
    w.refused(&dev, p.clone(), Code::OrgKeyRequired);
    let reg = key("registrar");
    w.ok(&reg, p);
    assert_eq!(w.validator_set().epoch, 1);
    // A key that is neither org, device nor validator cannot submit one.
    let p = w.set_validators_payload(&set, 2, &[&a, &b, &c]);
    let r = w.run(&key("stranger"), p).expect_err("stranger");
    assert_eq!(r.code, Code::UnknownSigner);
    // And a validator key may sign nothing but validator-set changes.
    let r = w
        .run(&a, Payload::Sell { entries: vec![] })
        .expect_err("sell");
    assert_eq!(r.code, Code::UnknownSigner);
}

#[test]
fn two_changes_in_one_block_chain_their_epochs() {
    let (w, [a, b, c, d]) = world();
    let e = key("val e");
    let set1 = keys(&[&e, &b, &c, &d]);
    let set2 = keys(&[&e, &b]);
    let p1 = w.set_validators_payload(&set1, 1, &[&a, &b, &c]);
    let p2 = w.set_validators_payload(&set2, 2, &[&e, &b, &c]);
    let t1 = w.sign_with(&a, 0, T0, p1);
    let t2 = w.sign_with(&b, 0, T0, p2);
    let ctx = BlockContext {
        chain_id: w.chain_id,
        height: 1,
        time_ms: T0,
    };
    let exec = execute(&ctx, &w.state, &[&t1, &t2]).expect("an in-memory state always reads");
    assert!(exec.results.iter().all(|r| r.is_ok()), "{:?}", exec.results);
    let rec = exec
        .writes
        .iter()
        .find_map(|(k, r)| match (k, r) {
            (StateKey::Validators, Record::Validators(v)) => Some(v.clone()),
            _ => None,
        })
        .expect("set written");
    assert_eq!((rec.epoch, rec.validators), (2, set2));
}

#[test]
fn weak_or_invalid_keys_in_the_new_set_change_nothing() {
    let (mut w, [a, b, c, _]) = world();
    let mut weak = [0u8; 32];
    weak[0] = 1; // the identity point: small order
    // 0x02 followed by 0xff…: not the encoding of any curve point.
    let mut invalid = [0xffu8; 32];
    invalid[0] = 2;
    for bad in [PublicKey(weak), PublicKey(invalid)] {
        let set = vec![a.public(), bad];
        let p = w.set_validators_payload(&set, 1, &[&a, &b, &c]);
        w.refused(&a, p, Code::WeakKey);
    }
    // Like any "changes nothing" refusal, not even the nonce was used.
    assert_eq!(w.state.next_nonce(&a.public()), Ok(0));
}

#[test]
fn too_many_validators_or_approvals_are_too_large() {
    let (mut w, [a, b, c, _]) = world();
    let many: Vec<PublicKey> = (0..=MAX_VALIDATORS)
        .map(|i| key(&format!("v{i}")).public())
        .collect();
    let p = w.set_validators_payload(&many, 1, &[&a, &b, &c]);
    w.refused(&a, p, Code::TooLarge);
    let set = keys(&[&a, &b]);
    let one = sign_approval(&a, &w.chain_id, 1, &set);
    let p = Payload::SetValidators {
        validators: set,
        epoch: 1,
        approvals: vec![one; MAX_APPROVALS + 1],
    };
    let tx = w.sign(&a, p);
    w.refused_tx(&tx, Code::TooLarge);
    // The decoder refuses the same bytes from a peer.
    assert_eq!(
        SignedTx::decode(&tx.encode()).map_err(|r| r.code).err(),
        Some(Code::TooLarge)
    );
}

#[test]
fn the_largest_change_fits_in_a_transaction() {
    let (mut w, _) = world();
    let many: Vec<PublicKey> = (0..MAX_VALIDATORS)
        .map(|i| key(&format!("v{i}")).public())
        .collect();
    let signers: Vec<Keypair> = (0..MAX_APPROVALS).map(|i| key(&format!("a{i}"))).collect();
    let refs: Vec<&Keypair> = signers.iter().collect();
    let p = w.set_validators_payload(&many, 1, &refs);
    let tx = w.sign(&key("val a"), p);
    let back = SignedTx::decode(&tx.encode()).expect("decodes");
    assert_eq!(back, tx);
    // None of them is a current validator.
    w.refused_tx(&tx, Code::NotValidator);
}

#[test]
fn approvals_bind_chain_epoch_and_set_in_order() {
    let (w, [a, b, c, _]) = world();
    let set = keys(&[&a, &b, &c]);
    let ap = sign_approval(&a, &w.chain_id, 1, &set);
    assert!(approval_verifies(&ap, &w.chain_id, 1, &set));
    let reordered = keys(&[&b, &a, &c]);
    assert!(!approval_verifies(&ap, &w.chain_id, 1, &reordered));
    assert!(!approval_verifies(&ap, &w.chain_id, 2, &set));
    assert!(!approval_verifies(&ap, &w.chain_id, 1, &set[..2]));
    // The count is part of the message: a shorter set never signs a prefix of it.
    let short = approval_message(&w.chain_id, 1, &set[..2]);
    assert!(!approval_message(&w.chain_id, 1, &set).starts_with(&short));
}
