//! Images area against the real daemon and the provisioned registry without auth
//! (127.0.0.1:5000): list (all, digests, filters, name), inspect, history, tag,
//! remove (noprune), prune, import, save, load, push/pull round trip with progress,
//! pull by platform from a manifest list, missing tags, search (against a stand-in v1
//! search API on loopback: no real one is reachable offline), registry data, and the
//! blocking client.
//!
//! Images made here are imported (or built) with `LABEL berth.test=1` (tags of the
//! shared test image cannot carry labels); every name a test creates is removed by an
//! [`Names`] guard, pass or fail.

use std::collections::BTreeSet;
use std::io::Read;
use std::time::Duration;

use berth::api::images::{
    DeleteEntry, ImageImport, ImageList, ImagePrune, ImagePull, ImagePush, ImageRemove,
    ImageSearch, ImportSource, ProgressAggregator,
};
use berth::core::request::Filters;
use berth::transport::bytes_stream;
use berth::{BuildContext, BuildOptions, Category, Docker, SaveName};
use berth_tests::http::{HttpServer, Route};
use berth_tests::registry::{REGISTRY, manifest, put_manifest_list};
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};
use futures_util::StreamExt;

const IMAGE: &str = "busybox:berth-test";

/// Image names (and ids) removed with `docker rmi -f` on drop.
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    fn add(&mut self, name: impl Into<String>) -> String {
        let n = name.into();
        self.0.push(n.clone());
        n
    }
}

impl Drop for Names {
    fn drop(&mut self) {
        for n in self.0.iter().rev() {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f", n])
                .output();
        }
    }
}

/// A container removed (forced) on drop.
struct Ctr(String);

impl Drop for Ctr {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &self.0])
            .output();
    }
}

/// Deterministic, poorly compressible bytes (xorshift).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A root filesystem tarball: `/hello` (text) and `/blob` (`blob` bytes of noise).
fn rootfs_tar(seed: u64, blob: usize) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in [
        ("hello", format!("hello from berth {seed}\n").into_bytes()),
        ("blob", noise(seed, blob)),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        b.append_data(&mut h, path, &data[..]).expect("append");
    }
    b.into_inner().expect("tar")
}

/// Imports a fresh single-layer image through berth, labelled `berth.test=1`.
async fn import_image(d: &Docker, repo: Option<&str>, seed: u64, extra: &[&str]) -> String {
    let mut changes = vec![
        format!("LABEL {TEST_LABEL}=1"),
        r#"CMD ["/bin/sh"]"#.to_owned(),
    ];
    changes.extend(extra.iter().map(|s| (*s).to_owned()));
    d.images()
        .import(
            &ImageImport {
                repo: repo.map(str::to_owned),
                changes,
                ..ImageImport::default()
            },
            Some(bytes_stream(rootfs_tar(seed, 64 * 1024))),
        )
        .await
        .expect("import")
}

fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
}

