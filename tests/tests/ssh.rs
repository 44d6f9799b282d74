//! ssh:// transport: a real sshd on 127.0.0.1 (tests/engine/sshd.sh) carrying the API of
//! the test daemon through `docker system dial-stdio`.

use std::path::{Path, PathBuf};
use std::process::Command;

use berth::DockerBuilder;
use berth_tests::docker_cli;

struct Sshd {
    dir: PathBuf,
}

impl Sshd {
    fn start() -> Sshd {
        let dir = std::env::temp_dir().join("berth-ssh-test");
        let out = Command::new(script())
            .arg(&dir)
            .output()
            .expect("run sshd.sh");
        assert!(
            out.status.success(),
            "sshd.sh failed (needs root and openssh-server): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Sshd { dir }
    }

    fn ssh_args(&self) -> Vec<String> {
        vec![
            "-F".into(),
            self.dir.join("ssh_config").to_string_lossy().into_owned(),
        ]
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(&self.dir).output();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/sshd.sh")
}

#[tokio::test]
async fn ssh_transport_reaches_the_daemon_and_pools() {
    let sshd = Sshd::start();
    let docker = DockerBuilder::new("ssh://berth-ssh-test")
        .ssh_args(sshd.ssh_args())
        .build()
        .expect("client");
    let info = docker.info().await.expect("info over ssh");
    assert_eq!(
        info.id.as_deref(),
        Some(docker_cli(&["info", "--format", "{{.ID}}"]).as_str())
    );
    for _ in 0..20 {
        docker
            .ping()
            .await
            .expect("ping over the pooled ssh connection");
    }

    // A host ssh cannot reach: the error carries what ssh printed.
    let e = DockerBuilder::new("ssh://root@127.0.0.1:1")
        .ssh_args(vec!["-o".into(), "BatchMode=yes".into()])
        .build()
        .expect("client")
        .ping()
        .await
        .expect_err("nothing listens on port 1");
    assert_eq!(e.category(), berth::Category::Transport, "{e:?}");
    assert!(e.to_string().contains("refused"), "{e}");
}
