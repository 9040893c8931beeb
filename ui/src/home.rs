//! Home (the first screen: what the org holds, what expires soon, what is arriving, what
//! it ships, what needs looking at, what it did last, and codes to try) and Stock (what
//! it holds, filtered, searched, in first-expiry-first-out order, as CSV). Both read the
//! node's `stock` and `activity` answers; the arithmetic is in [`crate::goods`].

use crate::app::{Arg, Ctx, Notice, Tab};
use crate::backend::{self, ApiError};
use crate::goods::{self, EXPIRING_SOON_DAYS, Held};
use crate::i18n::{Lang, datetime, fill, number, t};
use crate::screens::event_label;
use handoff_api as api;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The Stock screen's filters: the node's (product, lot, location, status, expiring
/// within N days) and the page's own search over names, lots and containers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StockView {
    /// GTIN (empty: every product).
    pub product: String,
    /// Lot.
    pub lot: String,
    /// GLN.
    pub at: String,
    /// Status.
    pub status: String,
    /// Expiring within this many days (empty: any).
    pub days: String,
    /// Words to find.
    pub text: String,
    /// One list, first expiry first, instead of by product.
    pub fefo: bool,
}

impl StockView {
    fn request(&self) -> api::StockRequest {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        api::StockRequest {
            product: some(&self.product),
            lot: some(&self.lot),
            at: some(&self.at),
            status: some(&self.status),
            expiring_days: self.days.trim().parse().ok(),
        }
    }
}

/// An answer a light node gives before its index can answer (it has not found its org on
/// the chain yet), shown in place rather than as an error banner.
pub fn light_note(e: &ApiError) -> bool {
    e.code == "LIGHT_NODE" || e.code == "NOT_INDEXED_YET"
}

fn unfiltered() -> api::StockRequest {
    StockView::default().request()
}

/// What a status is called.
fn status_word(lang: Lang, s: &str) -> &'static str {
    t(
        lang,
        match s {
            "in_stock" => "stock.st.in_stock",
            "in_transit" => "stock.st.in_transit",
            "recalled" => "stock.st.recalled",
            "missing" => "stock.st.missing",
            "damaged" => "stock.st.damaged",
            _ => "stock.st.other",
        },
    )
}

/// "in 12 days", "today", "expired 3 days ago".
fn expiry_words(lang: Lang, days: Option<i64>) -> String {
    match days {
        None => String::new(),
        Some(0) => t(lang, "stock.expires_today").to_string(),
        Some(d) if d < 0 => fill(t(lang, "stock.expired_ago"), &[number(lang, -d as f64)]),
        Some(d) => fill(t(lang, "stock.expires_in"), &[number(lang, d as f64)]),
    }
}

/// A search typed or scanned on Home: a code is looked up on the Scan screen; words are
/// searched in the stock.
fn search(ctx: Ctx, q: String) {
    let q = q.trim().to_string();
    if q.is_empty() {
        return;
    }
    let code = crate::scan::normalize(&q, &ctx.fnc1.get_untracked());
    if handoff_core::gs1::parse_scan(&code).is_ok() {
        ctx.pending_scan.set(Some(code));
        ctx.tab.set(Tab::Scan);
    } else {
        ctx.stock_view.set(StockView {
            text: q,
            ..StockView::default()
        });
        ctx.tab.set(Tab::Stock);
    }
}

/// Opens the Stock screen with `view`'s filters.
fn drill(ctx: Ctx, view: StockView) {
    ctx.stock_view.set(view);
    ctx.tab.set(Tab::Stock);
}

/// Looks `code` up on the Scan screen.
fn try_code(ctx: Ctx, code: String) {
    ctx.pending_scan.set(Some(code));
    ctx.tab.set(Tab::Scan);
}

/// A code to try, with what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Try {
    what: &'static str,
    code: String,
}