/// Reads a `docker save` tarball: `manifest.json`'s entries (config, repo tags).
fn manifest_of(tar_bytes: &[u8]) -> Vec<(String, Vec<String>)> {
    let mut a = tar::Archive::new(tar_bytes);
    for entry in a.entries().expect("tar entries") {
        let mut e = entry.expect("entry");
        if e.path().expect("path").to_str() == Some("manifest.json") {
            let mut s = String::new();
            e.read_to_string(&mut s).expect("manifest");
            let v: serde_json::Value = serde_json::from_str(&s).expect("json");
            return v
                .as_array()
                .expect("array")
                .iter()
                .map(|m| {
                    let tags = m["RepoTags"]
                        .as_array()
                        .map(|t| {
                            t.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    (m["Config"].as_str().unwrap_or_default().to_owned(), tags)
                })
                .collect();
        }
    }
    panic!("no manifest.json in the saved tarball");
}

async fn collect(body: berth::transport::ResponseBody) -> Vec<u8> {
    let mut out = Vec::new();
    let mut body = body;
    while let Some(chunk) = body.chunk().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

#[tokio::test]
async fn list_get_history_and_short_id() {
    let d = docker().await;
    let listed = d
        .images()
        .list(&ImageList {
            name: Some(IMAGE.into()),
            ..ImageList::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].repo_tags.contains(&IMAGE.to_owned()));
    let ids = d
        .images()
        .list_ids(&ImageList {
            name: Some("busybox".into()),
            ..ImageList::default()
        })
        .await
        .expect("ids");
    assert!(ids.contains(&listed[0].id));
    let all = d.images().list(&ImageList::default()).await.expect("all");
    assert!(all.iter().any(|i| i.id == listed[0].id));

    let image = d.images().get(IMAGE).await.expect("get");
    assert_eq!(image.id(), listed[0].id);
    assert!(image.id().starts_with("sha256:"));
    assert_eq!(image.short_id().len(), 19);
    assert!(image.id().starts_with(image.short_id()));
    assert!(image.tags().contains(&IMAGE.to_owned()));
    assert_eq!(
        image.attrs().config.as_ref().and_then(|c| c.cmd.clone()),
        Some(vec!["/bin/sh".to_string()])
    );
    let history = image.history().await.expect("history");
    assert!(!history.is_empty());
    assert!(history.iter().any(|h| h.tags.contains(&IMAGE.to_owned())));
    let by_id = d.images().get(image.short_id()).await.expect("by short id");
    assert_eq!(by_id.id(), image.id());

    let e = d
        .images()
        .get("busybox:berth-no-such-tag")
        .await
        .expect_err("missing");
    assert_eq!(e.category(), Category::ImageNotFound, "{e}");
}

#[tokio::test]
async fn import_from_tar_stream_with_repo_tag_and_changes() {
    let d = docker().await;
    let mut names = Names::default();
    let repo = unique("import");
    let reference = names.add(format!("{repo}:v1"));
    let id = import_image(&d, Some(&reference), seed(), &["ENV BERTH_IMPORT=1"]).await;
    names.add(id.clone());
    assert!(id.starts_with("sha256:"), "{id}");
    let image = d.images().get(&reference).await.expect("imported");
    assert_eq!(image.id(), id);
    assert_eq!(image.tags(), vec![reference.clone()]);
    let config = image.attrs().config.clone().expect("config");
    assert_eq!(config.cmd, Some(vec!["/bin/sh".to_string()]));
    assert!(
        config
            .env
            .unwrap_or_default()
            .contains(&"BERTH_IMPORT=1".to_string())
    );
    assert_eq!(
        image.labels().get(TEST_LABEL).map(String::as_str),
        Some("1")
    );

    // Untagged import: an image with no names (RepoTags empty).
    let bare = import_image(&d, None, seed(), &[]).await;
    names.add(bare.clone());
    let bare_image = d.images().get(&bare).await.expect("untagged");
    assert!(
        bare_image.tags().is_empty(),
        "{:?}",
        bare_image.attrs().attrs["RepoTags"]
    );

    // The daemon fetches a URL: serve a rootfs tar on loopback and import from it.
    let served = rootfs_tar(seed() ^ 0x5eed, 4096);
    let server =
        HttpServer::start(vec![Route::new("/rootfs.tar", "application/x-tar", served)]).await;
    let url = server.url("/rootfs.tar");
    let url_repo = names.add(format!("{}:url", unique("import-url-ok")));
    let (repo, tag) = url_repo.split_once(':').expect("repo:tag");
    let id = d
        .images()
        .import(
            &ImageImport {
                source: ImportSource::Url(url),
                repo: Some(repo.to_owned()),
                tag: Some(tag.to_owned()),
                changes: vec![format!("LABEL {TEST_LABEL}=1")],
                ..ImageImport::default()
            },
            None,
        )
        .await
        .expect("import from a URL");
    names.add(id.clone());
    let from_url = d
        .images()
        .get(&url_repo)
        .await
        .expect("imported from the URL");
    assert_eq!(from_url.id(), id);
    let (_stat, body) = {
        let c = d
            .containers()
            .create_from_body(
                None,
                None,
                berth::models::ContainerCreateBody {
                    image: Some(url_repo.clone()),
                    cmd: Some(vec!["x".into()]),
                    labels: Some([(TEST_LABEL.to_owned(), "1".to_owned())].into()),
                    ..Default::default()
                },
            )
            .await
            .expect("container of the URL image");
        let got = c.get_archive("/hello").await.expect("archive");
        c.remove(berth::RemoveOptions {
            force: true,
            ..Default::default()
        })
        .await
        .expect("remove");
        got
    };
    let mut tar_bytes = Vec::new();
    let mut body = body;
    while let Some(chunk) = body.chunk().await {
        tar_bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    let mut ar = tar::Archive::new(&tar_bytes[..]);
    let mut hello = String::new();
    ar.entries()
        .expect("entries")
        .next()
        .expect("one entry")
        .expect("entry")
        .read_to_string(&mut hello)
        .expect("read");
    assert!(hello.starts_with("hello from berth"), "{hello}");

    // The daemon fetching a URL it cannot reach: its error, typed.
    let e = d
        .images()
        .import(
            &ImageImport {
                source: ImportSource::Url("http://127.0.0.1:9/rootfs.tar".into()),
                repo: Some(unique("import-url")),
                ..ImageImport::default()
            },
            None,
        )
        .await
        .expect_err("unreachable URL");
    assert_eq!(e.category(), Category::Server, "{e}");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("127.0.0.1:9")),
        "{e}"
    );
    // An upload without a body is refused locally.
    let e = d
        .images()
        .import(&ImageImport::default(), None)
        .await
        .expect_err("no body");
    assert_eq!(e.category(), Category::InvalidArgument);
}

#[tokio::test]
async fn tag_then_remove_untags_before_deleting() {
    let d = docker().await;
    let mut names = Names::default();
    let repo = unique("tag");
    let first = names.add(format!("{repo}:one"));
    let id = import_image(&d, Some(&first), seed(), &[]).await;
    names.add(id.clone());
    let image = d.images().get(&first).await.expect("get");
    let second = names.add(format!("{repo}-b:two"));
    image
        .tag(&format!("{repo}-b"), Some("two"))
        .await
        .expect("tag");
    let third = names.add(format!("{repo}-c:latest"));
    image
        .tag(&format!("{repo}-c"), None)
        .await
        .expect("tag default latest");
    let mut image = image;
    image.reload().await.expect("reload");
    let tags: BTreeSet<String> = image.tags().into_iter().collect();
    assert_eq!(
        tags,
        BTreeSet::from([first.clone(), second.clone(), third.clone()])
    );

    // Removing one of several names only untags.
    let out = d
        .images()
        .remove(&ImageRemove {
            name: second.clone(),
            ..ImageRemove::default()
        })
        .await
        .expect("untag");
    assert_eq!(out, vec![DeleteEntry::Untagged(second.clone())]);
    assert!(d.images().get(&id).await.is_ok());

    // By id, an image with several names needs force.
    let e = image.remove(false, false).await.expect_err("needs force");
    assert_eq!(e.category(), Category::Conflict, "{e}");

    // In use by a container: a conflict too.
    let ctr = Ctr(docker_cli(&["create", "--label", "berth.test=1", &first]));
    let e = d
        .images()
        .remove(&ImageRemove {
            name: id.clone(),
            ..ImageRemove::default()
        })
        .await
        .expect_err("in use");
    assert_eq!(e.category(), Category::Conflict, "{e}");
    drop(ctr);

    let out = image.remove(true, false).await.expect("forced");
    assert!(
        out.contains(&DeleteEntry::Untagged(first.clone())),
        "{out:?}"
    );
    assert!(out.contains(&DeleteEntry::Deleted(id.clone())), "{out:?}");
    let e = d.images().get(&id).await.expect_err("gone");
    assert_eq!(e.category(), Category::ImageNotFound);
    let e = d
        .images()
        .remove(&ImageRemove {
            name: first,
            ..ImageRemove::default()
        })
        .await
        .expect_err("already gone");
    assert_eq!(e.category(), Category::ImageNotFound);
    // Tagging something missing.
    let e = d
        .execute(&berth::api::images::ImageTag::new(
            "berth-no-such:image",
            "x:y",
        ))
        .await
        .expect_err("missing source");
    assert_eq!(e.category(), Category::ImageNotFound);
}

#[tokio::test]
async fn prune_removes_only_dangling_labelled_images() {
    let d = docker().await;
    let mut names = Names::default();
    let case = unique("prune");
    let dangling = import_image(
        &d,
        None,
        seed(),
        &[&format!("LABEL berth.test.case={case}")],
    )
    .await;
    names.add(dangling.clone());
    let tagged_ref = names.add(format!("{case}:kept"));
    let tagged = import_image(
        &d,
        Some(&tagged_ref),
        seed(),
        &[&format!("LABEL berth.test.case={case}")],
    )
    .await;
    names.add(tagged.clone());
    let r = d
        .images()
        .prune(&ImagePrune {
            dangling: Some(true),
            filters: Filters::new().with("label", format!("berth.test.case={case}")),
        })
        .await
        .expect("prune");
    let deleted = berth::api::images::DeleteEntry::list_from(&r.attrs["ImagesDeleted"], "prune")
        .expect("entries");
    assert!(
        deleted.contains(&DeleteEntry::Deleted(dangling.clone())),
        "{:?}",
        r.attrs
    );
    // The dangling image's layer was its own (a unique seed): its bytes came back.
    assert!(r.space_reclaimed.is_some_and(|s| s > 0), "{:?}", r.attrs);
    assert!(d.images().get(&tagged).await.is_ok(), "tagged image kept");
    assert_eq!(
        d.images()
            .get(&dangling)
            .await
            .expect_err("pruned")
            .category(),
        Category::ImageNotFound
    );
}

#[tokio::test]
async fn save_one_and_many_then_load_back() {
    let d = docker().await;
    let mut names = Names::default();
    let a = names.add(format!("{}:a", unique("save")));
    let b = names.add(format!("{}:b", unique("save")));
    let base = d.images().get(IMAGE).await.expect("base");
    base.tag(&a, None).await.expect("tag a");
    base.tag(&b, None).await.expect("tag b");

    let one = collect(d.images().save(&[&a]).await.expect("save one")).await;
    let m = manifest_of(&one);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].1, vec![a.clone()]);
    let many = collect(d.images().save(&[&a, &b]).await.expect("save many")).await;
    let m = manifest_of(&many);
    let tags: BTreeSet<String> = m.iter().flat_map(|(_, t)| t.clone()).collect();
    assert_eq!(tags, BTreeSet::from([a.clone(), b.clone()]));

    // Image::save by a tag it does not have fails before any request; by id the
    // tarball has no names.
    let image = d.images().get(&a).await.expect("a");
    let e = image
        .save(&SaveName::Tag("berth-not:mine".into()))
        .await
        .expect_err("not a tag of the image");
    assert_eq!(e.category(), Category::InvalidArgument);
    let named = collect(image.save(&SaveName::Tag(a.clone())).await.expect("named")).await;
    assert_eq!(manifest_of(&named)[0].1, vec![a.clone()]);
    let by_id = collect(image.save(&SaveName::Id).await.expect("by id")).await;
    assert!(manifest_of(&by_id)[0].1.is_empty());

    // Untag both, load them back from the streamed tarball.
    for n in [&a, &b] {
        d.images()
            .remove(&ImageRemove {
                name: n.clone(),
                ..ImageRemove::default()
            })
            .await
            .expect("untag");
    }
    let loaded = d.images().load(bytes_stream(many)).await.expect("load");
    assert_eq!(
        loaded.iter().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([a.clone(), b.clone()])
    );
    assert!(d.images().get(&a).await.is_ok());
    let loaded = d
        .images()
        .load(bytes_stream(by_id))
        .await
        .expect("load by id");
    assert_eq!(loaded, vec![image.id().to_owned()]);

    // Garbage is reported inside the stream: typed.
    let e = d
        .images()
        .load(bytes_stream(&b"not a tarball"[..]))
        .await
        .expect_err("garbage");
    assert_eq!(e.category(), Category::Stream, "{e}");
    let e = d
        .images()
        .save(&["berth-no-such:image"])
        .await
        .expect_err("missing");
    assert_eq!(e.category(), Category::ImageNotFound, "{e}");
}

