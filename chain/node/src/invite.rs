//! Joining a network by invitation: the link a registrar hands out, the invitations its
//! node keeps, and the admission it makes when the invited org redeems one.
//!
//! **The link.** `handoff://join?v=1&chain=HEX&genesis=HEX&name=NAME&peer=ADDR…&ticket=B64`:
//! the chain id, the SHA-256 of the genesis encoding (so a peer cannot put the joiner on
//! another chain: the joiner fetches the genesis and checks its hash), the name the org
//! is invited under, one to [`MAX_LINK_PEERS`] multiaddrs ending in `/p2p/PEER_ID` (the
//! first is the registrar's own node, which alone can redeem the ticket) and a random
//! 32-byte ticket, base64url. [`InviteLink::parse`] is bounded and total: every
//! malformation is [`BAD_INVITE`] with a message, never a panic (fuzz target
//! `invite_link`).
//!
//! **The invitations.** The registrar's folder keeps, in `invitations.json` (written to a
//! temporary file, synced, renamed, the folder synced), only the SHA-256 of each ticket
//! and the terms: name, roles, prefixes, GLNs, the identity that invited, when it was
//! made and expires, and its status. A file that does not read is an error, never "no
//! invitations".
//!
//! **Redeeming.** [`admit`] checks the new org key's signature over
//! `handoff_net::join_message` (chain id, SHA-256 of the ticket, key, name), looks the
//! ticket up (`UNKNOWN_TICKET`, `TICKET_USED`, `TICKET_EXPIRED`, `NAME_MISMATCH`), marks
//! it used durably, and only then commits `AdmitOrg` signed by the registrar identity
//! that invited; if the chain refuses, the invitation is open again.

use crate::api::{R, TRADING_ROLES, roles};
use crate::error::CliError;
use crate::identity;
use crate::ledger::Ledger;
use anyhow::Context;
use base64::Engine;
use handoff_core::state::{StateKey, StateRead, StateReadExt};
#[cfg(feature = "p2p")]
use handoff_core::tx::{AdmitOrg, Payload};
#[cfg(feature = "p2p")]
use handoff_core::types::PublicKey;
use handoff_core::types::{Hash32, Role, sha256};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Every malformed link.
pub const BAD_INVITE: &str = "BAD_INVITE";
/// A ticket the registrar's node never made (or a forged one).
pub const UNKNOWN_TICKET: &str = "UNKNOWN_TICKET";
/// A ticket that already admitted an org.
pub const TICKET_USED: &str = "TICKET_USED";
/// A join repeated with the key its invitation was admitting, whose admission the
/// registrar's node does not see on the chain yet.
pub const JOIN_PENDING: &str = "JOIN_PENDING";
/// A ticket past its validity.
pub const TICKET_EXPIRED: &str = "TICKET_EXPIRED";
/// A ticket its registrar revoked.
pub const TICKET_REVOKED: &str = "TICKET_REVOKED";
/// An invitation id this node does not know.
pub const UNKNOWN_INVITATION: &str = "UNKNOWN_INVITATION";
/// Revoking an invitation already used.
pub const INVITATION_USED: &str = "INVITATION_USED";
/// Revoking an invitation already revoked.
pub const INVITATION_REVOKED: &str = "INVITATION_REVOKED";
/// Revoking an invitation past its validity.
pub const INVITATION_EXPIRED: &str = "INVITATION_EXPIRED";
/// The joiner asked for another name than the invitation's.
pub const NAME_MISMATCH: &str = "NAME_MISMATCH";
/// The join signature does not verify against the key it names.
pub const BAD_JOIN_SIGNATURE: &str = "BAD_JOIN_SIGNATURE";
/// The node cannot name an address peers can dial (no network, no `--peer`).
pub const NOT_NETWORKED: &str = "NOT_NETWORKED";

/// The longest link accepted.
pub const MAX_INVITE_LINK_LEN: usize = 4096;
/// Peers in one link.
pub const MAX_LINK_PEERS: usize = 8;
/// One peer's multiaddr (decoded).
pub const MAX_PEER_ADDR_LEN: usize = 256;
/// The org name in a link (the ledger's bound on org names).
pub const MAX_INVITE_NAME_LEN: usize = handoff_core::limits::MAX_NAME_LEN;
/// Default validity of an invitation.
pub const DEFAULT_VALID_HOURS: u32 = 72;
/// Longest validity of an invitation: 30 days.
pub const MAX_VALID_HOURS: u32 = 30 * 24;
/// Invitations open at once.
pub const MAX_OPEN_INVITATIONS: usize = 64;
/// Invitations the file keeps, whatever their status (the oldest ended ones go first).
pub const MAX_KEPT_INVITATIONS: usize = 512;
/// How long used and expired invitations are remembered (so a late joiner hears why).
pub const REMEMBER_INVITATION_MS: i64 = 30 * 24 * 60 * 60 * 1000;

