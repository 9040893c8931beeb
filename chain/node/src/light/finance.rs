//! Supply-chain finance on a light node: the org's own receivables and warehouse receipts
//! answered from its verified index (see [`super::follow`]), with the terms sealed to it
//! opened by its own key, and its steps signed and queued in the outbox. The views,
//! checks and sealing are the full node's ([`crate::finance`]), over [`LightBooks`].
//!
//! Reads (list, show) use the index alone, so they answer with no peer, as of the last
//! block indexed. A step reads the asset and its steps from the index too (the terms the
//! next proof needs are in the boxes sealed to the org along them); a record the index
//! does not hold (the invoiced quantity of a handoff line, the seal key of an org the
//! org never dealt with in finance) is read with a proof from a peer at the newest
//! certified header, and with no peer the step is refused (`PROOF_UNAVAILABLE`), never
//! built on a guess.
//!
//! Evidence, the portfolio and the export are the full node's views
//! ([`crate::finance_view`]) over the same books: the assets, their steps and memos from
//! the index, and what the chain says now of the handoffs, documents, goods, orgs and
//! products behind them read with proofs at the newest certified header when a peer is
//! connected, else from the index (which keeps the goods and handoffs behind each of the
//! org's assets) as of its last block, each answer saying which. A record the index does
//! not hold with no peer is an error naming it, never absent. Counterparty delivery
//! counts are a full node's own index of every org's handoffs (not in the state root, so
//! not provable): a light node counts the handoffs the counterparty sent that its index
//! holds (to its org, and those behind its assets), and says so (`deliveries_scope`).

use super::LightSession;
use super::cli::{peer_and_tip, signer_of};
use super::index::{IndexState, followed};
use super::node::ProvenState;
use crate::api::R;
use crate::error::CliError;
use crate::finance::{Asset, Books, Sent, Step};
use crate::finance_view::{Memo, Refusal, View, anchor_of, compute_memo};
use crate::identity::Identity;
use handoff_api::IndexFreshness;
use handoff_core::crypto::Keypair;
use handoff_core::state::{HandoffStatus, ReadError, Record, StateKey, StateRead};
use handoff_core::tx::{Payload, SignedTx};
use handoff_core::types::{Hash32, PublicKey};
use handoff_store::Deliveries;
use std::cell::OnceCell;

/// A light node's finance books: its index first, then proven reads from a peer.
pub struct LightBooks<'a> {
    l: &'a LightSession,
    me: Option<&'a str>,
    state: Layered<'a>,
    now: Layered<'a>,
    /// The index's freshness when a view first asked: one answer says one height.
    fresh: OnceCell<IndexFreshness>,
}

impl<'a> LightBooks<'a> {
    /// The books of `l` for the identity `me` (None: the folder's first).
    pub fn new(l: &'a LightSession, me: Option<&'a str>) -> LightBooks<'a> {
        LightBooks {
            l,
            me,
            state: Layered {
                l,
                proven: OnceCell::new(),
                index_first: true,
            },
            now: Layered {
                l,
                proven: OnceCell::new(),
                index_first: false,
            },
            fresh: OnceCell::new(),
        }
    }

    /// The index's freshness as of the first view read of this answer.
    fn fresh(&self) -> R<IndexFreshness> {
        if let Some(f) = self.fresh.get() {
            return Ok(f.clone());
        }
        let f = super::index::freshness(self.l)?;
        Ok(self.fresh.get_or_init(|| f).clone())
    }

    /// The identity acting.
    pub fn signer(&self) -> R<Identity> {
        signer_of(self.l.data(), self.me)
    }
}

/// The index as state, and what it does not hold read with a proof at the newest
/// certified header (once asked, the same peer and header for the rest of the answer).
/// `index_first` false (the views' "now"): every record read with a proof when a peer
/// is connected, the index only with none.
struct Layered<'a> {
    l: &'a LightSession,
    proven: OnceCell<Result<(ProvenState<'a>, u64), String>>,
    index_first: bool,
}

impl<'a> Layered<'a> {
    fn proven(&self) -> &Result<(ProvenState<'a>, u64), String> {
        self.proven.get_or_init(|| {
            let r = self.l.running();
            peer_and_tip(r)
                .map(|(peer, header)| {
                    let h = header.height;
                    (ProvenState::new(r, peer, header), h)
                })
                .map_err(|e| e.parts().1)
        })
    }
}

impl StateRead for Layered<'_> {
    fn read(&self, key: &StateKey) -> Result<Option<Record>, ReadError> {
        let store = self.l.store();
        if self.index_first {
            let held = store.has_indexed(key).map_err(|e| ReadError::Store {
                key: key.describe(),
                detail: e.to_string(),
            })?;
            if held {
                return IndexState(store).read(key);
            }
        }
        match self.proven() {
            Ok((p, _)) => p.read(key),
            Err(why) if !self.index_first => match IndexState(store).read(key) {
                Err(ReadError::Unavailable { key, .. }) => Err(ReadError::Unavailable {
                    key,
                    detail: format!(
                        "no peer is connected ({why}) and this light node's index does not \
                         hold it; it is read with a proof once a peer is"
                    ),
                }),
                other => other,
            },
            Err(why) => Err(ReadError::Unavailable {
                key: key.describe(),
                detail: format!(
                    "this light node's index does not hold it and it cannot be read with a \
                     proof now ({why})"
                ),
            }),
        }
    }
}

