//! Pods: create (JSON, or protobuf from `kubectl debug`; dryRun), get,
//! list, watch, delete (graceful, as the real registry does it),
//! deletecollection and `log`. No admission or validation runs: the real
//! cluster's tests cover those.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use super::kubelet::Ctl;
use super::kubelet::status::{is_terminal, phase};
use super::logs::LogOptions;
use super::middleware::DropAfter;
use super::objects::{name_suffix, new_uid, now};
use super::routes::{ListParams, Q, get_one, list_or_watch};
use super::status::{ApiError, ApiResult, json_response};
use super::store::Kind;
use super::{NAMESPACES, Sim};

async fn list_all(
    State(sim): State<Arc<Sim>>,
    Query(q): Q,
    drop: Option<axum::Extension<DropAfter>>,
) -> ApiResult {
    list_or_watch(sim, Kind::Pod, None, &q, drop.map(|d| d.0)).await
}

async fn list(
    State(sim): State<Arc<Sim>>,
    Path(ns): Path<String>,
    Query(q): Q,
    drop: Option<axum::Extension<DropAfter>>,
) -> ApiResult {
    list_or_watch(sim, Kind::Pod, Some(ns), &q, drop.map(|d| d.0)).await
}

async fn get_pod(
    State(sim): State<Arc<Sim>>,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult {
    get_one(&sim, Kind::Pod, &ns, &name)
}

async fn create(
    State(sim): State<Arc<Sim>>,
    Path(ns): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    if !NAMESPACES.contains(&ns.as_str()) {
        return Err(ApiError::not_found("namespaces", &ns));
    }
    let bad = |e: String| {
        ApiError::bad_request(format!(
            "Pod in version \"v1\" cannot be handled as a Pod: {e}"
        ))
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // kubectl debug posts its pod as protobuf.
    let mut pod: Pod = if super::proto::is_protobuf(ct) {
        serde_json::from_value(super::proto::pod(&body).map_err(bad)?)
    } else {
        serde_json::from_slice(&body)
    }
    .map_err(|e| bad(e.to_string()))?;
    let body_ns = pod.metadata.namespace.clone().unwrap_or_default();
    if !body_ns.is_empty() && body_ns != ns {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    pod.metadata.namespace = Some(ns);
    if pod.metadata.name.as_deref().unwrap_or_default().is_empty() {
        match pod.metadata.generate_name.as_deref() {
            Some(g) if !g.is_empty() => pod.metadata.name = Some(format!("{g}{}", name_suffix())),
            _ => {
                return Err(ApiError::bad_request(
                    "Pod \"\" is invalid: metadata.name: Required value: name or generateName is required",
                ));
            }
        }
    }
    pod.metadata.uid = Some(new_uid());
    pod.metadata.creation_timestamp = Some(now());
    // What the pod registry sets; the rest is the kubelet's.
    pod.status = Some(k8s_openapi::api::core::v1::PodStatus {
        phase: Some("Pending".into()),
        ..Default::default()
    });
    let value = serde_json::to_value(&pod).map_err(|e| ApiError::internal(&e.to_string()))?;
    if q.get("dryRun").is_some_and(|d| d == "All") {
        return Ok(json_response(201, &value));
    }
    let stored = sim.store.create(Kind::Pod, value)?;
    sim.start_pod(&pod);
    Ok(json_response(201, &stored))
}

fn grace_of(q: &BTreeMap<String, String>, body: &[u8]) -> Option<i64> {
    if let Some(g) = q.get("gracePeriodSeconds").and_then(|g| g.parse().ok()) {
        return Some(g);
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    v["gracePeriodSeconds"].as_i64()
}

/// Deletes a pod the way the pod registry does: unscheduled and finished
/// pods, and any pod with gracePeriodSeconds=0, leave the API at once (the
/// kubelet then stops what still runs); others get a deletionTimestamp, and
/// their kubelet stops the containers, then removes the pod (a kubelet that
/// never acts leaves it Terminating).
pub fn delete_pod(sim: &Sim, ns: &str, name: &str, grace: Option<i64>) -> ApiResult<Value> {
    let key = (ns.to_string(), name.to_string());
    let pod: Pod = sim
        .store
        .get_typed(Kind::Pod, &key)
        .ok_or_else(|| ApiError::not_found("pods", name))?;
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let unscheduled = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or_default()
        .is_empty();
    let default_grace = pod
        .spec
        .as_ref()
        .and_then(|s| s.termination_grace_period_seconds)
        .unwrap_or(30);
    let grace = grace.unwrap_or(default_grace).max(0);
    if unscheduled || is_terminal(&pod) || grace == 0 {
        // Immediate deletion: the pod leaves the API now (DELETED); with
        // gracePeriodSeconds=0 its kubelet kills the containers afterwards.
        let running = grace == 0 && !unscheduled && !is_terminal(&pod);
        if !(running && sim.kubelet.send(&uid, Ctl::Delete(Duration::ZERO))) {
            sim.kubelet.forget(&uid);
        }
        let mut v = sim
            .store
            .delete(Kind::Pod, &key)
            .map(|v| (*v).clone())
            .unwrap_or_default();
        v["metadata"]["deletionTimestamp"] = json!(now());
        v["metadata"]["deletionGracePeriodSeconds"] = json!(0);
        return Ok(v);
    }
    let marked = sim.update_pod(&key, &uid, |p| {
        let shorter = p
            .metadata
            .deletion_grace_period_seconds
            .is_none_or(|g| grace < g);
        if shorter {
            p.metadata.deletion_timestamp = Some(now());
            p.metadata.deletion_grace_period_seconds = Some(grace);
        }
    });
    if !sim
        .kubelet
        .send(&uid, Ctl::Delete(Duration::from_secs(grace as u64)))
    {
        sim.remove_pod(&key, &uid);
    }
    Ok(marked
        .map(|p| serde_json::to_value(p).unwrap_or_default())
        .unwrap_or_default())
}

async fn delete(
    State(sim): State<Arc<Sim>>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Q,
    body: Bytes,
) -> ApiResult {
    let v = delete_pod(&sim, &ns, &name, grace_of(&q, &body))?;
    Ok(json_response(200, &v))
}

async fn delete_collection(
    State(sim): State<Arc<Sim>>,
    Path(ns): Path<String>,
    Query(q): Q,
    body: Bytes,
) -> ApiResult {
    let p = ListParams::parse(&q, Kind::Pod)?;
    let grace = grace_of(&q, &body);
    let (items, rv) = sim.store.list(Kind::Pod, Some(&ns));
    let mut out = Vec::new();
    for o in items.iter().filter(|o| p.matches(o)) {
        let name = o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Ok(v) = delete_pod(&sim, &ns, &name, grace) {
            out.push(v);
        }
    }
    Ok(json_response(
        200,
        &json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": rv.to_string()}, "items": out}),
    ))
}

fn waiting_reason(pod: &Pod, container: &str) -> Option<String> {
    let st = pod
        .status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == container)?;
    st.state
        .as_ref()?
        .waiting
        .as_ref()
        .map(|w| w.reason.clone().unwrap_or_default())
}

async fn log(
    State(sim): State<Arc<Sim>>,
    Path((ns, name)): Path<(String, String)>,
    Query(opts): Query<LogOptions>,
) -> ApiResult {
    let pod: Pod = sim
        .store
        .get_typed(Kind::Pod, &(ns.clone(), name.clone()))
        .ok_or_else(|| ApiError::not_found("pods", &name))?;
    let containers: Vec<String> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(|c| c.name.clone())
        .collect();
    let container = match &opts.container {
        Some(c) if !c.is_empty() => c.clone(),
        _ if containers.len() == 1 => containers[0].clone(),
        _ => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    if !containers.contains(&container) {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    if pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or_default()
        .is_empty()
    {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let buf = sim.kubelet.logs(&uid, &container);
    let reason = waiting_reason(&pod, &container);
    let Some(buf) = buf.filter(|_| reason.is_none() && phase(&pod) != "Pending") else {
        let why = match reason.as_deref() {
            Some("ErrImagePull") => "trying and failing to pull image".to_string(),
            Some("ImagePullBackOff") => "image can't be pulled".to_string(),
            Some(r) if !r.is_empty() => r.to_string(),
            _ => "ContainerCreating".to_string(),
        };
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {why}"
        )));
    };
    Ok(text(Body::from(buf.render(&opts))))
}

fn text(body: Body) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/v1/pods", get(list_all))
        .route(
            "/api/v1/namespaces/{ns}/pods",
            get(list).post(create).delete(delete_collection),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{name}",
            get(get_pod).delete(delete),
        )
        .route("/api/v1/namespaces/{ns}/pods/{name}/log", get(log))
}
