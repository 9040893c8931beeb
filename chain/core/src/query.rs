//! Provenance queries over committed state and histories: an item's full journey
//! (including what happened to the containers it travelled in and to the inputs it was
//! made from), and the consumer verdict.

use crate::apply::resolve_custody;
use crate::certify;
use crate::event::Event;
use crate::gs1::{Gs1Key, Scan, ScanError};
use crate::state::*;
use crate::tx::RecallScope;
use crate::types::Role;
use serde::Serialize;

/// Access to stored histories.
pub trait HistoryRead {
    /// Events of a canonical key, in order (an unreadable history is an error, never an
    /// empty one).
    fn events(&self, canonical: &str) -> ReadResult<Vec<Event>>;
}

/// The product attribute by which a brand displays a certification (`certification=EU
/// organic`); the verdict warns when none of that scheme counts for the item.
pub const CERTIFICATION_ATTR: &str = "certification";

/// How deep provenance follows containers and transform inputs.
pub const MAX_PROVENANCE_DEPTH: usize = 4;
/// Most events one provenance query returns.
pub const MAX_PROVENANCE_EVENTS: usize = 5000;

/// An event in an item's journey and how it reached the item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JourneyEvent {
    /// The event.
    #[serde(flatten)]
    pub event: Event,
    /// Whose history it is from (canonical key).
    pub subject: String,
    /// `self`, `container` (it travelled inside `subject`) or `input` (made from `subject`).
    pub via: &'static str,
}

type Pos = (u64, u32);

fn pos(e: &Event) -> Pos {
    (e.height, e.index)
}

/// The full journey of an item, container or lot, oldest first. Any record or history
/// that cannot be read fails the whole query: a journey with a gap would look complete.
pub fn journey(
    state: &dyn StateRead,
    hist: &dyn HistoryRead,
    key: &Gs1Key,
) -> ReadResult<Vec<JourneyEvent>> {
    let mut out = Vec::new();
    collect(
        state,
        hist,
        key,
        "self",
        (0, 0),
        (u64::MAX, u32::MAX),
        0,
        &mut out,
    )?;
    out.sort_by(|a, b| {
        pos(&a.event)
            .cmp(&pos(&b.event))
            .then(a.subject.cmp(&b.subject))
    });
    out.dedup_by(|a, b| a.event.tx == b.event.tx && a.subject == b.subject);
    out.truncate(MAX_PROVENANCE_EVENTS);
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn collect(
    state: &dyn StateRead,
    hist: &dyn HistoryRead,
    key: &Gs1Key,
    via: &'static str,
    from: Pos,
    to: Pos,
    depth: usize,
    out: &mut Vec<JourneyEvent>,
) -> ReadResult<()> {
    if depth > MAX_PROVENANCE_DEPTH || out.len() >= MAX_PROVENANCE_EVENTS {
        return Ok(());
    }
    let canonical = key.canonical();
    let events = hist.events(&canonical)?;
    // Intervals spent inside containers: from a pack into C to the unpack from C (or an
    // exception that took it out).
    let mut open: Vec<(Gs1Key, Pos)> = Vec::new();
    let mut intervals: Vec<(Gs1Key, Pos, Pos)> = Vec::new();
    for e in &events {
        let p = pos(e);
        if p < from || p > to {
            continue;
        }
        let skip_container_bookkeeping =
            via == "container" && (e.kind == "pack" || e.kind == "unpack");
        if !skip_container_bookkeeping {
            out.push(JourneyEvent {
                event: e.clone(),
                subject: canonical.clone(),
                via,
            });
        }
        let is_container = matches!(key, Gs1Key::Sscc { .. });
        match e.kind.as_str() {
            "pack" if !is_container || e.related.len() == 1 => {
                if let Some(c) = e.related.first() {
                    open.push((c.clone(), p));
                }
            }
            "unpack" if !is_container || e.related.len() == 1 => {
                if let Some(c) = e.related.first()
                    && let Some(i) = open.iter().position(|(k, _)| k == c)
                {
                    let (k, start) = open.remove(i);
                    intervals.push((k, start, p));
                }
            }
            "handoff_exception" => {
                for (k, start) in open.drain(..) {
                    intervals.push((k, start, p));
                }
            }
            _ => {}
        }
    }
    for (k, start) in open {
        intervals.push((k, start, to));
    }
    for (c, start, end) in intervals {
        collect(
            state,
            hist,
            &c,
            "container",
            start.max(from),
            end.min(to),
            depth + 1,
            out,
        )?;
    }
    // Transform inputs: everything that happened to them up to the transform.
    let inputs = match state.read(&StateKey::item(key))? {
        Some(Record::Item(it)) => it.inputs,
        Some(Record::Lot(l)) => l.inputs,
        _ => Vec::new(),
    };
    let made_at = events
        .iter()
        .find(|e| e.kind == "transform")
        .map(pos)
        .unwrap_or(to);
    for input in inputs {
        collect(
            state,
            hist,
            &input.key,
            "input",
            (0, 0),
            made_at.min(to),
            depth + 1,
            out,
        )?;
    }
    Ok(())
}

/// The consumer verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Commissioned by the brand owner or licensee, reached a retailer through accepted
    /// handoffs, nothing wrong.
    Genuine,
    /// Something needs attention.
    Warning,
    /// Not a real item.
    Counterfeit,
}

