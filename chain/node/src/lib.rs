//! Handoff node: identities, the embedded single validator, and the `handoff` command line.

pub mod identity;
pub mod ledger;
