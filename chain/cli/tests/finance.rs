//! Supply-chain finance through the real `handoff` binary on a real chain: a farm invoices
//! a shop for an accepted delivery, splits part of the claim to its mill, asks a bank to
//! finance the rest; the bank reads the terms sealed to it, offers, funds and settles once
//! the shop has paid. A warehouse receipt is pledged and the pledged goods cannot move
//! until the bank releases them. Every org acts with its own key; only the parties read
//! the amounts.

use crate::common;

use common::*;
use handoff_core::gs1::check_digit;
use serde_json::Value;
use std::path::Path;

fn gtin13(digits12: &str) -> String {
    format!("{digits12}{}", check_digit(digits12).expect("digits"))
}

fn refused(d: &Path, args: &[&str], code: &str) -> Value {
    let (exit, json, stderr) = handoff(d, args);
    assert_ne!(exit, 0, "{args:?} was accepted: {json}");
    assert_eq!(json["error"]["code"], code, "{args:?}: {json} {stderr}");
    json
}

fn show(d: &Path, who: &str, id: &str) -> Value {
    ok(d, &["--as", who, "finance", "show", id])
}

#[test]
fn a_receivable_is_split_financed_repaid_and_settled_and_a_pledge_holds_the_goods() {
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
            "--role",
            "producer",
        ],
    );
    ok(d, &["org", "add", "Corner Shop", "--role", "retailer"]);
    ok(d, &["org", "add", "First Bank", "--role", "lender"]);
    ok(d, &["org", "add", "Second Bank", "--role", "lender"]);
    ok(d, &["org", "add", "Old Mill", "--role", "manufacturer"]);
    ok(d, &["org", "add", "Harbor Store", "--role", "warehouse"]);
    let g = gtin13("061414100001");
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
    let sn = |s: &str| format!("(01)0{g}(21){s}");
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "commission",
            &sn("SN1"),
            &sn("SN2"),
            &sn("SN3"),
        ],
    );
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
            "--doc",
            "po=PO-7",
            &sn("SN1"),
            &sn("SN2"),
        ],
    );
    let delivery = prop["handoff"].as_str().expect("handoff id").to_string();

    // Nothing can be invoiced before the shop accepted the goods.
    for org in ["Corner Shop", "First Bank", "Second Bank", "Old Mill"] {
        ok(d, &["--as", org, "finance", "enable"]);
    }
    let line = format!("{delivery}=1250.00");
    let issue = |number: &str| {
        vec![
            "--as".to_string(),
            "Acme Farms".into(),
            "finance".into(),
            "receivable".into(),
            "issue".into(),
            "--buyer".into(),
            "Corner Shop".into(),
            "--invoice".into(),
            number.into(),
            "--currency".into(),
            "EUR".into(),
            "--line".into(),
            line.clone(),
            "--due".into(),
            "2099-12-31".into(),
        ]
    };
    let args = issue("INV-0042");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(d, &args, "NOT_DELIVERED");
    ok(d, &["--as", "Corner Shop", "handoff", "accept", &delivery]);

    let inv = ok(d, &args);
    let id = inv["id"].as_str().expect("receivable id").to_string();
    assert_eq!(inv["status"], "issued");

    // The same delivery cannot back a second invoice.
    let again = issue("INV-0043");
    let again: Vec<&str> = again.iter().map(String::as_str).collect();
    refused(d, &again, "ALREADY_INVOICED");

    // Seller and buyer read the terms; the bank, not a party yet, reads none.
    let farm = show(d, "Acme Farms", &id);
    assert_eq!(farm["asset"]["terms"]["face"], "1250.00", "{farm}");
    assert_eq!(farm["asset"]["terms"]["invoice"], "INV-0042");
    assert_eq!(farm["asset"]["terms"]["consistent"], true);
    let lines = farm["asset"]["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "one line per delivered item: {farm}");
    assert_eq!(lines[0]["amount"], "625.00");
    let shop = show(d, "Corner Shop", &id);
    assert_eq!(shop["asset"]["terms"]["outstanding"], "1250.00", "{shop}");
    assert_eq!(shop["asset"]["next"], serde_json::json!(["confirm"]));
    let bank = show(d, "First Bank", &id);
    assert!(bank["asset"]["terms"].is_null(), "{bank}");
    assert!(bank["asset"]["lines"][0]["amount"].is_null(), "{bank}");

    ok(
        d,
        &[
            "--as",
            "Corner Shop",
            "finance",
            "receivable",
            "confirm",
            &id,
        ],
    );

    // Part of the claim goes to the mill upstream.
    let split = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receivable",
            "split",
            &id,
            "--to",
            "Old Mill",
            "--amount",
            "300",
        ],
    );
    let part = split["created"][0].as_str().expect("new part").to_string();
    let mill = show(d, "Old Mill", &part);
    assert_eq!(mill["asset"]["terms"]["outstanding"], "300.00", "{mill}");
    assert_eq!(mill["asset"]["roles"], serde_json::json!(["holder"]));
    assert_eq!(
        show(d, "Acme Farms", &id)["asset"]["terms"]["outstanding"],
        "950.00"
    );

    // The farm asks First Bank, which now reads the invoice and its balance.
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receivable",
            "request",
            &id,
            "--lender",
            "First Bank",
        ],
    );
    let bank = show(d, "First Bank", &id);
    assert_eq!(bank["asset"]["terms"]["invoice"], "INV-0042", "{bank}");
    assert_eq!(bank["asset"]["terms"]["outstanding"], "950.00");
    assert_eq!(bank["asset"]["terms"]["face"], "1250.00");
    assert_eq!(bank["asset"]["next"], serde_json::json!(["offer"]));
    // A second lender for the same claim: double financing.
    refused(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receivable",
            "request",
            &id,
            "--lender",
            "Second Bank",
        ],
        "ALREADY_FINANCED",
    );
    // And the mill, a party of its own part only, reads nothing of the farm's claim.
    assert!(show(d, "Old Mill", &id)["asset"]["terms"].is_null());

    ok(
        d,
        &[
            "--as",
            "First Bank",
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
    let farm = show(d, "Acme Farms", &id);
    assert_eq!(farm["asset"]["terms"]["advance"], "760.00", "{farm}");
    assert_eq!(farm["asset"]["terms"]["fee"], "12.50");
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receivable",
            "accept-offer",
            &id,
        ],
    );
    let funded = ok(
        d,
        &["--as", "First Bank", "finance", "receivable", "fund", &id],
    );
    assert_eq!(funded["status"], "funded");

    // The bank's evidence: each invoiced line is an accepted handoff with its PO, matched.
    let ev = ok(d, &["--as", "First Bank", "finance", "evidence", &id]);
    assert_eq!(ev["matched"], true, "{ev}");
    let lines = ev["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "{ev}");
    for (n, l) in lines.iter().enumerate() {
        assert_eq!(l["line"], n + 1);
        assert_eq!(l["handoff"], delivery.as_str());
        assert_eq!(l["status"], "accepted");
        assert_eq!(l["from"], "Acme Farms");
        assert_eq!(l["to"], "Corner Shop");
        assert_eq!(l["amount"], "625.00");
        assert!(l["accepted_height"].as_u64().is_some(), "{l}");
        assert_eq!(l["documents"][0]["kind"], "po", "{l}");
        assert_eq!(l["documents"][0]["number"], "PO-7", "{l}");
        assert_eq!(l["matched"], true, "{l}");
    }
    assert_eq!(ev["alerts"], serde_json::json!([]), "{ev}");
    // A lender the farm did not ask sees no evidence of it.
    refused(
        d,
        &["--as", "Second Bank", "finance", "evidence", &id],
        "NOT_A_PARTY",
    );

    // The bank's portfolio: the shop owes it the funded balance, not yet due.
    let pf = ok(d, &["--as", "First Bank", "finance", "portfolio"]);
    let exposure = pf["exposure"].as_array().expect("exposure");
    let shop_owes = exposure
        .iter()
        .find(|e| e["name"] == "Corner Shop")
        .unwrap_or_else(|| panic!("no exposure to the shop: {pf}"));
    assert_eq!(shop_owes["role"], "buyer");
    assert_eq!(shop_owes["outstanding"][0]["amount"], "950.00", "{pf}");
    assert_eq!(shop_owes["outstanding"][0]["currency"], "EUR");
    let current = &pf["ageing"][0];
    assert_eq!(current["bucket"], "current", "{pf}");
    assert_eq!(current["outstanding"][0]["minor"], 95_000, "{pf}");
    let farm_record = pf["counterparties"]
        .as_array()
        .expect("counterparties")
        .iter()
        .find(|c| c["name"] == "Acme Farms")
        .unwrap_or_else(|| panic!("no record of the farm: {pf}"));
    assert_eq!(farm_record["deliveries"], 1, "{pf}");
    assert_eq!(farm_record["accepted"], 1, "{pf}");
    assert_eq!(farm_record["exceptions"], 0, "{pf}");
    // The mill's part is not the bank's: its portfolio holds the farm's claim only.
    assert_eq!(pf["rows"].as_array().map(Vec::len), Some(1), "{pf}");
    // Nor does the portfolio show the bank a price it was not sealed: a lender the farm
    // never asked has an empty one.
    let other = ok(d, &["--as", "Second Bank", "finance", "portfolio"]);
    assert_eq!(other["rows"], serde_json::json!([]), "{other}");

    // Exports: the evidence pack as JSON anchored to the chain and as a PDF; the CSV.
    let out = d.join("exports");
    std::fs::create_dir_all(&out).expect("mkdir");
    let file = |n: &str| out.join(n).display().to_string();
    let w = ok(
        d,
        &[
            "--as",
            "First Bank",
            "finance",
            "export",
            &id,
            "--format",
            "json",
            "--output",
            &file("pack.json"),
        ],
    );
    assert_eq!(w["mime"], "application/json");
    let pack: Value =
        serde_json::from_slice(&std::fs::read(out.join("pack.json")).expect("pack")).expect("json");
    assert_eq!(pack["format"], "handoff-evidence-pack/1");
    assert_eq!(pack["evidence"]["asset"]["id"], id.as_str());
    assert_eq!(
        pack["chain"]["state_root"].as_str().map(str::len),
        Some(64),
        "{pack}"
    );
    let w = ok(
        d,
        &[
            "--as",
            "First Bank",
            "finance",
            "export",
            &id,
            "--format",
            "pdf",
            "--output",
            &file("pack.pdf"),
        ],
    );
    assert_eq!(w["mime"], "application/pdf");
    let pdf = std::fs::read(out.join("pack.pdf")).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    assert!(pdf.len() > 2_000, "{} bytes", pdf.len());
    ok(
        d,
        &[
            "--as",
            "First Bank",
            "finance",
            "export",
            "--format",
            "csv",
            "--output",
            &file("portfolio.csv"),
        ],
    );
    let csv = std::fs::read_to_string(out.join("portfolio.csv")).expect("csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("id,kind,status,"), "{csv}");
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[1].starts_with(&format!("{id},receivable,funded,")),
        "{csv}"
    );
    assert!(
        rows[1].contains("INV-0042") && rows[1].contains("950.00"),
        "{csv}"
    );
    refused(
        d,
        &[
            "--as",
            "First Bank",
            "finance",
            "export",
            &id,
            "--format",
            "csv",
            "--output",
            &file("x"),
        ],
        "BAD_FORMAT",
    );

    // A financed claim is no longer split.
    refused(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receivable",
            "split",
            &id,
            "--to",
            "Old Mill",
            "--amount",
            "1",
        ],
        "ALREADY_FINANCED",
    );

    // The shop pays in two instalments; more than is owed is refused.
    let repay = |amount: &str, reference: &str| {
        handoff(
            d,
            &[
                "--as",
                "Corner Shop",
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
    assert_eq!(repay("600", "PAY-1").0, 0);
    let (code, json, _) = repay("600", "PAY-2");
    assert_eq!(code, 3, "{json}");
    assert_eq!(json["error"]["code"], "UNBALANCED");
    let (code, json, _) = repay("100", "PAY-1");
    assert_eq!(code, 3, "{json}");
    assert_eq!(json["error"]["code"], "PAYMENT_REF_USED");
    assert_eq!(repay("350", "PAY-2").0, 0);
    let bank = show(d, "First Bank", &id);
    assert_eq!(bank["asset"]["terms"]["outstanding"], "0.00", "{bank}");
    assert_eq!(bank["asset"]["terms"]["paid"], "950.00");
    assert!(
        bank["asset"]["next"]
            .as_array()
            .expect("next")
            .contains(&"settle".into()),
        "{bank}"
    );
    let settled = ok(
        d,
        &["--as", "First Bank", "finance", "receivable", "settle", &id],
    );
    assert_eq!(settled["status"], "settled");
    let shown = show(d, "Corner Shop", &id);
    let steps: Vec<&str> = shown["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["step"].as_str().expect("step"))
        .collect();
    assert_eq!(steps.first(), Some(&"receivable_issued"));
    assert_eq!(steps.last(), Some(&"receivable_settled"));

    // The shop's list holds both the claim and the mill's part (it owes both).
    let list = ok(
        d,
        &["--as", "Corner Shop", "finance", "list", "--role", "buyer"],
    );
    assert_eq!(list["assets"].as_array().map(Vec::len), Some(2), "{list}");

    // A warehouse receipt: the farm's third bag in the store's custody, pledged to the bank.
    let to_store = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "handoff",
            "propose",
            "--to",
            "Harbor Store",
            &sn("SN3"),
        ],
    );
    let h = to_store["handoff"].as_str().expect("handoff").to_string();
    ok(d, &["--as", "Harbor Store", "handoff", "accept", &h]);
    let receipt = ok(
        d,
        &[
            "--as",
            "Harbor Store",
            "finance",
            "receipt",
            "issue",
            "--owner",
            "Acme Farms",
            &sn("SN3"),
        ],
    );
    let rid = receipt["id"].as_str().expect("receipt id").to_string();
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receipt",
            "pledge",
            &rid,
            "--lender",
            "First Bank",
        ],
    );
    let accepted = ok(
        d,
        &[
            "--as",
            "First Bank",
            "finance",
            "receipt",
            "accept-pledge",
            &rid,
        ],
    );
    assert_eq!(accepted["status"], "pledged");
    let ship = [
        "--as",
        "Harbor Store",
        "handoff",
        "propose",
        "--to",
        "Corner Shop",
        &sn("SN3"),
    ];
    refused(d, &ship, "PLEDGED");
    // The refused attempt is a collateral alert on the bank's receipt and portfolio.
    let ev = ok(d, &["--as", "First Bank", "finance", "evidence", &rid]);
    let kinds: Vec<&str> = ev["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["move_refused"], "{ev}");
    assert_eq!(ev["goods"][0]["custodian"], "Harbor Store", "{ev}");
    assert_eq!(ev["goods"][0]["released"], false);
    let pf = ok(d, &["--as", "First Bank", "finance", "portfolio"]);
    assert!(
        pf["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .any(|a| a["kind"] == "move_refused" && a["asset"] == rid.as_str()),
        "{pf}"
    );
    ok(
        d,
        &["--as", "First Bank", "finance", "receipt", "release", &rid],
    );
    ok(d, &ship);
}

#[test]
fn a_lender_sees_an_overdue_claim_aged_and_an_exception_flagged_in_its_evidence() {
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
            "--role",
            "producer",
        ],
    );
    ok(d, &["org", "add", "Corner Shop", "--role", "retailer"]);
    ok(d, &["org", "add", "First Bank", "--role", "lender"]);
    let g = gtin13("061414100002");
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
            "Honey 500 g",
        ],
    );
    let sn = |s: &str| format!("(01)0{g}(21){s}");
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "commission",
            &sn("A"),
            &sn("B"),
        ],
    );
    for org in ["Corner Shop", "First Bank"] {
        ok(d, &["--as", org, "finance", "enable"]);
    }
    // Two jars sent without a purchase order; the shop reports one damaged.
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
            &sn("A"),
            &sn("B"),
        ],
    );
    let h = prop["handoff"].as_str().expect("handoff").to_string();
    ok(
        d,
        &[
            "--as",
            "Corner Shop",
            "handoff",
            "accept",
            &h,
            "--damaged",
            &sn("B"),
        ],
    );
    // Invoiced with a due date long past, and asked of the bank.
    let inv = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receivable",
            "issue",
            "--buyer",
            "Corner Shop",
            "--invoice",
            "INV-9",
            "--currency",
            "EUR",
            "--line",
            &format!("{h}=80.00"),
            "--due",
            "2020-01-31",
        ],
    );
    let id = inv["id"].as_str().expect("id").to_string();
    ok(
        d,
        &[
            "--as",
            "Corner Shop",
            "finance",
            "receivable",
            "confirm",
            &id,
        ],
    );
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receivable",
            "request",
            &id,
            "--lender",
            "First Bank",
        ],
    );

    // The damaged jar was not delivered, so the chain let the farm invoice the good one
    // only; the shop later reports that one stolen.
    ok(
        d,
        &[
            "--as",
            "Corner Shop",
            "item",
            "stolen",
            &sn("A"),
            "--note",
            "shop break-in",
        ],
    );
    let ev = ok(d, &["--as", "First Bank", "finance", "evidence", &id]);
    assert_eq!(ev["matched"], false, "{ev}");
    let lines = ev["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 1, "{ev}");
    let a = &lines[0];
    assert!(
        a["item"].as_str().is_some_and(|i| i.ends_with("/21/A")),
        "{a}"
    );
    assert!(a["exception"].is_null(), "{a}");
    assert_eq!(a["matched"], false);
    let problems = a["problems"].as_array().expect("problems").clone();
    assert!(
        problems.contains(&"no purchase order behind the handoff".into()),
        "{a}"
    );
    assert!(problems.contains(&"reported stolen since".into()), "{a}");
    let kinds: Vec<&str> = ev["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["kind"].as_str().expect("kind"))
        .collect();
    assert!(
        kinds.contains(&"overdue") && kinds.contains(&"reported_stolen"),
        "{ev}"
    );

    // The portfolio ages the claim past 90 days and counts the farm's exception.
    let pf = ok(d, &["--as", "First Bank", "finance", "portfolio"]);
    let bucket = |name: &str| {
        pf["ageing"]
            .as_array()
            .expect("ageing")
            .iter()
            .find(|b| b["bucket"] == name)
            .unwrap_or_else(|| panic!("no {name} bucket: {pf}"))
            .clone()
    };
    assert_eq!(bucket("90+")["outstanding"][0]["amount"], "80.00", "{pf}");
    assert_eq!(
        bucket("current")["outstanding"],
        serde_json::json!([]),
        "{pf}"
    );
    let farm = pf["counterparties"]
        .as_array()
        .expect("counterparties")
        .iter()
        .find(|c| c["name"] == "Acme Farms")
        .cloned()
        .unwrap_or_else(|| panic!("no record of the farm: {pf}"));
    assert_eq!(farm["exceptions"], 1, "{pf}");
    assert_eq!(farm["exception_bp"], 10_000, "{pf}");
    assert_eq!(
        pf["rows"][0]["days_past_due"].as_i64().map(|d| d > 90),
        Some(true),
        "{pf}"
    );
}

/// `handoff bench finance` at a small size, so the benchmark cannot rot: it builds its
/// chain (handoffs, receivables in every status with real proofs and boxes, receipts),
/// checks the lender's portfolio reads back every asset and its terms, and reports.
#[test]
fn the_finance_bench_runs_at_a_small_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = ok(
        dir.path(),
        &[
            "bench",
            "finance",
            "--handoffs",
            "320",
            "--receivables",
            "40",
            "--receipts",
            "10",
            "--sellers",
            "4",
            "--buyers",
            "4",
            "--portfolio-samples",
            "3",
            "--evidence-samples",
            "5",
            "--api-samples",
            "2",
            "--block-txs",
            "64",
            "--quiet",
        ],
    );
    assert_eq!(j["bench"], "finance", "{j}");
    // 40 receivables: 34 with the bench's lender named; 8 of 10 receipts.
    assert_eq!(j["chain"]["lender_receivables"], 34, "{j}");
    assert_eq!(j["chain"]["lender_receipts"], 8, "{j}");
    assert_eq!(j["chain"]["split_parts"], 1, "{j}");
    assert_eq!(j["portfolio_ms"]["assets"], 42, "{j}");
    assert_eq!(j["portfolio_ms"]["warm_samples"], 3, "{j}");
    assert_eq!(j["evidence_ms"]["samples"], 5, "{j}");
    assert_eq!(j["api_one_block_each_ms"]["samples"], 2, "{j}");
    let kinds = &j["private_terms"]["by_kind"];
    for k in [
        "issue_1_line",
        "issue_2_lines",
        "issue_3_lines",
        "request_finance",
        "offer",
        "repay",
        "split",
    ] {
        assert!(kinds[k]["txs"].as_u64().unwrap_or(0) > 0, "no {k}: {j}");
    }
    // A repayment carries two commitments with their 672-byte range proofs.
    assert_eq!(
        kinds["repay"]["range_proof_and_commitment_bytes"],
        2.0 * (672.0 + 32.0),
        "{j}"
    );
    assert!(j["machine"]["cpus"].as_u64().unwrap_or(0) >= 1, "{j}");
}

