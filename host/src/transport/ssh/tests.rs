use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn command_line() {
    assert_eq!(
        ssh_args(None, "box", 22, &[]),
        strings(&[
            "-o",
            "ConnectTimeout=30",
            "-T",
            "--",
            "box",
            "docker",
            "system",
            "dial-stdio"
        ])
    );
    assert_eq!(
        ssh_args(Some("me"), "::1", 2222, &strings(&["-F", "/d/ssh_config"])),
        strings(&[
            "-F",
            "/d/ssh_config",
            "-o",
            "ConnectTimeout=30",
            "-T",
            "-l",
            "me",
            "-p",
            "2222",
            "--",
            "::1",
            "docker",
            "system",
            "dial-stdio"
        ])
    );
    // The caller's own connect timeout wins.
    let args = ssh_args(None, "h", 22, &strings(&["-o", "ConnectTimeout=5"]));
    assert_eq!(
        args.iter().filter(|a| a.contains("ConnectTimeout")).count(),
        1
    );
}

/// A TCP port on 127.0.0.1 where nothing listens (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn batch_args() -> Vec<String> {
    strings(&[
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
    ])
}

#[tokio::test]
async fn refused_connection_reports_what_ssh_printed() {
    let port = closed_port();
    let mut s = connect(None, "127.0.0.1", port, &batch_args())
        .await
        .expect("ssh starts (is an OpenSSH client installed?)");
    // The write may already hit a closed pipe, or the read the end of output: either
    // way the error carries ssh's stderr.
    let result = async {
        s.write_all(b"GET /_ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut buf = [0u8; 64];
        s.read(&mut buf).await
    }
    .await;
    let e = result.expect_err("nothing listens there");
    let m = e.to_string();
    assert!(m.contains("Connection refused"), "{m}");
    assert!(m.contains(&format!("port {port}")), "{m}");
    assert!(m.contains("status 255"), "{m}");
    assert!(m.contains("-p") && m.contains("dial-stdio"), "{m}");
    assert!(
        matches!(
            e.kind(),
            io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn read_eof_before_data_is_an_error_with_stderr() {
    // Without writing anything: the first read sees ssh's output end.
    let port = closed_port();
    let mut s = connect(Some("nobody"), "127.0.0.1", port, &batch_args())
        .await
        .expect("ssh starts");
    let mut buf = Vec::new();
    let e = s.read_to_end(&mut buf).await.expect_err("ssh fails");
    assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted);
    assert!(e.to_string().contains("Connection refused"), "{e}");
    // Shutting down after ssh left is not an error; writing after shutdown is.
    s.shutdown().await.expect("shutdown");
    let e = s.write_all(b"x").await.expect_err("after shutdown");
    assert_eq!(e.kind(), io::ErrorKind::NotConnected);
}
