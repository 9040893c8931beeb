//! Supply-chain finance from a light node: four validator processes on loopback TCP and
//! the Registry's light node (`handoff light run`, its typed API over HTTP). The Registry
//! sells coffee to Corner Shop, which accepts the delivery on a full node; the light
//! node invoices the shop (its seal key published in the same queue), the shop confirms
//! on its full node, the light node asks First Bank for finance, the bank offers and
//! funds from its full node, and the light node accepts the offer in between. The light
//! node lists and shows the receivable from its own verified index with the terms sealed
//! to it opened by its key: face, balance, the bank's advance and fee. A step the seller
//! has no part in is refused with its code before anything is queued. Harbor Store
//! issues a warehouse receipt over the Registry's bag in its custody; the light node, the
//! goods' owner, pledges it to the bank, which accepts on its full node. After a restart
//! with no peer at all, it answers the same, as of its last block; a step that needs a
//! record its index does not hold says it cannot be read now.

mod common;

use common::light::{Light, wait_for};
use common::*;
use handoff_api::*;
use handoff_http::Client;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The receivable as the light node shows it, once its index has it in `status`.
fn shown_with(api: &Client, id: &str, status: &str) -> FinanceShowResponse {
    wait_for(
        &format!("the receivable {status} in the light index"),
        Duration::from_secs(120),
        || {
            api.call(&FinanceShowRequest { id: id.to_string() })
                .ok()
                .filter(|s| s.asset.status == status)
        },
    )
}

/// A full node's `finance show` as `who`, once the asset is in `status`.
fn full_with(dir: &Path, who: &str, id: &str, status: &str) -> Value {
    wait_for(
        &format!("the receivable {status} on the full node"),
        Duration::from_secs(120),
        || {
            let (code, json, _) = handoff(dir, &["--as", who, "finance", "show", id]);
            (code == 0 && json["asset"]["status"] == status).then_some(json)
        },
    )
}

