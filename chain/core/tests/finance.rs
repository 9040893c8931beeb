//! The private-terms layer of supply-chain finance: commitments, range proofs,
//! conservation checks a validator runs without reading any amount, and sealed boxes.

use handoff_core::finance::*;
use handoff_core::types::{Hash32, PublicKey, sha256};
use proptest::prelude::*;

/// A deterministic test RNG (the library's SHA-256 counter RNG, seeded by name).
fn rng(name: &str) -> impl FinanceRng + use<> {
    verifier_rng(&sha256(&[name.as_bytes()]), b"test")
}

fn asset(name: &str) -> Hash32 {
    sha256(&[b"asset", name.as_bytes()])
}

fn opening(amount: u64, r: &mut impl FinanceRng) -> Opening {
    Opening {
        amount,
        blinding: Blinding::random(r),
    }
}

#[test]
fn a_proven_amount_verifies_and_has_the_documented_size() {
    let mut r = rng("size");
    let a = asset("inv-1");
    let o = opening(125_000, &mut r);
    let p = prove(&a, &o, &mut r).expect("prove");
    assert_eq!(p.proof.len(), RANGE_PROOF_BYTES);
    assert_eq!(p.commitment, commit(&o).expect("commit"));
    verify_deterministic(&a, &p).expect("verifies");
}

#[test]
fn a_proof_is_bound_to_its_asset() {
    let mut r = rng("bound");
    let p = prove(&asset("a"), &opening(7, &mut r), &mut r).expect("prove");
    assert_eq!(
        verify_deterministic(&asset("b"), &p),
        Err(FinanceError::BadRangeProof)
    );
}

#[test]
fn a_proof_for_another_commitment_is_refused() {
    let mut r = rng("swap");
    let a = asset("a");
    let p1 = prove(&a, &opening(7, &mut r), &mut r).expect("prove");
    let p2 = prove(&a, &opening(7, &mut r), &mut r).expect("prove");
    let forged = ProvenAmount {
        commitment: p1.commitment,
        proof: p2.proof,
    };
    assert_eq!(
        verify_deterministic(&a, &forged),
        Err(FinanceError::BadRangeProof)
    );
    let truncated = ProvenAmount {
        commitment: p1.commitment,
        proof: p1.proof[..100].to_vec(),
    };
    assert_eq!(
        verify_deterministic(&a, &truncated),
        Err(FinanceError::BadRangeProof)
    );
}

/// Builds an honest split of `before` into `parts` (and what is kept).
fn split(
    a: &Hash32,
    before: &Opening,
    parts: &[u64],
    r: &mut impl FinanceRng,
) -> (ProvenAmount, Vec<ProvenAmount>, Vec<Opening>) {
    let part_openings: Vec<Opening> = parts.iter().map(|v| opening(*v, r)).collect();
    let kept = Opening {
        amount: before.amount - parts.iter().sum::<u64>(),
        blinding: before
            .blinding
            .minus(&Blinding::sum(part_openings.iter().map(|o| &o.blinding)).expect("sum"))
            .expect("minus"),
    };
    let kept_p = prove(a, &kept, r).expect("prove kept");
    let parts_p = part_openings
        .iter()
        .map(|o| prove(a, o, r).expect("prove part"))
        .collect();
    let mut all = vec![kept];
    all.extend(part_openings);
    (kept_p, parts_p, all)
}

#[test]
fn a_split_that_adds_up_is_accepted() {
    let mut r = rng("split-ok");
    let a = asset("inv");
    let before = opening(100_000, &mut r);
    let c_before = commit(&before).expect("commit");
    let (kept, parts, _) = split(&a, &before, &[30_000, 20_000], &mut r);
    check_split(&a, &c_before, &kept, &parts).expect("balanced");
}

#[test]
fn a_split_whose_parts_do_not_add_up_is_refused() {
    let mut r = rng("split-bad");
    let a = asset("inv");
    let before = opening(100_000, &mut r);
    let c_before = commit(&before).expect("commit");
    // Honest kept, but a part committed to one unit more than was split off.
    let (kept, mut parts, openings) = split(&a, &before, &[30_000], &mut r);
    let inflated = Opening {
        amount: openings[1].amount + 1,
        blinding: openings[1].blinding,
    };
    parts[0] = prove(&a, &inflated, &mut r).expect("prove");
    assert_eq!(
        check_split(&a, &c_before, &kept, &parts),
        Err(FinanceError::Unbalanced)
    );
}

#[test]
fn a_split_with_a_negative_part_is_refused() {
    // Parts: +1001 to a friend and −1 (l − 1 modulo the group order) "kept": the
    // commitments add up, but no range proof exists for the negative one.
    let mut r = rng("split-neg");
    let a = asset("inv");
    let before = opening(1000, &mut r);
    let c_before = commit(&before).expect("commit");
    let big = opening(1001, &mut r);
    let big_p = prove(&a, &big, &mut r).expect("prove");
    let c_kept = difference(&c_before, &big_p.commitment).expect("difference");
    // The best a cheater can attach: a valid proof of some other (non-negative) value.
    let other = prove(&a, &opening(0, &mut r), &mut r).expect("prove");
    let kept = ProvenAmount {
        commitment: c_kept,
        proof: other.proof,
    };
    assert_eq!(
        check_split(&a, &c_before, &kept, &[big_p]),
        Err(FinanceError::BadRangeProof)
    );
    // And a commitment to u64::MAX wrapping as "−1" does not even balance.
    let wrapped = Opening {
        amount: u64::MAX,
        blinding: before.blinding.minus(&big.blinding).expect("minus"),
    };
    let wrapped_p = prove(&a, &wrapped, &mut r).expect("a u64 is provable");
    let big_p = prove(&a, &big, &mut r).expect("prove");
    assert_eq!(
        check_split(&a, &c_before, &wrapped_p, &[big_p]),
        Err(FinanceError::Unbalanced)
    );
}

