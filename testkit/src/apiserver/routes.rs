//! Routes: discovery, the generic list/get/watch of every kind, nodes
//! (get, list, delete, merge-patch), namespaces, events and
//! SelfSubjectAccessReviews. Pods are in `pods.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::middleware::{DropAfter, filters};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{ApiError, ApiResult, json_response};
use super::store::Kind;
use super::table::{self, Format};
use super::{Sim, debug, discovery, pods, rbac, watch};

pub type Q = Query<BTreeMap<String, String>>;

/// List, watch and get parameters.
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub label: LabelSelector,
    pub field: FieldSelector,
    pub watch: bool,
    pub resource_version: String,
    pub timeout_seconds: Option<u64>,
    pub allow_bookmarks: bool,
    pub send_initial_events: bool,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    pub include_object: String,
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
            allow_bookmarks: truthy(q.get("allowWatchBookmarks")),
            send_initial_events: truthy(q.get("sendInitialEvents")),
            limit: q
                .get("limit")
                .and_then(|l| l.parse().ok())
                .filter(|l| *l > 0),
            continue_token: q.get("continue").cloned().filter(|c| !c.is_empty()),
            include_object: q
                .get("includeObject")
                .cloned()
                .unwrap_or_else(|| "Metadata".into()),
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

/// Encodes one object (or list) per the negotiated format.
pub fn render_one(kind: Kind, obj: &Value, format: Format, include: &str, rv: u64) -> Value {
    match format {
        Format::Json => obj.clone(),
        Format::Table => table::table(kind, &[obj], rv, include),
        Format::Metadata => table::partial_metadata(obj),
    }
}

pub async fn list_or_watch(
    sim: Arc<Sim>,
    kind: Kind,
    ns: Option<String>,
    q: &BTreeMap<String, String>,
    headers: &HeaderMap,
    drop_after: Option<DropAfter>,
) -> ApiResult {
    let p = ListParams::parse(q, kind)?;
    let format = table::negotiate(headers);
    if p.watch {
        return Ok(watch::serve(
            sim,
            kind,
            ns,
            p,
            format,
            drop_after.map(|d| d.0),
        ));
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
    let body = match format {
        Format::Table => {
            let mut t = table::table(kind, &items, rv, &p.include_object);
            t["metadata"] = meta;
            t
        }
        Format::Metadata => json!({
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": meta,
            "items": items.iter().map(|o| table::partial_metadata(o)).collect::<Vec<_>>(),
        }),
        Format::Json => json!({
            "kind": format!("{}List", kind.kind()),
            "apiVersion": "v1",
            "metadata": meta,
            "items": items,
        }),
    };
    Ok(json_response(200, &body))
}

pub fn get_one(
    sim: &Sim,
    kind: Kind,
    ns: &str,
    name: &str,
    q: &BTreeMap<String, String>,
    headers: &HeaderMap,
) -> ApiResult {
    let obj = sim
        .store
        .get(kind, &(ns.to_string(), name.to_string()))
        .ok_or_else(|| ApiError::not_found(kind.plural(), name))?;
    let include = q
        .get("includeObject")
        .cloned()
        .unwrap_or_else(|| "Metadata".into());
    let rv = sim.store.current_rv();
    Ok(json_response(
        200,
        &render_one(kind, &obj, table::negotiate(headers), &include, rv),
    ))
}

async fn nodes(
    State(sim): State<Arc<Sim>>,
    Query(q): Q,
    headers: HeaderMap,
    drop: Option<axum::Extension<DropAfter>>,
) -> ApiResult {
    list_or_watch(sim, Kind::Node, None, &q, &headers, drop.map(|d| d.0)).await
}

async fn node(
    State(sim): State<Arc<Sim>>,
    Path(name): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
) -> ApiResult {
    get_one(&sim, Kind::Node, "", &name, &q, &headers)
}

async fn delete_node(State(sim): State<Arc<Sim>>, Path(name): Path<String>) -> ApiResult {
    let gone = sim
        .delete_node(&name)
        .ok_or_else(|| ApiError::not_found("nodes", &name))?;
    Ok(json_response(200, &gone))
}

/// RFC 7386 merge (strategic merge patches of plain fields are the same).
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

async fn patch_node(
    State(sim): State<Arc<Sim>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !(ct.contains("merge-patch") || ct.contains("strategic-merge-patch")) {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (got {ct})"
            ),
        ));
    }
    let patch: Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let key = (String::new(), name.clone());
    let mut obj = (*sim
        .store
        .get(Kind::Node, &key)
        .ok_or_else(|| ApiError::not_found("nodes", &name))?)
    .clone();
    merge(&mut obj, &patch);
    let out = sim
        .store
        .replace(Kind::Node, &key, obj)
        .ok_or_else(|| ApiError::not_found("nodes", &name))?;
    Ok(json_response(200, &out))
}

