//! Identifiers: EPC URNs (TDS 2.0 pure identity and class URIs) and GS1 Digital Link
//! URIs, both ways, over `handoff-core`'s [`Gs1Key`]; and the canonical Digital Link form
//! (`https://id.gs1.org/…`, finest key only, no query) that the event hash compares.
//!
//! Writing an EPC URN needs the GS1 company prefix length, which the key's digits do not
//! tell: it is an argument ([`key_to_epc_urn`]) or comes from a [`CompanyPrefixes`]
//! lookup, never a guess.

use crate::error::{EpcisError, ErrorCode, err};
use handoff_core::gs1::{self, Gs1Key};
use percent_encoding::percent_decode_str;

/// The resolver of canonical Digital Link URIs.
pub const ID_GS1: &str = "https://id.gs1.org";

/// Where the length of a company prefix comes from (a member registry, a local table of
/// the prefixes one works with).
pub trait CompanyPrefixes {
    /// The company prefix length (6–12) of the GS1 key `digits` (a GTIN-14 without its
    /// indicator digit, an SSCC without its extension digit, a GLN), if known.
    fn prefix_len(&self, digits: &str) -> Option<usize>;
}

/// A fixed list of company prefixes: the longest one that starts the key wins.
impl CompanyPrefixes for [&str] {
    fn prefix_len(&self, digits: &str) -> Option<usize> {
        self.iter()
            .filter(|p| gs1::valid_company_prefix(p) && digits.starts_with(**p))
            .map(|p| p.len())
            .max()
    }
}

/// A key as an EPC URN, with a company prefix of `cp_len` digits: SGTIN
/// (`urn:epc:id:sgtin:…`), SSCC, SGLN (extension `0` when none) and LGTIN
/// (`urn:epc:class:lgtin:…`). A GTIN without serial or lot has no EPC URN.
pub fn key_to_epc_urn(key: &Gs1Key, cp_len: usize) -> Result<String, EpcisError> {
    if !(6..=12).contains(&cp_len) {
        return err(
            ErrorCode::BadCompanyPrefix,
            format!("a company prefix has 6 to 12 digits, not {cp_len}"),
        );
    }
    key.validate()
        .map_err(|e| EpcisError::new(ErrorCode::BadId, e.message))?;
    let gtin_parts = |gtin: &str| {
        // indicator digit, company prefix, item reference (check digit dropped)
        let (ind, body) = gtin.split_at(1);
        let body = &body[..12];
        format!("{}.{ind}{}", &body[..cp_len], &body[cp_len..])
    };
    Ok(match key {
        Gs1Key::Serial { gtin, serial } => {
            format!(
                "urn:epc:id:sgtin:{}.{}",
                gtin_parts(gtin),
                urn_escape(serial)
            )
        }
        Gs1Key::Lot { gtin, lot } => {
            format!(
                "urn:epc:class:lgtin:{}.{}",
                gtin_parts(gtin),
                urn_escape(lot)
            )
        }
        Gs1Key::Sscc { sscc } => {
            let (ext, body) = sscc.split_at(1);
            let body = &body[..16];
            format!(
                "urn:epc:id:sscc:{}.{ext}{}",
                &body[..cp_len],
                &body[cp_len..]
            )
        }
        Gs1Key::Gln { gln, extension } => {
            let body = &gln[..12];
            let ext = extension.as_deref().map_or("0".to_string(), urn_escape);
            format!(
                "urn:epc:id:sgln:{}.{}.{ext}",
                &body[..cp_len],
                &body[cp_len..]
            )
        }
        Gs1Key::Gtin { gtin } => {
            return err(
                ErrorCode::BadId,
                format!(
                    "GTIN {gtin} alone (no serial, no lot) has no EPC URN; use its Digital Link"
                ),
            );
        }
    })
}

