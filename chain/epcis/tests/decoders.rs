//! What the decoders refuse, with which code, and what they keep: limits, malformed
//! input, the EPCIS 1.x `<extension>` placement, user extensions in order.

use handoff_epcis::limits::*;
use handoff_epcis::{hash_ids, parse, parse_jsonld, parse_xml, write_jsonld, write_xml};

fn json_doc(events: &str) -> String {
    format!(
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{{"ex":"https://ns.example.com/epcis/"}}],
"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-01-01T00:00:00Z",
"epcisBody":{{"eventList":[{events}]}}}}"#
    )
}

const EVENT: &str = r#"{"type":"ObjectEvent","eventTime":"2024-01-01T10:00:00.000+01:00","eventTimeZoneOffset":"+01:00","epcList":["urn:epc:id:sgtin:9506000.013435.1"],"action":"OBSERVE","bizStep":"shipping"}"#;

fn xml_doc(events: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ns.example.com/epcis/" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>{events}</EventList></EPCISBody></epcis:EPCISDocument>"#
    )
}

const XML_EVENT: &str = "<ObjectEvent><eventTime>2024-01-01T10:00:00.000+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:9506000.013435.1</epc></epcList><action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep></ObjectEvent>";

fn code_of(
    r: Result<handoff_epcis::Document, handoff_epcis::EpcisError>,
) -> (&'static str, Option<usize>) {
    match r {
        Ok(_) => ("accepted", None),
        Err(e) => {
            assert!(!e.message.is_empty());
            (e.code(), e.event)
        }
    }
}

#[test]
fn a_small_document_is_read_in_both_formats_with_one_hash() {
    let j = parse(&json_doc(EVENT)).expect("json");
    let x = parse(&xml_doc(XML_EVENT)).expect("xml");
    assert_eq!(j.events.len(), 1);
    assert_eq!(hash_ids(&j), hash_ids(&x));
    assert!(hash_ids(&j)[0].starts_with("ni:///sha-256;"));
    assert!(hash_ids(&j)[0].ends_with("?ver=CBV2.0"));
}

#[test]
fn documents_over_the_size_limit_are_refused_before_parsing() {
    let pad = " ".repeat(MAX_DOCUMENT_BYTES);
    assert_eq!(
        code_of(parse(&format!("{}{pad}", json_doc(EVENT)))),
        ("EPCIS_TOO_LARGE", None)
    );
    assert_eq!(
        code_of(parse(&format!("{}{pad}", xml_doc(XML_EVENT)))),
        ("EPCIS_TOO_LARGE", None)
    );
}

#[test]
fn documents_of_too_many_values_are_refused() {
    // Within the byte limit, but a million tiny values.
    let values = vec!["0"; MAX_NODES + 1].join(",");
    let ev = EVENT.replace("\"action\"", &format!("\"ex:v\":[{values}],\"action\""));
    assert_eq!(code_of(parse(&json_doc(&ev))), ("EPCIS_TOO_LARGE", None));
    // In groups, so that no element has more children than a list may have entries.
    let group = format!("<ex:g>{}</ex:g>", "<ex:v/>".repeat(MAX_LIST_LEN / 2));
    let els = group.repeat(MAX_NODES / (MAX_LIST_LEN / 2) + 1);
    let ev = XML_EVENT.replace("</ObjectEvent>", &format!("{els}</ObjectEvent>"));
    assert_eq!(code_of(parse(&xml_doc(&ev))), ("EPCIS_TOO_LARGE", None));
}

#[test]
fn too_many_events_are_refused() {
    let many = vec![EVENT; MAX_EVENTS + 1].join(",");
    assert_eq!(code_of(parse(&json_doc(&many))), ("EPCIS_TOO_LARGE", None));
    let many = XML_EVENT.repeat(MAX_EVENTS + 1);
    assert_eq!(code_of(parse(&xml_doc(&many))), ("EPCIS_TOO_LARGE", None));
    // At the limit, accepted.
    let ok = vec![EVENT; MAX_EVENTS].join(",");
    assert_eq!(
        parse(&json_doc(&ok)).map(|d| d.events.len()).ok(),
        Some(MAX_EVENTS)
    );
}

