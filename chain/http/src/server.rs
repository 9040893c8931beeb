//! The server: axum on its own tokio runtime, one generic handler per endpoint type.
//!
//! Layers, outermost first: the error shaper (no plain-text refusal ever leaves), CORS
//! (only when origins are configured), compression, the timeout, the body limit; then
//! per route the rate limit (public routes) or the token check (every other route), the
//! decoder, and the call into the node's `Api` on a blocking thread (the node's calls
//! block on the store and on consensus).

use crate::api::{self, Api, ApiError, Caller, Endpoint, Method};
use crate::auth::Tokens;
use crate::clientnet::{self, ClientNetwork};
use crate::decode::decode;
use crate::endpoints::Visit;
use crate::error::{api_error_response, code, err, error_response, json_response, shape_errors};
use crate::limits::{
    MAX_BLOCKING_CALLS, MAX_BODY_BYTES, PUBLIC_BURST, PUBLIC_REQUESTS_PER_SECOND, REQUEST_TIMEOUT,
};
use crate::resolver::{self, Resolver};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, RawPathParamsRejection};
use axum::extract::{DefaultBodyLimit, RawPathParams, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use axum::{Extension, Router};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tower::ServiceExt;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::TimeoutLayer;
use utoipa::ToSchema;

/// The rate one client address may send requests to the public routes at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests a second, replenished evenly.
    pub per_second: u64,
    /// Requests at once before the rate applies.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: PUBLIC_REQUESTS_PER_SECOND,
            burst: PUBLIC_BURST,
        }
    }
}

/// What a node-specific action does with its JSON body (run on a blocking thread).
pub type ActionFn = Arc<dyn Fn(&[u8]) -> Result<serde_json::Value, ApiError> + Send + Sync>;

/// A node-specific `POST` route outside the API's table (blocking a peer on a running
/// node): it needs the token like every action, and has its own body bound.
#[derive(Clone)]
pub struct NodeAction {
    /// Its path under `/v1`.
    pub path: &'static str,
    /// The largest body it takes (larger: 413).
    pub max_body: usize,
    /// What it does.
    pub run: ActionFn,
}

impl std::fmt::Debug for NodeAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeAction")
            .field("path", &self.path)
            .field("max_body", &self.max_body)
            .finish()
    }
}

/// How a server is set up.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Where to listen, `host:port` (port 0: any free port).
    pub addr: String,
    /// The bearer tokens actions may present.
    pub tokens: Tokens,
    /// Origins a browser may call the API from (CORS). Empty: CORS is off, and a browser
    /// reaches the API only from pages the server itself serves.
    pub cors_origins: Vec<String>,
    /// A folder of static files (the built UI) served at `/`; its `index.html` answers
    /// paths that are no file, so the UI's own routes load.
    pub ui_dir: Option<PathBuf>,
    /// The consumer page's folder (`handoff-consumer`'s build), served at `/c/`; its
    /// `index.html` answers browsers that open a Digital Link. `None`: browsers get a plain
    /// page with the node's verdict.
    pub consumer_dir: Option<PathBuf>,
    /// The per-address rate of the public routes; `None` turns it off (a benchmark on
    /// loopback measures the server, not the limiter).
    pub rate_limit: Option<RateLimit>,
    /// How long one request may take.
    pub timeout: Duration,
    /// Node-specific actions outside the API's route table.
    pub node_actions: Vec<NodeAction>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (clone detection counts
    /// lookups per client network; see [`crate::clientnet`]). Empty: the peer is the
    /// client.
    pub trusted_proxies: Vec<IpAddr>,
}

