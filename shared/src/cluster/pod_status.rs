//! What a pod's status says about its node's scan: its phase, why it
//! failed, and why it never ran (docs/contract.md §4 `unknown` reasons).

use k8s_openapi::api::core::v1::Pod;

use crate::model::unknown_reason::UnknownReason;

/// The phase, `Pending` until the kubelet reports one.
pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// Why a pod failed: the container's terminated reason and exit code, or the pod's.
pub fn failure(pod: &Pod) -> String {
    let status = pod.status.as_ref();
    let terminated = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find_map(|c| c.state.as_ref().and_then(|st| st.terminated.clone()))
        });
    match (terminated, status.and_then(|s| s.reason.clone())) {
        (Some(t), _) => format!(
            "{} (exit {})",
            t.reason.unwrap_or_else(|| "Error".into()),
            t.exit_code
        ),
        (None, Some(reason)) => reason,
        (None, None) => "Failed".into(),
    }
}

/// Waiting reasons that mean the node could not get the agent image.
const PULL_FAILURES: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
];

/// docs/contract.md §4 reason for a pod that never ran: `PodPending: Unschedulable`,
/// `ImagePullBackOff: …`, from its conditions and container states. A pull
/// failure names the image, the kubelet's message and the two ways out.
pub fn pending_reason(pod: &Pod) -> UnknownReason {
    let status = pod.status.as_ref();
    let waiting = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| {
            cs.iter().find_map(|c| {
                let w = c.state.as_ref()?.waiting.as_ref()?;
                Some((w.reason.clone()?, w.message.clone(), c.image.clone()))
            })
        });
    if let Some((reason, message, image)) = waiting.filter(|(r, ..)| r != "ContainerCreating") {
        if !PULL_FAILURES.contains(&reason.as_str()) {
            return UnknownReason::Waiting(reason);
        }
        return UnknownReason::PullFailed {
            reason,
            image,
            message: message
                .as_deref()
                .and_then(|m| m.lines().next())
                .map(|m| tail(m, 240)),
        };
    }
    let unscheduled = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        })
        .and_then(|c| c.reason.clone());
    match unscheduled {
        Some(reason) => UnknownReason::NotScheduled(reason),
        None => UnknownReason::PodPending,
    }
}

/// The end of a long kubelet message: its root cause comes last
/// (`…: dial tcp: lookup ghcr.io: no such host`).
fn tail(message: &str, max: usize) -> String {
    let n = message.chars().count();
    if n <= max {
        return message.to_string();
    }
    let kept: String = message.chars().skip(n - max).collect();
    format!("…{kept}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": {"name": "p"}, "status": status}))
            .unwrap()
    }

    #[test]
    fn pending_reasons_name_the_cause() {
        let unschedulable = pod(
            serde_json::json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}),
        );
        assert_eq!(
            pending_reason(&unschedulable).to_string(),
            "PodPending: Unschedulable"
        );
        let pull = pod(
            serde_json::json!({"phase": "Pending", "containerStatuses": [{"name": "agent", "image": "i", "imageID": "", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}),
        );
        let said = pending_reason(&pull).to_string();
        assert!(
            said.starts_with("ImagePullBackOff: the node cannot pull \"i\"")
                && said.contains("pass --image")
                && said.contains("--agent-binary"),
            "{said}"
        );
        let creating = pod(
            serde_json::json!({"phase": "Pending", "containerStatuses": [{"name": "agent", "image": "i", "imageID": "", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
        );
        assert_eq!(pending_reason(&creating), UnknownReason::PodPending);
    }

    #[test]
    fn failures_name_the_reason_and_exit_code() {
        let crashed = pod(
            serde_json::json!({"phase": "Failed", "containerStatuses": [{"name": "agent", "image": "i", "imageID": "", "ready": false, "restartCount": 0, "state": {"terminated": {"reason": "Error", "exitCode": 101}}}]}),
        );
        assert_eq!(failure(&crashed), "Error (exit 101)");
        let deadline = pod(serde_json::json!({"phase": "Failed", "reason": "DeadlineExceeded"}));
        assert_eq!(failure(&deadline), "DeadlineExceeded");
    }
}