#[test]
fn long_strings_and_deep_nesting_are_refused() {
    let long = "x".repeat(MAX_STRING_BYTES + 1);
    let ev = EVENT.replace("\"shipping\"", &format!("\"{long}\""));
    assert_eq!(code_of(parse(&json_doc(&ev))).0, "EPCIS_TOO_LARGE");
    let ev = XML_EVENT.replace("urn:epcglobal:cbv:bizstep:shipping", &long);
    assert_eq!(code_of(parse(&xml_doc(&ev))).0, "EPCIS_TOO_LARGE");

    let deep = format!(
        "{}1{}",
        "{\"ex:a\":".repeat(MAX_DEPTH),
        "}".repeat(MAX_DEPTH)
    );
    let ev = EVENT.replace("\"action\"", &format!("\"ex:deep\":{deep},\"action\""));
    assert_eq!(code_of(parse(&json_doc(&ev))).0, "EPCIS_TOO_DEEP");
    // Far deeper than serde_json's own recursion limit: refused, no stack overflow.
    let deeper = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let ev = EVENT.replace("\"action\"", &format!("\"ex:deep\":{deeper},\"action\""));
    assert_eq!(code_of(parse(&json_doc(&ev))).0, "EPCIS_TOO_DEEP");

    let deep = format!(
        "{}x{}",
        "<ex:a>".repeat(MAX_DEPTH),
        "</ex:a>".repeat(MAX_DEPTH)
    );
    let ev = XML_EVENT.replace("</ObjectEvent>", &format!("{deep}</ObjectEvent>"));
    assert_eq!(code_of(parse(&xml_doc(&ev))).0, "EPCIS_TOO_DEEP");
}

#[test]
fn extensions_over_their_budget_are_refused_naming_the_event() {
    let fields: Vec<String> = (0..=MAX_EXTENSION_NODES)
        .map(|i| format!("\"ex:f{i}\":{i}"))
        .collect();
    let big = EVENT.replace("\"action\"", &format!("{},\"action\"", fields.join(",")));
    let doc = json_doc(&format!("{EVENT},{big}"));
    assert_eq!(code_of(parse(&doc)), ("EPCIS_TOO_LARGE", Some(1)));
    let fields = "<ex:f>1</ex:f>".repeat(MAX_EXTENSION_NODES + 1);
    let big = XML_EVENT.replace("</ObjectEvent>", &format!("{fields}</ObjectEvent>"));
    assert_eq!(
        code_of(parse(&xml_doc(&format!("{XML_EVENT}{big}")))),
        ("EPCIS_TOO_LARGE", Some(1))
    );
}

