//! Phones that sign for their org: pairing tickets, transactions signed elsewhere, and a
//! signer's nonce.
//!
//! **Pairing.** An org signed in on this node asks for a ticket (`pair_ticket`): 128
//! random bits, shown once as a link (`BASE/#pair=TICKET`, a QR code on the desktop).
//! The folder keeps only the ticket's SHA-256, its org identity, its device label and
//! when it expires, in `pairing.json` (owner-only, like the token file). The phone that
//! opens the link generates an ed25519 device key in its browser and redeems the ticket
//! (`pair_redeem`) with the key and a signature by it over [`PAIRING_DOMAIN`] ‖ chain id
//! ‖ ticket (the phone holds the key it names); the node then commits `AuthorizeDevice`
//! for that key, signed by the org that made the ticket. A ticket is good once
//! ([`PAIR_TICKET_USED`] after), for [`TICKET_LIFETIME_MS`] ([`PAIR_TICKET_EXPIRED`]),
//! at most [`MAX_OPEN_TICKETS`] wait at once, and one this folder never made is
//! [`PAIR_TICKET_UNKNOWN`]; all three are 403. A ticket whose authorization the ledger
//! refused stays unused. Used and expired tickets are remembered for
//! [`REMEMBER_TICKET_MS`] so that a late phone hears why rather than "unknown".
//!
//! **Submitted transactions.** A paired phone signs its own transactions and sends the
//! wire bytes in hex (`tx_submit`, no token: the signature is the authority). They are
//! decoded by [`decode_submitted`] (size first, then hex, then the ledger's own decoder)
//! and committed like any other: the ledger checks the signature, the device's standing
//! and the nonce, and a refusal carries its code. A transaction already in a block
//! (a phone that lost the first answer) answers that commit again.

use crate::api::R;
use crate::error::CliError;
use crate::identity;
use crate::ledger::{Ledger, committed_outcome};
use anyhow::{Context, anyhow};
use handoff_api::{
    PairOrg, PairRedeemRequest, PairRedeemResponse, PairTicketRequest, PairTicketResponse,
    SignerNonceResponse, TxSubmitResponse,
};
use handoff_core::limits::MAX_TX_BYTES;
use handoff_core::rejection::{Code, Rejection};
use handoff_core::state::StateReadExt;
use handoff_core::tx::{Payload, SignedTx};
use handoff_core::types::{PublicKey, scope, sha256};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How long a pairing ticket is good for: ten minutes.
pub const TICKET_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// How many unused, unexpired tickets may wait at once.
pub const MAX_OPEN_TICKETS: usize = 16;
/// How long used and expired tickets are remembered (to say why they are refused).
pub const REMEMBER_TICKET_MS: i64 = 24 * 60 * 60 * 1000;
/// The most tickets the file keeps, whatever their state (the oldest go first).
pub const MAX_KEPT_TICKETS: usize = 256;
/// What a phone's device key signs, before the chain id and the ticket, to redeem it.
pub const PAIRING_DOMAIN: &[u8] = b"handoff pairing v1";
/// The longest device label a ticket carries (the ledger's own bound is larger).
pub const MAX_PHONE_LABEL: usize = 64;

/// A ticket this folder never made (or forgot), or text that is no ticket.
pub const PAIR_TICKET_UNKNOWN: &str = "PAIR_TICKET_UNKNOWN";
/// A ticket past its lifetime.
pub const PAIR_TICKET_EXPIRED: &str = "PAIR_TICKET_EXPIRED";
/// A ticket that already paired a phone.
pub const PAIR_TICKET_USED: &str = "PAIR_TICKET_USED";
/// Too many tickets wait unused.
pub const PAIR_TICKETS_FULL: &str = "PAIR_TICKETS_FULL";
/// The redeeming signature does not verify against the device key.
pub const PAIR_PROOF_INVALID: &str = "PAIR_PROOF_INVALID";

/// One ticket as the folder keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct TicketEntry {
    /// SHA-256 of the ticket, hex.
    sha256: String,
    /// The identity (a name of the folder's identities) that authorizes the phone.
    identity: String,
    /// The device label.
    label: String,
    created_ms: i64,
    expires_ms: i64,
    /// When it paired a phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    used_ms: Option<i64>,
    /// The device key it authorized, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TicketFile {
    tickets: Vec<TicketEntry>,
}

