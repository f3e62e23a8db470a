//! Several clusters in one run (`--all-contexts`, `--context a,b`), on two
//! simulated API servers: each context is reported under its name, one
//! that cannot be reached (or is not in the kubeconfig) is reported with its
//! reason without stopping the others, and the exit code is the worst.

use std::path::Path;
use std::time::Duration;

use imgdup::model::image_finding::{ImageFinding, Verdict};
use imgdup::model::node_report::NodeReport;
use imgdup::model::store::{Store, StoreRuntime};
use serde_json::Value;
use testkit::apiserver::SimApiServer;

use crate::util::sim::*;
use crate::util::*;

const APP_BYTES: u64 = 3_145_728;
const LEFTOVER_BYTES: u64 = 8_388_608;
const ID: &str = "sha256:d37f8a375b02aa";

fn store(id: &str, live: bool, disk_bytes: u64) -> Store {
    let (runtime, path) = id.split_once(':').unwrap();
    Store {
        id: id.into(),
        runtime: match runtime {
            "dockerd" => StoreRuntime::Dockerd,
            _ => StoreRuntime::Containerd,
        },
        path: path.into(),
        device: None,
        namespace: None,
        live,
        active: live,
        endpoint: None,
        reached_by: Vec::new(),
        proof: None,
        images: 1,
        disk_bytes,
        partial: false,
        gaps: Vec::new(),
        containers: Vec::new(),
    }
}

/// What a fake node's agent prints: `app-a:1` held by two containerds, and
/// an offline Docker store left by a runtime switch.
fn duplicate_output() -> String {
    let (c, k) = (
        "containerd:/var/lib/containerd",
        "containerd:/var/lib/rancher/k3s/agent/containerd",
    );
    let mut report = NodeReport::new("{node}".into(), None);
    report.verdict = Verdict::Duplicate;
    report.reclaimable_bytes = APP_BYTES;
    report.stores = vec![
        store(c, true, APP_BYTES),
        store(k, true, APP_BYTES),
        store("dockerd:/var/lib/docker", false, LEFTOVER_BYTES),
    ];
    report.images = vec![ImageFinding {
        id: ID.into(),
        tags: vec!["imgdup.test/app-a:1".into()],
        verdict: Verdict::Duplicate,
        stores: vec![c.into(), k.into()],
        reclaimable_bytes: APP_BYTES,
        reason: "held in 2 stores".into(),
        diff_ids: Vec::new(),
        repo_digests: Vec::new(),
        removals: Vec::new(),
        layers: Vec::new(),
        incomplete_in: Vec::new(),
    }];
    serde_json::to_string(&report).unwrap()
}

/// A kubeconfig naming each server under its own context (cluster and user
/// of the same name), current context the first.
fn kubeconfig(dir: &Path, servers: &[(&str, &str)]) -> std::path::PathBuf {
    let clusters: Vec<Value> = servers
        .iter()
        .map(|(n, url)| serde_json::json!({"name": n, "cluster": {"server": url}}))
        .collect();
    let users: Vec<Value> = servers
        .iter()
        .map(|(n, _)| serde_json::json!({"name": n, "user": {}}))
        .collect();
    let contexts: Vec<Value> = servers
        .iter()
        .map(|(n, _)| serde_json::json!({"name": n, "context": {"cluster": n, "user": n, "namespace": "default"}}))
        .collect();
    let doc = serde_json::json!({"apiVersion": "v1", "kind": "Config", "clusters": clusters,
        "users": users, "contexts": contexts, "current-context": servers[0].0});
    let path = dir.join("contexts.kubeconfig");
    std::fs::write(&path, serde_yaml::to_string(&doc).unwrap()).unwrap();
    path
}

/// A cluster of two nodes holding the duplicate and one whose agent crashes.
fn alpha(dir: &Path) -> SimApiServer {
    let mut cfg = config(&dir.join("alpha"));
    cfg.nodes = vec![
        fake_node("a1", 0.2, 0, &duplicate_output()),
        fake_node("a2", 0.2, 0, &duplicate_output()),
        fake_node("a3", 0.2, 1, "segfault\n"),
    ];
    SimApiServer::start(cfg).unwrap()
}

fn plugin(kubeconfig: &Path, args: &[&str]) -> (std::process::Output, Duration) {
    let out = cmd().env("KUBECONFIG", kubeconfig).args(args).run();
    (out.output, out.elapsed)
}

fn context<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["context"] == name)
        .unwrap_or_else(|| panic!("no context {name} in {doc:#}"))
}

