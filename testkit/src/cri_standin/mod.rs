//! A stand-in for Mirantis cri-dockerd: a real CRI runtime.v1 gRPC server on
//! a unix socket, backed by a real dockerd through bollard.
//!
//! It exists so the lab can build the "alias" case: a CRI endpoint and a
//! docker endpoint that are two views of one image store. Only the calls that
//! reveal identity and storage are answered (`Version`, `Status`,
//! `ListImages`, `ImageStatus`, `ImageFsInfo`, `RemoveImage`); the rest say
//! Unimplemented. Flag names and defaults are cri-dockerd's, so command lines
//! seen by process-scanning code look real.

mod docker;
mod image;
mod runtime;

use std::fmt::Display;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use futures::FutureExt;
use k8s_cri::v1::image_service_server::ImageServiceServer;
use k8s_cri::v1::runtime_service_server::RuntimeServiceServer;
use tokio::net::UnixListener;
use tokio::signal::unix::{SignalKind, signal};
use tonic::transport::Server;
use tonic::{Response, Status};

pub use docker::{DOCKER_CALL_TIMEOUT, Dockerd, docker_socket_path, unix_socket_path};
pub use image::Images;
pub use runtime::{CRI_DOCKERD_VERSION, RUNTIME_NAME, Runtime};

/// How long open client connections may keep the server alive after
/// SIGTERM; tonic's graceful shutdown would otherwise wait for them forever.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Socket mode of the packaged cri-dockerd.socket unit.
const SOCKET_MODE: u32 = 0o660;

/// Command line of the stand-in; a subset of cri-dockerd's flags, same names
/// and defaults. Unknown flags are an error, as in cri-dockerd.
#[derive(Debug, clap::Parser)]
#[command(
    name = "cri-dockerd",
    version,
    about = "Test stand-in for Mirantis cri-dockerd: CRI v1 image service in front of dockerd"
)]
pub struct Args {
    /// CRI socket to serve on.
    #[arg(long, default_value = "unix:///var/run/cri-dockerd.sock")]
    pub container_runtime_endpoint: String,
    /// dockerd to talk to; empty means $DOCKER_HOST.
    #[arg(long, default_value = docker::DEFAULT_DOCKER_HOST)]
    pub docker_endpoint: String,
    /// State directory; created, otherwise unused by the stand-in.
    #[arg(long, default_value = "/var/lib/cri-dockerd")]
    pub cri_dockerd_root_directory: PathBuf,
    /// Accepted for compatibility; the stand-in always logs one line per call.
    #[arg(long, default_value = "info")]
    pub log_level: String,
}

/// Serves until SIGTERM or SIGINT, then removes the socket.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let socket = PathBuf::from(
        unix_socket_path(&args.container_runtime_endpoint)
            .context("--container-runtime-endpoint")?,
    );
    let docker_host = std::env::var("DOCKER_HOST").ok();
    let docker_path = docker_socket_path(&args.docker_endpoint, docker_host.as_deref())?;
    let root = &args.cri_dockerd_root_directory;
    std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;

    let dockerd = Dockerd::connect(&docker_path).await?;
    // Install the handlers before the socket appears, so a supervisor that
    // signals as soon as it sees the socket is never ignored.
    let mut sigterm = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut sigint = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let shutdown = async move {
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = sigint.recv() => {}
        }
    }
    .boxed()
    .shared();

    let listener = bind(&socket)?;
    eprintln!(
        "cri-dockerd stand-in: serving CRI v1 on unix://{} for dockerd {} at {} (root {})",
        socket.display(),
        dockerd.version(),
        dockerd.endpoint(),
        dockerd.root_dir()
    );
    let incoming = futures::stream::unfold(listener, |listener| async move {
        let conn = listener.accept().await.map(|(stream, _)| stream);
        Some((conn, listener))
    });
    let serve = Server::builder()
        .add_service(RuntimeServiceServer::new(Runtime::new(dockerd.clone())))
        .add_service(ImageServiceServer::new(Images::new(dockerd)))
        .serve_with_incoming_shutdown(incoming, shutdown.clone());
    let result = tokio::select! {
        r = serve => r.context("gRPC server failed"),
        () = shutdown.then(|()| tokio::time::sleep(SHUTDOWN_GRACE)) => Ok(()),
    };
    remove_socket(&socket);
    eprintln!("cri-dockerd stand-in: stopped");
    result
}

/// Binds like cri-dockerd: parent dirs created, a stale socket from a killed
/// run replaced, mode 0660.
fn bind(socket: &Path) -> anyhow::Result<UnixListener> {
    if let Some(parent) = socket.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    match std::fs::remove_file(socket) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot remove stale {}", socket.display()));
        }
    }
    let listener =
        UnixListener::bind(socket).with_context(|| format!("cannot bind {}", socket.display()))?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(SOCKET_MODE))
        .with_context(|| format!("cannot chmod {}", socket.display()))?;
    Ok(listener)
}

fn remove_socket(socket: &Path) {
    if let Err(e) = std::fs::remove_file(socket)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!(
            "cri-dockerd stand-in: cannot remove {}: {e}",
            socket.display()
        );
    }
}

/// Logs one line per CRI call (method, argument, outcome) and wraps the
/// answer for tonic.
fn logged<T>(
    method: &str,
    detail: impl Display,
    result: Result<T, Status>,
) -> Result<Response<T>, Status> {
    let detail = detail.to_string();
    let sep = if detail.is_empty() { "" } else { " " };
    match &result {
        Ok(_) => eprintln!("cri-dockerd: {method}{sep}{detail}: ok"),
        Err(s) => eprintln!(
            "cri-dockerd: {method}{sep}{detail}: {:?}: {}",
            s.code(),
            s.message()
        ),
    }
    result.map(Response::new)
}
