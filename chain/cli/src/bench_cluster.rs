//! `handoff bench cluster`: applied transactions and completed handoffs per second, and
//! finality latency, of a local network of validators, each a separate `handoff node run
//! --validator` process on loopback TCP, under a steady offered load.
//!
//! The bench creates the validators' folders (one genesis, two trading orgs), starts the
//! processes, and joins the network itself as a non-voting peer. It commissions the items
//! first (not timed), then gossips pre-signed handoffs (each a proposal and its
//! acceptance) at a fixed rate, as any node relays its users' transactions. A
//! transaction's finality latency runs from the moment the bench sends it to the moment
//! the certified header of the block holding it arrives (the bench fetches each
//! announced block to see which transactions it holds and the outcome the block records
//! for each).
//!
//! Only transactions the ledger **applied** count: a transaction included in a block but
//! refused by a ledger rule is reported apart (`refused_txs`, by rejection code), never as
//! committed work. A handoff is two transactions (the proposal and its acceptance); it is
//! complete when its acceptance is applied, so `committed_handoffs_per_s` counts applied
//! acceptances.
//!
//! `--rtt-ms N` puts a delay relay between every ordered pair of validators: validator
//! *i* reaches validator *j* through a TCP relay in the bench process that holds every
//! byte for N/2 ms in each direction, so every validator-to-validator connection has an
//! N ms round trip (the bench itself, like a client next to its validator, talks to the
//! validators directly). The relay delays in user space because the kernels these
//! machines run have no netem queueing discipline; the round trip it really adds is
//! measured through a relay to an echo server before the run and reported as
//! `measured_relay_rtt_ms`.

use crate::bench::machine;
use anyhow::{Context, Result, bail};
use clap::Args;
use handoff_core::block::Genesis;
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::tx::*;
use handoff_core::types::{Hash32, Role, TxId};
use handoff_net::{NetConfig, NetEvent, Network, PeerId, Request, Response, Topic, Verdict};
use handoff_node::ledger::{Ledger, now_ms};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Options of `bench cluster`.
#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// Validator processes.
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Offered load, transactions per second (half proposals, half acceptances).
    #[arg(long, default_value_t = 4000)]
    pub rate: u64,
    /// Seconds of steady load.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Where to put the validators' folders (default: a temporary folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    /// Round-trip delay between validators, in ms (each validator-to-validator connection
    /// runs through a relay that holds each byte for half of it). 0: plain loopback.
    #[arg(long, default_value_t = 0)]
    pub rtt_ms: u64,
}

struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn sign(key: &Keypair, chain_id: Hash32, nonce: &mut u64, payload: Payload) -> Result<SignedTx> {
    let tx = key.sign_tx(TxBody {
        version: TX_VERSION,
        chain_id,
        signer: key.public(),
        nonce: *nonce,
        event_time_ms: now_ms(),
        payload,
    })?;
    *nonce += 1;
    Ok(tx)
}

