//! The `handoff` command line as a user drives it: three orgs on one data folder, every
//! step through the real binary with `--json`, checking output and exit codes.

use handoff_core::gs1::check_digit;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

fn handoff(data: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .arg("--data")
        .arg(data)
        .arg("--json")
        .args(args)
        .output()
        .expect("run handoff");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {stdout}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

fn ok(data: &Path, args: &[&str]) -> Value {
    let r = handoff(data, args);
    assert_eq!(r.code, 0, "{args:?} failed: {} {}", r.json, r.stderr);
    r.json
}

fn gtin(digits13: &str) -> String {
    format!("{digits13}{}", check_digit(digits13).expect("digits"))
}

#[test]
fn three_orgs_hand_off_and_trace_an_item() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let init = ok(
        d,
        &[
            "init",
            "--org",
            "Acme Farms",
            "--prefix",
            "0614141",
            "--role",
            "producer",
        ],
    );
    assert_eq!(init["name"], "Acme Farms");
    ok(d, &["org", "add", "Bolt Freight", "--role", "carrier"]);
    ok(d, &["org", "add", "Corner Shop", "--role", "retailer"]);
    let orgs = ok(d, &["org", "list"]);
    assert_eq!(orgs["orgs"].as_array().map(Vec::len), Some(3));

    let g = gtin("061414100001");
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "product",
            "define",
            "--gtin",
            &g,
            "--name",
            "Arabica 1 kg",
        ],
    );
    let sn1 = format!("(01)0{g}(21)SN1");
    let sn1_dl = format!("https://id.example.com/01/{g}/21/SN1");
    let com = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "commission",
            &sn1,
            &format!("(01)0{g}(21)SN2"),
        ],
    );
    assert_eq!(com["items"][0], format!("/01/0{g}/21/SN1"));

    let prop = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "handoff",
            "propose",
            "--to",
            "Corner Shop",
            "--ownership",
            &sn1_dl,
        ],
    );
    let hid = prop["handoff"].as_str().expect("handoff id").to_string();
    let inbox = ok(d, &["--as", "Corner Shop", "handoff", "inbox"]);
    assert_eq!(inbox["incoming"][0]["id"], hid.as_str());

    // The carrier is not the recipient: rejected by a ledger rule, exit 3, nothing moves.
    let wrong = handoff(d, &["--as", "Bolt Freight", "handoff", "accept", &hid]);
    assert_eq!(wrong.code, 3, "{}", wrong.json);
    assert_eq!(wrong.json["error"]["code"], "NOT_RECIPIENT");
    let shown = ok(d, &["item", "show", &sn1]);
    assert_eq!(shown["item"]["custodian"]["name"], "Acme Farms");

    ok(d, &["--as", "Corner Shop", "handoff", "accept", &hid[..12]]);
    let shown = ok(d, &["item", "show", &sn1]);
    assert_eq!(shown["item"]["custodian"]["name"], "Corner Shop");
    assert_eq!(shown["item"]["owner"]["name"], "Corner Shop");

    // Accepting again: the proposal is closed, so nothing transfers twice.
    let again = handoff(d, &["--as", "Corner Shop", "handoff", "accept", &hid]);
    assert_eq!(again.code, 3, "{}", again.json);

    // The shop's own log: its acceptance, newest first.
    let log = ok(d, &["org", "log", "Corner Shop"]);
    assert_eq!(log["transactions"][0]["type"], "handoff_accepted", "{log}");
    let farm_log = ok(d, &["org", "log", "Acme Farms", "--limit", "2"]);
    assert_eq!(farm_log["transactions"].as_array().map(Vec::len), Some(2));
    assert_eq!(farm_log["transactions"][0]["type"], "handoff_proposed");

    let hist = ok(d, &["item", "history", &sn1]);
    let types: Vec<&str> = hist["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        types,
        ["commission", "handoff_proposed", "handoff_accepted"]
    );
    let heights: Vec<u64> = hist["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["height"].as_u64())
        .collect();
    assert!(heights.windows(2).all(|w| w[0] < w[1]), "{heights:?}");
    assert_eq!(hist["events"][2]["by_name"], "Corner Shop");

    let v = ok(d, &["verify", &sn1_dl]);
    assert_eq!(v["verdict"], "genuine", "{v}");
    let unknown = ok(d, &["verify", &format!("(01)0{g}(21)NOPE999")]);
    assert_eq!(unknown["verdict"], "counterfeit");
    assert_eq!(unknown["reasons"][0]["code"], "NEVER_COMMISSIONED");
    // An item that never left the producer is not yet genuine at a shop.
    let sn2 = ok(d, &["verify", &format!("(01)0{g}(21)SN2")]);
    assert_ne!(sn2["verdict"], "genuine");

    ok(d, &["--as", "Corner Shop", "item", "sell", &sn1]);
    let hist = ok(d, &["item", "history", &sn1]);
    assert_eq!(hist["events"].as_array().map(Vec::len), Some(4));
    let status = ok(d, &["status"]);
    assert!(status["height"].as_u64().expect("height") >= 7);
}

