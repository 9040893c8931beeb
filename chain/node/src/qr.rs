//! QR codes for GS1 Digital Link URIs: writing them as PNG or SVG labels, and reading them
//! back from photos and scans of labels. Images from outside are bounded before decoding
//! (file size, pixel dimensions) so a hostile file cannot exhaust memory.

use image::{DynamicImage, GrayImage, ImageReader, Luma};
use qrcode::{EcLevel, QrCode};
use std::io::Cursor;
use std::path::Path;

/// Largest image file accepted for decoding.
pub const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// Largest width or height (pixels) accepted for decoding.
pub const MAX_IMAGE_SIDE: u32 = 8192;
/// Most pixel memory the decoder may allocate.
pub const MAX_IMAGE_ALLOC: u64 = 256 * 1024 * 1024;
/// Longest text put into one QR code.
pub const MAX_QR_TEXT: usize = 1024;
/// Most codes reported from one image.
pub const MAX_CODES: usize = 64;

/// A QR failure with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QrError {
    /// `QR_TEXT_TOO_LONG`, `QR_UNSUPPORTED_FORMAT`, `QR_IMAGE_TOO_LARGE`, `QR_UNREADABLE_IMAGE`,
    /// `QR_NOT_FOUND`, `QR_READ_FAILED`, `QR_WRITE_FAILED`.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

fn qerr(code: &'static str, message: impl Into<String>) -> QrError {
    QrError {
        code,
        message: message.into(),
    }
}

fn code_for(text: &str) -> Result<QrCode, QrError> {
    if text.len() > MAX_QR_TEXT {
        return Err(qerr(
            "QR_TEXT_TOO_LONG",
            format!(
                "{} bytes is too long for a label QR code (at most {MAX_QR_TEXT})",
                text.len()
            ),
        ));
    }
    // Level M survives scuffed labels and keeps Digital Link URIs at a printable size.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| qerr("QR_TEXT_TOO_LONG", format!("cannot encode as QR: {e}")))
}

/// A PNG of `text` as a QR code, `module_px` pixels per module with a 4-module quiet zone.
pub fn encode_png(text: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
    let code = code_for(text)?;
    let img: GrayImage = code
        .render::<Luma<u8>>()
        .module_dimensions(module_px.max(1), module_px.max(1))
        .quiet_zone(true)
        .build();
    let mut out = Vec::new();
    DynamicImage::ImageLuma8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| qerr("QR_WRITE_FAILED", format!("cannot write PNG: {e}")))?;
    Ok(out)
}

/// An SVG of `text` as a QR code.
pub fn encode_svg(text: &str) -> Result<String, QrError> {
    let code = code_for(text)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// Writes `text` as a QR code to `path`; the format follows the extension (.png or .svg).
pub fn encode_to_file(text: &str, path: &Path) -> Result<(), QrError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match ext.as_deref() {
        Some("png") => encode_png(text, 8)?,
        Some("svg") => encode_svg(text)?.into_bytes(),
        _ => {
            return Err(qerr(
                "QR_UNSUPPORTED_FORMAT",
                format!("{}: write .png or .svg", path.display()),
            ));
        }
    };
    std::fs::write(path, bytes).map_err(|e| {
        qerr(
            "QR_WRITE_FAILED",
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// Every QR code found in an encoded image (PNG, JPEG, GIF, BMP, WebP), in reading order.
pub fn decode_bytes(bytes: &[u8]) -> Result<Vec<String>, QrError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(qerr(
            "QR_IMAGE_TOO_LARGE",
            format!(
                "{} bytes; images up to {MAX_IMAGE_BYTES} bytes are read",
                bytes.len()
            ),
        ));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| qerr("QR_UNREADABLE_IMAGE", format!("cannot read the image: {e}")))?;
    if reader.format().is_none() {
        return Err(qerr(
            "QR_UNREADABLE_IMAGE",
            "not an image in a known format (PNG, JPEG, GIF, BMP, WebP)",
        ));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => qerr(
            "QR_IMAGE_TOO_LARGE",
            format!("the image is larger than {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} pixels"),
        ),
        e => qerr(
            "QR_UNREADABLE_IMAGE",
            format!("cannot decode the image: {e}"),
        ),
    })?;
    decode_image(&img.to_luma8())
}

/// Every QR code found in a grayscale image.
pub fn decode_image(img: &GrayImage) -> Result<Vec<String>, QrError> {
    let mut prepared = rqrr::PreparedImage::prepare(img.clone());
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(qerr("QR_NOT_FOUND", "no QR code found in the image"));
    }
    let mut out = Vec::new();
    let mut last_err = None;
    for g in grids.into_iter().take(MAX_CODES) {
        match g.decode() {
            Ok((_, text)) => out.push(text),
            Err(e) => last_err = Some(e),
        }
    }
    match (out.is_empty(), last_err) {
        (true, Some(e)) => Err(qerr(
            "QR_READ_FAILED",
            format!("found a QR code but could not read it: {e}"),
        )),
        _ => Ok(out),
    }
}

