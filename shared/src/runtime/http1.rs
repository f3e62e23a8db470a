//! One HTTP/1.1 connection to a Docker socket, shared by every request of a
//! bollard client.
//!
//! bollard's own unix client keeps no idle connection
//! (`pool_max_idle_per_host(0)`), so each call dialled the socket again:
//! three connections for a negotiation and one `docker info`. This
//! transport keeps one keep-alive connection and sends the requests on it in
//! turn, dialling again only when the daemon has closed it.

use std::path::{Path, PathBuf};
use std::pin::Pin;

use bollard::BollardRequest;
use bollard::errors::Error as DockerError;
use hyper::body::{Body, Bytes, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, Response, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tokio::sync::Mutex;

/// The body type of a bollard request (bollard names it only in private).
trait HasBody {
    type Body;
}
impl<B> HasBody for Request<B> {
    type Body = B;
}
type DockerBody = <BollardRequest as HasBody>::Body;

/// The `Host` header: dockerd ignores it, but Go's HTTP server rejects an
/// HTTP/1.1 request without one.
const HOST_NAME: &str = "docker";

/// The address bollard is told, so its URIs read `http://docker/v1.41/…`;
/// [`Http1Socket::send`] turns them into origin-form (`/v1.41/…`).
pub(crate) const CLIENT_ADDR: &str = "http://docker";

/// A keep-alive connection to one unix socket.
pub(crate) struct Http1Socket {
    local: PathBuf,
    sender: Mutex<Option<SendRequest<DockerBody>>>,
}

impl Http1Socket {
    /// Speaks HTTP/1.1 on `stream`, an open connection to `local`.
    pub(crate) async fn open(stream: UnixStream, local: &Path) -> Result<Self, DockerError> {
        Ok(Self {
            local: local.to_path_buf(),
            sender: Mutex::new(Some(handshake(stream).await?)),
        })
    }

    /// Sends one request and returns its response. The next request waits
    /// until this response's body has been read (HTTP/1.1 does one at a time).
    pub(crate) async fn send(
        &self,
        mut request: BollardRequest,
    ) -> Result<Response<Incoming>, DockerError> {
        let origin: Uri = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()?;
        *request.uri_mut() = origin;
        request
            .headers_mut()
            .entry(HOST)
            .or_insert(HeaderValue::from_static(HOST_NAME));
        let mut slot = self.sender.lock().await;
        let alive = match slot.as_mut() {
            Some(sender) => sender.ready().await.is_ok(),
            None => false,
        };
        if !alive {
            // The daemon closed the connection (idle, or a body left unread).
            let stream = UnixStream::connect(&self.local).await?;
            slot.insert(handshake(stream).await?).ready().await?;
        }
        let sender = slot.as_mut().expect("connected above");
        let response = sender.send_request(request);
        drop(slot);
        Ok(response.await?)
    }

    /// `GET /_ping` and its `API-Version` header: what `docker` itself
    /// negotiates with, and far cheaper than `/version`, which makes
    /// dockerd ask containerd and run `runc --version` (about 12 ms).
    pub(crate) async fn ping_api_version(&self) -> Result<Option<String>, DockerError> {
        let request = Request::get("/_ping").body(bollard::body_full(Bytes::new()))?;
        let response = self.send(request).await?;
        let version = response
            .status()
            .is_success()
            .then(|| response.headers().get("api-version"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        drain(response.into_body()).await?;
        Ok(version)
    }
}

async fn handshake(stream: UnixStream) -> Result<SendRequest<DockerBody>, hyper::Error> {
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    // Drives the connection; it ends when the last sender is dropped.
    tokio::spawn(async move { drop(connection.await) });
    Ok(sender)
}

/// Reads a body to its end, so the connection is free for the next request.
async fn drain(mut body: Incoming) -> Result<(), hyper::Error> {
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        frame?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::UnixListener;

    use super::super::docker::{connect, info_of};

    /// What a fake dockerd saw: connections accepted, request lines read.
    #[derive(Default)]
    struct Seen {
        connections: usize,
        requests: Vec<String>,
    }

    /// A dockerd of API 1.41 on `path`: `/_ping` (with `API-Version` unless
    /// `no_ping_header`), `/version` and `/info` (bollard 0.21 sends paths
    /// without the `/v1.41` prefix; dockerd takes both). With `close_each` it
    /// closes every connection after one answer, as an idle timeout would.
    fn fake_dockerd(
        path: &std::path::Path,
        no_ping_header: bool,
        close_each: bool,
    ) -> Arc<Mutex<Seen>> {
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
                        let (header, body) = match line.split(' ').nth(1).unwrap_or_default() {
                            "/_ping" if no_ping_header => ("", "OK".to_string()),
                            "/_ping" => ("API-Version: 1.41\r\n", "OK".to_string()),
                            p if p.ends_with("/version") => ("", r#"{"ApiVersion":"1.41"}"#.to_string()),
                            p if p.ends_with("/info") => ("", r#"{"ServerVersion":"20.10.24","DockerRootDir":"/var/lib/docker","Driver":"overlay2"}"#.to_string()),
                            other => panic!("unexpected {other}"),
                        };
                        let close = if close_each {
                            "Connection: close\r\n"
                        } else {
                            ""
                        };
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\n{header}{close}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if conn.write_all(answer.as_bytes()).await.is_err() || close_each {
                            return;
                        }
                    }
                });
            }
        });
        seen
    }

    async fn info_through(no_ping_header: bool, close_each: bool) -> Seen {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let seen = fake_dockerd(&path, no_ping_header, close_each);
        let t = Duration::from_secs(5);
        let docker = connect(&path, &path, t).await.expect("connect");
        let info = info_of(&docker, &path, t).await.expect("info");
        assert_eq!(info.api_version, "1.41");
        assert_eq!(info.root_dir, "/var/lib/docker");
        assert_eq!(info.server_version, "20.10.24");
        std::mem::take(&mut *seen.lock().unwrap())
    }

    #[tokio::test]
    async fn negotiation_and_info_share_one_connection() {
        let seen = info_through(false, false).await;
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
        let seen = info_through(true, false).await;
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
        let seen = info_through(false, true).await;
        assert_eq!(seen.connections, 2);
        assert_eq!(seen.requests.len(), 2);
    }
}
