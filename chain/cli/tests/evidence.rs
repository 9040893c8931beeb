//! The evidence the consumer page checks (`handoff_core::evidence`), built by a real node
//! on the demo chain (sled on disk, real signatures): for every demo example and a sample
//! of the demo's bags, the verdict recomputed from the evidence alone, anchored only in
//! the genesis, equals the node's own `verify`; and evidence that a lying node altered —
//! a changed record, a record left out, a history cut short, another chain's header, a
//! header no validator signed, garbage — is refused with its code, never a verdict. The
//! certifications it proves are those the node's certification list gives, and hiding
//! one is refused too.

use handoff_api::Caller;
use handoff_api::{CertListRequest, EvidenceRequest, VerifyRequest, call_typed};
use handoff_core::evidence::{Anchor, Evidence, EvidenceError, check};
use handoff_core::state::StateKey;
use handoff_core::types::Hash32;
use handoff_node::api::NodeApi;
use handoff_node::ledger::{Ledger, now_ms};
use handoff_node::view::rfc3339;
use std::path::Path;

struct Demo {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    examples: Vec<String>,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let out = handoff_cli::demo::run(
        &data,
        handoff_cli::demo::DemoArgs {
            bags: 250,
            quiet: true,
        },
    )
    .expect("demo");
    let ex = &out.json["examples"];
    let examples = [
        "sold_bag",
        "shelf_bag",
        "missing_bag",
        "recalled_lot",
        "pallet",
        "green_lot",
    ]
    .iter()
    .map(|k| ex[k].as_str().expect("example").to_string())
    .collect();
    let ledger = Ledger::open(Path::new(&data)).expect("open");
    Demo {
        _dir: dir,
        ledger,
        examples,
    }
}

fn anchor(ledger: &Ledger) -> Anchor {
    let g = ledger.store.genesis().expect("genesis");
    Anchor {
        chain_id: g.chain_id(),
        validators: g.validators,
    }
}

fn served(api: &NodeApi, scan: &str) -> Evidence {
    let r = call_typed(
        api,
        &Caller::anonymous(),
        EvidenceRequest {
            scan: scan.to_string(),
        },
    )
    .expect("evidence");
    let bytes = hex::decode(&r.evidence).expect("hex");
    assert_eq!(bytes.len() as u64, r.bytes);
    let e = Evidence::decode(&bytes).expect("decodes");
    assert_eq!(e.header.height, r.height);
    e
}

#[test]
fn the_page_recomputes_the_nodes_verdict_from_evidence_alone() {
    let d = demo();
    let api = NodeApi::ledger(&d.ledger);
    let anchor = anchor(&d.ledger);
    let mut scans = d.examples.clone();
    // Bags of every fate the demo gives them, by their serials.
    let sample = &d.examples[0];
    let prefix = sample.rsplit_once('/').expect("a serial").0.to_string();
    for n in [1, 7, 49, 50, 120, 201, 249] {
        scans.push(format!("{prefix}/E2610{n:05}"));
    }
    // Codes that are not items: never commissioned, malformed, a product code alone.
    scans.push(format!("{prefix}/NEVER-MADE"));
    scans.push("/01/12345/21/x".to_string());
    let gtin_only = prefix.rsplit_once("/21").expect("gtin").0.to_string();
    scans.push(gtin_only);
    let mut verdicts = std::collections::BTreeSet::new();
    let mut journeys = 0;
    for scan in &scans {
        let node = call_typed(
            &api,
            &Caller::anonymous(),
            VerifyRequest { scan: scan.clone() },
        )
        .expect("verify");
        let e = served(&api, scan);
        let got = check(&e, &anchor, scan, now_ms()).unwrap_or_else(|err| {
            panic!("evidence for {scan} does not check: {err}");
        });
        let verdict = serde_json::to_value(got.report.verdict).expect("json");
        assert_eq!(verdict, node.verdict.as_str(), "{scan}");
        let codes: Vec<&str> = got.report.reasons.iter().map(|r| r.code).collect();
        let node_codes: Vec<&str> = node.reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, node_codes, "{scan}");
        verdicts.insert(node.verdict.clone());
        if !got.journey.is_empty() {
            journeys += 1;
            // An item's or lot's journey starts where it was made; a pallet's where it
            // was packed.
            let first = if scan.starts_with("/00/") {
                "pack"
            } else {
                "commission"
            };
            assert_eq!(got.journey[0].event.kind, first, "{scan}");
        }
    }
    // The sample covers what a shopper can meet.
    for v in ["genuine", "warning", "counterfeit"] {
        assert!(verdicts.contains(v), "no {v} verdict among {verdicts:?}");
    }
    assert!(journeys >= 6, "only {journeys} journeys");
}

