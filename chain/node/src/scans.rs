//! The node's scan log for clone detection (`handoff_core::scans`): each lookup of a sold
//! item from a known client (the resolver and the public API over HTTP) is noted in the
//! store's node-local notes as a time and a keyed digest of the client's network (its
//! IPv4 /24 or IPv6 /48, `handoff_http::clientnet`). No address is kept: the digest's key is random per node and
//! never leaves it. The log is read back as the counts the verdict is lowered by; a log
//! that cannot be read or written is `SCANS_UNCHECKED`, never "no scans".

use handoff_core::gs1::Gs1Key;
use handoff_core::scans::{Network, Observation, ScanLog};
use handoff_core::state::{ItemStatus, Record, StateReadExt};
use handoff_core::types::sha256;
use handoff_store::Store;
use std::cell::Cell;

/// The node-local note holding the digest key.
const SECRET_NOTE: &[u8] = b"scan-secret";
/// Prefix of each item's log (then its canonical key).
const LOG_PREFIX: &[u8] = b"scan/";

/// The node's digest key, made on first use.
fn secret(store: &Store) -> Result<[u8; 32], String> {
    let kept = store
        .local_get(SECRET_NOTE)
        .map_err(|e| format!("the scan log's key cannot be read: {e}"))?;
    if let Some(k) = kept {
        return k
            .try_into()
            .map_err(|_| "the scan log's key is damaged".to_string());
    }
    let made = store
        .local_update(SECRET_NOTE, |old| match old {
            Some(k) => k.to_vec(),
            None => {
                let mut k = [0u8; 32];
                // Without randomness the note stays empty and is refused below.
                match getrandom::fill(&mut k) {
                    Ok(()) => k.to_vec(),
                    Err(_) => Vec::new(),
                }
            }
        })
        .map_err(|e| format!("the scan log's key cannot be read: {e}"))?;
    made.try_into()
        .map_err(|_| "the scan log's key is damaged".to_string())
}

fn digest(secret: &[u8; 32], network: &str) -> Network {
    let h = sha256(&[b"handoff scan network", secret, network.as_bytes()]);
    let mut n = [0u8; 8];
    n.copy_from_slice(&h.0[..8]);
    n
}

fn log_key(key: &Gs1Key) -> Vec<u8> {
    let mut k = LOG_PREFIX.to_vec();
    k.extend_from_slice(key.canonical().as_bytes());
    k
}

/// What this node saw of `key`'s lookups, noting this one first when the client's
/// network is known. Only sold (or claimed) serialized items are watched: before the sale
/// staff scan goods from many places.
pub fn observe(store: &Store, key: &Gs1Key, client: Option<&str>, now_ms: i64) -> Observation {
    match observe_inner(store, key, client, now_ms) {
        Ok(o) => o,
        Err(why) => Observation::Unchecked(why),
    }
}

fn observe_inner(
    store: &Store,
    key: &Gs1Key,
    client: Option<&str>,
    now_ms: i64,
) -> Result<Observation, String> {
    if !matches!(key, Gs1Key::Serial { .. }) {
        return Ok(Observation::NotWatched);
    }
    let sold = match store.thing(key) {
        Ok(Some(Record::Item(it))) => matches!(it.status, ItemStatus::Sold | ItemStatus::Claimed),
        Ok(_) => false,
        Err(e) => return Err(format!("the item cannot be read: {e}")),
    };
    if !sold {
        return Ok(Observation::NotWatched);
    }
    let lk = log_key(key);
    let decode = |bytes: &[u8]| -> Result<ScanLog, String> {
        borsh::from_slice(bytes).map_err(|_| "the item's scan log is damaged".to_string())
    };
    let stored = match store.local_get(&lk) {
        Ok(Some(b)) => decode(&b)?,
        Ok(None) => ScanLog::default(),
        Err(e) => return Err(format!("the item's scan log cannot be read: {e}")),
    };
    let log = match client {
        None => stored,
        Some(net) => {
            let network = digest(&secret(store)?, net);
            // A lookup that changes nothing (a reload within the hour) writes nothing.
            let mut after = stored.clone();
            after.record(network, now_ms);
            if after == stored {
                return Ok(Observation::Seen(stored.observed(now_ms)));
            }
            // A damaged log is left as it is (and reported), never replaced by a fresh
            // one: that would forget the lookups that make a clone visible.
            let damaged = Cell::new(false);
            let new = store
                .local_update(&lk, |old| {
                    let mut log = match old.map(decode) {
                        None => ScanLog::default(),
                        Some(Ok(l)) => l,
                        Some(Err(_)) => {
                            damaged.set(true);
                            return old.map(<[u8]>::to_vec).unwrap_or_default();
                        }
                    };
                    damaged.set(false);
                    log.record(network, now_ms);
                    borsh::to_vec(&log).unwrap_or_default()
                })
                .map_err(|e| format!("the item's scan log cannot be written: {e}"))?;
            if damaged.get() {
                return Err("the item's scan log is damaged".into());
            }
            decode(&new)?
        }
    };
    Ok(Observation::Seen(log.observed(now_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_depend_on_the_key() {
        let a = digest(&[1; 32], "203.0.113.0/24");
        assert_eq!(a, digest(&[1; 32], "203.0.113.0/24"));
        assert_ne!(a, digest(&[2; 32], "203.0.113.0/24"));
        assert_ne!(a, digest(&[1; 32], "203.0.114.0/24"));
    }
}
