//! What the Home, Stock and Inbox screens work out from the node's answers, apart from
//! drawing them (pure, so unit-tested without a browser): a handoff's goods by product,
//! the receiving tally of a handoff, first-expiry-first-out order, search and the CSV of a
//! stock answer.

use handoff_api as api;
use std::collections::BTreeMap;

/// Within this many days (expired included) goods count as "expiring soon" on Home.
pub const EXPIRING_SOON_DAYS: i64 = 30;

/// A GS1 date (YYMMDD, day 00: the month's end) as `YYYY-MM-DD` (`YYYY-MM` for day 00);
/// anything else as it is. Years 00–49 are 20xx, 50–99 19xx (enough for shelf lives).
pub fn gs1_date(yymmdd: &str) -> String {
    if yymmdd.len() != 6 || !yymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return yymmdd.to_string();
    }
    let yy: u32 = yymmdd[..2].parse().unwrap_or(0);
    let year = if yy < 50 { 2000 + yy } else { 1900 + yy };
    let (mm, dd) = (&yymmdd[2..4], &yymmdd[4..6]);
    if dd == "00" {
        format!("{year}-{mm}")
    } else {
        format!("{year}-{mm}-{dd}")
    }
}

/// The name people read for a product: its name, else its GTIN.
pub fn product_label(name: Option<&str>, gtin: Option<&str>) -> String {
    name.or(gtin).unwrap_or_default().to_string()
}

/// What a handoff carries of one product (or its containers, `gtin` empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductSum {
    /// GTIN-14 (empty: containers).
    pub gtin: String,
    /// Its name (the GTIN when the product is not defined).
    pub name: String,
    /// Serialized items (or containers).
    pub items: u64,
    /// Lot quantity.
    pub lot_quantity: u64,
    /// Its lots, in order of appearance.
    pub lots: Vec<String>,
}

/// A handoff's goods by product, in order of first appearance, containers last. Uses
/// `goods` when the node listed them, else the entries' keys (a light node's answer).
pub fn by_product(h: &api::HandoffView) -> Vec<ProductSum> {
    let lines = lines_of(h);
    let mut order: Vec<String> = Vec::new();
    let mut sums: BTreeMap<String, ProductSum> = BTreeMap::new();
    for l in &lines {
        let gtin = match l.kind {
            Kind::Container => String::new(),
            _ => l.gtin.clone().unwrap_or_default(),
        };
        let s = sums.entry(gtin.clone()).or_insert_with(|| {
            order.push(gtin.clone());
            ProductSum {
                gtin: gtin.clone(),
                name: product_label(l.name.as_deref(), l.gtin.as_deref()),
                items: 0,
                lot_quantity: 0,
                lots: Vec::new(),
            }
        });
        match l.kind {
            Kind::Lot => s.lot_quantity += l.quantity,
            _ => s.items += 1,
        }
        if let Some(lot) = &l.lot
            && !s.lots.contains(lot)
        {
            s.lots.push(lot.clone());
        }
    }
    order.sort_by_key(|g| g.is_empty());
    order.into_iter().filter_map(|g| sums.remove(&g)).collect()
}

/// What a goods line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A serialized item.
    Item,
    /// A lot quantity.
    Lot,
    /// A container (SSCC).
    Container,
}

/// How a line of the tally stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Not scanned yet: missing if accepted now.
    Pending,
    /// Scanned (or marked) as arrived.
    Arrived,
    /// Marked missing.
    Missing,
    /// Marked damaged.
    Damaged,
}

/// One line of a receiving tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TallyLine {
    /// Canonical key.
    pub key: String,
    /// What it is.
    pub kind: Kind,
    /// GTIN-14.
    pub gtin: Option<String>,
    /// Product name.
    pub name: Option<String>,
    /// Serial.
    pub serial: Option<String>,
    /// SSCC.
    pub sscc: Option<String>,
    /// Lot.
    pub lot: Option<String>,
    /// Expiry, YYMMDD.
    pub expiry: Option<String>,
    /// 1, or a lot quantity.
    pub quantity: u64,
    /// The line of the container it is packed in.
    pub parent: Option<usize>,
    /// As marked.
    pub mark: Mark,
}

