//! EPCIS documents read one event at a time ([`stream`]), for documents far larger than
//! the whole-document readers take (up to [`MAX_STREAM_EVENTS`] events and
//! [`MAX_STREAM_BYTES`] bytes) in memory that does not grow with the document.
//!
//! JSON-LD is walked with serde_json's reader-based deserializer: the top-level members
//! and the body are visited in place, each entry of `eventList` is read as one bounded
//! value, turned into an [`Event`] by the same code as [`crate::parse_jsonld`] and
//! handed to the caller before the next is read. An event's hash id depends on the
//! document's `@context`, so the header (`@context`, `type`, `creationDate`) must be known
//! before the first event: when one of them comes after `epcisBody`, a first pass reads
//! the header (skipping the events) and a second pass reads the events. XML is read with
//! quick-xml's pull parser: the element tree is built as for [`crate::parse_xml`], except
//! that each element of the event list is handed over when it is complete instead of
//! being kept; the header is the root element's attributes, so one pass suffices.
//!
//! Each event is bounded on its own ([`MAX_EVENT_BYTES`] and the bounds of a whole
//! document: depth, list lengths, string lengths, extension nodes), so what a read holds
//! at any time is one event, whatever the document's length.

use crate::Format;
use crate::error::{EpcisError, ErrorCode};
use crate::json::{self, J};
use crate::limits::*;
use crate::model::*;
use crate::xml::{self, EventSink, XNode};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// Why a streamed read stopped.
#[derive(Debug)]
pub enum StreamError<E> {
    /// The document was refused (with the event's index when it is about one).
    Bad(EpcisError),
    /// The document could not be read (opening or reading it failed).
    Io(io::Error),
    /// The caller's handler stopped the read with its own error.
    Stopped(E),
}

impl<E> From<EpcisError> for StreamError<E> {
    fn from(e: EpcisError) -> Self {
        StreamError::Bad(e)
    }
}

/// What a complete streamed read saw.
#[derive(Clone, Debug)]
pub struct Streamed {
    /// The document's format.
    pub format: Format,
    /// The events read (and handed to the handler).
    pub events: usize,
    /// The bytes read in the pass that read the events.
    pub bytes: u64,
}

/// Reads the document `open` gives, handing each event in document order to `each` with
/// its index and the document's header (kind, creation date and namespaces, no events:
/// what [`crate::hash_id`] and [`crate::ledger::keep`] need of the document).
///
/// `open` is called once, or twice for a JSON-LD document whose header follows its
/// events; both calls must give the same bytes. Every event the whole-document reader
/// accepts is read alike (same fields, same hash id), and each is refused with the same
/// codes; on a refusal, the events before it have been handed over already: a caller that
/// must not act on a document with a bad event reads it twice (validate, then act).
pub fn stream<R: Read, E>(
    mut open: impl FnMut() -> io::Result<R>,
    mut each: impl FnMut(usize, &Document, Event) -> Result<(), E>,
) -> Result<Streamed, StreamError<E>> {
    let (mut input, meter) = start(open().map_err(StreamError::Io)?)?;
    match detect(&mut input, &meter)? {
        Format::Xml => read_xml(&mut input, &meter, &mut each),
        Format::JsonLd => {
            let first = read_json(&mut input, &meter, None, &mut each)?;
            let head = match first {
                Pass::Done(s) => return Ok(s),
                Pass::NeedHead(head) => head,
            };
            let (mut input, meter) = start(open().map_err(StreamError::Io)?)?;
            detect(&mut input, &meter)?;
            match read_json(&mut input, &meter, Some(head), &mut each)? {
                Pass::Done(s) => Ok(s),
                Pass::NeedHead(_) => Err(StreamError::Io(io::Error::other(
                    "the document changed while it was read",
                ))),
            }
        }
    }
}

// ------------------------------------------------------------------ bounded input

/// Bytes read, since the start and since the last event began; an I/O failure, kept so
/// that it is told apart from a refusal.
#[derive(Default)]
struct Meter {
    since: Cell<usize>,
    total: Cell<u64>,
    over: Cell<Option<Over>>,
    failed: RefCell<Option<io::Error>>,
}

#[derive(Clone, Copy, Debug)]
enum Over {
    Event,
    Document,
}

impl Meter {
    fn reset(&self) {
        self.since.set(0);
    }

    fn spend(&self, n: usize) {
        self.since.set(self.since.get() + n);
        self.total.set(self.total.get() + n as u64);
        if self.total.get() > MAX_STREAM_BYTES {
            self.over.set(Some(Over::Document));
        } else if self.since.get() > MAX_EVENT_BYTES {
            self.over.set(Some(Over::Event));
        }
    }

