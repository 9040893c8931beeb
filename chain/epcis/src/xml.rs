//! EPCIS XML: read ([`parse_xml`]) EPCIS 2.0 and the EPCIS 1.x placement of newer fields
//! inside `<extension>`/`<baseExtension>` elements (and 1.x's `TransformationEvent`
//! wrapped in `<extension>` in the event list); write ([`write_xml`]) EPCIS 2.0.
//!
//! quick-xml reads the text into a small element tree (namespaces resolved here, depth
//! and sizes bounded), which is then mapped onto the model. Elements in a namespace are
//! user extensions and are kept whole: attributes, text, children, in order.

use crate::cbv::Vocab;
use crate::error::{EpcisError, ErrorCode, err};
use crate::limits::*;
use crate::model::*;
use quick_xml::XmlVersion;
use quick_xml::events::Event as X;
use quick_xml::reader::Reader;

/// The EPCIS 2.0 XML namespace.
pub const EPCIS_NS: &str = "urn:epcglobal:epcis:xsd:2";
/// The EPCIS 2.0 query namespace.
pub const EPCIS_QUERY_NS: &str = "urn:epcglobal:epcis-query:xsd:2";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

#[derive(Clone, Debug, Default)]
pub(crate) struct XNode {
    pub(crate) name: Name,
    attrs: Vec<(Name, String)>,
    text: String,
    pub(crate) children: Vec<XNode>,
}

fn bad(msg: impl Into<String>) -> EpcisError {
    EpcisError::new(ErrorCode::BadXml, msg)
}

fn split(q: &str) -> Result<(Option<&str>, &str), EpcisError> {
    let (p, l) = match q.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, q),
    };
    if !is_ncname(l) || p.is_some_and(|p| !is_ncname(p)) {
        return Err(bad(format!("'{q}' is not an XML name")));
    }
    Ok((p, l))
}

fn resolve(
    scopes: &[(String, String)],
    prefix: Option<&str>,
    element: bool,
) -> Result<String, EpcisError> {
    match prefix {
        Some("xml") => Ok(XML_NS.into()),
        Some(p) => scopes
            .iter()
            .rev()
            .find(|(k, _)| k == p)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| bad(format!("namespace prefix '{p}' is not declared"))),
        None if element => Ok(scopes
            .iter()
            .rev()
            .find(|(k, _)| k.is_empty())
            .map(|(_, v)| v.clone())
            .unwrap_or_default()),
        None => Ok(String::new()),
    }
}

fn check_text(s: &str) -> Result<(), EpcisError> {
    if s.len() > MAX_STRING_BYTES {
        return err(
            ErrorCode::TooLarge,
            format!("a text of {} bytes (at most {MAX_STRING_BYTES})", s.len()),
        );
    }
    Ok(())
}

/// The element tree of `text`, with every namespace declaration seen (in order).
fn tree(text: &str) -> Result<(XNode, Vec<Namespace>), EpcisError> {
    let mut r = Reader::from_reader(text.as_bytes());
    tree_from(&mut r, None)
}

/// What the streaming reader ([`crate::stream`]) is told while a document is read: an
/// element of the event list begins, and one is complete (it is handed over instead of
/// being kept in the tree).
pub(crate) trait EventSink {
    /// An element of the event list begins.
    fn begin(&mut self);
    /// An element of the event list is complete; `root` is the document element (its
    /// attributes read, no children kept) and `declared` the namespace declarations so far.
    fn event(
        &mut self,
        node: XNode,
        root: &XNode,
        declared: &[Namespace],
    ) -> Result<(), EpcisError>;
}

/// Whether the open elements are a document's event list (the children of which are its
/// events). Elements are matched by local name, as the whole-document reader finds them
/// (`child`), so both readers see the same events of a document whatever namespace its
/// root is declared in (a stricter test here once streamed no events at all of a
/// document the whole-document reader read in full).
fn in_event_list(stack: &[(XNode, usize)]) -> bool {
    let names: Vec<&str> = stack.iter().map(|(n, _)| n.name.local.as_str()).collect();
    matches!(
        names.as_slice(),
        ["EPCISDocument", "EPCISBody", "EventList"]
            | [
                "EPCISQueryDocument",
                "EPCISBody",
                "QueryResults",
                "resultsBody",
                "EventList"
            ]
    )
}

