//! The typed blocking client: one call per endpoint type, encoded by the same rule the
//! server decodes with (`decode::encode`), answered with the endpoint's response type or
//! the server's `ApiError`.

use crate::api::{Api, ApiError, Caller, Endpoint, Method, Request, Response};
use crate::auth::IDENTITY_HEADER;
use crate::decode::encode;
use crate::endpoints::{Visit, visit};
use crate::error::{ErrorBody, code, err};
use crate::limits::{CLIENT_TIMEOUT, MAX_ANSWER_BYTES};
use utoipa::ToSchema;

/// A client of one node's HTTP API.
#[derive(Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish()
    }
}

impl Client {
    /// A client of the node at `base` (`http://host:port`), presenting `token` (if any)
    /// as its bearer token.
    pub fn new(base: &str, token: Option<&str>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(CLIENT_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            base: base.trim_end_matches('/').to_string(),
            token: token.filter(|t| !t.is_empty()).map(str::to_string),
            agent,
        }
    }

    /// The node's base address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `req` and returns its typed response, or the error the server answered
    /// with; a node that cannot be reached is `UNREACHABLE`, an answer of another shape
    /// `BAD_ANSWER`.
    pub fn call<E: Endpoint>(&self, req: &E) -> Result<E::Response, ApiError> {
        self.call_as(None, req)
    }

    /// [`Client::call`] acting as the identity `as_` of the node's folder (sent in
    /// [`IDENTITY_HEADER`]): allowed for the node's own token, and for a token made for
    /// that very identity (the identity rule, `crate::auth`).
    pub fn call_as<E: Endpoint>(
        &self,
        as_: Option<&str>,
        req: &E,
    ) -> Result<E::Response, ApiError> {
        let (path, body) = encode(req)?;
        let (status, text) = self.send_as(as_, E::METHOD, &path, body.as_deref())?;
        if (200..300).contains(&status) {
            serde_json::from_str::<E::Response>(&text).map_err(|e| {
                err(
                    code::BAD_ANSWER,
                    format!(
                        "the node at {} answered {path} with something else than its response: {e}",
                        self.base
                    ),
                )
            })
        } else {
            match serde_json::from_str::<ErrorBody>(&text) {
                Ok(b) => Err(b.error),
                Err(_) => Err(err(
                    code::BAD_ANSWER,
                    format!(
                        "the node at {} answered {path} with HTTP {status} and no error",
                        self.base
                    ),
                )),
            }
        }
    }

    /// Sends one request as it is (method, path with query, body) and returns the status
    /// and the text of the answer.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(u16, String), ApiError> {
        self.send_as(None, method, path, body)
    }

    fn send_as(
        &self,
        as_: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(u16, String), ApiError> {
        let url = format!("{}{path}", self.base);
        // Authorization and the identity acted as, on every request.
        let mut extra: Vec<(&str, String)> = Vec::new();
        if let Some(t) = &self.token {
            extra.push(("Authorization", format!("Bearer {t}")));
        }
        if let Some(n) = as_ {
            extra.push((IDENTITY_HEADER, n.to_string()));
        }
        let unreachable = |e: ureq::Error| {
            err(
                code::UNREACHABLE,
                format!("cannot reach the node at {}: {e}", self.base),
            )
        };
        let result = match method {
            Method::Get | Method::Delete if body.is_none() => {
                let mut rq = if method == Method::Get {
                    self.agent.get(&url)
                } else {
                    self.agent.delete(&url)
                };
                for (k, v) in &extra {
                    rq = rq.header(*k, v);
                }
                rq.call()
            }
            _ => {
                let mut rq = match method {
                    Method::Put => self.agent.put(&url),
                    Method::Delete => {
                        // A DELETE with a body: ureq builds it through the generic request.
                        let mut rq = ureq::http::Request::delete(&url)
                            .header("Content-Type", "application/json");
                        for (k, v) in &extra {
                            rq = rq.header(*k, v);
                        }
                        let rq = rq.body(body.unwrap_or_default().to_vec()).map_err(|e| {
                            err(code::BAD_REQUEST, format!("cannot build the request: {e}"))
                        })?;
                        return self.read(self.agent.run(rq).map_err(unreachable)?);
                    }
                    _ => self.agent.post(&url),
                };
                rq = rq.header("Content-Type", "application/json");
                for (k, v) in &extra {
                    rq = rq.header(*k, v);
                }
                rq.send(body.unwrap_or_default())
            }
        };
        self.read(result.map_err(unreachable)?)
    }

    fn read(&self, mut resp: ureq::http::Response<ureq::Body>) -> Result<(u16, String), ApiError> {
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| {
                err(
                    code::UNREACHABLE,
                    format!("the node at {} sent no answer: {e}", self.base),
                )
            })?;
        Ok((status, text))
    }
}

/// A remote node is an `Api` like the local one, so a transport-neutral caller (the
/// command line's `--node`, and on a folder a node runs on) takes either. The caller's
/// identity is sent in [`IDENTITY_HEADER`]; the server decides by the identity rule
/// whether the token may act as it (`crate::auth`). Whether the caller is the owner is
/// the token's to say, never the client's.
impl Api for Client {
    fn call(&self, who: &Caller, req: Request) -> Result<Response, ApiError> {
        struct C<'a> {
            client: &'a Client,
            as_: Option<&'a str>,
            req: &'a Request,
            out: Option<Result<Response, ApiError>>,
        }
        impl Visit for C<'_> {
            fn endpoint<E>(&mut self)
            where
                E: Endpoint + ToSchema + Send + 'static,
                E::Response: ToSchema + Send,
            {
                if E::OP != self.req.op() || self.out.is_some() {
                    return;
                }
                self.out = Some((|| {
                    let bad = |e: serde_json::Error| err(code::BAD_REQUEST, e.to_string());
                    let mut v = serde_json::to_value(self.req).map_err(bad)?;
                    if let serde_json::Value::Object(m) = &mut v {
                        m.remove("op");
                    }
                    let typed: E = serde_json::from_value(v).map_err(bad)?;
                    let answer = self.client.call_as(self.as_, &typed)?;
                    let body = serde_json::to_value(&answer).map_err(bad)?;
                    serde_json::from_value(serde_json::json!({"op": E::OP, "body": body}))
                        .map_err(|e| err(code::BAD_ANSWER, e.to_string()))
                })());
            }
        }
        let mut c = C {
            client: self,
            as_: who.identity.as_deref(),
            req: &req,
            out: None,
        };
        visit(&mut c);
        c.out.unwrap_or_else(|| {
            Err(err(
                code::NOT_FOUND,
                format!("no endpoint for {}", req.op()),
            ))
        })
    }
}