impl Books for LightBooks<'_> {
    fn state(&self) -> &dyn StateRead {
        &self.state
    }

    /// From the index alone: its steps are the index's, and a record newer than them
    /// (read from a peer) would not match the terms they open. An asset the index does
    /// not hold is not the org's, or not indexed yet.
    fn asset(&self, id: &Hash32) -> R<Option<Record>> {
        let store = self.l.store();
        let key = StateKey::Asset(*id);
        if store.has_indexed(&key)? {
            return Ok(IndexState(store).read(&key)?);
        }
        Err(CliError::input(
            "UNKNOWN_ASSET",
            format!(
                "no finance asset {} of this org in the light node's index (as of block {})",
                id.short(),
                store.freshness()?.height
            ),
        ))
    }

    fn steps(&self, asset: &Hash32) -> R<Vec<Step>> {
        self.l
            .store()
            .finance_steps(asset)?
            .into_iter()
            .map(|s| {
                let tx = SignedTx::decode(&s.tx).map_err(|_| {
                    CliError::Other(anyhow::anyhow!(
                        "finance step {}/{} of {} in the light index does not decode",
                        s.height,
                        s.index,
                        asset.short()
                    ))
                })?;
                Ok((s.height, s.time_ms, tx))
            })
            .collect()
    }

    fn assets(&self, org: &PublicKey) -> R<Vec<Hash32>> {
        let store = self.l.store();
        // Before the org is found on the chain there is no index to answer from.
        followed(store)?;
        Ok(store
            .indexed_assets()?
            .into_iter()
            .filter_map(|r| match r {
                Record::Receivable(r) => [Some(r.seller), Some(r.buyer), Some(r.holder), r.lender]
                    .contains(&Some(*org))
                    .then_some(r.id),
                Record::Receipt(r) => [Some(r.warehouse), Some(r.owner), r.lender]
                    .contains(&Some(*org))
                    .then_some(r.id),
                _ => None,
            })
            .collect())
    }

    fn org(&self, name_or_key: &str) -> R<PublicKey> {
        let hex = crate::api::light_org_key(self.l, name_or_key)?;
        PublicKey::from_hex(&hex)
            .ok_or_else(|| CliError::input("BAD_KEY", "an org key is 64 hex digits"))
    }

    fn send(&self, _signer: &Identity, payloads: Vec<Payload>) -> R<Sent> {
        // Signed by the same identity as `_signer` (both are `self.me`'s).
        let (_, queued) = crate::api::light_queued(self.l.queue(self.me, payloads)?)?;
        let last = queued
            .last()
            .and_then(|q| Hash32::from_hex(&q.tx))
            .ok_or_else(|| {
                CliError::Other(anyhow::anyhow!(
                    "the light node queued no transaction for the finance step"
                ))
            })?;
        Ok(Sent {
            tx: last,
            height: None,
            queued: Some(queued),
        })
    }
}

impl View for LightBooks<'_> {
    fn now(&self) -> &dyn StateRead {
        &self.now
    }

    fn height(&self) -> R<u64> {
        Ok(self.fresh()?.height)
    }

    /// From the header when the store still holds it, else from a transaction of that
    /// block in the org's activity; otherwise unknown (the block is named by height).
    fn block_time(&self, height: u64) -> R<Option<i64>> {
        let store = self.l.store();
        if let Some((h, _)) = store.header(height)? {
            return Ok(Some(h.time_ms));
        }
        Ok(store.activity_time(height)?)
    }

    fn memos(&self, me: &Keypair, assets: &[(Hash32, Asset)]) -> R<Vec<Memo>> {
        assets
            .iter()
            .map(|(id, a)| Ok(compute_memo(me, id, a, &self.steps(id)?)))
            .collect()
    }

    fn refusals(&self, receipt: &Hash32) -> R<Vec<Refusal>> {
        Ok(self
            .l
            .store()
            .refusals(receipt)?
            .into_iter()
            .map(|r| Refusal {
                time_ms: r.time_ms,
                signer: r.signer,
                step: r.step,
                item: r.item,
                message: r.message,
            })
            .collect())
    }

    /// The handoffs `org` sent that the index holds (to this node's org, and those
    /// behind its assets); a full node's count of all of them is its own index, not
    /// provable to a light node.
    fn deliveries(&self, org: &PublicKey) -> R<(Deliveries, Option<String>)> {
        let mut d = Deliveries::default();
        for h in self.l.store().indexed_handoffs()? {
            if h.from != *org {
                continue;
            }
            let lapsed = match (h.closed_height, h.expires_at_height) {
                (Some(c), Some(x)) => c > x,
                _ => false,
            };
            match h.status {
                HandoffStatus::Open => {}
                HandoffStatus::Accepted => {
                    d.accepted += 1;
                    if !h.missing.is_empty() || !h.damaged.is_empty() {
                        d.exceptions += 1;
                    }
                }
                HandoffStatus::Rejected | HandoffStatus::Cancelled if lapsed => d.lapsed += 1,
                HandoffStatus::Rejected => d.rejected += 1,
                HandoffStatus::Cancelled => d.cancelled += 1,
            }
        }
        Ok((d, Some("indexed".to_string())))
    }

    /// The header the index is as of (a light node's files are read at that block).
    fn anchor(&self) -> R<serde_json::Value> {
        let store = self.l.store();
        let f = self.fresh()?;
        let (head, _) = store.header(f.height)?.ok_or_else(|| {
            CliError::Other(anyhow::anyhow!(
                "the header of block {} the index is as of is not in the light store",
                f.height
            ))
        })?;
        Ok(anchor_of(&store.chain_id()?, &head))
    }

    fn light(&self) -> R<(Option<IndexFreshness>, Option<u64>)> {
        let proven = self.now.proven().as_ref().ok().map(|(_, h)| *h);
        Ok((Some(self.fresh()?), proven))
    }
}
