//! Proofs that a record is (or is not) in the state committed by a block header's state
//! root. The state is a Jellyfish Merkle tree keyed by `sha256(state key bytes)`.

use crate::limits::MAX_PROOF_BYTES;
use crate::state::StateKey;
use crate::types::Hash32;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use sha2::Digest;

/// SHA-256 as the tree's hasher.
pub struct StateHasher(sha2::Sha256);

impl jmt::SimpleHasher for StateHasher {
    fn new() -> Self {
        StateHasher(sha2::Sha256::new())
    }
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    fn finalize(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// The tree key of a state key.
pub fn key_hash(key: &StateKey) -> jmt::KeyHash {
    jmt::KeyHash::with::<StateHasher>(key.to_bytes())
}

/// The root of an empty state tree.
pub fn empty_root() -> Hash32 {
    Hash32(*b"SPARSE_MERKLE_PLACEHOLDER_HASH__")
}

/// A record (or its absence) with its Merkle proof at some height.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct RecordProof {
    /// The block height whose state root the proof is against.
    pub height: u64,
    /// The state key bytes.
    #[serde(with = "hex_bytes")]
    pub key: Vec<u8>,
    /// The encoded record, or none for a proof of absence.
    #[serde(with = "hex_opt_bytes")]
    pub value: Option<Vec<u8>>,
    /// The encoded `SparseMerkleProof`.
    #[serde(with = "hex_bytes")]
    pub proof: Vec<u8>,
}

/// Why a proof did not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// Over `MAX_PROOF_BYTES` or undecodable.
    #[error("the proof is malformed")]
    Malformed,
    /// Does not lead to the root.
    #[error("the proof does not match the state root")]
    Mismatch,
}

impl RecordProof {
    /// Checks the proof against a trusted state root.
    pub fn verify(&self, state_root: &Hash32) -> Result<(), ProofError> {
        if self.proof.len() > MAX_PROOF_BYTES {
            return Err(ProofError::Malformed);
        }
        let proof: jmt::proof::SparseMerkleProof<StateHasher> =
            borsh::from_slice(&self.proof).map_err(|_| ProofError::Malformed)?;
        let kh = jmt::KeyHash::with::<StateHasher>(&self.key);
        proof
            .verify(jmt::RootHash(state_root.0), kh, self.value.as_deref())
            .map_err(|_| ProofError::Mismatch)
    }
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
}
mod hex_opt_bytes {
    pub fn serialize<S: serde::Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }
}
