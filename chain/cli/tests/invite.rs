//! Joining a network by invitation, with the real `handoff` binary: a registrar's node
//! runs on loopback TCP; the registrar invites Harbor Logistics; a fresh folder joins
//! with the link alone (no genesis pasted, no key copied), is admitted, and its light
//! node sees the handoff the registrar then proposes to it. The same link again is
//! `TICKET_USED`; a forged ticket `UNKNOWN_TICKET`; a link whose genesis hash was altered
//! `GENESIS_MISMATCH` (nothing kept); an expired invitation `TICKET_EXPIRED`; a
//! malformed link exits 2 with `BAD_INVITE`. The registrar lists its invitations (open,
//! used with the org admitted, expired, revoked) and revokes one: a join with that link
//! is `TICKET_REVOKED`. A join whose answer was lost finishes when run again, with the
//! key it made.

use crate::common;

use common::*;
use handoff_api::*;
use handoff_http::Client;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills a child process when the test ends (and shows its log if the test failed).
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!(
                "--- {} (newest first) ---\n{}",
                self.log.display(),
                tail.join("\n")
            );
        }
    }
}

/// `handoff --json ARGS` on `data` with extra environment variables.
fn handoff_env(data: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, Value) {
    let out = Command::new(bin())
        .envs(env.iter().copied())
        .arg("--data")
        .arg(data)
        .arg("--json")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run handoff");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not JSON ({e}): {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// A join that fails: its exit code and error code.
fn refused_join(data: &Path, link: &str) -> (i32, String) {
    let (code, json, stderr) = handoff(data, &["join", link]);
    assert_ne!(code, 0, "joined with {link}: {json} {stderr}");
    let e = json["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{json}"
    );
    (code, e)
}

/// The registrar's invitation `id` as `org invitations` lists it.
fn listed(reg: &Path, id: &str) -> Value {
    let all = ok(reg, &["org", "invitations"]);
    all["invitations"]
        .as_array()
        .expect("invitations")
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("invitation {id} not listed: {all}"))
}

/// The value of `param` in a link.
fn param<'a>(link: &'a str, param: &str) -> &'a str {
    link.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{param}=")))
        .expect("param")
}

fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The registrar's folder `reg` running as the chain's validator on `addr`.
fn registrar_node(root: &Path, reg: &Path, addr: &str) -> Proc {
    let log = root.join("registry.log");
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(reg)
        .args(["node", "run", "--validator", "--no-mdns", "--listen", addr]);
    Proc {
        child: spawn_ready(
            &mut cmd,
            std::fs::File::create(&log).expect("log"),
            "registrar's node",
        ),
        log,
    }
}

/// A join whose answer is lost on its way back: the org is admitted, the joiner does not
/// know it. The same join again finishes it with the key the first one made (not another
/// org, not `TICKET_USED`), and the invitation stays the one org's.
#[test]
fn a_join_whose_answer_was_lost_finishes_when_run_again() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let reg = root.join("registry");
    ok(&reg, &["init", "--org", "Registry", "--prefix", "0614141"]);
    let addr = format!("/ip4/127.0.0.1/tcp/{}", free_port());
    let _node = registrar_node(&root, &reg, &addr);
    let inv = ok(&reg, &["org", "invite", "Dock Nine", "--role", "warehouse"]);
    let link = inv["link"].as_str().expect("link").to_string();
    let id = inv["ticket_id"].as_str().expect("ticket id").to_string();

    let dock = root.join("dock");
    let (code, lost) = handoff_env(
        &dock,
        &[("HANDOFF_FAULT_LOSE_JOIN_ANSWER", "1")],
        &["join", &link],
    );
    assert_eq!(
        (code, lost["error"]["code"].as_str()),
        (1, Some("JOIN_UNKNOWN")),
        "{lost}"
    );
    assert!(
        lost["error"]["message"]
            .as_str()
            .expect("message")
            .contains("run the same join again"),
        "{lost}"
    );
    assert!(!dock.join("light").exists());
    // The registrar did admit it: the invitation is used by that key.
    let used = wait_for("the admission", Duration::from_secs(30), || {
        let i = listed(&reg, &id);
        i["height"].as_u64().is_some().then_some(i)
    });
    assert_eq!(used["status"], "used", "{used}");
    let admitted = used["org"].as_str().expect("org").to_string();

    // The same join again: the registrar's node answers the admission it made; the
    // folder is the admitted org's light node.
    let joined = ok(&dock, &["join", &link]);
    assert_eq!(joined["org"].as_str(), Some(admitted.as_str()), "{joined}");
    assert_eq!(joined["height"], used["height"], "{joined}");
    assert!(dock.join("light").exists());
    assert!(!dock.join("join-pending.json").exists());
    let orgs = ok(&reg, &["org", "list"]);
    let docks: Vec<&Value> = orgs["orgs"]
        .as_array()
        .expect("orgs")
        .iter()
        .filter(|o| o["name"] == "Dock Nine")
        .collect();
    assert_eq!(docks.len(), 1, "{orgs}");
    assert_eq!(docks[0]["key"].as_str(), Some(admitted.as_str()));
    // Anyone else with the link: used.
    let (code, e) = refused_join(&root.join("other"), &link);
    assert_eq!((code, e.as_str()), (1, "TICKET_USED"));
}

