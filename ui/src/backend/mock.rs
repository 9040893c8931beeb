//! The mock backend for UI tests and for opening the UI in a plain browser: an in-memory
//! slice of the demo chain, built from real `handoff --json` outputs (`ui/fixtures/`),
//! that follows the main ledger rules (only the custodian ships, only the recipient
//! accepts, missing items stay with the sender) and parses scans with the real GS1 parser.
//!
//! With `?mock=light` in the page's address (or after "join a network" with a genesis)
//! the mock is a light node: status, reads "verified against block N", actions queued in
//! an outbox that already holds a committed, a rejected and a submitted entry, and
//! `LIGHT_NODE` for what needs a full node's indexes.

use super::{ApiError, Res};
use handoff_core::gs1;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::BTreeMap;

const STATUS: &str = include_str!("../../fixtures/status.json");
const ORGS: &str = include_str!("../../fixtures/orgs.json");
const BAG: &str = include_str!("../../fixtures/item_show_bag.json");
const MISSING_BAG: &str = include_str!("../../fixtures/item_show_missing.json");
const PALLET: &str = include_str!("../../fixtures/item_show_pallet.json");
const LOT: &str = include_str!("../../fixtures/item_show_lot.json");
const HISTORY: &str = include_str!("../../fixtures/item_history_bag.json");
const INBOX: &str = include_str!("../../fixtures/inbox_grocer.json");
const PRODUCT: &str = include_str!("../../fixtures/product.json");
const VERIFY_RECALLED: &str = include_str!("../../fixtures/verify_recalled.json");

/// Identities the mock desktop holds, as in the demo folder.
const IDENTITIES: &[&str] = &["Harbor Logistics", "Corner Grocer", "Northside Roasters"];

struct Mock {
    me: String,
    height: u64,
    items: BTreeMap<String, Value>,
    extra_events: BTreeMap<String, Vec<Value>>,
    handoffs: Vec<Value>,
    orgs: Vec<Value>,
    peers: Vec<String>,
    /// Runs as a light node.
    light: bool,
    /// The light node's outbox.
    outbox: Vec<Value>,
}

/// Whether the page asked for the light-node mock (`?mock=light`).
fn light_requested() -> bool {
    use js_sys::Reflect;
    // Unit tests run natively, where there is no page.
    if !cfg!(target_arch = "wasm32") {
        return false;
    }
    web_sys::window()
        .and_then(|w| Reflect::get(&w, &"location".into()).ok())
        .and_then(|l| Reflect::get(&l, &"search".into()).ok())
        .and_then(|s| s.as_string())
        .is_some_and(|s| s.contains("mock=light"))
}

/// A string argument of a command (empty when absent).
fn arg_str(a: &Value, k: &str) -> String {
    a[k].as_str().unwrap_or_default().to_string()
}

/// A list-of-strings argument of a command (empty when absent).
fn arg_list(a: &Value, k: &str) -> Vec<String> {
    a[k].as_array()
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn light_node_error(what: &str) -> ApiError {
    ApiError::new(
        "LIGHT_NODE",
        format!(
            "{what} needs a full node: this app runs as a light node, which verifies single \
             records against certified block headers but keeps no indexes of the chain. Use \
             the app of a full node (or `handoff node run`) for it."
        ),
    )
}

/// A transaction id that looks like one (SplitMix64 of the entry number, four times).
fn tx_hex(n: u64) -> String {
    let mut x = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (0..4)
        .map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            format!("{:016x}", z ^ (z >> 31))
        })
        .collect()
}

/// The outbox a light node has after a day's work: one committed, one refused by a rule,
/// one waiting for its block.
fn seeded_outbox() -> Vec<Value> {
    let bag = |n: u32| format!("/01/00614141025015/21/E261000{n:03}");
    vec![
        json!({"seq": 1, "tx": tx_hex(1), "nonce": 0, "status": "committed", "height": 1498,
               "index": 0, "code": null, "message": null, "kind": "commission",
               "items": [bag(264)], "handoff": null}),
        json!({"seq": 2, "tx": tx_hex(2), "nonce": 1, "status": "rejected", "height": 1503,
               "index": null, "code": "NOT_CUSTODIAN",
               "message": format!("Harbor Logistics is not the custodian of {}", bag(18)),
               "kind": "handoff_proposed", "items": [bag(18)], "handoff": null}),
        json!({"seq": 3, "tx": tx_hex(3), "nonce": 2, "status": "submitted", "height": null,
               "index": null, "code": null, "message": null, "kind": "commission",
               "items": [bag(265)], "handoff": null}),
    ]
}

