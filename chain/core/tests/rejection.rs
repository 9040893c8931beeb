//! One test per rejection code: a user action the ledger must refuse, the exact code it
//! refuses with, and proof that nothing changed (beyond the signer's nonce for refusals
//! by a ledger rule). `every_code_has_a_test` keeps this list complete.

mod common;

use common::*;
use handoff_core::certify::{CertChange, CertId, CertSubject, Certify, DocKind, DocLink, Notarize};
use handoff_core::claim::{CLAIM_SECRET_BYTES, ClaimSecret};
use handoff_core::crypto::Keypair;
use handoff_core::governance::sign_approval;
use handoff_core::gs1::Gs1Key;
use handoff_core::limits::{MAX_ENTRIES, MAX_LICENSEES, MAX_TX_BYTES};
use handoff_core::rejection::Code;
use handoff_core::state::{ItemStatus, Record, StateKey};
use handoff_core::tx::*;
use handoff_core::types::{Hash32, PublicKey, Role, scope};

/// A farm (producer, prefix 0614141) with a product defined and two bags commissioned, a
/// carrier and a shop (retailer).
struct Chain {
    w: World,
    farm: Keypair,
    carrier: Keypair,
    shop: Keypair,
    g: String,
    bag1: Gs1Key,
    bag2: Gs1Key,
}

fn chain() -> Chain {
    let mut w = World::new();
    let (farm, carrier, shop, g) = w.farm_carrier_shop();
    let (bag1, bag2) = (serial(&g, "BAG1"), serial(&g, "BAG2"));
    w.commission(&farm, items(&[&bag1, &bag2]));
    Chain {
        w,
        farm,
        carrier,
        shop,
        g,
        bag1,
        bag2,
    }
}

fn offer(to: &Keypair, entries: Vec<Entry>) -> Payload {
    World::propose_payload(to, entries, Transfer::Both)
}

fn observe(entries: Vec<Entry>, kind: &str) -> Payload {
    Payload::Observe(Observe {
        entries,
        at: None,
        kind: kind.into(),
        readings: vec![],
    })
}

fn sell(entries: Vec<Entry>) -> Payload {
    Payload::Sell { entries }
}

fn pack(container: &Gs1Key, entries: Vec<Entry>) -> Payload {
    Payload::Pack {
        container: container.clone(),
        entries,
    }
}

fn authorize(device: &Keypair, scopes: u32, expires_at_ms: Option<i64>) -> Payload {
    Payload::AuthorizeDevice {
        device: device.public(),
        label: "scanner 1".into(),
        scopes,
        expires_at_ms,
    }
}

fn admit(k: &Keypair, name: &str, prefixes: &[&str]) -> Payload {
    Payload::AdmitOrg(AdmitOrg {
        org: k.public(),
        name: name.into(),
        prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        glns: vec![],
        roles: vec![Role::Retailer],
    })
}

// ---- the envelope: bytes, chain, signature, signer, nonce ------------------------------

#[test]
fn malformed() {
    for bytes in [&[][..], &[1, 2, 3], &[8, 0, 0, 0, 1, 2, 3]] {
        let r = SignedTx::decode(bytes).expect_err("garbage decodes");
        assert_eq!(r.code, Code::Malformed);
    }
    let mut c = chain();
    let mut wire = c.w.sign(&c.farm, sell(vec![])).encode();
    wire[4] ^= 0xff; // the version byte inside the body is fine; corrupt the layout instead
    wire.truncate(wire.len() - 1);
    assert_eq!(
        SignedTx::decode(&wire).map_err(|r| r.code).err(),
        Some(Code::Malformed)
    );
}

#[test]
fn too_large() {
    let r = SignedTx::decode(&vec![0u8; MAX_TX_BYTES + 1]).expect_err("oversized decodes");
    assert_eq!(r.code, Code::TooLarge);
    // Built in-process (never decoded), the same bound applies when it is applied.
    let mut c = chain();
    let many: Vec<Entry> = (0..=MAX_ENTRIES)
        .map(|i| Entry::item(serial(&c.g, &format!("X{i}"))))
        .collect();
    let tx = c.w.sign(&c.farm, World::commission_payload(many));
    c.w.refused_tx(&tx, Code::TooLarge);
}

#[test]
fn unsupported_version() {
    let c = chain();
    let tx = c
        .farm
        .sign_tx(TxBody {
            version: TX_VERSION + 1,
            chain_id: c.w.chain_id,
            signer: c.farm.public(),
            nonce: 0,
            event_time_ms: T0,
            payload: sell(vec![]),
        })
        .expect("the body encodes");
    let r = SignedTx::decode(&tx.encode()).expect_err("future version decodes");
    assert_eq!(r.code, Code::UnsupportedVersion);
}

#[test]
fn wrong_chain() {
    let mut c = chain();
    let mut tx = c.w.sign(&c.farm, sell(items(&[&c.bag1])));
    tx = c
        .farm
        .sign_tx(TxBody {
            chain_id: Hash32([7; 32]),
            ..tx.body.clone()
        })
        .expect("the body encodes");
    c.w.refused_tx(&tx, Code::WrongChain);
}

#[test]
fn bad_signature() {
    let mut c = chain();
    let tx = c.w.sign(&c.farm, offer(&c.shop, items(&[&c.bag1])));
    let mut sig = tx.signature;
    sig[10] ^= 1;
    let forged = SignedTx::new(tx.body.clone(), sig).expect("the body encodes");
    c.w.refused_tx(&forged, Code::BadSignature);
    // Signed by someone else in the farm's name.
    let other = c
        .carrier
        .sign_tx(tx.body.clone())
        .expect("the body encodes");
    c.w.refused_tx(
        &SignedTx::new(tx.body.clone(), other.signature).expect("the body encodes"),
        Code::BadSignature,
    );
}

