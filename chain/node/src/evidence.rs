//! Builds the evidence of a scan's verdict and journey (`handoff_core::evidence`): runs
//! both queries over a recording reader to learn what they read, then proves every
//! record at the newest certified height and cuts every history there. The result is
//! checked here with the same function the consumer page runs before it is served, so a
//! block committed between the reads and the proofs (the queries then need a record the
//! evidence lacks) is retried, never served half-true.

use crate::error::CliError;
use handoff_core::evidence::{Anchor, Evidence, EvidenceError, HistoryProof, Recording, check};
use handoff_core::limits::{MAX_EVIDENCE_BYTES, MAX_EVIDENCE_EVENTS, MAX_EVIDENCE_RECORDS};
use handoff_store::Store;

/// Attempts before giving up on a chain that keeps moving under the reads.
const ATTEMPTS: usize = 3;

/// The evidence for `scan` at the newest committed height, as of `now_ms`.
pub fn build(store: &Store, scan: &str, now_ms: i64) -> Result<Evidence, CliError> {
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let evidence = build_once(store, scan, now_ms)?;
        // Checked as the page checks it: from the genesis set.
        let anchor = Anchor {
            chain_id: evidence.header.chain_id,
            validators: store.validators_at(0)?.validators,
        };
        match check(&evidence, &anchor, scan, now_ms) {
            Ok(_) => return Ok(evidence),
            // The chain moved on between the queries and the proofs: read again.
            Err(e @ (EvidenceError::Incomplete(_) | EvidenceError::History(_))) => {
                last = Some(e);
            }
            Err(e) => {
                return Err(CliError::failed(
                    e.code(),
                    format!("this node's own evidence does not check: {e}"),
                ));
            }
        }
    }
    let e = last.map_or_else(String::new, |e| e.to_string());
    Err(CliError::failed(
        "EVIDENCE_INCOMPLETE",
        format!("the chain kept changing while the evidence was gathered; try again ({e})"),
    ))
}

fn build_once(store: &Store, scan: &str, now_ms: i64) -> Result<Evidence, CliError> {
    let header = store.tip()?;
    let height = header.height;
    let block = store.block(height)?.ok_or_else(|| {
        CliError::failed(
            "STORE_FAULT",
            format!("block {height} is missing from the store"),
        )
    })?;
    let recording = Recording::new(store, store);
    recording.run(scan, now_ms)?;
    let (keys, histories) = recording.into_reads();
    if keys.len() > MAX_EVIDENCE_RECORDS || histories.len() > MAX_EVIDENCE_RECORDS {
        return Err(too_large(format!(
            "the verdict reads {} records and {} histories",
            keys.len(),
            histories.len()
        )));
    }
    let records = keys
        .iter()
        .map(|k| store.prove(k, Some(height)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut events = 0;
    let mut proofs = Vec::with_capacity(histories.len());
    for key in histories {
        let served: Vec<Vec<u8>> = store
            .history(&key)?
            .into_iter()
            .filter(|e| e.height <= height)
            .map(|e| e.encode())
            .collect();
        events += served.len();
        if events > MAX_EVIDENCE_EVENTS {
            return Err(too_large(format!(
                "the journey reads more than {MAX_EVIDENCE_EVENTS} events"
            )));
        }
        proofs.push(HistoryProof {
            key,
            events: served,
        });
    }
    let evidence = Evidence {
        set_changes: store.set_changes_before(height)?,
        header,
        certificate: block.certificate,
        records,
        histories: proofs,
    };
    let size = evidence.encode().len();
    if size > MAX_EVIDENCE_BYTES {
        return Err(too_large(format!(
            "the evidence is {size} bytes, more than {MAX_EVIDENCE_BYTES}"
        )));
    }
    Ok(evidence)
}

fn too_large(what: String) -> CliError {
    CliError::failed(
        "EVIDENCE_TOO_LARGE",
        format!(
            "{what}: too much for a consumer's phone to check; ask the node for the verdict instead"
        ),
    )
}
