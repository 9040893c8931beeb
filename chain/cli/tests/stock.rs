//! Stock on hand and activity as a warehouse reads them each morning, through the real
//! `handoff` binary on a real chain: the demo chain, and a scenario built step by step
//! (commission, offer, accept with a missing item, pack, split a lot across handoffs),
//! with filters, expiry, CSV, and the HTTP door refusing another org's token.

use crate::common;

use common::*;
use handoff_api::*;
use handoff_http::Client;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// YYYY-MM-DD of the day `days` from today (UTC).
fn date_in(days: i64) -> String {
    let y = yymmdd_in(days);
    format!("20{}-{}-{}", &y[..2], &y[2..4], &y[4..])
}

/// YYMMDD of the day `days` from today (UTC).
fn yymmdd_in(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let z = now.div_euclid(86_400) + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{:02}{m:02}{d:02}", y % 100)
}

fn product<'a>(stock: &'a Value, gtin: &str) -> &'a Value {
    stock["products"]
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["gtin"] == gtin)
        .unwrap_or_else(|| panic!("no product {gtin} in {stock}"))
}

fn lines(stock: &Value) -> Vec<&Value> {
    stock["products"]
        .as_array()
        .expect("products")
        .iter()
        .flat_map(|p| p["lines"].as_array().expect("lines"))
        .collect()
}

/// Sum of the quantities of the lines that match `pred`.
fn qty(stock: &Value, pred: impl Fn(&Value) -> bool) -> u64 {
    lines(stock)
        .into_iter()
        .filter(|l| pred(l))
        .map(|l| l["quantity"].as_u64().expect("quantity"))
        .sum()
}