/// The element tree read from `r`, with every namespace declaration seen (in order). With
/// a sink, the event list's elements go to it as each is complete and are not kept.
pub(crate) fn tree_from<R: std::io::BufRead>(
    r: &mut Reader<R>,
    mut sink: Option<&mut dyn EventSink>,
) -> Result<(XNode, Vec<Namespace>), EpcisError> {
    r.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut scopes: Vec<(String, String)> = Vec::new();
    // Each open element and the length of `scopes` before it.
    let mut stack: Vec<(XNode, usize)> = Vec::new();
    let mut declared: Vec<Namespace> = Vec::new();
    let mut root: Option<XNode> = None;
    let mut nodes = 0usize;
    loop {
        buf.clear();
        let ev = r.read_event_into(&mut buf).map_err(|e| {
            bad(format!(
                "not well-formed XML at byte {}: {e}",
                r.buffer_position()
            ))
        })?;
        match ev {
            X::Start(s) | X::Empty(s) if root.is_some() => {
                let _ = s;
                return Err(bad("content after the root element"));
            }
            X::Start(ref s) | X::Empty(ref s) => {
                if stack.len() >= MAX_DEPTH {
                    return err(
                        ErrorCode::TooDeep,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    );
                }
                if let Some(sk) = sink.as_deref_mut()
                    && in_event_list(&stack)
                {
                    sk.begin();
                    // Each event is bounded on its own (see limits::MAX_EVENT_BYTES).
                    nodes = 0;
                }
                nodes += 1;
                if nodes > MAX_NODES {
                    return err(
                        ErrorCode::TooLarge,
                        format!("more than {MAX_NODES} elements and attributes"),
                    );
                }
                let mark = scopes.len();
                let mut raw_attrs = Vec::new();
                for a in s.attributes().with_checks(true) {
                    let a = a.map_err(|e| bad(format!("a bad attribute: {e}")))?;
                    nodes += 1;
                    if nodes > MAX_NODES {
                        return err(
                            ErrorCode::TooLarge,
                            format!("more than {MAX_NODES} elements and attributes"),
                        );
                    }
                    let key: String = AsRef::<str>::as_ref(&a.key).to_string();
                    let value = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| bad(format!("attribute {key}: {e}")))?
                        .into_owned();
                    check_text(&value)?;
                    if key == "xmlns" {
                        scopes.push((String::new(), value));
                    } else if let Some(p) = key.strip_prefix("xmlns:") {
                        if !is_ncname(p) {
                            return Err(bad(format!("'{p}' is not a namespace prefix")));
                        }
                        if declared.len() >= MAX_NAMESPACES {
                            return err(
                                ErrorCode::TooLarge,
                                format!("more than {MAX_NAMESPACES} namespace declarations"),
                            );
                        }
                        if !declared.iter().any(|n| n.prefix == p && n.iri == value) {
                            declared.push(Namespace {
                                prefix: p.to_string(),
                                iri: value.clone(),
                            });
                        }
                        scopes.push((p.to_string(), value));
                    } else {
                        raw_attrs.push((key, value));
                    }
                }
                let qname: String = AsRef::<str>::as_ref(&s.name()).to_string();
                let (prefix, local) = split(&qname)?;
                let mut ns = resolve(&scopes, prefix, true)?;
                // The EPCIS namespaces themselves (a document may make one its default):
                // standard elements, like those in no namespace.
                if ns.starts_with("urn:epcglobal:epcis:")
                    || ns.starts_with("urn:epcglobal:epcis-query:")
                {
                    ns.clear();
                }
                let mut node = XNode {
                    name: Name {
                        ns,
                        local: local.to_string(),
                        prefix: prefix.map(str::to_string),
                    },
                    ..XNode::default()
                };
                for (k, v) in raw_attrs {
                    let (p, l) = split(&k)?;
                    node.attrs.push((
                        Name {
                            ns: resolve(&scopes, p, false)?,
                            local: l.to_string(),
                            prefix: p.map(str::to_string),
                        },
                        v,
                    ));
                }
                if matches!(ev, X::Empty(_)) {
                    scopes.truncate(mark);
                    if let Some(sk) = sink.as_deref_mut()
                        && in_event_list(&stack)
                    {
                        sk.event(node, &stack[0].0, &declared)?;
                        continue;
                    }
                    match stack.last_mut() {
                        Some((parent, _)) => push_child(parent, node)?,
                        None => root = Some(node),
                    }
                } else {
                    stack.push((node, mark));
                }
            }
            X::End(_) => {
                let (node, mark) = stack
                    .pop()
                    .ok_or_else(|| bad("an end tag without a start"))?;
                scopes.truncate(mark);
                if let Some(sk) = sink.as_deref_mut()
                    && in_event_list(&stack)
                {
                    sk.event(node, &stack[0].0, &declared)?;
                    continue;
                }
                match stack.last_mut() {
                    Some((parent, _)) => push_child(parent, node)?,
                    None => root = Some(node),
                }
            }
            X::Text(t) => append_text(&mut stack, &t.xml10_content())?,
            X::CData(t) => append_text(&mut stack, &t.xml10_content())?,
            X::GeneralRef(g) => {
                let c = match g.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match g.xml10_content().as_ref() {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "apos" => "'".into(),
                        "quot" => "\"".into(),
                        other => return Err(bad(format!("unknown entity &{other};"))),
                    },
                    Err(e) => return Err(bad(format!("a bad character reference: {e}"))),
                };
                append_text(&mut stack, &c)?;
            }
            X::Decl(_) | X::Comment(_) | X::PI(_) | X::DocType(_) => {}
            X::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(bad("the document ends inside an element"));
    }
    let root = root.ok_or_else(|| bad("no root element"))?;
    Ok((root, declared))
}

fn push_child(parent: &mut XNode, node: XNode) -> Result<(), EpcisError> {
    if parent.children.len() >= MAX_EVENTS.max(MAX_LIST_LEN) {
        return err(
            ErrorCode::TooLarge,
            format!("<{}> has too many children", parent.name.local),
        );
    }
    parent.children.push(node);
    Ok(())
}