#[test]
fn repayments_keep_the_balance_and_overpayment_is_refused() {
    let mut r = rng("repay");
    let a = asset("inv");
    let before = opening(100, &mut r);
    let c_before = commit(&before).expect("commit");
    let pay = opening(40, &mut r);
    let after = Opening {
        amount: 60,
        blinding: before.blinding.minus(&pay.blinding).expect("minus"),
    };
    let pay_p = prove(&a, &pay, &mut r).expect("prove");
    let after_p = prove(&a, &after, &mut r).expect("prove");
    check_decrease(&a, &c_before, &pay_p, &after_p).expect("balanced");

    // Paying 150 of 100: the remainder is −50; its commitment has no range proof.
    let over = opening(150, &mut r);
    let over_p = prove(&a, &over, &mut r).expect("prove");
    let c_after = difference(&c_before, &over_p.commitment).expect("difference");
    let other = prove(&a, &opening(50, &mut r), &mut r).expect("prove");
    let forged_after = ProvenAmount {
        commitment: c_after,
        proof: other.proof,
    };
    assert_eq!(
        check_decrease(&a, &c_before, &over_p, &forged_after),
        Err(FinanceError::BadRangeProof)
    );
    // A wrapped remainder (u64 arithmetic) does not balance.
    let wrapped = Opening {
        amount: 100u64.wrapping_sub(150),
        blinding: before.blinding.minus(&over.blinding).expect("minus"),
    };
    let wrapped_p = prove(&a, &wrapped, &mut r).expect("prove");
    assert_eq!(
        check_decrease(&a, &c_before, &over_p, &wrapped_p),
        Err(FinanceError::Unbalanced)
    );
}

#[test]
fn a_settled_balance_is_shown_zero_by_its_blinding() {
    let mut r = rng("zero");
    let z = opening(0, &mut r);
    let c = commit(&z).expect("commit");
    check_zero(&c, &z.blinding).expect("zero");
    let one = Opening {
        amount: 1,
        blinding: z.blinding,
    };
    assert_eq!(
        check_zero(&commit(&one).expect("commit"), &z.blinding),
        Err(FinanceError::Unbalanced)
    );
}

#[test]
fn face_value_is_the_sum_of_line_commitments() {
    let mut r = rng("face");
    let lines: Vec<Opening> = [10u64, 20, 30]
        .iter()
        .map(|v| opening(*v, &mut r))
        .collect();
    let cs: Vec<Commitment> = lines.iter().map(|o| commit(o).expect("commit")).collect();
    let face = Opening {
        amount: 60,
        blinding: Blinding::sum(lines.iter().map(|o| &o.blinding)).expect("sum"),
    };
    assert_eq!(sum(&cs).expect("sum"), commit(&face).expect("commit"));
}

#[test]
fn sealed_terms_open_only_for_their_recipient_and_asset() {
    let mut r = rng("seal");
    let (buyer_sk, buyer_pk) = seal_keypair(&[7; 32]);
    let (other_sk, _) = seal_keypair(&[8; 32]);
    check_seal_key(&buyer_pk).expect("usable key");
    let a = asset("inv");
    let d = Disclosure {
        openings: vec![("line/0".into(), opening(420_017, &mut r))],
        terms: vec![("invoice".into(), "INV-2026-0042".into())],
    };
    let boxed = seal(&a, PublicKey([1; 32]), &buyer_pk, &d.encode(), &mut r).expect("seal");
    let opened = open(&a, &buyer_sk, &boxed).expect("open");
    assert_eq!(Disclosure::decode(&opened), Some(d));
    assert_eq!(open(&a, &other_sk, &boxed), Err(FinanceError::Seal));
    assert_eq!(
        open(&asset("other"), &buyer_sk, &boxed),
        Err(FinanceError::Seal)
    );
    let mut tampered = boxed.clone();
    tampered.ciphertext[0] ^= 1;
    assert_eq!(open(&a, &buyer_sk, &tampered), Err(FinanceError::Seal));
}