fn text(d: &Path, args: &[&str]) -> String {
    let out = Command::new(bin())
        .arg("--data")
        .arg(d)
        .args(args)
        .output()
        .expect("run handoff");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_demo_warehouse_sees_its_pallets_the_recall_and_the_next_delivery() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(d, &["demo", "--quiet"]);

    // Harbor Logistics received six pallets of 50 bags and the filter pallet; four went to
    // the grocer, a fifth is on its way there.
    let wh = ok(d, &["--as", "Harbor Logistics", "stock"]);
    assert_eq!(wh["org"]["name"], "Harbor Logistics");
    assert_eq!(wh["totals"]["containers"], 3, "{wh}");
    assert_eq!(wh["totals"]["items"], 100, "{wh}");
    assert_eq!(wh["totals"]["lot_quantity"], 160, "{wh}");
    let espresso = wh["products"]
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["name"] == "Northside Espresso Roast 250 g")
        .expect("espresso by name");
    assert_eq!(espresso["items"], 100);
    // Packed goods are where their pallet is, and the pallet on the road is in transit.
    assert_eq!(qty(&wh, |l| l["status"] == "in_transit"), 50, "{wh}");
    let filter = wh["products"]
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["name"] == "Northside Filter Roast 1 kg")
        .expect("filter roast");
    assert_eq!(filter["lines"][0]["status"], "recalled", "{filter}");
    assert_eq!(filter["lines"][0]["lot"], "F2610-07");
    assert_eq!(filter["lines"][0]["expiry"], "2027-08-31");
    let pallet_with_lot = wh["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["lot_quantity"] == 160)
        .expect("the filter pallet");
    assert_eq!(
        pallet_with_lot["contents"][0]["name"],
        "Northside Filter Roast 1 kg"
    );
    let wh_gln = wh["containers"][0]["location"].as_str().expect("a place");
    assert!(wh_gln.starts_with("0614142"), "{wh}");
    assert_eq!(wh["in_transit"].as_array().map(Vec::len), Some(1));

    // The grocer: three pallets and the unpacked one's bags (one missing at the
    // warehouse, twelve sold), the two gift tins not sold of four (claim codes), the
    // delivery expected from the warehouse.
    let gr = ok(d, &["--as", "Corner Grocer", "stock"]);
    assert_eq!(gr["totals"]["items"], 150 + 37 + 2, "{gr}");
    // Four pallets: three full, and the unpacked one, empty, still in the grocer's hands.
    assert_eq!(gr["totals"]["containers"], 4, "{gr}");
    let empty = gr["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .filter(|c| c["items"] == 0 && c["contents"].as_array().is_some_and(Vec::is_empty))
        .count();
    assert_eq!(empty, 1, "{gr}");
    assert_eq!(
        gr["arrivals"][0]["from"]["name"], "Harbor Logistics",
        "{gr}"
    );
    assert_eq!(
        gr["arrivals"][0]["handoffs"].as_array().map(Vec::len),
        Some(1)
    );
    // The unpacked bags are at the grocer's place, where their pallet was, with the two
    // gift tins the grocer has not sold.
    let loose = qty(&gr, |l| {
        l["container"].is_null()
            && l["location"]
                .as_str()
                .is_some_and(|g| g.starts_with("0614143"))
    });
    assert_eq!(loose, 37 + 2, "{gr}");

    // The bag missing at the warehouse stayed with the roaster, flagged.
    let ro = ok(
        d,
        &["--as", "Northside Roasters", "stock", "--status", "missing"],
    );
    assert_eq!(ro["totals"]["items"], 1, "{ro}");

    // Activity: the warehouse's latest transactions, newest first; none in the future.
    let act = ok(d, &["--as", "Harbor Logistics", "activity"]);
    let events = act["events"].as_array().expect("events");
    assert_eq!(events[0]["type"], "handoff_proposed", "{act}");
    assert!(events.len() >= 5, "{act}");
    // The demo's events are dated over six weeks by their devices; the ledger recorded
    // them just now.
    assert!(
        events[0]["event_time"].as_str() < events[0]["time"].as_str(),
        "{act}"
    );
    let since = ok(
        d,
        &["--as", "Harbor Logistics", "activity", "--since", "1h"],
    );
    assert_eq!(since["events"], act["events"]);
    let tomorrow = ok(
        d,
        &[
            "--as",
            "Harbor Logistics",
            "activity",
            "--since",
            &date_in(1),
        ],
    );
    assert_eq!(
        tomorrow["events"].as_array().map(Vec::len),
        Some(0),
        "{tomorrow}"
    );
    let bad = handoff(d, &["activity", "--since", "last tuesday"]);
    assert_eq!(bad.0, 2);
    assert_eq!(bad.1["error"]["code"], "BAD_TIME");
}

struct Node {
    child: std::process::Child,
    url: String,
    token: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn stock_follows_commission_offer_exception_packing_and_split_lots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = &dir.path().join("chain");
    let farm_gln = gtin("061414100000");
    let farm_gln = farm_gln.as_str();
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
            "--gln",
            farm_gln,
        ],
    );
    ok(d, &["org", "add", "Bolt Freight", "--role", "carrier"]);
    ok(d, &["org", "add", "Corner Shop", "--role", "retailer"]);
    let g13 = gtin("061414100001");
    let g = format!("0{g13}");
    let acme = |args: &[&str]| ok(d, &[&["--as", "Acme Farms"][..], args].concat());
    acme(&["product", "define", "--gtin", &g, "--name", "Arabica 1 kg"]);
    let soon = yymmdd_in(5);
    let later = yymmdd_in(400);
    let sn = |s: &str| format!("(01){g}(21){s}");
    acme(&[
        "item",
        "commission",
        &sn("SN1"),
        &sn("SN2"),
        &sn("SN3"),
        &sn("SN4"),
        "--lot",
        "L1",
        "--expiry",
        &soon,
        "--at",
        farm_gln,
    ]);
    let lot = format!("(01){g}(10)L2");
    acme(&[
        "item",
        "commission",
        &format!("(01){g}"),
        "--lot",
        "L2",
        "--qty",
        "100",
        "--expiry",
        &later,
        "--at",
        farm_gln,
    ]);

    // After commissioning: four items of lot L1, 100 of lot L2, all at the farm.
    let s = acme(&["stock"]);
    let p = product(&s, &g);
    assert_eq!(p["name"], "Arabica 1 kg");
    assert_eq!(
        (p["items"].as_u64(), p["lot_quantity"].as_u64()),
        (Some(4), Some(100)),
        "{s}"
    );
    // First expiry first: the L1 items come before the L2 lot.
    assert_eq!(p["lines"][0]["lot"], "L1", "{s}");
    assert_eq!(p["lines"][0]["expires_in_days"], 5, "{s}");
    assert_eq!(p["lines"][0]["location"], farm_gln);
    assert_eq!(s["totals"]["lines"], 2);

    // Offers: two items and 30 of the lot to the shop, 20 of the lot to the carrier.
    let h1 = acme(&[
        "handoff",
        "propose",
        "--to",
        "Corner Shop",
        &sn("SN1"),
        &sn("SN2"),
        &lot,
        "--qty",
        "30",
        "--ship-from",
        farm_gln,
    ])["handoff"]
        .as_str()
        .expect("id")
        .to_string();
    acme(&[
        "handoff",
        "propose",
        "--to",
        "Bolt Freight",
        &lot,
        "--qty",
        "20",
    ]);
    let s = acme(&["stock"]);
    assert_eq!(
        qty(&s, |l| l["status"] == "in_transit" && l["kind"] == "item"),
        2,
        "{s}"
    );
    assert_eq!(
        qty(&s, |l| l["status"] == "in_transit" && l["kind"] == "lot"),
        50,
        "{s}"
    );
    assert_eq!(
        qty(&s, |l| l["status"] == "in_stock" && l["kind"] == "lot"),
        50,
        "{s}"
    );
    assert_eq!(s["in_transit"].as_array().map(Vec::len), Some(2));
    let shop = ok(d, &["--as", "Corner Shop", "stock"]);
    assert_eq!(shop["totals"]["items"], 0);
    assert_eq!(shop["arrivals"][0]["from"]["name"], "Acme Farms", "{shop}");
    assert_eq!(shop["arrivals"][0]["handoffs"][0]["id"], h1.as_str());

    // The shop accepts; SN2 did not arrive and stays with the farm, flagged missing.
    ok(
        d,
        &[
            "--as",
            "Corner Shop",
            "handoff",
            "accept",
            &h1,
            "--missing",
            &sn("SN2"),
        ],
    );
    let shop = ok(d, &["--as", "Corner Shop", "stock"]);
    assert_eq!(shop["totals"]["items"], 1, "{shop}");
    assert_eq!(shop["totals"]["lot_quantity"], 30);
    assert!(shop["arrivals"].as_array().is_some_and(Vec::is_empty));
    let s = acme(&["stock"]);
    assert_eq!(qty(&s, |l| l["status"] == "missing"), 1, "{s}");
    assert_eq!(qty(&s, |l| l["kind"] == "item"), 3, "{s}");
    assert_eq!(qty(&s, |l| l["kind"] == "lot"), 70, "{s}");

    // Packing: two items and 10 of the lot on a pallet.
    let sscc = gtin("10614141000000001");
    let sscc = sscc.as_str();
    let pallet = &format!("(00){sscc}");
    acme(&[
        "item",
        "pack",
        "--into",
        pallet,
        &sn("SN3"),
        &sn("SN4"),
        &format!("{lot}(30)10"),
    ]);
    let s = acme(&["stock"]);
    let c = &s["containers"][0];
    assert_eq!(c["sscc"], sscc, "{s}");
    assert_eq!(
        (c["items"].as_u64(), c["lot_quantity"].as_u64()),
        (Some(2), Some(10)),
        "{s}"
    );
    // Packing records no place: the new pallet has none until an event says where it is.
    assert!(c["location"].is_null(), "{s}");
    assert_eq!(c["contents"][0]["name"], "Arabica 1 kg");
    assert_eq!(qty(&s, |l| l["container"] == sscc), 12, "{s}");
    assert_eq!(s["totals"]["items"], 3);
    assert_eq!(s["totals"]["lot_quantity"], 70);

    // Filters: product, lot, location, status, expiring within N days.
    let f = acme(&["stock", "--lot", "L2"]);
    assert_eq!(f["totals"]["items"], 0);
    assert_eq!(f["totals"]["lot_quantity"], 70, "{f}");
    let f = acme(&["stock", "--status", "in_transit"]);
    assert_eq!(f["totals"]["lot_quantity"], 20, "{f}");
    let f = acme(&["stock", "--expiring", "30"]);
    assert_eq!(
        (
            f["totals"]["items"].as_u64(),
            f["totals"]["lot_quantity"].as_u64()
        ),
        (Some(3), Some(0)),
        "{f}"
    );
    let f = acme(&["stock", "--expiring", "3"]);
    assert_eq!(f["totals"]["lines"], 0, "{f}");
    let f = acme(&["stock", "--at", &gtin("061414100009")]);
    assert_eq!(f["totals"]["lines"], 0, "{f}");
    let f = acme(&["stock", "--product", &g13]);
    assert_eq!(f["totals"]["products"], 1, "{f}");
    for (args, code) in [
        (&["stock", "--status", "lost"][..], "BAD_STATUS"),
        (&["stock", "--at", "12"][..], "BAD_GLN"),
    ] {
        let (exit, j, _) = handoff(d, &[&["--as", "Acme Farms"][..], args].concat());
        assert_eq!((exit, j["error"]["code"].as_str()), (2, Some(code)), "{j}");
    }

    // CSV: a header and one row per line; text names the product, not its key.
    let csv = text(d, &["--as", "Acme Farms", "stock", "--csv"]);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "gtin,product,kind,lot,expiry,expires_in_days,location,status,container,quantity"
    );
    assert_eq!(
        rows.len() as u64 - 1,
        s["totals"]["lines"].as_u64().expect("lines")
    );
    assert!(
        rows.iter()
            .any(|r| r.contains(",missing,") && r.ends_with(",1")),
        "{csv}"
    );
    let t = text(d, &["--as", "Acme Farms", "stock"]);
    assert!(t.contains("Arabica 1 kg") && t.contains(sscc), "{t}");

    // Activity since a time: the pack is the newest.
    let a = acme(&["activity", "--since", "1h"]);
    assert_eq!(a["events"][0]["type"], "pack", "{a}");

    // The HTTP door: stock is the org's own business.
    let shop_token = ok(d, &["node", "token", "Corner Shop"])["token"]
        .as_str()
        .expect("token")
        .to_string();
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(d)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{}", free_port()));
    let log = std::fs::File::create(dir.path().join("node.log")).expect("log");
    let child = spawn_ready(&mut cmd, log, "node");
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json");
    let node = Node {
        child,
        url: format!("http://{}", f["http"].as_str().expect("http")),
        token: f["token"].as_str().expect("token").to_string(),
    };
    let all = StockRequest {
        product: None,
        lot: None,
        at: None,
        status: None,
        expiring_days: None,
    };
    let shop = Client::new(&node.url, Some(&shop_token));
    let own = shop.call(&all).expect("the shop's own stock");
    assert_eq!(own.org.name, "Corner Shop");
    assert_eq!(own.totals.lot_quantity, 30);
    let e = shop
        .call_as(Some("Acme Farms"), &all)
        .expect_err("the farm's stock with the shop's token");
    assert_eq!(
        (e.code.as_str(), e.http_status()),
        ("IDENTITY_FORBIDDEN", 403),
        "{e:?}"
    );
    let e = Client::new(&node.url, None)
        .call(&all)
        .expect_err("no token");
    assert_eq!(e.http_status(), 401, "{e:?}");
    let e = Client::new(&node.url, None)
        .call(&ActivityRequest {
            since: None,
            limit: 5,
        })
        .expect_err("no token");
    assert_eq!(e.http_status(), 401, "{e:?}");
    // The node's own token reads the farm's.
    let farm = Client::new(&node.url, Some(&node.token))
        .call_as(Some("Acme Farms"), &all)
        .expect("the owner reads the farm's stock");
    assert_eq!(farm.totals.items, 3);
}
