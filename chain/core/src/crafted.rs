//! Signatures no honest signer makes, for tests of the signature rule (feature
//! `crafted-signatures`, enabled only by test builds). Each needs the key's secret: these
//! are the signatures a key holder could craft to make verifiers disagree, built the way
//! the published ed25519 edge-case vectors are (a torsion component in `R`, a
//! non-canonical encoding of `R` or `s`).
//!
//! Under the ledger's rule (ZIP-215, see [`crate::crypto`]) a torsion component in `R` and
//! a non-canonical `R` are accepted; a non-canonical `s` is refused. Strict verification
//! refuses all three; a cofactorless batch accepts the first two only for some batch
//! coefficients.

use crate::crypto::Keypair;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::{Scalar, clamp_integer};
use sha2::{Digest, Sha512};

/// The order-`n` torsion point used by [`with_torsion_in_r`] (`n` ∈ {1, 2, 4, 8}).
pub fn torsion_point(order: u8) -> Option<EdwardsPoint> {
    match order {
        1 => Some(EIGHT_TORSION[0]),
        2 => Some(EIGHT_TORSION[4]),
        4 => Some(EIGHT_TORSION[2]),
        8 => Some(EIGHT_TORSION[1]),
        _ => None,
    }
}

/// The secret scalar `a` of a key (`A = a·B`).
fn secret_scalar(key: &Keypair) -> Scalar {
    let h: [u8; 64] = Sha512::digest(key.secret()).into();
    let mut lower = [0u8; 32];
    lower.copy_from_slice(&h[..32]);
    Scalar::from_bytes_mod_order(clamp_integer(lower))
}

/// `k = SHA-512(R_bytes ‖ A_bytes ‖ msg) mod ℓ`.
fn challenge(r_bytes: &[u8; 32], key: &Keypair, msg: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(key.public().0);
    h.update(msg);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn signature(r_bytes: [u8; 32], s: [u8; 32]) -> [u8; 64] {
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r_bytes);
    sig[32..].copy_from_slice(&s);
    sig
}

/// A signature over `msg` whose `R` is `r·B + T`, `T` the torsion point of order `order`
/// and `r` derived from `salt` (vary it for another signature of the same message):
/// `[8](s·B − R − k·A) = 0` holds, `s·B − R − k·A = 0` does not (unless `order` is 1).
pub fn with_torsion_in_r(key: &Keypair, msg: &[u8], order: u8, salt: u64) -> Option<[u8; 64]> {
    let t = torsion_point(order)?;
    let mut h = Sha512::new();
    h.update(b"crafted nonce");
    h.update(key.secret());
    h.update(salt.to_le_bytes());
    h.update(msg);
    let r = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let big_r = EdwardsPoint::mul_base(&r) + t;
    let r_bytes = big_r.compress().to_bytes();
    let s = r + challenge(&r_bytes, key, msg) * secret_scalar(key);
    Some(signature(r_bytes, s.to_bytes()))
}

/// A signature over `msg` whose `R` is the given encoding of a small-order point (e.g. a
/// non-canonical one) and `s = k·a`: `[8](s·B − R − k·A) = [8](−R) = 0`. `None` when the
/// bytes are no small-order point.
pub fn with_small_order_r(key: &Keypair, msg: &[u8], r_bytes: [u8; 32]) -> Option<[u8; 64]> {
    let point = CompressedEdwardsY(r_bytes).decompress()?;
    if !point.is_small_order() {
        return None;
    }
    let s = challenge(&r_bytes, key, msg) * secret_scalar(key);
    Some(signature(r_bytes, s.to_bytes()))
}

/// An honest signature with `ℓ` added to `s` (the same `s` mod `ℓ`, not canonical). `None`
/// in the rare case that `s + ℓ` does not fit in 253 bits.
pub fn with_non_canonical_s(key: &Keypair, msg: &[u8]) -> Option<[u8; 64]> {
    let honest = key.sign_raw(msg);
    let mut s = [0u8; 32];
    s.copy_from_slice(&honest[32..]);
    // ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
    const ELL: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10,
    ];
    let mut carry = 0u16;
    for (b, l) in s.iter_mut().zip(ELL) {
        let v = u16::from(*b) + u16::from(l) + carry;
        *b = (v & 0xff) as u8;
        carry = v >> 8;
    }
    if carry != 0 || s[31] & 0xe0 != 0 {
        return None;
    }
    let mut r_bytes = [0u8; 32];
    r_bytes.copy_from_slice(&honest[..32]);
    Some(signature(r_bytes, s))
}
