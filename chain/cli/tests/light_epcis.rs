//! EPCIS from a light node: four validator processes on loopback TCP and the Registry's
//! light node (`handoff light run`, its typed API over HTTP). The Registry ships a bag to
//! the Roastery from a full node (so the light node's index holds the Roastery and its
//! GLN), then its light node checks and imports a small EPCIS document (two bags
//! commissioned, one shipped to the Roastery's GLN): the events are signed and queued in
//! the outbox, sent and committed by the validators, and the full node exports them. The
//! light node's export (its org's own events, as of its index) equals the full node's
//! export of the Registry's events; the same document again is all `already`; a shipment
//! to a GLN no org it knows holds is refused naming the GLN, nothing queued; after a
//! restart with no peer the export still answers, as of its last block.

use crate::common;

use common::light::{Light, wait_for};
use common::*;
use handoff_api::*;
use handoff_epcis::{hash_ids, parse};
use handoff_http::Client;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

fn document(events: &[String]) -> String {
    format!(
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-06-01T00:00:00Z",
        "epcisBody":{{"eventList":[{}]}}}}"#,
        events.join(",")
    )
}

fn object(time: &str, action: &str, step: &str, rest: &str) -> String {
    format!(
        r#"{{"type":"ObjectEvent","eventTime":"{time}","eventTimeZoneOffset":"+00:00","action":"{action}","bizStep":"{step}"{rest}}}"#
    )
}

fn item(g: &str, serial: &str) -> String {
    format!("https://id.gs1.org/01/{g}/21/{serial}")
}

fn shipping(time: &str, epc: &str, gln: &str) -> String {
    object(
        time,
        "OBSERVE",
        "shipping",
        &format!(
            r#","epcList":["{epc}"],"disposition":"in_transit",
            "destinationList":[{{"type":"owning_party","destination":"https://id.gs1.org/417/{gln}"}},
              {{"type":"possessing_party","destination":"https://id.gs1.org/417/{gln}"}}]"#
        ),
    )
}

