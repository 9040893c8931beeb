//! How a request travels over HTTP, on the client's side: the path with its placeholders
//! filled, the query string of a `GET`, the JSON body of the other methods. The server
//! (`handoff-http`) decodes by the same rule; its typed client and the UI's browser
//! transport both encode with [`encode`], so what a client sends is what the server reads.

use crate::{ApiError, Endpoint, Method};
use serde_json::Value;

/// The code of a request that cannot be encoded (the server's code for a request whose
/// fields do not fit).
pub const BAD_REQUEST: &str = "BAD_REQUEST";

/// Whether requests of this method carry their fields in a query string (else in a JSON
/// body).
pub fn uses_query(m: Method) -> bool {
    matches!(m, Method::Get)
}

/// What the typed client sends for `req`: the path with its placeholders filled
/// (percent-encoded) and the query string appended for a `GET`, and the JSON body for the
/// other methods.
pub fn encode<E: Endpoint>(req: &E) -> Result<(String, Option<Vec<u8>>), ApiError> {
    let mut fields = match serde_json::to_value(req) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(ApiError::input(
                BAD_REQUEST,
                format!("{} does not encode as an object", E::PATH),
            ));
        }
        Err(e) => return Err(ApiError::input(BAD_REQUEST, format!("cannot encode: {e}"))),
    };
    let mut path = String::new();
    for seg in E::PATH.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let value = match fields.remove(name) {
                    Some(Value::String(s)) => s,
                    _ => {
                        return Err(ApiError::input(
                            BAD_REQUEST,
                            format!("the path field '{name}' of {} must be a string", E::PATH),
                        ));
                    }
                };
                path.extend(percent_encoding::utf8_percent_encode(&value, SEGMENT));
            }
            None => path.push_str(seg),
        }
    }
    if uses_query(E::METHOD) {
        let mut pairs = Vec::new();
        for (k, v) in fields {
            let text = match v {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(ApiError::input(
                        BAD_REQUEST,
                        format!("the field '{k}' of a GET request must be a single value"),
                    ));
                }
            };
            pairs.push((k, text));
        }
        if !pairs.is_empty() {
            let q = serde_urlencoded::to_string(&pairs)
                .map_err(|e| ApiError::input(BAD_REQUEST, format!("cannot encode: {e}")))?;
            path.push('?');
            path.push_str(&q);
        }
        Ok((path, None))
    } else {
        let body = serde_json::to_vec(&Value::Object(fields))
            .map_err(|e| ApiError::input(BAD_REQUEST, format!("cannot encode: {e}")))?;
        Ok((path, Some(body)))
    }
}

/// Everything but the unreserved characters of RFC 3986 is escaped in a path segment (a
/// scan may hold `/`, `(`, `)`, `%`, spaces).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AcceptRequest, ItemShowRequest, LookupRequest, StatusRequest};

    #[test]
    fn a_read_goes_in_the_path_and_query_an_action_in_a_body() {
        // A scan's slashes and brackets stay inside their path segment.
        let (target, body) = encode(&LookupRequest {
            scan: "(01)09506000134352(21)A/B".into(),
        })
        .expect("lookup");
        assert_eq!(target, "/v1/lookup/%2801%2909506000134352%2821%29A%2FB");
        assert_eq!(body, None);
        let (target, _) = encode(&ItemShowRequest {
            key: "/00/306141410000000051".into(),
            proof: true,
        })
        .expect("item");
        assert_eq!(target, "/v1/items/%2F00%2F306141410000000051?proof=true");
        assert_eq!(encode(&StatusRequest {}).expect("status").0, "/v1/status");
        let (target, body) = encode(&AcceptRequest {
            id: "ab".into(),
            missing: vec!["m".into()],
            damaged: vec![],
        })
        .expect("accept");
        assert_eq!(target, "/v1/handoffs/ab/accept");
        let body: Value = serde_json::from_slice(&body.expect("a body")).expect("json");
        assert_eq!(body, serde_json::json!({"missing": ["m"]}));
    }
}
