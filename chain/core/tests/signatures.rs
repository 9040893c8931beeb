//! One signature rule on every path. Validators that check a signature alone, in a batch of
//! one, in a batch with others at any position, in `verify_txs` chunks, while executing or
//! replaying a block, or inside a certificate must all give it the same verdict — the
//! ZIP-215 verdict — or one crafted transaction splits the chain.
//!
//! The edge cases are the published ed25519-speccheck set (`vectors/`, see its README)
//! plus transactions crafted the same way (a torsion component in `R`, a non-canonical
//! `R` or `s`) by a signer in good standing.

mod common;

use common::{World, key};
use handoff_core::block::{BLOCK_VERSION, BlockHeader, Certificate, CommitSig, execute};
use handoff_core::crafted;
use handoff_core::crypto::{
    BATCH_CHUNK, Keypair, SigCheck, key_is_acceptable, verify, verify_all, verify_tx, verify_txs,
};
use handoff_core::governance::{approval_message, approval_verifies};
use handoff_core::rejection::Code;
use handoff_core::tx::{Approval, Payload, SignedTx, TX_VERSION, TxBody};
use handoff_core::types::{Hash32, PublicKey, Role};

const CASES: &str = include_str!("vectors/ed25519_speccheck_cases.json");

/// ZIP-215's verdict on each speccheck case, in file order:
/// 0 small A and small R, S = 0 — valid;
/// 1 small A, mixed R — valid;
/// 2 mixed A, small R — valid;
/// 3 mixed A and R, valid cofactored and cofactorless — valid;
/// 4 mixed A and R, valid only cofactored — valid (the cofactored equation);
/// 5 like 4, valid only if 8·k is not pre-reduced — valid;
/// 6 S > ℓ — invalid (S must be canonical);
/// 7 S ≫ ℓ — invalid;
/// 8 non-canonical R, hashed as its reduced encoding — invalid (k uses the bytes as sent);
/// 9 non-canonical R, hashed as sent — valid;
/// 10 non-canonical small A, hashed as its reduced encoding — valid (k·A vanishes
///    under the cofactor whatever k is);
/// 11 non-canonical small A, hashed as sent — valid.
const ZIP215: [bool; 12] = [
    true, true, true, true, true, true, false, false, false, true, true, true,
];

/// Whether each case's key may be given standing on the chain: only case 6/7's key is a
/// canonical prime-order point; the others are small-order (0, 1, 10, 11) or mixed-order
/// (2, 3, 4, 5, 8, 9) points, which honest key generation never yields.
const KEY_ACCEPTABLE: [bool; 12] = [
    false, false, false, false, false, false, true, true, false, false, false, false,
];

struct Vector {
    key: PublicKey,
    msg: Vec<u8>,
    sig: [u8; 64],
}

impl Vector {
    fn check(&self) -> SigCheck<'_> {
        SigCheck {
            key: &self.key,
            msg: &self.msg,
            sig: &self.sig,
        }
    }
}

fn unhex<const N: usize>(v: &serde_json::Value) -> [u8; N] {
    let bytes = hex::decode(v.as_str().expect("hex string")).expect("hex");
    bytes.try_into().expect("length")
}

fn vectors() -> Vec<Vector> {
    let cases: Vec<serde_json::Value> = serde_json::from_str(CASES).expect("cases.json");
    cases
        .iter()
        .map(|c| Vector {
            key: PublicKey(unhex(&c["pub_key"])),
            msg: hex::decode(c["message"].as_str().expect("message")).expect("hex"),
            sig: unhex(&c["signature"]),
        })
        .collect()
}

/// Valid signatures by ordinary keys over distinct messages.
fn honest(n: usize) -> Vec<Vector> {
    (0..n)
        .map(|i| {
            let k = Keypair::from_secret([(i % 7) as u8 + 1; 32]);
            let msg = format!("honest message {i}").into_bytes();
            Vector {
                key: k.public(),
                sig: k.sign_raw(&msg),
                msg,
            }
        })
        .collect()
}

/// `n_before` honest signatures, then `v`, then `n_after` honest ones: every verdict.
fn verdicts_around(v: &Vector, n_before: usize, n_after: usize) -> Vec<bool> {
    let before = honest(n_before);
    let after = honest(n_after);
    let checks: Vec<SigCheck<'_>> = before
        .iter()
        .map(Vector::check)
        .chain([v.check()])
        .chain(after.iter().map(Vector::check))
        .collect();
    verify_all(&checks)
}

