//! EPCIS events and ledger transactions, both ways, sans I/O.
//!
//! [`to_payload`] maps one event of a document to the transaction the acting org signs
//! for it: ObjectEvent ADD + commissioning → `Commission`; shipping with a destination
//! party → `ProposeHandoff` to the org holding that party's GLN (an `owning_party`
//! moves ownership, a `possessing_party` custody, both: both); receiving → `AcceptHandoff`
//! of the open handoff of those items; AggregationEvent ADD/DELETE → `Pack`/`Unpack`;
//! TransformationEvent → `Transform`; decommissioning → `Decommission`; retail selling →
//! `Sell`; a `stolen` disposition → `ReportStolen`; an error declaration → `Correct` of
//! the declared event; every other event → an `Observe` of what it names.
//!
//! [`from_payload`] maps a committed transaction back to its EPCIS event: CBV bizStep and
//! disposition, readPoint/bizLocation from GLNs, source/destination parties from the
//! orgs' GLNs, quantities for lots, parent/children for packing, inputs/outputs for
//! transforms. Identifiers are written as GS1 Digital Link URIs on `id.gs1.org` (an EPC
//! URN would need each company prefix's length, which the ledger does not keep per key).
//!
//! What the ledger knows beyond the event (which org holds a GLN, which handoff is open
//! for some items, which transaction an event became) comes through [`Lookup`], which the
//! node implements over its store; nothing here reads a store or a clock.

use crate::cbv::Vocab;
use crate::error::{EpcisError, ErrorCode};
use crate::ids::{self, ID_GS1};
use crate::model::*;
use crate::time::{format_ms, parse_time_ms};
use handoff_core::gs1::Gs1Key;
use handoff_core::limits::{MAX_ATTR_KEY_LEN, MAX_ATTR_VALUE_LEN, MAX_ATTRS, MAX_TEXT_LEN};
use handoff_core::tx::{
    AcceptHandoff, ClaimedTransform, Commission, DocRef, Entry, Observe, Payload, ProposeHandoff,
    RecallScope, Transfer, Transform,
};
use handoff_core::types::{HandoffId, OrgId, TxId};

/// What the mapping asks of the ledger. The node answers from its store; a store fault is
/// answered as an error by the caller before mapping, never as "absent" here.
pub trait Lookup {
    /// The org that lists `gln` among its locations.
    fn org_by_gln(&self, gln: &str) -> Option<OrgId>;
    /// The open handoff to `to` that offers every one of `keys`.
    fn open_handoff(&self, to: &OrgId, keys: &[Gs1Key]) -> Option<HandoffId>;
    /// The transaction an event with this hash id (or event id) became.
    fn tx_of_event(&self, id: &str) -> Option<TxId>;
}

/// What [`from_payload`] asks of the ledger.
pub trait ExportLookup {
    /// An org's first GLN, if it lists any.
    fn gln_of(&self, org: &OrgId) -> Option<String>;
    /// A handoff's proposal: proposer, recipient and the proposal itself.
    fn proposal(&self, id: &HandoffId) -> Option<(OrgId, ProposeHandoff)>;
    /// A committed transaction's payload, device time and signing org (for corrections).
    fn transaction(&self, id: &TxId) -> Option<(Payload, i64, OrgId)>;
}

/// One event mapped: the transaction to sign and the time it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// The payload.
    pub payload: Payload,
    /// The event's time, Unix milliseconds (the transaction's device time).
    pub event_time_ms: i64,
}

fn refuse(kind: ErrorCode, message: impl Into<String>) -> EpcisError {
    EpcisError::new(kind, message)
}

/// The business step of `e` as a bare CBV word (`shipping`), the word of a step of
/// Handoff's vocabulary, or the value as written when it is outside both.
fn step(e: &Event) -> Option<String> {
    e.biz_step.as_deref().map(|s| {
        Vocab::BizStep
            .bare(s)
            .or_else(|| crate::cbv::handoff_word("bizstep", s))
            .unwrap_or_else(|| s.to_string())
    })
}