/// Reads the QR codes in an image file.
pub fn decode_file(path: &Path) -> Result<Vec<String>, QrError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        qerr(
            "QR_UNREADABLE_IMAGE",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    if meta.len() > MAX_IMAGE_BYTES as u64 {
        return Err(qerr(
            "QR_IMAGE_TOO_LARGE",
            format!(
                "{} is {} bytes; images up to {MAX_IMAGE_BYTES} bytes are read",
                path.display(),
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        qerr(
            "QR_UNREADABLE_IMAGE",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    decode_bytes(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "https://id.gs1.org/01/09506000134352/21/ABC123";

    #[test]
    fn png_round_trips() {
        let png = encode_png(URI, 6).expect("encode");
        assert_eq!(decode_bytes(&png).expect("decode"), vec![URI.to_string()]);
    }

    #[test]
    fn svg_is_written_and_png_file_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let svg = dir.path().join("a.svg");
        encode_to_file(URI, &svg).expect("svg");
        assert!(
            std::fs::read_to_string(&svg)
                .expect("read")
                .contains("<svg")
        );
        let png = dir.path().join("a.png");
        encode_to_file(URI, &png).expect("png");
        assert_eq!(decode_file(&png).expect("decode"), vec![URI.to_string()]);
        let bad = dir.path().join("a.txt");
        assert_eq!(
            encode_to_file(URI, &bad).map_err(|e| e.code),
            Err("QR_UNSUPPORTED_FORMAT")
        );
    }

    #[test]
    fn garbage_and_blank_images_are_clear_errors() {
        assert_eq!(
            decode_bytes(b"not an image").map_err(|e| e.code),
            Err("QR_UNREADABLE_IMAGE")
        );
        let blank = GrayImage::from_pixel(64, 64, Luma([255]));
        assert_eq!(
            decode_image(&blank).map_err(|e| e.code),
            Err("QR_NOT_FOUND")
        );
        let mut png = encode_png(URI, 4).expect("encode");
        png.truncate(png.len() / 2);
        assert!(decode_bytes(&png).is_err());
    }

    #[test]
    fn oversized_inputs_are_refused() {
        assert_eq!(
            encode_png(&"x".repeat(MAX_QR_TEXT + 1), 4).map_err(|e| e.code),
            Err("QR_TEXT_TOO_LONG")
        );
        assert_eq!(
            decode_bytes(&vec![0u8; MAX_IMAGE_BYTES + 1]).map_err(|e| e.code),
            Err("QR_IMAGE_TOO_LARGE")
        );
        // A tiny PNG that claims to be 100000 pixels wide.
        let img = GrayImage::from_pixel(1, 1, Luma([0]));
        let mut png = Vec::new();
        DynamicImage::ImageLuma8(img)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        // IHDR width is at bytes 16..20.
        png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(decode_bytes(&png).is_err());
    }
}
