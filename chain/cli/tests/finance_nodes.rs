//! Supply-chain finance across separate nodes, with the real `handoff` binary: four
//! validator processes on loopback TCP, each the node of one org and holding that org's
//! key only: Harbor Warehouse (the network's registrar), Green Valley Farm, Corner Shop
//! and First Bank. The farm invoices the shop for an accepted delivery; the shop confirms
//! from its node; the farm asks the bank, whose node reads the terms sealed to it and
//! offers; the farm accepts from its node, the bank funds, the shop repays and the bank
//! settles. Every step is seen from every node, each party's node shows the amounts it
//! can open, and the warehouse, no party of the claim, sees its public fields only and
//! cannot act on it. Then a warehouse receipt: the farm pledges it from its node, the bank
//! accepts from its own, and the warehouse cannot ship the goods until the bank releases
//! them.

use crate::common;

use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const HARBOR: usize = 0;
const FARM: usize = 1;
const SHOP: usize = 2;
const BANK: usize = 3;
/// The org each node acts as, by node.
const ORGS: [&str; 4] = [
    "Harbor Warehouse",
    "Green Valley Farm",
    "Corner Shop",
    "First Bank",
];

/// The org keys a folder holds (its `keys/` without the node's validator key).
fn org_keys(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("keys"))
        .expect("keys folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".key") && n != "validator.key")
        .collect();
    names.sort();
    names
}

struct Net {
    c: Cluster,
}

impl Net {
    fn dir(&self, node: usize) -> PathBuf {
        self.c.dir(node)
    }

    /// A read on `node`'s folder (answered by the node running on it, as its only org).
    fn read(&self, node: usize, args: &[&str]) -> Value {
        ok(&self.dir(node), args)
    }

    /// A step from `node`'s folder, committed; then every node holds its block, so the
    /// next step, from whichever node, sees it.
    fn act(&self, node: usize, args: &[&str]) -> Value {
        let j = ok(&self.dir(node), args);
        let h = self.c.height(node);
        for i in 0..ORGS.len() {
            self.c.wait_height(i, h, Duration::from_secs(30));
        }
        j
    }

