//! The GS1 EPCIS 2.0 REST bindings as an EPCIS client meets them: a real `handoff node
//! run` over real HTTP. A farm captures its day (commissioning, an inspection, packing a
//! pallet, a shipment to the roaster) and the roaster its receipt through `POST
//! /epcis/capture`; the events come back from `GET /epcis/events` by EPC (URN and Digital
//! Link), by time window, by business step and by event type; paging with `perPage=2`
//! and the `Link` header gives every event once, in ledger order, even with a block
//! committed between two pages; bad parameters and garbled tokens are GS1 exceptions;
//! capture without a token is 401; and the proof link of an answered event leads to an
//! inclusion proof that verifies against the certified header.

use crate::common;

use common::*;
use handoff_core::block::{BlockHeader, Certificate, Genesis, Outcome, TxPathStep, tx_path_root};
use handoff_core::tx::SignedTx;
use handoff_core::types::Hash32;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};

const FARM_GLN: &str = "0614141000005";

struct Node {
    child: Child,
    http: String,
    token: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: status, headers (lower-case names) and body.
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
    /// The GS1 exception type of an error answer.
    fn exception(&self) -> String {
        assert_eq!(
            self.headers.get("content-type").map(String::as_str),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        let j = self.json();
        assert_eq!(j["status"], self.status, "{j}");
        assert!(j["title"].is_string(), "{j}");
        j["type"].as_str().unwrap_or_default().to_string()
    }
}

fn http(n: &Node, method: &str, target: &str, token: Option<&str>, body: &str) -> Answer {
    let mut s = TcpStream::connect(&n.http).expect("connect");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/ld+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        n.http,
        body.len()
    )
    .expect("request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("answer");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status: {head}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get(n: &Node, target: &str) -> Answer {
    http(n, "GET", target, None, "")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The events of a query page and its proof links.
fn events(a: &Answer) -> (Vec<Value>, Vec<Value>) {
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.headers.get("gs1-epcis-version").map(String::as_str),
        Some("2.0.0")
    );
    assert!(a.headers.contains_key("gs1-cbv-version"));
    let j = a.json();
    assert_eq!(j["type"], "EPCISQueryDocument", "{j}");
    let list = j["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no event list: {j}"));
    let proofs = j["urn:handoff:proofs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(proofs.len(), list.len(), "a proof link per event: {j}");
    for (e, p) in list.iter().zip(&proofs) {
        assert!(e["eventID"].is_string(), "every event has its id: {e}");
        assert_eq!(e["eventID"], p["event_id"]);
        assert!(e["recordTime"].is_string(), "{e}");
    }
    (list, proofs)
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|e| e["eventID"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn next_link(a: &Answer) -> Option<String> {
    let link = a.headers.get("link")?;
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    Some(
        link.trim_start_matches('<')
            .split_once('>')
            .expect("a link")
            .0
            .to_string(),
    )
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

struct Farm {
    gtin: String,
    roaster_gln: String,
    sscc: String,
}

impl Farm {
    fn item(&self, s: &str) -> String {
        format!("https://id.gs1.org/01/{}/21/{s}", self.gtin)
    }
    /// The same item as an SGTIN URN (company prefix 0614141).
    fn urn(&self, s: &str) -> String {
        format!(
            "urn:epc:id:sgtin:0614141.{}{}.{s}",
            &self.gtin[..1],
            &self.gtin[8..13]
        )
    }
    fn day(&self) -> Vec<String> {
        let (s1, s2, s3) = (self.item("S1"), self.item("S2"), self.item("S3"));
        let roaster = &self.roaster_gln;
        vec![
            object(
                "2026-06-01T08:00:00+02:00",
                "ADD",
                "commissioning",
                &format!(
                    r#","epcList":["{s1}","{s2}","{s3}"],"disposition":"active",
                    "bizLocation":{{"id":"https://id.gs1.org/414/{FARM_GLN}"}}"#
                ),
            ),
            object(
                "2026-06-01T09:00:00+02:00",
                "OBSERVE",
                "inspecting",
                &format!(
                    r#","epcList":["{s1}"],"readPoint":{{"id":"https://id.gs1.org/414/{FARM_GLN}"}},"ex:grade":"AA""#
                ),
            ),
            format!(
                r#"{{"type":"AggregationEvent","eventTime":"2026-06-01T09:30:00+02:00","eventTimeZoneOffset":"+02:00",
                "action":"ADD","bizStep":"packing","parentID":"https://id.gs1.org/00/{}",
                "childEPCs":["{s2}","{s3}"]}}"#,
                self.sscc
            ),
            object(
                "2026-06-01T10:00:00+02:00",
                "OBSERVE",
                "shipping",
                &format!(
                    r#","epcList":["{s1}"],"disposition":"in_transit",
                    "sourceList":[{{"type":"owning_party","source":"https://id.gs1.org/417/{FARM_GLN}"}}],
                    "destinationList":[{{"type":"owning_party","destination":"https://id.gs1.org/417/{roaster}"}},
                      {{"type":"possessing_party","destination":"https://id.gs1.org/417/{roaster}"}}]"#
                ),
            ),
        ]
    }
    fn receipt(&self) -> String {
        object(
            "2026-06-02T07:30:00+02:00",
            "OBSERVE",
            "urn:epcglobal:cbv:bizstep:receiving",
            &format!(
                r#","epcList":["{}"],"disposition":"in_progress","bizLocation":{{"id":"https://id.gs1.org/414/{}"}}"#,
                self.item("S1"),
                self.roaster_gln
            ),
        )
    }
}

fn setup(root: &std::path::Path) -> (Node, String, Farm) {
    let d = root.join("node");
    ok(
        &d,
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
    let roaster_gln = gtin("061414200000");
    ok(
        &d,
        &[
            "org",
            "add",
            "Roastery",
            "--prefix",
            "0614142",
            "--gln",
            &roaster_gln,
        ],
    );
    let g = gtin("0061414100001");
    ok(
        &d,
        &[
            "product",
            "define",
            "--gtin",
            &g,
            "--name",
            "Green beans 60 kg",
        ],
    );
    let roaster = ok(&d, &["node", "token", "Roastery"])["token"]
        .as_str()
        .expect("token")
        .to_string();
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(&d)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{}", free_port()));
    let log = std::fs::File::create(root.join("node.log")).expect("log");
    let child = spawn_ready(&mut cmd, log, "node");
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json is JSON");
    let node = Node {
        child,
        http: f["http"].as_str().expect("http").to_string(),
        token: f["token"].as_str().expect("token").to_string(),
    };
    let farm = Farm {
        gtin: g,
        roaster_gln,
        sscc: gtin("00614141000000001"),
    };
    (node, roaster, farm)
}

/// Captures `doc` with `token`: 202 and the finished job it points to.
fn capture(n: &Node, token: &str, doc: &str) -> Value {
    let a = http(n, "POST", "/epcis/capture", Some(token), doc);
    assert_eq!(a.status, 202, "{}", a.body);
    let at = a.headers.get("location").expect("a Location").clone();
    assert!(at.starts_with("/epcis/capture/"), "{at}");
    let job = http(n, "GET", &at, Some(token), "");
    assert_eq!(job.status, 200, "{}", job.body);
    let j = job.json();
    assert_eq!(j["running"], false, "{j}");
    j
}

#[test]
fn capture_then_query_page_and_prove_over_real_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (n, roaster, farm) = setup(dir.path());

    // Capture needs a token: 401 in GS1's shape, nothing written.
    let farm_doc = document(&farm.day());
    let refused = http(&n, "POST", "/epcis/capture", None, &farm_doc);
    assert_eq!(refused.status, 401);
    assert_eq!(refused.exception(), "epcisException:SecurityException");
    let (all, _) = events(&get(&n, "/epcis/events"));
    assert!(all.is_empty(), "{all:?}");

    // The farm's day, then the roaster's receipt (its own token, its own job).
    let job = capture(&n, &n.token, &farm_doc);
    assert_eq!(job["success"], true, "{job}");
    let statuses: Vec<&str> = job["urn:handoff:events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["committed"; 4], "{job}");
    let farm_job = format!("/epcis/capture/{}", job["captureID"].as_str().expect("id"));
    let theirs = http(&n, "GET", &farm_job, Some(&roaster), "");
    assert_eq!(
        theirs.status, 404,
        "another identity's job: {}",
        theirs.body
    );
    let job = capture(&n, &roaster, &document(&[farm.receipt()]));
    assert_eq!(job["success"], true, "{job}");
    // A document that does not read captures nothing: 400 ValidationException.
    let bad = http(&n, "POST", "/epcis/capture", Some(&n.token), "{\"type\":");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.exception(), "epcisException:ValidationException");

    // Everything, in ledger order: the day's four events, then the receipt.
    let (all, proofs) = events(&get(&n, "/epcis/events"));
    let steps: Vec<&str> = all
        .iter()
        .map(|e| e["bizStep"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        steps,
        [
            "commissioning",
            "inspecting",
            "packing",
            "shipping",
            "urn:epcglobal:cbv:bizstep:receiving"
        ],
        "{all:?}"
    );
    let every = ids(&all);

    // By EPC: URN and Digital Link forms find the same four events of S1.
    let s1_urn = farm.urn("S1");
    let (by_urn, _) = events(&get(
        &n,
        &format!("/epcis/events?MATCH_epc={}", enc(&s1_urn)),
    ));
    let (by_dl, _) = events(&get(
        &n,
        &format!("/epcis/events?MATCH_epc={}", enc(&farm.item("S1"))),
    ));
    assert_eq!(by_urn.len(), 4, "{by_urn:?}");
    assert_eq!(ids(&by_urn), ids(&by_dl));
    // S2 is packed: a child of the aggregation (MATCH_epc reads childEPCs too).
    let (s2, _) = events(&get(
        &n,
        &format!("/epcis/events?MATCH_epc={}", enc(&farm.urn("S2"))),
    ));
    assert_eq!(s2.len(), 2, "{s2:?}");
    let (by_path, _) = events(&get(&n, &format!("/epcis/epcs/{}/events", enc(&s1_urn))));
    assert_eq!(ids(&by_path), ids(&by_urn));

    // By time window (start included, end excluded; offsets escaped).
    let (window, _) = events(&get(
        &n,
        &format!(
            "/epcis/events?GE_eventTime={}&LT_eventTime={}",
            enc("2026-06-01T09:00:00+02:00"),
            enc("2026-06-01T10:00:00+02:00")
        ),
    ));
    let steps: Vec<&str> = window
        .iter()
        .map(|e| e["bizStep"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(steps, ["inspecting", "packing"]);

    // By business step, in any CBV form, and several at once.
    for step in [
        "receiving",
        "urn:epcglobal:cbv:bizstep:receiving",
        "https://ref.gs1.org/cbv/BizStep-receiving",
    ] {
        let (r, _) = events(&get(&n, &format!("/epcis/events?EQ_bizStep={}", enc(step))));
        assert_eq!(ids(&r), [every[4].clone()], "{step}");
    }
    let (two, _) = events(&get(&n, "/epcis/events?EQ_bizStep=shipping%7Cpacking"));
    assert_eq!(ids(&two), [every[2].clone(), every[3].clone()]);

    // By event type, as a parameter and as a resource.
    let (agg, _) = events(&get(&n, "/epcis/events?eventType=AggregationEvent"));
    assert_eq!(ids(&agg), [every[2].clone()]);
    assert_eq!(
        agg[0]["parentID"],
        format!("https://id.gs1.org/00/{}", farm.sscc)
    );
    let (agg2, _) = events(&get(&n, "/epcis/eventTypes/AggregationEvent/events"));
    assert_eq!(ids(&agg2), ids(&agg));
    let types = get(&n, "/epcis/eventTypes").json();
    assert_eq!(types["member"].as_array().map(Vec::len), Some(5), "{types}");
    // One event by its id.
    let (one, _) = events(&get(&n, &format!("/epcis/events/{}", enc(&every[1]))));
    assert_eq!(ids(&one), [every[1].clone()]);
    assert_eq!(get(&n, "/epcis/events/urn:uuid:none").status, 404);

    // Paging by two until no next link; a block committed between pages does not shift
    // them: every event comes once, in order, the new one last.
    let mut got = Vec::new();
    let mut target = "/epcis/events?perPage=2".to_string();
    let mut pages = 0;
    loop {
        let a = get(&n, &target);
        let (page, _) = events(&a);
        assert!(page.len() <= 2);
        got.extend(ids(&page));
        pages += 1;
        if pages == 1 {
            let more = object(
                "2026-06-02T12:00:00+02:00",
                "OBSERVE",
                "inspecting",
                &format!(r#","epcList":["{}"]"#, farm.item("S2")),
            );
            capture(&n, &n.token, &document(&[more]));
        }
        match next_link(&a) {
            Some(next) => target = next,
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    let (now, _) = events(&get(&n, "/epcis/events"));
    assert_eq!(now.len(), 6);
    assert_eq!(got, ids(&now), "every event once, in ledger order");
    assert_eq!(&got[..5], &every[..]);
    assert_eq!(pages, 3);

    // Bad parameters and garbled tokens: 400 QueryParameterException, never ignored.
    for bad in [
        "/epcis/events?bogus=1",
        "/epcis/events?EQ_quantity=3",
        "/epcis/events?eventType=Thing",
        "/epcis/events?GE_eventTime=yesterday",
        "/epcis/events?EQ_bizStep=a&EQ_bizStep=b",
        "/epcis/events?perPage=2&nextPageToken=0123abcd",
        "/epcis/eventTypes/ObjectEvent/events?eventType=AggregationEvent",
    ] {
        let a = get(&n, bad);
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
        assert_eq!(
            a.exception(),
            "epcisException:QueryParameterException",
            "{bad}"
        );
        assert!(a.json()["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    // A token of another query.
    let first = get(&n, "/epcis/events?perPage=2");
    let next = next_link(&first).expect("a next page");
    let token = next.split("nextPageToken=").nth(1).expect("token");
    let other = get(
        &n,
        &format!("/epcis/events?EQ_bizStep=shipping&nextPageToken={token}"),
    );
    assert_eq!(other.status, 400, "{}", other.body);

    // The proof link of the shipment leads to an inclusion proof that verifies against
    // the certified header of its block, with the chain's validators (from its genesis).
    let proof_path = proofs[3]["proof"].as_str().expect("proof link");
    let tx = Hash32::from_hex(proofs[3]["tx"].as_str().expect("tx")).expect("tx id");
    let p = get(&n, proof_path);
    assert_eq!(p.status, 200, "{}", p.body);
    let p = p.json();
    assert_eq!(
        (&p["type"], &p["applied"]),
        (&"handoff_proposed".into(), &true.into()),
        "{p}"
    );
    let g = http(&n, "GET", "/v1/genesis", Some(&n.token), "").json();
    let genesis: Genesis = decode(&g["genesis"]);
    let header: BlockHeader = decode(&p["header"]);
    let cert: Certificate = decode(&p["certificate"]);
    let outcome: Outcome = decode(&p["outcome"]);
    let signed =
        SignedTx::decode(&hex::decode(p["transaction"].as_str().expect("tx")).expect("hex"))
            .expect("the transaction");
    assert_eq!(signed.id(), tx, "the transaction is the one linked");
    assert_eq!(header.chain_id, genesis.chain_id());
    assert_eq!(header.height, proofs[3]["height"].as_u64().expect("height"));
    assert!(cert.verify(&header, &genesis.validators), "certified");
    let path: Vec<TxPathStep> = p["path"]
        .as_array()
        .expect("path")
        .iter()
        .map(|s| TxPathStep {
            left: s["left"].as_bool().expect("side"),
            sibling: Hash32::from_hex(s["sibling"].as_str().expect("hash")).expect("hex"),
        })
        .collect();
    assert_eq!(
        tx_path_root(&tx, &outcome, &path),
        header.tx_root,
        "on the ledger"
    );
    // Another transaction with this path, or another outcome, does not lead there.
    let rejected = Outcome {
        code: Some("NOT_CUSTODIAN".into()),
        message: None,
    };
    assert_ne!(tx_path_root(&tx, &rejected, &path), header.tx_root);
    let other = Hash32::from_hex(proofs[0]["tx"].as_str().expect("tx")).expect("tx id");
    assert_ne!(tx_path_root(&other, &outcome, &path), header.tx_root);
    // Without the height hint the node finds the block itself; a proposal's too.
    let found = get(&n, &format!("/v1/transactions/{}/proof", tx.to_hex())).json();
    assert_eq!(found["height"], p["height"], "{found}");
    // An unknown transaction: 404.
    let none = get(&n, &format!("/v1/transactions/{}/proof", "ab".repeat(32)));
    assert_eq!(none.status, 404, "{}", none.body);
}

fn decode<T: borsh::BorshDeserialize>(v: &Value) -> T {
    let bytes = hex::decode(v.as_str().expect("hex field")).expect("hex");
    borsh::from_slice(&bytes).expect("decodes")
}
