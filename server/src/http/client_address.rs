//! Who the client is, once, for every request: the socket peer, or — when the peer is a
//! trusted reverse proxy (`TRUSTED_PROXIES`) — the address the proxies report in
//! `X-Forwarded-For` (or, without it, `Forwarded`). The result goes into the request's
//! extensions as [`ClientAddress`]; the log-in and sign-up throttles and the client API's
//! rate limits read only that.
//!
//! The forwarding headers are read right to left, as proxies append to them: each entry
//! from a trusted proxy is skipped, and the first one that is not trusted is the client.
//! Entries to its left were written by the client itself and mean nothing. A peer that is not
//! a trusted proxy is the client, whatever its headers say. An entry that is not an address
//! (`unknown`, an obfuscated `_name`, garbage) ends the walk at the last trusted proxy: it
//! vouched for nobody in particular, so its requests share its address.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    str::FromStr,
    sync::Arc,
};

pub use app::backend::request::ClientAddress;
use axum::{
    extract::{ConnectInfo, Request},
    http::HeaderMap,
    middleware::Next,
    response::Response,
};

/// An address range, `192.0.2.0/24` or `2001:db8::/32` (a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                mask(u32::from(address).into(), 32, self.prefix)
                    == mask(u32::from(network).into(), 32, self.prefix)
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                mask(u128::from(address), 128, self.prefix)
                    == mask(u128::from(network), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit address.
fn mask(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        let (address, prefix) = raw
            .split_once('/')
            .map_or((raw, None), |(address, prefix)| (address, Some(prefix)));
        let network = address
            .parse::<IpAddr>()
            .map_err(|_| format!("{raw:?} is not an address or address range"))?
            .to_canonical();
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(prefix) => match prefix.parse::<u8>() {
                Ok(prefix) if prefix <= width => prefix,
                _ => {
                    return Err(format!(
                        "{raw:?} has a prefix length that is not 0 to {width}"
                    ))
                }
            },
        };
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The reverse proxies whose forwarding headers are believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies(Arc<Vec<Cidr>>);

impl Default for TrustedProxies {
    /// Loopback only: a proxy on the same machine, as the README sets up (GoToSocial's
    /// default too). Clients elsewhere are never proxies by default.
    fn default() -> Self {
        TrustedProxies(Arc::new(vec![
            Cidr {
                network: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
                prefix: 8,
            },
            Cidr {
                network: IpAddr::V6(Ipv6Addr::LOCALHOST),
                prefix: 128,
            },
        ]))
    }
}

impl TrustedProxies {
    /// `TRUSTED_PROXIES`: comma-separated ranges or addresses, or `none`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.trim().eq_ignore_ascii_case("none") {
            return Ok(TrustedProxies(Arc::new(Vec::new())));
        }
        let ranges = raw
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(Cidr::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies(Arc::new(ranges)))
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(address))
    }

    pub fn ranges(&self) -> &[Cidr] {
        &self.0
    }

    /// The client behind a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_hops(headers);
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(address) => {
                    client = *address;
                    if !self.trusts(*address) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// The addresses the forwarding headers list, first (client side) to last; `None` for an
/// entry that is not an address. `X-Forwarded-For` wins when both are there: it is what
/// nginx, Caddy, HAProxy and Traefik maintain, and the client could have written the other.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect()
    };
    let x_forwarded_for = values("x-forwarded-for");
    if !x_forwarded_for.is_empty() {
        return x_forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .map(node_address)
            .collect();
    }
    values("forwarded")
        .iter()
        .flat_map(|value| value.split(','))
        .map(|element| {
            let node = element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then_some(value)
            });
            // An element without `for=` says nothing of who sent it.
            node.and_then(node_address)
        })
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]`, `"[2001:db8::1]:4711"`. Anything else (`unknown`, `_hidden`) is `None`.
fn node_address(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"').trim();
    let address = node
        .parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| {
            node.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })?;
    Some(address.to_canonical())
}

/// Middleware: puts the request's [`ClientAddress`] in its extensions (none when the
/// connection's peer is unknown, as in a router served without connect info).
pub async fn establish(trusted: TrustedProxies, mut request: Request, next: Next) -> Response {
    if let Some(peer) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
    {
        let client = trusted.client(peer, request.headers());
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_contain() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::1").unwrap();
        let shown: Vec<String> = proxies.ranges().iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128"]
        );
        assert!(
            proxies.trusts(ip("10.200.3.4"))
                && proxies.trusts(ip("192.0.2.7"))
                && proxies.trusts(ip("2001:db8:ffff::9"))
        );
        assert!(
            !proxies.trusts(ip("11.0.0.1"))
                && !proxies.trusts(ip("192.0.2.8"))
                && !proxies.trusts(ip("2001:db9::1"))
        );
        assert!(
            proxies.trusts(ip("::ffff:10.1.2.3")),
            "IPv4-mapped IPv6 is the IPv4 address"
        );
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .trusts(ip("203.0.113.9")));
        assert!(TrustedProxies::parse("none").unwrap().ranges().is_empty());
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "example.com",
            "10.0.0.0/x",
            "10.0.0/8",
        ] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_trusts_loopback_only() {
        let proxies = TrustedProxies::default();
        assert!(
            proxies.trusts(ip("127.0.0.1"))
                && proxies.trusts(ip("127.9.9.9"))
                && proxies.trusts(ip("::1"))
        );
        assert!(
            !proxies.trusts(ip("10.0.0.1"))
                && !proxies.trusts(ip("::2"))
                && !proxies.trusts(ip("203.0.113.1"))
        );
    }

    #[test]
    fn a_peer_that_is_no_trusted_proxy_is_the_client_whatever_it_says() {
        let proxies = TrustedProxies::default();
        let spoofed = headers(&[
            ("x-forwarded-for", "10.9.9.9"),
            ("forwarded", "for=10.8.8.8"),
        ]);
        assert_eq!(
            proxies.client(ip("203.0.113.5"), &spoofed),
            ip("203.0.113.5")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1"),
            "no headers: the peer"
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        // The client wrote 1.1.1.1 itself; nginx appended the address it saw.
        let forwarded = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.5")]);
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &forwarded),
            ip("203.0.113.5")
        );
        // Two proxies (a load balancer, then nginx): both skipped.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.5, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &chain), ip("203.0.113.5"));
        // Repeated headers are one list, in order.
        let repeated = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.5, 10.1.1.1"),
        ]);
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &repeated),
            ip("203.0.113.5")
        );
        // A client cannot pose as a proxy to get past it: its own entry is still the first untrusted one.
        let posing = headers(&[("x-forwarded-for", "10.0.0.1, 203.0.113.5")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &posing), ip("203.0.113.5"));
        // Every hop trusted: the farthest one.
        let inside = headers(&[("x-forwarded-for", "10.2.2.2, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &inside), ip("10.2.2.2"));
    }

    #[test]
    fn ports_brackets_and_ipv6() {
        let proxies = TrustedProxies::parse("::1, 127.0.0.1").unwrap();
        for (value, expected) in [
            ("203.0.113.5:4711", "203.0.113.5"),
            ("2001:db8::5", "2001:db8::5"),
            ("[2001:db8::5]", "2001:db8::5"),
            ("[2001:db8::5]:443", "2001:db8::5"),
            ("::ffff:203.0.113.5", "203.0.113.5"),
            (" 203.0.113.5 ", "203.0.113.5"),
        ] {
            let forwarded = headers(&[("x-forwarded-for", value)]);
            assert_eq!(
                proxies.client(ip("::1"), &forwarded),
                ip(expected),
                "{value}"
            );
        }
        assert_eq!(
            proxies.client(
                ip("::ffff:127.0.0.1"),
                &headers(&[("x-forwarded-for", "203.0.113.5")])
            ),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn forwarded_for_with_quotes_case_and_obfuscation() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let cases = [
            ("for=203.0.113.5", "203.0.113.5"),
            ("For=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            ("proto=https; FOR = 198.51.100.17 ", "198.51.100.17"),
            (
                "for=6.6.6.6, for=198.51.100.17;by=10.0.0.1, for=10.1.1.1",
                "198.51.100.17",
            ),
            // Obfuscated or unknown nodes vouch for no one: the last trusted proxy stands in.
            ("for=_hidden, for=10.1.1.1", "10.1.1.1"),
            ("for=unknown", "127.0.0.1"),
            ("for=\"_gazonk\"", "127.0.0.1"),
            ("by=10.0.0.1", "127.0.0.1"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                proxies.client(ip("127.0.0.1"), &headers(&[("forwarded", value)])),
                ip(expected),
                "{value}"
            );
        }
        // X-Forwarded-For is what the proxy maintains: a Forwarded header beside it is ignored.
        let both = headers(&[
            ("forwarded", "for=6.6.6.6"),
            ("x-forwarded-for", "203.0.113.5"),
        ]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &both), ip("203.0.113.5"));
        let garbage = headers(&[("x-forwarded-for", "203.0.113.9, not-an-address, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &garbage), ip("10.1.1.1"));
    }
}