fn disposition(e: &Event) -> Option<String> {
    e.disposition
        .as_deref()
        .map(|s| Vocab::Disposition.bare(s).unwrap_or_else(|| s.to_string()))
}

/// A GLN from a place or a party identifier: an SGLN or PGLN URN, a Digital Link URI with
/// `/414/` (location) or `/417/` (party).
pub fn gln_of_id(s: &str) -> Option<String> {
    if let Some(body) = s.strip_prefix("urn:epc:id:pgln:") {
        let (cp, loc) = body.split_once('.')?;
        let raw = format!("{cp}{loc}");
        if raw.len() != 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let c = handoff_core::gs1::check_digit(&raw)?;
        return Some(format!("{raw}{c}"));
    }
    if let Some(i) = s.find("/417/") {
        let gln: String = s[i + 5..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        return (gln.len() == 13 && handoff_core::gs1::has_valid_check_digit(&gln)).then_some(gln);
    }
    match ids::parse_id(s) {
        Ok(Gs1Key::Gln { gln, .. }) => Some(gln),
        _ => None,
    }
}

fn place_gln(p: &Option<Place>, what: &str) -> Result<Option<String>, EpcisError> {
    match p {
        None => Ok(None),
        Some(p) => gln_of_id(&p.id).map(Some).ok_or_else(|| {
            refuse(
                ErrorCode::UnmappableId,
                format!("the {what} '{}' is not a GLN", clip(&p.id)),
            )
        }),
    }
}

/// Where the event happened: its bizLocation, else its readPoint.
fn at(e: &Event) -> Result<Option<String>, EpcisError> {
    Ok(match place_gln(&e.biz_location, "bizLocation")? {
        Some(g) => Some(g),
        None => place_gln(&e.read_point, "readPoint")?,
    })
}

fn clip(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A thing the ledger tracks: a serialized item or an SSCC (a lot is named by a quantity).
fn item(id: &str) -> Result<Entry, EpcisError> {
    let key = ids::parse_id(id)?;
    match key {
        Gs1Key::Serial { .. } | Gs1Key::Sscc { .. } => Ok(Entry::item(key)),
        Gs1Key::Lot { .. } => Err(refuse(
            ErrorCode::UnmappableQuantity,
            format!("the lot '{}' is named without a quantity", clip(id)),
        )),
        _ => Err(refuse(
            ErrorCode::UnmappableId,
            format!(
                "'{}' is not a serialized item, a lot or a logistics unit",
                clip(id)
            ),
        )),
    }
}

/// A lot quantity: a whole count (no unit, or `EA`/`H87`, pieces) of an LGTIN.
fn lot(q: &QuantityElement) -> Result<Entry, EpcisError> {
    let key = ids::parse_id(&q.epc_class).map_err(|_| {
        refuse(
            ErrorCode::UnmappableId,
            format!(
                "the class '{}' is not a lot (LGTIN or a GTIN with a lot)",
                clip(&q.epc_class)
            ),
        )
    })?;
    if !matches!(key, Gs1Key::Lot { .. }) {
        return Err(refuse(
            ErrorCode::UnmappableId,
            format!("the class '{}' is not a lot", clip(&q.epc_class)),
        ));
    }
    let whole = |s: &str| s.parse::<u64>().ok().filter(|n| *n > 0);
    let counted = q.uom.as_deref().is_none_or(|u| u == "EA" || u == "H87");
    match q.quantity.as_deref().and_then(whole) {
        Some(n) if counted => Ok(Entry::lot(key, n)),
        _ => Err(refuse(
            ErrorCode::UnmappableQuantity,
            format!(
                "the quantity of '{}' is not a whole count of pieces (the ledger counts lots)",
                clip(&q.epc_class)
            ),
        )),
    }
}

fn entries(ids: &[String], quantities: &[QuantityElement]) -> Result<Vec<Entry>, EpcisError> {
    let mut out = Vec::with_capacity(ids.len() + quantities.len());
    for id in ids {
        out.push(item(id)?);
    }
    for q in quantities {
        out.push(lot(q)?);
    }
    Ok(out)
}

fn nonempty(v: Vec<Entry>, what: &str) -> Result<Vec<Entry>, EpcisError> {
    if v.is_empty() {
        Err(refuse(
            ErrorCode::NoEntries,
            format!("the event names no {what} the ledger tracks"),
        ))
    } else {
        Ok(v)
    }
}

fn text(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The readings of an observation: each sensor report's type and value.
fn readings(e: &Event) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in &e.sensor_element_list {
        for r in &s.reports {
            let get = |n: &str| {
                r.iter()
                    .find(|a| a.name.ns.is_empty() && a.name.local == n)
                    .map(|a| a.value.text().to_string())
            };
            let kind = get("type")
                .map(|t| Vocab::MeasurementType.bare(&t).unwrap_or(t))
                .unwrap_or_else(|| "reading".into());
            let value = get("value").or_else(|| get("stringValue"));
            if let Some(v) = value {
                let k = match get("uom") {
                    Some(u) => format!("{kind} {u}"),
                    None => kind,
                };
                out.push((text(k, MAX_ATTR_KEY_LEN), text(v, MAX_ATTR_VALUE_LEN)));
            }
        }
    }
    out.truncate(MAX_ATTRS);
    out
}

/// Maps event `index` of `doc` to the transaction `me` signs for it.
pub fn to_payload(
    doc: &Document,
    index: usize,
    me: &OrgId,
    lookup: &impl Lookup,
) -> Result<Mapped, EpcisError> {
    let e = doc.events.get(index).ok_or_else(|| {
        refuse(
            ErrorCode::MissingField,
            format!("the document has no event {index}"),
        )
    })?;
    map(doc, e, me, lookup).map_err(|err| err.at_event(index))
}

fn map(doc: &Document, e: &Event, me: &OrgId, lookup: &impl Lookup) -> Result<Mapped, EpcisError> {
    let event_time_ms = parse_time_ms(&e.event_time)?;
    let mapped = |payload| -> Result<Mapped, EpcisError> {
        Ok(Mapped {
            payload,
            event_time_ms,
        })
    };
    if let Some(d) = &e.error_declaration {
        // The hash id leaves the error declaration out: the declared event hashes as the
        // original did, and its eventID (when given) names it too.
        let hash = crate::hash::hash_id(doc, e);
        let target = lookup
            .tx_of_event(&hash)
            .or_else(|| e.event_id.as_deref().and_then(|id| lookup.tx_of_event(id)))
            .ok_or_else(|| {
                refuse(
                    ErrorCode::UnknownTarget,
                    format!("the event declared in error ({hash}) is not on the ledger"),
                )
            })?;
        let reason = d
            .reason
            .as_deref()
            .map(|r| Vocab::ErrorReason.bare(r).unwrap_or_else(|| r.to_string()))
            .unwrap_or_else(|| "declared in error".into());
        let fields = d
            .corrective_event_ids
            .iter()
            .take(MAX_ATTRS)
            .map(|id| {
                (
                    "corrective_event".to_string(),
                    text(id.clone(), MAX_ATTR_VALUE_LEN),
                )
            })
            .collect();
        return mapped(Payload::Correct {
            target,
            reason: text(reason, MAX_TEXT_LEN),
            fields,
        });
    }
    let step = step(e);
    let disp = disposition(e);
    let step = step.as_deref();
    match e.event_type {
        EventType::ObjectEvent | EventType::TransactionEvent => {
            let things = entries(&e.epc_list, &e.quantity_list)?;
            let things = nonempty(things, "items, lots or logistics units")?;
            match (e.action, step) {
                (Some(Action::Add), Some("commissioning"))
                    if e.event_type == EventType::ObjectEvent =>
                {
                    mapped(Payload::Commission(Commission {
                        entries: things,
                        claim_keys: Vec::new(),
                        at: at(e)?,
                        lot: None,
                        expiry: None,
                        attributes: Vec::new(),
                    }))
                }
                (_, Some("shipping")) => {
                    mapped(Payload::ProposeHandoff(propose(e, things, lookup)?))
                }
                (_, Some("receiving")) => {
                    let keys: Vec<Gs1Key> = things.iter().map(|x| x.key.clone()).collect();
                    let handoff = lookup.open_handoff(me, &keys).ok_or_else(|| {
                        refuse(
                            ErrorCode::NoOpenHandoff,
                            "no open handoff to this org offers the items received",
                        )
                    })?;
                    mapped(Payload::AcceptHandoff(AcceptHandoff {
                        handoff,
                        missing: Vec::new(),
                        damaged: Vec::new(),
                    }))
                }
                (Some(Action::Delete), _) | (_, Some("decommissioning" | "destroying")) => {
                    mapped(Payload::Decommission {
                        entries: things,
                        reason: text(
                            step.map(str::to_string)
                                .or(disp)
                                .unwrap_or_else(|| "deleted".into()),
                            MAX_TEXT_LEN,
                        ),
                    })
                }
                (_, Some("retail_selling")) => mapped(Payload::Sell { entries: things }),
                _ if disp.as_deref() == Some("stolen") => mapped(Payload::ReportStolen {
                    entries: things,
                    note: "stolen".into(),
                }),
                _ => observe(e, things, step),
            }
        }
        EventType::AggregationEvent => {
            let parent = e.parent_id.as_deref().ok_or_else(|| {
                refuse(
                    ErrorCode::MissingField,
                    "an aggregation the ledger records names its parent (parentID)",
                )
            })?;
            let container = ids::parse_id(parent)?;
            if !matches!(container, Gs1Key::Sscc { .. }) {
                return Err(refuse(
                    ErrorCode::UnmappableId,
                    format!(
                        "the parent '{}' is not a logistics unit (SSCC)",
                        clip(parent)
                    ),
                ));
            }
            let children = entries(&e.child_epcs, &e.child_quantity_list)?;
            match e.action {
                Some(Action::Add) => mapped(Payload::Pack {
                    container,
                    entries: nonempty(children, "children")?,
                }),
                Some(Action::Delete) => mapped(Payload::Unpack {
                    container,
                    entries: children,
                }),
                _ => {
                    let mut all = vec![Entry::item(container)];
                    all.extend(children);
                    observe(e, all, step)
                }
            }
        }
        EventType::TransformationEvent => {
            let inputs = entries(&e.input_epc_list, &e.input_quantity_list)?;
            let outputs = entries(&e.output_epc_list, &e.output_quantity_list)?;
            mapped(Payload::Transform(Transform {
                inputs: nonempty(inputs, "inputs")?,
                outputs: nonempty(outputs, "outputs")?,
                at: at(e)?,
                expiry: None,
                attributes: Vec::new(),
            }))
        }
        EventType::AssociationEvent => {
            let mut all = Vec::new();
            if let Some(p) = &e.parent_id {
                all.push(item(p)?);
            }
            all.extend(entries(&e.child_epcs, &e.child_quantity_list)?);
            observe(e, nonempty(all, "items")?, step)
        }
    }
}

fn observe(e: &Event, things: Vec<Entry>, step: Option<&str>) -> Result<Mapped, EpcisError> {
    Ok(Mapped {
        payload: Payload::Observe(Observe {
            entries: things,
            at: at(e)?,
            kind: text(
                step.map(str::to_string)
                    .unwrap_or_else(|| "observing".into()),
                MAX_ATTR_KEY_LEN,
            ),
            readings: readings(e),
        }),
        event_time_ms: parse_time_ms(&e.event_time)?,
    })
}

fn propose(
    e: &Event,
    things: Vec<Entry>,
    lookup: &impl Lookup,
) -> Result<ProposeHandoff, EpcisError> {
    let party = |kind: &str| {
        e.destination_list
            .iter()
            .find(|d| Vocab::SourceDestType.bare(&d.kind).as_deref() == Some(kind))
    };
    let (owning, possessing) = (party("owning_party"), party("possessing_party"));
    let transfer = match (owning.is_some(), possessing.is_some()) {
        (true, true) => Transfer::Both,
        (true, false) => Transfer::Ownership,
        (false, true) => Transfer::Custody,
        (false, false) => {
            return Err(refuse(
                ErrorCode::NoDestination,
                "a shipment the ledger records names its destination party (owning_party or possessing_party)",
            ));
        }
    };
    let mut to = None;
    for d in [possessing, owning].into_iter().flatten() {
        let gln = gln_of_id(&d.id).ok_or_else(|| {
            refuse(
                ErrorCode::UnmappableId,
                format!("the destination party '{}' is not a GLN", clip(&d.id)),
            )
        })?;
        let org = lookup.org_by_gln(&gln).ok_or_else(|| {
            refuse(
                ErrorCode::UnknownParty,
                format!("no org on the ledger holds the GLN {gln}"),
            )
        })?;
        if to.is_some_and(|t| t != org) {
            return Err(refuse(
                ErrorCode::UnknownParty,
                "the owning and possessing parties are different orgs; a handoff has one recipient",
            ));
        }
        to = Some(org);
    }
    let to = to.ok_or_else(|| refuse(ErrorCode::NoDestination, "no destination party"))?;
    let location = |list: &[SourceDest]| {
        list.iter()
            .find(|d| Vocab::SourceDestType.bare(&d.kind).as_deref() == Some("location"))
            .and_then(|d| gln_of_id(&d.id))
    };
    let docs = e
        .biz_transaction_list
        .iter()
        .take(handoff_core::limits::MAX_DOCS)
        .map(|b| DocRef {
            kind: text(
                b.kind
                    .as_deref()
                    .map(|k| {
                        Vocab::BizTransactionType
                            .bare(k)
                            .or_else(|| crate::cbv::handoff_word("btt", k))
                            .unwrap_or_else(|| k.to_string())
                    })
                    .unwrap_or_else(|| "reference".into()),
                handoff_core::limits::MAX_NAME_LEN,
            ),
            id: text(
                crate::cbv::handoff_word("bt", &b.id).unwrap_or_else(|| b.id.clone()),
                handoff_core::limits::MAX_NAME_LEN,
            ),
        })
        .collect();
    Ok(ProposeHandoff {
        to,
        entries: things,
        transfer,
        ship_from: location(&e.source_list),
        ship_to: location(&e.destination_list),
        docs,
        expires_at_height: None,
    })
}

// ------------------------------------------------------------------ export

/// What [`from_payload`] knows of a committed transaction besides its payload.
#[derive(Clone, Debug)]
pub struct Committed<'a> {
    /// The payload.
    pub payload: &'a Payload,
    /// Device time, Unix ms.
    pub event_time_ms: i64,
    /// Block time, Unix ms.
    pub record_time_ms: i64,
    /// The acting org.
    pub by: OrgId,
    /// The transaction id.
    pub tx: TxId,
}

fn dl(key: &Gs1Key) -> String {
    ids::key_to_digital_link(key)
}

fn location_uri(gln: &str) -> String {
    format!("{ID_GS1}/414/{gln}")
}

fn party_uri(gln: &str) -> String {
    format!("{ID_GS1}/417/{gln}")
}

fn put_entries(list: &[Entry], epcs: &mut Vec<String>, qs: &mut Vec<QuantityElement>) {
    for en in list {
        match en.quantity {
            Some(n) => qs.push(QuantityElement {
                epc_class: dl(&en.key),
                quantity: Some(n.to_string()),
                uom: None,
            }),
            None => epcs.push(dl(&en.key)),
        }
    }
}

fn object(
    c: &Committed<'_>,
    action: Action,
    step: &str,
    disp: Option<&str>,
    list: &[Entry],
) -> Event {
    let mut e = base(c, EventType::ObjectEvent);
    e.action = Some(action);
    e.biz_step = Some(step.into());
    e.disposition = disp.map(str::to_string);
    put_entries(list, &mut e.epc_list, &mut e.quantity_list);
    e
}

fn base(c: &Committed<'_>, t: EventType) -> Event {
    let mut e = Event::new(t, &format_ms(c.event_time_ms), "+00:00");
    e.record_time = Some(format_ms(c.record_time_ms));
    e
}

fn place(e: &mut Event, gln: &Option<String>) {
    if let Some(g) = gln {
        e.read_point = Some(Place {
            id: location_uri(g),
            extensions: Vec::new(),
        });
        e.biz_location = Some(Place {
            id: location_uri(g),
            extensions: Vec::new(),
        });
    }
}

fn parties(
    list: &mut Vec<SourceDest>,
    gln: Option<String>,
    transfer: Transfer,
    location: &Option<String>,
) {
    if let Some(g) = gln {
        if transfer.ownership() {
            list.push(SourceDest {
                kind: "owning_party".into(),
                id: party_uri(&g),
            });
        }
        if transfer.custody() {
            list.push(SourceDest {
                kind: "possessing_party".into(),
                id: party_uri(&g),
            });
        }
    }
    if let Some(l) = location {
        list.push(SourceDest {
            kind: "location".into(),
            id: location_uri(l),
        });
    }
}

/// The EPCIS event of a committed transaction, or `None` for a transaction that is no
/// supply-chain event (orgs, devices, products, certifications, finance, claims).
pub fn from_payload(c: &Committed<'_>, lookup: &impl ExportLookup) -> Option<Event> {
    Some(match c.payload {
        Payload::Commission(m) => {
            let mut e = object(c, Action::Add, "commissioning", Some("active"), &m.entries);
            place(&mut e, &m.at);
            e
        }
        Payload::ProposeHandoff(h) => {
            let mut e = object(
                c,
                Action::Observe,
                "shipping",
                Some("in_transit"),
                &h.entries,
            );
            parties(
                &mut e.source_list,
                lookup.gln_of(&c.by),
                h.transfer,
                &h.ship_from,
            );
            parties(
                &mut e.destination_list,
                lookup.gln_of(&h.to),
                h.transfer,
                &h.ship_to,
            );
            place(&mut e, &h.ship_from);
            e.biz_transaction_list = h
                .docs
                .iter()
                .map(|d| BizTransaction {
                    // EPCIS requires URIs: a type or number the CBV has no word for is
                    // written in Handoff's vocabulary (read back by the import).
                    kind: Some(
                        if crate::cbv::BIZ_TRANSACTION_TYPES.contains(&d.kind.as_str()) {
                            d.kind.clone()
                        } else {
                            crate::cbv::handoff_uri("btt", &d.kind)
                        },
                    ),
                    id: if crate::cbv::is_uri(&d.id) {
                        d.id.clone()
                    } else {
                        crate::cbv::handoff_uri("bt", &d.id)
                    },
                })
                .collect();
            e
        }
        Payload::AcceptHandoff(a) => {
            let (from, h) = lookup.proposal(&a.handoff)?;
            let left_out = |en: &Entry| {
                a.missing
                    .iter()
                    .chain(&a.damaged)
                    .any(|x| x.key == en.key && x.quantity.is_none())
            };
            let delivered: Vec<Entry> = h
                .entries
                .iter()
                .filter(|en| !left_out(en))
                .map(|en| {
                    let short: u64 = a
                        .missing
                        .iter()
                        .chain(&a.damaged)
                        .filter(|x| x.key == en.key)
                        .filter_map(|x| x.quantity)
                        .sum();
                    Entry {
                        key: en.key.clone(),
                        quantity: en.quantity.map(|q| q.saturating_sub(short)),
                    }
                })
                .collect();
            let mut e = object(
                c,
                Action::Observe,
                "receiving",
                Some("in_progress"),
                &delivered,
            );
            parties(
                &mut e.source_list,
                lookup.gln_of(&from),
                h.transfer,
                &h.ship_from,
            );
            parties(
                &mut e.destination_list,
                lookup.gln_of(&c.by),
                h.transfer,
                &h.ship_to,
            );
            place(&mut e, &h.ship_to);
            e
        }
        Payload::Pack { container, entries } | Payload::Unpack { container, entries } => {
            let packing = matches!(c.payload, Payload::Pack { .. });
            let mut e = base(c, EventType::AggregationEvent);
            e.action = Some(if packing { Action::Add } else { Action::Delete });
            e.biz_step = Some(if packing { "packing" } else { "unpacking" }.into());
            e.parent_id = Some(dl(container));
            put_entries(entries, &mut e.child_epcs, &mut e.child_quantity_list);
            e
        }
        Payload::Observe(o) => {
            let step = match o.kind.as_str() {
                "inspection" | "observing" => "inspecting".to_string(),
                "storage" => "storing".to_string(),
                "temperature" => "sensor_reporting".to_string(),
                k if k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') && !k.is_empty() => {
                    k.to_string()
                }
                _ => "inspecting".to_string(),
            };
            // A kind outside the CBV is a step of Handoff's vocabulary (a URI, as EPCIS
            // requires), read back to the same kind by the import.
            let step = if crate::cbv::BIZ_STEPS.contains(&step.as_str()) {
                step
            } else {
                crate::cbv::handoff_uri("bizstep", &step)
            };
            let mut e = object(c, Action::Observe, &step, None, &o.entries);
            place(&mut e, &o.at);
            e
        }
        Payload::Transform(t)
        | Payload::ClaimedTransform(ClaimedTransform { transform: t, .. }) => {
            let mut e = base(c, EventType::TransformationEvent);
            e.biz_step = Some("commissioning".into());
            e.disposition = Some("active".into());
            put_entries(&t.inputs, &mut e.input_epc_list, &mut e.input_quantity_list);
            put_entries(
                &t.outputs,
                &mut e.output_epc_list,
                &mut e.output_quantity_list,
            );
            place(&mut e, &t.at);
            e
        }
        Payload::Sell { entries } => object(
            c,
            Action::Observe,
            "retail_selling",
            Some("retail_sold"),
            entries,
        ),
        Payload::Decommission { entries, .. } => object(
            c,
            Action::Delete,
            "decommissioning",
            Some("inactive"),
            entries,
        ),
        Payload::ReportStolen { entries, .. } => {
            object(c, Action::Observe, "inspecting", Some("stolen"), entries)
        }
        Payload::Recall { gtin, scope, .. } => {
            let mut e = base(c, EventType::ObjectEvent);
            e.action = Some(Action::Observe);
            e.biz_step = Some("holding".into());
            e.disposition = Some("recalled".into());
            match scope {
                RecallScope::Items(keys) => e.epc_list = keys.iter().map(dl).collect(),
                RecallScope::Lot(l) => e.quantity_list.push(QuantityElement {
                    epc_class: dl(&Gs1Key::Lot {
                        gtin: gtin.clone(),
                        lot: l.clone(),
                    }),
                    quantity: None,
                    uom: None,
                }),
                RecallScope::Product => e.quantity_list.push(QuantityElement {
                    epc_class: dl(&Gs1Key::Gtin { gtin: gtin.clone() }),
                    quantity: None,
                    uom: None,
                }),
            }
            e
        }
        Payload::Correct { target, reason, .. } => {
            let (payload, time, by) = lookup.transaction(target)?;
            if matches!(payload, Payload::Correct { .. }) {
                return None;
            }
            let original = Committed {
                payload: &payload,
                event_time_ms: time,
                record_time_ms: c.record_time_ms,
                by,
                tx: *target,
            };
            let mut e = from_payload(&original, lookup)?;
            e.record_time = Some(format_ms(c.record_time_ms));
            e.error_declaration = Some(ErrorDeclaration {
                declaration_time: format_ms(c.event_time_ms),
                reason: Some(match reason.as_str() {
                    "did_not_occur" | "incorrect_data" => reason.clone(),
                    _ => "incorrect_data".into(),
                }),
                corrective_event_ids: Vec::new(),
                extensions: Vec::new(),
            });
            e
        }
        _ => return None,
    })
}

