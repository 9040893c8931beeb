//! Handoff's HTTP server and its typed client.
//!
//! The node's typed API (`handoff_api`) over HTTP: JSON REST under `/v1/…`, one route per
//! endpoint of the API's route table, each decoded by one generic handler into its
//! request type, checked with the API's own bounds and answered by the node's `Api`
//! implementation. Actions need a bearer token (one per identity of the data folder);
//! public reads need none and are rate-limited per client address. Every refusal has the
//! command line's error shape, `{"error": {"code", "message"}}`. The OpenAPI document of
//! the routes is served at `/v1/openapi.json`; the built UI can be served at `/`. GS1 Digital Links under any path are resolved
//! ([`resolver`]): the consumer page for browsers, the verdict and journey for programs.
//! The GS1 EPCIS 2.0 REST bindings (query and capture) are served under `/epcis`
//! ([`epcis`]), over the same typed API, with GS1's headers and error shape.
//!
//! The crate never names the node: it is generic over the `Api` trait, so the node links
//! it, not the other way around.

pub(crate) use handoff_api as api;

pub mod auth;
pub mod client;
pub mod clientnet;
pub mod decode;
mod endpoints;
pub mod epcis;
pub mod error;
pub mod limits;
pub mod openapi;
pub mod resolver;
pub mod server;

pub use auth::Tokens;
pub use client::Client;
pub use error::ErrorBody;
pub use server::{RateLimit, Server, ServerError, ServerOptions};
