//! Inviting an organisation to the network: a registrar's panel on the Node screen that
//! makes a one-time invitation (`org_invite`) and shows its link and QR code. The invited
//! org opens the link with `handoff join LINK` in its own folder, or in the app: pasted on
//! the Node screen, or its QR code scanned on the Scan screen, which opens the Node
//! screen's join form with the link in it; its node checks the chain against the link and makes its
//! own key, so nothing secret is copied by hand. The node keeps only the ticket's hash.
//! A node without a network answers `NOT_NETWORKED` (its text says to run the node or to
//! give its public address).

use crate::app::Ctx;
use crate::backend;
use crate::i18n::t;
use handoff_api as api;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Whether a scanned code is an invitation to join a network (`handoff org invite`'s link,
/// as its QR code carries it) rather than a GS1 code.
pub fn is_invitation(code: &str) -> bool {
    code.trim()
        .get(..15)
        .is_some_and(|p| p.eq_ignore_ascii_case("handoff://join?"))
}

/// The panel, shown when the acting org is a registrar.
#[component]
pub fn InvitePanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let registrar = RwSignal::new(false);
    Effect::new(move |_| {
        ctx.version.get();
        let me = ctx.my_org();
        spawn_local(async move {
            let is = backend::orgs().await.is_ok_and(|o| {
                o.orgs.iter().any(|x| {
                    x.key == me && !x.suspended && x.roles.iter().any(|r| r == "registrar")
                })
            });
            registrar.set(is);
        });
    });
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let peer = RwSignal::new(String::new());
    let made = RwSignal::new(None::<api::OrgInviteResponse>);
    let make = move |_| {
        let list = |s: String| -> Vec<String> {
            s.split([',', '\n'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        };
        let req = api::OrgInviteRequest {
            name: name.get_untracked().trim().to_string(),
            roles: list(role.get_untracked()),
            prefixes: Vec::new(),
            glns: Vec::new(),
            valid_hours: 72,
            peers: list(peer.get_untracked()),
        };
        ctx.busy.set(true);
        spawn_local(async move {
            match backend::org_invite(req).await {
                Ok(v) => {
                    ctx.error.set(None);
                    made.set(Some(v));
                }
                Err(e) => ctx.fail(e),
            }
            ctx.busy.set(false);
        });
    };
    view! {
        <Show when=move || registrar.get()>
            <div class="card invite-panel" data-testid="invite-panel">
                <header class="card-head"><h3 class="title">{move || ctx.t("invite.title")}</h3></header>
                <p class="hint">{move || ctx.t("invite.hint")}</p>
                <label class="field">
                    <span>{move || ctx.t("invite.name")}</span>
                    <input type="text" data-testid="invite-name" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span>{move || ctx.t("invite.roles")}</span>
                    <input type="text" data-testid="invite-roles" prop:value=move || role.get()
                        placeholder="warehouse, carrier"
                        on:input=move |ev| role.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span>{move || ctx.t("invite.peer")}</span>
                    <input type="text" data-testid="invite-peer" prop:value=move || peer.get()
                        placeholder="/ip4/192.168.1.20/tcp/7420"
                        on:input=move |ev| peer.set(event_target_value(&ev))/>
                </label>
                <div class="actions">
                    <button class="primary" data-testid="invite-make" on:click=make>{move || ctx.t("invite.make")}</button>
                </div>
                {move || made.get().map(|v| {
                    let lang = ctx.lang.get();
                    view! {
                        <div class="pair" data-testid="invite-link" data-link=v.link.clone()>
                            <div class="pair-qr" inner_html=v.qr_svg.clone()></div>
                            <p class="hint">{crate::i18n::fill(t(lang, "invite.expires"), &[crate::i18n::datetime(lang, &v.expires)])}</p>
                            <div class="mono pair-url">{v.link.clone()}</div>
                        </div>
                    }
                })}
            </div>
        </Show>
    }
}