impl ServerOptions {
    /// A server on `addr` accepting `tokens`, with the default bounds, no CORS, no UI.
    pub fn new(addr: impl Into<String>, tokens: Tokens) -> Self {
        ServerOptions {
            addr: addr.into(),
            tokens,
            cors_origins: Vec::new(),
            ui_dir: None,
            consumer_dir: None,
            rate_limit: Some(RateLimit::default()),
            timeout: REQUEST_TIMEOUT,
            node_actions: Vec::new(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Why a server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("cannot serve HTTP on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime could not start.
    #[error("cannot start the HTTP server's runtime: {0}")]
    Runtime(std::io::Error),
    /// A CORS origin is not a valid header value.
    #[error("the CORS origin '{0}' is not a valid origin")]
    BadOrigin(String),
    /// The rate limit is zero.
    #[error("the rate limit must be at least one request a second and a burst of one")]
    BadRateLimit,
}

/// Which API operations need no token: reads of public data. Everything else — every
/// action, and the reads of a node's private state (inbox and outbox, identities,
/// network) — needs a bearer token.
/// `id_parse` is among them: it parses a scan and reads nothing; so is `product_image`, a
/// product's picture (public data, a few kilobytes, from the pictures the node carries). `label` is not: it reads
/// only public data, but renders an image or a PDF, which costs the node far more than a
/// read and so stays with the callers who hold a token. `cert_list` and `doc_verify` are
/// public too: anyone may ask what certifies an item and whether a document was
/// registered (a shopper, a lender, an auditor checking a file). `evidence` is what the
/// consumer page checks a verdict with. `epcis_query` answers the EPCIS REST query
/// (`GET /epcis/events`): the ledger's events are public to the network's members
/// already, as an item's history is; `tx_proof` is the inclusion proof each answered
/// event links to. A paired phone holds no token: `pair_redeem` is authorized by its
/// one-time ticket, `tx_submit` by the transaction's own signature (checked by the ledger
/// like any other), and `signer_nonce` reads public chain state.
pub const PUBLIC_OPS: &[&str] = &[
    "pair_redeem",
    "tx_submit",
    "signer_nonce",
    "status",
    "id_parse",
    "lookup",
    "item_show",
    "item_history",
    "verify",
    "evidence",
    "product_show",
    "product_image",
    "cert_list",
    "doc_verify",
    "epcis_query",
    "tx_proof",
];

/// Whether an operation of the route table answers without a token.
pub fn is_public(op: &str) -> bool {
    PUBLIC_OPS.contains(&op)
}

struct Shared {
    api: Arc<dyn Api>,
    tokens: Tokens,
}

type S = Arc<Shared>;

/// Collects the router: one route per endpoint type, public or not.
pub(crate) struct Routes {
    public: Router<S>,
    private: Router<S>,
}

impl Visit for Routes {
    fn endpoint<E>(&mut self)
    where
        E: Endpoint + ToSchema + Send + 'static,
        E::Response: ToSchema + Send,
    {
        let public = is_public(E::OP);
        let handler = move |State(s): State<S>,
                            params: Result<RawPathParams, RawPathParamsRejection>,
                            Extension(net): Extension<ClientNetwork>,
                            headers: HeaderMap,
                            uri: Uri,
                            body: Result<Bytes, BytesRejection>| async move {
            handle::<E>(s, public, params, net, headers, uri, body).await
        };
        let mr: MethodRouter<S> = match E::METHOD {
            Method::Get => get(handler),
            Method::Post => post(handler),
            Method::Put => put(handler),
            Method::Delete => delete(handler),
        };
        let r = if public {
            &mut self.public
        } else {
            &mut self.private
        };
        *r = std::mem::take(r).route(E::PATH, mr);
    }
}

async fn handle<E>(
    s: S,
    public: bool,
    params: Result<RawPathParams, RawPathParamsRejection>,
    net: ClientNetwork,
    headers: HeaderMap,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response
where
    E: Endpoint + Send + 'static,
    E::Response: Send,
{
    let caller = match s.tokens.caller_as(&headers) {
        Ok(Some(c)) => c,
        Err(e) => return api_error_response(e),
        // An anonymous reader (a shopper's page, a verifying program) is counted by its
        // network where the node counts lookups (clone detection).
        Ok(None) if public => Caller {
            client: net.0,
            ..Caller::anonymous()
        },
        Ok(None) => {
            return error_response(
                StatusCode::UNAUTHORIZED,
                err(
                    code::UNAUTHORIZED,
                    "this endpoint needs a valid bearer token",
                ),
            );
        }
    };
    let body = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                err(
                    code::TOO_LARGE,
                    format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
                ),
            );
        }
        Err(r) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                err(
                    code::BAD_REQUEST,
                    format!("the request body could not be read: {r}"),
                ),
            );
        }
    };
    let params: Vec<(String, String)> = match &params {
        Ok(p) => p
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        Err(r) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                err(code::BAD_REQUEST, format!("the path is malformed: {r}")),
            );
        }
    };
    let req = match decode::<E>(&params, uri.query(), &body) {
        Ok(r) => r,
        Err(e) => return transport_error(e),
    };
    let out = tokio::task::spawn_blocking(move || api::call_typed(&*s.api, &caller, req)).await;
    match out {
        Ok(Ok(resp)) => json_response(StatusCode::OK, &resp),
        Ok(Err(e)) => api_error_response(e),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            err(code::INTERNAL, "the node failed while answering"),
        ),
    }
}

/// A refusal of the decoder, with the status `refusal_status` gives it.
fn transport_error(e: ApiError) -> Response {
    let status =
        StatusCode::from_u16(crate::decode::refusal_status(&e)).unwrap_or(StatusCode::BAD_REQUEST);
    error_response(status, e)
}