#[test]
fn weak_key() {
    let mut c = chain();
    // The identity point has small order: signatures "by" it prove nothing.
    let mut weak = [0u8; 32];
    weak[0] = 1;
    let reg = key("registrar");
    let payload = Payload::AdmitOrg(AdmitOrg {
        org: PublicKey(weak),
        name: "Weak".into(),
        prefixes: vec![],
        glns: vec![],
        roles: vec![Role::Retailer],
    });
    c.w.refused(&reg, payload.clone(), Code::WeakKey);
    // Not even the nonce was consumed: the same nonce works next.
    c.w.ok(&reg, admit(&key("strong"), "Strong", &[]));
}

#[test]
fn nonce_reused() {
    let mut c = chain();
    let tx = c.w.sign(&c.farm, observe(items(&[&c.bag1]), "inspection"));
    c.w.submit(&tx).expect("first time");
    // The very same transaction again (a replay) — and a different one with the old nonce.
    c.w.refused_tx(&tx, Code::NonceReused);
    let old = c.w.sign_with(&c.farm, tx.body.nonce, T0, sell(vec![]));
    c.w.refused_tx(&old, Code::NonceReused);
}

#[test]
fn nonce_gap() {
    let mut c = chain();
    let next = c.w.sign(&c.farm, sell(vec![])).body.nonce;
    let ahead = c.w.sign_with(&c.farm, next + 1, c.w.time_ms, sell(vec![]));
    c.w.refused_tx(&ahead, Code::NonceGap);
}

#[test]
fn unknown_signer() {
    let mut c = chain();
    let stranger = key("stranger");
    c.w.refused(
        &stranger,
        offer(&c.shop, items(&[&c.bag1])),
        Code::UnknownSigner,
    );
    // A consumer key may only claim.
    c.w.refused(&stranger, sell(items(&[&c.bag1])), Code::UnknownSigner);
}

#[test]
fn org_suspended() {
    let mut c = chain();
    let reg = key("registrar");
    c.w.ok(
        &reg,
        Payload::SuspendOrg {
            org: c.farm.public(),
            reason: "audit".into(),
        },
    );
    c.w.refused(
        &c.farm,
        offer(&c.shop, items(&[&c.bag1])),
        Code::OrgSuspended,
    );
    assert_eq!(c.w.item(&c.bag1).custodian, c.farm.public());
}

#[test]
fn device_revoked() {
    let mut c = chain();
    let dev = key("farm scanner");
    c.w.ok(&c.farm, authorize(&dev, scope::ALL, None));
    c.w.ok(&dev, observe(items(&[&c.bag1]), "inspection"));
    c.w.ok(
        &c.farm,
        Payload::RevokeDevice {
            device: dev.public(),
            reason: "lost".into(),
        },
    );
    c.w.refused(&dev, offer(&c.shop, items(&[&c.bag1])), Code::DeviceRevoked);
}

#[test]
fn device_expired() {
    let mut c = chain();
    let dev = key("temp scanner");
    let until = c.w.time_ms + 1500;
    c.w.ok(&c.farm, authorize(&dev, scope::ALL, Some(until)));
    c.w.time_ms = until + 1;
    c.w.refused(&dev, offer(&c.shop, items(&[&c.bag1])), Code::DeviceExpired);
}

#[test]
fn device_scope() {
    let mut c = chain();
    let dev = key("observer");
    c.w.ok(&c.farm, authorize(&dev, scope::OBSERVE, None));
    c.w.refused(&dev, offer(&c.shop, items(&[&c.bag1])), Code::DeviceScope);
}

#[test]
fn org_key_required() {
    let mut c = chain();
    let dev = key("scanner");
    c.w.ok(&c.farm, authorize(&dev, scope::ALL, None));
    // A device cannot authorize more devices.
    c.w.refused(
        &dev,
        authorize(&key("second"), scope::ALL, None),
        Code::OrgKeyRequired,
    );
}

#[test]
fn wrong_role() {
    let mut c = chain();
    // Only retailers sell to consumers; a farm is not one.
    c.w.refused(&c.farm, sell(items(&[&c.bag1])), Code::WrongRole);
    // Only the registrar admits orgs.
    c.w.refused(&c.shop, admit(&key("newco"), "NewCo", &[]), Code::WrongRole);
}

#[test]
fn event_in_future() {
    let mut c = chain();
    let next = c.w.sign(&c.farm, sell(vec![])).body.nonce;
    let tx = c.w.sign_with(
        &c.farm,
        next,
        c.w.time_ms + 3_600_000,
        offer(&c.shop, items(&[&c.bag1])),
    );
    c.w.refused_tx(&tx, Code::EventInFuture);
}

// ---- fields and identifiers --------------------------------------------------------------

#[test]
fn bad_field() {
    let mut c = chain();
    let reg = key("registrar");
    c.w.refused(&reg, admit(&key("blank"), "   ", &[]), Code::BadField);
    c.w.refused(
        &reg,
        admit(&key("ctl"), "Bad\u{7}Name", &[]),
        Code::BadField,
    );
}

#[test]
fn bad_id() {
    let mut c = chain();
    let wrong_check = Gs1Key::Serial {
        gtin: "00614141000013".into(),
        serial: "X".into(),
    };
    c.w.refused(
        &c.farm,
        World::commission_payload(items(&[&wrong_check])),
        Code::BadId,
    );
    let bad_serial = Gs1Key::Serial {
        gtin: c.g.clone(),
        serial: "has space".into(),
    };
    c.w.refused(
        &c.farm,
        World::commission_payload(items(&[&bad_serial])),
        Code::BadId,
    );
}

