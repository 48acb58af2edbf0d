//! Where a webhook may point: the rules against server-side request forgery (SSRF).
//!
//! A webhook is a request **the server** makes, to a URL **a user** chose. Without
//! rules, registering `http://127.0.0.1:6379/` or `http://169.254.169.254/latest/meta-data/`
//! makes the server talk to what sits inside its own network — a database on loopback, a
//! cloud's metadata service handing out credentials — from a place no firewall expected a
//! stranger to reach. OWASP lists it as SSRF. So a target URL must:
//!
//! | rule | refused with |
//! |---|---|
//! | be an absolute URL | `400 bad_url` |
//! | use `http` or `https` (no `file:`, `gopher:`…) | `400 bad_scheme` |
//! | carry no `user:password@` (a secret in a URL ends up in logs and listings) | `400 credentials_in_url` |
//! | carry no `#fragment` (never sent; a sign of a pasted browser link) | `400 fragment_in_url` |
//! | have a host that resolves | `400 unresolvable_host` |
//! | resolve **only** to public addresses: not loopback, private (RFC 1918, RFC 6598, fc00::/7), link-local, unspecified, multicast or broadcast — unless `--webhook-allow-private-targets` | `400 private_address` |
//!
//! **Every** address the name resolves to is checked, not the first: a name with one
//! public and one private address would otherwise pass and then be connected to on the
//! private one. And the check is **repeated at delivery time**, inside the connection
//! itself: DNS answers change (an attacker's name can resolve to a public address when
//! registered and to 127.0.0.1 a minute later — *DNS rebinding*), so the delivering client
//! resolves through [`GuardedResolver`], which refuses the same addresses, and the client
//! connects only to what it returned. A URL with an IP literal never goes through a
//! resolver, so [`check_literal`] runs before every attempt. Redirects are not followed
//! (a `3xx` is a failed attempt): a redirect is a second URL nobody validated.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};

use phase_1_foundations::ApiError;
use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    Url,
};

/// Why a target URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not an absolute URL at all.
    #[error("{0:?} is not an absolute URL (e.g. https://example.com/hooks/liveboard)")]
    NotAUrl(String),
    /// A scheme other than http and https.
    #[error("scheme {0:?} is not allowed: a webhook target is http:// or https://")]
    Scheme(String),
    /// A `user:password@` part.
    #[error("the URL carries credentials (user:password@): receivers authenticate deliveries by their signature instead")]
    Credentials,
    /// A `#fragment`.
    #[error("the URL has a #fragment, which is never sent: remove it")]
    Fragment,
    /// The host name does not resolve.
    #[error("the host {host} does not resolve: {error}")]
    Unresolvable {
        /// The host.
        host: String,
        /// What the resolver said.
        error: String,
    },
    /// It resolves to an address of a kind that is refused.
    #[error("{host} resolves to {addr}, a {kind} address: webhooks may not target the server's own network (--webhook-allow-private-targets allows it)")]
    Private {
        /// The host.
        host: String,
        /// The refused address.
        addr: IpAddr,
        /// What kind of address it is.
        kind: &'static str,
    },
}

impl TargetError {
    /// `400`, with a code naming the rule.
    pub fn to_api_error(&self) -> ApiError {
        let code = match self {
            Self::NotAUrl(_) => "bad_url",
            Self::Scheme(_) => "bad_scheme",
            Self::Credentials => "credentials_in_url",
            Self::Fragment => "fragment_in_url",
            Self::Unresolvable { .. } => "unresolvable_host",
            Self::Private { .. } => "private_address",
        };
        ApiError::bad_request(code, self.to_string())
    }
}

// ANCHOR: address_kind
/// Why `ip` may not be a webhook's target by default, or `None` if it is public.
pub fn refused_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => {
            // An IPv4-mapped address (::ffff:127.0.0.1) reaches the IPv4 address it holds.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_kind(v4);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if first & 0xfe00 == 0xfc00 {
                // RFC 4193: fc00::/7, unique local addresses — IPv6's private networks.
                Some("private (fc00::/7)")
            } else if first & 0xffc0 == 0xfe80 {
                // RFC 4291 §2.5.6: fe80::/10, link-local.
                Some("link-local")
            } else {
                None
            }
        }
    }
}