/// A key as an EPC URN, its company prefix length looked up in `prefixes`; refused when
/// the lookup does not know it.
pub fn key_to_epc_urn_with(
    key: &Gs1Key,
    prefixes: &(impl CompanyPrefixes + ?Sized),
) -> Result<String, EpcisError> {
    let digits = match key {
        Gs1Key::Gtin { gtin } | Gs1Key::Serial { gtin, .. } | Gs1Key::Lot { gtin, .. } => {
            gtin.get(1..).unwrap_or_default()
        }
        Gs1Key::Sscc { sscc } => sscc.get(1..).unwrap_or_default(),
        Gs1Key::Gln { gln, .. } => gln.as_str(),
    };
    match prefixes.prefix_len(digits) {
        Some(n) => key_to_epc_urn(key, n),
        None => err(
            ErrorCode::BadCompanyPrefix,
            format!("the company prefix of {key} is not known; an EPC URN cannot be written"),
        ),
    }
}

/// A key as its canonical Digital Link URI on `https://id.gs1.org`.
pub fn key_to_digital_link(key: &Gs1Key) -> String {
    key.digital_link(ID_GS1)
}

/// An identifier as a key: an EPC URN (SGTIN, SSCC, SGLN, LGTIN) or a GS1 Digital Link
/// URI on any host (through `handoff-core`'s scan parser: check digits, characters and
/// lengths are verified).
pub fn parse_id(s: &str) -> Result<Gs1Key, EpcisError> {
    if s.starts_with("urn:epc:") {
        epc_urn_to_key(s)
    } else if s.starts_with("https://") || s.starts_with("http://") {
        gs1::parse_scan(s)
            .map(|sc| sc.key)
            .map_err(|e| EpcisError::new(ErrorCode::BadId, format!("{}: {}", clip(s), e.message)))
    } else {
        err(
            ErrorCode::BadId,
            format!("'{}' is neither an EPC URN nor a Digital Link URI", clip(s)),
        )
    }
}

/// An EPC URN (SGTIN, SSCC, SGLN, LGTIN) as a key, check digit computed.
pub fn epc_urn_to_key(s: &str) -> Result<Gs1Key, EpcisError> {
    let bad = |why: &str| EpcisError::new(ErrorCode::BadId, format!("'{}': {why}", clip(s)));
    let (scheme, body) = if let Some(b) = s.strip_prefix("urn:epc:id:") {
        b.split_once(':').ok_or_else(|| bad("no scheme"))?
    } else if let Some(b) = s.strip_prefix("urn:epc:class:lgtin:") {
        ("lgtin", b)
    } else {
        return Err(bad("not an EPC URN"));
    };
    let parts: Vec<&str> = body.splitn(3, '.').collect();
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let cp = parts.first().copied().unwrap_or("");
    if !gs1::valid_company_prefix(cp) {
        return Err(bad("the company prefix is not 6 to 12 digits"));
    }
    let key = match (scheme, parts.as_slice()) {
        ("sgtin" | "lgtin", [cp, item, rest]) if digits(item) && cp.len() + item.len() == 13 => {
            let raw = format!("{}{cp}{}", &item[..1], &item[1..]);
            let gtin = with_check(&raw);
            let v = urn_unescape(rest).ok_or_else(|| bad("bad escape"))?;
            if scheme == "sgtin" {
                Gs1Key::Serial { gtin, serial: v }
            } else {
                Gs1Key::Lot { gtin, lot: v }
            }
        }
        ("sscc", [cp, serial]) if digits(serial) && cp.len() + serial.len() == 17 => {
            let raw = format!("{}{cp}{}", &serial[..1], &serial[1..]);
            Gs1Key::Sscc {
                sscc: with_check(&raw),
            }
        }
        ("sgln", [cp, loc, ext])
            if (loc.is_empty() || digits(loc)) && cp.len() + loc.len() == 12 =>
        {
            let ext = urn_unescape(ext).ok_or_else(|| bad("bad escape"))?;
            Gs1Key::Gln {
                gln: with_check(&format!("{cp}{loc}")),
                extension: (ext != "0").then_some(ext),
            }
        }
        _ => {
            return Err(bad(
                "not an SGTIN, SSCC, SGLN or LGTIN of the right lengths",
            ));
        }
    };
    key.validate()
        .map_err(|e| EpcisError::new(ErrorCode::BadId, format!("'{}': {}", clip(s), e.message)))?;
    Ok(key)
}

