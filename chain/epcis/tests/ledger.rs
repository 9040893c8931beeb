//! EPCIS events ↔ ledger transactions: each event type mapped to the transaction the
//! acting org signs, each refusal with its stable code, and each exported transaction
//! read back to the same transaction.

use handoff_core::gs1::Gs1Key;
use handoff_core::tx::{Entry, Payload, ProposeHandoff, Transfer};
use handoff_core::types::{Hash32, PublicKey, TxId};
use handoff_epcis::ledger::{Committed, ExportLookup, Lookup, from_payload, gln_of_id, to_payload};
use handoff_epcis::{Document, ErrorCode, parse_jsonld, parse_xml, write_jsonld, write_xml};
use std::collections::HashMap;

const FARM_GLN: &str = "9506000000015";
const ROASTER_GLN: &str = "9506000000022";
const BAG: &str = "https://id.gs1.org/01/09506000134352/21/BAG001";
const BAG2: &str = "https://id.gs1.org/01/09506000134352/21/BAG002";
const LOT: &str = "https://id.gs1.org/01/09506000134352/10/L1";
const PALLET: &str = "https://id.gs1.org/00/009506000000000019";
const ROASTED: &str = "https://id.gs1.org/01/09506000134369/21/R1";

fn farm() -> PublicKey {
    PublicKey([1; 32])
}
fn roaster() -> PublicKey {
    PublicKey([2; 32])
}

/// The ledger as the mapping sees it: two orgs with one GLN each, open handoffs and
/// imported events, in tables.
#[derive(Default)]
struct Ledger {
    handoffs: Vec<(PublicKey, TxId, PublicKey, ProposeHandoff)>,
    events: HashMap<String, TxId>,
    txs: HashMap<TxId, (Payload, i64, PublicKey)>,
}

impl Lookup for Ledger {
    fn org_by_gln(&self, gln: &str) -> Option<PublicKey> {
        match gln {
            FARM_GLN => Some(farm()),
            ROASTER_GLN => Some(roaster()),
            _ => None,
        }
    }
    fn open_handoff(&self, to: &PublicKey, keys: &[Gs1Key]) -> Option<Hash32> {
        self.handoffs
            .iter()
            .find(|(_, _, t, h)| {
                t == to && keys.iter().all(|k| h.entries.iter().any(|e| &e.key == k))
            })
            .map(|(_, id, _, _)| *id)
    }
    fn tx_of_event(&self, id: &str) -> Option<TxId> {
        self.events.get(id).copied()
    }
}

impl ExportLookup for Ledger {
    fn gln_of(&self, org: &PublicKey) -> Option<String> {
        if *org == farm() {
            Some(FARM_GLN.into())
        } else if *org == roaster() {
            Some(ROASTER_GLN.into())
        } else {
            None
        }
    }
    fn proposal(&self, id: &Hash32) -> Option<(PublicKey, ProposeHandoff)> {
        self.handoffs
            .iter()
            .find(|(_, h, _, _)| h == id)
            .map(|(from, _, _, p)| (*from, p.clone()))
    }
    fn transaction(&self, id: &TxId) -> Option<(Payload, i64, PublicKey)> {
        self.txs.get(id).cloned()
    }
}

fn doc<S: AsRef<str>>(events: &[S]) -> Document {
    let list: Vec<&str> = events.iter().map(AsRef::as_ref).collect();
    let text = format!(
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z",
        "epcisBody":{{"eventList":[{}]}}}}"#,
        list.join(",")
    );
    parse_jsonld(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn key(uri: &str) -> Gs1Key {
    handoff_epcis::ids::parse_id(uri).expect("a good id")
}

fn map_as(me: PublicKey, ledger: &Ledger, event: &str) -> Result<Payload, (ErrorCode, String)> {
    to_payload(&doc(&[event]), 0, &me, ledger)
        .map(|m| m.payload)
        .map_err(|e| (e.kind, e.message))
}

fn object(action: &str, step: &str, rest: &str) -> String {
    format!(
        r#"{{"type":"ObjectEvent","eventTime":"2026-01-02T10:00:00.000+01:00","eventTimeZoneOffset":"+01:00",
        "action":"{action}","bizStep":"{step}"{rest}}}"#
    )
}