fn v4_kind(v4: Ipv4Addr) -> Option<&'static str> {
    // EXERCISE(ch8-private-address): which IPv4 addresses a webhook may not target
    let [a, b, ..] = v4.octets();
    if v4.is_loopback() {
        Some("loopback")
    } else if v4.is_private() {
        // RFC 1918: 10/8, 172.16/12, 192.168/16.
        Some("private (RFC 1918)")
    } else if a == 100 && (b & 0xc0) == 64 {
        // RFC 6598: 100.64/10, shared address space (carrier-grade NAT).
        Some("private (RFC 6598)")
    } else if v4.is_link_local() {
        // RFC 3927: 169.254/16 — where cloud metadata services live.
        Some("link-local")
    } else if v4.is_unspecified() || a == 0 {
        // RFC 1122 §3.2.1.3: 0/8 means "this host on this network".
        Some("unspecified")
    } else if v4.is_multicast() {
        Some("multicast")
    } else if v4.is_broadcast() {
        Some("broadcast")
    } else {
        None
    }
    // EXERCISE_END(ch8-private-address)
}
// ANCHOR_END: address_kind

/// The rules that need no resolver: an absolute `http(s)` URL without credentials or
/// fragment.
pub fn parse(text: &str) -> Result<Url, TargetError> {
    let url = Url::parse(text)
        .map_err(|_| TargetError::NotAUrl(text.chars().take(200).collect::<String>()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme(url.scheme().to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    if url.fragment().is_some() {
        return Err(TargetError::Fragment);
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(TargetError::NotAUrl(text.chars().take(200).collect()));
    }
    Ok(url)
}

/// The host of `url` as an IP address, if it is written as one (`[::1]` without brackets).
fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// The check of an IP-literal host, which no resolver sees: run before every attempt.
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), TargetError> {
    match literal(url) {
        Some(addr) => check_addr(url.host_str().unwrap_or_default(), addr, allow_private),
        None => Ok(()),
    }
}

fn check_addr(host: &str, addr: IpAddr, allow_private: bool) -> Result<(), TargetError> {
    match refused_kind(addr) {
        Some(kind) if !allow_private => Err(TargetError::Private {
            host: host.to_owned(),
            addr,
            kind,
        }),
        _ => Ok(()),
    }
}

/// Every rule, the host resolved and each of its addresses checked: what registering a
/// hook runs.
pub async fn validate(text: &str, allow_private: bool) -> Result<Url, TargetError> {
    let url = parse(text)?;
    if literal(&url).is_some() {
        check_literal(&url, allow_private)?;
        return Ok(url);
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    resolve_checked(&host, allow_private).await?;
    Ok(url)
}

/// `host`'s addresses, all of them allowed, or why not.
async fn resolve_checked(host: &str, allow_private: bool) -> Result<Vec<SocketAddr>, TargetError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| TargetError::Unresolvable {
            host: host.to_owned(),
            error: e.to_string(),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(TargetError::Unresolvable {
            host: host.to_owned(),
            error: "no addresses".to_owned(),
        });
    }
    for addr in &addrs {
        check_addr(host, addr.ip(), allow_private)?;
    }
    Ok(addrs)
}

/// The delivering client's resolver: the system's, then the same rules on every answer,
/// at every connection — so a name re-pointed at a private address after it was
/// registered is refused at delivery time.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// `--webhook-allow-private-targets`.
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = resolve_checked(name.as_str(), allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

impl GuardedResolver {
    /// As the `Arc` reqwest takes.
    pub fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<&'static str> {
        refused_kind(ip.parse().unwrap())
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_are_not() {
        for (ip, want) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private (RFC 1918)"),
            ("172.20.0.1", "private (RFC 1918)"),
            ("192.168.1.1", "private (RFC 1918)"),
            ("100.64.0.1", "private (RFC 6598)"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00::1", "private (fc00::/7)"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
        ] {
            assert_eq!(kind(ip), Some(want), "{ip}");
        }
        for ip in ["93.184.216.34", "172.32.0.1", "2606:2800:220:1::1"] {
            assert_eq!(kind(ip), None, "{ip}");
        }
    }

    #[test]
    fn the_static_rules_name_what_is_wrong() {
        assert!(matches!(parse("not a url"), Err(TargetError::NotAUrl(_))));
        assert!(matches!(parse("ftp://example.com/"), Err(TargetError::Scheme(s)) if s == "ftp"));
        assert_eq!(
            parse("https://u:p@example.com/"),
            Err(TargetError::Credentials)
        );
        assert_eq!(
            parse("https://u@example.com/"),
            Err(TargetError::Credentials)
        );
        assert_eq!(parse("https://example.com/#x"), Err(TargetError::Fragment));
        assert!(parse("https://example.com/hooks?x=1").is_ok());
    }
}
