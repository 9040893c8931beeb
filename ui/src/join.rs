//! Inviting an organisation to the network: a registrar's panel on the Node screen that
//! makes a one-time invitation (`org_invite`) and shows its link and QR code. The invited
//! org opens the link with `handoff join LINK` in its own folder, or in the app: pasted on
//! the Node screen, or its QR code scanned on the Scan screen, which opens the Node
//! screen's join form with the link in it; its node checks the chain against the link and makes its
//! own key, so nothing secret is copied by hand. The node keeps only the ticket's hash.
//! A node without a network answers `NOT_NETWORKED` (its text says to run the node or to
//! give its public address). Below the form, the invitations this node made
//! (`org_invitations`): each open one with a Revoke button (`org_invite_revoke`; a join
//! with its link is then refused), the used, expired and revoked ones muted.

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
    let invitations = RwSignal::new(Vec::<api::InvitationView>::new());
    // Why the list could not be read, said in the panel: a reload in the background
    // (each new block) must not replace what the screen is saying (a join that just
    // switched this app to light mode, where the list is not kept, answers LIGHT_NODE).
    let list_error = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match backend::org_invitations().await {
                Ok(v) => {
                    list_error.set(None);
                    invitations.set(v.invitations);
                }
                Err(e) => list_error.set(Some(format!("{} [{}]", e.message, e.code))),
            }
        });
    };
    Effect::new(move |_| {
        ctx.version.get();
        if registrar.get() {
            reload();
        }
    });
    let revoke = move |id: String| {
        ctx.busy.set(true);
        spawn_local(async move {
            match backend::org_invite_revoke(id).await {
                Ok(r) => {
                    ctx.error.set(None);
                    // The link just made, if that is the one revoked, is no longer shown.
                    // (The panel may be gone by now: then nothing is read or set.)
                    if made.try_with_untracked(|m| {
                        m.as_ref().is_some_and(|m| m.ticket_id == r.invitation.id)
                    }) == Some(true)
                    {
                        made.set(None);
                    }
                    reload();
                }
                Err(e) => ctx.fail(e),
            }
            ctx.busy.set(false);
        });
    };
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
                    reload();
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
                {move || list_error.get().map(|e| view! {
                    <p class="hint warn" data-testid="invite-list-error">{e}</p>
                })}
                <Show when=move || !invitations.get().is_empty()>
                    <h4>{move || ctx.t("invite.list")}</h4>
                    <ul class="invite-list" data-testid="invite-list">
                        {move || {
                            let lang = ctx.lang.get();
                            invitations.get().into_iter().map(|i| {
                                let open = i.status == "open";
                                let status = crate::i18n::lookup(lang, &format!("invite.status.{}", i.status))
                                    .map(String::from)
                                    .unwrap_or_else(|| i.status.clone());
                                let when = crate::i18n::fill(t(lang, "invite.until"), &[crate::i18n::datetime(lang, &i.expires)]);
                                let roles = i.roles.join(", ");
                                let id = i.id.clone();
                                view! {
                                    <li class="invitation" class:muted=!open data-testid="invitation"
                                        data-id=i.id.clone() data-status=i.status.clone()>
                                        <div class="invitation-text">
                                            <strong>{i.name.clone()}</strong>
                                            <span class="hint">{roles}</span>
                                            <span class="hint">{if open { when } else { status }}</span>
                                        </div>
                                        {open.then(|| view! {
                                            <button class="danger" data-testid="invite-revoke"
                                                on:click=move |_| revoke(id.clone())>{t(lang, "invite.revoke")}</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()
                        }}
                    </ul>
                </Show>
            </div>
        </Show>
    }
}
