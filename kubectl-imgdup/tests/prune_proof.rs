//! The proof test: run the prune plan against real daemons and measure what
//! it really freed, with our walker and with `du`, against the prediction.

use std::path::Path;

use imgdup::host::du::DiskUsage;

use crate::util::*;

fn walker_bytes(lab: &Scenario, host_path: &str) -> u64 {
    DiskUsage::default()
        .add(Path::new(&format!("{}{}", lab.get("ROOT"), host_path)))
        .unwrap()
}

#[test]
fn running_the_prune_plan_frees_what_it_predicted() {
    let lab = Scenario::fresh("two-containerds.proof");
    let report = node_report(&lab, &[]);
    let predicted = report["reclaimableBytes"].as_u64().unwrap();
    assert!(predicted > 0, "{report:#}");
    // The kubelet (k3s) keeps its copy; the system containerd's copy goes.
    let (target, active) = (
        "/var/lib/containerd",
        "/var/lib/rancher/k3s/agent/containerd",
    );
    let before = (
        du_bytes(&lab, target),
        walker_bytes(&lab, target),
        du_bytes(&lab, active),
    );

    let plan = lab.exec(&bin(), &["prune", "--dry-run", "--local"]);
    assert_exit(&plan, 0);
    let commands: Vec<String> = stdout(&plan)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert!(!commands.is_empty(), "{}", stdout(&plan));
    for command in &commands {
        assert!(
            command
                .starts_with("ctr -a /run/containerd/containerd.sock -n k8s.io images rm --sync"),
            "{command}"
        );
        let out = lab.sh(command);
        assert_exit(&out, 0);
    }

    let after = (
        du_bytes(&lab, target),
        walker_bytes(&lab, target),
        du_bytes(&lab, active),
    );
    let freed_du = before.0 - after.0;
    let freed_walker = before.1 - after.1;
    eprintln!(
        "prune proof: predicted {predicted} B, freed {freed_du} B per du, {freed_walker} B per our walker"
    );
    assert_close(freed_du, predicted as f64, 2.0, 0.0, "freed per du");
    assert_close(
        freed_walker,
        predicted as f64,
        2.0,
        0.0,
        "freed per our walker",
    );
    // The active store lost nothing: same images, same bytes (its metadata DB may move a page).
    assert_close(after.2, before.2 as f64, 0.5, 65536.0, "active store bytes");
    let again = node_report(&lab, &[]);
    assert_eq!(
        store(&again, "containerd", active)["images"],
        store(&report, "containerd", active)["images"]
    );
    // And the scan now agrees: nothing left to reclaim.
    assert_eq!(again["reclaimableBytes"], 0, "{again:#}");
    lab.down();
}

/// The measured bytes against the prediction, and GNU du against both.
fn assert_measured(removed: &serde_json::Value, outside: u64) {
    let measured = assert_measured_as_predicted(removed, "prune --yes");
    eprintln!("prune --yes: {outside} B per GNU du");
    assert_close(outside, measured as f64, 1.0, 16384.0, "GNU du vs measured");
}

