//! `handoff join LINK`: a new folder joins a network by a registrar's invitation (see
//! [`crate::invite`]). No genesis is pasted and no key is copied: the folder dials the
//! link's peers, fetches the genesis from the registrar's node and checks it against the
//! hash the link carries (`GENESIS_MISMATCH` otherwise: a peer cannot put the joiner on
//! another chain), makes its own org key and saves it before anything else, redeems the
//! ticket with a signature by that key, and on admission creates its light store, so
//! `handoff light run` (or the app's light mode) follows its own org from there.

use crate::error::{CliError, Output};
use crate::identity;
use crate::invite::InviteLink;
use crate::ledger::now_ms;
use crate::light::LightStore;
use anyhow::{Context, anyhow};
use handoff_core::block::Genesis;
use handoff_core::types::sha256;
use handoff_net::{
    ErrorCode, JoinOutcome, Multiaddr, NetConfig, NetEvent, NetHandle, Network, PeerId, Protocol,
    Request, Response,
};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

type R<T> = Result<T, CliError>;

/// Fault injection for tests (feature `fault-injection`, never in a release build): the
/// registrar's answer to the join is dropped, as a connection lost on its way back would.
#[cfg(feature = "fault-injection")]
pub const FAULT_LOSE_JOIN_ANSWER_ENV: &str = "HANDOFF_FAULT_LOSE_JOIN_ANSWER";

/// How long the joiner waits for the registrar's node to connect.
pub const CONNECT_WAIT: Duration = Duration::from_secs(30);
/// The joiner's peer on another chain, or a genesis that is not the link's.
pub const GENESIS_MISMATCH: &str = "GENESIS_MISMATCH";
/// No peer of the link could be reached.
pub const NO_PEER: &str = "NO_PEER";
/// A join whose answer did not arrive: which ticket it redeemed with which identity, so
/// the same join again resumes with that key instead of making another (the registrar's
/// node answers the admission it made again: [`crate::invite`]).
const PENDING_FILE: &str = "join-pending.json";

/// What [`PENDING_FILE`] holds.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingJoin {
    /// SHA-256 of the ticket, hex.
    ticket_sha256: String,
    /// The local identity's name.
    identity: String,
    /// Its key, hex.
    org: String,
}

/// The folder's pending join (none when there is none; a file that does not read is an
/// error, never "none").
fn pending(data: &Path) -> R<Option<PendingJoin>> {
    read_json(data, PENDING_FILE)
}

/// Writes or removes the pending join (durably, as [`write_synced`] does).
fn set_pending(data: &Path, p: Option<&PendingJoin>) -> R<()> {
    match p {
        Some(p) => write_synced(
            data,
            PENDING_FILE,
            &serde_json::to_vec_pretty(p).map_err(|e| CliError::Other(e.into()))?,
        ),
        None => {
            let path = data.join(PENDING_FILE);
            let remove = || -> std::io::Result<()> {
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    other => other?,
                }
                std::fs::File::open(data)?.sync_all()
            };
            remove()
                .with_context(|| format!("cannot remove {}", path.display()))
                .map_err(CliError::Other)
        }
    }
}

/// A folder's JSON file `name` (none when it is not there; one that does not read is an
/// error, never "none").
fn read_json<T: serde::de::DeserializeOwned>(data: &Path, name: &str) -> R<Option<T>> {
    let path = data.join(name);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .with_context(|| format!("{} does not read", path.display()))
            .map_err(CliError::Other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Other(
            anyhow::Error::from(e).context(format!("cannot read {}", path.display())),
        )),
    }
}