#[test]
fn malformed_scans_are_bad_input_naming_the_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for scan in [
        "(01)12345",
        "(01)09506000134353(21)X",
        "https://id.gs1.org/01/",
        "hello",
    ] {
        let r = handoff(d, &["id", "parse", scan]);
        assert_eq!(r.code, 2, "{scan}: {}", r.json);
        let code = r.json["error"]["code"].as_str().expect("code");
        assert!(code.starts_with("SCAN_"), "{scan}: {code}");
        let msg = r.json["error"]["message"].as_str().expect("message");
        assert!(
            msg.contains(scan.trim()),
            "{scan}: message should quote the scan: {msg}"
        );
    }
    // Broken percent-encoding and a GTIN-12 in an element string are refused, not guessed.
    for (scan, code) in [
        (
            "https://id.gs1.org/01/09506000134352/21/A%%%",
            "SCAN_BAD_ENCODING",
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/A%2",
            "SCAN_BAD_ENCODING",
        ),
        ("(01)036000291452(21)1", "SCAN_BAD_LENGTH"),
    ] {
        let r = handoff(d, &["id", "parse", scan]);
        assert_eq!(r.code, 2, "{scan}: {}", r.json);
        assert_eq!(r.json["error"]["code"], code, "{scan}: {}", r.json);
    }
    let good = ok(d, &["id", "parse", "(01)09506000134352(21)ABC"]);
    assert_eq!(good["canonical"], "/01/09506000134352/21/ABC");

    ok(d, &["init", "--org", "Acme"]);
    let r = handoff(d, &["item", "show", "(01)09506000134353(21)X"]);
    assert_eq!(r.code, 2);
    // `verify` answers consumers: a malformed code is a counterfeit verdict, not an error.
    let v = ok(d, &["verify", "(01)09506000134353(21)X"]);
    assert_eq!(v["verdict"], "counterfeit");
    assert_eq!(v["reasons"][0]["code"], "MALFORMED_ID");
}

