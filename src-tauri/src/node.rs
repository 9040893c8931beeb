//! The node this app process holds open: its data folder, its chain and the identity the
//! user currently acts as. The chain is either the embedded single-validator ledger
//! (opened once; sled allows one opener per folder) or, once the folder has joined a
//! network (`<data>/light` exists), a light node ([`LightSession`]) that follows certified
//! headers from full nodes and sends an outbox of transactions signed here.

use handoff_core::block::Genesis;
use handoff_node::cli::{self, Cli, CliError};
use handoff_node::ledger::Ledger;
use handoff_node::light::{self, LightSession};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// An error as the UI shows it: a stable code and a message for people.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ApiError {
    /// Stable code (a rejection code, a `SCAN_*` code, `STORAGE`, `DATA_FOLDER`, …).
    pub code: String,
    /// What happened, for people.
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

impl From<CliError> for ApiError {
    fn from(e: CliError) -> Self {
        let (code, message) = e.parts();
        ApiError { code, message }
    }
}

/// How the app was started.
#[derive(Clone, Debug)]
pub struct Startup {
    /// The data folder.
    pub data: PathBuf,
    /// Seed the demo supply chain if the folder is new.
    pub demo: bool,
    /// Organization name for a new folder without the demo.
    pub org: String,
    /// Identity to act as first.
    pub act_as: Option<String>,
    /// Bootstrap peers from the command line (`--peer`, repeatable), used in light mode
    /// with those saved in `network.json`.
    pub peers: Vec<String>,
    /// Find peers on the local network (mDNS) in light mode (`--no-mdns` turns it off).
    pub mdns: bool,
}

impl Startup {
    /// Reads `--data`, `--demo`, `--org`, `--as`, `--peer` (repeatable) and `--no-mdns`
    /// (unknown arguments are ignored, so the platform's own launch arguments do no harm).
    /// `HANDOFF_DATA` sets the folder too.
    pub fn from_args(args: &[String]) -> Startup {
        let mut s = Startup {
            data: std::env::var_os("HANDOFF_DATA")
                .map(PathBuf::from)
                .unwrap_or_else(cli::default_data_dir),
            demo: false,
            org: "My organization".to_string(),
            act_as: None,
            peers: Vec::new(),
            mdns: true,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--demo" => s.demo = true,
                "--data" => {
                    if let Some(v) = it.next() {
                        s.data = PathBuf::from(v);
                    }
                }
                "--org" => {
                    if let Some(v) = it.next() {
                        s.org = v.clone();
                    }
                }
                "--as" => s.act_as = it.next().cloned(),
                "--peer" => {
                    if let Some(v) = it.next() {
                        s.peers.push(v.clone());
                    }
                }
                "--no-mdns" => s.mdns = false,
                _ => {}
            }
        }
        s
    }
}

/// The chain the app runs on (one per process, so the ledger's size is no concern).
#[allow(clippy::large_enum_variant)]
enum Chain {
    /// The embedded single-validator ledger (or why it could not be opened).
    Embedded(Result<Ledger, ApiError>),
    /// A light node of a network.
    Light(Arc<LightSession>),
}

struct Inner {
    data: PathBuf,
    chain: Chain,
    act_as: Option<String>,
    /// `--peer` addresses of the command line.
    cli_peers: Vec<String>,
    mdns: bool,
}

/// The app's node: one chain, one acting identity, one command at a time on the embedded
/// ledger (commands of one identity take consecutive nonces, so they are serialized; the
/// light node's outbox serializes its own queueing).
pub struct AppNode {
    inner: Mutex<Inner>,
}

/// The error of a command that needs a full node's indexes, in light mode.
pub fn light_node_error(what: &str) -> ApiError {
    ApiError::new(
        "LIGHT_NODE",
        format!(
            "{what} needs a full node: this app runs as a light node, which verifies single \
             records against certified block headers but keeps no indexes of the chain. Use \
             the app of a full node (or `handoff node run`) for it."
        ),
    )
}