/// Where a folder keeps its pairing tickets.
pub fn tickets_file(data: &Path) -> PathBuf {
    data.join("pairing.json")
}

/// One reader-writer of ticket files at a time in this process (the node's HTTP server
/// answers on several threads; a ticket must not pair two phones).
static TICKETS: Mutex<()> = Mutex::new(());

/// The tickets of `data`. No file: none. A file that does not read is an error, never
/// "no tickets".
fn load(data: &Path) -> R<TicketFile> {
    let path = tickets_file(data);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a pairing ticket file", path.display()))
            .map_err(CliError::Other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TicketFile::default()),
        Err(e) => Err(CliError::Other(
            anyhow::Error::from(e).context(format!("cannot read {}", path.display())),
        )),
    }
}

fn save(data: &Path, file: &TicketFile) -> R<()> {
    let path = tickets_file(data);
    let tmp = path.with_extension("json.tmp");
    let write = || -> anyhow::Result<()> {
        std::fs::write(&tmp, serde_json::to_vec_pretty(file)?)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(())
    };
    write()
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(CliError::Other)
}

/// Forgets what need not be remembered: tickets used or expired longer ago than
/// [`REMEMBER_TICKET_MS`], then the oldest beyond [`MAX_KEPT_TICKETS`].
fn prune(file: &mut TicketFile, now: i64) {
    file.tickets.retain(|t| {
        let ended = t.used_ms.unwrap_or(t.expires_ms).min(t.expires_ms);
        now.saturating_sub(ended) < REMEMBER_TICKET_MS
    });
    file.tickets.sort_by_key(|t| t.created_ms);
    let extra = file.tickets.len().saturating_sub(MAX_KEPT_TICKETS);
    file.tickets = file.tickets.split_off(extra);
}

fn digest(ticket: &str) -> String {
    sha256(&[ticket.as_bytes()]).to_hex()
}

fn refused(code: &str, message: impl Into<String>) -> CliError {
    CliError::failed(code, message)
}

/// Makes a ticket for `signer`'s org at `now` (see the module doc).
pub fn make_ticket(
    ledger: &Ledger,
    data: &Path,
    signer: &identity::Identity,
    req: PairTicketRequest,
    now: i64,
) -> R<PairTicketResponse> {
    let org = signer.key.public();
    if ledger.store.org(&org)?.is_none() {
        return Err(CliError::input(
            "NOT_AN_ORG",
            format!(
                "{} is not an org on this chain, so it cannot pair a phone",
                signer.name
            ),
        ));
    }
    let label = req.label.trim().to_string();
    if label.is_empty() || label.len() > MAX_PHONE_LABEL || label.chars().any(char::is_control) {
        return Err(CliError::input(
            "BAD_LABEL",
            format!("a phone's label is 1 to {MAX_PHONE_LABEL} bytes of text"),
        ));
    }
    let base = match req.base.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(b) => Some(pairing_base(b)?),
    };
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).map_err(|e| CliError::Other(anyhow!("no randomness: {e}")))?;
    let ticket = hex::encode(secret);
    let _guard = TICKETS.lock().unwrap_or_else(|p| p.into_inner());
    let mut file = load(data)?;
    prune(&mut file, now);
    let open = file
        .tickets
        .iter()
        .filter(|t| t.used_ms.is_none() && t.expires_ms > now)
        .count();
    if open >= MAX_OPEN_TICKETS {
        return Err(CliError::input(
            PAIR_TICKETS_FULL,
            format!(
                "{open} pairing tickets are waiting unused (at most {MAX_OPEN_TICKETS}); \
                 use one or wait until they expire"
            ),
        ));
    }
    let expires_ms = now + TICKET_LIFETIME_MS;
    file.tickets.push(TicketEntry {
        sha256: digest(&ticket),
        identity: signer.name.clone(),
        label: label.clone(),
        created_ms: now,
        expires_ms,
        used_ms: None,
        device: None,
    });
    save(data, &file)?;
    let (url, qr_svg) = match base {
        Some(b) => {
            let url = format!("{b}/#pair={ticket}");
            let svg =
                crate::qr::encode_svg(&url).map_err(|e| CliError::input(e.code, e.message))?;
            (Some(url), Some(svg))
        }
        None => (None, None),
    };
    Ok(PairTicketResponse {
        ticket,
        org: org.to_hex(),
        name: signer.name.clone(),
        label,
        expires_ms,
        url,
        qr_svg,
    })
}

