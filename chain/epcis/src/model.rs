//! The EPCIS 2.0 document and event model. Values are kept as written (identifiers in
//! EPC URN or Digital Link form, vocabulary bare, URN or Web URI, times with their
//! offset), so that a document read and written again says the same; [`crate::cbv`],
//! [`crate::ids`] and [`crate::hash`] normalize them where the standard compares.

/// A namespaced name: a user extension's element or attribute, or (with an empty
/// namespace) a standard field. Two names are equal when their namespace and local name
/// are: the prefix is only how one document spelled it.
#[derive(Clone, Debug, Default)]
pub struct Name {
    /// The namespace IRI (`https://ns.example.com/epcis/`); empty for standard fields.
    pub ns: String,
    /// The local name.
    pub local: String,
    /// The prefix the document used for it, kept to write it back the same way.
    pub prefix: Option<String>,
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.ns == other.ns && self.local == other.local
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.ns.hash(h);
        self.local.hash(h);
    }
}

impl Name {
    /// A standard (namespace-less) name.
    pub fn plain(local: &str) -> Name {
        Name {
            ns: String::new(),
            local: local.to_string(),
            prefix: None,
        }
    }

    /// The expanded form `{ns}local` (or `local` without a namespace), as the event hash
    /// writes names.
    pub fn expanded(&self) -> String {
        if self.ns.is_empty() {
            self.local.clone()
        } else {
            format!("{{{}}}{}", self.ns, self.local)
        }
    }
}

/// A scalar value. JSON-LD distinguishes numbers and booleans; XML text is always `Text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// A string.
    Text(String),
    /// A JSON number, in its shortest decimal form.
    Number(String),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON `null`.
    Null,
}

impl Scalar {
    /// The value as text (`true`, `26.5`, `` for null).
    pub fn text(&self) -> &str {
        match self {
            Scalar::Text(s) | Scalar::Number(s) => s,
            Scalar::Bool(true) => "true",
            Scalar::Bool(false) => "false",
            Scalar::Null => "",
        }
    }
}

/// A user extension element with its nested content, in document order: lossless, so that
/// an export reproduces it (and the event's hash id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Its name.
    pub name: Name,
    /// XML attributes (JSON-LD has none).
    pub attrs: Vec<(Name, String)>,
    /// Its text or scalar value, if any.
    pub value: Option<Scalar>,
    /// Nested elements, in order.
    pub children: Vec<Element>,
    /// Its place in JSON-LD: a member's value, one entry of an array value (the entries
    /// with the same name form one array when written), or an empty array.
    pub shape: Shape,
}

/// How an extension element stands in JSON-LD (XML has only [`Shape::Value`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shape {
    /// A member's value (an XML element).
    #[default]
    Value,
    /// One entry of an array.
    ArrayItem,
    /// An empty array: no value, nothing to hash, no XML form.
    EmptyArray,
}

impl Element {
    /// Whether this stands for JSON-LD's empty array.
    pub fn is_empty_array(&self) -> bool {
        self.shape == Shape::EmptyArray
    }
}

/// One attribute of a sensor's metadata or report: a standard field (empty namespace,
/// e.g. `type`, `value`, `uom`) or a user extension attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Its name.
    pub name: Name,
    /// Its value.
    pub value: Scalar,
}

/// The standard fields of `sensorMetadata`.
pub const SENSOR_METADATA_FIELDS: &[&str] = &[
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
];

/// The standard fields of `sensorReport`.
pub const SENSOR_REPORT_FIELDS: &[&str] = &[
    "type",
    "exception",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "time",
    "microorganism",
    "chemicalSubstance",
    "value",
    "component",
    "stringValue",
    "booleanValue",
    "hexBinaryValue",
    "uriValue",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
    "uom",
    "coordinateReferenceSystem",
];

/// The five event types of EPCIS 2.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Observations of objects.
    ObjectEvent,
    /// Objects packed into or unpacked from a parent.
    AggregationEvent,
    /// Objects tied to business transactions.
    TransactionEvent,
    /// Inputs consumed, outputs produced.
    TransformationEvent,
    /// Assets associated with a parent (EPCIS 2.0).
    AssociationEvent,
}

