//! Discovery documents (legacy, un-aggregated): `/version`, `/api`,
//! `/api/v1`, `/apis`, `/apis/authorization.k8s.io/v1`. kubectl asks for
//! the aggregated form first; a plain `application/json` answer makes it
//! fall back to these, as it does against servers older than 1.26.

use serde_json::{Value, json};

pub fn version(git_version: &str) -> Value {
    let v = git_version.trim_start_matches('v');
    let mut it = v.split('.');
    let major = it.next().unwrap_or("1");
    let minor = it.next().unwrap_or("32");
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn resource(
    name: &str,
    singular: &str,
    namespaced: bool,
    kind: &str,
    verbs: &[&str],
    short: &[&str],
) -> Value {
    let mut r = json!({
        "name": name,
        "singularName": singular,
        "namespaced": namespaced,
        "kind": kind,
        "verbs": verbs,
    });
    if !short.is_empty() {
        r["shortNames"] = json!(short);
    }
    if name == "pods" {
        r["categories"] = json!(["all"]);
    }
    r
}

/// `/api/v1`: only the verbs this server implements.
pub fn core_v1() -> Value {
    json!({
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            resource("nodes", "node", false, "Node", &["get", "list", "watch"], &["no"]),
            resource("pods", "pod", true, "Pod", &["create", "delete", "deletecollection", "get", "list", "watch"], &["po"]),
            resource("pods/log", "", true, "Pod", &["get"], &[]),
        ],
    })
}

fn group_version() -> Value {
    json!({"groupVersion": "authorization.k8s.io/v1", "version": "v1"})
}

pub fn api_groups() -> Value {
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [{"name": "authorization.k8s.io", "versions": [group_version()], "preferredVersion": group_version()}],
    })
}

pub fn authorization_group() -> Value {
    json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "authorization.k8s.io",
        "versions": [group_version()],
        "preferredVersion": group_version(),
    })
}

pub fn authorization_v1() -> Value {
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "authorization.k8s.io/v1",
        "resources": [resource("selfsubjectaccessreviews", "selfsubjectaccessreview", false, "SelfSubjectAccessReview", &["create"], &[])],
    })
}
