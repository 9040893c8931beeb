//! Stock on hand and activity of the caller's org (`handoff stock`, `handoff activity`),
//! answered from the store's stock index (`handoff_store::stock`): an org's rows, then
//! the rows of each container it holds, never a scan of every item.

use crate::api::R;
use crate::error::CliError;
use crate::ledger::Ledger;
use crate::view;
use handoff_api::*;
use handoff_core::gs1;
use handoff_core::limits::MAX_NESTING;
use handoff_core::state::{ProductRecord, StateRead, StateReadExt};
use handoff_core::tx::{RecallScope, SignedTx};
use handoff_core::types::PublicKey;
use handoff_store::stock::{StockHolder, StockKind, StockRow, StockStatus};
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;
/// At most this many rows of activity in one answer.
pub(crate) const MAX_ACTIVITY: usize = 10_000;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    days_from_civil(
        if m == 12 { y + 1 } else { y },
        if m == 12 { 1 } else { m + 1 },
        1,
    ) - days_from_civil(y, m, 1)
}

/// A GS1 date (YYMMDD; day 00 is the month's last day) as days since 1970, the century
/// chosen as GS1 General Specifications 7.12 says: within 49 years back and 50 ahead of
/// `now_year`.
fn gs1_date_days(yymmdd: &str, now_year: i64) -> Option<(i64, i64, i64, i64)> {
    if yymmdd.len() != 6 || !yymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |i: usize| yymmdd[i..i + 2].parse::<i64>().ok();
    let (yy, m, d) = (n(0)?, n(2)?, n(4)?);
    if !(1..=12).contains(&m) {
        return None;
    }
    let century = now_year - now_year.rem_euclid(100);
    let mut y = century + yy;
    let diff = yy - now_year.rem_euclid(100);
    if diff >= 51 {
        y -= 100;
    } else if diff <= -50 {
        y += 100;
    }
    let d = if d == 0 { days_in_month(y, m) } else { d };
    if d > days_in_month(y, m) {
        return None;
    }
    Some((days_from_civil(y, m, d), y, m, d))
}

fn year_of(ms: i64) -> i64 {
    view::rfc3339(ms)
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970)
}

struct Expiry {
    date: Option<String>,
    in_days: Option<i64>,
}

fn expiry(yymmdd: &str, now_ms: i64) -> Expiry {
    match gs1_date_days(yymmdd, year_of(now_ms)) {
        Some((days, y, m, d)) => Expiry {
            date: Some(format!("{y:04}-{m:02}-{d:02}")),
            in_days: Some(days - now_ms.div_euclid(DAY_MS)),
        },
        None => Expiry {
            date: (!yymmdd.is_empty()).then(|| yymmdd.to_string()),
            in_days: None,
        },
    }
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn kind_name(k: StockKind) -> &'static str {
    match k {
        StockKind::Item => "item",
        StockKind::Lot => "lot",
        StockKind::Container => "container",
    }
}

/// Where a stock answer is read from: a full node's store, or a light node's own
/// verified index. Both keep the same stock rows ([`handoff_store::stock`]).
pub trait StockSource {
    /// The block the answer is as of: height and block time.
    fn as_of(&self) -> R<(u64, i64)>;
    /// The rows a holder holds directly.
    fn rows(&self, holder: &StockHolder) -> R<Vec<(StockRow, u64)>>;
    /// Records (products, orgs) as of that block.
    fn state(&self) -> &dyn StateRead;
    /// Open handoffs to (`outgoing` false) or from the org.
    fn open(&self, me: &PublicKey, outgoing: bool) -> R<Vec<HandoffView>>;
}

impl StockSource for Ledger {
    fn as_of(&self) -> R<(u64, i64)> {
        let h = self.store.last_header()?;
        Ok((h.height, h.time_ms))
    }
    fn rows(&self, holder: &StockHolder) -> R<Vec<(StockRow, u64)>> {
        Ok(self.store.stock_rows(holder)?)
    }
    fn state(&self) -> &dyn StateRead {
        &self.store
    }
    fn open(&self, me: &PublicKey, outgoing: bool) -> R<Vec<HandoffView>> {
        crate::api::open_handoffs(self, me, outgoing, crate::goods::Depth::Summary)
    }
}

