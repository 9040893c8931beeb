//! The GS1 Application Identifier table: which AIs Handoff understands, their formats,
//! and the "predefined length" rule that decides whether an AI in a raw element string
//! needs an FNC1 separator after it (GS1 General Specifications, figure 7.8.5-2).

/// The characters a value may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// Digits only.
    Numeric,
    /// GS1 AI encodable character set 82.
    Cset82,
    /// GS1 AI encodable character set 39 (digits, upper case, `#-/`).
    Cset39,
}

/// What an AI means to Handoff's scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A primary key Handoff tracks (01, 00, 414).
    Key,
    /// A primary key of another GS1 kind (GRAI, GIAI, GSRN…) that Handoff does not track.
    OtherKey,
    /// Any other data attribute.
    Data,
}

/// One AI's definition.
#[derive(Clone, Copy, Debug)]
pub struct AiSpec {
    /// The AI digits, e.g. `"01"`.
    pub ai: &'static str,
    /// Short human name, as in the GS1 data title.
    pub title: &'static str,
    /// Allowed characters.
    pub charset: Charset,
    /// Minimum value length.
    pub min: u8,
    /// Maximum value length.
    pub max: u8,
    /// The last digit of the first `check_len` characters is a GS1 mod-10 check digit
    /// (0 = no check digit).
    pub check_len: u8,
    /// The value starts with a date YYMMDD.
    pub date: bool,
    /// Key or attribute.
    pub role: Role,
}

#[allow(clippy::too_many_arguments)] // a table row, read positionally
const fn spec(
    ai: &'static str,
    title: &'static str,
    charset: Charset,
    min: u8,
    max: u8,
    check_len: u8,
    date: bool,
    role: Role,
) -> AiSpec {
    AiSpec {
        ai,
        title,
        charset,
        min,
        max,
        check_len,
        date,
        role,
    }
}

use Charset::{Cset39, Cset82, Numeric as N};
use Role::{Data, Key, OtherKey};

