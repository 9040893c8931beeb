//! The consumer verdict (PRODUCT §6), one reason at a time: for each stable reason code a
//! chain on which an item earns exactly that reason, the verdict it gives, and proof that
//! the code is the one `verify` shows. `every_reason_has_a_test` keeps the list complete.

mod common;

use common::*;
use handoff_core::claim::{CLAIM_SECRET_BYTES, ClaimSecret};
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{Gs1Key, parse_scan};
use handoff_core::query::{CERTIFICATION_ATTR, Verdict, VerdictReport, verdict};
use handoff_core::scans::{DAY_MS, Observation, ScanLog, apply};
use handoff_core::state::{Record, StateKey};
use handoff_core::tx::*;
use handoff_core::types::Role;

/// A farm that owns the product, a carrier, a shop; one bag commissioned at the farm.
struct Shelf {
    w: World,
    farm: Keypair,
    carrier: Keypair,
    shop: Keypair,
    g: String,
    bag: Gs1Key,
}

fn shelf() -> Shelf {
    let mut w = World::new();
    let (farm, carrier, shop, g) = w.farm_carrier_shop();
    let bag = serial(&g, "BAG1");
    w.commission(&farm, items(&[&bag]));
    Shelf {
        w,
        farm,
        carrier,
        shop,
        g,
        bag,
    }
}

impl Shelf {
    /// The bag handed to the shop (custody and ownership).
    fn hand_to_shop(&mut self) {
        let h = self.w.propose(&self.farm, &self.shop, items(&[&self.bag]));
        self.w.accept(&self.shop, h);
    }
    fn check(&self, key: &Gs1Key) -> VerdictReport {
        self.check_at(key, self.w.time_ms)
    }
    fn check_at(&self, key: &Gs1Key, now_ms: i64) -> VerdictReport {
        let scan = parse_scan(&key.canonical()).expect("a canonical key parses");
        verdict(&self.w.state, &Ok(scan), now_ms).expect("the state reads")
    }
}

fn codes(r: &VerdictReport) -> Vec<&'static str> {
    r.reasons.iter().map(|x| x.code).collect()
}

/// The verdict is `v` and `code` is among its reasons (with a message).
fn assert_reason(r: &VerdictReport, v: Verdict, code: &str) {
    assert_eq!(r.verdict, v, "{:?}", r.reasons);
    let reason = r.reasons.iter().find(|x| x.code == code);
    assert!(
        reason.is_some_and(|x| !x.message.is_empty()),
        "{:?}",
        r.reasons
    );
}

#[test]
fn genuine() {
    let mut s = shelf();
    s.hand_to_shop();
    let r = s.check(&s.bag);
    assert_eq!(r.verdict, Verdict::Genuine);
    assert_eq!(codes(&r), ["GENUINE"]);
}

#[test]
fn malformed_id() {
    let s = shelf();
    let bad = parse_scan("(01)12345");
    let r = verdict(&s.w.state, &bad, s.w.time_ms).expect("reads");
    assert_reason(&r, Verdict::Counterfeit, "MALFORMED_ID");
}

#[test]
fn not_a_product() {
    let s = shelf();
    // A pallet code names no product.
    assert_reason(&s.check(&sscc(7)), Verdict::Counterfeit, "NOT_A_PRODUCT");
}

#[test]
fn not_serialized() {
    let s = shelf();
    let gtin_only = Gs1Key::Gtin { gtin: s.g.clone() };
    assert_reason(&s.check(&gtin_only), Verdict::Warning, "NOT_SERIALIZED");
}

#[test]
fn unknown_product() {
    let s = shelf();
    let other = serial(&gtin("0061414199999"), "X1");
    assert_reason(&s.check(&other), Verdict::Counterfeit, "UNKNOWN_PRODUCT");
}

#[test]
fn never_commissioned() {
    let s = shelf();
    let fake = serial(&s.g, "NOPE");
    assert_reason(&s.check(&fake), Verdict::Counterfeit, "NEVER_COMMISSIONED");
}

#[test]
fn decommissioned() {
    let mut s = shelf();
    s.w.ok(
        &s.farm,
        Payload::Decommission {
            entries: items(&[&s.bag]),
            reason: "crushed".into(),
        },
    );
    assert_reason(&s.check(&s.bag), Verdict::Counterfeit, "DECOMMISSIONED");
}

#[test]
fn unlicensed() {
    let mut s = shelf();
    s.hand_to_shop();
    // The ledger refuses such a commission (NOT_BRAND_OWNER), so the record is written
    // as a faulty or hostile node might serve it: the verdict must still refuse it.
    let rogue = s.w.org("Rogue", &[], &[Role::Manufacturer]);
    let k = StateKey::item(&s.bag);
    let Some(Record::Item(mut it)) = s.w.state.get(&k).cloned() else {
        panic!("the bag is an item");
    };
    it.commissioned_by = rogue.public();
    s.w.state.insert(k, Record::Item(it));
    assert_reason(&s.check(&s.bag), Verdict::Counterfeit, "UNLICENSED");
}

