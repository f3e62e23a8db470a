//! The part of a protobuf `v1.Pod` that `kubectl debug node/X` posts (it
//! creates its pod as `application/vnd.kubernetes.protobuf`): metadata,
//! containers with command, mounts and security context, hostPath volumes,
//! node name, host namespaces, restart policy and tolerations. Field numbers
//! are those of k8s.io/api/core/v1/generated.proto; other fields are dropped.

use std::collections::HashMap;

use prost::Message;
use serde_json::{Value, json};

#[derive(Clone, PartialEq, Message)]
pub(super) struct Pod {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PodSpec>,
}

#[derive(Clone, PartialEq, Message)]
struct ObjectMeta {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    generate_name: Option<String>,
    #[prost(string, optional, tag = "3")]
    namespace: Option<String>,
    #[prost(map = "string, string", tag = "11")]
    labels: HashMap<String, String>,
    #[prost(map = "string, string", tag = "12")]
    annotations: HashMap<String, String>,
}

#[derive(Clone, PartialEq, Message)]
struct PodSpec {
    #[prost(message, repeated, tag = "1")]
    volumes: Vec<Volume>,
    #[prost(message, repeated, tag = "2")]
    containers: Vec<Container>,
    #[prost(string, optional, tag = "3")]
    restart_policy: Option<String>,
    #[prost(string, optional, tag = "10")]
    node_name: Option<String>,
    #[prost(bool, optional, tag = "11")]
    host_network: Option<bool>,
    #[prost(bool, optional, tag = "12")]
    host_pid: Option<bool>,
    #[prost(bool, optional, tag = "13")]
    host_ipc: Option<bool>,
    #[prost(message, repeated, tag = "22")]
    tolerations: Vec<Toleration>,
}

#[derive(Clone, PartialEq, Message)]
struct Volume {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, optional, tag = "2")]
    source: Option<VolumeSource>,
}

#[derive(Clone, PartialEq, Message)]
struct VolumeSource {
    #[prost(message, optional, tag = "1")]
    host_path: Option<HostPath>,
}

