//! The window's commands. One, `api`, carries every operation of the typed API
//! (`handoff_api::Request` in, `handoff_api::Response` or `ApiError` out) to the node
//! this process holds ([`AppNode::request`]); the others are the shell's own: the
//! start-up and timing signals, decoding an image's QR codes, the pairing code and a
//! backup of the data folder.
//!
//! In light mode (the app follows a network as a light node) the node's API answers from
//! the light node: reads are single records verified with a Merkle proof against a
//! certified header, actions are signed and queued in the outbox (answered at once with
//! the queued entries), and what needs a full node's indexes answers `LIGHT_NODE`.

use crate::node::{ApiError, AppNode, Backup, Saved};
use base64::Engine;
use handoff_api::{ProductShowRequest, Request, Response, StatusRequest};
use handoff_core::gs1;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};

/// A command's answer, or the error the UI shows.
pub type Res<T> = Result<T, ApiError>;

/// Runs `f` on a blocking thread: ledger commands wait for a durable block, which must
/// not hold up the window's event loop.
async fn blocking<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&AppNode) -> Res<T> + Send + 'static,
) -> Res<T> {
    tauri::async_runtime::spawn_blocking(move || f(&app.state::<AppNode>()))
        .await
        .map_err(|e| ApiError::fault("ERROR", format!("the command stopped: {e}")))?
}

/// Any operation of the typed API, as the identity the app acts as.
#[tauri::command]
pub async fn api(app: AppHandle, req: Request) -> Res<Response> {
    blocking(app, move |n| n.request(req)).await
}

/// A product's picture. The ledger holds only its SHA-256; the bytes are the pictures
/// this app carries (`handoff_node::images`), found by that hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductImage {
    /// GTIN-14.
    pub gtin: String,
    /// SHA-256 of the picture (hex); `None` (and no data) when the product names none.
    pub image_hash: Option<String>,
    /// Media type of `data_base64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// The picture, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_base64: Option<String>,
}

/// A product's picture (see [`ProductImage`]). A hash the app has no picture for is
/// `IMAGE_UNAVAILABLE`.
#[tauri::command]
pub async fn product_image(app: AppHandle, gtin: String) -> Res<ProductImage> {
    blocking(app, move |n| product_image_of(n, &gtin)).await
}

/// The product_image command's work (see [`product_image`]).
pub fn product_image_of(node: &AppNode, gtin: &str) -> Res<ProductImage> {
    let product = match node.request(Request::ProductShow(ProductShowRequest {
        gtin: gtin.to_string(),
    }))? {
        Response::ProductShow(r) => r.product,
        _ => return Err(ApiError::fault("BAD_RESPONSE", "product show")),
    };
    let Some(hash_hex) = product.image_hash else {
        return Ok(ProductImage {
            gtin: product.gtin,
            image_hash: None,
            mime: None,
            data_base64: None,
        });
    };
    let unavailable = || {
        ApiError::not_found(
            "IMAGE_UNAVAILABLE",
            format!(
                "the picture of product {} (SHA-256 {hash_hex}) is not one this app carries",
                product.gtin
            ),
        )
    };
    let hash = hex::decode(&hash_hex)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(unavailable)?;
    let image =
        handoff_node::images::find(&handoff_core::types::Hash32(hash)).ok_or_else(unavailable)?;
    Ok(ProductImage {
        gtin: product.gtin.clone(),
        image_hash: Some(hash_hex.clone()),
        mime: Some(image.mime.to_string()),
        data_base64: Some(base64::engine::general_purpose::STANDARD.encode(image.bytes)),
    })
}

/// One QR code found in an image: its text and canonical key, or why it is no scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodedCode {
    /// What the code holds.
    pub text: String,
    /// Its canonical GS1 key (absent when it is no scan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// Why it is no scan (absent when it is one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

/// The QR codes of an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodedImage {
    /// In the order found.
    pub codes: Vec<DecodedCode>,
}

/// Decodes the QR codes in an image (base64 of the file's bytes).
#[tauri::command]
pub async fn decode_image(bytes: String) -> Res<DecodedImage> {
    tauri::async_runtime::spawn_blocking(move || decode_image_of(&bytes))
        .await
        .map_err(|e| ApiError::fault("ERROR", format!("the command stopped: {e}")))?
}

