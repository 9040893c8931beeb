//! `handoff node run` and `handoff testnet`.

use crate::api::{TRADING_ROLES, roles};
use crate::error::{CliError, Output};
use crate::gateway::{Gateway, GatewayOptions, NodeFile, node_file, write_node_file};
use crate::identity;
use crate::ledger::{Ledger, now_ms};
use crate::service::{Node, NodeOptions};
use anyhow::Context;
use clap::{Args, Subcommand};
use handoff_core::block::Genesis;
use handoff_core::tx::AdmitOrg;
use handoff_core::types::Role;
use handoff_net::Multiaddr;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

type R<T> = Result<T, CliError>;

/// `handoff node …`
#[derive(Subcommand, Debug)]
pub enum NodeCmd {
    /// Run this folder's node until stopped (Ctrl-C or SIGTERM): joins the network,
    /// follows the chain, serves peers, votes with `--validator`. Prints one JSON line
    /// with its peer id and addresses once it is up.
    Run(RunArgs),
    /// Refuse a peer (by peer id) on the node running on this folder until unblocked.
    Block {
        /// The peer id.
        peer: String,
    },
    /// Accept a blocked peer again.
    Unblock {
        /// The peer id.
        peer: String,
    },
    /// Make a bearer token for the HTTP API that acts as one identity of this folder
    /// (its actions are signed by that identity). Printed once; the folder keeps only
    /// its SHA-256. A node running on the folder takes it at its next start.
    Token {
        /// The identity's name.
        identity: String,
    },
}

/// `handoff node run` options.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Listen address (repeatable), e.g. `/ip4/0.0.0.0/tcp/7420` or
    /// `/ip4/0.0.0.0/udp/7420/quic-v1`. Default: TCP and QUIC on port 7420.
    #[arg(long)]
    pub listen: Vec<String>,
    /// A peer to dial and keep dialing (repeatable), e.g. `/ip4/10.0.0.5/tcp/7420`.
    #[arg(long)]
    pub peer: Vec<String>,
    /// HTTP address of the node's API (default: 127.0.0.1, any port).
    #[arg(long)]
    pub http: Option<String>,
    /// The built UI to serve at `/` (default: `ui/dist` under the current folder, when
    /// it holds an `index.html`). The node then prints the link that opens it signed in
    /// (`browser_url`, also in `node.json`).
    #[arg(long)]
    pub ui: Option<std::path::PathBuf>,
    /// The built consumer page (`cargo xtask ui` builds it into `consumer/dist`) that
    /// browsers get when they open a product's Digital Link on this node (default:
    /// `consumer/dist` under the current folder, when it holds an `index.html`).
    #[arg(long)]
    pub consumer: Option<std::path::PathBuf>,
    /// An origin a browser may call the API from (CORS; repeatable). None: CORS is off.
    #[arg(long)]
    pub cors: Vec<String>,
    /// Public reads (status, lookup, item, history, verify, product) a second per client
    /// address; 0 turns the limit off.
    #[arg(long, default_value_t = handoff_http::limits::PUBLIC_REQUESTS_PER_SECOND)]
    pub public_rate: u64,
    /// A reverse proxy in front of this node whose `X-Forwarded-For` names the client
    /// (repeatable). Lookups of sold items are counted per client network to spot copied
    /// labels; without this, every lookup through a proxy counts as the proxy's.
    #[arg(long = "trusted-proxy")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Vote in consensus with this folder's validator key.
    #[arg(long)]
    pub validator: bool,
    /// Do not look for peers on the local network (mDNS).
    #[arg(long)]
    pub no_mdns: bool,
}

/// `handoff testnet` options.
#[derive(Args, Debug)]
pub struct TestnetArgs {
    /// Validators (one data folder each: `node0`, `node1`, … under `--data`).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// The first org (registrar and every trading role), known in every folder.
    #[arg(long, default_value = "Testnet Registry")]
    pub org: String,
    /// Its GS1 company prefixes.
    #[arg(long = "prefix")]
    pub prefixes: Vec<String>,
}

fn addrs(list: &[String], what: &str) -> R<Vec<Multiaddr>> {
    list.iter()
        .map(|a| {
            a.parse::<Multiaddr>().map_err(|e| {
                CliError::input(
                    "BAD_ADDRESS",
                    format!("{what} '{a}' is not a multiaddr: {e}"),
                )
            })
        })
        .collect()
}

