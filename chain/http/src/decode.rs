//! Turning what a client sent (path parameters, a query string, a body) into a typed
//! request, and back: the one function the server decodes with (and the fuzz target
//! drives), and the one the typed client encodes with.
//!
//! The rule for every route (the API's rule for every transport): path parameters are
//! strings named by the route's template (`/v1/items/{key}`); a `GET` carries the other
//! fields as query parameters, a `POST`/`PUT`/`DELETE` as a JSON object in the body. Path
//! and query (or path and body) are merged into one set of fields and deserialized into
//! the request type, which refuses unknown fields; a field given twice is refused. A
//! query string is decoded as a form (`serde_urlencoded`), which reads numbers and
//! booleans from their text, so `?limit=10` fills a number field.

use crate::api::{ApiError, Endpoint, Request};
use crate::endpoints::{Visit, visit};
use crate::error::{code, err};
use crate::limits::{MAX_BODY_BYTES, MAX_QUERY_BYTES};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The names of the `{field}` placeholders of a path template, in order.
pub fn path_fields(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

pub use crate::api::wire::uses_query;

/// Decodes a request of type `E` from its path parameters (already percent-decoded, as
/// the router found them), its query string (raw, without `?`) and its body. Validates
/// it with the API's own bounds. Every failure is an `ApiError` with a stable code.
pub fn decode<E: Endpoint>(
    path: &[(String, String)],
    query: Option<&str>,
    body: &[u8],
) -> Result<E, ApiError> {
    let req: E = if uses_query(E::METHOD) {
        decode_query(path, query.unwrap_or_default())?
    } else {
        decode_body(path, body)?
    };
    req.validate()?;
    Ok(req)
}

fn decode_query<E: Endpoint>(path: &[(String, String)], query: &str) -> Result<E, ApiError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(err(
            code::TOO_LARGE,
            format!("the query string is longer than {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|e| {
        err(
            code::BAD_REQUEST,
            format!("the query string is malformed: {e}"),
        )
    })?;
    for (k, v) in path {
        if pairs.iter().any(|(q, _)| q == k) {
            return Err(twice(k));
        }
        pairs.push((k.clone(), v.clone()));
    }
    // Each name once: a form decoder would keep the last of two.
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(q, _)| q == k) {
            return Err(twice(k));
        }
    }
    let form = serde_urlencoded::to_string(&pairs).map_err(|e| {
        err(
            code::BAD_REQUEST,
            format!("the query string is malformed: {e}"),
        )
    })?;
    serde_urlencoded::from_str::<E>(&form)
        .map_err(|e| err(code::BAD_REQUEST, fields_message(&e.to_string())))
}

fn decode_body<E: Endpoint>(path: &[(String, String)], body: &[u8]) -> Result<E, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(err(
            code::TOO_LARGE,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    // An empty body is an empty object: a request made of path parameters alone
    // (`POST /v1/handoffs/{id}/cancel`) need not send `{}`.
    let mut fields = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(err(
                    code::BAD_JSON,
                    "the request body must be a JSON object",
                ));
            }
            Err(e) => {
                return Err(err(
                    code::BAD_JSON,
                    format!("the request body is not JSON: {e}"),
                ));
            }
        }
    };
    for (k, v) in path {
        if fields.contains_key(k) {
            return Err(twice(k));
        }
        fields.insert(k.clone(), Value::String(v.clone()));
    }
    serde_json::from_value::<E>(Value::Object(fields))
        .map_err(|e| err(code::BAD_REQUEST, fields_message(&e.to_string())))
}

fn twice(k: &str) -> ApiError {
    err(
        code::BAD_REQUEST,
        format!("the field '{k}' is given twice (in the path and in the request)"),
    )
}

fn fields_message(e: &str) -> String {
    format!("the request's fields do not fit: {e}")
}

/// What a client sends for `req` (the API's one rule, shared with the UI's browser
/// transport): see [`handoff_api::wire::encode`].
pub use crate::api::wire::encode;

/// The HTTP status the server answers a refusal of the decoder with: 413 for a bound of
/// the transport, the API's own status for its codes (a `validate()` refusal), 400 for
/// the rest.
pub fn refusal_status(e: &ApiError) -> u16 {
    match e.code.as_str() {
        code::TOO_LARGE => 413,
        code::BAD_JSON | code::BAD_REQUEST => 400,
        _ => e.http_status(),
    }
}

