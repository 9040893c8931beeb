//! CBV 2.0 vocabulary in its three forms: bare (`shipping`, what JSON-LD documents write
//! through the EPCIS context), URN (`urn:epcglobal:cbv:bizstep:shipping`, what EPCIS 1.x
//! XML writes) and Web URI (`https://ref.gs1.org/cbv/BizStep-shipping`, the canonical
//! form of CBV 2.0). Comparison and the event hash use the Web URI; a value outside the
//! CBV (a company's own URI) is left as it is.

/// A CBV (or GS1 Web vocabulary) value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vocab {
    /// `bizStep`.
    BizStep,
    /// `disposition`, `persistentDisposition`.
    Disposition,
    /// `bizTransaction` `type`.
    BizTransactionType,
    /// `source`/`destination` `type`.
    SourceDestType,
    /// `errorDeclaration` `reason`.
    ErrorReason,
    /// `sensorReport` `component`.
    Component,
    /// `sensorReport` `type` (GS1 Web vocabulary measurement types).
    MeasurementType,
    /// `sensorReport` `exception` (GS1 Web vocabulary alert types).
    SensorAlertType,
}

const WEB_CBV: &str = "https://ref.gs1.org/cbv/";

/// CBV 2.0's business steps (bare words).
pub const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
];

/// CBV 2.0's business transaction types (bare words).
pub const BIZ_TRANSACTION_TYPES: &[&str] = &[
    "bol",
    "cert",
    "desadv",
    "inv",
    "pedigree",
    "po",
    "poc",
    "prodorder",
    "recadv",
    "rma",
    "testprd",
    "testres",
    "upevt",
];

/// Handoff's own vocabulary, for what the ledger records outside the CBV (an observation
/// kind, a document type, a document number): a business step outside the CBV is written
/// `{HANDOFF_VOCAB}bizstep/{word}`, a transaction type `…btt/{word}`, a document number
/// that is no URI `…bt/{number}` (percent-encoded), since EPCIS requires URIs there; the
/// import reads them back to the ledger's words.
pub const HANDOFF_VOCAB: &str = "https://voc.handoff.invalid/";

const URI_ESCAPE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `word` as a URI of Handoff's vocabulary `kind` (`bizstep`, `btt`, `bt`).
pub fn handoff_uri(kind: &str, word: &str) -> String {
    format!(
        "{HANDOFF_VOCAB}{kind}/{}",
        percent_encoding::utf8_percent_encode(word, URI_ESCAPE)
    )
}

/// The word of a URI of Handoff's vocabulary `kind`, or `None` for any other value.
pub fn handoff_word(kind: &str, value: &str) -> Option<String> {
    let rest = value
        .trim()
        .strip_prefix(HANDOFF_VOCAB)?
        .strip_prefix(kind)?
        .strip_prefix('/')?;
    percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .ok()
        .map(|w| w.into_owned())
}

/// Whether `s` is an absolute URI as far as its form goes: a scheme, `:`, and no white
/// space or characters a URI never holds.
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && !rest.is_empty()
        && rest.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                )
        })
}
const WEB_GS1: &str = "https://gs1.org/voc/";

