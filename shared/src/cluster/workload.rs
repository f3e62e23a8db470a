//! Workloads that explain a node's `split` and `dind` verdicts, read from the
//! pod list alone (no node pod needed):
//! - DooD: a pod mounts the host's Docker socket (or a directory holding it),
//!   so the images it starts land in the host's Docker, not the kubelet's runtime;
//! - DinD: a privileged pod runs its own `dockerd` (or a `docker:*dind` image),
//!   with yet another store inside it.

use k8s_openapi::api::core::v1::Pod;

use crate::model::node_report::PodFinding;

/// Host paths whose mount hands a pod the host's Docker daemon.
const DOCKER_SOCKET_PATHS: [&str; 4] = [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run",
    "/run",
];

/// The findings of one pod, with the node it runs on.
pub fn findings(pod: &Pod) -> Vec<(String, PodFinding)> {
    let (Some(spec), Some(name)) = (pod.spec.as_ref(), pod.metadata.name.as_ref()) else {
        return Vec::new();
    };
    let Some(node) = spec.node_name.clone() else {
        return Vec::new();
    };
    let namespace = pod
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let finding = |kind: &str| {
        (
            node.clone(),
            PodFinding {
                namespace: namespace.clone(),
                name: name.clone(),
                finding: kind.to_string(),
            },
        )
    };
    let mut out = Vec::new();

    let mounts_docker = spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.host_path.as_ref())
        .any(|h| {
            let path = h.path.trim_end_matches('/');
            DOCKER_SOCKET_PATHS.contains(&path)
        });
    if mounts_docker {
        out.push(finding("dood"));
    }
    let runs_dockerd = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .any(|c| {
            let privileged = c
                .security_context
                .as_ref()
                .and_then(|s| s.privileged)
                .unwrap_or(false);
            let image = c.image.as_deref().unwrap_or("");
            let dind_image = image
                .rsplit('/')
                .next()
                .is_some_and(|i| i.starts_with("docker:") && i.contains("dind"));
            let words = c.command.iter().flatten().chain(c.args.iter().flatten());
            let dockerd = words.clone().any(|w| {
                w == "dockerd" || w.ends_with("/dockerd") || w.contains("dockerd-entrypoint")
            });
            privileged && (dind_image || dockerd)
        });
    if runs_dockerd {
        out.push(finding("dind"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_ci_runner_mounting_docker_sock_is_dood() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "runner-0", "namespace": "ci"},
            "spec": {"nodeName": "w1", "containers": [{"name": "r", "image": "gitlab/gitlab-runner"}],
                     "volumes": [{"name": "s", "hostPath": {"path": "/var/run/docker.sock"}}]}
        }));
        let f = findings(&p);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, "w1");
        assert_eq!(
            f[0].1,
            PodFinding {
                namespace: "ci".into(),
                name: "runner-0".into(),
                finding: "dood".into()
            }
        );
    }

    #[test]
    fn a_privileged_dind_sidecar_is_dind() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "build", "namespace": "ci"},
            "spec": {"nodeName": "w2", "containers": [
                {"name": "job", "image": "alpine"},
                {"name": "dind", "image": "docker.io/library/docker:27-dind", "securityContext": {"privileged": true}}]}
        }));
        assert_eq!(findings(&p)[0].1.finding, "dind");
    }

    #[test]
    fn unprivileged_or_unscheduled_pods_are_not_findings() {
        let not_privileged = pod(serde_json::json!({
            "metadata": {"name": "x"}, "spec": {"nodeName": "w", "containers": [{"name": "d", "image": "docker:dind"}]}
        }));
        assert!(findings(&not_privileged).is_empty());
        let pending = pod(serde_json::json!({
            "metadata": {"name": "y"}, "spec": {"containers": [{"name": "c"}], "volumes": [{"name": "s", "hostPath": {"path": "/run/docker.sock"}}]}
        }));
        assert!(findings(&pending).is_empty());
        let other_socket = pod(serde_json::json!({
            "metadata": {"name": "z"}, "spec": {"nodeName": "w", "containers": [{"name": "c"}],
                "volumes": [{"name": "s", "hostPath": {"path": "/run/containerd/containerd.sock"}}]}
        }));
        assert!(findings(&other_socket).is_empty());
    }
}