#[test]
fn prune_yes_removes_the_containerd_copy_and_proves_it() {
    let lab = Scenario::fresh("two-containerds.yes");
    let (target, active) = (
        "/var/lib/containerd",
        "/var/lib/rancher/k3s/agent/containerd",
    );
    let before = (du_bytes(&lab, target), du_bytes(&lab, active));
    let out = crate::prune_guards::prune(&lab, &["--yes", "-o", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["kind"], "PruneReport");
    let removed = &report["removed"].as_array().unwrap()[..];
    assert_eq!(removed.len(), 1, "{report:#}");
    assert_eq!(removed[0]["store"], "containerd:/var/lib/containerd");
    // Every name of the copy: the tag and the CRI plugin's sha256:<id>.
    let id = removed[0]["image"].as_str().unwrap();
    assert_eq!(
        removed[0]["names"],
        serde_json::json!(["imgdup.test/app-a:1", id]),
        "{report:#}"
    );
    assert_measured(&removed[0], before.0 - du_bytes(&lab, target));
    let proof = &report["proof"];
    assert_eq!(proof["stillDuplicate"], serde_json::json!([]));
    assert_eq!(proof["reclaimableAfter"], 0);
    let kept = &proof["kept"][0];
    assert_eq!(kept["store"], format!("containerd:{active}"));
    assert_eq!(kept["missingAfter"], serde_json::json!([]));
    assert_eq!(kept["duBefore"], kept["duAfter"]);
    assert_eq!(du_bytes(&lab, active), before.1);
    // Nothing outside the plan: app-b, held only here, stays.
    let left = ctr(
        &lab,
        "CONTAINERD",
        "k8s.io",
        "images ls -q | grep -v '^sha256:'",
    );
    assert_eq!(stdout(&left).trim(), "imgdup.test/app-b:1");
    lab.down();
}

#[test]
fn prune_yes_removes_the_docker_copy_by_id_without_force() {
    let lab = Scenario::fresh("containerd2.yes");
    let before = du_bytes(&lab, "/var/lib/docker");
    let out = crate::prune_guards::prune(&lab, &["--yes", "-o", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    let removed = &report["removed"].as_array().unwrap()[..];
    assert_eq!(removed.len(), 1, "{report:#}");
    assert_eq!(removed[0]["store"], "dockerd:/var/lib/docker");
    assert_measured(&removed[0], before - du_bytes(&lab, "/var/lib/docker"));
    assert_eq!(report["proof"]["reclaimableAfter"], 0, "{report:#}");
    // base and app-b (only in Docker) stay, and k3s keeps app-a.
    let docker = format!("docker -H unix://{}", lab.get("SOCK_DOCKERD"));
    let left = lab.sh(&format!(
        "{docker} images --format '{{{{.Repository}}}}:{{{{.Tag}}}}' | sort"
    ));
    assert_eq!(
        stdout(&left).trim(),
        "imgdup.test/app-b:1\nimgdup.test/base:1"
    );
    let k3s = ctr(&lab, "K3S_CONTAINERD", "k8s.io", "images ls -q");
    assert!(
        stdout(&k3s).contains("imgdup.test/app-a:1"),
        "{}",
        stdout(&k3s)
    );
    lab.down();
}

#[test]
fn ctrl_c_finishes_the_removal_under_way_and_a_rerun_continues() {
    let lab = Scenario::fresh("two-containerds.ctrlc");
    // Four duplicates: every image of the system containerd, also in k3s's.
    for (name, daemon) in [
        ("runner", "CONTAINERD"),
        ("pipeline", "CONTAINERD"),
        ("app-b", "K3S_CONTAINERD"),
        ("runner", "K3S_CONTAINERD"),
        ("pipeline", "K3S_CONTAINERD"),
    ] {
        ctr_import(&lab, daemon, "k8s.io", name);
    }
    // SIGINT to the prune itself (not to script(1) or the lab's nsenter).
    let interrupt = || {
        let ours = std::fs::read_dir("/proc").unwrap().flatten().find(|p| {
            let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            std::fs::read_link(p.path().join("exe")).is_ok_and(|exe| exe == bin())
                && String::from_utf8_lossy(&cmdline).contains(&lab.name)
        });
        let pid = ours.expect("the prune is not running").file_name();
        let out = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string_lossy()])
            .output()
            .unwrap();
        assert_exit(&out, 0);
    };
    let args = ["--yes", "-o", "json"];
    let (shown, code) = crate::prune_guards::on_terminal(&lab, &args, "removed ", interrupt, None);
    assert_eq!(code, 130, "{shown}");
    let report = crate::prune_guards::last_json(&shown);
    assert_eq!(report["interrupted"], true, "{report:#}");
    let removed = report["removed"].as_array().unwrap().len();
    let rest = crate::prune_guards::skipped(&report, "interrupted").len();
    eprintln!("Ctrl-C: {removed} removed, {rest} not started");
    assert!(removed >= 1 && removed + rest == 4, "{report:#}");
    // What the report says was done is done, and nothing else.
    let left = ctr(
        &lab,
        "CONTAINERD",
        "k8s.io",
        "images ls -q | grep -v '^sha256:'",
    );
    assert_eq!(stdout(&left).lines().count(), rest, "{}", stdout(&left));
    let again = crate::prune_guards::prune(&lab, &args);
    assert_exit(&again, 0);
    let again = json(&again);
    assert_eq!(
        again["removed"].as_array().unwrap().len(),
        rest,
        "{again:#}"
    );
    assert_eq!(again["proof"]["reclaimableAfter"], 0, "{again:#}");
    lab.down();
}

#[test]
fn a_removal_that_fails_is_named_and_exits_5() {
    let lab = Scenario::fresh("two-containerds.fail");
    // The system containerd dies while the prune waits at its prompt.
    let kill = || {
        let out = lab.sh(&format!("kill -9 {}", lab.pid("PID_CONTAINERD")));
        assert_exit(&out, 0);
    };
    let (shown, code) = crate::prune_guards::at_prompt(&lab, &["-o", "json"], kill, "y");
    assert_eq!(code, 5, "{shown}");
    let report = crate::prune_guards::last_json(&shown);
    let failed = &report["failed"][0];
    assert_eq!(
        failed["store"], "containerd:/var/lib/containerd",
        "{report:#}"
    );
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("/run/containerd/containerd.sock"), "{error}");
    assert_eq!(report["totals"]["removed"], 0);
    lab.down();
}

/// A second copy in another namespace of the kubelet's own containerd: its
/// snapshots go, the blobs the kept namespace shares stay (containerd's GC
/// decides, and the prediction agrees), and the kept copy is proven present
/// although the rescan no longer splits that root into `#namespace` stores.
#[test]
fn a_copy_in_a_second_namespace_frees_its_snapshots_and_keeps_shared_blobs() {
    let lab = Scenario::fresh("runtime-switch.ns");
    ctr_import(&lab, "K3S_CONTAINERD", "default", "app-a");
    let root = "/var/lib/rancher/k3s/agent/containerd";
    let before = du_bytes(&lab, root);
    let out = crate::prune_guards::prune(&lab, &["--yes", "-o", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    let removed = &report["removed"].as_array().unwrap()[..];
    assert_eq!(removed.len(), 1, "{report:#}");
    assert_eq!(removed[0]["store"], format!("containerd:{root}#default"));
    assert_measured(&removed[0], before - du_bytes(&lab, root));
    let kept = &report["proof"]["kept"][0];
    assert_eq!(kept["store"], format!("containerd:{root}#k8s.io"));
    assert_eq!(kept["missingAfter"], serde_json::json!([]), "{report:#}");
    assert_eq!(
        kept["copyBytesBefore"], kept["copyBytesAfter"],
        "{report:#}"
    );
    // The Docker copy stays (an offline store): still a duplicate, and said why.
    assert_eq!(
        crate::prune_guards::skipped(&report, "offline-store").len(),
        1
    );
    lab.down();
}
