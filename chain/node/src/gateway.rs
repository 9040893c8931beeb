//! The node's HTTP gateway (`handoff node run --http ADDR`) and the client side of it.
//!
//! A running node holds its data folder (sled allows one opener), so every `handoff`
//! command on that folder goes through the node: the command line finds `node.json` in
//! the folder (written by the node, readable only by its owner, holding the gateway's
//! address and a random token), sends its arguments to `POST /v1/cli`, and the node runs
//! them with the same code, rules, exit codes and JSON as locally, committing through
//! consensus. `handoff --node http://HOST:PORT --token T …` does the same against a
//! node on another machine. `GET /v1/status` answers without a token.

use crate::cli::{self, CliError, Output};
use crate::ledger::Ledger;
use crate::limits::{MAX_CLI_BODY_BYTES, MAX_GATEWAY_ANSWER_BYTES, MAX_PEER_BLOCK_BODY_BYTES};
use crate::service::NodeHandle;
use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Threads answering requests.
const WORKERS: usize = 4;

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

/// A running gateway.
pub struct Gateway {
    server: Arc<tiny_http::Server>,
    threads: Vec<JoinHandle<()>>,
    /// The bound address.
    pub addr: String,
}

impl Gateway {
    /// Serves `ledger` on `addr` (`host:port`, port 0 for any).
    pub fn start(
        ledger: Arc<Ledger>,
        node: NodeHandle,
        addr: &str,
        token: String,
    ) -> Result<Gateway> {
        let server = Arc::new(
            tiny_http::Server::http(addr)
                .map_err(|e| anyhow!("cannot serve HTTP on {addr}: {e}"))?,
        );
        let bound = server
            .server_addr()
            .to_ip()
            .map(|a| a.to_string())
            .unwrap_or_else(|| addr.to_string());
        let token = Arc::new(token);
        let threads = (0..WORKERS)
            .map(|_| {
                let (server, ledger, node, token) =
                    (server.clone(), ledger.clone(), node.clone(), token.clone());
                std::thread::spawn(move || {
                    while let Ok(rq) = server.recv() {
                        serve(&ledger, &node, &token, rq);
                    }
                })
            })
            .collect();
        Ok(Gateway {
            server,
            threads,
            addr: bound,
        })
    }

    /// Stops serving.
    pub fn stop(self) {
        self.server.unblock();
        for _ in 1..WORKERS {
            self.server.unblock();
        }
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn reply(rq: tiny_http::Request, status: u16, body: &Value) {
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..]);
    let mut resp = tiny_http::Response::from_string(body.to_string()).with_status_code(status);
    if let Ok(h) = header {
        resp = resp.with_header(h);
    }
    let _ = rq.respond(resp);
}

fn error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// Whether the request carries `Authorization: Bearer <token>`. The comparison takes the
/// same time whatever the presented token is (SHA-256 of both, compared in constant time),
/// so a client cannot find the token byte by byte from response times.
pub(crate) fn authorized(rq: &tiny_http::Request, token: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    let want = Sha256::digest(token.as_bytes());
    let mut ok = subtle::Choice::from(0);
    for h in rq.headers() {
        if h.field.equiv("Authorization") {
            let presented = h.value.as_str().strip_prefix("Bearer ").unwrap_or_default();
            ok |= Sha256::digest(presented.as_bytes())
                .as_slice()
                .ct_eq(want.as_slice());
        }
    }
    ok.into()
}

/// Why a request body was not read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Longer than the endpoint's bound (declared or sent).
    TooLarge,
    /// The connection failed while reading.
    Unreadable,
}

impl BodyError {
    /// The HTTP status and the error body of the answer.
    pub(crate) fn answer(&self, limit: u64) -> (u16, Value) {
        match self {
            BodyError::TooLarge => (
                413,
                error_body(
                    "TOO_LARGE",
                    &format!("the request body is larger than {limit} bytes"),
                ),
            ),
            BodyError::Unreadable => (
                400,
                error_body("UNREADABLE_BODY", "the request body could not be read"),
            ),
        }
    }
}