// ------------------------------------------------------------------ kept events

/// An imported event as the node keeps it beside the transaction it became: its hash id
/// and a JSON-LD document of this one event with the namespaces of the document it came
/// in, so that an export writes every field back and the event hashes as it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    /// The event's hash id (`ni:///sha-256;…?ver=CBV2.0`).
    pub hash_id: String,
    /// The one-event JSON-LD document, at most
    /// [`MAX_KEPT_EVENT_BYTES`](crate::limits::MAX_KEPT_EVENT_BYTES).
    pub jsonld: String,
}

/// The kept form of event `index` of `doc`. Refused when it is larger than
/// [`crate::limits::MAX_KEPT_EVENT_BYTES`], or when (it never should) the kept form would
/// not hash as the event does.
pub fn keep(doc: &Document, index: usize) -> Result<Kept, EpcisError> {
    let event = doc.events.get(index).ok_or_else(|| {
        refuse(
            ErrorCode::MissingField,
            format!("the document has no event {index}"),
        )
    })?;
    let single = Document {
        kind: DocumentKind::Epcis,
        schema_version: "2.0".into(),
        creation_date: doc.creation_date.clone(),
        namespaces: doc.namespaces.clone(),
        expand_value_prefixes: doc.expand_value_prefixes,
        query_name: None,
        subscription_id: None,
        events: vec![event.clone()],
    };
    let hash_id = crate::hash::hash_id(doc, event);
    let jsonld = crate::json::write_jsonld(&single);
    if jsonld.len() > crate::limits::MAX_KEPT_EVENT_BYTES {
        return Err(refuse(
            ErrorCode::TooLarge,
            format!(
                "the event takes {} bytes; at most {} are kept with a transaction",
                jsonld.len(),
                crate::limits::MAX_KEPT_EVENT_BYTES
            ),
        )
        .at_event(index));
    }
    let back = restore(&jsonld).map_err(|e| e.at_event(index))?;
    if crate::hash::hash_ids(&back) != [hash_id.as_str()] {
        return Err(refuse(
            ErrorCode::BadValue,
            "the event cannot be kept so that it hashes the same",
        )
        .at_event(index));
    }
    Ok(Kept { hash_id, jsonld })
}

