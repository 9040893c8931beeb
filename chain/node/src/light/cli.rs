//! `handoff light …`: the light node's command line. While `light run` holds the folder,
//! the commands go to it as typed requests of its HTTP API ([`handoff_http::Client`]);
//! otherwise they run here on the folder's store. Both ways answer with the same typed
//! responses, rendered by the same code, so the text, the `--json` and the exit codes are
//! the same whichever way a command went.

use super::daemon::{daemon_client, run_daemon};
use super::node::{ProvenState, Running};
use super::session::show_oneshot;
use super::{LightStore, OutboxEntry, OutboxStatus, store_dir};
use crate::api::typed;
use crate::error::{CliError, Output};
use crate::identity;
use crate::ledger::now_ms;
use anyhow::Context;
use clap::{Args, Subcommand};
use handoff_api::{
    AcceptRequest, ApiError, CommissionRequest, LightShowRequest, LightShowResponse, OutboxCounts,
    OutboxRequest, OutboxResponse, OutboxRow, ProposeRequest, QueuedTx, TransferKind, VerifiedAt,
};
use handoff_core::block::{BlockHeader, Genesis};
use handoff_core::state::{Record, StateKey, StateReadExt};
use handoff_core::tx::{AcceptHandoff, Commission, Payload, ProposeHandoff, Transfer};
use handoff_core::types::{Hash32, PublicKey};
use handoff_http::Client;
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
    /// HTTP address of the light node's API (default: 127.0.0.1, any port; the address
    /// taken is written to `light.json`).
    #[arg(long)]
    pub http: Option<String>,
    /// The built UI to serve at `/` (default: `ui/dist` under the current folder, when
    /// it holds an `index.html`).
    #[arg(long)]
    pub ui: Option<PathBuf>,
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

