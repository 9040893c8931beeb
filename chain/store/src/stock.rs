//! The stock index: what each org holds, kept as counts while blocks apply, so "what do
//! we hold" is a read of a few rows per org, never a scan of every item.
//!
//! Every item, container and lot position contributes to its **direct holder**: an org
//! (loose goods in its custody, or goods it offered that are still in transit) or a
//! container (what is packed in it). Contributions with the same product, lot, expiry,
//! location, status (and, for a container, the container itself) share one row, whose
//! value is the count (items, containers) or quantity (lots). A container's contents are
//! the rows of the container as holder, so handing a pallet over moves one row, not its
//! 300 bags (their records do not change either: the outermost container decides custody).
//!
//! Each record also keeps the list of what it contributes (`J` ‖ canonical key), so a
//! block subtracts a record's old contribution and adds its new one without reading the
//! state it had before.
//!
//! Keys: `K` ‖ holder ‖ borsh(row) → quantity (u64 big-endian); holder is `o` ‖ org key
//! (32 bytes) or `c` ‖ SSCC (18 digits). `J` ‖ canonical → borsh(`Vec<Contribution>`).

use borsh::{BorshDeserialize, BorshSerialize};
use handoff_core::event::Event;
use handoff_core::gs1::Gs1Key;
use handoff_core::state::{Holder, ItemRecord, ItemStatus, LotRecord, Record};
use handoff_core::types::PublicKey;
use std::collections::{BTreeMap, HashMap};

pub(crate) const P_STOCK: u8 = b'K';
pub(crate) const P_CONTRIB: u8 = b'J';

/// What a stock row counts.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum StockKind {
    /// Serialized items (count).
    Item = 0,
    /// A lot position (quantity).
    Lot = 1,
    /// A container (one per row: the row names its SSCC).
    Container = 2,
}

/// Where held goods stand.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum StockStatus {
    /// Held, free to move.
    InStock = 0,
    /// Offered in an open handoff (still in the sender's custody).
    InTransit = 1,
    /// Recalled by item (product and lot recalls are applied when read).
    Recalled = 2,
    /// Flagged missing at a handoff (stays with the sender).
    Missing = 3,
    /// Flagged damaged at a handoff.
    Damaged = 4,
}

impl StockStatus {
    /// Every status, in a stable order.
    pub const ALL: [StockStatus; 5] = [
        StockStatus::InStock,
        StockStatus::InTransit,
        StockStatus::Recalled,
        StockStatus::Missing,
        StockStatus::Damaged,
    ];
    /// snake_case name (command line, JSON, CSV).
    pub fn as_str(self) -> &'static str {
        match self {
            StockStatus::InStock => "in_stock",
            StockStatus::InTransit => "in_transit",
            StockStatus::Recalled => "recalled",
            StockStatus::Missing => "missing",
            StockStatus::Damaged => "damaged",
        }
    }
    /// Parses a name.
    pub fn parse(s: &str) -> Option<StockStatus> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// One group of held goods under one holder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct StockRow {
    /// Items, a lot, or one container.
    pub kind: StockKind,
    /// GTIN-14 (empty for containers).
    pub gtin: String,
    /// Lot (empty when none).
    pub lot: String,
    /// Expiry YYMMDD (empty when none).
    pub expiry: String,
    /// GLN where it was last recorded for this holder (empty when never said).
    pub location: String,
    /// Status.
    pub status: StockStatus,
    /// The container's SSCC (containers only).
    pub sscc: String,
}

/// Who holds a row.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StockHolder {
    /// An org.
    Org(PublicKey),
    /// A container, by its SSCC (18 digits).
    Container(String),
}

impl StockHolder {
    fn bytes(&self) -> Vec<u8> {
        match self {
            StockHolder::Org(o) => [&[b'o'][..], &o.0].concat(),
            StockHolder::Container(s) => [&[b'c'][..], s.as_bytes()].concat(),
        }
    }
    /// The sled prefix of its rows.
    pub(crate) fn prefix(&self) -> Vec<u8> {
        [&[P_STOCK][..], &self.bytes()].concat()
    }
}

/// What one record adds to one row.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
struct Contribution {
    holder: Vec<u8>,
    row: StockRow,
    quantity: u64,
}

fn row_key(holder: &[u8], row: &StockRow) -> Vec<u8> {
    let mut k = Vec::with_capacity(64);
    k.push(P_STOCK);
    k.extend_from_slice(holder);
    k.extend_from_slice(&borsh::to_vec(row).unwrap_or_default());
    k
}

