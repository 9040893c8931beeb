//! Light nodes that know everything about their own org: four validator processes on
//! loopback TCP (one of them lying to light nodes), a warehouse's and a retailer's light
//! node. The warehouse's light node shows its inbox from its own verified index, accepts
//! a pallet with exceptions, shows its stock and activity; a peer that serves headers
//! whose filter leaves the warehouse out, and blocks that do not match their headers, is
//! refused; after a restart with no peer at all the stock still answers, as of the last
//! block indexed. The retailer's light node receives what the warehouse sends on.

use crate::common;

use common::light::{Light, wait_for};
use common::*;
use handoff_api::*;
use handoff_http::Client;
use std::time::{Duration, Instant};

fn all() -> StockRequest {
    StockRequest {
        product: None,
        lot: None,
        at: None,
        status: None,
        expiring_days: None,
    }
}

fn refused(c: &Client) -> Vec<String> {
    c.call(&StatusRequest {})
        .ok()
        .and_then(|s| s.refused)
        .unwrap_or_default()
}

/// Items and lot quantity of `status` in a stock answer.
fn count(s: &StockResponse, status: &str) -> u64 {
    s.products
        .iter()
        .flat_map(|p| &p.lines)
        .filter(|l| l.status == status)
        .map(|l| l.quantity)
        .sum()
}

