//! What a light node checks before it trusts anything a peer sent: the next certified
//! header, a record's Merkle proof against a certified state root, and the block that
//! holds one of its own transactions. Pure functions over ledger types (no network, no
//! store), so the same checks run in the light node, in tests and in a browser.

use crate::block::{Block, BlockHeader, Certificate, tx_root};
use crate::concerns::Concerns;
use crate::gs1::Gs1Key;
use crate::proof::{ProofError, RecordProof};
use crate::rejection::Code;
use crate::state::{Record, StateKey};
use crate::tx::{Entry, Payload, RecallScope, SignedTx};
use crate::types::{Hash32, PublicKey, TxId};
use borsh::{BorshDeserialize, BorshSerialize};

/// Why a header was not taken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Another chain, height or parent: not the next header.
    #[error("the header is not the next one of this chain")]
    NotNext,
    /// The certificate does not verify against the held set (maybe a set change).
    #[error("the certificate does not verify against the validator set")]
    Certificate,
    /// The filter of whom the block concerns does not hash to the header's
    /// `concerns_root` (a peer left an org out, or added one), or is not sorted.
    #[error("the block's filter of the orgs it concerns does not match the header's hash")]
    Filter,
}

/// Checks the filter a peer sent with a certified header: it must be the one whose hash
/// the header carries (so no org was left out of it) and sorted (so a lookup is exact).
pub fn check_filter(header: &BlockHeader, concerns: &Concerns) -> Result<(), HeaderError> {
    if !concerns.is_canonical() || concerns.root() != header.concerns_root {
        return Err(HeaderError::Filter);
    }
    Ok(())
}

/// Checks that `header` is the next header after `tip` (none: genesis) on `chain_id`
/// and that its `certificate` verifies against `validators`.
pub fn check_next(
    chain_id: &Hash32,
    tip_height: u64,
    tip: Option<&BlockHeader>,
    validators: &[PublicKey],
    header: &BlockHeader,
    certificate: &Certificate,
) -> Result<(), HeaderError> {
    if header.chain_id != *chain_id || Some(header.height) != tip_height.checked_add(1) {
        return Err(HeaderError::NotNext);
    }
    if let Some(t) = tip
        && header.prev_hash != t.hash()
    {
        return Err(HeaderError::NotNext);
    }
    if !certificate.verify(header, validators) {
        return Err(HeaderError::Certificate);
    }
    Ok(())
}

/// Why a record proof was not taken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The proof answers another question.
    #[error("the proof is for another height or key")]
    OtherQuestion,
    /// The proof does not lead to the header's state root.
    #[error("the record does not verify: {0}")]
    Proof(#[from] ProofError),
    /// The proven bytes are not a record.
    #[error("the proven value is not a record")]
    NotARecord,
}

/// Checks a record proof for `key` against a certified header's state root; the record
/// (or its proven absence) on success.
pub fn verify_record(
    header: &BlockHeader,
    key: &[u8],
    p: &RecordProof,
) -> Result<Option<Record>, RecordError> {
    if p.height != header.height || p.key != key {
        return Err(RecordError::OtherQuestion);
    }
    p.verify(&header.state_root)?;
    match &p.value {
        None => Ok(None),
        Some(v) => Record::decode(v).map(Some).ok_or(RecordError::NotARecord),
    }
}

/// Where a transaction a light node queued stands (its outbox keeps this per entry).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum OutboxStatus {
    /// Not yet accepted by a full node.
    Pending,
    /// Accepted by a full node; waiting for its block.
    Submitted,
    /// In a certified block, applied.
    Committed {
        /// Block height.
        height: u64,
        /// Index in the block.
        index: u32,
    },
    /// Refused for good: before ordering by a full node, or by a ledger rule in a block
    /// (then with the block's height).
    Rejected {
        /// The rule's code.
        code: String,
        /// Why.
        message: String,
        /// The block that recorded the rejection, if any.
        height: Option<u64>,
    },
}

impl OutboxStatus {
    /// Its name in the outbox listing: `pending`, `submitted`, `committed`, `rejected`.
    pub fn name(&self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Submitted => "submitted",
            OutboxStatus::Committed { .. } => "committed",
            OutboxStatus::Rejected { .. } => "rejected",
        }
    }
}