#[test]
fn bad_quantity() {
    let mut c = chain();
    let l = lot(&c.g, "L1");
    // A lot needs a quantity; a serialized item may not have one.
    c.w.refused(
        &c.farm,
        World::commission_payload(vec![Entry::item(l.clone())]),
        Code::BadQuantity,
    );
    c.w.refused(
        &c.farm,
        World::commission_payload(vec![Entry::lot(serial(&c.g, "S9"), 3)]),
        Code::BadQuantity,
    );
    c.w.refused(
        &c.farm,
        World::commission_payload(vec![Entry::lot(l, 0)]),
        Code::BadQuantity,
    );
}

#[test]
fn duplicate_entry() {
    let mut c = chain();
    let b = serial(&c.g, "DUP");
    c.w.refused(
        &c.farm,
        World::commission_payload(items(&[&b, &b])),
        Code::DuplicateEntry,
    );
}

// ---- organizations, devices, products --------------------------------------------------

#[test]
fn org_exists() {
    let mut c = chain();
    let reg = key("registrar");
    c.w.refused(&reg, admit(&c.shop, "Shop Again", &[]), Code::OrgExists);
    // The name is taken too (case-insensitive).
    c.w.refused(&reg, admit(&key("other"), "shop", &[]), Code::OrgExists);
}

#[test]
fn unknown_org() {
    let mut c = chain();
    let nobody = key("nobody");
    c.w.refused(&c.farm, offer(&nobody, items(&[&c.bag1])), Code::UnknownOrg);
}

#[test]
fn device_exists() {
    let mut c = chain();
    let dev = key("scanner");
    c.w.ok(&c.farm, authorize(&dev, scope::ALL, None));
    c.w.refused(
        &c.shop,
        authorize(&dev, scope::ALL, None),
        Code::DeviceExists,
    );
}

#[test]
fn unknown_device() {
    let mut c = chain();
    c.w.refused(
        &c.farm,
        Payload::RevokeDevice {
            device: key("never").public(),
            reason: "x".into(),
        },
        Code::UnknownDevice,
    );
}

#[test]
fn prefix_not_owned() {
    let mut c = chain();
    let foreign = gtin("0950600013435");
    c.w.refused(
        &c.farm,
        Payload::DefineProduct {
            gtin: foreign,
            name: "Not ours".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        },
        Code::PrefixNotOwned,
    );
}

#[test]
fn prefix_taken() {
    let mut c = chain();
    let reg = key("registrar");
    c.w.refused(
        &reg,
        admit(&key("copycat"), "Copycat", &["0614141"]),
        Code::PrefixTaken,
    );
}

#[test]
fn product_exists() {
    let mut c = chain();
    let g = c.g.clone();
    c.w.refused(
        &c.farm,
        Payload::DefineProduct {
            gtin: g,
            name: "Again".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        },
        Code::ProductExists,
    );
}

#[test]
fn unknown_product() {
    let mut c = chain();
    let undefined = serial(&gtin("0061414100002"), "A");
    c.w.refused(
        &c.farm,
        World::commission_payload(items(&[&undefined])),
        Code::UnknownProduct,
    );
}

#[test]
fn not_brand_owner() {
    let mut c = chain();
    let mfr = c.w.org("Maker", &["0614142"], &[Role::Manufacturer]);
    let g = c.g.clone();
    c.w.refused(
        &mfr,
        Payload::LicenseProduct {
            gtin: g.clone(),
            licensee: mfr.public(),
        },
        Code::NotBrandOwner,
    );
    c.w.refused(
        &mfr,
        World::commission_payload(items(&[&serial(&g, "FAKE")])),
        Code::NotBrandOwner,
    );
}

#[test]
fn record_full() {
    let mut c = chain();
    let g = c.g.clone();
    for i in 0..MAX_LICENSEES {
        let m = c.w.org(&format!("Maker {i}"), &[], &[Role::Manufacturer]);
        c.w.ok(
            &c.farm,
            Payload::LicenseProduct {
                gtin: g.clone(),
                licensee: m.public(),
            },
        );
    }
    let one_more = c.w.org("Maker extra", &[], &[Role::Manufacturer]);
    c.w.refused(
        &c.farm,
        Payload::LicenseProduct {
            gtin: g,
            licensee: one_more.public(),
        },
        Code::RecordFull,
    );
}

// ---- items, lots, containers --------------------------------------------------------------

#[test]
fn already_commissioned() {
    let mut c = chain();
    let b = c.bag1.clone();
    c.w.refused(
        &c.farm,
        World::commission_payload(items(&[&b])),
        Code::AlreadyCommissioned,
    );
    // Decommissioned serials are never reused either.
    c.w.ok(
        &c.farm,
        Payload::Decommission {
            entries: items(&[&b]),
            reason: "crushed".into(),
        },
    );
    c.w.refused(
        &c.farm,
        World::commission_payload(items(&[&b])),
        Code::AlreadyCommissioned,
    );
}

#[test]
fn unknown_item() {
    let mut c = chain();
    let ghost = serial(&c.g, "GHOST");
    c.w.refused(&c.farm, offer(&c.shop, items(&[&ghost])), Code::UnknownItem);
}

#[test]
fn not_custodian() {
    let mut c = chain();
    c.w.refused(
        &c.shop,
        offer(&c.carrier, items(&[&c.bag1])),
        Code::NotCustodian,
    );
    c.w.refused(
        &c.carrier,
        observe(items(&[&c.bag1]), "peek"),
        Code::NotCustodian,
    );
}

#[test]
fn not_owner() {
    let mut c = chain();
    // The carrier gets custody only; it cannot pass ownership on.
    let tx = c.w.sign(
        &c.farm,
        World::propose_payload(&c.carrier, items(&[&c.bag1]), Transfer::Custody),
    );
    c.w.submit(&tx).expect("custody offer");
    c.w.accept(&c.carrier, tx.id());
    c.w.refused(
        &c.carrier,
        World::propose_payload(&c.shop, items(&[&c.bag1]), Transfer::Ownership),
        Code::NotOwner,
    );
}

