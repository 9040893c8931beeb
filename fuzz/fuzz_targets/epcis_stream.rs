//! EPCIS documents (JSON-LD or XML) read one event at a time, as `handoff epcis import`
//! reads a file. Never panics; a refusal carries an `EPCIS_*` code; on a document the
//! whole-document reader accepts too, the streamed events and hash ids are the same.
#![no_main]
use handoff_epcis::{Document, Event, StreamError, hash_id, hash_ids, parse, stream};
use libfuzzer_sys::fuzz_target;
use std::convert::Infallible;

fuzz_target!(|data: &[u8]| {
    let mut events: Vec<Event> = Vec::new();
    let mut hashes = Vec::new();
    let streamed = stream(
        || Ok(data),
        |i, head: &Document, e: Event| -> Result<(), Infallible> {
            assert_eq!(i, events.len(), "events come in order");
            hashes.push(hash_id(head, &e));
            events.push(e);
            Ok(())
        },
    );
    match streamed {
        Ok(s) => {
            assert_eq!(s.events, events.len());
            if let Ok(text) = std::str::from_utf8(data)
                && let Ok(doc) = parse(text)
            {
                assert_eq!(events, doc.events);
                assert_eq!(hashes, hash_ids(&doc));
            }
        }
        Err(StreamError::Bad(e)) => {
            assert!(e.code().starts_with("EPCIS_") && !e.message.is_empty())
        }
        Err(StreamError::Io(e)) => panic!("reading a slice failed: {e}"),
        Err(StreamError::Stopped(never)) => match never {},
    }
});