/// One reason for a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

/// A verdict with its reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerdictReport {
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub reasons: Vec<Reason>,
}

/// The UTC calendar date `(year, month, day)` of unix milliseconds (Howard Hinnant's
/// civil-from-days algorithm), for every date the ledger, the node and the consumer page
/// print or compare.
pub fn civil_date(unix_ms: i64) -> (i64, i64, i64) {
    let z = unix_ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Today's date as YYMMDD from unix milliseconds (UTC), for expiry checks.
pub fn yymmdd(unix_ms: i64) -> String {
    let (y, m, d) = civil_date(unix_ms);
    format!("{:02}{:02}{:02}", y.rem_euclid(100), m, d)
}

fn expired(expiry: &Option<String>, today: &str) -> bool {
    match expiry {
        // Day 00 means the end of the month (GS1): compare by month then.
        Some(e) if e.len() == 6 && e.ends_with("00") => e[..4] < today[..4],
        Some(e) if e.len() == 6 => e.as_str() < today,
        _ => false,
    }
}

/// The verdict for a scan (§6 of the product spec), as of `now_ms`. A record that cannot
/// be read gives no verdict at all (never "counterfeit" for an unreadable item, never
/// "genuine" with a recall unread).
pub fn verdict(
    state: &dyn StateRead,
    scan: &Result<Scan, ScanError>,
    now_ms: i64,
) -> ReadResult<VerdictReport> {
    let mut reasons = Vec::new();
    let counterfeit = |code: &'static str, message: String| VerdictReport {
        verdict: Verdict::Counterfeit,
        reasons: vec![Reason { code, message }],
    };
    let scan = match scan {
        Ok(s) => s,
        Err(e) => {
            return Ok(counterfeit(
                "MALFORMED_ID",
                format!("the code is not a valid GS1 identifier: {e}"),
            ));
        }
    };
    let key = &scan.key;
    let c = key.canonical();
    let Some(gtin) = key.gtin().map(str::to_string) else {
        return Ok(counterfeit(
            "NOT_A_PRODUCT",
            format!("{c} does not name a product"),
        ));
    };
    if matches!(key, Gs1Key::Gtin { .. }) {
        return Ok(VerdictReport {
            verdict: Verdict::Warning,
            reasons: vec![Reason {
                code: "NOT_SERIALIZED",
                message:
                    "this code names only the product, not an individual item; it cannot be checked"
                        .into(),
            }],
        });
    }
    let Some(product) = state.product(&gtin)? else {
        return Ok(counterfeit(
            "UNKNOWN_PRODUCT",
            format!("no brand has defined GTIN {gtin}"),
        ));
    };
    let today = yymmdd(now_ms);
    let is_retailer = |org| -> ReadResult<bool> {
        Ok(state.org(&org)?.is_some_and(|o| o.has_role(Role::Retailer)))
    };
    let org_name = |org| -> ReadResult<String> {
        Ok(state
            .org(&org)?
            .map_or_else(|| "an unknown org".to_string(), |o| o.name))
    };
    let recalled_product = product
        .recalls
        .iter()
        .find(|r| r.scope == RecallScope::Product);
    let lot_recall = |lot: &Option<String>| {
        product
            .recalls
            .iter()
            .find(|r| matches!(&r.scope, RecallScope::Lot(l) if Some(l) == lot.as_ref()))
    };
    let commissioned_by;
    let mut lot_of: Option<String> = None;
    match state.thing(key)? {
        None => {
            return Ok(counterfeit(
                "NEVER_COMMISSIONED",
                format!("{c} was never commissioned"),
            ));
        }
        Some(Record::Item(it)) => {
            commissioned_by = it.commissioned_by;
            lot_of = it.lot.clone();
            if it.status == ItemStatus::Decommissioned {
                return Ok(counterfeit(
                    "DECOMMISSIONED",
                    format!("{c} was destroyed; this code should not exist"),
                ));
            }
            if it.recalled.is_some() {
                reasons.push(Reason {
                    code: "RECALLED",
                    message: format!("{} recalled this item", product.name),
                });
            }
            if let Some(r) = lot_recall(&it.lot) {
                reasons.push(Reason {
                    code: "RECALLED",
                    message: format!("lot recalled: {}", r.reason),
                });
            }
            if it.stolen {
                reasons.push(Reason {
                    code: "STOLEN",
                    message: "this item was reported stolen".into(),
                });
            }
            if it.status == ItemStatus::Claimed {
                reasons.push(Reason {
                    code: "ALREADY_CLAIMED",
                    message:
                        "this item was already claimed by a buyer; the code may have been copied"
                            .into(),
                });
            }
            if let Some(x) = &it.exception {
                reasons.push(Reason {
                    code: "DISPUTED_HANDOFF",
                    message: format!("flagged {} at a handoff", x.kind),
                });
            }
            let cu = resolve_custody(
                &|k| {
                    Ok(match state.thing(k)? {
                        Some(Record::Item(i)) => Some(i),
                        _ => None,
                    })
                },
                &it,
            )?;
            if cu.handoff.is_some() {
                reasons.push(Reason {
                    code: "OPEN_HANDOFF",
                    message: "this item is in transit between two parties".into(),
                });
            }
            let sold = matches!(it.status, ItemStatus::Sold | ItemStatus::Claimed);
            if it.status == ItemStatus::Consumed {
                reasons.push(Reason {
                    code: "CONSUMED",
                    message: "this item was used up to make another product".into(),
                });
            } else if !sold && !is_retailer(cu.custodian)? {
                reasons.push(Reason {
                    code: "NOT_AT_RETAILER",
                    message: format!(
                        "this item never reached a retailer; it is with {}",
                        org_name(cu.custodian)?
                    ),
                });
            }
            if expired(&it.expiry, &today) {
                reasons.push(Reason {
                    code: "EXPIRED",
                    message: "past its expiry date".into(),
                });
            }
        }
        Some(Record::Lot(lot)) => {
            commissioned_by = lot.commissioned_by;
            if let Gs1Key::Lot { lot: l, .. } = key
                && let Some(r) = lot_recall(&Some(l.clone()))
            {
                reasons.push(Reason {
                    code: "RECALLED",
                    message: format!("lot recalled: {}", r.reason),
                });
            }
            if lot.stolen > 0 {
                reasons.push(Reason {
                    code: "STOLEN",
                    message: format!("{} of this lot were reported stolen", lot.stolen),
                });
            }
            let mut at_retail = false;
            for (h, _) in &lot.balances {
                if let Holder::Org { custodian, .. } = h
                    && is_retailer(*custodian)?
                {
                    at_retail = true;
                    break;
                }
            }
            if !at_retail && lot.retired == 0 {
                reasons.push(Reason {
                    code: "NOT_AT_RETAILER",
                    message: "no part of this lot has reached a retailer".into(),
                });
            }
            if lot
                .balances
                .iter()
                .any(|(h, _)| matches!(h, Holder::Transit { .. }))
            {
                reasons.push(Reason {
                    code: "OPEN_HANDOFF",
                    message: "part of this lot is in transit".into(),
                });
            }
            if expired(&lot.expiry, &today) {
                reasons.push(Reason {
                    code: "EXPIRED",
                    message: "past its expiry date".into(),
                });
            }
        }
        Some(_) => {
            return Ok(counterfeit(
                "NOT_A_PRODUCT",
                format!("{c} does not name a product item"),
            ));
        }
    }
    if commissioned_by != product.owner && !product.licensees.contains(&commissioned_by) {
        return Ok(counterfeit(
            "UNLICENSED",
            format!(
                "{c} was commissioned by {}, who neither owns nor licenses {}",
                org_name(commissioned_by)?,
                product.name
            ),
        ));
    }
    if let Some(r) = recalled_product {
        reasons.insert(
            0,
            Reason {
                code: "RECALLED",
                message: format!("{} is recalled: {}", product.name, r.reason),
            },
        );
    }
    // A certification the brand displays (a product attribute `certification=SCHEME`)
    // must be covered by one that counts now, through the item, its lot, its product or
    // its maker.
    let displayed: Vec<&str> = product
        .attributes
        .iter()
        .filter(|(k, _)| k == CERTIFICATION_ATTR)
        .map(|(_, v)| v.as_str())
        .collect();
    if !displayed.is_empty() {
        let subjects = certify::subjects_of(key, lot_of.as_deref(), Some(commissioned_by), []);
        let certs = certify::applicable(state, &subjects, now_ms)?;
        for scheme in displayed {
            let of_scheme =
                |a: &&certify::Applied| a.record.cert.scheme.eq_ignore_ascii_case(scheme);
            if certs.iter().filter(of_scheme).any(|a| a.status.counts()) {
                continue;
            }
            let why = match certs.iter().find(of_scheme).map(|a| a.status) {
                Some(certify::CertStatus::Revoked) => " (it was revoked)",
                Some(certify::CertStatus::Suspended) => " (it is suspended)",
                Some(certify::CertStatus::Expired) => " (it expired)",
                Some(certify::CertStatus::NotYetValid) => " (it is not valid yet)",
                _ => "",
            };
            reasons.push(Reason {
                code: "CERTIFICATION_NOT_VALID",
                message: format!(
                    "the product claims {scheme}, but no valid {scheme} certification covers it{why}"
                ),
            });
        }
    }
    if reasons.is_empty() {
        return Ok(VerdictReport {
            verdict: Verdict::Genuine,
            reasons: vec![Reason {
                code: "GENUINE",
                message: format!(
                    "{} by {}, handed on through accepted handoffs to a retailer",
                    product.name,
                    org_name(product.owner)?
                ),
            }],
        });
    }
    Ok(VerdictReport {
        verdict: Verdict::Warning,
        reasons,
    })
}
