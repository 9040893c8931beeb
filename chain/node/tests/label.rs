//! Printable labels: every format and size renders, the printed QR code reads back as the
//! item's Digital Link URI, the human-readable text is there, bad input is refused, and a
//! label is drawn with the fonts compiled in from `assets/fonts` only, so it comes out the
//! same on every machine, Chinese product names included.

use handoff_node::label::{self, Format, Size};
use handoff_node::qr;
use std::path::{Path, PathBuf};
use std::process::Command;

const BAG: &str = "(01)00614141025015(21)E261000022";
const URI: &str = "https://id.gs1.org/01/00614141025015/21/E261000022";

fn one(scan: &str, title: Option<&str>) -> Vec<(String, Option<String>)> {
    vec![(scan.to_string(), title.map(String::from))]
}

#[test]
fn a_png_label_is_printed_at_300_dpi_and_its_qr_reads_back() {
    let png = label::render(
        &one(BAG, Some("Espresso 250 g")),
        Format::Png,
        Size::Small,
        "https://id.gs1.org",
    )
    .expect("render");
    let img = image::load_from_memory(&png).expect("png");
    // 50 × 30 mm at 300 dpi.
    assert!((590..=592).contains(&img.width()), "{}", img.width());
    assert!((354..=356).contains(&img.height()), "{}", img.height());
    let codes = qr::decode_bytes(&png).expect("decode");
    assert_eq!(codes, vec![URI.to_string()]);
}

