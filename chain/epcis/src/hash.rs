//! Event hash ids (CBV 2.0 §8.9, the GS1 EPCIS event hash algorithm): a canonical
//! pre-hash string of the event, its SHA-256 as `ni:///sha-256;<hex>?ver=CBV2.0`. The
//! same event gives the same id from JSON-LD or XML, with identifiers in EPC URN or
//! Digital Link form and vocabulary bare, URN or Web URI.
//!
//! The pre-hash string is `eventType=…` followed by, in this order and each only when
//! present: `eventTime` and the times of sensor data in UTC millisecond form,
//! `eventTimeZoneOffset`, `certificationInfo`, `parentID`, `epcList`, `inputEPCList`,
//! `childEPCs`, `quantityList`, `childQuantityList`, `inputQuantityList`,
//! `outputEPCList`, `outputQuantityList`, `action`, `transformationID`, `bizStep`,
//! `disposition`, `persistentDisposition`, `readPoint`, `bizLocation`,
//! `sensorElementList`; then the rest of the event (`bizTransactionList`, `sourceList`,
//! `destinationList`, `ilmd` and the user extensions, as `{namespace}name=value`) sorted
//! as strings. Entries of a list are sorted; names and values are concatenated with no
//! separator (`epcListepc=…epc=…`). Values are normalized: GS1 identifiers to canonical
//! Digital Link URIs on `id.gs1.org`, CBV values to their Web URIs, numbers to their
//! shortest form (`26.0` → `26`), CURIEs of declared prefixes expanded. `recordTime`,
//! `eventID`, `errorDeclaration`, comments and the XML Schema instance attributes of
//! extension elements (`xsi:type`) do not count.
//!
//! The order above is that of the reference generator GS1 publishes with its expected
//! ids (where `bizTransactionList`, `sourceList`, `destinationList` and `ilmd` fall
//! into the sorted rest), which is what other implementations compare with.

use crate::cbv::{Vocab, urns_to_web};
use crate::ids::canonical_digital_link;
use crate::model::*;
use crate::time::normalize_time;
use sha2::{Digest, Sha256};

/// The hash id of `event` read from `doc` (whose namespace prefixes expand CURIEs).
pub fn hash_id(doc: &Document, event: &Event) -> String {
    let pre = pre_hash(doc, event);
    format!(
        "ni:///sha-256;{}?ver=CBV2.0",
        hex::encode(Sha256::digest(pre.as_bytes()))
    )
}

/// The hash ids of every event of `doc`, in document order.
pub fn hash_ids(doc: &Document) -> Vec<String> {
    doc.events.iter().map(|e| hash_id(doc, e)).collect()
}

