//! The typed API is the command line's contract: for every query and action of a short
//! custody scenario, what `handoff --json` prints decodes into the operation's typed
//! response and encodes back to the same JSON, field for field (no field dropped, none
//! null where it was absent or absent where it was null); and every query asked of the
//! node's API in-process answers exactly what the command line printed.

use crate::common;

use common::{gtin, handoff, ok};
use handoff_api::*;
use handoff_node::api::NodeApi;
use handoff_node::ledger::Ledger;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::Path;

/// The CLI's JSON is exactly the typed response's JSON.
fn same_shape<T: DeserializeOwned + serde::Serialize>(what: &str, cli: &Value) -> T {
    let typed: T = serde_json::from_value(cli.clone()).unwrap_or_else(|e| {
        panic!("{what}: the CLI's JSON is not a {what} response: {e}\n{cli:#}")
    });
    let back = serde_json::to_value(&typed).expect("encode");
    assert_eq!(
        &back, cli,
        "{what}: typed response differs from the CLI's JSON"
    );
    typed
}

/// A query: the CLI's JSON, typed, equals the API's answer to the same request.
fn query<E: Endpoint>(d: &Path, me: Option<&str>, args: &[&str], req: E) -> E::Response
where
    E::Response: serde::Serialize + PartialEq + std::fmt::Debug,
{
    let mut full: Vec<&str> = Vec::new();
    if let Some(m) = me {
        full.extend(["--as", m]);
    }
    full.extend_from_slice(args);
    let cli = ok(d, &full);
    let typed: E::Response = same_shape(E::OP, &cli);
    let ledger = Ledger::open(d).expect("open");
    let api = NodeApi::ledger(&ledger);
    let answer = call_typed(&api, &Caller::local(me), req).expect("api call");
    assert_eq!(
        serde_json::to_value(&answer).expect("encode"),
        cli,
        "{}: the API answers otherwise than the CLI prints",
        E::OP
    );
    assert_eq!(answer, typed);
    answer
}