fn expect_refused(e: &Evidence, anchor: &Anchor, scan: &str, code: &str) {
    match check(e, anchor, scan, now_ms()) {
        Ok(c) => panic!(
            "altered evidence for {scan} gave a verdict: {:?}",
            c.report.verdict
        ),
        Err(err) => assert_eq!(err.code(), code, "{err}"),
    }
}

#[test]
fn evidence_a_node_altered_is_refused_never_believed() {
    let d = demo();
    let api = NodeApi::ledger(&d.ledger);
    let anchor = anchor(&d.ledger);
    // The recalled lot: hiding its recall is what a lying node would want.
    let scan = d.examples[3].clone();
    let honest = served(&api, &scan);
    check(&honest, &anchor, &scan, now_ms()).expect("honest evidence checks");

    // A record's bytes changed (e.g. the recall removed): its proof no longer leads to
    // the certified root.
    let mut e = honest.clone();
    let v = e
        .records
        .iter_mut()
        .find_map(|r| r.value.as_mut())
        .expect("a present record");
    let last = v.len() - 1;
    v[last] ^= 1;
    expect_refused(&e, &anchor, &scan, "EVIDENCE_PROOF_INVALID");

    // Any record left out: refused. The product's record (with its recall) leaves the
    // verdict uncomputable; a record whose history is served leaves that history without
    // the head it must match.
    for i in 0..honest.records.len() {
        let mut e = honest.clone();
        let gone = e.records.remove(i);
        let with_history = e
            .histories
            .iter()
            .any(|h| [b"i".as_slice(), h.key.as_bytes()].concat() == gone.key);
        let code = if with_history {
            "EVIDENCE_HISTORY_INVALID"
        } else {
            "EVIDENCE_INCOMPLETE"
        };
        expect_refused(&e, &anchor, &scan, code);
    }

    // A history cut short, or with an event changed.
    let mut e = honest.clone();
    let h = e
        .histories
        .iter_mut()
        .find(|h| h.events.len() > 1)
        .expect("a history");
    h.events.pop();
    expect_refused(&e, &anchor, &scan, "EVIDENCE_HISTORY_INVALID");
    let mut e = honest.clone();
    let ev = &mut e.histories[0].events[0];
    let last = ev.len() - 1;
    ev[last] ^= 1;
    expect_refused(&e, &anchor, &scan, "EVIDENCE_HISTORY_INVALID");

    // A history the journey needs, left out.
    let mut e = honest.clone();
    e.histories.clear();
    expect_refused(&e, &anchor, &scan, "EVIDENCE_INCOMPLETE");

    // Proofs against a root the validators did not sign.
    let mut e = honest.clone();
    e.header.state_root = Hash32([7; 32]);
    expect_refused(&e, &anchor, &scan, "EVIDENCE_NOT_CERTIFIED");
    // A header certified by someone else (a validator set the page does not trust).
    let stranger = Anchor {
        chain_id: anchor.chain_id,
        validators: vec![handoff_core::crypto::Keypair::from_secret([9; 32]).public()],
    };
    expect_refused(&honest, &stranger, &scan, "EVIDENCE_NOT_CERTIFIED");
    // Another chain.
    let other = Anchor {
        chain_id: Hash32([1; 32]),
        validators: anchor.validators.clone(),
    };
    expect_refused(&honest, &other, &scan, "EVIDENCE_OTHER_CHAIN");
    // Proofs at another height than the header's.
    let mut e = honest.clone();
    e.records[0].height += 1;
    expect_refused(&e, &anchor, &scan, "EVIDENCE_PROOF_INVALID");

    // Bytes that are not evidence, or too many.
    let bytes = honest.encode();
    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        let err = Evidence::decode(&bytes[..cut]).expect_err("a cut encoding decoded");
        assert!(matches!(err, EvidenceError::Malformed(_)));
    }
    let huge = vec![0u8; handoff_core::limits::MAX_EVIDENCE_BYTES + 1];
    assert_eq!(
        Evidence::decode(&huge).expect_err("oversized").code(),
        "EVIDENCE_MALFORMED"
    );
}

/// A certification as both sides name it.
#[derive(Debug, PartialEq, Eq)]
struct CertLine {
    id: String,
    scheme: String,
    number: String,
    issuer: String,
    status: String,
    via: String,
    from: String,
    until: String,
}

