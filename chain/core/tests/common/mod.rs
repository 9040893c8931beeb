//! A small in-memory ledger for tests: real keys, real signatures, real `execute`, state in
//! a map. Reads like the domain: `w.commission(&farm, ..)`, `w.propose(&farm, &shop, ..)`.
#![allow(dead_code, missing_docs)]

use handoff_core::apply::BlockContext;
use handoff_core::block::{Genesis, execute};
use handoff_core::crypto::Keypair;
use handoff_core::event::Effects;
use handoff_core::governance::sign_approval;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::rejection::{Code, Rejection};
use handoff_core::state::{ItemRecord, LotRecord, Record, StateKey, ValidatorSetRecord};
use handoff_core::tx::*;
use handoff_core::types::{HandoffId, Hash32, PublicKey, Role};
use std::collections::HashMap;

pub mod trade;

pub const T0: i64 = 1_790_000_000_000;

pub struct World {
    pub state: HashMap<StateKey, Record>,
    pub chain_id: Hash32,
    pub height: u64,
    pub time_ms: i64,
    nonces: HashMap<PublicKey, u64>,
    pub registrar: Keypair,
    /// The genesis validators' keys.
    pub validators: Vec<Keypair>,
}

/// A deterministic key from a label.
pub fn key(label: &str) -> Keypair {
    let mut seed = [0u8; 32];
    for (i, b) in label.bytes().enumerate() {
        seed[i % 32] ^= b.wrapping_add(i as u8);
    }
    seed[31] ^= 0x5a;
    Keypair::from_secret(seed)
}

/// GTIN-14 from 13 digits.
pub fn gtin(d13: &str) -> String {
    format!("{d13}{}", check_digit(d13).expect("digits"))
}

pub fn serial(g: &str, s: &str) -> Gs1Key {
    Gs1Key::Serial {
        gtin: g.into(),
        serial: s.into(),
    }
}

pub fn lot(g: &str, l: &str) -> Gs1Key {
    Gs1Key::Lot {
        gtin: g.into(),
        lot: l.into(),
    }
}

/// SSCC with extension 0 under prefix 0614141.
pub fn sscc(n: u32) -> Gs1Key {
    let body = format!("00614141{n:09}");
    Gs1Key::Sscc {
        sscc: format!("{body}{}", check_digit(&body).expect("digits")),
    }
}

pub fn items(keys: &[&Gs1Key]) -> Vec<Entry> {
    keys.iter().map(|k| Entry::item((*k).clone())).collect()
}

impl World {
    pub fn new() -> World {
        World::with_validators(&["validator"])
    }

    /// A chain whose genesis validators are the keys of `labels`.
    pub fn with_validators(labels: &[&str]) -> World {
        let registrar = key("registrar");
        let validators: Vec<Keypair> = labels.iter().map(|l| key(l)).collect();
        let genesis = Genesis {
            name: "test chain".into(),
            time_ms: T0,
            validators: validators.iter().map(|k| k.public()).collect(),
            orgs: vec![AdmitOrg {
                org: registrar.public(),
                name: "Registry".into(),
                prefixes: vec![],
                glns: vec![],
                roles: vec![Role::Registrar],
            }],
        };
        World {
            state: genesis.writes().into_iter().collect(),
            chain_id: genesis.chain_id(),
            height: 0,
            time_ms: T0,
            nonces: HashMap::new(),
            registrar,
            validators,
        }
    }

    /// The usual cast: a farm (producer, prefix 0614141) with one product defined, a
    /// carrier and a shop (retailer). Returns (farm, carrier, shop, the product's GTIN).
    pub fn farm_carrier_shop(&mut self) -> (Keypair, Keypair, Keypair, String) {
        let farm = self.org("Farm", &["0614141"], &[Role::Producer]);
        let carrier = self.org("Carrier", &[], &[Role::Carrier]);
        let shop = self.org("Shop", &[], &[Role::Retailer]);
        let g = gtin("0061414100001");
        self.define(&farm, &g);
        (farm, carrier, shop, g)
    }

    pub fn ctx(&self) -> BlockContext {
        BlockContext {
            chain_id: self.chain_id,
            height: self.height + 1,
            time_ms: self.time_ms,
        }
    }

    /// A correctly signed transaction with the signer's next nonce (not yet submitted).
    pub fn sign(&mut self, k: &Keypair, payload: Payload) -> SignedTx {
        let n = self.nonces.get(&k.public()).copied().unwrap_or(0);
        self.sign_with(k, n, self.time_ms, payload)
    }

