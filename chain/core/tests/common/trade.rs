//! A receivable's world: a farm (seller) that delivered two bags to a shop (buyer), a
//! bank (lender), every org with a published seal key; and builders of finance steps
//! with honest commitments, proofs and sealed boxes.

use super::*;
use handoff_core::finance::*;
use handoff_core::types::sha256;

pub struct Trade {
    pub w: World,
    pub seller: Keypair,
    pub buyer: Keypair,
    pub bank: Keypair,
    /// An upstream supplier of the seller.
    pub mill: Keypair,
    pub delivery: HandoffId,
    pub bag1: Gs1Key,
    pub bag2: Gs1Key,
    pub keys: Vec<(PublicKey, [u8; 32])>,
    pub rng_seed: u64,
}

pub fn seal_secret(label: &str) -> [u8; 32] {
    sha256(&[b"seal", label.as_bytes()]).0
}

pub fn trade() -> Trade {
    let mut w = World::new();
    let (farm, _carrier, shop, g) = w.farm_carrier_shop();
    let bank = w.org("Bank", &[], &[Role::Lender]);
    let mill = w.org("Mill", &[], &[Role::Manufacturer]);
    let (bag1, bag2) = (serial(&g, "BAG1"), serial(&g, "BAG2"));
    w.commission(&farm, items(&[&bag1, &bag2]));
    let delivery = w.propose(&farm, &shop, items(&[&bag1, &bag2]));
    w.accept(&shop, delivery);
    let mut keys = Vec::new();
    for (k, label) in [
        (&farm, "farm"),
        (&shop, "shop"),
        (&bank, "bank"),
        (&mill, "mill"),
    ] {
        let (_, pk) = seal_keypair(&seal_secret(label));
        w.ok(k, Payload::SetSealKey { key: pk });
        keys.push((k.public(), pk));
    }
    Trade {
        w,
        seller: farm,
        buyer: shop,
        bank,
        mill,
        delivery,
        bag1,
        bag2,
        keys,
        rng_seed: 0,
    }
}

impl Trade {
    pub fn rng(&mut self) -> impl FinanceRng + use<> {
        self.rng_seed += 1;
        verifier_rng(&sha256(&[b"trade-rng"]), &self.rng_seed.to_le_bytes())
    }

    pub fn seal_to(
        &mut self,
        id: &Hash32,
        parties: &[PublicKey],
        d: &Disclosure,
    ) -> Vec<SealedBox> {
        let mut r = self.rng();
        parties
            .iter()
            .map(|p| {
                let key = self
                    .keys
                    .iter()
                    .find(|(o, _)| o == p)
                    .map(|(_, k)| *k)
                    .expect("party has a seal key");
                seal(id, *p, &key, &d.encode(), &mut r).expect("seal")
            })
            .collect()
    }

    /// An honest invoice over `lines` (handoff, item, amount); returns the payload, the
    /// receivable id and the face value's opening.
    pub fn issue(
        &mut self,
        number: &str,
        currency: &str,
        lines: &[(HandoffId, Gs1Key, u64)],
    ) -> (Payload, Hash32, Opening) {
        let salt = sha256(&[b"salt", number.as_bytes()]).0;
        let reference = invoice_ref(&salt, number);
        let id = receivable_id(&self.seller.public(), &self.buyer.public(), &reference);
        let mut r = self.rng();
        let mut openings = Vec::new();
        let mut tx_lines = Vec::new();
        for (h, k, amount) in lines {
            let o = Opening {
                amount: *amount,
                blinding: Blinding::random(&mut r),
            };
            tx_lines.push(InvoiceLine {
                handoff: *h,
                entry: Entry::item(k.clone()),
                amount: prove(&id, &o, &mut r).expect("prove"),
            });
            openings.push(o);
        }
        let face = Opening {
            amount: openings.iter().map(|o| o.amount).sum(),
            blinding: Blinding::sum(openings.iter().map(|o| &o.blinding)).expect("sum"),
        };
        let d = Disclosure {
            openings: vec![("face".into(), face)],
            terms: vec![
                ("invoice".into(), number.into()),
                ("salt".into(), hex::encode(salt)),
            ],
        };
        let parties = [self.seller.public(), self.buyer.public()];
        let sealed = self.seal_to(&id, &parties, &d);
        let p = Payload::Receivable(ReceivableOp::Issue {
            buyer: self.buyer.public(),
            invoice_ref: reference,
            currency: currency.into(),
            due_ms: Some(self.w.ctx().time_ms + 30 * 86_400_000),
            lines: tx_lines,
            sealed,
        });
        (p, id, face)
    }

