//! `handoff epcis` on real chains (sled on disk, real signatures, the real binary): a
//! farm imports its EPCIS events and the roaster its receipt; the export gives every
//! event back with its hash id; re-importing commits nothing; a malformed document or an
//! event that cannot be mapped writes nothing (exit 2); an event a ledger rule refuses is
//! reported with its code while the others stand (exit 3); the demo chain exports in both
//! formats and reads back with handoff-epcis.

use crate::common;

use common::{gtin, handoff, ok};
use handoff_epcis::{Document, Event, hash_ids, parse};
use serde_json::{Value, json};
use std::path::Path;

const FARM_GLN: &str = "0614141000005";

fn roaster_gln() -> String {
    gtin("061414200000")
}

struct Chain {
    _dir: tempfile::TempDir,
    gtin: String,
}

impl Chain {
    fn dir(&self) -> &Path {
        self._dir.path()
    }
    fn item(&self, serial: &str) -> String {
        format!("https://id.gs1.org/01/{}/21/{serial}", self.gtin)
    }
    fn lot(&self, lot: &str) -> String {
        format!("https://id.gs1.org/01/{}/10/{lot}", self.gtin)
    }
    fn height(&self) -> u64 {
        ok(self.dir(), &["status"])["height"]
            .as_u64()
            .expect("height")
    }
    /// Writes `doc` to a file and runs `epcis ARGS… FILE` as `who`.
    fn epcis(&self, who: &str, cmd: &str, doc: &str) -> (i32, Value, String) {
        let path = self.dir().join(format!("doc-{}.epcis", doc.len()));
        std::fs::write(&path, doc).expect("write document");
        let file = path.display().to_string();
        handoff(self.dir(), &["--as", who, "epcis", cmd, &file])
    }
}

/// A farm (brand owner of a coffee product, one GLN) and a roaster (its own GLN).
fn chain() -> Chain {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(
        d,
        &[
            "init",
            "--org",
            "Acme Farms",
            "--prefix",
            "0614141",
            "--gln",
            FARM_GLN,
        ],
    );
    let rg = roaster_gln();
    ok(
        d,
        &[
            "org", "add", "Roastery", "--prefix", "0614142", "--gln", &rg,
        ],
    );
    let g = gtin("0061414100001");
    ok(
        d,
        &[
            "product",
            "define",
            "--gtin",
            &g,
            "--name",
            "Green beans 60 kg",
        ],
    );
    Chain { _dir: dir, gtin: g }
}

fn document(events: &[String]) -> String {
    format!(
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{{"ex":"https://ns.example.com/epcis/"}}],
        "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-06-01T00:00:00Z",
        "epcisBody":{{"eventList":[{}]}}}}"#,
        events.join(",")
    )
}

fn object(time: &str, action: &str, step: &str, rest: &str) -> String {
    format!(
        r#"{{"type":"ObjectEvent","eventTime":"{time}","eventTimeZoneOffset":"+02:00","action":"{action}","bizStep":"{step}"{rest}}}"#
    )
}

