//! Exec: extra processes in running containers.

use berth_core::api::exec::{ExecCreate, ExecInspect, ExecStart, ExecStartDetached};
use berth_core::models::ExecInspectResponse;
use berth_core::{Error, Result, Typed};

use crate::client::{Docker, Output, Session};

impl Docker {
    /// Exec operations.
    pub fn exec(&self) -> Exec<'_> {
        Exec { docker: self }
    }
}

/// Exec operations.
#[derive(Debug, Clone, Copy)]
pub struct Exec<'a> {
    docker: &'a Docker,
}

/// What [`Exec::run`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit code.
    pub exit_code: i64,
    /// The output.
    pub output: Output,
}

impl Exec<'_> {
    /// `POST /containers/{id}/exec`: the new exec's id.
    pub fn create(&self, options: &ExecCreate) -> Result<String> {
        Ok(self.docker.execute(options)?.into_typed().id)
    }

    /// `POST /exec/{id}/start` (upgraded). `tty` must match the create.
    pub fn start(&self, id: &str, tty: bool) -> Result<Session> {
        self.docker.upgrade(&ExecStart {
            id: id.to_owned(),
            tty,
        })
    }

    /// `POST /exec/{id}/start`, detached.
    pub fn start_detached(&self, id: &str, tty: bool) -> Result<()> {
        self.docker.execute(&ExecStartDetached {
            id: id.to_owned(),
            tty,
        })
    }

    /// `GET /exec/{id}/json`.
    pub fn inspect(&self, id: &str) -> Result<Typed<ExecInspectResponse>> {
        self.docker.execute(&ExecInspect { id: id.to_owned() })
    }

    /// Creates, starts, reads all output (stdin is closed at once) and inspects for the
    /// exit code.
    pub fn run(&self, options: &ExecCreate) -> Result<ExecOutput> {
        let id = self.create(options)?;
        let session = self.start(&id, options.tty)?;
        if options.stdin {
            session.close_stdin()?;
        }
        let output = session.collect()?;
        let info = self.inspect(&id)?;
        let exit_code = info
            .exit_code
            .ok_or_else(|| Error::Decode(format!("exec {id} finished without an exit code")))?;
        Ok(ExecOutput { exit_code, output })
    }
}
