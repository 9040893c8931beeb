//! The phone: a browser paired with an org signs its own transactions with a device key
//! it generated, and keeps them in a queue until the node has them.
//!
//! - **Pairing.** The desktop shows a pairing link as a QR code ([`PairPanel`] on the
//!   Node screen: `pair_ticket`). A phone that opens it (`…/#pair=TICKET`) draws 32 random
//!   bytes from the browser (`crypto.getRandomValues`) as its ed25519 device key, signs
//!   `handoff pairing v1 ‖ chain id ‖ ticket` with it and redeems the ticket
//!   (`pair_redeem`); the node authorizes the key for the org on chain. The key, the org,
//!   the chain id and the chain's org names stay in this browser's `localStorage`; the
//!   ticket leaves the address bar at once.
//! - **Scans.** While paired, what the Scan screen reads also goes to this phone's list
//!   of codes to hand off (parsed here by `handoff-core`, so a bad code is said at once
//!   and works offline); offline, that is all a scan does.
//! - **Signing.** "Sign and send" builds `ProposeHandoff` to the chosen org, signs it
//!   with the device key (`handoff-core`'s encoding and signature, the ledger's own) with
//!   the next nonce — the highest in the queue plus one, else the device's next nonce as
//!   the node last said — and queues it.
//! - **Queue.** Entries are kept in `localStorage` in the order signed and sent strictly
//!   in that order (`tx_submit`), the next only after the previous one is final:
//!   committed (with its block) or rejected (with the ledger's code and message), like
//!   the light node's outbox. A network failure or a busy node leaves the entry waiting;
//!   the queue is tried again when the browser says it is online, every few seconds while
//!   entries wait, and at start. An entry the node refuses for its nonce alone (an entry
//!   before it was refused without using its nonce) is signed again with the nonce the
//!   chain expects, once.

use crate::app::{Arg, Ctx, Notice};
use crate::backend::{self, ApiError};
use crate::i18n::{Lang, datetime_ms, number, t};
use handoff_api as api;
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{self, Gs1Key};
use handoff_core::tx::{Entry, Payload, ProposeHandoff, SignedTx, TX_VERSION, Transfer, TxBody};
use handoff_core::types::{Hash32, PublicKey};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};

/// Where the pairing is kept (device key, org, chain).
const PAIRED_KEY: &str = "handoff.phone";
/// Where the queue is kept.
const QUEUE_KEY: &str = "handoff.phone.queue";
/// What the device key signs to redeem a ticket (the node's `phone::PAIRING_DOMAIN`).
const PAIRING_DOMAIN: &[u8] = b"handoff pairing v1";
/// The most entries the queue keeps; the oldest final ones go first.
const MAX_QUEUE: usize = 200;
/// The most codes one handoff from the phone carries (the ledger's bound is larger).
const MAX_CODES: usize = 100;

/// Codes that mean "try again later", not a verdict on the transaction.
const TRANSIENT: &[&str] = &[
    "NODE_UNREACHABLE",
    "RATE_LIMITED",
    "REQUEST_TIMEOUT",
    "TIMEOUT",
    "INTERNAL",
    "STORE_FAULT",
    "BAD_RESPONSE",
    "NO_PEER",
    "BUSY",
    "MEMPOOL_FULL",
    "NOT_NETWORKED",
];

/// A phone paired with an org.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paired {
    /// The device key's 32 secret bytes, hex.
    secret: String,
    /// The device key, hex.
    pub device: String,
    /// The org it signs for, hex.
    pub org: String,
    /// The org's name.
    pub name: String,
    /// The device's label on chain.
    pub label: String,
    /// The chain, hex.
    chain_id: String,
    /// The device's next nonce as the node last said.
    next_nonce: u64,
    /// The chain's orgs (name, key) when it was paired.
    orgs: Vec<api::PairOrg>,
}

/// One transaction signed on this phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    /// Order of signing (1, 2, …).
    pub seq: u64,
    /// The signed transaction, hex.
    tx: String,
    /// Its id, hex.
    pub id: String,
    /// Its nonce.
    nonce: u64,
    /// The recipient's name.
    pub to: String,
    /// The codes handed off (canonical).
    pub items: Vec<String>,
    /// `waiting`, `committed` or `rejected`.
    pub status: String,
    /// The block it is in.
    pub height: Option<u64>,
    /// Why it was refused.
    pub code: Option<String>,
    /// The refusal's message.
    pub message: Option<String>,
    /// When it was signed, Unix ms.
    pub signed_ms: i64,
    /// Whether it was signed again for its nonce already.
    #[serde(default)]
    resigned: bool,
}

