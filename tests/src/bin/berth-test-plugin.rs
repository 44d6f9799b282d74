//! A minimal Docker managed-plugin server for the plugin integration tests: a volume
//! driver answering the plugin protocol (HTTP/1.1 over a unix socket) by hand, std only.
//!
//! Usage: `berth-test-plugin [SOCKET]` (default `/run/docker/plugins/berth.sock`).
//! Volumes are remembered in memory: `Create` adds, `Remove` forgets, `Get`/`List`/`Path`
//! report them (see [`MOUNT_BASE`]); anything else answers `{"Err":""}`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Mutex};

const DEFAULT_SOCKET: &str = "/run/docker/plugins/berth.sock";
/// The (never mounted) mountpoint reported for volume `v` is `MOUNT_BASE/v`, and `Get`
/// adds a `Status` of `{"served-by": "berth-test-plugin"}`: both show a caller that
/// the answer came from this plugin.
const MOUNT_BASE: &str = "/berth-test-plugin/volumes";

type Volumes = Arc<Mutex<BTreeSet<String>>>;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_SOCKET.to_owned());
    println!(
        "berth test plugin, DEBUG={}, socket {path}",
        std::env::var("DEBUG").unwrap_or_default()
    );
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("berth-test-plugin: bind {path}: {e}");
            std::process::exit(1);
        }
    };
    let volumes = Volumes::default();
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let volumes = Arc::clone(&volumes);
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream, &volumes) {
                        eprintln!("berth-test-plugin: connection: {e}");
                    }
                });
            }
            Err(e) => eprintln!("berth-test-plugin: accept: {e}"),
        }
    }
}

/// Answers the requests of one connection until the peer closes it.
fn serve(stream: UnixStream, volumes: &Volumes) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let request_line = request_line.trim_end();
        if request_line.is_empty() {
            continue;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        let mut content_length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body)?;
        let body = String::from_utf8_lossy(&body);
        let answer = answer(&path, &body, volumes);
        println!("berth-test-plugin: {path} {body} -> {answer}");
        write!(
            writer,
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        )?;
        writer.flush()?;
    }
}

fn answer(path: &str, body: &str, volumes: &Volumes) -> String {
    let mut volumes = volumes.lock().unwrap_or_else(|e| e.into_inner());
    match path {
        "/Plugin.Activate" => r#"{"Implements":["VolumeDriver"]}"#.to_owned(),
        "/VolumeDriver.Capabilities" => r#"{"Capabilities":{"Scope":"local"}}"#.to_owned(),
        "/VolumeDriver.Create" => {
            if let Some(name) = name_of(body) {
                volumes.insert(name);
            }
            r#"{"Err":""}"#.to_owned()
        }
        "/VolumeDriver.Remove" => {
            if let Some(name) = name_of(body) {
                volumes.remove(&name);
            }
            r#"{"Err":""}"#.to_owned()
        }
        "/VolumeDriver.Get" => match name_of(body) {
            Some(name) if volumes.contains(&name) => {
                format!(
                    r#"{{"Volume":{{"Name":"{name}","Mountpoint":"{MOUNT_BASE}/{name}","Status":{{"served-by":"berth-test-plugin"}}}},"Err":""}}"#
                )
            }
            _ => r#"{"Err":"no such volume"}"#.to_owned(),
        },
        "/VolumeDriver.List" => {
            let list: Vec<String> = volumes
                .iter()
                .map(|name| format!(r#"{{"Name":"{name}","Mountpoint":"{MOUNT_BASE}/{name}"}}"#))
                .collect();
            format!(r#"{{"Volumes":[{}],"Err":""}}"#, list.join(","))
        }
        "/VolumeDriver.Path" => match name_of(body) {
            Some(name) => format!(r#"{{"Mountpoint":"{MOUNT_BASE}/{name}","Err":""}}"#),
            None => r#"{"Err":"no volume name"}"#.to_owned(),
        },
        _ => r#"{"Err":""}"#.to_owned(),
    }
}

/// The `"Name"` string of a request body such as `{"Name":"v","Opts":{}}` (names are
/// plain volume names: no escapes to undo).
fn name_of(body: &str) -> Option<String> {
    let rest = &body[body.find("\"Name\"")? + "\"Name\"".len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}
