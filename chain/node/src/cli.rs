//! The `handoff` command line (contract: PRODUCT.md §7). Every command that changes the
//! ledger returns once its transaction is committed, or with the rule that rejected it.
//! Exit codes: 0 done; 2 bad input; 3 rejected by a ledger rule; 1 anything else.

use crate::identity;
use crate::label;
use crate::ledger::{Ledger, Receipt, Sequencer, first_rejection, now_ms};
use crate::view;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use handoff_core::block::Genesis;
use handoff_core::gs1::{self, Gs1Key, Scan};
use handoff_core::query;
use handoff_core::rejection::Rejection;
use handoff_core::state::{ReadError, Record, StateKey, StateReadExt};
use handoff_core::tx::*;
use handoff_core::types::{Hash32, PublicKey, Role, scope};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// What went wrong, and which exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: usage, malformed scan, unreadable file (exit 2).
    Input {
        /// Stable code.
        code: String,
        /// Message.
        message: String,
    },
    /// Rejected by a ledger rule (exit 3).
    Rejected(Rejection),
    /// Anything else (exit 1).
    Other(anyhow::Error),
    /// Anything else, with the code a node answered for a forwarded command (exit 1), so
    /// `STORE_FAULT` or `PROOF_INVALID` reach the caller as they were.
    Failed {
        /// Stable code.
        code: String,
        /// Message.
        message: String,
    },
}

impl CliError {
    /// Bad input.
    pub fn input(code: &str, message: impl Into<String>) -> CliError {
        CliError::Input {
            code: code.to_string(),
            message: message.into(),
        }
    }
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input { .. } => 2,
            CliError::Rejected(_) => 3,
            CliError::Other(_) | CliError::Failed { .. } => 1,
        }
    }
    /// `(code, message)`.
    pub fn parts(&self) -> (String, String) {
        match self {
            CliError::Input { code, message } | CliError::Failed { code, message } => {
                (code.clone(), message.clone())
            }
            CliError::Rejected(r) => (r.code.as_str().to_string(), r.message.clone()),
            // A record that could not be read or verified: its own code (STORE_FAULT,
            // PROOF_INVALID…), never "not found".
            CliError::Other(e)
                if let Some(r) = e.chain().find_map(|c| c.downcast_ref::<ReadError>()) =>
            {
                (r.code().to_string(), format!("{e:#}"))
            }
            CliError::Other(e) if e.chain().any(|c| c.is::<handoff_store::StoreError>()) => {
                ("STORAGE".to_string(), format!("{e:#}"))
            }
            CliError::Other(e) => ("ERROR".to_string(), format!("{e:#}")),
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Other(e)
    }
}
impl From<ReadError> for CliError {
    fn from(e: ReadError) -> Self {
        CliError::Other(e.into())
    }
}
impl From<crate::ledger::SignError> for CliError {
    fn from(e: crate::ledger::SignError) -> Self {
        match e {
            crate::ledger::SignError::Rejected(r) => CliError::Rejected(r),
            crate::ledger::SignError::Read(e) => e.into(),
        }
    }
}
impl From<handoff_store::light::LightStoreError> for CliError {
    fn from(e: handoff_store::light::LightStoreError) -> Self {
        CliError::Other(e.into())
    }
}
impl From<handoff_store::StoreError> for CliError {
    fn from(e: handoff_store::StoreError) -> Self {
        CliError::Other(e.into())
    }
}

type R<T> = Result<T, CliError>;

