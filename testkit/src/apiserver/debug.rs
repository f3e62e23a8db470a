//! The test-only endpoint (not counted, no faults): request counters,
//! read by `bench/fanout.sh` and reset between its runs.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use super::status::{ApiResult, json_response};
use super::{Sim, lock};

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

pub fn routes() -> Router<Arc<Sim>> {
    Router::new().route("/debug/requests", get(requests).delete(reset_requests))
}
