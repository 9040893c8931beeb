//! Product pictures Handoff ships with: the demo's, drawn for it and kept in
//! `assets/demo`, compiled in. The ledger holds only a product's image hash (SHA-256 of the
//! image file, `DefineProduct.image_hash`); the bytes live here and are found by that hash,
//! so a picture shown for a product is always the one its definition names.

use handoff_core::types::{Hash32, sha256};

/// A product picture: its file in `assets/demo`, MIME type and bytes.
#[derive(Debug)]
pub struct ProductImage {
    /// File name in `assets/demo`.
    pub file: &'static str,
    /// MIME type of `bytes`.
    pub mime: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
}

impl ProductImage {
    /// SHA-256 of the bytes: the hash a product definition records.
    pub fn hash(&self) -> Hash32 {
        sha256(&[self.bytes])
    }
}

/// The demo's green coffee (a jute sack).
pub const GREEN_COFFEE: ProductImage = ProductImage {
    file: "green-coffee.svg",
    mime: "image/svg+xml",
    bytes: include_bytes!("../../../assets/demo/green-coffee.svg"),
};
/// The demo's espresso roast (a dark 250 g bag).
pub const ESPRESSO: ProductImage = ProductImage {
    file: "espresso.svg",
    mime: "image/svg+xml",
    bytes: include_bytes!("../../../assets/demo/espresso.svg"),
};
/// The demo's filter roast (a light 1 kg bag).
pub const FILTER_ROAST: ProductImage = ProductImage {
    file: "filter-roast.svg",
    mime: "image/svg+xml",
    bytes: include_bytes!("../../../assets/demo/filter-roast.svg"),
};

/// Every picture this build carries.
pub const ALL: [&ProductImage; 3] = [&GREEN_COFFEE, &ESPRESSO, &FILTER_ROAST];

/// The picture whose SHA-256 is `hash`, if this build carries it.
pub fn find(hash: &Hash32) -> Option<&'static ProductImage> {
    ALL.into_iter().find(|i| i.hash() == *hash)
}
