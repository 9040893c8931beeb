//! Handoff's typed API: every operation of the node as a request type and a response
//! type, one error type, and the route table every transport is generated from.
//!
//! - [`Endpoint`]: each request type names its HTTP method, its REST path under
//!   [`VERSION`] (with `{field}` placeholders naming string fields of the request) and
//!   its response type. GET requests carry their other fields as query parameters;
//!   POST/PUT/DELETE requests carry them as a JSON body. Path fields are strings and are
//!   percent-encoded by clients (a scan may hold `/`).
//! - [`Request`] / [`Response`]: every request (tagged by `op`) and every response
//!   (`{op, body}`), for transports that carry any operation (the app's one command).
//! - [`routes`]: `(method, path, op, request type, response type)` of every endpoint.
//! - [`Api`]: what the node implements and every transport calls; [`call_typed`] is the
//!   typed way to call it.
//! - [`ApiError`]: `{code, message, kind}`; the kind gives the HTTP status and the
//!   command line's exit code.
//!
//! A response serializes to exactly what `handoff --json` prints for the same operation
//! (PRODUCT.md §7). The crate does no I/O and builds for `wasm32-unknown-unknown` (the
//! UI uses it). With the `openapi` feature every request and response type derives
//! `utoipa::ToSchema`.

mod error;
pub mod limits;
mod ops;
pub mod views;
pub mod wire;

pub use error::{ApiError, ErrorKind};
pub use ops::*;
pub use views::*;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The API version, the first segment of every path.
pub const VERSION: &str = "v1";

/// The Digital Link host labels and QR codes use unless told otherwise.
pub const DIGITAL_LINK_BASE: &str = "https://id.gs1.org";

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// A read: fields other than the path's are query parameters.
    Get,
    /// An action: fields other than the path's are a JSON body.
    Post,
    /// A replacing write (a setting).
    Put,
    /// A removal.
    Delete,
}

impl Method {
    /// `GET`, `POST`…
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// Who calls: which identity of the node's data folder signs actions, and whether the
/// caller proved it may act (a local user, the app, an HTTP client with the bearer token).
/// Reads need neither.
///
/// The identity rule: the folder's owner (a local user, the app, an HTTP client with the
/// node's own token from `node.json`) may act as any identity of the folder and use the
/// node's validator key; a client with a token made for one identity (`handoff node
/// token NAME`) acts only as that identity and never with the validator key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// An identity name (or key prefix) of the data folder; `None`: the folder's first.
    pub identity: Option<String>,
    /// Whether the caller may act (sign). Actions from an unauthenticated caller answer
    /// `UNAUTHORIZED`.
    pub authenticated: bool,
    /// Whether the caller is the folder's owner (may act as any identity, and sign with
    /// the node's validator key).
    pub owner: bool,
    /// The network of the client that sent the request (`203.0.113.0/24`), set by the
    /// HTTP server from the connection (never from the request), for clone detection:
    /// a lookup of a sold item from a known network is counted. `None` for the command
    /// line and the app.
    pub client: Option<String>,
}

impl Caller {
    /// A local caller (the command line, the app) acting as `identity`: the owner.
    pub fn local(identity: Option<&str>) -> Caller {
        Caller {
            identity: identity.map(String::from),
            authenticated: true,
            owner: true,
            client: None,
        }
    }
    /// A caller holding a token made for `identity` only.
    pub fn identity_only(identity: &str) -> Caller {
        Caller {
            identity: Some(identity.to_string()),
            authenticated: true,
            owner: false,
            client: None,
        }
    }
    /// A caller that may only read.
    pub fn anonymous() -> Caller {
        Caller::default()
    }
}

/// What the node implements, and every transport (command line, app, HTTP) calls.
pub trait Api: Send + Sync {
    /// Runs one operation. The request has passed [`Request::validate`] or is checked
    /// here; actions commit (or, on a light node, queue) before the answer.
    fn call(&self, who: &Caller, req: Request) -> Result<Response, ApiError>;
}

/// Bounds every transport checks before calling the node (see [`limits`]).
pub trait Validate: Serialize {
    /// `REQUEST_TOO_LARGE` when a string or a list is over its bound.
    fn validate(&self) -> Result<(), ApiError> {
        let v = serde_json::to_value(self)
            .map_err(|e| ApiError::input("BAD_REQUEST", format!("request not encodable: {e}")))?;
        check_value(&v, "request")
    }
}

