//! The `handoff` command line (contract: PRODUCT.md §7). Every command that changes the
//! ledger returns once its transaction is committed, or with the rule that rejected it.
//! Exit codes: 0 done; 2 bad input; 3 rejected by a ledger rule; 1 anything else.
//!
//! A command that runs on a ledger is one typed request (`handoff_api`) sent to a
//! `dyn Api`: the folder's `NodeApi` in this process, the node running on the folder, or
//! the node at `--node URL` (both over `handoff_http::Client`); its typed answer is
//! rendered here the same way whichever answered.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use handoff_core::gs1;
use handoff_node::ledger::Caches;
use handoff_node::ledger::Ledger;
use handoff_node::view;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

use handoff_api::{Api, Caller};
use handoff_node::api::{self, NodeApi, scan};
pub use handoff_node::error::{CliError, Output};

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
    /// Send the command to the node whose HTTP API is at this URL (`http://HOST:PORT`);
    /// a node running on the data folder is used without it.
    #[arg(long, global = true, value_name = "URL")]
    pub node: Option<String>,
    /// The node's token, with `--node`: its own (its `node.json`; acts as any identity,
    /// `--as` picks one) or one made for an identity (`handoff node token NAME`; acts as
    /// that identity only).
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
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
        /// The codes to print (any accepted scan form); with --claim-codes and none
        /// given, every item of the codes file (an a4 sheet for a whole commission).
        #[arg(required_unless_present = "claim_codes")]
        scans: Vec<String>,
        /// A claim-codes file from `item commission --claim-codes`: each item's code is
        /// printed as a second QR in a scratch-off box on its label.
        #[arg(long, value_name = "FILE")]
        claim_codes: Option<PathBuf>,
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
    Validators(ValidatorsCmd),
    /// Certifications: auditors certify products, lots, items, orgs and locations.
    #[command(subcommand)]
    Cert(CertCmd),
    /// Documents: register a file by its SHA-256 (the file stays here), check one.
    #[command(subcommand)]
    Doc(DocCmd),
    /// Supply-chain finance: receivables and warehouse receipts over accepted custody,
    /// amounts sealed to the parties and proven to validators without showing them.
    #[command(subcommand)]
    Finance(FinanceCmd),
    /// GS1 EPCIS 2.0 (JSON-LD or XML, told from the content): event hash ids, check,
    /// import as transactions of `--as`, export of the ledger's events.
    #[command(subcommand)]
    Epcis(EpcisCmd),
    /// What your org holds: by product, lots with expiry, locations, containers; arrivals
    /// expected and shipments in transit.
    Stock(StockArgs),
    /// Your org's latest transactions, newest first.
    Activity {
        /// Only since: RFC 3339, a date (2026-12-01), unix ms, or an age (30m, 24h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
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
    Node(handoff_node::noderun::NodeCmd),
    /// Data folders for a local network of several validators sharing one genesis.
    #[cfg(feature = "p2p")]
    Testnet(handoff_node::noderun::TestnetArgs),
    /// This chain's genesis (hex of its encoding) and chain id, to start a light node.
    Genesis,
    /// Join a network with an invitation link (`handoff org invite` on the registrar's
    /// node makes one): a new org key in this new folder, admitted by the registrar, and
    /// a light node that follows the org (`handoff light run`).
    #[cfg(feature = "p2p")]
    Join {
        /// The invitation link (`handoff://join?…`).
        link: String,
    },
    /// The light node: certified headers, verified reads, an outbox of signed scans.
    #[cfg(feature = "p2p")]
    #[command(subcommand)]
    Light(handoff_node::light::LightCmd),
}

