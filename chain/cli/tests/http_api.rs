//! The HTTP API as a client program meets it: a real `handoff node run` on a data folder
//! with three orgs, driven through the typed client (`handoff_http::Client`) with a token
//! per identity, through a whole custody scenario and the ways a request is refused.

use crate::common;

use common::*;
use handoff_api::*;
use handoff_http::Client;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};

struct Node {
    child: Child,
    url: String,
    http: String,
    token: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &std::path::Path, d: &std::path::Path, extra: &[&str]) -> Node {
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(d)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{}", free_port()))
        .args(extra);
    let log = std::fs::File::create(root.join("node.log")).expect("log");
    let child = spawn_ready(&mut cmd, log, "node");
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json is JSON");
    let http = f["http"].as_str().expect("http").to_string();
    Node {
        child,
        url: format!("http://{http}"),
        http,
        token: f["token"].as_str().expect("token").to_string(),
    }
}

/// Acme Farms (the folder's first identity: the node's own token), Bolt Freight and
/// Corner Shop (a token each, made with `handoff node token`).
fn three_orgs(root: &std::path::Path) -> (std::path::PathBuf, String, String) {
    let d = root.join("node");
    ok(
        &d,
        &[
            "init",
            "--org",
            "Acme Farms",
            "--prefix",
            "0614141",
            "--role",
            "producer",
        ],
    );
    ok(&d, &["org", "add", "Bolt Freight", "--role", "carrier"]);
    ok(&d, &["org", "add", "Corner Shop", "--role", "retailer"]);
    let shop = ok(&d, &["node", "token", "Corner Shop"]);
    assert_eq!(shop["identity"], "Corner Shop");
    let carrier = ok(&d, &["node", "token", "Bolt Freight"]);
    let t = |v: &Value| v["token"].as_str().expect("token").to_string();
    (d, t(&shop), t(&carrier))
}

