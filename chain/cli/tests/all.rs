//! The command line's and the node's process tests, in one test binary: each file
//! beside this one is a module of it (the file names the module), so the workspace's
//! test build compiles and links them once, not once a file. nextest still runs every
//! test in a process of its own; `.config/nextest.toml` names the modules whose tests
//! start several node processes.

mod api_contract;
mod certs_api;
mod claim_codes;
mod cli_scenario;
#[cfg(feature = "p2p")]
mod cluster;
#[cfg(feature = "p2p")]
mod cluster_signatures;
mod common;
mod crash;
mod epcis;
mod epcis_rest;
mod evidence;
mod finance;
mod finance_nodes;
#[cfg(feature = "p2p")]
mod gateway;
mod gs1_schemas;
mod http_api;
mod invite;
mod light;
mod light_epcis;
mod light_finance;
mod light_follow;
mod phone;
mod proof;
mod replay;
mod resolver;
mod stock;
mod validators_cli;
