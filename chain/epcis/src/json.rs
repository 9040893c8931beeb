//! EPCIS 2.0 JSON-LD: read ([`parse_jsonld`]) and write ([`write_jsonld`]).
//!
//! The reader keeps the order of object members (serde_json's map would sort them), so
//! user extensions come back in the order they were written. Prefixes of extension names
//! are resolved through the document's `@context` (its object entries); the context's
//! URL entries are kept to be written back.

use crate::error::{EpcisError, ErrorCode, err};
use crate::limits::*;
use crate::model::*;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// The EPCIS 2.0 JSON-LD context every document names first.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// A JSON value with object members in document order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<J, E> {
        Ok(J::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<J, E> {
        Ok(J::Num(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<J, E> {
        Ok(J::Num(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<J, E> {
        if !v.is_finite() {
            return Err(E::custom("a number out of range"));
        }
        // -0.0 reads back as the integer 0: keep one form.
        Ok(J::Num(if v == 0.0 { "0".into() } else { format!("{v}") }))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<J, E> {
        if v.len() > MAX_STRING_BYTES {
            return Err(E::custom(format!(
                "a string of {} bytes (at most {MAX_STRING_BYTES})",
                v.len()
            )));
        }
        Ok(J::Str(v.to_string()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = a.next_element()? {
            if out.len() >= MAX_LIST_LEN.max(MAX_EVENTS) {
                return Err(de::Error::custom(format!(
                    "an array of more than {} entries",
                    MAX_LIST_LEN.max(MAX_EVENTS)
                )));
            }
            out.push(v);
        }
        Ok(J::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
        let mut out: Vec<(String, J)> = Vec::new();
        while let Some(k) = a.next_key::<String>()? {
            if out.iter().any(|(x, _)| *x == k) {
                return Err(de::Error::custom(format!("member '{k}' twice")));
            }
            if out.len() >= MAX_LIST_LEN {
                return Err(de::Error::custom("an object with too many members"));
            }
            let v = a.next_value()?;
            out.push((k, v));
        }
        Ok(J::Obj(out))
    }
}

pub(crate) fn depth(v: &J) -> usize {
    // Iterative, so a deep value cannot overflow the stack here.
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            J::Arr(xs) => stack.extend(xs.iter().map(|x| (x, d + 1))),
            J::Obj(m) => stack.extend(m.iter().map(|(_, x)| (x, d + 1))),
            _ => {}
        }
    }
    max
}

pub(crate) fn get<'a>(m: &'a [(String, J)], k: &str) -> Option<&'a J> {
    m.iter().find(|(x, _)| x == k).map(|(_, v)| v)
}

pub(crate) fn bad(msg: impl Into<String>) -> EpcisError {
    EpcisError::new(ErrorCode::BadJson, msg)
}

/// Reads an EPCIS 2.0 JSON-LD document (`EPCISDocument` or `EPCISQueryDocument`).
pub fn parse_jsonld(text: &str) -> Result<Document, EpcisError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return err(
            ErrorCode::TooLarge,
            format!(
                "the document has {} bytes (at most {MAX_DOCUMENT_BYTES})",
                text.len()
            ),
        );
    }
    let nodes = text
        .bytes()
        .filter(|b| matches!(b, b'{' | b'[' | b','))
        .count();
    if nodes > MAX_NODES {
        return err(
            ErrorCode::TooLarge,
            format!("about {nodes} values in the document (at most {MAX_NODES})"),
        );
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let root = J::deserialize(&mut de).map_err(serde_error)?;
    de.end().map_err(|e| bad(format!("not JSON: {e}")))?;
    if depth(&root) > MAX_DEPTH {
        return err(
            ErrorCode::TooDeep,
            format!("nested deeper than {MAX_DEPTH} levels"),
        );
    }
    let J::Obj(doc) = &root else {
        return Err(bad("the document is not a JSON object"));
    };
    let mut head = head(
        get(doc, "@context"),
        get(doc, "type"),
        get(doc, "schemaVersion"),
        get(doc, "creationDate"),
    )?;
    let kind = head.kind;
    let Some(J::Obj(body)) = get(doc, "epcisBody") else {
        return err(ErrorCode::MissingField, "the document has no epcisBody");
    };
    let list = match kind {
        DocumentKind::Epcis => get(body, "eventList"),
        DocumentKind::Query => {
            let Some(J::Obj(qr)) = get(body, "queryResults") else {
                return err(
                    ErrorCode::MissingField,
                    "the query document has no queryResults",
                );
            };
            query_field(&mut head, "queryName", get(qr, "queryName"));
            query_field(&mut head, "subscriptionID", get(qr, "subscriptionID"));
            match get(qr, "resultsBody") {
                Some(J::Obj(rb)) => get(rb, "eventList"),
                _ => None,
            }
        }
    };
    let events_json: &[J] = match list {
        Some(J::Arr(xs)) => xs,
        None => &[],
        Some(_) => return Err(bad("eventList is not an array")),
    };
    if events_json.len() > MAX_EVENTS {
        return err(
            ErrorCode::TooLarge,
            format!("{} events (at most {MAX_EVENTS})", events_json.len()),
        );
    }
    let mut events = Vec::with_capacity(events_json.len());
    for (i, e) in events_json.iter().enumerate() {
        events.push(event_of(&head, e).map_err(|x| x.at_event(i))?);
    }
    head.events = events;
    Ok(head)
}

/// A serde_json error as the reader's refusal: too deep, over a bound, or not JSON.
pub(crate) fn serde_error(e: serde_json::Error) -> EpcisError {
    let msg = e.to_string();
    if msg.contains("recursion limit") {
        EpcisError::new(ErrorCode::TooDeep, format!("nested too deeply: {msg}"))
    } else if msg.contains("at most") || msg.contains("more than") || msg.contains("too many") {
        EpcisError::new(ErrorCode::TooLarge, msg)
    } else {
        bad(format!("not JSON: {msg}"))
    }
}

/// A document's header (no events yet) from its top-level members: the context's
/// namespace prefixes, the document type, schema version and creation date. The whole
/// document reader and the streaming one ([`crate::stream`]) both read it here.
pub(crate) fn head(
    context: Option<&J>,
    kind: Option<&J>,
    schema_version: Option<&J>,
    creation_date: Option<&J>,
) -> Result<Document, EpcisError> {
    let mut namespaces = Vec::new();
    if let Some(ctx) = context {
        let entries: Vec<&J> = match ctx {
            J::Arr(xs) => xs.iter().collect(),
            x => vec![x],
        };
        for e in entries {
            match e {
                J::Str(_) => {}
                J::Obj(m) => {
                    for (k, v) in m {
                        if let J::Str(iri) = v
                            && !k.starts_with('@')
                        {
                            namespaces.push(Namespace {
                                prefix: k.clone(),
                                iri: iri.clone(),
                            });
                        }
                    }
                }
                _ => return Err(bad("@context entries are URLs or objects")),
            }
        }
    }
    if namespaces.len() > MAX_NAMESPACES {
        return err(
            ErrorCode::TooLarge,
            format!("more than {MAX_NAMESPACES} namespace prefixes"),
        );
    }
    let kind = match kind {
        Some(J::Str(t)) if t == "EPCISDocument" => DocumentKind::Epcis,
        Some(J::Str(t)) if t == "EPCISQueryDocument" => DocumentKind::Query,
        Some(J::Str(t)) => return Err(bad(format!("'{t}' is not an EPCIS document type"))),
        _ => {
            return err(
                ErrorCode::MissingField,
                "the document has no type (EPCISDocument or EPCISQueryDocument)",
            );
        }
    };
    let s = |k: &str, v: Option<&J>| match v {
        Some(J::Str(v)) => Ok(Some(v.clone())),
        Some(J::Num(v)) => Ok(Some(v.clone())),
        None => Ok(None),
        Some(_) => Err(bad(format!("document {k} is not a string"))),
    };
    let schema_version = s("schemaVersion", schema_version)?.unwrap_or_default();
    let creation_date = s("creationDate", creation_date)?.ok_or_else(|| {
        EpcisError::new(ErrorCode::MissingField, "the document has no creationDate")
    })?;
    crate::time::parse_time_ms(&creation_date)?;
    Ok(Document {
        kind,
        schema_version,
        creation_date,
        namespaces,
        expand_value_prefixes: true,
        query_name: None,
        subscription_id: None,
        events: Vec::new(),
    })
}

/// A query document's `queryName` or `subscriptionID` (a string; anything else is not
/// kept).
pub(crate) fn query_field(head: &mut Document, key: &str, v: Option<&J>) {
    let v = match v {
        Some(J::Str(q)) => Some(q.clone()),
        _ => None,
    };
    match key {
        "queryName" => head.query_name = v,
        _ => head.subscription_id = v,
    }
}

/// One event of a document whose header is `head`.
pub(crate) fn event_of(head: &Document, v: &J) -> Result<Event, EpcisError> {
    Cx {
        namespaces: &head.namespaces,
    }
    .event(v)
}

/// The prefixes the EPCIS 2.0 context itself defines.
fn context_prefix(p: &str) -> Option<&'static str> {
    Some(match p {
        "epcis" => "https://ref.gs1.org/epcis/",
        "cbv" => "https://ref.gs1.org/cbv/",
        "cbvmda" => "urn:epcglobal:cbv:mda:",
        "gs1" => "https://gs1.org/voc/",
        "rdfs" => "http://www.w3.org/2000/01/rdf-schema#",
        "owl" => "http://www.w3.org/2002/07/owl#",
        "xsd" => "http://www.w3.org/2001/XMLSchema#",
        "dcterms" => "http://purl.org/dc/terms/",
        _ => return None,
    })
}

struct Cx<'a> {
    namespaces: &'a [Namespace],
}

fn string(v: &J, what: &str) -> Result<String, EpcisError> {
    match v {
        J::Str(s) => Ok(s.clone()),
        _ => Err(bad(format!("{what} is not a string"))),
    }
}

fn strings(v: &J, what: &str) -> Result<Vec<String>, EpcisError> {
    match v {
        J::Arr(xs) => {
            check_len(xs.len(), what)?;
            xs.iter().map(|x| string(x, what)).collect()
        }
        _ => Err(bad(format!("{what} is not an array"))),
    }
}

fn check_len(n: usize, what: &str) -> Result<(), EpcisError> {
    if n > MAX_LIST_LEN {
        return err(
            ErrorCode::TooLarge,
            format!("{what} has {n} entries (at most {MAX_LIST_LEN})"),
        );
    }
    Ok(())
}

fn scalar(v: &J) -> Option<Scalar> {
    Some(match v {
        J::Str(s) => Scalar::Text(s.clone()),
        J::Num(n) => Scalar::Number(n.clone()),
        J::Bool(b) => Scalar::Bool(*b),
        J::Null => Scalar::Null,
        _ => return None,
    })
}

impl Cx<'_> {
    fn name(&self, key: &str) -> Name {
        if let Some((p, local)) = key.split_once(':') {
            if local.starts_with("//") {
                // A full IRI as the key: its namespace is everything up to the last `/` or `#`.
                let cut = key.rfind(['/', '#']).map_or(key.len(), |i| i + 1);
                return Name {
                    ns: key[..cut].to_string(),
                    local: key[cut..].to_string(),
                    prefix: None,
                };
            }
            let iri = self
                .namespaces
                .iter()
                .rev()
                .find(|n| n.prefix == p)
                .map(|n| n.iri.clone())
                .or_else(|| context_prefix(p).map(str::to_string))
                // An undeclared prefix: JSON-LD reads `p:x` as the absolute IRI `p:x`.
                .unwrap_or_else(|| format!("{p}:"));
            return Name {
                ns: iri,
                local: local.to_string(),
                prefix: Some(p.to_string()),
            };
        }
        Name {
            ns: String::new(),
            local: key.to_string(),
            prefix: None,
        }
    }

    /// Extension elements from one member (an array gives one element per entry).
    fn ext(
        &self,
        key: &str,
        v: &J,
        out: &mut Vec<Element>,
        budget: &mut usize,
    ) -> Result<(), EpcisError> {
        let name = self.name(key);
        match v {
            J::Arr(xs) => {
                for x in xs {
                    if matches!(x, J::Arr(_)) {
                        return Err(bad(format!("extension '{key}': an array inside an array")));
                    }
                    let mut one = Vec::new();
                    self.ext(key, x, &mut one, budget)?;
                    for mut e in one {
                        e.shape = Shape::ArrayItem;
                        out.push(e);
                    }
                }
                if xs.is_empty() {
                    // An empty array: an element marked as an array with no value.
                    spend(budget)?;
                    out.push(Element {
                        name,
                        attrs: Vec::new(),
                        value: None,
                        children: Vec::new(),
                        shape: Shape::EmptyArray,
                    });
                }
            }
            J::Obj(m) => {
                spend(budget)?;
                let mut children = Vec::new();
                let mut value = None;
                for (k, x) in m {
                    // `#text`: the text of an element that also has members (the JSON
                    // form of XML mixed content), its value.
                    match (k.as_str(), scalar(x)) {
                        ("#text", Some(v)) => value = Some(v),
                        _ => self.ext(k, x, &mut children, budget)?,
                    }
                }
                out.push(Element {
                    name,
                    attrs: Vec::new(),
                    value,
                    children,
                    shape: Shape::Value,
                });
            }
            x => {
                spend(budget)?;
                out.push(Element {
                    name,
                    attrs: Vec::new(),
                    value: scalar(x),
                    children: Vec::new(),
                    shape: Shape::Value,
                });
            }
        }
        Ok(())
    }

    fn event(&self, v: &J) -> Result<Event, EpcisError> {
        let J::Obj(m) = v else {
            return Err(bad("an event is not an object"));
        };
        let t = match get(m, "type") {
            Some(J::Str(t)) => t,
            _ => return err(ErrorCode::MissingField, "the event has no type"),
        };
        let event_type = EventType::parse(t).ok_or_else(|| {
            EpcisError::new(
                ErrorCode::UnknownEventType,
                format!("'{t}' is not an EPCIS 2.0 event type"),
            )
        })?;
        let mut e = Event::new(event_type, "", "");
        let mut budget = MAX_EXTENSION_NODES;
        let (mut has_time, mut has_offset) = (false, false);
        for (k, v) in m {
            match k.as_str() {
                "type" => {}
                "eventTime" => {
                    e.event_time = string(v, k)?;
                    has_time = true;
                }
                "eventTimeZoneOffset" => {
                    e.event_time_zone_offset = string(v, k)?;
                    has_offset = true;
                }
                "recordTime" => e.record_time = Some(string(v, k)?),
                "eventID" => e.event_id = Some(string(v, k)?),
                "errorDeclaration" => e.error_declaration = Some(self.error_decl(v, &mut budget)?),
                "certificationInfo" => {
                    e.certification_info = match v {
                        J::Arr(_) => strings(v, k)?,
                        _ => vec![string(v, k)?],
                    }
                }
                "parentID" => e.parent_id = Some(string(v, k)?),
                "epcList" => e.epc_list = strings(v, k)?,
                "childEPCs" => e.child_epcs = strings(v, k)?,
                "inputEPCList" => e.input_epc_list = strings(v, k)?,
                "outputEPCList" => e.output_epc_list = strings(v, k)?,
                "quantityList" => e.quantity_list = quantities(v, k)?,
                "childQuantityList" => e.child_quantity_list = quantities(v, k)?,
                "inputQuantityList" => e.input_quantity_list = quantities(v, k)?,
                "outputQuantityList" => e.output_quantity_list = quantities(v, k)?,
                "action" => {
                    let a = string(v, k)?;
                    e.action = Some(Action::parse(&a).ok_or_else(|| {
                        EpcisError::new(
                            ErrorCode::BadValue,
                            format!("action '{a}' is not ADD, OBSERVE or DELETE"),
                        )
                    })?);
                }
                "transformationID" => e.transformation_id = Some(string(v, k)?),
                "bizStep" => e.biz_step = Some(string(v, k)?),
                "disposition" => e.disposition = Some(string(v, k)?),
                "persistentDisposition" => {
                    let J::Obj(pd) = v else {
                        return Err(bad("persistentDisposition is not an object"));
                    };
                    let mut p = PersistentDisposition::default();
                    for (pk, pv) in pd {
                        match pk.as_str() {
                            "set" => p.set = strings(pv, "persistentDisposition.set")?,
                            "unset" => p.unset = strings(pv, "persistentDisposition.unset")?,
                            _ => {
                                return Err(bad(format!(
                                    "persistentDisposition.{pk} is not a field"
                                )));
                            }
                        }
                    }
                    e.persistent_disposition = Some(p);
                }
                "readPoint" => e.read_point = Some(self.place(v, k, &mut budget)?),
                "bizLocation" => e.biz_location = Some(self.place(v, k, &mut budget)?),
                "bizTransactionList" => {
                    e.biz_transaction_list = objects(v, k)?
                        .into_iter()
                        .map(|o| {
                            Ok(BizTransaction {
                                kind: get(o, "type")
                                    .map(|t| string(t, "bizTransaction type"))
                                    .transpose()?,
                                id: req(o, "bizTransaction")?,
                            })
                        })
                        .collect::<Result<_, EpcisError>>()?
                }
                "sourceList" => e.source_list = source_dest(v, k, "source")?,
                "destinationList" => e.destination_list = source_dest(v, k, "destination")?,
                "sensorElementList" => {
                    let list = objects(v, k)?;
                    let mut out = Vec::with_capacity(list.len());
                    for o in list {
                        out.push(self.sensor_element(o, &mut budget)?);
                    }
                    e.sensor_element_list = out;
                }
                "ilmd" => {
                    let J::Obj(im) = v else {
                        return Err(bad("ilmd is not an object"));
                    };
                    let mut out = Vec::new();
                    for (ik, iv) in im {
                        self.ext(ik, iv, &mut out, &mut budget)?;
                    }
                    e.ilmd = Some(out);
                }
                _ => self.ext(k, v, &mut e.extensions, &mut budget)?,
            }
        }
        if !has_time {
            return err(ErrorCode::MissingField, "the event has no eventTime");
        }
        if !has_offset {
            return err(
                ErrorCode::MissingField,
                "the event has no eventTimeZoneOffset",
            );
        }
        crate::check::event(&e)?;
        Ok(e)
    }

    fn place(&self, v: &J, what: &str, budget: &mut usize) -> Result<Place, EpcisError> {
        let J::Obj(m) = v else {
            return Err(bad(format!("{what} is not an object")));
        };
        let mut p = Place::default();
        let mut has_id = false;
        for (k, x) in m {
            if k == "id" {
                p.id = string(x, "id")?;
                has_id = true;
            } else {
                self.ext(k, x, &mut p.extensions, budget)?;
            }
        }
        if !has_id {
            return err(ErrorCode::MissingField, format!("{what} has no id"));
        }
        Ok(p)
    }

    fn error_decl(&self, v: &J, budget: &mut usize) -> Result<ErrorDeclaration, EpcisError> {
        let J::Obj(m) = v else {
            return Err(bad("errorDeclaration is not an object"));
        };
        let mut d = ErrorDeclaration::default();
        let mut has_time = false;
        for (k, x) in m {
            match k.as_str() {
                "declarationTime" => {
                    d.declaration_time = string(x, k)?;
                    has_time = true;
                }
                "reason" => d.reason = Some(string(x, k)?),
                "correctiveEventIDs" => d.corrective_event_ids = strings(x, k)?,
                _ => self.ext(k, x, &mut d.extensions, budget)?,
            }
        }
        if !has_time {
            return err(
                ErrorCode::MissingField,
                "errorDeclaration has no declarationTime",
            );
        }
        Ok(d)
    }

    fn attrs(&self, v: &J, what: &str, budget: &mut usize) -> Result<Vec<Attr>, EpcisError> {
        let J::Obj(m) = v else {
            return Err(bad(format!("{what} is not an object")));
        };
        let mut out = Vec::with_capacity(m.len());
        for (k, x) in m {
            spend(budget)?;
            let value =
                scalar(x).ok_or_else(|| bad(format!("{what}.{k} is not a single value")))?;
            out.push(Attr {
                name: self.name(k),
                value,
            });
        }
        Ok(out)
    }

    fn sensor_element(
        &self,
        m: &[(String, J)],
        budget: &mut usize,
    ) -> Result<SensorElement, EpcisError> {
        let mut s = SensorElement::default();
        for (k, x) in m {
            match k.as_str() {
                "sensorMetadata" => s.metadata = Some(self.attrs(x, k, budget)?),
                "sensorReport" => {
                    let J::Arr(xs) = x else {
                        return Err(bad("sensorReport is not an array"));
                    };
                    check_len(xs.len(), k)?;
                    for r in xs {
                        s.reports.push(self.attrs(r, k, budget)?);
                    }
                }
                _ => self.ext(k, x, &mut s.extensions, budget)?,
            }
        }
        Ok(s)
    }
}

fn spend(budget: &mut usize) -> Result<(), EpcisError> {
    if *budget == 0 {
        return err(
            ErrorCode::TooLarge,
            format!("more than {MAX_EXTENSION_NODES} extension elements in one event"),
        );
    }
    *budget -= 1;
    Ok(())
}

fn objects<'a>(v: &'a J, what: &str) -> Result<Vec<&'a [(String, J)]>, EpcisError> {
    let J::Arr(xs) = v else {
        return Err(bad(format!("{what} is not an array")));
    };
    check_len(xs.len(), what)?;
    xs.iter()
        .map(|x| match x {
            J::Obj(m) => Ok(m.as_slice()),
            _ => Err(bad(format!("an entry of {what} is not an object"))),
        })
        .collect()
}

