//! Receiving a handoff as a tally: staff scan what arrived (a pallet's code counts what is
//! packed on it), mark what is damaged or missing, and accept; what was not counted is
//! reported missing, so the exceptions are on the ledger with the acceptance. The
//! counting is [`crate::goods::Tally`].

use crate::app::Ctx;
use crate::backend;
use crate::goods::{self, Kind, Mark, Scanned, Tally};
use crate::i18n::{Lang, fill, number, t};
use crate::screens::{act, beep, committed_note, queued_note};
use handoff_api as api;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

fn n(lang: Lang, x: usize) -> String {
    number(lang, x as f64)
}

/// "50", "40 units", "50 + 40 units".
fn count(lang: Lang, p: &goods::ProductSum) -> String {
    let mut c = Vec::new();
    if p.items > 0 {
        c.push(number(lang, p.items as f64));
    }
    if p.lot_quantity > 0 {
        c.push(fill(
            t(lang, "home.lot_qty"),
            &[number(lang, p.lot_quantity as f64)],
        ));
    }
    c.join(" + ")
}

/// What the handoff carries, by product, with counts (the card's summary).
#[component]
pub fn GoodsSummary(h: api::HandoffView) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let sums = goods::by_product(&h);
    view! {
        <ul class="goods-summary" data-testid="goods-summary">
            {move || {
                let lang = ctx.lang.get();
                sums.iter().map(|p| {
                    let lots = p.lots.join(", ");
                    view! {
                        <li class="goods-product" data-testid="goods-product" data-gtin=p.gtin.clone()>
                            <span class="gp-name">{if p.gtin.is_empty() {
                                fill(t(lang, "goods.containers"), &[number(lang, p.items as f64)])
                            } else {
                                p.name.clone()
                            }}</span>
                            {(!p.gtin.is_empty()).then(|| view! {
                                <span class="gp-count" data-testid="goods-count">{count(lang, p)}</span>
                            })}
                            {(!lots.is_empty()).then(|| view! {
                                <span class="gp-lots">{format!("{} {lots}", t(lang, "stock.lot"))}</span>
                            })}
                        </li>
                    }
                }).collect_view()
            }}
        </ul>
        {h.goods_cut.then(|| view! { <p class="hint warn">{move || ctx.t("goods.cut")}</p> })}
    }
}

