//! Property tests: random sequences of supply-chain actions — many of them wrong (wrong
//! org, stale offers, double accepts, packing what is in transit) — keep every ledger
//! invariant, and executing the same sequence twice gives the same state.

mod common;

use common::*;
use handoff_core::crypto::Keypair;
use handoff_core::gs1::Gs1Key;
use handoff_core::state::{HandoffStatus, Holder, ItemStatus, Record, StateKey};
use handoff_core::tx::*;
use handoff_core::types::HandoffId;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};

const SERIALS: usize = 6;
const PALLETS: u32 = 2;
const LOT_QTY: u64 = 1000;

#[derive(Clone, Debug)]
enum Op {
    Propose {
        from: usize,
        to: usize,
        items: Vec<usize>,
        lot_qty: u64,
        transfer: u8,
    },
    Accept {
        by: usize,
        offer: usize,
        missing: Vec<usize>,
    },
    Reject {
        by: usize,
        offer: usize,
    },
    Cancel {
        by: usize,
        offer: usize,
    },
    Pack {
        by: usize,
        pallet: u32,
        items: Vec<usize>,
    },
    Unpack {
        by: usize,
        pallet: u32,
    },
    Sell {
        by: usize,
        item: usize,
    },
    Observe {
        by: usize,
        item: usize,
    },
    Decommission {
        by: usize,
        item: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let org = 0..3usize;
    let some_items = proptest::collection::vec(0..SERIALS + PALLETS as usize, 0..3);
    prop_oneof![
        4 => (org.clone(), org.clone(), some_items.clone(), 0..400u64, 0..3u8).prop_map(
            |(from, to, items, lot_qty, transfer)| Op::Propose { from, to, items, lot_qty, transfer }
        ),
        6 => (0..5usize, 0..8usize, proptest::collection::vec(0..SERIALS, 0..2))
            .prop_map(|(by, offer, missing)| Op::Accept { by, offer, missing }),
        1 => (org.clone(), 0..8usize).prop_map(|(by, offer)| Op::Reject { by, offer }),
        1 => (org.clone(), 0..8usize).prop_map(|(by, offer)| Op::Cancel { by, offer }),
        2 => (org.clone(), 1..=PALLETS, proptest::collection::vec(0..SERIALS, 1..3))
            .prop_map(|(by, pallet, items)| Op::Pack { by, pallet, items }),
        1 => (org.clone(), 1..=PALLETS).prop_map(|(by, pallet)| Op::Unpack { by, pallet }),
        2 => (org.clone(), 0..SERIALS).prop_map(|(by, item)| Op::Sell { by, item }),
        1 => (org.clone(), 0..SERIALS).prop_map(|(by, item)| Op::Observe { by, item }),
        1 => (org.clone(), 0..SERIALS).prop_map(|(by, item)| Op::Decommission { by, item }),
    ]
}

struct Sim {
    w: World,
    orgs: Vec<Keypair>,
    serials: Vec<Gs1Key>,
    lot: Gs1Key,
    offers: Vec<HandoffId>,
}

impl Sim {
    fn new() -> Sim {
        let mut w = World::new();
        let (farm, carrier, shop, g) = w.farm_carrier_shop();
        let serials: Vec<Gs1Key> = (0..SERIALS).map(|i| serial(&g, &format!("S{i}"))).collect();
        let lot = lot(&g, "L1");
        let mut entries: Vec<Entry> = serials.iter().cloned().map(Entry::item).collect();
        entries.push(Entry::lot(lot.clone(), LOT_QTY));
        w.commission(&farm, entries);
        Sim {
            w,
            orgs: vec![farm, carrier, shop],
            serials,
            lot,
            offers: vec![],
        }
    }

    fn thing(&self, i: usize) -> Gs1Key {
        if i < SERIALS {
            self.serials[i].clone()
        } else {
            sscc(i as u32 - SERIALS as u32 + 1)
        }
    }

    fn payload(&self, op: &Op) -> (usize, Payload) {
        // Mostly recent offers, so that most accepts meet an open one.
        let offer = |i: usize| {
            let n = self.offers.len();
            if n == 0 {
                HandoffId::default()
            } else {
                self.offers[n - 1 - (i % n.min(3))]
            }
        };
        // Org index 3 or 4 in an accept means "the offer's real recipient".
        let recipient = |h: HandoffId, by: usize| -> usize {
            if by < 3 {
                return by;
            }
            match self.w.state.get(&StateKey::Handoff(h)) {
                Some(Record::Handoff(r)) => self
                    .orgs
                    .iter()
                    .position(|k| k.public() == r.to)
                    .unwrap_or(0),
                _ => 0,
            }
        };
        match op {
            Op::Propose {
                from,
                to,
                items,
                lot_qty,
                transfer,
            } => {
                let mut entries: Vec<Entry> =
                    items.iter().map(|i| Entry::item(self.thing(*i))).collect();
                entries.dedup();
                if *lot_qty > 0 {
                    entries.push(Entry::lot(self.lot.clone(), *lot_qty));
                }
                let t =
                    [Transfer::Custody, Transfer::Ownership, Transfer::Both][*transfer as usize];
                (*from, World::propose_payload(&self.orgs[*to], entries, t))
            }
            Op::Accept {
                by,
                offer: o,
                missing,
            } => (
                recipient(offer(*o), *by),
                Payload::AcceptHandoff(AcceptHandoff {
                    handoff: offer(*o),
                    missing: missing
                        .iter()
                        .map(|i| Entry::item(self.thing(*i)))
                        .collect(),
                    damaged: vec![],
                }),
            ),
            Op::Reject { by, offer: o } => (
                *by,
                Payload::RejectHandoff {
                    handoff: offer(*o),
                    reason: "no".into(),
                },
            ),
            Op::Cancel { by, offer: o } => (*by, Payload::CancelHandoff { handoff: offer(*o) }),
            Op::Pack { by, pallet, items } => (
                *by,
                Payload::Pack {
                    container: sscc(*pallet),
                    entries: items.iter().map(|i| Entry::item(self.thing(*i))).collect(),
                },
            ),
            Op::Unpack { by, pallet } => (
                *by,
                Payload::Unpack {
                    container: sscc(*pallet),
                    entries: vec![],
                },
            ),
            Op::Sell { by, item } => (
                *by,
                Payload::Sell {
                    entries: vec![Entry::item(self.thing(*item))],
                },
            ),
            Op::Observe { by, item } => (
                *by,
                Payload::Observe(Observe {
                    entries: vec![Entry::item(self.thing(*item))],
                    at: None,
                    kind: "check".into(),
                    readings: vec![],
                }),
            ),
            Op::Decommission { by, item } => (
                *by,
                Payload::Decommission {
                    entries: vec![Entry::item(self.thing(*item))],
                    reason: "damaged".into(),
                },
            ),
        }
    }

