//! The node's one implementation of the typed API (`handoff_api::Api`), for each way it
//! holds a chain:
//!
//! - **embedded** ([`Chain::Ledger`]): a [`Ledger`] this process opened, committing as
//!   the single validator; the same ledger with a network attached (`handoff node run`)
//!   commits through consensus instead, unchanged here (the ledger's sequencer decides);
//! - **light** ([`Chain::Light`]): a [`LightSession`], whose reads are single records
//!   proven against certified headers and whose actions are signed and queued in its
//!   outbox; what needs a full node's indexes answers `LIGHT_NODE`;
//! - **offline** ([`Chain::Offline`]): no chain at all, for what needs none (parsing a
//!   scan, rendering a label).
//!
//! The command line, the desktop app and the node's gateway all call this; each action
//! signs, commits and answers through one helper ([`commit_one`]).

use crate::error::CliError;
use crate::identity;
use crate::ledger::{Ledger, Receipt, Sequencer, first_rejection, now_ms};
use crate::view;
use handoff_api::*;
use handoff_core::gs1::{self, Gs1Key, Scan};
use handoff_core::query;
use handoff_core::scans::Observation;
use handoff_core::state::{Record, StateKey, StateReadExt};
use handoff_core::tx::*;
use handoff_core::types::{Hash32, PublicKey, Role, scope};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::Path;

#[cfg(feature = "p2p")]
use crate::light::{LightCmd, LightSession};
#[cfg(feature = "p2p")]
use crate::service::NodeHandle;

pub(crate) type R<T> = Result<T, CliError>;

/// Parses a scan; malformed input is a bad-input error naming the problem.
pub fn scan(s: &str) -> R<Scan> {
    gs1::parse_scan(s)
        .map_err(|e| CliError::input(e.code.as_str(), format!("'{}': {}", s.trim(), e.message)))
}

pub(crate) fn entry(s: &str, default_qty: Option<u64>) -> R<Entry> {
    let sc = scan(s)?;
    match sc.key {
        Gs1Key::Serial { .. } | Gs1Key::Sscc { .. } => Ok(Entry::item(sc.key)),
        Gs1Key::Lot { .. } => {
            let q = sc.quantity.or(default_qty).ok_or_else(|| {
                CliError::input(
                    "QTY_REQUIRED",
                    format!("'{s}' is a lot: give a quantity (AI 30 in the scan, or --qty)"),
                )
            })?;
            Ok(Entry::lot(sc.key, q))
        }
        k => Err(CliError::input(
            "NOT_AN_ITEM",
            format!(
                "'{s}' names {}, not an item, lot or container",
                k.canonical()
            ),
        )),
    }
}

/// What a commissioning records about its items beyond their keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ScanFields {
    /// The lot the serialized items belong to (AI 10).
    pub lot: Option<String>,
    /// Expiry YYMMDD (AI 17).
    pub expiry: Option<String>,
    /// Every other AI of the label, named by its AI number (`"15"`, `"3103"`…).
    pub attributes: Vec<Attr>,
}

/// What one scan says about the item or lot it commissions, beyond its key: a serialized
/// item's lot (AI 10) and expiry (AI 17) go to their own fields, every other AI is kept as
/// an attribute; a lot's count (AI 30/37) is its quantity and is not repeated.
pub(crate) fn scan_fields(sc: &Scan) -> ScanFields {
    let serial = matches!(sc.key, Gs1Key::Serial { .. });
    ScanFields {
        lot: if serial { sc.lot.clone() } else { None },
        expiry: sc.expiry.clone(),
        attributes: sc
            .attributes
            .iter()
            .filter(|(ai, _)| match ai.as_str() {
                "10" | "17" => false,
                "30" | "37" => serial,
                _ => true,
            })
            .cloned()
            .collect(),
    }
}

/// The fields of one `Commission` from its scans and the `--lot`/`--expiry` options. One
/// transaction carries one lot, expiry and attribute list for all its items, so scans
/// that say different things (or contradict an option) are refused rather than recorded
/// wrongly: commission them in separate commands.
pub(crate) fn commission_fields(
    scans: &[(&str, Scan)],
    lot: Option<String>,
    expiry: Option<String>,
) -> R<ScanFields> {
    let conflict = |what: &str, a: (&str, String), b: (&str, String)| {
        CliError::input(
            "SCAN_CONFLICT",
            format!(
                "{what}: '{}' says {}, '{}' says {}; commission them in separate commands",
                a.0, a.1, b.0, b.1
            ),
        )
    };
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    let listed = |a: &[Attr]| {
        let l: Vec<String> = a.iter().map(|(k, v)| format!("({k}){v}")).collect();
        if l.is_empty() {
            "nothing more".to_string()
        } else {
            l.join("")
        }
    };
    // (scan, its lot) of the first serialized item; (scan, its fields) of the first scan.
    let mut serial_lot: Option<(&str, Option<String>)> = None;
    let mut first: Option<(&str, ScanFields)> = None;
    for (text, sc) in scans {
        let f = scan_fields(sc);
        if matches!(sc.key, Gs1Key::Serial { .. }) {
            match &serial_lot {
                None => serial_lot = Some((text, f.lot.clone())),
                Some((t0, l0)) if *l0 != f.lot => {
                    return Err(conflict(
                        "the items' lots (AI 10) differ",
                        (t0, shown(l0)),
                        (text, shown(&f.lot)),
                    ));
                }
                Some(_) => {}
            }
        }
        let Some((t0, f0)) = &first else {
            first = Some((text, f));
            continue;
        };
        if f.expiry != f0.expiry {
            return Err(conflict(
                "the expiry dates (AI 17) differ",
                (t0, shown(&f0.expiry)),
                (text, shown(&f.expiry)),
            ));
        }
        if f.attributes != f0.attributes {
            return Err(conflict(
                "the labels carry different attributes",
                (t0, listed(&f0.attributes)),
                (text, listed(&f.attributes)),
            ));
        }
    }
    let mut fields = first.map(|(_, f)| f).unwrap_or_default();
    // `--lot` names the serialized items' lot only when there are any (with a GTIN scan
    // it names the lot being commissioned, which is the entry's key).
    let has_serials = serial_lot.is_some();
    fields.lot = serial_lot.and_then(|(_, l)| l);
    for (what, from_scans, option, flag) in [
        ("lot", &mut fields.lot, lot.filter(|_| has_serials), "--lot"),
        ("expiry", &mut fields.expiry, expiry, "--expiry"),
    ] {
        match (&*from_scans, option) {
            (Some(s), Some(o)) if *s != o => {
                return Err(CliError::input(
                    "SCAN_CONFLICT",
                    format!("{flag} {o} contradicts the {what} {s} on the scanned labels"),
                ));
            }
            (None, Some(o)) => *from_scans = Some(o),
            _ => {}
        }
    }
    Ok(fields)
}

pub(crate) fn entries(scans: &[String], default_qty: Option<u64>) -> R<Vec<Entry>> {
    scans.iter().map(|s| entry(s, default_qty)).collect()
}

/// Role names as roles (`default` when none are given); an unknown name is bad input.
pub fn roles(names: &[String], default: &[Role]) -> R<Vec<Role>> {
    if names.is_empty() {
        return Ok(default.to_vec());
    }
    names
        .iter()
        .map(|n| {
            Role::parse(n).ok_or_else(|| CliError::input("BAD_ROLE", format!("unknown role '{n}'")))
        })
        .collect()
}

/// The roles an org trades in (every role but registrar).
pub const TRADING_ROLES: [Role; 6] = [
    Role::Producer,
    Role::Manufacturer,
    Role::Warehouse,
    Role::Carrier,
    Role::Distributor,
    Role::Retailer,
];

/// Resolves an org argument: its name, its key in hex, or a unique prefix of the key.
pub fn resolve_org(ledger: &Ledger, s: &str) -> R<PublicKey> {
    let s = s.trim();
    if let Some(Record::Claimed(k)) = handoff_core::state::StateRead::read(
        &ledger.store,
        &handoff_core::state::StateKey::OrgName(s.to_lowercase()),
    )? {
        return Ok(k);
    }
    let lower = s.to_lowercase();
    if lower.len() >= 4 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        let found: Vec<PublicKey> = ledger
            .store
            .org_keys()?
            .into_iter()
            .filter(|k| k.to_hex().starts_with(&lower))
            .collect();
        match found.len() {
            1 => return Ok(found[0]),
            0 => {}
            _ => {
                return Err(CliError::input(
                    "AMBIGUOUS_ORG",
                    format!("'{s}' matches {} orgs", found.len()),
                ));
            }
        }
    }
    Err(CliError::input(
        "UNKNOWN_ORG",
        format!("no org named or keyed '{s}'"),
    ))
}

pub(crate) fn resolve_handoff(ledger: &Ledger, me: &PublicKey, s: &str) -> R<Hash32> {
    handoff_id(s, "", || {
        let mut open: Vec<Hash32> = ledger.store.open_handoffs(me, false)?;
        open.extend(ledger.store.open_handoffs(me, true)?);
        Ok(open)
    })
}

/// A handoff id: 64 hex digits, or a unique prefix (4 or more hex digits) of one of the
/// open handoffs `open` lists (read only for a prefix). `where_` ends the refusal's
/// message (what was looked in, when it is not the node's whole index).
fn handoff_id(s: &str, where_: &str, open: impl FnOnce() -> R<Vec<Hash32>>) -> R<Hash32> {
    let s = s.trim().to_lowercase();
    if let Some(h) = Hash32::from_hex(&s) {
        return Ok(h);
    }
    if s.len() >= 4 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut found = open()?;
        found.retain(|h| h.to_hex().starts_with(&s));
        found.sort();
        found.dedup();
        if found.len() == 1 {
            return Ok(found[0]);
        }
    }
    Err(CliError::input(
        "BAD_HANDOFF_ID",
        format!(
            "'{s}' is not a handoff id (64 hex digits, or a unique prefix of one of your open handoffs{where_})"
        ),
    ))
}

