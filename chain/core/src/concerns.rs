//! Whom a block concerns: the filter whose hash every block header carries
//! ([`crate::block::BlockHeader::concerns_root`]).
//!
//! A light node follows its own org: for each certified header it looks up its org in
//! the block's filter and fetches only the blocks that name it. The filter is a sorted
//! list of 8-byte tags, one per key the block touches (`tag` = the first 8 bytes of
//! `SHA-256(CONCERNS_DOMAIN ‖ key)`), and its hash is in the header, so a peer cannot hide
//! a block from an org by leaving it out: a list that does not hash to the header's
//! `concerns_root` is refused, and a header with another root does not carry the
//! validators' certificate. Validators recompute the filter from their own execution of
//! the block and vote only for a header whose root matches.
//!
//! **What a block concerns.** Every key that signed one of its transactions (orgs,
//! devices, consumers), the acting org of each applied transaction, both orgs of each
//! handoff it opened or closed, the parties of each finance step, each admitted org; and,
//! from the records the block wrote, the custodian and owner of every item and container,
//! every holder of every lot, both orgs of every handoff record, an org record's org, a
//! device's key and org, a product's owner and licensees, and the parties of every
//! receivable and warehouse receipt. So an org finds every block that changed what it
//! holds, owns, sends, receives or finances — including a recall of an item it holds,
//! whose record the block rewrites.
//!
//! **Why a sorted list.** A block touches few orgs (each transaction names at most a
//! handful), so the list is small: 8 bytes per org, no false negatives, and a false
//! positive (two keys with one tag) only costs an extra block fetched. A Golomb-coded set
//! (as in BIP 158) would save a few bytes per entry at the price of a decoder to harden;
//! blocks of a permissioned chain do not name enough orgs to need it.

use crate::block::Execution;
use crate::event::IndexOp;
use crate::state::{Holder, Record};
use crate::tx::SignedTx;
use crate::types::{Hash32, PublicKey, sha256};
use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::BTreeSet;

/// Domain tag of concern tags and of the filter's hash.
pub const CONCERNS_DOMAIN: &[u8] = b"HANDOFF/CONCERNS/1\0";

/// The tag of a key in a block's filter.
pub fn tag(key: &PublicKey) -> u64 {
    let h = sha256(&[CONCERNS_DOMAIN, b"key\0", &key.0]);
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.0[..8]);
    u64::from_be_bytes(b)
}

/// A block's filter: the sorted, distinct tags of the keys it concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Concerns(pub Vec<u64>);

impl Concerns {
    /// The filter of a set of keys.
    pub fn of<'a>(keys: impl IntoIterator<Item = &'a PublicKey>) -> Concerns {
        let mut v: Vec<u64> = keys.into_iter().map(tag).collect();
        v.sort_unstable();
        v.dedup();
        Concerns(v)
    }

    /// The hash the header carries: `SHA-256(CONCERNS_DOMAIN ‖ "root" ‖ u32 LE count ‖
    /// each tag u64 BE)`.
    pub fn root(&self) -> Hash32 {
        let mut bytes = Vec::with_capacity(4 + 8 * self.0.len());
        bytes.extend_from_slice(&(self.0.len() as u32).to_le_bytes());
        for t in &self.0 {
            bytes.extend_from_slice(&t.to_be_bytes());
        }
        sha256(&[CONCERNS_DOMAIN, b"root\0", &bytes])
    }

    /// Whether the block may concern `key` (a tag match; a false positive is possible,
    /// a false negative is not).
    pub fn names(&self, key: &PublicKey) -> bool {
        self.0.binary_search(&tag(key)).is_ok()
    }

    /// Strictly increasing (sorted, no repeats), as every filter a validator makes is.
    pub fn is_canonical(&self) -> bool {
        self.0.windows(2).all(|w| w[0] < w[1])
    }

    /// Number of tags.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No tags (a block without transactions).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Adds the keys a record names to `keys`.
fn record_keys(r: &Record, keys: &mut BTreeSet<PublicKey>) {
    match r {
        Record::Org(o) => {
            keys.insert(o.key);
        }
        Record::Device(d) => {
            keys.insert(d.key);
            keys.insert(d.org);
        }
        Record::Product(p) => {
            keys.insert(p.owner);
            keys.extend(p.licensees.iter().copied());
        }
        Record::Item(it) => {
            keys.insert(it.custodian);
            keys.insert(it.owner);
        }
        Record::Lot(l) => {
            for (h, _) in &l.balances {
                match h {
                    Holder::Org { custodian, owner }
                    | Holder::Transit {
                        custodian, owner, ..
                    } => {
                        keys.insert(*custodian);
                        keys.insert(*owner);
                    }
                    Holder::Container(_) => {}
                }
            }
        }
        Record::Handoff(h) => {
            keys.insert(h.from);
            keys.insert(h.to);
        }
        Record::Receivable(r) => {
            keys.insert(r.seller);
            keys.insert(r.buyer);
            keys.insert(r.holder);
            keys.extend(r.lender);
        }
        Record::Receipt(r) => {
            keys.insert(r.warehouse);
            keys.insert(r.owner);
            keys.extend(r.lender);
        }
        _ => {}
    }
}

/// The filter of a block: `txs` are the transactions it carries and `exec` their
/// execution (`included[i]`: the index in `exec.results` of the block's `i`-th
/// transaction; transactions left out of the block count for nothing, and their
/// writes were never made).
pub fn of_block(txs: &[&SignedTx], exec: &Execution, included: &[usize]) -> Concerns {
    let mut keys: BTreeSet<PublicKey> = BTreeSet::new();
    for &i in included {
        let Some(tx) = txs.get(i) else { continue };
        keys.insert(tx.body.signer);
        let Some(Ok(effects)) = exec.results.get(i) else {
            continue;
        };
        keys.extend(effects.org);
        for op in &effects.index {
            match op {
                IndexOp::OrgAdmitted { org } => {
                    keys.insert(*org);
                }
                IndexOp::HandoffOpened { from, to, .. }
                | IndexOp::HandoffClosed { from, to, .. } => {
                    keys.insert(*from);
                    keys.insert(*to);
                }
                IndexOp::FinanceStep { parties, .. } => keys.extend(parties.iter().copied()),
            }
        }
    }
    for (_, r) in &exec.writes {
        record_keys(r, &mut keys);
    }
    Concerns::of(&keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_names_what_it_was_made_of_and_its_root_changes_with_any_omission() {
        let keys: Vec<PublicKey> = (1..=40u8).map(|i| PublicKey([i; 32])).collect();
        let f = Concerns::of(&keys);
        assert!(f.is_canonical());
        assert_eq!(f.len(), 40);
        for k in &keys {
            assert!(f.names(k));
        }
        assert!(!f.names(&PublicKey([200; 32])));
        // Leaving any one org out gives another root: a header cannot keep its hash.
        for i in 0..keys.len() {
            let mut fewer = f.clone();
            fewer.0.remove(i);
            assert_ne!(fewer.root(), f.root(), "without tag {i}");
        }
        // Order and repeats do not matter to the filter; its root is of the sorted list.
        let mut rev = keys.clone();
        rev.reverse();
        rev.push(keys[0]);
        assert_eq!(Concerns::of(&rev), f);
        let mut unsorted = f.clone();
        unsorted.0.swap(0, 1);
        assert!(!unsorted.is_canonical());
        assert_ne!(Concerns::default().root(), f.root());
    }
}