#[test]
fn low_order_seal_keys_are_refused() {
    assert_eq!(check_seal_key(&[0; 32]), Err(FinanceError::BadSealKey));
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(check_seal_key(&one), Err(FinanceError::BadSealKey));
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn nothing_on_chain_shows_an_amount_or_invoice_number() {
    let mut r = rng("privacy");
    let (_, pk) = seal_keypair(&[9; 32]);
    let number = "INV-2026-0042";
    let salt = [3u8; 32];
    let reference = invoice_ref(&salt, number);
    let id = receivable_id(&PublicKey([1; 32]), &PublicKey([2; 32]), &reference);
    let amount: u64 = 420_017;
    let o = opening(amount, &mut r);
    let proven = prove(&id, &o, &mut r).expect("prove");
    let d = Disclosure {
        openings: vec![("line/0".into(), o)],
        terms: vec![
            ("invoice".into(), number.into()),
            ("unit_price".into(), "1234.56".into()),
        ],
    };
    let boxed = seal(&id, PublicKey([2; 32]), &pk, &d.encode(), &mut r).expect("seal");
    let mut public = borsh::to_vec(&proven).expect("encode");
    public.extend(borsh::to_vec(&boxed).expect("encode"));
    public.extend(id.0);
    public.extend(reference.0);
    for needle in [
        &amount.to_le_bytes()[..],
        &amount.to_be_bytes()[..],
        &(amount as u32).to_le_bytes()[..],
        number.as_bytes(),
        b"1234.56",
        b"420017",
    ] {
        assert!(
            !contains(&public, needle),
            "found {needle:?} in public bytes"
        );
    }
    // The plaintext does contain them (the search would find them).
    assert!(contains(&d.encode(), number.as_bytes()));
    assert!(contains(&d.encode(), &amount.to_le_bytes()));
}

#[test]
fn costs_of_private_terms() {
    // `cargo test -p handoff-core --release --test finance costs -- --nocapture`
    let mut r = rng("costs");
    let a = asset("bench");
    let o = opening(123_456, &mut r);
    let n = 10;
    let t = std::time::Instant::now();
    let proofs: Vec<ProvenAmount> = (0..n)
        .map(|_| prove(&a, &o, &mut r).expect("prove"))
        .collect();
    let prove_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let t = std::time::Instant::now();
    for p in &proofs {
        verify_deterministic(&a, p).expect("verify");
    }
    let verify_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    println!(
        "range proof: {} bytes, prove {prove_ms:.2} ms, verify {verify_ms:.2} ms",
        proofs[0].proof.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    /// A random sequence of repayments, dilutions and splits: every step that the
    /// validator accepts conserves value (outstanding + paid + diluted + split off =
    /// face, checked with the openings the test knows), and the final commitment opens to
    /// the tracked balance.
    #[test]
    fn random_finance_steps_conserve_value(
        face in 1u64..100_0000,
        steps in proptest::collection::vec((0u8..3, 0u64..400_000), 1..5),
        seed in any::<u64>(),
    ) {
        let mut r = rng(&format!("prop{seed}"));
        let a = asset("prop");
        let mut out = opening(face, &mut r);
        let (mut paid, mut diluted, mut split_off) = (0u64, 0u64, 0u64);
        for (kind, v) in steps {
            let c_before = commit(&out).expect("commit");
            let v = v.min(out.amount);
            if kind == 2 {
                let (kept, parts, openings) = split(&a, &out, &[v], &mut r);
                prop_assert!(check_split(&a, &c_before, &kept, &parts).is_ok());
                split_off += v;
                out = openings[0];
            } else {
                let pay = opening(v, &mut r);
                let after = Opening {
                    amount: out.amount - v,
                    blinding: out.blinding.minus(&pay.blinding).expect("minus"),
                };
                let pay_p = prove(&a, &pay, &mut r).expect("prove");
                let after_p = prove(&a, &after, &mut r).expect("prove");
                prop_assert!(check_decrease(&a, &c_before, &pay_p, &after_p).is_ok());
                if kind == 0 { paid += v } else { diluted += v }
                out = after;
            }
            prop_assert_eq!(out.amount + paid + diluted + split_off, face);
        }
    }
}

mod common;

#[test]
fn an_org_publishes_its_seal_key() {
    use handoff_core::tx::Payload;
    use handoff_core::types::Role;
    let mut w = common::World::new();
    let lender = w.org("bank", &[], &[Role::Lender]);
    let (_, pk) = seal_keypair(&[5; 32]);
    w.ok(&lender, Payload::SetSealKey { key: pk });
    let rec = seal_key(&w.state, &lender.public())
        .expect("read")
        .expect("published");
    assert_eq!(rec.key, pk);
}

mod receipts {
    use super::common::*;
    use handoff_core::crypto::Keypair;
    use handoff_core::finance::{pledged_under, receipt};
    use handoff_core::gs1::Gs1Key;
    use handoff_core::rejection::Code;
    use handoff_core::state::ReceiptStatus;
    use handoff_core::tx::*;
    use handoff_core::types::{Hash32, Role};

    pub struct Stock {
        pub w: World,
        pub farm: Keypair,
        pub store: Keypair,
        pub bank: Keypair,
        pub shop: Keypair,
        pub bag1: Gs1Key,
        pub bag2: Gs1Key,
    }

    /// Two bags owned by the farm, held by a warehouse; a bank.
    pub fn stock() -> Stock {
        let mut w = World::new();
        let (farm, _carrier, shop, g) = w.farm_carrier_shop();
        let store = w.org("Store", &[], &[Role::Warehouse]);
        let bank = w.org("Bank", &[], &[Role::Lender]);
        let (bag1, bag2) = (serial(&g, "BAG1"), serial(&g, "BAG2"));
        w.commission(&farm, items(&[&bag1, &bag2]));
        let tx = w.sign(
            &farm,
            World::propose_payload(&store, items(&[&bag1, &bag2]), Transfer::Custody),
        );
        w.submit(&tx).expect("proposed");
        w.accept(&store, tx.id());
        Stock {
            w,
            farm,
            store,
            bank,
            shop,
            bag1,
            bag2,
        }
    }

    pub fn issue(s: &mut Stock, goods: &[&Gs1Key]) -> Hash32 {
        let tx = s.w.sign(
            &s.store,
            Payload::Receipt(ReceiptOp::Issue {
                owner: s.farm.public(),
                goods: goods.iter().map(|k| (*k).clone()).collect(),
                lots: vec![],
            }),
        );
        s.w.submit(&tx).expect("issued");
        tx.id()
    }

    pub fn pledge(s: &mut Stock, r: Hash32) {
        let bank = s.bank.public();
        s.w.ok(
            &s.farm,
            Payload::Receipt(ReceiptOp::Pledge {
                receipt: r,
                lender: bank,
            }),
        );
        s.w.ok(
            &s.bank,
            Payload::Receipt(ReceiptOp::AcceptPledge { receipt: r }),
        );
    }

    fn ship(s: &Stock, k: &Gs1Key) -> Payload {
        World::propose_payload(&s.shop, items(&[k]), Transfer::Custody)
    }

    #[test]
    fn pledged_goods_stay_put_until_the_lender_releases_them() {
        let mut s = stock();
        let (b1, b2) = (s.bag1.clone(), s.bag2.clone());
        let r = issue(&mut s, &[&b1, &b2]);
        assert_eq!(
            receipt(&s.w.state, &r)
                .expect("read")
                .expect("stored")
                .status,
            ReceiptStatus::Issued
        );
        pledge(&mut s, r);
        assert_eq!(pledged_under(&s.w.state, &s.bag1).expect("read"), Some(r));
        let rec = receipt(&s.w.state, &r).expect("read").expect("stored");
        assert_eq!(rec.status, ReceiptStatus::Pledged);
        assert_eq!(rec.lender, Some(s.bank.public()));

        let (bag1, bag2) = (s.bag1.clone(), s.bag2.clone());
        // The warehouse cannot ship, pack or destroy them; nor can the owner.
        let p = ship(&s, &bag1);
        s.w.refused(&s.store, p, Code::Pledged);
        s.w.refused(
            &s.store,
            Payload::Pack {
                container: sscc(1),
                entries: items(&[&bag1]),
            },
            Code::Pledged,
        );
        s.w.refused(
            &s.farm,
            Payload::Decommission {
                entries: items(&[&bag2]),
                reason: "gone".into(),
            },
            Code::Pledged,
        );
        s.w.refused(
            &s.farm,
            Payload::Transform(Transform {
                inputs: items(&[&bag2]),
                outputs: items(&[&serial(&gtin("0061414100001"), "ROAST1")]),
                at: None,
                expiry: None,
                attributes: vec![],
            }),
            Code::Pledged,
        );

        // A partial release frees only the released bag.
        s.w.ok(
            &s.bank,
            Payload::Receipt(ReceiptOp::Release {
                receipt: r,
                goods: vec![bag1.clone()],
            }),
        );
        assert_eq!(pledged_under(&s.w.state, &bag1).expect("read"), None);
        assert_eq!(pledged_under(&s.w.state, &bag2).expect("read"), Some(r));
        let p = ship(&s, &bag2);
        s.w.refused(&s.store, p, Code::Pledged);
        let p = ship(&s, &bag1);
        s.w.ok(&s.store, p);

        // Releasing the rest closes the receipt.
        s.w.ok(
            &s.bank,
            Payload::Receipt(ReceiptOp::Release {
                receipt: r,
                goods: vec![],
            }),
        );
        let rec = receipt(&s.w.state, &r).expect("read").expect("stored");
        assert_eq!(rec.status, ReceiptStatus::Released);
        let p = ship(&s, &bag2);
        s.w.ok(&s.store, p);
    }

    #[test]
    fn enforcing_makes_the_lender_the_owner() {
        let mut s = stock();
        let bag1 = s.bag1.clone();
        let r = issue(&mut s, &[&bag1]);
        pledge(&mut s, r);
        s.w.ok(&s.bank, Payload::Receipt(ReceiptOp::Enforce { receipt: r }));
        assert_eq!(s.w.item(&bag1).owner, s.bank.public());
        assert_eq!(pledged_under(&s.w.state, &bag1).expect("read"), None);
        let rec = receipt(&s.w.state, &r).expect("read").expect("stored");
        assert_eq!(rec.status, ReceiptStatus::Enforced);
    }

    #[test]
    fn pledged_stock_cannot_be_pledged_twice() {
        let mut s = stock();
        let bag1 = s.bag1.clone();
        // Two receipts over the same bag, issued before either is pledged.
        let first = issue(&mut s, &[&bag1]);
        let second = issue(&mut s, &[&bag1]);
        pledge(&mut s, first);
        let bank = s.bank.public();
        s.w.ok(
            &s.farm,
            Payload::Receipt(ReceiptOp::Pledge {
                receipt: second,
                lender: bank,
            }),
        );
        s.w.refused(
            &s.bank,
            Payload::Receipt(ReceiptOp::AcceptPledge { receipt: second }),
            Code::AlreadyPledged,
        );
        // Nor can a new receipt be issued over pledged goods.
        let owner = s.farm.public();
        s.w.refused(
            &s.store,
            Payload::Receipt(ReceiptOp::Issue {
                owner,
                goods: vec![bag1],
                lots: vec![],
            }),
            Code::AlreadyPledged,
        );
    }

    /// 100 of a lot owned by the farm, held by the warehouse (the bags as well).
    fn lot_stock() -> (Stock, Gs1Key) {
        let mut s = stock();
        let g = match &s.bag1 {
            Gs1Key::Serial { gtin, .. } => gtin.clone(),
            k => panic!("bag1 is not serialized: {k:?}"),
        };
        let beans = lot(&g, "L7");
        s.w.commission(&s.farm, vec![Entry::lot(beans.clone(), 100)]);
        let tx = s.w.sign(
            &s.farm,
            World::propose_payload(
                &s.store,
                vec![Entry::lot(beans.clone(), 100)],
                Transfer::Custody,
            ),
        );
        s.w.submit(&tx).expect("proposed");
        s.w.accept(&s.store, tx.id());
        (s, beans)
    }

    fn issue_lot(s: &mut Stock, beans: &Gs1Key, q: u64) -> Result<Hash32, Code> {
        let tx = s.w.sign(
            &s.store,
            Payload::Receipt(ReceiptOp::Issue {
                owner: s.farm.public(),
                goods: vec![],
                lots: vec![Entry::lot(beans.clone(), q)],
            }),
        );
        s.w.submit(&tx).map(|_| tx.id()).map_err(|r| r.code)
    }

    fn ship_lot(s: &Stock, beans: &Gs1Key, q: u64) -> Payload {
        World::propose_payload(
            &s.shop,
            vec![Entry::lot(beans.clone(), q)],
            Transfer::Custody,
        )
    }

    fn held(s: &Stock, beans: &Gs1Key, custodian: &Keypair, owner: &Keypair) -> u64 {
        s.w.lot(beans).balance(&handoff_core::state::Holder::Org {
            custodian: custodian.public(),
            owner: owner.public(),
        })
    }

    #[test]
    fn a_pledged_lot_quantity_stays_in_the_warehouse_and_the_rest_moves() {
        let (mut s, beans) = lot_stock();
        // More than the warehouse holds is refused at issue.
        assert_eq!(
            issue_lot(&mut s, &beans, 101),
            Err(Code::InsufficientQuantity)
        );
        let r = issue_lot(&mut s, &beans, 40).expect("issued");
        pledge(&mut s, r);
        let rec = receipt(&s.w.state, &r).expect("read").expect("stored");
        assert_eq!(rec.status, ReceiptStatus::Pledged);
        assert_eq!(rec.lots, vec![Entry::lot(beans.clone(), 40)]);

        // 60 are free: shipping 70 is refused as pledged, 60 go.
        let p = ship_lot(&s, &beans, 70);
        let why = s.w.refused(&s.store, p, Code::Pledged);
        assert!(why.message.contains("40"), "{}", why.message);
        let p = ship_lot(&s, &beans, 60);
        s.w.ok(&s.store, p);
        assert_eq!(held(&s, &beans, &s.store, &s.farm), 40);
        // The pledged 40 can be neither shipped nor decommissioned.
        let p = ship_lot(&s, &beans, 1);
        s.w.refused(&s.store, p, Code::Pledged);
        s.w.refused(
            &s.store,
            Payload::Decommission {
                entries: vec![Entry::lot(beans.clone(), 5)],
                reason: "spoilt".into(),
            },
            Code::Pledged,
        );

        // Released (the lot line by its key), they move again.
        s.w.ok(
            &s.bank,
            Payload::Receipt(ReceiptOp::Release {
                receipt: r,
                goods: vec![beans.clone()],
            }),
        );
        let rec = receipt(&s.w.state, &r).expect("read").expect("stored");
        assert_eq!(rec.status, ReceiptStatus::Released);
        let p = ship_lot(&s, &beans, 40);
        s.w.ok(&s.store, p);
        assert_eq!(held(&s, &beans, &s.store, &s.farm), 0);
    }

    #[test]
    fn a_lot_quantity_cannot_be_pledged_twice_and_enforcing_hands_it_to_the_lender() {
        let (mut s, beans) = lot_stock();
        let first = issue_lot(&mut s, &beans, 70).expect("issued");
        // A second receipt over 50 more: issued while nothing is pledged, it cannot be
        // accepted once the first holds 70 of the 100.
        let second = issue_lot(&mut s, &beans, 50).expect("issued");
        pledge(&mut s, first);
        let bank = s.bank.public();
        s.w.ok(
            &s.farm,
            Payload::Receipt(ReceiptOp::Pledge {
                receipt: second,
                lender: bank,
            }),
        );
        s.w.refused(
            &s.bank,
            Payload::Receipt(ReceiptOp::AcceptPledge { receipt: second }),
            Code::AlreadyPledged,
        );
        // Nor can a new receipt be issued over more than the 30 left free.
        assert_eq!(issue_lot(&mut s, &beans, 31), Err(Code::AlreadyPledged));
        let third = issue_lot(&mut s, &beans, 30).expect("the free 30");
        pledge(&mut s, third);
        let p = ship_lot(&s, &beans, 1);
        s.w.refused(&s.store, p, Code::Pledged);

        // The lender enforces the first: it owns the 70, still in the warehouse.
        s.w.ok(
            &s.bank,
            Payload::Receipt(ReceiptOp::Enforce { receipt: first }),
        );
        assert_eq!(held(&s, &beans, &s.store, &s.bank), 70);
        assert_eq!(held(&s, &beans, &s.store, &s.farm), 30);
        let rec = receipt(&s.w.state, &first).expect("read").expect("stored");
        assert_eq!(rec.status, ReceiptStatus::Enforced);
        // The farm's 30 are still pledged under the third receipt: the warehouse may
        // ship the bank's 70, not one more.
        let p = ship_lot(&s, &beans, 71);
        s.w.refused(&s.store, p, Code::Pledged);
        let p = ship_lot(&s, &beans, 70);
        s.w.ok(&s.store, p);
        assert_eq!(held(&s, &beans, &s.store, &s.farm), 30);
    }

    /// What is pledged of the lot's (warehouse, farm) position, from the state.
    fn pledged_now(s: &Stock, beans: &Gs1Key) -> u64 {
        match s.w.state.get(&handoff_core::state::StateKey::PledgeLock(
            beans.canonical(),
        )) {
            Some(handoff_core::state::Record::LotPledges(v)) => v
                .iter()
                .filter(|p| p.warehouse == s.store.public() && p.owner == s.farm.public())
                .map(|p| p.quantity)
                .sum(),
            None => 0,
            Some(r) => panic!("not lot pledges: {r:?}"),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
        /// Random receipts, pledges, shipments, releases and enforcements of one lot: the
        /// warehouse never holds less of the owner's lot than is pledged, a shipment is
        /// refused exactly when it would reach into the pledge, and the lot's quantity is
        /// conserved (held by the warehouse for anyone, or shipped).
        #[test]
        fn a_lot_pledge_is_never_shipped_away(
            steps in proptest::collection::vec((0u8..4, 1u64..60), 1..12)
        ) {
            let (mut s, beans) = lot_stock();
            let mut pledged: Vec<Hash32> = Vec::new();
            let mut shipped = 0;
            for (op, q) in steps {
                match op {
                    0 => {
                        if let Ok(r) = issue_lot(&mut s, &beans, q) {
                            pledge(&mut s, r);
                            pledged.push(r);
                        }
                    }
                    1 => {
                        let free = held(&s, &beans, &s.store, &s.farm) - pledged_now(&s, &beans)
                            + held(&s, &beans, &s.store, &s.bank);
                        let p = ship_lot(&s, &beans, q);
                        let r = s.w.run(&s.store, p);
                        proptest::prop_assert_eq!(r.is_ok(), q <= free, "ship {} of {} free: {:?}", q, free, r);
                        if r.is_ok() {
                            shipped += q;
                        }
                    }
                    2 | 3 if !pledged.is_empty() => {
                        let r = pledged.remove(q as usize % pledged.len());
                        let payload = if op == 2 {
                            Payload::Receipt(ReceiptOp::Release { receipt: r, goods: vec![] })
                        } else {
                            Payload::Receipt(ReceiptOp::Enforce { receipt: r })
                        };
                        s.w.ok(&s.bank, payload);
                    }
                    _ => {}
                }
                let farm = held(&s, &beans, &s.store, &s.farm);
                proptest::prop_assert!(farm >= pledged_now(&s, &beans));
                proptest::prop_assert_eq!(farm + held(&s, &beans, &s.store, &s.bank) + shipped, 100);
            }
        }
    }

    #[test]
    fn a_receipt_lists_lots_only_as_lots() {
        let (mut s, beans) = lot_stock();
        // A serialized bag given as a lot line is refused; so is a lot line twice.
        let owner = s.farm.public();
        let bag = s.bag1.clone();
        s.w.refused(
            &s.store,
            Payload::Receipt(ReceiptOp::Issue {
                owner,
                goods: vec![],
                lots: vec![Entry::item(bag)],
            }),
            Code::BadField,
        );
        s.w.refused(
            &s.store,
            Payload::Receipt(ReceiptOp::Issue {
                owner,
                goods: vec![],
                lots: vec![Entry::lot(beans.clone(), 10), Entry::lot(beans.clone(), 10)],
            }),
            Code::DuplicateEntry,
        );
    }
}

mod receivables {
    use super::common::trade::*;
    use handoff_core::finance::*;
    use handoff_core::rejection::Code;
    use handoff_core::state::{ReceivableStatus, Record};
    use handoff_core::tx::*;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_receivable_is_issued_financed_repaid_and_settled() {
        let mut t = trade();
        let (id, face) = t.confirmed(125_000);
        let rec = receivable(&t.w.state, &id).expect("read").expect("stored");
        assert_eq!(rec.status, ReceivableStatus::Confirmed);
        assert_eq!(rec.face, commit(&face).expect("commit"));
        let bank = t.bank.public();
        let p = t.request(id, bank);
        t.w.ok(&t.seller, p);
        let mut r = t.rng();
        let advance = Opening {
            amount: 100_000,
            blinding: Blinding::random(&mut r),
        };
        let fee = Opening {
            amount: 1_500,
            blinding: Blinding::random(&mut r),
        };
        let parties = [t.seller.public(), t.buyer.public(), bank];
        let d = Disclosure {
            openings: vec![("advance".into(), advance), ("fee".into(), fee)],
            terms: vec![("advance_rate".into(), "80%".into())],
        };
        let sealed = t.seal_to(&id, &parties, &d);
        t.w.ok(
            &t.bank,
            Payload::Receivable(ReceivableOp::Offer {
                receivable: id,
                advance: prove(&id, &advance, &mut r).expect("prove"),
                fee: prove(&id, &fee, &mut r).expect("prove"),
                sealed,
            }),
        );
        // Funding before the holder accepts is refused.
        t.w.refused(
            &t.bank,
            Payload::Receivable(ReceivableOp::Fund { receivable: id }),
            Code::AssetStatus,
        );
        t.w.ok(
            &t.seller,
            Payload::Receivable(ReceivableOp::AcceptOffer { receivable: id }),
        );
        t.w.ok(
            &t.bank,
            Payload::Receivable(ReceivableOp::Fund { receivable: id }),
        );
        assert_eq!(
            receivable(&t.w.state, &id)
                .expect("read")
                .expect("stored")
                .status,
            ReceivableStatus::Funded
        );
        // A partial repayment, then the rest.
        let (p, rest) = t.repay(id, &face, 25_000, "PAY-1", &parties);
        let tx = t.w.sign(&t.buyer, p);
        // Privacy: the transaction bytes hold no amount, reference or invoice number.
        for needle in [
            &25_000u64.to_le_bytes()[..],
            &125_000u64.to_le_bytes()[..],
            &100_000u64.to_le_bytes()[..],
            b"PAY-1",
            b"INV-1",
        ] {
            assert!(
                !contains(tx.body_bytes(), needle),
                "{needle:?} in the repayment"
            );
        }
        t.w.submit(&tx).expect("repaid");
        let (p, zero) = t.repay(id, &rest, 100_000, "PAY-2", &parties);
        t.w.ok(&t.buyer, p);
        assert_eq!(zero.amount, 0);
        t.w.ok(
            &t.bank,
            Payload::Receivable(ReceivableOp::Settle {
                receivable: id,
                blinding: zero.blinding,
            }),
        );
        let rec = receivable(&t.w.state, &id).expect("read").expect("stored");
        assert_eq!(rec.status, ReceivableStatus::Settled);
        // No state record holds an amount or the invoice number in clear.
        for (_, v) in t.w.state.iter() {
            let bytes = v.encode();
            for needle in [
                &125_000u64.to_le_bytes()[..],
                &25_000u64.to_le_bytes()[..],
                b"INV-1",
                b"PAY-1",
            ] {
                assert!(!contains(&bytes, needle), "{needle:?} in a state record");
            }
            if let Record::Receivable(_) = v {
                assert!(!contains(&bytes, b"EUR") || rec.currency == "EUR");
            }
        }
    }

    #[test]
    fn settling_a_balance_that_is_not_zero_is_refused() {
        let mut t = trade();
        let (id, face) = t.confirmed(500);
        t.w.refused(
            &t.seller,
            Payload::Receivable(ReceivableOp::Settle {
                receivable: id,
                blinding: face.blinding,
            }),
            Code::Unbalanced,
        );
    }
}

mod ledger_conservation {
    use super::common::trade::*;
    use handoff_core::finance::*;
    use handoff_core::rejection::Code;
    use handoff_core::state::ReceivableStatus;
    use handoff_core::tx::*;

    #[test]
    fn a_confirmed_claim_is_split_to_an_upstream_supplier() {
        let mut t = trade();
        let (id, face) = t.confirmed(1_000);
        let mill = t.mill.public();
        let (p, kept, parts) = t.split(id, &face, 0, &[(mill, 300)]);
        t.w.ok(&t.seller, p);
        let parent = receivable(&t.w.state, &id).expect("read").expect("stored");
        assert_eq!(parent.outstanding, commit(&kept).expect("commit"));
        let child_id = split_id(&id, 0);
        let child = receivable(&t.w.state, &child_id)
            .expect("read")
            .expect("stored");
        assert_eq!(child.holder, mill);
        assert_eq!(child.buyer, t.buyer.public());
        assert_eq!(child.status, ReceivableStatus::Confirmed);
        assert_eq!(child.outstanding, commit(&parts[0]).expect("commit"));
        assert_eq!(kept.amount + parts[0].amount, face.amount);
        // The supplier's claim is then transferred on; the parent's holder dilutes its own.
        let bank = t.bank.public();
        let p = t.transfer(child_id, bank, &parts[0]);
        t.w.ok(&t.mill, p);
        assert_eq!(
            receivable(&t.w.state, &child_id)
                .expect("read")
                .expect("stored")
                .holder,
            bank
        );
    }

    #[test]
    fn a_split_whose_parts_do_not_add_up_is_refused_by_the_ledger() {
        let mut t = trade();
        let (id, face) = t.confirmed(1_000);
        let mill = t.mill.public();
        let (mut p, _, _) = t.split(id, &face, 0, &[(mill, 300)]);
        // The part claims 400 while the kept balance assumes 300 went out.
        let mut r = t.rng();
        if let Payload::Receivable(ReceivableOp::Split { parts, .. }) = &mut p {
            let more = Opening {
                amount: 400,
                blinding: Blinding::random(&mut r),
            };
            parts[0].amount = prove(&id, &more, &mut r).expect("prove");
        }
        t.w.refused(&t.seller, p, Code::Unbalanced);
    }

    #[test]
    fn a_split_with_a_negative_part_is_refused_by_the_ledger() {
        // 1001 to the mill out of 1000, "keeping" −1: the sums balance, the range proof of
        // the kept balance cannot exist.
        let mut t = trade();
        let (id, face) = t.confirmed(1_000);
        let mill = t.mill.public();
        let (mut p, _, _) = t.split(id, &face, 0, &[(mill, 1)]);
        let mut r = t.rng();
        if let Payload::Receivable(ReceivableOp::Split { kept, parts, .. }) = &mut p {
            let big = Opening {
                amount: 1_001,
                blinding: Blinding::random(&mut r),
            };
            parts[0].amount = prove(&id, &big, &mut r).expect("prove");
            let before = commit(&face).expect("commit");
            kept.commitment = difference(&before, &parts[0].amount.commitment).expect("diff");
        }
        t.w.refused(&t.seller, p, Code::BadRangeProof);
    }

    #[test]
    fn a_repayment_larger_than_the_balance_is_refused() {
        let mut t = trade();
        let (id, face) = t.confirmed(1_000);
        let parties = [t.seller.public(), t.buyer.public()];
        let (mut p, _) = t.repay(id, &face, 0, "PAY-1", &parties);
        let mut r = t.rng();
        if let Payload::Receivable(ReceivableOp::Repay {
            payment,
            outstanding,
            ..
        }) = &mut p
        {
            let pay = Opening {
                amount: 1_500,
                blinding: Blinding::random(&mut r),
            };
            *payment = prove(&id, &pay, &mut r).expect("prove");
            // The remainder (−500) balances but has no valid range proof.
            outstanding.commitment =
                difference(&commit(&face).expect("commit"), &payment.commitment).expect("diff");
        }
        t.w.refused(&t.buyer, p, Code::BadRangeProof);
    }

    #[test]
    fn a_credit_note_dilutes_the_balance() {
        let mut t = trade();
        let (id, face) = t.confirmed(1_000);
        let parties = [t.seller.public(), t.buyer.public()];
        // A dilution has the shape of a repayment, signed by the holder.
        let (p, after) = t.repay(id, &face, 200, "unused", &parties);
        let Payload::Receivable(ReceivableOp::Repay {
            payment,
            outstanding,
            sealed,
            ..
        }) = p
        else {
            unreachable!()
        };
        t.w.ok(
            &t.seller,
            Payload::Receivable(ReceivableOp::Dilute {
                receivable: id,
                credit: payment,
                outstanding,
                sealed,
            }),
        );
        let rec = receivable(&t.w.state, &id).expect("read").expect("stored");
        assert_eq!(rec.outstanding, commit(&after).expect("commit"));
    }

    #[test]
    fn a_receivable_past_due_by_chain_time_is_marked_overdue() {
        let mut t = trade();
        let (id, _) = t.confirmed(1_000);
        // Not yet due: refused.
        t.w.refused(
            &t.bank,
            Payload::Receivable(ReceivableOp::MarkOverdue { receivable: id }),
            Code::AssetStatus,
        );
        t.w.time_ms += 31 * 86_400_000;
        t.w.ok(
            &t.bank,
            Payload::Receivable(ReceivableOp::MarkOverdue { receivable: id }),
        );
        let rec = receivable(&t.w.state, &id).expect("read").expect("stored");
        assert_eq!(rec.status, ReceivableStatus::Overdue);
    }

    #[test]
    fn a_financed_claim_cannot_be_split() {
        let mut t = trade();
        let (id, face) = t.confirmed(1_000);
        let bank = t.bank.public();
        let p = t.request(id, bank);
        t.w.ok(&t.seller, p);
        let mill = t.mill.public();
        let (p, _, _) = t.split(id, &face, 0, &[(mill, 300)]);
        t.w.refused(&t.seller, p, Code::AlreadyFinanced);
    }
}

mod default_path {
    use super::common::trade::*;
    use handoff_core::finance::*;
    use handoff_core::state::ReceivableStatus;
    use handoff_core::tx::*;

    #[test]
    fn an_overdue_receivable_defaults_recovers_in_part_and_is_written_off() {
        let mut t = trade();
        let (id, face) = t.confirmed(1_000);
        t.w.time_ms += 31 * 86_400_000;
        t.w.ok(
            &t.bank,
            Payload::Receivable(ReceivableOp::MarkOverdue { receivable: id }),
        );
        // No lender: the holder is the creditor.
        t.w.ok(
            &t.seller,
            Payload::Receivable(ReceivableOp::Default { receivable: id }),
        );
        let parties = [t.seller.public(), t.buyer.public()];
        let (p, after) = t.repay(id, &face, 400, "unused", &parties);
        let Payload::Receivable(ReceivableOp::Repay {
            payment,
            outstanding,
            sealed,
            ..
        }) = p
        else {
            unreachable!()
        };
        t.w.ok(
            &t.seller,
            Payload::Receivable(ReceivableOp::Recover {
                receivable: id,
                recovered: payment,
                outstanding,
                sealed,
            }),
        );
        let rec = receivable(&t.w.state, &id).expect("read").expect("stored");
        assert_eq!(rec.outstanding, commit(&after).expect("commit"));
        t.w.ok(
            &t.seller,
            Payload::Receivable(ReceivableOp::WriteOff { receivable: id }),
        );
        let rec = receivable(&t.w.state, &id).expect("read").expect("stored");
        assert_eq!(rec.status, ReceivableStatus::WrittenOff);
    }
}

#[test]
fn a_written_off_receivable_takes_no_more_payments() {
    use common::trade::*;
    use handoff_core::rejection::Code;
    use handoff_core::tx::*;
    let mut t = trade();
    let (id, face) = t.confirmed(1_000);
    t.w.time_ms += 31 * 86_400_000;
    for (k, op) in [
        (&t.bank, ReceivableOp::MarkOverdue { receivable: id }),
        (&t.seller, ReceivableOp::Default { receivable: id }),
        (&t.seller, ReceivableOp::WriteOff { receivable: id }),
    ] {
        t.w.ok(k, Payload::Receivable(op));
    }
    let parties = [t.seller.public(), t.buyer.public()];
    let (p, _) = t.repay(id, &face, 100, "PAY-9", &parties);
    t.w.refused(&t.buyer, p, Code::AssetStatus);
}

mod ledger_props {
    use super::common::trade::*;
    use handoff_core::finance::*;
    use handoff_core::rejection::Code;
    use handoff_core::tx::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Step {
        Repay(u64),
        Dilute(u64),
        Split(u64),
        Finance(bool),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u64..1_500).prop_map(Step::Repay),
            (0u64..1_500).prop_map(Step::Dilute),
            (1u64..1_500).prop_map(Step::Split),
            any::<bool>().prop_map(Step::Finance),
        ]
    }

    /// Runs the steps on a confirmed receivable of 1000; checks conservation with the
    /// openings after every step and the one-financing rule; returns the world.
    fn run(steps: &[Step]) -> Result<Trade, TestCaseError> {
        let mut t = trade();
        let (id, face) = t.confirmed(1_000);
        let mut out = face;
        let (mut paid, mut diluted, mut split_off, mut splits) = (0u64, 0u64, 0u64, 0u32);
        let mut lender = None;
        let mut n = 0;
        for s in steps {
            n += 1;
            let mut parties = vec![t.seller.public(), t.buyer.public()];
            parties.extend(lender);
            match *s {
                Step::Repay(v) | Step::Dilute(v) => {
                    let reference = format!("PAY-{n}");
                    if v > out.amount {
                        // Overpaying: the honest builder cannot even prove it; a forged
                        // remainder is refused.
                        let (mut p, _) = t.repay(id, &out, 0, &reference, &parties);
                        let mut r = t.rng();
                        if let Payload::Receivable(ReceivableOp::Repay {
                            payment,
                            outstanding,
                            ..
                        }) = &mut p
                        {
                            let pay = Opening {
                                amount: v,
                                blinding: Blinding::random(&mut r),
                            };
                            *payment = prove(&id, &pay, &mut r).expect("prove");
                            outstanding.commitment =
                                difference(&commit(&out).expect("commit"), &payment.commitment)
                                    .expect("diff");
                        }
                        t.w.refused(&t.buyer, p, Code::BadRangeProof);
                        continue;
                    }
                    let (p, after) = t.repay(id, &out, v, &reference, &parties);
                    if matches!(s, Step::Repay(_)) {
                        t.w.ok(&t.buyer, p);
                        paid += v;
                    } else {
                        let Payload::Receivable(ReceivableOp::Repay {
                            payment,
                            outstanding,
                            sealed,
                            ..
                        }) = p
                        else {
                            unreachable!()
                        };
                        t.w.ok(
                            &t.seller,
                            Payload::Receivable(ReceivableOp::Dilute {
                                receivable: id,
                                credit: payment,
                                outstanding,
                                sealed,
                            }),
                        );
                        diluted += v;
                    }
                    out = after;
                }
                Step::Split(v) => {
                    let mill = t.mill.public();
                    let v = v.min(out.amount);
                    let (p, kept, parts) = t.split(id, &out, splits, &[(mill, v)]);
                    if lender.is_some() {
                        t.w.refused(&t.seller, p, Code::AlreadyFinanced);
                        continue;
                    }
                    t.w.ok(&t.seller, p);
                    let child = receivable(&t.w.state, &split_id(&id, splits))
                        .expect("read")
                        .expect("stored");
                    prop_assert_eq!(child.outstanding, commit(&parts[0]).expect("commit"));
                    splits += 1;
                    split_off += v;
                    out = kept;
                }
                Step::Finance(other) => {
                    let to = if other {
                        t.mill.public()
                    } else {
                        t.bank.public()
                    };
                    let p = t.request(id, to);
                    if lender.is_some() {
                        t.w.refused(&t.seller, p, Code::AlreadyFinanced);
                    } else if other {
                        // The mill is no lender.
                        t.w.refused(&t.seller, p, Code::WrongRole);
                    } else {
                        t.w.ok(&t.seller, p);
                        lender = Some(to);
                    }
                }
            }
            let rec = receivable(&t.w.state, &id).expect("read").expect("stored");
            prop_assert_eq!(rec.outstanding, commit(&out).expect("commit"));
            prop_assert_eq!(rec.face, commit(&face).expect("commit"));
            prop_assert_eq!(out.amount + paid + diluted + split_off, face.amount);
            prop_assert_eq!(rec.lender, lender);
        }
        Ok(t)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10))]
        #[test]
        fn random_finance_sequences_conserve_value_and_replay_alike(
            steps in proptest::collection::vec(step(), 1..6)
        ) {
            let a = run(&steps)?;
            let b = run(&steps)?;
            prop_assert!(a.w.state == b.w.state);
        }
    }
}

