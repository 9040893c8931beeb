//! An item's history on a light node, verified rather than trusted (`item_history`).
//!
//! Every item, container and lot record holds the head of its event chain
//! ([`HistoryHead`]: the number of events and `sha256(previous head ‖ encoded event)`),
//! and the record is in the state root. So a light node asks a full node for a history
//! ([`Request::History`]) at the height of its newest certified header, takes the proof of
//! the record and the encoded events a page at a time, and accepts them only if the proof
//! leads to that header's state root and the events, chained from zero, give exactly the
//! length and head the record holds. One event too few, an event changed, events of
//! another item: the chain does not match, the answer is refused (`PROOF_INVALID`) and the
//! peer reported, and nothing is shown as history.
//!
//! The journey is then the full node's own function ([`query::journey`]) over proven
//! reads: the item's events, those of the containers it travelled in (while it was in
//! them) and those of the inputs it was made from (up to the transform), each history
//! proven the same way against the same header. Org names beside the events come from the
//! light index and the trusted genesis, else the org's key is shown (as a full node shows
//! an org it holds no record of); the names are labels, the events are what is proven.
//! A history longer than a light node fetches for one answer ([`MAX_LIGHT_HISTORY_EVENTS`],
//! [`MAX_LIGHT_HISTORY_BYTES`] over the whole journey) is refused `HISTORY_TOO_LONG`: a
//! full node answers it.

use super::LightSession;
use super::cli::peer_and_tip;
use super::node::{ProvenState, Running};
use super::{LightStore, verify_record};
use crate::api::{R, typed};
use crate::error::CliError;
use crate::view;
use handoff_api::{ApiError, EventView, ItemHistoryResponse, VerifiedAt};
use handoff_core::block::{BlockHeader, Genesis};
use handoff_core::event::Event;
use handoff_core::query::{self, HistoryRead};
use handoff_core::state::{
    HistoryHead, OrgRecord, ReadError, ReadResult, Record, StateKey, StateRead,
};
use handoff_net::{HistoryPage, Misbehaviour, PeerId, Request, Response};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Events a light node fetches for one history answer, over every history the journey
/// reads (the item's, its containers', its inputs'): the bound on a consumer's evidence.
pub const MAX_LIGHT_HISTORY_EVENTS: usize = handoff_core::limits::MAX_EVIDENCE_EVENTS;
/// Encoded event bytes a light node fetches for one history answer (a peer sending
/// oversized pages is cut off here, before the chain of hashes is complete).
pub const MAX_LIGHT_HISTORY_BYTES: usize = 64 * 1024 * 1024;

/// The stable code of a history too long for a light node to fetch.
pub const HISTORY_TOO_LONG: &str = "HISTORY_TOO_LONG";

/// Why a peer's history was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The record's proof is missing, malformed, forged or for another key or height.
    #[error("the record's proof does not verify: {0}")]
    Record(String),
    /// Under the key is a record that keeps no history.
    #[error("the record proven under this key is not an item, container or lot")]
    NotAHistory,
    /// Two pages proved different records at one height.
    #[error("the pages prove different records")]
    Changed,
    /// The page does not start where the last one ended.
    #[error("the page starts at event {got}; event {want} was asked")]
    From {
        /// Where the page starts.
        got: u32,
        /// Where it should.
        want: u32,
    },
    /// More events than the record commits to.
    #[error("{served} events served where the record commits to {len}")]
    TooMany {
        /// Events served so far, with this page.
        served: u64,
        /// The record's history length.
        len: u32,
    },
    /// A page without events while the record commits to more.
    #[error("no events served from event {from}; the record commits to {len}")]
    Short {
        /// Where the empty page started.
        from: u32,
        /// The record's history length.
        len: u32,
    },
    /// An event that is not an event.
    #[error("event {0} does not decode")]
    Undecodable(u32),
    /// The events do not chain to the record's head: one changed, left out, added, or
    /// another item's.
    #[error("the {len} events served do not hash to the history head the record holds")]
    Head {
        /// Events chained.
        len: u32,
    },
}

