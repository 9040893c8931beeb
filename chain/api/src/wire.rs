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
