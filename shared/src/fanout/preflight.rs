//! Before any pod exists: can this user do every step of the run (RBAC via
//! SelfSubjectAccessReview), and will PodSecurity admit the agent pod?

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::PostParams;
use kube::{Api, Client};

/// One permission the run needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub verb: &'static str,
    pub resource: &'static str,
    pub subresource: Option<&'static str>,
    /// `None`: cluster-wide.
    pub namespace: Option<String>,
    pub why: &'static str,
}

impl Need {
    /// The RBAC rule that grants it, as a user would write it.
    pub fn rule(&self) -> String {
        let resource = match self.subresource {
            Some(sub) => format!("{}/{sub}", self.resource),
            None => self.resource.to_string(),
        };
        let scope = match &self.namespace {
            Some(ns) => format!("in namespace {ns} (Role)"),
            None => "cluster-wide (ClusterRole)".to_string(),
        };
        format!("{} {resource} {scope}: {}", self.verb, self.why)
    }
}

/// Everything a run does, in order.
pub fn needs(namespace: &str) -> Vec<Need> {
    let ns = || Some(namespace.to_string());
    let need = |verb, resource, subresource, namespace, why| Need {
        verb,
        resource,
        subresource,
        namespace,
        why,
    };
    vec![
        need("list", "nodes", None, None, "find the nodes to scan"),
        need(
            "list",
            "pods",
            None,
            None,
            "find DooD/DinD workloads on every node",
        ),
        need("create", "pods", None, ns(), "start one agent pod per node"),
        need("list", "pods", None, ns(), "watch the agent pods"),
        need("watch", "pods", None, ns(), "watch the agent pods"),
        need("get", "pods", Some("log"), ns(), "read each node's report"),
        need("delete", "pods", None, ns(), "remove every agent pod"),
        need(
            "deletecollection",
            "pods",
            None,
            ns(),
            "remove a run's pods by label after Ctrl-C",
        ),
        need("list", "events", None, ns(), "explain a pod stuck Pending"),
        need(
            "get",
            "namespaces",
            None,
            None,
            "check the namespace's PodSecurity level",
        ),
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error("missing permissions (nothing was created):\n  {}\nGrant deploy/rbac.yaml, or ask your admin for these rules", .0.join("\n  "))]
    Forbidden(Vec<String>),
    #[error(
        "namespace {namespace} enforces PodSecurity \"{level}\", which rejects the agent pod (it mounts node directories read-only through hostPath). Use -n with a namespace labelled pod-security.kubernetes.io/enforce=privileged, or label this one (kubectl label ns {namespace} pod-security.kubernetes.io/enforce=privileged)"
    )]
    PodSecurity { namespace: String, level: String },
    #[error("preflight request failed: {0}")]
    Api(#[from] kube::Error),
}

/// Asks the API server about every [`Need`]; all missing rules are reported at once.
pub async fn check_access(client: &Client, namespace: &str) -> Result<u32, PreflightError> {
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let mut missing = Vec::new();
    let mut calls = 0;
    for need in needs(namespace) {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(need.verb.into()),
                    resource: Some(need.resource.into()),
                    subresource: need.subresource.map(Into::into),
                    namespace: need.namespace.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        calls += 1;
        let answer = api.create(&PostParams::default(), &review).await?;
        if !answer.status.map(|s| s.allowed).unwrap_or(false) {
            missing.push(need.rule());
        }
    }
    if missing.is_empty() {
        Ok(calls)
    } else {
        Err(PreflightError::Forbidden(missing))
    }
}

/// The namespace's enforced PodSecurity level must admit hostPath volumes
/// (one request).
pub async fn check_pod_security(client: &Client, namespace: &str) -> Result<(), PreflightError> {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns = api.get(namespace).await?;
    let level = ns
        .metadata
        .labels
        .unwrap_or_default()
        .get("pod-security.kubernetes.io/enforce")
        .cloned();
    match level.as_deref() {
        Some(level @ ("baseline" | "restricted")) => Err(PreflightError::PodSecurity {
            namespace: namespace.into(),
            level: level.into(),
        }),
        _ => Ok(()),
    }
}