/// Real codes from what the org holds and expects: a pallet and a bag in stock, a lot
/// recalled, a pallet arriving, a shipment in transit. On the demo chain these are the
/// story's goods.
async fn codes_to_try(s: &api::StockResponse) -> Vec<Try> {
    let mut out = Vec::new();
    // A pallet with something on it (an unpacked one is empty), else any.
    let held = |c: &&api::StockContainer| c.status == "in_stock";
    let pallet = (s.containers.iter().filter(held))
        .find(|c| c.items > 0)
        .or_else(|| s.containers.iter().find(held));
    if let Some(c) = pallet {
        let pallet = format!("/00/{}", c.sscc);
        // A bag packed on it, read from the node (its contents are keys).
        if let Ok(v) = backend::lookup(&pallet).await
            && let api::Thing::Item(i) = v.thing.item
            && let Some(bag) = i
                .contents
                .unwrap_or_default()
                .into_iter()
                .find(|e| e.key.contains("/21/"))
        {
            out.push(Try {
                what: "home.try_bag",
                code: bag.key,
            });
        }
        out.push(Try {
            what: "home.try_pallet",
            code: pallet,
        });
    }
    if let Some(g) = s.arrivals.iter().flat_map(|a| &a.handoffs).next()
        && let Some(e) = g.entries.first()
    {
        out.push(Try {
            what: "home.try_arriving",
            code: e.key.clone(),
        });
    }
    if let Some(h) = s.in_transit.first()
        && let Some(e) = h.entries.first()
    {
        out.push(Try {
            what: "home.try_shipped",
            code: e.key.clone(),
        });
    }
    if let Some((p, l)) = s
        .products
        .iter()
        .flat_map(|p| p.lines.iter().map(move |l| (p, l)))
        .find(|(_, l)| l.status == "recalled" && l.kind == "lot" && l.lot.is_some())
    {
        out.push(Try {
            what: "home.try_recalled",
            code: format!("/01/{}/10/{}", p.gtin, l.lot.clone().unwrap_or_default()),
        });
    }
    out
}

/// How long ago `rfc3339` was, in words (`None`: not a time the page can read).
pub fn ago(lang: Lang, rfc3339: &str) -> Option<String> {
    let then = js_sys::Date::parse(rfc3339);
    if then.is_nan() {
        return None;
    }
    let min = ((js_sys::Date::now() - then) / 60_000.0).max(0.0).floor();
    let n = |x: f64| number(lang, x.floor());
    Some(if min < 1.0 {
        t(lang, "ago.now").to_string()
    } else if min < 60.0 {
        fill(t(lang, "ago.min"), &[n(min)])
    } else if min < 48.0 * 60.0 {
        fill(t(lang, "ago.hour"), &[n(min / 60.0)])
    } else {
        fill(t(lang, "ago.day"), &[n(min / 1440.0)])
    })
}

/// What a light node's answer rests on: its own verified index, as of which block and how
/// long ago, and whether any peer is reachable (with none, it answers from disk). Nothing
/// on a full node.
#[component]
pub fn Freshness(light: Option<api::IndexFreshness>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    light.map(|f| {
        move || {
            let lang = ctx.lang.get();
            let when = ago(lang, &f.block_time).unwrap_or_else(|| f.block_time.clone());
            let mut parts = vec![fill(
                t(lang, "light.as_of"),
                &[number(lang, f.height as f64), when],
            )];
            if f.tip == f.height + 1 {
                parts.push(t(lang, "light.behind_one").to_string());
            } else if f.tip > f.height {
                parts.push(fill(
                    t(lang, "light.behind"),
                    &[number(lang, (f.tip - f.height) as f64)],
                ));
            }
            parts.push(if f.peers == 0 {
                t(lang, "light.offline").to_string()
            } else if f.peers == 1 {
                t(lang, "light.peer_one").to_string()
            } else {
                fill(t(lang, "light.peers"), &[number(lang, f.peers as f64)])
            });
            view! {
                <p class="hint freshness" data-testid="index-freshness"
                    data-height=f.height.to_string() data-peers=f.peers.to_string()>
                    {parts.join(" · ")}
                </p>
            }
        }
    })
}

/// Handoffs the org offered that the recipient refused, among its latest transactions.
async fn refused(rows: &[api::ActivityRow]) -> Vec<api::HandoffView> {
    let mut out = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.kind == "handoff_proposed" && r.rejected.is_none())
        .take(20)
    {
        if let Ok(h) = backend::handoff_show(&r.tx).await
            && h.handoff.status == "rejected"
        {
            out.push(h.handoff);
        }
    }
    out
}

/// Everything Home shows, read together.
#[derive(Clone, Debug)]
struct HomeData {
    stock: api::StockResponse,
    activity: Vec<api::ActivityRow>,
    refused: Vec<api::HandoffView>,
    tries: Vec<Try>,
}

