//! Blocks and genesis: headers that commit to the transactions, their outcomes and the
//! state root after them; commit certificates; executing a block against a state.

use crate::apply::{BlockContext, apply_verified};
use crate::concerns::Concerns;
use crate::crypto::{Keypair, verify, verify_txs};
use crate::event::Effects;
use crate::rejection::{Code, Rejection};
use crate::state::{
    OrgRecord, Overlay, ReadError, Record, StateKey, StateRead, ValidatorSetRecord,
};
use crate::tx::{AdmitOrg, SignedTx};
use crate::types::{Hash32, PublicKey, sha256};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// Version byte of the block header layout.
/// 2: the header carries `concerns_root`, the hash of the block's filter
/// ([`crate::concerns`]).
pub const BLOCK_VERSION: u8 = 2;
/// Domain tag of precommit votes: a commit signature is a consensus precommit for the
/// header hash, so the certificate a light node checks is made of the very signatures
/// the validators exchanged while deciding the block.
pub const PRECOMMIT_SIGNING_DOMAIN: &[u8] = b"HANDOFF/PRECOMMIT/1\0";
/// Longest rejection message kept in a block.
pub const MAX_OUTCOME_MESSAGE: usize = 512;

/// What the chain starts from.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Genesis {
    /// A human name for the chain.
    pub name: String,
    /// Genesis time, unix ms.
    pub time_ms: i64,
    /// The validator set.
    pub validators: Vec<PublicKey>,
    /// Organizations that exist from the start (the registrar(s) among them).
    pub orgs: Vec<AdmitOrg>,
}

impl Genesis {
    /// The chain id: SHA-256 of the genesis encoding.
    pub fn chain_id(&self) -> Hash32 {
        sha256(&[
            b"HANDOFF/GENESIS/1\0",
            &borsh::to_vec(self).unwrap_or_default(),
        ])
    }

