//! The shell: navigation, the shared state of the screens, the error banner.

use crate::backend::{self, ApiError};
use crate::i18n::{Lang, error_text, fill, number, t};
use crate::screens;
use handoff_api::StatusResponse;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// What the org holds, expects, ships and must look at (the first screen).
    Home,
    /// Scan.
    Scan,
    /// One item's timeline.
    Item,
    /// Incoming and outgoing handoffs.
    Inbox,
    /// What the org holds, with filters and a CSV download.
    Stock,
    /// Products and labels.
    Products,
    /// Build and break containers.
    Pack,
    /// Certifications: issue, suspend, reinstate, revoke.
    Auditor,
    /// EPCIS files in and out.
    Exchange,
    /// Invoices and warehouse receipts (suppliers, buyers, warehouses).
    Finance,
    /// A lender's portfolio.
    Lender,
    /// Identity and chain.
    Node,
}

/// State every screen shares.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// UI language.
    pub lang: RwSignal<Lang>,
    /// The screen shown.
    pub tab: RwSignal<Tab>,
    /// `status` of the node (identity, height…).
    pub status: RwSignal<Option<StatusResponse>>,
    /// The error shown in the banner.
    pub error: RwSignal<Option<ApiError>>,
    /// A confirmation shown in the banner.
    pub notice: RwSignal<Option<Notice>>,
    /// The canonical code of the item in view.
    pub current: RwSignal<Option<String>>,
    /// Open incoming handoffs (badge).
    pub inbox_count: RwSignal<usize>,
    /// Outbox entries not yet committed or rejected (light mode; badge).
    pub outbox_count: RwSignal<usize>,
    /// Bumped by the periodic refresh while outbox entries are open.
    pub tick: RwSignal<u32>,
    /// The scanner's FNC1 substitute (empty: none).
    pub fnc1: RwSignal<String>,
    /// Bumped after every change on the ledger, so screens reload.
    pub version: RwSignal<u32>,
    /// An action is running.
    pub busy: RwSignal<bool>,
    /// A code to look up when the Scan screen opens (a code tried from Home).
    pub pending_scan: RwSignal<Option<String>>,
    /// An invitation link scanned on the Scan screen, for the Node screen's join form.
    pub pending_invite: RwSignal<Option<String>>,
    /// The Stock screen's filters (kept across screens; set by Home's drill-downs).
    pub stock_view: RwSignal<crate::home::StockView>,
}

impl Ctx {
    /// Text in the current language.
    pub fn t(&self, key: &'static str) -> &'static str {
        t(self.lang.get(), key)
    }

    /// Shows an error.
    pub fn fail(&self, e: ApiError) {
        self.notice.set(None);
        self.error.set(Some(e));
    }

    /// Shows a confirmation and reloads what depends on the ledger.
    pub fn done(&self, msg: Notice) {
        self.error.set(None);
        self.notice.set(Some(msg));
        self.version.update(|v| *v += 1);
    }

    /// Whether the app runs as a light node.
    pub fn light(&self) -> bool {
        self.status.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.mode.as_deref() == Some("light"))
        })
    }

    /// The acting org's key (hex).
    pub fn my_org(&self) -> String {
        self.status
            .with(|s| {
                s.as_ref()
                    .and_then(|s| s.identity.as_ref().map(|i| i.org.clone()))
            })
            .unwrap_or_default()
    }

    /// The acting org's name.
    pub fn me(&self) -> String {
        self.status
            .get()
            .and_then(|s| s.identity.map(|i| i.name))
            .unwrap_or_default()
    }
}

/// A confirmation, kept as a message key and its arguments so that it is said in the
/// language on screen whenever it is drawn (a notice raised in English reads in Chinese
/// after the language is switched, and back).
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// The message's key in the text table; `{0}`, `{1}`… stand for the arguments.
    pub key: &'static str,
    /// Its arguments.
    pub args: Vec<Arg>,
}

/// One argument of a [`Notice`].
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Shown as it is (a code, a path, a list of outbox numbers).
    Text(String),
    /// A count or a block height, in the language's number format.
    Number(u64),
}

impl Notice {
    /// A notice without arguments.
    pub fn new(key: &'static str) -> Notice {
        Notice {
            key,
            args: Vec::new(),
        }
    }

    /// With one more argument.
    pub fn arg(mut self, a: Arg) -> Notice {
        self.args.push(a);
        self
    }

