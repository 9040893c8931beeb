//! Handoff node: identities, the embedded single validator, and the `handoff` command line.

pub mod bench;
pub mod cli;
pub mod demo;
pub mod govern;
pub mod identity;
pub mod label;
pub mod ledger;
pub mod producer;
pub mod qr;
pub mod view;
