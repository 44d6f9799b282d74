//! Environment, labels, shell words, extra hosts, links, sysctls, group ids and proxy
//! variables: the list-and-map conversions of docker-py.

use std::collections::HashMap;
use std::fmt::Display;

use crate::error::{Error, Result};

/// One `Env` entry: `KEY=value`, or bare `KEY` when `value` is `None` (the variable
/// is removed / inherited, docker-py's `{"KEY": None}`).
///
/// ```
/// use berth_core::options::env_var;
/// assert_eq!(env_var("A", Some("x=y"))?, "A=x=y");
/// assert_eq!(env_var("A", None::<&str>)?, "A");
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn env_var(key: &str, value: Option<impl AsRef<str>>) -> Result<String> {
    if key.is_empty() || key.contains('=') {
        return Err(Error::InvalidArgument(format!(
            "environment variable name {key:?}: expected a non-empty name without '='"
        )));
    }
    Ok(match value {
        Some(v) => format!("{key}={}", v.as_ref()),
        None => key.to_owned(),
    })
}

/// docker-py's `format_environment`: a map (or pairs) of names to optional values →
/// `["K=V", "BARE"]`, in the order given.
pub fn format_env<K: AsRef<str>, V: AsRef<str>>(
    vars: impl IntoIterator<Item = (K, Option<V>)>,
) -> Result<Vec<String>> {
    vars.into_iter()
        .map(|(k, v)| env_var(k.as_ref(), v))
        .collect()
}

/// Checks one entry of the list form of `environment` (`"K=V"` or `"K"`).
pub fn env_entry(entry: &str) -> Result<String> {
    let key = entry.split_once('=').map_or(entry, |(k, _)| k);
    if key.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "environment entry {entry:?}: expected NAME=value or NAME"
        )));
    }
    Ok(entry.to_owned())
}

/// docker-py's `parse_env_file` over text the caller read: `KEY=VALUE` lines (split at
/// the first `=`, so values keep later `=`), blank lines and `#` comment lines
/// skipped, surrounding whitespace trimmed. A later duplicate replaces the value but
/// keeps the first position. A line without `=`, or a name with whitespace, is an
/// error naming the line.
///
/// ```
/// let vars = berth_core::options::parse_env_file("# db\nURL=pg://h/db?a=b\n\nDEBUG=1\n")?;
/// assert_eq!(vars, [("URL".to_owned(), "pg://h/db?a=b".to_owned()), ("DEBUG".into(), "1".into())]);
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "env file line {} {line:?}: {why}; expected KEY=VALUE",
                n + 1
            ))
        };
        let (key, value) = line.split_once('=').ok_or_else(|| bad("no '='"))?;
        if key.is_empty() {
            return Err(bad("empty name"));
        }
        if key.chars().any(char::is_whitespace) {
            return Err(bad("the name contains whitespace"));
        }
        match vars.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_owned(),
            None => vars.push((key.to_owned(), value.to_owned())),
        }
    }
    Ok(vars)
}

/// docker-py's list form of `labels`: each name maps to `""`.
pub fn labels_from_names<S: Into<String>>(
    names: impl IntoIterator<Item = S>,
) -> HashMap<String, String> {
    names
        .into_iter()
        .map(|n| (n.into(), String::new()))
        .collect()
}

/// Splits a command line into words like Python's `shlex.split` (POSIX mode, no
/// comments), which docker-py uses for string `command`/`entrypoint`: whitespace
/// separates words; `'…'` is literal; in `"…"` a backslash escapes only `"` and `\`;
/// outside quotes a backslash escapes any character; adjacent pieces join (`a"b c"` →
/// `ab c`); `''` is an empty word. An unclosed quote or a trailing backslash is an
/// error.
///
/// ```
/// use berth_core::options::shell_split;
/// assert_eq!(shell_split(r#"sh -c 'echo "hi there"' x\ y"#)?, ["sh", "-c", r#"echo "hi there""#, "x y"]);
/// assert!(shell_split("echo 'oops").is_err());
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn shell_split(s: &str) -> Result<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Space,
        Word,
        Single,
        Double,
    }
    let err = |why: &str| {
        Error::InvalidArgument(format!(
            "command {s:?}: {why}; quote with '…' or \"…\", or pass the words as a list"
        ))
    };
    let mut words = Vec::new();
    let mut word = String::new();
    let mut state = State::Space;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match state {
            State::Space | State::Word => match c {
                ' ' | '\t' | '\n' | '\r' => {
                    if state == State::Word {
                        words.push(std::mem::take(&mut word));
                        state = State::Space;
                    }
                }
                '\'' => state = State::Single,
                '"' => state = State::Double,
                '\\' => {
                    word.push(
                        chars
                            .next()
                            .ok_or_else(|| err("no character after the final backslash"))?,
                    );
                    state = State::Word;
                }
                _ => {
                    word.push(c);
                    state = State::Word;
                }
            },
            State::Single => match c {
                '\'' => state = State::Word,
                _ => word.push(c),
            },
            State::Double => match c {
                '"' => state = State::Word,
                '\\' => {
                    let next = chars.next().ok_or_else(|| err("no closing quotation"))?;
                    if next != '"' && next != '\\' {
                        word.push('\\');
                    }
                    word.push(next);
                }
                _ => word.push(c),
            },
        }
    }
    match state {
        State::Single | State::Double => Err(err("no closing quotation")),
        State::Word => {
            words.push(word);
            Ok(words)
        }
        State::Space => Ok(words),
    }
}

