//! Supply-chain finance through the real `handoff` binary on a real chain: a farm invoices
//! a shop for an accepted delivery, splits part of the claim to its mill, asks a bank to
//! finance the rest; the bank reads the terms sealed to it, offers, funds and settles once
//! the shop has paid. A warehouse receipt is pledged and the pledged goods cannot move
//! until the bank releases them. Every org acts with its own key; only the parties read
//! the amounts.

mod common;

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
    ok(
        d,
        &["--as", "First Bank", "finance", "receipt", "release", &rid],
    );
    ok(d, &ship);
}
