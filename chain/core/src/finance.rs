//! Supply-chain finance: private terms with public commitments.
//!
//! This module holds the cryptographic layer of the finance rules (receivables and
//! warehouse receipts, PRODUCT.md §5), the design of those rules (applied in `apply`),
//! and the queries the node needs ([`receivable`], [`receipt`], [`pledged_under`],
//! [`seal_key`]). Everything is pure: randomness (blinding
//! factors, proof nonces, HPKE ephemeral keys) comes from an RNG the caller passes in, so
//! the ledger's `apply` stays deterministic and only ever *verifies*.
//!
//! # The commitment scheme
//!
//! Amounts (face value, line amounts, advance, fee, payments, dilutions, split parts) are
//! integers in minor units and never appear on the chain in clear. The chain holds a
//! Pedersen commitment `C = v·G + r·H` on Ristretto (the `bulletproofs` generators:
//! `G` = the Ristretto base point, `H` = a hash-derived point of unknown discrete log),
//! with `r` a random blinding scalar. Commitments are additively homomorphic, so a
//! validator that reads no amount still checks conservation:
//!
//! - split: `C_before = C_kept + Σ C_part` ([`check_split`]);
//! - repayment, dilution, recovery: `C_after = C_before − C_payment`
//!   ([`check_decrease`]).
//!
//! Equality alone would let a prover commit to a "negative" part (`−1` is `l − 1` modulo
//! the group order `l`, a huge number) and mint value elsewhere; so every committed part,
//! payment and every new outstanding balance carries a Bulletproofs range proof that it
//! lies in `[0, 2^64)` ([`RANGE_BITS`]). With at most [`MAX_PARTS`] parts of 64 bits each
//! the sums stay far below `l ≈ 2^252`, so no sum wraps. A repayment larger than the
//! outstanding balance fails because no valid range proof exists for the (negative)
//! remainder.
//!
//! Each proof is bound to its context through the Merlin transcript label
//! ([`TRANSCRIPT_DOMAIN`]) and the asset id, so a proof taken from one asset cannot be
//! replayed on another.
//!
//! A balance that reaches zero is shown to be zero by revealing its blinding factor
//! ([`check_zero`]): `C = 0·G + r·H` reveals nothing else.
//!
//! # Sealed terms
//!
//! Invoice numbers, prices, rates, document references and the *openings* of the
//! commitments (amount and blinding, which each party needs to build the next proof) are
//! sealed to each party with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, ChaCha20-Poly1305): one [`SealedBox`] per recipient, the asset id as
//! associated data, so a box cannot be moved to another asset. Orgs publish an X25519
//! seal key (checked by [`check_seal_key`]); a party's node opens what is sealed to it
//! with [`open`].
//!
//! # Invoice numbers
//!
//! A receivable's id must not reveal its invoice number (numbers are short and guessable,
//! so a plain hash would be brute-forced). The id commits to a salted reference:
//! [`invoice_ref`]`(salt, number)` with a 32-byte random salt that is sealed to the
//! parties together with the number, and the receivable id is
//! [`receivable_id`]`(seller, buyer, invoice_ref)`. Each party can check the number it
//! was told against the id; nobody else learns anything.
//!
//! # Warehouse receipts
//!
//! `Receipt(Issue)` by a warehouse org for loose, active items or containers in its
//! custody (custody it got through accepted handoffs), naming their owner; its id is the
//! issuing transaction's id. `Pledge` (owner names a lender) → `AcceptPledge` (the lender;
//! the warehouse's consent is its issuing the receipt) → `Release` (lender, listed goods
//! or all) or `Enforce` (lender becomes the owner of what is still pledged). At
//! `AcceptPledge` the goods are checked again (they may have moved since the receipt was
//! issued) and a pledge lock is written per good under its own state key
//! (`StateKey::PledgeLock`), so item records keep their layout and state roots without
//! finance are unchanged. While locked, `ProposeHandoff`, `Pack` (as content or
//! container), `Unpack`, `Transform`, `Sell` and `Decommission` naming the good are refused
//! with `PLEDGED`; goods pledged under one receipt cannot be pledged under another
//! (`ALREADY_PLEDGED`). A receipt may also hold lot quantities (`lots`, each a lot key with
//! its quantity, loose in the warehouse for the owner): at `AcceptPledge` each is added to
//! the lot's pledged quantities (`Record::LotPledges` under the lot's `PledgeLock` key), and
//! a handoff, pack, transform, sale or decommissioning may then take from that position
//! only what it holds beyond them (`PLEDGED` when the pledge is what stops it). A second
//! receipt needs free quantity (`ALREADY_PLEDGED` when only pledged quantity is left);
//! `Release` of the lot key frees its quantity, `Enforce` moves it to the lender's
//! ownership, still in the warehouse.
//!
//! # Receivables
//!
//! `Payload::Receivable` steps, applied in `apply`:
//!
//! ```text
//! Issue (seller) → Confirm (buyer) → RequestFinance (holder names a lender)
//!   → Offer (that lender: advance and fee committed, terms sealed) → AcceptOffer (holder)
//!   → Fund (lender)
//! Repay (buyer, partial allowed)   Dilute (holder: returns, credit notes)
//! Split (holder, confirmed and unfinanced: parts become new confirmed receivables)
//! Transfer (holder, confirmed and unfinanced)
//! MarkOverdue (any org, once block time > due) → Default (creditor) → Recover → WriteOff
//! Settle (holder or lender, when the balance is shown to be zero)
//! ```
//!
//! - id = [`receivable_id`]`(seller, buyer, `[`invoice_ref`]`(salt, number))`; issuing the
//!   same id twice is refused;
//! - `Issue` lines name (accepted handoff from the seller to the buyer, item or lot
//!   quantity, proven amount); `NOT_DELIVERED` otherwise; goods listed missing or damaged
//!   at acceptance were not delivered. The invoiced quantity of each handoff line is kept
//!   under its own state key ([`invoiced_key`]), so a line is invoiced at most once
//!   (`ALREADY_INVOICED`), a lot quantity at most up to what was delivered;
//! - the face value is [`sum`] of the line commitments; the outstanding balance starts
//!   there; currency is public and must be ISO 4217 (`BAD_CURRENCY`), so lenders can sum
//!   exposure per currency; the due date is public (overdue is decided by block time);
//! - `Repay`/`Dilute`/`Recover` carry the payment's and the new balance's
//!   [`ProvenAmount`]s, checked by [`check_decrease`] (`UNBALANCED`, `BAD_RANGE_PROOF`);
//!   the payment reference is on chain only as [`payment_ref_hash`] and used once
//!   (`PAYMENT_REF_USED`); `Split` carries the kept balance and the parts, checked by
//!   [`check_split`]; `Settle` reveals the zero balance's blinding ([`check_zero`]);
//! - every step that creates or changes a commitment carries one [`SealedBox`] of a
//!   [`Disclosure`] per party (holder, buyer, and the lender once named; for a split part:
//!   its new holder and the buyer), each to the party's published seal key
//!   (`SetSealKey`); a missing key or a box set that is not exactly the parties is
//!   refused (`NO_SEAL_KEY`). Validators cannot check what is inside a box;
//! - one financing at a time: a lender is named once (`ALREADY_FINANCED` for a second),
//!   and a financed receivable can no longer be split or transferred.
//!
//! # Costs
//!
//! A 64-bit range proof is [`RANGE_PROOF_BYTES`] bytes; a commitment 32 bytes; a sealed
//! box 32 bytes of encapsulated key + plaintext + 16 bytes of tag.