#[test]
fn licensed_maker_is_genuine() {
    let mut s = shelf();
    let maker = s.w.org("Co-packer", &[], &[Role::Manufacturer]);
    s.w.ok(
        &s.farm,
        Payload::LicenseProduct {
            gtin: s.g.clone(),
            licensee: maker.public(),
        },
    );
    let tin = serial(&s.g, "TIN1");
    s.w.commission(&maker, items(&[&tin]));
    let h = s.w.propose(&maker, &s.shop, items(&[&tin]));
    s.w.accept(&s.shop, h);
    assert_eq!(s.check(&tin).verdict, Verdict::Genuine);
}

#[test]
fn recalled() {
    let mut s = shelf();
    s.hand_to_shop();
    s.w.ok(
        &s.farm,
        Payload::Recall {
            gtin: s.g.clone(),
            scope: RecallScope::Items(vec![s.bag.clone()]),
            reason: "mould".into(),
        },
    );
    assert_reason(&s.check(&s.bag), Verdict::Warning, "RECALLED");
}

#[test]
fn stolen() {
    let mut s = shelf();
    s.hand_to_shop();
    s.w.ok(
        &s.shop,
        Payload::ReportStolen {
            entries: items(&[&s.bag]),
            note: "shelf emptied overnight".into(),
        },
    );
    assert_reason(&s.check(&s.bag), Verdict::Warning, "STOLEN");
}

#[test]
fn already_claimed() {
    let mut s = shelf();
    let tin = serial(&s.g, "TIN1");
    let secret = ClaimSecret::from_bytes([9; CLAIM_SECRET_BYTES]);
    s.w.ok(
        &s.farm,
        Payload::Commission(Commission {
            entries: items(&[&tin]),
            claim_keys: vec![secret.public_key(&tin)],
            at: None,
            lot: None,
            expiry: None,
            attributes: vec![],
        }),
    );
    let h = s.w.propose(&s.farm, &s.shop, items(&[&tin]));
    s.w.accept(&s.shop, h);
    s.w.ok(
        &s.shop,
        Payload::Sell {
            entries: items(&[&tin]),
        },
    );
    // Sold, not yet claimed: genuine.
    assert_eq!(s.check(&tin).verdict, Verdict::Genuine);
    let buyer = key("buyer");
    let claim_signature = secret.sign(&s.w.chain_id, &tin, &buyer.public());
    s.w.ok(
        &buyer,
        Payload::Claim(Claim {
            item: tin.clone(),
            claim_signature,
        }),
    );
    // Anyone scanning it afterwards is told it was claimed: a copied code warns.
    assert_reason(&s.check(&tin), Verdict::Warning, "ALREADY_CLAIMED");
}

impl Shelf {
    /// The bag handed to the shop and sold.
    fn sell(&mut self) {
        self.hand_to_shop();
        self.w.ok(
            &self.shop,
            Payload::Sell {
                entries: items(&[&self.bag]),
            },
        );
    }
}

/// Lookups of a sold bag from `networks` different networks, one a minute, as a node
/// counts them; the verdict lowered by the counts.
fn looked_up_from(s: &Shelf, networks: u8) -> VerdictReport {
    let mut log = ScanLog::default();
    let t0 = s.w.time_ms;
    for n in 0..networks {
        log.record([n; 8], t0 + i64::from(n) * 60_000);
    }
    let now = t0 + i64::from(networks) * 60_000;
    let mut r = s.check_at(&s.bag, now);
    apply(&mut r, &Observation::Seen(log.observed(now)));
    r
}

#[test]
fn many_scans() {
    let mut s = shelf();
    s.sell();
    // A household (three networks in an hour) is still a genuine purchase.
    assert_eq!(looked_up_from(&s, 3).verdict, Verdict::Genuine);
    // A fourth network within the hour: a copied label.
    assert_reason(&looked_up_from(&s, 4), Verdict::Warning, "MANY_SCANS");
    // Across a month, scans from 13 networks a day apart: copied too.
    let mut log = ScanLog::default();
    let t0 = s.w.time_ms;
    for n in 0..13u8 {
        log.record([n; 8], t0 + i64::from(n) * DAY_MS);
    }
    let now = t0 + 13 * DAY_MS;
    let mut r = s.check_at(&s.bag, now);
    assert_eq!(r.verdict, Verdict::Genuine, "{:?}", r.reasons);
    apply(&mut r, &Observation::Seen(log.observed(now)));
    assert_reason(&r, Verdict::Warning, "MANY_SCANS");
}