#[test]
fn item_in_transit() {
    let mut c = chain();
    c.w.propose(&c.farm, &c.shop, items(&[&c.bag1]));
    c.w.refused(
        &c.farm,
        offer(&c.carrier, items(&[&c.bag1])),
        Code::ItemInTransit,
    );
}

#[test]
fn item_packed() {
    let mut c = chain();
    let pallet = sscc(1);
    // A pallet comes into being when something is packed on it.
    c.w.ok(&c.farm, pack(&pallet, items(&[&c.bag1])));
    // A packed bag moves with its pallet, not on its own.
    c.w.refused(&c.farm, offer(&c.shop, items(&[&c.bag1])), Code::ItemPacked);
}

#[test]
fn item_inactive() {
    let mut c = chain();
    let b = c.bag1.clone();
    c.w.ok(
        &c.farm,
        Payload::Decommission {
            entries: items(&[&b]),
            reason: "crushed".into(),
        },
    );
    c.w.refused(&c.farm, offer(&c.shop, items(&[&b])), Code::ItemInactive);
}

#[test]
fn insufficient_quantity() {
    let mut c = chain();
    let l = lot(&c.g, "L7");
    c.w.commission(&c.farm, vec![Entry::lot(l.clone(), 100)]);
    c.w.refused(
        &c.farm,
        World::propose_payload(&c.shop, vec![Entry::lot(l.clone(), 101)], Transfer::Both),
        Code::InsufficientQuantity,
    );
    assert_eq!(
        c.w.lot(&l).balance(&handoff_core::state::Holder::Org {
            custodian: c.farm.public(),
            owner: c.farm.public()
        }),
        100
    );
}

#[test]
fn container_rule() {
    let mut c = chain();
    let pallet = sscc(2);
    c.w.ok(&c.farm, pack(&pallet, items(&[&c.bag1])));
    // A container cannot go inside itself.
    c.w.refused(
        &c.farm,
        pack(&pallet, items(&[&pallet])),
        Code::ContainerRule,
    );
}

#[test]
fn owner_mismatch() {
    let mut c = chain();
    let pallet = sscc(3);
    c.w.ok(&c.farm, pack(&pallet, items(&[&c.bag1])));
    // The carrier holds bag 2 in custody but the farm still owns it; the carrier's own
    // pallet may only hold goods of one owner: the pallet's.
    let carrier_pallet = {
        let tx = c.w.sign(&c.farm, offer(&c.carrier, items(&[&pallet])));
        c.w.submit(&tx).expect("offer pallet");
        c.w.accept(&c.carrier, tx.id());
        pallet
    };
    let tx = c.w.sign(
        &c.farm,
        World::propose_payload(&c.carrier, items(&[&c.bag2]), Transfer::Custody),
    );
    c.w.submit(&tx).expect("offer bag");
    c.w.accept(&c.carrier, tx.id());
    c.w.refused(
        &c.carrier,
        pack(&carrier_pallet, items(&[&c.bag2])),
        Code::OwnerMismatch,
    );
}

#[test]
fn not_in_container() {
    let mut c = chain();
    let pallet = sscc(4);
    c.w.ok(&c.farm, pack(&pallet, items(&[&c.bag1])));
    c.w.refused(
        &c.farm,
        Payload::Unpack {
            container: pallet,
            entries: items(&[&c.bag2]),
        },
        Code::NotInContainer,
    );
}

// ---- handoffs ------------------------------------------------------------------------------

#[test]
fn unknown_handoff() {
    let mut c = chain();
    c.w.refused(
        &c.shop,
        World::accept_payload(Hash32([9; 32])),
        Code::UnknownHandoff,
    );
}

#[test]
fn handoff_closed() {
    let mut c = chain();
    let h = c.w.propose(&c.farm, &c.shop, items(&[&c.bag1]));
    c.w.accept(&c.shop, h);
    // Accepting twice never transfers twice.
    c.w.refused(&c.shop, World::accept_payload(h), Code::HandoffClosed);
    c.w.refused(
        &c.farm,
        Payload::CancelHandoff { handoff: h },
        Code::HandoffClosed,
    );
}

#[test]
fn handoff_expired() {
    let mut c = chain();
    let mut p = offer(&c.shop, items(&[&c.bag1]));
    if let Payload::ProposeHandoff(ph) = &mut p {
        ph.expires_at_height = Some(c.w.height + 2);
    }
    let tx = c.w.sign(&c.farm, p);
    c.w.submit(&tx).expect("offer");
    c.w.ok(&c.farm, observe(items(&[&c.bag2]), "wait"));
    c.w.ok(&c.farm, observe(items(&[&c.bag2]), "wait"));
    c.w.refused(
        &c.shop,
        World::accept_payload(tx.id()),
        Code::HandoffExpired,
    );
}

#[test]
fn not_recipient() {
    let mut c = chain();
    let h = c.w.propose(&c.farm, &c.shop, items(&[&c.bag1]));
    c.w.refused(&c.carrier, World::accept_payload(h), Code::NotRecipient);
    assert_eq!(c.w.item(&c.bag1).custodian, c.farm.public());
}

#[test]
fn not_proposer() {
    let mut c = chain();
    let h = c.w.propose(&c.farm, &c.shop, items(&[&c.bag1]));
    c.w.refused(
        &c.carrier,
        Payload::CancelHandoff { handoff: h },
        Code::NotProposer,
    );
}

