//! Reads fail closed on a real store on disk: when the store cannot read a record, block
//! execution stops with the read error (no verdict is recorded, nothing is committed) and
//! queries answer the error, instead of taking the record as absent. Faults are injected
//! with the `fault-injection` feature (turned on for this crate's tests only).

use handoff_core::apply::BlockContext;
use handoff_core::block::{Block, BlockHeader, Genesis, Outcome, execute, tx_root};
use handoff_core::crypto::Keypair;
use handoff_core::event::Effects;
use handoff_core::gs1::{Gs1Key, check_digit, parse_scan};
use handoff_core::query::{journey, verdict};
use handoff_core::rejection::Code;
use handoff_core::state::{ReadError, StateKey, StateReadExt};
use handoff_core::tx::{AdmitOrg, Commission, Entry, Payload, SignedTx, TX_VERSION, TxBody};
use handoff_core::types::{Hash32, Role};
use handoff_store::faults::ReadFaults;
use handoff_store::{Store, StoreError, TxMeta, replay_block};

const T0: i64 = 1_790_000_000_000;

fn farm() -> Keypair {
    Keypair::from_secret([41; 32])
}

fn gtin() -> String {
    let d13 = "0061414100001";
    format!("{d13}{}", check_digit(d13).expect("digits"))
}

fn bag() -> Gs1Key {
    Gs1Key::Serial {
        gtin: gtin(),
        serial: "BAG1".into(),
    }
}

