//! Handoff node.
