//! `handoff demo`: a believable coffee supply chain on a fresh single-validator chain.
//!
//! Finca La Esperanza harvests two lots of green coffee and sells them to Andes Export,
//! who ships them to Northside Roasters (part of one lot arrives water-damaged). The
//! roaster roasts one lot into 300 serialized espresso bags and the other into a lot of
//! filter-roast bags, palletizes them, and hands the pallets to Harbor Logistics (one bag
//! is missing from a pallet on arrival). The roaster sells four pallets to Corner Grocer,
//! the warehouse delivers them, the grocer sells bags to consumers (and gift tins with
//! claim codes, one of which a consumer claims), and the roaster
//! recalls the filter-roast lot. Verde Certification, an auditor, certifies the espresso
//! EU organic and the farm Fairtrade, and revokes the filter roast's Rainforest Alliance
//! certificate; the exporter, roaster and warehouse notarize their shipping documents
//! (written to `documents/` in the folder, so `handoff doc verify` has files to check).
//!
//! Finance (PRODUCT.md §5), with two lenders, Harbor Bank and Coastal Credit: each sale
//! the buyer accepted backs an invoice in USD, which the buyer confirms. The farm's
//! invoice for the harvest (a contract, no purchase order: the lender's evidence flags
//! it) is financed by Harbor Bank, falls due unpaid and is marked overdue; the
//! exporter's for lot A (under the roaster's purchase order) is financed, repaid by the
//! roaster in two wires and settled; the roaster's for the grocer's four pallets
//! (NR-INV-5531, under the grocer's purchase order) has part split to Andes Export, its
//! supplier, and the rest financed. Harbor Logistics issues the roaster a warehouse
//! receipt for the filter pallet, pledged to Harbor Bank; after the recall the
//! warehouse's attempt to send it back is refused (PLEDGED, noted for the bank's alerts).
//! The farm's double financing is refused: a second lender for the funded invoice
//! (ALREADY_FINANCED), a second invoice over the same delivery (ALREADY_INVOICED). These
//! steps go through the node's typed API in this process, which seals the terms to the
//! parties and commits amounts with range proofs; they carry the time they were built
//! (due dates are set on the story's backdated days, so "overdue" is by chain time).
//! The summary's `finance` says where each asset ended and what was refused.
//!
//! Every org's key is saved in the data folder so any of them can act with `--as`.

use anyhow::{Context, Result, bail};
use clap::Args;
use handoff_api::{self as api, ApiError, Caller, Endpoint};
use handoff_core::block::Genesis;
use handoff_core::certify::{CertChange, CertSubject, Certify, DocKind, DocLink, Notarize};
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::state::StateReadExt;
use handoff_core::tx::*;
use handoff_core::types::{Hash32, PublicKey, Role};
use handoff_node::api::NodeApi;
use handoff_node::identity;
use handoff_node::images;
use handoff_node::ledger::{Ledger, Receipt, Sequencer, first_rejection, now_ms};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use std::path::Path;

/// Options of `handoff demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Espresso bags roasted (serialized items, 50 to a pallet; at least 250, so that
    /// five pallets exist for the story: four sold to the grocer, one shipped later).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(250..=100_000))]
    pub bags: u32,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

const DAY_MS: i64 = 86_400_000;

/// The story's steps, for the progress bar.
const STEPS: u64 = 73;

/// Appends the GS1 check digit.
pub fn with_check(digits: &str) -> String {
    format!("{digits}{}", check_digit(digits).unwrap_or(0))
}

struct Org {
    name: &'static str,
    key: Keypair,
    nonce: u64,
    gln: String,
}

impl Org {
    fn id(&self) -> PublicKey {
        self.key.public()
    }
}

/// The demo's cast and products.
pub struct Cast {
    registry: Org,
    farm: Org,
    exporter: Org,
    roaster: Org,
    warehouse: Org,
    grocer: Org,
    auditor: Org,
    bank: Org,
    credit: Org,
}

impl Cast {
    fn all(&self) -> [&Org; 9] {
        [
            &self.registry,
            &self.farm,
            &self.exporter,
            &self.roaster,
            &self.warehouse,
            &self.grocer,
            &self.auditor,
            &self.bank,
            &self.credit,
        ]
    }

    /// Catches each org's nonce up with the chain after steps the node signed itself
    /// (the finance chapter's, through its API).
    fn resync(&mut self, ledger: &Ledger) -> Result<()> {
        for o in [
            &mut self.registry,
            &mut self.farm,
            &mut self.exporter,
            &mut self.roaster,
            &mut self.warehouse,
            &mut self.grocer,
            &mut self.auditor,
            &mut self.bank,
            &mut self.credit,
        ] {
            o.nonce = ledger.store.next_nonce(&o.id())?;
        }
        Ok(())
    }
}

struct Run<'a> {
    ledger: &'a Ledger,
    /// The data folder, whose `keys/` hold every demo org's key (the API signs with them).
    data: &'a Path,
    bar: ProgressBar,
    start_ms: i64,
    /// Demo days since the harvest; event times are backdated onto this timeline.
    day: f64,
    txs: usize,
}