/// The base of a pairing link: `http://` or `https://`, a host, an optional port, no
/// path, query or fragment (so the ticket lands in the fragment of the node's own page).
fn pairing_base(b: &str) -> R<String> {
    let bad = || {
        CliError::input(
            "BAD_BASE",
            format!("'{b}' is not an address phones can open (http://HOST:PORT)"),
        )
    };
    let b = b.trim_end_matches('/');
    let rest = b
        .strip_prefix("http://")
        .or_else(|| b.strip_prefix("https://"))
        .ok_or_else(bad)?;
    if rest.is_empty()
        || b.len() > 256
        || !rest
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b".-:[]".contains(&c))
    {
        return Err(bad());
    }
    Ok(b.to_string())
}

/// The message a device key signs to redeem `ticket` on the chain `chain_id`.
pub fn pairing_message(chain_id: &[u8; 32], ticket: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(PAIRING_DOMAIN.len() + 32 + ticket.len());
    m.extend_from_slice(PAIRING_DOMAIN);
    m.extend_from_slice(chain_id);
    m.extend_from_slice(ticket.as_bytes());
    m
}

/// Redeems a ticket for a device key at `now`: checks the ticket and the key's
/// signature, commits `AuthorizeDevice` as the ticket's org, and marks the ticket used.
pub fn redeem(
    ledger: &Ledger,
    data: &Path,
    req: PairRedeemRequest,
    now: i64,
) -> R<PairRedeemResponse> {
    let ticket = req.ticket.trim().to_lowercase();
    let device = PublicKey::from_hex(req.device.trim())
        .ok_or_else(|| CliError::input("BAD_KEY", "a device key is 64 hex digits"))?;
    let signature: [u8; 64] = hex::decode(req.signature.trim())
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| CliError::input("BAD_SIGNATURE_HEX", "a signature is 128 hex digits"))?;
    let chain_id = ledger.chain_id();
    let unknown = || {
        refused(
            PAIR_TICKET_UNKNOWN,
            "this pairing code is not one this node made (or it was made long ago); make a \
             new one on the desktop",
        )
    };
    if ticket.len() != 32 || !ticket.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    let _guard = TICKETS.lock().unwrap_or_else(|p| p.into_inner());
    let mut file = load(data)?;
    let sha = digest(&ticket);
    let Some(at) = file.tickets.iter().position(|t| t.sha256 == sha) else {
        return Err(unknown());
    };
    let entry = file.tickets[at].clone();
    if entry.used_ms.is_some() {
        return Err(refused(
            PAIR_TICKET_USED,
            "this pairing code has already paired a phone; make a new one on the desktop",
        ));
    }
    if now >= entry.expires_ms {
        return Err(refused(
            PAIR_TICKET_EXPIRED,
            format!(
                "this pairing code expired {} minutes after it was made; make a new one on \
                 the desktop",
                TICKET_LIFETIME_MS / 60_000
            ),
        ));
    }
    if !handoff_core::crypto::verify(&device, &pairing_message(&chain_id.0, &ticket), &signature) {
        return Err(refused(
            PAIR_PROOF_INVALID,
            "the phone's signature does not verify against the device key it names",
        ));
    }
    let signer = identity::select(data, Some(&entry.identity))
        .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))?;
    let rc = crate::api::commit_one(
        ledger,
        &signer,
        Payload::AuthorizeDevice {
            device,
            label: entry.label.clone(),
            scopes: scope::ALL,
            expires_at_ms: None,
        },
    )?;
    file.tickets[at].used_ms = Some(now);
    file.tickets[at].device = Some(device.to_hex());
    save(data, &file)?;
    let mut orgs = Vec::new();
    for k in ledger.store.org_keys()? {
        if let Some(o) = ledger.store.org(&k)?
            && !o.suspended
        {
            orgs.push(PairOrg {
                name: o.name,
                key: k.to_hex(),
            });
        }
    }
    Ok(PairRedeemResponse {
        org: signer.key.public().to_hex(),
        name: signer.name,
        device: device.to_hex(),
        label: entry.label,
        chain_id: chain_id.to_hex(),
        tx: rc.tx.to_hex(),
        height: rc.height,
        next_nonce: ledger.store.next_nonce(&device)?,
        orgs,
    })
}

