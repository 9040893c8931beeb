//! EPCIS XML documents (2.0 and 1.x) from partners and files. Never panics; refusals
//! carry an `EPCIS_*` code; an accepted document is written as EPCIS 2.0 XML and read
//! again to the same events and the same hash ids, and can be written as JSON-LD.
#![no_main]
use handoff_epcis::{hash_ids, parse_xml, write_jsonld, write_xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_xml(text) {
        Ok(doc) => {
            let ids = hash_ids(&doc);
            let written = write_xml(&doc).expect("what was read from XML can be written as XML");
            let again = parse_xml(&written).expect("a written document reads back");
            assert_eq!(again.events, doc.events);
            assert_eq!(hash_ids(&again), ids);
            assert_eq!(write_xml(&again).ok().as_ref(), Some(&written));
            let _ = write_jsonld(&doc);
        }
        Err(e) => assert!(e.code().starts_with("EPCIS_") && !e.message.is_empty()),
    }
});