/// The events of an export as JSON, each with its hash id, in order.
fn events_of(text: &str) -> Vec<(String, Value)> {
    let d = parse(text).unwrap_or_else(|e| panic!("the export does not read back: {e}\n{text}"));
    let hashes = hash_ids(&d);
    let v: Value = serde_json::from_str(text).expect("JSON-LD");
    let list = v["epcisBody"]["eventList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), hashes.len(), "{text}");
    hashes.into_iter().zip(list).collect()
}

/// The full node's export of every event.
fn full_export(n0: &Path) -> Vec<(String, Value)> {
    let j = ok(n0, &["epcis", "export", "--all"]);
    events_of(j["document"].as_str().expect("document"))
}

fn light_export(api: &Client) -> EpcisExportResponse {
    api.call(&EpcisExportRequest {
        scan: None,
        all: true,
        format: "jsonld".into(),
    })
    .expect("the light node's export")
}

#[test]
fn a_light_node_imports_and_exports_its_own_epcis_events() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, _) = Cluster::testnet(&root);
    for i in 0..4 {
        c.start(i);
    }
    let n0 = c.dir(0);
    let g = gtin("0061414100001");
    let rg = gtin("061414200000");
    let reg = |args: &[&str]| ok(&n0, &[&["--as", "Registry"][..], args].concat());
    reg(&[
        "product",
        "define",
        "--gtin",
        &g,
        "--name",
        "Green beans 60 kg",
    ]);
    ok(
        &n0,
        &[
            "org", "add", "Roastery", "--prefix", "0614142", "--gln", &rg,
        ],
    );
    // A first bag to the Roastery from the full node: the light node's index then holds
    // the Roastery's org record, and so its GLN.
    let r1 = format!("(01){g}(21)R1");
    reg(&["item", "commission", &r1]);
    let first = reg(&["handoff", "propose", "--to", "Roastery", &r1])["handoff"]
        .as_str()
        .expect("handoff")
        .to_string();
    ok(&n0, &["--as", "Roastery", "handoff", "accept", &first]);
    let genesis = ok(&n0, &["genesis"])["genesis"]
        .as_str()
        .expect("genesis")
        .to_string();
    let mut light = Light::init(&root, "registry-light", "Registry", &genesis, &n0);
    let api = light.start(&c.ports);
    wait_for(
        "the first shipment indexed",
        Duration::from_secs(120),
        || {
            api.call(&HandoffShowRequest { id: first.clone() })
                .ok()
                .filter(|h| h.handoff.status == "accepted")
        },
    );

    let doc = document(&[
        object(
            "2026-06-01T08:00:00.000Z",
            "ADD",
            "commissioning",
            &format!(
                r#","epcList":["{}","{}"],"disposition":"active""#,
                item(&g, "S1"),
                item(&g, "S2")
            ),
        ),
        shipping("2026-06-01T10:00:00.000Z", &item(&g, "S1"), &rg),
    ]);
    let hashes = hash_ids(&parse(&doc).expect("the document reads"));

    // Checked as the Registry: two new events, nothing queued.
    let before = api.call(&OutboxRequest {}).expect("outbox").entries.len();
    let checked = api
        .call(&EpcisCheckRequest {
            document: doc.clone(),
        })
        .expect("check");
    let kinds: Vec<(&str, bool)> = checked
        .events
        .iter()
        .map(|e| (e.kind.as_str(), e.already))
        .collect();
    assert_eq!(kinds, [("commission", false), ("handoff_proposed", false)]);

    // A shipment to a GLN no org it knows holds: refused naming it, nothing queued.
    let stranger = gtin("061414900000");
    let e = api
        .call(&EpcisImportRequest {
            document: document(&[shipping(
                "2026-06-01T11:00:00.000Z",
                &item(&g, "S2"),
                &stranger,
            )]),
        })
        .expect_err("an unknown GLN");
    assert_eq!(e.code, "EPCIS_UNKNOWN_PARTY", "{e:?}");
    assert!(e.message.contains(&stranger), "{e:?}");
    assert_eq!(
        api.call(&OutboxRequest {}).expect("outbox").entries.len(),
        before
    );

    // Imported: both signed and queued, in order.
    let imported = api
        .call(&EpcisImportRequest {
            document: doc.clone(),
        })
        .expect("import");
    let statuses: Vec<&str> = imported.events.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(statuses, ["queued", "queued"], "{imported:?}");
    let queued = imported.queued.clone().expect("queued");
    assert_eq!(queued.len(), 2);
    for (e, q) in imported.events.iter().zip(&queued) {
        assert_eq!(e.tx.as_deref(), Some(q.tx.as_str()));
    }
    assert_eq!(imported.events[0].hash, hashes[0]);

    // Sent and committed by the validators.
    for q in &queued {
        let st = wait_for(
            "the event out of the outbox",
            Duration::from_secs(120),
            || {
                api.call(&OutboxRequest {})
                    .ok()?
                    .entries
                    .into_iter()
                    .find(|e| e.tx == q.tx && e.status != "pending" && e.status != "submitted")
            },
        );
        assert_eq!(st.status, "committed", "{st:?}");
    }
    // The full node shows them: the bag S1 on its way to the Roastery.
    let full = wait_for(
        "the events on the full node",
        Duration::from_secs(60),
        || {
            let f = full_export(&n0);
            hashes
                .iter()
                .all(|h| f.iter().any(|(x, _)| x == h))
                .then_some(f)
        },
    );

    // The light node's export, once its index has the block: the Registry's own events,
    // equal to the full node's export of them (the Roastery's receipt of the first bag
    // is not the Registry's).
    let out = wait_for(
        "the events in the light index",
        Duration::from_secs(120),
        || {
            let out = light_export(&api);
            let got = events_of(&out.document);
            hashes
                .iter()
                .all(|h| got.iter().any(|(x, _)| x == h))
                .then_some(out)
        },
    );
    let fresh = out.light.clone().expect("a light node says how fresh");
    let mine = events_of(&out.document);
    assert_eq!(out.events, mine.len() as u64);
    // Commission R1, ship R1, commission S1+S2, ship S1.
    assert_eq!(mine.len(), 4, "{}", out.document);
    let theirs: Vec<(String, Value)> = full
        .iter()
        .filter(|(h, _)| mine.iter().any(|(m, _)| m == h))
        .cloned()
        .collect();
    assert_eq!(mine, theirs);
    assert_eq!(full.len(), mine.len() + 1, "the Roastery's receipt besides");

    // The query answers over the same events.
    let q = api
        .call(&EpcisQueryRequest {
            query: "EQ_bizStep=shipping".into(),
            format: "jsonld".into(),
        })
        .expect("query");
    assert_eq!(q.events, 2, "{}", q.document);
    assert!(q.light.is_some());

    // The same document again: all already, nothing queued.
    let before = api.call(&OutboxRequest {}).expect("outbox").entries.len();
    let again = api
        .call(&EpcisImportRequest {
            document: doc.clone(),
        })
        .expect("import again");
    let statuses: Vec<&str> = again.events.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(statuses, ["already", "already"], "{again:?}");
    assert_eq!(again.events[0].tx.as_deref(), Some(queued[0].tx.as_str()));
    assert_eq!(
        api.call(&OutboxRequest {}).expect("outbox").entries.len(),
        before
    );

    // No peer at all after a restart: the same export, from disk, as of its last block.
    light.stop();
    let api = light.start(&[]);
    let offline = light_export(&api);
    assert_eq!(events_of(&offline.document), mine);
    let f = offline.light.expect("freshness");
    assert_eq!(f.peers, 0);
    assert!(f.height >= fresh.height);

    // Back online: the Roastery sends the first bag back from its full node, and the
    // light node receives it from an EPCIS receiving event, the handoff found among the
    // open ones its index holds.
    light.stop();
    let api = light.start(&c.ports);
    let back = ok(
        &n0,
        &[
            "--as", "Roastery", "handoff", "propose", "--to", "Registry", &r1,
        ],
    )["handoff"]
        .as_str()
        .expect("handoff")
        .to_string();
    wait_for(
        "the returned bag in the light index",
        Duration::from_secs(120),
        || {
            api.call(&HandoffShowRequest { id: back.clone() })
                .ok()
                .filter(|h| h.handoff.status == "open")
        },
    );
    let receiving = document(&[object(
        "2026-06-02T09:00:00.000Z",
        "OBSERVE",
        "receiving",
        &format!(r#","epcList":["{}"]"#, item(&g, "R1")),
    )]);
    let got = api
        .call(&EpcisImportRequest {
            document: receiving,
        })
        .expect("receiving imported");
    assert_eq!(got.events[0].status, "queued", "{got:?}");
    wait_for(
        "the return accepted on the full node",
        Duration::from_secs(120),
        || {
            let (code, j, _) = handoff(&n0, &["handoff", "show", &back]);
            (code == 0 && j["handoff"]["status"] == "accepted").then_some(())
        },
    );
}
