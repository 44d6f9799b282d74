//! Volumes area against the real daemon: create (named and anonymous), inspect, list,
//! sharing data between containers, remove (in use, force), prune.
//!
//! Everything carries `berth.test=1` and a per-test `berth.test.case=<unique>` label; a
//! [`Case`] guard removes the case's containers, then its volumes, when the test
//! ends, pass or fail.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use berth::api::volumes::{VolumeCreate, VolumeList, VolumePrune, VolumeRemove};
use berth::core::request::Filters;
use berth::models::{ContainerCreateBody, HostConfig};
use berth::{Category, Container, Docker, RemoveOptions, Volume};
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};

const IMAGE: &str = "busybox:berth-test";
const CASE_LABEL: &str = "berth.test.case";

struct Case {
    tag: String,
    docker: Docker,
}

impl Case {
    async fn new(prefix: &str) -> Case {
        Case {
            tag: unique(prefix),
            docker: docker().await,
        }
    }

    fn label_filter(&self) -> Filters {
        Filters::new().with("label", format!("{CASE_LABEL}={}", self.tag))
    }

    /// A prune of this case's volumes only.
    fn prune(&self, all: bool) -> VolumePrune {
        VolumePrune {
            filters: self.label_filter(),
            all,
        }
    }

    /// A named volume request with this case's labels.
    fn named(&self, suffix: &str) -> VolumeCreate {
        self.labelled(VolumeCreate::named(format!("{}-{suffix}", self.tag)))
    }

    /// An anonymous volume request with this case's labels.
    fn anonymous(&self) -> VolumeCreate {
        self.labelled(VolumeCreate::anonymous())
    }

    fn labelled(&self, request: VolumeCreate) -> VolumeCreate {
        request
            .label(TEST_LABEL, "1")
            .label(CASE_LABEL, self.tag.clone())
    }

    async fn create(&self, options: &VolumeCreate) -> Volume {
        self.docker
            .volumes()
            .create(options)
            .await
            .expect("create volume")
    }

