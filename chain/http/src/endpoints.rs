//! Every endpoint type of the API, walked once by the router and once by the OpenAPI
//! document. The route table (`handoff_api::routes()`) names each endpoint by its
//! method, path and operation; a route is served only if its request type is listed
//! here, and a test proves the two agree, so an endpoint added to the API without being
//! added here fails the build's tests rather than answering 404.

use crate::api::{self, Endpoint};
use utoipa::ToSchema;

/// What walks the endpoint types.
pub(crate) trait Visit {
    /// One endpoint type.
    fn endpoint<E>(&mut self)
    where
        E: Endpoint + ToSchema + Send + 'static,
        E::Response: ToSchema + Send;
}

macro_rules! visit_all {
    ($v:ident: $($t:ident),* $(,)?) => {
        $( $v.endpoint::<api::$t>(); )*
    };
}

/// Walks every endpoint type of the API.
pub(crate) fn visit<V: Visit>(v: &mut V) {
    visit_all!(v:
        StatusRequest, IdParseRequest, LookupRequest, ItemShowRequest, ItemHistoryRequest,
        VerifyRequest, EvidenceRequest, InboxRequest, OutgoingRequest, StockRequest, ActivityRequest,
        HandoffShowRequest, ProductListRequest,
        ProductShowRequest, ProductImageRequest, OrgListRequest, OrgNonceRequest, OrgLogRequest,
        OutboxRequest, LightShowRequest,
        NodeInfoRequest, GenesisRequest, IdentitiesRequest, NetworkShowRequest,
        CommissionRequest, ProposeRequest, AcceptRequest, RejectRequest, CancelRequest,
        PackRequest, UnpackRequest, ProductDefineRequest, ProductLicenseRequest,
        ProductRecallRequest, ObserveRequest, TransformRequest, SellRequest, ClaimRequest,
        StolenRequest, DecommissionRequest, CorrectRequest, OrgAddRequest, OrgInviteRequest,
        OrgInvitationsRequest, OrgInviteRevokeRequest,
        DeviceAuthorizeRequest, DeviceRevokeRequest, LabelRequest, IdentitySwitchRequest,
        NetworkSetRequest, CertListRequest, DocVerifyRequest, CertIssueRequest,
        CertChangeRequest, DocNotarizeRequest,
        ValidatorsShowRequest, ValidatorsApproveRequest, ValidatorsSetRequest,
        EpcisCheckRequest, EpcisImportRequest, EpcisExportRequest, EpcisQueryRequest,
        TxProofRequest,
        FinanceListRequest, FinanceShowRequest, FinanceEvidenceRequest, FinancePortfolioRequest,
        FinanceExportRequest, FinanceEnableRequest, ReceivableIssueRequest,
        ReceivableConfirmRequest, ReceivableRequestFinanceRequest, ReceivableOfferRequest,
        ReceivableAcceptOfferRequest, ReceivableFundRequest, ReceivableRepayRequest,
        ReceivableSplitRequest, ReceivableTransferRequest, ReceivableDiluteRequest,
        ReceivableOverdueRequest, ReceivableDefaultRequest, ReceivableRecoverRequest,
        ReceivableWriteOffRequest, ReceivableSettleRequest, ReceiptIssueRequest,
        ReceiptPledgeRequest, ReceiptAcceptPledgeRequest, ReceiptReleaseRequest,
        ReceiptEnforceRequest,
        PairTicketRequest, PairRedeemRequest, TxSubmitRequest, SignerNonceRequest,
    );
}

/// `(method, path, op)` of every endpoint type listed here.
#[cfg(test)]
pub(crate) fn listed() -> Vec<(api::Method, &'static str, &'static str)> {
    struct L(Vec<(api::Method, &'static str, &'static str)>);
    impl Visit for L {
        fn endpoint<E>(&mut self)
        where
            E: Endpoint + ToSchema + Send + 'static,
            E::Response: ToSchema + Send,
        {
            self.0.push((E::METHOD, E::PATH, E::OP));
        }
    }
    let mut l = L(Vec::new());
    visit(&mut l);
    l.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_of_the_table_is_served_and_nothing_else() {
        let mut table: Vec<_> = crate::api::routes()
            .into_iter()
            .map(|r| (r.method, r.path, r.op))
            .collect();
        let mut served = super::listed();
        table.sort_by_key(|r| (r.1, r.0.as_str()));
        served.sort_by_key(|r| (r.1, r.0.as_str()));
        assert_eq!(served, table);
    }
}
