//! GS1 identifiers: Digital Link URIs and element strings as scanned from QR codes and
//! hardware scanners, check digits, and the canonical key form used everywhere in the
//! ledger.
//!
//! Accepted forms (all give the same [`Gs1Key`]):
//! - Digital Link URIs on any host and under any path prefix, with percent-encoding and
//!   query attributes: `https://example.com/shop/01/09506000134352/21/ABC%2F1?17=261231`;
//!   a bare path such as the canonical `/01/09506000134352/21/ABC` is accepted too;
//! - parenthesised element strings (the human-readable text under a barcode):
//!   `(01)09506000134352(21)ABC`;
//! - raw element strings as hardware scanners send them, with FNC1 transmitted as GS
//!   (0x1D) or a configured substitute, and an optional symbology identifier
//!   (`]C1` GS1-128, `]e0` DataBar, `]d2` DataMatrix, `]Q3` QR, `]J1` DotCode):
//!   `]d20109506000134352` `21ABC` GS `17261231`;
//! - a plain EAN/UPC number (8, 12, 13 or 14 digits) names a product class.
//!
//! Every value is checked against the AI table ([`ai`]): characters, lengths, check
//! digits, dates. A malformed scan is a [`ScanError`] with a stable code and a message
//! that says what is wrong, never a silent lookup miss.

pub mod ai;
pub mod resolve;

use ai::{AiSpec, Charset, Role};
use borsh::{BorshDeserialize, BorshSerialize};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;
use std::fmt;

/// The longest scan accepted, in bytes. A QR code can carry more, but no GS1 label does;
/// anything longer is rejected before parsing.
pub const MAX_SCAN_LEN: usize = 1024;

/// The GS1 FNC1 separator as scanners transmit it (ASCII group separator).
pub const GS: char = '\u{1d}';

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

/// The form a scan arrived in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanForm {
    /// A GS1 Digital Link URI or bare path.
    DigitalLink,
    /// `(01)…(21)…`.
    Parenthesised,
    /// Raw AIs with FNC1/GS separators, possibly with a symbology identifier.
    ElementString,
    /// A plain EAN/UPC/GTIN number.
    Gtin,
}

/// A parsed scan: the key plus what else the code said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scan {
    /// The item, lot, pallet, product or place the code names.
    pub key: Gs1Key,
    /// The lot (AI 10) of a serialized item or of a lot key; a lot beside an SSCC is the
    /// lot of the pallet's content and stays in `attributes` only.
    pub lot: Option<String>,
    /// Consumer product variant (AI 22).
    pub cpv: Option<String>,
    /// A count printed on the code: AI 30 (variable count) or AI 37 (count of trade items).
    pub quantity: Option<u64>,
    /// Expiry date YYMMDD (AI 17); day `00` means the end of the month.
    pub expiry: Option<String>,
    /// Every AI the code carries besides the parts of `key`, in scan order, as (AI,
    /// value): the lot (10) of a serialized item, dates (11, 15, 17…), CPV (22), counts
    /// (30, 37), measures (310n…) and any other AI of the table. Nothing a label says is
    /// dropped; the fields above are conveniences over this list.
    pub attributes: Vec<(String, String)>,
    /// How the code was written.
    pub form: ScanForm,
}

/// Why a scan was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScanError {
    /// Stable code.
    pub code: ScanErrorCode,
    /// What is wrong, for people.
    pub message: String,
}

