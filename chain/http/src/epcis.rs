//! The GS1 EPCIS 2.0 REST bindings under `/epcis`: the query interface (`GET
//! /epcis/events` and the per-resource conveniences `/epcis/eventTypes/{type}/events`,
//! `/epcis/epcs/{epc}/events`, `/epcis/bizSteps/{step}/events`…) and the capture
//! interface (`POST /epcis/capture`, `GET /epcis/capture/{captureID}`).
//!
//! Like every route, these speak only the typed API: a query is the node's
//! `epcis_query` (the query string handed over as the client wrote it, a path resource
//! added as its parameter), a capture is `epcis_import` with the caller's token. What is
//! the bindings' own is here: the GS1 headers, the `Link: <…>; rel="next"` of a page,
//! content negotiation (JSON-LD, or XML for `Accept: application/xml`), capture jobs,
//! and GS1's error shape (RFC 7807, `{"type": "epcisException:…", "title", "status"}`),
//! which every refusal under `/epcis` has, a layer's (413, 429) included.
//!
//! The queries are public and rate-limited, like the other public reads (the ledger's
//! events are public to the network's members); capturing needs a bearer token, as every
//! action does, and a capture job is read back only with a token of the identity that
//! made it (or the node's own).

use crate::api::{
    self, Api, ApiError, Caller, EpcisImportRequest, EpcisImportResponse, EpcisQueryRequest,
    ErrorKind,
};
use crate::auth::Tokens;
use crate::limits::{MAX_BODY_BYTES, MAX_CAPTURE_JOB_BYTES, MAX_CAPTURE_JOBS};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Where the bindings are mounted: `{PREFIX}/events`, `{PREFIX}/capture`…
pub const PREFIX: &str = "/epcis";

/// The five event types of EPCIS 2.0 (`GET /epcis/eventTypes`).
pub const EVENT_TYPES: [&str; 5] = [
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

/// The resources whose `/{value}/events` is a query with one parameter set.
const RESOURCES: &[(&str, &str)] = &[
    ("eventTypes", "eventType"),
    ("epcs", "MATCH_anyEPC"),
    ("bizSteps", "EQ_bizStep"),
    ("bizLocations", "EQ_bizLocation"),
    ("readPoints", "EQ_readPoint"),
    ("dispositions", "EQ_disposition"),
];

/// The media type of GS1's errors.
const PROBLEM_JSON: &str = "application/problem+json";

/// What the bindings' routes share.
pub(crate) struct Epcis {
    api: Arc<dyn Api>,
    tokens: Tokens,
    jobs: Mutex<Jobs>,
}

type S = Arc<Epcis>;

/// Finished capture jobs, newest last, bounded in number and in bytes: the oldest go
/// first.
#[derive(Default)]
struct Jobs {
    next: u64,
    bytes: usize,
    held: VecDeque<Job>,
}

struct Job {
    id: String,
    /// The identity that captured (none: the node's own token).
    identity: Option<String>,
    body: Value,
    bytes: usize,
}

/// An error in GS1's shape.
pub fn problem(status: StatusCode, kind: &str, title: &str, detail: Option<&str>) -> Response {
    let mut body = json!({
        "type": format!("epcisException:{kind}"),
        "title": title,
        "status": status.as_u16(),
    });
    if let Some(d) = detail {
        body["detail"] = json!(d);
    }
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    versions(&mut r);
    r
}

/// The GS1 version headers every answer carries.
fn versions(r: &mut Response) {
    let h = r.headers_mut();
    h.insert("GS1-EPCIS-Version", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-CBV-Version", HeaderValue::from_static("2.0.0"));
}

/// The GS1 exception of an error of the API, for a query or a capture.
fn api_problem(e: &ApiError, capture: bool) -> Response {
    let code = e.code.as_str();
    let (status, kind, title) = match (e.kind, code) {
        (_, "EPCIS_QUERY_PARAMETER") => (
            StatusCode::BAD_REQUEST,
            "QueryParameterException",
            "Bad query parameter",
        ),
        (_, "EPCIS_QUERY_TOO_LARGE") => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "QueryTooLargeException",
            "Query result too large",
        ),
        (_, "EPCIS_TOO_LARGE" | "REQUEST_TOO_LARGE" | "TOO_LARGE") if capture => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "CaptureLimitExceededException",
            "Capture payload too large",
        ),
        (_, "EPCIS_TOO_LARGE" | "REQUEST_TOO_LARGE" | "TOO_LARGE") => (
            StatusCode::URI_TOO_LONG,
            "URITooLongException",
            "URI too long",
        ),
        (ErrorKind::Input, _) if capture => (
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "The document was not captured",
        ),
        (ErrorKind::Input, _) => (
            StatusCode::BAD_REQUEST,
            "QueryParameterException",
            "Bad query parameter",
        ),
        (ErrorKind::NotFound, _) => (
            StatusCode::NOT_FOUND,
            "NoSuchNameException",
            "Resource not found",
        ),
        (ErrorKind::Unauthorized, _) => (
            StatusCode::UNAUTHORIZED,
            "SecurityException",
            "Unauthorised request",
        ),
        (ErrorKind::Forbidden, _) => (
            StatusCode::FORBIDDEN,
            "SecurityException",
            "Access to resource forbidden",
        ),
        (ErrorKind::Rejected, _) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "ValidationException",
            "Refused by a ledger rule",
        ),
        (ErrorKind::Unavailable, _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ImplementationException",
            "Not available on this node",
        ),
        (ErrorKind::Fault, _) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "ImplementationException",
            "The repository failed",
        ),
    };
    let mut r = problem(status, kind, title, Some(&format!("{code}: {}", e.message)));
    if status == StatusCode::PAYLOAD_TOO_LARGE && capture {
        capture_limits(&mut r);
    }
    r
}

