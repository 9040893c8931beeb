//! The demo's product pictures: the bytes compiled in are the files in `assets/demo`, a
//! picture is found by the hash a product definition records and by nothing else, and
//! each one is a self-contained SVG (no text, no links) that draws.

use handoff_core::types::{Hash32, sha256};
use handoff_node::images::{self, ProductImage};
use resvg::{tiny_skia, usvg};
use std::path::Path;

#[test]
fn each_picture_is_its_file_in_assets_demo_and_is_found_by_its_hash() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo");
    for image in images::ALL {
        let on_disk = std::fs::read(dir.join(image.file)).expect("the file");
        assert!(
            on_disk == image.bytes,
            "{} differs from assets/demo",
            image.file
        );
        assert_eq!(image.hash(), sha256(&[&on_disk]), "{}", image.file);
        let found = images::find(&image.hash()).expect("found by its hash");
        assert_eq!(found.file, image.file);
    }
    // Three pictures, three hashes.
    let mut hashes: Vec<Hash32> = images::ALL.iter().map(|i| i.hash()).collect();
    hashes.sort_by_key(|h| h.0);
    hashes.dedup();
    assert_eq!(hashes.len(), 3);
    // A hash no picture has finds nothing, even one bit away from a real one.
    let mut near = images::ESPRESSO.hash();
    near.0[31] ^= 1;
    assert!(images::find(&near).is_none());
    assert!(images::find(&Hash32([0; 32])).is_none());
}

fn draw(image: &ProductImage) -> tiny_skia::Pixmap {
    let svg = std::str::from_utf8(image.bytes).expect("utf-8");
    // Self-contained: no text (a viewer's fonts would change it), no external references.
    assert!(!svg.contains("<text"), "{} draws text", image.file);
    assert!(!svg.contains("href"), "{} links out", image.file);
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).expect("parses");
    assert_eq!((tree.size().width(), tree.size().height()), (256.0, 256.0));
    let mut pix = tiny_skia::Pixmap::new(256, 256).expect("pixmap");
    resvg::render(&tree, tiny_skia::Transform::identity(), &mut pix.as_mut());
    pix
}

#[test]
fn each_picture_is_a_self_contained_svg_that_draws() {
    let mut sheet = tiny_skia::Pixmap::new(3 * 256, 256).expect("sheet");
    for (i, image) in images::ALL.into_iter().enumerate() {
        let pix = draw(image);
        // Opaque (a rounded card), and more than its background: count the colours.
        let px = pix.pixels();
        let opaque = px.iter().filter(|p| p.alpha() == 255).count();
        assert!(opaque > 256 * 256 * 9 / 10, "{}: {opaque}", image.file);
        let mut colours: Vec<[u8; 3]> = px.iter().map(|p| [p.red(), p.green(), p.blue()]).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(
            colours.len() > 20,
            "{}: {} colours",
            image.file,
            colours.len()
        );
        sheet.draw_pixmap(
            i as i32 * 256,
            0,
            pix.as_ref(),
            &tiny_skia::PixmapPaint::default(),
            tiny_skia::Transform::identity(),
            None,
        );
    }
    // Kept for people to look at: target/tmp/demo-images.png.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-images.png");
    sheet.save_png(out).expect("save");
}