macro_rules! scan_codes {
    ($($(#[$m:meta])* $v:ident => $s:literal),* $(,)?) => {
        /// Stable codes of scan errors.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ScanErrorCode { $($(#[$m])* $v),* }
        impl ScanErrorCode {
            /// Every code.
            pub const ALL: &'static [ScanErrorCode] = &[$(ScanErrorCode::$v),*];
            /// The stable code string.
            pub fn as_str(self) -> &'static str {
                match self { $(ScanErrorCode::$v => $s),* }
            }
        }
    };
}

scan_codes! {
    /// Nothing was scanned.
    Empty => "SCAN_EMPTY",
    /// Longer than [`MAX_SCAN_LEN`].
    TooLong => "SCAN_TOO_LONG",
    /// Not a Digital Link URI or element string, or its parts are out of place.
    BadStructure => "SCAN_BAD_STRUCTURE",
    /// An Application Identifier Handoff does not know.
    UnknownAi => "SCAN_UNKNOWN_AI",
    /// A value is too short or too long for its AI.
    BadLength => "SCAN_BAD_LENGTH",
    /// A character not allowed in its AI's value.
    BadCharacter => "SCAN_BAD_CHARACTER",
    /// A GS1 mod-10 check digit does not match.
    BadCheckDigit => "SCAN_BAD_CHECK_DIGIT",
    /// A date or time that does not exist.
    BadDate => "SCAN_BAD_DATE",
    /// A value that is well-formed but meaningless (an all-zero key, a zero count).
    BadValue => "SCAN_BAD_VALUE",
    /// The same AI twice with different values.
    DuplicateAi => "SCAN_DUPLICATE_AI",
    /// Broken percent-encoding in a Digital Link: a `%` not followed by two hex digits.
    BadEncoding => "SCAN_BAD_ENCODING",
    /// No GS1 key Handoff tracks (GTIN, SSCC, GLN).
    NoKey => "SCAN_NO_KEY",
    /// A GS1 key of a kind Handoff does not track (GRAI, GIAI, GSRN…).
    UnsupportedKey => "SCAN_UNSUPPORTED_KEY",
    /// Two different primary keys in one code.
    ConflictingKeys => "SCAN_CONFLICTING_KEYS",
    /// AIs that may not appear together, or one missing the AI it needs.
    BadCombination => "SCAN_BAD_COMBINATION",
}

impl fmt::Display for ScanErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn fail<T>(code: ScanErrorCode, message: impl Into<String>) -> Result<T, ScanError> {
    Err(ScanError {
        code,
        message: message.into(),
    })
}

/// How the scanner in front of Handoff sends codes.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// A printable character a keyboard-wedge scanner was configured to send in place of
    /// FNC1/GS (some cannot type control characters), e.g. `'^'` or `'~'`. Only used in
    /// raw element strings; it must not be a character the labels' values use.
    pub fnc1_substitute: Option<char>,
}

/// Parses a scanned code with default options.
pub fn parse_scan(input: &str) -> Result<Scan, ScanError> {
    parse_scan_with(input, &ScanOptions::default())
}

/// Parses a scanned code.
pub fn parse_scan_with(input: &str, opts: &ScanOptions) -> Result<Scan, ScanError> {
    use ScanErrorCode as C;
    if input.len() > MAX_SCAN_LEN {
        return fail(
            C::TooLong,
            format!(
                "the scan is {} bytes, more than the {MAX_SCAN_LEN} any GS1 label holds",
                input.len()
            ),
        );
    }
    // Keyboard wedges end with Enter; copy-paste adds spaces. GS is not whitespace.
    let s = input.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if s.is_empty() {
        return fail(C::Empty, "nothing was scanned");
    }
    let (form, elements) = split_any(s, opts)?;
    assemble(form, elements)
}

/// Splits a scan of any accepted form into (AI, value) elements.
fn split_any(s: &str, opts: &ScanOptions) -> Result<(ScanForm, Vec<Element>), ScanError> {
    use ScanErrorCode as C;
    if let Some(rest) = s.strip_prefix(']') {
        let (id, body) = match (rest.get(..2), rest.get(2..)) {
            (Some(id), Some(body)) => (id, body),
            _ => {
                return fail(
                    C::BadStructure,
                    format!("'{s}' is a cut-off symbology identifier"),
                );
            }
        };
        return match id {
            "C1" | "e0" | "d2" | "Q3" | "J1" => {
                Ok((ScanForm::ElementString, split_raw(body, opts)?))
            }
            "E0" | "E3" | "E4" | "X0" => split_bare_gtin(body).map(|e| (ScanForm::Gtin, e)),
            "Q1" | "d1" | "Q0" | "d0" | "J0" => {
                // Plain text symbols: a QR code carrying a Digital Link URI.
                if body.starts_with(']') {
                    return fail(C::BadStructure, "two symbology identifiers in one scan");
                }
                split_any(body, opts)
            }
            _ => fail(
                C::BadStructure,
                format!(
                    "]{id} is not the symbology identifier of a GS1 code (expected ]C1, ]e0, ]d2, ]Q3 or ]J1)"
                ),
            ),
        };
    }
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok((ScanForm::DigitalLink, split_uri(s)?));
    }
    if s.starts_with('/') {
        return Ok((ScanForm::DigitalLink, split_path_query(s)?));
    }
    if s.starts_with('(') {
        return Ok((ScanForm::Parenthesised, split_parenthesised(s)?));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && matches!(s.len(), 8 | 12 | 13 | 14) {
        return Ok((ScanForm::Gtin, split_bare_gtin(s)?));
    }
    let first = s.chars().next().unwrap_or(' ');
    if first.is_ascii_digit() || first == GS || Some(first) == opts.fnc1_substitute {
        return Ok((ScanForm::ElementString, split_raw(s, opts)?));
    }
    fail(
        C::BadStructure,
        "not a GS1 code: expected a Digital Link URI (https://…/01/…), an element string \
         ((01)… or 01…) or a GTIN number",
    )
}

