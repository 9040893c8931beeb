//! Printable GS1 labels: the QR code of an item's GS1 Digital Link URI with the
//! human-readable interpretation (`(01) 00614141025015` / `(21) E261000022`) and an
//! optional product name, at real sizes in millimetres. One design, three formats: the
//! label is drawn once as SVG; PNG is that SVG rendered at 300 dpi (resvg) and PDF is it
//! converted with embedded, subset fonts (svg2pdf), so all three look the same.
//!
//! Sizes: `50x30` and `100x50` mm hold one label (label printers); `a4` is a sheet of
//! 3 × 8 labels of 70 × 37 mm (the common adhesive sheets), up to 24 codes per sheet.
//!
//! **Fonts are compiled in.** The font database holds exactly the faces of
//! `assets/fonts` (DejaVu Sans Bold for a product name in Latin, Greek or Cyrillic;
//! WenQuanYi Micro Hei for one with Chinese or kana, which it draws whole, Latin included;
//! DejaVu Sans Mono for the code lines), never the machine's fonts (the `system-fonts` feature of
//! resvg is off, so it cannot load them), so a PNG or PDF label comes out the same on
//! every machine. A product name with a character none of them has is refused
//! (`LABEL_GLYPH_MISSING`) rather than printed with a gap. The SVG names those families
//! and keeps its text as text (searchable, editable in a drawing program); a viewer draws
//! it with its own copy of the fonts, so print from the PNG or the PDF. The PNG is the
//! same bytes everywhere; the PDF embeds the same font subsets and drawing, though
//! svg2pdf numbers its font objects in hash-map order, so its bytes vary run to run.

use handoff_core::gs1;
use qrcode::{Color, EcLevel, QrCode};
use resvg::usvg;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

/// Labels on one A4 sheet.
pub const SHEET_LABELS: usize = 24;
/// Longest product name printed (characters); longer names are cut with "…".
pub const MAX_TITLE: usize = 60;

/// The families a product name is drawn with: Latin first, then Chinese.
pub const TITLE_FAMILIES: &str = "DejaVu Sans, WenQuanYi Micro Hei";
/// The family of the human-readable code lines.
pub const CODE_FAMILY: &str = "DejaVu Sans Mono";

/// The label fonts, compiled in: file name in `assets/fonts` and its bytes (subsets made
/// by `assets/fonts/subset.py`; licences next to them).
pub const EMBEDDED_FONTS: [(&str, &[u8]); 3] = [
    (
        "DejaVuSans-Bold.label.ttf",
        include_bytes!("../../../assets/fonts/DejaVuSans-Bold.label.ttf"),
    ),
    (
        "DejaVuSansMono.label.ttf",
        include_bytes!("../../../assets/fonts/DejaVuSansMono.label.ttf"),
    ),
    (
        "WenQuanYiMicroHei.label.ttf",
        include_bytes!("../../../assets/fonts/WenQuanYiMicroHei.label.ttf"),
    ),
];

/// A label error: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelError {
    /// Stable code (`LABEL_*` or the `SCAN_*` code of a bad scan).
    pub code: &'static str,
    /// For people.
    pub message: String,
}

fn err(code: &'static str, message: impl Into<String>) -> LabelError {
    LabelError {
        code,
        message: message.into(),
    }
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics.
    Svg,
    /// 300 dpi bitmap.
    Png,
    /// PDF, fonts embedded.
    Pdf,
}

impl Format {
    /// From `svg`, `png`, `pdf`.
    pub fn parse(s: &str) -> Result<Format, LabelError> {
        match s.to_ascii_lowercase().as_str() {
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            "pdf" => Ok(Format::Pdf),
            _ => Err(err(
                "LABEL_BAD_FORMAT",
                format!("'{s}' is not a label format: use svg, png or pdf"),
            )),
        }
    }
    /// MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
            Format::Pdf => "application/pdf",
        }
    }
}

/// Label size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// 50 × 30 mm.
    Small,
    /// 100 × 50 mm.
    Medium,
    /// A4 sheet of 3 × 8 labels, 70 × 37 mm each.
    A4Sheet,
}

impl Size {
    /// From `50x30`, `100x50`, `a4`.
    pub fn parse(s: &str) -> Result<Size, LabelError> {
        match s.to_ascii_lowercase().as_str() {
            "50x30" => Ok(Size::Small),
            "100x50" => Ok(Size::Medium),
            "a4" | "a4-sheet" => Ok(Size::A4Sheet),
            _ => Err(err(
                "LABEL_BAD_SIZE",
                format!("'{s}' is not a label size: use 50x30, 100x50 or a4"),
            )),
        }
    }
    fn label_mm(self) -> (f64, f64) {
        match self {
            Size::Small => (50.0, 30.0),
            Size::Medium => (100.0, 50.0),
            Size::A4Sheet => (70.0, 37.0),
        }
    }
    fn page_mm(self) -> (f64, f64) {
        match self {
            Size::A4Sheet => (210.0, 297.0),
            s => s.label_mm(),
        }
    }
}

