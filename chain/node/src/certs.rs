//! Certifications and notarized documents on a node's ledger: the typed API's
//! `cert_*` and `doc_*` operations (rules in `handoff_core::certify`).

use crate::api::{R, commit_one, prove_view, resolve_handoff, resolve_org, scan};
use crate::error::CliError;
use crate::identity::Identity;
use crate::ledger::Ledger;
use crate::view::rfc3339;
use handoff_api::{
    CertChangeRequest, CertIssueRequest, CertListRequest, CertListResponse, CertView,
    DocNotarizeRequest, DocNotarizeResponse, DocRegistrationView, DocVerifyRequest,
    DocVerifyResponse,
};
use handoff_core::certify::{
    self, CertChange, CertRecord, CertStatus, CertSubject, Certify, DocKind, DocLink, Notarize,
};
use handoff_core::gs1::{self, Gs1Key};
use handoff_core::query::HistoryRead;
use handoff_core::state::{Record, StateKey, StateRead, StateReadExt};
use handoff_core::tx::{Payload, SignedTx};
use handoff_core::types::{Hash32, PublicKey};

/// A certification subject from the command line's `--for`: `gln:NUMBER`, `org:NAME|KEY`,
/// a GTIN (8–14 digits), or a scan of an item, lot or container.
pub(crate) fn subject(ledger: &Ledger, s: &str) -> R<CertSubject> {
    let s = s.trim();
    if let Some(g) = s.strip_prefix("gln:") {
        let g = g.trim().to_string();
        Gs1Key::Gln {
            gln: g.clone(),
            extension: None,
        }
        .validate()
        .map_err(|e| CliError::input("BAD_ID", format!("GLN '{g}': {e}")))?;
        return Ok(CertSubject::Location(g));
    }
    if let Some(o) = s.strip_prefix("org:") {
        return Ok(CertSubject::Org(resolve_org(ledger, o)?));
    }
    if (8..=14).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        let g = gs1::normalize_gtin(s)
            .map_err(|e| CliError::input("BAD_ID", format!("GTIN '{s}': {e}")))?;
        return Ok(CertSubject::Product(g));
    }
    Ok(CertSubject::Thing(scan(s)?.key))
}

/// A date (`YYYY-MM-DD`, the start of that day in UTC) or a moment (RFC 3339) as unix ms.
pub(crate) fn moment(what: &str, s: &str) -> R<i64> {
    let s = s.trim();
    let bad = |e: String| {
        CliError::input(
            "BAD_ARGUMENT",
            format!("{what} '{s}' is not a date (YYYY-MM-DD) or a time (RFC 3339): {e}"),
        )
    };
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    let d: jiff::civil::Date = s.parse().map_err(|e: jiff::Error| bad(e.to_string()))?;
    let t = jiff::tz::TimeZone::UTC
        .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|e| bad(e.to_string()))?;
    Ok(t.as_millisecond())
}

fn hash_arg(s: &str) -> R<Hash32> {
    Hash32::from_hex(&s.trim().to_lowercase()).ok_or_else(|| {
        CliError::input(
            "BAD_ARGUMENT",
            format!("'{s}' is not a SHA-256 hash (64 hex digits)"),
        )
    })
}

fn org_name(ledger: &Ledger, k: &PublicKey) -> R<String> {
    Ok(ledger.store.org(k)?.map_or_else(|| k.short(), |o| o.name))
}

fn cert_view(
    ledger: &Ledger,
    r: CertRecord,
    status: CertStatus,
    via: Option<String>,
) -> R<CertView> {
    let (subject_kind, subject) = match &r.cert.subject {
        CertSubject::Product(g) => ("product", g.clone()),
        CertSubject::Thing(k) => ("thing", k.canonical()),
        CertSubject::Org(o) => ("org", o.to_hex()),
        CertSubject::Location(g) => ("location", g.clone()),
    };
    Ok(CertView {
        id: r.id.to_hex(),
        issuer: r.issuer.to_hex(),
        issuer_name: org_name(ledger, &r.issuer)?,
        subject_kind: subject_kind.into(),
        subject,
        scheme: r.cert.scheme,
        standard: r.cert.standard,
        number: r.cert.number,
        valid_from: rfc3339(r.cert.valid_from_ms),
        valid_until: rfc3339(r.cert.valid_until_ms),
        document: r.cert.document.map(|h| h.to_hex()),
        status: status.as_str().into(),
        suspended: r.suspended,
        revoked: r.revoked,
        issued_height: r.issued_height,
        via,
    })
}

