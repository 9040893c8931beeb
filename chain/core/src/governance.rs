//! Validator-set changes: the bytes a validator signs to approve a new set, and how a light
//! node follows a change it learns about from a certified header it cannot yet verify.
//!
//! The set lives in the state under [`StateKey::Validators`] as a [`ValidatorSetRecord`];
//! `SetValidators` replaces it when more than 2/3 of the current validators approve. The
//! record in the state after block `h` (committed by header `h`'s state root) is the set
//! that certifies block `h + 1`, so a light node that trusts header `h` learns the set of
//! `h + 1` from one Merkle proof against `h`'s state root.

use crate::block::{BlockHeader, Certificate};
use crate::crypto::{Keypair, verify};
use crate::proof::{ProofError, RecordProof};
use crate::state::{Record, StateKey, ValidatorSetRecord};
use crate::tx::Approval;
use crate::types::{Hash32, PublicKey};

/// Domain tag of validator-set approvals, so an approval can never be taken for a
/// transaction, vote or proposal signature.
pub const APPROVAL_SIGNING_DOMAIN: &[u8] = b"HANDOFF/VALIDATORS/1\0";

/// The bytes an approval signs:
/// `APPROVAL_SIGNING_DOMAIN ‖ chain_id ‖ epoch (u64 BE) ‖ n (u32 BE) ‖ key₁ ‖ … ‖ keyₙ`,
/// binding the chain, the new epoch and the new set in its order.
pub fn approval_message(chain_id: &Hash32, epoch: u64, validators: &[PublicKey]) -> Vec<u8> {
    let mut m =
        Vec::with_capacity(APPROVAL_SIGNING_DOMAIN.len() + 32 + 8 + 4 + 32 * validators.len());
    m.extend_from_slice(APPROVAL_SIGNING_DOMAIN);
    m.extend_from_slice(&chain_id.0);
    m.extend_from_slice(&epoch.to_be_bytes());
    m.extend_from_slice(&(validators.len() as u32).to_be_bytes());
    for v in validators {
        m.extend_from_slice(&v.0);
    }
    m
}

/// A validator approves `validators` as the set of `epoch` on `chain_id`.
pub fn sign_approval(
    key: &Keypair,
    chain_id: &Hash32,
    epoch: u64,
    validators: &[PublicKey],
) -> Approval {
    Approval {
        validator: key.public(),
        signature: key.sign_raw(&approval_message(chain_id, epoch, validators)),
    }
}

/// Whether an approval's signature verifies (the ledger's rule, ZIP-215) for (chain,
/// epoch, set). Says nothing about whether its validator belongs to the current set.
pub fn approval_verifies(
    approval: &Approval,
    chain_id: &Hash32,
    epoch: u64,
    validators: &[PublicKey],
) -> bool {
    verify(
        &approval.validator,
        &approval_message(chain_id, epoch, validators),
        &approval.signature,
    )
}

/// Why a light node could not follow a validator-set change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FollowError {
    /// The header is not the direct successor of the trusted header on the same chain.
    #[error("the header does not directly follow the trusted header")]
    NotNext,
    /// The proof is about another state key.
    #[error("the proof is not of the validator set")]
    WrongKey,
    /// The proof does not lead to the trusted header's state root.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The proven value is absent or not a validator set record.
    #[error("the proven value is not a validator set")]
    NotAValidatorSet,
    /// The header's certificate does not verify against the proven set either.
    #[error("the certificate does not verify against the validator set that governs it")]
    Certificate,
}

/// Follows a validator-set change. `trusted` is the set the light node holds; `prev` is a
/// header it already trusts; `header` (height `prev.height + 1`) with `certificate` failed
/// to verify against `trusted`; `proof` is the validator set record proven against
/// `prev.state_root` (e.g. `Store::prove(&StateKey::Validators, Some(prev.height))`).
/// Returns the proven record once the proof verifies and the certificate verifies against
/// its set, which then governs `header` (and the light node adopts it from there on).
pub fn follow_validator_change(
    trusted: &[PublicKey],
    prev: &BlockHeader,
    header: &BlockHeader,
    certificate: &Certificate,
    proof: &RecordProof,
) -> Result<ValidatorSetRecord, FollowError> {
    if header.chain_id != prev.chain_id
        || prev.height.checked_add(1) != Some(header.height)
        || header.prev_hash != prev.hash()
    {
        return Err(FollowError::NotNext);
    }
    if proof.key != StateKey::Validators.to_bytes() {
        return Err(FollowError::WrongKey);
    }
    proof.verify(&prev.state_root)?;
    let record = match proof.value.as_deref().and_then(Record::decode) {
        Some(Record::Validators(r)) => r,
        _ => return Err(FollowError::NotAValidatorSet),
    };
    // The set did not change: the header is simply not certified by the set governing it.
    if record.validators == trusted {
        return Err(FollowError::Certificate);
    }
    if !certificate.verify(header, &record.validators) {
        return Err(FollowError::Certificate);
    }
    Ok(record)
}
