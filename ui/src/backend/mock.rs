//! The mock backend for UI tests and for opening the UI in a plain browser: an in-memory
//! slice of the demo chain, built from real `handoff --json` outputs (`ui/fixtures/`),
//! that follows the main ledger rules (only the custodian ships, only the recipient
//! accepts, missing items stay with the sender) and parses scans with the real GS1 parser.

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
        }
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
        s["mode"] = json!("mock");
        s["peers"] = json!(0);
        s["outbox"] = json!(0);
        s
    }

    fn event(&self, kind: &str, subject: &str, extra: Value) -> Value {
        let mut e = json!({
            "type": kind,
            "subject": subject,
            "by": self.me_ref()["key"],
            "by_name": self.me,
            "height": self.height,
            "time": "2026-11-24T12:00:00.000Z",
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

    fn call(&mut self, cmd: &str, a: &Value) -> Res {
        let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
        let list = |k: &str| -> Vec<String> {
            a[k].as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        match cmd {
            "status" => Ok(self.status()),
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
                let key = if item["kind"] == "lot" { "lot" } else { "item" };
                Ok(json!({
                    "scan": {"canonical": c, "uri": sc.key.digital_link("https://id.gs1.org")},
                    "thing": {key: item},
                    "verdict": verdict,
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
                self.handoffs[pos]["missing"] = json!(missing);
                self.handoffs[pos]["damaged"] = json!(damaged);
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
            "network" => Ok(json!({"peers": self.peers, "network": "mock"})),
            "set_network" => {
                let peers = list("peers");
                if let Some(bad) = peers.iter().find(|p| !p.starts_with('/')) {
                    return Err(ApiError::new(
                        "BAD_PEER",
                        format!("'{bad}' is not a peer address"),
                    ));
                }
                self.peers = peers;
                Ok(json!({"peers": self.peers, "network": "mock"}))
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
pub fn call(cmd: &str, args: &Value) -> Res {
    MOCK.with(|m| {
        let mut m = m.borrow_mut();
        m.get_or_insert_with(Mock::new).call(cmd, args)
    })
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
    fn malformed_scans_name_the_problem() {
        reset();
        let e = call("lookup", &json!({"code": "(01)00614141025016(21)X"})).expect_err("bad");
        assert_eq!(e.code, "SCAN_BAD_CHECK_DIGIT");
        assert!(e.message.contains("check digit"));
    }
}