/// Why a fetched block says nothing about a transaction: it is not the certified block.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockMismatch {
    /// Another header than the certified one.
    #[error("the block does not match the certified header")]
    Header,
    /// Transaction and outcome counts disagree with each other or the header.
    #[error("the block's transactions do not match its header")]
    Count,
    /// A transaction of the block does not decode.
    #[error("undecodable transaction: {0}")]
    Undecodable(String),
    /// Transactions and outcomes do not hash to the header's transaction root.
    #[error("the block's transaction root does not match the certified header")]
    TxRoot,
    /// The block is shorter than the reported index.
    #[error("no transaction at index {0}")]
    NoIndex(u32),
    /// The block's filter does not hash to the header's `concerns_root`.
    #[error("the block's filter of the orgs it concerns does not match the certified header")]
    Filter,
}

/// Checks a fetched block against its certified `header`: the same header, as many
/// transactions as outcomes and as the header counts, the transaction root recomputed
/// from the transactions' ids and outcomes, and the filter's hash. Answers the decoded
/// transactions.
pub fn check_block(header: &BlockHeader, block: &Block) -> Result<Vec<SignedTx>, BlockMismatch> {
    if block.header != *header || block.header.hash() != header.hash() {
        return Err(BlockMismatch::Header);
    }
    if block.txs.len() != block.outcomes.len() || block.txs.len() != header.tx_count as usize {
        return Err(BlockMismatch::Count);
    }
    let mut txs = Vec::with_capacity(block.txs.len());
    let mut leaves = Vec::with_capacity(block.txs.len());
    for (wire, o) in block.txs.iter().zip(&block.outcomes) {
        let tx = SignedTx::decode(wire).map_err(|e| BlockMismatch::Undecodable(e.to_string()))?;
        leaves.push((tx.id(), o.clone()));
        txs.push(tx);
    }
    if tx_root(&leaves) != header.tx_root {
        return Err(BlockMismatch::TxRoot);
    }
    if block.concerns.root() != header.concerns_root {
        return Err(BlockMismatch::Filter);
    }
    Ok(txs)
}

/// The state records an applied transaction may have changed that a light node's own
/// indexes keep (items, containers and lots with what they carry, handoffs, products,
/// orgs, devices). A light node reads each with a proof at the block's height. Records a
/// handoff or a container leads to (the goods of a handoff, the contents of a pallet)
/// are read from those records.
pub fn touched_keys(tx: &SignedTx) -> Vec<StateKey> {
    let item = |k: &Gs1Key| StateKey::Item(k.canonical());
    let entries = |es: &[Entry]| es.iter().map(|e| item(&e.key)).collect::<Vec<_>>();
    let mut keys = match &tx.body.payload {
        Payload::AdmitOrg(a) => vec![StateKey::Org(a.org)],
        Payload::SuspendOrg { org, .. } => vec![StateKey::Org(*org)],
        Payload::AuthorizeDevice { device, .. } | Payload::RevokeDevice { device, .. } => {
            vec![StateKey::Device(*device)]
        }
        Payload::DefineProduct { gtin, .. } | Payload::LicenseProduct { gtin, .. } => {
            vec![StateKey::Product(gtin.clone())]
        }
        Payload::PinCommission(c) => entries(&c.entries),
        Payload::Commission(c) => entries(&c.entries),
        Payload::Pack {
            container,
            entries: es,
        }
        | Payload::Unpack {
            container,
            entries: es,
        } => {
            let mut v = entries(es);
            v.push(item(container));
            v
        }
        Payload::ProposeHandoff(p) => {
            let mut v = entries(&p.entries);
            v.push(StateKey::Handoff(tx.id()));
            v
        }
        Payload::AcceptHandoff(a) => vec![StateKey::Handoff(a.handoff)],
        Payload::RejectHandoff { handoff, .. } | Payload::CancelHandoff { handoff } => {
            vec![StateKey::Handoff(*handoff)]
        }
        Payload::Observe(o) => entries(&o.entries),
        Payload::Transform(t) => [entries(&t.inputs), entries(&t.outputs)].concat(),
        Payload::ClaimedTransform(c) => {
            [entries(&c.transform.inputs), entries(&c.transform.outputs)].concat()
        }
        Payload::Sell { entries: es }
        | Payload::ReportStolen { entries: es, .. }
        | Payload::Decommission { entries: es, .. } => entries(es),
        Payload::PinClaim { item: k, .. } => vec![item(k)],
        Payload::Claim(c) => vec![item(&c.item)],
        Payload::Recall { gtin, scope, .. } => {
            let mut v = vec![StateKey::Product(gtin.clone())];
            if let RecallScope::Items(ks) = scope {
                v.extend(ks.iter().map(item));
            }
            v
        }
        _ => Vec::new(),
    };
    keys.sort();
    keys.dedup();
    keys
}