/// Decodes a request of the operation `op` (an `op` of the route table) as the server
/// does; `None` when no endpoint has that operation.
pub fn decode_route(
    op: &str,
    path: &[(String, String)],
    query: Option<&str>,
    body: &[u8],
) -> Option<Result<Request, ApiError>> {
    struct D<'a> {
        op: &'a str,
        path: &'a [(String, String)],
        query: Option<&'a str>,
        body: &'a [u8],
        out: Option<Result<Request, ApiError>>,
    }
    impl Visit for D<'_> {
        fn endpoint<E>(&mut self)
        where
            E: Endpoint + ToSchema + Send + 'static,
            E::Response: ToSchema + Send,
        {
            if E::OP == self.op && self.out.is_none() {
                self.out = Some(decode::<E>(self.path, self.query, self.body).map(Into::into));
            }
        }
    }
    let mut d = D {
        op,
        path,
        query,
        body,
        out: None,
    };
    visit(&mut d);
    d.out
}

/// Encodes `req` as the typed client sends it and decodes that as the server does (the
/// property the fuzz target and the tests check: what the client sends is what the
/// server reads).
pub fn round_trip(req: &Request) -> Result<Request, ApiError> {
    struct R<'a> {
        req: &'a Request,
        out: Option<Result<Request, ApiError>>,
    }
    impl Visit for R<'_> {
        fn endpoint<E>(&mut self)
        where
            E: Endpoint + ToSchema + Send + 'static,
            E::Response: ToSchema + Send,
        {
            if E::OP != self.req.op() || self.out.is_some() {
                return;
            }
            self.out = Some((|| {
                let mut v = serde_json::to_value(self.req)
                    .map_err(|e| err(code::BAD_REQUEST, e.to_string()))?;
                if let Value::Object(m) = &mut v {
                    m.remove("op");
                }
                let typed: E =
                    serde_json::from_value(v).map_err(|e| err(code::BAD_REQUEST, e.to_string()))?;
                let (target, body) = encode(&typed)?;
                let (path, query) = match target.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (target.as_str(), None),
                };
                let params = match_path(E::PATH, path)
                    .ok_or_else(|| err(code::BAD_REQUEST, format!("{path} is not {}", E::PATH)))?;
                decode::<E>(&params, query, body.as_deref().unwrap_or_default()).map(Into::into)
            })());
        }
    }
    let mut r = R { req, out: None };
    visit(&mut r);
    r.out.unwrap_or_else(|| {
        Err(err(
            code::NOT_FOUND,
            format!("no endpoint for {}", req.op()),
        ))
    })
}

