//! The connections of one resolution: one per socket, dialled on first use
//! and reused by every later call to that daemon.
//!
//! A chain asks the same socket several times: crictl's default-endpoint
//! probe, then the CRI hop's `Version` and `ImageFsInfo`; containerd's CRI
//! socket is also its own API socket (k3s). Each dial costs the daemon an
//! accept and, for gRPC, an HTTP/2 handshake, so a chain used to open seven
//! connections where three do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use tonic::transport::Channel;

use super::http1::Http1Socket;
use super::{RuntimeError, docker, grpc_channel};
use crate::host::root::HostRoot;

/// A socket's connection, made once; a failed dial is not kept, so the next
/// caller dials again and reports its own error, as before.
type Slot<T> = Arc<OnceCell<T>>;

/// One connection per socket (by canonical host path) and protocol: a gRPC
/// channel (CRI and containerd share it; HTTP/2 multiplexes their calls) or
/// a Docker API connection (HTTP/1.1 keep-alive, requests take turns).
#[derive(Default)]
pub struct Connections {
    grpc: Mutex<HashMap<PathBuf, Slot<Channel>>>,
    docker: Mutex<HashMap<PathBuf, Slot<Arc<Http1Socket>>>>,
}

impl Connections {
    /// The gRPC channel to `socket` (a host path under `host`).
    pub async fn grpc(
        &self,
        host: &HostRoot,
        socket: &Path,
        timeout: Duration,
    ) -> Result<Channel, RuntimeError> {
        let slot = slot(&self.grpc, host, socket);
        let local = host.local(socket);
        slot.get_or_try_init(|| grpc_channel(&local, socket, timeout))
            .await
            .cloned()
    }

    /// The Docker API connection to `socket` (a host path under `host`),
    /// for [`docker::info_on`].
    pub(crate) async fn docker(
        &self,
        host: &HostRoot,
        socket: &Path,
        timeout: Duration,
    ) -> Result<Arc<Http1Socket>, RuntimeError> {
        let slot = slot(&self.docker, host, socket);
        let local = host.local(socket);
        slot.get_or_try_init(|| docker::open(&local, socket, timeout))
            .await
            .cloned()
    }
}

/// The slot of `socket`; two spellings of one socket (`/var/run/docker.sock`
/// and `/run/docker.sock`) share it.
fn slot<T>(map: &Mutex<HashMap<PathBuf, Slot<T>>>, host: &HostRoot, socket: &Path) -> Slot<T> {
    let key = host.canonical(socket);
    // A poisoned map only means another call panicked; its slots are sound.
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(map.entry(key).or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_socket_is_dialled_once_for_many_calls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let accepted = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok(Ok((s, _))) =
                tokio::time::timeout(Duration::from_millis(300), listener.accept()).await
            {
                held.push(s);
            }
            held.len()
        });
        let host = HostRoot::default();
        let conns = Connections::default();
        let t = Duration::from_secs(2);
        for _ in 0..3 {
            conns.grpc(&host, &path, t).await.expect("channel");
        }
        assert_eq!(accepted.await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_failed_dial_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("late.sock");
        let host = HostRoot::default();
        let conns = Connections::default();
        let t = Duration::from_secs(2);
        let err = conns.grpc(&host, &path, t).await.unwrap_err();
        assert!(matches!(err, RuntimeError::NoSocket { .. }), "{err}");
        let _listener = tokio::net::UnixListener::bind(&path).unwrap();
        conns.grpc(&host, &path, t).await.expect("dialled again");
    }
}
