//! The EPCIS 2.0 simple event query as the REST bindings carry it in a URL's query
//! string (`eventType=ObjectEvent&EQ_bizStep=shipping|receiving&perPage=30`), sans I/O:
//! [`parse_query_string`] decodes the string, [`Query::parse`] reads the parameters (each
//! at most once; several values of one parameter separated by `|`, GS1's
//! `pipeDelimited` style), [`Query::matches`] tells whether an event is in the answer,
//! and [`PageToken`] is the opaque `nextPageToken`: the sort key of the last event a page
//! gave, so the next page starts after it whatever was committed in between.
//!
//! Identifiers are compared in their canonical Digital Link form ([`crate::ids`]), so an
//! EPC URN finds an event that wrote a Digital Link and the other way round; an id
//! pattern (`urn:epc:idpat:sgtin:0614141.107346.*`) finds every identifier of its
//! class. Vocabulary is compared in its Web URI form ([`crate::cbv`]): `shipping`,
//! `urn:epcglobal:cbv:bizstep:shipping` and `https://ref.gs1.org/cbv/BizStep-shipping`
//! are one value. A parameter this module does not know, a standard one it does not
//! support, a value that does not read, a parameter given twice: each is a refusal with
//! [`ErrorCode::QueryParameter`] and a message naming it, never a filter left out.

use crate::cbv::Vocab;
use crate::error::{EpcisError, ErrorCode};
use crate::ids::canonical_digital_link;
use crate::limits::{
    DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_QUERY_PARAMS, MAX_QUERY_STRING_BYTES, MAX_QUERY_VALUES,
};
use crate::model::{Action, Event, EventType};
use crate::time::parse_time_ms;
use sha2::{Digest, Sha256};

fn refuse(message: impl Into<String>) -> EpcisError {
    EpcisError::new(ErrorCode::QueryParameter, message)
}

