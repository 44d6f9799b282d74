//! Where the daemon is: `DOCKER_HOST` URLs, the TLS environment and Docker CLI contexts.
//!
//! Everything here works on values the host has already read (environment variables,
//! the bytes of `config.json` and of a context's `meta.json`); nothing touches the
//! environment or the filesystem.
//!
//! The URL grammar is docker-py's `parse_host` (API-INVENTORY §4.1, edge cases 1–9),
//! with these deliberate differences, each of which only turns a docker-py failure or
//! surprise into a clear answer:
//!
//! - A scheme is only what comes before `://`. docker-py runs Python's `urlparse`,
//!   which (Python ≥ 3.9) reads `localhost:2375` as scheme `localhost` and fails;
//!   berth reads every scheme-less address as `tcp://`, like the Go client.
//! - `unix://var/run/docker.sock` (legacy, host part joined back into the path) is
//!   `/var/run/docker.sock`: docker-py documents it as "equivalent to unix:///path"
//!   and its unix adapter prefixes a missing `/`. berth keeps the case of the path
//!   (`urlparse` lowercases the host part) and does not double the `/`.
//! - A user name in a `tcp://` address is refused (docker-py would send it as HTTP
//!   basic auth with an empty password); an unbracketed IPv6 host and a non-numeric
//!   or out-of-range port are refused with a message rather than a Python exception.
//! - `unix:///` (an empty socket path) is refused.
//! - `npipe://` is refused: named pipes exist only on Windows.

use std::fmt;
use std::net::Ipv6Addr;

use crate::error::{Error, Result};

/// The socket docker-py and the Docker CLI use when nothing else is configured.
pub const DEFAULT_UNIX_SOCKET: &str = "/var/run/docker.sock";

/// The host used for `tcp://:2375` and scheme-less `:2375`.
pub const DEFAULT_TCP_HOST: &str = "127.0.0.1";

/// The port of `ssh://host` without a port.
pub const DEFAULT_SSH_PORT: u16 = 22;

/// How to reach the daemon's socket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DaemonAddr {
    /// A unix domain socket.
    Unix {
        /// Path of the socket, e.g. `/var/run/docker.sock`.
        path: String,
    },
    /// A TCP connection, plain or TLS.
    Tcp {
        /// Host name or IP address; an IPv6 address without brackets (`::1`).
        host: String,
        /// TCP port.
        port: u16,
        /// Whether to speak TLS (`https://`, or `tcp://` with TLS configured).
        tls: bool,
    },
    /// `ssh [-l user] [-p port] host docker system dial-stdio`.
    Ssh {
        /// The login user, when the URL names one.
        user: Option<String>,
        /// Host name or IP address; an IPv6 address without brackets.
        host: String,
        /// SSH port (22 when the URL has none).
        port: u16,
    },
}

/// A parsed `DOCKER_HOST` / `base_url`: the address of the daemon and the path
/// prefix every request goes under.
///
/// ```
/// use berth_core::daemon_host::{DaemonAddr, DaemonHost};
/// let h = DaemonHost::parse("tcp://10.0.0.5:2376/docker/", true).unwrap();
/// assert_eq!(h.addr, DaemonAddr::Tcp { host: "10.0.0.5".into(), port: 2376, tls: true });
/// assert_eq!(h.path_prefix, "/docker");
/// assert_eq!(h.http_host(), "10.0.0.5:2376");
/// assert_eq!(h.to_string(), "https://10.0.0.5:2376/docker");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DaemonHost {
    /// Where to connect.
    pub addr: DaemonAddr,
    /// `""` or a prefix such as `/docker` (no trailing slash) placed before
    /// `/v1.xx/…`. Only `tcp://`-like addresses carry one.
    pub path_prefix: String,
}

impl Default for DaemonHost {
    /// The default unix socket, `/var/run/docker.sock`.
    fn default() -> DaemonHost {
        DaemonHost {
            addr: DaemonAddr::Unix {
                path: DEFAULT_UNIX_SOCKET.to_owned(),
            },
            path_prefix: String::new(),
        }
    }
}

/// The schemes berth recognises, after docker-py's aliasing.
enum Proto {
    Unix,
    Tcp { tls: bool },
    Ssh,
}

