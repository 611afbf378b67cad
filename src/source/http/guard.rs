//! The SSRF guard: which addresses earshot may connect to.
//!
//! A pipeline names public feeds, but what they link to and redirect to is
//! chosen by whoever runs those servers. Without a guard, a redirect to
//! `http://169.254.169.254/` or `http://10.0.0.1/` turns earshot into a way
//! into the network it runs in. So by default every address that is not
//! globally routable is refused: loopback, private (RFC 1918, CGNAT),
//! link-local, unique-local, multicast, unspecified, documentation and other
//! reserved ranges, in IPv4, IPv6 and the IPv6 forms that carry an IPv4
//! address (mapped, compatible, NAT64, 6to4).
//!
//! It is checked twice, because neither check alone is enough:
//! - [`Guard::check_url`] on every URL before it is requested (the first,
//!   every redirect hop, every discovered link). This sees the port, and it
//!   is the only check for IP-literal hosts, which are never resolved. The
//!   `url` crate has already turned `http://2130706433/`, `0x7f.1` and octal
//!   forms into the address they mean.
//! - [`GuardedResolver`] on every address a name resolves to, at the moment
//!   of connecting, so a name that resolves to a public address when checked
//!   and to 127.0.0.1 when connected (DNS rebinding) still cannot get in.
//!
//! `[http] allow_hosts` lets exactly the listed hosts through: a name (any
//! port, or one port), an address or a CIDR block (any port, or one port for
//! a single address). A port-bound address entry only admits URLs that name
//! that address literally: the resolver does not know the port.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use ipnet::IpNet;
use url::{Host, Url};

/// One `allow_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow {
    /// A host name (lowercase, no trailing dot), optionally with one port.
    Name { name: String, port: Option<u16> },
    /// An address or CIDR block, optionally with one port.
    Net { net: IpNet, port: Option<u16> },
}

/// An `allow_hosts` entry that is none of host, host:port or CIDR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a host, host:port, address or CIDR block (e.g. \"intranet.example\", \"10.1.0.0/16\", \"127.0.0.1:8080\")")]
pub struct BadAllow(pub String);

impl FromStr for Allow {
    type Err = BadAllow;

    fn from_str(s: &str) -> Result<Allow, BadAllow> {
        let bad = || BadAllow(s.to_string());
        let t = s.trim();
        if t.is_empty() || t.contains("://") || t.contains('/') && IpNet::from_str(t).is_err() {
            return Err(bad());
        }
        if let Ok(net) = IpNet::from_str(t) {
            return Ok(Allow::Net { net, port: None });
        }
        if let Ok(ip) = IpAddr::from_str(t) {
            return Ok(Allow::Net {
                net: IpNet::from(ip),
                port: None,
            });
        }
        if let Ok(sa) = SocketAddr::from_str(t) {
            return Ok(Allow::Net {
                net: IpNet::from(sa.ip()),
                port: Some(sa.port()),
            });
        }
        let (host, port) = match t.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.parse::<u16>().map_err(|_| bad())?)),
            None => (t, None),
        };
        // Parse the name as a URL host would be, so the entry compares with
        // what `Url::host` gives (lowercase, punycode, numeric forms read).
        match Host::parse(host).map_err(|_| bad())? {
            Host::Domain(d) => Ok(Allow::Name {
                name: d.trim_end_matches('.').to_string(),
                port,
            }),
            Host::Ipv4(ip) => Ok(Allow::Net {
                net: IpNet::from(IpAddr::V4(ip)),
                port,
            }),
            Host::Ipv6(ip) => Ok(Allow::Net {
                net: IpNet::from(IpAddr::V6(ip)),
                port,
            }),
        }
    }
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allow::Name { name, port: None } => write!(f, "{name}"),
            Allow::Name {
                name,
                port: Some(p),
            } => write!(f, "{name}:{p}"),
            Allow::Net { net, port: None } => write!(f, "{}", net.trunc()),
            Allow::Net { net, port: Some(p) } => match net.addr() {
                IpAddr::V6(a) => write!(f, "[{a}]:{p}"),
                a => write!(f, "{a}:{p}"),
            },
        }
    }
}

/// Why an address is not a public one, or `None` for a public address.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "an unspecified (\"this network\") address",
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => "a private address (RFC 1918)",
        (100, 64..=127, _) => "a shared (CGNAT) address",
        (127, _, _) => "a loopback address",
        (169, 254, _) => "a link-local address",
        (192, 0, 0) => "an IETF protocol address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (192, 88, 99) => "a 6to4 relay address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // Forms that carry an IPv4 address are judged by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    if s[..6] == [0; 6] {
        // IPv4-compatible (::a.b.c.d), deprecated but still routed by some stacks.
        return non_public_v4(embedded_v4(s[6], s[7])).or(Some("an IPv4-compatible address"));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return non_public_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return non_public_v4(embedded_v4(s[1], s[2]));
    }
    Some(match s[0] {
        0x0064 if s[1] == 0xff9b => "a local-use NAT64 address",
        0x0100 if s[1..4] == [0, 0, 0] => "a discard-only address",
        0x2001 if s[1] < 0x0200 => "an IETF protocol address (Teredo, ORCHID and others)",
        0x2001 if s[1] == 0x0db8 => "a documentation address",
        0x3fff if s[1] < 0x1000 => "a documentation address",
        x if x & 0xfe00 == 0xfc00 => "a unique-local address",
        x if x & 0xffc0 == 0xfe80 => "a link-local address",
        x if x & 0xffc0 == 0xfec0 => "a site-local address",
        x if x & 0xff00 == 0xff00 => "a multicast address",
        _ => return None,
    })
}

