//! A node's data folder: where it is by default, and making a new one (an identity and a
//! single-validator chain). The command line's `handoff init` and the desktop app's
//! first launch both make folders here.

use crate::api::{TRADING_ROLES, roles};
use crate::error::{CliError, Output};
use crate::identity;
use crate::ledger::{Ledger, now_ms};
use anyhow::Context;
use handoff_core::block::Genesis;
use handoff_core::gs1;
use handoff_core::tx::AdmitOrg;
use handoff_core::types::Role;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The default data folder (the OS data dir).
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("org", "Handoff", "handoff")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".handoff"))
}

/// What a new folder's first org is.
#[derive(Clone, Debug, Default)]
pub struct NewFolder {
    /// The org's display name.
    pub org: String,
    /// GS1 company prefixes.
    pub prefixes: Vec<String>,
    /// Role names; none: every trading role. Registrar is always added.
    pub roles: Vec<String>,
    /// Location numbers.
    pub glns: Vec<String>,
}

impl NewFolder {
    /// A folder for `org` with every trading role plus registrar and nothing else.
    pub fn named(org: &str) -> NewFolder {
        NewFolder {
            org: org.to_string(),
            ..NewFolder::default()
        }
    }
}

/// Makes `data` a new data folder: an identity for the org (its roles plus registrar)
/// and a single-validator chain (`handoff init`). A folder that holds a chain already is
/// refused (`ALREADY_INITIALIZED`).
pub fn init(data: &Path, a: NewFolder) -> Result<Output, CliError> {
    if data.join("chain").exists() {
        return Err(CliError::input(
            "ALREADY_INITIALIZED",
            format!("{} already holds a chain", data.display()),
        ));
    }
    let mut rs = roles(&a.roles, &TRADING_ROLES)?;
    if !rs.contains(&Role::Registrar) {
        rs.push(Role::Registrar);
    }
    for p in &a.prefixes {
        if !gs1::valid_company_prefix(p) {
            return Err(CliError::input(
                "BAD_PREFIX",
                format!("'{p}' is not a GS1 company prefix (6–12 digits)"),
            ));
        }
    }
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let org = identity::generate()?;
    let validator = identity::generate()?;
    let now = now_ms();
    let genesis = Genesis {
        name: format!("{} local chain", a.org.trim()),
        time_ms: now,
        validators: vec![validator.public()],
        orgs: vec![AdmitOrg {
            org: org.public(),
            name: a.org.trim().to_string(),
            prefixes: a.prefixes,
            glns: a.glns,
            roles: rs,
        }],
    };
    identity::save(data, &a.org, &org, now)?;
    identity::save_validator(data, &validator, now)?;
    let ledger = Ledger::create(data, &genesis, validator)?;
    Ok(Output {
        json: json!({"org": org.public().to_hex(), "name": a.org, "chain_id": ledger.chain_id().to_hex(), "data": data.display().to_string()}),
        text: format!(
            "created {} with org {} ({})",
            data.display(),
            a.org,
            org.public().short()
        ),
    })
}
