//! The screens: Scan, Item, Inbox/Outbox, Products & labels, Pack, Node.

use crate::app::{Arg, Ctx, Notice, Tab, set_setting};
use crate::backend::{self, ApiError};
use crate::camera;
use crate::certs::{CertSection, DocumentsPanel};
use crate::i18n::{Lang, datetime, datetime_ms, fill, number, t};
use crate::picture::ProductPicture;
use crate::scan::{Added, Batch, normalize};
use handoff_api as api;
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use wasm_bindgen::JsCast;

/// An optional value as text (empty when absent).
fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// A short tone: high for a good scan, low for a bad one.
pub(crate) fn beep(ok: bool) {
    let Ok(ac) = web_sys::AudioContext::new() else {
        return;
    };
    let (Ok(osc), Ok(gain)) = (ac.create_oscillator(), ac.create_gain()) else {
        return;
    };
    osc.frequency().set_value(if ok { 1320.0 } else { 220.0 });
    gain.gain().set_value(0.08);
    let _ = osc.connect_with_audio_node(&gain);
    let _ = gain.connect_with_audio_node(&ac.destination());
    let t0 = ac.current_time();
    let _ = osc.start();
    let _ = osc.stop_with_when(t0 + if ok { 0.07 } else { 0.25 });
}

fn is_form_field(target: Option<web_sys::EventTarget>) -> bool {
    target
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|e| {
            let tag = e.tag_name().to_ascii_uppercase();
            matches!(
                tag.as_str(),
                "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON" | "OPTION" | "LABEL" | "A"
            ) || e
                .closest("button, label, a, select")
                .ok()
                .flatten()
                .is_some()
        })
        .unwrap_or(false)
}

/// Runs an action with the busy indicator; errors go to the banner.
pub(crate) fn act<T, F>(ctx: Ctx, fut: F, ok: impl FnOnce(T) + 'static)
where
    T: 'static,
    F: std::future::Future<Output = Result<T, ApiError>> + 'static,
{
    ctx.busy.set(true);
    spawn_local(async move {
        match fut.await {
            Ok(v) => ok(v),
            Err(e) => {
                beep(false);
                ctx.fail(e);
            }
        }
        ctx.busy.set(false);
    });
}

/// The confirmation of an action a light node queued instead of committing (`None`: the
/// action was committed).
pub(crate) fn queued_note(queued: Option<&[api::QueuedTx]>) -> Option<Notice> {
    queued.map(|queued| {
        let seqs: Vec<String> = queued.iter().map(|q| format!("#{}", q.seq)).collect();
        Notice::new("notice.queued").arg(Arg::Text(seqs.join(", ")))
    })
}

/// The confirmation of a committed action: `key` with the block it went into.
pub(crate) fn committed_note(key: &'static str, height: Option<u64>) -> Notice {
    Notice::new(key).arg(Arg::Text(opt(height)))
}

fn verdict_badge(lang: Lang, verdict: &str) -> impl IntoView + use<> {
    let key = match verdict {
        "genuine" => "verdict.genuine",
        "warning" => "verdict.warning",
        "counterfeit" => "verdict.counterfeit",
        "recalled" => "verdict.recalled",
        _ => "verdict.unknown",
    };
    view! {
        <span class=format!("verdict verdict-{verdict}") data-testid="verdict">{t(lang, key)}</span>
    }
}

pub(crate) fn event_label(lang: Lang, kind: &str) -> String {
    let (en, zh) = match kind {
        "commission" => ("Commissioned", "赋码入链"),
        "observe" => ("Observed", "记录观察"),
        "pack" => ("Packed", "装箱"),
        "unpack" => ("Unpacked", "拆箱"),
        "handoff_proposed" => ("Shipped", "发货"),
        "handoff_accepted" => ("Received", "收货"),
        "handoff_rejected" => ("Refused", "拒收"),
        "handoff_cancelled" => ("Shipment withdrawn", "撤回发货"),
        "transform" => ("Made into", "加工"),
        "sell" => ("Sold", "售出"),
        "recall" => ("Recalled", "召回"),
        "stolen" => ("Reported stolen", "报失窃"),
        "decommission" => ("Destroyed", "销毁"),
        "correct" => ("Correction", "更正"),
        "claim" => ("Claimed by a consumer", "消费者认领"),
        other => (other, other),
    };
    if lang == Lang::Zh { zh } else { en }.to_string()
}

/// The summary of a scanned thing: product, holder, status, verdict, banners.
#[component]
pub fn ItemSummary(
    thing: api::Thing,
    verdict: Option<api::VerifyResponse>,
    /// A light node's proof: the certified header the record verified against.
    #[prop(optional_no_strip)]
    verified: Option<api::VerifiedAt>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let lang = ctx.lang.get_untracked();
    /// What the card shows of an item, a container or a lot.
    struct Shown {
        key: String,
        kind: String,
        product: Option<api::ProductRef>,
        recalled: bool,
        stolen: bool,
        custodian: String,
        owner: String,
        status: String,
        container: String,
        exception: String,
        n_contents: usize,
    }
    let item = match thing {
        api::Thing::Item(i) => Shown {
            key: i.key,
            kind: i.kind,
            product: i.product,
            recalled: i.recalled.is_some(),
            stolen: i.stolen,
            custodian: i.custodian.name,
            owner: i.owner.name,
            status: i.status,
            container: i.container.unwrap_or_default(),
            exception: i.exception.map(|e| e.kind).unwrap_or_default(),
            n_contents: i.contents.map_or(0, |c| c.len()),
        },
        api::Thing::Lot(l) => Shown {
            key: l.key,
            kind: l.kind,
            product: l.product,
            recalled: l.recalled.is_some(),
            // A lot's thefts are counted in its balances, not flagged on the lot.
            stolen: false,
            custodian: String::new(),
            owner: String::new(),
            status: l.status,
            container: String::new(),
            exception: String::new(),
            n_contents: 0,
        },
    };
    let key = item.key.clone();
    let key_click = key.clone();
    let product = item.product.map(|p| p.name).unwrap_or_default();
    let (recalled, stolen, exception, n_contents) =
        (item.recalled, item.stolen, item.exception, item.n_contents);
    let row = |label: &'static str, value: String| {
        (!value.is_empty()).then(|| {
            view! { <div class="kv"><span class="k">{t(lang, label)}</span><span class="v">{value}</span></div> }
        })
    };
    view! {
        <article class="card item-card" data-testid="item-card" data-key=key.clone()>
            {recalled.then(|| view! { <div class="alert recalled" data-testid="recalled-banner">{t(lang, "item.recalled")}</div> })}
            {stolen.then(|| view! { <div class="alert stolen" data-testid="stolen-banner">{t(lang, "item.stolen")}</div> })}
            <header class="card-head">
                <div>
                    <h2 class="title">{if !product.is_empty() {
                        product
                    } else if item.kind == "container" {
                        t(lang, "item.kind_container").to_string()
                    } else {
                        item.kind.clone()
                    }}</h2>
                    <div class="code">{key.clone()}</div>
                </div>
                {verdict.as_ref().map(|v| verdict_badge(lang, &v.verdict))}
                {verified.map(|v| view! {
                    <span class="verified" data-testid="verified-at">
                        {format!("✓ {} {}", t(lang, "item.verified"), number(lang, v.height as f64))}
                    </span>
                })}
            </header>
            <div class="kvs">
                {row("item.custodian", item.custodian)}
                {row("item.owner", item.owner)}
                {row("item.status", item_status(lang, &item.status))}
                {row("item.container", item.container)}
                {row("item.exception", exception)}
                {(n_contents > 0).then(|| view! {
                    <div class="kv"><span class="k">{t(lang, "item.contents")}</span>
                    <span class="v">{number(lang, n_contents as f64)}</span></div>
                })}
            </div>
            <div class="reasons">
                {verdict.map(|v| v.reasons).unwrap_or_default().into_iter().map(|r| view! {
                    <div class="reason">{r.message}</div>
                }).collect_view()}
            </div>
            <div class="actions">
                <button class="secondary" data-testid="open-timeline" on:click=move |_| {
                    ctx.current.set(Some(key_click.clone()));
                    ctx.tab.set(Tab::Item);
                }>{t(lang, "action.timeline")}</button>
            </div>
        </article>
    }
}

