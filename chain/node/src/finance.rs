//! Supply-chain finance in the node: builds every finance step from plain terms (amounts
//! as decimals, orgs by name) into a transaction with its commitments, range proofs and
//! sealed boxes, and reads assets back with the terms sealed to the caller opened.
//!
//! Nothing private is kept on disk: an org's seal secret is derived from its signing key
//! ([`seal_secret`]), and the openings a party needs for its next proof are read back from
//! the boxes sealed to it on chain. So any node holding the org's key (its desktop app,
//! its `node run`, a restored backup) sees the same terms, and separate orgs on separate
//! nodes work together through the chain alone: a request is answered by an offer, a
//! pledge by its acceptance, each from the party's own node.

use crate::api::{R, scan};
use crate::error::CliError;
use crate::identity::Identity;
use crate::ledger::Ledger;
use handoff_api::{
    FinanceActionResponse, FinanceAssetView, FinanceEnableResponse, FinanceLineView,
    FinanceListRequest, FinanceListResponse, FinanceLotView, FinancePartyView, FinanceShowResponse,
    FinanceStepView, FinanceTermView, FinanceTermsView, QueuedTx,
};
use handoff_core::crypto::Keypair;
use handoff_core::finance::{
    self, Blinding, Disclosure, FinanceRng, Opening, ProvenAmount, SealedBox,
};
use handoff_core::gs1::Gs1Key;
use handoff_core::rejection::{Code, Rejection};
use handoff_core::state::{
    HandoffStatus, ReceiptRecord, ReceiptStatus, ReceivableRecord, ReceivableStatus, Record,
    StateKey, StateRead, StateReadExt,
};
use handoff_core::tx::{Entry, InvoiceLine, Payload, ReceiptOp, ReceivableOp, SignedTx, SplitPart};
use handoff_core::types::{Hash32, PublicKey, sha256};
use std::collections::BTreeMap;

/// The domain of [`seal_secret`].
const SEAL_SECRET_DOMAIN: &[u8] = b"HANDOFF/FINANCE/SEAL-SECRET/1\0";

/// An org's X25519 seal secret, derived from its ed25519 signing key: whoever holds the
/// org key can open what is sealed to the org, and nothing else needs backing up.
pub fn seal_secret(key: &Keypair) -> [u8; 32] {
    sha256(&[SEAL_SECRET_DOMAIN, &key.secret()]).0
}

/// The public seal key an org publishes.
pub fn seal_public(key: &Keypair) -> [u8; 32] {
    finance::seal_keypair(&seal_secret(key)).1
}

/// A fresh RNG for blinding factors, proof nonces and HPKE: the SHA-256 counter RNG of
/// the finance module seeded with 32 bytes of the operating system's randomness.
fn os_rng() -> R<impl FinanceRng + use<>> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| CliError::Other(anyhow::anyhow!("no randomness available: {e}")))?;
    Ok(finance::verifier_rng(&Hash32(seed), b"HANDOFF/NODE-RNG/1"))
}

fn fault(e: finance::FinanceError) -> CliError {
    CliError::Other(anyhow::anyhow!("a finance proof could not be built: {e}"))
}

pub(crate) fn bad(code: &str, message: impl Into<String>) -> CliError {
    CliError::input(code, message)
}

/// Where finance reads the chain and where its steps go: a full node's [`Ledger`] (its
/// store and finance index; a step is committed) or a light node's verified index of its
/// org (`crate::light::finance`: a step is signed and queued in its outbox). Every view,
/// check and sealing below is written once against this.
pub(crate) trait Books {
    /// The chain's records as this node can read them; a record it cannot read or
    /// verify is an error, never absent.
    fn state(&self) -> &dyn StateRead;
    /// The record under an asset's key (`None`: there is none).
    fn asset(&self, id: &Hash32) -> R<Option<Record>> {
        Ok(self.state().read(&StateKey::Asset(*id))?)
    }
    /// The committed steps of an asset, decoded, oldest first.
    fn steps(&self, asset: &Hash32) -> R<Vec<Step>>;
    /// The assets `org` is (or was) a party of.
    fn assets(&self, org: &PublicKey) -> R<Vec<Hash32>>;
    /// An org by name or key.
    fn org(&self, name_or_key: &str) -> R<PublicKey>;
    /// Signs `payloads` as `signer` and sends them, in order (committed, or queued).
    fn send(&self, signer: &Identity, payloads: Vec<Payload>) -> R<Sent>;
}

/// What [`Books::send`] did with the last of its payloads.
pub(crate) struct Sent {
    /// Its transaction.
    pub(crate) tx: Hash32,
    /// Its block, when committed.
    pub(crate) height: Option<u64>,
    /// The transactions queued, on a light node.
    pub(crate) queued: Option<Vec<QueuedTx>>,
}

impl Books for Ledger {
    fn state(&self) -> &dyn StateRead {
        &self.store
    }
    fn steps(&self, asset: &Hash32) -> R<Vec<Step>> {
        steps(self, asset)
    }
    fn assets(&self, org: &PublicKey) -> R<Vec<Hash32>> {
        Ok(self.store.finance_assets(org)?)
    }
    fn org(&self, name_or_key: &str) -> R<PublicKey> {
        crate::api::resolve_org(self, name_or_key)
    }
    fn send(&self, signer: &Identity, payloads: Vec<Payload>) -> R<Sent> {
        let mut last = None;
        for p in payloads {
            last = Some(crate::api::commit_signed(self, self.sign(&signer.key, p)?)?);
        }
        let rc = last.ok_or_else(|| CliError::Other(anyhow::anyhow!("no finance step to send")))?;
        Ok(Sent {
            tx: rc.tx,
            height: rc.height,
            queued: None,
        })
    }
}

/// The step that publishes the caller's seal key, unless the chain has it already.
fn seal_key_step(books: &dyn Books, signer: &Identity) -> R<Option<Payload>> {
    let key = seal_public(&signer.key);
    Ok(
        match finance::seal_key(books.state(), &signer.key.public())? {
            Some(r) if r.key == key => None,
            _ => Some(Payload::SetSealKey { key }),
        },
    )
}

/// Publishes the caller's seal key unless the chain already has it.
pub(crate) fn enable(books: &dyn Books, signer: &Identity) -> R<FinanceEnableResponse> {
    let me = signer.key.public();
    let key = seal_public(&signer.key);
    let (published, queued) = match seal_key_step(books, signer)? {
        None => (false, None),
        Some(p) => (true, books.send(signer, vec![p])?.queued),
    };
    Ok(FinanceEnableResponse {
        org: me.to_hex(),
        seal_key: hex::encode(key),
        published,
        queued,
    })
}

/// The published seal key of a party, or a clear error naming the org.
fn party_key(books: &dyn Books, org: &PublicKey) -> R<[u8; 32]> {
    match finance::seal_key(books.state(), org)? {
        Some(r) => Ok(r.key),
        None => Err(bad(
            "NO_SEAL_KEY",
            format!(
                "{} has not enabled finance yet (it runs `handoff finance enable`, or any finance step)",
                crate::view::org_name(books.state(), org)?
            ),
        )),
    }
}

