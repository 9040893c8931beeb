//! The GS1 Digital Link resolver: what a shopper's phone opens when its camera reads the
//! QR code on a pack (`https://…/01/{gtin}/21/{serial}`, a lot `…/10/{lot}`, a pallet
//! `…/00/{sscc}`, under any path prefix, with query attributes).
//!
//! A browser gets the consumer page, which checks the evidence itself; a program asking
//! for `application/json` gets the verdict, its reasons and the journey; `?linkType=`
//! follows GS1's link types (`gs1:pip` product information, `gs1:recallStatus`,
//! `gs1:certificationInfo`, `gs1:traceability`, `gs1:verificationService`, `all` for the
//! linkset, RFC 9264). A malformed code answers 400 and an unknown one 404, each with
//! the counterfeit verdict and its reason. `/.well-known/gs1resolver` describes the
//! resolver. Every answer comes from the node's public API operations (`id_parse`,
//! `verify`, `item_history`), so the resolver knows no ledger rule of its own.

use crate::api::{
    self, ApiError, Caller, GenesisRequest, IdParseRequest, ItemHistoryRequest, VerifyRequest,
    VerifyResponse,
};
use crate::clientnet::ClientNetwork;
use crate::error::{api_error_response, code, err, error_response, json_response};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

use handoff_core::gs1::resolve::ResolverRequest;
pub use handoff_core::gs1::resolve::{digital_link_part, resolver_request};

/// The link types the resolver serves, with their titles.
pub const LINK_TYPES: &[(&str, &str)] = &[
    (
        "gs1:verificationService",
        "Is it genuine? The verdict, checked in your browser",
    ),
    ("gs1:pip", "Product information"),
    ("gs1:recallStatus", "Recall status"),
    ("gs1:certificationInfo", "Certifications"),
    ("gs1:traceability", "Where it has been"),
];

/// What the request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Html,
    Json,
    Linkset,
}