fn append_text(stack: &mut [(XNode, usize)], t: &str) -> Result<(), EpcisError> {
    if let Some((node, _)) = stack.last_mut() {
        if node.text.len() + t.len() > MAX_STRING_BYTES {
            // Whitespace between children may add up in a large list; only keep it while
            // it is short.
            if t.trim().is_empty() {
                return Ok(());
            }
            return err(
                ErrorCode::TooLarge,
                format!("a text of more than {MAX_STRING_BYTES} bytes"),
            );
        }
        node.text.push_str(t);
    }
    Ok(())
}

fn child<'a>(n: &'a XNode, local: &str) -> Option<&'a XNode> {
    n.children.iter().find(|c| c.name.local == local)
}

fn attr<'a>(n: &'a XNode, local: &str) -> Option<&'a str> {
    n.attrs
        .iter()
        .find(|(k, _)| k.ns.is_empty() && k.local == local)
        .map(|(_, v)| v.as_str())
}

/// The children of `n`, with the content of no-namespace `extension` and `baseExtension`
/// elements in their place (the EPCIS 1.x placement of newer fields).
fn flat(n: &XNode) -> Vec<&XNode> {
    let mut out = Vec::new();
    let mut todo: Vec<&XNode> = n.children.iter().rev().collect();
    while let Some(c) = todo.pop() {
        if c.name.ns.is_empty() && (c.name.local == "extension" || c.name.local == "baseExtension")
        {
            todo.extend(c.children.iter().rev());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads an EPCIS XML document (`EPCISDocument` or `EPCISQueryDocument`, EPCIS 2.0 or 1.x).
pub fn parse_xml(text: &str) -> Result<Document, EpcisError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return err(
            ErrorCode::TooLarge,
            format!(
                "the document has {} bytes (at most {MAX_DOCUMENT_BYTES})",
                text.len()
            ),
        );
    }
    let (root, namespaces) = tree(text)?;
    let mut doc = head(&root, namespaces)?;
    let body = child(&root, "EPCISBody")
        .ok_or_else(|| EpcisError::new(ErrorCode::MissingField, "the document has no EPCISBody"))?;
    let list = match doc.kind {
        DocumentKind::Epcis => child(body, "EventList"),
        DocumentKind::Query => {
            let qr = child(body, "QueryResults").ok_or_else(|| {
                EpcisError::new(
                    ErrorCode::MissingField,
                    "the query document has no QueryResults",
                )
            })?;
            doc.query_name = child(qr, "queryName").map(|q| q.text.trim().to_string());
            doc.subscription_id = child(qr, "subscriptionID").map(|q| q.text.trim().to_string());
            child(qr, "resultsBody").and_then(|rb| child(rb, "EventList"))
        }
    };
    let nodes: Vec<&XNode> = list.map(flat).unwrap_or_default();
    if nodes.len() > MAX_EVENTS {
        return err(
            ErrorCode::TooLarge,
            format!("{} events (at most {MAX_EVENTS})", nodes.len()),
        );
    }
    let mut events = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.into_iter().enumerate() {
        events.push(event(n).map_err(|e| e.at_event(i))?);
    }
    doc.events = events;
    Ok(doc)
}

/// A document's header (no events) from its root element's name and attributes; the
/// whole-document reader and the streaming one ([`crate::stream`]) both read it here.
pub(crate) fn head(root: &XNode, namespaces: Vec<Namespace>) -> Result<Document, EpcisError> {
    let kind = match root.name.local.as_str() {
        "EPCISDocument" => DocumentKind::Epcis,
        "EPCISQueryDocument" => DocumentKind::Query,
        other => return Err(bad(format!("<{other}> is not an EPCIS document"))),
    };
    let schema_version = attr(root, "schemaVersion").unwrap_or_default().to_string();
    let creation_date = attr(root, "creationDate")
        .ok_or_else(|| {
            EpcisError::new(ErrorCode::MissingField, "the document has no creationDate")
        })?
        .trim()
        .to_string();
    crate::time::parse_time_ms(&creation_date)?;
    Ok(Document {
        kind,
        schema_version,
        creation_date,
        namespaces,
        expand_value_prefixes: false,
        query_name: None,
        subscription_id: None,
        events: Vec::new(),
    })
}

/// The events of one element of an event list: itself, or (EPCIS 1.x) those inside an
/// `extension` wrapper, each read onto the model.
pub(crate) fn events_in(node: XNode) -> Vec<Result<Event, EpcisError>> {
    let wrapper = XNode {
        children: vec![node],
        ..XNode::default()
    };
    flat(&wrapper).into_iter().map(event).collect()
}

fn text(n: &XNode) -> String {
    n.text.trim().to_string()
}

fn to_element(n: &XNode, budget: &mut usize) -> Result<Element, EpcisError> {
    spend(budget, 1 + n.attrs.len())?;
    let t = n.text.trim();
    let mut children = Vec::with_capacity(n.children.len());
    for c in &n.children {
        children.push(to_element(c, budget)?);
    }
    Ok(Element {
        name: n.name.clone(),
        attrs: n.attrs.clone(),
        value: (!t.is_empty()).then(|| Scalar::Text(t.to_string())),
        children,
        shape: Shape::Value,
    })
}

fn spend(budget: &mut usize, n: usize) -> Result<(), EpcisError> {
    if *budget < n {
        return err(
            ErrorCode::TooLarge,
            format!("more than {MAX_EXTENSION_NODES} extension elements in one event"),
        );
    }
    *budget -= n;
    Ok(())
}

fn list_of(n: &XNode, item: &str) -> Result<Vec<String>, EpcisError> {
    let items: Vec<String> = flat(n)
        .into_iter()
        .filter(|c| c.name.ns.is_empty() && c.name.local == item)
        .map(text)
        .collect();
    if items.len() > MAX_LIST_LEN {
        return err(
            ErrorCode::TooLarge,
            format!(
                "<{}> has {} entries (at most {MAX_LIST_LEN})",
                n.name.local,
                items.len()
            ),
        );
    }
    Ok(items)
}

fn quantities(n: &XNode) -> Result<Vec<QuantityElement>, EpcisError> {
    let mut out = Vec::new();
    for q in flat(n) {
        if q.name.local != "quantityElement" {
            continue;
        }
        let epc_class = child(q, "epcClass").map(text).ok_or_else(|| {
            EpcisError::new(ErrorCode::MissingField, "a quantityElement has no epcClass")
        })?;
        out.push(QuantityElement {
            epc_class,
            // `<quantity xsi:nil="true"/>`: no quantity.
            quantity: child(q, "quantity")
                .filter(|x| {
                    !x.attrs.iter().any(|(k, v)| {
                        k.local == "nil"
                            && k.ns == "http://www.w3.org/2001/XMLSchema-instance"
                            && v.trim() == "true"
                    })
                })
                .map(text),
            uom: child(q, "uom").map(text),
        });
    }
    if out.len() > MAX_LIST_LEN {
        return err(ErrorCode::TooLarge, "too many quantity elements");
    }
    Ok(out)
}

fn place(n: &XNode, budget: &mut usize) -> Result<Place, EpcisError> {
    let mut p = Place::default();
    let mut has_id = false;
    for c in flat(n) {
        if c.name.ns.is_empty() && c.name.local == "id" {
            p.id = text(c);
            has_id = true;
        } else {
            p.extensions.push(to_element(c, budget)?);
        }
    }
    if !has_id {
        return err(
            ErrorCode::MissingField,
            format!("{} has no id", n.name.local),
        );
    }
    Ok(p)
}

fn attrs_of(n: &XNode, budget: &mut usize) -> Result<Vec<Attr>, EpcisError> {
    spend(budget, n.attrs.len())?;
    Ok(n.attrs
        .iter()
        .map(|(k, v)| Attr {
            name: k.clone(),
            value: Scalar::Text(v.clone()),
        })
        .collect())
}

/// The standard fields of an event, as XML element names.
const STANDARD: &[&str] = &[
    "eventTime",
    "eventTimeZoneOffset",
    "recordTime",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
    "parentID",
    "epcList",
    "childEPCs",
    "inputEPCList",
    "outputEPCList",
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
    "action",
    "transformationID",
    "bizStep",
    "disposition",
    "persistentDisposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "ilmd",
];

fn event(n: &XNode) -> Result<Event, EpcisError> {
    let t = EventType::parse(&n.name.local).ok_or_else(|| {
        EpcisError::new(
            ErrorCode::UnknownEventType,
            format!("<{}> is not an EPCIS 2.0 event type", n.name.local),
        )
    })?;
    let mut e = Event::new(t, "", "");
    let mut budget = MAX_EXTENSION_NODES;
    let (mut has_time, mut has_offset) = (false, false);
    let mut seen: Vec<&str> = Vec::new();
    for c in flat(n) {
        if !c.name.ns.is_empty() {
            e.extensions.push(to_element(c, &mut budget)?);
            continue;
        }
        let local = c.name.local.as_str();
        // A standard field twice (JSON cannot say it twice either): which one is meant
        // cannot be told. certificationInfo is the one that may repeat.
        if local != "certificationInfo" && STANDARD.contains(&local) {
            if seen.contains(&local) {
                return err(ErrorCode::BadField, format!("<{local}> twice in one event"));
            }
            seen.push(local);
        }
        match local {
            "eventTime" => {
                e.event_time = text(c);
                has_time = true;
            }
            "eventTimeZoneOffset" => {
                e.event_time_zone_offset = text(c);
                has_offset = true;
            }
            "recordTime" => e.record_time = Some(text(c)),
            "eventID" => e.event_id = Some(text(c)),
            "errorDeclaration" => {
                let mut d = ErrorDeclaration::default();
                let mut has = false;
                for x in flat(c) {
                    match (x.name.ns.is_empty(), x.name.local.as_str()) {
                        (true, "declarationTime") => {
                            d.declaration_time = text(x);
                            has = true;
                        }
                        (true, "reason") => d.reason = Some(text(x)),
                        (true, "correctiveEventIDs") => {
                            d.corrective_event_ids = list_of(x, "correctiveEventID")?
                        }
                        _ => d.extensions.push(to_element(x, &mut budget)?),
                    }
                }
                if !has {
                    return err(
                        ErrorCode::MissingField,
                        "errorDeclaration has no declarationTime",
                    );
                }
                e.error_declaration = Some(d);
            }
            "certificationInfo" => e.certification_info.push(text(c)),
            "parentID" => e.parent_id = Some(text(c)),
            "epcList" => e.epc_list = list_of(c, "epc")?,
            "childEPCs" => e.child_epcs = list_of(c, "epc")?,
            "inputEPCList" => e.input_epc_list = list_of(c, "epc")?,
            "outputEPCList" => e.output_epc_list = list_of(c, "epc")?,
            "quantityList" => e.quantity_list = quantities(c)?,
            "childQuantityList" => e.child_quantity_list = quantities(c)?,
            "inputQuantityList" => e.input_quantity_list = quantities(c)?,
            "outputQuantityList" => e.output_quantity_list = quantities(c)?,
            "action" => {
                let a = text(c);
                e.action = Some(Action::parse(&a).ok_or_else(|| {
                    EpcisError::new(
                        ErrorCode::BadValue,
                        format!("action '{a}' is not ADD, OBSERVE or DELETE"),
                    )
                })?);
            }
            "transformationID" => e.transformation_id = Some(text(c)),
            "bizStep" => e.biz_step = Some(text(c)),
            "disposition" => e.disposition = Some(text(c)),
            "persistentDisposition" => {
                e.persistent_disposition = Some(PersistentDisposition {
                    set: list_of(c, "set")?,
                    unset: list_of(c, "unset")?,
                })
            }
            "readPoint" => e.read_point = Some(place(c, &mut budget)?),
            "bizLocation" => e.biz_location = Some(place(c, &mut budget)?),
            "bizTransactionList" => {
                for b in flat(c)
                    .into_iter()
                    .filter(|b| b.name.local == "bizTransaction")
                {
                    e.biz_transaction_list.push(BizTransaction {
                        kind: attr(b, "type").map(|s| s.trim().to_string()),
                        id: text(b),
                    });
                }
            }
            "sourceList" | "destinationList" => {
                let item = if c.name.local == "sourceList" {
                    "source"
                } else {
                    "destination"
                };
                let mut out = Vec::new();
                for s in flat(c).into_iter().filter(|s| s.name.local == item) {
                    out.push(SourceDest {
                        kind: attr(s, "type")
                            .ok_or_else(|| {
                                EpcisError::new(
                                    ErrorCode::MissingField,
                                    format!("a {item} has no type"),
                                )
                            })?
                            .trim()
                            .to_string(),
                        id: text(s),
                    });
                }
                if item == "source" {
                    e.source_list = out;
                } else {
                    e.destination_list = out;
                }
            }
            "sensorElementList" => {
                for s in flat(c)
                    .into_iter()
                    .filter(|s| s.name.local == "sensorElement")
                {
                    let mut se = SensorElement::default();
                    for x in flat(s) {
                        match (x.name.ns.is_empty(), x.name.local.as_str()) {
                            (true, "sensorMetadata") => {
                                se.metadata = Some(attrs_of(x, &mut budget)?)
                            }
                            (true, "sensorReport") => se.reports.push(attrs_of(x, &mut budget)?),
                            _ => se.extensions.push(to_element(x, &mut budget)?),
                        }
                    }
                    e.sensor_element_list.push(se);
                }
            }
            "ilmd" => {
                let mut out = Vec::new();
                for x in flat(c) {
                    out.push(to_element(x, &mut budget)?);
                }
                e.ilmd = Some(out);
            }
            // A name outside the standard without a namespace: kept as an extension.
            _ => e.extensions.push(to_element(c, &mut budget)?),
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

// ---------------------------------------------------------------------------------------
// Writing.

/// Escapes text and attribute values: quick-xml's escapes, and tab, line feed and
/// carriage return as character references, so that attribute-value and line-end
/// normalization on reading cannot change them.
fn esc(s: &str) -> String {
    let e = quick_xml::escape::escape(s);
    if !e.contains(['\t', '\n', '\r']) {
        return e.into_owned();
    }
    e.replace('\t', "&#9;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
}

struct Prefixes {
    map: Vec<(String, String)>, // (iri, prefix)
}

impl Prefixes {
    fn new(doc: &Document) -> Prefixes {
        let mut p = Prefixes { map: Vec::new() };
        for n in &doc.namespaces {
            if matches!(n.prefix.as_str(), "epcis" | "epcisq" | "xml")
                || !is_ncname(&n.prefix)
                || p.map.iter().any(|(i, x)| *i == n.iri || *x == n.prefix)
            {
                continue;
            }
            p.map.push((n.iri.clone(), n.prefix.clone()));
        }
        for e in &doc.events {
            e.visit_extension_names(&mut |n: &Name| p.add(n));
        }
        p
    }

    fn add(&mut self, n: &Name) {
        if n.ns.is_empty() || self.map.iter().any(|(i, _)| *i == n.ns) {
            return;
        }
        let taken = |p: &str, m: &[(String, String)]| {
            matches!(p, "epcis" | "epcisq" | "xml" | "xmlns") || m.iter().any(|(_, x)| x == p)
        };
        let prefix = match &n.prefix {
            Some(p) if !taken(p, &self.map) && is_ncname(p) => p.clone(),
            _ => {
                let mut k = self.map.len();
                while taken(&format!("ns{k}"), &self.map) {
                    k += 1;
                }
                format!("ns{k}")
            }
        };
        self.map.push((n.ns.clone(), prefix));
    }

    fn qname(&self, n: &Name) -> String {
        match self.map.iter().find(|(i, _)| *i == n.ns) {
            Some((_, p)) if !n.ns.is_empty() => format!("{p}:{}", n.local),
            _ => n.local.clone(),
        }
    }
}

/// An XML name without a colon: a letter or `_` (or a non-ASCII letter) first, then
/// letters, digits, `-`, `.`, `_`.
fn is_ncname(p: &str) -> bool {
    let mut cs = p.chars();
    cs.next().is_some_and(|c| {
        c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
    }) && cs.all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '-' | '.')
            || (!c.is_ascii() && c.is_alphanumeric())
    })
}

struct Out<'a> {
    s: String,
    p: &'a Prefixes,
    doc: &'a Document,
}

impl Out<'_> {
    /// A value as XML must carry it: a compact IRI of a JSON-LD context prefix expanded
    /// (in XML `p:x` would be a URI of scheme `p`), escaped.
    fn val(&self, v: &str) -> String {
        match self.doc.expand_declared(v) {
            Some(x) => esc(&x),
            None => esc(v),
        }
    }
    /// A vocabulary value: a bare word from JSON-LD (where the context makes it a CBV
    /// term) in its URN form; a value read from XML as it is.
    fn vocab(&self, v: Vocab, s: &str) -> String {
        if self.doc.expand_value_prefixes {
            bare_to(v, s)
        } else {
            s.to_string()
        }
    }
    fn leaf(&mut self, tag: &str, v: &str) {
        self.s += &format!("<{tag}>{}</{tag}>", self.val(v));
    }
    fn opt(&mut self, tag: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.leaf(tag, v);
        }
    }
    fn list(&mut self, tag: &str, item: &str, xs: &[String]) {
        if xs.is_empty() {
            return;
        }
        self.s += &format!("<{tag}>");
        for x in xs {
            self.leaf(item, x);
        }
        self.s += &format!("</{tag}>");
    }
    fn quantities(&mut self, tag: &str, qs: &[QuantityElement]) {
        if qs.is_empty() {
            return;
        }
        self.s += &format!("<{tag}>");
        for q in qs {
            self.s += "<quantityElement>";
            self.leaf("epcClass", &q.epc_class);
            self.opt("quantity", &q.quantity);
            self.opt("uom", &q.uom);
            self.s += "</quantityElement>";
        }
        self.s += &format!("</{tag}>");
    }
    fn element(&mut self, e: &Element) {
        let q = self.p.qname(&e.name);
        self.s += &format!("<{q}");
        for (n, v) in &e.attrs {
            self.s += &format!(" {}=\"{}\"", self.p.qname(n), esc(v));
        }
        let text = e
            .value
            .as_ref()
            .map(|v| v.text().to_string())
            .unwrap_or_default();
        if text.is_empty() && e.children.is_empty() {
            self.s += "/>";
            return;
        }
        self.s += ">";
        self.s += &esc(&text);
        for c in &e.children {
            self.element(c);
        }
        self.s += &format!("</{q}>");
    }
    fn elements(&mut self, els: &[Element]) {
        for e in els {
            // JSON-LD's empty array has no XML form.
            if e.is_empty_array() {
                continue;
            }
            self.element(e);
        }
    }
    fn attrs(&mut self, tag: &str, attrs: &[Attr]) {
        self.s += &format!("<{tag}");
        for a in attrs {
            let v = a.value.text();
            let v = if a.name.ns.is_empty() {
                match a.name.local.as_str() {
                    "type" => self.vocab(Vocab::MeasurementType, v),
                    "exception" => self.vocab(Vocab::SensorAlertType, v),
                    "component" => self.vocab(Vocab::Component, v),
                    _ => v.to_string(),
                }
            } else {
                v.to_string()
            };
            self.s += &format!(" {}=\"{}\"", self.p.qname(&a.name), self.val(&v));
        }
        self.s += "/>";
    }
}