    fn check(&self) -> io::Result<()> {
        match self.over.get() {
            Some(_) => Err(io::Error::other("over a bound of the streaming reader")),
            None => Ok(()),
        }
    }

    fn io<T>(&self, r: io::Result<T>) -> io::Result<T> {
        r.inspect_err(|e| {
            self.failed
                .borrow_mut()
                .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }

    /// The refusal or failure a parser's error stands for, if the input caused it.
    fn fault<E>(&self) -> Option<StreamError<E>> {
        if let Some(over) = self.over.get() {
            return Some(StreamError::Bad(match over {
                Over::Event => EpcisError::new(
                    ErrorCode::TooLarge,
                    format!(
                        "an event (or the text between events) of more than {MAX_EVENT_BYTES} bytes"
                    ),
                ),
                Over::Document => EpcisError::new(
                    ErrorCode::TooLarge,
                    format!("the document has more than {MAX_STREAM_BYTES} bytes"),
                ),
            }));
        }
        self.failed.borrow_mut().take().map(StreamError::Io)
    }
}

struct Metered<R> {
    inner: BufReader<R>,
    meter: Rc<Meter>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.meter.check()?;
        let n = self.meter.io(self.inner.read(buf))?;
        self.meter.spend(n);
        self.meter.check()?;
        Ok(n)
    }
}

impl<R: Read> BufRead for Metered<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.meter.check()?;
        let meter = &self.meter;
        let r = self.inner.fill_buf();
        meter.io(r)
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.meter.spend(amt);
    }
}

fn start<R: Read, E>(r: R) -> Result<(Metered<R>, Rc<Meter>), StreamError<E>> {
    let meter = Rc::new(Meter::default());
    Ok((
        Metered {
            inner: BufReader::with_capacity(64 * 1024, r),
            meter: meter.clone(),
        },
        meter,
    ))
}

/// The format, from the first byte that is not a byte order mark or white space (both
/// consumed).
fn detect<R: Read, E>(input: &mut Metered<R>, meter: &Meter) -> Result<Format, StreamError<E>> {
    let mut at_start = true;
    loop {
        let buf = input
            .fill_buf()
            .map_err(|e| meter.fault().unwrap_or(StreamError::Io(e)))?;
        if at_start && buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            input.consume(3);
            at_start = false;
            continue;
        }
        at_start = false;
        let Some(&b) = buf.first() else {
            return Err(unknown_format().into());
        };
        if b.is_ascii_whitespace() {
            let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            input.consume(n);
            continue;
        }
        return match b {
            b'{' => Ok(Format::JsonLd),
            b'<' => Ok(Format::Xml),
            _ => Err(unknown_format().into()),
        };
    }
}

fn unknown_format() -> EpcisError {
    EpcisError::new(
        ErrorCode::UnknownFormat,
        "neither JSON-LD (starts with '{') nor XML (starts with '<')",
    )
}

// ------------------------------------------------------------------ XML

struct XSink<'a, F, E> {
    head: Option<Document>,
    count: usize,
    each: &'a mut F,
    stop: Option<StreamError<E>>,
    meter: Rc<Meter>,
}

impl<F, E> EventSink for XSink<'_, F, E>
where
    F: FnMut(usize, &Document, Event) -> Result<(), E>,
{
    fn begin(&mut self) {
        self.meter.reset();
    }

    fn event(
        &mut self,
        node: XNode,
        root: &XNode,
        declared: &[Namespace],
    ) -> Result<(), EpcisError> {
        let head = match self.head.take() {
            Some(h) => h,
            None => xml::head(root, Vec::new())?,
        };
        let head = self.head.insert(head);
        if head.namespaces.len() != declared.len() {
            head.namespaces = declared.to_vec();
        }
        for ev in xml::events_in(node) {
            let i = self.count;
            if i >= MAX_STREAM_EVENTS {
                return Err(too_many().at_event(i));
            }
            self.count += 1;
            let ev = ev.map_err(|e| e.at_event(i))?;
            if let Err(e) = (self.each)(i, head, ev) {
                self.stop = Some(StreamError::Stopped(e));
                return Err(EpcisError::new(ErrorCode::BadXml, "stopped"));
            }
        }
        Ok(())
    }
}

fn too_many() -> EpcisError {
    EpcisError::new(
        ErrorCode::TooLarge,
        format!("more than {MAX_STREAM_EVENTS} events"),
    )
}