fn lines_of(h: &api::HandoffView) -> Vec<TallyLine> {
    let mut out: Vec<TallyLine> = Vec::new();
    if h.goods.is_empty() {
        for e in &h.entries {
            let kind = if e.key.starts_with("/00/") {
                Kind::Container
            } else if e.quantity.is_some() {
                Kind::Lot
            } else {
                Kind::Item
            };
            let gtin = e
                .key
                .strip_prefix("/01/")
                .and_then(|r| r.get(..14))
                .map(String::from);
            out.push(TallyLine {
                key: e.key.clone(),
                kind,
                gtin,
                name: None,
                serial: None,
                sscc: e.key.strip_prefix("/00/").map(String::from),
                lot: None,
                expiry: None,
                quantity: e.quantity.unwrap_or(1),
                parent: None,
                mark: Mark::Pending,
            });
        }
        return out;
    }
    let mut containers: BTreeMap<String, usize> = BTreeMap::new();
    for g in &h.goods {
        let kind = match g.kind.as_str() {
            "container" => Kind::Container,
            "lot" => Kind::Lot,
            _ => Kind::Item,
        };
        if let Some(s) = &g.sscc {
            containers.insert(s.clone(), out.len());
        }
        out.push(TallyLine {
            key: g.key.clone(),
            kind,
            gtin: g.gtin.clone(),
            name: g.name.clone(),
            serial: g.serial.clone(),
            sscc: g.sscc.clone(),
            lot: g.lot.clone(),
            expiry: g.expiry.clone(),
            quantity: g.quantity,
            parent: g
                .container
                .as_ref()
                .and_then(|c| containers.get(c).copied()),
            mark: Mark::Pending,
        });
    }
    out
}

/// A scan that is not in the handoff (or no scan at all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unexpected {
    /// What was scanned.
    pub raw: String,
    /// Its canonical key (absent: it does not parse).
    pub key: Option<String>,
    /// The parser's code (absent: it parses).
    pub code: Option<String>,
}

/// What one scan did to a tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scanned {
    /// Counted this many pieces as arrived (a container counts what is inside).
    Counted(usize),
    /// Already counted.
    Already,
    /// Not part of the handoff: flagged.
    Unexpected,
    /// Not a scan: flagged with the parser's code.
    Bad(String),
}

/// Counts of a tally, in pieces (items, lot lines, empty containers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Pieces the handoff carries.
    pub expected: usize,
    /// Scanned or marked arrived.
    pub arrived: usize,
    /// Marked missing, or not scanned (missing if accepted now).
    pub missing: usize,
    /// Marked damaged.
    pub damaged: usize,
    /// Scans that are not in the handoff.
    pub unexpected: usize,
}

/// One product's lines in a tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TallyGroup {
    /// GTIN-14 (empty: containers carried empty).
    pub gtin: String,
    /// Name.
    pub name: String,
    /// Its pieces' lines.
    pub lines: Vec<usize>,
    /// Counts over them.
    pub counts: Counts,
}

/// Receiving a handoff: every piece it carries, counted as staff scan what arrived. Each
/// scan of an expected item counts it (of a container, everything inside); other scans
/// are flagged; pieces can be marked damaged or missing; at acceptance what was not
/// counted is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Containers before what is packed in them.
    pub lines: Vec<TallyLine>,
    /// Scans that are not in the handoff.
    pub unexpected: Vec<Unexpected>,
    /// The node's list stopped at its bound: not every piece is here.
    pub cut: bool,
}

impl Tally {
    /// A fresh tally of `h`, nothing counted.
    pub fn of(h: &api::HandoffView) -> Tally {
        Tally {
            lines: lines_of(h),
            unexpected: Vec::new(),
            cut: h.goods_cut,
        }
    }

    fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.lines
            .iter()
            .enumerate()
            .filter(move |(_, l)| l.parent == Some(i))
            .map(|(j, _)| j)
    }

    fn descendants(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut todo = vec![i];
        while let Some(x) = todo.pop() {
            for c in self.children(x) {
                out.push(c);
                todo.push(c);
            }
        }
        out
    }

    /// Whether line `i` is a piece (counted): an item, a lot, or a container with nothing
    /// listed inside.
    pub fn is_piece(&self, i: usize) -> bool {
        self.lines[i].kind != Kind::Container || self.children(i).next().is_none()
    }

    /// How line `i` stands, its containers considered: inside a container marked missing
    /// or damaged, it is that.
    pub fn state(&self, i: usize) -> Mark {
        let mut at = self.lines[i].parent;
        let mut outer = None;
        while let Some(p) = at {
            if matches!(self.lines[p].mark, Mark::Missing | Mark::Damaged) {
                outer = Some(self.lines[p].mark);
            }
            at = self.lines[p].parent;
        }
        outer.unwrap_or(self.lines[i].mark)
    }

    /// Counts one scan.
    pub fn scan(&mut self, raw: &str) -> Scanned {
        let key = match handoff_core::gs1::parse_scan(raw) {
            Ok(sc) => sc.key.canonical(),
            Err(e) => {
                let code = e.code.as_str().to_string();
                self.flag(Unexpected {
                    raw: raw.trim().to_string(),
                    key: None,
                    code: Some(code.clone()),
                });
                return Scanned::Bad(code);
            }
        };
        let Some(i) = self.lines.iter().position(|l| l.key == key) else {
            self.flag(Unexpected {
                raw: raw.trim().to_string(),
                key: Some(key),
                code: None,
            });
            return Scanned::Unexpected;
        };
        let mut todo = vec![i];
        todo.extend(self.descendants(i));
        let mut counted = 0;
        for j in todo {
            if self.lines[j].mark == Mark::Pending {
                self.lines[j].mark = Mark::Arrived;
                if self.is_piece(j) {
                    counted += 1;
                }
            }
        }
        // What arrived is not missing, nor is the container it came in.
        let mut at = self.lines[i].parent;
        while let Some(p) = at {
            if self.lines[p].mark == Mark::Missing {
                self.lines[p].mark = Mark::Pending;
            }
            at = self.lines[p].parent;
        }
        if counted == 0 {
            Scanned::Already
        } else {
            Scanned::Counted(counted)
        }
    }

    fn flag(&mut self, u: Unexpected) {
        if !self.unexpected.iter().any(|x| x.raw == u.raw) {
            self.unexpected.push(u);
        }
    }

    /// Marks line `i` (a container marked arrived counts what is inside too).
    pub fn mark(&mut self, i: usize, m: Mark) {
        if i >= self.lines.len() {
            return;
        }
        self.lines[i].mark = m;
        if m == Mark::Arrived {
            for j in self.descendants(i) {
                if self.lines[j].mark == Mark::Pending {
                    self.lines[j].mark = Mark::Arrived;
                }
            }
        }
    }

    /// Counts every piece not yet counted as arrived (for a delivery checked otherwise).
    pub fn all_arrived(&mut self) {
        for l in &mut self.lines {
            if l.mark == Mark::Pending {
                l.mark = Mark::Arrived;
            }
        }
    }

    fn count(&self, lines: impl Iterator<Item = usize>) -> Counts {
        let mut c = Counts::default();
        for i in lines.filter(|&i| self.is_piece(i)) {
            c.expected += 1;
            match self.state(i) {
                Mark::Arrived => c.arrived += 1,
                Mark::Damaged => c.damaged += 1,
                Mark::Pending | Mark::Missing => c.missing += 1,
            }
        }
        c
    }

    /// The tally's counts.
    pub fn counts(&self) -> Counts {
        let mut c = self.count(0..self.lines.len());
        c.unexpected = self.unexpected.len();
        c
    }

    /// The pieces by product, in order of first appearance (containers carried empty
    /// last).
    pub fn groups(&self) -> Vec<TallyGroup> {
        let mut order: Vec<String> = Vec::new();
        let mut groups: BTreeMap<String, TallyGroup> = BTreeMap::new();
        for i in (0..self.lines.len()).filter(|&i| self.is_piece(i)) {
            let l = &self.lines[i];
            let gtin = l.gtin.clone().unwrap_or_default();
            groups
                .entry(gtin.clone())
                .or_insert_with(|| {
                    order.push(gtin.clone());
                    TallyGroup {
                        gtin: gtin.clone(),
                        name: product_label(l.name.as_deref(), l.gtin.as_deref()),
                        lines: Vec::new(),
                        counts: Counts::default(),
                    }
                })
                .lines
                .push(i);
        }
        order.sort_by_key(|g| g.is_empty());
        order
            .into_iter()
            .filter_map(|g| groups.remove(&g))
            .map(|mut g| {
                g.counts = self.count(g.lines.iter().copied());
                g
            })
            .collect()
    }

    /// What an acceptance reports: `(missing, damaged)` keys, as few as say it — a
    /// container none of whose contents arrived is missing whole; otherwise the pieces
    /// inside that did not. Lot quantities packed in a container go with it (the ledger
    /// takes exceptions of items inside containers only).
    pub fn exceptions(&self) -> (Vec<String>, Vec<String>) {
        let (mut missing, mut damaged) = (Vec::new(), Vec::new());
        for i in (0..self.lines.len()).filter(|&i| self.lines[i].parent.is_none()) {
            self.collect(i, &mut missing, &mut damaged);
        }
        (missing, damaged)
    }

    fn collect(&self, i: usize, missing: &mut Vec<String>, damaged: &mut Vec<String>) {
        let l = &self.lines[i];
        match l.mark {
            Mark::Missing => return missing.push(l.key.clone()),
            Mark::Damaged => return damaged.push(l.key.clone()),
            _ => {}
        }
        let inner = self.descendants(i);
        if inner.is_empty() {
            if l.mark == Mark::Pending && !(l.kind == Kind::Lot && l.parent.is_some()) {
                missing.push(l.key.clone());
            }
            return;
        }
        if l.mark == Mark::Pending && inner.iter().all(|&j| self.lines[j].mark == Mark::Pending) {
            return missing.push(l.key.clone());
        }
        let kids: Vec<usize> = self.children(i).collect();
        for c in kids {
            self.collect(c, missing, damaged);
        }
    }
}