    /// Refuses a genesis that gives standing to a key [`crate::crypto::key_is_acceptable`]
    /// refuses (`WEAK_KEY`): under ZIP-215 a small-order validator or org key would verify
    /// signatures nobody made, and every other way onto the chain checks keys the same way.
    pub fn check_keys(&self) -> Result<(), Rejection> {
        let keys = self.validators.iter().map(|k| ("validator", k));
        let orgs = self.orgs.iter().map(|a| ("org", &a.org));
        for (what, k) in keys.chain(orgs) {
            if !crate::crypto::key_is_acceptable(k) {
                return Err(Rejection::new(
                    Code::WeakKey,
                    format!(
                        "genesis {what} {} is not a valid, strong ed25519 key",
                        k.short()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The state writes genesis makes: its orgs, and the validator set at epoch 0.
    pub fn writes(&self) -> Vec<(StateKey, Record)> {
        let mut w = vec![(
            StateKey::Validators,
            Record::Validators(ValidatorSetRecord {
                epoch: 0,
                validators: self.validators.clone(),
            }),
        )];
        for a in &self.orgs {
            let mut roles = a.roles.clone();
            roles.sort();
            roles.dedup();
            for p in &a.prefixes {
                w.push((StateKey::Prefix(p.clone()), Record::Claimed(a.org)));
            }
            w.push((
                StateKey::OrgName(a.name.trim().to_lowercase()),
                Record::Claimed(a.org),
            ));
            w.push((
                StateKey::Org(a.org),
                Record::Org(OrgRecord {
                    key: a.org,
                    name: a.name.trim().to_string(),
                    prefixes: a.prefixes.clone(),
                    glns: a.glns.clone(),
                    roles,
                    suspended: false,
                    admitted_at: 0,
                }),
            ));
        }
        w.sort_by(|a, b| a.0.cmp(&b.0));
        w
    }
}

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct BlockHeader {
    /// `BLOCK_VERSION`.
    pub version: u8,
    /// The chain.
    pub chain_id: Hash32,
    /// 0 for genesis.
    pub height: u64,
    /// Hash of the previous header (zero for genesis).
    pub prev_hash: Hash32,
    /// Block time, unix ms.
    pub time_ms: i64,
    /// The validator that proposed it.
    pub proposer: PublicKey,
    /// Number of transactions.
    pub tx_count: u32,
    /// Merkle root over (tx id, outcome) leaves.
    pub tx_root: Hash32,
    /// State root after the block.
    pub state_root: Hash32,
    /// Hash of the block's filter of whom it concerns ([`Concerns::root`]).
    pub concerns_root: Hash32,
}

impl BlockHeader {
    /// The header hash (what commit signatures sign and the next block links to).
    pub fn hash(&self) -> Hash32 {
        sha256(&[&borsh::to_vec(self).unwrap_or_default()])
    }
}

/// One validator's commit signature.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CommitSig {
    /// The validator.
    pub validator: PublicKey,
    /// Signature over [`precommit_message`] for the header's chain, height, the
    /// certificate's round and the header hash.
    pub signature: [u8; 64],
}

/// Signatures of more than 2/3 of the validators over a header: their precommits for it
/// in the consensus round that decided it.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Certificate {
    /// The consensus round in which the block was decided (0 for the single validator).
    pub round: u32,
    /// The signatures.
    pub sigs: Vec<CommitSig>,
}

/// The bytes a precommit vote is signed over:
/// `PRECOMMIT_SIGNING_DOMAIN ‖ chain_id ‖ height (u64 BE) ‖ round (u32 BE) ‖ value`, where
/// the value is the 32-byte header hash, or nothing for a nil precommit. Fixed-width
/// fields keep the two forms apart.
pub fn precommit_message(
    chain_id: &Hash32,
    height: u64,
    round: u32,
    header_hash: Option<&Hash32>,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(PRECOMMIT_SIGNING_DOMAIN.len() + 32 + 8 + 4 + 32);
    m.extend_from_slice(PRECOMMIT_SIGNING_DOMAIN);
    m.extend_from_slice(&chain_id.0);
    m.extend_from_slice(&height.to_be_bytes());
    m.extend_from_slice(&round.to_be_bytes());
    if let Some(h) = header_hash {
        m.extend_from_slice(&h.0);
    }
    m
}

impl Certificate {
    /// A validator signs (precommits) a header in `round`.
    pub fn sign(key: &Keypair, header: &BlockHeader, round: u32) -> CommitSig {
        let msg = precommit_message(&header.chain_id, header.height, round, Some(&header.hash()));
        CommitSig {
            validator: key.public(),
            signature: key.sign_raw(&msg),
        }
    }

    /// Checks that more than 2/3 of `validators` (equal power, duplicates in the list
    /// counted once) validly signed `header` in the certificate's round. Signatures from
    /// keys outside the set, repeated signers and bad signatures count for nothing.
    pub fn verify(&self, header: &BlockHeader, validators: &[PublicKey]) -> bool {
        let mut set: Vec<PublicKey> = validators.to_vec();
        set.sort();
        set.dedup();
        if set.is_empty() {
            return false;
        }
        let msg = precommit_message(
            &header.chain_id,
            header.height,
            self.round,
            Some(&header.hash()),
        );
        let mut signed: Vec<PublicKey> = Vec::new();
        for s in &self.sigs {
            if set.binary_search(&s.validator).is_ok()
                && !signed.contains(&s.validator)
                && verify(&s.validator, &msg, &s.signature)
            {
                signed.push(s.validator);
            }
        }
        signed.len() * 3 > set.len() * 2
    }
}

/// What happened to a transaction in a block.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Outcome {
    /// None when applied; the rejection code otherwise.
    pub code: Option<String>,
    /// The rejection message.
    pub message: Option<String>,
}

impl Outcome {
    /// Applied.
    pub fn applied() -> Outcome {
        Outcome {
            code: None,
            message: None,
        }
    }
    /// Rejected by a ledger rule.
    pub fn rejected(r: &Rejection) -> Outcome {
        let mut m = r.message.clone();
        if m.len() > MAX_OUTCOME_MESSAGE {
            let mut cut = MAX_OUTCOME_MESSAGE;
            while !m.is_char_boundary(cut) {
                cut -= 1;
            }
            m.truncate(cut);
        }
        Outcome {
            code: Some(r.code.as_str().to_string()),
            message: Some(m),
        }
    }
}

/// A block: header, certificate, the transactions in wire form and their outcomes.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// Commit signatures.
    pub certificate: Certificate,
    /// Encoded signed transactions.
    pub txs: Vec<Vec<u8>>,
    /// One outcome per transaction.
    pub outcomes: Vec<Outcome>,
    /// Whom the block concerns (its hash is the header's `concerns_root`).
    pub concerns: Concerns,
}

/// Merkle root (RFC 6962 shape: 0x00 leaf / 0x01 node prefixes) over tx leaves.
pub fn tx_root(leaves: &[(Hash32, Outcome)]) -> Hash32 {
    if leaves.is_empty() {
        return sha256(&[]);
    }
    let mut level: Vec<Hash32> = leaves.iter().map(|(id, o)| tx_leaf(id, o)).collect();
    while level.len() > 1 {
        level = next_level(&level);
    }
    level[0]
}

/// The leaf of a transaction in its block's [`tx_root`].
pub fn tx_leaf(id: &Hash32, outcome: &Outcome) -> Hash32 {
    sha256(&[&[0], &id.0, &borsh::to_vec(outcome).unwrap_or_default()])
}

fn next_level(level: &[Hash32]) -> Vec<Hash32> {
    level
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                sha256(&[&[1], &c[0].0, &c[1].0])
            } else {
                c[0]
            }
        })
        .collect()
}

/// One step of a transaction's way up to its block's [`tx_root`]: the sibling hash, and
/// whether it stands on the left. (A last node without a sibling rises alone: no step.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct TxPathStep {
    /// The sibling is the left child.
    pub left: bool,
    /// The sibling's hash.
    pub sibling: Hash32,
}

