//! The consensus write-ahead log of a validator: the replica's own signatures and the
//! inputs it logs (`Action::Persist`), appended and synced to disk before the node carries
//! out any later action, and given back in order after a restart so the validator never
//! signs two different votes for one height and round.
//!
//! One file, `consensus.wal` in the data folder, of frames `len: u32 LE ‖ height: u64 LE
//! ‖ check: first 4 bytes of SHA-256(height ‖ record) ‖ record`. A torn last frame (the
//! process died mid-append) fails its length or check and ends the log; everything before
//! it was synced. When a height is committed the log is rewritten without the records
//! below it (written to a temporary file, synced, renamed).

use anyhow::{Context, Result};
use handoff_core::limits::MAX_CONSENSUS_MSG_BYTES;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A record larger than this is refused (a replica never logs more than one message).
const MAX_RECORD: usize = MAX_CONSENSUS_MSG_BYTES + 1024;

/// The log file of one validator.
pub struct Wal {
    path: PathBuf,
    file: File,
    records: Vec<(u64, Vec<u8>)>,
}

fn check(height: u64, record: &[u8]) -> [u8; 4] {
    let h = handoff_core::types::sha256(&[&height.to_le_bytes(), record]);
    [h.0[0], h.0[1], h.0[2], h.0[3]]
}

fn frame(height: u64, record: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(16 + record.len());
    f.extend_from_slice(&(record.len() as u32).to_le_bytes());
    f.extend_from_slice(&height.to_le_bytes());
    f.extend_from_slice(&check(height, record));
    f.extend_from_slice(record);
    f
}

/// Reads every whole frame; stops at the first torn or corrupt one.
fn parse(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 16 {
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let mut h = [0u8; 8];
        h.copy_from_slice(&rest[4..12]);
        let height = u64::from_le_bytes(h);
        if len > MAX_RECORD || rest.len() < 16 + len {
            break;
        }
        let record = &rest[16..16 + len];
        if rest[12..16] != check(height, record) {
            break;
        }
        out.push((height, record.to_vec()));
        rest = &rest[16 + len..];
    }
    out
}

impl Wal {
    /// Opens (or creates) the log in `data`, reading the records already there.
    pub fn open(data: &Path) -> Result<Wal> {
        let path = data.join("consensus.wal");
        let mut bytes = Vec::new();
        if path.exists() {
            File::open(&path)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .with_context(|| format!("cannot read {}", path.display()))?;
        }
        let records = parse(&bytes);
        let mut wal = Wal {
            file: File::create(path.with_extension("wal.tmp"))?,
            path,
            records,
        };
        // Rewrite it whole: a torn tail is dropped, so later appends follow good frames.
        wal.rewrite()?;
        Ok(wal)
    }

    /// The records in the order they were appended.
    pub fn records(&self) -> Vec<Vec<u8>> {
        self.records.iter().map(|(_, r)| r.clone()).collect()
    }

    /// Appends a record and syncs it to disk.
    pub fn append(&mut self, height: u64, record: &[u8]) -> Result<()> {
        if record.len() > MAX_RECORD {
            anyhow::bail!(
                "a consensus log record of {} bytes is too large",
                record.len()
            );
        }
        self.file
            .write_all(&frame(height, record))
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.records.push((height, record.to_vec()));
        Ok(())
    }

    /// Drops the records of heights below `height` (they are committed).
    pub fn prune_below(&mut self, height: u64) -> Result<()> {
        if self.records.iter().all(|(h, _)| *h >= height) {
            return Ok(());
        }
        self.records.retain(|(h, _)| *h >= height);
        self.rewrite()
    }

    fn rewrite(&mut self) -> Result<()> {
        let tmp = self.path.with_extension("wal.tmp");
        let mut f = File::create(&tmp)?;
        for (h, r) in &self.records {
            f.write_all(&frame(*h, r))?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("cannot replace {}", self.path.display()))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself must be durable; a failed sync is an error, not a shrug.
            File::open(dir)
                .and_then(|d| d.sync_all())
                .with_context(|| format!("cannot sync {}", dir.display()))?;
        }
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_reopen_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let mut w = Wal::open(dir.path()).expect("open");
            w.append(5, b"prevote").expect("append");
            w.append(5, b"precommit").expect("append");
            w.append(6, b"proposal").expect("append");
        }
        // A crash mid-append leaves half a frame.
        let path = dir.path().join("consensus.wal");
        let mut f = OpenOptions::new().append(true).open(&path).expect("file");
        f.write_all(&frame(6, b"torn record")[..9]).expect("torn");
        drop(f);
        let mut w = Wal::open(dir.path()).expect("reopen");
        assert_eq!(
            w.records(),
            vec![
                b"prevote".to_vec(),
                b"precommit".to_vec(),
                b"proposal".to_vec()
            ]
        );
        w.append(6, b"after").expect("append after torn tail");
        w.prune_below(6).expect("prune");
        let w = Wal::open(dir.path()).expect("reopen");
        assert_eq!(w.records(), vec![b"proposal".to_vec(), b"after".to_vec()]);
    }

    #[test]
    fn a_flipped_bit_ends_the_log_there() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let mut w = Wal::open(dir.path()).expect("open");
            w.append(1, b"first").expect("append");
            w.append(1, b"second").expect("append");
        }
        let path = dir.path().join("consensus.wal");
        let mut bytes = std::fs::read(&path).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        std::fs::write(&path, &bytes).expect("write");
        let w = Wal::open(dir.path()).expect("reopen");
        assert_eq!(w.records(), vec![b"first".to_vec()]);
    }
}