#[test]
fn malformed_input_gets_its_code_and_the_event_index() {
    let cases: Vec<(String, &str, Option<usize>)> = vec![
        ("".into(), "EPCIS_UNKNOWN_FORMAT", None),
        ("hello".into(), "EPCIS_UNKNOWN_FORMAT", None),
        ("{\"type\":".into(), "EPCIS_BAD_JSON", None),
        ("{} trailing".into(), "EPCIS_BAD_JSON", None),
        ("[1,2]".into(), "EPCIS_UNKNOWN_FORMAT", None),
        ("<a><b></a>".into(), "EPCIS_BAD_XML", None),
        ("<epcis:EPCISDocument/>".into(), "EPCIS_BAD_XML", None),
        (
            xml_doc(&XML_EVENT.replace("OBSERVE", "&bogus;")),
            "EPCIS_BAD_XML",
            None,
        ),
        ("<x/>".into(), "EPCIS_BAD_XML", None),
        (
            json_doc(&format!(
                "{EVENT},{}",
                EVENT.replace("\"eventTime\"", "\"eventTimeX\"")
            )),
            "EPCIS_MISSING_FIELD",
            Some(1),
        ),
        (
            json_doc(&EVENT.replace("2024-01-01T10:00:00.000+01:00", "yesterday")),
            "EPCIS_BAD_TIME",
            Some(0),
        ),
        (
            json_doc(&EVENT.replace("\"+01:00\"", "\"CET\"")),
            "EPCIS_BAD_TIME",
            Some(0),
        ),
        (
            json_doc(&EVENT.replace("OBSERVE", "LOOK")),
            "EPCIS_BAD_VALUE",
            Some(0),
        ),
        (
            json_doc(&EVENT.replace("ObjectEvent", "QuantityEvent")),
            "EPCIS_UNKNOWN_EVENT_TYPE",
            Some(0),
        ),
        (
            json_doc(&EVENT.replace(",\"action\":\"OBSERVE\"", "")),
            "EPCIS_MISSING_FIELD",
            Some(0),
        ),
        (
            json_doc(&EVENT.replace(
                "\"epcList\"",
                "\"parentID\":\"urn:epc:id:sscc:0614141.1234567890\",\"epcList\"",
            )),
            "EPCIS_BAD_FIELD",
            Some(0),
        ),
        (
            json_doc(&EVENT.replace("\"epcList\":[", "\"epcList\":[1,")),
            "EPCIS_BAD_JSON",
            Some(0),
        ),
        (
            json_doc(&EVENT.replace(
                "]",
                "],\"quantityList\":[{\"epcClass\":\"x\",\"quantity\":\"many\"}]",
            )),
            "EPCIS_BAD_VALUE",
            Some(0),
        ),
        (
            xml_doc(&format!(
                "{XML_EVENT}{}",
                XML_EVENT.replace("+01:00</eventTime>", "</eventTime>")
            )),
            "EPCIS_BAD_TIME",
            Some(1),
        ),
        (
            xml_doc(&XML_EVENT.replace("<epc>", "<undeclared:x/><epc>")),
            "EPCIS_BAD_XML",
            None,
        ),
        (
            xml_doc(&XML_EVENT.replace(
                "<action>OBSERVE</action>",
                "<action>OBSERVE</action><action>ADD</action>",
            )),
            "EPCIS_BAD_FIELD",
            Some(0),
        ),
        (
            json_doc(EVENT).replace("\"creationDate\":\"2024-01-01T00:00:00Z\",", ""),
            "EPCIS_MISSING_FIELD",
            None,
        ),
    ];
    for (doc, code, event) in cases {
        assert_eq!(code_of(parse(&doc)), (code, event), "{doc}");
    }
}

