//! The Lender screen: the portfolio the node computes from the chain (`finance_portfolio`)
//! as figures, charts drawn here in SVG (exposure by counterparty, ageing, status over
//! time), counterparty records, alerts and the assets; an asset opens with its trade
//! evidence, alerts and the lender's steps ([`crate::finance::AssetDetail`]), and the
//! evidence pack and portfolio export as files.
//!
//! The charts are plain SVG with a `viewBox`: crisp at any size, their text in the
//! language on screen; a chart's width in the page is capped so its text stays the size
//! of the page's own.

use crate::app::Ctx;
use crate::backend;
use crate::finance::{
    AlertList, AssetDetail, ExportButtons, LightSource, StatusBadge, compact, date, money,
    short_id, word,
};
use crate::i18n::{Lang, datetime_ms, fill, number, t};
use handoff_api as api;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The ageing buckets in their order.
const BUCKETS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "90+"];

/// Statuses in the order a timeline stacks them (open first, closed last).
const STATUS_ORDER: [&str; 14] = [
    "issued",
    "confirmed",
    "finance_requested",
    "offered",
    "offer_accepted",
    "funded",
    "pledge_offered",
    "pledged",
    "overdue",
    "defaulted",
    "settled",
    "released",
    "enforced",
    "written_off",
];

/// The currencies of a portfolio, the largest outstanding first.
fn currencies(p: &api::FinancePortfolioResponse) -> Vec<String> {
    let mut sums: Vec<(String, u64)> = Vec::new();
    for a in p
        .exposure
        .iter()
        .flat_map(|e| e.outstanding.iter())
        .chain(p.ageing.iter().flat_map(|b| b.outstanding.iter()))
    {
        match sums.iter_mut().find(|(c, _)| *c == a.currency) {
            Some((_, s)) => *s = s.saturating_add(a.minor),
            None => sums.push((a.currency.clone(), a.minor)),
        }
    }
    sums.sort_by_key(|s| std::cmp::Reverse(s.1));
    sums.into_iter().map(|(c, _)| c).collect()
}

/// The amount in `currency` of a list (zero when it has none).
fn in_currency<'a>(
    list: &'a [api::FinanceAmountView],
    currency: &str,
) -> Option<&'a api::FinanceAmountView> {
    list.iter().find(|a| a.currency == currency)
}

/// Minor units as a number of the currency's major units, with the decimals its amount
/// string shows (for a chart's scale only; figures are shown from the strings).
fn major(a: &api::FinanceAmountView) -> f64 {
    let decimals = a.amount.split_once('.').map_or(0, |(_, f)| f.len());
    a.minor as f64 / 10f64.powi(decimals as i32)
}

/// `3 assets`, `1 asset`.
fn assets_n(lang: Lang, n: u32) -> String {
    if n == 1 {
        t(lang, "lender.asset_1").to_string()
    } else {
        fill(t(lang, "lender.assets_n"), &[number(lang, n as f64)])
    }
}

/// A "nice" top for an axis at or above `max` (1, 2, 2.5, 5 × 10ⁿ).
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= max {
            return m * mag;
        }
    }
    10.0 * mag
}

