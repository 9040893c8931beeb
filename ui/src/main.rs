//! Handoff's user interface: a Leptos app rendered in the browser engine of the Tauri
//! window (or any browser, where it runs on the mock backend). It reaches the node only
//! through [`backend`].

mod app;
mod backend;
mod camera;
mod i18n;
mod picture;
mod scan;
mod screens;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