#[test]
fn epcis_1_2_extension_placement_reads_as_2_0() {
    let v12 = r#"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="https://ns.example.com/epcis/" schemaVersion="1.2" creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>
<ObjectEvent><eventTime>2024-01-01T10:00:00.000+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
<baseExtension><eventID>urn:uuid:1</eventID><errorDeclaration><declarationTime>2024-01-02T00:00:00Z</declarationTime><reason>urn:epcglobal:cbv:er:incorrect_data</reason></errorDeclaration></baseExtension>
<epcList/><action>ADD</action>
<readPoint><id>urn:epc:id:sgln:9506000.13435.0</id><extension><ex:door>3</ex:door></extension></readPoint>
<extension><quantityList><quantityElement><epcClass>urn:epc:class:lgtin:9506000.013435.L1</epcClass><quantity>2.50</quantity><uom>KGM</uom></quantityElement></quantityList>
<sourceList><source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:9506000.13435</source></sourceList>
<ilmd><ex:grade>A</ex:grade></ilmd></extension>
<ex:note>kept</ex:note></ObjectEvent>
<extension><TransformationEvent><eventTime>2024-01-01T11:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset><inputEPCList><epc>urn:epc:id:sgtin:9506000.013435.1</epc></inputEPCList><outputQuantityList><quantityElement><epcClass>urn:epc:class:lgtin:9506000.013435.L2</epcClass><quantity>1</quantity></quantityElement></outputQuantityList></TransformationEvent></extension>
</EventList></EPCISBody></epcis:EPCISDocument>"#;
    let v20 = r#"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ns.example.com/epcis/" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>
<ObjectEvent><eventTime>2024-01-01T10:00:00.000+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset><eventID>urn:uuid:1</eventID>
<epcList/><quantityList><quantityElement><epcClass>https://id.gs1.org/01/09506000134352/10/L1</epcClass><quantity>2.5</quantity><uom>KGM</uom></quantityElement></quantityList><action>ADD</action>
<readPoint><id>https://id.gs1.org/414/9506000134352</id><ex:door>3</ex:door></readPoint>
<sourceList><source type="https://ref.gs1.org/cbv/SDT-owning_party">https://id.gs1.org/417/9506000134352</source></sourceList>
<ilmd><ex:grade>A</ex:grade></ilmd><ex:note>kept</ex:note></ObjectEvent>
<TransformationEvent><eventTime>2024-01-01T12:00:00+01:00</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset><inputEPCList><epc>https://example.com/01/09506000134352/21/1</epc></inputEPCList><outputQuantityList><quantityElement><epcClass>urn:epc:class:lgtin:9506000.013435.L2</epcClass><quantity>1.0</quantity></quantityElement></outputQuantityList></TransformationEvent>
</EventList></EPCISBody></epcis:EPCISDocument>"#;
    let a = parse_xml(v12).expect("1.2");
    let b = parse_xml(v20).expect("2.0");
    assert_eq!(a.events.len(), 2);
    let e = &a.events[0];
    assert_eq!(e.event_id.as_deref(), Some("urn:uuid:1"));
    assert!(e.error_declaration.is_some());
    assert_eq!(e.quantity_list.len(), 1);
    assert_eq!(e.source_list.len(), 1);
    assert_eq!(e.ilmd.as_ref().map(Vec::len), Some(1));
    assert_eq!(e.read_point.as_ref().map(|p| p.extensions.len()), Some(1));
    assert_eq!(e.extensions.len(), 1);
    // Same events for the hash: identifiers, vocabulary, numbers and times normalized;
    // eventID and errorDeclaration do not count.
    assert_eq!(hash_ids(&a), hash_ids(&b));
    // Written as 2.0 and read back: the same events.
    let again = parse_xml(&write_xml(&a).expect("writable")).expect("written");
    assert_eq!(again.events, a.events);
    assert!(
        write_xml(&a)
            .expect("writable")
            .contains("urn:epcglobal:epcis:xsd:2")
    );
}

#[test]
fn user_extensions_keep_their_order_and_content() {
    let ev = EVENT.replace(
        "\"action\"",
        r#""ex:zeta":{"ex:b":[1,2.5,true,null,"t"],"ex:a":{}},"ex:alpha":"x","ex:empty":[],"action""#,
    );
    let doc = parse_jsonld(&json_doc(&ev)).expect("json");
    let names: Vec<&str> = doc.events[0]
        .extensions
        .iter()
        .map(|x| x.name.local.as_str())
        .collect();
    assert_eq!(names, ["zeta", "alpha", "empty"]);
    let text = write_jsonld(&doc);
    assert!(
        text.contains(
            r#""ex:zeta":{"ex:b":[1,2.5,true,null,"t"],"ex:a":{}},"ex:alpha":"x","ex:empty":[]"#
        ),
        "{text}"
    );
    assert_eq!(parse_jsonld(&text).expect("again").events, doc.events);
    // Changing an extension's value changes the hash id; their order does not.
    let other = parse_jsonld(&json_doc(&ev.replace("\"x\"", "\"y\""))).expect("json");
    assert_ne!(hash_ids(&doc), hash_ids(&other));
    let swapped = ev.replace(
        r#""ex:zeta":{"ex:b":[1,2.5,true,null,"t"],"ex:a":{}},"ex:alpha":"x""#,
        r#""ex:alpha":"x","ex:zeta":{"ex:a":{},"ex:b":[1,2.5,true,null,"t"]}"#,
    );
    let swapped = parse_jsonld(&json_doc(&swapped)).expect("json");
    assert_ne!(swapped.events, doc.events);
    assert_eq!(hash_ids(&swapped), hash_ids(&doc));
}