/// The bound of a string field: a whole document (`document`, an EPCIS file) is larger
/// than any other field, and a signed transaction in hex (`signed_tx`) may be twice the
/// ledger's largest transaction.
fn string_bound(field: &str) -> usize {
    match field {
        "document" => limits::MAX_DOCUMENT_BYTES,
        "signed_tx" => limits::MAX_SIGNED_TX_HEX,
        _ => limits::MAX_STRING_BYTES,
    }
}

fn check_value(v: &serde_json::Value, at: &str) -> Result<(), ApiError> {
    use limits::{MAX_LIST_LEN, REQUEST_TOO_LARGE};
    match v {
        serde_json::Value::String(s) if s.len() > string_bound(at) => Err(ApiError::input(
            REQUEST_TOO_LARGE,
            format!(
                "{at} is {} bytes, more than the {} a field may hold",
                s.len(),
                string_bound(at)
            ),
        )),
        serde_json::Value::Array(a) => {
            if a.len() > MAX_LIST_LEN {
                return Err(ApiError::input(
                    REQUEST_TOO_LARGE,
                    format!(
                        "{at} lists {} values, more than the {MAX_LIST_LEN} a request may",
                        a.len()
                    ),
                ));
            }
            a.iter().try_for_each(|x| check_value(x, at))
        }
        serde_json::Value::Object(m) => m.iter().try_for_each(|(k, x)| check_value(x, k)),
        _ => Ok(()),
    }
}

/// A request type: its route and its response.
pub trait Endpoint: Serialize + DeserializeOwned + Validate + Into<Request> {
    /// HTTP method.
    const METHOD: Method;
    /// REST path template, e.g. `/v1/items/{key}`.
    const PATH: &'static str;
    /// The operation's name (the `op` tag of [`Request`]).
    const OP: &'static str;
    /// Whether it changes the ledger or the node (needs an authenticated caller).
    const ACTION: bool;
    /// What it answers.
    type Response: Serialize + DeserializeOwned;
    /// Takes this endpoint's answer out of a [`Response`] (`None`: another operation's).
    fn response(r: Response) -> Option<Self::Response>;
}

/// One row of the route table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template under `/v1`.
    pub path: &'static str,
    /// Operation name.
    pub op: &'static str,
    /// Whether it is an action (needs an authenticated caller).
    pub action: bool,
    /// Request type name.
    pub request: &'static str,
    /// Response type name.
    pub response: &'static str,
}

/// Calls `api` with a typed request and returns the typed response. Validates first;
/// an answer of another operation's type is a fault (`BAD_RESPONSE`).
pub fn call_typed<E: Endpoint>(
    api: &dyn Api,
    who: &Caller,
    req: E,
) -> Result<E::Response, ApiError> {
    req.validate()?;
    let answer = api.call(who, req.into())?;
    E::response(answer).ok_or_else(|| {
        ApiError::fault(
            "BAD_RESPONSE",
            format!(
                "the node answered {} with another operation's answer",
                E::OP
            ),
        )
    })
}

macro_rules! endpoints {
    ($($variant:ident : $req:ident => $resp:ident, $method:ident $path:literal, $op:literal, $action:literal;)*) => {
        /// Every request, tagged by its operation name (`{"op": "item_show", "key": …}`).
        /// The tag is the operation's name itself, so a transport that tags an answer with
        /// [`Endpoint::OP`] (the typed HTTP client) reads back the variant it asked for.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "op")]
        pub enum Request {
            $(
                #[doc = concat!("`", $op, "`: ", stringify!($method), " `", $path, "`.")]
                #[serde(rename = $op)]
                $variant($req),
            )*
        }

        /// Every response, tagged by its operation (`{"op": "item_show", "body": …}`).
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "op", content = "body")]
        #[allow(clippy::large_enum_variant)] // one answer at a time, moved once
        pub enum Response {
            $(
                #[doc = concat!("Answer of `", $op, "`.")]
                #[serde(rename = $op)]
                $variant($resp),
            )*
        }

        impl Request {
            /// The operation's name.
            pub fn op(&self) -> &'static str {
                match self { $(Request::$variant(_) => $op,)* }
            }
            /// Whether it is an action (needs an authenticated caller).
            pub fn is_action(&self) -> bool {
                match self { $(Request::$variant(_) => $action,)* }
            }
            /// Bounds (see [`Validate`]).
            pub fn validate(&self) -> Result<(), ApiError> {
                match self { $(Request::$variant(r) => r.validate(),)* }
            }
        }

        impl Response {
            /// The operation it answers.
            pub fn op(&self) -> &'static str {
                match self { $(Response::$variant(_) => $op,)* }
            }
        }

        $(
            impl Validate for $req {}
            impl From<$req> for Request {
                fn from(r: $req) -> Request { Request::$variant(r) }
            }
            impl Endpoint for $req {
                const METHOD: Method = Method::$method;
                const PATH: &'static str = $path;
                const OP: &'static str = $op;
                const ACTION: bool = $action;
                type Response = $resp;
                #[allow(unreachable_patterns)]
                fn response(r: Response) -> Option<$resp> {
                    match r { Response::$variant(x) => Some(x), _ => None }
                }
            }
        )*

        /// The route table: every endpoint, in one place.
        pub fn routes() -> Vec<Route> {
            vec![$(Route {
                method: Method::$method,
                path: $path,
                op: $op,
                action: $action,
                request: stringify!($req),
                response: stringify!($resp),
            },)*]
        }
    };
}

