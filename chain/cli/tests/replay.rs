//! Replaying the blocks of a chain into an empty store gives the same state root at every
//! height: for the demo supply chain, and for random blocks of random actions (many of
//! them refused by ledger rules) committed through the real validator and sled store.

use handoff_core::block::Genesis;
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::state::StateReadExt;
use handoff_core::tx::*;
use handoff_core::types::{HandoffId, Role};
use handoff_node::ledger::{Ledger, Sequencer, committed_outcome};
use handoff_store::{Store, replay_block};
use proptest::prelude::*;
use std::path::Path;

fn replay_matches(chain: &Path) -> u64 {
    let store = Store::open(chain).expect("open");
    let head = store.last_header().expect("head");
    let fresh_dir = tempfile::tempdir().expect("tempdir");
    let fresh = Store::open(fresh_dir.path()).expect("fresh store");
    let g = store.block(0).expect("read").expect("genesis block");
    fresh
        .init(&store.genesis().expect("genesis"), g.header.proposer)
        .expect("init");
    for h in 1..=head.height {
        let block = store.block(h).expect("read").expect("block");
        replay_block(&fresh, &block).unwrap_or_else(|e| panic!("replay of block {h}: {e}"));
        assert_eq!(
            fresh.tree_root(h).expect("root"),
            block.header.state_root,
            "height {h}"
        );
    }
    assert_eq!(fresh.last_header().expect("head").hash(), head.hash());
    // The indexes beside the state rebuild the same from the blocks.
    for org in store.org_keys().expect("orgs") {
        for outgoing in [false, true] {
            assert_eq!(
                sorted(store.open_handoffs(&org, outgoing).expect("open")),
                sorted(fresh.open_handoffs(&org, outgoing).expect("open")),
                "open handoffs of {org:?} (outgoing: {outgoing}) after replay"
            );
        }
    }
    head.height
}

fn sorted(mut v: Vec<HandoffId>) -> Vec<HandoffId> {
    v.sort();
    v
}

/// The inbox and outbox the store lists are exactly the open handoffs in the state.
fn assert_open_index_matches_state(ledger: &Ledger, offers: &[HandoffId]) {
    use handoff_core::state::HandoffStatus;
    for org in ledger.store.org_keys().expect("orgs") {
        for outgoing in [false, true] {
            let listed = sorted(ledger.store.open_handoffs(&org, outgoing).expect("open"));
            let open: Vec<HandoffId> = sorted(
                offers
                    .iter()
                    .filter(|id| {
                        ledger.store.handoff(id).expect("read").is_some_and(|h| {
                            h.status == HandoffStatus::Open
                                && if outgoing { h.from == org } else { h.to == org }
                        })
                    })
                    .copied()
                    .collect(),
            );
            assert_eq!(
                listed, open,
                "open handoffs of {org:?}, outgoing: {outgoing}"
            );
        }
    }
}

#[test]
fn the_demo_chain_replays_to_the_same_roots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    handoff_cli::demo::run(
        &data,
        handoff_cli::demo::DemoArgs {
            bags: 250,
            quiet: true,
        },
    )
    .expect("demo");
    assert!(replay_matches(&data.join("chain")) > 20);
}

fn key(n: u8) -> Keypair {
    Keypair::from_secret([n; 32])
}

fn sscc(n: u8) -> Gs1Key {
    let body = format!("00614141{n:09}");
    Gs1Key::Sscc {
        sscc: format!("{body}{}", check_digit(&body).unwrap_or(0)),
    }
}

#[derive(Clone, Debug)]
enum Act {
    Propose(usize, usize, Vec<usize>),
    Accept(usize, usize),
    Cancel(usize, usize),
    Pack(usize, u8, Vec<usize>),
    Observe(usize, usize),
}

