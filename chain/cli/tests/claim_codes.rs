//! Claim codes on a real chain: the `handoff` binary commissions items with claim codes,
//! a shop sells them, consumers claim them; then the chain on disk is opened to look for
//! the secrets and to replay and copy claim transactions.

use crate::common;

use common::*;
use handoff_core::claim::ClaimSecret;
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{Gs1Key, parse_scan};
use handoff_core::tx::{Claim, Payload, SignedTx};
use handoff_node::ledger::{Ledger, Sequencer, first_rejection};
use serde_json::Value;
use std::path::Path;

/// A farm with a product, a shop, and `n` items commissioned with claim codes written to
/// `codes` (outside the data folder, as a label printer's file would be). Returns the
/// scans and the codes file's rows.
fn commissioned(d: &Path, codes: &Path, n: usize) -> (Vec<String>, Vec<(String, String)>) {
    ok(
        d,
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
    ok(d, &["org", "add", "Corner Shop", "--role", "retailer"]);
    let g = gtin("061414100001");
    ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "product",
            "define",
            "--gtin",
            &g,
            "--name",
            "Arabica",
        ],
    );
    let scans: Vec<String> = (1..=n).map(|i| format!("(01)0{g}(21)SN{i}")).collect();
    let mut args = vec!["--as", "Acme Farms", "item", "commission"];
    args.extend(scans.iter().map(String::as_str));
    args.extend(["--claim-codes", codes.to_str().expect("utf-8 path")]);
    let out = ok(d, &args);
    let text = std::fs::read_to_string(codes).expect("codes file");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("item,code"));
    let rows: Vec<(String, String)> = lines
        .map(|l| {
            let (item, code) = l.split_once(',').expect("item,code");
            (item.to_string(), code.to_string())
        })
        .collect();
    // The answer and the file agree, item by item.
    let answered: Vec<(String, String)> = out["claim_codes"]
        .as_array()
        .expect("claim codes in the answer")
        .iter()
        .map(|c| (s(&c["item"]), s(&c["code"])))
        .collect();
    assert_eq!(rows, answered);
    (scans, rows)
}

fn s(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

fn key_of(scan: &str) -> Gs1Key {
    parse_scan(scan).expect("scan").key
}

/// Every file under `dir`, read whole.
fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).expect("read file")));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn sell(d: &Path, scan: &str) {
    let h = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "handoff",
            "propose",
            "--to",
            "Corner Shop",
            "--ownership",
            scan,
        ],
    );
    let id = s(&h["handoff"]);
    ok(d, &["--as", "Corner Shop", "handoff", "accept", &id]);
    ok(d, &["--as", "Corner Shop", "item", "sell", scan]);
}

/// The folder's consumer key, as `handoff item claim` saved it.
fn consumer_key(d: &Path) -> Keypair {
    let f: Value =
        serde_json::from_slice(&std::fs::read(d.join("consumer.key")).expect("consumer key"))
            .expect("key file");
    let mut seed = [0u8; 32];
    hex::decode_to_slice(s(&f["secret"]), &mut seed).expect("hex secret");
    Keypair::from_secret(seed)
}

