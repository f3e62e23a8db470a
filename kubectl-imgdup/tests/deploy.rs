//! deploy/daemonset.yaml read as the API types: the serve pod keeps the
//! agent pod's safety profile (compared field by field with the pod the
//! cluster scan creates, so the two cannot drift) and the shared contract
//! with `kubectl imgdup top` (namespace, names, labels, port).

use imgdup::cluster::pod::{AgentMode, AgentPod};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Pod, Service};
use serde::Deserialize;

fn manifests() -> (DaemonSet, Service) {
    let path = testkit::lab::repo_root().join("deploy/daemonset.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut docs = serde_yaml::Deserializer::from_str(&text);
    let ds = DaemonSet::deserialize(docs.next().unwrap()).unwrap();
    let svc = Service::deserialize(docs.next().unwrap()).unwrap();
    assert!(docs.next().is_none(), "two objects only");
    (ds, svc)
}

fn agent_pod() -> Pod {
    AgentPod {
        node: "n1".into(),
        namespace: "imgdup".into(),
        image: imgdup_image(),
        run_id: "r".into(),
        timeout: std::time::Duration::from_secs(60),
        mode: AgentMode::Scan,
    }
    .build()
}

fn imgdup_image() -> String {
    format!(
        "ghcr.io/imgdup/kubectl-imgdup:{}",
        env!("CARGO_PKG_VERSION")
    )
}

#[test]
fn the_serve_pod_keeps_the_agent_pods_safety_profile() {
    let (ds, _) = manifests();
    let spec = ds.spec.template.spec.unwrap();
    let agent = agent_pod().spec.unwrap();
    assert_eq!(
        spec.volumes, agent.volumes,
        "the same four read-only hostPaths"
    );
    let (serve, scan) = (&spec.containers[0], &agent.containers[0]);
    assert_eq!(spec.containers.len(), 1);
    assert_eq!(serve.volume_mounts, scan.volume_mounts);
    assert_eq!(
        serve.security_context, scan.security_context,
        "no capability, read-only root, seccomp"
    );
    assert_eq!(
        serve.image, scan.image,
        "the default --image, which the lab loads"
    );
    assert_eq!(serve.image_pull_policy, scan.image_pull_policy);
    assert_eq!(serve.command, scan.command);
    for (field, ours, theirs) in [
        (
            "automountServiceAccountToken",
            spec.automount_service_account_token,
            agent.automount_service_account_token,
        ),
        (
            "enableServiceLinks",
            spec.enable_service_links,
            agent.enable_service_links,
        ),
        ("hostNetwork", spec.host_network, agent.host_network),
        ("hostPID", spec.host_pid, agent.host_pid),
        ("hostIPC", spec.host_ipc, agent.host_ipc),
    ] {
        assert_eq!(ours, theirs, "{field}");
    }
    assert_eq!(
        spec.tolerations, agent.tolerations,
        "every node, tainted or not"
    );
    assert_eq!(
        spec.active_deadline_seconds, None,
        "a DaemonSet pod must not end"
    );
    let args = serve.args.clone().unwrap();
    assert_eq!(args[0], "serve");
    for flag in [
        "--host-root=/host",
        "--proc=/host/proc",
        "--node-name=$(NODE_NAME)",
        "--listen=:9847",
    ] {
        assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
    }
    let resources = serve.resources.clone().unwrap();
    for kind in ["cpu", "memory"] {
        assert!(
            resources.requests.as_ref().unwrap().contains_key(kind),
            "request {kind}"
        );
        assert!(
            resources.limits.as_ref().unwrap().contains_key(kind),
            "limit {kind}"
        );
    }
}

#[test]
fn the_daemonset_and_service_are_what_top_looks_for() {
    let (ds, svc) = manifests();
    let labels = [
        ("app.kubernetes.io/name", "imgdup"),
        ("app.kubernetes.io/component", "serve"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .into_iter()
    .collect();
    assert_eq!(ds.metadata.name.as_deref(), Some("imgdup-serve"));
    assert_eq!(ds.metadata.namespace.as_deref(), Some("imgdup"));
    let spec = ds.spec;
    assert_eq!(spec.selector.match_labels.as_ref(), Some(&labels));
    assert_eq!(
        spec.template.metadata.unwrap().labels.as_ref(),
        Some(&labels)
    );
    let port = &spec.template.spec.unwrap().containers[0]
        .ports
        .clone()
        .unwrap()[0];
    assert_eq!(
        (port.container_port, port.name.as_deref()),
        (9847, Some("http"))
    );
    assert_eq!(svc.metadata.name.as_deref(), Some("imgdup-serve"));
    assert_eq!(svc.metadata.namespace.as_deref(), Some("imgdup"));
    let svc = svc.spec.unwrap();
    assert_eq!(svc.selector.as_ref(), Some(&labels));
    let port = &svc.ports.unwrap()[0];
    assert_eq!((port.port, port.name.as_deref()), (9847, Some("http")));
}