pub(crate) fn contrib_key(canonical: &str) -> Vec<u8> {
    [&[P_CONTRIB][..], canonical.as_bytes()].concat()
}

/// Decodes one row key under `prefix` and its value.
pub(crate) fn decode_row(prefix_len: usize, k: &[u8], v: &[u8]) -> Option<(StockRow, u64)> {
    let row: StockRow = borsh::from_slice(k.get(prefix_len..)?).ok()?;
    let q = u64::from_be_bytes(v.try_into().ok()?);
    Some((row, q))
}

fn item_status(it: &ItemRecord) -> Option<StockStatus> {
    if it.status != ItemStatus::Active || it.stolen {
        return None;
    }
    Some(if it.recalled.is_some() {
        StockStatus::Recalled
    } else if it.handoff.is_some() {
        StockStatus::InTransit
    } else {
        match it.exception.as_ref().map(|x| x.kind.as_str()) {
            Some("missing") => StockStatus::Missing,
            Some("damaged") => StockStatus::Damaged,
            _ => StockStatus::InStock,
        }
    })
}

/// Where a record is for `org`: the place this block recorded for it, else the place its
/// previous contribution to that org's stock had, else where it was commissioned (for
/// its commissioner).
fn location(
    here: &HashMap<(String, PublicKey), String>,
    canonical: &str,
    org: Option<&PublicKey>,
    prev: &[Contribution],
    holder: &[u8],
    inherited: &str,
    commissioned: (&PublicKey, &Option<String>),
) -> String {
    if let Some(o) = org
        && let Some(at) = here.get(&(canonical.to_string(), *o))
    {
        return at.clone();
    }
    if let Some(c) = prev.iter().find(|c| c.holder == holder) {
        return c.row.location.clone();
    }
    // Unpacked goods are where their container was.
    if !inherited.is_empty() {
        return inherited.to_string();
    }
    // Goods that moved between holders keep the last place known to anyone.
    if let Some(c) = prev.iter().find(|c| !c.row.location.is_empty()) {
        return c.row.location.clone();
    }
    match org {
        Some(o) if o == commissioned.0 => commissioned.1.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn item_contributions(
    it: &ItemRecord,
    prev: &[Contribution],
    here: &HashMap<(String, PublicKey), String>,
    inherited: &str,
) -> Vec<Contribution> {
    let Some(status) = item_status(it) else {
        return Vec::new();
    };
    let canonical = it.key.canonical();
    let (holder, org) = match &it.container {
        Some(Gs1Key::Sscc { sscc }) => (StockHolder::Container(sscc.clone()).bytes(), None),
        Some(_) => return Vec::new(),
        None => (StockHolder::Org(it.custodian).bytes(), Some(it.custodian)),
    };
    let location = if org.is_some() {
        location(
            here,
            &canonical,
            org.as_ref(),
            prev,
            &holder,
            inherited,
            (&it.commissioned_by, &it.commissioned_at),
        )
    } else {
        String::new()
    };
    let row = match &it.key {
        Gs1Key::Sscc { sscc } => StockRow {
            kind: StockKind::Container,
            gtin: String::new(),
            lot: String::new(),
            expiry: String::new(),
            location,
            status,
            sscc: sscc.clone(),
        },
        Gs1Key::Serial { gtin, .. } => StockRow {
            kind: StockKind::Item,
            gtin: gtin.clone(),
            lot: it.lot.clone().unwrap_or_default(),
            expiry: it.expiry.clone().unwrap_or_default(),
            location,
            status,
            sscc: String::new(),
        },
        _ => return Vec::new(),
    };
    vec![Contribution {
        holder,
        row,
        quantity: 1,
    }]
}

fn lot_contributions(
    lot: &LotRecord,
    prev: &[Contribution],
    here: &HashMap<(String, PublicKey), String>,
    inherited: &str,
) -> Vec<Contribution> {
    let Gs1Key::Lot { gtin, lot: lot_id } = &lot.key else {
        return Vec::new();
    };
    let canonical = lot.key.canonical();
    let mut sum: BTreeMap<(Vec<u8>, StockRow), u64> = BTreeMap::new();
    for (h, q) in &lot.balances {
        if *q == 0 {
            continue;
        }
        let (holder, org, status) = match h {
            Holder::Org { custodian, .. } => (
                StockHolder::Org(*custodian).bytes(),
                Some(*custodian),
                StockStatus::InStock,
            ),
            Holder::Transit { custodian, .. } => (
                StockHolder::Org(*custodian).bytes(),
                Some(*custodian),
                StockStatus::InTransit,
            ),
            Holder::Container(Gs1Key::Sscc { sscc }) => (
                StockHolder::Container(sscc.clone()).bytes(),
                None,
                StockStatus::InStock,
            ),
            Holder::Container(_) => continue,
        };
        let location = if org.is_some() {
            location(
                here,
                &canonical,
                org.as_ref(),
                prev,
                &holder,
                inherited,
                (&lot.commissioned_by, &lot.commissioned_at),
            )
        } else {
            String::new()
        };
        let row = StockRow {
            kind: StockKind::Lot,
            gtin: gtin.clone(),
            lot: lot_id.clone(),
            expiry: lot.expiry.clone().unwrap_or_default(),
            location,
            status,
            sscc: String::new(),
        };
        *sum.entry((holder, row)).or_default() += q;
    }
    sum.into_iter()
        .map(|((holder, row), quantity)| Contribution {
            holder,
            row,
            quantity,
        })
        .collect()
}

/// The stock index writes of one block: `Some(bytes)` to write, `None` to remove.
pub(crate) type StockWrites = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Reads a stock index key as the block before left it.
pub(crate) type IndexRead<'a, E> = dyn Fn(&[u8]) -> Result<Option<Vec<u8>>, E> + 'a;

/// Computes the stock index writes of a block from the records it wrote and the events it
/// appended (`history`: canonical key and encoded event, in order). `read` gives a stock
/// index key's value as the block before this one left it (fails closed: an error stops
/// the block).
pub(crate) fn index<E>(
    records: &[&Record],
    history: &[(&str, &[u8])],
    read: &IndexRead<'_, E>,
    corrupt: &dyn Fn() -> E,
) -> Result<StockWrites, E> {
    // The last place each (record, acting org) was recorded at in this block.
    let mut here: HashMap<(String, PublicKey), String> = HashMap::new();
    for (key, bytes) in history {
        let ev = Event::decode(bytes).ok_or_else(corrupt)?;
        if let Some(at) = ev.at {
            here.insert((key.to_string(), ev.by), at);
        }
    }
    let mut out = StockWrites::new();
    let mut delta: BTreeMap<Vec<u8>, i128> = BTreeMap::new();
    let contributions = |k: &[u8]| -> Result<Vec<Contribution>, E> {
        match read(k)? {
            Some(b) => borsh::from_slice(&b).map_err(|_| corrupt()),
            None => Ok(Vec::new()),
        }
    };
    // One record per key, the last written (a key written twice must not be subtracted
    // twice from what the block before left).
    let mut last: BTreeMap<String, &Record> = BTreeMap::new();
    for r in records {
        match r {
            Record::Item(it) => last.insert(it.key.canonical(), r),
            Record::Lot(l) => last.insert(l.key.canonical(), r),
            _ => continue,
        };
    }
    for (canonical, r) in last {
        let ck = contrib_key(&canonical);
        let prev = contributions(&ck)?;
        // Goods that were packed take their container's place when they come out.
        let mut inherited = String::new();
        if let Some(c) = prev.iter().find(|c| c.holder.first() == Some(&b'c'))
            && let Ok(sscc) = std::str::from_utf8(&c.holder[1..])
        {
            let outer = contributions(&contrib_key(&format!("/00/{sscc}")))?;
            if let Some(o) = outer.first() {
                inherited = o.row.location.clone();
            }
        }
        let new = match r {
            Record::Item(it) => item_contributions(it, &prev, &here, &inherited),
            Record::Lot(l) => lot_contributions(l, &prev, &here, &inherited),
            _ => continue,
        };
        if new == prev {
            continue;
        }
        for c in &prev {
            *delta.entry(row_key(&c.holder, &c.row)).or_default() -= i128::from(c.quantity);
        }
        for c in &new {
            *delta.entry(row_key(&c.holder, &c.row)).or_default() += i128::from(c.quantity);
        }
        out.insert(
            ck,
            (!new.is_empty()).then(|| borsh::to_vec(&new).unwrap_or_default()),
        );
    }
    for (k, d) in delta {
        if d == 0 {
            continue;
        }
        let have = match read(&k)? {
            Some(v) => u64::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt())?),
            None => 0,
        };
        let now = i128::from(have) + d;
        if now < 0 || now > i128::from(u64::MAX) {
            return Err(corrupt());
        }
        out.insert(k, (now > 0).then(|| (now as u64).to_be_bytes().to_vec()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_core::state::HistoryHead;

    fn org(b: u8) -> PublicKey {
        PublicKey([b; 32])
    }

    fn bag(serial: &str, custodian: PublicKey) -> ItemRecord {
        ItemRecord {
            key: Gs1Key::Serial {
                gtin: "09506000134352".into(),
                serial: serial.into(),
            },
            owner: custodian,
            custodian,
            status: ItemStatus::Active,
            container: None,
            handoff: None,
            contents: vec![],
            commissioned_by: custodian,
            commissioned_height: 1,
            commissioned_at: Some("0614141000012".into()),
            lot: Some("L1".into()),
            expiry: Some("270101".into()),
            attributes: vec![],
            claim_key: None,
            stolen: false,
            recalled: None,
            exception: None,
            inputs: vec![],
            history: HistoryHead::default(),
        }
    }

    type Db = BTreeMap<Vec<u8>, Vec<u8>>;

    /// Applies one block's records to `db` as the store would.
    fn apply(db: &mut Db, records: &[Record]) {
        let refs: Vec<&Record> = records.iter().collect();
        let read = |k: &[u8]| -> Result<Option<Vec<u8>>, ()> { Ok(db.get(k).cloned()) };
        let writes = index(&refs, &[], &read, &|| ()).expect("index");
        for (k, v) in writes {
            match v {
                Some(v) => db.insert(k, v),
                None => db.remove(&k),
            };
        }
    }

    fn rows(db: &Db, h: &StockHolder) -> Vec<(StockRow, u64)> {
        let p = h.prefix();
        db.range(p.clone()..)
            .take_while(|(k, _)| k.starts_with(&p))
            .map(|(k, v)| decode_row(p.len(), k, v).expect("row"))
            .collect()
    }

    #[test]
    fn items_count_once_under_their_holder_as_they_move_and_pack() {
        let (a, b) = (org(1), org(2));
        let mut db = Db::new();
        apply(
            &mut db,
            &[Record::Item(bag("1", a)), Record::Item(bag("2", a))],
        );
        let held = rows(&db, &StockHolder::Org(a));
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].1, 2);
        assert_eq!(held[0].0.location, "0614141000012");

        // Offered: still the holder's, in transit.
        let mut one = bag("1", a);
        one.handoff = Some(handoff_core::types::Hash32([9; 32]));
        apply(&mut db, &[Record::Item(one.clone())]);
        let held = rows(&db, &StockHolder::Org(a));
        let statuses: Vec<(StockStatus, u64)> = held.iter().map(|(r, q)| (r.status, *q)).collect();
        assert_eq!(
            statuses,
            [(StockStatus::InStock, 1), (StockStatus::InTransit, 1)]
        );

        // Accepted by b: gone from a, at b (no place recorded for b).
        one.handoff = None;
        one.custodian = b;
        apply(&mut db, &[Record::Item(one)]);
        assert_eq!(
            rows(&db, &StockHolder::Org(a))
                .iter()
                .map(|r| r.1)
                .sum::<u64>(),
            1
        );
        assert_eq!(
            rows(&db, &StockHolder::Org(b))
                .iter()
                .map(|r| r.1)
                .sum::<u64>(),
            1
        );

        // Packed: the bag counts under the pallet, the pallet under a.
        let mut two = bag("2", a);
        two.container = Some(Gs1Key::Sscc {
            sscc: "106141410000000016".into(),
        });
        let mut pallet = bag("x", a);
        pallet.key = Gs1Key::Sscc {
            sscc: "106141410000000016".into(),
        };
        apply(&mut db, &[Record::Item(two.clone()), Record::Item(pallet)]);
        let held = rows(&db, &StockHolder::Org(a));
        assert_eq!(held.len(), 1, "{held:?}");
        assert_eq!(held[0].0.kind, StockKind::Container);
        let inside = rows(&db, &StockHolder::Container("106141410000000016".into()));
        assert_eq!(inside.len(), 1);
        assert_eq!(inside[0].0.kind, StockKind::Item);

        // Sold: nothing held any more, and nothing left behind.
        two.status = ItemStatus::Sold;
        apply(&mut db, &[Record::Item(two)]);
        assert!(rows(&db, &StockHolder::Container("106141410000000016".into())).is_empty());
    }

    #[test]
    fn a_damaged_index_entry_stops_the_block() {
        let rec = Record::Item(bag("1", org(1)));
        let read = |k: &[u8]| -> Result<Option<Vec<u8>>, &'static str> {
            Ok(k.starts_with(&[P_CONTRIB]).then(|| vec![0xff; 3]))
        };
        assert_eq!(index(&[&rec], &[], &read, &|| "corrupt"), Err("corrupt"));
        let fails = |_: &[u8]| -> Result<Option<Vec<u8>>, &'static str> { Err("disk") };
        assert_eq!(index(&[&rec], &[], &fails, &|| "corrupt"), Err("disk"));
    }
}
