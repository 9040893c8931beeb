//! The state transition function: `apply(ctx, state, tx) -> Result<Effects, Rejection>`.
//!
//! Two stages. The *envelope* (chain id, signer, device standing, nonce) is checked first;
//! a failure there changes nothing at all, and such a transaction never enters a block.
//! After that the signer's nonce is consumed whatever happens, so a transaction refused by
//! a ledger rule is recorded with its code and can never be replayed later when the state
//! would let it through; its payload's writes are dropped whole.

use crate::certify::{
    CertChange, CertId, CertRecord, CertSubject, Certify, DocLink, DocList, DocumentRecord,
    Notarize, Registration,
};
use crate::event::{Effects, Event, HandoffOutcome, HistoryAppend, IndexOp};
use crate::gs1::{self, Gs1Key};
use crate::limits::*;
use crate::rejection::{Code, Rejection};
use crate::state::*;
use crate::tx::*;
use crate::types::{HandoffId, Hash32, OrgId, PublicKey, Role, scope};
use std::collections::HashSet;

/// Why applying stopped inside the rules: a ledger rule refused the transaction (a
/// verdict, recorded in the block), or the state could not be read (no verdict at all:
/// the block cannot be executed on this node until its store is sound).
#[derive(Debug)]
enum Stop {
    Rejected(Rejection),
    Unreadable(ReadError),
}

impl From<Rejection> for Stop {
    fn from(r: Rejection) -> Stop {
        Stop::Rejected(r)
    }
}

impl From<ReadError> for Stop {
    fn from(e: ReadError) -> Stop {
        Stop::Unreadable(e)
    }
}

/// A finance proof's failure as a rejection.
fn finance_rejection(what: &str, e: crate::finance::FinanceError) -> Stop {
    use crate::finance::FinanceError as F;
    let code = match e {
        F::BadRangeProof | F::BadCommitment | F::BadBlinding | F::Prove => Code::BadRangeProof,
        F::Unbalanced => Code::Unbalanced,
        F::TooManyParts => Code::TooLarge,
        F::BadSealKey | F::Seal => Code::NoSealKey,
    };
    Stop::Rejected(Rejection::new(code, format!("{what}: {e}")))
}

/// A rule's refusal.
fn reject<T>(code: Code, message: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Rejected(Rejection::new(code, message)))
}

/// The block a transaction is applied in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockContext {
    /// The chain.
    pub chain_id: Hash32,
    /// Height of the block being built.
    pub height: u64,
    /// Block time, unix ms (the validator's clock, agreed with the block).
    pub time_ms: i64,
}

impl Code {
    /// Whether a rejection with this code leaves the state exactly as it was (the
    /// transaction is not attributable to a valid signer in good standing, so it does not
    /// even consume a nonce and is kept out of blocks).
    pub fn changes_nothing(self) -> bool {
        matches!(
            self,
            Code::Malformed
                | Code::TooLarge
                | Code::UnsupportedVersion
                | Code::WrongChain
                | Code::BadSignature
                | Code::WeakKey
                | Code::NonceReused
                | Code::NonceGap
                | Code::UnknownSigner
                | Code::OrgSuspended
                | Code::DeviceRevoked
                | Code::DeviceExpired
        )
    }
}

/// Who is acting.
#[derive(Clone, Debug)]
struct Actor {
    /// The org, for org and device signers.
    org: Option<OrgRecord>,
    /// Scope bits: all for an org key, the device's for a device key.
    scopes: u32,
    /// Signed by a device key.
    device: bool,
}

impl Actor {
    fn org(&self) -> Result<&OrgRecord, Stop> {
        self.org.as_ref().ok_or_else(|| {
            // Unreachable through `authenticate` (a key that is neither org nor device
            // may only sign a claim), kept as a guard.
            Stop::Rejected(Rejection::new(
                Code::UnknownSigner,
                "a consumer key may only claim items",
            ))
        })
    }
    fn id(&self) -> Result<OrgId, Stop> {
        Ok(self.org()?.key)
    }
    fn need_scope(&self, bit: u32, what: &str) -> Result<(), Stop> {
        if self.scopes & bit == 0 {
            return reject(
                Code::DeviceScope,
                format!("this device is not authorized to {what}"),
            );
        }
        Ok(())
    }
    fn need_org_key(&self, what: &str) -> Result<(), Stop> {
        if self.device {
            return reject(Code::OrgKeyRequired, format!("only the org key may {what}"));
        }
        Ok(())
    }
    fn need_role(&self, roles: &[Role], what: &str) -> Result<(), Stop> {
        let org = self.org()?;
        if roles.iter().any(|r| org.has_role(*r)) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        reject(
            Code::WrongRole,
            format!(
                "{} needs the role {} to {what}",
                org.name,
                names.join(" or ")
            ),
        )
    }
}

/// Applies a transaction whose signature the caller has verified (block execution verifies
/// signatures in batches first; `apply` below verifies one itself).
///
/// The outer `Err` is a failed state read: no verdict on the transaction exists, the
/// overlay's tentative writes are dropped, and the caller must abandon the whole block
/// (it is not a `Rejection`, which would be recorded in the block as if it were a rule).
pub fn apply_verified(
    ctx: &BlockContext,
    index: u32,
    state: &mut Overlay<'_>,
    tx: &SignedTx,
) -> Result<Result<Effects, Rejection>, ReadError> {
    match apply_inner(ctx, index, state, tx) {
        Ok(effects) => Ok(Ok(effects)),
        Err(Stop::Rejected(r)) => Ok(Err(r)),
        Err(Stop::Unreadable(e)) => {
            state.abort_tx();
            Err(e)
        }
    }
}

fn apply_inner(
    ctx: &BlockContext,
    index: u32,
    state: &mut Overlay<'_>,
    tx: &SignedTx,
) -> Result<Effects, Stop> {
    state.abort_tx();
    // Transactions built in-process never went through `SignedTx::decode`: apply the same
    // bounds here, so nothing enters a block that a peer could not decode.
    let wire_len = tx.body_bytes().len() + 4 + 64;
    if wire_len > MAX_TX_BYTES {
        return reject(
            Code::TooLarge,
            format!("transaction is {wire_len} bytes; at most {MAX_TX_BYTES} allowed"),
        );
    }
    check_limits(&tx.body.payload)?;
    let actor = authenticate(ctx, state, tx)?;
    let body = &tx.body;
    let mut run = Run {
        ctx,
        index,
        tx,
        actor: &actor,
        state,
        effects: Effects::default(),
    };
    run.effects.org = actor.org.as_ref().map(|o| o.key);
    let result = if body.event_time_ms > ctx.time_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
        reject(
            Code::EventInFuture,
            format!(
                "event time is {} s ahead of the block time; at most {} s allowed",
                (body.event_time_ms - ctx.time_ms) / 1000,
                MAX_CLOCK_SKEW_MS / 1000
            ),
        )
    } else {
        run.payload()
    };
    let effects = run.effects;
    let result = match result {
        Ok(()) => Ok(()),
        Err(Stop::Unreadable(e)) => return Err(Stop::Unreadable(e)),
        Err(Stop::Rejected(r)) => {
            state.abort_tx();
            Err(r)
        }
    };
    // A payload refused with a "changes nothing" code (e.g. a weak key being admitted)
    // stays out of the block entirely, so it must not consume the nonce either: the block
    // replayed elsewhere would not contain it.
    if let Err(e) = &result
        && e.code.changes_nothing()
    {
        return Err(Stop::Rejected(e.clone()));
    }
    state.put(
        StateKey::Account(body.signer),
        Record::Account(AccountRecord {
            next_nonce: body.nonce + 1,
        }),
    );
    state.commit_tx();
    result.map(|()| effects).map_err(Stop::Rejected)
}

/// Verifies the signature (the one rule, `crypto::verify_tx`), then applies (see
/// [`apply_verified`]).
pub fn apply(
    ctx: &BlockContext,
    index: u32,
    state: &mut Overlay<'_>,
    tx: &SignedTx,
) -> Result<Result<Effects, Rejection>, ReadError> {
    if !crate::crypto::verify_tx(tx) {
        return Ok(Err(Rejection::new(
            Code::BadSignature,
            "the signature does not verify against the signer's key",
        )));
    }
    apply_verified(ctx, index, state, tx)
}

fn authenticate(ctx: &BlockContext, state: &Overlay<'_>, tx: &SignedTx) -> Result<Actor, Stop> {
    let body = &tx.body;
    if body.chain_id != ctx.chain_id {
        return reject(
            Code::WrongChain,
            format!("signed for chain {}", body.chain_id.short()),
        );
    }
    let actor = if let Some(org) = state.org(&StateKey::Org(body.signer))? {
        if org.suspended {
            return reject(Code::OrgSuspended, format!("{} is suspended", org.name));
        }
        Actor {
            org: Some(org),
            scopes: scope::ALL,
            device: false,
        }
    } else if let Some(dev) = state.device(&StateKey::Device(body.signer))? {
        if dev.revoked_at.is_some() {
            return reject(
                Code::DeviceRevoked,
                format!("device '{}' was revoked", dev.label),
            );
        }
        if dev.expires_at_ms.is_some_and(|e| ctx.time_ms > e) {
            return reject(
                Code::DeviceExpired,
                format!("device '{}' authorization expired", dev.label),
            );
        }
        let org = state
            .org(&StateKey::Org(dev.org))?
            .ok_or_else(|| Rejection::new(Code::UnknownSigner, "the device's org is unknown"))?;
        if org.suspended {
            return reject(Code::OrgSuspended, format!("{} is suspended", org.name));
        }
        Actor {
            org: Some(org),
            scopes: dev.scopes,
            device: true,
        }
    } else if matches!(body.payload, Payload::SetValidators { .. })
        && state
            .validator_set(&StateKey::Validators)?
            .is_some_and(|s| s.validators.contains(&body.signer))
    {
        // A current validator's own key may submit a validator-set change (validators
        // need not be orgs); it has a nonce like any signer and may sign nothing else.
        Actor {
            org: None,
            scopes: 0,
            device: false,
        }
    } else if matches!(body.payload, Payload::Claim(_) | Payload::PinClaim { .. }) {
        if !crate::crypto::key_is_acceptable(&body.signer) {
            return reject(Code::WeakKey, "the consumer key is not a valid ed25519 key");
        }
        Actor {
            org: None,
            scopes: 0,
            device: false,
        }
    } else {
        return reject(
            Code::UnknownSigner,
            format!(
                "signer {} is not an admitted org or an authorized device",
                body.signer.short()
            ),
        );
    };
    let expected = match state.get(&StateKey::Account(body.signer))? {
        Some(Record::Account(a)) => a.next_nonce,
        _ => 0,
    };
    if body.nonce < expected {
        return reject(
            Code::NonceReused,
            format!("nonce {} was already used; next is {expected}", body.nonce),
        );
    }
    if body.nonce > expected {
        return reject(
            Code::NonceGap,
            format!("nonce {} skips ahead; next is {expected}", body.nonce),
        );
    }
    Ok(actor)
}

/// Where an item effectively is: the outermost container decides custody and ownership.
#[derive(Clone, Debug)]
pub struct Custody {
    /// Effective custodian.
    pub custodian: OrgId,
    /// Effective owner.
    pub owner: OrgId,
    /// The open handoff locking it or one of its containers.
    pub handoff: Option<HandoffId>,
    /// The outermost container, if packed.
    pub root: Option<Gs1Key>,
    /// How many containers it is inside.
    pub depth: usize,
}

/// Resolves the effective custody of an item or container through its containers (a
/// failed read of a container fails the whole resolution).
pub fn resolve_custody(
    get: &dyn Fn(&Gs1Key) -> ReadResult<Option<ItemRecord>>,
    item: &ItemRecord,
) -> ReadResult<Custody> {
    let mut c = Custody {
        custodian: item.custodian,
        owner: item.owner,
        handoff: item.handoff,
        root: None,
        depth: 0,
    };
    let mut parent = item.container.clone();
    while let Some(pk) = parent {
        if c.depth > MAX_NESTING {
            break;
        }
        let Some(p) = get(&pk)? else { break };
        c.depth += 1;
        c.custodian = p.custodian;
        c.owner = p.owner;
        c.handoff = c.handoff.or(p.handoff);
        c.root = Some(pk);
        parent = p.container.clone();
    }
    Ok(c)
}

struct Run<'r, 'a> {
    ctx: &'r BlockContext,
    index: u32,
    tx: &'r SignedTx,
    actor: &'r Actor,
    state: &'r mut Overlay<'a>,
    effects: Effects,
}

fn bad_id(what: &str, e: impl std::fmt::Display) -> Rejection {
    Rejection::new(Code::BadId, format!("{what}: {e}"))
}

fn check_gln(what: &str, gln: &Option<String>) -> Result<(), Stop> {
    if let Some(g) = gln {
        Gs1Key::Gln {
            gln: g.clone(),
            extension: None,
        }
        .validate()
        .map_err(|e| bad_id(what, e))?;
    }
    Ok(())
}

fn check_expiry(expiry: &Option<String>) -> Result<(), Stop> {
    if let Some(e) = expiry {
        let ok = e.len() == 6
            && e.bytes().all(|b| b.is_ascii_digit())
            && matches!(e[2..4].parse::<u8>(), Ok(1..=12))
            && matches!(e[4..6].parse::<u8>(), Ok(0..=31));
        if !ok {
            return reject(Code::BadField, format!("expiry '{e}' is not a YYMMDD date"));
        }
    }
    Ok(())
}

/// Claim keys given with new items (commission or transform outputs): one per entry or
/// none, serialized items only, valid keys, no key on two items (one purchase would
/// claim both).
fn check_claim_keys(entries: &[Entry], keys: &[PublicKey]) -> Result<(), Stop> {
    if keys.is_empty() {
        return Ok(());
    }
    if keys.len() != entries.len() {
        return reject(Code::BadField, "give one claim key per entry, or none");
    }
    let mut seen = HashSet::new();
    for (e, k) in entries.iter().zip(keys) {
        let name = e.key.canonical();
        if !matches!(e.key, Gs1Key::Serial { .. }) {
            return reject(
                Code::BadField,
                format!("{name}: only serialized items take a claim key"),
            );
        }
        if !crate::crypto::key_is_acceptable(k) {
            return reject(
                Code::BadField,
                format!("{name}: the claim key is not a valid ed25519 key"),
            );
        }
        if !seen.insert(*k) {
            return reject(
                Code::BadField,
                format!("{name}: the same claim key is given to two items"),
            );
        }
    }
    Ok(())
}

