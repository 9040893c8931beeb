//! Micro-benchmarks of the pure ledger's hot paths: scan parsing, transaction decoding,
//! signature verification (single and batched) and applying a block of handoffs.
//! `cargo bench -p handoff-core`.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use handoff_core::apply::BlockContext;
use handoff_core::block::{Genesis, execute_verified};
use handoff_core::crypto::{Keypair, verify_tx, verify_txs};
use handoff_core::gs1::{Gs1Key, check_digit, parse_scan};
use handoff_core::state::{Record, StateKey};
use handoff_core::tx::*;
use handoff_core::types::Role;
use std::collections::HashMap;
use std::hint::black_box;

fn scans(c: &mut Criterion) {
    let mut g = c.benchmark_group("scan");
    for (name, s) in [
        (
            "digital_link",
            "https://example.com/shop/01/09506000134352/10/ABC1/21/12345?17=261231",
        ),
        (
            "parenthesised",
            "(01)09506000134352(17)261231(10)ABC1(21)12345",
        ),
        (
            "element_string",
            "]d2010950600013435217261231\u{1d}10ABC1\u{1d}2112345",
        ),
    ] {
        g.bench_function(name, |b| b.iter(|| parse_scan(black_box(s))));
    }
    g.finish();
}

struct Setup {
    state: HashMap<StateKey, Record>,
    chain_id: handoff_core::types::Hash32,
    txs: Vec<SignedTx>,
}

/// A farm that owns `n` commissioned bags and `n` proposals of one bag each to a shop.
fn setup(n: usize) -> Setup {
    let farm = Keypair::from_secret([3; 32]);
    let shop = Keypair::from_secret([4; 32]);
    let admit = |k: &Keypair, name: &str, prefixes: Vec<String>, role| AdmitOrg {
        org: k.public(),
        name: name.into(),
        prefixes,
        glns: vec![],
        roles: vec![role],
    };
    let genesis = Genesis {
        name: "bench".into(),
        time_ms: 1_700_000_000_000,
        validators: vec![Keypair::from_secret([1; 32]).public()],
        orgs: vec![
            admit(&farm, "Farm", vec!["0614141".into()], Role::Producer),
            admit(&shop, "Shop", vec![], Role::Retailer),
        ],
    };
    let chain_id = genesis.chain_id();
    let mut state: HashMap<StateKey, Record> = genesis.writes().into_iter().collect();
    let gtin = format!("0061414100001{}", check_digit("0061414100001").unwrap_or(0));
    let bags: Vec<Gs1Key> = (0..n)
        .map(|i| Gs1Key::Serial {
            gtin: gtin.clone(),
            serial: format!("B{i}"),
        })
        .collect();
    let sign = |nonce: u64, payload| {
        farm.sign_tx(TxBody {
            version: TX_VERSION,
            chain_id,
            signer: farm.public(),
            nonce,
            event_time_ms: 1_700_000_000_000,
            payload,
        })
        .expect("the body encodes")
    };
    let ctx = BlockContext {
        chain_id,
        height: 1,
        time_ms: 1_700_000_000_000,
    };
    let define = sign(
        0,
        Payload::DefineProduct {
            gtin: gtin.clone(),
            name: "Beans".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        },
    );
    let commission = sign(
        1,
        Payload::Commission(Commission {
            entries: bags.iter().cloned().map(Entry::item).collect(),
            claim_keys: vec![],
            at: None,
            lot: None,
            expiry: None,
            attributes: vec![],
        }),
    );
    let exec = execute_verified(&ctx, &state, &[&define, &commission], &[true, true])
        .expect("an in-memory state always reads");
    assert!(exec.results.iter().all(Result::is_ok));
    state.extend(exec.writes);
    let txs = bags
        .iter()
        .enumerate()
        .map(|(i, b)| {
            sign(
                2 + i as u64,
                Payload::ProposeHandoff(ProposeHandoff {
                    to: shop.public(),
                    entries: vec![Entry::item(b.clone())],
                    transfer: Transfer::Both,
                    ship_from: None,
                    ship_to: None,
                    docs: vec![],
                    expires_at_height: None,
                }),
            )
        })
        .collect();
    Setup {
        state,
        chain_id,
        txs,
    }
}

fn transactions(c: &mut Criterion) {
    let s = setup(1000);
    let wire = s.txs[0].encode();
    let mut g = c.benchmark_group("tx");
    g.bench_function("decode", |b| b.iter(|| SignedTx::decode(black_box(&wire))));
    g.bench_function("verify_one", |b| b.iter(|| verify_tx(black_box(&s.txs[0]))));
    let refs: Vec<&SignedTx> = s.txs.iter().take(64).collect();
    g.bench_function("verify_batch_64_per_tx", |b| {
        b.iter_custom(|iters| {
            let t = std::time::Instant::now();
            for _ in 0..iters {
                black_box(verify_txs(black_box(&refs)));
            }
            t.elapsed() / 64
        })
    });
    let ctx = BlockContext {
        chain_id: s.chain_id,
        height: 2,
        time_ms: 1_700_000_001_000,
    };
    let refs: Vec<&SignedTx> = s.txs.iter().collect();
    let ok = vec![true; refs.len()];
    g.bench_function("apply_1000_handoff_proposals", |b| {
        b.iter_batched(
            || (),
            |()| execute_verified(&ctx, &s.state, &refs, &ok),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, scans, transactions);
criterion_main!(benches);
