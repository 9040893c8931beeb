//! `handoff bench http`: the HTTP API of a running node, driven from a second process on
//! loopback for a bounded time. The node is a real `handoff node run` on a copy of the
//! demo chain; the driver (this binary again, `bench http --drive URL`) times lookups and
//! verifies through the typed client, then sends a burst of malformed and oversized
//! requests and counts how they were answered. The server must answer every one of them
//! with a 4xx and still be up afterwards.

use anyhow::{Context, Result, bail};
use clap::Args;
use handoff_api::{LookupRequest, StatusRequest, VerifyRequest};
use handoff_http::Client;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Options of `bench http`.
#[derive(Args, Debug)]
pub struct HttpBenchArgs {
    /// Seconds each timed phase runs (lookups, then verifies).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Client threads of the driver.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Malformed and oversized requests in the burst.
    #[arg(long, default_value_t = 1000)]
    pub malformed: usize,
    /// Where to put the node's folder (default: a temporary folder, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No progress messages.
    #[arg(long)]
    pub quiet: bool,
    /// The driver: the node's address (set by the bench itself).
    #[arg(long, hide = true)]
    pub drive: Option<String>,
    /// The driver: the node's token.
    #[arg(long, hide = true)]
    pub token: Option<String>,
    /// The driver: the scan to look up.
    #[arg(long, hide = true)]
    pub lookup: Option<String>,
    /// The driver: the scan to verify.
    #[arg(long, hide = true)]
    pub verify: Option<String>,
    /// The driver of `bench resolver`: the Digital Link path to resolve.
    #[arg(long, hide = true)]
    pub resolve: Option<String>,
}

