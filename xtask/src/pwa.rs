//! The staff app as an installable web app: what `cargo xtask ui` adds to `ui/dist` so a
//! phone's browser can install it and reload it without a network.
//!
//! - **Icons** from the app icon (`assets/icons/icon.png`, 512 px): 192 and 512 px for
//!   "any" purpose, and a 512 px "maskable" one whose transparent corners are filled with
//!   the brand colour (the icon's own rounded square fills a phone's mask; the H stays
//!   inside the safe circle). Hashed names, like every file of the bundle.
//! - **`manifest.webmanifest`**: name, icons, `start_url` and `scope` `/`, `display`
//!   `standalone`, the theme and background colours of `ui/style.css`.
//! - **`sw.js`**, the service worker: on install it caches the app shell (the page and
//!   every file it names: script, wasm, stylesheet, icons, manifest) in a cache named by
//!   the build (so a new build installs beside the old and replaces it when activated);
//!   the shell's files come from that cache, the page itself from the network first and
//!   from the cache when there is none; nothing else is touched (the API, the consumer
//!   page, Digital Links go to the node as always: what the ledger says is never served
//!   stale). The node serves `sw.js`, the manifest and the page with `Cache-Control:
//!   no-cache`, so an update arrives at the next visit.
//! - In the page, `<!-- handoff:installable -->` becomes the manifest link, the theme
//!   colour, the touch icon and the worker's registration (skipped in the app window,
//!   whose pages are the app's own files).

use crate::Result;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;

/// The marker in `index.html` replaced by the manifest link and the worker's registration.
pub const MARKER: &str = "<!-- handoff:installable -->";
/// The app's brand colour (`--brand` of `ui/style.css`): theme colour, maskable icon.
const THEME: &str = "#0b6e4f";
const THEME_RGB: [u8; 3] = [0x0b, 0x6e, 0x4f];
/// The page's background (`--bg`): the splash screen while the app starts.
const BACKGROUND: &str = "#f3f6f4";

/// Writes the icons, the manifest and the worker into `staging` (the bundle's new
/// `dist`), given the page's other files (`files`, names relative to `base`), and
/// returns the page with its marker replaced.
pub fn add(
    root: &Path,
    staging: &Path,
    base: &str,
    html: &str,
    files: &[String],
) -> Result<String> {
    if html.matches(MARKER).count() != 1 {
        return Err(format!("ui/index.html must hold {MARKER} exactly once"));
    }
    let (width, height, rgba) = read_rgba(&root.join("assets/icons/icon.png"))?;
    if width != 512 || height != 512 {
        return Err(format!(
            "assets/icons/icon.png is {width}×{height}; the installable app needs 512×512"
        ));
    }
    let icon192 = write_hashed(
        staging,
        "icon-192",
        "png",
        &encode(192, &shrink(&rgba, 512, 192))?,
    )?;
    let icon512 = write_hashed(staging, "icon-512", "png", &encode(512, &rgba)?)?;
    let maskable = write_hashed(
        staging,
        "icon-maskable-512",
        "png",
        &encode(512, &on_background(&rgba, THEME_RGB))?,
    )?;
    let manifest = serde_manifest(base, &icon192, &icon512, &maskable);
    fs::write(staging.join("manifest.webmanifest"), manifest)
        .map_err(|e| format!("{}: {e}", staging.display()))?;
    let mut shell: Vec<String> = vec![base.to_string()];
    for f in files
        .iter()
        .chain([&icon192, &icon512, &maskable])
        .map(|f| format!("{base}{f}"))
        .chain([format!("{base}manifest.webmanifest")])
    {
        shell.push(f);
    }
    let head = format!(
        "<link rel=\"manifest\" href=\"{base}manifest.webmanifest\" />\n    \
         <meta name=\"theme-color\" content=\"{THEME}\" />\n    \
         <meta name=\"mobile-web-app-capable\" content=\"yes\" />\n    \
         <link rel=\"apple-touch-icon\" href=\"{base}{icon192}\" />\n    \
         <script type=\"module\">if ('serviceWorker' in navigator && !window.__TAURI_INTERNALS__) \
         {{ navigator.serviceWorker.register('{base}sw.js', {{ scope: '{base}' }}).catch((e) => \
         console.warn('Handoff: this page will not open offline:', e)); }}</script>"
    );
    let page = html.replace(MARKER, &head);
    // The cache is named by everything it holds: a new build is a new cache.
    let mut h = Sha256::new();
    h.update(page.as_bytes());
    for f in &shell {
        h.update(f.as_bytes());
    }
    let version: String = h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    fs::write(staging.join("sw.js"), worker(&version, base, &shell))
        .map_err(|e| format!("{}: {e}", staging.display()))?;
    Ok(page)
}