impl DaemonHost {
    /// Parses a daemon address the way docker-py's `parse_host` does.
    ///
    /// `tls` says whether TLS is configured (docker-py's `tls=` argument, or TLS from
    /// the environment): it turns `tcp://` and scheme-less addresses into HTTPS.
    /// `https://` always means TLS and `http://` never does.
    ///
    /// | Input | Result |
    /// |---|---|
    /// | `""`, `unix://` | unix `/var/run/docker.sock` |
    /// | `unix:///run/d.sock`, `http+unix:///run/d.sock` | unix `/run/d.sock` |
    /// | `unix://var/run/docker.sock` (legacy) | unix `/var/run/docker.sock` |
    /// | `tcp://h:2375`, `h:2375`, `http://h:2375` | tcp `h:2375` |
    /// | `https://h:2376` | tcp `h:2376` with TLS |
    /// | `tcp://:2375`, `:2375` | tcp `127.0.0.1:2375` |
    /// | `tcp://[::1]:2375/prefix/` | tcp `::1` port 2375, prefix `/prefix` |
    /// | `ssh://user@h`, `ssh://h:2222` | ssh, port 22 unless given |
    ///
    /// Errors ([`Error::InvalidArgument`]): a tcp address without a port, `tcp://`
    /// alone, a query, fragment, `;params` or password in the URL, a path after an
    /// `ssh://` host, `fd://` (not implemented), `npipe://` (Windows only) and any
    /// other scheme ("invalid bind address protocol").
    ///
    /// ```
    /// use berth_core::daemon_host::{DaemonAddr, DaemonHost};
    /// let h = DaemonHost::parse("unix://var/run/docker.sock", false).unwrap();
    /// assert_eq!(h.addr, DaemonAddr::Unix { path: "/var/run/docker.sock".into() });
    /// assert!(DaemonHost::parse("tcp://example.com", false).is_err());
    /// ```
    pub fn parse(url: &str, tls: bool) -> Result<DaemonHost> {
        let addr = url.trim();
        if addr.is_empty() || addr == "unix://" {
            return Ok(DaemonHost::default());
        }
        let (scheme, rest) = match addr.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => (String::new(), addr),
        };
        let proto = match scheme.as_str() {
            "" => Proto::Tcp { tls },
            "tcp" => Proto::Tcp { tls },
            "http" => Proto::Tcp { tls: false },
            "https" => Proto::Tcp { tls: true },
            "unix" | "http+unix" => Proto::Unix,
            "ssh" => Proto::Ssh,
            "fd" => {
                return Err(invalid(
                    addr,
                    "the fd:// protocol is not implemented (it only makes sense inside dockerd); \
                     use unix://, tcp:// or ssh://",
                ));
            }
            "npipe" => {
                return Err(invalid(
                    addr,
                    "named pipes (npipe://) exist only on Windows and are not supported on this \
                     operating system; use unix://, tcp:// or ssh://",
                ));
            }
            _ => {
                return Err(invalid(
                    addr,
                    &format!(
                        "invalid bind address protocol \"{scheme}\"; use unix://, tcp://, \
                         http://, https:// or ssh://"
                    ),
                ));
            }
        };
        if let Some(c) = rest.chars().find(|c| matches!(c, '?' | '#' | ';')) {
            let what = match c {
                '?' => "a query string",
                '#' => "a fragment",
                _ => ";params",
            };
            return Err(invalid(
                addr,
                &format!("{what} is not allowed in a daemon address"),
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        match proto {
            Proto::Unix => parse_unix(addr, authority, path),
            Proto::Tcp { tls } => parse_tcp(addr, authority, path, tls),
            Proto::Ssh => parse_ssh(addr, authority, path),
        }
    }

    /// The `Host` header for requests to this daemon: `localhost` for unix sockets
    /// and ssh (never resolved, API-INVENTORY edge case 10), `host:port` for tcp with
    /// an IPv6 address in brackets.
    ///
    /// ```
    /// use berth_core::daemon_host::DaemonHost;
    /// assert_eq!(DaemonHost::parse("tcp://[::1]:2375", false).unwrap().http_host(), "[::1]:2375");
    /// assert_eq!(DaemonHost::default().http_host(), "localhost");
    /// ```
    pub fn http_host(&self) -> String {
        match &self.addr {
            DaemonAddr::Unix { .. } | DaemonAddr::Ssh { .. } => "localhost".to_owned(),
            DaemonAddr::Tcp { host, port, .. } => format!("{}:{port}", bracketed(host)),
        }
    }

    /// Whether requests travel over TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self.addr, DaemonAddr::Tcp { tls: true, .. })
    }
}

impl fmt::Display for DaemonHost {
    /// The canonical URL: `unix:///path`, `http(s)://host:port/prefix`,
    /// `ssh://[user@]host:port`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.addr {
            DaemonAddr::Unix { path } => write!(f, "unix://{path}"),
            DaemonAddr::Tcp { host, port, tls } => {
                let scheme = if *tls { "https" } else { "http" };
                write!(
                    f,
                    "{scheme}://{}:{port}{}",
                    bracketed(host),
                    self.path_prefix
                )
            }
            DaemonAddr::Ssh { user, host, port } => {
                f.write_str("ssh://")?;
                if let Some(user) = user {
                    write!(f, "{user}@")?;
                }
                write!(f, "{}:{port}", bracketed(host))
            }
        }
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

fn invalid(addr: &str, why: &str) -> Error {
    Error::InvalidArgument(format!("invalid Docker host \"{addr}\": {why}"))
}

fn parse_unix(addr: &str, authority: &str, path: &str) -> Result<DaemonHost> {
    // Legacy `unix://var/run/docker.sock`: the "host" is the first path segment.
    let joined = if authority.is_empty() {
        path.to_owned()
    } else {
        format!("/{authority}{path}")
    };
    let path = joined.trim_end_matches('/');
    if path.is_empty() {
        return Err(invalid(
            addr,
            "the unix socket path is empty; use e.g. unix:///var/run/docker.sock",
        ));
    }
    Ok(DaemonHost {
        addr: DaemonAddr::Unix {
            path: path.to_owned(),
        },
        path_prefix: String::new(),
    })
}

/// `user@host:port` split into its parts; `port` is `None` when absent or empty.
struct Authority<'a> {
    user: Option<&'a str>,
    host: String,
    port: Option<u16>,
}