/// A bare CBV word in its URN (or CURIE) form, as XML has no bare words; any other value
/// unchanged.
fn bare_to(v: Vocab, s: &str) -> String {
    if !s.contains(':') && v.bare(s).is_some() {
        v.urn(s)
    } else {
        s.to_string()
    }
}

/// Writes a document as EPCIS 2.0 XML. Bare CBV words (from JSON-LD) are written in their
/// URN form; every other value as it is. Refused (`EPCIS_BAD_FIELD`, with the event's
/// index) when a user extension's name, read from JSON-LD, is not an XML name (`ex:my
/// field`, `@type`): it has no XML form, and a document is never written broken.
pub fn write_xml(doc: &Document) -> Result<String, EpcisError> {
    for (i, e) in doc.events.iter().enumerate() {
        let mut bad_name = None;
        e.visit_extension_names(&mut |n: &Name| {
            if bad_name.is_none() && !is_ncname(&n.local) {
                bad_name = Some(n.local.clone());
            }
        });
        if let Some(n) = bad_name {
            return Err(EpcisError::new(
                ErrorCode::BadField,
                format!("the extension name '{n}' is not an XML name; the event cannot be written as XML"),
            )
            .at_event(i));
        }
    }
    let prefixes = Prefixes::new(doc);
    let mut o = Out {
        s: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        p: &prefixes,
        doc,
    };
    let root = match doc.kind {
        DocumentKind::Epcis => "epcis:EPCISDocument",
        DocumentKind::Query => "epcisq:EPCISQueryDocument",
    };
    o.s += &format!("<{root} xmlns:epcis=\"{EPCIS_NS}\"");
    if doc.kind == DocumentKind::Query {
        o.s += &format!(" xmlns:epcisq=\"{EPCIS_QUERY_NS}\"");
    }
    for (iri, p) in &prefixes.map {
        o.s += &format!(" xmlns:{p}=\"{}\"", esc(iri));
    }
    o.s += &format!(
        " schemaVersion=\"2.0\" creationDate=\"{}\">",
        esc(&doc.creation_date)
    );
    o.s += "<EPCISBody>";
    if doc.kind == DocumentKind::Query {
        o.s += "<epcisq:QueryResults>";
        o.leaf(
            "queryName",
            doc.query_name.as_deref().unwrap_or("SimpleEventQuery"),
        );
        o.opt("subscriptionID", &doc.subscription_id);
        o.s += "<resultsBody>";
    }
    o.s += "<EventList>";
    for e in &doc.events {
        write_event(&mut o, e);
    }
    o.s += "</EventList>";
    if doc.kind == DocumentKind::Query {
        o.s += "</resultsBody></epcisq:QueryResults>";
    }
    o.s += &format!("</EPCISBody></{root}>\n");
    Ok(o.s)
}

