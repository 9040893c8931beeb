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
//! built on a guess. The lender's analytics and the evidence pack read other orgs'
//! deliveries, documents and goods, which a light node does not index: those answer
//! `LIGHT_NODE`.

use super::LightSession;
use super::cli::{peer_and_tip, signer_of};
use super::index::{IndexState, followed};
use super::node::ProvenState;
use crate::api::R;
use crate::error::CliError;
use crate::finance::{Books, Sent, Step};
use crate::identity::Identity;
use handoff_core::state::{ReadError, Record, StateKey, StateRead};
use handoff_core::tx::{Payload, SignedTx};
use handoff_core::types::{Hash32, PublicKey};
use std::cell::OnceCell;

/// A light node's finance books: its index first, then proven reads from a peer.
pub struct LightBooks<'a> {
    l: &'a LightSession,
    me: Option<&'a str>,
    state: Layered<'a>,
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
            },
        }
    }

    /// The identity acting.
    pub fn signer(&self) -> R<Identity> {
        signer_of(self.l.data(), self.me)
    }
}

/// The index as state, and what it does not hold read with a proof at the newest
/// certified header (once asked, the same peer and header for the rest of the answer).
struct Layered<'a> {
    l: &'a LightSession,
    proven: OnceCell<Result<ProvenState<'a>, String>>,
}

impl StateRead for Layered<'_> {
    fn read(&self, key: &StateKey) -> Result<Option<Record>, ReadError> {
        let store = self.l.store();
        let held = store.has_indexed(key).map_err(|e| ReadError::Store {
            key: key.describe(),
            detail: e.to_string(),
        })?;
        if held {
            return IndexState(store).read(key);
        }
        let proven = self.proven.get_or_init(|| {
            let r = self.l.running();
            peer_and_tip(r)
                .map(|(peer, header)| ProvenState::new(r, peer, header))
                .map_err(|e| e.parts().1)
        });
        match proven {
            Ok(p) => p.read(key),
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