struct One {
    uri: String,
    hri: Vec<String>,
    title: Option<String>,
    /// The item's claim code, printed as a second QR in a scratch-off box.
    claim: Option<String>,
}

/// The characters of `text` that no label font can draw (white space aside), each once,
/// in order of appearance.
pub fn missing_glyphs(text: &str) -> Vec<char> {
    let faces = faces();
    let mut missing: Vec<char> = Vec::new();
    for c in text.chars() {
        if c.is_whitespace() || missing.contains(&c) {
            continue;
        }
        if !faces.iter().any(|f| f.glyph_index(c).is_some()) {
            missing.push(c);
        }
    }
    missing
}

/// The width of a product name at `size` (kerning aside), drawn as the renderer draws it:
/// in the first title face that has every character (a name with any hanzi is drawn
/// wholly in the Chinese face, Latin included), else character by character.
fn title_width(text: &str, size: f64) -> f64 {
    let faces = faces();
    let title: Vec<&ttf_parser::Face<'static>> = [TITLE_FACE, CJK_FACE]
        .iter()
        .filter_map(|&i| faces.get(i))
        .collect();
    let advance = |f: &ttf_parser::Face<'_>, c: char| {
        let g = f.glyph_index(c)?;
        Some(f64::from(f.glyph_hor_advance(g)?) / f64::from(f.units_per_em()))
    };
    let whole = title
        .iter()
        .find(|f| text.chars().all(|c| f.glyph_index(c).is_some()));
    text.chars()
        .map(|c| {
            let em = match whole {
                Some(f) => advance(f, c),
                None => title.iter().find_map(|f| advance(f, c)),
            };
            em.unwrap_or(1.0) * size
        })
        .sum()
}

/// Indexes in `EMBEDDED_FONTS` of the product name's faces.
const TITLE_FACE: usize = 0;
const CJK_FACE: usize = 2;

/// The parsed embedded faces (parsed once; the bytes are static).
fn faces() -> &'static [ttf_parser::Face<'static>] {
    static FACES: OnceLock<Vec<ttf_parser::Face<'static>>> = OnceLock::new();
    FACES.get_or_init(|| {
        EMBEDDED_FONTS
            .iter()
            // A face that does not parse covers nothing, so its characters are refused
            // as missing (and the label tests fail) rather than drawn as gaps.
            .filter_map(|(_, bytes)| ttf_parser::Face::parse(bytes, 0).ok())
            .collect()
    })
}

fn prepare(scan: &str, title: Option<&str>, base: &str) -> Result<One, LabelError> {
    let sc = gs1::parse_scan(scan).map_err(|e| err(e.code.as_str(), e.message))?;
    let canonical = sc.key.canonical();
    let parts: Vec<&str> = canonical.split('/').filter(|p| !p.is_empty()).collect();
    let hri = parts
        .chunks(2)
        .map(|c| format!("({}) {}", c[0], c.get(1).copied().unwrap_or_default()))
        .collect();
    let title = title.map(str::trim).filter(|t| !t.is_empty()).map(|t| {
        if t.chars().count() > MAX_TITLE {
            let cut: String = t.chars().take(MAX_TITLE - 1).collect();
            format!("{cut}…")
        } else {
            t.to_string()
        }
    });
    if let Some(t) = &title {
        let missing = missing_glyphs(t);
        if !missing.is_empty() {
            let chars: Vec<String> = missing
                .iter()
                .map(|c| format!("'{c}' (U+{:04X})", u32::from(*c)))
                .collect();
            return Err(err(
                "LABEL_GLYPH_MISSING",
                format!(
                    "the label font cannot print {} of the product name '{t}'; labels print \
                     Latin, Chinese (GB2312), Greek, Cyrillic and kana",
                    chars.join(", ")
                ),
            ));
        }
    }
    Ok(One {
        uri: sc.key.digital_link(base),
        hri,
        title,
        claim: None,
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws a QR code of `text` whose square (quiet zone included) has its top-left corner at
/// (x, y) and side `side`, in mm.
fn draw_qr(out: &mut String, text: &str, x: f64, y: f64, side: f64) -> Result<(), LabelError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| err("LABEL_QR_FAILED", format!("cannot encode {text}: {e}")))?;
    let n = code.width();
    let colors = code.to_colors();
    // The quiet zone (4 modules each side) is included in the square.
    let module = side / (n as f64 + 8.0);
    let (qx, qy) = (x + 4.0 * module, y + 4.0 * module);
    out.push_str(r##"<path fill="#000" d=""##);
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == Color::Dark {
                    col += 1;
                }
                let _ = write!(
                    out,
                    "M{:.3} {:.3}h{:.3}v{:.3}h-{:.3}z",
                    qx + start as f64 * module,
                    qy + row as f64 * module,
                    (col - start) as f64 * module,
                    module,
                    (col - start) as f64 * module
                );
            } else {
                col += 1;
            }
        }
    }
    out.push_str("\"/>");
    Ok(())
}