/// Decodes a transaction submitted in hex: its length first (at most twice
/// `MAX_TX_BYTES` digits), then the digits, then the ledger's own decoder. Never panics
/// (a fuzz target holds it to that).
pub fn decode_submitted(text: &str) -> Result<SignedTx, Rejection> {
    let text = text.trim();
    if text.len() > 2 * MAX_TX_BYTES {
        return Err(Rejection::new(
            Code::TooLarge,
            format!(
                "the transaction is {} hex digits; at most {} ({MAX_TX_BYTES} bytes) allowed",
                text.len(),
                2 * MAX_TX_BYTES
            ),
        ));
    }
    let bytes = hex::decode(text)
        .map_err(|e| Rejection::new(Code::Malformed, format!("the transaction is not hex: {e}")))?;
    SignedTx::decode(&bytes)
}

/// Commits a transaction signed elsewhere; one already in a block answers that block
/// (or its recorded rejection) again.
pub fn submit(ledger: &Ledger, signed_tx: &str) -> R<TxSubmitResponse> {
    let tx =
        decode_submitted(signed_tx).map_err(|r| CliError::input(r.code.as_str(), r.message))?;
    let answer = |height: u64, already: bool| TxSubmitResponse {
        tx: tx.id().to_hex(),
        height,
        signer: tx.body.signer.to_hex(),
        nonce: tx.body.nonce,
        already,
    };
    if let Some((height, outcome)) =
        committed_outcome(&ledger.store, &handoff_store::TxMeta::of(&tx))?
    {
        return match outcome.code {
            None => Ok(answer(height, true)),
            Some(code) => {
                let c = Code::ALL
                    .iter()
                    .copied()
                    .find(|c| c.as_str() == code)
                    .unwrap_or(Code::Malformed);
                Err(CliError::Rejected(Rejection::new(
                    c,
                    outcome.message.unwrap_or(code),
                )))
            }
        };
    }
    // A phone sends one transaction at a time, the next once the previous is final, so a
    // nonce ahead of the chain is refused at once rather than held until the gap fills
    // (a networked node's pool would hold it until the request timed out).
    let next = ledger.store.next_nonce(&tx.body.signer)?;
    if tx.body.nonce > next {
        return Err(CliError::Rejected(Rejection::new(
            Code::NonceGap,
            format!("nonce {} skips ahead; next is {next}", tx.body.nonce),
        )));
    }
    let rc = crate::api::commit_signed(ledger, tx.clone())?;
    let height = rc.height.ok_or_else(|| {
        CliError::Other(anyhow!("the ledger answered a commit without its block"))
    })?;
    Ok(answer(height, false))
}

