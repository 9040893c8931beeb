//! The node's HTTP server (`handoff node run --http ADDR`) and the client side of it.
//!
//! The server is `handoff_http`'s (axum): the typed API under `/v1/…` answered by the
//! node's one implementation (`crate::api::NodeApi`) on this node's ledger, committing
//! through consensus; the OpenAPI document at `/v1/openapi.json`; the built UI at `/`
//! when given. Actions need a bearer token: the node's own (written to `node.json`,
//! readable only by its owner, standing for the folder's default identity) or one made
//! for an identity with `handoff node token NAME` (kept in `http_tokens.json` as its
//! SHA-256 only). Reads of public data need none. When it serves the UI, the node prints
//! and writes to `node.json` (`browser_url`) the link `http://ADDR/#token=…` that opens
//! the UI in a browser signed in as the folder's default identity; the UI moves the token
//! out of the address into the tab's session storage.
//!
//! One node route sits beside the API: `POST /v1/peers/block` (`handoff node block`).
//!
//! A running node holds its data folder (sled allows one opener), so a `handoff` command
//! on that folder sends its typed request to the node ([`running_node`], a typed
//! `handoff_http::Client` with the node's own token) and renders the typed answer as it
//! would locally; `handoff --node http://HOST:PORT --token T …` does the same against a
//! node on another machine. The identity rule (which token may act as which identity)
//! is `handoff_http::auth`'s.

use crate::ledger::Ledger;
use crate::limits::MAX_PEER_BLOCK_BODY_BYTES;
use crate::service::NodeHandle;
use anyhow::{Context, Result, anyhow};
use handoff_api::{Api, ApiError, Caller, Request, Response};
use handoff_http::server::NodeAction;
use handoff_http::{RateLimit, Server, ServerOptions, Tokens};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a running node writes into its data folder for local commands.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeFile {
    /// Gateway address, `host:port`.
    pub http: String,
    /// The bearer token commands must present.
    pub token: String,
    /// The node's peer id.
    pub peer_id: String,
    /// Its listen addresses.
    pub listen: Vec<String>,
    /// Its process id.
    pub pid: u32,
    /// The link that opens the UI this node serves in a browser, signed in with the node's
    /// own token (`http://ADDR/#token=…`; absent when it serves no UI). The UI takes the
    /// token from the address once and keeps it for the browser tab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_url: Option<String>,
}

/// Where the node file lives.
pub fn node_file(data: &Path) -> PathBuf {
    data.join("node.json")
}

/// Writes the node file, readable by its owner only.
pub fn write_node_file(data: &Path, f: &NodeFile) -> Result<()> {
    let path = node_file(data);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(f)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
}

/// Tokens made for identities of the folder (`handoff node token NAME`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFile {
    /// One entry per token.
    pub tokens: Vec<TokenEntry>,
}

/// One token made for an identity: only its SHA-256 is kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    /// The identity its actions are signed by (a name of the folder's identities).
    pub identity: String,
    /// SHA-256 of the token, hex.
    pub sha256: String,
    /// When it was made, Unix ms.
    pub created_ms: i64,
}

/// Where the tokens made for identities are kept.
pub fn tokens_file(data: &Path) -> PathBuf {
    data.join("http_tokens.json")
}

/// The tokens made for identities. No file: none. A file that does not read is an error
/// (the node does not start with fewer tokens than its owner made, nor guess).
pub(crate) fn load_tokens(data: &Path) -> Result<TokenFile> {
    let path = tokens_file(data);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a token file", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TokenFile::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Makes a token for the identity `name` of the folder and returns it (it is shown once;
/// the folder keeps its SHA-256). A node running on the folder takes it at its next start.
pub(crate) fn add_token(data: &Path, name: &str) -> Result<(String, String)> {
    let id = crate::identity::select(data, Some(name))?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow!("no randomness: {e}"))?;
    let token = hex::encode(secret);
    let mut file = load_tokens(data)?;
    file.tokens.push(TokenEntry {
        identity: id.name.clone(),
        sha256: hex::encode(Tokens::digest(&token)),
        created_ms: crate::ledger::now_ms(),
    });
    let path = tokens_file(data);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&file)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok((id.name, token))
}

/// The tokens a node on `data` accepts: its own (the default identity's) and those made
/// for identities.
pub(crate) fn tokens(data: &Path, node_token: &str) -> Result<Tokens> {
    let mut t = Tokens::new().with(node_token, None);
    for e in load_tokens(data)?.tokens {
        let digest: [u8; 32] = hex::decode(&e.sha256)
            .ok()
            .and_then(|d| d.try_into().ok())
            .with_context(|| {
                format!(
                    "a token of {} in {} is not a SHA-256",
                    e.identity,
                    tokens_file(data).display()
                )
            })?;
        t = t.with_digest(digest, Some(e.identity));
    }
    Ok(t)
}

/// The node's API as the server holds it: the ledger, the network node and the folder.
struct ServedApi {
    ledger: Arc<Ledger>,
    node: NodeHandle,
    data: PathBuf,
}