/// AIs with a fixed 2- to 4-digit code. Measures (31nn–36nn) and amounts (39nn) are
/// matched by pattern in [`lookup`].
pub const TABLE: &[AiSpec] = &[
    spec("00", "SSCC", N, 18, 18, 18, false, Key),
    spec("01", "GTIN", N, 14, 14, 14, false, Key),
    spec("02", "CONTENT", N, 14, 14, 14, false, Data),
    spec("03", "MTO GTIN", N, 14, 14, 14, false, Data),
    spec("10", "BATCH/LOT", Cset82, 1, 20, 0, false, Data),
    spec("11", "PROD DATE", N, 6, 6, 0, true, Data),
    spec("12", "DUE DATE", N, 6, 6, 0, true, Data),
    spec("13", "PACK DATE", N, 6, 6, 0, true, Data),
    spec("15", "BEST BEFORE", N, 6, 6, 0, true, Data),
    spec("16", "SELL BY", N, 6, 6, 0, true, Data),
    spec("17", "USE BY OR EXPIRY", N, 6, 6, 0, true, Data),
    spec("20", "VARIANT", N, 2, 2, 0, false, Data),
    spec("21", "SERIAL", Cset82, 1, 20, 0, false, Data),
    spec("22", "CPV", Cset82, 1, 20, 0, false, Data),
    spec("235", "TPX", Cset82, 1, 28, 0, false, Data),
    spec("240", "ADDITIONAL ID", Cset82, 1, 30, 0, false, Data),
    spec("241", "CUST. PART No.", Cset82, 1, 30, 0, false, Data),
    spec("242", "MTO VARIANT", N, 1, 6, 0, false, Data),
    spec("243", "PCN", Cset82, 1, 20, 0, false, Data),
    spec("250", "SECONDARY SERIAL", Cset82, 1, 30, 0, false, Data),
    spec("251", "REF. TO SOURCE", Cset82, 1, 30, 0, false, Data),
    spec("253", "GDTI", Cset82, 13, 30, 13, false, OtherKey),
    spec(
        "254",
        "GLN EXTENSION COMPONENT",
        Cset82,
        1,
        20,
        0,
        false,
        Data,
    ),
    spec("255", "GCN", N, 13, 25, 13, false, OtherKey),
    spec("30", "VAR. COUNT", N, 1, 8, 0, false, Data),
    spec("37", "COUNT", N, 1, 8, 0, false, Data),
    spec("400", "ORDER NUMBER", Cset82, 1, 30, 0, false, Data),
    spec("401", "GINC", Cset82, 1, 30, 0, false, OtherKey),
    spec("402", "GSIN", N, 17, 17, 17, false, OtherKey),
    spec("403", "ROUTE", Cset82, 1, 30, 0, false, Data),
    spec("410", "SHIP TO LOC", N, 13, 13, 13, false, Data),
    spec("411", "BILL TO", N, 13, 13, 13, false, Data),
    spec("412", "PURCHASE FROM", N, 13, 13, 13, false, Data),
    spec("413", "SHIP FOR LOC", N, 13, 13, 13, false, Data),
    spec("414", "LOC No.", N, 13, 13, 13, false, Key),
    spec("415", "PAY TO", N, 13, 13, 13, false, Data),
    spec("416", "PROD/SERV LOC", N, 13, 13, 13, false, Data),
    spec("417", "PARTY", N, 13, 13, 13, false, OtherKey),
    spec("420", "SHIP TO POST", Cset82, 1, 20, 0, false, Data),
    spec("421", "SHIP TO POST", Cset82, 4, 12, 0, false, Data),
    spec("422", "ORIGIN", N, 3, 3, 0, false, Data),
    spec("423", "COUNTRY - INITIAL PROCESS", N, 3, 15, 0, false, Data),
    spec("424", "COUNTRY - PROCESS", N, 3, 3, 0, false, Data),
    spec("425", "COUNTRY - DISASSEMBLY", N, 3, 15, 0, false, Data),
    spec("426", "COUNTRY - FULL PROCESS", N, 3, 3, 0, false, Data),
    spec("427", "ORIGIN SUBDIVISION", Cset82, 1, 3, 0, false, Data),
    spec("7001", "NSN", N, 13, 13, 0, false, Data),
    spec("7002", "MEAT CUT", Cset82, 1, 30, 0, false, Data),
    spec("7003", "EXPIRY TIME", N, 10, 10, 0, true, Data),
    spec("7004", "ACTIVE POTENCY", N, 1, 4, 0, false, Data),
    spec("7005", "CATCH AREA", Cset82, 1, 12, 0, false, Data),
    spec("7006", "FIRST FREEZE DATE", N, 6, 6, 0, true, Data),
    spec("7007", "HARVEST DATE", N, 6, 12, 0, true, Data),
    spec("7008", "AQUATIC SPECIES", Cset82, 1, 3, 0, false, Data),
    spec("7009", "FISHING GEAR TYPE", Cset82, 1, 10, 0, false, Data),
    spec("7010", "PROD METHOD", Cset82, 1, 2, 0, false, Data),
    spec("7011", "TEST BY DATE", N, 6, 10, 0, true, Data),
    spec("7020", "REFURB LOT", Cset82, 1, 20, 0, false, Data),
    spec("7021", "FUNC STAT", Cset82, 1, 20, 0, false, Data),
    spec("7022", "REV STAT", Cset82, 1, 20, 0, false, Data),
    spec("7023", "GIAI - ASSEMBLY", Cset82, 1, 30, 0, false, Data),
    spec("7240", "PROTOCOL", Cset82, 1, 20, 0, false, Data),
    spec("8001", "DIMENSIONS", N, 14, 14, 0, false, Data),
    spec("8002", "CMT No.", Cset82, 1, 20, 0, false, Data),
    spec("8003", "GRAI", Cset82, 14, 30, 14, false, OtherKey),
    spec("8004", "GIAI", Cset82, 1, 30, 0, false, OtherKey),
    spec("8005", "PRICE PER UNIT", N, 6, 6, 0, false, Data),
    spec("8006", "ITIP", N, 18, 18, 14, false, OtherKey),
    spec("8007", "IBAN", Cset82, 1, 34, 0, false, Data),
    spec("8008", "PROD TIME", N, 8, 12, 0, true, Data),
    spec("8009", "OPTSEN", Cset82, 1, 50, 0, false, Data),
    spec("8010", "CPID", Cset39, 1, 30, 0, false, OtherKey),
    spec("8011", "CPID SERIAL", N, 1, 12, 0, false, Data),
    spec("8012", "VERSION", Cset82, 1, 20, 0, false, Data),
    spec("8013", "GMN", Cset82, 1, 25, 0, false, OtherKey),
    spec("8017", "GSRN - PROVIDER", N, 18, 18, 18, false, OtherKey),
    spec("8018", "GSRN - RECIPIENT", N, 18, 18, 18, false, OtherKey),
    spec("8019", "SRIN", N, 1, 10, 0, false, Data),
    spec("8020", "REF No.", Cset82, 1, 25, 0, false, Data),
    spec("8026", "ITIP CONTENT", N, 18, 18, 14, false, Data),
    spec("8200", "PRODUCT URL", Cset82, 1, 70, 0, false, Data),
    spec("90", "INTERNAL", Cset82, 1, 30, 0, false, Data),
    spec("91", "INTERNAL", Cset82, 1, 90, 0, false, Data),
    spec("92", "INTERNAL", Cset82, 1, 90, 0, false, Data),
    spec("93", "INTERNAL", Cset82, 1, 90, 0, false, Data),
    spec("94", "INTERNAL", Cset82, 1, 90, 0, false, Data),
    spec("95", "INTERNAL", Cset82, 1, 90, 0, false, Data),
    spec("96", "INTERNAL", Cset82, 1, 90, 0, false, Data),
    spec("97", "INTERNAL", Cset82, 1, 90, 0, false, Data),
    spec("98", "INTERNAL", Cset82, 1, 90, 0, false, Data),
    spec("99", "INTERNAL", Cset82, 1, 90, 0, false, Data),
];

