//! A stopped containerd read from its files (meta.db, the snapshotter's
//! metadata.db, snapshot dirs, blobs): the same names, namespaces and bytes
//! the live daemon gave before it stopped, no `partial` gap, and reclaimable
//! bytes that match what removing the copy frees once the daemon is back.

use serde_json::Value;

use crate::util::*;

const SYSTEM: &str = "/var/lib/containerd";
const K3S: &str = "/var/lib/rancher/k3s/agent/containerd";

/// Stops the containerd `daemon` (`CONTAINERD` or `K3S_CONTAINERD`) as
/// systemd would (SIGTERM, then wait for it to exit); its command line, to
/// start it again.
fn stop(lab: &Scenario, pid: u32) -> String {
    let cmdline = lab.sh(&format!("tr '\\0' ' ' </proc/{pid}/cmdline"));
    assert_exit(&cmdline, 0);
    let out = lab.sh(&format!(
        "kill {pid}; for i in $(seq 100); do kill -0 {pid} 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
    ));
    assert_exit(&out, 0);
    stdout(&cmdline).trim().to_string()
}

/// Starts a containerd again with its own command line, until `ctr` answers.
fn start(lab: &Scenario, daemon: &str, cmdline: &str) {
    let log = format!("{}/{}/logs/restarted.log", lab.get("LAB"), lab.name);
    let out = lab.sh(&format!(
        "setsid sh -c '{cmdline} >>{log} 2>&1' </dev/null >/dev/null 2>&1 &
         for i in $(seq 100); do {} -a {} version >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1",
        lab.get(&format!("CTR_{daemon}")),
        lab.get(&format!("SOCK_{daemon}"))
    ));
    assert_exit(&out, 0);
}

/// The stores at `path`, one per namespace: (id, namespace, images, bytes).
fn stores_at(report: &Value, path: &str) -> Vec<(Value, Value, Value, Value)> {
    report["stores"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["path"] == path)
        .map(|s| {
            let f = |k: &str| s[k].clone();
            (f("id"), f("namespace"), f("images"), f("diskBytes"))
        })
        .collect()
}

/// Every image held at `path`, by id: its names and its removal there.
fn images_at(report: &Value, path: &str) -> Vec<(Value, Value, Value, Value)> {
    let ids: Vec<Value> = stores_at(report, path).into_iter().map(|s| s.0).collect();
    let mut out: Vec<_> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["stores"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| ids.contains(s))
        })
        .map(|i| {
            let removal = i["removals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| ids.contains(&r["store"]))
                .cloned()
                .unwrap_or(Value::Null);
            (
                i["id"].clone(),
                i["tags"].clone(),
                i["repoDigests"].clone(),
                removal,
            )
        })
        .collect();
    out.sort_by_key(|i| i.0.to_string());
    out
}

/// The offline read of `path` equals the live one: same stores per
/// namespace, images, names and bytes; and it is complete.
#[track_caller]
fn assert_same_inventory(live: &Value, offline: &Value, path: &str) {
    assert!(!stores_at(live, path).is_empty(), "no store at {path}");
    assert_eq!(stores_at(offline, path), stores_at(live, path));
    assert_eq!(images_at(offline, path), images_at(live, path));
    for s in offline["stores"].as_array().unwrap() {
        if s["path"] == path {
            assert_eq!(s["live"], false, "{s:#}");
            assert_eq!(s["partial"], false, "{s:#}");
            assert_eq!(s["gaps"], serde_json::json!([]), "{s:#}");
        }
    }
}

/// The removal of `tag` from the store at `path`.
fn removal<'a>(report: &'a Value, tag: &str, path: &str) -> &'a Value {
    let ids: Vec<Value> = stores_at(report, path).into_iter().map(|s| s.0).collect();
    image(report, tag)["removals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| ids.contains(&r["store"]))
        .unwrap_or_else(|| panic!("no removal of {tag} at {path}: {:#}", image(report, tag)))
}

/// The system containerd frozen (it still holds bolt's lock on meta.db: the
/// read from disk neither waits on it nor differs, partial only for the
/// silence), then stopped: read from its files, it is the live inventory.
/// Returns the daemon's command line (to restart it) and the offline report.
fn freeze_then_stop(lab: &Scenario, live: &Value) -> (String, Value) {
    let pid = lab.pid("PID_CONTAINERD");
    assert_exit(&lab.sh(&format!("kill -STOP {pid}")), 0);
    let took = std::time::Instant::now();
    let frozen = node_report(lab, &["--timeout", "500ms"]);
    let took = took.elapsed();
    assert_exit(&lab.sh(&format!("kill -CONT {pid}")), 0);
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    assert_eq!(stores_at(&frozen, SYSTEM), stores_at(live, SYSTEM));
    assert_eq!(images_at(&frozen, SYSTEM), images_at(live, SYSTEM));

    let cmdline = stop(lab, pid);
    let offline = node_report(lab, &[]);
    assert_same_inventory(live, &offline, SYSTEM);
    (cmdline, offline)
}

