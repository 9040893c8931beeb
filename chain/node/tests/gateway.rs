//! The running node's HTTP gateway as a client meets it over a real socket: commands need
//! the token, and a request body over its bound is answered 413 with the error shape,
//! never cut and read on.

mod common;

use common::*;
use handoff_node::limits::{MAX_CLI_BODY_BYTES, MAX_PEER_BLOCK_BODY_BYTES};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};

struct Node {
    child: Child,
    http: String,
    token: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-validator chain's node with its gateway on loopback.
fn node(root: &std::path::Path) -> Node {
    let d = root.join("node");
    ok(&d, &["init", "--org", "Acme Farms"]);
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(&d)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{}", free_port()));
    let log = std::fs::File::create(root.join("node.log")).expect("log");
    let child = spawn_ready(&mut cmd, log, "node");
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json is JSON");
    Node {
        child,
        http: f["http"].as_str().expect("http").to_string(),
        token: f["token"].as_str().expect("token").to_string(),
    }
}

/// Sends one request (headers, then `body` written on another thread so a server that
/// answers early cannot stall it) and returns the status and the JSON answer.
fn post(n: &Node, path: &str, token: Option<&str>, headers: &str, body: Vec<u8>) -> (u16, Value) {
    let mut s = TcpStream::connect(&n.http).expect("connect to the gateway");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{auth}{headers}\r\n",
        n.http
    )
    .expect("request head");
    let mut w = s.try_clone().expect("clone");
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&body);
    });
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let _ = writer.join();
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let json = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json = serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, json)
}

fn sized(body: Vec<u8>) -> (String, Vec<u8>) {
    (format!("Content-Length: {}\r\n", body.len()), body)
}

/// `{"args": ["status"], "pad": "xxx…"}` of exactly `len` bytes.
fn status_command_of_len(len: u64) -> Vec<u8> {
    let head = br#"{"args":["status"],"pad":""#;
    let pad = usize::try_from(len).expect("len") - head.len() - 2;
    let mut b = head.to_vec();
    b.extend(std::iter::repeat_n(b'x', pad));
    b.extend(b"\"}");
    b
}

#[test]
fn commands_need_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = node(dir.path());
    let (h, b) = sized(br#"{"args":["status"]}"#.to_vec());
    let (status, j) = post(&n, "/v1/cli", None, &h, b.clone());
    assert_eq!(
        (status, &j["error"]["code"]),
        (401, &"UNAUTHORIZED".into()),
        "{j}"
    );
    let mut wrong = n.token.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(wrong.len() - 1.., last);
    let (status, j) = post(&n, "/v1/cli", Some(&wrong), &h, b.clone());
    assert_eq!(
        (status, &j["error"]["code"]),
        (401, &"UNAUTHORIZED".into()),
        "{j}"
    );
    let (status, j) = post(&n, "/v1/cli", Some(&n.token), &h, b);
    assert_eq!(status, 200, "{j}");
    assert_eq!(j["exit"], 0, "{j}");
    assert!(j["json"]["height"].is_u64(), "{j}");
}

#[test]
fn bodies_over_their_bound_are_answered_413() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = node(dir.path());
    let t = Some(n.token.as_str());

    // A command of exactly the bound is taken.
    let (h, b) = sized(status_command_of_len(MAX_CLI_BODY_BYTES));
    let (status, j) = post(&n, "/v1/cli", t, &h, b);
    assert_eq!((status, &j["exit"]), (200, &0.into()), "{j}");

    // One byte more is refused with the error shape, declared or not.
    let (h, b) = sized(status_command_of_len(MAX_CLI_BODY_BYTES + 1));
    let (status, j) = post(&n, "/v1/cli", t, &h, b.clone());
    assert_eq!(status, 413, "{j}");
    assert_eq!(j["error"]["code"], "TOO_LARGE", "{j}");
    assert!(
        j["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{j}"
    );
    let mut chunked = format!("{:x}\r\n", b.len()).into_bytes();
    chunked.extend(&b);
    chunked.extend(b"\r\n0\r\n\r\n");
    let (status, j) = post(&n, "/v1/cli", t, "Transfer-Encoding: chunked\r\n", chunked);
    assert_eq!(
        (status, &j["error"]["code"]),
        (413, &"TOO_LARGE".into()),
        "{j}"
    );

    // Blocking a peer takes a small body; a larger one is refused, not cut at the bound
    // and parsed.
    let peer =
        r#"{"peer":"12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA","block":false,"pad":""#;
    let mut big = peer.as_bytes().to_vec();
    big.extend(std::iter::repeat_n(
        b'x',
        MAX_PEER_BLOCK_BODY_BYTES as usize,
    ));
    big.extend(b"\"}");
    let (h, b) = sized(big);
    let (status, j) = post(&n, "/v1/peers/block", t, &h, b);
    assert_eq!(
        (status, &j["error"]["code"]),
        (413, &"TOO_LARGE".into()),
        "{j}"
    );
}