/// The head of what `id_parse` answers for a scan: its kind of key, canonical form,
/// Digital Link and how it was written.
fn scan_view(sc: &gs1::Scan) -> Value {
    let key = match &sc.key {
        gs1::Gs1Key::Gtin { .. } => "gtin",
        gs1::Gs1Key::Serial { .. } => "serial",
        gs1::Gs1Key::Lot { .. } => "lot",
        gs1::Gs1Key::Sscc { .. } => "sscc",
        gs1::Gs1Key::Gln { .. } => "gln",
    };
    json!({"key": key, "canonical": sc.key.canonical(),
           "uri": sc.key.digital_link("https://id.gs1.org"), "form": sc.form})
}

fn s_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

fn org_ref(orgs: &[Value], name: &str) -> Value {
    let key = orgs
        .iter()
        .find(|o| o["name"] == name)
        .and_then(|o| o["key"].as_str())
        .unwrap_or_default();
    json!({"key": key, "name": name})
}

impl Mock {
    fn new() -> Mock {
        let orgs = parse(ORGS)["orgs"].as_array().cloned().unwrap_or_default();
        let mut items = BTreeMap::new();
        let bag = parse(BAG)["item"].clone();
        for f in [BAG, MISSING_BAG, PALLET, LOT] {
            let v = parse(f)["item"].clone();
            if let Some(k) = v["key"].as_str() {
                items.insert(k.to_string(), v.clone());
            }
        }
        // The pallet's bags, and a few loose bags at the warehouse.
        let pallet = parse(PALLET)["item"].clone();
        let harbor = org_ref(&orgs, "Harbor Logistics");
        let contents: Vec<String> = pallet["contents"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|e| e["key"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for k in &contents {
            let mut b = bag.clone();
            b["key"] = json!(k);
            b["custodian"] = harbor.clone();
            b["container"] = json!(pallet["key"]);
            items.insert(k.clone(), b);
        }
        for n in 260..=263 {
            let k = format!("/01/00614141025015/21/E261000{n}");
            let mut b = bag.clone();
            b["key"] = json!(k);
            b["custodian"] = harbor.clone();
            items.insert(k, b);
        }
        let handoffs = parse(INBOX)["incoming"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Mock {
            me: IDENTITIES[0].to_string(),
            height: parse(STATUS)["height"].as_u64().unwrap_or(25),
            items,
            extra_events: BTreeMap::new(),
            handoffs,
            orgs,
            peers: Vec::new(),
            light: false,
            outbox: Vec::new(),
        }
    }

    fn new_light() -> Mock {
        let mut m = Mock::new();
        m.light = true;
        m.height = 1520;
        m.peers = vec!["/ip4/10.0.0.5/tcp/4001".into()];
        m.outbox = seeded_outbox();
        m
    }

    fn open_outbox(&self) -> usize {
        self.outbox
            .iter()
            .filter(|e| e["status"] == "pending" || e["status"] == "submitted")
            .count()
    }

    fn outbox_counts(&self) -> Value {
        let n = |st: &str| self.outbox.iter().filter(|e| e["status"] == st).count();
        json!({"pending": n("pending"), "submitted": n("submitted"),
               "committed": n("committed"), "rejected": n("rejected")})
    }

    /// Queues one transaction per item list in the light outbox.
    fn queue(&mut self, kind: &str, items: Vec<Vec<String>>, handoff: Option<String>) -> Value {
        let mut rows = Vec::new();
        let made: Vec<String> = if kind == "commission" {
            items.iter().flatten().cloned().collect()
        } else {
            Vec::new()
        };
        for its in items {
            let seq = self.outbox.len() as u64 + 1;
            let e = json!({"seq": seq, "tx": tx_hex(seq), "nonce": seq - 1, "status": "pending",
                           "height": null, "index": null, "code": null, "message": null,
                           "kind": kind, "items": its, "handoff": handoff});
            rows.push(json!({"seq": seq, "tx": e["tx"], "nonce": e["nonce"]}));
            self.outbox.push(e);
        }
        let tx = rows.first().map(|r| r["tx"].clone()).unwrap_or(Value::Null);
        // A light node names the handoff a proposal opens by its transaction.
        let handoff = handoff.map(Value::from).unwrap_or_else(|| tx.clone());
        json!({"queued": rows, "tx": tx, "height": null, "items": made, "handoff": handoff})
    }

    fn next_id(&mut self) -> String {
        self.height += 1;
        format!("{:064x}", 0xabc0_0000_u64 + self.height)
    }

    fn receipt(&mut self) -> Value {
        let tx = self.next_id();
        json!({"height": self.height, "tx": tx})
    }

    fn canonical(code: &str) -> Result<String, ApiError> {
        gs1::parse_scan(code)
            .map(|s| s.key.canonical())
            .map_err(|e| ApiError::new(e.code.as_str(), e.message))
    }

    fn item(&self, canonical: &str) -> Result<&Value, ApiError> {
        self.items.get(canonical).ok_or_else(|| {
            ApiError::new(
                "UNKNOWN_ITEM",
                format!("{canonical} was never commissioned"),
            )
        })
    }

    fn me_ref(&self) -> Value {
        org_ref(&self.orgs, &self.me)
    }

    fn status(&self) -> Value {
        let mut s = parse(STATUS);
        s["height"] = json!(self.height);
        let ids: Vec<Value> = IDENTITIES
            .iter()
            .map(|n| {
                let r = org_ref(&self.orgs, n);
                json!({"name": n, "org": r["key"], "org_name": n})
            })
            .collect();
        s["identity"] = ids
            .iter()
            .find(|i| i["name"] == self.me.as_str())
            .cloned()
            .unwrap_or(Value::Null);
        s["identities"] = json!(ids);
        s["data_dir"] = json!("(mock)");
        if self.light {
            s["mode"] = json!("light");
            s["peers"] = json!(2);
            s["outbox"] = json!(self.open_outbox());
            s["outbox_counts"] = self.outbox_counts();
        } else {
            s["mode"] = json!("mock");
            s["peers"] = json!(0);
            s["outbox"] = json!(0);
        }
        s
    }

    fn event(&self, kind: &str, subject: &str, extra: Value) -> Value {
        let by = self.me_ref()["key"].clone();
        let e_tx = tx_hex(self.height);
        let mut e = json!({
            "type": kind,
            "subject": subject,
            "by": by,
            "by_name": self.me,
            "signer": by,
            "height": self.height,
            "index": 0,
            "time": "2026-11-24T12:00:00.000Z",
            "time_ms": 1_795_521_600_000_i64,
            "record_time": "2026-11-24T12:00:00.000Z",
            "tx": e_tx,
            "via": "self",
        });
        if let (Some(o), Some(x)) = (e.as_object_mut(), extra.as_object()) {
            o.extend(x.clone());
        }
        e
    }

    fn moved_with(&self, canonical: &str) -> Vec<String> {
        let mut out = vec![canonical.to_string()];
        if let Some(c) = self
            .items
            .get(canonical)
            .and_then(|i| i["contents"].as_array())
        {
            out.extend(c.iter().filter_map(|e| e["key"].as_str().map(String::from)));
        }
        out
    }

    fn call(&mut self, cmd: &str, a: &Value) -> Res<Value> {
        let s = |k: &str| arg_str(a, k);
        let list = |k: &str| arg_list(a, k);
        if self.light {
            match cmd {
                "history" => return Err(light_node_error("An item's full history")),
                "inbox" => return Err(light_node_error("The inbox of open handoffs")),
                "reject" | "cancel" => return Err(light_node_error("Answering an offer")),
                "define_product" | "pack" | "unpack" | "product" => {
                    return Err(light_node_error("Products and packing"));
                }
                "outbox" => {
                    return Ok(
                        json!({"entries": self.outbox, "counts": self.outbox_counts(),
                               "tip": self.height, "account_nonce": self.outbox.len(),
                               "running": true, "mode": "light"}),
                    );
                }
                "lookup" => {
                    let mut v = self.call_embedded("lookup", a)?;
                    v["verdict"] = Value::Null;
                    v["verified"] = json!({"height": self.height,
                        "state_root": tx_hex(self.height + 1), "header_hash": tx_hex(self.height + 2)});
                    return Ok(v);
                }
                "commission" => {
                    let mut items = Vec::new();
                    for code in list("codes") {
                        items.push(vec![Self::canonical(&code)?]);
                    }
                    return Ok(self.queue("commission", items, None));
                }
                "propose" => {
                    let mut items = Vec::new();
                    for code in list("codes") {
                        items.push(Self::canonical(&code)?);
                    }
                    if items.is_empty() {
                        return Err(ApiError::new("EMPTY_HANDOFF", "nothing to hand off"));
                    }
                    return Ok(self.queue("handoff_proposed", vec![items], None));
                }
                "accept" => {
                    let id = s("id");
                    let missing = list("missing");
                    return Ok(self.queue("handoff_accepted", vec![missing], Some(id)));
                }
                _ => {}
            }
        }
        self.call_embedded(cmd, a)
    }

    fn call_embedded(&mut self, cmd: &str, a: &Value) -> Res<Value> {
        let s = |k: &str| arg_str(a, k);
        let list = |k: &str| arg_list(a, k);
        match cmd {
            "status" => Ok(self.status()),
            "outbox" => Ok(
                json!({"entries": [], "tip": self.height, "account_nonce": null,
                                  "running": false, "mode": "mock"}),
            ),
            "switch_identity" => {
                let n = s("name");
                if !IDENTITIES.iter().any(|i| i.eq_ignore_ascii_case(&n)) {
                    return Err(ApiError::new(
                        "UNKNOWN_IDENTITY",
                        format!("no local identity '{n}' in this data folder"),
                    ));
                }
                self.me = IDENTITIES
                    .iter()
                    .find(|i| i.eq_ignore_ascii_case(&n))
                    .map(|i| i.to_string())
                    .unwrap_or(n);
                Ok(self.status())
            }
            "lookup" => {
                let sc = gs1::parse_scan(&s("code"))
                    .map_err(|e| ApiError::new(e.code.as_str(), e.message))?;
                let c = sc.key.canonical();
                let item = self.item(&c)?.clone();
                let verdict = if item["kind"] == "container" {
                    Value::Null
                } else if item["recalled"].is_null() {
                    json!({"item": c, "verdict": "genuine", "reasons": [{"code": "GENUINE",
                        "message": "made by its brand owner and handed on through accepted handoffs"}]})
                } else {
                    parse(VERIFY_RECALLED)
                };
                // The open offer it travels in, itself or in its container.
                let carried = |h: &&Value| {
                    h["status"] == "open"
                        && h["entries"].as_array().is_some_and(|es| {
                            es.iter()
                                .any(|e| e["key"] == c.as_str() || e["key"] == item["container"])
                        })
                };
                let handoff = self.handoffs.iter().find(carried).cloned();
                Ok(json!({
                    "scan": scan_view(&sc),
                    "thing": {"item": item},
                    "verdict": verdict,
                    "handoff": handoff,
                }))
            }
            "history" => {
                let c = Self::canonical(&s("code"))?;
                let item = self.item(&c)?.clone();
                let mut h = parse(HISTORY);
                h["item"] = item;
                if let Some(ev) = h["events"].as_array_mut() {
                    ev.extend(self.extra_events.get(&c).cloned().unwrap_or_default());
                }
                Ok(h)
            }
            "orgs" => Ok(json!({"orgs": self.orgs})),
            "inbox" => {
                let open = |h: &&Value| h["status"] == "open";
                let incoming: Vec<Value> = self
                    .handoffs
                    .iter()
                    .filter(open)
                    .filter(|h| h["to"]["name"] == self.me.as_str())
                    .cloned()
                    .collect();
                let outgoing: Vec<Value> = self
                    .handoffs
                    .iter()
                    .filter(open)
                    .filter(|h| h["from"]["name"] == self.me.as_str())
                    .cloned()
                    .collect();
                Ok(json!({"org": self.me_ref()["key"], "incoming": incoming, "outgoing": outgoing}))
            }
            "propose" => {
                let to = s("to");
                if !self.orgs.iter().any(|o| o["name"] == to.as_str()) {
                    return Err(ApiError::new("UNKNOWN_ORG", format!("no org named '{to}'")));
                }
                if to == self.me {
                    return Err(ApiError::new(
                        "SELF_HANDOFF",
                        "you cannot hand goods to yourself",
                    ));
                }
                let mut entries = Vec::new();
                for code in list("codes") {
                    let c = Self::canonical(&code)?;
                    let it = self.item(&c)?;
                    if it["custodian"]["name"] != self.me.as_str() {
                        return Err(ApiError::new(
                            "NOT_CUSTODIAN",
                            format!("{} does not hold {c}", self.me),
                        ));
                    }
                    if it["open_handoff"].is_string() {
                        return Err(ApiError::new(
                            "ITEM_LOCKED",
                            format!("{c} is already offered in another handoff"),
                        ));
                    }
                    entries.push(json!({"key": c}));
                }
                if entries.is_empty() {
                    return Err(ApiError::new("EMPTY_HANDOFF", "nothing to hand off"));
                }
                let r = self.receipt();
                let id = r["tx"].clone();
                for e in &entries {
                    let k = e["key"].as_str().unwrap_or_default().to_string();
                    if let Some(it) = self.items.get_mut(&k) {
                        it["open_handoff"] = id.clone();
                    }
                    let ev = self.event("handoff_proposed", &k, json!({"counterparty_name": to}));
                    self.extra_events.entry(k).or_default().push(ev);
                }
                let h = json!({
                    "id": id, "status": "open", "entries": entries,
                    "from": self.me_ref(), "to": org_ref(&self.orgs, &to),
                    "transfer": if a["ownership"] == true { "both" } else { "custody" },
                    "proposed_height": self.height, "proposed_time": "2026-11-24T12:00:00.000Z",
                    "docs": [], "missing": [], "damaged": [],
                });
                self.handoffs.push(h);
                Ok(json!({"handoff": id, "height": r["height"], "tx": id}))
            }
            "accept" | "reject" | "cancel" => {
                let id = s("id");
                let Some(pos) = self.handoffs.iter().position(|h| {
                    h["status"] == "open" && h["id"].as_str().is_some_and(|x| x.starts_with(&id))
                }) else {
                    return Err(ApiError::new(
                        "BAD_HANDOFF_ID",
                        format!("no open handoff {id}"),
                    ));
                };
                let h = self.handoffs[pos].clone();
                let side = if cmd == "cancel" { "from" } else { "to" };
                if h[side]["name"] != self.me.as_str() {
                    return Err(ApiError::new(
                        if cmd == "cancel" {
                            "NOT_PROPOSER"
                        } else {
                            "NOT_RECIPIENT"
                        },
                        format!("this handoff is not addressed to {}", self.me),
                    ));
                }
                let missing = list("missing");
                let damaged = list("damaged");
                let me = self.me_ref();
                let entries: Vec<String> = h["entries"]
                    .as_array()
                    .map(|e| {
                        e.iter()
                            .filter_map(|x| x["key"].as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let r = self.receipt();
                for e in &entries {
                    for k in self.moved_with(e) {
                        let ev = self.event(&format!("handoff_{cmd}ed"), &k, json!({}));
                        if let Some(it) = self.items.get_mut(&k) {
                            if let Some(o) = it.as_object_mut() {
                                o.remove("open_handoff");
                            }
                            if cmd == "accept" {
                                if missing.contains(&k) {
                                    it["exception"] =
                                        json!({"handoff": h["id"], "kind": "missing"});
                                    if let Some(o) = it.as_object_mut() {
                                        o.remove("container");
                                    }
                                } else {
                                    it["custodian"] = me.clone();
                                    if damaged.contains(&k) {
                                        it["exception"] =
                                            json!({"handoff": h["id"], "kind": "damaged"});
                                    }
                                }
                            }
                        }
                        self.extra_events.entry(k).or_default().push(ev);
                    }
                }
                let status = match cmd {
                    "accept" => "accepted",
                    "reject" => "rejected",
                    _ => "cancelled",
                };
                self.handoffs[pos]["status"] = json!(status);
                let entries_of =
                    |ks: &[String]| ks.iter().map(|k| json!({"key": k})).collect::<Vec<_>>();
                self.handoffs[pos]["missing"] = json!(entries_of(&missing));
                self.handoffs[pos]["damaged"] = json!(entries_of(&damaged));
                Ok(json!({"handoff": h["id"], "height": r["height"], "tx": r["tx"]}))
            }
            "product" => {
                let g = s("gtin");
                let p = parse(PRODUCT);
                if p["product"]["gtin"] == g.as_str() {
                    Ok(p)
                } else {
                    Err(ApiError::new("UNKNOWN_PRODUCT", format!("no product {g}")))
                }
            }
            "define_product" => {
                let r = self.receipt();
                Ok(json!({"gtin": s("gtin"), "height": r["height"], "tx": r["tx"]}))
            }
            "commission" => {
                let mut made = Vec::new();
                let template = parse(BAG)["item"].clone();
                for code in list("codes") {
                    let c = Self::canonical(&code)?;
                    if self.items.contains_key(&c) {
                        return Err(ApiError::new(
                            "DUPLICATE_ID",
                            format!("{c} was already commissioned"),
                        ));
                    }
                    let mut it = template.clone();
                    it["key"] = json!(c);
                    it["custodian"] = self.me_ref();
                    it["owner"] = self.me_ref();
                    self.items.insert(c.clone(), it);
                    made.push(c);
                }
                let r = self.receipt();
                Ok(json!({"items": made, "height": r["height"], "tx": r["tx"]}))
            }
            "pack" | "unpack" => {
                let into = Self::canonical(&s(if cmd == "pack" { "into" } else { "container" }))?;
                let codes = list("codes");
                for code in &codes {
                    let c = Self::canonical(code)?;
                    if self.item(&c)?["custodian"]["name"] != self.me.as_str() {
                        return Err(ApiError::new(
                            "NOT_CUSTODIAN",
                            format!("{} does not hold {c}", self.me),
                        ));
                    }
                }
                for it in self.items.values_mut() {
                    let key = s_of(&it["key"]);
                    if cmd == "pack"
                        && codes
                            .iter()
                            .any(|c| Self::canonical(c).ok() == Some(key.clone()))
                    {
                        it["container"] = json!(into);
                    } else if cmd == "unpack"
                        && it["container"] == into.as_str()
                        && let Some(o) = it.as_object_mut()
                    {
                        o.remove("container");
                    }
                }
                Ok(self.receipt())
            }
            "network" => Ok(json!({"peers": self.peers, "network": "mock",
                                   "mode": if self.light { "light" } else { "mock" }})),
            "set_network" => {
                let peers = list("peers");
                if let Some(bad) = peers.iter().find(|p| !p.starts_with('/')) {
                    return Err(ApiError::new(
                        "BAD_PEER",
                        format!("'{bad}' is not a peer address"),
                    ));
                }
                let genesis = s("genesis");
                let genesis = genesis.trim();
                if !genesis.is_empty()
                    && (genesis.len() < 64
                        || genesis.len() % 2 == 1
                        || !genesis.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    return Err(ApiError::new(
                        "BAD_GENESIS",
                        "the genesis is not hex: paste the whole of what `handoff genesis` \
                         prints on a full node of the network",
                    ));
                }
                self.peers = peers;
                let mut v = json!({"peers": self.peers, "network": "mock"});
                if !genesis.is_empty() && !self.light {
                    self.light = true;
                    v["switched"] = json!(true);
                }
                v["mode"] = json!(if self.light { "light" } else { "mock" });
                Ok(v)
            }
            "pair_qr" | "backup" => Err(ApiError::new(
                "NEEDS_APP",
                "pairing codes and backups need the Handoff app",
            )),
            "decode_image" => Err(ApiError::new(
                "QR_NEEDS_APP",
                "reading QR codes from images needs the Handoff app",
            )),
            other => Err(ApiError::new(
                "UNKNOWN_COMMAND",
                format!("the mock has no command '{other}'"),
            )),
        }
    }
}

thread_local! {
    static MOCK: RefCell<Option<Mock>> = const { RefCell::new(None) };
}

/// Answers a command from the in-memory demo chain.
pub fn call(cmd: &str, args: &Value) -> Res<Value> {
    MOCK.with(|m| {
        let mut m = m.borrow_mut();
        m.get_or_insert_with(|| {
            if light_requested() {
                Mock::new_light()
            } else {
                Mock::new()
            }
        })
        .call(cmd, args)
    })
}

/// Starts this thread's mock afresh, as the full or the light node (tests).
#[cfg(test)]
pub fn reset_for_test(light: bool) {
    MOCK.with(|m| {
        *m.borrow_mut() = Some(if light {
            Mock::new_light()
        } else {
            Mock::new()
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset() {
        MOCK.with(|m| *m.borrow_mut() = None);
    }

    #[test]
    fn every_fixture_decodes() {
        for f in [
            STATUS,
            ORGS,
            BAG,
            MISSING_BAG,
            PALLET,
            LOT,
            HISTORY,
            INBOX,
            PRODUCT,
            VERIFY_RECALLED,
        ] {
            assert!(serde_json::from_str::<Value>(f).is_ok());
        }
    }

    #[test]
    fn only_the_custodian_ships_and_missing_items_stay() {
        reset();
        let pallet = "/00/306141410000000068";
        // The warehouse ships loose bags to the grocer; one does not arrive.
        let a = "/01/00614141025015/21/E261000260";
        let b = "/01/00614141025015/21/E261000261";
        let e = call(
            "propose",
            &json!({"codes": [pallet], "to": "Corner Grocer"}),
        )
        .expect_err("unknown pallet");
        assert_eq!(e.code, "UNKNOWN_ITEM");
        let p = call("propose", &json!({"codes": [a, b], "to": "Corner Grocer"})).expect("ok");
        let id = p["handoff"].as_str().expect("id").to_string();
        let e = call("accept", &json!({"id": id, "missing": [], "damaged": []}))
            .expect_err("the warehouse is not the recipient");
        assert_eq!(e.code, "NOT_RECIPIENT");
        call("switch_identity", &json!({"name": "Corner Grocer"})).expect("switch");
        let inbox = call("inbox", &json!({})).expect("inbox");
        assert_eq!(inbox["incoming"].as_array().map(Vec::len), Some(2));
        call("accept", &json!({"id": id, "missing": [b], "damaged": []})).expect("accept");
        let la = call("lookup", &json!({"code": a})).expect("a");
        let lb = call("lookup", &json!({"code": b})).expect("b");
        assert_eq!(la["thing"]["item"]["custodian"]["name"], "Corner Grocer");
        assert_eq!(lb["thing"]["item"]["custodian"]["name"], "Harbor Logistics");
        assert_eq!(lb["thing"]["item"]["exception"]["kind"], "missing");
        let e = call("propose", &json!({"codes": [b], "to": "Harbor Logistics"}))
            .expect_err("not held");
        assert_eq!(e.code, "NOT_CUSTODIAN");
    }

    #[test]
    fn the_light_mock_queues_and_refuses_what_needs_a_full_node() {
        let mut m = Mock::new_light();
        let st = m.call("status", &json!({})).expect("status");
        assert_eq!(
            (st["mode"].as_str(), st["outbox"].as_u64()),
            (Some("light"), Some(1))
        );
        let q = m
            .call(
                "propose",
                &json!({"codes": ["/01/00614141025015/21/E261000260"], "to": "Corner Grocer"}),
            )
            .expect("queued");
        assert_eq!(
            (q["height"].is_null(), q["queued"][0]["seq"].as_u64()),
            (true, Some(4))
        );
        let o = m.call("outbox", &json!({})).expect("outbox");
        assert_eq!(o["entries"][3]["status"], "pending");
        assert_eq!(o["counts"]["rejected"], 1);
        assert_eq!(
            m.call("inbox", &json!({})).expect_err("inbox").code,
            "LIGHT_NODE"
        );
        let l = m
            .call(
                "lookup",
                &json!({"code": "(01)00614141025015(21)E261000022"}),
            )
            .expect("lookup");
        assert_eq!(l["verified"]["height"], 1520);
    }

    #[test]
    fn malformed_scans_name_the_problem() {
        reset();
        let e = call("lookup", &json!({"code": "(01)00614141025016(21)X"})).expect_err("bad");
        assert_eq!(e.code, "SCAN_BAD_CHECK_DIGIT");
        assert!(e.message.contains("check digit"));
    }
}
