//! Many scanners submitting at once: each gets its receipts only after its block is
//! durable, nothing is lost or reordered within a submitter, and transactions that arrive
//! together share blocks instead of paying for one block each.

use handoff_core::block::Genesis;
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::state::StateReadExt;
use handoff_core::tx::*;
use handoff_core::types::Role;
use handoff_node::ledger::{Ledger, Sequencer, committed_outcome};
use handoff_node::producer::Producer;
use std::sync::Arc;
use std::time::Duration;

const ORGS: u8 = 4;
const EACH: usize = 25;

#[test]
fn concurrent_submitters_share_blocks_and_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys: Vec<Keypair> = (0..ORGS)
        .map(|i| Keypair::from_secret([20 + i; 32]))
        .collect();
    let genesis = Genesis {
        name: "producer".into(),
        time_ms: 1_700_000_000_000,
        validators: vec![Keypair::from_secret([1; 32]).public()],
        orgs: keys
            .iter()
            .enumerate()
            .map(|(i, k)| AdmitOrg {
                org: k.public(),
                name: format!("Packer {i}"),
                prefixes: vec![format!("061414{i}")],
                glns: vec![],
                roles: vec![Role::Producer],
            })
            .collect(),
    };
    let ledger = Arc::new(
        Ledger::create(dir.path(), &genesis, Keypair::from_secret([1; 32])).expect("create"),
    );
    let producer = Arc::new(Producer::start(ledger.clone(), Duration::from_millis(25)));
    let start_height = ledger.store.height();

    let threads: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let k = Keypair::from_secret(k.secret());
            let (producer, ledger) = (producer.clone(), ledger.clone());
            std::thread::spawn(move || {
                let body = format!("0061414{i}00001");
                let gtin = format!("{body}{}", check_digit(&body).unwrap_or(0));
                let define = ledger
                    .sign_with_nonce(
                        &k,
                        0,
                        Payload::DefineProduct {
                            gtin: gtin.clone(),
                            name: format!("Product {i}"),
                            description: String::new(),
                            attributes: vec![],
                            image_hash: None,
                        },
                    )
                    .expect("the body encodes");
                let mut ids = vec![handoff_store::TxMeta::of(&define)];
                let r = producer.submit(vec![define]).expect("submit");
                assert!(r[0].result.is_ok(), "{:?}", r[0].result);
                // One scan at a time, as a hand scanner sends them.
                for n in 0..EACH {
                    let item = Gs1Key::Serial {
                        gtin: gtin.clone(),
                        serial: format!("S{n}"),
                    };
                    let tx = ledger
                        .sign_with_nonce(
                            &k,
                            1 + n as u64,
                            Payload::Commission(Commission {
                                entries: vec![Entry::item(item)],
                                claim_keys: vec![],
                                at: None,
                                lot: None,
                                expiry: None,
                                attributes: vec![],
                            }),
                        )
                        .expect("the body encodes");
                    ids.push(handoff_store::TxMeta::of(&tx));
                    let r = producer.submit(vec![tx]).expect("submit");
                    assert!(r[0].result.is_ok(), "{:?}", r[0].result);
                    assert!(
                        r[0].height.is_some_and(|h| h <= ledger.store.height()),
                        "receipt before its block was durable"
                    );
                }
                ids
            })
        })
        .collect();
    let ids: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    drop(producer);

    let submits = ids.len() as u64;
    let blocks = ledger.store.height() - start_height;
    for id in &ids {
        let (_, outcome) = committed_outcome(&ledger.store, id)
            .expect("read")
            .expect("committed");
        assert!(outcome.code.is_none(), "{outcome:?}");
    }
    for k in &keys {
        assert_eq!(ledger.store.next_nonce(&k.public()), Ok(1 + EACH as u64));
    }
    // Four scanners at once: blocks carry several submissions each.
    assert!(
        blocks * 2 <= submits,
        "{blocks} blocks for {submits} submissions"
    );
}
