//! The lifecycle of one container: start, stop, restart, kill, pause, unpause, wait,
//! remove.

use std::fmt;
use std::str::FromStr;

use http::Method;

use super::on;
use crate::endpoint::{Endpoint, Response};
use crate::error::{Error, Result};
use crate::model::Typed;
use crate::models::ContainerWaitResponse;
use crate::request::{Query, RequestHead, ResponseKind};
use crate::version::ApiVersion;

/// 2xx → the state changed (`true`); 304 → it already was in that state (`false`):
/// start on a running container and stop on a stopped one are success (edge cases
/// 91, 92).
fn state_change(r: Response<'_>) -> Result<bool> {
    if r.status == 304 {
        return Ok(false);
    }
    r.success()?;
    Ok(true)
}

/// A signal for `kill` (and `stop`/`restart` on API ≥ 1.42): a name sent verbatim
/// (`SIGHUP` or `HUP`) or a number sent in decimal.
///
/// ```
/// use berth_core::api::containers::Signal;
/// assert_eq!(Signal::from("SIGHUP").to_string(), "SIGHUP");
/// assert_eq!(Signal::from(9).to_string(), "9");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Signal {
    /// A signal name, `SIGKILL` or `KILL`.
    Name(String),
    /// A signal number, `9`.
    Number(i32),
}

impl Signal {
    /// `SIGKILL`.
    pub fn kill() -> Signal {
        Signal::Name("SIGKILL".into())
    }

    fn checked(&self, what: &str) -> Result<String> {
        match self {
            Signal::Name(n) if n.trim().is_empty() => Err(Error::InvalidArgument(format!(
                "{what}: the signal name is empty; use e.g. \"SIGTERM\" or a number"
            ))),
            Signal::Number(n) if *n < 0 => Err(Error::InvalidArgument(format!(
                "{what}: signal number {n} is negative"
            ))),
            s => Ok(s.to_string()),
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signal::Name(n) => f.write_str(n),
            Signal::Number(n) => write!(f, "{n}"),
        }
    }
}

impl From<&str> for Signal {
    fn from(name: &str) -> Signal {
        Signal::Name(name.to_owned())
    }
}

impl From<String> for Signal {
    fn from(name: String) -> Signal {
        Signal::Name(name)
    }
}

impl From<i32> for Signal {
    fn from(number: i32) -> Signal {
        Signal::Number(number)
    }
}

/// `POST /containers/{id}/start`. Output: `true` when started, `false` when it was
/// already running (304).
#[derive(Debug, Clone, Default)]
pub struct ContainerStart {
    /// Id or name.
    pub id: String,
}

impl Endpoint for ContainerStart {
    type Output = bool;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        on(
            Method::POST,
            api,
            &self.id,
            "/start",
            Query::new(),
            ResponseKind::Empty,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<bool> {
        state_change(r)
    }
}

/// `POST /containers/{id}/stop?t=`. Output: `true` when stopped, `false` when it was
/// already stopped (304).
///
/// The call lasts up to `timeout` seconds (the container's `StopTimeout`, default 10,
/// when `None`): the host must extend its read timeout by that much (edge case 27).
#[derive(Debug, Clone, Default)]
pub struct ContainerStop {
    /// Id or name.
    pub id: String,
    /// Seconds to wait after the stop signal before killing; `None` = not sent (the
    /// container's `StopTimeout`).
    pub timeout: Option<u32>,
    /// Signal to stop with instead of the container's `StopSignal`; needs API 1.42.
    pub signal: Option<Signal>,
}

impl Endpoint for ContainerStop {
    type Output = bool;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let q = stop_query(api, self.timeout, self.signal.as_ref(), "container stop")?;
        on(Method::POST, api, &self.id, "/stop", q, ResponseKind::Empty)
    }

    fn parse(&self, r: Response<'_>) -> Result<bool> {
        state_change(r)
    }
}