/// The fields of an event after the common ones, as GS1's EPCIS 2.0 XSD orders them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    ParentId,
    EpcList,
    ChildEpcs,
    InputEpcs,
    InputQuantities,
    OutputEpcs,
    OutputQuantities,
    TransformationId,
    Quantities,
    ChildQuantities,
    Action,
    BizStep,
    Disposition,
    ReadPoint,
    BizLocation,
    BizTransactions,
    Sources,
    Destinations,
    Sensors,
    PersistentDisposition,
    Ilmd,
}

/// Each event type's sequence in the XSD (`ObjectEventType`, …). A field the model holds
/// that the type's sequence has not (read from a document that had it) is written after
/// them, before the extensions: nothing read is dropped.
fn sequence(t: EventType) -> &'static [Part] {
    use Part::*;
    match t {
        EventType::ObjectEvent => &[
            EpcList,
            Action,
            BizStep,
            Disposition,
            ReadPoint,
            BizLocation,
            BizTransactions,
            Quantities,
            Sources,
            Destinations,
            Sensors,
            PersistentDisposition,
            Ilmd,
        ],
        EventType::AggregationEvent => &[
            ParentId,
            ChildEpcs,
            Action,
            BizStep,
            Disposition,
            ReadPoint,
            BizLocation,
            BizTransactions,
            ChildQuantities,
            Sources,
            Destinations,
            Sensors,
            PersistentDisposition,
        ],
        EventType::TransactionEvent => &[
            BizTransactions,
            ParentId,
            EpcList,
            Action,
            BizStep,
            Disposition,
            ReadPoint,
            BizLocation,
            Quantities,
            Sources,
            Destinations,
            Sensors,
            PersistentDisposition,
        ],
        EventType::TransformationEvent => &[
            InputEpcs,
            InputQuantities,
            OutputEpcs,
            OutputQuantities,
            TransformationId,
            BizStep,
            Disposition,
            ReadPoint,
            BizLocation,
            BizTransactions,
            Sources,
            Destinations,
            Sensors,
            PersistentDisposition,
            Ilmd,
        ],
        EventType::AssociationEvent => &[
            ParentId,
            ChildEpcs,
            ChildQuantities,
            Action,
            BizStep,
            Disposition,
            ReadPoint,
            BizLocation,
            BizTransactions,
            Sources,
            Destinations,
            Sensors,
            PersistentDisposition,
        ],
    }
}

