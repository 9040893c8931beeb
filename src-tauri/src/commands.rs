//! Command adapters: each turns one UI request (plain values in) into one or more ledger
//! commands on the app's node and returns their JSON (the shapes of the `handoff` command
//! line's `--json` output), or `{code, message}`. Values from the UI always go after
//! `--` or as `--flag=value`, so a scanned text can never be read as an option.
//!
//! In light mode (the app follows a network as a light node) the adapters map to the
//! `handoff light …` commands: reads are single records verified with a Merkle proof
//! against a certified header, actions are signed and queued in the outbox (answered at
//! once with the queued entries, sent when a peer is reachable), and what needs a full
//! node's indexes (inbox, full history, products…) answers `LIGHT_NODE`.

use crate::node::{ApiError, AppNode, light_node_error};
use base64::Engine;
use handoff_core::gs1;
use serde_json::{Value, json};
use tauri::{AppHandle, Manager};

/// A command's JSON, or the error the UI shows.
pub type Res = Result<Value, ApiError>;

/// Runs `f` on a blocking thread: ledger commands wait for a durable block, which must
/// not hold up the window's event loop.
async fn blocking(app: AppHandle, f: impl FnOnce(&AppNode) -> Res + Send + 'static) -> Res {
    tauri::async_runtime::spawn_blocking(move || f(&app.state::<AppNode>()))
        .await
        .map_err(|e| ApiError::new("ERROR", format!("the command stopped: {e}")))?
}

fn flag(name: &str, value: &str) -> String {
    format!("--{name}={value}")
}

/// Chain status, the data folder, and the local identities with the one acted as.
pub fn status_of(node: &AppNode) -> Res {
    let mut v = match node.light() {
        Some(l) => {
            let mut v = l.status()?;
            v["mode"] = json!("light");
            v
        }
        None => {
            let mut v = node.call(&["status"])?;
            v["mode"] = json!("embedded");
            v["peers"] = json!(0);
            v["outbox"] = json!(0);
            v
        }
    };
    let ids = node.identities()?;
    let acting = node.acting_as();
    let current = acting
        .as_deref()
        .and_then(|a| {
            ids.iter()
                .find(|(n, k)| n.eq_ignore_ascii_case(a) || k.starts_with(&a.to_lowercase()))
        })
        .or(ids.first());
    let id_json = |(n, k): &(String, String)| json!({"name": n, "org": k, "org_name": n});
    v["identity"] = current.map(id_json).unwrap_or(Value::Null);
    v["identities"] = ids.iter().map(id_json).collect();
    v["data_dir"] = json!(node.data().display().to_string());
    Ok(v)
}

/// Chain height, identity and folder.
#[tauri::command]
pub async fn status(app: AppHandle) -> Res {
    blocking(app, status_of).await
}

/// Acts as another local identity.
#[tauri::command]
pub async fn switch_identity(app: AppHandle, name: String) -> Res {
    blocking(app, move |n| {
        n.switch(&name)?;
        status_of(n)
    })
    .await
}

/// What a scan is: the parsed identifier, its current record, the verdict and the open
/// handoff it travels in (`handoff`, null when none).
pub fn lookup_of(node: &AppNode, code: &str) -> Res {
    // A malformed scan is explained even when the chain cannot be opened.
    gs1::parse_scan(code).map_err(|e| ApiError::new(e.code.as_str(), e.message))?;
    let scan = node.call(&["id", "parse", "--", code])?;
    let canonical = scan["canonical"].as_str().unwrap_or_default().to_string();
    if let Some(l) = node.light() {
        if l.peer_count() == 0 {
            return Err(ApiError::new(
                "NO_PEER",
                "no full node is reachable, so the record cannot be verified now; actions \
                 you take are queued and sent once a peer is reachable",
            ));
        }
        let v = node.light_call(&["show", "--", &canonical])?;
        let thing = &v["thing"];
        let key = if thing["kind"] == "lot" {
            "lot"
        } else {
            "item"
        };
        return Ok(json!({
            "scan": scan,
            "thing": {key: thing},
            "verdict": Value::Null,
            "handoff": v["handoff"],
            "verified": {"height": v["height"], "state_root": v["state_root"],
                         "header_hash": v["header_hash"]},
        }));
    }
    let thing = node.call(&["item", "show", "--", &canonical])?;
    // The offer the thing travels in, so it can be accepted from the scan.
    let handoff = match thing["item"]["open_handoff"].as_str() {
        Some(id) => match node.call(&["handoff", "show", "--", id]) {
            Ok(h) => h["handoff"].clone(),
            // A record the store could not read is an error, not "no offer".
            Err(e) if e.code == "STORE_FAULT" => return Err(e),
            Err(_) => Value::Null,
        },
        None => Value::Null,
    };
    // The genuine/counterfeit verdict is about products; a pallet or case (SSCC) has none.
    let verdict = if scan["gtin"].is_string() {
        node.call(&["verify", "--", &canonical])?
    } else {
        Value::Null
    };
    Ok(json!({"scan": scan, "thing": thing, "verdict": verdict, "handoff": handoff}))
}