/// One AI and its (decoded) value.
#[derive(Clone, Debug)]
struct Element {
    ai: String,
    spec: AiSpec,
    value: String,
}

fn spec_for(ai: &str) -> Result<AiSpec, ScanError> {
    if !ai.bytes().all(|b| b.is_ascii_digit()) || !(2..=4).contains(&ai.len()) {
        return fail(
            ScanErrorCode::BadStructure,
            format!("'{ai}' is not an Application Identifier"),
        );
    }
    ai::lookup(ai).map_or_else(
        || {
            fail(
                ScanErrorCode::UnknownAi,
                format!("unknown Application Identifier ({ai})"),
            )
        },
        Ok,
    )
}

fn split_bare_gtin(s: &str) -> Result<Vec<Element>, ScanError> {
    if !s.bytes().all(|b| b.is_ascii_digit()) || !matches!(s.len(), 8 | 12 | 13 | 14) {
        return fail(
            ScanErrorCode::BadLength,
            format!("a GTIN has 8, 12, 13 or 14 digits, not '{s}'"),
        );
    }
    Ok(vec![element("01", pad_gtin(s))?])
}

fn element(ai: &str, value: String) -> Result<Element, ScanError> {
    Ok(Element {
        ai: ai.to_string(),
        spec: spec_for(ai)?,
        value,
    })
}

/// GTIN-8/12/13 written without leading zeros (allowed in a Digital Link and as a bare
/// EAN/UPC number, never in an element string) become GTIN-14.
fn pad_gtin(v: &str) -> String {
    if matches!(v.len(), 8 | 12 | 13) && v.bytes().all(|b| b.is_ascii_digit()) {
        format!("{v:0>14}")
    } else {
        v.to_string()
    }
}

/// Raw element string: AIs back to back; a variable-length value ends at GS or the end.
fn split_raw(body: &str, opts: &ScanOptions) -> Result<Vec<Element>, ScanError> {
    use ScanErrorCode as C;
    let is_sep = |c: char| c == GS || c == '\u{241d}' || Some(c) == opts.fnc1_substitute;
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        if is_sep(c) {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let Some((ai, spec)) = ai::find_prefix(rest) else {
            let head: String = rest.chars().take(6).collect();
            let code = if head.chars().take(2).all(|c| c.is_ascii_digit()) && head.len() >= 2 {
                C::UnknownAi
            } else {
                C::BadStructure
            };
            return fail(
                code,
                format!(
                    "no known Application Identifier at '{head}…' (position {})",
                    body.len() - rest.len() + 1
                ),
            );
        };
        let after = &rest[ai.len()..];
        let end = after.find(is_sep).unwrap_or(after.len());
        let len = if ai::predefined_length(ai) {
            // Predefined length: exactly max characters (fewer only before a separator,
            // which the length check then reports).
            after[..end]
                .char_indices()
                .nth(usize::from(spec.max))
                .map_or(end, |(i, _)| i)
        } else {
            end
        };
        let value = &after[..len];
        if !ai::predefined_length(ai) && value.chars().count() > usize::from(spec.max) {
            return fail(
                C::BadLength,
                format!(
                    "{} (AI {ai}) '{value}' is longer than {} characters; is an FNC1/GS separator missing after it?",
                    spec.title, spec.max
                ),
            );
        }
        out.push(Element {
            ai: ai.to_string(),
            spec,
            value: value.to_string(),
        });
        rest = &after[len..];
    }
    if out.is_empty() {
        return fail(C::Empty, "the scan holds only separators");
    }
    Ok(out)
}

