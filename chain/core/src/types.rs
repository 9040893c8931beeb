//! Small value types shared by every part of the ledger: keys, hashes, roles, scopes.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

/// An ed25519 public key (org, device, consumer or validator), 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct PublicKey(pub [u8; 32]);

/// A SHA-256 digest: transaction ids, handoff ids, block hashes, state roots.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Hash32(pub [u8; 32]);

/// An organization is named by its org key.
pub type OrgId = PublicKey;
/// A transaction id: SHA-256 of the transaction's canonical encoding.
pub type TxId = Hash32;
/// A handoff is named by the id of the transaction that proposed it.
pub type HandoffId = Hash32;

macro_rules! hex_newtype {
    ($t:ty) => {
        impl $t {
            /// Lower-case hex of the 32 bytes.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            /// Parses exactly 64 hex digits.
            pub fn from_hex(s: &str) -> Option<Self> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s.trim(), &mut out).ok()?;
                Some(Self(out))
            }
            /// The first 8 bytes in hex, for people reading logs and tables.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..8])
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.short())
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }
    };
}
hex_newtype!(PublicKey);
hex_newtype!(Hash32);

/// Serializes 64 bytes (a signature) as lower-case hex.
pub fn serialize_hex64<S: Serializer>(v: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

/// SHA-256 over the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> Hash32 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    Hash32(h.finalize().into())
}

/// What an organization does in the supply chain; some transactions need a role.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum Role {
    /// Grows or harvests raw goods.
    Producer = 0,
    /// Makes finished goods.
    Manufacturer = 1,
    /// Stores goods for others.
    Warehouse = 2,
    /// Moves goods.
    Carrier = 3,
    /// Buys and resells to retailers.
    Distributor = 4,
    /// Sells to consumers (`Sell`).
    Retailer = 5,
    /// Finances receivables and receipts.
    Lender = 6,
    /// Reads and inspects.
    Auditor = 7,
    /// Admits and suspends organizations.
    Registrar = 8,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 9] = [
        Role::Producer,
        Role::Manufacturer,
        Role::Warehouse,
        Role::Carrier,
        Role::Distributor,
        Role::Retailer,
        Role::Lender,
        Role::Auditor,
        Role::Registrar,
    ];
    /// The lower-case name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Producer => "producer",
            Role::Manufacturer => "manufacturer",
            Role::Warehouse => "warehouse",
            Role::Carrier => "carrier",
            Role::Distributor => "distributor",
            Role::Retailer => "retailer",
            Role::Lender => "lender",
            Role::Auditor => "auditor",
            Role::Registrar => "registrar",
        }
    }
    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a device key may sign for its org (a bit set).
pub mod scope {
    /// Commission items and lots.
    pub const COMMISSION: u32 = 1;
    /// Propose, accept, reject and cancel handoffs.
    pub const HANDOFF: u32 = 1 << 1;
    /// Pack and unpack containers.
    pub const PACK: u32 = 1 << 2;
    /// Record observations.
    pub const OBSERVE: u32 = 1 << 3;
    /// Sell to consumers.
    pub const SELL: u32 = 1 << 4;
    /// Define and license products, recall.
    pub const PRODUCTS: u32 = 1 << 5;
    /// Report stolen, decommission, correct.
    pub const REPORT: u32 = 1 << 6;
    /// Transform inputs into outputs.
    pub const TRANSFORM: u32 = 1 << 7;
    /// Issue and change certifications (an auditor's field devices).
    pub const CERTIFY: u32 = 1 << 8;
    /// Notarize documents.
    pub const DOCUMENTS: u32 = 1 << 9;
    /// Everything a device may do (devices never admit orgs or manage other devices).
    pub const ALL: u32 = (1 << 10) - 1;
    /// Names for the command line, in bit order.
    pub const NAMES: [(&str, u32); 10] = [
        ("commission", COMMISSION),
        ("handoff", HANDOFF),
        ("pack", PACK),
        ("observe", OBSERVE),
        ("sell", SELL),
        ("products", PRODUCTS),
        ("report", REPORT),
        ("transform", TRANSFORM),
        ("certify", CERTIFY),
        ("documents", DOCUMENTS),
    ];
}
