//! Stand-in for `handoff_api` until it lands (removed on merge).
#![allow(missing_docs)]
use serde::{Deserialize, Serialize, de::DeserializeOwned};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}
impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
        }
    }
    pub fn status(&self) -> u16 {
        400
    }
}

#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub identity: Option<String>,
    pub authenticated: bool,
}

#[derive(Serialize, Deserialize)]
pub enum Request {
    Ping(Ping),
}
#[derive(Serialize, Deserialize)]
pub enum Response {
    Pong(Pong),
}
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    pub key: String,
    pub n: Option<u32>,
}
#[derive(Serialize, Deserialize)]
pub struct Pong {
    pub key: String,
}
impl From<Ping> for Request {
    fn from(p: Ping) -> Request {
        Request::Ping(p)
    }
}
impl TryFrom<Response> for Pong {
    type Error = ();
    fn try_from(r: Response) -> Result<Pong, ()> {
        match r {
            Response::Pong(p) => Ok(p),
        }
    }
}
impl Endpoint for Ping {
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/v1/ping/{key}";
    const OP: &'static str = "ping";
    type Response = Pong;
    fn validate(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

pub trait Endpoint: Serialize + DeserializeOwned + Into<Request> {
    const METHOD: Method;
    const PATH: &'static str;
    const OP: &'static str;
    type Response: Serialize + DeserializeOwned + TryFrom<Response>;
    fn validate(&self) -> Result<(), ApiError>;
}

pub trait Api: Send + Sync {
    fn call(&self, who: &Caller, req: Request) -> Result<Response, ApiError>;
}

pub fn call_typed<E: Endpoint>(
    api: &dyn Api,
    who: &Caller,
    req: E,
) -> Result<E::Response, ApiError> {
    let r = api.call(who, req.into())?;
    E::Response::try_from(r).map_err(|_| ApiError::new("INTERNAL", "wrong response"))
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub op: &'static str,
}
pub fn routes() -> Vec<Route> {
    vec![]
}
