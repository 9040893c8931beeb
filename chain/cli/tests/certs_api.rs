//! Certifications and notarized documents through the node's typed API on a real ledger
//! (sled on disk, real signatures): an auditor certifies a product and the farm, the
//! item's list shows both with how they apply; a revocation takes the product's off the
//! list of those that count at the next block; a document registered by its hash is
//! found with a verified proof, and a copy changed by one byte is not registered (with a
//! verified proof of absence).

mod common;

use common::{gtin, ok};
use handoff_api::*;
use handoff_node::api::NodeApi;
use handoff_node::ledger::Ledger;

fn sha(bytes: &[u8]) -> String {
    handoff_core::types::sha256(&[bytes]).to_hex()
}

#[test]
fn an_auditor_certifies_and_revokes_and_documents_prove_what_was_registered() {
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
    ok(d, &["org", "add", "Organic Control", "--role", "auditor"]);
    let g = gtin("061414100001");
    ok(
        d,
        &["product", "define", "--gtin", &g, "--name", "Arabica 1 kg"],
    );
    let sn = format!("(01)0{g}(21)SN1(10)L7");
    ok(d, &["item", "commission", &sn]);

    let ledger = Ledger::open(d).expect("open");
    let api = NodeApi::ledger(&ledger);
    let auditor = Caller::local(Some("Organic Control"));
    let farm = Caller::local(None);
    let issue = |for_: &str, number: &str| CertIssueRequest {
        for_: for_.into(),
        scheme: "EU organic".into(),
        standard: "EU 2018/848".into(),
        number: number.into(),
        from: "2026-01-01".into(),
        until: "2030-12-31".into(),
        document: Some(sha(b"certificate scan")),
    };
    // The farm is not an auditor.
    let e = call_typed(&api, &farm, issue(&g, "SELF")).expect_err("a farm certified");
    assert_eq!(e.code, "WRONG_ROLE");
    // An unknown GTIN is refused with its code.
    let e = call_typed(&api, &auditor, issue(&gtin("061414199999"), "X")).expect_err("ghost GTIN");
    assert_eq!(e.code, "UNKNOWN_PRODUCT");
    let product = call_typed(&api, &auditor, issue(&g, "DE-OKO-1")).expect("certify product");
    call_typed(&api, &auditor, issue("org:Acme Farms", "FARM-7")).expect("certify farm");

    let list = |valid: bool| {
        call_typed(
            &api,
            &farm,
            CertListRequest {
                for_: sn.clone(),
                valid,
            },
        )
        .expect("list")
        .certifications
        .into_iter()
        .map(|c| (c.number, c.via.unwrap_or_default(), c.status))
        .collect::<Vec<_>>()
    };
    assert_eq!(
        list(true),
        vec![
            (
                "DE-OKO-1".to_string(),
                "product".to_string(),
                "valid".to_string()
            ),
            (
                "FARM-7".to_string(),
                "producer".to_string(),
                "valid".to_string()
            ),
        ]
    );
    call_typed(
        &api,
        &auditor,
        CertChangeRequest {
            id: product.id.clone(),
            change: "revoke".into(),
            reason: "residues above the limit".into(),
        },
    )
    .expect("revoke");
    assert_eq!(
        list(true),
        vec![(
            "FARM-7".to_string(),
            "producer".to_string(),
            "valid".to_string()
        )]
    );
    let all = list(false);
    assert!(
        all.contains(&("DE-OKO-1".into(), "product".into(), "revoked".into())),
        "{all:?}"
    );
    // Dates that are not dates are the caller's error, not a certification.
    let mut bad = issue(&g, "BAD-DATE");
    bad.until = "next year".into();
    let e = call_typed(&api, &auditor, bad).expect_err("bad date");
    assert_eq!(
        (e.code.as_str(), e.kind),
        ("BAD_ARGUMENT", ErrorKind::Input)
    );

    // A bill of lading, registered by its hash and linked to the item.
    let file = b"BILL OF LADING 4711: 1 x Arabica 1 kg".to_vec();
    let n = call_typed(
        &api,
        &farm,
        DocNotarizeRequest {
            hash: sha(&file),
            kind: "bill_of_lading".into(),
            title: "B/L 4711".into(),
            links: vec![sn.clone()],
        },
    )
    .expect("notarize");
    assert_eq!(n.hash, sha(&file));
    let v = call_typed(&api, &farm, DocVerifyRequest { hash: sha(&file) }).expect("verify");
    assert!(
        v.registered && v.proof.verified && v.proof.certified,
        "{v:?}"
    );
    assert_eq!(v.by_name.as_deref(), Some("Acme Farms"));
    assert_eq!(v.kind.as_deref(), Some("bill_of_lading"));
    assert_eq!(v.height, n.height);
    assert_eq!(v.links.len(), 1);
    let mut changed = file.clone();
    changed[5] ^= 0x20;
    let v = call_typed(
        &api,
        &farm,
        DocVerifyRequest {
            hash: sha(&changed),
        },
    )
    .expect("verify");
    assert!(!v.registered, "a changed file verified: {v:?}");
    assert!(v.proof.verified, "the absence is not proven: {v:?}");
    // Registering it again is refused; the record is unchanged.
    let again = DocNotarizeRequest {
        hash: sha(&file),
        kind: "bill_of_lading".into(),
        title: "B/L 4711".into(),
        links: vec![],
    };
    let e = call_typed(&api, &farm, again).expect_err("registered twice");
    assert_eq!(e.code, "DOC_EXISTS");
}