/// Ship the given codes to another org.
#[component]
pub fn ShipPanel(#[prop(into)] codes: Signal<Vec<String>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let orgs = RwSignal::new(Vec::<(String, String)>::new());
    let to = RwSignal::new(String::new());
    let ownership = RwSignal::new(false);
    spawn_local(async move {
        if let Ok(v) = backend::orgs().await {
            let list: Vec<(String, String)> = v.orgs.into_iter().map(|o| (o.name, o.key)).collect();
            orgs.set(list);
        }
    });
    let ship = move |_| {
        let codes = codes.get_untracked();
        let dest = to.get_untracked();
        if dest.is_empty() || codes.is_empty() {
            return;
        }
        let own = ownership.get_untracked();
        act(
            ctx,
            async move { backend::propose(&codes, &dest, own).await },
            move |v| {
                beep(true);
                ctx.done(
                    queued_note(v.queued.as_deref())
                        .unwrap_or_else(|| committed_note("notice.shipped", v.height)),
                )
            },
        );
    };
    view! {
        <div class="panel ship-panel">
            <label class="field">
                <span>{move || ctx.t("action.ship_to")}</span>
                <select data-testid="ship-to" on:change=move |ev| to.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {move || {
                        let me = ctx.me();
                        orgs.get().into_iter().filter(|(n, _)| *n != me).map(|(n, _)| view! {
                            <option value=n.clone()>{n.clone()}</option>
                        }).collect_view()
                    }}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" on:change=move |ev| ownership.set(event_target_checked(&ev))/>
                <span>{move || ctx.t("action.ownership")}</span>
            </label>
            <button class="primary" data-testid="ship-button"
                disabled=move || to.get().is_empty() || codes.get().is_empty() || ctx.busy.get()
                on:click=ship>
                {move || ctx.t("action.ship")}
                {move || { let n = codes.get().len(); (n > 1).then(|| format!(" ({n})")) }}
            </button>
        </div>
    }
}

/// Reads an image file and decodes its QR codes in the app.
async fn read_image(file: web_sys::File) -> Result<Vec<String>, ApiError> {
    use base64::Engine;
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| ApiError::new("BAD_IMAGE", "the file could not be read"))?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let v = backend::decode_image(&b64).await?;
    Ok(v.codes.into_iter().map(|c| c.text).collect())
}

