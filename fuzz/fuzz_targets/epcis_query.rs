//! The EPCIS REST query string (`GET /epcis/events?…`): decoded and read as the simple
//! event query. Never panics; a refusal carries an `EPCIS_*` code; a query that reads
//! matches events without panicking, and its page token reads back as itself and is
//! taken by the same query.
#![no_main]
use handoff_epcis::query::{PageToken, Query, SortKey};
use handoff_epcis::{Action, Event, EventType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let q = match Query::from_query_string(text) {
        Ok(q) => q,
        Err(e) => {
            assert!(e.code().starts_with("EPCIS_"), "{e}");
            return;
        }
    };
    let mut e = Event::new(
        EventType::ObjectEvent,
        "2026-06-01T10:00:00+02:00",
        "+02:00",
    );
    e.action = Some(Action::Observe);
    e.biz_step = Some("shipping".into());
    e.epc_list = vec!["urn:epc:id:sgtin:0614141.107346.2018".into()];
    e.record_time = Some("2026-06-01T08:00:05Z".into());
    let _ = q.matches(&e, "ni:///sha-256;00?ver=CBV2.0");
    let key = q.sort_key(&e, 3, 1);
    let _ = q.after_page(&key);
    if let Some(t) = q.next_token(
        SortKey {
            primary: key.primary,
            height: 3,
            index: 1,
        },
        1,
    ) {
        let s = t.encode();
        assert_eq!(PageToken::decode(&s), Ok(t));
    }
});
