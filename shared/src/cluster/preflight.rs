//! Before any pod exists: can this user do every step of the run (RBAC via
//! SelfSubjectAccessReview), and will PodSecurity admit the agent pod?

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Pod;
use kube::api::PostParams;
use kube::{Api, Client};

use super::calls::{Calls, Verb};
use super::retry::{CallError, RetryPolicy};

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
        need(
            "get",
            "pods",
            None,
            ns(),
            "re-read an agent pod after a missed update or a retried create",
        ),
        need("get", "pods", Some("log"), ns(), "read each node's report"),
        need("delete", "pods", None, ns(), "remove every agent pod"),
        need(
            "deletecollection",
            "pods",
            None,
            ns(),
            "remove a run's pods by label after Ctrl-C",
        ),
    ]
}

/// What `kubectl imgdup which NODE` does: the scan's agent pod on one node,
/// which it gets by name; no cluster-wide pod list (no workload findings).
pub fn which_needs(namespace: &str) -> Vec<Need> {
    needs(namespace)
        .into_iter()
        .filter(|n| !(n.resource == "pods" && n.namespace.is_none()))
        .map(|mut n| {
            if n.resource == "nodes" {
                n.verb = "get";
                n.why = "read the node's OS and readiness";
            }
            n
        })
        .collect()
}

/// What `kubectl imgdup cleanup` does: find our pods everywhere, delete them.
pub fn cleanup_needs() -> Vec<Need> {
    vec![
        Need {
            verb: "list",
            resource: "pods",
            subresource: None,
            namespace: None,
            why: "find agent pods left in any namespace",
        },
        Need {
            verb: "delete",
            resource: "pods",
            subresource: None,
            namespace: None,
            why: "delete them: bind the ClusterRole kubectl-imgdup-cleanup of deploy/rbac.yaml (it has no binding there), or clean one namespace with `kubectl imgdup cleanup -n NAMESPACE`",
        },
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error("missing permissions (nothing was created):\n  {}\nGrant deploy/rbac.yaml, or ask your admin for these rules", .0.join("\n  "))]
    Forbidden(Vec<String>),
    #[error(
        "namespace {namespace} does not admit the agent pod (nothing was created): {message}\nThe agent needs read-only hostPath mounts of /run, /var/lib, /etc and /proc, which PodSecurity \"baseline\" and \"restricted\" forbid. Use -n with a namespace labelled pod-security.kubernetes.io/enforce=privileged (deploy/rbac.yaml creates \"imgdup\"), or label this one: kubectl label ns {namespace} pod-security.kubernetes.io/enforce=privileged"
    )]
    PodSecurity { namespace: String, message: String },
    #[error(
        "namespace {0:?} not found (nothing was created): create it (`kubectl apply -f deploy/rbac.yaml` creates \"imgdup\" with the labels the agent pod needs), or pass -n with an existing namespace"
    )]
    NamespaceNotFound(String),
    #[error("the API server rejected the agent pod in a dry run (nothing was created): {0}")]
    Rejected(String),
    /// The cause is only in `source`: printed as a chain, it is said once.
    #[error("preflight request failed")]
    Api(#[from] CallError),
}

/// The first requests of a run: a server that does not answer at all
/// (refused, no route, TLS, timeout) fails at once, not after 5 attempts.
fn first_contact(calls: &Calls) -> RetryPolicy {
    RetryPolicy {
        retry_unanswered: false,
        ..calls.policy
    }
}

/// Asks the API server about every [`Need`] (concurrently: one round trip
/// of latency); all missing rules are reported at once.
pub async fn check_access(
    client: &Client,
    needs: Vec<Need>,
    calls: &Calls,
) -> Result<(), PreflightError> {
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let policy = first_contact(calls);
    let answers = futures::future::join_all(needs.iter().map(|need| {
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
        let api = api.clone();
        let policy = &policy;
        async move {
            let params = PostParams::default();
            calls
                .run_with(policy, Verb::Preflight, None, |_| {
                    api.create(&params, &review)
                })
                .await
        }
    }))
    .await;
    let mut missing = Vec::new();
    for (need, answer) in needs.iter().zip(answers) {
        if !answer?.status.map(|s| s.allowed).unwrap_or(false) {
            missing.push(need.rule());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PreflightError::Forbidden(missing))
    }
}

/// Creates the real agent pod with `dryRun=All`: admission runs — PodSecurity
/// (namespace labels or the cluster's defaults) and any policy webhook — and
/// nothing is stored. One request, and no guessing from labels.
pub async fn check_admission(
    client: &Client,
    namespace: &str,
    pod: &Pod,
    calls: &Calls,
) -> Result<(), PreflightError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = PostParams {
        dry_run: true,
        ..Default::default()
    };
    match calls
        .run_with(&first_contact(calls), Verb::Preflight, None, |_| {
            api.create(&params, pod)
        })
        .await
    {
        Ok(_) => Ok(()),
        // A pod of that name already exists: admission passed.
        Err(e) if e.code() == Some(409) => Ok(()),
        Err(e) if e.code() == Some(404) => Err(PreflightError::NamespaceNotFound(namespace.into())),
        Err(CallError::Api(kube::Error::Api(status)))
            if status.code == 403 && status.message.contains("PodSecurity") =>
        {
            Err(PreflightError::PodSecurity {
                namespace: namespace.into(),
                message: status.message.clone(),
            })
        }
        Err(CallError::Api(kube::Error::Api(status))) if matches!(status.code, 400 | 403 | 422) => {
            Err(PreflightError::Rejected(status.message.clone()))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unreachable server: kube and `CallError` (transparent) would each
    /// say "refused" again; the joined line says it once.
    #[test]
    fn a_refused_preflight_says_the_cause_once() {
        let refused = std::io::Error::from_raw_os_error(libc::ECONNREFUSED);
        let e = PreflightError::from(CallError::Api(kube::Error::Service(Box::new(refused))));
        let line = crate::model::causes::joined(&e);
        assert_eq!(line.matches("refused").count(), 1, "{line}");
        assert_eq!(
            line,
            "preflight request failed: ServiceError: Connection refused (os error 111)"
        );
    }
}