const SCHEME: &str = "handoff://join?";

/// Fault injection for tests (feature `fault-injection`, never in a release build):
/// milliseconds added to the clock when an invitation is made, so a test can make one
/// that is already expired without waiting.
#[cfg(feature = "fault-injection")]
pub const FAULT_INVITE_CLOCK_ENV: &str = "HANDOFF_FAULT_INVITE_CLOCK_MS";

/// Why a link was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteError {
    /// Always [`BAD_INVITE`].
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
}

impl std::fmt::Display for InviteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<InviteError> for CliError {
    fn from(e: InviteError) -> CliError {
        CliError::input(e.code, e.message)
    }
}

fn bad(message: impl Into<String>) -> InviteError {
    InviteError {
        code: BAD_INVITE,
        message: message.into(),
    }
}

/// An invitation link, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteLink {
    /// The chain id.
    pub chain: Hash32,
    /// SHA-256 of the genesis encoding.
    pub genesis: Hash32,
    /// The name the org is invited under.
    pub name: String,
    /// Multiaddrs, each ending in `/p2p/PEER_ID`; the first is the registrar's node.
    pub peers: Vec<String>,
    /// The one-time ticket.
    pub ticket: [u8; 32],
}

/// What a query value may hold unescaped: multiaddr characters, never `&`, `=`, `%`,
/// `#`, `+` or a space.
const VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

fn decode_value(what: &str, v: &str) -> Result<String, InviteError> {
    // Strict: a `%` is always two hex digits (percent_encoding would pass it through).
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok =
                b.len() >= i + 3 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
            if !ok {
                return Err(bad(format!(
                    "the {what} has a '%' that is not two hex digits"
                )));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    percent_encoding::percent_decode_str(v)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| bad(format!("the {what} is not UTF-8")))
}

fn hash_param(what: &str, v: &str) -> Result<Hash32, InviteError> {
    if v.len() != 64 || !v.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad(format!("the {what} is not 64 hex digits")));
    }
    Hash32::from_hex(&v.to_ascii_lowercase())
        .ok_or_else(|| bad(format!("the {what} is not 64 hex digits")))
}

fn peer_param(v: &str) -> Result<String, InviteError> {
    let p = decode_value("peer", v)?;
    if p.len() > MAX_PEER_ADDR_LEN {
        return Err(bad(format!(
            "a peer address is {} bytes; at most {MAX_PEER_ADDR_LEN}",
            p.len()
        )));
    }
    let printable = p.bytes().all(|c| c.is_ascii_graphic());
    let Some(at) = p.rfind("/p2p/") else {
        return Err(bad(format!(
            "the peer '{p}' does not name its peer id (/p2p/…)"
        )));
    };
    let id = &p[at + 5..];
    if !p.starts_with('/')
        || !printable
        || id.is_empty()
        || id.len() > 128
        || !id.bytes().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(bad(format!(
            "'{p}' is not a peer address (/ip4/…/tcp/…/p2p/…)"
        )));
    }
    Ok(p)
}

fn name_param(v: &str) -> Result<String, InviteError> {
    let n = decode_value("name", v)?;
    check_name(&n).map_err(bad)?;
    Ok(n)
}

/// An org name as invitations carry it: trimmed, 1 to [`MAX_INVITE_NAME_LEN`] bytes, no
/// control characters.
pub fn check_name(n: &str) -> Result<(), String> {
    if n.trim() != n || n.is_empty() {
        return Err("the org name is empty or has spaces around it".into());
    }
    if n.len() > MAX_INVITE_NAME_LEN {
        return Err(format!(
            "the org name is {} bytes; at most {MAX_INVITE_NAME_LEN}",
            n.len()
        ));
    }
    if n.chars().any(char::is_control) {
        return Err("the org name has control characters".into());
    }
    Ok(())
}