/// Home: the first screen.
#[component]
pub fn HomeScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let data = RwSignal::new(None::<HomeData>);
    // What the node could not answer (a light node keeps no stock index), in place.
    let note = RwSignal::new(None::<ApiError>);
    let input: NodeRef<html::Input> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    Effect::new(move |_| {
        ctx.version.get();
        ctx.status.get();
        if !backend::signed_in() {
            return;
        }
        spawn_local(async move {
            let stock = match backend::stock(unfiltered()).await {
                Ok(s) => s,
                Err(e) if light_note(&e) || e.code == "SIGN_IN_NEEDED" => {
                    note.set(Some(e));
                    return;
                }
                Err(e) => return ctx.fail(e),
            };
            let activity = backend::activity(50)
                .await
                .map(|a| a.events)
                .unwrap_or_default();
            let refused = refused(&activity).await;
            let tries = codes_to_try(&stock).await;
            note.set(None);
            data.set(Some(HomeData {
                stock,
                activity,
                refused,
                tries,
            }));
        });
    });

    let search_box = view! {
        <div class="home-search">
            <input class="scan-input" type="search" data-testid="home-search" node_ref=input
                autocomplete="off" autocapitalize="off" spellcheck="false"
                placeholder=move || ctx.t("home.search")
                on:keydown=move |ev: web_sys::KeyboardEvent| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        search(ctx, event_target_value(&ev));
                    }
                }/>
        </div>
    };

    view! {
        <section class="screen home-screen" data-testid="home-screen">
            <h1 class="screen-title">{move || {
                let me = ctx.me();
                if me.is_empty() { ctx.t("nav.home").to_string() } else { me }
            }}</h1>
            {search_box}
            {move || (!backend::signed_in()).then(|| view! {
                <p class="hint" data-testid="home-signed-out">{ctx.t("home.signed_out")}</p>
            })}
            {move || note.get().map(|e| view! {
                <div class="card light-note" data-testid="home-note" title=e.message.clone()>
                    <div class="banner-message">{ctx.t(if light_note(&e) { "home.light" } else { "home.signed_out" })}</div>
                    <div class="banner-code">{e.code.clone()}</div>
                    {ctx.light().then(|| view! {
                        <button class="secondary" on:click=move |_| ctx.tab.set(Tab::Node)>
                            {move || fill(ctx.t("home.outbox"), &[number(ctx.lang.get(), ctx.outbox_count.get() as f64)])}
                        </button>
                    })}
                </div>
            })}
            {move || data.get().map(|d| view! { <Freshness light=d.stock.light.clone()/> })}
            {move || data.get().map(|d| home_tiles(ctx, ctx.lang.get(), d))}
        </section>
    }
}

fn tile_head(
    lang: Lang,
    title: &'static str,
    n: String,
    id: &'static str,
    go: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <button class="tile-head" on:click=move |_| go()>
            <span class="tile-title">{t(lang, title)}</span>
            <span class="tile-number" data-testid=id>{n}</span>
        </button>
    }
}