#[tokio::test]
async fn push_remove_pull_round_trip_with_progress() {
    let d = docker().await;
    let mut names = Names::default();
    let remote = names.add(format!("{REGISTRY}/{}:v1", unique("push")));
    let id = import_image(&d, Some(&remote), seed(), &[]).await;
    names.add(id.clone());

    let mut pushed_items = 0;
    let pushed = d
        .images()
        .push_to_end(&ImagePush::new(remote.clone()), |_| pushed_items += 1)
        .await
        .expect("push");
    assert!(pushed_items > 0);
    assert!(pushed.is_complete(), "{pushed:?}");
    let digest = pushed.digest().expect("push digest").to_owned();
    assert!(digest.starts_with("sha256:"), "{digest}");

    // The registry reports the same digest.
    let data = d
        .images()
        .registry_data(&remote)
        .await
        .expect("registry data");
    assert_eq!(data.digest(), Some(digest.as_str()));
    assert!(data.has_platform("linux").await.expect("platform"));
    assert!(!data.has_platform("windows/amd64").await.expect("platform"));

    d.images()
        .remove(&ImageRemove {
            name: id.clone(),
            force: true,
            ..ImageRemove::default()
        })
        .await
        .expect("remove local");
    assert!(d.images().get(&remote).await.is_err());

    let mut stream = d
        .images()
        .pull(&ImagePull::new(remote.clone()))
        .await
        .expect("pull");
    let mut agg = ProgressAggregator::new();
    let mut statuses = BTreeSet::new();
    while let Some(item) = stream.next().await {
        let item = item.expect("progress item");
        if let Some(s) = &item.status {
            statuses.insert(s.clone());
        }
        agg.update_typed(&item);
    }
    assert!(!agg.layers().is_empty(), "{agg:?}");
    assert!(agg.is_complete(), "{agg:?}");
    assert!(statuses.contains("Pull complete"), "{statuses:?}");
    assert_eq!(agg.digest(), Some(digest.as_str()));
    let image = d.images().get(&remote).await.expect("pulled");
    assert_eq!(image.id(), id);

    // Pull by digest names repo@digest (edge case 131) and lands on the same image.
    let pulled = data.pull(None).await.expect("pull by digest");
    assert_eq!(pulled.id(), id);
}

