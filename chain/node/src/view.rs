//! How records look to people and to scripts: the JSON shapes of `--json` output and the
//! text lines of the default output. Keys are canonical GS1 paths, orgs are shown with
//! their names beside their keys, times as RFC 3339 UTC. Every function that reads state
//! returns the read error instead of a view with a gap: a record that cannot be read
//! (a store fault, a failed proof) is never shown as absent or as a short key.

use handoff_core::apply::resolve_custody;
use handoff_core::gs1::{Gs1Key, Scan, ai};
use handoff_core::query::JourneyEvent;
use handoff_core::state::{
    HandoffRecord, Holder, ItemRecord, LotRecord, ProductRecord, ReadResult, RecallRecord, Record,
    StateRead, StateReadExt,
};
use handoff_core::tx::{Attr, Entry, RecallScope, Transfer};
use handoff_core::types::PublicKey;
use serde_json::{Value, json};

/// An org's display name, or its short key when it is no org (consumers, devices).
pub fn org_name(state: &dyn StateRead, key: &PublicKey) -> ReadResult<String> {
    Ok(state
        .org(key)?
        .map(|o| o.name)
        .unwrap_or_else(|| key.short()))
}

/// Unix milliseconds as RFC 3339 UTC (`2026-11-24T19:14:59.123Z`).
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = handoff_core::query::civil_date(ms);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// A parsed scan.
pub fn scan_json(sc: &Scan) -> Value {
    let mut v = json!({
        "key": key_kind(&sc.key),
        "canonical": sc.key.canonical(),
        "uri": sc.key.digital_link("https://id.gs1.org"),
        "form": sc.form,
    });
    match &sc.key {
        Gs1Key::Gtin { gtin } => v["gtin"] = json!(gtin),
        Gs1Key::Serial { gtin, serial } => {
            v["gtin"] = json!(gtin);
            v["serial"] = json!(serial);
        }
        Gs1Key::Lot { gtin, lot } => {
            v["gtin"] = json!(gtin);
            v["lot"] = json!(lot);
        }
        Gs1Key::Sscc { sscc } => v["sscc"] = json!(sscc),
        Gs1Key::Gln { gln, extension } => {
            v["gln"] = json!(gln);
            if let Some(e) = extension {
                v["extension"] = json!(e);
            }
        }
    }
    if let Some(l) = &sc.lot {
        v["lot"] = json!(l);
    }
    if let Some(c) = &sc.cpv {
        v["cpv"] = json!(c);
    }
    if let Some(q) = sc.quantity {
        v["quantity"] = json!(q);
    }
    if let Some(e) = &sc.expiry {
        v["expiry"] = json!(e);
    }
    if !sc.attributes.is_empty() {
        v["attributes"] = attrs_json(&sc.attributes);
        // The same AIs in scan order, with their GS1 data titles.
        v["elements"] = sc
            .attributes
            .iter()
            .map(|(k, val)| json!({"ai": k, "title": ai_title(k), "value": val}))
            .collect();
    }
    v
}

/// `id parse` as text: the canonical key, its Digital Link, then every other AI of the
/// code with its title.
pub fn scan_text(sc: &Scan) -> String {
    let mut s = format!(
        "{}\n{}",
        sc.key.canonical(),
        sc.key.digital_link("https://id.gs1.org")
    );
    for (k, val) in &sc.attributes {
        s.push_str(&format!("\n({k}) {}: {val}", ai_title(k)));
    }
    s
}

fn ai_title(ai_digits: &str) -> &'static str {
    ai::lookup(ai_digits).map_or("", |a| a.title)
}

