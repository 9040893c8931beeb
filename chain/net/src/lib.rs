//! Handoff's peer-to-peer network, the only crate that uses libp2p. It moves bytes and
//! typed requests between nodes and nothing more: TCP and QUIC transports (noise,
//! yamux), gossipsub topics for transactions, block announcements and consensus
//! messages, request-response for blocks, certified headers, record proofs, item
//! histories, node status and transaction submission, mDNS and bootstrap peers,
//! connection limits, and peer scoring with bans. It holds **no ledger rules and no
//! store**: every gossiped message waits for the node's verdict before it is forwarded
//! (gossipsub strict validation with explicit acceptance), every request is answered by
//! the node, and the node reports peers whose data it found invalid. What the network
//! does judge is shape and size: every frame and field from a peer is bounded by a
//! constant in [`limits`] and checked before it is decoded.
//!
//! The node drives it through [`NetHandle`] and reads [`NetEvent`]s from a channel; see
//! [`Network::start`].

#[cfg(feature = "p2p")]
pub mod codec;
pub mod limits;
#[cfg(feature = "p2p")]
mod network;
pub mod score;
pub mod wire;

#[cfg(feature = "p2p")]
pub use libp2p::gossipsub::MessageId;
#[cfg(feature = "p2p")]
pub use libp2p::{Multiaddr, PeerId, multiaddr::Protocol};
#[cfg(feature = "p2p")]
pub use network::{
    IDENTIFY_PROTOCOL, Limits, NetConfig, NetError, NetEvent, NetHandle, Network, Reply, Topic,
    Verdict, peer_id_of,
};
pub use score::{Misbehaviour, ScoreConfig};
pub use wire::{
    CertifiedHeader, ErrorCode, HistoryPage, JoinOutcome, Request, Response, Status, SubmitOutcome,
    WireError, join_message,
};