#[test]
fn stale_handoff() {
    // Through transactions an open handoff's items stay locked to it; this guards the
    // state itself: if an item were no longer locked by the proposal, acceptance must not
    // transfer it.
    let mut c = chain();
    let h = c.w.propose(&c.farm, &c.shop, items(&[&c.bag1]));
    let mut bag = c.w.item(&c.bag1);
    bag.handoff = Some(Hash32([1; 32]));
    c.w.state.insert(StateKey::item(&c.bag1), Record::Item(bag));
    c.w.refused(&c.shop, World::accept_payload(h), Code::StaleHandoff);
    assert_eq!(c.w.item(&c.bag1).custodian, c.farm.public());
}

#[test]
fn not_in_handoff() {
    let mut c = chain();
    let h = c.w.propose(&c.farm, &c.shop, items(&[&c.bag1]));
    let p = Payload::AcceptHandoff(AcceptHandoff {
        handoff: h,
        missing: items(&[&c.bag2]),
        damaged: vec![],
    });
    c.w.refused(&c.shop, p, Code::NotInHandoff);
}

#[test]
fn self_handoff() {
    let mut c = chain();
    c.w.refused(
        &c.farm,
        offer(&c.farm, items(&[&c.bag1])),
        Code::SelfHandoff,
    );
}

// ---- consumers, recalls, corrections ---------------------------------------------------------

/// A bag with its own claim code, handed to the shop (not yet sold).
fn bag_with_code(c: &mut Chain, secret: &ClaimSecret) -> Gs1Key {
    let b = serial(&c.g, "BAG3");
    c.w.ok(
        &c.farm,
        Payload::Commission(Commission {
            entries: items(&[&b]),
            claim_keys: vec![secret.public_key(&b)],
            at: None,
            lot: None,
            expiry: None,
            attributes: vec![],
        }),
    );
    let h = c.w.propose(&c.farm, &c.shop, items(&[&b]));
    c.w.accept(&c.shop, h);
    b
}

/// A claim of `item` by `consumer` with the code `secret`.
fn claim(w: &World, secret: &ClaimSecret, item: &Gs1Key, consumer: &Keypair) -> Payload {
    Payload::Claim(Claim {
        item: item.clone(),
        claim_signature: secret.sign(&w.chain_id, item, &consumer.public()),
    })
}

fn code(byte: u8) -> ClaimSecret {
    ClaimSecret::from_bytes([byte; CLAIM_SECRET_BYTES])
}

#[test]
fn bad_claim_code() {
    let mut c = chain();
    let b = bag_with_code(&mut c, &code(7));
    c.w.ok(&c.shop, sell(items(&[&b])));
    let buyer = key("consumer");
    // A guessed code.
    let guess = claim(&c.w, &code(8), &b, &buyer);
    c.w.refused(&buyer, guess, Code::BadClaimCode);
    // The right code, but its signature made for another buyer's key (copied from the
    // mempool and re-signed by the copier).
    let copied = claim(&c.w, &code(7), &b, &key("the buyer"));
    c.w.refused(&buyer, copied, Code::BadClaimCode);
    assert_eq!(c.w.item(&b).status, ItemStatus::Sold);
}

#[test]
fn already_claimed() {
    let mut c = chain();
    let b = bag_with_code(&mut c, &code(7));
    c.w.ok(&c.shop, sell(items(&[&b])));
    let first = key("consumer");
    c.w.ok(&first, claim(&c.w, &code(7), &b, &first));
    // A second buyer holding the same (copied) code: the code is genuine, the item is
    // taken, and the message warns them.
    let second = key("second consumer");
    let r = c.w.refused(
        &second,
        claim(&c.w, &code(7), &b, &second),
        Code::AlreadyClaimed,
    );
    assert!(
        r.message.contains("warning") && r.message.contains("copied"),
        "{}",
        r.message
    );
    assert_eq!(c.w.item(&b).status, ItemStatus::Claimed);
}

#[test]
fn no_claim_key() {
    let mut c = chain();
    // bag1 was commissioned without a claim code.
    let b = c.bag1.clone();
    let h = c.w.propose(&c.farm, &c.shop, items(&[&b]));
    c.w.accept(&c.shop, h);
    c.w.ok(&c.shop, sell(items(&[&b])));
    let buyer = key("consumer");
    c.w.refused(&buyer, claim(&c.w, &code(7), &b, &buyer), Code::NoClaimKey);
}

#[test]
fn pin_retired() {
    let mut c = chain();
    let b = serial(&c.g, "BAG3");
    // A commission in the retired PIN layout with a PIN hash is refused…
    c.w.refused(
        &c.farm,
        Payload::PinCommission(PinCommission {
            entries: items(&[&b]),
            pin_hashes: vec![pin_hash(&b, "4242")],
            at: None,
            lot: None,
            expiry: None,
            attributes: vec![],
        }),
        Code::PinRetired,
    );
    // …and so is a PIN claim, whatever the item.
    c.w.refused(
        &key("consumer"),
        Payload::PinClaim {
            item: c.bag1.clone(),
            pin: "4242".into(),
        },
        Code::PinRetired,
    );
    // The old layout without a PIN still commissions (bytes made before claim codes keep
    // their meaning), with no claim key.
    c.w.ok(
        &c.farm,
        Payload::PinCommission(PinCommission {
            entries: items(&[&b]),
            pin_hashes: vec![],
            at: None,
            lot: None,
            expiry: None,
            attributes: vec![],
        }),
    );
    assert_eq!(c.w.item(&b).claim_key, None);
}

#[test]
fn not_sold() {
    let mut c = chain();
    let b = bag_with_code(&mut c, &code(7));
    // On the shelf, not yet sold: even the right code cannot claim it.
    let buyer = key("consumer");
    c.w.refused(&buyer, claim(&c.w, &code(7), &b, &buyer), Code::NotSold);
}

