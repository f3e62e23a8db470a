//! A minimal OpenAPI v3: kubectl 1.32 validates manifests on the server
//! (`?fieldValidation=Strict`) only when `/openapi/v3/<group-version>`
//! shows the `fieldValidation` parameter on the kind's PATCH operation;
//! otherwise it falls back to client-side validation, which needs the full
//! `/openapi/v2` schema, and `kubectl create -f` fails ("failed to download
//! openapi"). So the v3 documents list each kind's PATCH with that
//! parameter and nothing else; `/openapi/v2` stays 404.

use serde_json::{Value, json};

pub fn root() -> Value {
    json!({"paths": {
        "api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=imgdupsim1"},
        "apis/authorization.k8s.io/v1": {"serverRelativeURL": "/openapi/v3/apis/authorization.k8s.io/v1?hash=imgdupsim1"},
    }})
}

fn patch(group: &str, kind: &str) -> Value {
    json!({"patch": {
        "x-kubernetes-group-version-kind": {"group": group, "version": "v1", "kind": kind},
        "parameters": [
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ],
        "responses": {"200": {"description": "OK"}},
    }})
}

/// The document of one group-version, or None.
pub fn group_version(gv: &str, version: &str) -> Option<Value> {
    let paths = match gv {
        "api/v1" => json!({
            "/api/v1/namespaces/{namespace}/pods/{name}": patch("", "Pod"),
            "/api/v1/nodes/{name}": patch("", "Node"),
            "/api/v1/namespaces/{name}": patch("", "Namespace"),
            "/api/v1/namespaces/{namespace}/events/{name}": patch("", "Event"),
        }),
        "apis/authorization.k8s.io/v1" => json!({}),
        _ => return None,
    };
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": version}, "paths": paths}),
    )
}