fn home_tiles(ctx: Ctx, lang: Lang, d: HomeData) -> impl IntoView {
    let s = d.stock;
    let num = |n: u64| number(lang, n as f64);
    let soon = goods::expiring(&s, EXPIRING_SOON_DAYS);
    let flagged = goods::flagged(&s);
    let arrivals: usize = s.arrivals.iter().map(|a| a.handoffs.len()).sum();
    let exceptions = flagged.len() + d.refused.len();
    let in_transit = s.in_transit.clone();
    let products = s.products.clone();
    let held_items = s.totals.items;
    let held_lots = s.totals.lot_quantity;
    let soon_n = soon.len() as u64;
    view! {
        <div class="tiles">
            <article class="card tile" data-testid="tile-stock">
                {tile_head(lang, "home.stock", num(held_items), "home-items", move || drill(ctx, StockView::default()))}
                <div class="tile-sub" data-testid="home-stock-sub">{fill(t(lang, "home.stock_sub"), &[num(s.totals.products), num(held_lots), num(s.totals.containers)])}</div>
                <ul class="tile-list">
                    {products.into_iter().take(6).map(|p| {
                        let gtin = p.gtin.clone();
                        let count = if p.lot_quantity > 0 && p.items == 0 {
                            fill(t(lang, "home.lot_qty"), &[num(p.lot_quantity)])
                        } else if p.lot_quantity > 0 {
                            format!("{} + {}", num(p.items), fill(t(lang, "home.lot_qty"), &[num(p.lot_quantity)]))
                        } else {
                            num(p.items)
                        };
                        view! {
                            <li><button class="tile-row" data-testid="home-product" data-gtin=p.gtin.clone()
                                on:click=move |_| drill(ctx, StockView { product: gtin.clone(), ..StockView::default() })>
                                <span class="tile-row-name">{p.name.clone()}</span>
                                <span class="tile-row-n">{count}</span>
                            </button></li>
                        }
                    }).collect_view()}
                </ul>
            </article>
            <article class="card tile" data-testid="tile-expiring">
                {tile_head(lang, "home.expiring", num(soon_n), "home-expiring",
                    move || drill(ctx, StockView { days: EXPIRING_SOON_DAYS.to_string(), fefo: true, ..StockView::default() }))}
                <div class="tile-sub">{fill(t(lang, "home.expiring_sub"), &[num(EXPIRING_SOON_DAYS as u64)])}</div>
                {soon.is_empty().then(|| view! { <p class="hint">{t(lang, "home.nothing")}</p> })}
                <ul class="tile-list">
                    {soon.into_iter().take(5).map(|h| held_row(ctx, lang, h)).collect_view()}
                </ul>
            </article>
            <article class="card tile" data-testid="tile-arrivals">
                {tile_head(lang, "home.arrivals", num(arrivals as u64), "home-arrivals", move || ctx.tab.set(Tab::Inbox))}
                {s.arrivals.is_empty().then(|| view! { <p class="hint">{t(lang, "home.nothing")}</p> })}
                <ul class="tile-list">
                    {s.arrivals.into_iter().map(|a| {
                        let n = a.handoffs.len() as u64;
                        let what: Vec<String> = a.handoffs.iter().flat_map(goods::by_product).map(|p| summary_text(lang, &p)).collect();
                        view! {
                            <li><button class="tile-row" data-testid="home-arrival" on:click=move |_| ctx.tab.set(Tab::Inbox)>
                                <span class="tile-row-name">{a.from.name.clone()}
                                    <span class="tile-row-what">{what.join(" · ")}</span></span>
                                <span class="tile-row-n">{fill(t(lang, "home.shipments"), &[num(n)])}</span>
                            </button></li>
                        }
                    }).collect_view()}
                </ul>
            </article>
            <article class="card tile" data-testid="tile-transit">
                {tile_head(lang, "home.in_transit", num(in_transit.len() as u64), "home-transit", move || ctx.tab.set(Tab::Inbox))}
                {in_transit.is_empty().then(|| view! { <p class="hint">{t(lang, "home.nothing")}</p> })}
                <ul class="tile-list">
                    {in_transit.into_iter().take(5).map(|h| {
                        let what: Vec<String> = goods::by_product(&h).iter().map(|p| summary_text(lang, p)).collect();
                        view! {
                            <li><button class="tile-row" data-testid="home-shipment" on:click=move |_| ctx.tab.set(Tab::Inbox)>
                                <span class="tile-row-name">{format!("{} {}", t(lang, "inbox.to"), h.to.name)}
                                    <span class="tile-row-what">{what.join(" · ")}</span></span>
                                <span class="tile-row-n">{datetime(lang, &h.proposed_time)}</span>
                            </button></li>
                        }
                    }).collect_view()}
                </ul>
            </article>
            <article class="card tile" class:alarm={exceptions > 0} data-testid="tile-exceptions">
                {tile_head(lang, "home.exceptions", num(exceptions as u64), "home-exceptions",
                    move || drill(ctx, StockView { status: "missing".into(), ..StockView::default() }))}
                {(exceptions == 0).then(|| view! { <p class="hint">{t(lang, "home.nothing")}</p> })}
                <ul class="tile-list">
                    {flagged.into_iter().take(5).map(|h| {
                        let status = h.line.status.clone();
                        view! {
                            <li><button class="tile-row" data-testid="home-flagged"
                                on:click=move |_| drill(ctx, StockView { status: status.clone(), ..StockView::default() })>
                                <span class="tile-row-name">{h.name.clone()}
                                    <span class="tile-row-what">{h.line.lot.clone().map(|l| format!("{} {l}", t(lang, "stock.lot"))).unwrap_or_default()}</span></span>
                                <span class="tile-row-n"><span class=format!("chip st-{}", h.line.status)>{status_word(lang, &h.line.status)}</span>
                                    {format!(" {}", num(h.line.quantity))}</span>
                            </button></li>
                        }
                    }).collect_view()}
                    {d.refused.into_iter().map(|h| {
                        let code = h.entries.first().map(|e| e.key.clone()).unwrap_or_default();
                        view! {
                            <li><button class="tile-row" data-testid="home-refused" on:click=move |_| try_code(ctx, code.clone())>
                                <span class="tile-row-name">{fill(t(lang, "home.refused_by"), std::slice::from_ref(&h.to.name))}
                                    <span class="tile-row-what">{h.reason.clone().unwrap_or_default()}</span></span>
                                <span class="tile-row-n"><span class="chip st-missing">{t(lang, "home.refused")}</span></span>
                            </button></li>
                        }
                    }).collect_view()}
                </ul>
            </article>
            <article class="card tile" data-testid="tile-activity">
                <div class="tile-head static"><span class="tile-title">{t(lang, "home.activity")}</span></div>
                {d.activity.is_empty().then(|| view! { <p class="hint">{t(lang, "home.nothing")}</p> })}
                <ActivityList rows=d.activity/>
            </article>
        </div>
        {(!d.tries.is_empty()).then(|| view! {
            <article class="card tries" data-testid="home-tries">
                <h2 class="section">{t(lang, "home.tries")}</h2>
                <p class="hint">{t(lang, "home.tries_hint")}</p>
                <ul class="tile-list">
                    {d.tries.into_iter().map(|x| {
                        let code = x.code.clone();
                        view! {
                            <li><button class="tile-row" data-testid="home-try" data-code=x.code.clone() on:click=move |_| try_code(ctx, code.clone())>
                                <span class="tile-row-name">{t(lang, x.what)}</span>
                                <code class="try-code">{x.code.clone()}</code>
                            </button></li>
                        }
                    }).collect_view()}
                </ul>
            </article>
        })}
    }
}