fn capture_limits(r: &mut Response) {
    if let Ok(v) = HeaderValue::from_str(&MAX_BODY_BYTES.to_string()) {
        r.headers_mut()
            .insert("GS1-EPCIS-Capture-File-Size-Limit", v);
    }
}

fn unauthorized() -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        "SecurityException",
        "Unauthorised request",
        Some("capturing needs a valid bearer token"),
    )
}

/// An error answer of a layer or of the router under `/epcis` (a 413 of the body limit, a
/// 429 of the rate limit, a 404, a 408) rewritten in GS1's shape; the message of the
/// server's own error shape, if that is what it was, kept as the detail.
pub(crate) async fn shape(r: Response) -> Response {
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let is_problem = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return r;
    }
    let keep: Vec<_> = [header::RETRY_AFTER, header::ALLOW]
        .into_iter()
        .filter_map(|n| r.headers().get(&n).cloned().map(|v| (n, v)))
        .collect();
    let body = axum::body::to_bytes(r.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let detail = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string));
    let (kind, title) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("CaptureLimitExceededException", "Capture payload too large")
        }
        StatusCode::URI_TOO_LONG => ("URITooLongException", "URI too long"),
        StatusCode::NOT_FOUND => ("NoSuchNameException", "Resource not found"),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ("SecurityException", "Unauthorised request")
        }
        StatusCode::METHOD_NOT_ALLOWED => ("ValidationException", "Method not allowed"),
        StatusCode::NOT_ACCEPTABLE => ("NotAcceptableException", "Not acceptable"),
        s if s.is_client_error() => ("ValidationException", "Request refused"),
        _ => ("ImplementationException", "The repository failed"),
    };
    let mut shaped = problem(status, kind, title, detail.as_deref());
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        capture_limits(&mut shaped);
    }
    for (n, v) in keep {
        shaped.headers_mut().insert(n, v);
    }
    shaped
}

