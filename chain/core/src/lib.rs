//! Handoff's pure ledger. Everything here is deterministic: no I/O, no clock, no threads,
//! so the same rules run in validators, light nodes and the browser (wasm32).

pub mod gs1;