#[test]
fn each_item_gets_its_own_code_and_the_chain_holds_only_public_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let printer = tempfile::tempdir().expect("tempdir");
    let (d, codes) = (dir.path(), printer.path().join("codes.csv"));
    let (scans, rows) = commissioned(d, &codes, 5);
    assert_eq!(rows.len(), 5);

    let mut seen = std::collections::HashSet::new();
    let chain_files = files(d);
    assert!(!chain_files.is_empty());
    for ((item, code), scan) in rows.iter().zip(&scans) {
        assert_eq!(item, &key_of(scan).canonical());
        // 128 random bits per item (the product asks for at least 96): 2^128 guesses.
        let secret = ClaimSecret::parse(code).expect("a claim code");
        assert_eq!(secret.bytes().len() * 8, 128);
        assert!(
            seen.insert(secret.bytes().to_vec()),
            "two items share a code"
        );
        // The chain holds the public key derived from the code (proof the search below
        // reads the chain's bytes as they are stored)…
        let public = secret.public_key(&key_of(scan));
        assert!(
            chain_files.iter().any(|(_, b)| contains(b, &public.0)),
            "the claim key of {item} is not on the chain"
        );
        // …and nowhere in the data folder the secret, in bytes or as printed.
        let digits: String = code.chars().filter(|c| *c != '-').collect();
        for (path, bytes) in &chain_files {
            for needle in [
                secret.bytes().as_slice(),
                code.as_bytes(),
                digits.as_bytes(),
                digits.to_uppercase().as_bytes(),
            ] {
                assert!(
                    !contains(bytes, needle),
                    "{} holds the claim secret of {item}",
                    path.display()
                );
            }
        }
    }

    // A second commission of other items gives other codes again.
    let codes2 = printer.path().join("codes2.csv");
    let g = gtin("061414100001");
    let out = ok(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "commission",
            &format!("(01)0{g}(21)SN9"),
            "--claim-codes",
            codes2.to_str().expect("utf-8"),
        ],
    );
    let code9 = ClaimSecret::parse(&s(&out["claim_codes"][0]["code"])).expect("code");
    assert!(seen.insert(code9.bytes().to_vec()));

    // The codes file is never overwritten: codes already printed stay valid.
    let again = handoff(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "commission",
            &format!("(01)0{g}(21)SN10"),
            "--claim-codes",
            codes2.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(again.0, 2, "{}", again.1);
    assert_eq!(again.1["error"]["code"], "CODES_FILE");
}

#[test]
fn wrong_codes_copies_and_replays_are_refused_and_a_second_claim_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let printer = tempfile::tempdir().expect("tempdir");
    let (d, codes) = (dir.path(), printer.path().join("codes.csv"));
    let (scans, rows) = commissioned(d, &codes, 2);
    sell(d, &scans[0]);

    // The other item's code, and a code that is no code at all.
    let wrong = handoff(d, &["item", "claim", &scans[0], &rows[1].1]);
    assert_eq!(wrong.0, 3, "{}", wrong.1);
    assert_eq!(wrong.1["error"]["code"], "BAD_CLAIM_CODE");
    let garbage = handoff(d, &["item", "claim", &scans[0], "1234"]);
    assert_eq!(garbage.0, 2, "{}", garbage.1);
    assert_eq!(garbage.1["error"]["code"], "BAD_CLAIM_CODE");
    // The retired PIN is a clear error, on both commands.
    let pin = handoff(d, &["item", "claim", &scans[0], "--pin", "1234"]);
    assert_eq!(pin.1["error"]["code"], "PIN_RETIRED", "{}", pin.1);
    let g = gtin("061414100001");
    let pin = handoff(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "commission",
            &format!("(01)0{g}(21)SN7"),
            "--pin",
            "1234",
        ],
    );
    assert_eq!(pin.1["error"]["code"], "PIN_RETIRED", "{}", pin.1);
    let v = ok(d, &["verify", &scans[0]]);
    assert_ne!(v["verdict"], "warning", "{v}");

    // The right code claims it.
    let claimed = ok(d, &["item", "claim", &scans[0], &rows[0].1]);
    let buyer = consumer_key(d);

    // The claim transaction as it sits in its block.
    let item = key_of(&scans[0]);
    let ledger = Ledger::open(d).expect("open the chain");
    let loc = ledger
        .store
        // Nonce 0 was the refused claim with the wrong code (a rule refusal uses it).
        .tx_location(&buyer.public(), 1)
        .expect("read")
        .expect("the claim is in a block");
    assert_eq!(Some(loc.height), claimed["height"].as_u64());
    let block = ledger
        .store
        .block(loc.height)
        .expect("read")
        .expect("block");
    let tx = SignedTx::decode(&block.txs[loc.index as usize]).expect("decodes");
    assert_eq!(tx.id().to_hex(), s(&claimed["tx"]));
    let Payload::Claim(claim) = &tx.body.payload else {
        panic!("not a claim: {:?}", tx.body.payload);
    };
    assert_eq!(claim.item, item);

    // The same bytes again: refused, nothing changes.
    let r = ledger.submit(vec![tx.clone()]).expect("submit");
    let rej = first_rejection(&r).expect("replay refused");
    assert_eq!(rej.code.as_str(), "NONCE_REUSED");

    // Its claim signature copied into another consumer's transaction: refused.
    let thief = handoff_node::identity::generate().expect("key");
    let copy = ledger
        .sign(
            &thief,
            Payload::Claim(Claim {
                item: item.clone(),
                claim_signature: claim.claim_signature,
            }),
        )
        .expect("sign");
    let r = ledger.submit(vec![copy]).expect("submit");
    let rej = first_rejection(&r).expect("copy refused");
    assert_eq!(rej.code.as_str(), "BAD_CLAIM_CODE", "{}", rej.message);
    drop(ledger);

    // A second buyer holding the same (copied) code: refused with a warning, and the
    // item's verdict warns that it was already claimed.
    // (The first buyer's key is moved aside: this folder's next claim is a new buyer's.)
    std::fs::rename(d.join("consumer.key"), d.join("first-buyer.key")).expect("move key");
    let second = handoff(d, &["item", "claim", &scans[0], &rows[0].1]);
    assert_eq!(second.0, 3, "{}", second.1);
    assert_eq!(second.1["error"]["code"], "ALREADY_CLAIMED");
    let msg = s(&second.1["error"]["message"]);
    assert!(msg.contains("warning") && msg.contains("copied"), "{msg}");
    let v = ok(d, &["verify", &scans[0]]);
    assert_eq!(v["verdict"], "warning", "{v}");
    assert!(
        v["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["code"] == "ALREADY_CLAIMED"),
        "{v}"
    );
}

