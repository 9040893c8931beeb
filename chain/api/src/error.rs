//! The one error every operation answers with: a stable code, a message for people, and
//! the kind of failure (which fixes the HTTP status and the command line's exit code).

use serde::{Deserialize, Serialize};

/// What sort of failure an [`ApiError`] is. The code says exactly what went wrong; the
/// kind says whose move it is: the caller's (input, not found, auth), the ledger's rules
/// (rejected), or the node's (unavailable, fault).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad input: usage, a malformed scan, an oversized field, an unknown option value.
    /// HTTP 400, exit code 2.
    Input,
    /// Something the request names does not exist (an item never commissioned, an unknown
    /// product, org or handoff). HTTP 404, exit code 2 (bad input on the command line).
    NotFound,
    /// No credentials, or wrong ones. HTTP 401, exit code 1.
    Unauthorized,
    /// Credentials that do not allow this operation (e.g. a caller acting as an identity
    /// the node does not hold). HTTP 403, exit code 1.
    Forbidden,
    /// Refused by a ledger rule (`handoff_core::rejection` codes: `NOT_CUSTODIAN`,
    /// `NONCE_GAP`…). HTTP 422: the request was well formed, the ledger said no. Exit 3.
    Rejected,
    /// The node cannot answer now (no peer to read a proof from, not networked, an
    /// operation its mode does not offer). HTTP 503, exit code 1.
    Unavailable,
    /// The node failed: a store fault, a proof that did not verify, an internal error.
    /// HTTP 500, exit code 1. What an error of unknown kind is taken for.
    #[default]
    Fault,
}

/// An error as every transport shows it: `{code, message, kind}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Stable code (`SCAN_BAD_CHECK_DIGIT`, `UNKNOWN_ITEM`, `NOT_CUSTODIAN`, `STORE_FAULT`…).
    pub code: String,
    /// What happened, for people.
    pub message: String,
    /// The kind of failure (HTTP status, exit code).
    #[serde(default)]
    pub kind: ErrorKind,
}

impl ApiError {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
            kind,
        }
    }
    /// Bad input.
    pub fn input(code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Input, code, message)
    }
    /// Not found.
    pub fn not_found(code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::NotFound, code, message)
    }
    /// Refused by a ledger rule.
    pub fn rejected(code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Rejected, code, message)
    }
    /// Not available now or in this mode.
    pub fn unavailable(code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Unavailable, code, message)
    }
    /// A failure of the node.
    pub fn fault(code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Fault, code, message)
    }
    /// Actions need an authenticated caller.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            ErrorKind::Unauthorized,
            "UNAUTHORIZED",
            "a valid token is needed",
        )
    }

    /// The HTTP status of the answer: 400 input, 401/403 auth, 404 not found, 422 ledger
    /// rejection, 503 unavailable, 500 fault.
    pub fn http_status(&self) -> u16 {
        match self.kind {
            ErrorKind::Input => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::Rejected => 422,
            ErrorKind::Unavailable => 503,
            ErrorKind::Fault => 500,
        }
    }

    /// The `handoff` command line's exit code (PRODUCT.md §7): 2 bad input (not found
    /// included), 3 rejected by a ledger rule, 1 anything else.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Input | ErrorKind::NotFound => 2,
            ErrorKind::Rejected => 3,
            ErrorKind::Unauthorized
            | ErrorKind::Forbidden
            | ErrorKind::Unavailable
            | ErrorKind::Fault => 1,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}
