//! GS1 identifiers: Digital Link URIs and element strings as scanned from QR codes and
//! hardware scanners, check digits, the canonical key form used everywhere in the ledger.
//!
//! PLACEHOLDER: the full parser lands in a follow-up commit; only the types are fixed here.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// A GS1 key naming a thing the ledger tracks, or a place.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize, Serialize)]
pub enum Gs1Key {
    /// A product class (GTIN alone), e.g. `/01/09506000134352`.
    Gtin {
        /// 14 digits, check digit verified.
        gtin: String,
    },
    /// A serialized item: `/01/{gtin14}/21/{serial}`.
    Serial {
        /// 14 digits.
        gtin: String,
        /// GS1 AI 21 value: 1–20 characters of GS1 character set 82.
        serial: String,
    },
    /// A lot/batch of a product: `/01/{gtin14}/10/{lot}`.
    Lot {
        /// 14 digits.
        gtin: String,
        /// GS1 AI 10 value: 1–20 characters of GS1 character set 82.
        lot: String,
    },
    /// A logistics unit (pallet, case): `/00/{sscc}`.
    Sscc {
        /// 18 digits, check digit verified.
        sscc: String,
    },
    /// A location: `/414/{gln}` with optional `/254/{extension}`.
    Gln {
        /// 13 digits, check digit verified.
        gln: String,
        /// GS1 AI 254 value, 1–20 characters of character set 82.
        extension: Option<String>,
    },
}
