//! Handoff node: identities, the embedded single validator, the networked node, the light
//! node and the one implementation of the typed API (`api::NodeApi`). The `handoff`
//! command line is its own crate (`chain/cli`, `handoff-cli`); nothing here imports it.

pub mod api;
/// The names `light/` still imports under their old path (`crate::cli::…`). No command
/// line lives here; this goes when `light/` imports them from `error` and `api`.
#[cfg(feature = "p2p")]
mod cli {
    pub(crate) use crate::api::{entries, entry, scan, scan_fields};
    pub(crate) use crate::error::{CliError, Output};
}
pub mod error;
pub mod folder;
#[cfg(feature = "p2p")]
pub mod gateway;
pub mod govern;
pub mod identity;
pub mod images;
pub mod label;
pub mod ledger;
#[cfg(feature = "p2p")]
pub mod light;
#[cfg(feature = "p2p")]
pub mod limits;
#[cfg(feature = "p2p")]
pub mod noderun;
pub mod producer;
pub mod qr;
#[cfg(feature = "p2p")]
pub mod service;
pub mod view;
pub mod wal;