use crate::types::{Hash32, OrgId, sha256};
use borsh::{BorshDeserialize, BorshSerialize};
use bulletproofs::{BulletproofGens, PedersenGens, RangeProof};
use curve25519_dalek_4::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek_4::scalar::Scalar;
use hpke::{Deserializable, Kem as _, Serializable};
use merlin::Transcript;
use serde::Serialize;
use std::sync::OnceLock;

/// Bits of every range proof: amounts are `u64` minor units.
pub const RANGE_BITS: usize = 64;
/// Size of one encoded 64-bit range proof.
pub const RANGE_PROOF_BYTES: usize = 672;
/// Most parts one split creates (and lines one invoice has): keeps every sum of 64-bit
/// values far below the group order.
pub const MAX_PARTS: usize = 16;
/// Largest plaintext sealed to one party.
pub const MAX_SEALED_PLAINTEXT: usize = 4096;
/// Domain label of every range-proof transcript.
pub const TRANSCRIPT_DOMAIN: &[u8] = b"HANDOFF/FINANCE/RANGE/1";
/// HPKE `info` of every sealed box.
pub const SEAL_INFO: &[u8] = b"HANDOFF/FINANCE/SEAL/1";

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;

/// The caller's randomness: any `rand_core` 0.6 cryptographic RNG (the version the
/// range proofs take).
pub trait FinanceRng: rand_core_06::RngCore + rand_core_06::CryptoRng {}
impl<T: rand_core_06::RngCore + rand_core_06::CryptoRng> FinanceRng for T {}

