//! Handoff's consumer page: what a shopper's phone opens from the QR code on a pack. It
//! reads the Digital Link from its own address, fetches the chain's genesis (served
//! beside the page's files: the anchor) and a node's evidence, checks the evidence with
//! `handoff-core` compiled to wasm ([`check`]), and shows the verdict, its reasons in
//! everyday words and the journey — or "could not verify" when the node's answer does
//! not check. English or Chinese by the browser's language ([`words`]). Opened
//! without a code (at `/c/`), or under a verdict, it offers the phone's camera
//! ([`camera`]): a product's QR code read in the page ([`scan`]) opens its Digital Link.

mod camera;
mod check;
mod scan;
mod words;

use check::{Outcome, View};
use handoff_api::EvidenceRequest;
use handoff_core::gs1::resolve::resolver_request;
use handoff_core::query::Verdict;
use leptos::prelude::*;
use scan::Target;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use words::{Lang, date};

/// Where the page stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    Checking,
    NoCode,
    Done(Outcome),
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(Page);
}

async fn fetch_text(url: &str) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    let headers = web_sys::Headers::new().map_err(|_| "no headers")?;
    let _ = headers.set("Accept", "application/json");
    init.set_headers(&headers);
    let answer = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| format!("{url}: the node could not be reached"))?;
    let resp: web_sys::Response = answer.dyn_into().map_err(|_| "not a response")?;
    let status = resp.status();
    let text = JsFuture::from(resp.text().map_err(|_| "no body")?)
        .await
        .map_err(|_| "the answer could not be read")?
        .as_string()
        .unwrap_or_default();
    Ok((status, text))
}

/// The error a node answered (`{"error": {"code", "message"}}`), as "could not verify".
fn node_refusal(status: u16, body: &str) -> Outcome {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    Outcome::CouldNotVerify {
        code: v["error"]["code"]
            .as_str()
            .unwrap_or("NODE_ERROR")
            .to_string(),
        message: v["error"]["message"].as_str().map_or_else(
            || format!("the node answered HTTP {status}"),
            str::to_string,
        ),
    }
}

async fn run(scan: String) -> Outcome {
    let unreachable = |e: String| Outcome::CouldNotVerify {
        code: "NODE_UNREACHABLE".into(),
        message: e,
    };
    let genesis = match fetch_text("/c/genesis.json").await {
        Ok((200, t)) => t,
        Ok((s, t)) => return node_refusal(s, &t),
        Err(e) => return unreachable(e),
    };
    let anchor = match check::anchor(&genesis) {
        Ok(a) => a,
        Err(o) => return o,
    };
    let target = match handoff_api::wire::encode(&EvidenceRequest { scan: scan.clone() }) {
        Ok((t, _)) => t,
        Err(e) => {
            return Outcome::CouldNotVerify {
                code: e.code,
                message: e.message,
            };
        }
    };
    match fetch_text(&target).await {
        Ok((200, body)) => check::judge(&anchor, &body, &scan, js_sys::Date::now() as i64),
        Ok((s, t)) => node_refusal(s, &t),
        Err(e) => unreachable(e),
    }
}

#[component]
fn Page() -> impl IntoView {
    let window = web_sys::window();
    let lang = window
        .as_ref()
        .and_then(|w| w.navigator().language())
        .map_or(Lang::En, |t| Lang::from_tag(&t));
    if let Some(doc) = window.as_ref().and_then(|w| w.document())
        && let Some(el) = doc.document_element()
    {
        let _ = el.set_attribute("lang", if lang == Lang::Zh { "zh-CN" } else { "en" });
    }
    let location = window.as_ref().map(|w| w.location());
    let path = location
        .as_ref()
        .and_then(|l| l.pathname().ok())
        .unwrap_or_default();
    let search = location
        .as_ref()
        .and_then(|l| l.search().ok())
        .unwrap_or_default();
    let query = search.strip_prefix('?').filter(|q| !q.is_empty());
    let request = resolver_request(&path, query);
    let stage = RwSignal::new(match request {
        Some(_) => Stage::Checking,
        None => Stage::NoCode,
    });
    if let Some(r) = request {
        leptos::task::spawn_local(async move {
            let out = run(r.scan).await;
            stage.set(Stage::Done(out));
        });
    }
    view! {
        <main class="page">
            <header class="top">"Handoff"</header>
            {move || match stage.get() {
                Stage::Checking => view! { <p class="checking">{lang.checking()}</p> }.into_any(),
                Stage::NoCode => view! { <p class="checking">{lang.no_code()}</p> }.into_any(),
                Stage::Done(Outcome::CouldNotVerify { code, message }) => view! {
                    <section class="verdict unverified" data-verdict="unverified">
                        <div class="mark">"?"</div>
                        <h1>{lang.unverified()}</h1>
                    </section>
                    <p class="note">{lang.unverified_note()}</p>
                    <p class="detail" data-code=code.clone()>{format!("{code}: {message}")}</p>
                }
                .into_any(),
                Stage::Done(Outcome::Checked(v)) => checked(lang, *v).into_any(),
            }}
            {move || match stage.get() {
                Stage::Checking => None,
                Stage::NoCode => Some(view! { <Scanner lang=lang first=true /> }),
                Stage::Done(_) => Some(view! { <Scanner lang=lang first=false /> }),
            }}
        </main>
    }
}