/// The canonical pre-hash string of `event` (what is hashed; shown for diagnosis).
pub fn pre_hash(doc: &Document, e: &Event) -> String {
    let c = Canon { doc };
    let mut out = format!("eventType={}", e.event_type.as_str());
    out += &c.time_field("eventTime", &e.event_time);
    out += &c.field("eventTimeZoneOffset", &e.event_time_zone_offset);
    out += &sorted(
        e.certification_info
            .iter()
            .map(|v| c.field("certificationInfo", v)),
    );
    if let Some(p) = &e.parent_id {
        out += &c.field("parentID", p);
    }
    let epcs = |name: &str, xs: &[String]| c.list(name, xs.iter().map(|x| c.field("epc", x)));
    let qs = |name: &str, xs: &[QuantityElement]| c.list(name, xs.iter().map(|q| c.quantity(q)));
    out += &epcs("epcList", &e.epc_list);
    out += &epcs("inputEPCList", &e.input_epc_list);
    out += &epcs("childEPCs", &e.child_epcs);
    out += &qs("quantityList", &e.quantity_list);
    out += &qs("childQuantityList", &e.child_quantity_list);
    out += &qs("inputQuantityList", &e.input_quantity_list);
    out += &epcs("outputEPCList", &e.output_epc_list);
    out += &qs("outputQuantityList", &e.output_quantity_list);
    if let Some(a) = e.action {
        out += &format!("action={}", a.as_str());
    }
    if let Some(t) = &e.transformation_id {
        out += &c.field("transformationID", t);
    }
    if let Some(b) = &e.biz_step {
        out += &c.field("bizStep", &Vocab::BizStep.web_uri(b));
    }
    if let Some(d) = &e.disposition {
        out += &c.field("disposition", &Vocab::Disposition.web_uri(d));
    }
    if let Some(p) = &e.persistent_disposition {
        let vals = sorted(
            p.set
                .iter()
                .map(|v| c.field("set", &Vocab::Disposition.web_uri(v))),
        ) + &sorted(
            p.unset
                .iter()
                .map(|v| c.field("unset", &Vocab::Disposition.web_uri(v))),
        );
        if !vals.is_empty() {
            out += "persistentDisposition";
            out += &vals;
        }
    }
    for (name, p) in [
        ("readPoint", &e.read_point),
        ("bizLocation", &e.biz_location),
    ] {
        if let Some(p) = p {
            let inner = c.field("id", &p.id) + &c.extensions(&p.extensions);
            if !inner.is_empty() {
                out += name;
                out += &inner;
            }
        }
    }
    out += &c.list(
        "sensorElementList",
        e.sensor_element_list.iter().map(|s| c.sensor_element(s)),
    );
    // Attributes without a namespace that are not standard fields of the sensor metadata
    // or report they sit on (`bizRules` on a report): the reference generator leaves them
    // out of the ordered part and hashes them with the rest, under their path.
    let stray = |name: &str, attrs: &[Attr], order: &[&str]| {
        let inner = sorted(
            attrs
                .iter()
                .filter(|a| a.name.ns.is_empty() && !order.contains(&a.name.local.as_str()))
                .map(|a| c.field(&a.name.local, a.value.text())),
        );
        if inner.is_empty() {
            inner
        } else {
            format!("{name}{inner}")
        }
    };
    let strays = sorted(e.sensor_element_list.iter().map(|s| {
        let inner = s.metadata.as_ref().map_or(String::new(), |m| {
            stray("sensorMetadata", m, SENSOR_METADATA_FIELDS)
        }) + &sorted(
            s.reports
                .iter()
                .map(|r| stray("sensorReport", r, SENSOR_REPORT_FIELDS)),
        );
        if inner.is_empty() {
            inner
        } else {
            format!("sensorElement{inner}")
        }
    }));

    let mut rest: Vec<String> = Vec::new();
    if !strays.is_empty() {
        rest.push(format!("sensorElementList{strays}"));
    }
    if !e.biz_transaction_list.is_empty() {
        rest.push(format!(
            "bizTransactionList{}",
            sorted(e.biz_transaction_list.iter().map(|b| {
                let t = b.kind.as_deref().map_or(String::new(), |t| {
                    c.field("type", &Vocab::BizTransactionType.web_uri(t))
                });
                t + &c.field("bizTransaction", &b.id)
            }))
        ));
    }
    for (name, field, xs) in [
        ("sourceList", "source", &e.source_list),
        ("destinationList", "destination", &e.destination_list),
    ] {
        if !xs.is_empty() {
            rest.push(format!(
                "{name}{}",
                sorted(
                    xs.iter()
                        .map(|s| c.field("type", &Vocab::SourceDestType.web_uri(&s.kind))
                            + &c.field(field, &s.id))
                )
            ));
        }
    }
    if let Some(ilmd) = &e.ilmd {
        rest.push(format!("ilmd{}", c.extensions(ilmd)));
    }
    for x in &e.extensions {
        if is_comment(&x.name) || x.is_empty_array() {
            continue;
        }
        rest.push(c.element(x));
    }
    rest.sort();
    out += &rest.concat();
    out
}

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

fn is_comment(n: &Name) -> bool {
    n.local == "comment" && (n.ns.is_empty() || n.ns == "http://www.w3.org/2000/01/rdf-schema#")
}

fn sorted(it: impl Iterator<Item = String>) -> String {
    let mut v: Vec<String> = it.filter(|s| !s.is_empty()).collect();
    v.sort();
    v.concat()
}

struct Canon<'a> {
    doc: &'a Document,
}