impl InviteLink {
    /// Reads a link. Bounded (length, peers, every field) and total: anything else is
    /// [`BAD_INVITE`] saying what is wrong.
    pub fn parse(text: &str) -> Result<InviteLink, InviteError> {
        if text.len() > MAX_INVITE_LINK_LEN {
            return Err(bad(format!(
                "the link is {} bytes; an invitation is at most {MAX_INVITE_LINK_LEN}",
                text.len()
            )));
        }
        let text = text.trim();
        let query = text
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("an invitation link starts with handoff://join?"))?;
        let (mut v, mut chain, mut genesis, mut name, mut ticket) = (None, None, None, None, None);
        let mut peers = Vec::new();
        for pair in query.split('&') {
            let (k, val) = pair
                .split_once('=')
                .ok_or_else(|| bad("the link's parameters are not name=value pairs"))?;
            match k {
                "v" => {
                    once(k, v.is_some())?;
                    if val != "1" {
                        return Err(bad(format!(
                            "this is an invitation of version '{}'; this program reads version 1",
                            val.chars().take(16).collect::<String>()
                        )));
                    }
                    v = Some(());
                }
                "chain" => {
                    once(k, chain.is_some())?;
                    chain = Some(hash_param("chain id", val)?);
                }
                "genesis" => {
                    once(k, genesis.is_some())?;
                    genesis = Some(hash_param("genesis hash", val)?);
                }
                "name" => {
                    once(k, name.is_some())?;
                    name = Some(name_param(val)?);
                }
                "ticket" => {
                    once(k, ticket.is_some())?;
                    ticket = Some(ticket_param(val)?);
                }
                "peer" => {
                    if peers.len() == MAX_LINK_PEERS {
                        return Err(bad(format!(
                            "the link names more than {MAX_LINK_PEERS} peers"
                        )));
                    }
                    peers.push(peer_param(val)?);
                }
                other => {
                    return Err(bad(format!(
                        "the link has an unknown parameter '{}'",
                        other.chars().take(32).collect::<String>()
                    )));
                }
            }
        }
        let missing = |what: &str| bad(format!("the link has no {what}"));
        v.ok_or_else(|| missing("version (v=1)"))?;
        if peers.is_empty() {
            return Err(missing("peer"));
        }
        Ok(InviteLink {
            chain: chain.ok_or_else(|| missing("chain id"))?,
            genesis: genesis.ok_or_else(|| missing("genesis hash"))?,
            name: name.ok_or_else(|| missing("name"))?,
            peers,
            ticket: ticket.ok_or_else(|| missing("ticket"))?,
        })
    }

    /// The link's text (what [`InviteLink::parse`] reads back as the same link).
    pub fn to_link(&self) -> String {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, VALUE).to_string();
        let mut s = format!(
            "{SCHEME}v=1&chain={}&genesis={}&name={}",
            self.chain.to_hex(),
            self.genesis.to_hex(),
            enc(&self.name)
        );
        for p in &self.peers {
            s.push_str("&peer=");
            s.push_str(&enc(p));
        }
        s.push_str("&ticket=");
        s.push_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.ticket));
        s
    }

    /// SHA-256 of the ticket: all the registrar's node keeps of it.
    pub fn ticket_sha256(&self) -> Hash32 {
        sha256(&[&self.ticket])
    }
}

fn once(k: &str, given: bool) -> Result<(), InviteError> {
    if given {
        Err(bad(format!("the link gives '{k}' twice")))
    } else {
        Ok(())
    }
}

fn ticket_param(v: &str) -> Result<[u8; 32], InviteError> {
    let wrong = || bad("the ticket is not 43 characters of base64url");
    if v.len() != 43 {
        return Err(wrong());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(v)
        .map_err(|_| wrong())?;
    let t: [u8; 32] = bytes.try_into().map_err(|_| wrong())?;
    // One spelling per ticket (the last character's spare bits are zero).
    if base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t) != v {
        return Err(wrong());
    }
    Ok(t)
}

/// SHA-256 of a genesis encoding, as links carry it.
pub fn genesis_hash(genesis: &handoff_core::block::Genesis) -> Hash32 {
    sha256(&[&borsh::to_vec(genesis).unwrap_or_default()])
}

// ---------------------------------------------------------------- the registrar's file

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its org.
    Open,
    /// Redeemed (marked before the org is committed; `tx` once it is).
    Used,
    /// Revoked by its registrar before it was used: a join with it is refused.
    Revoked,
}

/// One invitation as the registrar's folder keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    /// SHA-256 of the ticket, hex.
    pub ticket_sha256: String,
    /// A short name for the invitation (the first 16 hex digits of that hash).
    pub ticket_id: String,
    /// The org's name.
    pub name: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// Its GS1 company prefixes.
    pub prefixes: Vec<String>,
    /// Its location numbers.
    pub glns: Vec<String>,
    /// The registrar identity of the folder that invited (and signs the admission).
    pub registrar: String,
    /// When it was made, Unix ms.
    pub created_ms: i64,
    /// When it stops being good, Unix ms.
    pub expires_ms: i64,
    /// Open, used or revoked.
    pub status: Status,
    /// When it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_ms: Option<i64>,
    /// When it was redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_ms: Option<i64>,
    /// The org key it admitted, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The admission's transaction id, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<String>,
    /// Its block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationFile {
    invitations: Vec<Invitation>,
}