#[test]
fn not_correctable() {
    let mut c = chain();
    let obs = c.w.sign(&c.farm, observe(items(&[&c.bag1]), "inspection"));
    c.w.submit(&obs).expect("observe");
    // Only the org that recorded an event may correct it; an unknown event cannot be.
    let fix = Payload::Correct {
        target: obs.id(),
        reason: "typo".into(),
        fields: vec![("kind".into(), "storage".into())],
    };
    c.w.refused(&c.shop, fix, Code::NotCorrectable);
    let unknown = Payload::Correct {
        target: Hash32([3; 32]),
        reason: "typo".into(),
        fields: vec![],
    };
    c.w.refused(&c.farm, unknown, Code::NotCorrectable);
}

// ---- governance: validator-set changes -------------------------------------------------

const VALS: [&str; 4] = ["val a", "val b", "val c", "val d"];

/// A chain with four genesis validators (so more than 2/3 means three approvals), and
/// their keys.
fn four_validators() -> (World, [Keypair; 4]) {
    (World::with_validators(&VALS), VALS.map(key))
}

/// The genesis set with its first validator replaced by `newcomer`.
fn rotated(v: &[Keypair], newcomer: &Keypair) -> Vec<PublicKey> {
    let mut set: Vec<PublicKey> = v.iter().map(|k| k.public()).collect();
    set[0] = newcomer.public();
    set
}

#[test]
fn wrong_epoch() {
    let (mut w, v) = four_validators();
    let set = rotated(&v, &key("val e"));
    let [a, b, c, _] = &v;
    // Epoch 0 is the genesis set's; epoch 2 skips one; both are refused even though
    // three validators approved exactly that (epoch, set).
    for epoch in [0, 2, u64::MAX] {
        let p = w.set_validators_payload(&set, epoch, &[a, b, c]);
        w.refused(a, p, Code::WrongEpoch);
    }
    assert_eq!(w.validator_set().epoch, 0);
}

#[test]
fn not_validator() {
    let (mut w, v) = four_validators();
    let outsider = key("val e");
    let set = rotated(&v, &outsider);
    // The incoming validator is not a validator yet: its approval counts for nothing.
    let p = w.set_validators_payload(&set, 1, &[&v[0], &v[1], &outsider]);
    w.refused(&v[1], p, Code::NotValidator);
}

#[test]
fn duplicate_approval() {
    let (mut w, v) = four_validators();
    let set = rotated(&v, &key("val e"));
    // One validator approving twice is still one approval.
    let p = w.set_validators_payload(&set, 1, &[&v[0], &v[1], &v[1]]);
    w.refused(&v[0], p, Code::DuplicateApproval);
}

#[test]
fn bad_approval() {
    let (mut w, v) = four_validators();
    let set = rotated(&v, &key("val e"));
    let other_set = rotated(&v, &key("val f"));
    let good = match w.set_validators_payload(&set, 1, &[&v[0], &v[1], &v[2]]) {
        Payload::SetValidators { approvals, .. } => approvals,
        _ => unreachable!(),
    };
    // An approval of another set, of another epoch, or on another chain, and a corrupted
    // signature: none verifies for this (chain, epoch, set).
    let mut corrupted = good[2].clone();
    corrupted.signature[5] ^= 1;
    let wrong = [
        sign_approval(&v[2], &w.chain_id, 1, &other_set),
        sign_approval(&v[2], &w.chain_id, 2, &set),
        sign_approval(&v[2], &Hash32([9; 32]), 1, &set),
        corrupted,
    ];
    for bad in wrong {
        let mut approvals = good.clone();
        approvals[2] = bad;
        let p = Payload::SetValidators {
            validators: set.clone(),
            epoch: 1,
            approvals,
        };
        w.refused(&v[0], p, Code::BadApproval);
    }
}

#[test]
fn insufficient_approvals() {
    let (mut w, v) = four_validators();
    let set = rotated(&v, &key("val e"));
    // Two of four is not more than 2/3; neither is none.
    for approvers in [vec![&v[0], &v[1]], vec![]] {
        let p = w.set_validators_payload(&set, 1, &approvers);
        w.refused(&v[0], p, Code::InsufficientApprovals);
    }
    // Exactly 2/3 (two of three) is not enough either.
    let mut w = World::with_validators(&VALS[..3]);
    let set = rotated(&v[..3], &key("val e"));
    let p = w.set_validators_payload(&set, 1, &[&v[0], &v[1]]);
    w.refused(&v[0], p, Code::InsufficientApprovals);
}

#[test]
fn empty_validator_set() {
    let (mut w, v) = four_validators();
    let p = w.set_validators_payload(&[], 1, &[&v[0], &v[1], &v[2]]);
    w.refused(&v[0], p, Code::EmptyValidatorSet);
}

#[test]
fn duplicate_validator() {
    let (mut w, v) = four_validators();
    let mut set = rotated(&v, &key("val e"));
    set.push(set[1]);
    let p = w.set_validators_payload(&set, 1, &[&v[0], &v[1], &v[2]]);
    w.refused(&v[0], p, Code::DuplicateValidator);
}

// ---- certifications and documents ---------------------------------------------------------

fn certify_payload(subject: CertSubject, number: &str, from: i64, until: i64) -> Payload {
    Payload::Certify(Certify {
        subject,
        scheme: "EU organic".into(),
        standard: String::new(),
        number: number.into(),
        valid_from_ms: from,
        valid_until_ms: until,
        document: None,
    })
}

const YEAR_MS: i64 = 365 * 24 * 60 * 60 * 1000;

/// A chain with an auditor that has certified the farm's product (certificate "C-1").
fn certified() -> (Chain, Keypair, CertId) {
    let mut c = chain();
    let auditor = c.w.org("Auditor", &[], &[Role::Auditor]);
    let now = c.w.time_ms;
    let p = certify_payload(CertSubject::Product(c.g.clone()), "C-1", now, now + YEAR_MS);
    c.w.ok(&auditor, p);
    let id = handoff_core::certify::cert_id(&auditor.public(), "EU organic", "C-1");
    (c, auditor, id)
}

