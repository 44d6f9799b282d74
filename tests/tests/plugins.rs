//! Plugins area against the real daemon, with a minimal plugin built locally from
//! `busybox:berth-test` (no internet): create (from a directory and from a tar),
//! inspect, list (filters), configure, enable (the plugin's entrypoint is the
//! `berth-test-plugin` binary of this crate, a tiny volume driver copied into the
//! rootfs with its shared libraries), a volume created through the enabled plugin,
//! configure refused while enabled, disable, push to the local registry, privileges,
//! install under another name, a pull without grants, upgrade, remove.
//!
//! A [`Cleanup`] guard removes every volume (`docker volume rm -f`), then every plugin
//! (`docker plugin rm -f`) the test made, pass or fail.

use std::path::Path;
use std::process::Command;

use berth::api::plugins::{PluginList, PluginPull, PluginUpgrade};
use berth::api::volumes::{VolumeCreate, VolumeRemove};
use berth::core::request::Filters;
use berth::{Category, Docker};
use berth_tests::fake::TempDir;
use berth_tests::registry::REGISTRY;
use berth_tests::{docker, docker_cli, unique};
use futures_util::StreamExt;

const IMAGE: &str = "busybox:berth-test";
/// Where the plugin server lives inside the plugin rootfs.
const SERVER: &str = "/berth-test-plugin";

/// Copies the `berth-test-plugin` binary to [`SERVER`] inside `rootfs`, with every
/// shared library `ldd` lists (dynamic loader included) at the same absolute path:
/// busybox's rootfs has no libc.
fn install_server(rootfs: &Path) {
    let bin = env!("CARGO_BIN_EXE_berth-test-plugin");
    std::fs::copy(bin, rootfs.join(SERVER.trim_start_matches('/'))).expect("copy server");
    let ldd = Command::new("ldd").arg(bin).output().expect("ldd runs");
    assert!(ldd.status.success(), "ldd {bin}");
    let listed = String::from_utf8(ldd.stdout).expect("ldd output");
    let libs: Vec<&str> = listed
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
        .collect();
    assert!(
        libs.iter().any(|l| l.contains("ld-linux")),
        "no dynamic loader in {listed}"
    );
    for lib in libs {
        let to = rootfs.join(lib.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().expect("lib dir")).expect("mkdir lib dir");
        std::fs::copy(lib, &to).unwrap_or_else(|e| panic!("copy {lib}: {e}"));
    }
}

/// Volumes, then plugins, to remove when the test ends.
#[derive(Default)]
struct Cleanup {
    plugins: Vec<String>,
    volumes: Vec<String>,
}

impl Cleanup {
    fn add(&mut self, name: &str) {
        self.plugins.push(name.to_owned());
    }

    fn add_volume(&mut self, name: &str) {
        self.volumes.push(name.to_owned());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.volumes {
            let _ = Command::new("docker")
                .args(["volume", "rm", "-f", name])
                .output();
        }
        for name in &self.plugins {
            let _ = Command::new("docker")
                .args(["plugin", "rm", "-f", name])
                .output();
        }
    }
}

/// A plugin directory: `rootfs/` exported from a container of busybox, with a unique
/// marker file (dockerd 20.10 refuses two plugins with the same rootfs content), and a
/// `config.json` declaring a volume driver on `berth.sock`, a settable `DEBUG` and
/// host networking (so the plugin asks for the `network` privilege). Its entrypoint is
/// [`SERVER`], the `berth-test-plugin` binary answering the volume driver protocol.
fn plugin_dir(tag: &str) -> TempDir {
    let dir = TempDir::new("plugin");
    let rootfs = dir.0.join("rootfs");
    std::fs::create_dir_all(&rootfs).expect("mkdir rootfs");
    let cid = docker_cli(&["create", IMAGE]);
    let export = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "docker export {cid} | tar -x -C {}",
            rootfs.display()
        ))
        .status()
        .expect("sh runs");
    docker_cli(&["rm", &cid]);
    assert!(export.success(), "docker export | tar -x failed");
    std::fs::write(rootfs.join("berth-id"), tag).expect("marker");
    install_server(&rootfs);
    let config = serde_json::json!({
        "Description": "berth test plugin",
        "Documentation": "https://example.invalid/berth",
        "Interface": {"Types": ["docker.volumedriver/1.0"], "Socket": "berth.sock"},
        "Entrypoint": [SERVER],
        "Network": {"Type": "host"},
        "Env": [{"Name": "DEBUG", "Description": "debug level", "Settable": ["value"], "Value": "0"}],
    });
    std::fs::write(
        dir.0.join("config.json"),
        serde_json::to_vec_pretty(&config).expect("json"),
    )
    .expect("config.json");
    dir
}

