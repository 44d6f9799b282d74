//! Exec: run a command in a running container.
//!
//! ```text
//!  ExecCreate ──▶ id ──▶ ExecStart (upgrade: stdin ⇄ output) ──▶ ExecInspect (exit code)
//!                    └──▶ ExecStart { detach: true } (no upgrade, returns at once)
//! ```

use std::collections::BTreeMap;

use http::Method;
use serde::Serialize;

use crate::endpoint::{Endpoint, Response, UpgradeEndpoint};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::model::Typed;
use crate::models::{ExecInspectResponse, IdResponse};
use crate::request::{Query, RequestHead, ResponseKind, quote_id};
use crate::stream::OutputDecoder;
use crate::version::ApiVersion;

/// `POST /containers/{id}/exec`: create an exec instance.
#[derive(Debug, Clone, Default)]
pub struct ExecCreate {
    /// Container id or name (must be running).
    pub container: String,
    /// The command and its arguments.
    pub cmd: Vec<String>,
    /// Environment, `KEY=value` (API 1.25).
    pub env: Vec<String>,
    /// Working directory (API 1.35).
    pub workdir: Option<String>,
    /// User (`""` = the image's user).
    pub user: Option<String>,
    /// Extended privileges.
    pub privileged: bool,
    /// Allocate a TTY: output is then raw, not multiplexed.
    pub tty: bool,
    /// Attach stdin.
    pub stdin: bool,
    /// Attach stdout.
    pub stdout: bool,
    /// Attach stderr.
    pub stderr: bool,
    /// Key sequence that detaches.
    pub detach_keys: Option<String>,
}

impl ExecCreate {
    /// `cmd` in `container`, with stdout and stderr attached.
    pub fn new<I, S>(container: impl Into<String>, cmd: I) -> ExecCreate
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ExecCreate {
            container: container.into(),
            cmd: cmd.into_iter().map(Into::into).collect(),
            stdout: true,
            stderr: true,
            ..ExecCreate::default()
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExecCreateBody<'a> {
    attach_stdin: bool,
    attach_stdout: bool,
    attach_stderr: bool,
    tty: bool,
    privileged: bool,
    user: &'a str,
    cmd: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    env: Option<&'a [String]>,
    #[serde(rename = "WorkingDir", skip_serializing_if = "Option::is_none")]
    working_dir: Option<&'a str>,
    #[serde(rename = "DetachKeys", skip_serializing_if = "Option::is_none")]
    detach_keys: Option<&'a str>,
}

impl Endpoint for ExecCreate {
    type Output = Typed<IdResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let id = quote_id("container", &self.container)?;
        if self.cmd.is_empty() {
            return Err(Error::InvalidArgument("exec: the command is empty".into()));
        }
        if !self.env.is_empty() {
            api.require(ApiVersion::new(1, 25), "exec (environment)")?;
        }
        if self.workdir.is_some() {
            api.require(ApiVersion::new(1, 35), "exec (workdir)")?;
        }
        let body = ExecCreateBody {
            attach_stdin: self.stdin,
            attach_stdout: self.stdout,
            attach_stderr: self.stderr,
            tty: self.tty,
            privileged: self.privileged,
            user: self.user.as_deref().unwrap_or(""),
            cmd: &self.cmd,
            env: (!self.env.is_empty()).then_some(self.env.as_slice()),
            working_dir: self.workdir.as_deref(),
            detach_keys: self.detach_keys.as_deref(),
        };
        RequestHead::versioned(
            Method::POST,
            api,
            &format!("/containers/{id}/exec"),
            Query::new(),
            ResponseKind::Json,
        )
        .json_body(&body)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

impl ExecCreate {
    /// `line` split like a POSIX shell (docker-py accepts the command as a string):
    /// `sh -c 'echo "a b"'` → `["sh", "-c", "echo \"a b\""]`.
    ///
    /// ```
    /// use berth_core::api::exec::ExecCreate;
    /// let e = ExecCreate::from_line("web", "sh -c 'echo hi'").unwrap();
    /// assert_eq!(e.cmd, ["sh", "-c", "echo hi"]);
    /// ```
    pub fn from_line(container: impl Into<String>, line: &str) -> Result<ExecCreate> {
        Ok(ExecCreate::new(
            container,
            crate::options::shell_split(line)?,
        ))
    }
}

/// `KEY=value` strings from a map (docker-py's `environment` dict).
pub fn env_list(env: &BTreeMap<String, String>) -> Vec<String> {
    env.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExecStartBody {
    detach: bool,
    tty: bool,
}

/// `POST /exec/{id}/start` attached: upgrades the connection (stdin ⇄ output).
#[derive(Debug, Clone)]
pub struct ExecStart {
    /// Exec id.
    pub id: String,
    /// Must equal the `tty` the exec was created with, or output is misread.
    pub tty: bool,
}

impl UpgradeEndpoint for ExecStart {
    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let id = quote_id("exec", &self.id)?;
        RequestHead::versioned(
            Method::POST,
            api,
            &format!("/exec/{id}/start"),
            Query::new(),
            ResponseKind::Upgrade,
        )
        .json_body(&ExecStartBody {
            detach: false,
            tty: self.tty,
        })
    }

    fn decoder(&self, _headers: &Headers) -> OutputDecoder {
        // The exec's own TTY flag decides: API < 1.42 daemons label every upgraded
        // stream `raw-stream`, and newer ones agree with the flag.
        OutputDecoder::for_response(None, self.tty)
    }
}

/// `POST /exec/{id}/start` detached: starts and returns at once (no upgrade).
#[derive(Debug, Clone)]
pub struct ExecStartDetached {
    /// Exec id.
    pub id: String,
    /// The `tty` the exec was created with.
    pub tty: bool,
}

impl Endpoint for ExecStartDetached {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let id = quote_id("exec", &self.id)?;
        RequestHead::versioned(
            Method::POST,
            api,
            &format!("/exec/{id}/start"),
            Query::new(),
            ResponseKind::Empty,
        )
        .json_body(&ExecStartBody {
            detach: true,
            tty: self.tty,
        })
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `GET /exec/{id}/json`: state and exit code (`null` while running).
#[derive(Debug, Clone)]
pub struct ExecInspect {
    /// Exec id.
    pub id: String,
}

impl Endpoint for ExecInspect {
    type Output = Typed<ExecInspectResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let id = quote_id("exec", &self.id)?;
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &format!("/exec/{id}/json"),
            Query::new(),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `POST /exec/{id}/resize`: the TTY size of an exec.
#[derive(Debug, Clone)]
pub struct ExecResize {
    /// Exec id.
    pub id: String,
    /// Rows.
    pub height: u32,
    /// Columns.
    pub width: u32,
}

impl Endpoint for ExecResize {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let id = quote_id("exec", &self.id)?;
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            &format!("/exec/{id}/resize"),
            Query::new()
                .push("h", &self.height.to_string())
                .push("w", &self.width.to_string()),
            ResponseKind::Empty,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V41: ApiVersion = ApiVersion::new(1, 41);