/// Product records and names, read once per GTIN.
struct Products<'a> {
    state: &'a dyn StateRead,
    seen: BTreeMap<String, Option<ProductRecord>>,
}

impl Products<'_> {
    fn get(&mut self, gtin: &str) -> R<Option<&ProductRecord>> {
        if !self.seen.contains_key(gtin) {
            let p = self.state.product(gtin)?;
            self.seen.insert(gtin.to_string(), p);
        }
        Ok(self.seen.get(gtin).and_then(|p| p.as_ref()))
    }
    fn name(&mut self, gtin: &str) -> R<String> {
        Ok(self
            .get(gtin)?
            .map(|p| p.name.clone())
            .unwrap_or_else(|| gtin.to_string()))
    }
    /// The status a row shows: recalled when a product or lot recall covers it.
    fn status(&mut self, row: &StockRow) -> R<StockStatus> {
        if row.kind == StockKind::Container || row.status == StockStatus::Recalled {
            return Ok(row.status);
        }
        let recalled = self.get(&row.gtin)?.is_some_and(|p| {
            p.recalls.iter().any(|r| match &r.scope {
                RecallScope::Product => true,
                RecallScope::Lot(l) => !row.lot.is_empty() && *l == row.lot,
                RecallScope::Items(_) => false,
            })
        });
        Ok(if recalled {
            StockStatus::Recalled
        } else {
            row.status
        })
    }
}

/// The filters of a stock request, checked.
struct Filter {
    gtin: Option<String>,
    lot: Option<String>,
    at: Option<String>,
    status: Option<StockStatus>,
    within_days: Option<i64>,
}

impl Filter {
    fn of(r: &StockRequest) -> R<Filter> {
        let gtin = match &r.product {
            Some(g) => Some(
                gs1::normalize_gtin(g).map_err(|e| CliError::input(e.code.as_str(), e.message))?,
            ),
            None => None,
        };
        let at = match &r.at {
            Some(g) => {
                let g = g.trim();
                if g.len() != 13 || !g.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(CliError::input(
                        "BAD_GLN",
                        format!("{g} is not a GLN (13 digits)"),
                    ));
                }
                Some(g.to_string())
            }
            None => None,
        };
        let status = match &r.status {
            Some(s) => Some(StockStatus::parse(s).ok_or_else(|| {
                CliError::input(
                    "BAD_STATUS",
                    format!(
                        "{s} is no stock status (one of: {})",
                        StockStatus::ALL.map(StockStatus::as_str).join(", ")
                    ),
                )
            })?),
            None => None,
        };
        Ok(Filter {
            gtin,
            lot: r.lot.as_ref().map(|l| l.trim().to_string()),
            at,
            status,
            within_days: r.expiring_days.map(i64::from),
        })
    }

    fn keeps(
        &self,
        gtin: &str,
        lot: &str,
        location: &str,
        status: StockStatus,
        days: Option<i64>,
    ) -> bool {
        self.gtin.as_deref().is_none_or(|g| g == gtin)
            && self.lot.as_deref().is_none_or(|l| l == lot)
            && self.at.as_deref().is_none_or(|a| a == location)
            && self.status.is_none_or(|s| s == status)
            && self
                .within_days
                .is_none_or(|n| days.is_some_and(|d| d <= n))
    }
}

/// A row as it stands for the org: where it is and its status, once its containers are
/// taken into account.
struct Placed {
    row: StockRow,
    quantity: u64,
    location: String,
    status: StockStatus,
    container: Option<String>,
}