fn checked(lang: Lang, v: View) -> impl IntoView {
    let (class, mark, word) = match v.verdict {
        Verdict::Genuine => ("genuine", "✓", "genuine"),
        Verdict::Warning => ("warning", "!", "warning"),
        Verdict::Counterfeit => ("counterfeit", "✗", "counterfeit"),
    };
    let recalled = v.has("RECALLED");
    let stolen = v.has("STOLEN");
    let reasons: Vec<_> = v
        .reasons
        .iter()
        .map(|(code, message)| {
            let text = lang
                .reason(code)
                .map_or_else(|| message.clone(), str::to_string);
            view! { <li data-code=code.clone()>{text}</li> }
        })
        .collect();
    let steps: Vec<_> = v
        .journey
        .iter()
        .map(|s| {
            let place = s.at.as_deref().map(|g| lang.at(g)).unwrap_or_default();
            view! {
                <li class="step" data-kind=s.kind.clone()>
                    <span class="when">{date(s.time_ms)}</span>
                    <span class="what">{lang.step(s)}</span>
                    <span class="where">{place}</span>
                </li>
            }
        })
        .collect();
    let has_journey = !steps.is_empty();
    let certs: Vec<_> = v
        .certifications
        .iter()
        .map(|c| {
            let line = lang.cert_line(&c.issuer, c.via, &date(c.from_ms), &date(c.until_ms));
            let number = if c.standard.is_empty() {
                c.number.clone()
            } else {
                format!("{} · {}", c.standard, c.number)
            };
            view! {
                <li class=format!("cert {}", c.status) data-status=c.status data-scheme=c.scheme.clone()>
                    <span class="scheme">{c.scheme.clone()}</span>
                    <span class="status">{lang.cert_status(c.status)}</span>
                    <span class="by">{line}</span>
                    <span class="number">{number}</span>
                </li>
            }
        })
        .collect();
    let has_certs = !certs.is_empty();
    view! {
        {recalled.then(|| view! { <div class="banner recall">{lang.recall_banner()}</div> })}
        {stolen.then(|| view! { <div class="banner stolen">{lang.stolen_banner()}</div> })}
        <section class=format!("verdict {class}") data-verdict=word>
            <div class="mark">{mark}</div>
            <h1>{lang.verdict(v.verdict)}</h1>
            {v.product.clone().map(|p| view! { <p class="product">{p}</p> })}
        </section>
        <ul class="reasons">{reasons}</ul>
        {has_journey.then(|| view! {
            <h2>{lang.journey()}</h2>
            <ol class="journey">{steps}</ol>
        })}
        {has_certs.then(|| view! {
            <h2>{lang.certifications()}</h2>
            <ul class="certs">{certs}</ul>
        })}
        <p class="proof">{lang.proven(v.height, &v.chain, v.signed)}</p>
    }
}

/// The camera: a button that opens it, the viewfinder while it looks for a code, and a
/// note when what it read is no product code or the camera cannot be used. Not shown
/// where the browser has no camera to offer.
#[component]
fn Scanner(lang: Lang, first: bool) -> impl IntoView {
    let scanning = RwSignal::new(false);
    let note = RwSignal::new(None::<&'static str>);
    let video = NodeRef::<leptos::html::Video>::new();
    let start = move |_| {
        if scanning.get_untracked() {
            return;
        }
        let Some(v) = video.get_untracked() else {
            return;
        };
        note.set(None);
        scanning.set(true);
        leptos::task::spawn_local(look(v, scanning, note));
    };
    let label = if first {
        lang.scan_button()
    } else {
        lang.scan_another()
    };
    camera::available().then(|| {
        view! {
            <section class="scanner">
                <div class="camera" class:on=move || scanning.get()>
                    <video node_ref=video class="viewfinder"></video>
                    <p class="hint">{lang.scan_hint()}</p>
                    <button class="cancel" on:click=move |_| scanning.set(false)>
                        {lang.scan_cancel()}
                    </button>
                </div>
                {move || {
                    note.get()
                        .map(|code| {
                            let text = if code == "NOT_A_PRODUCT" {
                                lang.not_a_product_code()
                            } else {
                                lang.camera_problem(code)
                            };
                            view! { <p class="scan-note" data-note=code>{text}</p> }
                        })
                }}
                <button class="scan" data-action="scan" hidden=move || scanning.get() on:click=start>
                    {label}
                </button>
            </section>
        }
    })
}

/// Looks at the camera's frames until a code is read or the shopper cancels: a product
/// code opens its Digital Link on this host (its verdict then shows); any other code
/// leaves a note and the camera looking.
async fn look(
    video: web_sys::HtmlVideoElement,
    scanning: RwSignal<bool>,
    note: RwSignal<Option<&'static str>>,
) {
    let stream = match camera::open(&video).await {
        Ok(s) => s,
        Err(code) => {
            let _ = scanning.try_set(false);
            let _ = note.try_set(Some(code));
            return;
        }
    };
    let canvas: Option<web_sys::HtmlCanvasElement> = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|c| c.dyn_into().ok());
    while scanning.try_get_untracked().unwrap_or(false) {
        if let Some(c) = &canvas
            && let Some((w, h, luma)) = camera::grab(&video, c)
        {
            match scan::pick(&scan::codes_in(w, h, &luma)) {
                Some(Target::Open(path)) => {
                    camera::close(&video, &stream);
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().assign(&path);
                    }
                    return;
                }
                Some(Target::NotAProduct) => {
                    let _ = note.try_set(Some("NOT_A_PRODUCT"));
                }
                None => {}
            }
        }
        camera::sleep(camera::FRAME_EVERY_MS).await;
    }
    camera::close(&video, &stream);
}