#[tokio::test]
async fn a_slow_upload_is_not_cut_by_the_response_timeout() {
    let d = docker().await;
    let mut names = Names::default();
    let tag = names.add(format!("{}:slow", unique("slowload")));
    d.images()
        .get(IMAGE)
        .await
        .expect("base")
        .tag(&tag, None)
        .await
        .expect("tag");
    let tar = collect(d.images().save(&[&tag]).await.expect("save")).await;
    d.images()
        .remove(&ImageRemove {
            name: tag.clone(),
            ..ImageRemove::default()
        })
        .await
        .expect("untag");
    // A 1 s response timeout and an upload taking ~3 s: the daemon answers a load only
    // once the tarball is in, so the timeout has to count from the end of the upload.
    let quick = berth::DockerBuilder::from_env()
        .expect("builder")
        .response_timeout(Some(Duration::from_secs(1)))
        .build()
        .expect("client");
    let chunks: Vec<bytes::Bytes> = tar
        .chunks(tar.len().div_ceil(12))
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let slow = futures_util::stream::iter(chunks).then(|c| async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        Ok::<_, std::io::Error>(c)
    });
    let started = std::time::Instant::now();
    let loaded = quick
        .images()
        .load(Box::pin(slow))
        .await
        .expect("slow load");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(loaded, vec![tag.clone()]);
    assert!(d.images().get(&tag).await.is_ok());
}

