//! Claim codes: the secret a consumer finds under the scratch-off (or inside the pack) and
//! proves purchase with.
//!
//! Each item gets its own random secret of [`CLAIM_SECRET_BYTES`] bytes (128 bits), made
//! by the node from the operating system's random source (never here: the ledger has no
//! randomness). The chain holds only a **claim key**: the ed25519 public key whose seed is
//! `SHA-256(CLAIM_KEY_DOMAIN ‖ canonical item key ‖ 0 ‖ secret)`. Binding the item into the
//! seed means one secret printed on two labels still gives two unrelated keys, and a code
//! is useless for any other item.
//!
//! A claim is signed twice: the transaction by the consumer's own key, and inside it a
//! **claim signature** by the claim key over [`claim_message`] — a domain tag, the chain
//! id, the item's canonical key and the consumer's public key. So the claim cannot be made
//! without the secret, cannot be replayed on another chain or for another item, and a
//! claim copied from the mempool is worthless to anyone else: re-signed by another
//! consumer key, its claim signature no longer verifies.
//!
//! Nothing on the chain lets anyone recover a secret: the public key is a one-way image
//! (SHA-256, then ed25519 scalar multiplication) of 128 random bits, so guessing is a
//! search of 2¹²⁸ candidates per item.

use crate::crypto::{self, Keypair};
use crate::gs1::Gs1Key;
use crate::limits::MAX_CLAIM_CODE_LEN;
use crate::types::{Hash32, PublicKey, sha256};
use std::fmt;

/// Bytes of randomness in a claim secret (128 bits; the product asks for at least 96).
pub const CLAIM_SECRET_BYTES: usize = 16;
/// Domain of the hash that turns a claim secret into its key's seed.
pub const CLAIM_KEY_DOMAIN: &[u8] = b"HANDOFF/CLAIM-KEY/1\0";
/// Domain tag of the message a claim key signs.
pub const CLAIM_SIGNING_DOMAIN: &[u8] = b"HANDOFF/CLAIM/1\0";
/// Hex digits in a claim code as printed (two per byte).
const CODE_DIGITS: usize = CLAIM_SECRET_BYTES * 2;

/// The secret of one item's claim code. Its `Debug` does not show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimSecret([u8; CLAIM_SECRET_BYTES]);

impl ClaimSecret {
    /// From random bytes (the caller draws them from the operating system).
    pub fn from_bytes(bytes: [u8; CLAIM_SECRET_BYTES]) -> ClaimSecret {
        ClaimSecret(bytes)
    }

    /// The secret bytes.
    pub fn bytes(&self) -> &[u8; CLAIM_SECRET_BYTES] {
        &self.0
    }

    /// Parses a claim code as printed or typed: 32 hex digits, in either case, with any
    /// number of `-` or space separators.
    pub fn parse(text: &str) -> Result<ClaimSecret, ClaimCodeError> {
        if text.len() > MAX_CLAIM_CODE_LEN {
            return Err(ClaimCodeError(format!(
                "a claim code is {CODE_DIGITS} hex digits; {} characters given",
                text.len()
            )));
        }
        let digits: String = text.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(ClaimCodeError(format!(
                "a claim code has only the digits 0-9 and a-f; {c:?} is not one"
            )));
        }
        if digits.len() != CODE_DIGITS {
            return Err(ClaimCodeError(format!(
                "a claim code is {CODE_DIGITS} hex digits; {} given",
                digits.len()
            )));
        }
        let mut out = [0u8; CLAIM_SECRET_BYTES];
        hex::decode_to_slice(&digits, &mut out)
            .map_err(|e| ClaimCodeError(format!("not a claim code: {e}")))?;
        Ok(ClaimSecret(out))
    }

    /// The claim code as printed: 32 lower-case hex digits in groups of four.
    pub fn code(&self) -> String {
        let digits = hex::encode(self.0);
        let groups: Vec<&str> = (0..CODE_DIGITS)
            .step_by(4)
            .map(|i| &digits[i..i + 4])
            .collect();
        groups.join("-")
    }

    /// The item's claim signing key.
    pub fn keypair(&self, item: &Gs1Key) -> Keypair {
        let seed = sha256(&[CLAIM_KEY_DOMAIN, item.canonical().as_bytes(), &[0], &self.0]);
        Keypair::from_secret(seed.0)
    }

    /// The item's claim key: what the commission puts on the chain.
    pub fn public_key(&self, item: &Gs1Key) -> PublicKey {
        self.keypair(item).public()
    }

    /// The claim signature a consumer puts in a claim of `item` on chain `chain_id`.
    pub fn sign(&self, chain_id: &Hash32, item: &Gs1Key, consumer: &PublicKey) -> [u8; 64] {
        self.keypair(item)
            .sign_raw(&claim_message(chain_id, item, consumer))
    }
}

