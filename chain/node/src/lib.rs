//! Handoff node: identities, the embedded single validator, and the `handoff` command line.

pub mod bench;
#[cfg(feature = "p2p")]
pub mod bench_cluster;
#[cfg(feature = "p2p")]
pub mod bench_light;
pub mod cli;
pub mod demo;
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