/// `--all-contexts` over a live cluster and one whose server is gone: both
/// are reported, the scan's and top's documents carry alpha's report and
/// beta's reason, and the exit code is the worst: 1 (beta could not be
/// reached) over alpha's 4 (a node unknown).
#[test]
fn all_contexts_reports_a_live_and_an_unreachable_cluster_and_exits_with_the_worst() {
    let dir = tempfile::tempdir().unwrap();
    let a = alpha(dir.path());
    let gone = SimApiServer::start(config(&dir.path().join("beta"))).unwrap();
    let gone_url = gone.url.clone();
    gone.stop();
    let kc = kubeconfig(dir.path(), &[("alpha", &a.url), ("beta", &gone_url)]);

    let (out, took) = plugin(&kc, &["--all-contexts", "-o", "json", "--timeout", "20s"]);
    eprintln!("scan --all-contexts: {took:?}");
    assert_exit(&out, 1);
    let doc = json(&out);
    assert_eq!(doc["kind"], "MultiContextReport");
    assert_eq!(doc["exitCode"], 1);
    let names: Vec<&str> = doc["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["context"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    let ok = context(&doc, "alpha");
    assert_eq!(ok["exitCode"], 4, "a3's agent crashed: {ok:#}");
    assert_eq!(ok["report"]["kind"], "ClusterReport");
    assert_eq!(ok["report"]["reclaimableBytes"], 2 * APP_BYTES);
    let failed = context(&doc, "beta");
    assert_eq!(failed["exitCode"], 1);
    assert!(failed.get("report").is_none(), "{failed:#}");
    let why = failed["error"].as_str().unwrap();
    // Named as a single-context run names it: server, context, cause, fix.
    assert!(
        why.contains(&gone_url) && why.contains("(context \"beta\") was refused"),
        "{why}"
    );
    assert!(
        stderr_of(&out).contains("context beta:"),
        "{}",
        stderr_of(&out)
    );

    let (out, took) = plugin(&kc, &["top", "--all-contexts", "-o", "json"]);
    eprintln!("top --all-contexts: {took:?}");
    assert_exit(&out, 1);
    let doc = json(&out);
    let top = &context(&doc, "alpha")["report"];
    assert_eq!(top["kind"], "TopReport");
    assert_eq!(top["total"]["reclaimableBytes"], 2 * APP_BYTES);
    assert_eq!(top["total"]["unknownNodes"], 1);
    assert_eq!(top["total"]["leftoverBytes"], 2 * LEFTOVER_BYTES);
    let row = &top["images"][0];
    assert_eq!(
        (
            &row["id"],
            &row["copies"],
            &row["nodes"],
            &row["reclaimableBytes"]
        ),
        (
            &Value::from(ID),
            &Value::from(4),
            &Value::from(2),
            &Value::from(2 * APP_BYTES)
        )
    );
    assert!(context(&doc, "beta")["error"].is_string());

    // The table groups by context and shows beta's reason in its place.
    let (out, _) = plugin(&kc, &["top", "--all-contexts"]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    let (first, second) = text.split_once("==> context beta <==").unwrap();
    assert!(first.starts_with("==> context alpha <=="), "{text}");
    assert!(
        first.contains("imgdup.test/app-a:1") && first.contains("6.0 MiB"),
        "{text}"
    );
    assert!(second.trim_start().starts_with("error: "), "{text}");
    assert_eq!(our_pods(&a), 0);
    a.stop();
}

/// `--context alpha,nosuch,gamma`: a name the kubeconfig lacks is that
/// context's error, the two others report; the exit code is the worst.
/// With only live contexts it is the worst of their findings (alpha's 4).
#[test]
fn a_context_list_with_a_name_not_in_the_kubeconfig_reports_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let a = alpha(dir.path());
    let mut cfg = config(&dir.path().join("gamma"));
    cfg.nodes = vec![fake_node("g1", 0.2, 0, &ok_output())];
    let g = SimApiServer::start(cfg).unwrap();
    let kc = kubeconfig(dir.path(), &[("alpha", &a.url), ("gamma", &g.url)]);

    let (out, _) = plugin(&kc, &["--context", "alpha,nosuch,gamma", "-o", "json"]);
    assert_exit(&out, 1);
    let doc = json(&out);
    let missing = context(&doc, "nosuch");
    assert!(
        missing["error"].as_str().unwrap().contains("nosuch"),
        "{missing:#}"
    );
    assert_eq!(context(&doc, "gamma")["exitCode"], 0);
    assert_eq!(context(&doc, "alpha")["exitCode"], 4);

    let (out, _) = plugin(&kc, &["top", "--context", "gamma,alpha", "-o", "csv"]);
    assert_exit(&out, 4);
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "context,row,image,tags,copies,nodes,reclaimableBytes,stores,node,store,diskBytes"
    );
    let rows: Vec<&str> = lines.collect();
    assert!(rows.contains(&"gamma,total,,,0,0,0,,,,0"), "{text}");
    assert!(
        rows.contains(
            &format!(
                "alpha,total,,,4,2,{},,,,{}",
                2 * APP_BYTES,
                2 * LEFTOVER_BYTES
            )
            .as_str()
        ),
        "{text}"
    );

    // Commands that act on one cluster refuse a list instead of looking
    // for a context literally named "gamma,alpha".
    for args in [
        &["which", "--context", "gamma,alpha", "g1"][..],
        &["--all-contexts", "cleanup"][..],
        &["prune", "--context", "gamma,alpha"][..],
    ] {
        let (out, _) = plugin(&kc, args);
        assert_exit(&out, 1);
        let err = stderr_of(&out);
        assert!(err.contains("acts on one cluster"), "{args:?}: {err}");
    }
    assert_eq!(our_pods(&a) + our_pods(&g), 0);
    a.stop();
    g.stop();
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