/// Positions that put the vector first, last, inside, and on both sides of a chunk edge.
const GROUPINGS: [(usize, usize); 8] = [
    (1, 0),
    (0, 1),
    (3, 4),
    (17, 2),
    (BATCH_CHUNK - 1, 3),
    (BATCH_CHUNK - 2, 0),
    (BATCH_CHUNK, 2),
    (BATCH_CHUNK + 9, 0),
];

#[test]
fn the_checked_in_vectors_are_the_published_set() {
    let v = vectors();
    assert_eq!(v.len(), 12);
    // Spot checks against the published table (message and signature endings).
    assert!(hex::encode(&v[0].msg).ends_with("22b6"));
    assert!(hex::encode(v[0].sig).ends_with("0000"));
    assert!(hex::encode(&v[4].msg).ends_with("f56c"));
    assert!(hex::encode(v[4].sig).ends_with("1a09"));
    assert!(hex::encode(v[11].sig).ends_with("ac04"));
}

#[test]
fn every_speccheck_vector_has_its_zip215_verdict_alone_and_in_a_batch_of_one() {
    for (i, v) in vectors().iter().enumerate() {
        assert_eq!(
            verify(&v.key, &v.msg, &v.sig),
            ZIP215[i],
            "case {i}: single"
        );
        assert_eq!(
            verify_all(&[v.check()]),
            vec![ZIP215[i]],
            "case {i}: batch of one"
        );
        assert_eq!(
            key_is_acceptable(&v.key),
            KEY_ACCEPTABLE[i],
            "case {i}: key"
        );
    }
}

#[test]
fn every_speccheck_vector_keeps_its_verdict_wherever_it_sits_in_a_batch() {
    for (i, v) in vectors().iter().enumerate() {
        for (before, after) in GROUPINGS {
            let got = verdicts_around(v, before, after);
            assert_eq!(got.len(), before + 1 + after);
            assert_eq!(
                got[before], ZIP215[i],
                "case {i} after {before}, before {after} honest signatures"
            );
            assert!(
                got.iter().enumerate().all(|(j, ok)| j == before || *ok),
                "case {i} ({before}, {after}): an honest signature was refused"
            );
        }
        // Twice in one batch (same key, same message): both get the verdict.
        let twice = verify_all(&[v.check(), v.check()]);
        assert_eq!(twice, vec![ZIP215[i]; 2], "case {i} twice");
    }
}

