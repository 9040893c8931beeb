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
use borsh::{BorshDeserialize, BorshSerialize};

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

/// One validator-set change, as evidence for a reader anchored at an older set (the
/// consumer page holds the genesis set): the header of the block whose `SetValidators`
/// changed the set, its certificate (by the set governing that block), and the validator
/// set record proven against its state root: the set that governs the blocks after it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SetChange {
    /// The block that changed the set.
    pub header: BlockHeader,
    /// Its certificate, by the set governing it.
    pub certificate: Certificate,
    /// The new set's record, proven against `header.state_root`.
    pub proof: RecordProof,
}

/// Why a chain of set changes was not followed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetChangeError {
    /// More changes than [`crate::limits::MAX_SET_CHANGES`].
    #[error("more than {} validator-set changes", crate::limits::MAX_SET_CHANGES)]
    TooMany,
    /// A change's block is of another chain, not after the previous one, or not before
    /// the block it is to govern.
    #[error("validator-set change at height {0} is out of order or of another chain")]
    Order(u64),
    /// A change's block is not certified by the set governing it.
    #[error("validator-set change at height {0} is not certified by the set then governing")]
    Certificate(u64),
    /// The proof is not of the validator set, does not verify, or proves no newer set.
    #[error("validator-set change at height {0}: {1}")]
    Proof(u64, String),
}

/// The set governing the block at `height` of `chain_id`, from the `trusted` set (of
/// epoch `epoch`) by following `changes` in order: each change's block must be certified
/// by the set then governing, and its proven record must be a newer epoch's set.
pub fn follow_changes(
    chain_id: &Hash32,
    trusted: &[PublicKey],
    epoch: u64,
    changes: &[SetChange],
    height: u64,
) -> Result<Vec<PublicKey>, SetChangeError> {
    if changes.len() > crate::limits::MAX_SET_CHANGES {
        return Err(SetChangeError::TooMany);
    }
    let (mut set, mut epoch, mut after) = (trusted.to_vec(), epoch, None::<u64>);
    for c in changes {
        let h = c.header.height;
        if c.header.chain_id != *chain_id || after.is_some_and(|a| h <= a) || h >= height {
            return Err(SetChangeError::Order(h));
        }
        if !c.certificate.verify(&c.header, &set) {
            return Err(SetChangeError::Certificate(h));
        }
        if c.proof.key != StateKey::Validators.to_bytes() || c.proof.height != h {
            return Err(SetChangeError::Proof(
                h,
                "the proof is not of the validator set at this block".into(),
            ));
        }
        c.proof
            .verify(&c.header.state_root)
            .map_err(|e| SetChangeError::Proof(h, e.to_string()))?;
        let record = match c.proof.value.as_deref().and_then(Record::decode) {
            Some(Record::Validators(r)) => r,
            _ => {
                return Err(SetChangeError::Proof(
                    h,
                    "the proven value is not a validator set".into(),
                ));
            }
        };
        if record.epoch <= epoch {
            return Err(SetChangeError::Proof(
                h,
                format!("epoch {} is not newer than {epoch}", record.epoch),
            ));
        }
        (set, epoch, after) = (record.validators, record.epoch, Some(h));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(chain: Hash32, height: u64) -> BlockHeader {
        BlockHeader {
            version: 1,
            chain_id: chain,
            height,
            prev_hash: Hash32([0; 32]),
            time_ms: 1,
            proposer: Keypair::from_secret([1; 32]).public(),
            tx_count: 0,
            tx_root: Hash32([0; 32]),
            state_root: Hash32([7; 32]),
            concerns_root: crate::concerns::Concerns::default().root(),
        }
    }

    /// A change at `height` signed by `signer`, whose proof names `key`.
    fn change(chain: Hash32, height: u64, signer: &Keypair, key: StateKey) -> SetChange {
        let h = header(chain, height);
        SetChange {
            certificate: Certificate {
                round: 0,
                sigs: vec![Certificate::sign(signer, &h, 0)],
            },
            header: h,
            proof: RecordProof {
                height,
                key: key.to_bytes(),
                value: None,
                proof: Vec::new(),
            },
        }
    }

    #[test]
    fn changes_that_do_not_lead_from_the_trusted_set_are_refused() {
        let chain = Hash32([3; 32]);
        let genesis = Keypair::from_secret([2; 32]);
        let stranger = Keypair::from_secret([9; 32]);
        let trusted = [genesis.public()];
        // No change: the trusted set governs.
        assert_eq!(
            follow_changes(&chain, &trusted, 0, &[], 10),
            Ok(trusted.to_vec())
        );
        // Signed by a key outside the governing set.
        let forged = change(chain, 4, &stranger, StateKey::Validators);
        assert_eq!(
            follow_changes(&chain, &trusted, 0, &[forged], 10),
            Err(SetChangeError::Certificate(4))
        );
        // Of another chain, at or after the header it is to govern, or out of order.
        let other = change(Hash32([4; 32]), 4, &genesis, StateKey::Validators);
        assert_eq!(
            follow_changes(&chain, &trusted, 0, &[other], 10),
            Err(SetChangeError::Order(4))
        );
        let late = change(chain, 10, &genesis, StateKey::Validators);
        assert_eq!(
            follow_changes(&chain, &trusted, 0, &[late], 10),
            Err(SetChangeError::Order(10))
        );
        // Certified, but its proof is of another record, or does not verify.
        let wrong_key = change(chain, 4, &genesis, StateKey::Account(genesis.public()));
        assert!(matches!(
            follow_changes(&chain, &trusted, 0, &[wrong_key], 10),
            Err(SetChangeError::Proof(4, _))
        ));
        let bad_proof = change(chain, 4, &genesis, StateKey::Validators);
        assert!(matches!(
            follow_changes(&chain, &trusted, 0, &[bad_proof], 10),
            Err(SetChangeError::Proof(4, _))
        ));
        // Bounded.
        let many = vec![
            change(chain, 4, &genesis, StateKey::Validators);
            crate::limits::MAX_SET_CHANGES + 1
        ];
        assert_eq!(
            follow_changes(&chain, &trusted, 0, &many, 10),
            Err(SetChangeError::TooMany)
        );
    }
}
