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
//! record its index does not hold says it cannot be read now. Its portfolio, CSV export
//! and evidence equal the full node's for the Registry, online (goods proven at the
//! newest header) and offline (from its index, saying so), with the alert of its own
//! refused attempt to hand on the pledged bag.

use crate::common;

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

/// The status of outbox entry `tx` once the chain has decided it.
fn settled(api: &Client, tx: &str, what: &str) -> String {
    wait_for(
        &format!("{what} out of the outbox"),
        Duration::from_secs(120),
        || {
            api.call(&OutboxRequest {})
                .ok()?
                .entries
                .into_iter()
                .find(|e| e.tx == tx && e.status != "pending" && e.status != "submitted")
        },
    )
    .status
}

/// The full node's portfolio as the Registry.
fn full_portfolio(n0: &Path) -> FinancePortfolioResponse {
    let (code, json, err) = handoff(n0, &["--as", "Registry", "finance", "portfolio"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_value(json).expect("a portfolio")
}

/// The full node's portfolio CSV as the Registry.
fn full_csv(root: &Path, n0: &Path) -> String {
    let file = root.join("portfolio.csv");
    let out = file.display().to_string();
    let args = [
        "--as", "Registry", "finance", "export", "--format", "csv", "--output", &out,
    ];
    let (code, _, err) = handoff(n0, &args);
    assert_eq!(code, 0, "{err}");
    std::fs::read_to_string(&file).expect("the CSV")
}

/// The full node's evidence of `id` as the Registry.
fn full_evidence(n0: &Path, id: &str) -> FinanceEvidenceResponse {
    let (code, json, err) = handoff(n0, &["--as", "Registry", "finance", "evidence", id]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_value(json).expect("evidence")
}

/// What a light node's answer says of how it was read (its height is its index's, its
/// time its own): left out when it is compared with a full node's.
const HOW_READ: [&str; 4] = ["height", "as_of_ms", "light", "proven_at"];

/// `v` as JSON without the top-level fields `skip`.
fn without(v: &impl serde::Serialize, skip: &[&str]) -> Value {
    let mut v = serde_json::to_value(v).expect("json");
    if let Some(o) = v.as_object_mut() {
        for k in skip {
            o.remove(*k);
        }
    }
    v
}

/// A light node's portfolio against a full node's: everything but how it was read and
/// the delivery counts' scope (a light node counts the deliveries its index holds: to
/// its org and behind its assets; here the full node's counts are those too).
fn same_portfolio(light: &FinancePortfolioResponse, full: &FinancePortfolioResponse) {
    assert_eq!(full.light, None);
    let mut light = light.clone();
    for c in &mut light.counterparties {
        assert_eq!(c.deliveries_scope.as_deref(), Some("indexed"), "{c:?}");
        c.deliveries_scope = None;
    }
    assert_eq!(without(&light, &HOW_READ), without(full, &HOW_READ));
}

/// A light node's evidence against a full node's: the asset, its steps, every line or
/// good, the match and the alerts.
fn same_evidence(light: &FinanceEvidenceResponse, full: &FinanceEvidenceResponse) {
    assert!(light.light.is_some() && full.light.is_none());
    assert_eq!(without(light, &HOW_READ), without(full, &HOW_READ));
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
    assert_eq!(settled(&api, &pledged.tx, "the pledge"), "committed");
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

    // The light node (the goods' owner) tries to hand the pledged bag on: the chain
    // refuses it (PLEDGED), and the attempt is an alert on the receipt, in its own
    // index as on the full node.
    let offer: ProposeRequest =
        serde_json::from_value(serde_json::json!({"to": shop, "scans": [bag("F3")]}))
            .expect("an offer");
    let tried = api.call(&offer).expect("offer queued");
    assert_eq!(
        settled(&api, &tried.tx, "the offer of the pledged bag"),
        "rejected"
    );

    // Portfolio, export and evidence from the light node: the full node's answers for
    // the same org (amounts, statuses, counts, alerts), read from its index and proven
    // reads.
    let light_pf = wait_for(
        "the refused move in the light portfolio",
        Duration::from_secs(120),
        || {
            api.call(&FinancePortfolioRequest { role: None })
                .ok()
                .filter(|p| p.alerts.iter().any(|a| a.kind == "move_refused"))
        },
    );
    let full_pf = full_portfolio(&n0);
    same_portfolio(&light_pf, &full_pf);
    let f = light_pf
        .light
        .clone()
        .expect("a light node says how fresh it is");
    assert!(f.peers > 0, "{f:?}");
    assert!(light_pf.proven_at.is_some(), "online: proven reads");
    assert_eq!(light_pf.rows.len(), 2, "{light_pf:?}");
    let refused: Vec<&FinanceAlertView> = light_pf
        .alerts
        .iter()
        .filter(|a| a.kind == "move_refused")
        .collect();
    assert_eq!(refused.len(), 1, "{light_pf:?}");
    assert_eq!(refused[0].asset, rid);
    assert!(
        refused[0].message.starts_with("Registry tried"),
        "{refused:?}"
    );
    let csv = |r: &FinanceExportResponse| {
        use base64::Engine;
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(&r.data_base64)
                .expect("base64"),
        )
        .expect("utf-8")
    };
    let light_csv = csv(&api
        .call(&FinanceExportRequest {
            id: None,
            format: "csv".into(),
        })
        .expect("export"));
    assert_eq!(light_csv, full_csv(&root, &n0));
    assert!(
        light_csv.contains("INV-77") && light_csv.contains("1250.00"),
        "{light_csv}"
    );
    for asset in [&id, &rid] {
        let e = api
            .call(&FinanceEvidenceRequest { id: asset.clone() })
            .expect("evidence");
        same_evidence(&e, &full_evidence(&n0, asset));
        assert!(e.proven_at.is_some(), "{e:?}");
    }

    // No peer at all: the same answers from disk, as of the last block indexed.
    light.stop();
    let api = light.start(&[]);
    let offline = api
        .call(&FinanceShowRequest { id: id.clone() })
        .expect("show offline");
    assert_eq!(offline, funded);
    let pf = api
        .call(&FinancePortfolioRequest { role: None })
        .expect("portfolio offline");
    same_portfolio(&pf, &full_pf);
    let f = pf.light.clone().expect("freshness");
    assert_eq!(f.peers, 0, "{f:?}");
    assert_eq!(f.height, pf.height);
    assert_eq!(
        pf.proven_at, None,
        "offline: from the index, as of its last block"
    );
    let e = api
        .call(&FinanceEvidenceRequest { id: id.clone() })
        .expect("evidence offline");
    same_evidence(&e, &full_evidence(&n0, &id));
    assert_eq!(e.proven_at, None);
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