/// The offer a propose request makes to `to`, lapsing at `expires_at_height`.
fn propose_payload(r: ProposeRequest, to: PublicKey, expires_at_height: Option<u64>) -> R<Payload> {
    let transfer = match r.transfer {
        TransferKind::Custody => Transfer::Custody,
        TransferKind::Ownership => Transfer::Ownership,
        TransferKind::Both => Transfer::Both,
    };
    let docs = r
        .docs
        .into_iter()
        .map(|d| handoff_core::tx::DocRef {
            kind: d.kind,
            id: d.id,
        })
        .collect();
    Ok(Payload::ProposeHandoff(ProposeHandoff {
        to,
        entries: entries(&r.scans, r.qty)?,
        transfer,
        ship_from: r.ship_from,
        ship_to: r.ship_to,
        docs,
        expires_at_height,
    }))
}

/// Commits transactions, mapping the first rejection to exit 3.
fn commit(ledger: &Ledger, txs: Vec<SignedTx>) -> R<Vec<Receipt>> {
    // What a pledge may refuse is kept to note the attempt for the lender.
    let watched: Vec<SignedTx> = txs
        .iter()
        .filter(|t| !handoff_core::apply::pledge_subjects(&t.body.payload).is_empty())
        .cloned()
        .collect();
    let receipts = ledger.submit(txs)?;
    if !watched.is_empty() {
        crate::finance_view::note_refused_moves(ledger, &watched, &receipts)?;
    }
    if let Some(r) = first_rejection(&receipts) {
        return Err(CliError::Rejected(r.clone()));
    }
    Ok(receipts)
}

/// Commits one signed transaction and answers its receipt (a rejection is
/// `CliError::Rejected`).
pub(crate) fn commit_signed(ledger: &Ledger, tx: SignedTx) -> R<Receipt> {
    let mut r = commit(ledger, vec![tx])?;
    r.pop()
        .ok_or_else(|| CliError::Other(anyhow::anyhow!("no receipt")))
}

/// Signs `payload` as `signer`, commits it, and answers its receipt (a rejection is
/// `CliError::Rejected`).
pub fn commit_one(ledger: &Ledger, signer: &identity::Identity, payload: Payload) -> R<Receipt> {
    let tx = ledger.sign(&signer.key, payload)?;
    let mut r = commit(ledger, vec![tx])?;
    r.pop()
        .ok_or_else(|| CliError::Other(anyhow::anyhow!("no receipt")))
}

fn registrar(ledger: &Ledger, data: &Path, me: Option<&str>) -> R<identity::Identity> {
    if me.is_some() {
        return identity::select(data, me)
            .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")));
    }
    for id in identity::list(data)? {
        if ledger
            .store
            .org(&id.key.public())?
            .is_some_and(|o| o.has_role(Role::Registrar))
        {
            return Ok(id);
        }
    }
    Err(CliError::Other(anyhow::anyhow!(
        "no local identity is a registrar; use --as"
    )))
}

/// The chain an API call runs on.
#[derive(Clone, Copy)]
pub enum Chain<'a> {
    /// The embedded ledger (networked when a network is attached to it).
    Ledger(&'a Ledger),
    /// A light node.
    #[cfg(feature = "p2p")]
    Light(&'a LightSession),
    /// No chain: only what needs none.
    Offline,
}

/// The node's API on one chain and data folder (whose `keys/` hold the identities that
/// sign).
#[derive(Clone, Copy)]
pub struct NodeApi<'a> {
    chain: Chain<'a>,
    data: &'a Path,
    #[cfg(feature = "p2p")]
    node: Option<&'a NodeHandle>,
}

impl<'a> NodeApi<'a> {
    /// The API of `chain` with the identities of `data`.
    pub fn new(chain: Chain<'a>, data: &'a Path) -> NodeApi<'a> {
        NodeApi {
            chain,
            data,
            #[cfg(feature = "p2p")]
            node: None,
        }
    }

    /// The embedded (or networked) ledger's API.
    pub fn ledger(ledger: &'a Ledger) -> NodeApi<'a> {
        NodeApi::new(Chain::Ledger(ledger), ledger.data())
    }

    /// The ledger's API with the identities of `data`.
    pub fn ledger_at(ledger: &'a Ledger, data: &'a Path) -> NodeApi<'a> {
        NodeApi::new(Chain::Ledger(ledger), data)
    }

    /// With the running network node, for `node_info`.
    #[cfg(feature = "p2p")]
    pub fn with_node(mut self, node: &'a NodeHandle) -> NodeApi<'a> {
        self.node = Some(node);
        self
    }

    /// Runs one request, with the node's own error type (for the command line).
    pub fn run(&self, who: &Caller, req: Request) -> R<Response> {
        req.validate()?;
        // A phone's requests carry their own authority: a pairing ticket, a signature.
        let self_authorized = matches!(req, Request::PairRedeem(_) | Request::TxSubmit(_));
        if req.is_action() && !who.authenticated && !self_authorized {
            return Err(ApiError::unauthorized().into());
        }
        match self.chain {
            Chain::Ledger(l) => match req {
                Request::OrgInvite(r) => {
                    org_invite(l, self.data, who.identity.as_deref(), self.listen(), r)
                        .map(Response::OrgInvite)
                }
                req => embedded(l, self.data, who, self.node_info(), req),
            },
            #[cfg(feature = "p2p")]
            Chain::Light(l) => light(l, who.identity.as_deref(), who.authenticated, req),
            Chain::Offline => offline(req),
        }
    }

    #[cfg(feature = "p2p")]
    fn node_info(&self) -> Option<NodeInfoResponse> {
        self.node.map(|n| {
            let s = n.status();
            NodeInfoResponse {
                height: s.height,
                peers: s.peers as u64,
                mempool: s.mempool as u64,
                validator: s.validator,
                synced_blocks: s.synced_blocks,
                invalid_proposals: s.invalid_proposals,
                peer_reports: s.peer_reports,
                tip_proposer: s.tip_proposer,
                store_faults: s.store_faults,
                last_store_fault: s.last_store_fault,
            }
        })
    }

    #[cfg(not(feature = "p2p"))]
    fn node_info(&self) -> Option<NodeInfoResponse> {
        None
    }

    /// The running network node's listen addresses (none without one).
    fn listen(&self) -> Vec<String> {
        #[cfg(feature = "p2p")]
        if let Some(n) = self.node {
            return n.listen_addrs().iter().map(|a| a.to_string()).collect();
        }
        Vec::new()
    }
}

/// `org_invite`: an invitation made by a registrar identity of the folder (see
/// [`crate::invite`]); its link names `r.peers`, else the running node's addresses, each
/// with this node's peer id.
fn org_invite(
    ledger: &Ledger,
    data: &Path,
    me: Option<&str>,
    listen: Vec<String>,
    r: OrgInviteRequest,
) -> R<OrgInviteResponse> {
    let reg = registrar(ledger, data, me)?;
    let peers = invite_peers(ledger, &r.peers, &listen)?;
    let (link, inv) = crate::invite::make(
        ledger,
        data,
        &reg,
        crate::invite::Terms {
            name: r.name,
            roles: r.roles,
            prefixes: r.prefixes,
            glns: r.glns,
            valid_hours: r.valid_hours,
        },
        peers,
        now_ms(),
    )?;
    let text = link.to_link();
    let qr_svg = crate::qr::encode_svg(&text).map_err(|e| CliError::input(e.code, e.message))?;
    let expires = jiff::Timestamp::from_millisecond(inv.expires_ms)
        .map(|t| t.to_string())
        .map_err(|e| CliError::Other(anyhow::anyhow!("expiry out of range: {e}")))?;
    Ok(OrgInviteResponse {
        link: text,
        qr_svg,
        expires,
        ticket_id: inv.ticket_id,
    })
}

/// Who may list and revoke the folder's invitations: as for `org_invite`, a signed-in
/// caller whose identity is a registrar on the chain.
fn invitations_registrar(ledger: &Ledger, data: &Path, who: &Caller) -> R<()> {
    if !who.authenticated {
        return Err(ApiError::unauthorized().into());
    }
    let reg = registrar(ledger, data, who.identity.as_deref())?;
    let org = ledger.store.org(&reg.key.public())?;
    if !org.is_some_and(|o| o.has_role(Role::Registrar) && !o.suspended) {
        return Err(CliError::failed(
            "NOT_REGISTRAR",
            format!(
                "{} is not a registrar on this chain, so it has no invitations to show or revoke",
                reg.name
            ),
        ));
    }
    Ok(())
}

/// An invitation as the API shows it: its public id, never its ticket.
fn invitation_view(i: &crate::invite::Invitation, now: i64) -> R<InvitationView> {
    let time = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .map_err(|e| CliError::Other(anyhow::anyhow!("time out of range: {e}")))
    };
    Ok(InvitationView {
        id: i.ticket_id.clone(),
        name: i.name.clone(),
        roles: i.roles.clone(),
        created: time(i.created_ms)?,
        expires: time(i.expires_ms)?,
        status: crate::invite::status_at(i, now).to_string(),
        ended: i.revoked_ms.or(i.used_ms).map(time).transpose()?,
        org: i.org.clone(),
        height: i.height,
    })
}

