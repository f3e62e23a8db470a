//! CRI v1 (k8s-cri over tonic): what crictl and the kubelet see.

use std::path::Path;
use std::time::Duration;

use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::{ImageFsInfoRequest, VersionRequest};
use tonic::transport::Channel;

use super::{RuntimeError, grpc_channel, with_deadline};

/// The CRI `Version` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriVersion {
    pub runtime_name: String,
    pub runtime_version: String,
    pub runtime_api_version: String,
}

/// A CRI client on one channel. Calls take `&self` (each clones the cheap
/// generated client), so several can be in flight on the channel at once.
pub struct CriClient {
    runtime: RuntimeServiceClient<Channel>,
    image: ImageServiceClient<Channel>,
    shown: std::path::PathBuf,
    timeout: Duration,
}

impl CriClient {
    /// `local` is the path to dial, `shown` the host path for messages.
    pub async fn connect(
        local: &Path,
        shown: &Path,
        timeout: Duration,
    ) -> Result<Self, RuntimeError> {
        let channel = grpc_channel(local, shown, timeout).await?;
        Ok(Self::on(channel, shown, timeout))
    }

    /// A client on an open channel (see [`super::Connections`]).
    pub fn on(channel: Channel, shown: &Path, timeout: Duration) -> Self {
        Self {
            runtime: RuntimeServiceClient::new(channel.clone()),
            image: ImageServiceClient::new(channel),
            shown: shown.to_path_buf(),
            timeout,
        }
    }

    /// crictl's runtime probe: a CRI v1 `Version` call.
    pub async fn version(&self) -> Result<CriVersion, RuntimeError> {
        let answer = with_deadline(
            "CRI",
            "Version",
            &self.shown,
            self.timeout,
            self.runtime.clone().version(VersionRequest::default()),
        )
        .await
        .map_err(explain_not_cri)?
        .into_inner();
        Ok(CriVersion {
            runtime_name: answer.runtime_name,
            runtime_version: answer.runtime_version,
            runtime_api_version: answer.runtime_api_version,
        })
    }

    /// crictl's image probe: `ImageFsInfo`; returns the image filesystem
    /// mountpoints, which name the directory this endpoint stores into.
    pub async fn image_fs_mountpoints(&self) -> Result<Vec<String>, RuntimeError> {
        let answer = with_deadline(
            "CRI",
            "ImageFsInfo",
            &self.shown,
            self.timeout,
            self.image
                .clone()
                .image_fs_info(ImageFsInfoRequest::default()),
        )
        .await
        .map_err(explain_not_cri)?
        .into_inner();
        Ok(answer
            .image_filesystems
            .into_iter()
            .filter_map(|fs| fs.fs_id.map(|id| id.mountpoint))
            .filter(|m| !m.is_empty())
            .collect())
    }

    /// `Version`, and `ImageFsInfo` as evidence, asked at once (each under
    /// its deadline). A runtime that lacks `ImageFsInfo` still has a
    /// version, so only a failed `Version` fails.
    pub async fn version_and_mountpoints(&self) -> Result<(CriVersion, Vec<String>), RuntimeError> {
        let (version, mounts) = tokio::join!(self.version(), self.image_fs_mountpoints());
        Ok((version?, mounts.unwrap_or_default()))
    }
}

/// A non-CRI socket (dockerd's, or containerd with CRI disabled) answers
/// `Unimplemented`; say so instead of echoing a gRPC status.
fn explain_not_cri(e: RuntimeError) -> RuntimeError {
    match e {
        RuntimeError::Call {
            api,
            call,
            path,
            message,
        } if message.contains("Unimplemented") || message.contains("unknown service") => {
            RuntimeError::Call {
                api,
                call,
                path,
                message: format!(
                    "{message}; this socket does not serve CRI v1 (a Docker API socket, or containerd with its CRI plugin disabled)"
                ),
            }
        }
        other => other,
    }
}
