//! Golden vectors: the exact bytes, ids and signatures of fixed transactions, the chain id
//! of a fixed genesis, and a block header hash. A change to the encoding, the signing
//! message or a hash shows up here as a failing test, never silently.
//!
//! `HANDOFF_FUZZ_SEEDS=fuzz/seeds cargo test -p handoff-core --test golden` also writes the
//! encodings as fuzz seeds.

mod common;

use common::*;
use handoff_core::block::{BLOCK_VERSION, BlockHeader, Genesis};
use handoff_core::crypto::{Keypair, verify_tx};
use handoff_core::governance::{approval_message, sign_approval};
use handoff_core::gs1::Gs1Key;
use handoff_core::state::{Record, StateKey, ValidatorSetRecord};
use handoff_core::tx::*;
use handoff_core::types::{Hash32, Role};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn fixed_key(byte: u8) -> Keypair {
    Keypair::from_secret([byte; 32])
}

fn genesis() -> Genesis {
    Genesis {
        name: "golden".into(),
        time_ms: 1_700_000_000_000,
        validators: vec![fixed_key(1).public()],
        orgs: vec![AdmitOrg {
            org: fixed_key(2).public(),
            name: "Registry".into(),
            prefixes: vec![],
            glns: vec![],
            roles: vec![Role::Registrar],
        }],
    }
}

fn propose() -> SignedTx {
    let farm = fixed_key(3);
    fixed_key(3)
        .sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: genesis().chain_id(),
            signer: farm.public(),
            nonce: 7,
            event_time_ms: 1_700_000_123_456,
            payload: Payload::ProposeHandoff(ProposeHandoff {
                to: fixed_key(4).public(),
                entries: vec![
                    Entry::item(Gs1Key::Serial {
                        gtin: "09506000134352".into(),
                        serial: "BAG1".into(),
                    }),
                    Entry::lot(
                        Gs1Key::Lot {
                            gtin: "09506000134352".into(),
                            lot: "L1".into(),
                        },
                        250,
                    ),
                ],
                transfer: Transfer::Both,
                ship_from: Some("0614141000005".into()),
                ship_to: None,
                docs: vec![DocRef {
                    kind: "PO".into(),
                    id: "PO-77".into(),
                }],
                expires_at_height: Some(1000),
            }),
        })
        .expect("the body encodes")
}

const CHAIN_ID: &str = "b0a965169fc647b15207280cfce15cbbd0c58cec9ea8148fad0b90226fcc8551";
const PROPOSE_WIRE: &str = "e400000001b0a965169fc647b15207280cfce15cbbd0c58cec9ea8148fad0b90226fcc8551ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d10700000000000000404ae7cf8b01000009ca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c02000000010e0000003039353036303030313334333532040000004241473100020e0000003039353036303030313334333532020000004c3101fa0000000000000002010d00000030363134313431303030303035000100000002000000504f05000000504f2d373701e803000000000000aae523fa4ae286268884f0ff3d54007a970ec0f0dbb942218ec5ac4ee256ad4da4de726e12452be51a10fa90a35b2075447c4478d410f19179697afc336c310e";
const PROPOSE_ID: &str = "f58d8cb5675489a6c990a860476182c8582d60590e1e048fd7c19e7843239167";
const PROPOSE_SIG: &str = "aae523fa4ae286268884f0ff3d54007a970ec0f0dbb942218ec5ac4ee256ad4da4de726e12452be51a10fa90a35b2075447c4478d410f19179697afc336c310e";
const HEADER_HASH: &str = "0c5d919c440b2a8bd9b2648cdfe3ded1339bdee267e556a253178f52d99c211c";

#[test]
fn chain_id_is_stable() {
    assert_eq!(genesis().chain_id().to_hex(), CHAIN_ID);
}

#[test]
fn transaction_encoding_id_and_signature_are_stable() {
    let tx = propose();
    assert_eq!(hex(&tx.encode()), PROPOSE_WIRE);
    assert_eq!(tx.id().to_hex(), PROPOSE_ID);
    assert_eq!(hex(&tx.signature), PROPOSE_SIG);
    // ed25519 signatures are deterministic: signing again gives the same bytes.
    assert_eq!(propose().signature, tx.signature);
}

