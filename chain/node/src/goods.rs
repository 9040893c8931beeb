//! What a handoff carries, line by line (`HandoffView::goods`): every entry it offers and,
//! inside each container, what is packed there, each with its product's name, serial,
//! lot, expiry and the container it sits in — what a receiving warehouse counts, instead
//! of a list of raw keys.
//!
//! The walk reads through two lookups it is given, so that a full node (its store) and a
//! light node (records proven against certified headers) list goods alike. A lookup that
//! fails fails the walk: a store fault or an unverifiable record is an error the user
//! sees, never a shorter list; a key the handoff or a container names that has no record
//! is a fault too (the ledger only lets commissioned goods be offered or packed).

use crate::error::CliError;
use handoff_api::GoodsLine;
use handoff_core::gs1::Gs1Key;
use handoff_core::limits::MAX_NESTING;
use handoff_core::state::{ItemRecord, LotRecord, Record, StateKey, StateRead};
use handoff_core::tx::Entry;
use std::collections::BTreeMap;

/// At most this many lines in one handoff's goods; past it the list stops and says so.
pub const MAX_GOODS_LINES: usize = 10_000;

/// The record of something a handoff can carry.
#[derive(Clone, Debug)]
pub enum Held {
    /// A serialized item or a container.
    Item(Box<ItemRecord>),
    /// A lot.
    Lot(Box<LotRecord>),
}

impl Held {
    /// From a state record read for `key`: an item, container or lot record, `None` when
    /// absent; any other kind of record under an item's key is a fault.
    pub fn from_record(key: &str, r: Option<Record>) -> Result<Option<Held>, CliError> {
        match r {
            None => Ok(None),
            Some(Record::Item(i)) => Ok(Some(Held::Item(Box::new(i)))),
            Some(Record::Lot(l)) => Ok(Some(Held::Lot(Box::new(l)))),
            Some(_) => Err(fault(format!(
                "{key} holds no item, container or lot record"
            ))),
        }
    }
}

/// The goods of a handoff: its lines, and whether they stop at [`MAX_GOODS_LINES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Goods {
    /// Depth first: each entry, then what is packed in it.
    pub lines: Vec<GoodsLine>,
    /// The list stopped at the bound.
    pub cut: bool,
}

/// A record lookup by canonical key.
pub type ItemLookup<'a> = &'a dyn Fn(&str) -> Result<Option<Held>, CliError>;
/// A product name lookup by GTIN-14 (`None`: the GTIN is not defined).
pub type NameLookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>, CliError>;

fn fault(message: String) -> CliError {
    CliError::failed("STORE_FAULT", message)
}

/// How much of each line a walk reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Every record read: each line with its lot and expiry, a key without a record a
    /// fault (the inbox, one handoff).
    Full,
    /// Only containers' records read, for what is packed in them: item and lot lines carry
    /// their product, serial or lot and quantity from the key and the entry, not their
    /// expiry or an item's lot (stock's arrivals and shipments in transit, summed by
    /// product on Home: one read per pallet instead of one per bag).
    Summary,
}

struct Walk<'a> {
    depth: Depth,
    item: ItemLookup<'a>,
    product_name: NameLookup<'a>,
    names: BTreeMap<String, Option<String>>,
    out: Goods,
}