/// Checks the pages of one history as they arrive, against one certified header.
pub struct HistoryCheck {
    header: BlockHeader,
    key: Vec<u8>,
    /// The proven record, once the first page came (`Some(None)`: proven absent).
    record: Option<Option<Record>>,
    /// What the record commits to.
    head: HistoryHead,
    /// What the events served so far chain to.
    chained: HistoryHead,
    events: Vec<Event>,
}

impl HistoryCheck {
    /// A check of the history of `canonical` against `header`.
    pub fn new(header: &BlockHeader, canonical: &str) -> HistoryCheck {
        HistoryCheck {
            header: header.clone(),
            key: StateKey::Item(canonical.to_string()).to_bytes(),
            record: None,
            head: HistoryHead::default(),
            chained: HistoryHead::default(),
            events: Vec::new(),
        }
    }

    /// The sequence number of the next event to ask for.
    pub fn next_from(&self) -> u32 {
        self.chained.len
    }

    /// How many events the proven record commits to (known after the first page).
    pub fn expected_len(&self) -> Option<u32> {
        self.record.as_ref().map(|_| self.head.len)
    }

    /// Takes the next page: `Ok(true)` once the history is complete and chains to the
    /// record's head, `Ok(false)` while more is to be asked (from [`Self::next_from`]).
    pub fn take(&mut self, page: &HistoryPage) -> Result<bool, HistoryError> {
        let rec = verify_record(&self.header, &self.key, &page.record)
            .map_err(|e| HistoryError::Record(format!("{e:#}")))?;
        let head = match &rec {
            None => HistoryHead::default(),
            Some(Record::Item(it)) => it.history,
            Some(Record::Lot(l)) => l.history,
            Some(_) => return Err(HistoryError::NotAHistory),
        };
        match &self.record {
            None => {
                self.record = Some(rec);
                self.head = head;
            }
            Some(r) if *r == rec => {}
            Some(_) => return Err(HistoryError::Changed),
        }
        let want = self.chained.len;
        if page.from != want {
            return Err(HistoryError::From {
                got: page.from,
                want,
            });
        }
        let left = self.head.len - want;
        if page.events.len() as u64 > u64::from(left) {
            return Err(HistoryError::TooMany {
                served: u64::from(want) + page.events.len() as u64,
                len: self.head.len,
            });
        }
        if page.events.is_empty() && left > 0 {
            return Err(HistoryError::Short {
                from: want,
                len: self.head.len,
            });
        }
        for bytes in &page.events {
            let e = Event::decode(bytes).ok_or(HistoryError::Undecodable(self.chained.len))?;
            self.chained.append(bytes);
            self.events.push(e);
        }
        if self.chained.len < self.head.len {
            return Ok(false);
        }
        if self.chained != self.head {
            return Err(HistoryError::Head {
                len: self.chained.len,
            });
        }
        Ok(true)
    }

    /// The proven record (`None`: proven absent) and its events, oldest first. Only
    /// after [`Self::take`] answered `Ok(true)`.
    fn finish(self) -> (Option<Record>, Vec<Event>) {
        (self.record.flatten(), self.events)
    }
}

/// Histories read from a peer, each checked by [`HistoryCheck`] against one certified
/// header; the record each proves is handed to the [`ProvenState`] of the same header, so
/// the journey's reads of it (a transform's inputs) and the item's view cost nothing more.
struct ProvenHistory<'a> {
    running: &'a Running,
    peer: Cell<PeerId>,
    header: BlockHeader,
    state: &'a ProvenState<'a>,
    cache: RefCell<HashMap<String, Vec<Event>>>,
    /// Events and bytes fetched so far for this answer.
    fetched: Cell<(usize, usize)>,
    /// Why the answer was cut off for its length, if it was.
    too_long: RefCell<Option<String>>,
}

