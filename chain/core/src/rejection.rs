//! Why a transaction was refused: one enum of stable codes (what programs match on) and a
//! message (what people read). Codes never change meaning once released.

use serde::Serialize;
use std::fmt;

macro_rules! codes {
    ($($(#[$m:meta])* $v:ident => $s:literal),* $(,)?) => {
        /// A stable rejection code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code { $($(#[$m])* $v),* }
        impl Code {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$v),*];
            /// The SCREAMING_SNAKE_CASE name.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$v => $s),* }
            }
        }
    };
}

codes! {
    /// Bytes do not decode as a transaction.
    Malformed => "MALFORMED",
    /// Over a size bound (see `limits`).
    TooLarge => "TOO_LARGE",
    /// Unknown encoding version.
    UnsupportedVersion => "UNSUPPORTED_VERSION",
    /// Signed for another chain.
    WrongChain => "WRONG_CHAIN",
    /// The signature does not verify (ZIP-215, see `crypto`) against the signer key.
    BadSignature => "BAD_SIGNATURE",
    /// The signer key is not a valid, strong ed25519 key.
    WeakKey => "WEAK_KEY",
    /// The nonce was already used by this signer.
    NonceReused => "NONCE_REUSED",
    /// The nonce skips ahead; an earlier transaction of this signer is missing.
    NonceGap => "NONCE_GAP",
    /// The signer is neither an org, an authorized device nor allowed as a consumer key.
    UnknownSigner => "UNKNOWN_SIGNER",
    /// The signer's org is suspended.
    OrgSuspended => "ORG_SUSPENDED",
    /// The device key was revoked.
    DeviceRevoked => "DEVICE_REVOKED",
    /// The device key's authorization expired.
    DeviceExpired => "DEVICE_EXPIRED",
    /// The device key lacks the scope for this transaction.
    DeviceScope => "DEVICE_SCOPE",
    /// The signing org lacks the role this transaction needs.
    WrongRole => "WRONG_ROLE",
    /// Only an org key (not a device) may do this.
    OrgKeyRequired => "ORG_KEY_REQUIRED",
    /// The event time is too far in the future.
    EventInFuture => "EVENT_IN_FUTURE",
    /// A field is invalid (control characters, empty where required…).
    BadField => "BAD_FIELD",
    /// A GS1 identifier is invalid or of the wrong kind here.
    BadId => "BAD_ID",
    /// A quantity is zero, too large, missing for a lot or given for an item.
    BadQuantity => "BAD_QUANTITY",
    /// The same item appears twice in one transaction.
    DuplicateEntry => "DUPLICATE_ENTRY",
    /// The org already exists.
    OrgExists => "ORG_EXISTS",
    /// No such org.
    UnknownOrg => "UNKNOWN_ORG",
    /// The device key is already in use.
    DeviceExists => "DEVICE_EXISTS",
    /// No such device.
    UnknownDevice => "UNKNOWN_DEVICE",
    /// The GTIN is not under a company prefix of the org.
    PrefixNotOwned => "PREFIX_NOT_OWNED",
    /// A company prefix is already held by another org.
    PrefixTaken => "PREFIX_TAKEN",
    /// The product is already defined.
    ProductExists => "PRODUCT_EXISTS",
    /// No such product.
    UnknownProduct => "UNKNOWN_PRODUCT",
    /// Neither brand owner nor licensee of the product.
    NotBrandOwner => "NOT_BRAND_OWNER",
    /// The id was commissioned before (ids are never reused, even after decommissioning).
    AlreadyCommissioned => "ALREADY_COMMISSIONED",
    /// No such item, lot or container.
    UnknownItem => "UNKNOWN_ITEM",
    /// The signer's org is not the custodian.
    NotCustodian => "NOT_CUSTODIAN",
    /// The signer's org is not the owner.
    NotOwner => "NOT_OWNER",
    /// The item is locked in an open handoff.
    ItemInTransit => "ITEM_IN_TRANSIT",
    /// The item is inside a container; move or unpack the container.
    ItemPacked => "ITEM_PACKED",
    /// The item is consumed, sold, claimed or decommissioned.
    ItemInactive => "ITEM_INACTIVE",
    /// Not enough of a lot is held.
    InsufficientQuantity => "INSUFFICIENT_QUANTITY",
    /// The container is full, nested too deep, or would contain itself.
    ContainerRule => "CONTAINER_RULE",
    /// Owner or custodian of the item and container differ.
    OwnerMismatch => "OWNER_MISMATCH",
    /// The entry is not in that container.
    NotInContainer => "NOT_IN_CONTAINER",
    /// No such handoff.
    UnknownHandoff => "UNKNOWN_HANDOFF",
    /// The handoff is no longer open.
    HandoffClosed => "HANDOFF_CLOSED",
    /// The handoff lapsed.
    HandoffExpired => "HANDOFF_EXPIRED",
    /// Not the recipient of this handoff.
    NotRecipient => "NOT_RECIPIENT",
    /// Not the proposer of this handoff.
    NotProposer => "NOT_PROPOSER",
    /// An item of the handoff is no longer locked by it (stale or duplicate proposal).
    StaleHandoff => "STALE_HANDOFF",
    /// An exception names something that is not in the handoff.
    NotInHandoff => "NOT_IN_HANDOFF",
    /// A handoff to oneself.
    SelfHandoff => "SELF_HANDOFF",
    /// The claim signature does not verify under the item's claim key: the claim code
    /// is wrong, or the claim was made for another consumer key.
    BadClaimCode => "BAD_CLAIM_CODE",
    /// The item was commissioned without a claim key, so it cannot be claimed.
    NoClaimKey => "NO_CLAIM_KEY",
    /// Claim PINs are retired (a PIN commission or a PIN claim); claim codes replace them.
    PinRetired => "PIN_RETIRED",
    /// The item was already claimed.
    AlreadyClaimed => "ALREADY_CLAIMED",
    /// The item must be sold before it can be claimed.
    NotSold => "NOT_SOLD",
    /// The event cannot be corrected (unknown, or not by this org).
    NotCorrectable => "NOT_CORRECTABLE",
    /// Too many of something stored on one record (licensees, recalls, lot holders).
    RecordFull => "RECORD_FULL",
    /// A validator-set change names another epoch than the current one plus one.
    WrongEpoch => "WRONG_EPOCH",
    /// A validator-set change approved by a key outside the current validator set.
    NotValidator => "NOT_VALIDATOR",
    /// The same validator approves a validator-set change twice.
    DuplicateApproval => "DUPLICATE_APPROVAL",
    /// An approval's signature does not verify (ZIP-215) against its validator's key.
    BadApproval => "BAD_APPROVAL",
    /// Not more than 2/3 of the current validators approve the validator-set change.
    InsufficientApprovals => "INSUFFICIENT_APPROVALS",
    /// The new validator set is empty.
    EmptyValidatorSet => "EMPTY_VALIDATOR_SET",
    /// A key appears twice in the new validator set.
    DuplicateValidator => "DUPLICATE_VALIDATOR",
    /// The issuer already issued a certification with this scheme and number.
    CertExists => "CERT_EXISTS",
    /// No such certification.
    UnknownCertification => "UNKNOWN_CERTIFICATION",
    /// Only the issuing auditor may change a certification.
    NotIssuer => "NOT_ISSUER",
    /// The validity window is empty, too long, or already over at the block time.
    CertWindow => "CERT_WINDOW",
    /// The change does not apply in the certification's standing (revoked is final;
    /// only a suspended one is reinstated; a suspended one is not suspended again).
    CertStanding => "CERT_STANDING",
    /// This org already registered this document.
    DocExists => "DOC_EXISTS",
    /// Only a party of the handoff, or an org that made, owns or holds the item, links a
    /// document to it.
    NotParty => "NOT_PARTY",
    /// A published seal key is not a usable X25519 key (not on the curve, or of small
    /// order, which would let anyone read what is sealed to it).
    BadSealKey => "BAD_SEAL_KEY",
    /// The goods are pledged to a lender: they cannot be handed off, packed, unpacked,
    /// transformed, sold or decommissioned until the lender releases them.
    Pledged => "PLEDGED",
    /// The goods are already pledged under another receipt (no double pledging).
    AlreadyPledged => "ALREADY_PLEDGED",
    /// No such finance asset.
    UnknownAsset => "UNKNOWN_ASSET",
    /// The step does not apply in the asset's status (or not for this signer's part).
    AssetStatus => "ASSET_STATUS",
    /// The handoff line is already invoiced (in full, for a lot quantity).
    AlreadyInvoiced => "ALREADY_INVOICED",
    /// An invoice line names a handoff that is not an accepted delivery from the seller
    /// to the buyer, or goods it did not deliver.
    NotDelivered => "NOT_DELIVERED",
    /// The asset is already financed or being financed (one financing at a time).
    AlreadyFinanced => "ALREADY_FINANCED",
    /// A range proof does not verify: an amount is not shown to be non-negative.
    BadRangeProof => "BAD_RANGE_PROOF",
    /// The commitments do not add up: value would be created or destroyed.
    Unbalanced => "UNBALANCED",
    /// A party has no published seal key, or the sealed boxes do not go to exactly the
    /// asset's parties.
    NoSealKey => "NO_SEAL_KEY",
    /// The payment reference was used before.
    PaymentRefUsed => "PAYMENT_REF_USED",
    /// Not an ISO 4217 currency code.
    BadCurrency => "BAD_CURRENCY",
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused transaction: a stable code and a message naming the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Rejection {
    /// The stable code.
    pub code: Code,
    /// For people.
    pub message: String,
}

impl Rejection {
    /// A rejection with a message.
    pub fn new(code: Code, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

/// Shorthand for `Err(Rejection::new(..))`.
pub fn reject<T>(code: Code, message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection::new(code, message))
}