    pub fn sign_with(
        &self,
        k: &Keypair,
        nonce: u64,
        event_time_ms: i64,
        payload: Payload,
    ) -> SignedTx {
        k.sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: self.chain_id,
            signer: k.public(),
            nonce,
            event_time_ms,
            payload,
        })
        .expect("the body encodes")
    }

    /// Executes one transaction in its own block; keeps the writes if it entered the block.
    pub fn submit(&mut self, tx: &SignedTx) -> Result<Effects, Rejection> {
        let ctx = self.ctx();
        let exec = execute(&ctx, &self.state, &[tx]).expect("an in-memory state always reads");
        let r = exec.results.into_iter().next().expect("one result");
        if !matches!(&r, Err(e) if e.code.changes_nothing()) {
            self.nonces.insert(tx.body.signer, tx.body.nonce + 1);
            self.height += 1;
        }
        for (k, v) in exec.writes {
            self.state.insert(k, v);
        }
        self.time_ms += 1000;
        r
    }

    pub fn run(&mut self, k: &Keypair, payload: Payload) -> Result<Effects, Rejection> {
        let tx = self.sign(k, payload);
        self.submit(&tx)
    }

    /// Runs a transaction that must succeed.
    pub fn ok(&mut self, k: &Keypair, payload: Payload) -> Effects {
        let what = payload.type_name();
        self.run(k, payload)
            .unwrap_or_else(|e| panic!("{what} refused: {e:?}"))
    }

    /// Runs a transaction that must be refused with `code`; checks that it changed nothing
    /// but (for rule failures) the signer's nonce.
    pub fn refused(&mut self, k: &Keypair, payload: Payload, code: Code) -> Rejection {
        let tx = self.sign(k, payload);
        self.refused_tx(&tx, code)
    }

    pub fn refused_tx(&mut self, tx: &SignedTx, code: Code) -> Rejection {
        let before = self.state.clone();
        let r = match self.submit(tx) {
            Ok(_) => panic!(
                "{} was accepted; expected {}",
                tx.body.payload.type_name(),
                code.as_str()
            ),
            Err(r) => r,
        };
        assert_eq!(
            r.code,
            code,
            "{}: {}",
            tx.body.payload.type_name(),
            r.message
        );
        assert!(!r.message.is_empty());
        let mut after = self.state.clone();
        after.remove(&StateKey::Account(tx.body.signer));
        let mut before_no_nonce = before;
        before_no_nonce.remove(&StateKey::Account(tx.body.signer));
        assert!(
            after == before_no_nonce,
            "{} changed state besides the nonce",
            code.as_str()
        );
        r
    }

    /// Admits an org with roles and company prefixes.
    pub fn org(&mut self, label: &str, prefixes: &[&str], roles: &[Role]) -> Keypair {
        let k = key(label);
        let reg = key("registrar");
        self.ok(
            &reg,
            Payload::AdmitOrg(AdmitOrg {
                org: k.public(),
                name: label.into(),
                prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
                glns: vec![],
                roles: roles.to_vec(),
            }),
        );
        k
    }

    pub fn define(&mut self, k: &Keypair, gtin: &str) {
        self.ok(
            k,
            Payload::DefineProduct {
                gtin: gtin.into(),
                name: format!("Product {gtin}"),
                description: String::new(),
                attributes: vec![],
                image_hash: None,
            },
        );
    }

    pub fn commission_payload(entries: Vec<Entry>) -> Payload {
        Payload::Commission(Commission {
            entries,
            claim_keys: vec![],
            at: None,
            lot: None,
            expiry: None,
            attributes: vec![],
        })
    }

    pub fn commission(&mut self, k: &Keypair, entries: Vec<Entry>) {
        self.ok(k, World::commission_payload(entries));
    }

    pub fn propose_payload(to: &Keypair, entries: Vec<Entry>, transfer: Transfer) -> Payload {
        Payload::ProposeHandoff(ProposeHandoff {
            to: to.public(),
            entries,
            transfer,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_at_height: None,
        })
    }

    /// Proposes a handoff; returns its id.
    pub fn propose(&mut self, from: &Keypair, to: &Keypair, entries: Vec<Entry>) -> HandoffId {
        let tx = self.sign(from, World::propose_payload(to, entries, Transfer::Both));
        self.submit(&tx)
            .unwrap_or_else(|e| panic!("propose refused: {e:?}"));
        tx.id()
    }

    pub fn accept_payload(h: HandoffId) -> Payload {
        Payload::AcceptHandoff(AcceptHandoff {
            handoff: h,
            missing: vec![],
            damaged: vec![],
        })
    }

    pub fn accept(&mut self, k: &Keypair, h: HandoffId) {
        self.ok(k, World::accept_payload(h));
    }

    /// A validator-set change to `set` at `epoch`, approved by `approvers`.
    pub fn set_validators_payload(
        &self,
        set: &[PublicKey],
        epoch: u64,
        approvers: &[&Keypair],
    ) -> Payload {
        Payload::SetValidators {
            validators: set.to_vec(),
            epoch,
            approvals: approvers
                .iter()
                .map(|k| sign_approval(k, &self.chain_id, epoch, set))
                .collect(),
        }
    }

    /// The validator set record.
    pub fn validator_set(&self) -> ValidatorSetRecord {
        match self.state.get(&StateKey::Validators) {
            Some(Record::Validators(v)) => v.clone(),
            other => panic!("no validator set: {other:?}"),
        }
    }

    pub fn item(&self, key: &Gs1Key) -> ItemRecord {
        match self.state.get(&StateKey::item(key)) {
            Some(Record::Item(it)) => it.clone(),
            other => panic!("{} is not an item: {other:?}", key.canonical()),
        }
    }

    pub fn lot(&self, key: &Gs1Key) -> LotRecord {
        match self.state.get(&StateKey::item(key)) {
            Some(Record::Lot(l)) => l.clone(),
            other => panic!("{} is not a lot: {other:?}", key.canonical()),
        }
    }
}
