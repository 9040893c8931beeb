//! Certifications and documents on the screens: the certifications that apply to an item
//! (through its lot, product, producer and the places it passed), the Documents panel
//! (register a file by its SHA-256, check a file) and the Auditor screen (issue,
//! suspend, reinstate, revoke).
//!
//! A document is hashed in the page: its bytes never leave the machine, only the
//! fingerprint goes to the node.

use crate::app::{Arg, Ctx, Notice, unverified};
use crate::backend::{self, ApiError};
use crate::i18n::{Lang, datetime, fill, number, t};
use handoff_api as api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// The largest file the page reads to hash (bytes): a larger one is refused before a
/// byte is read, with a message naming the limit.
pub const MAX_DOCUMENT_BYTES: u64 = 50 * 1024 * 1024;

/// The document types the ledger knows, with their text keys.
pub const DOC_KINDS: &[(&str, &str)] = &[
    ("po", "doc.kind.po"),
    ("invoice", "doc.kind.invoice"),
    ("despatch", "doc.kind.despatch"),
    ("bill_of_lading", "doc.kind.bill_of_lading"),
    ("lab_report", "doc.kind.lab_report"),
    ("photo", "doc.kind.photo"),
    ("other", "doc.kind.other"),
];

/// Document types named on handoffs beside the ones above (shown translated; not offered
/// when a document is attached).
const MORE_DOC_KINDS: &[(&str, &str)] = &[("delivery_note", "doc.kind.delivery_note")];

/// A document type in `lang` (an unknown one as it is).
pub fn doc_kind_text(lang: Lang, kind: &str) -> String {
    DOC_KINDS
        .iter()
        .chain(MORE_DOC_KINDS)
        .find(|(k, _)| *k == kind)
        .map(|(_, key)| t(lang, key).to_string())
        .unwrap_or_else(|| kind.to_string())
}

/// Whether a certification with this status counts now.
pub fn counts(status: &str) -> bool {
    status == "valid"
}

/// The text key of a certification's status.
pub fn status_key(status: &str) -> &'static str {
    match status {
        "valid" => "cert.status.valid",
        "not_yet_valid" => "cert.status.not_yet_valid",
        "expired" => "cert.status.expired",
        "suspended" => "cert.status.suspended",
        "revoked" => "cert.status.revoked",
        _ => "cert.status.unknown",
    }
}

/// The text key of what a certification applies through.
pub fn via_key(via: Option<&str>, subject_kind: &str) -> &'static str {
    match via.unwrap_or(subject_kind) {
        "thing" => "cert.via.thing",
        "lot" => "cert.via.lot",
        "product" => "cert.via.product",
        "producer" | "org" => "cert.via.producer",
        "location" => "cert.via.location",
        _ => "cert.via.other",
    }
}

/// Why a file cannot be hashed here.
#[derive(Clone, Debug, PartialEq)]
pub enum FileProblem {
    /// Larger than [`MAX_DOCUMENT_BYTES`] (its size in bytes).
    TooLarge(u64),
    /// The browser could not read it.
    Unreadable,
}

/// Checks a file's size against the limit before reading it.
pub fn check_size(size: u64) -> Result<(), FileProblem> {
    if size > MAX_DOCUMENT_BYTES {
        Err(FileProblem::TooLarge(size))
    } else {
        Ok(())
    }
}

/// The SHA-256 of `bytes`, lower-case hex (what the ledger registers).
pub fn sha256_hex(bytes: &[u8]) -> String {
    handoff_core::types::sha256(&[bytes]).to_hex()
}

/// Reads `file` in the page (after checking its size) and returns its SHA-256, hex.
pub async fn hash_file(file: web_sys::File) -> Result<String, FileProblem> {
    check_size(file.size().max(0.0) as u64)?;
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| FileProblem::Unreadable)?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    // The size the browser reported is checked again against what was read.
    check_size(bytes.len() as u64)?;
    Ok(sha256_hex(&bytes))
}