#[test]
fn decoding_round_trips_and_every_byte_matters() {
    let tx = propose();
    let wire = tx.encode();
    let back = SignedTx::decode(&wire).expect("decodes");
    assert_eq!(back, tx);
    assert_eq!(back.id(), tx.id());
    assert!(verify_tx(&back));
    // Flip each byte of the body in turn: the id always changes, and the signature never
    // verifies for the changed transaction (when it still decodes at all).
    for i in 4..wire.len() - 64 {
        let mut w = wire.clone();
        w[i] ^= 0x01;
        if let Ok(t) = SignedTx::decode(&w) {
            assert_ne!(t.id(), tx.id(), "byte {i}");
            assert!(
                !verify_tx(&t),
                "byte {i} changed but the signature still verifies"
            );
        }
    }
}

#[test]
fn header_hash_is_stable() {
    let h = BlockHeader {
        version: BLOCK_VERSION,
        chain_id: genesis().chain_id(),
        height: 42,
        prev_hash: Hash32([0x11; 32]),
        time_ms: 1_700_000_200_000,
        proposer: fixed_key(1).public(),
        tx_count: 1,
        tx_root: Hash32([0x22; 32]),
        state_root: Hash32([0x33; 32]),
        concerns_root: handoff_core::concerns::Concerns::default().root(),
    };
    assert_eq!(h.hash().to_hex(), HEADER_HASH);
}

fn set_validators() -> SignedTx {
    let chain = genesis().chain_id();
    let set = vec![fixed_key(1).public(), fixed_key(5).public()];
    fixed_key(1)
        .sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: chain,
            signer: fixed_key(1).public(),
            nonce: 0,
            event_time_ms: 1_700_000_300_000,
            payload: Payload::SetValidators {
                validators: set.clone(),
                epoch: 1,
                approvals: vec![sign_approval(&fixed_key(1), &chain, 1, &set)],
            },
        })
        .expect("the body encodes")
}

const APPROVAL_MESSAGE: &str = "48414e444f46462f56414c494441544f52532f3100b0a965169fc647b15207280cfce15cbbd0c58cec9ea8148fad0b90226fcc85510000000000000001000000028a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf1";
const SET_VALIDATORS_WIRE: &str = "0201000001b0a965169fc647b15207280cfce15cbbd0c58cec9ea8148fad0b90226fcc85518a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0000000000000000e0fbe9cf8b01000015020000008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf10100000000000000010000008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5ca9bc4911abf37ce4cfd6fd130a875d2f42dbc7de1b11eed03f035b59c2e2112b2a8edf311b478ae254f4515dc55c9d03b68f3bdf922391debb4f2cc6b14d590f483399fe36b14ff8dd757d93582e15bd23326a36899e3ab620f966ec63d32fe63f8a1c99ecdb7010c3acf5123cb35ce65b022aa0194f458d2ab809493c3f1b0f";
const SET_VALIDATORS_ID: &str = "e2e153b967f80703109cf3125031a07c59636ddc8e114b049e1d0bb4f54c1791";
const VALIDATORS_RECORD: &str = "090100000000000000020000008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf1";

#[test]
fn validator_set_change_encoding_is_stable() {
    let tx = set_validators();
    let Payload::SetValidators {
        validators, epoch, ..
    } = &tx.body.payload
    else {
        unreachable!()
    };
    let msg = approval_message(&tx.body.chain_id, *epoch, validators);
    let record = Record::Validators(ValidatorSetRecord {
        epoch: *epoch,
        validators: validators.clone(),
    });
    assert_eq!(hex(&msg), APPROVAL_MESSAGE);
    assert_eq!(hex(&tx.encode()), SET_VALIDATORS_WIRE);
    assert_eq!(tx.id().to_hex(), SET_VALIDATORS_ID);
    assert_eq!(hex(&record.encode()), VALIDATORS_RECORD);
    assert_eq!(StateKey::Validators.to_bytes(), b"v");
    let back = SignedTx::decode(&tx.encode()).expect("decodes");
    assert_eq!(back, tx);
    assert!(verify_tx(&back));
    assert_eq!(Record::decode(&record.encode()), Some(record));
}