/// Scan: the always-focused scanner input, one item at once or a batch for one action.
#[component]
pub fn ScanScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let input: NodeRef<html::Input> = NodeRef::new();
    let batch_mode = RwSignal::new(false);
    let batch = RwSignal::new(Batch::default());
    let flash = RwSignal::new(None::<bool>);
    let last = RwSignal::new(None::<Added>);
    let result = RwSignal::new(None::<api::LookupResponse>);
    let scan_ms = RwSignal::new(None::<f64>);
    let into = RwSignal::new(String::new());

    let focus = move || {
        if let Some(i) = input.get_untracked() {
            let _ = i.focus();
        }
    };
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    let click = window_event_listener(ev::click, move |e| {
        if !is_form_field(e.target()) {
            focus();
        }
    });
    on_cleanup(move || click.remove());

    let submit = move |raw: String| {
        // An invitation's QR code: the Node screen's join form, with the link in it (the
        // org checks the network it names before it joins).
        if crate::join::is_invitation(&raw) {
            ctx.pending_invite.set(Some(raw.trim().to_string()));
            ctx.tab.set(Tab::Node);
            beep(true);
            ctx.done(Notice::new(if backend::in_app() && !ctx.light() {
                "notice.invite_scanned"
            } else {
                "notice.invite_elsewhere"
            }));
            return;
        }
        let code = normalize(&raw, &ctx.fnc1.get_untracked());
        if code.is_empty() {
            return;
        }
        // A paired phone also lists what it scans for a handoff it signs itself
        // (phone.rs); offline, that is all a scan does.
        if let Some(listed) = crate::phone::collect(&code)
            && !crate::phone::browser_online()
        {
            let good = listed.is_ok();
            flash.set(Some(good));
            beep(good);
            match listed {
                Ok(_) => ctx.error.set(None),
                Err(e) => ctx.fail(e),
            }
            return;
        }
        if batch_mode.get_untracked() {
            let added = batch.try_update(|b| b.add(&code));
            let good = added == Some(Added::New);
            last.set(added);
            flash.set(Some(good));
            beep(good);
            return;
        }
        let start = now_ms();
        scan_ms.set(None);
        ctx.busy.set(true);
        spawn_local(async move {
            match backend::lookup(&code).await {
                Ok(v) => {
                    ctx.error.set(None);
                    ctx.notice.set(None);
                    ctx.current.set(Some(v.scan.canonical.clone()));
                    result.set(Some(v));
                    flash.set(Some(true));
                    beep(true);
                    request_animation_frame(move || {
                        let ms = now_ms() - start;
                        scan_ms.set(Some(ms));
                        spawn_local(backend::timing("scan_to_item_ms", ms));
                    });
                }
                Err(e) => {
                    result.set(None);
                    flash.set(Some(false));
                    beep(false);
                    ctx.fail(e);
                }
            }
            ctx.busy.set(false);
        });
    };

    // A code tried from Home (a search that was a scan, a code to try): looked up now.
    if let Some(code) = ctx.pending_scan.get_untracked() {
        ctx.pending_scan.set(None);
        submit(code);
    }

    let on_files = move |files: Option<web_sys::FileList>| {
        let Some(files) = files else { return };
        let Some(file) = files.get(0) else { return };
        spawn_local(async move {
            match read_image(file).await {
                Ok(codes) if codes.is_empty() => ctx.fail(ApiError::new(
                    "QR_NOT_FOUND",
                    "no QR code was found in that image",
                )),
                Ok(codes) => {
                    if codes.len() > 1 {
                        batch_mode.set(true);
                    }
                    for c in codes {
                        submit(c);
                    }
                }
                Err(e) => ctx.fail(e),
            }
        });
    };

    // Camera: one loop per start; stopping (or leaving the screen) bumps the generation
    // and the loop turns the camera off at its next frame.
    let has_camera = camera::available();
    let camera_on = RwSignal::new(false);
    let video: NodeRef<html::Video> = NodeRef::new();
    let canvas: NodeRef<html::Canvas> = NodeRef::new();
    let generation = Arc::new(AtomicU32::new(0));
    let stop_camera = {
        let generation = generation.clone();
        move || {
            generation.fetch_add(1, Ordering::SeqCst);
            camera_on.set(false);
        }
    };
    {
        let generation = generation.clone();
        on_cleanup(move || {
            generation.fetch_add(1, Ordering::SeqCst);
        });
    }
    let start_camera = {
        let generation = generation.clone();
        let stop_camera = stop_camera.clone();
        move || {
            let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
            let generation = generation.clone();
            let stop_camera = stop_camera.clone();
            let live = move || generation.load(Ordering::SeqCst) == mine;
            camera_on.set(true);
            spawn_local(async move {
                let Some(v) = video.get_untracked() else {
                    return;
                };
                let stream = match camera::open(&v).await {
                    Ok(stream) => stream,
                    Err(e) => {
                        if live() {
                            camera_on.set(false);
                            ctx.fail(e);
                        }
                        return;
                    }
                };
                // The same label held in view is read once, not every frame.
                let mut recent: Option<(String, f64)> = None;
                while live() {
                    camera::sleep(200).await;
                    if !live() {
                        break;
                    }
                    let (Some(v), Some(c)) = (video.get_untracked(), canvas.get_untracked()) else {
                        break;
                    };
                    let Some(frame) = camera::grab(&v, &c) else {
                        continue;
                    };
                    let found = backend::decode_image(&frame).await;
                    if !live() {
                        break;
                    }
                    match found {
                        Ok(found) => {
                            let texts: Vec<String> =
                                found.codes.into_iter().map(|c| c.text).collect();
                            let now = now_ms();
                            for text in texts {
                                if matches!(&recent, Some((t, at)) if *t == text && now - at < 2500.0)
                                {
                                    continue;
                                }
                                recent = Some((text.clone(), now));
                                submit(text);
                                if !batch_mode.get_untracked() {
                                    stop_camera();
                                    break;
                                }
                            }
                        }
                        Err(e) => {
                            ctx.fail(e);
                            stop_camera();
                        }
                    }
                }
                camera::close(&stream);
                if let Some(v) = video.try_get_untracked().flatten() {
                    v.set_src_object(None);
                }
            });
        }
    };

    let codes = Signal::derive(move || {
        if batch_mode.get() {
            batch.get().codes()
        } else {
            ctx.current.get().into_iter().collect()
        }
    });

    view! {
        <section class="screen scan-screen"
            on:dragover=move |ev: web_sys::DragEvent| ev.prevent_default()
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                on_files(ev.data_transfer().and_then(|d| d.files()));
            }>
            <div class="scan-row" class:flash-ok=move || flash.get() == Some(true) class:flash-bad=move || flash.get() == Some(false)>
                <input class="scan-input" data-testid="scan-input" node_ref=input
                    autocomplete="off" autocapitalize="off" spellcheck="false"
                    placeholder=move || ctx.t("scan.placeholder")
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            let v = event_target_value(&ev);
                            if let Some(i) = input.get_untracked() { i.set_value(""); }
                            submit(v);
                        }
                    }/>
            </div>
            <div class="toolbar">
                <label class="check">
                    <input type="checkbox" data-testid="batch-toggle"
                        prop:checked=move || batch_mode.get()
                        on:change=move |ev| { batch_mode.set(event_target_checked(&ev)); focus(); }/>
                    <span>{move || ctx.t("scan.batch")}</span>
                </label>
                <label class="file-button">
                    <input type="file" accept="image/*" data-testid="image-input"
                        on:change=move |ev| {
                            let files = ev.target()
                                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                                .and_then(|i| i.files());
                            on_files(files);
                        }/>
                    <span>{move || ctx.t("scan.image")}</span>
                </label>
                {has_camera.then(|| {
                    let start_camera = start_camera.clone();
                    let stop_camera = stop_camera.clone();
                    view! {
                        <button class="file-button" data-testid="camera-button"
                            on:click=move |_| if camera_on.get_untracked() { stop_camera() } else { start_camera() }>
                            {move || ctx.t(if camera_on.get() { "scan.camera_stop" } else { "scan.camera" })}
                        </button>
                    }
                })}
            </div>
            <div class="camera" class:hidden=move || !camera_on.get() data-testid="camera-view">
                <video node_ref=video muted=true playsinline=true></video>
                <canvas node_ref=canvas class="hidden"></canvas>
            </div>
            <p class="hint">{move || ctx.t("scan.hint")}</p>
            <crate::phone::PhoneCard/>
            {move || if batch_mode.get() {
                view! {
                    <div class="card batch" data-testid="batch-list">
                        <div class="batch-head">
                            <span class="batch-count" data-testid="batch-count">{move || batch.get().count()}</span>
                            <span>{move || ctx.t("scan.batch_count")}</span>
                            <button class="ghost" on:click=move |_| batch.set(Batch::default())>{move || ctx.t("scan.clear")}</button>
                        </div>
                        <ol class="batch-entries">
                            {move || {
                                let b = batch.get();
                                let lang = ctx.lang.get();
                                let mut seen: Vec<String> = Vec::new();
                                b.entries.iter().map(|e| {
                                    let (class, note) = match &e.parsed {
                                        Ok(c) if seen.contains(c) => ("dup", t(lang, "scan.duplicate").to_string()),
                                        Ok(c) => { seen.push(c.clone()); ("ok", c.clone()) }
                                        Err((code, msg)) => ("bad", format!("{msg} [{code}]")),
                                    };
                                    view! { <li class=class data-testid=format!("batch-{class}")>
                                        <span class="raw">{e.raw.clone()}</span><span class="note">{note}</span>
                                    </li> }
                                }).collect_view()
                            }}
                        </ol>
                        <div class="batch-dup" data-testid="batch-last">
                            {move || match last.get() {
                                Some(Added::Duplicate) => ctx.t("scan.duplicate"),
                                Some(Added::Invalid) => ctx.t("scan.invalid"),
                                _ => "",
                            }}
                        </div>
                        <ShipPanel codes=codes/>
                        <div class="panel">
                            <label class="field">
                                <span>{move || ctx.t("action.pack_into")}</span>
                                <input type="text" data-testid="batch-pack-into" on:input=move |ev| into.set(event_target_value(&ev))/>
                            </label>
                            <button class="secondary" data-testid="batch-pack"
                                disabled=move || into.get().is_empty() || codes.get().is_empty()
                                on:click=move |_| {
                                    let c = codes.get_untracked();
                                    let i = into.get_untracked();
                                    act(ctx, async move { backend::pack(&i, &c).await }, move |v| {
                                        batch.set(Batch::default());
                                        ctx.done(queued_note(v.queued.as_deref()).unwrap_or_else(|| Notice::new("msg.packed")));
                                    });
                                }>{move || ctx.t("action.pack")}</button>
                        </div>
                        <ReceivePanel codes=codes/>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div data-scan-ms=move || scan_ms.get().map(|m| format!("{m:.1}")) data-testid="scan-result">
                        {move || result.get().map(|v| view! {
                            <ItemSummary thing=v.thing.item verdict=v.verdict verified=v.verified/>
                            {v.handoff.filter(|h| incoming_for_me(ctx, h)).map(|h| view! {
                                <h2 class="section">{ctx.t("scan.incoming")}</h2>
                                <HandoffCard h=h incoming=true/>
                            })}
                            <ShipPanel codes=codes/>
                        })}
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// Whether `h` (a scan's `handoff`) is an open offer to the acting org.
fn incoming_for_me(ctx: Ctx, h: &api::HandoffView) -> bool {
    h.status == "open" && !h.to.key.is_empty() && h.to.key == ctx.my_org()
}

/// Receive what a batch scanned: accept each incoming handoff it matches; entries of the
/// handoff that were not scanned are reported missing.
#[component]
fn ReceivePanel(#[prop(into)] codes: Signal<Vec<String>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let receive = move |_| {
        let scanned = codes.get_untracked();
        act(
            ctx,
            async move {
                let incoming = match backend::inbox().await {
                    Ok(inbox) => inbox.incoming,
                    // A light node has no inbox: the offers the scanned things travel in.
                    Err(e) if e.code == "LIGHT_NODE" => {
                        let mut found: Vec<api::HandoffView> = Vec::new();
                        for c in &scanned {
                            // A code the chain does not know is no reason to stop; no peer is.
                            let h = match backend::lookup(c).await {
                                Ok(v) => v.handoff,
                                Err(e) if e.code == "NO_PEER" => return Err(e),
                                // A record that could not be verified may hide an offer:
                                // say so rather than skip it.
                                Err(e) if crate::app::unverified(&e.code) => return Err(e),
                                Err(_) => continue,
                            };
                            if let Some(h) = h
                                && incoming_for_me(ctx, &h)
                                && !found.iter().any(|f| f.id == h.id)
                            {
                                found.push(h);
                            }
                        }
                        found
                    }
                    Err(e) => return Err(e),
                };
                let mut n = 0;
                for h in incoming {
                    let entries: Vec<String> = h.entries.into_iter().map(|e| e.key).collect();
                    if !entries.iter().any(|e| scanned.contains(e)) {
                        continue;
                    }
                    let missing: Vec<String> = entries
                        .into_iter()
                        .filter(|e| !scanned.contains(e))
                        .collect();
                    backend::accept(&h.id, &missing, &[]).await?;
                    n += 1;
                }
                if n == 0 {
                    return Err(ApiError::new(
                        "NOTHING_TO_RECEIVE",
                        "none of the scanned codes is in an incoming handoff",
                    ));
                }
                Ok(n)
            },
            move |n| {
                // A light node queued the acceptances; they are not committed yet.
                let what = if ctx.light() {
                    "notice.queued_n"
                } else {
                    "notice.received_n"
                };
                ctx.done(Notice::new(what).arg(Arg::Number(n)))
            },
        );
    };
    view! {
        <div class="panel">
            <button class="secondary" data-testid="batch-receive" disabled=move || codes.get().is_empty() on:click=receive>
                {move || ctx.t("action.receive")}
            </button>
        </div>
    }
}

/// Item: the provenance timeline.
#[component]
pub fn ItemScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // The history (`None`: a light node that cannot fetch it whole for one answer, which
    // says so) and the lookup. A light node's history is verified: its `verified` names
    // the certified block every event was checked against.
    let data = RwSignal::new(None::<(Option<api::ItemHistoryResponse>, api::LookupResponse)>);
    // A full node's proof of the record: the block it verified against, shown only when
    // the proof verified against a certified header (never assumed).
    let proven = RwSignal::new(None::<api::VerifiedAt>);
    Effect::new(move |_| {
        ctx.version.get();
        let Some(code) = ctx.current.get() else {
            return;
        };
        spawn_local(async move {
            let h = backend::history(&code).await;
            let l = backend::lookup(&code).await;
            proven.set(None);
            // A light node's history names its header already; a full node proves the
            // record on request.
            if h.as_ref().is_ok_and(|h| h.verified.is_none())
                && let Ok(p) = backend::item_proof(&code).await
            {
                proven.set(p.proof.filter(|p| p.verified && p.certified).map(|p| {
                    api::VerifiedAt {
                        height: p.height,
                        state_root: p.state_root,
                        header_hash: p.header_hash,
                    }
                }));
            }
            match (h, l) {
                (Ok(h), Ok(l)) => data.set(Some((Some(h), l))),
                // A history longer than a light node fetches for one answer: the verified
                // record, and why there is no timeline.
                (Err(e), Ok(l)) if e.code == "HISTORY_TOO_LONG" => data.set(Some((None, l))),
                (Err(e), _) | (_, Err(e)) => ctx.fail(e),
            }
        });
    });
    view! {
        <section class="screen item-screen">
            {move || match data.get() {
                None => view! { <p class="hint">{ctx.t("item.none")}</p> }.into_any(),
                Some((None, l)) => view! {
                    <ItemSummary thing=l.thing.item verdict=l.verdict verified=l.verified/>
                    <p class="hint" data-testid="history-light">{ctx.t("item.history_light")}</p>
                }.into_any(),
                Some((Some(h), l)) => {
                    let lang = ctx.lang.get();
                    let events = h.events;
                    let n = events.len();
                    let code = ctx.current.get_untracked().unwrap_or_default();
                    let light_verified = h.verified.clone();
                    view! {
                        <ItemSummary thing=l.thing.item verdict=l.verdict verified=h.verified.or_else(|| proven.get())/>
                        <CertSection code=code.clone()/>
                        <h3 class="section">{format!("{} {}", number(lang, n as f64), t(lang, "item.events"))}</h3>
                        {light_verified.map(|v| view! {
                            <p class="hint" data-testid="history-verified">
                                {fill(t(lang, "item.history_verified"), &[number(lang, v.height as f64)])}
                            </p>
                        })}
                        <ol class="timeline" data-testid="timeline">
                            {events.into_iter().map(|e| {
                                let via = e.via.clone();
                                let via_note = match via.as_str() {
                                    "container" => Some(t(lang, "via.container")),
                                    "input" => Some(t(lang, "via.input")),
                                    _ => None,
                                };
                                let party = e.counterparty_name.clone().unwrap_or_default();
                                let at = e.at.clone().unwrap_or_default();
                                // The event's attributes, a free-form map of names to values.
                                let details: Vec<(String, String)> =
                                    e.data.clone().map(|d| d.into_iter().collect()).unwrap_or_default();
                                view! {
                                    <li class=format!("event via-{via}") data-testid="timeline-event" data-type=e.kind.clone()>
                                        <div class="when">{datetime(lang, &e.time)}</div>
                                        <div class="what">
                                            <strong>{event_label(lang, &e.kind)}</strong>
                                            {(!party.is_empty()).then(|| view! { <span class="party">{format!(" ↔ {party}")}</span> })}
                                        </div>
                                        <div class="who">{e.by_name.clone()}
                                            {(!at.is_empty()).then(|| view! { <span class="gln">{format!(" · GLN {at}")}</span> })}
                                        </div>
                                        {via_note.map(|v| view! { <div class="via">{format!("{v}: {}", e.subject)}</div> })}
                                        {e.quantity.map(|q| view! {
                                            <div class="qty">{number(lang, q as f64)}</div>
                                        })}
                                        {(!details.is_empty()).then(|| view! {
                                            <div class="data">{details.into_iter().map(|(k, v)| view! {
                                                <span class="tag">{format!("{k}: {v}")}</span>
                                            }).collect_view()}</div>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                        <DocumentsPanel links=vec![code.clone()]/>
                        // EPCIS export reads a full node's blocks; a light node has none.
                        {(!ctx.light()).then(|| view! {
                            <div class="actions">
                                <button class="secondary" data-testid="item-export-epcis"
                                    on:click=move |_| crate::exchange::export(ctx, Some(code.clone()), "jsonld".into())>
                                    {t(lang, "epcis.export_item")}
                                </button>
                            </div>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}

/// What a handoff transfers (`custody`, `ownership`, `both`) in `lang`; an unknown value
/// as it is.
fn transfer_text(lang: Lang, transfer: &str) -> String {
    match transfer {
        "custody" => t(lang, "transfer.custody").to_string(),
        "ownership" => t(lang, "transfer.ownership").to_string(),
        "both" => t(lang, "transfer.both").to_string(),
        other => other.to_string(),
    }
}

/// One incoming or outgoing handoff: who, what it carries by product, and for an
/// incoming one the receiving tally (`receive.rs`) or a refusal.
#[component]
pub(crate) fn HandoffCard(h: api::HandoffView, incoming: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let lang = ctx.lang.get_untracked();
    let id = h.id.clone();
    let doc_link = h.id.clone();
    let reason = RwSignal::new(String::new());
    // The tally opens on request: a card lists what arrives, counting is a step.
    let receiving = RwSignal::new(false);
    let (id2, id3) = (id.clone(), id.clone());
    let reject = move |_| {
        let id = id2.clone();
        let why = reason.get_untracked();
        act(
            ctx,
            async move { backend::reject(&id, &why).await },
            move |v| {
                ctx.done(
                    queued_note(v.queued.as_deref()).unwrap_or_else(|| Notice::new("msg.rejected")),
                )
            },
        );
    };
    let cancel = move |_| {
        let id = id3.clone();
        act(ctx, async move { backend::cancel(&id).await }, move |v| {
            ctx.done(
                queued_note(v.queued.as_deref()).unwrap_or_else(|| Notice::new("msg.cancelled")),
            )
        });
    };
    let other = if incoming {
        format!("{} {}", t(lang, "inbox.from"), h.from.name)
    } else {
        format!("{} {}", t(lang, "inbox.to"), h.to.name)
    };
    let tally_h = h.clone();
    view! {
        <article class="card handoff" data-testid=if incoming { "handoff-incoming" } else { "handoff-outgoing" } data-id=id.clone()>
            <header class="card-head">
                <div>
                    <h3 class="title">{other}</h3>
                    <div class="code">{format!("#{}", &id[..id.len().min(12)])}
                        {format!(" · {}", datetime(lang, &h.proposed_time))}</div>
                </div>
                <span class="pill" data-testid="handoff-transfer">{transfer_text(lang, &h.transfer)}</span>
            </header>
            <div class="docs">{h.docs.iter().map(|d| view! {
                <span class="tag">{format!("{}: {}", crate::certs::doc_kind_text(lang, &d.kind), d.id)}</span>
            }).collect_view()}</div>
            <crate::receive::GoodsSummary h=h.clone()/>
            // The keys themselves, for whoever needs them (labels, a phone call).
            <details class="handoff-keys">
                <summary>{t(lang, "goods.keys")}</summary>
                <ul class="keys">{h.entries.iter().map(|e| view! {
                    <li class="code">{match e.quantity {
                        Some(q) => format!("{} × {q}", e.key),
                        None => e.key.clone(),
                    }}</li>
                }).collect_view()}</ul>
            </details>
            {if incoming {
                view! {
                    {move || if receiving.get() {
                        view! { <crate::receive::TallyPanel h=tally_h.clone()/> }.into_any()
                    } else {
                        view! {
                            <div class="actions">
                                <button class="primary" data-testid="tally-open" on:click=move |_| receiving.set(true)>{t(lang, "tally.open")}</button>
                            </div>
                        }.into_any()
                    }}
                    <div class="actions reject-row">
                        <input type="text" class="reason" placeholder=t(lang, "inbox.reason") on:input=move |ev| reason.set(event_target_value(&ev))/>
                        <button class="danger" data-testid="reject-button" on:click=reject>{t(lang, "action.reject")}</button>
                    </div>
                }.into_any()
            } else {
                view! { <div class="actions"><button class="secondary" data-testid="cancel-button" on:click=cancel>{t(lang, "action.cancel")}</button></div> }.into_any()
            }}
            <details class="handoff-docs" data-testid="handoff-docs">
                <summary>{t(lang, "doc.title")}</summary>
                <DocumentsPanel links=vec![doc_link]/>
            </details>
        </article>
    }
}

/// Inbox and outbox.
#[component]
pub fn InboxScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let data = RwSignal::new(None::<api::InboxResponse>);
    // A light node that has not found its org yet says so: shown in place, not as a banner that
    // would come back with every refresh.
    let light_note = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| {
        ctx.version.get();
        ctx.status.get();
        spawn_local(async move {
            match backend::inbox().await {
                Ok(v) => {
                    // Set only on a change: the lists below are redrawn when it changes. The
                    // screen may have been left while the answer was on its way: its signals
                    // are then gone, and nothing is set.
                    if light_note.try_with_untracked(Option::is_some) == Some(true) {
                        light_note.set(None);
                    }
                    data.set(Some(v));
                }
                Err(e) if crate::home::light_note(&e) => {
                    data.set(None);
                    light_note.set(Some(e));
                }
                Err(e) => ctx.fail(e),
            }
        });
    });
    // Cards are keyed by what they show: a refresh (each new block, each status poll)
    // keeps the cards whose handoff did not change, with what staff were doing in them (a
    // tally half counted, a reason half typed).
    let list = move |incoming: bool| {
        let items = Memo::new(move |_| {
            data.with(|d| {
                d.as_ref()
                    .map(|d| {
                        if incoming {
                            d.incoming.clone()
                        } else {
                            d.outgoing.clone()
                        }
                    })
                    .unwrap_or_default()
            })
        });
        view! {
            <Show when=move || items.with(|v| !v.is_empty())
                fallback=move || view! { <p class="hint">{ctx.t("inbox.empty")}</p> }>
                <For each=move || items.get()
                    key=card_key
                    children=move |h| view! { <HandoffCard h=h incoming=incoming/> }/>
            </Show>
        }
    };
    view! {
        <section class="screen inbox-screen">
            {move || light_note.get().map(|e| view! {
                // Said in the language on screen (the node's own words are English).
                <div class="card light-note" data-testid="light-node-note" title=e.message.clone()>
                    <div class="banner-message">{ctx.t("inbox.light_node")}</div>
                    <div class="banner-code">{e.code.clone()}</div>
                    <p class="hint" data-testid="light-receive-hint">{ctx.t("inbox.light_scan")}</p>
                </div>
            })}
            {move || data.get().map(|d| view! { <crate::home::Freshness light=d.light.clone()/> })}
            {move || light_note.get().is_none().then(|| view! {
                <h2 class="section">{move || ctx.t("inbox.incoming")}</h2>
                <div data-testid="inbox-incoming">{list(true)}</div>
                <h2 class="section">{move || ctx.t("inbox.outgoing")}</h2>
                <div data-testid="inbox-outgoing">{list(false)}</div>
            })}
        </section>
    }
}

/// What identifies an inbox card: the handoff and everything about it that can change
/// while it is open (its goods resolve on a light node, it closes).
fn card_key(h: &api::HandoffView) -> (String, String, usize, usize, Option<u64>) {
    (
        h.id.clone(),
        h.status.clone(),
        h.goods.len(),
        h.entries.len(),
        h.closed_height,
    )
}

fn field(
    ctx: Ctx,
    key: &'static str,
    sig: RwSignal<String>,
    id: &'static str,
) -> impl IntoView + use<> {
    view! {
        <label class="field">
            <span>{move || ctx.t(key)}</span>
            <input type="text" data-testid=id prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
        </label>
    }
}

/// Products & labels.
#[component]
pub fn ProductsScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let gtin = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let desc = RwSignal::new(String::new());
    let product = RwSignal::new(None::<api::ProductView>);
    let first = RwSignal::new(String::new());
    let count = RwSignal::new("10".to_string());
    let lot = RwSignal::new(String::new());
    let qty = RwSignal::new(String::new());
    let label_code = RwSignal::new(String::new());
    let size = RwSignal::new("50x30".to_string());
    let format = RwSignal::new("svg".to_string());
    let label = RwSignal::new(None::<api::LabelResponse>);

    let lookup = move |_| {
        let g = gtin.get_untracked();
        act(ctx, async move { backend::product(&g).await }, move |v| {
            product.set(Some(v.product))
        });
    };
    let define = move |_| {
        let (g, n, d) = (
            gtin.get_untracked(),
            name.get_untracked(),
            desc.get_untracked(),
        );
        act(
            ctx,
            async move { backend::define_product(&g, &n, &d).await },
            move |_| ctx.done(Notice::new("msg.defined")),
        );
    };
    let commission = move |_| {
        let g = gtin.get_untracked();
        // The codes below are element strings, where a GTIN has 14 digits: a GTIN-8/12/13
        // typed here is padded first (an invalid one is passed on for the node to name).
        let g = handoff_core::gs1::normalize_gtin(g.trim()).unwrap_or(g);
        let l = lot.get_untracked();
        let result = if l.is_empty() {
            let f = first.get_untracked();
            let n: usize = count.get_untracked().trim().parse().unwrap_or(0);
            serials(&f, n).map(|ss| {
                let codes: Vec<String> = ss.iter().map(|x| format!("(01){g}(21){x}")).collect();
                (codes, None, None)
            })
        } else {
            let q = qty.get_untracked().trim().parse::<u64>().ok();
            Ok((vec![format!("(01){g}")], Some(l), q))
        };
        match result {
            Err(e) => ctx.fail(e),
            Ok((codes, l, q)) => act(
                ctx,
                async move { backend::commission(&codes, l, q, None).await },
                move |v| {
                    let n = v.items.len();
                    ctx.done(queued_note(v.queued.as_deref()).unwrap_or_else(|| {
                        Notice::new("notice.commissioned").arg(Arg::Number(n as u64))
                    }))
                },
            ),
        }
    };
    let make_label = move |_| {
        let (c, f, z) = (
            label_code.get_untracked(),
            format.get_untracked(),
            size.get_untracked(),
        );
        act(
            ctx,
            async move { backend::label(&c, &f, &z).await },
            move |v| label.set(Some(v)),
        );
    };
    view! {
        <section class="screen products-screen">
            <div class="card">
                {field(ctx, "products.gtin", gtin, "product-gtin")}
                <div class="actions">
                    <button class="secondary" data-testid="product-lookup" on:click=lookup>{move || ctx.t("action.lookup")}</button>
                </div>
                {move || product.get().map(|p| view! {
                    <div class="product" data-testid="product-card">
                        <ProductPicture gtin=p.gtin.clone() image_hash=p.image_hash.clone() name=p.name.clone() />
                        <h3 class="title">{p.name.clone()}</h3>
                        <div>{p.description.clone()}</div>
                        <div class="code">{format!("{} · {}", p.gtin, p.owner.name)}</div>
                    </div>
                })}
                {field(ctx, "products.name", name, "product-name")}
                {field(ctx, "products.description", desc, "product-description")}
                <div class="actions">
                    <button class="secondary" data-testid="product-define" on:click=define>{move || ctx.t("action.define")}</button>
                </div>
            </div>
            <div class="card">
                <div class="row">
                    {field(ctx, "products.first_serial", first, "commission-first")}
                    {field(ctx, "products.count", count, "commission-count")}
                </div>
                <div class="row">
                    {field(ctx, "products.lot", lot, "commission-lot")}
                    {field(ctx, "products.qty", qty, "commission-qty")}
                </div>
                <div class="actions">
                    <button class="primary" data-testid="commission-button" on:click=commission>{move || ctx.t("action.commission")}</button>
                </div>
            </div>
            <div class="card">
                <h3 class="section">{move || ctx.t("products.labels")}</h3>
                {field(ctx, "products.label_for", label_code, "label-code")}
                <div class="row">
                    <label class="field"><span>{move || ctx.t("products.size")}</span>
                        <select on:change=move |ev| size.set(event_target_value(&ev))>
                            <option value="50x30">"50 × 30 mm"</option>
                            <option value="100x50">"100 × 50 mm"</option>
                            <option value="a4">"A4 sheet (3 × 8)"</option>
                        </select>
                    </label>
                    <label class="field"><span>{move || ctx.t("products.format")}</span>
                        <select on:change=move |ev| format.set(event_target_value(&ev))>
                            <option value="svg">"SVG"</option>
                            <option value="png">"PNG"</option>
                            <option value="pdf">"PDF"</option>
                        </select>
                    </label>
                </div>
                <div class="actions">
                    <button class="secondary" data-testid="label-make" on:click=make_label>{move || ctx.t("products.make_label")}</button>
                </div>
                {move || label.get().map(|l| {
                    let href = format!("data:{};base64,{}", l.mime, l.data_base64);
                    let file = format!("label.{}", format.get_untracked());
                    let is_pdf = l.mime == "application/pdf";
                    view! {
                        <div class="label-preview" data-testid="label-preview">
                            {(!is_pdf).then(|| view! { <img src=href.clone() alt="label"/> })}
                            <a class="button secondary" href=href download=file>{ctx.t("products.download")}</a>
                        </div>
                    }
                })}
            </div>
        </section>
    }
}

/// `count` serials counting up from `first`, keeping its letters and zero padding
/// (`E261000030` → `E261000031`, …).
pub fn serials(first: &str, count: usize) -> Result<Vec<String>, ApiError> {
    let digits = first.chars().rev().take_while(char::is_ascii_digit).count();
    if first.is_empty() || digits == 0 || count == 0 || count > 1000 {
        return Err(ApiError::new(
            "BAD_SERIALS",
            "give a first serial ending in digits and a count from 1 to 1,000",
        ));
    }
    let (head, num) = first.split_at(first.len() - digits);
    let start: u64 = num
        .parse()
        .map_err(|_| ApiError::new("BAD_SERIALS", "the serial's number is too long"))?;
    Ok((0..count as u64)
        .map(|i| format!("{head}{:0width$}", start + i, width = digits))
        .collect())
}

/// Pack: build and break containers by scanning.
#[component]
pub fn PackScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let container = RwSignal::new(String::new());
    let batch = RwSignal::new(Batch::default());
    let pack = move |_| {
        let (c, codes) = (container.get_untracked(), batch.get_untracked().codes());
        act(
            ctx,
            async move { backend::pack(&c, &codes).await },
            move |v| {
                batch.set(Batch::default());
                ctx.done(
                    queued_note(v.queued.as_deref()).unwrap_or_else(|| Notice::new("msg.packed")),
                )
            },
        );
    };
    let unpack = move |_| {
        let c = container.get_untracked();
        act(ctx, async move { backend::unpack(&c).await }, move |v| {
            ctx.done(
                queued_note(v.queued.as_deref()).unwrap_or_else(|| Notice::new("msg.unpacked")),
            )
        });
    };
    view! {
        <section class="screen pack-screen">
            <div class="card">
                {field(ctx, "pack.container", container, "pack-container")}
                <label class="field">
                    <span>{move || ctx.t("pack.contents")}</span>
                    <input type="text" data-testid="pack-scan" on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            let v = normalize(&event_target_value(&ev), &ctx.fnc1.get_untracked());
                            let good = batch.try_update(|b| b.add(&v)) == Some(Added::New);
                            beep(good);
                            if let Some(t) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { t.set_value(""); }
                        }
                    }/>
                </label>
                <ol class="batch-entries">
                    {move || batch.get().entries.into_iter().map(|e| view! {
                        <li class=if e.parsed.is_ok() { "ok" } else { "bad" }>
                            <span class="raw">{e.raw.clone()}</span>
                            <span class="note">{match &e.parsed { Ok(c) => c.clone(), Err((c, m)) => format!("{m} [{c}]") }}</span>
                        </li>
                    }).collect_view()}
                </ol>
                <div class="actions">
                    <button class="primary" data-testid="pack-button" on:click=pack
                        disabled=move || container.get().is_empty() || batch.get().count() == 0>
                        {move || ctx.t("action.pack")}{move || format!(" ({})", batch.get().count())}
                    </button>
                    <button class="secondary" data-testid="unpack-button" on:click=unpack
                        disabled=move || container.get().is_empty()>{move || ctx.t("action.unpack")}</button>
                </div>
            </div>
        </section>
    }
}

/// Node: identity, chain, language, scanner settings.
#[component]
pub fn NodeScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let switch = move |name: String| {
        act(
            ctx,
            async move { backend::switch_identity(&name).await },
            move |v| {
                ctx.status.set(Some(v));
                ctx.error.set(None);
                ctx.version.update(|x| *x += 1);
            },
        );
    };
    let set_lang = move |l: Lang| {
        ctx.lang.set(l);
        set_setting("lang", l.tag());
    };
    let peers = RwSignal::new(String::new());
    // Network settings and backups belong to the app (a browser shows why not); pairing a
    // phone is the panel below (phone.rs).
    let in_app = backend::in_app();
    if in_app {
        spawn_local(async move {
            if let Ok(v) = backend::network().await {
                peers.set(v.peers.join("\n"));
            }
        });
    }
    let genesis = RwSignal::new(String::new());
    // An invitation scanned on the Scan screen arrives here, in the join form.
    let invite = RwSignal::new(ctx.pending_invite.get_untracked().unwrap_or_default());
    ctx.pending_invite.set(None);
    // A scanned invitation: its form is shown, below the other panels.
    let invite_ref = NodeRef::<html::Textarea>::new();
    if !invite.get_untracked().is_empty() {
        Effect::new(move |_| {
            if let Some(el) = invite_ref.get() {
                el.scroll_into_view();
            }
        });
    }
    let join_invited = move |_| {
        let link = invite.get_untracked().trim().to_string();
        act(
            ctx,
            async move { backend::join_invited(link).await },
            move |_| {
                invite.set(String::new());
                ctx.done(Notice::new("msg.joined"))
            },
        );
    };
    let save_peers = move |_| {
        let list: Vec<String> = peers
            .get_untracked()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        let g = genesis.get_untracked().trim().to_string();
        let g = (!g.is_empty()).then_some(g);
        act(
            ctx,
            async move { backend::set_network(&list, g).await },
            move |v| {
                if v.switched == Some(true) {
                    genesis.set(String::new());
                    ctx.done(Notice::new("msg.joined"))
                } else {
                    ctx.done(Notice::new("msg.saved"))
                }
            },
        );
    };
    // The light node's outbox, reloaded after actions and by the periodic refresh.
    let outbox = RwSignal::new(None::<api::OutboxResponse>);
    Effect::new(move |_| {
        ctx.version.get();
        ctx.tick.get();
        if !ctx.light() {
            outbox.set(None);
            return;
        }
        spawn_local(async move {
            if let Ok(v) = backend::outbox().await {
                outbox.set(Some(v));
            }
        });
    });
    // Whether the node is a light one, as a memo: the pairing panel is drawn again only
    // when that changes, not at every status refresh.
    let light_mode = Memo::new(move |_| ctx.light());
    let backup = move |_| {
        act(ctx, backend::backup(), move |v| {
            ctx.done(Notice::new("notice.backed_up").arg(Arg::Text(v.path)))
        })
    };
    view! {
        <section class="screen node-screen">
            {move || {
                let lang = ctx.lang.get();
                let st = ctx.status.get();
                let me = ctx.me();
                let mode = st.as_ref().and_then(|s| s.mode.clone()).unwrap_or_default();
                let light = mode == "light";
                let mode_key = if light {
                    "node.mode.light"
                } else if mode == backend::MODE_HTTP {
                    "node.mode.http"
                } else {
                    "node.mode.embedded"
                };
                let (height_key, time_key) = if light {
                    ("node.header_height", "node.last_header")
                } else {
                    ("node.height", "node.last_block")
                };
                let row = |k: &'static str, v: String, id: &'static str| view! {
                    <div class="kv"><span class="k">{t(lang, k)}</span><span class="v" data-testid=id>{v}</span></div>
                };
                let key = ctx.my_org();
                let key2 = key.clone();
                let identities = st.as_ref().and_then(|s| s.identities.clone()).unwrap_or_default();
                let count = |n: Option<u64>| number(lang, n.unwrap_or(0) as f64);
                view! {
                    <div class="card">
                        {if in_app {
                            view! {
                                <label class="field">
                                    <span>{t(lang, "action.switch")}</span>
                                    <select data-testid="identity-select" on:change=move |ev| switch(event_target_value(&ev))>
                                        {identities.into_iter().map(|i| {
                                            let n = i.name;
                                            view! { <option value=n.clone() selected=n == me>{n.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                            }.into_any()
                        } else if backend::signed_in() {
                            // A browser acts as the identity of its link's token.
                            view! { <p class="hint" data-testid="browser-identity-note">{t(lang, "node.browser_identity")}</p> }.into_any()
                        } else {
                            view! { <p class="hint" data-testid="signed-out-note">{t(lang, "node.signed_out")}</p> }.into_any()
                        }}
                        // A browser tab that is not signed in acts as nobody.
                        {(!me.is_empty()).then(|| view! {
                            {row("node.org", me.clone(), "node-org")}
                            <div class="kv"><span class="k">{t(lang, "node.org_key")}</span>
                                <span class="v mono">{key}</span>
                                <button class="ghost" on:click=move |_| {
                                    if let Some(w) = web_sys::window() {
                                        let _ = w.navigator().clipboard().write_text(&key2);
                                    }
                                }>{t(lang, "node.copy")}</button>
                            </div>
                        })}
                    </div>
                    <div class="card" data-testid="node-chain" data-mode=mode.clone()>
                        {row("node.mode", t(lang, mode_key).to_string(), "node-mode")}
                        <div class="kvs">
                            {row(height_key, count(st.as_ref().map(|s| s.height)), "node-height")}
                            {row(time_key, st.as_ref().map(|s| datetime_ms(lang, s.time_ms)).unwrap_or_default(), "node-last-block")}
                            // What the node does not say (a node over HTTP names no peers, no
                            // outbox, no folder) is left out rather than shown as zero.
                            {st.as_ref().and_then(|s| s.peers).map(|n| row("node.peers", count(Some(n)), "node-peers"))}
                            {st.as_ref().and_then(|s| s.outbox).map(|n| row("node.outbox", count(Some(n)), "node-outbox"))}
                        </div>
                        {st.as_ref().and_then(|s| s.data_dir.clone()).map(|d| row("node.data", d, "node-data"))}
                    </div>
                }
            }}
            {move || {
                // Redrawn in the new language too.
                ctx.lang.track();
                outbox.get().map(|o| view! { <OutboxList outbox=o/> })
            }}
            // Pairing a phone with the signed-in org (phone.rs).
            // (A light node keeps no ledger to authorize a device on.)
            {move || ((in_app || backend::signed_in()) && !light_mode.get()).then(|| view! { <crate::phone::PairPanel/> })}
            {move || ((in_app || backend::signed_in()) && !light_mode.get()).then(|| view! { <crate::join::InvitePanel/> })}
            <div class="card">
                <div class="field">
                    <span>{move || ctx.t("node.language")}</span>
                    <div class="seg">
                        <button data-testid="lang-en" class:on=move || ctx.lang.get() == Lang::En on:click=move |_| set_lang(Lang::En)>"English"</button>
                        <button data-testid="lang-zh" class:on=move || ctx.lang.get() == Lang::Zh on:click=move |_| set_lang(Lang::Zh)>"中文"</button>
                    </div>
                </div>
                {(!in_app).then(|| view! {
                    <p class="hint" data-testid="app-only-note">{move || ctx.t("node.app_only")}</p>
                })}
                <div class="app-only" class:hidden=!in_app>
                {move || (!ctx.light()).then(|| view! {
                    <label class="field">
                        <span>{ctx.t("node.invite")}</span>
                        <textarea rows="2" data-testid="invite-input" node_ref=invite_ref prop:value=move || invite.get()
                            placeholder="handoff://join?…"
                            on:input=move |ev| invite.set(event_target_value(&ev))></textarea>
                    </label>
                    <div class="actions">
                        <button class="primary" data-testid="invite-join"
                            disabled=move || invite.get().trim().is_empty()
                            on:click=join_invited>{ctx.t("node.invite_join")}</button>
                    </div>
                })}
                <label class="field">
                    <span>{move || ctx.t("node.network")}</span>
                    <textarea rows="3" data-testid="peers-input" prop:value=move || peers.get()
                        placeholder="/ip4/10.0.0.5/tcp/4001"
                        on:input=move |ev| peers.set(event_target_value(&ev))></textarea>
                </label>
                {move || (!ctx.light()).then(|| view! {
                    <label class="field">
                        <span>{ctx.t("node.genesis")}</span>
                        <textarea rows="2" data-testid="genesis-input" prop:value=move || genesis.get()
                            on:input=move |ev| genesis.set(event_target_value(&ev))></textarea>
                    </label>
                })}
                <div class="actions">
                    <button class="secondary" data-testid="peers-save" on:click=save_peers>
                        {move || ctx.t(if genesis.get().trim().is_empty() { "node.save_peers" } else { "node.join" })}
                    </button>
                    <button class="secondary" data-testid="backup-button" class:hidden=move || ctx.light() on:click=backup>{move || ctx.t("node.backup")}</button>
                </div>
                </div>
                <label class="field">
                    <span>{move || ctx.t("node.fnc1")}</span>
                    <input type="text" maxlength="3" prop:value=move || ctx.fnc1.get()
                        on:input=move |ev| { let v = event_target_value(&ev); set_setting("fnc1", &v); ctx.fnc1.set(v); }/>
                </label>
            </div>
        </section>
    }
}

/// The light node's outbox: each entry's number, transaction, what it does and where it
/// stands (pending, submitted, committed in block N, or rejected with the rule).
#[component]
fn OutboxList(outbox: api::OutboxResponse) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let lang = ctx.lang.get_untracked();
    let entries = outbox.entries;
    let empty = entries.is_empty();
    // The listing holds the newest final entries only; the counts hold them all.
    let total = outbox.counts.map_or(entries.len() as u64, |c| c.total());
    view! {
        <div class="card outbox" data-testid="outbox-list">
            <header class="card-head">
                <h3 class="title">{t(lang, "node.outbox_list")}</h3>
                <span class="pill">{format!("{} {}", number(lang, total as f64), t(lang, if total == 1 { "outbox.entry" } else { "outbox.entries" }))}</span>
            </header>
            <p class="hint">{t(lang, "node.outbox_hint")}</p>
            {empty.then(|| view! { <p class="hint">{t(lang, "node.outbox_empty")}</p> })}
            <ol class="outbox-entries">
                {entries.into_iter().rev().map(|e| {
                    let status = e.status.clone();
                    let short_tx = e.tx.chars().take(12).collect::<String>();
                    let kind = e.kind.as_deref().map(|k| event_label(lang, k)).unwrap_or_default();
                    let items = &e.items;
                    let subject = match (items.first(), items.len()) {
                        (Some(first), 1) => first.clone(),
                        (Some(first), n) => format!("{first} +{}", n - 1),
                        (None, _) => e.handoff.as_deref().map(|h| format!("#{}", h.get(..12).unwrap_or(h))).unwrap_or_default(),
                    };
                    let chip = match status.as_str() {
                        "committed" => format!("{} · {} {}", t(lang, "outbox.committed"), t(lang, "msg.block"), number(lang, e.height.unwrap_or(0) as f64)),
                        "rejected" => t(lang, "outbox.rejected").to_string(),
                        "submitted" => t(lang, "outbox.submitted").to_string(),
                        _ => t(lang, "outbox.pending").to_string(),
                    };
                    let why = (status == "rejected").then(|| format!(
                        "{} {}: {}", t(lang, "outbox.rule"), opt(e.code.as_deref()), opt(e.message.as_deref())
                    ));
                    view! {
                        <li class=format!("outbox-entry st-{status}") data-testid="outbox-entry"
                            data-status=status.clone() data-seq=e.seq.to_string()>
                            <div class="ob-head">
                                <span class="ob-seq">{format!("#{}", e.seq)}</span>
                                <span class="ob-kind">{kind}</span>
                                <span class=format!("chip chip-{status}") data-testid="outbox-status">{chip}</span>
                            </div>
                            <div class="ob-subject mono">{subject}</div>
                            <div class="ob-tx mono">{format!("{} {short_tx}…", t(lang, "outbox.tx"))}</div>
                            {why.map(|w| view! { <div class="ob-why" data-testid="outbox-why">{w}</div> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </div>
    }
}

/// An item's ledger status in the user's language (an unknown one as the ledger says it).
fn item_status(lang: Lang, status: &str) -> String {
    let key = match status {
        "active" => "item.st.active",
        "consumed" => "item.st.consumed",
        "sold" => "item.st.sold",
        "claimed" => "item.st.claimed",
        "decommissioned" => "item.st.decommissioned",
        _ => return status.to_string(),
    };
    t(lang, key).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_count_up_keeping_padding_and_letters() {
        assert_eq!(
            serials("E261000030", 3).expect("ok"),
            vec!["E261000030", "E261000031", "E261000032"]
        );
        assert_eq!(serials("A09", 2).expect("ok"), vec!["A09", "A10"]);
        assert_eq!(
            serials("ABC", 2).expect_err("no digits").code,
            "BAD_SERIALS"
        );
        assert_eq!(
            serials("1", 1001).expect_err("too many").code,
            "BAD_SERIALS"
        );
    }
}