/// The problem in `lang`.
pub fn problem_text(lang: Lang, p: &FileProblem) -> String {
    match p {
        FileProblem::TooLarge(size) => fill(
            t(lang, "doc.too_large"),
            &[
                number(lang, (*size as f64 / 1_048_576.0).ceil()),
                number(lang, (MAX_DOCUMENT_BYTES / 1_048_576) as f64),
            ],
        ),
        FileProblem::Unreadable => t(lang, "doc.unreadable").to_string(),
    }
}

/// The first file chosen in a file input's change event.
fn chosen_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|i| i.files())
        .and_then(|f| f.get(0))
}

/// A certification's table of certifications (`show_ids`: with their ids, which the
/// auditor needs to suspend or revoke).
#[component]
fn CertTable(certs: Vec<api::CertView>, show_ids: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <ul class="certs" data-testid="cert-list">
            {certs.into_iter().map(|c| {
                let status = c.status.clone();
                let counting = counts(&status);
                let via = c.via.clone();
                let kind = c.subject_kind.clone();
                let until = c.valid_until.clone();
                let scheme = if c.standard.is_empty() {
                    c.scheme.clone()
                } else {
                    format!("{} · {}", c.scheme, c.standard)
                };
                let reason = c.revoked.clone().or(c.suspended.clone());
                let id = c.id.clone();
                let shown_id = c.id.clone();
                view! {
                    <li class="cert" class:muted=!counting data-testid="cert" data-status=status.clone() data-id=id>
                        <div class="cert-head">
                            <strong class="cert-scheme">{scheme}</strong>
                            <span class=format!("cert-status cert-{status}") data-testid="cert-status">
                                {let s = status.clone(); move || ctx.t(status_key(&s))}
                            </span>
                        </div>
                        <div class="cert-line">
                            <span>{move || ctx.t("cert.number")}": "{c.number.clone()}</span>
                            <span>{move || ctx.t("cert.issuer")}": "{c.issuer_name.clone()}</span>
                        </div>
                        <div class="cert-line">
                            <span data-testid="cert-via">{let (v, k) = (via.clone(), kind.clone()); move || ctx.t(via_key(v.as_deref(), &k))}
                                {via.is_none().then(|| format!(": {}", c.subject))}</span>
                            <span>{move || ctx.t("cert.until")}": "{move || datetime(ctx.lang.get(), &until)}</span>
                        </div>
                        {reason.map(|r| view! { <div class="cert-reason">{r}</div> })}
                        {show_ids.then(|| view! { <code class="cert-id" data-testid="cert-id">{shown_id}</code> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The certifications that apply to the item `code`: those that count now, and below them,
/// folded, those that do not (revoked, suspended, expired, not yet valid): a revoked
/// certification leaves the item's list at the next block. Nothing at all (no heading)
/// when there are none.
#[component]
pub fn CertSection(code: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let certs = RwSignal::new(Vec::<api::CertView>::new());
    Effect::new(move |_| {
        ctx.version.get();
        let code = code.clone();
        spawn_local(async move {
            match backend::cert_list(&code, false).await {
                Ok(r) => certs.set(r.certifications),
                // A light node has no certification index: nothing is listed, as for an
                // item without any; every other failure is said.
                Err(e) if e.code == "LIGHT_NODE" => certs.set(Vec::new()),
                Err(e) => ctx.fail(e),
            }
        });
    });
    move || {
        let list = certs.get();
        (!list.is_empty()).then(|| {
            let (now, lapsed): (Vec<_>, Vec<_>) = list.into_iter().partition(|c| counts(&c.status));
            let lapsed_count = lapsed.len();
            view! {
                <section class="cert-section" data-testid="cert-section">
                    <h3 class="section">{move || ctx.t("cert.title")}</h3>
                    {if now.is_empty() {
                        view! { <p class="hint" data-testid="cert-none-valid">{move || ctx.t("cert.none_valid")}</p> }.into_any()
                    } else {
                        view! { <CertTable certs=now show_ids=false/> }.into_any()
                    }}
                    {(lapsed_count > 0).then(|| view! {
                        <details class="cert-lapsed" data-testid="cert-lapsed">
                            <summary>{move || format!("{} ({})", ctx.t("cert.lapsed"), number(ctx.lang.get(), lapsed_count as f64))}</summary>
                            <CertTable certs=lapsed show_ids=false/>
                        </details>
                    })}
                </section>
            }
        })
    }
}

/// The answer of a document check, as shown.
#[derive(Clone, Debug, PartialEq)]
enum Checked {
    /// Registered, proven against block `.1`.
    Registered(api::DocVerifyResponse),
    /// Never registered (the absence proven).
    Never(api::DocVerifyResponse),
    /// The proof did not verify: neither registered nor absent is claimed.
    Unverified,
}

fn judge(v: api::DocVerifyResponse) -> Checked {
    if !(v.proof.verified && v.proof.certified) {
        return Checked::Unverified;
    }
    if v.registered {
        Checked::Registered(v)
    } else {
        Checked::Never(v)
    }
}

/// Register a document for `links` (items, lots, handoffs), and check any document.
#[component]
pub fn DocumentsPanel(links: Vec<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let hash = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<FileProblem>);
    let kind = RwSignal::new("other".to_string());
    let title = RwSignal::new(String::new());
    let check_problem = RwSignal::new(None::<FileProblem>);
    let checked = RwSignal::new(None::<Checked>);

    let choose = move |ev: leptos::ev::Event| {
        hash.set(None);
        problem.set(None);
        if let Some(f) = chosen_file(&ev) {
            spawn_local(async move {
                match hash_file(f).await {
                    Ok(h) => hash.set(Some(h)),
                    Err(p) => problem.set(Some(p)),
                }
            });
        }
    };
    let register = move |_| {
        let Some(h) = hash.get_untracked() else {
            return;
        };
        let (k, ti, l) = (kind.get_untracked(), title.get_untracked(), links.clone());
        ctx.busy.set(true);
        spawn_local(async move {
            match backend::doc_notarize(&h, &k, &ti, l).await {
                Ok(r) => ctx.done(
                    Notice::new("notice.doc_registered")
                        .arg(Arg::Text(r.hash[..12.min(r.hash.len())].to_string()))
                        .arg(Arg::Text(
                            r.height.map(|h| h.to_string()).unwrap_or_default(),
                        )),
                ),
                Err(e) => ctx.fail(e),
            }
            ctx.busy.set(false);
        });
    };
    let check = move |ev: leptos::ev::Event| {
        checked.set(None);
        check_problem.set(None);
        let Some(f) = chosen_file(&ev) else {
            return;
        };
        spawn_local(async move {
            let h = match hash_file(f).await {
                Ok(h) => h,
                Err(p) => {
                    check_problem.set(Some(p));
                    return;
                }
            };
            match backend::doc_verify(&h).await {
                Ok(v) => checked.set(Some(judge(v))),
                Err(e) if unverified(&e.code) => {
                    checked.set(Some(Checked::Unverified));
                    ctx.fail(e);
                }
                Err(e) => ctx.fail(e),
            }
        });
    };

    let kinds = move || {
        DOC_KINDS
            .iter()
            .map(|(k, key)| {
                view! { <option value=*k selected=*k == "other">{move || ctx.t(key)}</option> }
            })
            .collect_view()
    };

    view! {
        <section class="panel stack documents" data-testid="documents">
            <h3 class="section">{move || ctx.t("doc.title")}</h3>
            <p class="hint" data-testid="doc-local-note">{move || ctx.t("doc.local")}</p>
            <div class="doc-part">
                <h4>{move || ctx.t("doc.register")}</h4>
                <label class="file-button">
                    <input type="file" data-testid="doc-file" on:change=choose/>
                    <span>{move || ctx.t("doc.choose")}</span>
                </label>
                {move || problem.get().map(|p| view! {
                    <p class="doc-problem" data-testid="doc-problem">{problem_text(ctx.lang.get(), &p)}</p>
                })}
                {move || hash.get().map(|h| view! {
                    <p class="doc-hash">"SHA-256 "<code data-testid="doc-hash">{h}</code></p>
                })}
                <div class="row">
                    <label class="field"><span>{move || ctx.t("doc.type")}</span>
                        <select data-testid="doc-type" on:change=move |ev| kind.set(event_target_value(&ev))>
                            {kinds}
                        </select>
                    </label>
                    <label class="field"><span>{move || ctx.t("doc.title_field")}</span>
                        <input type="text" data-testid="doc-title" prop:value=move || title.get()
                            on:input=move |ev| title.set(event_target_value(&ev))/>
                    </label>
                </div>
                <button class="primary" data-testid="doc-register"
                    disabled=move || hash.get().is_none() || ctx.busy.get()
                    on:click=register>
                    {move || ctx.t("doc.register_button")}
                </button>
            </div>
            <div class="doc-part">
                <h4>{move || ctx.t("doc.check")}</h4>
                <label class="file-button">
                    <input type="file" data-testid="doc-check-file" on:change=check/>
                    <span>{move || ctx.t("doc.choose")}</span>
                </label>
                {move || check_problem.get().map(|p| view! {
                    <p class="doc-problem" data-testid="doc-check-problem">{problem_text(ctx.lang.get(), &p)}</p>
                })}
                {move || checked.get().map(|c| {
                    let lang = ctx.lang.get();
                    match c {
                        Checked::Registered(v) => {
                            let text = fill(t(lang, "doc.registered"), &[
                                v.by_name.clone().unwrap_or_default(),
                                v.height.map(|h| number(lang, h as f64)).unwrap_or_default(),
                                v.time.as_deref().map(|x| datetime(lang, x)).unwrap_or_default(),
                                v.kind.as_deref().map(|k| doc_kind_text(lang, k)).unwrap_or_default(),
                            ]);
                            let proof = fill(t(lang, "doc.proof_verified"), &[number(lang, v.proof.height as f64)]);
                            view! {
                                <div class="doc-result ok" data-testid="doc-check-result" data-registered="true">
                                    <div>{text}</div>
                                    <div class="verified" data-testid="doc-proof">{proof}</div>
                                </div>
                            }.into_any()
                        }
                        Checked::Never(v) => {
                            let proof = fill(t(lang, "doc.proof_absent"), &[number(lang, v.proof.height as f64)]);
                            view! {
                                <div class="doc-result never" data-testid="doc-check-result" data-registered="false">
                                    <div>{t(lang, "doc.never")}</div>
                                    <div class="verified" data-testid="doc-proof">{proof}</div>
                                </div>
                            }.into_any()
                        }
                        Checked::Unverified => view! {
                            <div class="doc-result unverified" data-testid="doc-check-result" data-registered="unknown">
                                {t(lang, "error.unverified")}
                            </div>
                        }.into_any(),
                    }
                })}
            </div>
        </section>
    }
}

/// The Auditor screen: issue a certification, change one by id, list those of a subject.
#[component]
pub fn AuditorScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let for_ = RwSignal::new(String::new());
    let scheme = RwSignal::new(String::new());
    let standard = RwSignal::new(String::new());
    let cert_no = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let doc = RwSignal::new(None::<String>);
    let doc_problem = RwSignal::new(None::<FileProblem>);
    let issued = RwSignal::new(None::<api::CertIssueResponse>);
    let id = RwSignal::new(String::new());
    let change = RwSignal::new("suspend".to_string());
    let reason = RwSignal::new(String::new());
    let changed = RwSignal::new(None::<api::Receipt>);
    let listed = RwSignal::new(None::<Vec<api::CertView>>);

    let choose = move |ev: leptos::ev::Event| {
        doc.set(None);
        doc_problem.set(None);
        if let Some(f) = chosen_file(&ev) {
            spawn_local(async move {
                match hash_file(f).await {
                    Ok(h) => doc.set(Some(h)),
                    Err(p) => doc_problem.set(Some(p)),
                }
            });
        }
    };
    let run =
        move |fut: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ApiError>>>>| {
            ctx.busy.set(true);
            spawn_local(async move {
                if let Err(e) = fut.await {
                    ctx.fail(e);
                }
                ctx.busy.set(false);
            });
        };
    let issue = move |_| {
        let req = api::CertIssueRequest {
            for_: for_.get_untracked().trim().to_string(),
            scheme: scheme.get_untracked().trim().to_string(),
            standard: standard.get_untracked().trim().to_string(),
            number: cert_no.get_untracked().trim().to_string(),
            from: from.get_untracked(),
            until: until.get_untracked(),
            document: doc.get_untracked(),
        };
        issued.set(None);
        run(Box::pin(async move {
            let r = backend::cert_issue(req).await?;
            id.set(r.id.clone());
            ctx.done(Notice::new("notice.cert_issued").arg(Arg::Text(
                r.height.map(|h| h.to_string()).unwrap_or_default(),
            )));
            issued.set(Some(r));
            Ok(())
        }));
    };
    let apply = move |_| {
        let (i, c, r) = (
            id.get_untracked().trim().to_string(),
            change.get_untracked(),
            reason.get_untracked(),
        );
        changed.set(None);
        run(Box::pin(async move {
            let rc = backend::cert_change(&i, &c, &r).await?;
            ctx.done(Notice::new("notice.cert_changed").arg(Arg::Text(
                rc.height.map(|h| h.to_string()).unwrap_or_default(),
            )));
            changed.set(Some(rc));
            Ok(())
        }));
    };
    let list = move |_| {
        let f = for_.get_untracked().trim().to_string();
        run(Box::pin(async move {
            let r = backend::cert_list(&f, false).await?;
            listed.set(Some(r.certifications));
            Ok(())
        }));
    };
    // The list follows the ledger: after an issue or a change it is read again.
    Effect::new(move |_| {
        ctx.version.get();
        let f = for_.get_untracked().trim().to_string();
        // (An empty "for" lists what this auditor issued.)
        if listed.get_untracked().is_none() {
            return;
        }
        spawn_local(async move {
            if let Ok(r) = backend::cert_list(&f, false).await {
                listed.set(Some(r.certifications));
            }
        });
    });

    let text =
        move |key: &'static str, sig: RwSignal<String>, tid: &'static str, kind: &'static str| {
            view! {
                <label class="field">
                    <span>{move || ctx.t(key)}</span>
                    <input type=kind data-testid=tid prop:value=move || sig.get()
                        on:input=move |ev| sig.set(event_target_value(&ev))/>
                </label>
            }
        };

    view! {
        <section class="screen auditor-screen" data-testid="auditor-screen">
            <h2>{move || ctx.t("auditor.title")}</h2>
            <div class="panel stack">
                <h3 class="section">{move || ctx.t("auditor.issue")}</h3>
                {text("auditor.for", for_, "cert-for", "text")}
                <p class="hint">{move || ctx.t("auditor.for_hint")}</p>
                <div class="row">
                    {text("auditor.scheme", scheme, "cert-scheme", "text")}
                    {text("auditor.standard", standard, "cert-standard", "text")}
                    {text("cert.number", cert_no, "cert-number", "text")}
                </div>
                <div class="row">
                    {text("auditor.from", from, "cert-from", "date")}
                    {text("cert.until", until, "cert-until", "date")}
                </div>
                <label class="file-button">
                    <input type="file" data-testid="cert-doc" on:change=choose/>
                    <span>{move || ctx.t("auditor.certificate_file")}</span>
                </label>
                <p class="hint">{move || ctx.t("doc.local")}</p>
                {move || doc_problem.get().map(|p| view! {
                    <p class="doc-problem">{problem_text(ctx.lang.get(), &p)}</p>
                })}
                {move || doc.get().map(|h| view! { <p class="doc-hash">"SHA-256 "<code>{h}</code></p> })}
                <div class="row">
                    <button class="primary" data-testid="cert-issue" disabled=move || ctx.busy.get() on:click=issue>
                        {move || ctx.t("auditor.issue_button")}
                    </button>
                    <button class="secondary" data-testid="cert-list-button" disabled=move || ctx.busy.get() on:click=list>
                        {move || ctx.t("auditor.list")}
                    </button>
                </div>
                {move || issued.get().map(|r| view! {
                    <p class="receipt" data-testid="cert-issued">
                        {move || ctx.t("auditor.issued_id")}" "<code data-testid="cert-issued-id">{r.id.clone()}</code>
                        {r.height.map(|h| format!(" · {} {h}", ctx.t("auditor.block")))}
                    </p>
                })}
                {move || listed.get().map(|l| if l.is_empty() {
                    view! { <p class="hint" data-testid="cert-none">{ctx.t("auditor.none")}</p> }.into_any()
                } else {
                    view! { <CertTable certs=l show_ids=true/> }.into_any()
                })}
            </div>
            <div class="panel stack">
                <h3 class="section">{move || ctx.t("auditor.change")}</h3>
                {text("auditor.id", id, "cert-change-id", "text")}
                <div class="row">
                    <label class="field"><span>{move || ctx.t("auditor.change_kind")}</span>
                        <select data-testid="cert-change" on:change=move |ev| change.set(event_target_value(&ev))>
                            <option value="suspend">{move || ctx.t("auditor.suspend")}</option>
                            <option value="reinstate">{move || ctx.t("auditor.reinstate")}</option>
                            <option value="revoke">{move || ctx.t("auditor.revoke")}</option>
                        </select>
                    </label>
                    {text("auditor.reason", reason, "cert-reason", "text")}
                </div>
                <button class="primary" data-testid="cert-change-button"
                    disabled=move || id.get().trim().is_empty() || ctx.busy.get()
                    on:click=apply>
                    {move || ctx.t("auditor.apply")}
                </button>
                {move || changed.get().map(|r| view! {
                    <p class="receipt" data-testid="cert-changed">
                        {move || ctx.t("auditor.tx")}" "<code>{r.tx.clone()}</code>
                        {r.height.map(|h| format!(" · {} {h}", ctx.t("auditor.block")))}
                    </p>
                })}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_valid_certification_counts() {
        assert!(counts("valid"));
        for s in ["expired", "suspended", "revoked", "not_yet_valid", ""] {
            assert!(!counts(s), "{s}");
        }
    }

    #[test]
    fn every_status_and_route_has_words_in_both_languages() {
        for s in [
            "valid",
            "not_yet_valid",
            "expired",
            "suspended",
            "revoked",
            "other",
        ] {
            let k = status_key(s);
            assert_ne!(t(Lang::En, k), k, "{k}");
            assert_ne!(t(Lang::Zh, k), k, "{k}");
        }
        assert_eq!(t(Lang::En, status_key("revoked")), "Revoked");
        for v in ["thing", "lot", "product", "producer", "location", "x"] {
            let k = via_key(Some(v), "product");
            assert_ne!(t(Lang::En, k), k, "{k}");
            assert_ne!(t(Lang::Zh, k), k, "{k}");
        }
        // Listed for a subject directly: what it is.
        assert_eq!(via_key(None, "location"), "cert.via.location");
        for (k, key) in DOC_KINDS {
            assert_ne!(doc_kind_text(Lang::En, k), *key);
            assert_ne!(doc_kind_text(Lang::Zh, k), *key);
        }
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_it_is_read() {
        assert_eq!(check_size(MAX_DOCUMENT_BYTES), Ok(()));
        assert_eq!(
            check_size(MAX_DOCUMENT_BYTES + 1),
            Err(FileProblem::TooLarge(MAX_DOCUMENT_BYTES + 1))
        );
    }

    #[test]
    fn the_page_hashes_as_the_ledger_does() {
        // FIPS 180-2 test vector: SHA-256("abc").
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // One byte changed: another hash.
        assert_ne!(sha256_hex(b"abc"), sha256_hex(b"abd"));
    }
}