/// Two-digit prefixes whose AIs have a predefined length and so never need an FNC1
/// separator after them in a raw element string.
const PREDEFINED: &[&str] = &[
    "00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "31",
    "32", "33", "34", "35", "36", "41",
];

/// Whether an AI's value ends by its length alone (no FNC1 needed).
pub fn predefined_length(ai: &str) -> bool {
    ai.get(..2).is_some_and(|p| PREDEFINED.contains(&p))
}

/// The spec for an AI given as its exact digits.
pub fn lookup(ai: &str) -> Option<AiSpec> {
    if let Some(s) = TABLE.iter().find(|s| s.ai == ai) {
        return Some(*s);
    }
    measure(ai)
}

/// Trade and logistic measures (310n–369n: six digits, n implied decimals) and amounts
/// (390n–395n).
fn measure(ai: &str) -> Option<AiSpec> {
    let b = ai.as_bytes();
    if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (first, second, third) = (b[0], b[1], b[2]);
    let known = match (first, second) {
        (b'3', b'1') => third <= b'6',
        (b'3', b'2') | (b'3', b'4') | (b'3', b'6') => true,
        (b'3', b'3') | (b'3', b'5') => third <= b'7',
        (b'3', b'9') => third <= b'5',
        _ => false,
    };
    if !known {
        return None;
    }
    // The table entries must have static strings; the title tells the family.
    let (title, min, max) = match (second, third) {
        (b'9', b'0' | b'2') => ("AMOUNT", 1, 15),
        (b'9', b'1' | b'3') => ("AMOUNT (ISO CURRENCY)", 4, 18),
        (b'9', _) => ("PRICE", 1, 15),
        _ => (measure_title(&ai[..3]), 6, 6),
    };
    Some(AiSpec {
        ai: "3nnn",
        title,
        charset: Charset::Numeric,
        min,
        max,
        check_len: 0,
        date: false,
        role: Role::Data,
    })
}

/// GS1 data titles of the measure families (the fourth digit is the decimal point).
fn measure_title(family: &str) -> &'static str {
    match family {
        "310" => "NET WEIGHT (kg)",
        "311" | "331" => "LENGTH (m)",
        "312" | "332" => "WIDTH (m)",
        "313" | "333" => "HEIGHT (m)",
        "314" | "334" => "AREA (m2)",
        "315" => "NET VOLUME (l)",
        "316" => "NET VOLUME (m3)",
        "320" => "NET WEIGHT (lb)",
        "330" => "GROSS WEIGHT (kg)",
        "335" => "VOLUME (l)",
        "336" => "VOLUME (m3)",
        "337" => "KG PER m2",
        "340" => "GROSS WEIGHT (lb)",
        "356" => "NET WEIGHT (t)",
        "357" => "NET VOLUME (oz)",
        _ => "MEASURE",
    }
}

/// Finds the AI at the start of `s` (2–4 digits; GS1 AIs are prefix-free).
pub fn find_prefix(s: &str) -> Option<(&str, AiSpec)> {
    (2..=4).find_map(|n| {
        let ai = s.get(..n)?;
        if !ai.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        lookup(ai).map(|spec| (ai, spec))
    })
}

/// Whether `c` is in GS1 character set 82.
pub fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

/// Whether `c` is in GS1 character set 39.
pub fn is_cset39(c: char) -> bool {
    c.is_ascii_digit() || c.is_ascii_uppercase() || "#-/".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_prefix_free_and_sorted_sane() {
        for a in TABLE {
            assert!(a.min <= a.max && a.max > 0, "{}", a.ai);
            for b in TABLE {
                if a.ai != b.ai {
                    assert!(!b.ai.starts_with(a.ai), "{} is a prefix of {}", a.ai, b.ai);
                }
            }
        }
    }

    #[test]
    fn finds_measures_and_rejects_unknown() {
        assert_eq!(find_prefix("3103000500").map(|x| x.0), Some("3103"));
        assert_eq!(find_prefix("01123").map(|x| x.0), Some("01"));
        assert!(find_prefix("05123").is_none());
        assert!(find_prefix("3170").is_none());
        assert!(predefined_length("3103") && predefined_length("414") && !predefined_length("10"));
    }
}