/// Where a folder keeps its invitations.
pub fn invitations_file(data: &Path) -> PathBuf {
    data.join("invitations.json")
}

/// One reader-writer of invitation files at a time in this process (the HTTP server and
/// the network answer on several threads; a ticket must admit one org).
static INVITATIONS: Mutex<()> = Mutex::new(());

fn load(data: &Path) -> R<InvitationFile> {
    let path = invitations_file(data);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not an invitation file", path.display()))
            .map_err(CliError::Other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(InvitationFile::default()),
        Err(e) => Err(CliError::Other(
            anyhow::Error::from(e).context(format!("cannot read {}", path.display())),
        )),
    }
}

/// Writes the file atomically and durably: a temporary file (owner-only), synced,
/// renamed over the old one, the folder synced.
fn save(data: &Path, file: &InvitationFile) -> R<()> {
    use std::io::Write;
    let path = invitations_file(data);
    let tmp = path.with_extension("json.tmp");
    let write = || -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(file)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        #[cfg(unix)]
        std::fs::File::open(data)?.sync_all()?;
        Ok(())
    };
    write()
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(CliError::Other)
}

fn prune(file: &mut InvitationFile, now: i64) {
    file.invitations.retain(|i| {
        let ended = i
            .revoked_ms
            .or(i.used_ms)
            .unwrap_or(i.expires_ms)
            .min(i.expires_ms);
        i.status == Status::Open && i.expires_ms > now
            || now.saturating_sub(ended) < REMEMBER_INVITATION_MS
    });
    file.invitations.sort_by_key(|i| i.created_ms);
    let extra = file.invitations.len().saturating_sub(MAX_KEPT_INVITATIONS);
    file.invitations = file.invitations.split_off(extra);
}

/// The invitation's terms, checked as the ledger will check them at admission (so a
/// mistake is found by the registrar now, not by the invited org later).
pub struct Terms {
    /// The org's name.
    pub name: String,
    /// Role names.
    pub roles: Vec<String>,
    /// GS1 company prefixes.
    pub prefixes: Vec<String>,
    /// Location numbers.
    pub glns: Vec<String>,
    /// Hours it stays good.
    pub valid_hours: u32,
}

