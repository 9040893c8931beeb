//! Signatures. The ledger's rule is ed25519 *strict* verification (canonical encodings,
//! small-order keys and `R` values rejected). Blocks are checked with batch verification
//! as a fast path; a failed batch falls back to strict verification of each signature to
//! find the bad ones.
//!
//! Batch verification uses the cofactorless equation with per-batch deterministic
//! coefficients. It agrees with strict verification for every signature made by honest
//! signing code; a key holder can deliberately craft a signature with a torsion component
//! in `R` that strict verification rejects and a batch may accept. Such a signature can
//! only come from the key's own holder and can only be about that holder's own
//! transactions; the consensus issue (#5) revisits this when several validators must
//! agree bit for bit, and `verify_block_signatures` already batches in fixed chunks of
//! transaction order so every validator computes the same batches.

use crate::tx::{SignedTx, TxBody, signing_message};
use crate::types::PublicKey;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Signatures per batch in block verification (fixed, so every node batches alike).
pub const BATCH_CHUNK: usize = 256;

/// A secret signing key with its public half.
pub struct Keypair(SigningKey);

impl Keypair {
    /// From 32 secret bytes (the seed).
    pub fn from_secret(secret: [u8; 32]) -> Keypair {
        Keypair(SigningKey::from_bytes(&secret))
    }
    /// The 32 secret bytes.
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }
    /// Signs arbitrary bytes (domain separation is the caller's job).
    pub fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
    /// Signs a transaction body, producing the signed transaction.
    pub fn sign_tx(&self, body: TxBody) -> SignedTx {
        let bytes = borsh::to_vec(&body).unwrap_or_default();
        let sig = self.sign_raw(&signing_message(&bytes));
        SignedTx::new(body, sig)
    }
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keypair({:?})", self.public())
    }
}

/// Whether a public key is acceptable as an identity: a valid curve point, not of small
/// order (a "weak" key that could verify forged signatures).
pub fn key_is_acceptable(key: &PublicKey) -> bool {
    match VerifyingKey::from_bytes(&key.0) {
        Ok(vk) => !vk.is_weak(),
        Err(_) => false,
    }
}

/// Strict verification of one signature over `msg`.
pub fn verify_strict(key: &PublicKey, msg: &[u8], sig: &[u8; 64]) -> bool {
    let Ok(vk) = VerifyingKey::from_bytes(&key.0) else {
        return false;
    };
    if vk.is_weak() {
        return false;
    }
    vk.verify_strict(msg, &Signature::from_bytes(sig)).is_ok()
}

/// Strict verification of a transaction's signature.
pub fn verify_tx(tx: &SignedTx) -> bool {
    verify_strict(&tx.body.signer, &tx.signing_message(), &tx.signature)
}

/// Verifies many transactions' signatures; `result[i]` says whether `txs[i]` is validly
/// signed. Batches of `BATCH_CHUNK` in order; a failing batch is re-checked one by one.
pub fn verify_txs(txs: &[&SignedTx]) -> Vec<bool> {
    let mut out = Vec::with_capacity(txs.len());
    for chunk in txs.chunks(BATCH_CHUNK) {
        out.extend(verify_chunk(chunk));
    }
    out
}

fn verify_chunk(chunk: &[&SignedTx]) -> Vec<bool> {
    let mut keys = Vec::with_capacity(chunk.len());
    let mut sigs = Vec::with_capacity(chunk.len());
    let mut msgs = Vec::with_capacity(chunk.len());
    let mut all_keys_ok = true;
    // A chunk usually holds several transactions of one signer: each distinct key is
    // decompressed (and checked for small order) once.
    let mut decoded: std::collections::HashMap<PublicKey, VerifyingKey> =
        std::collections::HashMap::new();
    for tx in chunk {
        let signer = tx.body.signer;
        let vk = match decoded.get(&signer) {
            Some(vk) => *vk,
            None => match VerifyingKey::from_bytes(&signer.0) {
                Ok(vk) if !vk.is_weak() => {
                    decoded.insert(signer, vk);
                    vk
                }
                _ => {
                    all_keys_ok = false;
                    break;
                }
            },
        };
        keys.push(vk);
        sigs.push(Signature::from_bytes(&tx.signature));
        msgs.push(tx.signing_message());
    }
    if all_keys_ok {
        let refs: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
        if ed25519_dalek::verify_batch(&refs, &sigs, &keys).is_ok() {
            return vec![true; chunk.len()];
        }
    }
    chunk.iter().map(|tx| verify_tx(tx)).collect()
}