/// A Pedersen commitment to an amount, compressed (32 bytes).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize,
)]
pub struct Commitment(pub [u8; 32]);

impl Serialize for Commitment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

/// A blinding factor (a canonical scalar, 32 bytes little-endian).
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Blinding(pub [u8; 32]);

impl Serialize for Blinding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for Blinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blinding(…)")
    }
}

impl Blinding {
    /// A fresh random blinding factor.
    pub fn random(rng: &mut impl FinanceRng) -> Blinding {
        Blinding(Scalar::random(rng).to_bytes())
    }
    fn scalar(&self) -> Option<Scalar> {
        Option::from(Scalar::from_canonical_bytes(self.0))
    }
    /// `self − other` (the blinding of a difference of commitments).
    pub fn minus(&self, other: &Blinding) -> Option<Blinding> {
        Some(Blinding((self.scalar()? - other.scalar()?).to_bytes()))
    }
    /// Sum of blindings (the blinding of a sum of commitments).
    pub fn sum<'b>(all: impl IntoIterator<Item = &'b Blinding>) -> Option<Blinding> {
        let mut acc = Scalar::ZERO;
        for b in all {
            acc += b.scalar()?;
        }
        Some(Blinding(acc.to_bytes()))
    }
}

/// What opens a commitment: the amount and its blinding. Sealed to the parties, never
/// on the chain in clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Opening {
    /// Minor units.
    pub amount: u64,
    /// The blinding factor.
    pub blinding: Blinding,
}

/// A commitment with the range proof that its amount lies in `[0, 2^64)`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ProvenAmount {
    /// The commitment.
    pub commitment: Commitment,
    /// The encoded range proof ([`RANGE_PROOF_BYTES`] bytes).
    #[serde(serialize_with = "serialize_hex")]
    pub proof: Vec<u8>,
}

/// Serializes 32 key bytes as lower-case hex.
pub fn serialize_key32<S: serde::Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

/// An org's published seal key, if any (a failed read is an error, never "none").
pub fn seal_key(
    state: &dyn crate::state::StateRead,
    org: &OrgId,
) -> crate::state::ReadResult<Option<crate::state::SealKeyRecord>> {
    Ok(match state.read(&crate::state::StateKey::SealKey(*org))? {
        Some(crate::state::Record::SealKey(r)) => Some(r),
        _ => None,
    })
}

/// A warehouse receipt by id.
pub fn receipt(
    state: &dyn crate::state::StateRead,
    id: &Hash32,
) -> crate::state::ReadResult<Option<crate::state::ReceiptRecord>> {
    Ok(match state.read(&crate::state::StateKey::Asset(*id))? {
        Some(crate::state::Record::Receipt(r)) => Some(r),
        _ => None,
    })
}

/// The receipt an item or container is pledged under now, if any.
pub fn pledged_under(
    state: &dyn crate::state::StateRead,
    key: &crate::gs1::Gs1Key,
) -> crate::state::ReadResult<Option<Hash32>> {
    Ok(
        match state.read(&crate::state::StateKey::PledgeLock(key.canonical()))? {
            Some(crate::state::Record::PledgeLock(l)) if l.pledged => Some(l.receipt),
            _ => None,
        },
    )
}

fn serialize_hex<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