#[test]
fn commissioning_becomes_commission_of_items_and_lots_at_the_location() {
    let ev = object(
        "ADD",
        "commissioning",
        &format!(
            r#","epcList":["{BAG}","urn:epc:id:sgtin:9506000.013435.BAG002"],
            "quantityList":[{{"epcClass":"{LOT}","quantity":40}}],
            "bizLocation":{{"id":"urn:epc:id:sgln:9506000.00001.0"}}"#
        ),
    );
    let m = to_payload(&doc(&[&ev]), 0, &farm(), &Ledger::default()).expect("mapped");
    assert_eq!(
        m.event_time_ms, 1_767_344_400_000,
        "10:00 at +01:00 is 09:00 UTC"
    );
    let Payload::Commission(c) = m.payload else {
        panic!("{:?}", m.payload)
    };
    assert_eq!(
        c.entries,
        vec![
            Entry::item(key(BAG)),
            Entry::item(key(BAG2)),
            Entry::lot(key(LOT), 40)
        ]
    );
    assert_eq!(c.at.as_deref(), Some(FARM_GLN));
}

#[test]
fn shipping_to_a_party_proposes_a_handoff_to_the_org_with_that_gln() {
    let ledger = Ledger::default();
    let ship = |dest: &str| {
        object(
            "OBSERVE",
            "shipping",
            &format!(
                r#","epcList":["{BAG}"],"bizTransactionList":[{{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:9506000000015:PO-7"}}],
                "sourceList":[{{"type":"location","source":"https://id.gs1.org/414/{FARM_GLN}"}}],
                "destinationList":[{dest}]"#
            ),
        )
    };
    let both = ship(&format!(
        r#"{{"type":"owning_party","destination":"urn:epc:id:pgln:9506000.00002"}},
        {{"type":"possessing_party","destination":"https://id.gs1.org/417/{ROASTER_GLN}"}}"#
    ));
    let Ok(Payload::ProposeHandoff(h)) = map_as(farm(), &ledger, &both) else {
        panic!("not a proposal")
    };
    assert_eq!(h.to, roaster());
    assert_eq!(h.transfer, Transfer::Both);
    assert_eq!(h.entries, vec![Entry::item(key(BAG))]);
    assert_eq!(h.ship_from.as_deref(), Some(FARM_GLN));
    assert_eq!(h.docs.len(), 1);
    assert_eq!(h.docs[0].kind, "po");

    let custody = ship(&format!(
        r#"{{"type":"possessing_party","destination":"https://id.gs1.org/417/{ROASTER_GLN}"}}"#
    ));
    let Ok(Payload::ProposeHandoff(h)) = map_as(farm(), &ledger, &custody) else {
        panic!("not a proposal")
    };
    assert_eq!(h.transfer, Transfer::Custody);
    let ownership = ship(&format!(
        r#"{{"type":"owning_party","destination":"https://id.gs1.org/417/{ROASTER_GLN}"}}"#
    ));
    let Ok(Payload::ProposeHandoff(h)) = map_as(farm(), &ledger, &ownership) else {
        panic!("not a proposal")
    };
    assert_eq!(h.transfer, Transfer::Ownership);

    let nowhere = ship(&format!(
        r#"{{"type":"location","destination":"https://id.gs1.org/414/{ROASTER_GLN}"}}"#
    ));
    assert_eq!(
        map_as(farm(), &ledger, &nowhere).expect_err("refused").0,
        ErrorCode::NoDestination
    );
    let stranger =
        ship(r#"{"type":"owning_party","destination":"https://id.gs1.org/417/9506000000039"}"#);
    assert_eq!(
        map_as(farm(), &ledger, &stranger).expect_err("refused").0,
        ErrorCode::UnknownParty
    );
}

#[test]
fn receiving_accepts_the_open_handoff_of_the_items() {
    let mut ledger = Ledger::default();
    let ev = object("OBSERVE", "receiving", &format!(r#","epcList":["{BAG}"]"#));
    assert_eq!(
        map_as(roaster(), &ledger, &ev).expect_err("refused").0,
        ErrorCode::NoOpenHandoff
    );
    let id = Hash32([9; 32]);
    ledger.handoffs.push((
        farm(),
        id,
        roaster(),
        ProposeHandoff {
            to: roaster(),
            entries: vec![Entry::item(key(BAG))],
            transfer: Transfer::Both,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_at_height: None,
        },
    ));
    let Ok(Payload::AcceptHandoff(a)) = map_as(roaster(), &ledger, &ev) else {
        panic!("not an acceptance")
    };
    assert_eq!(a.handoff, id);
    assert!(a.missing.is_empty() && a.damaged.is_empty());
    // The handoff is to the roaster: the farm receiving those items has none open.
    assert_eq!(
        map_as(farm(), &ledger, &ev).expect_err("refused").0,
        ErrorCode::NoOpenHandoff
    );
}

#[test]
fn aggregation_packs_and_unpacks_a_logistics_unit() {
    let agg = |action: &str, parent: &str| {
        format!(
            r#"{{"type":"AggregationEvent","eventTime":"2026-01-02T10:00:00Z","eventTimeZoneOffset":"+00:00",
            "action":"{action}","parentID":"{parent}","childEPCs":["{BAG}","{BAG2}"],"bizStep":"packing"}}"#
        )
    };
    let ledger = Ledger::default();
    match map_as(farm(), &ledger, &agg("ADD", PALLET)) {
        Ok(Payload::Pack { container, entries }) => {
            assert_eq!(container, key(PALLET));
            assert_eq!(entries, vec![Entry::item(key(BAG)), Entry::item(key(BAG2))]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        map_as(farm(), &ledger, &agg("DELETE", PALLET)),
        Ok(Payload::Unpack { .. })
    ));
    assert_eq!(
        map_as(farm(), &ledger, &agg("ADD", ROASTED))
            .expect_err("refused")
            .0,
        ErrorCode::UnmappableId,
        "a parent that is no SSCC"
    );
}

#[test]
fn transformation_consumes_inputs_into_outputs() {
    let ev = format!(
        r#"{{"type":"TransformationEvent","eventTime":"2026-01-02T10:00:00Z","eventTimeZoneOffset":"+00:00",
        "inputQuantityList":[{{"epcClass":"{LOT}","quantity":10}}],"outputEPCList":["{ROASTED}"],
        "bizStep":"commissioning","readPoint":{{"id":"https://id.gs1.org/414/{ROASTER_GLN}"}}}}"#
    );
    let Ok(Payload::Transform(t)) = map_as(roaster(), &Ledger::default(), &ev) else {
        panic!("not a transform")
    };
    assert_eq!(t.inputs, vec![Entry::lot(key(LOT), 10)]);
    assert_eq!(t.outputs, vec![Entry::item(key(ROASTED))]);
    assert_eq!(t.at.as_deref(), Some(ROASTER_GLN));
}

