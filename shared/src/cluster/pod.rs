//! The agent pod: what `kubectl imgdup` creates on each node (docs/contract.md §5).
//!
//! Every field that widens what the pod can do is spelled out, and each
//! grant says why; `kubectl imgdup --dry-run NODE -o yaml` prints exactly this.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, HostPathVolumeSource, Pod, PodSpec, ResourceRequirements,
    SeccompProfile, SecurityContext, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Label on every pod we create: `kubectl imgdup cleanup` deletes by it.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "kubectl-imgdup";
/// Label naming one run, so a run only ever watches and deletes its own pods.
pub const RUN_ID_LABEL: &str = "imgdup.run-id";
/// Where the node's directories appear inside the pod.
pub const HOST_MOUNT: &str = "/host";
/// The agent's path inside its image.
pub const AGENT_PATH: &str = "/kubectl-imgdup";

/// The node directories the scan reads, all mounted read-only.
///
/// Parents, not leaves: a hostPath that does not exist is either created by
/// the kubelet (type "") — which would plant an empty `/var/lib/docker` or
/// turn a missing `/etc/crictl.yaml` into a directory — or fails the pod
/// (type Directory). These four exist on every Linux node:
/// - `/run`: the runtime sockets (containerd, k3s, cri-dockerd, docker, crio);
/// - `/var/lib`: the store roots (docker, containerd, rancher, containers);
/// - `/etc`: the files that decide the chain (crictl.yaml, daemon.json,
///   containerd and k3s config);
/// - `/proc`: which process listens on a socket, and with which flags —
///   the host's procfs, so no `hostPID` is needed.
pub const HOST_DIRS: [(&str, &str); 4] = [
    ("host-run", "/run"),
    ("host-var-lib", "/var/lib"),
    ("host-etc", "/etc"),
    ("host-proc", "/proc"),
];

/// Everything that varies between agent pods.
#[derive(Debug, Clone)]
pub struct AgentPod {
    pub node: String,
    pub namespace: String,
    pub image: String,
    pub run_id: String,
    /// The scan's own deadline; the pod's `activeDeadlineSeconds` adds a margin.
    pub timeout: Duration,
    pub mode: AgentMode,
}

/// What the agent prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AgentMode {
    /// The node's `NodeReport` (`kubectl imgdup`).
    #[default]
    Scan,
    /// crictl's chain, as `crictl-which -o json` (`kubectl imgdup which NODE`).
    Which,
}

/// Slack between the agent's timeout and the kubelet killing the pod: image
/// pull and start-up happen inside `activeDeadlineSeconds` too.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(60);

impl AgentPod {
    /// The pod, ready to create.
    pub fn build(&self) -> Pod {
        let labels = BTreeMap::from([
            (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
            (RUN_ID_LABEL.to_string(), self.run_id.clone()),
        ]);
        let volumes = HOST_DIRS
            .iter()
            .map(|(name, path)| Volume {
                name: (*name).into(),
                host_path: Some(HostPathVolumeSource {
                    path: (*path).into(),
                    type_: Some("Directory".into()),
                }),
                ..Default::default()
            })
            .collect();
        let mounts = HOST_DIRS
            .iter()
            .map(|(name, path)| VolumeMount {
                name: (*name).into(),
                mount_path: format!("{HOST_MOUNT}{path}"),
                read_only: Some(true),
                ..Default::default()
            })
            .collect();
        let timeout = format!("{}s", self.timeout.as_secs().max(1));
        let mut args: Vec<String> = vec!["agent".into()];
        if self.mode == AgentMode::Which {
            args.push("--chain".into());
        }
        let container = Container {
            name: "agent".into(),
            image: Some(self.image.clone()),
            image_pull_policy: Some("IfNotPresent".into()),
            command: Some(vec![AGENT_PATH.into()]),
            args: Some(
                args.into_iter()
                    .chain([
                        "--host-root".into(),
                        HOST_MOUNT.into(),
                        "--proc".into(),
                        format!("{HOST_MOUNT}/proc"),
                        "--node-name".into(),
                        self.node.clone(),
                        "--timeout".into(),
                        timeout,
                    ])
                    .collect(),
            ),
            volume_mounts: Some(mounts),
            resources: Some(ResourceRequirements {
                requests: Some(BTreeMap::from([
                    ("cpu".into(), Quantity("50m".into())),
                    ("memory".into(), Quantity("64Mi".into())),
                ])),
                limits: Some(BTreeMap::from([(
                    "memory".into(),
                    Quantity("256Mi".into()),
                )])),
                ..Default::default()
            }),
            security_context: Some(SecurityContext {
                privileged: Some(false),
                allow_privilege_escalation: Some(false),
                read_only_root_filesystem: Some(true),
                // No capability is needed: the agent runs as uid 0 because the
                // sockets and store dirs are owned by root (0600/0710), and an
                // owner needs no CAP_DAC_OVERRIDE to use its own files.
                capabilities: Some(Capabilities {
                    drop: Some(vec!["ALL".into()]),
                    add: None,
                }),
                run_as_user: Some(0),
                run_as_non_root: Some(false),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    localhost_profile: None,
                }),
                ..Default::default()
            }),
            termination_message_policy: Some("FallbackToLogsOnError".into()),
            ..Default::default()
        };
        Pod {
            metadata: ObjectMeta {
                name: Some(self.name()),
                namespace: Some(self.namespace.clone()),
                labels: Some(labels),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some(self.node.clone()),
                // Run on every node, cordoned or tainted: nodeName skips the scheduler.
                tolerations: Some(vec![Toleration {
                    operator: Some("Exists".into()),
                    ..Default::default()
                }]),
                restart_policy: Some("Never".into()),
                automount_service_account_token: Some(false),
                enable_service_links: Some(false),
                active_deadline_seconds: Some((self.timeout + DEADLINE_MARGIN).as_secs() as i64),
                termination_grace_period_seconds: Some(5),
                host_network: Some(false),
                host_pid: Some(false),
                host_ipc: Some(false),
                volumes: Some(volumes),
                containers: vec![container],
                ..Default::default()
            }),
            status: None,
        }
    }
}

