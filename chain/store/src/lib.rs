//! Handoff store (sled).
