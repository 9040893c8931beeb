//! EPCIS events mapped onto ledger transactions (`handoff epcis import`) and kept beside
//! them. Never panics; a refusal carries an `EPCIS_*` code and names its event; every
//! event that is kept reads back from its kept form with the same hash id.
#![no_main]
use handoff_core::gs1::Gs1Key;
use handoff_core::types::{Hash32, PublicKey};
use handoff_epcis::ledger::{Lookup, keep, restore, to_payload};
use handoff_epcis::{hash_ids, parse};
use libfuzzer_sys::fuzz_target;

/// A ledger of one org at one GLN, with one open handoff and one imported event.
struct One;

impl Lookup for One {
    fn org_by_gln(&self, gln: &str) -> Option<PublicKey> {
        (gln == "9506000000015").then_some(PublicKey([2; 32]))
    }
    fn open_handoff(&self, _: &PublicKey, keys: &[Gs1Key]) -> Option<Hash32> {
        (keys.len() == 1).then_some(Hash32([3; 32]))
    }
    fn tx_of_event(&self, id: &str) -> Option<Hash32> {
        id.ends_with('0').then_some(Hash32([4; 32]))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = parse(text) else { return };
    let hashes = hash_ids(&doc);
    for i in 0..doc.events.len() {
        if let Err(e) = to_payload(&doc, i, &PublicKey([1; 32]), &One) {
            assert!(e.code().starts_with("EPCIS_") && !e.message.is_empty());
            assert_eq!(e.event, Some(i));
        }
        match keep(&doc, i) {
            Ok(k) => {
                assert_eq!(k.hash_id, hashes[i]);
                let back = restore(&k.jsonld).expect("a kept event reads back");
                assert_eq!(hash_ids(&back), [hashes[i].clone()]);
            }
            Err(e) => assert!(e.code().starts_with("EPCIS_")),
        }
    }
});
