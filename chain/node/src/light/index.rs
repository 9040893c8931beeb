//! Answers of a light node from its own verified index (see [`super::follow`]): inbox,
//! stock, activity, handoffs and products of its org, the same typed answers a full node
//! gives, each saying how fresh it is. They read the disk only, so they answer with no
//! peer reachable.

use super::LightSession;
use crate::api::{R, typed};
use crate::error::CliError;
use crate::goods::Depth;
use crate::stock::StockSource;
use crate::view;
use handoff_api::{
    ActivityRequest, ActivityResponse, ActivityRow, ApiError, HandoffView, InboxResponse,
    IndexFreshness, OrgRef, ProductView, StockRequest, StockResponse,
};
use handoff_core::state::{HandoffRecord, HandoffStatus, ReadError, Record, StateKey, StateRead};
use handoff_core::types::PublicKey;
use handoff_store::light::LightStore;
use handoff_store::stock::{StockHolder, StockRow};

/// The index as state: a record it holds (or proved absent); any other key is an error,
/// never "absent" — the index knows only what concerns its org.
pub struct IndexState<'a>(pub &'a LightStore);

impl StateRead for IndexState<'_> {
    fn read(&self, key: &StateKey) -> Result<Option<Record>, ReadError> {
        let fault = |detail: String| ReadError::Store {
            key: key.describe(),
            detail,
        };
        match self.0.indexed(key).map_err(|e| fault(e.to_string()))? {
            Some(i) => match i.value {
                None => Ok(None),
                Some(bytes) => {
                    Record::decode(&bytes)
                        .map(Some)
                        .ok_or_else(|| ReadError::Undecodable {
                            key: key.describe(),
                        })
                }
            },
            None => Err(ReadError::Unavailable {
                key: key.describe(),
                detail: "this light node's index holds only what concerns its org".into(),
            }),
        }
    }
}

/// A light session's index as a stock source.
struct LightStock<'a> {
    store: &'a LightStore,
    state: IndexState<'a>,
}

impl StockSource for LightStock<'_> {
    fn as_of(&self) -> R<(u64, i64)> {
        let f = self.store.freshness()?;
        let time = match self.store.header(f.height)? {
            Some((h, _)) => h.time_ms,
            None => self.store.genesis()?.time_ms,
        };
        Ok((f.height, time))
    }
    fn rows(&self, holder: &StockHolder) -> R<Vec<(StockRow, u64)>> {
        Ok(self.store.stock_rows(holder)?)
    }
    fn state(&self) -> &dyn StateRead {
        &self.state
    }
    fn open(&self, me: &PublicKey, outgoing: bool) -> R<Vec<HandoffView>> {
        open_handoffs(self.store, me, outgoing, Depth::Summary)
    }
}

/// A handoff as the full node shows it, with its goods named and counted (the index
/// holds the records of what it carries: they concern the org).
fn handoff_view(store: &LightStore, h: &HandoffRecord, depth: Depth) -> R<HandoffView> {
    let state = IndexState(store);
    let mut v: HandoffView = typed(view::handoff_json(&state, h)?)?;
    let goods = crate::goods::of_entries(&state, &h.entries, depth)?;
    v.goods = goods.lines;
    v.goods_cut = goods.cut;
    Ok(v)
}

/// The org's open handoffs in the index: to it (`outgoing` false) or from it, oldest
/// first.
fn open_handoffs(
    store: &LightStore,
    me: &PublicKey,
    outgoing: bool,
    depth: Depth,
) -> R<Vec<HandoffView>> {
    let mut hs: Vec<HandoffRecord> = store
        .indexed_handoffs()?
        .into_iter()
        .filter(|h| h.status == HandoffStatus::Open)
        .filter(|h| if outgoing { h.from == *me } else { h.to == *me })
        .collect();
    hs.sort_by_key(|h| (h.proposed_height, h.id));
    hs.iter().map(|h| handoff_view(store, h, depth)).collect()
}

/// The org the index follows; an error before the node has found it on the chain.
pub(super) fn followed(store: &LightStore) -> R<PublicKey> {
    store.followed()?.ok_or_else(|| {
        ApiError::unavailable(
            "NOT_INDEXED_YET",
            "this light node has not found its org on the chain yet (no peer has been \
             reachable since it was set up, or the org is not admitted); try again once it \
             has synced",
        )
        .into()
    })
}

