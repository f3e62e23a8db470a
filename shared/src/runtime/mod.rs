//! Talking to the runtimes (in: a socket and a timeout; out: typed answers of the CRI, Docker and containerd APIs).
//!
//! Clients for the three runtime APIs: CRI ([`cri`]), Docker ([`docker`]) and
//! containerd ([`containerd`]). Every dial and every call has a deadline: a
//! socket nobody answers must cost at most the timeout, never a hang.
//!
//! Most of a chain's time is spent waiting on daemons, so each socket is
//! dialled once ([`Connections`]) and the calls of one daemon that do not
//! depend on each other go out together.

mod connections;
pub mod containerd;
pub mod cri;
pub mod docker;
mod http1;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint};

pub use self::connections::Connections;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "socket {path} does not exist: the runtime is not running there (or --host-root is wrong)"
    )]
    NoSocket { path: PathBuf },
    #[error(
        "nothing listens on {path} (connection refused): a stale socket file; start the runtime or remove the file"
    )]
    Refused { path: PathBuf },
    #[error(
        "permission denied on {path} ({perms}): run as root, or as a member of the socket's group"
    )]
    PermissionDenied { path: PathBuf, perms: String },
    #[error(
        "no answer from {path} within {timeout:?}: the daemon accepted the connection but did not reply; check it is healthy, or raise --timeout"
    )]
    Timeout { path: PathBuf, timeout: Duration },
    /// An errno none of the variants above names: it is the last word, so it
    /// is said here and is not a `source` (printing the chain would repeat it).
    #[error("cannot connect to {path}: {error}")]
    Connect {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{api} call {call} on {path} failed: {message}")]
    Call {
        api: &'static str,
        call: &'static str,
        path: PathBuf,
        message: String,
    },
}

impl RuntimeError {
    pub fn call(
        api: &'static str,
        call: &'static str,
        path: &Path,
        message: impl std::fmt::Display,
    ) -> Self {
        Self::Call {
            api,
            call,
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// Dials the socket once with a deadline, to turn the raw failure into an
/// error that names the socket and the fix (tonic and hyper hide the errno).
pub async fn probe_socket(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<UnixStream, RuntimeError> {
    let path = shown.to_path_buf();
    match tokio::time::timeout(timeout, UnixStream::connect(local)).await {
        Err(_) => Err(RuntimeError::Timeout { path, timeout }),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(match e.kind() {
            std::io::ErrorKind::NotFound => RuntimeError::NoSocket { path },
            std::io::ErrorKind::ConnectionRefused => RuntimeError::Refused { path },
            std::io::ErrorKind::PermissionDenied => RuntimeError::PermissionDenied {
                perms: describe_perms(local),
                path,
            },
            _ => RuntimeError::Connect { path, error: e },
        }),
    }
}

/// `mode 0660 uid 0 gid 999` for an error message.
fn describe_perms(local: &Path) -> String {
    match std::fs::metadata(local) {
        Ok(m) => format!(
            "mode {:04o}, owner uid {} gid {}",
            m.permissions().mode() & 0o7777,
            m.uid(),
            m.gid()
        ),
        Err(e) => format!("cannot stat: {e}"),
    }
}

/// A gRPC channel over a unix socket with connect and per-call deadlines.
/// The probe's connection becomes the channel's: dialling twice would cost
/// the daemon a second accept for nothing. Should the daemon drop it, the
/// channel dials the socket again by itself.
pub async fn grpc_channel(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<Channel, RuntimeError> {
    let probed = Arc::new(Mutex::new(Some(probe_socket(local, shown, timeout).await?)));
    let socket = local.to_path_buf();
    // Per-call deadlines come from `with_deadline`, which names the socket.
    let endpoint = Endpoint::from_static("http://[::]:50051").connect_timeout(timeout);
    let connect = endpoint.connect_with_connector(tower::service_fn(move |_| {
        let probed = probed.lock().map(|mut p| p.take()).unwrap_or_default();
        let socket = socket.clone();
        async move {
            match probed {
                Some(stream) => Ok(TokioIo::new(stream)),
                None => UnixStream::connect(socket).await.map(TokioIo::new),
            }
        }
    }));
    match tokio::time::timeout(timeout, connect).await {
        Err(_) => Err(RuntimeError::Timeout {
            path: shown.to_path_buf(),
            timeout,
        }),
        Ok(Err(e)) => Err(RuntimeError::call("gRPC", "connect", shown, e)),
        Ok(Ok(channel)) => Ok(channel),
    }
}

/// Runs one API call under the deadline.
pub async fn with_deadline<T, E: std::fmt::Display>(
    api: &'static str,
    call: &'static str,
    shown: &Path,
    timeout: Duration,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, RuntimeError> {
    match tokio::time::timeout(timeout, fut).await {
        Err(_) => Err(RuntimeError::Timeout {
            path: shown.to_path_buf(),
            timeout,
        }),
        Ok(Err(e)) => Err(RuntimeError::call(api, call, shown, e)),
        Ok(Ok(v)) => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusual_connect_error_names_the_socket_and_says_the_errno_once() {
        let e = RuntimeError::Connect {
            path: "/run/containerd/containerd.sock".into(),
            error: std::io::Error::from_raw_os_error(libc::ECONNRESET),
        };
        assert_eq!(
            crate::model::causes::printed_once(e, "reset"),
            "cannot connect to /run/containerd/containerd.sock: Connection reset by peer (os error 104)"
        );
    }
}