#[derive(Clone, PartialEq, Message)]
struct HostPath {
    #[prost(string, optional, tag = "1")]
    path: Option<String>,
    #[prost(string, optional, tag = "2")]
    r#type: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct Container {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    image: Option<String>,
    #[prost(string, repeated, tag = "3")]
    command: Vec<String>,
    #[prost(string, repeated, tag = "4")]
    args: Vec<String>,
    #[prost(message, repeated, tag = "9")]
    volume_mounts: Vec<VolumeMount>,
    #[prost(string, optional, tag = "14")]
    image_pull_policy: Option<String>,
    #[prost(message, optional, tag = "15")]
    security_context: Option<SecurityContext>,
    #[prost(bool, optional, tag = "16")]
    stdin: Option<bool>,
    #[prost(bool, optional, tag = "18")]
    tty: Option<bool>,
    #[prost(string, optional, tag = "20")]
    termination_message_policy: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct VolumeMount {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(bool, optional, tag = "2")]
    read_only: Option<bool>,
    #[prost(string, optional, tag = "3")]
    mount_path: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct SecurityContext {
    #[prost(bool, optional, tag = "2")]
    privileged: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
struct Toleration {
    #[prost(string, optional, tag = "1")]
    key: Option<String>,
    #[prost(string, optional, tag = "2")]
    operator: Option<String>,
    #[prost(string, optional, tag = "3")]
    value: Option<String>,
    #[prost(string, optional, tag = "4")]
    effect: Option<String>,
}

/// Drops nulls, so that absent fields stay absent in the JSON form.
fn clean(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        map.retain(|_, x| !x.is_null());
        for x in map.values_mut() {
            *x = clean(std::mem::take(x));
        }
    } else if let Value::Array(items) = &mut v {
        for x in items.iter_mut() {
            *x = clean(std::mem::take(x));
        }
    }
    v
}

/// The pod (decoded from `raw`, the envelope's payload) as its JSON form.
pub(super) fn to_json(raw: &[u8]) -> Result<Value, String> {
    let pod = Pod::decode(raw).map_err(|e| e.to_string())?;
    let meta = pod.metadata.unwrap_or_default();
    let spec = pod.spec.unwrap_or_default();
    let containers: Vec<Value> = spec
        .containers
        .into_iter()
        .map(|c| {
            json!({
                "name": c.name, "image": c.image,
                "command": (!c.command.is_empty()).then_some(c.command),
                "args": (!c.args.is_empty()).then_some(c.args),
                "volumeMounts": c.volume_mounts.into_iter().map(|m| json!({
                    "name": m.name, "readOnly": m.read_only, "mountPath": m.mount_path,
                })).collect::<Vec<_>>(),
                "imagePullPolicy": c.image_pull_policy,
                "securityContext": c.security_context.map(|s| json!({"privileged": s.privileged})),
                "stdin": c.stdin, "tty": c.tty,
                "terminationMessagePolicy": c.termination_message_policy,
            })
        })
        .collect();
    let volumes: Vec<Value> = spec
        .volumes
        .into_iter()
        .map(|v| {
            let host = v.source.and_then(|s| s.host_path);
            json!({"name": v.name, "hostPath": host.map(|h| json!({"path": h.path, "type": h.r#type}))})
        })
        .collect();
    let tolerations: Vec<Value> = spec
        .tolerations
        .into_iter()
        .map(
            |t| json!({"key": t.key, "operator": t.operator, "value": t.value, "effect": t.effect}),
        )
        .collect();
    Ok(clean(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": meta.name, "generateName": meta.generate_name, "namespace": meta.namespace,
            "labels": (!meta.labels.is_empty()).then_some(meta.labels),
            "annotations": (!meta.annotations.is_empty()).then_some(meta.annotations),
        },
        "spec": {
            "containers": containers, "volumes": volumes, "tolerations": tolerations,
            "restartPolicy": spec.restart_policy, "nodeName": spec.node_name,
            "hostNetwork": spec.host_network, "hostPID": spec.host_pid, "hostIPC": spec.host_ipc,
        },
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_debugger_pod_keeps_what_the_kubelet_needs() {
        let pod = Pod {
            metadata: Some(ObjectMeta {
                name: Some("node-debugger-n1-abcde".into()),
                ..Default::default()
            }),
            spec: Some(PodSpec {
                volumes: vec![Volume {
                    name: Some("host-root".into()),
                    source: Some(VolumeSource {
                        host_path: Some(HostPath {
                            path: Some("/".into()),
                            r#type: None,
                        }),
                    }),
                }],
                containers: vec![Container {
                    name: Some("debugger".into()),
                    image: Some("busybox".into()),
                    command: vec!["cat".into(), "/host/etc/hostname".into()],
                    volume_mounts: vec![VolumeMount {
                        name: Some("host-root".into()),
                        read_only: None,
                        mount_path: Some("/host".into()),
                    }],
                    ..Default::default()
                }],
                restart_policy: Some("Never".into()),
                node_name: Some("n1".into()),
                host_pid: Some(true),
                tolerations: vec![Toleration {
                    operator: Some("Exists".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        };
        let v = to_json(&pod.encode_to_vec()).unwrap();
        assert_eq!(v["spec"]["nodeName"], "n1");
        assert_eq!(v["spec"]["volumes"][0]["hostPath"]["path"], "/");
        assert_eq!(
            v["spec"]["containers"][0]["command"][1],
            "/host/etc/hostname"
        );
        assert_eq!(
            v["spec"]["containers"][0]["volumeMounts"][0]["mountPath"],
            "/host"
        );
        assert_eq!(v["spec"]["tolerations"][0]["operator"], "Exists");
        assert!(v["spec"]["containers"][0].get("args").is_none());
    }
}
