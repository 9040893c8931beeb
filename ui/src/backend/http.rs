//! The browser implementation: `fetch` to the node that served the page (same origin),
//! one generic call for every endpoint. The request is encoded by the API's own rule
//! (`handoff_api::wire::encode`, the rule the node's server decodes with and its typed
//! client encodes with): method and `/v1/…` path of the endpoint, query string for a
//! read, JSON body for an action. The answer is the endpoint's typed response, or the
//! server's `{"error": {"code", "message"}}`.
//!
//! Signing in: `handoff node run --http ADDR` prints a link `http://ADDR/#token=…` (and
//! writes it to `node.json` as `browser_url`). The page takes the token from its address
//! once ([`take_token_from_address`]), keeps it in the tab's `sessionStorage` and removes
//! it from the address bar (so it is neither bookmarked nor shown); every request then
//! carries it as `Authorization: Bearer …`. The fragment is never sent to a server.

use super::{ApiError, Res};
use handoff_api::{Endpoint, wire};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Where the tab keeps its token.
const TOKEN_KEY: &str = "handoff.token";

/// A node that cannot be reached (the page's node stopped, the network dropped).
pub const NODE_UNREACHABLE: &str = "NODE_UNREACHABLE";
/// A request the node refused for want of a token, when the tab holds none.
pub const SIGN_IN_NEEDED: &str = "SIGN_IN_NEEDED";
/// A request the node refused although the tab holds a token (the node's own token
/// changes when it restarts; a token made for an identity may have been withdrawn).
pub const TOKEN_REFUSED: &str = "TOKEN_REFUSED";
/// An answer that is neither the response nor the error shape.
pub const BAD_RESPONSE: &str = "BAD_RESPONSE";

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The token this tab holds, if any.
pub fn token() -> Option<String> {
    session()?
        .get_item(TOKEN_KEY)
        .ok()?
        .filter(|t| !t.is_empty())
}

/// Takes `#token=…` from the page's address, once: keeps it for the tab and removes it
/// from the address bar. Without one, the tab keeps the token it has (a reload).
pub fn take_token_from_address() {
    let Some(w) = web_sys::window() else { return };
    let location = w.location();
    let hash = location.hash().unwrap_or_default();
    let Some(found) = token_in_fragment(&hash) else {
        return;
    };
    if let Some(s) = session() {
        let _ = s.set_item(TOKEN_KEY, &found);
    }
    // The same address without its fragment; the history entry is replaced, not added.
    let clean = format!(
        "{}{}",
        location.pathname().unwrap_or_else(|_| "/".into()),
        location.search().unwrap_or_default()
    );
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&clean));
    }
}

/// The token in a fragment `#token=…` (other `&`-separated fields are allowed).
pub fn token_in_fragment(hash: &str) -> Option<String> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256 && t.bytes().all(|b| b.is_ascii_graphic()))
        .map(String::from)
}

/// The error shape of the node's server.
#[derive(Deserialize)]
struct ErrorBody {
    error: ApiError,
}

fn unreachable() -> ApiError {
    ApiError::new(
        NODE_UNREACHABLE,
        "cannot reach the Handoff node that served this page: is it still running?",
    )
}

/// Sends `req` to its route on the page's node and returns the typed answer.
pub async fn request<E: Endpoint>(req: &E) -> Res<E::Response> {
    let (target, body) =
        wire::encode(req).map_err(|e| ApiError::new(&e.code, e.message.clone()))?;
    let init = web_sys::RequestInit::new();
    init.set_method(E::METHOD.as_str());
    let headers = web_sys::Headers::new().map_err(|_| unreachable())?;
    let _ = headers.set("Accept", "application/json");
    let held = token();
    if let Some(t) = &held {
        let _ = headers.set("Authorization", &format!("Bearer {t}"));
    }
    if let Some(b) = &body {
        let _ = headers.set("Content-Type", "application/json");
        let text = String::from_utf8_lossy(b).into_owned();
        init.set_body(&JsValue::from_str(&text));
    }
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(unreachable)?;
    let answer = JsFuture::from(window.fetch_with_str_and_init(&target, &init))
        .await
        .map_err(|_| unreachable())?;
    let resp: web_sys::Response = answer.dyn_into().map_err(|_| unreachable())?;
    let status = resp.status();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .map_err(|_| unreachable())?
            .as_string()
            .unwrap_or_default(),
        Err(_) => return Err(unreachable()),
    };
    if (200..300).contains(&status) {
        return serde_json::from_str::<E::Response>(&text).map_err(|e| {
            ApiError::new(
                BAD_RESPONSE,
                format!("{}: the node answered another shape: {e}", E::OP),
            )
        });
    }
    let e = serde_json::from_str::<ErrorBody>(&text)
        .map(|b| b.error)
        .unwrap_or_else(|_| {
            ApiError::new(
                BAD_RESPONSE,
                format!(
                    "{}: the node answered HTTP {status} without an error",
                    E::OP
                ),
            )
        });
    Err(match (status, held) {
        // Said in the page's language by the banner (`error.SIGN_IN_NEEDED`…); the node's
        // own words are kept for the record.
        (401, None) => ApiError::new(SIGN_IN_NEEDED, e.message),
        (401, Some(_)) => ApiError::new(TOKEN_REFUSED, e.message),
        _ => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_the_fragment_only_when_well_formed() {
        assert_eq!(token_in_fragment("#token=ab12").as_deref(), Some("ab12"));
        assert_eq!(
            token_in_fragment("#x=1&token=cd34").as_deref(),
            Some("cd34")
        );
        assert_eq!(token_in_fragment(""), None);
        assert_eq!(token_in_fragment("#token="), None);
        assert_eq!(token_in_fragment("#token=a b"), None);
        assert_eq!(
            token_in_fragment(&format!("#token={}", "a".repeat(300))),
            None
        );
    }
}
