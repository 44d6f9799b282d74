//! The containers (and images) the benchmark needs, labelled `berth.test=1` and removed
//! at the end: on return, on error (drop), on panic (unwinding drop) and on ctrl-c (a
//! signal thread).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use berth::models::{ContainerCreateBody, HostConfig, HostConfigLogConfig};

use crate::Result;
use crate::raw::RawClient;

/// The only image the benchmark uses.
pub const IMAGE: &str = "busybox:berth-test";
/// The label on everything the benchmark creates.
pub const LABEL: (&str, &str) = ("berth.test", "1");

/// Names of the containers created so far; they are force-removed (with their
/// anonymous volumes) when this is dropped or the process gets ctrl-c, SIGTERM or SIGHUP.
#[derive(Debug)]
pub struct Cleanup(Tracked);

#[derive(Debug, Clone)]
struct Tracked {
    socket: PathBuf,
    api: String,
    names: Arc<Mutex<Vec<String>>>,
    /// Image references (`repo:tag`), force-removed after the containers.
    images: Arc<Mutex<Vec<String>>>,
}

impl Cleanup {
    /// Starts tracking, and installs a handler for ctrl-c, SIGTERM and SIGHUP that
    /// removes what is tracked, then exits with the shell's status for the signal.
    pub fn new(socket: &Path, api: &str) -> Cleanup {
        let tracked = Tracked {
            socket: socket.to_path_buf(),
            api: api.to_string(),
            names: Arc::default(),
            images: Arc::default(),
        };
        let on_signal = tracked.clone();
        let spawned = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || on_signal.wait_for_signal());
        if let Err(e) = spawned {
            eprintln!("berth-bench: no signal handler ({e}); containers survive an interrupt");
        }
        Cleanup(tracked)
    }

    /// Records `name` before it is created, so an interrupt during the create removes it.
    pub fn track(&self, name: &str) {
        self.0
            .names
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(name.to_string());
    }

    /// Records the image reference `name` (`repo:tag`) before it is created.
    pub fn track_image(&self, name: &str) {
        let mut images = self.0.images.lock().unwrap_or_else(PoisonError::into_inner);
        if !images.iter().any(|n| n == name) {
            images.push(name.to_string());
        }
    }

    /// Force-removes every tracked container now (missing ones are fine).
    pub fn remove_all(&self) {
        self.0.remove_all();
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.0.remove_all();
    }
}

/// Waits for ctrl-c, SIGTERM or SIGHUP (a `kill`, a `timeout`, a closed terminal): the
/// signal's name and the exit status a shell reports for it (128 + its number); `None`
/// when no handler could be installed.
async fn first_signal() -> Option<(&'static str, i32)> {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut hup) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) {
        (Ok(t), Ok(h)) => (t, h),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("berth-bench: no SIGTERM/SIGHUP handler ({e}); ctrl-c only");
            return tokio::signal::ctrl_c()
                .await
                .ok()
                .map(|()| ("interrupted", 130));
        }
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.ok().map(|()| ("interrupted", 130)),
        _ = term.recv() => Some(("terminated (SIGTERM)", 143)),
        _ = hup.recv() => Some(("hung up (SIGHUP)", 129)),
    }
}

impl Tracked {
    fn wait_for_signal(self) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("berth-bench: no signal handler ({e})");
                return;
            }
        };
        let Some((signal, status)) = rt.block_on(first_signal()) else {
            return;
        };
        eprintln!("\nberth-bench: {signal}, removing the benchmark's containers");
        self.remove_all();
        // Skip the main thread's destructors: they would try the same removals.
        std::process::exit(status);
    }

    fn remove_all(&self) {
        let names: Vec<String> =
            std::mem::take(&mut *self.names.lock().unwrap_or_else(PoisonError::into_inner));
        let images: Vec<String> =
            std::mem::take(&mut *self.images.lock().unwrap_or_else(PoisonError::into_inner));
        if names.is_empty() && images.is_empty() {
            return;
        }
        let mut raw = match RawClient::connect(&self.socket) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("berth-bench: cleanup: cannot connect ({e}); left: {names:?} {images:?}");
                return;
            }
        };
        for name in names {
            let req = format!(
                "DELETE /v{}/containers/{name}?force=1&v=1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
                self.api
            );
            match raw.send(req.as_bytes()) {
                Ok((204 | 404, _)) => {}
                Ok((status, body)) => eprintln!(
                    "berth-bench: cleanup: removing {name}: HTTP {status}: {}",
                    String::from_utf8_lossy(body).trim()
                ),
                Err(e) => eprintln!("berth-bench: cleanup: removing {name}: {e}"),
            }
        }
        for image in images {
            let req = format!(
                "DELETE /v{}/images/{image}?force=1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
                self.api
            );
            match raw.send(req.as_bytes()) {
                Ok((200 | 404, _)) => {}
                Ok((status, body)) => eprintln!(
                    "berth-bench: cleanup: removing image {image}: HTTP {status}: {}",
                    String::from_utf8_lossy(body).trim()
                ),
                Err(e) => eprintln!("berth-bench: cleanup: removing image {image}: {e}"),
            }
        }
    }
}

/// A labelled container running `cmd` without network, started; returns its id.
pub async fn run_container(
    docker: &berth::Docker,
    cleanup: &Cleanup,
    name: &str,
    cmd: &[&str],
) -> Result<String> {
    run_container_with(docker, cleanup, name, cmd, None).await
}

/// [`run_container`] with the given logging driver (`None`: the daemon's default).
async fn run_container_with(
    docker: &berth::Docker,
    cleanup: &Cleanup,
    name: &str,
    cmd: &[&str],
    log_config: Option<HostConfigLogConfig>,
) -> Result<String> {
    cleanup.track(name);
    let labels = HashMap::from([(LABEL.0.to_string(), LABEL.1.to_string())]);
    let body = ContainerCreateBody {
        image: Some(IMAGE.into()),
        cmd: Some(cmd.iter().map(|s| (*s).to_string()).collect()),
        labels: Some(labels),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            log_config,
            ..Default::default()
        }),
        ..Default::default()
    };
    let c = docker
        .containers()
        .create_from_body(Some(name), None, body)
        .await
        .map_err(|e| format!("creating {name} from {IMAGE}: {e}"))?;
    c.start()
        .await
        .map_err(|e| format!("starting {name}: {e}"))?;
    Ok(c.id().to_string())
}

/// Runs `cmd` in a new labelled container to completion (at most `limit`); returns
/// its id. The container is left stopped (for export, for its logs). With `json_log`
/// its output is kept in a `json-file` log, whatever the daemon's default driver.
pub async fn run_to_exit(
    docker: &berth::Docker,
    cleanup: &Cleanup,
    name: &str,
    cmd: &[&str],
    limit: Duration,
    json_log: bool,
) -> Result<String> {
    let log = json_log.then(|| HostConfigLogConfig {
        typ: Some("json-file".into()),
        config: None,
    });
    let id = run_container_with(docker, cleanup, name, cmd, log).await?;
    let c = docker.containers().get(&id).await?;
    let exit = c
        .wait(None, Some(limit))
        .await
        .map_err(|e| format!("waiting for {name}: {e}"))?;
    if exit.status_code != 0 {
        return Err(format!("{name} ({cmd:?}) exited with {}", exit.status_code).into());
    }
    Ok(id)
}