fn serde_manifest(base: &str, icon192: &str, icon512: &str, maskable: &str) -> String {
    format!(
        r#"{{
  "id": "{base}",
  "name": "Handoff",
  "short_name": "Handoff",
  "description": "Scan, hand off and trace goods on the Handoff ledger.",
  "lang": "en",
  "start_url": "{base}",
  "scope": "{base}",
  "display": "standalone",
  "theme_color": "{THEME}",
  "background_color": "{BACKGROUND}",
  "icons": [
    {{ "src": "{base}{icon192}", "sizes": "192x192", "type": "image/png", "purpose": "any" }},
    {{ "src": "{base}{icon512}", "sizes": "512x512", "type": "image/png", "purpose": "any" }},
    {{ "src": "{base}{maskable}", "sizes": "512x512", "type": "image/png", "purpose": "maskable" }}
  ]
}}
"#
    )
}

/// The service worker (see the module doc).
fn worker(version: &str, base: &str, shell: &[String]) -> String {
    let list = shell
        .iter()
        .map(|f| format!("  \"{f}\""))
        .collect::<Vec<_>>()
        .join(",\n");
    format!(
        r#"// Handoff's service worker, written by `cargo xtask ui` (xtask/src/pwa.rs).
// It keeps the app shell for offline use; the API and everything else go to the node.
const CACHE = "handoff-shell-{version}";
const PAGE = "{base}";
const SHELL = [
{list}
];

self.addEventListener("install", (event) => {{
  event.waitUntil(
    caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting())
  );
}});

self.addEventListener("activate", (event) => {{
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("handoff-shell-") && k !== CACHE).map((k) => caches.delete(k))
      ))
      .then(() => self.clients.claim())
  );
}});

self.addEventListener("fetch", (event) => {{
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const page = req.mode === "navigate" && (url.pathname === PAGE || url.pathname === PAGE + "index.html");
  if (page) {{
    // The page names the current build: from the network when there is one.
    event.respondWith(
      fetch(req)
        .then((r) => {{
          if (r.ok) {{
            const copy = r.clone();
            caches.open(CACHE).then((c) => c.put(PAGE, copy));
          }}
          return r;
        }})
        .catch(() => caches.match(PAGE, {{ cacheName: CACHE }}).then((r) => r || Response.error()))
    );
    return;
  }}
  if (SHELL.includes(url.pathname)) {{
    event.respondWith(
      caches.match(url.pathname, {{ cacheName: CACHE }}).then((r) => r || fetch(req))
    );
  }}
}});
"#
    )
}

/// Decodes an 8-bit RGBA PNG: `(width, height, pixels)`.
fn read_rgba(path: &Path) -> Result<(u32, u32, Vec<u8>)> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = fs::File::open(path).map_err(|e| err(&e))?;
    let reader = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = reader.read_info().map_err(|e| err(&e))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| err(&"the image is too large"))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| err(&e))?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(err(&"the app icon must be 8-bit RGBA"));
    }
    buf.truncate(info.buffer_size());
    Ok((info.width, info.height, buf))
}

