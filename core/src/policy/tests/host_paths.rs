//! Bind sources judged by where they lead (a host that shares the daemon's filesystem
//! resolves symlinks for the policy): a fake resolver stands in for the filesystem.

use super::*;

/// `/srv/data` is granted (STD). Inside it: `link` → `/etc`, `sock` → the docker
/// socket, `inner` → `/srv/data/real`; `loop` cannot be resolved.
fn resolve(path: &str) -> Result<String, String> {
    let map = [
        ("/srv/data/link", "/etc"),
        ("/srv/data/sock", "/var/run/docker.sock"),
        ("/srv/data/inner", "/srv/data/real"),
    ];
    if path == "/srv/data/loop" {
        return Err("too many levels of symbolic links".to_owned());
    }
    for (from, to) in map {
        if path == from {
            return Ok(to.to_owned());
        }
        if let Some(rest) = path.strip_prefix(from)
            && rest.starts_with('/')
        {
            return Ok(format!("{to}{rest}"));
        }
    }
    Ok(path.to_owned())
}

fn create_with(p: &mut Policy, extra: &str) -> Verdict {
    check(
        p,
        "POST",
        "/v1.41/containers/create",
        Some(&create_body(extra)),
    )
}

#[test]
fn a_symlink_in_a_granted_directory_is_judged_by_where_it_leads() {
    let cases = [
        (
            r#""HostConfig":{"Binds":["/srv/data/link:/x"]}"#,
            "bind-path",
        ),
        (
            r#""HostConfig":{"Binds":["/srv/data/link/passwd:/x:ro"]}"#,
            "bind-path",
        ),
        (
            r#""HostConfig":{"Binds":["/srv/data/sock:/s"]}"#,
            "docker-socket",
        ),
        (
            r#""HostConfig":{"Binds":["/srv/data/loop:/x"]}"#,
            "bind-path",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"bind","Source":"/srv/data/link","Target":"/x"}]}"#,
            "bind-path",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"type":"none","o":"bind","device":"/srv/data/link"}}}}]}"#,
            "bind-path",
        ),
        // Leading inside the grant, or no symlink at all: allowed.
        (r#""HostConfig":{"Binds":["/srv/data/inner:/x"]}"#, "ok"),
        (r#""HostConfig":{"Binds":["/srv/data/inner/sub:/x"]}"#, "ok"),
        (r#""HostConfig":{"Binds":["/srv/data/plain:/x"]}"#, "ok"),
    ];
    for (extra, want) in cases {
        let mut p = policy(STD).with_host_paths(resolve);
        let v = create_with(&mut p, extra);
        let got = match &v {
            Verdict::Deny(d) => {
                if want != "ok" && d.rule != "docker-socket" {
                    assert!(
                        d.reason.contains("symbolic")
                            || d.reason.contains("symlink")
                            || d.reason.contains("cannot be resolved"),
                        "{extra}: {}",
                        d.reason
                    );
                }
                d.rule.to_owned()
            }
            _ => "ok".to_owned(),
        };
        assert_eq!(got, want, "{extra}: {v:?}");
        // Without a resolver the same requests are judged by name: all inside the grant.
        let mut by_name = policy(STD);
        assert!(
            !matches!(create_with(&mut by_name, extra), Verdict::Deny(_)),
            "{extra}"
        );
    }
    let mut p = policy(STD).with_host_paths(resolve);
    let d = denied(create_with(
        &mut p,
        r#""HostConfig":{"Binds":["/srv/data/link:/x"]}"#,
    ));
    assert!(
        d.reason.contains(r#""/etc""#),
        "names the target: {}",
        d.reason
    );
}

#[test]
fn a_granted_directory_reached_through_a_symlink_still_grants_what_is_under_it() {
    // The grant names /srv/data, which is a symlink to /mnt/data on this host.
    let moved = |path: &str| -> Result<String, String> {
        Ok(match path.strip_prefix("/srv/data") {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("/mnt/data{rest}"),
            _ => path.to_owned(),
        })
    };
    let mut p = policy(STD).with_host_paths(moved);
    assert!(!matches!(
        create_with(&mut p, r#""HostConfig":{"Binds":["/srv/data/sub:/x"]}"#),
        Verdict::Deny(_)
    ));
    // A path outside the grant by name stays refused, wherever it leads.
    assert_eq!(
        denied(create_with(
            &mut p,
            r#""HostConfig":{"Binds":["/mnt/data/sub:/x"]}"#
        ))
        .rule,
        "bind-path"
    );
}

#[test]
fn each_refusal_names_its_rule_and_says_why() {
    // (bind, rule, words the reason must hold), by name and through a symlink.
    let cases = [
        (
            "/var/run/docker.sock:/s",
            "docker-socket",
            "would expose the container engine's socket or state; only a grant naming that exact path",
        ),
        ("/etc:/x", "bind-path", "is outside the grant's binds"),
        (
            "/srv/data/sock:/s",
            "docker-socket",
            "leads to \"/var/run/docker.sock\" (through a symlink), which would expose the container engine's socket or state",
        ),
        (
            "/srv/data/link:/x",
            "bind-path",
            "leads to \"/etc\" (through a symlink), outside the grant's binds",
        ),
    ];
    for (bind, rule, why) in cases {
        let mut p = policy(STD).with_host_paths(resolve);
        let extra = format!(r#""HostConfig":{{"Binds":["{bind}"]}}"#);
        let d = denied(create_with(&mut p, &extra));
        assert_eq!(d.rule, rule, "{bind}: {}", d.reason);
        assert!(d.reason.contains(why), "{bind}: {}", d.reason);
    }
}