fn read_xml<R: Read, E, F>(
    input: &mut Metered<R>,
    meter: &Rc<Meter>,
    each: &mut F,
) -> Result<Streamed, StreamError<E>>
where
    F: FnMut(usize, &Document, Event) -> Result<(), E>,
{
    let mut sink = XSink {
        head: None,
        count: 0,
        each,
        stop: None,
        meter: meter.clone(),
    };
    let mut reader = quick_xml::reader::Reader::from_reader(input);
    let read = xml::tree_from(&mut reader, Some(&mut sink));
    if let Some(stop) = sink.stop.take() {
        return Err(stop);
    }
    let (root, namespaces) = match read {
        Ok(x) => x,
        Err(e) => return Err(meter.fault().unwrap_or(StreamError::Bad(e))),
    };
    let head = xml::head(&root, namespaces)?;
    let body = root.children.iter().find(|c| c.name.local == "EPCISBody");
    let Some(body) = body else {
        return Err(
            EpcisError::new(ErrorCode::MissingField, "the document has no EPCISBody").into(),
        );
    };
    if head.kind == DocumentKind::Query
        && !body.children.iter().any(|c| c.name.local == "QueryResults")
    {
        return Err(EpcisError::new(
            ErrorCode::MissingField,
            "the query document has no QueryResults",
        )
        .into());
    }
    Ok(Streamed {
        format: Format::Xml,
        events: sink.count,
        bytes: meter.total.get(),
    })
}

// ------------------------------------------------------------------ JSON-LD

enum Pass {
    Done(Streamed),
    /// The header follows the events: here it is, read in a pass that skipped them.
    NeedHead(Document),
}

struct St<'a, F, E> {
    /// The header, once known: given (second pass) or read before `epcisBody`.
    head: Option<Document>,
    /// Events are skipped (the header comes after them).
    skip: bool,
    context: Option<J>,
    kind: Option<J>,
    schema_version: Option<J>,
    creation_date: Option<J>,
    body: bool,
    count: usize,
    current: Option<usize>,
    stop: Option<StreamError<E>>,
    each: &'a mut F,
    meter: Rc<Meter>,
}

impl<F, E> St<'_, F, E> {
    fn refuse<X: de::Error>(&mut self, e: EpcisError) -> X {
        self.stop.get_or_insert(StreamError::Bad(e));
        X::custom("refused")
    }

    fn header(&self) -> Result<Document, EpcisError> {
        json::head(
            self.context.as_ref(),
            self.kind.as_ref(),
            self.schema_version.as_ref(),
            self.creation_date.as_ref(),
        )
    }

    /// A value read at `container` depth (the depth of the object holding it), within
    /// [`MAX_DEPTH`].
    fn bounded<X: de::Error>(&mut self, v: &J, container: usize) -> Result<(), X> {
        if container + json::depth(v) > MAX_DEPTH {
            return Err(self.refuse(EpcisError::new(
                ErrorCode::TooDeep,
                format!("nested deeper than {MAX_DEPTH} levels"),
            )));
        }
        Ok(())
    }
}

fn read_json<R: Read, E, F>(
    input: &mut Metered<R>,
    meter: &Rc<Meter>,
    head: Option<Document>,
    each: &mut F,
) -> Result<Pass, StreamError<E>>
where
    F: FnMut(usize, &Document, Event) -> Result<(), E>,
{
    let mut st = St {
        head,
        skip: false,
        context: None,
        kind: None,
        schema_version: None,
        creation_date: None,
        body: false,
        count: 0,
        current: None,
        stop: None,
        each,
        meter: meter.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(input);
    let read = Node {
        st: &mut st,
        at: Level::Root,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Err(e) = read {
        let at = st.current;
        let err = st
            .stop
            .take()
            .or_else(|| meter.fault())
            .unwrap_or_else(|| StreamError::Bad(json::serde_error(e)));
        return Err(match (err, at) {
            (StreamError::Bad(b), Some(i)) => StreamError::Bad(b.at_event(i)),
            (err, _) => err,
        });
    }
    if st.skip {
        // The header came after the events: it is complete now.
        let head = st.header()?;
        return Ok(Pass::NeedHead(head));
    }
    if st.head.is_none() {
        // No epcisBody: the header's own refusals first, as the whole-document reader.
        st.header()?;
    }
    if !st.body {
        return Err(
            EpcisError::new(ErrorCode::MissingField, "the document has no epcisBody").into(),
        );
    }
    Ok(Pass::Done(Streamed {
        format: Format::JsonLd,
        events: st.count,
        bytes: meter.total.get(),
    }))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Body,
    QueryResults,
    ResultsBody,
    /// The event list, at this depth.
    List(usize),
}

impl Level {
    /// The depth of the object or array at this level (the document is 1).
    fn depth(self) -> usize {
        match self {
            Level::Root => 1,
            Level::Body => 2,
            Level::QueryResults => 3,
            Level::ResultsBody => 4,
            Level::List(d) => d,
        }
    }
}

struct Node<'s, 'a, F, E> {
    st: &'s mut St<'a, F, E>,
    at: Level,
}

impl<'de, F, E> DeserializeSeed<'de> for Node<'_, '_, F, E>
where
    F: FnMut(usize, &Document, Event) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.at {
            Level::List(_) => d.deserialize_seq(self),
            _ => d.deserialize_map(self),
        }
    }
}

