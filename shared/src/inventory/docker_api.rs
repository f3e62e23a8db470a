//! A running dockerd read through its API (bollard), cross-checked with
//! its files.
//!
//! The API is the authority on identity (ids, tags, digests, DiffIDs), but
//! it reveals only the top layer's directory (`GraphDriver.Data.UpperDir`).
//! Every layer's directory comes from the same layerdb files the offline
//! reader uses (`image/<driver>/layerdb/sha256/<chainid>/cache-id`), and
//! wherever the two disagree the inventory carries a gap.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::path::Path;
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::models::ImageInspect;
use bollard::query_parameters::{ListContainersOptions, ListImagesOptions};

use super::docker_files::{StoreFiles, read_files};
use super::docker_layerdb::check_layers;
use super::{Container, Image, InventoryError, StoreInventory, chain_ids, on_blocking_thread};
use crate::host::root::HostRoot;
use crate::runtime::docker::{connect, info_of};
use crate::runtime::with_deadline;

/// Reads the dockerd listening on `socket` (a host path). Returns its
/// storage driver, its `DockerRootDir` (host path) and its inventory.
pub async fn read_docker_api(
    host: &HostRoot,
    socket: &Path,
    timeout: Duration,
) -> Result<(String, String, StoreInventory), InventoryError> {
    let local = host.local(socket);
    let docker = connect(&local, socket, timeout).await?;
    let info = info_of(&docker, socket, timeout).await?;
    let mut gaps = Vec::new();
    let mut api = read_images(&docker, socket, timeout, &mut gaps).await?;
    let containers = read_containers(&docker, socket, timeout).await?;

    let moby = info.uses_containerd_image_store();
    let files = if moby {
        gaps.push(format!(
            "Docker uses the containerd image store: layers live in containerd namespace moby (dockerd on {}, driver {})",
            socket.display(),
            info.driver
        ));
        None
    } else if info.root_dir.is_empty() {
        gaps.push(format!(
            "dockerd on {} reports no DockerRootDir: its layers cannot be located",
            socket.display()
        ));
        None
    } else {
        let (host, root, driver) = (host.clone(), info.root_dir.clone(), info.driver.clone());
        let read = move || read_files(&host, Path::new(&root), Some(&driver));
        match on_blocking_thread(&info.root_dir, read).await? {
            Ok(files) => Some(files),
            Err(e) => {
                gaps.push(format!(
                    "{}: dockerd on {} names this store, so its layers are not counted (is --host-root right?)",
                    crate::model::causes::joined(&e),
                    socket.display()
                ));
                None
            }
        }
    };
    if let Some(files) = &files {
        compare(&api, files, &mut gaps);
    }
    adopt_uninspected(&mut api, files.as_ref(), &mut gaps);
    let mut inventory = StoreInventory {
        containers,
        ..Default::default()
    };
    if let Some(files) = files {
        check_layers(&mut api.images, &files.layerdb, &mut gaps);
        gaps.splice(0..0, files.gaps);
        inventory.layers = files.layerdb.layers;
    }
    if moby {
        for image in &mut api.images {
            image.namespace = Some("moby".into());
        }
    }
    inventory.images = api.images;
    inventory.gaps = gaps;
    Ok((info.driver, info.root_dir, inventory))
}

/// Where the API says an image's top layer lives (`GraphDriver`).
#[derive(Debug, Default)]
struct Graph {
    name: String,
    upper: Option<String>,
    lower: Option<String>,
}

/// What the image endpoints answered.
#[derive(Debug, Default)]
struct ApiImages {
    images: Vec<Image>,
    graphs: BTreeMap<String, Graph>,
    /// Every id `GET /images/json` listed (except those gone by inspect).
    listed: BTreeSet<String>,
    /// Listed but not inspectable (dockerd answers 500 when a layer
    /// directory is missing): id → the error.
    uninspected: BTreeMap<String, String>,
}

/// `GET /images/json?all=1` (intermediate images too: the imagedb holds
/// them) and one inspect per image. An image removed between the two calls
/// becomes a gap; a daemon that stops answering is an error.
async fn read_images(
    docker: &Docker,
    socket: &Path,
    timeout: Duration,
    gaps: &mut Vec<String>,
) -> Result<ApiImages, InventoryError> {
    let options = ListImagesOptions {
        all: true,
        ..Default::default()
    };
    let list = docker.list_images(Some(options));
    let summaries = with_deadline("Docker", "GET /images/json", socket, timeout, list).await?;
    let mut api = ApiImages::default();
    for summary in summaries {
        // Keep bollard's error typed: a 404 means "deleted meanwhile".
        let call = async { Ok::<_, Infallible>(docker.inspect_image(&summary.id).await) };
        let answer = with_deadline("Docker", "GET /images/{id}/json", socket, timeout, call);
        match answer.await? {
            Ok(inspect) => {
                let (image, graph) = identity(summary.id.clone(), inspect);
                api.graphs.insert(image.id.clone(), graph);
                api.images.push(image);
            }
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => {
                gaps.push(format!("image {}: removed during the scan", summary.id));
                continue;
            }
            Err(e) => {
                api.uninspected.insert(summary.id.clone(), e.to_string());
            }
        }
        api.listed.insert(summary.id);
    }
    api.images.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(api)
}