fn act() -> impl Strategy<Value = Act> {
    let items = proptest::collection::vec(0..8usize, 1..3);
    prop_oneof![
        (0..3usize, 0..3usize, items.clone()).prop_map(|(a, b, i)| Act::Propose(a, b, i)),
        (0..3usize, 0..4usize).prop_map(|(a, o)| Act::Accept(a, o)),
        (0..3usize, 0..4usize).prop_map(|(a, o)| Act::Cancel(a, o)),
        (0..3usize, 1..3u8, items).prop_map(|(a, p, i)| Act::Pack(a, p, i)),
        (0..3usize, 0..8usize).prop_map(|(a, i)| Act::Observe(a, i)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_replay_to_the_same_roots(
        blocks in proptest::collection::vec(proptest::collection::vec(act(), 1..12), 1..8)
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let orgs = [key(11), key(12), key(13)];
        let admit = |k: &Keypair, name: &str, prefix: Option<&str>, role| AdmitOrg {
            org: k.public(),
            name: name.into(),
            prefixes: prefix.into_iter().map(String::from).collect(),
            glns: vec![],
            roles: vec![role],
        };
        let genesis = Genesis {
            name: "replay".into(),
            time_ms: 1_700_000_000_000,
            validators: vec![key(1).public()],
            orgs: vec![
                admit(&orgs[0], "Farm", Some("0614141"), Role::Producer),
                admit(&orgs[1], "Carrier", None, Role::Carrier),
                admit(&orgs[2], "Shop", None, Role::Retailer),
            ],
        };
        let ledger = Ledger::create(dir.path(), &genesis, key(1)).expect("create");
        let g = format!("0061414100001{}", check_digit("0061414100001").unwrap_or(0));
        let bags: Vec<Gs1Key> = (0..8).map(|i| Gs1Key::Serial { gtin: g.clone(), serial: format!("B{i}") }).collect();
        let setup = vec![
            ledger.sign_with_nonce(&orgs[0], 0, Payload::DefineProduct { gtin: g.clone(), name: "Beans".into(), description: String::new(), attributes: vec![], image_hash: None }).expect("the body encodes"),
            ledger.sign_with_nonce(&orgs[0], 1, Payload::Commission(Commission { entries: bags.iter().cloned().map(Entry::item).collect(), claim_keys: vec![], at: None, lot: None, expiry: None, attributes: vec![] })).expect("the body encodes"),
        ];
        ledger.submit(setup).expect("setup");
        let mut offers: Vec<HandoffId> = Vec::new();
        for block in &blocks {
            // Nonces within a block are assigned in order, as a client would.
            let mut next: Vec<u64> = orgs.iter().map(|k| ledger.store.next_nonce(&k.public()).expect("read")).collect();
            let mut txs = Vec::new();
            for a in block {
                let pick = |o: usize| offers.get(o % offers.len().max(1)).copied().unwrap_or_default();
                let (who, p) = match a {
                    Act::Propose(a, b, i) => (*a, Payload::ProposeHandoff(ProposeHandoff {
                        to: orgs[*b].public(), entries: i.iter().map(|x| Entry::item(bags[*x].clone())).collect(),
                        transfer: Transfer::Both, ship_from: None, ship_to: None, docs: vec![], expires_at_height: None })),
                    Act::Accept(a, o) => (*a, Payload::AcceptHandoff(AcceptHandoff { handoff: pick(*o), missing: vec![], damaged: vec![] })),
                    Act::Cancel(a, o) => (*a, Payload::CancelHandoff { handoff: pick(*o) }),
                    Act::Pack(a, p, i) => (*a, Payload::Pack { container: sscc(*p), entries: i.iter().map(|x| Entry::item(bags[*x].clone())).collect() }),
                    Act::Observe(a, i) => (*a, Payload::Observe(Observe { entries: vec![Entry::item(bags[*i].clone())], at: None, kind: "check".into(), readings: vec![] })),
                };
                let tx = ledger.sign_with_nonce(&orgs[who], next[who], p).expect("the body encodes");
                next[who] += 1;
                if matches!(a, Act::Propose(..)) {
                    offers.push(tx.id());
                }
                txs.push(tx);
            }
            ledger.submit(txs).expect("submit");
            assert_open_index_matches_state(&ledger, &offers);
        }
        drop(ledger);
        // Setup, then one block per batch: every transaction enters a block, applied or
        // refused by a rule (nonces are right, so none is dropped).
        prop_assert_eq!(replay_matches(&dir.path().join("chain")), 1 + blocks.len() as u64);
    }
}

/// One submission larger than a block: block N+1 (proposals) is executed while block N
/// (the commissions it depends on) is still being written. Every receipt comes back
/// applied, in order, and the chain replays to the same roots.
#[test]
fn pipelined_blocks_build_on_the_block_in_flight() {
    use handoff_core::limits::MAX_BLOCK_TXS;
    let dir = tempfile::tempdir().expect("tempdir");
    let (farm, shop) = (key(31), key(32));
    let genesis = Genesis {
        name: "pipeline".into(),
        time_ms: 1_700_000_000_000,
        validators: vec![key(1).public()],
        orgs: vec![
            AdmitOrg {
                org: farm.public(),
                name: "Farm".into(),
                prefixes: vec!["0614141".into()],
                glns: vec![],
                roles: vec![Role::Producer],
            },
            AdmitOrg {
                org: shop.public(),
                name: "Shop".into(),
                prefixes: vec![],
                glns: vec![],
                roles: vec![Role::Retailer],
            },
        ],
    };
    let ledger = Ledger::create(dir.path(), &genesis, key(1)).expect("create");
    let g = format!("0061414100001{}", check_digit("0061414100001").unwrap_or(0));
    let n = MAX_BLOCK_TXS; // one block of commissions, then proposals in the next blocks
    let mut txs = vec![
        ledger
            .sign_with_nonce(
                &farm,
                0,
                Payload::DefineProduct {
                    gtin: g.clone(),
                    name: "Beans".into(),
                    description: String::new(),
                    attributes: vec![],
                    image_hash: None,
                },
            )
            .expect("the body encodes"),
    ];
    let bag = |i: usize| Gs1Key::Serial {
        gtin: g.clone(),
        serial: format!("P{i}"),
    };
    for i in 0..n {
        txs.push(
            ledger
                .sign_with_nonce(
                    &farm,
                    1 + i as u64,
                    Payload::Commission(Commission {
                        entries: vec![Entry::item(bag(i))],
                        claim_keys: vec![],
                        at: None,
                        lot: None,
                        expiry: None,
                        attributes: vec![],
                    }),
                )
                .expect("the body encodes"),
        );
    }
    for i in 0..n {
        txs.push(
            ledger
                .sign_with_nonce(
                    &farm,
                    1 + (n + i) as u64,
                    Payload::ProposeHandoff(ProposeHandoff {
                        to: shop.public(),
                        entries: vec![Entry::item(bag(i))],
                        transfer: Transfer::Both,
                        ship_from: None,
                        ship_to: None,
                        docs: vec![],
                        expires_at_height: None,
                    }),
                )
                .expect("the body encodes"),
        );
    }
    // The shop accepts the first offers in the same submission: their block is executed
    // while the block that opened them is still being written.
    let accepted = 100;
    let offers: Vec<HandoffId> = txs[1 + n..].iter().map(|t| t.id()).collect();
    for (i, id) in offers.iter().take(accepted).enumerate() {
        txs.push(
            ledger
                .sign_with_nonce(
                    &shop,
                    i as u64,
                    Payload::AcceptHandoff(AcceptHandoff {
                        handoff: *id,
                        missing: vec![],
                        damaged: vec![],
                    }),
                )
                .expect("the body encodes"),
        );
    }
    let last = handoff_store::TxMeta::of(txs.last().expect("txs"));
    // Signed but never submitted: one reuses a committed (signer, nonce), one is ahead.
    let conflicting = ledger
        .sign_with_nonce(&shop, 0, Payload::CancelHandoff { handoff: offers[0] })
        .expect("the body encodes");
    let ahead = ledger
        .sign_with_nonce(&shop, 10_000, Payload::CancelHandoff { handoff: offers[0] })
        .expect("the body encodes");
    let total = txs.len();
    let receipts = ledger.submit(txs).expect("submit");
    assert_eq!(receipts.len(), total);
    assert!(
        receipts.iter().all(|r| r.result.is_ok()),
        "{:?}",
        receipts.iter().find(|r| r.result.is_err())
    );
    let heights: Vec<u64> = receipts.iter().filter_map(|r| r.height).collect();
    assert!(heights.windows(2).all(|w| w[0] <= w[1]) && heights.last() > heights.first());
    assert_eq!(
        ledger.store.height(),
        ledger.store.tip().expect("tip").height,
        "nothing left in flight"
    );
    assert_open_index_matches_state(&ledger, &offers);
    let (height, outcome) = committed_outcome(&ledger.store, &last)
        .expect("read")
        .expect("the last acceptance is found by signer and nonce");
    assert_eq!((height, outcome.code), (3, None));
    for never in [&conflicting, &ahead] {
        assert!(
            committed_outcome(&ledger.store, &handoff_store::TxMeta::of(never))
                .expect("read")
                .is_none()
        );
    }
    assert_eq!(
        ledger
            .store
            .open_handoffs(&shop.public(), false)
            .expect("inbox")
            .len(),
        n - accepted
    );
    drop(ledger);
    assert_eq!(replay_matches(&dir.path().join("chain")), 3);
}
