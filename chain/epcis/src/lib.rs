//! GS1 EPCIS 2.0 documents for Handoff, sans I/O: the model of documents and their five
//! event types with every standard field and user extensions kept losslessly
//! ([`model`]); JSON-LD ([`json`]) and XML ([`xml`], EPCIS 2.0 and the 1.2 placement of
//! newer fields inside `<extension>`) read and written; CBV vocabulary in its bare, URN
//! and Web URI forms ([`cbv`]); EPC URNs and GS1 Digital Link URIs both ways ([`ids`],
//! over `handoff-core`'s GS1 keys); event hash ids as CBV 2.0 specifies ([`hash`]); the
//! simple event query of the REST bindings, parsed and matched ([`query`]). Documents
//! larger than the whole-document readers take are read one event at a time ([`stream`]).
//! Every bound on outside data is in [`limits`]; every refusal is an [`EpcisError`] with
//! a stable code and, when it is about one event, that event's index. Nothing here
//! panics on input.

pub mod cbv;
mod check;
pub mod error;
pub mod hash;
pub mod ids;
pub mod json;
pub mod ledger;
pub mod limits;
pub mod model;
pub mod query;
pub mod stream;
pub mod time;
pub mod xml;

pub use error::{EpcisError, ErrorCode};
pub use hash::{hash_id, hash_ids, pre_hash};
pub use json::{parse_jsonld, write_jsonld};
pub use model::*;
pub use stream::{StreamError, Streamed, stream};
pub use xml::{parse_xml, write_xml};

/// The two formats of an EPCIS document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON-LD.
    JsonLd,
    /// XML.
    Xml,
}

/// The format of `text`, from its first character that is not white space (`{` or `<`).
pub fn detect_format(text: &str) -> Result<Format, EpcisError> {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .as_bytes()
        .first()
    {
        Some(b'{') => Ok(Format::JsonLd),
        Some(b'<') => Ok(Format::Xml),
        _ => Err(EpcisError::new(
            ErrorCode::UnknownFormat,
            "neither JSON-LD (starts with '{') nor XML (starts with '<')",
        )),
    }
}

/// Reads a document in either format, detected from its content.
pub fn parse(text: &str) -> Result<Document, EpcisError> {
    match detect_format(text)? {
        Format::JsonLd => parse_jsonld(text.trim_start_matches('\u{feff}')),
        Format::Xml => parse_xml(text.trim_start_matches('\u{feff}')),
    }
}
