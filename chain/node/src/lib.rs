//! Handoff node: identities, the embedded single validator, and the `handoff` command line.

pub mod api;
pub mod bench;
#[cfg(feature = "p2p")]
pub mod bench_cluster;
#[cfg(feature = "p2p")]
pub mod bench_http;
#[cfg(feature = "p2p")]
pub mod bench_light;
mod certs;
pub mod cli;
pub mod demo;
pub mod error;
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
