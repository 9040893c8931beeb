//! Handoff's BFT ordering with immediate finality. A block is final once more than 2/3
//! of the validators precommit its header hash in one round; those precommits are the
//! block's `handoff_core::block::Certificate`, which a light node checks with
//! `handoff-core` alone.
//!
//! The protocol is Malachite's (Tendermint-style) consensus core, used sans-IO: the
//! [`Replica`] turns [`Input`]s (a height to start, peer bytes, fired timers, the
//! application's answers) into [`Action`]s (messages to send, timers, "build a block",
//! "validate this block", "persist this log record", "decided"). It owns no clock, thread,
//! socket or disk, so the node runs it over libp2p and `handoff-sim` runs many of them
//! in one deterministic process. The application side is explicit request/answer
//! actions rather than a trait: `BuildBlock` → [`Input::BlockBuilt`], `ValidateBlock` →
//! [`Input::BlockValidated`], `Decided` → commit, then [`Input::StartHeight`].
//!
//! Lagging replicas catch up with certified blocks (`ConsensusMsg::Certified`): a block
//! whose certificate verifies against the height's validators is final, so it is taken
//! without running consensus for that height. Everything from peers goes through
//! [`ConsensusMsg::decode`] with the limits of `handoff_core::limits`.

pub mod context;
mod replica;
pub mod wire;

pub use replica::{
    Action, Config, Input, Misbehavior, PeerId, Precheck, Replica, Timeouts, Timer, TimerKind,
    certified_block_message,
};
pub use wire::{ConsensusMsg, DecodeError, WalRecord};