/// What a fetched block says about the light node's transaction `id` (signed with
/// `nonce`), reported at `index`: the block must match the certified `header` (hash, and
/// transaction root recomputed from the transactions' ids and outcomes). Another
/// transaction at that index took the nonce (`NONCE_REUSED`).
pub fn entry_outcome(
    header: &BlockHeader,
    block: &Block,
    index: u32,
    id: &TxId,
    nonce: u64,
) -> Result<OutboxStatus, BlockMismatch> {
    let txs = check_block(header, block)?;
    let i = index as usize;
    let (Some(tx), Some(o)) = (txs.get(i), block.outcomes.get(i)) else {
        return Err(BlockMismatch::NoIndex(index));
    };
    let found = tx.id();
    if found != *id {
        return Ok(OutboxStatus::Rejected {
            code: Code::NonceReused.as_str().to_string(),
            message: format!(
                "nonce {nonce} was taken by another transaction ({})",
                found.short()
            ),
            height: Some(header.height),
        });
    }
    Ok(match &o.code {
        None => OutboxStatus::Committed {
            height: header.height,
            index,
        },
        Some(c) => OutboxStatus::Rejected {
            code: c.clone(),
            message: o.message.clone().unwrap_or_default(),
            height: Some(header.height),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::{BLOCK_VERSION, Genesis, Outcome};
    use crate::crypto::Keypair;
    use crate::proof::StateHasher;
    use crate::state::{StateKey, ValidatorSetRecord};
    use crate::tx::{Payload, TX_VERSION, TxBody};
    use jmt::mock::MockTreeStore;
    use jmt::{JellyfishMerkleTree, KeyHash};

    fn keys(n: u8) -> Vec<Keypair> {
        (0..n).map(|i| Keypair::from_secret([i + 1; 32])).collect()
    }

    fn public(ks: &[Keypair]) -> Vec<PublicKey> {
        ks.iter().map(|k| k.public()).collect()
    }

    fn chain_of(validators: &[Keypair]) -> Hash32 {
        Genesis {
            name: "light test".into(),
            time_ms: 1,
            validators: public(validators),
            orgs: vec![],
        }
        .chain_id()
    }

    fn header(chain_id: Hash32, height: u64, prev: Hash32) -> BlockHeader {
        BlockHeader {
            version: BLOCK_VERSION,
            chain_id,
            height,
            prev_hash: prev,
            time_ms: 1000 + height as i64,
            proposer: PublicKey([9; 32]),
            tx_count: 0,
            tx_root: tx_root(&[]),
            state_root: Hash32([7; 32]),
            concerns_root: crate::concerns::Concerns::default().root(),
        }
    }

    fn certify(h: &BlockHeader, by: &[Keypair]) -> Certificate {
        Certificate {
            round: 0,
            sigs: by.iter().map(|k| Certificate::sign(k, h, 0)).collect(),
        }
    }

    #[test]
    fn a_valid_chain_of_headers_is_taken_one_by_one() {
        let vs = keys(4);
        let set = public(&vs);
        let chain = chain_of(&vs);
        let mut tip: Option<BlockHeader> = None;
        for height in 1..=5 {
            let prev = tip.as_ref().map_or(Hash32::default(), BlockHeader::hash);
            let h = header(chain, height, prev);
            // Three of four is more than 2/3.
            let c = certify(&h, &vs[..3]);
            assert_eq!(
                check_next(&chain, height - 1, tip.as_ref(), &set, &h, &c),
                Ok(()),
                "header {height}"
            );
            tip = Some(h);
        }
    }

    #[test]
    fn a_header_that_skips_a_height_or_forks_is_not_next() {
        let vs = keys(4);
        let set = public(&vs);
        let chain = chain_of(&vs);
        let h1 = header(chain, 1, Hash32::default());
        // Height 3 after height 1.
        let h3 = header(chain, 3, h1.hash());
        assert_eq!(
            check_next(&chain, 1, Some(&h1), &set, &h3, &certify(&h3, &vs)),
            Err(HeaderError::NotNext)
        );
        // Height 2 again once 2 is held.
        let h2 = header(chain, 2, h1.hash());
        assert_eq!(
            check_next(&chain, 2, Some(&h1), &set, &h2, &certify(&h2, &vs)),
            Err(HeaderError::NotNext)
        );
        // The right height on another parent.
        let fork = header(chain, 2, Hash32([1; 32]));
        assert_eq!(
            check_next(&chain, 1, Some(&h1), &set, &fork, &certify(&fork, &vs)),
            Err(HeaderError::NotNext)
        );
        // Another chain.
        let other = header(Hash32([3; 32]), 1, Hash32::default());
        assert_eq!(
            check_next(&chain, 0, None, &set, &other, &certify(&other, &vs)),
            Err(HeaderError::NotNext)
        );
        // A tip at the last height has no next.
        assert_eq!(
            check_next(&chain, u64::MAX, None, &set, &h1, &certify(&h1, &vs)),
            Err(HeaderError::NotNext)
        );
    }

    #[test]
    fn a_certificate_of_the_wrong_validator_set_is_refused() {
        let vs = keys(4);
        let set = public(&vs);
        let chain = chain_of(&vs);
        let h1 = header(chain, 1, Hash32::default());
        // Two of four is not more than 2/3.
        assert_eq!(
            check_next(&chain, 0, None, &set, &h1, &certify(&h1, &vs[..2])),
            Err(HeaderError::Certificate)
        );
        // Signed by four keys that are not the validators.
        let strangers = keys(8);
        assert_eq!(
            check_next(&chain, 0, None, &set, &h1, &certify(&h1, &strangers[4..])),
            Err(HeaderError::Certificate)
        );
        // Certified by the right keys, checked against another set.
        let good = certify(&h1, &vs);
        assert_eq!(
            check_next(&chain, 0, None, &public(&strangers[4..]), &h1, &good),
            Err(HeaderError::Certificate)
        );
        // A valid certificate over another header does not carry over.
        let mut changed = h1.clone();
        changed.state_root = Hash32([8; 32]);
        assert_eq!(
            check_next(&chain, 0, None, &set, &changed, &good),
            Err(HeaderError::Certificate)
        );
    }

    /// A state tree holding the validator set and one account at version 0: the header
    /// whose state root it is, and proofs of the set and of an absent key.
    fn proven_state() -> (BlockHeader, RecordProof, RecordProof) {
        let set = Record::Validators(ValidatorSetRecord {
            epoch: 0,
            validators: public(&keys(4)),
        });
        let present = StateKey::Validators.to_bytes();
        let filler = StateKey::Account(PublicKey([6; 32])).to_bytes();
        let absent = StateKey::Account(PublicKey([5; 32])).to_bytes();
        let db = MockTreeStore::default();
        let tree = JellyfishMerkleTree::<_, StateHasher>::new(&db);
        let kh = |k: &[u8]| KeyHash::with::<StateHasher>(k);
        let (root, batch) = tree
            .put_value_set(
                vec![
                    (kh(&present), Some(set.encode())),
                    (kh(&filler), Some(vec![1, 2, 3])),
                ],
                0,
            )
            .expect("the tree takes the values");
        db.write_tree_update_batch(batch)
            .expect("the mock store writes");
        let prove = |k: &[u8]| {
            let (value, proof) = tree.get_with_proof(kh(k), 0).expect("a proof");
            RecordProof {
                height: 3,
                key: k.to_vec(),
                value,
                proof: borsh::to_vec(&proof).expect("the proof encodes"),
            }
        };
        let mut h = header(Hash32([1; 32]), 3, Hash32([2; 32]));
        h.state_root = Hash32(root.0);
        (h, prove(&present), prove(&absent))
    }

    #[test]
    fn a_proven_record_and_a_proven_absence_are_answers() {
        let (h, p, none) = proven_state();
        let rec = verify_record(&h, &StateKey::Validators.to_bytes(), &p).expect("verifies");
        assert!(matches!(rec, Some(Record::Validators(r)) if r.validators.len() == 4));
        assert_eq!(verify_record(&h, &none.key, &none), Ok(None));
    }

    #[test]
    fn a_forged_proof_is_refused() {
        let (h, p, none) = proven_state();
        let key = StateKey::Validators.to_bytes();
        // Another value under the same proof.
        let mut forged = p.clone();
        forged.value = Some(
            Record::Validators(ValidatorSetRecord {
                epoch: 0,
                validators: vec![PublicKey([1; 32])],
            })
            .encode(),
        );
        assert_eq!(
            verify_record(&h, &key, &forged),
            Err(RecordError::Proof(ProofError::Mismatch))
        );
        // The record hidden: a proof of presence passed off as absence.
        let mut hidden = p.clone();
        hidden.value = None;
        assert_eq!(
            verify_record(&h, &key, &hidden),
            Err(RecordError::Proof(ProofError::Mismatch))
        );
        // Another root, a garbled proof, another key or height asked.
        let mut other_root = h.clone();
        other_root.state_root = Hash32([1; 32]);
        assert_eq!(
            verify_record(&other_root, &key, &p),
            Err(RecordError::Proof(ProofError::Mismatch))
        );
        let mut garbled = p.clone();
        garbled.proof.truncate(garbled.proof.len() / 2);
        assert_eq!(
            verify_record(&h, &key, &garbled),
            Err(RecordError::Proof(ProofError::Malformed))
        );
        assert_eq!(
            verify_record(&h, &none.key, &p),
            Err(RecordError::OtherQuestion)
        );
        let mut later = h.clone();
        later.height += 1;
        assert_eq!(
            verify_record(&later, &key, &p),
            Err(RecordError::OtherQuestion)
        );
    }

    #[test]
    fn a_block_must_match_its_header_and_hold_the_entry() {
        let k = Keypair::from_secret([3; 32]);
        let tx = |time| {
            k.sign_tx(TxBody {
                version: TX_VERSION,
                chain_id: Hash32([1; 32]),
                signer: k.public(),
                nonce: 0,
                event_time_ms: time,
                payload: Payload::Sell { entries: vec![] },
            })
            .expect("the body encodes")
        };
        let (mine, other) = (tx(0), tx(5));
        let block_of = |t: &SignedTx, o: Outcome| {
            let mut h = header(Hash32([1; 32]), 5, Hash32::default());
            h.tx_count = 1;
            h.tx_root = tx_root(&[(t.id(), o.clone())]);
            Block {
                header: h,
                certificate: Certificate::default(),
                txs: vec![t.encode()],
                outcomes: vec![o],
                concerns: Default::default(),
            }
        };
        let b = block_of(&mine, Outcome::applied());
        assert_eq!(
            entry_outcome(&b.header, &b, 0, &mine.id(), 0),
            Ok(OutboxStatus::Committed {
                height: 5,
                index: 0
            })
        );
        // Rejected in the block by a rule: final, with the block's height.
        let refused = Outcome {
            code: Some("NOT_CUSTODIAN".into()),
            message: Some("not yours".into()),
        };
        let r = block_of(&mine, refused);
        assert_eq!(
            entry_outcome(&r.header, &r, 0, &mine.id(), 0),
            Ok(OutboxStatus::Rejected {
                code: "NOT_CUSTODIAN".into(),
                message: "not yours".into(),
                height: Some(5)
            })
        );
        // Outcomes changed after certification: the tx root no longer matches.
        let mut lying = b.clone();
        lying.outcomes[0] = Outcome {
            code: Some("X".into()),
            message: None,
        };
        assert_eq!(
            entry_outcome(&b.header, &lying, 0, &mine.id(), 0),
            Err(BlockMismatch::TxRoot)
        );
        // Another header.
        let mut h = b.header.clone();
        h.time_ms += 1;
        assert_eq!(
            entry_outcome(&h, &b, 0, &mine.id(), 0),
            Err(BlockMismatch::Header)
        );
        // Past the end of the block.
        assert_eq!(
            entry_outcome(&b.header, &b, 1, &mine.id(), 0),
            Err(BlockMismatch::NoIndex(1))
        );
        // Another transaction took the nonce.
        let b2 = block_of(&other, Outcome::applied());
        assert!(matches!(
            entry_outcome(&b2.header, &b2, 0, &mine.id(), 0),
            Ok(OutboxStatus::Rejected { code, .. }) if code == "NONCE_REUSED"
        ));
    }
}
