//! The one way the UI reaches the node: typed API requests (`handoff_api`), answered
//! with the typed response (`E::Response` of the request's [`Endpoint`]) or an
//! [`ApiError`]. In the app window the Tauri implementation sends each request through the
//! app's one `api` command and takes the typed answer out of its `Response`; anywhere else
//! (plain browser, UI tests) the mock answers in JSON, which is decoded into the same
//! typed response, so a mock answer that drifts from the real shapes is a visible
//! `BAD_RESPONSE`, not an empty screen. The app's own commands (pictures, QR decoding,
//! pairing, backups) answer the typed structs below, the shapes of the shell's answers.

mod mock;
mod tauri;

use handoff_api as api;
use handoff_api::Endpoint;
use serde::Deserialize;
use serde::de::DeserializeOwned;
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

/// The result of a command: its typed answer or the node's error.
pub type Res<T> = Result<T, ApiError>;

/// A product's picture as the app answers it (`product_image`): `image_hash` is `None`
/// (and there is no data) when the product's definition names none.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ProductImage {
    /// GTIN-14.
    pub gtin: String,
    /// SHA-256 of the picture (hex).
    pub image_hash: Option<String>,
    /// Media type of `data_base64`.
    #[serde(default)]
    pub mime: Option<String>,
    /// The picture, base64.
    #[serde(default)]
    pub data_base64: Option<String>,
}

/// One QR code found in an image: its text and canonical key, or why it is no scan.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DecodedCode {
    /// What the code holds.
    pub text: String,
    /// Its canonical GS1 key (absent when it is no scan).
    #[serde(default)]
    pub canonical: Option<String>,
    /// Why it is no scan (absent when it is one).
    #[serde(default)]
    pub error: Option<ApiError>,
}

/// The QR codes of an image (`decode_image`), in the order found.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DecodedImage {
    /// The codes.
    pub codes: Vec<DecodedCode>,
}

/// The pairing QR code of the acting org (`pair_qr`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PairQr {
    /// What the code holds.
    pub text: String,
    /// The code as SVG.
    pub svg: String,
}

/// Where a backup went (`backup`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Backup {
    /// The backup folder.
    pub path: String,
    /// The chain's height in it.
    pub height: u64,
}

/// What a page's own image decoder (`window.handoffDecodeImage`) answers.
#[derive(Deserialize)]
#[serde(untagged)]
enum PageDecoded {
    /// It could not read the image.
    Failed { error: ApiError },
    /// The codes found.
    Found(DecodedImage),
}

/// Decodes an answer into its typed shape; a shape that does not fit is `BAD_RESPONSE`.
fn decode<T: DeserializeOwned>(what: &str, v: Value) -> Res<T> {
    serde_json::from_value(v).map_err(|e| ApiError::new("BAD_RESPONSE", format!("{what}: {e}")))
}

/// The mock's answer to `mock_cmd`, decoded into the typed response of `E`.
fn mock_request<E: Endpoint>(mock_cmd: &str, mock_args: &Value) -> Res<E::Response> {
    decode(E::OP, mock::call(mock_cmd, mock_args)?)
}

/// Runs a typed request in the app (through its `api` command), or the mock's command
/// of the same meaning (`mock_cmd` with `mock_args`) elsewhere.
async fn request<E: Endpoint>(req: E, mock_cmd: &str, mock_args: Value) -> Res<E::Response> {
    if !tauri::available() {
        return mock_request::<E>(mock_cmd, &mock_args);
    }
    let op = E::OP;
    let req: api::Request = req.into();
    let answer = tauri::invoke("api", json!({ "req": req })).await?;
    let response: api::Response = decode(op, answer)?;
    E::response(response)
        .ok_or_else(|| ApiError::new("BAD_RESPONSE", format!("{op}: another operation's answer")))
}

/// Runs one of the app's own commands (pairing, backup, images) or the mock's.
async fn shell<T: DeserializeOwned>(cmd: &str, args: Value) -> Res<T> {
    let answer = if tauri::available() {
        tauri::invoke(cmd, args).await?
    } else {
        mock::call(cmd, &args)?
    };
    decode(cmd, answer)
}

fn receipt_transfer(ownership: bool) -> api::TransferKind {
    if ownership {
        api::TransferKind::Both
    } else {
        api::TransferKind::Custody
    }
}

/// Chain status with identities.
pub async fn status() -> Res<api::StatusResponse> {
    request(api::StatusRequest {}, "status", json!({})).await
}

/// Acts as another local identity.
pub async fn switch_identity(name: &str) -> Res<api::StatusResponse> {
    request(
        api::IdentitySwitchRequest { name: name.into() },
        "switch_identity",
        json!({ "name": name }),
    )
    .await?;
    status().await
}