/// The bindings' routes: the queries (public; the server puts them behind the public
/// routes' rate limit) and capture (a bearer token), with a GS1 404 for any other path
/// under the prefix.
pub(crate) fn routers(api: Arc<dyn Api>, tokens: Tokens) -> (Router, Router) {
    let s: S = Arc::new(Epcis {
        api,
        tokens,
        jobs: Mutex::new(Jobs::default()),
    });
    let mut queries: Router<S> = Router::new()
        .route(PREFIX, get(top_level))
        .route(&format!("{PREFIX}/events"), get(events))
        .route(&format!("{PREFIX}/events/{{id}}"), get(one_event))
        .route(&format!("{PREFIX}/eventTypes"), get(event_types));
    for (resource, param) in RESOURCES {
        let param: &'static str = param;
        queries = queries.route(
            &format!("{PREFIX}/{resource}/{{value}}/events"),
            get(
                move |State(s): State<S>,
                      Path(value): Path<String>,
                      headers: HeaderMap,
                      uri: Uri| async move {
                    let extra = format!(
                        "{param}={}",
                        percent_encoding::utf8_percent_encode(
                            &value,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    );
                    query(s, &headers, &uri, Some(&extra)).await
                },
            ),
        );
    }
    let capture: Router<S> = Router::new()
        .route(&format!("{PREFIX}/capture"), get(list_jobs).post(capture))
        .route(&format!("{PREFIX}/capture/{{id}}"), get(show_job))
        .route(
            &format!("{PREFIX}/{{*rest}}"),
            axum::routing::any(|| async {
                problem(
                    StatusCode::NOT_FOUND,
                    "NoSuchNameException",
                    "Resource not found",
                    Some("no such EPCIS resource"),
                )
            }),
        );
    (queries.with_state(s.clone()), capture.with_state(s))
}

async fn top_level() -> Response {
    collection(&[
        "events",
        "eventTypes",
        "epcs",
        "bizSteps",
        "bizLocations",
        "readPoints",
        "dispositions",
        "capture",
    ])
}

async fn event_types() -> Response {
    collection(&EVENT_TYPES)
}

fn collection(members: &[&str]) -> Response {
    let body = json!({
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "Collection",
        "member": members,
    });
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    versions(&mut r);
    r
}

async fn events(State(s): State<S>, headers: HeaderMap, uri: Uri) -> Response {
    query(s, &headers, &uri, None).await
}

/// `GET /epcis/events/{eventID}`: the query `EQ_eventID`; none found is 404.
async fn one_event(
    State(s): State<S>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let extra = format!(
        "EQ_eventID={}",
        percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC)
    );
    let r = match run_query(&s, &headers, uri.query(), Some(&extra)).await {
        Ok(r) => r,
        Err(e) => return e,
    };
    if r.1.events == 0 {
        return problem(
            StatusCode::NOT_FOUND,
            "NoSuchNameException",
            "Resource not found",
            Some("no event on the ledger has this eventID or hash id"),
        );
    }
    answer(r.0, r.1, uri.path(), uri.query())
}

/// The format an `Accept` header asks for: XML when it names XML and not JSON; JSON-LD
/// otherwise.
fn wants_xml(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("xml") && !a.contains("json") && !a.contains("*/*"))
}

async fn run_query(
    s: &S,
    headers: &HeaderMap,
    query: Option<&str>,
    extra: Option<&str>,
) -> Result<(bool, api::EpcisQueryResponse), Response> {
    let xml = wants_xml(headers);
    let mut q = query.unwrap_or_default().to_string();
    if let Some(x) = extra {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(x);
    }
    let req = EpcisQueryRequest {
        query: q,
        format: if xml { "xml" } else { "jsonld" }.into(),
    };
    let s = s.clone();
    let out =
        tokio::task::spawn_blocking(move || api::call_typed(&*s.api, &Caller::anonymous(), req))
            .await;
    match out {
        Ok(Ok(r)) => Ok((xml, r)),
        Ok(Err(e)) => Err(api_problem(&e, false)),
        Err(_) => Err(problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ImplementationException",
            "The repository failed",
            Some("the node failed while answering"),
        )),
    }
}

async fn query(s: S, headers: &HeaderMap, uri: &Uri, extra: Option<&str>) -> Response {
    match run_query(&s, headers, uri.query(), extra).await {
        Ok((xml, r)) => answer(xml, r, uri.path(), uri.query()),
        Err(e) => e,
    }
}