/// "Espresso 250 g × 50 (lot R-1)" / "2 pallets".
pub fn summary_text(lang: Lang, p: &goods::ProductSum) -> String {
    if p.gtin.is_empty() {
        return fill(t(lang, "goods.containers"), &[number(lang, p.items as f64)]);
    }
    let mut n = Vec::new();
    if p.items > 0 {
        n.push(number(lang, p.items as f64));
    }
    if p.lot_quantity > 0 {
        n.push(fill(
            t(lang, "home.lot_qty"),
            &[number(lang, p.lot_quantity as f64)],
        ));
    }
    format!("{} × {}", p.name, n.join(" + "))
}

fn held_row(ctx: Ctx, lang: Lang, h: Held) -> impl IntoView {
    let gtin = h.gtin.clone();
    let lot = h.line.lot.clone().unwrap_or_default();
    let expired = h.line.expires_in_days.is_some_and(|d| d < 0);
    view! {
        <li><button class="tile-row" class:expired=expired data-testid="home-expiring-line"
            on:click=move |_| drill(ctx, StockView { product: gtin.clone(), lot: lot.clone(), fefo: true, ..StockView::default() })>
            <span class="tile-row-name">{h.name.clone()}
                <span class="tile-row-what">{format!("{} {} · {}",
                    t(lang, "stock.lot"), h.line.lot.clone().unwrap_or_default(),
                    expiry_words(lang, h.line.expires_in_days))}</span></span>
            <span class="tile-row-n">{number(lang, h.line.quantity as f64)}</span>
        </button></li>
    }
}

/// The org's latest transactions: five, all on request.
#[component]
fn ActivityList(rows: Vec<api::ActivityRow>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let all = RwSignal::new(false);
    let n = rows.len();
    view! {
        <ul class="tile-list activity" data-testid="home-activity">
            {move || {
                let lang = ctx.lang.get();
                rows.iter().take(if all.get() { n } else { 5 }).map(|r| view! {
                    <li class="activity-row" class:refused=r.rejected.is_some() data-testid="activity-row">
                        <span class="tile-row-name">{event_label(lang, &r.kind)}
                            {r.rejected.clone().map(|c| view! { <span class="chip st-missing">{c}</span> })}</span>
                        <span class="tile-row-what">{format!("{} · {} {}", datetime(lang, &r.time), t(lang, "home.block"), number(lang, r.height as f64))}</span>
                    </li>
                }).collect_view()
            }}
        </ul>
        {(n > 5).then(|| view! {
            <button class="ghost" data-testid="activity-all" on:click=move |_| all.update(|a| *a = !*a)>
                {move || ctx.t(if all.get() { "home.fewer" } else { "home.all" })}
            </button>
        })}
    }
}

