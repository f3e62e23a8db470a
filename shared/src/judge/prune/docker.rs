//! A Docker graph-driver store, through dockerd's API (bollard): the copy's
//! names, the containers that use it, and its removal tag by tag, never
//! with force, so dockerd itself refuses an image a container still uses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::RemoveImageOptions;

use crate::inventory::InventoryError;
use crate::inventory::docker_api::read_containers;
use crate::runtime::docker::connect;
use crate::runtime::{RuntimeError, with_deadline};

pub(super) struct DockerStore {
    docker: Docker,
    shown: PathBuf,
    timeout: Duration,
}

impl DockerStore {
    pub async fn connect(
        local: &Path,
        shown: &Path,
        timeout: Duration,
    ) -> Result<Self, RuntimeError> {
        Ok(Self {
            docker: connect(local, shown, timeout).await?,
            shown: shown.to_path_buf(),
            timeout,
        })
    }

    /// The image's tags and repo digests; `None` when dockerd no longer has
    /// it. An inspect that fails otherwise (dockerd answers 500 when a layer
    /// directory is gone) is an error: the copy is not whole.
    pub async fn names(
        &self,
        id: &str,
    ) -> Result<Option<(Vec<String>, Vec<String>)>, RuntimeError> {
        let inspect = async {
            match self.docker.inspect_image(id).await {
                Ok(image) => Ok(Some(image)),
                Err(BollardError::DockerResponseServerError {
                    status_code: 404, ..
                }) => Ok(None),
                Err(e) => Err(e),
            }
        };
        let image = with_deadline(
            "Docker",
            "GET /images/{id}/json",
            &self.shown,
            self.timeout,
            inspect,
        )
        .await?;
        Ok(image.map(|i| {
            (
                i.repo_tags.unwrap_or_default(),
                i.repo_digests.unwrap_or_default(),
            )
        }))
    }

    /// Containers, running or stopped, created from the image.
    pub async fn users(&self, id: &str) -> Result<Vec<String>, RuntimeError> {
        let containers = read_containers(&self.docker, &self.shown, self.timeout)
            .await
            .map_err(|e| match e {
                InventoryError::Runtime(e) => e,
                other => RuntimeError::call("Docker", "GET /containers/json", &self.shown, other),
            })?;
        Ok(containers
            .into_iter()
            .filter(|c| c.image_id.as_deref() == Some(id))
            .map(|c| c.name)
            .collect())
    }

    /// Removes every tag, then the image by id if it is still there (an
    /// untagged image, or one known by digest only). Returns the names
    /// removed. dockerd refuses `rmi <id>` for an image with several tags
    /// unless forced, and forcing would also untag it from under a container.
    pub async fn remove(&self, id: &str, tags: &[String]) -> Result<Vec<String>, RuntimeError> {
        let mut removed = Vec::new();
        for name in tags.iter().map(String::as_str).chain([id]) {
            if name == id && self.names(id).await?.is_none() {
                break;
            }
            let options = Some(RemoveImageOptions {
                force: false,
                noprune: false,
                platforms: None,
            });
            let call = self.docker.remove_image(name, options, None);
            with_deadline(
                "Docker",
                "DELETE /images/{name}",
                &self.shown,
                self.timeout,
                call,
            )
            .await?;
            removed.push(name.to_string());
        }
        Ok(removed)
    }
}