/// A folder with a farm (the brand owner of one product, named `product`), a warehouse,
/// a bank and `more` orgs (name, role); the farm, the warehouse and the bank publish
/// their seal keys. Answers the product's GTIN.
fn farm_store_bank(d: &Path, product: &str, more: &[(&str, &str)]) -> String {
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
    ok(d, &["org", "add", "Harbor Store", "--role", "warehouse"]);
    ok(d, &["org", "add", "First Bank", "--role", "lender"]);
    for (name, role) in more {
        ok(d, &["org", "add", name, "--role", role]);
    }
    let g = gtin13("061414100001");
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
            product,
        ],
    );
    for org in ["Acme Farms", "Harbor Store", "First Bank"] {
        ok(d, &["--as", org, "finance", "enable"]);
    }
    g
}

/// A receipt the warehouse issues to the farm over `goods`, pledged to the bank and
/// accepted; its id.
fn pledged_receipt(d: &Path, goods: &str) -> String {
    let r = ok(
        d,
        &[
            "--as",
            "Harbor Store",
            "finance",
            "receipt",
            "issue",
            "--owner",
            "Acme Farms",
            goods,
        ],
    );
    let rid = r["id"].as_str().expect("receipt id").to_string();
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "finance",
            "receipt",
            "pledge",
            &rid,
            "--lender",
            "First Bank",
        ],
    );
    ok(
        d,
        &[
            "--as",
            "First Bank",
            "finance",
            "receipt",
            "accept-pledge",
            &rid,
        ],
    );
    rid
}