/// The receiving tally of an incoming handoff, with its acceptance.
#[component]
pub fn TallyPanel(h: api::HandoffView) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let tally = RwSignal::new(Tally::of(&h));
    let last = RwSignal::new(None::<Scanned>);
    // Which products' lines are unfolded, kept as the tally redraws.
    let unfolded = RwSignal::new(Vec::<String>::new());
    let id = h.id.clone();
    let scan = move |code: String| {
        let code = crate::scan::normalize(&code, &ctx.fnc1.get_untracked());
        if code.trim().is_empty() {
            return;
        }
        let r = tally.try_update(|t| t.scan(&code));
        beep(matches!(r, Some(Scanned::Counted(_))));
        last.set(r);
    };
    let accept = move |_| {
        let (missing, damaged) = tally.with_untracked(|t| t.exceptions());
        let id = id.clone();
        act(
            ctx,
            async move { backend::accept(&id, &missing, &damaged).await },
            move |v| {
                beep(true);
                ctx.done(
                    queued_note(v.queued.as_deref())
                        .unwrap_or_else(|| committed_note("notice.accepted", v.height)),
                )
            },
        );
    };
    let mark_buttons = move |i: usize, state: Mark| {
        let mark = move |m: Mark| move |_| tally.update(|t| t.mark(i, m));
        view! {
            <span class="seg">
                <button class:on=state == Mark::Arrived data-testid="mark-arrived" on:click=mark(Mark::Arrived)>"✓"</button>
                <button class:on=state == Mark::Missing data-testid="mark-missing" on:click=mark(Mark::Missing)>{move || ctx.t("inbox.missing")}</button>
                <button class:on=state == Mark::Damaged data-testid="mark-damaged" on:click=mark(Mark::Damaged)>{move || ctx.t("inbox.damaged")}</button>
            </span>
        }
    };
    let line_view = move |lang: Lang, t: &Tally, i: usize| {
        let l = &t.lines[i];
        let state = t.state(i);
        let what = match l.kind {
            Kind::Container => format!(
                "{} {}",
                t_(lang, "item.kind_container"),
                l.sscc.clone().unwrap_or_default()
            ),
            Kind::Lot => format!(
                "{} {} · {}",
                t_(lang, "stock.lot"),
                l.lot.clone().unwrap_or_default(),
                fill(t_(lang, "home.lot_qty"), &[number(lang, l.quantity as f64)])
            ),
            Kind::Item => format!(
                "{} {}",
                t_(lang, "goods.serial"),
                l.serial.clone().unwrap_or_else(|| l.key.clone())
            ),
        };
        let mut more = Vec::new();
        if l.kind == Kind::Item
            && let Some(lot) = &l.lot
        {
            more.push(format!("{} {lot}", t_(lang, "stock.lot")));
        }
        if let Some(e) = &l.expiry {
            more.push(format!(
                "{} {}",
                t_(lang, "stock.expiry"),
                goods::gs1_date(e)
            ));
        }
        if let Some(p) = l.parent.and_then(|p| t.lines[p].sscc.clone()) {
            more.push(format!("{} {p}", t_(lang, "stock.in_container")));
        }
        view! {
            <li class="entry tally-line" data-testid=format!("entry-{}", l.key) data-state=format!("{state:?}") title=l.key.clone()>
                <span class="tl-what"><span class="tl-main">{what}</span>
                    <span class="tl-more">{more.join(" · ")}</span></span>
                {mark_buttons(i, l.mark)}
            </li>
        }
    };
    view! {
        <div class="tally" data-testid="tally">
            {move || {
                let lang = ctx.lang.get();
                let c = tally.with(|t| t.counts());
                view! {
                    <div class="tally-counts" data-testid="tally-counts">
                        <div class="tc"><span class="k">{t(lang, "tally.expected")}</span><span class="v" data-testid="tally-expected">{n(lang, c.expected)}</span></div>
                        <div class="tc ok"><span class="k">{t(lang, "tally.scanned")}</span><span class="v" data-testid="tally-scanned">{n(lang, c.arrived)}</span></div>
                        <div class="tc bad"><span class="k">{t(lang, "tally.missing")}</span><span class="v" data-testid="tally-missing">{n(lang, c.missing)}</span></div>
                        <div class="tc warn"><span class="k">{t(lang, "tally.damaged")}</span><span class="v" data-testid="tally-damaged">{n(lang, c.damaged)}</span></div>
                        <div class="tc" class:bad={c.unexpected > 0}><span class="k">{t(lang, "tally.unexpected")}</span><span class="v" data-testid="tally-unexpected">{n(lang, c.unexpected)}</span></div>
                    </div>
                }
            }}
            <div class="tally-scan">
                <input class="small-scan" type="text" data-testid="receive-scan"
                    autocomplete="off" autocapitalize="off" spellcheck="false"
                    placeholder=move || ctx.t("inbox.scan_arrived")
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            scan(event_target_value(&ev));
                            if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { i.set_value(""); }
                        }
                    }/>
                <button class="secondary" data-testid="tally-all" on:click=move |_| tally.update(|t| t.all_arrived())>{move || ctx.t("tally.all")}</button>
            </div>
            <div class="tally-last" data-testid="tally-last">{move || {
                let lang = ctx.lang.get();
                match last.get() {
                    Some(Scanned::Counted(k)) => fill(t(lang, "tally.counted"), &[n(lang, k)]),
                    Some(Scanned::Already) => t(lang, "tally.already").to_string(),
                    Some(Scanned::Unexpected) => t(lang, "tally.not_expected").to_string(),
                    Some(Scanned::Bad(code)) => format!("{} [{code}]", t(lang, "scan.invalid")),
                    None => String::new(),
                }
            }}</div>
            {move || tally.with(|t| t.cut).then(|| view! { <p class="hint warn">{ctx.t("goods.cut")}</p> })}
            {move || {
                let lang = ctx.lang.get();
                tally.with(|tl| {
                    let containers: Vec<usize> = (0..tl.lines.len()).filter(|&i| !tl.is_piece(i)).collect();
                    let groups = tl.groups();
                    view! {
                        {(!containers.is_empty()).then(|| view! {
                            <ul class="entries tally-containers" data-testid="tally-containers">
                                {containers.iter().map(|&i| line_view(lang, tl, i)).collect_view()}
                            </ul>
                        })}
                        {groups.into_iter().map(|g| {
                            let c = g.counts;
                            let gtin = g.gtin.clone();
                            let open = unfolded.with_untracked(|o| o.contains(&gtin));
                            view! {
                                <details class="tally-group" data-testid="tally-group" data-gtin=g.gtin.clone() open=open
                                    on:toggle=move |ev| {
                                        let now = ev.target()
                                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                                            .is_some_and(|e| e.has_attribute("open"));
                                        unfolded.update(|o| {
                                            o.retain(|x| *x != gtin);
                                            if now { o.push(gtin.clone()); }
                                        });
                                    }>
                                    <summary>
                                        <span class="tg-name">{if g.gtin.is_empty() { t(lang, "goods.empty_containers").to_string() } else { g.name.clone() }}</span>
                                        <span class="tg-count" data-testid="tally-group-count">{fill(t(lang, "tally.group"), &[n(lang, c.arrived), n(lang, c.expected)])}</span>
                                        {(c.missing > 0).then(|| view! { <span class="chip st-missing">{fill(t(lang, "tally.missing_n"), &[n(lang, c.missing)])}</span> })}
                                        {(c.damaged > 0).then(|| view! { <span class="chip st-damaged">{fill(t(lang, "tally.damaged_n"), &[n(lang, c.damaged)])}</span> })}
                                    </summary>
                                    <ul class="entries">{g.lines.iter().map(|&i| line_view(lang, tl, i)).collect_view()}</ul>
                                </details>
                            }
                        }).collect_view()}
                        {(!tl.unexpected.is_empty()).then(|| view! {
                            <div class="tally-unexpected" data-testid="tally-unexpected-list">
                                <h4>{t_(lang, "tally.unexpected_title")}</h4>
                                <ul>{tl.unexpected.iter().map(|u| view! {
                                    <li data-testid="tally-unexpected-scan">{u.key.clone().unwrap_or_else(|| u.raw.clone())}
                                        {u.code.clone().map(|c| view! { <span class="banner-code">{format!(" [{c}]")}</span> })}</li>
                                }).collect_view()}</ul>
                            </div>
                        })}
                    }
                })
            }}
            <div class="actions">
                <button class="primary" data-testid="accept-button" disabled=move || ctx.busy.get() on:click=accept>
                    {move || {
                        let lang = ctx.lang.get();
                        let c = tally.with(|t| t.counts());
                        fill(t(lang, "tally.accept"), &[n(lang, c.arrived), n(lang, c.missing), n(lang, c.damaged)])
                    }}
                </button>
            </div>
        </div>
    }
}

/// `t` under another name, for closures where `t` is a tally.
fn t_(lang: Lang, key: &'static str) -> &'static str {
    t(lang, key)
}