    /// A container running `cmd` with `volume` mounted at `/data`, no network, this
    /// case's labels; started.
    async fn with_volume(&self, volume: &str, cmd: &[&str]) -> Container {
        let body = ContainerCreateBody {
            image: Some(IMAGE.into()),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            labels: Some(HashMap::from([
                (TEST_LABEL.to_string(), "1".to_string()),
                (CASE_LABEL.to_string(), self.tag.clone()),
            ])),
            host_config: Some(HostConfig {
                binds: Some(vec![format!("{volume}:/data")]),
                network_mode: Some("none".into()),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        };
        let c = self
            .docker
            .containers()
            .create_from_body(None, None, body)
            .await
            .expect("create container");
        assert!(c.start().await.expect("start"));
        c
    }

    /// Writes `bytes` random bytes to `/data/blob` of `volume` with a throwaway
    /// container, removed afterwards.
    async fn fill(&self, volume: &str, bytes: u32) {
        let cmd = format!("head -c {bytes} /dev/urandom > /data/blob && sync");
        let c = self.with_volume(volume, &["sh", "-c", &cmd]).await;
        let status = c
            .wait(None, Some(Duration::from_secs(60)))
            .await
            .expect("wait");
        assert_eq!(status.status_code, 0);
        c.remove(RemoveOptions::default()).await.expect("rm");
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        // No panics here: this may run while a failed test unwinds.
        let label = format!("label={CASE_LABEL}={}", self.tag);
        for (ls, rm) in [
            (&["ps", "-aq", "--filter"][..], &["rm", "-f"][..]),
            (&["volume", "ls", "-q", "--filter"], &["volume", "rm", "-f"]),
        ] {
            if let Ok(out) = Command::new("docker").args(ls).arg(&label).output() {
                for id in String::from_utf8_lossy(&out.stdout).lines() {
                    let _ = Command::new("docker").args(rm).arg(id).output();
                }
            }
        }
    }
}

#[tokio::test]
async fn create_named_and_anonymous_then_inspect() {
    let case = Case::new("vol-create").await;
    let options = case.named("named").driver("local");
    let mut named = case.create(&options).await;
    let name = options.name.clone().expect("named");
    assert_eq!(named.name(), name);
    assert_eq!(named.id(), name);
    assert_eq!(named.attrs().driver, "local");
    assert_eq!(named.labels()[CASE_LABEL], case.tag);
    assert!(
        named
            .attrs()
            .mountpoint
            .ends_with(&format!("/{name}/_data")),
        "{}",
        named.attrs().mountpoint
    );
    assert_eq!(named.attrs().attrs["Scope"], "local");

    let got = case.docker.volumes().get(&name).await.expect("inspect");
    assert_eq!(got.attrs().attrs, named.attrs().attrs);
    named.reload().await.expect("reload");
    assert_eq!(named.labels()[TEST_LABEL], "1");
    assert_eq!(
        docker_cli(&[
            "volume",
            "inspect",
            "--format",
            "{{.Driver}} {{.Labels}}",
            &name
        ]),
        format!("local map[{TEST_LABEL}:1 {CASE_LABEL}:{}]", case.tag)
    );

    // Anonymous: the daemon names it (64 hex digits); 201 with the volume itself.
    let anonymous = case.create(&case.anonymous()).await;
    assert_eq!(anonymous.name().len(), 64);
    assert!(anonymous.name().chars().all(|c| c.is_ascii_hexdigit()));
    case.docker
        .volumes()
        .get(anonymous.name())
        .await
        .expect("anonymous exists");

    // Driver options end up in `Options` (tmpfs: nothing touches the disk).
    let tmpfs = case
        .create(
            &case
                .named("tmpfs")
                .driver_opt("type", "tmpfs")
                .driver_opt("device", "tmpfs")
                .driver_opt("o", "size=1m"),
        )
        .await;
    assert_eq!(tmpfs.attrs().options["type"], "tmpfs");
    assert_eq!(tmpfs.attrs().options["o"], "size=1m");

    // Creating an existing name gives the existing volume back, labels unchanged.
    let again = case
        .create(&VolumeCreate::named(name.clone()).label("other", "x"))
        .await;
    assert!(!again.labels().contains_key("other"));
    assert_eq!(again.labels()[CASE_LABEL], case.tag);

    let e = case
        .docker
        .volumes()
        .get(&unique("no-such-vol"))
        .await
        .expect_err("unknown");
    assert_eq!(e.category(), Category::NotFound);
    assert!(e.to_string().contains("no such volume"), "{e}");

    let e = case
        .docker
        .volumes()
        .create(&case.named("bad-driver").driver("berth-no-such-driver"))
        .await
        .expect_err("no driver");
    assert_eq!(e.category(), Category::NotFound, "{e}");
}

#[tokio::test]
async fn list_with_filters() {
    let case = Case::new("vol-list").await;
    let a = case
        .create(&case.named("a").label("berth.test.pick", "yes"))
        .await;
    let b = case.create(&case.named("b")).await;
    let volumes = case.docker.volumes();
    let names = |list: Vec<Volume>| -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|v| v.name().to_owned()).collect();
        v.sort();
        v
    };

    let all = volumes
        .list(&VolumeList {
            filters: case.label_filter(),
        })
        .await
        .expect("list by label");
    assert_eq!(names(all), vec![a.name().to_owned(), b.name().to_owned()]);

    let picked = volumes
        .list(&VolumeList {
            filters: case.label_filter().with("label", "berth.test.pick=yes"),
        })
        .await
        .expect("two labels");
    assert_eq!(names(picked), vec![a.name().to_owned()]);

    let by_name = volumes
        .list(&VolumeList {
            filters: Filters::new().with("name", b.name()),
        })
        .await
        .expect("by name");
    assert_eq!(names(by_name), vec![b.name().to_owned()]);

    // `a` in use by a container: no longer dangling.
    let _c = case.with_volume(a.name(), &["sleep", "300"]).await;
    let dangling = volumes
        .list(&VolumeList {
            filters: case.label_filter().with("dangling", "true"),
        })
        .await
        .expect("dangling");
    assert_eq!(names(dangling), vec![b.name().to_owned()]);

    let none = volumes
        .list(&VolumeList {
            filters: Filters::new().with("name", unique("nothing-matches")),
        })
        .await
        .expect("empty list");
    assert!(none.is_empty());
    let e = volumes
        .list(&VolumeList {
            filters: Filters::new().with("nope", "x"),
        })
        .await
        .expect_err("bad filter");
    assert_eq!(e.category(), Category::BadRequest, "{e}");
}