/// Makes an invitation signed off by `registrar` (an identity of `data` holding the
/// registrar role) and answers its link: `peers` are the addresses the link names, the
/// registrar's own node first, each ending in `/p2p/PEER_ID`.
pub fn make(
    ledger: &Ledger,
    data: &Path,
    registrar: &identity::Identity,
    terms: Terms,
    peers: Vec<String>,
    now: i64,
) -> R<(InviteLink, Invitation)> {
    #[cfg(feature = "fault-injection")]
    let now = now
        + std::env::var(FAULT_INVITE_CLOCK_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0);
    let org = ledger.store.org(&registrar.key.public())?;
    if !org.is_some_and(|o| o.has_role(Role::Registrar) && !o.suspended) {
        return Err(CliError::failed(
            "NOT_REGISTRAR",
            format!(
                "{} is not a registrar on this chain, so it cannot invite an org",
                registrar.name
            ),
        ));
    }
    let name = terms.name.trim().to_string();
    check_name(&name).map_err(|m| CliError::input("BAD_NAME", m))?;
    if !(1..=MAX_VALID_HOURS).contains(&terms.valid_hours) {
        return Err(CliError::input(
            "BAD_VALID_HOURS",
            format!("an invitation is good for 1 to {MAX_VALID_HOURS} hours"),
        ));
    }
    let role_list = roles(&terms.roles, &TRADING_ROLES)?;
    for p in &terms.prefixes {
        if !handoff_core::gs1::valid_company_prefix(p) {
            return Err(CliError::input(
                "BAD_PREFIX",
                format!("'{p}' is not a GS1 company prefix (6–12 digits)"),
            ));
        }
    }
    if terms.prefixes.len() > handoff_core::limits::MAX_PREFIXES
        || terms.glns.len() > handoff_core::limits::MAX_GLNS
    {
        return Err(CliError::input(
            "TOO_MANY",
            format!(
                "an org has at most {} prefixes and {} GLNs",
                handoff_core::limits::MAX_PREFIXES,
                handoff_core::limits::MAX_GLNS
            ),
        ));
    }
    for g in &terms.glns {
        handoff_core::gs1::Gs1Key::Gln {
            gln: g.clone(),
            extension: None,
        }
        .validate()
        .map_err(|e| CliError::input(e.code.as_str(), format!("GLN '{g}': {}", e.message)))?;
    }
    if ledger
        .store
        .read(&StateKey::OrgName(name.to_lowercase()))?
        .is_some()
    {
        return Err(CliError::input(
            "ORG_EXISTS",
            format!("an org named '{name}' is already on the chain"),
        ));
    }
    if peers.is_empty() {
        return Err(CliError::failed(
            NOT_NETWORKED,
            "this node is not on a network, so an invitation could name no address to dial: \
             run `handoff node run` on the folder, or give the node's public address with --peer",
        ));
    }
    let mut ticket = [0u8; 32];
    getrandom::fill(&mut ticket)
        .map_err(|e| CliError::Other(anyhow::anyhow!("no randomness: {e}")))?;
    let genesis = ledger.store.genesis()?;
    let link = InviteLink {
        chain: ledger.chain_id(),
        genesis: genesis_hash(&genesis),
        name: name.clone(),
        peers,
        ticket,
    };
    // What is handed out must read back: a peer list over the link's bounds is refused
    // here, not by the joiner.
    let text = link.to_link();
    InviteLink::parse(&text).map_err(|e| CliError::input("BAD_PEER", e.message))?;
    let sha = link.ticket_sha256().to_hex();
    let inv = Invitation {
        ticket_id: sha[..16].to_string(),
        ticket_sha256: sha,
        name,
        roles: role_list.iter().map(|r| r.as_str().to_string()).collect(),
        prefixes: terms.prefixes,
        glns: terms.glns,
        registrar: registrar.name.clone(),
        created_ms: now,
        expires_ms: now + i64::from(terms.valid_hours) * 3_600_000,
        status: Status::Open,
        revoked_ms: None,
        used_ms: None,
        org: None,
        tx: None,
        height: None,
    };
    let _guard = INVITATIONS.lock().unwrap_or_else(|p| p.into_inner());
    let mut file = load(data)?;
    prune(&mut file, now);
    let open = file
        .invitations
        .iter()
        .filter(|i| i.status == Status::Open && i.expires_ms > now)
        .count();
    if open >= MAX_OPEN_INVITATIONS {
        return Err(CliError::input(
            "INVITATIONS_FULL",
            format!(
                "{open} invitations are waiting (at most {MAX_OPEN_INVITATIONS}); wait until \
                 some are used or expire"
            ),
        ));
    }
    file.invitations.push(inv.clone());
    save(data, &file)?;
    Ok((link, inv))
}

/// Where an invitation stands at `now`: `open`, `used`, `expired` or `revoked`.
pub fn status_at(inv: &Invitation, now: i64) -> &'static str {
    match inv.status {
        Status::Used => "used",
        Status::Revoked => "revoked",
        Status::Open if now >= inv.expires_ms => "expired",
        Status::Open => "open",
    }
}

/// The folder's invitations, newest first. A file that does not read is an error.
pub fn list(data: &Path) -> R<Vec<Invitation>> {
    let _guard = INVITATIONS.lock().unwrap_or_else(|p| p.into_inner());
    let mut all = load(data)?.invitations;
    all.sort_by_key(|i| std::cmp::Reverse(i.created_ms));
    Ok(all)
}

/// Revokes the open invitation whose public id is `id` (its ticket's first 16 hex
/// digits): kept in the file as revoked, so a join with its link hears why it is
/// refused. Used, revoked, expired and unknown ids are refused with their codes.
pub fn revoke(data: &Path, id: &str, now: i64) -> R<Invitation> {
    let id = id.trim().to_ascii_lowercase();
    let _guard = INVITATIONS.lock().unwrap_or_else(|p| p.into_inner());
    let mut file = load(data)?;
    let found = (id.len() == 16 && id.bytes().all(|c| c.is_ascii_hexdigit()))
        .then(|| file.invitations.iter().position(|i| i.ticket_id == id))
        .flatten();
    let Some(at) = found else {
        return Err(handoff_api::ApiError::not_found(
            UNKNOWN_INVITATION,
            format!("this node made no invitation '{id}' (see `handoff org invitations`)"),
        )
        .into());
    };
    let inv = &mut file.invitations[at];
    match status_at(inv, now) {
        "used" => {
            return Err(CliError::input(
                INVITATION_USED,
                format!(
                    "invitation {id} has already been used by '{}'; it cannot be revoked",
                    inv.name
                ),
            ));
        }
        "revoked" => {
            return Err(CliError::input(
                INVITATION_REVOKED,
                format!("invitation {id} is already revoked"),
            ));
        }
        "expired" => {
            return Err(CliError::input(
                INVITATION_EXPIRED,
                format!("invitation {id} has expired; no join can use it"),
            ));
        }
        _ => {}
    }
    inv.status = Status::Revoked;
    inv.revoked_ms = Some(now);
    let out = inv.clone();
    save(data, &file)?;
    Ok(out)
}