impl Run<'_> {
    fn tx(&mut self, org: &mut Org, payload: Payload) -> Result<SignedTx> {
        let body = TxBody {
            version: TX_VERSION,
            chain_id: self.ledger.chain_id(),
            signer: org.id(),
            nonce: org.nonce,
            event_time_ms: self.start_ms + (self.day * DAY_MS as f64) as i64,
            payload,
        };
        let tx = org.key.sign_tx(body)?;
        org.nonce += 1;
        Ok(tx)
    }

    fn commit(&mut self, what: &str, txs: Vec<SignedTx>) -> Result<Vec<Receipt>> {
        self.bar.set_message(what.to_string());
        let n = txs.len();
        let receipts = self.ledger.submit(txs)?;
        if let Some(r) = first_rejection(&receipts) {
            bail!(
                "demo step '{what}' was rejected: {} {}",
                r.code.as_str(),
                r.message
            );
        }
        self.txs += n;
        self.bar.inc(1);
        Ok(receipts)
    }

    fn one(&mut self, what: &str, org: &mut Org, payload: Payload) -> Result<Hash32> {
        let t = self.tx(org, payload)?;
        let id = t.id();
        self.commit(what, vec![t])?;
        Ok(id)
    }

    /// One request to the node's typed API in this process, as `who` (whose key is in the
    /// folder). The finance steps go this way: the node draws the blinding factors,
    /// proves the amounts and seals the terms to the parties, as it does for `handoff
    /// finance …`; it signs with the org's next nonce and the time now (so
    /// [`Cast::resync`] follows a chapter of them).
    fn call<E: Endpoint>(&self, who: &Org, req: E) -> Result<E::Response, ApiError> {
        let node = NodeApi::ledger_at(self.ledger, self.data);
        handoff_node::api::call(&node, &Caller::local(Some(who.name)), req).map_err(ApiError::from)
    }

    /// An action through the API (one transaction, one block).
    fn api<E: Endpoint>(&mut self, what: &str, who: &Org, req: E) -> Result<E::Response> {
        self.bar.set_message(what.to_string());
        let r = self
            .call(who, req)
            .map_err(|e| anyhow::anyhow!("demo step '{what}' failed: {e}"))?;
        self.txs += 1;
        self.bar.inc(1);
        Ok(r)
    }

    /// An action through the API that a ledger rule is meant to refuse with `code`:
    /// answers what the summary records of the attempt.
    fn refused<E: Endpoint>(&mut self, what: &str, who: &Org, req: E, code: &str) -> Result<Value> {
        self.bar.set_message(what.to_string());
        match self.call(who, req) {
            Ok(_) => bail!("demo step '{what}' was meant to be refused ({code}) but went through"),
            Err(e) if e.code == code => {
                self.bar.inc(1);
                Ok(json!({"step": what, "by": who.name, "code": e.code, "message": e.message}))
            }
            Err(e) => bail!("demo step '{what}' was meant to be refused with {code}, not: {e}"),
        }
    }
}

/// The demo's documents: written to `documents/` in the data folder (the files stay with
/// their owners; the chain holds their SHA-256).
struct Docs {
    dir: std::path::PathBuf,
}

impl Docs {
    fn new(data: &Path) -> Result<Docs> {
        let dir = data.join("documents");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Docs { dir })
    }

    /// Writes `text` as `name` and answers the transaction registering it: its SHA-256
    /// with a type, a title and what it concerns.
    fn notarize(
        &self,
        name: &str,
        text: &str,
        kind: DocKind,
        title: &str,
        link: DocLink,
    ) -> Result<Payload> {
        Ok(Payload::NotarizeDocument(Notarize {
            hash: self.write(name, text)?,
            kind,
            title: title.into(),
            links: vec![link],
        }))
    }

    /// Writes `text` as `name` and answers its SHA-256.
    fn write(&self, name: &str, text: &str) -> Result<Hash32> {
        let path = self.dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(handoff_core::types::sha256(&[text.as_bytes()]))
    }
}

fn serial(gtin: &str, s: &str) -> Gs1Key {
    Gs1Key::Serial {
        gtin: gtin.to_string(),
        serial: s.to_string(),
    }
}

fn lot(gtin: &str, l: &str) -> Gs1Key {
    Gs1Key::Lot {
        gtin: gtin.to_string(),
        lot: l.to_string(),
    }
}

fn sscc(prefix: &str, n: u32) -> Gs1Key {
    Gs1Key::Sscc {
        sscc: with_check(&format!("3{prefix}{n:0>width$}", width = 16 - prefix.len())),
    }
}

fn gtin(prefix: &str, item_ref: u32) -> String {
    with_check(&format!(
        "0{prefix}{item_ref:0>width$}",
        width = 12 - prefix.len()
    ))
}

fn handoff(
    to: PublicKey,
    entries: Vec<Entry>,
    transfer: Transfer,
    from_gln: &str,
    to_gln: &str,
    docs: &[(&str, &str)],
) -> Payload {
    Payload::ProposeHandoff(ProposeHandoff {
        to,
        entries,
        transfer,
        ship_from: Some(from_gln.to_string()),
        ship_to: Some(to_gln.to_string()),
        docs: docs
            .iter()
            .map(|(kind, id)| DocRef {
                kind: (*kind).into(),
                id: (*id).into(),
            })
            .collect(),
        expires_at_height: None,
    })
}

fn accept(handoff: Hash32, missing: Vec<Entry>, damaged: Vec<Entry>) -> Payload {
    Payload::AcceptHandoff(AcceptHandoff {
        handoff,
        missing,
        damaged,
    })
}

fn org(name: &'static str, gln_prefix: &str) -> Result<Org> {
    Ok(Org {
        name,
        key: identity::generate()?,
        nonce: 0,
        gln: with_check(&format!(
            "{gln_prefix}{:0>width$}",
            1,
            width = 12 - gln_prefix.len()
        )),
    })
}

/// The accepted deliveries the finance chapter invoices and the goods it pledges.
struct Delivered {
    /// Farm → exporter, both harvest lots, custody and ownership (under a contract: no
    /// purchase order, which the lender's evidence flags).
    harvest: Hash32,
    /// Exporter → roaster, both lots (purchase order and bill of lading; 60 kg of lot B
    /// arrived damaged).
    green: Hash32,
    /// Lot A as a scan, the part of `green` invoiced.
    lot_a: String,
    /// Roaster → grocer, ownership of four pallets (purchase order and invoice).
    pallets: Hash32,
    /// The filter-roast pallet the warehouse holds for the roaster.
    filter_pallet: String,
    /// The story's day 0.
    start_ms: i64,
}

