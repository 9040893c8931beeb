//! The `handoff` command line: the clap tree and its rendering (`cli`), and what only the
//! command line runs: the demo chain (`demo`), the benchmarks (`bench*`) and the crash
//! test's load (`load`). Every command that runs on a node's ledger is one typed request
//! of `handoff_api`, answered by `handoff_node::api::NodeApi` in this process or by a
//! node over HTTP (`handoff_http::Client`). Nothing else links this crate but the tests
//! of the app and of the power-loss driver.

pub mod bench;
#[cfg(feature = "p2p")]
pub mod bench_cluster;
pub mod bench_docs;
pub mod bench_epcis;
pub mod bench_finance;
#[cfg(feature = "p2p")]
pub mod bench_http;
#[cfg(feature = "p2p")]
pub mod bench_light;
pub mod bench_stock;
pub mod cli;
pub mod demo;
pub mod load;