#[test]
fn an_org_joins_by_invitation_once_and_only_on_its_chain() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let reg = root.join("registry");
    ok(&reg, &["init", "--org", "Registry", "--prefix", "0614141"]);
    let port = free_port();
    let addr = format!("/ip4/127.0.0.1/tcp/{port}");

    // An invitation made (with the clock set back 100 hours) before the node runs: its
    // link names the address given, with the node's own peer id.
    let (code, old) = handoff_env(
        &reg,
        &[("HANDOFF_FAULT_INVITE_CLOCK_MS", "-360000000")],
        &["org", "invite", "Old Friend", "--peer", &addr],
    );
    assert_eq!(code, 0, "{old}");
    let expired_link = old["link"].as_str().expect("link").to_string();
    assert!(expired_link.contains("/p2p/12D3"), "{expired_link}");
    // No address to name: refused, with a code that says so.
    let (code, e) = handoff_env(&reg, &[], &["org", "invite", "Nobody"]);
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (1, Some("NOT_NETWORKED")),
        "{e}"
    );

    let _node = registrar_node(&root, &reg, &addr);

    // The invitation, made by the running node: its link and QR code.
    let qr = root.join("invite.svg");
    let inv = ok(
        &reg,
        &[
            "org",
            "invite",
            "Harbor Logistics",
            "--role",
            "warehouse",
            "--qr",
            qr.to_str().expect("path"),
        ],
    );
    let link = inv["link"].as_str().expect("link").to_string();
    assert!(link.starts_with("handoff://join?v=1&chain="), "{link}");
    assert!(link.contains(&format!("/tcp/{port}/p2p/")), "{link}");
    assert!(
        inv["expires"].as_str().expect("expires").ends_with('Z'),
        "{inv}"
    );
    let svg = std::fs::read_to_string(&qr).expect("qr file");
    assert!(svg.contains("<svg"), "{svg:.80}");
    assert_eq!(inv["qr_svg"].as_str(), Some(svg.as_str()));
    let kept = std::fs::read_to_string(reg.join("invitations.json")).expect("invitations");
    assert!(
        !kept.contains(param(&link, "ticket")),
        "only the ticket's hash is kept"
    );

    // The registrar lists it as open, by its public id (never the ticket); the one made
    // 100 hours ago for 72 hours as expired.
    let harbor_id = inv["ticket_id"].as_str().expect("ticket id").to_string();
    let open = listed(&reg, &harbor_id);
    assert_eq!(
        (&open["status"], &open["name"], &open["roles"]),
        (
            &Value::from("open"),
            &Value::from("Harbor Logistics"),
            &serde_json::json!(["warehouse"])
        ),
        "{open}"
    );
    assert!(open["expires"].as_str().expect("expires").ends_with('Z'));
    let old_id = old["ticket_id"].as_str().expect("ticket id");
    assert_eq!(listed(&reg, old_id)["status"], "expired");
    let (code, all) = handoff_env(&reg, &[], &["org", "invitations"]);
    assert_eq!(code, 0, "{all}");
    assert!(!all.to_string().contains(param(&link, "ticket")), "{all}");

    // A second invitation, sent to the wrong person: revoked, kept as revoked, and a join
    // with its link is refused.
    let wrong = ok(
        &reg,
        &["org", "invite", "Quay Traders", "--role", "retailer"],
    );
    let wrong_link = wrong["link"].as_str().expect("link").to_string();
    let wrong_id = wrong["ticket_id"].as_str().expect("ticket id").to_string();
    let revoked = ok(&reg, &["org", "revoke-invitation", &wrong_id]);
    assert_eq!(revoked["invitation"]["status"], "revoked", "{revoked}");
    assert_eq!(listed(&reg, &wrong_id)["status"], "revoked");
    let (code, e) = refused_join(&root.join("quay"), &wrong_link);
    assert_eq!((code, e.as_str()), (1, "TICKET_REVOKED"));
    assert!(!root.join("quay").join("light").exists());
    assert_eq!(listed(&reg, &wrong_id)["status"], "revoked");
    for (id, want) in [
        (wrong_id.as_str(), "INVITATION_REVOKED"),
        ("0123456789abcdef", "UNKNOWN_INVITATION"),
        (old_id, "INVITATION_EXPIRED"),
    ] {
        let (code, e) = handoff_env(&reg, &[], &["org", "revoke-invitation", id]);
        assert_eq!((code, e["error"]["code"].as_str()), (2, Some(want)), "{e}");
    }

    // A link whose genesis hash was altered: refused before any key is made or kept.
    let chain_hex = param(&link, "genesis").to_string();
    let other = format!(
        "{}{}",
        if chain_hex.starts_with('0') { "1" } else { "0" },
        &chain_hex[1..]
    );
    let lured = root.join("lured");
    let (_, code) = refused_join(&lured, &link.replace(&chain_hex, &other));
    assert_eq!(code, "GENESIS_MISMATCH");
    assert!(
        !lured.join("keys").exists()
            || std::fs::read_dir(lured.join("keys"))
                .expect("keys")
                .next()
                .is_none()
    );
    assert!(!lured.join("light").exists());

    // A forged ticket: another 32 bytes.
    let ticket = param(&link, "ticket").to_string();
    let forged = "A".repeat(43);
    let (_, code) = refused_join(&root.join("forger"), &link.replace(&ticket, &forged));
    assert_eq!(code, "UNKNOWN_TICKET");

    // Harbor Logistics joins with the link alone.
    let harbor = root.join("harbor");
    let joined = ok(&harbor, &["join", &link]);
    let harbor_key = joined["org"].as_str().expect("org").to_string();
    assert_eq!(joined["name"], "Harbor Logistics");
    assert!(joined["height"].as_u64().expect("height") > 0, "{joined}");
    let orgs = ok(&reg, &["org", "list"]);
    let listed = orgs["orgs"]
        .as_array()
        .expect("orgs")
        .iter()
        .find(|o| o["name"] == "Harbor Logistics")
        .unwrap_or_else(|| panic!("Harbor Logistics not admitted: {orgs}"));
    assert_eq!(listed["key"], harbor_key.as_str());
    assert_eq!(listed["roles"], serde_json::json!(["warehouse"]));
    // The invitation lists as used, with the org it admitted and its block; it can no
    // longer be revoked.
    let used = self::listed(&reg, &harbor_id);
    assert_eq!(
        (&used["status"], &used["org"], &used["height"]),
        (
            &Value::from("used"),
            &Value::from(harbor_key.as_str()),
            &joined["height"]
        ),
        "{used}"
    );
    let (code, e) = handoff_env(&reg, &[], &["org", "revoke-invitation", &harbor_id]);
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (2, Some("INVITATION_USED")),
        "{e}"
    );

    // The same link again: used.
    let (code, e) = refused_join(&root.join("again"), &link);
    assert_eq!((code, e.as_str()), (1, "TICKET_USED"));
    assert!(!root.join("again").join("light").exists());
    // The joined folder holds a node now.
    let (code, e) = refused_join(&harbor, &link);
    assert_eq!((code, e.as_str()), (2, "ALREADY_INITIALIZED"));
    // The invitation made 100 hours ago for 72 hours: expired.
    let (_, e) = refused_join(&root.join("late"), &expired_link);
    assert_eq!(e, "TICKET_EXPIRED");
    // A malformed link: bad input.
    let (code, e) = refused_join(&root.join("typo"), "handoff://join?v=1&chain=12");
    assert_eq!((code, e.as_str()), (2, "BAD_INVITE"));

    // The joined light node follows its own org: a handoff proposed to it shows in its
    // inbox (it dials the peers the link named; none given here).
    let g = gtin("0061414100001");
    let as_reg = |args: &[&str]| ok(&reg, &[&["--as", "Registry"][..], args].concat());
    as_reg(&["product", "define", "--gtin", &g, "--name", "Arabica 1 kg"]);
    let bag = format!("(01){g}(21)B1");
    as_reg(&["item", "commission", &bag]);
    let offer = as_reg(&["handoff", "propose", "--to", "Harbor Logistics", &bag])["handoff"]
        .as_str()
        .expect("offer")
        .to_string();
    let llog = root.join("harbor.log");
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(&harbor)
        .args(["light", "run", "--no-mdns", "--http", "127.0.0.1:0"]);
    let _light = Proc {
        child: spawn_ready(
            &mut cmd,
            std::fs::File::create(&llog).expect("log"),
            "light node",
        ),
        log: llog,
    };
    let file: Value =
        serde_json::from_slice(&std::fs::read(harbor.join("light.json")).expect("light.json"))
            .expect("light.json is JSON");
    let api = Client::new(
        &format!("http://{}", file["http"].as_str().expect("http")),
        Some(file["token"].as_str().expect("token")),
    );
    let inbox = wait_for(
        "the offer in the joined org's inbox",
        Duration::from_secs(90),
        || {
            api.call(&InboxRequest {})
                .ok()
                .filter(|i| i.incoming.iter().any(|h| h.id == offer))
        },
    );
    assert_eq!(inbox.org, harbor_key);
}
