//! The one way the UI reaches the node: named commands with JSON arguments, answered with
//! JSON (the shapes of the `handoff` command line's `--json` output) or an [`ApiError`].
//! In the app window the Tauri implementation calls the Rust side; anywhere else (plain
//! browser, UI tests) the mock answers from the demo chain's real outputs.

mod mock;
mod tauri;

use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;

/// An error as the node reports it: a stable code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    /// Stable code.
    pub code: String,
    /// What happened.
    pub message: String,
}

impl ApiError {
    /// An error made on this side.
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// The result of a command.
pub type Res = Result<Value, ApiError>;

/// Runs a command.
pub async fn call(cmd: &str, args: Value) -> Res {
    if tauri::available() {
        tauri::invoke(cmd, args).await
    } else {
        mock::call(cmd, &args)
    }
}

/// Chain status with identities.
pub async fn status() -> Res {
    call("status", json!({})).await
}

/// Acts as another local identity.
pub async fn switch_identity(name: &str) -> Res {
    call("switch_identity", json!({ "name": name })).await
}

/// The parsed scan, the current record and the verdict.
pub async fn lookup(code: &str) -> Res {
    call("lookup", json!({ "code": code })).await
}

/// Full provenance.
pub async fn history(code: &str) -> Res {
    call("history", json!({ "code": code })).await
}

/// Every org.
pub async fn orgs() -> Res {
    call("orgs", json!({})).await
}

/// Open handoffs to and from the acting org.
pub async fn inbox() -> Res {
    call("inbox", json!({})).await
}

/// Offers items to another org.
pub async fn propose(codes: &[String], to: &str, ownership: bool) -> Res {
    call(
        "propose",
        json!({ "codes": codes, "to": to, "ownership": ownership }),
    )
    .await
}

/// Accepts an offer with exceptions.
pub async fn accept(id: &str, missing: &[String], damaged: &[String]) -> Res {
    call(
        "accept",
        json!({ "id": id, "missing": missing, "damaged": damaged }),
    )
    .await
}

/// Refuses an offer.
pub async fn reject(id: &str, reason: &str) -> Res {
    call("reject", json!({ "id": id, "reason": reason })).await
}

/// Withdraws an offer.
pub async fn cancel(id: &str) -> Res {
    call("cancel", json!({ "id": id })).await
}

/// A product.
pub async fn product(gtin: &str) -> Res {
    call("product", json!({ "gtin": gtin })).await
}

/// A product's picture: `{gtin, image_hash, mime, data_base64}` (`image_hash` null and no
/// data when its definition names none).
pub async fn product_image(gtin: &str) -> Res {
    call("product_image", json!({ "gtin": gtin })).await
}

/// Defines a product.
pub async fn define_product(gtin: &str, name: &str, description: &str) -> Res {
    call(
        "define_product",
        json!({ "gtin": gtin, "name": name, "description": description }),
    )
    .await
}

/// Commissions serials or a lot.
pub async fn commission(
    codes: &[String],
    lot: Option<String>,
    qty: Option<u64>,
    expiry: Option<String>,
) -> Res {
    call(
        "commission",
        json!({ "codes": codes, "lot": lot, "qty": qty, "expiry": expiry }),
    )
    .await
}

/// Packs items into a container.
pub async fn pack(into: &str, codes: &[String]) -> Res {
    call("pack", json!({ "into": into, "codes": codes })).await
}

/// Unpacks a container.
pub async fn unpack(container: &str) -> Res {
    call("unpack", json!({ "container": container })).await
}

/// Decodes the QR codes of an image (base64).
///
/// Outside the app, a page may provide `window.handoffDecodeImage(b64) -> Promise<json>`
/// (the browser tests do, backed by the real `handoff qr decode`); otherwise the mock
/// explains that images need the app.
pub async fn decode_image(bytes_b64: &str) -> Res {
    if !tauri::available()
        && let Some(decode) = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &"handoffDecodeImage".into()).ok())
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let failed = |_| ApiError::new("QR_DECODE", "the page's image decoder failed");
        let promise = decode
            .call1(&wasm_bindgen::JsValue::NULL, &bytes_b64.into())
            .map_err(failed)?;
        let text = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
            .await
            .map_err(failed)?
            .as_string()
            .unwrap_or_default();
        let v: Value =
            serde_json::from_str(&text).map_err(|_| failed(wasm_bindgen::JsValue::NULL))?;
        return match v.get("error") {
            Some(e) => Err(ApiError::new(
                e["code"].as_str().unwrap_or("QR_DECODE"),
                e["message"]
                    .as_str()
                    .unwrap_or("the image could not be read"),
            )),
            None => Ok(v),
        };
    }
    call("decode_image", json!({ "bytes": bytes_b64 })).await
}

/// The saved bootstrap peers.
pub async fn network() -> Res {
    call("network", json!({})).await
}

/// Saves bootstrap peers and, with a genesis (hex of `handoff genesis`), joins that
/// network as a light node.
pub async fn set_network(peers: &[String], genesis: Option<String>) -> Res {
    call("set_network", json!({ "peers": peers, "genesis": genesis })).await
}

/// The light node's outbox: `{entries: [{seq, tx, status, height, code, message, kind,
/// items, handoff}], counts}` (empty on the embedded chain).
pub async fn outbox() -> Res {
    call("outbox", json!({})).await
}

/// The pairing QR code of the acting org (`{text, svg}`).
pub async fn pair_qr() -> Res {
    call("pair_qr", json!({})).await
}

/// Backs the data folder up (`{path, height}`).
pub async fn backup() -> Res {
    call("backup", json!({})).await
}

/// Tells the app the first screen is interactive (start-up benchmark).
pub async fn ready() {
    if tauri::available() {
        let _ = tauri::invoke("ready", json!({})).await;
    }
}

/// Reports a measured timing to the app (benchmarks).
pub async fn timing(name: &str, ms: f64) {
    if tauri::available() {
        let _ = tauri::invoke("timing", json!({ "name": name, "ms": ms })).await;
    }
}