impl AgentPod {
    /// `imgdup-<node>-<hash>-<run>`: fixed per run and node, so a create
    /// retried after a lost answer finds its pod (409) instead of making a
    /// second one, as `generateName` would. The hash keeps node names that
    /// clean up alike apart; the whole stays a DNS label (≤ 63).
    pub fn name(&self) -> String {
        let hash = self.node.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let run: String = name_part(&self.run_id).chars().take(14).collect();
        format!(
            "imgdup-{}-{:06x}-{run}",
            name_part(&self.node),
            hash & 0xff_ffff
        )
    }
}

/// A DNS-label-safe fragment of a node name (at most 32 characters).
fn name_part(node: &str) -> String {
    let cleaned: String = node
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(32)
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "node".into()
    } else {
        trimmed.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Pod {
        AgentPod {
            node: "Worker_1.example.com".into(),
            namespace: "imgdup".into(),
            image: "ghcr.io/imgdup/kubectl-imgdup:0.1.0".into(),
            run_id: "r1".into(),
            timeout: Duration::from_secs(60),
            mode: AgentMode::Scan,
        }
        .build()
    }

    #[test]
    fn the_pod_follows_the_safety_rules() {
        let pod = pod();
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.node_name.as_deref(), Some("Worker_1.example.com"));
        assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
        assert_eq!(spec.automount_service_account_token, Some(false));
        assert_eq!(spec.active_deadline_seconds, Some(120));
        assert_eq!(
            (spec.host_network, spec.host_pid, spec.host_ipc),
            (Some(false), Some(false), Some(false))
        );
        assert_eq!(
            spec.tolerations.as_ref().unwrap()[0].operator.as_deref(),
            Some("Exists")
        );
        let sc = spec.containers[0].security_context.as_ref().unwrap();
        assert_eq!(
            (
                sc.privileged,
                sc.allow_privilege_escalation,
                sc.read_only_root_filesystem
            ),
            (Some(false), Some(false), Some(true))
        );
        assert_eq!(
            sc.capabilities.as_ref().unwrap().drop.as_deref(),
            Some(&["ALL".to_string()][..])
        );
        assert_eq!(sc.capabilities.as_ref().unwrap().add, None);
        assert_eq!(sc.seccomp_profile.as_ref().unwrap().type_, "RuntimeDefault");
        let labels = pod.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[MANAGED_BY_LABEL], MANAGED_BY);
        assert_eq!(labels[RUN_ID_LABEL], "r1");
    }

    #[test]
    fn every_host_path_is_read_only_and_on_the_allowlist() {
        let pod = pod();
        let spec = pod.spec.as_ref().unwrap();
        let allowed: Vec<&str> = HOST_DIRS.iter().map(|(_, p)| *p).collect();
        for volume in spec.volumes.as_ref().unwrap() {
            let host = volume.host_path.as_ref().expect("only hostPath volumes");
            assert!(
                allowed.contains(&host.path.as_str()),
                "{} not allowed",
                host.path
            );
        }
        for mount in spec.containers[0].volume_mounts.as_ref().unwrap() {
            assert_eq!(mount.read_only, Some(true), "{}", mount.mount_path);
            assert!(mount.mount_path.starts_with("/host/"));
        }
    }

    #[test]
    fn the_name_is_a_dns_label_fixed_per_node_and_run() {
        let name = pod().metadata.name.unwrap();
        assert!(name.starts_with("imgdup-worker-1-example-com-"), "{name}");
        assert!(name.ends_with("-r1"), "{name}");
        let agent = |node: &str| AgentPod {
            node: node.into(),
            namespace: "n".into(),
            image: "i".into(),
            run_id: "18c2f9a01e240".into(),
            timeout: Duration::from_secs(1),
            mode: AgentMode::Scan,
        };
        let long = agent(&"x".repeat(300)).name();
        assert!(long.len() <= 63, "{long}");
        assert!(
            long.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        assert_eq!(agent("a.b").name(), agent("a.b").name());
        assert_ne!(agent("a.b").name(), agent("a_b").name());
        assert_eq!(name_part("___"), "node");
    }

    #[test]
    fn which_mode_asks_the_agent_for_the_chain() {
        let mut agent = AgentPod {
            node: "n".into(),
            namespace: "n".into(),
            image: "i".into(),
            run_id: "r".into(),
            timeout: Duration::from_secs(1),
            mode: AgentMode::Which,
        };
        let args = |a: &AgentPod| a.build().spec.unwrap().containers[0].args.clone().unwrap();
        assert_eq!(&args(&agent)[..2], ["agent", "--chain"]);
        agent.mode = AgentMode::Scan;
        assert!(!args(&agent).contains(&"--chain".to_string()));
    }
}