/// The places an item was made at or passed, from its journey (GLNs, first seen first).
fn places(ledger: &Ledger, key: &Gs1Key) -> R<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in ledger.store.events(&key.canonical())? {
        if let Some(g) = e.at
            && !out.contains(&g)
        {
            out.push(g);
        }
    }
    Ok(out)
}

/// Through what a certification applies to `thing` (for the `via` field).
fn via(thing: &Gs1Key, s: &CertSubject) -> &'static str {
    match s {
        CertSubject::Thing(k) if k == thing => "thing",
        CertSubject::Thing(_) => "lot",
        CertSubject::Product(_) => "product",
        CertSubject::Org(_) => "producer",
        CertSubject::Location(_) => "location",
    }
}

/// `me`: the caller's org when it is signed in (for a list with neither `for` nor `by`).
pub(crate) fn list(
    ledger: &Ledger,
    r: CertListRequest,
    me: Option<PublicKey>,
) -> R<CertListResponse> {
    if r.for_.trim().is_empty() {
        let issuer = match (&r.by, me) {
            (Some(by), _) => resolve_org(ledger, by)?,
            (None, Some(me)) => me,
            (None, None) => {
                return Err(CliError::input(
                    "BAD_ARGUMENT",
                    "say what the certifications are of (`for`) or who issued them (`by`)",
                ));
            }
        };
        return issued_by(ledger, issuer, r.valid);
    }
    if r.by.is_some() {
        return Err(CliError::input(
            "BAD_ARGUMENT",
            "`for` and `by` are two different lists: give one",
        ));
    }
    let subject = subject(ledger, &r.for_)?;
    let time_ms = ledger.store.last_header()?.time_ms;
    let (subjects, thing) = match &subject {
        CertSubject::Thing(k) => {
            let (lot, producer) = match ledger.store.read(&StateKey::item(k))? {
                Some(Record::Item(it)) => (it.lot, Some(it.commissioned_by)),
                Some(Record::Lot(l)) => (None, Some(l.commissioned_by)),
                _ => {
                    return Err(CliError::input(
                        "UNKNOWN_ITEM",
                        format!("{} was never commissioned", k.canonical()),
                    ));
                }
            };
            let subjects = certify::subjects_of(k, lot.as_deref(), producer, places(ledger, k)?);
            (subjects, Some(k.clone()))
        }
        other => (vec![other.clone()], None),
    };
    let mut certifications = Vec::new();
    for a in certify::applicable(&ledger.store, &subjects, time_ms)? {
        if r.valid && !a.status.counts() {
            continue;
        }
        let v = thing.as_ref().map(|t| via(t, &a.via).to_string());
        certifications.push(cert_view(ledger, a.record, a.status, v)?);
    }
    Ok(CertListResponse {
        certifications,
        at: rfc3339(time_ms),
    })
}