async fn namespaces(
    State(sim): State<Arc<Sim>>,
    Query(q): Q,
    headers: HeaderMap,
    drop: Option<axum::Extension<DropAfter>>,
) -> ApiResult {
    list_or_watch(sim, Kind::Namespace, None, &q, &headers, drop.map(|d| d.0)).await
}

async fn namespace(
    State(sim): State<Arc<Sim>>,
    Path(name): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
) -> ApiResult {
    get_one(&sim, Kind::Namespace, "", &name, &q, &headers)
}

async fn all_events(
    State(sim): State<Arc<Sim>>,
    Query(q): Q,
    headers: HeaderMap,
    drop: Option<axum::Extension<DropAfter>>,
) -> ApiResult {
    list_or_watch(sim, Kind::Event, None, &q, &headers, drop.map(|d| d.0)).await
}

async fn events(
    State(sim): State<Arc<Sim>>,
    Path(ns): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    drop: Option<axum::Extension<DropAfter>>,
) -> ApiResult {
    list_or_watch(sim, Kind::Event, Some(ns), &q, &headers, drop.map(|d| d.0)).await
}

async fn event(
    State(sim): State<Arc<Sim>>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Q,
    headers: HeaderMap,
) -> ApiResult {
    get_one(&sim, Kind::Event, &ns, &name, &q, &headers)
}

async fn ssar(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bad = |e: String| {
        ApiError::bad_request(format!(
            "SelfSubjectAccessReview in version \"v1\" cannot be handled as a SelfSubjectAccessReview: {e}"
        ))
    };
    let v: Value = if super::proto::is_protobuf(ct) {
        super::proto::self_subject_access_review(&body).map_err(bad)?
    } else {
        serde_json::from_slice(&body).map_err(|e| bad(e.to_string()))?
    };
    let rules = super::lock(&sim.rbac).clone();
    Ok(json_response(201, &rbac::review(&rules, &v)?))
}

async fn openapi_gv(State(sim): State<Arc<Sim>>, Path(gv): Path<String>) -> ApiResult {
    super::openapi::group_version(&gv, &sim.cfg.kubernetes_version)
        .map(doc)
        .ok_or_else(ApiError::no_route)
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
        .route("/openapi/v3", get(|| async { doc(super::openapi::root()) }))
        .route("/openapi/v3/{*gv}", get(openapi_gv))
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
        .route(
            "/api/v1/nodes/{name}",
            get(node).delete(delete_node).patch(patch_node),
        )
        .route("/api/v1/namespaces", get(namespaces))
        .route("/api/v1/namespaces/{name}", get(namespace))
        .route("/api/v1/events", get(all_events))
        .route("/api/v1/namespaces/{ns}/events", get(events))
        .route("/api/v1/namespaces/{ns}/events/{name}", get(event))
        .merge(pods::routes())
        .merge(super::exec::routes())
        .merge(debug::routes())
        .fallback(|| async { ApiError::no_route().into_response() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        .layer(axum::middleware::from_fn_with_state(sim.clone(), filters))
        .with_state(sim)
}