/// The inclusion path of leaf `index` of `leaves` in [`tx_root`]; `None` when there is no
/// such leaf. With the certified header, it proves the transaction is in the block with
/// its outcome ([`tx_path_root`]).
pub fn tx_path(leaves: &[(Hash32, Outcome)], index: usize) -> Option<Vec<TxPathStep>> {
    if index >= leaves.len() {
        return None;
    }
    let mut level: Vec<Hash32> = leaves.iter().map(|(id, o)| tx_leaf(id, o)).collect();
    let mut i = index;
    let mut path = Vec::new();
    while level.len() > 1 {
        let sibling = i ^ 1;
        if let Some(h) = level.get(sibling) {
            path.push(TxPathStep {
                left: sibling < i,
                sibling: *h,
            });
        }
        level = next_level(&level);
        i /= 2;
    }
    Some(path)
}

/// The root that transaction `id` with `outcome` and `path` lead to: equal to the
/// header's `tx_root` when the transaction is in that block with that outcome.
pub fn tx_path_root(id: &Hash32, outcome: &Outcome, path: &[TxPathStep]) -> Hash32 {
    path.iter().fold(tx_leaf(id, outcome), |h, step| {
        if step.left {
            sha256(&[&[1], &step.sibling.0, &h.0])
        } else {
            sha256(&[&[1], &h.0, &step.sibling.0])
        }
    })
}

/// The result of executing transactions on top of a state.
pub struct Execution {
    /// Per transaction: effects, or the rejection.
    pub results: Vec<Result<Effects, Rejection>>,
    /// Sorted state writes of the whole block.
    pub writes: Vec<(StateKey, Record)>,
}

/// Executes `txs` in order on `base`: signatures batch-verified, then applied one by one.
/// Transactions whose rejection changes nothing (`Code::changes_nothing`) leave no trace
/// and take no event index, so a proposer can leave them out of its block and a replay of
/// the block gives the same state and events.
///
/// A failed state read stops the whole block: the caller gets the [`ReadError`] and no
/// execution, since a transaction decided on a guess (an unreadable item taken as never
/// commissioned) would give another state than every other validator's.
pub fn execute(
    ctx: &BlockContext,
    base: &dyn StateRead,
    txs: &[&SignedTx],
) -> Result<Execution, ReadError> {
    let sig_ok = verify_txs(txs);
    execute_verified(ctx, base, txs, &sig_ok)
}

/// Like `execute`, with signature results computed by the caller (e.g. in parallel).
pub fn execute_verified(
    ctx: &BlockContext,
    base: &dyn StateRead,
    txs: &[&SignedTx],
    sig_ok: &[bool],
) -> Result<Execution, ReadError> {
    // A transaction writes about two records (its record or records, and its nonce).
    let mut overlay = Overlay::with_capacity(base, 2 * txs.len() + 1);
    let mut results = Vec::with_capacity(txs.len());
    let mut index = 0u32;
    for (tx, ok) in txs.iter().zip(sig_ok) {
        let r = if *ok {
            apply_verified(ctx, index, &mut overlay, tx)?
        } else {
            Err(Rejection::new(
                Code::BadSignature,
                "the signature does not verify against the signer's key",
            ))
        };
        if !matches!(&r, Err(e) if e.code.changes_nothing()) {
            index += 1;
        }
        results.push(r);
    }
    Ok(Execution {
        results,
        writes: overlay.into_writes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u8) -> Vec<(Hash32, Outcome)> {
        (0..n)
            .map(|i| {
                let o = if i % 3 == 2 {
                    Outcome {
                        code: Some("NOT_CUSTODIAN".into()),
                        message: Some("no".into()),
                    }
                } else {
                    Outcome {
                        code: None,
                        message: None,
                    }
                };
                (Hash32([i; 32]), o)
            })
            .collect()
    }

    #[test]
    fn every_leaf_s_path_leads_to_the_root_and_a_changed_leaf_does_not() {
        for n in 1..=9u8 {
            let ls = leaves(n);
            let root = tx_root(&ls);
            for (i, (id, o)) in ls.iter().enumerate() {
                let path = tx_path(&ls, i).expect("a leaf");
                assert_eq!(tx_path_root(id, o, &path), root, "{n} leaves, leaf {i}");
                // Another outcome, another id, or the path of another leaf: another root.
                let other = Outcome {
                    code: Some("X".into()),
                    message: None,
                };
                assert_ne!(tx_path_root(id, &other, &path), root);
                assert_ne!(tx_path_root(&Hash32([99; 32]), o, &path), root);
                if n > 1 {
                    let j = (i + 1) % ls.len();
                    let theirs = tx_path(&ls, j).expect("a leaf");
                    assert_ne!(
                        tx_path_root(id, o, &theirs),
                        root,
                        "{n}: {i} with {j}'s path"
                    );
                }
            }
            assert_eq!(tx_path(&ls, ls.len()), None);
        }
    }
}