/// Why a finance proof or sealed box was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FinanceError {
    /// A commitment is not a valid Ristretto point.
    #[error("a commitment is not a valid curve point")]
    BadCommitment,
    /// A range proof does not decode or does not verify.
    #[error(
        "a range proof does not verify: the committed amount is not shown to be between 0 and 2^64"
    )]
    BadRangeProof,
    /// The commitments do not add up (value would be created or destroyed).
    #[error("the commitments do not add up")]
    Unbalanced,
    /// Too many parts.
    #[error("at most {MAX_PARTS} parts")]
    TooManyParts,
    /// A seal key is not a usable X25519 public key.
    #[error("the seal key is not a usable X25519 public key")]
    BadSealKey,
    /// Sealing or opening failed (wrong key, tampered box, wrong asset).
    #[error("the sealed box does not open with this key for this asset")]
    Seal,
    /// A blinding factor is not a canonical scalar.
    #[error("a blinding factor is not a canonical scalar")]
    BadBlinding,
    /// The amount cannot be proven (proof generation failed).
    #[error("the amount cannot be proven")]
    Prove,
}

fn pedersen() -> &'static PedersenGens {
    static G: OnceLock<PedersenGens> = OnceLock::new();
    G.get_or_init(PedersenGens::default)
}

fn bp_gens() -> &'static BulletproofGens {
    static G: OnceLock<BulletproofGens> = OnceLock::new();
    G.get_or_init(|| BulletproofGens::new(RANGE_BITS, 1))
}

fn transcript(context: &Hash32) -> Transcript {
    let mut t = Transcript::new(TRANSCRIPT_DOMAIN);
    t.append_message(b"asset", &context.0);
    t
}

fn point(c: &Commitment) -> Result<RistrettoPoint, FinanceError> {
    CompressedRistretto(c.0)
        .decompress()
        .ok_or(FinanceError::BadCommitment)
}

/// The commitment to `amount` with `blinding`.
pub fn commit(opening: &Opening) -> Result<Commitment, FinanceError> {
    let r = opening.blinding.scalar().ok_or(FinanceError::BadBlinding)?;
    Ok(Commitment(
        pedersen()
            .commit(Scalar::from(opening.amount), r)
            .compress()
            .to_bytes(),
    ))
}

/// Commits to `opening` and proves its range, bound to `context` (the asset id).
pub fn prove(
    context: &Hash32,
    opening: &Opening,
    rng: &mut impl FinanceRng,
) -> Result<ProvenAmount, FinanceError> {
    let r = opening.blinding.scalar().ok_or(FinanceError::BadBlinding)?;
    let (proof, c) = RangeProof::prove_single_with_rng(
        bp_gens(),
        pedersen(),
        &mut transcript(context),
        opening.amount,
        &r,
        RANGE_BITS,
        rng,
    )
    .map_err(|_| FinanceError::Prove)?;
    Ok(ProvenAmount {
        commitment: Commitment(c.to_bytes()),
        proof: proof.to_bytes(),
    })
}

/// Verifies a range proof for `amount.commitment` in `context`. The RNG only drives the
/// verifier's batching randomness; the answer does not depend on it.
pub fn verify(
    context: &Hash32,
    amount: &ProvenAmount,
    rng: &mut impl FinanceRng,
) -> Result<(), FinanceError> {
    point(&amount.commitment)?;
    if amount.proof.len() != RANGE_PROOF_BYTES {
        return Err(FinanceError::BadRangeProof);
    }
    let proof = RangeProof::from_bytes(&amount.proof).map_err(|_| FinanceError::BadRangeProof)?;
    proof
        .verify_single_with_rng(
            bp_gens(),
            pedersen(),
            &mut transcript(context),
            &CompressedRistretto(amount.commitment.0),
            RANGE_BITS,
            rng,
        )
        .map_err(|_| FinanceError::BadRangeProof)
}

/// A deterministic verifier RNG for `apply` (validators must agree; the verifier's
/// random weights only make cheating detectable, and a seed from the proof bytes
/// themselves keeps them unpredictable to the prover's choice of everything else).
pub fn verifier_rng(context: &Hash32, proof: &[u8]) -> impl FinanceRng + use<> {
    Sha256Rng {
        seed: sha256(&[b"HANDOFF/FINANCE/VERIFIER/1", &context.0, proof]).0,
        counter: 0,
        buf: [0; 32],
        pos: 32,
    }
}