/// The Lender screen.
#[component]
pub fn LenderScreen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let data = RwSignal::new(None::<api::FinancePortfolioResponse>);
    let selected = RwSignal::new(None::<String>);
    let currency = RwSignal::new(String::new());
    Effect::new(move |_| {
        ctx.version.get();
        spawn_local(async move {
            match backend::finance_portfolio(Some("lender".into())).await {
                Ok(p) => {
                    let cs = currencies(&p);
                    // The screen may have been left while the answer was on its way.
                    let Some(shown) = currency.try_get_untracked() else {
                        return;
                    };
                    if !cs.contains(&shown) {
                        currency.set(cs.first().cloned().unwrap_or_default());
                    }
                    data.set(Some(p));
                }
                Err(e) => ctx.fail(e),
            }
        });
    });
    let open = Callback::new(move |id: String| selected.set(Some(id)));
    let back = Callback::new(move |()| selected.set(None));
    view! {
        <section class="screen lender-screen" data-testid="lender-screen">
            {move || match selected.get() {
                Some(id) => view! { <AssetDetail id=id on_back=back lender=true/> }.into_any(),
                None => view! {
                    <header class="card-head">
                        <div>
                            <h2 class="screen-title">{move || ctx.t("lender.title")}</h2>
                            <p class="hint">{move || ctx.t("lender.hint")}</p>
                        </div>
                        <ExportButtons id=None/>
                    </header>
                    {move || match data.get() {
                        None => view! { <p class="hint">{ctx.t("msg.loading")}</p> }.into_any(),
                        Some(p) => view! { <Portfolio p=p currency=currency open=open/> }.into_any(),
                    }}
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Portfolio(
    p: api::FinancePortfolioResponse,
    currency: RwSignal<String>,
    open: Callback<String>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let cs = currencies(&p);
    let open_assets = p
        .by_status
        .iter()
        .filter(|s| {
            !matches!(
                s.status.as_str(),
                "settled" | "written_off" | "released" | "enforced"
            )
        })
        .map(|s| s.count)
        .sum::<u32>();
    // Outstanding per currency: the ageing buckets hold every open receivable once.
    let totals: Vec<(String, String)> = {
        let mut t: Vec<(String, u64, usize)> = Vec::new();
        for a in p.ageing.iter().flat_map(|b| b.outstanding.iter()) {
            let d = a.amount.split_once('.').map_or(0, |(_, f)| f.len());
            match t.iter_mut().find(|(c, _, _)| *c == a.currency) {
                Some((_, s, _)) => *s = s.saturating_add(a.minor),
                None => t.push((a.currency.clone(), a.minor, d)),
            }
        }
        t.sort_by_key(|x| std::cmp::Reverse(x.1));
        t.into_iter()
            .map(|(c, m, d)| {
                let s = m.to_string();
                let s = if d == 0 {
                    s
                } else {
                    let s = format!("{s:0>width$}", width = d + 1);
                    format!("{}.{}", &s[..s.len() - d], &s[s.len() - d..])
                };
                (c, s)
            })
            .collect()
    };
    let n_alerts = p.alerts.len();
    let height = p.height;
    let as_of = p.as_of_ms;
    let p2 = p.clone();
    let p3 = p.clone();
    let timeline = p.timeline.clone();
    view! {
        <p class="hint" data-testid="lender-as-of">{move || fill(ctx.t("lender.as_of"), &[number(ctx.lang.get(), height as f64), datetime_ms(ctx.lang.get(), as_of)])}</p>
        <LightSource light=p.light.clone() proven_at=p.proven_at/>
        <div class="fin-kpis">
            <div class="fin-kpi" data-testid="kpi-outstanding">
                <span class="k">{move || ctx.t("lender.total_out")}</span>
                {if totals.is_empty() { view! { <span class="v">"0"</span> }.into_any() } else {
                    totals.into_iter().map(|(c, s)| view! { <span class="v">{money(&s, &c)}</span> }).collect_view().into_any()
                }}
            </div>
            <div class="fin-kpi" data-testid="kpi-open">
                <span class="k">{move || ctx.t("lender.open")}</span>
                <span class="v">{move || number(ctx.lang.get(), open_assets as f64)}</span>
            </div>
            <div class="fin-kpi" class:alarm={n_alerts > 0} data-testid="kpi-alerts">
                <span class="k">{move || ctx.t("lender.alerts_n")}</span>
                <span class="v">{move || number(ctx.lang.get(), n_alerts as f64)}</span>
            </div>
        </div>
        <div class="card" data-testid="lender-alerts">
            <h3 class="section">{move || ctx.t("fin.alerts")}</h3>
            <AlertList alerts=p.alerts.clone() open=open/>
        </div>
        {(cs.len() > 1).then(|| view! {
            <div class="seg" data-testid="lender-currency">
                {cs.into_iter().map(|c| {
                    let c2 = c.clone();
                    let c3 = c.clone();
                    view! { <button class:on=move || currency.get() == c2 on:click=move |_| currency.set(c3.clone())>{c.clone()}</button> }
                }).collect_view()}
            </div>
        })}
        <div class="fin-charts">
            <div class="card chart-card" data-testid="chart-exposure">
                <h3 class="section">{move || ctx.t("lender.exposure")}</h3>
                {move || view! { <ExposureChart p=p2.clone() currency=currency.get() lang=ctx.lang.get()/> }}
            </div>
            <div class="card chart-card" data-testid="chart-ageing">
                <h3 class="section">{move || ctx.t("lender.ageing")}</h3>
                {move || view! { <AgeingChart p=p3.clone() currency=currency.get() lang=ctx.lang.get()/> }}
            </div>
            <div class="card chart-card wide" data-testid="chart-timeline">
                <h3 class="section">{move || ctx.t("lender.timeline")}</h3>
                {move || view! { <TimelineChart days=timeline.clone() lang=ctx.lang.get()/> }}
            </div>
        </div>
        <Counterparties list=p.counterparties.clone()/>
        <div class="card">
            <h3 class="section">{move || ctx.t("lender.rows")}</h3>
            <Rows rows=p.rows.clone() open=open/>
        </div>
    }
}

// ---------------------------------------------------------------- charts

/// Width of every chart's drawing, in its own units (the page caps its shown width, so a
/// unit stays about a CSS pixel).
const W: f64 = 400.0;

/// Exposure by counterparty: one horizontal bar each, its name above it and its amount at
/// its end.
#[component]
fn ExposureChart(p: api::FinancePortfolioResponse, currency: String, lang: Lang) -> impl IntoView {
    let rows: Vec<(String, String, f64, String)> = p
        .exposure
        .iter()
        .filter_map(|e| {
            in_currency(&e.outstanding, &currency).map(|a| {
                let role = if e.role == "buyer" {
                    "lender.as_buyer"
                } else {
                    "lender.as_seller"
                };
                (
                    e.name.clone(),
                    format!("{} · {}", t(lang, role), assets_n(lang, e.assets)),
                    major(a),
                    money(&a.amount, ""),
                )
            })
        })
        .collect();
    if rows.is_empty() {
        return view! { <p class="hint">{t(lang, "lender.no_data")}</p> }.into_any();
    }
    let max = rows
        .iter()
        .map(|r| r.2)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let row_h = 48.0;
    let h = rows.len() as f64 * row_h + 4.0;
    let desc = fill(
        t(lang, "lender.chart_exposure_desc"),
        std::slice::from_ref(&currency),
    );
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {h}") role="img" aria-label=desc.clone() data-testid="exposure-svg"
            style=format!("max-width: {}px", W * 1.25)>
            <title>{desc.clone()}</title>
            {rows.into_iter().enumerate().map(|(i, (name, sub, v, label))| {
                let y = i as f64 * row_h;
                // The amount sits after the bar, or inside its end when the bar is long.
                let bw = (v / max * (W - 2.0)).max(2.0);
                let inside = bw > W * 0.62;
                let (tx, anchor, class) = if inside { (bw - 6.0, "end", "bar-label inside") } else { (bw + 6.0, "start", "bar-label") };
                view! {
                    <g data-testid="exposure-bar" data-name=name.clone() data-value=v.to_string()>
                        <text x="0" y=y + 14.0 class="chart-name">{name.clone()}<tspan class="chart-sub" dx="8">{sub}</tspan></text>
                        <rect x="0" y=y + 21.0 width=bw height="18" rx="3" class="bar bar-exposure"/>
                        <text x=tx y=y + 35.0 text-anchor=anchor class=class>{label}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
        <p class="chart-caption">{currency}</p>
    }
    .into_any()
}

/// Ageing: one bar per bucket, days past due along the bottom.
#[component]
fn AgeingChart(p: api::FinancePortfolioResponse, currency: String, lang: Lang) -> impl IntoView {
    let bars: Vec<(&str, f64, u32)> = BUCKETS
        .iter()
        .map(|b| {
            let found = p.ageing.iter().find(|x| x.bucket == *b);
            let v = found
                .and_then(|x| in_currency(&x.outstanding, &currency))
                .map(major)
                .unwrap_or(0.0);
            (*b, v, found.map_or(0, |x| x.assets))
        })
        .collect();
    if bars.iter().all(|b| b.1 == 0.0) {
        return view! { <p class="hint">{t(lang, "lender.no_data")}</p> }.into_any();
    }
    let (h, top, bottom) = (230.0, 22.0, 44.0);
    let plot = h - top - bottom;
    let max = nice_max(bars.iter().map(|b| b.1).fold(0.0, f64::max));
    let slot = W / bars.len() as f64;
    let desc = fill(
        t(lang, "lender.chart_ageing_desc"),
        std::slice::from_ref(&currency),
    );
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {h}") role="img" aria-label=desc.clone() data-testid="ageing-svg"
            style=format!("max-width: {}px", W * 1.25)>
            <title>{desc.clone()}</title>
            <line x1="0" x2=W y1=top + plot y2=top + plot class="axis"/>
            {bars.into_iter().enumerate().map(|(i, (bucket, v, n))| {
                let bh = if v > 0.0 { (v / max * plot).max(2.0) } else { 0.0 };
                let x = i as f64 * slot + slot * 0.18;
                let bw = slot * 0.64;
                let cx = i as f64 * slot + slot / 2.0;
                let label = if bucket == "current" { t(lang, "lender.bucket.current").to_string() } else { bucket.replace('-', "–") };
                let class = format!("bar age-{}", bucket.replace('+', "p"));
                view! {
                    <g data-testid="ageing-bar" data-bucket=bucket data-value=v.to_string()>
                        <rect x=x y=top + plot - bh width=bw height=bh rx="3" class=class/>
                        <text x=cx y=top + plot - bh - 6.0 text-anchor="middle" class="bar-value">{if v > 0.0 { compact(lang, v) } else { String::new() }}</text>
                        <text x=cx y=top + plot + 18.0 text-anchor="middle" class="chart-name">{label}</text>
                        <text x=cx y=top + plot + 36.0 text-anchor="middle" class="chart-sub">{if n > 0 { assets_n(lang, n) } else { String::new() }}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
        <p class="chart-caption">{format!("{} · {}", t(lang, "lender.ageing"), currency)}</p>
    }
    .into_any()
}

/// Status over time: a stacked bar per day, a legend below (HTML, so it wraps).
#[component]
fn TimelineChart(days: Vec<api::FinanceStatusDayView>, lang: Lang) -> impl IntoView {
    if days.is_empty() {
        return view! { <p class="hint">{t(lang, "lender.no_data")}</p> }.into_any();
    }
    let statuses: Vec<&str> = STATUS_ORDER
        .iter()
        .copied()
        .filter(|s| {
            days.iter()
                .any(|d| d.counts.iter().any(|c| c.status == *s && c.count > 0))
        })
        .chain(
            // Statuses this version has no place for go on top, in the order met.
            days.iter()
                .flat_map(|d| d.counts.iter())
                .filter(|c| !STATUS_ORDER.contains(&c.status.as_str()))
                .map(|c| c.status.as_str())
                .fold(Vec::new(), |mut v: Vec<&str>, s| {
                    if !v.contains(&s) {
                        v.push(s);
                    }
                    v
                }),
        )
        .collect();
    // A phone's narrow column gets a narrower drawing, so its text is not scaled down.
    let narrow = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .is_some_and(|v| v < 600.0);
    let (w, h, left, top, bottom) = (if narrow { W } else { W * 1.6 }, 220.0, 34.0, 12.0, 30.0);
    let plot_h = h - top - bottom;
    let plot_w = w - left - 4.0;
    let total = |d: &api::FinanceStatusDayView| d.counts.iter().map(|c| c.count).sum::<u32>();
    let max = nice_max(days.iter().map(total).max().unwrap_or(0) as f64);
    let ticks: Vec<f64> = (0..=4)
        .map(|i| max * i as f64 / 4.0)
        .filter(|v| v.fract() == 0.0)
        .collect();
    let slot = plot_w / days.len() as f64;
    let bw = (slot * 0.7).min(36.0);
    // Day labels: the first, the last, and a few between so they never collide.
    let every = (days.len() as f64 / if narrow { 3.0 } else { 5.0 })
        .ceil()
        .max(1.0) as usize;
    let n = days.len();
    let short_day = |d: &str| d.get(5..).unwrap_or(d).to_string();
    let statuses2 = statuses.clone();
    view! {
        <svg class="chart chart-wide" viewBox=format!("0 0 {w} {h}") role="img" aria-label=t(lang, "lender.chart_timeline_desc") data-testid="timeline-svg"
            style=format!("max-width: {}px", w * 1.25)>
            <title>{t(lang, "lender.chart_timeline_desc")}</title>
            {ticks.into_iter().map(|v| {
                let y = top + plot_h - v / max * plot_h;
                view! {
                    <line x1=left x2=w y1=y y2=y class="grid"/>
                    <text x=left - 6.0 y=y + 4.0 text-anchor="end" class="chart-sub">{number(lang, v)}</text>
                }
            }).collect_view()}
            {days.iter().enumerate().map(|(i, d)| {
                let x = left + i as f64 * slot + (slot - bw) / 2.0;
                let mut y = top + plot_h;
                let segs = statuses.iter().filter_map(|s| {
                    let c = d.counts.iter().find(|c| c.status == *s).map_or(0, |c| c.count);
                    (c > 0).then(|| {
                        let sh = c as f64 / max * plot_h;
                        y -= sh;
                        view! { <rect x=x y=y width=bw height=sh class=format!("seg-{s}")><title>{format!("{} · {}: {}", d.day, word(lang, "fin.st.", s), c)}</title></rect> }
                    })
                }).collect_view();
                let show = i == 0 || i + 1 == n || (i % every == 0 && i + every / 2 < n);
                view! {
                    <g data-testid="timeline-day" data-day=d.day.clone() data-total=total(d).to_string()>
                        {segs}
                        {show.then(|| view! { <text x=x + bw / 2.0 y=h - 10.0 text-anchor="middle" class="chart-sub">{short_day(&d.day)}</text> })}
                    </g>
                }
            }).collect_view()}
            <line x1=left x2=w y1=top + plot_h y2=top + plot_h class="axis"/>
        </svg>
        <ul class="chart-legend" data-testid="timeline-legend">
            {statuses2.into_iter().map(|s| view! {
                <li><span class=format!("swatch seg-{s}")></span>{word(lang, "fin.st.", s)}</li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

// ---------------------------------------------------------------- tables

/// A share in basis points as a percentage (`—` when there is nothing to count).
fn percent(lang: Lang, bp: Option<u32>) -> String {
    bp.map(|b| format!("{}%", number(lang, (b as f64 / 10.0).round() / 10.0)))
        .unwrap_or_else(|| "—".into())
}

#[component]
fn Counterparties(list: Vec<api::FinanceCounterpartyView>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    if list.is_empty() {
        return ().into_any();
    }
    // A light node counts the deliveries its verified index holds (to the caller's org
    // and behind its assets), not every one a full node's index counts.
    let yours = list
        .iter()
        .any(|c| c.deliveries_scope.as_deref() == Some("indexed"));
    view! {
        <div class="card">
            <h3 class="section">{move || ctx.t("lender.counterparties")}</h3>
            {yours.then(|| view! { <p class="hint" data-testid="deliveries-yours">{move || ctx.t("lender.deliveries_yours")}</p> })}
            <div class="table-wrap">
                <table class="fin-table" data-testid="lender-counterparties">
                    <thead><tr>
                        <th>{move || ctx.t("lender.col.name")}</th>
                        <th class="num">{move || ctx.t("lender.col.deliveries")}</th>
                        <th class="num">{move || ctx.t("lender.col.on_time")}</th>
                        <th class="num">{move || ctx.t("lender.col.exceptions")}</th>
                        <th class="num">{move || ctx.t("lender.col.disputes")}</th>
                        <th class="num">{move || ctx.t("lender.col.dilution")}</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|c| {
                            let bad = |bp: Option<u32>, limit: u32| bp.is_some_and(|b| b > limit);
                            let c2 = c.clone();
                            view! {
                                <tr data-testid="counterparty" data-name=c.name.clone()>
                                    <td>{c.name.clone()}</td>
                                    <td class="num">{move || number(ctx.lang.get(), c.deliveries as f64)}</td>
                                    <td class="num" class:warn=c.on_time_bp.is_some_and(|b| b < 9000)>{move || percent(ctx.lang.get(), c2.on_time_bp)}</td>
                                    <td class="num" class:warn=bad(c.exception_bp, 500)>{move || percent(ctx.lang.get(), c.exception_bp)}</td>
                                    <td class="num" class:warn=bad(c.dispute_bp, 500)>{move || percent(ctx.lang.get(), c.dispute_bp)}</td>
                                    <td class="num" class:warn=bad(c.dilution_bp, 500)>{move || percent(ctx.lang.get(), c.dilution_bp)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
    .into_any()
}

/// The assets: one row each (a card on a phone); a click opens the asset.
#[component]
fn Rows(rows: Vec<api::FinancePortfolioRowView>, open: Callback<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    if rows.is_empty() {
        return view! { <p class="hint" data-testid="lender-empty">{move || ctx.t("lender.none")}</p> }.into_any();
    }
    view! {
        <div class="fin-rows" data-testid="lender-rows">
            <div class="fin-rows-head" aria-hidden="true">
                <span>{move || ctx.t("lender.col.asset")}</span>
                <span>{move || ctx.t("lender.col.seller")}</span>
                <span>{move || ctx.t("lender.col.buyer")}</span>
                <span>{move || ctx.t("lender.col.status")}</span>
                <span class="num">{move || ctx.t("lender.col.outstanding")}</span>
                <span>{move || ctx.t("lender.col.due")}</span>
                <span class="num">{move || ctx.t("lender.col.alerts")}</span>
            </div>
            {rows.into_iter().map(|r| {
                let id = r.id.clone();
                let kind = r.kind.clone();
                let title = r.invoice.clone();
                let rid = r.id.clone();
                let out = r.outstanding.as_ref().map(|a| money(&a.amount, &a.currency));
                let goods = (r.kind == "receipt").then_some((r.goods, r.released));
                let due = r.due_ms;
                let late = r.days_past_due.filter(|d| *d > 0);
                let alerts = r.alerts;
                view! {
                    <button class="fin-rows-row" class:alarm={alerts > 0} data-testid="lender-row" data-id=r.id.clone() data-status=r.status.clone()
                        on:click=move |_| open.run(id.clone())>
                        <span class="fr-asset">
                            <strong>{move || word(ctx.lang.get(), "fin.kind.", &kind)}</strong>" "
                            {match title.clone() { Some(i) => view! { <span>{i}</span> }.into_any(), None => view! { <span class="mono">{short_id(&rid)}</span> }.into_any() }}
                        </span>
                        <span class="fr-seller">{r.seller.clone()}</span>
                        <span class="fr-buyer">{"→ "}{r.buyer.clone()}</span>
                        <span class="fr-status"><StatusBadge status=r.status.clone()/></span>
                        <span class="fr-out num">{move || match (&out, goods) {
                            (Some(o), _) => o.clone(),
                            (None, Some((g, r))) => fill(ctx.t("fin.goods_n"), &[number(ctx.lang.get(), g as f64), number(ctx.lang.get(), r as f64)]),
                            (None, None) => "—".into(),
                        }}</span>
                        <span class="fr-due">
                            {due.map(|ms| view! { <span>{move || date(ctx.lang.get(), ms)}</span> })}
                            {late.map(|d| view! { <span class="late" data-testid="days-past-due">{move || fill(ctx.t("lender.days_past_due"), &[number(ctx.lang.get(), d as f64)])}</span> })}
                        </span>
                        <span class="fr-alerts num">{(alerts > 0).then(|| view! { <span class="badge alert-badge">{alerts}</span> })}</span>
                    </button>
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_a_round_number() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(2400.0), 2500.0);
        assert_eq!(nice_max(50_001.0), 100_000.0);
    }

    #[test]
    fn minor_units_scale_by_the_amounts_decimals() {
        let a = api::FinanceAmountView {
            currency: "EUR".into(),
            amount: "1250.50".into(),
            minor: 125_050,
        };
        assert_eq!(major(&a), 1250.5);
        let y = api::FinanceAmountView {
            currency: "JPY".into(),
            amount: "900".into(),
            minor: 900,
        };
        assert_eq!(major(&y), 900.0);
    }
}
