//! The validator set through the API (`validators_show`, `validators_approve`,
//! `validators_set`; `handoff validators …` on the command line): the chain's set,
//! approving a new one with this folder's validator key, and submitting a change once
//! more than 2/3 of the validators approved.
//!
//! A change is gathered off-chain: each validator approves the same epoch and keys and
//! passes its `VALIDATOR:SIGNATURE` line on; anyone holding enough of them submits it.
//! The transaction is signed by this folder's validator key when the caller is the
//! folder's owner naming no identity and the key is a current validator, else by the
//! caller's identity (an org key). The validator key signs only for the owner: a token
//! made for one identity never reaches it.

use crate::error::CliError;
use crate::identity;
use crate::ledger::{Ledger, Sequencer, first_rejection};
use handoff_api::{
    ApprovalResponse, Caller, ValidatorsApproveRequest, ValidatorsResponse, ValidatorsSetRequest,
    ValidatorsSetResponse,
};
use handoff_core::governance::sign_approval;
use handoff_core::tx::{Approval, Payload};
use handoff_core::types::PublicKey;
use std::path::Path;

type R<T> = Result<T, CliError>;

fn keys(hex: &[String]) -> R<Vec<PublicKey>> {
    hex.iter()
        .map(|k| {
            PublicKey::from_hex(k).ok_or_else(|| {
                CliError::input("BAD_KEY", format!("'{k}' is not a key (64 hex digits)"))
            })
        })
        .collect()
}

fn approval(s: &str) -> R<Approval> {
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

fn owner_only(who: &Caller, what: &str) -> R<()> {
    if who.owner {
        Ok(())
    } else {
        Err(handoff_api::ApiError::new(
            handoff_api::ErrorKind::Forbidden,
            "VALIDATOR_KEY_FORBIDDEN",
            format!("{what} signs with the node's validator key: only its owner may ask"),
        )
        .into())
    }
}

/// The current epoch and validator set (the set that certifies the next block).
pub(crate) fn show(ledger: &Ledger) -> R<ValidatorsResponse> {
    let set = ledger.store.validators()?;
    let next = ledger.store.tip()?.height + 1;
    Ok(ValidatorsResponse {
        epoch: set.epoch,
        validators: set.validators.iter().map(|k| k.to_hex()).collect(),
        next_height: next,
    })
}

/// Approves a new set with this folder's validator key.
pub(crate) fn approve(
    ledger: &Ledger,
    data: &Path,
    who: &Caller,
    r: ValidatorsApproveRequest,
) -> R<ApprovalResponse> {
    owner_only(who, "approving a validator set")?;
    let set = keys(&r.keys)?;
    let validator = identity::validator(data)?;
    let a = sign_approval(&validator, &ledger.chain_id(), r.epoch, &set);
    Ok(ApprovalResponse {
        validator: a.validator.to_hex(),
        signature: hex::encode(a.signature),
    })
}

/// Submits a validator-set change carrying the approvals.
pub(crate) fn set(
    ledger: &Ledger,
    data: &Path,
    who: &Caller,
    r: ValidatorsSetRequest,
) -> R<ValidatorsSetResponse> {
    let validators = keys(&r.keys)?;
    let approvals = r
        .approvals
        .iter()
        .map(|a| approval(a))
        .collect::<R<Vec<_>>>()?;
    let epoch = r.epoch;
    let payload = Payload::SetValidators {
        validators,
        epoch,
        approvals,
    };
    let current = ledger.store.validators()?;
    let me = who.identity.as_deref();
    let signer = match me {
        None if current.validators.contains(&ledger.validator()) => {
            owner_only(who, "submitting a validator set without an identity")?;
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
    Ok(ValidatorsSetResponse {
        tx: r.tx.to_hex(),
        height: r.height,
        epoch,
    })
}