/// A pledged pallet is worth what is on it: when a lot of the bags packed on it is
/// recalled, the lender's receipt and portfolio carry a recall alert for the pallet,
/// naming the bag inside; a pallet of another lot carries none.
#[test]
fn a_recall_of_a_lot_packed_on_a_pledged_pallet_is_a_collateral_alert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let g = farm_store_bank(d, "Arabica 1 kg", &[]);
    let bag = |lot: &str, sn: &str| format!("(01)0{g}(10){lot}(21){sn}");
    let pallet = |n: &str| {
        let body = format!("1061414100000000{n}");
        format!("(00){body}{}", check_digit(&body).expect("digits"))
    };
    let mut receipts = Vec::new();
    for (p, lot) in [("1", "L7"), ("2", "L8")] {
        let bags = [bag(lot, &format!("{lot}-1")), bag(lot, &format!("{lot}-2"))];
        ok(
            d,
            &[
                "--as",
                "Acme Farms",
                "item",
                "commission",
                &bags[0],
                &bags[1],
            ],
        );
        ok(
            d,
            &[
                "--as",
                "Acme Farms",
                "item",
                "pack",
                "--into",
                &pallet(p),
                &bags[0],
                &bags[1],
            ],
        );
        let h = ok(
            d,
            &[
                "--as",
                "Acme Farms",
                "handoff",
                "propose",
                "--to",
                "Harbor Store",
                &pallet(p),
            ],
        );
        let h = h["handoff"].as_str().expect("handoff").to_string();
        ok(d, &["--as", "Harbor Store", "handoff", "accept", &h]);
        let rid = pledged_receipt(d, &pallet(p));
        receipts.push(rid);
    }
    let alerts = |rid: &str| -> Vec<Value> {
        let ev = ok(d, &["--as", "First Bank", "finance", "evidence", rid]);
        ev["alerts"].as_array().expect("alerts").clone()
    };
    assert!(
        alerts(&receipts[0]).is_empty(),
        "nothing to say before the recall"
    );

    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "product",
            "recall",
            "--gtin",
            &g,
            "--lot",
            "L7",
            "--reason",
            "mould in the lot",
        ],
    );
    let a = alerts(&receipts[0]);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0]["kind"], "recalled");
    let subject = a[0]["subject"].as_str().expect("subject");
    assert!(
        subject.contains("00"),
        "the pallet is the subject: {subject}"
    );
    let message = a[0]["message"].as_str().expect("message");
    assert!(message.contains("mould in the lot"), "{message}");
    assert!(message.contains("L7-"), "names the bag inside: {message}");
    assert!(alerts(&receipts[1]).is_empty(), "the other lot's pallet");
    let ev = ok(
        d,
        &["--as", "First Bank", "finance", "evidence", &receipts[0]],
    );
    let flags = ev["goods"][0]["flags"].to_string();
    assert!(flags.contains("recalled"), "{ev}");
    let pf = ok(d, &["--as", "First Bank", "finance", "portfolio"]);
    let recalled: Vec<&Value> = pf["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["kind"] == "recalled")
        .collect();
    assert_eq!(recalled.len(), 1, "{pf}");
    assert_eq!(recalled[0]["asset"], receipts[0].as_str());
}

