//! The one way the UI reaches the node: typed API requests (`handoff_api`), answered
//! with the typed response (`E::Response` of the request's [`Endpoint`]) or an
//! [`ApiError`], through one of two transports:
//! - in the app window, the app's one `api` command (Tauri invoke), whose typed
//!   `Response` carries the answer;
//! - in a plain browser, `fetch` on the endpoint's `/v1/…` route of the node that served
//!   the page ([`http`]), signed in with the token of the link the node printed.
//!
//! The app's own commands (pictures, QR decoding, backups) answer the typed
//! structs below, the shapes of the shell's answers. In a browser a product's picture
//! comes from the node's `product_image` endpoint and QR codes are read in the page
//! ([`qr`]); backups and network settings belong to the app and are not offered. Pairing a
//! phone is the typed API's (`pair_ticket`), in the app and in a browser alike.

mod http;
mod qr;
mod tauri;

/// What a browser answers when asked for something only the app does.
pub const APP_ONLY: &str = "APP_ONLY";

use handoff_api as api;
use handoff_api::Endpoint;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

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

/// Where a backup went (`backup`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Backup {
    /// The backup folder.
    pub path: String,
    /// The chain's height in it.
    pub height: u64,
}

/// Decodes an answer into its typed shape; a shape that does not fit is `BAD_RESPONSE`.
fn decode<T: DeserializeOwned>(what: &str, v: Value) -> Res<T> {
    serde_json::from_value(v).map_err(|e| ApiError::new("BAD_RESPONSE", format!("{what}: {e}")))
}

/// Whether the page runs in the app window (else in a plain browser, on the node that
/// served it).
pub fn in_app() -> bool {
    tauri::available()
}

/// Once, before the first request: in a browser, takes the sign-in token from the
/// page's address (see [`http`]).
pub fn start() {
    if !in_app() {
        http::take_token_from_address();
    }
}

/// Whether actions can be signed: always in the app; in a browser, when the tab holds a
/// token (the node still decides whether it is valid).
pub fn signed_in() -> bool {
    in_app() || http::token().is_some()
}

/// Runs a typed request: through the app's `api` command in its window, with `fetch` on
/// the endpoint's route of the page's node in a browser.
async fn request<E: Endpoint>(req: E) -> Res<E::Response> {
    if !tauri::available() {
        return http::request(&req).await;
    }
    let op = E::OP;
    let req: api::Request = req.into();
    let answer = tauri::invoke("api", json!({ "req": req })).await?;
    let response: api::Response = decode(op, answer)?;
    E::response(response)
        .ok_or_else(|| ApiError::new("BAD_RESPONSE", format!("{op}: another operation's answer")))
}

/// Runs one of the app's own commands (backup, images). A browser has no app:
/// the screens hide what needs one and say why; this answers `APP_ONLY` if asked anyway.
async fn shell<T: DeserializeOwned>(cmd: &str, args: Value) -> Res<T> {
    if !tauri::available() {
        return Err(ApiError::new(
            APP_ONLY,
            format!("`{cmd}` is done in the Handoff app, not in a browser"),
        ));
    }
    decode(cmd, tauri::invoke(cmd, args).await?)
}

fn receipt_transfer(ownership: bool) -> api::TransferKind {
    if ownership {
        api::TransferKind::Both
    } else {
        api::TransferKind::Custody
    }
}

/// Chain status with the acting identity (in the app: with every local identity).
///
/// In a browser the node's public status names no identity; a tab that holds a token
/// learns the identity it signs as from the node (`org_nonce` answers the caller's own
/// org), and the mode is `http` unless the node names its own (a light node's `light`).
pub async fn status() -> Res<api::StatusResponse> {
    let mut st = request(api::StatusRequest {}).await?;
    if in_app() {
        return Ok(st);
    }
    st.mode.get_or_insert_with(|| MODE_HTTP.to_string());
    if st.identity.is_none()
        && http::token().is_some()
        && let Ok(me) = request(api::OrgNonceRequest {}).await
    {
        st.identity = Some(api::IdentityView {
            org: me.org,
            org_name: me.name.clone(),
            name: me.name,
        });
    }
    Ok(st)
}

/// The mode of a page in a plain browser on a node's HTTP server.
pub const MODE_HTTP: &str = "http";

/// Acts as another local identity.
pub async fn switch_identity(name: &str) -> Res<api::StatusResponse> {
    request(api::IdentitySwitchRequest { name: name.into() }).await?;
    status().await
}