const ALL_PARTS: [Part; 21] = [
    Part::ParentId,
    Part::EpcList,
    Part::ChildEpcs,
    Part::InputEpcs,
    Part::InputQuantities,
    Part::OutputEpcs,
    Part::OutputQuantities,
    Part::TransformationId,
    Part::Quantities,
    Part::ChildQuantities,
    Part::Action,
    Part::BizStep,
    Part::Disposition,
    Part::ReadPoint,
    Part::BizLocation,
    Part::BizTransactions,
    Part::Sources,
    Part::Destinations,
    Part::Sensors,
    Part::PersistentDisposition,
    Part::Ilmd,
];

fn write_event(o: &mut Out, e: &Event) {
    let tag = e.event_type.as_str();
    o.s += &format!("<{tag}>");
    // EPCISEventType's sequence.
    o.leaf("eventTime", &e.event_time);
    o.opt("recordTime", &e.record_time);
    o.leaf("eventTimeZoneOffset", &e.event_time_zone_offset);
    o.opt("eventID", &e.event_id);
    if let Some(d) = &e.error_declaration {
        o.s += "<errorDeclaration>";
        o.leaf("declarationTime", &d.declaration_time);
        o.opt(
            "reason",
            &d.reason.as_deref().map(|r| o.vocab(Vocab::ErrorReason, r)),
        );
        o.list(
            "correctiveEventIDs",
            "correctiveEventID",
            &d.corrective_event_ids,
        );
        o.elements(&d.extensions);
        o.s += "</errorDeclaration>";
    }
    for c in &e.certification_info {
        o.leaf("certificationInfo", c);
    }
    let order = sequence(e.event_type);
    for part in order
        .iter()
        .chain(ALL_PARTS.iter().filter(|p| !order.contains(p)))
    {
        write_part(o, e, *part);
    }
    o.elements(&e.extensions);
    o.s += &format!("</{tag}>");
}