fn no_duplicates<'e>(entries: impl IntoIterator<Item = &'e Entry>) -> Result<(), Stop> {
    let mut seen = HashSet::new();
    for e in entries {
        if !seen.insert(&e.key) {
            return reject(
                Code::DuplicateEntry,
                format!("{} appears twice", e.key.canonical()),
            );
        }
    }
    Ok(())
}

/// The kind of thing an entry names, with its quantity checked.
#[allow(clippy::large_enum_variant)] // short-lived, one per entry being applied
enum Thing {
    Item(ItemRecord),
    Lot(LotRecord, u64),
}

impl<'r, 'a> Run<'r, 'a> {
    fn event(&self, kind: &str) -> Event {
        Event {
            kind: kind.to_string(),
            tx: self.tx.id(),
            height: self.ctx.height,
            index: self.index,
            by: self
                .actor
                .org
                .as_ref()
                .map_or(self.tx.body.signer, |o| o.key),
            signer: self.tx.body.signer,
            event_time_ms: self.tx.body.event_time_ms,
            record_time_ms: self.ctx.time_ms,
            handoff: None,
            counterparty: None,
            transfer: None,
            at: None,
            quantity: None,
            related: Vec::new(),
            note: None,
            data: Vec::new(),
        }
    }

    fn append(&mut self, key: &Gs1Key, head: &mut HistoryHead, ev: &Event) {
        let bytes = ev.encode();
        let seq = head.append(&bytes);
        self.effects.history.push(HistoryAppend {
            key: key.canonical(),
            seq,
            event: bytes,
        });
    }

    fn put_item(&mut self, item: ItemRecord) {
        self.state
            .put(StateKey::item(&item.key), Record::Item(item));
    }
    fn put_lot(&mut self, lot: LotRecord) {
        self.state.put(StateKey::item(&lot.key), Record::Lot(lot));
    }

    /// Appends `ev` to the history of the item or lot under `key` and stores it.
    fn record_event(&mut self, key: &Gs1Key, ev: &Event) -> ReadResult<()> {
        match self.state.get(&StateKey::item(key))? {
            Some(Record::Item(mut it)) => {
                self.append(key, &mut it.history, ev);
                self.put_item(it);
            }
            Some(Record::Lot(mut lot)) => {
                self.append(key, &mut lot.history, ev);
                self.put_lot(lot);
            }
            _ => {}
        }
        Ok(())
    }

    fn custody(&self, item: &ItemRecord) -> ReadResult<Custody> {
        let st = &*self.state;
        resolve_custody(&|k| st.item(&StateKey::item(k)), item)
    }

    fn load(&self, e: &Entry) -> Result<Thing, Stop> {
        let c = e.key.canonical();
        match &e.key {
            Gs1Key::Serial { .. } | Gs1Key::Sscc { .. } => {
                if e.quantity.is_some() {
                    return reject(
                        Code::BadQuantity,
                        format!("{c} is a single item; give no quantity"),
                    );
                }
                match self.state.item(&StateKey::item(&e.key))? {
                    Some(it) => Ok(Thing::Item(it)),
                    None => reject(Code::UnknownItem, format!("{c} was never commissioned")),
                }
            }
            Gs1Key::Lot { .. } => {
                let Some(q) = e.quantity else {
                    return reject(Code::BadQuantity, format!("{c} is a lot; give a quantity"));
                };
                match self.state.lot(&StateKey::item(&e.key))? {
                    Some(l) => Ok(Thing::Lot(l, q)),
                    None => reject(Code::UnknownItem, format!("lot {c} was never commissioned")),
                }
            }
            _ => reject(Code::BadId, format!("{c} is not an item, lot or container")),
        }
    }

    /// Checks an item can be moved by the actor: active, loose, not locked, and held or
    /// owned as the transfer requires.
    fn check_movable(&self, it: &ItemRecord, custody: bool, ownership: bool) -> Result<(), Stop> {
        let me = self.actor.id()?;
        let c = it.key.canonical();
        if it.status != ItemStatus::Active {
            return reject(
                Code::ItemInactive,
                format!("{c} is {:?}", it.status).to_lowercase(),
            );
        }
        if let Some(container) = &it.container {
            return reject(
                Code::ItemPacked,
                format!(
                    "{c} is packed in {}; move or unpack the container",
                    container.canonical()
                ),
            );
        }
        if it.handoff.is_some() {
            return reject(
                Code::ItemInTransit,
                format!("{c} is already in an open handoff"),
            );
        }
        if custody && it.custodian != me {
            return reject(Code::NotCustodian, format!("{c} is not in your custody"));
        }
        if ownership && it.owner != me {
            return reject(Code::NotOwner, format!("{c} is not owned by you"));
        }
        Ok(())
    }

    /// Takes `q` of a lot from the loose positions the actor may move, owner-and-custodian
    /// positions first. Returns the positions taken from.
    fn take_lot(
        &self,
        lot: &mut LotRecord,
        q: u64,
        custody: bool,
        ownership: bool,
    ) -> Result<Vec<(OrgId, OrgId, u64)>, Stop> {
        let me = self.actor.id()?;
        let pledges = self.lot_pledges(&lot.key)?;
        let mut pledged_here = 0;
        let mut positions: Vec<(bool, OrgId, OrgId, u64)> = lot
            .balances
            .iter()
            .filter_map(|(h, n)| match h {
                Holder::Org { custodian, owner }
                    if (!custody || *custodian == me) && (!ownership || *owner == me) =>
                {
                    // What a receipt pledges stays where it is.
                    let p = Self::pledged_of(&pledges, *custodian, *owner).min(*n);
                    pledged_here += p;
                    Some((
                        !(*custodian == me && *owner == me),
                        *custodian,
                        *owner,
                        *n - p,
                    ))
                }
                _ => None,
            })
            .collect();
        positions.sort();
        let available: u64 = positions.iter().map(|p| p.3).sum();
        if available < q && available + pledged_here >= q {
            let under = pledges
                .first()
                .map(|p| p.receipt.short())
                .unwrap_or_default();
            return reject(
                Code::Pledged,
                format!(
                    "{pledged_here} of lot {} is pledged (receipt {under}): the lender must release it first; {available} free, {q} asked",
                    lot.key.canonical()
                ),
            );
        }
        if available < q {
            return reject(
                Code::InsufficientQuantity,
                format!(
                    "you can move {available} of lot {}; {q} asked",
                    lot.key.canonical()
                ),
            );
        }
        let mut left = q;
        let mut taken = Vec::new();
        for (_, c, o, n) in positions {
            if left == 0 {
                break;
            }
            let t = n.min(left);
            lot.debit(
                &Holder::Org {
                    custodian: c,
                    owner: o,
                },
                t,
            );
            taken.push((c, o, t));
            left -= t;
        }
        Ok(taken)
    }

    fn payload(&mut self) -> Result<(), Stop> {
        let p = self.tx.body.payload.clone();
        self.refuse_pledged(&p)?;
        match p {
            Payload::AdmitOrg(a) => self.admit_org(a),
            Payload::SuspendOrg { org, reason } => self.suspend_org(org, reason),
            Payload::AuthorizeDevice {
                device,
                label,
                scopes,
                expires_at_ms,
            } => self.authorize_device(device, label, scopes, expires_at_ms),
            Payload::RevokeDevice { device, .. } => self.revoke_device(device),
            Payload::DefineProduct {
                gtin,
                name,
                description,
                attributes,
                image_hash,
            } => self.define_product(gtin, name, description, attributes, image_hash),
            Payload::LicenseProduct { gtin, licensee } => self.license_product(gtin, licensee),
            Payload::Commission(c) => self.commission(c),
            Payload::PinCommission(c) => self.pin_commission(c),
            Payload::Pack { container, entries } => self.pack(container, entries),
            Payload::Unpack { container, entries } => self.unpack(container, entries),
            Payload::ProposeHandoff(h) => self.propose(h),
            Payload::AcceptHandoff(a) => self.accept(a),
            Payload::RejectHandoff { handoff, reason } => self.close(handoff, Some(reason), false),
            Payload::CancelHandoff { handoff } => self.close(handoff, None, true),
            Payload::Observe(o) => self.observe(o),
            Payload::Transform(t) => self.transform(t, &[]),
            Payload::ClaimedTransform(c) => self.transform(c.transform, &c.claim_keys),
            Payload::Sell { entries } => self.sell(entries),
            Payload::Claim(c) => self.claim(c),
            Payload::PinClaim { .. } => reject(
                Code::PinRetired,
                "claim PINs are retired: claim with the item's claim code",
            ),
            Payload::Recall {
                gtin,
                scope,
                reason,
            } => self.recall(gtin, scope, reason),
            Payload::ReportStolen { entries, note } => self.report_stolen(entries, note),
            Payload::Decommission { entries, reason } => self.decommission(entries, reason),
            Payload::Correct {
                target,
                reason,
                fields,
            } => self.correct(target, reason, fields),
            Payload::SetValidators {
                validators,
                epoch,
                approvals,
            } => self.set_validators(validators, epoch, approvals),
            Payload::Certify(c) => self.certify(c),
            Payload::ChangeCertification { id, change, reason } => {
                self.change_certification(id, change, reason)
            }
            Payload::NotarizeDocument(n) => self.notarize(n),
            Payload::SetSealKey { key } => self.set_seal_key(key),
            Payload::Receipt(op) => self.receipt(op),
            Payload::Receivable(op) => self.receivable(op),
        }
    }

    /// Pledged goods cannot move, be packed, unpacked, transformed, sold or destroyed
    /// until the lender releases them: checked before any other rule, so the refusal
    /// names the pledge.
    fn refuse_pledged(&self, p: &Payload) -> Result<(), Stop> {
        for k in pledge_subjects(p) {
            if let Some(Record::PledgeLock(PledgeLock {
                receipt: r,
                pledged: true,
            })) = self.state.get(&StateKey::PledgeLock(k.canonical()))?
            {
                return reject(
                    Code::Pledged,
                    format!(
                        "{} is pledged under receipt {}: the lender must release it first",
                        k.canonical(),
                        r.short()
                    ),
                );
            }
        }
        Ok(())
    }

    fn load_receipt(&self, id: Hash32) -> Result<ReceiptRecord, Stop> {
        match self.state.receipt(&StateKey::Asset(id))? {
            Some(r) => Ok(r),
            None => reject(Code::UnknownAsset, format!("no receipt {}", id.short())),
        }
    }

    /// Checks goods for a receipt: loose, active, not in transit, held by `warehouse`,
    /// owned by `owner`, and not pledged under any receipt.
    fn check_receipt_goods(
        &self,
        goods: &[Gs1Key],
        warehouse: OrgId,
        owner: OrgId,
    ) -> Result<(), Stop> {
        for k in goods {
            let c = k.canonical();
            let Some(it) = self.state.item(&StateKey::item(k))? else {
                return reject(
                    Code::UnknownItem,
                    format!(
                        "{c} is not a commissioned item or container (a lot goes on a receipt as a lot line, with its quantity)"
                    ),
                );
            };
            if it.status != ItemStatus::Active {
                return reject(Code::ItemInactive, format!("{c} is no longer active"));
            }
            if it.container.is_some() {
                return reject(
                    Code::ItemPacked,
                    format!("{c} is packed; receipt its container"),
                );
            }
            if it.handoff.is_some() {
                return reject(Code::ItemInTransit, format!("{c} is in an open handoff"));
            }
            if it.custodian != warehouse {
                return reject(
                    Code::NotCustodian,
                    format!("{c} is not held by the warehouse"),
                );
            }
            if it.owner != owner {
                return reject(
                    Code::NotOwner,
                    format!("{c} is not owned by the receipt's owner"),
                );
            }
            if let Some(Record::PledgeLock(PledgeLock {
                receipt: r,
                pledged: true,
            })) = self.state.get(&StateKey::PledgeLock(c.clone()))?
            {
                return reject(
                    Code::AlreadyPledged,
                    format!("{c} is already pledged under receipt {}", r.short()),
                );
            }
        }
        Ok(())
    }