/// The certifications `issuer` issued (from its committed `Certify` transactions), those
/// that count first, then suspended, not yet valid, expired and revoked; each group by
/// expiry, soonest first.
fn issued_by(ledger: &Ledger, issuer: PublicKey, valid: bool) -> R<CertListResponse> {
    let time_ms = ledger.store.last_header()?.time_ms;
    let mut found: Vec<(CertRecord, CertStatus)> = Vec::new();
    for (loc, id) in ledger.store.org_txs(&issuer, usize::MAX)? {
        let missing = || {
            CliError::failed(
                "STORE_FAULT",
                format!(
                    "transaction {} of block {} is indexed but not readable",
                    id.short(),
                    loc.height
                ),
            )
        };
        let block = ledger.store.block(loc.height)?.ok_or_else(missing)?;
        let (Some(wire), Some(outcome)) = (
            block.txs.get(loc.index as usize),
            block.outcomes.get(loc.index as usize),
        ) else {
            return Err(missing());
        };
        if outcome.code.is_some() {
            continue;
        }
        let tx = SignedTx::decode(wire).map_err(|_| missing())?;
        let Payload::Certify(c) = tx.body.payload else {
            continue;
        };
        let cid = c.id(&issuer);
        match ledger.store.read(&StateKey::Certification(cid))? {
            Some(Record::Certification(rec)) => {
                let st = rec.status(time_ms);
                if !valid || st.counts() {
                    found.push((rec, st));
                }
            }
            _ => {
                return Err(CliError::failed(
                    "STORE_FAULT",
                    format!(
                        "certification {} was issued but is not readable",
                        cid.short()
                    ),
                ));
            }
        }
    }
    let rank = |s: CertStatus| match s {
        CertStatus::Valid => 0,
        CertStatus::Suspended => 1,
        CertStatus::NotYetValid => 2,
        CertStatus::Expired => 3,
        CertStatus::Revoked => 4,
    };
    found.sort_by_key(|(r, s)| (rank(*s), r.cert.valid_until_ms, r.issued_height));
    let certifications = found
        .into_iter()
        .map(|(r, s)| cert_view(ledger, r, s, None))
        .collect::<R<Vec<_>>>()?;
    Ok(CertListResponse {
        certifications,
        at: rfc3339(time_ms),
    })
}

pub(crate) fn issue(
    ledger: &Ledger,
    signer: &Identity,
    r: CertIssueRequest,
) -> R<handoff_api::CertIssueResponse> {
    let c = Certify {
        subject: subject(ledger, &r.for_)?,
        scheme: r.scheme,
        standard: r.standard,
        number: r.number,
        valid_from_ms: moment("--from", &r.from)?,
        valid_until_ms: moment("--until", &r.until)?,
        document: r.document.as_deref().map(hash_arg).transpose()?,
    };
    let id = c.id(&signer.key.public());
    let rc = commit_one(ledger, signer, Payload::Certify(c))?;
    Ok(handoff_api::CertIssueResponse {
        id: id.to_hex(),
        tx: rc.tx.to_hex(),
        height: rc.height,
    })
}

pub(crate) fn change(
    ledger: &Ledger,
    signer: &Identity,
    r: CertChangeRequest,
) -> R<handoff_api::Receipt> {
    let change = match r.change.as_str() {
        "suspend" => CertChange::Suspend,
        "reinstate" => CertChange::Reinstate,
        "revoke" => CertChange::Revoke,
        other => {
            return Err(CliError::input(
                "BAD_ARGUMENT",
                format!("'{other}' is not a change: suspend, reinstate or revoke"),
            ));
        }
    };
    let p = Payload::ChangeCertification {
        id: hash_arg(&r.id)?,
        change,
        reason: r.reason,
    };
    let rc = commit_one(ledger, signer, p)?;
    Ok(handoff_api::Receipt {
        tx: rc.tx.to_hex(),
        height: rc.height,
        queued: None,
    })
}

pub(crate) fn notarize(
    ledger: &Ledger,
    signer: &Identity,
    r: DocNotarizeRequest,
) -> R<DocNotarizeResponse> {
    let kind = DocKind::parse(&r.kind).ok_or_else(|| {
        let names: Vec<&str> = DocKind::ALL.iter().map(|k| k.as_str()).collect();
        CliError::input(
            "BAD_ARGUMENT",
            format!("'{}' is not a document type: {}", r.kind, names.join(", ")),
        )
    })?;
    let me = signer.key.public();
    let mut links = Vec::new();
    for l in &r.links {
        // A handoff id (or a unique prefix of an open one), else a scan.
        let handoff = l.trim().bytes().all(|b| b.is_ascii_hexdigit()) && l.trim().len() >= 8;
        links.push(if handoff {
            DocLink::Handoff(resolve_handoff(ledger, &me, l)?)
        } else {
            DocLink::Thing(scan(l)?.key)
        });
    }
    let hash = hash_arg(&r.hash)?;
    let p = Payload::NotarizeDocument(Notarize {
        hash,
        kind,
        title: r.title,
        links,
    });
    let rc = commit_one(ledger, signer, p)?;
    Ok(DocNotarizeResponse {
        hash: hash.to_hex(),
        tx: rc.tx.to_hex(),
        height: rc.height,
    })
}