/// The addresses an invitation names: those given (this node's public addresses), else
/// the node's listen addresses that others can dial, each ending in this node's peer id
/// (an address that already names a peer is kept as it is: another bootstrap peer).
#[cfg(feature = "p2p")]
fn invite_peers(ledger: &Ledger, given: &[String], listen: &[String]) -> R<Vec<String>> {
    use handoff_net::Multiaddr;
    use handoff_net::Protocol as proto;
    let me = handoff_net::peer_id_of(&ledger.node_key().public())
        .ok_or_else(|| CliError::Other(anyhow::anyhow!("this node's key has no peer id")))?;
    let from_given = !given.is_empty();
    let mut out = Vec::new();
    for a in if from_given { given } else { listen } {
        let mut m: Multiaddr = a
            .trim()
            .parse()
            .map_err(|e| CliError::input("BAD_PEER", format!("'{a}' is not a multiaddr: {e}")))?;
        let unspecified = m.iter().any(|p| match p {
            proto::Ip4(ip) => ip.is_unspecified(),
            proto::Ip6(ip) => ip.is_unspecified(),
            _ => false,
        });
        if unspecified {
            if from_given {
                return Err(CliError::input(
                    "BAD_PEER",
                    format!("'{a}' is no address another machine can dial (0.0.0.0 or ::)"),
                ));
            }
            continue;
        }
        if !m.iter().any(|p| matches!(p, proto::P2p(_))) {
            m.push(proto::P2p(me));
        }
        let s = m.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.truncate(crate::invite::MAX_LINK_PEERS);
    Ok(out)
}

#[cfg(not(feature = "p2p"))]
fn invite_peers(_: &Ledger, _: &[String], _: &[String]) -> R<Vec<String>> {
    Ok(Vec::new())
}

impl Api for NodeApi<'_> {
    fn call(&self, who: &Caller, req: Request) -> Result<Response, ApiError> {
        self.run(who, req).map_err(ApiError::from)
    }
}

/// Calls `api` with a typed request, with the node's error type.
pub fn call<E: Endpoint>(api: &NodeApi<'_>, who: &Caller, req: E) -> R<E::Response> {
    let answer = api.run(who, req.into())?;
    E::response(answer).ok_or_else(|| {
        CliError::Other(anyhow::anyhow!(
            "the node answered {} with another operation's answer",
            E::OP
        ))
    })
}

/// A view built by `view` as its typed answer. The shapes are the same by construction;
/// builds with debug assertions (every test) check it on every answer, so a field the
/// typed struct would drop, or write as null where it was absent, fails loudly.
pub(crate) fn typed<T: DeserializeOwned + serde::Serialize>(v: Value) -> R<T> {
    let shape =
        |e: String| CliError::Other(anyhow::anyhow!("a view does not have its API shape: {e}"));
    let t: T = serde_json::from_value(v.clone()).map_err(|e| shape(e.to_string()))?;
    if cfg!(debug_assertions) {
        let back = serde_json::to_value(&t).map_err(|e| shape(e.to_string()))?;
        if back != v {
            return Err(shape(format!("{v} came back as {back}")));
        }
    }
    Ok(t)
}

/// Some fields of a light command's answer.
#[cfg(feature = "p2p")]
fn part<T: DeserializeOwned>(v: Value) -> R<T> {
    serde_json::from_value(v).map_err(|e| {
        CliError::Other(anyhow::anyhow!(
            "a light node's answer is missing a field: {e}"
        ))
    })
}

fn unknown_item(key: &Gs1Key) -> CliError {
    CliError::input(
        "UNKNOWN_ITEM",
        format!("{} was never commissioned", key.canonical()),
    )
}

fn gtin14(gtin: &str) -> R<String> {
    gs1::normalize_gtin(gtin).map_err(|e| CliError::input(e.code.as_str(), e.message))
}

fn pairs(p: Vec<Pair>) -> Vec<(String, String)> {
    p.into_iter().map(|x| (x.name, x.value)).collect()
}

fn receipt(r: &Receipt) -> handoff_api::Receipt {
    handoff_api::Receipt {
        tx: r.tx.to_hex(),
        height: r.height,
        queued: None,
    }
}

fn signer_of(data: &Path, me: Option<&str>) -> R<identity::Identity> {
    identity::select(data, me).map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))
}

/// The parsed scan as `id parse` shows it.
pub fn scan_view(sc: &Scan) -> R<ScanView> {
    typed(view::scan_json(sc))
}

fn identities(data: &Path) -> R<Vec<IdentityView>> {
    Ok(identity::list(data)?
        .into_iter()
        .map(|i| IdentityView {
            org: i.key.public().to_hex(),
            org_name: i.name.clone(),
            name: i.name,
        })
        .collect())
}

fn switch(data: &Path, name: &str) -> R<Response> {
    let id = signer_of(data, Some(name))?;
    Ok(Response::IdentitySwitch(IdentitySwitchResponse {
        identity: IdentityView {
            org: id.key.public().to_hex(),
            org_name: id.name.clone(),
            name: id.name,
        },
    }))
}

fn label(req: LabelRequest, title_of: impl Fn(&str) -> R<Option<String>>) -> R<Response> {
    use base64::Engine;
    let bad = |e: crate::label::LabelError| match e.code {
        "LABEL_RENDER_FAILED" | "LABEL_QR_FAILED" => {
            CliError::Other(anyhow::anyhow!("{}", e.message))
        }
        c => CliError::input(c, e.message),
    };
    let f = crate::label::Format::parse(&req.format).map_err(bad)?;
    let z = crate::label::Size::parse(&req.size).map_err(bad)?;
    let mut labels = Vec::new();
    for s in &req.scans {
        let title = match (&req.title, req.title_from_chain) {
            (Some(t), _) => Some(t.clone()),
            // A product name that cannot be read stops the label (never a label that
            // silently lacks it); a scan that does not parse is refused by the renderer.
            (None, true) => match gs1::parse_scan(s)
                .ok()
                .and_then(|sc| sc.key.gtin().map(String::from))
            {
                Some(g) => title_of(&g)?,
                None => None,
            },
            (None, false) => None,
        };
        labels.push((s.clone(), title));
    }
    // Codes are checked before printing: a label must never carry a code that cannot
    // claim (printed as normalized, grouped hex).
    let claims = req
        .claim_codes
        .iter()
        .map(|c| {
            handoff_core::claim::ClaimSecret::parse(c)
                .map(|s| Some(s.code()))
                .map_err(|e| CliError::input("BAD_CLAIM_CODE", e.0))
        })
        .collect::<R<Vec<_>>>()?;
    let bytes = crate::label::render_with_claims(&labels, &claims, f, z, &req.base).map_err(bad)?;
    let uri = req
        .scans
        .first()
        .and_then(|s| gs1::parse_scan(s).ok())
        .map(|sc| sc.key.digital_link(&req.base))
        .unwrap_or_default();
    Ok(Response::Label(LabelResponse {
        uri,
        mime: f.mime().to_string(),
        labels: labels.len() as u64,
        bytes: bytes.len() as u64,
        data_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
    }))
}

fn offline(req: Request) -> R<Response> {
    match req {
        Request::IdParse(r) => Ok(Response::IdParse(scan_view(&scan(&r.scan)?)?)),
        Request::Label(r) if !r.title_from_chain => label(r, |_| Ok(None)),
        r => Err(ApiError::unavailable(
            "NO_CHAIN",
            format!(
                "`{}` needs a chain: give a data folder that holds one",
                r.op()
            ),
        )
        .into()),
    }
}

/// The picture a product's definition names (`image_hash`), from the pictures this build
/// carries (`crate::images`). A hash it carries no picture for is `IMAGE_UNAVAILABLE`.
fn product_image(gtin: String, image_hash: Option<Hash32>) -> R<ProductImageResponse> {
    use base64::Engine;
    let Some(hash) = image_hash else {
        return Ok(ProductImageResponse {
            gtin,
            image_hash: None,
            mime: None,
            data_base64: None,
        });
    };
    let image = crate::images::find(&hash).ok_or_else(|| {
        CliError::from(ApiError::not_found(
            "IMAGE_UNAVAILABLE",
            format!(
                "the picture of product {gtin} (SHA-256 {}) is not one this node carries",
                hash.to_hex()
            ),
        ))
    })?;
    Ok(ProductImageResponse {
        gtin,
        image_hash: Some(hash.to_hex()),
        mime: Some(image.mime.to_string()),
        data_base64: Some(base64::engine::general_purpose::STANDARD.encode(image.bytes)),
    })
}

/// The `LIGHT_NODE` error: what a light node cannot answer, named for people.
pub fn light_node_error(what: &str) -> ApiError {
    ApiError::unavailable(
        "LIGHT_NODE",
        format!(
            "{what} needs a full node: this app runs as a light node, which verifies single \
             records against certified block headers but keeps no indexes of the chain. Use \
             the app of a full node (or `handoff node run`) for it."
        ),
    )
}

fn status(ledger: &Ledger) -> R<StatusResponse> {
    let h = ledger.store.last_header()?;
    Ok(StatusResponse {
        chain_id: ledger.chain_id().to_hex(),
        height: h.height,
        time_ms: h.time_ms,
        state_root: Some(h.state_root.to_hex()),
        validator: Some(ledger.validator().to_hex()),
        disk_bytes: Some(ledger.store.size_on_disk()),
        chain_name: None,
        mode: None,
        peers: None,
        outbox: None,
        outbox_counts: None,
        identity: None,
        identities: None,
        data_dir: None,
        index: None,
        refused: None,
    })
}

fn item_show(ledger: &Ledger, key: &str, proof: bool) -> R<ItemShowResponse> {
    let key = scan(key)?.key;
    let item = view::thing_json(&ledger.store, &key)?.ok_or_else(|| unknown_item(&key))?;
    let proof = match proof {
        true => Some(prove_view(ledger, &StateKey::item(&key))?),
        false => None,
    };
    Ok(ItemShowResponse {
        item: typed(item)?,
        proof,
    })
}

/// A record (or its absence) proven against the newest header's state root, and whether
/// that header is itself final (its commit certificate carries more than 2/3 of the
/// validators' signatures).
pub(crate) fn prove_view(ledger: &Ledger, key: &StateKey) -> R<ProofView> {
    let header = ledger.store.last_header()?;
    let p = ledger.store.prove(key, Some(header.height))?;
    let verified = p.verify(&header.state_root);
    let validators = ledger.store.validators_at(header.height)?.validators;
    let certified = ledger
        .store
        .block(header.height)?
        .is_some_and(|b| header.height == 0 || b.certificate.verify(&header, &validators));
    Ok(ProofView {
        certified,
        height: p.height,
        state_root: header.state_root.to_hex(),
        header_hash: header.hash().to_hex(),
        proof_bytes: p.proof.len() as u64,
        verified: verified.is_ok(),
    })
}