/// A label's lot, dates and other AIs, whatever form it is scanned in: `id parse` shows
/// them, commissioning keeps them with the item, and a recall of the lot reaches it.
#[test]
fn a_serialized_label_keeps_its_lot_and_a_lot_recall_reaches_the_item() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let g = gtin("0061414100002");
    let forms = [
        format!("https://id.example.com/01/{g}/10/L7/21/B1?17=301231&15=301130&3103=000500"),
        format!("(01){g}(10)L7(21)B1(17)301231(15)301130(3103)000500"),
        format!("01{g}10L7\u{1d}21B1\u{1d}17301231153011303103000500"),
    ];
    for label in &forms {
        let j = ok(d, &["id", "parse", label]);
        assert_eq!(j["canonical"], format!("/01/{g}/21/B1"), "{label}: {j}");
        assert_eq!(j["serial"], "B1", "{label}: {j}");
        assert_eq!(j["lot"], "L7", "{label}: {j}");
        assert_eq!(j["expiry"], "301231", "{label}: {j}");
        for (ai, v) in [
            ("10", "L7"),
            ("17", "301231"),
            ("15", "301130"),
            ("3103", "000500"),
        ] {
            assert_eq!(j["attributes"][ai], v, "{label}: AI {ai}: {j}");
        }
        assert_eq!(j["elements"][0]["title"], "BATCH/LOT", "{label}: {j}");
        let text = Command::new(env!("CARGO_BIN_EXE_handoff"))
            .args(["id", "parse", "--", label])
            .output()
            .expect("run handoff");
        let text = String::from_utf8_lossy(&text.stdout);
        for line in [
            "(10) BATCH/LOT: L7",
            "(17) USE BY OR EXPIRY: 301231",
            "(15) BEST BEFORE: 301130",
            "(3103) NET WEIGHT (kg): 000500",
        ] {
            assert!(text.contains(line), "{label}: no '{line}' in\n{text}");
        }
    }

    ok(
        d,
        &[
            "init",
            "--org",
            "Acme Farms",
            "--prefix",
            "0614141",
            "--role",
            "producer",
        ],
    );
    ok(d, &["product", "define", "--gtin", &g, "--name", "Beans"]);
    let label =
        |serial: &str, lot: &str| format!("(01){g}(10){lot}(21){serial}(17)301231(3103)000500");
    let com = ok(
        d,
        &["item", "commission", &label("B1", "L7"), &label("B6", "L7")],
    );
    assert_eq!(com["lot"], "L7", "{com}");
    ok(d, &["item", "commission", &forms[0].replace("B1", "B2")]);
    ok(d, &["item", "commission", &label("B3", "L8")]);
    let b1 = ok(d, &["item", "show", &label("B1", "L7")]);
    assert_eq!(b1["item"]["lot"], "L7", "{b1}");
    assert_eq!(b1["item"]["expiry"], "301231", "{b1}");
    assert_eq!(b1["item"]["attributes"]["3103"], "000500", "{b1}");
    assert_eq!(
        b1["item"]["attributes"]["15"],
        serde_json::Value::Null,
        "{b1}"
    );
    let b2 = ok(d, &["item", "show", &format!("/01/{g}/21/B2")]);
    assert_eq!(b2["item"]["attributes"]["15"], "301130", "{b2}");

    // Labels that disagree on the lot, or a --lot that contradicts them, are refused: one
    // commissioning records one lot, and recording the wrong one would hide items from
    // their lot's recall.
    for args in [
        vec!["item", "commission", &label("B4", "L7"), &label("B5", "L8")],
        vec!["item", "commission", "--lot", "L9", &label("B4", "L7")],
        vec![
            "item",
            "commission",
            "--expiry",
            "301130",
            &label("B4", "L7"),
        ],
    ] {
        let r = handoff(d, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.json);
        assert_eq!(r.json["error"]["code"], "SCAN_CONFLICT", "{args:?}");
        let r = handoff(d, &["item", "show", &label("B4", "L7")]);
        assert_ne!(r.code, 0, "{args:?} commissioned B4: {}", r.json);
    }

    ok(
        d,
        &[
            "product",
            "recall",
            "--gtin",
            &g,
            "--lot",
            "L7",
            "--reason",
            "glass in the lot",
        ],
    );
    for scan in [
        label("B1", "L7"),
        format!("https://id.gs1.org/01/{g}/21/B2"),
    ] {
        let v = ok(d, &["verify", &scan]);
        let reasons = v["reasons"].as_array().expect("reasons");
        assert!(
            reasons.iter().any(|r| r["code"] == "RECALLED"),
            "{scan}: {v}"
        );
        let shown = ok(d, &["item", "show", &scan]);
        assert!(!shown["item"]["recalled"].is_null(), "{scan}: {shown}");
        assert_eq!(shown["item"]["recall"]["scope"], "lot", "{scan}: {shown}");
    }
    let b3 = ok(d, &["verify", &label("B3", "L8")]);
    assert!(
        !b3["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["code"] == "RECALLED"),
        "{b3}"
    );
    let shown = ok(d, &["item", "show", &label("B3", "L8")]);
    assert!(shown["item"]["recalled"].is_null(), "{shown}");
}

