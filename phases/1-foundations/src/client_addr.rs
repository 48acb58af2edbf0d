//! Who the client is when a reverse proxy stands in between: `X-Forwarded-For`, trusted
//! only from the proxies named by `--trusted-proxies`.
//!
//! A server sees one address per connection: the socket's peer. Behind a load balancer
//! (phase 7's HAProxy) that is the balancer's address for every client, so a limit "per
//! address" — phase 4's note rate per IP — either lumps every user into one budget or
//! has to be switched off. The balancer knows the real address and passes it on in a
//! header, `X-Forwarded-For` (a de-facto standard; RFC 7239's `Forwarded` says the same
//! in another syntax and is not read here). Each proxy on the way *appends* the address
//! it received the request from:
//!
//! ```text
//! X-Forwarded-For: 203.0.113.7, 10.0.0.2        (client → proxy 10.0.0.2 → balancer → us)
//! ```
//!
//! Anyone can send that header. A client that writes `X-Forwarded-For: 1.2.3.4` itself
//! gets, behind an honest balancer, `X-Forwarded-For: 1.2.3.4, <its real address>`: only
//! the entries appended by proxies we trust say anything. So the address is read **from
//! the right**: start at the socket's peer; while the current hop is a trusted proxy, the
//! entry to its left is who connected to it; the first hop that is not a trusted proxy
//! is the client. A peer that is not trusted is the client whatever its headers say, and
//! an entry that is not an IP address ends the walk at the last hop known (garbage from
//! a trusted proxy is no reason to believe the entries before it).
//!
//! The result is stored in each request as [`ClientAddr`] by [`crate::app::App`]; the
//! socket's peer stays in [`crate::app::PeerAddr`]. The per-address *connection* cap
//! (`--max-connections-per-ip`, [`crate::per_ip`]) cannot use it: it is decided at
//! `accept()`, before a single header has been read — behind a proxy that cap belongs
//! to the proxy.

use std::{fmt, net::IpAddr, str::FromStr};

use hyper::HeaderMap;

/// The client's address as [`TrustedProxies::client_ip`] worked it out: the socket's peer,
/// or, when that is a trusted proxy, the address the proxies forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// One address or a network of them: `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// Whether `ip` is in this network (an IPv4 address written as IPv6, `::ffff:a.b.c.d`,
    /// is taken as the IPv4 address it is).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` of `bits` bits of `a` and `b` are equal.
fn prefix_matches(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits - prefix);
    (a >> shift) == (b >> shift)
}

impl FromStr for IpNetwork {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or a network (a.b.c.d/n)"))?;
        let addr = addr.to_canonical();
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {bits}"))?,
        };
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == bits {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed (none by default: the header is
/// ignored).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNetwork>,
}

// ANCHOR: client_ip
impl TrustedProxies {
    /// Trusts the proxies in `networks`.
    pub fn new(networks: impl IntoIterator<Item = IpNetwork>) -> Self {
        Self {
            networks: networks.into_iter().collect(),
        }
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }

    /// The client's address for a request from `peer` with `headers`: walk
    /// `X-Forwarded-For` from the right while the current hop is a trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        // EXERCISE(ch1-client-ip): the client's address: X-Forwarded-For from the right, from trusted proxies only
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client; // the common case, and every case without --trusted-proxies
        }
        // Several header lines are one list, in order (RFC 9110 §5.3).
        let lines: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let entries = lines.iter().flat_map(|line| line.split(',')).rev();
        for entry in entries {
            if !self.trusts(client) {
                break;
            }
            match parse_entry(entry) {
                Some(ip) => client = ip,
                None => break,
            }
        }
        client
        // EXERCISE_END(ch1-client-ip)
    }
}
// ANCHOR_END: client_ip

/// One `X-Forwarded-For` entry: an IPv4 or IPv6 address, with no port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .trim()
        .parse::<IpAddr>()
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    fn trusting(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|s| s.parse().expect("a network")))
    }

    fn forwarded(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_str(line).expect("ascii"),
            );
        }
        headers
    }

    #[test]
    fn networks_parse_and_match() {
        let net: IpNetwork = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4 written as IPv6");
        assert!(!net.contains(ip("fd00::1")));
        let one: IpNetwork = "::1".parse().unwrap();
        assert!(one.contains(ip("::1")) && !one.contains(ip("::2")));
        let all: IpNetwork = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let v6: IpNetwork = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::5")) && !v6.contains(ip("fe80::1")));
        assert_eq!(net.to_string(), "10.1.0.0/16");
        assert_eq!(one.to_string(), "::1");
        for bad in [
            "",
            "10.0.0",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/x",
            "host.example",
        ] {
            assert!(bad.parse::<IpNetwork>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        let headers = forwarded(&["198.51.100.1"]);
        assert_eq!(none.client_ip(ip("127.0.0.1"), &headers), ip("127.0.0.1"));
    }

    #[test]
    fn a_peer_that_is_not_trusted_is_the_client_whatever_it_writes() {
        let proxies = trusting(&["10.0.0.0/8"]);
        let headers = forwarded(&["198.51.100.1"]);
        assert_eq!(
            proxies.client_ip(ip("203.0.113.7"), &headers),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_trusted_proxy_s_entry_is_the_client() {
        let proxies = trusting(&["10.0.0.1"]);
        let headers = forwarded(&["203.0.113.7"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.7")
        );
        // No header at all: the proxy is all we know.
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_forged_entry_on_the_left_is_not_believed() {
        // The client wrote "1.2.3.4" itself; the balancer appended its real address.
        let proxies = trusting(&["10.0.0.1"]);
        let headers = forwarded(&["1.2.3.4, 203.0.113.7"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_across_header_lines() {
        let proxies = trusting(&["10.0.0.0/8"]);
        // client → 10.9.9.9 → 10.0.0.2 → us (10.0.0.1 is the peer); two header lines.
        let headers = forwarded(&["1.2.3.4, 203.0.113.7", "10.9.9.9 , 10.0.0.2"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.7")
        );
        // Every hop trusted: the leftmost is the best we know.
        let all_inside = forwarded(&["10.3.3.3, 10.0.0.2"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &all_inside),
            ip("10.3.3.3")
        );
    }

    #[test]
    fn garbage_ends_the_walk_at_the_last_known_hop() {
        let proxies = trusting(&["10.0.0.0/8"]);
        let headers = forwarded(&["203.0.113.7, unknown, 10.0.0.2"]);
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &headers), ip("10.0.0.2"));
        let with_port = forwarded(&["203.0.113.7:4711"]);
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), &with_port),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn addresses_come_out_canonical() {
        let proxies = trusting(&["127.0.0.1", "::1"]);
        let headers = forwarded(&["::ffff:203.0.113.7"]);
        assert_eq!(
            proxies.client_ip(ip("::ffff:127.0.0.1"), &headers),
            ip("203.0.113.7")
        );
        assert!(proxies.trusts(ip("::1")));
    }
}
