//! Routes: discovery, the generic list/get/watch of both kinds, nodes (get,
//! list, watch) and SelfSubjectAccessReviews. Pods are in `pods.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::middleware::{DropAfter, filters};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{ApiError, ApiResult, json_response};
use super::store::Kind;
use super::{Sim, debug, discovery, pods, watch};

pub type Q = Query<BTreeMap<String, String>>;

/// List, watch and get parameters.
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub label: LabelSelector,
    pub field: FieldSelector,
    pub watch: bool,
    pub resource_version: String,
    pub timeout_seconds: Option<u64>,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
}

fn truthy(v: Option<&String>) -> bool {
    v.is_some_and(|v| matches!(v.as_str(), "1" | "true" | "True" | ""))
}

impl ListParams {
    pub fn parse(q: &BTreeMap<String, String>, kind: Kind) -> Result<Self, ApiError> {
        let label = LabelSelector::parse(
            q.get("labelSelector")
                .map(String::as_str)
                .unwrap_or_default(),
        )
        .map_err(ApiError::bad_request)?;
        let field = FieldSelector::parse(
            q.get("fieldSelector")
                .map(String::as_str)
                .unwrap_or_default(),
            kind,
        )
        .map_err(ApiError::bad_request)?;
        Ok(Self {
            label,
            field,
            watch: truthy(q.get("watch")),
            resource_version: q.get("resourceVersion").cloned().unwrap_or_default(),
            timeout_seconds: q.get("timeoutSeconds").and_then(|t| t.parse().ok()),
            limit: q
                .get("limit")
                .and_then(|l| l.parse().ok())
                .filter(|l| *l > 0),
            continue_token: q.get("continue").cloned().filter(|c| !c.is_empty()),
        })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.label.matches_object(obj) && self.field.matches(obj)
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
}

pub async fn list_or_watch(
    sim: Arc<Sim>,
    kind: Kind,
    ns: Option<String>,
    q: &BTreeMap<String, String>,
    drop_after: Option<DropAfter>,
) -> ApiResult {
    let p = ListParams::parse(q, kind)?;
    if p.watch {
        return Ok(watch::serve(sim, kind, ns, p, drop_after.map(|d| d.0)));
    }
    let (items, rv) = sim.store.list(kind, ns.as_deref());
    let mut items: Vec<&Value> = items
        .iter()
        .map(|v| v.as_ref())
        .filter(|o| p.matches(o))
        .collect::<Vec<_>>();
    // Pagination: the continue token is the key to resume after.
    if let Some(tok) = &p.continue_token {
        // The token is the (namespace, name) key to resume after.
        let after = tok
            .split_once('.')
            .and_then(|(n, m)| Some((unhex(n)?, unhex(m)?)))
            .ok_or_else(|| ApiError::bad_request("continue key is not valid"))?;
        items.retain(|o| super::store::key_of(o) > after);
    }
    let mut cont = None;
    let mut remaining = None;
    if let Some(limit) = p.limit
        && items.len() > limit
    {
        remaining = Some(items.len() - limit);
        items.truncate(limit);
        let (n, m) = super::store::key_of(items[limit - 1]);
        cont = Some(format!("{}.{}", hex(&n), hex(&m)));
    }
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
        meta["remainingItemCount"] = json!(remaining);
    }
    // Table and PartialObjectMetadata answers are not served: clients
    // that ask for them (kubectl get) fall back to the plain list.
    let body = json!({
        "kind": format!("{}List", kind.kind()),
        "apiVersion": "v1",
        "metadata": meta,
        "items": items,
    });
    Ok(json_response(200, &body))
}

pub fn get_one(sim: &Sim, kind: Kind, ns: &str, name: &str) -> ApiResult {
    let obj = sim
        .store
        .get(kind, &(ns.to_string(), name.to_string()))
        .ok_or_else(|| ApiError::not_found(kind.plural(), name))?;
    Ok(json_response(200, &obj))
}

async fn nodes(
    State(sim): State<Arc<Sim>>,
    Query(q): Q,
    drop: Option<axum::Extension<DropAfter>>,
) -> ApiResult {
    list_or_watch(sim, Kind::Node, None, &q, drop.map(|d| d.0)).await
}

async fn node(State(sim): State<Arc<Sim>>, Path(name): Path<String>) -> ApiResult {
    get_one(&sim, Kind::Node, "", &name)
}

/// Every review is allowed: RBAC is the real cluster's to test.
async fn ssar(body: Bytes) -> ApiResult {
    let mut review: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "SelfSubjectAccessReview in version \"v1\" cannot be handled as a SelfSubjectAccessReview: {e}"
        ))
    })?;
    review["kind"] = json!("SelfSubjectAccessReview");
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["status"] =
        json!({"allowed": true, "reason": "the simulated API server allows everything"});
    Ok(json_response(201, &review))
}

fn doc(v: Value) -> Response {
    json_response(200, &v)
}

pub fn router(sim: Arc<Sim>) -> Router {
    let addr = sim.url.trim_start_matches("http://").to_string();
    let version = sim.cfg.kubernetes_version.clone();
    Router::new()
        .route(
            "/version",
            get(move || async move { doc(discovery::version(&version)) }),
        )
        .route(
            "/api",
            get(move || async move { doc(discovery::api_versions(&addr)) }),
        )
        .route("/api/v1", get(|| async { doc(discovery::core_v1()) }))
        .route("/apis", get(|| async { doc(discovery::api_groups()) }))
        .route(
            "/apis/authorization.k8s.io",
            get(|| async { doc(discovery::authorization_group()) }),
        )
        .route(
            "/apis/authorization.k8s.io/v1",
            get(|| async { doc(discovery::authorization_v1()) }),
        )
        .route(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            post(ssar),
        )
        .route("/api/v1/nodes", get(nodes))
        .route("/api/v1/nodes/{name}", get(node))
        .merge(pods::routes())
        .merge(debug::routes())
        .fallback(|| async { ApiError::no_route().into_response() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        .layer(axum::middleware::from_fn_with_state(sim.clone(), filters))
        .with_state(sim)
}