/// A page: the document, the GS1 headers and, when there is a next page, its `Link`.
fn answer(xml: bool, r: api::EpcisQueryResponse, path: &str, query: Option<&str>) -> Response {
    let mut resp = (StatusCode::OK, r.document).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if xml {
            "application/xml"
        } else {
            "application/json"
        }),
    );
    if let Some(token) = &r.next_page_token {
        let link = format!(
            "<{}>; rel=\"next\"",
            next_page_url(path, query.unwrap_or_default(), token)
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            h.insert(header::LINK, v);
        }
    }
    versions(&mut resp);
    resp
}

/// The address of the next page: the same path and parameters, `nextPageToken` replaced.
pub fn next_page_url(path: &str, query: &str, token: &str) -> String {
    let mut parts: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| p.split('=').next() != Some("nextPageToken"))
        .collect();
    let t = format!("nextPageToken={token}");
    parts.push(&t);
    format!("{path}?{}", parts.join("&"))
}

/// A capture job as GS1's `CaptureJob` has it, with every event's outcome as the import
/// reports it (under `urn:handoff:events`).
#[derive(Serialize)]
struct CaptureJob<'a> {
    #[serde(rename = "captureID")]
    capture_id: &'a str,
    #[serde(rename = "createdAt")]
    created_at: &'a str,
    #[serde(rename = "finishedAt")]
    finished_at: &'a str,
    running: bool,
    success: bool,
    #[serde(rename = "captureErrorBehaviour")]
    capture_error_behaviour: &'a str,
    errors: Vec<Value>,
    #[serde(rename = "urn:handoff:events")]
    events: &'a [api::EpcisImportView],
}

fn now_rfc3339() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = handoff_core::query::civil_date(ms);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    )
}