impl Delivered {
    /// The date (`YYYY-MM-DD`, UTC) of the story's day `day`: due dates, which the chain
    /// compares with its block time, so a date before today is past due.
    fn date(&self, day: i64) -> String {
        let (y, m, d) = handoff_core::query::civil_date(self.start_ms + day * DAY_MS);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// The finance chapter's assets (ids, hex).
struct Deals {
    /// The farm's invoice to the exporter, funded by Harbor Bank, left unpaid.
    overdue: String,
    /// The exporter's invoice to the roaster, funded by Harbor Bank, repaid and settled.
    repaid: String,
    /// The roaster's invoice to the grocer, part split to the exporter, the rest funded.
    split: String,
    /// The part of `split` the exporter holds.
    part: String,
    /// Harbor Logistics' warehouse receipt over the filter pallet, pledged to Harbor Bank.
    receipt: String,
}

/// The finance chapter, its first part (after the grocer received the four pallets):
/// every finance org publishes its seal key; the farm, the exporter and the roaster each
/// invoice a delivery their buyer accepted, and the buyer confirms (a payment promise);
/// the roaster passes part of the grocer's promise to its own supplier, the exporter;
/// Harbor Bank finances the three sellers (request, offer, acceptance, funding); and
/// Harbor Logistics issues the roaster a warehouse receipt for the filter pallet, which
/// the roaster pledges to Harbor Bank. Every step is the node's own (`handoff finance
/// …` through the typed API): amounts sealed to the parties, commitments on chain.
fn finance_deals(r: &mut Run, c: &Cast, d: &Delivered) -> Result<Deals> {
    for o in [
        &c.farm,
        &c.exporter,
        &c.roaster,
        &c.grocer,
        &c.bank,
        &c.credit,
    ] {
        r.api(
            &format!("{} enables finance", o.name),
            o,
            api::FinanceEnableRequest {},
        )?;
    }
    let issue =
        |buyer: &Org, invoice: &str, line: String, due: String| api::ReceivableIssueRequest {
            buyer: buyer.name.into(),
            invoice: invoice.into(),
            currency: "USD".into(),
            lines: vec![line],
            due: Some(due),
        };
    // The harvest, 21,000 kg at $3.90, net 30 from delivery: past due by now.
    let overdue = r
        .api(
            "farm invoices the exporter for the harvest",
            &c.farm,
            issue(
                &c.exporter,
                "FLE-2026-031",
                format!("{}=81900.00", d.harvest.to_hex()),
                d.date(37),
            ),
        )?
        .id;
    r.api(
        "exporter confirms the farm's invoice",
        &c.exporter,
        api::ReceivableConfirmRequest {
            id: overdue.clone(),
        },
    )?;
    // Lot A, 12,000 kg at $5.10 (lot B waits on the insurance claim for the water
    // damage), net 60.
    let repaid = r
        .api(
            "exporter invoices the roaster for lot A",
            &c.exporter,
            issue(
                &c.roaster,
                "AE-INV-2026-207",
                format!("{}/{}=61200.00", d.green.to_hex(), d.lot_a),
                d.date(75),
            ),
        )?
        .id;
    r.api(
        "roaster confirms the exporter's invoice",
        &c.roaster,
        api::ReceivableConfirmRequest { id: repaid.clone() },
    )?;
    // The four pallets, 200 bags at $8.40, under the invoice notarized with the sale.
    let split = r
        .api(
            "roaster invoices the grocer for four pallets",
            &c.roaster,
            issue(
                &c.grocer,
                "NR-INV-5531",
                format!("{}=1680.00", d.pallets.to_hex()),
                d.date(70),
            ),
        )?
        .id;
    r.api(
        "grocer confirms the roaster's invoice",
        &c.grocer,
        api::ReceivableConfirmRequest { id: split.clone() },
    )?;
    let part = r
        .api(
            "roaster passes part of the grocer's promise to Andes Export",
            &c.roaster,
            api::ReceivableSplitRequest {
                id: split.clone(),
                to: c.exporter.name.into(),
                amount: "600.00".into(),
            },
        )?
        .created
        .first()
        .cloned()
        .context("splitting the roaster's invoice answered no new part")?;
    for (seller, id, advance, fee) in [
        (&c.farm, &overdue, "80", "1150.00"),
        (&c.exporter, &repaid, "90", "420.00"),
        (&c.roaster, &split, "85", "14.00"),
    ] {
        r.api(
            &format!("{} asks Harbor Bank to finance its invoice", seller.name),
            seller,
            api::ReceivableRequestFinanceRequest {
                id: id.clone(),
                lender: c.bank.name.into(),
            },
        )?;
        r.api(
            &format!("Harbor Bank offers {advance}% to {}", seller.name),
            &c.bank,
            api::ReceivableOfferRequest {
                id: id.clone(),
                advance: advance.into(),
                fee: fee.into(),
            },
        )?;
        r.api(
            &format!("{} accepts the offer", seller.name),
            seller,
            api::ReceivableAcceptOfferRequest { id: id.clone() },
        )?;
        r.api(
            &format!("Harbor Bank funds {}", seller.name),
            &c.bank,
            api::ReceivableFundRequest { id: id.clone() },
        )?;
    }
    // Inventory finance on the roaster's stock at the warehouse.
    let receipt = r
        .api(
            "warehouse issues a receipt for the filter pallet",
            &c.warehouse,
            api::ReceiptIssueRequest {
                owner: c.roaster.name.into(),
                goods: vec![d.filter_pallet.clone()],
            },
        )?
        .id;
    r.api(
        "roaster pledges the receipt to Harbor Bank",
        &c.roaster,
        api::ReceiptPledgeRequest {
            id: receipt.clone(),
            lender: c.bank.name.into(),
        },
    )?;
    r.api(
        "Harbor Bank accepts the pledge",
        &c.bank,
        api::ReceiptAcceptPledgeRequest {
            id: receipt.clone(),
        },
    )?;
    Ok(Deals {
        overdue,
        repaid,
        split,
        part,
        receipt,
    })
}

/// The finance chapter's outcome (after the recall): the warehouse tries to send the
/// recalled filter pallet back to the roaster and is refused (PLEDGED: the bank holds
/// it), an attempt the node notes for the bank; the roaster pays the exporter's invoice
/// in two wires and the bank settles it; the exporter has not paid the farm, so the bank
/// marks that invoice overdue; and the farm's double financing is refused: a second
/// lender for the funded invoice (ALREADY_FINANCED) and a second invoice over the same
/// delivery (ALREADY_INVOICED). Answers the refused attempts.
fn finance_outcomes(r: &mut Run, c: &Cast, d: &Delivered, deals: &Deals) -> Result<Vec<Value>> {
    let mut refused = vec![r.refused(
        "warehouse tries to return the pledged filter pallet to the roaster",
        &c.warehouse,
        api::ProposeRequest {
            to: c.roaster.name.into(),
            scans: vec![d.filter_pallet.clone()],
            transfer: api::TransferKind::Custody,
            qty: None,
            ship_from: Some(c.warehouse.gln.clone()),
            ship_to: Some(c.roaster.gln.clone()),
            docs: vec![api::DocRef {
                kind: "despatch_advice".into(),
                id: "HL-RET-0031".into(),
            }],
            expires_in: None,
        },
        "PLEDGED",
    )?];
    for (amount, reference) in [("36720.00", "NR-WIRE-0915"), ("24480.00", "NR-WIRE-0930")] {
        r.api(
            &format!("roaster pays {amount} of the exporter's invoice"),
            &c.roaster,
            api::ReceivableRepayRequest {
                id: deals.repaid.clone(),
                amount: amount.into(),
                reference: reference.into(),
            },
        )?;
    }
    r.api(
        "Harbor Bank settles the exporter's invoice",
        &c.bank,
        api::ReceivableSettleRequest {
            id: deals.repaid.clone(),
        },
    )?;
    r.api(
        "Harbor Bank marks the farm's invoice overdue",
        &c.bank,
        api::ReceivableOverdueRequest {
            id: deals.overdue.clone(),
        },
    )?;
    refused.push(r.refused(
        "farm asks Coastal Credit to finance the funded invoice",
        &c.farm,
        api::ReceivableRequestFinanceRequest {
            id: deals.overdue.clone(),
            lender: c.credit.name.into(),
        },
        "ALREADY_FINANCED",
    )?);
    refused.push(r.refused(
        "farm invoices the harvest a second time",
        &c.farm,
        api::ReceivableIssueRequest {
            buyer: c.exporter.name.into(),
            invoice: "FLE-2026-031-B".into(),
            currency: "USD".into(),
            lines: vec![format!("{}=81900.00", d.harvest.to_hex())],
            due: None,
        },
        "ALREADY_INVOICED",
    )?);
    Ok(refused)
}

/// What the summary says of a finance asset, read back through the API as `who` (a party,
/// so with its terms).
fn asset_summary(r: &Run, who: &Org, id: &str) -> Result<Value> {
    let a = r
        .call(who, api::FinanceShowRequest { id: id.into() })
        .map_err(|e| anyhow::anyhow!("reading finance asset {id} back: {e}"))?
        .asset;
    let mut v = json!({"id": a.id, "kind": a.kind, "status": a.status});
    for p in &a.parties {
        v[p.role.as_str()] = json!(p.name);
    }
    if let Some(t) = &a.terms {
        v["invoice"] = json!(t.invoice);
        v["currency"] = json!(a.currency);
        v["face"] = json!(t.face);
        v["outstanding"] = json!(t.outstanding);
        v["paid"] = json!(t.paid);
    }
    if let Some(due) = a.due_ms {
        let (y, m, d) = handoff_core::query::civil_date(due);
        v["due"] = json!(format!("{y:04}-{m:02}-{d:02}"));
    }
    if !a.goods.is_empty() {
        v["goods"] = json!(a.goods);
    }
    Ok(v)
}

/// Seeds the demo into `data` (which must not hold a chain yet).
pub fn run(data: &Path, a: DemoArgs) -> Result<crate::cli::Output> {
    if handoff_node::ledger::chain_dir(data).exists() {
        bail!(
            "{} already holds a chain; give another --data folder or remove it",
            data.display()
        );
    }
    if a.bags == 0 || a.bags > 5000 {
        bail!("--bags must be between 1 and 5000");
    }
    let started = std::time::Instant::now();
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let mut c = Cast {
        registry: org("Handoff Demo Registry", "950600")?,
        farm: org("Finca La Esperanza", "7709876")?,
        exporter: org("Andes Export", "7705432")?,
        roaster: org("Northside Roasters", "0614141")?,
        warehouse: org("Harbor Logistics", "0614142")?,
        grocer: org("Corner Grocer", "0614143")?,
        auditor: org("Verde Certification", "7701234")?,
        bank: org("Harbor Bank", "0614144")?,
        credit: org("Coastal Credit", "0614145")?,
    };
    let (gln_farm, gln_exporter, gln_roaster, gln_warehouse) = (
        c.farm.gln.clone(),
        c.exporter.gln.clone(),
        c.roaster.gln.clone(),
        c.warehouse.gln.clone(),
    );
    let farm_prefix = "7709876";
    let roaster_prefix = "0614141";
    let admit = |o: &Org, prefixes: &[&str], roles: Vec<Role>| AdmitOrg {
        org: o.id(),
        name: o.name.to_string(),
        prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        glns: vec![o.gln.clone()],
        roles,
    };
    let validator = identity::generate()?;
    let now = now_ms();
    let start_ms = now - 45 * DAY_MS;
    let genesis = Genesis {
        name: "Handoff coffee demo".into(),
        time_ms: start_ms,
        validators: vec![validator.public()],
        orgs: vec![
            admit(&c.registry, &[], vec![Role::Registrar]),
            admit(&c.farm, &[farm_prefix], vec![Role::Producer]),
            admit(&c.exporter, &[], vec![Role::Distributor, Role::Carrier]),
            admit(&c.roaster, &[roaster_prefix], vec![Role::Manufacturer]),
            admit(&c.warehouse, &[], vec![Role::Warehouse, Role::Carrier]),
            admit(&c.grocer, &[], vec![Role::Retailer]),
            admit(&c.auditor, &[], vec![Role::Auditor]),
            admit(&c.bank, &[], vec![Role::Lender]),
            admit(&c.credit, &[], vec![Role::Lender]),
        ],
    };
    for o in c.all() {
        identity::save(data, o.name, &o.key, now)?;
    }
    identity::save_validator(data, &validator, now)?;
    let ledger = Ledger::create(data, &genesis, validator)?;

    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(STEPS)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut r = Run {
        ledger: &ledger,
        data,
        bar,
        start_ms,
        day: 0.0,
        txs: 0,
    };

    let docs = Docs::new(data)?;

    // The farm: product, harvest lots, drying inspection.
    let green = gtin(farm_prefix, 10);
    let (lot_a, lot_b) = (lot(&green, "HUI-2609-A"), lot(&green, "HUI-2609-B"));
    r.one(
        "farm defines green coffee",
        &mut c.farm,
        Payload::DefineProduct {
            gtin: green.clone(),
            name: "Green coffee, washed Arabica (kg)".into(),
            description: "Castillo and Caturra, Huila, Colombia; 1,750 m".into(),
            attributes: vec![
                ("unit".into(), "kg".into()),
                ("origin".into(), "CO-HUI".into()),
            ],
            image_hash: Some(images::GREEN_COFFEE.hash()),
        },
    )?;
    r.day = 1.0;
    let farm_gln = Some(c.farm.gln.clone());
    let t = r.tx(
        &mut c.farm,
        Payload::Commission(Commission {
            entries: vec![
                Entry::lot(lot_a.clone(), 12_000),
                Entry::lot(lot_b.clone(), 9_000),
            ],
            claim_keys: vec![],
            at: farm_gln.clone(),
            lot: None,
            expiry: Some("270930".into()),
            attributes: vec![
                ("harvest".into(), "2026-09".into()),
                ("process".into(), "washed".into()),
            ],
        }),
    )?;
    r.commit("farm commissions two harvest lots", vec![t])?;
    r.day = 4.0;
    r.one(
        "farm records drying",
        &mut c.farm,
        Payload::Observe(Observe {
            entries: vec![
                Entry::lot(lot_a.clone(), 12_000),
                Entry::lot(lot_b.clone(), 9_000),
            ],
            at: farm_gln,
            kind: "drying_complete".into(),
            readings: vec![("moisture_pct".into(), "11.2".into())],
        }),
    )?;

    // Farm → exporter: custody and ownership of both lots.
    r.day = 6.0;
    let exp_gln = c.exporter.gln.clone();
    let h1 = r.one(
        "farm ships to the exporter",
        &mut c.farm,
        handoff(
            c.exporter.id(),
            vec![
                Entry::lot(lot_a.clone(), 12_000),
                Entry::lot(lot_b.clone(), 9_000),
            ],
            Transfer::Both,
            &gln_farm,
            &exp_gln,
            &[("contract", "AE-2026-118")],
        ),
    )?;
    r.day = 7.0;
    r.one(
        "exporter accepts",
        &mut c.exporter,
        accept(h1, vec![], vec![]),
    )?;
    r.day = 9.0;
    r.one(
        "exporter inspects",
        &mut c.exporter,
        Payload::Observe(Observe {
            entries: vec![
                Entry::lot(lot_a.clone(), 12_000),
                Entry::lot(lot_b.clone(), 9_000),
            ],
            at: Some(exp_gln.clone()),
            kind: "phytosanitary_inspection".into(),
            readings: vec![
                ("certificate".into(), "ICA-PF-77120".into()),
                ("result".into(), "pass".into()),
            ],
        }),
    )?;

    // Exporter → roaster by sea; 60 kg of lot B arrive water-damaged.
    r.day = 12.0;
    let roast_gln = c.roaster.gln.clone();
    let h2 = r.one(
        "exporter ships to the roaster",
        &mut c.exporter,
        handoff(
            c.roaster.id(),
            vec![
                Entry::lot(lot_a.clone(), 12_000),
                Entry::lot(lot_b.clone(), 9_000),
            ],
            Transfer::Both,
            &gln_exporter,
            &roast_gln,
            &[
                ("po", "NR-PO-2026-044"),
                ("bill_of_lading", "MAEU-240981337"),
            ],
        ),
    )?;
    r.day = 12.5;
    let doc = docs.notarize(
        "bill-of-lading-MAEU-240981337.txt",
        "BILL OF LADING MAEU-240981337\nShipper: Andes Export, Cartagena\nConsignee: \
         Northside Roasters, Portland\n21,000 kg green coffee in 350 bags, lots HUI-2609-A \
         and HUI-2609-B\n",
        DocKind::BillOfLading,
        "Bill of lading MAEU-240981337",
        DocLink::Handoff(h2),
    )?;
    r.one(
        "exporter notarizes the bill of lading",
        &mut c.exporter,
        doc,
    )?;
    r.day = 31.0;
    r.one(
        "roaster accepts; 60 kg damaged",
        &mut c.roaster,
        accept(h2, vec![], vec![Entry::lot(lot_b.clone(), 60)]),
    )?;

    // The roaster's products and the roast (transforms).
    let espresso = gtin(roaster_prefix, 2501);
    let filter = gtin(roaster_prefix, 1001);
    r.one(
        "roaster defines espresso",
        &mut c.roaster,
        Payload::DefineProduct {
            gtin: espresso.clone(),
            name: "Northside Espresso Roast 250 g".into(),
            description: "Single origin Huila, roasted in Portland".into(),
            // The brand displays the organic certification: the verdict checks it counts.
            attributes: vec![
                ("net_weight_g".into(), "250".into()),
                ("certification".into(), "EU organic".into()),
            ],
            image_hash: Some(images::ESPRESSO.hash()),
        },
    )?;
    r.one(
        "roaster defines filter roast",
        &mut c.roaster,
        Payload::DefineProduct {
            gtin: filter.clone(),
            name: "Northside Filter Roast 1 kg".into(),
            description: "Light roast for batch brew".into(),
            attributes: vec![("net_weight_g".into(), "1000".into())],
            image_hash: Some(images::FILTER_ROAST.hash()),
        },
    )?;
    // The auditor certifies: the espresso EU organic, the farm Fairtrade, the filter
    // roast Rainforest Alliance (revoked below). Each certificate's document is written
    // to the folder and only its hash goes on the chain.
    r.day = 32.0;
    let year = 365 * DAY_MS;
    let mut certify = |r: &mut Run,
                       what: &str,
                       subject: CertSubject,
                       scheme: &str,
                       standard: &str,
                       number: &str,
                       file: &str|
     -> Result<Hash32> {
        let document = docs.write(
            file,
            &format!("{scheme} certificate {number}\n{standard}\n"),
        )?;
        let cert = Certify {
            subject,
            scheme: scheme.into(),
            standard: standard.into(),
            number: number.into(),
            valid_from_ms: start_ms - 200 * DAY_MS,
            valid_until_ms: start_ms + 2 * year,
            document: Some(document),
        };
        let id = cert.id(&c.auditor.id());
        r.one(what, &mut c.auditor, Payload::Certify(cert))?;
        Ok(id)
    };
    certify(
        &mut r,
        "auditor certifies the espresso organic",
        CertSubject::Product(espresso.clone()),
        "EU organic",
        "EU 2018/848",
        "CO-BIO-141-2026-0187",
        "certificate-eu-organic.txt",
    )?;
    certify(
        &mut r,
        "auditor certifies the farm Fairtrade",
        CertSubject::Org(c.farm.id()),
        "Fairtrade",
        "Fairtrade Small-scale Producer Organizations 2.3",
        "FLO-ID 4711",
        "certificate-fairtrade.txt",
    )?;
    let rainforest = certify(
        &mut r,
        "auditor certifies the filter roast",
        CertSubject::Product(filter.clone()),
        "Rainforest Alliance",
        "Chain of Custody 2020 v1.3",
        "RA-CoC-0098812",
        "certificate-rainforest-alliance.txt",
    )?;
    r.day = 33.0;
    let bags: Vec<Gs1Key> = (1..=a.bags)
        .map(|i| serial(&espresso, &format!("E2610{i:05}")))
        .collect();
    let green_kg = u64::from(a.bags).div_ceil(4) + 5; // 250 g a bag plus roast loss
    r.one(
        "roaster roasts espresso bags",
        &mut c.roaster,
        Payload::Transform(Transform {
            inputs: vec![Entry::lot(lot_a.clone(), green_kg)],
            outputs: bags.iter().cloned().map(Entry::item).collect(),
            at: Some(roast_gln.clone()),
            expiry: Some("271031".into()),
            attributes: vec![("roast".into(), "full city".into())],
        }),
    )?;
    let filter_lot = lot(&filter, "F2610-07");
    r.one(
        "roaster roasts a filter lot",
        &mut c.roaster,
        Payload::Transform(Transform {
            inputs: vec![Entry::lot(lot_b.clone(), 200)],
            outputs: vec![Entry::lot(filter_lot.clone(), 160)],
            at: Some(roast_gln.clone()),
            expiry: Some("270831".into()),
            attributes: vec![("roast".into(), "city".into())],
        }),
    )?;
    r.one(
        "roaster cups the roast",
        &mut c.roaster,
        Payload::Observe(Observe {
            entries: bags.iter().take(5).cloned().map(Entry::item).collect(),
            at: Some(roast_gln.clone()),
            kind: "cupping".into(),
            readings: vec![("score".into(), "86.5".into())],
        }),
    )?;

    // Pallets of 50 bags, and one pallet of the filter lot.
    r.day = 34.0;
    let mut pallets = Vec::new();
    let mut packs = Vec::new();
    for (i, chunk) in bags.chunks(50).enumerate() {
        let p = sscc(roaster_prefix, i as u32 + 1);
        packs.push(r.tx(
            &mut c.roaster,
            Payload::Pack {
                container: p.clone(),
                entries: chunk.iter().cloned().map(Entry::item).collect(),
            },
        )?);
        pallets.push(p);
    }
    let filter_pallet = sscc(roaster_prefix, 900);
    packs.push(r.tx(
        &mut c.roaster,
        Payload::Pack {
            container: filter_pallet.clone(),
            entries: vec![Entry::lot(filter_lot.clone(), 160)],
        },
    )?);
    r.commit("roaster palletizes", packs)?;

    // Roaster → warehouse (custody only; the roaster keeps ownership). One bag is missing.
    r.day = 35.0;
    let wh_gln = c.warehouse.gln.clone();
    let mut to_wh: Vec<Entry> = pallets.iter().cloned().map(Entry::item).collect();
    to_wh.push(Entry::item(filter_pallet.clone()));
    let h3 = r.one(
        "roaster hands pallets to the warehouse",
        &mut c.roaster,
        handoff(
            c.warehouse.id(),
            to_wh,
            Transfer::Custody,
            &gln_roaster,
            &wh_gln,
            &[("asn", "NR-ASN-20261029")],
        ),
    )?;
    let missing_bag = bags.get(17).cloned();
    r.day = 35.5;
    r.one(
        "warehouse receives; one bag missing",
        &mut c.warehouse,
        accept(
            h3,
            missing_bag.iter().cloned().map(Entry::item).collect(),
            vec![],
        ),
    )?;
    r.day = 36.0;
    r.one(
        "warehouse logs cold-room temperature",
        &mut c.warehouse,
        Payload::Observe(Observe {
            entries: pallets.iter().cloned().map(Entry::item).collect(),
            at: Some(wh_gln.clone()),
            kind: "storage".into(),
            readings: vec![
                ("temperature_c".into(), "18.5".into()),
                ("humidity_pct".into(), "55".into()),
            ],
        }),
    )?;

    // The grocer buys four pallets (ownership from the roaster, custody from the warehouse).
    r.day = 40.0;
    let sold_pallets: Vec<Entry> = pallets.iter().take(4).cloned().map(Entry::item).collect();
    let grocer_gln = c.grocer.gln.clone();
    let h4 = r.one(
        "roaster sells four pallets to the grocer",
        &mut c.roaster,
        handoff(
            c.grocer.id(),
            sold_pallets.clone(),
            Transfer::Ownership,
            &gln_roaster,
            &grocer_gln,
            &[("po", "CG-PO-2210"), ("invoice", "NR-INV-5531")],
        ),
    )?;
    let doc = docs.notarize(
        "invoice-NR-INV-5531.txt",
        "INVOICE NR-INV-5531\nNorthside Roasters to Corner Grocer\n200 x Northside \
         Espresso Roast 250 g, 4 pallets\n",
        DocKind::Invoice,
        "Invoice NR-INV-5531",
        DocLink::Handoff(h4),
    )?;
    r.one("roaster notarizes the invoice", &mut c.roaster, doc)?;
    r.one(
        "grocer accepts the sale",
        &mut c.grocer,
        accept(h4, vec![], vec![]),
    )?;
    r.day = 41.0;
    let h5 = r.one(
        "warehouse delivers to the grocer",
        &mut c.warehouse,
        handoff(
            c.grocer.id(),
            sold_pallets,
            Transfer::Custody,
            &gln_warehouse,
            &grocer_gln,
            &[("delivery_note", "HL-DN-88412")],
        ),
    )?;
    let doc = docs.notarize(
        "delivery-note-HL-DN-88412.txt",
        "DELIVERY NOTE HL-DN-88412\nHarbor Logistics to Corner Grocer\n4 pallets\n",
        DocKind::DespatchAdvice,
        "Delivery note HL-DN-88412",
        DocLink::Handoff(h5),
    )?;
    r.one(
        "warehouse notarizes the delivery note",
        &mut c.warehouse,
        doc,
    )?;
    r.one(
        "grocer receives the delivery",
        &mut c.grocer,
        accept(h5, vec![], vec![]),
    )?;

    // Finance: each accepted sale backs an invoice and Harbor Bank finances them; the
    // roaster pledges the stock it keeps at the warehouse (see `finance_deals`).
    let delivered = Delivered {
        harvest: h1,
        green: h2,
        lot_a: format!("(01){green}(10)HUI-2609-A"),
        pallets: h4,
        filter_pallet: filter_pallet.canonical(),
        start_ms,
    };
    let deals = finance_deals(&mut r, &c, &delivered)?;
    c.resync(&ledger)?;

    // On the shelf: unpack the first pallet, sell some bags; a consumer claims one.
    r.day = 42.0;
    r.one(
        "grocer unpacks a pallet",
        &mut c.grocer,
        Payload::Unpack {
            container: pallets[0].clone(),
            entries: vec![],
        },
    )?;
    let on_shelf: Vec<Gs1Key> = bags
        .iter()
        .take(50)
        .filter(|b| Some(*b) != missing_bag.as_ref())
        .cloned()
        .collect();
    let sold: Vec<Gs1Key> = on_shelf.iter().take(12).cloned().collect();
    r.day = 43.0;
    r.one(
        "grocer sells bags",
        &mut c.grocer,
        Payload::Sell {
            entries: sold.iter().cloned().map(Entry::item).collect(),
        },
    )?;

    // Gift tins with claim codes: the roaster commissions them, each with its own random
    // secret (written to claim-codes.csv for the label printer; the chain gets only the
    // public keys), sends them to the grocer, who sells two; a consumer claims the first.
    r.day = 42.2;
    let tins: Vec<Gs1Key> = (1..=4)
        .map(|i| serial(&espresso, &format!("TIN{i:03}")))
        .collect();
    let secrets = tins
        .iter()
        .map(|_| identity::claim_secret().map_err(|e| anyhow::anyhow!("{e:?}")))
        .collect::<Result<Vec<_>>>()?;
    let codes_path = data.join("claim-codes.csv");
    let mut codes_csv = String::from("item,code\n");
    for (t, s) in tins.iter().zip(&secrets) {
        codes_csv.push_str(&format!("{},{}\n", t.canonical(), s.code()));
    }
    std::fs::write(&codes_path, codes_csv)
        .with_context(|| format!("cannot write {}", codes_path.display()))?;
    let tin_entries: Vec<Entry> = tins.iter().cloned().map(Entry::item).collect();
    r.one(
        "roaster commissions gift tins with claim codes",
        &mut c.roaster,
        Payload::Commission(Commission {
            entries: tin_entries.clone(),
            claim_keys: tins
                .iter()
                .zip(&secrets)
                .map(|(t, s)| s.public_key(t))
                .collect(),
            at: Some(gln_roaster.clone()),
            lot: None,
            expiry: Some("270630".into()),
            attributes: vec![("edition".into(), "gift tin".into())],
        }),
    )?;
    let h_tins = r.one(
        "roaster sends the gift tins to the grocer",
        &mut c.roaster,
        handoff(
            c.grocer.id(),
            tin_entries,
            Transfer::Both,
            &gln_roaster,
            &grocer_gln,
            &[("despatch_advice", "NR-DA-20412")],
        ),
    )?;
    r.one(
        "grocer receives the gift tins",
        &mut c.grocer,
        accept(h_tins, vec![], vec![]),
    )?;
    r.day = 43.2;
    r.one(
        "grocer sells gift tins",
        &mut c.grocer,
        Payload::Sell {
            entries: tins.iter().take(2).cloned().map(Entry::item).collect(),
        },
    )?;
    let mut consumer = Org {
        name: "a consumer",
        key: identity::consumer(data, now).map_err(|e| anyhow::anyhow!("{e:?}"))?,
        nonce: 0,
        gln: String::new(),
    };
    let claim_signature = secrets[0].sign(&ledger.chain_id(), &tins[0], &consumer.id());
    r.one(
        "a consumer claims a gift tin",
        &mut consumer,
        Payload::Claim(Claim {
            item: tins[0].clone(),
            claim_signature,
        }),
    )?;

    // The filter-roast lot is recalled.
    r.day = 44.0;
    r.one(
        "roaster recalls the filter lot",
        &mut c.roaster,
        Payload::Recall {
            gtin: filter.clone(),
            scope: RecallScope::Lot("F2610-07".into()),
            reason: "possible foreign material from a damaged sieve".into(),
        },
    )?;
    let doc = docs.notarize(
        "lab-report-F2610-07.txt",
        "LAB REPORT F2610-07\nForeign material: metal fragments 0.4-1.1 mm in 3 of 20 \
         samples\n",
        DocKind::LabReport,
        "Lab report, filter lot F2610-07",
        DocLink::Thing(filter_lot.clone()),
    )?;
    r.one("roaster notarizes the lab report", &mut c.roaster, doc)?;
    r.one(
        "auditor revokes the filter roast's certificate",
        &mut c.auditor,
        Payload::ChangeCertification {
            id: rainforest,
            change: CertChange::Revoke,
            reason: "chain-of-custody audit failed after the recall".into(),
        },
    )?;
    // Finance, the outcome: a refused move of the pledged pallet, a repaid invoice, an
    // overdue one, and a double financing the chain refuses.
    r.day = 44.2;
    let refused = finance_outcomes(&mut r, &c, &delivered, &deals)?;
    c.resync(&ledger)?;
    // Still on the road: the next delivery waits in the grocer's inbox.
    r.day = 44.5;
    r.one(
        "warehouse ships the next pallet",
        &mut c.warehouse,
        handoff(
            c.grocer.id(),
            vec![Entry::item(pallets[pallets.len().min(5) - 1].clone())],
            Transfer::Custody,
            &gln_warehouse,
            &grocer_gln,
            &[("delivery_note", "HL-DN-88519")],
        ),
    )?;
    r.bar.finish_and_clear();

    let orgs: Vec<_> = c
        .all()
        .iter()
        .map(|o| json!({"name": o.name, "key": o.id().to_hex(), "gln": o.gln}))
        .collect();
    // The finance chapter as its parties read it back (the lender, and the exporter for
    // the part it holds): status, parties and the terms sealed to them.
    let codes: Vec<&str> = refused.iter().filter_map(|x| x["code"].as_str()).collect();
    let finance = json!({
        "lender": c.bank.name,
        "receivables": {
            "split": asset_summary(&r, &c.bank, &deals.split)?,
            "supplier_part": asset_summary(&r, &c.exporter, &deals.part)?,
            "repaid": asset_summary(&r, &c.bank, &deals.repaid)?,
            "overdue": asset_summary(&r, &c.bank, &deals.overdue)?,
        },
        "receipt": asset_summary(&r, &c.bank, &deals.receipt)?,
        "refused": refused,
    });
    let finance_text = format!(
        "finance: {} finances the roaster's invoice to the grocer (part split to {}), the \
         exporter's (repaid, settled) and the farm's (overdue), and holds the filter pallet \
         under a pledged warehouse receipt; refused: {}",
        c.bank.name,
        c.exporter.name,
        codes.join(", ")
    );
    let height = ledger.store.height();
    let seconds = started.elapsed().as_secs_f64();
    let sold_bag = sold[0].canonical();
    let shelf_bag = on_shelf.get(20).map(|k| k.canonical()).unwrap_or_default();
    let missing = missing_bag.map(|k| k.canonical()).unwrap_or_default();
    let out = json!({
        "data": data.display().to_string(),
        "orgs": orgs,
        "transactions": r.txs,
        "height": height,
        "items": {"espresso_bags": bags.len(), "pallets": pallets.len() + 1, "lots": 3},
        "examples": {
            "sold_bag": sold_bag,
            "shelf_bag": shelf_bag,
            "missing_bag": missing,
            "recalled_lot": filter_lot.canonical(),
            "pallet": pallets[1].canonical(),
            "green_lot": lot_a.canonical(),
            "claimed_tin": tins[0].canonical(),
            "sold_tin": tins[1].canonical(),
            "claim_codes": codes_path.display().to_string(),
            "documents": docs.dir.display().to_string(),
        },
        "finance": finance,
        "seconds": seconds,
    });
    let text = format!(
        "seeded {} transactions in {height} blocks in {seconds:.1} s into {}\n\
         orgs: {}\n\
         {finance_text}\n\
         try:\n  handoff --data {d} item history {sold_bag}\n  handoff --data {d} verify {shelf_bag}\n  \
         handoff --data {d} verify {missing}\n  handoff --data {d} item show {}\n  handoff --data {d} --as \"Corner Grocer\" handoff inbox\n  \
         handoff --data {d} cert list --for {shelf_bag}\n  handoff --data {d} doc verify {}\n  \
         handoff --data {d} item claim {} CODE   (codes in {})\n  \
         handoff --data {d} --as \"{bank}\" finance portfolio\n  \
         handoff --data {d} --as \"{bank}\" finance evidence {}",
        r.txs,
        data.display(),
        c.all()
            .iter()
            .map(|o| o.name)
            .collect::<Vec<_>>()
            .join(", "),
        filter_lot.canonical(),
        docs.dir.join("bill-of-lading-MAEU-240981337.txt").display(),
        tins[1].canonical(),
        codes_path.display(),
        deals.repaid,
        bank = c.bank.name,
        d = data.display(),
    );
    Ok(crate::cli::Output { json: out, text })
}
