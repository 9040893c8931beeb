//! The streaming reader against the whole-document reader: the same events and hash ids
//! for every fixture document (GS1's examples and the hash generator's), in both
//! formats; per-event bounds refused with stable codes naming the event; documents far
//! beyond the whole-document bounds read in one pass; a truncated document refused after
//! its complete events (which is why the node validates a file fully before it submits).

use handoff_epcis::limits::{MAX_EVENT_BYTES, MAX_EVENTS, MAX_LIST_LEN};
use handoff_epcis::{Document, ErrorCode, Event, StreamError, hash_id, hash_ids, parse, stream};
use std::convert::Infallible;
use std::path::Path;

/// Every event the streaming reader hands over, with its hash id; or its refusal.
fn streamed(text: &str) -> Result<(Vec<Event>, Vec<String>), handoff_epcis::EpcisError> {
    let mut events = Vec::new();
    let mut hashes = Vec::new();
    let mut next = 0;
    let r = stream(
        || Ok(text.as_bytes()),
        |i, head: &Document, e: Event| -> Result<(), Infallible> {
            assert_eq!(i, next, "events come in document order");
            next += 1;
            hashes.push(hash_id(head, &e));
            events.push(e);
            Ok(())
        },
    );
    match r {
        Ok(s) => {
            assert_eq!(s.events, events.len());
            Ok((events, hashes))
        }
        Err(StreamError::Bad(e)) => Err(e),
        Err(other) => panic!("not a refusal: {other:?}"),
    }
}

fn fixtures() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["gs1", "hash"] {
        let d = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(dir);
        let mut names: Vec<_> = std::fs::read_dir(&d)
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .collect();
        names.sort();
        for p in names {
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or_default();
            if matches!(ext, "jsonld" | "json" | "xml") {
                let text = std::fs::read_to_string(&p).expect("read");
                out.push((p.display().to_string(), text));
            }
        }
    }
    out
}

#[test]
fn every_fixture_streams_to_the_same_events_and_hash_ids() {
    let mut read = 0;
    for (name, text) in fixtures() {
        match parse(&text) {
            Ok(doc) => {
                let (events, hashes) =
                    streamed(&text).unwrap_or_else(|e| panic!("{name}: streamed: {e}"));
                assert_eq!(events, doc.events, "{name}");
                assert_eq!(hashes, hash_ids(&doc), "{name}");
                read += 1;
            }
            Err(e) => {
                let s = streamed(&text).expect_err(&name);
                assert_eq!(s.kind, e.kind, "{name}: {s} / {e}");
            }
        }
    }
    assert!(read > 60, "{read} fixtures read");
}

