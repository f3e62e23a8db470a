//! Faults on the API server, the nodes and the agents, on the simulated API
//! server's fake nodes: every node still gets a verdict or a named `unknown`
//! reason, the run ends within its deadlines, and no pod of ours is left.

use std::time::Duration;

use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::FaultRule;

use crate::util::sim::*;
use crate::util::*;

fn fault(endpoint: &str, resource: &str) -> FaultRule {
    FaultRule {
        endpoint: Some(endpoint.into()),
        resource: Some(resource.into()),
        ..Default::default()
    }
}

/// Not on the real cluster: it needs injected 429s and 500s, which a real apiserver does not produce on demand.
#[test]
fn api_500s_and_429s_are_retried_with_backoff_and_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.nodes = (0..12)
        .map(|i| fake_node(&format!("n{i}"), 0.3, 0, &ok_output()))
        .collect();
    cfg.seed = 42;
    cfg.faults = vec![
        // A quarter of pod creates, logs, deletes and lists fail with a 500.
        FaultRule {
            code: Some(500),
            rate: Some(0.25),
            ..fault("create", "pods")
        },
        FaultRule {
            code: Some(500),
            rate: Some(0.25),
            ..fault("get", "pods/log")
        },
        FaultRule {
            code: Some(500),
            rate: Some(0.25),
            ..fault("delete", "pods")
        },
        FaultRule {
            code: Some(500),
            times: Some(1),
            ..fault("list", "nodes")
        },
        // The first three creates are throttled for 1 s.
        FaultRule {
            code: Some(429),
            retry_after_seconds: Some(1),
            times: Some(3),
            ..fault("create", "pods")
        },
    ];
    let server = SimApiServer::start(cfg).unwrap();
    let (out, took) = run(&server, &["-o", "json", "--timeout", "20s"]);
    assert_exit(&out, 0);
    let verdicts = verdicts(&out);
    assert_eq!(verdicts.len(), 12);
    assert!(verdicts.values().all(|v| v == "ok"), "{verdicts:?}");
    let calls = api_calls(&out);
    eprintln!("API calls with faults: {calls}, {took:?}");
    assert!(calls["retries"].as_u64().unwrap() >= 4, "{calls}");
    // Retry-After is obeyed: three throttled creates cost at least 1 s.
    assert!(took >= Duration::from_secs(1), "{took:?}");
    // Retries are bounded: no storm.
    let requests = server.requests();
    assert!(requests["total"] <= 12 * 8 + 40, "{requests:?}");
    assert_eq!(our_pods(&server), 0);
    server.stop();
}

/// Not on the real cluster: a real apiserver neither drops a watch nor compacts its history on demand.
#[test]
fn a_dropped_watch_and_a_410_on_rewatch_are_survived_by_a_relist() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.nodes = (0..8)
        .map(|i| fake_node(&format!("n{i}"), 1.0, 0, &ok_output()))
        .collect();
    // The first watch ends after 3 events. Every watch request takes 0.5 s,
    // and the server keeps one change of history: by the time the watcher
    // resumes, its resourceVersion has expired, and the server answers with
    // an ERROR event holding a 410 Expired Status, as a real one does after
    // etcd compaction. Only a relist recovers from that.
    cfg.watch_history = 1;
    cfg.faults = vec![
        FaultRule {
            drop_after_events: Some(3),
            times: Some(1),
            ..fault("watch", "pods")
        },
        FaultRule {
            latency_seconds: 0.5,
            ..fault("watch", "pods")
        },
    ];
    let server = SimApiServer::start(cfg).unwrap();
    let (out, took) = run(
        &server,
        &["-o", "json", "--concurrency", "4", "--timeout", "20s"],
    );
    assert_exit(&out, 0);
    assert!(
        verdicts(&out).values().all(|v| v == "ok"),
        "{}",
        stdout(&out)
    );
    let requests = server.requests();
    eprintln!("requests: {requests:?}, {took:?}");
    assert!(
        requests["watch pods"] >= 3,
        "the watch was resumed: {requests:?}"
    );
    // One list for the workload findings, the watcher's first, and its relist.
    assert!(
        requests["list pods"] >= 3,
        "a relist followed the 410: {requests:?}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(our_pods(&server), 0);
    server.stop();
}

