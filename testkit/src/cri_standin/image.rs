//! ImageService: the calls imgdup and crictl use to see what a CRI endpoint
//! stores (`ListImages`, `ImageStatus`, `ImageFsInfo`), answered from dockerd
//! the way Mirantis cri-dockerd answers them (core/image.go, imagefs_linux.go).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::models::{ImageInspect, ImageSummary};
use bollard::query_parameters::{ListImagesOptions, RemoveImageOptions};
use k8s_cri::v1::image_service_server::ImageService;
use k8s_cri::v1::*;
use tonic::{Code, Request, Response, Status};

use super::docker::Dockerd;
use super::logged;

/// The image half of the stand-in.
pub struct Images {
    dockerd: Dockerd,
}

impl Images {
    pub fn new(dockerd: Dockerd) -> Self {
        Images { dockerd }
    }

    async fn list(&self, reference: Option<String>) -> Result<ListImagesResponse, Status> {
        // cri-dockerd passes the CRI filter on as a docker `reference` filter.
        let options = ListImagesOptions {
            filters: reference.map(|r| HashMap::from([("reference".to_string(), vec![r])])),
            ..Default::default()
        };
        let images = self
            .dockerd
            .call(
                "list images",
                self.dockerd.client().list_images(Some(options)),
            )
            .await?;
        Ok(ListImagesResponse {
            images: images.iter().map(summary_to_cri).collect(),
        })
    }

    async fn status(&self, reference: &str, verbose: bool) -> Result<ImageStatusResponse, Status> {
        let inspect = match self.inspect(reference).await? {
            Some(inspect) => inspect,
            // CRI: a missing image is an empty answer, not an error.
            None => return Ok(ImageStatusResponse::default()),
        };
        let mut info = HashMap::new();
        if verbose {
            let json = serde_json::to_string(&inspect)
                .map_err(|e| Status::internal(format!("cannot encode image inspect: {e}")))?;
            info.insert("info".to_string(), json);
        }
        Ok(ImageStatusResponse {
            image: Some(inspect_to_cri(&inspect)),
            info,
        })
    }

    /// Inspects by tag, digest or ID; `None` when dockerd has no such image.
    async fn inspect(&self, reference: &str) -> Result<Option<ImageInspect>, Status> {
        let client = self.dockerd.client();
        match self
            .dockerd
            .call("inspect image", client.inspect_image(reference))
            .await
        {
            Ok(inspect) => Ok(Some(inspect)),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(status),
        }
    }

    /// Like cri-dockerd: the mountpoint is dockerd's `DockerRootDir` (read at
    /// startup), used bytes are the images' sizes with shared layers counted
    /// once when dockerd reports `SharedSize` (dockerd 23+; 20.10 reports -1).
    /// cri-dockerd takes inodes from statfs of that filesystem; the stand-in
    /// reports 0, since statfs would need unsafe code or another crate.
    async fn fs_info(&self) -> Result<ImageFsInfoResponse, Status> {
        let options = ListImagesOptions {
            all: true,
            shared_size: true,
            ..Default::default()
        };
        let images = self
            .dockerd
            .call(
                "list images",
                self.dockerd.client().list_images(Some(options)),
            )
            .await?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Ok(ImageFsInfoResponse {
            image_filesystems: vec![FilesystemUsage {
                timestamp,
                fs_id: Some(FilesystemIdentifier {
                    mountpoint: self.dockerd.root_dir().to_string(),
                }),
                used_bytes: Some(UInt64Value {
                    value: used_bytes(&images),
                }),
                inodes_used: Some(UInt64Value { value: 0 }),
            }],
            container_filesystems: Vec::new(),
        })
    }

    /// Removes every tag and digest of the image, then the reference itself,
    /// without force, as cri-dockerd does: removing only the ID would fail
    /// while the image has several tags. A missing image is success.
    async fn remove(&self, reference: &str) -> Result<(), Status> {
        let Some(inspect) = self.inspect(reference).await? else {
            return Ok(());
        };
        let names = (inspect.repo_tags.iter().flatten())
            .chain(inspect.repo_digests.iter().flatten())
            .map(String::as_str)
            .chain([reference]);
        for name in names {
            let options = RemoveImageOptions::default();
            let removed = self.dockerd.call(
                "remove image",
                self.dockerd
                    .client()
                    .remove_image(name, Some(options), None),
            );
            match removed.await {
                Ok(_) => {}
                Err(status) if status.code() == Code::NotFound => {}
                Err(status) => return Err(status),
            }
        }
        Ok(())
    }
}