/// Seals `d` to each party for `asset` (to the signer with its own key: the step that
/// publishes it goes first, see [`seal_key_step`]).
fn seal_all(
    books: &dyn Books,
    signer: &Identity,
    asset: &Hash32,
    parties: &[PublicKey],
    d: &Disclosure,
    rng: &mut impl FinanceRng,
) -> R<Vec<SealedBox>> {
    let mut want = parties.to_vec();
    want.sort();
    want.dedup();
    let bytes = d.encode();
    want.iter()
        .map(|p| {
            let key = if *p == signer.key.public() {
                seal_public(&signer.key)
            } else {
                party_key(books, p)?
            };
            finance::seal(asset, *p, &key, &bytes, rng).map_err(fault)
        })
        .collect()
}

pub(crate) fn hash_id(s: &str) -> R<Hash32> {
    Hash32::from_hex(s.trim()).ok_or_else(|| {
        bad(
            "BAD_ASSET_ID",
            format!("'{s}' is not a finance asset id (64 hex digits)"),
        )
    })
}

/// A finance asset as the chain holds it.
pub(crate) enum Asset {
    Receivable(ReceivableRecord),
    Receipt(ReceiptRecord),
}

impl Asset {
    /// Its status as the API names it.
    pub(crate) fn status(&self) -> R<String> {
        match self {
            Asset::Receivable(r) => status_name(&r.status),
            Asset::Receipt(r) => status_name(&r.status),
        }
    }
}

/// The asset under `id`: `UNKNOWN_ASSET` when there is none; a record of another kind
/// there (which no rule writes) is a fault, never "no asset".
pub(crate) fn read_asset(books: &dyn Books, id: &Hash32) -> R<Asset> {
    match books.asset(id)? {
        Some(Record::Receivable(r)) => Ok(Asset::Receivable(r)),
        Some(Record::Receipt(r)) => Ok(Asset::Receipt(r)),
        Some(_) => Err(CliError::Other(anyhow::anyhow!(
            "the record under finance asset {} is not an asset",
            id.short()
        ))),
        None => Err(bad(
            "UNKNOWN_ASSET",
            format!("no finance asset {}", id.short()),
        )),
    }
}

fn load_receivable(books: &dyn Books, id: &Hash32) -> R<ReceivableRecord> {
    match read_asset(books, id)? {
        Asset::Receivable(r) => Ok(r),
        Asset::Receipt(_) => Err(bad(
            "UNKNOWN_ASSET",
            format!("{} is a warehouse receipt, not a receivable", id.short()),
        )),
    }
}

fn load_receipt(books: &dyn Books, id: &Hash32) -> R<ReceiptRecord> {
    match read_asset(books, id)? {
        Asset::Receipt(r) => Ok(r),
        Asset::Receivable(_) => Err(bad(
            "UNKNOWN_ASSET",
            format!("{} is a receivable, not a warehouse receipt", id.short()),
        )),
    }
}

fn amount(text: &str, currency: &str) -> R<u64> {
    finance::parse_amount(text, currency).map_err(|e| bad("BAD_AMOUNT", e.to_string()))
}

/// What the caller's node could open of an asset's sealed terms, merged step by step.
#[derive(Default)]
pub(crate) struct Known {
    pub(crate) openings: BTreeMap<String, Opening>,
    terms: Vec<(String, String)>,
    pub(crate) paid: u64,
    pub(crate) diluted: u64,
    recovered: u64,
    opened: usize,
    problems: Vec<String>,
}

impl Known {
    fn term(&self, label: &str) -> Option<&str> {
        self.terms
            .iter()
            .rev()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    }
    fn outstanding(&self) -> Option<Opening> {
        self.openings
            .get("outstanding")
            .or_else(|| self.openings.get("face"))
            .copied()
    }
    fn merge(&mut self, d: Disclosure) {
        for (label, o) in d.openings {
            match label.as_str() {
                "payment" => self.paid = self.paid.saturating_add(o.amount),
                "credit" => self.diluted = self.diluted.saturating_add(o.amount),
                "recovered" => self.recovered = self.recovered.saturating_add(o.amount),
                _ => {}
            }
            self.openings.insert(label, o);
        }
        for (k, v) in d.terms {
            self.terms.retain(|(l, _)| *l != k);
            self.terms.push((k, v));
        }
        self.opened += 1;
    }
}

/// The boxes of a step that may be sealed for `asset`, and whether each set is certainly
/// this asset's (a split's parts are tried: only the part made for `asset` opens).
fn boxes_of<'p>(p: &'p Payload, asset: &Hash32) -> Vec<(&'p [SealedBox], bool)> {
    let Payload::Receivable(op) = p else {
        return vec![];
    };
    match op {
        ReceivableOp::Issue { sealed, .. } => vec![(sealed, true)],
        ReceivableOp::RequestFinance {
            receivable, sealed, ..
        }
        | ReceivableOp::Offer {
            receivable, sealed, ..
        }
        | ReceivableOp::Repay {
            receivable, sealed, ..
        }
        | ReceivableOp::Transfer {
            receivable, sealed, ..
        }
        | ReceivableOp::Dilute {
            receivable, sealed, ..
        }
        | ReceivableOp::Recover {
            receivable, sealed, ..
        } if receivable == asset => vec![(sealed, true)],
        ReceivableOp::Split {
            receivable,
            sealed,
            parts,
            ..
        } => {
            if receivable == asset {
                vec![(sealed, true)]
            } else {
                parts.iter().map(|p| (&p.sealed[..], false)).collect()
            }
        }
        _ => vec![],
    }
}

/// The committed steps of an asset, decoded, oldest first. A step that cannot be read
/// back is an error, never skipped.
/// A committed step: its block height, block time and transaction.
pub(crate) type Step = (u64, i64, SignedTx);

/// One `--line`: the handoff, its entries with their units, and the amount written.
type LineSpec = (Hash32, Vec<(Entry, u64)>, String);

pub(crate) fn steps(ledger: &Ledger, asset: &Hash32) -> R<Vec<Step>> {
    let mut out = Vec::new();
    let mut block: Option<handoff_core::block::Block> = None;
    for (loc, id) in ledger.store.finance_steps(asset)? {
        if block.as_ref().map(|b| b.header.height) != Some(loc.height) {
            block = ledger.store.block(loc.height)?;
        }
        let b = block.as_ref().ok_or_else(|| {
            CliError::Other(anyhow::anyhow!(
                "block {} of a finance step of {} is missing from the store",
                loc.height,
                asset.short()
            ))
        })?;
        let tx = b
            .txs
            .get(loc.index as usize)
            .and_then(|w| SignedTx::decode(w).ok())
            .filter(|t| t.id() == id)
            .ok_or_else(|| {
                CliError::Other(anyhow::anyhow!(
                    "finance step {} of {} does not read back from block {}",
                    id.short(),
                    asset.short(),
                    loc.height
                ))
            })?;
        out.push((loc.height, b.header.time_ms, tx));
    }
    Ok(out)
}