/// Sends raw bytes and returns the status and the JSON body.
fn raw(n: &Node, head: &str, body: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(&n.http).expect("connect");
    write!(s, "{head}Host: {}\r\nConnection: close\r\n\r\n", n.http).expect("head");
    let mut w = s.try_clone().expect("clone");
    let body = body.to_vec();
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

fn code(e: &ApiError) -> &str {
    e.code.as_str()
}

#[test]
fn a_whole_custody_scenario_through_the_typed_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, shop_token, carrier_token) = three_orgs(dir.path());
    let n = start(dir.path(), &d, &[]);
    let acme = Client::new(&n.url, Some(&n.token));
    let shop = Client::new(&n.url, Some(&shop_token));
    let carrier = Client::new(&n.url, Some(&carrier_token));
    let public = Client::new(&n.url, None);

    let g = gtin("061414100001");
    let defined = acme
        .call(&ProductDefineRequest {
            gtin: g.clone(),
            name: "Arabica 1 kg".into(),
            description: String::new(),
            attributes: vec![],
        })
        .expect("define the product");
    assert!(defined.height.is_some(), "{defined:?}");
    let product = public
        .call(&ProductShowRequest { gtin: g.clone() })
        .expect("anyone reads a product");
    assert_eq!(product.product.name, "Arabica 1 kg");

    let sn = |s: &str| format!("(01)0{g}(21){s}");
    let pallet = format!("(00){}", gtin("00614141000000001"));
    let made = acme
        .call(&CommissionRequest {
            scans: vec![sn("SN1"), sn("SN2"), sn("SN3")],
            lot: None,
            qty: None,
            at: None,
            expiry: None,
            claim_codes: false,
            pin: None,
        })
        .expect("commission");
    assert_eq!(made.items.len(), 3, "{made:?}");

    // Packed on a pallet and off again, by the custodian.
    acme.call(&PackRequest {
        into: pallet.clone(),
        scans: vec![sn("SN1"), sn("SN2")],
    })
    .expect("pack");
    acme.call(&UnpackRequest {
        container: pallet.clone(),
        scans: vec![],
    })
    .expect("unpack");

    let proposed = acme
        .call(&ProposeRequest {
            to: "Corner Shop".into(),
            scans: vec![sn("SN1"), sn("SN2"), sn("SN3")],
            transfer: TransferKind::default(),
            qty: None,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_in: None,
        })
        .expect("propose");
    let id = proposed.handoff.clone();
    let inbox = shop.call(&InboxRequest {}).expect("the shop's inbox");
    // Incoming, not outgoing: the shop's token reads as the shop.
    assert!(inbox.incoming.iter().any(|h| h.id == id), "{inbox:?}");
    assert!(inbox.outgoing.is_empty(), "{inbox:?}");

    // The carrier is not the recipient: a ledger rule says no, with its code.
    let wrong = carrier
        .call(&AcceptRequest {
            id: id.clone(),
            missing: vec![],
            damaged: vec![],
        })
        .expect_err("the carrier may not accept");
    assert_eq!(
        (code(&wrong), wrong.kind),
        ("NOT_RECIPIENT", ErrorKind::Rejected),
        "{wrong:?}"
    );
    assert_eq!(wrong.http_status(), 422);

    // The shop accepts, one bag missing from the delivery.
    shop.call(&AcceptRequest {
        id: id.clone(),
        missing: vec![sn("SN3")],
        damaged: vec![],
    })
    .expect("accept with an exception");
    let shown = public
        .call(&ItemShowRequest {
            key: sn("SN1"),
            proof: false,
        })
        .expect("item");
    let shown = serde_json::to_value(&shown).expect("json");
    assert_eq!(shown["item"]["custodian"]["name"], "Corner Shop", "{shown}");
    let missing = serde_json::to_value(
        public
            .call(&ItemShowRequest {
                key: sn("SN3"),
                proof: false,
            })
            .expect("item"),
    )
    .expect("json");
    assert_ne!(
        missing["item"]["custodian"]["name"], "Corner Shop",
        "{missing}"
    );

    let history = public
        .call(&ItemHistoryRequest { key: sn("SN1") })
        .expect("history");
    let kinds: Vec<&str> = history.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "commission",
            "pack",
            "unpack",
            "handoff_proposed",
            "handoff_accepted"
        ],
        "{history:?}"
    );
    assert_eq!(history.events[4].by_name, "Corner Shop");
    let verdict = public
        .call(&VerifyRequest { scan: sn("SN1") })
        .expect("verify");
    assert_eq!(verdict.verdict, "genuine", "{verdict:?}");
    let fake = public
        .call(&VerifyRequest { scan: sn("NOPE9") })
        .expect("verify");
    assert_eq!(fake.verdict, "counterfeit");
    let looked = public
        .call(&LookupRequest { scan: sn("SN1") })
        .expect("lookup");
    assert!(
        looked.handoff.is_none() || looked.verdict.is_some(),
        "{looked:?}"
    );
    // Anyone may check a document (here one never registered: its absence proven) and
    // list an item's certifications; the list of "mine" needs a signed-in org.
    let doc = public
        .call(&DocVerifyRequest {
            hash: "ab".repeat(32),
        })
        .expect("a public document check");
    assert!(!doc.registered && doc.proof.verified, "{doc:?}");
    let certs = public
        .call(&CertListRequest {
            for_: sn("SN1"),
            by: None,
            valid: false,
        })
        .expect("a public certification list");
    assert!(certs.certifications.is_empty(), "{certs:?}");
    let e = public
        .call(&CertListRequest {
            for_: String::new(),
            by: None,
            valid: false,
        })
        .expect_err("whose certifications?");
    assert_eq!((code(&e), e.http_status()), ("BAD_ARGUMENT", 400), "{e:?}");

    // What only the shop's token may do is not done with the farm's: the acceptance is
    // signed by the identity the token stands for.
    let again = acme
        .call(&AcceptRequest {
            id,
            missing: vec![],
            damaged: vec![],
        })
        .expect_err("closed, and not Acme's to accept");
    assert_eq!(again.kind, ErrorKind::Rejected, "{again:?}");
}

