//! What the page's camera read: the QR codes in a frame's grey levels (`rqrr`, the reader
//! the staff app uses) and where a code takes the shopper. A GS1 Digital Link (any host,
//! any path prefix) opens its own Digital Link on the node that served the page, with its
//! AI attributes; a GS1 element string (`(01)…(21)…`) opens its canonical key; anything
//! else is "not a product code". Pure: tested natively.

use handoff_core::gs1::parse_scan;
use handoff_core::gs1::resolve::{RESOLVER_HOST, resolver_request};

/// Most codes looked at in one frame.
pub const MAX_CODES: usize = 8;

/// Where a code takes the shopper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The resolver path of the code (`/01/…/21/…`, with AI attributes as its query),
    /// to open on the page's own host.
    Open(String),
    /// A QR code that names no product.
    NotAProduct,
}

/// The texts of the QR codes in a `w`×`h` grey image (row by row), at most
/// [`MAX_CODES`]; codes found but unreadable are left out (the next frame may read them).
pub fn codes_in(w: usize, h: usize, luma: &[u8]) -> Vec<String> {
    if w == 0 || h == 0 || luma.len() != w * h {
        return Vec::new();
    }
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
    prepared
        .detect_grids()
        .into_iter()
        .take(MAX_CODES)
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

/// Where one code's text takes the shopper.
pub fn target(text: &str) -> Target {
    let t = text.trim();
    if let Some((_, rest)) = t.split_once("://") {
        // A URL: the Digital Link part of its path, whatever host and prefix it has.
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let Some(slash) = rest.find('/') else {
            return Target::NotAProduct;
        };
        let (path, query) = match rest[slash..].split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (&rest[slash..], None),
        };
        return match resolver_request(path, query) {
            Some(r) => Target::Open(
                r.scan
                    .strip_prefix(RESOLVER_HOST)
                    .unwrap_or(&r.path)
                    .to_string(),
            ),
            None => Target::NotAProduct,
        };
    }
    match parse_scan(t) {
        Ok(s) => Target::Open(s.key.canonical()),
        Err(_) => Target::NotAProduct,
    }
}

/// What a frame's codes say: the first product code's target, else "not a product code"
/// when some code was read, else nothing (keep looking).
pub fn pick(texts: &[String]) -> Option<Target> {
    let targets: Vec<Target> = texts.iter().map(|t| target(t)).collect();
    targets
        .iter()
        .find(|t| matches!(t, Target::Open(_)))
        .or(targets.first())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(p: &str) -> Target {
        Target::Open(p.to_string())
    }

    #[test]
    fn digital_links_open_their_own_path_on_this_host() {
        assert_eq!(
            target("https://id.gs1.org/01/09506000134352/21/BAG001"),
            open("/01/09506000134352/21/BAG001")
        );
        // Any host and prefix; AI attributes kept, other query and fragment dropped.
        assert_eq!(
            target("https://brand.example/p/x/01/09506000134352/10/L1?17=270101&utm=q#top"),
            open("/01/09506000134352/10/L1?17=270101")
        );
        // A Digital Link with a bad check digit still opens: the page then says it is
        // not a valid product code, as the resolver does for a phone's camera app.
        assert_eq!(
            target("https://id.gs1.org/01/09506000134353/21/X1"),
            open("/01/09506000134353/21/X1")
        );
    }

    #[test]
    fn element_strings_open_their_canonical_key() {
        assert_eq!(
            target("(01)09506000134352(21)BAG001"),
            open("/01/09506000134352/21/BAG001")
        );
        assert_eq!(
            target("]Q3010950600013435221BAG001"),
            open("/01/09506000134352/21/BAG001")
        );
    }

    #[test]
    fn other_codes_are_not_product_codes() {
        for t in [
            "https://example.com/menu",
            "https://example.com",
            "WIFI:S:shop;T:WPA;P:secret;;",
            "hello",
            "",
            "(01)09506000134353(21)X",
        ] {
            assert_eq!(target(t), Target::NotAProduct, "{t}");
        }
    }

    #[test]
    fn a_frame_with_a_product_code_and_another_opens_the_product() {
        let texts = vec![
            "claim:abc".to_string(),
            "https://id.gs1.org/01/09506000134352/21/BAG001".to_string(),
        ];
        assert_eq!(pick(&texts), Some(open("/01/09506000134352/21/BAG001")));
        assert_eq!(pick(&texts[..1]), Some(Target::NotAProduct));
        assert_eq!(pick(&[]), None);
    }

    /// A label's code drawn 3 pixels a module, off-centre in a 640×480 camera-sized grey
    /// frame, reads back; a blank or wrongly sized frame reads nothing.
    #[test]
    fn a_code_in_a_camera_frame_reads_back() {
        let text = "https://id.gs1.org/01/00614141025015/21/E261000022";
        let code = qrcode::QrCode::new(text.as_bytes()).expect("code");
        let (n, px) = (code.width(), 3);
        let (w, h, ox, oy) = (640, 480, 200, 120);
        let colors = code.to_colors();
        let mut luma = vec![200u8; w * h];
        for y in 0..n * px {
            for x in 0..n * px {
                if colors[(y / px) * n + x / px] == qrcode::Color::Dark {
                    luma[(oy + y) * w + ox + x] = 30;
                }
            }
        }
        assert_eq!(codes_in(w, h, &luma), vec![text.to_string()]);
        assert_eq!(
            pick(&codes_in(w, h, &luma)),
            Some(open("/01/00614141025015/21/E261000022"))
        );
        assert!(codes_in(w, h, &vec![200; w * h]).is_empty());
        assert!(codes_in(w, h, &[0; 10]).is_empty());
    }

    /// A scuffed label (a patch of modules in the middle inverted) still reads: the
    /// reader's Reed–Solomon correction (its finite-field arithmetic is the vendored
    /// table-free g2gen) repairs it.
    #[test]
    fn a_damaged_code_is_corrected() {
        let text = "https://id.gs1.org/01/00614141025015/21/E261000022";
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .expect("code");
        let (n, px, quiet) = (code.width(), 4, 4);
        let side = (n + 2 * quiet) * px;
        let mut colors = code.to_colors();
        let mid = n / 2;
        for y in mid - 1..=mid + 1 {
            for x in mid - 1..=mid + 1 {
                let c = &mut colors[y * n + x];
                *c = if *c == qrcode::Color::Dark {
                    qrcode::Color::Light
                } else {
                    qrcode::Color::Dark
                };
            }
        }
        let mut luma = vec![255u8; side * side];
        for y in 0..n * px {
            for x in 0..n * px {
                if colors[(y / px) * n + x / px] == qrcode::Color::Dark {
                    luma[(quiet * px + y) * side + quiet * px + x] = 0;
                }
            }
        }
        assert_eq!(codes_in(side, side, &luma), vec![text.to_string()]);
    }
}