fn clip(s: &str) -> String {
    if s.len() <= 80 {
        return s.to_string();
    }
    let mut end = 80;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Decodes a URL query string (without `?`) into its parameters, in order: `&`
/// separates them, `=` a name from its value, `+` is a space, `%XX` a byte; the decoded
/// bytes must be UTF-8. Bounded by [`MAX_QUERY_STRING_BYTES`] and [`MAX_QUERY_PARAMS`].
pub fn parse_query_string(s: &str) -> Result<Vec<(String, String)>, EpcisError> {
    if s.len() > MAX_QUERY_STRING_BYTES {
        return Err(EpcisError::new(
            ErrorCode::TooLarge,
            format!(
                "the query string has {} bytes (at most {MAX_QUERY_STRING_BYTES})",
                s.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for part in s.split('&').filter(|p| !p.is_empty()) {
        if out.len() == MAX_QUERY_PARAMS {
            return Err(EpcisError::new(
                ErrorCode::TooLarge,
                format!("more than {MAX_QUERY_PARAMS} query parameters"),
            ));
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((decode_component(k)?, decode_component(v)?));
    }
    Ok(out)
}

fn decode_component(s: &str) -> Result<String, EpcisError> {
    let plus = s.replace('+', " ");
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(&plus).collect();
    // `%` not followed by two hex digits is kept as it is by the decoder: refuse it, so a
    // garbled escape is not read as a different value.
    let raw = plus.as_bytes();
    for (i, b) in raw.iter().enumerate() {
        if *b == b'%'
            && !(raw.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && raw.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(refuse(format!(
                "'{}' has a '%' that is no percent-escape",
                clip(s)
            )));
        }
    }
    String::from_utf8(bytes)
        .map_err(|_| refuse(format!("'{}' does not decode to UTF-8 text", clip(s))))
}

/// An identifier a `MATCH_`/`EQ_` parameter names: one identifier (compared in its
/// canonical form) or a pattern naming a whole class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdMatch {
    /// This identifier (canonical Digital Link, or as written when it is no GS1 id).
    Exact(String),
    /// Every identifier under this canonical Digital Link (an `idpat` URN).
    Class(String),
}

/// The form identifiers are compared in: the canonical Digital Link, or the value as
/// written (trimmed) when it is no GS1 identifier.
pub fn id_key(s: &str) -> String {
    canonical_digital_link(s.trim()).unwrap_or_else(|| s.trim().to_string())
}

impl IdMatch {
    fn parse(v: &str, param: &str) -> Result<IdMatch, EpcisError> {
        let v = v.trim();
        if v.starts_with("urn:epc:idpat:") {
            return canonical_digital_link(v)
                .map(IdMatch::Class)
                .ok_or_else(|| {
                    refuse(format!(
                        "{param}: '{}' is not an EPC pattern this repository reads",
                        clip(v)
                    ))
                });
        }
        if let Some(c) = canonical_digital_link(v) {
            return Ok(IdMatch::Exact(c));
        }
        // Anything else is compared as written, but it must at least be a URI.
        let uri = v.split_once(':').is_some_and(|(scheme, rest)| {
            !rest.is_empty()
                && scheme
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }) && !v.contains(char::is_whitespace);
        if !uri {
            return Err(refuse(format!(
                "{param}: '{}' is not a URI (an EPC URN or a GS1 Digital Link)",
                clip(v)
            )));
        }
        Ok(IdMatch::Exact(v.to_string()))
    }

    /// Whether `id` (in any form) is this identifier or of this class.
    pub fn matches(&self, id: &str) -> bool {
        let k = id_key(id);
        match self {
            IdMatch::Exact(x) => k == *x,
            IdMatch::Class(p) => {
                k == *p || (k.starts_with(p.as_str()) && k.as_bytes().get(p.len()) == Some(&b'/'))
            }
        }
    }
}

/// What the answer is ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderBy {
    /// Ledger position (block height, then place in the block): the default, and
    /// `recordTime` (a block's time never goes back, so record time orders as the ledger
    /// does).
    Ledger,
    /// `eventTime`, then ledger position.
    EventTime,
}

/// Where an event stands in the answer's order: `(primary, height, index)`, primary
/// being the event time for [`OrderBy::EventTime`] and 0 otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SortKey {
    /// Event time in ms since the epoch ([`OrderBy::EventTime`]), else 0.
    pub primary: i64,
    /// Block height.
    pub height: u64,
    /// Place in the block.
    pub index: u32,
}

/// The opaque `nextPageToken`: after which sort key the next page starts, how many events
/// the pages before gave (for `eventCountLimit`), and a fingerprint of the query it
/// belongs to. Written as hex with a checksum; a garbled token, or one of another query,
/// is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageToken {
    /// The last event given.
    pub after: SortKey,
    /// Events given by the pages so far.
    pub returned: u64,
    /// The query's fingerprint ([`Query::fingerprint`]).
    pub query: u64,
}

const TOKEN_VERSION: u8 = 1;
const TOKEN_BYTES: usize = 1 + 8 + 8 + 8 + 4 + 8 + 4;

impl PageToken {
    /// The token as the client carries it (hex).
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(TOKEN_BYTES);
        b.push(TOKEN_VERSION);
        b.extend_from_slice(&self.query.to_be_bytes());
        b.extend_from_slice(&self.after.primary.to_be_bytes());
        b.extend_from_slice(&self.after.height.to_be_bytes());
        b.extend_from_slice(&self.after.index.to_be_bytes());
        b.extend_from_slice(&self.returned.to_be_bytes());
        let sum = Sha256::digest(&b);
        b.extend_from_slice(&sum[..4]);
        hex::encode(b)
    }

    /// Reads a token back; refused when it is not one this module wrote.
    pub fn decode(s: &str) -> Result<PageToken, EpcisError> {
        let garbled = || {
            refuse(
                "nextPageToken is not a token this repository gave (copy it from the Link \
                 header of the page before)",
            )
        };
        if s.len() != TOKEN_BYTES * 2 {
            return Err(garbled());
        }
        let b = hex::decode(s).map_err(|_| garbled())?;
        let (body, sum) = b.split_at(TOKEN_BYTES - 4);
        if Sha256::digest(body)[..4] != *sum || body[0] != TOKEN_VERSION {
            return Err(garbled());
        }
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&body[i..i + 8]);
            a
        };
        let mut idx = [0u8; 4];
        idx.copy_from_slice(&body[25..29]);
        Ok(PageToken {
            query: u64::from_be_bytes(u64_at(1)),
            after: SortKey {
                primary: i64::from_be_bytes(u64_at(9)),
                height: u64::from_be_bytes(u64_at(17)),
                index: u32::from_be_bytes(idx),
            },
            returned: u64::from_be_bytes(u64_at(29)),
        })
    }
}

