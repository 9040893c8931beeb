//! GS1 identifiers: Digital Link URIs and element strings as scanned from QR codes and
//! hardware scanners, check digits, the canonical key form used everywhere in the ledger.
//!
//! PLACEHOLDER: the full parser lands in a follow-up commit; only the types are fixed here.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// A GS1 key naming a thing the ledger tracks, or a place.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize, Serialize,
)]
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

// Interim minimal implementation; replaced by the full parser.
/// A parsed scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scan {
    /// Key.
    pub key: Gs1Key,
    /// CPV.
    pub cpv: Option<String>,
    /// Quantity.
    pub quantity: Option<u64>,
    /// Expiry.
    pub expiry: Option<String>,
    /// Other AIs.
    pub attributes: Vec<(String, String)>,
}
/// Error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScanError {
    /// Stable code.
    pub code: ScanErrorCode,
    /// Message.
    pub message: String,
}
/// Stable codes of scan errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScanErrorCode {
    /// The scan does not have the structure of any accepted form.
    BadStructure,
}
impl ScanErrorCode {
    /// The stable code string.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanErrorCode::BadStructure => "SCAN_BAD_STRUCTURE",
        }
    }
}
fn err(m: &str) -> ScanError {
    ScanError {
        code: ScanErrorCode::BadStructure,
        message: m.into(),
    }
}
/// Parse.
pub fn parse_scan(input: &str) -> Result<Scan, ScanError> {
    let key = Gs1Key::from_canonical(input.trim())?;
    Ok(Scan {
        key,
        cpv: None,
        quantity: None,
        expiry: None,
        attributes: vec![],
    })
}
/// Check digit.
pub fn has_valid_check_digit(d: &str) -> bool {
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let b = d.as_bytes();
    let mut sum = 0u32;
    for (i, c) in b[..b.len() - 1].iter().rev().enumerate() {
        let v = u32::from(c - b'0');
        sum += if i % 2 == 0 { v * 3 } else { v };
    }
    (10 - sum % 10) % 10 == u32::from(b[b.len() - 1] - b'0')
}
/// Prefix.
pub fn valid_company_prefix(p: &str) -> bool {
    (6..=12).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
}
/// GTIN in prefix.
pub fn gtin_in_prefix(g: &str, p: &str) -> bool {
    g.len() == 14 && g[1..].starts_with(p)
}
/// Normalize.
pub fn normalize_gtin(s: &str) -> Result<String, ScanError> {
    if ![8, 12, 13, 14].contains(&s.len()) || !has_valid_check_digit(s) {
        return Err(err("bad gtin"));
    }
    Ok(format!("{s:0>14}"))
}
impl Gs1Key {
    /// Canonical.
    pub fn canonical(&self) -> String {
        match self {
            Gs1Key::Gtin { gtin } => format!("/01/{gtin}"),
            Gs1Key::Serial { gtin, serial } => format!("/01/{gtin}/21/{serial}"),
            Gs1Key::Lot { gtin, lot } => format!("/01/{gtin}/10/{lot}"),
            Gs1Key::Sscc { sscc } => format!("/00/{sscc}"),
            Gs1Key::Gln { gln, .. } => format!("/414/{gln}"),
        }
    }
    /// From canonical.
    pub fn from_canonical(s: &str) -> Result<Gs1Key, ScanError> {
        let p: Vec<&str> = s.trim_start_matches('/').split('/').collect();
        let k = match p.as_slice() {
            ["01", g, "21", s] => Gs1Key::Serial {
                gtin: normalize_gtin(g)?,
                serial: s.to_string(),
            },
            ["01", g, "10", l] => Gs1Key::Lot {
                gtin: normalize_gtin(g)?,
                lot: l.to_string(),
            },
            ["01", g] => Gs1Key::Gtin {
                gtin: normalize_gtin(g)?,
            },
            ["00", s] => Gs1Key::Sscc {
                sscc: s.to_string(),
            },
            ["414", g] => Gs1Key::Gln {
                gln: g.to_string(),
                extension: None,
            },
            _ => return Err(err("bad")),
        };
        k.validate()?;
        Ok(k)
    }
    /// Validate.
    pub fn validate(&self) -> Result<(), ScanError> {
        let ok = match self {
            Gs1Key::Gtin { gtin } => gtin.len() == 14 && has_valid_check_digit(gtin),
            Gs1Key::Serial { gtin, serial: s } | Gs1Key::Lot { gtin, lot: s } => {
                gtin.len() == 14
                    && has_valid_check_digit(gtin)
                    && !s.is_empty()
                    && s.len() <= 20
                    && s.bytes().all(|b| b.is_ascii_graphic())
            }
            Gs1Key::Sscc { sscc } => sscc.len() == 18 && has_valid_check_digit(sscc),
            Gs1Key::Gln { gln, .. } => gln.len() == 13 && has_valid_check_digit(gln),
        };
        if ok { Ok(()) } else { Err(err("invalid key")) }
    }
    /// GTIN.
    pub fn gtin(&self) -> Option<&str> {
        match self {
            Gs1Key::Gtin { gtin } | Gs1Key::Serial { gtin, .. } | Gs1Key::Lot { gtin, .. } => {
                Some(gtin)
            }
            _ => None,
        }
    }
    /// Digital link.
    pub fn digital_link(&self, base: &str) -> String {
        format!("{}{}", base.trim_end_matches('/'), self.canonical())
    }
}
/// The check digit for `digits` (the key without its check digit), or `None` if not all digits.
pub fn check_digit(digits: &str) -> Option<u8> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let v = u32::from(c - b'0');
        sum += if i % 2 == 0 { v * 3 } else { v };
    }
    Some(((10 - sum % 10) % 10) as u8)
}
