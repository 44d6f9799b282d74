//! The rules of each operation.

use serde_json::Value;

use super::super::ObjectKind;
use super::super::images::ImageRef;
use super::super::json::field;
use super::super::path::truncate;
use super::{Ctx, R, arr, bool_field, deny, obj, str_field, str_list};

/// Applies the rules of `ctx.op`.
pub(crate) fn apply(ctx: &mut Ctx<'_>) -> R {
    match ctx.op {
        "containers.list" | "containers.prune" | "networks.list" | "networks.prune"
        | "volumes.list" | "volumes.prune" | "services.list" | "tasks.list" | "secrets.list"
        | "configs.list" | "system.events" => ctx.label_filter(),
        "containers.create" => {
            let body = ctx.body()?.clone();
            obj(&body, "the create body")?;
            match str_field(&body, "Image", "the create body")? {
                Some(i) => ctx.image(i, "the container image")?,
                None => {
                    return Err(deny(
                        "image-not-allowed",
                        "the create body has no Image".to_owned(),
                    ));
                }
            }
            ctx.require_labels(field(&body, "Labels"), "the container's Labels")?;
            // The daemon still reads host-config fields at the top level of the body.
            ctx.host_config(&body, "the create body")?;
            if let Some(hc) = field(&body, "HostConfig") {
                ctx.host_config(hc, "HostConfig")?;
            }
            ctx.endpoints(&body)
        }
        "containers.update" => {
            let body = ctx.body()?.clone();
            ctx.host_config(&body, "the update body")
        }
        "exec.create" => {
            let body = ctx.body()?.clone();
            obj(&body, "the exec body")?;
            if bool_field(&body, "Privileged", "the exec body")? == Some(true) {
                return Err(deny(
                    "privileged",
                    "the exec body's Privileged is true".to_owned(),
                ));
            }
            Ok(())
        }
        "containers.commit" => {
            match ctx.target.get("container") {
                Some(c) if !c.is_empty() => {
                    let c = c.to_owned();
                    ctx.refer(ObjectKind::Container, &c);
                }
                _ => {
                    return Err(deny(
                        "unknown-endpoint",
                        "commit needs a container".to_owned(),
                    ));
                }
            }
            if let Some(repo) = ctx.target.get("repo").filter(|r| !r.is_empty()) {
                let r = ImageRef::parse(repo)
                    .and_then(|r| r.with_tag_param(ctx.target.get("tag").unwrap_or("")))
                    .map_err(|e| deny("image-not-allowed", e))?;
                ctx.image_ref(&r, repo, "the commit's repo")?;
            }
            if let Some(b) = &ctx.body {
                obj(b, "the commit body")?;
            }
            Ok(())
        }
        "images.pull" => {
            let from = ctx.target.get("fromImage").unwrap_or("");
            if from.is_empty() {
                return Err(deny(
                    "image-not-allowed",
                    "images/create has neither fromImage nor fromSrc".to_owned(),
                ));
            }
            if ctx.target.get("fromSrc").is_some() {
                return Err(deny(
                    "ambiguous-query",
                    "images/create has both fromImage and fromSrc".to_owned(),
                ));
            }
            let r = ImageRef::parse(from)
                .and_then(|r| r.with_tag_param(ctx.target.get("tag").unwrap_or("")))
                .map_err(|e| deny("image-not-allowed", e))?;
            ctx.image_ref(&r, from, "the pulled image")
        }
        "images.import" => {
            let src = ctx.target.get("fromSrc").unwrap_or("");
            if src != "-" && !ctx.grant.remote() {
                return Err(deny(
                    "remote",
                    format!(
                        "importing from the URL {:?} makes the daemon fetch it; the grant does not allow remote",
                        truncate(src)
                    ),
                ));
            }
            if let Some(repo) = ctx.target.get("repo").filter(|r| !r.is_empty()) {
                let r = ImageRef::parse(repo)
                    .and_then(|r| r.with_tag_param(ctx.target.get("tag").unwrap_or("")))
                    .map_err(|e| deny("image-not-allowed", e))?;
                ctx.image_ref(&r, repo, "the imported image")?;
            }
            Ok(())
        }
        "images.push" | "images.remove" | "distribution.inspect" => {
            let name = ctx.object.clone().unwrap_or_default();
            let tag = if ctx.op == "images.push" {
                ctx.target.get("tag").unwrap_or("")
            } else {
                ""
            };
            let r = ImageRef::parse(&name)
                .and_then(|r| r.with_tag_param(tag))
                .map_err(|e| deny("image-not-allowed", e))?;
            ctx.image_ref(&r, &name, "the image")
        }
        "images.tag" => {
            let name = ctx.object.clone().unwrap_or_default();
            ctx.image(&name, "the source image")?;
            let repo = ctx.target.get("repo").unwrap_or("");
            let r = ImageRef::parse(repo)
                .and_then(|r| r.with_tag_param(ctx.target.get("tag").unwrap_or("")))
                .map_err(|e| deny("image-not-allowed", e))?;
            ctx.image_ref(&r, repo, "the new tag")
        }
        "images.load" | "plugins.create" => {
            if ctx.grant.allows_any_image() {
                Ok(())
            } else {
                Err(deny(
                    "image-load",
                    format!(
                        "{} takes an archive whose image names cannot be checked; it needs images = [\"*\"]",
                        ctx.op
                    ),
                ))
            }
        }
        "images.build" => {
            let tags: Vec<String> = ctx.target.all("t").map(str::to_owned).collect();
            for t in &tags {
                ctx.image(t, "the build tag")?;
            }
            if ctx.target.get("remote").is_some_and(|r| !r.is_empty()) && !ctx.grant.remote() {
                return Err(deny(
                    "remote",
                    "build remote= makes the daemon fetch a URL; the grant does not allow remote"
                        .to_owned(),
                ));
            }
            let nm = ctx
                .target
                .get("networkmode")
                .unwrap_or("")
                .to_ascii_lowercase();
            if nm == "host" {
                return Err(deny("host-network", "build networkmode is host".to_owned()));
            }
            if !matches!(nm.as_str(), "" | "default" | "bridge" | "none") {
                return Err(deny(
                    "build-network",
                    format!("build networkmode {nm:?} is not allowed"),
                ));
            }
            if ctx
                .target
                .get("cgroupparent")
                .is_some_and(|c| !c.is_empty())
            {
                return Err(deny(
                    "cgroup-parent",
                    "build cgroupparent is set".to_owned(),
                ));
            }
            if ctx.target.get("version").is_some_and(|v| v != "1")
                || ctx.target.get("session").is_some()
            {
                return Err(deny(
                    "buildkit",
                    "BuildKit builds (version=2, session) are not allowed: their entitlements are not checked".to_owned(),
                ));
            }
            Ok(())
        }
        "networks.create" => {
            let body = ctx.body()?.clone();
            obj(&body, "the network body")?;
            ctx.require_labels(field(&body, "Labels"), "the network's Labels")?;
            match str_field(&body, "Driver", "the network body")? {
                None | Some("" | "bridge" | "overlay") => {}
                Some(d) => {
                    return Err(deny(
                        "network-driver",
                        format!(
                            "network driver {:?} is not allowed (only bridge and overlay)",
                            truncate(d)
                        ),
                    ));
                }
            }
            if bool_field(&body, "Ingress", "the network body")? == Some(true) {
                return Err(deny(
                    "network-driver",
                    "creating an ingress network is not allowed".to_owned(),
                ));
            }
            if let Some(cf) = field(&body, "ConfigFrom")
                && let Some(n) = str_field(cf, "Network", "ConfigFrom")?
            {
                ctx.refer(ObjectKind::Network, n);
            }
            Ok(())
        }
        "networks.connect" | "networks.disconnect" => {
            let body = ctx.body()?.clone();
            match str_field(&body, "Container", "the body")? {
                Some(c) if !c.is_empty() => {
                    ctx.refer(ObjectKind::Container, c);
                    Ok(())
                }
                _ => Err(deny("json-type", "the body has no Container".to_owned())),
            }
        }
        "volumes.create" => {
            let body = ctx.body()?.clone();
            obj(&body, "the volume body")?;
            ctx.require_labels(field(&body, "Labels"), "the volume's Labels")?;
            ctx.volume_driver(
                str_field(&body, "Driver", "the volume body")?,
                "the volume Driver",
            )?;
            ctx.driver_opts(field(&body, "DriverOpts"), "DriverOpts")
        }
        "services.create" | "services.update" => {
            let body = ctx.body()?.clone();
            ctx.service_spec(&body)
        }
        "secrets.create" | "configs.create" | "secrets.update" | "configs.update" => {
            let body = ctx.body()?.clone();
            obj(&body, "the spec")?;
            ctx.require_labels(field(&body, "Labels"), "the spec's Labels")?;
            if let Some(d) = field(&body, "Driver")
                && str_field(d, "Name", "Driver")?.is_some_and(|n| !n.is_empty())
            {
                return Err(deny(
                    "secret-driver",
                    "external secret drivers are not allowed".to_owned(),
                ));
            }
            Ok(())
        }
        "plugins.pull" | "plugins.upgrade" => {
            let remote = ctx.target.get("remote").unwrap_or("").to_owned();
            ctx.image(&remote, "the plugin")?;
            let body = ctx.body()?.clone();
            let privs = arr(&body, "the plugin privileges")?;
            if let Some(p) = privs.first() {
                let name = field(p, "Name").and_then(Value::as_str).unwrap_or("?");
                return Err(deny(
                    "plugin-privileges",
                    format!(
                        "the plugin asks for privileges ({name}, …); plugins with privileges run outside the sandbox"
                    ),
                ));
            }
            Ok(())
        }
        "plugins.push" => {
            let name = ctx.object.clone().unwrap_or_default();
            ctx.image(&name, "the plugin")
        }
        "plugins.set" => {
            let body = ctx.body()?.clone();
            for s in str_list(Some(&body), "the plugin settings")? {
                let key = s.split('=').next().unwrap_or("");
                if key.contains('.') {
                    return Err(deny(
                        "plugin-set",
                        format!(
                            "plugin setting {:?} changes a mount or device source",
                            truncate(key)
                        ),
                    ));
                }
            }
            Ok(())
        }
        _ => {
            // Every other operation: the operation allowlist and the object's labels
            // (looked up by the caller) are the whole rule; a JSON body, if any, has
            // already been checked for ambiguity.
            Ok(())
        }
    }
}