fn org_names(d: &Path) -> Vec<String> {
    ok(d, &["org", "list"])["orgs"]
        .as_array()
        .expect("orgs")
        .iter()
        .filter_map(|o| o["name"].as_str().map(str::to_string))
        .collect()
}

/// `org add` keeps the new org's key before the chain hears of the org: when the key
/// cannot be saved, no org nobody can sign for is left on the chain; when the chain
/// refuses the org, no key is left behind.
#[test]
fn org_add_saves_the_key_first_and_commits_only_then() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(d, &["init", "--org", "Acme Farms"]);
    // The key file cannot be written: folders sit where the writer puts its temporary
    // file (`.key.tmp`, and `.tmp` as it was named before) — a read-only folder would not
    // stop root, who runs these tests.
    let blockers = ["bolt_freight.key.tmp", "bolt_freight.tmp"].map(|n| d.join("keys").join(n));
    for b in &blockers {
        std::fs::create_dir_all(b).expect("blocker");
    }
    let r = handoff(d, &["org", "add", "Bolt Freight", "--role", "carrier"]);
    assert_ne!(r.code, 0, "{}", r.json);
    assert!(
        !org_names(d).iter().any(|n| n == "Bolt Freight"),
        "the org is on the chain without its key: {:?}",
        org_names(d)
    );
    assert!(!d.join("keys").join("bolt_freight.key").exists());

    for b in &blockers {
        std::fs::remove_dir(b).expect("remove blocker");
    }
    ok(d, &["org", "add", "Bolt Freight", "--role", "carrier"]);
    assert!(org_names(d).iter().any(|n| n == "Bolt Freight"));
    let n = ok(d, &["--as", "Bolt Freight", "org", "nonce"]);
    assert_eq!(n["name"], "Bolt Freight");

    // The chain refuses a second org of that name (names are unique, case aside): the key
    // saved for it is taken back.
    let r = handoff(d, &["org", "add", " bolt freight", "--role", "carrier"]);
    assert_eq!(r.code, 3, "{}", r.json);
    let keys: Vec<String> = std::fs::read_dir(d.join("keys"))
        .expect("keys")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .collect();
    assert!(
        !keys.iter().any(|k| k.starts_with("_bolt")),
        "a key for a refused org is left: {keys:?}"
    );
}