#[tokio::test]
async fn pull_all_tags_fetches_every_tag() {
    let d = docker().await;
    let mut names = Names::default();
    let repo = format!("{REGISTRY}/{}", unique("alltags"));
    let a = names.add(format!("{repo}:a"));
    let b = names.add(format!("{repo}:b"));
    let id = import_image(&d, Some(&a), seed(), &[]).await;
    names.add(id.clone());
    let image = d.images().get(&a).await.expect("imported");
    image.tag(&repo, Some("b")).await.expect("tag b");
    for r in [&a, &b] {
        d.images()
            .push_to_end(&ImagePush::new(r.clone()), |_| {})
            .await
            .expect("push");
    }
    d.images()
        .remove(&ImageRemove {
            name: id.clone(),
            force: true,
            ..ImageRemove::default()
        })
        .await
        .expect("remove local");
    assert!(d.images().get(&a).await.is_err() && d.images().get(&b).await.is_err());

    let pull = ImagePull {
        all_tags: true,
        ..ImagePull::new(repo.clone())
    };
    // One image is not what an all-tags pull gives: refused before anything is pulled.
    let e = d
        .images()
        .pull_image(&pull, |_| {})
        .await
        .expect_err("pull_image with all_tags");
    assert_eq!(e.category(), Category::InvalidArgument, "{e}");
    assert!(d.images().get(&a).await.is_err(), "nothing pulled");

    let mut items = 0;
    let pulled = d
        .images()
        .pull_all_tags(&pull, |_| items += 1)
        .await
        .expect("pull all tags");
    assert!(items > 0, "progress handed over");
    // Both tags name the one image: docker-py's images.list(repo).
    assert_eq!(
        pulled.len(),
        1,
        "{:?}",
        pulled.iter().map(|i| i.tags()).collect::<Vec<_>>()
    );
    assert_eq!(pulled[0].id(), id);
    let mut tags = pulled[0].tags();
    tags.sort();
    assert_eq!(tags, vec![a.clone(), b.clone()]);
    assert_eq!(d.images().get(&a).await.expect("tag a pulled").id(), id);
    assert_eq!(d.images().get(&b).await.expect("tag b pulled").id(), id);
}

#[tokio::test]
async fn registry_data_of_the_provisioned_image() {
    let d = docker().await;
    let data = d
        .images()
        .registry_data(&format!("{REGISTRY}/busybox:berth-test"))
        .await
        .expect("registry data");
    assert_eq!(
        data.digest(),
        Some(manifest("busybox", "berth-test").0.as_str())
    );
    assert_eq!(data.platforms()[0].os.as_deref(), Some("linux"));
    let e = d
        .images()
        .registry_data(&format!("{REGISTRY}/busybox:berth-no-such-tag"))
        .await
        .expect_err("missing tag");
    // dockerd 20.10: 404 "manifest unknown: manifest unknown".
    assert_eq!(e.category(), Category::ImageNotFound, "{e}");
}

#[tokio::test]
async fn pull_of_a_missing_tag_is_image_not_found() {
    let d = docker().await;
    let e = d
        .images()
        .pull(&ImagePull::new(format!(
            "{REGISTRY}/busybox:berth-no-such-tag"
        )))
        .await
        .expect_err("missing tag");
    // dockerd 20.10 answers 404 "manifest … not found: manifest unknown" before the
    // stream starts.
    assert_eq!(e.category(), Category::ImageNotFound, "{e}");
    assert_eq!(e.status(), Some(404));
    let e = d
        .images()
        .pull(&ImagePull::new(format!("{REGISTRY}/berth-no-such-repo")))
        .await
        .expect_err("missing repo");
    assert_eq!(e.category(), Category::ImageNotFound, "{e}");
}

#[tokio::test]
async fn search_without_v1_search_api_is_a_typed_daemon_error() {
    let d = docker().await;
    let e = d
        .images()
        .search(&ImageSearch {
            term: format!("{REGISTRY}/busybox"),
            limit: Some(5),
            ..ImageSearch::default()
        })
        .await
        .expect_err("registry:2 has no v1 search");
    // dockerd 20.10: 500 "Unexpected status code 404".
    assert_eq!(e.category(), Category::Server, "{e}");
    assert!(e.daemon_message().is_some_and(|m| m.contains("404")), "{e}");
}

#[test]
fn blocking_images_save_load_and_list() {
    let d = berth::blocking::Docker::from_env().expect("client");
    let mut names = Names::default();
    let tag = names.add(format!("{}:blocking", unique("blocking")));
    let images = d.images();
    let base = images.get(IMAGE).expect("get");
    assert_eq!(base.short_id().len(), 19);
    base.tag(&tag, None).expect("tag");
    let mut tarball = Vec::new();
    let n = images.save_to(&[&tag], &mut tarball).expect("save");
    assert_eq!(n as usize, tarball.len());
    assert_eq!(manifest_of(&tarball)[0].1, vec![tag.clone()]);
    images
        .remove(&ImageRemove {
            name: tag.clone(),
            ..ImageRemove::default()
        })
        .expect("untag");
    let loaded = images
        .load_from(std::io::Cursor::new(tarball))
        .expect("load");
    assert_eq!(loaded, vec![tag.clone()]);
    let listed = images
        .list(&ImageList {
            name: Some(tag.clone()),
            ..ImageList::default()
        })
        .expect("list");
    assert_eq!(listed.len(), 1);
    let mut reader = images
        .get(&tag)
        .expect("get")
        .save(&SaveName::FirstTag)
        .expect("save");
    let mut head = [0u8; 512];
    reader.read_exact(&mut head).expect("a tar header");
    assert!(
        !images
            .get(&tag)
            .expect("get")
            .history()
            .expect("history")
            .is_empty()
    );
}