/// Reads a request body of at most `limit` bytes. A declared length over the bound is
/// refused before anything is read; a body that runs past it is refused, never cut.
pub(crate) fn read_body(rq: &mut tiny_http::Request, limit: u64) -> Result<Vec<u8>, BodyError> {
    if rq.body_length().is_some_and(|n| n as u64 > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    rq.as_reader()
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|_| BodyError::Unreadable)?;
    if body.len() as u64 > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(body)
}

fn serve(ledger: &Ledger, node: &NodeHandle, token: &str, mut rq: tiny_http::Request) {
    let path = rq.url().split('?').next().unwrap_or_default().to_string();
    match (rq.method(), path.as_str()) {
        (tiny_http::Method::Get, "/v1/status") => {
            let s = node.status();
            reply(rq, 200, &json!(s));
        }
        (tiny_http::Method::Post, "/v1/peers/block") => {
            if !authorized(&rq, token) {
                return reply(
                    rq,
                    401,
                    &error_body("UNAUTHORIZED", "a valid token is needed"),
                );
            }
            let body = match read_body(&mut rq, MAX_PEER_BLOCK_BODY_BYTES) {
                Ok(b) => b,
                Err(e) => {
                    let (status, body) = e.answer(MAX_PEER_BLOCK_BODY_BYTES);
                    return reply(rq, status, &body);
                }
            };
            #[derive(Deserialize)]
            struct Block {
                peer: String,
                block: bool,
            }
            let parsed = serde_json::from_slice::<Block>(&body).ok().and_then(|b| {
                b.peer
                    .parse::<handoff_net::PeerId>()
                    .ok()
                    .map(|p| (p, b.block))
            });
            let Some((peer, block)) = parsed else {
                return reply(
                    rq,
                    400,
                    &error_body(
                        "BAD_PEER",
                        "the body must be {\"peer\": PEER_ID, \"block\": bool}",
                    ),
                );
            };
            match node.set_blocked(peer, block) {
                Ok(()) => reply(
                    rq,
                    200,
                    &json!({"peer": peer.to_string(), "blocked": block}),
                ),
                Err(e) => reply(rq, 503, &error_body("STOPPED", &format!("{e:#}"))),
            }
        }
        (tiny_http::Method::Post, "/v1/cli") => {
            if !authorized(&rq, token) {
                return reply(
                    rq,
                    401,
                    &error_body("UNAUTHORIZED", "a valid token is needed"),
                );
            }
            let body = match read_body(&mut rq, MAX_CLI_BODY_BYTES) {
                Ok(b) => b,
                Err(e) => {
                    let (status, body) = e.answer(MAX_CLI_BODY_BYTES);
                    return reply(rq, status, &body);
                }
            };
            #[derive(Deserialize)]
            struct Cmd {
                args: Vec<String>,
            }
            let Ok(cmd) = serde_json::from_slice::<Cmd>(&body) else {
                return reply(
                    rq,
                    400,
                    &error_body("USAGE", "the body must be {\"args\": [\"…\"]}"),
                );
            };
            let args: Vec<&str> = cmd.args.iter().map(String::as_str).collect();
            let answer = match cli::run_on(ledger, ledger.data(), &args) {
                Ok(out) => json!({"exit": 0, "json": out.json, "text": out.text}),
                Err(e) => {
                    let (code, message) = e.parts();
                    json!({"exit": e.exit_code(), "error": {"code": code, "message": message}})
                }
            };
            reply(rq, 200, &answer)
        }
        _ => reply(rq, 404, &error_body("NOT_FOUND", "no such endpoint")),
    }
}