/// containerd 1.6 stopped: `node --local` reads it completely, reports
/// app-a `duplicate` with the live figures, the dry-run plan names the image
/// and its namespace, and running that plan's command on the restarted
/// daemon frees what was predicted.
#[test]
fn a_stopped_containerd_is_read_completely_and_its_copy_frees_what_was_predicted() {
    let started = std::time::Instant::now();
    let lab = Scenario::fresh("two-containerds.offline");
    let live = node_report(&lab, &[]);
    let (cmdline, offline) = freeze_then_stop(&lab, &live);
    let app_a = image(&offline, "app-a:1");
    assert_eq!(app_a["verdict"], "duplicate", "{app_a:#}");
    let copy = removal(&offline, "app-a:1", SYSTEM);
    assert_eq!(copy["namespace"], "k8s.io");
    let predicted = copy["reclaimableBytes"].as_u64().unwrap();
    assert!(predicted > 4 << 20, "app-a's own layer is 4 MiB+: {copy:#}");

    // The plan for the offline store names the image and its namespace.
    let plan = lab.exec(
        &bin(),
        &["prune", "--local", "--node-name", &lab.name, "--dry-run"],
    );
    assert_exit(&plan, 0);
    let text = stdout(&plan);
    let line = text
        .lines()
        .find(|l| l.contains("images rm") && l.contains("app-a:1"))
        .unwrap_or_else(|| panic!("no removal of app-a in the plan:\n{text}"));
    assert!(line.contains("-n k8s.io"), "{line}");
    assert!(
        text.contains(&format!(
            "containerd:{SYSTEM} (namespace k8s.io) is offline"
        )),
        "{text}"
    );

    start(&lab, "CONTAINERD", &cmdline);
    let before = du_bytes(&lab, SYSTEM);
    let command = line.trim_start_matches(['#', ' ']);
    assert_exit(&lab.sh(command), 0);
    let freed = before - du_bytes(&lab, SYSTEM);
    let pct = (freed as f64 - predicted as f64) / predicted as f64 * 100.0;
    eprintln!("stopped containerd 1.6: predicted {predicted} B, freed {freed} B ({pct:+.3}%)");
    assert_close(freed, predicted as f64, 1.0, 0.0, "freed vs predicted");
    lab.down();
    eprintln!("in {:?}", started.elapsed());
}

/// Docker live, Docker's containerd 1.6 stopped, k3s's containerd 2.x live
/// then stopped: one image in all three. Reclaimable is the sum of the
/// copies not kept, each as the live daemon sized it, and the stopped copy
/// frees that once removed; the 2.x store reads back as its live daemon
/// gave it.
#[test]
fn one_image_in_live_and_stopped_stores_counts_every_copy_not_kept() {
    let started = std::time::Instant::now();
    let lab = Scenario::fresh("containerd2.offline");
    ctr_import(&lab, "CONTAINERD", "k8s.io", "app-a");
    let live = node_report(&lab, &[]);
    let (cmdline, offline) = freeze_then_stop(&lab, &live);
    let app_a = image(&offline, "app-a:1");
    assert_eq!(app_a["verdict"], "duplicate", "{app_a:#}");
    let removals = app_a["removals"].as_array().unwrap();
    assert_eq!(
        removals.len(),
        2,
        "Docker's and the stopped copy: {app_a:#}"
    );
    let sum: u64 = removals
        .iter()
        .map(|r| r["reclaimableBytes"].as_u64().unwrap())
        .sum();
    assert_eq!(app_a["reclaimableBytes"].as_u64().unwrap(), sum);
    assert_eq!(
        removal(&offline, "app-a:1", SYSTEM),
        removal(&live, "app-a:1", SYSTEM)
    );
    assert_eq!(
        removal(&offline, "app-a:1", "/var/lib/docker"),
        removal(&live, "app-a:1", "/var/lib/docker")
    );
    assert_eq!(
        app_a["reclaimableBytes"],
        image(&live, "app-a:1")["reclaimableBytes"]
    );
    eprintln!("app-a: reclaimable {sum} B = {removals:?}");

    // Back up, the stopped copy's removal frees what was predicted for it.
    start(&lab, "CONTAINERD", &cmdline);
    let predicted = removal(&offline, "app-a:1", SYSTEM)["reclaimableBytes"]
        .as_u64()
        .unwrap();
    let before = du_bytes(&lab, SYSTEM);
    ctr(
        &lab,
        "CONTAINERD",
        "k8s.io",
        "images rm --sync imgdup.test/app-a:1",
    );
    let freed = before - du_bytes(&lab, SYSTEM);
    let pct = (freed as f64 - predicted as f64) / predicted as f64 * 100.0;
    eprintln!(
        "stopped containerd 1.6 beside Docker: predicted {predicted} B, freed {freed} B ({pct:+.3}%)"
    );
    assert_close(freed, predicted as f64, 1.0, 0.0, "freed vs predicted");

    // containerd 2.x (config version 3) stopped: its store too.
    let live = node_report(&lab, &[]);
    stop(&lab, lab.pid("PID_K3S_CONTAINERD"));
    let offline = node_report(&lab, &[]);
    assert_same_inventory(&live, &offline, K3S);
    // The dead socket is still said, as a finding rather than a store gap.
    let findings = offline["findings"].to_string();
    assert!(
        findings.contains(lab.get("SOCK_K3S_CONTAINERD")),
        "{findings}"
    );
    lab.down();
    eprintln!("in {:?}", started.elapsed());
}