fn wanted(headers: &HeaderMap, link_type: Option<&str>) -> Want {
    if link_type == Some("all") {
        return Want::Linkset;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if accept.contains("application/linkset+json") {
        Want::Linkset
    } else if accept.contains("json") && !accept.contains("text/html") {
        Want::Json
    } else {
        Want::Html
    }
}

/// Where the resolver's answers come from.
pub(crate) struct Resolver {
    pub api: Arc<dyn api::Api>,
    /// The consumer page's folder (its `index.html` answers browsers).
    pub consumer_dir: Option<PathBuf>,
}

/// The status of a verdict's answer: 400 for a code that is no GS1 identifier, 404 for
/// one no brand made, 200 otherwise.
fn verdict_status(v: &VerifyResponse) -> StatusCode {
    let has = |c: &str| v.reasons.iter().any(|r| r.code == c);
    if has("MALFORMED_ID") {
        StatusCode::BAD_REQUEST
    } else if has("NEVER_COMMISSIONED") || has("UNKNOWN_PRODUCT") {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    }
}

impl Resolver {
    /// Answers a Digital Link request (`dl` from [`digital_link_part`]).
    pub(crate) async fn answer(
        self: Arc<Self>,
        req: ResolverRequest,
        headers: HeaderMap,
        net: ClientNetwork,
    ) -> Response {
        let ResolverRequest {
            path: dl,
            scan,
            link_type,
        } = req;
        let want = wanted(&headers, link_type.as_deref());
        let me = self.clone();
        let s = scan.clone();
        let (parsed, verdict) = match blocking(move || me.look_up(&s, net)).await {
            Ok(x) => x,
            Err(r) => return r,
        };
        let status = verdict_status(&verdict);
        let canonical = parsed.as_ref().map(|p| p.canonical.clone());
        let gtin = parsed.as_ref().and_then(|p| p.gtin.clone());
        let links = links(&dl, canonical.as_deref(), gtin.as_deref());
        match link_type.as_deref() {
            Some("gs1:pip") => {
                if let Some(g) = &gtin {
                    return redirect(&format!("/v1/products/{g}"));
                }
            }
            Some("gs1:certificationInfo") => {
                if let Some(c) = &canonical {
                    return redirect(&format!(
                        "/v1/certifications?for={}",
                        percent_encoding::utf8_percent_encode(
                            c,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    ));
                }
            }
            Some("gs1:traceability") if status == StatusCode::OK => {
                if let Some(c) = &canonical {
                    return redirect(&format!(
                        "/v1/items/{}/history",
                        percent_encoding::utf8_percent_encode(
                            c,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    ));
                }
            }
            // A recall shows in the verdict's reasons: the verdict answers it, in JSON.
            Some("gs1:recallStatus") => {
                let recalled = verdict.reasons.iter().any(|r| r.code == "RECALLED");
                return json_response(
                    status,
                    &json!({
                        "scan": scan,
                        "item": canonical,
                        "recalled": recalled,
                        "reasons": verdict.reasons.iter().filter(|r| r.code == "RECALLED").collect::<Vec<_>>(),
                    }),
                );
            }
            // Any other link type (or none): the default link, the verification.
            _ => {}
        }
        match want {
            Want::Linkset => {
                let mut r = json_response(status, &linkset(&dl, &links));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/linkset+json"),
                );
                r
            }
            Want::Json => {
                let me = self.clone();
                let c = canonical.clone();
                let journey = match (status, c) {
                    (StatusCode::OK, Some(c)) => match blocking(move || me.journey(&c)).await {
                        Ok(j) => j,
                        Err(r) => return r,
                    },
                    _ => Value::Array(Vec::new()),
                };
                let body = json!({
                    "scan": scan,
                    "item": canonical,
                    "verdict": verdict.verdict,
                    "reasons": verdict.reasons,
                    "journey": journey,
                    "links": links,
                });
                with_link_header(json_response(status, &body), &dl)
            }
            Want::Html => with_link_header(self.page(status, &verdict).await, &dl),
        }
    }

    /// The parsed scan (none when malformed) and the verdict.
    fn look_up(
        &self,
        scan: &str,
        net: ClientNetwork,
    ) -> Result<(Option<api::ScanView>, VerifyResponse), ApiError> {
        let anyone = Caller::anonymous();
        // The verdict counts this lookup by the client's network (clone detection).
        let shopper = Caller {
            client: net.0,
            ..Caller::anonymous()
        };
        // A scan that does not parse is an answer (the verdict says so); any other
        // failure of the node is the request's failure.
        let parsed = match api::call_typed(
            &*self.api,
            &anyone,
            IdParseRequest {
                scan: scan.to_string(),
            },
        ) {
            Ok(p) => Some(p),
            Err(e) if e.kind == api::ErrorKind::Input => None,
            Err(e) => return Err(e),
        };
        let verdict = api::call_typed(
            &*self.api,
            &shopper,
            VerifyRequest {
                scan: scan.to_string(),
            },
        )?;
        Ok((parsed, verdict))
    }

    fn journey(&self, canonical: &str) -> Result<Value, ApiError> {
        let h = api::call_typed(
            &*self.api,
            &Caller::anonymous(),
            ItemHistoryRequest {
                key: canonical.to_string(),
            },
        )?;
        serde_json::to_value(h.events)
            .map_err(|e| ApiError::fault("BAD_RESPONSE", format!("journey not encodable: {e}")))
    }

    /// The consumer page (it fetches and checks the evidence itself), or, where the node
    /// serves none, a plain page with the node's verdict that says it was not checked in
    /// the browser.
    async fn page(&self, status: StatusCode, v: &VerifyResponse) -> Response {
        if let Some(dir) = &self.consumer_dir {
            match tokio::fs::read(dir.join("index.html")).await {
                Ok(html) => {
                    let mut r = (status, html).into_response();
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    );
                    r.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                    return r;
                }
                Err(e) => {
                    return error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        err(
                            code::INTERNAL,
                            format!("the consumer page cannot be read: {e}"),
                        ),
                    );
                }
            }
        }
        let reasons: String = v
            .reasons
            .iter()
            .map(|r| format!("<li>{}</li>", escape(&r.message)))
            .collect();
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Handoff: {verdict}</title></head><body>\
             <h1>{verdict}</h1><ul>{reasons}</ul>\
             <p>Answered by this node; it was not checked in your browser.</p></body></html>",
            verdict = escape(&v.verdict),
        );
        let mut r = (status, html).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r
    }

    /// The chain's genesis as the consumer page's anchor (`/c/genesis.json`).
    pub(crate) async fn genesis(self: Arc<Self>) -> Response {
        let me = self.clone();
        match blocking(move || api::call_typed(&*me.api, &Caller::anonymous(), GenesisRequest {}))
            .await
        {
            Ok(g) => json_response(StatusCode::OK, &g),
            Err(r) => r,
        }
    }
}