#[derive(Args, Debug)]
struct StockArgs {
    /// Only this product (GTIN).
    #[arg(long)]
    product: Option<String>,
    /// Only this lot.
    #[arg(long)]
    lot: Option<String>,
    /// Only at this location (GLN).
    #[arg(long = "at", value_name = "GLN")]
    at: Option<String>,
    /// Only this status: in_stock, in_transit, recalled, missing, damaged.
    #[arg(long)]
    status: Option<String>,
    /// Only what expires within this many days (expired included).
    #[arg(long, value_name = "DAYS")]
    expiring: Option<u32>,
    /// The stock lines as CSV (one row per product, lot, location, status and container).
    #[arg(long)]
    csv: bool,
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
    /// Invite an org to join the network: prints a one-time link (and writes its QR
    /// code with --qr) that the org opens with `handoff join LINK` in its own folder.
    Invite {
        /// The org's display name.
        name: String,
        /// Role (repeatable); default: producer, manufacturer, warehouse, carrier, distributor, retailer.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// GS1 company prefix (repeatable).
        #[arg(long = "prefix")]
        prefixes: Vec<String>,
        /// Location number (repeatable).
        #[arg(long = "gln")]
        glns: Vec<String>,
        /// Hours the link stays good (1 to 720).
        #[arg(long, default_value_t = 72)]
        valid_hours: u32,
        /// An address of this node the org can dial (repeatable; default: the running
        /// node's listen addresses).
        #[arg(long = "peer")]
        peers: Vec<String>,
        /// Write the link's QR code to this SVG file.
        #[arg(long, value_name = "FILE.svg")]
        qr: Option<PathBuf>,
    },
    /// The invitations this registrar's node made, newest first: id, org, roles, status
    /// (open, used, expired, revoked), expiry, and the org a used one admitted.
    Invitations,
    /// Revoke an open invitation: a join with its link is then refused.
    RevokeInvitation {
        /// The invitation's id (from `handoff org invitations` or `org invite`).
        id: String,
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

/// `handoff validators …`: a change is gathered off-chain. Each validator runs `approve`
/// with the same epoch and keys and passes its `VALIDATOR:SIGNATURE` line on; anyone
/// holding enough of them runs `set`.
#[derive(Subcommand, Debug)]
enum ValidatorsCmd {
    /// The current epoch and validator set (the set that certifies the next block).
    Show,
    /// Approve a new set with this folder's validator key; prints `VALIDATOR:SIGNATURE`.
    Approve {
        /// The new epoch: the current one plus one.
        #[arg(long)]
        epoch: u64,
        /// The new set's keys (hex), in the chain's order.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Submit a validator-set change carrying the approvals (signed by this folder's
    /// validator key when it is a current validator, or by the `--as` identity).
    Set {
        /// The new epoch: the current one plus one.
        #[arg(long)]
        epoch: u64,
        /// The new set's keys (hex), in the same order as approved.
        #[arg(required = true)]
        keys: Vec<String>,
        /// An approval `VALIDATOR:SIGNATURE` (hex), as `approve` prints it (repeatable).
        #[arg(long = "approval")]
        approvals: Vec<String>,
    },
}

/// `handoff cert …`: an org with the `auditor` role certifies; anyone lists.
#[derive(Subcommand, Debug)]
enum CertCmd {
    /// Certify something (an auditor): prints the certification's id.
    Issue {
        /// What is certified: a scan (item, lot, container), a GTIN, `gln:NUMBER` or
        /// `org:NAME|KEY`.
        #[arg(long = "for")]
        for_: String,
        /// The scheme ("EU organic", "Fairtrade").
        #[arg(long)]
        scheme: String,
        /// The standard or programme version.
        #[arg(long, default_value = "")]
        standard: String,
        /// The certificate number.
        #[arg(long)]
        number: String,
        /// First day it is valid (YYYY-MM-DD, UTC) or a moment (RFC 3339).
        #[arg(long)]
        from: String,
        /// The day it stops being valid (from its start, UTC) or a moment.
        #[arg(long)]
        until: String,
        /// The certificate document: hashed here, only its SHA-256 goes on the chain.
        #[arg(long)]
        doc: Option<PathBuf>,
    },
    /// Suspend a certification you issued (it stops counting at the next block).
    Suspend {
        /// The certification's id (hex).
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Lift a suspension you made.
    Reinstate {
        /// The certification's id (hex).
        id: String,
    },
    /// Revoke a certification you issued, for good.
    Revoke {
        /// The certification's id (hex).
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// The certifications of an item (with those of its lot, product, producer and the
    /// places it passed), a product, an org or a location; or those an auditor issued
    /// (`--by`, else the acting org), valid first, then by expiry.
    List {
        /// A scan, a GTIN, `gln:NUMBER` or `org:NAME|KEY`.
        #[arg(long = "for", conflicts_with = "by")]
        for_: Option<String>,
        /// The issuing org (name or key).
        #[arg(long)]
        by: Option<String>,
        /// Only those that count now.
        #[arg(long)]
        valid: bool,
    },
}

/// `handoff doc …`: documents notarized by their SHA-256; the file never leaves here.
#[derive(Subcommand, Debug)]
enum DocCmd {
    /// Register a document: its hash, type, title and what it concerns.
    Notarize {
        /// The file (read and hashed here).
        file: PathBuf,
        /// po, invoice, despatch, bill_of_lading, lab_report, photo or other.
        #[arg(long = "type")]
        kind: String,
        /// A short title.
        #[arg(long, default_value = "")]
        title: String,
        /// An item, lot or container (scan) or a handoff (id) it concerns (repeatable).
        #[arg(long = "link")]
        links: Vec<String>,
    },
    /// Was this file registered, by whom, when? (exit 0 either way; a changed file has
    /// another hash and is not registered).
    Verify {
        /// The file (read and hashed here).
        file: PathBuf,
    },
}

/// `handoff finance …` (PRODUCT.md §5, §7).
#[derive(Subcommand, Debug)]
enum FinanceCmd {
    /// Publish this org's seal key so finance terms can be sealed to it.
    Enable,
    /// Receivables: invoices over accepted handoffs, financed by a lender.
    #[command(subcommand)]
    Receivable(ReceivableCmd),
    /// Warehouse receipts: goods in a warehouse's custody pledged to a lender.
    #[command(subcommand)]
    Receipt(ReceiptCmd),
    /// One asset with its terms (when sealed to you) and its steps.
    Show {
        /// The asset id.
        id: String,
    },
    /// The assets your org is a party of, newest first.
    List {
        /// Only where you are seller, buyer, holder, lender, warehouse or owner.
        #[arg(long)]
        role: Option<String>,
        /// Only with this status.
        #[arg(long)]
        status: Option<String>,
    },
    /// An asset's trade evidence: each invoiced line against its handoff, acceptance and
    /// documents, the goods of a receipt, and alerts.
    Evidence {
        /// The asset id.
        id: String,
    },
    /// Your portfolio with a lender's analytics: exposure, ageing, counterparties, alerts.
    Portfolio {
        /// Only where you have this role (lender, holder…).
        #[arg(long)]
        role: Option<String>,
    },
    /// Write an asset's evidence pack (json, pdf) or the portfolio (csv, json) to a file.
    Export {
        /// The asset id; without it, the portfolio.
        id: Option<String>,
        /// json, pdf (evidence pack) or csv, json (portfolio).
        #[arg(long)]
        format: String,
        /// The file to write.
        #[arg(long, short)]
        output: PathBuf,
    },
}

/// `handoff finance receivable …`.
#[derive(Subcommand, Debug)]
enum ReceivableCmd {
    /// The seller invoices the buyer for accepted handoffs.
    Issue {
        /// The buyer (org name or key).
        #[arg(long)]
        buyer: String,
        /// The invoice number (sealed to the parties).
        #[arg(long)]
        invoice: String,
        /// ISO 4217 currency.
        #[arg(long)]
        currency: String,
        /// HANDOFF_ID=AMOUNT or HANDOFF_ID/SCAN=AMOUNT (repeatable).
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
        /// Due date, YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
    },
    /// The buyer confirms the payment promise.
    Confirm { id: String },
    /// The holder asks a lender to finance it.
    Request {
        id: String,
        /// The lender.
        #[arg(long)]
        lender: String,
    },
    /// The lender offers an advance (percent of the balance) and a fee.
    Offer {
        id: String,
        /// Percent of the outstanding balance.
        #[arg(long)]
        advance: String,
        /// Fee, in the currency.
        #[arg(long)]
        fee: String,
    },
    /// The holder accepts the offer.
    AcceptOffer { id: String },
    /// The lender funds an accepted offer.
    Fund { id: String },
    /// The buyer pays part or all of the balance.
    Repay {
        id: String,
        #[arg(long)]
        amount: String,
        /// The payment reference (used once).
        #[arg(long = "ref")]
        reference: String,
    },
    /// The holder splits part of the claim to another org.
    Split {
        id: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: String,
    },
    /// The holder transfers the claim whole.
    Transfer {
        id: String,
        #[arg(long)]
        to: String,
    },
    /// The holder records a return or credit note.
    Dilute {
        id: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Mark a receivable past its due date overdue.
    Overdue { id: String },
    /// The creditor declares an overdue receivable in default.
    Default { id: String },
    /// The creditor records an amount recovered after default.
    Recover {
        id: String,
        #[arg(long)]
        amount: String,
        #[arg(long = "ref")]
        reference: String,
    },
    /// The creditor writes off what is left after default.
    WriteOff { id: String },
    /// Close a receivable whose balance is zero.
    Settle { id: String },
}

/// `handoff finance receipt …`.
#[derive(Subcommand, Debug)]
enum ReceiptCmd {
    /// The warehouse issues a receipt for goods in its custody.
    Issue {
        /// The goods' owner.
        #[arg(long)]
        owner: String,
        /// Scans of the items or containers.
        #[arg(required = true)]
        goods: Vec<String>,
    },
    /// The owner offers the receipt to a lender as collateral.
    Pledge {
        id: String,
        #[arg(long)]
        lender: String,
    },
    /// The lender accepts the pledge: the goods are locked.
    AcceptPledge { id: String },
    /// The lender releases goods (none listed: all).
    Release { id: String, goods: Vec<String> },
    /// The lender takes ownership of the goods still pledged.
    Enforce { id: String },
}

/// `handoff epcis …`.
#[derive(Subcommand, Debug)]
enum EpcisCmd {
    /// One GS1 event hash id (`ni:///sha-256;…?ver=CBV2.0`) a line, in document order.
    Hash {
        /// The document.
        file: PathBuf,
    },
    /// Validate the document and map each event to its transaction, writing nothing
    /// (exit 2 names the first event that cannot be mapped).
    Check {
        /// The document.
        file: PathBuf,
    },
    /// Import each event as a transaction signed by `--as`: nothing is submitted unless
    /// the whole document reads and maps (exit 2); an event a rule refuses is reported
    /// with its code and the others stand (exit 3).
    Import {
        /// The document.
        file: PathBuf,
    },
    /// The ledger's events as an EPCIS document on stdout: one item's journey, or all.
    Export {
        /// An item, lot or container.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        scan: Option<String>,
        /// Every supply-chain event of the chain.
        #[arg(long)]
        all: bool,
        /// jsonld or xml.
        #[arg(long, default_value = "jsonld")]
        format: String,
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
        /// Give every item its own claim code and write the codes to this new file (CSV
        /// `item,code`) for the label printer (`handoff label --claim-codes FILE`). The
        /// codes are kept nowhere else: only their public keys go on the chain.
        #[arg(long, value_name = "FILE")]
        claim_codes: Option<PathBuf>,
        /// Retired: claim PINs are refused; use --claim-codes.
        #[arg(long, hide = true)]
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
        /// Give each serialized output its own claim code and write the codes (CSV
        /// `item,code`) to this new file for the label printer; only their public keys
        /// go on the chain.
        #[arg(long = "claim-codes", value_name = "FILE")]
        claim_codes: Option<PathBuf>,
    },
    /// Sold to a consumer (retailers).
    Sell {
        /// What.
        #[arg(required = true)]
        scans: Vec<String>,
    },
    /// A consumer claims a purchased item with the claim code under its scratch-off
    /// (signed by this folder's consumer key).
    Claim {
        /// The item.
        scan: String,
        /// The claim code (or the claim QR's text).
        #[arg(required_unless_present = "pin")]
        code: Option<String>,
        /// Retired: claim PINs are refused; give the claim code.
        #[arg(long, hide = true)]
        pin: Option<String>,
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

fn out(json: Value, text: impl Into<String>) -> R<Output> {
    Ok(Output {
        json,
        text: text.into(),
    })
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

/// The name of a command that works on this machine's files (a folder, an output file,
/// processes it starts) and so cannot run on a node at `--node`; `None`: any other.
fn local_only(cmd: &Cmd) -> Option<&'static str> {
    Some(match cmd {
        Cmd::Init(_) => "init",
        Cmd::Demo(_) => "demo",
        Cmd::Bench(_) => "bench",
        Cmd::Load { .. } => "load",
        Cmd::Label { .. } => "label",
        Cmd::Qr(_) => "qr",
        #[cfg(feature = "p2p")]
        Cmd::Node(_) => "node",
        #[cfg(feature = "p2p")]
        Cmd::Testnet(_) => "testnet",
        #[cfg(feature = "p2p")]
        Cmd::Light(_) => "light",
        #[cfg(feature = "p2p")]
        Cmd::Join { .. } => "join",
        _ => return None,
    })
}

/// Runs a parsed command line: on the node at `--node`, else on the node running on the
/// data folder, else on the folder's ledger opened here. Whichever it is, the command is
/// one typed request and its typed answer is rendered the same way.
pub fn run(cli: Cli) -> R<Output> {
    let data = cli
        .data
        .clone()
        .unwrap_or_else(handoff_node::folder::default_data_dir);
    let me = cli.as_.as_deref();
    let json = cli.json;
    let who = Caller::local(me);
    if cli.node.is_some()
        && let Some(what) = local_only(&cli.cmd)
    {
        return Err(CliError::input(
            "USAGE",
            format!("`{what}` works on this machine's files, not on a node: run it without --node"),
        ));
    }
    let cmd = match standalone(cli.cmd)? {
        Ok(done) => return Ok(done),
        Err(cmd) => cmd,
    };
    // A light folder has no ledger: its commands run on its light store (or its daemon).
    #[cfg(feature = "p2p")]
    let cmd = match cmd {
        Cmd::Light(l) => return handoff_node::light::run(&data, me, l),
        Cmd::Join { link } => return handoff_node::join::join(&data, me, &link),
        cmd => cmd,
    };
    #[cfg(feature = "p2p")]
    if let Some(url) = &cli.node {
        let node = handoff_http::Client::new(url, cli.token.as_deref());
        return with_api(&node, &who, cmd);
    }
    match cmd {
        Cmd::Init(a) => handoff_node::folder::init(
            &data,
            handoff_node::folder::NewFolder {
                org: a.org,
                prefixes: a.prefixes,
                roles: a.roles,
                glns: a.glns,
            },
        ),
        Cmd::Demo(a) => crate::demo::run(&data, a).map_err(CliError::from),
        Cmd::Bench(b) => crate::bench::run(b).map_err(CliError::from),
        #[cfg(feature = "p2p")]
        Cmd::Node(n) => handoff_node::noderun::run(&data, n),
        #[cfg(feature = "p2p")]
        Cmd::Testnet(a) => handoff_node::noderun::testnet(&data, a),
        cmd => {
            // A node running on the folder holds it: the typed request goes there, with
            // the node's own token (the owner's: `--as` names any identity).
            #[cfg(feature = "p2p")]
            if let Some(node) = handoff_node::gateway::running_node(&data) {
                if matches!(cmd, Cmd::Load { .. }) {
                    return Err(CliError::input(
                        "USAGE",
                        "`load` needs the data folder to itself: a node is running on it",
                    ));
                }
                return with_api(&node, &who, cmd);
            }
            // An import reads a document of any length in one go: small caches keep its
            // memory flat (`bench epcis` measures it).
            let caches = match cmd {
                Cmd::Epcis(EpcisCmd::Import { .. }) => Caches::ONE_SHOT,
                _ => Caches::SERVING,
            };
            let ledger = Ledger::open_with(&data, caches)?;
            match cmd {
                Cmd::Load { items, rounds } => crate::load::run(&ledger, &data, items, rounds),
                Cmd::Epcis(EpcisCmd::Import { file }) => {
                    import_file(&ledger, &data, me, &file, json)
                }
                cmd => with_api(&NodeApi::ledger_at(&ledger, &data), &who, cmd),
            }
        }
    }
}

/// Commands that need no data folder (`id parse`, `qr`); any other command is handed back.
fn standalone(cmd: Cmd) -> R<std::result::Result<Output, Cmd>> {
    let here = PathBuf::new();
    let offline = NodeApi::new(api::Chain::Offline, &here);
    let who = Caller::local(None);
    let done = match cmd {
        Cmd::Epcis(EpcisCmd::Hash { file }) => {
            let text = read_document(&file)?;
            let doc = handoff_epcis::parse(&text)
                .map_err(|e| CliError::input(e.code(), e.to_string()))?;
            let hashes = handoff_epcis::hash_ids(&doc);
            out(json!({ "hashes": hashes }), hashes.join("\n"))
        }
        Cmd::Id(IdCmd::Parse { scan: s }) => {
            let r = api::call(&offline, &who, handoff_api::IdParseRequest { scan: s })?;
            let mut text = format!("{}\n{}", r.canonical, r.uri);
            for e in r.elements.iter().flatten() {
                text.push_str(&format!("\n({}) {}: {}", e.ai, e.title, e.value));
            }
            answer(&r, text)
        }
        Cmd::Qr(QrCmd::Encode {
            scan: s,
            output,
            base,
        }) => {
            let sc = scan(&s)?;
            let uri = sc.key.digital_link(&base);
            handoff_node::qr::encode_to_file(&uri, &output).map_err(qr_err)?;
            out(
                json!({"uri": uri, "file": output.display().to_string()}),
                format!("wrote {}", output.display()),
            )
        }
        Cmd::Qr(QrCmd::Decode { image }) => {
            let codes = handoff_node::qr::decode_file(&image).map_err(qr_err)?;
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
            claim_codes,
            format,
            size,
            title,
            output,
            base,
        } => {
            use base64::Engine;
            let (scans, claim_codes) = match &claim_codes {
                Some(path) => codes_for(path, scans)?,
                None => (scans, Vec::new()),
            };
            let r = api::call(
                &offline,
                &who,
                handoff_api::LabelRequest {
                    scans,
                    format: format.clone(),
                    size: size.clone(),
                    title,
                    title_from_chain: false,
                    claim_codes,
                    base,
                },
            )?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&r.data_base64)
                .map_err(|e| CliError::Other(anyhow::anyhow!("the label did not decode: {e}")))?;
            std::fs::write(&output, &bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            out(
                json!({"file": output.display().to_string(), "labels": r.labels,
                       "format": format, "size": size, "bytes": r.bytes}),
                format!("wrote {} ({} labels)", output.display(), r.labels),
            )
        }
        cmd => return Ok(Err(cmd)),
    };
    done.map(Ok)
}

/// The scans to label and their claim codes from a codes file (CSV `item,code`): the
/// scans given, each found in the file by its canonical key, or every item of the file.
fn codes_for(path: &Path, scans: Vec<String>) -> R<(Vec<String>, Vec<String>)> {
    let bad = |m: String| CliError::input("CODES_FILE", m);
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if (i == 0 && line.trim() == "item,code") || line.trim().is_empty() {
            continue;
        }
        let (item, code) = line.split_once(',').ok_or_else(|| {
            bad(format!(
                "{} line {}: expected `item,code`",
                path.display(),
                i + 1
            ))
        })?;
        rows.push((item.trim().to_string(), code.trim().to_string()));
    }
    if scans.is_empty() {
        return Ok(rows.into_iter().unzip());
    }
    let mut codes = Vec::with_capacity(scans.len());
    for s in &scans {
        let key = scan(s)?.key.canonical();
        let code = rows
            .iter()
            .find(|(item, _)| *item == key)
            .map(|(_, c)| c.clone())
            .ok_or_else(|| bad(format!("{key} has no claim code in {}", path.display())))?;
        codes.push(code);
    }
    Ok((scans, codes))
}

fn qr_err(e: handoff_node::qr::QrError) -> CliError {
    match e.code {
        "QR_WRITE_FAILED" => CliError::Other(anyhow::anyhow!("{}", e.message)),
        c => CliError::input(c, e.message),
    }
}

/// An EPCIS document's text: at most `handoff_epcis::limits::MAX_DOCUMENT_BYTES`, UTF-8.
fn read_document(path: &std::path::Path) -> R<String> {
    use std::io::Read;
    let unreadable =
        |e: std::io::Error| CliError::input("FILE_UNREADABLE", format!("{}: {e}", path.display()));
    let f = std::fs::File::open(path).map_err(unreadable)?;
    let max = handoff_epcis::limits::MAX_DOCUMENT_BYTES;
    let mut bytes = Vec::new();
    f.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() > max {
        return Err(CliError::input(
            handoff_epcis::ErrorCode::TooLarge.as_str(),
            format!("{} is larger than {max} bytes", path.display()),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        CliError::input(
            "FILE_UNREADABLE",
            format!("{} is not UTF-8 text", path.display()),
        )
    })
}

/// `epcis import FILE` on this process's ledger: the file is streamed (twice; see
/// `handoff_node::epcis::import_stream`), never held whole, and the report is written
/// as each batch is durable: a line per event, or with `--json` one object
/// `{"events":[…],"committed","already","rejected","blocks"}` written as it goes (so a
/// report of 100,000 events is not held either). Its output is printed here, not by the
/// caller: the `Output` returned is empty.
fn import_file(
    ledger: &Ledger,
    data: &Path,
    me: Option<&str>,
    file: &Path,
    json: bool,
) -> R<Output> {
    use std::io::Write;
    let signer = handoff_node::identity::select(data, me)
        .map_err(|e| CliError::input("UNKNOWN_IDENTITY", format!("{e:#}")))?;
    let open = || std::fs::File::open(file);
    open().map_err(|e| CliError::input("FILE_UNREADABLE", format!("{}: {e}", file.display())))?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let mut started = false;
    let mut refused: Option<handoff_core::rejection::Rejection> = None;
    // A reader that went away (`| head`) is not an error of the import.
    let mut report = |v: handoff_api::EpcisImportView| -> R<()> {
        if json {
            let line = serde_json::to_string(&v).map_err(|e| CliError::Other(e.into()))?;
            let _ = writeln!(w, "{}{line}", if started { "," } else { "{\"events\":[\n" });
        } else {
            let why = match (&v.code, &v.message) {
                (Some(c), Some(m)) => format!(" {m} [{c}]"),
                _ => String::new(),
            };
            let _ = writeln!(w, "event {} {} {}{why}", v.index, v.status, v.hash);
        }
        started = true;
        if v.status == "rejected" && refused.is_none() {
            refused = Some(rejection_of(&v));
        }
        Ok(())
    };
    let done = handoff_node::epcis::import_stream(
        ledger,
        &signer,
        open,
        handoff_epcis::limits::MAX_STREAM_EVENTS,
        &mut report,
    );
    let sum = match done {
        Ok(sum) => sum,
        // Nothing was written yet: the error is the whole answer.
        Err(e) if !started => return Err(e),
        Err(e) => {
            // The report so far stands (those events are committed); the error follows
            // it (with --json, as a second JSON value on stdout).
            if json {
                let _ = writeln!(w, "]}}");
            }
            let _ = w.flush();
            return Err(e);
        }
    };
    if json {
        let _ = writeln!(
            w,
            "{}],\"committed\":{},\"already\":{},\"rejected\":{},\"blocks\":{}}}",
            if started { "" } else { "{\"events\":[" },
            sum.committed,
            sum.already,
            sum.rejected,
            sum.blocks
        );
    } else {
        let _ = writeln!(
            w,
            "{} events: {} committed, {} already, {} rejected, in {} blocks",
            sum.events, sum.committed, sum.already, sum.rejected, sum.blocks
        );
    }
    let _ = w.flush();
    match refused {
        Some(rejection) => Err(CliError::Partial {
            output: Box::new(Output::printed()),
            rejection,
        }),
        None => Ok(Output::printed()),
    }
}

/// The rule that refused an imported event, as the command's exit (3).
fn rejection_of(e: &handoff_api::EpcisImportView) -> handoff_core::rejection::Rejection {
    let code = e.code.as_deref().unwrap_or_default();
    let code = handoff_core::rejection::Code::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == code)
        .unwrap_or(handoff_core::rejection::Code::Malformed);
    handoff_core::rejection::Rejection::new(
        code,
        format!(
            "event {}: {}",
            e.index,
            e.message.as_deref().unwrap_or_default()
        ),
    )
}

/// SHA-256 of a file, hex, read in pieces (a document may be large; it never leaves
/// this machine).
fn file_sha256(path: &std::path::Path) -> R<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)
        .map_err(|e| CliError::input("FILE_UNREADABLE", format!("{}: {e}", path.display())))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex_of(&h.finalize()))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cert_change(id: String, change: &str, reason: String) -> handoff_api::CertChangeRequest {
    handoff_api::CertChangeRequest {
        id,
        change: change.into(),
        reason,
    }
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Stock lines as CSV, a header row first.
fn stock_csv(r: &handoff_api::StockResponse) -> String {
    let mut out = String::from(
        "gtin,product,kind,lot,expiry,expires_in_days,location,status,container,quantity\n",
    );
    for p in &r.products {
        for l in &p.lines {
            let row = [
                p.gtin.clone(),
                p.name.clone(),
                l.kind.clone(),
                l.lot.clone().unwrap_or_default(),
                l.expiry.clone().unwrap_or_default(),
                l.expires_in_days.map(|d| d.to_string()).unwrap_or_default(),
                l.location.clone().unwrap_or_default(),
                l.status.clone(),
                l.container.clone().unwrap_or_default(),
                l.quantity.to_string(),
            ];
            let row: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

/// Stock for people: totals, then each product with its lines, containers, arrivals and
/// shipments.
fn stock_text(r: &handoff_api::StockResponse) -> String {
    let t = &r.totals;
    let mut s = format!(
        "{} as of block {} ({}): {} products, {} items, lot quantity {}, {} containers\n",
        r.org.name, r.height, r.as_of, t.products, t.items, t.lot_quantity, t.containers
    );
    for p in &r.products {
        s.push_str(&format!(
            "\n{} ({})  items {}  lot quantity {}\n",
            p.name, p.gtin, p.items, p.lot_quantity
        ));
        for l in &p.lines {
            let mut parts = vec![format!("{:>8}", l.quantity), format!("{:<4}", l.kind)];
            if let Some(lot) = &l.lot {
                parts.push(format!("lot {lot}"));
            }
            if let Some(e) = &l.expiry {
                let days = l
                    .expires_in_days
                    .map(|d| format!(" ({d} days)"))
                    .unwrap_or_default();
                parts.push(format!("expires {e}{days}"));
            }
            if let Some(at) = &l.location {
                parts.push(format!("at {at}"));
            }
            if let Some(c) = &l.container {
                parts.push(format!("in {c}"));
            }
            parts.push(l.status.replace('_', " "));
            s.push_str(&format!("  {}\n", parts.join("  ")));
        }
    }
    if !r.containers.is_empty() {
        s.push_str("\ncontainers\n");
        for c in &r.containers {
            s.push_str(&format!(
                "  {}  {} items, lot quantity {}{}{}  {}\n",
                c.sscc,
                c.items,
                c.lot_quantity,
                c.location
                    .as_deref()
                    .map(|l| format!("  at {l}"))
                    .unwrap_or_default(),
                c.inside
                    .as_deref()
                    .map(|i| format!("  inside {i}"))
                    .unwrap_or_default(),
                c.status.replace('_', " ")
            ));
        }
    }
    if !r.arrivals.is_empty() {
        s.push_str("\narriving\n");
        for a in &r.arrivals {
            s.push_str(&format!(
                "  from {}: {} handoffs\n",
                a.from.name,
                a.handoffs.len()
            ));
            for h in &a.handoffs {
                s.push_str(&format!(
                    "    {}  {} entries\n",
                    short(&h.id),
                    h.entries.len()
                ));
            }
        }
    }
    if !r.in_transit.is_empty() {
        s.push_str("\nin transit\n");
        for h in &r.in_transit {
            s.push_str(&format!(
                "  {}  to {}  {} entries\n",
                short(&h.id),
                h.to.name,
                h.entries.len()
            ));
        }
    }
    s
}

/// A receipt's block, as people read it ("pending" before it is in one).
fn block_of(height: Option<u64>) -> String {
    height.map_or_else(|| "pending".into(), |h| h.to_string())
}

/// The first 16 hex digits of a key or id, as people read them.
fn short(hex: &str) -> &str {
    &hex[..16.min(hex.len())]
}

fn pairs(list: &[String], what: &str) -> R<Vec<handoff_api::Pair>> {
    list.iter()
        .map(|s| kv(s, what).map(|(name, value)| handoff_api::Pair { name, value }))
        .collect()
}

fn json_of<T: serde::Serialize>(v: &T) -> R<Value> {
    serde_json::to_value(v).map_err(|e| CliError::Other(e.into()))
}

/// The answer of a typed call: its JSON as `--json` prints it, and the text for people.
/// Creates a new claim-codes file (owner-only on Unix); never overwrites one.
fn codes_file(path: &Path) -> R<(std::fs::File, &Path)> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path).map_err(|e| {
        CliError::input(
            "CODES_FILE",
            format!("cannot create the claim-codes file {}: {e}", path.display()),
        )
    })?;
    Ok((file, path))
}

/// Writes the claim codes an answer carries to the file made for them (see
/// [`codes_file`]); the line that says so, or nothing.
fn save_codes(
    file: Option<(std::fs::File, &Path)>,
    codes: &Option<Vec<handoff_api::ClaimCode>>,
) -> R<String> {
    match (file, codes) {
        (Some((file, path)), Some(codes)) => {
            write_codes(file, path, codes)?;
            Ok(format!(
                "\n{} claim codes written to {} (keep it secret until printed)",
                codes.len(),
                path.display()
            ))
        }
        _ => Ok(String::new()),
    }
}

/// Writes the codes as CSV `item,code` and syncs the file.
fn write_codes(mut file: std::fs::File, path: &Path, codes: &[handoff_api::ClaimCode]) -> R<()> {
    use std::io::Write;
    let mut text = String::from("item,code\n");
    for c in codes {
        text.push_str(&format!("{},{}\n", c.item, c.code));
    }
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            CliError::Other(anyhow::anyhow!(
                "the items are on the chain but their claim codes could not be written to \
                 {}: {e}; here they are, print them before they are lost:\n{text}",
                path.display()
            ))
        })
}

fn answer<T: serde::Serialize>(v: &T, text: impl Into<String>) -> R<Output> {
    out(json_of(v)?, text)
}

fn amounts_text(a: &[handoff_api::FinanceAmountView]) -> String {
    if a.is_empty() {
        return "0".into();
    }
    a.iter()
        .map(|x| format!("{} {}", x.amount, x.currency))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn evidence_text(r: &handoff_api::FinanceEvidenceResponse) -> String {
    let mut t = finance_asset_text(&r.asset);
    t.push_str(if r.matched {
        "\n  evidence: every line matched"
    } else {
        "\n  evidence: NOT fully matched"
    });
    for l in &r.lines {
        let q = l.quantity.map(|q| format!(" ×{q}")).unwrap_or_default();
        let amount = l.amount.clone().unwrap_or_default();
        let docs: Vec<String> = l
            .documents
            .iter()
            .map(|d| {
                let what = d.number.clone().or(d.title.clone()).unwrap_or_default();
                format!("{} {what}", d.kind)
            })
            .collect();
        t.push_str(&format!(
            "\n  {:>3} {} {}{q} {amount}  {} → {} {}  [{}]",
            l.line,
            if l.matched { "ok " } else { "BAD" },
            l.item,
            l.from,
            l.to,
            l.status,
            docs.join("; ")
        ));
        for p in &l.problems {
            t.push_str(&format!("\n        ! {p}"));
        }
    }
    for g in &r.goods {
        t.push_str(&format!(
            "\n  {} {}{}{}",
            g.item,
            g.custodian.clone().unwrap_or_default(),
            if g.released { " released" } else { "" },
            if g.flags.is_empty() {
                String::new()
            } else {
                format!(" ! {}", g.flags.join(", "))
            }
        ));
    }
    for a in &r.alerts {
        t.push_str(&format!("\n  alert {}: {}", a.kind, a.message));
    }
    t
}

fn portfolio_text(r: &handoff_api::FinancePortfolioResponse) -> String {
    let status: Vec<String> = r
        .by_status
        .iter()
        .map(|s| format!("{} {}", s.count, s.status))
        .collect();
    let assets = |n: usize| format!("{n} asset{}", if n == 1 { "" } else { "s" });
    let mut t = format!("{}: {}", assets(r.rows.len()), status.join(", "));
    if !r.exposure.is_empty() {
        t.push_str("\nexposure");
        for e in &r.exposure {
            t.push_str(&format!(
                "\n  {:<7} {:<28} {} ({})",
                e.role,
                e.name,
                amounts_text(&e.outstanding),
                assets(e.assets as usize)
            ));
        }
    }
    t.push_str("\nageing");
    for b in &r.ageing {
        t.push_str(&format!(
            "\n  {:<8} {} ({})",
            b.bucket,
            amounts_text(&b.outstanding),
            b.assets
        ));
    }
    let pct =
        |bp: Option<u32>| bp.map_or("-".to_string(), |b| format!("{:.1}%", f64::from(b) / 100.0));
    if !r.counterparties.is_empty() {
        t.push_str("\ncounterparties (deliveries, on time, exceptions, disputes, dilution)");
        for c in &r.counterparties {
            t.push_str(&format!(
                "\n  {:<28} {:>6} {:>7} {:>7} {:>7} {:>7}",
                c.name,
                c.deliveries,
                pct(c.on_time_bp),
                pct(c.exception_bp),
                pct(c.dispute_bp),
                pct(c.dilution_bp)
            ));
        }
    }
    for a in &r.alerts {
        t.push_str(&format!(
            "\nalert {} {}: {}",
            short(&a.asset),
            a.kind,
            a.message
        ));
    }
    t
}

/// A finance step's answer as text.
fn finance_done(r: &handoff_api::FinanceActionResponse, what: &str) -> R<Output> {
    let mut text = format!(
        "{what} {}: {} (block {})",
        short(&r.id),
        r.status,
        block_of(r.height)
    );
    for c in &r.created {
        text.push_str(&format!("\n  new receivable {c}"));
    }
    text.push_str(&format!("\n  id {}", r.id));
    answer(r, text)
}

fn finance_asset_text(a: &handoff_api::FinanceAssetView) -> String {
    let parties: Vec<String> = a
        .parties
        .iter()
        .map(|p| format!("{} {}", p.role, p.name))
        .collect();
    let mut t = format!(
        "{} {} {}  {}",
        a.kind,
        short(&a.id),
        a.status,
        parties.join(", ")
    );
    if let Some(terms) = &a.terms {
        let cur = a.currency.clone().unwrap_or_default();
        if let Some(inv) = &terms.invoice {
            t.push_str(&format!("\n  invoice {inv}"));
        }
        if let Some(f) = &terms.face {
            t.push_str(&format!("\n  face {f} {cur}"));
        }
        if let Some(o) = &terms.outstanding {
            t.push_str(&format!(
                "\n  outstanding {o} {cur} (paid {}, diluted {})",
                terms.paid, terms.diluted
            ));
        }
        if let (Some(adv), Some(fee)) = (&terms.advance, &terms.fee) {
            t.push_str(&format!("\n  advance {adv} {cur}, fee {fee} {cur}"));
        }
        for p in &terms.problems {
            t.push_str(&format!("\n  WARNING: {p}"));
        }
    } else if a.kind == "receivable" {
        t.push_str("\n  terms: not sealed to you");
    }
    for g in &a.goods {
        let state = if a.released.contains(g) {
            "released"
        } else {
            "on receipt"
        };
        t.push_str(&format!("\n  {g} ({state})"));
    }
    if !a.next.is_empty() {
        t.push_str(&format!("\n  you can: {}", a.next.join(", ")));
    }
    t
}

fn finance_cmd(node: &dyn handoff_api::Api, who: &handoff_api::Caller, f: FinanceCmd) -> R<Output> {
    macro_rules! call {
        ($req:expr) => {
            handoff_api::call_typed(node, who, $req).map_err(CliError::from)
        };
    }
    match f {
        FinanceCmd::Enable => {
            let r = call!(handoff_api::FinanceEnableRequest {})?;
            let text = if r.published {
                format!("published seal key {}", short(&r.seal_key))
            } else {
                format!("seal key {} already published", short(&r.seal_key))
            };
            answer(&r, text)
        }
        FinanceCmd::Show { id } => {
            let r = call!(handoff_api::FinanceShowRequest { id })?;
            let mut text = finance_asset_text(&r.asset);
            for s in &r.steps {
                text.push_str(&format!(
                    "\n  block {:>6}  {:<24} by {}",
                    s.height, s.step, s.by
                ));
            }
            answer(&r, text)
        }
        FinanceCmd::List { role, status } => {
            let r = call!(handoff_api::FinanceListRequest { role, status })?;
            let text = if r.assets.is_empty() {
                "no finance assets".to_string()
            } else {
                r.assets
                    .iter()
                    .map(finance_asset_text)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            answer(&r, text)
        }
        FinanceCmd::Evidence { id } => {
            let r = call!(handoff_api::FinanceEvidenceRequest { id })?;
            answer(&r, evidence_text(&r))
        }
        FinanceCmd::Portfolio { role } => {
            let r = call!(handoff_api::FinancePortfolioRequest { role })?;
            answer(&r, portfolio_text(&r))
        }
        FinanceCmd::Export { id, format, output } => {
            use base64::Engine;
            let r = call!(handoff_api::FinanceExportRequest { id, format })?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&r.data_base64)
                .map_err(|e| CliError::Other(anyhow::anyhow!("the file did not decode: {e}")))?;
            std::fs::write(&output, &bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            out(
                json!({"file": output.display().to_string(), "name": r.name, "mime": r.mime,
                       "bytes": bytes.len(), "sha256": r.sha256}),
                format!(
                    "wrote {} ({} bytes, sha256 {})",
                    output.display(),
                    bytes.len(),
                    short(&r.sha256)
                ),
            )
        }
        FinanceCmd::Receivable(c) => match c {
            ReceivableCmd::Issue {
                buyer,
                invoice,
                currency,
                lines,
                due,
            } => finance_done(
                &call!(handoff_api::ReceivableIssueRequest {
                    buyer,
                    invoice,
                    currency,
                    lines,
                    due
                })?,
                "issued receivable",
            ),
            ReceivableCmd::Confirm { id } => finance_done(
                &call!(handoff_api::ReceivableConfirmRequest { id })?,
                "confirmed",
            ),
            ReceivableCmd::Request { id, lender } => finance_done(
                &call!(handoff_api::ReceivableRequestFinanceRequest { id, lender })?,
                "finance requested for",
            ),
            ReceivableCmd::Offer { id, advance, fee } => finance_done(
                &call!(handoff_api::ReceivableOfferRequest { id, advance, fee })?,
                "offered on",
            ),
            ReceivableCmd::AcceptOffer { id } => finance_done(
                &call!(handoff_api::ReceivableAcceptOfferRequest { id })?,
                "accepted the offer on",
            ),
            ReceivableCmd::Fund { id } => {
                finance_done(&call!(handoff_api::ReceivableFundRequest { id })?, "funded")
            }
            ReceivableCmd::Repay {
                id,
                amount,
                reference,
            } => finance_done(
                &call!(handoff_api::ReceivableRepayRequest {
                    id,
                    amount,
                    reference
                })?,
                "repaid",
            ),
            ReceivableCmd::Split { id, to, amount } => finance_done(
                &call!(handoff_api::ReceivableSplitRequest { id, to, amount })?,
                "split",
            ),
            ReceivableCmd::Transfer { id, to } => finance_done(
                &call!(handoff_api::ReceivableTransferRequest { id, to })?,
                "transferred",
            ),
            ReceivableCmd::Dilute { id, amount, reason } => finance_done(
                &call!(handoff_api::ReceivableDiluteRequest { id, amount, reason })?,
                "diluted",
            ),
            ReceivableCmd::Overdue { id } => finance_done(
                &call!(handoff_api::ReceivableOverdueRequest { id })?,
                "marked overdue",
            ),
            ReceivableCmd::Default { id } => finance_done(
                &call!(handoff_api::ReceivableDefaultRequest { id })?,
                "declared in default",
            ),
            ReceivableCmd::Recover {
                id,
                amount,
                reference,
            } => finance_done(
                &call!(handoff_api::ReceivableRecoverRequest {
                    id,
                    amount,
                    reference
                })?,
                "recovered on",
            ),
            ReceivableCmd::WriteOff { id } => finance_done(
                &call!(handoff_api::ReceivableWriteOffRequest { id })?,
                "wrote off",
            ),
            ReceivableCmd::Settle { id } => finance_done(
                &call!(handoff_api::ReceivableSettleRequest { id })?,
                "settled",
            ),
        },
        FinanceCmd::Receipt(c) => match c {
            ReceiptCmd::Issue { owner, goods } => finance_done(
                &call!(handoff_api::ReceiptIssueRequest { owner, goods })?,
                "issued receipt",
            ),
            ReceiptCmd::Pledge { id, lender } => finance_done(
                &call!(handoff_api::ReceiptPledgeRequest { id, lender })?,
                "pledged",
            ),
            ReceiptCmd::AcceptPledge { id } => finance_done(
                &call!(handoff_api::ReceiptAcceptPledgeRequest { id })?,
                "accepted the pledge of",
            ),
            ReceiptCmd::Release { id, goods } => finance_done(
                &call!(handoff_api::ReceiptReleaseRequest { id, goods })?,
                "released",
            ),
            ReceiptCmd::Enforce { id } => finance_done(
                &call!(handoff_api::ReceiptEnforceRequest { id })?,
                "enforced",
            ),
        },
    }
}

/// Runs a command on a node: the command line as a typed request to the node's API
/// (this process's `NodeApi` on the ledger, or a node's over HTTP), its typed answer
/// rendered as text or JSON.
fn with_api(node: &dyn Api, who: &Caller, cmd: Cmd) -> R<Output> {
    use handoff_api as a;
    macro_rules! typed_call {
        ($req:expr) => {
            handoff_api::call_typed(node, who, $req).map_err(CliError::from)
        };
    }
    let receipt = |r: a::Receipt, text: &str| answer(&r, text);
    match cmd {
        Cmd::Org(OrgCmd::Add {
            name,
            prefixes,
            roles,
            glns,
        }) => {
            let r = typed_call!(a::OrgAddRequest {
                name,
                prefixes,
                roles,
                glns
            })?;
            let text = format!("admitted {} ({})", r.name, short(&r.org));
            answer(&r, text)
        }
        Cmd::Org(OrgCmd::Invite {
            name,
            roles,
            prefixes,
            glns,
            valid_hours,
            peers,
            qr,
        }) => {
            let r = typed_call!(a::OrgInviteRequest {
                name,
                roles,
                prefixes,
                glns,
                valid_hours,
                peers
            })?;
            if let Some(file) = &qr {
                std::fs::write(file, &r.qr_svg).map_err(|e| {
                    CliError::input(
                        "FILE_UNWRITABLE",
                        format!("cannot write {}: {e}", file.display()),
                    )
                })?;
            }
            let text = format!(
                "{}\n(good until {}; invitation {}; hand it to the org: `handoff --data FOLDER join LINK`)",
                r.link, r.expires, r.ticket_id
            );
            answer(&r, text)
        }
        Cmd::Org(OrgCmd::Invitations) => {
            let r = typed_call!(a::OrgInvitationsRequest {})?;
            let mut text = String::new();
            if r.invitations.is_empty() {
                text.push_str("no invitations\n");
            }
            for i in &r.invitations {
                let admitted = match (&i.org, i.height) {
                    (Some(o), Some(h)) => format!("  admitted {} at block {h}", short(o)),
                    (Some(o), None) => format!("  admitted {}", short(o)),
                    _ => String::new(),
                };
                text.push_str(&format!(
                    "{}  {:<8} {}  [{}]  expires {}{admitted}\n",
                    i.id,
                    i.status,
                    i.name,
                    i.roles.join(","),
                    i.expires
                ));
            }
            answer(&r, text)
        }
        Cmd::Org(OrgCmd::RevokeInvitation { id }) => {
            let r = typed_call!(a::OrgInviteRevokeRequest { id })?;
            let i = &r.invitation;
            let text = format!(
                "revoked invitation {} for {}: a join with its link is refused",
                i.id, i.name
            );
            answer(&r, text)
        }
        Cmd::Org(OrgCmd::Nonce) => {
            let r = typed_call!(a::OrgNonceRequest {})?;
            let text = format!("{}: next nonce {}", r.name, r.next_nonce);
            answer(&r, text)
        }
        Cmd::Org(OrgCmd::List) => {
            let r = typed_call!(a::OrgListRequest {})?;
            let text: String = r
                .orgs
                .iter()
                .map(|o| format!("{}  {}  {}\n", short(&o.key), o.name, o.roles.join(",")))
                .collect();
            answer(&r, text)
        }
        Cmd::Org(OrgCmd::Log { org, limit }) => {
            let r = typed_call!(a::OrgLogRequest { org, limit })?;
            let text: String = r
                .transactions
                .iter()
                .map(|t| {
                    format!(
                        "{}  block {}  {:<18} {}\n",
                        short(&t.tx),
                        t.height,
                        t.kind,
                        t.rejected.as_deref().unwrap_or("applied")
                    )
                })
                .collect();
            answer(&r, text)
        }
        Cmd::Org(OrgCmd::AuthorizeDevice { key, label, scopes }) => receipt(
            typed_call!(a::DeviceAuthorizeRequest { key, label, scopes })?,
            "device authorized",
        ),
        Cmd::Org(OrgCmd::RevokeDevice { key, reason }) => receipt(
            typed_call!(a::DeviceRevokeRequest { key, reason })?,
            "device revoked",
        ),
        Cmd::Product(ProductCmd::Define {
            gtin,
            name,
            description,
            attrs,
        }) => {
            let attributes = pairs(&attrs, "attribute")?;
            let r = typed_call!(a::ProductDefineRequest {
                gtin,
                name: name.clone(),
                description,
                attributes
            })?;
            let text = format!("defined {name} ({})", r.gtin);
            answer(&r, text)
        }
        Cmd::Product(ProductCmd::License { gtin, to }) => receipt(
            typed_call!(a::ProductLicenseRequest { gtin, to })?,
            "licensed",
        ),
        Cmd::Product(ProductCmd::Recall {
            gtin,
            lot,
            items,
            reason,
        }) => receipt(
            typed_call!(a::ProductRecallRequest {
                gtin,
                lot,
                items,
                reason
            })?,
            "recalled",
        ),
        Cmd::Product(ProductCmd::Show { gtin }) => {
            let r = typed_call!(a::ProductShowRequest { gtin })?;
            let p = &r.product;
            let text = format!("{} ({}) by {}", p.name, p.gtin, p.owner.name);
            answer(&r, text)
        }
        Cmd::Item(ItemCmd::Commission {
            scans,
            lot,
            qty,
            at,
            expiry,
            claim_codes,
            pin,
        }) => {
            // The codes file is made before the items exist, so a path that cannot be
            // written stops the command before any code could be lost.
            let codes_file = match &claim_codes {
                Some(path) if pin.is_none() => Some(codes_file(path)?),
                _ => None,
            };
            let r = typed_call!(a::CommissionRequest {
                scans,
                lot,
                qty,
                at,
                expiry,
                claim_codes: claim_codes.is_some(),
                pin
            })?;
            let saved = save_codes(codes_file, &r.claim_codes)?;
            answer(&r, format!("commissioned {}{saved}", r.items.join(" ")))
        }
        Cmd::Item(ItemCmd::Pack { into, scans }) => {
            receipt(typed_call!(a::PackRequest { into, scans })?, "packed")
        }
        Cmd::Item(ItemCmd::Unpack { container, scans }) => receipt(
            typed_call!(a::UnpackRequest { container, scans })?,
            "unpacked",
        ),
        Cmd::Item(ItemCmd::Show { scan: s, proof }) => {
            let r = typed_call!(a::ItemShowRequest { key: s, proof })?;
            let mut text = view::thing_text(&json_of(&r.item)?);
            if let Some(p) = &r.proof {
                text.push_str(&if p.verified {
                    format!(
                        "\nproof: verified against the state root {} of block {}",
                        short(&p.state_root),
                        p.height
                    )
                } else {
                    "\nproof: FAILED: the proof does not lead to the block's state root".to_string()
                });
            }
            answer(&r, text)
        }
        Cmd::Item(ItemCmd::History { scan: s }) => {
            let r = typed_call!(a::ItemHistoryRequest { key: s })?;
            let events = r
                .events
                .iter()
                .map(|e| json_of(e).map(|v| view::event_text(&v)))
                .collect::<R<Vec<_>>>()?
                .join("\n");
            let text = format!("{}\n{events}", view::thing_text(&json_of(&r.item)?));
            answer(&r, text)
        }
        Cmd::Item(ItemCmd::Observe {
            scans,
            kind,
            readings,
            at,
        }) => {
            let readings = pairs(&readings, "reading")?;
            receipt(
                typed_call!(a::ObserveRequest {
                    scans,
                    kind,
                    readings,
                    at
                })?,
                "observed",
            )
        }
        Cmd::Item(ItemCmd::Transform {
            inputs,
            outputs,
            at,
            claim_codes,
        }) => {
            // As for commissioning: the file first, so no code can be lost.
            let codes_file = claim_codes.as_deref().map(codes_file).transpose()?;
            let r = typed_call!(a::TransformRequest {
                inputs,
                outputs,
                at,
                claim_codes: codes_file.is_some()
            })?;
            let saved = save_codes(codes_file, &r.claim_codes)?;
            answer(
                &r,
                format!("transformed into {}{saved}", r.outputs.join(" ")),
            )
        }
        Cmd::Item(ItemCmd::Sell { scans }) => {
            receipt(typed_call!(a::SellRequest { scans })?, "sold")
        }
        Cmd::Item(ItemCmd::Claim { scan: s, code, pin }) => receipt(
            typed_call!(a::ClaimRequest {
                key: s,
                code: code.unwrap_or_default(),
                pin
            })?,
            "claimed",
        ),
        Cmd::Item(ItemCmd::Stolen { scans, note }) => receipt(
            typed_call!(a::StolenRequest { scans, note })?,
            "reported stolen",
        ),
        Cmd::Item(ItemCmd::Decommission { scans, reason }) => receipt(
            typed_call!(a::DecommissionRequest { scans, reason })?,
            "decommissioned",
        ),
        Cmd::Item(ItemCmd::Correct { tx, reason, fields }) => {
            let fields = pairs(&fields, "field")?;
            receipt(
                typed_call!(a::CorrectRequest { tx, reason, fields })?,
                "corrected",
            )
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
            let transfer = if ownership_only {
                a::TransferKind::Ownership
            } else if ownership {
                a::TransferKind::Both
            } else {
                a::TransferKind::Custody
            };
            let docs = docs
                .iter()
                .map(|d| kv(d, "document").map(|(kind, id)| a::DocRef { kind, id }))
                .collect::<R<Vec<_>>>()?;
            let r = typed_call!(a::ProposeRequest {
                to,
                scans,
                transfer,
                qty,
                ship_from,
                ship_to,
                docs,
                expires_in
            })?;
            let text = format!("handoff {} proposed", r.handoff);
            answer(&r, text)
        }
        Cmd::Handoff(HandoffCmd::Accept {
            id,
            missing,
            damaged,
        }) => {
            let r = typed_call!(a::AcceptRequest {
                id,
                missing,
                damaged
            })?;
            let text = format!("handoff {} accepted", short(&r.handoff));
            answer(&r, text)
        }
        Cmd::Handoff(HandoffCmd::Reject { id, reason }) => {
            let id = full_handoff_id(node, who, id)?;
            let text = format!("handoff {} rejected", short(&id));
            let r = typed_call!(a::RejectRequest { id, reason })?;
            answer(&r, text)
        }
        Cmd::Handoff(HandoffCmd::Cancel { id }) => {
            let id = full_handoff_id(node, who, id)?;
            let text = format!("handoff {} cancelled", short(&id));
            let r = typed_call!(a::CancelRequest { id })?;
            answer(&r, text)
        }
        Cmd::Handoff(HandoffCmd::Inbox) => {
            let r = typed_call!(a::InboxRequest {})?;
            let name = typed_call!(a::OrgNonceRequest {})
                .map(|n| n.name)
                .unwrap_or_default();
            let mut text = format!(
                "{name}: {} incoming, {} outgoing\n",
                r.incoming.len(),
                r.outgoing.len()
            );
            for h in r.incoming.iter().chain(&r.outgoing) {
                text.push_str(&view::handoff_text(&json_of(h)?));
                text.push('\n');
            }
            answer(&r, text)
        }
        Cmd::Stock(args) => {
            let r = typed_call!(a::StockRequest {
                product: args.product,
                lot: args.lot,
                at: args.at,
                status: args.status,
                expiring_days: args.expiring,
            })?;
            let text = if args.csv {
                stock_csv(&r)
            } else {
                stock_text(&r)
            };
            answer(&r, text)
        }
        Cmd::Activity { since, limit } => {
            let r = typed_call!(a::ActivityRequest { since, limit })?;
            let mut text = format!(
                "{}: {} transactions{}\n",
                r.org.name,
                r.events.len(),
                r.since
                    .as_deref()
                    .map(|s| format!(" since {s}"))
                    .unwrap_or_default()
            );
            for e in &r.events {
                text.push_str(&format!(
                    "{}  block {}  {}  {:<18} {}\n",
                    e.time,
                    e.height,
                    short(&e.tx),
                    e.kind,
                    e.rejected.as_deref().unwrap_or("applied")
                ));
            }
            answer(&r, text)
        }
        Cmd::Handoff(HandoffCmd::Show { id }) => {
            let r = typed_call!(a::HandoffShowRequest { id })?;
            let text = view::handoff_text(&json_of(&r.handoff)?);
            answer(&r, text)
        }
        Cmd::Verify { scan: s } => {
            let r = typed_call!(a::VerifyRequest { scan: s })?;
            let text = std::iter::once(r.verdict.to_uppercase())
                .chain(
                    r.reasons
                        .iter()
                        .map(|x| format!("  {}: {}", x.code, x.message)),
                )
                .collect::<Vec<_>>()
                .join("\n");
            answer(&r, text)
        }
        Cmd::Validators(ValidatorsCmd::Show) => {
            let r = typed_call!(a::ValidatorsShowRequest {})?;
            let mut text = format!("epoch {} (certifies block {} on)", r.epoch, r.next_height);
            for k in &r.validators {
                text.push('\n');
                text.push_str(k);
            }
            answer(&r, text)
        }
        Cmd::Validators(ValidatorsCmd::Approve { epoch, keys }) => {
            let r = typed_call!(a::ValidatorsApproveRequest { epoch, keys })?;
            let text = format!("{}:{}", r.validator, r.signature);
            answer(&r, text)
        }
        Cmd::Validators(ValidatorsCmd::Set {
            epoch,
            keys,
            approvals,
        }) => {
            let r = typed_call!(a::ValidatorsSetRequest {
                epoch,
                keys,
                approvals
            })?;
            let text = format!(
                "validator set of epoch {} takes over after this block",
                r.epoch
            );
            answer(&r, text)
        }
        Cmd::Cert(CertCmd::Issue {
            for_,
            scheme,
            standard,
            number,
            from,
            until,
            doc,
        }) => {
            let document = doc.as_deref().map(file_sha256).transpose()?;
            let r = typed_call!(a::CertIssueRequest {
                for_,
                scheme,
                standard,
                number,
                from,
                until,
                document
            })?;
            let text = format!("certification {} in block {}", r.id, block_of(r.height));
            answer(&r, text)
        }
        Cmd::Cert(CertCmd::Suspend { id, reason }) => {
            let r = typed_call!(cert_change(id, "suspend", reason))?;
            receipt(r, "suspended")
        }
        Cmd::Cert(CertCmd::Reinstate { id }) => {
            let r = typed_call!(cert_change(id, "reinstate", String::new()))?;
            receipt(r, "reinstated")
        }
        Cmd::Cert(CertCmd::Revoke { id, reason }) => {
            let r = typed_call!(cert_change(id, "revoke", reason))?;
            receipt(r, "revoked")
        }
        Cmd::Cert(CertCmd::List { for_, by, valid }) => {
            let r = typed_call!(a::CertListRequest {
                for_: for_.unwrap_or_default(),
                by,
                valid
            })?;
            let mut text = format!("as of {}", r.at);
            for c in &r.certifications {
                text.push_str(&format!(
                    "\n{}  {:<13} {} {} ({}){}  {} .. {}  by {}",
                    short(&c.id),
                    c.status,
                    c.scheme,
                    c.number,
                    c.subject_kind,
                    c.via
                        .as_deref()
                        .map(|v| format!(" via {v}"))
                        .unwrap_or_default(),
                    c.valid_from.get(..10).unwrap_or(&c.valid_from),
                    c.valid_until.get(..10).unwrap_or(&c.valid_until),
                    c.issuer_name
                ));
            }
            if r.certifications.is_empty() {
                text.push_str("\nno certifications");
            }
            answer(&r, text)
        }
        Cmd::Doc(DocCmd::Notarize {
            file,
            kind,
            title,
            links,
        }) => {
            let hash = file_sha256(&file)?;
            let r = typed_call!(a::DocNotarizeRequest {
                hash,
                kind,
                title,
                links
            })?;
            let text = format!("registered {} in block {}", r.hash, block_of(r.height));
            answer(&r, text)
        }
        Cmd::Finance(f) => finance_cmd(node, who, f),
        Cmd::Doc(DocCmd::Verify { file }) => {
            let hash = file_sha256(&file)?;
            let r = typed_call!(a::DocVerifyRequest { hash })?;
            let text = match (&r.by_name, r.height, &r.time, &r.kind) {
                (Some(by), Some(h), Some(t), Some(k)) if r.registered => {
                    let mut text = format!("REGISTERED by {by} in block {h} at {t} as {k}");
                    for l in &r.links {
                        text.push_str(&format!("\n  linked to {l}"));
                    }
                    if r.registrations.len() > 1 {
                        text.push_str(&format!(
                            "\n  registered {} times in all",
                            r.registrations.len()
                        ));
                    }
                    text
                }
                _ => format!(
                    "NOT REGISTERED: no document with SHA-256 {} (proven absent at block {})",
                    r.hash, r.proof.height
                ),
            };
            answer(&r, text)
        }
        Cmd::Epcis(EpcisCmd::Check { file }) => {
            let document = read_document(&file)?;
            let r = typed_call!(a::EpcisCheckRequest { document })?;
            let text = r
                .events
                .iter()
                .map(|e| {
                    format!(
                        "event {}: {} -> {}{} {}",
                        e.index,
                        e.event_type,
                        e.kind,
                        if e.already { " (already)" } else { "" },
                        e.hash
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            answer(&r, text)
        }
        Cmd::Epcis(EpcisCmd::Import { file }) => {
            // Here the document goes to a node (at --node, or the one running on the
            // folder) in one request, within the request's bound; on this machine's
            // ledger it is streamed instead (`import_file`).
            let max = handoff_epcis::limits::MAX_DOCUMENT_BYTES as u64;
            if std::fs::metadata(&file).is_ok_and(|m| m.len() > max) {
                return Err(CliError::input(
                    handoff_epcis::ErrorCode::TooLarge.as_str(),
                    format!(
                        "{} is larger than {max} bytes, the most a node takes in one request; \
                         import it on the node's machine with the node stopped (the file is \
                         then streamed, up to {} events), or split it",
                        file.display(),
                        handoff_epcis::limits::MAX_STREAM_EVENTS
                    ),
                ));
            }
            let document = read_document(&file)?;
            let r = typed_call!(a::EpcisImportRequest { document })?;
            let text = r
                .events
                .iter()
                .map(|e| {
                    let why = match (&e.code, &e.message) {
                        (Some(c), Some(m)) => format!(" {m} [{c}]"),
                        _ => String::new(),
                    };
                    format!("event {} {} {}{why}", e.index, e.status, e.hash)
                })
                .collect::<Vec<_>>()
                .join("\n");
            let refused = r
                .events
                .iter()
                .find(|e| e.status == "rejected")
                .map(rejection_of);
            let output = answer(&r, text)?;
            match refused {
                Some(rejection) => Err(CliError::Partial {
                    output: Box::new(output),
                    rejection,
                }),
                None => Ok(output),
            }
        }
        Cmd::Epcis(EpcisCmd::Export { scan, all, format }) => {
            let r = typed_call!(a::EpcisExportRequest { scan, all, format })?;
            let text = r.document.clone();
            answer(&r, text)
        }
        Cmd::Status => {
            let r = typed_call!(a::StatusRequest {})?;
            let text = format!(
                "height {} state root {}",
                r.height,
                short(r.state_root.as_deref().unwrap_or_default())
            );
            answer(&r, text)
        }
        Cmd::Genesis => {
            let r = typed_call!(a::GenesisRequest {})?;
            let text = r.genesis.clone();
            answer(&r, text)
        }
        #[cfg(feature = "p2p")]
        Cmd::Node(_) | Cmd::Testnet(_) | Cmd::Light(_) | Cmd::Join { .. } => Err(CliError::Other(
            anyhow::anyhow!("handled before a node is asked"),
        )),
        Cmd::Init(_)
        | Cmd::Demo(_)
        | Cmd::Bench(_)
        | Cmd::Load { .. }
        | Cmd::Id(_)
        | Cmd::Epcis(EpcisCmd::Hash { .. })
        | Cmd::Qr(_)
        | Cmd::Label { .. } => Err(CliError::Other(anyhow::anyhow!(
            "handled before a node is asked"
        ))),
    }
}

/// The full id of a handoff named by `id` (hex, or a unique prefix of the signer's open
/// handoffs), resolved before the answer closes it: a prefix is resolved by the node
/// (`handoff_show` resolves the same way the action does).
fn full_handoff_id(node: &dyn Api, who: &Caller, id: String) -> R<String> {
    let trimmed = id.trim().to_lowercase();
    if handoff_core::types::Hash32::from_hex(&trimmed).is_some() {
        return Ok(trimmed);
    }
    let shown = handoff_api::call_typed(node, who, handoff_api::HandoffShowRequest { id })
        .map_err(CliError::from)?;
    Ok(shown.handoff.id)
}