/// docker-py's `format_extra_hosts` for containers: `{host: ip}` → sorted `"host:ip"`.
/// (Service tasks use `"ip host"`, which is the swarm module's business.)
pub fn extra_hosts<H: AsRef<str>, I: AsRef<str>>(
    hosts: impl IntoIterator<Item = (H, I)>,
) -> Vec<String> {
    let mut out: Vec<String> = hosts
        .into_iter()
        .map(|(h, ip)| format!("{}:{}", h.as_ref(), ip.as_ref()))
        .collect();
    out.sort();
    out
}

/// One link: `name:alias`, or `name` when the alias is `None` or empty.
pub fn link(name: &str, alias: Option<&str>) -> String {
    match alias {
        Some(a) if !a.is_empty() => format!("{name}:{a}"),
        _ => name.to_owned(),
    }
}

/// docker-py's `normalize_links`: `{name: alias}` or `[(name, alias)]` → sorted
/// `"name:alias"` / `"name"`.
pub fn links<N: AsRef<str>, A: AsRef<str>>(
    links: impl IntoIterator<Item = (N, Option<A>)>,
) -> Vec<String> {
    let mut pairs: Vec<(String, Option<String>)> = links
        .into_iter()
        .map(|(n, a)| (n.as_ref().to_owned(), a.map(|a| a.as_ref().to_owned())))
        .collect();
    pairs.sort();
    pairs.iter().map(|(n, a)| link(n, a.as_deref())).collect()
}

/// `Sysctls` with every value stringified (`{"net.core.somaxconn": 1024}` → `"1024"`).
pub fn sysctls<K: Into<String>, V: Display>(
    values: impl IntoIterator<Item = (K, V)>,
) -> HashMap<String, String> {
    values
        .into_iter()
        .map(|(k, v)| (k.into(), v.to_string()))
        .collect()
}

/// `GroupAdd` with every entry stringified (gids become `"1000"`).
pub fn group_add<G: Display>(groups: impl IntoIterator<Item = G>) -> Vec<String> {
    groups.into_iter().map(|g| g.to_string()).collect()
}

/// Proxy settings for a container's environment: docker-py's `use_config_proxy`,
/// from the `proxies` section of the CLI's `config.json` (which the host reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// `httpProxy` → `http_proxy` and `HTTP_PROXY`.
    pub http: Option<String>,
    /// `httpsProxy` → `https_proxy` and `HTTPS_PROXY`.
    pub https: Option<String>,
    /// `ftpProxy` → `ftp_proxy` and `FTP_PROXY`.
    pub ftp: Option<String>,
    /// `noProxy` → `no_proxy` and `NO_PROXY`.
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// Reads one `proxies` entry of `config.json` (`{"httpProxy": …, "noProxy": …}`);
    /// missing or non-string keys are unset.
    pub fn from_config(entry: &serde_json::Value) -> ProxyEnv {
        let get = |k: &str| entry.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        ProxyEnv {
            http: get("httpProxy"),
            https: get("httpsProxy"),
            ftp: get("ftpProxy"),
            no_proxy: get("noProxy"),
        }
    }

    /// Whether no proxy is set.
    pub fn is_empty(&self) -> bool {
        self.vars().is_empty()
    }

    /// The variables, lower- then upper-case for each setting, in docker-py's order.
    pub fn vars(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, value) in [
            ("http_proxy", &self.http),
            ("https_proxy", &self.https),
            ("ftp_proxy", &self.ftp),
            ("no_proxy", &self.no_proxy),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                out.push(format!("{name}={v}"));
                out.push(format!("{}={v}", name.to_ascii_uppercase()));
            }
        }
        out
    }

    /// `env` with the proxy variables prepended, so that explicit entries (later in
    /// the list) win.
    pub fn inject(&self, env: &[String]) -> Vec<String> {
        let mut out = self.vars();
        out.extend_from_slice(env);
        out
    }
}