/// `tx_proof`: a transaction's inclusion proof — its block's header and certificate, the
/// transaction, its outcome and its Merkle path to the header's `tx_root` — so that a
/// client checks with the chain's validator set that it is on the ledger.
fn tx_proof(ledger: &Ledger, id: &str, height: Option<u64>) -> R<TxProofResponse> {
    let tx = Hash32::from_hex(id.trim())
        .ok_or_else(|| CliError::input("BAD_TX_ID", "a transaction id is 64 hex digits"))?;
    let unknown = || {
        CliError::input(
            "UNKNOWN_TX",
            format!(
                "no committed transaction {} on this chain{}",
                tx.to_hex(),
                match height {
                    Some(h) => format!(" at height {h}"),
                    None => String::new(),
                },
            ),
        )
    };
    let height = match height {
        Some(h) => h,
        None => locate_tx(ledger, &tx)?.ok_or_else(unknown)?,
    };
    if height == 0 || height > ledger.store.height() {
        return Err(unknown());
    }
    let block = ledger.store.block(height)?.ok_or_else(|| {
        CliError::failed(
            "STORE_FAULT",
            format!("block {height} is missing from the store"),
        )
    })?;
    let mut leaves = Vec::with_capacity(block.txs.len());
    let mut found = None;
    for (i, (bytes, outcome)) in block.txs.iter().zip(&block.outcomes).enumerate() {
        let t = SignedTx::decode(bytes).map_err(|e| {
            CliError::failed(
                "STORE_FAULT",
                format!("a stored transaction does not decode: {e}"),
            )
        })?;
        let tid = t.id();
        if tid == tx {
            found = Some((i, t, outcome.clone()));
        }
        leaves.push((tid, outcome.clone()));
    }
    let (index, signed, outcome) = found.ok_or_else(unknown)?;
    let path = handoff_core::block::tx_path(&leaves, index).ok_or_else(unknown)?;
    let header = block.header;
    let validators = ledger.store.validators_at(height)?.validators;
    let certified = block.certificate.verify(&header, &validators);
    let verified = handoff_core::block::tx_path_root(&tx, &outcome, &path) == header.tx_root;
    let hexed = |b: Vec<u8>| hex::encode(b);
    let enc = |r: std::io::Result<Vec<u8>>| r.map(hexed).map_err(anyhow::Error::from);
    Ok(TxProofResponse {
        tx: tx.to_hex(),
        height,
        index: index as u64,
        kind: signed.body.payload.type_name().to_string(),
        applied: outcome.code.is_none(),
        transaction: hex::encode(&block.txs[index]),
        outcome: enc(borsh::to_vec(&outcome))?,
        path: path
            .iter()
            .map(|s| TxPathStepView {
                left: s.left,
                sibling: s.sibling.to_hex(),
            })
            .collect(),
        header_hash: header.hash().to_hex(),
        header: enc(borsh::to_vec(&header))?,
        certificate: enc(borsh::to_vec(&block.certificate))?,
        certified,
        verified,
    })
}

/// The block of a committed transaction found through what it names: the record of its
/// event (the things whose histories it is in), or for a handoff's proposal, the height
/// the handoff record says it was proposed at.
fn locate_tx(ledger: &Ledger, tx: &Hash32) -> R<Option<u64>> {
    if let Some(Record::Event(meta)) =
        handoff_core::state::StateRead::read(&ledger.store, &StateKey::Event(*tx))?
    {
        for k in &meta.keys {
            for ev in ledger.store.history(&k.canonical())? {
                if ev.tx == *tx {
                    return Ok(Some(ev.height));
                }
            }
        }
    }
    if let Some(h) = ledger.store.handoff(tx)? {
        return Ok(Some(h.proposed_height));
    }
    Ok(None)
}

use crate::goods::Depth;