fn with_check(raw: &str) -> String {
    match gs1::check_digit(raw) {
        Some(c) => format!("{raw}{c}"),
        None => raw.to_string(),
    }
}

/// EPC URN escaping (TDS §6.3.1): `"`, `%`, `&`, `/`, `<`, `>`, `?` as `%XX`.
fn urn_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '"' => out.push_str("%22"),
            '%' => out.push_str("%25"),
            '&' => out.push_str("%26"),
            '/' => out.push_str("%2F"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

fn urn_unescape(v: &str) -> Option<String> {
    let b = v.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return None;
        }
    }
    percent_decode_str(v)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

fn clip(s: &str) -> &str {
    let mut end = s.len().min(80);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

// ---------------------------------------------------------------------------------------
// Canonical Digital Link, for comparison and the event hash.

/// Characters a Digital Link path must percent-encode that EPC URNs allow as they are.
fn dl_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '!' => out.push_str("%21"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '*' => out.push_str("%2A"),
            '+' => out.push_str("%2B"),
            ',' => out.push_str("%2C"),
            ':' => out.push_str("%3A"),
            c => out.push(c),
        }
    }
    out
}

/// The canonical Digital Link URI (`https://id.gs1.org/…`) of any GS1 identifier an
/// EPCIS event may carry: an EPC pure identity URN (sgtin, sscc, sgln, grai, giai, gsrn,
/// gsrnp, gdti, cpi, sgcn, ginc, gsin, itip, upui, pgln), an LGTIN class URN, an id
/// pattern naming a whole class (`urn:epc:idpat:sgtin:….*`), or a Digital Link URI on any
/// host. Only the finest key level is kept (a serial drops the lot; CPV and query
/// attributes go). `None` when the value is none of these; the value is then compared
/// as written. The URN's own escapes are kept.
pub fn canonical_digital_link(s: &str) -> Option<String> {
    if let Some(rest) = s.strip_prefix("urn:epc:") {
        return urn_to_dl(rest);
    }
    if s.starts_with("https://") || s.starts_with("http://") {
        return web_to_dl(s);
    }
    None
}

fn all_digits(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
}

fn cp_ok(cp: &str) -> bool {
    (6..=12).contains(&cp.len()) && all_digits(cp)
}