/// Builds `FROM busybox / LABEL … / RUN …` with the classic builder (what `/build`
/// runs on dockerd 20.10), tagged `tag`: the image and its parent, the untagged
/// image the LABEL step committed.
async fn build_child(d: &Docker, case: &str, tag: &str) -> (String, String) {
    let dockerfile = format!(
        "FROM {IMAGE}\nLABEL {TEST_LABEL}=1 berth.test.case={case}\nRUN echo {case} > /case\n"
    );
    let built = d
        .build_context(
            BuildContext::Dockerfile(dockerfile),
            &BuildOptions::new().tag(tag),
        )
        .await
        .expect("build starts")
        .wait()
        .await
        .expect("classic build");
    let child = d.images().get(&built.image_id).await.expect("built image");
    let parent = child.attrs().attrs["Parent"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        parent.starts_with("sha256:"),
        "the classic builder records the parent: {:?}",
        child.attrs().attrs["Parent"]
    );
    let parent_image = d.images().get(&parent).await.expect("parent image");
    assert!(parent_image.tags().is_empty(), "the parent is untagged");
    (built.image_id, parent)
}

/// The ids `options` lists.
async fn listed_ids(d: &Docker, options: &ImageList) -> BTreeSet<String> {
    d.images()
        .list(options)
        .await
        .expect("list")
        .into_iter()
        .map(|i| i.id.clone())
        .collect()
}

#[tokio::test]
async fn remove_with_noprune_keeps_the_untagged_parent() {
    let d = docker().await;
    let mut names = Names::default();

    let case = unique("noprune");
    let tag = names.add(format!("{case}:child"));
    let (child, parent) = build_child(&d, &case, &tag).await;
    names.add(child.clone());
    names.add(parent.clone());
    let out = d
        .images()
        .remove(&ImageRemove {
            name: tag.clone(),
            noprune: true,
            ..ImageRemove::default()
        })
        .await
        .expect("remove with noprune");
    assert!(out.contains(&DeleteEntry::Untagged(tag.clone())), "{out:?}");
    assert!(
        out.contains(&DeleteEntry::Deleted(child.clone())),
        "{out:?}"
    );
    assert!(
        !out.contains(&DeleteEntry::Deleted(parent.clone())),
        "{out:?}"
    );
    assert_eq!(
        d.images()
            .get(&child)
            .await
            .expect_err("child removed")
            .category(),
        Category::ImageNotFound
    );
    let kept = d
        .images()
        .get(&parent)
        .await
        .expect("noprune kept the parent");
    assert!(kept.tags().is_empty());

    // The same removal without noprune takes the untagged parent along (and stops at
    // the tagged base image).
    let case = unique("prune-parent");
    let tag = names.add(format!("{case}:child"));
    let (child, parent) = build_child(&d, &case, &tag).await;
    names.add(child.clone());
    names.add(parent.clone());
    let out = d
        .images()
        .remove(&ImageRemove {
            name: tag.clone(),
            ..ImageRemove::default()
        })
        .await
        .expect("remove");
    assert!(
        out.contains(&DeleteEntry::Deleted(child.clone())),
        "{out:?}"
    );
    assert!(
        out.contains(&DeleteEntry::Deleted(parent.clone())),
        "{out:?}"
    );
    assert_eq!(
        d.images()
            .get(&parent)
            .await
            .expect_err("parent pruned")
            .category(),
        Category::ImageNotFound
    );
    assert!(d.images().get(IMAGE).await.is_ok(), "the base image stays");
}

#[tokio::test]
async fn list_all_includes_intermediate_images() {
    let d = docker().await;
    let mut names = Names::default();
    let case = unique("list-all");
    let tag = names.add(format!("{case}:child"));
    let (child, parent) = build_child(&d, &case, &tag).await;
    names.add(child.clone());
    names.add(parent.clone());
    // Both carry the case label (the LABEL step made the parent).
    let filters = Filters::new().with("label", format!("berth.test.case={case}"));
    let top = listed_ids(
        &d,
        &ImageList {
            filters: filters.clone(),
            ..ImageList::default()
        },
    )
    .await;
    assert_eq!(
        top,
        BTreeSet::from([child.clone()]),
        "no intermediate image"
    );
    let all = d
        .images()
        .list(&ImageList {
            all: true,
            filters,
            ..ImageList::default()
        })
        .await
        .expect("list all");
    let ids: BTreeSet<String> = all.iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids, BTreeSet::from([child.clone(), parent.clone()]));
    let listed_child = all.iter().find(|i| i.id == child).expect("child listed");
    assert_eq!(listed_child.parent_id, parent);
}