/// Attributes as a JSON object (name → value).
pub fn attrs_json(attrs: &[Attr]) -> Value {
    attrs
        .iter()
        .map(|(k, val)| (k.clone(), json!(val)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The recall covering an item or lot of product `p`: one naming the lot, else one of the
/// whole product (item-level recalls are on the item record itself).
fn recall_of<'p>(p: &'p ProductRecord, lot: Option<&str>) -> Option<&'p RecallRecord> {
    let lot_recall = p
        .recalls
        .iter()
        .find(|r| matches!(&r.scope, RecallScope::Lot(l) if Some(l.as_str()) == lot));
    lot_recall.or_else(|| p.recalls.iter().find(|r| r.scope == RecallScope::Product))
}

fn recall_json(r: &RecallRecord) -> Value {
    let scope = match r.scope {
        RecallScope::Product => "product",
        RecallScope::Lot(_) => "lot",
        RecallScope::Items(_) => "item",
    };
    json!({"scope": scope, "tx": r.tx.to_hex(), "reason": r.reason, "height": r.height})
}

fn key_kind(k: &Gs1Key) -> &'static str {
    match k {
        Gs1Key::Gtin { .. } => "gtin",
        Gs1Key::Serial { .. } => "serial",
        Gs1Key::Lot { .. } => "lot",
        Gs1Key::Sscc { .. } => "sscc",
        Gs1Key::Gln { .. } => "gln",
    }
}

fn org_json(state: &dyn StateRead, key: &PublicKey) -> ReadResult<Value> {
    Ok(json!({"key": key.to_hex(), "name": org_name(state, key)?}))
}

fn entry_json(e: &Entry) -> Value {
    match e.quantity {
        Some(q) => json!({"key": e.key.canonical(), "quantity": q}),
        None => json!({"key": e.key.canonical()}),
    }
}