/// The parsed scan, the current record and the verdict.
pub async fn lookup(code: &str) -> Res<api::LookupResponse> {
    request(api::LookupRequest { scan: code.into() }).await
}

/// Full provenance.
pub async fn history(code: &str) -> Res<api::ItemHistoryResponse> {
    request(api::ItemHistoryRequest { key: code.into() }).await
}

/// The record with its Merkle proof against the newest certified block (a full node's
/// own check: `verified` and `certified` say whether it held).
pub async fn item_proof(code: &str) -> Res<api::ItemShowResponse> {
    request(api::ItemShowRequest {
        key: code.into(),
        proof: true,
    })
    .await
}

/// Every org.
pub async fn orgs() -> Res<api::OrgListResponse> {
    request(api::OrgListRequest {}).await
}

/// Open handoffs to and from the acting org.
pub async fn inbox() -> Res<api::InboxResponse> {
    request(api::InboxRequest {}).await
}

/// Offers items to another org.
pub async fn propose(codes: &[String], to: &str, ownership: bool) -> Res<api::HandoffReceipt> {
    request(api::ProposeRequest {
        to: to.into(),
        scans: codes.to_vec(),
        transfer: receipt_transfer(ownership),
        qty: None,
        ship_from: None,
        ship_to: None,
        docs: vec![],
        expires_in: None,
    })
    .await
}

/// Accepts an offer with exceptions.
pub async fn accept(id: &str, missing: &[String], damaged: &[String]) -> Res<api::HandoffReceipt> {
    request(api::AcceptRequest {
        id: id.into(),
        missing: missing.to_vec(),
        damaged: damaged.to_vec(),
    })
    .await
}

/// Refuses an offer.
pub async fn reject(id: &str, reason: &str) -> Res<api::Receipt> {
    request(api::RejectRequest {
        id: id.into(),
        reason: reason.into(),
    })
    .await
}

/// Withdraws an offer.
pub async fn cancel(id: &str) -> Res<api::Receipt> {
    request(api::CancelRequest { id: id.into() }).await
}

/// A product.
pub async fn product(gtin: &str) -> Res<api::ProductShowResponse> {
    request(api::ProductShowRequest { gtin: gtin.into() }).await
}

/// A product's picture (see [`ProductImage`]): the app's own command in its window, the
/// node's `product_image` endpoint (the same shape) in a browser.
pub async fn product_image(gtin: &str) -> Res<ProductImage> {
    if in_app() {
        return shell("product_image", json!({ "gtin": gtin })).await;
    }
    let p = request(api::ProductImageRequest { gtin: gtin.into() }).await?;
    Ok(ProductImage {
        gtin: p.gtin,
        image_hash: p.image_hash,
        mime: p.mime,
        data_base64: p.data_base64,
    })
}

/// Defines a product.
pub async fn define_product(
    gtin: &str,
    name: &str,
    description: &str,
) -> Res<api::ProductDefineResponse> {
    request(api::ProductDefineRequest {
        gtin: gtin.into(),
        name: name.into(),
        description: description.into(),
        attributes: vec![],
    })
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
    request(api::CommissionRequest {
        scans: codes.to_vec(),
        lot,
        qty,
        at: None,
        expiry,
        claim_codes: false,
        pin: None,
    })
    .await
}

/// Packs items into a container.
pub async fn pack(into: &str, codes: &[String]) -> Res<api::Receipt> {
    request(api::PackRequest {
        into: into.into(),
        scans: codes.to_vec(),
    })
    .await
}

/// Unpacks a container.
pub async fn unpack(container: &str) -> Res<api::Receipt> {
    request(api::UnpackRequest {
        container: container.into(),
        scans: vec![],
    })
    .await
}

/// A printable label for a code, titled with its product's name from the chain.
pub async fn label(code: &str, format: &str, size: &str) -> Res<api::LabelResponse> {
    request(api::LabelRequest {
        scans: vec![code.into()],
        format: format.into(),
        size: size.into(),
        title: None,
        title_from_chain: true,
        claim_codes: vec![],
        base: api::DIGITAL_LINK_BASE.into(),
    })
    .await
}

/// Decodes the QR codes of an image (base64 of its file): the app's decoder in its
/// window, the page's own ([`qr`]) in a browser.
pub async fn decode_image(bytes_b64: &str) -> Res<DecodedImage> {
    if !in_app() {
        return qr::decode_base64(bytes_b64).await;
    }
    shell("decode_image", json!({ "bytes": bytes_b64 })).await
}

/// The saved bootstrap peers.
pub async fn network() -> Res<api::NetworkResponse> {
    request(api::NetworkShowRequest {}).await
}

