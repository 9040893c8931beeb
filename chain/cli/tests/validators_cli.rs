//! `handoff validators` through the real binary on a single-validator chain: approve and
//! submit a change (the same single key, at epoch 1), then refusals of a wrong epoch and a
//! bad approval signature with exit 3 and their codes.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn handoff(data: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .arg("--data")
        .arg(data)
        .arg("--json")
        .args(args)
        .output()
        .expect("run handoff");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not JSON ({e}): {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

fn ok(data: &Path, args: &[&str]) -> Value {
    let (code, json) = handoff(data, args);
    assert_eq!(code, 0, "{args:?} failed: {json}");
    json
}

fn refused(data: &Path, args: &[&str], expected: &str) {
    let (code, json) = handoff(data, args);
    assert_eq!(code, 3, "{args:?}: {json}");
    assert_eq!(json["error"]["code"], expected, "{args:?}: {json}");
}

fn approval(j: &Value) -> String {
    format!(
        "{}:{}",
        j["validator"].as_str().expect("validator"),
        j["signature"].as_str().expect("signature")
    )
}

#[test]
fn a_single_validator_approves_and_sets_a_new_epoch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(d, &["init", "--org", "Acme Farms", "--prefix", "0614141"]);
    let show = ok(d, &["validators", "show"]);
    assert_eq!(show["epoch"], 0);
    let set = show["validators"].as_array().expect("list").clone();
    assert_eq!(set.len(), 1);
    let me = set[0].as_str().expect("key").to_string();

    // The one validator approves [itself] for epoch 1 and submits it.
    let a1 = ok(d, &["validators", "approve", "--epoch", "1", &me]);
    assert_eq!(a1["validator"], me.as_str());
    assert_eq!(a1["signature"].as_str().map(str::len), Some(128));
    let set1 = ok(
        d,
        &[
            "validators",
            "set",
            "--epoch",
            "1",
            &me,
            "--approval",
            &approval(&a1),
        ],
    );
    assert!(set1["height"].as_u64().is_some(), "{set1}");
    let show = ok(d, &["validators", "show"]);
    assert_eq!(show["epoch"], 1);
    assert_eq!(
        show["validators"],
        Value::Array(vec![Value::from(me.clone())])
    );

    // The chain goes on: the same key certifies the next blocks.
    ok(d, &["org", "add", "Bolt Freight", "--role", "carrier"]);

    // Epoch 1 again (the chain is at 1, so a change must name 2): rejected.
    refused(
        d,
        &[
            "validators",
            "set",
            "--epoch",
            "1",
            &me,
            "--approval",
            &approval(&a1),
        ],
        "WRONG_EPOCH",
    );
    // Epoch 2 with the epoch-1 approval (whose signature is over epoch 1): rejected.
    refused(
        d,
        &[
            "validators",
            "set",
            "--epoch",
            "2",
            &me,
            "--approval",
            &approval(&a1),
        ],
        "BAD_APPROVAL",
    );
    // A tampered signature: rejected.
    let a2 = ok(d, &["validators", "approve", "--epoch", "2", &me]);
    let mut sig = a2["signature"].as_str().expect("sig").to_string();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    sig.replace_range(0..1, flipped);
    refused(
        d,
        &[
            "validators",
            "set",
            "--epoch",
            "2",
            &me,
            "--approval",
            &format!("{me}:{sig}"),
        ],
        "BAD_APPROVAL",
    );
    // Without any approval: not enough.
    refused(
        d,
        &["validators", "set", "--epoch", "2", &me],
        "INSUFFICIENT_APPROVALS",
    );
    // The good approval for epoch 2 still works after those refusals.
    ok(
        d,
        &[
            "validators",
            "set",
            "--epoch",
            "2",
            &me,
            "--approval",
            &approval(&a2),
        ],
    );
    assert_eq!(ok(d, &["validators", "show"])["epoch"], 2);

    // Input that is not an approval at all is bad input (exit 2), not a ledger rule.
    let (code, json) = handoff(
        d,
        &[
            "validators",
            "set",
            "--epoch",
            "3",
            &me,
            "--approval",
            "nope",
        ],
    );
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["error"]["code"], "BAD_APPROVAL_INPUT");

    // Last: hand the chain to another key. The change commits, the folder still answers
    // queries, but its validator alone may no longer certify blocks.
    let other = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
    let a3 = ok(d, &["validators", "approve", "--epoch", "3", other]);
    ok(
        d,
        &[
            "validators",
            "set",
            "--epoch",
            "3",
            other,
            "--approval",
            &approval(&a3),
        ],
    );
    let show = ok(d, &["validators", "show"]);
    assert_eq!(show["epoch"], 3);
    assert_eq!(show["validators"], Value::Array(vec![Value::from(other)]));
    let (code, json) = handoff(d, &["org", "add", "Corner Shop", "--role", "retailer"]);
    assert_eq!(code, 1, "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a validator of its chain")),
        "{json}"
    );
}