/// The farm's day: commission two bags and a lot, inspect a bag with a temperature
/// reading and an extension of its own, ship one bag and 10 of the lot to the roaster.
fn farm_day(c: &Chain) -> Vec<String> {
    let (s1, s2, lot) = (c.item("S1"), c.item("S2"), c.lot("L7"));
    let roaster = roaster_gln();
    vec![
        object(
            "2026-06-01T08:00:00+02:00",
            "ADD",
            "commissioning",
            &format!(
                r#","epcList":["{s1}","{s2}"],"quantityList":[{{"epcClass":"{lot}","quantity":40}}],
                "disposition":"active","bizLocation":{{"id":"https://id.gs1.org/414/{FARM_GLN}"}},
                "ex:harvest":"2026-05""#
            ),
        ),
        object(
            "2026-06-01T09:00:00+02:00",
            "OBSERVE",
            "inspecting",
            &format!(
                r#","epcList":["{s1}"],"readPoint":{{"id":"https://id.gs1.org/414/{FARM_GLN}"}},
                "sensorElementList":[{{"sensorReport":[{{"type":"Temperature","value":21.5,"uom":"CEL"}}]}}],
                "ex:grader":{{"ex:name":"J. Mwangi","ex:score":86}}"#
            ),
        ),
        object(
            "2026-06-01T10:00:00+02:00",
            "OBSERVE",
            "shipping",
            &format!(
                r#","epcList":["{s1}"],"quantityList":[{{"epcClass":"{lot}","quantity":10}}],
                "disposition":"in_transit",
                "bizTransactionList":[{{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:{roaster}:PO-77"}}],
                "sourceList":[{{"type":"owning_party","source":"https://id.gs1.org/417/{FARM_GLN}"}}],
                "destinationList":[{{"type":"owning_party","destination":"https://id.gs1.org/417/{roaster}"}},
                  {{"type":"possessing_party","destination":"https://id.gs1.org/417/{roaster}"}}]"#
            ),
        ),
    ]
}

fn statuses(j: &Value) -> Vec<String> {
    j["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn export(c: &Chain, args: &[&str]) -> Document {
    let mut full = vec!["epcis", "export"];
    full.extend_from_slice(args);
    let j = ok(c.dir(), &full);
    let text = j["document"].as_str().expect("document");
    let d = parse(text).unwrap_or_else(|e| panic!("the export does not read back: {e}\n{text}"));
    assert_eq!(j["events"].as_u64(), Some(d.events.len() as u64));
    d
}

/// An event's business step as a bare CBV word (XML writes CBV URNs).
fn step(e: &Event) -> Option<String> {
    e.biz_step
        .as_deref()
        .and_then(|s| handoff_epcis::cbv::Vocab::BizStep.bare(s))
}

/// The event of `doc` with hash id `hash`.
fn by_hash<'d>(doc: &'d Document, hash: &str) -> Option<&'d Event> {
    let hashes = hash_ids(doc);
    hashes
        .iter()
        .position(|h| h == hash)
        .map(|i| &doc.events[i])
}

#[test]
fn import_export_keeps_every_event_and_reimport_commits_nothing() {
    let c = chain();
    let farm_doc = document(&farm_day(&c));
    let sent = parse(&farm_doc).expect("a good document");
    let sent_hashes = hash_ids(&sent);

    // `hash` needs no chain; `check` maps without writing.
    let (code, j, _) = c.epcis("Acme Farms", "hash", &farm_doc);
    assert_eq!(code, 0);
    assert_eq!(j["hashes"], serde_json::json!(sent_hashes));
    let before = c.height();
    let (code, j, err) = c.epcis("Acme Farms", "check", &farm_doc);
    assert_eq!(code, 0, "{j} {err}");
    let kinds: Vec<&str> = j["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["commission", "observe", "handoff_proposed"]);
    assert_eq!(c.height(), before, "check writes nothing");

    let (code, j, err) = c.epcis("Acme Farms", "import", &farm_doc);
    assert_eq!(code, 0, "{j} {err}");
    assert_eq!(statuses(&j), ["committed"; 3]);
    for (i, e) in j["events"].as_array().expect("events").iter().enumerate() {
        assert_eq!(e["index"], i);
        assert_eq!(e["hash"], sent_hashes[i]);
    }
    // The ledger holds them as its own transactions: the bag's history, the roaster's
    // inbox.
    let history = ok(c.dir(), &["item", "history", &c.item("S1")]);
    let types: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        ["commission", "observe", "handoff_proposed"],
        "{history}"
    );
    let inbox = ok(c.dir(), &["--as", "Roastery", "handoff", "inbox"]);
    assert_eq!(
        inbox["incoming"].as_array().map(Vec::len),
        Some(1),
        "{inbox}"
    );

    // The roaster receives what was shipped: its receipt accepts the open handoff.
    let roaster = roaster_gln();
    let receipt = document(&[object(
        "2026-06-02T07:30:00+02:00",
        "OBSERVE",
        "receiving",
        &format!(
            r#","epcList":["{}"],"quantityList":[{{"epcClass":"{}","quantity":10}}],"disposition":"in_progress",
            "bizLocation":{{"id":"https://id.gs1.org/414/{roaster}"}}"#,
            c.item("S1"),
            c.lot("L7")
        ),
    )]);
    let (code, j, err) = c.epcis("Roastery", "import", &receipt);
    assert_eq!(code, 0, "{j} {err}");
    assert_eq!(statuses(&j), ["committed"]);
    let inbox = ok(c.dir(), &["--as", "Roastery", "handoff", "inbox"]);
    assert_eq!(
        inbox["incoming"].as_array().map(Vec::len),
        Some(0),
        "{inbox}"
    );
    let receipt_hash = hash_ids(&parse(&receipt).expect("receipt"))[0].clone();

    // Re-importing: every event is already there; no block is made.
    let height = c.height();
    let (code, j, _) = c.epcis("Acme Farms", "import", &farm_doc);
    assert_eq!(code, 0);
    assert_eq!(statuses(&j), ["already"; 3]);
    let (_, j, _) = c.epcis("Roastery", "import", &receipt);
    assert_eq!(statuses(&j), ["already"]);
    assert_eq!(c.height(), height, "a re-import commits nothing");
    let (_, j, _) = c.epcis("Acme Farms", "check", &farm_doc);
    assert!(
        j["events"]
            .as_array()
            .expect("events")
            .iter()
            .all(|e| e["already"] == true)
    );

    // The export gives each imported event back whole: the same hash id in both formats
    // (the hash reads every field, extensions and sensor reports included), and in
    // JSON-LD, the format it came in, the same fields as written.
    for format in ["jsonld", "xml"] {
        let out = export(&c, &["--all", "--format", format]);
        for (i, hash) in sent_hashes.iter().enumerate() {
            let e = by_hash(&out, hash).unwrap_or_else(|| panic!("{format}: event {i} missing"));
            if format == "xml" {
                continue;
            }
            let mut want = sent.events[i].clone();
            let mut got = e.clone();
            want.clear_prefixes();
            got.clear_prefixes();
            assert_eq!(got.extensions, want.extensions, "{format} event {i}");
            assert_eq!(
                got.sensor_element_list, want.sensor_element_list,
                "{format} event {i}"
            );
            assert_eq!(got.epc_list, want.epc_list);
            assert_eq!(got.destination_list, want.destination_list);
            assert_eq!(got.event_time, want.event_time);
        }
        assert!(
            by_hash(&out, &receipt_hash).is_some(),
            "{format}: the receipt"
        );
        // One item's journey: its commissioning, inspection, shipment and receipt.
        let journey = export(&c, &[&c.item("S1"), "--format", format]);
        let steps: Vec<String> = journey.events.iter().filter_map(step).collect();
        assert_eq!(
            steps,
            ["commissioning", "inspecting", "shipping", "receiving"],
            "{format}"
        );
    }
}

#[test]
fn a_malformed_document_or_an_unmappable_event_writes_nothing() {
    let c = chain();
    let height = c.height();
    let (code, j, _) = c.epcis(
        "Acme Farms",
        "import",
        r#"{"type":"EPCISDocument","epcisBody":"#,
    );
    assert_eq!(code, 2, "{j}");
    assert_eq!(j["error"]["code"], "EPCIS_BAD_JSON");

    // The second event weighs its lot in kilograms: the ledger counts lots, so nothing of
    // the document is submitted, and the refusal names event 1 and its hash id.
    let mut events = farm_day(&c);
    events.insert(
        1,
        object(
            "2026-06-01T08:30:00+02:00",
            "ADD",
            "commissioning",
            &format!(
                r#","quantityList":[{{"epcClass":"{}","quantity":12.5,"uom":"KGM"}}]"#,
                c.lot("L8")
            ),
        ),
    );
    let doc = document(&events);
    let hash = hash_ids(&parse(&doc).expect("well-formed"))[1].clone();
    for cmd in ["check", "import"] {
        let (code, j, _) = c.epcis("Acme Farms", cmd, &doc);
        assert_eq!(code, 2, "{cmd}: {j}");
        assert_eq!(j["error"]["code"], "EPCIS_UNMAPPABLE_QUANTITY", "{cmd}");
        let message = j["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("event 1") && message.contains(&hash),
            "{message}"
        );
    }
    assert_eq!(c.height(), height, "nothing was written");
    let (code, _, _) = handoff(c.dir(), &["item", "show", &c.item("S1")]);
    assert_eq!(code, 2, "the first event was not committed either");

    // A file that is not there, or not text.
    let (code, j, _) = handoff(c.dir(), &["epcis", "import", "/nonexistent/doc.jsonld"]);
    assert_eq!(
        (code, j["error"]["code"].as_str()),
        (2, Some("FILE_UNREADABLE"))
    );
}

#[test]
fn an_event_a_rule_refuses_is_reported_and_the_others_stand() {
    let c = chain();
    let s9 = c.item("S9");
    let commission = |time: &str| {
        object(
            time,
            "ADD",
            "commissioning",
            &format!(
                r#","epcList":["{s9}"],"bizLocation":{{"id":"https://id.gs1.org/414/{FARM_GLN}"}}"#
            ),
        )
    };
    let doc = document(&[
        commission("2026-06-01T08:00:00+02:00"),
        // The same bag commissioned again, an hour later: another event, refused.
        commission("2026-06-01T09:00:00+02:00"),
        object(
            "2026-06-01T10:00:00+02:00",
            "OBSERVE",
            "storing",
            &format!(r#","epcList":["{s9}"]"#),
        ),
    ]);
    let hashes = hash_ids(&parse(&doc).expect("well-formed"));
    let (code, j, _) = c.epcis("Acme Farms", "import", &doc);
    assert_eq!(code, 3, "{j}");
    assert_eq!(statuses(&j), ["committed", "rejected", "committed"]);
    let refused = &j["events"][1];
    assert_eq!(refused["code"], "ALREADY_COMMISSIONED");
    assert_eq!(refused["hash"], hashes[1]);
    let history = ok(c.dir(), &["item", "history", &s9]);
    let types: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(types, ["commission", "observe"]);

    // Importing again: the two that stand are already there; the refused one is refused
    // again by the same rule.
    let (code, j, _) = c.epcis("Acme Farms", "import", &doc);
    assert_eq!(code, 3);
    assert_eq!(statuses(&j), ["already", "rejected", "already"]);
}

#[test]
fn the_demo_chain_exports_in_both_formats_and_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(d, &["demo", "--quiet"]);
    let mut counts = Vec::new();
    for format in ["jsonld", "xml"] {
        let j = ok(d, &["epcis", "export", "--all", "--format", format]);
        let text = j["document"].as_str().expect("document");
        let doc = parse(text).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert!(
            doc.events.len() >= 10,
            "{format}: {} events",
            doc.events.len()
        );
        let steps: std::collections::BTreeSet<String> =
            doc.events.iter().filter_map(step).collect();
        for s in ["commissioning", "shipping", "receiving"] {
            assert!(steps.contains(s), "{format}: no {s} in {steps:?}");
        }
        // Every identifier is one the ledger reads back.
        for e in &doc.events {
            for id in e
                .epc_list
                .iter()
                .chain(&e.child_epcs)
                .chain(&e.input_epc_list)
            {
                handoff_epcis::ids::parse_id(id).unwrap_or_else(|err| panic!("{id}: {err}"));
            }
        }
        counts.push((doc.events.len(), hash_ids(&doc)));
    }
    assert_eq!(counts[0].0, counts[1].0);
    assert_eq!(
        counts[0].1, counts[1].1,
        "the same events in JSON-LD and XML hash alike"
    );
}

/// A running node answers the same operations over HTTP (`POST /v1/epcis/import`, `GET
/// /v1/epcis/export`): the typed client imports as the folder's owner, and a command
/// line on the folder goes through the node.
#[test]
fn a_running_node_imports_and_exports_over_http() {
    let c = chain();
    let d = c.dir().to_path_buf();
    let mut cmd = std::process::Command::new(common::bin());
    cmd.arg("--data")
        .arg(&d)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{}", common::free_port()));
    let log = std::fs::File::create(d.join("node.log")).expect("log");
    let mut child = common::spawn_ready(&mut cmd, log, "node");
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json is JSON");
    let url = format!("http://{}", f["http"].as_str().expect("http"));
    let client = handoff_http::Client::new(&url, f["token"].as_str());

    let farm_doc = document(&farm_day(&c));
    let hashes = hash_ids(&parse(&farm_doc).expect("document"));
    // The node's own token: the folder's first identity, Acme Farms.
    let r = client
        .call(&handoff_api::EpcisImportRequest {
            document: farm_doc.clone(),
        })
        .expect("import over HTTP");
    assert!(r.events.iter().all(|e| e.status == "committed"), "{r:?}");
    // The command line on the folder is sent to the node: the events are already there.
    let (code, j, err) = c.epcis("Acme Farms", "import", &farm_doc);
    assert_eq!(code, 0, "{j} {err}");
    assert_eq!(statuses(&j), ["already"; 3]);
    let r = client
        .call(&handoff_api::EpcisExportRequest {
            scan: None,
            all: true,
            format: "xml".into(),
        })
        .expect("export over HTTP");
    let out = parse(&r.document).expect("the export reads back");
    for h in &hashes {
        assert!(by_hash(&out, h).is_some(), "{h} missing from the export");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A farm's week as one document of `groups` × (commission 4 bags, pack them onto a
/// pallet, ship the pallet to the roaster): every event maps without the ledger's state,
/// so an import puts hundreds of them in each block, in document order.
fn farm_week(c: &Chain, groups: usize) -> Vec<String> {
    let roaster = roaster_gln();
    let mut out = Vec::new();
    for g in 0..groups {
        let t = |k: usize| {
            let s = g * 3 + k;
            format!(
                "2026-06-{:02}T{:02}:{:02}:{:02}+00:00",
                1 + s / 86_400,
                s / 3600 % 24,
                s / 60 % 60,
                s % 60
            )
        };
        let bags: Vec<String> = (0..4)
            .map(|b| format!("\"{}\"", c.item(&format!("W{g}-{b}"))))
            .collect();
        let bags = bags.join(",");
        let pallet = format!("https://id.gs1.org/00/{}", gtin(&format!("10614141{g:09}")));
        out.push(object(
            &t(0),
            "ADD",
            "commissioning",
            &format!(
                r#","epcList":[{bags}],"bizLocation":{{"id":"https://id.gs1.org/414/{FARM_GLN}"}}"#
            ),
        ));
        out.push(format!(
            r#"{{"type":"AggregationEvent","eventTime":"{}","eventTimeZoneOffset":"+00:00","parentID":"{pallet}","childEPCs":[{bags}],"action":"ADD","bizStep":"packing"}}"#,
            t(1)
        ));
        out.push(object(
            &t(2),
            "OBSERVE",
            "shipping",
            &format!(
                r#","epcList":["{pallet}"],"destinationList":[{{"type":"owning_party","destination":"https://id.gs1.org/417/{roaster}"}}]"#
            ),
        ));
    }
    out
}

#[test]
fn a_large_document_is_imported_in_few_blocks_and_reimported_as_already() {
    let c = chain();
    let events = farm_week(&c, 1_000);
    let n = events.len();
    let doc = document(&events);
    let hashes = hash_ids(&parse(&doc).expect("well-formed"));
    let before = c.height();
    let (code, j, err) = c.epcis("Acme Farms", "import", &doc);
    assert_eq!(code, 0, "{err}");
    assert_eq!(statuses(&j), vec!["committed"; n]);
    for (i, e) in j["events"].as_array().expect("events").iter().enumerate() {
        assert_eq!(
            (e["index"].as_u64(), &e["hash"]),
            (Some(i as u64), &json!(hashes[i]))
        );
    }
    assert_eq!(j["committed"], n);
    let blocks = c.height() - before;
    assert_eq!(j["blocks"], blocks);
    assert!(
        blocks <= (n / 100) as u64,
        "{n} events in {blocks} blocks: batched, not a block each"
    );
    // Commission, pack and ship of one pallet went in the same block, in order.
    let history = ok(c.dir(), &["item", "history", &c.item("W7-2")]);
    let types: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        ["commission", "pack", "handoff_proposed"],
        "{history}"
    );
    let inbox = ok(c.dir(), &["--as", "Roastery", "handoff", "inbox"]);
    assert_eq!(inbox["incoming"].as_array().map(Vec::len), Some(1_000));

    let height = c.height();
    let (code, j, _) = c.epcis("Acme Farms", "import", &doc);
    assert_eq!(code, 0);
    assert_eq!(statuses(&j), vec!["already"; n]);
    assert_eq!(c.height(), height, "a re-import commits nothing");
}

#[test]
fn a_bad_event_near_the_end_writes_nothing_and_a_refused_one_stands_alone() {
    let c = chain();
    let mut events = farm_week(&c, 700);
    let n = events.len();
    // The second-to-last event's time is no time: the document is refused whole.
    let good = events[n - 2].clone();
    events[n - 2] = good.replacen(r#""eventTime":""#, r#""eventTime":"yesterday "#, 1);
    let height = c.height();
    let (code, j, _) = c.epcis("Acme Farms", "import", &document(&events));
    assert_eq!(code, 2, "{j}");
    assert_eq!(j["error"]["code"], "EPCIS_BAD_TIME");
    let message = j["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("event {}", n - 2)), "{message}");
    assert_eq!(c.height(), height, "nothing was written");
    let (code, _, _) = handoff(c.dir(), &["item", "show", &c.item("W0-0")]);
    assert_eq!(code, 2, "not even the first event");

    // The same bags commissioned again in the middle: that one event is refused by the
    // ledger's rule, reported with its index and code; every other event stands.
    events[n - 2] = good;
    let again = events[0].replacen("T00:00:00", "T23:59:59", 1);
    events.insert(1_000, again);
    let doc = document(&events);
    let (code, j, _) = c.epcis("Acme Farms", "import", &doc);
    assert_eq!(code, 3, "{j}");
    let st = statuses(&j);
    assert_eq!(st.len(), n + 1);
    assert_eq!(st[1_000], "rejected");
    assert_eq!(j["events"][1_000]["index"], 1_000);
    assert_eq!(j["events"][1_000]["code"], "ALREADY_COMMISSIONED");
    assert_eq!(st.iter().filter(|s| *s == "committed").count(), n);
    assert_eq!(j["rejected"], 1);
}

/// The bench at a small size: every event of each document is committed, and the probe
/// goes into the chain each import filled (later pallets, so nothing is "already").
#[test]
fn bench_epcis_imports_each_size_and_a_probe_into_the_filled_chain() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("out");
    let j = ok(
        root.path(),
        &[
            "bench",
            "epcis",
            "--events",
            "40",
            "--probe",
            "8",
            "--quiet",
            "--dir",
            out.to_str().expect("utf-8 path"),
        ],
    );
    let runs = j["runs"].as_array().expect("runs");
    let sizes: Vec<u64> = runs.iter().filter_map(|r| r["events"].as_u64()).collect();
    assert_eq!(sizes, [4, 20, 40]);
    for r in runs {
        assert_eq!(r["committed"], r["events"], "{r}");
        assert!(r["peak_rss_kib"].as_u64().unwrap_or(0) > 0, "{r}");
        assert_eq!(r["probe"]["events"], 8, "{r}");
        assert_eq!(r["probe"]["chain_events_before"], r["events"], "{r}");
        assert!(r["probe"]["peak_rss_kib"].as_u64().unwrap_or(0) > 0, "{r}");
    }
    // The probe's serials follow the big document's: the 40-event chain now holds the
    // bags of pallet 10 (event 40 commissions them) as well as those of pallet 0.
    let chain = out.join("chain-40");
    let last = ok(&chain, &["--as", "Bench Farm", "epcis", "export", "--all"]);
    let text = last.to_string();
    assert!(text.contains("/21/B0-0"), "the document's first bag");
    assert!(text.contains("/21/B10-0"), "the probe's first bag");
}