/// `(01)09506000134352(21)ABC`: a value runs to the next `(` that opens a 2–4 digit AI.
fn split_parenthesised(s: &str) -> Result<Vec<Element>, ScanError> {
    use ScanErrorCode as C;
    let opens_ai = |t: &str| -> Option<usize> {
        let inner = t.strip_prefix('(')?;
        let close = inner.find(')')?;
        let ai = &inner[..close];
        ((2..=4).contains(&ai.len()) && ai.bytes().all(|b| b.is_ascii_digit())).then_some(close)
    };
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let Some(close) = opens_ai(rest) else {
            let head: String = rest.chars().take(8).collect();
            return fail(C::BadStructure, format!("expected '(AI)' at '{head}'"));
        };
        let ai = &rest[1..=close];
        let after = &rest[close + 2..];
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            if c == '(' && opens_ai(&after[i..]).is_some() {
                end = i;
                break;
            }
        }
        let value = after[..end].trim().to_string();
        if matches!(ai, "01" | "02")
            && matches!(value.len(), 8 | 12 | 13)
            && value.bytes().all(|b| b.is_ascii_digit())
        {
            // Only a Digital Link may shorten a GTIN; in an element string (01) and (02)
            // are fixed at 14 digits, and a label printing fewer is misprinted.
            return fail(
                C::BadLength,
                format!(
                    "GTIN (AI {ai}) has exactly 14 digits in an element string, '{value}' has {}; \
                     a GTIN-{} is written with leading zeros: {value:0>14}",
                    value.len(),
                    value.len()
                ),
            );
        }
        out.push(element(ai, value)?);
        rest = &after[end..];
    }
    Ok(out)
}

const URI_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn decode_component(raw: &str, what: &str) -> Result<String, ScanError> {
    // `percent_decode_str` passes a `%` without two hex digits through as text; a URI
    // holding one is broken (RFC 3986 §2.1), and reading it literally would name a
    // different item than the label meant.
    let bytes = raw.as_bytes();
    for (i, _) in raw.match_indices('%') {
        let hex = bytes.get(i + 1..i + 3);
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            let got: String = raw[i..].chars().take(3).collect();
            return fail(
                ScanErrorCode::BadEncoding,
                format!(
                    "{what} '{raw}' has broken percent-encoding at position {}: '{got}' is not \
                     '%' followed by two hex digits (a literal % is written %25)",
                    i + 1
                ),
            );
        }
    }
    percent_decode_str(raw)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| ScanError {
            code: ScanErrorCode::BadCharacter,
            message: format!("{what} '{raw}' is not valid percent-encoded UTF-8"),
        })
}

/// `http(s)://host/any/prefix/01/{gtin}[/22/..][/10/..][/21/..][?17=..&..]`.
fn split_uri(s: &str) -> Result<Vec<Element>, ScanError> {
    let after_scheme = &s[s.find("://").map_or(0, |i| i + 3)..];
    let host_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let host = &after_scheme[..host_end];
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]@_~%".contains(c))
    {
        return fail(
            ScanErrorCode::BadStructure,
            format!("'{host}' is not a valid host name"),
        );
    }
    split_path_query(&after_scheme[host_end..])
}

/// Digital Link convenience names (GS1 Digital Link 1.1), still printed on some labels.
fn ai_alias(seg: &str) -> &str {
    match seg {
        "gtin" => "01",
        "cpv" => "22",
        "lot" => "10",
        "ser" => "21",
        "sscc" => "00",
        "gln" => "414",
        "glnx" => "254",
        "exp" => "17",
        other => other,
    }
}

/// The key qualifiers allowed after a primary key in a Digital Link path, in order.
fn qualifiers(primary: &str) -> Option<&'static [&'static str]> {
    Some(match primary {
        "01" | "8006" => &["22", "10", "21"],
        "414" => &["254"],
        "8010" => &["8011"],
        "8017" | "8018" => &["8019"],
        "00" | "253" | "255" | "401" | "402" | "417" | "8003" | "8004" | "8013" => &[],
        _ => return None,
    })
}