#[test]
fn cert_exists() {
    let (mut c, auditor, _) = certified();
    let now = c.w.time_ms;
    // The same number of the same scheme again, even for another subject.
    let again = certify_payload(CertSubject::Org(c.farm.public()), "C-1", now, now + YEAR_MS);
    c.w.refused(&auditor, again, Code::CertExists);
}

#[test]
fn unknown_certification() {
    let (mut c, auditor, _) = certified();
    let p = Payload::ChangeCertification {
        id: Hash32([7; 32]),
        change: CertChange::Revoke,
        reason: "no such".into(),
    };
    c.w.refused(&auditor, p, Code::UnknownCertification);
}

#[test]
fn not_issuer() {
    let (mut c, _auditor, id) = certified();
    let rival = c.w.org("Rival auditor", &[], &[Role::Auditor]);
    let p = Payload::ChangeCertification {
        id,
        change: CertChange::Revoke,
        reason: "we disagree".into(),
    };
    c.w.refused(&rival, p.clone(), Code::NotIssuer);
    // The certified farm cannot lift it either.
    c.w.refused(&c.farm, p, Code::NotIssuer);
}

#[test]
fn cert_window() {
    let (mut c, auditor, _) = certified();
    let now = c.w.time_ms;
    let product = CertSubject::Product(c.g.clone());
    // Ends before it begins.
    let p = certify_payload(product.clone(), "W-1", now + 10, now);
    c.w.refused(&auditor, p, Code::CertWindow);
    // Already over at the block time.
    let p = certify_payload(product.clone(), "W-2", now - 2 * YEAR_MS, now - YEAR_MS);
    c.w.refused(&auditor, p, Code::CertWindow);
    // Longer than ten years.
    let p = certify_payload(product, "W-3", now, now + 11 * YEAR_MS);
    c.w.refused(&auditor, p, Code::CertWindow);
}

#[test]
fn cert_standing() {
    let (mut c, auditor, id) = certified();
    let change = |change, reason: &str| Payload::ChangeCertification {
        id,
        change,
        reason: reason.into(),
    };
    // Not suspended: nothing to reinstate.
    c.w.refused(
        &auditor,
        change(CertChange::Reinstate, ""),
        Code::CertStanding,
    );
    c.w.ok(&auditor, change(CertChange::Suspend, "audit overdue"));
    c.w.refused(
        &auditor,
        change(CertChange::Suspend, "again"),
        Code::CertStanding,
    );
    c.w.ok(&auditor, change(CertChange::Revoke, "failed audit"));
    // Revoked is final.
    c.w.refused(
        &auditor,
        change(CertChange::Reinstate, ""),
        Code::CertStanding,
    );
    c.w.refused(
        &auditor,
        change(CertChange::Revoke, "twice"),
        Code::CertStanding,
    );
}

#[test]
fn doc_exists() {
    let mut c = chain();
    let p = Payload::NotarizeDocument(Notarize {
        hash: Hash32([5; 32]),
        kind: DocKind::Invoice,
        title: "Invoice 17".into(),
        links: vec![DocLink::Thing(c.bag1.clone())],
    });
    c.w.ok(&c.farm, p.clone());
    c.w.refused(&c.farm, p, Code::DocExists);
}

#[test]
fn not_party() {
    let mut c = chain();
    // The carrier never held the farm's bag.
    let p = Payload::NotarizeDocument(Notarize {
        hash: Hash32([6; 32]),
        kind: DocKind::Photo,
        title: "photo".into(),
        links: vec![DocLink::Thing(c.bag1.clone())],
    });
    c.w.refused(&c.carrier, p, Code::NotParty);
}

#[test]
fn every_code_has_a_test() {
    let src = include_str!("rejection.rs");
    for code in Code::ALL {
        let name = format!("{code:?}");
        assert!(
            src.contains(&format!("Code::{name}")),
            "no test refuses with {}",
            code.as_str()
        );
        let test_name = format!("fn {}()", code.as_str().to_lowercase());
        assert!(src.contains(&test_name), "no test named {test_name}");
    }
}

#[test]
fn bad_seal_key() {
    let mut c = chain();
    // All zeros: a point of small order (anyone could read what is sealed to it).
    c.w.refused(
        &c.farm,
        Payload::SetSealKey { key: [0; 32] },
        Code::BadSealKey,
    );
    assert_eq!(
        handoff_core::finance::seal_key(&c.w.state, &c.farm.public()).expect("read"),
        None
    );
}

// ---- warehouse receipts ----

/// The chain's bags handed to a warehouse (custody only), a bank, and a receipt over
/// bag1 issued by the warehouse (not yet pledged).
fn receipted() -> (Chain, Keypair, Keypair, Hash32) {
    let mut c = chain();
    let store = c.w.org("Store", &[], &[Role::Warehouse]);
    let bank = c.w.org("Bank", &[], &[Role::Lender]);
    let tx = c.w.sign(
        &c.farm,
        World::propose_payload(&store, items(&[&c.bag1, &c.bag2]), Transfer::Custody),
    );
    c.w.submit(&tx).expect("proposed");
    c.w.accept(&store, tx.id());
    let tx = c.w.sign(
        &store,
        Payload::Receipt(ReceiptOp::Issue {
            owner: c.farm.public(),
            goods: vec![c.bag1.clone()],
            lots: vec![],
        }),
    );
    c.w.submit(&tx).expect("issued");
    (c, store, bank, tx.id())
}

fn pledge_to(c: &mut Chain, bank: &Keypair, r: Hash32) {
    c.w.ok(
        &c.farm,
        Payload::Receipt(ReceiptOp::Pledge {
            receipt: r,
            lender: bank.public(),
        }),
    );
    c.w.ok(
        bank,
        Payload::Receipt(ReceiptOp::AcceptPledge { receipt: r }),
    );
}

