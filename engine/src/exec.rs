//! `exec`.

use berth_core::api::exec::{ExecCreate, ExecResize};
use berth_guest::Output;
use serde_json::Value;

use crate::bindings::exports::berth::engine::common;
use crate::bindings::exports::berth::engine::exec::{ExecInfo, ExecOutput, ExecSpec, Guest};
use crate::streams::session;
use crate::{Engine, R, docker, err, flag, int, text};

fn create_options(container: String, spec: ExecSpec) -> ExecCreate {
    ExecCreate {
        container,
        cmd: spec.cmd,
        env: spec.env,
        workdir: spec.working_dir,
        user: spec.user,
        privileged: spec.privileged,
        tty: spec.tty,
        stdin: spec.attach_stdin,
        stdout: spec.attach_stdout,
        stderr: spec.attach_stderr,
        detach_keys: None,
    }
}

/// The exec's TTY flag, from its inspect answer.
fn tty_of(id: &str) -> R<bool> {
    let i = docker().exec().inspect(id).map_err(err)?;
    Ok(i.attrs
        .get("ProcessConfig")
        .and_then(|p| p.get("tty"))
        .and_then(Value::as_bool)
        .unwrap_or(false))
}

impl Guest for Engine {
    fn create(container: String, spec: ExecSpec) -> R<String> {
        docker()
            .exec()
            .create(&create_options(container, spec))
            .map_err(err)
    }

    fn start(id: String) -> R<common::Session> {
        let tty = tty_of(&id)?;
        Ok(session(docker().exec().start(&id, tty).map_err(err)?))
    }

    fn start_detached(id: String) -> R<()> {
        let tty = tty_of(&id)?;
        docker().exec().start_detached(&id, tty).map_err(err)
    }

    fn inspect(id: String) -> R<ExecInfo> {
        let i = docker().exec().inspect(&id).map_err(err)?;
        let a = i.attrs.value();
        Ok(ExecInfo {
            id: text(a, "ID"),
            container_id: text(a, "ContainerID"),
            running: flag(a, "Running"),
            exit_code: a.get("ExitCode").and_then(Value::as_i64),
            pid: int(a, "Pid"),
            attrs: a.to_string(),
        })
    }

    fn resize(id: String, height: u32, width: u32) -> R<()> {
        docker()
            .execute(&ExecResize { id, height, width })
            .map_err(err)
    }

    fn run(container: String, spec: ExecSpec) -> R<ExecOutput> {
        let out = docker()
            .exec()
            .run(&create_options(container, spec))
            .map_err(err)?;
        let Output { stdout, stderr, .. } = out.output;
        Ok(ExecOutput {
            exit_code: out.exit_code,
            stdout,
            stderr,
        })
    }
}
