//! Supply-chain finance for suppliers, buyers and warehouses: the org's invoices
//! (receivables) and warehouse receipts with their status in words, one asset's terms,
//! trade evidence, steps and alerts, the steps the org may take now (the node's `next`,
//! each with the small form it needs), and the forms that issue an invoice over accepted
//! deliveries and a warehouse receipt.
//!
//! The node decides everything (who may take which step, what matches): the page shows
//! its answers and sends typed requests. [`AssetDetail`] serves the Lender screen too.

use crate::app::{Arg, Ctx, Notice};
use crate::backend::{self, ApiError};
use crate::i18n::{Lang, datetime_ms, fill, lookup, number, static_key, t};
use handoff_api as api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::{HashMap, HashSet};

// ---------------------------------------------------------------- words and numbers

/// The integer part of a decimal with thousands separators (`1250000` → `1,250,000`).
fn group(int: &str) -> String {
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// An amount as the node gives it (a decimal string, exact) with its currency:
/// `EUR 1,250.00`. The string is never turned into a float.
pub fn money(amount: &str, currency: &str) -> String {
    let (int, frac) = match amount.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (amount, None),
    };
    let n = match frac {
        Some(f) => format!("{}.{f}", group(int)),
        None => group(int),
    };
    if currency.is_empty() {
        n
    } else {
        format!("{currency} {n}")
    }
}

/// A number for a chart's axis or bar, short in the language (`12.5K`, `1.3万`).
pub fn compact(lang: Lang, n: f64) -> String {
    let num = js_sys::Number::from(n);
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"notation".into(), &"compact".into());
    let _ = js_sys::Reflect::set(&opts, &"maximumFractionDigits".into(), &1.into());
    js_sys::Reflect::get(&num, &"toLocaleString".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call2(&num, &lang.tag().into(), &opts).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| number(lang, n))
}

use wasm_bindgen::JsCast;

/// `prefix` + `name` from the text table, or `name` as it is (a gap stays visible).
pub fn word(lang: Lang, prefix: &str, name: &str) -> String {
    lookup(lang, &format!("{prefix}{name}"))
        .map(String::from)
        .unwrap_or_else(|| name.to_string())
}

/// A status badge's class and words.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let class = format!("chip fin-st fin-st-{status}");
    let s = status.clone();
    view! {
        <span class=class data-testid="fin-status" data-status=status>{move || word(ctx.lang.get(), "fin.st.", &s)}</span>
    }
}

/// The name of an asset's party with `role`, if it has one.
pub fn party(a: &api::FinanceAssetView, role: &str) -> Option<String> {
    a.parties
        .iter()
        .find(|p| p.role == role)
        .map(|p| p.name.clone())
}

/// Where an asset stands, in words (`Pledged to Harbor Bank: moves need the lender's
/// release`).
pub fn status_words(lang: Lang, a: &api::FinanceAssetView) -> String {
    let key = format!("fin.say.{}.{}", a.kind, a.status);
    let Some(template) = lookup(lang, &key) else {
        return word(lang, "fin.st.", &a.status);
    };
    let (debtor, creditor) = if a.kind == "receipt" {
        ("owner", "warehouse")
    } else {
        ("buyer", "seller")
    };
    let lender = party(a, "lender").unwrap_or_else(|| t(lang, "fin.role.lender").to_string());
    fill(
        template,
        &[
            party(a, debtor).unwrap_or_default(),
            lender,
            party(a, creditor).unwrap_or_default(),
        ],
    )
}

/// An id cut to what a person compares.
pub fn short_id(id: &str) -> String {
    format!("{}…", id.chars().take(8).collect::<String>())
}

/// An asset's name: `Invoice INV-1`, or its kind and short id when the invoice number is
/// sealed to others.
pub fn asset_title(lang: Lang, a: &api::FinanceAssetView) -> String {
    let kind = word(lang, "fin.kind.", &a.kind);
    match a.terms.as_ref().and_then(|t| t.invoice.clone()) {
        Some(inv) => format!("{kind} {inv}"),
        None => format!("{kind} {}", short_id(&a.id)),
    }
}

/// A date (Unix ms) without its time.
pub fn date(lang: Lang, ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    if d.get_time().is_nan() {
        return String::new();
    }
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&opts, &"timeZone".into(), &"UTC".into());
    d.to_locale_date_string(lang.tag(), &opts).into()
}

/// An alert in the language on screen, from its kind and subject (the node's English
/// message is kept as the tooltip).
pub fn alert_text(lang: Lang, a: &api::FinanceAlertView) -> String {
    let template =
        lookup(lang, &format!("alert.{}", a.kind)).unwrap_or_else(|| t(lang, "alert.other"));
    let subject = a.subject.clone().unwrap_or_else(|| {
        if lookup(lang, &format!("alert.{}", a.kind)).is_some() {
            String::new()
        } else {
            a.message.clone()
        }
    });
    let text = fill(template, &[subject]);
    text.trim_end_matches([':', '：', ' ']).to_string()
}

/// What is alarming about an alert, for its colour.
fn alert_class(kind: &str) -> &'static str {
    match kind {
        "defaulted" | "reported_stolen" | "moved" | "decommissioned" | "terms_mismatch" => {
            "fin-alert bad"
        }
        _ => "fin-alert warn",
    }
}