/// Runs `handoff light …` as `me` (None: the folder's first identity): sent to the light
/// node running on the folder when one runs, else run here.
pub fn run(data: &Path, me: Option<&str>, cmd: LightCmd) -> R<Output> {
    match cmd {
        LightCmd::Init {
            genesis,
            org_key_from,
        } => init(data, me, &genesis, &org_key_from),
        LightCmd::Run(a) => run_daemon(data, me, a),
        cmd => {
            if let Some(client) = daemon_client(data, me)? {
                return remote(&client, cmd);
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

/// Runs a light command on the light node serving `client`, as typed requests of its
/// API, rendered as [`local`] renders them.
fn remote(client: &Client, cmd: LightCmd) -> R<Output> {
    let queued = |q: Option<Vec<QueuedTx>>| -> R<Output> {
        let q = q.ok_or_else(|| {
            CliError::from(ApiError::fault(
                "BAD_ANSWER",
                "the light node answered an action without the transactions it queued",
            ))
        })?;
        render_queued(&q)
    };
    match cmd {
        LightCmd::Commission { scans } => queued(
            client
                .call(&CommissionRequest {
                    scans,
                    lot: None,
                    qty: None,
                    at: None,
                    expiry: None,
                    claim_codes: false,
                    pin: None,
                })?
                .queued,
        ),
        LightCmd::Propose {
            to,
            ownership,
            scans,
        } => queued(
            client
                .call(&ProposeRequest {
                    to: org_key(&to)?.to_hex(),
                    scans,
                    transfer: if ownership {
                        TransferKind::Both
                    } else {
                        TransferKind::Custody
                    },
                    qty: None,
                    ship_from: None,
                    ship_to: None,
                    docs: vec![],
                    expires_in: None,
                })?
                .queued,
        ),
        LightCmd::Accept {
            id,
            missing,
            damaged,
        } => queued(
            client
                .call(&AcceptRequest {
                    id,
                    missing,
                    damaged,
                })?
                .queued,
        ),
        LightCmd::Outbox => Ok(render_outbox(&client.call(&OutboxRequest {})?)),
        LightCmd::Show { scan, .. } => {
            let shown = client.call(&LightShowRequest { scan: scan.clone() })?;
            render_show(&scan, &shown)
        }
        LightCmd::Init { .. } | LightCmd::Run(_) => Err(CliError::input(
            "USAGE",
            "a light node is already running on this folder",
        )),
    }
}

/// The recipient of an offer: a light node has no org index to resolve a name.
fn org_key(to: &str) -> R<PublicKey> {
    PublicKey::from_hex(to.trim())
        .ok_or_else(|| CliError::input("BAD_KEY", "--to is an org key, 64 hex digits"))
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
                let e = crate::api::entry(s, None)?;
                // The label's lot, expiry and other AIs stay with the item.
                let f = crate::api::scan_fields(&crate::api::scan(s)?);
                payloads.push(Payload::Commission(Commission {
                    entries: vec![e],
                    claim_keys: vec![],
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
                .map(|s| crate::api::entry(s, None))
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
                missing: crate::api::entries(&missing, None)?,
                damaged: crate::api::entries(&damaged, None)?,
            });
            queued(store, running, &signer, vec![payload])
        }
        LightCmd::Outbox => Ok(render_outbox(&outbox(store, data, me, running.is_some())?)),
        LightCmd::Show { scan, .. } => match running {
            Some(r) => render_show(&scan, &show(r, &scan)?),
            None => Err(CliError::input(
                "NOT_RUNNING",
                "no light node runs on this folder: start `handoff light run` or give --peer",
            )),
        },
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
pub(super) fn queued(
    store: &LightStore,
    running: Option<&Running>,
    signer: &identity::Identity,
    payloads: Vec<Payload>,
) -> R<Output> {
    let now = crate::ledger::now_ms();
    let payloads = payloads.into_iter().map(|p| (p, now)).collect();
    queued_timed(store, running, signer, payloads)
}

/// [`queued`] with each transaction's device time given.
pub(super) fn queued_timed(
    store: &LightStore,
    running: Option<&Running>,
    signer: &identity::Identity,
    payloads: Vec<(Payload, i64)>,
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
    let entries = store.queue_timed(&signer.key, payloads)?;
    let rows: Vec<QueuedTx> = entries
        .iter()
        .map(|e| QueuedTx {
            seq: e.seq,
            tx: e.id.to_hex(),
            nonce: e.nonce,
        })
        .collect();
    render_queued(&rows)
}

/// What an action that queued `rows` prints.
fn render_queued(rows: &[QueuedTx]) -> R<Output> {
    out(
        json!({ "queued": rows }),
        format!("queued {} transaction(s)", rows.len()),
    )
}

/// Final entries (committed or rejected) an outbox listing shows, newest first; every
/// entry still waiting is shown whatever its age, and the counts cover them all.
pub(super) const OUTBOX_SHOWN_FINAL: usize = 200;

/// The outbox as `me` (None: the folder's first identity) sees it: every entry still
/// waiting and the newest [`OUTBOX_SHOWN_FINAL`] final ones, the counts of all of them,
/// and the signer's account nonce as last proven. `running`: whether a light node runs
/// on it.
pub(super) fn outbox(
    store: &LightStore,
    data: &Path,
    me: Option<&str>,
    running: bool,
) -> R<OutboxResponse> {
    let entries = store
        .recent_entries(OUTBOX_SHOWN_FINAL)?
        .iter()
        .map(|e| typed::<OutboxRow>(outbox_json(e)))
        .collect::<R<Vec<_>>>()?;
    let signer = signer_of(data, me).ok().map(|i| i.key.public());
    let account_nonce = match &signer {
        Some(s) => store.known_nonce(s)?,
        None => None,
    };
    let c = store.outbox_counts()?;
    Ok(OutboxResponse {
        entries,
        tip: store.tip()?,
        account_nonce,
        running,
        mode: None,
        counts: Some(OutboxCounts {
            pending: c.pending,
            submitted: c.submitted,
            committed: c.committed,
            rejected: c.rejected,
        }),
    })
}

/// What `light outbox` prints: one line an entry, and the rows as JSON.
fn render_outbox(o: &OutboxResponse) -> Output {
    let text = o
        .entries
        .iter()
        .map(|e| {
            let why = match (e.status.as_str(), &e.message, &e.code, e.height) {
                ("rejected", Some(message), Some(code), _) => format!(": {message} [{code}]"),
                ("committed", _, _, Some(height)) => format!(" in block {height}"),
                _ => String::new(),
            };
            let short = Hash32::from_hex(&e.tx).map_or_else(|| e.tx.clone(), |h| h.short());
            format!(
                "{:>6}  {short}  nonce {}  {}{why}",
                e.seq, e.nonce, e.status
            )
        })
        .collect::<Vec<_>>();
    let total = o.counts.as_ref().map_or(0, OutboxCounts::total);
    let older = total.saturating_sub(o.entries.len() as u64);
    let mut text = text.join("\n");
    if older > 0 {
        text.push_str(&format!(
            "\n({older} older committed or rejected entries not shown)"
        ));
    }
    // The app's field (mode) is not the command's.
    let json = json!({"entries": o.entries, "tip": o.tip, "account_nonce": o.account_nonce,
                      "running": o.running, "counts": o.counts});
    Output { json, text }
}

/// `NO_PEER`: no full node is connected, so nothing can be read with a proof now. When
/// peers this node caught serving data that does not verify are banned, it says so: the
/// user then knows the network, not their connection, is the trouble.
fn no_peer(r: &Running) -> CliError {
    let banned = r.block_on(r.node().banned_peers());
    let why = match banned {
        0 => String::new(),
        1 => {
            "; one peer is refused for now because it served data that does not verify".to_string()
        }
        n => {
            format!("; {n} peers are refused for now because they served data that does not verify")
        }
    };
    CliError::from(ApiError::unavailable(
        "NO_PEER",
        format!(
            "no full node is reachable, so the record cannot be verified now{why}; actions \
             you take are queued and sent once a peer is reachable"
        ),
    ))
}

/// The peer to read from and the newest certified header (after asking that peer for
/// newer ones): every proven read starts here. No peer connected: `NO_PEER`.
pub(super) fn peer_and_tip(r: &Running) -> R<(handoff_net::PeerId, BlockHeader)> {
    let node = r.node();
    let peer = node.peer().ok_or_else(|| no_peer(r))?;
    let _ = r.block_on(node.sync_headers(peer));
    Ok((peer, node.tip_header()?))
}

/// See [`super::LightSession::proven`].
pub(super) fn proven(r: &Running, key: &StateKey) -> R<(Option<Record>, BlockHeader, u64)> {
    let (peer, header) = peer_and_tip(r)?;
    let (rec, bytes) = r.block_on(r.node().proven_sized(peer, &header, key))?;
    Ok((rec, header, bytes))
}

/// An item's record read through the running light node with a Merkle proof verified
/// against its newest certified header, and the view people read (names, custody through
/// containers, product, the offer it travels in), every record of it proven against the
/// same header. Any record that does not verify fails the whole answer
/// (`PROOF_INVALID`): nothing is shown as verified unless all is.
pub(super) fn show(r: &Running, scan: &str) -> R<LightShowResponse> {
    let key = crate::api::scan(scan)?.key;
    let skey = StateKey::item(&key);
    let node = r.node();
    let (peer, header) = peer_and_tip(r)?;
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
    let state = ProvenState::new(r, peer, header.clone());
    state.seed(&skey, Some(rec.clone()));
    let thing = crate::view::thing_json(&state, &key)?;
    // The offer it travels in (to or from whom, what else it holds), so the receiver can
    // accept from a scan: a light node has no inbox index.
    let open = thing
        .as_ref()
        .and_then(|t| t["open_handoff"].as_str())
        .and_then(Hash32::from_hex);
    let handoff = match open {
        Some(id) => match state.handoff(&id)? {
            Some(h) => Some(typed(crate::view::handoff_json(&state, &h)?)?),
            None => None,
        },
        None => None,
    };
    Ok(LightShowResponse {
        record: hex::encode(rec.encode()),
        thing: thing.map(typed).transpose()?,
        handoff,
        verified: VerifiedAt {
            height,
            state_root: header.state_root.to_hex(),
            header_hash: header.hash().to_hex(),
        },
    })
}

/// What `light show SCAN` prints: the proven record, its view, the offer it travels in,
/// and the header they were proven against.
fn render_show(scan: &str, s: &LightShowResponse) -> R<Output> {
    let key = crate::api::scan(scan)?.key;
    let record = hex::decode(&s.record)
        .ok()
        .and_then(|b| Record::decode(&b))
        .ok_or_else(|| {
            CliError::from(ApiError::fault(
                "BAD_ANSWER",
                "the light node answered with a record that does not decode",
            ))
        })?;
    let v = &s.verified;
    out(
        json!({"item": record, "thing": s.thing, "handoff": s.handoff, "height": v.height,
               "verified": true, "state_root": v.state_root, "header_hash": v.header_hash}),
        format!(
            "{}: verified against the state root of block {}",
            key.canonical(),
            v.height
        ),
    )
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

    fn accept(id: &str, missing: &[&str]) -> LightCmd {
        LightCmd::Accept {
            id: id.to_string(),
            missing: missing.iter().map(|m| m.to_string()).collect(),
            damaged: vec![],
        }
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
        let cmd = accept(&offer.to_hex(), &[lost]);
        let o = local(&store, data, Some("Warehouse"), None, cmd).expect("queued");
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
        local(&store, data, None, None, accept(&offer.to_hex(), &[])).expect("queued");
        assert_eq!(store.entries().expect("entries")[1].nonce, 1);
        let short = accept(&offer.to_hex()[..8], &[]);
        let err = local(&store, data, None, None, short).expect_err("prefix");
        assert_eq!(err.parts().0, "BAD_HANDOFF_ID");
        let bad = accept(&offer.to_hex(), &["(01)123"]);
        let err = local(&store, data, None, None, bad).expect_err("bad scan");
        assert!(err.parts().0.starts_with("SCAN_"), "{:?}", err.parts());
        assert_eq!(store.entries().expect("entries").len(), 2);
    }

    #[test]
    fn the_outbox_prints_a_line_an_entry_with_why_it_ended() {
        let row =
            |seq: u64, status: &str, height, code: Option<&str>, message: Option<&str>| OutboxRow {
                seq,
                tx: format!("{seq:02x}").repeat(32),
                nonce: seq + 4,
                status: status.into(),
                height,
                index: height.map(|_| 0),
                code: code.map(String::from),
                message: message.map(String::from),
                kind: Some("commission".into()),
                items: vec![],
                handoff: None,
            };
        let o = OutboxResponse {
            entries: vec![
                row(1, "committed", Some(7), None, None),
                row(
                    2,
                    "rejected",
                    Some(8),
                    Some("NOT_CUSTODIAN"),
                    Some("not yours"),
                ),
                row(3, "pending", None, None, None),
            ],
            tip: 9,
            account_nonce: Some(6),
            running: true,
            mode: Some("light".into()),
            counts: None,
        };
        let out = render_outbox(&o);
        assert_eq!(
            out.text.lines().collect::<Vec<_>>(),
            vec![
                "     1  0101010101010101  nonce 5  committed in block 7",
                "     2  0202020202020202  nonce 6  rejected: not yours [NOT_CUSTODIAN]",
                "     3  0303030303030303  nonce 7  pending",
            ]
        );
        // The command's JSON: the rows as the API has them, without the app's fields.
        assert_eq!(out.json["entries"][1]["code"], "NOT_CUSTODIAN");
        assert_eq!(
            (
                &out.json["tip"],
                &out.json["account_nonce"],
                &out.json["running"]
            ),
            (&json!(9), &json!(6), &json!(true))
        );
        assert!(out.json.get("mode").is_none(), "{}", out.json);
        // A listing holds the newest final entries; the counts say how many more there are.
        let counts = OutboxCounts {
            pending: 1,
            submitted: 0,
            committed: 240,
            rejected: 9,
        };
        let out = render_outbox(&OutboxResponse {
            counts: Some(counts),
            ..o
        });
        assert_eq!(
            out.text.lines().last(),
            Some("(247 older committed or rejected entries not shown)")
        );
        assert_eq!(out.json["counts"]["committed"], 240);
    }
}