/// A parsed query: the filters (each `None` when not given), the order and the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// `eventType`.
    pub event_types: Option<Vec<EventType>>,
    /// `GE_eventTime`, ms.
    pub ge_event_time: Option<i64>,
    /// `LT_eventTime`, ms.
    pub lt_event_time: Option<i64>,
    /// `GE_recordTime`, ms.
    pub ge_record_time: Option<i64>,
    /// `LT_recordTime`, ms.
    pub lt_record_time: Option<i64>,
    /// `EQ_action`.
    pub actions: Option<Vec<Action>>,
    /// `EQ_bizStep`, as Web URIs.
    pub biz_steps: Option<Vec<String>>,
    /// `EQ_disposition`, as Web URIs.
    pub dispositions: Option<Vec<String>>,
    /// `EQ_readPoint`.
    pub read_points: Option<Vec<IdMatch>>,
    /// `EQ_bizLocation`.
    pub biz_locations: Option<Vec<IdMatch>>,
    /// `EQ_transformationID`.
    pub transformation_ids: Option<Vec<String>>,
    /// `MATCH_epc`: `epcList` and `childEPCs`.
    pub match_epc: Option<Vec<IdMatch>>,
    /// `MATCH_parentID`.
    pub match_parent_id: Option<Vec<IdMatch>>,
    /// `MATCH_inputEPC`.
    pub match_input_epc: Option<Vec<IdMatch>>,
    /// `MATCH_outputEPC`.
    pub match_output_epc: Option<Vec<IdMatch>>,
    /// `MATCH_anyEPC`: every EPC list and the parent.
    pub match_any_epc: Option<Vec<IdMatch>>,
    /// `MATCH_epcClass`: `quantityList` and `childQuantityList`.
    pub match_epc_class: Option<Vec<IdMatch>>,
    /// `MATCH_inputEPCClass`.
    pub match_input_epc_class: Option<Vec<IdMatch>>,
    /// `MATCH_outputEPCClass`.
    pub match_output_epc_class: Option<Vec<IdMatch>>,
    /// `MATCH_anyEPCClass`: every quantity list.
    pub match_any_epc_class: Option<Vec<IdMatch>>,
    /// `EQ_eventID`: the event's `eventID` or its hash id.
    pub event_ids: Option<Vec<String>>,
    /// `EXISTS_errorDeclaration`.
    pub exists_error_declaration: bool,
    /// `orderBy`.
    pub order_by: OrderBy,
    /// `orderDirection` is `DESC` (the standard's default once `orderBy` is given).
    pub descending: bool,
    /// `eventCountLimit`: at most this many events in all pages together.
    pub event_count_limit: Option<u64>,
    /// `maxEventCount`: more matches than this is `QueryTooLargeException`.
    pub max_event_count: Option<u64>,
    /// `perPage`, at most [`MAX_PER_PAGE`].
    pub per_page: usize,
    /// `nextPageToken`.
    pub page: Option<PageToken>,
    /// Fingerprint of every parameter but the page's ([`Query::fingerprint`]).
    fingerprint: u64,
}

/// The standard parameters of the simple event query this repository does not answer:
/// refused by name, so a client knows the filter was not applied.
const UNSUPPORTED_PREFIXES: &[&str] = &[
    "EQ_", "GT_", "GE_", "LT_", "LE_", "MATCH_", "WD_", "EXISTS_", "HASATTR_", "EQATTR_",
];

impl Query {
    /// A query of `s`, a URL query string.
    pub fn from_query_string(s: &str) -> Result<Query, EpcisError> {
        Query::parse(&parse_query_string(s)?)
    }