impl fmt::Debug for ClaimSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClaimSecret(…)")
    }
}

/// A claim code that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClaimCodeError(pub String);

/// What a claim key signs: `CLAIM_SIGNING_DOMAIN ‖ chain id ‖ u32 LE length ‖ canonical
/// item key ‖ consumer key`.
pub fn claim_message(chain_id: &Hash32, item: &Gs1Key, consumer: &PublicKey) -> Vec<u8> {
    let key = item.canonical();
    let mut m = Vec::with_capacity(CLAIM_SIGNING_DOMAIN.len() + 32 + 4 + key.len() + 32);
    m.extend_from_slice(CLAIM_SIGNING_DOMAIN);
    m.extend_from_slice(&chain_id.0);
    m.extend_from_slice(&(key.len() as u32).to_le_bytes());
    m.extend_from_slice(key.as_bytes());
    m.extend_from_slice(&consumer.0);
    m
}

/// Whether `signature` is the claim key's signature of a claim of `item` by `consumer`
/// (the ledger's one signature rule, see [`crypto`]).
pub fn claim_verifies(
    claim_key: &PublicKey,
    chain_id: &Hash32,
    item: &Gs1Key,
    consumer: &PublicKey,
    signature: &[u8; 64],
) -> bool {
    crypto::key_is_acceptable(claim_key)
        && crypto::verify(
            claim_key,
            &claim_message(chain_id, item, consumer),
            signature,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(serial: &str) -> Gs1Key {
        Gs1Key::Serial {
            gtin: "09506000134352".into(),
            serial: serial.into(),
        }
    }

    #[test]
    fn a_code_parses_as_printed_typed_or_shouted() {
        let s = ClaimSecret::from_bytes([
            0x3f, 0x2a, 0x91, 0xbc, 0x0d, 0x4e, 0x77, 0xa1, 0x5b, 0x6c, 0x9e, 0x08, 0xf1, 0xd2,
            0xc3, 0xb4,
        ]);
        let printed = s.code();
        assert_eq!(printed, "3f2a-91bc-0d4e-77a1-5b6c-9e08-f1d2-c3b4");
        for text in [
            printed.as_str(),
            "3f2a91bc0d4e77a15b6c9e08f1d2c3b4",
            "3F2A 91BC 0D4E 77A1 5B6C 9E08 F1D2 C3B4",
        ] {
            assert_eq!(ClaimSecret::parse(text), Ok(s.clone()), "{text}");
        }
    }

    #[test]
    fn what_is_not_a_code_is_refused_with_the_reason() {
        let long = "0".repeat(65);
        for (text, says) in [
            ("1234", "32 hex digits; 4 given"),
            ("3f2a91bc0d4e77a15b6c9e08f1d2c3b4ff", "34 given"),
            ("3f2a91bc0d4e77a15b6c9e08f1d2c3bz", "'z'"),
            (long.as_str(), "65 characters"),
        ] {
            let e = ClaimSecret::parse(text).expect_err(text);
            assert!(e.0.contains(says), "{text}: {}", e.0);
        }
    }

    #[test]
    fn one_secret_gives_unrelated_keys_on_two_items_and_signatures_bind_the_buyer() {
        let s = ClaimSecret::from_bytes([1; CLAIM_SECRET_BYTES]);
        let (a, b) = (bag("A"), bag("B"));
        assert_ne!(s.public_key(&a), s.public_key(&b));
        let chain = Hash32([9; 32]);
        let buyer = Keypair::from_secret([2; 32]).public();
        let other = Keypair::from_secret([3; 32]).public();
        let sig = s.sign(&chain, &a, &buyer);
        let key = s.public_key(&a);
        assert!(claim_verifies(&key, &chain, &a, &buyer, &sig));
        assert!(!claim_verifies(&key, &chain, &a, &other, &sig));
        assert!(!claim_verifies(&key, &Hash32([8; 32]), &a, &buyer, &sig));
        assert!(!claim_verifies(&s.public_key(&b), &chain, &b, &buyer, &sig));
        assert_eq!(format!("{s:?}"), "ClaimSecret(…)");
    }
}