    fn receipt(&mut self, op: ReceiptOp) -> Result<(), Stop> {
        self.actor.need_org_key("sign warehouse receipt steps")?;
        let me = self.actor.id()?;
        match op {
            ReceiptOp::Issue { owner, goods, lots } => {
                self.actor
                    .need_role(&[Role::Warehouse], "issue warehouse receipts")?;
                if goods.is_empty() && lots.is_empty() {
                    return reject(Code::BadField, "a receipt needs goods");
                }
                let items: Vec<Entry> = goods.iter().cloned().map(Entry::item).collect();
                no_duplicates(items.iter().chain(&lots))?;
                if self.state.org(&StateKey::Org(owner))?.is_none() {
                    return reject(Code::UnknownOrg, format!("no org {}", owner.short()));
                }
                self.check_receipt_goods(&goods, me, owner)?;
                for e in &lots {
                    self.free_lot_quantity(e, me, owner)?;
                }
                let id = self.tx.id();
                self.put_receipt(ReceiptRecord {
                    id,
                    warehouse: me,
                    owner,
                    lender: None,
                    goods,
                    released: Vec::new(),
                    status: ReceiptStatus::Issued,
                    issued_height: self.ctx.height,
                    updated_height: self.ctx.height,
                    lots,
                });
            }
            ReceiptOp::Pledge { receipt, lender } => {
                let mut r = self.load_receipt(receipt)?;
                if r.owner != me {
                    return reject(
                        Code::NotOwner,
                        "only the goods' owner may pledge the receipt",
                    );
                }
                if r.status != ReceiptStatus::Issued {
                    return reject(
                        Code::AssetStatus,
                        format!("receipt {} is {:?}, not issued", receipt.short(), r.status),
                    );
                }
                match self.state.org(&StateKey::Org(lender))? {
                    Some(o) if o.has_role(Role::Lender) => {}
                    Some(o) => {
                        return reject(Code::WrongRole, format!("{} is not a lender", o.name));
                    }
                    None => return reject(Code::UnknownOrg, format!("no org {}", lender.short())),
                }
                r.lender = Some(lender);
                r.status = ReceiptStatus::PledgeOffered;
                r.updated_height = self.ctx.height;
                self.put_receipt(r);
            }
            ReceiptOp::AcceptPledge { receipt } => {
                let mut r = self.load_receipt(receipt)?;
                if r.status != ReceiptStatus::PledgeOffered || r.lender != Some(me) {
                    return reject(
                        Code::AssetStatus,
                        format!("receipt {} is not offered to you", receipt.short()),
                    );
                }
                // The goods may have moved since the receipt was issued: check again.
                self.check_receipt_goods(&r.goods, r.warehouse, r.owner)?;
                for k in &r.goods {
                    self.put_lock(k, receipt, true);
                }
                for e in &r.lots {
                    let q = self.free_lot_quantity(e, r.warehouse, r.owner)?;
                    let mut pledges = self.lot_pledges(&e.key)?;
                    if pledges.len() >= MAX_LOT_HOLDERS {
                        return reject(
                            Code::RecordFull,
                            format!("lot {} has too many pledges", e.key.canonical()),
                        );
                    }
                    pledges.push(LotPledge {
                        receipt,
                        warehouse: r.warehouse,
                        owner: r.owner,
                        quantity: q,
                    });
                    self.put_lot_pledges(&e.key, pledges);
                }
                r.status = ReceiptStatus::Pledged;
                r.updated_height = self.ctx.height;
                self.put_receipt(r);
            }
            ReceiptOp::Release { receipt, goods } => {
                let mut r = self.pledged_to_me(receipt, me)?;
                let pledged: Vec<Gs1Key> = r
                    .goods
                    .iter()
                    .chain(r.lots.iter().map(|e| &e.key))
                    .filter(|k| !r.released.contains(k))
                    .cloned()
                    .collect();
                let release = if goods.is_empty() {
                    pledged.clone()
                } else {
                    goods
                };
                no_duplicates(&release.iter().cloned().map(Entry::item).collect::<Vec<_>>())?;
                for k in &release {
                    if !pledged.contains(k) {
                        return reject(
                            Code::BadField,
                            format!("{} is not pledged under this receipt", k.canonical()),
                        );
                    }
                    if matches!(k, Gs1Key::Lot { .. }) {
                        self.unpledge_lot(k, receipt)?;
                    } else {
                        self.put_lock(k, receipt, false);
                    }
                }
                r.released.extend(release);
                if r.released.len() == r.goods.len() + r.lots.len() {
                    r.status = ReceiptStatus::Released;
                }
                r.updated_height = self.ctx.height;
                self.put_receipt(r);
            }
            ReceiptOp::Enforce { receipt } => {
                let mut r = self.pledged_to_me(receipt, me)?;
                for k in r.goods.clone() {
                    if r.released.contains(&k) {
                        continue;
                    }
                    self.put_lock(&k, receipt, false);
                    if let Some(mut it) = self.state.item(&StateKey::item(&k))? {
                        it.owner = me;
                        let mut ev = self.event("pledge_enforced");
                        ev.counterparty = Some(r.owner);
                        self.append(&k, &mut it.history, &ev);
                        self.put_item(it);
                    }
                }
                for e in r.lots.clone() {
                    if r.released.contains(&e.key) {
                        continue;
                    }
                    self.unpledge_lot(&e.key, receipt)?;
                    let q = e.quantity.unwrap_or(0);
                    if let Some(mut lot) = self.state.lot(&StateKey::item(&e.key))? {
                        // The pledge kept the quantity in place: it is all there.
                        if !lot.debit(
                            &Holder::Org {
                                custodian: r.warehouse,
                                owner: r.owner,
                            },
                            q,
                        ) {
                            return reject(
                                Code::InsufficientQuantity,
                                format!(
                                    "the warehouse no longer holds {q} of lot {} for the owner",
                                    e.key.canonical()
                                ),
                            );
                        }
                        lot.credit(
                            Holder::Org {
                                custodian: r.warehouse,
                                owner: me,
                            },
                            q,
                        );
                        let mut ev = self.event("pledge_enforced");
                        ev.counterparty = Some(r.owner);
                        ev.quantity = Some(q);
                        self.append(&e.key, &mut lot.history, &ev);
                        self.put_lot(lot);
                    }
                }
                r.status = ReceiptStatus::Enforced;
                r.updated_height = self.ctx.height;
                self.put_receipt(r);
            }
        }
        Ok(())
    }

    fn load_receivable(&self, id: Hash32) -> Result<ReceivableRecord, Stop> {
        match self.state.receivable(&StateKey::Asset(id))? {
            Some(r) => Ok(r),
            None => reject(Code::UnknownAsset, format!("no receivable {}", id.short())),
        }
    }

    /// Every party has a seal key and the boxes go to exactly the parties, once each.
    fn check_sealed(
        &self,
        parties: &[OrgId],
        sealed: &[crate::finance::SealedBox],
    ) -> Result<(), Stop> {
        for p in parties {
            if self.state.seal_key(&StateKey::SealKey(*p))?.is_none() {
                return reject(
                    Code::NoSealKey,
                    format!("org {} has published no seal key", p.short()),
                );
            }
        }
        let mut to: Vec<OrgId> = sealed.iter().map(|b| b.to).collect();
        to.sort();
        let mut want = parties.to_vec();
        want.sort();
        want.dedup();
        if to != want {
            return reject(
                Code::NoSealKey,
                "the sealed boxes must go to exactly the asset's parties, one each",
            );
        }
        Ok(())
    }

    fn verify_amount(
        &self,
        id: &Hash32,
        what: &str,
        a: &crate::finance::ProvenAmount,
    ) -> Result<(), Stop> {
        crate::finance::verify_deterministic(id, a).map_err(|e| finance_rejection(what, e))?;
        Ok(())
    }

    fn receivable(&mut self, op: ReceivableOp) -> Result<(), Stop> {
        self.actor.need_org_key("sign finance steps")?;
        let me = self.actor.id()?;
        let h = self.ctx.height;
        let (id, mut r) = match op {
            ReceivableOp::Issue {
                buyer,
                invoice_ref,
                currency,
                due_ms,
                lines,
                sealed,
            } => {
                if !crate::finance::valid_currency(&currency) {
                    return reject(
                        Code::BadCurrency,
                        format!("'{currency}' is not an ISO 4217 currency code"),
                    );
                }
                if lines.is_empty() {
                    return reject(Code::BadField, "an invoice needs lines");
                }
                if self.state.org(&StateKey::Org(buyer))?.is_none() {
                    return reject(Code::UnknownOrg, format!("no org {}", buyer.short()));
                }
                let id = crate::finance::receivable_id(&me, &buyer, &invoice_ref);
                if self.state.get(&StateKey::Asset(id))?.is_some() {
                    return reject(Code::AssetStatus, "this invoice was already issued");
                }
                let mut seen = HashSet::new();
                for l in &lines {
                    let c = l.entry.key.canonical();
                    if !seen.insert((l.handoff, c.clone())) {
                        return reject(Code::DuplicateEntry, format!("{c} is invoiced twice"));
                    }
                    let Some(ho) = self.state.handoff(&StateKey::Handoff(l.handoff))? else {
                        return reject(
                            Code::UnknownHandoff,
                            format!("no handoff {}", l.handoff.short()),
                        );
                    };
                    if ho.status != HandoffStatus::Accepted || ho.from != me || ho.to != buyer {
                        return reject(
                            Code::NotDelivered,
                            format!(
                                "handoff {} is not an accepted delivery from you to the buyer",
                                l.handoff.short()
                            ),
                        );
                    }
                    let Some(offered) = ho.entries.iter().find(|e| e.key == l.entry.key) else {
                        return reject(
                            Code::NotDelivered,
                            format!("{c} is not in handoff {}", l.handoff.short()),
                        );
                    };
                    let excepted: u64 = ho
                        .missing
                        .iter()
                        .chain(&ho.damaged)
                        .filter(|e| e.key == l.entry.key)
                        .map(|e| e.quantity.unwrap_or(offered.quantity.unwrap_or(1)))
                        .sum();
                    let delivered = offered.quantity.unwrap_or(1).saturating_sub(excepted);
                    let q = match (offered.quantity, l.entry.quantity) {
                        (None, None) => 1,
                        (Some(_), Some(q)) => q,
                        _ => {
                            return reject(
                                Code::BadQuantity,
                                format!("{c}: a quantity for lots only"),
                            );
                        }
                    };
                    let key = crate::finance::invoiced_key(&l.handoff, &l.entry.key);
                    let before = match self.state.get(&key)? {
                        Some(Record::Invoiced(x)) => x.quantity,
                        _ => 0,
                    };
                    if before + q > delivered {
                        return reject(
                            Code::AlreadyInvoiced,
                            format!(
                                "{c} of handoff {}: {before} of {delivered} already invoiced",
                                l.handoff.short()
                            ),
                        );
                    }
                    self.verify_amount(&id, "an invoice line", &l.amount)?;
                    self.state.put(
                        key,
                        Record::Invoiced(InvoicedLine {
                            receivable: id,
                            quantity: before + q,
                        }),
                    );
                }
                self.check_sealed(&[me, buyer], &sealed)?;
                let commitments: Vec<_> = lines.iter().map(|l| l.amount.commitment).collect();
                let face = crate::finance::sum(&commitments)
                    .map_err(|e| finance_rejection("the face value", e))?;
                let rec = ReceivableRecord {
                    id,
                    seller: me,
                    buyer,
                    holder: me,
                    lender: None,
                    currency,
                    due_ms,
                    lines: lines.into_iter().map(|l| (l.handoff, l.entry)).collect(),
                    face,
                    outstanding: face,
                    status: ReceivableStatus::Issued,
                    issued_height: h,
                    updated_height: h,
                    splits: 0,
                    parent: None,
                };
                (id, rec)
            }
            ReceivableOp::Confirm { receivable } => {
                let mut r = self.load_receivable(receivable)?;
                if r.buyer != me || r.status != ReceivableStatus::Issued {
                    return reject(
                        Code::AssetStatus,
                        "only the buyer confirms an issued receivable",
                    );
                }
                r.status = ReceivableStatus::Confirmed;
                (receivable, r)
            }
            ReceivableOp::RequestFinance {
                receivable,
                lender,
                sealed,
            } => {
                let mut r = self.load_receivable(receivable)?;
                if r.holder != me {
                    return reject(Code::NotOwner, "only the holder may ask for finance");
                }
                if r.lender.is_some() {
                    return reject(
                        Code::AlreadyFinanced,
                        "this receivable is already financed or being financed",
                    );
                }
                if r.status != ReceivableStatus::Confirmed {
                    return reject(Code::AssetStatus, "only a confirmed receivable is financed");
                }
                match self.state.org(&StateKey::Org(lender))? {
                    Some(o) if o.has_role(Role::Lender) => {}
                    Some(o) => {
                        return reject(Code::WrongRole, format!("{} is not a lender", o.name));
                    }
                    None => return reject(Code::UnknownOrg, format!("no org {}", lender.short())),
                }
                self.check_sealed(&[lender], &sealed)?;
                r.lender = Some(lender);
                r.status = ReceivableStatus::FinanceRequested;
                (receivable, r)
            }
            ReceivableOp::Offer {
                receivable,
                advance,
                fee,
                sealed,
            } => {
                let mut r = self.load_receivable(receivable)?;
                if r.lender != Some(me) || r.status != ReceivableStatus::FinanceRequested {
                    return reject(Code::AssetStatus, "only the requested lender offers, once");
                }
                self.check_sealed(&[r.holder, r.buyer, me], &sealed)?;
                self.verify_amount(&receivable, "the advance", &advance)?;
                self.verify_amount(&receivable, "the fee", &fee)?;
                r.status = ReceivableStatus::Offered;
                (receivable, r)
            }
            ReceivableOp::AcceptOffer { receivable } => {
                let mut r = self.load_receivable(receivable)?;
                if r.holder != me || r.status != ReceivableStatus::Offered {
                    return reject(Code::AssetStatus, "only the holder accepts an offer");
                }
                r.status = ReceivableStatus::OfferAccepted;
                (receivable, r)
            }
            ReceivableOp::Fund { receivable } => {
                let mut r = self.load_receivable(receivable)?;
                if r.lender != Some(me) || r.status != ReceivableStatus::OfferAccepted {
                    return reject(Code::AssetStatus, "the lender funds only an accepted offer");
                }
                r.status = ReceivableStatus::Funded;
                (receivable, r)
            }
            ReceivableOp::Repay {
                receivable,
                payment,
                outstanding,
                reference,
                sealed,
            } => {
                let mut r = self.load_receivable(receivable)?;
                if r.buyer != me || !r.status.is_open() {
                    return reject(Code::AssetStatus, "the buyer repays a confirmed receivable");
                }
                let rk = StateKey::PaymentRef(reference);
                if self.state.get(&rk)?.is_some() {
                    return reject(
                        Code::PaymentRefUsed,
                        "this payment reference was used before",
                    );
                }
                let mut parties = vec![r.holder, r.buyer];
                parties.extend(r.lender);
                self.check_sealed(&parties, &sealed)?;
                crate::finance::check_decrease(&receivable, &r.outstanding, &payment, &outstanding)
                    .map_err(|e| finance_rejection("the repayment", e))?;
                self.state.put(rk, Record::PaymentRef(receivable));
                r.outstanding = outstanding.commitment;
                (receivable, r)
            }
            ReceivableOp::Split {
                receivable,
                kept,
                parts,
                sealed,
            } => {
                let mut r = self.unfinanced_held_by(receivable, me)?;
                if parts.is_empty() {
                    return reject(Code::BadField, "a split needs parts");
                }
                self.check_sealed(&[r.holder, r.buyer], &sealed)?;
                let amounts: Vec<_> = parts.iter().map(|p| p.amount.clone()).collect();
                crate::finance::check_split(&receivable, &r.outstanding, &kept, &amounts)
                    .map_err(|e| finance_rejection("the split", e))?;
                for p in parts {
                    if self.state.org(&StateKey::Org(p.to))?.is_none() {
                        return reject(Code::UnknownOrg, format!("no org {}", p.to.short()));
                    }
                    self.check_sealed(&[p.to, r.buyer], &p.sealed)?;
                    let cid = crate::finance::split_id(&receivable, r.splits);
                    r.splits += 1;
                    let child = ReceivableRecord {
                        id: cid,
                        holder: p.to,
                        lender: None,
                        lines: r.lines.clone(),
                        currency: r.currency.clone(),
                        face: p.amount.commitment,
                        outstanding: p.amount.commitment,
                        status: ReceivableStatus::Confirmed,
                        issued_height: h,
                        updated_height: h,
                        splits: 0,
                        parent: Some(receivable),
                        ..r.clone()
                    };
                    self.put_receivable(child);
                }
                r.outstanding = kept.commitment;
                (receivable, r)
            }
            ReceivableOp::Transfer {
                receivable,
                to,
                sealed,
            } => {
                let mut r = self.unfinanced_held_by(receivable, me)?;
                if self.state.org(&StateKey::Org(to))?.is_none() {
                    return reject(Code::UnknownOrg, format!("no org {}", to.short()));
                }
                self.check_sealed(&[to], &sealed)?;
                r.holder = to;
                (receivable, r)
            }
            ReceivableOp::Dilute {
                receivable,
                credit,
                outstanding,
                sealed,
            } => {
                let mut r = self.load_receivable(receivable)?;
                if r.holder != me || !r.status.is_open() {
                    return reject(
                        Code::AssetStatus,
                        "the holder dilutes a confirmed, open receivable",
                    );
                }
                let mut parties = vec![r.holder, r.buyer];
                parties.extend(r.lender);
                self.check_sealed(&parties, &sealed)?;
                crate::finance::check_decrease(&receivable, &r.outstanding, &credit, &outstanding)
                    .map_err(|e| finance_rejection("the dilution", e))?;
                r.outstanding = outstanding.commitment;
                (receivable, r)
            }
            ReceivableOp::Default { receivable } => {
                let mut r = self.load_receivable(receivable)?;
                if r.lender.unwrap_or(r.holder) != me || r.status != ReceivableStatus::Overdue {
                    return reject(
                        Code::AssetStatus,
                        "only the creditor declares an overdue receivable in default",
                    );
                }
                r.status = ReceivableStatus::Defaulted;
                (receivable, r)
            }
            ReceivableOp::Recover {
                receivable,
                recovered,
                outstanding,
                sealed,
            } => {
                let mut r = self.load_receivable(receivable)?;
                if r.lender.unwrap_or(r.holder) != me || r.status != ReceivableStatus::Defaulted {
                    return reject(
                        Code::AssetStatus,
                        "only the creditor records recoveries on a defaulted receivable",
                    );
                }
                let mut parties = vec![r.holder, r.buyer];
                parties.extend(r.lender);
                self.check_sealed(&parties, &sealed)?;
                crate::finance::check_decrease(
                    &receivable,
                    &r.outstanding,
                    &recovered,
                    &outstanding,
                )
                .map_err(|e| finance_rejection("the recovery", e))?;
                r.outstanding = outstanding.commitment;
                (receivable, r)
            }
            ReceivableOp::WriteOff { receivable } => {
                let mut r = self.load_receivable(receivable)?;
                if r.lender.unwrap_or(r.holder) != me || r.status != ReceivableStatus::Defaulted {
                    return reject(
                        Code::AssetStatus,
                        "only the creditor writes off a defaulted receivable",
                    );
                }
                r.status = ReceivableStatus::WrittenOff;
                (receivable, r)
            }
            ReceivableOp::MarkOverdue { receivable } => {
                let mut r = self.load_receivable(receivable)?;
                let due = r.due_ms.unwrap_or(i64::MAX);
                if !r.status.is_open()
                    || r.status == ReceivableStatus::Overdue
                    || r.status == ReceivableStatus::Defaulted
                    || self.ctx.time_ms <= due
                {
                    return reject(
                        Code::AssetStatus,
                        "only an open receivable past its due date (block time) becomes overdue",
                    );
                }
                r.status = ReceivableStatus::Overdue;
                (receivable, r)
            }
            ReceivableOp::Settle {
                receivable,
                blinding,
            } => {
                let mut r = self.load_receivable(receivable)?;
                if (r.holder != me && r.lender != Some(me)) || !r.status.is_open() {
                    return reject(
                        Code::AssetStatus,
                        "the holder or lender settles an open receivable",
                    );
                }
                crate::finance::check_zero(&r.outstanding, &blinding)
                    .map_err(|e| finance_rejection("the outstanding balance is not zero:", e))?;
                r.status = ReceivableStatus::Settled;
                (receivable, r)
            }
        };
        r.updated_height = h;
        debug_assert_eq!(r.id, id);
        self.put_receivable(r);
        Ok(())
    }