/// The phone's state, shared by the Scan and Node screens.
#[derive(Clone, Copy, Debug)]
pub struct Phone {
    /// The pairing, if any.
    pub paired: RwSignal<Option<Paired>>,
    /// The queue, in order.
    pub queue: RwSignal<Vec<Queued>>,
    /// Codes to hand off (canonical), in the order scanned.
    pub codes: RwSignal<Vec<String>>,
    /// Whether the browser says it is online.
    pub online: RwSignal<bool>,
    /// A send round is running.
    sending: RwSignal<bool>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// What is stored under `key`. Stored text that no longer decodes (a damaged queue of
/// signed handoffs, say) is an error, never "nothing stored": it is first copied to
/// `{key}.unreadable`, so the next save under `key` cannot destroy it.
fn load<T: for<'de> Deserialize<'de>>(key: &str) -> Result<Option<T>, ApiError> {
    let Some(s) = storage() else { return Ok(None) };
    let Some(text) = s.get_item(key).ok().flatten() else {
        return Ok(None);
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        let kept = format!("{key}.unreadable");
        let _ = s.set_item(&kept, &text);
        ApiError::new(
            "PHONE_STORAGE_UNREADABLE",
            format!(
                "what this phone stored under {key} cannot be read ({e}); it is kept as {kept}"
            ),
        )
    })
}

/// What [`load`] found; an unreadable store is shown to the user (and kept aside).
fn loaded<T>(ctx: Ctx, r: Result<Option<T>, ApiError>) -> Option<T> {
    r.unwrap_or_else(|e| {
        ctx.fail(e);
        None
    })
}

fn store<T: Serialize>(key: &str, v: &T) {
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(v)) {
        let _ = s.set_item(key, &text);
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Whether the browser says it is online.
pub fn browser_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Whether this browser is a paired phone and offline.
pub fn offline_and_paired() -> bool {
    !browser_online() && phone().is_some_and(|p| p.paired.with_untracked(Option::is_some))
}

/// 32 random bytes from the browser.
fn random_secret() -> Result<[u8; 32], ApiError> {
    let mut b = [0u8; 32];
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut b).ok())
        .ok_or_else(|| ApiError::new("NO_RANDOMNESS", "this browser gives no random numbers"))?;
    Ok(b)
}

fn keypair(p: &Paired) -> Option<Keypair> {
    let b: [u8; 32] = unhex(&p.secret)?.try_into().ok()?;
    Some(Keypair::from_secret(b))
}

thread_local! {
    /// The phone's state, made once by [`start`] (signals are `Copy`; event handlers that
    /// run outside the app's reactive owner reach it here).
    static PHONE: std::cell::Cell<Option<Phone>> = const { std::cell::Cell::new(None) };
}

/// The phone's state (made once, by [`start`]).
pub fn phone() -> Option<Phone> {
    PHONE.with(std::cell::Cell::get)
}

/// Makes the phone's state, redeems a pairing link in the address, and starts sending the
/// queue (at start, when the browser is back online, and every few seconds while entries
/// wait). Call once, in the app's root.
pub fn start(ctx: Ctx) {
    let phone = Phone {
        paired: RwSignal::new(loaded(ctx, load::<Paired>(PAIRED_KEY))),
        queue: RwSignal::new(loaded(ctx, load::<Vec<Queued>>(QUEUE_KEY)).unwrap_or_default()),
        codes: RwSignal::new(Vec::new()),
        online: RwSignal::new(browser_online()),
        sending: RwSignal::new(false),
    };
    PHONE.with(|p| p.set(Some(phone)));
    if let Some(ticket) = take_ticket_from_address() {
        spawn_local(async move {
            match pair(phone, &ticket).await {
                Ok(p) => ctx.done(Notice::new("notice.phone_paired").arg(Arg::Text(p.name))),
                Err(e) => ctx.fail(e),
            }
        });
    }
    let on = window_event_listener(leptos::ev::online, move |_| {
        phone.online.set(true);
        send(ctx, phone);
    });
    let off = window_event_listener(leptos::ev::offline, move |_| phone.online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    set_interval(
        move || {
            phone.online.set(browser_online());
            if phone
                .queue
                .with_untracked(|q| q.iter().any(|e| e.status == "waiting"))
            {
                send(ctx, phone);
            }
        },
        std::time::Duration::from_secs(4),
    );
    send(ctx, phone);
}

/// Takes `#pair=…` from the page's address, once, and removes it from the address bar.
fn take_ticket_from_address() -> Option<String> {
    let w = web_sys::window()?;
    let location = w.location();
    let hash = location.hash().ok()?;
    let ticket = hash
        .trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix("pair="))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))?
        .to_string();
    let clean = format!(
        "{}{}",
        location.pathname().unwrap_or_else(|_| "/".into()),
        location.search().unwrap_or_default()
    );
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
    }
    Some(ticket)
}