/// The percent-decoded path parameters of `path` under `template`, as the router finds
/// them; `None` when the path does not fit the template.
pub fn match_path(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut params = Vec::new();
    for (ts, ps) in t.iter().zip(&p) {
        match ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let v = percent_encoding::percent_decode_str(ps)
                    .decode_utf8()
                    .ok()?;
                params.push((name.to_string(), v.into_owned()));
            }
            None if ts == ps => {}
            None => return None,
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{
        AcceptRequest, CancelRequest, ItemShowRequest, OrgLogRequest, SellRequest, limits,
    };

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn code_of<E: Endpoint + std::fmt::Debug>(r: Result<E, ApiError>) -> String {
        r.expect_err("refused").code
    }

    #[test]
    fn a_get_takes_its_path_and_query() {
        let r: ItemShowRequest =
            decode(&p(&[("key", "urn:x")]), Some("proof=true"), b"").expect("ok");
        assert_eq!((r.key.as_str(), r.proof), ("urn:x", true));
        let r: ItemShowRequest = decode(&p(&[("key", "k")]), None, b"").expect("ok");
        assert!(!r.proof);
        // Numbers are read from their text.
        let r: OrgLogRequest = decode(&[], Some("limit=7&org=ab"), b"").expect("ok");
        assert_eq!((r.limit, r.org.as_deref()), (7, Some("ab")));
    }

    #[test]
    fn a_post_takes_its_path_and_body() {
        let r: AcceptRequest =
            decode(&p(&[("id", "ab")]), None, br#"{"missing": ["m1"]}"#).expect("ok");
        assert_eq!(
            (r.id.as_str(), r.missing.as_slice()),
            ("ab", &["m1".to_string()][..])
        );
        // A request made of its path alone needs no body.
        let r: CancelRequest = decode(&p(&[("id", "ab")]), None, b"").expect("ok");
        assert_eq!(r.id, "ab");
    }

    #[test]
    fn malformed_requests_are_refused_with_their_codes() {
        let id = p(&[("id", "ab")]);
        assert_eq!(
            code_of(decode::<AcceptRequest>(&id, None, b"{\"missing\": [")),
            code::BAD_JSON
        );
        assert_eq!(
            code_of(decode::<AcceptRequest>(&id, None, b"[1]")),
            code::BAD_JSON
        );
        assert_eq!(
            code_of(decode::<AcceptRequest>(&id, None, b"\xff\xfe")),
            code::BAD_JSON
        );
        assert_eq!(
            code_of(decode::<AcceptRequest>(&id, None, br#"{"bogus": 1}"#)),
            code::BAD_REQUEST
        );
        assert_eq!(
            code_of(decode::<AcceptRequest>(&id, None, br#"{"missing": "m"}"#)),
            code::BAD_REQUEST
        );
        assert_eq!(
            code_of(decode::<AcceptRequest>(&id, None, br#"{"id": "cd"}"#)),
            code::BAD_REQUEST
        );
        assert_eq!(
            code_of(decode::<SellRequest>(&[], None, b"{}")),
            code::BAD_REQUEST
        );
        let key = p(&[("key", "k")]);
        assert_eq!(
            code_of(decode::<ItemShowRequest>(&key, Some("bogus=1"), b"")),
            code::BAD_REQUEST
        );
        assert_eq!(
            code_of(decode::<ItemShowRequest>(&key, Some("proof=maybe"), b"")),
            code::BAD_REQUEST
        );
        assert_eq!(
            code_of(decode::<ItemShowRequest>(
                &key,
                Some("proof=true&proof=false"),
                b""
            )),
            code::BAD_REQUEST
        );
        assert_eq!(
            code_of(decode::<ItemShowRequest>(&key, Some("key=other"), b"")),
            code::BAD_REQUEST
        );
        let long = "x".repeat(MAX_QUERY_BYTES + 1);
        assert_eq!(
            code_of(decode::<ItemShowRequest>(&key, Some(&long), b"")),
            code::TOO_LARGE
        );
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            code_of(decode::<AcceptRequest>(&id, None, &big)),
            code::TOO_LARGE
        );
        // The API's own bounds, with the API's own code.
        let many = format!(
            r#"{{"scans": [{}"s"]}}"#,
            "\"s\",".repeat(limits::MAX_LIST_LEN)
        );
        assert_eq!(
            code_of(decode::<SellRequest>(&[], None, many.as_bytes())),
            limits::REQUEST_TOO_LARGE
        );
        for e in [
            decode::<AcceptRequest>(&id, None, b"{").expect_err("bad"),
            decode::<SellRequest>(&[], None, many.as_bytes()).expect_err("big"),
        ] {
            assert_eq!(refusal_status(&e), 400, "{e:?}");
            assert!(!e.message.is_empty());
        }
        assert_eq!(refusal_status(&err(code::TOO_LARGE, "x")), 413);
    }

    #[test]
    fn what_the_client_sends_is_what_the_server_reads() {
        let scan = "https://id.gs1.org/01/09506000134352/21/a%2Fb c(1)";
        let req: Request = ItemShowRequest {
            key: scan.into(),
            proof: true,
        }
        .into();
        assert_eq!(round_trip(&req), Ok(req.clone()));
        let (path, body) = encode(&ItemShowRequest {
            key: scan.into(),
            proof: true,
        })
        .expect("encode");
        assert!(body.is_none());
        assert!(
            path.starts_with("/v1/items/https%3A%2F%2Fid.gs1.org"),
            "{path}"
        );
        assert!(path.ends_with("?proof=true"), "{path}");
        let req: Request = AcceptRequest {
            id: "ab/cd".into(),
            missing: vec!["m".into()],
            damaged: vec![],
        }
        .into();
        assert_eq!(round_trip(&req), Ok(req.clone()));
        let req: Request = OrgLogRequest {
            org: None,
            limit: 3,
        }
        .into();
        assert_eq!(round_trip(&req), Ok(req.clone()));
        // A field named like a keyword (`for`) and a path id under a sub-route.
        let req: Request = crate::api::CertListRequest {
            for_: "(01)00614141000012(21)A B".into(),
            by: None,
            valid: true,
        }
        .into();
        assert_eq!(round_trip(&req), Ok(req.clone()));
        let req: Request = crate::api::CertListRequest {
            for_: String::new(),
            by: Some("Organic Audit Co".into()),
            valid: false,
        }
        .into();
        assert_eq!(round_trip(&req), Ok(req.clone()));
        let req: Request = crate::api::CertChangeRequest {
            id: "ab".repeat(32),
            change: "suspend".into(),
            reason: "audit due".into(),
        }
        .into();
        assert_eq!(round_trip(&req), Ok(req.clone()));
    }

    #[test]
    fn every_operation_has_a_decoder() {
        for r in crate::api::routes() {
            assert!(decode_route(r.op, &[], None, b"").is_some(), "{}", r.op);
        }
        assert!(decode_route("no_such_op", &[], None, b"").is_none());
    }
}
