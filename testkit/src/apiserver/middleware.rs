//! The filter every API request goes through: request counting, then the
//! injected faults (latency, 500/429...; a stand-in for priority and
//! fairness). `/debug/*` skips it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::requestinfo;
use super::{Sim, lock};

/// A watch should end after this many events (a fault).
#[derive(Debug, Clone, Copy)]
pub struct DropAfter(pub usize);

pub async fn filters(State(sim): State<Arc<Sim>>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/debug/") {
        return next.run(req).await;
    }
    let query = req.uri().query().unwrap_or_default();
    let info = requestinfo::parse(req.method(), &path, query);
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
    next.run(req).await
}