#[test]
fn pledged() {
    let (mut c, store, bank, r) = receipted();
    pledge_to(&mut c, &bank, r);
    let p = offer(&c.shop, items(&[&c.bag1]));
    c.w.refused(&store, p, Code::Pledged);
}

#[test]
fn already_pledged() {
    let (mut c, store, bank, r) = receipted();
    pledge_to(&mut c, &bank, r);
    let owner = c.farm.public();
    c.w.refused(
        &store,
        Payload::Receipt(ReceiptOp::Issue {
            owner,
            goods: vec![c.bag1.clone()],
            lots: vec![],
        }),
        Code::AlreadyPledged,
    );
}

#[test]
fn unknown_asset() {
    let (mut c, _store, bank, _r) = receipted();
    c.w.refused(
        &bank,
        Payload::Receipt(ReceiptOp::AcceptPledge {
            receipt: Hash32([9; 32]),
        }),
        Code::UnknownAsset,
    );
}

#[test]
fn asset_status() {
    // A lender cannot accept a pledge nobody offered it.
    let (mut c, _store, bank, r) = receipted();
    c.w.refused(
        &bank,
        Payload::Receipt(ReceiptOp::AcceptPledge { receipt: r }),
        Code::AssetStatus,
    );
}

// ---- receivables ----

mod finance_codes {
    use super::common::trade::*;
    use handoff_core::finance::*;
    use handoff_core::rejection::Code;
    use handoff_core::tx::*;
    use handoff_core::types::Hash32;

    #[test]
    fn already_invoiced() {
        let mut t = trade();
        let (h, bag) = (t.delivery, t.bag1.clone());
        let (p, _, _) = t.issue("INV-1", "EUR", &[(h, bag.clone(), 100)]);
        t.w.ok(&t.seller, p);
        // The same handoff line on a second invoice.
        let (p, _, _) = t.issue("INV-2", "EUR", &[(h, bag, 100)]);
        t.w.refused(&t.seller, p, Code::AlreadyInvoiced);
    }

    #[test]
    fn not_delivered() {
        let mut t = trade();
        let bag = t.bag1.clone();
        let (p, _, _) = t.issue("INV-1", "EUR", &[(Hash32([0; 32]), bag, 100)]);
        t.w.refused(&t.seller, p, Code::UnknownHandoff);
        // A delivery to the shop invoiced to the bank.
        let (h, bag) = (t.delivery, t.bag2.clone());
        let (mut p, _, _) = t.issue("INV-2", "EUR", &[(h, bag, 100)]);
        if let Payload::Receivable(ReceivableOp::Issue { buyer, .. }) = &mut p {
            *buyer = t.bank.public();
        }
        t.w.refused(&t.seller, p, Code::NotDelivered);
    }

    #[test]
    fn already_financed() {
        // A second lender for a financed receivable.
        let mut t = trade();
        let (id, _) = t.confirmed(100);
        let bank = t.bank.public();
        let p = t.request(id, bank);
        t.w.ok(&t.seller, p);
        let other =
            t.w.org("Other Bank", &[], &[handoff_core::types::Role::Lender]);
        let p = t.request(id, other.public());
        t.w.refused(&t.seller, p, Code::AlreadyFinanced);
    }

    #[test]
    fn bad_range_proof() {
        // A line whose proof belongs to another commitment.
        let mut t = trade();
        let (h, bag) = (t.delivery, t.bag1.clone());
        let (mut p, _, _) = t.issue("INV-1", "EUR", &[(h, bag, 100)]);
        if let Payload::Receivable(ReceivableOp::Issue { lines, .. }) = &mut p {
            lines[0].amount.proof[40] ^= 1;
        }
        t.w.refused(&t.seller, p, Code::BadRangeProof);
    }

    #[test]
    fn unbalanced() {
        // A repayment whose new balance does not equal the old one minus the payment.
        let mut t = trade();
        let (id, face) = t.confirmed(1000);
        let parties = [t.seller.public(), t.buyer.public()];
        let (mut p, _) = t.repay(id, &face, 100, "PAY-1", &parties);
        let mut r = t.rng();
        if let Payload::Receivable(ReceivableOp::Repay { outstanding, .. }) = &mut p {
            let fake = Opening {
                amount: 950,
                blinding: Blinding::random(&mut r),
            };
            *outstanding = prove(&id, &fake, &mut r).expect("prove");
        }
        t.w.refused(&t.buyer, p, Code::Unbalanced);
    }

    #[test]
    fn no_seal_key() {
        // Sealed to the seller only: the buyer's box is missing.
        let mut t = trade();
        let (h, bag) = (t.delivery, t.bag1.clone());
        let (mut p, _, _) = t.issue("INV-1", "EUR", &[(h, bag, 100)]);
        if let Payload::Receivable(ReceivableOp::Issue { sealed, .. }) = &mut p {
            sealed.pop();
        }
        t.w.refused(&t.seller, p, Code::NoSealKey);
    }

    #[test]
    fn payment_ref_used() {
        let mut t = trade();
        let (id, face) = t.confirmed(1000);
        let parties = [t.seller.public(), t.buyer.public()];
        let (p, rest) = t.repay(id, &face, 100, "PAY-1", &parties);
        t.w.ok(&t.buyer, p);
        let (p, _) = t.repay(id, &rest, 100, "PAY-1", &parties);
        t.w.refused(&t.buyer, p, Code::PaymentRefUsed);
    }

    #[test]
    fn bad_currency() {
        let mut t = trade();
        let (h, bag) = (t.delivery, t.bag1.clone());
        let (p, _, _) = t.issue("INV-1", "EUX", &[(h, bag, 100)]);
        t.w.refused(&t.seller, p, Code::BadCurrency);
    }
}