/// Answers a stock request for `me`.
pub fn stock(src: &dyn StockSource, me: &PublicKey, r: &StockRequest) -> R<StockResponse> {
    let filter = Filter::of(r)?;
    let (height, now) = src.as_of()?;
    let mut products = Products {
        state: src.state(),
        seen: BTreeMap::new(),
    };
    // The org's rows, then every container's, outermost first.
    let mut placed: Vec<Placed> = Vec::new();
    let mut containers: Vec<(StockRow, String, StockStatus, Option<String>)> = Vec::new();
    let mut frontier: Vec<(StockHolder, String, StockStatus, Option<String>, usize)> = vec![(
        StockHolder::Org(*me),
        String::new(),
        StockStatus::InStock,
        None,
        0,
    )];
    while let Some((holder, loc, st, inside, depth)) = frontier.pop() {
        for (row, q) in src.rows(&holder)? {
            let (location, status) = match holder {
                StockHolder::Org(_) => (row.location.clone(), products.status(&row)?),
                // Packed goods are where their container is; a container in transit or
                // recalled carries its contents with it.
                StockHolder::Container(_) => (
                    loc.clone(),
                    if st == StockStatus::InStock {
                        products.status(&row)?
                    } else {
                        st
                    },
                ),
            };
            if row.kind == StockKind::Container {
                if depth <= MAX_NESTING {
                    frontier.push((
                        StockHolder::Container(row.sscc.clone()),
                        location.clone(),
                        status,
                        Some(row.sscc.clone()),
                        depth + 1,
                    ));
                }
                containers.push((row, location, status, inside.clone()));
            } else {
                placed.push(Placed {
                    row,
                    quantity: q,
                    location,
                    status,
                    container: inside.clone(),
                });
            }
        }
    }
    // Products: every line that passes the filters.
    let mut by_gtin: BTreeMap<String, StockProduct> = BTreeMap::new();
    let mut kept_in: BTreeMap<String, Vec<StockContent>> = BTreeMap::new();
    let mut totals = StockTotals {
        products: 0,
        items: 0,
        lot_quantity: 0,
        containers: 0,
        lines: 0,
    };
    for p in &placed {
        let ex = expiry(&p.row.expiry, now);
        if !filter.keeps(&p.row.gtin, &p.row.lot, &p.location, p.status, ex.in_days) {
            continue;
        }
        let name = products.name(&p.row.gtin)?;
        let group = by_gtin
            .entry(p.row.gtin.clone())
            .or_insert_with(|| StockProduct {
                gtin: p.row.gtin.clone(),
                name: name.clone(),
                items: 0,
                lot_quantity: 0,
                lines: Vec::new(),
            });
        match p.row.kind {
            StockKind::Lot => {
                group.lot_quantity += p.quantity;
                totals.lot_quantity += p.quantity;
            }
            _ => {
                group.items += p.quantity;
                totals.items += p.quantity;
            }
        }
        totals.lines += 1;
        group.lines.push(StockLine {
            kind: kind_name(p.row.kind).into(),
            lot: opt(&p.row.lot),
            expiry: ex.date.clone(),
            expires_in_days: ex.in_days,
            location: opt(&p.location),
            status: p.status.as_str().into(),
            container: p.container.clone(),
            quantity: p.quantity,
        });
        if let Some(c) = &p.container {
            kept_in.entry(c.clone()).or_default().push(StockContent {
                gtin: p.row.gtin.clone(),
                name,
                kind: kind_name(p.row.kind).into(),
                lot: opt(&p.row.lot),
                expiry: ex.date,
                quantity: p.quantity,
            });
        }
    }
    let mut products_out: Vec<StockProduct> = by_gtin.into_values().collect();
    for p in &mut products_out {
        // First expiry first out: earliest expiry first, undated last.
        p.lines.sort_by(|a, b| {
            (
                a.expires_in_days.is_none(),
                a.expires_in_days,
                &a.lot,
                &a.container,
            )
                .cmp(&(
                    b.expires_in_days.is_none(),
                    b.expires_in_days,
                    &b.lot,
                    &b.container,
                ))
        });
    }
    products_out.sort_by(|a, b| (&a.name, &a.gtin).cmp(&(&b.name, &b.gtin)));
    totals.products = products_out.len() as u64;
    // Containers: with a content filter, only those holding something that passed.
    let content_filter =
        filter.gtin.is_some() || filter.lot.is_some() || filter.within_days.is_some();
    let mut containers_out = Vec::new();
    for (row, location, status, inside) in containers {
        let contents = kept_in.remove(&row.sscc).unwrap_or_default();
        if content_filter && contents.is_empty() {
            continue;
        }
        if filter.at.as_deref().is_some_and(|a| a != location)
            || filter.status.is_some_and(|s| s != status)
        {
            continue;
        }
        let (items, lot_quantity) = contents.iter().fold((0, 0), |(i, l), c| {
            if c.kind == "lot" {
                (i, l + c.quantity)
            } else {
                (i + c.quantity, l)
            }
        });
        containers_out.push(StockContainer {
            sscc: row.sscc,
            location: opt(&location),
            status: status.as_str().into(),
            inside,
            items,
            lot_quantity,
            contents,
        });
    }
    containers_out.sort_by(|a, b| a.sscc.cmp(&b.sscc));
    totals.containers = containers_out.len() as u64;
    // Arrivals by sender, shipments in transit.
    let mut arrivals: BTreeMap<String, ArrivalGroup> = BTreeMap::new();
    for h in src.open(me, false)? {
        arrivals
            .entry(h.from.key.clone())
            .or_insert_with(|| ArrivalGroup {
                from: h.from.clone(),
                handoffs: Vec::new(),
            })
            .handoffs
            .push(h);
    }
    let mut arrivals: Vec<ArrivalGroup> = arrivals.into_values().collect();
    arrivals.sort_by(|a, b| a.from.name.cmp(&b.from.name));
    Ok(StockResponse {
        org: OrgRef {
            key: me.to_hex(),
            name: view::org_name(src.state(), me)?,
        },
        height,
        as_of: view::rfc3339(now),
        products: products_out,
        containers: containers_out,
        totals,
        arrivals,
        in_transit: src.open(me, true)?,
        light: None,
    })
}