/// Looks up a scanned code.
#[tauri::command]
pub async fn lookup(app: AppHandle, code: String) -> Res {
    blocking(app, move |n| lookup_of(n, &code)).await
}

/// An item's full provenance.
#[tauri::command]
pub async fn history(app: AppHandle, code: String) -> Res {
    blocking(app, move |n| history_of(n, &code)).await
}

/// An item's full provenance (a full node's index: `LIGHT_NODE` in light mode).
pub fn history_of(node: &AppNode, code: &str) -> Res {
    if node.light().is_some() {
        return Err(light_node_error("An item's full history"));
    }
    node.call(&["item", "history", "--", code])
}

/// Every org on the chain.
#[tauri::command]
pub async fn orgs(app: AppHandle) -> Res {
    blocking(app, orgs_of).await
}

/// Every org on the chain; in light mode the orgs of the trusted genesis (the org list is
/// a full node's index; the genesis is what a light node knows for sure).
pub fn orgs_of(node: &AppNode) -> Res {
    let Some(l) = node.light() else {
        return node.call(&["org", "list"]);
    };
    let g = l
        .store()
        .genesis()
        .map_err(handoff_node::cli::CliError::from)?;
    let orgs: Vec<Value> = g
        .orgs
        .iter()
        .map(|o| {
            json!({"key": o.org.to_hex(), "name": o.name, "prefixes": o.prefixes,
                   "roles": o.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()})
        })
        .collect();
    Ok(json!({"orgs": orgs, "source": "genesis"}))
}

/// Open handoffs to and from the acting org.
#[tauri::command]
pub async fn inbox(app: AppHandle) -> Res {
    blocking(app, inbox_of).await
}

/// Open handoffs to and from the acting org (a full node's index: `LIGHT_NODE` in light
/// mode).
pub fn inbox_of(node: &AppNode) -> Res {
    if node.light().is_some() {
        return Err(light_node_error("The inbox of open handoffs"));
    }
    node.call(&["handoff", "inbox"])
}

/// Offers items to another org.
#[tauri::command]
pub async fn propose(app: AppHandle, codes: Vec<String>, to: String, ownership: bool) -> Res {
    blocking(app, move |n| propose_of(n, &codes, &to, ownership)).await
}

/// Offers items to `to` (an org's name or key). In light mode: queued in the outbox.
pub fn propose_of(node: &AppNode, codes: &[String], to: &str, ownership: bool) -> Res {
    if node.light().is_some() {
        let key = light_org_key(node, to)?;
        let to = flag("to", &key);
        let mut args = vec!["propose", to.as_str()];
        if ownership {
            args.push("--ownership");
        }
        args.push("--");
        args.extend(codes.iter().map(String::as_str));
        return queued(node.light_call(&args)?);
    }
    let to = flag("to", to);
    let mut args = vec!["handoff", "propose", to.as_str()];
    if ownership {
        args.push("--ownership");
    }
    args.push("--");
    args.extend(codes.iter().map(String::as_str));
    node.call(&args)
}

/// An org key for a light node: 64 hex digits, or the name of an org of the genesis.
fn light_org_key(node: &AppNode, to: &str) -> Result<String, ApiError> {
    let t = to.trim();
    if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(t.to_lowercase());
    }
    let orgs = orgs_of(node)?;
    orgs["orgs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| {
            o["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(t))
        })
        .and_then(|o| o["key"].as_str().map(String::from))
        .ok_or_else(|| {
            ApiError::new(
                "UNKNOWN_ORG",
                format!(
                    "'{t}' is not an org this light node knows: give the recipient's org key \
                     (64 hex digits)"
                ),
            )
        })
}

