//! HTTP requests: any path parameters, query string and body a client can send to any
//! route, decoded by the server's own decoder (`handoff_http::decode`). Never panics;
//! a refusal has a stable code, a message and a 4xx status; an accepted request encodes
//! (as the typed client sends it) and decodes back to itself.
#![no_main]
use handoff_http::decode::decode_route;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let routes = handoff_api::routes();
    let Some((&pick, rest)) = data.split_first() else { return };
    let route = &routes[usize::from(pick) % routes.len()];
    // The rest: path values, query and body, separated by 0xff (never in UTF-8 text).
    let mut parts = rest.split(|b| *b == 0xff);
    let mut params = Vec::new();
    for name in handoff_http::decode::path_fields(route.path) {
        let value = parts.next().unwrap_or_default();
        params.push((name.to_string(), String::from_utf8_lossy(value).into_owned()));
    }
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();
    match decode_route(route.op, &params, Some(&query), body) {
        None => panic!("route {} has no decoder", route.op),
        Some(Ok(req)) => {
            assert_eq!(req.op(), route.op);
            let again = handoff_http::decode::round_trip(&req)
                .unwrap_or_else(|e| panic!("{} does not encode back: {e}", route.op));
            assert_eq!(again, req);
        }
        Some(Err(e)) => {
            assert!(!e.code.is_empty() && !e.message.is_empty());
            let status = handoff_http::decode::refusal_status(&e);
            assert!((400..500).contains(&status), "{e:?} answered {status}");
        }
    }
});
