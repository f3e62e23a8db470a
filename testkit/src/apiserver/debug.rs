//! Test-only endpoints (no auth, not counted): request counters, fault
//! rules, node faults, RBAC rules, live processes, watch-history
//! compaction.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::config::{FaultRule, NodeFaults, RbacConfig};
use super::status::{ApiError, ApiResult, json_response};
use super::store::Kind;
use super::{Sim, lock};

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_yaml::from_slice(body).map_err(|e| ApiError::bad_request(e.to_string()))
}

async fn requests(State(sim): State<Arc<Sim>>) -> ApiResult {
    let c = sim.request_counts();
    let total = c.get("total").copied().unwrap_or(0);
    let by: serde_json::Map<String, Value> = c
        .into_iter()
        .filter(|(k, _)| k != "total")
        .map(|(k, v)| (k, json!(v)))
        .collect();
    Ok(json_response(200, &json!({"total": total, "requests": by})))
}

async fn reset_requests(State(sim): State<Arc<Sim>>) -> ApiResult {
    lock(&sim.counters).clear();
    Ok(json_response(200, &json!({})))
}

async fn get_faults(State(sim): State<Arc<Sim>>) -> ApiResult {
    Ok(json_response(200, &json!(lock(&sim.faults).rules())))
}

async fn put_faults(State(sim): State<Arc<Sim>>, body: Bytes) -> ApiResult {
    let rules: Vec<FaultRule> = parse(&body)?;
    lock(&sim.faults).set(rules);
    get_faults(State(sim)).await
}

async fn add_faults(State(sim): State<Arc<Sim>>, body: Bytes) -> ApiResult {
    let rules: Vec<FaultRule> = parse(&body)?;
    lock(&sim.faults).add(rules);
    get_faults(State(sim)).await
}

async fn node_faults(
    State(sim): State<Arc<Sim>>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    let faults: NodeFaults = parse(&body)?;
    let mut nodes = lock(&sim.nodes);
    let n = nodes
        .get_mut(&name)
        .ok_or_else(|| ApiError::not_found("nodes", &name))?;
    n.cfg.faults = faults;
    Ok(json_response(200, &json!(n.cfg.faults)))
}

async fn put_rbac(State(sim): State<Arc<Sim>>, body: Bytes) -> ApiResult {
    let rules: RbacConfig = parse(&body)?;
    *lock(&sim.rbac) = rules.clone();
    Ok(json_response(200, &json!(rules)))
}

async fn processes(State(sim): State<Arc<Sim>>) -> ApiResult {
    let list: Vec<Value> = sim
        .kubelet
        .procs
        .snapshot()
        .into_iter()
        .map(|(pid, c)| json!({"pid": pid, "container": c}))
        .collect();
    Ok(json_response(200, &json!({"processes": list})))
}

async fn compact(State(sim): State<Arc<Sim>>) -> ApiResult {
    let rv = sim.store.compact();
    Ok(json_response(
        200,
        &json!({"resourceVersion": rv.to_string()}),
    ))
}

async fn state(State(sim): State<Arc<Sim>>) -> ApiResult {
    Ok(json_response(
        200,
        &json!({
            "pods": sim.store.count(Kind::Pod),
            "nodes": sim.store.count(Kind::Node),
            "events": sim.store.count(Kind::Event),
            "processes": sim.kubelet.procs.snapshot().len(),
            "resourceVersion": sim.store.current_rv().to_string(),
            "stateDir": sim.state_dir,
            "helper": sim.helper,
        }),
    ))
}

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/debug/requests", get(requests).delete(reset_requests))
        .route(
            "/debug/faults",
            get(get_faults).put(put_faults).post(add_faults),
        )
        .route("/debug/nodes/{name}/faults", put(node_faults))
        .route("/debug/rbac", put(put_rbac))
        .route("/debug/processes", get(processes))
        .route("/debug/compact", post(compact))
        .route("/debug/state", get(state))
}