    /// Applies one action; checks that a refusal changed nothing but the nonce and that an
    /// accepted offer can never be accepted again.
    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let (who, payload) = self.payload(op);
        let signer = Keypair::from_secret(self.orgs[who].secret());
        let before = self.w.state.clone();
        let tx = self.w.sign(&signer, payload);
        match self.w.submit(&tx) {
            Ok(_) => {
                if matches!(op, Op::Propose { .. }) {
                    self.offers.push(tx.id());
                }
                if let Payload::AcceptHandoff(a) = &tx.body.payload {
                    let again = self.w.sign(&signer, World::accept_payload(a.handoff));
                    prop_assert!(
                        self.w.submit(&again).is_err(),
                        "an accepted offer was accepted twice"
                    );
                }
            }
            Err(_) => {
                let mut after = self.w.state.clone();
                let mut b = before;
                after.remove(&StateKey::Account(signer.public()));
                b.remove(&StateKey::Account(signer.public()));
                prop_assert!(
                    after == b,
                    "a refused {} changed state",
                    tx.body.payload.type_name()
                );
            }
        }
        Ok(())
    }

    fn check_invariants(&self) -> Result<(), TestCaseError> {
        let mut items = BTreeMap::new();
        let mut lots = Vec::new();
        let mut handoffs = HashMap::new();
        for rec in self.w.state.values() {
            match rec {
                Record::Item(it) => {
                    items.insert(it.key.canonical(), it.clone());
                }
                Record::Lot(l) => lots.push(l.clone()),
                Record::Handoff(h) => {
                    handoffs.insert(h.id, h.clone());
                }
                _ => {}
            }
        }
        // Every item in an open handoff is locked by exactly that handoff, and every
        // locked item belongs to an open handoff that lists it.
        for h in handoffs
            .values()
            .filter(|h| h.status == HandoffStatus::Open)
        {
            for e in &h.entries {
                if let Some(it) = items.get(&e.key.canonical()) {
                    prop_assert_eq!(
                        it.handoff,
                        Some(h.id),
                        "{} not locked by its open offer",
                        e.key.canonical()
                    );
                }
            }
        }
        for it in items.values() {
            if let Some(hid) = it.handoff {
                let h = handoffs.get(&hid);
                prop_assert!(
                    h.is_some_and(|h| h.status == HandoffStatus::Open
                        && h.entries.iter().any(|e| e.key == it.key)),
                    "{} locked by a closed or foreign offer",
                    it.key.canonical()
                );
            }
        }
        // At most one container; containers list exactly what claims to be inside them;
        // packed goods are not locked on their own and share their container's parties.
        let mut seen_in = HashMap::new();
        for c in items.values() {
            for e in &c.contents {
                prop_assert!(
                    seen_in
                        .insert(e.key.canonical(), c.key.canonical())
                        .is_none(),
                    "{} in two containers",
                    e.key.canonical()
                );
                let inner = items.get(&e.key.canonical());
                prop_assert!(
                    inner.is_some_and(|i| i.container.as_ref() == Some(&c.key)),
                    "container lists {} which is not inside it",
                    e.key.canonical()
                );
            }
        }
        for it in items.values() {
            if let Some(c) = &it.container {
                prop_assert_eq!(seen_in.get(&it.key.canonical()), Some(&c.canonical()));
                prop_assert_eq!(it.handoff, None);
            }
            if it.status == ItemStatus::Sold {
                prop_assert!(it.container.is_none() && it.handoff.is_none());
            }
        }
        // Lot quantities are conserved.
        for l in &lots {
            prop_assert_eq!(l.commissioned, LOT_QTY);
            prop_assert_eq!(
                l.outstanding() + l.retired,
                l.commissioned,
                "lot {:?} does not add up",
                l.balances
            );
            for (h, q) in &l.balances {
                prop_assert!(*q > 0, "zero balance kept for {h:?}");
                if let Holder::Transit { handoff, .. } = h {
                    prop_assert!(
                        handoffs
                            .get(handoff)
                            .is_some_and(|x| x.status == HandoffStatus::Open)
                    );
                }
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_actions_keep_every_invariant(ops in proptest::collection::vec(op(), 1..60)) {
        let mut sim = Sim::new();
        for op in &ops {
            sim.step(op)?;
            sim.check_invariants()?;
        }
    }

    #[test]
    fn the_same_actions_give_the_same_state(ops in proptest::collection::vec(op(), 1..40)) {
        let mut a = Sim::new();
        let mut b = Sim::new();
        for op in &ops {
            a.step(op)?;
            b.step(op)?;
        }
        prop_assert!(a.w.state == b.w.state);
    }
}
