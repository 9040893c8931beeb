//! The Tauri implementation: `window.__TAURI_INTERNALS__.invoke(cmd, args)`.

use super::{ApiError, Res};
use js_sys::{Function, JSON, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn internals() -> Option<JsValue> {
    let w = web_sys::window()?;
    let v = Reflect::get(&w, &JsValue::from_str("__TAURI_INTERNALS__")).ok()?;
    (!v.is_undefined() && !v.is_null()).then_some(v)
}

/// Whether the page runs in the app window.
pub fn available() -> bool {
    internals().is_some()
}

fn to_js(v: &Value) -> JsValue {
    JSON::parse(&v.to_string()).unwrap_or(JsValue::NULL)
}

fn from_js(v: &JsValue) -> Option<Value> {
    if v.is_undefined() || v.is_null() {
        return Some(Value::Null);
    }
    let s: String = JSON::stringify(v).ok()?.into();
    serde_json::from_str(&s).ok()
}

/// Calls a command of the app.
pub async fn invoke(cmd: &str, args: Value) -> Res<Value> {
    let ipc = internals().ok_or_else(|| ApiError::new("NO_APP", "not running in the app"))?;
    let f: Function = Reflect::get(&ipc, &JsValue::from_str("invoke"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| ApiError::new("NO_APP", "the app's command channel is missing"))?;
    let p = f
        .call2(&ipc, &JsValue::from_str(cmd), &to_js(&args))
        .map_err(|e| ApiError::new("ERROR", format!("{e:?}")))?;
    let p: Promise = p
        .dyn_into()
        .map_err(|_| ApiError::new("ERROR", "the app did not answer"))?;
    match JsFuture::from(p).await {
        Ok(v) => from_js(&v).ok_or_else(|| ApiError::new("ERROR", "unreadable answer")),
        Err(e) => Err(from_js(&e)
            .and_then(|v| match v {
                Value::String(s) => Some(ApiError::new("ERROR", s)),
                v => serde_json::from_value::<ApiError>(v).ok(),
            })
            .unwrap_or_else(|| ApiError::new("ERROR", format!("{e:?}")))),
    }
}
