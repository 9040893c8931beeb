//! The client's network, for clone detection: the resolver and the public API tell the
//! node from which network a lookup came (the /24 of an IPv4 address, the /48 of an IPv6
//! one), never the address. Behind a reverse proxy the node is told which proxies to
//! trust (`handoff node run --trusted-proxy`); only their `X-Forwarded-For` is read, and
//! only its entries after the last untrusted hop, so a client cannot name its own
//! network by sending the header itself.

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The network the request came from (`None`: the server was not told the peer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientNetwork(pub Option<String>);

/// The network a client address belongs to: the /24 of an IPv4 address, the /48 of an
/// IPv6 one (an IPv4-mapped IPv6 address is its IPv4 address).
pub fn network_of(addr: IpAddr) -> String {
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the last
/// `X-Forwarded-For` hop that is not a trusted proxy (an entry that is no address ends
/// the walk: what lies before it cannot be trusted).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// Middleware: notes the request's [`ClientNetwork`] in its extensions.
pub(crate) async fn note(trusted: Arc<Vec<IpAddr>>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let net = peer.map(|p| network_of(client_ip(p, req.headers(), &trusted)));
    req.extensions_mut().insert(ClientNetwork(net));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn networks_are_prefixes() {
        let n = |s: &str| network_of(ip(s));
        assert_eq!(n("203.0.113.77"), "203.0.113.0/24");
        assert_eq!(n("203.0.113.1"), n("203.0.113.200"));
        assert_ne!(n("203.0.113.1"), n("203.0.114.1"));
        assert_eq!(n("::ffff:203.0.113.9"), "203.0.113.0/24");
        assert_eq!(n("2001:db8:aa:1::5"), "2001:db8:aa::/48");
        assert_eq!(n("2001:db8:aa:1::5"), n("2001:db8:aa:ffff::1"));
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.1, 203.0.113.5, 10.0.0.2"),
        );
        let proxy = ip("10.0.0.1");
        // An untrusted peer's header is ignored.
        assert_eq!(client_ip(ip("192.0.2.9"), &h, &[proxy]), ip("192.0.2.9"));
        // A trusted proxy: the last hop that is not a trusted proxy.
        let trusted = [proxy, ip("10.0.0.2")];
        assert_eq!(client_ip(proxy, &h, &trusted), ip("203.0.113.5"));
        // A hop that is no address ends the walk at the last good one.
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("junk, 203.0.113.5"),
        );
        assert_eq!(client_ip(proxy, &h, &[proxy]), ip("203.0.113.5"));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.5, junk"),
        );
        assert_eq!(client_ip(proxy, &h, &[proxy]), proxy);
        // No header: the proxy itself.
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