/// Stock: what the org holds, filtered by the node (product, lot, location, status,
/// expiring within N days) and searched in the page, by product or first expiry first,
/// with totals and a CSV download.
#[component]
pub fn StockScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let view_ = ctx.stock_view;
    // Every product and location the org holds (the choices of the filters), and the
    // filtered answer.
    let all = RwSignal::new(None::<api::StockResponse>);
    let data = RwSignal::new(None::<api::StockResponse>);
    let note = RwSignal::new(None::<ApiError>);
    // Items found by a serial typed in the search, one per product held.
    let serials = RwSignal::new(Vec::<(String, String)>::new());
    Effect::new(move |_| {
        ctx.version.get();
        ctx.status.get();
        spawn_local(async move {
            match backend::stock(unfiltered()).await {
                Ok(s) => {
                    note.set(None);
                    all.set(Some(s));
                }
                Err(e) if light_note(&e) => note.set(Some(e)),
                Err(e) => ctx.fail(e),
            }
        });
    });
    Effect::new(move |_| {
        ctx.version.get();
        let req = view_.with(|v| v.request());
        spawn_local(async move {
            match backend::stock(req).await {
                Ok(s) => data.set(Some(s)),
                Err(e) if light_note(&e) => {}
                Err(e) => ctx.fail(e),
            }
        });
    });
    // A search that looks like a serial: is it an item of a product we hold?
    Effect::new(move |_| {
        let q = view_.with(|v| v.text.trim().to_string());
        let gtins: Vec<String> = all
            .get()
            .map(|s| s.products.iter().map(|p| p.gtin.clone()).collect())
            .unwrap_or_default();
        serials.set(Vec::new());
        if !goods::serial_like(&q) {
            return;
        }
        spawn_local(async move {
            let mut found = Vec::new();
            for g in gtins.iter().take(20) {
                let key = format!("/01/{g}/21/{q}");
                if let Ok(v) = backend::lookup(&key).await
                    && let api::Thing::Item(i) = v.thing.item
                {
                    let name = i.product.map(|p| p.name).unwrap_or_else(|| g.clone());
                    found.push((i.key, format!("{name} · {} {}", q, i.custodian.name)));
                }
            }
            // Only if the search is still this one (and the screen still open).
            if view_.try_with_untracked(|v| v.text.trim() == q) == Some(true) {
                serials.set(found);
            }
        });
    });
    let shown = Memo::new(move |_| {
        let text = view_.with(|v| v.text.clone());
        data.get()
            .map(|s| {
                goods::fefo(&s)
                    .into_iter()
                    .filter(|h| goods::matches(h, &text))
                    .collect::<Vec<Held>>()
            })
            .unwrap_or_default()
    });
    let set = move |f: fn(&mut StockView, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            view_.update(|s| f(s, v));
        }
    };
    let export = move |_| {
        let lines = shown.get_untracked();
        let org = data
            .get_untracked()
            .map(|s| {
                s.org
                    .name
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            })
            .unwrap_or_default();
        let stamp = data
            .get_untracked()
            .map(|s| s.as_of.replace([':', '-'], ""))
            .unwrap_or_default();
        let name = format!("handoff-stock-{org}-{stamp}.csv");
        let text = goods::csv(&lines);
        spawn_local(async move {
            match backend::save_file(&name, "text/csv", &text).await {
                Ok(saved) => {
                    ctx.error.set(None);
                    ctx.notice.set(Some(
                        Notice::new("notice.fin_exported").arg(Arg::Text(saved.path)),
                    ));
                }
                Err(e) => ctx.fail(e),
            }
        });
    };
    view! {
        <section class="screen stock-screen" data-testid="stock-screen">
            <h1 class="screen-title">{move || ctx.t("stock.title")}</h1>
            {move || note.get().map(|e| view! {
                <div class="card light-note" data-testid="stock-note" title=e.message.clone()>
                    <div class="banner-message">{ctx.t("home.light")}</div>
                    <div class="banner-code">{e.code.clone()}</div>
                </div>
            })}
            {move || all.get().map(|s| view! { <Freshness light=s.light.clone()/> })}
            <div class="card stock-filters">
                <label class="field wide">
                    <span>{move || ctx.t("stock.search")}</span>
                    <input type="search" data-testid="stock-search" prop:value=move || view_.with(|v| v.text.clone())
                        on:input=set(|s, v| s.text = v)/>
                </label>
                <div class="row">
                    <label class="field">
                        <span>{move || ctx.t("stock.product")}</span>
                        <select data-testid="stock-product" prop:value=move || view_.with(|v| v.product.clone()) on:change=set(|s, v| s.product = v)>
                            <option value="">{move || ctx.t("stock.any")}</option>
                            {move || all.get().map(|s| s.products.into_iter().map(|p| view! {
                                <option value=p.gtin.clone() selected=view_.with_untracked(|v| v.product == p.gtin)>{p.name.clone()}</option>
                            }).collect_view())}
                        </select>
                    </label>
                    <label class="field">
                        <span>{move || ctx.t("stock.lot")}</span>
                        <input type="text" data-testid="stock-lot" prop:value=move || view_.with(|v| v.lot.clone()) on:change=set(|s, v| s.lot = v)/>
                    </label>
                    <label class="field">
                        <span>{move || ctx.t("stock.location")}</span>
                        <select data-testid="stock-location" prop:value=move || view_.with(|v| v.at.clone()) on:change=set(|s, v| s.at = v)>
                            <option value="">{move || ctx.t("stock.any")}</option>
                            {move || all.get().map(|s| {
                                let mut at: Vec<String> = s.products.iter().flat_map(|p| p.lines.iter().filter_map(|l| l.location.clone())).collect();
                                at.sort();
                                at.dedup();
                                at.into_iter().map(|g| view! {
                                    <option value=g.clone() selected=view_.with_untracked(|v| v.at == g)>{format!("GLN {g}")}</option>
                                }).collect_view()
                            })}
                        </select>
                    </label>
                    <label class="field">
                        <span>{move || ctx.t("stock.status")}</span>
                        <select data-testid="stock-status" prop:value=move || view_.with(|v| v.status.clone()) on:change=set(|s, v| s.status = v)>
                            <option value="">{move || ctx.t("stock.any")}</option>
                            {move || ["in_stock", "in_transit", "recalled", "missing", "damaged"].into_iter().map(|st| view! {
                                <option value=st selected=view_.with_untracked(|v| v.status == st)>{status_word(ctx.lang.get(), st)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field narrow">
                        <span>{move || ctx.t("stock.days")}</span>
                        <input type="number" min="0" inputmode="numeric" data-testid="stock-days" prop:value=move || view_.with(|v| v.days.clone()) on:change=set(|s, v| s.days = v)/>
                    </label>
                </div>
                <div class="actions">
                    <label class="check">
                        <input type="checkbox" data-testid="stock-fefo" prop:checked=move || view_.with(|v| v.fefo)
                            on:change=move |ev| { let on = event_target_checked(&ev); view_.update(|s| s.fefo = on); }/>
                        <span>{move || ctx.t("stock.fefo")}</span>
                    </label>
                    <button class="ghost" data-testid="stock-clear" on:click=move |_| view_.set(StockView::default())>{move || ctx.t("stock.clear")}</button>
                    <button class="secondary" data-testid="stock-csv" disabled=move || shown.with(|s| s.is_empty()) on:click=export>{move || ctx.t("stock.csv")}</button>
                </div>
            </div>
            {move || {
                let found = serials.get();
                (!found.is_empty()).then(|| view! {
                    <div class="card" data-testid="stock-serial-hits">
                        <h2 class="section">{ctx.t("stock.serial_hits")}</h2>
                        <ul class="tile-list">{found.into_iter().map(|(key, label)| {
                            let k = key.clone();
                            view! { <li><button class="tile-row" data-testid="stock-serial-hit" on:click=move |_| try_code(ctx, k.clone())>
                                <span class="tile-row-name">{label}</span><code class="try-code">{key}</code>
                            </button></li> }
                        }).collect_view()}</ul>
                    </div>
                })
            }}
            {move || data.get().map(|_| {
                let lang = ctx.lang.get();
                let lines = shown.get();
                let (items, lots) = lines.iter().fold((0u64, 0u64), |(i, l), h| {
                    if h.line.kind == "lot" { (i, l + h.line.quantity) } else { (i + h.line.quantity, l) }
                });
                let mut gtins: Vec<&str> = lines.iter().map(|h| h.gtin.as_str()).collect();
                gtins.sort_unstable();
                gtins.dedup();
                view! {
                    <div class="stock-totals" data-testid="stock-totals"
                        data-items=items.to_string() data-lots=lots.to_string() data-lines=lines.len().to_string() data-products=gtins.len().to_string()>
                        {fill(t(lang, "stock.totals"), &[number(lang, gtins.len() as f64), number(lang, items as f64), number(lang, lots as f64), number(lang, lines.len() as f64)])}
                    </div>
                    {lines.is_empty().then(|| view! { <p class="hint" data-testid="stock-empty">{t(lang, "stock.empty")}</p> })}
                    {stock_lines(lang, view_.with(|v| v.fefo), lines)}
                }
            })}
        </section>
    }
}

fn stock_lines(lang: Lang, fefo: bool, lines: Vec<Held>) -> impl IntoView {
    let row = move |h: &Held, with_name: bool| {
        let l = &h.line;
        let expired = l.expires_in_days.is_some_and(|d| d < 0);
        let soon = l
            .expires_in_days
            .is_some_and(|d| (0..=EXPIRING_SOON_DAYS).contains(&d));
        view! {
            <tr data-testid="stock-line" data-gtin=h.gtin.clone() data-status=l.status.clone()>
                {with_name.then(|| view! { <td class="st-name">{h.name.clone()}</td> })}
                <td>{l.lot.clone().unwrap_or_default()}</td>
                <td class:expired=expired class:soon=soon>{l.expiry.clone().unwrap_or_default()}
                    <div class="st-sub">{expiry_words(lang, l.expires_in_days)}</div></td>
                <td>{l.location.clone().unwrap_or_default()}
                    {l.container.clone().map(|c| view! { <div class="st-sub">{format!("{} {c}", t(lang, "stock.in_container"))}</div> })}</td>
                <td><span class=format!("chip st-{}", l.status)>{status_word(lang, &l.status)}</span></td>
                <td class="num">{if l.kind == "lot" {
                    fill(t(lang, "home.lot_qty"), &[number(lang, l.quantity as f64)])
                } else {
                    number(lang, l.quantity as f64)
                }}</td>
            </tr>
        }
    };
    let head = move |with_name: bool| {
        view! {
            <thead><tr>
                {with_name.then(|| view! { <th>{t(lang, "stock.product")}</th> })}
                <th>{t(lang, "stock.lot")}</th><th>{t(lang, "stock.expiry")}</th>
                <th>{t(lang, "stock.location")}</th><th>{t(lang, "stock.status")}</th>
                <th class="num">{t(lang, "stock.quantity")}</th>
            </tr></thead>
        }
    };
    if fefo {
        return view! {
            <div class="card table-wrap" data-testid="stock-fefo-list">
                <table class="stock-table">{head(true)}<tbody>{lines.iter().map(|h| row(h, true)).collect_view()}</tbody></table>
            </div>
        }
        .into_any();
    }
    // By product, in name order; within a product first expiry first.
    let mut products: Vec<(String, String, Vec<Held>)> = Vec::new();
    for h in lines {
        match products.iter_mut().find(|p| p.0 == h.gtin) {
            Some(p) => p.2.push(h),
            None => products.push((h.gtin.clone(), h.name.clone(), vec![h])),
        }
    }
    products.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    products
        .into_iter()
        .map(|(gtin, name, ls)| {
            let (items, lots) = ls.iter().fold((0u64, 0u64), |(i, l), h| {
                if h.line.kind == "lot" {
                    (i, l + h.line.quantity)
                } else {
                    (i + h.line.quantity, l)
                }
            });
            let mut count = Vec::new();
            if items > 0 {
                count.push(fill(t(lang, "stock.items_n"), &[number(lang, items as f64)]));
            }
            if lots > 0 {
                count.push(fill(t(lang, "home.lot_qty"), &[number(lang, lots as f64)]));
            }
            let code = gtin.clone();
            view! {
                <article class="card stock-product" data-testid="stock-product-card" data-gtin=gtin
                    data-items=items.to_string() data-lots=lots.to_string()>
                    <header class="card-head">
                        <div><h2 class="title">{name}</h2><div class="code">{code}</div></div>
                        <span class="pill" data-testid="stock-product-count">{count.join(" + ")}</span>
                    </header>
                    <div class="table-wrap">
                        <table class="stock-table">{head(false)}<tbody>{ls.iter().map(|h| row(h, false)).collect_view()}</tbody></table>
                    </div>
                </article>
            }
        })
        .collect_view()
        .into_any()
}
