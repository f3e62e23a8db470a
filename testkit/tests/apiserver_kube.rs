//! kube-rs 5 against the simulated API server: the calls `kubectl imgdup`
//! makes (list nodes, create/get/watch/log/delete pods, deletecollection,
//! SelfSubjectAccessReview), its error types, kube-runtime's watcher over a
//! dropped watch, and a 1000-node scale run with the request counts.

mod apiserver_support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use apiserver_support::{Cluster, http, pod};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams, WatchEvent, WatchParams};
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

fn manifest(name: &str, node: &str, command: &[&str]) -> Pod {
    serde_json::from_value(pod(name, node, "busybox", command, json!({}))).unwrap()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_client_calls_and_errors() {
    let c = Cluster::from_yaml(
        r#"
requireToken: true
nodes:
  - {name: n1, fake: {seconds: 0.3, output: "report for {node}\n"}}
  - {name: w1, fake: {seconds: 0.3}, os: windows}
  - {name: slow, fake: {seconds: 30}, labels: {kubernetes.io/os: other}}
rbac: {default: allow, deny: [{verbs: [delete], resources: [nodes]}]}
"#,
    );
    // kube-rs sends the kubeconfig's token over http (kubectl does not).
    let client = client(&c).await;
    let nodes: Api<Node> = Api::all(client.clone());
    let linux = nodes
        .list(&ListParams::default().labels("kubernetes.io/os=linux"))
        .await
        .unwrap();
    assert_eq!(
        linux.items.iter().map(|n| n.name_any()).collect::<Vec<_>>(),
        ["n1"]
    );
    let n1 = nodes.get("n1").await.unwrap();
    assert_eq!(
        n1.status.unwrap().node_info.unwrap().operating_system,
        "linux"
    );

    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let created = pods
        .create(&PostParams::default(), &manifest("p1", "n1", &["agent"]))
        .await
        .unwrap();
    assert_eq!(phase(&created), "Pending");
    assert!(created.metadata.uid.is_some() && created.metadata.resource_version.is_some());
    let done = wait_phase(&pods, "p1", "Succeeded").await;
    assert_eq!(
        done.status.unwrap().container_statuses.unwrap()[0]
            .state
            .clone()
            .unwrap()
            .terminated
            .unwrap()
            .exit_code,
        0
    );
    assert_eq!(
        pods.logs("p1", &LogParams::default()).await.unwrap(),
        "report for n1\n"
    );
    assert_eq!(
        pods.logs(
            "p1",
            &LogParams {
                limit_bytes: Some(6),
                ..LogParams::default()
            }
        )
        .await
        .unwrap(),
        "report"
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
        .create(&PostParams::default(), &manifest("p1", "n1", &["agent"]))
        .await
        .unwrap_err();
    let kube::Error::Api(s) = err else {
        panic!("{err:?}")
    };
    assert_eq!((s.code, s.reason.as_str()), (409, "AlreadyExists"));
    let err = nodes
        .delete("n1", &DeleteParams::default())
        .await
        .unwrap_err();
    let kube::Error::Api(s) = err else {
        panic!("{err:?}")
    };
    assert_eq!(s.code, 403);
    assert_eq!(
        s.message,
        "nodes \"n1\" is forbidden: User \"sim\" cannot delete resource \"nodes\" in API group \"\" at the cluster scope"
    );

    // SelfSubjectAccessReview
    let ssar: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let review = |verb: &str, resource: &str| SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                resource: Some(resource.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let yes = ssar
        .create(&PostParams::default(), &review("create", "pods"))
        .await
        .unwrap();
    assert!(yes.status.unwrap().allowed);
    let no = ssar
        .create(&PostParams::default(), &review("delete", "nodes"))
        .await
        .unwrap();
    assert!(!no.status.unwrap().allowed);

    // gracePeriodSeconds=0: the pod leaves the API at once.
    pods.create(&PostParams::default(), &manifest("now", "slow", &["x"]))
        .await
        .unwrap();
    wait_phase(&pods, "now", "Running").await;
    let gone = pods
        .delete("now", &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
    assert!(gone.left().unwrap().metadata.deletion_timestamp.is_some());
    assert!(pods.get_opt("now").await.unwrap().is_none());

    // generateName, dryRun, labels, deletecollection
    let mut generated = manifest("", "n1", &["x"]);
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
    let g = pods
        .create(&PostParams::default(), &generated)
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
            &DeleteParams::default(),
            &ListParams::default().labels("test=apiserver"),
        )
        .await
        .unwrap();
    let gone = gone.left().expect("a PodList");
    assert_eq!(gone.items.len(), 2);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty()
    {
        assert!(Instant::now() < deadline, "{} left", g.name_any());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A watch from a compacted resourceVersion: kube-rs gets the 410.
    http(&c.url, "POST", "/debug/compact", None);
    let mut stream = pods
        .watch(&WatchParams::default(), "1")
        .await
        .unwrap()
        .boxed();
    match stream.try_next().await.unwrap() {
        Some(WatchEvent::Error(e)) => assert_eq!((e.code, e.reason.as_str()), (410, "Expired")),
        other => panic!("{other:?}"),
    }
    tokio::task::spawn_blocking(move || c.finish(&[]))
        .await
        .unwrap();
}

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
        pods.create(
            &PostParams::default(),
            &manifest(&format!("w{i}"), "n1", &["x"]),
        )
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
    tokio::task::spawn_blocking(move || c.finish(&[]))
        .await
        .unwrap();
}

/// 1000 fake nodes, one pod each (c=50): create, one watch, logs, delete.
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
                    &manifest(&format!("scan-{i}"), &format!("node-{i}"), &["agent"]),
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
        &DeleteParams::default(),
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
    tokio::task::spawn_blocking(move || c.finish(&[]))
        .await
        .unwrap();
}