/// The answer to an action queued in light mode: `{queued: [{seq, tx, nonce}], light:
/// true}` plus `tx` (the first queued transaction), so callers that show a transaction
/// id still can.
fn queued(mut v: Value) -> Res {
    v["light"] = json!(true);
    v["tx"] = v["queued"][0]["tx"].clone();
    Ok(v)
}

/// Accepts an offer, naming what did not arrive or arrived damaged.
#[tauri::command]
pub async fn accept(app: AppHandle, id: String, missing: Vec<String>, damaged: Vec<String>) -> Res {
    blocking(app, move |n| accept_of(n, &id, &missing, &damaged)).await
}

/// Accepts an offer. In light mode: queued in the outbox (the full handoff id is needed).
pub fn accept_of(node: &AppNode, id: &str, missing: &[String], damaged: &[String]) -> Res {
    let opts: Vec<String> = missing
        .iter()
        .map(|m| flag("missing", m))
        .chain(damaged.iter().map(|d| flag("damaged", d)))
        .collect();
    let light = node.light().is_some();
    let mut args = if light {
        vec!["accept"]
    } else {
        vec!["handoff", "accept"]
    };
    args.extend(opts.iter().map(String::as_str));
    args.extend(["--", id]);
    if light {
        queued(node.light_call(&args)?)
    } else {
        node.call(&args)
    }
}

/// The light node's outbox: `{entries: [{seq, tx, nonce, status, height, index, code,
/// message, kind, items, handoff}], tip, account_nonce, counts}`; on the embedded chain
/// `{entries: []}` (it commits at once and has no outbox).
#[tauri::command]
pub async fn outbox(app: AppHandle) -> Res {
    blocking(app, outbox_of).await
}

/// See [`outbox`].
pub fn outbox_of(node: &AppNode) -> Res {
    let Some(l) = node.light() else {
        return Ok(json!({"entries": [], "mode": "embedded"}));
    };
    let mut v = node.light_call(&["outbox"])?;
    v["mode"] = json!("light");
    v["counts"] = l.status()?["outbox_counts"].clone();
    Ok(v)
}

/// Refuses an offer.
#[tauri::command]
pub async fn reject(app: AppHandle, id: String, reason: String) -> Res {
    blocking(app, move |n| {
        let reason = flag("reason", &reason);
        n.call(&["handoff", "reject", &reason, "--", &id])
            .map_err(|e| light_named(n, e, "Refusing an offer"))
    })
    .await
}

/// Withdraws an offer.
#[tauri::command]
pub async fn cancel(app: AppHandle, id: String) -> Res {
    blocking(app, move |n| {
        n.call(&["handoff", "cancel", "--", &id])
            .map_err(|e| light_named(n, e, "Withdrawing an offer"))
    })
    .await
}

/// A product by GTIN.
#[tauri::command]
pub async fn product(app: AppHandle, gtin: String) -> Res {
    blocking(app, move |n| {
        n.call(&["product", "show", "--", &gtin])
            .map_err(|e| light_named(n, e, "The product list"))
    })
    .await
}

/// A product's picture: `{gtin, image_hash, mime, data_base64}`; `image_hash` is null (and
/// there is no data) when the product's definition names no picture. The ledger holds
/// only the hash; the bytes are the pictures this app carries (`handoff_node::images`),
/// found by that hash. A hash the app has no picture for is `IMAGE_UNAVAILABLE`.
#[tauri::command]
pub async fn product_image(app: AppHandle, gtin: String) -> Res {
    blocking(app, move |n| product_image_of(n, &gtin)).await
}

/// The product_image command's work (see [`product_image`]).
pub fn product_image_of(node: &AppNode, gtin: &str) -> Res {
    let v = node
        .call(&["product", "show", "--", gtin])
        .map_err(|e| light_named(node, e, "The product list"))?;
    let product = &v["product"];
    let Some(hash_hex) = product["image_hash"].as_str() else {
        return Ok(json!({"gtin": product["gtin"], "image_hash": null}));
    };
    let unavailable = || {
        ApiError::new(
            "IMAGE_UNAVAILABLE",
            format!(
                "the picture of product {} (SHA-256 {hash_hex}) is not one this app carries",
                product["gtin"].as_str().unwrap_or(gtin)
            ),
        )
    };
    let hash = hex::decode(hash_hex)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(unavailable)?;
    let image =
        handoff_node::images::find(&handoff_core::types::Hash32(hash)).ok_or_else(unavailable)?;
    Ok(json!({
        "gtin": product["gtin"],
        "image_hash": hash_hex,
        "mime": image.mime,
        "data_base64": base64::engine::general_purpose::STANDARD.encode(image.bytes),
    }))
}