impl Walk<'_> {
    fn name(&mut self, gtin: &str) -> Result<Option<String>, CliError> {
        if let Some(n) = self.names.get(gtin) {
            return Ok(n.clone());
        }
        let n = (self.product_name)(gtin)?;
        self.names.insert(gtin.to_string(), n.clone());
        Ok(n)
    }

    /// An item's or a lot's line from its key and entry alone ([`Depth::Summary`]).
    fn summary_line(
        &mut self,
        e: &Entry,
        key: String,
        container: Option<&str>,
    ) -> Result<GoodsLine, CliError> {
        let gtin = e.key.gtin().map(str::to_string);
        let name = match &gtin {
            Some(g) => self.name(g)?,
            None => None,
        };
        let (kind, serial, lot, quantity) = match &e.key {
            Gs1Key::Serial { serial, .. } => ("item", Some(serial.clone()), None, 1),
            Gs1Key::Lot { lot, .. } => (
                "lot",
                None,
                Some(lot.clone()),
                e.quantity
                    .ok_or_else(|| fault(format!("{key} is listed without a quantity")))?,
            ),
            _ => {
                return Err(fault(format!("{key} is not an item, a lot or a container")));
            }
        };
        Ok(GoodsLine {
            key,
            kind: kind.into(),
            gtin,
            name,
            serial,
            sscc: None,
            lot,
            expiry: None,
            quantity,
            container: container.map(str::to_string),
        })
    }

    /// Lists `entries` (packed in `container`, at `depth`) and what they hold; `false`
    /// once the bound is reached.
    fn entries(
        &mut self,
        entries: &[Entry],
        container: Option<&str>,
        depth: usize,
    ) -> Result<bool, CliError> {
        for e in entries {
            if self.out.lines.len() >= MAX_GOODS_LINES {
                self.out.cut = true;
                return Ok(false);
            }
            let key = e.key.canonical();
            if self.depth == Depth::Summary && !matches!(e.key, Gs1Key::Sscc { .. }) {
                let line = self.summary_line(e, key, container)?;
                self.out.lines.push(line);
                continue;
            }
            let held = (self.item)(&key)?.ok_or_else(|| {
                fault(match container {
                    Some(c) => format!("container {c} holds {key}, which has no record"),
                    None => format!("the handoff offers {key}, which has no record"),
                })
            })?;
            let gtin = e.key.gtin().map(str::to_string);
            let name = match &gtin {
                Some(g) => self.name(g)?,
                None => None,
            };
            let mut line = GoodsLine {
                key: key.clone(),
                kind: String::new(),
                gtin,
                name,
                serial: None,
                sscc: None,
                lot: None,
                expiry: None,
                quantity: 1,
                container: container.map(str::to_string),
            };
            match (&e.key, held) {
                (Gs1Key::Serial { serial, .. }, Held::Item(i)) => {
                    line.kind = "item".into();
                    line.serial = Some(serial.clone());
                    line.lot = i.lot;
                    line.expiry = i.expiry;
                    self.out.lines.push(line);
                }
                (Gs1Key::Lot { lot, .. }, Held::Lot(l)) => {
                    line.kind = "lot".into();
                    line.lot = Some(lot.clone());
                    line.expiry = l.expiry;
                    line.quantity = e
                        .quantity
                        .ok_or_else(|| fault(format!("{key} is listed without a quantity")))?;
                    self.out.lines.push(line);
                }
                (Gs1Key::Sscc { sscc }, Held::Item(c)) => {
                    line.kind = "container".into();
                    line.sscc = Some(sscc.clone());
                    self.out.lines.push(line);
                    // Nesting is bounded by the ledger; a deeper record is a fault, not a
                    // container shown empty.
                    if !c.contents.is_empty() {
                        if depth >= MAX_NESTING {
                            return Err(fault(format!(
                                "{key} is packed deeper than {MAX_NESTING} containers"
                            )));
                        }
                        if !self.entries(&c.contents, Some(sscc), depth + 1)? {
                            return Ok(false);
                        }
                    }
                }
                _ => {
                    return Err(fault(format!(
                        "the record of {key} is not of the kind its key names"
                    )));
                }
            }
        }
        Ok(true)
    }
}

/// Lists what `entries` (a handoff's) carry, reading each record through `item` and each
/// product's name once through `product_name`. An error of either lookup is the answer.
pub fn walk(
    entries: &[Entry],
    item: ItemLookup<'_>,
    product_name: NameLookup<'_>,
) -> Result<Goods, CliError> {
    walk_to(Depth::Full, entries, item, product_name)
}