/// SHA-256 in counter mode: a small deterministic RNG for proof verification only.
struct Sha256Rng {
    seed: [u8; 32],
    counter: u64,
    buf: [u8; 32],
    pos: usize,
}

impl rand_core_06::RngCore for Sha256Rng {
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
        for d in dest {
            if self.pos == 32 {
                self.buf = sha256(&[&self.seed, &self.counter.to_le_bytes()]).0;
                self.counter += 1;
                self.pos = 0;
            }
            *d = self.buf[self.pos];
            self.pos += 1;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core_06::CryptoRng for Sha256Rng {}

/// Verifies with [`verifier_rng`]: what validators run.
pub fn verify_deterministic(context: &Hash32, amount: &ProvenAmount) -> Result<(), FinanceError> {
    verify(context, amount, &mut verifier_rng(context, &amount.proof))
}

/// Split conservation: `before = kept + Σ parts`, with range proofs on `kept` and every
/// part (so no part is negative).
pub fn check_split(
    context: &Hash32,
    before: &Commitment,
    kept: &ProvenAmount,
    parts: &[ProvenAmount],
) -> Result<(), FinanceError> {
    if parts.len() > MAX_PARTS {
        return Err(FinanceError::TooManyParts);
    }
    let mut sum = point(&kept.commitment)?;
    for p in parts {
        sum += point(&p.commitment)?;
    }
    if sum != point(before)? {
        return Err(FinanceError::Unbalanced);
    }
    verify_deterministic(context, kept)?;
    for p in parts {
        verify_deterministic(context, p)?;
    }
    Ok(())
}

/// Repayment, dilution or recovery: `after = before − payment`, with range proofs on the
/// payment and on the new balance (so nobody pays more than is outstanding, and no
/// payment is negative).
pub fn check_decrease(
    context: &Hash32,
    before: &Commitment,
    payment: &ProvenAmount,
    after: &ProvenAmount,
) -> Result<(), FinanceError> {
    if point(&after.commitment)? + point(&payment.commitment)? != point(before)? {
        return Err(FinanceError::Unbalanced);
    }
    verify_deterministic(context, payment)?;
    verify_deterministic(context, after)
}

/// The sum of commitments (e.g. an invoice's face value from its lines).
pub fn sum(commitments: &[Commitment]) -> Result<Commitment, FinanceError> {
    let mut acc = RistrettoPoint::default();
    for c in commitments {
        acc += point(c)?;
    }
    Ok(Commitment(acc.compress().to_bytes()))
}

/// `a − b` (what the node computes for a new balance before proving it).
pub fn difference(a: &Commitment, b: &Commitment) -> Result<Commitment, FinanceError> {
    Ok(Commitment((point(a)? - point(b)?).compress().to_bytes()))
}

/// Whether `c` commits to zero with `blinding` (how a settled balance is shown empty).
pub fn check_zero(c: &Commitment, blinding: &Blinding) -> Result<(), FinanceError> {
    if commit(&Opening {
        amount: 0,
        blinding: *blinding,
    })? == *c
    {
        Ok(())
    } else {
        Err(FinanceError::Unbalanced)
    }
}

/// ISO 4217 alphabetic codes of active currencies (and the funds codes in use).
pub const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB \
BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP \
DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR \
ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK \
MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG \
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND \
TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER \
ZAR ZMW ZWG";

/// Whether `code` is an ISO 4217 currency code.
pub fn valid_currency(code: &str) -> bool {
    code.len() == 3 && ISO_4217.split_whitespace().any(|c| c == code)
}

/// Digits after the decimal point of `code`'s minor unit (ISO 4217): 0 for JPY, KRW…,
/// 3 for BHD, KWD…, 4 for CLF and UYW, else 2.
pub fn minor_digits(code: &str) -> u32 {
    const ZERO: &str = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
    const THREE: &str = "BHD IQD JOD KWD LYD OMR TND";
    const FOUR: &str = "CLF UYW";
    let has = |list: &str| list.split_whitespace().any(|c| c == code);
    if has(ZERO) {
        0
    } else if has(THREE) {
        3
    } else if has(FOUR) {
        4
    } else {
        2
    }
}

/// Why a written amount was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a decimal number (digits with at most one `.`).
    #[error("'{0}' is not an amount: write digits with at most one decimal point, e.g. 1250.00")]
    NotANumber(String),
    /// More decimals than the currency's minor unit has.
    #[error("'{text}' has more decimals than {currency} has ({digits})")]
    TooPrecise {
        /// What was written.
        text: String,
        /// The currency.
        currency: String,
        /// Its minor-unit digits.
        digits: u32,
    },
    /// Past what 64 bits of minor units hold.
    #[error("'{0}' is too large an amount")]
    TooLarge(String),
}

/// Reads a decimal amount (`1250`, `1250.5`, `1250.50`) in `currency`'s minor units
/// (`125050` for EUR). Signs, exponents, separators and more decimals than the currency
/// has are refused: an amount is never rounded.
pub fn parse_amount(text: &str, currency: &str) -> Result<u64, AmountError> {
    let digits = minor_digits(currency);
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !ok(whole) || !ok(frac) || t.ends_with('.') {
        return Err(AmountError::NotANumber(text.to_string()));
    }
    if frac.len() > digits as usize {
        return Err(AmountError::TooPrecise {
            text: text.to_string(),
            currency: currency.to_string(),
            digits,
        });
    }
    let too_large = || AmountError::TooLarge(text.to_string());
    let mut v: u64 = 0;
    for b in whole.bytes().chain(frac.bytes()) {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(too_large)?;
    }
    for _ in frac.len()..digits as usize {
        v = v.checked_mul(10).ok_or_else(too_large)?;
    }
    Ok(v)
}

/// Writes minor units as a decimal amount of `currency` (`125050` EUR → `1250.50`).
pub fn format_amount(minor: u64, currency: &str) -> String {
    let digits = minor_digits(currency);
    if digits == 0 {
        return minor.to_string();
    }
    let unit = 10u64.pow(digits);
    format!(
        "{}.{:0width$}",
        minor / unit,
        minor % unit,
        width = digits as usize
    )
}

/// The hash under which a payment reference is remembered:
/// `sha256(domain ‖ buyer ‖ reference)`. Only the hash is on the chain.
pub fn payment_ref_hash(buyer: &OrgId, reference: &str) -> Hash32 {
    sha256(&[
        b"HANDOFF/FINANCE/PAYREF/1\0",
        &buyer.0,
        reference.as_bytes(),
    ])
}

/// A receivable by id.
pub fn receivable(
    state: &dyn crate::state::StateRead,
    id: &Hash32,
) -> crate::state::ReadResult<Option<crate::state::ReceivableRecord>> {
    Ok(match state.read(&crate::state::StateKey::Asset(*id))? {
        Some(crate::state::Record::Receivable(r)) => Some(r),
        _ => None,
    })
}

/// The id of the `index`-th part split from `parent` (counting every split's parts).
pub fn split_id(parent: &Hash32, index: u32) -> Hash32 {
    sha256(&[
        b"HANDOFF/FINANCE/SPLIT/1\0",
        &parent.0,
        &index.to_be_bytes(),
    ])
}

/// The state key of a handoff line's invoiced quantity.
pub fn invoiced_key(handoff: &Hash32, key: &crate::gs1::Gs1Key) -> crate::state::StateKey {
    crate::state::StateKey::Invoiced(format!("{}{}", handoff.to_hex(), key.canonical()))
}

// ---- invoice references and ids ----

/// The public reference of an invoice number: `sha256(domain ‖ salt ‖ number)`.
pub fn invoice_ref(salt: &[u8; 32], number: &str) -> Hash32 {
    sha256(&[b"HANDOFF/FINANCE/INVOICE/1\0", salt, number.as_bytes()])
}

/// A receivable's id: `sha256(domain ‖ seller ‖ buyer ‖ invoice_ref)`.
pub fn receivable_id(seller: &OrgId, buyer: &OrgId, invoice_ref: &Hash32) -> Hash32 {
    sha256(&[
        b"HANDOFF/FINANCE/RECEIVABLE/1\0",
        &seller.0,
        &buyer.0,
        &invoice_ref.0,
    ])
}

// ---- sealing ----

/// A ciphertext sealed to one org's published seal key.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct SealedBox {
    /// The recipient org.
    pub to: OrgId,
    /// HPKE encapsulated key.
    #[serde(serialize_with = "serialize_hex")]
    pub enc: [u8; 32],
    /// Ciphertext with its tag.
    #[serde(serialize_with = "serialize_hex")]
    pub ciphertext: Vec<u8>,
}

