//! The provisioned registry without auth, spoken to over its own HTTP API (with curl)
//! for what no daemon call does: read a manifest's digest, put a manifest list.

use std::process::Command;

/// The local registry without auth (tests/engine/provision.sh).
pub const REGISTRY: &str = "127.0.0.1:5000";

/// Runs curl with `args`; its stdout. Panics with curl's stderr on failure.
fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(args).output().expect("curl runs");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The registry's digest and size of the v2 manifest of `repo:tag`.
pub fn manifest(repo: &str, tag: &str) -> (String, u64) {
    let head = curl(&[
        "-fsSI",
        "-H",
        "Accept: application/vnd.docker.distribution.manifest.v2+json",
        &format!("http://{REGISTRY}/v2/{repo}/manifests/{tag}"),
    ]);
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("{name} header in {head}"))
    };
    let size = header("content-length").parse().expect("a length");
    (header("docker-content-digest"), size)
}

/// Puts a manifest list at `repo:list_tag` whose entries are the manifests of
/// `repo:<arch>`, each declared `linux/<arch>`: the daemon picks an entry by that
/// declaration alone, so any image pushed under the tag `<arch>` will do.
pub fn put_manifest_list(repo: &str, list_tag: &str, archs: &[&str]) {
    let entries: Vec<serde_json::Value> = archs
        .iter()
        .map(|arch| {
            let (digest, size) = manifest(repo, arch);
            serde_json::json!({
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "digest": digest,
                "size": size,
                "platform": {"architecture": arch, "os": "linux"},
            })
        })
        .collect();
    let list = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": entries,
    });
    curl(&[
        "-fsS",
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/vnd.docker.distribution.manifest.list.v2+json",
        "--data-binary",
        &list.to_string(),
        &format!("http://{REGISTRY}/v2/{repo}/manifests/{list_tag}"),
    ]);
}