#[test]
fn all_vectors_together_in_any_order_keep_their_verdicts() {
    let vs = vectors();
    let fill = honest(40);
    // Several orders of the twelve cases mixed with honest signatures: forward, reversed,
    // interleaved, and seeded shuffles.
    let mut orders: Vec<Vec<usize>> = vec![
        (0..12).collect(),
        (0..12).rev().collect(),
        (0..12).step_by(2).chain((1..12).step_by(2)).collect(),
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..8 {
        let mut o: Vec<usize> = (0..12).collect();
        for i in (1..o.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            o.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        orders.push(o);
    }
    for (n, order) in orders.iter().enumerate() {
        // Alone, then with honest signatures between every case.
        for spacing in [0, 1, 3] {
            let mut checks = Vec::new();
            let mut which = Vec::new();
            let mut f = fill.iter();
            for &c in order {
                checks.push(vs[c].check());
                which.push(Some(c));
                for _ in 0..spacing {
                    if let Some(h) = f.next() {
                        checks.push(h.check());
                        which.push(None);
                    }
                }
            }
            let got = verify_all(&checks);
            for (ok, w) in got.iter().zip(&which) {
                match w {
                    Some(c) => assert_eq!(*ok, ZIP215[*c], "order {n} spacing {spacing} case {c}"),
                    None => assert!(*ok, "order {n} spacing {spacing}: honest refused"),
                }
            }
        }
    }
}

#[test]
fn every_grouping_agrees_with_the_single_check() {
    // Whatever the rule, a signature's verdict must not depend on its company: the
    // single check, and the signature at each position of batches of each size.
    let k = key("grouping");
    let mut cases = vectors();
    for (name, craft, _) in crafted_cases() {
        for salt in 0..4u8 {
            let msg = format!("{name} {salt}").into_bytes();
            let sig = match name {
                "order-8 torsion in R" => crafted::with_torsion_in_r(&k, &msg, 8, salt.into()),
                "order-4 torsion in R" => crafted::with_torsion_in_r(&k, &msg, 4, salt.into()),
                "order-2 torsion in R" => crafted::with_torsion_in_r(&k, &msg, 2, salt.into()),
                _ => craft(&k, &msg),
            }
            .expect("craftable");
            cases.push(Vector {
                key: k.public(),
                msg,
                sig,
            });
        }
    }
    let mut split = Vec::new();
    for (i, v) in cases.iter().enumerate() {
        let single = verify(&v.key, &v.msg, &v.sig);
        for (before, after) in GROUPINGS.iter().chain(&[(2, 2), (5, 0), (0, 7), (30, 30)]) {
            if verdicts_around(v, *before, *after)[*before] != single {
                split.push((i, *before, *after));
            }
        }
    }
    assert!(
        split.is_empty(),
        "case, honest before, honest after, where a batch disagreed with the single check: {split:?}"
    );
}

/// A transaction by `signer` with its own signature replaced by `crafted(message)`.
fn crafted_tx(
    w: &World,
    signer: &Keypair,
    nonce: u64,
    gtin: &str,
    craft: impl Fn(&Keypair, &[u8]) -> Option<[u8; 64]>,
) -> SignedTx {
    let honest = w.sign_with(
        signer,
        nonce,
        w.time_ms,
        Payload::DefineProduct {
            gtin: gtin.into(),
            name: "Edge case".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        },
    );
    let sig = craft(signer, &honest.signing_message()).expect("craftable");
    SignedTx::new(honest.body, sig).expect("the body encodes")
}

/// The non-canonical encoding of the order-2 point (0, −1): x = 0 with the sign bit set
/// (the `R` of speccheck cases 8 and 9).
fn negative_zero_minus_one() -> [u8; 32] {
    let mut b = [0xff; 32];
    b[0] = 0xec;
    b
}

/// The identity point's canonical encoding (order 1).
fn identity() -> [u8; 32] {
    let mut b = [0; 32];
    b[0] = 1;
    b
}

type Craft = fn(&Keypair, &[u8]) -> Option<[u8; 64]>;

/// Crafted signatures by a key in good standing, with their ZIP-215 verdict.
fn crafted_cases() -> Vec<(&'static str, Craft, bool)> {
    vec![
        ("honest", |k, m| Some(k.sign_raw(m)), true),
        (
            "order-8 torsion in R",
            |k, m| crafted::with_torsion_in_r(k, m, 8, 1),
            true,
        ),
        (
            "order-4 torsion in R",
            |k, m| crafted::with_torsion_in_r(k, m, 4, 2),
            true,
        ),
        (
            "order-2 torsion in R",
            |k, m| crafted::with_torsion_in_r(k, m, 2, 3),
            true,
        ),
        (
            "non-canonical small-order R",
            |k, m| crafted::with_small_order_r(k, m, negative_zero_minus_one()),
            true,
        ),
        (
            "identity R",
            |k, m| crafted::with_small_order_r(k, m, identity()),
            true,
        ),
        ("non-canonical s", crafted::with_non_canonical_s, false),
        (
            "signature of another message",
            |k, m| {
                let mut other = m.to_vec();
                other.push(0);
                Some(k.sign_raw(&other))
            },
            false,
        ),
    ]
}

/// Honest transactions by signers without standing: validly signed, refused for who they
/// are (never for their signature).
fn fillers(w: &World, n: usize) -> Vec<SignedTx> {
    (0..n)
        .map(|i| {
            w.sign_with(
                &key(&format!("filler {i}")),
                0,
                w.time_ms,
                Payload::Sell { entries: vec![] },
            )
        })
        .collect()
}

#[test]
fn crafted_transactions_get_the_same_verdict_on_every_path() {
    let mut w = World::new();
    let (farm, _carrier, _shop, _g) = w.farm_carrier_shop();
    let nonce = 1; // the farm defined one product
    for (name, craft, zip215) in crafted_cases() {
        let tx = crafted_tx(&w, &farm, nonce, &common::gtin("0061414100099"), craft);
        // Alone, as admission checks it.
        assert_eq!(verify_tx(&tx), zip215, "{name}: verify_tx");
        assert_eq!(verify_txs(&[&tx]), vec![zip215], "{name}: batch of one");
        // In proposal validation and replay chunks, at every position.
        for (before, after) in GROUPINGS {
            let pre = fillers(&w, before);
            let post = fillers(&w, after);
            let block: Vec<&SignedTx> = pre.iter().chain([&tx]).chain(post.iter()).collect();
            let got = verify_txs(&block);
            assert_eq!(got[before], zip215, "{name} at {before} of {}", block.len());
            assert!(
                got.iter().enumerate().all(|(j, ok)| j == before || *ok),
                "{name} ({before}, {after}): a filler was refused"
            );
        }
        // Executing (or replaying) a block: applied if it verifies, BAD_SIGNATURE if not,
        // whatever else the block holds.
        for (before, after) in [(0, 0), (2, 5), (BATCH_CHUNK - 1, 1), (BATCH_CHUNK, 0)] {
            let pre = fillers(&w, before);
            let post = fillers(&w, after);
            let block: Vec<&SignedTx> = pre.iter().chain([&tx]).chain(post.iter()).collect();
            let exec = execute(&w.ctx(), &w.state, &block).expect("the state reads");
            match (&exec.results[before], zip215) {
                (Ok(_), true) => {}
                (Err(e), false) => assert_eq!(e.code, Code::BadSignature, "{name}: {e:?}"),
                (r, _) => panic!("{name} at {before}: executed as {r:?}, ZIP-215 says {zip215}"),
            }
            for (j, r) in exec.results.iter().enumerate() {
                if j != before {
                    let code = r.as_ref().err().map(|e| e.code);
                    assert_eq!(code, Some(Code::UnknownSigner), "{name}: filler {j}");
                }
            }
        }
    }
}

#[test]
fn all_crafted_transactions_in_one_block_keep_their_verdicts() {
    let mut w = World::new();
    // One crafted transaction per signer (each an org with its own company prefix), so
    // the block's nonces are in order.
    let cases = crafted_cases();
    let signers: Vec<Keypair> = (0..cases.len())
        .map(|i| {
            let prefix = format!("06{:05}", 100 + i);
            w.org(&format!("Org {i}"), &[&prefix], &[Role::Producer])
        })
        .collect();
    let txs: Vec<SignedTx> = cases
        .iter()
        .zip(&signers)
        .enumerate()
        .map(|(i, ((_, craft, _), k))| {
            let g = common::gtin(&format!("006{:05}00001", 100 + i));
            crafted_tx(&w, k, 0, &g, *craft)
        })
        .collect();
    // Executed as one block: each applied or refused by its own verdict.
    let refs: Vec<&SignedTx> = txs.iter().collect();
    let exec = execute(&w.ctx(), &w.state, &refs).expect("the state reads");
    for (r, (name, _, zip215)) in exec.results.iter().zip(&cases) {
        match r {
            Ok(_) => assert!(*zip215, "{name} applied"),
            Err(e) => {
                assert!(!*zip215, "{name} refused: {e:?}");
                assert_eq!(e.code, Code::BadSignature, "{name}");
            }
        }
    }
    for rotation in 0..txs.len() {
        let mut order: Vec<usize> = (0..txs.len()).collect();
        order.rotate_left(rotation);
        let block: Vec<&SignedTx> = order.iter().map(|&i| &txs[i]).collect();
        let got = verify_txs(&block);
        for (pos, &i) in order.iter().enumerate() {
            assert_eq!(
                got[pos], cases[i].2,
                "{} in rotation {rotation}",
                cases[i].0
            );
        }
    }
}

#[test]
fn the_crafted_signatures_are_ones_strict_verification_refuses() {
    // They are real edge cases: the rule used before (strict, one by one) refused every
    // crafted one, while ZIP-215 accepts the torsion and small-order `R` ones.
    let k = key("edge");
    let msg = b"an edge case";
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&k.public().0).expect("key");
    for (name, craft, _) in crafted_cases() {
        let sig = ed25519_dalek::Signature::from_bytes(&craft(&k, msg).expect("craftable"));
        let strict = vk.verify_strict(msg, &sig).is_ok();
        assert_eq!(strict, name == "honest", "{name}: strict verification");
    }
}

fn header() -> BlockHeader {
    let k = Keypair::from_secret([1; 32]);
    BlockHeader {
        version: BLOCK_VERSION,
        chain_id: Hash32([7; 32]),
        height: 9,
        prev_hash: Hash32([1; 32]),
        time_ms: 1_700_000_000_000,
        proposer: k.public(),
        tx_count: 0,
        tx_root: Hash32([2; 32]),
        state_root: Hash32([3; 32]),
        concerns_root: handoff_core::concerns::Concerns::default().root(),
    }
}

#[test]
fn certificates_and_approvals_count_a_signature_by_the_same_rule() {
    let keys: Vec<Keypair> = (1..=4).map(|b| Keypair::from_secret([b; 32])).collect();
    let set: Vec<PublicKey> = keys.iter().map(Keypair::public).collect();
    let h = header();
    let msg = handoff_core::block::precommit_message(&h.chain_id, h.height, 0, Some(&h.hash()));
    for (name, craft, zip215) in crafted_cases() {
        // Two honest precommits and the crafted third: 3 of 4 only if it counts.
        let mut sigs: Vec<CommitSig> = keys[..2]
            .iter()
            .map(|k| Certificate::sign(k, &h, 0))
            .collect();
        sigs.push(CommitSig {
            validator: keys[2].public(),
            signature: craft(&keys[2], &msg).expect("craftable"),
        });
        let cert = Certificate { round: 0, sigs };
        assert_eq!(cert.verify(&h, &set), zip215, "{name}: certificate");

        let approval_msg = approval_message(&h.chain_id, 1, &set);
        let approval = Approval {
            validator: keys[3].public(),
            signature: craft(&keys[3], &approval_msg).expect("craftable"),
        };
        assert_eq!(
            approval_verifies(&approval, &h.chain_id, 1, &set),
            zip215,
            "{name}: approval"
        );
    }
}

#[test]
fn keys_the_chain_admits_are_the_ones_honest_key_generation_makes() {
    // Every honest key is acceptable.
    for b in 0..=255u8 {
        assert!(key_is_acceptable(&Keypair::from_secret([b; 32]).public()));
    }
    // Small order: the identity, (0, −1) canonical and not.
    assert!(!key_is_acceptable(&PublicKey(identity())));
    let mut minus_one = [0xff; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    assert!(!key_is_acceptable(&PublicKey(minus_one)));
    assert!(!key_is_acceptable(&PublicKey(negative_zero_minus_one())));
    // Mixed order: an honest key plus a torsion point.
    let honest = Keypair::from_secret([9; 32]).public();
    let point = curve25519_point(&honest) + crafted::torsion_point(8).expect("order 8");
    assert!(!key_is_acceptable(&PublicKey(point.compress().to_bytes())));
    // Not a point at all (y² = … has no square root for y = 2).
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    assert!(!key_is_acceptable(&PublicKey(not_a_point)));
    // A non-canonical spelling of an honest key's y (y + p) does not fit in 255 bits for
    // any y ≥ 19, so the only non-canonical spellings are of points with y < 19; the
    // vectors' non-canonical keys (cases 10 and 11) are refused above.
}

#[test]
fn a_genesis_that_gives_a_weak_key_standing_is_refused() {
    let strong = Keypair::from_secret([4; 32]).public();
    let mut g = handoff_core::block::Genesis {
        name: "test".into(),
        time_ms: 0,
        validators: vec![strong],
        orgs: vec![],
    };
    assert_eq!(g.check_keys(), Ok(()));
    g.validators.push(PublicKey(identity()));
    assert_eq!(g.check_keys().map_err(|e| e.code), Err(Code::WeakKey));
    g.validators.pop();
    g.orgs.push(handoff_core::tx::AdmitOrg {
        org: PublicKey(negative_zero_minus_one()),
        name: "Weak".into(),
        prefixes: vec![],
        glns: vec![],
        roles: vec![Role::Registrar],
    });
    assert_eq!(g.check_keys().map_err(|e| e.code), Err(Code::WeakKey));
}

fn curve25519_point(key: &PublicKey) -> curve25519_dalek::edwards::EdwardsPoint {
    curve25519_dalek::edwards::CompressedEdwardsY(key.0)
        .decompress()
        .expect("an honest key is a point")
}

#[test]
fn honest_signatures_are_unchanged_and_valid() {
    // What honest code signs is byte-for-byte what it signed before (ed25519-dalek still
    // signs); the golden tests pin the bytes, this pins that they verify on every path.
    let w = World::new();
    let k = Keypair::from_secret([3; 32]);
    let txs: Vec<SignedTx> = (0..300)
        .map(|n| {
            k.sign_tx(TxBody {
                version: TX_VERSION,
                chain_id: w.chain_id,
                signer: k.public(),
                nonce: n,
                event_time_ms: 0,
                payload: Payload::Sell { entries: vec![] },
            })
            .expect("the body encodes")
        })
        .collect();
    let refs: Vec<&SignedTx> = txs.iter().collect();
    assert!(verify_txs(&refs).iter().all(|ok| *ok));
    assert!(txs.iter().all(verify_tx));
}