/// Generates a device key and redeems `ticket` for it.
async fn pair(phone: Phone, ticket: &str) -> Result<Paired, ApiError> {
    let status = backend::status().await?;
    let chain = Hash32::from_hex(&status.chain_id)
        .ok_or_else(|| ApiError::new("BAD_RESPONSE", "the node named no chain id"))?;
    let key = Keypair::from_secret(random_secret()?);
    let mut msg = PAIRING_DOMAIN.to_vec();
    msg.extend_from_slice(&chain.0);
    msg.extend_from_slice(ticket.to_lowercase().as_bytes());
    let signature = key.sign_raw(&msg);
    let r = backend::pair_redeem(api::PairRedeemRequest {
        ticket: ticket.to_lowercase(),
        device: key.public().to_hex(),
        signature: hex(&signature),
    })
    .await?;
    let paired = Paired {
        secret: hex(&key.secret()),
        device: r.device,
        org: r.org,
        name: r.name,
        label: r.label,
        chain_id: r.chain_id,
        next_nonce: r.next_nonce,
        orgs: r.orgs,
    };
    store(PAIRED_KEY, &paired);
    phone.paired.set(Some(paired.clone()));
    Ok(paired)
}

/// While paired, adds a scanned code to the list to hand off: `None` when the phone is
/// not paired, else whether the code was a scan of an item, lot or container.
pub fn collect(code: &str) -> Option<Result<String, ApiError>> {
    let phone = phone()?;
    phone.paired.with_untracked(Option::is_some).then_some(())?;
    Some(match gs1::parse_scan(code) {
        Ok(sc) => match sc.key {
            Gs1Key::Serial { .. } | Gs1Key::Sscc { .. } | Gs1Key::Lot { .. } => {
                let canonical = sc.key.canonical();
                let full = phone.codes.with_untracked(|c| c.len() >= MAX_CODES);
                if full {
                    Err(ApiError::new(
                        "TOO_MANY_CODES",
                        format!("one handoff from this phone takes at most {MAX_CODES} codes"),
                    ))
                } else {
                    phone.codes.update(|c| {
                        if !c.contains(&code.trim().to_string()) {
                            c.push(code.trim().to_string());
                        }
                    });
                    Ok(canonical)
                }
            }
            k => Err(ApiError::new(
                "NOT_AN_ITEM",
                format!("{} is not an item, lot or container", k.canonical()),
            )),
        },
        Err(e) => Err(ApiError::new(e.code.as_str(), e.message)),
    })
}

/// The entries of a handoff of `codes` (a lot needs its count, AI 30, in the scan).
fn entries(codes: &[String]) -> Result<Vec<Entry>, ApiError> {
    codes
        .iter()
        .map(|c| {
            let sc = gs1::parse_scan(c).map_err(|e| ApiError::new(e.code.as_str(), e.message))?;
            match sc.key {
                Gs1Key::Lot { .. } => sc
                    .quantity
                    .map(|q| Entry::lot(sc.key.clone(), q))
                    .ok_or_else(|| {
                        ApiError::new(
                            "QTY_REQUIRED",
                            format!("'{c}' is a lot: scan a label that gives its count (AI 30)"),
                        )
                    }),
                _ => Ok(Entry::item(sc.key)),
            }
        })
        .collect()
}

