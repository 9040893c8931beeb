//! What the page shows, from what it fetched: the chain's genesis (the page's anchor,
//! served beside its files) and a node's evidence. Everything a shopper reads comes out
//! of `handoff_core::evidence::check`; a node's answer that does not check becomes
//! "could not verify", never a verdict. Pure: no browser here, so it is tested natively.

use handoff_api::{EvidenceResponse, GenesisResponse};
use handoff_core::block::Genesis;
use handoff_core::certify::CertSubject;
use handoff_core::evidence::{Anchor, Evidence, check};
use handoff_core::gs1::Gs1Key;
use handoff_core::query::Verdict;
use handoff_core::scans::{self, Observation, ScanCounts};

/// One step of the journey as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The event type (`commission`, `handoff_accepted`, …).
    pub kind: String,
    /// Who acted, by name.
    pub by: String,
    /// The other org of a handoff, by name.
    pub other: Option<String>,
    /// Device time, unix ms.
    pub time_ms: i64,
    /// GLN where it happened.
    pub at: Option<String>,
    /// `self`, `container` or `input`.
    pub via: &'static str,
    /// Lot quantity involved.
    pub quantity: Option<u64>,
}

/// A certification covering the item, as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cert {
    /// The scheme ("EU organic").
    pub scheme: String,
    /// The standard or programme version; may be empty.
    pub standard: String,
    /// The certificate number.
    pub number: String,
    /// The auditor that issued it, by name.
    pub issuer: String,
    /// `valid`, `not_yet_valid`, `expired`, `suspended` or `revoked` (at the page's clock).
    pub status: &'static str,
    /// Valid from, unix ms.
    pub from_ms: i64,
    /// Valid until (exclusive), unix ms.
    pub until_ms: i64,
    /// What it certifies: `item`, `lot`, `product`, `maker` or `place`.
    pub via: &'static str,
}

/// A checked answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// The verdict.
    pub verdict: Verdict,
    /// `(code, message)` of each reason.
    pub reasons: Vec<(String, String)>,
    /// The product's name.
    pub product: Option<String>,
    /// Oldest first.
    pub journey: Vec<Step>,
    /// The certifications covering the item, proven like the rest.
    pub certifications: Vec<Cert>,
    /// The block height proven at.
    pub height: u64,
    /// The chain id, hex (first 8 characters).
    pub chain: String,
    /// How many validators signed the header, of how many.
    pub signed: (usize, usize),
}

impl View {
    /// Whether a reason with `code` is given.
    pub fn has(&self, code: &str) -> bool {
        self.reasons.iter().any(|(c, _)| c == code)
    }
}

/// What the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The evidence checked.
    Checked(Box<View>),
    /// It did not (or could not be fetched): code and why.
    CouldNotVerify {
        /// Stable code.
        code: String,
        /// Why.
        message: String,
    },
}

fn unverified(code: &str, message: impl Into<String>) -> Outcome {
    Outcome::CouldNotVerify {
        code: code.to_string(),
        message: message.into(),
    }
}

/// The anchor from the page's `genesis.json`: the genesis must hash to the chain id the
/// file names.
pub fn anchor(genesis_json: &str) -> Result<Anchor, Outcome> {
    let g: GenesisResponse = serde_json::from_str(genesis_json)
        .map_err(|e| unverified("GENESIS_UNREADABLE", format!("genesis.json: {e}")))?;
    let bytes = hex::decode(&g.genesis)
        .map_err(|_| unverified("GENESIS_UNREADABLE", "genesis.json: the genesis is not hex"))?;
    let genesis: Genesis = borsh::from_slice(&bytes)
        .map_err(|_| unverified("GENESIS_UNREADABLE", "genesis.json: not a genesis"))?;
    let id = genesis.chain_id();
    if id.to_hex() != g.chain_id.to_ascii_lowercase() {
        return Err(unverified(
            "GENESIS_UNREADABLE",
            "genesis.json: the genesis does not hash to the chain id it names",
        ));
    }
    Ok(Anchor {
        chain_id: id,
        validators: genesis.validators,
    })
}

/// Checks a node's evidence answer (`/v1/evidence/…`) for `scan` against the anchor.
pub fn judge(anchor: &Anchor, evidence_json: &str, scan: &str, now_ms: i64) -> Outcome {
    let r: EvidenceResponse = match serde_json::from_str(evidence_json) {
        Ok(r) => r,
        Err(e) => return unverified("EVIDENCE_MALFORMED", format!("the node's answer: {e}")),
    };
    let Ok(bytes) = hex::decode(&r.evidence) else {
        return unverified("EVIDENCE_MALFORMED", "the node's evidence is not hex");
    };
    let evidence = match Evidence::decode(&bytes) {
        Ok(e) => e,
        Err(e) => return unverified(e.code(), e.to_string()),
    };
    let checked = match check(&evidence, anchor, scan, now_ms) {
        Ok(c) => c,
        Err(e) => return unverified(e.code(), e.to_string()),
    };
    let name = |k: &handoff_core::types::PublicKey| {
        checked
            .names
            .get(k)
            .cloned()
            .unwrap_or_else(|| k.short().to_string())
    };
    let journey = checked
        .journey
        .iter()
        .map(|j| Step {
            kind: j.event.kind.clone(),
            by: name(&j.event.by),
            other: j.event.counterparty.as_ref().map(name),
            time_ms: j.event.event_time_ms,
            at: j.event.at.clone(),
            via: j.via,
            quantity: j.event.quantity,
        })
        .collect();
    let certifications = checked
        .certifications
        .iter()
        .map(|a| Cert {
            scheme: a.record.cert.scheme.clone(),
            standard: a.record.cert.standard.clone(),
            number: a.record.cert.number.clone(),
            issuer: name(&a.record.issuer),
            status: a.status.as_str(),
            from_ms: a.record.cert.valid_from_ms,
            until_ms: a.record.cert.valid_until_ms,
            via: match &a.via {
                CertSubject::Thing(Gs1Key::Lot { .. }) => "lot",
                CertSubject::Thing(_) => "item",
                CertSubject::Product(_) => "product",
                CertSubject::Org(_) => "maker",
                CertSubject::Location(_) => "place",
            },
        })
        .collect();
    let signed = evidence.certificate.sigs.len();
    // The node's count of lookups is its own observation, not proven: it may only lower
    // the verdict the proofs gave (a node that could not read its count says so, and the
    // page then cannot say "genuine").
    let mut report = checked.report.clone();
    let observed = match (&r.scans, &r.scans_unchecked) {
        (_, Some(why)) => Observation::Unchecked(why.clone()),
        (Some(c), None) => Observation::Seen(ScanCounts {
            networks_hour: c.networks_hour,
            networks_day: c.networks_day,
            networks_30d: c.networks_30d,
        }),
        (None, None) => Observation::NotWatched,
    };
    scans::apply(&mut report, &observed);
    Outcome::Checked(Box::new(View {
        verdict: report.verdict,
        reasons: report
            .reasons
            .iter()
            .map(|r| (r.code.to_string(), r.message.clone()))
            .collect(),
        product: checked.product.clone(),
        journey,
        certifications,
        height: checked.height,
        chain: anchor.chain_id.to_hex()[..8].to_string(),
        signed: (signed, anchor.validators.len()),
    }))
}