fn names(list: &[berth::Plugin]) -> Vec<&str> {
    list.iter().map(|p| p.name()).collect()
}

#[tokio::test]
async fn plugin_lifecycle_through_the_local_registry() {
    let docker: Docker = docker().await;
    let plugins = docker.plugins();
    let mut cleanup = Cleanup::default();
    let tag = unique("plugin");
    let remote = format!("{REGISTRY}/{tag}:v1");
    let dir = plugin_dir(&tag);

    // create (directory) + inspect
    cleanup.add(&remote);
    let mut p = plugins.create(&remote, &dir.0).await.expect("create");
    assert_eq!(p.name(), remote);
    assert!(!p.enabled());
    assert_eq!(p.settings().env, vec!["DEBUG=0"]);
    assert_eq!(
        p.attrs().config.interface.types,
        vec!["docker.volumedriver/1.0"]
    );
    assert_eq!(p.attrs().config.interface.socket, "berth.sock");
    assert_eq!(p.attrs().config.entrypoint, vec![SERVER]);
    assert_eq!(plugins.get(p.id()).await.expect("by id").name(), remote);

    // list with filters
    let by_cap = PluginList {
        filters: Filters::new().with("capability", "volumedriver"),
    };
    assert!(names(&plugins.list(&by_cap).await.expect("list")).contains(&remote.as_str()));
    let enabled = PluginList {
        filters: Filters::new().with("enabled", "true"),
    };
    assert!(!names(&plugins.list(&enabled).await.expect("list")).contains(&remote.as_str()));
    assert!(
        names(&plugins.list(&PluginList::default()).await.expect("list"))
            .contains(&remote.as_str())
    );

    // configure a declared Env setting; an undeclared one is the daemon's error
    p.configure([("DEBUG", "1")]).await.expect("configure");
    assert_eq!(p.settings().env, vec!["DEBUG=1"]);
    let e = p.configure([("NOPE", "1")]).await.expect_err("undeclared");
    assert_eq!(e.category(), Category::Server, "{e}");
    assert!(e.to_string().contains("setting \"NOPE\" not found"), "{e}");

    // disable a disabled plugin: the daemon says so
    let e = p.disable(false).await.expect_err("already disabled");
    assert_eq!(e.category(), Category::Conflict, "{e}");
    assert!(e.to_string().contains("already disabled"), "{e}");

    // enable: the daemon starts the server, which answers Plugin.Activate on berth.sock
    p.enable(Some(10)).await.expect("enable");
    assert!(p.enabled());
    p.reload().await.expect("reload");
    assert!(p.enabled());
    assert!(names(&plugins.list(&enabled).await.expect("list")).contains(&remote.as_str()));

    // a volume on the plugin's driver goes through the plugin: VolumeDriver.Create,
    // then Get, whose mountpoint and Status only the plugin knows
    let volumes = docker.volumes();
    let vname = unique("pluginvol");
    cleanup.add_volume(&vname);
    let mut vol = volumes
        .create(&VolumeCreate::named(vname.clone()).driver(remote.clone()))
        .await
        .expect("volume create through the plugin");
    assert_eq!(vol.name(), vname);
    assert_eq!(vol.attrs().driver, remote);
    vol.reload()
        .await
        .expect("volume inspect through the plugin");
    assert_eq!(vol.attrs().driver, remote);
    assert_eq!(
        vol.attrs().mountpoint,
        format!("/berth-test-plugin/volumes/{vname}")
    );
    assert_eq!(
        vol.attrs().attrs["Status"]["served-by"],
        "berth-test-plugin",
        "{:?}",
        vol.attrs().attrs
    );

    // settings of an enabled plugin: the daemon refuses, nothing changes
    let e = p.configure([("DEBUG", "3")]).await.expect_err("enabled");
    assert_eq!(e.category(), Category::Server, "{e}");
    assert!(
        e.to_string().contains("cannot set on an active plugin"),
        "{e}"
    );
    p.reload().await.expect("reload");
    assert_eq!(p.settings().env, vec!["DEBUG=1"]);

    // VolumeDriver.Remove: the volume is gone
    vol.remove(false)
        .await
        .expect("volume remove through the plugin");
    assert!(volumes.get(&vname).await.expect_err("gone").is_not_found());

    // disable (no volume uses the driver any more: no force needed)
    p.disable(false).await.expect("disable");
    assert!(!p.enabled());
    assert!(!names(&plugins.list(&enabled).await.expect("list")).contains(&remote.as_str()));
    assert_eq!(p.settings().env, vec!["DEBUG=1"]);

    // enable without a timeout (sent as 0: dockerd refuses a missing one), and off again
    p.enable(None)
        .await
        .expect("enable with the default timeout");
    p.reload().await.expect("reload");
    assert!(p.enabled());
    p.disable(false).await.expect("disable");
    assert!(!p.enabled());

    // push to the local registry
    let mut push = p.push().await.expect("push");
    let mut digest = None;
    while let Some(item) = push.next().await {
        let item = item.expect("push progress");
        if let Some(d) = item.attrs.get("aux").and_then(|a| a.get("Digest")) {
            digest = d.as_str().map(str::to_owned);
        }
    }
    let digest = digest.expect("the push reports a digest");
    assert!(digest.starts_with("sha256:"), "{digest}");

    // privileges of the pushed plugin
    let asked = plugins.privileges(&remote).await.expect("privileges");
    assert!(
        asked.iter().any(|p| p.name.as_deref() == Some("network")
            && p.value.as_deref() == Some(&["host".to_owned()][..])),
        "{asked:?}"
    );

    // a pull that grants nothing is refused inside the stream
    let refused = format!("{tag}-refused:latest");
    cleanup.add(&refused);
    let mut s = plugins
        .pull(&PluginPull {
            remote: remote.clone(),
            name: Some(refused.clone()),
            ..PluginPull::default()
        })
        .await
        .expect("pull starts");
    let mut last = None;
    while let Some(item) = s.next().await {
        if let Err(e) = item {
            last = Some(e);
            break;
        }
    }
    let e = last.expect("refused grant");
    assert_eq!(e.category(), Category::Stream, "{e}");
    assert!(e.to_string().contains("incorrect privileges"), "{e}");
    assert!(
        plugins
            .get(&refused)
            .await
            .expect_err("not installed")
            .is_not_found()
    );

    // install under another name (grants everything asked)
    let local = format!("{tag}-installed:latest");
    cleanup.add(&local);
    let mut installed = plugins
        .install(&remote, Some(&local))
        .await
        .expect("install");
    assert_eq!(installed.name(), local);
    assert!(!installed.enabled());
    assert_eq!(
        installed.attrs().plugin_reference.as_deref(),
        Some(remote.as_str())
    );
    assert_eq!(
        installed.settings().env,
        vec!["DEBUG=0"],
        "a fresh install has defaults"
    );

    // upgrade the disabled copy to the same remote, keeping its settings
    installed
        .configure([("DEBUG", "2")])
        .await
        .expect("configure");
    installed.upgrade(Some(&remote)).await.expect("upgrade");
    assert_eq!(installed.name(), local);
    assert_eq!(installed.settings().env, vec!["DEBUG=2"]);

    // remove
    installed.remove(false).await.expect("remove");
    assert!(plugins.get(&local).await.expect_err("gone").is_not_found());
    p.remove(true).await.expect("remove (force)");
    assert!(plugins.get(&remote).await.expect_err("gone").is_not_found());
}

