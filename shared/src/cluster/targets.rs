//! Which nodes get an agent pod, and what the pod list already tells about
//! each node (DooD/DinD workloads), before any pod is created.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, Client};

use super::calls::{Calls, Verb};
use crate::model::unknown_reason::UnknownReason;

/// Nodes by reason they are skipped before any pod: `NotReady`, `Windows`.
pub fn skip_reason(node: &k8s_openapi::api::core::v1::Node) -> Option<UnknownReason> {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let os = node
        .status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .map(|i| i.operating_system.as_str())
        .or(labels.get("kubernetes.io/os").map(String::as_str));
    if os == Some("windows") {
        return Some(UnknownReason::Windows);
    }
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status == "True");
    if ready == Some(false) {
        Some(UnknownReason::NotReady)
    } else {
        None
    }
}

/// Groups workload findings by node name.
pub fn findings_by_node(
    pods: &[Pod],
) -> HashMap<String, Vec<crate::model::node_report::PodFinding>> {
    let mut out: HashMap<String, Vec<_>> = HashMap::new();
    for pod in pods {
        for (node, finding) in super::workload::findings(pod) {
            out.entry(node).or_default().push(finding);
        }
    }
    out
}

/// Lists every pod of the cluster once, for the workload findings.
pub async fn list_all_pods(
    client: &Client,
    calls: &Calls,
) -> Result<Vec<Pod>, super::retry::CallError> {
    let api: Api<Pod> = Api::all(client.clone());
    let all = ListParams::default();
    let list = calls.run(Verb::List, None, |_| api.list(&all)).await?;
    Ok(list.items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_not_ready_nodes_are_skipped() {
        let node = |labels: serde_json::Value, ready: &str| -> k8s_openapi::api::core::v1::Node {
            serde_json::from_value(serde_json::json!({"metadata": {"name": "n", "labels": labels}, "status": {"conditions": [{"type": "Ready", "status": ready}]}})).unwrap()
        };
        assert_eq!(
            skip_reason(&node(
                serde_json::json!({"kubernetes.io/os": "windows"}),
                "True"
            )),
            Some(UnknownReason::Windows)
        );
        assert_eq!(
            skip_reason(&node(
                serde_json::json!({"kubernetes.io/os": "linux"}),
                "False"
            )),
            Some(UnknownReason::NotReady)
        );
        assert_eq!(
            skip_reason(&node(
                serde_json::json!({"kubernetes.io/os": "linux"}),
                "True"
            )),
            None
        );
    }
}
