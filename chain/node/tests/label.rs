//! Printable labels: every format and size renders, the printed QR code reads back as the
//! item's Digital Link URI, the human-readable text is there, and bad input is refused.

use handoff_node::label::{self, Format, Size};
use handoff_node::qr;

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
