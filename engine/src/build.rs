//! `build`.

use berth_core::api::build::{BuildOptions as CoreBuild, ContainerLimits, ImageBuild};
use berth_guest::RawJson;

use crate::bindings::exports::berth::engine::build::{BuildOptions, Guest};
use crate::bindings::exports::berth::engine::common;
use crate::streams::progress_stream;
use crate::{Engine, R, err, filters, invalid, prune_report, raw};

impl Guest for Engine {
    fn build(context: Vec<u8>, options: BuildOptions) -> R<common::ProgressStream> {
        if context.is_empty() && options.remote.is_none() {
            return Err(invalid("build: give a context tar or a remote"));
        }
        let mut extra_hosts = Vec::new();
        for h in &options.extra_hosts {
            let (host, ip) = h
                .split_once(':')
                .ok_or_else(|| invalid(format!("build: extra host {h:?} is not host:ip")))?;
            extra_hosts.push((host.to_owned(), ip.to_owned()));
        }
        let core = CoreBuild {
            tags: options.tags,
            dockerfile: options.dockerfile,
            quiet: options.quiet,
            nocache: options.nocache,
            rm: options.rm,
            forcerm: options.forcerm,
            pull: options.pull,
            buildargs: options.build_args.into_iter().collect(),
            labels: options.labels.into_iter().collect(),
            target: options.target,
            network_mode: options.network_mode,
            extra_hosts,
            platform: options.platform,
            container_limits: ContainerLimits {
                memory: options.memory,
                ..ContainerLimits::default()
            },
            // A gzip context is passed through as is; the daemon detects it.
            ..CoreBuild::default()
        };
        let build = ImageBuild {
            options: core,
            remote: options.remote,
            registry_config: None,
        };
        let s = crate::docker()
            .upload_stream(&build, &context)
            .map_err(err)?;
        Ok(progress_stream(s))
    }

    fn prune_cache(all: bool, f: Vec<(String, Vec<String>)>) -> R<common::PruneReport> {
        let mut call = RawJson::new(http::Method::POST, "/build/prune", &[]).map_err(err)?;
        if all {
            call = call.query("all", "true");
        }
        let f = filters(f);
        if !f.is_empty() {
            call = call.query("filters", &f.to_json());
        }
        Ok(prune_report(&raw(call)?))
    }
}