/// Reads a kept event back (a one-event JSON-LD document, bounded).
pub fn restore(jsonld: &str) -> Result<Document, EpcisError> {
    if jsonld.len() > crate::limits::MAX_KEPT_EVENT_BYTES {
        return Err(refuse(
            ErrorCode::TooLarge,
            "a kept event is larger than the limit",
        ));
    }
    let d = crate::json::parse_jsonld(jsonld)?;
    if d.events.len() != 1 {
        return Err(refuse(
            ErrorCode::BadJson,
            format!("a kept event is one event, not {}", d.events.len()),
        ));
    }
    Ok(d)
}

/// One capture document of events, each with the namespace declarations of the document
/// it came from. A prefix two sources declare for different namespaces is renamed
/// (`ns1`, `ns2`…) in the result, and that source's extension names are written with the
/// result's prefixes (a value written as a compact IRI with the renamed prefix would then
/// expand differently: two partners using one prefix for two namespaces in values is not
/// kept apart).
pub fn merge(creation_date: &str, parts: Vec<(Vec<Namespace>, Event)>) -> Document {
    let mut out = Document::new(creation_date, Vec::with_capacity(parts.len()));
    for (namespaces, mut event) in parts {
        let mut renamed = false;
        for n in namespaces {
            if out
                .namespaces
                .iter()
                .any(|m| m.iri == n.iri && m.prefix == n.prefix)
            {
                continue;
            }
            let taken = |p: &str, ns: &[Namespace]| ns.iter().any(|m| m.prefix == p);
            let mut prefix = n.prefix.clone();
            let mut i = 1;
            while taken(&prefix, &out.namespaces) {
                prefix = format!("ns{i}");
                i += 1;
            }
            renamed |= prefix != n.prefix;
            out.namespaces.push(Namespace { prefix, iri: n.iri });
        }
        // The names keep the prefixes they were read with (the writer knows the EPCIS
        // context's own, such as `cbvmda`), unless one was renamed here.
        if renamed {
            event.clear_prefixes();
        }
        out.events.push(event);
    }
    out
}