/// Runs the bench.
pub fn run(a: ClusterArgs) -> Result<Value> {
    if a.validators == 0 || a.validators > 16 || a.rate == 0 || a.seconds == 0 {
        bail!("--validators must be 1 to 16, --rate and --seconds positive");
    }
    let say = |m: &str| {
        if !a.quiet {
            eprintln!("{m}");
        }
    };
    let tmp = tempfile::Builder::new()
        .prefix("handoff-cluster")
        .tempdir()?;
    let root = a.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&root)?;

    // One genesis: the validators and two trading orgs.
    let maker = handoff_node::identity::generate()?;
    let store = handoff_node::identity::generate()?;
    let keys: Vec<Keypair> = (0..a.validators)
        .map(|_| handoff_node::identity::generate())
        .collect::<Result<_>>()?;
    let roles = vec![Role::Manufacturer, Role::Warehouse, Role::Retailer];
    let genesis = Genesis {
        name: "cluster bench".into(),
        time_ms: now_ms(),
        validators: keys.iter().map(|k| k.public()).collect(),
        orgs: vec![
            AdmitOrg {
                org: maker.public(),
                name: "Bench Maker".into(),
                prefixes: vec!["0614141".into()],
                glns: vec![],
                roles: roles.clone(),
            },
            AdmitOrg {
                org: store.public(),
                name: "Bench Store".into(),
                prefixes: vec![],
                glns: vec![],
                roles,
            },
        ],
    };
    let chain_id = genesis.chain_id();
    let mut dirs = Vec::new();
    for (i, k) in keys.into_iter().enumerate() {
        let d = root.join(format!("node{i}"));
        if d.join("chain").exists() {
            bail!("{} already holds a chain", d.display());
        }
        std::fs::create_dir_all(&d)?;
        handoff_node::identity::save_validator(&d, &k, now_ms())?;
        let l = Ledger::create(&d, &genesis, k)?;
        l.store.flush()?;
        dirs.push(d);
    }
    let ports: Vec<u16> = (0..a.validators)
        .map(|_| free_port())
        .collect::<Result<_>>()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    // With --rtt-ms, validator i dials validator j through relays[i][j].
    let one_way = Duration::from_micros(a.rtt_ms * 500);
    let (relays, measured_relay_rtt_ms) = if a.rtt_ms > 0 {
        let relays = rt.block_on(async {
            let mut all = Vec::new();
            for i in 0..ports.len() {
                let mut row = Vec::new();
                for (j, p) in ports.iter().enumerate() {
                    row.push(if i == j {
                        *p
                    } else {
                        delay::relay(*p, one_way).await?
                    });
                }
                all.push(row);
            }
            anyhow::Ok(all)
        })?;
        let rtt = rt.block_on(delay::measure(one_way))?;
        say(&format!(
            "validators linked through delay relays: {rtt:.1} ms measured round trip"
        ));
        (relays, Some(rtt))
    } else {
        (vec![ports.clone(); ports.len()], None)
    };
    let exe = std::env::current_exe().context("cannot find the handoff binary")?;
    let mut procs = Procs(Vec::new());
    for (i, d) in dirs.iter().enumerate() {
        let mut cmd = Command::new(&exe);
        cmd.arg("--data")
            .arg(d)
            .args(["node", "run", "--validator", "--no-mdns", "--listen"])
            .arg(format!("/ip4/127.0.0.1/tcp/{}", ports[i]));
        for (j, p) in relays[i].iter().enumerate() {
            if j != i {
                cmd.arg("--peer").arg(format!("/ip4/127.0.0.1/tcp/{p}"));
            }
        }
        let log = std::fs::File::create(root.join(format!("node{i}.log")))?;
        let mut child = cmd.stdout(Stdio::piped()).stderr(log).spawn()?;
        let out = child.stdout.take().context("validator stdout")?;
        procs.0.push(child);
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line)?;
        if !line.contains("\"ready\":true") {
            bail!(
                "validator {i} did not start: {line} (see {})",
                root.display()
            );
        }
    }
    say(&format!(
        "{} validators up under {}",
        a.validators,
        root.display()
    ));

    let result = rt.block_on(drive(&a, chain_id, &maker, &store, &ports, &say));
    drop(procs);
    let mut out = result?;
    out["rtt_ms"] = json!(a.rtt_ms);
    out["measured_relay_rtt_ms"] = json!(measured_relay_rtt_ms);
    out["machine"] = machine();
    Ok(out)
}

/// The delay relay of `--rtt-ms`.
mod delay {
    use anyhow::{Context, Result};
    use std::net::SocketAddr;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::mpsc;
    use tokio::time::Instant;