async fn node_action(
    s: S,
    action: NodeAction,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if s.tokens.caller(&headers).is_none() {
        return error_response(
            StatusCode::UNAUTHORIZED,
            err(
                code::UNAUTHORIZED,
                "this endpoint needs a valid bearer token",
            ),
        );
    }
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            err(
                code::TOO_LARGE,
                format!("the request body is larger than {} bytes", action.max_body),
            ),
        )
    };
    let body = match body {
        Ok(b) if b.len() > action.max_body => return too_large(),
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
        Err(r) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                err(
                    code::BAD_REQUEST,
                    format!("the request body could not be read: {r}"),
                ),
            );
        }
    };
    let run = action.run.clone();
    match tokio::task::spawn_blocking(move || run(&body)).await {
        Ok(Ok(v)) => json_response(StatusCode::OK, &v),
        Ok(Err(e)) => transport_error(e),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            err(code::INTERNAL, "the node failed while answering"),
        ),
    }
}

async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        err(code::NOT_FOUND, "no such endpoint"),
    )
}

/// The whole application: API routes, the OpenAPI document, the UI, the layers.
pub fn app(api: Arc<dyn Api>, opts: &ServerOptions) -> Result<Router, ServerError> {
    let mut routes = Routes {
        public: Router::new(),
        private: Router::new(),
    };
    crate::endpoints::visit(&mut routes);
    let openapi = crate::openapi::document_json();
    let mut public = routes.public.route(
        "/v1/openapi.json",
        get(move || {
            let doc = openapi.clone();
            async move {
                let mut r = doc.into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                r
            }
        }),
    );
    let mut governor = None;
    if let Some(rl) = opts.rate_limit {
        if rl.per_second == 0 || rl.burst == 0 {
            return Err(ServerError::BadRateLimit);
        }
        let config = GovernorConfigBuilder::default()
            .period(Duration::from_nanos(1_000_000_000 / rl.per_second))
            .burst_size(rl.burst)
            .finish()
            .ok_or(ServerError::BadRateLimit)?;
        let config = Arc::new(config);
        let limiter = config.limiter().clone();
        // Forget addresses that went quiet, so the limiter's memory stays bounded.
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.retain_recent();
            }
        });
        let layer = GovernorLayer::new(config).error_handler(|e| {
            let wait = match &e {
                tower_governor::GovernorError::TooManyRequests { wait_time, .. } => *wait_time,
                _ => 1,
            };
            let mut r = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                err(
                    code::RATE_LIMITED,
                    format!("too many requests from this address; retry in {wait} s"),
                ),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        });
        public = public.layer(layer.clone());
        governor = Some(layer);
    }
    let resolver = Arc::new(Resolver {
        api: api.clone(),
        consumer_dir: opts.consumer_dir.clone(),
    });
    // The resolver's routes: Digital Links under any prefix (so a fallback, not a route
    // pattern) and its description; public and rate-limited like the public API, as is
    // the consumer page's anchor.
    let mut resolving: Router = Router::new()
        .route(
            "/.well-known/gs1resolver",
            get(|headers: HeaderMap| async move {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost")
                    .to_string();
                json_response(StatusCode::OK, &resolver::description(&host))
            }),
        )
        .fallback({
            let r = resolver.clone();
            move |uri: Uri, Extension(net): Extension<ClientNetwork>, headers: HeaderMap| {
                let r = r.clone();
                async move {
                    match resolver::resolver_request(uri.path(), uri.query()) {
                        Some(req) => r.answer(req, headers, net).await,
                        None => not_found().await,
                    }
                }
            }
        });
    let mut anchor = {
        let r = resolver.clone();
        get(move || r.clone().genesis())
    };
    // The EPCIS REST bindings under /epcis: queries public and rate-limited, capture
    // behind the token.
    let (mut epcis_queries, epcis_capture) =
        crate::epcis::routers(api.clone(), opts.tokens.clone());
    if let Some(layer) = governor {
        anchor = anchor.layer(layer.clone());
        epcis_queries = epcis_queries.layer(layer.clone());
        resolving = resolving.layer(layer);
    }
    let shared = Arc::new(Shared {
        api,
        tokens: opts.tokens.clone(),
    });
    let mut private = routes.private;
    for action in &opts.node_actions {
        let action = action.clone();
        private = private.route(
            action.path,
            post(
                move |State(s): State<S>,
                      headers: HeaderMap,
                      body: Result<Bytes, BytesRejection>| {
                    let action = action.clone();
                    async move { node_action(s, action, headers, body).await }
                },
            ),
        );
    }
    let mut router = Router::new()
        .merge(public)
        .merge(private)
        // A path under /v1 that names no endpoint is an API 404, never the UI's page.
        .route("/v1", axum::routing::any(not_found))
        .route("/v1/{*rest}", axum::routing::any(not_found))
        .with_state(shared)
        .merge(epcis_queries)
        .merge(epcis_capture);
    // The anchor is a route of its own, so the static folder below does not shadow it.
    router = router.route("/c/genesis.json", anchor);
    if let Some(dir) = &opts.consumer_dir {
        router = router.nest_service("/c", ServeDir::new(dir));
    }
    let ui = opts.ui_dir.clone();
    router = router.fallback(move |req: axum::extract::Request| {
        let (resolving, ui) = (resolving.clone(), ui.clone());
        async move {
            let path = req.uri().path();
            let resolves = path == "/.well-known/gs1resolver"
                || (matches!(
                    *req.method(),
                    axum::http::Method::GET | axum::http::Method::HEAD
                ) && resolver::digital_link_part(path).is_some());
            let answer = if resolves {
                resolving.oneshot(req).await
            } else {
                match ui {
                    Some(dir) => {
                        let path = path.to_string();
                        ServeDir::new(&dir)
                            .fallback(ServeFile::new(dir.join("index.html")))
                            .oneshot(req)
                            .await
                            .map(|r| app_shell_headers(&path, r.into_response()))
                    }
                    None => Ok(not_found().await),
                }
            };
            answer.unwrap_or_else(|e| match e {})
        }
    });
    let trusted = Arc::new(opts.trusted_proxies.clone());
    router = router
        .layer(axum::middleware::from_fn(move |req, next| {
            clientnet::note(trusted.clone(), req, next)
        }))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            opts.timeout,
        ))
        .layer(CompressionLayer::new());
    if !opts.cors_origins.is_empty() {
        let origins = opts
            .cors_origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| ServerError::BadOrigin(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([
                    axum::http::Method::GET,
                    axum::http::Method::POST,
                    axum::http::Method::PUT,
                    axum::http::Method::DELETE,
                ])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::HeaderName::from_static(crate::auth::IDENTITY_HEADER),
                ]),
        );
    }
    Ok(router.layer(axum::middleware::from_fn(shape_by_path)))
}

