//! Making a sled database's flushes durable.
//!
//! sled 0.34's `flush` is not a durability barrier on Linux. It ends with
//! `sync_file_range(2)` on the log file, which writes dirty pages but persists neither the
//! file's size and block allocation (a log that grew is not there after a power cut) nor
//! anything past the drive's cache; its only real `fsync` of the log is on a background
//! thread every 500 ms. It writes values too large for the log (over about 128 KiB, e.g.
//! a block of a few thousand transactions) to files in `blobs/` that it never syncs, and
//! it syncs no directory: not the new log, config or snapshot files, not the blob
//! folder. After a power cut, acknowledged blocks and outbox entries were lost, and a log
//! record whose blob file did not survive is skipped by sled's recovery, which would
//! break a block's atomic batch.
//!
//! [`Durable`] closes those gaps from outside sled: after `flush` it syncs every blob file
//! not yet synced and the blob folder, then the log file, then the database folder — in
//! that order, so the log never becomes durable before the blobs it points at (sled's
//! background flusher, which would sync the log on its own schedule, is turned off by
//! [`config`]). Opening syncs what sled's open created, up to the folder's entry in its
//! parent.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A sled configuration for a database made durable by [`Durable`]: sled's own periodic
/// flusher is off (our flush orders blob and log syncs; the flusher would sync the log
/// before the blobs it points at).
pub fn config(dir: &Path) -> sled::Config {
    sled::Config::new().path(dir).flush_every_ms(None)
}

/// How long [`open`] waits for the folder's lock: sled releases it from its own threads a
/// moment after the previous handle of this process is dropped (seen under load, when a
/// store is reopened at once: the app's light node opened right after its folder was
/// made, a node restarted in the same process). Another process holding the folder still
/// gets the error, after this wait.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens the database `cfg` describes, waiting up to [`LOCK_WAIT`] for its lock. Every
/// store of the crate opens through here.
pub fn open(cfg: &sled::Config) -> Result<sled::Db, sled::Error> {
    let start = std::time::Instant::now();
    loop {
        match cfg.open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && start.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The durability barrier of one sled database folder.
pub struct Durable {
    dir: PathBuf,
    log: File,
    synced_blobs: Mutex<HashSet<OsString>>,
}

impl Durable {
    /// For the database sled just opened in `dir`: syncs the files and folders sled
    /// created (its config, blobs, the blob folder, the folder and its entry in its
    /// parent), then flushes are durable through [`Durable::flush`].
    pub fn open(dir: &Path) -> std::io::Result<Durable> {
        let log = File::open(dir.join("db"))?;
        let d = Durable {
            dir: dir.to_path_buf(),
            log,
            synced_blobs: Mutex::new(HashSet::new()),
        };
        let conf = dir.join("conf");
        if conf.exists() {
            File::open(&conf)?.sync_all()?;
        }
        d.sync_blobs()?;
        d.log.sync_all()?;
        sync_dir(dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(d)
    }

    /// Syncs the blob files written since the last call, then the blob folder.
    fn sync_blobs(&self) -> std::io::Result<()> {
        let blobs = self.dir.join("blobs");
        let Ok(entries) = std::fs::read_dir(&blobs) else {
            return Ok(());
        };
        let mut synced = self.synced_blobs.lock().unwrap_or_else(|p| p.into_inner());
        let mut present = HashSet::new();
        let mut new = false;
        for e in entries {
            let name = e?.file_name();
            if !synced.contains(&name) {
                match File::open(blobs.join(&name)) {
                    Ok(f) => f.sync_all()?,
                    // sled removed it meanwhile (its value was replaced): nothing to keep.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
                new = true;
            }
            present.insert(name);
        }
        // New blobs' names, and removed ones (a replaced value's blob must not come back).
        let changed = new || present != *synced;
        *synced = present;
        if changed {
            sync_dir(&blobs)?;
        }
        Ok(())
    }

    /// Flushes `db` and makes everything it wrote durable; returns only then.
    pub fn flush(&self, db: &sled::Db) -> crate::Result<()> {
        db.flush()?;
        self.sync_blobs()
            .and_then(|()| self.log.sync_all())
            .and_then(|()| sync_dir(&self.dir))
            .map_err(crate::StoreError::Sync)
    }
}
