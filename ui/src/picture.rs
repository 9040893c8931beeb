//! A product's picture. The ledger holds only its hash (`image_hash` of the product's
//! definition); the app carries the pictures and answers one by product (`product_image`).

use crate::backend;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The picture of product `gtin` when its definition names one (`image_hash` set) and the
/// app has it; nothing otherwise: a missing picture never stands in the way of the
/// product's data, so no error is shown for it.
#[component]
pub fn ProductPicture(gtin: String, image_hash: Option<String>, name: String) -> impl IntoView {
    let src = RwSignal::new(None::<String>);
    if image_hash.is_some() {
        spawn_local(async move {
            if let Ok(v) = backend::product_image(&gtin).await
                && let (Some(mime), Some(data)) = (v.mime, v.data_base64)
            {
                src.set(Some(format!("data:{mime};base64,{data}")));
            }
        });
    }
    move || {
        src.get().map(|url| {
            view! {
                <img class="product-picture" data-testid="product-picture" src=url alt=name.clone() />
            }
        })
    }
}