fn split_path_query(pq: &str) -> Result<Vec<Element>, ScanError> {
    use ScanErrorCode as C;
    let pq = pq.split('#').next().unwrap_or("");
    let (path, query) = pq.split_once('?').unwrap_or((pq, ""));
    let segs: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
    let fits = |i: usize| -> bool {
        let Some(quals) = qualifiers(ai_alias(segs[i])) else {
            return false;
        };
        if !(segs.len() - i).is_multiple_of(2) {
            return false;
        }
        let mut next = 0;
        segs[i + 2..].chunks(2).all(|pair| {
            match quals[next..].iter().position(|q| *q == ai_alias(pair[0])) {
                Some(p) => {
                    next += p + 1;
                    true
                }
                None => false,
            }
        })
    };
    let candidates: Vec<usize> = (0..segs.len())
        .filter(|&i| qualifiers(ai_alias(segs[i])).is_some())
        .collect();
    let Some(&start) = candidates.iter().find(|&&i| fits(i)) else {
        let Some(&i) = candidates.first() else {
            return fail(
                C::NoKey,
                "no GS1 key in the path: expected /01/{GTIN}, /00/{SSCC} or /414/{GLN}",
            );
        };
        let primary = ai_alias(segs[i]);
        if i + 1 == segs.len() {
            return fail(C::BadStructure, format!("/{primary}/ has no value"));
        }
        let order = qualifiers(primary).unwrap_or(&[]).join(", ");
        return fail(
            C::BadStructure,
            format!(
                "after /{primary}/{{value}} the path may only hold key qualifiers {}",
                if order.is_empty() {
                    "(none for this key)".to_string()
                } else {
                    format!("in the order {order}")
                }
            ),
        );
    };
    let mut out = Vec::new();
    for pair in segs[start..].chunks(2) {
        let ai = ai_alias(pair[0]);
        let mut value = decode_component(pair[1], &format!("the value of AI {ai}"))?;
        if ai == "01" {
            value = pad_gtin(&value);
        }
        out.push(element(ai, value)?);
    }
    for part in query.split(['&', ';']).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = ai_alias(k);
        if !k.bytes().all(|b| b.is_ascii_digit()) {
            continue; // linkType, context and other non-GS1 parameters
        }
        let spec = spec_for(k)?;
        if spec.role != Role::Data || ["21", "10", "22", "254", "8011", "8019"].contains(&k) {
            return fail(
                C::BadStructure,
                format!(
                    "{} (AI {k}) belongs in the path of a Digital Link, not its query",
                    spec.title
                ),
            );
        }
        let value = decode_component(v, &format!("the value of AI {k}"))?;
        out.push(Element {
            ai: k.to_string(),
            spec,
            value,
        });
    }
    Ok(out)
}