#[tokio::test]
async fn create_from_a_tar_file_and_errors() {
    let docker: Docker = docker().await;
    let plugins = docker.plugins();
    let mut cleanup = Cleanup::default();
    let tag = unique("plugintar");
    let dir = plugin_dir(&tag);
    let tar_path = dir.0.join("plugin.tar");
    let status = Command::new("tar")
        .arg("-cf")
        .arg(&tar_path)
        .arg("-C")
        .arg(&dir.0)
        .args(["config.json", "rootfs"])
        .status()
        .expect("tar runs");
    assert!(status.success());

    let name = format!("{tag}:latest");
    cleanup.add(&name);
    let p = plugins
        .create(&tag, &tar_path)
        .await
        .expect("create from tar");
    assert_eq!(p.name(), name, ":latest implied");
    assert_eq!(p.attrs().config.description, "berth test plugin");
    p.remove(false).await.expect("remove");

    // a directory without config.json fails before any I/O
    let empty = TempDir::new("plugin-empty");
    let e = plugins
        .create(&tag, &empty.0)
        .await
        .expect_err("no config.json");
    assert_eq!(e.category(), Category::InvalidArgument, "{e}");
    let e = plugins
        .get("berth-test-no-such-plugin")
        .await
        .expect_err("404");
    assert!(e.is_not_found(), "{e}");
}