/// A signer's next nonce and standing.
pub fn signer_nonce(ledger: &Ledger, key: &str) -> R<SignerNonceResponse> {
    let k = PublicKey::from_hex(key.trim())
        .ok_or_else(|| CliError::input("BAD_KEY", "a key is 64 hex digits"))?;
    let next_nonce = ledger.store.next_nonce(&k)?;
    let (standing, org, label) = if ledger.store.org(&k)?.is_some() {
        ("org", None, None)
    } else if let Some(d) = ledger.store.device(&k)? {
        let standing = if d.revoked_at.is_some() {
            "revoked_device"
        } else {
            "device"
        };
        (standing, Some(d.org.to_hex()), Some(d.label))
    } else {
        ("unknown", None, None)
    };
    Ok(SignerNonceResponse {
        key: k.to_hex(),
        next_nonce,
        standing: standing.to_string(),
        org,
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::NodeApi;
    use crate::folder::{NewFolder, init};
    use crate::ledger::now_ms;
    use handoff_api::{Caller, OrgAddRequest, Request, Response};
    use handoff_core::crypto::Keypair;
    use handoff_core::tx::{TX_VERSION, TxBody};

    /// A folder with Acme Farms (prefix 0614141) and Corner Shop, and its ledger.
    fn chain() -> (tempfile::TempDir, Ledger, identity::Identity) {
        let dir = tempfile::tempdir().expect("tempdir");
        init(
            dir.path(),
            NewFolder {
                prefixes: vec!["0614141".into()],
                ..NewFolder::named("Acme Farms")
            },
        )
        .expect("init");
        let ledger = Ledger::open(dir.path()).expect("open");
        let api = NodeApi::ledger(&ledger);
        api.run(
            &Caller::local(None),
            Request::OrgAdd(OrgAddRequest {
                name: "Corner Shop".into(),
                prefixes: vec![],
                roles: vec!["retailer".into()],
                glns: vec![],
            }),
        )
        .expect("org add");
        let acme = identity::select(dir.path(), Some("Acme Farms")).expect("acme");
        (dir, ledger, acme)
    }

    fn ticket(l: &Ledger, d: &Path, acme: &identity::Identity, now: i64) -> PairTicketResponse {
        make_ticket(
            l,
            d,
            acme,
            PairTicketRequest {
                base: Some("http://192.168.1.20:8080".into()),
                label: "phone".into(),
            },
            now,
        )
        .expect("ticket")
    }

    fn redeem_with(
        l: &Ledger,
        d: &Path,
        t: &str,
        key: &Keypair,
        now: i64,
    ) -> R<PairRedeemResponse> {
        let sig = key.sign_raw(&pairing_message(&l.chain_id().0, t));
        redeem(
            l,
            d,
            PairRedeemRequest {
                ticket: t.into(),
                device: key.public().to_hex(),
                signature: hex::encode(sig),
            },
            now,
        )
    }

    fn code_of(e: CliError) -> String {
        handoff_api::ApiError::from(e).code
    }

    fn kind_of(e: CliError) -> (String, u16) {
        let e = handoff_api::ApiError::from(e);
        (e.code.clone(), e.http_status())
    }

    #[test]
    fn a_ticket_pairs_one_phone_once_and_only_before_it_expires() {
        let (dir, l, acme) = chain();
        let d = dir.path();
        let now = now_ms();
        let t = ticket(&l, d, &acme, now);
        assert_eq!(
            t.url.as_deref(),
            Some(&*format!("http://192.168.1.20:8080/#pair={}", t.ticket))
        );
        assert!(t.qr_svg.as_deref().is_some_and(|s| s.contains("<svg")));
        assert_eq!(t.expires_ms, now + TICKET_LIFETIME_MS);
        // The folder keeps the ticket's digest, never the ticket.
        let kept = std::fs::read_to_string(tickets_file(d)).expect("file");
        assert!(!kept.contains(&t.ticket));

        let phone = Keypair::from_secret([7; 32]);
        // A signature by another key proves nothing and leaves the ticket unused.
        let other = Keypair::from_secret([8; 32]);
        let forged = redeem(
            &l,
            d,
            PairRedeemRequest {
                ticket: t.ticket.clone(),
                device: phone.public().to_hex(),
                signature: hex::encode(
                    other.sign_raw(&pairing_message(&l.chain_id().0, &t.ticket)),
                ),
            },
            now + 1,
        )
        .expect_err("forged");
        assert_eq!(kind_of(forged), (PAIR_PROOF_INVALID.to_string(), 403));

        let paired = redeem_with(&l, d, &t.ticket, &phone, now + 2).expect("redeem");
        assert_eq!(paired.org, acme.key.public().to_hex());
        assert_eq!(paired.next_nonce, 0);
        assert!(paired.height.is_some());
        assert!(paired.orgs.iter().any(|o| o.name == "Corner Shop"));
        let standing = signer_nonce(&l, &phone.public().to_hex()).expect("standing");
        assert_eq!(standing.standing, "device");
        assert_eq!(standing.org.as_deref(), Some(&*acme.key.public().to_hex()));

        // Once only: a second phone with the same ticket is refused and not authorized.
        let second = Keypair::from_secret([9; 32]);
        let again = redeem_with(&l, d, &t.ticket, &second, now + 3).expect_err("used");
        assert_eq!(kind_of(again), (PAIR_TICKET_USED.to_string(), 403));
        assert_eq!(
            signer_nonce(&l, &second.public().to_hex())
                .expect("s")
                .standing,
            "unknown"
        );

        // Expired: one ms past its lifetime.
        let late = ticket(&l, d, &acme, now);
        let e = redeem_with(&l, d, &late.ticket, &second, now + TICKET_LIFETIME_MS)
            .expect_err("expired");
        assert_eq!(kind_of(e), (PAIR_TICKET_EXPIRED.to_string(), 403));
        // Unknown: never made here, or not a ticket at all.
        for t in ["0".repeat(32), "not a ticket".into(), String::new()] {
            let e = redeem_with(&l, d, &t, &second, now).expect_err("unknown");
            assert_eq!(kind_of(e), (PAIR_TICKET_UNKNOWN.to_string(), 403));
        }
    }

    #[test]
    fn open_tickets_are_bounded_and_expired_ones_make_room() {
        let (dir, l, acme) = chain();
        let d = dir.path();
        let now = now_ms();
        for _ in 0..MAX_OPEN_TICKETS {
            ticket(&l, d, &acme, now);
        }
        let full = make_ticket(
            &l,
            d,
            &acme,
            PairTicketRequest {
                base: None,
                label: "phone".into(),
            },
            now,
        )
        .expect_err("full");
        assert_eq!(code_of(full), PAIR_TICKETS_FULL);
        // Once they expire, a new one may be made (and has no link without a base).
        let later = make_ticket(
            &l,
            d,
            &acme,
            PairTicketRequest {
                base: None,
                label: "phone".into(),
            },
            now + TICKET_LIFETIME_MS,
        )
        .expect("room again");
        assert_eq!((later.url, later.qr_svg), (None, None));
    }

    #[test]
    fn a_paired_phone_signs_for_its_org_and_bad_submissions_are_refused_with_codes() {
        let (dir, l, acme) = chain();
        let d = dir.path();
        let now = now_ms();
        let t = ticket(&l, d, &acme, now);
        let phone = Keypair::from_secret([7; 32]);
        redeem_with(&l, d, &t.ticket, &phone, now).expect("redeem");
        let gtin = format!(
            "0061414100001{}",
            handoff_core::gs1::check_digit("0061414100001").expect("digit")
        );
        let gtin2 = format!(
            "0061414100002{}",
            handoff_core::gs1::check_digit("0061414100002").expect("digit")
        );
        let signed_for = |key: &Keypair, nonce: u64, gtin: &str, name: &str| {
            key.sign_tx(TxBody {
                version: TX_VERSION,
                chain_id: l.chain_id(),
                signer: key.public(),
                nonce,
                event_time_ms: now_ms(),
                payload: Payload::DefineProduct {
                    gtin: gtin.to_string(),
                    name: name.into(),
                    description: String::new(),
                    attributes: vec![],
                    image_hash: None,
                },
            })
            .expect("sign")
        };
        let signed = |key: &Keypair, nonce: u64, name: &str| signed_for(key, nonce, &gtin, name);
        let submit_hex = |tx: &SignedTx| submit(&l, &hex::encode(tx.encode()));
        // The phone's transaction commits, for its org.
        let first = signed(&phone, 0, "Arabica 1 kg");
        let ok = submit_hex(&first).expect("commits");
        assert!(!ok.already);
        assert_eq!(ok.nonce, 0);
        assert_eq!(
            l.store.product(&gtin).expect("read").map(|p| p.name),
            Some("Arabica 1 kg".to_string())
        );
        // Sent again (the first answer lost): the same commit, not a refusal.
        let again = submit_hex(&first).expect("already");
        assert_eq!((again.already, again.height), (true, ok.height));
        // A reused nonce, a nonce that skips ahead: the ledger's codes, 422.
        let reused = submit_hex(&signed(&phone, 0, "Other")).expect_err("reused");
        assert_eq!(kind_of(reused), ("NONCE_REUSED".to_string(), 422));
        let gap = submit_hex(&signed(&phone, 5, "Other")).expect_err("gap");
        assert_eq!(kind_of(gap), ("NONCE_GAP".to_string(), 422));
        // A signature that does not verify.
        let mut bytes = signed(&phone, 1, "Other").encode();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let bad = submit(&l, &hex::encode(&bytes)).expect_err("bad signature");
        assert_eq!(kind_of(bad), ("BAD_SIGNATURE".to_string(), 422));
        // A key that is neither an org nor a device.
        let stranger = Keypair::from_secret([3; 32]);
        let unknown = submit_hex(&signed(&stranger, 0, "Other")).expect_err("stranger");
        assert_eq!(kind_of(unknown), ("UNKNOWN_SIGNER".to_string(), 422));
        // Bytes that are no transaction, and too many of them: bad input, 400.
        let short = submit(&l, "00ff").expect_err("malformed");
        assert_eq!(kind_of(short), ("MALFORMED".to_string(), 400));
        let huge = submit(&l, &"00".repeat(MAX_TX_BYTES + 1)).expect_err("too large");
        assert_eq!(kind_of(huge), ("TOO_LARGE".to_string(), 400));
        // The API refuses a field over its bound before the node reads it.
        let api = NodeApi::ledger(&l);
        let over = api
            .run(
                &Caller::anonymous(),
                Request::TxSubmit(handoff_api::TxSubmitRequest {
                    signed_tx: "0".repeat(handoff_api::limits::MAX_SIGNED_TX_HEX + 1),
                }),
            )
            .expect_err("over the bound");
        assert_eq!(code_of(over), handoff_api::limits::REQUEST_TOO_LARGE);
        // Without a token: a phone's submission is heard, a ticket is not made.
        let next = signed_for(&phone, 1, &gtin2, "Robusta 1 kg");
        let heard = api
            .run(
                &Caller::anonymous(),
                Request::TxSubmit(handoff_api::TxSubmitRequest {
                    signed_tx: hex::encode(next.encode()),
                }),
            )
            .expect("anonymous submit");
        assert!(matches!(heard, Response::TxSubmit(_)));
        let refused = api
            .run(
                &Caller::anonymous(),
                Request::PairTicket(PairTicketRequest {
                    base: None,
                    label: "phone".into(),
                }),
            )
            .expect_err("needs a token");
        assert_eq!(code_of(refused), "UNAUTHORIZED");
        // A revoked phone's transactions are refused.
        crate::api::commit_one(
            &l,
            &acme,
            Payload::RevokeDevice {
                device: phone.public(),
                reason: "lost".into(),
            },
        )
        .expect("revoke");
        assert_eq!(
            signer_nonce(&l, &phone.public().to_hex())
                .expect("s")
                .standing,
            "revoked_device"
        );
        let revoked = submit_hex(&signed(&phone, 2, "Other")).expect_err("revoked");
        assert_eq!(kind_of(revoked), ("DEVICE_REVOKED".to_string(), 422));
    }

    #[test]
    fn submitted_hex_is_bounded_before_it_is_read() {
        let long = "00".repeat(MAX_TX_BYTES + 1);
        assert_eq!(
            decode_submitted(&long).map_err(|r| r.code),
            Err(Code::TooLarge)
        );
        assert_eq!(
            decode_submitted("zz").map_err(|r| r.code),
            Err(Code::Malformed)
        );
        assert_eq!(
            decode_submitted("0").map_err(|r| r.code),
            Err(Code::Malformed)
        );
        assert_eq!(
            decode_submitted("").map_err(|r| r.code),
            Err(Code::Malformed)
        );
        // The API's own bound on the field is the same number of digits.
        assert_eq!(handoff_api::limits::MAX_SIGNED_TX_HEX, 2 * MAX_TX_BYTES);
    }

    #[test]
    fn pairing_links_point_at_an_address_only() {
        assert_eq!(
            pairing_base("http://192.168.1.20:8080/").expect("ok"),
            "http://192.168.1.20:8080"
        );
        assert!(pairing_base("https://node.example.com").is_ok());
        for bad in [
            "ftp://x",
            "http://",
            "http://a/b",
            "http://a?x",
            "javascript:x",
            "http://a#b",
        ] {
            assert!(pairing_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pruning_forgets_old_tickets_and_keeps_the_file_bounded() {
        let t = |created: i64, used: Option<i64>| TicketEntry {
            sha256: format!("{created}"),
            identity: "a".into(),
            label: "phone".into(),
            created_ms: created,
            expires_ms: created + TICKET_LIFETIME_MS,
            used_ms: used,
            device: None,
        };
        let now = 10 * REMEMBER_TICKET_MS;
        let mut f = TicketFile {
            tickets: vec![
                t(0, None),
                t(now - 1000, None),
                t(
                    now - REMEMBER_TICKET_MS - 10,
                    Some(now - REMEMBER_TICKET_MS - 5),
                ),
                t(now - REMEMBER_TICKET_MS, Some(now - REMEMBER_TICKET_MS + 1)),
            ],
        };
        prune(&mut f, now);
        // The first expired and the third was used more than a day ago; the fourth was
        // used a day ago less a millisecond, and the second is open.
        let kept: Vec<i64> = f.tickets.iter().map(|t| t.created_ms).collect();
        assert_eq!(kept, vec![now - REMEMBER_TICKET_MS, now - 1000]);
        let mut f = TicketFile {
            tickets: (0..MAX_KEPT_TICKETS as i64 + 10)
                .map(|i| t(now - i, None))
                .collect(),
        };
        prune(&mut f, now);
        assert_eq!(f.tickets.len(), MAX_KEPT_TICKETS);
        assert!(
            f.tickets
                .iter()
                .all(|x| x.created_ms > now - MAX_KEPT_TICKETS as i64 - 1)
        );
    }
}