/// Validates each element and builds the scan.
fn assemble(form: ScanForm, elements: Vec<Element>) -> Result<Scan, ScanError> {
    use ScanErrorCode as C;
    let mut seen: Vec<Element> = Vec::with_capacity(elements.len());
    for e in elements {
        validate_value(&e.ai, &e.spec, &e.value)?;
        if let Some(prev) = seen.iter().find(|p| p.ai == e.ai) {
            if prev.value != e.value {
                return fail(
                    C::DuplicateAi,
                    format!(
                        "AI {} appears twice with different values '{}' and '{}'",
                        e.ai, prev.value, e.value
                    ),
                );
            }
            continue;
        }
        seen.push(e);
    }
    let get = |ai: &str| seen.iter().find(|e| e.ai == ai).map(|e| e.value.clone());
    let keys: Vec<&Element> = seen.iter().filter(|e| e.spec.role == Role::Key).collect();
    if keys.len() > 1 {
        let names: Vec<String> = keys
            .iter()
            .map(|k| format!("{} (AI {})", k.spec.title, k.ai))
            .collect();
        return fail(
            C::ConflictingKeys,
            format!("one code names two things: {}", names.join(" and ")),
        );
    }
    let needs = |ai: &str, what: &str, any_of: &[&str]| -> Result<(), ScanError> {
        if seen.iter().any(|e| e.ai == ai)
            && !any_of.iter().any(|a| seen.iter().any(|e| e.ai == *a))
        {
            let code = if keys.is_empty() {
                C::NoKey
            } else {
                C::BadCombination
            };
            return fail(
                code,
                format!(
                    "{what} (AI {ai}) needs a {}",
                    match any_of {
                        ["01"] => "GTIN (AI 01)".to_string(),
                        ["01", "02"] => "GTIN (AI 01 or 02)".to_string(),
                        other => format!("AI {}", other.join(" or ")),
                    }
                ),
            );
        }
        Ok(())
    };
    needs("21", "a serial number", &["01", "8006"])?;
    needs("22", "a consumer product variant", &["01", "8006"])?;
    needs("10", "a lot number", &["01", "02", "8006", "8026"])?;
    needs("254", "a GLN extension", &["414"])?;
    if get("01").is_some() && get("02").is_some() {
        return fail(
            C::BadCombination,
            "a GTIN (AI 01) and a content GTIN (AI 02) cannot be in one code",
        );
    }
    let Some(key_el) = keys.first() else {
        if let Some(other) = seen.iter().find(|e| e.spec.role == Role::OtherKey) {
            return fail(
                C::UnsupportedKey,
                format!(
                    "{} (AI {}) is a GS1 key Handoff does not track; it tracks GTIN (01), SSCC (00) and GLN (414)",
                    other.spec.title, other.ai
                ),
            );
        }
        return fail(
            C::NoKey,
            "no GS1 key in the scan: expected a GTIN (01), SSCC (00) or GLN (414)",
        );
    };
    let key = match key_el.ai.as_str() {
        "01" => {
            let gtin = key_el.value.clone();
            match (get("21"), get("10")) {
                (Some(serial), _) => Gs1Key::Serial { gtin, serial },
                (None, Some(lot)) => Gs1Key::Lot { gtin, lot },
                (None, None) => Gs1Key::Gtin { gtin },
            }
        }
        "00" => Gs1Key::Sscc {
            sscc: key_el.value.clone(),
        },
        _ => Gs1Key::Gln {
            gln: key_el.value.clone(),
            extension: get("254"),
        },
    };
    let count = |ai: &str| -> Result<Option<u64>, ScanError> {
        match get(ai) {
            None => Ok(None),
            Some(v) => match v.parse::<u64>() {
                Ok(0) | Err(_) => fail(
                    C::BadValue,
                    format!("a count (AI {ai}) of '{v}' is not a positive number"),
                ),
                Ok(n) => Ok(Some(n)),
            },
        }
    };
    let quantity = match (count("30")?, count("37")?) {
        (Some(a), Some(b)) if a != b => {
            return fail(
                C::BadCombination,
                format!("two different counts: {a} (AI 30) and {b} (AI 37)"),
            );
        }
        (a, b) => a.or(b),
    };
    // The AIs that make up the key; everything else the code says is kept.
    let key_parts: &[&str] = match &key {
        Gs1Key::Serial { .. } => &["01", "21"],
        Gs1Key::Lot { .. } => &["01", "10"],
        Gs1Key::Gtin { .. } => &["01"],
        Gs1Key::Sscc { .. } => &["00"],
        Gs1Key::Gln { .. } => &["414", "254"],
    };
    let lot = match &key {
        Gs1Key::Serial { .. } | Gs1Key::Lot { .. } => get("10"),
        _ => None,
    };
    let scan = Scan {
        lot,
        cpv: get("22"),
        quantity,
        expiry: get("17"),
        attributes: seen
            .iter()
            .filter(|e| !key_parts.contains(&e.ai.as_str()))
            .map(|e| (e.ai.clone(), e.value.clone()))
            .collect(),
        key,
        form,
    };
    scan.key.validate()?;
    Ok(scan)
}

/// Checks one AI's value against the AI table (characters, length, check digit, date),
/// e.g. a lot given apart from any key.
pub fn validate_ai(ai: &str, value: &str) -> Result<(), ScanError> {
    validate_value(ai, &spec_for(ai)?, value)
}

