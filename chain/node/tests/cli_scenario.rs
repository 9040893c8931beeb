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
    let sn1 = format!("(01){g}(21)SN1");
    let sn1_dl = format!("https://id.example.com/01/{g}/21/SN1");
    let com = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "commission",
            &sn1,
            &format!("(01){g}(21)SN2"),
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
    let unknown = ok(d, &["verify", &format!("(01){g}(21)NOPE999")]);
    assert_eq!(unknown["verdict"], "counterfeit");
    assert_eq!(unknown["reasons"][0]["code"], "NEVER_COMMISSIONED");
    // An item that never left the producer is not yet genuine at a shop.
    let sn2 = ok(d, &["verify", &format!("(01){g}(21)SN2")]);
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