/// A list of alerts; with `open`, each names its asset and opens it on a click.
#[component]
pub fn AlertList(
    alerts: Vec<api::FinanceAlertView>,
    #[prop(optional)] open: Option<Callback<String>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    if alerts.is_empty() {
        return view! { <p class="hint" data-testid="fin-no-alerts">{move || ctx.t("fin.no_alerts")}</p> }
            .into_any();
    }
    view! {
        <ul class="fin-alerts" data-testid="fin-alerts">
            {alerts.into_iter().map(|a| {
                let text = a.clone();
                let when = a.time_ms;
                let asset = a.asset.clone();
                view! {
                    <li class=alert_class(&a.kind) data-testid="fin-alert" data-kind=a.kind.clone() title=a.message.clone()>
                        <span class="fin-alert-text">{move || alert_text(ctx.lang.get(), &text)}</span>
                        <span class="fin-alert-meta">
                            {when.map(|ms| view! { <span>{move || datetime_ms(ctx.lang.get(), ms)}</span> })}
                            {a.height.map(|h| view! { <span>{move || fill(ctx.t("fin.block"), &[number(ctx.lang.get(), h as f64)])}</span> })}
                            {open.map(|cb| {
                                let id = asset.clone();
                                view! {
                                    <button class="ghost" data-testid="fin-alert-open" on:click=move |_| cb.run(id.clone())>
                                        {move || fill(ctx.t("alert.asset"), &[short_id(&asset)])}
                                    </button>
                                }
                            })}
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

// ---------------------------------------------------------------- the Finance screen

/// The Finance screen: the org's invoices and receipts, one asset at a time, and the
/// forms that issue them.
#[component]
pub fn FinanceScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let assets = RwSignal::new(None::<Vec<api::FinanceAssetView>>);
    let selected = RwSignal::new(None::<String>);
    let form = RwSignal::new(None::<&'static str>);
    let orgs = RwSignal::new(Vec::<api::OrgView>::new());
    Effect::new(move |_| {
        ctx.version.get();
        spawn_local(async move {
            match backend::finance_list().await {
                Ok(r) => assets.set(Some(r.assets)),
                Err(e) => ctx.fail(e),
            }
        });
    });
    Effect::new(move |_| {
        ctx.status.get();
        spawn_local(async move {
            if let Ok(r) = backend::orgs().await {
                orgs.set(r.orgs);
            }
        });
    });
    // A warehouse issues receipts; an org whose roles are unknown is offered the form too
    // (the node refuses it if it may not).
    let warehouse = move || {
        let me = ctx.my_org();
        orgs.with(|o| {
            o.iter()
                .find(|o| o.key == me)
                .is_none_or(|o| o.roles.iter().any(|r| r == "warehouse"))
        })
    };
    let invoiced = Signal::derive(move || {
        assets.with(|a| {
            a.iter()
                .flatten()
                .flat_map(|a| a.lines.iter().map(|l| l.handoff.clone()))
                .collect::<HashSet<String>>()
        })
    });
    let back = Callback::new(move |()| selected.set(None));

    view! {
        <section class="screen finance-screen" data-testid="finance-screen">
            {move || match selected.get() {
                Some(id) => view! { <AssetDetail id=id on_back=back lender=false/> }.into_any(),
                None => view! {
                    <h2 class="screen-title">{move || ctx.t("fin.title")}</h2>
                    <p class="hint">{move || ctx.t("fin.hint")}</p>
                    <div class="toolbar">
                        <button class="primary" data-testid="fin-new-invoice"
                            on:click=move |_| form.update(|f| *f = if *f == Some("invoice") { None } else { Some("invoice") })>
                            {move || ctx.t("fin.issue_invoice")}
                        </button>
                        {move || warehouse().then(|| view! {
                            <button class="secondary" data-testid="fin-new-receipt"
                                on:click=move |_| form.update(|f| *f = if *f == Some("receipt") { None } else { Some("receipt") })>
                                {move || ctx.t("fin.issue_receipt")}
                            </button>
                        })}
                    </div>
                    {move || match form.get() {
                        Some("invoice") => view! { <IssueInvoice orgs=orgs invoiced=invoiced done=Callback::new(move |()| form.set(None))/> }.into_any(),
                        Some(_) => view! { <IssueReceipt orgs=orgs done=Callback::new(move |()| form.set(None))/> }.into_any(),
                        None => ().into_any(),
                    }}
                    <h3 class="section">{move || ctx.t("fin.assets")}</h3>
                    {move || match assets.get() {
                        None => view! { <p class="hint">{ctx.t("msg.loading")}</p> }.into_any(),
                        Some(list) if list.is_empty() => view! { <p class="hint" data-testid="fin-empty">{ctx.t("fin.none")}</p> }.into_any(),
                        Some(list) => view! {
                            <ul class="fin-list" data-testid="fin-assets">
                                {list.into_iter().map(|a| view! { <AssetRow asset=a open=Callback::new(move |id| selected.set(Some(id)))/> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }}
                }.into_any(),
            }}
        </section>
    }
}

/// One asset in the list: kind and name, counterparties, amount, status.
#[component]
fn AssetRow(asset: api::FinanceAssetView, open: Callback<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let a = asset.clone();
    let id = asset.id.clone();
    let currency = asset.currency.clone().unwrap_or_default();
    let amount = asset.terms.as_ref().and_then(|t| {
        t.outstanding
            .clone()
            .or_else(|| t.face.clone())
            .map(|v| money(&v, &currency))
    });
    let who = {
        let a = asset.clone();
        move || {
            let lang = ctx.lang.get();
            let (x, y) = if a.kind == "receipt" {
                ("warehouse", "owner")
            } else {
                ("seller", "buyer")
            };
            format!(
                "{} → {}",
                party(&a, x).unwrap_or_default(),
                party(&a, y).unwrap_or_default()
            ) + &a
                .roles
                .iter()
                .map(|r| format!(" · {}", word(lang, "fin.role.", r)))
                .collect::<String>()
        }
    };
    view! {
        <li>
            <button class="fin-row" data-testid="fin-asset" data-id=asset.id.clone() data-status=asset.status.clone()
                on:click=move |_| open.run(id.clone())>
                <span class="fin-row-main">
                    <span class="fin-row-title">{move || asset_title(ctx.lang.get(), &a)}</span>
                    <span class="fin-row-who">{who}</span>
                    <span class="fin-row-say" data-testid="fin-say">{
                        let a = asset.clone();
                        move || status_words(ctx.lang.get(), &a)
                    }</span>
                </span>
                <span class="fin-row-side">
                    <StatusBadge status=asset.status.clone()/>
                    {amount.map(|m| view! { <span class="fin-amount">{m}</span> })}
                    {asset.due_ms.map(|ms| view! { <span class="fin-due">{move || format!("{} {}", ctx.t("fin.due"), date(ctx.lang.get(), ms))}</span> })}
                </span>
            </button>
        </li>
    }
}

// ---------------------------------------------------------------- one asset

/// What the detail view shows: the evidence when the node answers it, else the asset and
/// its steps.
#[derive(Clone, Debug, PartialEq)]
struct Detail {
    asset: api::FinanceAssetView,
    steps: Vec<api::FinanceStepView>,
    evidence: Option<api::FinanceEvidenceResponse>,
}

/// One asset: status, terms, evidence, alerts, steps, and the actions of `next`. With
/// `lender`, the evidence-pack exports too.
#[component]
pub fn AssetDetail(id: String, on_back: Callback<()>, lender: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let data = RwSignal::new(None::<Detail>);
    let orgs = RwSignal::new(Vec::<api::OrgView>::new());
    {
        let id = id.clone();
        Effect::new(move |_| {
            ctx.version.get();
            let id = id.clone();
            spawn_local(async move {
                // The evidence is the fuller answer. A light node builds it from its index
                // and proven reads; when it cannot now (no peer, and its index does not hold
                // a record the evidence reads) or a node not at all (`LIGHT_NODE`, or one
                // that does not have it yet), the asset, its terms and its steps still
                // show. Any other failure (a fault, a proof that fails) is said, never
                // hidden.
                let r = match backend::finance_evidence(&id).await {
                    Ok(e) => Ok(Detail {
                        asset: e.asset.clone(),
                        steps: e.steps.clone(),
                        evidence: Some(e),
                    }),
                    Err(e)
                        if matches!(
                            e.code.as_str(),
                            "LIGHT_NODE" | "PROOF_UNAVAILABLE" | "NO_PEER" | "NOT_IMPLEMENTED"
                        ) =>
                    {
                        backend::finance_show(&id).await.map(|s| Detail {
                            asset: s.asset,
                            steps: s.steps,
                            evidence: None,
                        })
                    }
                    Err(e) => Err(e),
                };
                match r {
                    Ok(d) => data.set(Some(d)),
                    Err(e) => ctx.fail(e),
                }
            });
        });
    }
    Effect::new(move |_| {
        spawn_local(async move {
            if let Ok(r) = backend::orgs().await {
                orgs.set(r.orgs);
            }
        });
    });
    view! {
        <div class="fin-detail" data-testid="fin-detail" data-id=id.clone()>
            <div class="toolbar">
                <button class="ghost" data-testid="fin-back" on:click=move |_| on_back.run(())>{move || format!("← {}", ctx.t("fin.back"))}</button>
            </div>
            {move || data.get().map(|d| view! { <DetailBody d=d orgs=orgs lender=lender/> })}
        </div>
    }
}

#[component]
fn DetailBody(d: Detail, orgs: RwSignal<Vec<api::OrgView>>, lender: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let a = d.asset.clone();
    let currency = a.currency.clone().unwrap_or_default();
    let head = a.clone();
    let say = a.clone();
    let terms = a.terms.clone();
    let id = a.id.clone();
    let evidence = d.evidence.clone();
    let alerts = evidence
        .as_ref()
        .map(|e| e.alerts.clone())
        .unwrap_or_default();
    let kv = move |key: &'static str, v: String, tid: &'static str| {
        view! {
            <div class="kv" data-testid=tid><span class="k">{move || ctx.t(key)}</span><span class="v">{v}</span></div>
        }
    };
    let c = currency.clone();
    let terms_view = match terms {
        Some(tm) => {
            let m = move |v: &str| money(v, &c);
            view! {
                <div class="kvs" data-testid="fin-terms">
                    {tm.invoice.clone().map(|v| kv("fin.invoice_no", v, "fin-invoice"))}
                    {tm.face.as_deref().map(|v| kv("fin.face", m(v), "fin-face"))}
                    {tm.outstanding.as_deref().map(|v| kv("fin.outstanding", m(v), "fin-outstanding"))}
                    {kv("fin.paid", m(&tm.paid), "fin-paid")}
                    {(!tm.diluted.trim_start_matches(['0', '.']).is_empty()).then(|| kv("fin.diluted", m(&tm.diluted), "fin-diluted"))}
                    {(!tm.recovered.trim_start_matches(['0', '.']).is_empty()).then(|| kv("fin.recovered", m(&tm.recovered), "fin-recovered"))}
                    {tm.advance.as_deref().map(|v| kv("fin.advance", m(v), "fin-advance"))}
                    {tm.fee.as_deref().map(|v| kv("fin.fee", m(v), "fin-fee"))}
                </div>
                {(!tm.consistent).then(|| view! {
                    <div class="hint warn" data-testid="fin-terms-problem">
                        {move || ctx.t("fin.terms_problem")}
                        <ul>{tm.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}</ul>
                    </div>
                })}
            }
            .into_any()
        }
        None if a.kind == "receivable" => {
            view! { <p class="hint" data-testid="fin-sealed">{move || ctx.t("fin.sealed")}</p> }
                .into_any()
        }
        None => ().into_any(),
    };
    let due = a.due_ms;
    let goods_n = (a.kind == "receipt").then_some((a.goods.len() + a.lots.len(), a.released.len()));
    view! {
        <div class="card" data-testid="fin-asset-card">
            <header class="card-head">
                <div>
                    <h2 class="title" data-testid="fin-title">{move || asset_title(ctx.lang.get(), &head)}</h2>
                    <div class="code">{a.id.clone()}</div>
                </div>
                <StatusBadge status=a.status.clone()/>
            </header>
            <p class="fin-say" data-testid="fin-say">{move || status_words(ctx.lang.get(), &say)}</p>
            {terms_view}
            <div class="kvs">
                {due.map(|ms| view! { <div class="kv"><span class="k">{move || ctx.t("fin.due")}</span><span class="v">{move || date(ctx.lang.get(), ms)}</span></div> })}
                {goods_n.map(|(g, r)| view! { <div class="kv"><span class="k">{move || ctx.t("fin.goods")}</span><span class="v">{move || fill(ctx.t("fin.goods_n"), &[number(ctx.lang.get(), g as f64), number(ctx.lang.get(), r as f64)])}</span></div> })}
                {a.parties.iter().map(|p| {
                    let role = p.role.clone();
                    view! { <div class="kv"><span class="k">{move || word(ctx.lang.get(), "fin.role.", &role)}</span><span class="v">{p.name.clone()}</span></div> }
                }).collect_view()}
            </div>
            {lender.then(|| view! { <ExportButtons id=Some(id.clone())/> })}
        </div>
        <ActionPanel id=id.clone() kind=a.kind.clone() next=a.next.clone() orgs=orgs/>
        {(!alerts.is_empty()).then(|| view! {
            <div class="card" data-testid="fin-detail-alerts">
                <h3 class="section">{move || ctx.t("fin.alerts")}</h3>
                <AlertList alerts=alerts/>
            </div>
        })}
        {match evidence {
            Some(e) => view! { <Evidence e=e currency=currency.clone()/> }.into_any(),
            None => view! { <p class="hint" data-testid="fin-evidence-unavailable">{move || ctx.t("fin.evidence_unavailable")}</p> }.into_any(),
        }}
        <div class="card">
            <h3 class="section">{move || ctx.t("fin.steps")}</h3>
            <ol class="timeline" data-testid="fin-steps">
                {d.steps.into_iter().map(|s| {
                    let step = s.step.clone();
                    view! {
                        <li class="event" data-testid="fin-step" data-step=s.step.clone()>
                            <div class="when">{move || datetime_ms(ctx.lang.get(), s.time_ms)}</div>
                            <div class="what">{move || word(ctx.lang.get(), "fin.step.", &step)}</div>
                            <div class="who">{move || fill(ctx.t("fin.by"), std::slice::from_ref(&s.by))}</div>
                            <div class="gln">{move || fill(ctx.t("fin.block"), &[number(ctx.lang.get(), s.height as f64)])}" · "<span class="mono">{short_id(&s.tx)}</span></div>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </div>
    }
}

/// Where a light node's finance view read the chain: its index's freshness, and the
/// block the handoffs, goods, orgs and products were verified against (or, with no
/// peer, that they are as its index last saw them). Nothing on a full node.
#[component]
pub fn LightSource(light: Option<api::IndexFreshness>, proven_at: Option<u64>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let on_light = light.is_some();
    view! {
        <crate::home::Freshness light=light/>
        {on_light.then(|| view! {
            <p class="hint" data-testid="fin-proven-at" data-height=proven_at.map(|h| h.to_string()).unwrap_or_default()>
                {move || match proven_at {
                    Some(h) => fill(ctx.t("fin.proven_at"), &[number(ctx.lang.get(), h as f64)]),
                    None => ctx.t("fin.from_index").to_string(),
                }}
            </p>
        })}
    }
}

/// The trade evidence: each invoiced line matched (✓) or flagged (✗, with why), or each
/// good on a receipt and where it stands.
#[component]
fn Evidence(e: api::FinanceEvidenceResponse, currency: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let matched = e.matched;
    let receipt = e.asset.kind == "receipt";
    let light = e.light.clone();
    let proven_at = e.proven_at;
    view! {
        <div class="card" data-testid="fin-evidence" data-matched=matched.to_string()>
            <header class="card-head">
                <h3 class="section">{move || ctx.t("fin.evidence")}</h3>
                <span class=if matched { "chip chip-committed" } else { "chip chip-rejected" } data-testid="fin-evidence-verdict">
                    {move || ctx.t(match (receipt, matched) {
                        (false, true) => "fin.evidence_ok",
                        (false, false) => "fin.evidence_bad",
                        (true, true) => "fin.goods_ok",
                        (true, false) => "fin.goods_bad",
                    })}
                </span>
            </header>
            <LightSource light=light proven_at=proven_at/>
            {(!e.lines.is_empty()).then(|| view! { <p class="hint">{move || ctx.t("fin.evidence_hint")}</p> })}
            <ol class="ev-lines">
                {e.lines.into_iter().map(|l| {
                    let ok = l.matched;
                    let mut reasons: Vec<&'static str> = Vec::new();
                    if l.status != "accepted" { reasons.push("fin.not_accepted"); }
                    match l.exception.as_deref() {
                        Some("missing") => reasons.push("fin.exc.missing"),
                        Some("damaged") => reasons.push("fin.exc.damaged"),
                        _ => {}
                    }
                    if !l.documents.iter().any(|d| d.kind == "po") { reasons.push("fin.no_po"); }
                    let amount = l.amount.as_deref().map(|a| money(a, &currency));
                    let line_no = l.line;
                    let height = l.accepted_height;
                    let at = l.accepted_ms;
                    view! {
                        <li class=if ok { "ev-line matched" } else { "ev-line flagged" } data-testid="ev-line" data-matched=ok.to_string()>
                            <div class="ev-line-head">
                                <span class="ev-mark" aria-hidden="true">{if ok { "✓" } else { "✗" }}</span>
                                <strong>{move || fill(ctx.t("fin.line"), &[line_no.to_string()])}</strong>
                                <span class="mono">{l.item.clone()}</span>
                                {l.quantity.map(|q| view! { <span class="tag">{format!("× {q}")}</span> })}
                                {amount.map(|m| view! { <span class="fin-amount">{m}</span> })}
                                <span class=if ok { "chip chip-committed" } else { "chip chip-rejected" }>
                                    {move || ctx.t(if ok { "fin.line_matched" } else { "fin.line_flagged" })}
                                </span>
                            </div>
                            <div class="ev-line-sub">
                                {format!("{} → {}", l.from, l.to)}
                                {height.map(|h| view! { " · " <span>{move || fill(ctx.t("fin.accepted_at"), &[number(ctx.lang.get(), h as f64)])}</span> })}
                                {at.map(|ms| view! { " · " <span>{move || datetime_ms(ctx.lang.get(), ms)}</span> })}
                            </div>
                            {(!l.documents.is_empty()).then(|| view! {
                                <div class="ev-docs">
                                    {l.documents.iter().map(|d| {
                                        let kind = d.kind.clone();
                                        let label = d.number.clone().or(d.title.clone()).unwrap_or_default();
                                        view! { <span class="tag" title=d.sha256.clone().unwrap_or_default()>{move || word(ctx.lang.get(), "doc.kind.", &kind)}" "{label.clone()}</span> }
                                    }).collect_view()}
                                </div>
                            })}
                            {(!ok).then(|| view! {
                                <ul class="ev-problems" data-testid="ev-problems">
                                    {reasons.into_iter().map(|k| view! { <li>{move || ctx.t(k)}</li> }).collect_view()}
                                    {l.problems.iter().map(|p| view! { <li class="ev-node-words">{p.clone()}</li> }).collect_view()}
                                </ul>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(!e.goods.is_empty()).then(|| view! {
                <ul class="ev-goods" data-testid="ev-goods">
                    {e.goods.into_iter().map(|g| {
                        let flagged = !g.flags.is_empty();
                        let flags = g.flags.clone();
                        view! {
                            <li class=if flagged { "ev-line flagged" } else { "ev-line matched" } data-testid="ev-good" data-flags=g.flags.join(" ")>
                                <div class="ev-line-head">
                                    <span class="ev-mark" aria-hidden="true">{if flagged { "✗" } else { "✓" }}</span>
                                    <span class="mono">{g.item.clone()}</span>
                                    <span class="tag">{move || ctx.t(if g.released { "fin.released" } else { "fin.pledged_good" })}</span>
                                    {flags.into_iter().map(|f| view! { <span class="chip chip-rejected">{move || word(ctx.lang.get(), "fin.flag.", &f)}</span> }).collect_view()}
                                </div>
                                {g.custodian.clone().map(|c| view! { <div class="ev-line-sub">{move || fill(ctx.t("fin.custodian"), std::slice::from_ref(&c))}</div> })}
                                {g.quantity.zip(g.held).map(|(q, h)| view! { <div class="ev-line-sub" data-testid="ev-good-qty">{move || fill(ctx.t("fin.lot_qty"), &[number(ctx.lang.get(), q as f64), number(ctx.lang.get(), h as f64)])}</div> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}

// ---------------------------------------------------------------- steps

/// The values a step's form collects.
#[derive(Clone, Copy)]
struct StepForm {
    amount: RwSignal<String>,
    reference: RwSignal<String>,
    advance: RwSignal<String>,
    fee: RwSignal<String>,
    org: RwSignal<String>,
    reason: RwSignal<String>,
    scans: RwSignal<String>,
}

impl StepForm {
    fn new() -> StepForm {
        StepForm {
            amount: RwSignal::new(String::new()),
            reference: RwSignal::new(String::new()),
            advance: RwSignal::new(String::new()),
            fee: RwSignal::new(String::new()),
            org: RwSignal::new(String::new()),
            reason: RwSignal::new(String::new()),
            scans: RwSignal::new(String::new()),
        }
    }
}

/// The fields a step asks for: `(text key, which value, test id)`; `org` picks an org.
fn step_fields(step: &str) -> &'static [(&'static str, &'static str, &'static str)] {
    match step {
        "request" | "pledge" => &[("fin.f.lender", "org", "fin-f-org")],
        "split" => &[
            ("fin.f.to", "org", "fin-f-org"),
            ("fin.f.amount", "amount", "fin-f-amount"),
        ],
        "transfer" => &[("fin.f.to", "org", "fin-f-org")],
        "offer" => &[
            ("fin.f.advance", "advance", "fin-f-advance"),
            ("fin.f.fee", "fee", "fin-f-fee"),
        ],
        "repay" | "recover" => &[
            ("fin.f.amount", "amount", "fin-f-amount"),
            ("fin.f.reference", "reference", "fin-f-reference"),
        ],
        "dilute" => &[
            ("fin.f.amount", "amount", "fin-f-amount"),
            ("fin.f.reason", "reason", "fin-f-reason"),
        ],
        "release" => &[("fin.f.release_scans", "scans", "fin-f-scans")],
        _ => &[],
    }
}

/// Steps that undo nothing and hurt someone: asked twice (a form with only its button).
fn grave(step: &str) -> bool {
    matches!(step, "default" | "write-off" | "enforce")
}

/// Scans typed one per line (or separated by commas).
pub fn scan_lines(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Sends `step` on asset `id` with the form's values.
async fn send_step(
    id: String,
    step: String,
    f: Values,
) -> Result<api::FinanceActionResponse, ApiError> {
    let id = id.as_str();
    match step.as_str() {
        "confirm" => backend::receivable_confirm(id).await,
        "request" => backend::receivable_request(id, &f.org).await,
        "split" => backend::receivable_split(id, &f.org, &f.amount).await,
        "transfer" => backend::receivable_transfer(id, &f.org).await,
        "offer" => backend::receivable_offer(id, &f.advance, &f.fee).await,
        "accept-offer" => backend::receivable_accept_offer(id).await,
        "fund" => backend::receivable_fund(id).await,
        "repay" => backend::receivable_repay(id, &f.amount, &f.reference).await,
        "dilute" => backend::receivable_dilute(id, &f.amount, &f.reason).await,
        "settle" => backend::receivable_settle(id).await,
        "overdue" => backend::receivable_overdue(id).await,
        "default" => backend::receivable_default(id).await,
        "recover" => backend::receivable_recover(id, &f.amount, &f.reference).await,
        "write-off" => backend::receivable_write_off(id).await,
        "pledge" => backend::receipt_pledge(id, &f.org).await,
        "accept-pledge" => backend::receipt_accept_pledge(id).await,
        "release" => backend::receipt_release(id, &scan_lines(&f.scans)).await,
        "enforce" => backend::receipt_enforce(id).await,
        other => Err(ApiError::new(
            "UNKNOWN_STEP",
            format!("this version of Handoff cannot take the step '{other}'"),
        )),
    }
}

/// A form's values, read once when it is sent.
#[derive(Clone, Debug, Default)]
struct Values {
    amount: String,
    reference: String,
    advance: String,
    fee: String,
    org: String,
    reason: String,
    scans: String,
}

impl StepForm {
    fn values(&self) -> Values {
        let g = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        Values {
            amount: g(self.amount),
            reference: g(self.reference),
            advance: g(self.advance),
            fee: g(self.fee),
            org: g(self.org),
            reason: g(self.reason),
            scans: self.scans.get_untracked(),
        }
    }
    fn signal(&self, which: &str) -> RwSignal<String> {
        match which {
            "amount" => self.amount,
            "reference" => self.reference,
            "advance" => self.advance,
            "fee" => self.fee,
            "org" => self.org,
            "reason" => self.reason,
            _ => self.scans,
        }
    }
}

/// The steps the org may take now (the node's `next`), each a button; a step that needs
/// values opens its small form.
#[component]
fn ActionPanel(
    id: String,
    kind: String,
    next: Vec<String>,
    orgs: RwSignal<Vec<api::OrgView>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let open = RwSignal::new(None::<String>);
    let form = StepForm::new();
    let _ = kind;
    let run = {
        let id = id.clone();
        move |step: String| {
            let values = form.values();
            for (key, which, _) in step_fields(&step) {
                let v = form.values();
                let empty = match *which {
                    "amount" => v.amount.is_empty(),
                    "reference" => v.reference.is_empty(),
                    "advance" => v.advance.is_empty(),
                    "fee" => v.fee.is_empty(),
                    "org" => v.org.is_empty(),
                    "reason" => v.reason.is_empty(),
                    _ => false,
                };
                if empty {
                    ctx.fail(ApiError::new(
                        "FIELD_MISSING",
                        fill(ctx.t("fin.f.missing"), &[ctx.t(key).to_string()]),
                    ));
                    return;
                }
            }
            let id = id.clone();
            ctx.busy.set(true);
            spawn_local(async move {
                match send_step(id, step.clone(), values).await {
                    Ok(r) => {
                        open.set(None);
                        let key = static_key(&format!("fin.done.{step}")).unwrap_or("msg.saved");
                        ctx.done(
                            Notice::new(key).arg(Arg::Text(
                                r.height
                                    .map(|h| h.to_string())
                                    .unwrap_or_else(|| "…".into()),
                            )),
                        );
                    }
                    Err(e) => ctx.fail(e),
                }
                ctx.busy.set(false);
            });
        }
    };
    let run2 = run.clone();
    let me = ctx.my_org();
    view! {
        <div class="card" data-testid="fin-actions">
            <h3 class="section">{move || ctx.t("fin.actions")}</h3>
            {next.is_empty().then(|| view! { <p class="hint" data-testid="fin-no-actions">{move || ctx.t("fin.no_actions")}</p> })}
            <div class="actions">
                {next.iter().map(|step| {
                    let s = step.clone();
                    let s_on = step.clone();
                    let label = step.clone();
                    let class = if grave(step) { "danger" } else if step_fields(step).is_empty() { "primary" } else { "secondary" };
                    let run = run.clone();
                    view! {
                        <button class=class data-testid=format!("fin-do-{step}") data-step=step.clone()
                            class:on=move || open.get().as_deref() == Some(s_on.as_str())
                            on:click=move |_| {
                                if step_fields(&s).is_empty() && !grave(&s) {
                                    run(s.clone());
                                } else {
                                    open.update(|o| *o = if o.as_deref() == Some(s.as_str()) { None } else { Some(s.clone()) });
                                }
                            }>
                            {move || word(ctx.lang.get(), "fin.do.", &label)}
                        </button>
                    }
                }).collect_view()}
            </div>
            {move || open.get().map(|step| {
                let fields = step_fields(&step);
                let run = run2.clone();
                let s = step.clone();
                let me = me.clone();
                view! {
                    <div class="panel" data-testid="fin-step-form" data-step=step.clone()>
                        {fields.iter().map(|(key, which, tid)| {
                            let sig = form.signal(which);
                            let me = me.clone();
                            match *which {
                                "org" => view! {
                                    <label class="field"><span>{move || ctx.t(key)}</span>
                                        <select data-testid=*tid on:change=move |ev| sig.set(event_target_value(&ev)) prop:value=move || sig.get()>
                                            <option value="">{move || ctx.t("fin.f.choose")}</option>
                                            {move || orgs.get().into_iter().filter(|o| o.key != me && !o.suspended).map(|o| view! {
                                                <option value=o.name.clone()>{o.name.clone()}</option>
                                            }).collect_view()}
                                        </select>
                                    </label>
                                }.into_any(),
                                "scans" => view! {
                                    <label class="field wide"><span>{move || ctx.t(key)}</span>
                                        <textarea data-testid=*tid prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))></textarea>
                                    </label>
                                }.into_any(),
                                _ => view! {
                                    <label class="field"><span>{move || ctx.t(key)}</span>
                                        <input type="text" inputmode=if matches!(*which, "amount" | "advance" | "fee") { "decimal" } else { "text" }
                                            data-testid=*tid prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
                                    </label>
                                }.into_any(),
                            }
                        }).collect_view()}
                        <div class="actions">
                            <button class=if grave(&step) { "danger" } else { "primary" } data-testid="fin-step-submit"
                                on:click=move |_| run(s.clone())>
                                {
                                    let step = step.clone();
                                    move || word(ctx.lang.get(), "fin.do.", &step)
                                }
                            </button>
                            <button class="ghost" on:click=move |_| open.set(None)>{move || ctx.t("fin.do.cancel")}</button>
                        </div>
                    </div>
                }
            })}
        </div>
    }
}

// ---------------------------------------------------------------- exports

/// The file name and bytes of an export, checked against the SHA-256 the node gave.
pub fn checked_export(x: &api::FinanceExportResponse) -> Result<Vec<u8>, ApiError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(x.data_base64.trim())
        .map_err(|e| {
            ApiError::new(
                "BAD_RESPONSE",
                format!("finance_export: the file is no base64: {e}"),
            )
        })?;
    let sum = handoff_core::types::sha256(&[&bytes]).to_hex();
    if !sum.eq_ignore_ascii_case(&x.sha256) {
        return Err(ApiError::new(
            "EXPORT_CHECKSUM",
            format!("{}: SHA-256 {sum}, the node said {}", x.name, x.sha256),
        ));
    }
    Ok(bytes)
}

/// Asks the node for a file and saves it (a download in a browser, a file in the app).
pub fn export(ctx: Ctx, id: Option<String>, format: &'static str) {
    ctx.busy.set(true);
    spawn_local(async move {
        let r = async {
            let x = backend::finance_export(id, format).await?;
            let bytes = checked_export(&x)?;
            backend::save_bytes(&x.name, &x.mime, bytes).await
        }
        .await;
        match r {
            Ok(saved) => ctx.done(Notice::new("notice.fin_exported").arg(Arg::Text(saved.path))),
            Err(e) => ctx.fail(e),
        }
        ctx.busy.set(false);
    });
}

/// An asset's evidence pack (JSON, PDF); without an asset, the portfolio CSV.
#[component]
pub fn ExportButtons(id: Option<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <div class="actions fin-exports">
            {match id {
                Some(id) => {
                    let id2 = id.clone();
                    view! {
                        <button class="secondary" data-testid="fin-export-json" on:click=move |_| export(ctx, Some(id.clone()), "json")>{move || ctx.t("fin.ev_pack_json")}</button>
                        <button class="secondary" data-testid="fin-export-pdf" on:click=move |_| export(ctx, Some(id2.clone()), "pdf")>{move || ctx.t("fin.ev_pack_pdf")}</button>
                    }.into_any()
                }
                None => view! {
                    <button class="secondary" data-testid="fin-export-csv" on:click=move |_| export(ctx, None, "csv")>{move || ctx.t("fin.portfolio_csv")}</button>
                }.into_any(),
            }}
        </div>
    }
}

// ---------------------------------------------------------------- issuing

/// An accepted delivery the org sent: what can back an invoice.
#[derive(Clone, Debug, PartialEq)]
struct Delivery {
    id: String,
    to: String,
    to_name: String,
    items: usize,
    first: String,
    exceptions: usize,
    height: Option<u64>,
    time: String,
}

/// How many of the org's latest transactions are read for its deliveries.
const DELIVERY_SCAN: usize = 200;
/// How many proposals among them are opened (newest first).
const DELIVERY_OPEN: usize = 40;

/// The accepted handoffs the org sent, newest first: its proposals among its latest
/// transactions (`activity`), each read (`handoff_show`) for where it went and whether it
/// was accepted.
async fn deliveries() -> Result<Vec<Delivery>, ApiError> {
    let act = backend::activity(DELIVERY_SCAN).await?;
    let mut out = Vec::new();
    for row in act
        .events
        .iter()
        .filter(|r| r.kind == "handoff_proposed" && r.rejected.is_none())
        .take(DELIVERY_OPEN)
    {
        let h = backend::handoff_show(&row.tx).await?.handoff;
        if h.status != "accepted" {
            continue;
        }
        out.push(Delivery {
            id: h.id.clone(),
            to: h.to.key.clone(),
            to_name: h.to.name.clone(),
            items: h.entries.len(),
            first: h.entries.first().map(|e| e.key.clone()).unwrap_or_default(),
            exceptions: h.missing.len() + h.damaged.len(),
            height: h.closed_height,
            time: h.proposed_time.clone(),
        });
    }
    Ok(out)
}

/// The seller's invoice: buyer, accepted deliveries to it with an amount each, currency,
/// number and due date.
#[component]
fn IssueInvoice(
    orgs: RwSignal<Vec<api::OrgView>>,
    invoiced: Signal<HashSet<String>>,
    done: Callback<()>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let buyer = RwSignal::new(String::new());
    let currency = RwSignal::new("EUR".to_string());
    let invoice = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Vec<Delivery>>);
    let picked = RwSignal::new(HashMap::<String, (bool, String)>::new());
    spawn_local(async move {
        match deliveries().await {
            Ok(d) => found.set(Some(d)),
            Err(e) => {
                found.set(Some(Vec::new()));
                ctx.fail(e);
            }
        }
    });
    let me = ctx.my_org();
    let to_buyer = move || {
        let b = buyer.get();
        found
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|d| !b.is_empty() && (d.to == b))
            .collect::<Vec<_>>()
    };
    let total = move || {
        picked.with(|p| {
            p.values()
                .filter(|(on, _)| *on)
                .filter_map(|(_, a)| a.trim().parse::<f64>().ok())
                .sum::<f64>()
        })
    };
    let submit = move |_| {
        let b = buyer.get_untracked();
        let lines: Vec<String> = picked.with_untracked(|p| {
            let mut l: Vec<String> = p
                .iter()
                .filter(|(_, (on, a))| *on && !a.trim().is_empty())
                .map(|(h, (_, a))| format!("{h}={}", a.trim()))
                .collect();
            l.sort();
            l
        });
        let missing = [
            (b.is_empty(), "fin.f.buyer"),
            (invoice.get_untracked().trim().is_empty(), "fin.f.invoice"),
            (lines.is_empty(), "fin.f.handoffs"),
            (currency.get_untracked().trim().is_empty(), "fin.currency"),
        ];
        if let Some((_, key)) = missing.iter().find(|(m, _)| *m) {
            ctx.fail(ApiError::new(
                "FIELD_MISSING",
                fill(ctx.t("fin.f.missing"), &[ctx.t(key).to_string()]),
            ));
            return;
        }
        let due = due.get_untracked();
        let req = api::ReceivableIssueRequest {
            buyer: b,
            invoice: invoice.get_untracked().trim().to_string(),
            currency: currency.get_untracked().trim().to_uppercase(),
            lines,
            due: (!due.is_empty()).then_some(due),
        };
        ctx.busy.set(true);
        spawn_local(async move {
            match backend::receivable_issue(req).await {
                Ok(r) => {
                    done.run(());
                    ctx.done(
                        Notice::new("fin.done.issue_invoice").arg(Arg::Text(
                            r.height
                                .map(|h| h.to_string())
                                .unwrap_or_else(|| "…".into()),
                        )),
                    );
                }
                Err(e) => ctx.fail(e),
            }
            ctx.busy.set(false);
        });
    };
    view! {
        <div class="card" data-testid="fin-invoice-form">
            <h3 class="section">{move || ctx.t("fin.issue_invoice")}</h3>
            <div class="row">
                <label class="field"><span>{move || ctx.t("fin.f.buyer")}</span>
                    <select data-testid="fin-f-buyer" on:change=move |ev| { picked.set(HashMap::new()); buyer.set(event_target_value(&ev)); }>
                        <option value="">{move || ctx.t("fin.f.choose")}</option>
                        {move || {
                            let me = me.clone();
                            orgs.get().into_iter().filter(move |o| o.key != me).map(|o| view! {
                                <option value=o.key.clone()>{o.name.clone()}</option>
                            }).collect_view()
                        }}
                    </select>
                </label>
                <label class="field"><span>{move || ctx.t("fin.f.invoice")}</span>
                    <input type="text" data-testid="fin-f-invoice" prop:value=move || invoice.get() on:input=move |ev| invoice.set(event_target_value(&ev))/>
                </label>
                <label class="field narrow"><span>{move || ctx.t("fin.currency")}</span>
                    <input type="text" maxlength="3" data-testid="fin-f-currency" prop:value=move || currency.get() on:input=move |ev| currency.set(event_target_value(&ev))/>
                </label>
                <label class="field"><span>{move || ctx.t("fin.f.due")}</span>
                    <input type="date" data-testid="fin-f-due" prop:value=move || due.get() on:input=move |ev| due.set(event_target_value(&ev))/>
                </label>
            </div>
            <h4 class="fin-sub">{move || ctx.t("fin.f.handoffs")}</h4>
            <p class="hint">{move || ctx.t("fin.f.handoffs_hint")}</p>
            {move || {
                if buyer.get().is_empty() {
                    return view! { <p class="hint">{ctx.t("fin.f.pick_buyer")}</p> }.into_any();
                }
                if found.get().is_none() {
                    return view! { <p class="hint">{ctx.t("msg.loading")}</p> }.into_any();
                }
                let list = to_buyer();
                if list.is_empty() {
                    return view! { <p class="hint" data-testid="fin-no-deliveries">{ctx.t("fin.f.no_handoffs")}</p> }.into_any();
                }
                let lang = ctx.lang.get_untracked();
                view! {
                    <ul class="fin-deliveries" data-testid="fin-deliveries">
                        {list.into_iter().map(|d| {
                            let used = invoiced.get_untracked().contains(&d.id);
                            let h = d.id.clone();
                            let h2 = d.id.clone();
                            let h3 = d.id.clone();
                            view! {
                                <li class="fin-delivery" class:used=used data-testid="fin-delivery" data-id=d.id.clone()>
                                    <label class="check">
                                        <input type="checkbox" disabled=used data-testid="fin-delivery-pick"
                                            prop:checked=move || picked.with(|p| p.get(&h).is_some_and(|x| x.0))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                picked.update(|p| p.entry(h2.clone()).or_insert((false, String::new())).0 = on);
                                            }/>
                                        <span class="fin-delivery-text">
                                            <span class="mono">{short_id(&d.id)}</span>
                                            " · "{fill(t(lang, "fin.f.items_n"), &[number(lang, d.items as f64)])}
                                            " · "<span class="mono">{d.first.clone()}</span>
                                            <br/><span class="hint">{d.to_name.clone()}" · "{crate::i18n::datetime(lang, &d.time)}
                                                {d.height.map(|h| format!(" · {}", fill(t(lang, "fin.block"), &[number(lang, h as f64)])))}</span>
                                            {used.then(|| view! { <span class="tag">{t(lang, "fin.f.invoiced")}</span> })}
                                            {(d.exceptions > 0).then(|| view! { <span class="tag warn">{t(lang, "fin.f.exceptions")}</span> })}
                                        </span>
                                    </label>
                                    <input class="fin-line-amount" type="text" inputmode="decimal" disabled=used data-testid="fin-delivery-amount"
                                        placeholder=t(lang, "fin.f.amount")
                                        on:input=move |ev| {
                                            let v = event_target_value(&ev);
                                            picked.update(|p| {
                                                let e = p.entry(h3.clone()).or_insert((false, String::new()));
                                                e.0 = e.0 || !v.trim().is_empty();
                                                e.1 = v;
                                            });
                                        }/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <div class="actions">
                <span class="fin-total" data-testid="fin-total">{move || format!("{}: {}", ctx.t("fin.f.total"), money(&format!("{:.2}", total()), &currency.get().to_uppercase()))}</span>
                <button class="primary" data-testid="fin-issue-invoice" on:click=submit>{move || ctx.t("fin.f.issue")}</button>
                <button class="ghost" on:click=move |_| done.run(())>{move || ctx.t("fin.do.cancel")}</button>
            </div>
        </div>
    }
}

/// A warehouse's receipt: the owner and the goods in its custody.
#[component]
fn IssueReceipt(orgs: RwSignal<Vec<api::OrgView>>, done: Callback<()>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let owner = RwSignal::new(String::new());
    let scans = RwSignal::new(String::new());
    let me = ctx.my_org();
    let submit = move |_| {
        let o = owner.get_untracked();
        let goods = scan_lines(&scans.get_untracked());
        let missing = [
            (o.is_empty(), "fin.f.owner"),
            (goods.is_empty(), "fin.f.goods"),
        ];
        if let Some((_, key)) = missing.iter().find(|(m, _)| *m) {
            ctx.fail(ApiError::new(
                "FIELD_MISSING",
                fill(ctx.t("fin.f.missing"), &[ctx.t(key).to_string()]),
            ));
            return;
        }
        ctx.busy.set(true);
        spawn_local(async move {
            match backend::receipt_issue(&o, &goods).await {
                Ok(r) => {
                    done.run(());
                    ctx.done(
                        Notice::new("fin.done.issue_receipt").arg(Arg::Text(
                            r.height
                                .map(|h| h.to_string())
                                .unwrap_or_else(|| "…".into()),
                        )),
                    );
                }
                Err(e) => ctx.fail(e),
            }
            ctx.busy.set(false);
        });
    };
    view! {
        <div class="card" data-testid="fin-receipt-form">
            <h3 class="section">{move || ctx.t("fin.issue_receipt")}</h3>
            <p class="hint">{move || ctx.t("fin.f.receipt_hint")}</p>
            <label class="field"><span>{move || ctx.t("fin.f.owner")}</span>
                <select data-testid="fin-f-owner" on:change=move |ev| owner.set(event_target_value(&ev))>
                    <option value="">{move || ctx.t("fin.f.choose")}</option>
                    {move || {
                        let me = me.clone();
                        orgs.get().into_iter().filter(move |o| o.key != me).map(|o| view! {
                            <option value=o.name.clone()>{o.name.clone()}</option>
                        }).collect_view()
                    }}
                </select>
            </label>
            <label class="field"><span>{move || ctx.t("fin.f.goods")}</span>
                <textarea data-testid="fin-f-goods" prop:value=move || scans.get() on:input=move |ev| scans.set(event_target_value(&ev))></textarea>
            </label>
            <div class="actions">
                <button class="primary" data-testid="fin-issue-receipt" on:click=submit>{move || ctx.t("fin.f.issue_receipt")}</button>
                <button class="ghost" on:click=move |_| done.run(())>{move || ctx.t("fin.do.cancel")}</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_without_turning_into_floats() {
        assert_eq!(money("1250000.05", "EUR"), "EUR 1,250,000.05");
        assert_eq!(money("999", "JPY"), "JPY 999");
        assert_eq!(money("1000", ""), "1,000");
        assert_eq!(money("-1234.5", "USD"), "USD -1,234.5");
        assert_eq!(money("0.00", "EUR"), "EUR 0.00");
    }

    #[test]
    fn scans_are_read_one_per_line_or_comma() {
        assert_eq!(scan_lines(" a \n\nb,c\n"), vec!["a", "b", "c"]);
        assert!(scan_lines("  \n").is_empty());
    }

    #[test]
    fn every_step_the_node_names_has_words_and_a_confirmation() {
        for step in [
            "confirm",
            "request",
            "split",
            "transfer",
            "offer",
            "accept-offer",
            "fund",
            "repay",
            "dilute",
            "settle",
            "overdue",
            "default",
            "recover",
            "write-off",
            "pledge",
            "accept-pledge",
            "release",
            "enforce",
        ] {
            for lang in [Lang::En, Lang::Zh] {
                assert!(lookup(lang, &format!("fin.do.{step}")).is_some(), "{step}");
                assert!(
                    lookup(lang, &format!("fin.done.{step}")).is_some(),
                    "{step}"
                );
            }
        }
    }

    #[test]
    fn every_alert_kind_is_said_in_both_languages() {
        for kind in [
            "overdue",
            "defaulted",
            "recalled",
            "reported_stolen",
            "decommissioned",
            "moved",
            "move_refused",
            "org_suspended",
            "exception",
            "terms_mismatch",
            "contents_unchecked",
        ] {
            let en = lookup(Lang::En, &format!("alert.{kind}")).expect(kind);
            let zh = lookup(Lang::Zh, &format!("alert.{kind}")).expect(kind);
            assert_ne!(en, zh, "{kind}");
        }
    }
}
