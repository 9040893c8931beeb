//! `handoff validators`: the chain's validator set, approving a new one with this folder's
//! validator key, and submitting a change once more than 2/3 of the validators approved.
//!
//! A change is gathered off-chain: each validator runs `approve` with the same epoch and
//! keys and passes its `VALIDATOR:SIGNATURE` line on; anyone holding enough of them runs
//! `set`. The transaction is signed by this folder's validator key when it is a current
//! validator (or by the `--as` identity, an org key, when given).

use crate::cli::{CliError, Output};
use crate::identity;
use crate::ledger::{Ledger, Sequencer, first_rejection};
use clap::Subcommand;
use handoff_core::governance::sign_approval;
use handoff_core::tx::{Approval, Payload};
use handoff_core::types::PublicKey;
use serde_json::json;
use std::path::Path;

/// `handoff validators …`.
#[derive(Subcommand, Debug)]
pub enum ValidatorsCmd {
    /// The current epoch and validator set (the set that certifies the next block).
    Show,
    /// Approve a new set with this folder's validator key; prints `VALIDATOR:SIGNATURE`.
    Approve {
        /// The new epoch: the current one plus one.
        #[arg(long)]
        epoch: u64,
        /// The new set's keys (hex), in the chain's order.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Submit a validator-set change carrying the approvals.
    Set {
        /// The new epoch: the current one plus one.
        #[arg(long)]
        epoch: u64,
        /// The new set's keys (hex), in the same order as approved.
        #[arg(required = true)]
        keys: Vec<String>,
        /// An approval `VALIDATOR:SIGNATURE` (hex), as `approve` prints it (repeatable).
        #[arg(long = "approval")]
        approvals: Vec<String>,
    },
}

fn keys(hex: &[String]) -> Result<Vec<PublicKey>, CliError> {
    hex.iter()
        .map(|k| {
            PublicKey::from_hex(k).ok_or_else(|| {
                CliError::input("BAD_KEY", format!("'{k}' is not a key (64 hex digits)"))
            })
        })
        .collect()
}

fn approval(s: &str) -> Result<Approval, CliError> {
    let bad = || {
        CliError::input(
            "BAD_APPROVAL_INPUT",
            format!("'{s}' is not VALIDATOR:SIGNATURE (64 and 128 hex digits)"),
        )
    };
    let (v, sig) = s.trim().split_once(':').ok_or_else(bad)?;
    let validator = PublicKey::from_hex(v).ok_or_else(bad)?;
    let mut signature = [0u8; 64];
    hex::decode_to_slice(sig.trim(), &mut signature).map_err(|_| bad())?;
    Ok(Approval {
        validator,
        signature,
    })
}

/// Runs a `validators` command on an open ledger.
pub fn run(
    ledger: &Ledger,
    data: &Path,
    me: Option<&str>,
    cmd: ValidatorsCmd,
) -> Result<Output, CliError> {
    match cmd {
        ValidatorsCmd::Show => {
            let set = ledger.store.validators()?;
            let next = ledger.store.tip()?.height + 1;
            let list: Vec<String> = set.validators.iter().map(|k| k.to_hex()).collect();
            let mut text = format!("epoch {} (certifies block {next} on)", set.epoch);
            for k in &list {
                text.push('\n');
                text.push_str(k);
            }
            Ok(Output {
                json: json!({"epoch": set.epoch, "validators": list, "next_height": next}),
                text,
            })
        }
        ValidatorsCmd::Approve { epoch, keys: k } => {
            let set = keys(&k)?;
            let validator = identity::validator(data)?;
            let a = sign_approval(&validator, &ledger.chain_id(), epoch, &set);
            let sig = hex::encode(a.signature);
            Ok(Output {
                json: json!({"validator": a.validator.to_hex(), "signature": sig}),
                text: format!("{}:{sig}", a.validator.to_hex()),
            })
        }
        ValidatorsCmd::Set {
            epoch,
            keys: k,
            approvals,
        } => {
            let validators = keys(&k)?;
            let approvals = approvals
                .iter()
                .map(|a| approval(a))
                .collect::<Result<Vec<_>, _>>()?;
            let payload = Payload::SetValidators {
                validators,
                epoch,
                approvals,
            };
            let current = ledger.store.validators()?;
            let signer = match me {
                None if current.validators.contains(&ledger.validator()) => {
                    identity::validator(data)?
                }
                _ => {
                    identity::select(data, me)
                        .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))?
                        .key
                }
            };
            let tx = ledger.sign(&signer, payload)?;
            let receipts = ledger.submit(vec![tx])?;
            if let Some(r) = first_rejection(&receipts) {
                return Err(CliError::Rejected(r.clone()));
            }
            let r = receipts
                .first()
                .ok_or_else(|| CliError::Other(anyhow::anyhow!("no receipt")))?;
            Ok(Output {
                json: json!({"tx": r.tx.to_hex(), "height": r.height, "epoch": epoch}),
                text: format!("validator set of epoch {epoch} takes over after this block"),
            })
        }
    }
}