    fn body_json(h: &RequestHead) -> serde_json::Value {
        match &h.body {
            crate::request::RequestBody::Json(b) => serde_json::from_slice(b).expect("json"),
            other => panic!("expected a JSON body, got {other:?}"),
        }
    }

    #[test]
    fn create_body_matches_docker_py() {
        let mut e = ExecCreate::new("web", ["sh", "-c", "echo $X"]);
        e.env = vec!["X=1".into()];
        e.workdir = Some("/tmp".into());
        e.stdin = true;
        let h = e.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/containers/web/exec");
        assert_eq!(
            body_json(&h),
            serde_json::json!({
                "AttachStdin": true, "AttachStdout": true, "AttachStderr": true,
                "Tty": false, "Privileged": false, "User": "",
                "Cmd": ["sh", "-c", "echo $X"], "Env": ["X=1"], "WorkingDir": "/tmp"
            })
        );
        let e2 = ExecCreate::new("web", ["true"]);
        let v = body_json(&e2.request(V41).expect("req"));
        assert!(v.get("Env").is_none() && v.get("WorkingDir").is_none());
    }

    #[test]
    fn create_gates_and_rejects() {
        let mut e = ExecCreate::new("web", ["true"]);
        e.workdir = Some("/".into());
        assert!(matches!(
            e.request(ApiVersion::new(1, 30)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        let empty: [&str; 0] = [];
        assert!(ExecCreate::new("web", empty).request(V41).is_err());
        assert!(ExecCreate::new("", ["true"]).request(V41).is_err());
    }

    #[test]
    fn start_bodies() {
        let s = ExecStart {
            id: "abc".into(),
            tty: true,
        };
        let h = s.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/exec/abc/start");
        assert_eq!(h.response, ResponseKind::Upgrade);
        assert_eq!(
            body_json(&h),
            serde_json::json!({"Detach": false, "Tty": true})
        );
        assert!(!s.decoder(&Headers::new()).is_multiplexed());
        let d = ExecStartDetached {
            id: "abc".into(),
            tty: false,
        };
        assert_eq!(
            body_json(&d.request(V41).expect("req")),
            serde_json::json!({"Detach": true, "Tty": false})
        );
        let r = ExecResize {
            id: "abc".into(),
            height: 40,
            width: 120,
        };
        assert_eq!(
            r.request(V41).expect("req").path,
            "/v1.41/exec/abc/resize?h=40&w=120"
        );
    }

    #[test]
    fn env_list_formats_pairs() {
        let mut m = BTreeMap::new();
        m.insert("A".to_owned(), "x=y".to_owned());
        assert_eq!(env_list(&m), vec!["A=x=y".to_owned()]);
    }
}