/// A connection the guard refused: a permanent error, never retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("refused to connect to {addr} ({why}); to allow it, add \"{allow}\" to [http] allow_hosts (or pass --allow-host {allow})")]
    Address {
        addr: String,
        why: &'static str,
        /// The entry that would let it through.
        allow: String,
    },
    #[error("refused the `{0}` scheme: only http and https are fetched")]
    Scheme(String),
    #[error("{0} has no host")]
    NoHost(String),
}

/// The allow list and the checks. Cheap to share.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow: Arc<Vec<Allow>>,
}

impl Guard {
    pub fn new(allow: Vec<Allow>) -> Guard {
        Guard {
            allow: Arc::new(allow),
        }
    }

    /// Checks a URL before it is requested: scheme, and for an address
    /// literal the address and port. A name passes here unless it is a
    /// loopback name; its addresses are checked when it is resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
            return Err(Refusal::Scheme(url.scheme().to_string()));
        }
        let port = url.port_or_known_default();
        let ip = match url.host() {
            None => return Err(Refusal::NoHost(url.to_string())),
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                // "localhost" never needs a resolver to be loopback (RFC 6761).
                let loopback = name == "localhost" || name.ends_with(".localhost");
                if loopback && !self.allows_name(&name, port) {
                    return Err(Refusal::Address {
                        addr: name.clone(),
                        why: "a loopback name",
                        allow: with_port(&name, port),
                    });
                }
                return Ok(());
            }
        };
        match non_public(ip) {
            Some(why) if !self.allows_addr(ip, port) => Err(Refusal::Address {
                addr: ip.to_string(),
                why,
                allow: ip.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Whether a resolved address of `name` may be connected to. The port
    /// is unknown here: only entries without one count, or the name's own.
    pub fn check_resolved(&self, name: &str, ip: IpAddr) -> Result<(), Refusal> {
        let Some(why) = non_public(ip) else {
            return Ok(());
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let named = self
            .allow
            .iter()
            .any(|a| matches!(a, Allow::Name { name: n, .. } if *n == name));
        if named || self.allows_addr(ip, None) {
            return Ok(());
        }
        Err(Refusal::Address {
            addr: format!("{ip} (resolved from {name})"),
            why,
            allow: name,
        })
    }

    fn allows_name(&self, name: &str, port: Option<u16>) -> bool {
        self.allow.iter().any(|a| match a {
            Allow::Name { name: n, port: p } => n == name && (p.is_none() || *p == port),
            Allow::Net { .. } => false,
        })
    }

    fn allows_addr(&self, ip: IpAddr, port: Option<u16>) -> bool {
        let ip = canonical(ip);
        self.allow.iter().any(|a| match a {
            Allow::Net { net, port: p } => {
                net.contains(&ip) && (p.is_none() || (port.is_some() && *p == port))
            }
            Allow::Name { .. } => false,
        })
    }
}

/// An IPv4-mapped IPv6 address compares as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn with_port(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// reqwest's resolver, with every address checked by the [`Guard`].
pub struct GuardedResolver {
    pub guard: Guard,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve(&guard, &name, 0).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Resolves `name` and keeps the addresses the guard allows; if it allows
/// none, the first refusal is the error.
pub async fn resolve(
    guard: &Guard,
    name: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((name, port)).await?.collect();
    let mut refused = None;
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| match guard.check_resolved(name, a.ip()) {
            Ok(()) => true,
            Err(r) => {
                refused.get_or_insert(r);
                false
            }
        })
        .collect();
    match (kept.is_empty(), refused) {
        (true, Some(r)) => Err(Box::new(r)),
        (true, None) => Err(format!("{name} resolved to no address").into()),
        _ => Ok(kept),
    }
}

/// Connects a TCP stream to a URL's host through the guard, for clients
/// that do not go through reqwest (websockets).
pub async fn connect(guard: &Guard, url: &Url) -> Result<tokio::net::TcpStream, ConnectError> {
    guard.check_url(url)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = match url.host() {
        Some(Host::Domain(name)) => resolve(guard, name, port).await.map_err(|e| match e
            .downcast::<Refusal>()
        {
            Ok(r) => ConnectError::Refused(*r),
            Err(e) => ConnectError::Io(std::io::Error::other(e.to_string())),
        })?,
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        None => return Err(Refusal::NoHost(url.to_string()).into()),
    };
    Ok(tokio::net::TcpStream::connect(&addrs[..]).await?)
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests;