endpoints! {
    // Queries.
    Status: StatusRequest => StatusResponse, Get "/v1/status", "status", false;
    IdParse: IdParseRequest => ScanView, Get "/v1/ids/{scan}", "id_parse", false;
    Lookup: LookupRequest => LookupResponse, Get "/v1/lookup/{scan}", "lookup", false;
    ItemShow: ItemShowRequest => ItemShowResponse, Get "/v1/items/{key}", "item_show", false;
    ItemHistory: ItemHistoryRequest => ItemHistoryResponse, Get "/v1/items/{key}/history", "item_history", false;
    Verify: VerifyRequest => VerifyResponse, Get "/v1/verify/{scan}", "verify", false;
    Evidence: EvidenceRequest => EvidenceResponse, Get "/v1/evidence/{scan}", "evidence", false;
    Inbox: InboxRequest => InboxResponse, Get "/v1/handoffs/inbox", "inbox", false;
    Outgoing: OutgoingRequest => OutgoingResponse, Get "/v1/handoffs/outbox", "outgoing", false;
    Stock: StockRequest => StockResponse, Get "/v1/stock", "stock", false;
    Activity: ActivityRequest => ActivityResponse, Get "/v1/activity", "activity", false;
    HandoffShow: HandoffShowRequest => HandoffShowResponse, Get "/v1/handoffs/{id}", "handoff_show", false;
    ProductList: ProductListRequest => ProductListResponse, Get "/v1/products", "product_list", false;
    ProductShow: ProductShowRequest => ProductShowResponse, Get "/v1/products/{gtin}", "product_show", false;
    ProductImage: ProductImageRequest => ProductImageResponse, Get "/v1/products/{gtin}/image", "product_image", false;
    OrgList: OrgListRequest => OrgListResponse, Get "/v1/orgs", "org_list", false;
    OrgNonce: OrgNonceRequest => OrgNonceResponse, Get "/v1/nonce", "org_nonce", false;
    OrgLog: OrgLogRequest => OrgLogResponse, Get "/v1/log", "org_log", false;
    OrgInvitations: OrgInvitationsRequest => OrgInvitationsResponse, Get "/v1/orgs/invitations", "org_invitations", false;
    Outbox: OutboxRequest => OutboxResponse, Get "/v1/outbox", "outbox", false;
    LightShow: LightShowRequest => LightShowResponse, Get "/v1/light/items/{scan}", "light_show", false;
    NodeInfo: NodeInfoRequest => NodeInfoResponse, Get "/v1/node", "node_info", false;
    Genesis: GenesisRequest => GenesisResponse, Get "/v1/genesis", "genesis", false;
    Identities: IdentitiesRequest => IdentitiesResponse, Get "/v1/identities", "identities", false;
    NetworkShow: NetworkShowRequest => NetworkResponse, Get "/v1/network", "network_show", false;
    CertList: CertListRequest => CertListResponse, Get "/v1/certifications", "cert_list", false;
    DocVerify: DocVerifyRequest => DocVerifyResponse, Get "/v1/documents/{hash}", "doc_verify", false;
    ValidatorsShow: ValidatorsShowRequest => ValidatorsResponse, Get "/v1/validators", "validators_show", false;
    EpcisExport: EpcisExportRequest => EpcisExportResponse, Get "/v1/epcis/export", "epcis_export", false;
    EpcisQuery: EpcisQueryRequest => EpcisQueryResponse, Get "/v1/epcis/query", "epcis_query", false;
    TxProof: TxProofRequest => TxProofResponse, Get "/v1/transactions/{id}/proof", "tx_proof", false;
    FinanceList: FinanceListRequest => FinanceListResponse, Get "/v1/finance/assets", "finance_list", false;
    FinanceShow: FinanceShowRequest => FinanceShowResponse, Get "/v1/finance/assets/{id}", "finance_show", false;
    FinanceEvidence: FinanceEvidenceRequest => FinanceEvidenceResponse, Get "/v1/finance/assets/{id}/evidence", "finance_evidence", false;
    FinancePortfolio: FinancePortfolioRequest => FinancePortfolioResponse, Get "/v1/finance/portfolio", "finance_portfolio", false;
    FinanceExport: FinanceExportRequest => FinanceExportResponse, Get "/v1/finance/export", "finance_export", false;
    SignerNonce: SignerNonceRequest => SignerNonceResponse, Get "/v1/signers/{key}/nonce", "signer_nonce", false;
    // Actions.
    Commission: CommissionRequest => CommissionResponse, Post "/v1/items", "commission", true;
    Propose: ProposeRequest => HandoffReceipt, Post "/v1/handoffs", "propose", true;
    Accept: AcceptRequest => HandoffReceipt, Post "/v1/handoffs/{id}/accept", "accept", true;
    Reject: RejectRequest => Receipt, Post "/v1/handoffs/{id}/reject", "reject", true;
    Cancel: CancelRequest => Receipt, Post "/v1/handoffs/{id}/cancel", "cancel", true;
    Pack: PackRequest => Receipt, Post "/v1/containers/{into}/pack", "pack", true;
    Unpack: UnpackRequest => Receipt, Post "/v1/containers/{container}/unpack", "unpack", true;
    ProductDefine: ProductDefineRequest => ProductDefineResponse, Post "/v1/products", "product_define", true;
    ProductLicense: ProductLicenseRequest => Receipt, Post "/v1/products/{gtin}/licenses", "product_license", true;
    ProductRecall: ProductRecallRequest => Receipt, Post "/v1/products/{gtin}/recalls", "product_recall", true;
    Observe: ObserveRequest => Receipt, Post "/v1/observations", "observe", true;
    Transform: TransformRequest => TransformResponse, Post "/v1/transformations", "transform", true;
    Sell: SellRequest => Receipt, Post "/v1/sales", "sell", true;
    Claim: ClaimRequest => Receipt, Post "/v1/items/{key}/claim", "claim", true;
    Stolen: StolenRequest => Receipt, Post "/v1/thefts", "stolen", true;
    Decommission: DecommissionRequest => Receipt, Post "/v1/decommissions", "decommission", true;
    Correct: CorrectRequest => Receipt, Post "/v1/corrections", "correct", true;
    OrgAdd: OrgAddRequest => OrgAddResponse, Post "/v1/orgs", "org_add", true;
    OrgInvite: OrgInviteRequest => OrgInviteResponse, Post "/v1/orgs/invitations", "org_invite", true;
    OrgInviteRevoke: OrgInviteRevokeRequest => OrgInviteRevokeResponse, Post "/v1/orgs/invitations/{id}/revoke", "org_invite_revoke", true;
    DeviceAuthorize: DeviceAuthorizeRequest => Receipt, Post "/v1/devices", "device_authorize", true;
    DeviceRevoke: DeviceRevokeRequest => Receipt, Post "/v1/devices/{key}/revoke", "device_revoke", true;
    PairTicket: PairTicketRequest => PairTicketResponse, Post "/v1/pairing/tickets", "pair_ticket", true;
    PairRedeem: PairRedeemRequest => PairRedeemResponse, Post "/v1/pairing/redeem", "pair_redeem", true;
    TxSubmit: TxSubmitRequest => TxSubmitResponse, Post "/v1/transactions", "tx_submit", true;
    Label: LabelRequest => LabelResponse, Post "/v1/labels", "label", false;
    IdentitySwitch: IdentitySwitchRequest => IdentitySwitchResponse, Post "/v1/identities/{name}/switch", "identity_switch", true;
    NetworkSet: NetworkSetRequest => NetworkResponse, Put "/v1/network", "network_set", true;
    CertIssue: CertIssueRequest => CertIssueResponse, Post "/v1/certifications", "cert_issue", true;
    CertChange: CertChangeRequest => Receipt, Post "/v1/certifications/{id}/changes", "cert_change", true;
    DocNotarize: DocNotarizeRequest => DocNotarizeResponse, Post "/v1/documents", "doc_notarize", true;
    ValidatorsApprove: ValidatorsApproveRequest => ApprovalResponse, Post "/v1/validators/approvals", "validators_approve", true;
    ValidatorsSet: ValidatorsSetRequest => ValidatorsSetResponse, Post "/v1/validators", "validators_set", true;
    EpcisCheck: EpcisCheckRequest => EpcisCheckResponse, Post "/v1/epcis/check", "epcis_check", true;
    EpcisImport: EpcisImportRequest => EpcisImportResponse, Post "/v1/epcis/import", "epcis_import", true;
    FinanceEnable: FinanceEnableRequest => FinanceEnableResponse, Put "/v1/finance/seal-key", "finance_enable", true;
    ReceivableIssue: ReceivableIssueRequest => FinanceActionResponse, Post "/v1/finance/receivables", "receivable_issue", true;
    ReceivableConfirm: ReceivableConfirmRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/confirm", "receivable_confirm", true;
    ReceivableRequestFinance: ReceivableRequestFinanceRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/request", "receivable_request", true;
    ReceivableOffer: ReceivableOfferRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/offer", "receivable_offer", true;
    ReceivableAcceptOffer: ReceivableAcceptOfferRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/accept-offer", "receivable_accept_offer", true;
    ReceivableFund: ReceivableFundRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/fund", "receivable_fund", true;
    ReceivableRepay: ReceivableRepayRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/repay", "receivable_repay", true;
    ReceivableSplit: ReceivableSplitRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/split", "receivable_split", true;
    ReceivableTransfer: ReceivableTransferRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/transfer", "receivable_transfer", true;
    ReceivableDilute: ReceivableDiluteRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/dilute", "receivable_dilute", true;
    ReceivableOverdue: ReceivableOverdueRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/overdue", "receivable_overdue", true;
    ReceivableDefault: ReceivableDefaultRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/default", "receivable_default", true;
    ReceivableRecover: ReceivableRecoverRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/recover", "receivable_recover", true;
    ReceivableWriteOff: ReceivableWriteOffRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/write-off", "receivable_write_off", true;
    ReceivableSettle: ReceivableSettleRequest => FinanceActionResponse, Post "/v1/finance/receivables/{id}/settle", "receivable_settle", true;
    ReceiptIssue: ReceiptIssueRequest => FinanceActionResponse, Post "/v1/finance/receipts", "receipt_issue", true;
    ReceiptPledge: ReceiptPledgeRequest => FinanceActionResponse, Post "/v1/finance/receipts/{id}/pledge", "receipt_pledge", true;
    ReceiptAcceptPledge: ReceiptAcceptPledgeRequest => FinanceActionResponse, Post "/v1/finance/receipts/{id}/accept-pledge", "receipt_accept_pledge", true;
    ReceiptRelease: ReceiptReleaseRequest => FinanceActionResponse, Post "/v1/finance/receipts/{id}/release", "receipt_release", true;
    ReceiptEnforce: ReceiptEnforceRequest => FinanceActionResponse, Post "/v1/finance/receipts/{id}/enforce", "receipt_enforce", true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_versioned_and_names_fields_of_its_request() {
        let mut seen = std::collections::HashSet::new();
        for r in routes() {
            assert!(r.path.starts_with(&format!("/{VERSION}/")), "{r:?}");
            assert!(seen.insert((r.method, r.path)), "two routes on {r:?}");
            assert_eq!(
                r.action,
                r.method != Method::Get && r.op != "label",
                "{r:?}"
            );
        }
        // A placeholder names a string field: a request with "x" there serializes it.
        let item: Request = ItemShowRequest {
            key: "x".into(),
            proof: false,
        }
        .into();
        let v = serde_json::to_value(&item).expect("json");
        assert_eq!(v["op"], "item_show");
        assert_eq!(v["key"], "x");
    }

    #[test]
    fn every_operation_is_tagged_with_its_name_in_the_route_table() {
        // The typed HTTP client reads an answer as `{"op": E::OP, "body": …}`: for every
        // route, that tag must name a variant (it may miss fields, never be unknown).
        for r in routes() {
            for v in [
                serde_json::json!({"op": r.op, "body": {}}),
                serde_json::json!({"op": r.op}),
            ] {
                let e = serde_json::from_value::<Response>(v.clone()).err();
                let e = e.map(|e| e.to_string()).unwrap_or_default();
                assert!(!e.contains("unknown variant"), "answer of {}: {e}", r.op);
                let e = serde_json::from_value::<Request>(v).err();
                let e = e.map(|e| e.to_string()).unwrap_or_default();
                assert!(!e.contains("unknown variant"), "request {}: {e}", r.op);
            }
        }
        let asked: Request = ReceivableRequestFinanceRequest {
            id: "ab".into(),
            lender: "First Bank".into(),
        }
        .into();
        let v = serde_json::to_value(&asked).expect("json");
        assert_eq!(v["op"], asked.op());
    }

    #[test]
    fn requests_refuse_unknown_fields_and_round_trip() {
        let bad = serde_json::json!({"op": "item_show", "key": "k", "extra": 1});
        assert!(serde_json::from_value::<Request>(bad).is_err());
        let ok = serde_json::json!({"op": "accept", "id": "ab", "missing": ["m"]});
        let r: Request = serde_json::from_value(ok).expect("accept");
        assert_eq!(
            r,
            Request::Accept(AcceptRequest {
                id: "ab".into(),
                missing: vec!["m".into()],
                damaged: vec![],
            })
        );
        assert!(r.is_action());
    }

    #[test]
    fn oversized_fields_and_lists_are_refused_with_one_code() {
        let long = StolenRequest {
            scans: vec!["s".into()],
            note: "n".repeat(limits::MAX_STRING_BYTES + 1),
        };
        assert_eq!(
            long.validate().map_err(|e| (e.code, e.kind)),
            Err((limits::REQUEST_TOO_LARGE.to_string(), ErrorKind::Input))
        );
        let many = SellRequest {
            scans: vec!["s".into(); limits::MAX_LIST_LEN + 1],
        };
        assert!(many.validate().is_err());
        let fine = SellRequest {
            scans: vec!["s".into(); limits::MAX_LIST_LEN],
        };
        assert_eq!(fine.validate(), Ok(()));
    }

    #[test]
    fn error_kinds_give_status_and_exit_code() {
        let cases = [
            (ApiError::input("BAD_SCAN", ""), 400, 2),
            (ApiError::not_found("UNKNOWN_ITEM", ""), 404, 2),
            (ApiError::unauthorized(), 401, 1),
            (ApiError::rejected("NOT_CUSTODIAN", ""), 422, 3),
            (ApiError::unavailable("NO_PEER", ""), 503, 1),
            (ApiError::fault("STORE_FAULT", ""), 500, 1),
        ];
        for (e, status, exit) in cases {
            assert_eq!((e.http_status(), e.exit_code()), (status, exit), "{e:?}");
        }
        // An error from an older node without a kind is a fault, never "bad input".
        let old: ApiError =
            serde_json::from_value(serde_json::json!({"code": "X", "message": "m"}))
                .expect("old shape");
        assert_eq!(old.kind, ErrorKind::Fault);
    }

    struct Echo;
    impl Api for Echo {
        fn call(&self, _: &Caller, req: Request) -> Result<Response, ApiError> {
            match req {
                Request::Genesis(_) => Ok(Response::Genesis(GenesisResponse {
                    genesis: "00".into(),
                    chain_id: "11".into(),
                })),
                _ => Ok(Response::OrgNonce(OrgNonceResponse {
                    org: "o".into(),
                    name: "n".into(),
                    next_nonce: 1,
                })),
            }
        }
    }

    #[test]
    fn call_typed_returns_the_endpoints_answer_or_a_fault() {
        let who = Caller::local(None);
        let g = call_typed(&Echo, &who, GenesisRequest {}).expect("genesis");
        assert_eq!(g.chain_id, "11");
        let e = call_typed(&Echo, &who, StatusRequest {}).expect_err("wrong answer");
        assert_eq!(
            (e.code.as_str(), e.kind),
            ("BAD_RESPONSE", ErrorKind::Fault)
        );
    }
}
