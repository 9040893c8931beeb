//! `light run`: the light node as a process holding its folder, and the token-protected
//! loopback endpoint (named in `light.json`) through which the other light commands reach
//! it.

use super::LightStore;
use super::cli::{LightRunArgs, parse_addrs, run_forwarded, signer_of};
use super::node::{LightOptions, Running};
use crate::cli::{CliError, Output};
use anyhow::{Context, anyhow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

type R<T> = Result<T, CliError>;

/// What `light run` writes into its folder for the other light commands.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DaemonFile {
    /// Local endpoint, `host:port`.
    pub http: String,
    /// The bearer token commands must present.
    pub token: String,
    /// Its process id.
    pub pid: u32,
}

/// Where the daemon file lives.
pub fn daemon_file(data: &Path) -> PathBuf {
    data.join("light.json")
}

pub(super) fn forward_to_daemon(data: &Path, args: &[String]) -> Option<R<Output>> {
    let bytes = std::fs::read(daemon_file(data)).ok()?;
    let f: DaemonFile = serde_json::from_slice(&bytes).ok()?;
    // A file left by a light node that was killed names an address nobody serves.
    std::net::TcpStream::connect_timeout(&f.http.parse().ok()?, Duration::from_millis(500)).ok()?;
    Some(
        match crate::gateway::forward(&format!("http://{}", f.http), &f.token, args) {
            Ok(r) => r,
            Err(e) => Err(CliError::Other(e)),
        },
    )
}

pub(super) fn run_daemon(data: &Path, me: Option<&str>, a: LightRunArgs) -> R<Output> {
    let store = Arc::new(LightStore::open(data)?);
    let signer = signer_of(data, me).ok().map(|i| i.key.public());
    let peers = parse_addrs(&a.peer)?;
    let running = Arc::new(Running::start(
        store.clone(),
        signer,
        LightOptions {
            peers,
            mdns: !a.no_mdns,
            max_inflight: a.max_inflight,
            pump: true,
        },
        Arc::new(|| {}),
    )?);
    let server = Arc::new(
        tiny_http::Server::http("127.0.0.1:0").map_err(|e| anyhow!("cannot serve HTTP: {e}"))?,
    );
    let addr = server
        .server_addr()
        .to_ip()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow!("no randomness: {e}"))?;
    let token = hex::encode(secret);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (server, store, running, token, data) = (
                server.clone(),
                store.clone(),
                running.clone(),
                token.clone(),
                data.to_path_buf(),
            );
            std::thread::spawn(move || {
                while let Ok(rq) = server.recv() {
                    serve(&store, &running, &data, &token, rq);
                }
            })
        })
        .collect();
    let file = DaemonFile {
        http: addr.clone(),
        token,
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
    running.wait_for_stop_signal();
    let _ = std::fs::remove_file(&path);
    for _ in &threads {
        server.unblock();
    }
    for t in threads {
        let _ = t.join();
    }
    let tip = store.tip()?;
    if let Ok(r) = Arc::try_unwrap(running) {
        r.shutdown();
    }
    eprintln!("light: stopped at header {tip}");
    // Nothing more on stdout once the ready line is out.
    std::process::exit(0)
}

fn serve(
    store: &LightStore,
    running: &Running,
    data: &Path,
    token: &str,
    mut rq: tiny_http::Request,
) {
    let reply = |rq: tiny_http::Request, status: u16, body: &Value| {
        let _ =
            rq.respond(tiny_http::Response::from_string(body.to_string()).with_status_code(status));
    };
    let authorized = crate::gateway::authorized(&rq, token);
    if rq.url() != "/v1/cli" || !authorized {
        return reply(
            rq,
            401,
            &json!({"error": {"code": "UNAUTHORIZED", "message": "a valid token is needed"}}),
        );
    }
    let limit = crate::limits::MAX_CLI_BODY_BYTES;
    let body = match crate::gateway::read_body(&mut rq, limit) {
        Ok(b) => b,
        Err(e) => {
            let (status, body) = e.answer(limit);
            return reply(rq, status, &body);
        }
    };
    #[derive(Deserialize)]
    struct Cmd {
        args: Vec<String>,
    }
    let answer = match serde_json::from_slice::<Cmd>(&body) {
        Err(_) => {
            json!({"exit": 2, "error": {"code": "USAGE", "message": "the body must be {\"args\": […]}"}})
        }
        Ok(c) => {
            let result = run_forwarded(store, Some(running), data, c.args);
            match result {
                Ok(o) => json!({"exit": 0, "json": o.json, "text": o.text}),
                Err(e) => {
                    let (code, message) = e.parts();
                    json!({"exit": e.exit_code(), "error": {"code": code, "message": message}})
                }
            }
        }
    };
    reply(rq, 200, &answer)
}
