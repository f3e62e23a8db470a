//! Pod status as the kubelet writes it: conditions, container states,
//! phase (pkg/kubelet/status, kubelet_pods.go getPhase).

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::apiserver::objects::now;

fn status(pod: &mut Pod) -> &mut PodStatus {
    pod.status.get_or_insert_with(Default::default)
}

pub fn set_condition(
    pod: &mut Pod,
    type_: &str,
    ok: bool,
    reason: Option<&str>,
    message: Option<&str>,
) {
    let conds = status(pod).conditions.get_or_insert_with(Vec::new);
    let value = if ok { "True" } else { "False" };
    if let Some(c) = conds.iter_mut().find(|c| c.type_ == type_) {
        if c.status != value {
            c.last_transition_time = Some(now());
        }
        c.status = value.into();
        c.reason = reason.map(str::to_string);
        c.message = message.map(str::to_string);
        return;
    }
    conds.push(PodCondition {
        type_: type_.into(),
        status: value.into(),
        reason: reason.map(str::to_string),
        message: message.map(str::to_string),
        last_transition_time: Some(now()),
        ..PodCondition::default()
    });
}

fn container_names(pod: &Pod) -> Vec<(String, String)> {
    pod.spec
        .as_ref()
        .map(|s| {
            s.containers
                .iter()
                .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// The kubelet admitted the pod: start time, IPs, conditions, every
/// container waiting in ContainerCreating.
pub fn admit(pod: &mut Pod, host_ip: &str, pod_ip: &str) {
    let names = container_names(pod);
    let st = status(pod);
    st.start_time = Some(now());
    st.host_ip = Some(host_ip.into());
    st.host_ips = Some(vec![HostIP { ip: host_ip.into() }]);
    st.pod_ip = Some(pod_ip.into());
    st.pod_ips = Some(vec![PodIP { ip: pod_ip.into() }]);
    st.container_statuses = Some(
        names
            .iter()
            .map(|(n, image)| ContainerStatus {
                name: n.clone(),
                image: image.clone(),
                image_id: String::new(),
                ready: false,
                restart_count: 0,
                started: Some(false),
                state: Some(ContainerState {
                    waiting: Some(ContainerStateWaiting {
                        reason: Some("ContainerCreating".into()),
                        message: None,
                    }),
                    ..ContainerState::default()
                }),
                ..ContainerStatus::default()
            })
            .collect(),
    );
    let unready = format!(
        "containers with unready status: [{}]",
        names
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    set_condition(pod, "PodReadyToStartContainers", false, None, None);
    set_condition(pod, "Initialized", true, None, None);
    containers_not_ready(pod, &unready);
    set_condition(pod, "PodScheduled", true, None, None);
}

/// Ready and ContainersReady go False together, with the kubelet's message.
fn containers_not_ready(pod: &mut Pod, unready: &str) {
    for condition in ["Ready", "ContainersReady"] {
        set_condition(
            pod,
            condition,
            false,
            Some("ContainersNotReady"),
            Some(unready),
        );
    }
}

fn container<'a>(pod: &'a mut Pod, name: &str) -> Option<&'a mut ContainerStatus> {
    status(pod)
        .container_statuses
        .as_mut()?
        .iter_mut()
        .find(|c| c.name == name)
}

pub fn waiting(pod: &mut Pod, name: &str, reason: &str, message: Option<&str>) {
    if let Some(c) = container(pod, name) {
        c.state = Some(ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.into()),
                message: message.map(str::to_string),
            }),
            ..ContainerState::default()
        });
    }
}

fn all_containers(pod: &Pod, f: impl Fn(&ContainerStatus) -> bool) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|v| v.iter().all(f))
}

pub fn running(pod: &mut Pod, name: &str, started: &Time, container_id: &str, image_id: &str) {
    if let Some(c) = container(pod, name) {
        c.state = Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(started.clone()),
            }),
            ..ContainerState::default()
        });
        c.ready = true;
        c.started = Some(true);
        c.container_id = Some(container_id.into());
        c.image_id = image_id.into();
    }
    set_condition(pod, "PodReadyToStartContainers", true, None, None);
    if all_containers(pod, |c| c.ready) {
        set_condition(pod, "Ready", true, None, None);
        set_condition(pod, "ContainersReady", true, None, None);
    }
    status(pod).phase = Some("Running".into());
}

/// The container exited with `exit_code` (reason Completed or Error).
pub fn terminated(pod: &mut Pod, name: &str, exit_code: i32, started: &Time) {
    if let Some(c) = container(pod, name) {
        let container_id = c.container_id.clone();
        let reason = if exit_code == 0 { "Completed" } else { "Error" };
        c.state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code,
                reason: Some(reason.into()),
                started_at: Some(started.clone()),
                finished_at: Some(now()),
                container_id,
                ..ContainerStateTerminated::default()
            }),
            ..ContainerState::default()
        });
        c.ready = false;
        c.started = Some(false);
    }
    let unready = format!("containers with unready status: [{name}]");
    containers_not_ready(pod, &unready);
}

/// restartPolicy Never: once every container has terminated the pod is
/// Succeeded (all exit 0) or Failed.
pub fn settle_phase(pod: &mut Pod) -> bool {
    let done = all_containers(pod, |c| {
        c.state.as_ref().is_some_and(|s| s.terminated.is_some())
    });
    if !done {
        return false;
    }
    let ok = all_containers(pod, |c| {
        c.state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some_and(|t| t.exit_code == 0)
    });
    status(pod).phase = Some(if ok { "Succeeded" } else { "Failed" }.into());
    set_condition(pod, "PodReadyToStartContainers", false, None, None);
    set_condition(pod, "Ready", false, Some("PodCompleted"), None);
    set_condition(pod, "ContainersReady", false, Some("PodCompleted"), None);
    true
}

/// The whole pod failed (DeadlineExceeded, OutOfcpu, node lost...).
pub fn fail(pod: &mut Pod, reason: &str, message: &str) {
    let st = status(pod);
    st.phase = Some("Failed".into());
    st.reason = Some(reason.into());
    st.message = Some(message.into());
    set_condition(pod, "Ready", false, Some("PodFailed"), None);
}

pub fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".into())
}

pub fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod).as_str(), "Succeeded" | "Failed")
}
