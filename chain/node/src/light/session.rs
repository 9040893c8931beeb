//! The light node for a long-running host (the desktop app), and `light show --peer`'s
//! one-shot session.

use super::cli::{LightCmd, local, parse_addrs, queued, signer_of};
use super::node::{LightOptions, Running};
use super::{LightStore, store_dir};
use crate::error::{CliError, Output};
use handoff_api::LightShowResponse;
use handoff_core::block::Genesis;
use handoff_core::types::PublicKey;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

type R<T> = Result<T, CliError>;

/// A light node held by a long-running host (the desktop app, `light run`): the open
/// store, the running node and the folder. Commands are the `handoff light …` commands,
/// run by the same code as the command line.
pub struct LightSession {
    store: Arc<LightStore>,
    running: Running,
    data: PathBuf,
}

impl LightSession {
    /// Opens the light folder `data` and starts its node: dials `peers` (and finds peers
    /// on the LAN with `mdns`), follows headers and pumps the outbox. `signer_name`: the
    /// identity whose account nonce the node keeps verified (None: the folder's first).
    pub fn open(
        data: &Path,
        signer_name: Option<&str>,
        peers: &[String],
        mdns: bool,
    ) -> R<LightSession> {
        let store = Arc::new(LightStore::open(data)?);
        LightSession::start(store, data, signer_name, peers, mdns)
    }

    /// Makes `data` a light folder trusting `genesis` (its identities stay) and starts
    /// the node as [`LightSession::open`] does.
    pub fn create(
        data: &Path,
        genesis: &Genesis,
        signer_name: Option<&str>,
        peers: &[String],
        mdns: bool,
    ) -> R<LightSession> {
        if store_dir(data).exists() {
            return Err(CliError::input(
                "ALREADY_INITIALIZED",
                format!("{} already holds a light node", data.display()),
            ));
        }
        // Check the addresses before the folder changes.
        parse_addrs(peers)?;
        let store = Arc::new(LightStore::create(data, genesis)?);
        LightSession::start(store, data, signer_name, peers, mdns)
    }

    fn start(
        store: Arc<LightStore>,
        data: &Path,
        signer_name: Option<&str>,
        peers: &[String],
        mdns: bool,
    ) -> R<LightSession> {
        let peers = parse_addrs(peers)?;
        let signer = signer_of(data, signer_name).ok().map(|i| i.key.public());
        LightSession::start_with(
            store,
            data,
            signer,
            LightOptions {
                peers,
                mdns,
                max_inflight: 256,
                pump: true,
            },
        )
    }

    /// Starts the node on an open store as `opts` say, keeping `signer`'s account nonce
    /// verified.
    pub(crate) fn start_with(
        store: Arc<LightStore>,
        data: &Path,
        signer: Option<PublicKey>,
        opts: LightOptions,
    ) -> R<LightSession> {
        let running = Running::start(store.clone(), signer, opts, Arc::new(|| {}))?;
        Ok(LightSession {
            store,
            running,
            data: data.to_path_buf(),
        })
    }

    /// The running node.
    pub(crate) fn running(&self) -> &Running {
        &self.running
    }

    /// Runs one light command as `me` (None: the folder's first identity) on the running
    /// node: the typed API's way in ([`crate::api`]).
    pub fn run(&self, me: Option<&str>, cmd: LightCmd) -> R<Output> {
        local(&self.store, &self.data, me, Some(&self.running), cmd)
    }

    /// Signs `payloads` as the identity `me` (None: the folder's first) and queues them in
    /// the outbox, in order: the node sends them when a peer is reachable.
    pub fn queue(&self, me: Option<&str>, payloads: Vec<handoff_core::tx::Payload>) -> R<Output> {
        let signer = signer_of(&self.data, me)?;
        queued(&self.store, Some(&self.running), &signer, payloads)
    }

    /// [`LightSession::queue`] with each transaction's device time given (an imported
    /// EPCIS event keeps its own time).
    pub fn queue_timed(
        &self,
        me: Option<&str>,
        payloads: Vec<(handoff_core::tx::Payload, i64)>,
    ) -> R<Output> {
        let signer = signer_of(&self.data, me)?;
        super::cli::queued_timed(&self.store, Some(&self.running), &signer, payloads)
    }

    /// An item's record read with a proof against the newest certified header, with the
    /// view people read (`light show`).
    pub fn show(&self, scan: &str) -> R<LightShowResponse> {
        super::cli::show(&self.running, scan)
    }

    /// A record read with a proof against the newest certified header (after asking a
    /// peer for newer headers): the record (`None`: proven absent), the header, and the
    /// size of the proof checked. No peer, no proof, a bad proof: an error, never absence.
    pub fn proven(
        &self,
        key: &handoff_core::state::StateKey,
    ) -> R<(
        Option<handoff_core::state::Record>,
        handoff_core::block::BlockHeader,
        u64,
    )> {
        super::cli::proven(&self.running, key)
    }

    /// The store.
    pub fn store(&self) -> &LightStore {
        &self.store
    }

    /// The data folder.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// Full nodes connected now.
    pub fn peer_count(&self) -> usize {
        self.running
            .node()
            .peers
            .lock()
            .map(|p| p.len())
            .unwrap_or(0)
    }

    /// Where the node stands: `{chain_id, height (certified header tip), time_ms (of
    /// that header, else of the genesis), state_root, peers, outbox (entries not yet
    /// committed or rejected), outbox_counts {pending, submitted, committed, rejected}}`.
    pub fn status(&self) -> R<Value> {
        let genesis = self.store.genesis()?;
        let tip = self.store.tip()?;
        let header = self.store.header(tip)?.map(|(h, _)| h);
        let c = self.store.outbox_counts()?;
        Ok(json!({
            "chain_id": genesis.chain_id().to_hex(),
            "chain_name": genesis.name,
            "height": tip,
            "time_ms": header.as_ref().map_or(genesis.time_ms, |h| h.time_ms),
            "state_root": header.as_ref().map(|h| h.state_root.to_hex()),
            "peers": self.peer_count(),
            "outbox": c.open(),
            "outbox_counts": {"pending": c.pending, "submitted": c.submitted,
                              "committed": c.committed, "rejected": c.rejected},
        }))
    }

    /// Stops the node (after its current step) and its network.
    pub fn shutdown(self) {
        self.running.shutdown();
    }
}

/// `light show SCAN --peer …` with no light node running: a one-shot session.
pub fn show_oneshot(data: &Path, scan: &str, peers: &[String]) -> R<Output> {
    let store = Arc::new(LightStore::open(data)?);
    let peers = parse_addrs(peers)?;
    let r = Running::start(
        store.clone(),
        None,
        LightOptions {
            peers,
            mdns: false,
            max_inflight: 1,
            pump: false,
        },
        Arc::new(|| {}),
    )?;
    r.wait_synced(Duration::from_secs(30))?;
    let res = local(
        &store,
        data,
        None,
        Some(&r),
        LightCmd::Show {
            scan: scan.to_string(),
            peer: vec![],
        },
    );
    r.shutdown();
    res
}
