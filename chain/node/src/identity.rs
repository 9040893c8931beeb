//! Local identities: the signing keys a data folder holds (one per org acting from this
//! machine, plus the validator key), in `keys/`, readable only by the user.

use crate::error::CliError;
use anyhow::{Context, Result, bail};
use handoff_core::crypto::Keypair;
use handoff_core::types::PublicKey;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

/// One local identity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdentityFile {
    /// The org's name.
    pub name: String,
    /// Public key, hex.
    pub public: String,
    /// Secret key seed, hex.
    pub secret: String,
    /// Creation order (the first identity is the default signer).
    pub created_ms: i64,
}

/// A loaded identity.
#[derive(Debug)]
pub struct Identity {
    /// The org's name.
    pub name: String,
    /// Its key pair.
    pub key: Keypair,
}

/// Generates a fresh key pair from the operating system's randomness.
pub fn generate() -> Result<Keypair> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
    Ok(Keypair::from_secret(seed))
}

/// A fresh claim secret (128 bits) from the operating system's random source.
pub fn claim_secret() -> std::result::Result<handoff_core::claim::ClaimSecret, CliError> {
    let mut bytes = [0u8; handoff_core::claim::CLAIM_SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::Other(anyhow::anyhow!("no randomness available: {e}")))?;
    Ok(handoff_core::claim::ClaimSecret::from_bytes(bytes))
}

/// The folder's consumer key, which signs its claims (`consumer.key` beside `keys/`, so it
/// is never taken for an org identity); made on first use.
pub fn consumer(data: &Path, now_ms: i64) -> std::result::Result<Keypair, CliError> {
    let load_or_make = || -> Result<Keypair> {
        let path = data.join("consumer.key");
        if path.exists() {
            return Ok(to_identity(read_key(&path)?)?.key);
        }
        let key = generate()?;
        fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
        write_key(
            &path,
            &IdentityFile {
                name: "consumer".into(),
                public: key.public().to_hex(),
                secret: hex::encode(key.secret()),
                created_ms: now_ms,
            },
        )?;
        Ok(key)
    };
    load_or_make().map_err(CliError::from)
}

fn keys_dir(data: &Path) -> PathBuf {
    data.join("keys")
}

fn file_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.key")
}

/// Writes a key file atomically and durably with owner-only permissions: a temporary file
/// created `0600`, written and synced, renamed over `path`, then the folder synced, so
/// after a crash the key is either whole on disk or absent, never half-written.
pub fn write_key(path: &Path, f: &IdentityFile) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("key.tmp");
    let bytes = serde_json::to_vec_pretty(f)?;
    let write = || -> std::io::Result<()> {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&tmp)?;
        #[cfg(unix)]
        {
            // `mode` applies only to a file it creates; a stale temporary keeps its own.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(path)
    };
    write().with_context(|| format!("cannot write the key file {}", path.display()))
}

/// Syncs the folder holding `path`, so a rename or removal in it is durable.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        #[cfg(unix)]
        Some(dir) => fs::File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

/// Takes back a key saved for an org the chain refused: removes the file durably.
pub fn remove_key(path: &Path) -> Result<()> {
    fs::remove_file(path)
        .and_then(|()| sync_dir(path))
        .with_context(|| format!("cannot remove {}", path.display()))
}

/// Keeps a key whose org may or may not have been committed (the outcome is unknown)
/// under `<file>.unconfirmed`, where it is no identity of the folder; returns that path.
pub fn mark_unconfirmed(path: &Path) -> Result<PathBuf> {
    let marked = path.with_extension("key.unconfirmed");
    fs::rename(path, &marked)
        .and_then(|()| sync_dir(path))
        .with_context(|| format!("cannot rename {}", path.display()))?;
    Ok(marked)
}

fn read_key(path: &Path) -> Result<IdentityFile> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not a key file", path.display()))
}

fn to_identity(f: IdentityFile) -> Result<Identity> {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(f.secret.trim(), &mut seed).context("bad secret in key file")?;
    Ok(Identity {
        name: f.name,
        key: Keypair::from_secret(seed),
    })
}

/// Where the identity `name` of a folder is kept.
pub fn key_path(data: &Path, name: &str) -> PathBuf {
    keys_dir(data).join(file_name(name))
}

/// Saves a new org identity in the data folder (durably); returns the key file's path.
pub fn save(data: &Path, name: &str, key: &Keypair, now_ms: i64) -> Result<PathBuf> {
    let dir = keys_dir(data);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = key_path(data, name);
    if path.exists() {
        bail!("an identity named '{name}' already exists in this folder");
    }
    write_key(
        &path,
        &IdentityFile {
            name: name.to_string(),
            public: key.public().to_hex(),
            secret: hex::encode(key.secret()),
            created_ms: now_ms,
        },
    )?;
    Ok(path)
}

/// All org identities of the folder, oldest first (the validator key is not one).
pub fn list(data: &Path) -> Result<Vec<Identity>> {
    let dir = keys_dir(data);
    let mut files = Vec::new();
    if dir.exists() {
        for e in fs::read_dir(&dir)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "key")
                && p.file_stem().is_some_and(|s| s != "validator")
            {
                files.push(read_key(&p)?);
            }
        }
    }
    files.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.name.cmp(&b.name)));
    files.into_iter().map(to_identity).collect()
}

/// The identity named `name` (case-insensitive), or the folder's first one.
pub fn select(data: &Path, name: Option<&str>) -> Result<Identity> {
    let all = list(data)?;
    match name {
        Some(n) => {
            let n = n.trim();
            let found = all.into_iter().find(|i| {
                i.name.eq_ignore_ascii_case(n)
                    || i.key.public().to_hex().starts_with(&n.to_lowercase())
            });
            found.with_context(|| format!("no local identity '{n}' in this data folder"))
        }
        None => all
            .into_iter()
            .next()
            .context("this data folder has no identity; run `handoff init`"),
    }
}

/// The validator key of the folder.
pub fn validator(data: &Path) -> Result<Keypair> {
    Ok(to_identity(read_key(&keys_dir(data).join("validator.key"))?)?.key)
}

/// Saves the validator key.
pub fn save_validator(data: &Path, key: &Keypair, now_ms: i64) -> Result<()> {
    let dir = keys_dir(data);
    fs::create_dir_all(&dir)?;
    write_key(
        &dir.join("validator.key"),
        &IdentityFile {
            name: "validator".into(),
            public: key.public().to_hex(),
            secret: hex::encode(key.secret()),
            created_ms: now_ms,
        },
    )
}

/// Looks up a public key by the identity's name (for `--to` when the org is local).
pub fn public_of(data: &Path, name: &str) -> Option<PublicKey> {
    select(data, Some(name)).ok().map(|i| i.key.public())
}