/// An org's secret seal key (X25519), kept by its node.
#[derive(Clone)]
pub struct SealSecret(<Kem as hpke::Kem>::PrivateKey);

impl std::fmt::Debug for SealSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealSecret(…)")
    }
}

/// Derives a seal key pair from 32 secret bytes (the node keeps the bytes; the public
/// half is published with `SetSealKey`).
pub fn seal_keypair(secret: &[u8; 32]) -> (SealSecret, [u8; 32]) {
    let (sk, pk) = Kem::derive_keypair(secret);
    let mut p = [0u8; 32];
    p.copy_from_slice(&pk.to_bytes());
    (SealSecret(sk), p)
}

/// Whether 32 bytes are a usable seal key: a point of the curve (not its twist) of large
/// order. Low-order keys would make every box sealed to them readable by anyone.
pub fn check_seal_key(key: &[u8; 32]) -> Result<(), FinanceError> {
    let m = curve25519_dalek_4::montgomery::MontgomeryPoint(*key);
    match m.to_edwards(0) {
        Some(e) if !e.is_small_order() => Ok(()),
        _ => Err(FinanceError::BadSealKey),
    }
}

/// The adapter from the caller's `rand_core` 0.6 RNG to the 0.10 traits HPKE takes.
struct Rng010<'r, R>(&'r mut R);