/// Signs a handoff of the listed codes to `to` (an org key) and queues it; answers its
/// number.
fn propose(phone: Phone, to: &str) -> Result<u64, ApiError> {
    let p = phone
        .paired
        .get_untracked()
        .ok_or_else(|| ApiError::new("NOT_PAIRED", "this phone is not paired with an org"))?;
    let key = keypair(&p)
        .ok_or_else(|| ApiError::new("BAD_DEVICE_KEY", "the stored device key does not read"))?;
    let chain_id = Hash32::from_hex(&p.chain_id)
        .ok_or_else(|| ApiError::new("BAD_DEVICE_KEY", "the stored chain id does not read"))?;
    let recipient = PublicKey::from_hex(to)
        .ok_or_else(|| ApiError::new("UNKNOWN_ORG", "choose who receives the goods"))?;
    let codes = phone.codes.get_untracked();
    if codes.is_empty() {
        return Err(ApiError::new("NO_CODES", "scan what you hand off first"));
    }
    let items = entries(&codes)?;
    let queue = phone.queue.get_untracked();
    let nonce = queue
        .iter()
        .filter(|e| e.status == "waiting")
        .map(|e| e.nonce + 1)
        .max()
        .unwrap_or(0)
        .max(p.next_nonce);
    let body = TxBody {
        version: TX_VERSION,
        chain_id,
        signer: key.public(),
        nonce,
        event_time_ms: now_ms(),
        payload: Payload::ProposeHandoff(ProposeHandoff {
            to: recipient,
            entries: items,
            transfer: Transfer::Custody,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_at_height: None,
        }),
    };
    let tx = key
        .sign_tx(body)
        .map_err(|r| ApiError::new(r.code.as_str(), r.message))?;
    let seq = queue.iter().map(|e| e.seq).max().unwrap_or(0) + 1;
    let to_name = p
        .orgs
        .iter()
        .find(|o| o.key == to)
        .map(|o| o.name.clone())
        .unwrap_or_else(|| to.chars().take(12).collect());
    let entry = Queued {
        seq,
        tx: hex(&tx.encode()),
        id: tx.id().to_hex(),
        nonce,
        to: to_name,
        items: codes
            .iter()
            .filter_map(|c| gs1::parse_scan(c).ok().map(|s| s.key.canonical()))
            .collect(),
        status: "waiting".into(),
        height: None,
        code: None,
        message: None,
        signed_ms: now_ms(),
        resigned: false,
    };
    phone.queue.update(|q| {
        q.push(entry);
        // Bounded: the oldest final entries go first.
        while q.len() > MAX_QUEUE {
            match q.iter().position(|e| e.status != "waiting") {
                Some(i) => {
                    q.remove(i);
                }
                None => break,
            }
        }
    });
    phone.queue.with_untracked(|q| store(QUEUE_KEY, q));
    phone.codes.set(Vec::new());
    Ok(seq)
}

/// Signs `e` again with `nonce` (same payload and event time).
fn resign(p: &Paired, e: &mut Queued, nonce: u64) -> Option<()> {
    let key = keypair(p)?;
    let old = SignedTx::decode(&unhex(&e.tx)?).ok()?;
    let mut body = old.body;
    body.nonce = nonce;
    let tx = key.sign_tx(body).ok()?;
    e.tx = hex(&tx.encode());
    e.id = tx.id().to_hex();
    e.nonce = nonce;
    e.resigned = true;
    Some(())
}

fn save_entry(phone: Phone, e: &Queued) {
    phone.queue.update(|q| {
        if let Some(x) = q.iter_mut().find(|x| x.seq == e.seq) {
            *x = e.clone();
        }
    });
    phone.queue.with_untracked(|q| store(QUEUE_KEY, q));
}

