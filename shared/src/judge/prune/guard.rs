//! The guards, asked of the runtimes themselves just before each removal
//! (and once while planning, so the plan already shows what will stay):
//! the copy is still there under the same id, no container of any
//! namespace uses it, its runtime does not pin it, it is no pod sandbox
//! image, and the kept copy is still whole.

use std::collections::BTreeSet;

use super::job::Target;
use super::report::SkipReason;
use super::store_api::{CopyNames, StoreApi};
use crate::chain::claimed_socket::containerd_config;
use crate::host::daemon_config::{self, ContainerdToml};
use crate::host::view::HostView;
use crate::runtime::RuntimeError;
use crate::runtime::cri::CriClient;

/// What the guards decided for one copy.
#[derive(Debug)]
pub(super) enum Decision {
    Remove(CopyNames),
    Skip {
        reason: SkipReason,
        detail: String,
        containers: Vec<String>,
    },
}

fn skip(reason: SkipReason, detail: String) -> Decision {
    Decision::Skip {
        reason,
        detail,
        containers: Vec::new(),
    }
}

/// Runs every guard for `target` on its store (`api`) and the kept store.
pub(super) async fn check(
    api: &StoreApi,
    kept: &StoreApi,
    target: &Target,
    sandboxes: &Sandboxes,
) -> Result<Decision, RuntimeError> {
    let (id, store) = (&target.image, &target.store.id);
    let copy = api.names(id).await?;
    if copy.names.is_empty() {
        let detail = format!("{store} no longer holds {id}: it was removed since the scan");
        return Ok(skip(SkipReason::Gone, detail));
    }
    let users = api.users(id).await?;
    if !users.is_empty() {
        return Ok(Decision::Skip {
            reason: SkipReason::InUse,
            detail: format!("used by container(s) {} in {store}", users.join(", ")),
            containers: users,
        });
    }
    if copy.pinned {
        let detail = format!("{store} pins it (CRI `pinned`, label io.cri-containerd.pinned)");
        return Ok(skip(SkipReason::Pinned, detail));
    }
    if let Some((name, source)) = sandboxes.matching(&copy.names) {
        let detail = format!("{name} is a pod sandbox image ({source})");
        return Ok(skip(SkipReason::Sandbox, detail));
    }
    if let Some(why) = kept.incomplete(id, &target.chain_ids).await? {
        let detail = format!(
            "the kept copy in {} is not whole ({why}): this copy may be the last one",
            target.keep.id
        );
        return Ok(skip(SkipReason::KeptCopyMissing, detail));
    }
    Ok(Decision::Remove(copy))
}

/// The pod sandbox (pause) images of every runtime on the node, each with
/// where it is configured. Matching is by normalised reference, as the
/// runtimes store them (`pause:3.9` is `docker.io/library/pause:3.9`).
#[derive(Debug, Default)]
pub struct Sandboxes(Vec<(String, String)>);

impl Sandboxes {
    fn matching(&self, names: &[String]) -> Option<&(String, String)> {
        let names: BTreeSet<String> = names.iter().map(|n| normalize(n)).collect();
        self.0.iter().find(|(name, _)| names.contains(name))
    }

    fn add(&mut self, name: &str, source: String) {
        let name = normalize(name);
        if !self.0.iter().any(|(n, _)| *n == name) {
            self.0.push((name, source));
        }
    }
}

/// Reads the sandbox images from the runtimes' flags (kubelet and
/// cri-dockerd `--pod-infra-container-image`, k3s `--pause-image`), from
/// each running containerd's config file, and from the CRI `Status` of
/// `cri_sockets`. An endpoint that does not answer adds none: its sandbox
/// containers, if any, still keep their image as its users.
pub async fn sandboxes(node: &HostView, cri_sockets: &[String]) -> Sandboxes {
    let mut found = Sandboxes::default();
    for p in node.procs.all() {
        for flag in ["--pod-infra-container-image", "--pause-image"] {
            if let Some(name) = p.cmdline.value(&[flag]) {
                found.add(&name, format!("{flag} of pid {} ({})", p.pid, p.comm));
            }
        }
        if p.is("containerd") {
            let path = containerd_config(p);
            let config = daemon_config::read(&node.host, path.as_ref(), ContainerdToml::parse);
            if let Some(name) = config
                .ok()
                .flatten()
                .as_ref()
                .and_then(|c| c.sandbox_image())
            {
                found.add(name, format!("the CRI sandbox image in {path}"));
            }
        }
    }
    for socket in cri_sockets {
        let local = node.host.local(socket);
        let Ok(client) = CriClient::connect(&local, socket.as_ref(), node.timeout).await else {
            continue;
        };
        let config = client
            .status_info()
            .await
            .ok()
            .and_then(|mut i| i.remove("config"));
        let name = config
            .and_then(|c| serde_json::from_str::<serde_json::Value>(&c).ok())
            .and_then(|c| c.get("sandboxImage")?.as_str().map(str::to_string));
        if let Some(name) = name {
            found.add(&name, format!("sandboxImage of the CRI on {socket}"));
        }
    }
    found
}

/// A Docker-style reference in full: `pause:3.9` →
/// `docker.io/library/pause:3.9`, `rancher/p` → `docker.io/rancher/p:latest`.
pub fn normalize(reference: &str) -> String {
    let (name, digest) = match reference.split_once('@') {
        Some((n, dg)) => (n, Some(dg)),
        None => (reference, None),
    };
    let first = name.split('/').next().unwrap_or_default();
    let has_domain =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut full = match (has_domain, name.contains('/')) {
        (true, _) => name.to_string(),
        (false, true) => format!("docker.io/{name}"),
        (false, false) => format!("docker.io/library/{name}"),
    };
    let last = full.rsplit('/').next().unwrap_or_default();
    if digest.is_none() && !last.contains(':') && !reference.starts_with("sha256:") {
        full.push_str(":latest");
    }
    match digest {
        Some(dg) => format!("{full}@{dg}"),
        None if reference.starts_with("sha256:") => reference.to_string(),
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalise_as_the_runtimes_store_them() {
        assert_eq!(normalize("pause:3.9"), "docker.io/library/pause:3.9");
        assert_eq!(
            normalize("rancher/mirrored-pause:3.6"),
            "docker.io/rancher/mirrored-pause:3.6"
        );
        assert_eq!(normalize("rancher/p"), "docker.io/rancher/p:latest");
        assert_eq!(
            normalize("registry.k8s.io/pause:3.10"),
            "registry.k8s.io/pause:3.10"
        );
        assert_eq!(normalize("localhost:5000/p"), "localhost:5000/p:latest");
        assert_eq!(normalize("imgdup.test/app-a:1"), "imgdup.test/app-a:1");
        assert_eq!(normalize("x/y@sha256:ab"), "docker.io/x/y@sha256:ab");
        assert_eq!(normalize("sha256:ab"), "sha256:ab");
        let mut s = Sandboxes::default();
        s.add("rancher/mirrored-pause:3.6", "flag".into());
        assert!(
            s.matching(&["docker.io/rancher/mirrored-pause:3.6".into()])
                .is_some()
        );
        assert!(
            s.matching(&["docker.io/rancher/mirrored-pause:3.7".into()])
                .is_none()
        );
    }
}