impl<R: FinanceRng> rand_core::TryRng for Rng010<'_, R> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}
impl<R: FinanceRng> rand_core::TryCryptoRng for Rng010<'_, R> {}

/// Seals `plaintext` to `to`'s seal key, bound to `asset`.
pub fn seal(
    asset: &Hash32,
    to: OrgId,
    key: &[u8; 32],
    plaintext: &[u8],
    rng: &mut impl FinanceRng,
) -> Result<SealedBox, FinanceError> {
    check_seal_key(key)?;
    if plaintext.len() > MAX_SEALED_PLAINTEXT {
        return Err(FinanceError::Seal);
    }
    let pk =
        <Kem as hpke::Kem>::PublicKey::from_bytes(key).map_err(|_| FinanceError::BadSealKey)?;
    let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<Aead, Kdf, Kem>(
        &hpke::OpModeS::Base,
        &pk,
        SEAL_INFO,
        plaintext,
        &asset.0,
        &mut Rng010(rng),
    )
    .map_err(|_| FinanceError::Seal)?;
    let mut e = [0u8; 32];
    e.copy_from_slice(&enc.to_bytes());
    Ok(SealedBox {
        to,
        enc: e,
        ciphertext,
    })
}

/// Opens a box sealed to this org for `asset`.
pub fn open(
    asset: &Hash32,
    secret: &SealSecret,
    sealed: &SealedBox,
) -> Result<Vec<u8>, FinanceError> {
    let enc =
        <Kem as hpke::Kem>::EncappedKey::from_bytes(&sealed.enc).map_err(|_| FinanceError::Seal)?;
    hpke::single_shot_open::<Aead, Kdf, Kem>(
        &hpke::OpModeR::Base,
        &secret.0,
        &enc,
        SEAL_INFO,
        &sealed.ciphertext,
        &asset.0,
    )
    .map_err(|_| FinanceError::Seal)
}

/// What is sealed to the parties of a finance step: the openings of its commitments
/// (by label: `line/0`, `payment`, `outstanding`, `part/1`…) and private terms (invoice
/// number and salt, prices, advance rate, fee, document references).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Disclosure {
    /// Openings of the step's commitments.
    pub openings: Vec<(String, Opening)>,
    /// Private terms as key/value text.
    pub terms: Vec<(String, String)>,
}

impl Disclosure {
    /// Encoded for sealing.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }
    /// Decodes an opened box (`None` when it is not a disclosure).
    pub fn decode(bytes: &[u8]) -> Option<Disclosure> {
        borsh::from_slice(bytes).ok()
    }
    /// The opening under a label.
    pub fn opening(&self, label: &str) -> Option<&Opening> {
        self.openings
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, o)| o)
    }
}
