//! Evidence as the consumer page receives it from a node it does not trust, and the
//! resolver's reading of request paths. Never panics; evidence that decodes is checked
//! against a fixed anchor and either gives a verdict or a coded refusal; a path the
//! resolver takes for a Digital Link yields a scan that starts with its path.
#![no_main]
use handoff_core::crypto::Keypair;
use handoff_core::evidence::{Anchor, Evidence, check};
use handoff_core::gs1::resolve::resolver_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Evidence::decode(data) {
        let anchor = Anchor {
            chain_id: e.header.chain_id,
            validators: vec![Keypair::from_secret([1; 32]).public()],
        };
        match check(&e, &anchor, "/01/09506000134352/21/A1", 1_700_000_000_000) {
            Ok(c) => assert_eq!(c.height, e.header.height),
            Err(err) => assert!(err.code().starts_with("EVIDENCE_")),
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let (path, query) = text.split_once('?').map_or((text, None), |(p, q)| (p, Some(q)));
        if let Some(r) = resolver_request(path, query) {
            assert!(path.ends_with(&r.path) || path.contains(&r.path));
            assert!(r.scan.contains(&r.path));
        }
    }
});