    /// Writes a receipt and indexes this step under it for its parties.
    fn put_receipt(&mut self, r: ReceiptRecord) {
        let parties = [Some(r.warehouse), Some(r.owner), r.lender];
        self.index_finance_step(r.id, parties.into_iter().flatten());
        self.state.put(StateKey::Asset(r.id), Record::Receipt(r));
    }

    /// Writes a receivable and indexes this step under it for its parties.
    fn put_receivable(&mut self, r: ReceivableRecord) {
        let parties = [Some(r.seller), Some(r.buyer), Some(r.holder), r.lender];
        self.index_finance_step(r.id, parties.into_iter().flatten());
        self.state.put(StateKey::Asset(r.id), Record::Receivable(r));
    }

    fn index_finance_step(&mut self, asset: Hash32, parties: impl Iterator<Item = OrgId>) {
        let mut parties: Vec<OrgId> = parties.collect();
        parties.sort_unstable();
        parties.dedup();
        self.effects
            .index
            .push(IndexOp::FinanceStep { asset, parties });
    }

    /// A confirmed receivable held by `me`, with no lender named.
    fn unfinanced_held_by(&self, id: Hash32, me: OrgId) -> Result<ReceivableRecord, Stop> {
        let r = self.load_receivable(id)?;
        if r.holder != me {
            return reject(Code::NotOwner, "only the holder may do this");
        }
        if r.lender.is_some() {
            return reject(
                Code::AlreadyFinanced,
                "a financed receivable cannot be split or transferred",
            );
        }
        if r.status != ReceivableStatus::Confirmed {
            return reject(Code::AssetStatus, "only a confirmed receivable");
        }
        Ok(r)
    }

    fn put_lock(&mut self, k: &Gs1Key, receipt: Hash32, pledged: bool) {
        self.state.put(
            StateKey::PledgeLock(k.canonical()),
            Record::PledgeLock(PledgeLock { receipt, pledged }),
        );
    }

    /// The quantities of a lot pledged now.
    fn lot_pledges(&self, key: &Gs1Key) -> Result<Vec<LotPledge>, Stop> {
        let sk = StateKey::PledgeLock(key.canonical());
        match self.state.get(&sk)? {
            None => Ok(Vec::new()),
            Some(Record::LotPledges(v)) => Ok(v),
            Some(_) => Err(Stop::Unreadable(ReadError::Undecodable {
                key: sk.describe(),
            })),
        }
    }

    fn put_lot_pledges(&mut self, key: &Gs1Key, pledges: Vec<LotPledge>) {
        self.state.put(
            StateKey::PledgeLock(key.canonical()),
            Record::LotPledges(pledges),
        );
    }

    /// Ends `receipt`'s pledge of a lot quantity.
    fn unpledge_lot(&mut self, key: &Gs1Key, receipt: Hash32) -> Result<(), Stop> {
        let mut pledges = self.lot_pledges(key)?;
        pledges.retain(|p| p.receipt != receipt);
        self.put_lot_pledges(key, pledges);
        Ok(())
    }

    /// How much of a lot's position (held by `custodian` for `owner`) is pledged.
    fn pledged_of(pledges: &[LotPledge], custodian: OrgId, owner: OrgId) -> u64 {
        pledges
            .iter()
            .filter(|p| p.warehouse == custodian && p.owner == owner)
            .map(|p| p.quantity)
            .sum()
    }

    /// Checks a receipt's lot line: a lot, loose in `warehouse` for `owner` in at least
    /// the quantity, beyond what is pledged already. Returns the quantity.
    fn free_lot_quantity(&self, e: &Entry, warehouse: OrgId, owner: OrgId) -> Result<u64, Stop> {
        let c = e.key.canonical();
        if !matches!(e.key, Gs1Key::Lot { .. }) {
            return reject(
                Code::BadField,
                format!("{c} is not a lot: list items and containers as goods"),
            );
        }
        let Thing::Lot(lot, q) = self.load(e)? else {
            return reject(Code::BadField, format!("{c} is not a lot"));
        };
        let held = lot.balance(&Holder::Org {
            custodian: warehouse,
            owner,
        });
        let pledged = Self::pledged_of(&self.lot_pledges(&e.key)?, warehouse, owner);
        if held.saturating_sub(pledged) < q {
            let code = if pledged > 0 && held >= q {
                Code::AlreadyPledged
            } else {
                Code::InsufficientQuantity
            };
            return reject(
                code,
                format!(
                    "the warehouse holds {held} of lot {c} for the owner ({pledged} pledged); {q} on the receipt"
                ),
            );
        }
        Ok(q)
    }

    fn pledged_to_me(&self, receipt: Hash32, me: OrgId) -> Result<ReceiptRecord, Stop> {
        let r = self.load_receipt(receipt)?;
        if r.status != ReceiptStatus::Pledged || r.lender != Some(me) {
            return reject(
                Code::AssetStatus,
                format!("receipt {} is not pledged to you", receipt.short()),
            );
        }
        Ok(r)
    }

    /// Publishes the org's seal key (org key only: whoever holds the matching secret
    /// reads every finance term sealed to the org).
    fn set_seal_key(&mut self, key: [u8; 32]) -> Result<(), Stop> {
        self.actor.need_org_key("publish the seal key")?;
        let org = self.actor.id()?;
        if crate::finance::check_seal_key(&key).is_err() {
            return reject(
                Code::BadSealKey,
                "the seal key is not an X25519 key of large order",
            );
        }
        self.state.put(
            StateKey::SealKey(org),
            Record::SealKey(SealKeyRecord {
                key,
                set_height: self.ctx.height,
            }),
        );
        Ok(())
    }

    fn remember(&mut self, keys: Vec<Gs1Key>) {
        let kind = self.tx.body.payload.type_name().to_string();
        let org = self
            .actor
            .org
            .as_ref()
            .map_or(self.tx.body.signer, |o| o.key);
        self.state.put(
            StateKey::Event(self.tx.id()),
            Record::Event(EventMeta {
                org,
                kind,
                keys,
                corrections: 0,
            }),
        );
    }

    // ---- organizations and devices ----

    fn admit_org(&mut self, a: AdmitOrg) -> Result<(), Stop> {
        self.actor.need_org_key("admit organizations")?;
        self.actor
            .need_role(&[Role::Registrar], "admit organizations")?;
        if !crate::crypto::key_is_acceptable(&a.org) {
            return reject(
                Code::WeakKey,
                "the new org's key is not a valid, strong ed25519 key",
            );
        }
        let name = a.name.trim().to_string();
        if name.is_empty() {
            return reject(Code::BadField, "an org needs a name");
        }
        if self.state.get(&StateKey::Org(a.org))?.is_some() {
            return reject(
                Code::OrgExists,
                format!("org {} is already admitted", a.org.short()),
            );
        }
        if self.state.get(&StateKey::Device(a.org))?.is_some() {
            return reject(Code::DeviceExists, "that key is already a device key");
        }
        let name_key = StateKey::OrgName(name.to_lowercase());
        if self.state.get(&name_key)?.is_some() {
            return reject(
                Code::OrgExists,
                format!("an org named '{name}' already exists"),
            );
        }
        for p in &a.prefixes {
            if !gs1::valid_company_prefix(p) {
                return reject(
                    Code::BadField,
                    format!("'{p}' is not a GS1 company prefix (6–12 digits)"),
                );
            }
            for n in 6..=p.len() {
                if self
                    .state
                    .get(&StateKey::Prefix(p[..n].to_string()))?
                    .is_some()
                {
                    return reject(
                        Code::PrefixTaken,
                        format!("company prefix {} is already held", &p[..n]),
                    );
                }
            }
        }
        for g in &a.glns {
            check_gln("org location", &Some(g.clone()))?;
        }
        let mut roles = a.roles.clone();
        roles.sort();
        roles.dedup();
        for p in &a.prefixes {
            self.state
                .put(StateKey::Prefix(p.clone()), Record::Claimed(a.org));
        }
        self.state.put(name_key, Record::Claimed(a.org));
        self.state.put(
            StateKey::Org(a.org),
            Record::Org(OrgRecord {
                key: a.org,
                name,
                prefixes: a.prefixes,
                glns: a.glns,
                roles,
                suspended: false,
                admitted_at: self.ctx.height,
            }),
        );
        self.effects.index.push(IndexOp::OrgAdmitted { org: a.org });
        Ok(())
    }

    fn suspend_org(&mut self, org: OrgId, _reason: String) -> Result<(), Stop> {
        self.actor.need_org_key("suspend organizations")?;
        self.actor
            .need_role(&[Role::Registrar], "suspend organizations")?;
        let Some(mut rec) = self.state.org(&StateKey::Org(org))? else {
            return reject(Code::UnknownOrg, format!("no org {}", org.short()));
        };
        rec.suspended = true;
        self.state.put(StateKey::Org(org), Record::Org(rec));
        Ok(())
    }

