//! Signatures: one rule, whatever the path.
//!
//! **The rule is ZIP-215** (published ed25519 validity criteria, written so that every
//! verifier agrees): a signature `(R, s)` by key `A` over message `M` is valid iff
//! - `A` and `R` decode as curve points (a non-canonical `y` is accepted and reduced; so is
//!   a small-order or mixed-order point),
//! - `s` is canonical (`s < ℓ`),
//! - the cofactored equation `[8](s·B − R − k·A) = 0` holds, with
//!   `k = SHA-512(R_bytes ‖ A_bytes ‖ M)` over the bytes as given.
//!
//! Verification is the `ed25519-consensus` crate; signing stays with ed25519-dalek, whose
//! honest signatures are valid under every ed25519 rule, so nothing an honest signer made
//! changes verdict.
//!
//! **Why this rule**: a cofactored equation makes batch and single verification agree by
//! construction. A valid signature contributes nothing to the batch's (cofactored) sum,
//! whatever its coefficient, so a batch of valid signatures always passes. An invalid one
//! leaves a non-zero point of the prime-order group; a batch containing it passes only if
//! the random 128-bit coefficients cancel it, which no one can arrange (probability below
//! 2⁻¹²⁸ per batch, coefficients derived from a hash of the whole batch). A batch that fails
//! is re-checked one signature at a time with the same rule. So [`verify`], a batch of one,
//! any grouping of [`verify_all`] and [`verify_txs`] give every signature the same verdict,
//! and mempool admission, proposal validation, replay, sync, light nodes and vote and
//! certificate checks — which all verify through this module — agree on every signature,
//! including one crafted with a torsion component in `R` or a non-canonical encoding.
//! (The cofactorless batch equation used before could accept such a signature in one
//! grouping and refuse it in another, and strict single verification refused it.)
//!
//! **Keys**: under ZIP-215 a small-order key "signs" almost any message, so the chain never
//! gives standing to one. [`key_is_acceptable`] decides which keys may be admitted (orgs,
//! devices, consumers, validators, the genesis): exactly the keys honest key generation
//! produces — the canonical encoding of a point of the prime-order subgroup other than the
//! identity. It is a pure function of the 32 bytes, so every node decides alike.
//!
//! libp2p's own signatures (peer identities, gossip envelopes) are checked by libp2p: they
//! decide which bytes travel, never what the ledger holds; every ledger decision about a
//! signature goes through this module.

use crate::rejection::Rejection;
use crate::tx::{SignedTx, TxBody, encode_body, signing_message};
use crate::types::PublicKey;
use ed25519_consensus::{Signature, VerificationKey, VerificationKeyBytes, batch};
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

/// Signatures per batch in [`verify_all`] and [`verify_txs`]. The verdicts do not depend on
/// it; it bounds the work lost when a batch fails and is re-checked one by one.
pub const BATCH_CHUNK: usize = 256;

/// Domain of the hash the batch coefficients are drawn from.
const BATCH_COEFFICIENT_DOMAIN: &[u8] = b"HANDOFF/SIG-BATCH-COEFFICIENTS/1\0";

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
    /// Signs a transaction body, producing the signed transaction. The body is encoded
    /// once and those very bytes are signed and kept; a body with no encoding (a field
    /// longer than a `u32` length can say) is refused with `TOO_LARGE`, never signed.
    pub fn sign_tx(&self, body: TxBody) -> Result<SignedTx, Rejection> {
        let bytes = encode_body(&body)?;
        let sig = self.sign_raw(&signing_message(&bytes));
        Ok(SignedTx::from_encoded(body, bytes, sig))
    }
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keypair({:?})", self.public())
    }
}