#[test]
fn write_fuzz_seeds() {
    let Some(dir) = std::env::var_os("HANDOFF_FUZZ_SEEDS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let mut w = World::new();
    let farm = w.org("Farm", &["0614141"], &[Role::Producer]);
    let shop = w.org("Shop", &[], &[Role::Retailer]);
    let g = gtin("0061414100001");
    w.define(&farm, &g);
    let bag = serial(&g, "BAG1");
    w.commission(&farm, items(&[&bag]));
    let h = w.propose(&farm, &shop, items(&[&bag]));
    let txs = [
        propose(),
        w.sign(&shop, World::accept_payload(h)),
        w.sign(
            &farm,
            World::commission_payload(vec![Entry::lot(lot(&g, "L9"), 40)]),
        ),
        set_validators(),
    ];
    let write = |sub: &str, name: String, bytes: &[u8]| {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).expect("seed dir");
        std::fs::write(d.join(name), bytes).expect("seed file");
    };
    for (i, tx) in txs.iter().enumerate() {
        write("tx_decode", format!("tx{i}"), &tx.encode());
    }
    for (i, (_, rec)) in w.state.iter().enumerate().take(40) {
        write("record_decode", format!("rec{i:02}"), &rec.encode());
    }
}

/// A claim by consumer key 5 of a bag whose claim code is sixteen 0x07 bytes.
fn claim() -> (SignedTx, handoff_core::claim::ClaimSecret) {
    use handoff_core::claim::{CLAIM_SECRET_BYTES, ClaimSecret};
    let secret = ClaimSecret::from_bytes([7; CLAIM_SECRET_BYTES]);
    let item = Gs1Key::Serial {
        gtin: "09506000134352".into(),
        serial: "BAG1".into(),
    };
    let consumer = fixed_key(5);
    let tx = consumer
        .sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: genesis().chain_id(),
            signer: consumer.public(),
            nonce: 0,
            event_time_ms: 1_700_000_300_000,
            payload: Payload::Claim(Claim {
                claim_signature: secret.sign(&genesis().chain_id(), &item, &consumer.public()),
                item,
            }),
        })
        .expect("encodes");
    (tx, secret)
}

const CLAIM_CODE: &str = "0707-0707-0707-0707-0707-0707-0707-0707";
const CLAIM_KEY: &str = "f2c7af4127d1ca4326ea87c7a1c367900e6190f54acbdc5a81db1458f329c4fe";
const CLAIM_WIRE: &str = "ad00000001b0a965169fc647b15207280cfce15cbbd0c58cec9ea8148fad0b90226fcc85516e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf10000000000000000e0fbe9cf8b0100001a010e000000303935303630303031333433353204000000424147318c7aa354e2bb172beae11ea10f81fc0491e1739ba4281f377a8332c9187f11dae1f07a4865242e62e72b1b44f1cc2b15ae9941daba9cd1eb1d1b54a1eb960003d49b4337c6652eda520e84ddf4bb6d9ae737478eaebdc17e3005bedb590729b7e2b5eb36a24605e5e3788822014b38d3892f2aa20220909db523d7f70e4fe007";

#[test]
fn claim_code_key_and_claim_encoding_are_stable() {
    let (tx, secret) = claim();
    let item = Gs1Key::Serial {
        gtin: "09506000134352".into(),
        serial: "BAG1".into(),
    };
    assert_eq!(secret.code(), CLAIM_CODE);
    assert_eq!(secret.public_key(&item).to_hex(), CLAIM_KEY);
    assert_eq!(hex(&tx.encode()), CLAIM_WIRE);
    // The new variants come after every earlier one, so no earlier encoding moved: a
    // claim is variant 26, a commission with claim keys 25.
    let body = tx.body_bytes();
    let payload_at = 1 + 32 + 32 + 8 + 8;
    assert_eq!(body[payload_at], 26);
    assert_eq!(SignedTx::decode(&tx.encode()).expect("decodes"), tx);
}