fn stop_query(
    api: ApiVersion,
    timeout: Option<u32>,
    signal: Option<&Signal>,
    what: &str,
) -> Result<Query> {
    let mut q = Query::new().opt("t", timeout);
    if let Some(s) = signal {
        api.require(ApiVersion::new(1, 42), &format!("{what} (signal)"))?;
        q = q.push("signal", &s.checked(what)?);
    }
    Ok(q)
}

/// `POST /containers/{id}/restart?t=`: stop (with the grace period) then start.
#[derive(Debug, Clone, Default)]
pub struct ContainerRestart {
    /// Id or name.
    pub id: String,
    /// Seconds to wait before killing; `None` = not sent (the container's
    /// `StopTimeout`). docker-py sends 10.
    pub timeout: Option<u32>,
    /// Signal to stop with; needs API 1.42.
    pub signal: Option<Signal>,
}

impl Endpoint for ContainerRestart {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let q = stop_query(api, self.timeout, self.signal.as_ref(), "container restart")?;
        on(
            Method::POST,
            api,
            &self.id,
            "/restart",
            q,
            ResponseKind::Empty,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /containers/{id}/kill?signal=`: sends a signal (default `SIGKILL`). A
/// container that is not running is [`Error::Conflict`].
#[derive(Debug, Clone, Default)]
pub struct ContainerKill {
    /// Id or name.
    pub id: String,
    /// The signal; `None` = the daemon's default (`SIGKILL`).
    pub signal: Option<Signal>,
}

impl Endpoint for ContainerKill {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let signal = self
            .signal
            .as_ref()
            .map(|s| s.checked("container kill"))
            .transpose()?;
        let q = Query::new().opt("signal", signal);
        on(Method::POST, api, &self.id, "/kill", q, ResponseKind::Empty)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /containers/{id}/pause`: freezes every process (cgroup freezer).
#[derive(Debug, Clone, Default)]
pub struct ContainerPause {
    /// Id or name.
    pub id: String,
}

impl Endpoint for ContainerPause {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        on(
            Method::POST,
            api,
            &self.id,
            "/pause",
            Query::new(),
            ResponseKind::Empty,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /containers/{id}/unpause`.
#[derive(Debug, Clone, Default)]
pub struct ContainerUnpause {
    /// Id or name.
    pub id: String,
}

impl Endpoint for ContainerUnpause {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        on(
            Method::POST,
            api,
            &self.id,
            "/unpause",
            Query::new(),
            ResponseKind::Empty,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// What [`ContainerWait`] waits for (API ≥ 1.30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitCondition {
    /// `not-running`: returns at once for a container that is not running.
    NotRunning,
    /// `next-exit`: the next time the container exits, even if it is not running now.
    NextExit,
    /// `removed`: the container is removed (request it before the removal happens,
    /// edge case 97).
    Removed,
}

impl WaitCondition {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitCondition::NotRunning => "not-running",
            WaitCondition::NextExit => "next-exit",
            WaitCondition::Removed => "removed",
        }
    }
}

impl fmt::Display for WaitCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WaitCondition {
    type Err = Error;

    fn from_str(s: &str) -> Result<WaitCondition> {
        match s {
            "not-running" => Ok(WaitCondition::NotRunning),
            "next-exit" => Ok(WaitCondition::NextExit),
            "removed" => Ok(WaitCondition::Removed),
            _ => Err(Error::InvalidArgument(format!(
                "wait condition {s:?} is not one of not-running, next-exit, removed"
            ))),
        }
    }
}

/// `POST /containers/{id}/wait?condition=`: blocks until the condition holds, then
/// answers `{StatusCode, Error}` (`Error` may be `null` or absent, edge case 96).
///
/// Since API 1.30 the response head arrives at once and the body only when the
/// condition holds: the host must not apply a read timeout unless the caller asks
/// (edge case 28).
#[derive(Debug, Clone, Default)]
pub struct ContainerWait {
    /// Id or name.
    pub id: String,
    /// What to wait for; `None` = the daemon's default (`not-running`). Needs 1.30.
    pub condition: Option<WaitCondition>,
}

impl Endpoint for ContainerWait {
    type Output = Typed<ContainerWaitResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if self.condition.is_some() {
            api.require(ApiVersion::new(1, 30), "container wait (condition)")?;
        }
        let q = Query::new().opt("condition", self.condition);
        on(Method::POST, api, &self.id, "/wait", q, ResponseKind::Json)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `DELETE /containers/{id}?v=&link=&force=`. A running container without `force`
/// is [`Error::Conflict`]; an unknown one [`Error::NotFound`]. Only flags that are
/// set are sent.
#[derive(Debug, Clone, Default)]
pub struct ContainerRemove {
    /// Id or name.
    pub id: String,
    /// Also remove the container's anonymous volumes (`v`).
    pub volumes: bool,
    /// Remove the link named `id` instead of a container (legacy links).
    pub link: bool,
    /// Kill a running container first.
    pub force: bool,
}

impl Endpoint for ContainerRemove {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new();
        for (key, set) in [
            ("v", self.volumes),
            ("link", self.link),
            ("force", self.force),
        ] {
            if set {
                q = q.flag01(key, true);
            }
        }
        on(Method::DELETE, api, &self.id, "", q, ResponseKind::Empty)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{V41, resp};
    use super::*;

    #[test]
    fn start_and_stop_treat_304_as_success_not_changed() {
        let s = ContainerStart { id: "c".into() };
        let h = s.request(V41).expect("req");
        assert_eq!(
            (h.method.as_str(), h.path.as_str()),
            ("POST", "/v1.41/containers/c/start")
        );
        assert!(s.parse(resp(204, b"")).expect("started"));
        assert!(!s.parse(resp(304, b"")).expect("already running"));
        let e = s
            .parse(resp(404, br#"{"message":"No such container: c"}"#))
            .expect_err("404");
        assert!(e.is_not_found());
        let stop = ContainerStop {
            id: "c".into(),
            ..ContainerStop::default()
        };
        assert!(stop.parse(resp(204, b"")).expect("stopped"));
        assert!(!stop.parse(resp(304, b"")).expect("already stopped"));
        assert!(matches!(
            stop.parse(resp(500, b"boom")),
            Err(Error::Server(_))
        ));
    }

    #[test]
    fn stop_and_restart_queries() {
        let path = |s: ContainerStop, api| s.request(api).map(|h| h.path);
        assert_eq!(
            path(
                ContainerStop {
                    id: "c".into(),
                    ..ContainerStop::default()
                },
                V41
            )
            .expect("req"),
            "/v1.41/containers/c/stop"
        );
        assert_eq!(
            path(
                ContainerStop {
                    id: "c".into(),
                    timeout: Some(0),
                    signal: None
                },
                V41
            )
            .expect("req"),
            "/v1.41/containers/c/stop?t=0"
        );
        let with_signal = ContainerStop {
            id: "c".into(),
            timeout: Some(3),
            signal: Some("SIGINT".into()),
        };
        assert!(matches!(
            path(with_signal.clone(), V41),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        assert_eq!(
            path(with_signal, ApiVersion::new(1, 42)).expect("req"),
            "/v1.42/containers/c/stop?t=3&signal=SIGINT"
        );
        let r = ContainerRestart {
            id: "c".into(),
            timeout: Some(10),
            signal: None,
        };
        assert_eq!(
            r.request(V41).expect("req").path,
            "/v1.41/containers/c/restart?t=10"
        );
        assert!(r.parse(resp(204, b"")).is_ok());
        assert!(ContainerRestart::default().request(V41).is_err());
    }

    #[test]
    fn kill_sends_names_verbatim_and_numbers_in_decimal() {
        let path = |signal: Option<Signal>| {
            ContainerKill {
                id: "c".into(),
                signal,
            }
            .request(V41)
            .map(|h| h.path)
        };
        assert_eq!(path(None).expect("req"), "/v1.41/containers/c/kill");
        assert_eq!(
            path(Some("SIGHUP".into())).expect("req"),
            "/v1.41/containers/c/kill?signal=SIGHUP"
        );
        assert_eq!(
            path(Some("HUP".into())).expect("req"),
            "/v1.41/containers/c/kill?signal=HUP"
        );
        assert_eq!(
            path(Some(9.into())).expect("req"),
            "/v1.41/containers/c/kill?signal=9"
        );
        assert_eq!(
            path(Some(Signal::kill())).expect("req"),
            "/v1.41/containers/c/kill?signal=SIGKILL"
        );
        assert!(matches!(
            path(Some("".into())),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            path(Some((-1).into())),
            Err(Error::InvalidArgument(_))
        ));
        let e = ContainerKill::default()
            .parse(resp(409, br#"{"message":"Container c is not running"}"#))
            .expect_err("409");
        assert!(matches!(e, Error::Conflict(_)));
    }

    #[test]
    fn pause_unpause_paths() {
        let p = ContainerPause { id: "c".into() };
        assert_eq!(
            p.request(V41).expect("req").path,
            "/v1.41/containers/c/pause"
        );
        assert!(p.parse(resp(204, b"")).is_ok());
        let u = ContainerUnpause { id: "c".into() };
        assert_eq!(
            u.request(V41).expect("req").path,
            "/v1.41/containers/c/unpause"
        );
        assert!(matches!(
            u.parse(resp(409, br#"{"message":"Container c is not paused"}"#)),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn wait_condition_gate_and_response_shapes() {
        let w = ContainerWait {
            id: "c".into(),
            condition: Some(WaitCondition::NextExit),
        };
        assert_eq!(
            w.request(V41).expect("req").path,
            "/v1.41/containers/c/wait?condition=next-exit"
        );
        assert!(matches!(
            w.request(ApiVersion::new(1, 29)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        let plain = ContainerWait {
            id: "c".into(),
            condition: None,
        };
        assert_eq!(
            plain.request(ApiVersion::new(1, 29)).expect("req").path,
            "/v1.29/containers/c/wait"
        );
        let r = w
            .parse(resp(200, br#"{"Error":null,"StatusCode":3}"#))
            .expect("wait");
        assert_eq!(r.status_code, 3);
        assert!(r.error.is_none());
        let r = w
            .parse(resp(200, br#"{"StatusCode":0}"#))
            .expect("old shape");
        assert_eq!(r.status_code, 0);
        let r = w
            .parse(resp(
                200,
                br#"{"Error":{"Message":"boom"},"StatusCode":-1}"#,
            ))
            .expect("error shape");
        assert_eq!(
            r.error.as_ref().and_then(|e| e.message.as_deref()),
            Some("boom")
        );
        for c in [
            WaitCondition::NotRunning,
            WaitCondition::NextExit,
            WaitCondition::Removed,
        ] {
            assert_eq!(c.as_str().parse::<WaitCondition>().expect("round trip"), c);
        }
        assert!("exited".parse::<WaitCondition>().is_err());
    }

    #[test]
    fn remove_sends_set_flags_only() {
        let r = ContainerRemove {
            id: "c".into(),
            ..ContainerRemove::default()
        };
        let h = r.request(V41).expect("req");
        assert_eq!(
            (h.method.as_str(), h.path.as_str()),
            ("DELETE", "/v1.41/containers/c")
        );
        let all = ContainerRemove {
            id: "c".into(),
            volumes: true,
            link: true,
            force: true,
        };
        assert_eq!(
            all.request(V41).expect("req").path,
            "/v1.41/containers/c?v=1&link=1&force=1"
        );
        let e = r
            .parse(resp(
                409,
                br#"{"message":"You cannot remove a running container"}"#,
            ))
            .expect_err("409");
        assert!(matches!(e, Error::Conflict(_)));
        assert!(
            r.parse(resp(404, br#"{"message":"No such container: c"}"#))
                .expect_err("404")
                .is_not_found()
        );
    }
}
