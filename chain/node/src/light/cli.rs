//! `handoff light …`: the command line, and the commands a running light node serves
//! (parsed by the same code whether typed, forwarded to `light run` or called by a
//! [`super::LightSession`]).

use super::daemon::{forward_to_daemon, run_daemon};
use super::node::{ProvenState, Running};
use super::session::show_oneshot;
use super::{LightStore, OutboxEntry, OutboxStatus, store_dir};
use crate::cli::{CliError, Output};
use crate::identity;
use crate::ledger::now_ms;
use anyhow::{Context, anyhow};
use clap::{Args, Parser, Subcommand};
use handoff_core::block::Genesis;
use handoff_core::state::{StateKey, StateReadExt};
use handoff_core::tx::{AcceptHandoff, Commission, Payload, ProposeHandoff, Transfer};
use handoff_core::types::{Hash32, PublicKey};
use handoff_net::Multiaddr;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

type R<T> = Result<T, CliError>;

/// The JSON row of `light outbox` for one entry.
pub fn outbox_json(e: &OutboxEntry) -> Value {
    let (height, index, code, message) = match &e.status {
        OutboxStatus::Committed { height, index } => (Some(*height), Some(*index), None, None),
        OutboxStatus::Rejected {
            code,
            message,
            height,
        } => (*height, None, Some(code.clone()), Some(message.clone())),
        _ => (None, None, None, None),
    };
    let (kind, items, handoff) = e.what();
    json!({"seq": e.seq, "tx": e.id.to_hex(), "nonce": e.nonce,
           "status": e.status.name(), "height": height, "index": index,
           "code": code, "message": message, "kind": kind, "items": items,
           "handoff": handoff})
}

/// `handoff light …`
#[derive(Subcommand, Debug)]
pub enum LightCmd {
    /// New light folder trusting a genesis (from `handoff genesis` on a full node), with
    /// an org identity copied from a full node's folder.
    Init {
        /// The genesis, hex of its encoding.
        #[arg(long)]
        genesis: String,
        /// A full node's data folder whose `keys/` holds the identity.
        #[arg(long = "org-key-from", value_name = "DIR")]
        org_key_from: PathBuf,
    },
    /// Commission items: signed now, queued in the outbox (works offline).
    Commission {
        /// Item scans (one item each).
        #[arg(required = true)]
        scans: Vec<String>,
    },
    /// Offer items to another org (custody): signed now, queued in the outbox.
    Propose {
        /// The recipient org's public key (hex).
        #[arg(long)]
        to: String,
        /// Transfer ownership with custody.
        #[arg(long)]
        ownership: bool,
        /// What.
        #[arg(required = true)]
        scans: Vec<String>,
    },
    /// Accept an offer, naming what is missing or damaged: signed now, queued in the
    /// outbox (works offline).
    Accept {
        /// The handoff id (64 hex digits: a light node has no index to resolve a prefix).
        id: String,
        /// Did not arrive (repeatable).
        #[arg(long = "missing")]
        missing: Vec<String>,
        /// Arrived damaged (repeatable).
        #[arg(long = "damaged")]
        damaged: Vec<String>,
    },
    /// Run the light node until stopped: follows headers, submits the outbox. Prints one
    /// JSON line once it is up.
    Run(LightRunArgs),
    /// The outbox, in order, with each entry's status.
    Outbox,
    /// An item's record, read with a Merkle proof verified against a certified header
    /// (through the running light node, or a one-shot session with `--peer`).
    Show {
        /// The scan.
        scan: String,
        /// A peer for a one-shot session when no light node runs on the folder.
        #[arg(long)]
        peer: Vec<String>,
    },
}

/// `handoff light run` options.
#[derive(Args, Debug)]
pub struct LightRunArgs {
    /// A full node to dial and keep dialing (repeatable).
    #[arg(long)]
    pub peer: Vec<String>,
    /// Do not look for peers on the local network (mDNS).
    #[arg(long)]
    pub no_mdns: bool,
    /// Submitted entries waiting for their block at once, at most.
    #[arg(long, default_value_t = 256)]
    pub max_inflight: usize,
}

