//! TLS against a second, real dockerd that only accepts clients with certificates
//! (started by tests/engine/tls-dockerd.sh beside the main daemon).

use std::path::{Path, PathBuf};
use std::process::Command;

use berth::transport::TlsSettings;
use berth::{Category, DockerBuilder};

const PORT: u16 = 23760;

struct TlsDaemon {
    dir: PathBuf,
}

impl TlsDaemon {
    fn start() -> TlsDaemon {
        let dir = std::env::temp_dir().join("berth-tls-test");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/tls-dockerd.sh");
        let out = Command::new(&script)
            .arg(&dir)
            .arg(PORT.to_string())
            .output()
            .expect("run tls-dockerd.sh");
        assert!(
            out.status.success(),
            "tls-dockerd.sh failed (needs root, openssl, dockerd): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        TlsDaemon { dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn settings(&self) -> TlsSettings {
        TlsSettings {
            ca: Some(self.file("ca.pem")),
            client_cert: Some((self.file("cert.pem"), self.file("key.pem"))),
            verify: true,
            server_name: None,
        }
    }
}

impl Drop for TlsDaemon {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/tls-dockerd.sh");
        let _ = Command::new(script).arg("stop").arg(&self.dir).output();
    }
}

fn url() -> String {
    format!("tcp://127.0.0.1:{PORT}")
}

// One test drives every case so the daemon starts once.
#[tokio::test]
async fn tls_daemon_with_client_certificates() {
    let d = TlsDaemon::start();

    // Verified TLS with a client certificate works, and the pool reuses the session.
    let docker = DockerBuilder::new(&url())
        .tls(d.settings())
        .build()
        .expect("client");
    let v = docker.version().await.expect("version over TLS");
    assert!(v.api_version.is_some());
    for _ in 0..5 {
        docker.ping().await.expect("ping over TLS");
    }

    // docker-py's environment: DOCKER_TLS_VERIFY (any value) + DOCKER_CERT_PATH.
    let dir = d.dir.to_str().expect("utf8").to_owned();
    let env = move |k: &str| match k {
        "DOCKER_HOST" => Some(url()),
        "DOCKER_TLS_VERIFY" => Some("1".to_owned()),
        "DOCKER_CERT_PATH" => Some(dir.clone()),
        _ => None,
    };
    let from_env = DockerBuilder::from_vars(env, None)
        .expect("env")
        .build()
        .expect("client");
    from_env
        .info()
        .await
        .expect("info via DOCKER_TLS_VERIFY/DOCKER_CERT_PATH");

    // Without a client certificate the daemon refuses the handshake.
    let no_cert = TlsSettings {
        client_cert: None,
        ..d.settings()
    };
    let e = DockerBuilder::new(&url())
        .tls(no_cert)
        .build()
        .expect("client")
        .ping()
        .await
        .expect_err("daemon requires a client certificate");
    assert_eq!(e.category(), Category::Transport, "{e}");

    // A CA that did not sign the server certificate is refused by berth.
    let wrong_ca = TlsSettings {
        ca: Some(d.file("other-ca.pem")),
        ..d.settings()
    };
    let e = DockerBuilder::new(&url())
        .tls(wrong_ca)
        .build()
        .expect("client")
        .ping()
        .await
        .expect_err("untrusted server certificate");
    assert_eq!(e.category(), Category::Transport, "{e}");

    // A name the certificate does not carry is refused; verify=false accepts it.
    let wrong_name = TlsSettings {
        server_name: Some("not-the-daemon.example".into()),
        ..d.settings()
    };
    let e = DockerBuilder::new(&url())
        .tls(wrong_name.clone())
        .build()
        .expect("client")
        .ping()
        .await
        .expect_err("name mismatch");
    assert_eq!(e.category(), Category::Transport, "{e}");
    let unverified = TlsSettings {
        verify: false,
        ca: Some(d.file("other-ca.pem")),
        ..wrong_name
    };
    DockerBuilder::new(&url())
        .tls(unverified)
        .build()
        .expect("client")
        .ping()
        .await
        .expect("verify=false accepts any server certificate");

    // Plain HTTP to the TLS port: the daemon answers 400, not a hang.
    let e = berth::Docker::connect(&format!("http://127.0.0.1:{PORT}"))
        .expect("client")
        .ping()
        .await
        .expect_err("plain http to a TLS port");
    assert!(
        matches!(
            e.category(),
            Category::BadRequest | Category::Protocol | Category::Transport
        ),
        "{e:?}"
    );
}