    /// A step from `node` that is refused with `code` (exit 2: the node refused it before
    /// signing; 3: a ledger rule), with a message saying why.
    fn refused(&self, node: usize, args: &[&str], exit: i32, code: &str) -> Value {
        let (got, json, stderr) = handoff(&self.dir(node), args);
        assert_eq!(
            (got, json["error"]["code"].as_str()),
            (exit, Some(code)),
            "{} {args:?}: {json} {stderr}",
            ORGS[node]
        );
        assert!(
            !json["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{json}"
        );
        json
    }

    /// The asset as `node` shows it.
    fn show(&self, node: usize, id: &str) -> Value {
        self.read(node, &["finance", "show", id])["asset"].clone()
    }

    /// The terms `node` opened (null: none sealed to it).
    fn terms(&self, node: usize, id: &str) -> Value {
        self.show(node, id)["terms"].clone()
    }

    /// Every node shows the asset with this status.
    fn status_everywhere(&self, id: &str, want: &str) {
        for (i, org) in ORGS.iter().enumerate() {
            let a = self.show(i, id);
            assert_eq!(a["status"], want, "{org}'s node: {a}");
        }
    }

    /// `node` sees the asset's public fields and nothing sealed: no terms, no line
    /// amount, no role, no step it may take, and none of `secrets` anywhere in its answer.
    fn sees_public_fields_only(&self, node: usize, id: &str, secrets: &[&str]) -> Value {
        let whole = self.read(node, &["finance", "show", id]);
        let a = &whole["asset"];
        assert_eq!(a["id"], id, "{a}");
        assert!(a["terms"].is_null(), "{}'s node: {a}", ORGS[node]);
        assert_eq!(a["roles"], json!([]), "{a}");
        assert_eq!(a["next"], json!([]), "{a}");
        for l in a["lines"].as_array().expect("lines") {
            assert!(l["amount"].is_null(), "{}'s node: {l}", ORGS[node]);
            assert_eq!(l["handoff"].as_str().map(str::len), Some(64), "{l}");
        }
        let text = whole.to_string();
        for s in secrets {
            assert!(!text.contains(s), "{}'s node shows {s}: {text}", ORGS[node]);
        }
        a.clone()
    }
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn a_receivable_and_a_pledge_go_between_the_nodes_of_four_orgs_each_with_its_own_key() {
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    ok(
        &root,
        &[
            "testnet",
            "--validators",
            "4",
            "--org",
            ORGS[HARBOR],
            "--prefix",
            "0614141",
        ],
    );
    let mut c = Cluster {
        root: root.clone(),
        ports: (0..4).map(|_| free_port()).collect(),
        procs: (0..4).map(|_| None).collect(),
    };
    for i in 0..4 {
        c.start(i);
    }
    let net = Net { c };

    // Each org is admitted from its own node, so its key is made in its own folder; the
    // copy of the registrar's key that `testnet` put in every folder is then removed, and
    // each folder holds one org key: its own.
    let roles = ["", "producer", "retailer", "lender"];
    for node in [FARM, SHOP, BANK] {
        let mut args = vec!["org", "add", ORGS[node], "--role", roles[node]];
        if node == FARM {
            args.extend(["--prefix", "0614142"]);
        }
        net.act(node, &args);
        std::fs::remove_file(net.dir(node).join("keys").join("harbor_warehouse.key"))
            .expect("the registrar's key in the org's folder");
    }
    for (node, org) in ORGS.iter().enumerate() {
        assert_eq!(org_keys(&net.dir(node)).len(), 1, "{org}'s folder");
        let me = net.read(node, &["org", "nonce"]);
        assert_eq!(me["name"], *org, "{me}");
    }
    // The farm's node cannot act as the bank: it does not hold the bank's key.
    net.refused(
        FARM,
        &["--as", ORGS[BANK], "finance", "enable"],
        2,
        "UNKNOWN_IDENTITY",
    );

    // The farm's coffee, two bags delivered to the shop against its purchase order.
    let g = gtin("0061414200001");
    let bag = |s: &str| format!("(01){g}(21){s}");
    net.act(
        FARM,
        &["product", "define", "--gtin", &g, "--name", "Arabica 1 kg"],
    );
    net.act(
        FARM,
        &["item", "commission", &bag("SN1"), &bag("SN2"), &bag("SN3")],
    );
    let delivery = net.act(
        FARM,
        &[
            "handoff",
            "propose",
            "--to",
            ORGS[SHOP],
            "--ownership",
            "--doc",
            "po=PO-7",
            &bag("SN1"),
            &bag("SN2"),
        ],
    )["handoff"]
        .as_str()
        .expect("handoff id")
        .to_string();
    let inbox = net.read(SHOP, &["handoff", "inbox"]);
    assert!(
        inbox["incoming"]
            .as_array()
            .expect("incoming")
            .iter()
            .any(|h| h["id"] == delivery.as_str()),
        "the delivery is not in the shop's inbox: {inbox}"
    );
    net.act(SHOP, &["handoff", "accept", &delivery]);

    // The invoice is sealed to the buyer's published key: until the shop's node has
    // published it, the farm's node says so, naming the shop.
    let line = format!("{delivery}=1250.00");
    let issue = [
        "finance",
        "receivable",
        "issue",
        "--buyer",
        ORGS[SHOP],
        "--invoice",
        "INV-0042",
        "--currency",
        "EUR",
        "--line",
        &line,
        "--due",
        "2099-12-31",
    ];
    let e = net.refused(FARM, &issue, 2, "NO_SEAL_KEY");
    let msg = e["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains(ORGS[SHOP]) && msg.contains("finance enable"),
        "{e}"
    );
    let enabled = net.act(SHOP, &["finance", "enable"]);
    assert_eq!(enabled["published"], true, "{enabled}");
    let inv = net.act(FARM, &issue);
    let id = inv["id"].as_str().expect("receivable id").to_string();
    assert_eq!(inv["status"], "issued");
    net.status_everywhere(&id, "issued");

    // The farm's and the shop's nodes each open the terms sealed to their org.
    let farm = net.show(FARM, &id);
    assert_eq!(farm["roles"], json!(["seller", "holder"]), "{farm}");
    assert_eq!(farm["terms"]["invoice"], "INV-0042", "{farm}");
    assert_eq!(farm["terms"]["face"], "1250.00");
    assert_eq!(farm["terms"]["consistent"], true);
    let lines = farm["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "one line per delivered bag: {farm}");
    assert!(lines.iter().all(|l| l["amount"] == "625.00"), "{farm}");
    let shop = net.show(SHOP, &id);
    assert_eq!(shop["roles"], json!(["buyer"]), "{shop}");
    assert_eq!(shop["terms"]["invoice"], "INV-0042", "{shop}");
    assert_eq!(shop["terms"]["outstanding"], "1250.00");
    assert_eq!(shop["next"], json!(["confirm"]));
    // The bank, asked nothing yet, and the warehouse read none of it.
    let secrets = ["INV-0042", "1250.00", "625.00"];
    net.sees_public_fields_only(BANK, &id, &secrets);
    net.sees_public_fields_only(HARBOR, &id, &secrets);
    // Only the buyer confirms: the farm cannot confirm its own invoice.
    net.refused(
        FARM,
        &["finance", "receivable", "confirm", &id],
        3,
        "ASSET_STATUS",
    );
    net.act(SHOP, &["finance", "receivable", "confirm", &id]);
    net.status_everywhere(&id, "confirmed");
    assert!(
        names(&net.show(FARM, &id)["next"]).contains(&"request".to_string()),
        "the farm's node offers to ask a lender"
    );

    // The farm asks the bank: sealed to the bank's key, published from the bank's node.
    let request = [
        "finance",
        "receivable",
        "request",
        &id,
        "--lender",
        ORGS[BANK],
    ];
    let e = net.refused(FARM, &request, 2, "NO_SEAL_KEY");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(ORGS[BANK]),
        "{e}"
    );
    net.act(BANK, &["finance", "enable"]);
    net.act(FARM, &request);
    net.status_everywhere(&id, "finance_requested");
    // The bank's node lists the request and opens what the farm sealed to it.
    let list = net.read(BANK, &["finance", "list", "--role", "lender"]);
    let listed = list["assets"].as_array().expect("assets");
    assert_eq!(listed.len(), 1, "{list}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["status"], "finance_requested");
    let bank = net.show(BANK, &id);
    assert_eq!(bank["roles"], json!(["lender"]), "{bank}");
    assert_eq!(bank["terms"]["invoice"], "INV-0042", "{bank}");
    assert_eq!(bank["terms"]["face"], "1250.00");
    assert_eq!(bank["terms"]["outstanding"], "1250.00");
    assert_eq!(bank["terms"]["consistent"], true);
    assert_eq!(bank["next"], json!(["offer"]));
    assert!(
        bank["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .all(|l| l["amount"] == "625.00"),
        "{bank}"
    );
    let ev = net.read(BANK, &["finance", "evidence", &id]);
    assert_eq!(ev["matched"], true, "{ev}");
    for l in ev["lines"].as_array().expect("lines") {
        assert_eq!(l["handoff"], delivery.as_str(), "{l}");
        assert_eq!(l["status"], "accepted", "{l}");
        assert_eq!(l["from"], ORGS[FARM], "{l}");
        assert_eq!(l["to"], ORGS[SHOP], "{l}");
        assert_eq!(l["documents"][0]["number"], "PO-7", "{l}");
    }
    // The warehouse is no party: it reads no terms, has no evidence, and cannot offer.
    net.sees_public_fields_only(HARBOR, &id, &secrets);
    net.refused(HARBOR, &["finance", "evidence", &id], 2, "NOT_A_PARTY");
    net.refused(
        HARBOR,
        &[
            "finance",
            "receivable",
            "offer",
            &id,
            "--advance",
            "90",
            "--fee",
            "1",
        ],
        3,
        "ASSET_STATUS",
    );

    // The bank offers 80% for a 12.50 fee; the farm's and the shop's nodes read it.
    let offered = net.act(
        BANK,
        &[
            "finance",
            "receivable",
            "offer",
            &id,
            "--advance",
            "80",
            "--fee",
            "12.50",
        ],
    );
    assert_eq!(offered["status"], "offered");
    net.status_everywhere(&id, "offered");
    for node in [FARM, SHOP, BANK] {
        let t = net.terms(node, &id);
        assert_eq!(t["advance"], "1000.00", "{}'s node: {t}", ORGS[node]);
        assert_eq!(t["fee"], "12.50", "{}'s node: {t}", ORGS[node]);
    }
    assert!(names(&net.show(FARM, &id)["next"]).contains(&"accept-offer".to_string()));
    net.act(FARM, &["finance", "receivable", "accept-offer", &id]);
    net.status_everywhere(&id, "offer_accepted");
    // Only the bank the farm asked funds it, only the shop repays.
    net.refused(
        HARBOR,
        &[
            "finance",
            "receivable",
            "repay",
            &id,
            "--amount",
            "1",
            "--ref",
            "H-1",
        ],
        3,
        "ASSET_STATUS",
    );
    for node in [HARBOR, SHOP] {
        net.refused(
            node,
            &["finance", "receivable", "fund", &id],
            3,
            "ASSET_STATUS",
        );
    }
    assert_eq!(net.show(BANK, &id)["next"], json!(["fund"]));
    let funded = net.act(BANK, &["finance", "receivable", "fund", &id]);
    assert_eq!(funded["status"], "funded");
    net.status_everywhere(&id, "funded");

    // The shop pays in two instalments from its node; each party's node sees the balance.
    let repay = |amount: &str, reference: &str| {
        net.act(
            SHOP,
            &[
                "finance",
                "receivable",
                "repay",
                &id,
                "--amount",
                amount,
                "--ref",
                reference,
            ],
        )
    };
    repay("1000.00", "PAY-1");
    for node in [FARM, SHOP, BANK] {
        let t = net.terms(node, &id);
        assert_eq!(t["outstanding"], "250.00", "{}'s node: {t}", ORGS[node]);
        assert_eq!(t["paid"], "1000.00", "{}'s node: {t}", ORGS[node]);
        assert_eq!(t["consistent"], true, "{t}");
    }
    // A payment reference is used once, whichever node submits it.
    net.refused(
        SHOP,
        &[
            "finance",
            "receivable",
            "repay",
            &id,
            "--amount",
            "250",
            "--ref",
            "PAY-1",
        ],
        3,
        "PAYMENT_REF_USED",
    );
    repay("250.00", "PAY-2");
    let bank = net.show(BANK, &id);
    assert_eq!(bank["terms"]["outstanding"], "0.00", "{bank}");
    assert_eq!(bank["terms"]["paid"], "1250.00");
    assert!(
        names(&bank["next"]).contains(&"settle".to_string()),
        "{bank}"
    );
    let settled = net.act(BANK, &["finance", "receivable", "settle", &id]);
    assert_eq!(settled["status"], "settled");
    net.status_everywhere(&id, "settled");
    let steps: Vec<String> = net.read(SHOP, &["finance", "show", &id])["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| format!("{} by {}", s["step"].as_str().unwrap_or(""), s["by"]))
        .collect();
    assert_eq!(
        steps.first().map(String::as_str),
        Some("receivable_issued by \"Green Valley Farm\""),
        "{steps:?}"
    );
    assert_eq!(
        steps.last().map(String::as_str),
        Some("receivable_settled by \"First Bank\""),
        "{steps:?}"
    );
    // The bank's portfolio holds the claim; the warehouse's holds nothing, and no answer
    // of the warehouse's node (the asset, the bags' records and verdicts, its list and
    // portfolio) shows an amount, the invoice number or a payment reference.
    let pf = net.read(BANK, &["finance", "portfolio"]);
    assert_eq!(pf["rows"].as_array().map(Vec::len), Some(1), "{pf}");
    let secrets = [
        "INV-0042", "1250.00", "1000.00", "625.00", "250.00", "12.50", "PAY-1", "PAY-2",
    ];
    let public = net.sees_public_fields_only(HARBOR, &id, &secrets);
    assert_eq!(public["kind"], "receivable");
    assert_eq!(public["currency"], "EUR");
    let parties: Vec<(String, String)> = public["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .map(|p| {
            (
                p["role"].as_str().expect("role").to_string(),
                p["name"].as_str().expect("name").to_string(),
            )
        })
        .collect();
    for (role, org) in [
        ("seller", ORGS[FARM]),
        ("buyer", ORGS[SHOP]),
        ("lender", ORGS[BANK]),
    ] {
        assert!(
            parties.contains(&(role.to_string(), org.to_string())),
            "{parties:?}"
        );
    }
    let mut outside = vec![
        net.read(HARBOR, &["finance", "list"]),
        net.read(HARBOR, &["finance", "portfolio"]),
    ];
    assert_eq!(outside[0]["assets"], json!([]), "{}", outside[0]);
    assert_eq!(outside[1]["rows"], json!([]), "{}", outside[1]);
    for s in ["SN1", "SN2"] {
        outside.push(net.read(HARBOR, &["item", "show", &bag(s)]));
        outside.push(net.read(HARBOR, &["verify", &bag(s)]));
    }
    for answer in &outside {
        let text = answer.to_string();
        for s in secrets {
            assert!(!text.contains(s), "the warehouse's node shows {s}: {text}");
        }
    }
    net.refused(
        HARBOR,
        &[
            "finance",
            "export",
            &id,
            "--format",
            "json",
            "--output",
            root.join("pack.json").to_str().expect("path"),
        ],
        2,
        "NOT_A_PARTY",
    );
    // None of the warehouse's refused steps published anything for it: its seal key is
    // first published now.
    let enabled = net.act(HARBOR, &["finance", "enable"]);
    assert_eq!(enabled["published"], true, "{enabled}");

    // A warehouse receipt: the farm's third bag in the warehouse's custody (the farm
    // still owns it), pledged from the farm's node to the bank, accepted from the bank's.
    let stored = net.act(
        FARM,
        &["handoff", "propose", "--to", ORGS[HARBOR], &bag("SN3")],
    )["handoff"]
        .as_str()
        .expect("handoff id")
        .to_string();
    net.act(HARBOR, &["handoff", "accept", &stored]);
    let receipt = net.act(
        HARBOR,
        &[
            "finance",
            "receipt",
            "issue",
            "--owner",
            ORGS[FARM],
            &bag("SN3"),
        ],
    );
    let rid = receipt["id"].as_str().expect("receipt id").to_string();
    net.status_everywhere(&rid, "issued");
    let farm = net.show(FARM, &rid);
    assert_eq!(farm["roles"], json!(["owner"]), "{farm}");
    assert_eq!(farm["next"], json!(["pledge"]), "{farm}");
    net.act(
        FARM,
        &["finance", "receipt", "pledge", &rid, "--lender", ORGS[BANK]],
    );
    net.status_everywhere(&rid, "pledge_offered");
    let bank = net.show(BANK, &rid);
    assert_eq!(bank["roles"], json!(["lender"]), "{bank}");
    assert_eq!(bank["next"], json!(["accept-pledge"]), "{bank}");
    let list = net.read(BANK, &["finance", "list", "--status", "pledge_offered"]);
    assert_eq!(list["assets"][0]["id"], rid.as_str(), "{list}");
    // Nobody but the bank accepts the pledge offered to it.
    net.refused(
        SHOP,
        &["finance", "receipt", "accept-pledge", &rid],
        3,
        "ASSET_STATUS",
    );
    net.act(BANK, &["finance", "receipt", "accept-pledge", &rid]);
    net.status_everywhere(&rid, "pledged");

    // The warehouse's node refuses to ship the pledged bag until the bank releases it.
    let ship = ["handoff", "propose", "--to", ORGS[SHOP], &bag("SN3")];
    net.refused(HARBOR, &ship, 3, "PLEDGED");
    let ev = net.read(HARBOR, &["finance", "evidence", &rid]);
    let kinds: Vec<&str> = ev["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["move_refused"], "{ev}");
    // The refused attempt is in its block (its outcome says PLEDGED), so the bank's own
    // node, committing that block, raises the same alert, naming who tried; and it reads
    // the pledge from the chain: the bag still in the warehouse's custody, not released.
    let started = Instant::now();
    let ev = loop {
        let ev = net.read(BANK, &["finance", "evidence", &rid]);
        let refused: Vec<&Value> = ev["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .filter(|a| a["kind"] == "move_refused")
            .collect();
        if let [a] = refused.as_slice() {
            let said = a["message"].as_str().unwrap_or_default();
            assert!(said.contains(ORGS[HARBOR]), "{a}");
            break ev;
        }
        assert!(
            refused.is_empty() && started.elapsed() < Duration::from_secs(30),
            "the bank's node: {ev}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(ev["goods"][0]["custodian"], ORGS[HARBOR], "{ev}");
    assert_eq!(ev["goods"][0]["released"], false, "{ev}");
    // Only the bank releases.
    net.refused(
        FARM,
        &["finance", "receipt", "release", &rid],
        3,
        "ASSET_STATUS",
    );
    net.act(BANK, &["finance", "receipt", "release", &rid]);
    net.status_everywhere(&rid, "released");
    let shipped = net.act(HARBOR, &ship)["handoff"]
        .as_str()
        .expect("handoff id")
        .to_string();
    net.act(SHOP, &["handoff", "accept", &shipped]);
    let item = net.read(BANK, &["item", "show", &bag("SN3")]);
    assert_eq!(item["item"]["custodian"]["name"], ORGS[SHOP], "{item}");
    eprintln!(
        "finance across four nodes: {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}