/// Opens every box sealed to `me` for `asset`, in chain order.
pub(crate) fn known(asset: &Hash32, me: &Keypair, steps: &[Step]) -> Known {
    let (secret, _) = finance::seal_keypair(&seal_secret(me));
    let who = me.public();
    let mut k = Known::default();
    for (height, _, tx) in steps {
        for (boxes, certain) in boxes_of(&tx.body.payload, asset) {
            for b in boxes.iter().filter(|b| b.to == who) {
                match finance::open(asset, &secret, b).map(|p| Disclosure::decode(&p)) {
                    Ok(Some(d)) => k.merge(d),
                    Ok(None) => k.problems.push(format!(
                        "the terms sealed to you at block {height} are not readable"
                    )),
                    Err(_) if !certain => {}
                    Err(_) => k.problems.push(format!(
                        "the box sealed to you at block {height} does not open with your key"
                    )),
                }
            }
        }
    }
    k
}

fn party(books: &dyn Books, role: &str, org: &PublicKey) -> R<FinancePartyView> {
    Ok(FinancePartyView {
        role: role.into(),
        org: org.to_hex(),
        name: crate::view::org_name(books.state(), org)?,
    })
}

/// A status enum's API name (its serde name); one that does not serialize to a string is
/// a fault, never an empty status.
pub(crate) fn status_name<T: serde::Serialize + std::fmt::Debug>(s: &T) -> R<String> {
    match serde_json::to_value(s) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        _ => Err(CliError::Other(anyhow::anyhow!(
            "status {s:?} has no API name"
        ))),
    }
}

pub(crate) fn terms_view(r: &ReceivableRecord, k: &Known) -> Option<FinanceTermsView> {
    if k.opened == 0 && k.problems.is_empty() {
        return None;
    }
    let c = &r.currency;
    let fmt = |v: u64| finance::format_amount(v, c);
    let mut problems = k.problems.clone();
    let face = k.openings.get("face").copied();
    if let Some(f) = face
        && finance::commit(&f).ok() != Some(r.face)
    {
        problems.push("the face value sealed to you does not match the chain's commitment".into());
    }
    let out = k.outstanding();
    // The balance a node shows must be the chain's: an opening that does not commit to the
    // record's outstanding balance is reported, never shown as the balance.
    let out = match out {
        Some(o) if finance::commit(&o).ok() == Some(r.outstanding) => Some(o),
        Some(_) => {
            problems.push(
                "the outstanding balance sealed to you does not match the chain's commitment"
                    .into(),
            );
            None
        }
        None => None,
    };
    let notes = k
        .terms
        .iter()
        .filter(|(l, _)| l != "salt" && l != "invoice")
        .map(|(l, v)| FinanceTermView {
            label: l.clone(),
            value: v.clone(),
        })
        .collect();
    Some(FinanceTermsView {
        invoice: k.term("invoice").map(String::from),
        face: face.map(|o| fmt(o.amount)),
        outstanding: out.map(|o| fmt(o.amount)),
        outstanding_minor: out.map(|o| o.amount),
        paid: fmt(k.paid),
        diluted: fmt(k.diluted),
        recovered: fmt(k.recovered),
        advance: k.openings.get("advance").map(|o| fmt(o.amount)),
        fee: k.openings.get("fee").map(|o| fmt(o.amount)),
        notes,
        consistent: problems.is_empty(),
        problems,
    })
}

/// The steps `me` may take on a receivable now.
fn receivable_next(r: &ReceivableRecord, me: &PublicKey, now_ms: i64, k: &Known) -> Vec<String> {
    use ReceivableStatus as S;
    let mut n: Vec<&str> = Vec::new();
    let holder = r.holder == *me;
    let buyer = r.buyer == *me;
    let lender = r.lender == Some(*me);
    let creditor = r.lender.unwrap_or(r.holder) == *me;
    match r.status {
        S::Issued if buyer => n.push("confirm"),
        S::Confirmed if holder => n.extend(["request", "split", "transfer"]),
        S::FinanceRequested if lender => n.push("offer"),
        S::Offered if holder => n.push("accept-offer"),
        S::OfferAccepted if lender => n.push("fund"),
        S::Overdue if creditor => n.push("default"),
        S::Defaulted if creditor => n.extend(["recover", "write-off"]),
        _ => {}
    }
    let open = r.status.is_open();
    if open && buyer && r.status != S::Defaulted {
        n.push("repay");
    }
    if open && holder {
        n.push("dilute");
    }
    let zero = k
        .outstanding()
        .is_some_and(|o| o.amount == 0 && finance::commit(&o).ok() == Some(r.outstanding));
    if open && (holder || lender) && zero {
        n.push("settle");
    }
    if open
        && !matches!(r.status, S::Overdue | S::Defaulted)
        && r.due_ms.is_some_and(|d| now_ms > d)
    {
        n.push("overdue");
    }
    n.into_iter().map(String::from).collect()
}

fn receipt_next(r: &ReceiptRecord, me: &PublicKey) -> Vec<String> {
    let lender = r.lender == Some(*me);
    match r.status {
        ReceiptStatus::Issued if r.owner == *me => vec!["pledge".into()],
        ReceiptStatus::PledgeOffered if lender => vec!["accept-pledge".into()],
        ReceiptStatus::Pledged if lender => vec!["release".into(), "enforce".into()],
        _ => vec![],
    }
}

fn receivable_view(
    books: &dyn Books,
    r: &ReceivableRecord,
    me: &Keypair,
    k: &Known,
    now_ms: i64,
) -> R<FinanceAssetView> {
    let who = me.public();
    let mut parties = vec![
        party(books, "seller", &r.seller)?,
        party(books, "buyer", &r.buyer)?,
        party(books, "holder", &r.holder)?,
    ];
    if let Some(l) = &r.lender {
        parties.push(party(books, "lender", l)?);
    }
    let roles = parties
        .iter()
        .filter(|p| p.org == who.to_hex())
        .map(|p| p.role.clone())
        .collect();
    let lines = r
        .lines
        .iter()
        .enumerate()
        .map(|(i, (h, e))| FinanceLineView {
            handoff: h.to_hex(),
            item: e.key.canonical(),
            quantity: e.quantity,
            amount: k
                .openings
                .get(&format!("line/{i}"))
                .map(|o| finance::format_amount(o.amount, &r.currency)),
        })
        .collect();
    Ok(FinanceAssetView {
        id: r.id.to_hex(),
        kind: "receivable".into(),
        status: status_name(&r.status)?,
        roles,
        parties,
        currency: Some(r.currency.clone()),
        due_ms: r.due_ms,
        lines,
        goods: vec![],
        lots: vec![],
        released: vec![],
        parent: r.parent.map(|p| p.to_hex()),
        issued_height: r.issued_height,
        updated_height: r.updated_height,
        terms: terms_view(r, k),
        next: receivable_next(r, &who, now_ms, k),
    })
}

