//! The credential-helper protocol (`docker-credential-<name> get|list`), as pure
//! functions: what to write on the helper's stdin and how to read what it printed.
//! Running the program is the host's job.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::AuthConfig;
use crate::error::{Error, Result};
use crate::model::excerpt;

/// Helper programs are named `docker-credential-<store>`.
pub const HELPER_PREFIX: &str = "docker-credential-";

/// The `Username` a helper answers with when `Secret` is an identity token
/// (edge case 42).
const TOKEN_USERNAME: &str = "<token>";

/// One `get` question to a credential helper: run [`program`](HelperQuery::program)
/// with the argument `get`, write [`stdin`](HelperQuery::stdin), and hand what it
/// printed to [`parse`](HelperQuery::parse).
///
/// ```
/// use berth_core::auth::HelperQuery;
/// let q = HelperQuery::new("pass", "reg.example.com");
/// assert_eq!(q.program(), "docker-credential-pass");
/// assert_eq!(q.stdin(), b"reg.example.com");
/// let found = q.parse(true, br#"{"ServerURL":"reg.example.com","Username":"jane","Secret":"pw"}"#, b"")?;
/// assert_eq!(found.expect("credentials").password.as_deref(), Some("pw"));
/// let none = q.parse(false, b"credentials not found in native keychain\n", b"")?;
/// assert!(none.is_none());
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperQuery {
    /// The store name (`desktop`, `pass`, `osxkeychain`, …).
    pub store: String,
    /// The server URL asked about ([`INDEX_SERVER`](super::INDEX_SERVER) for Docker
    /// Hub, else `host[:port]`).
    pub server_url: String,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "ServerURL", default)]
    server_url: Option<String>,
    #[serde(rename = "Username", default)]
    username: Option<String>,
    #[serde(rename = "Secret", default)]
    secret: Option<String>,
}

impl HelperQuery {
    /// A `get` for `server_url` to the helper of `store`.
    pub fn new(store: &str, server_url: &str) -> HelperQuery {
        HelperQuery {
            store: store.to_owned(),
            server_url: server_url.to_owned(),
        }
    }

    /// The program to run: `docker-credential-<store>`.
    pub fn program(&self) -> String {
        format!("{HELPER_PREFIX}{}", self.store)
    }

    /// The argument: `get`.
    pub fn action(&self) -> &'static str {
        "get"
    }

    /// What to write on the helper's stdin: the server URL, nothing else.
    pub fn stdin(&self) -> Vec<u8> {
        self.server_url.as_bytes().to_vec()
    }

    /// Reads the helper's answer. `success` is whether it exited with status 0.
    ///
    /// - `{"ServerURL","Username","Secret"}` → credentials; `Username == "<token>"`
    ///   makes `Secret` an identity token (edge case 42).
    /// - Empty username and secret, or a failure whose output says "credentials not
    ///   found" → `Ok(None)`: not an error, fall back to `auths` (edge case 43).
    /// - Any other failure, or output that is not the JSON answer → an error naming
    ///   the helper and quoting its output.
    pub fn parse(&self, success: bool, stdout: &[u8], stderr: &[u8]) -> Result<Option<AuthConfig>> {
        if !success {
            let said = |b: &[u8]| String::from_utf8_lossy(b).to_ascii_lowercase();
            if said(stdout).contains("credentials not found")
                || said(stderr).contains("credentials not found")
            {
                return Ok(None);
            }
            let out = if stdout.trim_ascii().is_empty() {
                stderr
            } else {
                stdout
            };
            return Err(Error::Protocol(format!(
                "credential helper {} failed for {}: {}; check the helper, or remove \
                 credsStore/credHelpers from the Docker config",
                self.program(),
                self.server_url,
                excerpt(out.trim_ascii())
            )));
        }
        let answer: HelperAnswer = serde_json::from_slice(stdout).map_err(|e| {
            Error::Protocol(format!(
                "credential helper {} answered something that is not its JSON ({e}): {}",
                self.program(),
                excerpt(stdout)
            ))
        })?;
        let username = answer.username.unwrap_or_default();
        let secret = answer.secret.unwrap_or_default();
        if username.is_empty() && secret.is_empty() {
            return Ok(None);
        }
        let server = answer
            .server_url
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| self.server_url.clone());
        Ok(Some(if username == TOKEN_USERNAME {
            AuthConfig::identity_token(secret, server)
        } else {
            AuthConfig::password(username, secret, server)
        }))
    }
}

/// Reads the answer of `docker-credential-<store> list`: `{server URL: user name}`.
pub fn parse_helper_list(stdout: &[u8]) -> Result<BTreeMap<String, String>> {
    serde_json::from_slice(stdout).map_err(|e| {
        Error::Protocol(format!(
            "credential helper list answered something that is not a JSON object of \
             strings ({e}): {}",
            excerpt(stdout)
        ))
    })
}