/// Defines a product under the acting org's company prefix.
#[tauri::command]
pub async fn define_product(
    app: AppHandle,
    gtin: String,
    name: String,
    description: String,
) -> Res {
    blocking(app, move |n| {
        let (g, nm, d) = (
            flag("gtin", &gtin),
            flag("name", &name),
            flag("description", &description),
        );
        n.call(&["product", "define", &g, &nm, &d])
            .map_err(|e| light_named(n, e, "Defining a product"))
    })
    .await
}

/// Commissions serials, or a lot with a quantity.
#[tauri::command]
pub async fn commission(
    app: AppHandle,
    codes: Vec<String>,
    lot: Option<String>,
    qty: Option<u64>,
    expiry: Option<String>,
) -> Res {
    blocking(app, move |n| commission_of(n, &codes, lot, qty, expiry)).await
}

/// Commissions serials, or a lot with a quantity. In light mode: serials and containers,
/// one transaction each, queued in the outbox.
pub fn commission_of(
    node: &AppNode,
    codes: &[String],
    lot: Option<String>,
    qty: Option<u64>,
    expiry: Option<String>,
) -> Res {
    let lot = lot.filter(|l| !l.is_empty());
    let expiry = expiry.filter(|e| !e.is_empty());
    if node.light().is_some() {
        if lot.is_some() || qty.is_some() || expiry.is_some() {
            return Err(light_node_error(
                "Commissioning with a lot, quantity or expiry",
            ));
        }
        let mut args = vec!["commission", "--"];
        args.extend(codes.iter().map(String::as_str));
        return queued(node.light_call(&args)?);
    }
    let mut opts = Vec::new();
    if let Some(l) = lot {
        opts.push(flag("lot", &l));
    }
    if let Some(q) = qty {
        opts.push(flag("qty", &q.to_string()));
    }
    if let Some(e) = expiry {
        opts.push(flag("expiry", &e));
    }
    let mut args = vec!["item", "commission"];
    args.extend(opts.iter().map(String::as_str));
    args.push("--");
    args.extend(codes.iter().map(String::as_str));
    node.call(&args)
}

/// A `LIGHT_NODE` error named for the action people took (the generic one names the
/// command line).
fn light_named(node: &AppNode, e: ApiError, what: &str) -> ApiError {
    if e.code == "LIGHT_NODE" && node.light().is_some() {
        light_node_error(what)
    } else {
        e
    }
}

/// Packs items into a container.
#[tauri::command]
pub async fn pack(app: AppHandle, into: String, codes: Vec<String>) -> Res {
    blocking(app, move |n| {
        let into = flag("into", &into);
        let mut args = vec!["item", "pack", into.as_str(), "--"];
        args.extend(codes.iter().map(String::as_str));
        n.call(&args)
            .map_err(|e| light_named(n, e, "Packing a container"))
    })
    .await
}

/// Unpacks a container.
#[tauri::command]
pub async fn unpack(app: AppHandle, container: String) -> Res {
    blocking(app, move |n| {
        n.call(&["item", "unpack", "--", &container])
            .map_err(|e| light_named(n, e, "Unpacking a container"))
    })
    .await
}

/// A printable label for a code: `{uri, mime, data_base64}`. The product name is looked
/// up on the chain when the code names a product.
#[tauri::command]
pub async fn label(app: AppHandle, code: String, format: String, size: String) -> Res {
    blocking(app, move |n| label_of(n, &code, &format, &size)).await
}