impl Api for ServedApi {
    fn call(&self, who: &Caller, req: Request) -> Result<Response, ApiError> {
        crate::api::NodeApi::ledger_at(&self.ledger, &self.data)
            .with_node(&self.node)
            .call(who, req)
    }
}

/// How the node's HTTP server is set up (`handoff node run` options).
#[derive(Clone, Debug)]
pub struct GatewayOptions {
    /// `host:port` (port 0: any).
    pub addr: String,
    /// The node's own token (the default identity's).
    pub token: String,
    /// The built UI to serve at `/`.
    pub ui_dir: Option<PathBuf>,
    /// The built consumer page, served at `/c/` and to browsers opening a Digital Link.
    pub consumer_dir: Option<PathBuf>,
    /// Origins a browser may call the API from (CORS); none: CORS off.
    pub cors_origins: Vec<String>,
    /// Public reads a second per client address (0: no limit).
    pub public_rate: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// A running server.
pub struct Gateway {
    server: Server,
    /// The bound address.
    pub addr: String,
}

impl Gateway {
    /// Serves the node's API on `ledger` as `opts` say.
    pub fn start(ledger: Arc<Ledger>, node: NodeHandle, opts: GatewayOptions) -> Result<Gateway> {
        let data = ledger.data().to_path_buf();
        let mut o = ServerOptions::new(opts.addr.clone(), tokens(&data, &opts.token)?);
        o.ui_dir = opts.ui_dir;
        o.consumer_dir = opts.consumer_dir;
        o.cors_origins = opts.cors_origins;
        o.trusted_proxies = opts.trusted_proxies;
        o.rate_limit = match opts.public_rate {
            0 => None,
            n => Some(RateLimit {
                per_second: n,
                ..RateLimit::default()
            }),
        };
        o.node_actions = vec![block_action(node.clone())];
        let api = Arc::new(ServedApi { ledger, node, data });
        let server = Server::start(api, o)?;
        Ok(Gateway {
            addr: server.addr.to_string(),
            server,
        })
    }

    /// The link that opens the served UI signed in with `token`: the bound address (a
    /// wildcard address becomes loopback: the link is for the person at this machine),
    /// the token in the fragment, which a browser never sends to a server.
    pub fn browser_url(&self, token: &str) -> String {
        let mut addr = self.server.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}/#token={token}")
    }

    /// Stops serving.
    pub fn stop(self) {
        self.server.stop();
    }
}

/// `POST /v1/peers/block`: `{"peer": PEER_ID, "block": bool}`.
fn block_action(node: NodeHandle) -> NodeAction {
    NodeAction {
        path: "/v1/peers/block",
        max_body: MAX_PEER_BLOCK_BODY_BYTES as usize,
        run: Arc::new(move |body| {
            #[derive(Deserialize)]
            struct Block {
                peer: String,
                block: bool,
            }
            let parsed = serde_json::from_slice::<Block>(body).ok().and_then(|b| {
                b.peer
                    .parse::<handoff_net::PeerId>()
                    .ok()
                    .map(|p| (p, b.block))
            });
            let Some((peer, block)) = parsed else {
                return Err(ApiError::input(
                    "BAD_PEER",
                    "the body must be {\"peer\": PEER_ID, \"block\": bool}",
                ));
            };
            node.set_blocked(peer, block)
                .map_err(|e| ApiError::unavailable("STOPPED", format!("{e:#}")))?;
            Ok(json!({"peer": peer.to_string(), "blocked": block}))
        }),
    }
}

/// Blocks or unblocks a peer on the node running on `data`.
pub fn set_blocked_local(data: &Path, peer: &str, block: bool) -> Result<Value> {
    let bytes = std::fs::read(node_file(data))
        .with_context(|| format!("no node is running on {}", data.display()))?;
    let f: NodeFile = serde_json::from_slice(&bytes)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(&format!("http://{}/v1/peers/block", f.http))
        .header("Authorization", &format!("Bearer {}", f.token))
        .send(json!({"peer": peer, "block": block}).to_string().as_bytes())
        .map_err(|e| anyhow!("cannot reach the node: {e}"))?;
    let ok = resp.status().as_u16() == 200;
    let v: Value = serde_json::from_str(&resp.body_mut().read_to_string()?)?;
    if !ok {
        anyhow::bail!(
            "{} [{}]",
            v["error"]["message"].as_str().unwrap_or_default(),
            v["error"]["code"].as_str().unwrap_or("ERROR")
        );
    }
    Ok(v)
}

/// A typed client of the node running on `data`, with the node's own token (the
/// folder's owner: any identity of the folder may be acted as). `None`: no node runs on
/// it (no `node.json`, or one left by a node that was killed, naming an address nobody
/// serves).
pub fn running_node(data: &Path) -> Option<handoff_http::Client> {
    let bytes = std::fs::read(node_file(data)).ok()?;
    let f: NodeFile = serde_json::from_slice(&bytes).ok()?;
    std::net::TcpStream::connect_timeout(
        &f.http.parse().ok()?,
        std::time::Duration::from_millis(500),
    )
    .ok()?;
    Some(handoff_http::Client::new(
        &format!("http://{}", f.http),
        Some(&f.token),
    ))
}
