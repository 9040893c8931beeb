//! EPCIS exchange: a partner's EPCIS 2.0 file (JSON-LD or XML) dropped on the screen is
//! checked first (every event read and mapped to the transaction it becomes, nothing
//! written), then imported on a click with a report per event; the ledger's events go out
//! as an EPCIS document, everything here or one item's history from the Item screen.
//!
//! The node does the reading, mapping and writing (`epcis_check`, `epcis_import`,
//! `epcis_export`); the page only reads the file and shows the answers.

use crate::app::{Arg, Ctx, Notice};
use crate::backend::{self, ApiError};
use crate::i18n::{Lang, fill, number, t};
use handoff_api as api;
use handoff_api::limits::MAX_DOCUMENT_BYTES;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// A file read and checked, waiting for the click that imports it.
#[derive(Clone, Debug, PartialEq)]
struct Checked {
    name: String,
    text: String,
    events: Vec<api::EpcisEventView>,
}

/// An import's report, with the file it came from.
#[derive(Clone, Debug, PartialEq)]
struct Imported {
    name: String,
    events: Vec<api::EpcisImportView>,
}

/// How many events of a report are committed, already on the ledger, refused.
pub fn tally(events: &[api::EpcisImportView]) -> (usize, usize, usize) {
    events
        .iter()
        .fold((0, 0, 0), |(c, a, r), e| match e.status.as_str() {
            // On a light node: signed and in its outbox.
            "committed" | "queued" => (c + 1, a, r),
            "already" => (c, a + 1, r),
            _ => (c, a, r + 1),
        })
}

/// The file name of an export: `handoff-epcis-<what>-<UTC date and time>.<ext>`, with
/// only letters, digits and `-` from `what` (a canonical key has `/` and `:`).
pub fn export_name(what: &str, format: &str, now_ms: f64) -> String {
    let what: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let what = what.trim_matches('-');
    let (y, m, d) = handoff_core::query::civil_date(now_ms as i64);
    let secs = ((now_ms / 1000.0) as i64).rem_euclid(86_400);
    let ext = if format == "xml" { "xml" } else { "jsonld" };
    format!(
        "handoff-epcis-{what}-{y:04}-{m:02}-{d:02}T{:02}{:02}{:02}Z.{ext}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The media type of an export format.
fn mime(format: &str) -> &'static str {
    if format == "xml" {
        "application/xml"
    } else {
        "application/ld+json"
    }
}

/// Exports one item's history (`scan`) or everything, and saves the document.
pub fn export(ctx: Ctx, scan: Option<String>, format: String) {
    ctx.busy.set(true);
    spawn_local(async move {
        let what = scan
            .as_deref()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "all".into());
        let result = async {
            let doc = backend::epcis_export(scan, &format).await?;
            let name = export_name(&what, &doc.format, js_sys::Date::now());
            let saved = backend::save_file(&name, mime(&doc.format), &doc.document).await?;
            Ok::<_, ApiError>((doc.events, saved.path, doc.light.map(|l| l.height)))
        }
        .await;
        match result {
            // A light node's export is its org's own events as of its index.
            Ok((events, path, Some(height))) => ctx.done(
                Notice::new("epcis.exported_light")
                    .arg(Arg::Number(events))
                    .arg(Arg::Text(path))
                    .arg(Arg::Number(height)),
            ),
            Ok((events, path, None)) => ctx.done(
                Notice::new("epcis.exported")
                    .arg(Arg::Number(events))
                    .arg(Arg::Text(path)),
            ),
            Err(e) => ctx.fail(e),
        }
        ctx.busy.set(false);
    });
}

/// Reads a chosen or dropped file as text, within the node's document bound.
async fn read(file: web_sys::File) -> Result<String, ApiError> {
    let size = file.size().max(0.0) as u64;
    if size > MAX_DOCUMENT_BYTES as u64 {
        return Err(ApiError::new(
            "TOO_LARGE",
            format!(
                "{} is {} MiB; an EPCIS file of at most {} MiB is imported here (split a larger one, or use `handoff epcis import`)",
                file.name(),
                size.div_ceil(1_048_576),
                MAX_DOCUMENT_BYTES / 1_048_576
            ),
        ));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| ApiError::new("UNREADABLE", format!("{} could not be read", file.name())))?;
    text.as_string()
        .ok_or_else(|| ApiError::new("UNREADABLE", format!("{} is no text", file.name())))
}