impl Vocab {
    /// The CBV 1.x URN prefix, for the types that have one.
    pub fn urn_prefix(self) -> Option<&'static str> {
        Some(match self {
            Vocab::BizStep => "urn:epcglobal:cbv:bizstep:",
            Vocab::Disposition => "urn:epcglobal:cbv:disp:",
            Vocab::BizTransactionType => "urn:epcglobal:cbv:btt:",
            Vocab::SourceDestType => "urn:epcglobal:cbv:sdt:",
            Vocab::ErrorReason => "urn:epcglobal:cbv:er:",
            _ => return None,
        })
    }

    /// The Web URI prefix (`https://ref.gs1.org/cbv/BizStep-`, `https://gs1.org/voc/`).
    pub fn web_prefix(self) -> &'static str {
        match self {
            Vocab::BizStep => "https://ref.gs1.org/cbv/BizStep-",
            Vocab::Disposition => "https://ref.gs1.org/cbv/Disp-",
            Vocab::BizTransactionType => "https://ref.gs1.org/cbv/BTT-",
            Vocab::SourceDestType => "https://ref.gs1.org/cbv/SDT-",
            Vocab::ErrorReason => "https://ref.gs1.org/cbv/ER-",
            Vocab::Component => "https://ref.gs1.org/cbv/Comp-",
            Vocab::MeasurementType | Vocab::SensorAlertType => WEB_GS1,
        }
    }

    /// The bare word of a value in any of the three forms (or a `cbv:`/`gs1:` CURIE), or
    /// `None` for a value outside the vocabulary's namespace.
    pub fn bare(self, value: &str) -> Option<String> {
        let v = value.trim();
        if is_bare(v) {
            return Some(v.to_string());
        }
        if let Some(rest) = self.urn_prefix().and_then(|p| v.strip_prefix(p)) {
            return is_bare(rest).then(|| rest.to_string());
        }
        let web = self.web_prefix();
        let curie = if let Some(r) = web.strip_prefix(WEB_CBV) {
            format!("cbv:{r}")
        } else {
            format!("gs1:{}", &web[WEB_GS1.len()..])
        };
        for p in [web, curie.as_str()] {
            if let Some(rest) = v.strip_prefix(p) {
                return is_bare(rest).then(|| rest.to_string());
            }
        }
        None
    }

    /// The Web URI form (CBV 2.0 canonical); a value outside the vocabulary unchanged.
    pub fn web_uri(self, value: &str) -> String {
        match self.bare(value) {
            Some(b) => format!("{}{b}", self.web_prefix()),
            None => value.trim().to_string(),
        }
    }

    /// The URN form for EPCIS XML (`urn:epcglobal:cbv:bizstep:shipping`); the types
    /// without a URN form get the `gs1:`/`cbv:` CURIE of their Web URI. A value outside
    /// the vocabulary unchanged.
    pub fn urn(self, value: &str) -> String {
        match (self.bare(value), self.urn_prefix()) {
            (Some(b), Some(p)) => format!("{p}{b}"),
            (Some(b), None) => {
                let web = self.web_prefix();
                match web.strip_prefix(WEB_CBV) {
                    Some(r) => format!("cbv:{r}{b}"),
                    None => format!("gs1:{b}"),
                }
            }
            (None, _) => value.to_string(),
        }
    }

    /// Whether two values name the same thing once normalized.
    pub fn same(self, a: &str, b: &str) -> bool {
        self.web_uri(a) == self.web_uri(b)
    }
}

/// A bare CBV word: letters, digits and `_` (no `:` or `/`).
fn is_bare(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Any CBV 1.x URN of a vocabulary with a Web form, rewritten to that form; as CBV 2.0's
/// hash rule does for every value (`urn:epcglobal:cbv:bizstep:` → `…/BizStep-`, likewise
/// `disp`, `btt`, `sdt`, `er`).
pub fn urns_to_web(value: &str) -> String {
    let mut out = value.to_string();
    for v in [
        Vocab::BizStep,
        Vocab::Disposition,
        Vocab::BizTransactionType,
        Vocab::SourceDestType,
        Vocab::ErrorReason,
    ] {
        if let Some(p) = v.urn_prefix()
            && out.contains(p)
        {
            out = out.replace(p, v.web_prefix());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_forms_of_a_bizstep_are_one() {
        for v in [
            "shipping",
            "urn:epcglobal:cbv:bizstep:shipping",
            "https://ref.gs1.org/cbv/BizStep-shipping",
            "cbv:BizStep-shipping",
        ] {
            assert_eq!(
                Vocab::BizStep.web_uri(v),
                "https://ref.gs1.org/cbv/BizStep-shipping",
                "{v}"
            );
            assert_eq!(Vocab::BizStep.urn(v), "urn:epcglobal:cbv:bizstep:shipping");
            assert_eq!(Vocab::BizStep.bare(v).as_deref(), Some("shipping"));
        }
    }

    #[test]
    fn values_outside_the_vocabulary_are_kept() {
        let own = "https://example.com/steps/roasting";
        assert_eq!(Vocab::BizStep.web_uri(own), own);
        assert_eq!(Vocab::BizStep.urn(own), own);
        assert_eq!(Vocab::BizStep.bare(own), None);
        // A disposition URN is not a business step.
        assert_eq!(
            Vocab::BizStep.web_uri("urn:epcglobal:cbv:disp:in_transit"),
            "urn:epcglobal:cbv:disp:in_transit"
        );
    }

    #[test]
    fn sensor_types_use_the_gs1_web_vocabulary() {
        for v in [
            "Temperature",
            "gs1:Temperature",
            "https://gs1.org/voc/Temperature",
        ] {
            assert_eq!(
                Vocab::MeasurementType.web_uri(v),
                "https://gs1.org/voc/Temperature"
            );
            assert_eq!(Vocab::MeasurementType.urn(v), "gs1:Temperature");
        }
        assert_eq!(
            Vocab::Component.web_uri("x"),
            "https://ref.gs1.org/cbv/Comp-x"
        );
        assert!(Vocab::SourceDestType.same("owning_party", "urn:epcglobal:cbv:sdt:owning_party"));
    }
}