/// Saves bootstrap peers and, with a genesis (hex of `handoff genesis`), joins that
/// network as a light node.
pub async fn set_network(peers: &[String], genesis: Option<String>) -> Res<api::NetworkResponse> {
    request(api::NetworkSetRequest {
        peers: peers.to_vec(),
        genesis,
        invite: None,
    })
    .await
}

/// Joins the network of a registrar's invitation link as the organisation it invites
/// (the app makes its key; the link carries the peers and the genesis' hash).
pub async fn join_invited(link: String) -> Res<api::NetworkResponse> {
    request(api::NetworkSetRequest {
        peers: Vec::new(),
        genesis: None,
        invite: Some(link),
    })
    .await
}

/// The certifications that apply to `code` (a scan, a GTIN, `gln:…`, `org:…`), or with an
/// empty `code` those the signed-in org issued; with `valid`, only those that count now.
pub async fn cert_list(code: &str, valid: bool) -> Res<api::CertListResponse> {
    request(api::CertListRequest {
        for_: code.into(),
        by: None,
        valid,
    })
    .await
}

/// An auditor certifies.
pub async fn cert_issue(req: api::CertIssueRequest) -> Res<api::CertIssueResponse> {
    request(req).await
}

/// The issuing auditor suspends, reinstates or revokes a certification.
pub async fn cert_change(id: &str, change: &str, reason: &str) -> Res<api::Receipt> {
    request(api::CertChangeRequest {
        id: id.into(),
        change: change.into(),
        reason: reason.into(),
    })
    .await
}

/// Registers a document by its SHA-256 (the file itself is never sent).
pub async fn doc_notarize(
    hash: &str,
    kind: &str,
    title: &str,
    links: Vec<String>,
) -> Res<api::DocNotarizeResponse> {
    request(api::DocNotarizeRequest {
        hash: hash.into(),
        kind: kind.into(),
        title: title.into(),
        links,
    })
    .await
}

/// Whether a document with this SHA-256 was registered, with the proof.
pub async fn doc_verify(hash: &str) -> Res<api::DocVerifyResponse> {
    request(api::DocVerifyRequest { hash: hash.into() }).await
}

/// The light node's outbox (empty on the embedded chain).
pub async fn outbox() -> Res<api::OutboxResponse> {
    request(api::OutboxRequest {}).await
}

/// A one-time pairing ticket for a phone of the acting org; its link points at `base`.
pub async fn pair_ticket(base: Option<String>) -> Res<api::PairTicketResponse> {
    request(api::PairTicketRequest {
        base,
        label: "phone".into(),
    })
    .await
}

/// A one-time invitation for an org to join the network (registrars only).
pub async fn org_invite(req: api::OrgInviteRequest) -> Res<api::OrgInviteResponse> {
    request(req).await
}

/// The invitations this registrar's node made, newest first.
pub async fn org_invitations() -> Res<api::OrgInvitationsResponse> {
    request(api::OrgInvitationsRequest {}).await
}

/// Revokes an open invitation: a join with its link is then refused.
pub async fn org_invite_revoke(id: String) -> Res<api::OrgInviteRevokeResponse> {
    request(api::OrgInviteRevokeRequest { id }).await
}

/// Redeems a pairing ticket for this phone's device key (no token needed).
pub async fn pair_redeem(req: api::PairRedeemRequest) -> Res<api::PairRedeemResponse> {
    request(req).await
}

/// Submits a transaction this phone signed, in hex (no token needed).
pub async fn tx_submit(signed_tx: String) -> Res<api::TxSubmitResponse> {
    request(api::TxSubmitRequest { signed_tx }).await
}

/// A signer's next nonce and standing.
pub async fn signer_nonce(key: &str) -> Res<api::SignerNonceResponse> {
    request(api::SignerNonceRequest { key: key.into() }).await
}

/// Backs the data folder up.
pub async fn backup() -> Res<Backup> {
    shell("backup", json!({})).await
}

/// An EPCIS document validated and mapped as the acting org, nothing written.
pub async fn epcis_check(document: String) -> Res<api::EpcisCheckResponse> {
    request(api::EpcisCheckRequest { document }).await
}

/// An EPCIS document imported: each event a transaction of the acting org.
pub async fn epcis_import(document: String) -> Res<api::EpcisImportResponse> {
    request(api::EpcisImportRequest { document }).await
}

/// One item's history (`scan`) or every event (`None`) as an EPCIS document.
pub async fn epcis_export(scan: Option<String>, format: &str) -> Res<api::EpcisExportResponse> {
    request(api::EpcisExportRequest {
        all: scan.is_none(),
        scan,
        format: format.into(),
    })
    .await
}

