//! The phone's camera on the page (`getUserMedia`, the back camera): frames are drawn
//! from a `<video>` into a canvas a few times a second, scaled down, and their grey
//! levels handed to the QR reader ([`crate::scan`]) in wasm, as the staff app's camera
//! does; no browser barcode API is needed and no picture leaves the phone.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlCanvasElement, HtmlVideoElement, MediaStream, MediaStreamConstraints};

/// Frames wider than this are scaled down before decoding (the reader's cost grows with
/// the pixel count; a code held to the camera fills much of the frame).
pub const MAX_FRAME_WIDTH: u32 = 640;

/// Milliseconds between two frames looked at.
pub const FRAME_EVERY_MS: i32 = 250;

/// Whether this browser can open a camera at all (a secure page with `getUserMedia`).
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

/// Opens the back camera (any camera where there is none) and plays it in `video`; on
/// failure a stable `CAMERA_*` code.
pub async fn open(video: &HtmlVideoElement) -> Result<MediaStream, &'static str> {
    let devices = web_sys::window()
        .ok_or("CAMERA_UNAVAILABLE")?
        .navigator()
        .media_devices()
        .map_err(|_| "CAMERA_UNAVAILABLE")?;
    let constraints = MediaStreamConstraints::new();
    let wanted = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &wanted,
        &"facingMode".into(),
        &JsValue::from_str("environment"),
    );
    constraints.set_video(&wanted);
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

/// Stops every track (the camera and its light go off) and detaches the video.
pub fn close(video: &HtmlVideoElement, stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(t) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            t.stop();
        }
    }
    video.set_src_object(None);
}

/// The current frame's grey levels (width, height, one byte a pixel), scaled to at most
/// [`MAX_FRAME_WIDTH`] wide; `None` until the video has a frame.
pub fn grab(
    video: &HtmlVideoElement,
    canvas: &HtmlCanvasElement,
) -> Option<(usize, usize, Vec<u8>)> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return None;
    }
    let scale = (f64::from(MAX_FRAME_WIDTH) / f64::from(w)).min(1.0);
    let cw = ((f64::from(w) * scale).round() as u32).max(1);
    let ch = ((f64::from(h) * scale).round() as u32).max(1);
    canvas.set_width(cw);
    canvas.set_height(ch);
    let ctx = canvas
        .get_context("2d")
        .ok()??
        .dyn_into::<web_sys::CanvasRenderingContext2d>()
        .ok()?;
    ctx.draw_image_with_html_video_element_and_dw_and_dh(
        video,
        0.0,
        0.0,
        f64::from(cw),
        f64::from(ch),
    )
    .ok()?;
    let rgba = ctx
        .get_image_data(0.0, 0.0, f64::from(cw), f64::from(ch))
        .ok()?
        .data()
        .0;
    let luma = rgba
        .chunks_exact(4)
        .map(|p| {
            ((299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000) as u8
        })
        .collect();
    Some((cw as usize, ch as usize, luma))
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

/// What the browser said, as a stable code ([`crate::words::Lang::camera_problem`]).
fn camera_error(e: &JsValue) -> &'static str {
    // WebKit rejects with an `OverconstrainedError` that is no DOMException: read the
    // name as a property.
    let name = js_sys::Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => "CAMERA_DENIED",
        "NotFoundError" | "OverconstrainedError" => "CAMERA_NOT_FOUND",
        "NotReadableError" | "AbortError" => "CAMERA_BUSY",
        _ => "CAMERA_UNAVAILABLE",
    }
}