    /// Starts a relay to `127.0.0.1:port` that holds each byte `one_way` in each
    /// direction; returns the relay's port. It runs until the runtime stops.
    pub async fn relay(port: u16, one_way: Duration) -> Result<u16> {
        let target = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let own = listener.local_addr()?.port();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let (ri, wi) = inbound.into_split();
                    let (ro, wo) = outbound.into_split();
                    tokio::join!(late_copy(ri, wo, one_way), late_copy(ro, wi, one_way));
                });
            }
        });
        Ok(own)
    }

    /// Copies `r` to `w`, each chunk written `by` after it was read, in order.
    async fn late_copy(mut r: OwnedReadHalf, mut w: OwnedWriteHalf, by: Duration) {
        let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
        let read = async move {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n @ 1..) = r.read(&mut buf).await {
                if tx.send((Instant::now() + by, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        };
        let write = async move {
            while let Some((due, chunk)) = rx.recv().await {
                tokio::time::sleep_until(due).await;
                if w.write_all(&chunk).await.is_err() {
                    return;
                }
            }
            let _ = w.shutdown().await;
        };
        tokio::join!(read, write);
    }

    /// The mean of five one-byte round trips through a relay to an echo server, in ms.
    pub async fn measure(one_way: Duration) -> Result<f64> {
        let echo = TcpListener::bind("127.0.0.1:0").await?;
        let echo_port = echo.local_addr()?.port();
        tokio::spawn(async move {
            if let Ok((mut s, _)) = echo.accept().await {
                let mut b = [0u8; 1];
                while s.read_exact(&mut b).await.is_ok() && s.write_all(&b).await.is_ok() {}
            }
        });
        let port = relay(echo_port, one_way).await?;
        let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
        s.set_nodelay(true)?;
        let mut total = Duration::ZERO;
        let mut b = [7u8; 1];
        for _ in 0..5 {
            let t = Instant::now();
            s.write_all(&b).await?;
            tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut b))
                .await
                .context("the delay relay did not echo")??;
            total += t.elapsed();
        }
        Ok(total.as_secs_f64() * 1000.0 / 5.0)
    }
}