impl<'de, F, E> Visitor<'de> for Node<'_, '_, F, E>
where
    F: FnMut(usize, &Document, Event) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self.at {
            Level::Root => "an EPCIS document (a JSON object)",
            Level::Body => "epcisBody (an object)",
            Level::QueryResults => "queryResults (an object)",
            Level::ResultsBody => "resultsBody (an object)",
            Level::List(_) => "eventList (an array)",
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.st;
        let here = self.at.depth();
        let mut seen: Vec<String> = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            if seen.contains(&k) {
                return Err(de::Error::custom(format!("member '{k}' twice")));
            }
            if seen.len() >= MAX_LIST_LEN {
                return Err(de::Error::custom("an object with too many members"));
            }
            let kind = st.head.as_ref().map(|h| h.kind);
            // Where the events are: known from the header, or (skipping) either place.
            let child = match (self.at, k.as_str()) {
                (Level::Root, "epcisBody") => Some(Level::Body),
                (Level::Body, "eventList") if st.skip || kind == Some(DocumentKind::Epcis) => {
                    Some(Level::List(here + 1))
                }
                (Level::Body, "queryResults") if st.skip || kind == Some(DocumentKind::Query) => {
                    Some(Level::QueryResults)
                }
                (Level::QueryResults, "resultsBody") => Some(Level::ResultsBody),
                (Level::ResultsBody, "eventList") => Some(Level::List(here + 1)),
                _ => None,
            };
            if child == Some(Level::Body) {
                st.body = true;
                if st.head.is_none() && !st.skip {
                    if st.context.is_some() && st.kind.is_some() && st.creation_date.is_some() {
                        match st.header() {
                            Ok(h) => st.head = Some(h),
                            Err(e) => return Err(st.refuse(e)),
                        }
                    } else {
                        // Something the events need may follow them: skip them and read
                        // the header first.
                        st.skip = true;
                    }
                }
            }
            match child {
                Some(at) => map.next_value_seed(Node { st: &mut *st, at })?,
                None => {
                    let v: J = map.next_value()?;
                    st.bounded::<A::Error>(&v, here)?;
                    match (self.at, k.as_str()) {
                        (Level::Root, "@context") => st.context = Some(v),
                        (Level::Root, "type") => st.kind = Some(v),
                        (Level::Root, "schemaVersion") => st.schema_version = Some(v),
                        (Level::Root, "creationDate") => st.creation_date = Some(v),
                        (Level::QueryResults, "queryName" | "subscriptionID") => {
                            if let Some(h) = st.head.as_mut() {
                                json::query_field(h, &k, Some(&v));
                            }
                        }
                        _ => {}
                    }
                }
            }
            seen.push(k);
        }
        if self.at == Level::Body
            && !st.skip
            && st
                .head
                .as_ref()
                .is_some_and(|h| h.kind == DocumentKind::Query)
            && !seen.iter().any(|k| k == "queryResults")
        {
            return Err(st.refuse(EpcisError::new(
                ErrorCode::MissingField,
                "the query document has no queryResults",
            )));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.st;
        let here = self.at.depth();
        loop {
            st.meter.reset();
            let i = st.count;
            st.current = Some(i);
            if st.skip {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
            } else {
                let Some(v) = seq.next_element::<J>()? else {
                    break;
                };
                st.bounded::<A::Error>(&v, here)?;
                if i >= MAX_STREAM_EVENTS {
                    return Err(st.refuse(too_many()));
                }
                let Some(head) = st.head.as_ref() else {
                    return Err(de::Error::custom("events before the header"));
                };
                let event = match json::event_of(head, &v) {
                    Ok(e) => e,
                    Err(e) => return Err(st.refuse(e)),
                };
                drop(v);
                if let Err(e) = (st.each)(i, head, event) {
                    st.stop = Some(StreamError::Stopped(e));
                    return Err(de::Error::custom("stopped"));
                }
            }
            if i >= MAX_STREAM_EVENTS {
                return Err(st.refuse(too_many()));
            }
            st.count += 1;
        }
        st.current = None;
        st.meter.reset();
        Ok(())
    }
}