/// Sum of image sizes with each distinct shared size counted once, which is
/// cri-dockerd's approximation of the bytes the images occupy.
fn used_bytes(images: &[ImageSummary]) -> u64 {
    let mut total: u64 = 0;
    let mut shared = std::collections::BTreeSet::new();
    for image in images {
        let size = u64::try_from(image.size).unwrap_or(0);
        if image.shared_size < 0 {
            total = total.saturating_add(size);
        } else {
            let own = size.saturating_sub(u64::try_from(image.shared_size).unwrap_or(0));
            total = total.saturating_add(own);
            shared.insert(image.shared_size);
        }
    }
    shared.into_iter().fold(total, |t, s| {
        t.saturating_add(u64::try_from(s).unwrap_or(0))
    })
}

fn summary_to_cri(image: &ImageSummary) -> Image {
    Image {
        id: image.id.clone(),
        repo_tags: image.repo_tags.clone(),
        repo_digests: image.repo_digests.clone(),
        size: u64::try_from(image.size).unwrap_or(0),
        ..Default::default()
    }
}

fn inspect_to_cri(inspect: &ImageInspect) -> Image {
    let user = inspect.config.as_ref().and_then(|c| c.user.as_deref());
    let (uid, username) = split_image_user(user.unwrap_or(""));
    Image {
        id: inspect.id.clone().unwrap_or_default(),
        repo_tags: inspect.repo_tags.clone().unwrap_or_default(),
        repo_digests: inspect.repo_digests.clone().unwrap_or_default(),
        size: inspect
            .size
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(0),
        uid: uid.map(|value| Int64Value { value }),
        username,
        ..Default::default()
    }
}

/// Image `User` is `user[:group]`; a numeric user is a uid, anything else a
/// name (cri-dockerd's getUserFromImageUser).
fn split_image_user(user: &str) -> (Option<i64>, String) {
    let user = user.split(':').next().unwrap_or("");
    match user.parse::<i64>() {
        Ok(uid) => (Some(uid), String::new()),
        Err(_) => (None, user.to_string()),
    }
}

fn image_ref(spec: Option<ImageSpec>, method: &str) -> Result<String, Status> {
    match spec {
        Some(spec) if !spec.image.is_empty() => Ok(spec.image),
        _ => Err(Status::invalid_argument(format!(
            "{method}: image spec is required"
        ))),
    }
}

#[tonic::async_trait]
impl ImageService for Images {
    async fn list_images(
        &self,
        request: Request<ListImagesRequest>,
    ) -> Result<Response<ListImagesResponse>, Status> {
        let reference = (request.into_inner().filter)
            .and_then(|f| f.image)
            .map(|spec| spec.image)
            .filter(|r| !r.is_empty());
        let detail = reference.as_deref().unwrap_or("").to_string();
        logged("ListImages", &detail, self.list(reference).await)
    }

    async fn image_status(
        &self,
        request: Request<ImageStatusRequest>,
    ) -> Result<Response<ImageStatusResponse>, Status> {
        let request = request.into_inner();
        let reference = image_ref(request.image, "ImageStatus");
        let result = match &reference {
            Ok(r) => self.status(r, request.verbose).await,
            Err(e) => Err(e.clone()),
        };
        logged("ImageStatus", reference.as_deref().unwrap_or(""), result)
    }

    async fn pull_image(
        &self,
        request: Request<PullImageRequest>,
    ) -> Result<Response<PullImageResponse>, Status> {
        let reference = request.into_inner().image.map(|s| s.image);
        logged(
            "PullImage",
            reference.as_deref().unwrap_or(""),
            Err(Status::unimplemented(
                "cri-dockerd stand-in: PullImage is not implemented (the lab has no registry)",
            )),
        )
    }

    async fn remove_image(
        &self,
        request: Request<RemoveImageRequest>,
    ) -> Result<Response<RemoveImageResponse>, Status> {
        let reference = image_ref(request.into_inner().image, "RemoveImage");
        let result = match &reference {
            Ok(r) => self.remove(r).await.map(|()| RemoveImageResponse {}),
            Err(e) => Err(e.clone()),
        };
        logged("RemoveImage", reference.as_deref().unwrap_or(""), result)
    }

    async fn image_fs_info(
        &self,
        _request: Request<ImageFsInfoRequest>,
    ) -> Result<Response<ImageFsInfoResponse>, Status> {
        logged("ImageFsInfo", "", self.fs_info().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_user() {
        assert_eq!(split_image_user(""), (None, String::new()));
        assert_eq!(split_image_user("1000:1000"), (Some(1000), String::new()));
        assert_eq!(split_image_user("nobody"), (None, "nobody".to_string()));
        assert_eq!(split_image_user("app:staff"), (None, "app".to_string()));
    }

    #[test]
    fn used_bytes_counts_shared_once() {
        let image = |size, shared_size| ImageSummary {
            size,
            shared_size,
            ..Default::default()
        };
        assert_eq!(used_bytes(&[image(10, -1), image(5, -1)]), 15);
        assert_eq!(used_bytes(&[image(10, 4), image(6, 4)]), 6 + 2 + 4);
    }
}