    fn authorize_device(
        &mut self,
        device: PublicKey,
        label: String,
        scopes: u32,
        expires_at_ms: Option<i64>,
    ) -> Result<(), Stop> {
        self.actor.need_org_key("authorize devices")?;
        let org = self.actor.id()?;
        if !crate::crypto::key_is_acceptable(&device) {
            return reject(
                Code::WeakKey,
                "the device key is not a valid, strong ed25519 key",
            );
        }
        if scopes == 0 || scopes & !scope::ALL != 0 {
            return reject(
                Code::BadField,
                format!("scope bits {scopes:#x} are not valid"),
            );
        }
        if self.state.get(&StateKey::Device(device))?.is_some()
            || self.state.get(&StateKey::Org(device))?.is_some()
        {
            return reject(Code::DeviceExists, "that key is already in use");
        }
        self.state.put(
            StateKey::Device(device),
            Record::Device(DeviceRecord {
                key: device,
                org,
                label,
                scopes,
                expires_at_ms,
                revoked_at: None,
            }),
        );
        Ok(())
    }

    fn revoke_device(&mut self, device: PublicKey) -> Result<(), Stop> {
        self.actor.need_org_key("revoke devices")?;
        let org = self.actor.id()?;
        match self.state.device(&StateKey::Device(device))? {
            Some(mut d) if d.org == org => {
                if d.revoked_at.is_none() {
                    d.revoked_at = Some(self.ctx.height);
                }
                self.state.put(StateKey::Device(device), Record::Device(d));
                Ok(())
            }
            _ => reject(
                Code::UnknownDevice,
                format!("no device {} of yours", device.short()),
            ),
        }
    }

    // ---- products ----

    fn define_product(
        &mut self,
        gtin: String,
        name: String,
        description: String,
        attributes: Vec<Attr>,
        image_hash: Option<Hash32>,
    ) -> Result<(), Stop> {
        self.actor.need_scope(scope::PRODUCTS, "define products")?;
        self.actor
            .need_role(&[Role::Producer, Role::Manufacturer], "define products")?;
        let org = self.actor.org()?.clone();
        let gtin = gs1::normalize_gtin(&gtin).map_err(|e| bad_id("GTIN", e))?;
        if name.trim().is_empty() {
            return reject(Code::BadField, "a product needs a name");
        }
        if !org.prefixes.iter().any(|p| gs1::gtin_in_prefix(&gtin, p)) {
            return reject(
                Code::PrefixNotOwned,
                format!("GTIN {gtin} is not under a company prefix of {}", org.name),
            );
        }
        let key = StateKey::Product(gtin.clone());
        if self.state.get(&key)?.is_some() {
            return reject(
                Code::ProductExists,
                format!("GTIN {gtin} is already defined"),
            );
        }
        self.state.put(
            key,
            Record::Product(ProductRecord {
                gtin,
                owner: org.key,
                name,
                description,
                attributes,
                image_hash,
                licensees: Vec::new(),
                recalls: Vec::new(),
            }),
        );
        Ok(())
    }

    fn owned_product(&self, gtin: &str) -> Result<ProductRecord, Stop> {
        let gtin = gs1::normalize_gtin(gtin).map_err(|e| bad_id("GTIN", e))?;
        let Some(p) = self.state.product(&StateKey::Product(gtin.clone()))? else {
            return reject(Code::UnknownProduct, format!("GTIN {gtin} is not defined"));
        };
        if p.owner != self.actor.id()? {
            return reject(
                Code::NotBrandOwner,
                format!("you are not the brand owner of {}", p.name),
            );
        }
        Ok(p)
    }

    fn license_product(&mut self, gtin: String, licensee: OrgId) -> Result<(), Stop> {
        self.actor.need_scope(scope::PRODUCTS, "license products")?;
        let mut p = self.owned_product(&gtin)?;
        if self.state.org(&StateKey::Org(licensee))?.is_none() {
            return reject(Code::UnknownOrg, format!("no org {}", licensee.short()));
        }
        if !p.licensees.contains(&licensee) {
            if p.licensees.len() >= MAX_LICENSEES {
                return reject(
                    Code::RecordFull,
                    format!("{} already has {MAX_LICENSEES} licensees", p.name),
                );
            }
            p.licensees.push(licensee);
        }
        self.state
            .put(StateKey::Product(p.gtin.clone()), Record::Product(p));
        Ok(())
    }

    /// Checks the actor may commission items of the GTIN (brand owner or licensee).
    fn may_commission(&self, gtin: &str) -> Result<(), Stop> {
        let Some(p) = self.state.product(&StateKey::Product(gtin.to_string()))? else {
            return reject(Code::UnknownProduct, format!("GTIN {gtin} is not defined"));
        };
        let me = self.actor.id()?;
        if p.owner != me && !p.licensees.contains(&me) {
            return reject(
                Code::NotBrandOwner,
                format!("you neither own nor hold a licence for {} ({gtin})", p.name),
            );
        }
        Ok(())
    }

