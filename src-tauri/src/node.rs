//! The node this app process holds open: its data folder, its chain and the identity the
//! user currently acts as. The chain is either the embedded single-validator ledger
//! (opened once; sled allows one opener per folder) or, once the folder has joined a
//! network (`<data>/light` exists), a light node ([`LightSession`]) that follows certified
//! headers from full nodes and sends an outbox of transactions signed here.

use handoff_api::*;
use handoff_core::block::Genesis;
use handoff_node::api::{self, NodeApi};
use handoff_node::error::CliError;
use handoff_node::ledger::Ledger;
use handoff_node::light::{self, LightSession};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use handoff_api::ApiError;

/// How the app was started.
#[derive(Clone, Debug)]
pub struct Startup {
    /// The data folder.
    pub data: PathBuf,
    /// Organization name for a new folder.
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
    /// Reads `--data`, `--org`, `--as`, `--peer` (repeatable) and `--no-mdns`
    /// (unknown arguments are ignored, so the platform's own launch arguments do no harm).
    /// `HANDOFF_DATA` sets the folder too.
    pub fn from_args(args: &[String]) -> Startup {
        let mut s = Startup {
            data: std::env::var_os("HANDOFF_DATA")
                .map(PathBuf::from)
                .unwrap_or_else(handoff_node::folder::default_data_dir),
            org: "My organization".to_string(),
            act_as: None,
            peers: Vec::new(),
            mdns: true,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
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
    api::light_node_error(what)
}

/// What `network.json` holds.
#[derive(Default, Deserialize)]
struct NetworkFile {
    #[serde(default)]
    peers: Vec<String>,
    #[serde(default)]
    genesis: Option<String>,
}

/// The saved network settings: bootstrap peers and the genesis (hex) of the chain joined.
fn read_network(data: &Path) -> (Vec<String>, Option<String>) {
    let f = std::fs::read(data.join("network.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<NetworkFile>(&b).ok())
        .unwrap_or_default();
    (f.peers, f.genesis)
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
            e.kind,
            e.code,
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
            Chain::Embedded(Err(ApiError::fault(
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
            ApiError::fault(
                "DATA_FOLDER",
                format!("Handoff cannot create its data folder {data}: {e}"),
            )
        })?;
        // The demo chain is the command line's (`handoff demo`): the app only makes a
        // fresh folder for the user's organization.
        let made =
            handoff_node::folder::init(&s.data, handoff_node::folder::NewFolder::named(&s.org));
        made.map_err(|e| {
            let e = ApiError::from(e);
            ApiError::fault(
                "DATA_FOLDER",
                format!("Handoff cannot set up its chain in {data}: {}", e.message),
            )
        })?;
    }
    Ledger::open(&s.data).map_err(|e| {
        ApiError::fault(
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

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The data folder.
    pub fn data(&self) -> PathBuf {
        self.lock().data.clone()
    }

    /// Runs one API request as the identity acted as. The app's own settings (status
    /// with identities and mode, identity switch, network, outbox mode) are answered
    /// here; everything else by the node's API on the chain this app holds.
    pub fn request(&self, req: Request) -> Result<Response, ApiError> {
        req.validate()?;
        Ok(match req {
            Request::Status(_) => Response::Status(self.status()?),
            Request::IdentitySwitch(r) => {
                self.switch(&r.name)?;
                let ids = self.identities()?;
                let identity = current_identity(&ids, self.acting_as().as_deref())
                    .cloned()
                    .ok_or_else(|| {
                        ApiError::not_found("UNKNOWN_IDENTITY", format!("no identity {}", r.name))
                    })?;
                Response::IdentitySwitch(IdentitySwitchResponse { identity })
            }
            Request::Identities(_) => Response::Identities(IdentitiesResponse {
                identities: self.identities()?,
            }),
            Request::NetworkShow(_) => Response::NetworkShow(self.network()?),
            Request::NetworkSet(r) => Response::NetworkSet(match r.invite.as_deref() {
                Some(link) if !link.trim().is_empty() => {
                    if !r.peers.is_empty() || r.genesis.is_some() {
                        return Err(ApiError::input(
                            "BAD_REQUEST",
                            "an invitation carries its own peers and genesis: give it alone",
                        ));
                    }
                    self.join_invited(link.trim())?
                }
                _ => self.set_network(&r.peers, r.genesis.as_deref())?,
            }),
            Request::Outbox(_) => {
                let mode = self.mode();
                let mut o = match self.node_call(Request::Outbox(OutboxRequest {}))? {
                    Response::Outbox(o) => o,
                    _ => return Err(ApiError::fault("BAD_RESPONSE", "outbox")),
                };
                o.mode = Some(mode.to_string());
                Response::Outbox(o)
            }
            req => self.node_call(req)?,
        })
    }

    /// Runs a typed request (see [`AppNode::request`]).
    pub fn call<E: Endpoint>(&self, req: E) -> Result<E::Response, ApiError> {
        let op = E::OP;
        E::response(self.request(req.into())?).ok_or_else(|| {
            ApiError::fault(
                "BAD_RESPONSE",
                format!("the node answered {op} with another operation's answer"),
            )
        })
    }

    /// The node's API on this app's chain. Commands on the embedded ledger run one at a
    /// time (one identity's transactions take consecutive nonces); the light node's
    /// outbox serializes its own queueing.
    fn node_call(&self, req: Request) -> Result<Response, ApiError> {
        let inner = self.lock();
        let who = Caller::local(inner.act_as.as_deref());
        match &inner.chain {
            Chain::Embedded(Ok(ledger)) => NodeApi::ledger_at(ledger, &inner.data).call(&who, req),
            Chain::Embedded(Err(e)) => {
                // What needs no chain still answers; a malformed scan is explained even
                // when the chain cannot be opened.
                let offline = NodeApi::new(api::Chain::Offline, &inner.data);
                match req {
                    Request::IdParse(_) | Request::Label(_) => offline.call(&who, req),
                    Request::Lookup(r) => {
                        offline.call(&who, Request::IdParse(IdParseRequest { scan: r.scan }))?;
                        Err(e.clone())
                    }
                    _ => Err(e.clone()),
                }
            }
            Chain::Light(l) => {
                let (l, data) = (l.clone(), inner.data.clone());
                drop(inner);
                NodeApi::new(api::Chain::Light(&l), &data).call(&who, req)
            }
        }
    }

    /// Chain status with the app's mode, the data folder and the local identities with
    /// the one acted as.
    fn status(&self) -> Result<StatusResponse, ApiError> {
        let light = self.light().is_some();
        let mut st = match self.node_call(Request::Status(StatusRequest {}))? {
            Response::Status(s) => s,
            _ => return Err(ApiError::fault("BAD_RESPONSE", "status")),
        };
        st.mode = Some(if light { "light" } else { "embedded" }.to_string());
        if !light {
            st.peers = Some(0);
            st.outbox = Some(0);
        }
        let ids = self.identities()?;
        st.identity = current_identity(&ids, self.acting_as().as_deref()).cloned();
        st.identities = Some(ids);
        st.data_dir = Some(self.data().display().to_string());
        Ok(st)
    }

    /// The identity acted as (None: the folder's first).
    pub fn acting_as(&self) -> Option<String> {
        self.lock().act_as.clone()
    }

    /// Acts as another local identity from now on.
    pub fn switch(&self, name: &str) -> Result<(), ApiError> {
        let mut inner = self.lock();
        handoff_node::identity::select(&inner.data, Some(name))
            .map_err(|e| ApiError::not_found("UNKNOWN_IDENTITY", format!("{e:#}")))?;
        inner.act_as = Some(name.to_string());
        Ok(())
    }

    /// Local identities, oldest first.
    pub fn identities(&self) -> Result<Vec<IdentityView>, ApiError> {
        let data = self.data();
        list_identities(&data)
    }
}

/// The identity acted as: the one named (by name or key prefix), else the first.
fn current_identity<'a>(ids: &'a [IdentityView], acting: Option<&str>) -> Option<&'a IdentityView> {
    acting
        .and_then(|a| {
            ids.iter()
                .find(|i| i.name.eq_ignore_ascii_case(a) || i.org.starts_with(&a.to_lowercase()))
        })
        .or(ids.first())
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
        return Err(ApiError::input(
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

    /// The saved network settings.
    pub fn network(&self) -> Result<NetworkResponse, ApiError> {
        let (peers, genesis) = read_network(&self.data());
        let mut v = NetworkResponse {
            peers,
            genesis,
            mode: self.mode().to_string(),
            chain_id: None,
            network: String::new(),
            switched: None,
            message: None,
        };
        match self.light() {
            Some(l) => {
                let st: StatusResponse = api::call(
                    &NodeApi::new(api::Chain::Light(&l), &self.data()),
                    &Caller::anonymous(),
                    StatusRequest {},
                )
                .map_err(ApiError::from)?;
                v.chain_id = Some(st.chain_id);
                v.network = format!(
                    "light node of chain {}: follows certified headers from full nodes and \
                     sends the outbox once one is reachable",
                    st.chain_name.unwrap_or_default()
                );
            }
            None => {
                v.network = "embedded single-node chain; save peers with the genesis of a network \
                     (`handoff genesis` on one of its full nodes) to join it as a light node"
                    .to_string();
            }
        }
        Ok(v)
    }

    /// Validates and saves bootstrap peers (empty: none) and, with `genesis` (hex, as
    /// `handoff genesis` prints it), joins that network: an embedded folder becomes a
    /// light folder for the acting identity and the app switches to light mode at once.
    /// The embedded chain stays in `<data>/chain`, unused while `<data>/light` exists.
    pub fn set_network(
        &self,
        peers: &[String],
        genesis: Option<&str>,
    ) -> Result<NetworkResponse, ApiError> {
        if peers.len() > MAX_PEERS {
            return Err(ApiError::input(
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
                    return Err(ApiError::input(
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
        #[derive(serde::Serialize)]
        struct Saved<'a> {
            peers: &'a [String],
            genesis: Option<String>,
        }
        let body = serde_json::to_string(&Saved {
            peers: &peers,
            genesis: genesis_hex.map(String::from).or(saved_genesis),
        })
        .map_err(|e| ApiError::fault("DATA_FOLDER", format!("cannot save the peers: {e}")))?;
        let tmp = self.data().join("network.json.tmp");
        std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, self.network_file()))
            .map_err(|e| ApiError::fault("DATA_FOLDER", format!("cannot save the peers: {e}")))?;
        let mut v = self.network()?;
        if let Some(msg) = switched {
            v.switched = Some(true);
            v.message = Some(msg);
        }
        Ok(v)
    }

    /// Joins the network of a registrar's invitation link: the folder makes the invited
    /// organisation's key, redeems the ticket with the registrar's node (the genesis
    /// checked against the link), and the app switches to light mode as that
    /// organisation. The network is not waited on under the app's lock.
    pub fn join_invited(&self, link: &str) -> Result<NetworkResponse, ApiError> {
        if self.light().is_some() {
            return Err(ApiError::input(
                "ALREADY_JOINED",
                "this folder already follows a network; a folder joins one network",
            ));
        }
        if let Chain::Embedded(Err(e)) = &self.lock().chain {
            return Err(e.clone());
        }
        let data = self.data();
        let out = handoff_node::join::join_beside_embedded(&data, None, link)?;
        let name = out.json["name"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                ApiError::fault(
                    "BAD_RESPONSE",
                    "the join did not say which organisation it admitted",
                )
            })?;
        let mut inner = self.lock();
        let (saved, _) = read_network(&inner.data);
        let all = all_peers(&inner.cli_peers, &saved);
        let session = LightSession::open(&inner.data, Some(&name), &all, inner.mdns)?;
        inner.act_as = Some(name.clone());
        inner.chain = Chain::Light(Arc::new(session));
        drop(inner);
        let mut v = self.network()?;
        v.switched = Some(true);
        v.message = Some(format!(
            "{name} was admitted to the network at block {}; Handoff now runs as its light              node and follows what concerns it",
            out.json["height"]
        ));
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
            .map_err(|e| ApiError::not_found("UNKNOWN_IDENTITY", format!("{e:#}")))?;
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

    /// The data folder's `exports/`, where files are saved when the user has no
    /// Downloads folder.
    pub fn exports_dir(&self) -> PathBuf {
        self.lock().data.join("exports")
    }

    /// Copies the chain (a consistent sled export) and the identities into
    /// `<data>/backups/<UTC time>/`.
    pub fn backup(&self) -> Result<Backup, ApiError> {
        let inner = self.lock();
        let ledger = match &inner.chain {
            Chain::Embedded(l) => l.as_ref().map_err(Clone::clone)?,
            Chain::Light(_) => return Err(light_node_error("A backup of the chain")),
        };
        let stamp =
            handoff_node::view::rfc3339(handoff_node::ledger::now_ms()).replace([':', '.'], "-");
        let dest = inner.data.join("backups").join(stamp);
        let fail = |e: String| {
            ApiError::fault(
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
        Ok(Backup {
            path: dest.display().to_string(),
            height: ledger.store.height(),
        })
    }
}

fn list_identities(data: &Path) -> Result<Vec<IdentityView>, ApiError> {
    let ids = handoff_node::identity::list(data)
        .map_err(|e| ApiError::fault("DATA_FOLDER", format!("{e:#}")))?;
    Ok(ids
        .into_iter()
        .map(|i| IdentityView {
            org: i.key.public().to_hex(),
            org_name: i.name.clone(),
            name: i.name,
        })
        .collect())
}

/// The largest file the window may ask the app to save (an EPCIS export is bounded by
/// the node's own document bound well below this).
pub const MAX_SAVED_BYTES: usize = 64 * 1024 * 1024;

/// Where a saved file went.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Saved {
    /// The file written.
    pub path: String,
}

/// Writes `text` as `dir/name` (see [`save_bytes`]).
pub fn save_file(dir: &Path, name: &str, text: &str) -> Result<Saved, ApiError> {
    save_bytes(dir, name, text.as_bytes())
}

/// Writes the bytes `data` holds in standard base64 (a PDF the node exported, whose
/// answer carries it as `data_base64`) as `dir/name` (see [`save_bytes`]). Content that
/// is no base64 is `BAD_BASE64`, and nothing is written.
pub fn save_base64(dir: &Path, name: &str, data: &str) -> Result<Saved, ApiError> {
    check_name(name)?;
    // Four base64 characters carry three bytes: refuse what would decode over the bound
    // before decoding it.
    if data.len() / 4 * 3 > MAX_SAVED_BYTES {
        return Err(too_large(data.len() / 4 * 3));
    }
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| {
            ApiError::input(
                "BAD_BASE64",
                format!("the content of {name} did not arrive whole (it is no base64: {e})"),
            )
        })?;
    save_bytes(dir, name, &bytes)
}

/// A plain file name of letters, digits, `.`, `-` and `_`, so a save stays in its folder.
fn check_name(name: &str) -> Result<(), ApiError> {
    let plain = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if plain {
        Ok(())
    } else {
        Err(ApiError::input(
            "BAD_FILE_NAME",
            format!(
                "'{name}' is not a plain file name (letters, digits, '.', '-', '_'; at most 128)"
            ),
        ))
    }
}

/// Creates `path` with `bytes`, on disk before it answers.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn too_large(len: usize) -> ApiError {
    ApiError::input(
        "TOO_LARGE",
        format!("a file of {len} bytes is over the {MAX_SAVED_BYTES} bytes the app saves"),
    )
}

/// Writes `bytes` as `dir/name`, never over an existing file (`name-1.ext`,
/// `name-2.ext`… instead) and never outside `dir`: the name is a plain file name of
/// letters, digits, `.`, `-` and `_`. The file is written and synced under a temporary
/// name, then linked to its final name, so a file with the final name is always whole.
pub fn save_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Result<Saved, ApiError> {
    check_name(name)?;
    if bytes.len() > MAX_SAVED_BYTES {
        return Err(too_large(bytes.len()));
    }
    let fail = |e: std::io::Error| {
        ApiError::fault(
            "SAVE_FAILED",
            format!("saving {name} in {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    // A temporary name of its own, so two saves of one name at once do not write into
    // each other's file.
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{n}.partial", std::process::id()));
    if let Err(e) = write_synced(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    for n in 0..1000 {
        let candidate = if n == 0 {
            dir.join(name)
        } else {
            dir.join(format!("{stem}-{n}{ext}"))
        };
        // A hard link fails if the name is taken, so two saves never overwrite each other.
        match std::fs::hard_link(&tmp, &candidate) {
            Ok(()) => {
                let _ = std::fs::remove_file(&tmp);
                return Ok(Saved {
                    path: candidate.display().to_string(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(fail(e));
            }
        }
    }
    let _ = std::fs::remove_file(&tmp);
    Err(ApiError::fault(
        "SAVE_FAILED",
        format!(
            "{} already holds 1,000 files named like {name}",
            dir.display()
        ),
    ))
}

/// Where a backup went.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Backup {
    /// The backup folder.
    pub path: String,
    /// The chain's height in it.
    pub height: u64,
}