/// Runs one of the node's blocking calls off the async workers; its error, or the
/// worker's failure, as the answer to send.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(x)) => Ok(x),
        Ok(Err(e)) => Err(api_error_response(e)),
        Err(_) => Err(error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            err(code::INTERNAL, "the node failed while answering"),
        )),
    }
}

/// `/.well-known/gs1resolver`: what this resolver answers (GS1 resolver description).
pub(crate) fn description(host: &str) -> Value {
    json!({
        "name": "Handoff",
        "resolverRoot": format!("https://{host}"),
        "supportedPrimaryKeys": ["01", "00", "414"],
        "supportedLinkType": LINK_TYPES.iter().map(|(t, title)| json!({"linkType": t, "title": title})).collect::<Vec<_>>(),
        "linkTypeDefaultCanBeLinkset": false,
        "defaultLinkType": "gs1:verificationService",
        "linksetQuery": "?linkType=all",
    })
}

/// The links of one identifier: `(linkType, href, title)`.
fn links(dl: &str, canonical: Option<&str>, gtin: Option<&str>) -> Vec<Value> {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let mut out = vec![json!({
        "linkType": "gs1:verificationService",
        "href": dl,
        "title": LINK_TYPES[0].1,
    })];
    if let Some(g) = gtin {
        out.push(json!({"linkType": "gs1:pip", "href": format!("/v1/products/{g}"), "title": LINK_TYPES[1].1}));
    }
    out.push(json!({"linkType": "gs1:recallStatus", "href": format!("{dl}?linkType=gs1:recallStatus"), "title": LINK_TYPES[2].1}));
    if let Some(c) = canonical {
        out.push(json!({"linkType": "gs1:certificationInfo", "href": format!("/v1/certifications?for={}", enc(c)), "title": LINK_TYPES[3].1}));
        out.push(json!({"linkType": "gs1:traceability", "href": format!("/v1/items/{}/history", enc(c)), "title": LINK_TYPES[4].1}));
    }
    out
}

/// RFC 9264 linkset of the links, anchored at the Digital Link.
fn linkset(dl: &str, links: &[Value]) -> Value {
    let mut set = serde_json::Map::new();
    set.insert("anchor".into(), Value::String(dl.to_string()));
    for l in links {
        let t = l["linkType"].as_str().unwrap_or_default();
        let rel = t.replace("gs1:", "https://gs1.org/voc/");
        let entry = json!({"href": l["href"], "title": l["title"]});
        match set.get_mut(&rel) {
            Some(Value::Array(a)) => a.push(entry),
            _ => {
                set.insert(rel, Value::Array(vec![entry]));
            }
        }
    }
    json!({ "linkset": [Value::Object(set)] })
}

fn with_link_header(mut r: Response, dl: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!(
        "<{dl}?linkType=all>; rel=\"linkset\"; type=\"application/linkset+json\""
    )) {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}

fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => {
            let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
            r.headers_mut().insert(header::LOCATION, v);
            r
        }
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            err(code::INTERNAL, "a link could not be written"),
        ),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_the_page_programs_the_json() {
        let h = |accept: &str| {
            let mut m = HeaderMap::new();
            m.insert(
                header::ACCEPT,
                HeaderValue::from_str(accept).expect("header"),
            );
            m
        };
        let chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(wanted(&h(chromium), None), Want::Html);
        assert_eq!(wanted(&h("application/json"), None), Want::Json);
        assert_eq!(wanted(&h("application/linkset+json"), None), Want::Linkset);
        assert_eq!(wanted(&h(chromium), Some("all")), Want::Linkset);
        assert_eq!(wanted(&HeaderMap::new(), None), Want::Html);
    }
}