#[test]
fn decommissioning_selling_stolen_and_inspecting_map_to_their_transactions() {
    let ledger = Ledger::default();
    let bag = format!(r#","epcList":["{BAG}"]"#);
    assert!(matches!(
        map_as(farm(), &ledger, &object("DELETE", "decommissioning", &bag)),
        Ok(Payload::Decommission { .. })
    ));
    assert!(matches!(
        map_as(farm(), &ledger, &object("OBSERVE", "retail_selling", &bag)),
        Ok(Payload::Sell { .. })
    ));
    let stolen = object(
        "OBSERVE",
        "inspecting",
        &format!(r#"{bag},"disposition":"stolen""#),
    );
    assert!(matches!(
        map_as(farm(), &ledger, &stolen),
        Ok(Payload::ReportStolen { .. })
    ));
    let sensed = object(
        "OBSERVE",
        "inspecting",
        &format!(
            r#"{bag},"readPoint":{{"id":"https://id.gs1.org/414/{FARM_GLN}"}},
            "sensorElementList":[{{"sensorReport":[{{"type":"Temperature","value":4.5,"uom":"CEL"}}]}}]"#
        ),
    );
    let Ok(Payload::Observe(o)) = map_as(farm(), &ledger, &sensed) else {
        panic!("not an observation")
    };
    assert_eq!(o.kind, "inspecting");
    assert_eq!(o.at.as_deref(), Some(FARM_GLN));
    assert_eq!(
        o.readings,
        vec![("Temperature CEL".to_string(), "4.5".to_string())]
    );
}

#[test]
fn an_error_declaration_corrects_the_event_it_declares() {
    let original = object("OBSERVE", "inspecting", &format!(r#","epcList":["{BAG}"]"#));
    let hash = handoff_epcis::hash_ids(&doc(&[&original])).remove(0);
    let declared = object(
        "OBSERVE",
        "inspecting",
        &format!(
            r#","epcList":["{BAG}"],"errorDeclaration":{{"declarationTime":"2026-01-03T00:00:00Z","reason":"incorrect_data"}}"#
        ),
    );
    let mut ledger = Ledger::default();
    assert_eq!(
        map_as(farm(), &ledger, &declared).expect_err("refused").0,
        ErrorCode::UnknownTarget
    );
    let tx = Hash32([7; 32]);
    ledger.events.insert(hash, tx);
    match map_as(farm(), &ledger, &declared) {
        Ok(Payload::Correct { target, reason, .. }) => {
            assert_eq!(target, tx);
            assert_eq!(reason, "incorrect_data");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn what_the_ledger_cannot_hold_is_refused_with_its_code() {
    let ledger = Ledger::default();
    let kilos = object(
        "ADD",
        "commissioning",
        &format!(r#","quantityList":[{{"epcClass":"{LOT}","quantity":2.5,"uom":"KGM"}}]"#),
    );
    let class = object(
        "ADD",
        "commissioning",
        r#","epcList":["https://id.gs1.org/01/09506000134352"]"#,
    );
    let nothing = object("OBSERVE", "inspecting", "");
    let bad_place = object(
        "OBSERVE",
        "inspecting",
        &format!(r#","epcList":["{BAG}"],"readPoint":{{"id":"urn:example:dock-4"}}"#),
    );
    for (ev, code) in [
        (&kilos, ErrorCode::UnmappableQuantity),
        (&class, ErrorCode::UnmappableId),
        (&nothing, ErrorCode::NoEntries),
        (&bad_place, ErrorCode::UnmappableId),
    ] {
        let e = to_payload(&doc(&[ev]), 0, &farm(), &ledger).expect_err("refused");
        assert_eq!(e.kind, code, "{ev}");
        assert_eq!(e.event, Some(0), "the refusal names the event");
        assert!(e.code().starts_with("EPCIS_"));
    }
}

#[test]
fn party_and_location_glns_are_read_in_every_form() {
    assert_eq!(
        gln_of_id("urn:epc:id:pgln:9506000.00001").as_deref(),
        Some(FARM_GLN)
    );
    assert_eq!(
        gln_of_id("urn:epc:id:sgln:9506000.00001.0").as_deref(),
        Some(FARM_GLN)
    );
    assert_eq!(
        gln_of_id("https://id.gs1.org/417/9506000000015").as_deref(),
        Some(FARM_GLN)
    );
    assert_eq!(
        gln_of_id("https://id.gs1.org/414/9506000000015").as_deref(),
        Some(FARM_GLN)
    );
    assert_eq!(
        gln_of_id("https://id.gs1.org/417/9506000000016"),
        None,
        "bad check digit"
    );
}

/// Every exported transaction reads back, in JSON-LD and in XML, as the same transaction.
#[test]
fn exported_transactions_map_back_to_themselves() {
    let mut ledger = Ledger::default();
    let proposal = ProposeHandoff {
        to: roaster(),
        entries: vec![Entry::item(key(BAG)), Entry::lot(key(LOT), 12)],
        transfer: Transfer::Custody,
        ship_from: Some(FARM_GLN.into()),
        ship_to: Some(ROASTER_GLN.into()),
        docs: vec![],
        expires_at_height: None,
    };
    let hid = Hash32([5; 32]);
    ledger
        .handoffs
        .push((farm(), hid, roaster(), proposal.clone()));
    let payloads = vec![
        (
            farm(),
            Payload::Commission(handoff_core::tx::Commission {
                entries: vec![Entry::item(key(BAG)), Entry::lot(key(LOT), 40)],
                claim_keys: vec![],
                at: Some(FARM_GLN.into()),
                lot: None,
                expiry: None,
                attributes: vec![],
            }),
        ),
        (farm(), Payload::ProposeHandoff(proposal)),
        (
            roaster(),
            Payload::AcceptHandoff(handoff_core::tx::AcceptHandoff {
                handoff: hid,
                missing: vec![],
                damaged: vec![],
            }),
        ),
        (
            farm(),
            Payload::Pack {
                container: key(PALLET),
                entries: vec![Entry::item(key(BAG))],
            },
        ),
        (
            farm(),
            Payload::Unpack {
                container: key(PALLET),
                entries: vec![Entry::item(key(BAG))],
            },
        ),
        (
            roaster(),
            Payload::Transform(handoff_core::tx::Transform {
                inputs: vec![Entry::lot(key(LOT), 10)],
                outputs: vec![Entry::item(key(ROASTED))],
                at: Some(ROASTER_GLN.into()),
                expiry: None,
                attributes: vec![],
            }),
        ),
        (
            roaster(),
            Payload::Observe(handoff_core::tx::Observe {
                entries: vec![Entry::item(key(ROASTED))],
                at: Some(ROASTER_GLN.into()),
                kind: "inspecting".into(),
                readings: vec![],
            }),
        ),
        (
            roaster(),
            Payload::Sell {
                entries: vec![Entry::item(key(ROASTED))],
            },
        ),
        (
            roaster(),
            Payload::Decommission {
                entries: vec![Entry::item(key(ROASTED))],
                reason: "decommissioning".into(),
            },
        ),
    ];
    let mut events = Vec::new();
    for (i, (by, p)) in payloads.iter().enumerate() {
        let c = Committed {
            payload: p,
            event_time_ms: 1_767_344_400_000 + i as i64,
            record_time_ms: 1_767_344_500_000,
            by: *by,
            tx: Hash32([i as u8; 32]),
        };
        events.push(from_payload(&c, &ledger).unwrap_or_else(|| panic!("{p:?} has no event")));
    }
    let exported = Document::new("2026-01-03T00:00:00Z", events);
    for back in [
        parse_jsonld(&write_jsonld(&exported)).expect("JSON-LD reads back"),
        parse_xml(&write_xml(&exported).expect("XML")).expect("XML reads back"),
    ] {
        assert_eq!(back.events.len(), payloads.len());
        for (i, (by, p)) in payloads.iter().enumerate() {
            let m = to_payload(&back, i, by, &ledger).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            assert_eq!(&m.payload, p, "event {i}");
            assert_eq!(m.event_time_ms, 1_767_344_400_000 + i as i64);
        }
    }
}

#[test]
fn exported_events_carry_cbv_steps_parties_and_places() {
    let mut ledger = Ledger::default();
    let proposal = ProposeHandoff {
        to: roaster(),
        entries: vec![Entry::item(key(BAG)), Entry::lot(key(LOT), 12)],
        transfer: Transfer::Both,
        ship_from: Some(FARM_GLN.into()),
        ship_to: None,
        docs: vec![handoff_core::tx::DocRef {
            kind: "po".into(),
            id: "PO-7".into(),
        }],
        expires_at_height: None,
    };
    let hid = Hash32([5; 32]);
    ledger
        .handoffs
        .push((farm(), hid, roaster(), proposal.clone()));
    let accept = Payload::AcceptHandoff(handoff_core::tx::AcceptHandoff {
        handoff: hid,
        missing: vec![Entry::lot(key(LOT), 2)],
        damaged: vec![],
    });
    let c = Committed {
        payload: &accept,
        event_time_ms: 0,
        record_time_ms: 0,
        by: roaster(),
        tx: Hash32([1; 32]),
    };
    let e = from_payload(&c, &ledger).expect("an event");
    assert_eq!(e.biz_step.as_deref(), Some("receiving"));
    assert_eq!(e.epc_list, vec![BAG.to_string()]);
    assert_eq!(
        e.quantity_list[0].quantity.as_deref(),
        Some("10"),
        "12 offered, 2 missing"
    );
    assert_eq!(
        e.source_list
            .iter()
            .map(|s| s.kind.as_str())
            .collect::<Vec<_>>(),
        ["owning_party", "possessing_party", "location"]
    );
    assert_eq!(
        e.destination_list[0].id,
        format!("https://id.gs1.org/417/{ROASTER_GLN}")
    );
    let sd = Payload::ProposeHandoff(proposal);
    let c = Committed { payload: &sd, ..c };
    let e = from_payload(&c, &ledger).expect("an event");
    assert_eq!(e.disposition.as_deref(), Some("in_transit"));
    assert_eq!(
        e.read_point.as_ref().map(|p| p.id.as_str()),
        Some("https://id.gs1.org/414/9506000000015")
    );
    // EPCIS requires a URI for a business transaction: a document number that is none is
    // written in Handoff's vocabulary (GS1's JSON schema refused the bare number).
    assert_eq!(
        e.biz_transaction_list[0].id,
        "https://voc.handoff.invalid/bt/PO-7"
    );
    // Likewise an observation kind outside the CBV's business steps; the import reads
    // it back to the same kind.
    let obs = Payload::Observe(handoff_core::tx::Observe {
        entries: vec![handoff_core::tx::Entry::item(key(BAG))],
        at: None,
        kind: "cupping".into(),
        readings: Vec::new(),
    });
    let e = from_payload(
        &Committed {
            payload: &obs,
            ..c.clone()
        },
        &ledger,
    )
    .expect("an event");
    assert_eq!(
        e.biz_step.as_deref(),
        Some("https://voc.handoff.invalid/bizstep/cupping")
    );
    let back = to_payload(
        &Document::new("2026-01-01T00:00:00Z", vec![e]),
        0,
        &farm(),
        &ledger,
    )
    .expect("mapped back");
    assert!(
        matches!(&back.payload, Payload::Observe(o) if o.kind == "cupping"),
        "{back:?}"
    );
    let org = Payload::SuspendOrg {
        org: farm(),
        reason: "x".into(),
    };
    assert!(from_payload(&Committed { payload: &org, ..c }, &ledger).is_none());
}

fn fixture_documents() -> Vec<(String, Document)> {
    let mut out = Vec::new();
    for dir in ["gs1", "hash"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(dir);
        let mut names: Vec<_> = std::fs::read_dir(&path)
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|x| x.to_str()),
                    Some("jsonld" | "xml")
                )
            })
            .collect();
        names.sort();
        for p in names {
            let text = std::fs::read_to_string(&p).expect("readable");
            // Documents the reader refuses are the subject of gs1_fixtures.rs.
            if let Ok(d) = handoff_epcis::parse(&text) {
                out.push((p.display().to_string(), d));
            }
        }
    }
    out
}

/// Every event of GS1's example documents, kept as the node keeps it and merged into one
/// export document, hashes as it did in its own document: the export reproduces it.
#[test]
fn kept_events_of_every_gs1_example_export_with_their_hash_ids() {
    use handoff_epcis::ledger::{keep, merge, restore};
    let docs = fixture_documents();
    assert!(
        docs.len() > 60,
        "only {} fixture documents read",
        docs.len()
    );
    let mut events = 0;
    for (name, d) in &docs {
        let hashes = handoff_epcis::hash_ids(d);
        let mut parts = Vec::new();
        for (i, hash) in hashes.iter().enumerate() {
            let kept = keep(d, i).unwrap_or_else(|e| panic!("{name} event {i}: {e}"));
            assert_eq!(&kept.hash_id, hash, "{name} event {i}");
            let back = restore(&kept.jsonld).expect("restores");
            assert_eq!(
                handoff_epcis::hash_ids(&back).as_slice(),
                std::slice::from_ref(hash),
                "{name} {i}"
            );
            parts.push((back.namespaces.clone(), back.events[0].clone()));
            events += 1;
        }
        let merged = merge("2026-01-01T00:00:00Z", parts);
        let mut written = vec![parse_jsonld(&write_jsonld(&merged)).expect("JSON-LD")];
        // An extension key with no XML form is refused by the XML writer, not broken.
        match write_xml(&merged) {
            Ok(x) => written.push(parse_xml(&x).expect("XML")),
            Err(e) => assert_eq!(e.kind, ErrorCode::BadField, "{name}: {e}"),
        }
        for w in written {
            assert_eq!(handoff_epcis::hash_ids(&w), hashes, "{name}");
        }
    }
    assert!(events > 100, "only {events} events");
}

#[test]
fn an_event_over_the_kept_size_is_refused_whole() {
    let big = "x".repeat(8000);
    let fields: Vec<String> = (0..10).map(|i| format!(r#""ex:f{i}":"{big}""#)).collect();
    let text = format!(
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{{"ex":"https://ns.example.com/"}}],
        "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z",
        "epcisBody":{{"eventList":[{}]}}}}"#,
        object(
            "OBSERVE",
            "inspecting",
            &format!(r#","epcList":["{BAG}"],{}"#, fields.join(","))
        )
    );
    let d = parse_jsonld(&text).expect("a good document");
    let e = handoff_epcis::ledger::keep(&d, 0).expect_err("refused");
    assert_eq!(e.kind, ErrorCode::TooLarge);
    assert_eq!(e.event, Some(0));
}