#[tokio::test]
async fn a_file_written_by_one_container_is_read_by_another() {
    let case = Case::new("vol-share").await;
    let v = case.create(&case.named("shared")).await;
    let writer = case
        .with_volume(v.name(), &["sh", "-c", "echo hello from berth > /data/msg"])
        .await;
    let status = writer
        .wait(None, Some(Duration::from_secs(60)))
        .await
        .expect("wait writer");
    assert_eq!(status.status_code, 0);

    let reader = case.with_volume(v.name(), &["sleep", "300"]).await;
    let out = reader
        .exec_run(["cat", "/data/msg"])
        .await
        .expect("exec cat");
    assert_eq!(out.exit_code, Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.output.stdout),
        "hello from berth\n"
    );
    // The reader's inspect shows the mount.
    let mounts = &reader.attrs().attrs["Mounts"];
    let m = mounts
        .as_array()
        .expect("Mounts")
        .iter()
        .find(|m| m["Name"] == v.name())
        .expect("the volume mount");
    assert_eq!(m["Destination"], "/data");
    assert_eq!(m["Source"], v.attrs().mountpoint.as_str());
}

#[tokio::test]
async fn remove_in_use_conflicts_and_force_is_sent() {
    let case = Case::new("vol-rm").await;
    let v = case.create(&case.named("busy")).await;
    let c = case.with_volume(v.name(), &["true"]).await;
    c.wait(None, Some(Duration::from_secs(60)))
        .await
        .expect("wait");

    // In use by a (stopped) container: Conflict, with or without force.
    for force in [false, true] {
        let e = v.remove(force).await.expect_err("in use");
        assert_eq!(e.category(), Category::Conflict, "force={force}: {e}");
        assert!(
            e.kind()
                .daemon_message()
                .is_some_and(|m| m.contains("volume is in use") && m.contains(c.id())),
            "{e}"
        );
    }
    c.remove(RemoveOptions::default())
        .await
        .expect("rm container");
    v.remove(false).await.expect("remove");
    let e = case
        .docker
        .volumes()
        .get(v.name())
        .await
        .expect_err("removed");
    assert!(e.is_not_found(), "{e}");

    // `force` really reaches the daemon (docker-py never sends it): an unknown volume
    // is then already removed, instead of 404.
    let e = v.remove(false).await.expect_err("gone");
    assert!(e.is_not_found(), "{e}");
    v.remove(true).await.expect("force: missing is fine");
    case.docker
        .execute(&VolumeRemove {
            name: unique("never-existed"),
            force: true,
        })
        .await
        .expect("force on an unknown name");
}

#[tokio::test]
async fn prune_reclaims_space_and_keeps_what_is_not_this_cases() {
    let case = Case::new("vol-prune").await;
    let other = Case::new("vol-prune-other").await;
    let api = case.docker.api_version().await.expect("api");
    let full = case.create(&case.named("full")).await;
    case.fill(full.name(), 100_000).await;
    let empty = case.create(&case.named("empty")).await;
    let busy = case.create(&case.named("busy")).await;
    let _c = case.with_volume(busy.name(), &["sleep", "300"]).await;
    let foreign = other.create(&other.named("foreign")).await;

    let pruned = case
        .docker
        .volumes()
        // Named volumes too, on daemons (1.42+) that otherwise prune only anonymous ones.
        .prune(&case.prune(true))
        .await
        .expect("prune");
    let deleted = sorted(VolumePrune::deleted(&pruned));
    let expected = sorted(&[full.name().to_owned(), empty.name().to_owned()]);
    assert_eq!(deleted, expected, "api {api}");
    let reclaimed = pruned.space_reclaimed.expect("SpaceReclaimed");
    assert!(reclaimed >= 100_000, "reclaimed {reclaimed}");

    let volumes = case.docker.volumes();
    assert!(
        volumes
            .get(full.name())
            .await
            .expect_err("pruned")
            .is_not_found()
    );
    volumes.get(busy.name()).await.expect("in use: kept");
    volumes
        .get(foreign.name())
        .await
        .expect("other label: kept");

    let again = volumes.prune(&case.prune(true)).await.expect("prune again");
    assert!(VolumePrune::deleted(&again).is_empty());
    assert_eq!(again.space_reclaimed, Some(0));
}

