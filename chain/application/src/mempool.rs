//! Transactions waiting for a block, in arrival order, bounded by count and bytes.

use handoff_core::tx::SignedTx;
use handoff_core::types::TxId;
use std::collections::{BTreeMap, HashMap};

/// Transactions waiting for a block, in arrival order. Iteration follows the arrival
/// sequence (a `BTreeMap`), never hash-map order, so two nodes (or two simulator runs)
/// given the same transactions build the same blocks.
#[derive(Default)]
pub struct Mempool {
    order: BTreeMap<u64, TxId>,
    by_id: HashMap<TxId, (u64, SignedTx, usize)>,
    seq: u64,
    bytes: usize,
}

impl Mempool {
    /// Transactions waiting.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }
    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
    /// Encoded bytes waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
    /// Whether a transaction with this id waits.
    pub fn contains(&self, id: &TxId) -> bool {
        self.by_id.contains_key(id)
    }
    /// Whether exactly this transaction (same body and signature) was admitted, so its
    /// signature is already verified.
    pub fn has_verified(&self, tx: &SignedTx) -> bool {
        self.by_id
            .get(&tx.id())
            .is_some_and(|(_, t, _)| t.signature == tx.signature)
    }
    pub(crate) fn insert(&mut self, tx: SignedTx, len: usize) {
        self.seq += 1;
        self.order.insert(self.seq, tx.id());
        self.bytes += len;
        self.by_id.insert(tx.id(), (self.seq, tx, len));
    }
    pub(crate) fn remove(&mut self, id: &TxId) -> Option<SignedTx> {
        let (seq, tx, len) = self.by_id.remove(id)?;
        self.order.remove(&seq);
        self.bytes -= len;
        Some(tx)
    }
    /// The waiting transactions with their encoded length, in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&SignedTx, usize)> {
        self.order
            .values()
            .filter_map(|id| self.by_id.get(id).map(|(_, t, l)| (t, *l)))
    }
}
