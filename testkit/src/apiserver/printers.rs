//! The columns and cells the real server prints per kind
//! (pkg/printers/internalversion: printPod, printNode, printNamespace,
//! printEvent).

use serde_json::{Value, json};

use super::objects::age_seconds;
use super::store::Kind;
use super::table::human_duration;

fn age_of(ts: &Value) -> String {
    ts.as_str()
        .and_then(|s| s.parse::<k8s_openapi::jiff::Timestamp>().ok())
        .map(|t| human_duration(age_seconds(&t)))
        .unwrap_or_else(|| "<unknown>".into())
}

fn col(name: &str, typ: &str, priority: i32, description: &str) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": typ, "format": format, "description": description, "priority": priority})
}

pub fn columns(kind: Kind) -> Vec<Value> {
    match kind {
        Kind::Pod => vec![
            col(
                "Name",
                "string",
                0,
                "Name must be unique within a namespace.",
            ),
            col(
                "Ready",
                "string",
                0,
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            col(
                "Status",
                "string",
                0,
                "The aggregate status of the containers in this pod.",
            ),
            col(
                "Restarts",
                "string",
                0,
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            col(
                "Age",
                "string",
                0,
                "CreationTimestamp is a timestamp representing the server time when this object was created.",
            ),
            col(
                "IP",
                "string",
                1,
                "podIP is an IP address allocated to the pod.",
            ),
            col(
                "Node",
                "string",
                1,
                "NodeName indicates in which node this pod is scheduled.",
            ),
            col(
                "Nominated Node",
                "string",
                1,
                "nominatedNodeName is set only when this pod preempts other pods on the node.",
            ),
            col(
                "Readiness Gates",
                "string",
                1,
                "If specified, all readiness gates will be evaluated for pod readiness.",
            ),
        ],
        Kind::Node => vec![
            col(
                "Name",
                "string",
                0,
                "Name must be unique within a namespace.",
            ),
            col("Status", "string", 0, "The status of the node"),
            col("Roles", "string", 0, "The roles of the node"),
            col(
                "Age",
                "string",
                0,
                "CreationTimestamp is a timestamp representing the server time when this object was created.",
            ),
            col(
                "Version",
                "string",
                0,
                "Kubelet Version reported by the node.",
            ),
            col(
                "Internal-IP",
                "string",
                1,
                "List of addresses reachable to the node. Queried from cloud provider, if available.",
            ),
            col(
                "External-IP",
                "string",
                1,
                "List of addresses reachable to the node. Queried from cloud provider, if available.",
            ),
            col(
                "OS-Image",
                "string",
                1,
                "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
            ),
            col(
                "Kernel-Version",
                "string",
                1,
                "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
            ),
            col(
                "Container-Runtime",
                "string",
                1,
                "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
            ),
        ],
        Kind::Namespace => vec![
            col(
                "Name",
                "string",
                0,
                "Name must be unique within a namespace.",
            ),
            col("Status", "string", 0, "The status of the namespace"),
            col(
                "Age",
                "string",
                0,
                "CreationTimestamp is a timestamp representing the server time when this object was created.",
            ),
        ],
        Kind::Event => vec![
            col(
                "Last Seen",
                "string",
                0,
                "Time when last event from this type was observed",
            ),
            col(
                "Type",
                "string",
                0,
                "Type of this event (Normal, Warning), new types could be added in the future.",
            ),
            col(
                "Reason",
                "string",
                0,
                "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
            ),
            col(
                "Object",
                "string",
                0,
                "The object that this event is about.",
            ),
            col(
                "Subobject",
                "string",
                1,
                "An optional field to specify a part of the object.",
            ),
            col("Source", "string", 1, "The component reporting this event."),
            col(
                "Message",
                "string",
                0,
                "A human-readable description of the status of this operation.",
            ),
            col(
                "First Seen",
                "string",
                1,
                "The first time this event was observed",
            ),
            col(
                "Count",
                "integer",
                1,
                "The number of times this event has occurred.",
            ),
            col(
                "Name",
                "string",
                1,
                "Name must be unique within a namespace.",
            ),
        ],
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn or_none(v: String) -> String {
    if v.is_empty() { "<none>".into() } else { v }
}

/// kubectl's printPod status logic.
pub fn pod_status(pod: &Value) -> (String, usize, usize, i64) {
    let st = &pod["status"];
    let mut reason = s(&st["phase"]);
    if !s(&st["reason"]).is_empty() {
        reason = s(&st["reason"]);
    }
    let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
    let (mut ready, mut restarts, mut has_running) = (0, 0, false);
    let statuses = st["containerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for c in statuses.iter().rev() {
        restarts += c["restartCount"].as_i64().unwrap_or(0);
        let state = &c["state"];
        if !s(&state["waiting"]["reason"]).is_empty() {
            reason = s(&state["waiting"]["reason"]);
        } else if !s(&state["terminated"]["reason"]).is_empty() {
            reason = s(&state["terminated"]["reason"]);
        } else if state["terminated"].is_object() {
            let sig = state["terminated"]["signal"].as_i64().unwrap_or(0);
            reason = if sig != 0 {
                format!("Signal:{sig}")
            } else {
                format!(
                    "ExitCode:{}",
                    state["terminated"]["exitCode"].as_i64().unwrap_or(0)
                )
            };
        } else if c["ready"].as_bool() == Some(true) && state["running"].is_object() {
            has_running = true;
            ready += 1;
        }
    }
    if reason == "Completed" && has_running {
        let pod_ready = st["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        reason = if pod_ready {
            "Running".into()
        } else {
            "NotReady".into()
        };
    }
    if !pod["metadata"]["deletionTimestamp"].is_null() {
        reason = if s(&st["reason"]) == "NodeLost" {
            "Unknown".into()
        } else {
            "Terminating".into()
        };
    }
    (reason, ready, total, restarts)
}

pub fn cells(kind: Kind, o: &Value) -> Vec<Value> {
    let m = &o["metadata"];
    match kind {
        Kind::Pod => {
            let (status, ready, total, restarts) = pod_status(o);
            vec![
                json!(s(&m["name"])),
                json!(format!("{ready}/{total}")),
                json!(status),
                json!(restarts.to_string()),
                json!(age_of(&m["creationTimestamp"])),
                json!(or_none(s(&o["status"]["podIP"]))),
                json!(or_none(s(&o["spec"]["nodeName"]))),
                json!(or_none(s(&o["status"]["nominatedNodeName"]))),
                json!("<none>"),
            ]
        }
        Kind::Node => {
            let ready = o["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Ready");
            let mut status = match ready {
                Some(c) if c["status"] == "True" => "Ready".to_string(),
                Some(_) => "NotReady".to_string(),
                None => "Unknown".to_string(),
            };
            if o["spec"]["unschedulable"].as_bool() == Some(true) {
                status.push_str(",SchedulingDisabled");
            }
            let mut roles: Vec<String> = m["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| {
                    k.strip_prefix("node-role.kubernetes.io/")
                        .map(str::to_string)
                        .or_else(|| (k == "kubernetes.io/role").then(|| s(v)))
                })
                .filter(|r| !r.is_empty())
                .collect();
            roles.sort();
            let addr = |t: &str| {
                o["status"]["addresses"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["type"] == t)
                    .map(|a| s(&a["address"]))
                    .unwrap_or_default()
            };
            let info = &o["status"]["nodeInfo"];
            vec![
                json!(s(&m["name"])),
                json!(status),
                json!(or_none(roles.join(","))),
                json!(age_of(&m["creationTimestamp"])),
                json!(s(&info["kubeletVersion"])),
                json!(or_none(addr("InternalIP"))),
                json!(or_none(addr("ExternalIP"))),
                json!(s(&info["osImage"])),
                json!(s(&info["kernelVersion"])),
                json!(s(&info["containerRuntimeVersion"])),
            ]
        }
        Kind::Namespace => vec![
            json!(s(&m["name"])),
            json!(s(&o["status"]["phase"])),
            json!(age_of(&m["creationTimestamp"])),
        ],
        Kind::Event => {
            let io = &o["involvedObject"];
            let obj = format!("{}/{}", s(&io["kind"]).to_lowercase(), s(&io["name"]));
            let last = if o["lastTimestamp"].is_string() {
                &o["lastTimestamp"]
            } else {
                &o["eventTime"]
            };
            let first = if o["firstTimestamp"].is_string() {
                &o["firstTimestamp"]
            } else {
                &o["eventTime"]
            };
            vec![
                json!(age_of(last)),
                json!(s(&o["type"])),
                json!(s(&o["reason"])),
                json!(obj),
                json!(s(&io["fieldPath"])),
                json!(format!(
                    "{}, {}",
                    s(&o["source"]["component"]),
                    s(&o["source"]["host"])
                )),
                json!(s(&o["message"])),
                json!(age_of(first)),
                json!(o["count"].as_i64().unwrap_or(1)),
                json!(s(&m["name"])),
            ]
        }
    }
}
