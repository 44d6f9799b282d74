//! Blocking container I/O, exec and run. See the async methods for details.

use berth_core::api::build::BuildOptions;
use berth_core::api::container_io::ContainerLogs;
use berth_core::api::exec::ExecCreate;
use berth_core::api::images::ImagePull;
use berth_core::options::ContainerOptions;
use berth_core::stream::OutputDecoder;

use super::containers::{Container, Containers};
use super::{Docker, Iter};
use crate::client::Output;
use crate::client::build::{BuildError, BuildResult};
use crate::client::container_io::ExecResult;
use crate::client::run::{RunOptions, RunOutcome};
use crate::error::Result;

/// The outcome of a blocking [`Containers::run`].
#[derive(Debug)]
pub enum BlockingRunOutcome {
    /// The started container.
    Detached(Box<Container>),
    /// The container ran to a zero exit status.
    Finished {
        /// Its id.
        container_id: String,
        /// Its exit status (0).
        exit_code: i64,
        /// Its output.
        output: Output,
    },
}

impl Docker {
    /// See [`crate::Docker::logs`]: iterate the frames.
    pub fn logs(&self, options: &ContainerLogs) -> Result<Iter<OutputDecoder>> {
        let stream = self.rt.block_on(self.inner.logs(options))?;
        Ok(Iter {
            stream,
            rt: self.rt.clone(),
        })
    }

    /// See [`crate::Docker::exec_run`].
    pub fn exec_run(&self, options: &ExecCreate) -> Result<ExecResult> {
        self.rt.block_on(self.inner.exec_run(options))
    }

    /// Builds the directory `dir` to the end (see [`crate::Docker::build_to_end`]); a
    /// failed build keeps its log in the error.
    pub fn build(
        &self,
        dir: impl AsRef<std::path::Path>,
        options: &BuildOptions,
    ) -> std::result::Result<BuildResult, Box<BuildError>> {
        self.rt
            .block_on(self.inner.build_to_end(dir, options))
            .map_err(Box::new)
    }

    /// See [`crate::Docker::pull_to_end`].
    pub fn pull(&self, options: &ImagePull) -> Result<()> {
        self.rt.block_on(self.inner.pull_to_end(options, |_| {}))
    }
}

impl Containers {
    /// See [`crate::Containers::create`].
    pub fn create(&self, options: &ContainerOptions) -> Result<Container> {
        let c = self.rt.block_on(self.inner.create(options))?;
        Ok(self.wrap(c))
    }

    /// See [`crate::Containers::run`].
    pub fn run(&self, options: &ContainerOptions, run: &RunOptions) -> Result<BlockingRunOutcome> {
        Ok(match self.rt.block_on(self.inner.run(options, run))? {
            RunOutcome::Detached(c) => BlockingRunOutcome::Detached(Box::new(self.wrap(*c))),
            RunOutcome::Finished {
                container_id,
                exit_code,
                output,
            } => BlockingRunOutcome::Finished {
                container_id,
                exit_code,
                output,
            },
        })
    }
}

impl Container {
    /// All of the container's logs so far (stdout and stderr).
    pub fn logs(&self) -> Result<Output> {
        self.rt
            .block_on(async { Output::collect(self.inner.logs(|_| {}).await?).await })
    }

    /// See [`crate::Container::exec_run`].
    pub fn exec_run<I, S>(&self, cmd: I) -> Result<ExecResult>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rt.block_on(self.inner.exec_run(cmd))
    }
}