fn parse_authority<'a>(addr: &str, authority: &'a str) -> Result<Authority<'a>> {
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(u) = userinfo
        && u.contains(':')
    {
        return Err(invalid(
            addr,
            "a password is not allowed in a daemon address",
        ));
    }
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let Some((inner, after)) = v6.split_once(']') else {
            return Err(invalid(addr, "an IPv6 address lacks its closing ']'"));
        };
        if inner.parse::<Ipv6Addr>().is_err() {
            return Err(invalid(
                addr,
                &format!("\"{inner}\" is not an IPv6 address"),
            ));
        }
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(p) => Some(p),
                None => return Err(invalid(addr, "unexpected text after the IPv6 address")),
            },
        };
        (inner, port)
    } else {
        match hostport.split_once(':') {
            Some((_, p)) if p.contains(':') => {
                return Err(invalid(
                    addr,
                    "an IPv6 address must be written in brackets, e.g. tcp://[::1]:2375",
                ));
            }
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if let Some(c) = host
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '[' | ']' | '\\'))
    {
        return Err(invalid(
            addr,
            &format!("the host name contains the character {c:?}"),
        ));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => match p.parse::<u16>() {
            // u16's parser takes a leading '+'; a URL port does not.
            Ok(n) if p.bytes().all(|b| b.is_ascii_digit()) => (n != 0).then_some(n),
            _ => {
                return Err(invalid(
                    addr,
                    &format!("\"{p}\" is not a port number (1-65535)"),
                ));
            }
        },
    };
    let host = if host.is_empty() {
        DEFAULT_TCP_HOST.to_owned()
    } else {
        host.to_owned()
    };
    Ok(Authority {
        user: userinfo,
        host,
        port,
    })
}

fn parse_tcp(addr: &str, authority: &str, path: &str, tls: bool) -> Result<DaemonHost> {
    if authority.is_empty() {
        let hint = if addr.starts_with('/') {
            format!("; for a unix socket write unix://{addr}")
        } else {
            String::new()
        };
        return Err(invalid(
            addr,
            &format!("a host and port are required, e.g. tcp://127.0.0.1:2375{hint}"),
        ));
    }
    let a = parse_authority(addr, authority)?;
    if a.user.is_some() {
        return Err(invalid(
            addr,
            "a user name is only meaningful in an ssh:// address",
        ));
    }
    let Some(port) = a.port else {
        return Err(invalid(
            addr,
            &format!(
                "port is required, e.g. tcp://{}:{}",
                bracketed(&a.host),
                if tls { 2376 } else { 2375 }
            ),
        ));
    };
    if http::uri::Authority::try_from(format!("{}:{port}", bracketed(&a.host))).is_err() {
        return Err(invalid(
            addr,
            &format!("\"{}\" is not a valid host name", a.host),
        ));
    }
    let prefix = path.trim_end_matches('/');
    if !prefix.is_empty() && http::uri::PathAndQuery::try_from(prefix).is_err() {
        return Err(invalid(
            addr,
            &format!("the path prefix \"{prefix}\" is not a valid URL path"),
        ));
    }
    Ok(DaemonHost {
        addr: DaemonAddr::Tcp {
            host: a.host,
            port,
            tls,
        },
        path_prefix: prefix.to_owned(),
    })
}

fn parse_ssh(addr: &str, authority: &str, path: &str) -> Result<DaemonHost> {
    if !path.is_empty() {
        return Err(invalid(
            addr,
            "no path is allowed after the host of an ssh:// address",
        ));
    }
    let a = parse_authority(addr, authority)?;
    if let Some(c) = a.host.chars().find(|c| *c == '@' || *c == '/') {
        return Err(invalid(
            addr,
            &format!("the host name contains the character {c:?}"),
        ));
    }
    if a.host.starts_with('-') || a.user.is_some_and(|u| u.starts_with('-')) {
        // Would be read by ssh as an option.
        return Err(invalid(addr, "an ssh host or user may not start with '-'"));
    }
    Ok(DaemonHost {
        addr: DaemonAddr::Ssh {
            user: a.user.filter(|u| !u.is_empty()).map(str::to_owned),
            host: a.host,
            port: a.port.unwrap_or(DEFAULT_SSH_PORT),
        },
        path_prefix: String::new(),
    })
}

mod env;

pub use env::{
    ContextEndpoint, TlsFiles, context_meta_dir, context_name, context_tls_dir, parse_context_meta,
    tls_from_env,
};

#[cfg(test)]
mod tests;
