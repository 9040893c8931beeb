//! Certifications and notarized documents through the node's typed API on a real ledger
//! (sled on disk, real signatures): an auditor certifies a product and the farm, the
//! item's list shows both with how they apply; a revocation takes the product's off the
//! list of those that count at the next block; a document registered by its hash is
//! found with a verified proof, and a copy changed by one byte is not registered (with a
//! verified proof of absence). The `cert` and `doc` commands do the same on files, with
//! the command line's exit codes.

use crate::common;

use common::{gtin, handoff, ok};
use handoff_api::*;
use handoff_node::api::NodeApi;
use handoff_node::ledger::Ledger;

fn sha(bytes: &[u8]) -> String {
    handoff_core::types::sha256(&[bytes]).to_hex()
}

/// A farm's folder with an auditor admitted and a product defined; answers its GTIN.
fn farm_with_an_auditor(d: &std::path::Path) -> String {
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
    g
}

#[test]
fn an_auditor_certifies_and_revokes_and_documents_prove_what_was_registered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let g = farm_with_an_auditor(d);
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
                by: None,
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

/// The command line: `cert issue|list|suspend|reinstate|revoke` and `doc notarize|verify`
/// on a real folder, files hashed where they are.
#[test]
fn the_cert_and_doc_commands_certify_list_revoke_and_check_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let g = farm_with_an_auditor(d);
    let sn = format!("(01)0{g}(21)SN1");
    ok(d, &["item", "commission", &sn]);
    let certificate = d.join("certificate.pdf");
    std::fs::write(
        &certificate,
        b"%PDF-1.7 EU organic certificate DE-OKO-001 4711",
    )
    .expect("file");

    let issue = |who: &str, for_: &str, number: &str| {
        handoff(
            d,
            &[
                "--as",
                who,
                "cert",
                "issue",
                "--for",
                for_,
                "--scheme",
                "EU organic",
                "--number",
                number,
                "--from",
                "2025-01-01",
                "--until",
                "2034-01-01",
                "--doc",
                certificate.to_str().expect("path"),
            ],
        )
    };
    // Only an auditor certifies; an unknown GTIN is refused; both are ledger rules (exit 3).
    let (code, j, _) = issue("Acme Farms", &g, "X1");
    assert_eq!(
        (code, j["error"]["code"].as_str()),
        (3, Some("WRONG_ROLE")),
        "{j}"
    );
    let (code, j, _) = issue("Organic Control", &gtin("061414100099"), "X2");
    assert_eq!(
        (code, j["error"]["code"].as_str()),
        (3, Some("UNKNOWN_PRODUCT")),
        "{j}"
    );
    // A date that is no date is bad input (exit 2).
    let (code, j, _) = handoff(
        d,
        &[
            "--as",
            "Organic Control",
            "cert",
            "issue",
            "--for",
            &g,
            "--scheme",
            "EU organic",
            "--number",
            "X3",
            "--from",
            "yesterday",
            "--until",
            "2034-01-01",
        ],
    );
    assert_eq!(
        (code, j["error"]["code"].as_str()),
        (2, Some("BAD_ARGUMENT")),
        "{j}"
    );

    let (code, made, _) = issue("Organic Control", &g, "DE-OKO-001-4711");
    assert_eq!(code, 0, "{made}");
    let id = made["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 64);
    let listed = ok(d, &["cert", "list", "--for", &sn]);
    let certs = listed["certifications"].as_array().expect("list");
    assert_eq!(certs.len(), 1, "{listed}");
    assert_eq!(certs[0]["id"], id.as_str());
    assert_eq!(certs[0]["status"], "valid");
    assert_eq!(certs[0]["via"], "product");
    assert_eq!(certs[0]["issuer_name"], "Organic Control");
    // The document recorded is the file's SHA-256.
    let digest =
        handoff_core::types::sha256(&[&std::fs::read(&certificate).expect("file")]).to_hex();
    assert_eq!(certs[0]["document"], digest.as_str());
    // The auditor's own list (no --for): what it issued.
    let mine = ok(d, &["--as", "Organic Control", "cert", "list"]);
    assert_eq!(mine["certifications"][0]["id"], id.as_str(), "{mine}");
    assert_eq!(ok(d, &["cert", "list", "--by", "Organic Control"]), mine);

    // Someone else's certification is not theirs to revoke.
    let (code, j, _) = handoff(d, &["cert", "revoke", &id, "--reason", "no"]);
    assert_eq!(code, 3, "{j}");
    ok(
        d,
        &[
            "--as",
            "Organic Control",
            "cert",
            "suspend",
            &id,
            "--reason",
            "audit due",
        ],
    );
    let l = ok(d, &["cert", "list", "--for", &sn]);
    assert_eq!(l["certifications"][0]["status"], "suspended");
    assert_eq!(l["certifications"][0]["suspended"], "audit due");
    assert_eq!(
        ok(d, &["cert", "list", "--for", &sn, "--valid"])["certifications"],
        serde_json::json!([])
    );
    ok(d, &["--as", "Organic Control", "cert", "reinstate", &id]);
    assert_eq!(
        ok(d, &["cert", "list", "--for", &sn])["certifications"][0]["status"],
        "valid"
    );
    ok(
        d,
        &[
            "--as",
            "Organic Control",
            "cert",
            "revoke",
            &id,
            "--reason",
            "pesticide found",
        ],
    );
    let l = ok(d, &["cert", "list", "--for", &sn]);
    assert_eq!(l["certifications"][0]["status"], "revoked", "{l}");
    assert_eq!(
        ok(d, &["cert", "list", "--for", &sn, "--valid"])["certifications"],
        serde_json::json!([])
    );
    // Revoked is for good.
    let (code, j, _) = handoff(d, &["--as", "Organic Control", "cert", "reinstate", &id]);
    assert_eq!(
        (code, j["error"]["code"].as_str()),
        (3, Some("CERT_STANDING")),
        "{j}"
    );

    // Documents: notarized by hash, linked to the item; a one-byte change is not registered.
    let bl = d.join("bill-of-lading.pdf");
    std::fs::write(
        &bl,
        b"%PDF-1.7 Bill of lading MSKU 1234565, 20 bags Arabica",
    )
    .expect("file");
    let n = ok(
        d,
        &[
            "doc",
            "notarize",
            bl.to_str().expect("path"),
            "--type",
            "bill_of_lading",
            "--title",
            "B/L MSKU 1234565",
            "--link",
            &sn,
        ],
    );
    let height = n["height"].as_u64().expect("height");
    let v = ok(d, &["doc", "verify", bl.to_str().expect("path")]);
    assert_eq!(v["registered"], true, "{v}");
    assert_eq!(v["by_name"], "Acme Farms");
    assert_eq!(v["height"], height);
    assert_eq!(v["type"], "bill_of_lading");
    assert_eq!(v["links"][0], format!("/01/0{g}/21/SN1").as_str(), "{v}");
    assert_eq!(v["proof"]["verified"], true);
    let mut bytes = std::fs::read(&bl).expect("file");
    bytes[10] ^= 1;
    let changed = d.join("changed.pdf");
    std::fs::write(&changed, &bytes).expect("file");
    let (code, v, _) = handoff(d, &["doc", "verify", changed.to_str().expect("path")]);
    assert_eq!(code, 0, "not registered is an answer: {v}");
    assert_eq!(v["registered"], false, "{v}");
    assert_eq!(v["proof"]["verified"], true, "absence not proven: {v}");
    // A file that is not there is bad input, and nothing is registered.
    let (code, j, _) = handoff(
        d,
        &[
            "doc",
            "notarize",
            d.join("missing.pdf").to_str().expect("path"),
            "--type",
            "po",
        ],
    );
    assert_eq!(
        (code, j["error"]["code"].as_str()),
        (2, Some("FILE_UNREADABLE")),
        "{j}"
    );
    let (code, j, _) = handoff(
        d,
        &[
            "doc",
            "notarize",
            bl.to_str().expect("path"),
            "--type",
            "memo",
        ],
    );
    assert_eq!(
        (code, j["error"]["code"].as_str()),
        (2, Some("BAD_ARGUMENT")),
        "{j}"
    );
}