fn validate_value(ai: &str, spec: &AiSpec, v: &str) -> Result<(), ScanError> {
    use ScanErrorCode as C;
    let name = format!("{} (AI {ai})", spec.title);
    if let Some(c) = v.chars().find(|&c| match spec.charset {
        Charset::Numeric => !c.is_ascii_digit(),
        Charset::Cset82 => !ai::is_cset82(c),
        Charset::Cset39 => !ai::is_cset39(c),
    }) {
        let what = if spec.charset == Charset::Numeric {
            "only digits are allowed"
        } else {
            "not a GS1 character"
        };
        return fail(
            C::BadCharacter,
            format!("{name} '{v}' has {}: {what}", describe_char(c)),
        );
    }
    let n = v.chars().count();
    if n < usize::from(spec.min) || n > usize::from(spec.max) {
        let want = if spec.min == spec.max {
            format!("exactly {}", spec.min)
        } else {
            format!("{} to {}", spec.min, spec.max)
        };
        let unit = if spec.charset == Charset::Numeric {
            "digits"
        } else {
            "characters"
        };
        return fail(
            C::BadLength,
            format!("{name} must have {want} {unit}, '{v}' has {n}"),
        );
    }
    if spec.check_len > 0 {
        let body = &v[..usize::from(spec.check_len)];
        if !body.bytes().all(|b| b.is_ascii_digit()) {
            return fail(
                C::BadCharacter,
                format!("{name} '{v}' must start with {} digits", spec.check_len),
            );
        }
        if !has_valid_check_digit(body) {
            let want = check_digit(&body[..body.len() - 1]).unwrap_or(0);
            return fail(
                C::BadCheckDigit,
                format!("{name} {body} has a wrong check digit: the last digit should be {want}"),
            );
        }
        if body.bytes().all(|b| b == b'0') {
            return fail(
                C::BadValue,
                format!("{name} {body} is all zeros, which GS1 never assigns"),
            );
        }
    }
    if spec.date {
        check_date_time(ai, v).map_err(|why| ScanError {
            code: C::BadDate,
            message: format!("{name} '{v}' is not a real date: {why}"),
        })?;
    }
    Ok(())
}

