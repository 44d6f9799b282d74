use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// Certificates made by `tests/engine/tls-dockerd.sh certs` (openssl), once per machine:
/// made in a private directory, then renamed into place so concurrent test processes
/// never see half-written files.
fn certs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let fixed = std::env::temp_dir().join("berth-tls-test-certs-v1");
        if !fixed.join("other-ca.pem").exists() {
            let tmp =
                std::env::temp_dir().join(format!("berth-tls-test-certs-{}", std::process::id()));
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/engine/tls-dockerd.sh");
            let out = std::process::Command::new("bash")
                .arg(&script)
                .arg("certs")
                .arg(&tmp)
                .output()
                .expect("run tests/engine/tls-dockerd.sh");
            assert!(
                out.status.success(),
                "{} certs failed (is openssl installed?): {}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            if std::fs::rename(&tmp, &fixed).is_err() {
                // Another process won the race; its files are complete.
                let _ = std::fs::remove_dir_all(&tmp);
            }
        }
        fixed
    })
}

fn file(name: &str) -> PathBuf {
    certs().join(name)
}

fn settings(ca: Option<&str>, client: bool, verify: bool) -> TlsSettings {
    TlsSettings {
        ca: ca.map(file),
        client_cert: client.then(|| (file("cert.pem"), file("key.pem"))),
        verify,
        server_name: None,
    }
}

/// A file for one test, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn scratch(name: &str, content: &[u8]) -> Scratch {
    let p = std::env::temp_dir().join(format!("berth-tls-unit-{}-{name}", std::process::id()));
    std::fs::write(&p, content).expect("write scratch file");
    Scratch(p)
}

fn config_err(s: &TlsSettings) -> TlsConfigError {
    match client_config(s) {
        Ok(_) => panic!("{s:?} should not build"),
        Err(e) => e,
    }
}

#[test]
fn builds_for_every_mode() {
    client_config(&settings(Some("ca.pem"), true, true)).expect("verify with CA and client cert");
    client_config(&settings(None, true, true)).expect("verify against webpki roots");
    client_config(&settings(None, false, false)).expect("no verification, no client cert");
    client_config(&settings(Some("ca.pem"), true, false)).expect("no verification");
    // With verification off the CA is not even read (docker-py needs it only to verify).
    let s = TlsSettings {
        ca: Some("/nonexistent/ca.pem".into()),
        ..settings(None, true, false)
    };
    client_config(&s).expect("CA ignored without verification");
}

#[test]
fn missing_files_are_named() {
    let s = TlsSettings {
        ca: Some("/nonexistent/berth/ca.pem".into()),
        ..settings(None, false, true)
    };
    let e = config_err(&s);
    assert!(
        matches!(e, TlsConfigError::Read { role: CA_FILE, .. }),
        "{e:?}"
    );
    let m = e.to_string();
    assert!(
        m.contains("/nonexistent/berth/ca.pem") && m.contains("CA certificate"),
        "{m}"
    );
    assert!(
        m.contains("No such file") && m.contains("DOCKER_CERT_PATH"),
        "{m}"
    );
    assert_eq!(e.path(), Some(Path::new("/nonexistent/berth/ca.pem")));
    assert!(std::error::Error::source(&e).is_some());

    let s = TlsSettings {
        client_cert: Some((file("cert.pem"), "/nonexistent/key.pem".into())),
        ..settings(None, false, false)
    };
    let m = config_err(&s).to_string();
    assert!(m.contains("client key file /nonexistent/key.pem"), "{m}");

    let s = TlsSettings {
        client_cert: Some(("/nonexistent/cert.pem".into(), file("key.pem"))),
        ..settings(None, false, false)
    };
    let m = config_err(&s).to_string();
    assert!(
        m.contains("client certificate file /nonexistent/cert.pem"),
        "{m}"
    );
}

#[test]
fn garbage_and_broken_pem() {
    let garbage = scratch("garbage.pem", b"this is not a certificate\n");
    let s = TlsSettings {
        ca: Some(garbage.0.clone()),
        ..settings(None, false, true)
    };
    let e = config_err(&s);
    assert!(matches!(e, TlsConfigError::NoCertificate { .. }), "{e:?}");
    assert!(e.to_string().contains("contains no PEM certificate"), "{e}");
    assert!(
        e.to_string().contains(&garbage.0.display().to_string()),
        "{e}"
    );

    let s = TlsSettings {
        client_cert: Some((garbage.0.clone(), file("key.pem"))),
        ..settings(None, false, false)
    };
    assert!(matches!(
        config_err(&s),
        TlsConfigError::NoCertificate {
            role: CERT_FILE,
            ..
        }
    ));

    let truncated = scratch("truncated.pem", b"-----BEGIN CERTIFICATE-----\nMIIB\n");
    let s = TlsSettings {
        ca: Some(truncated.0.clone()),
        ..settings(None, false, true)
    };
    let e = config_err(&s);
    assert!(matches!(e, TlsConfigError::BadPem { .. }), "{e:?}");
    assert!(e.to_string().contains("is not valid PEM"), "{e}");

    let bad_b64 = scratch(
        "badb64.pem",
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    );
    let s = TlsSettings {
        ca: Some(bad_b64.0.clone()),
        ..settings(None, false, true)
    };
    assert!(matches!(config_err(&s), TlsConfigError::BadPem { .. }));

    // A well-formed certificate that is not a CA still parses; a key is not a CA.
    let s = TlsSettings {
        ca: Some(file("key.pem")),
        ..settings(None, false, true)
    };
    assert!(matches!(
        config_err(&s),
        TlsConfigError::NoCertificate { role: CA_FILE, .. }
    ));
}

