//! `kubectl imgdup node --local` on the lab scenarios (real daemons).

use crate::util::*;

#[test]
fn k3s_docker_every_image_is_an_alias_with_nothing_to_reclaim() {
    let lab = Scenario::up("k3s-docker");
    let report = node_report(&lab, &[]);
    assert_eq!(report["apiVersion"], "imgdup/v1");
    assert_eq!(report["kind"], "NodeReport");
    assert_eq!(report["node"], "k3s-docker");
    assert_eq!(report["verdict"], "alias");
    assert_eq!(report["reclaimableBytes"], 0);
    let docker = store(&report, "dockerd", "/var/lib/docker");
    assert_eq!(
        (&docker["active"], &docker["live"], &docker["images"]),
        (&true.into(), &true.into(), &3.into())
    );
    let reached: Vec<&str> = docker["reachedBy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(
        reached,
        [
            "unix:///run/k3s/cri-dockerd/cri-dockerd.sock",
            "unix:///var/run/docker.sock"
        ]
    );
    for image in report["images"].as_array().unwrap() {
        assert_eq!(image["verdict"], "alias", "{image:#}");
        assert_eq!(image["reclaimableBytes"], 0);
        assert!(
            image["reason"]
                .as_str()
                .unwrap()
                .contains("cri-dockerd → dockerd"),
            "{image:#}"
        );
    }
}

