//! The light node (`handoff light …`): follows certified headers instead of executing
//! blocks, reads records with Merkle proofs checked against a certified state root, and
//! keeps an **outbox** of transactions signed on this machine (offline if need be) that it
//! submits to full nodes in order once a peer is reachable.
//!
//! **Folder.** A light folder holds `keys/` (the org identity it signs with, copied from a
//! full node's folder by `light init`) and `light/`, its own sled database: the trusted
//! genesis, the validator set that certifies the next header, the certified headers by
//! height, the last account nonces it verified, and the outbox. Headers live on disk, not
//! in memory, and once the node knows its org only the headers of blocks that name the
//! org or its signers are kept (with the tip, and the header its index stands at): every
//! other header is checked as it arrives and not written, so a day of one-second blocks
//! of which 1 % are the org's costs a few megabytes of disk (`bench light`).
//!
//! **Headers.** Header `h + 1` is taken only if it is for this chain, at height `h + 1`,
//! links to the hash of stored header `h` and its certificate verifies against the set the
//! node holds. If the certificate does not verify, the node fetches the validator set
//! record proven against header `h`'s state root and follows the change
//! ([`handoff_core::governance::follow_validator_change`]); otherwise the header is
//! refused and its peer reported.
//! Header 1 is checked against the genesis validators and chain id (the genesis header
//! itself is never served; its chain id is the hash of the trusted genesis).
//!
//! **Outbox.** Entries are numbered in the order they were queued and carry the encoded
//! signed transaction, its id, signer, nonce and status (`pending`, `submitted`,
//! `committed` at a height and index, or `rejected` with a code). Every status change is
//! flushed before the node acts on it, so an acknowledged scan is never lost; after a
//! crash a transaction may be submitted twice, which is harmless: it has the same signer
//! and nonce, and a full node answers a committed one as accepted. Pending entries are
//! submitted strictly in order, one request at a time, the next only after the previous
//! one was accepted; at most `--max-inflight` wait for their block at once. A submitted
//! entry is final only once its block, fetched from a peer, matches the certified header
//! (its hash and its transaction root recomputed from ids and outcomes) and holds this
//! very transaction at the reported index (another one there: `NONCE_REUSED`).
//!
//! **Nonces.** A transaction queued here takes the signer's highest nonce in the outbox
//! plus one; with none in the outbox, the account's next nonce as last verified from the
//! chain (`light init` records it, and the running light node reads it again with a
//! proof for every identity that queues here). An identity the folder has never read is
//! read from a peer before its first transaction is queued; offline it is refused with
//! `NONCE_UNKNOWN` rather than numbered by a guess the chain would refuse later. Sign with
//! one folder per org key (two signers of one key race for nonces).
//!
//! **Running.** `light run` holds the folder and serves the typed API of its session on
//! `handoff_http` (the `/v1/…` routes of a full node; `light.json` in the folder holds
//! the address, a token for the default identity and one for each identity, and the
//! pid — like a full node's `node.json`); `light commission|propose|accept|outbox|show`
//! then go to it as typed requests, and open the database directly otherwise.
//!
//! **Where the parts live.** The database is [`handoff_store::light`] (re-exported here),
//! the pure checks of headers, proofs and blocks are [`handoff_core::light`] (re-exported
//! here); this module is the networked node ([`node`]), `light run` and its HTTP API
//! ([`daemon`]), the session a long-running host holds ([`session`]) and the command line
//! ([`cli`]).

pub mod cli;
pub mod daemon;
pub mod epcis;
pub mod finance;
pub mod follow;
pub mod history;
pub mod index;
pub mod node;
pub mod session;

pub use cli::{LightCmd, LightRunArgs, outbox_json, parse_genesis, run};
pub use daemon::{DaemonFile, daemon_file};
pub use handoff_core::light::{
    BlockMismatch, HeaderError, OutboxStatus, RecordError, check_next, entry_outcome, verify_record,
};
pub use handoff_store::light::{
    Freshness, IndexedBlock, LightActivity, LightStep, LightStore, LightStoreError, OutboxEntry,
    store_dir,
};
pub use node::{LightNode, LightOptions, Running, Traffic};
pub use session::{LightSession, show_oneshot};

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_core::block::Genesis;
    use handoff_core::crypto::Keypair;
    use handoff_core::state::{Record, StateKey, ValidatorSetRecord};
    use handoff_core::types::{Hash32, PublicKey};

    /// The proofs the chain's own store makes verify with the light node's check, and a
    /// forged one does not.
    #[test]
    fn proofs_from_the_store_verify_and_forged_ones_do_not() {
        let tmp = tempfile::tempdir().expect("tmp");
        let vs: Vec<Keypair> = (1..=4u8).map(|i| Keypair::from_secret([i; 32])).collect();
        let genesis = Genesis {
            name: "light test".into(),
            time_ms: 1,
            validators: vs.iter().map(|k| k.public()).collect(),
            orgs: vec![],
        };
        let store = handoff_store::Store::open(tmp.path()).expect("store");
        let h0 = store.init(&genesis, vs[0].public()).expect("init");
        let key = StateKey::Validators;
        let p = store.prove(&key, Some(0)).expect("proof");
        let rec = verify_record(&h0, &key.to_bytes(), &p).expect("verifies");
        assert!(matches!(rec, Some(Record::Validators(_))));
        let mut forged = p.clone();
        forged.value = Some(
            Record::Validators(ValidatorSetRecord {
                epoch: 0,
                validators: vec![PublicKey([1; 32])],
            })
            .encode(),
        );
        assert!(verify_record(&h0, &key.to_bytes(), &forged).is_err());
        let mut other_root = h0.clone();
        other_root.state_root = Hash32([1; 32]);
        assert!(verify_record(&other_root, &key.to_bytes(), &p).is_err());
        // Proven absence of a key that is not there is an answer, not an error.
        let acct = StateKey::Account(PublicKey([5; 32]));
        let none = store.prove(&acct, Some(0)).expect("proof");
        assert_eq!(
            verify_record(&h0, &acct.to_bytes(), &none).expect("absent"),
            None
        );
    }
}