/// Draws one label with its top-left corner at (x, y), all in mm.
fn draw(out: &mut String, one: &One, x: f64, y: f64, w: f64, h: f64) -> Result<(), LabelError> {
    // The QR fills the label's height less a 2 mm margin.
    let side = h - 4.0;
    draw_qr(out, &one.uri, x + 2.0, y + 2.0, side)?;
    // A claim code: a second QR at the right end, inside a dashed scratch-off box, so the
    // text column narrows by its width.
    let claim_w = match &one.claim {
        Some(code) => {
            let cs = side * 0.8;
            let (cx, cy) = (x + w - 2.0 - cs, y + 2.0 + (side - cs) / 2.0);
            let _ = write!(
                out,
                r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="#000" stroke-width="0.2" stroke-dasharray="0.8 0.6"/>"##,
                cx - 0.5,
                cy - 0.5,
                cs + 1.0,
                cs + 1.0
            );
            draw_qr(out, code, cx, cy, cs)?;
            cs + 2.0
        }
        None => 0.0,
    };
    // Text to the right of the code.
    let tx = x + 2.0 + side + 2.0;
    let tw = (x + w - 2.0 - claim_w - tx).max(1.0);
    let big = (h / 8.0).min(tw / 8.0).max(2.0);
    let mut ty = y + 2.0 + big;
    if let Some(t) = &one.title {
        let size = big * 0.9;
        // A name wider than the space is squeezed to fit; a shorter one keeps its shape.
        let fit = if title_width(t, size) > tw {
            format!(r#" textLength="{tw:.2}" lengthAdjust="spacingAndGlyphs""#)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            r#"<text x="{tx:.2}" y="{ty:.2}" font-family="{TITLE_FAMILIES}" font-size="{size:.2}" font-weight="bold"{fit}>{}</text>"#,
            esc(t)
        );
        ty += big * 1.5;
    }
    // Monospace digits are 0.6 em wide: size the text so the longest line fits.
    let longest = one.hri.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64;
    let mono = (big * 0.8).min(tw / (0.62 * longest));
    for line in &one.hri {
        let _ = write!(
            out,
            r#"<text x="{tx:.2}" y="{ty:.2}" font-family="{CODE_FAMILY}" font-size="{mono:.2}">{}</text>"#,
            esc(line)
        );
        ty += mono * 1.4;
    }
    if one.claim.is_some() {
        let _ = write!(
            out,
            r#"<text x="{tx:.2}" y="{ty:.2}" font-family="{CODE_FAMILY}" font-size="{:.2}">claim code: scratch off</text>"#,
            mono * 0.8
        );
    }
    Ok(())
}

/// Draws the labels as one SVG page (sizes in mm).
pub fn svg(
    labels: &[(String, Option<String>)],
    size: Size,
    base: &str,
) -> Result<String, LabelError> {
    svg_with_claims(labels, &[], size, base)
}

/// [`svg`], with the items' claim codes (`claims[i]` for `labels[i]`; none, or one per
/// label) printed as a second QR in a scratch-off box on each label.
pub fn svg_with_claims(
    labels: &[(String, Option<String>)],
    claims: &[Option<String>],
    size: Size,
    base: &str,
) -> Result<String, LabelError> {
    if !claims.is_empty() && claims.len() != labels.len() {
        return Err(err(
            "LABEL_CLAIM_CODES",
            format!(
                "{} claim codes for {} labels: give one per label, or none",
                claims.len(),
                labels.len()
            ),
        ));
    }
    let max = if size == Size::A4Sheet {
        SHEET_LABELS
    } else {
        1
    };
    if labels.is_empty() {
        return Err(err("LABEL_NOTHING", "no code to print"));
    }
    if labels.len() > max {
        return Err(err(
            "LABEL_TOO_MANY",
            format!(
                "{} codes, but a {} page holds {max}; use the a4 sheet or print in parts",
                labels.len(),
                match size {
                    Size::A4Sheet => "sheet",
                    _ => "single-label",
                }
            ),
        ));
    }
    let mut ones = labels
        .iter()
        .map(|(s, t)| prepare(s, t.as_deref(), base))
        .collect::<Result<Vec<_>, _>>()?;
    for (one, claim) in ones.iter_mut().zip(claims) {
        one.claim = claim.clone();
    }
    let (pw, ph) = size.page_mm();
    let (lw, lh) = size.label_mm();
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{pw}mm" height="{ph}mm" viewBox="0 0 {pw} {ph}"><rect width="{pw}" height="{ph}" fill="#fff"/>"##
    );
    for (i, one) in ones.iter().enumerate() {
        let (x, y) = if size == Size::A4Sheet {
            // 3 × 8 grid centred on the sheet.
            let (mx, my) = ((pw - 3.0 * lw) / 2.0, (ph - 8.0 * lh) / 2.0);
            (mx + (i % 3) as f64 * lw, my + (i / 3) as f64 * lh)
        } else {
            (0.0, 0.0)
        };
        draw(&mut out, one, x, y, lw, lh)?;
    }
    out.push_str("</svg>");
    Ok(out)
}