/// A refused join: its code and message.
#[cfg(feature = "p2p")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

#[cfg(feature = "p2p")]
fn refusal(code: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        code: code.into(),
        message: message.into(),
    }
}

#[cfg(feature = "p2p")]
impl From<CliError> for Refusal {
    fn from(e: CliError) -> Refusal {
        let (code, message) = e.parts();
        Refusal { code, message }
    }
}

/// Redeems an invitation on the registrar's node (see the module doc): answers the
/// admission's transaction id and height, or why not.
#[cfg(feature = "p2p")]
pub fn admit(
    ledger: &Ledger,
    data: &Path,
    ticket: &[u8; 32],
    name: &str,
    org: &PublicKey,
    signature: &[u8; 64],
    now: i64,
) -> Result<(Hash32, u64), Refusal> {
    let sha = sha256(&[ticket]);
    if !handoff_core::crypto::key_is_acceptable(org) {
        return Err(refusal(
            "WEAK_KEY",
            "the new org key is not one honest key generation makes",
        ));
    }
    let msg = handoff_net::join_message(&ledger.chain_id(), &sha, org, name);
    if !handoff_core::crypto::verify(org, &msg, signature) {
        return Err(refusal(
            BAD_JOIN_SIGNATURE,
            "the join request's signature does not verify against the org key it names",
        ));
    }
    // A node that holds no registrar identity admits no one; it says so rather than
    // "unknown ticket".
    let registrars = identity::list(data)
        .map_err(|e| {
            refusal(
                "STORE_FAULT",
                format!("cannot read the node's identities: {e:#}"),
            )
        })?
        .into_iter()
        .filter_map(|id| match ledger.store.org(&id.key.public()) {
            Ok(Some(o)) if o.has_role(Role::Registrar) && !o.suspended => Some(Ok(())),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<()>, _>>()
        .map_err(|e| refusal("STORE_FAULT", format!("cannot read the node's orgs: {e}")))?;
    if registrars.is_empty() {
        return Err(refusal(
            "NOT_REGISTRAR_NODE",
            "this node holds no registrar identity, so it admits no org by invitation;              join through the registrar's node",
        ));
    }
    let sha_hex = sha.to_hex();
    let (at, inv) = {
        let _guard = INVITATIONS.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = load(data).map_err(|e| {
            refusal(
                "INVITATIONS_UNREADABLE",
                format!(
                    "the registrar's node cannot read its invitations: {}",
                    e.parts().1
                ),
            )
        })?;
        let Some(at) = file
            .invitations
            .iter()
            .position(|i| i.ticket_sha256 == sha_hex)
        else {
            return Err(refusal(
                UNKNOWN_TICKET,
                "this invitation is not one this node made (or it was made long ago); ask \
                 the registrar for a new one",
            ));
        };
        let inv = file.invitations[at].clone();
        if inv.status == Status::Used && inv.org.as_deref() == Some(org.to_hex().as_str()) {
            // The same org key again (its signature verified above): the joiner did not
            // hear the answer. It gets the admission again; a join never half happens.
            drop(_guard);
            return readmit(ledger, data, &inv, org);
        }
        if inv.status == Status::Used {
            return Err(refusal(
                TICKET_USED,
                "this invitation has already been used; ask the registrar for a new one",
            ));
        }
        if inv.status == Status::Revoked {
            return Err(refusal(
                TICKET_REVOKED,
                "the registrar revoked this invitation; ask the registrar for a new one",
            ));
        }
        if now >= inv.expires_ms {
            return Err(refusal(
                TICKET_EXPIRED,
                "this invitation has expired; ask the registrar for a new one",
            ));
        }
        if inv.name != name {
            return Err(refusal(
                NAME_MISMATCH,
                format!("this invitation is for '{}', not '{name}'", inv.name),
            ));
        }
        // Used before the org is committed: two joins with one ticket cannot both pass.
        file.invitations[at].status = Status::Used;
        file.invitations[at].used_ms = Some(now);
        file.invitations[at].org = Some(org.to_hex());
        save(data, &file).map_err(|e| {
            refusal(
                "INVITATIONS_UNREADABLE",
                format!(
                    "the registrar's node cannot record the invitation as used: {}",
                    e.parts().1
                ),
            )
        })?;
        (at, inv)
    };
    let _ = at;
    let reopen = |why: Refusal| -> Refusal {
        let _guard = INVITATIONS.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(mut file) = load(data)
            && let Some(i) = file
                .invitations
                .iter_mut()
                .find(|i| i.ticket_sha256 == sha_hex)
        {
            i.status = Status::Open;
            i.used_ms = None;
            i.org = None;
            let _ = save(data, &file);
        }
        why
    };
    let registrar = identity::select(data, Some(&inv.registrar)).map_err(|e| {
        reopen(refusal(
            "NOT_REGISTRAR",
            format!("the identity that invited is gone from the registrar's node: {e:#}"),
        ))
    })?;
    let role_list = roles(&inv.roles, &TRADING_ROLES).map_err(|e| reopen(e.into()))?;
    let payload = Payload::AdmitOrg(AdmitOrg {
        org: *org,
        name: inv.name.clone(),
        prefixes: inv.prefixes.clone(),
        glns: inv.glns.clone(),
        roles: role_list,
    });
    let rc = match crate::api::commit_one(ledger, &registrar, payload) {
        Ok(rc) => rc,
        // The chain said no: the invitation stands for another try.
        Err(e @ (CliError::Rejected(_) | CliError::Input { .. })) => {
            return Err(reopen(e.into()));
        }
        // Not known to be committed or not: the ticket stays used (the registrar sees the
        // org in `org list` if it was).
        Err(e) => return Err(e.into()),
    };
    let height = rc.height.unwrap_or(0);
    let _guard = INVITATIONS.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(mut file) = load(data)
        && let Some(i) = file
            .invitations
            .iter_mut()
            .find(|i| i.ticket_sha256 == sha_hex)
    {
        i.tx = Some(rc.tx.to_hex());
        i.height = rc.height;
        let _ = save(data, &file);
    }
    Ok((rc.tx, height))
}

/// A join repeated with the key a used invitation admitted (or was admitting when its
/// answer was lost): the admission as recorded, else as the chain holds it. An admission
/// not on the chain is not made again here: its transaction may still be on its way, so
/// the joiner is told to try again shortly (`JOIN_PENDING`); a registrar sees it in
/// `org invitations` (used, with no block) and `org list`.
#[cfg(feature = "p2p")]
fn readmit(
    ledger: &Ledger,
    data: &Path,
    inv: &Invitation,
    org: &PublicKey,
) -> Result<(Hash32, u64), Refusal> {
    if let (Some(tx), Some(height)) = (&inv.tx, inv.height) {
        let tx = Hash32::from_hex(tx).ok_or_else(|| {
            refusal(
                "INVITATIONS_UNREADABLE",
                "the registrar's node holds a damaged admission record for this invitation",
            )
        })?;
        return Ok((tx, height));
    }
    fn fault(e: impl std::fmt::Display) -> Refusal {
        refusal(
            "STORE_FAULT",
            format!("the registrar's node cannot read its chain: {e}"),
        )
    }
    let Some(record) = ledger.store.org(org).map_err(fault)? else {
        return Err(refusal(
            JOIN_PENDING,
            "the registrar's node has not seen this org's admission on the chain yet; try              the same join again in a minute",
        ));
    };
    let height = record.admitted_at;
    let block = ledger.store.block(height).map_err(fault)?.ok_or_else(|| {
        refusal(
            "STORE_FAULT",
            format!("the block {height} that admitted this org is missing"),
        )
    })?;
    let mut found = None;
    for bytes in &block.txs {
        let t = handoff_core::tx::SignedTx::decode(bytes).map_err(|r| {
            refusal(
                "STORE_FAULT",
                format!(
                    "a transaction of block {height} does not decode: {}",
                    r.message
                ),
            )
        })?;
        if matches!(&t.body.payload, Payload::AdmitOrg(a) if a.org == *org) {
            found = Some(t.id());
            break;
        }
    }
    let tx = found.ok_or_else(|| {
        refusal(
            "STORE_FAULT",
            format!("block {height} holds no admission of this org"),
        )
    })?;
    let _guard = INVITATIONS.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(mut file) = load(data)
        && let Some(i) = file
            .invitations
            .iter_mut()
            .find(|i| i.ticket_sha256 == inv.ticket_sha256)
    {
        i.tx = Some(tx.to_hex());
        i.height = Some(height);
        let _ = save(data, &file);
    }
    Ok((tx, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> InviteLink {
        InviteLink {
            chain: Hash32([1; 32]),
            genesis: Hash32([2; 32]),
            name: "Harbor Logistics & Sons 港口".into(),
            peers: vec![
                "/ip4/10.0.0.5/tcp/7420/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo".into(),
                "/dns4/registry.example/udp/7420/quic-v1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo".into(),
            ],
            ticket: [0xfb; 32],
        }
    }

    #[test]
    fn a_link_reads_back_as_itself() {
        let l = link();
        let text = l.to_link();
        assert!(text.starts_with("handoff://join?v=1&chain=0101"), "{text}");
        assert_eq!(InviteLink::parse(&text), Ok(l.clone()));
        assert_eq!(InviteLink::parse(&format!("  {text}\n")), Ok(l));
    }

    #[test]
    fn malformed_links_are_refused_with_one_code_and_a_reason() {
        let good = link().to_link();
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "starts with"),
            ("https://example.com/join?v=1".into(), "starts with"),
            (good.replace("v=1", "v=2"), "version '2'"),
            (good.replace("v=1&", ""), "no version"),
            (good.replace("&ticket=", "&ticket=A"), "43 characters"),
            (format!("{good}&v=1"), "twice"),
            (format!("{good}&extra=1"), "unknown parameter"),
            (format!("{good}&oops"), "name=value"),
            (good.replace("chain=01", "chain=zz"), "chain id"),
            (good.replace("genesis=0202", "genesis=02"), "genesis hash"),
            (good.replace("/p2p/12D3", "/p2q/12D3"), "peer id"),
            (
                good.replace("name=Harbor", "name=%zzHarbor"),
                "two hex digits",
            ),
            (good.replace("name=Harbor", "name=%FFHarbor"), "UTF-8"),
            (
                good.replace("name=Harbor", "name=%20Harbor"),
                "spaces around",
            ),
            (
                format!("{good}{}", "&peer=/ip4/1.2.3.4/tcp/1/p2p/x".repeat(8)),
                "more than 8 peers",
            ),
            (
                format!("{good}{}", "x".repeat(MAX_INVITE_LINK_LEN)),
                "at most 4096",
            ),
            (
                good.split("&peer=").next().unwrap_or_default().to_string()
                    + "&ticket="
                    + good.rsplit("&ticket=").next().unwrap_or_default(),
                "no peer",
            ),
        ];
        for (text, why) in cases {
            let e = InviteLink::parse(&text).expect_err(&text);
            assert_eq!(e.code, BAD_INVITE);
            assert!(
                e.message.contains(why),
                "{text}: {} (wanted {why})",
                e.message
            );
        }
        // A ticket with spare bits set is another spelling of a valid one: refused.
        let t = good.rsplit("&ticket=").next().unwrap_or_default();
        let mut odd = t.to_string();
        odd.pop();
        odd.push('9');
        assert!(InviteLink::parse(&good.replace(t, &odd)).is_err());
    }

    proptest::proptest! {
        /// Any text, and any one-byte edit of a good link: never a panic; refused with
        /// `BAD_INVITE` and a message, or accepted and written back as itself.
        #[test]
        fn any_text_is_read_or_refused_never_a_panic(
            text in ".{0,300}",
            at in 0usize..400,
            byte in proptest::prelude::any::<u8>(),
            delete in proptest::prelude::any::<bool>(),
        ) {
            let mut edited = link().to_link().into_bytes();
            let at = at.min(edited.len() - 1);
            if delete { edited.remove(at); } else { edited[at] = byte; }
            let edited = String::from_utf8_lossy(&edited).into_owned();
            for t in [text, edited] {
                match InviteLink::parse(&t) {
                    Ok(l) => proptest::prop_assert_eq!(InviteLink::parse(&l.to_link()), Ok(l.clone())),
                    Err(e) => {
                        proptest::prop_assert_eq!(e.code, BAD_INVITE);
                        proptest::prop_assert!(!e.message.is_empty());
                    }
                }
            }
        }
    }

    /// Writes the `invite_link` fuzz seeds when `HANDOFF_FUZZ_SEEDS` names the seeds
    /// folder.
    #[test]
    fn write_fuzz_seeds() {
        let Some(dir) = std::env::var_os("HANDOFF_FUZZ_SEEDS") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir).join("invite_link");
        std::fs::create_dir_all(&dir).expect("seed dir");
        let good = link().to_link();
        let mut one = link();
        one.peers.truncate(1);
        one.name = "Harbor Logistics".into();
        for (i, s) in [good.clone(), one.to_link(), good.replace("v=1", "v=2")]
            .iter()
            .enumerate()
        {
            std::fs::write(dir.join(format!("link{i}")), s).expect("seed");
        }
    }
}
