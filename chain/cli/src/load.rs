//! `handoff load` (hidden): commits handoffs until stopped, printing `ACK <tx id> <height>`
//! once each is durable, for crash testing the store (`tests/powerloss`). It needs the
//! data folder to itself (a node running on it refuses it).

use handoff_core::gs1::{self, Gs1Key};
use handoff_core::rejection::Rejection;
use handoff_core::state::StateReadExt;
use handoff_core::tx::*;
use handoff_node::api::{TRADING_ROLES, commit_one};
use handoff_node::error::{CliError, Output};
use handoff_node::identity;
use handoff_node::ledger::{Ledger, now_ms};
use serde_json::json;
use std::path::Path;

type R<T> = Result<T, CliError>;

fn out(json: serde_json::Value, text: impl Into<String>) -> R<Output> {
    Ok(Output {
        json,
        text: text.into(),
    })
}

/// One round: commission items, offer them to a second org, which accepts — three
/// transactions in one block. Each acknowledged id is printed (and flushed) only after
/// its block is durable.
pub fn run(ledger: &Ledger, data: &Path, items: u64, rounds: Option<u64>) -> R<Output> {
    use std::io::Write;
    let me = identity::select(data, None)
        .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))?;
    let peer_name = "Load Peer";
    let peer = match identity::select(data, Some(peer_name)) {
        Ok(p) => p,
        Err(_) => {
            let key = identity::generate()?;
            let payload = Payload::AdmitOrg(AdmitOrg {
                org: key.public(),
                name: peer_name.into(),
                prefixes: vec![],
                glns: vec![],
                roles: TRADING_ROLES.to_vec(),
            });
            commit_one(ledger, &me, payload)?;
            identity::save(data, peer_name, &key, now_ms())?;
            identity::Identity {
                name: peer_name.into(),
                key,
            }
        }
    };
    let org = ledger
        .store
        .org(&me.key.public())?
        .ok_or_else(|| CliError::input("NOT_AN_ORG", "the first identity is not an org"))?;
    let prefix = org
        .prefixes
        .first()
        .cloned()
        .ok_or_else(|| CliError::input("NO_PREFIX", "the first org needs a company prefix"))?;
    let item_ref = format!("{:0>width$}", 7, width = 12 - prefix.len());
    let body = format!("0{prefix}{item_ref}");
    let gtin = format!("{body}{}", gs1::check_digit(&body).unwrap_or(0));
    if ledger.store.product(&gtin)?.is_none() {
        let p = Payload::DefineProduct {
            gtin: gtin.clone(),
            name: "Load item".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        };
        commit_one(ledger, &me, p)?;
    }
    // Rounds are signed ahead (nonces counted here) and committed through the pipelined
    // producer, so a kill can land while one block is being written and the next executed.
    let first = ledger.store.height();
    let (me_key, peer_key) = (
        handoff_core::crypto::Keypair::from_secret(me.key.secret()),
        handoff_core::crypto::Keypair::from_secret(peer.key.secret()),
    );
    let (mut n_me, mut n_peer) = (
        ledger.store.next_nonce(&me.key.public())?,
        ledger.store.next_nonce(&peer.key.public())?,
    );
    let unsigned = std::sync::OnceLock::new();
    let batches = (0u64..)
        .take_while(|r| rounds.is_none_or(|n| *r < n))
        .map_while(|r| {
            let entries: Vec<Entry> = (0..items)
                .map(|i| {
                    Entry::item(Gs1Key::Serial {
                        gtin: gtin.clone(),
                        serial: format!("L{first}-{r}-{i}"),
                    })
                })
                .collect();
            let signed = (|| {
                let c = ledger.sign_with_nonce(
                    &me_key,
                    n_me,
                    Payload::Commission(Commission {
                        entries: entries.clone(),
                        claim_keys: vec![],
                        at: None,
                        lot: None,
                        expiry: None,
                        attributes: vec![],
                    }),
                )?;
                let p = ledger.sign_with_nonce(
                    &me_key,
                    n_me + 1,
                    Payload::ProposeHandoff(ProposeHandoff {
                        to: peer_key.public(),
                        entries,
                        transfer: Transfer::Both,
                        ship_from: None,
                        ship_to: None,
                        docs: vec![],
                        expires_at_height: None,
                    }),
                )?;
                let a = ledger.sign_with_nonce(
                    &peer_key,
                    n_peer,
                    Payload::AcceptHandoff(AcceptHandoff {
                        handoff: p.id(),
                        missing: vec![],
                        damaged: vec![],
                    }),
                )?;
                Ok::<_, Rejection>(vec![c, p, a])
            })();
            match signed {
                Ok(round) => {
                    n_me += 2;
                    n_peer += 1;
                    Some(round)
                }
                // Signing stops the stream; the refusal is reported once it drained.
                Err(e) => {
                    let _ = unsigned.set(e);
                    None
                }
            }
        });
    let stdout = std::io::stdout();
    let mut round = 0u64;
    let mut failure: Option<String> = None;
    ledger.submit_pipelined(batches, |receipts| {
        let mut out = stdout.lock();
        for r in receipts {
            if let Err(e) = &r.result {
                failure.get_or_insert_with(|| format!("{}: {}", e.code.as_str(), e.message));
            }
            // Printed (and flushed) only now that the block is durable.
            let _ = writeln!(out, "ACK {} {}", r.tx.to_hex(), r.height.unwrap_or(0));
        }
        let _ = out.flush();
        round += 1;
    })?;
    if let Some(e) = unsigned.get() {
        return Err(CliError::Rejected(e.clone()));
    }
    if let Some(f) = failure {
        return Err(CliError::Other(anyhow::anyhow!(
            "load transaction refused: {f}"
        )));
    }
    out(json!({"rounds": round}), format!("{round} rounds"))
}