    /// The notice in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| match a {
                Arg::Text(s) => s.clone(),
                Arg::Number(n) => number(lang, *n as f64),
            })
            .collect();
        fill(t(lang, self.key), &args)
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// A stored setting.
pub fn setting(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

/// Stores a setting.
pub fn set_setting(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// Reloads status and the inbox count.
pub fn refresh_status(ctx: Ctx) {
    spawn_local(async move {
        let light = match backend::status().await {
            Ok(s) => {
                let light = s.mode.as_deref() == Some("light");
                ctx.outbox_count.set(s.outbox.unwrap_or(0) as usize);
                ctx.status.set(Some(s));
                light
            }
            // A paired phone that is offline says so on its own card (phone.rs).
            Err(e) if e.code == "NODE_UNREACHABLE" && crate::phone::offline_and_paired() => false,
            Err(e) => {
                ctx.fail(e);
                false
            }
        };
        // A light node keeps no inbox index; a browser tab that is not signed in may not
        // read one.
        if light || !backend::signed_in() {
            ctx.inbox_count.set(0);
        } else if let Ok(i) = backend::inbox().await {
            ctx.inbox_count.set(i.incoming.len());
        }
    });
}

/// The app.
#[component]
pub fn App() -> impl IntoView {
    let lang = Lang::from_tag(&setting("lang").unwrap_or_else(|| {
        web_sys::window()
            .and_then(|w| w.navigator().language())
            .unwrap_or_default()
    }));
    let ctx = Ctx {
        lang: RwSignal::new(lang),
        // Home is the org's own business: it opens first wherever the page acts for an
        // org (the app, a signed-in browser, a light node's page); a visitor or a paired
        // phone without a sign-in opens on Scan.
        tab: RwSignal::new(if backend::signed_in() {
            Tab::Home
        } else {
            Tab::Scan
        }),
        status: RwSignal::new(None),
        error: RwSignal::new(None),
        notice: RwSignal::new(None),
        current: RwSignal::new(None),
        inbox_count: RwSignal::new(0),
        outbox_count: RwSignal::new(0),
        tick: RwSignal::new(0),
        fnc1: RwSignal::new(setting("fnc1").unwrap_or_default()),
        version: RwSignal::new(0),
        busy: RwSignal::new(false),
        pending_scan: RwSignal::new(None),
        pending_invite: RwSignal::new(None),
        stock_view: RwSignal::new(Default::default()),
    };
    provide_context(ctx);
    // A paired phone: its device key, its queue, a pairing link in the address.
    crate::phone::start(ctx);
    Effect::new(move |_| {
        ctx.version.get();
        refresh_status(ctx);
    });
    Effect::new(move |_| {
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("lang", ctx.lang.get().tag());
        }
    });
    // A light node moves on its own: its header height and peers are refreshed, and its
    // outbox too while entries are open.
    set_interval(
        move || {
            if ctx.light() {
                let open = ctx.outbox_count.get_untracked() > 0;
                refresh_status(ctx);
                if open {
                    ctx.tick.update(|t| *t += 1);
                }
            }
        },
        std::time::Duration::from_secs(3),
    );
    // The Lender tab is for orgs with the lender role (read from the org list whenever the
    // acting identity changes).
    let lender = RwSignal::new(false);
    Effect::new(move |_| {
        let me = ctx.my_org();
        if me.is_empty() {
            lender.set(false);
            return;
        }
        spawn_local(async move {
            let is = backend::orgs().await.is_ok_and(|o| {
                o.orgs
                    .iter()
                    .any(|o| o.key == me && o.roles.iter().any(|r| r == "lender"))
            });
            lender.set(is);
            if !is && ctx.tab.get_untracked() == Tab::Lender {
                ctx.tab.set(Tab::Finance);
            }
        });
    });
    // Interactive: tell the app (start-up benchmark) once, after the first paint.
    request_animation_frame(move || spawn_local(backend::ready()));

    // On a phone the bar holds Home, Scan, Inbox, Stock and "More", which opens the other
    // screens in a sheet above the bar; on a wider screen every screen is in the side bar.
    let more_open = RwSignal::new(false);
    let nav = move |tab: Tab, key: &'static str, id: &'static str| {
        view! {
            <button
                class="nav-item"
                class:active=move || ctx.tab.get() == tab
                data-testid=id
                on:click=move |_| {
                    more_open.set(false);
                    ctx.tab.set(tab)
                }
            >
                <span class="nav-label">{move || ctx.t(key)}</span>
                {(tab == Tab::Inbox).then(|| view! {
                    <span class="badge" data-testid="inbox-count" class:hidden=move || ctx.inbox_count.get() == 0>
                        {move || ctx.inbox_count.get()}
                    </span>
                })}
                {(tab == Tab::Node).then(|| view! {
                    <span class="badge outbox-badge" data-testid="outbox-count"
                        title=move || ctx.t("node.outbox_list")
                        class:hidden=move || !ctx.light() || ctx.outbox_count.get() == 0>
                        {move || ctx.outbox_count.get()}
                    </span>
                })}
            </button>
        }
    };

    view! {
        <div class="shell">
            <nav class="nav">
                <div class="brand">"Handoff"</div>
                {nav(Tab::Home, "nav.home", "nav-home")}
                {nav(Tab::Scan, "nav.scan", "nav-scan")}
                {nav(Tab::Inbox, "nav.inbox", "nav-inbox")}
                {nav(Tab::Stock, "nav.stock", "nav-stock")}
                <button class="nav-item nav-more" data-testid="nav-more"
                    class:active=move || more_open.get() || !matches!(ctx.tab.get(), Tab::Home | Tab::Scan | Tab::Inbox | Tab::Stock)
                    aria-expanded=move || if more_open.get() { "true" } else { "false" }
                    on:click=move |_| more_open.update(|o| *o = !*o)>
                    <span class="nav-label">{move || ctx.t("nav.more")}</span>
                    <span class="badge outbox-badge" class:hidden=move || !ctx.light() || ctx.outbox_count.get() == 0>
                        {move || ctx.outbox_count.get()}
                    </span>
                </button>
                <div class="nav-rest" class:open=move || more_open.get() data-testid="nav-rest">
                    {nav(Tab::Item, "nav.item", "nav-item")}
                    {nav(Tab::Products, "nav.products", "nav-products")}
                    {nav(Tab::Pack, "nav.pack", "nav-pack")}
                    {nav(Tab::Auditor, "nav.auditor", "nav-auditor")}
                    {nav(Tab::Exchange, "nav.exchange", "nav-exchange")}
                    {backend::signed_in().then(|| nav(Tab::Finance, "nav.finance", "nav-finance"))}
                    {move || lender.get().then(|| nav(Tab::Lender, "nav.lender", "nav-lender"))}
                    {nav(Tab::Node, "nav.node", "nav-node")}
                </div>
                <div class="whoami" data-testid="whoami">{move || ctx.me()}</div>
            </nav>
            <div class="nav-scrim" class:hidden=move || !more_open.get() on:click=move |_| more_open.set(false)></div>
            <main class="main">
                <Banner/>
                {move || match ctx.tab.get() {
                    Tab::Home => view! { <crate::home::HomeScreen/> }.into_any(),
                    Tab::Stock => view! { <crate::home::StockScreen/> }.into_any(),
                    Tab::Scan => view! { <screens::ScanScreen/> }.into_any(),
                    Tab::Item => view! { <screens::ItemScreen/> }.into_any(),
                    Tab::Inbox => view! { <screens::InboxScreen/> }.into_any(),
                    Tab::Products => view! { <screens::ProductsScreen/> }.into_any(),
                    Tab::Pack => view! { <screens::PackScreen/> }.into_any(),
                    Tab::Auditor => view! { <crate::certs::AuditorScreen/> }.into_any(),
                    Tab::Exchange => view! { <crate::exchange::ExchangeScreen/> }.into_any(),
                    Tab::Finance => view! { <crate::finance::FinanceScreen/> }.into_any(),
                    Tab::Lender => view! { <crate::lender::LenderScreen/> }.into_any(),
                    Tab::Node => view! { <screens::NodeScreen/> }.into_any(),
                }}
            </main>
        </div>
    }
}

/// Whether an error code means a record could not be read or verified (a failed or
/// missing proof, a store fault): shown as "could not verify", never as "not found".
pub fn unverified(code: &str) -> bool {
    matches!(code, "PROOF_INVALID" | "PROOF_UNAVAILABLE" | "STORE_FAULT")
}

/// Errors (code + message) and confirmations, dismissible.
#[component]
fn Banner() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        {move || ctx.error.get().map(|e| view! {
            <div class="banner error" role="alert" data-testid="error-banner">
                <div>
                    {unverified(&e.code).then(|| view! {
                        <div class="banner-title" data-testid="error-unverified">{ctx.t("error.unverified")}</div>
                    })}
                    // The UI's own errors (the node unreachable, a sign-in needed) are said in
                    // the language on screen; the node's are its own words.
                    <div class="banner-message">{
                        let code = e.code.clone();
                        let message = e.message.clone();
                        move || error_text(ctx.lang.get(), &code).map(String::from).unwrap_or_else(|| message.clone())
                    }</div>
                    <div class="banner-code" data-testid="error-code">{e.code.clone()}</div>
                </div>
                <button class="ghost" on:click=move |_| ctx.error.set(None)>{move || ctx.t("action.dismiss")}</button>
            </div>
        })}
        {move || ctx.notice.get().map(|m| view! {
            <div class="banner notice" role="status" data-testid="notice-banner">
                <div class="banner-message">{move || m.text(ctx.lang.get())}</div>
                <button class="ghost" on:click=move |_| ctx.notice.set(None)>{move || ctx.t("action.dismiss")}</button>
            </div>
        })}
        {move || ctx.busy.get().then(|| view! { <div class="busy" data-testid="busy">{ctx.t("msg.loading")}</div> })}
    }
}
