//! kube-rs 5 against the simulated API server: the calls `kubectl imgdup`
//! makes (list nodes, create/get/watch/log/delete pods, deletecollection,
//! SelfSubjectAccessReview), its error types, kube-runtime's watcher over
//! dropped watches, and a 1000-node scale run with the request counts.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::apiserver_support::{Cluster, pod};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};
use kube::config::{Config, KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::json;

async fn client(c: &Cluster) -> Client {
    let kc = Kubeconfig::read_from(&c.kubeconfig).expect("kubeconfig");
    let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    assert_eq!(cfg.default_namespace, "default");
    Client::try_from(cfg).expect("client")
}

fn manifest(name: &str, node: &str) -> Pod {
    serde_json::from_value(pod(name, node, json!({}))).unwrap()
}

fn phase(p: &Pod) -> String {
    p.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

async fn wait_phase(api: &Api<Pod>, name: &str, want: &str) -> Pod {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let p = api.get(name).await.expect("get pod");
        if phase(&p) == want {
            return p;
        }
        assert!(Instant::now() < deadline, "{name}: {:?}", p.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Not on the real cluster: it checks that the simulator answers the plugin's calls as the real one does, so the fault and scale tests mean something.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_client_calls_and_errors() {
    let c = Cluster::from_yaml(
        r#"
nodes:
  - {name: n1, fake: {seconds: 0.3, output: "line 1\nreport for {node}\n"}}
  - {name: crash, fake: {seconds: 0.3, exitCode: 101, output: "panicked\n"}}
  - {name: slow, fake: {seconds: 30}}
"#,
    );
    let client = client(&c).await;
    let nodes: Api<Node> = Api::all(client.clone());
    let linux = nodes
        .list(&ListParams::default().labels("kubernetes.io/os=linux"))
        .await
        .unwrap();
    assert_eq!(
        linux.items.iter().map(|n| n.name_any()).collect::<Vec<_>>(),
        ["crash", "n1", "slow"]
    );
    let none = nodes
        .list(&ListParams::default().labels("kubernetes.io/os!=linux"))
        .await
        .unwrap();
    assert!(none.items.is_empty());
    let n1 = nodes.get("n1").await.unwrap();
    let status = n1.status.unwrap();
    assert_eq!(status.node_info.unwrap().operating_system, "linux");
    assert!(
        status
            .conditions
            .unwrap()
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    );

    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let created = pods
        .create(&PostParams::default(), &manifest("p1", "n1"))
        .await
        .unwrap();
    assert_eq!(phase(&created), "Pending");
    assert!(created.metadata.uid.is_some() && created.metadata.resource_version.is_some());
    let done = wait_phase(&pods, "p1", "Succeeded").await;
    let terminated = |p: Pod| {
        p.status.unwrap().container_statuses.unwrap()[0]
            .state
            .clone()
            .unwrap()
            .terminated
            .unwrap()
    };
    assert_eq!(terminated(done).exit_code, 0);
    assert_eq!(
        pods.logs("p1", &LogParams::default()).await.unwrap(),
        "line 1\nreport for n1\n"
    );
    let limited = LogParams {
        limit_bytes: Some(6),
        ..LogParams::default()
    };
    assert_eq!(pods.logs("p1", &limited).await.unwrap(), "line 1");
    let tail = LogParams {
        tail_lines: Some(1),
        ..LogParams::default()
    };
    assert_eq!(pods.logs("p1", &tail).await.unwrap(), "report for n1\n");

    // A crashing agent: Failed, its exit code and its output.
    pods.create(&PostParams::default(), &manifest("c1", "crash"))
        .await
        .unwrap();
    let crashed = terminated(wait_phase(&pods, "c1", "Failed").await);
    assert_eq!(
        (crashed.exit_code, crashed.reason.as_deref()),
        (101, Some("Error"))
    );
    assert_eq!(
        pods.logs("c1", &LogParams::default()).await.unwrap(),
        "panicked\n"
    );

    // Errors are Status objects kube-rs parses.
    let err = pods.get("missing").await.unwrap_err();
    let kube::Error::Api(s) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (s.code, s.reason.as_str(), s.message.as_str()),
        (404, "NotFound", "pods \"missing\" not found")
    );
    let err = pods
        .create(&PostParams::default(), &manifest("p1", "n1"))
        .await
        .unwrap_err();
    let kube::Error::Api(s) = err else {
        panic!("{err:?}")
    };
    assert_eq!((s.code, s.reason.as_str()), (409, "AlreadyExists"));
    let elsewhere: Api<Pod> = Api::namespaced(client.clone(), "no-such-namespace");
    let err = elsewhere
        .create(&PostParams::default(), &manifest("p1", "n1"))
        .await
        .unwrap_err();
    let kube::Error::Api(s) = err else {
        panic!("{err:?}")
    };
    assert_eq!(s.code, 404);

    // SelfSubjectAccessReview: always allowed.
    let ssar: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some("create".into()),
                resource: Some("pods".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let yes = ssar.create(&PostParams::default(), &review).await.unwrap();
    assert!(yes.status.unwrap().allowed);
    assert_eq!(
        yes.spec.resource_attributes.unwrap().verb.as_deref(),
        Some("create")
    );

    // gracePeriodSeconds=0: the pod leaves the API at once.
    pods.create(&PostParams::default(), &manifest("now", "slow"))
        .await
        .unwrap();
    wait_phase(&pods, "now", "Running").await;
    let gone = pods
        .delete("now", &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
    assert!(gone.left().unwrap().metadata.deletion_timestamp.is_some());
    assert!(pods.get_opt("now").await.unwrap().is_none());
    // A graceful delete: the kubelet stops the container, then the pod goes.
    pods.create(&PostParams::default(), &manifest("later", "slow"))
        .await
        .unwrap();
    wait_phase(&pods, "later", "Running").await;
    let marked = pods
        .delete("later", &DeleteParams::default())
        .await
        .unwrap();
    assert!(marked.left().unwrap().metadata.deletion_timestamp.is_some());
    let deadline = Instant::now() + Duration::from_secs(5);
    while pods.get_opt("later").await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "the graceful delete never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // generateName, dryRun, labels, deletecollection
    let mut generated = manifest("", "n1");
    generated.metadata.name = None;
    generated.metadata.generate_name = Some("imgdup-".into());
    let dry = pods
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &generated,
        )
        .await
        .unwrap();
    assert!(dry.name_any().starts_with("imgdup-") && dry.name_any().len() == 12);
    assert!(
        pods.get_opt(&dry.name_any()).await.unwrap().is_none(),
        "dryRun stores nothing"
    );
    pods.create(&PostParams::default(), &generated)
        .await
        .unwrap();
    let list = pods
        .list(
            &ListParams::default()
                .labels("test=apiserver")
                .fields("spec.nodeName=n1"),
        )
        .await
        .unwrap();
    assert_eq!(list.items.len(), 2);
    let gone = pods
        .delete_collection(
            &DeleteParams::default().grace_period(0),
            &ListParams::default().labels("test=apiserver"),
        )
        .await
        .unwrap();
    assert_eq!(gone.left().expect("a PodList").items.len(), 3);
    assert!(
        pods.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    tokio::task::spawn_blocking(move || c.finish())
        .await
        .unwrap();
}

/// Not on the real cluster: a real apiserver does not end a watch on demand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_runtime_watcher_survives_dropped_watches() {
    let c = Cluster::from_yaml(
        "nodes: [{name: n1, fake: {seconds: 0.5}}]\nfaults: [{endpoint: watch, dropAfterEvents: 3}]",
    );
    let client = client(&c).await;
    let pods: Api<Pod> = Api::default_namespaced(client);
    let seen = tokio::spawn({
        let pods = pods.clone();
        async move {
            let mut phases: BTreeMap<String, String> = BTreeMap::new();
            let stream = watcher(pods, watcher::Config::default().labels("test=apiserver"))
                .applied_objects();
            futures::pin_mut!(stream);
            while let Some(p) = stream.try_next().await.expect("watcher") {
                phases.insert(p.name_any(), phase(&p));
                if phases.len() == 5 && phases.values().all(|p| p == "Succeeded") {
                    return phases;
                }
            }
            phases
        }
    });
    for i in 0..5 {
        pods.create(&PostParams::default(), &manifest(&format!("w{i}"), "n1"))
            .await
            .unwrap();
    }
    let phases = tokio::time::timeout(Duration::from_secs(30), seen)
        .await
        .expect("all Succeeded through dropped watches")
        .unwrap();
    assert_eq!(phases.len(), 5);
    let req = c.get_json("/debug/requests");
    assert!(
        req["requests"]["watch pods"].as_u64().unwrap() >= 3,
        "the watch was re-established: {req}"
    );
    tokio::task::spawn_blocking(move || c.finish())
        .await
        .unwrap();
}

/// Not on the real cluster, which has five nodes: 1000 fake nodes, one pod each (c=50).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_1000_fake_nodes() {
    let n = 1000;
    let c = Cluster::from_yaml(&format!(
        "fakeNodes: {{count: {n}, prefix: node-, fake: {{seconds: 1, output: \"{{node}} ok\\n\"}}}}"
    ));
    let client = client(&c).await;
    let nodes: Api<Node> = Api::all(client.clone());
    let t = Instant::now();
    assert_eq!(
        nodes
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        n
    );
    let list_time = t.elapsed();
    // Pagination: limit and continue, as kube-runtime's watcher lists.
    let mut names = Vec::new();
    let mut lp = ListParams::default().limit(300);
    loop {
        let page = nodes.list(&lp).await.unwrap();
        assert!(page.items.len() <= 300);
        names.extend(page.items.iter().map(|n| n.name_any()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp = lp.continue_token(&c),
            None => break,
        }
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((names.len(), sorted.len()), (n, n));
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let start = Instant::now();
    let done = tokio::spawn({
        let pods = pods.clone();
        async move {
            let mut finished = std::collections::HashSet::new();
            let mut running_at: Vec<Duration> = Vec::new();
            let stream = watcher(pods, watcher::Config::default()).applied_objects();
            futures::pin_mut!(stream);
            let mut seen_running = std::collections::HashSet::new();
            while let Some(p) = stream.try_next().await.expect("watch") {
                if phase(&p) == "Running" && seen_running.insert(p.name_any()) {
                    running_at.push(start.elapsed());
                }
                if phase(&p) == "Succeeded" {
                    finished.insert(p.name_any());
                    if finished.len() == n {
                        break;
                    }
                }
            }
            running_at
        }
    });
    futures::stream::iter(0..n)
        .map(|i| {
            let pods = pods.clone();
            async move {
                pods.create(
                    &PostParams::default(),
                    &manifest(&format!("scan-{i}"), &format!("node-{i}")),
                )
                .await
                .unwrap()
            }
        })
        .buffer_unordered(50)
        .collect::<Vec<_>>()
        .await;
    let created = start.elapsed();
    let running_at = tokio::time::timeout(Duration::from_secs(120), done)
        .await
        .expect("all pods Succeeded")
        .unwrap();
    let all_done = start.elapsed();
    let logs: Vec<String> = futures::stream::iter(0..n)
        .map(|i| {
            let pods = pods.clone();
            async move {
                pods.logs(&format!("scan-{i}"), &LogParams::default())
                    .await
                    .unwrap()
            }
        })
        .buffer_unordered(50)
        .collect()
        .await;
    assert!(logs.iter().all(|l| l.ends_with(" ok\n")));
    let logs_done = start.elapsed();
    pods.delete_collection(
        &DeleteParams::default().grace_period(0),
        &ListParams::default().labels("test=apiserver"),
    )
    .await
    .unwrap();
    let req = c.get_json("/debug/requests");
    eprintln!(
        "scale: {n} nodes list {list_time:?}; {n} creates in {created:?}; first Running {:?}, last Running {:?}; all Succeeded {all_done:?}; logs {logs_done:?}; requests {req}",
        running_at.first(),
        running_at.last()
    );
    assert_eq!(req["requests"]["create pods"], n as u64);
    assert_eq!(req["requests"]["get pods/log"], n as u64);
    assert!(all_done < Duration::from_secs(60), "{all_done:?}");
    tokio::task::spawn_blocking(move || c.finish())
        .await
        .unwrap();
}