impl ProvenHistory<'_> {
    async fn fetch(&self, canonical: &str) -> ReadResult<(Option<Record>, Vec<Event>)> {
        let node = self.running.node();
        let what = format!("the history of {canonical}");
        let unavailable = |detail: String| ReadError::Unavailable {
            key: what.clone(),
            detail,
        };
        let mut check = HistoryCheck::new(&self.header, canonical);
        loop {
            let request = Request::History {
                height: self.header.height,
                key: canonical.to_string(),
                from: check.next_from(),
            };
            let (peer, answer) = node
                .ask(self.peer.get(), request)
                .await
                .map_err(|e| unavailable(format!("the peer did not answer: {e}")))?;
            // Later pages from the peer that answered (a busy one was passed over).
            self.peer.set(peer);
            let page = match answer {
                Response::History(p) => p,
                Response::Error { code, message } => {
                    return Err(unavailable(format!(
                        "the peer has no history ({code:?}: {message})"
                    )));
                }
                _ => {
                    let _ = node.report_peer(peer, Misbehaviour::BadResponse).await;
                    return Err(ReadError::Proof {
                        key: what,
                        detail: "the peer answered without the history asked".into(),
                    });
                }
            };
            let done = match check.take(&page) {
                Ok(done) => done,
                Err(e) => {
                    let _ = node.report_peer(peer, Misbehaviour::BadResponse).await;
                    return Err(ReadError::Proof {
                        key: what,
                        detail: format!("{e} (block {})", self.header.height),
                    });
                }
            };
            let (events, bytes) = self.fetched.get();
            let bytes = bytes + page.events.iter().map(Vec::len).sum::<usize>();
            let events = events + page.events.len();
            self.fetched.set((events, bytes));
            let left = check
                .expected_len()
                .map_or(0, |len| (len - check.next_from()) as usize);
            if events + left > MAX_LIGHT_HISTORY_EVENTS || bytes > MAX_LIGHT_HISTORY_BYTES {
                let why = format!(
                    "the journey of this item reads more than a light node fetches for one \
                     answer ({MAX_LIGHT_HISTORY_EVENTS} events, {} MiB; {canonical} alone \
                     has {} events): ask a full node for it",
                    MAX_LIGHT_HISTORY_BYTES / (1024 * 1024),
                    check.expected_len().unwrap_or(0),
                );
                *self.too_long.borrow_mut() = Some(why.clone());
                return Err(unavailable(why));
            }
            if done {
                return Ok(check.finish());
            }
        }
    }
}

impl HistoryRead for ProvenHistory<'_> {
    fn events(&self, canonical: &str) -> ReadResult<Vec<Event>> {
        if let Some(e) = self.cache.borrow().get(canonical) {
            return Ok(e.clone());
        }
        let (rec, events) = self.running.block_on(self.fetch(canonical))?;
        self.state.seed(&StateKey::Item(canonical.to_string()), rec);
        self.cache
            .borrow_mut()
            .insert(canonical.to_string(), events.clone());
        Ok(events)
    }
}

/// Org names for the events' view, read from disk only: the light index's org records
/// (proven when indexed), then the trusted genesis; an org neither holds reads as absent,
/// so the view shows its key, as a full node shows an org it has no record of. A store
/// that fails is an error, never a missing name. Nothing but org records is read here.
struct KnownNames<'a> {
    store: &'a LightStore,
    genesis: Genesis,
}