/// [`walk`] reading as much as `depth` says.
pub fn walk_to(
    depth: Depth,
    entries: &[Entry],
    item: ItemLookup<'_>,
    product_name: NameLookup<'_>,
) -> Result<Goods, CliError> {
    let mut w = Walk {
        depth,
        item,
        product_name,
        names: BTreeMap::new(),
        out: Goods::default(),
    };
    w.entries(entries, None, 0)?;
    Ok(w.out)
}

/// [`walk`] over records read from `state`: a full node's store or a light node's
/// verified index (where a record the index does not hold is an error, not an absence).
pub fn of_entries(
    state: &dyn StateRead,
    entries: &[Entry],
    depth: Depth,
) -> Result<Goods, CliError> {
    walk_to(
        depth,
        entries,
        &|k| Held::from_record(k, state.read(&StateKey::Item(k.to_string()))?),
        &|gtin| match state.read(&StateKey::Product(gtin.to_string()))? {
            Some(Record::Product(p)) => Ok(Some(p.name)),
            None => Ok(None),
            Some(_) => Err(fault(format!("{gtin} holds no product record"))),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_core::state::{HistoryHead, ItemStatus};
    use handoff_core::types::PublicKey;
    use std::cell::Cell;

    const ESPRESSO: &str = "00614141025015";
    const UNDEFINED: &str = "00614141099996";

    fn bag(serial: &str) -> Gs1Key {
        Gs1Key::Serial {
            gtin: ESPRESSO.into(),
            serial: serial.into(),
        }
    }
    fn pallet(n: u32) -> Gs1Key {
        Gs1Key::Sscc {
            sscc: format!("30614141000000{n:04}"),
        }
    }
    fn lot(gtin: &str, lot: &str) -> Gs1Key {
        Gs1Key::Lot {
            gtin: gtin.into(),
            lot: lot.into(),
        }
    }

    fn item(key: Gs1Key, contents: Vec<Entry>) -> Held {
        let org = PublicKey([7; 32]);
        Held::Item(Box::new(ItemRecord {
            key,
            owner: org,
            custodian: org,
            status: ItemStatus::Active,
            container: None,
            handoff: None,
            contents,
            commissioned_by: org,
            commissioned_height: 1,
            commissioned_at: None,
            lot: Some("R-2611".into()),
            expiry: Some("270630".into()),
            attributes: Vec::new(),
            claim_key: None,
            stolen: false,
            recalled: None,
            exception: None,
            inputs: Vec::new(),
            history: HistoryHead::default(),
        }))
    }
    fn lot_record(key: Gs1Key) -> Held {
        Held::Lot(Box::new(LotRecord {
            key,
            commissioned_by: PublicKey([7; 32]),
            commissioned_height: 1,
            commissioned_at: None,
            expiry: Some("261231".into()),
            attributes: Vec::new(),
            commissioned: 500,
            retired: 0,
            balances: Vec::new(),
            excepted: 0,
            stolen: 0,
            inputs: Vec::new(),
            history: HistoryHead::default(),
        }))
    }

    /// A little world of records: a pallet of three bags, a case of a lot quantity
    /// packed on a second pallet, and a loose bag.
    struct World {
        records: BTreeMap<String, Held>,
        reads: Cell<usize>,
        name_reads: Cell<usize>,
    }
    impl World {
        fn new() -> World {
            let mut records = BTreeMap::new();
            let mut put = |h: Held| {
                let k = match &h {
                    Held::Item(i) => i.key.canonical(),
                    Held::Lot(l) => l.key.canonical(),
                };
                records.insert(k, h);
            };
            let bags: Vec<Entry> = ["B1", "B2", "B3"]
                .iter()
                .map(|s| Entry::item(bag(s)))
                .collect();
            for s in ["B1", "B2", "B3", "LOOSE"] {
                put(item(bag(s), Vec::new()));
            }
            put(item(pallet(1), bags));
            put(lot_record(lot(UNDEFINED, "F-1")));
            put(item(pallet(3), vec![Entry::lot(lot(UNDEFINED, "F-1"), 40)]));
            put(item(pallet(2), vec![Entry::item(pallet(3))]));
            World {
                records,
                reads: Cell::new(0),
                name_reads: Cell::new(0),
            }
        }
        fn walk(&self, entries: &[Entry]) -> Result<Goods, CliError> {
            self.walk_to(Depth::Full, entries)
        }
        fn walk_to(&self, depth: Depth, entries: &[Entry]) -> Result<Goods, CliError> {
            walk_to(
                depth,
                entries,
                &|k| {
                    self.reads.set(self.reads.get() + 1);
                    Ok(self.records.get(k).cloned())
                },
                &|g| {
                    self.name_reads.set(self.name_reads.get() + 1);
                    Ok((g == ESPRESSO).then(|| "Northside Espresso Roast 250 g".to_string()))
                },
            )
        }
    }

    #[test]
    fn a_summary_reads_only_the_pallets_and_lists_the_same_goods_by_product() {
        let entries = [
            Entry::item(pallet(1)),
            Entry::item(bag("LOOSE")),
            Entry::item(pallet(2)),
        ];
        let full = World::new();
        let all = full.walk(&entries).expect("full walk");
        let w = World::new();
        let sum = w.walk_to(Depth::Summary, &entries).expect("summary walk");
        // Three pallets read (1, 2 and 3 packed in 2); no bag, no lot record.
        assert_eq!((full.reads.get(), w.reads.get()), (8, 3));
        // What Home sums: each line's key, kind, product, quantity and container.
        let what = |g: &Goods| -> Vec<String> {
            g.lines
                .iter()
                .map(|l| {
                    format!(
                        "{} {} {:?} {} {:?}",
                        l.key, l.kind, l.name, l.quantity, l.container
                    )
                })
                .collect()
        };
        assert_eq!(what(&sum), what(&all));
        let b = &sum.lines[1];
        assert_eq!(b.serial.as_deref(), Some("B1"));
        assert_eq!((b.lot.as_deref(), b.expiry.as_deref()), (None, None));
        let l = sum.lines.iter().find(|l| l.kind == "lot").expect("the lot");
        assert_eq!((l.lot.as_deref(), l.quantity), (Some("F-1"), 40));
        // A bag the ledger has no record of is not looked for in a summary; the full walk
        // still calls it a fault.
        let ghost = [Entry::item(bag("GHOST"))];
        assert!(World::new().walk(&ghost).is_err());
        assert_eq!(
            World::new()
                .walk_to(Depth::Summary, &ghost)
                .expect("summary")
                .lines
                .len(),
            1
        );
    }

    #[test]
    fn a_pallet_lists_its_bags_with_names_under_it() {
        let w = World::new();
        let g = w
            .walk(&[Entry::item(pallet(1)), Entry::item(bag("LOOSE"))])
            .expect("walk");
        assert!(!g.cut);
        let keys: Vec<&str> = g.lines.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "/00/306141410000000001",
                "/01/00614141025015/21/B1",
                "/01/00614141025015/21/B2",
                "/01/00614141025015/21/B3",
                "/01/00614141025015/21/LOOSE",
            ]
        );
        let p = &g.lines[0];
        assert_eq!(
            (p.kind.as_str(), p.sscc.as_deref(), p.name.as_deref()),
            ("container", Some("306141410000000001"), None)
        );
        let b = &g.lines[2];
        assert_eq!(b.kind, "item");
        assert_eq!(b.name.as_deref(), Some("Northside Espresso Roast 250 g"));
        assert_eq!(b.gtin.as_deref(), Some(ESPRESSO));
        assert_eq!(b.serial.as_deref(), Some("B2"));
        assert_eq!(b.lot.as_deref(), Some("R-2611"));
        assert_eq!(b.expiry.as_deref(), Some("270630"));
        assert_eq!(b.container.as_deref(), Some("306141410000000001"));
        assert_eq!(g.lines[4].container, None, "a loose bag is in no container");
        // One name read per product, however many bags.
        assert_eq!(w.name_reads.get(), 1);
    }

    #[test]
    fn nested_containers_and_lot_quantities() {
        let w = World::new();
        let g = w.walk(&[Entry::item(pallet(2))]).expect("walk");
        assert_eq!(g.lines.len(), 3);
        assert_eq!(g.lines[1].container.as_deref(), Some("306141410000000002"));
        let l = &g.lines[2];
        assert_eq!(
            (
                l.kind.as_str(),
                l.quantity,
                l.lot.as_deref(),
                l.expiry.as_deref()
            ),
            ("lot", 40, Some("F-1"), Some("261231"))
        );
        assert_eq!(l.container.as_deref(), Some("306141410000000003"));
        // An undefined product has no name, never its raw key as one.
        assert_eq!(l.name, None);
        assert_eq!(l.gtin.as_deref(), Some(UNDEFINED));
    }

    #[test]
    fn a_lookup_error_fails_the_walk() {
        let w = World::new();
        let e = walk(
            &[Entry::item(pallet(1))],
            &|k| {
                if k.ends_with("/B2") {
                    Err(CliError::failed("STORE_FAULT", "disk"))
                } else {
                    Ok(w.records.get(k).cloned())
                }
            },
            &|_| Ok(None),
        )
        .expect_err("fails closed");
        assert_eq!(e.parts().0, "STORE_FAULT");
        let e = walk(
            &[Entry::item(bag("B1"))],
            &|k| Ok(w.records.get(k).cloned()),
            &|_| Err(CliError::failed("PROOF_INVALID", "forged")),
        )
        .expect_err("a name that cannot be read fails too");
        assert_eq!(e.parts().0, "PROOF_INVALID");
    }

    #[test]
    fn a_missing_or_mismatched_record_is_a_fault_not_a_gap() {
        let w = World::new();
        let e = w.walk(&[Entry::item(bag("NEVER"))]).expect_err("no record");
        assert_eq!(e.parts().0, "STORE_FAULT");
        let mut w = World::new();
        // A container that names a bag the store lacks.
        w.records.insert(
            pallet(9).canonical(),
            item(pallet(9), vec![Entry::item(bag("GONE"))]),
        );
        let e = w.walk(&[Entry::item(pallet(9))]).expect_err("gap");
        assert!(e.parts().1.contains("GONE"), "{}", e.parts().1);
        // A lot record under a serial's key.
        w.records
            .insert(bag("ODD").canonical(), lot_record(lot(ESPRESSO, "X")));
        let e = w.walk(&[Entry::item(bag("ODD"))]).expect_err("kind");
        assert_eq!(e.parts().0, "STORE_FAULT");
    }

    #[test]
    fn a_container_in_itself_stops_at_the_nesting_bound() {
        let mut w = World::new();
        w.records.insert(
            pallet(5).canonical(),
            item(pallet(5), vec![Entry::item(pallet(5))]),
        );
        let e = w.walk(&[Entry::item(pallet(5))]).expect_err("a loop");
        assert_eq!(e.parts().0, "STORE_FAULT");
        assert!(w.reads.get() <= MAX_NESTING + 2, "{} reads", w.reads.get());
    }

    #[test]
    fn a_huge_handoff_stops_at_the_bound_and_says_so() {
        let w = World::new();
        let entries: Vec<Entry> = (0..MAX_GOODS_LINES + 5)
            .map(|_| Entry::item(bag("LOOSE")))
            .collect();
        let g = w.walk(&entries).expect("walk");
        assert_eq!(g.lines.len(), MAX_GOODS_LINES);
        assert!(g.cut);
        assert_eq!(
            w.reads.get(),
            MAX_GOODS_LINES,
            "nothing read past the bound"
        );
    }
}