#[test]
fn runtime_switch_finds_the_duplicate_in_the_stopped_docker_store() {
    let lab = Scenario::up("runtime-switch");
    let report = node_report(&lab, &[]);
    assert_eq!(report["verdict"], "duplicate");
    let docker = store(&report, "dockerd", "/var/lib/docker");
    assert_eq!(
        (&docker["live"], &docker["active"]),
        (&false.into(), &false.into()),
        "read offline"
    );
    let k3s = store(
        &report,
        "containerd",
        "/var/lib/rancher/k3s/agent/containerd",
    );
    assert_eq!(k3s["active"], true);
    let app_a = image(&report, "app-a:1");
    assert_eq!(app_a["id"], lab.get("IMAGE_ID_APP_A"));
    assert_eq!(app_a["verdict"], "duplicate");
    assert_eq!(app_a["stores"].as_array().unwrap().len(), 2);
    // Partial sharing: only app-a's own 3 MiB layer frees; the busybox base
    // stays for base:1 and app-b:1 in the same Docker store.
    let bytes = app_a["reclaimableBytes"].as_u64().unwrap();
    assert_close(bytes, 3.0 * MIB, 1.0, 16384.0, "app-a reclaimable");
    assert_eq!(report["reclaimableBytes"].as_u64().unwrap(), bytes);
    // Every layer of each copy is located: Docker's by directory, containerd's by snapshot key.
    let layers = app_a["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 4, "{layers:#?}");
    for layer in layers
        .iter()
        .filter(|l| l["store"] == "dockerd:/var/lib/docker")
    {
        assert!(
            layer["path"]
                .as_str()
                .unwrap()
                .starts_with("/var/lib/docker/overlay2/"),
            "{layer:#}"
        );
    }
    assert_eq!(image(&report, "app-b:1")["verdict"], "orphan-store");
    assert!(
        report["findings"].to_string().contains("not running"),
        "{:#}",
        report["findings"]
    );
}

#[test]
fn two_containerds_names_both_namespaces_and_keeps_the_kubelets_copy() {
    let lab = Scenario::up("two-containerds");
    let report = node_report(&lab, &[]);
    assert_eq!(report["verdict"], "duplicate");
    let app_a = image(&report, "app-a:1");
    assert_eq!(app_a["verdict"], "duplicate");
    let stores: Vec<&str> = app_a["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(stores.len(), 2, "{stores:?}");
    // crictl falls to the system containerd, but the kubelet (inside k3s) uses
    // k3s's: that store is the active one.
    assert_eq!(
        report["kubeletEndpoint"]["url"],
        "unix:///run/k3s/containerd/containerd.sock"
    );
    for (path, active) in [
        ("/var/lib/containerd", false),
        ("/var/lib/rancher/k3s/agent/containerd", true),
    ] {
        let s = store(&report, "containerd", path);
        assert_eq!(s["namespace"], "k8s.io");
        assert_eq!(s["active"], active);
    }
    assert!(
        report["chain"]["warnings"]
            .to_string()
            .contains("different runtimes"),
        "{:#}",
        report["chain"]["warnings"]
    );
    // The system containerd keeps app-b, which shares the busybox base: only
    // app-a's own layer frees, as a snapshot and as a packed blob (plus its
    // small manifest and config blobs).
    let removal = &app_a["removals"][0];
    assert_eq!(removal["namespace"], "k8s.io");
    assert_eq!(removal["store"], "containerd:/var/lib/containerd");
    let bytes = app_a["reclaimableBytes"].as_u64().unwrap();
    assert_close(
        bytes,
        2.0 * 3.0 * MIB,
        1.0,
        65536.0,
        "app-a snapshot + blob",
    );
    assert_eq!(image(&report, "app-b:1")["verdict"], "ok");
}

/// k3s's containerd 2.x (the kubelet's) and a running Docker both hold
/// app-a: a live duplicate across the two containerd generations.
#[test]
fn containerd2_finds_the_duplicate_across_containerd_generations() {
    let lab = Scenario::up("containerd2");
    let report = node_report(&lab, &[]);
    assert_eq!(report["verdict"], "duplicate");
    let docker = store(&report, "dockerd", "/var/lib/docker");
    assert_eq!(
        (&docker["live"], &docker["active"], &docker["images"]),
        (&true.into(), &false.into(), &3.into())
    );
    let k3s = store(
        &report,
        "containerd",
        "/var/lib/rancher/k3s/agent/containerd",
    );
    assert_eq!(
        (
            &k3s["live"],
            &k3s["active"],
            &k3s["namespace"],
            &k3s["images"]
        ),
        (&true.into(), &true.into(), &"k8s.io".into(), &2.into())
    );
    let app_a = image(&report, "app-a:1");
    assert_eq!(app_a["id"], lab.get("IMAGE_ID_APP_A"));
    assert_eq!(app_a["verdict"], "duplicate");
    // The kubelet's copy stays; Docker's goes, and only app-a's own 3 MiB
    // layer frees (the busybox base stays for base:1 and app-b:1).
    assert_eq!(app_a["removals"][0]["store"], "dockerd:/var/lib/docker");
    let bytes = app_a["reclaimableBytes"].as_u64().unwrap();
    assert_close(bytes, 3.0 * MIB, 1.0, 16384.0, "app-a reclaimable");
    assert_eq!(report["reclaimableBytes"].as_u64().unwrap(), bytes);
    assert_eq!(image(&report, "runner:1")["verdict"], "ok");
    assert_eq!(image(&report, "app-b:1")["verdict"], "split");
}

#[test]
fn dood_is_a_split_not_a_duplicate() {
    let lab = Scenario::up("dood");
    let report = node_report(&lab, &[]);
    assert_eq!(report["verdict"], "split");
    assert_eq!(report["reclaimableBytes"], 0);
    assert_eq!(image(&report, "pipeline:1")["verdict"], "split");
    assert_eq!(image(&report, "runner:1")["verdict"], "ok");
}

#[test]
fn the_table_has_a_summary_line_and_human_sizes() {
    let lab = Scenario::up("runtime-switch");
    let out = lab.exec(&bin(), &["node", "--local", "--node-name", "worker-1"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let summary = text.lines().nth(1).unwrap_or_default();
    assert!(
        summary.contains("worker-1") && summary.contains("duplicate") && summary.contains("MiB"),
        "{text}"
    );
    assert!(text.contains("app-a:1"), "{text}");
    let wide = stdout(&lab.exec(&bin(), &["node", "--local", "-o", "wide"]));
    assert!(
        wide.contains(lab.get("IMAGE_ID_APP_A")),
        "wide shows full digests:\n{wide}"
    );
}

#[test]
fn fail_on_duplicates_exits_3() {
    let lab = Scenario::up("runtime-switch");
    let out = lab.exec(
        &bin(),
        &["node", "--local", "--fail-on-duplicates", "-o", "json"],
    );
    assert_exit(&out, 3);
    let lab = Scenario::up("dood");
    let out = lab.exec(
        &bin(),
        &["node", "--local", "--fail-on-duplicates", "-o", "json"],
    );
    assert_exit(&out, 0);
}

#[test]
fn a_copy_used_by_a_container_is_not_reclaimable() {
    let lab = Scenario::fresh("dood.pin");
    // Make pipeline:1 a duplicate: k3s's containerd (active) gets it too.
    ctr_import(&lab, "K3S_CONTAINERD", "k8s.io", "pipeline");
    let report = node_report(&lab, &[]);
    let pipeline = image(&report, "pipeline:1");
    assert_eq!(pipeline["verdict"], "duplicate");
    assert!(
        pipeline["reclaimableBytes"].as_u64().unwrap() > (2.0 * MIB) as u64,
        "{pipeline:#}"
    );

    // A stopped container in Docker pins its copy: nothing to reclaim any more.
    assert_exit(
        &lab.sh("docker create --name ci-job --network none imgdup.test/pipeline:1"),
        0,
    );
    let report = node_report(&lab, &[]);
    let pipeline = image(&report, "pipeline:1");
    assert_eq!(pipeline["reclaimableBytes"], 0, "{pipeline:#}");
    assert_eq!(
        pipeline["removals"][0]["pinnedBy"],
        serde_json::json!(["ci-job"])
    );
    assert_eq!(
        store(&report, "dockerd", "/var/lib/docker")["containers"],
        serde_json::json!(["ci-job"])
    );
    assert_eq!(report["reclaimableBytes"], 0);
    let plan = stdout(&lab.exec(&bin(), &["prune", "--dry-run", "--local"]));
    assert!(
        plan.contains("skip")
            && plan.contains("ci-job")
            && !plan.lines().any(|l| l.starts_with("docker ")),
        "{plan}"
    );
    lab.down();
}

#[test]
fn a_daemon_that_stops_answering_is_read_from_disk_within_the_timeout() {
    let lab = Scenario::fresh("k3s-docker.frozen");
    let dockerd = lab.pid("PID_DOCKERD");
    assert_exit(&lab.sh(&format!("kill -STOP {dockerd}")), 0);
    let started = std::time::Instant::now();
    let out = lab.exec(
        &bin(),
        &["node", "--local", "-o", "json", "--timeout", "500ms"],
    );
    let took = started.elapsed();
    assert_exit(&lab.sh(&format!("kill -CONT {dockerd}")), 0);
    assert_exit(&out, 0);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let docker = store(&report, "dockerd", "/var/lib/docker");
    assert_eq!(docker["live"], false, "{docker:#}");
    assert_eq!(
        docker["images"], 3,
        "the images are still read from the files"
    );
    assert!(
        docker["gaps"][0]
            .as_str()
            .unwrap()
            .contains("no answer from /var/run/docker.sock"),
        "{docker:#}"
    );
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    lab.down();
}

/// What an agent pod sees: the node's /run, /var/lib, /etc and /proc mounted
/// read-only under /host, nothing else of the node (no /var/run).
fn in_pod_layout(lab: &Scenario, args: &str) -> std::process::Output {
    let script = format!(
        r#"set -e
root=$(mktemp -d /tmp/imgdup-pod.XXXXXX)
mount -t tmpfs pod "$root"
for d in run var/lib etc proc; do
  mkdir -p "$root/host/$d"
  mount --rbind "/$d" "$root/host/$d"
  mount -o remount,bind,ro "$root/host/$d"
done
{bin} agent --host-root "$root/host" --proc "$root/host/proc" {args}"#,
        bin = bin().display()
    );
    lab.exec(
        std::path::Path::new("/usr/bin/unshare"),
        &[
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            &script,
        ],
    )
}

#[test]
fn the_agent_gives_the_same_verdict_through_read_only_pod_mounts() {
    for scenario in ["k3s-docker", "runtime-switch"] {
        let lab = Scenario::up(scenario);
        let local = node_report(&lab, &[]);
        let out = in_pod_layout(&lab, &format!("--node-name {scenario}"));
        assert_exit(&out, 0);
        let agent: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
        assert_eq!(agent["verdict"], local["verdict"], "{scenario}");
        assert_eq!(
            agent["reclaimableBytes"], local["reclaimableBytes"],
            "{scenario}"
        );
        let ids = |r: &serde_json::Value| {
            r["stores"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&agent),
            ids(&local),
            "{scenario}: same stores, as host paths"
        );
        // Paths in the report are host paths, never prefixed with the mount point.
        assert!(
            !agent.to_string().contains("imgdup-pod."),
            "{scenario}: {agent:#}"
        );
    }
}