fn link_name(l: &DocLink) -> String {
    match l {
        DocLink::Thing(k) => k.canonical(),
        DocLink::Handoff(h) => format!("handoff:{}", h.to_hex()),
    }
}

pub(crate) fn verify(ledger: &Ledger, r: DocVerifyRequest) -> R<DocVerifyResponse> {
    let hash = hash_arg(&r.hash)?;
    let key = StateKey::Document(hash);
    let proof = prove_view(ledger, &key)?;
    if !proof.verified {
        return Err(CliError::failed(
            "PROOF_INVALID",
            format!(
                "the record of document {} does not prove against block {}",
                hash.short(),
                proof.height
            ),
        ));
    }
    let rec = ledger.store.read(&key)?;
    doc_response(hash, rec, proof, &|k| org_name(ledger, k))
}

/// A light node's `doc_verify`: the record read with a Merkle proof against the newest
/// certified header (an unverifiable answer is an error, never "not registered"); the
/// registering orgs named from the genesis, else by their key.
#[cfg(feature = "p2p")]
pub(crate) fn verify_light(
    l: &crate::light::LightSession,
    r: DocVerifyRequest,
) -> R<DocVerifyResponse> {
    let hash = hash_arg(&r.hash)?;
    let (rec, header, proof_bytes) = l.proven(&StateKey::Document(hash))?;
    let genesis = l.store().genesis()?;
    let proof = handoff_api::ProofView {
        certified: true,
        height: header.height,
        state_root: header.state_root.to_hex(),
        header_hash: header.hash().to_hex(),
        proof_bytes,
        verified: true,
    };
    let name = |k: &PublicKey| -> R<String> {
        Ok(genesis
            .orgs
            .iter()
            .find(|o| o.org == *k)
            .map_or_else(|| k.short(), |o| o.name.clone()))
    };
    doc_response(hash, rec, proof, &name)
}

/// The answer to "was this document registered?" from its record (or proven absence).
fn doc_response(
    hash: Hash32,
    rec: Option<Record>,
    proof: handoff_api::ProofView,
    org_name: &dyn Fn(&PublicKey) -> R<String>,
) -> R<DocVerifyResponse> {
    let doc = match rec {
        Some(Record::Document(d)) => Some(d),
        None => None,
        Some(_) => {
            return Err(CliError::failed(
                "STORE_FAULT",
                format!(
                    "the record under document {} is not a document",
                    hash.short()
                ),
            ));
        }
    };
    let Some(doc) = doc else {
        return Ok(DocVerifyResponse {
            registered: false,
            hash: hash.to_hex(),
            by: None,
            by_name: None,
            height: None,
            time: None,
            kind: None,
            links: Vec::new(),
            registrations: Vec::new(),
            proof,
        });
    };
    let mut registrations = Vec::new();
    for g in &doc.registrations {
        registrations.push(DocRegistrationView {
            by: g.by.to_hex(),
            by_name: org_name(&g.by)?,
            height: g.height,
            time: rfc3339(g.time_ms),
            kind: g.kind.as_str().into(),
            title: g.title.clone(),
            links: g.links.iter().map(link_name).collect(),
            tx: g.tx.to_hex(),
        });
    }
    let first = registrations.first().cloned();
    Ok(DocVerifyResponse {
        registered: first.is_some(),
        hash: hash.to_hex(),
        by: first.as_ref().map(|f| f.by.clone()),
        by_name: first.as_ref().map(|f| f.by_name.clone()),
        height: first.as_ref().map(|f| f.height),
        time: first.as_ref().map(|f| f.time.clone()),
        kind: first.as_ref().map(|f| f.kind.clone()),
        links: first.map(|f| f.links).unwrap_or_default(),
        registrations,
        proof,
    })
}