fn urn_to_dl(rest: &str) -> Option<String> {
    let (kind, body) = rest.split_once(':')?;
    let (scheme, body) = body.split_once(':')?;
    let p: Vec<&str> = body.split('.').collect();
    let cp = *p.first()?;
    if !cp_ok(cp) {
        return None;
    }
    let gtin_of = |item: &str| -> Option<String> {
        (all_digits(item) && cp.len() + item.len() == 13)
            .then(|| with_check(&format!("{}{cp}{}", &item[..1], &item[1..])))
    };
    // The part after the n-th dot, dots included (serials may contain dots).
    let tail = |n: usize| -> Option<String> {
        let t = p.get(n..)?.join(".");
        (!t.is_empty()).then_some(t)
    };
    let key13 = |r: &str| -> Option<String> {
        ((r.is_empty() || all_digits(r)) && cp.len() + r.len() == 12)
            .then(|| with_check(&format!("{cp}{r}")))
    };
    let out = match (kind, scheme) {
        ("id", "sgtin") => format!("/01/{}/21/{}", gtin_of(p.get(1)?)?, dl_escape(&tail(2)?)),
        ("class", "lgtin") => format!("/01/{}/10/{}", gtin_of(p.get(1)?)?, dl_escape(&tail(2)?)),
        ("idpat", "sgtin") if p.len() == 3 && p[2] == "*" => format!("/01/{}", gtin_of(p[1])?),
        ("id", "sscc") if p.len() == 2 && all_digits(p[1]) && cp.len() + p[1].len() == 17 => {
            format!(
                "/00/{}",
                with_check(&format!("{}{cp}{}", &p[1][..1], &p[1][1..]))
            )
        }
        ("id", "sgln") => {
            let gln = key13(p.get(1)?)?;
            match tail(2)?.as_str() {
                "0" => format!("/414/{gln}"),
                ext => format!("/414/{gln}/254/{}", dl_escape(ext)),
            }
        }
        ("id", "pgln") if p.len() == 2 => format!("/417/{}", key13(p[1])?),
        ("id", "grai") => {
            let r = p.get(1)?;
            ((r.is_empty() || all_digits(r)) && cp.len() + r.len() == 12).then_some(())?;
            let raw = format!("0{cp}{r}");
            format!("/8003/{}{}", with_check(&raw), dl_escape(&tail(2)?))
        }
        ("idpat", "grai") if p.len() == 3 && p[2] == "*" => {
            let r = p[1];
            ((r.is_empty() || all_digits(r)) && cp.len() + r.len() == 12).then_some(())?;
            format!("/8003/{}", with_check(&format!("0{cp}{r}")))
        }
        ("id", "giai") => format!("/8004/{cp}{}", dl_escape(&tail(1)?)),
        ("id", "gsrn" | "gsrnp")
            if p.len() == 2 && all_digits(p[1]) && cp.len() + p[1].len() == 17 =>
        {
            let ai = if scheme == "gsrn" { "8018" } else { "8017" };
            format!("/{ai}/{}", with_check(&format!("{cp}{}", p[1])))
        }
        ("id", "gdti") => format!("/253/{}{}", key13(p.get(1)?)?, dl_escape(&tail(2)?)),
        ("idpat", "gdti") if p.len() == 3 && p[2] == "*" => format!("/253/{}", key13(p[1])?),
        ("id", "sgcn") if p.len() == 3 && all_digits(p[2]) => {
            format!("/255/{}{}", key13(p[1])?, p[2])
        }
        ("idpat", "sgcn") if p.len() == 3 && p[2] == "*" => format!("/255/{}", key13(p[1])?),
        ("id", "ginc") => format!("/401/{cp}{}", dl_escape(&tail(1)?)),
        ("id", "gsin") if p.len() == 2 && all_digits(p[1]) && cp.len() + p[1].len() == 16 => {
            format!("/402/{}", with_check(&format!("{cp}{}", p[1])))
        }
        ("id", "cpi") if p.len() >= 3 => {
            let serial = p.last()?;
            let cpref = p[1..p.len() - 1].join(".");
            format!("/8010/{}/8011/{serial}", dl_escape(&format!("{cp}{cpref}")))
        }
        ("idpat", "cpi") if p.len() == 3 && p[2] == "*" => {
            format!("/8010/{}", dl_escape(&format!("{cp}{}", p[1])))
        }
        ("id", "itip") if p.len() >= 5 => format!(
            "/8006/{}{}{}/21/{}",
            gtin_of(p[1])?,
            two(p[2])?,
            two(p[3])?,
            dl_escape(&tail(4)?)
        ),
        ("idpat", "itip") if p.len() == 5 && p[4] == "*" => {
            format!("/8006/{}{}{}", gtin_of(p[1])?, two(p[2])?, two(p[3])?)
        }
        ("id", "upui") => format!("/01/{}/235/{}", gtin_of(p.get(1)?)?, dl_escape(&tail(2)?)),
        ("idpat", "upui") if p.len() == 3 && p[2] == "*" => format!("/01/{}", gtin_of(p[1])?),
        _ => return None,
    };
    Some(format!("{ID_GS1}{out}"))
}

fn two(s: &str) -> Option<&str> {
    (s.len() == 2 && all_digits(s)).then_some(s)
}