#[test]
fn refusals_have_their_status_and_the_error_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, _, _) = three_orgs(dir.path());
    let n = start(dir.path(), &d, &["--public-rate", "5"]);
    let public = Client::new(&n.url, None);
    let g = gtin("061414100001");
    let define = ProductDefineRequest {
        gtin: g.clone(),
        name: "Arabica".into(),
        description: String::new(),
        attributes: vec![],
    };

    // No token, a wrong one: 401, and nothing was defined.
    let e = public.call(&define).expect_err("needs a token");
    assert_eq!((code(&e), e.http_status()), ("UNAUTHORIZED", 401), "{e:?}");
    let mut wrong = n.token.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(wrong.len() - 1.., last);
    let e = Client::new(&n.url, Some(&wrong))
        .call(&define)
        .expect_err("a wrong token");
    assert_eq!(code(&e), "UNAUTHORIZED", "{e:?}");
    let e = public
        .call(&ProductShowRequest { gtin: g.clone() })
        .expect_err("not defined");
    assert_eq!(e.http_status(), 404, "{e:?}");
    // Private reads need the token too.
    let e = public.call(&InboxRequest {}).expect_err("private");
    assert_eq!(code(&e), "UNAUTHORIZED");

    let auth = format!("Authorization: Bearer {}\r\n", n.token);
    let post = |path: &str, body: &[u8]| {
        raw(
            &n,
            &format!(
                "POST {path} HTTP/1.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ),
            body,
        )
    };
    let (s, j) = post("/v1/products", b"{\"gtin\": ");
    assert_eq!((s, &j["error"]["code"]), (400, &"BAD_JSON".into()), "{j}");
    let (s, j) = post(
        "/v1/products",
        format!(r#"{{"gtin":"{g}","name":"A","colour":"red"}}"#).as_bytes(),
    );
    assert_eq!(
        (s, &j["error"]["code"]),
        (400, &"BAD_REQUEST".into()),
        "{j}"
    );
    assert!(
        j["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("colour")),
        "{j}"
    );
    let (s, j) = post("/v1/sales", br#"{"scans": "one"}"#);
    assert_eq!(
        (s, &j["error"]["code"]),
        (400, &"BAD_REQUEST".into()),
        "{j}"
    );
    let mut big = br#"{"scans":[""#.to_vec();
    big.extend(vec![b'x'; handoff_http::limits::MAX_BODY_BYTES]);
    big.extend(br#""]}"#);
    let (s, j) = post("/v1/sales", &big);
    assert_eq!((s, &j["error"]["code"]), (413, &"TOO_LARGE".into()), "{j}");
    // The same body sent without a length, in chunks: refused the same way.
    let mut chunked = format!("{:x}\r\n", big.len()).into_bytes();
    chunked.extend(&big);
    chunked.extend(b"\r\n0\r\n\r\n");
    let (s, j) = raw(
        &n,
        &format!("POST /v1/sales HTTP/1.1\r\n{auth}Transfer-Encoding: chunked\r\n"),
        &chunked,
    );
    assert_eq!((s, &j["error"]["code"]), (413, &"TOO_LARGE".into()), "{j}");
    // A malformed scan is the API's own input error.
    let e = public
        .call(&LookupRequest {
            scan: "(01)09506000134353(21)X".into(),
        })
        .expect_err("bad check digit");
    assert!(
        code(&e).starts_with("SCAN_") && e.http_status() == 400,
        "{e:?}"
    );
    // Router refusals have the shape too.
    let (s, j) = raw(&n, "GET /v1/nothing HTTP/1.1\r\n", b"");
    assert_eq!((s, &j["error"]["code"]), (404, &"NOT_FOUND".into()), "{j}");
    let (s, j) = raw(&n, &format!("DELETE /v1/products HTTP/1.1\r\n{auth}"), b"");
    assert_eq!(
        (s, &j["error"]["code"]),
        (405, &"METHOD_NOT_ALLOWED".into()),
        "{j}"
    );
    // A token never comes back in an answer.
    let (_, j) = raw(&n, "GET /v1/openapi.json HTTP/1.1\r\n", b"");
    assert!(!j.to_string().contains(&n.token));
    assert!(j["paths"]["/v1/items/{key}"]["get"].is_object());

    // Public reads are rate-limited per client address (5 a second here, burst 200):
    // a flood is answered 429 with the shape and a Retry-After, never dropped.
    let mut limited = None;
    for _ in 0..400 {
        let (s, j) = raw(&n, "GET /v1/status HTTP/1.1\r\n", b"");
        if s == 429 {
            limited = Some(j);
            break;
        }
        assert_eq!(s, 200, "{j}");
    }
    let j = limited.expect("the limit was reached");
    assert_eq!(j["error"]["code"], "RATE_LIMITED", "{j}");
    // Actions with a token are not behind the public limit.
    let acme = Client::new(&n.url, Some(&n.token));
    acme.call(&define)
        .expect("define while the public routes are limited");
}

/// A remote node is an `Api` like the local one: the same `Request` answered with the
/// same `Response` through the client as through the node's own implementation.
#[test]
fn the_client_is_an_api_answering_like_the_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, _, _) = three_orgs(dir.path());
    let n = start(dir.path(), &d, &[]);
    let remote: &dyn Api = &Client::new(&n.url, Some(&n.token));
    let who = Caller::anonymous();
    let r = remote
        .call(&who, Request::OrgList(OrgListRequest {}))
        .expect("org list");
    let Response::OrgList(orgs) = r else {
        panic!("another answer: {r:?}")
    };
    let names: Vec<&str> = orgs.orgs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"Corner Shop"), "{names:?}");
    let status = call_typed(remote, &who, StatusRequest {}).expect("status");
    // The two orgs added after the genesis are two blocks; the running validator may or
    // may not have made more by now.
    assert!(status.height >= 2, "{status:?}");
    let e = remote
        .call(
            &who,
            Request::Lookup(LookupRequest {
                scan: "hello".into(),
            }),
        )
        .expect_err("bad scan");
    assert!(e.code.starts_with("SCAN_"), "{e:?}");
}