fn doc_with(events: &[String], header_last: bool) -> String {
    let header = r#""@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"ex":"https://ns.example.com/"}],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z""#;
    let body = format!(r#""epcisBody":{{"eventList":[{}]}}"#, events.join(",\n"));
    if header_last {
        format!("{{{body},{header}}}")
    } else {
        format!("{{{header},{body}}}")
    }
}

fn event(n: usize) -> String {
    format!(
        r#"{{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:{:02}Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:0614141.107346.{n}"],"action":"OBSERVE","bizStep":"ex:counting","ex:n":{n}}}"#,
        n % 60
    )
}

#[test]
fn a_header_after_the_events_is_read_first() {
    let events: Vec<String> = (0..5).map(event).collect();
    let first = streamed(&doc_with(&events, false)).expect("header first");
    let last = streamed(&doc_with(&events, true)).expect("header last");
    assert_eq!(first, last);
    // The context's prefix expands the value `ex:counting` in the hash: read without
    // the context, the hash ids would differ.
    let whole = parse(&doc_with(&events, true)).expect("whole");
    assert_eq!(last.1, hash_ids(&whole));
}

#[test]
fn a_document_beyond_the_whole_document_bounds_streams() {
    let n = MAX_EVENTS + 500;
    let events: Vec<String> = (0..n).map(event).collect();
    let text = doc_with(&events, false);
    assert_eq!(
        parse(&text)
            .expect_err("too many for a whole document")
            .kind,
        ErrorCode::TooLarge
    );
    let (read, hashes) = streamed(&text).expect("streamed");
    assert_eq!(read.len(), n);
    assert_eq!(hashes.len(), n);
    assert_ne!(hashes[0], hashes[1]);
}

#[test]
fn bounds_are_refused_per_event_with_stable_codes() {
    let ok = event(1);
    // One event over the byte bound (a long run of white space inside it).
    let fat = event(2).replacen('{', &format!("{{{}", " ".repeat(MAX_EVENT_BYTES)), 1);
    let deep = event(3).replacen(
        r#""ex:n":3"#,
        &format!(r#""ex:n":{}1{}"#, "[".repeat(40), "]".repeat(40)),
        1,
    );
    let long_list = event(4).replacen(
        r#""epcList":["#,
        &format!(
            r#""epcList":[{}"#,
            "\"urn:epc:id:sgtin:0614141.107346.9\",".repeat(MAX_LIST_LEN + 1)
        ),
        1,
    );
    let long_string = event(5).replacen(
        r#""ex:n":5"#,
        &format!(r#""ex:n":"{}""#, "x".repeat(10_000)),
        1,
    );
    for (bad, code) in [
        (fat, ErrorCode::TooLarge),
        (deep, ErrorCode::TooDeep),
        (long_list, ErrorCode::TooLarge),
        (long_string, ErrorCode::TooLarge),
    ] {
        let text = doc_with(&[ok.clone(), ok.clone(), bad], false);
        let e = streamed(&text).expect_err("refused");
        assert_eq!((e.kind, e.event), (code, Some(2)), "{e}");
    }
}

#[test]
fn a_truncated_document_is_refused_after_its_complete_events() {
    let events: Vec<String> = (0..10).map(event).collect();
    let text = doc_with(&events, false);
    let cut = &text[..text.len() - 200];
    let mut seen = 0;
    let r = stream(
        || Ok(cut.as_bytes()),
        |_, _: &Document, _| -> Result<(), Infallible> {
            seen += 1;
            Ok(())
        },
    );
    match r {
        Err(StreamError::Bad(e)) => assert_eq!(e.kind, ErrorCode::BadJson, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(seen < 10, "the last event is incomplete: {seen}");

    let xml = handoff_epcis::write_xml(&parse(&text).expect("whole")).expect("xml");
    let cut = &xml[..xml.len() - 40];
    let e = streamed(cut).expect_err("truncated XML");
    assert_eq!(e.kind, ErrorCode::BadXml, "{e}");
}

#[test]
fn xml_streams_like_the_whole_document() {
    let events: Vec<String> = (0..50).map(event).collect();
    let doc = parse(&doc_with(&events, false)).expect("whole");
    let xml = handoff_epcis::write_xml(&doc).expect("xml");
    let whole = parse(&xml).expect("xml whole");
    let (read, hashes) = streamed(&xml).expect("xml streamed");
    assert_eq!(read, whole.events);
    assert_eq!(hashes, hash_ids(&whole));
    assert_eq!(hashes, hash_ids(&doc), "the same events in both formats");
}

#[test]
fn the_handler_can_stop_the_read() {
    let events: Vec<String> = (0..10).map(event).collect();
    let text = doc_with(&events, false);
    let r = stream(
        || Ok(text.as_bytes()),
        |i, _: &Document, _| if i == 3 { Err("enough") } else { Ok(()) },
    );
    assert!(matches!(r, Err(StreamError::Stopped("enough"))), "{r:?}");
}

/// Found by the `epcis_stream` fuzz target: a document whose root element is declared in
/// another namespace is read whole by `parse`; the streaming reader must hand over the
/// same events, not none (an import would have reported nothing to do).
#[test]
fn a_root_in_another_namespace_streams_the_same_events_as_the_whole_document() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/regress/root-in-other-namespace.xml");
    let bytes = std::fs::read(&path).expect("fixture");
    let whole = handoff_epcis::parse(std::str::from_utf8(&bytes).expect("utf-8")).expect("parses");
    let mut streamed = Vec::new();
    handoff_epcis::stream(
        || Ok(bytes.as_slice()),
        |_, _, e| -> Result<(), std::convert::Infallible> {
            streamed.push(e);
            Ok(())
        },
    )
    .expect("streams");
    assert!(!whole.events.is_empty());
    assert_eq!(streamed, whole.events);
}