fn receipt_view(books: &dyn Books, r: &ReceiptRecord, me: &PublicKey) -> R<FinanceAssetView> {
    let mut parties = vec![
        party(books, "warehouse", &r.warehouse)?,
        party(books, "owner", &r.owner)?,
    ];
    if let Some(l) = &r.lender {
        parties.push(party(books, "lender", l)?);
    }
    let roles = parties
        .iter()
        .filter(|p| p.org == me.to_hex())
        .map(|p| p.role.clone())
        .collect();
    Ok(FinanceAssetView {
        id: r.id.to_hex(),
        kind: "receipt".into(),
        status: status_name(&r.status)?,
        roles,
        parties,
        currency: None,
        due_ms: None,
        lines: vec![],
        goods: r.goods.iter().map(Gs1Key::canonical).collect(),
        lots: r
            .lots
            .iter()
            .map(|e| FinanceLotView {
                lot: e.key.canonical(),
                quantity: e.quantity.unwrap_or(0),
            })
            .collect(),
        released: r.released.iter().map(Gs1Key::canonical).collect(),
        parent: None,
        issued_height: r.issued_height,
        updated_height: r.updated_height,
        terms: None,
        next: receipt_next(r, me),
    })
}

/// An asset as `me` sees it, with its decoded steps.
pub(crate) fn asset_view(
    books: &dyn Books,
    id: &Hash32,
    me: &Keypair,
    now_ms: i64,
) -> R<(FinanceAssetView, Vec<Step>)> {
    let s = books.steps(id)?;
    let view = match read_asset(books, id)? {
        Asset::Receivable(r) => receivable_view(books, &r, me, &known(id, me, &s), now_ms)?,
        Asset::Receipt(r) => receipt_view(books, &r, &me.public())?,
    };
    Ok((view, s))
}

/// `handoff finance show ID`.
pub(crate) fn show(books: &dyn Books, me: &Identity, id: &str) -> R<FinanceShowResponse> {
    let id = hash_id(id)?;
    let (asset, s) = asset_view(books, &id, &me.key, crate::ledger::now_ms())?;
    let steps = s
        .iter()
        .map(|(height, time_ms, tx)| {
            Ok(FinanceStepView {
                tx: tx.id().to_hex(),
                height: *height,
                step: tx.body.payload.type_name().to_string(),
                by: crate::view::org_name(books.state(), &tx.body.signer)?,
                time_ms: *time_ms,
            })
        })
        .collect::<R<Vec<_>>>()?;
    Ok(FinanceShowResponse { asset, steps })
}