async fn drive(
    a: &ClusterArgs,
    chain_id: Hash32,
    maker: &Keypair,
    store: &Keypair,
    ports: &[u16],
    say: &dyn Fn(&str),
) -> Result<Value> {
    let mut cfg = NetConfig::new(handoff_node::identity::generate()?);
    cfg.mdns = false;
    cfg.bootstrap = ports
        .iter()
        .map(|p| format!("/ip4/127.0.0.1/tcp/{p}").parse())
        .collect::<Result<_, _>>()?;
    let (net, mut events) = Network::start(cfg).await?;
    let mut peers: Vec<PeerId> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while peers.len() < ports.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(NetEvent::PeerConnected(p))) => peers.push(p),
            Ok(Some(NetEvent::Gossip { msg_id, peer, .. })) => {
                let _ = net.report_validation(msg_id, peer, Verdict::Ignore).await;
            }
            Ok(Some(_)) => {}
            _ => bail!("connected to {} of {} validators", peers.len(), ports.len()),
        }
    }
    // Let gossipsub learn the peers' subscriptions before publishing.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let d13 = "0061414100001";
    let gtin = format!("{d13}{}", check_digit(d13).unwrap_or(0));
    let (mut nm, mut ns) = (0u64, 0u64);
    let pairs = (a.rate * a.seconds / 2) as usize;
    let item = |i: usize| Gs1Key::Serial {
        gtin: gtin.clone(),
        serial: format!("C{i:09}"),
    };

    // Setup, not timed: the product and the items.
    let mut setup = vec![sign(
        maker,
        chain_id,
        &mut nm,
        Payload::DefineProduct {
            gtin: gtin.clone(),
            name: "Bench item".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        },
    )?];
    for chunk in (0..pairs).collect::<Vec<_>>().chunks(1000) {
        setup.push(sign(
            maker,
            chain_id,
            &mut nm,
            Payload::Commission(Commission {
                entries: chunk.iter().map(|i| Entry::item(item(*i))).collect(),
                claim_keys: vec![],
                at: None,
                lot: None,
                expiry: None,
                attributes: vec![],
            }),
        )?);
    }
    let last_setup = setup.last().map(|t| (t.body.signer, t.body.nonce));
    for t in &setup {
        match net
            .request(peers[0], Request::SubmitTx { tx: t.encode() })
            .await?
        {
            Response::Submitted(handoff_net::SubmitOutcome::Accepted) => {}
            other => bail!("setup transaction refused: {other:?}"),
        }
        // A peer answers a bounded number of requests per second.
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    if let Some((signer, nonce)) = last_setup {
        let t = Instant::now();
        loop {
            if let Response::TxLocation(Some(_)) = net
                .request(peers[0], Request::TxLocation { signer, nonce })
                .await?
            {
                break;
            }
            if t.elapsed() > Duration::from_secs(120) {
                bail!("the setup transactions were not committed within two minutes");
            }
            // Announcements arrive meanwhile; nothing to validate for them yet.
            while let Ok(ev) = events.try_recv() {
                if let NetEvent::Gossip { msg_id, peer, .. } = ev {
                    let _ = net.report_validation(msg_id, peer, Verdict::Ignore).await;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    say(&format!(
        "{pairs} items commissioned; signing {} handoff transactions",
        2 * pairs
    ));

    let mut load: Vec<SignedTx> = Vec::with_capacity(2 * pairs);
    // The acceptances: a handoff is complete when its acceptance is applied.
    let mut acceptances: std::collections::HashSet<TxId> =
        std::collections::HashSet::with_capacity(pairs);
    for i in 0..pairs {
        let p = sign(
            maker,
            chain_id,
            &mut nm,
            Payload::ProposeHandoff(ProposeHandoff {
                to: store.public(),
                entries: vec![Entry::item(item(i))],
                transfer: Transfer::Both,
                ship_from: None,
                ship_to: None,
                docs: vec![],
                expires_at_height: None,
            }),
        )?;
        let acc = sign(
            store,
            chain_id,
            &mut ns,
            Payload::AcceptHandoff(AcceptHandoff {
                handoff: p.id(),
                missing: vec![],
                damaged: vec![],
            }),
        )?;
        acceptances.insert(acc.id());
        load.push(p);
        load.push(acc);
    }

    // Steady load: a batch every 20 ms.
    say(&format!("offering {} tx/s for {} s", a.rate, a.seconds));
    let tick = Duration::from_millis(20);
    let per_tick = ((a.rate as f64 * tick.as_secs_f64()).round() as usize).max(2) & !1;
    let mut sent: HashMap<TxId, Instant> = HashMap::with_capacity(load.len());
    // Included in a block and applied by the ledger: finality latency in ms.
    let mut applied: HashMap<TxId, f64> = HashMap::with_capacity(load.len());
    // Included in a block but refused by a ledger rule, by rejection code.
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    let mut included = 0usize;
    let mut announced: BTreeMap<u64, Instant> = BTreeMap::new();
    let mut fetched = 0u64;
    let mut next = 0usize;
    let start = Instant::now();
    let mut interval = tokio::time::interval(tick);
    let mut first_commit: Option<Instant> = None;
    let mut last_commit = start;
    let mut blocks = 0u64;
    let mut txs_in_blocks = 0u64;
    let mut fetcher = 0usize;
    loop {
        tokio::select! {
            _ = interval.tick(), if next < load.len() => {
                let end = (next + per_tick).min(load.len());
                // Gossip batches stay under the topic's size limit.
                for chunk in load[next..end].chunks(1024) {
                    let bytes: Vec<Vec<u8>> = chunk.iter().map(SignedTx::encode).collect();
                    let now = Instant::now();
                    for t in chunk {
                        sent.insert(t.id(), now);
                    }
                    let data = borsh::to_vec(&bytes)?;
                    if let Err(e) = net.publish(Topic::Transactions, data).await {
                        bail!("cannot gossip the load: {e}");
                    }
                }
                next = end;
            }
            ev = events.recv() => {
                let Some(ev) = ev else { bail!("the bench's network stopped") };
                if let NetEvent::Gossip { peer, topic, msg_id, data } = ev {
                    let mut verdict = Verdict::Ignore;
                    if topic == Topic::Blocks
                        && let Ok(Response::Headers(hs)) = Response::decode(&data)
                    {
                        verdict = Verdict::Accept;
                        for h in hs {
                            announced.entry(h.header.height).or_insert_with(Instant::now);
                        }
                    }
                    let _ = net.report_validation(msg_id, peer, verdict).await;
                }
            }
        }
        // Fetch announced blocks to see which transactions they hold (spread over the
        // validators: each answers at most a few requests a second here).
        while fetched < announced.keys().next_back().copied().unwrap_or(0) {
            let h = fetched + 1;
            let Some(at) = announced.get(&h).copied() else {
                // Missed announcement: count it as arriving now.
                announced.insert(h, Instant::now());
                continue;
            };
            fetcher = (fetcher + 1) % peers.len();
            let r = net
                .request(peers[fetcher], Request::Blocks { from: h, count: 1 })
                .await;
            let Ok(Response::Blocks(bs)) = r else { break };
            let Some(b) = bs.into_iter().next() else {
                break;
            };
            fetched = h;
            blocks += 1;
            let mut here = 0;
            for (w, outcome) in b.txs.iter().zip(&b.outcomes) {
                let Ok(t) = SignedTx::decode(w) else { continue };
                let Some(s) = sent.get(&t.id()) else { continue };
                included += 1;
                match &outcome.code {
                    None => {
                        applied.insert(
                            t.id(),
                            at.saturating_duration_since(*s).as_secs_f64() * 1000.0,
                        );
                    }
                    Some(code) => *refused.entry(code.clone()).or_default() += 1,
                }
                here += 1;
            }
            if here > 0 {
                txs_in_blocks += here;
                first_commit.get_or_insert(at);
                last_commit = at;
            }
        }
        if next >= load.len() {
            if included >= load.len() {
                break;
            }
            if start.elapsed() > Duration::from_secs(a.seconds + 60) {
                break;
            }
        }
    }
    let _ = net.shutdown().await;
    let mut lat: Vec<f64> = applied.values().copied().collect();
    lat.sort_by(|x, y| x.total_cmp(y));
    let span = last_commit.saturating_duration_since(start).as_secs_f64();
    let per_s = |n: usize| {
        if span > 0.0 {
            (n as f64 / span).round()
        } else {
            0.0
        }
    };
    let handoffs = applied.keys().filter(|id| acceptances.contains(id)).count();
    let ms = |x: f64| (x * 10.0).round() / 10.0;
    Ok(json!({
        "validators": a.validators,
        "offered_tx_per_s": a.rate,
        "seconds": a.seconds,
        "submitted_txs": load.len(),
        "included_txs": included,
        "committed_txs": applied.len(),
        "refused_txs": refused.values().sum::<u64>(),
        "refused_by_code": refused,
        "committed_handoffs": handoffs,
        "committed_tx_per_s": per_s(applied.len()),
        "committed_handoffs_per_s": per_s(handoffs),
        "finality_p50_ms": ms(percentile(&lat, 0.50)),
        "finality_p99_ms": ms(percentile(&lat, 0.99)),
        "finality_max_ms": ms(lat.last().copied().unwrap_or(0.0)),
        "blocks": blocks,
        "txs_per_block": txs_in_blocks.checked_div(blocks).unwrap_or(0),
        "first_commit_after_s": first_commit.map(|f| f.saturating_duration_since(start).as_secs_f64()),
    }))
}