/// The installable web app's files (see `xtask/src/pwa.rs`): the service worker and the
/// manifest with their own media types, and they and every page (`index.html`, which
/// names the current hashed bundle) with `Cache-Control: no-cache`, so a browser asks
/// again each time and a new build reaches installed phones. The hashed files need no
/// header: a new build has new names.
fn app_shell_headers(path: &str, mut r: Response) -> Response {
    let kind = if path == "/sw.js" {
        Some("text/javascript; charset=utf-8")
    } else if path.ends_with(".webmanifest") {
        Some("application/manifest+json")
    } else {
        None
    };
    let page = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if r.status().is_success() && (kind.is_some() || page) {
        if let Some(k) = kind {
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(k));
        }
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    r
}

/// The outermost layer: an error answer under `/epcis` in GS1's shape, any other in the
/// server's own (see [`shape_errors`]).
async fn shape_by_path(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    let gs1 =
        path == crate::epcis::PREFIX || path.starts_with(&format!("{}/", crate::epcis::PREFIX));
    let r = next.run(req).await;
    if gs1 {
        crate::epcis::shape(r).await
    } else {
        shape_errors(r).await
    }
}

/// A running server.
pub struct Server {
    /// The bound address.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `api` as `opts` say, on a runtime of its own, until `stop` (or drop).
    pub fn start(api: Arc<dyn Api>, opts: ServerOptions) -> Result<Server, ServerError> {
        let listener =
            std::net::TcpListener::bind(&opts.addr).map_err(|source| ServerError::Bind {
                addr: opts.addr.clone(),
                source,
            })?;
        let bind_err = |source| ServerError::Bind {
            addr: opts.addr.clone(),
            source,
        };
        let addr = listener.local_addr().map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(MAX_BLOCKING_CALLS)
            .thread_name("handoff-http")
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        // The router is built inside the runtime (the rate limiter's sweeper is a task).
        let app = {
            let _guard = rt.enter();
            app(api, &opts)?
        };
        let listener = {
            let _guard = rt.enter();
            tokio::net::TcpListener::from_std(listener).map_err(bind_err)?
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("handoff-http".into())
            .spawn(move || {
                rt.block_on(async move {
                    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
                    let serve = axum::serve(
                        listener,
                        app.into_make_service_with_connect_info::<SocketAddr>(),
                    )
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                        let _ = drained_tx.send(());
                    });
                    // Requests in flight get a few seconds to finish; a client that holds
                    // its connection open does not hold the node's shutdown.
                    tokio::select! {
                        _ = std::future::IntoFuture::into_future(serve) => {}
                        _ = async {
                            let _ = drained_rx.await;
                            tokio::time::sleep(Duration::from_secs(5)).await;
                        } => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(ServerError::Runtime)?;
        Ok(Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops serving: requests in flight finish (for a few seconds at most).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}
