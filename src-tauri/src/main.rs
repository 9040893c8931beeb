//! The Handoff desktop app's executable; everything is in the library (`run`), which the
//! mobile builds enter directly.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    handoff_app_lib::run();
}
