//! The client's address, as rate limits and sign-in throttles count it. Behind a reverse proxy the
//! connection comes from the proxy; its forwarding header is believed only when the connection comes
//! from a proxy in `KAIJI_TRUSTED_PROXIES`, and only for the hops trusted proxies added.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpRequest, web};

use crate::app::AppState;
use crate::config::{ProxyHeader, TrustedProxies, canonical_ip};

/// The address of whoever sent the request (`None` only where the server has no peer, as in tests
/// that call handlers directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequest for ClientAddr {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let peer = req.peer_addr().map(|a| a.ip());
        let addr = match req.app_data::<web::Data<AppState>>() {
            Some(state) => {
                let http = &state.config.http;
                peer.map(|p| {
                    client_addr(p, req.headers(), &http.trusted_proxies, http.proxy_header)
                })
            }
            None => peer,
        };
        ready(Ok(ClientAddr(addr)))
    }
}

/// Walks the forwarding chain from the nearest hop back: each hop a trusted proxy vouches for is
/// replaced by the address it names, until one is not a trusted proxy. An entry that does not parse
/// stops the walk at the proxy that passed it on.
pub fn client_addr(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
    header: ProxyHeader,
) -> IpAddr {
    let mut current = canonical_ip(peer);
    if trusted.is_empty() || !trusted.contains(current) {
        return current;
    }
    let hops = forwarded_hops(headers, header);
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => current = canonical_ip(*ip),
            None => return current,
        }
        if !trusted.contains(current) {
            break;
        }
    }
    current
}

/// The addresses the header lists, oldest first; `None` where an entry is not an address (`unknown`,
/// an obfuscated name, garbage). Several header lines form one list, in order.
fn forwarded_hops(headers: &HeaderMap, header: ProxyHeader) -> Vec<Option<IpAddr>> {
    let name = match header {
        ProxyHeader::XForwardedFor => "x-forwarded-for",
        ProxyHeader::Forwarded => "forwarded",
    };
    let entries = headers
        .get_all(name)
        .flat_map(|v| v.to_str().unwrap_or("\u{0}").split(',').collect::<Vec<_>>());
    entries
        .map(|entry| match header {
            ProxyHeader::XForwardedFor => parse_node(entry.trim()),
            ProxyHeader::Forwarded => entry
                .split(';')
                .find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
                })
                .and_then(parse_node),
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim_matches('"');
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let xff = headers(&[("x-forwarded-for", "198.51.100.9")]);
        let from = |peer: &str, h: &HeaderMap| {
            client_addr(ip(peer), h, &trusted, ProxyHeader::XForwardedFor)
        };
        assert_eq!(from("10.0.0.2", &xff), ip("198.51.100.9"));
        assert_eq!(
            from("203.0.113.5", &xff),
            ip("203.0.113.5"),
            "spoofed from outside"
        );
        let none = TrustedProxies::default();
        assert_eq!(
            client_addr(ip("10.0.0.2"), &xff, &none, ProxyHeader::XForwardedFor),
            ip("10.0.0.2"),
            "no proxies configured: the header is ignored"
        );
        assert_eq!(
            from("10.0.0.2", &headers(&[])),
            ip("10.0.0.2"),
            "no header: the proxy itself"
        );
    }

    #[test]
    fn a_client_cannot_choose_its_address_by_prepending_entries() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        // The client sent "1.2.3.4"; the trusted proxy appended the real address.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9")]);
        assert_eq!(
            client_addr(ip("10.0.0.2"), &h, &trusted, ProxyHeader::XForwardedFor),
            ip("198.51.100.9")
        );
        // Two trusted proxies in a row, then the client.
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.9, 10.0.0.7"),
        ]);
        assert_eq!(
            client_addr(ip("10.0.0.2"), &h, &trusted, ProxyHeader::XForwardedFor),
            ip("198.51.100.9")
        );
        // Garbage where the proxy's entry should be stops at the proxy.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, not-an-ip")]);
        assert_eq!(
            client_addr(ip("10.0.0.2"), &h, &trusted, ProxyHeader::XForwardedFor),
            ip("10.0.0.2")
        );
        // The other header is not read.
        let h = headers(&[("forwarded", "for=1.2.3.4")]);
        assert_eq!(
            client_addr(ip("10.0.0.2"), &h, &trusted, ProxyHeader::XForwardedFor),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn forwarded_and_its_node_forms_parse() {
        let trusted: TrustedProxies = "10.0.0.0/8, ::1".parse().unwrap();
        let f = |v: &str| {
            client_addr(
                ip("::1"),
                &headers(&[("forwarded", v)]),
                &trusted,
                ProxyHeader::Forwarded,
            )
        };
        assert_eq!(
            f("for=192.0.2.60;proto=https;by=10.0.0.1"),
            ip("192.0.2.60")
        );
        assert_eq!(
            f(r#"for="[2001:db8:cafe::17]:4711""#),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(f("for=1.1.1.1, For=192.0.2.61:8080"), ip("192.0.2.61"));
        assert_eq!(f("for=unknown"), ip("::1"));
        assert_eq!(
            client_addr(
                ip("::ffff:10.0.0.3"),
                &headers(&[("forwarded", "for=192.0.2.9")]),
                &trusted,
                ProxyHeader::Forwarded
            ),
            ip("192.0.2.9"),
            "an IPv4 proxy seen on an IPv6 socket"
        );
    }
}
