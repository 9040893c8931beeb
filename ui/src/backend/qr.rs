//! Reading the QR codes of an image in the page itself (a plain browser, where there is no
//! app to ask): the browser decodes the image file (any format it shows) into a canvas,
//! and the same QR reader the node uses (`rqrr`) finds the codes in its grey levels, in
//! WebAssembly. No picture leaves the browser, no token is needed (a consumer's phone can
//! use its camera), and the node spends nothing on it.

use super::{ApiError, DecodedCode, DecodedImage, Res};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Largest image file read (the app's bound too).
pub const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// Images are scaled down to at most this many pixels on their longer side before the
/// reader looks at them (a label fills much of a photo of it; the reader's cost grows
/// with the pixel count).
pub const MAX_SIDE: u32 = 2048;
/// Most codes reported from one image.
pub const MAX_CODES: usize = 64;

fn unreadable() -> ApiError {
    ApiError::new(
        "QR_UNREADABLE_IMAGE",
        "not an image this browser can read (use PNG, JPEG, GIF or WebP)",
    )
}

/// The QR codes of an image given as base64 of its file, each parsed as a scan. An image
/// without a code answers no codes (a camera frame without a label is no error).
pub async fn decode_base64(b64: &str) -> Res<DecodedImage> {
    use base64::Engine;
    if b64.len() > MAX_IMAGE_BYTES / 3 * 4 + 4 {
        return Err(ApiError::new(
            "QR_IMAGE_TOO_LARGE",
            "the image is larger than Handoff reads (20 MB)",
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| unreadable())?;
    let (w, h, luma) = grey_levels(&bytes).await?;
    Ok(DecodedImage {
        codes: codes_in(w, h, &luma)?,
    })
}

/// The image's grey levels (on white, where it is transparent), scaled to [`MAX_SIDE`].
async fn grey_levels(bytes: &[u8]) -> Res<(usize, usize, Vec<u8>)> {
    let window = web_sys::window().ok_or_else(unreadable)?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|_| unreadable())?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob(&blob)
            .map_err(|_| unreadable())?,
    )
    .await
    .map_err(|_| unreadable())?
    .dyn_into()
    .map_err(|_| unreadable())?;
    let (bw, bh) = (bitmap.width().max(1), bitmap.height().max(1));
    let scale = (MAX_SIDE as f64 / bw.max(bh) as f64).min(1.0);
    let w = ((bw as f64 * scale).round() as u32).max(1);
    let h = ((bh as f64 * scale).round() as u32).max(1);
    let canvas: web_sys::HtmlCanvasElement = window
        .document()
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(unreadable)?;
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(unreadable)?;
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, w as f64, h as f64);
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, w as f64, h as f64)
        .map_err(|_| unreadable())?;
    bitmap.close();
    let rgba = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(|_| unreadable())?
        .data()
        .0;
    let luma = rgba
        .chunks_exact(4)
        .map(|p| ((299 * p[0] as u32 + 587 * p[1] as u32 + 114 * p[2] as u32) / 1000) as u8)
        .collect();
    Ok((w as usize, h as usize, luma))
}

/// Every QR code in a `w`×`h` grey image, each parsed as a scan.
pub fn codes_in(w: usize, h: usize, luma: &[u8]) -> Res<Vec<DecodedCode>> {
    if w == 0 || h == 0 || luma.len() != w * h {
        return Err(unreadable());
    }
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
    let grids = prepared.detect_grids();
    let mut out = Vec::new();
    let mut failed = None;
    for g in grids.into_iter().take(MAX_CODES) {
        match g.decode() {
            Ok((_, text)) => out.push(text),
            Err(e) => failed = Some(e),
        }
    }
    if let (true, Some(e)) = (out.is_empty(), failed) {
        return Err(ApiError::new(
            "QR_READ_FAILED",
            format!("found a QR code but could not read it: {e}"),
        ));
    }
    Ok(out
        .into_iter()
        .map(|text| match handoff_core::gs1::parse_scan(&text) {
            Ok(sc) => DecodedCode {
                canonical: Some(sc.key.canonical()),
                text,
                error: None,
            },
            Err(e) => DecodedCode {
                text,
                canonical: None,
                error: Some(ApiError::new(e.code.as_str(), e.message)),
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_image_has_no_codes_and_a_wrong_size_is_refused() {
        assert_eq!(codes_in(8, 8, &[255; 64]).expect("blank"), vec![]);
        assert_eq!(
            codes_in(8, 8, &[255; 10]).expect_err("size").code,
            "QR_UNREADABLE_IMAGE"
        );
    }

    /// A label's code, drawn 4 pixels a module with its quiet zone, reads back as its
    /// text and canonical key.
    #[test]
    fn a_label_code_reads_back_with_its_canonical_key() {
        let text = "https://id.gs1.org/01/00614141025015/21/E261000022";
        let code = qrcode::QrCode::new(text.as_bytes()).expect("code");
        let (n, px, quiet) = (code.width(), 4, 4);
        let side = (n + 2 * quiet) * px;
        let colors = code.to_colors();
        let mut luma = vec![255u8; side * side];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = (
                    (x / px) as isize - quiet as isize,
                    (y / px) as isize - quiet as isize,
                );
                if mx >= 0
                    && my >= 0
                    && (mx as usize) < n
                    && (my as usize) < n
                    && colors[my as usize * n + mx as usize] == qrcode::Color::Dark
                {
                    luma[y * side + x] = 0;
                }
            }
        }
        let found = codes_in(side, side, &luma).expect("read");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, text);
        assert_eq!(
            found[0].canonical.as_deref(),
            Some("/01/00614141025015/21/E261000022")
        );
    }
}