/// Sends the waiting entries in order, the next only after the previous one is final;
/// stops at the first that cannot be sent now.
pub fn send(ctx: Ctx, phone: Phone) {
    if phone.sending.get_untracked() || phone.paired.with_untracked(Option::is_none) {
        return;
    }
    phone.sending.set(true);
    spawn_local(async move {
        let mut any = false;
        while let Some(mut e) = phone
            .queue
            .with_untracked(|q| q.iter().find(|e| e.status == "waiting").cloned())
        {
            match backend::tx_submit(e.tx.clone()).await {
                Ok(r) => {
                    e.status = "committed".into();
                    e.height = Some(r.height);
                    e.id = r.tx;
                    save_entry(phone, &e);
                    // Its nonce is used: the next one signed here takes the one after.
                    let known = phone
                        .paired
                        .with_untracked(|p| p.as_ref().map_or(0, |p| p.next_nonce));
                    set_next_nonce(phone, known.max(e.nonce + 1));
                    any = true;
                }
                Err(err) if TRANSIENT.contains(&err.code.as_str()) => {
                    phone
                        .online
                        .set(browser_online() && err.code != "NODE_UNREACHABLE");
                    break;
                }
                Err(err)
                    if matches!(err.code.as_str(), "NONCE_GAP" | "NONCE_REUSED") && !e.resigned =>
                {
                    let (Some(p), Ok(n)) = (
                        phone.paired.get_untracked(),
                        backend::signer_nonce(&e_signer(&phone)).await,
                    ) else {
                        break;
                    };
                    if resign(&p, &mut e, n.next_nonce).is_none() {
                        e.status = "rejected".into();
                        e.code = Some(err.code);
                        e.message = Some(err.message);
                    }
                    save_entry(phone, &e);
                }
                Err(err) => {
                    e.status = "rejected".into();
                    e.code = Some(err.code);
                    e.message = Some(err.message);
                    save_entry(phone, &e);
                    any = true;
                }
            }
        }
        // With nothing waiting, the device's next nonce is read again from the chain.
        if phone
            .queue
            .with_untracked(|q| q.iter().all(|e| e.status != "waiting"))
            && let Ok(n) = backend::signer_nonce(&e_signer(&phone)).await
        {
            set_next_nonce(phone, n.next_nonce);
        }
        phone.sending.set(false);
        if any {
            ctx.version.update(|v| *v += 1);
        }
    });
}

/// Keeps the device's next nonce as the node said it (or as a commit implies), without
/// drawing the card again (the recipient chosen stays chosen).
fn set_next_nonce(phone: Phone, next: u64) {
    phone.paired.update_untracked(|p| {
        if let Some(p) = p
            && p.next_nonce != next
        {
            p.next_nonce = next;
            store(PAIRED_KEY, p);
        }
    });
}

fn e_signer(phone: &Phone) -> String {
    phone
        .paired
        .with_untracked(|p| p.as_ref().map(|p| p.device.clone()))
        .unwrap_or_default()
}