impl EventType {
    /// Every type.
    pub const ALL: [EventType; 5] = [
        EventType::ObjectEvent,
        EventType::AggregationEvent,
        EventType::TransactionEvent,
        EventType::TransformationEvent,
        EventType::AssociationEvent,
    ];

    /// The name as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ObjectEvent => "ObjectEvent",
            EventType::AggregationEvent => "AggregationEvent",
            EventType::TransactionEvent => "TransactionEvent",
            EventType::TransformationEvent => "TransformationEvent",
            EventType::AssociationEvent => "AssociationEvent",
        }
    }

    /// The type named `s`.
    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// An event's action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `ADD`.
    Add,
    /// `OBSERVE`.
    Observe,
    /// `DELETE`.
    Delete,
}

impl Action {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "ADD",
            Action::Observe => "OBSERVE",
            Action::Delete => "DELETE",
        }
    }

    /// The action named `s`.
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "ADD" => Some(Action::Add),
            "OBSERVE" => Some(Action::Observe),
            "DELETE" => Some(Action::Delete),
            _ => None,
        }
    }
}

/// A quantity of a class of objects (an LGTIN, a GTIN, a class pattern).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuantityElement {
    /// The class: `urn:epc:class:lgtin:…`, `https://id.gs1.org/01/…/10/…`, …
    pub epc_class: String,
    /// The quantity as a decimal number, if given.
    pub quantity: Option<String>,
    /// The unit (UN/CEFACT Rec 20 code), if given; without it the quantity is a count.
    pub uom: Option<String>,
}

/// A place: `readPoint` or `bizLocation`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// Its identifier (an SGLN URN or a GLN Digital Link URI, usually).
    pub id: String,
    /// User extensions inside it.
    pub extensions: Vec<Element>,
}

/// A business transaction the event refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BizTransaction {
    /// Its type (CBV `po`, `inv`, `desadv`…), if given.
    pub kind: Option<String>,
    /// Its identifier.
    pub id: String,
}

/// A source or destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceDest {
    /// Its type (CBV `owning_party`, `possessing_party`, `location`).
    pub kind: String,
    /// Its identifier.
    pub id: String,
}

/// Dispositions that stay until unset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersistentDisposition {
    /// Set by this event.
    pub set: Vec<String>,
    /// Unset by this event.
    pub unset: Vec<String>,
}

/// An error declaration: this event is declared erroneous.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorDeclaration {
    /// When it was declared.
    pub declaration_time: String,
    /// Why (CBV `did_not_occur`, `incorrect_data`…), if given.
    pub reason: Option<String>,
    /// The events that correct it.
    pub corrective_event_ids: Vec<String>,
    /// User extensions inside it.
    pub extensions: Vec<Element>,
}

/// A sensor element: metadata, reports and user extensions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SensorElement {
    /// `sensorMetadata`, if given, its attributes in order.
    pub metadata: Option<Vec<Attr>>,
    /// The `sensorReport`s, each its attributes in order.
    pub reports: Vec<Vec<Attr>>,
    /// User extensions inside the sensor element.
    pub extensions: Vec<Element>,
}