    /// Creates new items/lots owned and held by the actor.
    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        entries: &[Entry],
        claim_keys: &[PublicKey],
        at: &Option<String>,
        lot_attr: &Option<String>,
        expiry: &Option<String>,
        attributes: &[Attr],
        inputs: &[Entry],
        ev: &Event,
    ) -> Result<(), Stop> {
        let me = self.actor.id()?;
        for (i, e) in entries.iter().enumerate() {
            let gtin = e.key.gtin().unwrap_or_default().to_string();
            let c = e.key.canonical();
            match &e.key {
                Gs1Key::Serial { .. } | Gs1Key::Lot { .. } => self.may_commission(&gtin)?,
                Gs1Key::Sscc { .. } => {
                    return reject(
                        Code::BadId,
                        format!("{c}: containers come into being when packed"),
                    );
                }
                _ => return reject(Code::BadId, format!("{c} is not a serialized item or lot")),
            }
            let key = StateKey::item(&e.key);
            let existing = self.state.get(&key)?;
            let mut ev = ev.clone();
            ev.quantity = e.quantity;
            match (&e.key, e.quantity) {
                (Gs1Key::Serial { .. }, None) => {
                    if existing.is_some() {
                        return reject(
                            Code::AlreadyCommissioned,
                            format!("{c} was already commissioned"),
                        );
                    }
                    let mut it = ItemRecord {
                        key: e.key.clone(),
                        owner: me,
                        custodian: me,
                        status: ItemStatus::Active,
                        container: None,
                        handoff: None,
                        contents: Vec::new(),
                        commissioned_by: me,
                        commissioned_height: self.ctx.height,
                        commissioned_at: at.clone(),
                        lot: lot_attr.clone(),
                        expiry: expiry.clone(),
                        attributes: attributes.to_vec(),
                        claim_key: claim_keys.get(i).copied(),
                        stolen: false,
                        recalled: None,
                        exception: None,
                        inputs: inputs.to_vec(),
                        history: HistoryHead::default(),
                    };
                    self.append(&e.key, &mut it.history, &ev);
                    self.put_item(it);
                }
                (Gs1Key::Lot { .. }, Some(q)) => {
                    let mut lot = match existing {
                        None => LotRecord {
                            key: e.key.clone(),
                            commissioned_by: me,
                            commissioned_height: self.ctx.height,
                            commissioned_at: at.clone(),
                            expiry: expiry.clone(),
                            attributes: attributes.to_vec(),
                            commissioned: 0,
                            retired: 0,
                            balances: Vec::new(),
                            excepted: 0,
                            stolen: 0,
                            inputs: Vec::new(),
                            history: HistoryHead::default(),
                        },
                        Some(Record::Lot(l)) if l.commissioned_by == me => l,
                        Some(_) => {
                            return reject(
                                Code::AlreadyCommissioned,
                                format!("lot {c} belongs to another org"),
                            );
                        }
                    };
                    if lot.commissioned.saturating_add(q) > MAX_QUANTITY {
                        return reject(
                            Code::BadQuantity,
                            format!("lot {c} would exceed {MAX_QUANTITY}"),
                        );
                    }
                    lot.commissioned += q;
                    lot.credit(
                        Holder::Org {
                            custodian: me,
                            owner: me,
                        },
                        q,
                    );
                    for input in inputs {
                        if !lot.inputs.contains(input) && lot.inputs.len() < MAX_ENTRIES {
                            lot.inputs.push(input.clone());
                        }
                    }
                    self.append(&e.key, &mut lot.history, &ev);
                    self.put_lot(lot);
                }
                _ => {
                    return reject(
                        Code::BadQuantity,
                        format!("{c}: lots need a quantity, items none"),
                    );
                }
            }
        }
        Ok(())
    }

    /// The retired first commission layout: without PIN hashes it is a commission without
    /// claim keys (so chains made before claim codes replay alike); with any it is refused.
    fn pin_commission(&mut self, c: PinCommission) -> Result<(), Stop> {
        if !c.pin_hashes.is_empty() {
            return reject(
                Code::PinRetired,
                "claim PINs are retired: commission with claim codes instead \
                 (one random secret per item; only its public key goes on the chain)",
            );
        }
        self.commission(Commission {
            entries: c.entries,
            claim_keys: Vec::new(),
            at: c.at,
            lot: c.lot,
            expiry: c.expiry,
            attributes: c.attributes,
        })
    }

    fn commission(&mut self, c: Commission) -> Result<(), Stop> {
        self.actor
            .need_scope(scope::COMMISSION, "commission items")?;
        no_duplicates(&c.entries)?;
        if c.entries.is_empty() {
            return reject(Code::BadField, "nothing to commission");
        }
        check_claim_keys(&c.entries, &c.claim_keys)?;
        check_gln("commissioning location", &c.at)?;
        check_expiry(&c.expiry)?;
        if let Some(lot) = &c.lot {
            // The lot value alone (AI 10): checking it inside a key with a placeholder
            // GTIN refused every lot, since an all-zero GTIN is never valid.
            gs1::validate_ai("10", lot).map_err(|e| bad_id("lot", e))?;
        }
        let mut ev = self.event("commission");
        ev.at = c.at.clone();
        ev.data = c.attributes.clone();
        if let Some(l) = &c.lot {
            ev.data.push(("lot".into(), l.clone()));
        }
        if let Some(x) = &c.expiry {
            ev.data.push(("expiry".into(), x.clone()));
        }
        self.create(
            &c.entries,
            &c.claim_keys,
            &c.at,
            &c.lot,
            &c.expiry,
            &c.attributes,
            &[],
            &ev,
        )?;
        self.remember(c.entries.iter().map(|e| e.key.clone()).collect());
        Ok(())
    }

    // ---- containers ----

    /// Height of the container tree below an item (0 for a plain item).
    fn subtree_height(&self, it: &ItemRecord, budget: usize) -> ReadResult<usize> {
        if budget == 0 {
            return Ok(usize::MAX / 2);
        }
        let mut height = 0;
        for e in &it.contents {
            if !matches!(e.key, Gs1Key::Sscc { .. }) {
                continue;
            }
            if let Some(child) = self.state.item(&StateKey::item(&e.key))? {
                height = height.max(1 + self.subtree_height(&child, budget - 1)?);
            }
        }
        Ok(height)
    }

    fn pack(&mut self, container: Gs1Key, entries: Vec<Entry>) -> Result<(), Stop> {
        self.actor.need_scope(scope::PACK, "pack containers")?;
        let me = self.actor.id()?;
        if !matches!(container, Gs1Key::Sscc { .. }) {
            return reject(
                Code::BadId,
                format!("{} is not a container (SSCC)", container.canonical()),
            );
        }
        if entries.is_empty() {
            return reject(Code::BadField, "nothing to pack");
        }
        no_duplicates(&entries)?;
        let ckey = StateKey::item(&container);
        let mut cont = match self.state.get(&ckey)? {
            None => ItemRecord {
                key: container.clone(),
                owner: me,
                custodian: me,
                status: ItemStatus::Active,
                container: None,
                handoff: None,
                contents: Vec::new(),
                commissioned_by: me,
                commissioned_height: self.ctx.height,
                commissioned_at: None,
                lot: None,
                expiry: None,
                attributes: Vec::new(),
                claim_key: None,
                stolen: false,
                recalled: None,
                exception: None,
                inputs: Vec::new(),
                history: HistoryHead::default(),
            },
            Some(Record::Item(c)) => c,
            Some(_) => return reject(Code::BadId, "not a container"),
        };
        let cc = self.custody(&cont)?;
        if cont.status != ItemStatus::Active {
            return reject(
                Code::ItemInactive,
                format!("{} is no longer in use", container.canonical()),
            );
        }
        if cc.custodian != me {
            return reject(
                Code::NotCustodian,
                format!("{} is not in your custody", container.canonical()),
            );
        }
        if cc.handoff.is_some() {
            return reject(
                Code::ItemInTransit,
                format!("{} is in an open handoff", container.canonical()),
            );
        }
        // Ancestors of the target container: nothing may be packed into its own descendant.
        let mut ancestors = vec![container.clone()];
        let mut p = cont.container.clone();
        while let Some(k) = p {
            if ancestors.len() > MAX_NESTING + 1 {
                break;
            }
            p = self
                .state
                .item(&StateKey::item(&k))?
                .and_then(|r| r.container);
            ancestors.push(k);
        }
        let mut ev = self.event("pack");
        ev.related = vec![container.clone()];
        for e in &entries {
            let c = e.key.canonical();
            if ancestors.contains(&e.key) {
                return reject(
                    Code::ContainerRule,
                    format!("{c} cannot be packed into itself"),
                );
            }
            match self.load(e)? {
                Thing::Item(mut it) => {
                    self.check_movable(&it, true, false)?;
                    if it.owner != cc.owner {
                        return reject(
                            Code::OwnerMismatch,
                            format!("{c} and the container have different owners"),
                        );
                    }
                    if cc.depth + 1 + self.subtree_height(&it, MAX_NESTING + 1)? > MAX_NESTING {
                        return reject(
                            Code::ContainerRule,
                            format!("packing {c} nests containers more than {MAX_NESTING} deep"),
                        );
                    }
                    it.container = Some(container.clone());
                    self.append(&e.key, &mut it.history, &ev);
                    self.put_item(it);
                    cont.contents.push(e.clone());
                }
                Thing::Lot(mut lot, q) => {
                    let src = Holder::Org {
                        custodian: me,
                        owner: cc.owner,
                    };
                    let pledged = Self::pledged_of(&self.lot_pledges(&lot.key)?, me, cc.owner);
                    if pledged > 0 && lot.balance(&src).saturating_sub(pledged) < q {
                        return reject(
                            Code::Pledged,
                            format!(
                                "{pledged} of lot {c} is pledged under a receipt: the lender must release it first"
                            ),
                        );
                    }
                    if !lot.debit(&src, q) {
                        return reject(
                            Code::InsufficientQuantity,
                            format!("you do not hold {q} of lot {c} for the container's owner"),
                        );
                    }
                    lot.credit(Holder::Container(container.clone()), q);
                    let mut lev = ev.clone();
                    lev.quantity = Some(q);
                    self.append(&e.key, &mut lot.history, &lev);
                    self.put_lot(lot);
                    match cont.contents.iter_mut().find(|x| x.key == e.key) {
                        Some(x) => x.quantity = Some(x.quantity.unwrap_or(0) + q),
                        None => cont.contents.push(e.clone()),
                    }
                }
            }
        }
        if cont.contents.len() > MAX_CONTAINER_CONTENTS {
            return reject(
                Code::ContainerRule,
                format!("a container holds at most {MAX_CONTAINER_CONTENTS} entries"),
            );
        }
        let mut cev = self.event("pack");
        cev.related = entries.iter().map(|e| e.key.clone()).collect();
        self.append(&container, &mut cont.history, &cev);
        self.put_item(cont);
        let mut keys = vec![container];
        keys.extend(entries.into_iter().map(|e| e.key));
        self.remember(keys);
        Ok(())
    }

    fn unpack(&mut self, container: Gs1Key, entries: Vec<Entry>) -> Result<(), Stop> {
        self.actor.need_scope(scope::PACK, "unpack containers")?;
        let me = self.actor.id()?;
        let Some(mut cont) = self
            .state
            .item(&StateKey::item(&container))?
            .filter(|c| c.is_container())
        else {
            return reject(
                Code::UnknownItem,
                format!("no container {}", container.canonical()),
            );
        };
        let cc = self.custody(&cont)?;
        if cc.custodian != me {
            return reject(
                Code::NotCustodian,
                format!("{} is not in your custody", container.canonical()),
            );
        }
        if cc.handoff.is_some() {
            return reject(
                Code::ItemInTransit,
                format!("{} is in an open handoff", container.canonical()),
            );
        }
        no_duplicates(&entries)?;
        let out: Vec<Entry> = if entries.is_empty() {
            cont.contents.clone()
        } else {
            entries
        };
        if out.is_empty() {
            return reject(
                Code::BadField,
                format!("{} is empty", container.canonical()),
            );
        }
        let mut ev = self.event("unpack");
        ev.related = vec![container.clone()];
        for e in &out {
            let c = e.key.canonical();
            let Some(pos) = cont.contents.iter().position(|x| x.key == e.key) else {
                return reject(
                    Code::NotInContainer,
                    format!("{c} is not in {}", container.canonical()),
                );
            };
            match &e.key {
                Gs1Key::Lot { .. } => {
                    let inside = cont.contents[pos].quantity.unwrap_or(0);
                    let q = e.quantity.unwrap_or(inside);
                    if q > inside {
                        return reject(
                            Code::InsufficientQuantity,
                            format!("{} holds {inside} of {c}", container.canonical()),
                        );
                    }
                    let Some(mut lot) = self.state.lot(&StateKey::item(&e.key))? else {
                        return reject(Code::UnknownItem, format!("no lot {c}"));
                    };
                    lot.debit(&Holder::Container(container.clone()), q);
                    lot.credit(
                        Holder::Org {
                            custodian: cc.custodian,
                            owner: cc.owner,
                        },
                        q,
                    );
                    let mut lev = ev.clone();
                    lev.quantity = Some(q);
                    self.append(&e.key, &mut lot.history, &lev);
                    self.put_lot(lot);
                    if q == inside {
                        cont.contents.remove(pos);
                    } else {
                        cont.contents[pos].quantity = Some(inside - q);
                    }
                }
                _ => {
                    if e.quantity.is_some() {
                        return reject(
                            Code::BadQuantity,
                            format!("{c} is a single item; give no quantity"),
                        );
                    }
                    let Some(mut it) = self.state.item(&StateKey::item(&e.key))? else {
                        return reject(Code::UnknownItem, format!("no item {c}"));
                    };
                    it.container = None;
                    it.custodian = cc.custodian;
                    it.owner = cc.owner;
                    self.append(&e.key, &mut it.history, &ev);
                    self.put_item(it);
                    cont.contents.remove(pos);
                }
            }
        }
        let mut cev = self.event("unpack");
        cev.related = out.iter().map(|e| e.key.clone()).collect();
        self.append(&container, &mut cont.history, &cev);
        self.put_item(cont);
        let mut keys = vec![container];
        keys.extend(out.into_iter().map(|e| e.key));
        self.remember(keys);
        Ok(())
    }

    // ---- handoffs ----

    fn propose(&mut self, h: ProposeHandoff) -> Result<(), Stop> {
        self.actor.need_scope(scope::HANDOFF, "hand off goods")?;
        let me = self.actor.id()?;
        if h.to == me {
            return reject(Code::SelfHandoff, "you cannot hand goods to yourself");
        }
        let Some(to) = self.state.org(&StateKey::Org(h.to))? else {
            return reject(Code::UnknownOrg, format!("no org {}", h.to.short()));
        };
        if to.suspended {
            return reject(Code::OrgSuspended, format!("{} is suspended", to.name));
        }
        if h.entries.is_empty() {
            return reject(Code::BadField, "nothing to hand off");
        }
        if h.expires_at_height.is_some_and(|x| x <= self.ctx.height) {
            return reject(Code::BadField, "the offer would expire before it is made");
        }
        check_gln("ship-from", &h.ship_from)?;
        check_gln("ship-to", &h.ship_to)?;
        no_duplicates(&h.entries)?;
        let id = self.tx.id();
        let (custody, ownership) = (h.transfer.custody(), h.transfer.ownership());
        let mut ev = self.event("handoff_proposed");
        ev.handoff = Some(id);
        ev.counterparty = Some(h.to);
        ev.transfer = Some(h.transfer);
        ev.at = h.ship_from.clone();
        ev.data = h
            .docs
            .iter()
            .map(|d| (d.kind.clone(), d.id.clone()))
            .collect();
        for e in &h.entries {
            match self.load(e)? {
                Thing::Item(mut it) => {
                    self.check_movable(&it, custody, ownership)?;
                    it.handoff = Some(id);
                    self.append(&e.key, &mut it.history, &ev);
                    self.put_item(it);
                }
                Thing::Lot(mut lot, q) => {
                    for (custodian, owner, n) in self.take_lot(&mut lot, q, custody, ownership)? {
                        lot.credit(
                            Holder::Transit {
                                handoff: id,
                                custodian,
                                owner,
                            },
                            n,
                        );
                    }
                    if lot.balances.len() > MAX_LOT_HOLDERS {
                        return reject(
                            Code::RecordFull,
                            format!("lot {} has too many holders", e.key.canonical()),
                        );
                    }
                    let mut lev = ev.clone();
                    lev.quantity = Some(q);
                    self.append(&e.key, &mut lot.history, &lev);
                    self.put_lot(lot);
                }
            }
        }
        self.state.put(
            StateKey::Handoff(id),
            Record::Handoff(HandoffRecord {
                id,
                from: me,
                to: h.to,
                entries: h.entries,
                transfer: h.transfer,
                ship_from: h.ship_from,
                ship_to: h.ship_to,
                docs: h.docs,
                status: HandoffStatus::Open,
                proposed_height: self.ctx.height,
                proposed_time_ms: self.tx.body.event_time_ms,
                expires_at_height: h.expires_at_height,
                closed_height: None,
                missing: Vec::new(),
                damaged: Vec::new(),
                reason: None,
            }),
        );
        self.effects.index.push(IndexOp::HandoffOpened {
            from: me,
            to: h.to,
            id,
        });
        Ok(())
    }

    fn open_handoff(&self, id: HandoffId) -> Result<HandoffRecord, Stop> {
        let Some(h) = self.state.handoff(&StateKey::Handoff(id))? else {
            return reject(Code::UnknownHandoff, format!("no handoff {}", id.short()));
        };
        if h.status != HandoffStatus::Open {
            return reject(
                Code::HandoffClosed,
                format!("handoff {} is already {:?}", id.short(), h.status).to_lowercase(),
            );
        }
        Ok(h)
    }

    /// Re-checks at acceptance that everything offered is still locked by this very
    /// handoff (a stale or duplicate proposal can never transfer anything).
    fn check_locked(&self, h: &HandoffRecord) -> Result<(), Stop> {
        for e in &h.entries {
            let c = e.key.canonical();
            let locked = match self.state.get(&StateKey::item(&e.key))? {
                Some(Record::Item(it)) => it.handoff == Some(h.id),
                Some(Record::Lot(lot)) => {
                    let held: u64 = lot
                        .balances
                        .iter()
                        .filter(|(k, _)| matches!(k, Holder::Transit { handoff, .. } if *handoff == h.id))
                        .map(|(_, q)| q)
                        .sum();
                    Some(held) == e.quantity
                }
                _ => false,
            };
            if !locked {
                return reject(
                    Code::StaleHandoff,
                    format!("{c} is no longer held for this handoff"),
                );
            }
        }
        Ok(())
    }

    /// Moves a lot's transit quantity for handoff `h`: `deliver` of it to the recipient's
    /// side, the rest back to the positions it came from.
    fn settle_lot(lot: &mut LotRecord, h: &HandoffRecord, mut deliver: u64) {
        let transit: Vec<(Holder, u64)> = lot
            .balances
            .iter()
            .filter(|(k, _)| matches!(k, Holder::Transit { handoff, .. } if *handoff == h.id))
            .cloned()
            .collect();
        for (holder, n) in transit {
            let Holder::Transit {
                custodian, owner, ..
            } = holder
            else {
                continue;
            };
            lot.debit(&holder, n);
            let d = n.min(deliver);
            deliver -= d;
            if d > 0 {
                let to_custodian = if h.transfer.custody() {
                    h.to
                } else {
                    custodian
                };
                let to_owner = if h.transfer.ownership() { h.to } else { owner };
                lot.credit(
                    Holder::Org {
                        custodian: to_custodian,
                        owner: to_owner,
                    },
                    d,
                );
            }
            if n > d {
                lot.credit(Holder::Org { custodian, owner }, n - d);
            }
        }
    }

    fn accept(&mut self, a: AcceptHandoff) -> Result<(), Stop> {
        self.actor.need_scope(scope::HANDOFF, "accept handoffs")?;
        let me = self.actor.id()?;
        let mut h = self.open_handoff(a.handoff)?;
        if h.to != me {
            return reject(
                Code::NotRecipient,
                "only the recipient may accept this handoff",
            );
        }
        if h.expires_at_height.is_some_and(|x| self.ctx.height > x) {
            return reject(
                Code::HandoffExpired,
                format!(
                    "handoff {} lapsed at height {}",
                    h.id.short(),
                    h.expires_at_height.unwrap_or(0)
                ),
            );
        }
        self.check_locked(&h)?;
        no_duplicates(a.missing.iter().chain(&a.damaged))?;
        let id = h.id;
        // Exceptions: whole entries, lot quantities, or items inside offered containers.
        let mut excepted_lot: Vec<(Gs1Key, u64)> = Vec::new();
        let mut excepted_whole: Vec<(Gs1Key, &'static str)> = Vec::new();
        let mut excepted_inner: Vec<(Gs1Key, &'static str)> = Vec::new();
        for (list, kind) in [(&a.missing, "missing"), (&a.damaged, "damaged")] {
            for e in list {
                let c = e.key.canonical();
                if let Some(offered) = h.entries.iter().find(|x| x.key == e.key) {
                    match (offered.quantity, e.quantity) {
                        (Some(oq), q) => {
                            let q = q.unwrap_or(oq);
                            let already: u64 = excepted_lot
                                .iter()
                                .filter(|(k, _)| *k == e.key)
                                .map(|x| x.1)
                                .sum();
                            if q + already > oq {
                                return reject(
                                    Code::BadQuantity,
                                    format!("only {oq} of {c} were offered"),
                                );
                            }
                            excepted_lot.push((e.key.clone(), q));
                        }
                        (None, None) => excepted_whole.push((e.key.clone(), kind)),
                        (None, Some(_)) => {
                            return reject(
                                Code::BadQuantity,
                                format!("{c} is a single item; give no quantity"),
                            );
                        }
                    }
                    continue;
                }
                // An item inside an offered container.
                let inside = match self.state.item(&StateKey::item(&e.key))? {
                    Some(it) => self.custody(&it)?.handoff == Some(id) && it.container.is_some(),
                    None => false,
                };
                if !inside || e.quantity.is_some() {
                    return reject(
                        Code::NotInHandoff,
                        format!("{c} is not part of this handoff"),
                    );
                }
                excepted_inner.push((e.key.clone(), kind));
            }
        }
        let mut ev = self.event("handoff_accepted");
        ev.handoff = Some(id);
        ev.counterparty = Some(h.from);
        ev.transfer = Some(h.transfer);
        ev.at = h.ship_to.clone();
        // Items inside containers that did not arrive: out of the container, back with the
        // sender, flagged.
        for (key, kind) in &excepted_inner {
            let Some(mut it) = self.state.item(&StateKey::item(key))? else {
                continue;
            };
            if let Some(parent) = it.container.take()
                && let Some(mut p) = self.state.item(&StateKey::item(&parent))?
            {
                p.contents.retain(|x| x.key != *key);
                self.put_item(p);
            }
            it.custodian = h.from;
            it.owner = if h.transfer.ownership() {
                h.from
            } else {
                it.owner
            };
            it.exception = Some(ItemException {
                kind: kind.to_string(),
                handoff: id,
                height: self.ctx.height,
            });
            let mut xev = self.event("handoff_exception");
            xev.handoff = Some(id);
            xev.counterparty = Some(h.from);
            xev.note = Some(kind.to_string());
            self.append(key, &mut it.history, &xev);
            self.put_item(it);
        }
        for e in &h.entries {
            match self.state.get(&StateKey::item(&e.key))? {
                Some(Record::Item(mut it)) => {
                    it.handoff = None;
                    if let Some((_, kind)) = excepted_whole.iter().find(|(k, _)| *k == e.key) {
                        it.exception = Some(ItemException {
                            kind: kind.to_string(),
                            handoff: id,
                            height: self.ctx.height,
                        });
                        let mut xev = self.event("handoff_exception");
                        xev.handoff = Some(id);
                        xev.counterparty = Some(h.from);
                        xev.note = Some(kind.to_string());
                        self.append(&e.key, &mut it.history, &xev);
                    } else {
                        if h.transfer.custody() {
                            it.custodian = h.to;
                        }
                        if h.transfer.ownership() {
                            it.owner = h.to;
                        }
                        self.append(&e.key, &mut it.history, &ev);
                    }
                    self.put_item(it);
                }
                Some(Record::Lot(mut lot)) => {
                    let offered = e.quantity.unwrap_or(0);
                    let excepted: u64 = excepted_lot
                        .iter()
                        .filter(|(k, _)| *k == e.key)
                        .map(|x| x.1)
                        .sum();
                    Self::settle_lot(&mut lot, &h, offered - excepted);
                    lot.excepted += excepted;
                    let mut lev = ev.clone();
                    lev.quantity = Some(offered - excepted);
                    if excepted > 0 {
                        lev.data.push(("excepted".into(), excepted.to_string()));
                    }
                    self.append(&e.key, &mut lot.history, &lev);
                    self.put_lot(lot);
                }
                _ => {}
            }
        }
        h.status = HandoffStatus::Accepted;
        h.closed_height = Some(self.ctx.height);
        h.missing = a.missing;
        h.damaged = a.damaged;
        let outcome = HandoffOutcome::Accepted {
            exceptions: !h.missing.is_empty() || !h.damaged.is_empty(),
        };
        let (from, to, opened_height) = (h.from, h.to, h.proposed_height);
        self.state.put(StateKey::Handoff(id), Record::Handoff(h));
        self.effects.index.push(IndexOp::HandoffClosed {
            from,
            to,
            id,
            opened_height,
            outcome,
        });
        Ok(())
    }

    fn close(&mut self, id: HandoffId, reason: Option<String>, cancel: bool) -> Result<(), Stop> {
        self.actor.need_scope(scope::HANDOFF, "close handoffs")?;
        let me = self.actor.id()?;
        let mut h = self.open_handoff(id)?;
        let expired = h.expires_at_height.is_some_and(|x| self.ctx.height > x);
        if cancel && h.from != me && !(expired && h.to == me) {
            return reject(
                Code::NotProposer,
                "only the proposer may cancel this handoff",
            );
        }
        if !cancel && h.to != me && !(expired && h.from == me) {
            return reject(
                Code::NotRecipient,
                "only the recipient may reject this handoff",
            );
        }
        let kind = if cancel {
            "handoff_cancelled"
        } else {
            "handoff_rejected"
        };
        let mut ev = self.event(kind);
        ev.handoff = Some(id);
        ev.counterparty = Some(if me == h.from { h.to } else { h.from });
        ev.note = reason.clone();
        for e in &h.entries {
            match self.state.get(&StateKey::item(&e.key))? {
                Some(Record::Item(mut it)) if it.handoff == Some(id) => {
                    it.handoff = None;
                    self.append(&e.key, &mut it.history, &ev);
                    self.put_item(it);
                }
                Some(Record::Lot(mut lot)) => {
                    Self::settle_lot(&mut lot, &h, 0);
                    let mut lev = ev.clone();
                    lev.quantity = e.quantity;
                    self.append(&e.key, &mut lot.history, &lev);
                    self.put_lot(lot);
                }
                _ => {}
            }
        }
        h.status = if cancel {
            HandoffStatus::Cancelled
        } else {
            HandoffStatus::Rejected
        };
        h.closed_height = Some(self.ctx.height);
        h.reason = reason;
        let outcome = if cancel {
            HandoffOutcome::Cancelled { lapsed: expired }
        } else {
            HandoffOutcome::Rejected { lapsed: expired }
        };
        let (from, to, opened_height) = (h.from, h.to, h.proposed_height);
        self.state.put(StateKey::Handoff(id), Record::Handoff(h));
        self.effects.index.push(IndexOp::HandoffClosed {
            from,
            to,
            id,
            opened_height,
            outcome,
        });
        Ok(())
    }

    // ---- observations, transforms, sales, claims ----

    /// Checks the actor holds the entry (custody through containers for items; any loose
    /// or contained position for lots).
    fn check_holds(&self, e: &Entry) -> Result<Thing, Stop> {
        let me = self.actor.id()?;
        let c = e.key.canonical();
        let t = self.load(e)?;
        match &t {
            Thing::Item(it) => {
                if self.custody(it)?.custodian != me {
                    return reject(Code::NotCustodian, format!("{c} is not in your custody"));
                }
            }
            Thing::Lot(lot, _) => {
                let holds = lot
                    .balances
                    .iter()
                    .any(|(h, _)| matches!(h, Holder::Org { custodian, .. } if *custodian == me));
                if !holds {
                    return reject(Code::NotCustodian, format!("you hold none of lot {c}"));
                }
            }
        }
        Ok(t)
    }

    fn observe(&mut self, o: Observe) -> Result<(), Stop> {
        self.actor
            .need_scope(scope::OBSERVE, "record observations")?;
        if o.entries.is_empty() {
            return reject(Code::BadField, "nothing observed");
        }
        if o.kind.trim().is_empty() {
            return reject(
                Code::BadField,
                "an observation needs a kind (inspection, temperature…)",
            );
        }
        check_gln("observation location", &o.at)?;
        no_duplicates(&o.entries)?;
        let mut ev = self.event("observe");
        ev.at = o.at.clone();
        ev.note = Some(o.kind.clone());
        ev.data = o.readings.clone();
        for e in &o.entries {
            self.check_holds(e)?;
            self.record_event(&e.key, &ev)?;
        }
        self.remember(o.entries.into_iter().map(|e| e.key).collect());
        Ok(())
    }

    /// Consumes an entry held (and owned) by the actor; returns the event quantity.
    fn retire(&mut self, e: &Entry, status: ItemStatus, ev: &Event) -> Result<(), Stop> {
        match self.load(e)? {
            Thing::Item(mut it) => {
                self.check_movable(&it, true, status == ItemStatus::Consumed)?;
                if it.is_container() {
                    return reject(
                        Code::ContainerRule,
                        format!("{} is a container; unpack it first", e.key.canonical()),
                    );
                }
                it.status = status;
                self.append(&e.key, &mut it.history, ev);
                self.put_item(it);
            }
            Thing::Lot(mut lot, q) => {
                self.take_lot(&mut lot, q, true, false)?;
                lot.retired += q;
                let mut lev = ev.clone();
                lev.quantity = Some(q);
                self.append(&e.key, &mut lot.history, &lev);
                self.put_lot(lot);
            }
        }
        Ok(())
    }

    fn transform(&mut self, t: Transform, claim_keys: &[PublicKey]) -> Result<(), Stop> {
        self.actor.need_scope(scope::TRANSFORM, "transform goods")?;
        self.actor
            .need_role(&[Role::Producer, Role::Manufacturer], "transform goods")?;
        if t.inputs.is_empty() || t.outputs.is_empty() {
            return reject(Code::BadField, "a transform needs inputs and outputs");
        }
        no_duplicates(t.inputs.iter().chain(&t.outputs))?;
        check_claim_keys(&t.outputs, claim_keys)?;
        check_gln("transform location", &t.at)?;
        check_expiry(&t.expiry)?;
        let mut ev = self.event("transform");
        ev.at = t.at.clone();
        ev.related = t.outputs.iter().map(|e| e.key.clone()).collect();
        ev.note = Some("input".into());
        for e in &t.inputs {
            self.retire(e, ItemStatus::Consumed, &ev)?;
        }
        let mut oev = self.event("transform");
        oev.at = t.at.clone();
        oev.related = t.inputs.iter().map(|e| e.key.clone()).collect();
        oev.note = Some("output".into());
        oev.data = t.attributes.clone();
        self.create(
            &t.outputs,
            claim_keys,
            &t.at,
            &None,
            &t.expiry,
            &t.attributes,
            &t.inputs,
            &oev,
        )?;
        self.remember(
            t.inputs
                .iter()
                .chain(&t.outputs)
                .map(|e| e.key.clone())
                .collect(),
        );
        Ok(())
    }

    fn sell(&mut self, entries: Vec<Entry>) -> Result<(), Stop> {
        self.actor.need_scope(scope::SELL, "sell")?;
        self.actor
            .need_role(&[Role::Retailer], "sell to consumers")?;
        if entries.is_empty() {
            return reject(Code::BadField, "nothing sold");
        }
        no_duplicates(&entries)?;
        let ev = self.event("sell");
        for e in &entries {
            self.retire(e, ItemStatus::Sold, &ev)?;
        }
        self.remember(entries.into_iter().map(|e| e.key).collect());
        Ok(())
    }

    fn claim(&mut self, claim: Claim) -> Result<(), Stop> {
        if self.actor.org.is_some() {
            return reject(
                Code::WrongRole,
                "claims are made with a consumer key, not an org's",
            );
        }
        let item = claim.item;
        let c = item.canonical();
        let Some(mut it) = self
            .state
            .item(&StateKey::item(&item))?
            .filter(|i| !i.is_container())
        else {
            return reject(Code::UnknownItem, format!("{c} was never commissioned"));
        };
        let Some(claim_key) = it.claim_key else {
            return reject(
                Code::NoClaimKey,
                format!("{c} was commissioned without a claim code, so it cannot be claimed"),
            );
        };
        // The code is checked before the item's standing, so ALREADY_CLAIMED tells a
        // second claimer that their code is the genuine one: someone claimed it first.
        if !crate::claim::claim_verifies(
            &claim_key,
            &self.ctx.chain_id,
            &item,
            &self.tx.body.signer,
            &claim.claim_signature,
        ) {
            return reject(
                Code::BadClaimCode,
                format!("the claim code does not match {c} (or was signed for another buyer)"),
            );
        }
        match it.status {
            ItemStatus::Claimed => {
                return reject(
                    Code::AlreadyClaimed,
                    format!(
                        "warning: {c} was already claimed by another buyer with this same \
                         code; if you bought it new, the code may have been copied"
                    ),
                );
            }
            ItemStatus::Sold => {}
            _ => {
                return reject(
                    Code::NotSold,
                    format!("{c} has not been sold by a retailer"),
                );
            }
        }
        it.status = ItemStatus::Claimed;
        let ev = self.event("claim");
        self.append(&item, &mut it.history, &ev);
        self.put_item(it);
        Ok(())
    }

    // ---- recalls, losses, corrections ----

    fn recall(&mut self, gtin: String, scope_: RecallScope, reason: String) -> Result<(), Stop> {
        self.actor.need_scope(scope::PRODUCTS, "recall products")?;
        let mut p = self.owned_product(&gtin)?;
        if reason.trim().is_empty() {
            return reject(Code::BadField, "a recall needs a reason");
        }
        if p.recalls.len() >= MAX_RECALLS {
            return reject(
                Code::RecordFull,
                format!("{} has {MAX_RECALLS} recalls on record", p.name),
            );
        }
        let mut ev = self.event("recall");
        ev.note = Some(reason.clone());
        let mut keys = Vec::new();
        match &scope_ {
            RecallScope::Product => {}
            RecallScope::Lot(l) => {
                let key = Gs1Key::Lot {
                    gtin: p.gtin.clone(),
                    lot: l.clone(),
                };
                key.validate().map_err(|e| bad_id("lot", e))?;
                self.record_event(&key, &ev)?;
                keys.push(key);
            }
            RecallScope::Items(items) => {
                let mut seen = HashSet::new();
                for k in items {
                    let c = k.canonical();
                    if !seen.insert(k) {
                        return reject(Code::DuplicateEntry, format!("{c} appears twice"));
                    }
                    if k.gtin() != Some(p.gtin.as_str()) {
                        return reject(Code::BadId, format!("{c} is not an item of {}", p.name));
                    }
                    let Some(mut it) = self.state.item(&StateKey::item(k))? else {
                        return reject(Code::UnknownItem, format!("{c} was never commissioned"));
                    };
                    it.recalled = Some(self.tx.id());
                    self.append(k, &mut it.history, &ev);
                    self.put_item(it);
                    keys.push(k.clone());
                }
            }
        }
        p.recalls.push(RecallRecord {
            scope: scope_,
            reason,
            height: self.ctx.height,
            tx: self.tx.id(),
        });
        self.state
            .put(StateKey::Product(p.gtin.clone()), Record::Product(p));
        self.remember(keys);
        Ok(())
    }

    fn report_stolen(&mut self, entries: Vec<Entry>, note: String) -> Result<(), Stop> {
        self.actor.need_scope(scope::REPORT, "report losses")?;
        let me = self.actor.id()?;
        if entries.is_empty() {
            return reject(Code::BadField, "nothing reported");
        }
        no_duplicates(&entries)?;
        let mut ev = self.event("report_stolen");
        ev.note = Some(note);
        for e in &entries {
            let c = e.key.canonical();
            match self.load(e)? {
                Thing::Item(mut it) => {
                    let cu = self.custody(&it)?;
                    if cu.custodian != me && cu.owner != me {
                        return reject(
                            Code::NotOwner,
                            format!("{c} is neither owned nor held by you"),
                        );
                    }
                    it.stolen = true;
                    self.append(&e.key, &mut it.history, &ev);
                    self.put_item(it);
                }
                Thing::Lot(mut lot, q) => {
                    let mine: u64 = lot
                        .balances
                        .iter()
                        .filter(|(h, _)| matches!(h, Holder::Org { custodian, owner } if *custodian == me || *owner == me))
                        .map(|(_, n)| n)
                        .sum();
                    if mine < q {
                        return reject(
                            Code::InsufficientQuantity,
                            format!("you own or hold {mine} of {c}"),
                        );
                    }
                    lot.stolen = lot.stolen.saturating_add(q);
                    let mut lev = ev.clone();
                    lev.quantity = Some(q);
                    self.append(&e.key, &mut lot.history, &lev);
                    self.put_lot(lot);
                }
            }
        }
        self.remember(entries.into_iter().map(|e| e.key).collect());
        Ok(())
    }

    fn decommission(&mut self, entries: Vec<Entry>, reason: String) -> Result<(), Stop> {
        self.actor.need_scope(scope::REPORT, "decommission")?;
        if entries.is_empty() {
            return reject(Code::BadField, "nothing to decommission");
        }
        no_duplicates(&entries)?;
        let mut ev = self.event("decommission");
        ev.note = Some(reason);
        for e in &entries {
            if let Gs1Key::Sscc { .. } = e.key {
                let Some(mut it) = self.state.item(&StateKey::item(&e.key))? else {
                    return reject(
                        Code::UnknownItem,
                        format!("no container {}", e.key.canonical()),
                    );
                };
                self.check_movable(&it, true, false)?;
                if !it.contents.is_empty() {
                    return reject(
                        Code::ContainerRule,
                        format!("{} is not empty; unpack it first", e.key.canonical()),
                    );
                }
                it.status = ItemStatus::Decommissioned;
                self.append(&e.key, &mut it.history, &ev);
                self.put_item(it);
            } else {
                self.retire(e, ItemStatus::Decommissioned, &ev)?;
            }
        }
        self.remember(entries.into_iter().map(|e| e.key).collect());
        Ok(())
    }

    fn correct(&mut self, target: Hash32, reason: String, fields: Vec<Attr>) -> Result<(), Stop> {
        self.actor.need_scope(scope::REPORT, "correct events")?;
        let me = self.actor.id()?;
        if reason.trim().is_empty() {
            return reject(Code::BadField, "a correction needs a reason");
        }
        let Some(mut meta) = self.state.event(&StateKey::Event(target))? else {
            return reject(
                Code::NotCorrectable,
                format!("no correctable event {}", target.short()),
            );
        };
        if meta.org != me {
            return reject(
                Code::NotCorrectable,
                "only the org that recorded an event may correct it",
            );
        }
        meta.corrections += 1;
        let mut ev = self.event("correct");
        ev.note = Some(reason);
        ev.data = fields;
        ev.data.push(("corrects".into(), target.to_hex()));
        ev.data.push(("corrected_type".into(), meta.kind.clone()));
        for k in meta.keys.clone() {
            self.record_event(&k, &ev)?;
        }
        self.state.put(StateKey::Event(target), Record::Event(meta));
        Ok(())
    }

    // ---- governance ----

    /// Replaces the validator set. Signed by an org key or a current validator's key (a
    /// device may not); authorised by the approvals, which must come from more than 2/3
    /// of the distinct current validators and sign (chain, new epoch, new set).
    fn certify(&mut self, c: Certify) -> Result<(), Stop> {
        self.actor
            .need_scope(scope::CERTIFY, "issue certifications")?;
        self.actor.need_role(&[Role::Auditor], "certify")?;
        let me = self.actor.id()?;
        if c.scheme.trim().is_empty() || c.number.trim().is_empty() {
            return reject(
                Code::BadField,
                "a certification needs a scheme and a certificate number",
            );
        }
        if c.valid_until_ms <= c.valid_from_ms {
            return reject(
                Code::CertWindow,
                "a certification's validity must end after it begins",
            );
        }
        if c.valid_until_ms - c.valid_from_ms > MAX_CERT_VALIDITY_MS {
            return reject(
                Code::CertWindow,
                "a certification may be valid for at most ten years",
            );
        }
        if c.valid_until_ms <= self.ctx.time_ms {
            return reject(
                Code::CertWindow,
                "this certification's validity is already over at the block time",
            );
        }
        let mut c = c;
        match &mut c.subject {
            CertSubject::Product(g) => {
                let gtin = gs1::normalize_gtin(g).map_err(|e| bad_id("GTIN", e))?;
                if self
                    .state
                    .product(&StateKey::Product(gtin.clone()))?
                    .is_none()
                {
                    return reject(Code::UnknownProduct, format!("GTIN {gtin} is not defined"));
                }
                *g = gtin;
            }
            CertSubject::Thing(k) => {
                if self.state.get(&StateKey::item(k))?.is_none() {
                    return reject(
                        Code::UnknownItem,
                        format!("{} was never commissioned", k.canonical()),
                    );
                }
            }
            CertSubject::Org(o) => {
                if *o == me {
                    return reject(Code::BadField, "an auditor does not certify itself");
                }
                if self.state.org(&StateKey::Org(*o))?.is_none() {
                    return reject(Code::UnknownOrg, format!("no org {}", o.short()));
                }
            }
            CertSubject::Location(g) => check_gln("location", &Some(g.clone()))?,
        }
        let id = c.id(&me);
        if self.state.get(&StateKey::Certification(id))?.is_some() {
            return reject(
                Code::CertExists,
                format!("you already issued {} certificate {}", c.scheme, c.number),
            );
        }
        let list_key = StateKey::CertsOf(c.subject.index_key());
        let mut list = self.state.cert_list(&list_key)?.unwrap_or_default();
        if list.ids.len() >= MAX_CERTS_PER_SUBJECT {
            return reject(
                Code::RecordFull,
                format!(
                    "{} already has {MAX_CERTS_PER_SUBJECT} certifications on record",
                    c.subject.describe()
                ),
            );
        }
        list.ids.push(id);
        self.state.put(list_key, Record::CertList(list));
        self.state.put(
            StateKey::Certification(id),
            Record::Certification(CertRecord {
                id,
                issuer: me,
                cert: c,
                issued_height: self.ctx.height,
                issued_tx: self.tx.id(),
                suspended: None,
                revoked: None,
                changed_height: None,
            }),
        );
        Ok(())
    }

    fn change_certification(
        &mut self,
        id: CertId,
        change: CertChange,
        reason: String,
    ) -> Result<(), Stop> {
        self.actor
            .need_scope(scope::CERTIFY, "change certifications")?;
        let me = self.actor.id()?;
        let Some(mut r) = self.state.certification(&StateKey::Certification(id))? else {
            return reject(
                Code::UnknownCertification,
                format!("no certification {}", id.short()),
            );
        };
        if r.issuer != me {
            return reject(
                Code::NotIssuer,
                format!(
                    "only the auditor that issued {} certificate {} may {} it",
                    r.cert.scheme,
                    r.cert.number,
                    change.verb()
                ),
            );
        }
        if r.revoked.is_some() {
            return reject(
                Code::CertStanding,
                format!("{} certificate {} is revoked", r.cert.scheme, r.cert.number),
            );
        }
        if change != CertChange::Reinstate && reason.trim().is_empty() {
            return reject(
                Code::BadField,
                format!("say why you {} the certification", change.verb()),
            );
        }
        match change {
            CertChange::Suspend if r.suspended.is_some() => {
                return reject(Code::CertStanding, "the certification is already suspended");
            }
            CertChange::Reinstate if r.suspended.is_none() => {
                return reject(Code::CertStanding, "the certification is not suspended");
            }
            CertChange::Suspend => r.suspended = Some(reason),
            CertChange::Reinstate => r.suspended = None,
            CertChange::Revoke => r.revoked = Some(reason),
        }
        r.changed_height = Some(self.ctx.height);
        self.state
            .put(StateKey::Certification(id), Record::Certification(r));
        Ok(())
    }

    fn notarize(&mut self, n: Notarize) -> Result<(), Stop> {
        self.actor
            .need_scope(scope::DOCUMENTS, "notarize documents")?;
        let me = self.actor.id()?;
        let mut seen = HashSet::new();
        for l in &n.links {
            let key = l.index_key();
            if !seen.insert(key.clone()) {
                return reject(Code::DuplicateEntry, format!("{key} is linked twice"));
            }
            match l {
                DocLink::Thing(k) => {
                    let c = k.canonical();
                    let party = match self.state.get(&StateKey::item(k))? {
                        None => {
                            return reject(
                                Code::UnknownItem,
                                format!("{c} was never commissioned"),
                            );
                        }
                        Some(Record::Item(it)) => {
                            let held = self.custody(&it)?;
                            held.owner == me || held.custodian == me || it.commissioned_by == me
                        }
                        Some(Record::Lot(lot)) => {
                            let mut party = lot.commissioned_by == me;
                            for (h, _) in &lot.balances {
                                party |= match h {
                                    Holder::Org { custodian, owner }
                                    | Holder::Transit {
                                        custodian, owner, ..
                                    } => *custodian == me || *owner == me,
                                    Holder::Container(box_) => {
                                        match self.state.item(&StateKey::item(box_))? {
                                            Some(b) => {
                                                let held = self.custody(&b)?;
                                                held.owner == me || held.custodian == me
                                            }
                                            None => false,
                                        }
                                    }
                                };
                            }
                            party
                        }
                        Some(_) => false,
                    };
                    if !party {
                        return reject(
                            Code::NotParty,
                            format!(
                                "only an org that made, owns or holds {c} links documents to it"
                            ),
                        );
                    }
                }
                DocLink::Handoff(h) => {
                    let Some(rec) = self.state.handoff(&StateKey::Handoff(*h))? else {
                        return reject(Code::UnknownHandoff, format!("no handoff {}", h.short()));
                    };
                    if rec.from != me && rec.to != me {
                        return reject(
                            Code::NotParty,
                            format!(
                                "only the two orgs of handoff {} link documents to it",
                                h.short()
                            ),
                        );
                    }
                }
            }
        }
        let key = StateKey::Document(n.hash);
        let mut doc = self.state.document(&key)?.unwrap_or(DocumentRecord {
            hash: n.hash,
            registrations: Vec::new(),
        });
        if doc.registrations.iter().any(|r| r.by == me) {
            return reject(
                Code::DocExists,
                format!("you already registered document {}", n.hash.short()),
            );
        }
        if doc.registrations.len() >= MAX_DOC_REGISTRATIONS {
            return reject(
                Code::RecordFull,
                format!(
                    "document {} is registered by {MAX_DOC_REGISTRATIONS} orgs already",
                    n.hash.short()
                ),
            );
        }
        for l in &n.links {
            let list_key = StateKey::DocsOf(l.index_key());
            let mut list: DocList = self.state.doc_list(&list_key)?.unwrap_or_default();
            if list.hashes.contains(&n.hash) {
                continue;
            }
            if list.hashes.len() >= MAX_DOCS_PER_LINK {
                return reject(
                    Code::RecordFull,
                    format!(
                        "{} has {MAX_DOCS_PER_LINK} documents linked already",
                        l.index_key()
                    ),
                );
            }
            list.hashes.push(n.hash);
            self.state.put(list_key, Record::DocList(list));
        }
        doc.registrations.push(Registration {
            by: me,
            kind: n.kind,
            title: n.title,
            links: n.links,
            height: self.ctx.height,
            time_ms: self.ctx.time_ms,
            tx: self.tx.id(),
        });
        self.state.put(key, Record::Document(doc));
        Ok(())
    }

    fn set_validators(
        &mut self,
        validators: Vec<PublicKey>,
        epoch: u64,
        approvals: Vec<Approval>,
    ) -> Result<(), Stop> {
        self.actor.need_org_key("change the validator set")?;
        let Some(current) = self.state.validator_set(&StateKey::Validators)? else {
            return reject(Code::NotValidator, "the chain has no validator set");
        };
        if current.epoch.checked_add(1) != Some(epoch) {
            return reject(
                Code::WrongEpoch,
                format!(
                    "the validator set is at epoch {}; a change must name epoch {}",
                    current.epoch,
                    current.epoch.saturating_add(1)
                ),
            );
        }
        if validators.is_empty() {
            return reject(Code::EmptyValidatorSet, "the new validator set is empty");
        }
        let mut seen = HashSet::new();
        for v in &validators {
            if !seen.insert(*v) {
                return reject(
                    Code::DuplicateValidator,
                    format!("validator {} appears twice in the new set", v.short()),
                );
            }
            if !crate::crypto::key_is_acceptable(v) {
                return reject(
                    Code::WeakKey,
                    format!("validator {} is not a valid, strong ed25519 key", v.short()),
                );
            }
        }
        let mut members: Vec<PublicKey> = current.validators.clone();
        members.sort();
        members.dedup();
        let mut approved: HashSet<PublicKey> = HashSet::new();
        for a in &approvals {
            if members.binary_search(&a.validator).is_err() {
                return reject(
                    Code::NotValidator,
                    format!(
                        "{} approved but is not a validator of epoch {}",
                        a.validator.short(),
                        current.epoch
                    ),
                );
            }
            if !approved.insert(a.validator) {
                return reject(
                    Code::DuplicateApproval,
                    format!("validator {} approved twice", a.validator.short()),
                );
            }
            if !crate::governance::approval_verifies(a, &self.ctx.chain_id, epoch, &validators) {
                return reject(
                    Code::BadApproval,
                    format!(
                        "the approval of {} does not verify for epoch {epoch} and this set",
                        a.validator.short()
                    ),
                );
            }
        }
        if approved.len() * 3 <= members.len() * 2 {
            return reject(
                Code::InsufficientApprovals,
                format!(
                    "{} of {} validators approved; more than 2/3 are needed",
                    approved.len(),
                    members.len()
                ),
            );
        }
        self.state.put(
            StateKey::Validators,
            Record::Validators(ValidatorSetRecord { epoch, validators }),
        );
        Ok(())
    }
}

/// The goods a transaction would move, pack, unpack, transform, sell or destroy: what a
/// pledge forbids until the lender releases them.
pub fn pledge_subjects(p: &Payload) -> Vec<&Gs1Key> {
    match p {
        Payload::Pack { container, entries } => std::iter::once(container)
            .chain(entries.iter().map(|e| &e.key))
            .collect(),
        Payload::Unpack { container, .. } => vec![container],
        Payload::ProposeHandoff(h) => h.entries.iter().map(|e| &e.key).collect(),
        Payload::Transform(t) => t.inputs.iter().map(|e| &e.key).collect(),
        Payload::ClaimedTransform(c) => c.transform.inputs.iter().map(|e| &e.key).collect(),
        Payload::Sell { entries } | Payload::Decommission { entries, .. } => {
            entries.iter().map(|e| &e.key).collect()
        }
        _ => Vec::new(),
    }
}