#[test]
fn a_transform_gives_its_outputs_their_own_codes_and_a_bought_one_can_be_claimed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let printer = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // The farm (a producer may transform) commissions green beans without codes and
    // roasts them into three bags that get codes.
    let (scans, _) = commissioned(d, &printer.path().join("beans.csv"), 1);
    let g = gtin("061414100001");
    let bags: Vec<String> = (1..=3).map(|i| format!("(01)0{g}(21)ROAST{i}")).collect();
    let codes = printer.path().join("roast.csv");
    let mut args = vec![
        "--as",
        "Acme Farms",
        "item",
        "transform",
        "--input",
        &scans[0],
    ];
    for b in &bags {
        args.extend(["--output", b.as_str()]);
    }
    args.extend(["--claim-codes", codes.to_str().expect("utf-8")]);
    let out = ok(d, &args);
    let answered = out["claim_codes"].as_array().expect("codes").clone();
    assert_eq!(answered.len(), 3, "{out}");
    let text = std::fs::read_to_string(&codes).expect("codes file");
    let mut distinct = std::collections::HashSet::new();
    for (c, bag) in answered.iter().zip(&bags) {
        assert_eq!(s(&c["item"]), key_of(bag).canonical());
        assert!(text.contains(&s(&c["code"])), "{text}");
        let secret = ClaimSecret::parse(&s(&c["code"])).expect("a claim code");
        assert!(
            distinct.insert(secret.bytes().to_vec()),
            "two bags share a code"
        );
    }
    // A bag bought at the shop: the wrong bag's code is refused, its own is accepted.
    sell(d, &bags[0]);
    let wrong = handoff(d, &["item", "claim", &bags[0], &s(&answered[1]["code"])]);
    assert_eq!(wrong.0, 3, "{}", wrong.1);
    assert_eq!(wrong.1["error"]["code"], "BAD_CLAIM_CODE", "{}", wrong.1);
    ok(d, &["item", "claim", &bags[0], &s(&answered[0]["code"])]);
    // A lot output cannot take a code.
    let lot = handoff(
        d,
        &[
            "--as",
            "Acme Farms",
            "item",
            "transform",
            "--input",
            &bags[2],
            "--output",
            &format!("(01)0{g}(10)R7(30)5"),
            "--claim-codes",
            printer.path().join("lot.csv").to_str().expect("utf-8"),
        ],
    );
    assert_ne!(lot.0, 0, "{}", lot.1);
    assert_eq!(lot.1["error"]["code"], "CLAIM_CODE_NOT_ITEM", "{}", lot.1);
}