/// The saved network settings: bootstrap peers and the genesis (hex) of the chain joined.
fn read_network(data: &Path) -> (Vec<String>, Option<String>) {
    let v = std::fs::read(data.join("network.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .unwrap_or(Value::Null);
    let peers = serde_json::from_value(v["peers"].clone()).unwrap_or_default();
    (peers, v["genesis"].as_str().map(String::from))
}

/// Command-line peers first, then the saved ones, each once.
fn all_peers(cli: &[String], saved: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in cli.iter().chain(saved) {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// Decodes a genesis as `handoff genesis` prints it; `BAD_GENESIS` says how to get one.
pub fn parse_genesis(hex_text: &str) -> Result<Genesis, ApiError> {
    light::parse_genesis(hex_text).map_err(|e| {
        let e = ApiError::from(e);
        ApiError::new(
            &e.code,
            format!(
                "{}: paste the whole of what `handoff genesis` prints on a full node of the \
                 network",
                e.message
            ),
        )
    })
}

fn open_light(s: &Startup) -> Chain {
    let (saved, _) = read_network(&s.data);
    let peers = all_peers(&s.peers, &saved);
    match LightSession::open(&s.data, s.act_as.as_deref(), &peers, s.mdns) {
        Ok(l) => Chain::Light(Arc::new(l)),
        Err(e) => {
            let e = ApiError::from(e);
            Chain::Embedded(Err(ApiError::new(
                "DATA_FOLDER",
                format!(
                    "Handoff cannot start the light node in {}: {} [{}]",
                    s.data.display(),
                    e.message,
                    e.code
                ),
            )))
        }
    }
}

fn open(s: &Startup) -> Result<Ledger, ApiError> {
    let data = s.data.display().to_string();
    if !s.data.join("chain").exists() {
        std::fs::create_dir_all(&s.data).map_err(|e| {
            ApiError::new(
                "DATA_FOLDER",
                format!("Handoff cannot create its data folder {data}: {e}"),
            )
        })?;
        let args: Vec<&str> = if s.demo {
            vec!["handoff", "--data", &data, "demo", "--quiet"]
        } else {
            vec!["handoff", "--data", &data, "init", "--org", &s.org]
        };
        let cli = Cli::from_args(&args)?;
        cli::run(cli).map_err(|e| {
            let e = ApiError::from(e);
            ApiError::new(
                "DATA_FOLDER",
                format!("Handoff cannot set up its chain in {data}: {}", e.message),
            )
        })?;
    }
    Ledger::open(&s.data).map_err(|e| {
        ApiError::new(
            "DATA_FOLDER",
            format!("Handoff cannot open the chain in {data}: {e:#}"),
        )
    })
}

impl AppNode {
    /// Opens (creating on first launch) the node. A folder that cannot be opened does not
    /// stop the app: every command then answers with the `DATA_FOLDER` error, which the
    /// UI shows.
    ///
    /// A folder that holds a light node (`<data>/light`) starts in light mode: the node
    /// dials the `--peer` addresses and the peers saved in `network.json`, with mDNS on
    /// unless `--no-mdns`.
    pub fn start(s: Startup) -> AppNode {
        let chain = if light::store_dir(&s.data).exists() {
            open_light(&s)
        } else {
            Chain::Embedded(open(&s))
        };
        if let Chain::Embedded(Err(e)) = &chain {
            eprintln!("{} [{}]", e.message, e.code);
        }
        AppNode {
            inner: Mutex::new(Inner {
                data: s.data,
                chain,
                act_as: s.act_as,
                cli_peers: s.peers,
                mdns: s.mdns,
            }),
        }
    }

    /// The light node, when the app runs as one.
    pub fn light(&self) -> Option<Arc<LightSession>> {
        match &self.lock().chain {
            Chain::Light(l) => Some(l.clone()),
            Chain::Embedded(_) => None,
        }
    }

    /// `"light"` or `"embedded"`.
    pub fn mode(&self) -> &'static str {
        if self.light().is_some() {
            "light"
        } else {
            "embedded"
        }
    }

    /// Runs one `handoff light …` command (what follows `light`) as the current identity
    /// on the light node and returns its JSON; `LIGHT_NODE` when not in light mode.
    pub fn light_call(&self, args: &[&str]) -> Result<Value, ApiError> {
        let me = self.acting_as();
        let l = self
            .light()
            .ok_or_else(|| ApiError::new("NOT_LIGHT", "this app runs the embedded chain"))?;
        Ok(l.call(me.as_deref(), args)?.json)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The data folder.
    pub fn data(&self) -> PathBuf {
        self.lock().data.clone()
    }

    /// Runs one `handoff` command (arguments after the program name, without `--json`,
    /// `--data` or `--as`) as the current identity and returns its JSON.
    ///
    /// In light mode only the commands that need no chain (`id`, `qr`) run; the others
    /// answer `LIGHT_NODE` (the adapters map what a light node can do to `light …`).
    pub fn call(&self, args: &[&str]) -> Result<Value, ApiError> {
        let inner = self.lock();
        let ledger = match &inner.chain {
            Chain::Embedded(l) => l.as_ref().map_err(Clone::clone)?,
            Chain::Light(_) => {
                if matches!(args.first(), Some(&"id") | Some(&"qr")) {
                    let full: Vec<&str> = ["handoff", "--json"]
                        .into_iter()
                        .chain(args.iter().copied())
                        .collect();
                    return Ok(cli::run(Cli::from_args(&full)?)?.json);
                }
                return Err(light_node_error(&format!("`{}`", args.join(" "))));
            }
        };
        let mut full: Vec<&str> = vec!["--json"];
        if let Some(me) = inner.act_as.as_deref() {
            full.extend(["--as", me]);
        }
        full.extend_from_slice(args);
        let out = cli::run_on(ledger, &inner.data, &full)?;
        Ok(out.json)
    }

    /// The identity acted as (None: the folder's first).
    pub fn acting_as(&self) -> Option<String> {
        self.lock().act_as.clone()
    }

    /// Acts as another local identity from now on.
    pub fn switch(&self, name: &str) -> Result<(), ApiError> {
        let mut inner = self.lock();
        handoff_node::identity::select(&inner.data, Some(name))
            .map_err(|e| ApiError::new("UNKNOWN_IDENTITY", format!("{e:#}")))?;
        inner.act_as = Some(name.to_string());
        Ok(())
    }

    /// Local identities as `(name, org key hex)`, oldest first.
    pub fn identities(&self) -> Result<Vec<(String, String)>, ApiError> {
        let data = self.data();
        list_identities(&data)
    }
}

/// Most bootstrap peers kept.
pub const MAX_PEERS: usize = 32;
/// Longest peer address accepted.
pub const MAX_PEER_LEN: usize = 256;

fn check_peer(p: &str) -> Result<String, ApiError> {
    let p = p.trim();
    let proto_ok = ["/ip4/", "/ip6/", "/dns/", "/dns4/", "/dns6/"]
        .iter()
        .any(|x| p.starts_with(x));
    let transport_ok = p.contains("/tcp/") || p.contains("/udp/");
    if p.len() > MAX_PEER_LEN || !proto_ok || !transport_ok || p.chars().any(char::is_whitespace) {
        return Err(ApiError::new(
            "BAD_PEER",
            format!(
                "'{p}' is not a peer address: use a multiaddress such as /ip4/10.0.0.5/tcp/4001 \
                 or /dns4/hub.example.com/udp/4001/quic-v1"
            ),
        ));
    }
    Ok(p.to_string())
}

impl AppNode {
    fn network_file(&self) -> PathBuf {
        self.data().join("network.json")
    }

    /// The saved network settings: `{peers, genesis, mode, chain_id?, network}`.
    pub fn network(&self) -> Result<Value, ApiError> {
        let (peers, genesis) = read_network(&self.data());
        let mut v = json!({"peers": peers, "genesis": genesis, "mode": self.mode()});
        match self.light() {
            Some(l) => {
                let st = l.status()?;
                v["chain_id"] = st["chain_id"].clone();
                v["network"] = json!(format!(
                    "light node of chain {}: follows certified headers from full nodes and \
                     sends the outbox once one is reachable",
                    st["chain_name"].as_str().unwrap_or_default()
                ));
            }
            None => {
                v["network"] = json!(
                    "embedded single-node chain; save peers with the genesis of a network \
                     (`handoff genesis` on one of its full nodes) to join it as a light node"
                );
            }
        }
        Ok(v)
    }

    /// Validates and saves bootstrap peers (empty: none) and, with `genesis` (hex, as
    /// `handoff genesis` prints it), joins that network: an embedded folder becomes a
    /// light folder for the acting identity and the app switches to light mode at once.
    /// The embedded chain stays in `<data>/chain`, unused while `<data>/light` exists.
    pub fn set_network(&self, peers: &[String], genesis: Option<&str>) -> Result<Value, ApiError> {
        if peers.len() > MAX_PEERS {
            return Err(ApiError::new(
                "TOO_MANY_PEERS",
                format!("at most {MAX_PEERS} bootstrap peers"),
            ));
        }
        let peers = peers
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| check_peer(p))
            .collect::<Result<Vec<_>, _>>()?;
        let genesis_hex = genesis.map(str::trim).filter(|g| !g.is_empty());
        let genesis = genesis_hex.map(parse_genesis).transpose()?;
        let mut switched = None;
        if let Some(g) = &genesis {
            if let Some(l) = self.light() {
                let have = l.store().chain_id().map_err(CliError::from)?;
                if have != g.chain_id() {
                    return Err(ApiError::new(
                        "ALREADY_JOINED",
                        format!(
                            "this folder already follows chain {}; a folder joins one network",
                            have.short()
                        ),
                    ));
                }
            } else {
                switched = Some(self.join(g, &peers)?);
            }
        }
        let (_, saved_genesis) = read_network(&self.data());
        let body = json!({
            "peers": peers,
            "genesis": genesis_hex.map(String::from).or(saved_genesis),
        })
        .to_string();
        let tmp = self.data().join("network.json.tmp");
        std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, self.network_file()))
            .map_err(|e| ApiError::new("DATA_FOLDER", format!("cannot save the peers: {e}")))?;
        let mut v = self.network()?;
        if let Some(msg) = switched {
            v["switched"] = json!(true);
            v["message"] = json!(msg);
        }
        Ok(v)
    }

    /// Makes the folder a light node of `genesis` and switches to it in-process.
    fn join(&self, genesis: &Genesis, peers: &[String]) -> Result<String, ApiError> {
        let mut inner = self.lock();
        // A folder that failed to open is not changed behind the user's back.
        if let Chain::Embedded(Err(e)) = &inner.chain {
            return Err(e.clone());
        }
        let me = inner.act_as.clone();
        let signer = handoff_node::identity::select(&inner.data, me.as_deref())
            .map_err(|e| ApiError::new("UNKNOWN_IDENTITY", format!("{e:#}")))?;
        let all = all_peers(&inner.cli_peers, peers);
        // The light store lives beside the embedded chain (another sled folder), so the
        // ledger is closed only once the light node is up.
        let session =
            LightSession::create(&inner.data, genesis, Some(&signer.name), &all, inner.mdns)?;
        inner.act_as = Some(signer.name.clone());
        inner.chain = Chain::Light(Arc::new(session));
        Ok(format!(
            "Handoff now runs as a light node of the network '{}' (chain {}), signing as {}. \
             It follows certified blocks from the peers; what you queue is sent once a peer \
             is reachable. The embedded chain stays in the data folder, unused.",
            genesis.name,
            genesis.chain_id().short(),
            signer.name
        ))
    }

    /// Copies the chain (a consistent sled export) and the identities into
    /// `<data>/backups/<UTC time>/`.
    pub fn backup(&self) -> Result<Value, ApiError> {
        let inner = self.lock();
        let ledger = match &inner.chain {
            Chain::Embedded(l) => l.as_ref().map_err(Clone::clone)?,
            Chain::Light(_) => return Err(light_node_error("A backup of the chain")),
        };
        let stamp =
            handoff_node::view::rfc3339(handoff_node::ledger::now_ms()).replace([':', '.'], "-");
        let dest = inner.data.join("backups").join(stamp);
        let fail = |e: String| {
            ApiError::new(
                "BACKUP_FAILED",
                format!("backup to {}: {e}", dest.display()),
            )
        };
        std::fs::create_dir_all(&dest).map_err(|e| fail(e.to_string()))?;
        ledger
            .store
            .backup_to(&handoff_node::ledger::chain_dir(&dest))
            .map_err(|e| fail(e.to_string()))?;
        let keys = inner.data.join("keys");
        let keys_to = dest.join("keys");
        std::fs::create_dir_all(&keys_to).map_err(|e| fail(e.to_string()))?;
        for e in std::fs::read_dir(&keys).map_err(|e| fail(e.to_string()))? {
            let p = e.map_err(|e| fail(e.to_string()))?.path();
            if let Some(name) = p.file_name() {
                std::fs::copy(&p, keys_to.join(name)).map_err(|e| fail(e.to_string()))?;
            }
        }
        Ok(serde_json::json!({
            "path": dest.display().to_string(),
            "height": ledger.store.height(),
        }))
    }
}

fn list_identities(data: &Path) -> Result<Vec<(String, String)>, ApiError> {
    let ids = handoff_node::identity::list(data)
        .map_err(|e| ApiError::new("DATA_FOLDER", format!("{e:#}")))?;
    Ok(ids
        .into_iter()
        .map(|i| (i.name, i.key.public().to_hex()))
        .collect())
}