/// One stock line with its product, for lists across products.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    /// GTIN-14.
    pub gtin: String,
    /// Product name.
    pub name: String,
    /// The line.
    pub line: api::StockLine,
}

/// Every line of a stock answer, first expiry first (undated last), then by product.
pub fn fefo(s: &api::StockResponse) -> Vec<Held> {
    let mut out: Vec<Held> = s
        .products
        .iter()
        .flat_map(|p| {
            p.lines.iter().map(|l| Held {
                gtin: p.gtin.clone(),
                name: p.name.clone(),
                line: l.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (
            a.line.expires_in_days.is_none(),
            a.line.expires_in_days,
            &a.name,
            &a.line.lot,
        )
            .cmp(&(
                b.line.expires_in_days.is_none(),
                b.line.expires_in_days,
                &b.name,
                &b.line.lot,
            ))
    });
    out
}

/// The lines expiring within `days` (expired included), first expiry first.
pub fn expiring(s: &api::StockResponse, days: i64) -> Vec<Held> {
    fefo(s)
        .into_iter()
        .filter(|h| h.line.expires_in_days.is_some_and(|d| d <= days))
        .collect()
}

/// Lines flagged missing or damaged (goods that stay with us after a handoff's exception).
pub fn flagged(s: &api::StockResponse) -> Vec<Held> {
    fefo(s)
        .into_iter()
        .filter(|h| matches!(h.line.status.as_str(), "missing" | "damaged"))
        .collect()
}

/// Whether a held line answers a search: every word of `q` is in the product's name,
/// GTIN, lot, location or container (case does not matter).
pub fn matches(h: &Held, q: &str) -> bool {
    let hay = format!(
        "{} {} {} {} {}",
        h.name,
        h.gtin,
        h.line.lot.as_deref().unwrap_or(""),
        h.line.location.as_deref().unwrap_or(""),
        h.line.container.as_deref().unwrap_or("")
    )
    .to_lowercase();
    q.split_whitespace()
        .all(|w| hay.contains(&w.to_lowercase()))
}

/// Whether `q` could be a serial number (GS1 AI 21: 1–20 characters, no spaces).
pub fn serial_like(q: &str) -> bool {
    let q = q.trim();
    !q.is_empty()
        && q.len() <= 20
        && q.bytes().all(|b| b.is_ascii_graphic())
        && q.bytes().any(|b| b.is_ascii_digit())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The held lines as CSV (RFC 4180, a header row), in the order given.
pub fn csv(lines: &[Held]) -> String {
    let mut out = String::from(
        "gtin,product,kind,lot,expiry,expires_in_days,location,status,container,quantity\r\n",
    );
    for h in lines {
        let l = &h.line;
        let row = [
            h.gtin.clone(),
            h.name.clone(),
            l.kind.clone(),
            l.lot.clone().unwrap_or_default(),
            l.expiry.clone().unwrap_or_default(),
            l.expires_in_days.map(|d| d.to_string()).unwrap_or_default(),
            l.location.clone().unwrap_or_default(),
            l.status.clone(),
            l.container.clone().unwrap_or_default(),
            l.quantity.to_string(),
        ];
        let row: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESPRESSO: &str = "00614141025015";

    fn line(key: &str, kind: &str, container: Option<&str>) -> api::GoodsLine {
        let serial = key.split("/21/").nth(1).map(String::from);
        api::GoodsLine {
            key: key.into(),
            kind: kind.into(),
            gtin: (kind != "container").then(|| ESPRESSO.into()),
            name: (kind != "container").then(|| "Espresso 250 g".into()),
            serial,
            sscc: key.strip_prefix("/00/").map(String::from),
            lot: (kind != "container").then(|| "R-1".into()),
            expiry: Some("270630".into()),
            quantity: if kind == "lot" { 40 } else { 1 },
            container: container.map(String::from),
        }
    }
    const P: &str = "306141410000000051";
    fn bag(n: u32) -> String {
        format!("/01/{ESPRESSO}/21/B{n}")
    }
    /// A pallet of four bags and a loose bag.
    fn handoff() -> api::HandoffView {
        let mut goods = vec![line(&format!("/00/{P}"), "container", None)];
        for n in 1..=4 {
            goods.push(line(&bag(n), "item", Some(P)));
        }
        goods.push(line(&bag(9), "item", None));
        api::HandoffView {
            id: "ab".repeat(32),
            from: api::OrgRef {
                key: "1".into(),
                name: "Harbor Logistics".into(),
            },
            to: api::OrgRef {
                key: "2".into(),
                name: "Corner Grocer".into(),
            },
            status: "open".into(),
            transfer: "custody".into(),
            entries: vec![
                api::EntryView {
                    key: format!("/00/{P}"),
                    quantity: None,
                },
                api::EntryView {
                    key: bag(9),
                    quantity: None,
                },
            ],
            ship_from: None,
            ship_to: None,
            docs: Vec::new(),
            proposed_height: 1,
            proposed_time: String::new(),
            expires_at_height: None,
            closed_height: None,
            missing: Vec::new(),
            damaged: Vec::new(),
            reason: None,
            goods,
            goods_cut: false,
        }
    }
    fn scan_of(key: &str) -> String {
        format!("https://id.gs1.org{key}")
    }

    #[test]
    fn goods_group_by_product_with_counts_and_names() {
        let s = by_product(&handoff());
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].name.as_str(), s[0].items, s[0].lots.clone()),
            ("Espresso 250 g", 5, vec!["R-1".to_string()])
        );
        assert_eq!(
            (s[1].gtin.as_str(), s[1].items),
            ("", 1),
            "the pallet, last"
        );
        // Without goods (a light node), the entries' keys: no names, GTINs instead.
        let mut h = handoff();
        h.goods.clear();
        let s = by_product(&h);
        assert_eq!(s[0].name, ESPRESSO);
        assert_eq!(s[1].items, 1);
    }

    #[test]
    fn scanning_the_pallet_counts_its_bags_and_the_rest_is_missing() {
        let mut t = Tally::of(&handoff());
        assert_eq!(
            t.counts(),
            Counts {
                expected: 5,
                missing: 5,
                ..Counts::default()
            }
        );
        assert_eq!(t.scan(&format!("(00){P}")), Scanned::Counted(4));
        assert_eq!(t.scan(&format!("(00){P}")), Scanned::Already);
        let c = t.counts();
        assert_eq!((c.arrived, c.missing), (4, 1));
        // The loose bag was not scanned: missing at acceptance.
        assert_eq!(t.exceptions(), (vec![bag(9)], vec![]));
        assert_eq!(t.scan(&scan_of(&bag(9))), Scanned::Counted(1));
        assert_eq!(t.exceptions(), (vec![], vec![]));
    }

    #[test]
    fn one_bag_marked_missing_and_one_damaged_are_reported_alone() {
        let mut t = Tally::of(&handoff());
        t.scan(&format!("(00){P}"));
        t.scan(&scan_of(&bag(9)));
        let i = t.lines.iter().position(|l| l.key == bag(2)).expect("bag 2");
        t.mark(i, Mark::Missing);
        let j = t.lines.iter().position(|l| l.key == bag(3)).expect("bag 3");
        t.mark(j, Mark::Damaged);
        let c = t.counts();
        assert_eq!((c.expected, c.arrived, c.missing, c.damaged), (5, 3, 1, 1));
        assert_eq!(t.exceptions(), (vec![bag(2)], vec![bag(3)]));
        let g = t.groups();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].counts.arrived, 3);
    }

    #[test]
    fn a_pallet_never_scanned_is_missing_whole_and_scanned_bags_report_the_others() {
        let mut t = Tally::of(&handoff());
        t.scan(&scan_of(&bag(9)));
        assert_eq!(t.exceptions(), (vec![format!("/00/{P}")], vec![]));
        // Two bags of the pallet scanned one by one: the other two are missing, the
        // pallet itself arrived.
        t.scan(&scan_of(&bag(1)));
        t.scan(&scan_of(&bag(4)));
        assert_eq!(t.exceptions(), (vec![bag(2), bag(3)], vec![]));
        // A pallet marked damaged is reported whole; what is in it counts as damaged.
        t.mark(0, Mark::Damaged);
        assert_eq!(t.exceptions(), (vec![], vec![format!("/00/{P}")]));
        assert_eq!(t.counts().damaged, 4);
    }

    #[test]
    fn unexpected_and_bad_scans_are_flagged_once() {
        let mut t = Tally::of(&handoff());
        assert_eq!(t.scan(&scan_of(&bag(77))), Scanned::Unexpected);
        assert_eq!(t.scan(&scan_of(&bag(77))), Scanned::Unexpected);
        assert!(
            matches!(t.scan("(01)00614141025016(21)X"), Scanned::Bad(c) if c == "SCAN_BAD_CHECK_DIGIT")
        );
        assert_eq!(t.counts().unexpected, 2);
        assert_eq!(t.unexpected[0].key.as_deref(), Some(bag(77).as_str()));
        assert_eq!(t.counts().arrived, 0, "nothing counted");
    }

    #[test]
    fn all_arrived_counts_everything_and_reports_nothing() {
        let mut t = Tally::of(&handoff());
        t.all_arrived();
        assert_eq!(t.counts().arrived, 5);
        assert_eq!(t.exceptions(), (vec![], vec![]));
    }

    fn stock() -> api::StockResponse {
        let l = |lot: &str, days: Option<i64>, status: &str, q: u64| api::StockLine {
            kind: "item".into(),
            lot: Some(lot.into()),
            expiry: days.map(|_| "2027-01-01".into()),
            expires_in_days: days,
            location: Some("0614141000012".into()),
            status: status.into(),
            container: None,
            quantity: q,
        };
        let p = |gtin: &str, name: &str, lines: Vec<api::StockLine>| api::StockProduct {
            gtin: gtin.into(),
            name: name.into(),
            items: lines.iter().map(|l| l.quantity).sum(),
            lot_quantity: 0,
            lines,
        };
        api::StockResponse {
            org: api::OrgRef {
                key: "2".into(),
                name: "Corner Grocer".into(),
            },
            height: 9,
            as_of: String::new(),
            products: vec![
                p(
                    ESPRESSO,
                    "Espresso 250 g",
                    vec![
                        l("R-2", Some(200), "in_stock", 5),
                        l("R-1", Some(-3), "in_stock", 2),
                    ],
                ),
                p(
                    "00614141025022",
                    "Filter Roast, \"1 kg\"",
                    vec![
                        l("F-1", Some(12), "recalled", 7),
                        l("F-2", None, "missing", 1),
                    ],
                ),
            ],
            containers: Vec::new(),
            totals: api::StockTotals {
                products: 2,
                items: 15,
                lot_quantity: 0,
                containers: 0,
                lines: 4,
            },
            arrivals: Vec::new(),
            in_transit: Vec::new(),
            light: None,
        }
    }

    #[test]
    fn fefo_puts_the_first_expiry_first_across_products() {
        let lots: Vec<String> = fefo(&stock())
            .into_iter()
            .map(|h| h.line.lot.unwrap_or_default())
            .collect();
        assert_eq!(lots, ["R-1", "F-1", "R-2", "F-2"]);
        let soon: Vec<String> = expiring(&stock(), EXPIRING_SOON_DAYS)
            .into_iter()
            .map(|h| h.line.lot.unwrap_or_default())
            .collect();
        assert_eq!(soon, ["R-1", "F-1"], "expired included, undated never");
        let f = flagged(&stock());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line.status, "missing");
    }

    #[test]
    fn search_finds_product_names_and_lots_by_every_word() {
        let all = fefo(&stock());
        let hit = |q: &str| -> Vec<String> {
            all.iter()
                .filter(|h| matches(h, q))
                .map(|h| h.line.lot.clone().unwrap_or_default())
                .collect()
        };
        assert_eq!(hit("espresso"), ["R-1", "R-2"]);
        assert_eq!(hit("FILTER f-2"), ["F-2"]);
        assert_eq!(hit("r-2"), ["R-2"]);
        assert!(hit("tea").is_empty());
        assert!(serial_like("E261000022"));
        assert!(!serial_like("espresso roast"));
        assert!(!serial_like("espresso"));
    }

    #[test]
    fn csv_has_a_header_and_quotes_what_needs_it() {
        let text = csv(&fefo(&stock()));
        let rows: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            rows[0],
            "gtin,product,kind,lot,expiry,expires_in_days,location,status,container,quantity"
        );
        assert_eq!(
            rows[1],
            "00614141025015,Espresso 250 g,item,R-1,2027-01-01,-3,0614141000012,in_stock,,2"
        );
        assert!(
            rows[2].starts_with("00614141025022,\"Filter Roast, \"\"1 kg\"\"\",item,F-1"),
            "{}",
            rows[2]
        );
        assert_eq!(rows.len(), 6, "four lines, a header and the final line end");
    }

    #[test]
    fn gs1_dates_read_as_dates() {
        assert_eq!(gs1_date("270630"), "2027-06-30");
        assert_eq!(gs1_date("270600"), "2027-06");
        assert_eq!(gs1_date("991231"), "1999-12-31");
        assert_eq!(gs1_date("soon"), "soon");
    }
}
