//! One HTTP/1.1 connection to a Docker socket, shared by every request of a
//! bollard client.
//!
//! bollard's own unix client keeps no idle connection
//! (`pool_max_idle_per_host(0)`), so each call dialled the socket again:
//! three connections for a negotiation and one `docker info`. This
//! transport keeps one keep-alive connection and sends the requests on it in
//! turn, dialling again only when the daemon has closed it. It also notes
//! the `API-Version` header dockerd puts on every answer, so a chain's
//! `docker info` needs no negotiation first (see `docker::info_on`).

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

/// The header dockerd names its API version in, on every answer.
const API_VERSION: &str = "api-version";

/// The address bollard is told, so its URIs read `http://docker/v1.41/…`;
/// [`Http1Socket::send`] turns them into origin-form (`/v1.41/…`).
pub(crate) const CLIENT_ADDR: &str = "http://docker";

/// A keep-alive connection to one unix socket.
pub(crate) struct Http1Socket {
    local: PathBuf,
    sender: Mutex<Option<Sender>>,
    /// The last `API-Version` header seen: dockerd puts its API version on
    /// every answer.
    api_version: std::sync::Mutex<Option<String>>,
}

/// The sending half of the connection.
struct Sender {
    send: SendRequest<DockerBody>,
    /// No request sent yet: hyper queues a connection's first request
    /// before its task has run, so there is no need to wait for it (a
    /// round through the scheduler, behind every other connection's work).
    fresh: bool,
}

impl Sender {
    fn new(send: SendRequest<DockerBody>) -> Self {
        Self { send, fresh: true }
    }
}

impl Http1Socket {
    /// Speaks HTTP/1.1 on `stream`, an open connection to `local`.
    pub(crate) async fn open(stream: UnixStream, local: &Path) -> Result<Self, DockerError> {
        Ok(Self {
            local: local.to_path_buf(),
            sender: Mutex::new(Some(Sender::new(handshake(stream).await?))),
            api_version: std::sync::Mutex::default(),
        })
    }

    /// The API version the daemon last named in an `API-Version` header.
    pub(crate) fn api_version(&self) -> Option<String> {
        self.api_version
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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
            Some(sender) => sender.fresh || sender.send.ready().await.is_ok(),
            None => false,
        };
        if !alive {
            // The daemon closed the connection (idle, or a body left unread).
            let stream = UnixStream::connect(&self.local).await?;
            *slot = Some(Sender::new(handshake(stream).await?));
        }
        let sender = slot.as_mut().expect("connected above");
        sender.fresh = false;
        let response = sender.send.send_request(request);
        drop(slot);
        let response = response.await?;
        if let Some(v) = response
            .headers()
            .get(API_VERSION)
            .and_then(|v| v.to_str().ok())
        {
            *self.api_version.lock().unwrap_or_else(|e| e.into_inner()) = Some(v.to_string());
        }
        Ok(response)
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
            .then(|| response.headers().get(API_VERSION))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        drain(response.into_body()).await?;
        Ok(version)
    }
}

/// Drops the `/v1.41` prefix of a request's path: dockerd answers an
/// unversioned request in its own API version, and says which in the
/// answer's `API-Version` header. (bollard 0.21 happens to build unversioned
/// paths already; this keeps it so should it stop.)
pub(crate) fn unversioned(request: &mut BollardRequest) -> Result<(), DockerError> {
    let Some(pq) = request.uri().path_and_query() else {
        return Ok(());
    };
    let text = pq.as_str();
    let rest = text
        .strip_prefix("/v")
        .and_then(|r| r.split_once('/'))
        .filter(|(v, _)| {
            v.split_once('.').is_some_and(|(a, b)| {
                [a, b]
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
            })
        })
        .map(|(_, rest)| format!("/{rest}"));
    if let Some(path) = rest {
        *request.uri_mut() = path.parse::<Uri>()?;
    }
    Ok(())
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
#[path = "http1_tests.rs"]
mod tests;
