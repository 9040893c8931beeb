//! Handoff node: identities, the embedded single validator, the networked node, the light
//! node and the one implementation of the typed API (`api::NodeApi`). The `handoff`
//! command line is its own crate (`chain/cli`, `handoff-cli`); nothing here imports it.

pub mod api;
mod certs;
pub mod epcis;
pub mod error;
pub mod evidence;
pub mod finance;
mod finance_view;
pub mod folder;
#[cfg(feature = "p2p")]
pub mod gateway;
pub mod goods;
pub mod govern;
pub mod identity;
pub mod images;
pub mod invite;
#[cfg(feature = "p2p")]
pub mod join;
pub mod label;
pub mod ledger;
#[cfg(feature = "p2p")]
pub mod light;
#[cfg(feature = "p2p")]
pub mod limits;
#[cfg(feature = "p2p")]
pub mod noderun;
mod pdfdoc;
pub mod phone;
pub mod producer;
pub mod qr;
pub mod scans;
#[cfg(feature = "p2p")]
pub mod service;
pub mod stock;
pub mod view;
pub mod wal;