fn describe_char(c: char) -> String {
    if c.is_control() {
        format!("the control character U+{:04X}", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

fn two(v: &str, at: usize) -> u32 {
    v.get(at..at + 2).and_then(|s| s.parse().ok()).unwrap_or(99)
}

/// YYMMDD (DD `00` = month only), then for some AIs HH, MM, SS or a second date.
fn check_date_time(ai: &str, v: &str) -> Result<(), String> {
    check_date(v)?;
    if ai == "7007" && v.len() == 12 {
        return check_date(&v[6..]);
    }
    if v.len() >= 8 && two(v, 6) > 23 {
        return Err("hour past 23".into());
    }
    for at in [8, 10] {
        if v.len() >= at + 2 && two(v, at) > 59 {
            return Err("minutes or seconds past 59".into());
        }
    }
    if !matches!(v.len(), 6 | 8 | 10 | 12) {
        return Err("incomplete time".into());
    }
    Ok(())
}

fn check_date(v: &str) -> Result<(), String> {
    let (yy, mm, dd) = (two(v, 0), two(v, 2), two(v, 4));
    if !(1..=12).contains(&mm) {
        return Err(format!("month {mm:02}"));
    }
    // GS1's sliding century window only matters for leap years, and 2000 was one.
    let leap = yy % 4 == 0;
    let days = match mm {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if dd > days {
        return Err(format!("day {dd:02} of month {mm:02}"));
    }
    Ok(())
}

/// Whether the last digit of `d` is its GS1 mod-10 check digit.
pub fn has_valid_check_digit(d: &str) -> bool {
    let Some((body, last)) = d.len().checked_sub(1).map(|n| (&d[..n], &d[n..])) else {
        return false;
    };
    match (check_digit(body), last.parse::<u8>()) {
        (Some(want), Ok(got)) => want == got,
        _ => false,
    }
}

/// The GS1 mod-10 check digit for `digits` (the key without its check digit), or `None`
/// if empty or not all digits.
pub fn check_digit(digits: &str) -> Option<u8> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| u32::from(c - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    u8::try_from((10 - sum % 10) % 10).ok()
}

/// Whether `p` looks like a GS1 company prefix (6 to 12 digits).
pub fn valid_company_prefix(p: &str) -> bool {
    (6..=12).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a GTIN-14 falls under company prefix `p` (after its indicator digit).
pub fn gtin_in_prefix(gtin14: &str, p: &str) -> bool {
    gtin14.len() == 14 && gtin14[1..].starts_with(p)
}

/// Whether an SSCC falls under company prefix `p` (after its extension digit).
pub fn sscc_in_prefix(sscc: &str, p: &str) -> bool {
    sscc.len() == 18 && sscc[1..].starts_with(p)
}

/// Whether a GLN falls under company prefix `p`.
pub fn gln_in_prefix(gln: &str, p: &str) -> bool {
    gln.len() == 13 && gln.starts_with(p)
}

/// A GTIN-8/12/13/14 as the 14-digit form, check digit verified.
pub fn normalize_gtin(s: &str) -> Result<String, ScanError> {
    let spec = ai::lookup("01").ok_or_else(|| ScanError {
        code: ScanErrorCode::UnknownAi,
        message: "GTIN (AI 01) missing from the AI table".into(),
    })?;
    if !s.bytes().all(|b| b.is_ascii_digit()) || !matches!(s.len(), 8 | 12 | 13 | 14) {
        return fail(
            if s.bytes().all(|b| b.is_ascii_digit()) {
                ScanErrorCode::BadLength
            } else {
                ScanErrorCode::BadCharacter
            },
            format!("a GTIN has 8, 12, 13 or 14 digits, not '{s}'"),
        );
    }
    let g = pad_gtin(s);
    validate_value("01", &spec, &g)?;
    Ok(g)
}

fn esc(v: &str) -> String {
    utf8_percent_encode(v, URI_ESCAPE).to_string()
}

impl Gs1Key {
    /// The canonical form, used as the item's name everywhere: a Digital Link path
    /// (`/01/{gtin14}/21/{serial}`, `/01/{gtin14}/10/{lot}`, `/00/{sscc}`,
    /// `/414/{gln}[/254/{ext}]`) with values percent-encoded where URI syntax needs it.
    pub fn canonical(&self) -> String {
        match self {
            Gs1Key::Gtin { gtin } => format!("/01/{gtin}"),
            Gs1Key::Serial { gtin, serial } => format!("/01/{gtin}/21/{}", esc(serial)),
            Gs1Key::Lot { gtin, lot } => format!("/01/{gtin}/10/{}", esc(lot)),
            Gs1Key::Sscc { sscc } => format!("/00/{sscc}"),
            Gs1Key::Gln {
                gln,
                extension: None,
            } => format!("/414/{gln}"),
            Gs1Key::Gln {
                gln,
                extension: Some(x),
            } => format!("/414/{gln}/254/{}", esc(x)),
        }
    }

    /// Parses the canonical form (or any Digital Link path naming a key).
    pub fn from_canonical(s: &str) -> Result<Gs1Key, ScanError> {
        if !s.starts_with('/') {
            return fail(
                ScanErrorCode::BadStructure,
                format!("'{s}' is not a canonical key (it starts with /)"),
            );
        }
        parse_scan(s).map(|sc| sc.key)
    }

    /// The AI of the primary key: `01`, `00` or `414`.
    pub fn ai(&self) -> &'static str {
        match self {
            Gs1Key::Gtin { .. } | Gs1Key::Serial { .. } | Gs1Key::Lot { .. } => "01",
            Gs1Key::Sscc { .. } => "00",
            Gs1Key::Gln { .. } => "414",
        }
    }

    /// Checks every part against the AI table (for keys that did not come from a scan,
    /// e.g. decoded from a transaction).
    pub fn validate(&self) -> Result<(), ScanError> {
        let mut parts: Vec<(&str, &str)> = Vec::with_capacity(2);
        match self {
            Gs1Key::Gtin { gtin } => parts.push(("01", gtin)),
            Gs1Key::Serial { gtin, serial } => {
                parts.extend([("01", gtin.as_str()), ("21", serial)])
            }
            Gs1Key::Lot { gtin, lot } => parts.extend([("01", gtin.as_str()), ("10", lot)]),
            Gs1Key::Sscc { sscc } => parts.push(("00", sscc)),
            Gs1Key::Gln { gln, extension } => {
                parts.push(("414", gln));
                if let Some(x) = extension {
                    parts.push(("254", x));
                }
            }
        }
        for (ai, v) in parts {
            validate_value(ai, &spec_for(ai)?, v)?;
        }
        Ok(())
    }

    /// The GTIN of a product, serialized item or lot.
    pub fn gtin(&self) -> Option<&str> {
        match self {
            Gs1Key::Gtin { gtin } | Gs1Key::Serial { gtin, .. } | Gs1Key::Lot { gtin, .. } => {
                Some(gtin)
            }
            _ => None,
        }
    }

    /// A GS1 Digital Link URI for this key on resolver `base` (e.g.
    /// `https://id.gs1.org` or the node's own gateway).
    pub fn digital_link(&self, base: &str) -> String {
        format!("{}{}", base.trim_end_matches('/'), self.canonical())
    }
}

impl fmt::Display for Gs1Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

#[cfg(test)]
mod tests;