    /// An honest repayment of `pay` of the balance `before`; returns the payload and the
    /// new balance's opening.
    pub fn repay(
        &mut self,
        id: Hash32,
        before: &Opening,
        pay: u64,
        reference: &str,
        parties: &[PublicKey],
    ) -> (Payload, Opening) {
        let mut r = self.rng();
        let payment = Opening {
            amount: pay,
            blinding: Blinding::random(&mut r),
        };
        let after = Opening {
            amount: before.amount - pay,
            blinding: before.blinding.minus(&payment.blinding).expect("minus"),
        };
        let d = Disclosure {
            openings: vec![("payment".into(), payment), ("outstanding".into(), after)],
            terms: vec![("reference".into(), reference.into())],
        };
        let sealed = self.seal_to(&id, parties, &d);
        let p = Payload::Receivable(ReceivableOp::Repay {
            receivable: id,
            payment: prove(&id, &payment, &mut r).expect("prove"),
            outstanding: prove(&id, &after, &mut r).expect("prove"),
            reference: payment_ref_hash(&self.buyer.public(), reference),
            sealed,
        });
        (p, after)
    }

    /// An honest split of `before`: `parts` (new holder, amount); returns the payload,
    /// the kept opening and the parts' openings.
    pub fn split(
        &mut self,
        id: Hash32,
        before: &Opening,
        first_index: u32,
        parts: &[(PublicKey, u64)],
    ) -> (Payload, Opening, Vec<Opening>) {
        let mut r = self.rng();
        let openings: Vec<Opening> = parts
            .iter()
            .map(|(_, v)| Opening {
                amount: *v,
                blinding: Blinding::random(&mut r),
            })
            .collect();
        let kept = Opening {
            amount: before.amount - openings.iter().map(|o| o.amount).sum::<u64>(),
            blinding: before
                .blinding
                .minus(&Blinding::sum(openings.iter().map(|o| &o.blinding)).expect("sum"))
                .expect("minus"),
        };
        let buyer = self.buyer.public();
        let holder = self.seller.public();
        let mut tx_parts = Vec::new();
        for (i, ((to, _), o)) in parts.iter().zip(&openings).enumerate() {
            let cid = split_id(&id, first_index + i as u32);
            let d = Disclosure {
                openings: vec![("outstanding".into(), *o)],
                terms: vec![],
            };
            let sealed = self.seal_to(&cid, &[*to, buyer], &d);
            tx_parts.push(SplitPart {
                to: *to,
                amount: prove(&id, o, &mut r).expect("prove"),
                sealed,
            });
        }
        let d = Disclosure {
            openings: vec![("outstanding".into(), kept)],
            terms: vec![],
        };
        let sealed = self.seal_to(&id, &[holder, buyer], &d);
        let p = Payload::Receivable(ReceivableOp::Split {
            receivable: id,
            kept: prove(&id, &kept, &mut r).expect("prove"),
            parts: tx_parts,
            sealed,
        });
        (p, kept, openings)
    }

    /// The holder's request to `lender`, with what the lender needs sealed to it (a
    /// lender with no published seal key gets no box: the step is then refused).
    pub fn request(&mut self, id: Hash32, lender: PublicKey) -> Payload {
        let d = Disclosure {
            openings: vec![],
            terms: vec![("invoice".into(), "INV-1".into())],
        };
        let sealed = if self.keys.iter().any(|(o, _)| *o == lender) {
            self.seal_to(&id, &[lender], &d)
        } else {
            vec![]
        };
        Payload::Receivable(ReceivableOp::RequestFinance {
            receivable: id,
            lender,
            sealed,
        })
    }

    /// A transfer of `id` to `to`, its balance's opening sealed to the new holder.
    pub fn transfer(&mut self, id: Hash32, to: PublicKey, outstanding: &Opening) -> Payload {
        let d = Disclosure {
            openings: vec![("outstanding".into(), *outstanding)],
            terms: vec![],
        };
        let sealed = self.seal_to(&id, &[to], &d);
        Payload::Receivable(ReceivableOp::Transfer {
            receivable: id,
            to,
            sealed,
        })
    }

    /// Issues and confirms an invoice of one line (bag1) for `amount`.
    pub fn confirmed(&mut self, amount: u64) -> (Hash32, Opening) {
        let (h, bag) = (self.delivery, self.bag1.clone());
        let (p, id, face) = self.issue("INV-1", "EUR", &[(h, bag, amount)]);
        self.w.ok(&self.seller, p);
        self.w.ok(
            &self.buyer,
            Payload::Receivable(ReceivableOp::Confirm { receivable: id }),
        );
        (id, face)
    }
}
