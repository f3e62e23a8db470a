//! Many nodes, on the simulated API server's fake nodes: bounded
//! concurrency gives wall time close to ceil(N/c) agent runs, and the
//! request budget stays a small constant per node, even when every request
//! is slow.

use std::time::Duration;

use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::{FakeNodes, FakeSpec, FaultRule};

use crate::util::sim::*;
use crate::util::*;

/// `count` fake nodes whose agent runs `seconds`.
fn fleet(dir: &std::path::Path, count: usize, seconds: f64) -> testkit::apiserver::config::Config {
    let mut cfg = config(dir);
    cfg.fake_nodes = Some(FakeNodes {
        count,
        prefix: "node-".into(),
        fake: FakeSpec {
            seconds,
            exit_code: 0,
            output: ok_output(),
        },
    });
    cfg
}

/// Every node ok, no pod left, and at most `per_node` requests per node.
fn assert_clean_run(
    server: &SimApiServer,
    out: &std::process::Output,
    nodes: usize,
    per_node: u64,
) {
    assert_exit(out, 0);
    let verdicts = verdicts(out);
    assert_eq!(verdicts.len(), nodes);
    assert!(verdicts.values().all(|v| v == "ok"));
    let calls = api_calls(out);
    assert!(calls["maxPerNode"].as_u64().unwrap() <= per_node, "{calls}");
    let requests = server.requests();
    assert!(
        requests["total"] <= per_node * nodes as u64 + 40,
        "server saw {} requests for {nodes} nodes: {requests:?}",
        requests["total"]
    );
    assert_eq!(our_pods(server), 0);
}

/// Not on the real cluster, which has five nodes: it needs 200.
#[test]
fn two_hundred_nodes_at_concurrency_ten_take_about_ceil_n_over_c_agent_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = SimApiServer::start(fleet(dir.path(), 200, 1.0)).unwrap();
    let (out, took) = run(&server, &["-o", "json", "--concurrency", "10"]);
    let ideal = Duration::from_secs(200 / 10);
    let requests = server.requests();
    eprintln!(
        "200 nodes, c=10, 1 s agents: {took:.2?} (ideal {ideal:?}, ratio {:.2}); {} requests, {:.2} per node; apiCalls {}",
        took.as_secs_f64() / ideal.as_secs_f64(),
        requests["total"],
        requests["total"] as f64 / 200.0,
        api_calls(&out)
    );
    assert_clean_run(&server, &out, 200, 6);
    // Concurrency is used, not serialized (200 s) nor exceeded (< 20 s is impossible).
    assert!(took >= ideal, "{took:?}: more than 10 pods at a time?");
    assert!(
        took < ideal.mul_f64(1.5),
        "{took:?} against an ideal of {ideal:?}"
    );
    server.stop();
}

/// Not on the real cluster: it needs 500 nodes and 200 ms added to every request.
#[test]
fn five_hundred_nodes_at_concurrency_fifty_on_a_slow_api_server_make_no_storm() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = fleet(dir.path(), 500, 1.0);
    cfg.faults = vec![FaultRule {
        latency_seconds: 0.2,
        ..Default::default()
    }];
    let server = SimApiServer::start(cfg).unwrap();
    let (out, took) = run(
        &server,
        &["-o", "json", "--concurrency", "50", "--timeout", "30s"],
    );
    let requests = server.requests();
    eprintln!(
        "500 nodes, c=50, +200 ms per request: {took:.2?}; {} requests ({:.2} per node); apiCalls {}",
        requests["total"],
        requests["total"] as f64 / 500.0,
        api_calls(&out)
    );
    assert_clean_run(&server, &out, 500, 6);
    // 10 rounds of (create + 1 s + log + delete) at 200 ms a request, plus setup.
    assert!(took < Duration::from_secs(60), "{took:?}");
    server.stop();
}