/// The QR codes in an image given as base64, each parsed as a scan.
pub fn decode_image_of(b64: &str) -> Res<DecodedImage> {
    if b64.len() > handoff_node::qr::MAX_IMAGE_BYTES / 3 * 4 + 4 {
        return Err(ApiError::input(
            "QR_IMAGE_TOO_LARGE",
            "the image is larger than Handoff reads (20 MB)",
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| ApiError::input("BAD_IMAGE", format!("the file did not arrive whole: {e}")))?;
    let codes =
        handoff_node::qr::decode_bytes(&bytes).map_err(|e| ApiError::input(e.code, e.message))?;
    let codes = codes
        .into_iter()
        .map(|c| match gs1::parse_scan(&c) {
            Ok(sc) => DecodedCode {
                canonical: Some(sc.key.canonical()),
                text: c,
                error: None,
            },
            Err(e) => DecodedCode {
                text: c,
                canonical: None,
                error: Some(ApiError::input(e.code.as_str(), e.message)),
            },
        })
        .collect();
    Ok(DecodedImage { codes })
}

/// The UI calls this once its first screen is interactive. The app writes one line to
/// stderr, which the start-up benchmark times from process launch; with
/// `HANDOFF_EXIT_WHEN_READY=1` it then quits (one cold start per process).
#[tauri::command]
pub fn ready(app: AppHandle) {
    eprintln!("HANDOFF_READY");
    if std::env::var_os("HANDOFF_EXIT_WHEN_READY").is_some() {
        app.exit(0);
    }
}

/// A timing the UI measured (e.g. `scan_to_item_ms`), written to stderr for benchmarks.
#[tauri::command]
pub fn timing(name: String, ms: f64) {
    if name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        eprintln!("HANDOFF_TIMING {name} {ms:.2}");
    }
}

/// A pairing code: its text and the QR code of it as SVG.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairQr {
    /// `handoff:pair?org=…&chain=…`.
    pub text: String,
    /// The QR code, SVG.
    pub svg: String,
}

/// A QR code for pairing another device with this organization.
#[tauri::command]
pub async fn pair_qr(app: AppHandle) -> Res<PairQr> {
    blocking(app, pair_qr_of).await
}

/// The pairing code of the acting identity (see [`pair_qr`]).
pub fn pair_qr_of(node: &AppNode) -> Res<PairQr> {
    let st = node.call(StatusRequest {})?;
    let text = format!(
        "handoff:pair?org={}&chain={}",
        st.identity.map(|i| i.org).unwrap_or_default(),
        st.chain_id
    );
    let svg =
        handoff_node::qr::encode_svg(&text).map_err(|e| ApiError::fault(e.code, e.message))?;
    Ok(PairQr { text, svg })
}

/// Backs up the chain and the identities into `<data>/backups/<time>/`.
#[tauri::command]
pub async fn backup(app: AppHandle) -> Res<Backup> {
    blocking(app, |n| n.backup()).await
}

/// Saves a file the window made in the user's Downloads folder, or in the data folder's
/// `exports/` where there is none; answers where it went. The content is either `text`
/// (an EPCIS export, a CSV) or `data`, bytes in standard base64 (a PDF evidence pack:
/// the node's `data_base64` as it came); exactly one of them. Content that is no base64
/// is `BAD_BASE64`, neither or both `BAD_ARGUMENT`.
#[tauri::command]
pub async fn save_file(
    app: AppHandle,
    name: String,
    text: Option<String>,
    data: Option<String>,
) -> Res<Saved> {
    let downloads = app.path().download_dir().ok().filter(|d| d.is_dir());
    blocking(app, move |n| {
        let dir = downloads.unwrap_or_else(|| n.exports_dir());
        save_content(&dir, &name, text.as_deref(), data.as_deref())
    })
    .await
}

/// The save_file command's work (see [`save_file`]).
pub fn save_content(
    dir: &std::path::Path,
    name: &str,
    text: Option<&str>,
    data: Option<&str>,
) -> Res<Saved> {
    match (text, data) {
        (Some(text), None) => crate::node::save_file(dir, name, text),
        (None, Some(data)) => crate::node::save_base64(dir, name, data),
        _ => Err(ApiError::input(
            "BAD_ARGUMENT",
            format!("saving {name} takes its content as text or as base64 data, one of them"),
        )),
    }
}