/// Handoff: record and trace supply-chain handoffs on a shared, signed ledger.
#[derive(Parser, Debug)]
#[command(name = "handoff", version, about, disable_help_subcommand = true)]
pub struct Cli {
    /// The node's data folder (default: the OS data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Which local identity signs (name or key prefix; default: the folder's first).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_: Option<String>,
    /// Machine-readable output on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Run the command on the node whose HTTP gateway is at this URL
    /// (`http://HOST:PORT`); a node running on the data folder is used without it.
    #[arg(long, global = true, value_name = "URL")]
    pub node: Option<String>,
    /// The gateway's token (its `node.json`), with `--node`.
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

impl Cli {
    /// Parses a command line (program name first); a usage error is bad input (`USAGE`).
    pub fn from_args(args: &[&str]) -> R<Cli> {
        Cli::try_parse_from(args)
            .map_err(|e| CliError::input("USAGE", e.to_string().trim().to_string()))
    }
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// New data folder: identity + single-validator chain.
    Init(InitArgs),
    /// Organizations.
    #[command(subcommand)]
    Org(OrgCmd),
    /// A demo chain: farm → exporter → roaster → warehouse → retailer.
    Demo(crate::demo::DemoArgs),
    /// GS1 identifiers.
    #[command(subcommand)]
    Id(IdCmd),
    /// Products.
    #[command(subcommand)]
    Product(ProductCmd),
    /// Items, lots and containers.
    #[command(subcommand)]
    Item(ItemCmd),
    /// Handoffs between organizations.
    #[command(subcommand)]
    Handoff(HandoffCmd),
    /// Is this item genuine? Verdict with reasons.
    Verify {
        /// The scanned code.
        scan: String,
    },
    /// QR codes.
    #[command(subcommand)]
    Qr(QrCmd),
    /// Printable labels: QR code (GS1 Digital Link) and human-readable text.
    Label {
        /// The codes to print (any accepted scan form).
        #[arg(required = true)]
        scans: Vec<String>,
        /// svg, png (300 dpi) or pdf.
        #[arg(long, default_value = "pdf")]
        format: String,
        /// 50x30 or 100x50 (mm, one label) or a4 (sheet of 3 × 8 labels).
        #[arg(long, default_value = "50x30")]
        size: String,
        /// Product name printed above the code.
        #[arg(long)]
        title: Option<String>,
        /// Output file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Digital Link host.
        #[arg(long, default_value = "https://id.gs1.org")]
        base: String,
    },
    /// The validator set: show it, approve a change, submit a change.
    #[command(subcommand)]
    Validators(crate::govern::ValidatorsCmd),
    /// Chain status.
    Status,
    /// Commits handoffs until stopped, printing `ACK <tx id>` once each is durable (for
    /// crash testing the store).
    #[command(hide = true)]
    Load {
        /// Items per handoff.
        #[arg(long, default_value_t = 10)]
        items: u64,
        /// Stop after this many rounds (default: run until killed).
        #[arg(long)]
        rounds: Option<u64>,
    },
    /// Benchmarks (JSON figures).
    #[command(subcommand)]
    Bench(crate::bench::BenchCmd),
    /// Run this folder's node on the network.
    #[cfg(feature = "p2p")]
    #[command(subcommand)]
    Node(crate::noderun::NodeCmd),
    /// Data folders for a local network of several validators sharing one genesis.
    #[cfg(feature = "p2p")]
    Testnet(crate::noderun::TestnetArgs),
    /// This chain's genesis (hex of its encoding) and chain id, to start a light node.
    Genesis,
    /// The light node: certified headers, verified reads, an outbox of signed scans.
    #[cfg(feature = "p2p")]
    #[command(subcommand)]
    Light(crate::light::LightCmd),
}

#[derive(Args, Debug)]
struct InitArgs {
    /// The org's display name.
    #[arg(long)]
    org: String,
    /// GS1 company prefix (repeatable).
    #[arg(long = "prefix")]
    prefixes: Vec<String>,
    /// Role (repeatable); default: every trading role plus registrar.
    #[arg(long = "role")]
    roles: Vec<String>,
    /// Location number (repeatable).
    #[arg(long = "gln")]
    glns: Vec<String>,
}

#[derive(Subcommand, Debug)]
enum OrgCmd {
    /// New local identity, admitted by the registrar.
    Add {
        /// Display name.
        name: String,
        /// GS1 company prefix (repeatable).
        #[arg(long = "prefix")]
        prefixes: Vec<String>,
        /// Role (repeatable); default: producer, manufacturer, warehouse, carrier, distributor, retailer.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Location number (repeatable).
        #[arg(long = "gln")]
        glns: Vec<String>,
    },
    /// Every org on the chain.
    List,
    /// The next nonce of the signing identity (what its next transaction must carry).
    Nonce,
    /// An org's transactions, newest first (default: the signing identity's org).
    Log {
        /// Org name or key prefix.
        org: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Authorize a device key to sign for the org.
    AuthorizeDevice {
        /// The device's public key (hex).
        key: String,
        /// Label.
        #[arg(long, default_value = "device")]
        label: String,
        /// Scopes (repeatable): commission, handoff, pack, observe, sell, products, report, transform; default all.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Revoke a device key.
    RevokeDevice {
        /// The device's public key (hex).
        key: String,
        /// Why.
        #[arg(long, default_value = "revoked")]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
enum IdCmd {
    /// Parse a scan into its GS1 key and canonical form.
    Parse {
        /// The scanned text.
        scan: String,
    },
}

#[derive(Subcommand, Debug)]
enum ProductCmd {
    /// Define a product under your company prefix.
    Define {
        /// GTIN (8, 12, 13 or 14 digits).
        #[arg(long)]
        gtin: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Attribute `key=value` (repeatable).
        #[arg(long = "attr")]
        attrs: Vec<String>,
    },
    /// Let another org commission items of your product.
    License {
        /// GTIN.
        #[arg(long)]
        gtin: String,
        /// The licensee org.
        #[arg(long)]
        to: String,
    },
    /// Recall a product, a lot, or items.
    Recall {
        /// GTIN.
        #[arg(long)]
        gtin: String,
        /// Only this lot.
        #[arg(long)]
        lot: Option<String>,
        /// Only these items (scans, repeatable).
        #[arg(long = "item")]
        items: Vec<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Show a product.
    Show {
        /// GTIN.
        gtin: String,
    },
}

#[derive(Subcommand, Debug)]
enum ItemCmd {
    /// New items or lots (`--lot L --qty N` with a GTIN makes a lot).
    Commission {
        /// Scans of the items (serials), or of the GTIN with --lot.
        #[arg(required = true)]
        scans: Vec<String>,
        /// Lot: with a GTIN scan, commissions that lot; with serials, the lot they belong to.
        #[arg(long)]
        lot: Option<String>,
        /// Quantity of a lot.
        #[arg(long)]
        qty: Option<u64>,
        /// Where (GLN).
        #[arg(long)]
        at: Option<String>,
        /// Expiry date YYMMDD.
        #[arg(long)]
        expiry: Option<String>,
        /// Claim PIN (same for every item of this command; print it under a scratch-off).
        #[arg(long)]
        pin: Option<String>,
    },
    /// Pack items into a container.
    Pack {
        /// The container (SSCC).
        #[arg(long)]
        into: String,
        /// What goes in.
        #[arg(required = true)]
        scans: Vec<String>,
    },
    /// Unpack a container (everything, or the items named).
    Unpack {
        /// The container (SSCC).
        container: String,
        /// Only these.
        scans: Vec<String>,
    },
    /// Current record.
    Show {
        /// The scan.
        scan: String,
        /// Also prove the record against the latest block header's state root (Merkle
        /// proof, verified here the way a light node verifies it).
        #[arg(long)]
        proof: bool,
    },
    /// Full history, including containers it travelled in and inputs it was made from.
    History {
        /// The scan.
        scan: String,
    },
    /// Record an observation (inspection, storage, temperature…).
    Observe {
        /// What.
        #[arg(required = true)]
        scans: Vec<String>,
        /// Kind.
        #[arg(long)]
        kind: String,
        /// Reading `name=value` (repeatable).
        #[arg(long = "reading")]
        readings: Vec<String>,
        /// Where (GLN).
        #[arg(long)]
        at: Option<String>,
    },
    /// Consume inputs into new outputs.
    Transform {
        /// Inputs (repeatable).
        #[arg(long = "input", required = true)]
        inputs: Vec<String>,
        /// Outputs (repeatable).
        #[arg(long = "output", required = true)]
        outputs: Vec<String>,
        /// Where (GLN).
        #[arg(long)]
        at: Option<String>,
    },
    /// Sold to a consumer (retailers).
    Sell {
        /// What.
        #[arg(required = true)]
        scans: Vec<String>,
    },
    /// A consumer claims a purchased item with its PIN (signed by a fresh consumer key).
    Claim {
        /// The item.
        scan: String,
        /// The PIN.
        #[arg(long)]
        pin: String,
    },
    /// Report items stolen.
    Stolen {
        /// What.
        #[arg(required = true)]
        scans: Vec<String>,
        /// Details.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Destroy items (their ids are never reused).
    Decommission {
        /// What.
        #[arg(required = true)]
        scans: Vec<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Correct an earlier event of yours (append-only).
    Correct {
        /// The event's transaction id.
        tx: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Replacement `field=value` (repeatable).
        #[arg(long = "field")]
        fields: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum HandoffCmd {
    /// Offer items to another org (custody; with --ownership, custody and ownership).
    Propose {
        /// Recipient org (name or key).
        #[arg(long)]
        to: String,
        /// What (items, containers, lots with a quantity).
        #[arg(required = true)]
        scans: Vec<String>,
        /// Transfer ownership as well as custody.
        #[arg(long, conflicts_with = "ownership_only")]
        ownership: bool,
        /// Transfer ownership only; the goods stay where they are.
        #[arg(long)]
        ownership_only: bool,
        /// Quantity for lot scans that carry none.
        #[arg(long)]
        qty: Option<u64>,
        /// Ship-from GLN.
        #[arg(long)]
        ship_from: Option<String>,
        /// Ship-to GLN.
        #[arg(long)]
        ship_to: Option<String>,
        /// Document `kind=number` (repeatable), e.g. po=4711.
        #[arg(long = "doc")]
        docs: Vec<String>,
        /// The offer lapses after this many blocks.
        #[arg(long)]
        expires_in: Option<u64>,
    },
    /// Accept an offer, listing what is missing or damaged.
    Accept {
        /// Handoff id (hex, or a unique prefix).
        id: String,
        /// Did not arrive (repeatable).
        #[arg(long = "missing")]
        missing: Vec<String>,
        /// Arrived damaged (repeatable).
        #[arg(long = "damaged")]
        damaged: Vec<String>,
    },
    /// Refuse an offer.
    Reject {
        /// Handoff id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Withdraw your offer.
    Cancel {
        /// Handoff id.
        id: String,
    },
    /// Open handoffs to and from you.
    Inbox,
    /// One handoff.
    Show {
        /// Handoff id.
        id: String,
    },
}

#[derive(Subcommand, Debug)]
enum QrCmd {
    /// Write a QR code (GS1 Digital Link) as PNG or SVG.
    Encode {
        /// The scan (any accepted form; encoded as a Digital Link URI).
        scan: String,
        /// Output file (.png or .svg).
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Digital Link host.
        #[arg(long, default_value = "https://id.gs1.org")]
        base: String,
    },
    /// Read QR codes from an image.
    Decode {
        /// The image.
        image: PathBuf,
    },
}

/// The default data folder.
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("org", "Handoff", "handoff")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".handoff"))
}

/// Parses a scan; malformed input is a bad-input error naming the problem.
pub fn scan(s: &str) -> R<Scan> {
    gs1::parse_scan(s)
        .map_err(|e| CliError::input(e.code.as_str(), format!("'{}': {}", s.trim(), e.message)))
}

pub(crate) fn entry(s: &str, default_qty: Option<u64>) -> R<Entry> {
    let sc = scan(s)?;
    match sc.key {
        Gs1Key::Serial { .. } | Gs1Key::Sscc { .. } => Ok(Entry::item(sc.key)),
        Gs1Key::Lot { .. } => {
            let q = sc.quantity.or(default_qty).ok_or_else(|| {
                CliError::input(
                    "QTY_REQUIRED",
                    format!("'{s}' is a lot: give a quantity (AI 30 in the scan, or --qty)"),
                )
            })?;
            Ok(Entry::lot(sc.key, q))
        }
        k => Err(CliError::input(
            "NOT_AN_ITEM",
            format!(
                "'{s}' names {}, not an item, lot or container",
                k.canonical()
            ),
        )),
    }
}

/// What a commissioning records about its items beyond their keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ScanFields {
    /// The lot the serialized items belong to (AI 10).
    pub lot: Option<String>,
    /// Expiry YYMMDD (AI 17).
    pub expiry: Option<String>,
    /// Every other AI of the label, named by its AI number (`"15"`, `"3103"`…).
    pub attributes: Vec<Attr>,
}

/// What one scan says about the item or lot it commissions, beyond its key: a serialized
/// item's lot (AI 10) and expiry (AI 17) go to their own fields, every other AI is kept as
/// an attribute; a lot's count (AI 30/37) is its quantity and is not repeated.
pub(crate) fn scan_fields(sc: &Scan) -> ScanFields {
    let serial = matches!(sc.key, Gs1Key::Serial { .. });
    ScanFields {
        lot: if serial { sc.lot.clone() } else { None },
        expiry: sc.expiry.clone(),
        attributes: sc
            .attributes
            .iter()
            .filter(|(ai, _)| match ai.as_str() {
                "10" | "17" => false,
                "30" | "37" => serial,
                _ => true,
            })
            .cloned()
            .collect(),
    }
}

/// The fields of one `Commission` from its scans and the `--lot`/`--expiry` options. One
/// transaction carries one lot, expiry and attribute list for all its items, so scans
/// that say different things (or contradict an option) are refused rather than recorded
/// wrongly: commission them in separate commands.
pub(crate) fn commission_fields(
    scans: &[(&str, Scan)],
    lot: Option<String>,
    expiry: Option<String>,
) -> R<ScanFields> {
    let conflict = |what: &str, a: (&str, String), b: (&str, String)| {
        CliError::input(
            "SCAN_CONFLICT",
            format!(
                "{what}: '{}' says {}, '{}' says {}; commission them in separate commands",
                a.0, a.1, b.0, b.1
            ),
        )
    };
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    let listed = |a: &[Attr]| {
        let l: Vec<String> = a.iter().map(|(k, v)| format!("({k}){v}")).collect();
        if l.is_empty() {
            "nothing more".to_string()
        } else {
            l.join("")
        }
    };
    // (scan, its lot) of the first serialized item; (scan, its fields) of the first scan.
    let mut serial_lot: Option<(&str, Option<String>)> = None;
    let mut first: Option<(&str, ScanFields)> = None;
    for (text, sc) in scans {
        let f = scan_fields(sc);
        if matches!(sc.key, Gs1Key::Serial { .. }) {
            match &serial_lot {
                None => serial_lot = Some((text, f.lot.clone())),
                Some((t0, l0)) if *l0 != f.lot => {
                    return Err(conflict(
                        "the items' lots (AI 10) differ",
                        (t0, shown(l0)),
                        (text, shown(&f.lot)),
                    ));
                }
                Some(_) => {}
            }
        }
        let Some((t0, f0)) = &first else {
            first = Some((text, f));
            continue;
        };
        if f.expiry != f0.expiry {
            return Err(conflict(
                "the expiry dates (AI 17) differ",
                (t0, shown(&f0.expiry)),
                (text, shown(&f.expiry)),
            ));
        }
        if f.attributes != f0.attributes {
            return Err(conflict(
                "the labels carry different attributes",
                (t0, listed(&f0.attributes)),
                (text, listed(&f.attributes)),
            ));
        }
    }
    let mut fields = first.map(|(_, f)| f).unwrap_or_default();
    // `--lot` names the serialized items' lot only when there are any (with a GTIN scan
    // it names the lot being commissioned, which is the entry's key).
    let has_serials = serial_lot.is_some();
    fields.lot = serial_lot.and_then(|(_, l)| l);
    for (what, from_scans, option, flag) in [
        ("lot", &mut fields.lot, lot.filter(|_| has_serials), "--lot"),
        ("expiry", &mut fields.expiry, expiry, "--expiry"),
    ] {
        match (&*from_scans, option) {
            (Some(s), Some(o)) if *s != o => {
                return Err(CliError::input(
                    "SCAN_CONFLICT",
                    format!("{flag} {o} contradicts the {what} {s} on the scanned labels"),
                ));
            }
            (None, Some(o)) => *from_scans = Some(o),
            _ => {}
        }
    }
    Ok(fields)
}

pub(crate) fn entries(scans: &[String], default_qty: Option<u64>) -> R<Vec<Entry>> {
    scans.iter().map(|s| entry(s, default_qty)).collect()
}

fn kv(s: &str, what: &str) -> R<(String, String)> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| {
            CliError::input(
                "BAD_ARGUMENT",
                format!("{what} '{s}' must look like name=value"),
            )
        })
}

pub(crate) fn roles(names: &[String], default: &[Role]) -> R<Vec<Role>> {
    if names.is_empty() {
        return Ok(default.to_vec());
    }
    names
        .iter()
        .map(|n| {
            Role::parse(n).ok_or_else(|| CliError::input("BAD_ROLE", format!("unknown role '{n}'")))
        })
        .collect()
}

pub(crate) const TRADING_ROLES: [Role; 6] = [
    Role::Producer,
    Role::Manufacturer,
    Role::Warehouse,
    Role::Carrier,
    Role::Distributor,
    Role::Retailer,
];

/// Resolves an org argument: its name, its key in hex, or a unique prefix of the key.
pub fn resolve_org(ledger: &Ledger, s: &str) -> R<PublicKey> {
    let s = s.trim();
    if let Some(Record::Claimed(k)) = handoff_core::state::StateRead::read(
        &ledger.store,
        &handoff_core::state::StateKey::OrgName(s.to_lowercase()),
    )? {
        return Ok(k);
    }
    let lower = s.to_lowercase();
    if lower.len() >= 4 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        let found: Vec<PublicKey> = ledger
            .store
            .org_keys()?
            .into_iter()
            .filter(|k| k.to_hex().starts_with(&lower))
            .collect();
        match found.len() {
            1 => return Ok(found[0]),
            0 => {}
            _ => {
                return Err(CliError::input(
                    "AMBIGUOUS_ORG",
                    format!("'{s}' matches {} orgs", found.len()),
                ));
            }
        }
    }
    Err(CliError::input(
        "UNKNOWN_ORG",
        format!("no org named or keyed '{s}'"),
    ))
}

fn resolve_handoff(ledger: &Ledger, me: &PublicKey, s: &str) -> R<Hash32> {
    let s = s.trim().to_lowercase();
    if let Some(h) = Hash32::from_hex(&s) {
        return Ok(h);
    }
    if s.len() >= 4 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut found: Vec<Hash32> = ledger.store.open_handoffs(me, false)?;
        found.extend(ledger.store.open_handoffs(me, true)?);
        found.retain(|h| h.to_hex().starts_with(&s));
        found.sort();
        found.dedup();
        if found.len() == 1 {
            return Ok(found[0]);
        }
    }
    Err(CliError::input(
        "BAD_HANDOFF_ID",
        format!(
            "'{s}' is not a handoff id (64 hex digits, or a unique prefix of one of your open handoffs)"
        ),
    ))
}

/// What a command printed: JSON for `--json`, text otherwise.
#[derive(Debug)]
pub struct Output {
    /// Machine-readable.
    pub json: Value,
    /// For people.
    pub text: String,
}

fn out(json: Value, text: impl Into<String>) -> R<Output> {
    Ok(Output {
        json,
        text: text.into(),
    })
}

/// Commits transactions, mapping the first rejection to exit 3.
fn commit(ledger: &Ledger, txs: Vec<SignedTx>) -> R<Vec<Receipt>> {
    let receipts = ledger.submit(txs)?;
    if let Some(r) = first_rejection(&receipts) {
        return Err(CliError::Rejected(r.clone()));
    }
    Ok(receipts)
}

fn commit_one(ledger: &Ledger, signer: &identity::Identity, payload: Payload) -> R<Receipt> {
    let tx = ledger.sign(&signer.key, payload)?;
    let mut r = commit(ledger, vec![tx])?;
    r.pop()
        .ok_or_else(|| CliError::Other(anyhow::anyhow!("no receipt")))
}

fn receipt_json(r: &Receipt) -> Value {
    json!({"tx": r.tx.to_hex(), "height": r.height})
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> R<Output> {
    let data = cli.data.clone().unwrap_or_else(default_data_dir);
    let me = cli.as_.as_deref();
    let cmd = match standalone(cli.cmd)? {
        Ok(done) => return Ok(done),
        Err(cmd) => cmd,
    };
    #[cfg(feature = "p2p")]
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A light folder has no ledger: its commands run on its light store (or its daemon).
    #[cfg(feature = "p2p")]
    let cmd = match cmd {
        Cmd::Light(l) => return crate::light::run(&data, me, l, &args),
        cmd => cmd,
    };
    #[cfg(feature = "p2p")]
    if let Some(url) = &cli.node {
        if matches!(
            cmd,
            Cmd::Init(_) | Cmd::Demo(_) | Cmd::Bench(_) | Cmd::Node(_) | Cmd::Testnet(_)
        ) {
            return Err(CliError::input(
                "USAGE",
                "init, demo, bench, node and testnet run on this machine, not with --node",
            ));
        }
        let token = cli.token.clone().unwrap_or_default();
        return crate::gateway::forward(url, &token, &args)?;
    }
    match cmd {
        Cmd::Init(a) => init(&data, a),
        Cmd::Demo(a) => crate::demo::run(&data, a).map_err(CliError::from),
        Cmd::Bench(b) => crate::bench::run(b).map_err(CliError::from),
        #[cfg(feature = "p2p")]
        Cmd::Node(n) => crate::noderun::run(&data, n),
        #[cfg(feature = "p2p")]
        Cmd::Testnet(a) => crate::noderun::testnet(&data, a),
        cmd => {
            // A node running on the folder holds it: the command runs there.
            #[cfg(feature = "p2p")]
            if let Some(done) = crate::gateway::forward_local(&data, &args) {
                return done;
            }
            let ledger = Ledger::open(&data)?;
            with_ledger(&ledger, &data, me, cmd)
        }
    }
}

/// Runs one command line (without the program name) against a ledger that is already
/// open on `data`. The desktop app holds its ledger open for its whole life (sled allows
/// one opener per folder) and reaches the ledger through the same commands, with the
/// same rules, codes and JSON, as a user at the command line. `--data` in `args` is
/// ignored; `init`, `demo` and `bench` need the folder to themselves and are refused.
pub fn run_on(ledger: &Ledger, data: &Path, args: &[&str]) -> R<Output> {
    let full: Vec<&str> = std::iter::once("handoff")
        .chain(args.iter().copied())
        .collect();
    let cli = Cli::from_args(&full)?;
    let me = cli.as_.as_deref();
    match standalone(cli.cmd)? {
        Ok(done) => Ok(done),
        Err(Cmd::Init(_) | Cmd::Demo(_) | Cmd::Bench(_)) => Err(CliError::input(
            "USAGE",
            "init, demo and bench need the data folder to themselves",
        )),
        #[cfg(feature = "p2p")]
        Err(Cmd::Node(_) | Cmd::Testnet(_) | Cmd::Light(_)) => Err(CliError::input(
            "USAGE",
            "a node is already running on this data folder",
        )),
        Err(cmd) => with_ledger(ledger, data, me, cmd),
    }
}

/// Commands that need no data folder (`id parse`, `qr`); any other command is handed back.
fn standalone(cmd: Cmd) -> R<std::result::Result<Output, Cmd>> {
    let done = match cmd {
        Cmd::Id(IdCmd::Parse { scan: s }) => {
            let sc = scan(&s)?;
            let v = view::scan_json(&sc);
            out(v, view::scan_text(&sc))
        }
        Cmd::Qr(QrCmd::Encode {
            scan: s,
            output,
            base,
        }) => {
            let sc = scan(&s)?;
            let uri = sc.key.digital_link(&base);
            crate::qr::encode_to_file(&uri, &output).map_err(qr_err)?;
            out(
                json!({"uri": uri, "file": output.display().to_string()}),
                format!("wrote {}", output.display()),
            )
        }
        Cmd::Qr(QrCmd::Decode { image }) => {
            let codes = crate::qr::decode_file(&image).map_err(qr_err)?;
            let parsed: Vec<Value> = codes
                .iter()
                .map(|c| match gs1::parse_scan(c) {
                    Ok(sc) => json!({"text": c, "canonical": sc.key.canonical()}),
                    Err(e) => {
                        json!({"text": c, "error": {"code": e.code.as_str(), "message": e.message}})
                    }
                })
                .collect();
            out(json!({"codes": parsed}), codes.join("\n"))
        }
        Cmd::Label {
            scans,
            format,
            size,
            title,
            output,
            base,
        } => {
            let f = label::Format::parse(&format).map_err(label_err)?;
            let z = label::Size::parse(&size).map_err(label_err)?;
            let labels: Vec<(String, Option<String>)> =
                scans.iter().map(|s| (s.clone(), title.clone())).collect();
            let bytes = label::render(&labels, f, z, &base).map_err(label_err)?;
            std::fs::write(&output, &bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            out(
                json!({"file": output.display().to_string(), "labels": labels.len(),
                       "format": format, "size": size, "bytes": bytes.len()}),
                format!("wrote {} ({} labels)", output.display(), labels.len()),
            )
        }
        cmd => return Ok(Err(cmd)),
    };
    done.map(Ok)
}

fn label_err(e: label::LabelError) -> CliError {
    match e.code {
        "LABEL_RENDER_FAILED" | "LABEL_QR_FAILED" => {
            CliError::Other(anyhow::anyhow!("{}", e.message))
        }
        c => CliError::input(c, e.message),
    }
}

fn qr_err(e: crate::qr::QrError) -> CliError {
    match e.code {
        "QR_WRITE_FAILED" => CliError::Other(anyhow::anyhow!("{}", e.message)),
        c => CliError::input(c, e.message),
    }
}

fn init(data: &Path, a: InitArgs) -> R<Output> {
    if data.join("chain").exists() {
        return Err(CliError::input(
            "ALREADY_INITIALIZED",
            format!("{} already holds a chain", data.display()),
        ));
    }
    let mut rs = roles(&a.roles, &TRADING_ROLES)?;
    if !rs.contains(&Role::Registrar) {
        rs.push(Role::Registrar);
    }
    for p in &a.prefixes {
        if !gs1::valid_company_prefix(p) {
            return Err(CliError::input(
                "BAD_PREFIX",
                format!("'{p}' is not a GS1 company prefix (6–12 digits)"),
            ));
        }
    }
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let org = identity::generate()?;
    let validator = identity::generate()?;
    let now = now_ms();
    let genesis = Genesis {
        name: format!("{} local chain", a.org.trim()),
        time_ms: now,
        validators: vec![validator.public()],
        orgs: vec![AdmitOrg {
            org: org.public(),
            name: a.org.trim().to_string(),
            prefixes: a.prefixes,
            glns: a.glns,
            roles: rs,
        }],
    };
    identity::save(data, &a.org, &org, now)?;
    identity::save_validator(data, &validator, now)?;
    let ledger = Ledger::create(data, &genesis, validator)?;
    out(
        json!({"org": org.public().to_hex(), "name": a.org, "chain_id": ledger.chain_id().to_hex(), "data": data.display().to_string()}),
        format!(
            "created {} with org {} ({})",
            data.display(),
            a.org,
            org.public().short()
        ),
    )
}

fn registrar(ledger: &Ledger, data: &Path, me: Option<&str>) -> R<identity::Identity> {
    if me.is_some() {
        return identity::select(data, me)
            .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")));
    }
    for id in identity::list(data)? {
        if ledger
            .store
            .org(&id.key.public())?
            .is_some_and(|o| o.has_role(Role::Registrar))
        {
            return Ok(id);
        }
    }
    Err(CliError::Other(anyhow::anyhow!(
        "no local identity is a registrar; use --as"
    )))
}

fn with_ledger(ledger: &Ledger, data: &Path, me: Option<&str>, cmd: Cmd) -> R<Output> {
    let signer = || -> R<identity::Identity> {
        identity::select(data, me)
            .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))
    };
    match cmd {
        Cmd::Org(OrgCmd::Add {
            name,
            prefixes,
            roles: rnames,
            glns,
        }) => {
            let reg = registrar(ledger, data, me)?;
            let key = identity::generate()?;
            let payload = Payload::AdmitOrg(AdmitOrg {
                org: key.public(),
                name: name.trim().to_string(),
                prefixes,
                glns,
                roles: roles(&rnames, &TRADING_ROLES)?,
            });
            // The key is saved (durably) before the org is committed: an org on the chain
            // whose key was lost could never sign. If the chain refuses the org, the key is
            // taken back; if the outcome is unknown, it is kept, marked, for the user.
            let path = identity::save(data, &name, &key, now_ms())?;
            let r = match commit_one(ledger, &reg, payload) {
                Ok(r) => r,
                Err(e @ (CliError::Rejected(_) | CliError::Input { .. })) => {
                    identity::remove_key(&path)?;
                    return Err(e);
                }
                // Not refused, but not known to be committed either (a store fault keeps
                // its code).
                Err(e @ (CliError::Other(_) | CliError::Failed { .. })) => {
                    let kept = match identity::mark_unconfirmed(&path) {
                        Ok(marked) => format!(
                            "its key is kept in {}: if `handoff org list` shows {name}, rename \
                             that file to {}",
                            marked.display(),
                            path.display()
                        ),
                        Err(_) => format!("its key is kept in {}", path.display()),
                    };
                    let what = format!(
                        "admitting {name} did not finish, so whether it is on the chain is \
                         unknown; {kept}"
                    );
                    return Err(match e {
                        CliError::Other(e) => CliError::Other(e.context(what)),
                        CliError::Failed { code, message } => CliError::Failed {
                            code,
                            message: format!("{what}: {message}"),
                        },
                        e => e,
                    });
                }
            };
            out(
                json!({"org": key.public().to_hex(), "name": name, "tx": r.tx.to_hex(), "height": r.height}),
                format!("admitted {name} ({})", key.public().short()),
            )
        }
        Cmd::Org(OrgCmd::Nonce) => {
            let me = signer()?;
            let next = ledger.store.next_nonce(&me.key.public())?;
            out(
                json!({"org": me.key.public().to_hex(), "name": me.name, "next_nonce": next}),
                format!("{}: next nonce {next}", me.name),
            )
        }
        Cmd::Org(OrgCmd::List) => {
            let mut orgs = Vec::new();
            let mut text = String::new();
            for k in ledger.store.org_keys()? {
                if let Some(o) = ledger.store.org(&k)? {
                    text.push_str(&format!(
                        "{}  {}  {}\n",
                        o.key.short(),
                        o.name,
                        o.roles
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    ));
                    orgs.push(serde_json::to_value(&o).map_err(anyhow::Error::from)?);
                }
            }
            out(json!({"orgs": orgs}), text)
        }
        Cmd::Org(OrgCmd::Log { org, limit }) => {
            let key = match org {
                Some(o) => resolve_org(ledger, &o)?,
                None => signer()?.key.public(),
            };
            let mut rows = Vec::new();
            let mut text = String::new();
            for (loc, id) in ledger.store.org_txs(&key, limit)? {
                let Some(block) = ledger.store.block(loc.height)? else {
                    continue;
                };
                let (Some(wire), Some(outcome)) = (
                    block.txs.get(loc.index as usize),
                    block.outcomes.get(loc.index as usize),
                ) else {
                    continue;
                };
                let kind = SignedTx::decode(wire)
                    .map(|t| t.body.payload.type_name())
                    .unwrap_or("?");
                text.push_str(&format!(
                    "{}  block {}  {:<18} {}\n",
                    id.short(),
                    loc.height,
                    kind,
                    outcome.code.as_deref().unwrap_or("applied")
                ));
                rows.push(json!({"tx": id.to_hex(), "height": loc.height, "type": kind, "rejected": outcome.code}));
            }
            out(json!({"org": key.to_hex(), "transactions": rows}), text)
        }
        Cmd::Org(OrgCmd::AuthorizeDevice { key, label, scopes }) => {
            let device = PublicKey::from_hex(&key)
                .ok_or_else(|| CliError::input("BAD_KEY", "a device key is 64 hex digits"))?;
            let mut bits = 0;
            for s in &scopes {
                bits |= scope::NAMES
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(s))
                    .map(|(_, b)| *b)
                    .ok_or_else(|| CliError::input("BAD_SCOPE", format!("unknown scope '{s}'")))?;
            }
            if bits == 0 {
                bits = scope::ALL;
            }
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::AuthorizeDevice {
                    device,
                    label,
                    scopes: bits,
                    expires_at_ms: None,
                },
            )?;
            out(receipt_json(&r), "device authorized")
        }
        Cmd::Org(OrgCmd::RevokeDevice { key, reason }) => {
            let device = PublicKey::from_hex(&key)
                .ok_or_else(|| CliError::input("BAD_KEY", "a device key is 64 hex digits"))?;
            let r = commit_one(ledger, &signer()?, Payload::RevokeDevice { device, reason })?;
            out(receipt_json(&r), "device revoked")
        }
        Cmd::Product(ProductCmd::Define {
            gtin,
            name,
            description,
            attrs,
        }) => {
            let gtin14 = gs1::normalize_gtin(&gtin)
                .map_err(|e| CliError::input(e.code.as_str(), e.message))?;
            let attributes = attrs
                .iter()
                .map(|a| kv(a, "attribute"))
                .collect::<R<Vec<_>>>()?;
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::DefineProduct {
                    gtin: gtin14.clone(),
                    name: name.clone(),
                    description,
                    attributes,
                    image_hash: None,
                },
            )?;
            let mut j = receipt_json(&r);
            j["gtin"] = json!(gtin14);
            out(j, format!("defined {name} ({gtin14})"))
        }
        Cmd::Product(ProductCmd::License { gtin, to }) => {
            let gtin14 = gs1::normalize_gtin(&gtin)
                .map_err(|e| CliError::input(e.code.as_str(), e.message))?;
            let licensee = resolve_org(ledger, &to)?;
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::LicenseProduct {
                    gtin: gtin14,
                    licensee,
                },
            )?;
            out(receipt_json(&r), "licensed")
        }
        Cmd::Product(ProductCmd::Recall {
            gtin,
            lot,
            items,
            reason,
        }) => {
            let gtin14 = gs1::normalize_gtin(&gtin)
                .map_err(|e| CliError::input(e.code.as_str(), e.message))?;
            let scope_ = match (lot, items.is_empty()) {
                (Some(l), true) => RecallScope::Lot(l),
                (None, true) => RecallScope::Product,
                (None, false) => RecallScope::Items(
                    items
                        .iter()
                        .map(|s| scan(s).map(|x| x.key))
                        .collect::<R<Vec<_>>>()?,
                ),
                (Some(_), false) => {
                    return Err(CliError::input(
                        "BAD_ARGUMENT",
                        "give --lot or --item, not both",
                    ));
                }
            };
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Recall {
                    gtin: gtin14,
                    scope: scope_,
                    reason,
                },
            )?;
            out(receipt_json(&r), "recalled")
        }
        Cmd::Product(ProductCmd::Show { gtin }) => {
            let gtin14 = gs1::normalize_gtin(&gtin)
                .map_err(|e| CliError::input(e.code.as_str(), e.message))?;
            let p = ledger.store.product(&gtin14)?.ok_or_else(|| {
                CliError::input("UNKNOWN_PRODUCT", format!("GTIN {gtin14} is not defined"))
            })?;
            let text = format!(
                "{} ({}) by {}",
                p.name,
                p.gtin,
                view::org_name(&ledger.store, &p.owner)?
            );
            out(
                json!({"product": view::product_json(&ledger.store, &p)?}),
                text,
            )
        }
        Cmd::Item(ItemCmd::Commission {
            scans,
            lot,
            qty,
            at,
            expiry,
            pin,
        }) => {
            let mut list = Vec::new();
            let mut parsed = Vec::new();
            for s in &scans {
                let sc = scan(s)?;
                parsed.push((s.as_str(), sc.clone()));
                let e = match (&sc.key, &lot) {
                    (Gs1Key::Gtin { gtin }, Some(l)) => {
                        let k = Gs1Key::Lot {
                            gtin: gtin.clone(),
                            lot: l.clone(),
                        };
                        k.validate()
                            .map_err(|e| CliError::input(e.code.as_str(), e.message))?;
                        Entry::lot(
                            k,
                            qty.or(sc.quantity).ok_or_else(|| {
                                CliError::input("QTY_REQUIRED", "a lot needs --qty")
                            })?,
                        )
                    }
                    _ => entry(s, qty)?,
                };
                list.push(e);
            }
            // The labels' lot, expiry and other AIs stay with the items (a recall of the
            // lot then reaches its serialized items).
            let fields = commission_fields(&parsed, lot, expiry)?;
            let pin_hashes = match &pin {
                Some(p) => list.iter().map(|e| pin_hash(&e.key, p)).collect(),
                None => Vec::new(),
            };
            let keys: Vec<String> = list.iter().map(|e| e.key.canonical()).collect();
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Commission(Commission {
                    entries: list,
                    pin_hashes,
                    at,
                    lot: fields.lot.clone(),
                    expiry: fields.expiry.clone(),
                    attributes: fields.attributes.clone(),
                }),
            )?;
            let mut j = receipt_json(&r);
            j["items"] = json!(keys);
            if let Some(l) = &fields.lot {
                j["lot"] = json!(l);
            }
            if let Some(x) = &fields.expiry {
                j["expiry"] = json!(x);
            }
            if !fields.attributes.is_empty() {
                j["attributes"] = view::attrs_json(&fields.attributes);
            }
            out(j, format!("commissioned {}", keys.join(" ")))
        }
        Cmd::Item(ItemCmd::Pack { into, scans }) => {
            let container = scan(&into)?.key;
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Pack {
                    container,
                    entries: entries(&scans, None)?,
                },
            )?;
            out(receipt_json(&r), "packed")
        }
        Cmd::Item(ItemCmd::Unpack { container, scans }) => {
            let container = scan(&container)?.key;
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Unpack {
                    container,
                    entries: entries(&scans, None)?,
                },
            )?;
            out(receipt_json(&r), "unpacked")
        }
        Cmd::Item(ItemCmd::Show { scan: s, proof }) => {
            let key = scan(&s)?.key;
            let item = view::thing_json(&ledger.store, &key)?.ok_or_else(|| {
                CliError::input(
                    "UNKNOWN_ITEM",
                    format!("{} was never commissioned", key.canonical()),
                )
            })?;
            let mut text = view::thing_text(&item);
            let mut j = json!({"item": item});
            if proof {
                let header = ledger.store.last_header()?;
                let p = ledger
                    .store
                    .prove(&StateKey::item(&key), Some(header.height))?;
                let verified = p.verify(&header.state_root);
                // The header the proof leads to is itself final: its commit certificate
                // carries more than 2/3 of the validators' signatures.
                let validators = ledger.store.validators_at(header.height)?.validators;
                let certified = ledger.store.block(header.height)?.is_some_and(|b| {
                    header.height == 0 || b.certificate.verify(&header, &validators)
                });
                j["proof"] = json!({
                    "certified": certified,
                    "height": p.height,
                    "state_root": header.state_root.to_hex(),
                    "header_hash": header.hash().to_hex(),
                    "proof_bytes": p.proof.len(),
                    "verified": verified.is_ok(),
                });
                text.push_str(&match verified {
                    Ok(()) => format!(
                        "\nproof: verified against the state root {} of block {}",
                        header.state_root.short(),
                        header.height
                    ),
                    Err(e) => format!("\nproof: FAILED: {e}"),
                });
            }
            out(j, text)
        }
        Cmd::Item(ItemCmd::History { scan: s }) => {
            let key = scan(&s)?.key;
            let item = view::thing_json(&ledger.store, &key)?.ok_or_else(|| {
                CliError::input(
                    "UNKNOWN_ITEM",
                    format!("{} was never commissioned", key.canonical()),
                )
            })?;
            let journey = query::journey(&ledger.store, &ledger.store, &key)?;
            let events: Vec<Value> = journey
                .iter()
                .map(|e| view::event_json(&ledger.store, e))
                .collect::<Result<_, _>>()?;
            let text = events
                .iter()
                .map(view::event_text)
                .collect::<Vec<_>>()
                .join("\n");
            out(
                json!({"item": item, "events": events}),
                format!("{}\n{text}", view::thing_text(&item)),
            )
        }
        Cmd::Item(ItemCmd::Observe {
            scans,
            kind,
            readings,
            at,
        }) => {
            let readings = readings
                .iter()
                .map(|r| kv(r, "reading"))
                .collect::<R<Vec<_>>>()?;
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Observe(Observe {
                    entries: entries(&scans, None)?,
                    at,
                    kind,
                    readings,
                }),
            )?;
            out(receipt_json(&r), "observed")
        }
        Cmd::Item(ItemCmd::Transform {
            inputs,
            outputs,
            at,
        }) => {
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Transform(Transform {
                    inputs: entries(&inputs, None)?,
                    outputs: entries(&outputs, None)?,
                    at,
                    expiry: None,
                    attributes: vec![],
                }),
            )?;
            out(receipt_json(&r), "transformed")
        }
        Cmd::Item(ItemCmd::Sell { scans }) => {
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Sell {
                    entries: entries(&scans, None)?,
                },
            )?;
            out(receipt_json(&r), "sold")
        }
        Cmd::Item(ItemCmd::Claim { scan: s, pin }) => {
            let item = scan(&s)?.key;
            let consumer = identity::Identity {
                name: "consumer".into(),
                key: identity::generate()?,
            };
            let r = commit_one(ledger, &consumer, Payload::Claim { item, pin })?;
            out(receipt_json(&r), "claimed")
        }
        Cmd::Item(ItemCmd::Stolen { scans, note }) => {
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::ReportStolen {
                    entries: entries(&scans, None)?,
                    note,
                },
            )?;
            out(receipt_json(&r), "reported stolen")
        }
        Cmd::Item(ItemCmd::Decommission { scans, reason }) => {
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Decommission {
                    entries: entries(&scans, None)?,
                    reason,
                },
            )?;
            out(receipt_json(&r), "decommissioned")
        }
        Cmd::Item(ItemCmd::Correct { tx, reason, fields }) => {
            let target = Hash32::from_hex(&tx)
                .ok_or_else(|| CliError::input("BAD_TX_ID", "a transaction id is 64 hex digits"))?;
            let fields = fields
                .iter()
                .map(|f| kv(f, "field"))
                .collect::<R<Vec<_>>>()?;
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::Correct {
                    target,
                    reason,
                    fields,
                },
            )?;
            out(receipt_json(&r), "corrected")
        }
        Cmd::Handoff(HandoffCmd::Propose {
            to,
            scans,
            ownership,
            ownership_only,
            qty,
            ship_from,
            ship_to,
            docs,
            expires_in,
        }) => {
            let to = resolve_org(ledger, &to)?;
            let transfer = if ownership_only {
                Transfer::Ownership
            } else if ownership {
                Transfer::Both
            } else {
                Transfer::Custody
            };
            let docs = docs
                .iter()
                .map(|d| kv(d, "document").map(|(kind, id)| DocRef { kind, id }))
                .collect::<R<Vec<_>>>()?;
            let expires_at_height = expires_in.map(|n| ledger.store.height() + 1 + n);
            let r = commit_one(
                ledger,
                &signer()?,
                Payload::ProposeHandoff(ProposeHandoff {
                    to,
                    entries: entries(&scans, qty)?,
                    transfer,
                    ship_from,
                    ship_to,
                    docs,
                    expires_at_height,
                }),
            )?;
            let mut j = receipt_json(&r);
            j["handoff"] = json!(r.tx.to_hex());
            out(j, format!("handoff {} proposed", r.tx.to_hex()))
        }
        Cmd::Handoff(HandoffCmd::Accept {
            id,
            missing,
            damaged,
        }) => {
            let s = signer()?;
            let handoff = resolve_handoff(ledger, &s.key.public(), &id)?;
            let r = commit_one(
                ledger,
                &s,
                Payload::AcceptHandoff(AcceptHandoff {
                    handoff,
                    missing: entries(&missing, None)?,
                    damaged: entries(&damaged, None)?,
                }),
            )?;
            let mut j = receipt_json(&r);
            j["handoff"] = json!(handoff.to_hex());
            out(j, format!("handoff {} accepted", handoff.short()))
        }
        Cmd::Handoff(HandoffCmd::Reject { id, reason }) => {
            let s = signer()?;
            let handoff = resolve_handoff(ledger, &s.key.public(), &id)?;
            let r = commit_one(ledger, &s, Payload::RejectHandoff { handoff, reason })?;
            out(
                receipt_json(&r),
                format!("handoff {} rejected", handoff.short()),
            )
        }
        Cmd::Handoff(HandoffCmd::Cancel { id }) => {
            let s = signer()?;
            let handoff = resolve_handoff(ledger, &s.key.public(), &id)?;
            let r = commit_one(ledger, &s, Payload::CancelHandoff { handoff })?;
            out(
                receipt_json(&r),
                format!("handoff {} cancelled", handoff.short()),
            )
        }
        Cmd::Handoff(HandoffCmd::Inbox) => {
            let s = signer()?;
            let me = s.key.public();
            let list = |outgoing| -> R<Vec<Value>> {
                let mut out = Vec::new();
                for id in ledger.store.open_handoffs(&me, outgoing)? {
                    if let Some(h) = ledger.store.handoff(&id)? {
                        out.push(view::handoff_json(&ledger.store, &h)?);
                    }
                }
                Ok(out)
            };
            let (incoming, outgoing) = (list(false)?, list(true)?);
            let mut text = format!(
                "{}: {} incoming, {} outgoing\n",
                s.name,
                incoming.len(),
                outgoing.len()
            );
            for h in incoming.iter().chain(&outgoing) {
                text.push_str(&view::handoff_text(h));
                text.push('\n');
            }
            out(
                json!({"org": me.to_hex(), "incoming": incoming, "outgoing": outgoing}),
                text,
            )
        }
        Cmd::Handoff(HandoffCmd::Show { id }) => {
            let s = signer()?;
            let hid = resolve_handoff(ledger, &s.key.public(), &id)?;
            let h = ledger.store.handoff(&hid)?.ok_or_else(|| {
                CliError::input("UNKNOWN_HANDOFF", format!("no handoff {}", hid.short()))
            })?;
            let j = view::handoff_json(&ledger.store, &h)?;
            let text = view::handoff_text(&j);
            out(json!({"handoff": j}), text)
        }
        Cmd::Verify { scan: s } => {
            let parsed = gs1::parse_scan(&s);
            // No verdict from a record that cannot be read (STORE_FAULT), never
            // "counterfeit" for an item the store failed to find.
            let report = query::verdict(&ledger.store, &parsed, now_ms())?;
            let mut j = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
            if let Ok(sc) = &parsed {
                j["item"] = json!(sc.key.canonical());
            }
            let text = std::iter::once(format!("{:?}", report.verdict).to_uppercase())
                .chain(
                    report
                        .reasons
                        .iter()
                        .map(|r| format!("  {}: {}", r.code, r.message)),
                )
                .collect::<Vec<_>>()
                .join("\n");
            out(j, text)
        }
        Cmd::Validators(c) => crate::govern::run(ledger, data, me, c),
        Cmd::Load { items, rounds } => load(ledger, data, items, rounds),
        Cmd::Status => {
            let h = ledger.store.last_header()?;
            out(
                json!({"chain_id": ledger.chain_id().to_hex(), "height": h.height, "time_ms": h.time_ms, "state_root": h.state_root.to_hex(), "validator": ledger.validator().to_hex(), "disk_bytes": ledger.store.size_on_disk()}),
                format!("height {} state root {}", h.height, h.state_root.short()),
            )
        }
        Cmd::Genesis => {
            let g = ledger.store.genesis()?;
            let hex = hex::encode(borsh::to_vec(&g).map_err(anyhow::Error::from)?);
            out(
                json!({"genesis": hex, "chain_id": g.chain_id().to_hex()}),
                hex.clone(),
            )
        }
        #[cfg(feature = "p2p")]
        Cmd::Node(_) | Cmd::Testnet(_) | Cmd::Light(_) => Err(CliError::Other(anyhow::anyhow!(
            "handled before opening the ledger"
        ))),
        Cmd::Init(_)
        | Cmd::Demo(_)
        | Cmd::Bench(_)
        | Cmd::Id(_)
        | Cmd::Qr(_)
        | Cmd::Label { .. } => Err(CliError::Other(anyhow::anyhow!(
            "handled before opening the ledger"
        ))),
    }
}

