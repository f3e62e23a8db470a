//! The proof test: run the prune plan against real daemons and measure what
//! it really freed, with our walker and with `du`, against the prediction.

use std::path::Path;

use imgdup::du::DiskUsage;

use crate::util::*;

/// Bytes under a host path of the lab node, measured from outside with du.
fn du_bytes(lab: &Scenario, host_path: &str) -> u64 {
    let local = format!("{}{}", lab.get("ROOT"), host_path);
    let out = std::process::Command::new("du")
        .args(["-sx", "--block-size=1", &local])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

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
