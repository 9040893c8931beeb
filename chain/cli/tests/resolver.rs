//! The GS1 Digital Link resolver as a shopper's phone and a partner's program meet it: a
//! real `handoff node run` on the demo chain, asked over HTTP for the demo's items by
//! their Digital Links. Browsers get the consumer page, programs the verdict and the
//! journey; malformed codes 400 and unknown ones 404 with the counterfeit verdict; link
//! types and the resolver description follow GS1; the evidence the page checks gives the
//! node's verdict from the genesis alone, and a node that tampers with it is caught.

use crate::common;

use common::*;
use handoff_core::block::Genesis;
use handoff_core::evidence::{Anchor, Evidence, check};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};

struct Node {
    child: Child,
    http: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &Path, d: &Path, extra: &[&str], env: &[(&str, &str)]) -> Node {
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(d)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{}", free_port()))
        .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let log = std::fs::File::create(root.join(format!("node-{}.log", free_port()))).expect("log");
    let child = spawn_ready(&mut cmd, log, "node");
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json is JSON");
    Node {
        child,
        http: f["http"].as_str().expect("http").to_string(),
    }
}

struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

fn get(n: &Node, path: &str, accept: &str) -> Answer {
    get_with(n, path, accept, "")
}

/// [`get`] with `extra` header lines (each ending in CRLF).
fn get_with(n: &Node, path: &str, accept: &str, extra: &str) -> Answer {
    let mut s = TcpStream::connect(&n.http).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: {accept}\r\n{extra}Connection: close\r\n\r\n",
        n.http
    )
    .expect("request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("answer");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    // Bodies here are small: no chunked framing is expected for them.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Answer {
        status,
        headers: head.to_string(),
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

const JSON: &str = "application/json";
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn reasons(v: &Value) -> Vec<String> {
    v["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| r["code"].as_str().expect("code").to_string())
        .collect()
}

/// The demo chain and a consumer page folder (a page of our own making: the resolver
/// serves whatever `--consumer` holds).
fn demo(root: &Path) -> (std::path::PathBuf, Value, std::path::PathBuf) {
    let d = root.join("demo");
    let demo = ok(&d, &["demo", "--quiet"]);
    let page = root.join("page");
    std::fs::create_dir_all(&page).expect("page dir");
    std::fs::write(
        page.join("index.html"),
        "<html><body>CONSUMER PAGE</body></html>",
    )
    .expect("page");
    std::fs::write(page.join("app.js"), "// the page's code").expect("js");
    (d, demo["examples"].clone(), page)
}

#[test]
fn phones_and_programs_resolve_the_demo_items() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, ex, page) = demo(dir.path());
    let page_arg = page.display().to_string();
    let n = start(dir.path(), &d, &["--consumer", &page_arg], &[]);
    let shelf = ex["shelf_bag"].as_str().expect("shelf bag").to_string();

    // A program: the verdict, its reasons and the journey, with the links.
    let a = get(&n, &shelf, JSON);
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    assert_eq!(v["verdict"], "genuine", "{v}");
    assert_eq!(v["item"], shelf);
    let journey = v["journey"].as_array().expect("journey");
    assert_eq!(journey[0]["type"], "commission", "{v}");
    assert!(journey.iter().any(|e| e["type"] == "handoff_accepted"));
    let types: Vec<&str> = v["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["linkType"].as_str())
        .collect();
    for t in [
        "gs1:verificationService",
        "gs1:pip",
        "gs1:certificationInfo",
    ] {
        assert!(types.contains(&t), "{types:?}");
    }
    assert!(a.header("link").is_some_and(|l| l.contains("linkType=all")));

    // The same item under a brand's path prefix, and as printed with a query attribute.
    let prefixed = get(&n, &format!("/brand/coffee{shelf}"), JSON).json();
    assert_eq!(prefixed["verdict"], "genuine");
    assert_eq!(prefixed["item"], shelf);

    // A browser gets the consumer page.
    let page_answer = get(&n, &shelf, BROWSER);
    assert_eq!(page_answer.status, 200);
    assert!(
        page_answer.body.contains("CONSUMER PAGE"),
        "{} {}",
        page_answer.headers,
        page_answer.body
    );
    assert!(
        page_answer
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    // Its files under /c/, and its anchor.
    assert!(get(&n, "/c/app.js", "*/*").body.contains("the page's code"));
    let g = get(&n, "/c/genesis.json", JSON);
    assert_eq!(g.status, 200);
    let genesis = g.json();
    let local = ok(&d, &["status"]);
    assert_eq!(genesis["chain_id"], local["chain_id"], "{local}");

    // A recalled lot: a warning with RECALLED; its recall status link says so.
    let lot = ex["recalled_lot"].as_str().expect("lot");
    let v = get(&n, lot, JSON).json();
    assert_eq!(v["verdict"], "warning");
    assert!(reasons(&v).contains(&"RECALLED".to_string()), "{v}");
    let r = get(&n, &format!("{lot}?linkType=gs1:recallStatus"), JSON).json();
    assert_eq!(r["recalled"], true, "{r}");
    let r = get(&n, &format!("{shelf}?linkType=gs1:recallStatus"), JSON).json();
    assert_eq!(r["recalled"], false, "{r}");

    // An unknown serial: 404, counterfeit, never commissioned; to a browser too.
    let prefix = shelf.rsplit_once('/').expect("serial").0;
    let ghost = format!("{prefix}/NEVER-MADE-1");
    let a = get(&n, &ghost, JSON);
    assert_eq!(a.status, 404);
    let v = a.json();
    assert_eq!(v["verdict"], "counterfeit");
    assert_eq!(reasons(&v), ["NEVER_COMMISSIONED"]);
    let a = get(&n, &ghost, BROWSER);
    assert_eq!(a.status, 404);
    assert!(a.body.contains("CONSUMER PAGE"));

    // A malformed code (a GTIN with a bad check digit): 400, counterfeit, with why.
    let a = get(&n, "/01/09506000134353/21/X1", JSON);
    assert_eq!(a.status, 400, "{}", a.body);
    let v = a.json();
    assert_eq!(v["verdict"], "counterfeit");
    assert_eq!(reasons(&v), ["MALFORMED_ID"]);

    // Link types: product information redirects to the product; the linkset lists all.
    let gtin = shelf.split('/').nth(2).expect("gtin");
    let a = get(&n, &format!("{shelf}?linkType=gs1:pip"), JSON);
    assert_eq!(a.status, 307);
    assert_eq!(a.header("location"), Some(format!("/v1/products/{gtin}")));
    let a = get(&n, &format!("{shelf}?linkType=all"), JSON);
    assert_eq!(a.status, 200);
    assert!(
        a.header("content-type")
            .is_some_and(|c| c.contains("linkset+json"))
    );
    let set = a.json();
    assert_eq!(set["linkset"][0]["anchor"], shelf);
    assert!(
        set["linkset"][0]["https://gs1.org/voc/pip"].is_array(),
        "{set}"
    );

    // The resolver describes itself.
    let w = get(&n, "/.well-known/gs1resolver", JSON).json();
    assert!(
        w["supportedPrimaryKeys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k == "01")
    );

    // Not a Digital Link: no resolver answer (no UI is served here: 404).
    assert_eq!(get(&n, "/nothing/here", JSON).status, 404);

    // What the page does: the evidence, checked against the genesis alone, gives the
    // verdict the resolver gave, for every demo example.
    let bytes = hex::decode(genesis["genesis"].as_str().expect("genesis")).expect("hex");
    let g: Genesis = borsh::from_slice(&bytes).expect("genesis decodes");
    let anchor = Anchor {
        chain_id: g.chain_id(),
        validators: g.validators.clone(),
    };
    for key in [
        "sold_bag",
        "shelf_bag",
        "missing_bag",
        "recalled_lot",
        "green_lot",
    ] {
        let scan = ex[key].as_str().expect("example");
        let resolved = get(&n, scan, JSON).json();
        let e = evidence(&n, scan);
        let c = check(&e, &anchor, scan, now_ms()).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(
            serde_json::to_value(c.report.verdict).expect("json"),
            resolved["verdict"],
            "{key}"
        );
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn evidence(n: &Node, scan: &str) -> Evidence {
    let enc = percent_encoding::utf8_percent_encode(scan, percent_encoding::NON_ALPHANUMERIC);
    let a = get(n, &format!("/v1/evidence/{enc}"), JSON);
    assert_eq!(a.status, 200, "{}", a.body);
    let hexed = a.json()["evidence"].as_str().expect("evidence").to_string();
    Evidence::decode(&hex::decode(hexed).expect("hex")).expect("decodes")
}

#[test]
fn a_node_that_tampers_with_evidence_is_caught_and_the_resolver_is_rate_limited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, ex, _page) = demo(dir.path());
    let n = start(
        dir.path(),
        &d,
        &["--public-rate", "5"],
        &[("HANDOFF_FAULT_TAMPER_EVIDENCE", "1")],
    );
    let shelf = ex["shelf_bag"].as_str().expect("shelf bag");
    let genesis = get(&n, "/c/genesis.json", JSON).json();
    let bytes = hex::decode(genesis["genesis"].as_str().expect("genesis")).expect("hex");
    let g: Genesis = borsh::from_slice(&bytes).expect("genesis decodes");
    let anchor = Anchor {
        chain_id: g.chain_id(),
        validators: g.validators.clone(),
    };
    let e = evidence(&n, shelf);
    let err = check(&e, &anchor, shelf, now_ms()).expect_err("tampered evidence checked");
    assert_eq!(err.code(), "EVIDENCE_PROOF_INVALID", "{err}");
    // Without a consumer page the browser gets the node's own verdict, said to be so.
    let a = get(&n, shelf, BROWSER);
    assert!(a.body.contains("not checked in your browser"), "{}", a.body);

    // One client, many requests at once (more than the burst the limit allows): some are
    // told to wait, with Retry-After.
    let burst = handoff_http::limits::PUBLIC_BURST as usize;
    let mut limited = 0;
    for _ in 0..burst + 40 {
        let a = get(&n, shelf, JSON);
        if a.status == 429 {
            limited += 1;
            assert!(a.header("retry-after").is_some());
            assert_eq!(a.json()["error"]["code"], "RATE_LIMITED");
        } else {
            assert_eq!(a.status, 200);
        }
    }
    assert!(
        limited > 0,
        "no request of {} was limited at 5 a second",
        burst + 40
    );
}

/// A sold bag's Digital Link looked up from `net` (through the trusted proxy on
/// loopback, which names the client in X-Forwarded-For).
fn look_up_from(n: &Node, scan: &str, net: u8) -> Value {
    let a = get_with(
        n,
        scan,
        JSON,
        &format!("X-Forwarded-For: 198.51.{net}.7\r\n"),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()
}

#[test]
fn a_sold_code_looked_up_from_many_networks_warns_of_a_copied_label() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, ex, _page) = demo(dir.path());
    let sold = ex["sold_bag"].as_str().expect("sold bag");
    let shelf = ex["shelf_bag"].as_str().expect("shelf bag");
    let tin = ex["sold_tin"].as_str().expect("sold tin");
    // Without a trusted proxy the header is the client's own word: ignored, so every
    // lookup here is loopback's one network.
    let n = start(dir.path(), &d, &["--public-rate", "0"], &[]);
    for net in 1..=6 {
        let v = look_up_from(&n, tin, net);
        assert_eq!(v["verdict"], "genuine", "{v}");
    }
    drop(n);
    // Behind a trusted proxy: three networks within the hour are a household ...
    let n = start(
        dir.path(),
        &d,
        &["--public-rate", "0", "--trusted-proxy", "127.0.0.1"],
        &[],
    );
    for net in 1..=3 {
        let v = look_up_from(&n, sold, net);
        assert_eq!(v["verdict"], "genuine", "network {net}: {v}");
        // A reload from a network already counted adds nothing.
        assert_eq!(look_up_from(&n, sold, net)["verdict"], "genuine");
    }
    // ... a fourth is a copied label.
    let v = look_up_from(&n, sold, 4);
    assert_eq!(v["verdict"], "warning", "{v}");
    assert_eq!(reasons(&v), ["MANY_SCANS"], "{v}");
    // `handoff verify` on the node's folder (sent to the running node) says the same:
    // the count is the node's.
    let out = ok(&d, &["verify", sold]);
    assert_eq!(out["verdict"], "warning", "{out}");
    assert_eq!(reasons(&out), ["MANY_SCANS"], "{out}");
    // The page's evidence carries the count beside the proofs; the page lowers the
    // proven verdict by it (consumer/src/check.rs).
    let enc = percent_encoding::utf8_percent_encode(sold, percent_encoding::NON_ALPHANUMERIC);
    let a = get_with(
        &n,
        &format!("/v1/evidence/{enc}"),
        JSON,
        "X-Forwarded-For: 198.51.5.7\r\n",
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let counts = &a.json()["scans"];
    assert_eq!(counts["networks_hour"], 5, "{}", a.body);
    assert_eq!(counts["networks_30d"], 5, "{}", a.body);
    // A bag still on the shelf is not watched: staff scan goods from many places.
    for net in 1..=6 {
        let v = look_up_from(&n, shelf, net);
        assert!(!reasons(&v).contains(&"MANY_SCANS".to_string()), "{v}");
    }
    let a = get(
        &n,
        &format!(
            "/v1/evidence/{}",
            percent_encoding::utf8_percent_encode(shelf, percent_encoding::NON_ALPHANUMERIC)
        ),
        JSON,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.json().get("scans").is_none(), "{}", a.body);
}