#[test]
fn a_light_node_finances_its_own_receivable_and_shows_it_offline() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, _) = Cluster::testnet(&root);
    for i in 0..4 {
        c.start(i);
    }
    let n0 = c.dir(0);
    let g = gtin("0061414100001");
    let reg = |args: &[&str]| ok(&n0, &[&["--as", "Registry"][..], args].concat());
    reg(&["product", "define", "--gtin", &g, "--name", "Arabica 1 kg"]);
    let shop = ok(&n0, &["org", "add", "Corner Shop", "--role", "retailer"])["org"]
        .as_str()
        .expect("key")
        .to_string();
    let bank = ok(&n0, &["org", "add", "First Bank", "--role", "lender"])["org"]
        .as_str()
        .expect("key")
        .to_string();
    let bag = |s: &str| format!("(01){g}(21){s}");
    reg(&["item", "commission", &bag("F1"), &bag("F2"), &bag("F3")]);
    ok(&n0, &["org", "add", "Harbor Store", "--role", "warehouse"]);
    let delivery = reg(&[
        "handoff",
        "propose",
        "--to",
        "Corner Shop",
        "--ownership",
        &bag("F1"),
        &bag("F2"),
    ])["handoff"]
        .as_str()
        .expect("handoff")
        .to_string();
    ok(
        &n0,
        &["--as", "Corner Shop", "handoff", "accept", &delivery],
    );
    // The third bag to the warehouse, in its custody (the Registry signs nothing on a
    // full node once its light node numbers its transactions).
    let stored = reg(&["handoff", "propose", "--to", "Harbor Store", &bag("F3")])["handoff"]
        .as_str()
        .expect("handoff")
        .to_string();
    ok(&n0, &["--as", "Harbor Store", "handoff", "accept", &stored]);
    for org in ["Corner Shop", "First Bank"] {
        ok(&n0, &["--as", org, "finance", "enable"]);
    }
    let genesis = ok(&n0, &["genesis"])["genesis"]
        .as_str()
        .expect("genesis")
        .to_string();
    let mut light = Light::init(&root, "registry-light", "Registry", &genesis, &n0);
    let api = light.start(&c.ports);

    // The delivery is in the light node's own index once it has followed its blocks.
    wait_for("the delivery indexed", Duration::from_secs(120), || {
        api.call(&HandoffShowRequest {
            id: delivery.clone(),
        })
        .ok()
        .filter(|h| h.handoff.status == "accepted")
    });
    assert!(
        api.call(&FinanceListRequest {
            role: None,
            status: None
        })
        .expect("list")
        .assets
        .is_empty()
    );

    // The invoice, queued with the seal key the terms need (not yet on the chain).
    let issued = api
        .call(&ReceivableIssueRequest {
            buyer: shop.clone(),
            invoice: "INV-77".into(),
            currency: "EUR".into(),
            lines: vec![format!("{delivery}=1250.00")],
            due: Some("2099-12-31".into()),
        })
        .expect("issue queued");
    assert_eq!(issued.status, "queued", "{issued:?}");
    assert_eq!(issued.height, None);
    let queued = issued.queued.clone().expect("queued");
    assert_eq!(queued.len(), 2, "seal key, then the invoice: {issued:?}");
    assert_eq!(queued[1].tx, issued.tx);
    let id = issued.id.clone();

    let s = shown_with(&api, &id, "issued");
    let terms = s
        .asset
        .terms
        .clone()
        .unwrap_or_else(|| panic!("no terms sealed to the seller: {s:?}"));
    assert_eq!(terms.invoice.as_deref(), Some("INV-77"), "{s:?}");
    assert_eq!(terms.face.as_deref(), Some("1250.00"));
    assert_eq!(terms.outstanding.as_deref(), Some("1250.00"));
    assert!(terms.consistent, "{terms:?}");
    assert_eq!(s.asset.roles, vec!["seller", "holder"]);
    let names: Vec<&str> = s.asset.parties.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Registry", "Corner Shop", "Registry"]);
    assert_eq!(s.steps.len(), 1, "{s:?}");
    assert_eq!(s.steps[0].step, "receivable_issued");
    assert_eq!(s.steps[0].by, "Registry");

    // The shop confirms on its full node, where the terms sealed to it open too.
    let shop_view = full_with(&n0, "Corner Shop", &id, "issued");
    assert_eq!(shop_view["asset"]["terms"]["outstanding"], "1250.00");
    ok(
        &n0,
        &[
            "--as",
            "Corner Shop",
            "finance",
            "receivable",
            "confirm",
            &id,
        ],
    );
    shown_with(&api, &id, "confirmed");

    // A step the seller has no part in is refused with the ledger's code before it is
    // signed or queued.
    let before = api.call(&OutboxRequest {}).expect("outbox").entries.len();
    let e = api
        .call(&ReceivableRepayRequest {
            id: id.clone(),
            amount: "100".into(),
            reference: "PAY-1".into(),
        })
        .expect_err("only the buyer repays");
    assert_eq!(e.code, "ASSET_STATUS", "{e:?}");
    assert!(e.message.contains("Corner Shop"), "{e:?}");
    assert_eq!(
        api.call(&OutboxRequest {}).expect("outbox").entries.len(),
        before
    );

    // The light node asks First Bank; the bank offers and (after the light node accepts)
    // funds from its full node.
    let asked = api
        .call(&ReceivableRequestFinanceRequest {
            id: id.clone(),
            lender: bank.clone(),
        })
        .expect("request queued");
    assert_eq!(asked.queued.as_ref().map(Vec::len), Some(1), "{asked:?}");
    let bank_view = full_with(&n0, "First Bank", &id, "finance_requested");
    assert_eq!(bank_view["asset"]["terms"]["outstanding"], "1250.00");
    ok(
        &n0,
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
    shown_with(&api, &id, "offered");
    api.call(&ReceivableAcceptOfferRequest { id: id.clone() })
        .expect("accept queued");
    full_with(&n0, "First Bank", &id, "offer_accepted");
    ok(
        &n0,
        &["--as", "First Bank", "finance", "receivable", "fund", &id],
    );
    let funded = shown_with(&api, &id, "funded");
    let terms = funded.asset.terms.clone().expect("terms");
    assert_eq!(terms.advance.as_deref(), Some("1000.00"), "{terms:?}");
    assert_eq!(terms.fee.as_deref(), Some("12.50"));
    assert_eq!(terms.outstanding.as_deref(), Some("1250.00"));
    assert!(terms.consistent, "{terms:?}");
    let steps: Vec<&str> = funded.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        steps,
        [
            "receivable_issued",
            "receivable_confirmed",
            "finance_requested",
            "finance_offered",
            "offer_accepted",
            "receivable_funded"
        ]
    );
    assert_eq!(funded.steps[1].by, "Corner Shop");
    assert_eq!(funded.steps[3].by, "First Bank");
    // The same view as the seller's full node gives.
    let full = full_with(&n0, "Registry", &id, "funded");
    assert_eq!(
        serde_json::to_value(&funded).expect("json")["asset"],
        full["asset"]
    );
    let listed = api
        .call(&FinanceListRequest {
            role: Some("seller".into()),
            status: None,
        })
        .expect("list");
    assert_eq!(listed.assets.len(), 1, "{listed:?}");
    assert_eq!(listed.assets[0].id, id);
    // The lender's analytics read what a light node does not index.
    let e = api
        .call(&FinancePortfolioRequest { role: None })
        .expect_err("a full node's analytics");
    assert_eq!(e.code, "LIGHT_NODE", "{e:?}");

    // A warehouse receipt over the Registry's bag in Harbor Store's custody, pledged from
    // the light node (the Registry owns the goods) and accepted by the bank.
    let rid = ok(
        &n0,
        &[
            "--as",
            "Harbor Store",
            "finance",
            "receipt",
            "issue",
            "--owner",
            "Registry",
            &bag("F3"),
        ],
    )["id"]
        .as_str()
        .expect("receipt id")
        .to_string();
    let r = shown_with(&api, &rid, "issued");
    assert_eq!(r.asset.roles, vec!["owner"], "{r:?}");
    assert_eq!(r.asset.next, vec!["pledge"], "{r:?}");
    let pledged = api
        .call(&ReceiptPledgeRequest {
            id: rid.clone(),
            lender: bank.clone(),
        })
        .expect("pledge queued");
    assert_eq!(pledged.status, "queued", "{pledged:?}");
    let entry = wait_for(
        "the pledge out of the outbox",
        Duration::from_secs(120),
        || {
            api.call(&OutboxRequest {})
                .ok()?
                .entries
                .into_iter()
                .find(|e| e.tx == pledged.tx && e.status != "pending" && e.status != "submitted")
        },
    );
    assert_eq!(entry.status, "committed", "{entry:?}");
    full_with(&n0, "First Bank", &rid, "pledge_offered");
    ok(
        &n0,
        &[
            "--as",
            "First Bank",
            "finance",
            "receipt",
            "accept-pledge",
            &rid,
        ],
    );
    let r = shown_with(&api, &rid, "pledged");
    assert_eq!(r.asset.goods, vec![format!("/01/{g}/21/F3")], "{r:?}");
    let steps: Vec<&str> = r.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        steps,
        ["receipt_issued", "receipt_pledged", "pledge_accepted"]
    );
    let listed = api
        .call(&FinanceListRequest {
            role: None,
            status: None,
        })
        .expect("list");
    assert_eq!(listed.assets.len(), 2, "{listed:?}");

    // No peer at all: the same answers from disk, as of the last block indexed.
    light.stop();
    let api = light.start(&[]);
    let offline = api
        .call(&FinanceShowRequest { id: id.clone() })
        .expect("show offline");
    assert_eq!(offline, funded);
    let status = api.call(&StatusRequest {}).expect("status");
    assert_eq!(status.peers, Some(0), "{status:?}");
    // A step that needs a record the index does not hold (how much of the delivery is
    // invoiced) cannot be built on a guess.
    let e = api
        .call(&ReceivableIssueRequest {
            buyer: shop.clone(),
            invoice: "INV-78".into(),
            currency: "EUR".into(),
            lines: vec![format!("{delivery}=10.00")],
            due: None,
        })
        .expect_err("offline");
    assert_eq!(e.code, "PROOF_UNAVAILABLE", "{e:?}");
    light.stop();
}