/// Parses `--since`: RFC 3339, a date, unix milliseconds, or an age before `now_ms`.
pub fn parse_since(s: &str, now_ms: i64) -> R<i64> {
    let t = s.trim();
    let bad = || {
        CliError::input(
            "BAD_TIME",
            format!(
                "{t} is not a time: give RFC 3339 (2026-12-01T08:00:00Z), a date (2026-12-01), \
                 unix milliseconds, or an age (30m, 24h, 7d)"
            ),
        )
    };
    if let Some(unit) = t.chars().last().filter(|c| matches!(c, 'm' | 'h' | 'd'))
        && let Ok(n) = t[..t.len() - 1].parse::<i64>()
    {
        let ms = match unit {
            'm' => 60_000,
            'h' => 3_600_000,
            _ => DAY_MS,
        };
        return n
            .checked_mul(ms)
            .filter(|x| *x >= 0)
            .and_then(|x| now_ms.checked_sub(x))
            .ok_or_else(bad);
    }
    if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() && t.len() > 8 {
        return t.parse().map_err(|_| bad());
    }
    // YYYY-MM-DD[THH:MM[:SS[.fff]]][Z]
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let x = t.get(r)?;
        x.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| x.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, m, d) = (
        num(0..4).ok_or_else(bad)?,
        num(5..7).ok_or_else(bad)?,
        num(8..10).ok_or_else(bad)?,
    );
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(bad());
    }
    let mut ms = days_from_civil(y, m, d) * DAY_MS;
    let rest = &t[10..];
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', ' ']).ok_or_else(bad)?;
        let rest = rest.strip_suffix('Z').unwrap_or(rest);
        let (hms, frac) = rest.split_once('.').unwrap_or((rest, ""));
        let parts: Vec<&str> = hms.split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(bad());
        }
        let p = |i: usize, max: i64| -> R<i64> {
            let v = parts.get(i).copied().unwrap_or("0");
            let v: i64 = (v.len() <= 2 && v.bytes().all(|c| c.is_ascii_digit()))
                .then(|| v.parse().ok())
                .flatten()
                .ok_or_else(bad)?;
            if v > max { Err(bad()) } else { Ok(v) }
        };
        ms += p(0, 23)? * 3_600_000 + p(1, 59)? * 60_000 + p(2, 60)? * 1000;
        if !frac.is_empty() {
            if frac.len() > 3 || !frac.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            ms += format!("{frac:0<3}").parse::<i64>().map_err(|_| bad())?;
        }
    }
    Ok(ms)
}

