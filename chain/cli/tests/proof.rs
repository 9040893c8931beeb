//! Records proven against certified block headers, the way a light node will check what
//! it shows: a real proof verifies, a tampered record or a wrong root does not, absence is
//! provable, and older heights keep their proofs.

use handoff_core::gs1::parse_scan;
use handoff_core::proof::ProofError;
use handoff_core::state::{Record, StateKey};

#[test]
fn records_are_proven_against_certified_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let out = handoff_cli::demo::run(
        &data,
        handoff_cli::demo::DemoArgs {
            bags: 250,
            quiet: true,
        },
    )
    .expect("demo");
    let sold = out.json["examples"]["sold_bag"]
        .as_str()
        .expect("sold bag")
        .to_string();
    let ledger = handoff_node::ledger::Ledger::open(&data).expect("open");
    let store = &ledger.store;
    let head = store.last_header().expect("head");
    let genesis = store.genesis().expect("genesis");
    let block = store.block(head.height).expect("read").expect("block");
    assert!(
        block.certificate.verify(&head, &genesis.validators),
        "header certificate"
    );

    let key = StateKey::item(&parse_scan(&sold).expect("scan").key);
    let p = store.prove(&key, None).expect("prove");
    assert_eq!(p.verify(&head.state_root), Ok(()));
    let value = p.value.clone().expect("present");
    assert!(matches!(Record::decode(&value), Some(Record::Item(_))));

    // A tampered record, or the right record against another root, does not verify.
    let mut forged = p.clone();
    let mut v = value.clone();
    let last = v.len() - 1;
    v[last] ^= 1;
    forged.value = Some(v);
    assert_eq!(forged.verify(&head.state_root), Err(ProofError::Mismatch));
    let earlier = store
        .header(head.height - 1)
        .expect("read")
        .expect("header");
    assert_eq!(p.verify(&earlier.state_root), Err(ProofError::Mismatch));
    let mut garbage = p.clone();
    garbage.proof = vec![0xff; 40];
    assert_eq!(garbage.verify(&head.state_root), Err(ProofError::Malformed));

    // Proofs at an older height verify against that height's header.
    let old = store.prove(&key, Some(earlier.height)).expect("prove old");
    assert_eq!(old.verify(&earlier.state_root), Ok(()));

    // An item that was never commissioned: a proof of absence.
    let ghost = StateKey::item(&parse_scan("(01)00614141025015(21)NEVER").expect("scan").key);
    let absent = store.prove(&ghost, None).expect("prove absence");
    assert_eq!(absent.value, None);
    assert_eq!(absent.verify(&head.state_root), Ok(()));
}