const PRIMARY: &[(&str, &str)] = &[
    ("01", "01"),
    ("gtin", "01"),
    ("8006", "8006"),
    ("itip", "8006"),
    ("8010", "8010"),
    ("cpid", "8010"),
    ("414", "414"),
    ("gln", "414"),
    ("417", "417"),
    ("party", "417"),
    ("8017", "8017"),
    ("gsrnp", "8017"),
    ("8018", "8018"),
    ("gsrn", "8018"),
    ("255", "255"),
    ("gcn", "255"),
    ("00", "00"),
    ("sscc", "00"),
    ("253", "253"),
    ("gdti", "253"),
    ("401", "401"),
    ("ginc", "401"),
    ("402", "402"),
    ("gsin", "402"),
    ("8003", "8003"),
    ("grai", "8003"),
    ("8004", "8004"),
    ("giai", "8004"),
];

fn qualifier(seg: &str) -> &str {
    match seg {
        "cpv" => "22",
        "lot" => "10",
        "ser" => "21",
        s => s,
    }
}

fn web_to_dl(s: &str) -> Option<String> {
    let no_frag = s.split('#').next().unwrap_or(s);
    let no_query = no_frag.split('?').next().unwrap_or(no_frag);
    let after_scheme = no_query.split_once("://")?.1;
    let path = &after_scheme[after_scheme.find('/')?..];
    let segs: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
    // The primary key: the first segment naming one, followed by a value of at least
    // four characters starting with digits (as Digital Link's grammar has it).
    let at = segs.windows(2).position(|w| {
        PRIMARY.iter().any(|(k, _)| *k == w[0])
            && w[1].len() >= 4
            && w[1].bytes().take(4).all(|b| b.is_ascii_digit())
    })?;
    let ai = PRIMARY.iter().find(|(k, _)| *k == segs[at])?.1;
    let mut value = segs[at + 1].to_string();
    if ai == "01" && all_digits(&value) && matches!(value.len(), 8 | 12 | 13) {
        value = format!("{value:0>14}");
    }
    let quals: Vec<(&str, &str)> = segs[at + 2..]
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (qualifier(c[0]), c[1]))
        .collect();
    let find = |q: &str| quals.iter().find(|(k, _)| *k == q).map(|(_, v)| *v);
    let out = match ai {
        "01" | "8006" => {
            if let Some(ser) = find("21") {
                format!("/{ai}/{value}/21/{ser}")
            } else if let Some(lot) = find("10") {
                format!("/{ai}/{value}/10/{lot}")
            } else if let (Some(tpx), "01") = (find("235"), ai) {
                format!("/01/{value}/235/{tpx}")
            } else {
                format!("/{ai}/{value}")
            }
        }
        "414" => match find("254") {
            Some(ext) => format!("/414/{value}/254/{ext}"),
            None => format!("/414/{value}"),
        },
        "8010" => match find("8011") {
            Some(ser) => format!("/8010/{value}/8011/{ser}"),
            None => format!("/8010/{value}"),
        },
        _ => format!("/{ai}/{value}"),
    };
    Some(format!("{ID_GS1}{out}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // GS1's published example keys (GTIN 09506000134352, SSCC 106141412345678908,
    // GLN 9506000134352).
    #[test]
    fn epc_urns_and_keys_both_ways() {
        let cases: &[(&str, Gs1Key, usize)] = &[
            (
                "urn:epc:id:sgtin:9506000.013435.A%2F1",
                Gs1Key::Serial {
                    gtin: "09506000134352".into(),
                    serial: "A/1".into(),
                },
                7,
            ),
            (
                "urn:epc:class:lgtin:9506000.013435.L1",
                Gs1Key::Lot {
                    gtin: "09506000134352".into(),
                    lot: "L1".into(),
                },
                7,
            ),
            (
                "urn:epc:id:sscc:0614141.1234567890",
                Gs1Key::Sscc {
                    sscc: "106141412345678908".into(),
                },
                7,
            ),
            (
                "urn:epc:id:sgln:9506000.13435.0",
                Gs1Key::Gln {
                    gln: "9506000134352".into(),
                    extension: None,
                },
                7,
            ),
            (
                "urn:epc:id:sgln:9506000.13435.dock1",
                Gs1Key::Gln {
                    gln: "9506000134352".into(),
                    extension: Some("dock1".into()),
                },
                7,
            ),
        ];
        for (urn, key, cp) in cases {
            assert_eq!(epc_urn_to_key(urn).as_ref(), Ok(key), "{urn}");
            assert_eq!(key_to_epc_urn(key, *cp).as_deref(), Ok(*urn), "{urn}");
            let dl = key_to_digital_link(key);
            assert_eq!(parse_id(&dl).as_ref(), Ok(key), "{dl}");
            assert_eq!(
                canonical_digital_link(urn).as_deref(),
                Some(dl.as_str()),
                "{urn}"
            );
        }
    }

    #[test]
    fn a_company_prefix_is_never_guessed() {
        let key = Gs1Key::Serial {
            gtin: "09506000134352".into(),
            serial: "1".into(),
        };
        let known: &[&str] = &["9506000", "950"];
        assert_eq!(
            key_to_epc_urn_with(&key, known).as_deref(),
            Ok("urn:epc:id:sgtin:9506000.013435.1")
        );
        let unknown: &[&str] = &["4012345"];
        assert_eq!(
            key_to_epc_urn_with(&key, unknown).map_err(|e| e.code()),
            Err("EPCIS_BAD_COMPANY_PREFIX")
        );
        assert_eq!(
            key_to_epc_urn(&key, 5).map_err(|e| e.code()),
            Err("EPCIS_BAD_COMPANY_PREFIX")
        );
    }

    #[test]
    fn bad_urns_are_refused() {
        for bad in [
            "urn:epc:id:sgtin:950600.013435.1",
            "urn:epc:id:sgtin:9506000.13435.1",
            "urn:epc:id:sscc:0614141.123456789",
            "urn:epc:id:foo:0614141.1",
            "urn:epc:id:sgtin:95060x0.013435.1",
            "urn:epc:id:sgtin:9506000.013435.%zz",
        ] {
            assert_eq!(
                epc_urn_to_key(bad).map_err(|e| e.code()),
                Err("EPCIS_BAD_ID"),
                "{bad}"
            );
        }
    }

    #[test]
    fn digital_links_normalize_to_the_finest_key_on_id_gs1_org() {
        for (input, want) in [
            (
                "https://example.com/01/09506000134352/10/L1/21/S1?17=261231",
                "https://id.gs1.org/01/09506000134352/21/S1",
            ),
            (
                "https://example.com/shop/gtin/9506000134352/lot/L1",
                "https://id.gs1.org/01/09506000134352/10/L1",
            ),
            (
                "https://id.gs1.org/01/09506000134352/22/v2/21/S1",
                "https://id.gs1.org/01/09506000134352/21/S1",
            ),
            (
                "urn:epc:id:pgln:4000001.98765",
                "https://id.gs1.org/417/4000001987658",
            ),
            (
                "urn:epc:id:giai:4000001.111",
                "https://id.gs1.org/8004/4000001111",
            ),
            (
                "urn:epc:id:gdti:0614141.00001.1618034",
                "https://id.gs1.org/253/06141410000121618034",
            ),
            (
                "urn:epc:id:gsrn:0614141.0000010253",
                "https://id.gs1.org/8018/061414100000102534",
            ),
            (
                "urn:epc:idpat:sgtin:4012345.012345.*",
                "https://id.gs1.org/01/04012345123456",
            ),
        ] {
            assert_eq!(
                canonical_digital_link(input).as_deref(),
                Some(want),
                "{input}"
            );
        }
        for other in [
            "urn:epcglobal:cbv:bt:5200001000008:4711",
            "https://example.com/x",
            "shipping",
        ] {
            assert_eq!(canonical_digital_link(other), None, "{other}");
        }
    }
}