/// The label command's work (see [`label`]).
pub fn label_of(node: &AppNode, code: &str, format: &str, size: &str) -> Res {
    use handoff_node::label;
    let bad = |e: label::LabelError| ApiError::new(e.code, e.message);
    let f = label::Format::parse(format).map_err(bad)?;
    let z = label::Size::parse(size).map_err(bad)?;
    let sc = gs1::parse_scan(code).map_err(|e| ApiError::new(e.code.as_str(), e.message))?;
    let title = sc
        .key
        .gtin()
        .and_then(|g| node.call(&["product", "show", "--", g]).ok())
        .and_then(|p| p["product"]["name"].as_str().map(String::from));
    let base = "https://id.gs1.org";
    let bytes = label::render(&[(code.to_string(), title)], f, z, base).map_err(bad)?;
    Ok(json!({
        "uri": sc.key.digital_link(base),
        "mime": f.mime(),
        "data_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
    }))
}

/// Decodes the QR codes in an image (base64 of the file's bytes).
#[tauri::command]
pub async fn decode_image(bytes: String) -> Res {
    tauri::async_runtime::spawn_blocking(move || decode_image_of(&bytes))
        .await
        .map_err(|e| ApiError::new("ERROR", format!("the command stopped: {e}")))?
}

/// The QR codes in an image given as base64, each parsed as a scan.
pub fn decode_image_of(b64: &str) -> Res {
    if b64.len() > handoff_node::qr::MAX_IMAGE_BYTES / 3 * 4 + 4 {
        return Err(ApiError::new(
            "QR_IMAGE_TOO_LARGE",
            "the image is larger than Handoff reads (20 MB)",
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| ApiError::new("BAD_IMAGE", format!("the file did not arrive whole: {e}")))?;
    let codes =
        handoff_node::qr::decode_bytes(&bytes).map_err(|e| ApiError::new(e.code, e.message))?;
    let parsed: Vec<Value> = codes
        .iter()
        .map(|c| match gs1::parse_scan(c) {
            Ok(sc) => json!({"text": c, "canonical": sc.key.canonical()}),
            Err(e) => json!({"text": c, "error": {"code": e.code.as_str(), "message": e.message}}),
        })
        .collect();
    Ok(json!({"codes": parsed}))
}

/// The UI calls this once its first screen is interactive. The app writes one line to
/// stderr, which the start-up benchmark times from process launch; with
/// `HANDOFF_EXIT_WHEN_READY=1` it then quits (one cold start per process).
#[tauri::command]
pub fn ready(app: AppHandle) {
    eprintln!("HANDOFF_READY");
    if std::env::var_os("HANDOFF_EXIT_WHEN_READY").is_some() {
        app.exit(0);
    }
}

/// A timing the UI measured (e.g. `scan_to_item_ms`), written to stderr for benchmarks.
#[tauri::command]
pub fn timing(name: String, ms: f64) {
    if name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        eprintln!("HANDOFF_TIMING {name} {ms:.2}");
    }
}

/// The "join a network" setting: `{peers, genesis, mode, network}`.
#[tauri::command]
pub async fn network(app: AppHandle) -> Res {
    blocking(app, |n| n.network()).await
}

/// Saves the bootstrap peers (multiaddresses such as `/ip4/10.0.0.5/tcp/4001/p2p/12D3…`
/// or `/dns4/hub.example.com/udp/4001/quic-v1`) and, with the network's genesis (hex, as
/// `handoff genesis` prints it), joins it: the app switches to light mode at once.
#[tauri::command]
pub async fn set_network(app: AppHandle, peers: Vec<String>, genesis: Option<String>) -> Res {
    blocking(app, move |n| n.set_network(&peers, genesis.as_deref())).await
}

/// A QR code for pairing another device with this organization: `{text, svg}`.
#[tauri::command]
pub async fn pair_qr(app: AppHandle) -> Res {
    blocking(app, pair_qr_of).await
}

/// The pairing code of the acting identity (see [`pair_qr`]).
pub fn pair_qr_of(node: &AppNode) -> Res {
    let st = status_of(node)?;
    let text = format!(
        "handoff:pair?org={}&chain={}",
        st["identity"]["org"].as_str().unwrap_or_default(),
        st["chain_id"].as_str().unwrap_or_default()
    );
    let svg = handoff_node::qr::encode_svg(&text).map_err(|e| ApiError::new(e.code, e.message))?;
    Ok(json!({"text": text, "svg": svg}))
}

/// Backs up the chain and the identities into `<data>/backups/<time>/`: `{path, height}`.
#[tauri::command]
pub async fn backup(app: AppHandle) -> Res {
    blocking(app, |n| n.backup()).await
}
