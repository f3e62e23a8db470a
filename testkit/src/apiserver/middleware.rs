//! The filter chain every API request goes through, in the real server's
//! order: authentication (bearer token), request counting, injected faults
//! (latency, 500/429...; a stand-in for priority and fairness), then
//! authorization (RBAC rules). `/debug/*` skips all of it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::rbac::{self, Attributes};
use super::requestinfo::{self, RequestInfo};
use super::status::ApiError;
use super::{Sim, lock};

/// A watch should end after this many events (a fault).
#[derive(Debug, Clone, Copy)]
pub struct DropAfter(pub usize);

pub async fn filters(State(sim): State<Arc<Sim>>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/debug/") {
        return next.run(req).await;
    }
    let token = &sim.cfg.token;
    if sim.cfg.require_token && !token.is_empty() {
        let got = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if got != format!("Bearer {token}") {
            return ApiError::unauthorized().into_response();
        }
    }
    let query = req.uri().query().unwrap_or_default().to_string();
    let info: RequestInfo = requestinfo::parse(req.method(), &path, &query);
    {
        let mut c = lock(&sim.counters);
        *c.entry(info.key()).or_default() += 1;
        *c.entry("total".into()).or_default() += 1;
    }
    let decision = lock(&sim.faults).decide(&info);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    if let Some(e) = decision.error {
        return e.into_response();
    }
    if let Some(n) = decision.drop_after_events {
        req.extensions_mut().insert(DropAfter(n));
    }
    if info.is_resource && info.resource != "selfsubjectaccessreviews" {
        let attrs = Attributes::from_request(&info);
        let rules = lock(&sim.rbac).clone();
        if !rbac::allowed(&rules, &attrs) {
            return rbac::forbidden(&sim.cfg.user, &attrs).into_response();
        }
    }
    req.extensions_mut().insert(info);
    next.run(req).await
}
