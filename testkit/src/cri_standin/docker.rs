//! The dockerd side of the stand-in: one bollard client, every call bounded
//! in time, every failure turned into a gRPC status that names the dockerd
//! endpoint (a lab runs several dockerds, so "which one failed" matters).

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::errors::Error as DockerError;
use tonic::Status;

/// Upper bound for one dockerd call. A CRI call must never hang on a wedged
/// dockerd; crictl itself gives up after 2 s by default.
pub const DOCKER_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Seconds bollard's own HTTP client waits before giving up.
const BOLLARD_TIMEOUT_SECS: u64 = 5;

/// Default of the docker client when neither the flag nor `DOCKER_HOST` is set.
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

/// A connected dockerd, plus what cri-dockerd reads from it once at startup.
#[derive(Clone)]
pub struct Dockerd {
    client: Docker,
    endpoint: String,
    /// `DockerRootDir` from `docker info`; real cri-dockerd caches it at
    /// startup and reports it as the image filesystem mountpoint.
    root_dir: String,
    /// dockerd's version string, for the startup log line.
    version: String,
}

impl Dockerd {
    /// Connects to the dockerd at unix socket `path` and negotiates the API
    /// version. Negotiation is required: bollard defaults to a newer API than
    /// dockerd 20.10 (API 1.41) accepts. Fails like real cri-dockerd when
    /// dockerd does not answer `info`.
    pub async fn connect(path: &str) -> anyhow::Result<Self> {
        let endpoint = format!("unix://{path}");
        let client =
            Docker::connect_with_unix(path, BOLLARD_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
                .with_context(|| format!("cannot connect to dockerd at {endpoint}"))?;
        let client = tokio::time::timeout(DOCKER_CALL_TIMEOUT, client.negotiate_version())
            .await
            .with_context(|| format!("dockerd at {endpoint}: version negotiation timed out"))?
            .with_context(|| format!("dockerd at {endpoint}: version negotiation failed"))?;
        let mut dockerd = Dockerd {
            client,
            endpoint,
            root_dir: String::new(),
            version: String::new(),
        };
        let info = dockerd
            .call("info", dockerd.client.info())
            .await
            .map_err(|s| anyhow::anyhow!("{}", s.message()))?;
        let version = dockerd
            .call("version", dockerd.client.version())
            .await
            .map_err(|s| anyhow::anyhow!("{}", s.message()))?;
        let Some(root_dir) = info.docker_root_dir.filter(|d| !d.is_empty()) else {
            bail!(
                "dockerd at {}: docker info has no DockerRootDir",
                dockerd.endpoint
            );
        };
        dockerd.root_dir = root_dir;
        dockerd.version = version.version.unwrap_or_default();
        Ok(dockerd)
    }

    pub fn client(&self) -> &Docker {
        &self.client
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn root_dir(&self) -> &str {
        &self.root_dir
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// Runs one dockerd call under [`DOCKER_CALL_TIMEOUT`] and maps its error
    /// to a status: 404 → NotFound (callers rely on it, e.g. ImageStatus),
    /// 409 → FailedPrecondition (image in use), transport → Unavailable.
    pub async fn call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, DockerError>>,
    ) -> Result<T, Status> {
        let ep = &self.endpoint;
        match tokio::time::timeout(DOCKER_CALL_TIMEOUT, fut).await {
            Err(_) => Err(Status::deadline_exceeded(format!(
                "dockerd at {ep}: {what} timed out after {}s",
                DOCKER_CALL_TIMEOUT.as_secs()
            ))),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(DockerError::DockerResponseServerError {
                status_code,
                message,
            })) => {
                let msg = format!("dockerd at {ep}: {what}: {message}");
                Err(match status_code {
                    404 => Status::not_found(msg),
                    409 => Status::failed_precondition(msg),
                    400 => Status::invalid_argument(msg),
                    _ => Status::internal(msg),
                })
            }
            Ok(Err(e)) => Err(Status::unavailable(format!("dockerd at {ep}: {what}: {e}"))),
        }
    }
}

/// Turns a `--docker-endpoint` value into a socket path. An empty flag means
/// `DOCKER_HOST` (as in real cri-dockerd), and an empty `DOCKER_HOST` means
/// the docker client default.
pub fn docker_socket_path(flag: &str, docker_host: Option<&str>) -> anyhow::Result<String> {
    let endpoint = match (flag, docker_host) {
        ("", Some(host)) if !host.is_empty() => host,
        ("", _) => DEFAULT_DOCKER_HOST,
        (flag, _) => flag,
    };
    unix_socket_path(endpoint).context("--docker-endpoint")
}

/// Accepts `unix:///path` or a bare absolute path. Other schemes (tcp://,
/// npipe://) exist in real cri-dockerd but are not needed in the lab.
pub fn unix_socket_path(endpoint: &str) -> anyhow::Result<String> {
    let path = endpoint.strip_prefix("unix://").unwrap_or(endpoint);
    if !path.starts_with('/') {
        bail!("endpoint {endpoint:?}: the stand-in only supports unix:///absolute/path");
    }
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            unix_socket_path("unix:///run/a.sock").unwrap(),
            "/run/a.sock"
        );
        assert_eq!(unix_socket_path("/run/a.sock").unwrap(), "/run/a.sock");
        assert!(unix_socket_path("tcp://1.2.3.4:2375").is_err());
        assert!(unix_socket_path("unix://relative").is_err());
    }

    #[test]
    fn docker_endpoint_falls_back_to_docker_host() {
        let p = |flag, host| docker_socket_path(flag, host).unwrap();
        assert_eq!(p("unix:///a.sock", Some("unix:///b.sock")), "/a.sock");
        assert_eq!(p("", Some("unix:///b.sock")), "/b.sock");
        assert_eq!(p("", Some("")), "/var/run/docker.sock");
        assert_eq!(p("", None), "/var/run/docker.sock");
        assert!(docker_socket_path("", Some("tcp://h:2375")).is_err());
    }
}