#[test]
fn light_nodes_follow_their_orgs_past_a_lying_peer_and_answer_offline() {
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, _) = Cluster::testnet(&root);
    // Three of four validators decide blocks; the fourth joins once the warehouse's key
    // is known, lying to light nodes about it.
    for i in 0..3 {
        c.start(i);
    }
    let n0 = c.dir(0);
    let g = gtin("0061414100001");
    let reg = |args: &[&str]| ok(&n0, &[&["--as", "Registry"][..], args].concat());
    reg(&["product", "define", "--gtin", &g, "--name", "Arabica 1 kg"]);
    let wh = ok(
        &n0,
        &["org", "add", "Harbor Warehouse", "--role", "warehouse"],
    );
    let wh_key = wh["org"].as_str().expect("key").to_string();
    let shop_key = ok(&n0, &["org", "add", "Corner Shop", "--role", "retailer"])["org"]
        .as_str()
        .expect("key")
        .to_string();
    let bag = |s: &str| format!("(01){g}(21){s}");
    reg(&[
        "item",
        "commission",
        &bag("B1"),
        &bag("B2"),
        &bag("B3"),
        &bag("B4"),
        "--lot",
        "L1",
        "--expiry",
        "301231",
    ]);
    let sscc = gtin("10614141000000001");
    let pallet = format!("(00){sscc}");
    reg(&[
        "item",
        "pack",
        "--into",
        &pallet,
        &bag("B1"),
        &bag("B2"),
        &bag("B3"),
    ]);
    let offer = reg(&[
        "handoff",
        "propose",
        "--to",
        "Harbor Warehouse",
        &pallet,
        &bag("B4"),
    ])["handoff"]
        .as_str()
        .expect("offer")
        .to_string();
    c.start_with(3, &[("HANDOFF_FAULT_HIDE_ORG", wh_key.as_str())]);
    let genesis = ok(&n0, &["genesis"])["genesis"]
        .as_str()
        .expect("genesis")
        .to_string();
    let mut warehouse = Light::init(&root, "warehouse", "Harbor Warehouse", &genesis, &n0);
    let mut shop = Light::init(&root, "shop", "Corner Shop", &genesis, &n0);
    let liar = [c.ports[3]];
    let honest = c.ports[..3].to_vec();

    // Only the lying peer: its headers leave the warehouse out of their filters, which
    // then do not hash to the certified headers' roots. Refused; nothing is indexed.
    let api = warehouse.start(&liar);
    let why = wait_for("the lying filter refused", Duration::from_secs(60), || {
        refused(&api).into_iter().find(|r| r.contains("filter"))
    });
    assert!(why.contains("does not match"), "{why}");
    let e = api.call(&InboxRequest {}).expect_err("nothing indexed");
    assert_eq!(e.code, "NOT_INDEXED_YET", "{e:?}");
    warehouse.stop();

    // The fourth validator now lies in another way: its filters are intact, its blocks
    // are not (each one's first outcome changed), so a block does not match its
    // certified header. The retailer's light node refuses it.
    c.kill(3);
    c.start_with(3, &[("HANDOFF_FAULT_BAD_BLOCKS", "1")]);
    let sapi = shop.start(&liar);
    let why = wait_for("the lying block refused", Duration::from_secs(60), || {
        refused(&sapi).into_iter().find(|r| r.starts_with("block "))
    });
    assert!(why.contains("refused"), "{why}");
    let st = sapi.call(&StatusRequest {}).expect("status");
    let index = st.index.expect("index");
    assert!(
        index.tip > index.height,
        "indexed past a refused block: {index:?}"
    );
    shop.stop();
    eprintln!("lying peer refused after {:?}", t0.elapsed());

    // Honest peers (and the liar among them): the warehouse's inbox from its own index,
    // with the pallet and the loose bag, named and counted.
    let api = warehouse.start(&c.ports);
    let inbox = wait_for("the offer in the inbox", Duration::from_secs(120), || {
        api.call(&InboxRequest {})
            .ok()
            .filter(|i| i.incoming.iter().any(|h| h.id == offer))
    });
    let h = &inbox.incoming[0];
    assert_eq!(h.from.name, "Registry");
    assert_eq!(h.entries.len(), 2, "{h:?}");
    assert!(inbox.light.is_some(), "the answer says how fresh it is");
    let s = api.call(&all()).expect("stock");
    assert_eq!(s.totals.items, 0, "nothing received yet: {s:?}");
    assert_eq!(s.arrivals.len(), 1, "{s:?}");
    assert_eq!(s.arrivals[0].from.name, "Registry");

    // Accepted with exceptions: B3 missing from the pallet, B4 damaged.
    let a = api
        .call(&AcceptRequest {
            id: offer.clone(),
            missing: vec![bag("B3")],
            damaged: vec![bag("B4")],
        })
        .expect("accept queued");
    assert!(a.queued.is_some(), "{a:?}");
    let s = wait_for("the pallet in stock", Duration::from_secs(120), || {
        api.call(&all()).ok().filter(|s| s.containers.len() == 1)
    });
    let p = s.products.iter().find(|p| p.gtin == g).expect("the coffee");
    assert_eq!(p.name, "Arabica 1 kg", "names, not keys");
    assert_eq!(count(&s, "in_stock"), 2, "B1 and B2 on the pallet: {s:?}");
    // Excepted goods stay with the sender (flagged there), as on a full node.
    assert_eq!(count(&s, "damaged"), 0, "B4 is the sender's: {s:?}");
    assert_eq!(s.totals.items, 2, "{s:?}");
    assert_eq!(s.containers[0].sscc, sscc);
    assert_eq!(s.containers[0].items, 2, "{s:?}");
    assert!(s.arrivals.is_empty(), "{s:?}");
    let shown = api
        .call(&HandoffShowRequest { id: offer.clone() })
        .expect("handoff")
        .handoff;
    assert_eq!(shown.status, "accepted");
    assert_eq!(shown.missing.len(), 1, "{shown:?}");
    assert_eq!(shown.damaged.len(), 1, "{shown:?}");
    let act = api
        .call(&ActivityRequest {
            since: None,
            limit: 50,
        })
        .expect("activity");
    let kinds: Vec<&str> = act.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"handoff_accepted"), "{kinds:?}");
    assert!(kinds.contains(&"handoff_proposed"), "{kinds:?}");
    // The full nodes agree on what the warehouse holds.
    let full = ok(&n0, &["--as", "Harbor Warehouse", "stock"]);
    assert_eq!(full["totals"]["items"], s.totals.items, "{full}");
    assert_eq!(full["totals"]["containers"], s.totals.containers, "{full}");
    let indexed = api
        .call(&StatusRequest {})
        .expect("status")
        .index
        .expect("index");
    warehouse.stop();

    // Restarted with no peer at all: the stock answers from disk, as of its last block.
    let api = warehouse.start(&[]);
    let s2 = api.call(&all()).expect("offline stock");
    assert_eq!(s2.totals, s.totals);
    let f = s2.light.expect("freshness");
    assert_eq!((f.peers, f.height), (0, indexed.height), "{f:?}");
    assert!(f.checked.is_some(), "{f:?}");
    assert_eq!(
        api.call(&InboxRequest {})
            .expect("offline inbox")
            .incoming
            .len(),
        0
    );
    warehouse.stop();

    // The warehouse sends the pallet on to the retailer, whose light node finds the
    // offer in its own inbox and accepts it; the warehouse's stock lets it go.
    let api = warehouse.start(&honest);
    let sent = api
        .call(&ProposeRequest {
            to: shop_key.clone(),
            scans: vec![pallet.clone()],
            transfer: TransferKind::Custody,
            qty: None,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_in: None,
        })
        .expect("offer queued");
    let sapi = shop.start(&honest);
    wait_for("the offer at the shop", Duration::from_secs(120), || {
        sapi.call(&InboxRequest {})
            .ok()
            .filter(|i| i.incoming.iter().any(|h| h.id == sent.handoff))
    });
    sapi.call(&AcceptRequest {
        id: sent.handoff.clone(),
        missing: vec![],
        damaged: vec![],
    })
    .expect("accept queued");
    let shop_stock = wait_for("the pallet at the shop", Duration::from_secs(120), || {
        sapi.call(&all()).ok().filter(|s| s.containers.len() == 1)
    });
    assert_eq!(count(&shop_stock, "in_stock"), 2, "{shop_stock:?}");
    let left = wait_for(
        "the warehouse's stock without the pallet",
        Duration::from_secs(120),
        || api.call(&all()).ok().filter(|s| s.containers.is_empty()),
    );
    assert_eq!(left.totals.items, 0, "{left:?}");
    warehouse.stop();
    shop.stop();
    eprintln!("done after {:?}", t0.elapsed());
}