#[test]
fn usage_and_identity_errors_exit_2_with_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let r = handoff(d, &["item", "frobnicate"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json["error"]["code"], "USAGE");
    ok(d, &["init", "--org", "Acme"]);
    let r = handoff(
        d,
        &[
            "--as",
            "Nobody",
            "item",
            "commission",
            "(01)09506000134352(21)A",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.json);
    assert_eq!(r.json["error"]["code"], "UNKNOWN_IDENTITY");
    let r = handoff(d, &["init", "--org", "Again"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json["error"]["code"], "ALREADY_INITIALIZED");
}

#[test]
fn qr_round_trip_through_files_needs_no_data_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("label.png");
    let d = dir.path().join("nothing-here");
    let enc = ok(
        &d,
        &[
            "qr",
            "encode",
            "(01)09506000134352(21)ABC",
            "-o",
            png.to_str().expect("path"),
        ],
    );
    assert_eq!(enc["uri"], "https://id.gs1.org/01/09506000134352/21/ABC");
    let dec = ok(&d, &["qr", "decode", png.to_str().expect("path")]);
    assert_eq!(dec["codes"][0]["canonical"], "/01/09506000134352/21/ABC");
    assert!(!d.exists(), "qr must not create a data folder");
    let r = handoff(
        &d,
        &[
            "qr",
            "decode",
            dir.path().join("missing.png").to_str().expect("path"),
        ],
    );
    assert_eq!(r.code, 2);
}

#[test]
fn demo_seeds_a_traceable_coffee_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let demo = ok(d, &["demo", "--quiet"]);
    assert!(demo["transactions"].as_u64().expect("txs") >= 25);
    let ex = &demo["examples"];
    let sold = ok(
        d,
        &["item", "history", ex["sold_bag"].as_str().expect("sold")],
    );
    let types: Vec<&str> = sold["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    // The bag's journey reaches back to the farm through the roast and forward through pallets.
    assert_eq!(types.first(), Some(&"commission"));
    assert!(
        types.contains(&"transform") && types.contains(&"pack") && types.contains(&"sell"),
        "{types:?}"
    );
    assert!(
        sold["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["by_name"] == "Finca La Esperanza")
    );
    assert_eq!(
        ok(d, &["verify", ex["shelf_bag"].as_str().expect("shelf")])["verdict"],
        "genuine"
    );
    let missing = ok(d, &["verify", ex["missing_bag"].as_str().expect("missing")]);
    assert_ne!(missing["verdict"], "genuine");
    let recalled = ok(d, &["verify", ex["recalled_lot"].as_str().expect("lot")]);
    assert!(
        recalled["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["code"] == "RECALLED"),
        "{recalled}"
    );
    let inbox = ok(d, &["--as", "Corner Grocer", "handoff", "inbox"]);
    assert_eq!(inbox["incoming"].as_array().map(Vec::len), Some(1));
    // Each demo product's definition records the hash of its picture in assets/demo.
    for (example, file) in [
        ("green_lot", "green-coffee.svg"),
        ("shelf_bag", "espresso.svg"),
        ("recalled_lot", "filter-roast.svg"),
    ] {
        let key = ex[example].as_str().expect("example");
        let gtin = key.split('/').nth(2).expect("a GTIN");
        let product = ok(d, &["product", "show", gtin]);
        let picture = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../assets/demo")
                .join(file),
        )
        .expect("the picture");
        let hash = handoff_core::types::sha256(&[&picture]);
        assert_eq!(
            product["product"]["image_hash"],
            hex::encode(hash.0),
            "{example}: {product}"
        );
    }

    // Finance: what the summary says, and what Harbor Bank reads through the command line.
    let fin = &demo["finance"];
    let asset = |k: &str| {
        fin["receivables"][k]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no {k} receivable: {fin}"))
            .to_string()
    };
    let (split, part, repaid, overdue) = (
        asset("split"),
        asset("supplier_part"),
        asset("repaid"),
        asset("overdue"),
    );
    let receipt = fin["receipt"]["id"].as_str().expect("receipt").to_string();
    assert_eq!(fin["receivables"]["split"]["status"], "funded", "{fin}");
    assert_eq!(fin["receivables"]["split"]["invoice"], "NR-INV-5531");
    assert_eq!(fin["receivables"]["split"]["outstanding"], "1080.00");
    let supplier = &fin["receivables"]["supplier_part"];
    assert_eq!(supplier["holder"], "Andes Export", "{fin}");
    assert_eq!(supplier["buyer"], "Corner Grocer");
    assert_eq!(supplier["status"], "confirmed");
    assert_eq!(supplier["outstanding"], "600.00");
    assert_eq!(fin["receivables"]["repaid"]["status"], "settled", "{fin}");
    assert_eq!(fin["receivables"]["repaid"]["paid"], "61200.00");
    assert_eq!(fin["receivables"]["overdue"]["status"], "overdue", "{fin}");
    assert_eq!(fin["receipt"]["status"], "pledged", "{fin}");
    let codes: Vec<&str> = fin["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["PLEDGED", "ALREADY_FINANCED", "ALREADY_INVOICED"],
        "{fin}"
    );

    let bank = ["--as", "Harbor Bank"];
    let as_bank = |args: &[&str]| ok(d, &[&bank[..], args].concat());
    let pf = as_bank(&["finance", "portfolio"]);
    let status_of = |id: &str| {
        pf["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].clone())
            .unwrap_or_else(|| panic!("{id} is not in the bank's portfolio: {pf}"))
    };
    assert_eq!(status_of(&split), "funded");
    assert_eq!(status_of(&overdue), "overdue");
    assert_eq!(status_of(&repaid), "settled");
    assert_eq!(status_of(&receipt), "pledged");
    // The part the exporter holds is not the bank's.
    assert!(
        !pf["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["id"] == part.as_str()),
        "{pf}"
    );
    let owes = |name: &str| {
        pf["exposure"]
            .as_array()
            .expect("exposure")
            .iter()
            .find(|e| e["name"] == name && e["role"] == "buyer")
            .map(|e| e["outstanding"][0]["amount"].clone())
            .unwrap_or_else(|| panic!("no exposure to {name}: {pf}"))
    };
    assert_eq!(owes("Corner Grocer"), "1080.00");
    assert_eq!(owes("Andes Export"), "81900.00");
    let bucket = |name: &str| {
        pf["ageing"]
            .as_array()
            .expect("ageing")
            .iter()
            .find(|b| b["bucket"] == name)
            .map(|b| b["outstanding"].clone())
            .unwrap_or_else(|| panic!("no {name} bucket: {pf}"))
    };
    assert_eq!(bucket("current")[0]["amount"], "1080.00", "{pf}");
    assert_eq!(bucket("1-30")[0]["amount"], "81900.00", "{pf}");
    let alert = |kind: &str, id: &str| {
        pf["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .any(|a| a["kind"] == kind && a["asset"] == id)
    };
    assert!(alert("overdue", &overdue), "{pf}");
    assert!(alert("move_refused", &receipt), "{pf}");

    // The repaid invoice's evidence: lot A, accepted by the roaster under its purchase
    // order, matched; the overdue one's harvest went under a contract, no PO: flagged.
    let ev = as_bank(&["finance", "evidence", &repaid]);
    assert_eq!(ev["matched"], true, "{ev}");
    let lines = ev["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 1, "{ev}");
    assert_eq!(lines[0]["status"], "accepted");
    assert_eq!(lines[0]["to"], "Northside Roasters");
    assert_eq!(lines[0]["quantity"], 12_000);
    assert!(
        lines[0]["documents"]
            .as_array()
            .expect("documents")
            .iter()
            .any(|x| x["kind"] == "po" && x["number"] == "NR-PO-2026-044"),
        "{ev}"
    );
    let ev = as_bank(&["finance", "evidence", &overdue]);
    assert_eq!(ev["matched"], false, "{ev}");
    assert!(
        ev["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .all(|l| l["problems"]
                .as_array()
                .is_some_and(|p| p.contains(&"no purchase order behind the handoff".into()))),
        "{ev}"
    );
    // The bank's pledged pallet is still at the warehouse, and still pledged.
    let ev = as_bank(&["finance", "evidence", &receipt]);
    assert_eq!(ev["goods"][0]["custodian"], "Harbor Logistics", "{ev}");
    assert_eq!(ev["goods"][0]["released"], false, "{ev}");
    // Coastal Credit, asked for nothing that went through, holds nothing.
    let other = ok(d, &["--as", "Coastal Credit", "finance", "portfolio"]);
    assert_eq!(other["rows"], serde_json::json!([]), "{other}");
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // `handoff … | head -1`: stdout is closed before the result is written. The command
    // still finishes with its own exit code and prints no panic.
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(["--json", "id", "parse", "(01)09506000134352(21)ABC"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run handoff");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}