#[test]
fn cli_json_is_the_typed_api_response_for_every_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(
        d,
        &[
            "init",
            "--org",
            "Acme Farms",
            "--prefix",
            "0614141",
            "--gln",
            "0614141000005",
        ],
    );
    same_shape::<OrgAddResponse>(
        "org_add",
        &ok(
            d,
            &[
                "org",
                "add",
                "Bolt Freight",
                "--role",
                "carrier",
                "--role",
                "retailer",
            ],
        ),
    );
    let g = gtin("061414100001");
    let lot_g = gtin("061414100002");
    same_shape::<ProductDefineResponse>(
        "product_define",
        &ok(
            d,
            &[
                "product",
                "define",
                "--gtin",
                &g,
                "--name",
                "Arabica 1 kg",
                "--attr",
                "origin=Huila",
            ],
        ),
    );
    ok(
        d,
        &[
            "product",
            "define",
            "--gtin",
            &lot_g,
            "--name",
            "Beans bulk",
        ],
    );
    let sn1 = format!("(01)0{g}(21)SN1(17)271231(10)L7");
    let sn2 = format!("(01)0{g}(21)SN2(17)271231(10)L7");
    let codes_file = d.join("claim-codes.csv");
    let c = same_shape::<CommissionResponse>(
        "commission",
        &ok(
            d,
            &[
                "item",
                "commission",
                &sn1,
                &sn2,
                "--claim-codes",
                codes_file.to_str().expect("utf-8 path"),
            ],
        ),
    );
    assert_eq!(c.lot.as_deref(), Some("L7"));
    let code1 = c.claim_codes.as_ref().expect("claim codes")[0].code.clone();
    same_shape::<CommissionResponse>(
        "commission lot",
        &ok(
            d,
            &[
                "item",
                "commission",
                &format!("(01)0{lot_g}"),
                "--lot",
                "B1",
                "--qty",
                "50",
            ],
        ),
    );
    let body = "10614141000000001";
    let sscc = &format!(
        "(00){body}{}",
        handoff_core::gs1::check_digit(body).expect("digits")
    );
    same_shape::<Receipt>("pack", &ok(d, &["item", "pack", "--into", sscc, &sn2]));
    same_shape::<Receipt>(
        "observe",
        &ok(
            d,
            &[
                "item",
                "observe",
                &sn1,
                "--kind",
                "inspection",
                "--reading",
                "temp=4",
            ],
        ),
    );
    let lot = format!("(01)0{lot_g}(10)B1");
    let p = same_shape::<HandoffReceipt>(
        "propose",
        &ok(
            d,
            &[
                "handoff",
                "propose",
                "--to",
                "Bolt Freight",
                "--ownership",
                "--doc",
                "po=77",
                &sn1,
                sscc,
                &lot,
                "--qty",
                "20",
            ],
        ),
    );

    // Queries while the offer is open.
    query(d, None, &["status"], StatusRequest {});
    query(
        d,
        None,
        &["id", "parse", &sn1],
        IdParseRequest { scan: sn1.clone() },
    );
    let shown = query(
        d,
        None,
        &["item", "show", &sn1, "--proof"],
        ItemShowRequest {
            key: sn1.clone(),
            proof: true,
        },
    );
    assert!(shown.proof.is_some_and(|p| p.verified));
    let lot_shown = query(
        d,
        None,
        &["item", "show", &lot],
        ItemShowRequest {
            key: lot.clone(),
            proof: false,
        },
    );
    assert!(matches!(lot_shown.item, Thing::Lot(_)));
    query(
        d,
        None,
        &["item", "show", sscc],
        ItemShowRequest {
            key: sscc.clone(),
            proof: false,
        },
    );
    let inbox = query(
        d,
        Some("Bolt Freight"),
        &["handoff", "inbox"],
        InboxRequest {},
    );
    assert_eq!(inbox.incoming.len(), 1);
    query(
        d,
        None,
        &["handoff", "show", &p.handoff],
        HandoffShowRequest {
            id: p.handoff.clone(),
        },
    );
    query(
        d,
        None,
        &["product", "show", &g],
        ProductShowRequest { gtin: g.clone() },
    );
    query(d, None, &["org", "list"], OrgListRequest {});
    let inv = ok(
        d,
        &[
            "org",
            "invite",
            "Quay Traders",
            "--peer",
            "/ip4/127.0.0.1/tcp/7420",
        ],
    );
    let inv = same_shape::<OrgInviteResponse>("org_invite", &inv);
    let listed = query(d, None, &["org", "invitations"], OrgInvitationsRequest {});
    assert_eq!(listed.invitations[0].id, inv.ticket_id);
    assert_eq!(listed.invitations[0].status, "open");
    let revoked = same_shape::<OrgInviteRevokeResponse>(
        "org_invite_revoke",
        &ok(d, &["org", "revoke-invitation", &inv.ticket_id]),
    );
    assert_eq!(revoked.invitation.status, "revoked");
    query(d, None, &["org", "nonce"], OrgNonceRequest {});
    query(
        d,
        None,
        &["org", "log", "--limit", "3"],
        OrgLogRequest {
            org: None,
            limit: 3,
        },
    );
    query(d, None, &["genesis"], GenesisRequest {});
    let stock = query(
        d,
        Some("Bolt Freight"),
        &["stock"],
        StockRequest {
            product: None,
            lot: None,
            at: None,
            status: None,
            expiring_days: None,
        },
    );
    assert_eq!(stock.arrivals.len(), 1);
    query(
        d,
        None,
        &["stock", "--expiring", "3650", "--status", "in_transit"],
        StockRequest {
            product: None,
            lot: None,
            at: None,
            status: Some("in_transit".into()),
            expiring_days: Some(3650),
        },
    );
    query(
        d,
        None,
        &["activity", "--since", "1h", "--limit", "3"],
        ActivityRequest {
            since: Some("1h".into()),
            limit: 3,
        },
    );

    // Actions and queries after the offer is answered.
    same_shape::<HandoffReceipt>(
        "accept",
        &ok(
            d,
            &[
                "--as",
                "Bolt Freight",
                "handoff",
                "accept",
                &p.handoff,
                "--damaged",
                sscc,
            ],
        ),
    );
    same_shape::<Receipt>(
        "sell",
        &ok(d, &["--as", "Bolt Freight", "item", "sell", &sn1]),
    );
    same_shape::<Receipt>("claim", &ok(d, &["item", "claim", &sn1, &code1]));
    same_shape::<Receipt>(
        "recall",
        &ok(
            d,
            &[
                "product", "recall", "--gtin", &g, "--lot", "L7", "--reason", "mould",
            ],
        ),
    );
    let history = query(
        d,
        None,
        &["item", "history", &sn1],
        ItemHistoryRequest { key: sn1.clone() },
    );
    assert!(history.events.len() >= 4, "{history:?}");
    let verdict = query(
        d,
        None,
        &["verify", &sn1],
        VerifyRequest { scan: sn1.clone() },
    );
    assert_ne!(verdict.verdict, "genuine");
    query(
        d,
        None,
        &["verify", "not a code"],
        VerifyRequest {
            scan: "not a code".into(),
        },
    );
    query(
        d,
        None,
        &["item", "show", &sn2],
        ItemShowRequest {
            key: sn2.clone(),
            proof: false,
        },
    );
    query(
        d,
        None,
        &["product", "show", &g],
        ProductShowRequest { gtin: g.clone() },
    );

    // The validator set: shown, approved, changed (the one validator re-approves itself
    // for the next epoch), each answer the typed response.
    let v = query(d, None, &["validators", "show"], ValidatorsShowRequest {});
    let me = v.validators[0].clone();
    let a = same_shape::<ApprovalResponse>(
        "validators_approve",
        &ok(d, &["validators", "approve", "--epoch", "1", &me]),
    );
    let set = same_shape::<ValidatorsSetResponse>(
        "validators_set",
        &ok(
            d,
            &[
                "validators",
                "set",
                "--epoch",
                "1",
                &me,
                "--approval",
                &format!("{}:{}", a.validator, a.signature),
            ],
        ),
    );
    assert_eq!(set.epoch, 1);
    let v = query(d, None, &["validators", "show"], ValidatorsShowRequest {});
    assert_eq!((v.epoch, v.validators), (1, vec![me]));

    // Errors keep their codes and exit codes through the API.
    let (code, json, _) = handoff(d, &["item", "show", &format!("(01)0{g}(21)NOPE")]);
    assert_eq!(
        (code, json["error"]["code"].as_str()),
        (2, Some("UNKNOWN_ITEM"))
    );
    let ledger = Ledger::open(d).expect("open");
    let api = NodeApi::ledger(&ledger);
    let e = call_typed(
        &api,
        &Caller::local(None),
        ItemShowRequest {
            key: format!("(01)0{g}(21)NOPE"),
            proof: false,
        },
    )
    .expect_err("unknown");
    assert_eq!(
        (e.code.as_str(), e.http_status(), e.exit_code()),
        ("UNKNOWN_ITEM", 404, 2)
    );
    // An action from a caller that did not authenticate is refused before anything runs.
    let e = call_typed(
        &api,
        &Caller::anonymous(),
        SellRequest {
            scans: vec![sn2.clone()],
        },
    )
    .expect_err("anonymous");
    assert_eq!((e.code.as_str(), e.http_status()), ("UNAUTHORIZED", 401));
    // A ledger rule's refusal is a rejection: 422, exit 3.
    let e = call_typed(
        &api,
        &Caller::local(None),
        SellRequest {
            scans: vec![sn1.clone()],
        },
    )
    .expect_err("sold already, and not ours");
    assert_eq!(
        (e.kind, e.http_status(), e.exit_code()),
        (ErrorKind::Rejected, 422, 3)
    );
    // Every defined product is listed.
    let list = call_typed(&api, &Caller::anonymous(), ProductListRequest {}).expect("list");
    let gtins: Vec<String> = list.products.iter().map(|p| p.gtin.clone()).collect();
    assert_eq!(gtins, vec![format!("0{g}"), format!("0{lot_g}")]);
}
