//! The prune pod: the agent pod's safety profile (not privileged, every
//! capability dropped, read-only root, no token, a deadline), narrowed to
//! what one node's approved plan needs. Instead of all of `/run`, only the
//! sockets the plan dials are mounted, each on its own, read-only.
//!
//! Whole leftover stores are not removed from a pod: proving that nothing
//! uses one means reading every process's fds, maps and mountinfo, which a
//! pod without `CAP_SYS_PTRACE` may not (`prune --local` on the node does).

use std::time::Duration;

use k8s_openapi::api::core::v1::{HostPathVolumeSource, Pod, Volume, VolumeMount};

use super::pod::{DEADLINE_MARGIN, HOST_MOUNT};

/// What one node's prune pod is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneOrder {
    /// The approved `PruneJob`, as JSON: the agent removes nothing outside it.
    pub job: String,
    /// The sockets the job dials (`PruneJob::sockets`).
    pub sockets: Vec<String>,
    /// Copies to remove: each may take a few calls, a du and a GC.
    pub copies: usize,
}

/// Seconds a deleted prune pod gets before it is killed: long enough for
/// the removal under way to finish (the agent starts no other after the
/// SIGTERM).
pub fn grace_seconds(timeout: Duration) -> u32 {
    u32::try_from(timeout.as_secs().saturating_mul(3) + 5).unwrap_or(u32::MAX)
}

/// Turns the scan pod `pod` into the prune pod for `order`.
pub fn prune_pod(mut pod: Pod, order: &PruneOrder, timeout: Duration) -> Pod {
    let Some(spec) = pod.spec.as_mut() else {
        return pod;
    };
    spec.termination_grace_period_seconds = Some(i64::from(grace_seconds(timeout)));
    let steps = u32::try_from(order.copies + 2).unwrap_or(u32::MAX);
    spec.active_deadline_seconds =
        Some((timeout.saturating_mul(steps) + DEADLINE_MARGIN).as_secs() as i64);
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    volumes.retain(|v| v.host_path.as_ref().is_none_or(|h| h.path != "/run"));
    let mut mounts: Vec<VolumeMount> = Vec::new();
    let host_path = |name: String, path: &str, kind: &str| Volume {
        name,
        host_path: Some(HostPathVolumeSource {
            path: path.to_string(),
            type_: Some(kind.into()),
        }),
        ..Default::default()
    };
    for (i, socket) in order.sockets.iter().enumerate() {
        let name = format!("socket-{i}");
        volumes.push(host_path(name.clone(), socket, "Socket"));
        mounts.push(VolumeMount {
            name,
            mount_path: format!("{HOST_MOUNT}{socket}"),
            read_only: Some(true),
            ..Default::default()
        });
    }
    let Some(container) = pod.spec.as_mut().and_then(|s| s.containers.first_mut()) else {
        return pod;
    };
    let all = container.volume_mounts.get_or_insert_with(Vec::new);
    all.retain(|m| m.mount_path != format!("{HOST_MOUNT}/run"));
    all.extend(mounts);
    let args = container.args.get_or_insert_with(Vec::new);
    if let Some(first) = args.first_mut() {
        *first = "prune-agent".into();
    }
    args.extend(["--job".to_string(), order.job.clone()]);
    pod
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod::{AgentMode, AgentPod};

    fn order() -> PruneOrder {
        PruneOrder {
            job: "{}".into(),
            sockets: vec![
                "/run/containerd/containerd.sock".into(),
                "/run/k3s/containerd/containerd.sock".into(),
            ],
            copies: 3,
        }
    }

    fn scan_pod() -> Pod {
        AgentPod {
            node: "n1".into(),
            namespace: "imgdup".into(),
            image: "i".into(),
            run_id: "r".into(),
            timeout: Duration::from_secs(10),
            mode: AgentMode::Scan,
        }
        .build()
    }

    #[test]
    fn only_the_plans_sockets_are_mounted_read_only_instead_of_run() {
        let pod = prune_pod(scan_pod(), &order(), Duration::from_secs(10));
        let spec = pod.spec.unwrap();
        assert_eq!(spec.active_deadline_seconds, Some(5 * 10 + 60));
        assert_eq!(spec.termination_grace_period_seconds, Some(35));
        let paths: Vec<(String, String)> = spec
            .volumes
            .unwrap()
            .iter()
            .map(|v| {
                let h = v.host_path.as_ref().unwrap();
                (h.path.clone(), h.type_.clone().unwrap())
            })
            .collect();
        assert!(!paths.iter().any(|(p, _)| p == "/run"), "{paths:?}");
        assert!(paths.contains(&("/run/containerd/containerd.sock".into(), "Socket".into())));
        let c = &spec.containers[0];
        for m in c.volume_mounts.as_ref().unwrap() {
            assert_eq!(m.read_only, Some(true), "{}", m.mount_path);
        }
        let args = c.args.as_ref().unwrap();
        assert_eq!(args[0], "prune-agent");
        assert_eq!(&args[args.len() - 2..], ["--job", "{}"]);
        let sc = c.security_context.as_ref().unwrap();
        assert_eq!(
            (sc.privileged, sc.read_only_root_filesystem),
            (Some(false), Some(true))
        );
    }
}