#[tokio::test]
async fn prune_without_all_follows_the_daemons_version() {
    let case = Case::new("vol-prune-noall").await;
    let api = case.docker.api_version().await.expect("api");
    let named = case.create(&case.named("named")).await;
    let anonymous = case.create(&case.anonymous()).await;
    // Driver options make it a mount, which the daemon never prunes (no space to win).
    let mounted = case
        .create(
            &case
                .named("tmpfs")
                .driver_opt("type", "tmpfs")
                .driver_opt("device", "tmpfs"),
        )
        .await;
    let busy = case.create(&case.named("busy")).await;
    let _c = case.with_volume(busy.name(), &["sleep", "300"]).await;

    let volumes = case.docker.volumes();
    let pruned = volumes.prune(&case.prune(false)).await.expect("prune");
    let deleted = sorted(VolumePrune::deleted(&pruned));
    let mut expected = vec![anonymous.name().to_owned()];
    if api < berth::ApiVersion::new(1, 42) {
        // Before 1.42 every unused volume goes, named or not.
        expected.push(named.name().to_owned());
        assert!(
            volumes
                .get(named.name())
                .await
                .expect_err("pruned")
                .is_not_found()
        );
    } else {
        volumes.get(named.name()).await.expect("named: kept");
    }
    expected.sort();
    assert_eq!(deleted, expected, "api {api}");
    volumes.get(mounted.name()).await.expect("mounted: kept");
    volumes.get(busy.name()).await.expect("in use: kept");

    // The `all` filter itself: known from 1.42, refused locally before (the daemon
    // would answer 400 "Invalid filter 'all'"), and nothing is pruned.
    let later = case.create(&case.named("later")).await;
    let raw_all = VolumePrune {
        filters: case.label_filter().with("all", "true"),
        all: false,
    };
    if api < berth::ApiVersion::new(1, 42) {
        let e = volumes.prune(&raw_all).await.expect_err("no `all` filter");
        assert_eq!(e.category(), Category::UnsupportedApiVersion, "{e}");
        assert!(e.to_string().contains("1.42"), "{e}");
        volumes.get(later.name()).await.expect("not pruned");
        // `VolumePrune::all` is what works on every version: not sent here, where
        // named volumes are pruned anyway.
        let pruned = volumes
            .prune(&case.prune(true))
            .await
            .expect("prune with all");
        assert_eq!(VolumePrune::deleted(&pruned), [later.name().to_owned()]);
    } else {
        let pruned = volumes.prune(&raw_all).await.expect("prune all=true");
        let deleted = sorted(VolumePrune::deleted(&pruned));
        let expected = sorted(&[named.name().to_owned(), later.name().to_owned()]);
        assert_eq!(deleted, expected);
    }
    assert!(
        volumes
            .get(later.name())
            .await
            .expect_err("pruned")
            .is_not_found()
    );
}

#[test]
fn blocking_client_creates_lists_and_removes() {
    let tag = unique("vol-blocking");
    let docker = berth::blocking::Docker::from_env().expect("client");
    let _guard = GuardTag(tag.clone());
    let v = docker
        .volumes()
        .create(
            &VolumeCreate::named(tag.clone())
                .label(TEST_LABEL, "1")
                .label(CASE_LABEL, tag.clone()),
        )
        .expect("create");
    let listed = docker
        .volumes()
        .list(&VolumeList {
            filters: Filters::new().with("label", format!("{CASE_LABEL}={tag}")),
        })
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name(), tag);
    let mut v2 = docker.volumes().get(&tag).expect("get");
    v2.reload().expect("reload");
    assert_eq!(v2.attrs().attrs, v.attrs().attrs);
    v.remove(true).expect("remove");
    assert!(docker.volumes().get(&tag).expect_err("gone").is_not_found());
}

/// Removes the volume named `<tag>` on drop.
struct GuardTag(String);

impl Drop for GuardTag {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["volume", "rm", "-f", &self.0])
            .output();
    }
}

/// The names, sorted.
fn sorted(names: &[String]) -> Vec<String> {
    let mut v = names.to_vec();
    v.sort();
    v
}