#[tokio::test]
async fn enabled_plugin_refuses_upgrade_and_in_use_needs_force_to_disable() {
    let docker: Docker = docker().await;
    let plugins = docker.plugins();
    let mut cleanup = Cleanup::default();
    let tag = unique("pluginbusy");
    let remote = format!("{REGISTRY}/{tag}:v1");
    let dir = plugin_dir(&tag);
    cleanup.add(&remote);
    let mut p = plugins.create(&remote, &dir.0).await.expect("create");
    p.configure([("DEBUG", "1")]).await.expect("configure");
    p.enable(Some(10)).await.expect("enable");
    let before = p.attrs().attrs.clone();

    // Upgrade of an enabled plugin: the daemon refuses before it looks at the remote
    // (which was never pushed). The endpoint itself, because `Plugin::upgrade` first
    // asks the remote's privileges: that needs a push, and a 20.10 daemon pushing
    // while another test pushes can die of a containerd pusher race (moby#46746).
    let upgrade = PluginUpgrade {
        name: remote.clone(),
        remote: format!("{REGISTRY}/{tag}-never-pushed:v2"),
        ..PluginUpgrade::default()
    };
    let e = match docker.stream(&upgrade).await {
        Ok(_) => panic!("the daemon upgraded an enabled plugin"),
        Err(e) => e,
    };
    assert_eq!(e.category(), Category::Conflict, "{e}");
    assert_eq!(
        e.kind().daemon_message(),
        Some(
            format!("plugin must be disabled before upgrading: plugin {remote} is enabled")
                .as_str()
        ),
        "{e}"
    );
    p.reload().await.expect("reload");
    assert_eq!(p.attrs().attrs, before, "the plugin is unchanged");
    assert!(p.enabled());

    // A volume on the plugin's driver holds a reference to the plugin: disabling it
    // without force is refused, and it stays enabled.
    let vname = unique("pluginbusyvol");
    cleanup.add_volume(&vname);
    let volumes = docker.volumes();
    volumes
        .create(&VolumeCreate::named(vname.clone()).driver(remote.clone()))
        .await
        .expect("volume through the plugin");
    let e = p.disable(false).await.expect_err("in use");
    assert_eq!(e.category(), Category::Conflict, "{e}");
    assert_eq!(
        e.kind().daemon_message(),
        Some(format!("plugin {remote} is in use").as_str()),
        "{e}"
    );
    p.reload().await.expect("reload");
    assert!(p.enabled(), "still enabled after the refusal");

    // `force` reaches the daemon: disabled although the volume still uses it.
    p.disable(true).await.expect("force disable");
    assert!(!p.enabled());
    assert!(
        !plugins.get(&remote).await.expect("inspect").enabled(),
        "the daemon reports it disabled"
    );

    // Back on, to remove the volume (force: the restarted plugin process has
    // forgotten the volumes it served), then off and gone.
    p.enable(Some(10)).await.expect("enable again");
    docker
        .execute(&VolumeRemove {
            name: vname.clone(),
            force: true,
        })
        .await
        .expect("remove the volume");
    assert!(volumes.get(&vname).await.expect_err("gone").is_not_found());
    p.disable(false).await.expect("disable: no longer in use");
    p.remove(false).await.expect("remove");
    assert!(plugins.get(&remote).await.expect_err("gone").is_not_found());
}