/// One EPCIS event of any of the five types. Fields a type does not use stay empty (the
/// decoders refuse them where the standard does not allow them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its type.
    pub event_type: EventType,
    /// When it happened (RFC 3339 with offset, as written).
    pub event_time: String,
    /// The offset of the place where it happened, `±HH:MM`.
    pub event_time_zone_offset: String,
    /// When a repository recorded it.
    pub record_time: Option<String>,
    /// Its id (often the hash id `ni:///sha-256;…`, or a UUID URN).
    pub event_id: Option<String>,
    /// A declaration that this event was in error.
    pub error_declaration: Option<ErrorDeclaration>,
    /// Certification information (URIs).
    pub certification_info: Vec<String>,
    /// Aggregation, transaction and association events' parent.
    pub parent_id: Option<String>,
    /// Object and transaction events' EPCs.
    pub epc_list: Vec<String>,
    /// Aggregation and association events' children.
    pub child_epcs: Vec<String>,
    /// Transformation inputs.
    pub input_epc_list: Vec<String>,
    /// Transformation outputs.
    pub output_epc_list: Vec<String>,
    /// Object and transaction events' quantities.
    pub quantity_list: Vec<QuantityElement>,
    /// Aggregation and association events' child quantities.
    pub child_quantity_list: Vec<QuantityElement>,
    /// Transformation input quantities.
    pub input_quantity_list: Vec<QuantityElement>,
    /// Transformation output quantities.
    pub output_quantity_list: Vec<QuantityElement>,
    /// ADD, OBSERVE or DELETE (every type but transformation).
    pub action: Option<Action>,
    /// Transformation events' transformation id.
    pub transformation_id: Option<String>,
    /// The business step (CBV), as written.
    pub biz_step: Option<String>,
    /// The disposition (CBV), as written.
    pub disposition: Option<String>,
    /// Persistent dispositions set and unset.
    pub persistent_disposition: Option<PersistentDisposition>,
    /// Where it was seen.
    pub read_point: Option<Place>,
    /// Where the objects are afterwards.
    pub biz_location: Option<Place>,
    /// Business transactions.
    pub biz_transaction_list: Vec<BizTransaction>,
    /// Sources.
    pub source_list: Vec<SourceDest>,
    /// Destinations.
    pub destination_list: Vec<SourceDest>,
    /// Sensor data.
    pub sensor_element_list: Vec<SensorElement>,
    /// Instance/lot master data (object events with ADD, transformation events).
    pub ilmd: Option<Vec<Element>>,
    /// User extensions at the event's top level, in order.
    pub extensions: Vec<Element>,
}

impl Event {
    /// An event of `event_type` at `event_time` with `offset`, every other field empty.
    pub fn new(event_type: EventType, event_time: &str, offset: &str) -> Event {
        Event {
            event_type,
            event_time: event_time.to_string(),
            event_time_zone_offset: offset.to_string(),
            record_time: None,
            event_id: None,
            error_declaration: None,
            certification_info: Vec::new(),
            parent_id: None,
            epc_list: Vec::new(),
            child_epcs: Vec::new(),
            input_epc_list: Vec::new(),
            output_epc_list: Vec::new(),
            quantity_list: Vec::new(),
            child_quantity_list: Vec::new(),
            input_quantity_list: Vec::new(),
            output_quantity_list: Vec::new(),
            action: None,
            transformation_id: None,
            biz_step: None,
            disposition: None,
            persistent_disposition: None,
            read_point: None,
            biz_location: None,
            biz_transaction_list: Vec::new(),
            source_list: Vec::new(),
            destination_list: Vec::new(),
            sensor_element_list: Vec::new(),
            ilmd: None,
            extensions: Vec::new(),
        }
    }
}

/// A document: a capture document or a query result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// `EPCISDocument` (events in `epcisBody.eventList`).
    Epcis,
    /// `EPCISQueryDocument` (events in `epcisBody.queryResults.resultsBody.eventList`).
    Query,
}

/// A namespace prefix the document declares (JSON-LD context entry or XML `xmlns`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// The prefix.
    pub prefix: String,
    /// The IRI.
    pub iri: String,
}

/// An EPCIS document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Capture document or query result.
    pub kind: DocumentKind,
    /// `schemaVersion` (`2.0`, or `1.2` for old XML).
    pub schema_version: String,
    /// `creationDate`.
    pub creation_date: String,
    /// The namespace prefixes declared, in order (JSON-LD context entries, XML `xmlns`).
    pub namespaces: Vec<Namespace>,
    /// Whether the declared prefixes also expand compact IRIs in values (`example:x` →
    /// `https://ns.example.com/epcis/x`), as the event hash reads them. True for JSON-LD,
    /// where the context applies to values; false for XML, where a value `example:x` is a
    /// URI of scheme `example` (only `gs1:` and `cbv:` are expanded there).
    pub expand_value_prefixes: bool,
    /// A query result's query name.
    pub query_name: Option<String>,
    /// A query result's subscription id.
    pub subscription_id: Option<String>,
    /// The events, in document order.
    pub events: Vec<Event>,
}