#[test]
fn an_invoice_on_chain_shows_no_number_and_no_line_amount() {
    use common::trade::*;
    let mut t = trade();
    let (h, b1, b2) = (t.delivery, t.bag1.clone(), t.bag2.clone());
    let (p, id, _) = t.issue("INV-2026-0042", "EUR", &[(h, b1, 420_017), (h, b2, 99_950)]);
    let tx = t.w.sign(&t.seller, p);
    t.w.submit(&tx).expect("issued");
    let mut public = tx.encode();
    public.extend(
        t.w.state
            .get(&handoff_core::state::StateKey::Asset(id))
            .expect("stored")
            .encode(),
    );
    for needle in [
        &420_017u64.to_le_bytes()[..],
        &99_950u64.to_le_bytes()[..],
        &520_967u64.to_le_bytes()[..],
        b"INV-2026-0042",
        b"0042",
        b"420017",
        b"4200.17",
    ] {
        assert!(!contains(&public, needle), "{needle:?} is public");
    }
}

#[test]
fn amounts_are_read_in_the_currency_minor_units_and_never_rounded() {
    assert_eq!(parse_amount("1250.50", "EUR"), Ok(125_050));
    assert_eq!(parse_amount("1250", "EUR"), Ok(125_000));
    assert_eq!(parse_amount("0.5", "EUR"), Ok(50));
    assert_eq!(parse_amount("1250", "JPY"), Ok(1250));
    assert_eq!(parse_amount("1.234", "KWD"), Ok(1234));
    assert!(matches!(
        parse_amount("1250.5", "JPY"),
        Err(AmountError::TooPrecise { digits: 0, .. })
    ));
    assert!(matches!(
        parse_amount("0.001", "EUR"),
        Err(AmountError::TooPrecise { .. })
    ));
    for bad in ["", ".", "1.", "-5", "+5", "1,000", "1e3", "1.2.3", "12a"] {
        assert!(
            matches!(parse_amount(bad, "EUR"), Err(AmountError::NotANumber(_))),
            "{bad:?} was read as an amount"
        );
    }
    assert!(matches!(
        parse_amount("184467440737095516.16", "EUR"),
        Err(AmountError::TooLarge(_))
    ));
    assert_eq!(format_amount(125_050, "EUR"), "1250.50");
    assert_eq!(format_amount(5, "EUR"), "0.05");
    assert_eq!(format_amount(1250, "JPY"), "1250");
    assert_eq!(format_amount(1234, "KWD"), "1.234");
}
