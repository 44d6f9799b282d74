//! Attempts to get around the policy with crafted requests.

use super::{STD, allowed, check, create, create_body, denied, policy, rule};

#[test]
fn container_create_rules() {
    // (extra top-level keys of a labelled create body, expected rule or "ok")
    let cases: &[(&str, &str)] = &[
        ("", "ok"),
        (r#""HostConfig":{"Privileged":false}"#, "ok"),
        (r#""HostConfig":{"Privileged":true}"#, "privileged"),
        // Go matches keys case-insensitively.
        (r#""hostconfig":{"privileged":true}"#, "privileged"),
        (r#""HOSTCONFIG":{"PRIVILEGED":true}"#, "privileged"),
        (r#""HostConfig":{"PrivilegeD":true}"#, "privileged"),
        // The deprecated top-level host config is still read by the daemon.
        (r#""Privileged":true"#, "privileged"),
        (r#""privileged":true"#, "privileged"),
        (r#""Binds":["/:/host"]"#, "docker-socket"),
        // Duplicates: the daemon takes the last one.
        (
            r#""HostConfig":{"Privileged":false,"Privileged":true}"#,
            "ambiguous-json",
        ),
        (
            r#""HostConfig":{"Privileged":false,"privileged":true}"#,
            "ambiguous-json",
        ),
        (
            r#""HostConfig":{"Privileged":false},"hostConfig":{"Privileged":true}"#,
            "ambiguous-json",
        ),
        (
            r#""HostConfig":{"LogConfig":{"Type":"json-file","type":"syslog"}}"#,
            "ambiguous-json",
        ),
        (r#""Image":"busybox""#, "ambiguous-json"),
        // Unicode folding: ſ (U+017F) is s, K (U+212A) is k to Go.
        ("\"HostConfig\":{\"Bindſ\":[\"/etc:/x\"]}", "bind-path"),
        (
            "\"HostConfig\":{\"Binds\":[],\"Bindſ\":[\"/etc:/x\"]}",
            "ambiguous-json",
        ),
        // JSON escapes in keys are decoded before matching.
        (r#""HostConfig":{"Privil\u0065ged":true}"#, "privileged"),
        (r#""Host\u0043onfig":{"Privileged":true}"#, "privileged"),
        (
            r#""HostConfig":{"Annotations":{"run.oci.seccomp.receiver":"/x"}}"#,
            "annotations",
        ),
        // Type confusion.
        (r#""HostConfig":{"Privileged":"true"}"#, "json-type"),
        (r#""HostConfig":{"Privileged":1}"#, "json-type"),
        (r#""HostConfig":[]"#, "json-type"),
        (r#""HostConfig":{"Privileged":null}"#, "ok"),
        // Binds.
        (r#""HostConfig":{"Binds":["/srv/data:/data"]}"#, "ok"),
        (r#""HostConfig":{"Binds":["/srv/data/sub:/data:ro"]}"#, "ok"),
        (
            r#""HostConfig":{"Binds":["/srv/database:/data"]}"#,
            "bind-path",
        ),
        (r#""HostConfig":{"Binds":["/:/host"]}"#, "docker-socket"),
        (r#""HostConfig":{"Binds":["/etc:/host"]}"#, "bind-path"),
        (
            r#""HostConfig":{"Binds":["/srv/data/../../etc:/x"]}"#,
            "bind-path",
        ),
        (
            r#""HostConfig":{"Binds":["/var/run/docker.sock:/var/run/docker.sock"]}"#,
            "docker-socket",
        ),
        (
            r#""HostConfig":{"Binds":["/run/docker.sock:/s"]}"#,
            "docker-socket",
        ),
        (
            r#""HostConfig":{"Binds":["/var/run/../run/docker.sock:/s"]}"#,
            "bind-path",
        ),
        (
            r#""HostConfig":{"Binds":["//var//run/./docker.sock:/s"]}"#,
            "docker-socket",
        ),
        (r#""HostConfig":{"Binds":["/var/run:/s"]}"#, "docker-socket"),
        (
            r#""HostConfig":{"Binds":["/run/containerd/containerd.sock:/s"]}"#,
            "docker-socket",
        ),
        (
            r#""HostConfig":{"Binds":["/run/user/1000/podman.sock:/s"]}"#,
            "docker-socket",
        ),
        (r#""HostConfig":{"Binds":["/data"]}"#, "ok"),
        (r#""HostConfig":{"Binds":"/etc:/x"}"#, "bind-path"),
        (r#""HostConfig":{"Binds":[1]}"#, "json-type"),
        (r#""HostConfig":{"Binds":["../x:/x"]}"#, "bind-path"),
        // Mounts.
        (
            r#""HostConfig":{"Mounts":[{"Type":"bind","Source":"/srv/data","Target":"/d"}]}"#,
            "ok",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]}"#,
            "docker-socket",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"BIND","Source":"/etc","Target":"/h"}]}"#,
            "bind-path",
        ),
        (
            r#""HostConfig":{"Mounts":[{"type":"bind","source":"/var/run/docker.sock","target":"/s"}]}"#,
            "docker-socket",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"tmpfs","Target":"/t"}]}"#,
            "ok",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"npipe","Source":"x","Target":"/t"}]}"#,
            "mount-type",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Source":"/etc","Target":"/t"}]}"#,
            "mount-type",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}]}"#,
            "docker-socket",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"type":"none","o":"rw,rbind","device":"/etc"}}}}]}"#,
            "bind-path",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"type":"ext4","device":"/dev/sda1"}}}}]}"#,
            "volume-driver-opts",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"type":"tmpfs","device":"tmpfs","o":"size=64m"}}}}]}"#,
            "ok",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"sshfs"}}}]}"#,
            "volume-driver",
        ),
        (r#""HostConfig":{"VolumeDriver":"sshfs"}"#, "volume-driver"),
        // Namespaces.
        (r#""HostConfig":{"NetworkMode":"host"}"#, "host-network"),
        (r#""HostConfig":{"NetworkMode":"HOST"}"#, "host-network"),
        (r#""NetworkMode":"host""#, "host-network"),
        (r#""HostConfig":{"NetworkMode":"bridge"}"#, "ok"),
        (r#""HostConfig":{"NetworkMode":"none"}"#, "ok"),
        (r#""HostConfig":{"PidMode":"host"}"#, "host-pid"),
        (r#""HostConfig":{"pidmode":"host"}"#, "host-pid"),
        (r#""HostConfig":{"IpcMode":"host"}"#, "host-ipc"),
        (r#""HostConfig":{"IpcMode":"shareable"}"#, "ok"),
        (r#""HostConfig":{"UTSMode":"host"}"#, "host-uts"),
        (r#""HostConfig":{"UsernsMode":"host"}"#, "host-userns"),
        (r#""HostConfig":{"CgroupnsMode":"host"}"#, "host-cgroupns"),
        (r#""HostConfig":{"PidMode":"weird"}"#, "host-pid"),
        (
            r#""NetworkingConfig":{"EndpointsConfig":{"host":{}}}"#,
            "host-network",
        ),
        // Devices and capabilities.
        (
            r#""HostConfig":{"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]}"#,
            "devices",
        ),
        (r#""HostConfig":{"Devices":[]}"#, "ok"),
        (
            r#""HostConfig":{"DeviceCgroupRules":["a *:* rwm"]}"#,
            "devices",
        ),
        (
            r#""HostConfig":{"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}]}"#,
            "gpus",
        ),
        (r#""HostConfig":{"CapAdd":["ALL"]}"#, "cap-add"),
        (r#""HostConfig":{"CapAdd":["SYS_ADMIN"]}"#, "cap-add"),
        (r#""HostConfig":{"CapAdd":["cap_sys_admin"]}"#, "cap-add"),
        (r#""HostConfig":{"CapAdd":"SYS_ADMIN"}"#, "cap-add"),
        (
            r#""HostConfig":{"Capabilities":["CAP_SYS_ADMIN"]}"#,
            "cap-add",
        ),
        (r#""HostConfig":{"CapAdd":[]}"#, "ok"),
        (r#""HostConfig":{"CapDrop":["ALL"]}"#, "ok"),
        // Security options.
        (
            r#""HostConfig":{"SecurityOpt":["seccomp=unconfined"]}"#,
            "security-opt-unconfined",
        ),
        (
            r#""HostConfig":{"SecurityOpt":["seccomp:unconfined"]}"#,
            "security-opt-unconfined",
        ),
        (
            r#""HostConfig":{"SecurityOpt":["apparmor=unconfined"]}"#,
            "security-opt-unconfined",
        ),
        (
            r#""HostConfig":{"SecurityOpt":["label=disable"]}"#,
            "security-opt-unconfined",
        ),
        (
            r#""HostConfig":{"SecurityOpt":["label:disable"]}"#,
            "security-opt-unconfined",
        ),
        (
            r#""HostConfig":{"SecurityOpt":["systempaths=unconfined"]}"#,
            "security-opt-unconfined",
        ),
        (
            r#""HostConfig":{"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"]}"#,
            "security-opt",
        ),
        (
            r#""HostConfig":{"SecurityOpt":["no-new-privileges"]}"#,
            "ok",
        ),
        (r#""HostConfig":{"MaskedPaths":[]}"#, "masked-paths"),
        (r#""HostConfig":{"ReadonlyPaths":[]}"#, "masked-paths"),
        // Other host reach.
        (r#""HostConfig":{"CgroupParent":"/"}"#, "cgroup-parent"),
        (
            r#""HostConfig":{"Sysctls":{"kernel.shm_rmid_forced":"1"}}"#,
            "sysctls",
        ),
        (r#""HostConfig":{"Runtime":"runc"}"#, "ok"),
        (
            r#""HostConfig":{"Runtime":"io.containerd.runsc.v1"}"#,
            "runtime",
        ),
        (
            r#""HostConfig":{"LogConfig":{"Type":"syslog","Config":{"syslog-address":"udp://evil:514"}}}"#,
            "log-driver",
        ),
        (r#""HostConfig":{"LogConfig":{"Type":"json-file"}}"#, "ok"),
        (
            r#""HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080"}]},"RestartPolicy":{"Name":"no"}}"#,
            "ok",
        ),
        // Trailing data the daemon's decoder would ignore.
    ];
    let mut failures = Vec::new();
    for (extra, want) in cases {
        let v = create(extra);
        let got = match &v {
            super::super::Verdict::Allow(_) => "ok".to_owned(),
            other => rule(other),
        };
        if got != *want {
            failures.push(format!("{extra}\n    want {want}, got {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn create_image_and_labels() {
    let mut p = policy(STD);
    for (body, want) in [
        (
            r#"{"Image":"evil.example.com/x","Labels":{"berth.plugin":"t"}}"#,
            "image-not-allowed",
        ),
        (
            r#"{"Image":"docker.io/library/busybox:1","Labels":{"berth.plugin":"t"}}"#,
            "ok",
        ),
        (
            r#"{"Image":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","Labels":{"berth.plugin":"t"}}"#,
            "image-not-allowed",
        ),
        (
            r#"{"Image":"abc123","Labels":{"berth.plugin":"t"}}"#,
            "image-not-allowed",
        ),
        (r#"{"Labels":{"berth.plugin":"t"}}"#, "image-not-allowed"),
        (r#"{"Image":"busybox"}"#, "unlabelled-create"),
        (
            r#"{"Image":"busybox","Labels":{"berth.plugin":"other"}}"#,
            "unlabelled-create",
        ),
        (
            r#"{"Image":"busybox","Labels":{"Berth.Plugin":"t"}}"#,
            "unlabelled-create",
        ),
        (
            r#"{"Image":"busybox","Labels":{"berth.plugin":"t","berth.plugin":"x"}}"#,
            "ambiguous-json",
        ),
        (
            r#"{"Image":"busybox","Labels":["berth.plugin=t"]}"#,
            "json-type",
        ),
        (r#"{"Image":"busybox","labels":{"berth.plugin":"t"}}"#, "ok"),
        (
            r#"{"Image":"busybox","Labels":{"berth.plugin":"t"}} {"HostConfig":{"Privileged":true}}"#,
            "malformed-json",
        ),
        (
            r#"{"Image":"busybox","Labels":{"berth.plugin":"t"}"#,
            "malformed-json",
        ),
        ("not json", "malformed-json"),
        ("[]", "json-type"),
        ("", "malformed-json"),
    ] {
        let v = check(&mut p, "POST", "/containers/create", Some(body.as_bytes()));
        let got = match &v {
            super::super::Verdict::Allow(_) => "ok".to_owned(),
            other => rule(other),
        };
        assert_eq!(got, want, "{body}");
    }
    // A JSON endpoint's body must be visible.
    let d = denied(check(&mut p, "POST", "/containers/create", None));
    assert_eq!(d.rule, "streamed-json-body");
    // Invalid UTF-8 in a body.
    let mut bad = create_body("");
    bad.insert(10, 0xff);
    assert_eq!(
        rule(&check(&mut p, "POST", "/containers/create", Some(&bad))),
        "malformed-json"
    );
}

#[test]
fn path_tricks() {
    let mut p = policy(STD);
    let body = create_body("");
    for (path, want) in [
        ("/v1.41/containers/create", "ok"),
        ("/v1.24/containers/create", "ok"),
        ("/v99.0/containers/create", "ok"),
        ("/v1.23/containers/create", "api-version"),
        ("/v1.12/containers/create", "api-version"),
        ("/v1/containers/create", "api-version"),
        ("/v1.41.0/containers/create", "api-version"),
        ("/V1.41/containers/create", "unknown-endpoint"),
        ("/v1.41/v1.41/containers/create", "unknown-endpoint"),
        ("containers/create", "path-form"),
        ("http://evil/containers/create", "path-form"),
        ("//containers/create", "path-empty-segment"),
        ("/containers//create", "path-empty-segment"),
        ("/containers/create/", "path-empty-segment"),
        ("/containers/./create", "path-dot-segment"),
        ("/containers/../containers/create", "path-dot-segment"),
        ("/containers/%2e%2e/containers/create", "path-dot-segment"),
        ("/containers/%2E/create", "path-dot-segment"),
        ("/containers%2fcreate", "path-smuggling"),
        ("/containers%2Fcreate", "path-smuggling"),
        ("/containers/cre%61te", "ok"),
        ("/containers/create%00", "path-smuggling"),
        ("/containers/create%", "path-encoding"),
        ("/containers/create%zz", "path-encoding"),
        ("/containers/create%ff", "path-encoding"),
        ("/containers/%252e%252e/create", "path-smuggling"),
        ("/containers/create#frag", "path-chars"),
        ("/containers\\create", "path-chars"),
        ("/containers/create?name=a b", "path-chars"),
        ("/containers/crëate", "path-chars"),
        ("/containers/create?name=x&name=y", "ambiguous-query"),
        ("/containers/create?name=x;name=y", "query-encoding"),
        ("/containers/create?name=%zz", "query-encoding"),
        ("/containers/create?name=a%00b", "query-encoding"),
        ("/containers/create?name=web+1", "ok"),
    ] {
        let v = check(&mut p, "POST", path, Some(&body));
        let got = match &v {
            super::super::Verdict::Allow(_) => "ok".to_owned(),
            other => rule(other),
        };
        assert_eq!(got, want, "{path}");
    }
    // What leaves is canonical.
    let a = allowed(check(
        &mut p,
        "POST",
        "/v01.41/containers/cre%61te?name=web+1",
        Some(&body),
    ));
    assert_eq!(a.path, "/v1.41/containers/create?name=web%201");
    assert_eq!(a.operation.api_version.as_deref(), Some("1.41"));
    // Ids with encoded slashes cannot reach another route.
    let mut p = policy(r#"allow = ["containers.inspect"]"#);
    let v = check(
        &mut p,
        "GET",
        "/containers/x%2F..%2F..%2Fimages%2Fjson/json",
        Some(b""),
    );
    assert_eq!(rule(&v), "path-smuggling");
}

#[test]
fn other_create_rules() {
    let mut p = policy(STD);
    for (method, path, body, want) in [
        // exec
        (
            "POST",
            "/exec/e1/start",
            r#"{"Detach":false,"Tty":false}"#,
            "LOOKUP /exec/e1/json",
        ),
        (
            "POST",
            "/containers/c1/exec",
            r#"{"Cmd":["id"],"User":"root","Privileged":true}"#,
            "privileged",
        ),
        (
            "POST",
            "/containers/c1/exec",
            r#"{"Cmd":["id"],"privileged":true}"#,
            "privileged",
        ),
        (
            "POST",
            "/containers/c1/exec",
            r#"{"Cmd":["id"],"User":"root"}"#,
            "LOOKUP /containers/c1/json",
        ),
        // images
        (
            "POST",
            "/images/create?fromImage=busybox&tag=berth-test",
            "",
            "ok",
        ),
        (
            "POST",
            "/images/create?fromImage=127.0.0.1%3A5000%2Fbusybox&tag=berth-test",
            "",
            "ok",
        ),
        (
            "POST",
            "/images/create?fromImage=evil.example.com%2Fx&tag=1",
            "",
            "image-not-allowed",
        ),
        (
            "POST",
            "/images/create?fromImage=evil.example.com/busybox",
            "",
            "image-not-allowed",
        ),
        (
            "POST",
            "/images/create?fromImage=busybox&fromImage=evil.example.com%2Fx",
            "",
            "ambiguous-query",
        ),
        (
            "POST",
            "/images/create?fromImage=busybox&fromSrc=http%3A%2F%2Fevil",
            "",
            "ambiguous-query",
        ),
        (
            "POST",
            "/images/create?fromSrc=http%3A%2F%2Fevil%2Fx.tar&repo=busybox",
            "",
            "remote",
        ),
        (
            "POST",
            "/images/create?fromSrc=-&repo=evil.example.com%2Fx",
            "",
            "image-not-allowed",
        ),
        (
            "POST",
            "/images/create?fromSrc=-&repo=busybox&tag=imported",
            "",
            "ok",
        ),
        ("POST", "/images/create", "", "image-not-allowed"),
        ("POST", "/images/busybox/push?tag=1", "", "ok"),
        (
            "POST",
            "/images/evil.example.com/x/push",
            "",
            "image-not-allowed",
        ),
        (
            "POST",
            "/images/busybox/tag?repo=127.0.0.1%3A5000%2Fbusybox&tag=x",
            "",
            "ok",
        ),
        (
            "POST",
            "/images/evil.example.com/x/tag?repo=busybox&tag=latest",
            "",
            "image-not-allowed",
        ),
        (
            "POST",
            "/images/busybox/tag?repo=evil.example.com%2Fx",
            "",
            "image-not-allowed",
        ),
        (
            "DELETE",
            "/images/evil.example.com/x",
            "",
            "image-not-allowed",
        ),
        ("POST", "/images/load", "", "image-load"),
        (
            "GET",
            "/distribution/evil.example.com/x/json",
            "",
            "image-not-allowed",
        ),
        // build
        (
            "POST",
            "/build?t=busybox%3Amine&t=127.0.0.1%3A5000%2Fapp",
            "",
            "ok",
        ),
        (
            "POST",
            "/build?t=busybox%3Amine&t=evil.example.com%2Fapp",
            "",
            "image-not-allowed",
        ),
        ("POST", "/build?networkmode=host", "", "host-network"),
        (
            "POST",
            "/build?remote=https%3A%2F%2Fevil%2Fctx.git",
            "",
            "remote",
        ),
        ("POST", "/build?extrahosts=a%3A1.2.3.4", "", "ok"),
        ("POST", "/build?cgroupparent=%2F", "", "cgroup-parent"),
        ("POST", "/build?version=2", "", "buildkit"),
        // networks and volumes
        (
            "POST",
            "/networks/create",
            r#"{"Name":"n","Labels":{"berth.plugin":"t"}}"#,
            "ok",
        ),
        (
            "POST",
            "/networks/create",
            r#"{"Name":"n"}"#,
            "unlabelled-create",
        ),
        (
            "POST",
            "/networks/create",
            r#"{"Name":"n","Driver":"macvlan","Labels":{"berth.plugin":"t"}}"#,
            "network-driver",
        ),
        (
            "POST",
            "/volumes/create",
            r#"{"Name":"v","Labels":{"berth.plugin":"t"}}"#,
            "ok",
        ),
        (
            "POST",
            "/volumes/create",
            r#"{"Name":"v"}"#,
            "unlabelled-create",
        ),
        (
            "POST",
            "/volumes/create",
            r#"{"Name":"v","Labels":{"berth.plugin":"t"},"DriverOpts":{"type":"none","o":"bind","device":"/"}}"#,
            "docker-socket",
        ),
        (
            "POST",
            "/volumes/create",
            r#"{"Name":"v","Labels":{"berth.plugin":"t"},"DriverOpts":{"type":"none","o":"bind","device":"/srv/data/v"}}"#,
            "ok",
        ),
        (
            "POST",
            "/volumes/create",
            r#"{"Name":"v","Labels":{"berth.plugin":"t"},"DriverOpts":{"o":"bind","device":"/etc"}}"#,
            "bind-path",
        ),
        (
            "POST",
            "/volumes/create",
            r#"{"Name":"v","Labels":{"berth.plugin":"t"},"Driver":"vieux/sshfs"}"#,
            "volume-driver",
        ),
        // services
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}"#,
            "ok",
        ),
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}"#,
            "unlabelled-create",
        ),
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"},"TaskTemplate":{"ContainerSpec":{"Image":"evil.example.com/x"}}}"#,
            "image-not-allowed",
        ),
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox","Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Target":"/s"}]}}}"#,
            "docker-socket",
        ),
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox","CapabilityAdd":["CAP_SYS_ADMIN"]}}}"#,
            "cap-add",
        ),
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox","Privileges":{"Seccomp":{"Mode":"unconfined"}}}}}"#,
            "security-opt-unconfined",
        ),
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"Networks":[{"Target":"host"}]}}"#,
            "host-network",
        ),
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"},"TaskTemplate":{"PluginSpec":{"Name":"x"}}}"#,
            "service-runtime",
        ),
        (
            "POST",
            "/services/create",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox","Secrets":[{"SecretID":"abc","SecretName":"x"}]}}}"#,
            "LOOKUP /secrets/abc",
        ),
        // secrets, configs, plugins
        (
            "POST",
            "/secrets/create",
            r#"{"Name":"s","Data":"eA==","Labels":{"berth.plugin":"t"}}"#,
            "ok",
        ),
        (
            "POST",
            "/secrets/create",
            r#"{"Name":"s","Data":"eA=="}"#,
            "unlabelled-create",
        ),
        (
            "POST",
            "/configs/create",
            r#"{"Name":"c","Data":"eA==","Labels":{"berth.plugin":"t"}}"#,
            "ok",
        ),
        (
            "POST",
            "/plugins/pull?remote=busybox",
            r#"[{"Name":"network","Value":["host"]}]"#,
            "plugin-privileges",
        ),
        ("POST", "/plugins/pull?remote=busybox", "[]", "ok"),
        (
            "POST",
            "/plugins/pull?remote=evil.example.com%2Fp",
            "[]",
            "image-not-allowed",
        ),
        ("POST", "/plugins/p1/set", r#"["DEBUG=1"]"#, "ok"),
        (
            "POST",
            "/plugins/p1/set",
            r#"["mount1.source=/"]"#,
            "plugin-set",
        ),
        ("POST", "/plugins/create?name=p", "", "image-load"),
        // commit
        (
            "POST",
            "/commit?container=c1&repo=evil.example.com%2Fx",
            "",
            "image-not-allowed",
        ),
        (
            "POST",
            "/commit?container=c1&repo=busybox&tag=snap",
            "",
            "LOOKUP /containers/c1/json",
        ),
        // bodies where none belong; no body smuggled through a streamed upload
        (
            "POST",
            "/containers/c1/start",
            r#"{"Privileged":true}"#,
            "unexpected-body",
        ),
        ("GET", "/_ping", "x", "unexpected-body"),
        (
            "POST",
            "/swarm/init",
            r#"{"ListenAddr":"0.0.0.0:2377","listenaddr":"x"}"#,
            "ambiguous-json",
        ),
    ] {
        let v = check(&mut p, method, path, Some(body.as_bytes()));
        let got = match &v {
            super::super::Verdict::Allow(_) => "ok".to_owned(),
            other => rule(other),
        };
        assert_eq!(got, want, "{method} {path} {body}");
    }
    // Streamed uploads: fine for archives and build contexts, refused elsewhere.
    assert!(matches!(
        check(&mut p, "POST", "/build?t=busybox%3Ax", None),
        super::super::Verdict::Allow(_)
    ));
    assert_eq!(
        rule(&check(&mut p, "POST", "/containers/c1/start", None)),
        "streamed-body"
    );
    assert_eq!(
        rule(&check(&mut p, "POST", "/networks/create", None)),
        "streamed-json-body"
    );
    assert_eq!(
        rule(&check(
            &mut p,
            "PUT",
            "/containers/c1/archive?path=%2Ftmp",
            None
        )),
        "LOOKUP /containers/c1/json"
    );
}

#[test]
fn grants_open_what_they_name() {
    let mut p = policy(
        r#"
allow = ["containers.create", "images.load"]
images = ["*"]
binds = ["/var/run/docker.sock", "/dev"]
caps = ["NET_ADMIN", "ALL"]
devices = ["/dev/fuse"]
sysctls = ["net.ipv4.*"]
runtimes = ["runsc"]
gpus = true
"#,
    );
    for extra in [
        r#""HostConfig":{"Binds":["/var/run/docker.sock:/var/run/docker.sock"]}"#,
        r#""HostConfig":{"CapAdd":["NET_ADMIN","CAP_NET_ADMIN"]}"#,
        r#""HostConfig":{"CapAdd":["ALL"]}"#,
        r#""HostConfig":{"Devices":[{"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse"}]}"#,
        r#""HostConfig":{"Sysctls":{"net.ipv4.ip_forward":"1"}}"#,
        r#""HostConfig":{"Runtime":"runsc"}"#,
        r#""HostConfig":{"DeviceRequests":[{"Count":-1,"Capabilities":[["gpu"]]}]}"#,
        r#""Image":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef""#,
    ] {
        let body = format!(r#"{{"Image":"busybox",{extra}}}"#);
        let body = body.replace(r#""Image":"busybox","Image""#, r#""Image""#);
        let v = check(&mut p, "POST", "/containers/create", Some(body.as_bytes()));
        assert!(
            matches!(v, super::super::Verdict::Allow(_)),
            "{extra}: {}",
            rule(&v)
        );
    }
    // A socket that was not named exactly stays closed, even below an allowed dir.
    let v = check(
        &mut p,
        "POST",
        "/containers/create",
        Some(br#"{"Image":"busybox","HostConfig":{"Binds":["/var/run:/r"]}}"#),
    );
    assert_eq!(rule(&v), "docker-socket");
    assert!(matches!(
        check(&mut p, "POST", "/images/load", None),
        super::super::Verdict::Allow(_)
    ));
}