/// Writes a folder's file `name` durably: a temporary file, synced, renamed over it, and
/// the folder synced.
fn write_synced(data: &Path, name: &str, bytes: &[u8]) -> R<()> {
    use std::io::Write;
    let path = data.join(name);
    let tmp = data.join(format!("{name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(data)?.sync_all()
    };
    write()
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(CliError::Other)
}

/// The peer id an address ends with.
fn peer_of(m: &Multiaddr) -> Option<PeerId> {
    m.iter().find_map(|p| match p {
        Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

/// Joins the network of `link` in the new folder `data`, as the local identity `me`
/// (default: the invitation's name).
pub fn join(data: &Path, me: Option<&str>, link: &str) -> R<Output> {
    if crate::ledger::chain_dir(data).exists() || crate::light::store_dir(data).exists() {
        return Err(CliError::input(
            "ALREADY_INITIALIZED",
            format!(
                "{} already holds a node; join with a new folder (--data)",
                data.display()
            ),
        ));
    }
    join_here(data, me, link)
}

/// [`join`] in the app's folder, which may hold its embedded single-node chain: the light
/// store is made beside it (the chain stays, unused, as when the app joins with a
/// genesis). A folder that already follows a network is refused.
pub fn join_beside_embedded(data: &Path, me: Option<&str>, link: &str) -> R<Output> {
    if crate::light::store_dir(data).exists() {
        return Err(CliError::input(
            "ALREADY_JOINED",
            format!("{} already follows a network", data.display()),
        ));
    }
    join_here(data, me, link)
}

fn join_here(data: &Path, me: Option<&str>, link: &str) -> R<Output> {
    let link = InviteLink::parse(link)?;
    let name = me.map(str::trim).unwrap_or(&link.name).to_string();
    crate::invite::check_name(&name).map_err(|m| CliError::input("BAD_NAME", m))?;
    // The same join again after its answer was lost: it goes on with the key it made.
    let resume = match pending(data)? {
        Some(p) if p.ticket_sha256 == link.ticket_sha256().to_hex() && p.identity == name => {
            let id = identity::select(data, Some(&name))?;
            if id.key.public().to_hex() != p.org {
                return Err(CliError::failed(
                    "JOIN_UNKNOWN",
                    format!(
                        "{} holds a pending join for {name} with another key than the \
                         identity {name}; sort it out by hand",
                        data.display()
                    ),
                ));
            }
            Some(id)
        }
        _ => None,
    };
    if resume.is_none() && identity::select(data, Some(&name)).is_ok() {
        return Err(CliError::input(
            "IDENTITY_EXISTS",
            format!("{} already holds an identity named {name}", data.display()),
        ));
    }
    let addrs = link
        .peers
        .iter()
        .map(|p| {
            p.parse::<Multiaddr>().map_err(|e| {
                CliError::input(
                    crate::invite::BAD_INVITE,
                    format!("the peer '{p}' is not a multiaddr: {e}"),
                )
            })
        })
        .collect::<R<Vec<_>>>()?;
    let registrar = addrs.first().and_then(peer_of).ok_or_else(|| {
        CliError::input(crate::invite::BAD_INVITE, "the first peer names no peer id")
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("handoff-join")
        .enable_all()
        .build()
        .context("cannot start the network's runtime")?;
    let mut cfg = NetConfig::new(identity::generate()?);
    cfg.bootstrap = addrs;
    cfg.mdns = false;
    let (net, events) = runtime
        .block_on(Network::start(cfg))
        .context("cannot start the network")?;
    let result = runtime.block_on(redeem(
        data,
        &name,
        &link,
        resume,
        registrar,
        net.clone(),
        events,
    ));
    runtime.block_on(async {
        let _ = net.shutdown().await;
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    result
}

async fn redeem(
    data: &Path,
    name: &str,
    link: &InviteLink,
    resume: Option<identity::Identity>,
    registrar: PeerId,
    net: NetHandle,
    mut events: tokio::sync::mpsc::Receiver<NetEvent>,
) -> R<Output> {
    // Wait for the registrar's node; then keep the event queue drained (a joiner serves
    // nothing).
    let connected = tokio::time::timeout(CONNECT_WAIT, async {
        while let Some(ev) = events.recv().await {
            match ev {
                NetEvent::PeerConnected(p) if p == registrar => return true,
                NetEvent::Request { reply, .. } => {
                    let _ = net
                        .respond(reply, Response::error(ErrorCode::Unsupported, "joining"))
                        .await;
                }
                _ => {}
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    if !connected {
        return Err(CliError::failed(
            NO_PEER,
            format!(
                "the registrar's node ({}) did not answer within {} s; is it running and \
                 reachable at the link's address?",
                link.peers.first().map(String::as_str).unwrap_or(""),
                CONNECT_WAIT.as_secs()
            ),
        ));
    }
    let drain_net = net.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if let NetEvent::Request { reply, .. } = ev {
                let _ = drain_net
                    .respond(reply, Response::error(ErrorCode::Unsupported, "joining"))
                    .await;
            }
        }
    });
    let ask = |r: Request| {
        let net = net.clone();
        async move {
            for pause in [200u64, 500, 1000, 2000] {
                match net.request(registrar, r.clone()).await {
                    Ok(Response::Error {
                        code: ErrorCode::Busy,
                        ..
                    }) => tokio::time::sleep(Duration::from_millis(pause)).await,
                    other => return other.map_err(|e| anyhow!("{e}")),
                }
            }
            Err(anyhow!("the registrar's node stayed busy"))
        }
    };
    // The genesis, checked against the link before anything is kept.
    let bytes = match ask(Request::Genesis).await? {
        Response::Genesis(b) => b,
        other => {
            return Err(CliError::failed(
                "BAD_ANSWER",
                format!("the registrar's node answered the genesis request with {other:?}"),
            ));
        }
    };
    if sha256(&[&bytes]) != link.genesis {
        return Err(CliError::failed(
            GENESIS_MISMATCH,
            "the peer's genesis is not the one the invitation names: it is another chain, \
             or the link was altered; nothing was joined",
        ));
    }
    let genesis: Genesis = borsh::from_slice(&bytes)
        .map_err(|_| CliError::failed(GENESIS_MISMATCH, "the peer's genesis does not decode"))?;
    if genesis.chain_id() != link.chain {
        return Err(CliError::failed(
            GENESIS_MISMATCH,
            "the genesis is not that of the chain the invitation names",
        ));
    }
    genesis
        .check_keys()
        .map_err(|r| CliError::failed(GENESIS_MISMATCH, r.message))?;
    // The key is the joiner's own, saved durably before it is named to anyone (or the
    // one a join whose answer was lost made), and the join is noted as pending until an
    // answer comes.
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let (key, key_path) = match resume {
        Some(id) => (id.key, identity::key_path(data, name)),
        None => {
            let key = identity::generate()?;
            let path = identity::save(data, name, &key, now_ms())?;
            (key, path)
        }
    };
    let org = key.public();
    set_pending(
        data,
        Some(&PendingJoin {
            ticket_sha256: link.ticket_sha256().to_hex(),
            identity: name.to_string(),
            org: org.to_hex(),
        }),
    )?;
    // Test support: the answer is lost on its way back, as a dropped connection would.
    #[cfg(feature = "fault-injection")]
    let lose_answer = std::env::var_os(FAULT_LOSE_JOIN_ANSWER_ENV).is_some();
    #[cfg(not(feature = "fault-injection"))]
    let lose_answer = false;
    let msg = handoff_net::join_message(&link.chain, &link.ticket_sha256(), &org, &link.name);
    let join = Request::Join {
        ticket: link.ticket,
        name: link.name.clone(),
        org,
        signature: key.sign_raw(&msg),
    };
    let answer = match ask(join).await {
        Ok(_) if lose_answer => Err(anyhow!("the answer was lost (test fault)")),
        other => other,
    };
    let (tx, height) = match answer {
        Ok(Response::Joined(JoinOutcome::Admitted { tx, height })) => (tx, height),
        // Not admitted yet, and maybe on its way: the key and the pending join stay.
        Ok(Response::Joined(JoinOutcome::Refused { code, message }))
            if code == crate::invite::JOIN_PENDING =>
        {
            return Err(CliError::failed(&code, message));
        }
        Ok(Response::Joined(JoinOutcome::Refused { code, message })) => {
            // Not admitted: nothing on the chain names the key.
            identity::remove_key(&key_path)?;
            set_pending(data, None)?;
            return Err(CliError::failed(&code, message));
        }
        Ok(Response::Error { code, message }) => {
            identity::remove_key(&key_path)?;
            set_pending(data, None)?;
            let code = match code {
                ErrorCode::Unsupported => "NOT_REGISTRAR_NODE",
                _ => "JOIN_UNAVAILABLE",
            };
            return Err(CliError::failed(
                code,
                format!("the registrar's node did not take the invitation: {message}"),
            ));
        }
        Ok(other) => {
            identity::remove_key(&key_path)?;
            set_pending(data, None)?;
            return Err(CliError::failed(
                "BAD_ANSWER",
                format!("the registrar's node answered the join with {other:?}"),
            ));
        }
        Err(e) => {
            return Err(CliError::failed(
                "JOIN_UNKNOWN",
                format!(
                    "no answer from the registrar's node ({e}); whether {} was admitted is \
                     unknown; its key is kept in {}: run the same join again to finish (it \
                     goes on with this key, and the registrar's node answers the admission \
                     it made)",
                    link.name,
                    key_path.display()
                ),
            ));
        }
    };
    let store = LightStore::create(data, &genesis)?;
    // A new key has signed nothing: its first transaction carries nonce 0.
    store.set_known_nonce(&org, 0)?;
    write_network(data, &link.peers, &hex::encode(&bytes))?;
    set_pending(data, None)?;
    let chain_id = genesis.chain_id().to_hex();
    Ok(Output {
        json: json!({
            "org": org.to_hex(),
            "name": name,
            "org_name": link.name,
            "chain_id": chain_id,
            "height": height,
            "tx": tx.to_hex(),
            "data": data.display().to_string(),
        }),
        text: format!(
            "{} joined chain {} at block {height} as {} ({}); start it with `handoff --data {} \
             light run`",
            link.name,
            &chain_id[..16],
            name,
            org.short(),
            data.display()
        ),
    })
}

/// The folder's bootstrap peers and genesis (`network.json`, as the app keeps them), so
/// `light run` and the app dial the network without being told.
fn write_network(data: &Path, peers: &[String], genesis_hex: &str) -> R<()> {
    let bytes = serde_json::to_vec_pretty(&json!({"peers": peers, "genesis": genesis_hex}))
        .map_err(|e| CliError::Other(e.into()))?;
    write_synced(data, "network.json", &bytes)
}

/// The bootstrap peers saved in a folder's `network.json` (none when it has none; a file
/// that does not read is an error).
pub fn saved_peers(data: &Path) -> R<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct NetworkFile {
        #[serde(default)]
        peers: Vec<String>,
    }
    Ok(read_json::<NetworkFile>(data, "network.json")?.map_or_else(Vec::new, |f| f.peers))
}