/// Runs a command line on the node whose gateway is at `url` (`http://host:port`).
pub fn forward(url: &str, token: &str, args: &[String]) -> Result<Result<Output, CliError>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(600)))
        .http_status_as_error(false)
        .build()
        .into();
    let body = json!({ "args": args }).to_string();
    let mut resp = agent
        .post(&format!("{}/v1/cli", url.trim_end_matches('/')))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.as_bytes())
        .map_err(|e| anyhow!("cannot reach the node at {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(MAX_GATEWAY_ANSWER_BYTES)
        .read_to_string()
        .map_err(|e| anyhow!("the node at {url} sent no answer: {e}"))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|_| anyhow!("the node at {url} answered with something other than JSON"))?;
    let err = |v: &Value| {
        (
            v["error"]["code"].as_str().unwrap_or("ERROR").to_string(),
            v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    if status != 200 {
        let (code, message) = err(&v);
        return Ok(Err(CliError::Other(anyhow!("{message} [{code}]"))));
    }
    Ok(match v["exit"].as_i64().unwrap_or(1) {
        0 => Ok(Output {
            json: v["json"].clone(),
            text: v["text"].as_str().unwrap_or_default().to_string(),
        }),
        2 => {
            let (code, message) = err(&v);
            Err(CliError::Input { code, message })
        }
        3 => {
            let (code, message) = err(&v);
            let c = handoff_core::rejection::Code::ALL
                .iter()
                .copied()
                .find(|k| k.as_str() == code);
            match c {
                Some(c) => Err(CliError::Rejected(handoff_core::rejection::Rejection::new(
                    c, message,
                ))),
                None => Err(CliError::Other(anyhow!("{message} [{code}]"))),
            }
        }
        _ => {
            let (code, message) = err(&v);
            Err(CliError::Failed { code, message })
        }
    })
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

/// If a node runs on `data`, runs the command line there. `None`: no node runs on it.
pub fn forward_local(data: &Path, args: &[String]) -> Option<Result<Output, CliError>> {
    let bytes = std::fs::read(node_file(data)).ok()?;
    let f: NodeFile = serde_json::from_slice(&bytes).ok()?;
    // A node file left by a node that was killed names an address nobody serves.
    std::net::TcpStream::connect_timeout(
        &f.http.parse().ok()?,
        std::time::Duration::from_millis(500),
    )
    .ok()?;
    Some(
        match forward(&format!("http://{}", f.http), &f.token, args) {
            Ok(r) => r,
            Err(e) => Err(CliError::Other(e)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiny_http::{Header, Method, TestRequest};

    const TOKEN: &str = "5f2b9c0e41d7a8b36e9f0c1d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";

    fn with_auth(values: &[&str]) -> tiny_http::Request {
        let mut rq = TestRequest::new()
            .with_method(Method::Post)
            .with_path("/v1/cli");
        for v in values {
            rq = rq.with_header(
                Header::from_bytes(&b"Authorization"[..], v.as_bytes()).expect("header"),
            );
        }
        rq.into()
    }

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        assert!(authorized(&with_auth(&[&format!("Bearer {TOKEN}")]), TOKEN));
        // One wrong character, at the start or at the end; a prefix; the token alone.
        let mut last = TOKEN.to_string();
        last.replace_range(63.., "e");
        let mut first = TOKEN.to_string();
        first.replace_range(..1, "6");
        for wrong in [
            format!("Bearer {last}"),
            format!("Bearer {first}"),
            format!("Bearer {}", &TOKEN[..32]),
            format!("Bearer {TOKEN}0"),
            TOKEN.to_string(),
            format!("Basic {TOKEN}"),
            "Bearer ".to_string(),
        ] {
            assert!(!authorized(&with_auth(&[&wrong]), TOKEN), "{wrong}");
        }
        assert!(!authorized(&with_auth(&[]), TOKEN));
        // A right header among others still authorizes.
        assert!(authorized(
            &with_auth(&["Bearer nope", &format!("Bearer {TOKEN}")]),
            TOKEN
        ));
    }

    #[test]
    fn bodies_over_their_bound_are_refused_whole() {
        let body: &'static str = Box::leak("x".repeat(4096).into_boxed_str());
        let mut rq: tiny_http::Request = TestRequest::new().with_body(body).into();
        assert_eq!(read_body(&mut rq, 4096).map(|b| b.len()), Ok(4096));
        let mut rq: tiny_http::Request = TestRequest::new().with_body(body).into();
        assert_eq!(read_body(&mut rq, 4095), Err(BodyError::TooLarge));
        let (status, answer) = BodyError::TooLarge.answer(4095);
        assert_eq!(status, 413);
        assert_eq!(answer["error"]["code"], "TOO_LARGE");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("4095")),
            "{answer}"
        );
    }
}
