//! `images`.

use berth_core::api::images::{
    DeleteEntry, DistributionInspectOp, ImageList, ImageLoad, ImagePrune, ImagePull, ImagePush,
    ImageSave,
};
use berth_guest::RawJson;
use serde_json::Value;

use crate::bindings::exports::berth::engine::common::{self, AuthConfig};
use crate::bindings::exports::berth::engine::images::{
    Guest, ImageInfo, ImageSummary, PullOptions, RemovedImage,
};
use crate::streams::{byte_stream, progress_stream};
use crate::{
    Engine, R, docker, err, filters, int, json_of, labels, prune_report, raw, registry_auth, text,
    texts, value_of,
};

impl Guest for Engine {
    fn list_images(all: bool, f: Vec<(String, Vec<String>)>) -> R<Vec<ImageSummary>> {
        let list = ImageList {
            all,
            filters: filters(f),
            ..ImageList::default()
        };
        let items = docker().images().list(&list).map_err(err)?;
        Ok(items
            .into_iter()
            .map(|t| {
                let a = value_of(t);
                ImageSummary {
                    id: text(&a, "Id"),
                    parent_id: text(&a, "ParentId"),
                    repo_tags: texts(&a, "RepoTags"),
                    repo_digests: texts(&a, "RepoDigests"),
                    created: int(&a, "Created"),
                    size: int(&a, "Size"),
                    labels: labels(a.get("Labels").unwrap_or(&Value::Null)),
                    attrs: a.to_string(),
                }
            })
            .collect())
    }

    fn inspect(name: String) -> R<ImageInfo> {
        let i = docker().images().get(&name).map_err(err)?;
        let a = i.attrs.value();
        let labels = a
            .get("Config")
            .and_then(|c| c.get("Labels"))
            .map(labels)
            .unwrap_or_default();
        Ok(ImageInfo {
            id: text(a, "Id"),
            repo_tags: texts(a, "RepoTags"),
            repo_digests: texts(a, "RepoDigests"),
            created: text(a, "Created"),
            size: int(a, "Size"),
            architecture: text(a, "Architecture"),
            os: text(a, "Os"),
            labels,
            attrs: a.to_string(),
        })
    }

    fn pull(image: String, options: PullOptions) -> R<common::ProgressStream> {
        let pull = ImagePull {
            image,
            tag: options.tag,
            platform: options.platform,
            registry_auth: Some(registry_auth(options.auth)?),
            all_tags: options.all_tags,
        };
        let s = docker().images().pull(&pull).map_err(err)?;
        Ok(progress_stream(s))
    }

    fn push(
        image: String,
        tag: Option<String>,
        auth: Option<AuthConfig>,
    ) -> R<common::ProgressStream> {
        let push = ImagePush {
            image,
            tag,
            registry_auth: Some(registry_auth(auth)?),
        };
        let s = docker().images().push(&push).map_err(err)?;
        Ok(progress_stream(s))
    }

    fn tag(image: String, repo: String, tag: Option<String>) -> R<()> {
        docker()
            .images()
            .tag(&image, &repo, tag.as_deref())
            .map_err(err)
    }

    fn remove(image: String, force: bool, noprune: bool) -> R<Vec<RemovedImage>> {
        let entries = docker()
            .images()
            .remove(&image, force, noprune)
            .map_err(err)?;
        Ok(entries
            .into_iter()
            .map(|e| match e {
                DeleteEntry::Untagged(s) => RemovedImage {
                    untagged: Some(s),
                    deleted: None,
                },
                DeleteEntry::Deleted(s) => RemovedImage {
                    untagged: None,
                    deleted: Some(s),
                },
            })
            .collect())
    }

    fn history(image: String) -> R<String> {
        Ok(raw(RawJson::get("/images/{}/history", &[&image]).map_err(err)?)?.to_string())
    }

    fn search(term: String, limit: Option<u32>) -> R<String> {
        let mut call = RawJson::get("/images/search", &[])
            .map_err(err)?
            .query("term", &term);
        if let Some(l) = limit {
            call = call.query("limit", &l.to_string());
        }
        Ok(raw(call)?.to_string())
    }

    fn distribution_inspect(image: String, auth: Option<AuthConfig>) -> R<String> {
        let op = DistributionInspectOp {
            name: image,
            registry_auth: Some(registry_auth(auth)?),
        };
        Ok(json_of(docker().execute(&op).map_err(err)?))
    }

    fn save(names: Vec<String>) -> R<common::ByteStream> {
        let (_, body) = docker().download(&ImageSave { names }).map_err(err)?;
        Ok(byte_stream(body))
    }

    fn load(archive: Vec<u8>) -> R<Vec<String>> {
        docker()
            .upload(&ImageLoad { quiet: true }, &archive)
            .map_err(err)
    }

    fn prune(f: Vec<(String, Vec<String>)>) -> R<common::PruneReport> {
        let answer = docker()
            .images()
            .prune(&ImagePrune {
                dangling: None,
                filters: filters(f),
            })
            .map_err(err)?;
        Ok(prune_report(answer.attrs.value()))
    }
}