/// How fresh the index is.
pub fn freshness(l: &LightSession) -> R<IndexFreshness> {
    let store = l.store();
    let f = store.freshness()?;
    let block_ms = match store.header(f.height)? {
        Some((h, _)) => h.time_ms,
        None => store.genesis()?.time_ms,
    };
    Ok(IndexFreshness {
        height: f.height,
        block_time: view::rfc3339(block_ms),
        checked: (f.at_ms > 0).then(|| view::rfc3339(f.at_ms)),
        tip: store.tip()?,
        peers: l.peer_count(),
    })
}

/// The inbox: open offers to and from the org.
pub fn inbox(l: &LightSession) -> R<InboxResponse> {
    let store = l.store();
    let me = followed(store)?;
    Ok(InboxResponse {
        org: me.to_hex(),
        incoming: open_handoffs(store, &me, false, Depth::Full)?,
        outgoing: open_handoffs(store, &me, true, Depth::Full)?,
        light: Some(freshness(l)?),
    })
}

/// Stock on hand, from the index's stock rows (the same rows and rules as a full node).
pub fn stock(l: &LightSession, r: &StockRequest) -> R<StockResponse> {
    let mut s = stock_of(l.store(), r)?;
    s.light = Some(freshness(l)?);
    Ok(s)
}

/// [`stock`] from a light store alone (no freshness: no session to ask for peers).
pub fn stock_of(store: &LightStore, r: &StockRequest) -> R<StockResponse> {
    let me = followed(store)?;
    let src = LightStock {
        store,
        state: IndexState(store),
    };
    crate::stock::stock(&src, &me, r)
}

/// The org's transactions, newest first.
pub fn activity(l: &LightSession, r: &ActivityRequest) -> R<ActivityResponse> {
    let store = l.store();
    let me = followed(store)?;
    let fresh = freshness(l)?;
    let now = match store.header(fresh.height)? {
        Some((h, _)) => h.time_ms,
        None => store.genesis()?.time_ms,
    };
    let since = r
        .since
        .as_deref()
        .map(|s| crate::stock::parse_since(s, now))
        .transpose()?;
    let mut events = Vec::new();
    for a in store.activity(r.limit.min(crate::stock::MAX_ACTIVITY))? {
        if since.is_some_and(|s| a.time_ms < s) {
            break;
        }
        events.push(ActivityRow {
            tx: a.tx.to_hex(),
            height: a.height,
            time: view::rfc3339(a.time_ms),
            event_time: view::rfc3339(a.event_time_ms),
            kind: a.kind,
            rejected: a.rejected,
        });
    }
    Ok(ActivityResponse {
        org: OrgRef {
            key: me.to_hex(),
            name: view::org_name(&IndexState(store), &me)?,
        },
        since: since.map(view::rfc3339),
        events,
        light: Some(fresh),
    })
}

/// A handoff of the org by id or unique id prefix (hex).
pub fn handoff(l: &LightSession, id: &str) -> R<HandoffView> {
    let store = l.store();
    let want = id.trim().to_lowercase();
    let found: Vec<HandoffRecord> = store
        .indexed_handoffs()?
        .into_iter()
        .filter(|h| !want.is_empty() && h.id.to_hex().starts_with(&want))
        .collect();
    match found.as_slice() {
        [h] => handoff_view(store, h, Depth::Full),
        [] => Err(CliError::input(
            "UNKNOWN_HANDOFF",
            format!("no handoff {want} of this org in the light node's index"),
        )),
        _ => Err(CliError::input(
            "AMBIGUOUS_HANDOFF",
            format!("{want} names several handoffs; give more of the id"),
        )),
    }
}

/// The products the index holds (the org's own and those of goods it handled), name
/// order.
pub fn products(l: &LightSession) -> R<Vec<ProductView>> {
    let store = l.store();
    let state = IndexState(store);
    let mut out = Vec::new();
    for p in store.indexed_products()? {
        out.push(typed(view::product_json(&state, &p)?)?);
    }
    out.sort_by(|a: &ProductView, b| (&a.name, &a.gtin).cmp(&(&b.name, &b.gtin)));
    Ok(out)
}