/// Images dockerd lists but cannot inspect take their identity from the
/// imagedb, so their (remaining) layers still count; each is a gap.
fn adopt_uninspected(api: &mut ApiImages, files: Option<&StoreFiles>, gaps: &mut Vec<String>) {
    for (id, error) in &api.uninspected {
        let found = files.and_then(|f| f.images.iter().find(|i| i.id == *id));
        let outcome = match found {
            Some(image) => {
                api.images.push(image.clone());
                "identity read from its imagedb file"
            }
            None => "image skipped",
        };
        gaps.push(format!(
            "image {id}: dockerd cannot inspect it ({error}); {outcome}"
        ));
    }
    api.images.sort_by(|a, b| a.id.cmp(&b.id));
}

/// The image as the API knows it; dockerd 20.10 writes `<none>:<none>`
/// and `<none>@<none>` for untagged images, which are no references.
fn identity(listed_id: String, inspect: ImageInspect) -> (Image, Graph) {
    let real = |r: &String| !r.starts_with("<none>");
    let mut tags: Vec<String> = inspect.repo_tags.unwrap_or_default();
    tags.retain(real);
    tags.sort();
    let mut repo_digests: Vec<String> = inspect.repo_digests.unwrap_or_default();
    repo_digests.retain(real);
    repo_digests.sort();
    let diff_ids = inspect.root_fs.and_then(|r| r.layers).unwrap_or_default();
    let graph = inspect
        .graph_driver
        .map(|g| Graph {
            upper: g.data.get("UpperDir").cloned(),
            lower: g.data.get("LowerDir").cloned(),
            name: g.name,
        })
        .unwrap_or_default();
    let image = Image {
        id: inspect.id.unwrap_or(listed_id),
        tags,
        repo_digests,
        chain_ids: chain_ids(&diff_ids),
        diff_ids,
        blobs: Vec::new(),
        namespace: None,
        missing: Vec::new(),
    };
    (image, graph)
}

/// `GET /containers/json?all=1`: running and stopped containers pin images.
pub(crate) async fn read_containers(
    docker: &Docker,
    socket: &Path,
    timeout: Duration,
) -> Result<Vec<Container>, InventoryError> {
    let options = ListContainersOptions {
        all: true,
        ..Default::default()
    };
    let call = docker.list_containers(Some(options));
    let listed = with_deadline("Docker", "GET /containers/json", socket, timeout, call).await?;
    let mut containers: Vec<Container> = listed
        .into_iter()
        .map(|c| Container {
            id: c.id.unwrap_or_default(),
            name: c
                .names
                .and_then(|n| n.into_iter().next())
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image_id: c.image_id.filter(|id| !id.is_empty()),
            namespace: None,
        })
        .collect();
    containers.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(containers)
}

/// Gaps wherever the API and the files tell different stories.
fn compare(api: &ApiImages, files: &StoreFiles, gaps: &mut Vec<String>) {
    let on_disk: BTreeMap<&str, &Image> = files.images.iter().map(|i| (i.id.as_str(), i)).collect();
    let content = files.image_dir.join("imagedb/content/sha256");
    for image in &api.images {
        let hex = image.id.strip_prefix("sha256:").unwrap_or(&image.id);
        let Some(file) = on_disk.get(image.id.as_str()) else {
            let path = content.join(hex);
            gaps.push(format!(
                "dockerd lists image {} but {} is missing or unreadable",
                image.id,
                path.display()
            ));
            continue;
        };
        if file.diff_ids != image.diff_ids {
            gaps.push(format!(
                "image {}: the API says layers {:?}, its config file says {:?}",
                image.id, image.diff_ids, file.diff_ids
            ));
        }
        if (&file.tags, &file.repo_digests) != (&image.tags, &image.repo_digests) {
            gaps.push(format!(
                "image {}: the API says tags {:?} / digests {:?}, repositories.json says {:?} / {:?}",
                image.id, image.tags, image.repo_digests, file.tags, file.repo_digests
            ));
        }
        if let Some(graph) = api.graphs.get(&image.id) {
            compare_graph(image, graph, files, gaps);
        }
    }
    for id in on_disk.keys().filter(|id| !api.listed.contains(**id)) {
        gaps.push(format!(
            "the imagedb holds image {id}, which dockerd does not list (removed during the scan?)"
        ));
    }
}

/// `UpperDir` must be the top layer's `<dir>/diff` and `LowerDir` the
/// others' (top first), or the layerdb does not describe what dockerd mounts.
fn compare_graph(image: &Image, graph: &Graph, files: &StoreFiles, gaps: &mut Vec<String>) {
    if !graph.name.is_empty() && graph.name != files.driver {
        gaps.push(format!(
            "image {}: GraphDriver {} differs from the daemon's driver {}",
            image.id, graph.name, files.driver
        ));
    }
    let diff_dir = |chain: &String| {
        let layer = files.layerdb.layers.get(chain)?;
        Some(format!("{}/diff", layer.path.as_deref()?))
    };
    let dirs: Option<Vec<String>> = image.chain_ids.iter().rev().map(diff_dir).collect();
    let Some(dirs) = dirs else {
        return; // a layer without a directory is reported by check_layers
    };
    let upper = dirs.first().cloned();
    let lower =
        Some(dirs.iter().skip(1).cloned().collect::<Vec<_>>().join(":")).filter(|l| !l.is_empty());
    if upper.is_some() && (graph.upper != upper || graph.lower != lower) {
        gaps.push(format!(
            "image {}: the API mounts UpperDir {:?} LowerDir {:?}, the layerdb says {:?} {:?}",
            image.id, graph.upper, graph.lower, upper, lower
        ));
    }
}