/// What this phone signs: the org it signs for, the codes it scanned, who receives them,
/// and the queue of what it signed. Nothing when the browser is not paired.
#[component]
pub fn PhoneCard() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let Some(phone) = phone() else {
        return ().into_any();
    };
    let to = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let add_typed = move || {
        let v = typed.get_untracked();
        if v.trim().is_empty() {
            return;
        }
        match collect(v.trim()) {
            Some(Err(e)) => ctx.fail(e),
            _ => typed.set(String::new()),
        }
    };
    let sign = move |_| match propose(phone, &to.get_untracked()) {
        Ok(seq) => {
            ctx.error.set(None);
            ctx.notice.set(Some(
                Notice::new("notice.phone_queued").arg(Arg::Number(seq)),
            ));
            send(ctx, phone);
        }
        Err(e) => ctx.fail(e),
    };
    view! {
        {move || phone.paired.get().map(|p| {
            let lang = ctx.lang.get();
            let me = p.org.clone();
            let orgs: Vec<api::PairOrg> = p.orgs.iter().filter(|o| o.key != me).cloned().collect();
            view! {
                <div class="card phone-card" data-testid="phone-card">
                    <header class="card-head">
                        <h3 class="title">{t(lang, "phone.title")}</h3>
                        <span class=move || if phone.online.get() { "pill phone-online" } else { "pill phone-offline" }
                            data-testid="phone-online">
                            {move || t(ctx.lang.get(), if phone.online.get() { "phone.online" } else { "phone.offline_short" })}
                        </span>
                    </header>
                    <p class="hint" data-testid="phone-signs-for">{
                        crate::i18n::fill(t(lang, "phone.signs_for"), &[p.name.clone(), p.label.clone()])
                    }</p>
                    <div class="kv"><span class="k">{t(lang, "phone.device_key")}</span>
                        <span class="v mono" data-testid="phone-device">{p.device.chars().take(16).collect::<String>()}"…"</span></div>
                    {move || (!phone.online.get()).then(|| view! {
                        <p class="hint phone-offline-note" data-testid="phone-offline-note">{t(ctx.lang.get(), "phone.offline")}</p>
                    })}
                    <div class="phone-codes">
                        <div class="field">
                            <span>{t(lang, "phone.codes")}</span>
                            <div class="row">
                                <input type="text" data-testid="phone-code-input" autocomplete="off" autocapitalize="off"
                                    spellcheck="false" placeholder=t(lang, "phone.code_placeholder")
                                    prop:value=move || typed.get()
                                    on:input=move |ev| typed.set(event_target_value(&ev))
                                    on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Enter" { ev.prevent_default(); add_typed(); }/>
                                <button class="secondary" data-testid="phone-code-add" on:click=move |_| add_typed()>{t(lang, "phone.add")}</button>
                            </div>
                        </div>
                        <ol class="phone-code-list" data-testid="phone-codes">
                            {move || phone.codes.get().into_iter().map(|c| view! { <li class="mono">{c}</li> }).collect_view()}
                        </ol>
                        {move || phone.codes.with(Vec::is_empty).then(|| view! {
                            <p class="hint">{t(ctx.lang.get(), "phone.codes_hint")}</p>
                        })}
                    </div>
                    <label class="field">
                        <span>{t(lang, "phone.to")}</span>
                        <select data-testid="phone-to" on:change=move |ev| to.set(event_target_value(&ev))>
                            <option value="" selected=move || to.get().is_empty()>{t(lang, "phone.choose")}</option>
                            {orgs.into_iter().map(|o| {
                                let key = o.key.clone();
                                view! { <option value=o.key.clone() selected=move || to.get() == key>{o.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <div class="actions">
                        <button class="primary" data-testid="phone-propose"
                            disabled=move || to.get().is_empty() || phone.codes.with(Vec::is_empty)
                            on:click=sign>{t(lang, "phone.propose")}</button>
                        <button class="ghost" data-testid="phone-clear"
                            on:click=move |_| phone.codes.set(Vec::new())>{t(lang, "phone.clear")}</button>
                    </div>
                </div>
            }
        })}
        {move || phone.paired.with(Option::is_some).then(|| view! { <PhoneQueue phone=phone/> })}
    }
    .into_any()
}

/// The phone's queue: each entry's number, what it hands off to whom, and where it
/// stands (waiting to send, committed in block N, rejected with the rule's code).
#[component]
fn PhoneQueue(phone: Phone) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <div class="card outbox phone-queue" data-testid="phone-queue">
            {move || {
                let lang = ctx.lang.get();
                let q = phone.queue.get();
                let waiting = q.iter().filter(|e| e.status == "waiting").count();
                view! {
                    <header class="card-head">
                        <h3 class="title">{t(lang, "phone.queue")}</h3>
                        <span class="pill" data-testid="phone-waiting">{crate::i18n::fill(t(lang, "phone.waiting_n"), &[number(lang, waiting as f64)])}</span>
                    </header>
                    {q.is_empty().then(|| view! { <p class="hint">{t(lang, "phone.queue_empty")}</p> })}
                    <ol class="outbox-entries">
                        {q.into_iter().rev().map(|e| entry_view(lang, e)).collect_view()}
                    </ol>
                }
            }}
        </div>
    }
}

fn entry_view(lang: Lang, e: Queued) -> impl IntoView {
    let status = e.status.clone();
    let chip = match status.as_str() {
        "committed" => format!(
            "{} · {} {}",
            t(lang, "outbox.committed"),
            t(lang, "msg.block"),
            number(lang, e.height.unwrap_or(0) as f64)
        ),
        "rejected" => t(lang, "outbox.rejected").to_string(),
        _ => t(lang, "phone.waiting").to_string(),
    };
    let subject = match (e.items.first(), e.items.len()) {
        (Some(first), 1) => first.clone(),
        (Some(first), n) => format!("{first} +{}", n - 1),
        (None, _) => String::new(),
    };
    let why = (status == "rejected").then(|| {
        format!(
            "{} {}: {}",
            t(lang, "outbox.rule"),
            e.code.clone().unwrap_or_default(),
            e.message.clone().unwrap_or_default()
        )
    });
    view! {
        <li class=format!("outbox-entry st-{status}") data-testid="phone-entry"
            data-status=status.clone() data-seq=e.seq.to_string() data-tx=e.id.clone()>
            <div class="ob-head">
                <span class="ob-seq">{format!("#{}", e.seq)}</span>
                <span class="ob-kind">{crate::i18n::fill(t(lang, "phone.handoff_to"), std::slice::from_ref(&e.to))}</span>
                <span class=format!("chip chip-{status}") data-testid="phone-entry-status">{chip}</span>
            </div>
            <div class="ob-subject mono">{subject}</div>
            <div class="ob-tx mono">{format!("{} {}… · {}", t(lang, "outbox.tx"), e.id.chars().take(12).collect::<String>(), datetime_ms(lang, e.signed_ms))}</div>
            {why.map(|w| view! { <div class="ob-why" data-testid="phone-entry-why">{w}</div> })}
        </li>
    }
}

/// Whether a pairing link's base names this computer itself (a phone cannot reach it).
fn loopback(base: &str) -> bool {
    let host = base
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")
}

/// The desktop's side: a one-time pairing code for a phone of the signed-in org, as a QR
/// code of the link the phone opens.
#[component]
pub fn PairPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let in_app = backend::in_app();
    // A browser on the node's own page: the node's address as this browser reached it
    // (edit it to the address phones on the network reach).
    let origin = if in_app {
        String::new()
    } else {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .filter(|o| o.starts_with("http"))
            .unwrap_or_default()
    };
    let base = RwSignal::new(origin);
    let ticket = RwSignal::new(None::<api::PairTicketResponse>);
    let make = move |_| {
        let b = base.get_untracked().trim().to_string();
        ctx.busy.set(true);
        spawn_local(async move {
            match backend::pair_ticket((!b.is_empty()).then_some(b)).await {
                Ok(v) => {
                    ctx.error.set(None);
                    ticket.set(Some(v));
                }
                Err(e) => ctx.fail(e),
            }
            ctx.busy.set(false);
        });
    };
    view! {
        <div class="card pair-panel" data-testid="pair-panel">
            <header class="card-head"><h3 class="title">{move || ctx.t("pair.title")}</h3></header>
            <p class="hint">{move || ctx.t(if in_app { "pair.app_hint" } else { "pair.hint" })}</p>
            <label class="field">
                <span>{move || ctx.t("pair.base")}</span>
                <input type="url" data-testid="pair-base" prop:value=move || base.get()
                    placeholder="http://192.168.1.20:8080"
                    on:input=move |ev| base.set(event_target_value(&ev))/>
            </label>
            {move || loopback(&base.get()).then(|| view! {
                <p class="hint phone-offline-note" data-testid="pair-loopback">{ctx.t("pair.loopback")}</p>
            })}
            <div class="actions">
                <button class="primary" data-testid="pair-make" on:click=make>{move || ctx.t("pair.make")}</button>
            </div>
            {move || ticket.get().map(|v| {
                let lang = ctx.lang.get();
                view! {
                    <div class="pair" data-testid="pair-ticket" data-url=v.url.clone().unwrap_or_default()>
                        {v.qr_svg.clone().map(|svg| view! { <div class="pair-qr" inner_html=svg></div> })}
                        <p class="hint">{crate::i18n::fill(t(lang, "pair.expires"), &[datetime_ms(lang, v.expires_ms)])}</p>
                        <div class="mono pair-url">{v.url.clone().unwrap_or_else(|| v.ticket.clone())}</div>
                    </div>
                }
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_base_is_told_apart_from_a_network_address() {
        assert!(loopback("http://127.0.0.1:8080"));
        assert!(loopback("http://localhost:8080"));
        assert!(loopback("http://[::1]:8080"));
        assert!(!loopback("http://192.168.1.20:8080"));
        assert!(!loopback("https://node.example.com"));
    }

    #[test]
    fn hex_round_trips_and_refuses_odd_or_bad_digits() {
        assert_eq!(
            unhex(&hex(&[0, 1, 0xab, 0xff])),
            Some(vec![0, 1, 0xab, 0xff])
        );
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