#[test]
fn scans_unchecked() {
    let mut s = shelf();
    s.sell();
    let mut r = s.check(&s.bag);
    assert_eq!(r.verdict, Verdict::Genuine);
    apply(
        &mut r,
        &Observation::Unchecked("the scan log cannot be read".into()),
    );
    assert_reason(&r, Verdict::Warning, "SCANS_UNCHECKED");
}

#[test]
fn open_handoff() {
    let mut s = shelf();
    s.w.propose(&s.farm, &s.carrier, items(&[&s.bag]));
    assert_reason(&s.check(&s.bag), Verdict::Warning, "OPEN_HANDOFF");
}

#[test]
fn disputed_handoff() {
    let mut s = shelf();
    let bag2 = serial(&s.g, "BAG2");
    s.w.commission(&s.farm, items(&[&bag2]));
    let h = s.w.propose(&s.farm, &s.shop, items(&[&s.bag, &bag2]));
    s.w.ok(
        &s.shop,
        Payload::AcceptHandoff(AcceptHandoff {
            handoff: h,
            missing: vec![],
            damaged: items(&[&bag2]),
        }),
    );
    assert_reason(&s.check(&bag2), Verdict::Warning, "DISPUTED_HANDOFF");
    // The bag that arrived whole is untouched by its neighbour's dispute.
    assert_eq!(s.check(&s.bag).verdict, Verdict::Genuine);
}

#[test]
fn consumed() {
    let mut s = shelf();
    let out = serial(&s.g, "ROAST1");
    s.w.ok(
        &s.farm,
        Payload::Transform(Transform {
            inputs: items(&[&s.bag]),
            outputs: items(&[&out]),
            at: None,
            expiry: None,
            attributes: vec![],
        }),
    );
    assert_reason(&s.check(&s.bag), Verdict::Warning, "CONSUMED");
}

#[test]
fn not_at_retailer() {
    let s = shelf();
    // Still at the farm: it never reached a retailer.
    assert_reason(&s.check(&s.bag), Verdict::Warning, "NOT_AT_RETAILER");
}

#[test]
fn expired() {
    let mut s = shelf();
    let tin = serial(&s.g, "OLD1");
    s.w.ok(
        &s.farm,
        Payload::Commission(Commission {
            entries: items(&[&tin]),
            claim_keys: vec![],
            at: None,
            lot: None,
            expiry: Some("300101".into()),
            attributes: vec![],
        }),
    );
    let h = s.w.propose(&s.farm, &s.shop, items(&[&tin]));
    s.w.accept(&s.shop, h);
    assert_eq!(s.check(&tin).verdict, Verdict::Genuine);
    // Scanned in 2031, past its 2030-01-01 expiry.
    let in_2031 = 1_924_992_000_000;
    assert_reason(&s.check_at(&tin, in_2031), Verdict::Warning, "EXPIRED");
}

#[test]
fn certification_not_valid() {
    let mut s = shelf();
    let g = gtin("0061414100002");
    s.w.ok(
        &s.farm,
        Payload::DefineProduct {
            gtin: g.clone(),
            name: "Organic beans".into(),
            description: String::new(),
            attributes: vec![(CERTIFICATION_ATTR.into(), "EU Organic".into())],
            image_hash: None,
        },
    );
    let bag = serial(&g, "ORG1");
    s.w.commission(&s.farm, items(&[&bag]));
    let h = s.w.propose(&s.farm, &s.shop, items(&[&bag]));
    s.w.accept(&s.shop, h);
    // The pack claims a certification no auditor issued.
    assert_reason(&s.check(&bag), Verdict::Warning, "CERTIFICATION_NOT_VALID");
}

/// Every reason code the verdict can give has a test named after it in this file.
#[test]
fn every_reason_has_a_test() {
    let query = concat!(
        include_str!("../src/query.rs"),
        include_str!("../src/scans.rs")
    );
    let tests = include_str!("verdict.rs");
    let mut found = 0;
    // Warnings name their code in a `Reason { code: "…" }`, counterfeits in a call
    // `counterfeit("…", …)`.
    let warnings = query.split("code: \"").skip(1);
    let counterfeits = query
        .split("counterfeit(")
        .skip(1)
        .filter_map(|p| p.trim_start().strip_prefix('"'));
    for part in warnings.chain(counterfeits) {
        let code = part.split('"').next().expect("a quoted code");
        found += 1;
        let test = format!("fn {}()", code.to_lowercase());
        assert!(tests.contains(&test), "no test `{test}` for reason {code}");
    }
    assert!(
        found >= 19,
        "only {found} reason codes found in query.rs and scans.rs"
    );
}