/// The same global options as `handoff`, for parsing a forwarded light command.
#[derive(Parser, Debug)]
#[command(name = "handoff")]
struct Forwarded {
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[arg(long = "as", global = true)]
    as_: Option<String>,
    #[arg(long, global = true)]
    json: bool,
    #[arg(long, global = true)]
    node: Option<String>,
    #[arg(long, global = true)]
    token: Option<String>,
    #[command(subcommand)]
    cmd: ForwardedCmd,
}

#[derive(Subcommand, Debug)]
enum ForwardedCmd {
    #[command(subcommand)]
    Light(LightCmd),
}

pub(super) fn out(json: Value, text: impl Into<String>) -> R<Output> {
    Ok(Output {
        json,
        text: text.into(),
    })
}

pub(super) fn signer_of(data: &Path, me: Option<&str>) -> R<identity::Identity> {
    identity::select(data, me).map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))
}

pub(super) fn parse_addrs(list: &[String]) -> R<Vec<Multiaddr>> {
    list.iter()
        .map(|a| {
            a.parse::<Multiaddr>().map_err(|e| {
                CliError::input("BAD_ADDRESS", format!("peer '{a}' is not a multiaddr: {e}"))
            })
        })
        .collect()
}

/// Runs `handoff light …` (`args`: the whole command line, for forwarding to a running
/// light node).
pub fn run(data: &Path, me: Option<&str>, cmd: LightCmd, args: &[String]) -> R<Output> {
    match cmd {
        LightCmd::Init {
            genesis,
            org_key_from,
        } => init(data, me, &genesis, &org_key_from),
        LightCmd::Run(a) => run_daemon(data, me, a),
        cmd => {
            if let Some(done) = forward_to_daemon(data, args) {
                return done;
            }
            if let LightCmd::Show { scan, peer } = &cmd
                && !peer.is_empty()
            {
                return show_oneshot(data, scan, peer);
            }
            let store = LightStore::open(data)?;
            local(&store, data, me, None, cmd)
        }
    }
}

/// Decodes a genesis as `handoff genesis` prints it (hex of its encoding).
pub fn parse_genesis(genesis_hex: &str) -> R<Genesis> {
    let bytes = hex::decode(genesis_hex.trim())
        .map_err(|_| CliError::input("BAD_GENESIS", "the genesis is not hex"))?;
    borsh::from_slice(&bytes)
        .map_err(|_| CliError::input("BAD_GENESIS", "the genesis does not decode"))
}

fn init(data: &Path, me: Option<&str>, genesis_hex: &str, from: &Path) -> R<Output> {
    let genesis = parse_genesis(genesis_hex)?;
    if store_dir(data).exists() {
        return Err(CliError::input(
            "ALREADY_INITIALIZED",
            format!("{} already holds a light node", data.display()),
        ));
    }
    let id = identity::select(from, me)
        .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))?;
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    if identity::select(data, Some(&id.name)).is_err() {
        identity::save(data, &id.name, &id.key, now_ms())?;
    }
    let store = LightStore::create(data, &genesis)?;
    let chain_id = store.chain_id()?;
    // The identity may have signed already: its next nonce comes from the folder it was
    // copied from (through its running node, or its store), so scans queued offline
    // right after this carry the right nonces.
    let learned = match crate::gateway::running_node(from) {
        Some(node) => node
            .call_as(Some(&id.name), &handoff_api::OrgNonceRequest {})
            .ok()
            .map(|r| r.next_nonce),
        None => crate::ledger::Ledger::open(from)
            .ok()
            // Unreadable: left unknown (read with a proof later), never taken as 0.
            .and_then(|l| {
                handoff_core::state::StateReadExt::next_nonce(&l.store, &id.key.public()).ok()
            }),
    };
    if let Some(n) = learned {
        store.set_known_nonce(&id.key.public(), n)?;
    }
    out(
        json!({"data": data.display().to_string(), "chain_id": chain_id.to_hex(),
               "org": id.key.public().to_hex(), "name": id.name}),
        format!(
            "light folder {} for chain {} signing as {}",
            data.display(),
            chain_id.short(),
            id.name
        ),
    )
}