    /// Reads the parameters of the simple event query (GS1 EPCIS 2.0 §8.2.7.1, as the
    /// REST bindings name them).
    pub fn parse(params: &[(String, String)]) -> Result<Query, EpcisError> {
        let mut q = Query {
            event_types: None,
            ge_event_time: None,
            lt_event_time: None,
            ge_record_time: None,
            lt_record_time: None,
            actions: None,
            biz_steps: None,
            dispositions: None,
            read_points: None,
            biz_locations: None,
            transformation_ids: None,
            match_epc: None,
            match_parent_id: None,
            match_input_epc: None,
            match_output_epc: None,
            match_any_epc: None,
            match_epc_class: None,
            match_input_epc_class: None,
            match_output_epc_class: None,
            match_any_epc_class: None,
            event_ids: None,
            exists_error_declaration: false,
            order_by: OrderBy::Ledger,
            descending: false,
            event_count_limit: None,
            max_event_count: None,
            per_page: DEFAULT_PER_PAGE,
            page: None,
            fingerprint: 0,
        };
        let mut order_given = false;
        let mut direction: Option<bool> = None;
        let mut token: Option<&str> = None;
        for (i, (name, value)) in params.iter().enumerate() {
            if params[..i].iter().any(|(n, _)| n == name) {
                return Err(refuse(format!(
                    "{} is given twice; give several values as one, separated by '|'",
                    clip(name)
                )));
            }
            let time = || {
                parse_time_ms(value.trim()).map_err(|e| refuse(format!("{name}: {}", e.message)))
            };
            let ids = || -> Result<Vec<IdMatch>, EpcisError> {
                values(name, value)?
                    .into_iter()
                    .map(|v| IdMatch::parse(v, name))
                    .collect()
            };
            let count = || -> Result<u64, EpcisError> {
                value
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        refuse(format!(
                            "{name}: '{}' is not a whole number above 0",
                            clip(value)
                        ))
                    })
            };
            match name.as_str() {
                "eventType" => {
                    q.event_types = Some(
                        values(name, value)?
                            .into_iter()
                            .map(|t| {
                                EventType::parse(t).ok_or_else(|| {
                                    refuse(format!(
                                        "eventType: '{}' is none of ObjectEvent, \
                                         AggregationEvent, TransactionEvent, \
                                         TransformationEvent, AssociationEvent",
                                        clip(t)
                                    ))
                                })
                            })
                            .collect::<Result<_, _>>()?,
                    )
                }
                "GE_eventTime" => q.ge_event_time = Some(time()?),
                "LT_eventTime" => q.lt_event_time = Some(time()?),
                "GE_recordTime" => q.ge_record_time = Some(time()?),
                "LT_recordTime" => q.lt_record_time = Some(time()?),
                "EQ_action" => {
                    q.actions = Some(
                        values(name, value)?
                            .into_iter()
                            .map(|a| {
                                Action::parse(a).ok_or_else(|| {
                                    refuse(format!(
                                        "EQ_action: '{}' is none of ADD, OBSERVE, DELETE",
                                        clip(a)
                                    ))
                                })
                            })
                            .collect::<Result<_, _>>()?,
                    )
                }
                "EQ_bizStep" => q.biz_steps = Some(vocab(Vocab::BizStep, name, value)?),
                "EQ_disposition" => q.dispositions = Some(vocab(Vocab::Disposition, name, value)?),
                "EQ_readPoint" => q.read_points = Some(ids()?),
                "EQ_bizLocation" => q.biz_locations = Some(ids()?),
                "EQ_transformationID" => {
                    q.transformation_ids = Some(
                        values(name, value)?
                            .into_iter()
                            .map(str::to_string)
                            .collect(),
                    )
                }
                "MATCH_epc" => q.match_epc = Some(ids()?),
                "MATCH_parentID" => q.match_parent_id = Some(ids()?),
                "MATCH_inputEPC" => q.match_input_epc = Some(ids()?),
                "MATCH_outputEPC" => q.match_output_epc = Some(ids()?),
                "MATCH_anyEPC" => q.match_any_epc = Some(ids()?),
                "MATCH_epcClass" => q.match_epc_class = Some(ids()?),
                "MATCH_inputEPCClass" => q.match_input_epc_class = Some(ids()?),
                "MATCH_outputEPCClass" => q.match_output_epc_class = Some(ids()?),
                "MATCH_anyEPCClass" => q.match_any_epc_class = Some(ids()?),
                "EQ_eventID" => {
                    q.event_ids = Some(
                        values(name, value)?
                            .into_iter()
                            .map(str::to_string)
                            .collect(),
                    )
                }
                "EXISTS_errorDeclaration" => {
                    if !value.is_empty() && value != "true" {
                        return Err(refuse("EXISTS_errorDeclaration takes no value (or 'true')"));
                    }
                    q.exists_error_declaration = true;
                }
                "orderBy" => {
                    order_given = true;
                    q.order_by = match value.trim() {
                        "eventTime" => OrderBy::EventTime,
                        "recordTime" => OrderBy::Ledger,
                        other => {
                            return Err(refuse(format!(
                                "orderBy: '{}' is not eventTime or recordTime (this \
                                 repository orders by no extension field)",
                                clip(other)
                            )));
                        }
                    }
                }
                "orderDirection" => {
                    direction = Some(match value.trim() {
                        "ASC" => false,
                        "DESC" => true,
                        other => {
                            return Err(refuse(format!(
                                "orderDirection: '{}' is not ASC or DESC",
                                clip(other)
                            )));
                        }
                    })
                }
                "eventCountLimit" => q.event_count_limit = Some(count()?),
                "maxEventCount" => q.max_event_count = Some(count()?),
                "perPage" => {
                    // The bindings let a server keep its own upper bound: a larger page
                    // asked for is a page of MAX_PER_PAGE.
                    q.per_page = usize::try_from(count()?)
                        .unwrap_or(MAX_PER_PAGE)
                        .min(MAX_PER_PAGE)
                }
                "nextPageToken" => token = Some(value.as_str()),
                other if UNSUPPORTED_PREFIXES.iter().any(|p| other.starts_with(p)) => {
                    return Err(refuse(format!(
                        "{} is a query parameter this repository does not answer",
                        clip(other)
                    )));
                }
                other => {
                    return Err(refuse(format!(
                        "{} is no parameter of the EPCIS simple event query",
                        clip(other)
                    )));
                }
            }
        }
        if direction.is_some() && !order_given {
            return Err(refuse("orderDirection needs orderBy"));
        }
        q.descending = order_given && direction.unwrap_or(true);
        if q.event_count_limit.is_some() && !order_given {
            return Err(refuse(
                "eventCountLimit needs orderBy (the first N events in which order?)",
            ));
        }
        if q.event_count_limit.is_some() && q.max_event_count.is_some() {
            return Err(refuse(
                "eventCountLimit and maxEventCount are mutually exclusive",
            ));
        }
        q.fingerprint = fingerprint(params);
        if let Some(t) = token {
            let t = PageToken::decode(t.trim())?;
            if t.query != q.fingerprint {
                return Err(refuse(
                    "nextPageToken belongs to another query: ask the next page with the \
                     same parameters as the page before",
                ));
            }
            q.page = Some(t);
        }
        Ok(q)
    }

    /// The fingerprint a page token carries: every parameter but `perPage` and
    /// `nextPageToken`, sorted by name.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Whether the answer follows ledger order (and so can be read block by block with an
    /// early stop): no `eventTime` order and no `maxEventCount` (which counts every
    /// match).
    pub fn streams(&self) -> bool {
        self.order_by == OrderBy::Ledger && self.max_event_count.is_none()
    }

    /// The sort key of an event at `(height, index)`.
    pub fn sort_key(&self, e: &Event, height: u64, index: u32) -> SortKey {
        let primary = match self.order_by {
            OrderBy::Ledger => 0,
            // An event whose time does not read sorts first (the model checked it when
            // the event was read, so this does not happen for a stored event).
            OrderBy::EventTime => parse_time_ms(&e.event_time).unwrap_or(i64::MIN),
        };
        SortKey {
            primary,
            height,
            index,
        }
    }

    /// Whether `key` comes after the page token's position in the answer's order.
    pub fn after_page(&self, key: &SortKey) -> bool {
        match &self.page {
            None => true,
            Some(t) if self.descending => *key < t.after,
            Some(t) => *key > t.after,
        }
    }

    /// How many events this page may give (`perPage`, less when `eventCountLimit` is
    /// nearly reached), and how many the pages before gave.
    pub fn page_len(&self) -> (usize, u64) {
        let returned = self.page.map_or(0, |t| t.returned);
        let len = match self.event_count_limit {
            Some(limit) => usize::try_from(limit.saturating_sub(returned))
                .map_or(self.per_page, |left| left.min(self.per_page)),
            None => self.per_page,
        };
        (len, returned)
    }

    /// The token of the page after one that ended at `last` having given `given` events;
    /// `None` when `eventCountLimit` is reached.
    pub fn next_token(&self, last: SortKey, given: usize) -> Option<PageToken> {
        let (_, returned) = self.page_len();
        let returned = returned.saturating_add(given as u64);
        if self.event_count_limit.is_some_and(|l| returned >= l) {
            return None;
        }
        Some(PageToken {
            after: last,
            returned,
            query: self.fingerprint,
        })
    }

    /// Whether `e` is in the answer. `hash_id` is the event's CBV 2.0 hash id (for
    /// `EQ_eventID`); the record time is `e.record_time` (the repository sets it).
    pub fn matches(&self, e: &Event, hash_id: &str) -> bool {
        if let Some(ts) = &self.event_types
            && !ts.contains(&e.event_type)
        {
            return false;
        }
        let event_time = parse_time_ms(&e.event_time).ok();
        if !in_window(event_time, self.ge_event_time, self.lt_event_time) {
            return false;
        }
        let record_time = e.record_time.as_deref().and_then(|t| parse_time_ms(t).ok());
        if !in_window(record_time, self.ge_record_time, self.lt_record_time) {
            return false;
        }
        if let Some(a) = &self.actions
            && !e.action.is_some_and(|x| a.contains(&x))
        {
            return false;
        }
        let in_vocab = |want: &Option<Vec<String>>, v: Vocab, have: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| have.as_deref().is_some_and(|h| w.contains(&v.web_uri(h))))
        };
        if !in_vocab(&self.biz_steps, Vocab::BizStep, &e.biz_step)
            || !in_vocab(&self.dispositions, Vocab::Disposition, &e.disposition)
        {
            return false;
        }
        let one = |want: &Option<Vec<IdMatch>>, have: Option<&str>| {
            want.as_ref()
                .is_none_or(|w| have.is_some_and(|h| w.iter().any(|m| m.matches(h))))
        };
        if !one(
            &self.read_points,
            e.read_point.as_ref().map(|p| p.id.as_str()),
        ) || !one(
            &self.biz_locations,
            e.biz_location.as_ref().map(|p| p.id.as_str()),
        ) || !one(&self.match_parent_id, e.parent_id.as_deref())
        {
            return false;
        }
        if let Some(t) = &self.transformation_ids
            && !e.transformation_id.as_ref().is_some_and(|x| t.contains(x))
        {
            return false;
        }
        let any = |want: &Option<Vec<IdMatch>>, lists: &[&[String]]| {
            want.as_ref().is_none_or(|w| {
                lists
                    .iter()
                    .flat_map(|l| l.iter())
                    .any(|h| w.iter().any(|m| m.matches(h)))
            })
        };
        let classes = |want: &Option<Vec<IdMatch>>, lists: &[&[crate::QuantityElement]]| {
            want.as_ref().is_none_or(|w| {
                lists
                    .iter()
                    .flat_map(|l| l.iter())
                    .any(|q| w.iter().any(|m| m.matches(&q.epc_class)))
            })
        };
        let parent: Vec<String> = e.parent_id.iter().cloned().collect();
        if !any(&self.match_epc, &[&e.epc_list, &e.child_epcs])
            || !any(&self.match_input_epc, &[&e.input_epc_list])
            || !any(&self.match_output_epc, &[&e.output_epc_list])
            || !any(
                &self.match_any_epc,
                &[
                    &e.epc_list,
                    &e.child_epcs,
                    &e.input_epc_list,
                    &e.output_epc_list,
                    &parent,
                ],
            )
            || !classes(
                &self.match_epc_class,
                &[&e.quantity_list, &e.child_quantity_list],
            )
            || !classes(&self.match_input_epc_class, &[&e.input_quantity_list])
            || !classes(&self.match_output_epc_class, &[&e.output_quantity_list])
            || !classes(
                &self.match_any_epc_class,
                &[
                    &e.quantity_list,
                    &e.child_quantity_list,
                    &e.input_quantity_list,
                    &e.output_quantity_list,
                ],
            )
        {
            return false;
        }
        if let Some(ids) = &self.event_ids
            && !ids
                .iter()
                .any(|i| i == hash_id || e.event_id.as_deref() == Some(i.as_str()))
        {
            return false;
        }
        if self.exists_error_declaration && e.error_declaration.is_none() {
            return false;
        }
        true
    }
}

