//! End-to-end tests of the Handoff desktop app live in `tests/`; they drive the real app
//! window and need Xvfb, tauri-driver and WebKitWebDriver (`cargo xtask test` runs them).