/// The EPCIS screen: import a partner's file, export the ledger.
#[component]
pub fn ExchangeScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let checked = RwSignal::new(None::<Checked>);
    let imported = RwSignal::new(None::<Imported>);
    let hover = RwSignal::new(false);
    let format = RwSignal::new("jsonld".to_string());

    let take = move |file: web_sys::File| {
        checked.set(None);
        imported.set(None);
        ctx.error.set(None);
        ctx.busy.set(true);
        spawn_local(async move {
            let name = file.name();
            let result = async {
                let text = read(file).await?;
                let r = backend::epcis_check(text.clone()).await?;
                Ok::<_, ApiError>((text, r.events))
            }
            .await;
            match result {
                Ok((text, events)) => checked.set(Some(Checked { name, text, events })),
                Err(e) => ctx.fail(e),
            }
            ctx.busy.set(false);
        });
    };
    let choose = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(f) = input
            .as_ref()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        {
            take(f);
        }
        // The same file chosen again (after fixing it) fires again.
        if let Some(i) = input {
            i.set_value("");
        }
    };
    let drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        hover.set(false);
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            take(f);
        }
    };
    let import = move |_| {
        let Some(c) = checked.get_untracked() else {
            return;
        };
        ctx.busy.set(true);
        spawn_local(async move {
            match backend::epcis_import(c.text).await {
                Ok(r) => {
                    let (done, already, refused) = tally(&r.events);
                    checked.set(None);
                    imported.set(Some(Imported {
                        name: c.name,
                        events: r.events,
                    }));
                    ctx.done(
                        Notice::new("epcis.imported")
                            .arg(Arg::Number(done as u64))
                            .arg(Arg::Number(already as u64))
                            .arg(Arg::Number(refused as u64)),
                    );
                }
                Err(e) => ctx.fail(e),
            }
            ctx.busy.set(false);
        });
    };

    view! {
        <section class="screen exchange-screen">
            <h2 class="screen-title">{move || ctx.t("epcis.title")}</h2>
            <div class="card">
                <h3 class="section">{move || ctx.t("epcis.import")}</h3>
                <p class="hint">{move || ctx.t("epcis.import_hint")}</p>
                {move || ctx.light().then(|| view! {
                    <p class="hint warn" data-testid="epcis-light">{ctx.t("epcis.light")}</p>
                })}
                <label class="dropzone" class:hover=move || hover.get() data-testid="epcis-drop"
                    on:dragover=move |ev: web_sys::DragEvent| { ev.prevent_default(); hover.set(true); }
                    on:dragleave=move |_| hover.set(false)
                    on:drop=drop>
                    <span class="dropzone-text">{move || ctx.t("epcis.drop")}</span>
                    <span class="file-button">{move || ctx.t("epcis.choose")}</span>
                    <input type="file" accept=".json,.jsonld,.xml,application/json,application/ld+json,application/xml,text/xml"
                        data-testid="epcis-file" on:change=choose/>
                </label>
            </div>
            {move || checked.get().map(|c| view! { <CheckedCard checked=c on_import=import on_cancel=move || checked.set(None)/> })}
            {move || imported.get().map(|r| view! { <ReportCard report=r/> })}
            <div class="card">
                <h3 class="section">{move || ctx.t("epcis.export")}</h3>
                // A light node exports only its org's own events (from its index).
                <p class="hint" data-testid="epcis-export-hint">{move || {
                    ctx.t(if ctx.light() { "epcis.export_hint_light" } else { "epcis.export_hint" })
                }}</p>
                <div class="row">
                    <label class="field"><span>{move || ctx.t("epcis.format")}</span>
                        <select data-testid="epcis-format" on:change=move |ev| format.set(event_target_value(&ev))>
                            <option value="jsonld">"JSON-LD"</option>
                            <option value="xml">"XML"</option>
                        </select>
                    </label>
                </div>
                <div class="actions">
                    <button class="secondary" data-testid="epcis-export-all"
                        on:click=move |_| export(ctx, None, format.get_untracked())>
                        {move || ctx.t(if ctx.light() { "epcis.export_own" } else { "epcis.export_all" })}
                    </button>
                </div>
            </div>
        </section>
    }
}

/// What a checked file will become, with the import and cancel buttons.
#[component]
fn CheckedCard(
    checked: Checked,
    on_import: impl Fn(leptos::ev::MouseEvent) + 'static,
    on_cancel: impl Fn() + 'static,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let lang = ctx.lang.get_untracked();
    let n = checked.events.len();
    let already = checked.events.iter().filter(|e| e.already).count();
    let new = n - already;
    view! {
        <div class="card" data-testid="epcis-checked" data-events=n.to_string()>
            <header class="card-head">
                <h3 class="title">{checked.name.clone()}</h3>
                <span class="pill">{fill(t(lang, "epcis.events_n"), &[number(lang, n as f64)])}</span>
            </header>
            <p class="hint">{fill(t(lang, "epcis.checked_hint"), &[number(lang, new as f64), number(lang, already as f64)])}</p>
            <EventTable lang=lang rows=checked.events.iter().map(|e| Row {
                index: e.index,
                event_type: e.event_type.clone(),
                kind: e.kind.clone(),
                hash: e.hash.clone(),
                status: if e.already { "already".into() } else { "new".into() },
                why: None,
            }).collect()/>
            <div class="actions">
                <button class="primary" data-testid="epcis-import" disabled=new == 0 on:click=on_import>
                    {fill(t(lang, "epcis.import_n"), &[number(lang, new as f64)])}
                </button>
                <button class="ghost" data-testid="epcis-cancel" on:click=move |_| on_cancel()>{t(lang, "epcis.cancel")}</button>
            </div>
        </div>
    }
}