/// The certifications the evidence proves for an item or lot, as the node's certification
/// list names them.
fn proven_certs(c: &handoff_core::evidence::Checked, scan: &str) -> Vec<CertLine> {
    use handoff_core::certify::CertSubject;
    let thing = handoff_core::gs1::parse_scan(scan).expect("a scan").key;
    c.certifications
        .iter()
        .map(|a| {
            let via = match &a.via {
                CertSubject::Thing(k) if *k == thing => "thing",
                CertSubject::Thing(_) => "lot",
                CertSubject::Product(_) => "product",
                CertSubject::Org(_) => "producer",
                CertSubject::Location(_) => "location",
            };
            CertLine {
                id: a.record.id.to_hex(),
                scheme: a.record.cert.scheme.clone(),
                number: a.record.cert.number.clone(),
                issuer: c.names.get(&a.record.issuer).cloned().unwrap_or_default(),
                status: a.status.as_str().to_string(),
                via: via.to_string(),
                from: rfc3339(a.record.cert.valid_from_ms),
                until: rfc3339(a.record.cert.valid_until_ms),
            }
        })
        .collect()
}

#[test]
fn the_certifications_the_page_shows_are_the_nodes_proven() {
    let d = demo();
    let api = NodeApi::ledger(&d.ledger);
    let anchor = anchor(&d.ledger);
    let mut seen = std::collections::BTreeSet::new();
    // Bags, the recalled lot (its certificate was revoked), a pallet, the green lot.
    for scan in &d.examples {
        let listed = call_typed(
            &api,
            &Caller::anonymous(),
            CertListRequest {
                for_: scan.clone(),
                by: None,
                valid: false,
            },
        )
        .expect("cert list");
        let e = served(&api, scan);
        // At the chain time the node's list judges by (no block comes in between).
        let got = check(&e, &anchor, scan, e.header.time_ms).expect("evidence checks");
        let node: Vec<_> = listed
            .certifications
            .iter()
            .map(|c| CertLine {
                id: c.id.clone(),
                scheme: c.scheme.clone(),
                number: c.number.clone(),
                issuer: c.issuer_name.clone(),
                status: c.status.clone(),
                via: c.via.clone().unwrap_or_default(),
                from: c.valid_from.clone(),
                until: c.valid_until.clone(),
            })
            .collect();
        assert_eq!(proven_certs(&got, scan), node, "{scan}");
        for c in &node {
            seen.insert((c.scheme.clone(), c.status.clone()));
        }
    }
    // The demo's certifications reach the page: the espresso's organic one through its
    // product, the farm's Fairtrade through the green lot's maker, the filter roast's
    // revoked one.
    for want in [
        ("EU organic", "valid"),
        ("Fairtrade", "valid"),
        ("Rainforest Alliance", "revoked"),
    ] {
        assert!(
            seen.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not among {seen:?}"
        );
    }
}

#[test]
fn evidence_without_a_certification_is_refused() {
    let d = demo();
    let api = NodeApi::ledger(&d.ledger);
    let anchor = anchor(&d.ledger);
    let scan = d.examples[1].clone();
    let honest = served(&api, &scan);
    let got = check(&honest, &anchor, &scan, now_ms()).expect("honest evidence checks");
    assert!(
        !got.certifications.is_empty(),
        "no certification for {scan}"
    );
    // The certification record itself, and the product's list of certifications: a
    // node that hides either (to drop a revoked or a valid certificate from the page)
    // gets "could not verify".
    let cert_key = |k: &[u8]| {
        got.certifications
            .iter()
            .any(|a| k == StateKey::Certification(a.record.id).to_bytes().as_slice())
    };
    let list_key = |k: &[u8]| {
        got.certifications
            .iter()
            .any(|a| k == StateKey::CertsOf(a.via.index_key()).to_bytes().as_slice())
    };
    for hidden in [
        &cert_key as &dyn Fn(&[u8]) -> bool,
        &list_key as &dyn Fn(&[u8]) -> bool,
    ] {
        let mut e = honest.clone();
        let before = e.records.len();
        e.records.retain(|r| !hidden(&r.key));
        assert!(e.records.len() < before, "no such record in the evidence");
        expect_refused(&e, &anchor, &scan, "EVIDENCE_INCOMPLETE");
    }
    // A certification's record changed (say, its revocation removed): its proof fails.
    let mut e = honest.clone();
    let rec = e
        .records
        .iter_mut()
        .find(|r| cert_key(&r.key))
        .expect("a certification record");
    let v = rec.value.as_mut().expect("present");
    let last = v.len() - 1;
    v[last] ^= 1;
    expect_refused(&e, &anchor, &scan, "EVIDENCE_PROOF_INVALID");
}