/// What the driver measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `bench http`: lookups and verifies through the typed API, malformed API requests.
    Api,
    /// `bench resolver`: Digital Links resolved as a program asks (JSON), the consumer
    /// page's evidence, and malformed Digital Links.
    Resolver,
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the bench (or, with `--drive`, the driver side of it).
pub fn run(a: HttpBenchArgs, mode: Mode) -> Result<Value> {
    if a.seconds == 0 || a.clients == 0 || a.clients > 64 {
        bail!("--seconds must be positive and --clients 1 to 64");
    }
    if let Some(url) = &a.drive {
        return match mode {
            Mode::Api => drive(&a, url),
            Mode::Resolver => drive_resolver(&a, url),
        };
    }
    let say = |m: &str| {
        if !a.quiet {
            eprintln!("{m}");
        }
    };
    let tmp = tempfile::Builder::new()
        .prefix("handoff-bench-http")
        .tempdir()?;
    let root = a.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let data = root.join("node");
    say("seeding the demo chain…");
    let demo = crate::demo::run(
        &data,
        crate::demo::DemoArgs {
            bags: 250,
            quiet: true,
        },
    )?;
    let example = |k: &str| {
        demo.json["examples"][k]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("the demo names no {k}"))
    };
    let (lookup, verify) = (example("shelf_bag")?, example("sold_bag")?);
    let exe = std::env::current_exe().context("cannot find the handoff binary")?;
    let port = free_port()?;
    let log = std::fs::File::create(root.join("node.log"))?;
    let mut child = Command::new(&exe)
        .arg("--data")
        .arg(&data)
        .args([
            "node",
            "run",
            "--validator",
            "--no-mdns",
            "--public-rate",
            "0",
        ])
        .args(["--http", "127.0.0.1:0", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{port}"))
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()?;
    let out = child.stdout.take().context("node stdout")?;
    let mut node = Killed(child);
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    let ready: Value = serde_json::from_str(&line)
        .with_context(|| format!("the node did not start: {line} (see {})", root.display()))?;
    let http = ready["http"].as_str().context("the node serves no HTTP")?;
    let url = format!("http://{http}");
    let file: handoff_node::gateway::NodeFile =
        serde_json::from_slice(&std::fs::read(handoff_node::gateway::node_file(&data))?)?;
    say(&format!(
        "node up at {url}; driving it for 2 × {} s…",
        a.seconds
    ));
    let resolved = match mode {
        Mode::Api => lookup.as_str(),
        Mode::Resolver => verify.as_str(),
    };
    let driven = Command::new(&exe)
        .args([
            "bench",
            match mode {
                Mode::Api => "http",
                Mode::Resolver => "resolver",
            },
            "--quiet",
            "--drive",
            &url,
            "--token",
            &file.token,
        ])
        .args([
            "--lookup",
            &lookup,
            "--verify",
            &verify,
            // What a shopper scans: a sold bag, so each resolve also reads the node's
            // count of its lookups (clone detection; one network on loopback).
            "--resolve",
            resolved,
        ])
        .args(["--seconds", &a.seconds.to_string()])
        .args(["--clients", &a.clients.to_string()])
        .args(["--malformed", &a.malformed.to_string()])
        .stderr(Stdio::inherit())
        .output()?;
    if !driven.status.success() {
        bail!(
            "the driver failed: {}",
            String::from_utf8_lossy(&driven.stdout)
        );
    }
    let mut result: Value =
        serde_json::from_slice(&driven.stdout).context("the driver printed no JSON")?;
    // The node process, not only its answers: it is still running.
    let node_running = node.0.try_wait()?.is_none();
    let answers = Client::new(&url, None).call(&StatusRequest {}).is_ok();
    result["server_alive_after"] =
        json!(result["server_alive_after"] == json!(true) && node_running && answers);
    result["node_process_running_after"] = json!(node_running);
    result["rate_limit"] =
        json!("off (--public-rate 0): the bench measures the server, not the limiter");
    result["data"] =
        json!({"chain": "demo, 250 bags", "lookup": lookup, "verify": verify, "resolve": resolved});
    result["machine"] = crate::bench::machine();
    drop(node);
    Ok(result)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Latencies of one timed phase.
fn summary(mut lat_us: Vec<u64>, errors: u64, elapsed: Duration) -> Value {
    lat_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat_us.is_empty() {
            return 0.0;
        }
        let i = ((lat_us.len() as f64 - 1.0) * p).round() as usize;
        lat_us[i.min(lat_us.len() - 1)] as f64 / 1000.0
    };
    json!({
        "requests": lat_us.len(),
        "errors": errors,
        "requests_per_s": (lat_us.len() as f64 / elapsed.as_secs_f64() * 10.0).round() / 10.0,
        "p50_ms": (pct(0.50) * 1000.0).round() / 1000.0,
        "p99_ms": (pct(0.99) * 1000.0).round() / 1000.0,
    })
}

/// Runs `call` from `clients` threads (a client each) for `seconds`; an answer that is
/// not a success counts as an error.
fn timed_at<F>(url: &str, clients: usize, seconds: u64, call: F) -> Value
where
    F: Fn(&Client) -> bool + Send + Sync + 'static,
{
    let url = url.to_string();
    timed(clients, seconds, move || Client::new(&url, None), call)
}

/// Runs `call` from `clients` threads, each with its own `setup()`, for `seconds`.
fn timed<S, M, F>(clients: usize, seconds: u64, setup: M, call: F) -> Value
where
    M: Fn() -> S + Send + Sync + 'static,
    F: Fn(&S) -> bool + Send + Sync + 'static,
{
    let call = Arc::new(call);
    let setup = Arc::new(setup);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (call, stop, setup) = (call.clone(), stop.clone(), setup.clone());
            std::thread::spawn(move || {
                let client = setup();
                let (mut lat, mut errors) = (Vec::new(), 0u64);
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if call(&client) {
                        lat.push(t.elapsed().as_micros() as u64);
                    } else {
                        errors += 1;
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let (mut lat, mut errors) = (Vec::new(), 0);
    for t in threads {
        if let Ok((l, e)) = t.join() {
            lat.extend(l);
            errors += e;
        }
    }
    summary(lat, errors, started.elapsed())
}

/// The driver: the timed phases, then the burst of bad requests.
fn drive(a: &HttpBenchArgs, url: &str) -> Result<Value> {
    let lookup = a.lookup.clone().context("--lookup")?;
    let verify = a.verify.clone().context("--verify")?;
    let client = Client::new(url, None);
    client
        .call(&LookupRequest {
            scan: lookup.clone(),
        })
        .map_err(|e| anyhow::anyhow!("the first lookup failed: {e}"))?;
    let u = url.to_string();
    let lookups = {
        let u = u.clone();
        timed_at(&u, a.clients, a.seconds, move |c| {
            c.call(&LookupRequest {
                scan: lookup.clone(),
            })
            .is_ok()
        })
    };
    let verifies = timed_at(&u, a.clients, a.seconds, move |c| {
        c.call(&VerifyRequest {
            scan: verify.clone(),
        })
        .is_ok()
    });
    let burst = malformed_burst(
        url,
        a.token.as_deref().unwrap_or_default(),
        a.malformed,
        a.clients,
    )?;
    let alive = client.call(&StatusRequest {}).is_ok();
    let mut out = json!({
        "clients": a.clients,
        "seconds_per_phase": a.seconds,
        "lookup": lookups,
        "verify": verifies,
        "server_alive_after": alive,
    });
    if let (Value::Object(o), Value::Object(b)) = (&mut out, burst) {
        o.extend(b);
    }
    Ok(out)
}

/// One bad request: what it is, the raw bytes sent.
struct Bad {
    what: &'static str,
    bytes: Vec<u8>,
}

fn bad_requests(host: &str, token: &str) -> Vec<Bad> {
    let auth = format!("Authorization: Bearer {token}\r\n");
    let post = |what: &'static str, path: &str, body: &[u8]| {
        let mut b = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        b.extend_from_slice(body);
        Bad { what, bytes: b }
    };
    let get = |what: &'static str, target: &str| Bad {
        what,
        bytes: format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
            .into_bytes(),
    };
    let big = vec![b'x'; handoff_http::limits::MAX_BODY_BYTES + 1];
    let mut oversized = br#"{"scans":[""#.to_vec();
    oversized.extend(&big);
    oversized.extend(br#""]}"#);
    let mut chunked = format!(
        "POST /v1/sales HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{auth}\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        oversized.len()
    )
    .into_bytes();
    chunked.extend(&oversized);
    chunked.extend(b"\r\n0\r\n\r\n");
    vec![
        post("bad JSON", "/v1/items", b"{\"gtin\": "),
        post("not an object", "/v1/items", b"[1,2,3]"),
        post("not UTF-8", "/v1/items", b"{\"gtin\": \"\xff\xfe\"}"),
        post("unknown field", "/v1/handoffs", br#"{"to":"x","scans":[],"bogus":1}"#),
        post("wrong type", "/v1/sales", br#"{"scans":"not a list"}"#),
        post("oversized body", "/v1/sales", &oversized),
        Bad { what: "oversized chunked body", bytes: chunked },
        post("field given twice", "/v1/handoffs/ab/accept", br#"{"id":"cd"}"#),
        get("bad scan", "/v1/lookup/0109506000134352%2821%29"),
        get("unknown query field", "/v1/items/x?bogus=1"),
        get("bad query encoding", "/v1/items/x?proof=%zz%"),
        get("wrong query type", "/v1/items/x?proof=maybe"),
        get("oversized query", &format!("/v1/status?x={}", "y".repeat(handoff_http::limits::MAX_QUERY_BYTES))),
        get("no such route", "/v1/nothing/here"),
        Bad {
            what: "wrong method",
            bytes: format!("DELETE /v1/items HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{auth}\r\n").into_bytes(),
        },
        Bad {
            what: "action without a token",
            bytes: format!("POST /v1/sales HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{{}}").into_bytes(),
        },
        Bad { what: "not HTTP", bytes: b"\x00\x01\x02 garbage \xff\r\n\r\n".to_vec() },
    ]
}

/// Sends one raw request and returns the status and whether the body had the error shape.
fn send_raw(addr: &str, bytes: &[u8]) -> Option<(u16, bool)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut w = s.try_clone().ok()?;
    let body = bytes.to_vec();
    // Written on its own thread: a server that answers early (413) may stop reading.
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&body);
    });
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let _ = writer.join();
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let shaped = text
        .split("\r\n\r\n")
        .nth(1)
        .and_then(|b| serde_json::from_str::<handoff_http::ErrorBody>(b).ok())
        .is_some();
    Some((status, shaped))
}

/// Sends `count` bad requests (the kinds in turn) from `clients` threads.
fn malformed_burst(url: &str, token: &str, count: usize, clients: usize) -> Result<Value> {
    let addr = url.trim_start_matches("http://").to_string();
    let kinds = Arc::new(bad_requests(&addr, token));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let (kinds, addr) = (kinds.clone(), addr.clone());
            std::thread::spawn(move || {
                let mut tally: Vec<(usize, Option<(u16, bool)>)> = Vec::new();
                let mut i = t;
                while i < count {
                    let k = i % kinds.len();
                    tally.push((k, send_raw(&addr, &kinds[k].bytes)));
                    i += clients;
                }
                tally
            })
        })
        .collect();
    let (mut sent, mut four, mut shaped, mut unanswered) = (0u64, 0u64, 0u64, 0u64);
    let mut by_kind = serde_json::Map::new();
    for t in threads {
        let tally = t
            .join()
            .map_err(|_| anyhow::anyhow!("a burst thread panicked"))?;
        for (k, answer) in tally {
            sent += 1;
            let entry = by_kind
                .entry(kinds[k].what)
                .or_insert_with(|| json!({"sent": 0, "statuses": {}}));
            entry["sent"] = json!(entry["sent"].as_u64().unwrap_or(0) + 1);
            match answer {
                Some((status, is_shaped)) => {
                    if (400..500).contains(&status) {
                        four += 1;
                    }
                    if is_shaped {
                        shaped += 1;
                    }
                    let s = status.to_string();
                    let n = entry["statuses"][&s].as_u64().unwrap_or(0);
                    entry["statuses"][&s] = json!(n + 1);
                }
                None => unanswered += 1,
            }
        }
    }
    Ok(json!({
        "malformed_sent": sent,
        "malformed_answered_4xx": four,
        "malformed_answered_error_shape": shaped,
        "malformed_unanswered": unanswered,
        "malformed_seconds": (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        "malformed_by_kind": by_kind,
    }))
}

/// The driver of `bench resolver`: Digital Links resolved as JSON, the evidence the
/// consumer page fetches, then malformed Digital Links (each must be answered 4xx).
fn drive_resolver(a: &HttpBenchArgs, url: &str) -> Result<Value> {
    let path = a.resolve.clone().context("--resolve")?;
    let addr = url.trim_start_matches("http://").to_string();
    let get = |target: &str, accept: &str| {
        format!(
            "GET {target} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        )
        .into_bytes()
    };
    let resolve = get(&path, "application/json");
    match send_raw(&addr, &resolve) {
        Some((200, _)) => {}
        other => bail!("the first resolve of {path} answered {other:?}"),
    }
    let enc = percent_encoding::utf8_percent_encode(&path, percent_encoding::NON_ALPHANUMERIC);
    let evidence = get(&format!("/v1/evidence/{enc}"), "application/json");
    let page = get(&path, "text/html");
    let ok200 = |bytes: Vec<u8>| {
        let addr = addr.clone();
        move |_: &()| matches!(send_raw(&addr, &bytes), Some((200, _)))
    };
    let resolved = timed(a.clients, a.seconds, || (), ok200(resolve));
    let evidenced = timed(a.clients, a.seconds, || (), ok200(evidence));
    let paged = timed(a.clients, a.seconds, || (), ok200(page));
    // Malformed and hostile Digital Links, then pseudo-random bytes in the serial.
    let mut bad: Vec<String> = [
        "/01/123/21/X1",
        "/01/09506000134353/21/X1",
        "/01/09506000134352/21/%zz",
        "/01/09506000134352/21/%2",
        "/01/09506000134352/21/%F0%9F%92%A5",
        "/01/09506000134352/10/../../etc/passwd",
        "/00/12",
        "/414/abc",
        "/01/09506000134352/21/X1?17=999999&linkType=%ff",
        "/a/b/c/01/00000000000000/21/0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    bad.push(format!("/01/09506000134352/21/{}", "A".repeat(4000)));
    let mut seed: u64 = 0x5eed;
    while bad.len() < a.malformed.max(12) {
        let serial: String = (0..(seed % 40 + 1))
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("%{:02X}", (seed >> 56) as u8)
            })
            .collect();
        bad.push(format!("/01/09506000134352/21/{serial}"));
    }
    let started = Instant::now();
    let (mut four, mut five, mut unanswered) = (0u64, 0u64, 0u64);
    for target in &bad {
        match send_raw(&addr, &get(target, "application/json")) {
            Some((s, _)) if (400..500).contains(&s) => four += 1,
            Some((s, _)) if s >= 500 => five += 1,
            Some(_) => {}
            None => unanswered += 1,
        }
    }
    let alive = Client::new(url, None).call(&StatusRequest {}).is_ok();
    Ok(json!({
        "clients": a.clients,
        "seconds_per_phase": a.seconds,
        "resolve_json": resolved,
        "evidence": evidenced,
        "consumer_page_html": paged,
        "malformed_sent": bad.len(),
        "malformed_answered_4xx": four,
        "malformed_answered_5xx": five,
        "malformed_unanswered": unanswered,
        "malformed_seconds": (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        "server_alive_after": alive,
    }))
}