/// A square RGBA image of side `from` scaled down to side `to`: each output pixel is the
/// area-weighted mean of the input pixels under it (alpha-weighted colour, so the
/// transparent corners do not darken the edge).
fn shrink(rgba: &[u8], from: usize, to: usize) -> Vec<u8> {
    let scale = from as f64 / to as f64;
    let mut out = vec![0u8; to * to * 4];
    for oy in 0..to {
        for ox in 0..to {
            let (x0, x1) = (ox as f64 * scale, (ox + 1) as f64 * scale);
            let (y0, y1) = (oy as f64 * scale, (oy + 1) as f64 * scale);
            let mut acc = [0f64; 4];
            let mut total = 0f64;
            for iy in y0.floor() as usize..(y1.ceil() as usize).min(from) {
                let wy = (y1.min(iy as f64 + 1.0) - y0.max(iy as f64)).max(0.0);
                for ix in x0.floor() as usize..(x1.ceil() as usize).min(from) {
                    let wx = (x1.min(ix as f64 + 1.0) - x0.max(ix as f64)).max(0.0);
                    let w = wx * wy;
                    let p = &rgba[(iy * from + ix) * 4..][..4];
                    let a = p[3] as f64 / 255.0;
                    for (sum, &v) in acc.iter_mut().zip(&p[..3]) {
                        *sum += v as f64 * a * w;
                    }
                    acc[3] += a * w;
                    total += w;
                }
            }
            let o = &mut out[(oy * to + ox) * 4..][..4];
            let alpha = acc[3];
            if alpha > 0.0 {
                for (v, sum) in o[..3].iter_mut().zip(&acc[..3]) {
                    *v = (sum / alpha).round().clamp(0.0, 255.0) as u8;
                }
            }
            o[3] = (acc[3] / total * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// The image over an opaque background colour.
fn on_background(rgba: &[u8], bg: [u8; 3]) -> Vec<u8> {
    let mut out = rgba.to_vec();
    for p in out.chunks_exact_mut(4) {
        let a = p[3] as u32;
        for (v, &b) in p[..3].iter_mut().zip(&bg) {
            *v = ((*v as u32 * a + b as u32 * (255 - a) + 127) / 255) as u8;
        }
        p[3] = 255;
    }
    out
}

/// A square 8-bit RGBA PNG.
fn encode(side: u32, rgba: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| format!("icon: {e}"))?;
        w.write_image_data(rgba).map_err(|e| format!("icon: {e}"))?;
    }
    Ok(out)
}

/// Writes `bytes` into `dir` as `<stem>-<hash>.<ext>` and returns that name.
fn write_hashed(dir: &Path, stem: &str, ext: &str, bytes: &[u8]) -> Result<String> {
    let digest = Sha256::digest(bytes);
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("{stem}-{hash}.{ext}");
    fs::write(dir.join(&name), bytes).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_keeps_flat_colour_and_transparent_corners() {
        let side = 8;
        let mut img = vec![0u8; side * side * 4];
        for (i, p) in img.chunks_exact_mut(4).enumerate() {
            if i != 0 {
                p.copy_from_slice(&[10, 110, 80, 255]);
            }
        }
        let small = shrink(&img, side, 4);
        // The corner block has one transparent pixel of four: colour kept, alpha 3/4.
        assert_eq!(&small[..4], &[10, 110, 80, 191]);
        assert_eq!(&small[4..8], &[10, 110, 80, 255]);
        let filled = on_background(&img, [1, 2, 3]);
        assert_eq!(&filled[..4], &[1, 2, 3, 255]);
    }

    #[test]
    fn the_worker_lists_the_shell_and_leaves_the_api_alone() {
        let w = worker("abcd", "/", &["/".into(), "/handoff-ui-1.js".into()]);
        assert!(w.contains("\"/handoff-ui-1.js\""));
        assert!(w.contains("handoff-shell-abcd"));
        assert!(!w.contains("/v1"));
    }
}
