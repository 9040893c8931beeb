//! The Handoff desktop and mobile app: a thin Tauri shell around an in-process Handoff
//! node. The window shows the Leptos UI (`ui/`); every UI request is one typed API
//! request (`handoff_api::Request`, through the `api` command in `commands.rs`) that the
//! node's API implementation runs on the chain this process holds open, with the same
//! rules, rejection codes and JSON shapes as the `handoff` command line; errors come back
//! as `{code, message, kind}`. No ledger logic lives here.
//!
//! By default the node is an embedded single-validator chain in the OS data folder, so
//! the app works alone; on first launch it creates the folder with a fresh identity for
//! the user's organization (the demo supply chain is seeded by `handoff demo`, as `cargo
//! xtask run` does, before the app starts on that folder). A
//! folder that has joined a network (`<data>/light`, made by "join a network" or by
//! `handoff light init`) runs as a light node of that network instead.

pub mod commands;
mod node;

pub use node::{
    ApiError, AppNode, Backup, Saved, Startup, light_node_error, parse_genesis, save_base64,
    save_bytes, save_file,
};

/// Starts the app. `args` are the process arguments after the program name:
/// `--data DIR` (default: the OS data folder, or `HANDOFF_DATA`), `--org NAME` (the
/// organization of a new folder),
/// `--as NAME` (the identity to act as first), `--peer ADDR` (repeatable: a full node to
/// dial in light mode) and `--no-mdns`.
pub fn run_with(args: Vec<String>) {
    let startup = Startup::from_args(&args);
    let node = AppNode::start(startup);
    let result = tauri::Builder::default()
        .manage(node)
        .setup(|app| {
            allow_camera(app);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::api,
            commands::decode_image,
            commands::product_image,
            commands::pair_qr,
            commands::backup,
            commands::save_file,
            commands::ready,
            commands::timing,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Handoff could not open its window: {e}");
        std::process::exit(1);
    }
}

/// Camera scanning: WebKitGTK ships with media streams off and denies camera requests
/// unless the app answers them. Turn streams on and allow the camera (never the
/// microphone) for our own window. Android and iOS ask the user through the OS.
#[cfg(target_os = "linux")]
fn allow_camera(app: &tauri::App) {
    use tauri::Manager;
    use webkit2gtk::glib::prelude::Cast;
    use webkit2gtk::{
        PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
        UserMediaPermissionRequestExt, WebViewExt,
    };
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let _ = window.with_webview(|webview| {
        let view = webview.inner();
        if let Some(settings) = view.settings() {
            settings.set_enable_media_stream(true);
        }
        view.connect_permission_request(|_, request| {
            let Some(media) = request.downcast_ref::<UserMediaPermissionRequest>() else {
                return false;
            };
            if media.is_for_video_device() && !media.is_for_audio_device() {
                request.allow();
            } else {
                request.deny();
            }
            true
        });
    });
}

#[cfg(not(target_os = "linux"))]
fn allow_camera(_app: &tauri::App) {}

/// The mobile entry point (and the desktop one, through `main.rs`).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    run_with(std::env::args().skip(1).collect());
}