/// Runs a light command on an open store (`running`: the light node, for reads).
pub(super) fn local(
    store: &LightStore,
    data: &Path,
    me: Option<&str>,
    running: Option<&Running>,
    cmd: LightCmd,
) -> R<Output> {
    match cmd {
        LightCmd::Commission { scans } => {
            let signer = signer_of(data, me)?;
            let mut payloads = Vec::new();
            for s in &scans {
                let e = crate::cli::entry(s, None)?;
                // The label's lot, expiry and other AIs stay with the item.
                let f = crate::cli::scan_fields(&crate::cli::scan(s)?);
                payloads.push(Payload::Commission(Commission {
                    entries: vec![e],
                    pin_hashes: vec![],
                    at: None,
                    lot: f.lot,
                    expiry: f.expiry,
                    attributes: f.attributes,
                }));
            }
            queued(store, running, &signer, payloads)
        }
        LightCmd::Propose {
            to,
            ownership,
            scans,
        } => {
            let signer = signer_of(data, me)?;
            let to = PublicKey::from_hex(to.trim())
                .ok_or_else(|| CliError::input("BAD_KEY", "--to is an org key, 64 hex digits"))?;
            let entries = scans
                .iter()
                .map(|s| crate::cli::entry(s, None))
                .collect::<R<Vec<_>>>()?;
            let payload = Payload::ProposeHandoff(ProposeHandoff {
                to,
                entries,
                transfer: if ownership {
                    Transfer::Both
                } else {
                    Transfer::Custody
                },
                ship_from: None,
                ship_to: None,
                docs: vec![],
                expires_at_height: None,
            });
            queued(store, running, &signer, vec![payload])
        }
        LightCmd::Accept {
            id,
            missing,
            damaged,
        } => {
            let signer = signer_of(data, me)?;
            let handoff = Hash32::from_hex(&id.to_lowercase()).ok_or_else(|| {
                CliError::input(
                    "BAD_HANDOFF_ID",
                    format!(
                        "'{}' is not a handoff id: a light node needs all 64 hex digits \
                         (it keeps no index of open handoffs to resolve a prefix)",
                        id.trim()
                    ),
                )
            })?;
            let payload = Payload::AcceptHandoff(AcceptHandoff {
                handoff,
                missing: crate::cli::entries(&missing, None)?,
                damaged: crate::cli::entries(&damaged, None)?,
            });
            queued(store, running, &signer, vec![payload])
        }
        LightCmd::Outbox => {
            let entries = store.entries()?;
            let rows: Vec<Value> = entries.iter().map(outbox_json).collect();
            let signer = signer_of(data, me).ok().map(|i| i.key.public());
            let known = match &signer {
                Some(s) => store.known_nonce(s)?,
                None => None,
            };
            let text = entries
                .iter()
                .map(|e| {
                    let why = match &e.status {
                        OutboxStatus::Rejected { code, message, .. } => {
                            format!(": {message} [{code}]")
                        }
                        OutboxStatus::Committed { height, .. } => format!(" in block {height}"),
                        _ => String::new(),
                    };
                    format!(
                        "{:>6}  {}  nonce {}  {}{why}",
                        e.seq,
                        e.id.short(),
                        e.nonce,
                        e.status.name()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            out(
                json!({"entries": rows, "tip": store.tip()?, "account_nonce": known,
                       "running": running.is_some()}),
                text,
            )
        }
        LightCmd::Show { scan, peer } => {
            let key = crate::cli::scan(&scan)?.key;
            let skey = StateKey::item(&key);
            let read = |r: &Running| -> R<Output> {
                let node = r.node();
                let peer = node.peer().ok_or_else(|| anyhow!("no peer is connected"))?;
                let _ = r.block_on(node.sync_headers(peer));
                let header = node.tip_header()?;
                let height = header.height;
                let rec = r.block_on(node.proven(peer, &header, &skey))?;
                let Some(rec) = rec else {
                    return Err(CliError::input(
                        "UNKNOWN_ITEM",
                        format!(
                            "{} was never commissioned (proven absent at block {height})",
                            key.canonical()
                        ),
                    ));
                };
                // The view people read (names, custody through containers, product),
                // every record of it proven against the same certified header.
                let state = ProvenState::new(r, peer, header.clone());
                state.seed(&skey, Some(rec.clone()));
                // Any record of the view that does not verify fails the whole answer
                // (PROOF_INVALID): nothing below is shown as "verified" unless all is.
                let thing = crate::view::thing_json(&state, &key)?;
                // The offer it travels in (to or from whom, what else it holds), so the
                // receiver can accept from a scan: a light node has no inbox index.
                let open = thing
                    .as_ref()
                    .and_then(|t| t["open_handoff"].as_str())
                    .and_then(Hash32::from_hex);
                let handoff = match open {
                    Some(id) => match state.handoff(&id)? {
                        Some(h) => Some(crate::view::handoff_json(&state, &h)?),
                        None => None,
                    },
                    None => None,
                };
                out(
                    json!({"item": rec, "thing": thing, "handoff": handoff, "height": height,
                           "verified": true, "state_root": header.state_root.to_hex(),
                           "header_hash": header.hash().to_hex()}),
                    format!(
                        "{}: verified against the state root of block {height}",
                        key.canonical()
                    ),
                )
            };
            match running {
                Some(r) => read(r),
                None => {
                    let _ = peer;
                    Err(CliError::input(
                        "NOT_RUNNING",
                        "no light node runs on this folder: start `handoff light run` or give --peer",
                    ))
                }
            }
        }
        LightCmd::Init { .. } | LightCmd::Run(_) => Err(CliError::input(
            "USAGE",
            "a light node is already running on this folder",
        )),
    }
}

/// Signs and queues `payloads` as `signer`. Their nonces follow the signer's last queued
/// entry, else its account nonce as last read with a proof; an identity this folder has
/// never read (another identity of the folder, first used here) is read from a peer
/// first, and cannot queue while offline (`NONCE_UNKNOWN`): a guessed nonce would be
/// refused by the chain after the fact.
fn queued(
    store: &LightStore,
    running: Option<&Running>,
    signer: &identity::Identity,
    payloads: Vec<Payload>,
) -> R<Output> {
    let pk = signer.key.public();
    let mut known = store.nonce_known(&pk)?;
    if let Some(r) = running {
        let node = r.node();
        node.watch(pk);
        if !known && let Some(peer) = node.peer() {
            match r.block_on(node.read_nonce(peer, pk)) {
                Ok(_) => known = true,
                Err(e) => eprintln!("light: account nonce of {}: {e:#}", signer.name),
            }
        }
    }
    if !known {
        return Err(CliError::input(
            "NONCE_UNKNOWN",
            format!(
                "this light node has not yet read the account of {} from the chain, so it \
                 cannot number its transactions: connect to a full node once, then try again",
                signer.name
            ),
        ));
    }
    let entries = store.queue(&signer.key, payloads)?;
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| json!({"seq": e.seq, "tx": e.id.to_hex(), "nonce": e.nonce}))
        .collect();
    out(
        json!({"queued": rows}),
        format!("queued {} transaction(s)", entries.len()),
    )
}

/// Parses a forwarded `light …` command line (the arguments after the program name, with
/// the global options) and runs it on the open store.
pub(super) fn run_forwarded(
    store: &LightStore,
    running: Option<&Running>,
    data: &Path,
    args: Vec<String>,
) -> R<Output> {
    let full = std::iter::once("handoff".to_string()).chain(args);
    match Forwarded::try_parse_from(full) {
        Err(e) => Err(CliError::input("USAGE", e.to_string().trim().to_string())),
        Ok(f) => {
            let ForwardedCmd::Light(cmd) = f.cmd;
            let _ = (f.data, f.json, f.node, f.token);
            local(store, data, f.as_.as_deref(), running, cmd)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_core::crypto::Keypair;
    use handoff_core::tx::SignedTx;

    fn keys(n: u8) -> Vec<Keypair> {
        (0..n).map(|i| Keypair::from_secret([i + 1; 32])).collect()
    }

    fn genesis(validators: &[Keypair]) -> Genesis {
        Genesis {
            name: "light test".into(),
            time_ms: 1,
            validators: validators.iter().map(|k| k.public()).collect(),
            orgs: vec![],
        }
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_warehouse_accepts_offline_naming_what_is_missing() {
        let tmp = tempfile::tempdir().expect("tmp");
        let data = tmp.path();
        let warehouse = Keypair::from_secret([21; 32]);
        identity::save(data, "Warehouse", &warehouse, 0).expect("identity");
        let store = LightStore::create(data, &genesis(&keys(4))).expect("light store");
        store
            .set_known_nonce(&warehouse.public(), 0)
            .expect("known nonce");
        let offer = Hash32([0xab; 32]);
        let lost = "(01)00614141025015(21)E261000300";
        let cmd = args(&[
            "--as",
            "Warehouse",
            "light",
            "accept",
            &format!("--missing={lost}"),
            "--",
            &offer.to_hex(),
        ]);
        let o = run_forwarded(&store, None, data, cmd).expect("queued");
        assert_eq!(o.json["queued"][0]["seq"], 1);
        let entries = store.entries().expect("entries");
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(
            (e.nonce, &e.status, e.signer),
            (0, &OutboxStatus::Pending, warehouse.public())
        );
        let tx = SignedTx::decode(&e.tx).expect("decodes");
        assert_eq!(tx.body.chain_id, store.chain_id().expect("chain"));
        let Payload::AcceptHandoff(a) = &tx.body.payload else {
            panic!("not an accept: {:?}", tx.body.payload);
        };
        assert_eq!(a.handoff, offer);
        let missing: Vec<String> = a.missing.iter().map(|m| m.key.canonical()).collect();
        assert_eq!(missing, vec!["/01/00614141025015/21/E261000300"]);
        assert!(a.damaged.is_empty());
        // The outbox row says what it is.
        let row = outbox_json(e);
        assert_eq!(
            (&row["kind"], &row["handoff"], &row["status"]),
            (
                &json!("handoff_accepted"),
                &json!(offer.to_hex()),
                &json!("pending")
            )
        );
        // The next one takes the next nonce; a prefix of an id is not enough offline.
        let again = args(&["light", "accept", "--", &offer.to_hex()]);
        run_forwarded(&store, None, data, again).expect("queued");
        assert_eq!(store.entries().expect("entries")[1].nonce, 1);
        let short = args(&["light", "accept", "--", &offer.to_hex()[..8]]);
        let err = run_forwarded(&store, None, data, short).expect_err("prefix");
        assert_eq!(err.parts().0, "BAD_HANDOFF_ID");
        let bad = args(&[
            "light",
            "accept",
            "--missing=(01)123",
            "--",
            &offer.to_hex(),
        ]);
        let err = run_forwarded(&store, None, data, bad).expect_err("bad scan");
        assert!(err.parts().0.starts_with("SCAN_"), "{:?}", err.parts());
        assert_eq!(store.entries().expect("entries").len(), 2);
    }
}