/// One round: commission items, offer them to a second org, which accepts — three
/// transactions in one block. Each acknowledged id is printed (and flushed) only after
/// its block is durable.
fn load(ledger: &Ledger, data: &Path, items: u64, rounds: Option<u64>) -> R<Output> {
    use std::io::Write;
    let me = identity::select(data, None)
        .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))?;
    let peer_name = "Load Peer";
    let peer = match identity::select(data, Some(peer_name)) {
        Ok(p) => p,
        Err(_) => {
            let key = identity::generate()?;
            let payload = Payload::AdmitOrg(AdmitOrg {
                org: key.public(),
                name: peer_name.into(),
                prefixes: vec![],
                glns: vec![],
                roles: TRADING_ROLES.to_vec(),
            });
            commit_one(ledger, &me, payload)?;
            identity::save(data, peer_name, &key, now_ms())?;
            identity::Identity {
                name: peer_name.into(),
                key,
            }
        }
    };
    let org = ledger
        .store
        .org(&me.key.public())?
        .ok_or_else(|| CliError::input("NOT_AN_ORG", "the first identity is not an org"))?;
    let prefix = org
        .prefixes
        .first()
        .cloned()
        .ok_or_else(|| CliError::input("NO_PREFIX", "the first org needs a company prefix"))?;
    let item_ref = format!("{:0>width$}", 7, width = 12 - prefix.len());
    let body = format!("0{prefix}{item_ref}");
    let gtin = format!("{body}{}", gs1::check_digit(&body).unwrap_or(0));
    if ledger.store.product(&gtin)?.is_none() {
        let p = Payload::DefineProduct {
            gtin: gtin.clone(),
            name: "Load item".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        };
        commit_one(ledger, &me, p)?;
    }
    // Rounds are signed ahead (nonces counted here) and committed through the pipelined
    // producer, so a kill can land while one block is being written and the next executed.
    let first = ledger.store.height();
    let (me_key, peer_key) = (
        handoff_core::crypto::Keypair::from_secret(me.key.secret()),
        handoff_core::crypto::Keypair::from_secret(peer.key.secret()),
    );
    let (mut n_me, mut n_peer) = (
        ledger.store.next_nonce(&me.key.public())?,
        ledger.store.next_nonce(&peer.key.public())?,
    );
    let unsigned = std::sync::OnceLock::new();
    let batches = (0u64..)
        .take_while(|r| rounds.is_none_or(|n| *r < n))
        .map_while(|r| {
            let entries: Vec<Entry> = (0..items)
                .map(|i| {
                    Entry::item(Gs1Key::Serial {
                        gtin: gtin.clone(),
                        serial: format!("L{first}-{r}-{i}"),
                    })
                })
                .collect();
            let signed = (|| {
                let c = ledger.sign_with_nonce(
                    &me_key,
                    n_me,
                    Payload::Commission(Commission {
                        entries: entries.clone(),
                        pin_hashes: vec![],
                        at: None,
                        lot: None,
                        expiry: None,
                        attributes: vec![],
                    }),
                )?;
                let p = ledger.sign_with_nonce(
                    &me_key,
                    n_me + 1,
                    Payload::ProposeHandoff(ProposeHandoff {
                        to: peer_key.public(),
                        entries,
                        transfer: Transfer::Both,
                        ship_from: None,
                        ship_to: None,
                        docs: vec![],
                        expires_at_height: None,
                    }),
                )?;
                let a = ledger.sign_with_nonce(
                    &peer_key,
                    n_peer,
                    Payload::AcceptHandoff(AcceptHandoff {
                        handoff: p.id(),
                        missing: vec![],
                        damaged: vec![],
                    }),
                )?;
                Ok::<_, Rejection>(vec![c, p, a])
            })();
            match signed {
                Ok(round) => {
                    n_me += 2;
                    n_peer += 1;
                    Some(round)
                }
                // Signing stops the stream; the refusal is reported once it drained.
                Err(e) => {
                    let _ = unsigned.set(e);
                    None
                }
            }
        });
    let stdout = std::io::stdout();
    let mut round = 0u64;
    let mut failure: Option<String> = None;
    ledger.submit_pipelined(batches, |receipts| {
        let mut out = stdout.lock();
        for r in receipts {
            if let Err(e) = &r.result {
                failure.get_or_insert_with(|| format!("{}: {}", e.code.as_str(), e.message));
            }
            // Printed (and flushed) only now that the block is durable.
            let _ = writeln!(out, "ACK {} {}", r.tx.to_hex(), r.height.unwrap_or(0));
        }
        let _ = out.flush();
        round += 1;
    })?;
    if let Some(e) = unsigned.get() {
        return Err(CliError::Rejected(e.clone()));
    }
    if let Some(f) = failure {
        return Err(CliError::Other(anyhow::anyhow!(
            "load transaction refused: {f}"
        )));
    }
    out(json!({"rounds": round}), format!("{round} rounds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: &str = "09506000134352";

    fn parsed(scans: &[String]) -> Vec<(&str, Scan)> {
        scans
            .iter()
            .map(|s| (s.as_str(), gs1::parse_scan(s).expect("scan")))
            .collect()
    }

    #[test]
    fn a_label_gives_its_item_lot_expiry_and_other_ais() {
        let f = scan_fields(
            &gs1::parse_scan(&format!("(01){G}(10)L1(21)S(17)261231(30)2(11)250101"))
                .expect("scan"),
        );
        assert_eq!(f.lot.as_deref(), Some("L1"));
        assert_eq!(f.expiry.as_deref(), Some("261231"));
        assert_eq!(
            f.attributes,
            vec![("30".into(), "2".into()), ("11".into(), "250101".into())]
        );
        // A lot's count is its quantity, and its lot is its key: neither is repeated.
        let f =
            scan_fields(&gs1::parse_scan(&format!("(01){G}(10)L1(30)12(15)261130")).expect("scan"));
        assert_eq!(f.lot, None);
        assert_eq!(f.attributes, vec![("15".into(), "261130".into())]);
    }

    #[test]
    fn one_commissioning_takes_labels_that_agree_and_refuses_others() {
        let label = |s: &str, lot: &str| format!("(01){G}(10){lot}(21){s}(17)261231");
        let same = [label("A", "L1"), label("B", "L1")];
        let f = commission_fields(&parsed(&same), Some("L1".into()), None).expect("agree");
        assert_eq!(f.lot.as_deref(), Some("L1"));
        assert_eq!(f.expiry.as_deref(), Some("261231"));
        // --lot names the lot of serials whose labels carry none.
        let bare = [format!("(01){G}(21)C")];
        let f = commission_fields(&parsed(&bare), Some("L2".into()), Some("270101".into()))
            .expect("options");
        assert_eq!(
            (f.lot.as_deref(), f.expiry.as_deref()),
            (Some("L2"), Some("270101"))
        );
        for (scans, lot, expiry) in [
            (vec![label("A", "L1"), label("B", "L2")], None, None),
            (
                vec![label("A", "L1"), format!("(01){G}(21)B(17)261231")],
                None,
                None,
            ),
            (
                vec![label("A", "L1"), format!("(01){G}(10)L1(21)B")],
                None,
                None,
            ),
            (
                vec![
                    label("A", "L1"),
                    format!("(01){G}(10)L1(21)B(17)261231(15)261130"),
                ],
                None,
                None,
            ),
            (vec![label("A", "L1")], Some("L2".to_string()), None),
            (vec![label("A", "L1")], None, Some("261230".to_string())),
        ] {
            let e = commission_fields(&parsed(&scans), lot, expiry).expect_err("conflict");
            assert_eq!(e.parts().0, "SCAN_CONFLICT", "{scans:?}");
        }
    }
}
