//! EPCIS JSON-LD documents from partners and files. Never panics; refusals carry an
//! `EPCIS_*` code; an accepted document is written and read again to the same events and
//! the same hash ids, and can be written as XML.
#![no_main]
use handoff_epcis::{hash_ids, parse_jsonld, write_jsonld, write_xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_jsonld(text) {
        Ok(doc) => {
            let ids = hash_ids(&doc);
            let written = write_jsonld(&doc);
            let again = parse_jsonld(&written).expect("a written document reads back");
            assert_eq!(again.events, doc.events);
            assert_eq!(hash_ids(&again), ids);
            assert_eq!(write_jsonld(&again), written);
            // As XML too, unless an extension name has no XML form (refused, not broken).
            if let Err(e) = write_xml(&doc) {
                assert_eq!(e.code(), "EPCIS_BAD_FIELD");
            }
        }
        Err(e) => assert!(e.code().starts_with("EPCIS_") && !e.message.is_empty()),
    }
});