/// The parsed scan, the current record and the verdict.
pub async fn lookup(code: &str) -> Res<api::LookupResponse> {
    request(
        api::LookupRequest { scan: code.into() },
        "lookup",
        json!({ "code": code }),
    )
    .await
}

/// Full provenance.
pub async fn history(code: &str) -> Res<api::ItemHistoryResponse> {
    request(
        api::ItemHistoryRequest { key: code.into() },
        "history",
        json!({ "code": code }),
    )
    .await
}

/// Every org.
pub async fn orgs() -> Res<api::OrgListResponse> {
    request(api::OrgListRequest {}, "orgs", json!({})).await
}

/// Open handoffs to and from the acting org.
pub async fn inbox() -> Res<api::InboxResponse> {
    request(api::InboxRequest {}, "inbox", json!({})).await
}

/// Offers items to another org.
pub async fn propose(codes: &[String], to: &str, ownership: bool) -> Res<api::HandoffReceipt> {
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
pub async fn accept(id: &str, missing: &[String], damaged: &[String]) -> Res<api::HandoffReceipt> {
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
pub async fn reject(id: &str, reason: &str) -> Res<api::Receipt> {
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
pub async fn cancel(id: &str) -> Res<api::Receipt> {
    request(
        api::CancelRequest { id: id.into() },
        "cancel",
        json!({ "id": id }),
    )
    .await
}

/// A product.
pub async fn product(gtin: &str) -> Res<api::ProductShowResponse> {
    request(
        api::ProductShowRequest { gtin: gtin.into() },
        "product",
        json!({ "gtin": gtin }),
    )
    .await
}

/// A product's picture (see [`ProductImage`]).
pub async fn product_image(gtin: &str) -> Res<ProductImage> {
    shell("product_image", json!({ "gtin": gtin })).await
}

/// Defines a product.
pub async fn define_product(
    gtin: &str,
    name: &str,
    description: &str,
) -> Res<api::ProductDefineResponse> {
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
) -> Res<api::CommissionResponse> {
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
pub async fn pack(into: &str, codes: &[String]) -> Res<api::Receipt> {
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
pub async fn unpack(container: &str) -> Res<api::Receipt> {
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

/// A printable label for a code, titled with its product's name from the chain.
pub async fn label(code: &str, format: &str, size: &str) -> Res<api::LabelResponse> {
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
pub async fn decode_image(bytes_b64: &str) -> Res<DecodedImage> {
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
        return match serde_json::from_str::<PageDecoded>(&text) {
            Ok(PageDecoded::Found(found)) => Ok(found),
            Ok(PageDecoded::Failed { error }) => Err(error),
            Err(e) => Err(ApiError::new(
                "BAD_RESPONSE",
                format!("the page's image decoder answered: {e}"),
            )),
        };
    }
    shell("decode_image", json!({ "bytes": bytes_b64 })).await
}

/// The saved bootstrap peers.
pub async fn network() -> Res<api::NetworkResponse> {
    request(api::NetworkShowRequest {}, "network", json!({})).await
}

/// Saves bootstrap peers and, with a genesis (hex of `handoff genesis`), joins that
/// network as a light node.
pub async fn set_network(peers: &[String], genesis: Option<String>) -> Res<api::NetworkResponse> {
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

/// The light node's outbox (empty on the embedded chain).
pub async fn outbox() -> Res<api::OutboxResponse> {
    request(api::OutboxRequest {}, "outbox", json!({})).await
}

/// The pairing QR code of the acting org.
pub async fn pair_qr() -> Res<PairQr> {
    shell("pair_qr", json!({})).await
}

/// Backs the data folder up.
pub async fn backup() -> Res<Backup> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const BAG: &str = "(01)00614141025015(21)E261000022";
    const LOOSE: &str = "/01/00614141025015/21/E261000260";
    const PALLET: &str = "/00/306141410000000051";

    /// Every answer the mock gives the screens decodes into the real typed response: a
    /// drifted shape would be a `BAD_RESPONSE` here, not an empty screen in a browser.
    #[test]
    fn every_mock_answer_decodes_into_the_real_type() {
        mock::reset_for_test(false);
        let st = mock_request::<api::StatusRequest>("status", &json!({})).expect("status");
        assert_eq!(st.mode.as_deref(), Some("mock"));
        assert_eq!(st.identities.map(|i| i.len()), Some(3));
        let l =
            mock_request::<api::LookupRequest>("lookup", &json!({ "code": BAG })).expect("lookup");
        assert_eq!(l.scan.canonical, "/01/00614141025015/21/E261000022");
        assert_eq!(l.scan.key, "serial");
        assert!(l.verdict.is_some());
        let p = mock_request::<api::LookupRequest>("lookup", &json!({ "code": PALLET }))
            .expect("pallet");
        match p.thing.item {
            api::Thing::Item(i) => assert!(i.contents.is_some_and(|c| !c.is_empty())),
            api::Thing::Lot(_) => panic!("a pallet is no lot"),
        }
        let h = mock_request::<api::ItemHistoryRequest>("history", &json!({ "code": BAG }))
            .expect("history");
        assert!(!h.events.is_empty());
        mock_request::<api::OrgListRequest>("orgs", &json!({})).expect("orgs");
        mock_request::<api::InboxRequest>("inbox", &json!({})).expect("inbox");
        let r = mock_request::<api::ProposeRequest>(
            "propose",
            &json!({ "codes": [LOOSE], "to": "Corner Grocer", "ownership": false }),
        )
        .expect("propose");
        mock_request::<api::IdentitySwitchRequest>(
            "switch_identity",
            &json!({ "name": "Corner Grocer" }),
        )
        .expect("switch");
        let inbox = mock_request::<api::InboxRequest>("inbox", &json!({})).expect("inbox");
        assert!(inbox.incoming.iter().any(|x| x.id == r.handoff));
        mock_request::<api::AcceptRequest>(
            "accept",
            &json!({ "id": r.handoff, "missing": [LOOSE], "damaged": [] }),
        )
        .expect("accept");
        // The accepted handoff, with its missing entry, still decodes in a lookup.
        let l = mock_request::<api::LookupRequest>("lookup", &json!({ "code": LOOSE }))
            .expect("lookup after accept");
        match l.thing.item {
            api::Thing::Item(i) => {
                assert_eq!(i.exception.map(|e| e.kind).as_deref(), Some("missing"))
            }
            api::Thing::Lot(_) => panic!("a bag is no lot"),
        }
        let h = mock_request::<api::ItemHistoryRequest>("history", &json!({ "code": LOOSE }))
            .expect("history with the mock's own events");
        assert!(h.events.iter().any(|e| e.kind == "handoff_accepted"));
        mock_request::<api::ProductShowRequest>("product", &json!({ "gtin": "00614141025015" }))
            .expect("product");
        mock_request::<api::ProductDefineRequest>(
            "define_product",
            &json!({ "gtin": "00614141025022", "name": "x", "description": "" }),
        )
        .expect("define");
        let c = mock_request::<api::CommissionRequest>(
            "commission",
            &json!({ "codes": ["(01)00614141025015(21)Z1"] }),
        )
        .expect("commission");
        assert_eq!(c.items.len(), 1);
        mock_request::<api::OutboxRequest>("outbox", &json!({})).expect("outbox");
        mock_request::<api::NetworkShowRequest>("network", &json!({})).expect("network");
        let n = mock_request::<api::NetworkSetRequest>(
            "set_network",
            &json!({ "peers": ["/ip4/10.0.0.5/tcp/4001"], "genesis": null }),
        )
        .expect("set network");
        assert_eq!(n.switched, None);
    }

    #[test]
    fn every_light_mock_answer_decodes_into_the_real_type() {
        mock::reset_for_test(true);
        let st = mock_request::<api::StatusRequest>("status", &json!({})).expect("status");
        assert_eq!((st.mode.as_deref(), st.outbox), (Some("light"), Some(1)));
        let l =
            mock_request::<api::LookupRequest>("lookup", &json!({ "code": BAG })).expect("lookup");
        assert_eq!(l.verified.map(|v| v.height), Some(1520));
        let r = mock_request::<api::ProposeRequest>(
            "propose",
            &json!({ "codes": [LOOSE], "to": "Corner Grocer" }),
        )
        .expect("queued");
        assert_eq!(r.queued.map(|q| q[0].seq), Some(4));
        let c = mock_request::<api::CommissionRequest>(
            "commission",
            &json!({ "codes": ["(01)00614141025015(21)Z2"] }),
        )
        .expect("queued commission");
        assert_eq!((c.height, c.items.len()), (None, 1));
        mock_request::<api::AcceptRequest>("accept", &json!({ "id": "ab", "missing": [] }))
            .expect("queued accept");
        let o = mock_request::<api::OutboxRequest>("outbox", &json!({})).expect("outbox");
        assert_eq!(o.entries.len(), 6);
        let e = mock_request::<api::InboxRequest>("inbox", &json!({})).expect_err("no inbox");
        assert_eq!(e.code, "LIGHT_NODE");
    }

    #[test]
    fn a_drifted_answer_is_a_bad_response() {
        // A receipt without its transaction id.
        let e = decode::<api::Receipt>("pack", json!({ "height": 3 })).expect_err("drifted");
        assert_eq!(e.code, "BAD_RESPONSE");
        assert!(e.message.starts_with("pack: "), "{}", e.message);
    }
}
