//! When an agent pod never finishes, was it the node? A kubelet that died
//! leaves its pods Pending with no status at all, and its Node stays `Ready`
//! until the node lifecycle controller's grace period (about 50 s) ends. The
//! kubelet's Lease in `kube-node-lease` tells sooner: the kubelet renews it
//! every quarter of `leaseDurationSeconds` (10 s of 40 s), so a lease not
//! renewed for half its duration means two missed renewals.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;
use kube::{Api, Client};

use super::calls::{Calls, Verb};
use crate::model::unknown_reason::UnknownReason;

/// The kubelet's default `nodeLeaseDurationSeconds`.
const DEFAULT_LEASE_SECONDS: i64 = 40;

/// `Some(NodeLost …)` when the node's kubelet stopped renewing its lease
/// or the node is not Ready; `None` when the node looks healthy, or neither
/// can be read (the lease needs `get leases` in kube-node-lease, which
/// deploy/rbac.yaml grants; without it only the Node's condition is used).
pub async fn lost_reason(client: &Client, node: &str, calls: &Calls) -> Option<UnknownReason> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
    if let Ok(lease) = calls.run(Verb::Get, Some(node), |_| leases.get(node)).await
        && let Some(reason) = stale_lease(node, &lease, Timestamp::now())
    {
        return Some(reason);
    }
    let nodes: Api<Node> = Api::all(client.clone());
    let node_obj = calls
        .run(Verb::Get, Some(node), |_| nodes.get(node))
        .await
        .ok()?;
    not_ready(&node_obj)
}

/// The lease's reason, when it was last renewed more than half its duration ago.
fn stale_lease(node: &str, lease: &Lease, now: Timestamp) -> Option<UnknownReason> {
    let spec = lease.spec.as_ref()?;
    let renewed = spec.renew_time.as_ref()?.0;
    let duration = spec
        .lease_duration_seconds
        .map(i64::from)
        .unwrap_or(DEFAULT_LEASE_SECONDS);
    let age = now.duration_since(renewed).as_secs();
    (age * 2 > duration).then(|| UnknownReason::LeaseExpired {
        node: node.to_string(),
        age,
        renew_every: duration / 4,
    })
}

/// The Node's own `Ready` condition, when it is not `True`.
fn not_ready(node: &Node) -> Option<UnknownReason> {
    let name = node.metadata.name.as_deref().unwrap_or("?");
    let ready = node
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    (ready.status != "True").then(|| UnknownReason::NodeNotReady {
        node: name.to_string(),
        status: ready.status.clone(),
        reason: ready.reason.clone(),
        message: ready.message.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(renewed: &str, seconds: Option<i32>) -> Lease {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "n1", "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": "n1", "renewTime": renewed, "leaseDurationSeconds": seconds}
        }))
        .unwrap()
    }

    #[test]
    fn a_lease_older_than_half_its_duration_names_the_node_lost() {
        let now: Timestamp = "2026-12-03T12:00:30Z".parse().unwrap();
        let fresh = lease("2026-12-03T12:00:20.000000Z", Some(40));
        assert_eq!(stale_lease("n1", &fresh, now), None);
        let old = lease("2026-12-03T12:00:05.000000Z", Some(40));
        assert_eq!(
            stale_lease("n1", &old, now).unwrap().to_string(),
            "NodeLost: the kubelet on n1 has not renewed its lease for 25 s \
             (kube-node-lease/n1, renewed every 10 s while it runs)"
        );
        // Without a duration, the kubelet's default 40 s.
        let default = lease("2026-12-03T12:00:05.000000Z", None);
        assert!(stale_lease("n1", &default, now).is_some());
    }

    #[test]
    fn a_node_not_ready_is_lost_and_a_ready_one_is_not() {
        let node = |status: &str| -> Node {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "n1"},
                "status": {"conditions": [{"type": "Ready", "status": status,
                    "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status."}]}
            }))
            .unwrap()
        };
        assert_eq!(
            not_ready(&node("Unknown")).unwrap().to_string(),
            "NodeLost: node n1 is Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)"
        );
        assert_eq!(not_ready(&node("True")), None);
    }
}