/// A store on disk whose genesis admits the farm (registrar and producer, prefix 0614141).
fn fresh() -> (tempfile::TempDir, Store) {
    let g = Genesis {
        name: "reads fail closed".into(),
        time_ms: T0,
        validators: vec![farm().public()],
        orgs: vec![AdmitOrg {
            org: farm().public(),
            name: "Farm".into(),
            prefixes: vec!["0614141".into()],
            glns: vec![],
            roles: vec![Role::Registrar, Role::Producer],
        }],
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    store.init(&g, farm().public()).expect("init");
    (dir, store)
}

fn sign(store: &Store, nonce: u64, payload: Payload) -> SignedTx {
    let k = farm();
    k.sign_tx(TxBody {
        version: TX_VERSION,
        chain_id: store.genesis().expect("genesis").chain_id(),
        signer: k.public(),
        nonce,
        event_time_ms: T0,
        payload,
    })
    .expect("the body encodes")
}

fn commission(key: Gs1Key) -> Payload {
    Payload::Commission(Commission {
        entries: vec![Entry::item(key)],
        claim_keys: vec![],
        at: None,
        lot: None,
        expiry: None,
        attributes: vec![],
    })
}

fn next_ctx(store: &Store) -> BlockContext {
    let last = store.last_header().expect("head");
    BlockContext {
        chain_id: last.chain_id,
        height: last.height + 1,
        time_ms: last.time_ms + 1000,
    }
}

/// Executes `txs` as the next block and commits it (every transaction must enter it).
fn produce(store: &Store, txs: &[SignedTx]) -> Block {
    let last = store.last_header().expect("head");
    let ctx = next_ctx(store);
    let refs: Vec<&SignedTx> = txs.iter().collect();
    let exec = execute(&ctx, store, &refs).expect("the store reads");
    let outcomes: Vec<Outcome> = exec
        .results
        .iter()
        .map(|r| match r {
            Ok(_) => Outcome::applied(),
            Err(e) => Outcome::rejected(e),
        })
        .collect();
    let metas: Vec<TxMeta> = txs.iter().map(TxMeta::of).collect();
    let leaves: Vec<(Hash32, Outcome)> = metas.iter().map(|m| m.id).zip(outcomes.clone()).collect();
    let prepared = store.prepare(ctx.height, &exec.writes).expect("prepare");
    let block = Block {
        header: BlockHeader {
            version: handoff_core::block::BLOCK_VERSION,
            chain_id: last.chain_id,
            height: ctx.height,
            prev_hash: last.hash(),
            time_ms: ctx.time_ms,
            proposer: farm().public(),
            tx_count: txs.len() as u32,
            tx_root: tx_root(&leaves),
            state_root: prepared.root,
            concerns_root: handoff_core::concerns::Concerns::default().root(),
        },
        certificate: Default::default(),
        txs: txs.iter().map(SignedTx::encode).collect(),
        outcomes,
        concerns: Default::default(),
    };
    let effects: Vec<Option<&Effects>> = exec.results.iter().map(|r| r.as_ref().ok()).collect();
    store
        .commit(&block, prepared, &metas, &effects)
        .expect("commit");
    block
}

/// A chain where the farm defined its coffee and commissioned BAG1 (nonces 0 and 1).
fn chain_with_bag() -> (tempfile::TempDir, Store) {
    let (dir, store) = fresh();
    let define = sign(
        &store,
        0,
        Payload::DefineProduct {
            gtin: gtin(),
            name: "Coffee".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        },
    );
    let first = sign(&store, 1, commission(bag()));
    let b = produce(&store, &[define, first]);
    assert!(b.outcomes.iter().all(|o| o.code.is_none()), "{b:?}");
    (dir, store)
}

#[test]
fn a_failed_read_stops_a_recommission_instead_of_applying_it() {
    let (_dir, store) = chain_with_bag();
    let again = sign(&store, 2, commission(bag()));
    let ctx = next_ctx(&store);

    // With a sound store the ledger refuses it: the bag exists.
    let exec = execute(&ctx, &store, &[&again]).expect("the store reads");
    let code = exec.results[0].as_ref().err().map(|e| e.code);
    assert_eq!(code, Some(Code::AlreadyCommissioned));

    // The bag's record cannot be read: no verdict at all, not a second commissioning.
    let item_key = StateKey::item(&bag()).to_bytes();
    store.inject_read_faults(ReadFaults::keys(vec![item_key]));
    let err = match execute(&ctx, &store, &[&again]) {
        Err(e) => e,
        Ok(exec) => panic!(
            "executed on an unreadable item: {:?}",
            exec.results[0].as_ref().map(|_| "applied")
        ),
    };
    assert!(matches!(err, ReadError::Store { .. }), "{err:?}");
    assert_eq!(err.code(), "STORE_FAULT");
    assert!(err.to_string().contains("BAG1"), "{err}");

    // Queries answer the fault too, never "never commissioned" or a journey with a gap.
    let scan = parse_scan(&format!("(01){}(21)BAG1", gtin()));
    assert_eq!(
        verdict(&store, &scan, T0).map(|v| v.verdict),
        Err(err.clone())
    );
    assert!(journey(&store, &store, &bag()).is_err());
    assert!(store.thing(&bag()).is_err());

    // Replaying a block that needs the record stops too, and commits nothing.
    store.inject_read_faults(ReadFaults::default());
    let (_dir2, other) = chain_with_bag();
    let block = produce(&other, &[sign(&other, 2, commission(bag()))]);
    assert_eq!(
        block.outcomes[0].code.as_deref(),
        Some(Code::AlreadyCommissioned.as_str())
    );
    store.inject_read_faults(ReadFaults::keys(vec![StateKey::item(&bag()).to_bytes()]));
    let h = store.height();
    match replay_block(&store, &block) {
        Err(StoreError::Read(e)) => assert_eq!(e.code(), "STORE_FAULT"),
        other => panic!("replay on an unreadable item: {other:?}"),
    }
    assert_eq!(store.height(), h, "nothing committed");
    // Once the store reads again, the same block replays and commits.
    store.inject_read_faults(ReadFaults::default());
    replay_block(&store, &block).expect("replays once the store reads");
    assert_eq!(store.height(), h + 1);
}

#[test]
fn a_store_failing_every_read_after_some_stops_the_block_midway() {
    let (_dir, store) = chain_with_bag();
    let ctx = next_ctx(&store);
    let txs: Vec<SignedTx> = (0..4)
        .map(|i| {
            sign(
                &store,
                2 + i,
                commission(Gs1Key::Serial {
                    gtin: gtin(),
                    serial: format!("NEW{i}"),
                }),
            )
        })
        .collect();
    let refs: Vec<&SignedTx> = txs.iter().collect();
    // The first transactions read fine; a later read fails: the whole block is refused,
    // not executed up to the fault and cut there.
    store.inject_read_faults(ReadFaults::after(6));
    let r = execute(&ctx, &store, &refs);
    assert!(
        matches!(&r, Err(ReadError::Store { .. })),
        "{:?}",
        r.map(|e| e.results.len())
    );
    store.inject_read_faults(ReadFaults::default());
    let exec = execute(&ctx, &store, &refs).expect("reads again");
    assert!(exec.results.iter().all(Result::is_ok));
}