#[tokio::test]
async fn list_filters_dangling_before_since_reference_and_name() {
    let d = docker().await;
    let mut names = Names::default();
    let case = unique("list-filters");
    let label = format!("LABEL berth.test.case={case}");
    // Three images, created in this order: tagged, untagged, tagged.
    let first_ref = names.add(format!("{case}-x:one"));
    let first = import_image(&d, Some(&first_ref), seed(), &[&label]).await;
    names.add(first.clone());
    let bare = import_image(&d, None, seed(), &[&label]).await;
    names.add(bare.clone());
    let last_ref = names.add(format!("{case}-y:two"));
    let last = import_image(&d, Some(&last_ref), seed(), &[&label]).await;
    names.add(last.clone());

    let case_filter = Filters::new().with("label", format!("berth.test.case={case}"));
    let list = |extra: &[(&str, &str)]| {
        let mut filters = case_filter.clone();
        for (k, v) in extra {
            filters.add(*k, *v);
        }
        ImageList {
            filters,
            ..ImageList::default()
        }
    };
    let set = |ids: &[&String]| ids.iter().map(|s| (*s).clone()).collect::<BTreeSet<_>>();

    assert_eq!(
        listed_ids(&d, &list(&[])).await,
        set(&[&first, &bare, &last])
    );
    assert_eq!(
        listed_ids(&d, &list(&[("dangling", "true")])).await,
        set(&[&bare])
    );
    assert_eq!(
        listed_ids(&d, &list(&[("dangling", "false")])).await,
        set(&[&first, &last])
    );
    // before/since take a name or an id and compare creation times.
    assert_eq!(
        listed_ids(&d, &list(&[("since", &first_ref)])).await,
        set(&[&bare, &last])
    );
    assert_eq!(
        listed_ids(&d, &list(&[("before", &last)])).await,
        set(&[&first, &bare])
    );
    assert_eq!(
        listed_ids(&d, &list(&[("since", &first), ("before", &last_ref)])).await,
        set(&[&bare])
    );
    // reference: a repository, a pattern with a tag, a pattern without one.
    assert_eq!(
        listed_ids(&d, &list(&[("reference", &format!("{case}-x"))])).await,
        set(&[&first])
    );
    assert_eq!(
        listed_ids(&d, &list(&[("reference", &format!("{case}-*:two"))])).await,
        set(&[&last])
    );
    assert_eq!(
        listed_ids(&d, &list(&[("reference", &format!("{case}-*"))])).await,
        set(&[&first, &last])
    );
    // The name argument is a reference filter too (edge case 139).
    for (name, want) in [
        (format!("{case}-y"), set(&[&last])),
        (last_ref.clone(), set(&[&last])),
        (format!("{case}-y:one"), set(&[])),
        (format!("{case}-x"), set(&[&first])),
    ] {
        let got = listed_ids(
            &d,
            &ImageList {
                name: Some(name.clone()),
                ..ImageList::default()
            },
        )
        .await;
        assert_eq!(got, want, "name {name}");
    }
}

#[tokio::test]
async fn list_reports_repo_digests_once_pushed_or_pulled() {
    let d = docker().await;
    let mut names = Names::default();
    let repo = unique("digests");
    let remote = names.add(format!("{REGISTRY}/{repo}:v1"));
    let id = import_image(&d, Some(&remote), seed(), &[]).await;
    names.add(id.clone());
    // By repository: a reference filter with a tag matches no `repo@digest` name, and
    // dockerd reports only the names that match (daemon/images/images.go).
    let by_repo = format!("{REGISTRY}/{repo}");
    let listed = |digests: bool| ImageList {
        name: Some(by_repo.clone()),
        digests,
        ..ImageList::default()
    };
    let repo_digests = |l: Vec<berth::Typed<berth::models::ImageSummary>>| {
        assert_eq!(l.len(), 1, "one image in {by_repo}");
        l[0].repo_digests.clone()
    };
    let before = repo_digests(d.images().list(&listed(true)).await.expect("list"));
    assert!(before.is_empty(), "never pushed: {before:?}");

    let pushed = d
        .images()
        .push_to_end(&ImagePush::new(remote.clone()), |_| {})
        .await
        .expect("push");
    let digest = pushed.digest().expect("push digest").to_owned();
    let want = vec![format!("{REGISTRY}/{repo}@{digest}")];
    assert_eq!(
        repo_digests(d.images().list(&listed(true)).await.expect("list")),
        want
    );
    let by_tag = ImageList {
        name: Some(remote.clone()),
        digests: true,
        ..ImageList::default()
    };
    assert!(
        repo_digests(d.images().list(&by_tag).await.expect("list")).is_empty(),
        "the tag filter hides the digest name"
    );
    // dockerd 20.10 never reads `digests` (its list route takes `all` and `filters`
    // only) and always reports RepoDigests: the flag is docker-py's, kept for older
    // daemons.
    assert_eq!(
        repo_digests(d.images().list(&listed(false)).await.expect("list")),
        want
    );

    // Pulled back after removal: the digest is the registry's again.
    d.images()
        .remove(&ImageRemove {
            name: id.clone(),
            force: true,
            ..ImageRemove::default()
        })
        .await
        .expect("remove local");
    d.images()
        .pull_image(&ImagePull::new(remote.clone()), |_| {})
        .await
        .expect("pull");
    assert_eq!(
        repo_digests(d.images().list(&listed(true)).await.expect("list")),
        want
    );
}

