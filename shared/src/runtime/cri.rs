//! CRI v1 (k8s-cri over tonic): what crictl and the kubelet see.

use std::path::Path;
use std::time::Duration;

use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::{
    ImageFsInfoRequest, ImageSpec, ListContainersRequest, ListImagesRequest, RemoveImageRequest,
    StatusRequest, VersionRequest,
};
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

/// An image as the CRI lists it: what the prune guards need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriImage {
    pub id: String,
    pub repo_tags: Vec<String>,
    /// The runtime will not garbage-collect it (the sandbox image, say).
    pub pinned: bool,
}

impl CriClient {
    /// `Status` with `verbose`: the runtime's own config as JSON under
    /// `info["config"]` (containerd 1.x and cri-dockerd put `sandboxImage` there).
    pub async fn status_info(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, RuntimeError> {
        let request = StatusRequest { verbose: true };
        let answer = with_deadline(
            "CRI",
            "Status",
            &self.shown,
            self.timeout,
            self.runtime.clone().status(request),
        )
        .await
        .map_err(explain_not_cri)?;
        Ok(answer.into_inner().info)
    }

    pub async fn list_images(&self) -> Result<Vec<CriImage>, RuntimeError> {
        let answer = with_deadline(
            "CRI",
            "ListImages",
            &self.shown,
            self.timeout,
            self.image.clone().list_images(ListImagesRequest::default()),
        )
        .await
        .map_err(explain_not_cri)?;
        Ok(answer
            .into_inner()
            .images
            .into_iter()
            .map(|i| CriImage {
                id: i.id,
                repo_tags: i.repo_tags,
                pinned: i.pinned,
            })
            .collect())
    }

    /// Every container, running or not: `(id, name, image ref)`, where the
    /// image ref is what the runtime resolved (an image id for containerd).
    pub async fn list_containers(&self) -> Result<Vec<(String, String, String)>, RuntimeError> {
        let answer = with_deadline(
            "CRI",
            "ListContainers",
            &self.shown,
            self.timeout,
            self.runtime
                .clone()
                .list_containers(ListContainersRequest::default()),
        )
        .await
        .map_err(explain_not_cri)?;
        Ok(answer
            .into_inner()
            .containers
            .into_iter()
            .map(|c| {
                let name = c.metadata.map(|m| m.name).unwrap_or_default();
                (c.id, name, c.image_ref)
            })
            .collect())
    }

    /// `RemoveImage` by id: the CRI's own removal, for a store no native
    /// API reaches.
    pub async fn remove_image(&self, id: &str) -> Result<(), RuntimeError> {
        let request = RemoveImageRequest {
            image: Some(ImageSpec {
                image: id.to_string(),
                ..Default::default()
            }),
        };
        with_deadline(
            "CRI",
            "RemoveImage",
            &self.shown,
            self.timeout,
            self.image.clone().remove_image(request),
        )
        .await
        .map_err(explain_not_cri)?;
        Ok(())
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