fn entries_text(es: &[Entry]) -> String {
    es.iter()
        .map(|e| match e.quantity {
            Some(q) => format!("{}×{q}", e.key.canonical()),
            None => e.key.canonical(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn item_record(state: &dyn StateRead, k: &Gs1Key) -> ReadResult<Option<ItemRecord>> {
    Ok(match state.thing(k)? {
        Some(Record::Item(i)) => Some(i),
        _ => None,
    })
}

fn product_of(state: &dyn StateRead, key: &Gs1Key) -> ReadResult<Option<ProductRecord>> {
    match key.gtin() {
        Some(g) => state.product(g),
        None => Ok(None),
    }
}

/// An item, container or lot as it stands now (custody resolved through its containers),
/// or `None` if it was never commissioned.
pub fn thing_json(state: &dyn StateRead, key: &Gs1Key) -> ReadResult<Option<Value>> {
    Ok(match state.thing(key)? {
        Some(Record::Item(i)) => Some(item_json(state, &i)?),
        Some(Record::Lot(l)) => Some(lot_json(state, &l)?),
        _ => None,
    })
}

fn item_json(state: &dyn StateRead, i: &ItemRecord) -> ReadResult<Value> {
    let c = resolve_custody(&|k| item_record(state, k), i)?;
    let product = product_of(state, &i.key)?;
    let mut v = json!({
        "key": i.key.canonical(),
        "kind": if matches!(i.key, Gs1Key::Sscc { .. }) { "container" } else { "item" },
        "status": format!("{:?}", i.status).to_lowercase(),
        "owner": org_json(state, &c.owner)?,
        "custodian": org_json(state, &c.custodian)?,
        "commissioned_by": org_json(state, &i.commissioned_by)?,
        "commissioned_height": i.commissioned_height,
        "events": i.history.len,
        "stolen": i.stolen,
        "recalled": i.recalled.map(|t| t.to_hex()),
    });
    if let Some(p) = product {
        v["product"] =
            json!({"gtin": p.gtin, "name": p.name, "brand_owner": org_name(state, &p.owner)?});
        // Recalled by name, else through its lot or its product: an item of a recalled lot
        // is recalled too.
        let by_name = i
            .recalled
            .and_then(|t| p.recalls.iter().find(|r| r.tx == t));
        if let Some(r) = by_name.or_else(|| recall_of(&p, i.lot.as_deref())) {
            v["recalled"] = json!(r.tx.to_hex());
            v["recall"] = recall_json(r);
        }
    }
    if !i.attributes.is_empty() {
        v["attributes"] = attrs_json(&i.attributes);
    }
    if let Some(k) = &i.container {
        v["container"] = json!(k.canonical());
    }
    if let Some(k) = &c.root {
        v["outermost_container"] = json!(k.canonical());
    }
    if let Some(h) = c.handoff {
        v["open_handoff"] = json!(h.to_hex());
    }
    if !i.contents.is_empty() {
        v["contents"] = i.contents.iter().map(entry_json).collect();
    }
    if !i.inputs.is_empty() {
        v["inputs"] = i.inputs.iter().map(entry_json).collect();
    }
    for (name, val) in [
        ("lot", &i.lot),
        ("expiry", &i.expiry),
        ("commissioned_at", &i.commissioned_at),
    ] {
        if let Some(x) = val {
            v[name] = json!(x);
        }
    }
    if let Some(e) = &i.exception {
        v["exception"] = json!({"kind": e.kind, "handoff": e.handoff.to_hex()});
    }
    Ok(v)
}

fn holder_json(state: &dyn StateRead, h: &Holder, qty: u64) -> ReadResult<Value> {
    Ok(match h {
        Holder::Org { custodian, owner } => {
            json!({"quantity": qty, "custodian": org_json(state, custodian)?, "owner": org_json(state, owner)?})
        }
        Holder::Container(k) => json!({"quantity": qty, "container": k.canonical()}),
        Holder::Transit {
            handoff,
            custodian,
            owner,
        } => json!({
            "quantity": qty, "open_handoff": handoff.to_hex(),
            "custodian": org_json(state, custodian)?, "owner": org_json(state, owner)?
        }),
    })
}

fn lot_json(state: &dyn StateRead, l: &LotRecord) -> ReadResult<Value> {
    let product = product_of(state, &l.key)?;
    let balances = l
        .balances
        .iter()
        .map(|(h, q)| holder_json(state, h, *q))
        .collect::<ReadResult<Vec<_>>>()?;
    let mut v = json!({
        "key": l.key.canonical(),
        "kind": "lot",
        "status": if l.commissioned == l.retired { "retired" } else { "active" },
        "commissioned_by": org_json(state, &l.commissioned_by)?,
        "commissioned_height": l.commissioned_height,
        "commissioned": l.commissioned,
        "retired": l.retired,
        "excepted": l.excepted,
        "stolen": l.stolen,
        "balances": balances,
        "events": l.history.len,
    });
    if let Some(p) = product {
        v["product"] =
            json!({"gtin": p.gtin, "name": p.name, "brand_owner": org_name(state, &p.owner)?});
        let lot = match &l.key {
            Gs1Key::Lot { lot, .. } => Some(lot.as_str()),
            _ => None,
        };
        if let Some(r) = recall_of(&p, lot) {
            v["recalled"] = json!(r.tx.to_hex());
            v["recall"] = recall_json(r);
        }
    }
    if let Some(e) = &l.expiry {
        v["expiry"] = json!(e);
    }
    if !l.attributes.is_empty() {
        v["attributes"] = attrs_json(&l.attributes);
    }
    if !l.inputs.is_empty() {
        v["inputs"] = l.inputs.iter().map(entry_json).collect();
    }
    Ok(v)
}

fn name_of(v: &Value, field: &str) -> String {
    v[field]["name"].as_str().unwrap_or("?").to_string()
}

/// One-paragraph text of [`thing_json`].
pub fn thing_text(v: &Value) -> String {
    let mut s = format!(
        "{}  {}",
        v["key"].as_str().unwrap_or("?"),
        v["status"].as_str().unwrap_or("?")
    );
    if let Some(p) = v["product"]["name"].as_str() {
        s.push_str(&format!("  {p}"));
    }
    if v["kind"] == "lot" {
        s.push_str(&format!(
            "\n  quantity {} of {} commissioned",
            v["commissioned"].as_u64().unwrap_or(0) - v["retired"].as_u64().unwrap_or(0),
            v["commissioned"]
        ));
        for b in v["balances"].as_array().into_iter().flatten() {
            let at = b["container"]
                .as_str()
                .map(|c| format!("in {c}"))
                .unwrap_or_else(|| format!("held by {}", name_of(b, "custodian")));
            s.push_str(&format!("\n  {} {at}", b["quantity"]));
        }
    } else {
        s.push_str(&format!(
            "\n  owner {}, custodian {}",
            name_of(v, "owner"),
            name_of(v, "custodian")
        ));
        if let Some(c) = v["container"].as_str() {
            s.push_str(&format!("\n  inside {c}"));
        }
        if let Some(c) = v["contents"].as_array() {
            s.push_str(&format!("\n  contains {} entries", c.len()));
        }
        if let Some(h) = v["open_handoff"].as_str() {
            s.push_str(&format!("\n  in open handoff {}", &h[..16.min(h.len())]));
        }
        if let Some(l) = v["lot"].as_str() {
            s.push_str(&format!("\n  lot {l}"));
        }
        if v["stolen"] == true {
            s.push_str("\n  REPORTED STOLEN");
        }
    }
    if let Some(x) = v["expiry"].as_str() {
        s.push_str(&format!("\n  expiry {x}"));
    }
    if let Some(a) = v["attributes"].as_object() {
        let shown: Vec<String> = a
            .iter()
            .map(|(k, x)| format!("({k}) {}", x.as_str().unwrap_or_default()))
            .collect();
        s.push_str(&format!("\n  label {}", shown.join(" ")));
    }
    if !v["recalled"].is_null() {
        match (
            v["recall"]["scope"].as_str(),
            v["recall"]["reason"].as_str(),
        ) {
            (Some(scope), Some(why)) => {
                s.push_str(&format!("\n  RECALLED ({scope} recall: {why})"));
            }
            _ => s.push_str("\n  RECALLED"),
        }
    }
    s
}

/// An event of a journey.
pub fn event_json(state: &dyn StateRead, je: &JourneyEvent) -> ReadResult<Value> {
    let e = &je.event;
    let mut v = json!({
        "type": e.kind,
        "by": e.by.to_hex(),
        "by_name": org_name(state, &e.by)?,
        "signer": e.signer.to_hex(),
        "height": e.height,
        "index": e.index,
        "time": rfc3339(e.event_time_ms),
        "time_ms": e.event_time_ms,
        "record_time": rfc3339(e.record_time_ms),
        "tx": e.tx.to_hex(),
        "subject": je.subject,
        "via": je.via,
    });
    if let Some(h) = e.handoff {
        v["handoff"] = json!(h.to_hex());
    }
    if let Some(c) = e.counterparty {
        v["counterparty"] = json!(c.to_hex());
        v["counterparty_name"] = json!(org_name(state, &c)?);
    }
    if let Some(t) = e.transfer {
        v["transfer"] = json!(transfer_str(t));
    }
    if let Some(a) = &e.at {
        v["at"] = json!(a);
    }
    if let Some(q) = e.quantity {
        v["quantity"] = json!(q);
    }
    if !e.related.is_empty() {
        v["related"] = e.related.iter().map(|k| json!(k.canonical())).collect();
    }
    if let Some(n) = &e.note {
        v["note"] = json!(n);
    }
    if !e.data.is_empty() {
        v["data"] = e
            .data
            .iter()
            .map(|(k, val)| (k.clone(), json!(val)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    Ok(v)
}

fn transfer_str(t: Transfer) -> &'static str {
    match t {
        Transfer::Custody => "custody",
        Transfer::Ownership => "ownership",
        Transfer::Both => "both",
    }
}

/// One line of an event.
pub fn event_text(v: &Value) -> String {
    let mut s = format!(
        "{}  #{:<6} {:<20} {}",
        v["time"].as_str().unwrap_or("?"),
        v["height"],
        v["type"].as_str().unwrap_or("?"),
        v["by_name"].as_str().unwrap_or("?")
    );
    if let Some(c) = v["counterparty_name"].as_str() {
        s.push_str(&format!(" ↔ {c}"));
    }
    if let Some(a) = v["at"].as_str() {
        s.push_str(&format!(" at {a}"));
    }
    if let Some(q) = v["quantity"].as_u64() {
        s.push_str(&format!(" qty {q}"));
    }
    if let Some(n) = v["note"].as_str() {
        s.push_str(&format!(" ({n})"));
    }
    if v["via"] != "self" {
        s.push_str(&format!(
            "  [via {} {}]",
            v["via"].as_str().unwrap_or("?"),
            v["subject"].as_str().unwrap_or("?")
        ));
    }
    s
}

/// A handoff.
pub fn handoff_json(state: &dyn StateRead, h: &HandoffRecord) -> ReadResult<Value> {
    Ok(json!({
        "id": h.id.to_hex(),
        "from": org_json(state, &h.from)?,
        "to": org_json(state, &h.to)?,
        "status": format!("{:?}", h.status).to_lowercase(),
        "transfer": transfer_str(h.transfer),
        "entries": h.entries.iter().map(entry_json).collect::<Vec<_>>(),
        "ship_from": h.ship_from,
        "ship_to": h.ship_to,
        "docs": h.docs.iter().map(|d| json!({"kind": d.kind, "id": d.id})).collect::<Vec<_>>(),
        "proposed_height": h.proposed_height,
        "proposed_time": rfc3339(h.proposed_time_ms),
        "expires_at_height": h.expires_at_height,
        "closed_height": h.closed_height,
        "missing": h.missing.iter().map(entry_json).collect::<Vec<_>>(),
        "damaged": h.damaged.iter().map(entry_json).collect::<Vec<_>>(),
        "reason": h.reason,
    }))
}

/// Text of [`handoff_json`].
pub fn handoff_text(v: &Value) -> String {
    let id = v["id"].as_str().unwrap_or("?");
    let keys: Vec<String> = v["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| match e["quantity"].as_u64() {
            Some(q) => format!("{}×{q}", e["key"].as_str().unwrap_or("?")),
            None => e["key"].as_str().unwrap_or("?").to_string(),
        })
        .collect();
    format!(
        "{}  {} → {}  {} {}  {} entr{}: {}",
        &id[..16.min(id.len())],
        name_of(v, "from"),
        name_of(v, "to"),
        v["status"].as_str().unwrap_or("?"),
        v["transfer"].as_str().unwrap_or("?"),
        keys.len(),
        if keys.len() == 1 { "y" } else { "ies" },
        keys.join(", ")
    )
}

/// A product.
pub fn product_json(state: &dyn StateRead, p: &ProductRecord) -> ReadResult<Value> {
    let licensees = p
        .licensees
        .iter()
        .map(|k| org_json(state, k))
        .collect::<ReadResult<Vec<_>>>()?;
    Ok(json!({
        "gtin": p.gtin,
        "name": p.name,
        "description": p.description,
        "owner": org_json(state, &p.owner)?,
        "attributes": p.attributes.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "licensees": licensees,
        "recalls": serde_json::to_value(&p.recalls).unwrap_or(Value::Null),
        // SHA-256 of the product's picture (hex), or null: the picture itself is not on
        // the ledger.
        "image_hash": p.image_hash.map(|h| hex::encode(h.0)),
    }))
}

/// Text listing of entries (used by handoff receipts).
pub fn entries_line(es: &[Entry]) -> String {
    entries_text(es)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_547_699_123), "2026-11-24T19:14:59.123Z");
    }
}
