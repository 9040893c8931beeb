//! The one way the UI reaches the node: typed API requests (`handoff_api`), answered
//! with the typed response (the shapes of the `handoff` command line's `--json` output)
//! or an [`ApiError`]. In the app window the Tauri implementation sends each request
//! through the app's one `api` command; anywhere else (plain browser, UI tests) the mock
//! answers from the demo chain's real outputs. The screens read the answers as JSON
//! values of those typed responses.

mod mock;
mod tauri;

use handoff_api as api;
use handoff_api::Endpoint;
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

/// Runs a typed request in the app (through its `api` command), or the mock's command
/// of the same meaning (`mock_cmd` with `mock_args`) elsewhere.
async fn request<E: Endpoint>(req: E, mock_cmd: &str, mock_args: Value) -> Res {
    if !tauri::available() {
        return mock::call(mock_cmd, &mock_args);
    }
    let op = E::OP;
    let req: api::Request = req.into();
    let answer = tauri::invoke("api", json!({ "req": req })).await?;
    let response: api::Response = serde_json::from_value(answer)
        .map_err(|e| ApiError::new("BAD_RESPONSE", format!("{op}: {e}")))?;
    let typed = E::response(response).ok_or_else(|| {
        ApiError::new("BAD_RESPONSE", format!("{op}: another operation's answer"))
    })?;
    serde_json::to_value(typed).map_err(|e| ApiError::new("BAD_RESPONSE", format!("{op}: {e}")))
}

/// Runs one of the app's own commands (pairing, backup, images) or the mock's.
async fn shell(cmd: &str, args: Value) -> Res {
    if tauri::available() {
        tauri::invoke(cmd, args).await
    } else {
        mock::call(cmd, &args)
    }
}

fn receipt_transfer(ownership: bool) -> api::TransferKind {
    if ownership {
        api::TransferKind::Both
    } else {
        api::TransferKind::Custody
    }
}

/// Chain status with identities.
pub async fn status() -> Res {
    request(api::StatusRequest {}, "status", json!({})).await
}

/// Acts as another local identity.
pub async fn switch_identity(name: &str) -> Res {
    request(
        api::IdentitySwitchRequest { name: name.into() },
        "switch_identity",
        json!({ "name": name }),
    )
    .await?;
    status().await
}

/// The parsed scan, the current record and the verdict.
pub async fn lookup(code: &str) -> Res {
    request(
        api::LookupRequest { scan: code.into() },
        "lookup",
        json!({ "code": code }),
    )
    .await
}

/// Full provenance.
pub async fn history(code: &str) -> Res {
    request(
        api::ItemHistoryRequest { key: code.into() },
        "history",
        json!({ "code": code }),
    )
    .await
}

/// Every org.
pub async fn orgs() -> Res {
    request(api::OrgListRequest {}, "orgs", json!({})).await
}

/// Open handoffs to and from the acting org.
pub async fn inbox() -> Res {
    request(api::InboxRequest {}, "inbox", json!({})).await
}

/// Offers items to another org.
pub async fn propose(codes: &[String], to: &str, ownership: bool) -> Res {
    request(
        api::ProposeRequest {
            to: to.into(),
            scans: codes.to_vec(),
            transfer: receipt_transfer(ownership),
            qty: None,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_in: None,
        },
        "propose",
        json!({ "codes": codes, "to": to, "ownership": ownership }),
    )
    .await
}

/// Accepts an offer with exceptions.
pub async fn accept(id: &str, missing: &[String], damaged: &[String]) -> Res {
    request(
        api::AcceptRequest {
            id: id.into(),
            missing: missing.to_vec(),
            damaged: damaged.to_vec(),
        },
        "accept",
        json!({ "id": id, "missing": missing, "damaged": damaged }),
    )
    .await
}

/// Refuses an offer.
pub async fn reject(id: &str, reason: &str) -> Res {
    request(
        api::RejectRequest {
            id: id.into(),
            reason: reason.into(),
        },
        "reject",
        json!({ "id": id, "reason": reason }),
    )
    .await
}

/// Withdraws an offer.
pub async fn cancel(id: &str) -> Res {
    request(
        api::CancelRequest { id: id.into() },
        "cancel",
        json!({ "id": id }),
    )
    .await
}

/// A product.
pub async fn product(gtin: &str) -> Res {
    request(
        api::ProductShowRequest { gtin: gtin.into() },
        "product",
        json!({ "gtin": gtin }),
    )
    .await
}

/// A product's picture: `{gtin, image_hash, mime, data_base64}` (`image_hash` null and no
/// data when its definition names none).
pub async fn product_image(gtin: &str) -> Res {
    shell("product_image", json!({ "gtin": gtin })).await
}

/// Defines a product.
pub async fn define_product(gtin: &str, name: &str, description: &str) -> Res {
    request(
        api::ProductDefineRequest {
            gtin: gtin.into(),
            name: name.into(),
            description: description.into(),
            attributes: vec![],
        },
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
    let lot = lot.filter(|l| !l.is_empty());
    let expiry = expiry.filter(|e| !e.is_empty());
    let mock_args = json!({ "codes": codes, "lot": lot, "qty": qty, "expiry": expiry });
    request(
        api::CommissionRequest {
            scans: codes.to_vec(),
            lot,
            qty,
            at: None,
            expiry,
            pin: None,
        },
        "commission",
        mock_args,
    )
    .await
}

/// Packs items into a container.
pub async fn pack(into: &str, codes: &[String]) -> Res {
    request(
        api::PackRequest {
            into: into.into(),
            scans: codes.to_vec(),
        },
        "pack",
        json!({ "into": into, "codes": codes }),
    )
    .await
}

/// Unpacks a container.
pub async fn unpack(container: &str) -> Res {
    request(
        api::UnpackRequest {
            container: container.into(),
            scans: vec![],
        },
        "unpack",
        json!({ "container": container }),
    )
    .await
}

/// A printable label for a code: `{uri, mime, data_base64}`, titled with its product's
/// name from the chain.
pub async fn label(code: &str, format: &str, size: &str) -> Res {
    request(
        api::LabelRequest {
            scans: vec![code.into()],
            format: format.into(),
            size: size.into(),
            title: None,
            title_from_chain: true,
            base: api::DIGITAL_LINK_BASE.into(),
        },
        "label",
        json!({ "code": code, "format": format, "size": size }),
    )
    .await
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
    shell("decode_image", json!({ "bytes": bytes_b64 })).await
}

/// The saved bootstrap peers.
pub async fn network() -> Res {
    request(api::NetworkShowRequest {}, "network", json!({})).await
}

/// Saves bootstrap peers and, with a genesis (hex of `handoff genesis`), joins that
/// network as a light node.
pub async fn set_network(peers: &[String], genesis: Option<String>) -> Res {
    let mock_args = json!({ "peers": peers, "genesis": genesis });
    request(
        api::NetworkSetRequest {
            peers: peers.to_vec(),
            genesis,
        },
        "set_network",
        mock_args,
    )
    .await
}

/// The light node's outbox: `{entries: [{seq, tx, status, height, code, message, kind,
/// items, handoff}], counts}` (empty on the embedded chain).
pub async fn outbox() -> Res {
    request(api::OutboxRequest {}, "outbox", json!({})).await
}

/// The pairing QR code of the acting org (`{text, svg}`).
pub async fn pair_qr() -> Res {
    shell("pair_qr", json!({})).await
}

/// Backs the data folder up (`{path, height}`).
pub async fn backup() -> Res {
    shell("backup", json!({})).await
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