/// An import's report, event by event.
#[component]
fn ReportCard(report: Imported) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let lang = ctx.lang.get_untracked();
    let (done, already, refused) = tally(&report.events);
    view! {
        <div class="card" data-testid="epcis-report" data-committed=done.to_string()
            data-already=already.to_string() data-rejected=refused.to_string()>
            <header class="card-head">
                <h3 class="title">{report.name.clone()}</h3>
                <span class="pill">{fill(t(lang, "epcis.tally"), &[
                    number(lang, done as f64), number(lang, already as f64), number(lang, refused as f64),
                ])}</span>
            </header>
            {(refused > 0).then(|| view! { <p class="hint warn">{t(lang, "epcis.refused_hint")}</p> })}
            <EventTable lang=lang rows=report.events.iter().map(|e| Row {
                index: e.index,
                event_type: String::new(),
                kind: String::new(),
                hash: e.hash.clone(),
                status: e.status.clone(),
                why: match (e.status.as_str(), &e.code) {
                    ("rejected", Some(code)) => Some(format!("{code}: {}", e.message.clone().unwrap_or_default())),
                    ("committed", _) => e.height.map(|h| format!("{} {}", t(lang, "msg.block"), number(lang, h as f64))),
                    _ => None,
                },
            }).collect()/>
        </div>
    }
}

/// One line of the event table.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    index: u64,
    event_type: String,
    kind: String,
    hash: String,
    status: String,
    why: Option<String>,
}

/// The text key of an event's status.
fn status_key(status: &str) -> &'static str {
    match status {
        "committed" => "epcis.st.committed",
        "queued" => "epcis.st.queued",
        "already" => "epcis.st.already",
        "rejected" => "epcis.st.rejected",
        _ => "epcis.st.new",
    }
}

/// A hash id cut to what a person compares (`ni:///sha-256;` and the `?ver=` tail off).
fn short_hash(hash: &str) -> String {
    let core = hash
        .strip_prefix("ni:///sha-256;")
        .unwrap_or(hash)
        .split('?')
        .next()
        .unwrap_or_default();
    format!("{}…", core.chars().take(12).collect::<String>())
}

#[component]
fn EventTable(lang: Lang, rows: Vec<Row>) -> impl IntoView {
    let with_types = rows.iter().any(|r| !r.event_type.is_empty());
    view! {
        <ol class="epcis-events" data-testid="epcis-events">
            {rows.into_iter().map(|r| {
                let chip = match r.status.as_str() {
                    "committed" => "chip chip-committed",
                    "rejected" => "chip chip-rejected",
                    "already" | "queued" => "chip chip-pending",
                    _ => "chip chip-new",
                };
                view! {
                    <li class="epcis-event" data-testid="epcis-event" data-status=r.status.clone()>
                        <span class="ob-seq">{format!("#{}", r.index + 1)}</span>
                        {with_types.then(|| view! {
                            <span class="ev-type">{r.event_type.clone()}</span>
                            <span class="ev-kind">{format!("→ {}", crate::screens::event_label(lang, &r.kind))}</span>
                        })}
                        <span class="mono ev-hash" title=r.hash.clone()>{short_hash(&r.hash)}</span>
                        <span class=chip>{t(lang, status_key(&r.status))}</span>
                        {r.why.map(|w| {
                            let class = if r.status == "rejected" { "ob-why" } else { "ev-note" };
                            view! { <div class=class data-testid="epcis-why">{w}</div> }
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(status: &str) -> api::EpcisImportView {
        api::EpcisImportView {
            index: 0,
            hash: "ni:///sha-256;ab?ver=CBV2.0".into(),
            status: status.into(),
            code: None,
            message: None,
            tx: None,
            height: None,
        }
    }

    #[test]
    fn a_report_is_tallied_by_status() {
        let r = [
            view("committed"),
            view("already"),
            view("committed"),
            view("rejected"),
        ];
        assert_eq!(tally(&r), (2, 1, 1));
    }

    #[test]
    fn export_names_are_safe_file_names_with_the_time() {
        // 2026-12-04T18:30:05Z
        let ms = 1_796_409_005_000.0;
        assert_eq!(
            export_name("/01/09506000134352/21/A:B", "jsonld", ms),
            "handoff-epcis-01-09506000134352-21-A-B-2026-12-04T183005Z.jsonld"
        );
        assert_eq!(
            export_name("all", "xml", ms),
            "handoff-epcis-all-2026-12-04T183005Z.xml"
        );
    }

    #[test]
    fn hash_ids_are_shortened_for_people() {
        assert_eq!(
            short_hash("ni:///sha-256;0123456789abcdef0123?ver=CBV2.0"),
            "0123456789ab…"
        );
    }
}