impl StateRead for KnownNames<'_> {
    fn read(&self, key: &StateKey) -> Result<Option<Record>, ReadError> {
        let StateKey::Org(org) = key else {
            return Err(ReadError::Unavailable {
                key: key.describe(),
                detail: "the view of an event reads org names only".into(),
            });
        };
        let indexed = self.store.indexed(key).map_err(|e| ReadError::Store {
            key: key.describe(),
            detail: e.to_string(),
        })?;
        if let Some(bytes) = indexed.and_then(|i| i.value) {
            return Record::decode(&bytes)
                .map(Some)
                .ok_or_else(|| ReadError::Undecodable {
                    key: key.describe(),
                });
        }
        Ok(self.genesis.orgs.iter().find(|o| o.org == *org).map(|o| {
            Record::Org(OrgRecord {
                key: o.org,
                name: o.name.clone(),
                prefixes: o.prefixes.clone(),
                glns: o.glns.clone(),
                roles: o.roles.clone(),
                suspended: false,
                admitted_at: 0,
            })
        }))
    }
}

/// `item_history` on a light node: the journey of the item, container or lot `scan`
/// names, every history in it verified against the newest certified header (see the
/// module's doc). No peer: `NO_PEER`; a proof or history that does not verify:
/// `PROOF_INVALID`; no answer: `PROOF_UNAVAILABLE`; too long: `HISTORY_TOO_LONG`; never
/// commissioned (proven absent): `UNKNOWN_ITEM`. Never an empty or partial history.
pub fn item_history(l: &LightSession, scan: &str) -> R<ItemHistoryResponse> {
    let key = crate::api::scan(scan)?.key;
    let canonical = key.canonical();
    let r = l.running();
    let (peer, header) = peer_and_tip(r)?;
    let state = ProvenState::new(r, peer, header.clone());
    let hist = ProvenHistory {
        running: r,
        peer: Cell::new(peer),
        header: header.clone(),
        state: &state,
        cache: RefCell::new(HashMap::new()),
        fetched: Cell::new((0, 0)),
        too_long: RefCell::new(None),
    };
    let answer = (|| -> R<ItemHistoryResponse> {
        // The item's own history first: it proves the item's record as well.
        hist.events(&canonical)?;
        let item = view::thing_json(&state, &key)?.ok_or_else(|| {
            CliError::input(
                "UNKNOWN_ITEM",
                format!(
                    "{canonical} was never commissioned (proven absent at block {})",
                    header.height
                ),
            )
        })?;
        let journey = query::journey(&state, &hist, &key)?;
        let names = KnownNames {
            store: l.store(),
            genesis: l.store().genesis()?,
        };
        let events = journey
            .iter()
            .map(|e| view::event_json(&names, e).map_err(CliError::from))
            .map(|v| v.and_then(typed))
            .collect::<R<Vec<EventView>>>()?;
        Ok(ItemHistoryResponse {
            item: typed(item)?,
            events,
            verified: Some(VerifiedAt {
                height: header.height,
                state_root: header.state_root.to_hex(),
                header_hash: header.hash().to_hex(),
            }),
        })
    })();
    answer.map_err(|e| match hist.too_long.borrow_mut().take() {
        Some(why) => ApiError::unavailable(HISTORY_TOO_LONG, why).into(),
        None => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::NodeApi;
    use crate::folder::{NewFolder, init};
    use crate::ledger::Ledger;
    use handoff_api::{
        AcceptRequest, Caller, CommissionRequest, OrgAddRequest, PackRequest, ProductDefineRequest,
        ProposeRequest, Request as ApiRequest, Response as ApiResponse, TransferKind,
    };

    const BAG: &str = "(01)00614141000012(21)BAG1";
    const OTHER: &str = "(01)00614141000012(21)BAG2";
    const PALLET: &str = "(00)306141410000000013";

    fn canonical(scan: &str) -> String {
        crate::api::scan(scan).expect("scan").key.canonical()
    }

    /// A chain where Acme Farms commissions two bags, packs the first on a pallet and
    /// offers the pallet to Corner Shop, which accepts it: the bag's history has a
    /// commissioning and a packing, the pallet's the rest.
    fn chain() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().expect("tempdir");
        init(
            dir.path(),
            NewFolder {
                prefixes: vec!["0614141".into()],
                ..NewFolder::named("Acme Farms")
            },
        )
        .expect("init");
        let ledger = Ledger::open(dir.path()).expect("open");
        let api = NodeApi::ledger(&ledger);
        let run = |who: Option<&str>, r: ApiRequest| -> ApiResponse {
            api.run(&Caller::local(who), r).expect("request")
        };
        run(
            None,
            ApiRequest::OrgAdd(OrgAddRequest {
                name: "Corner Shop".into(),
                prefixes: vec![],
                roles: vec!["retailer".into()],
                glns: vec![],
            }),
        );
        run(
            None,
            ApiRequest::ProductDefine(ProductDefineRequest {
                gtin: "00614141000012".into(),
                name: "Coffee".into(),
                description: String::new(),
                attributes: vec![],
            }),
        );
        run(
            None,
            ApiRequest::Commission(CommissionRequest {
                scans: vec![BAG.into(), OTHER.into()],
                lot: None,
                qty: None,
                at: None,
                expiry: None,
                claim_codes: false,
                pin: None,
            }),
        );
        run(
            None,
            ApiRequest::Pack(PackRequest {
                into: PALLET.into(),
                scans: vec![BAG.into()],
            }),
        );
        let ApiResponse::Propose(offer) = run(
            None,
            ApiRequest::Propose(ProposeRequest {
                to: "Corner Shop".into(),
                scans: vec![PALLET.into()],
                transfer: TransferKind::Custody,
                qty: None,
                ship_from: None,
                ship_to: None,
                docs: vec![],
                expires_in: None,
            }),
        ) else {
            panic!("not a proposal");
        };
        run(
            Some("Corner Shop"),
            ApiRequest::Accept(AcceptRequest {
                id: offer.handoff,
                missing: vec![],
                damaged: vec![],
            }),
        );
        (dir, ledger)
    }

    fn tip(ledger: &Ledger) -> BlockHeader {
        ledger.store.last_header().expect("tip")
    }

    /// What a full node answers for a page.
    fn page(ledger: &Ledger, height: u64, key: &str, from: u32) -> HistoryPage {
        match crate::service::history_page(&ledger.store, height, key, from) {
            Response::History(p) => p,
            other => panic!("no page: {other:?}"),
        }
    }

    /// The verdict on `pages`, served in turn; a peer that has nothing more to send then
    /// answers an empty page from where they ended.
    fn check_all(
        header: &BlockHeader,
        key: &str,
        pages: &[HistoryPage],
    ) -> Result<Vec<Event>, HistoryError> {
        let mut c = HistoryCheck::new(header, key);
        for p in pages {
            if c.take(p)? {
                return Ok(c.finish().1);
            }
        }
        let mut nothing = pages.last().expect("a page").clone();
        nothing.from = c.next_from();
        nothing.events.clear();
        c.take(&nothing)?;
        Ok(c.finish().1)
    }

    #[test]
    fn a_full_nodes_history_verifies_and_equals_its_store() {
        let (_dir, ledger) = chain();
        let header = tip(&ledger);
        for scan in [BAG, OTHER, PALLET] {
            let key = canonical(scan);
            let p = page(&ledger, header.height, &key, 0);
            let events = check_all(&header, &key, &[p]).expect("verifies");
            assert_eq!(events, ledger.store.history(&key).expect("store"), "{key}");
            assert!(!events.is_empty(), "{key}");
        }
        // At an earlier height, the history as it was then: the pallet before its offer.
        let pallet = canonical(PALLET);
        let earlier = ledger
            .store
            .block(header.height - 2)
            .expect("read")
            .expect("block")
            .header;
        let then = check_all(
            &earlier,
            &pallet,
            &[page(&ledger, earlier.height, &pallet, 0)],
        )
        .expect("verifies");
        let now = ledger.store.history(&pallet).expect("store");
        assert!(
            then.len() < now.len(),
            "{} then, {} now",
            then.len(),
            now.len()
        );
        assert_eq!(then[..], now[..then.len()]);
        // A key never commissioned: proven absent, no events.
        let none = "/01/00614141000012/21/NEVER";
        let mut c = HistoryCheck::new(&header, none);
        assert_eq!(c.take(&page(&ledger, header.height, none, 0)), Ok(true));
        assert_eq!(c.finish(), (None, vec![]));
    }

    #[test]
    fn a_history_in_pages_chains_across_them() {
        let (_dir, ledger) = chain();
        let header = tip(&ledger);
        let key = canonical(PALLET);
        let len = ledger.store.history(&key).expect("store").len() as u32;
        assert!(len >= 3, "{len}");
        let mut c = HistoryCheck::new(&header, &key);
        let mut pages = 0;
        loop {
            // One event a page, as a full node short of room would send.
            let mut p = page(&ledger, header.height, &key, c.next_from());
            p.events.truncate(1);
            pages += 1;
            if c.take(&p).expect("verifies") {
                break;
            }
            assert_eq!(c.expected_len(), Some(len));
        }
        assert_eq!(pages, len);
        assert_eq!(c.finish().1, ledger.store.history(&key).expect("store"));
    }

    #[test]
    fn a_short_altered_or_foreign_history_is_refused() {
        let (_dir, ledger) = chain();
        let header = tip(&ledger);
        let key = canonical(PALLET);
        let honest = page(&ledger, header.height, &key, 0);
        let len = honest.events.len() as u32;

        // One event too few, then nothing more.
        let mut short = honest.clone();
        short.events.pop();
        let mut c = HistoryCheck::new(&header, &key);
        assert_eq!(c.take(&short), Ok(false), "more is asked for");
        let mut empty = short.clone();
        empty.from = len - 1;
        empty.events.clear();
        assert_eq!(
            c.take(&empty),
            Err(HistoryError::Short { from: len - 1, len })
        );
        // One too few, the last one's place taken by a made-up event.
        let mut forged = short.clone();
        let mut fake = Event::decode(&honest.events[0]).expect("event");
        fake.note = Some("stored at the farm".into());
        forged.events.push(fake.encode());
        assert_eq!(
            check_all(&header, &key, &[forged]),
            Err(HistoryError::Head { len })
        );
        // An event altered.
        let mut altered = honest.clone();
        let mut e = Event::decode(&altered.events[1]).expect("event");
        e.height += 1;
        altered.events[1] = e.encode();
        assert_eq!(
            check_all(&header, &key, &[altered]),
            Err(HistoryError::Head { len })
        );
        // Two events swapped.
        let mut swapped = honest.clone();
        swapped.events.swap(0, 1);
        assert_eq!(
            check_all(&header, &key, &[swapped]),
            Err(HistoryError::Head { len })
        );
        // One event more than the record commits to.
        let mut long = honest.clone();
        long.events.push(honest.events[0].clone());
        assert_eq!(
            check_all(&header, &key, &[long]),
            Err(HistoryError::TooMany {
                served: u64::from(len) + 1,
                len
            })
        );
        // Bytes that are no event.
        let mut junk = honest.clone();
        junk.events[0] = vec![0xff; 3];
        assert_eq!(
            check_all(&header, &key, &[junk]),
            Err(HistoryError::Undecodable(0))
        );
        // A page that does not start where the last one ended.
        let mut late = honest.clone();
        late.from = 1;
        assert_eq!(
            check_all(&header, &key, &[late]),
            Err(HistoryError::From { got: 1, want: 0 })
        );

        // Another item's events under this item's proven record.
        let bag = page(&ledger, header.height, &canonical(BAG), 0);
        let mut foreign = honest.clone();
        foreign.events = bag.events.clone();
        let e = check_all(&header, &key, &[foreign]).expect_err("a foreign history");
        assert!(
            matches!(
                e,
                HistoryError::Head { .. }
                    | HistoryError::Short { .. }
                    | HistoryError::TooMany { .. }
            ),
            "{e}"
        );
        // Another item's record and events, whole and consistent, for this item.
        assert!(matches!(
            check_all(&header, &key, std::slice::from_ref(&bag)),
            Err(HistoryError::Record(_))
        ));
        // The other bag's events with the bag's record: the same product, the same
        // commissioning block, and still refused.
        let other = page(&ledger, header.height, &canonical(OTHER), 0);
        let mut mixed = bag.clone();
        mixed.events = other.events.clone();
        let e = check_all(&header, &canonical(BAG), &[mixed]).expect_err("refused");
        assert!(
            matches!(
                e,
                HistoryError::Head { .. }
                    | HistoryError::Short { .. }
                    | HistoryError::TooMany { .. }
            ),
            "{e}"
        );
        // The honest record proven at another height than the header's.
        let earlier = ledger
            .store
            .block(header.height - 1)
            .expect("read")
            .expect("block")
            .header;
        assert!(matches!(
            check_all(&earlier, &key, std::slice::from_ref(&honest)),
            Err(HistoryError::Record(_))
        ));
        // The record's proof forged: claims there is no such pallet.
        let mut hidden = honest.clone();
        hidden.record.value = None;
        hidden.events.clear();
        assert!(matches!(
            check_all(&header, &key, &[hidden]),
            Err(HistoryError::Record(_))
        ));
        // And the honest page still verifies.
        assert_eq!(
            check_all(&header, &key, &[honest]).expect("honest").len(),
            len as usize
        );
    }

    #[test]
    fn a_full_node_refuses_a_page_past_the_history_and_pages_a_long_one() {
        let (_dir, ledger) = chain();
        let header = tip(&ledger);
        let key = canonical(PALLET);
        let len = ledger.store.history(&key).expect("store").len() as u32;
        match crate::service::history_page(&ledger.store, header.height, &key, len + 1) {
            Response::Error { code, .. } => assert_eq!(code, handoff_net::ErrorCode::BadRequest),
            other => panic!("answered {other:?}"),
        }
        // From the end: the proof and no events.
        let end = page(&ledger, header.height, &key, len);
        assert!(end.events.is_empty());
        // The store gives what fits in a page's bytes, at least one event.
        let all = ledger
            .store
            .history_encoded(&key, 0, len, usize::MAX)
            .expect("all");
        let first = ledger.store.history_encoded(&key, 0, len, 1).expect("one");
        assert_eq!((all.len() as u32, first.len()), (len, 1));
        assert_eq!(first[0], all[0]);
        // Asked past what the store holds: a fault, never a shorter history.
        assert!(
            ledger
                .store
                .history_encoded(&key, 0, len + 1, usize::MAX)
                .is_err()
        );
    }

    #[test]
    fn names_come_from_the_index_or_the_genesis_else_the_key() {
        let tmp = tempfile::tempdir().expect("tmp");
        let founder = handoff_core::crypto::Keypair::from_secret([7; 32]);
        let genesis = Genesis {
            name: "names".into(),
            time_ms: 1,
            validators: vec![handoff_core::crypto::Keypair::from_secret([1; 32]).public()],
            orgs: vec![handoff_core::tx::AdmitOrg {
                org: founder.public(),
                name: "Acme Farms".into(),
                prefixes: vec!["0614141".into()],
                glns: vec![],
                roles: vec![],
            }],
        };
        let store = LightStore::create(tmp.path(), &genesis).expect("light store");
        let names = KnownNames {
            store: &store,
            genesis,
        };
        let stranger = handoff_core::crypto::Keypair::from_secret([8; 32]).public();
        assert_eq!(
            view::org_name(&names, &founder.public()).expect("name"),
            "Acme Farms"
        );
        assert_eq!(
            view::org_name(&names, &stranger).expect("name"),
            stranger.short()
        );
        // Nothing but org names is read through it.
        assert!(names.read(&StateKey::Validators).is_err());
    }
}