/// Here for the node deleted mid-run: a real kubelet registers its Node again. The pull failure and the
/// pod no kubelet starts also run on the real cluster (`real_cluster/faults.rs`, `sim_vs_real.rs`).
#[test]
fn pending_image_pull_and_a_deleted_node_get_named_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.pod_gc_seconds = 0.5;
    cfg.image_pull_backoff_seconds = 0.5;
    cfg.nodes = vec![
        fake_node("healthy", 0.5, 0, &ok_output()),
        fake_node("stuck", 0.5, 0, &ok_output()),
        fake_node("pull", 0.5, 0, &ok_output()),
        fake_node("gone", 30.0, 0, &ok_output()),
    ];
    cfg.nodes[1].faults.pending = true;
    cfg.nodes[2].faults.image_pull = true;
    cfg.nodes[3].faults.delete_after_seconds = Some(0.5);
    let server = SimApiServer::start(cfg).unwrap();
    let (out, took) = run(
        &server,
        &["-o", "json", "--timeout", "10s", "--pending-timeout", "3s"],
    );
    assert_exit(&out, 4);
    let verdicts = verdicts(&out);
    eprintln!("{verdicts:#?} in {took:?}");
    assert_eq!(verdicts["healthy"], "ok");
    // Bound by spec.nodeName, the pod bypasses the scheduler: no
    // PodScheduled condition names a cause, as on a real server.
    assert_eq!(verdicts["stuck"], "unknown PodPending");
    // The image, the kubelet's message and the fix.
    let pull = &verdicts["pull"];
    assert!(
        pull.starts_with(
            "unknown ImagePullBackOff: the node cannot pull \"ghcr.io/imgdup/kubectl-imgdup:"
        ) && pull.contains("dial tcp: lookup ghcr.io")
            && pull.contains("pass --image")
            && pull.contains("--agent-binary"),
        "{pull}"
    );
    assert!(
        verdicts["gone"].starts_with("unknown AgentFailed: NodeLost")
            || verdicts["gone"].starts_with("unknown PodDeleted"),
        "{}",
        verdicts["gone"]
    );
    // Well before the 10 s scan deadline: a lost node is not waited out.
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(our_pods(&server), 0);
    server.stop();
}

/// Not on the real cluster: its agents run the real scan, which cannot be made to crash or print garbage on demand.
#[test]
fn crashing_garbage_and_huge_agents_are_named_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    let huge = "x".repeat(20 << 20);
    cfg.nodes = vec![
        fake_node("healthy", 0.2, 0, &ok_output()),
        fake_node(
            "crash",
            0.2,
            101,
            "thread 'main' panicked at src/scan.rs:1:1\n",
        ),
        fake_node("garbage", 0.2, 0, "\u{1b}[31mnot a report\n"),
        fake_node("huge", 0.2, 0, &huge),
    ];
    let server = SimApiServer::start(cfg).unwrap();
    let (out, took) = run(&server, &["-o", "json", "--timeout", "10s"]);
    assert_exit(&out, 4);
    let verdicts = verdicts(&out);
    eprintln!("{verdicts:#?} in {took:?}");
    assert_eq!(verdicts["healthy"], "ok");
    assert!(
        verdicts["crash"].starts_with("unknown AgentFailed: Error (exit 101)")
            && verdicts["crash"].contains("panicked"),
        "{}",
        verdicts["crash"]
    );
    assert!(
        verdicts["garbage"]
            .starts_with("unknown BadReport: the agent's output is not a NodeReport"),
        "{}",
        verdicts["garbage"]
    );
    assert!(
        verdicts["huge"].starts_with("unknown BadReport: the agent printed more than 16 MiB"),
        "{}",
        verdicts["huge"]
    );
    // The table escapes what an agent printed: no raw escape sequences.
    let (table, _) = run(&server, &["--timeout", "10s"]);
    assert!(!stdout(&table).contains('\u{1b}'), "{}", stdout(&table));
    assert_eq!(our_pods(&server), 0);
    server.stop();
}