/// Whether a key may be given standing on the chain (an org, device, consumer or validator
/// key): the canonical encoding of a point in the prime-order subgroup, not the identity —
/// what honest key generation (`a·B`) always gives. Refused: bytes that are no point,
/// non-canonical encodings (another spelling of some key), small-order points (they would
/// verify forged signatures under ZIP-215) and mixed-order points (a torsion component no
/// honest key has).
pub fn key_is_acceptable(key: &PublicKey) -> bool {
    let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(&key.0) else {
        return false;
    };
    let point = vk.to_edwards();
    point.compress().to_bytes() == key.0 && !point.is_small_order() && point.is_torsion_free()
}

/// Verifies one signature over `msg` under the ledger's rule (ZIP-215).
pub fn verify(key: &PublicKey, msg: &[u8], sig: &[u8; 64]) -> bool {
    match VerificationKey::try_from(key.0) {
        Ok(vk) => vk.verify(&Signature::from(*sig), msg).is_ok(),
        Err(_) => false,
    }
}

/// One signature to check: who, over what, the signature.
#[derive(Clone, Copy, Debug)]
pub struct SigCheck<'a> {
    /// The signer's key.
    pub key: &'a PublicKey,
    /// The exact signed message.
    pub msg: &'a [u8],
    /// The signature.
    pub sig: &'a [u8; 64],
}

/// Verifies many signatures; `result[i]` is `verify` of `checks[i]`. Batches of
/// [`BATCH_CHUNK`] in order; a failing batch is re-checked one by one.
pub fn verify_all(checks: &[SigCheck<'_>]) -> Vec<bool> {
    let mut out = Vec::with_capacity(checks.len());
    for chunk in checks.chunks(BATCH_CHUNK) {
        out.extend(verify_chunk(chunk));
    }
    out
}

/// Verifies a transaction's signature (ZIP-215).
pub fn verify_tx(tx: &SignedTx) -> bool {
    verify(&tx.body.signer, &tx.signing_message(), &tx.signature)
}

/// Verifies many transactions' signatures; `result[i]` is `verify_tx(txs[i])`.
pub fn verify_txs(txs: &[&SignedTx]) -> Vec<bool> {
    let msgs: Vec<Vec<u8>> = txs.iter().map(|t| t.signing_message()).collect();
    let checks: Vec<SigCheck<'_>> = txs
        .iter()
        .zip(&msgs)
        .map(|(t, m)| SigCheck {
            key: &t.body.signer,
            msg: m,
            sig: &t.signature,
        })
        .collect();
    verify_all(&checks)
}

fn verify_chunk(chunk: &[SigCheck<'_>]) -> Vec<bool> {
    if let [one] = chunk {
        return vec![verify(one.key, one.msg, one.sig)];
    }
    let items: Vec<batch::Item> = chunk
        .iter()
        .map(|c| {
            batch::Item::from((
                VerificationKeyBytes::from(c.key.0),
                Signature::from(*c.sig),
                c.msg,
            ))
        })
        .collect();
    let mut batch = batch::Verifier::new();
    for item in &items {
        batch.queue(item.clone());
    }
    if batch.verify(Coefficients::for_batch(chunk)).is_ok() {
        return vec![true; chunk.len()];
    }
    items
        .into_iter()
        .map(|item| item.verify_single().is_ok())
        .collect()
}

/// The batch verifier's random coefficients, drawn from SHA-256 of everything in the batch
/// (counter mode): no one can know them before fixing the batch, as the batch equation
/// needs, and they need no source of randomness (none in wasm32, none in a replay).
struct Coefficients {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl Coefficients {
    fn for_batch(chunk: &[SigCheck<'_>]) -> Coefficients {
        let mut h = Sha256::new();
        h.update(BATCH_COEFFICIENT_DOMAIN);
        for c in chunk {
            h.update(c.key.0);
            h.update(c.sig);
            h.update((c.msg.len() as u64).to_le_bytes());
            h.update(c.msg);
        }
        Coefficients {
            seed: h.finalize().into(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl rand_core_06::RngCore for Coefficients {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            if self.used == self.block.len() {
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(self.counter.to_le_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// The stream is unpredictable without the whole batch, which is what the batch equation
// needs of its coefficients.
impl rand_core_06::CryptoRng for Coefficients {}