fn req(m: &[(String, J)], k: &str) -> Result<String, EpcisError> {
    match get(m, k) {
        Some(v) => string(v, k),
        None => err(ErrorCode::MissingField, format!("{k} is missing")),
    }
}

fn quantities(v: &J, what: &str) -> Result<Vec<QuantityElement>, EpcisError> {
    objects(v, what)?
        .into_iter()
        .map(|m| {
            let quantity = match get(m, "quantity") {
                Some(J::Num(n)) => Some(n.clone()),
                Some(J::Str(n)) => Some(n.clone()),
                None => None,
                Some(_) => return Err(bad("quantity is not a number")),
            };
            Ok(QuantityElement {
                epc_class: req(m, "epcClass")?,
                quantity,
                uom: get(m, "uom").map(|u| string(u, "uom")).transpose()?,
            })
        })
        .collect()
}

fn source_dest(v: &J, what: &str, field: &str) -> Result<Vec<SourceDest>, EpcisError> {
    objects(v, what)?
        .into_iter()
        .map(|m| {
            Ok(SourceDest {
                kind: req(m, "type")?,
                id: req(m, field)?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Writing.

struct W {
    out: String,
}

impl W {
    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }
    fn str(&mut self, s: &str) {
        // serde_json's own string escaping; it cannot fail for a &str.
        match serde_json::to_string(s) {
            Ok(q) => self.out.push_str(&q),
            Err(_) => self.out.push_str("\"\""),
        }
    }
    fn key(&mut self, first: &mut bool, k: &str) {
        if !*first {
            self.out.push(',');
        }
        *first = false;
        self.str(k);
        self.out.push(':');
    }
    fn scalar(&mut self, v: &Scalar) {
        match v {
            Scalar::Text(s) => self.str(s),
            Scalar::Number(n) => self.raw(n),
            Scalar::Bool(b) => self.raw(if *b { "true" } else { "false" }),
            Scalar::Null => self.raw("null"),
        }
    }
    fn strings(&mut self, xs: &[String]) {
        self.raw("[");
        for (i, x) in xs.iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            self.str(x);
        }
        self.raw("]");
    }
}

/// The JSON-LD key of a name: `prefix:local` with the document's prefix for its
/// namespace, else the one it was read with.
fn key_of(doc: &Document, n: &Name) -> String {
    if n.ns.is_empty() {
        return n.local.clone();
    }
    // A prefix that the reader will resolve to this namespace: the name's own, or any
    // declared for it; else the EPCIS context's own or an undeclared `p:` (not shadowed
    // by a declaration); else the full IRI.
    let ns = n.ns.as_str();
    let declared = |p: &str| effective(doc, p) == Some(ns);
    let builtin = |p: &str| {
        effective(doc, p).is_none() && (context_prefix(p) == Some(ns) || ns == format!("{p}:"))
    };
    let own = n.prefix.as_deref();
    let p = own
        .filter(|p| declared(p))
        .or_else(|| {
            doc.namespaces
                .iter()
                .map(|x| x.prefix.as_str())
                .find(|p| declared(p))
        })
        .or_else(|| own.filter(|p| builtin(p)));
    match p {
        Some(p) => format!("{p}:{}", n.local),
        None => format!("{ns}{}", n.local),
    }
}

/// The IRI `p` stands for in `doc`'s context: its last declaration, as the reader takes it.
fn effective<'a>(doc: &'a Document, p: &str) -> Option<&'a str> {
    doc.namespaces
        .iter()
        .rev()
        .find(|x| x.prefix == p)
        .map(|x| x.iri.as_str())
}

fn write_elements(w: &mut W, doc: &Document, first: &mut bool, els: &[Element]) {
    // JSON has one member per name: elements of the same name (an array read from
    // JSON-LD, or repeated XML elements) become one array at the place of the first.
    let mut done: Vec<&Name> = Vec::new();
    for e in els {
        if done.contains(&&e.name) {
            continue;
        }
        done.push(&e.name);
        let same: Vec<&Element> = els.iter().filter(|x| x.name == e.name).collect();
        w.key(first, &key_of(doc, &e.name));
        if same.len() == 1 && e.shape == Shape::Value {
            write_element_value(w, doc, e);
            continue;
        }
        w.raw("[");
        let mut n = 0;
        for x in same {
            // JSON-LD's empty array is one element with no value.
            if x.is_empty_array() {
                continue;
            }
            if n > 0 {
                w.raw(",");
            }
            write_element_value(w, doc, x);
            n += 1;
        }
        w.raw("]");
    }
}

fn write_element_value(w: &mut W, doc: &Document, e: &Element) {
    if e.children.is_empty() && e.attrs.is_empty() {
        match &e.value {
            Some(v) => w.scalar(v),
            None => w.raw("{}"),
        }
        return;
    }
    // An element with children (and, from XML, attributes or mixed text): an object.
    w.raw("{");
    let mut first = true;
    for (n, v) in &e.attrs {
        w.key(&mut first, &key_of(doc, n));
        w.str(v);
    }
    if let Some(v) = &e.value {
        w.key(&mut first, "#text");
        w.scalar(v);
    }
    write_elements(w, doc, &mut first, &e.children);
    w.raw("}");
}

fn write_quantities(w: &mut W, first: &mut bool, k: &str, qs: &[QuantityElement]) {
    if qs.is_empty() {
        return;
    }
    w.key(first, k);
    w.raw("[");
    for (i, q) in qs.iter().enumerate() {
        if i > 0 {
            w.raw(",");
        }
        w.raw("{");
        let mut f = true;
        w.key(&mut f, "epcClass");
        w.str(&q.epc_class);
        if let Some(n) = &q.quantity {
            w.key(&mut f, "quantity");
            // As a JSON number when it reads back as the same text (`12`, `2.5`); a
            // quantity written as a string or as `2.50` stays a string.
            if serde_json::from_str::<J>(n).ok() == Some(J::Num(n.clone())) {
                w.raw(n);
            } else {
                w.str(n);
            }
        }
        if let Some(u) = &q.uom {
            w.key(&mut f, "uom");
            w.str(u);
        }
        w.raw("}");
    }
    w.raw("]");
}

fn write_attrs(w: &mut W, doc: &Document, attrs: &[Attr]) {
    w.raw("{");
    let mut f = true;
    for a in attrs {
        w.key(&mut f, &key_of(doc, &a.name));
        w.scalar(&a.value);
    }
    w.raw("}");
}

/// Writes a document as EPCIS 2.0 JSON-LD: the EPCIS context, then one object entry with
/// the document's namespace prefixes; standard fields in the standard's order, user
/// extensions after them in the order they were read.
pub fn write_jsonld(doc: &Document) -> String {
    let first = write_jsonld_with(doc, false);
    // From XML, a value `p:x` is a URI of scheme `p`; in JSON-LD it would be a compact
    // IRI if `p` is declared for extension names. If that changes an event's identity,
    // the names' namespaces are declared under prefixes of our own instead.
    if !doc.expand_value_prefixes
        && parse_jsonld(&first).map(|d| crate::hash::hash_ids(&d)).ok()
            != Some(crate::hash::hash_ids(doc))
    {
        return write_jsonld_with(doc, true);
    }
    first
}

fn write_jsonld_with(doc: &Document, own_prefixes: bool) -> String {
    let renamed;
    let doc = if own_prefixes {
        let mut d = doc.clone();
        for (i, n) in d.namespaces.iter_mut().enumerate() {
            n.prefix = format!("ns{i}");
        }
        for e in &mut d.events {
            e.clear_prefixes();
        }
        renamed = d;
        &renamed
    } else {
        doc
    };
    let mut w = W { out: String::new() };
    w.raw("{");
    let mut f = true;
    w.key(&mut f, "@context");
    w.raw("[");
    w.str(EPCIS_CONTEXT);
    // From XML, a value `p:x` is a URI of scheme `p`; declaring `p` in the context would
    // make it a compact IRI. So only the prefixes that names use are declared then.
    let mut used: Vec<String> = Vec::new();
    if !doc.expand_value_prefixes {
        for e in &doc.events {
            e.visit_extension_names(&mut |n: &Name| used.push(n.ns.clone()));
        }
    }
    for n in &doc.namespaces {
        // One entry per prefix, the one that counts (the last).
        if effective(doc, &n.prefix) != Some(n.iri.as_str())
            || (!doc.expand_value_prefixes && !used.contains(&n.iri))
        {
            continue;
        }
        w.raw(",{");
        w.str(&n.prefix);
        w.raw(":");
        w.str(&n.iri);
        w.raw("}");
    }
    w.raw("]");
    w.key(&mut f, "type");
    w.str(match doc.kind {
        DocumentKind::Epcis => "EPCISDocument",
        DocumentKind::Query => "EPCISQueryDocument",
    });
    w.key(&mut f, "schemaVersion");
    w.str(if doc.schema_version.is_empty() {
        "2.0"
    } else {
        &doc.schema_version
    });
    w.key(&mut f, "creationDate");
    w.str(&doc.creation_date);
    w.key(&mut f, "epcisBody");
    w.raw("{");
    let mut fb = true;
    let close = match doc.kind {
        DocumentKind::Epcis => 0,
        DocumentKind::Query => {
            w.key(&mut fb, "queryResults");
            w.raw("{");
            let mut fq = true;
            if let Some(s) = &doc.subscription_id {
                w.key(&mut fq, "subscriptionID");
                w.str(s);
            }
            w.key(&mut fq, "queryName");
            w.str(doc.query_name.as_deref().unwrap_or("SimpleEventQuery"));
            w.key(&mut fq, "resultsBody");
            w.raw("{");
            fb = true;
            2
        }
    };
    w.key(&mut fb, "eventList");
    w.raw("[");
    for (i, e) in doc.events.iter().enumerate() {
        if i > 0 {
            w.raw(",");
        }
        write_event(&mut w, doc, e);
    }
    w.raw("]");
    for _ in 0..close {
        w.raw("}");
    }
    w.raw("}}");
    w.out
}

fn write_event(w: &mut W, doc: &Document, e: &Event) {
    w.raw("{");
    let mut f = true;
    let opt = |w: &mut W, f: &mut bool, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            w.key(f, k);
            w.str(v);
        }
    };
    w.key(&mut f, "type");
    w.str(e.event_type.as_str());
    w.key(&mut f, "eventTime");
    w.str(&e.event_time);
    w.key(&mut f, "eventTimeZoneOffset");
    w.str(&e.event_time_zone_offset);
    opt(w, &mut f, "recordTime", &e.record_time);
    opt(w, &mut f, "eventID", &e.event_id);
    if let Some(d) = &e.error_declaration {
        w.key(&mut f, "errorDeclaration");
        w.raw("{");
        let mut fd = true;
        w.key(&mut fd, "declarationTime");
        w.str(&d.declaration_time);
        opt(w, &mut fd, "reason", &d.reason);
        if !d.corrective_event_ids.is_empty() {
            w.key(&mut fd, "correctiveEventIDs");
            w.strings(&d.corrective_event_ids);
        }
        write_elements(w, doc, &mut fd, &d.extensions);
        w.raw("}");
    }
    match e.certification_info.as_slice() {
        [] => {}
        [one] => {
            w.key(&mut f, "certificationInfo");
            w.str(one);
        }
        many => {
            w.key(&mut f, "certificationInfo");
            w.strings(many);
        }
    }
    opt(w, &mut f, "parentID", &e.parent_id);
    for (k, xs) in [
        ("epcList", &e.epc_list),
        ("childEPCs", &e.child_epcs),
        ("inputEPCList", &e.input_epc_list),
        ("outputEPCList", &e.output_epc_list),
    ] {
        let always = k == "epcList"
            && matches!(
                e.event_type,
                EventType::ObjectEvent | EventType::TransactionEvent
            );
        if !xs.is_empty() || (always && e.quantity_list.is_empty()) {
            w.key(&mut f, k);
            w.strings(xs);
        }
    }
    write_quantities(w, &mut f, "quantityList", &e.quantity_list);
    write_quantities(w, &mut f, "childQuantityList", &e.child_quantity_list);
    write_quantities(w, &mut f, "inputQuantityList", &e.input_quantity_list);
    write_quantities(w, &mut f, "outputQuantityList", &e.output_quantity_list);
    if let Some(a) = e.action {
        w.key(&mut f, "action");
        w.str(a.as_str());
    }
    opt(w, &mut f, "transformationID", &e.transformation_id);
    opt(w, &mut f, "bizStep", &e.biz_step);
    opt(w, &mut f, "disposition", &e.disposition);
    if let Some(p) = &e.persistent_disposition {
        w.key(&mut f, "persistentDisposition");
        w.raw("{");
        let mut fp = true;
        if !p.set.is_empty() {
            w.key(&mut fp, "set");
            w.strings(&p.set);
        }
        if !p.unset.is_empty() {
            w.key(&mut fp, "unset");
            w.strings(&p.unset);
        }
        w.raw("}");
    }
    for (k, p) in [
        ("readPoint", &e.read_point),
        ("bizLocation", &e.biz_location),
    ] {
        if let Some(p) = p {
            w.key(&mut f, k);
            w.raw("{");
            let mut fp = true;
            w.key(&mut fp, "id");
            w.str(&p.id);
            write_elements(w, doc, &mut fp, &p.extensions);
            w.raw("}");
        }
    }
    if !e.biz_transaction_list.is_empty() {
        w.key(&mut f, "bizTransactionList");
        w.raw("[");
        for (i, b) in e.biz_transaction_list.iter().enumerate() {
            if i > 0 {
                w.raw(",");
            }
            w.raw("{");
            let mut fb = true;
            opt(w, &mut fb, "type", &b.kind);
            w.key(&mut fb, "bizTransaction");
            w.str(&b.id);
            w.raw("}");
        }
        w.raw("]");
    }
    for (k, field, xs) in [
        ("sourceList", "source", &e.source_list),
        ("destinationList", "destination", &e.destination_list),
    ] {
        if xs.is_empty() {
            continue;
        }
        w.key(&mut f, k);
        w.raw("[");
        for (i, s) in xs.iter().enumerate() {
            if i > 0 {
                w.raw(",");
            }
            w.raw("{");
            let mut fs = true;
            w.key(&mut fs, "type");
            w.str(&s.kind);
            w.key(&mut fs, field);
            w.str(&s.id);
            w.raw("}");
        }
        w.raw("]");
    }
    if !e.sensor_element_list.is_empty() {
        w.key(&mut f, "sensorElementList");
        w.raw("[");
        for (i, s) in e.sensor_element_list.iter().enumerate() {
            if i > 0 {
                w.raw(",");
            }
            w.raw("{");
            let mut fs = true;
            if let Some(m) = &s.metadata {
                w.key(&mut fs, "sensorMetadata");
                write_attrs(w, doc, m);
            }
            if !s.reports.is_empty() {
                w.key(&mut fs, "sensorReport");
                w.raw("[");
                for (j, r) in s.reports.iter().enumerate() {
                    if j > 0 {
                        w.raw(",");
                    }
                    write_attrs(w, doc, r);
                }
                w.raw("]");
            }
            write_elements(w, doc, &mut fs, &s.extensions);
            w.raw("}");
        }
        w.raw("]");
    }
    if let Some(ilmd) = &e.ilmd {
        w.key(&mut f, "ilmd");
        w.raw("{");
        let mut fi = true;
        write_elements(w, doc, &mut fi, ilmd);
        w.raw("}");
    }
    write_elements(w, doc, &mut f, &e.extensions);
    w.raw("}");
}
