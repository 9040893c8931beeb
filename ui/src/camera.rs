//! Camera scanning where the webview offers `getUserMedia` (Android WebView, WKWebView,
//! WebKitGTK with media streams on, Chromium). Frames are grabbed from a `<video>` into
//! a canvas a few times a second, downscaled, and decoded by the same Rust QR reader as
//! dropped images (`backend::decode_image`): no browser barcode API is needed, so it
//! works the same in every webview that can show a camera.

use crate::backend::ApiError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlCanvasElement, HtmlVideoElement, MediaStream, MediaStreamConstraints};

/// Frames wider than this are scaled down before decoding (a label fills much of the
/// frame when held to a camera; the QR reader's cost grows with the pixel count).
pub const MAX_FRAME_WIDTH: u32 = 800;

/// Whether this webview can open a camera at all. The camera button is shown only then.
pub fn available() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let Ok(devices) = w.navigator().media_devices() else {
        return false;
    };
    js_sys::Reflect::get(&devices, &JsValue::from_str("getUserMedia"))
        .map(|f| f.is_function())
        .unwrap_or(false)
}

/// Opens the back camera (any camera on a desktop) and plays it in `video`.
pub async fn open(video: &HtmlVideoElement) -> Result<MediaStream, ApiError> {
    let unavailable = || ApiError::new("CAMERA_UNAVAILABLE", "this window cannot use a camera");
    let devices = web_sys::window()
        .ok_or_else(unavailable)?
        .navigator()
        .media_devices()
        .map_err(|_| unavailable())?;
    let constraints = MediaStreamConstraints::new();
    let video_wanted = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &video_wanted,
        &"facingMode".into(),
        &JsValue::from_str("environment"),
    );
    constraints.set_video(&video_wanted);
    constraints.set_audio(&JsValue::FALSE);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| camera_error(&e))?;
    let stream: MediaStream = JsFuture::from(promise)
        .await
        .map_err(|e| camera_error(&e))?
        .unchecked_into();
    video.set_muted(true);
    let _ = video.set_attribute("playsinline", "");
    video.set_src_object(Some(&stream));
    if let Ok(p) = video.play() {
        let _ = JsFuture::from(p).await;
    }
    Ok(stream)
}

/// Stops every track, which turns the camera (and its light) off.
pub fn close(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(t) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            t.stop();
        }
    }
}

/// The current frame as a base64 JPEG, scaled to at most [`MAX_FRAME_WIDTH`] wide;
/// `None` until the video has a frame.
pub fn grab(video: &HtmlVideoElement, canvas: &HtmlCanvasElement) -> Option<String> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return None;
    }
    let scale = (MAX_FRAME_WIDTH as f64 / w as f64).min(1.0);
    let (cw, ch) = (
        (w as f64 * scale).round() as u32,
        (h as f64 * scale).round() as u32,
    );
    canvas.set_width(cw);
    canvas.set_height(ch);
    let ctx = canvas
        .get_context("2d")
        .ok()??
        .dyn_into::<web_sys::CanvasRenderingContext2d>()
        .ok()?;
    ctx.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, cw as f64, ch as f64)
        .ok()?;
    let url = canvas
        .to_data_url_with_type_and_encoder_options("image/jpeg", &JsValue::from_f64(0.85))
        .ok()?;
    url.split_once(',').map(|(_, b64)| b64.to_string())
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// What the browser said, as an error staff can act on.
fn camera_error(e: &JsValue) -> ApiError {
    // WebKit rejects with an `OverconstrainedError` that is not a DOMException: read
    // the name as a property.
    let name = js_sys::Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => ApiError::new(
            "CAMERA_DENIED",
            "Handoff may not use the camera: allow it in the system settings, or use a scanner",
        ),
        "NotFoundError" | "OverconstrainedError" => {
            ApiError::new("CAMERA_NOT_FOUND", "no camera was found on this device")
        }
        "NotReadableError" | "AbortError" => ApiError::new(
            "CAMERA_BUSY",
            "the camera is in use by another program or could not be started",
        ),
        _ => ApiError::new(
            "CAMERA_UNAVAILABLE",
            "the camera could not be opened; use a scanner or an image of the label",
        ),
    }
}
