//! The one error shape every answer of the server uses, `{"error": {"code", "message"}}`
//! (the command line's `--json` error shape, PRODUCT.md §7), and the codes of the
//! transport's own refusals.

use crate::api::{ApiError, ErrorKind};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// The error.
    pub error: ApiError,
}

/// The codes of refusals made by the HTTP transport itself (the API's own codes come
/// with its `ApiError`s).
pub mod code {
    /// The body is not JSON, or not a JSON object.
    pub const BAD_JSON: &str = "BAD_JSON";
    /// The fields do not make the request: an unknown field, a missing one, a wrong
    /// type, a field given twice, a bad query string.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The body or the query string is over its bound.
    pub const TOO_LARGE: &str = "TOO_LARGE";
    /// The route needs a bearer token and none valid was presented.
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    /// The client address sent more requests than its rate.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// No route has this path.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The route exists, but not with this method.
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    /// The request took longer than its bound.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// The server failed (a call that panicked, a response that would not encode).
    pub const INTERNAL: &str = "INTERNAL";
    /// The client could not reach the server or read its answer.
    pub const UNREACHABLE: &str = "UNREACHABLE";
    /// The server's answer was not the response or the error shape.
    pub const BAD_ANSWER: &str = "BAD_ANSWER";
}

/// An error made by the transport, of the kind its code says.
pub fn err(code: &str, message: impl Into<String>) -> ApiError {
    let kind = match code {
        code::UNAUTHORIZED => ErrorKind::Unauthorized,
        code::NOT_FOUND => ErrorKind::NotFound,
        code::RATE_LIMITED | code::TIMEOUT | code::UNREACHABLE => ErrorKind::Unavailable,
        code::INTERNAL | code::BAD_ANSWER => ErrorKind::Fault,
        _ => ErrorKind::Input,
    };
    ApiError::new(kind, code, message)
}

/// The answer for `e` with the given status.
pub fn error_response(status: StatusCode, e: ApiError) -> Response {
    json_response(status, &ErrorBody { error: e })
}

/// The answer for an error of the API, with its own status.
pub fn api_error_response(e: ApiError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error_response(status, e)
}

/// A JSON answer.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => {
            let body = serde_json::json!({"error": {"code": code::INTERNAL, "message": format!("the answer could not be encoded: {e}")}});
            let mut r = (StatusCode::INTERNAL_SERVER_ERROR, body.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
    }
}

/// The outermost layer: an error answer that is not JSON (made by a layer or by the
/// router: a 413 of the body limit, a 408 of the timeout, a 404 or 405 of the router) is
/// replaced by the error shape, so a client never meets a plain-text refusal.
pub async fn shape_errors(r: Response) -> Response {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // A page for people (the resolver's answer to a browser) is shown as it is.
    let is_page = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_json || is_page {
        return r;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            (code::TOO_LARGE, "the request body is too large".to_string())
        }
        StatusCode::URI_TOO_LONG => (
            code::TOO_LARGE,
            "the request's address is too long".to_string(),
        ),
        StatusCode::REQUEST_TIMEOUT => (code::TIMEOUT, "the request took too long".to_string()),
        StatusCode::NOT_FOUND => (code::NOT_FOUND, "no such endpoint".to_string()),
        StatusCode::METHOD_NOT_ALLOWED => (
            code::METHOD_NOT_ALLOWED,
            "this endpoint does not take that method".to_string(),
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            code::RATE_LIMITED,
            "too many requests from this address; slow down".to_string(),
        ),
        s if s.is_server_error() => (code::INTERNAL, format!("the server failed ({s})")),
        s => (code::BAD_REQUEST, format!("the request was refused ({s})")),
    };
    let mut shaped = error_response(status, err(code, message));
    // Keep headers a client acts on (Retry-After of a rate limit, Allow of a 405).
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(v) = r.headers().get(&name) {
            shaped.headers_mut().insert(name, v.clone());
        }
    }
    shaped
}
