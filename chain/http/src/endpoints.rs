//! Every endpoint type of the API, registered with the router and the OpenAPI document.

use crate::server::Routes;

/// Registers every endpoint type.
pub(crate) fn register(r: &mut Routes) {
    r.add::<crate::api::Ping>();
}
