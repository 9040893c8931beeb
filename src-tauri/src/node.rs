//! The node this app process holds open: its data folder, its ledger (opened once; sled
//! allows one opener per folder) and the identity the user currently acts as.

use handoff_node::cli::{self, Cli, CliError};
use handoff_node::ledger::Ledger;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

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
}

impl Startup {
    /// Reads `--data`, `--demo`, `--org`, `--as` (unknown arguments are ignored, so the
    /// platform's own launch arguments do no harm). `HANDOFF_DATA` sets the folder too.
    pub fn from_args(args: &[String]) -> Startup {
        let mut s = Startup {
            data: std::env::var_os("HANDOFF_DATA")
                .map(PathBuf::from)
                .unwrap_or_else(cli::default_data_dir),
            demo: false,
            org: "My organization".to_string(),
            act_as: None,
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
                _ => {}
            }
        }
        s
    }
}

struct Inner {
    data: PathBuf,
    ledger: Result<Ledger, ApiError>,
    act_as: Option<String>,
}

/// The app's node: one ledger, one acting identity, one command at a time (commands of
/// one identity take consecutive nonces, so they are serialized).
pub struct AppNode {
    inner: Mutex<Inner>,
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
    pub fn start(s: Startup) -> AppNode {
        let ledger = open(&s);
        if let Err(e) = &ledger {
            eprintln!("{} [{}]", e.message, e.code);
        }
        AppNode {
            inner: Mutex::new(Inner {
                data: s.data,
                ledger,
                act_as: s.act_as,
            }),
        }
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
    pub fn call(&self, args: &[&str]) -> Result<Value, ApiError> {
        let inner = self.lock();
        let ledger = inner.ledger.as_ref().map_err(Clone::clone)?;
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

    /// The saved bootstrap peers.
    pub fn network(&self) -> Result<Value, ApiError> {
        let peers: Vec<String> = std::fs::read(self.network_file())
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| serde_json::from_value(v["peers"].clone()).ok())
            .unwrap_or_default();
        Ok(serde_json::json!({
            "peers": peers,
            "network": "embedded single-node chain; the peers are used once this version of \
                        Handoff can join a network",
        }))
    }

    /// Validates and saves bootstrap peers (empty: stay on the embedded chain).
    pub fn set_network(&self, peers: &[String]) -> Result<Value, ApiError> {
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
        let body = serde_json::json!({ "peers": peers }).to_string();
        let tmp = self.data().join("network.json.tmp");
        std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, self.network_file()))
            .map_err(|e| ApiError::new("DATA_FOLDER", format!("cannot save the peers: {e}")))?;
        self.network()
    }

    /// Copies the chain (a consistent sled export) and the identities into
    /// `<data>/backups/<UTC time>/`.
    pub fn backup(&self) -> Result<Value, ApiError> {
        let inner = self.lock();
        let ledger = inner.ledger.as_ref().map_err(Clone::clone)?;
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
