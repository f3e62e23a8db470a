//! The Docker API over one connection, against a fake dockerd that logs
//! what it is asked.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::BollardRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

use super::super::docker::{DockerInfo, connect, info, info_of};
use super::unversioned;

/// What a fake dockerd saw: connections accepted, request lines read.
#[derive(Default)]
struct Seen {
    connections: usize,
    requests: Vec<String>,
}

/// How the fake dockerd behaves.
#[derive(Clone, Copy, Default)]
struct Fake {
    /// Send no `API-Version` header (dockerd sends one on every answer).
    no_version_header: bool,
    /// Close each connection after one answer, as an idle timeout would.
    close_each: bool,
}

/// A dockerd of API 1.41 on `path`: `/_ping`, `/version` and `/info`.
fn fake_dockerd(path: &std::path::Path, fake: Fake) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let listener = UnixListener::bind(path).unwrap();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            log.lock().unwrap().connections += 1;
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    buf.drain(..end);
                    let line = head.lines().next().unwrap_or_default().to_string();
                    log.lock().unwrap().requests.push(line.clone());
                    let body = match line.split(' ').nth(1).unwrap_or_default() {
                        "/_ping" => "OK",
                        p if p.ends_with("/version") => r#"{"ApiVersion":"1.41"}"#,
                        p if p.ends_with("/info") => {
                            r#"{"ServerVersion":"20.10.24","DockerRootDir":"/var/lib/docker","Driver":"overlay2"}"#
                        }
                        other => panic!("unexpected {other}"),
                    };
                    let version = if fake.no_version_header {
                        ""
                    } else {
                        "API-Version: 1.41\r\n"
                    };
                    let close = if fake.close_each {
                        "Connection: close\r\n"
                    } else {
                        ""
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\n{version}{close}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if conn.write_all(answer.as_bytes()).await.is_err() || fake.close_each {
                        return;
                    }
                }
            });
        }
    });
    seen
}

/// Runs `ask` against a fake dockerd; returns its answer and what the fake saw.
async fn against<F, Fut>(fake: Fake, ask: F) -> (DockerInfo, Seen)
where
    F: FnOnce(std::path::PathBuf) -> Fut,
    Fut: Future<Output = DockerInfo>,
{
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker.sock");
    let seen = fake_dockerd(&path, fake);
    let info = ask(path).await;
    assert_eq!(info.api_version, "1.41");
    assert_eq!(info.root_dir, "/var/lib/docker");
    assert_eq!(info.server_version, "20.10.24");
    (info, std::mem::take(&mut *seen.lock().unwrap()))
}

const T: Duration = Duration::from_secs(5);

/// The chain's way: [`info`] on its own connection.
async fn chain_info(path: std::path::PathBuf) -> DockerInfo {
    info(&path, &path, T).await.expect("info")
}

/// The inventory's way: a negotiated client, then `GET /info`.
async fn negotiated_info(path: std::path::PathBuf) -> DockerInfo {
    let docker = connect(&path, &path, T).await.expect("connect");
    info_of(&docker, &path, T).await.expect("info")
}

#[tokio::test]
async fn the_chain_asks_info_once_and_reads_the_version_from_its_header() {
    let (_, seen) = against(Fake::default(), chain_info).await;
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.requests, ["GET /info HTTP/1.1"]);
}

#[tokio::test]
async fn without_the_header_the_chain_negotiates_on_the_same_connection() {
    let fake = Fake {
        no_version_header: true,
        ..Fake::default()
    };
    let (_, seen) = against(fake, chain_info).await;
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.requests[0], "GET /info HTTP/1.1");
    assert_eq!(seen.requests[1], "GET /_ping HTTP/1.1");
    assert!(
        seen.requests[2].ends_with("/version HTTP/1.1"),
        "{:?}",
        seen.requests
    );
}

#[tokio::test]
async fn negotiation_and_info_share_one_connection() {
    let (_, seen) = against(Fake::default(), negotiated_info).await;
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.requests[0], "GET /_ping HTTP/1.1");
    assert!(
        seen.requests[1].ends_with("/info HTTP/1.1"),
        "{:?}",
        seen.requests
    );
    assert_eq!(seen.requests.len(), 2);
}

#[tokio::test]
async fn a_daemon_without_the_ping_header_is_asked_its_version() {
    let fake = Fake {
        no_version_header: true,
        ..Fake::default()
    };
    let (_, seen) = against(fake, negotiated_info).await;
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.requests[0], "GET /_ping HTTP/1.1");
    assert!(
        seen.requests[1].ends_with("/version HTTP/1.1"),
        "{:?}",
        seen.requests
    );
    assert!(
        seen.requests[2].ends_with("/info HTTP/1.1"),
        "{:?}",
        seen.requests
    );
}

#[tokio::test]
async fn a_closed_connection_is_dialled_again() {
    let fake = Fake {
        close_each: true,
        ..Fake::default()
    };
    let (_, seen) = against(fake, negotiated_info).await;
    assert_eq!(seen.connections, 2);
    assert_eq!(seen.requests.len(), 2);
}

#[test]
fn only_a_version_prefix_is_dropped() {
    let path = |uri: &str| {
        let mut request: BollardRequest = hyper::Request::get(uri)
            .body(bollard::body_full(hyper::body::Bytes::new()))
            .unwrap();
        unversioned(&mut request).unwrap();
        request.uri().to_string()
    };
    assert_eq!(path("http://docker/v1.41/info"), "/info");
    assert_eq!(path("/v1.52/images/json?all=true"), "/images/json?all=true");
    for kept in [
        "/info",
        "/v1/info",
        "/vx.y/info",
        "/v1.41",
        "/volumes/v1.2/x",
    ] {
        assert_eq!(path(kept), kept);
    }
}