fn write_part(o: &mut Out, e: &Event, part: Part) {
    match part {
        Part::ParentId => o.opt("parentID", &e.parent_id),
        Part::EpcList => {
            let always = matches!(
                e.event_type,
                EventType::ObjectEvent | EventType::TransactionEvent
            );
            if always && e.epc_list.is_empty() {
                o.s += "<epcList/>";
            }
            o.list("epcList", "epc", &e.epc_list);
        }
        Part::ChildEpcs => o.list("childEPCs", "epc", &e.child_epcs),
        Part::InputEpcs => o.list("inputEPCList", "epc", &e.input_epc_list),
        Part::InputQuantities => o.quantities("inputQuantityList", &e.input_quantity_list),
        Part::OutputEpcs => o.list("outputEPCList", "epc", &e.output_epc_list),
        Part::OutputQuantities => o.quantities("outputQuantityList", &e.output_quantity_list),
        Part::TransformationId => o.opt("transformationID", &e.transformation_id),
        Part::Quantities => o.quantities("quantityList", &e.quantity_list),
        Part::ChildQuantities => o.quantities("childQuantityList", &e.child_quantity_list),
        Part::Action => {
            if let Some(a) = e.action {
                o.leaf("action", a.as_str());
            }
        }
        Part::BizStep => o.opt(
            "bizStep",
            &e.biz_step.as_deref().map(|v| o.vocab(Vocab::BizStep, v)),
        ),
        Part::Disposition => o.opt(
            "disposition",
            &e.disposition
                .as_deref()
                .map(|v| o.vocab(Vocab::Disposition, v)),
        ),
        Part::PersistentDisposition => {
            if let Some(p) = &e.persistent_disposition {
                o.s += "<persistentDisposition>";
                for s in &p.set {
                    o.leaf("set", &o.vocab(Vocab::Disposition, s));
                }
                for s in &p.unset {
                    o.leaf("unset", &o.vocab(Vocab::Disposition, s));
                }
                o.s += "</persistentDisposition>";
            }
        }
        Part::ReadPoint | Part::BizLocation => {
            let (tag, p) = if part == Part::ReadPoint {
                ("readPoint", &e.read_point)
            } else {
                ("bizLocation", &e.biz_location)
            };
            if let Some(p) = p {
                o.s += &format!("<{tag}>");
                o.leaf("id", &p.id);
                o.elements(&p.extensions);
                o.s += &format!("</{tag}>");
            }
        }
        Part::BizTransactions => write_biz_transactions(o, e),
        Part::Sources | Part::Destinations => {
            let (tag, item, xs) = if part == Part::Sources {
                ("sourceList", "source", &e.source_list)
            } else {
                ("destinationList", "destination", &e.destination_list)
            };
            if xs.is_empty() {
                return;
            }
            o.s += &format!("<{tag}>");
            for s in xs {
                o.s += &format!(
                    "<{item} type=\"{}\">{}</{item}>",
                    o.val(&o.vocab(Vocab::SourceDestType, &s.kind)),
                    o.val(&s.id)
                );
            }
            o.s += &format!("</{tag}>");
        }
        Part::Sensors => {
            if e.sensor_element_list.is_empty() {
                return;
            }
            o.s += "<sensorElementList>";
            for s in &e.sensor_element_list {
                o.s += "<sensorElement>";
                if let Some(m) = &s.metadata {
                    o.attrs("sensorMetadata", m);
                }
                for r in &s.reports {
                    o.attrs("sensorReport", r);
                }
                o.elements(&s.extensions);
                o.s += "</sensorElement>";
            }
            o.s += "</sensorElementList>";
        }
        Part::Ilmd => {
            if let Some(ilmd) = &e.ilmd {
                o.s += "<ilmd>";
                o.elements(ilmd);
                o.s += "</ilmd>";
            }
        }
    }
}

fn write_biz_transactions(o: &mut Out, e: &Event) {
    if e.biz_transaction_list.is_empty() {
        return;
    }
    o.s += "<bizTransactionList>";
    for b in &e.biz_transaction_list {
        match &b.kind {
            Some(t) => {
                o.s += &format!(
                    "<bizTransaction type=\"{}\">{}</bizTransaction>",
                    o.val(&o.vocab(Vocab::BizTransactionType, t)),
                    o.val(&b.id)
                )
            }
            None => o.leaf("bizTransaction", &b.id),
        }
    }
    o.s += "</bizTransactionList>";
}