fn handoff_view(ledger: &Ledger, id: &Hash32, depth: Depth) -> R<Option<HandoffView>> {
    match ledger.store.handoff(id)? {
        Some(h) => {
            let mut v: HandoffView = typed(view::handoff_json(&ledger.store, &h)?)?;
            let goods = crate::goods::of_entries(&ledger.store, &h.entries, depth)?;
            v.goods = goods.lines;
            v.goods_cut = goods.cut;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

/// Fault injection for the consumer page's tests (feature `fault-injection`, never in a
/// release build): with this variable set to `1`, the node serves evidence whose first
/// proven record is altered, as a lying gateway would.
#[cfg(feature = "fault-injection")]
pub const FAULT_TAMPER_EVIDENCE_ENV: &str = "HANDOFF_FAULT_TAMPER_EVIDENCE";

fn evidence(ledger: &Ledger, s: &str, client: Option<&str>) -> R<EvidenceResponse> {
    let now = now_ms();
    #[allow(unused_mut)]
    let mut ev = crate::evidence::build(&ledger.store, s, now)?;
    let (scans, scans_unchecked) = match gs1::parse_scan(s) {
        Ok(sc) => match crate::scans::observe(&ledger.store, &sc.key, client, now) {
            Observation::NotWatched => (None, None),
            Observation::Seen(c) => (
                Some(ScanCountsView {
                    networks_hour: c.networks_hour,
                    networks_day: c.networks_day,
                    networks_30d: c.networks_30d,
                }),
                None,
            ),
            Observation::Unchecked(why) => (None, Some(why)),
        },
        Err(_) => (None, None),
    };
    #[cfg(feature = "fault-injection")]
    if std::env::var(FAULT_TAMPER_EVIDENCE_ENV).as_deref() == Ok("1")
        && let Some(byte) = ev
            .records
            .iter_mut()
            .find_map(|r| r.value.as_mut().and_then(|v| v.last_mut()))
    {
        *byte ^= 1;
    }
    let bytes = ev.encode();
    Ok(EvidenceResponse {
        height: ev.header.height,
        bytes: bytes.len() as u64,
        evidence: hex::encode(bytes),
        scans,
        scans_unchecked,
    })
}

/// The verdict of a scan, lowered by the lookups of the item this node counted
/// (noting this one when the client's network is known).
fn verify(ledger: &Ledger, s: &str, client: Option<&str>) -> R<VerifyResponse> {
    let parsed = gs1::parse_scan(s);
    let now = now_ms();
    // No verdict from a record that cannot be read (STORE_FAULT), never "counterfeit"
    // for an item the store failed to find.
    let mut report = query::verdict(&ledger.store, &parsed, now)?;
    if let Ok(sc) = &parsed {
        let seen = crate::scans::observe(&ledger.store, &sc.key, client, now);
        handoff_core::scans::apply(&mut report, &seen);
    }
    let mut j = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
    if let Ok(sc) = &parsed {
        j["item"] = serde_json::json!(sc.key.canonical());
    }
    typed(j)
}

pub(crate) fn open_handoffs(
    ledger: &Ledger,
    me: &PublicKey,
    outgoing: bool,
    depth: Depth,
) -> R<Vec<HandoffView>> {
    let mut out = Vec::new();
    for id in ledger.store.open_handoffs(me, outgoing)? {
        if let Some(h) = handoff_view(ledger, &id, depth)? {
            out.push(h);
        }
    }
    Ok(out)
}

fn product_view(ledger: &Ledger, p: &handoff_core::state::ProductRecord) -> R<ProductView> {
    typed(view::product_json(&ledger.store, p)?)
}

fn embedded(
    ledger: &Ledger,
    data: &Path,
    who: &Caller,
    node: Option<NodeInfoResponse>,
    req: Request,
) -> R<Response> {
    let me = who.identity.as_deref();
    let signer = || signer_of(data, me);
    Ok(match req {
        Request::Status(_) => Response::Status(status(ledger)?),
        Request::IdParse(r) => Response::IdParse(scan_view(&scan(&r.scan)?)?),
        Request::Lookup(r) => {
            // A malformed scan is explained before anything is read.
            let sc = scan(&r.scan)?;
            let canonical = sc.key.canonical();
            let thing = item_show(ledger, &canonical, false)?;
            // The offer the thing travels in, so it can be accepted from the scan.
            let handoff = match thing.item.open_handoff().and_then(Hash32::from_hex) {
                Some(id) => handoff_view(ledger, &id, Depth::Full)?,
                None => None,
            };
            // The genuine/counterfeit verdict is about products; an SSCC has none.
            let verdict = match sc.key.gtin() {
                Some(_) => Some(verify(ledger, &canonical, None)?),
                None => None,
            };
            Response::Lookup(LookupResponse {
                scan: scan_view(&sc)?,
                thing,
                verdict,
                handoff,
                verified: None,
            })
        }
        Request::ItemShow(r) => Response::ItemShow(item_show(ledger, &r.key, r.proof)?),
        Request::ItemHistory(r) => {
            let key = scan(&r.key)?.key;
            let item = view::thing_json(&ledger.store, &key)?.ok_or_else(|| unknown_item(&key))?;
            let journey = query::journey(&ledger.store, &ledger.store, &key)?;
            let events = journey
                .iter()
                .map(|e| view::event_json(&ledger.store, e).map_err(CliError::from))
                .map(|v| v.and_then(typed))
                .collect::<R<Vec<EventView>>>()?;
            Response::ItemHistory(ItemHistoryResponse {
                item: typed(item)?,
                events,
                verified: None,
            })
        }
        Request::Verify(r) => Response::Verify(verify(ledger, &r.scan, who.client.as_deref())?),
        Request::Evidence(r) => {
            Response::Evidence(evidence(ledger, &r.scan, who.client.as_deref())?)
        }
        Request::CertList(r) => {
            let me = if who.authenticated && r.for_.trim().is_empty() && r.by.is_none() {
                Some(signer()?.key.public())
            } else {
                None
            };
            Response::CertList(crate::certs::list(ledger, r, me)?)
        }
        Request::DocVerify(r) => Response::DocVerify(crate::certs::verify(ledger, r)?),
        Request::EpcisCheck(r) => Response::EpcisCheck(crate::epcis::check(ledger, &signer()?, r)?),
        Request::EpcisImport(r) => {
            Response::EpcisImport(crate::epcis::import(ledger, &signer()?, r)?)
        }
        Request::EpcisExport(r) => Response::EpcisExport(crate::epcis::export(ledger, r)?),
        Request::EpcisQuery(r) => Response::EpcisQuery(crate::epcis::query(ledger, r)?),
        Request::TxProof(r) => Response::TxProof(tx_proof(ledger, &r.id, r.height)?),
        Request::CertIssue(r) => Response::CertIssue(crate::certs::issue(ledger, &signer()?, r)?),
        Request::CertChange(r) => {
            Response::CertChange(crate::certs::change(ledger, &signer()?, r)?)
        }
        // Evidence, portfolio and export: one implementation for both kinds of node.
        r @ (Request::FinanceEvidence(_)
        | Request::FinancePortfolio(_)
        | Request::FinanceExport(_)) => {
            crate::finance_view::run(ledger, &signer, who.authenticated, r)?
        }
        // List, show, enable and every step: one implementation for both kinds of node.
        r @ (Request::FinanceList(_)
        | Request::FinanceShow(_)
        | Request::FinanceEnable(_)
        | Request::ReceivableIssue(_)
        | Request::ReceivableConfirm(_)
        | Request::ReceivableRequestFinance(_)
        | Request::ReceivableOffer(_)
        | Request::ReceivableAcceptOffer(_)
        | Request::ReceivableFund(_)
        | Request::ReceivableRepay(_)
        | Request::ReceivableSplit(_)
        | Request::ReceivableTransfer(_)
        | Request::ReceivableDilute(_)
        | Request::ReceivableOverdue(_)
        | Request::ReceivableDefault(_)
        | Request::ReceivableRecover(_)
        | Request::ReceivableWriteOff(_)
        | Request::ReceivableSettle(_)
        | Request::ReceiptIssue(_)
        | Request::ReceiptPledge(_)
        | Request::ReceiptAcceptPledge(_)
        | Request::ReceiptRelease(_)
        | Request::ReceiptEnforce(_)) => {
            crate::finance::run(ledger, &signer, who.authenticated, r)?
        }
        Request::DocNotarize(r) => {
            Response::DocNotarize(crate::certs::notarize(ledger, &signer()?, r)?)
        }
        Request::Inbox(_) => {
            let me = signer()?.key.public();
            Response::Inbox(InboxResponse {
                org: me.to_hex(),
                incoming: open_handoffs(ledger, &me, false, Depth::Full)?,
                outgoing: open_handoffs(ledger, &me, true, Depth::Full)?,
                light: None,
            })
        }
        Request::Stock(r) => {
            // The org's own business: an anonymous reader gets nothing.
            if !who.authenticated {
                return Err(ApiError::unauthorized().into());
            }
            Response::Stock(crate::stock::stock(ledger, &signer()?.key.public(), &r)?)
        }
        Request::Activity(r) => {
            if !who.authenticated {
                return Err(ApiError::unauthorized().into());
            }
            Response::Activity(crate::stock::activity(ledger, &signer()?.key.public(), &r)?)
        }
        Request::Outgoing(_) => {
            let me = signer()?.key.public();
            Response::Outgoing(OutgoingResponse {
                org: me.to_hex(),
                handoffs: open_handoffs(ledger, &me, true, Depth::Full)?,
            })
        }
        Request::HandoffShow(r) => {
            let s = signer()?;
            let hid = resolve_handoff(ledger, &s.key.public(), &r.id)?;
            let handoff = handoff_view(ledger, &hid, Depth::Full)?.ok_or_else(|| {
                CliError::input("UNKNOWN_HANDOFF", format!("no handoff {}", hid.short()))
            })?;
            Response::HandoffShow(HandoffShowResponse { handoff })
        }
        Request::ProductShow(r) => {
            let g = gtin14(&r.gtin)?;
            let p = ledger.store.product(&g)?.ok_or_else(|| {
                CliError::input("UNKNOWN_PRODUCT", format!("GTIN {g} is not defined"))
            })?;
            Response::ProductShow(ProductShowResponse {
                product: product_view(ledger, &p)?,
            })
        }
        Request::ProductImage(r) => {
            let g = gtin14(&r.gtin)?;
            let p = ledger.store.product(&g)?.ok_or_else(|| {
                CliError::input("UNKNOWN_PRODUCT", format!("GTIN {g} is not defined"))
            })?;
            Response::ProductImage(product_image(g, p.image_hash)?)
        }
        Request::ProductList(_) => {
            let mut products = Vec::new();
            for gtin in product_gtins(ledger)? {
                if let Some(p) = ledger.store.product(&gtin)? {
                    products.push(product_view(ledger, &p)?);
                }
            }
            Response::ProductList(ProductListResponse { products })
        }
        Request::OrgList(_) => {
            let mut orgs = Vec::new();
            for k in ledger.store.org_keys()? {
                if let Some(o) = ledger.store.org(&k)? {
                    orgs.push(typed(
                        serde_json::to_value(&o).map_err(anyhow::Error::from)?,
                    )?);
                }
            }
            Response::OrgList(OrgListResponse { orgs, source: None })
        }
        Request::OrgNonce(_) => {
            let me = signer()?;
            let next = ledger.store.next_nonce(&me.key.public())?;
            Response::OrgNonce(OrgNonceResponse {
                org: me.key.public().to_hex(),
                name: me.name,
                next_nonce: next,
            })
        }
        Request::OrgLog(r) => {
            let key = match r.org {
                Some(o) => resolve_org(ledger, &o)?,
                None => signer()?.key.public(),
            };
            let mut rows = Vec::new();
            for (loc, id) in ledger.store.org_txs(&key, r.limit)? {
                let Some(block) = ledger.store.block(loc.height)? else {
                    continue;
                };
                let (Some(wire), Some(outcome)) = (
                    block.txs.get(loc.index as usize),
                    block.outcomes.get(loc.index as usize),
                ) else {
                    continue;
                };
                let kind = SignedTx::decode(wire)
                    .map(|t| t.body.payload.type_name())
                    .unwrap_or("?");
                rows.push(LogRow {
                    tx: id.to_hex(),
                    height: loc.height,
                    kind: kind.to_string(),
                    rejected: outcome.code.clone(),
                });
            }
            Response::OrgLog(OrgLogResponse {
                org: key.to_hex(),
                transactions: rows,
            })
        }
        Request::LightShow(_) => {
            return Err(ApiError::unavailable(
                "LIGHT_ONLY",
                "`light show` is a light node's read; a full node shows a record with its \
                 proof with `item show --proof`",
            )
            .into());
        }
        Request::Outbox(_) => Response::Outbox(OutboxResponse {
            entries: vec![],
            tip: ledger.store.height(),
            account_nonce: None,
            running: false,
            mode: None,
            counts: None,
        }),
        Request::NodeInfo(_) => Response::NodeInfo(node.ok_or_else(|| {
            CliError::from(ApiError::unavailable(
                "NOT_NETWORKED",
                "this node runs no network (start it with `handoff node run`)",
            ))
        })?),
        Request::Genesis(_) => genesis_response(&ledger.store.genesis()?)?,
        Request::Identities(_) => Response::Identities(IdentitiesResponse {
            identities: identities(data)?,
        }),
        Request::IdentitySwitch(r) => switch(data, &r.name)?,
        Request::ValidatorsShow(_) => Response::ValidatorsShow(crate::govern::show(ledger)?),
        Request::ValidatorsApprove(r) => {
            Response::ValidatorsApprove(crate::govern::approve(ledger, data, who, r)?)
        }
        Request::ValidatorsSet(r) => {
            Response::ValidatorsSet(crate::govern::set(ledger, data, who, r)?)
        }
        Request::NetworkShow(_) | Request::NetworkSet(_) => {
            return Err(ApiError::unavailable(
                "APP_ONLY",
                "network settings belong to the app's data folder; a node is configured \
                 with `handoff node run`",
            )
            .into());
        }
        Request::Label(r) => label(r, |g| Ok(ledger.store.product(g)?.map(|p| p.name)))?,
        // Actions.
        Request::Commission(r) => Response::Commission(commission(ledger, &signer()?, r)?),
        Request::Propose(r) => {
            let to = resolve_org(ledger, &r.to)?;
            let expires_at_height = r.expires_in.map(|n| ledger.store.height() + 1 + n);
            let rc = commit_one(
                ledger,
                &signer()?,
                propose_payload(r, to, expires_at_height)?,
            )?;
            Response::Propose(HandoffReceipt {
                tx: rc.tx.to_hex(),
                height: rc.height,
                handoff: rc.tx.to_hex(),
                queued: None,
            })
        }
        Request::Accept(r) => {
            let s = signer()?;
            let handoff = resolve_handoff(ledger, &s.key.public(), &r.id)?;
            let rc = commit_one(
                ledger,
                &s,
                Payload::AcceptHandoff(AcceptHandoff {
                    handoff,
                    missing: entries(&r.missing, None)?,
                    damaged: entries(&r.damaged, None)?,
                }),
            )?;
            Response::Accept(HandoffReceipt {
                tx: rc.tx.to_hex(),
                height: rc.height,
                handoff: handoff.to_hex(),
                queued: None,
            })
        }
        Request::Reject(r) => {
            let s = signer()?;
            let handoff = resolve_handoff(ledger, &s.key.public(), &r.id)?;
            let reason = r.reason;
            Response::Reject(receipt(&commit_one(
                ledger,
                &s,
                Payload::RejectHandoff { handoff, reason },
            )?))
        }
        Request::Cancel(r) => {
            let s = signer()?;
            let handoff = resolve_handoff(ledger, &s.key.public(), &r.id)?;
            Response::Cancel(receipt(&commit_one(
                ledger,
                &s,
                Payload::CancelHandoff { handoff },
            )?))
        }
        Request::Pack(r) => {
            let container = scan(&r.into)?.key;
            let p = Payload::Pack {
                container,
                entries: entries(&r.scans, None)?,
            };
            Response::Pack(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::Unpack(r) => {
            let container = scan(&r.container)?.key;
            let p = Payload::Unpack {
                container,
                entries: entries(&r.scans, None)?,
            };
            Response::Unpack(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::ProductDefine(r) => {
            let g = gtin14(&r.gtin)?;
            let rc = commit_one(
                ledger,
                &signer()?,
                Payload::DefineProduct {
                    gtin: g.clone(),
                    name: r.name,
                    description: r.description,
                    attributes: pairs(r.attributes),
                    image_hash: None,
                },
            )?;
            Response::ProductDefine(ProductDefineResponse {
                tx: rc.tx.to_hex(),
                height: rc.height,
                gtin: g,
            })
        }
        Request::ProductLicense(r) => {
            let g = gtin14(&r.gtin)?;
            let licensee = resolve_org(ledger, &r.to)?;
            let p = Payload::LicenseProduct { gtin: g, licensee };
            Response::ProductLicense(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::ProductRecall(r) => {
            let g = gtin14(&r.gtin)?;
            let scope_ = match (r.lot, r.items.is_empty()) {
                (Some(l), true) => RecallScope::Lot(l),
                (None, true) => RecallScope::Product,
                (None, false) => RecallScope::Items(
                    r.items
                        .iter()
                        .map(|s| scan(s).map(|x| x.key))
                        .collect::<R<Vec<_>>>()?,
                ),
                (Some(_), false) => {
                    return Err(CliError::input(
                        "BAD_ARGUMENT",
                        "give --lot or --item, not both",
                    ));
                }
            };
            let p = Payload::Recall {
                gtin: g,
                scope: scope_,
                reason: r.reason,
            };
            Response::ProductRecall(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::Observe(r) => {
            let p = Payload::Observe(Observe {
                entries: entries(&r.scans, None)?,
                at: r.at,
                kind: r.kind,
                readings: pairs(r.readings),
            });
            Response::Observe(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::Transform(r) => {
            let outputs = entries(&r.outputs, None)?;
            let (claim_keys, claim_codes) = claim_codes_for(&outputs, r.claim_codes)?;
            let keys = outputs.iter().map(|e| e.key.canonical()).collect();
            let transform = Transform {
                inputs: entries(&r.inputs, None)?,
                outputs,
                at: r.at,
                expiry: None,
                attributes: vec![],
            };
            // Without codes, the plain transform (its encoding unchanged).
            let p = if claim_keys.is_empty() {
                Payload::Transform(transform)
            } else {
                Payload::ClaimedTransform(ClaimedTransform {
                    transform,
                    claim_keys,
                })
            };
            let rc = commit_one(ledger, &signer()?, p)?;
            Response::Transform(TransformResponse {
                tx: rc.tx.to_hex(),
                height: rc.height,
                outputs: keys,
                claim_codes,
            })
        }
        Request::Sell(r) => {
            let p = Payload::Sell {
                entries: entries(&r.scans, None)?,
            };
            Response::Sell(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::Claim(r) => {
            if r.pin.is_some() {
                return Err(pin_retired("claim with the item's claim code instead"));
            }
            let item = scan(&r.key)?.key;
            let secret = handoff_core::claim::ClaimSecret::parse(&r.code)
                .map_err(|e| CliError::input("BAD_CLAIM_CODE", e.0))?;
            let consumer = identity::Identity {
                name: "consumer".into(),
                key: identity::consumer(data, now_ms())?,
            };
            let chain_id = ledger.chain_id();
            let p = Payload::Claim(Claim {
                claim_signature: secret.sign(&chain_id, &item, &consumer.key.public()),
                item,
            });
            Response::Claim(receipt(&commit_one(ledger, &consumer, p)?))
        }
        Request::Stolen(r) => {
            let p = Payload::ReportStolen {
                entries: entries(&r.scans, None)?,
                note: r.note,
            };
            Response::Stolen(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::Decommission(r) => {
            let p = Payload::Decommission {
                entries: entries(&r.scans, None)?,
                reason: r.reason,
            };
            Response::Decommission(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::Correct(r) => {
            let target = Hash32::from_hex(&r.tx)
                .ok_or_else(|| CliError::input("BAD_TX_ID", "a transaction id is 64 hex digits"))?;
            let p = Payload::Correct {
                target,
                reason: r.reason,
                fields: pairs(r.fields),
            };
            Response::Correct(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::OrgAdd(r) => Response::OrgAdd(org_add(ledger, data, me, r)?),
        // With a running node, `NodeApi::run` answers it with the node's addresses.
        Request::OrgInvite(r) => Response::OrgInvite(org_invite(ledger, data, me, Vec::new(), r)?),
        Request::OrgInvitations(_) => {
            invitations_registrar(ledger, data, who)?;
            let now = now_ms();
            let invitations = crate::invite::list(data)?
                .iter()
                .map(|i| invitation_view(i, now))
                .collect::<R<Vec<_>>>()?;
            Response::OrgInvitations(OrgInvitationsResponse { invitations })
        }
        Request::OrgInviteRevoke(r) => {
            invitations_registrar(ledger, data, who)?;
            let now = now_ms();
            let inv = crate::invite::revoke(data, &r.id, now)?;
            Response::OrgInviteRevoke(OrgInviteRevokeResponse {
                invitation: invitation_view(&inv, now)?,
            })
        }
        Request::DeviceAuthorize(r) => {
            let device = PublicKey::from_hex(&r.key)
                .ok_or_else(|| CliError::input("BAD_KEY", "a device key is 64 hex digits"))?;
            let mut bits = 0;
            for s in &r.scopes {
                bits |= scope::NAMES
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(s))
                    .map(|(_, b)| *b)
                    .ok_or_else(|| CliError::input("BAD_SCOPE", format!("unknown scope '{s}'")))?;
            }
            if bits == 0 {
                bits = scope::ALL;
            }
            let p = Payload::AuthorizeDevice {
                device,
                label: r.label,
                scopes: bits,
                expires_at_ms: None,
            };
            Response::DeviceAuthorize(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::DeviceRevoke(r) => {
            let device = PublicKey::from_hex(&r.key)
                .ok_or_else(|| CliError::input("BAD_KEY", "a device key is 64 hex digits"))?;
            let p = Payload::RevokeDevice {
                device,
                reason: r.reason,
            };
            Response::DeviceRevoke(receipt(&commit_one(ledger, &signer()?, p)?))
        }
        Request::PairTicket(r) => Response::PairTicket(crate::phone::make_ticket(
            ledger,
            data,
            &signer()?,
            r,
            now_ms(),
        )?),
        Request::PairRedeem(r) => {
            Response::PairRedeem(crate::phone::redeem(ledger, data, r, now_ms())?)
        }
        Request::TxSubmit(r) => Response::TxSubmit(crate::phone::submit(ledger, &r.signed_tx)?),
        Request::SignerNonce(r) => {
            Response::SignerNonce(crate::phone::signer_nonce(ledger, &r.key)?)
        }
    })
}

fn commission(
    ledger: &Ledger,
    signer: &identity::Identity,
    r: CommissionRequest,
) -> R<CommissionResponse> {
    if r.pin.is_some() {
        return Err(pin_retired(
            "commission with claim codes instead (one random secret per item)",
        ));
    }
    let (lot, qty) = (r.lot, r.qty);
    let mut list = Vec::new();
    let mut parsed = Vec::new();
    for s in &r.scans {
        let sc = scan(s)?;
        parsed.push((s.as_str(), sc.clone()));
        let e = match (&sc.key, &lot) {
            (Gs1Key::Gtin { gtin }, Some(l)) => {
                let k = Gs1Key::Lot {
                    gtin: gtin.clone(),
                    lot: l.clone(),
                };
                k.validate()
                    .map_err(|e| CliError::input(e.code.as_str(), e.message))?;
                Entry::lot(
                    k,
                    qty.or(sc.quantity)
                        .ok_or_else(|| CliError::input("QTY_REQUIRED", "a lot needs --qty"))?,
                )
            }
            _ => entry(s, qty)?,
        };
        list.push(e);
    }
    // The labels' lot, expiry and other AIs stay with the items (a recall of the lot
    // then reaches its serialized items).
    let fields = commission_fields(&parsed, lot, r.expiry)?;
    let (claim_keys, claim_codes) = claim_codes_for(&list, r.claim_codes)?;
    let keys: Vec<String> = list.iter().map(|e| e.key.canonical()).collect();
    let rc = commit_one(
        ledger,
        signer,
        Payload::Commission(Commission {
            entries: list,
            claim_keys,
            at: r.at,
            lot: fields.lot.clone(),
            expiry: fields.expiry.clone(),
            attributes: fields.attributes.clone(),
        }),
    )?;
    Ok(CommissionResponse {
        tx: rc.tx.to_hex(),
        height: rc.height,
        items: keys,
        lot: fields.lot,
        expiry: fields.expiry,
        attributes: (!fields.attributes.is_empty())
            .then(|| fields.attributes.into_iter().collect()),
        claim_codes,
        queued: None,
    })
}

/// One claim secret per new item when `wanted`, from the operating system's random
/// source: their public keys for the chain, the codes for the label printer (returned
/// once, kept nowhere). Only serialized items take one.
fn claim_codes_for(list: &[Entry], wanted: bool) -> R<(Vec<PublicKey>, Option<Vec<ClaimCode>>)> {
    if !wanted {
        return Ok((Vec::new(), None));
    }
    let secrets = list
        .iter()
        .map(|e| match e.key {
            Gs1Key::Serial { .. } => identity::claim_secret(),
            _ => Err(CliError::input(
                "CLAIM_CODE_NOT_ITEM",
                format!(
                    "{}: claim codes go on serialized items only, not lots",
                    e.key.canonical()
                ),
            )),
        })
        .collect::<R<Vec<_>>>()?;
    let keys = list
        .iter()
        .zip(&secrets)
        .map(|(e, s)| s.public_key(&e.key))
        .collect();
    let codes = list
        .iter()
        .zip(&secrets)
        .map(|(e, s)| ClaimCode {
            item: e.key.canonical(),
            code: s.code(),
        })
        .collect();
    Ok((keys, Some(codes)))
}

/// The answer to any use of the retired claim PIN.
fn pin_retired(what: &str) -> CliError {
    CliError::input(
        "PIN_RETIRED",
        format!(
            "claim PINs are retired (one PIN for a whole batch, recoverable from the chain); \
             {what}"
        ),
    )
}

fn org_add(ledger: &Ledger, data: &Path, me: Option<&str>, r: OrgAddRequest) -> R<OrgAddResponse> {
    let name = r.name;
    let reg = registrar(ledger, data, me)?;
    let key = identity::generate()?;
    let payload = Payload::AdmitOrg(AdmitOrg {
        org: key.public(),
        name: name.trim().to_string(),
        prefixes: r.prefixes,
        glns: r.glns,
        roles: roles(&r.roles, &TRADING_ROLES)?,
    });
    // The key is saved (durably) before the org is committed: an org on the chain whose
    // key was lost could never sign. If the chain refuses the org, the key is taken back;
    // if the outcome is unknown, it is kept, marked, for the user.
    let path = identity::save(data, &name, &key, now_ms())?;
    let rc = match commit_one(ledger, &reg, payload) {
        Ok(r) => r,
        Err(e @ (CliError::Rejected(_) | CliError::Partial { .. } | CliError::Input { .. })) => {
            identity::remove_key(&path)?;
            return Err(e);
        }
        // Not refused, but not known to be committed either (a store fault keeps its
        // code).
        Err(e @ (CliError::Other(_) | CliError::Failed { .. })) => {
            let kept = match identity::mark_unconfirmed(&path) {
                Ok(marked) => format!(
                    "its key is kept in {}: if `handoff org list` shows {name}, rename that \
                     file to {}",
                    marked.display(),
                    path.display()
                ),
                Err(_) => format!("its key is kept in {}", path.display()),
            };
            let what = format!(
                "admitting {name} did not finish, so whether it is on the chain is unknown; \
                 {kept}"
            );
            return Err(match e {
                CliError::Other(e) => CliError::Other(e.context(what)),
                CliError::Failed { code, message } => CliError::Failed {
                    code,
                    message: format!("{what}: {message}"),
                },
                e => e,
            });
        }
    };
    Ok(OrgAddResponse {
        org: key.public().to_hex(),
        name,
        tx: rc.tx.to_hex(),
        height: rc.height,
    })
}

/// Every GTIN a product was defined under: from the `DefineProduct` transactions in the
/// orgs' logs (the store keeps no product index; a refused definition is filtered out by
/// the product read that follows).
fn product_gtins(ledger: &Ledger) -> R<std::collections::BTreeSet<String>> {
    let mut gtins = std::collections::BTreeSet::new();
    let mut block: Option<handoff_core::block::Block> = None;
    for org in ledger.store.org_keys()? {
        for (loc, _) in ledger.store.org_txs(&org, usize::MAX)? {
            if block.as_ref().is_none_or(|b| b.header.height != loc.height) {
                block = ledger.store.block(loc.height)?;
            }
            let Some(wire) = block.as_ref().and_then(|b| b.txs.get(loc.index as usize)) else {
                continue;
            };
            if let Ok(t) = SignedTx::decode(wire)
                && let Payload::DefineProduct { gtin, .. } = t.body.payload
            {
                gtins.insert(gtin);
            }
        }
    }
    Ok(gtins)
}

#[cfg(feature = "p2p")]
pub(crate) fn light_queued(out: crate::error::Output) -> R<(String, Vec<QueuedTx>)> {
    #[derive(serde::Deserialize)]
    struct Queued {
        queued: Vec<QueuedTx>,
    }
    let queued = part::<Queued>(out.json)?.queued;
    // An action that queued nothing has no transaction to name: a fault, never an
    // answer with an empty id.
    let first = queued.first().map(|x| x.tx.clone()).ok_or_else(|| {
        CliError::Other(anyhow::anyhow!(
            "the light node queued no transaction for the action"
        ))
    })?;
    Ok((first, queued))
}

/// An org key for a light node: 64 hex digits, or the name of an org of the genesis.
#[cfg(feature = "p2p")]
pub(crate) fn light_org_key(l: &LightSession, to: &str) -> R<String> {
    let t = to.trim();
    if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(t.to_lowercase());
    }
    let g = l.store().genesis()?;
    g.orgs
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case(t))
        .map(|o| o.org.to_hex())
        .ok_or_else(|| {
            CliError::input(
                "UNKNOWN_ORG",
                format!(
                    "'{t}' is not an org this light node knows: give the recipient's org key \
                     (64 hex digits)"
                ),
            )
        })
}

/// A handoff id for a light node: 64 hex digits, or a unique prefix of a handoff of the
/// org's that its own index holds open.
#[cfg(feature = "p2p")]
fn light_handoff_id(l: &LightSession, id: &str) -> R<Hash32> {
    handoff_id(id, " this light node has indexed", || {
        Ok(l.store()
            .indexed_handoffs()?
            .into_iter()
            .filter(|h| h.status == handoff_core::state::HandoffStatus::Open)
            .map(|h| h.id)
            .collect())
    })
}

/// The receipt of an action a light node queued: its transaction, no block yet.
#[cfg(feature = "p2p")]
fn light_receipt(out: crate::error::Output) -> R<handoff_api::Receipt> {
    let (tx, q) = light_queued(out)?;
    Ok(handoff_api::Receipt {
        tx,
        height: None,
        queued: Some(q),
    })
}

#[cfg(feature = "p2p")]
fn light_status(l: &LightSession) -> R<StatusResponse> {
    typed(l.status()?)
}

/// A record read with a proof through the light node: `(thing, open handoff, header)`.
#[cfg(feature = "p2p")]
fn light_show(l: &LightSession, canonical: String) -> R<(Thing, Option<HandoffView>, VerifiedAt)> {
    // No peer: `show` answers NO_PEER (saying why, when peers were banned).
    let s = l.show(&canonical)?;
    let thing = s.thing.ok_or_else(|| {
        CliError::input(
            "UNKNOWN_ITEM",
            format!("{canonical} is no item, container or lot"),
        )
    })?;
    Ok((thing, s.handoff, s.verified))
}

/// `signed_in`: the caller showed a token (over HTTP) or is the folder's own user; only
/// then does the status name the identity its actions are signed by.
#[cfg(feature = "p2p")]
fn light(l: &LightSession, me: Option<&str>, signed_in: bool, req: Request) -> R<Response> {
    let data = l.data();
    Ok(match req {
        Request::Status(_) => {
            // The mode, so that a browser on the light node's server shows a light
            // node (its proofs, its outbox) rather than a full node's screens.
            let mut st = light_status(l)?;
            st.mode = Some("light".into());
            st.index = Some(crate::light::index::freshness(l)?);
            let refused = l.running().node().refusals();
            st.refused = (!refused.is_empty()).then_some(refused);
            if signed_in {
                let id = identity::select(data, me)
                    .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))?;
                st.identity = Some(IdentityView {
                    org: id.key.public().to_hex(),
                    org_name: id.name.clone(),
                    name: id.name,
                });
            }
            Response::Status(st)
        }
        Request::IdParse(r) => Response::IdParse(scan_view(&scan(&r.scan)?)?),
        Request::Lookup(r) => {
            let sc = scan(&r.scan)?;
            let (thing, handoff, verified) = light_show(l, sc.key.canonical())?;
            Response::Lookup(LookupResponse {
                scan: scan_view(&sc)?,
                thing: ItemShowResponse {
                    item: thing,
                    proof: None,
                },
                verdict: None,
                handoff,
                verified: Some(verified),
            })
        }
        Request::ItemShow(r) => {
            let key = scan(&r.key)?.key;
            // Every read of a light node is proven against a certified header (or fails);
            // the header is in a lookup's `verified`.
            let (thing, _, _) = light_show(l, key.canonical())?;
            Response::ItemShow(ItemShowResponse {
                item: thing,
                proof: None,
            })
        }
        Request::OrgList(_) => {
            // The org list is a full node's index; the genesis is what a light node
            // knows for sure.
            let g = l.store().genesis()?;
            let orgs = g
                .orgs
                .iter()
                .map(|o| OrgView {
                    key: o.org.to_hex(),
                    name: o.name.clone(),
                    prefixes: o.prefixes.clone(),
                    glns: o.glns.clone(),
                    roles: o.roles.iter().map(|r| r.as_str().to_string()).collect(),
                    suspended: false,
                    admitted_at: 0,
                })
                .collect();
            Response::OrgList(OrgListResponse {
                orgs,
                source: Some("genesis".into()),
            })
        }
        Request::LightShow(r) => Response::LightShow(l.show(&r.scan)?),
        // The org's own business, from the light node's verified index of it (answered
        // from disk, with how fresh it is, when no peer is reachable).
        Request::Inbox(_) => Response::Inbox(crate::light::index::inbox(l)?),
        Request::Outgoing(_) => {
            let inbox = crate::light::index::inbox(l)?;
            Response::Outgoing(OutgoingResponse {
                org: inbox.org,
                handoffs: inbox.outgoing,
            })
        }
        Request::Stock(r) => {
            if !signed_in {
                return Err(ApiError::unauthorized().into());
            }
            Response::Stock(crate::light::index::stock(l, &r)?)
        }
        Request::Activity(r) => {
            if !signed_in {
                return Err(ApiError::unauthorized().into());
            }
            Response::Activity(crate::light::index::activity(l, &r)?)
        }
        Request::HandoffShow(r) => Response::HandoffShow(HandoffShowResponse {
            handoff: crate::light::index::handoff(l, &r.id)?,
        }),
        Request::ProductList(_) => Response::ProductList(ProductListResponse {
            products: crate::light::index::products(l)?,
        }),
        // An item's journey, every history in it verified against a certified header.
        Request::ItemHistory(r) => {
            Response::ItemHistory(crate::light::history::item_history(l, &r.key)?)
        }
        Request::DocVerify(r) => Response::DocVerify(crate::certs::verify_light(l, r)?),
        // The listing carries the counts of every entry (`light::cli::outbox`).
        Request::Outbox(_) => Response::Outbox(typed(l.run(me, LightCmd::Outbox)?.json)?),
        Request::Genesis(_) => genesis_response(&l.store().genesis()?)?,
        Request::Identities(_) => Response::Identities(IdentitiesResponse {
            identities: identities(data)?,
        }),
        Request::IdentitySwitch(r) => switch(data, &r.name)?,
        // A light node reads no product record for a title: the label carries none.
        Request::Label(r) => label(r, |_| Ok(None))?,
        Request::Commission(r) => {
            if r.pin.is_some() {
                return Err(pin_retired("commission with claim codes instead"));
            }
            if r.lot.is_some() || r.qty.is_some() || r.expiry.is_some() || r.claim_codes {
                return Err(light_node_error(
                    "Commissioning with a lot, quantity, expiry or claim codes",
                )
                .into());
            }
            let items = r
                .scans
                .iter()
                .map(|s| scan(s).map(|sc| sc.key.canonical()))
                .collect::<R<Vec<_>>>()?;
            let (tx, q) = light_queued(l.run(me, LightCmd::Commission { scans: r.scans })?)?;
            Response::Commission(CommissionResponse {
                tx,
                height: None,
                items,
                lot: None,
                expiry: None,
                attributes: None,
                claim_codes: None,
                queued: Some(q),
            })
        }
        Request::Propose(r) => {
            let to = light_org_key(l, &r.to)?;
            let to = PublicKey::from_hex(&to).ok_or_else(|| {
                CliError::input("BAD_KEY", "the recipient is an org key, 64 hex digits")
            })?;
            // Counted from the newest certified header this node holds: the offer lapses
            // no sooner than the caller asked (a queued offer reaches a later block).
            let expires_at_height = match r.expires_in {
                Some(n) => Some(l.store().tip()? + 1 + n),
                None => None,
            };
            let p = propose_payload(r, to, expires_at_height)?;
            let (tx, q) = light_queued(l.queue(me, vec![p])?)?;
            Response::Propose(HandoffReceipt {
                handoff: tx.clone(),
                tx,
                height: None,
                queued: Some(q),
            })
        }
        Request::Accept(r) => {
            let handoff = light_handoff_id(l, &r.id)?;
            let p = Payload::AcceptHandoff(AcceptHandoff {
                handoff,
                missing: entries(&r.missing, None)?,
                damaged: entries(&r.damaged, None)?,
            });
            let (tx, q) = light_queued(l.queue(me, vec![p])?)?;
            Response::Accept(HandoffReceipt {
                tx,
                height: None,
                handoff: handoff.to_hex(),
                queued: Some(q),
            })
        }
        Request::Reject(r) => {
            let handoff = light_handoff_id(l, &r.id)?;
            let p = Payload::RejectHandoff {
                handoff,
                reason: r.reason,
            };
            Response::Reject(light_receipt(l.queue(me, vec![p])?)?)
        }
        Request::Cancel(r) => {
            let handoff = light_handoff_id(l, &r.id)?;
            let p = Payload::CancelHandoff { handoff };
            Response::Cancel(light_receipt(l.queue(me, vec![p])?)?)
        }
        Request::Pack(r) => {
            let p = Payload::Pack {
                container: scan(&r.into)?.key,
                entries: entries(&r.scans, None)?,
            };
            Response::Pack(light_receipt(l.queue(me, vec![p])?)?)
        }
        Request::Unpack(r) => {
            let p = Payload::Unpack {
                container: scan(&r.container)?.key,
                entries: entries(&r.scans, None)?,
            };
            Response::Unpack(light_receipt(l.queue(me, vec![p])?)?)
        }
        Request::ProductDefine(r) => {
            let g = gtin14(&r.gtin)?;
            let p = Payload::DefineProduct {
                gtin: g.clone(),
                name: r.name,
                description: r.description,
                attributes: pairs(r.attributes),
                image_hash: None,
            };
            let (tx, _) = light_queued(l.queue(me, vec![p])?)?;
            Response::ProductDefine(ProductDefineResponse {
                tx,
                height: None,
                gtin: g,
            })
        }
        // The org's own finance assets: list, show, enable and every step, over the
        // light index (steps signed and queued), the full node's code.
        r if crate::finance::shared_op(&r) => {
            let books = crate::light::finance::LightBooks::new(l, me);
            crate::finance::run(&books, &|| books.signer(), signed_in, r)?
        }
        // Its evidence, portfolio and export: the full node's views over the same books,
        // goods and orgs proven at the newest certified header (the index offline).
        r if crate::finance_view::view_op(&r) => {
            let books = crate::light::finance::LightBooks::new(l, me);
            crate::finance_view::run(&books, &|| books.signer(), signed_in, r)?
        }
        // EPCIS over the org's own events in the index; imported events signed and queued.
        Request::EpcisCheck(r) => Response::EpcisCheck(crate::light::epcis::check(l, me, r)?),
        Request::EpcisImport(r) => Response::EpcisImport(crate::light::epcis::import(l, me, r)?),
        Request::EpcisExport(r) => Response::EpcisExport(crate::light::epcis::export(l, r)?),
        Request::EpcisQuery(r) => Response::EpcisQuery(crate::light::epcis::query(l, r)?),
        r => {
            let what = match r.op() {
                "evidence" => "The evidence of a verdict (a full node proves it)".to_string(),
                "product_show" => "A product's page".to_string(),
                "product_image" => "A product's picture".to_string(),
                "tx_proof" => "A transaction's inclusion proof".to_string(),
                op => format!("`{op}`"),
            };
            return Err(light_node_error(&what).into());
        }
    })
}

/// A chain's genesis as the API answers it: its canonical encoding (hex) and its id.
fn genesis_response(g: &handoff_core::block::Genesis) -> R<Response> {
    let encoded = borsh::to_vec(g).map_err(anyhow::Error::from)?;
    Ok(Response::Genesis(GenesisResponse {
        genesis: hex::encode(encoded),
        chain_id: g.chain_id().to_hex(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: &str = "09506000134352";

    fn parsed(scans: &[String]) -> Vec<(&str, Scan)> {
        scans
            .iter()
            .map(|s| (s.as_str(), gs1::parse_scan(s).expect("scan")))
            .collect()
    }

    #[test]
    fn a_label_gives_its_item_lot_expiry_and_other_ais() {
        let f = scan_fields(
            &gs1::parse_scan(&format!("(01){G}(10)L1(21)S(17)261231(30)2(11)250101"))
                .expect("scan"),
        );
        assert_eq!(f.lot.as_deref(), Some("L1"));
        assert_eq!(f.expiry.as_deref(), Some("261231"));
        assert_eq!(
            f.attributes,
            vec![("30".into(), "2".into()), ("11".into(), "250101".into())]
        );
        // A lot's count is its quantity, and its lot is its key: neither is repeated.
        let f =
            scan_fields(&gs1::parse_scan(&format!("(01){G}(10)L1(30)12(15)261130")).expect("scan"));
        assert_eq!(f.lot, None);
        assert_eq!(f.attributes, vec![("15".into(), "261130".into())]);
    }

    #[test]
    fn one_commissioning_takes_labels_that_agree_and_refuses_others() {
        let label = |s: &str, lot: &str| format!("(01){G}(10){lot}(21){s}(17)261231");
        let same = [label("A", "L1"), label("B", "L1")];
        let f = commission_fields(&parsed(&same), Some("L1".into()), None).expect("agree");
        assert_eq!(f.lot.as_deref(), Some("L1"));
        assert_eq!(f.expiry.as_deref(), Some("261231"));
        // --lot names the lot of serials whose labels carry none.
        let bare = [format!("(01){G}(21)C")];
        let f = commission_fields(&parsed(&bare), Some("L2".into()), Some("270101".into()))
            .expect("options");
        assert_eq!(
            (f.lot.as_deref(), f.expiry.as_deref()),
            (Some("L2"), Some("270101"))
        );
        for (scans, lot, expiry) in [
            (vec![label("A", "L1"), label("B", "L2")], None, None),
            (
                vec![label("A", "L1"), format!("(01){G}(21)B(17)261231")],
                None,
                None,
            ),
            (
                vec![label("A", "L1"), format!("(01){G}(10)L1(21)B")],
                None,
                None,
            ),
            (
                vec![
                    label("A", "L1"),
                    format!("(01){G}(10)L1(21)B(17)261231(15)261130"),
                ],
                None,
                None,
            ),
            (vec![label("A", "L1")], Some("L2".to_string()), None),
            (vec![label("A", "L1")], None, Some("261230".to_string())),
        ] {
            let e = commission_fields(&parsed(&scans), lot, expiry).expect_err("conflict");
            assert_eq!(e.parts().0, "SCAN_CONFLICT", "{scans:?}");
        }
    }
}