/// A warehouse receipt over a lot quantity (the scan carries it, AI 30): the lender sees
/// the quantity and what the warehouse holds; the warehouse may ship what is beyond the
/// pledge, not into it, and the refused attempt is an alert.
#[test]
fn a_receipt_over_part_of_a_lot_holds_that_quantity_in_the_warehouse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let g = farm_store_bank(d, "Green beans", &[("Corner Shop", "retailer")]);
    let beans = format!("(01)0{g}(10)L9");
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "commission",
            &format!("(01)0{g}"),
            "--lot",
            "L9",
            "--qty",
            "100",
        ],
    );
    let h = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "handoff",
            "propose",
            "--to",
            "Harbor Store",
            &beans,
            "--qty",
            "100",
        ],
    );
    let h = h["handoff"].as_str().expect("handoff").to_string();
    ok(d, &["--as", "Harbor Store", "handoff", "accept", &h]);
    // A lot without its quantity is no receipt line.
    refused(
        d,
        &[
            "--as",
            "Harbor Store",
            "finance",
            "receipt",
            "issue",
            "--owner",
            "Acme Farms",
            &beans,
        ],
        "QTY_REQUIRED",
    );
    let rid = pledged_receipt(d, &format!("{beans}(30)40"));
    let shown = show(d, "Harbor Store", &rid);
    assert_eq!(shown["asset"]["lots"][0]["quantity"], 40, "{shown}");
    let ship = |q: &str| {
        vec![
            "--as".to_string(),
            "Harbor Store".into(),
            "handoff".into(),
            "propose".into(),
            "--to".into(),
            "Corner Shop".into(),
            beans.clone(),
            "--qty".into(),
            q.into(),
        ]
    };
    let args = ship("70");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(d, &args, "PLEDGED");
    let ev = ok(d, &["--as", "First Bank", "finance", "evidence", &rid]);
    assert_eq!(ev["goods"][0]["quantity"], 40, "{ev}");
    assert_eq!(ev["goods"][0]["held"], 100, "{ev}");
    assert_eq!(ev["goods"][0]["flags"], serde_json::json!([]), "{ev}");
    let kinds: Vec<&str> = ev["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["move_refused"], "{ev}");
    let args = ship("60");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(d, &args);
    let ev = ok(d, &["--as", "First Bank", "finance", "evidence", &rid]);
    assert_eq!(ev["goods"][0]["held"], 40, "{ev}");
    assert_eq!(ev["goods"][0]["flags"], serde_json::json!([]), "{ev}");
}