/// The acting org's latest transactions, newest first (at most `limit`).
pub async fn activity(limit: usize) -> Res<api::ActivityResponse> {
    request(api::ActivityRequest { since: None, limit }).await
}

/// What the acting org holds, expects and ships (`handoff stock`), with the node's own
/// filters.
pub async fn stock(req: api::StockRequest) -> Res<api::StockResponse> {
    request(req).await
}

/// One handoff, open or closed (full id).
pub async fn handoff_show(id: &str) -> Res<api::HandoffShowResponse> {
    request(api::HandoffShowRequest { id: id.into() }).await
}

// ---------------------------------------------------------------- finance

/// The finance assets the acting org is a party of, newest first.
pub async fn finance_list() -> Res<api::FinanceListResponse> {
    request(api::FinanceListRequest {
        role: None,
        status: None,
    })
    .await
}

/// One finance asset with its steps.
pub async fn finance_show(id: &str) -> Res<api::FinanceShowResponse> {
    request(api::FinanceShowRequest { id: id.into() }).await
}

/// One asset's trade evidence, matched line by line, with its alerts.
pub async fn finance_evidence(id: &str) -> Res<api::FinanceEvidenceResponse> {
    request(api::FinanceEvidenceRequest { id: id.into() }).await
}

/// The acting org's portfolio and analytics (`role`: only where it has that role).
pub async fn finance_portfolio(role: Option<String>) -> Res<api::FinancePortfolioResponse> {
    request(api::FinancePortfolioRequest { role }).await
}

/// A file for the lender's records: an asset's evidence pack (`id`, `json` or `pdf`) or
/// the portfolio (no `id`, `csv` or `json`).
pub async fn finance_export(id: Option<String>, format: &str) -> Res<api::FinanceExportResponse> {
    request(api::FinanceExportRequest {
        id,
        format: format.into(),
    })
    .await
}

/// The seller invoices the buyer for accepted handoffs.
pub async fn receivable_issue(req: api::ReceivableIssueRequest) -> Res<api::FinanceActionResponse> {
    request(req).await
}

/// The buyer confirms an invoice.
pub async fn receivable_confirm(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableConfirmRequest { id: id.into() }).await
}

/// The holder asks a lender to finance a confirmed receivable.
pub async fn receivable_request(id: &str, lender: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableRequestFinanceRequest {
        id: id.into(),
        lender: lender.into(),
    })
    .await
}

/// The lender offers an advance (percent of the outstanding balance) and a fee.
pub async fn receivable_offer(
    id: &str,
    advance: &str,
    fee: &str,
) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableOfferRequest {
        id: id.into(),
        advance: advance.into(),
        fee: fee.into(),
    })
    .await
}

/// The holder accepts the lender's offer.
pub async fn receivable_accept_offer(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableAcceptOfferRequest { id: id.into() }).await
}

/// The lender funds an accepted offer.
pub async fn receivable_fund(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableFundRequest { id: id.into() }).await
}

/// The buyer pays part or all of the outstanding balance.
pub async fn receivable_repay(
    id: &str,
    amount: &str,
    reference: &str,
) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableRepayRequest {
        id: id.into(),
        amount: amount.into(),
        reference: reference.into(),
    })
    .await
}

/// The holder splits part of a confirmed, unfinanced claim to another org.
pub async fn receivable_split(id: &str, to: &str, amount: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableSplitRequest {
        id: id.into(),
        to: to.into(),
        amount: amount.into(),
    })
    .await
}

/// The holder transfers a confirmed, unfinanced claim whole.
pub async fn receivable_transfer(id: &str, to: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableTransferRequest {
        id: id.into(),
        to: to.into(),
    })
    .await
}

/// The holder records a return or credit note.
pub async fn receivable_dilute(
    id: &str,
    amount: &str,
    reason: &str,
) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableDiluteRequest {
        id: id.into(),
        amount: amount.into(),
        reason: reason.into(),
    })
    .await
}

/// Marks an open receivable past its due date overdue.
pub async fn receivable_overdue(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableOverdueRequest { id: id.into() }).await
}

/// The creditor declares an overdue receivable in default.
pub async fn receivable_default(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableDefaultRequest { id: id.into() }).await
}

/// The creditor records an amount recovered on a defaulted receivable.
pub async fn receivable_recover(
    id: &str,
    amount: &str,
    reference: &str,
) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableRecoverRequest {
        id: id.into(),
        amount: amount.into(),
        reference: reference.into(),
    })
    .await
}