impl Canon<'_> {
    /// A value as the hash compares it.
    fn value(&self, v: &str) -> String {
        let mut v = v.trim().to_string();
        if let Some((p, rest)) = v.split_once(':')
            && !rest.starts_with("//")
            && let Some(iri) = self.doc.namespace_iri(p)
        {
            v = format!("{iri}{rest}");
        }
        let v = urns_to_web(&v);
        let v = py_number(&v).unwrap_or(v);
        canonical_digital_link(&v).unwrap_or(v)
    }

    fn field(&self, name: &str, v: &str) -> String {
        let v = self.value(v);
        if v.is_empty() {
            String::new()
        } else {
            format!("{name}={v}")
        }
    }

    fn time_field(&self, name: &str, v: &str) -> String {
        match normalize_time(v.trim()) {
            Ok(t) => format!("{name}={t}"),
            // Not a time: as any other value (decoders refuse this for event times).
            Err(_) => self.field(name, v),
        }
    }

    fn list(&self, name: &str, it: impl Iterator<Item = String>) -> String {
        let inner = sorted(it);
        if inner.is_empty() {
            inner
        } else {
            format!("{name}{inner}")
        }
    }

    fn quantity(&self, q: &QuantityElement) -> String {
        let inner = self.field("epcClass", &q.epc_class)
            + &q.quantity
                .as_deref()
                .map_or(String::new(), |n| self.field("quantity", n))
            + &q.uom
                .as_deref()
                .map_or(String::new(), |u| self.field("uom", u));
        if inner.is_empty() {
            inner
        } else {
            format!("quantityElement{inner}")
        }
    }

    fn attrs(&self, name: &str, attrs: &[Attr], order: &[&str]) -> String {
        let mut inner = String::new();
        for field in order {
            for a in attrs
                .iter()
                .filter(|a| a.name.ns.is_empty() && a.name.local == *field)
            {
                let v = a.value.text();
                inner += &match *field {
                    "time" | "startTime" | "endTime" => self.time_field(field, v),
                    "type" => self.field(field, &Vocab::MeasurementType.web_uri(v)),
                    "exception" => self.field(field, &Vocab::SensorAlertType.web_uri(v)),
                    "component" => self.field(field, &Vocab::Component.web_uri(v)),
                    _ => self.field(field, v),
                };
            }
        }
        inner += &sorted(
            attrs
                .iter()
                .filter(|a| !a.name.ns.is_empty())
                .map(|a| self.field(&a.name.expanded(), a.value.text())),
        );
        if inner.is_empty() {
            inner
        } else {
            format!("{name}{inner}")
        }
    }

    fn sensor_element(&self, s: &SensorElement) -> String {
        let mut inner = s.metadata.as_ref().map_or(String::new(), |m| {
            self.attrs("sensorMetadata", m, SENSOR_METADATA_FIELDS)
        });
        inner += &sorted(
            s.reports
                .iter()
                .map(|r| self.attrs("sensorReport", r, SENSOR_REPORT_FIELDS)),
        );
        inner += &self.extensions(&s.extensions);
        if inner.is_empty() {
            inner
        } else {
            format!("sensorElement{inner}")
        }
    }

    /// User extension elements, each as `{ns}name=value` followed by its content, sorted.
    fn extensions(&self, els: &[Element]) -> String {
        sorted(
            els.iter()
                .filter(|x| !x.is_empty_array())
                .map(|x| self.element(x)),
        )
    }

    fn element(&self, x: &Element) -> String {
        let mut s = x.name.expanded();
        if let Some(v) = &x.value {
            let t = v.text().trim();
            if !t.is_empty() {
                s += "=";
                s += &self.value(t);
            }
        }
        let mut kids: Vec<String> = x
            .attrs
            .iter()
            // XML Schema instance attributes (`xsi:type="xsd:integer"`) type the XML
            // binding of a value; the value is the same without them, and JSON-LD has none.
            .filter(|(n, _)| n.ns != XSI)
            .map(|(n, v)| {
                let v = v.trim();
                if v.is_empty() {
                    n.expanded()
                } else {
                    format!("{}={}", n.expanded(), self.value(v))
                }
            })
            .collect();
        kids.extend(
            x.children
                .iter()
                // From XML by way of JSON-LD, `xsi:type` arrives as a member.
                .filter(|c| !c.is_empty_array() && c.name.ns != XSI)
                .map(|c| self.element(c)),
        );
        kids.sort();
        s + &kids.concat()
    }
}

/// A number in the shortest form the hash uses: an integral value as an integer (`26.0`
/// → `26`, `+017` → `17`), any other in the shortest decimal that reads back as the same
/// double, with an exponent below 1e-4 (`1e-05`). `None` when `s` is not a number.
pub fn py_number(s: &str) -> Option<String> {
    if !crate::check::is_decimal(s) || s.len() > 400 {
        return None;
    }
    let f: f64 = s.trim().parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 {
        let out = format!("{f:.0}");
        return Some(if out == "-0" { "0".into() } else { out });
    }
    let sci = format!("{f:e}");
    let (mant, exp) = sci.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let body = if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else {
            let point = (exp + 1) as usize;
            if digits.len() > point {
                format!("{}.{}", &digits[..point], &digits[point..])
            } else {
                format!("{digits:0<point$}.0")
            }
        };
        Some(format!("{sign}{body}"))
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let es = if exp < 0 { '-' } else { '+' };
        Some(format!("{sign}{m}e{es}{:02}", exp.abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_take_their_shortest_form() {
        for (input, want) in [
            ("26.0", Some("26")),
            ("+017", Some("17")),
            ("12.10", Some("12.1")),
            ("0.1", Some("0.1")),
            ("-0.0", Some("0")),
            ("0.00001", Some("1e-05")),
            ("0.0001", Some("0.0001")),
            ("1.5E3", Some("1500")),
            ("2.5e-7", Some("2.5e-07")),
            ("abc", None),
            ("inf", None),
            ("1.2.3", None),
            ("", None),
        ] {
            assert_eq!(py_number(input).as_deref(), want, "{input}");
        }
    }
}