#[test]
fn the_epcis_namespace_may_be_the_default_one() {
    let prefixed = xml_doc(XML_EVENT);
    let default_ns = prefixed
        .replace("epcis:EPCISDocument xmlns:epcis=", "EPCISDocument xmlns=")
        .replace("</epcis:EPCISDocument>", "</EPCISDocument>");
    assert!(default_ns.contains("<EPCISDocument xmlns=\"urn:epcglobal:epcis:xsd:2\""));
    let a = parse_xml(&prefixed).expect("prefixed");
    let b = parse_xml(&default_ns).expect("default namespace");
    assert_eq!(a.events, b.events);
    assert!(b.events[0].extensions.is_empty());
}

#[test]
fn quantities_keep_their_written_form_in_json() {
    let ev = EVENT.replace(
        "\"epcList\":[\"urn:epc:id:sgtin:9506000.013435.1\"]",
        r#""quantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.L1","quantity":2.5,"uom":"KGM"},{"epcClass":"urn:epc:class:lgtin:9506000.013435.L2","quantity":"2.50"},{"epcClass":"urn:epc:class:lgtin:9506000.013435.L3","quantity":-0.0}]"#,
    );
    let doc = parse_jsonld(&json_doc(&ev)).expect("json");
    let q: Vec<Option<&str>> = doc.events[0]
        .quantity_list
        .iter()
        .map(|q| q.quantity.as_deref())
        .collect();
    assert_eq!(q, [Some("2.5"), Some("2.50"), Some("0")]);
    let text = write_jsonld(&doc);
    assert!(
        text.contains(r#""quantity":2.5,"#) && text.contains(r#""quantity":"2.50""#),
        "{text}"
    );
    assert_eq!(parse_jsonld(&text).expect("again").events, doc.events);
}

#[test]
fn a_json_name_without_xml_form_is_refused_not_written_broken() {
    let ev = EVENT.replace("\"action\"", "\"ex:my field\":1,\"action\"");
    let doc = parse_jsonld(&json_doc(&format!("{EVENT},{ev}"))).expect("json");
    let e = write_xml(&doc).expect_err("no XML name");
    assert_eq!((e.code(), e.event), ("EPCIS_BAD_FIELD", Some(1)));
    // Its JSON-LD form is fine.
    assert_eq!(
        parse_jsonld(&write_jsonld(&doc)).expect("again").events,
        doc.events
    );
}

#[test]
fn an_empty_array_and_an_array_of_one_empty_object_stay_apart() {
    // Found by the epcis_jsonld fuzz target: `[{}]` was written back as `[]`.
    let ev = EVENT.replace(
        "\"action\"",
        r#""ex:none":[],"ex:one":[{}],"ex:two":[{},{"ex:a":1}],"action""#,
    );
    let doc = parse_jsonld(&json_doc(&ev)).expect("json");
    let text = write_jsonld(&doc);
    assert!(
        text.contains(r#""ex:none":[],"ex:one":[{}],"ex:two":[{},{"ex:a":1}]"#),
        "{text}"
    );
    assert_eq!(parse_jsonld(&text).expect("again").events, doc.events);
    // `[]` says nothing for the hash; `[{}]` names the field.
    let without = parse_jsonld(&json_doc(&EVENT.replace(
        "\"action\"",
        r#""ex:one":[{}],"ex:two":[{},{"ex:a":1}],"action""#,
    )))
    .expect("json");
    assert_eq!(hash_ids(&without), hash_ids(&doc));
    let without_one = parse_jsonld(&json_doc(&EVENT.replace(
        "\"action\"",
        r#""ex:none":[],"ex:two":[{},{"ex:a":1}],"action""#,
    )))
    .expect("json");
    assert_ne!(hash_ids(&without_one), hash_ids(&doc));
}

#[test]
fn numbers_read_back_as_the_same_number() {
    // Found by the epcis_jsonld fuzz target: without correctly rounded parsing, the
    // shortest form of this value read back as a neighbouring double.
    let ev = EVENT.replace(
        "\"action\"",
        r#""ex:v":13.222220000001485690610386,"action""#,
    );
    let doc = parse_jsonld(&json_doc(&ev)).expect("json");
    let text = write_jsonld(&doc);
    assert!(text.contains(r#""ex:v":13.222220000001485"#), "{text}");
    assert_eq!(parse_jsonld(&text).expect("again").events, doc.events);
}