/// The creditor writes off what is left of a defaulted receivable.
pub async fn receivable_write_off(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableWriteOffRequest { id: id.into() }).await
}

/// The holder or lender closes a receivable whose balance is zero.
pub async fn receivable_settle(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceivableSettleRequest { id: id.into() }).await
}

/// A warehouse issues a receipt for goods in its custody.
pub async fn receipt_issue(owner: &str, goods: &[String]) -> Res<api::FinanceActionResponse> {
    request(api::ReceiptIssueRequest {
        owner: owner.into(),
        goods: goods.to_vec(),
    })
    .await
}

/// The owner offers a receipt as collateral to a lender.
pub async fn receipt_pledge(id: &str, lender: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceiptPledgeRequest {
        id: id.into(),
        lender: lender.into(),
    })
    .await
}

/// The lender accepts a pledged receipt: the goods are locked.
pub async fn receipt_accept_pledge(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceiptAcceptPledgeRequest { id: id.into() }).await
}

/// The lender releases goods (none listed: every good still pledged).
pub async fn receipt_release(id: &str, goods: &[String]) -> Res<api::FinanceActionResponse> {
    request(api::ReceiptReleaseRequest {
        id: id.into(),
        goods: goods.to_vec(),
    })
    .await
}

/// The lender takes ownership of the goods still pledged.
pub async fn receipt_enforce(id: &str) -> Res<api::FinanceActionResponse> {
    request(api::ReceiptEnforceRequest { id: id.into() }).await
}

/// Where a saved file went: in the app, a file written by the app (`save_file`); in a
/// browser, a download the browser keeps where its user says.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Saved {
    /// The file's path (the app) or its name (a browser download).
    pub path: String,
}

/// Saves `text` as a file named `name`: the app writes it to the user's Downloads folder
/// (or the data folder's `exports/` where there is none) and says where; a browser offers
/// it as a download.
pub async fn save_file(name: &str, mime: &str, text: &str) -> Res<Saved> {
    if tauri::available() {
        return shell("save_file", json!({ "name": name, "text": text })).await;
    }
    download(name, mime, text)?;
    Ok(Saved { path: name.into() })
}

/// Saves a file the node made (`bytes`: a JSON or PDF evidence pack, a CSV): the app
/// writes the bytes as they are (sent to its `save_file` command in base64), in the same
/// place as [`save_file`]; a browser offers them as a download.
pub async fn save_bytes(name: &str, mime: &str, bytes: Vec<u8>) -> Res<Saved> {
    if tauri::available() {
        use base64::Engine;
        let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
        return shell("save_file", json!({ "name": name, "data": data })).await;
    }
    download_bytes(name, mime, &bytes)?;
    Ok(Saved { path: name.into() })
}

/// A browser download of `text` (a Blob URL on a clicked link).
fn download(name: &str, mime: &str, text: &str) -> Res<()> {
    download_bytes(name, mime, text.as_bytes())
}

/// A browser download of `bytes` (a Blob URL on a clicked link).
fn download_bytes(name: &str, mime: &str, bytes: &[u8]) -> Res<()> {
    use wasm_bindgen::JsCast;
    let fail = || ApiError::new("SAVE_FAILED", format!("the browser did not save {name}"));
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(|_| fail())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail())?;
    let a = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(fail)?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has started by the time the URL is let go.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
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

    #[test]
    fn a_drifted_answer_is_a_bad_response() {
        // A receipt without its transaction id.
        let e = decode::<api::Receipt>("pack", json!({ "height": 3 })).expect_err("drifted");
        assert_eq!(e.code, "BAD_RESPONSE");
        assert!(e.message.starts_with("pack: "), "{}", e.message);
    }

    /// The shell's answers decode into the structs the screens read (the shapes of
    /// `src-tauri/src/commands.rs`, and of the node's `product_image` endpoint).
    #[test]
    fn the_shells_answers_decode() {
        let p: ProductImage = decode(
            "product_image",
            json!({ "gtin": "00614141025015", "image_hash": null }),
        )
        .expect("no picture");
        assert_eq!(p.image_hash, None);
        let d: DecodedImage = decode(
            "decode_image",
            json!({ "codes": [{ "text": "x", "error": { "code": "SCAN_BAD", "message": "m", "kind": "input" } }] }),
        )
        .expect("codes");
        assert_eq!(
            d.codes[0].error.as_ref().map(|e| e.code.as_str()),
            Some("SCAN_BAD")
        );
    }
}
