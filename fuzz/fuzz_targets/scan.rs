//! Scans: any text a scanner or camera can deliver. Never panics; whatever is accepted
//! is a valid key whose canonical and Digital Link forms parse back to the same key.
#![no_main]
use handoff_core::gs1::{Gs1Key, MAX_SCAN_LEN, ScanOptions, parse_scan, parse_scan_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let with_caret = ScanOptions { fnc1_substitute: Some('^') };
    for result in [parse_scan(text), parse_scan_with(text, &with_caret)] {
        match result {
            Ok(scan) => {
                assert!(text.len() <= MAX_SCAN_LEN);
                assert_eq!(scan.key.validate(), Ok(()));
                let canonical = scan.key.canonical();
                assert_eq!(Gs1Key::from_canonical(&canonical).as_ref(), Ok(&scan.key));
                let uri = scan.key.digital_link("https://id.example.com/r");
                assert_eq!(parse_scan(&uri).map(|s| s.key).as_ref(), Ok(&scan.key));
            }
            Err(e) => assert!(e.code.as_str().starts_with("SCAN_") && !e.message.is_empty()),
        }
    }
});