#[tokio::test]
async fn pull_platform_picks_the_manifest_list_entry() {
    let d = docker().await;
    let mut names = Names::default();
    let repo = unique("platform");
    let base = format!("{REGISTRY}/{repo}");
    // Two different images pushed under one repository, then a manifest list naming
    // them linux/amd64 and linux/arm64 (the architecture is the list's word: the
    // daemon picks the entry by it and does not check the config).
    let mut ids = Vec::new();
    for arch in ["amd64", "arm64"] {
        let r = names.add(format!("{base}:{arch}"));
        let id = import_image(&d, Some(&r), seed(), &[]).await;
        names.add(id.clone());
        d.images()
            .push_to_end(&ImagePush::new(r.clone()), |_| {})
            .await
            .expect("push");
        ids.push(id);
    }
    put_manifest_list(&repo, "multi", &["amd64", "arm64"]);
    for id in &ids {
        d.images()
            .remove(&ImageRemove {
                name: id.clone(),
                force: true,
                ..ImageRemove::default()
            })
            .await
            .expect("remove local");
    }

    let multi = names.add(format!("{base}:multi"));
    let pull = |platform: &str| ImagePull {
        platform: Some(platform.to_owned()),
        ..ImagePull::new(multi.clone())
    };
    for (platform, want) in [("linux/arm64", &ids[1]), ("linux/amd64", &ids[0])] {
        let image = d
            .images()
            .pull_image(&pull(platform), |_| {})
            .await
            .unwrap_or_else(|e| panic!("pull {platform}: {e}"));
        assert_eq!(image.id(), want.as_str(), "{platform}");
        d.images()
            .remove(&ImageRemove {
                name: want.clone(),
                force: true,
                ..ImageRemove::default()
            })
            .await
            .expect("remove the pulled image");
    }

    // A platform the list lacks: the daemon's error inside the 200 stream.
    let e = d
        .images()
        .pull_image(&pull("linux/s390x"), |_| {})
        .await
        .expect_err("no s390x entry");
    assert_eq!(e.category(), Category::Stream, "{e}");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("no matching manifest for linux/s390x")),
        "{e}"
    );
    // A malformed platform: 400 before any pull.
    let e = d
        .images()
        .pull(&pull("linux/amd64!"))
        .await
        .expect_err("malformed platform");
    assert_eq!(e.status(), Some(400), "{e}");
    assert_eq!(e.category(), Category::BadRequest, "{e}");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("\"amd64!\" is an invalid component")),
        "{e}"
    );
    assert!(d.images().get(&multi).await.is_err(), "nothing pulled");
}

#[tokio::test]
async fn search_reads_a_registry_v1_search_api() {
    let d = docker().await;
    // dockerd's search (registry/session.go, 20.10): GET /v1/_ping (HTTPS first, then
    // plain HTTP for an insecure registry such as 127.0.0.1:*), then
    // GET /v1/search?q=<term>&n=<limit>; it filters the results itself.
    let answer = serde_json::json!({
        "num_results": 2,
        "query": "berth",
        "results": [
            {"name": "berth/one", "description": "the first", "star_count": 42,
             "is_official": true, "is_automated": false},
            {"name": "berth/two", "description": "the second", "star_count": 1,
             "is_official": false, "is_automated": true},
        ],
    });
    let server = HttpServer::start(vec![
        Route::new("/v1/_ping", "application/json", r#"{"standalone":true}"#),
        Route::new("/v1/search", "application/json", answer.to_string()),
    ])
    .await;
    let search = |limit: Option<u32>, filters: Filters| ImageSearch {
        term: format!("{}/berth", server.host()),
        limit,
        filters,
        ..ImageSearch::default()
    };
    let found = d
        .images()
        .search(&search(Some(7), Filters::new()))
        .await
        .expect("search");
    assert_eq!(found.len(), 2, "{found:?}");
    let one = &found[0];
    assert_eq!(one.name.as_deref(), Some("berth/one"));
    assert_eq!(one.description.as_deref(), Some("the first"));
    assert_eq!(one.star_count, Some(42));
    assert_eq!(one.is_official, Some(true));
    assert_eq!(one.is_automated, Some(false));
    let two = &found[1];
    assert_eq!(two.name.as_deref(), Some("berth/two"));
    assert_eq!(two.star_count, Some(1));
    assert_eq!(two.is_official, Some(false));
    assert_eq!(two.is_automated, Some(true));
    let searches = |server: &HttpServer| -> Vec<String> {
        server
            .requests()
            .into_iter()
            .filter(|r| r.starts_with("GET /v1/search"))
            .collect()
    };
    assert_eq!(
        searches(&server),
        ["GET /v1/search?q=berth&n=7 HTTP/1.1"],
        "{:?}",
        server.requests()
    );

    // No limit: berth sends none and the daemon asks for its default, 25.
    d.images()
        .search(&search(None, Filters::new()))
        .await
        .expect("search without limit");
    assert_eq!(
        searches(&server).last().map(String::as_str),
        Some("GET /v1/search?q=berth&n=25 HTTP/1.1")
    );

    // Filters are applied by the daemon to the registry's answer.
    let names_of = |found: Vec<berth::Typed<berth::models::ImageSearchResponseItem>>| {
        found
            .iter()
            .filter_map(|f| f.name.clone())
            .collect::<Vec<_>>()
    };
    let starred = d
        .images()
        .search(&search(Some(7), Filters::new().with("stars", "10")))
        .await
        .expect("stars filter");
    assert_eq!(names_of(starred), ["berth/one"]);
    let automated = d
        .images()
        .search(&search(
            Some(7),
            Filters::new().with("is-automated", "true"),
        ))
        .await
        .expect("is-automated filter");
    assert_eq!(names_of(automated), ["berth/two"]);
    // A limit outside [1, 100] is the daemon's invalid parameter.
    let e = d
        .images()
        .search(&search(Some(101), Filters::new()))
        .await
        .expect_err("limit 101");
    assert_eq!(e.category(), Category::BadRequest, "{e}");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("Limit 101 is outside the range")),
        "{e}"
    );
}
