//! Properties of the identifier conversions and of time normalization, over generated
//! keys and times.

use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_epcis::ids::{
    canonical_digital_link, epc_urn_to_key, key_to_digital_link, key_to_epc_urn, parse_id,
};
use handoff_epcis::time::{format_ms, parse_time_ms};
use proptest::prelude::*;

fn with_check(body: &str) -> String {
    format!("{body}{}", check_digit(body).unwrap_or(0))
}

fn key_strategy() -> impl Strategy<Value = Gs1Key> {
    let gtin = "[0-9]{13}".prop_map(|b| with_check(&b));
    // GS1 character set 82 (AI 21 and 10 values), 1 to 20 characters.
    let value = "[A-Za-z0-9!\"%&'()*+,./:;<=>?_-]{1,20}";
    prop_oneof![
        (gtin.clone(), value).prop_map(|(gtin, serial)| Gs1Key::Serial { gtin, serial }),
        (gtin, value).prop_map(|(gtin, lot)| Gs1Key::Lot { gtin, lot }),
        "[0-9]{17}".prop_map(|b| Gs1Key::Sscc {
            sscc: with_check(&b)
        }),
        ("[0-9]{12}", proptest::option::of("[A-Za-z0-9]{1,20}")).prop_map(|(b, extension)| {
            Gs1Key::Gln {
                gln: with_check(&b),
                // Extension "0" is the SGLN's "no extension".
                extension: extension.filter(|x| x != "0"),
            }
        }),
    ]
}

proptest! {
    #[test]
    fn epc_urns_round_trip_for_every_prefix_length(key in key_strategy(), cp in 6usize..=12) {
        let urn = key_to_epc_urn(&key, cp).expect("valid key");
        prop_assert_eq!(epc_urn_to_key(&urn), Ok(key.clone()));
        prop_assert_eq!(parse_id(&urn), Ok(key.clone()));
        // The Digital Link reads back to the same key, whatever the prefix length was.
        let dl = key_to_digital_link(&key);
        prop_assert_eq!(parse_id(&dl), Ok(key.clone()));
        // Both name the same thing for the event hash.
        let from_urn = canonical_digital_link(&urn).expect("a GS1 URN");
        let from_dl = canonical_digital_link(&dl).expect("a Digital Link");
        prop_assert_eq!(
            parse_id(&from_urn).ok(),
            parse_id(&from_dl).ok(),
            "{} / {}", from_urn, from_dl
        );
    }

    #[test]
    fn times_with_any_offset_name_the_same_instant(
        ms in -2_000_000_000_000i64..8_000_000_000_000i64,
        offset_min in -(23 * 60 + 59)..=(23 * 60 + 59i64),
    ) {
        let utc = format_ms(ms);
        prop_assert_eq!(parse_time_ms(&utc), Ok(ms));
        // The same instant written in local time with its offset.
        let local = format_ms(ms + offset_min * 60_000);
        let sign = if offset_min < 0 { '-' } else { '+' };
        let text = format!(
            "{}{sign}{:02}:{:02}",
            &local[..local.len() - 1],
            offset_min.abs() / 60,
            offset_min.abs() % 60
        );
        prop_assert_eq!(parse_time_ms(&text), Ok(ms), "{}", text);
    }
}
