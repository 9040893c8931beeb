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
//! Every org's key is saved in the data folder so any of them can act with `--as`.

use anyhow::{Context, Result, bail};
use clap::Args;
use handoff_core::block::Genesis;
use handoff_core::certify::{CertChange, CertSubject, Certify, DocKind, DocLink, Notarize};
use handoff_core::crypto::Keypair;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::tx::*;
use handoff_core::types::{Hash32, PublicKey, Role};
use handoff_node::identity;
use handoff_node::images;
use handoff_node::ledger::{Ledger, Receipt, Sequencer, first_rejection, now_ms};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
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
}

struct Run<'a> {
    ledger: &'a Ledger,
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
    doc: (&str, &str),
) -> Payload {
    Payload::ProposeHandoff(ProposeHandoff {
        to,
        entries,
        transfer,
        ship_from: Some(from_gln.to_string()),
        ship_to: Some(to_gln.to_string()),
        docs: vec![DocRef {
            kind: doc.0.into(),
            id: doc.1.into(),
        }],
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
        ],
    };
    for o in [
        &c.registry,
        &c.farm,
        &c.exporter,
        &c.roaster,
        &c.warehouse,
        &c.grocer,
        &c.auditor,
    ] {
        identity::save(data, o.name, &o.key, now)?;
    }
    identity::save_validator(data, &validator, now)?;
    let ledger = Ledger::create(data, &genesis, validator)?;

    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(33)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut r = Run {
        ledger: &ledger,
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
            ("contract", "AE-2026-118"),
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
            ("bill_of_lading", "MAEU-240981337"),
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
            ("asn", "NR-ASN-20261029"),
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
            ("invoice", "NR-INV-5531"),
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
            ("delivery_note", "HL-DN-88412"),
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
            ("despatch_advice", "NR-DA-20412"),
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
            ("delivery_note", "HL-DN-88519"),
        ),
    )?;
    r.bar.finish_and_clear();

    let orgs: Vec<_> = [
        &c.registry,
        &c.farm,
        &c.exporter,
        &c.roaster,
        &c.warehouse,
        &c.grocer,
        &c.auditor,
    ]
    .iter()
    .map(|o| json!({"name": o.name, "key": o.id().to_hex(), "gln": o.gln}))
    .collect();
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
        "seconds": seconds,
    });
    let text = format!(
        "seeded {} transactions in {height} blocks in {seconds:.1} s into {}\n\
         orgs: {}\n\
         try:\n  handoff --data {d} item history {sold_bag}\n  handoff --data {d} verify {shelf_bag}\n  \
         handoff --data {d} verify {missing}\n  handoff --data {d} item show {}\n  handoff --data {d} --as \"Corner Grocer\" handoff inbox\n  \
         handoff --data {d} cert list --for {shelf_bag}\n  handoff --data {d} doc verify {}\n  \
         handoff --data {d} item claim {} CODE   (codes in {})",
        r.txs,
        data.display(),
        [
            &c.registry,
            &c.farm,
            &c.exporter,
            &c.roaster,
            &c.warehouse,
            &c.grocer,
            &c.auditor
        ]
        .iter()
        .map(|o| o.name)
        .collect::<Vec<_>>()
        .join(", "),
        filter_lot.canonical(),
        docs.dir.join("bill-of-lading-MAEU-240981337.txt").display(),
        tins[1].canonical(),
        codes_path.display(),
        d = data.display(),
    );
    Ok(crate::cli::Output { json: out, text })
}