/// `handoff finance list`: the assets the caller is a party of, newest first.
pub(crate) fn list(
    books: &dyn Books,
    me: &Identity,
    r: &FinanceListRequest,
) -> R<FinanceListResponse> {
    let now = crate::ledger::now_ms();
    let mut assets = Vec::new();
    for id in books.assets(&me.key.public())? {
        let (a, _) = asset_view(books, &id, &me.key, now)?;
        if r.role.as_ref().is_some_and(|role| !a.roles.contains(role)) {
            continue;
        }
        if r.status.as_ref().is_some_and(|s| *s != a.status) {
            continue;
        }
        assets.push(a);
    }
    assets.sort_by(|a, b| {
        b.updated_height
            .cmp(&a.updated_height)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(FinanceListResponse {
        org: me.key.public().to_hex(),
        assets,
    })
}

/// Sends a step of `id` (after `pre`, the step publishing the caller's seal key when it
/// is needed) and answers where the asset stands: its status after a committed step, or
/// `queued` for a step a light node queued.
fn act(
    books: &dyn Books,
    signer: &Identity,
    id: Hash32,
    created: Vec<Hash32>,
    pre: Option<Payload>,
    payload: Payload,
) -> R<FinanceActionResponse> {
    let sent = books.send(signer, pre.into_iter().chain([payload]).collect())?;
    answer(books, id, created, sent)
}

fn answer(
    books: &dyn Books,
    id: Hash32,
    created: Vec<Hash32>,
    sent: Sent,
) -> R<FinanceActionResponse> {
    let status = match sent.queued {
        None => read_asset(books, &id)?.status()?,
        Some(_) => "queued".to_string(),
    };
    Ok(FinanceActionResponse {
        id: id.to_hex(),
        status,
        tx: sent.tx.to_hex(),
        height: sent.height,
        created: created.iter().map(Hash32::to_hex).collect(),
        queued: sent.queued,
    })
}

/// The due date `YYYY-MM-DD` as the last millisecond of that day, UTC.
fn due_ms(s: &str) -> R<i64> {
    let bad_date = || {
        bad(
            "BAD_DATE",
            format!("'{s}' is not a due date: write YYYY-MM-DD"),
        )
    };
    let d: jiff::civil::Date = s.trim().parse().map_err(|_| bad_date())?;
    let days = crate::stock::days_from_civil(
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    Ok((days + 1) * 86_400_000 - 1)
}

/// The handoff lines one `HANDOFF[/SCAN]=AMOUNT` names, each with its share of units.
fn invoice_lines(
    books: &dyn Books,
    seller: &PublicKey,
    buyer: &PublicKey,
    spec: &str,
) -> R<LineSpec> {
    let (what, amount) = spec.rsplit_once('=').ok_or_else(|| {
        bad(
            "BAD_ARGUMENT",
            format!("'{spec}' is not a line: write HANDOFF=AMOUNT or HANDOFF/SCAN=AMOUNT"),
        )
    })?;
    let (h, item) = match what.split_once('/') {
        Some((h, rest)) => (h, Some(rest)),
        None => (what, None),
    };
    let hid = Hash32::from_hex(h.trim()).ok_or_else(|| {
        bad(
            "BAD_HANDOFF_ID",
            format!("'{h}' is not a handoff id (64 hex digits)"),
        )
    })?;
    let ho = books
        .state()
        .handoff(&hid)?
        .ok_or_else(|| bad("UNKNOWN_HANDOFF", format!("no handoff {}", hid.short())))?;
    if ho.status != HandoffStatus::Accepted || ho.from != *seller || ho.to != *buyer {
        return Err(CliError::Rejected(handoff_core::rejection::Rejection::new(
            handoff_core::rejection::Code::NotDelivered,
            format!(
                "handoff {} is not an accepted delivery from you to the buyer",
                hid.short()
            ),
        )));
    }
    let want = match item {
        Some(s) => Some(scan(s)?.key),
        None => None,
    };
    let mut out = Vec::new();
    for e in &ho.entries {
        if want.as_ref().is_some_and(|k| *k != e.key) {
            continue;
        }
        let excepted: u64 = ho
            .missing
            .iter()
            .chain(&ho.damaged)
            .filter(|x| x.key == e.key)
            .map(|x| x.quantity.unwrap_or(e.quantity.unwrap_or(1)))
            .sum();
        let delivered = e.quantity.unwrap_or(1).saturating_sub(excepted);
        let invoiced = match books.state().read(&finance::invoiced_key(&hid, &e.key))? {
            Some(Record::Invoiced(x)) => x.quantity,
            _ => 0,
        };
        let left = delivered.saturating_sub(invoiced);
        if left == 0 {
            continue;
        }
        let entry = Entry {
            key: e.key.clone(),
            quantity: e.quantity.map(|_| left),
        };
        out.push((entry, left));
    }
    if out.is_empty() {
        let what = want.map_or("handoff".to_string(), |k| k.canonical());
        return Err(CliError::Rejected(handoff_core::rejection::Rejection::new(
            handoff_core::rejection::Code::AlreadyInvoiced,
            format!(
                "nothing of {what} in handoff {} is left to invoice (invoiced already, or missing or damaged at acceptance)",
                hid.short()
            ),
        )));
    }
    Ok((hid, out, amount.trim().to_string()))
}

/// `handoff finance receivable issue`.
pub(crate) fn issue(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceivableIssueRequest,
) -> R<FinanceActionResponse> {
    let me = signer.key.public();
    let currency = r.currency.trim().to_uppercase();
    if !finance::valid_currency(&currency) {
        return Err(bad(
            "BAD_CURRENCY",
            format!("'{}' is not an ISO 4217 currency code", r.currency),
        ));
    }
    if r.lines.is_empty() {
        return Err(bad("BAD_ARGUMENT", "an invoice needs at least one --line"));
    }
    if r.invoice.trim().is_empty() {
        return Err(bad("BAD_ARGUMENT", "an invoice needs its number"));
    }
    let buyer = books.org(&r.buyer)?;
    let due = r.due.as_deref().map(due_ms).transpose()?;
    party_key(books, &buyer)?;
    let mut rng = os_rng()?;
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt)
        .map_err(|e| CliError::Other(anyhow::anyhow!("no randomness available: {e}")))?;
    let number = r.invoice.trim().to_string();
    let reference = finance::invoice_ref(&salt, &number);
    let id = finance::receivable_id(&me, &buyer, &reference);
    // Lines with their amounts in minor units: a handoff's amount spread over its lines
    // by units, the remainder on the first, so the lines add up to what was written.
    let mut lines: Vec<(Hash32, Entry, u64)> = Vec::new();
    for spec in &r.lines {
        let (hid, entries, text) = invoice_lines(books, &me, &buyer, spec)?;
        let total = amount(&text, &currency)?;
        let units: u64 = entries.iter().map(|(_, u)| *u).sum();
        let mut shares: Vec<u64> = entries
            .iter()
            .map(|(_, u)| ((u128::from(total) * u128::from(*u)) / u128::from(units)) as u64)
            .collect();
        let rest = total - shares.iter().sum::<u64>();
        shares[0] += rest;
        for ((e, _), v) in entries.into_iter().zip(shares) {
            lines.push((hid, e, v));
        }
    }
    let mut openings = Vec::new();
    let mut tx_lines = Vec::new();
    for (hid, e, v) in lines {
        let o = Opening {
            amount: v,
            blinding: Blinding::random(&mut rng),
        };
        tx_lines.push(InvoiceLine {
            handoff: hid,
            entry: e,
            amount: finance::prove(&id, &o, &mut rng).map_err(fault)?,
        });
        openings.push(o);
    }
    let face = Opening {
        amount: openings
            .iter()
            .try_fold(0u64, |a, o| a.checked_add(o.amount))
            .ok_or_else(|| {
                bad(
                    "BAD_AMOUNT",
                    "the invoice's lines add up to too large an amount",
                )
            })?,
        blinding: Blinding::sum(openings.iter().map(|o| &o.blinding))
            .ok_or_else(|| fault(finance::FinanceError::Unbalanced))?,
    };
    let mut d = Disclosure {
        openings: vec![("face".into(), face)],
        terms: vec![
            ("invoice".into(), number),
            ("salt".into(), hex::encode(salt)),
        ],
    };
    for (i, o) in openings.iter().enumerate() {
        d.openings.push((format!("line/{i}"), *o));
    }
    let pre = seal_key_step(books, signer)?;
    let sealed = seal_all(books, signer, &id, &[me, buyer], &d, &mut rng)?;
    let p = Payload::Receivable(ReceivableOp::Issue {
        buyer,
        invoice_ref: reference,
        currency,
        due_ms: due,
        lines: tx_lines,
        sealed,
    });
    act(books, signer, id, vec![], pre, p)
}

/// What the caller knows of a receivable now (for the next proof).
fn current(books: &dyn Books, signer: &Identity, id: &Hash32) -> R<(ReceivableRecord, Known)> {
    let r = load_receivable(books, id)?;
    let s = books.steps(id)?;
    Ok((r, known(id, &signer.key, &s)))
}

/// The outstanding balance's opening as the caller knows it, checked against the chain.
fn balance(r: &ReceivableRecord, k: &Known) -> R<Opening> {
    match k.outstanding() {
        Some(o) if finance::commit(&o).ok() == Some(r.outstanding) => Ok(o),
        Some(_) => Err(bad(
            "TERMS_MISMATCH",
            format!(
                "the balance of {} sealed to you does not match the chain's commitment; ask its holder to re-seal it",
                r.id.short()
            ),
        )),
        None => Err(bad(
            "NO_TERMS",
            format!(
                "no terms of {} are sealed to you, so this node cannot prove its next amount",
                r.id.short()
            ),
        )),
    }
}

/// Takes `v` (more than zero, at most the balance) out of `before`: the part's opening
/// with a fresh blinding, and what is left, whose blinding makes the commitments add up.
fn take(
    before: &Opening,
    v: u64,
    currency: &str,
    rng: &mut impl FinanceRng,
) -> R<(Opening, Opening)> {
    if v == 0 || v > before.amount {
        return Err(CliError::Rejected(handoff_core::rejection::Rejection::new(
            handoff_core::rejection::Code::Unbalanced,
            format!(
                "cannot take {} {currency}: an amount is more than zero and at most the outstanding {} {currency}",
                finance::format_amount(v, currency),
                finance::format_amount(before.amount, currency),
            ),
        )));
    }
    let part = Opening {
        amount: v,
        blinding: Blinding::random(rng),
    };
    let rest = Opening {
        amount: before.amount - v,
        blinding: before
            .blinding
            .minus(&part.blinding)
            .ok_or_else(|| fault(finance::FinanceError::Unbalanced))?,
    };
    Ok((part, rest))
}

/// Every party a balance change is sealed to.
fn all_parties(r: &ReceivableRecord) -> Vec<PublicKey> {
    let mut p = vec![r.holder, r.buyer];
    p.extend(r.lender);
    p
}

/// A ledger rule said by the node before it builds, signs or publishes anything: the
/// same code the validators would give, so an org that has no part in the step (and
/// often no terms sealed to it either) learns why, and nothing of a refused step (not
/// even its seal key) reaches the chain.
fn rule(ok: bool, code: Code, message: impl FnOnce() -> String) -> R<()> {
    if ok {
        Ok(())
    } else {
        Err(CliError::Rejected(Rejection::new(code, message())))
    }
}

/// Who may take a balance step, as the ledger checks it.
#[derive(Clone, Copy)]
enum Part {
    /// The buyer, on a confirmed, open receivable (repay).
    Buyer,
    /// The holder, on a confirmed, open receivable (dilute).
    Holder,
    /// The creditor (the lender, else the holder), on a defaulted receivable (recover).
    Creditor,
}

impl Part {
    /// The label of the amount the step takes off the balance, in its sealed terms.
    fn label(self) -> &'static str {
        match self {
            Part::Buyer => "payment",
            Part::Holder => "credit",
            Part::Creditor => "recovered",
        }
    }
}

fn check_part(books: &dyn Books, r: &ReceivableRecord, me: &PublicKey, part: Part) -> R<()> {
    let status = status_name(&r.status)?;
    let short = r.id.short();
    match part {
        Part::Buyer => rule(
            r.buyer == *me && r.status.is_open(),
            Code::AssetStatus,
            || {
                format!(
                    "only the buyer, {}, repays receivable {short}, once confirmed and while open (it is {status})",
                    org_name(books, &r.buyer)
                )
            },
        ),
        Part::Holder => rule(
            r.holder == *me && r.status.is_open(),
            Code::AssetStatus,
            || {
                format!(
                    "only the holder, {}, dilutes receivable {short}, once confirmed and while open (it is {status})",
                    org_name(books, &r.holder)
                )
            },
        ),
        Part::Creditor => {
            let creditor = r.lender.unwrap_or(r.holder);
            rule(
                creditor == *me && r.status == ReceivableStatus::Defaulted,
                Code::AssetStatus,
                || {
                    format!(
                        "only the creditor, {}, records recoveries on receivable {short} once it is in default (it is {status})",
                        org_name(books, &creditor)
                    )
                },
            )
        }
    }
}

/// The holder's own claim, not financed and confirmed: what a finance request, a
/// transfer and a split need (the ledger's codes: `NOT_OWNER`, `ALREADY_FINANCED`,
/// `ASSET_STATUS`).
fn check_held_unfinanced(books: &dyn Books, r: &ReceivableRecord, me: &PublicKey) -> R<()> {
    let short = r.id.short();
    rule(r.holder == *me, Code::NotOwner, || {
        format!(
            "only the holder of receivable {short}, {}, may do this",
            org_name(books, &r.holder)
        )
    })?;
    rule(r.lender.is_none(), Code::AlreadyFinanced, || {
        format!(
            "receivable {short} is already financed or being financed, by {}",
            r.lender.map(|l| org_name(books, &l)).unwrap_or_default()
        )
    })?;
    let status = status_name(&r.status)?;
    rule(
        r.status == ReceivableStatus::Confirmed,
        Code::AssetStatus,
        || format!("receivable {short} is {status}: only a confirmed one (the buyer confirms it)"),
    )
}

/// An org's name for a message (its key when the name cannot be read).
fn org_name(books: &dyn Books, org: &PublicKey) -> String {
    crate::view::org_name(books.state(), org).unwrap_or_else(|_| org.to_hex())
}

/// The shared shape of repay, dilute and recover: `after = before − amount`.
fn decrease(
    books: &dyn Books,
    signer: &Identity,
    id: &str,
    text: &str,
    who: Part,
    note: (&str, &str),
    build: impl FnOnce(Hash32, ProvenAmount, ProvenAmount, Vec<SealedBox>) -> ReceivableOp,
) -> R<FinanceActionResponse> {
    let id = hash_id(id)?;
    let (r, k) = current(books, signer, &id)?;
    check_part(books, &r, &signer.key.public(), who)?;
    let before = balance(&r, &k)?;
    let v = amount(text, &r.currency)?;
    let mut rng = os_rng()?;
    let (part, after) = take(&before, v, &r.currency, &mut rng)?;
    let d = Disclosure {
        openings: vec![(who.label().into(), part), ("outstanding".into(), after)],
        terms: vec![(note.0.into(), note.1.into())],
    };
    let pre = seal_key_step(books, signer)?;
    let sealed = seal_all(books, signer, &id, &all_parties(&r), &d, &mut rng)?;
    let op = build(
        id,
        finance::prove(&id, &part, &mut rng).map_err(fault)?,
        finance::prove(&id, &after, &mut rng).map_err(fault)?,
        sealed,
    );
    act(books, signer, id, vec![], pre, Payload::Receivable(op))
}

pub(crate) fn repay(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceivableRepayRequest,
) -> R<FinanceActionResponse> {
    let reference = r.reference.trim().to_string();
    if reference.is_empty() {
        return Err(bad(
            "BAD_ARGUMENT",
            "a repayment needs its payment reference",
        ));
    }
    let hash = finance::payment_ref_hash(&signer.key.public(), &reference);
    decrease(
        books,
        signer,
        &r.id,
        &r.amount,
        Part::Buyer,
        ("reference", &reference),
        |receivable, payment, outstanding, sealed| ReceivableOp::Repay {
            receivable,
            payment,
            outstanding,
            reference: hash,
            sealed,
        },
    )
}

pub(crate) fn dilute(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceivableDiluteRequest,
) -> R<FinanceActionResponse> {
    decrease(
        books,
        signer,
        &r.id,
        &r.amount,
        Part::Holder,
        ("reason", r.reason.trim()),
        |receivable, credit, outstanding, sealed| ReceivableOp::Dilute {
            receivable,
            credit,
            outstanding,
            sealed,
        },
    )
}

pub(crate) fn recover(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceivableRecoverRequest,
) -> R<FinanceActionResponse> {
    decrease(
        books,
        signer,
        &r.id,
        &r.amount,
        Part::Creditor,
        ("recovery_reference", r.reference.trim()),
        |receivable, recovered, outstanding, sealed| ReceivableOp::Recover {
            receivable,
            recovered,
            outstanding,
            sealed,
        },
    )
}

/// What the holder discloses to a lender or a new holder: every term and opening it
/// knows (invoice number, face, lines, outstanding balance).
fn everything(k: &Known, out: Opening) -> Disclosure {
    let mut openings: Vec<(String, Opening)> = k
        .openings
        .iter()
        .filter(|(l, _)| *l == "face" || l.starts_with("line/"))
        .map(|(l, o)| (l.clone(), *o))
        .collect();
    openings.push(("outstanding".into(), out));
    Disclosure {
        openings,
        terms: k
            .terms
            .iter()
            .filter(|(l, _)| l == "invoice" || l == "salt")
            .cloned()
            .collect(),
    }
}

/// Everything the holder knows of claim `id`, sealed to `to` alone (a lender asked to
/// finance it, or its new holder).
fn seal_claim_to(
    books: &dyn Books,
    signer: &Identity,
    id: &Hash32,
    to: PublicKey,
) -> R<(Option<Payload>, Vec<SealedBox>)> {
    let (rec, k) = current(books, signer, id)?;
    check_held_unfinanced(books, &rec, &signer.key.public())?;
    let out = balance(&rec, &k)?;
    let pre = seal_key_step(books, signer)?;
    let sealed = seal_all(
        books,
        signer,
        id,
        &[to],
        &everything(&k, out),
        &mut os_rng()?,
    )?;
    Ok((pre, sealed))
}

pub(crate) fn request(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceivableRequestFinanceRequest,
) -> R<FinanceActionResponse> {
    let id = hash_id(&r.id)?;
    let lender = books.org(&r.lender)?;
    let (pre, sealed) = seal_claim_to(books, signer, &id, lender)?;
    let op = ReceivableOp::RequestFinance {
        receivable: id,
        lender,
        sealed,
    };
    act(books, signer, id, vec![], pre, Payload::Receivable(op))
}

pub(crate) fn transfer(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceivableTransferRequest,
) -> R<FinanceActionResponse> {
    let id = hash_id(&r.id)?;
    let to = books.org(&r.to)?;
    let (pre, sealed) = seal_claim_to(books, signer, &id, to)?;
    let op = ReceivableOp::Transfer {
        receivable: id,
        to,
        sealed,
    };
    act(books, signer, id, vec![], pre, Payload::Receivable(op))
}

/// Reads a percentage (`80`, `92.5`) as basis points.
fn percent_bp(s: &str) -> R<u64> {
    // Two decimals of a percent are basis points: the same reader as a 2-digit currency.
    let bp = finance::parse_amount(s, "EUR").map_err(|_| {
        bad(
            "BAD_ARGUMENT",
            format!("'{s}' is not a percentage (e.g. 80 or 92.5)"),
        )
    })?;
    if bp == 0 || bp > 10_000 {
        return Err(bad(
            "BAD_ARGUMENT",
            format!("an advance is more than 0% and at most 100% ('{s}')"),
        ));
    }
    Ok(bp)
}

pub(crate) fn offer(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceivableOfferRequest,
) -> R<FinanceActionResponse> {
    let id = hash_id(&r.id)?;
    let (rec, k) = current(books, signer, &id)?;
    let status = status_name(&rec.status)?;
    rule(
        rec.status == ReceivableStatus::FinanceRequested,
        Code::AssetStatus,
        || {
            format!(
                "receivable {} is {status}: an offer answers its holder's finance request, once",
                id.short()
            )
        },
    )?;
    rule(
        rec.lender == Some(signer.key.public()),
        Code::AssetStatus,
        || {
            format!(
                "only {}, the lender asked to finance receivable {}, offers on it",
                rec.lender.map(|l| org_name(books, &l)).unwrap_or_default(),
                id.short()
            )
        },
    )?;
    let out = balance(&rec, &k)?;
    let bp = percent_bp(&r.advance)?;
    let advance = ((u128::from(out.amount) * u128::from(bp)) / 10_000) as u64;
    let fee = amount(&r.fee, &rec.currency)?;
    let pre = seal_key_step(books, signer)?;
    let mut rng = os_rng()?;
    let a = Opening {
        amount: advance,
        blinding: Blinding::random(&mut rng),
    };
    let f = Opening {
        amount: fee,
        blinding: Blinding::random(&mut rng),
    };
    let d = Disclosure {
        openings: vec![("advance".into(), a), ("fee".into(), f)],
        terms: vec![("advance_percent".into(), r.advance.trim().to_string())],
    };
    let sealed = seal_all(
        books,
        signer,
        &id,
        &[rec.holder, rec.buyer, signer.key.public()],
        &d,
        &mut rng,
    )?;
    let p = Payload::Receivable(ReceivableOp::Offer {
        receivable: id,
        advance: finance::prove(&id, &a, &mut rng).map_err(fault)?,
        fee: finance::prove(&id, &f, &mut rng).map_err(fault)?,
        sealed,
    });
    act(books, signer, id, vec![], pre, p)
}

pub(crate) fn split(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceivableSplitRequest,
) -> R<FinanceActionResponse> {
    let id = hash_id(&r.id)?;
    let to = books.org(&r.to)?;
    let (rec, k) = current(books, signer, &id)?;
    check_held_unfinanced(books, &rec, &signer.key.public())?;
    let before = balance(&rec, &k)?;
    let v = amount(&r.amount, &rec.currency)?;
    let mut rng = os_rng()?;
    let (part, kept) = take(&before, v, &rec.currency, &mut rng)?;
    let pre = seal_key_step(books, signer)?;
    let cid = finance::split_id(&id, rec.splits);
    let mut child_terms: Vec<(String, String)> = k
        .terms
        .iter()
        .filter(|(l, _)| l == "invoice")
        .cloned()
        .collect();
    child_terms.push(("split_from".into(), id.to_hex()));
    let child = Disclosure {
        openings: vec![("face".into(), part), ("outstanding".into(), part)],
        terms: child_terms,
    };
    let part_sealed = seal_all(books, signer, &cid, &[to, rec.buyer], &child, &mut rng)?;
    let d = Disclosure {
        openings: vec![("outstanding".into(), kept)],
        terms: vec![],
    };
    let sealed = seal_all(books, signer, &id, &[rec.holder, rec.buyer], &d, &mut rng)?;
    let p = Payload::Receivable(ReceivableOp::Split {
        receivable: id,
        kept: finance::prove(&id, &kept, &mut rng).map_err(fault)?,
        parts: vec![SplitPart {
            to,
            amount: finance::prove(&id, &part, &mut rng).map_err(fault)?,
            sealed: part_sealed,
        }],
        sealed,
    });
    act(books, signer, id, vec![cid], pre, p)
}

pub(crate) fn settle(books: &dyn Books, signer: &Identity, id: &str) -> R<FinanceActionResponse> {
    let id = hash_id(id)?;
    let (rec, k) = current(books, signer, &id)?;
    let out = balance(&rec, &k)?;
    if out.amount != 0 {
        return Err(CliError::Rejected(handoff_core::rejection::Rejection::new(
            handoff_core::rejection::Code::Unbalanced,
            format!(
                "{} {} is still outstanding",
                finance::format_amount(out.amount, &rec.currency),
                rec.currency
            ),
        )));
    }
    act(
        books,
        signer,
        id,
        vec![],
        None,
        Payload::Receivable(ReceivableOp::Settle {
            receivable: id,
            blinding: out.blinding,
        }),
    )
}

/// A receivable step that carries only the id.
pub(crate) fn simple(
    books: &dyn Books,
    signer: &Identity,
    id: &str,
    op: fn(Hash32) -> ReceivableOp,
) -> R<FinanceActionResponse> {
    let id = hash_id(id)?;
    load_receivable(books, &id)?;
    act(books, signer, id, vec![], None, Payload::Receivable(op(id)))
}

fn goods(list: &[String]) -> R<Vec<Gs1Key>> {
    list.iter().map(|s| Ok(scan(s)?.key)).collect()
}

pub(crate) fn receipt_issue(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceiptIssueRequest,
) -> R<FinanceActionResponse> {
    let owner = books.org(&r.owner)?;
    if r.goods.is_empty() {
        return Err(bad("BAD_ARGUMENT", "a receipt needs the goods it covers"));
    }
    let (lots, items): (Vec<Entry>, Vec<Entry>) = crate::api::entries(&r.goods, None)?
        .into_iter()
        .partition(|e| matches!(e.key, Gs1Key::Lot { .. }));
    let p = Payload::Receipt(ReceiptOp::Issue {
        owner,
        goods: items.into_iter().map(|e| e.key).collect(),
        lots,
    });
    // A receipt's id is the id of the transaction that issues it.
    let sent = books.send(signer, vec![p])?;
    answer(books, sent.tx, vec![], sent)
}

pub(crate) fn receipt_pledge(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceiptPledgeRequest,
) -> R<FinanceActionResponse> {
    let id = hash_id(&r.id)?;
    load_receipt(books, &id)?;
    let lender = books.org(&r.lender)?;
    act(
        books,
        signer,
        id,
        vec![],
        None,
        Payload::Receipt(ReceiptOp::Pledge {
            receipt: id,
            lender,
        }),
    )
}

pub(crate) fn receipt_release(
    books: &dyn Books,
    signer: &Identity,
    r: handoff_api::ReceiptReleaseRequest,
) -> R<FinanceActionResponse> {
    let id = hash_id(&r.id)?;
    load_receipt(books, &id)?;
    act(
        books,
        signer,
        id,
        vec![],
        None,
        Payload::Receipt(ReceiptOp::Release {
            receipt: id,
            goods: goods(&r.goods)?,
        }),
    )
}

/// A receipt step that carries only the id.
pub(crate) fn receipt_simple(
    books: &dyn Books,
    signer: &Identity,
    id: &str,
    op: fn(Hash32) -> ReceiptOp,
) -> R<FinanceActionResponse> {
    let id = hash_id(id)?;
    load_receipt(books, &id)?;
    act(books, signer, id, vec![], None, Payload::Receipt(op(id)))
}

/// Whether [`run`] answers `req`: the finance operations a full and a light node answer
/// alike (list, show, enable and every step of a receivable or a warehouse receipt).
#[cfg(feature = "p2p")]
pub(crate) fn shared_op(req: &handoff_api::Request) -> bool {
    use handoff_api::Request as Q;
    matches!(
        req,
        Q::FinanceList(_)
            | Q::FinanceShow(_)
            | Q::FinanceEnable(_)
            | Q::ReceivableIssue(_)
            | Q::ReceivableConfirm(_)
            | Q::ReceivableRequestFinance(_)
            | Q::ReceivableOffer(_)
            | Q::ReceivableAcceptOffer(_)
            | Q::ReceivableFund(_)
            | Q::ReceivableRepay(_)
            | Q::ReceivableSplit(_)
            | Q::ReceivableTransfer(_)
            | Q::ReceivableDilute(_)
            | Q::ReceivableOverdue(_)
            | Q::ReceivableDefault(_)
            | Q::ReceivableRecover(_)
            | Q::ReceivableWriteOff(_)
            | Q::ReceivableSettle(_)
            | Q::ReceiptIssue(_)
            | Q::ReceiptPledge(_)
            | Q::ReceiptAcceptPledge(_)
            | Q::ReceiptRelease(_)
            | Q::ReceiptEnforce(_)
    )
}

/// Answers a finance operation of [`shared_op`] over `books`, as `signer`; the reads
/// (list, show) need a signed-in caller (`authenticated`), as the terms are the caller's.
pub(crate) fn run(
    books: &dyn Books,
    signer: &dyn Fn() -> R<Identity>,
    authenticated: bool,
    req: handoff_api::Request,
) -> R<handoff_api::Response> {
    use ReceiptOp as T;
    use ReceivableOp as V;
    use handoff_api::{ApiError, Request as Q, Response as A};
    if matches!(req, Q::FinanceList(_) | Q::FinanceShow(_)) && !authenticated {
        return Err(ApiError::unauthorized().into());
    }
    let me = &signer()?;
    Ok(match req {
        Q::FinanceList(r) => A::FinanceList(list(books, me, &r)?),
        Q::FinanceShow(r) => A::FinanceShow(show(books, me, &r.id)?),
        Q::FinanceEnable(_) => A::FinanceEnable(enable(books, me)?),
        Q::ReceivableIssue(r) => A::ReceivableIssue(issue(books, me, r)?),
        Q::ReceivableConfirm(r) => A::ReceivableConfirm(simple(books, me, &r.id, |receivable| {
            V::Confirm { receivable }
        })?),
        Q::ReceivableRequestFinance(r) => A::ReceivableRequestFinance(request(books, me, r)?),
        Q::ReceivableOffer(r) => A::ReceivableOffer(offer(books, me, r)?),
        Q::ReceivableAcceptOffer(r) => {
            A::ReceivableAcceptOffer(simple(books, me, &r.id, |receivable| V::AcceptOffer {
                receivable,
            })?)
        }
        Q::ReceivableFund(r) => A::ReceivableFund(simple(books, me, &r.id, |receivable| {
            V::Fund { receivable }
        })?),
        Q::ReceivableRepay(r) => A::ReceivableRepay(repay(books, me, r)?),
        Q::ReceivableSplit(r) => A::ReceivableSplit(split(books, me, r)?),
        Q::ReceivableTransfer(r) => A::ReceivableTransfer(transfer(books, me, r)?),
        Q::ReceivableDilute(r) => A::ReceivableDilute(dilute(books, me, r)?),
        Q::ReceivableOverdue(r) => A::ReceivableOverdue(simple(books, me, &r.id, |receivable| {
            V::MarkOverdue { receivable }
        })?),
        Q::ReceivableDefault(r) => A::ReceivableDefault(simple(books, me, &r.id, |receivable| {
            V::Default { receivable }
        })?),
        Q::ReceivableRecover(r) => A::ReceivableRecover(recover(books, me, r)?),
        Q::ReceivableWriteOff(r) => {
            A::ReceivableWriteOff(simple(books, me, &r.id, |receivable| V::WriteOff {
                receivable,
            })?)
        }
        Q::ReceivableSettle(r) => A::ReceivableSettle(settle(books, me, &r.id)?),
        Q::ReceiptIssue(r) => A::ReceiptIssue(receipt_issue(books, me, r)?),
        Q::ReceiptPledge(r) => A::ReceiptPledge(receipt_pledge(books, me, r)?),
        Q::ReceiptAcceptPledge(r) => {
            A::ReceiptAcceptPledge(receipt_simple(books, me, &r.id, |receipt| {
                T::AcceptPledge { receipt }
            })?)
        }
        Q::ReceiptRelease(r) => A::ReceiptRelease(receipt_release(books, me, r)?),
        Q::ReceiptEnforce(r) => A::ReceiptEnforce(receipt_simple(books, me, &r.id, |receipt| {
            T::Enforce { receipt }
        })?),
        other => {
            return Err(CliError::Other(anyhow::anyhow!(
                "`{}` is not a finance step",
                other.op()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_date_ends_at_the_last_millisecond_of_its_day() {
        // 2027-01-31T23:59:59.999Z
        assert_eq!(due_ms("2027-01-31").expect("date"), 1_801_439_999_999);
        assert!(due_ms("31/01/2027").is_err());
        assert!(due_ms("2027-02-30").is_err());
    }

    #[test]
    fn percentages_are_read_as_basis_points() {
        assert_eq!(percent_bp("80").expect("80"), 8_000);
        assert_eq!(percent_bp("92.5").expect("92.5"), 9_250);
        assert!(percent_bp("0").is_err());
        assert!(percent_bp("101").is_err());
        assert!(percent_bp("-5").is_err());
    }

    #[test]
    fn the_seal_key_follows_the_org_key() {
        let a = Keypair::from_secret([1; 32]);
        let b = Keypair::from_secret([2; 32]);
        assert_eq!(seal_public(&a), seal_public(&a));
        assert_ne!(seal_public(&a), seal_public(&b));
        finance::check_seal_key(&seal_public(&a)).expect("a usable key");
    }
}