impl Document {
    /// A capture document of `events`, schema 2.0.
    pub fn new(creation_date: &str, events: Vec<Event>) -> Document {
        Document {
            kind: DocumentKind::Epcis,
            schema_version: "2.0".into(),
            creation_date: creation_date.into(),
            namespaces: Vec::new(),
            expand_value_prefixes: true,
            query_name: None,
            subscription_id: None,
            events,
        }
    }

    /// `value` with a declared prefix expanded (`ex:product` →
    /// `https://ns.example.com/product`) when [`Self::expand_value_prefixes`]; else as it is.
    /// The two EPCIS prefixes `gs1:` and `cbv:` are left to [`Self::namespace_iri`].
    pub fn expand_declared(&self, value: &str) -> Option<String> {
        if !self.expand_value_prefixes {
            return None;
        }
        let (p, rest) = value.split_once(':')?;
        if rest.starts_with("//") {
            return None;
        }
        let ns = self.namespaces.iter().rev().find(|n| n.prefix == p)?;
        Some(format!("{}{rest}", ns.iri))
    }

    /// The IRI a value's `prefix:` expands to: the document's declarations (when
    /// [`Self::expand_value_prefixes`]) or the two prefixes EPCIS 2.0 defines for values
    /// (`gs1:`, `cbv:`).
    pub fn namespace_iri(&self, prefix: &str) -> Option<&str> {
        self.namespaces
            .iter()
            .filter(|_| self.expand_value_prefixes)
            .rev()
            .find(|n| n.prefix == prefix)
            .map(|n| n.iri.as_str())
            .or(match prefix {
                "gs1" => Some("https://gs1.org/voc/"),
                "cbv" => Some("https://ref.gs1.org/cbv/"),
                _ => None,
            })
    }
}

fn visit_element(e: &Element, f: &mut impl FnMut(&Name)) {
    f(&e.name);
    for (n, _) in &e.attrs {
        f(n);
    }
    for c in &e.children {
        visit_element(c, f);
    }
}

impl Event {
    /// Calls `f` with every user extension name in the event (elements, attributes,
    /// sensor attributes), nested ones included.
    pub fn visit_extension_names(&self, f: &mut impl FnMut(&Name)) {
        let groups = [
            Some(&self.extensions),
            self.ilmd.as_ref(),
            self.read_point.as_ref().map(|p| &p.extensions),
            self.biz_location.as_ref().map(|p| &p.extensions),
            self.error_declaration.as_ref().map(|d| &d.extensions),
        ];
        for g in groups.into_iter().flatten() {
            for x in g {
                visit_element(x, f);
            }
        }
        for s in &self.sensor_element_list {
            for x in &s.extensions {
                visit_element(x, f);
            }
            for a in s
                .metadata
                .iter()
                .flatten()
                .chain(s.reports.iter().flatten())
            {
                f(&a.name);
            }
        }
    }
}

fn clear_element(e: &mut Element) {
    e.name.prefix = None;
    for (n, _) in &mut e.attrs {
        n.prefix = None;
    }
    for c in &mut e.children {
        clear_element(c);
    }
}

impl Event {
    /// Forgets the prefixes extension names were read with (writers then use the
    /// document's declarations).
    pub fn clear_prefixes(&mut self) {
        let groups = [
            Some(&mut self.extensions),
            self.ilmd.as_mut(),
            self.read_point.as_mut().map(|p| &mut p.extensions),
            self.biz_location.as_mut().map(|p| &mut p.extensions),
            self.error_declaration.as_mut().map(|d| &mut d.extensions),
        ];
        for g in groups.into_iter().flatten() {
            g.iter_mut().for_each(clear_element);
        }
        for s in &mut self.sensor_element_list {
            s.extensions.iter_mut().for_each(clear_element);
            for a in s
                .metadata
                .iter_mut()
                .flatten()
                .chain(s.reports.iter_mut().flatten())
            {
                a.name.prefix = None;
            }
        }
    }
}