#[test]
fn svg_carries_the_human_readable_text_and_title() {
    let svg = label::render(
        &one(BAG, Some("咖啡 <Espresso>")),
        Format::Svg,
        Size::Medium,
        "https://id.gs1.org",
    )
    .expect("render");
    let svg = String::from_utf8(svg).expect("utf8");
    assert!(svg.contains("(01) 00614141025015"), "{svg}");
    assert!(svg.contains("(21) E261000022"));
    assert!(svg.contains("咖啡 &lt;Espresso&gt;"), "title escaped");
    assert!(svg.contains(r#"width="100mm""#));
    // The SVG names the embedded families, and nothing else.
    assert!(
        svg.contains(r#"font-family="DejaVu Sans, WenQuanYi Micro Hei""#),
        "{svg}"
    );
    assert!(svg.contains(r#"font-family="DejaVu Sans Mono""#), "{svg}");
    assert!(!svg.contains("sans-serif") && !svg.contains("monospace"));
}

#[test]
fn pdf_labels_have_one_page_and_a_sheet_holds_24() {
    let pdf = label::render(
        &one(BAG, None),
        Format::Pdf,
        Size::Small,
        "https://id.gs1.org",
    )
    .expect("pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let sheet: Vec<(String, Option<String>)> = (0..24)
        .map(|i| {
            (
                format!("(01)00614141025015(21)S{i:03}"),
                Some("Espresso".into()),
            )
        })
        .collect();
    let pdf =
        label::render(&sheet, Format::Pdf, Size::A4Sheet, "https://id.gs1.org").expect("sheet");
    assert!(pdf.starts_with(b"%PDF"));
    let png =
        label::render(&sheet, Format::Png, Size::A4Sheet, "https://id.gs1.org").expect("png sheet");
    // Cut the sheet into its 3 × 8 labels (70 × 37 mm, 0.5 mm top margin, 300 dpi) and
    // read each one, as a scanner would read a single peeled-off label.
    let img = image::load_from_memory(&png).expect("png").to_luma8();
    let px = |mm: f64| (mm * 300.0 / 25.4).round() as u32;
    for i in 0..24u32 {
        let (x, y) = (
            px(f64::from(i % 3) * 70.0),
            px(0.5 + f64::from(i / 3) * 37.0),
        );
        let cell = image::imageops::crop_imm(&img, x, y, px(70.0), px(37.0)).to_image();
        let codes = qr::decode_image(&cell).expect("decode a label");
        assert_eq!(
            codes,
            vec![format!("https://id.gs1.org/01/00614141025015/21/S{i:03}")],
            "label {i}"
        );
    }
}

#[test]
fn bad_input_is_refused_with_a_code() {
    let e = label::render(
        &one("(01)00614141025016(21)X", None),
        Format::Svg,
        Size::Small,
        "https://id.gs1.org",
    )
    .expect_err("bad check digit");
    assert_eq!(e.code, "SCAN_BAD_CHECK_DIGIT");
    let many: Vec<(String, Option<String>)> = (0..25)
        .map(|i| (format!("(01)00614141025015(21)S{i}"), None))
        .collect();
    assert_eq!(
        label::render(&many, Format::Svg, Size::A4Sheet, "https://id.gs1.org")
            .expect_err("25")
            .code,
        "LABEL_TOO_MANY"
    );
    assert_eq!(
        label::render(&many[..2], Format::Svg, Size::Small, "https://id.gs1.org")
            .expect_err("2 on one")
            .code,
        "LABEL_TOO_MANY"
    );
    assert_eq!(Size::parse("9x9").expect_err("size").code, "LABEL_BAD_SIZE");
    assert_eq!(
        Format::parse("gif").expect_err("format").code,
        "LABEL_BAD_FORMAT"
    );
    let long = "x".repeat(500);
    let svg = label::render(
        &one(BAG, Some(&long)),
        Format::Svg,
        Size::Small,
        "https://id.gs1.org",
    )
    .expect("long title");
    assert!(
        String::from_utf8(svg).expect("utf8").contains('…'),
        "long titles are cut"
    );
}

/// A Chinese and Latin product name, as a Chinese roaster would print it.
const ZH_TITLE: &str = "云南小粒咖啡豆 Espresso 250 克";

fn zh_label(format: Format) -> Vec<u8> {
    label::render(
        &one(BAG, Some(ZH_TITLE)),
        format,
        Size::Medium,
        "https://id.gs1.org",
    )
    .expect("render")
}

#[test]
fn labels_are_drawn_with_the_compiled_in_fonts_and_no_others() {
    let faces = label::font_faces();
    let mut families: Vec<&str> = faces.iter().map(|f| f.family.as_str()).collect();
    families.sort_unstable();
    assert_eq!(
        families,
        ["DejaVu Sans", "DejaVu Sans Mono", "WenQuanYi Micro Hei"],
        "the font database holds exactly the embedded faces: {faces:?}"
    );
    assert_eq!(faces.len(), label::EMBEDDED_FONTS.len());
    assert!(
        faces.iter().all(|f| f.compiled_in),
        "no face comes from a file on this machine: {faces:?}"
    );
    // The compiled-in bytes are the files in assets/fonts.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts");
    for (name, bytes) in label::EMBEDDED_FONTS {
        let on_disk = std::fs::read(dir.join(name)).expect("font file");
        assert!(on_disk == bytes, "{name} differs from assets/fonts/{name}");
    }
}

#[test]
fn every_gb2312_character_and_chinese_product_names_have_glyphs() {
    // The list subset.py made the Chinese face from: all of GB2312.
    let gb2312 = include_str!("../../../assets/fonts/gb2312.txt");
    assert!(gb2312.chars().count() > 7000, "the list is GB2312's");
    assert_eq!(label::missing_glyphs(gb2312), Vec::<char>::new());
    for name in [
        ZH_TITLE,
        "埃塞俄比亚耶加雪菲 水洗 1 公斤",
        "北岸浓缩烘焙咖啡 250 克（深烘）",
        "Café «Señor» Ñandú — 1 kg, 12,50 €",
        "Кофе · Καφές · コーヒー",
    ] {
        assert_eq!(label::missing_glyphs(name), Vec::<char>::new(), "{name}");
    }
}

#[test]
fn a_name_the_fonts_cannot_print_is_refused_not_printed_with_a_gap() {
    assert_eq!(label::missing_glyphs("咖啡 🎉 ☕"), vec!['🎉', '☕']);
    for format in [Format::Svg, Format::Png, Format::Pdf] {
        let e = label::render(
            &one(BAG, Some("咖啡 🎉")),
            format,
            Size::Small,
            "https://id.gs1.org",
        )
        .expect_err("an emoji has no glyph");
        assert_eq!(e.code, "LABEL_GLYPH_MISSING");
        assert!(e.message.contains("U+1F389"), "{}", e.message);
    }
}

#[test]
fn a_chinese_name_prints_as_ink_on_the_label() {
    let png = label::render(
        &one(BAG, Some("云南小粒咖啡豆")),
        Format::Png,
        Size::Medium,
        "https://id.gs1.org",
    )
    .expect("render");
    let img = image::load_from_memory(&png).expect("png").to_luma8();
    // The name's line: right of the 46 mm QR code, 2 to 8.5 mm from the top of the
    // 100 × 50 mm label (the code lines start below it). Seven hanzi at 5.6 mm: each
    // 6 mm slice of the first 38 mm has ink, and past the name there is none.
    let px = |mm: f64| (mm * 300.0 / 25.4).round() as u32;
    let dark = |x0: f64, x1: f64| {
        let mut n = 0u32;
        for y in px(2.0)..px(8.5) {
            for x in px(x0)..px(x1) {
                n += u32::from(img.get_pixel(x, y)[0] < 128);
            }
        }
        n
    };
    for i in 0..6 {
        let x = 48.5 + 6.0 * f64::from(i);
        assert!(
            dark(x, x + 6.0) > 300,
            "ink at {x} mm: {}",
            dark(x, x + 6.0)
        );
    }
    assert_eq!(dark(89.0, 99.0), 0, "nothing past the name");
    assert_eq!(
        qr::decode_bytes(&png).expect("decode"),
        vec![URI.to_string()]
    );
    // Kept for people to look at: target/tmp/label-zh.png.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("label-zh.png");
    std::fs::write(&out, zh_label(Format::Png)).expect("write the label");
}

/// The names in a PDF's font dictionaries (`/BaseFont /ABCDEF+Name`), without the subset
/// tag, sorted.
fn pdf_fonts(pdf: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(pdf);
    let mut names: Vec<String> = text
        .split("/FontName /")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|n| n.split_once('+').map_or(n, |(_, name)| name).to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn a_pdf_label_embeds_its_fonts() {
    let pdf = zh_label(Format::Pdf);
    // A name with hanzi is drawn wholly in the Chinese face; the code lines in the mono.
    assert_eq!(pdf_fonts(&pdf), ["DejaVuSansMono", "WenQuanYiMicroHei"]);
    // Each as an embedded TrueType program, not a name for the reader to look up.
    assert_eq!(
        String::from_utf8_lossy(&pdf).matches("/FontFile2").count(),
        2
    );
    let latin = label::render(
        &one(BAG, Some("Northside Espresso Roast 250 g")),
        Format::Pdf,
        Size::Small,
        "https://id.gs1.org",
    )
    .expect("pdf");
    assert_eq!(pdf_fonts(&latin), ["DejaVuSans-Bold", "DejaVuSansMono"]);
    assert_eq!(
        String::from_utf8_lossy(&latin)
            .matches("/FontFile2")
            .count(),
        2
    );
}

/// The PDF's streams (font programs, the page's drawing, the colour profile), sorted.
fn pdf_streams(pdf: &[u8]) -> Vec<&[u8]> {
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = find(pdf, b"stream\n", at) {
        let Some(end) = find(pdf, b"\nendstream", start) else {
            break;
        };
        out.push(&pdf[start + 7..end]);
        at = end + 10;
    }
    out.sort();
    out
}

/// The same label, rendered in this process and in a child process whose environment
/// names no fonts at all (an empty fontconfig, empty home and data folders): the same
/// PNG bytes, and the same PDF up to the numbering of its objects.
#[test]
fn a_label_renders_the_same_bytes_in_a_process_without_fonts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let conf = dir.path().join("fonts.conf");
    std::fs::write(
        &conf,
        "<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n",
    )
    .expect("conf");
    let exe = std::env::current_exe().expect("the test binary");
    let status = Command::new(exe)
        .args([
            "--exact",
            "render_for_the_parent",
            "--include-ignored",
            "--nocapture",
        ])
        .env_clear()
        .env("HANDOFF_LABEL_OUT", dir.path())
        .env("FONTCONFIG_FILE", &conf)
        .env("FONTCONFIG_PATH", &empty)
        .env("HOME", &empty)
        .env("XDG_DATA_HOME", &empty)
        .env("XDG_DATA_DIRS", &empty)
        .env("XDG_CONFIG_HOME", &empty)
        .status()
        .expect("run the child");
    assert!(status.success(), "the child rendered");
    let read = |name: &str| -> Vec<u8> {
        std::fs::read(dir.path().join(name)).expect("the child's output")
    };
    assert!(read("zh.png") == zh_label(Format::Png), "same PNG bytes");
    // svg2pdf numbers its font objects in hash-map order, so the PDF's bytes may differ
    // by those numbers; its size, fonts and every stream are the same.
    let (theirs, ours) = (read("zh.pdf"), zh_label(Format::Pdf));
    assert_eq!(theirs.len(), ours.len(), "same PDF size");
    assert_eq!(pdf_fonts(&theirs), pdf_fonts(&ours));
    assert_eq!(
        pdf_streams(&theirs).len(),
        6,
        "fonts (2 × 2), drawing, colour profile"
    );
    assert!(
        pdf_streams(&theirs) == pdf_streams(&ours),
        "same PDF streams"
    );
}

/// Run by `a_label_renders_the_same_bytes_in_a_process_without_fonts` in a child process.
#[test]
#[ignore = "run by a_label_renders_the_same_bytes_in_a_process_without_fonts"]
fn render_for_the_parent() {
    let Some(out) = std::env::var_os("HANDOFF_LABEL_OUT").map(PathBuf::from) else {
        return;
    };
    std::fs::write(out.join("zh.png"), zh_label(Format::Png)).expect("write png");
    std::fs::write(out.join("zh.pdf"), zh_label(Format::Pdf)).expect("write pdf");
}

#[test]
fn a_label_with_a_claim_code_carries_both_qrs_and_a_sheet_each_its_own() {
    let code = "3f2a-91bc-0d4e-77a1-5b6c-9e08-f1d2-c3b4";
    let png = label::render_with_claims(
        &one(BAG, Some("Espresso 250 g")),
        &[Some(code.to_string())],
        Format::Png,
        Size::Small,
        "https://id.gs1.org",
    )
    .expect("render");
    let mut codes = qr::decode_bytes(&png).expect("decode");
    codes.sort();
    assert_eq!(codes, vec![code.to_string(), URI.to_string()]);
    let svg = label::svg_with_claims(
        &one(BAG, None),
        &[Some(code.to_string())],
        Size::Small,
        "https://id.gs1.org",
    )
    .expect("svg");
    assert!(svg.contains("claim code: scratch off"), "{svg}");
    assert!(svg.contains("stroke-dasharray"), "the scratch-off box");

    // A sheet for a whole commission: every label carries its own item's claim code.
    let sheet: Vec<(String, Option<String>)> = (0..24)
        .map(|i| (format!("(01)00614141025015(21)S{i:03}"), None))
        .collect();
    let claims: Vec<Option<String>> = (0..24).map(|i| Some(format!("{i:032x}"))).collect();
    let png = label::render_with_claims(
        &sheet,
        &claims,
        Format::Png,
        Size::A4Sheet,
        "https://id.gs1.org",
    )
    .expect("sheet");
    let img = image::load_from_memory(&png).expect("png").to_luma8();
    let px = |mm: f64| (mm * 300.0 / 25.4).round() as u32;
    for i in [0u32, 7, 23] {
        let (x, y) = (
            px(f64::from(i % 3) * 70.0),
            px(0.5 + f64::from(i / 3) * 37.0),
        );
        let cell = image::imageops::crop_imm(&img, x, y, px(70.0), px(37.0)).to_image();
        let mut codes = qr::decode_image(&cell).expect("decode a label");
        codes.sort();
        assert_eq!(
            codes,
            vec![
                format!("{i:032x}"),
                format!("https://id.gs1.org/01/00614141025015/21/S{i:03}"),
            ],
            "label {i}"
        );
    }
    // Codes must match the labels one for one.
    let e = label::render_with_claims(
        &sheet,
        &claims[..2],
        Format::Svg,
        Size::A4Sheet,
        "https://id.gs1.org",
    )
    .expect_err("two codes for 24 labels");
    assert_eq!(e.code, "LABEL_CLAIM_CODES");
}
