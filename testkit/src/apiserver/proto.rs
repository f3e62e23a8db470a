//! Just enough of the Kubernetes protobuf encoding to read the pod
//! `kubectl debug node/X` creates (the `bench/fanout.sh` peer): kubectl
//! posts it as `application/vnd.kubernetes.protobuf`, a `k8s\0` magic, then
//! a runtime.Unknown envelope around a `v1.Pod`. Only the fields a fake
//! kubelet and kubectl's later `wait`, `logs` and `delete` need are kept
//! (field numbers of k8s.io/api/core/v1/generated.proto); answers stay
//! JSON, which kubectl accepts.

use std::collections::HashMap;

use prost::Message;
use serde_json::{Value, json};

#[derive(Clone, PartialEq, Message)]
struct Unknown {
    #[prost(bytes = "vec", optional, tag = "2")]
    raw: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct Pod {
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
}

#[derive(Clone, PartialEq, Message)]
struct PodSpec {
    #[prost(message, repeated, tag = "2")]
    containers: Vec<Container>,
    #[prost(string, optional, tag = "3")]
    restart_policy: Option<String>,
    #[prost(string, optional, tag = "10")]
    node_name: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct Container {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    image: Option<String>,
    #[prost(string, repeated, tag = "3")]
    command: Vec<String>,
}

const MAGIC: &[u8] = b"k8s\x00";

pub fn is_protobuf(content_type: &str) -> bool {
    content_type.starts_with("application/vnd.kubernetes.protobuf")
}

/// A protobuf Pod (in its envelope) as its JSON form.
pub fn pod(body: &[u8]) -> Result<Value, String> {
    let inner = body
        .strip_prefix(MAGIC)
        .ok_or("missing the k8s protobuf magic")?;
    let raw = Unknown::decode(inner)
        .map_err(|e| e.to_string())?
        .raw
        .unwrap_or_default();
    let pod = Pod::decode(raw.as_slice()).map_err(|e| e.to_string())?;
    let meta = pod.metadata.unwrap_or_default();
    let spec = pod.spec.unwrap_or_default();
    let containers: Vec<Value> = spec
        .containers
        .into_iter()
        .map(|c| json!({"name": c.name, "image": c.image, "command": c.command}))
        .collect();
    let mut out = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"labels": meta.labels},
        "spec": {"containers": containers},
    });
    for (key, value) in [
        ("name", meta.name),
        ("generateName", meta.generate_name),
        ("namespace", meta.namespace),
    ] {
        if let Some(v) = value {
            out["metadata"][key] = json!(v);
        }
    }
    for (key, value) in [
        ("restartPolicy", spec.restart_policy),
        ("nodeName", spec.node_name),
    ] {
        if let Some(v) = value {
            out["spec"][key] = json!(v);
        }
    }
    Ok(out)
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
                containers: vec![Container {
                    name: Some("debugger".into()),
                    image: Some("busybox".into()),
                    command: vec!["cat".into(), "/host/etc/hostname".into()],
                }],
                restart_policy: Some("Never".into()),
                node_name: Some("n1".into()),
            }),
        };
        let envelope = Unknown {
            raw: Some(pod.encode_to_vec()),
        };
        let mut body = MAGIC.to_vec();
        body.extend(envelope.encode_to_vec());
        let v = super::pod(&body).unwrap();
        assert_eq!(v["metadata"]["name"], "node-debugger-n1-abcde");
        assert!(v["metadata"].get("namespace").is_none());
        assert_eq!(v["spec"]["nodeName"], "n1");
        assert_eq!(v["spec"]["restartPolicy"], "Never");
        assert_eq!(
            v["spec"]["containers"][0]["command"][1],
            "/host/etc/hostname"
        );
        assert!(super::pod(b"{}").is_err(), "JSON is not protobuf");
    }
}
