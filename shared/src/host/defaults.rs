//! Well-known sockets and roots of each runtime (see docs/runtime-facts.md
//! for the upstream source of each line).

/// containerd (`containerd/defaults`).
pub const CONTAINERD_SOCKET: &str = "/run/containerd/containerd.sock";
pub const CONTAINERD_ROOT: &str = "/var/lib/containerd";
pub const CONTAINERD_CONFIG: &str = "/etc/containerd/config.toml";
/// The namespace the CRI plugin keeps Kubernetes images in.
pub const CRI_NAMESPACE: &str = "k8s.io";

/// dockerd (moby `daemon/config`, `cmd/dockerd/daemon_unix.go`).
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";
pub const DOCKER_ROOT: &str = "/var/lib/docker";
pub const DOCKER_CONFIG: &str = "/etc/docker/daemon.json";
pub const DOCKER_NAMESPACE: &str = "moby";
/// dockerd's managed containerd, started when no system containerd socket exists.
pub const DOCKER_MANAGED_CONTAINERD_SOCKET: &str = "/var/run/docker/containerd/containerd.sock";
pub const DOCKER_MANAGED_CONTAINERD_ROOT: &str = "/var/lib/docker/containerd/daemon";

/// cri-dockerd (Mirantis `cmd/cri/options`).
pub const CRI_DOCKERD_SOCKET: &str = "/var/run/cri-dockerd.sock";
pub const CRI_DOCKERD_ROOT: &str = "/var/lib/cri-dockerd";

/// k3s (`pkg/agent/config/config_linux.go`, `pkg/cli/cmds`).
pub const K3S_DATA_DIR: &str = "/var/lib/rancher/k3s";
pub const K3S_CONFIG: &str = "/etc/rancher/k3s/config.yaml";
pub const K3S_CONTAINERD_SOCKET: &str = "/run/k3s/containerd/containerd.sock";
pub const K3S_CRI_DOCKERD_SOCKET: &str = "/run/k3s/cri-dockerd/cri-dockerd.sock";

/// rke2 shares k3s's socket path, with its own data dir.
pub const RKE2_DATA_DIR: &str = "/var/lib/rancher/rke2";

/// microk8s (snap).
pub const MICROK8S_CONTAINERD_SOCKET: &str = "/var/snap/microk8s/common/run/containerd.sock";
pub const MICROK8S_CONTAINERD_ROOT: &str = "/var/snap/microk8s/common/var/lib/containerd";

/// CRI-O (`/etc/containers/storage.conf` defaults).
pub const CRIO_SOCKET: &str = "/var/run/crio/crio.sock";
pub const CRIO_STORAGE_ROOT: &str = "/var/lib/containers/storage";

/// `<data-dir>/agent/containerd`: k3s's and rke2's containerd root.
pub fn agent_containerd_root(data_dir: &str) -> String {
    format!("{}/agent/containerd", data_dir.trim_end_matches('/'))
}

/// Turns a socket path into the `unix://` URL form crictl and Docker print.
pub fn unix_url(path: &str) -> String {
    if path.contains("://") {
        path.to_string()
    } else {
        format!("unix://{path}")
    }
}

/// The path part of `unix:///x` (or a bare path); `None` for other schemes.
pub fn unix_path(url: &str) -> Option<&str> {
    match url.split_once("://") {
        Some(("unix", rest)) => Some(rest),
        Some(_) => None,
        None => Some(url),
    }
}
