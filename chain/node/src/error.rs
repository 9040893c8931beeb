//! What an operation of the node ends with: its output (JSON and text), or why it failed
//! and which exit code that maps to. Shared by the command line, the API implementation
//! and the commands that run beside them (bench, demo, light, govern).

use handoff_core::rejection::Rejection;
use handoff_core::state::ReadError;
use serde_json::Value;

/// What went wrong, and which exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: usage, malformed scan, unreadable file (exit 2).
    Input {
        /// Stable code.
        code: String,
        /// Message.
        message: String,
    },
    /// Rejected by a ledger rule (exit 3).
    Rejected(Rejection),
    /// Anything else (exit 1).
    Other(anyhow::Error),
    /// A report printed whole although some of it was refused by a ledger rule (exit 3):
    /// an EPCIS import whose events stand but one was rejected.
    Partial {
        /// What is printed.
        output: Box<Output>,
        /// The first rule that refused something.
        rejection: Rejection,
    },
    /// Anything else, with the code a node answered for a forwarded command (exit 1), so
    /// `STORE_FAULT` or `PROOF_INVALID` reach the caller as they were.
    Failed {
        /// Stable code.
        code: String,
        /// Message.
        message: String,
    },
}

impl CliError {
    /// A failure of the node, with its stable code (exit 1).
    pub fn failed(code: &str, message: impl Into<String>) -> CliError {
        CliError::Failed {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// Bad input.
    pub fn input(code: &str, message: impl Into<String>) -> CliError {
        CliError::Input {
            code: code.to_string(),
            message: message.into(),
        }
    }
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input { .. } => 2,
            CliError::Rejected(_) | CliError::Partial { .. } => 3,
            CliError::Other(_) | CliError::Failed { .. } => 1,
        }
    }
    /// `(code, message)`.
    pub fn parts(&self) -> (String, String) {
        match self {
            CliError::Input { code, message } | CliError::Failed { code, message } => {
                (code.clone(), message.clone())
            }
            CliError::Rejected(r) | CliError::Partial { rejection: r, .. } => {
                (r.code.as_str().to_string(), r.message.clone())
            }
            // A record that could not be read or verified: its own code (STORE_FAULT,
            // PROOF_INVALID…), never "not found".
            CliError::Other(e)
                if let Some(r) = e.chain().find_map(|c| c.downcast_ref::<ReadError>()) =>
            {
                (r.code().to_string(), format!("{e:#}"))
            }
            CliError::Other(e) if e.chain().any(|c| c.is::<handoff_store::StoreError>()) => {
                ("STORAGE".to_string(), format!("{e:#}"))
            }
            CliError::Other(e) => ("ERROR".to_string(), format!("{e:#}")),
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Other(e)
    }
}
impl From<ReadError> for CliError {
    fn from(e: ReadError) -> Self {
        CliError::Other(e.into())
    }
}
impl From<crate::ledger::SignError> for CliError {
    fn from(e: crate::ledger::SignError) -> Self {
        match e {
            crate::ledger::SignError::Rejected(r) => CliError::Rejected(r),
            crate::ledger::SignError::Read(e) => e.into(),
        }
    }
}
impl From<crate::ledger::OpenError> for CliError {
    fn from(e: crate::ledger::OpenError) -> Self {
        CliError::Other(e.into())
    }
}
impl From<handoff_store::light::LightStoreError> for CliError {
    fn from(e: handoff_store::light::LightStoreError) -> Self {
        CliError::Other(e.into())
    }
}
impl From<handoff_store::StoreError> for CliError {
    fn from(e: handoff_store::StoreError) -> Self {
        CliError::Other(e.into())
    }
}

/// What a command printed: JSON for `--json`, text otherwise.
#[derive(Debug)]
pub struct Output {
    /// Machine-readable.
    pub json: Value,
    /// For people.
    pub text: String,
}

impl Output {
    /// The output of a command that printed its answer itself as it went (a streamed
    /// report): nothing is left to print.
    pub fn printed() -> Output {
        Output {
            json: Value::Null,
            text: String::new(),
        }
    }

    /// Whether the command printed its answer itself.
    pub fn is_printed(&self) -> bool {
        self.json.is_null() && self.text.is_empty()
    }
}

/// Input codes that name something missing: answered as "not found" (HTTP 404; on the
/// command line, bad input like every other input code).
pub const NOT_FOUND_CODES: &[&str] = &[
    "UNKNOWN_ITEM",
    "UNKNOWN_PRODUCT",
    "UNKNOWN_HANDOFF",
    "UNKNOWN_ORG",
    "UNKNOWN_IDENTITY",
    "UNKNOWN_TX",
    "NOT_FOUND",
];

/// Codes of what a node cannot answer now or in its mode (HTTP 503).
pub const UNAVAILABLE_CODES: &[&str] = &[
    "PROOF_UNAVAILABLE",
    "HISTORY_TOO_LONG",
    "LIGHT_NODE",
    "LIGHT_ONLY",
    "NO_PEER",
    "NOT_RUNNING",
    "NOT_NETWORKED",
    "NO_CHAIN",
    "APP_ONLY",
];

/// Codes of credentials that do not allow the operation (HTTP 403): a token made for one
/// identity asking for another, or for the node's validator key.
/// A pairing ticket that does not allow pairing (`phone.rs`) is refused the same way.
pub const FORBIDDEN_CODES: &[&str] = &[
    "IDENTITY_FORBIDDEN",
    "VALIDATOR_KEY_FORBIDDEN",
    "PAIR_TICKET_UNKNOWN",
    "PAIR_TICKET_EXPIRED",
    "PAIR_TICKET_USED",
    "PAIR_PROOF_INVALID",
];

impl From<CliError> for handoff_api::ApiError {
    fn from(e: CliError) -> Self {
        use handoff_api::ApiError;
        let (code, message) = e.parts();
        match e {
            CliError::Input { .. } if NOT_FOUND_CODES.contains(&code.as_str()) => {
                ApiError::not_found(code, message)
            }
            CliError::Input { .. } => ApiError::input(code, message),
            CliError::Rejected(_) | CliError::Partial { .. } => ApiError::rejected(code, message),
            _ if UNAVAILABLE_CODES.contains(&code.as_str()) => ApiError::unavailable(code, message),
            _ if FORBIDDEN_CODES.contains(&code.as_str()) => {
                ApiError::new(handoff_api::ErrorKind::Forbidden, code, message)
            }
            _ if code == "UNAUTHORIZED" => {
                ApiError::new(handoff_api::ErrorKind::Unauthorized, code, message)
            }
            _ => ApiError::fault(code, message),
        }
    }
}

impl From<handoff_api::ApiError> for CliError {
    fn from(e: handoff_api::ApiError) -> Self {
        use handoff_api::ErrorKind;
        match e.kind {
            ErrorKind::Input | ErrorKind::NotFound => CliError::Input {
                code: e.code,
                message: e.message,
            },
            ErrorKind::Rejected => match handoff_core::rejection::Code::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == e.code)
            {
                Some(c) => CliError::Rejected(Rejection::new(c, e.message)),
                None => CliError::Failed {
                    code: e.code,
                    message: e.message,
                },
            },
            _ => CliError::Failed {
                code: e.code,
                message: e.message,
            },
        }
    }
}