/// One face of the labels' font database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FontFace {
    /// Its family name (English).
    pub family: String,
    /// Its PostScript name.
    pub post_script_name: String,
    /// Loaded from bytes compiled into the program (not from a file on this machine).
    pub compiled_in: bool,
}

/// Every face the labels can be drawn with: the font database as the renderer sees it.
pub fn font_faces() -> Vec<FontFace> {
    fonts()
        .faces()
        .map(|f| FontFace {
            family: f
                .families
                .first()
                .map(|(name, _)| name.clone())
                .unwrap_or_default(),
            post_script_name: f.post_script_name.clone(),
            compiled_in: matches!(f.source, usvg::fontdb::Source::Binary(_)),
        })
        .collect()
}

pub(crate) fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        for (_, bytes) in EMBEDDED_FONTS {
            db.load_font_source(usvg::fontdb::Source::Binary(Arc::new(bytes)));
        }
        // Generic names resolve to the embedded faces too.
        db.set_sans_serif_family("DejaVu Sans");
        db.set_serif_family("DejaVu Sans");
        db.set_monospace_family(CODE_FAMILY);
        Arc::new(db)
    })
    .clone()
}

fn tree(svg: &str) -> Result<usvg::Tree, LabelError> {
    let opts = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &opts).map_err(|e| err("LABEL_RENDER_FAILED", e.to_string()))
}

/// Renders labels in a format: the file's bytes.
pub fn render(
    labels: &[(String, Option<String>)],
    format: Format,
    size: Size,
    base: &str,
) -> Result<Vec<u8>, LabelError> {
    render_with_claims(labels, &[], format, size, base)
}

/// [`render`], with claim codes as in [`svg_with_claims`].
pub fn render_with_claims(
    labels: &[(String, Option<String>)],
    claims: &[Option<String>],
    format: Format,
    size: Size,
    base: &str,
) -> Result<Vec<u8>, LabelError> {
    let svg = svg_with_claims(labels, claims, size, base)?;
    match format {
        Format::Svg => Ok(svg.into_bytes()),
        Format::Png => {
            let tree = tree(&svg)?;
            // The tree's size is in CSS pixels (96 per inch); print at 300 dpi.
            let scale = 300.0 / 96.0;
            let w = (tree.size().width() * scale).ceil() as u32;
            let h = (tree.size().height() * scale).ceil() as u32;
            let mut pix = resvg::tiny_skia::Pixmap::new(w, h)
                .ok_or_else(|| err("LABEL_RENDER_FAILED", "label too large to draw"))?;
            resvg::render(
                &tree,
                resvg::tiny_skia::Transform::from_scale(scale, scale),
                &mut pix.as_mut(),
            );
            pix.encode_png()
                .map_err(|e| err("LABEL_RENDER_FAILED", e.to_string()))
        }
        Format::Pdf => {
            let tree = tree(&svg)?;
            // The tree's size is in CSS pixels (96 per inch); the page keeps the real size.
            svg2pdf::to_pdf(
                &tree,
                svg2pdf::ConversionOptions::default(),
                svg2pdf::PageOptions { dpi: 96.0 },
            )
            .map_err(|e| err("LABEL_RENDER_FAILED", e.to_string()))
        }
    }
}