/// Runs a node until it is told to stop.
pub fn run(data: &Path, cmd: NodeCmd) -> R<Output> {
    let block = matches!(cmd, NodeCmd::Block { .. });
    let a = match cmd {
        NodeCmd::Run(a) => a,
        NodeCmd::Token { identity } => {
            let (name, token) = crate::gateway::add_token(data, &identity)?;
            return Ok(Output {
                json: json!({"identity": name, "token": token}),
                text: format!(
                    "token for {name} (shown once; a running node takes it at its next start):\n{token}"
                ),
            });
        }
        NodeCmd::Block { peer } | NodeCmd::Unblock { peer } => {
            if peer.parse::<handoff_net::PeerId>().is_err() {
                return Err(CliError::input(
                    "BAD_PEER",
                    format!("'{peer}' is not a peer id"),
                ));
            }
            let v = crate::gateway::set_blocked_local(data, &peer, block)?;
            let text = format!("{} {peer}", if block { "blocked" } else { "unblocked" });
            return Ok(Output { json: v, text });
        }
    };
    let listen = if a.listen.is_empty() {
        addrs(
            &[
                "/ip4/0.0.0.0/tcp/7420".to_string(),
                "/ip4/0.0.0.0/udp/7420/quic-v1".to_string(),
            ],
            "listen address",
        )?
    } else {
        addrs(&a.listen, "listen address")?
    };
    let peers = addrs(&a.peer, "peer")?;
    let ledger = Arc::new(Ledger::open_node(data)?);
    let mut opts = NodeOptions::new(listen, peers, a.validator);
    opts.mdns = !a.no_mdns;
    let node = Node::start(ledger.clone(), opts)?;
    ledger.attach_network(Box::new(node.handle()))?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let token = hex::encode(secret);
    let http = a.http.unwrap_or_else(|| "127.0.0.1:0".to_string());
    let ui_dir = a.ui.or_else(|| {
        let d = std::path::PathBuf::from("ui/dist");
        d.join("index.html").is_file().then_some(d)
    });
    let serves_ui = ui_dir.is_some();
    let consumer_dir = a.consumer.or_else(|| {
        let d = std::path::PathBuf::from("consumer/dist");
        d.join("index.html").is_file().then_some(d)
    });
    let gateway = Gateway::start(
        ledger.clone(),
        node.handle(),
        GatewayOptions {
            addr: http,
            token: token.clone(),
            ui_dir,
            consumer_dir,
            cors_origins: a.cors,
            public_rate: a.public_rate,
            trusted_proxies: a.trusted_proxies,
        },
    )?;
    let browser_url = serves_ui.then(|| gateway.browser_url(&token));
    let listen: Vec<String> = node.listen.iter().map(|m| m.to_string()).collect();
    write_node_file(
        data,
        &NodeFile {
            http: gateway.addr.clone(),
            token,
            peer_id: node.peer_id.to_string(),
            listen: listen.clone(),
            pid: std::process::id(),
            browser_url: browser_url.clone(),
        },
    )?;
    let ready = json!({
        "ready": true,
        "peer_id": node.peer_id.to_string(),
        "listen": listen,
        "http": gateway.addr,
        "validator": a.validator,
        "height": ledger.store.height(),
        "browser_url": browser_url,
    });
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{ready}");
        let _ = out.flush();
    }
    if let Some(url) = &browser_url {
        // For the person at the terminal; the JSON line above is for programs.
        eprintln!("open the Handoff UI in a browser (signed in as this node): {url}");
    }
    node.wait_for_stop_signal();
    let _ = std::fs::remove_file(node_file(data));
    gateway.stop();
    let height = ledger.store.height();
    node.shutdown();
    Ok(Output {
        json: json!({"stopped": true, "height": height}),
        text: format!("stopped at height {height}"),
    })
}

/// Creates `validators` data folders under `root` sharing one genesis.
pub fn testnet(root: &Path, a: TestnetArgs) -> R<Output> {
    if a.validators == 0 || a.validators > handoff_core::limits::MAX_VALIDATORS {
        return Err(CliError::input(
            "USAGE",
            format!(
                "--validators must be 1 to {}",
                handoff_core::limits::MAX_VALIDATORS
            ),
        ));
    }
    let dirs: Vec<_> = (0..a.validators)
        .map(|i| root.join(format!("node{i}")))
        .collect();
    if let Some(d) = dirs.iter().find(|d| d.join("chain").exists()) {
        return Err(CliError::input(
            "ALREADY_INITIALIZED",
            format!("{} already holds a chain", d.display()),
        ));
    }
    let mut rs = roles(&[], &TRADING_ROLES)?;
    rs.push(Role::Registrar);
    let org = identity::generate()?;
    let keys = (0..a.validators)
        .map(|_| identity::generate())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let now = now_ms();
    let genesis = Genesis {
        name: format!("{} testnet", a.org.trim()),
        time_ms: now,
        validators: keys.iter().map(|k| k.public()).collect(),
        orgs: vec![AdmitOrg {
            org: org.public(),
            name: a.org.trim().to_string(),
            prefixes: a.prefixes.clone(),
            glns: vec![],
            roles: rs,
        }],
    };
    let mut nodes = Vec::new();
    for (dir, key) in dirs.iter().zip(keys) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        identity::save(dir, &a.org, &org, now)?;
        identity::save_validator(dir, &key, now)?;
        let ledger = Ledger::create(dir, &genesis, key)?;
        ledger.store.flush()?;
        nodes.push(
            json!({"data": dir.display().to_string(), "validator": ledger.validator().to_hex()}),
        );
    }
    Ok(Output {
        json: json!({"chain_id": genesis.chain_id().to_hex(), "org": org.public().to_hex(), "nodes": nodes}),
        text: format!(
            "{} validator folders under {} (chain {})",
            a.validators,
            root.display(),
            genesis.chain_id().short()
        ),
    })
}