/// Answers an activity request for `me`: its transactions since a time, newest first.
pub fn activity(ledger: &Ledger, me: &PublicKey, r: &ActivityRequest) -> R<ActivityResponse> {
    let now = ledger.store.last_header()?.time_ms;
    let since = r
        .since
        .as_deref()
        .map(|s| parse_since(s, now))
        .transpose()?;
    let mut events = Vec::new();
    let mut times: BTreeMap<u64, i64> = BTreeMap::new();
    // Newest first: stop at the first block older than `since`.
    'rows: for (loc, id) in ledger.store.org_txs(me, r.limit.min(MAX_ACTIVITY))? {
        // The org's transaction index names this block: a block or a transaction that is
        // not there, or does not decode, is a fault of the store, never a shorter list.
        let fault = |what: String| CliError::failed("STORE_FAULT", what);
        let block = ledger
            .store
            .block(loc.height)?
            .ok_or_else(|| fault(format!("block {} is missing from the store", loc.height)))?;
        let time = *times.entry(loc.height).or_insert(block.header.time_ms);
        if since.is_some_and(|s| time < s) {
            break 'rows;
        }
        let (Some(wire), Some(outcome)) = (
            block.txs.get(loc.index as usize),
            block.outcomes.get(loc.index as usize),
        ) else {
            return Err(fault(format!(
                "block {} has no transaction {}",
                loc.height, loc.index
            )));
        };
        let tx = SignedTx::decode(wire).map_err(|e| {
            fault(format!(
                "transaction {} of block {} does not decode: {e}",
                loc.index, loc.height
            ))
        })?;
        events.push(ActivityRow {
            tx: id.to_hex(),
            height: loc.height,
            time: view::rfc3339(time),
            event_time: view::rfc3339(tx.body.event_time_ms),
            kind: tx.body.payload.type_name().to_string(),
            rejected: outcome.code.clone(),
        });
    }
    Ok(ActivityResponse {
        org: OrgRef {
            key: me.to_hex(),
            name: view::org_name(&ledger.store, me)?,
        },
        since: since.map(view::rfc3339),
        events,
        light: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_dates_pick_the_century_and_the_month_end() {
        // Day 00 is the month's last day; 2028 is a leap year.
        assert_eq!(
            gs1_date_days("280200", 2026).map(|x| (x.1, x.2, x.3)),
            Some((2028, 2, 29))
        );
        // 51 years ahead is last century; 49 back is this one.
        assert_eq!(gs1_date_days("770101", 2026).map(|x| x.1), Some(1977));
        assert_eq!(gs1_date_days("760101", 2026).map(|x| x.1), Some(2076));
        assert_eq!(gs1_date_days("261301", 2026), None);
        assert_eq!(gs1_date_days("260231", 2026), None);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 12, 4), 20_791);
    }

    #[test]
    fn since_takes_times_dates_millis_and_ages() {
        let now = days_from_civil(2026, 12, 4) * DAY_MS;
        assert_eq!(parse_since("2026-12-04", now).ok(), Some(now));
        assert_eq!(
            parse_since("2026-12-04T01:02:03.5Z", now).ok(),
            Some(now + 3_723_500)
        );
        assert_eq!(parse_since("24h", now).ok(), Some(now - DAY_MS));
        assert_eq!(parse_since("7d", now).ok(), Some(now - 7 * DAY_MS));
        assert_eq!(
            parse_since("1764806400000", now).ok(),
            Some(1_764_806_400_000)
        );
        for bad in [
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-12-04T25:00",
            "-5d",
            "",
        ] {
            let e = parse_since(bad, now).expect_err(bad);
            assert_eq!(e.parts().0, "BAD_TIME", "{bad}");
        }
    }
}
