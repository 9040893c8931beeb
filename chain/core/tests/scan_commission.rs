//! Items commissioned from scanned labels keep what the labels say, and a recall of a
//! lot reaches the serialized items of that lot.

mod common;

use common::*;
use handoff_core::gs1::{Scan, parse_scan};
use handoff_core::query::{Verdict, verdict};
use handoff_core::tx::*;

/// Commissions the serialized item a label names, with the label's lot, expiry and other
/// AIs as the command line does it.
fn commission_label(w: &mut World, k: &handoff_core::crypto::Keypair, label: &str) -> Scan {
    let sc = parse_scan(label).expect("label parses");
    let attributes = sc
        .attributes
        .iter()
        .filter(|(ai, _)| ai != "10" && ai != "17")
        .cloned()
        .collect();
    w.ok(
        k,
        Payload::Commission(Commission {
            entries: vec![Entry::item(sc.key.clone())],
            claim_keys: vec![],
            at: None,
            lot: sc.lot.clone(),
            expiry: sc.expiry.clone(),
            attributes,
        }),
    );
    sc
}

fn recall_lot(w: &mut World, k: &handoff_core::crypto::Keypair, g: &str, lot: &str) {
    w.ok(
        k,
        Payload::Recall {
            gtin: g.into(),
            scope: RecallScope::Lot(lot.into()),
            reason: "salmonella in lot".into(),
        },
    );
}

fn reasons(w: &World, sc: &Scan) -> (Verdict, Vec<String>) {
    let r = verdict(&w.state, &Ok(sc.clone()), w.time_ms).expect("the state reads");
    (
        r.verdict,
        r.reasons
            .iter()
            .map(|x| format!("{}: {}", x.code, x.message))
            .collect(),
    )
}

#[test]
fn a_serialized_item_keeps_the_lot_expiry_and_attributes_of_its_label() {
    let mut w = World::new();
    let (farm, _carrier, _shop, g) = w.farm_carrier_shop();
    let sc = commission_label(
        &mut w,
        &farm,
        &format!("(01){g}(10)L7(21)BAG1(17)301231(11)250101(3103)000500"),
    );
    let it = w.item(&sc.key);
    assert_eq!(it.lot.as_deref(), Some("L7"));
    assert_eq!(it.expiry.as_deref(), Some("301231"));
    assert_eq!(
        it.attributes,
        vec![
            ("11".to_string(), "250101".to_string()),
            ("3103".to_string(), "000500".to_string())
        ]
    );
}

#[test]
fn a_lot_recall_reaches_the_serialized_items_of_that_lot_only() {
    let mut w = World::new();
    let (farm, _carrier, _shop, g) = w.farm_carrier_shop();
    let in_lot = commission_label(
        &mut w,
        &farm,
        &format!("https://id.gs1.org/01/{g}/10/L7/21/BAG1"),
    );
    let other_lot = commission_label(&mut w, &farm, &format!("01{g}10L8\u{1d}21BAG2"));
    let no_lot = commission_label(&mut w, &farm, &format!("(01){g}(21)BAG3"));
    let recalled = |(_, rs): &(Verdict, Vec<String>)| rs.iter().any(|r| r.starts_with("RECALLED"));
    assert!(
        !recalled(&reasons(&w, &in_lot)),
        "{:?}",
        reasons(&w, &in_lot)
    );

    recall_lot(&mut w, &farm, &g, "L7");
    let r = reasons(&w, &in_lot);
    assert_eq!(r.0, Verdict::Warning, "{r:?}");
    assert!(
        r.1.iter()
            .any(|m| m == "RECALLED: lot recalled: salmonella in lot"),
        "{r:?}"
    );
    assert!(
        !recalled(&reasons(&w, &other_lot)),
        "{:?}",
        reasons(&w, &other_lot)
    );
    assert!(
        !recalled(&reasons(&w, &no_lot)),
        "{:?}",
        reasons(&w, &no_lot)
    );
}

#[test]
fn a_lot_that_is_not_a_gs1_lot_is_refused_and_changes_nothing() {
    let mut w = World::new();
    let (farm, _carrier, _shop, g) = w.farm_carrier_shop();
    for bad in ["L 1", "L#1", "L\u{e4}"] {
        let r = w.refused(
            &farm,
            Payload::Commission(Commission {
                entries: items(&[&serial(&g, "BAG9")]),
                claim_keys: vec![],
                at: None,
                lot: Some(bad.into()),
                expiry: None,
                attributes: vec![],
            }),
            handoff_core::rejection::Code::BadId,
        );
        assert!(r.message.starts_with("lot:"), "{bad:?}: {}", r.message);
    }
}