/// `--ui DIR` serves the built UI at `/` (its `index.html` for the UI's own routes),
/// while `/v1/…` stays the API; `--cors ORIGIN` lets a page from that origin call it,
/// and no other.
#[test]
fn the_ui_is_served_beside_the_api_and_cors_is_only_for_named_origins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, _, _) = three_orgs(dir.path());
    let ui = dir.path().join("dist");
    std::fs::create_dir_all(&ui).expect("ui dir");
    std::fs::write(ui.join("index.html"), "<html>handoff ui</html>").expect("index");
    std::fs::write(ui.join("app.js"), "console.log(1)").expect("js");
    let ui_arg = ui.to_str().expect("path");
    let n = start(
        dir.path(),
        &d,
        &["--ui", ui_arg, "--cors", "https://app.example.test"],
    );
    let get = |target: &str, extra: &str| {
        let mut s = TcpStream::connect(&n.http).expect("connect");
        write!(
            s,
            "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{extra}\r\n",
            n.http
        )
        .expect("request");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    };
    assert!(get("/", "").contains("handoff ui"));
    assert!(get("/app.js", "").contains("console.log(1)"));
    // A route of the UI itself loads the UI.
    let page = get("/items/abc", "");
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("handoff ui"),
        "{page}"
    );
    // Under /v1 a path that names no endpoint is the API's 404, never the UI's page.
    let api = get("/v1/no/such", "");
    assert!(
        api.starts_with("HTTP/1.1 404") && api.contains("NOT_FOUND"),
        "{api}"
    );

    let allowed = get("/v1/status", "Origin: https://app.example.test\r\n").to_lowercase();
    assert!(
        allowed.contains("access-control-allow-origin: https://app.example.test"),
        "{allowed}"
    );
    let other = get("/v1/status", "Origin: https://elsewhere.test\r\n").to_lowercase();
    assert!(!other.contains("access-control-allow-origin"), "{other}");
}

#[test]
fn the_node_serves_the_ui_with_its_sign_in_link_and_product_pictures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (d, _, _) = three_orgs(dir.path());
    let ui = dir.path().join("dist");
    std::fs::create_dir_all(&ui).expect("ui dir");
    std::fs::write(ui.join("index.html"), "<title>Handoff UI page</title>").expect("index");
    let n = start(dir.path(), &d, &["--ui", ui.to_str().expect("utf-8 path")]);
    // The link a person opens: the node's own token in the fragment, in node.json too.
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json is JSON");
    assert_eq!(
        f["browser_url"],
        format!("http://{}/#token={}", n.http, n.token)
    );
    let public = Client::new(&n.url, None);
    // The page, and a path of the UI's own, answer its index; an API path never does.
    for path in ["/", "/item/anything"] {
        let (status, text) = public.send(Method::Get, path, None).expect("page");
        assert_eq!(status, 200, "{path}");
        assert!(text.contains("Handoff UI page"), "{path}: {text}");
    }
    let (status, text) = public.send(Method::Get, "/v1/nothing", None).expect("404");
    assert_eq!(status, 404, "{text}");
    // A product's picture is a public read: a product defined without one answers none;
    // an undefined product is refused with its code.
    let acme = Client::new(&n.url, Some(&n.token));
    let g = gtin("061414100002");
    acme.call(&ProductDefineRequest {
        gtin: g.clone(),
        name: "Robusta 1 kg".into(),
        description: String::new(),
        attributes: vec![],
    })
    .expect("define");
    let p = public
        .call(&ProductImageRequest { gtin: g.clone() })
        .expect("picture");
    // Answered under its GTIN-14.
    assert_eq!(p.gtin, format!("{g:0>14}"));
    assert_eq!((p.image_hash, p.data_base64), (None, None));
    let e = public
        .call(&ProductImageRequest {
            gtin: gtin("061414199999"),
        })
        .expect_err("undefined");
    assert_eq!(code(&e), "UNKNOWN_PRODUCT");
}
