//! `light run`: the light node as a process holding its folder, serving the typed API of
//! its light session on `handoff_http` (the same `/v1/…` routes as a full node, answered
//! by [`crate::api::NodeApi`] in light mode), and `light.json`, through which the other
//! light commands reach it with the typed client.
//!
//! Tokens: the daemon's own (in `light.json`, readable by the folder's owner only) acts as
//! the folder's default identity; one more is made at every start for each identity of
//! the folder (also in `light.json`, by name), so `handoff --as NAME light …` acts as
//! NAME; tokens made with `handoff node token NAME` (`http_tokens.json`) are taken too.
//! Public reads need none, as on a full node.

use super::LightStore;
use super::cli::{LightRunArgs, parse_addrs, signer_of};
use super::node::LightOptions;
use super::session::LightSession;
use crate::api::{Chain, NodeApi};
use crate::error::{CliError, Output};
use crate::identity;
use anyhow::{Context, anyhow};
use handoff_api::{Api, ApiError, Caller, Request, Response};
use handoff_http::{Client, Server, ServerOptions};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

type R<T> = Result<T, CliError>;

/// What `light run` writes into its folder for the other light commands.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DaemonFile {
    /// The HTTP API's address, `host:port`.
    pub http: String,
    /// The bearer token of the folder's default identity.
    pub token: String,
    /// A bearer token for each identity of the folder, by name.
    #[serde(default)]
    pub tokens: BTreeMap<String, String>,
    /// Its process id.
    pub pid: u32,
}

/// Where the daemon file lives.
pub fn daemon_file(data: &Path) -> PathBuf {
    data.join("light.json")
}

/// A client of the light node running on `data`, presenting the token of `me` (None:
/// the folder's default identity). `None`: no light node runs there (no file, or a file
/// left by a light node that was killed, naming an address nobody serves).
pub(super) fn daemon_client(data: &Path, me: Option<&str>) -> R<Option<Client>> {
    let Ok(bytes) = std::fs::read(daemon_file(data)) else {
        return Ok(None);
    };
    let Ok(f) = serde_json::from_slice::<DaemonFile>(&bytes) else {
        return Ok(None);
    };
    let Ok(addr) = f.http.parse::<std::net::SocketAddr>() else {
        return Ok(None);
    };
    if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
        return Ok(None);
    }
    let token = match me {
        None => f.token,
        Some(me) => {
            let id = signer_of(data, Some(me))?;
            f.tokens.get(&id.name).cloned().ok_or_else(|| {
                CliError::input(
                    "UNKNOWN_IDENTITY",
                    format!(
                        "the light node running on {} was started before the identity {} \
                         was added to the folder: stop it and start it again to act as {}",
                        data.display(),
                        id.name,
                        id.name
                    ),
                )
            })?
        }
    };
    Ok(Some(Client::new(
        &format!("http://{}", f.http),
        Some(&token),
    )))
}

/// The light session's API as the server holds it.
struct ServedLight(Arc<LightSession>);

impl Api for ServedLight {
    fn call(&self, who: &Caller, req: Request) -> Result<Response, ApiError> {
        NodeApi::new(Chain::Light(&self.0), self.0.data()).call(who, req)
    }
}

fn new_token() -> R<String> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow!("no randomness: {e}"))?;
    Ok(hex::encode(secret))
}

pub(super) fn run_daemon(data: &Path, me: Option<&str>, a: LightRunArgs) -> R<Output> {
    let store = Arc::new(LightStore::open(data)?);
    let signer = signer_of(data, me).ok().map(|i| i.key.public());
    // The peers given, then those the folder saved when it joined by invitation.
    let mut listed = a.peer.clone();
    for p in crate::join::saved_peers(data)? {
        if !listed.contains(&p) {
            listed.push(p);
        }
    }
    let peers = parse_addrs(&listed)?;
    let session = Arc::new(LightSession::start_with(
        store.clone(),
        data,
        signer,
        LightOptions {
            peers,
            mdns: !a.no_mdns,
            max_inflight: a.max_inflight,
            pump: true,
        },
    )?);
    let token = new_token()?;
    let mut tokens = crate::gateway::tokens(data, &token)?;
    let mut by_name = BTreeMap::new();
    for id in identity::list(data)? {
        let t = new_token()?;
        tokens = tokens.with(&t, Some(id.name.clone()));
        by_name.insert(id.name, t);
    }
    let mut opts = ServerOptions::new(a.http.unwrap_or_else(|| "127.0.0.1:0".into()), tokens);
    opts.ui_dir = a.ui.or_else(|| {
        let d = PathBuf::from("ui/dist");
        d.join("index.html").is_file().then_some(d)
    });
    let server =
        Server::start(Arc::new(ServedLight(session.clone())), opts).map_err(anyhow::Error::from)?;
    let addr = server.addr.to_string();
    let file = DaemonFile {
        http: addr.clone(),
        token,
        tokens: by_name,
        pid: std::process::id(),
    };
    let path = daemon_file(data);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(&file).map_err(anyhow::Error::from)?,
    )
    .with_context(|| format!("cannot write {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
            .map_err(anyhow::Error::from)?;
    }
    std::fs::rename(&tmp, &path).map_err(anyhow::Error::from)?;
    let ready = json!({
        "ready": true,
        "light": true,
        "http": addr,
        "chain_id": store.chain_id()?.to_hex(),
        "tip": store.tip()?,
    });
    {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{ready}");
        let _ = o.flush();
    }
    session.running().wait_for_stop_signal();
    let _ = std::fs::remove_file(&path);
    // The server's runtime holds the session: stopped first, it lets go of it.
    server.stop();
    let tip = store.tip()?;
    if let Ok(s) = Arc::try_unwrap(session) {
        s.shutdown();
    }
    eprintln!("light: stopped at header {tip}");
    // Nothing more on stdout once the ready line is out.
    std::process::exit(0)
}