/// `POST /epcis/capture`: the document imported as the caller's org (the node maps every
/// event before it submits any: a document that does not read or an event that cannot
/// be mapped captures nothing and is answered 400 at once); then a finished job, 202
/// with its `Location`.
async fn capture(
    State(s): State<S>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let caller = match s.tokens.caller_as(&headers) {
        Ok(Some(c)) => c,
        Ok(None) => return unauthorized(),
        Err(e) => return api_problem(&e, true),
    };
    match headers
        .get("GS1-Capture-Error-Behaviour")
        .map(|v| v.to_str().unwrap_or_default().trim())
    {
        None | Some("proceed") => {}
        Some(other) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                "Unsupported capture error behaviour",
                Some(&format!(
                    "GS1-Capture-Error-Behaviour '{other}': this repository commits event by \
                     event and cannot roll back a committed event; it captures with 'proceed' \
                     (a document that does not read, or an event that cannot be mapped, \
                     captures nothing)"
                )),
            );
        }
    }
    let body = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let mut p = problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "CaptureLimitExceededException",
                "Capture payload too large",
                Some(&format!("a capture is at most {MAX_BODY_BYTES} bytes")),
            );
            capture_limits(&mut p);
            return p;
        }
        Err(r) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                "The document was not captured",
                Some(&format!("the body could not be read: {r}")),
            );
        }
    };
    let Ok(document) = String::from_utf8(body.to_vec()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "The document was not captured",
            Some("the body is not UTF-8 text"),
        );
    };
    let created = now_rfc3339();
    let who = caller.clone();
    let api = s.api.clone();
    let out = tokio::task::spawn_blocking(move || {
        api::call_typed(&*api, &who, EpcisImportRequest { document })
    })
    .await;
    let report: EpcisImportResponse = match out {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return api_problem(&e, true),
        Err(_) => {
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ImplementationException",
                "The repository failed",
                Some("the node failed while capturing"),
            );
        }
    };
    let id = s.record(&caller, &created, &report);
    let mut r = show(&s, &caller, &id);
    *r.status_mut() = StatusCode::ACCEPTED;
    if let Ok(v) = HeaderValue::from_str(&format!("{PREFIX}/capture/{id}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

impl Epcis {
    /// Keeps a finished job; the oldest go when there are too many or they take too much.
    fn record(&self, caller: &Caller, created: &str, report: &EpcisImportResponse) -> String {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.next += 1;
        let seed = format!("{created}/{}/{:p}", jobs.next, self as *const Epcis);
        let id: String = Sha256::digest(seed.as_bytes())[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let errors: Vec<Value> = report
            .events
            .iter()
            .filter(|e| e.status == "rejected")
            .map(|e| {
                json!({
                    "type": "epcisException:ValidationException",
                    "title": "Refused by a ledger rule",
                    "status": 422,
                    "detail": format!(
                        "event {} ({}): {}: {}",
                        e.index,
                        e.hash,
                        e.code.as_deref().unwrap_or_default(),
                        e.message.as_deref().unwrap_or_default()
                    ),
                })
            })
            .collect();
        let finished = now_rfc3339();
        let body = serde_json::to_value(CaptureJob {
            capture_id: &id,
            created_at: created,
            finished_at: &finished,
            running: false,
            success: errors.is_empty(),
            capture_error_behaviour: "proceed",
            errors,
            events: &report.events,
        })
        .unwrap_or(Value::Null);
        let bytes = body.to_string().len();
        jobs.bytes += bytes;
        jobs.held.push_back(Job {
            id: id.clone(),
            identity: caller.identity.clone(),
            body,
            bytes,
        });
        while jobs.held.len() > MAX_CAPTURE_JOBS
            || (jobs.bytes > MAX_CAPTURE_JOB_BYTES && jobs.held.len() > 1)
        {
            if let Some(old) = jobs.held.pop_front() {
                jobs.bytes -= old.bytes;
            }
        }
        id
    }
}

/// Whether `caller` may read a job made by `identity`: the node's own token reads every
/// job, an identity's token its own.
fn may_read(caller: &Caller, identity: &Option<String>) -> bool {
    caller.owner || caller.identity == *identity
}

fn show(s: &Epcis, caller: &Caller, id: &str) -> Response {
    let jobs = s.jobs.lock().unwrap_or_else(|p| p.into_inner());
    match jobs
        .held
        .iter()
        .find(|j| j.id == id && may_read(caller, &j.identity))
    {
        Some(j) => {
            let mut r = (StatusCode::OK, j.body.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            versions(&mut r);
            r
        }
        None => problem(
            StatusCode::NOT_FOUND,
            "NoSuchNameException",
            "Resource not found",
            Some(&format!(
                "no capture job {id} of this caller (the node keeps the last \
                 {MAX_CAPTURE_JOBS})"
            )),
        ),
    }
}

async fn show_job(State(s): State<S>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match s.tokens.caller_as(&headers) {
        Ok(Some(c)) => show(&s, &c, &id),
        Ok(None) => unauthorized(),
        Err(e) => api_problem(&e, false),
    }
}

async fn list_jobs(State(s): State<S>, headers: HeaderMap) -> Response {
    let caller = match s.tokens.caller_as(&headers) {
        Ok(Some(c)) => c,
        Ok(None) => return unauthorized(),
        Err(e) => return api_problem(&e, false),
    };
    let jobs = s.jobs.lock().unwrap_or_else(|p| p.into_inner());
    let list: Vec<&Value> = jobs
        .held
        .iter()
        .filter(|j| may_read(&caller, &j.identity))
        .map(|j| &j.body)
        .collect();
    let mut r = (StatusCode::OK, json!(list).to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    versions(&mut r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_keeps_the_query_and_replaces_the_token() {
        assert_eq!(
            next_page_url(
                "/epcis/events",
                "perPage=2&nextPageToken=aa&EQ_bizStep=x",
                "bb"
            ),
            "/epcis/events?perPage=2&EQ_bizStep=x&nextPageToken=bb"
        );
        assert_eq!(
            next_page_url("/epcis/events", "", "bb"),
            "/epcis/events?nextPageToken=bb"
        );
    }
}
