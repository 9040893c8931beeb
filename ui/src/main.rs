//! Handoff's user interface: a Leptos app rendered in the browser engine of the Tauri
//! window, or in any browser from a node's HTTP server (`handoff node run --http ADDR`).
//! It reaches the node only through [`backend`].

mod app;
mod backend;
mod camera;
mod certs;
mod exchange;
mod finance;
mod goods;
mod home;
mod i18n;
mod join;
mod lender;
mod phone;
mod picture;
mod receive;
mod scan;
mod screens;

fn main() {
    console_error_panic_hook::set_once();
    backend::start();
    leptos::mount::mount_to_body(app::App);
}