fn in_window(t: Option<i64>, ge: Option<i64>, lt: Option<i64>) -> bool {
    if ge.is_none() && lt.is_none() {
        return true;
    }
    t.is_some_and(|t| ge.is_none_or(|g| t >= g) && lt.is_none_or(|l| t < l))
}

/// The values of a parameter: separated by `|`, none empty, at most [`MAX_QUERY_VALUES`].
fn values<'a>(name: &str, value: &'a str) -> Result<Vec<&'a str>, EpcisError> {
    let vs: Vec<&str> = value.split('|').map(str::trim).collect();
    if vs.iter().any(|v| v.is_empty()) {
        return Err(refuse(format!("{name} has an empty value")));
    }
    if vs.len() > MAX_QUERY_VALUES {
        return Err(refuse(format!(
            "{name} has {} values (at most {MAX_QUERY_VALUES})",
            vs.len()
        )));
    }
    Ok(vs)
}

fn vocab(v: Vocab, name: &str, value: &str) -> Result<Vec<String>, EpcisError> {
    Ok(values(name, value)?
        .into_iter()
        .map(|x| v.web_uri(x))
        .collect())
}

fn fingerprint(params: &[(String, String)]) -> u64 {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "perPage" && k != "nextPageToken")
        .collect();
    kept.sort();
    let mut h = Sha256::new();
    for (k, v) in kept {
        h.update((k.len() as u64).to_be_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_be_bytes());
        h.update(v.as_bytes());
    }
    let d = h.finalize();
    let mut a = [0u8; 8];
    a.copy_from_slice(&d[..8]);
    u64::from_be_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Place, QuantityElement};

    const SGTIN_URN: &str = "urn:epc:id:sgtin:0614141.107346.2018";
    const SGTIN_DL: &str = "https://id.gs1.org/01/10614141073464/21/2018";

    fn q(s: &str) -> Query {
        Query::from_query_string(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn refused(s: &str) -> String {
        let e = Query::from_query_string(s).expect_err(s);
        assert_eq!(e.kind, ErrorCode::QueryParameter, "{s}: {e}");
        e.message
    }

    fn shipped() -> Event {
        let mut e = Event::new(
            EventType::ObjectEvent,
            "2026-06-01T10:00:00+02:00",
            "+02:00",
        );
        e.action = Some(Action::Observe);
        e.biz_step = Some("shipping".into());
        e.disposition = Some("urn:epcglobal:cbv:disp:in_transit".into());
        e.epc_list = vec![SGTIN_DL.into()];
        e.quantity_list = vec![QuantityElement {
            epc_class: "https://id.gs1.org/01/10614141073464/10/L7".into(),
            quantity: Some("10".into()),
            uom: None,
        }];
        e.read_point = Some(Place {
            id: "urn:epc:id:sgln:0614141.00001.0".into(),
            extensions: vec![],
        });
        e.record_time = Some("2026-06-01T08:00:05Z".into());
        e
    }

    #[test]
    fn the_query_string_decodes_escapes_and_refuses_garbled_ones() {
        assert_eq!(
            parse_query_string("EQ_bizStep=shipping%7Creceiving&a+b=c%20d&flag").expect("ok"),
            vec![
                ("EQ_bizStep".into(), "shipping|receiving".into()),
                ("a b".into(), "c d".into()),
                ("flag".into(), String::new()),
            ]
        );
        assert!(parse_query_string("x=%zz").is_err());
        assert!(parse_query_string("x=%ff").is_err(), "not UTF-8");
        assert!(parse_query_string("x=%4").is_err());
        let long = "a=".to_string() + &"b".repeat(MAX_QUERY_STRING_BYTES);
        assert_eq!(
            parse_query_string(&long).map_err(|e| e.kind),
            Err(ErrorCode::TooLarge)
        );
        let many = "a&".repeat(MAX_QUERY_PARAMS + 1);
        assert!(parse_query_string(&many).is_err());
    }

    #[test]
    fn an_epc_matches_in_urn_and_digital_link_form_and_by_pattern() {
        let e = shipped();
        for m in [
            SGTIN_URN,
            SGTIN_DL,
            "https://example.com/01/10614141073464/21/2018",
            "urn:epc:idpat:sgtin:0614141.107346.*",
        ] {
            let query = q(&format!("MATCH_epc={}", urlenc(m)));
            assert!(query.matches(&e, "h"), "{m}");
            assert!(
                q(&format!("MATCH_anyEPC={}", urlenc(m))).matches(&e, "h"),
                "{m}"
            );
        }
        assert!(!q("MATCH_epc=urn:epc:id:sgtin:0614141.107346.2019").matches(&e, "h"));
        assert!(!q("MATCH_epc=urn:epc:idpat:sgtin:0614141.107347.*").matches(&e, "h"));
        // Not an output, not a parent.
        assert!(!q(&format!("MATCH_outputEPC={SGTIN_URN}")).matches(&e, "h"));
        assert!(!q(&format!("MATCH_parentID={SGTIN_URN}")).matches(&e, "h"));
        // Several values: any one.
        assert!(
            q(&format!(
                "MATCH_epc=urn:epc:id:sgtin:0614141.107346.9%7C{SGTIN_URN}"
            ))
            .matches(&e, "h")
        );
        // The lot's class, by LGTIN URN and by the GTIN's pattern.
        assert!(q("MATCH_epcClass=urn:epc:class:lgtin:0614141.107346.L7").matches(&e, "h"));
        assert!(q("MATCH_epcClass=urn:epc:idpat:sgtin:0614141.107346.*").matches(&e, "h"));
        assert!(!q("MATCH_epcClass=urn:epc:class:lgtin:0614141.107346.L8").matches(&e, "h"));
    }

    fn urlenc(s: &str) -> String {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    #[test]
    fn vocabulary_matches_in_any_of_its_forms() {
        let e = shipped();
        for s in [
            "shipping",
            "urn:epcglobal:cbv:bizstep:shipping",
            "https://ref.gs1.org/cbv/BizStep-shipping",
            "receiving|shipping",
        ] {
            assert!(
                q(&format!("EQ_bizStep={}", urlenc(s))).matches(&e, "h"),
                "{s}"
            );
        }
        assert!(!q("EQ_bizStep=receiving").matches(&e, "h"));
        assert!(q("EQ_disposition=in_transit").matches(&e, "h"));
        assert!(q("EQ_action=OBSERVE%7CADD").matches(&e, "h"));
        assert!(!q("EQ_action=ADD").matches(&e, "h"));
        assert!(q("eventType=ObjectEvent").matches(&e, "h"));
        assert!(!q("eventType=AggregationEvent%7CTransformationEvent").matches(&e, "h"));
        // The read point in SGLN URN and Digital Link forms; the bizLocation is absent.
        assert!(q("EQ_readPoint=https%3A%2F%2Fid.gs1.org%2F414%2F0614141000012").matches(&e, "h"));
        assert!(q("EQ_readPoint=urn:epc:id:sgln:0614141.00001.0").matches(&e, "h"));
        assert!(!q("EQ_bizLocation=urn:epc:id:sgln:0614141.00001.0").matches(&e, "h"));
    }

    #[test]
    fn time_windows_include_the_start_and_exclude_the_end() {
        let e = shipped();
        // 10:00+02:00 is 08:00Z.
        assert!(q("GE_eventTime=2026-06-01T08:00:00Z").matches(&e, "h"));
        assert!(!q("LT_eventTime=2026-06-01T08:00:00Z").matches(&e, "h"));
        assert!(
            q("GE_eventTime=2026-06-01T07:00:00Z&LT_eventTime=2026-06-01T08:00:00.001Z")
                .matches(&e, "h")
        );
        assert!(q("GE_recordTime=2026-06-01T08:00:05Z").matches(&e, "h"));
        assert!(!q("GE_recordTime=2026-06-01T08:00:05.001Z").matches(&e, "h"));
        // A `+` in an offset must be escaped; unescaped it is a space, and refused.
        assert!(refused("GE_eventTime=2026-06-01T10:00:00+02:00").contains("GE_eventTime"));
        assert!(q("GE_eventTime=2026-06-01T10:00:00%2B02:00").matches(&e, "h"));
    }

    #[test]
    fn the_event_id_is_its_own_or_its_hash_id() {
        let mut e = shipped();
        assert!(
            q("EQ_eventID=ni:///sha-256;ab?ver=CBV2.0").matches(&e, "ni:///sha-256;ab?ver=CBV2.0")
        );
        assert!(!q("EQ_eventID=urn:uuid:1").matches(&e, "ni:///sha-256;ab?ver=CBV2.0"));
        e.event_id = Some("urn:uuid:1".into());
        assert!(q("EQ_eventID=urn:uuid:1").matches(&e, "x"));
        assert!(!q("EXISTS_errorDeclaration").matches(&e, "x"));
    }

    #[test]
    fn bad_parameters_are_refused_by_name_never_ignored() {
        assert!(refused("bogus=1").contains("bogus"));
        assert!(refused("EQ_quantity=3").contains("does not answer"));
        assert!(refused("EQ_bizTransaction_po=x").contains("does not answer"));
        assert!(refused("eventType=Thing").contains("Thing"));
        assert!(refused("EQ_action=MOVE").contains("MOVE"));
        assert!(refused("EQ_bizStep=").contains("empty"));
        assert!(refused("EQ_bizStep=a&EQ_bizStep=b").contains("twice"));
        assert!(refused("MATCH_epc=not a uri").contains("not a URI"));
        assert!(refused("MATCH_epc=urn:epc:idpat:sgtin:x.*").contains("pattern"));
        assert!(refused("GE_eventTime=yesterday").contains("GE_eventTime"));
        assert!(refused("perPage=0").contains("perPage"));
        assert!(refused("perPage=ten").contains("perPage"));
        assert!(refused("orderBy=quantity").contains("orderBy"));
        assert!(refused("orderDirection=ASC").contains("needs orderBy"));
        assert!(refused("eventCountLimit=3").contains("needs orderBy"));
        assert!(
            refused("orderBy=eventTime&eventCountLimit=3&maxEventCount=4").contains("exclusive")
        );
        let many = vec!["shipping"; MAX_QUERY_VALUES + 1].join("%7C");
        assert!(refused(&format!("EQ_bizStep={many}")).contains("values"));
    }

    #[test]
    fn order_and_page_size_have_the_standards_defaults_and_our_bound() {
        let d = q("");
        assert_eq!(
            (d.order_by, d.descending, d.per_page),
            (OrderBy::Ledger, false, DEFAULT_PER_PAGE)
        );
        assert!(d.streams());
        let t = q("orderBy=eventTime");
        assert_eq!((t.order_by, t.descending), (OrderBy::EventTime, true));
        assert!(!t.streams());
        assert!(!q("orderBy=eventTime&orderDirection=ASC").descending);
        assert!(q("orderBy=recordTime").descending);
        assert!(!q("maxEventCount=5").streams());
        assert_eq!(q("perPage=1000000").per_page, MAX_PER_PAGE);
        assert_eq!(q("perPage=2").per_page, 2);
    }

    #[test]
    fn a_page_token_round_trips_and_belongs_to_its_query() {
        let first = q("EQ_bizStep=shipping&perPage=2");
        let last = SortKey {
            primary: 0,
            height: 7,
            index: 3,
        };
        let t = first.next_token(last, 2).expect("more");
        let s = t.encode();
        assert_eq!(PageToken::decode(&s), Ok(t));
        // The same query with another page size takes it; another query does not.
        let next = q(&format!("EQ_bizStep=shipping&perPage=5&nextPageToken={s}"));
        assert_eq!(next.page, Some(t));
        assert!(next.after_page(&SortKey {
            primary: 0,
            height: 7,
            index: 4
        }));
        assert!(!next.after_page(&last));
        assert!(
            refused(&format!("EQ_bizStep=receiving&nextPageToken={s}")).contains("another query")
        );
        // Garbled: one character changed, cut short, not hex.
        let mut b = s.clone().into_bytes();
        b[20] = if b[20] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(b).expect("ascii");
        for bad in [flipped.as_str(), &s[..s.len() - 2], "zz", ""] {
            assert!(
                refused(&format!("EQ_bizStep=shipping&nextPageToken={bad}"))
                    .contains("not a token"),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_event_count_limit_spans_the_pages() {
        let first = q("orderBy=recordTime&orderDirection=ASC&eventCountLimit=3&perPage=2");
        assert_eq!(first.page_len(), (2, 0));
        let k = SortKey {
            primary: 0,
            height: 1,
            index: 1,
        };
        let t = first.next_token(k, 2).expect("one more");
        let second = q(&format!(
            "orderBy=recordTime&orderDirection=ASC&eventCountLimit=3&perPage=2&nextPageToken={}",
            t.encode()
        ));
        assert_eq!(second.page_len(), (1, 2));
        assert_eq!(second.next_token(k, 1), None, "the limit is reached");
        // Descending: the next page is before the token.
        let desc = q("orderBy=recordTime");
        let t = desc.next_token(k, 1).expect("token");
        let desc2 = q(&format!("orderBy=recordTime&nextPageToken={}", t.encode()));
        assert!(desc2.after_page(&SortKey {
            primary: 0,
            height: 1,
            index: 0
        }));
        assert!(!desc2.after_page(&SortKey {
            primary: 0,
            height: 2,
            index: 0
        }));
    }
}
