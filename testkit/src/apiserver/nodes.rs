//! Nodes and namespaces as the config describes them, with the labels,
//! conditions and nodeInfo a kubelet would report.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Namespace, NamespaceStatus, Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::config::{NamespaceConfig, NodeConfig};
use super::objects::{hex_id, new_uid, now};

fn kernel_version() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "6.1.0".into())
}

/// The node's InternalIP: from the config, or 10.0.x.y by index.
pub fn node_ip(cfg: &NodeConfig, index: usize) -> String {
    cfg.internal_ip
        .clone()
        .unwrap_or_else(|| format!("10.0.{}.{}", (index + 2) / 250, (index + 2) % 250 + 1))
}

pub fn ready_condition(ready: bool) -> NodeCondition {
    let t = now();
    NodeCondition {
        type_: "Ready".into(),
        status: if ready { "True" } else { "False" }.into(),
        reason: Some(
            if ready {
                "KubeletReady"
            } else {
                "KubeletNotReady"
            }
            .into(),
        ),
        message: Some(if ready {
            "kubelet is posting ready status".into()
        } else {
            "container runtime is down".into()
        }),
        last_heartbeat_time: Some(t.clone()),
        last_transition_time: Some(t),
    }
}

pub fn node_object(cfg: &NodeConfig, index: usize, kubelet_version: &str, ready: bool) -> Node {
    let os = cfg.os.clone().unwrap_or_else(|| "linux".into());
    let arch = cfg.arch.clone().unwrap_or_else(|| "amd64".into());
    let mut labels: BTreeMap<String, String> = BTreeMap::from([
        ("kubernetes.io/os".into(), os.clone()),
        ("kubernetes.io/arch".into(), arch.clone()),
        ("kubernetes.io/hostname".into(), cfg.name.clone()),
        ("beta.kubernetes.io/os".into(), os.clone()),
        ("beta.kubernetes.io/arch".into(), arch.clone()),
    ]);
    labels.extend(cfg.labels.clone());
    let t = now();
    let pressure = |type_: &str, reason: &str, message: &str| NodeCondition {
        type_: type_.into(),
        status: "False".into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: Some(t.clone()),
        last_transition_time: Some(t.clone()),
    };
    let capacity = BTreeMap::from([
        ("cpu".to_string(), Quantity("2".into())),
        ("memory".to_string(), Quantity("8148040Ki".into())),
        ("pods".to_string(), Quantity("110".into())),
        (
            "ephemeral-storage".to_string(),
            Quantity("102626232Ki".into()),
        ),
    ]);
    let runtime = cfg.container_runtime_version.clone().unwrap_or_else(|| {
        if os == "windows" {
            "containerd://1.7.24".into()
        } else if cfg
            .lab
            .as_deref()
            .is_some_and(|s| s.starts_with("k3s-docker"))
        {
            "docker://20.10.24".into()
        } else {
            "containerd://1.6.20".into()
        }
    });
    Node {
        metadata: ObjectMeta {
            name: Some(cfg.name.clone()),
            uid: Some(new_uid()),
            creation_timestamp: Some(t.clone()),
            labels: Some(labels),
            annotations: Some(BTreeMap::from([(
                "node.alpha.kubernetes.io/ttl".to_string(),
                "0".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            unschedulable: cfg.unschedulable.then_some(true),
            pod_cidr: Some(format!("10.244.{index}.0/24")),
            ..NodeSpec::default()
        }),
        status: Some(NodeStatus {
            conditions: Some(vec![
                pressure(
                    "MemoryPressure",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                pressure(
                    "DiskPressure",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                ),
                pressure(
                    "PIDPressure",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                ),
                ready_condition(ready),
            ]),
            addresses: Some(vec![
                NodeAddress {
                    type_: "InternalIP".into(),
                    address: node_ip(cfg, index),
                },
                NodeAddress {
                    type_: "Hostname".into(),
                    address: cfg.name.clone(),
                },
            ]),
            allocatable: Some(capacity.clone()),
            capacity: Some(capacity),
            node_info: Some(NodeSystemInfo {
                architecture: arch,
                operating_system: os.clone(),
                container_runtime_version: runtime,
                kubelet_version: kubelet_version.into(),
                kube_proxy_version: kubelet_version.into(),
                kernel_version: if os == "windows" {
                    "10.0.20348.2700".into()
                } else {
                    kernel_version()
                },
                os_image: cfg.os_image.clone().unwrap_or_else(|| {
                    if os == "windows" {
                        "Windows Server 2022 Datacenter".into()
                    } else {
                        "Debian GNU/Linux 12 (bookworm)".into()
                    }
                }),
                machine_id: hex_id(32),
                system_uuid: new_uid(),
                boot_id: new_uid(),
                ..NodeSystemInfo::default()
            }),
            ..NodeStatus::default()
        }),
    }
}

pub fn namespace_object(cfg: &NamespaceConfig) -> Namespace {
    let mut labels = cfg.labels.clone();
    labels.insert("kubernetes.io/metadata.name".into(), cfg.name.clone());
    Namespace {
        metadata: ObjectMeta {
            name: Some(cfg.name.clone()),
            uid: Some(new_uid()),
            creation_timestamp: Some(now()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        spec: Some(k8s_openapi::api::core::v1::NamespaceSpec {
            finalizers: Some(vec!["kubernetes".into()]),
        }),
        status: Some(NamespaceStatus {
            phase: Some("Active".into()),
            ..NamespaceStatus::default()
        }),
    }
}
