//! Errors with stable codes: every refusal of a decoder or an identifier conversion.

use std::fmt;

macro_rules! codes {
    ($($(#[$m:meta])* $v:ident = $s:literal),* $(,)?) => {
        /// A stable error code: the string form is part of the interface (the CLI and the
        /// HTTP API print it), so a variant is never renamed.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($(#[$m])* $v),* }
        impl ErrorCode {
            /// The code as printed, e.g. `EPCIS_BAD_JSON`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$v => $s),* }
            }
        }
    };
}

codes! {
    /// Over a limit of [`crate::limits`].
    TooLarge = "EPCIS_TOO_LARGE",
    /// Nested deeper than [`crate::limits::MAX_DEPTH`].
    TooDeep = "EPCIS_TOO_DEEP",
    /// Not JSON, or JSON of the wrong shape for an EPCIS document.
    BadJson = "EPCIS_BAD_JSON",
    /// Not well-formed XML, or XML of the wrong shape for an EPCIS document.
    BadXml = "EPCIS_BAD_XML",
    /// Neither JSON nor XML.
    UnknownFormat = "EPCIS_UNKNOWN_FORMAT",
    /// A field the standard requires is absent.
    MissingField = "EPCIS_MISSING_FIELD",
    /// A field present twice, or a field where it does not belong.
    BadField = "EPCIS_BAD_FIELD",
    /// A value of the wrong kind (e.g. an action other than ADD, OBSERVE, DELETE).
    BadValue = "EPCIS_BAD_VALUE",
    /// A time that is not an RFC 3339 date-time with an offset, or an offset that is not
    /// `±HH:MM`.
    BadTime = "EPCIS_BAD_TIME",
    /// An identifier that is not what its place requires (an EPC URN, a Digital Link URI).
    BadId = "EPCIS_BAD_ID",
    /// An event type other than the five of EPCIS 2.0.
    UnknownEventType = "EPCIS_UNKNOWN_EVENT_TYPE",
    /// A company prefix length that does not fit the key, or none known.
    BadCompanyPrefix = "EPCIS_BAD_COMPANY_PREFIX",
    /// An event that names nothing the ledger tracks (no item, lot or logistics unit).
    NoEntries = "EPCIS_NO_ENTRIES",
    /// An identifier the ledger cannot hold in its place: a class pattern, a GTIN without
    /// serial or lot, a parent that is no SSCC, a place or party that is no GLN.
    UnmappableId = "EPCIS_UNMAPPABLE_ID",
    /// A quantity that is not a whole count of pieces of a lot (the ledger counts lots).
    UnmappableQuantity = "EPCIS_UNMAPPABLE_QUANTITY",
    /// A shipment without a destination party (owning_party or possessing_party).
    NoDestination = "EPCIS_NO_DESTINATION",
    /// A destination party whose GLN no org on the ledger holds.
    UnknownParty = "EPCIS_UNKNOWN_PARTY",
    /// A receipt of items no open handoff to the receiving org offers.
    NoOpenHandoff = "EPCIS_NO_OPEN_HANDOFF",
    /// An error declaration of an event that is not on the ledger.
    UnknownTarget = "EPCIS_UNKNOWN_TARGET",
    /// A query parameter that is unknown, unsupported, given twice or of a bad value, or
    /// a page token that is not one this repository gave (GS1's `QueryParameterException`).
    QueryParameter = "EPCIS_QUERY_PARAMETER",
    /// A query that matches more events than its `maxEventCount` (GS1's
    /// `QueryTooLargeException`).
    QueryTooLarge = "EPCIS_QUERY_TOO_LARGE",
}

/// Why a document, an event or an identifier was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct EpcisError {
    /// Stable code.
    pub kind: ErrorCode,
    /// What is wrong, for people.
    pub message: String,
    /// The index of the event (0-based, in document order) when the error is about one.
    pub event: Option<usize>,
}

impl EpcisError {
    /// An error of `kind` with `message`, about no one event.
    pub fn new(kind: ErrorCode, message: impl Into<String>) -> Self {
        EpcisError {
            kind,
            message: message.into(),
            event: None,
        }
    }

    /// The stable code, e.g. `EPCIS_TOO_LARGE`.
    pub fn code(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The same error, about event `index` (kept if already set).
    pub(crate) fn at_event(mut self, index: usize) -> Self {
        self.event.get_or_insert(index);
        self
    }
}

impl fmt::Display for EpcisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.event {
            Some(i) => write!(f, "{}: event {i}: {}", self.code(), self.message),
            None => write!(f, "{}: {}", self.code(), self.message),
        }
    }
}

pub(crate) fn err<T>(kind: ErrorCode, message: impl Into<String>) -> Result<T, EpcisError> {
    Err(EpcisError::new(kind, message))
}
