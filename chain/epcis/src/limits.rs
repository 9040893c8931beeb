//! Every bound on outside data, in one place. Each decoder checks these before or while it
//! reads, and refuses what is over with [`ErrorCode::TooLarge`](crate::ErrorCode::TooLarge)
//! or [`ErrorCode::TooDeep`](crate::ErrorCode::TooDeep), never by panicking or allocating
//! without bound.

/// The largest document accepted, in bytes (JSON-LD or XML text). A day of a busy site's
/// events fits; anything larger is split by the sender.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// The most values in one document: JSON values (counted as `{`, `[` and `,`, before
/// parsing) or XML elements and attributes. Bounds the memory a document of the largest
/// size can take while it is read (about 150 bytes a node).
pub const MAX_NODES: usize = 1_000_000;

/// The most events in one document.
pub const MAX_EVENTS: usize = 10_000;

/// The most entries in one list of an event (EPCs, quantities, business transactions,
/// sources, destinations, sensor elements, sensor reports, certification infos,
/// corrective event ids).
pub const MAX_LIST_LEN: usize = 10_000;

/// The longest string value (an identifier, a time, an extension's text), in bytes.
pub const MAX_STRING_BYTES: usize = 8 * 1024;

/// The deepest nesting of elements or JSON values, counted from the document root.
pub const MAX_DEPTH: usize = 32;

/// The most extension elements (counting nested ones and attributes) under one event,
/// its ILMD and its sensor elements included.
pub const MAX_EXTENSION_NODES: usize = 2_000;

/// The most namespace declarations in one document (JSON-LD context prefixes or XML
/// `xmlns` attributes).
pub const MAX_NAMESPACES: usize = 256;

/// The largest imported event kept beside the transaction it became (its one-event
/// JSON-LD document): an event with this much extension data is refused at import rather
/// than kept in part, so that every kept event exports whole.
pub const MAX_KEPT_EVENT_BYTES: usize = 64 * 1024;

/// The longest query string of a REST query (`GET /epcis/events?…`), in bytes.
pub const MAX_QUERY_STRING_BYTES: usize = 8 * 1024;

/// The most parameters in one query string.
pub const MAX_QUERY_PARAMS: usize = 64;

/// The most values of one query parameter (`EQ_bizStep=a|b|…`).
pub const MAX_QUERY_VALUES: usize = 64;

/// Events a page of a query answer holds when the client does not say (`perPage`; the
/// REST bindings' default).
pub const DEFAULT_PER_PAGE: usize = 30;

/// The most events a page of a query answer holds, whatever `perPage` asks: a page of the
/// largest events stays a few megabytes.
pub const MAX_PER_PAGE: usize = 500;
/// The most bytes of one event read by the streaming reader ([`crate::stream`]), counted
/// from the end of the event before it (so separators and white space count too); the
/// document's header before the first event and what follows the last one are each
/// bounded by it as well. Four times [`MAX_KEPT_EVENT_BYTES`]: any event that can be kept
/// fits in its pretty-printed form, and what one event takes while it is read stays a few
/// megabytes at most, whatever the document's length.
pub const MAX_EVENT_BYTES: usize = 4 * MAX_KEPT_EVENT_BYTES;

/// The most events of a document read by the streaming reader. Far above [`MAX_EVENTS`]
/// because streaming keeps one event at a time: memory no longer bounds the document,
/// only the time an import takes does (about a day of a large site's events at a few
/// thousand events a second); a larger export is split by the sender.
pub const MAX_STREAM_EVENTS: usize = 1_000_000;

/// The largest document read by the streaming reader, in bytes: [`MAX_STREAM_EVENTS`]
/// events of about 1 KiB each.
pub const MAX_STREAM_BYTES: u64 = 1 << 30;