#[test]
fn key_problems() {
    // A key file that holds only a certificate.
    let s = TlsSettings {
        client_cert: Some((file("cert.pem"), file("cert.pem"))),
        ..settings(None, false, false)
    };
    let e = config_err(&s);
    assert!(
        matches!(
            e,
            TlsConfigError::NoPrivateKey {
                encrypted: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("contains no PEM private key"), "{e}");

    let encrypted = scratch(
        "enc.pem",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let s = TlsSettings {
        client_cert: Some((file("cert.pem"), encrypted.0.clone())),
        ..settings(None, false, false)
    };
    let e = config_err(&s);
    assert!(
        matches!(
            e,
            TlsConfigError::NoPrivateKey {
                encrypted: true,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("encrypted private key"), "{e}");

    // The server's key does not belong to the client certificate.
    let s = TlsSettings {
        client_cert: Some((file("cert.pem"), file("server-key.pem"))),
        ..settings(None, false, false)
    };
    let e = config_err(&s);
    assert!(matches!(e, TlsConfigError::ClientCert { .. }), "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("cert.pem") && m.contains("server-key.pem"),
        "{m}"
    );
}

#[test]
fn server_names() {
    assert!(matches!(
        server_name("127.0.0.1"),
        Ok(ServerName::IpAddress(_))
    ));
    assert!(matches!(server_name("::1"), Ok(ServerName::IpAddress(_))));
    assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
    assert!(matches!(
        server_name("localhost"),
        Ok(ServerName::DnsName(_))
    ));
    let e = server_name("bad name").expect_err("spaces are not a DNS name");
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("bad name"), "{e}");
}

/// A one-connection TLS server with the test certificates that requires a client
/// certificate signed by the test CA; it answers `ping` with `pong`.
async fn server() -> (SocketAddr, tokio::task::JoinHandle<io::Result<()>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(file("ca.pem")).expect("ca.pem"))
        .expect("CA");
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("client verifier");
    let chain = CertificateDer::pem_file_iter(file("server-cert.pem"))
        .expect("server-cert.pem")
        .collect::<Result<Vec<_>, _>>()
        .expect("server chain");
    let key = PrivateKeyDer::from_pem_file(file("server-key.pem")).expect("server key");
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut tls = acceptor.accept(tcp).await?;
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"ping");
        tls.write_all(b"pong").await?;
        tls.shutdown().await?;
        Ok(())
    });
    (addr, task)
}

async fn ping(s: &TlsSettings, host: &str) -> io::Result<Vec<u8>> {
    let (addr, task) = server().await;
    let cfg = client_config(s).expect("client config");
    let tcp = TcpStream::connect(addr).await?;
    let result = async {
        let mut tls = connect(tcp, cfg, host).await?;
        tls.write_all(b"ping").await?;
        let mut out = Vec::new();
        tls.read_to_end(&mut out).await?;
        Ok(out)
    }
    .await;
    task.abort();
    result
}

#[tokio::test]
async fn handshake_verified_by_ip_and_dns_san() {
    let s = settings(Some("ca.pem"), true, true);
    assert_eq!(ping(&s, "127.0.0.1").await.expect("IP SAN"), b"pong");
    assert_eq!(ping(&s, "localhost").await.expect("DNS SAN"), b"pong");
}

#[tokio::test]
async fn handshake_without_verification_accepts_unknown_ca() {
    // Trusting an unrelated CA would fail, but verify=false accepts any certificate
    // and still sends the client certificate.
    let s = settings(Some("other-ca.pem"), true, false);
    assert_eq!(ping(&s, "127.0.0.1").await.expect("unverified"), b"pong");
    // ...and any name.
    assert_eq!(
        ping(&s, "not-in-the-cert.example").await.expect("any name"),
        b"pong"
    );
}

#[tokio::test]
async fn handshake_rejects_wrong_ca_and_wrong_name() {
    let e = ping(&settings(Some("other-ca.pem"), true, true), "127.0.0.1")
        .await
        .expect_err("untrusted issuer");
    let m = e.to_string();
    assert!(m.contains("TLS handshake with 127.0.0.1 failed"), "{m}");
    assert!(m.contains("not signed by a trusted CA"), "{m}");

    let e = ping(&settings(Some("ca.pem"), true, true), "127.0.0.2")
        .await
        .expect_err("name not in the certificate");
    assert!(e.to_string().contains("does not name this host"), "{e}");
}

#[tokio::test]
async fn server_refuses_a_client_without_certificate() {
    let e = ping(&settings(Some("ca.pem"), false, true), "127.0.0.1")
        .await
        .expect_err("client certificate required");
    // TLS 1.3: the client finishes its handshake first; the refusal is an alert on read.
    let m = e.to_string().to_ascii_lowercase();
    assert!(m.contains("certificate"), "{m}");
}
